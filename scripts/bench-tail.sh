#!/usr/bin/env bash
# Tailing benchmark: builds ferry-bench in release and prints
#   - read+split throughput from the page cache on a 1 GiB file of 220-byte lines: read(2)+memchr (this
#     machine's limit), the LineFramer, and a whole Tailer delivering every line (target >= 2 GB/s);
#   - the time to discover 10,000 and 100,000 files (target < 2 s for 100,000);
#   - the process CPU over 60 s with 10,000 idle watched files.
#
#   scripts/bench-tail.sh [--only throughput,discovery,idle] [--size-mb 1024] [--line-bytes 220]
#                         [--counts 10000,100000] [--idle-files 10000] [--idle-seconds 60] [--iterations 3]
#
# SCRATCH overrides the build directory; the files live under /tmp (removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${SCRATCH:-.build-tail-release}"
swift build -c release --scratch-path "$SCRATCH" --product ferry-bench >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/ferry-bench"
echo "machine: $(nproc) cores, $(uname -r), /tmp filesystem: $(df -T /tmp | awk 'NR==2 {print $2}'), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$BIN" tail "$@"
