#!/usr/bin/env bash
# Checkpoint benchmark: builds ferry-bench in release and prints the time to write (durably) and load a
# checkpoint of 1,000 / 10,000 / 100,000 tracked files, its size, and the ack ledger's cost per segment.
#
#   scripts/bench-checkpoint.sh [--counts 1000,10000,100000] [--iterations 7] [--directory DIR]
#
# Target: write < 50 ms and load < 200 ms at 100,000 files. SCRATCH overrides the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${SCRATCH:-.build-ckpt-release}"
swift build -c release --scratch-path "$SCRATCH" --product ferry-bench >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/ferry-bench"
echo "machine: $(nproc) cores, $(uname -r), state directory filesystem: $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}')"
exec "$BIN" checkpoint "$@"
