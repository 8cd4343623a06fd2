#!/usr/bin/env bash
# Wire-layer benchmark: encode + compress + CRC of 1M log lines into 1 MiB record batches (none, lz4,
# gzip-1, gzip-6), printed next to the raw C codec speed on the same lines and on the same records sections,
# in the same run, on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product ferry-bench >/dev/null
.build/release/ferry-bench wire "$@"
