#!/usr/bin/env bash
# The long hostile-broker run: the real producer against a fake cluster whose answers are mutated (a fifth
# of them by default), then recovery once the broker behaves. Release build; prints one summary line
# (responses, mutations, connections closed, records, recovery, descriptors, peak RSS) and the mutation
# counts, and exits non-zero on a trap, a leak, an undecodable request or a failed recovery.
#
#   scripts/fuzz-producer.sh                 RESPONSES=1000000 SEED=1 RATE=0.2
set -euo pipefail
cd "$(dirname "$0")/.."
RESPONSES=${RESPONSES:-1000000}
SEED=${SEED:-1}
RATE=${RATE:-0.2}
swift build -c release --product ferry-testkit >/dev/null
.build/release/ferry-testkit fuzz-producer "$RESPONSES" "$SEED" "$RATE"
