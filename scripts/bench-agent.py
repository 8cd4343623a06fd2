#!/usr/bin/env python3
"""Benchmark `ferry run` against rsyslog (imfile + omkafka) and `kcat -P` on the same corpus, broker and
topic settings, alternating runs, every run verified line by line with librdkafka. Driven by
scripts/bench-agent.sh (which builds Ferry in release mode and installs the peers).

Measures, per run: wall time from start until the last line is acknowledged, lines/s, CPU seconds per 1M
lines (user + system of the shipper process), peak RSS; then consumes the topic and counts missing and
duplicated lines.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape_loop(port, stop):
    """/metrics and /health once a second until stop."""
    while not stop.is_set():
        for path in ("/metrics", "/health"):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    while sock.recv(65536):
                        pass
            except OSError:
                pass
        stop.wait(1)


def flood_loop(port, stop, storm):
    """A hostile client until stop. The flood (storm=False): 1,000 connections opened at once and held, 20
    slow-loris requests trickling a byte every 100 ms (opened again when the server drops them), a 1 MB
    request header every 100 ms. The storm (storm=True), harsher: the 1,000 connections closed and opened
    again every 0.5 s, and 1 MB headers back to back."""
    def open_many(count):
        held = []
        for _ in range(count):
            try:
                held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                pass
        return held

    def hold():
        held = open_many(1000)
        stop.wait()
        for sock in held:
            sock.close()

    def churn():
        while not stop.is_set():
            held = open_many(1000)
            stop.wait(0.5)
            for sock in held:
                sock.close()

    def loris():
        sockets = []
        while not stop.is_set():
            while len(sockets) < 20:
                try:
                    sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
                    sockets[-1].send(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
                except OSError:
                    break
            for sock in list(sockets):
                try:
                    sock.send(b"a")
                except OSError:
                    sock.close()
                    sockets.remove(sock)
            stop.wait(0.1)
        for sock in sockets:
            sock.close()

    def large():
        header = b"GET /metrics HTTP/1.1\r\nX-Large: " + b"a" * (1 << 20) + b"\r\n\r\n"
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(header)
                    sock.recv(1)
            except OSError:
                pass
            if not storm:
                stop.wait(0.1)

    threads = [threading.Thread(target=target, daemon=True) for target in (churn if storm else hold, loris, large)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def proc_cpu_and_peak(pid):
    """User+system CPU seconds and peak RSS (KiB) of a live process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    peak = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    return cpu, peak


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.tansu = args.tansu
        self.port = free_port()
        self.broker = f"127.0.0.1:{self.port}"
        self.corpus = os.path.join(self.work, "corpus.log")
        self.lines = sum(1 for _ in open(self.corpus, "rb"))
        self.results = []

    def start_broker(self):
        self.tansu_log = open(os.path.join(self.work, "tansu.log"), "w")
        self.tansu_process = subprocess.Popen(
            [self.tansu, "broker", "--listener-url", f"tcp://{self.broker}", "--advertised-listener-url", f"tcp://{self.broker}",
             "--storage-engine", "memory://tansu/"], stdout=self.tansu_log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tansu did not start")

    def stop_broker(self):
        self.tansu_process.send_signal(signal.SIGTERM)
        try:
            self.tansu_process.wait(5)
        except subprocess.TimeoutExpired:
            self.tansu_process.kill()
            self.tansu_process.wait()

    def create_topic(self, topic):
        subprocess.run([self.tansu, "topic", "create", "--broker", f"tcp://{self.broker}", "--partitions", "4", topic],
                       check=True, capture_output=True)

    def verify(self, topic):
        dump = os.path.join(self.work, "dump.bin")
        subprocess.run([PY, os.path.join(ROOT, "scripts/verify/consume.py"), "--bootstrap", self.broker, "--topic", topic,
                        "--out", dump, "--count", str(self.lines), "--idle", "10"], check=False, capture_output=True)
        out = subprocess.run([PY, os.path.join(ROOT, "scripts/verify/check_lines.py"), "--expected", self.corpus,
                              "--dump", dump], capture_output=True, text=True)
        os.remove(dump)
        return json.loads(out.stdout)

    # --- the shippers -------------------------------------------------------------------------------

    def run_ferry(self, codec, topic, headers, binary=None, http=None):
        """http: None (no endpoint), "scrape" (/metrics and /health every second, as Prometheus and a
        kubelet would), "flood" or "storm" (the same, plus a hostile client: see flood_loop)."""
        binary = binary or self.args.ferry
        http_port = free_port() if http else None
        run_dir = os.path.join(self.work, "ferry-run")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(os.path.join(run_dir, "logs"))
        shutil.copy(self.corpus, os.path.join(run_dir, "logs", "corpus.log"))
        config = os.path.join(run_dir, "ferry.yaml")
        with open(config, "w") as f:
            f.write(f"""state_dir: {run_dir}/state
checkpoint_interval_ms: 50
defaults:
  headers: {"[log.file.path, log.offset, host.name]" if headers else "[]"}
inputs:
  - name: bench
    paths: [{run_dir}/logs/*.log]
    topic: {topic}
{"pipeline:" + chr(10) + "  max_buffered_bytes: " + str(self.args.ferry_buffer) if self.args.ferry_buffer else ""}
{"http:" + chr(10) + "  listen: 127.0.0.1:" + str(http_port) if http else ""}
output:
  kafka:
    bootstrap.servers: {self.broker}
    compression.type: {codec}
""")
        log = open(os.path.join(run_dir, "agent.log"), "w")
        start = time.monotonic()
        process = subprocess.Popen([binary, "run", "--config", config, "--log-level", "warning"],
                                   stdout=log, stderr=subprocess.STDOUT)
        stop = threading.Event()
        clients = []
        if http:
            clients.append(threading.Thread(target=scrape_loop, args=(http_port, stop), daemon=True))
        if http in ("flood", "storm"):
            clients.append(threading.Thread(target=flood_loop, args=(http_port, stop, http == "storm"), daemon=True))
        for client in clients:
            client.start()
        # `ferry status --wait` polls the checkpoint in one light process (every 20 ms) and returns once
        # every file is committed to its end.
        subprocess.run([self.args.ferry, "status", "--config", config, "--wait", "--timeout-ms", "600000"],
                       capture_output=True, check=False)
        done = time.monotonic()
        stop.set()
        for client in clients:
            client.join(30)
        cpu, peak = proc_cpu_and_peak(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        return (done or time.monotonic()) - start, cpu, peak

    def run_kcat(self, codec, topic):
        timing = os.path.join(self.work, "kcat.time")
        env = dict(os.environ, LD_LIBRARY_PATH=self.args.rdkafka)
        start = time.monotonic()
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing, "kcat", "-P", "-b", self.broker, "-t", topic,
                        "-X", f"compression.codec={codec}", "-X", "acks=all", "-X", "enable.idempotence=true",
                        "-X", "linger.ms=10", "-X", "batch.size=1048576", "-l", self.corpus], env=env, check=True,
                       capture_output=True)
        wall = time.monotonic() - start
        _, user, system, rss = open(timing).read().split()
        return wall, float(user) + float(system), int(rss)

    def run_rsyslog(self, codec, topic):
        run_dir = os.path.join(self.work, "rsyslog-run")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(run_dir)
        shutil.copy(self.corpus, os.path.join(run_dir, "corpus.log"))
        conf = os.path.join(run_dir, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f"""global(workDirectory="{run_dir}" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="omkafka")
module(load="impstats" interval="1" format="json" log.file="{run_dir}/stats" log.syslog="off" resetCounters="off")
template(name="raw" type="string" string="%msg%")
input(type="imfile" file="{run_dir}/corpus.log" tag="bench" freshStartTail="off" ruleset="kafka")
ruleset(name="kafka" queue.type="Direct") {{
  action(type="omkafka" broker=["{self.broker}"] topic="{topic}" template="raw"
         confParam=["compression.codec={codec}", "acks=all", "enable.idempotence=true", "linger.ms=10",
                    "batch.size=1048576", "queue.buffering.max.messages=2000000"]
         resubmitOnFailure="on" keepFailedMessages="off" closeTimeout="600000"
         queue.type="LinkedList" queue.workerThreads="1" queue.size="2000000" queue.dequeueBatchSize="10000"
         action.resumeRetryCount="-1")
}}
""")
        env = dict(os.environ, LD_LIBRARY_PATH=self.args.rdkafka)
        start = time.monotonic()
        process = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(run_dir, "pid")], env=env,
                                   stdout=subprocess.DEVNULL, stderr=open(os.path.join(run_dir, "rsyslog.log"), "w"))
        # omkafka's "acked" counter moves only when the next message is handed over, so completion is taken
        # as: impstats shows every line submitted to librdkafka (1 s resolution), then SIGTERM, and the
        # process's exit, which waits for librdkafka to deliver what it holds (closeTimeout raised from its
        # 2 s default, which drops what is still queued at shutdown). An upper bound, by design.
        submitted = False
        stats = os.path.join(run_dir, "stats")
        while time.monotonic() - start < 600 and not submitted:
            time.sleep(0.1)
            try:
                for line in open(stats):
                    record = json.loads("{" + line.split(": {", 1)[1]) if ": {" in line else json.loads(line)
                    if record.get("name") == "omkafka" and record.get("submitted", 0) >= self.lines:
                        submitted = True
            except (OSError, ValueError, IndexError):
                pass
        peak = proc_cpu_and_peak(process.pid)[1]
        process.send_signal(signal.SIGTERM)
        # Peak RSS from the process's own VmHWM, read until it exits: wait4's ru_maxrss would carry this
        # Python process's high-water mark (subprocess starts children with vfork, and exec keeps it).
        stop_deadline = time.monotonic() + 700  # closeTimeout is 600 s: past that, kill it
        while True:
            pid, _, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            if time.monotonic() > stop_deadline:
                process.kill()
            try:
                peak = max(peak, proc_cpu_and_peak(process.pid)[1])
            except (OSError, IndexError, ValueError):
                pass
            time.sleep(0.02)
        wall = time.monotonic() - start
        return wall, usage.ru_utime + usage.ru_stime, peak

    def run(self):
        self.start_broker()
        try:
            tools = self.args.tools.split(",")
            for codec in self.args.codecs.split(","):
                for run in range(1, self.args.runs + 1):
                    order = tools[run - 1:] + tools[:run - 1]
                    for tool in order:
                        topic = f"bench-{tool}-{codec}-{run}"
                        self.create_topic(topic)
                        if tool == "ferry":
                            wall, cpu, peak = self.run_ferry(codec, topic, headers=False)
                        elif tool == "ferry-headers":
                            wall, cpu, peak = self.run_ferry(codec, topic, headers=True)
                        elif tool == "ferry-http":
                            wall, cpu, peak = self.run_ferry(codec, topic, headers=False, http="scrape")
                        elif tool == "ferry-flood":
                            wall, cpu, peak = self.run_ferry(codec, topic, headers=False, http="flood")
                        elif tool == "ferry-storm":
                            wall, cpu, peak = self.run_ferry(codec, topic, headers=False, http="storm")
                        elif tool == "ferry-base":
                            wall, cpu, peak = self.run_ferry(codec, topic, headers=False, binary=self.args.ferry_base)
                        elif tool == "kcat":
                            wall, cpu, peak = self.run_kcat(codec, topic)
                        else:
                            wall, cpu, peak = self.run_rsyslog(codec, topic)
                        verdict = self.verify(topic)
                        row = dict(tool=tool, codec=codec, run=run, wall=wall, cpu=cpu, peak=peak,
                                   missing=verdict["missing"], duplicates=verdict["duplicates"])
                        self.results.append(row)
                        print(f"  {tool:14} {codec:4} run {run}: {wall:6.2f} s, {cpu:6.2f} CPU s, {peak // 1024:4d} MB peak RSS, "
                              f"missing {verdict['missing']}, duplicates {verdict['duplicates']}", flush=True)
        finally:
            self.stop_broker()
        self.table()

    def table(self):
        print()
        print(f"{'shipper':16} {'codec':5} {'wall s':>7} {'lines/s':>10} {'CPU s/1M':>9} {'peak RSS MB':>12} {'lost':>6} {'dups':>6}   (medians of {self.args.runs})")
        summary = {}
        for codec in self.args.codecs.split(","):
            for tool in self.args.tools.split(","):
                rows = [r for r in self.results if r["codec"] == codec and r["tool"] == tool]
                if not rows:
                    continue
                wall = statistics.median(r["wall"] for r in rows)
                cpu = statistics.median(r["cpu"] for r in rows) * 1_000_000 / self.lines
                peak = statistics.median(r["peak"] for r in rows) / 1024
                summary[(tool, codec)] = (wall, cpu, peak)
                print(f"{tool:16} {codec:5} {wall:7.2f} {self.lines / wall:10.0f} {cpu:9.2f} {peak:12.1f} "
                      f"{sum(r['missing'] for r in rows):6d} {sum(r['duplicates'] for r in rows):6d}")
        print()
        for codec in self.args.codecs.split(","):
            for attacked in ("ferry-flood", "ferry-storm"):
                if (attacked, codec) in summary and ("ferry-http", codec) in summary:
                    aw, ac, _ = summary[(attacked, codec)]
                    hw, hc, _ = summary[("ferry-http", codec)]
                    print(f"{codec}: {attacked} throughput = {hw / aw:.2f}x ferry-http's (same endpoint, no attacker); "
                          f"CPU per line = {ac / hc:.2f}x")
            if ("ferry", codec) in summary:
                for peer in ("kcat", "rsyslog", "ferry-base", "ferry-http"):
                    if (peer, codec) in summary:
                        fw, fc, _ = summary[("ferry", codec)]
                        pw, pc, _ = summary[(peer, codec)]
                        print(f"{codec}: ferry throughput = {pw / fw:.2f}x {peer}'s; CPU per line = {fc / pc:.2f}x {peer}'s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--tansu", required=True)
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--rdkafka", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--codecs", default="lz4,gzip")
    parser.add_argument("--tools", default="ferry,ferry-headers,rsyslog,kcat")
    parser.add_argument("--ferry-buffer", type=int, default=0, help="pipeline.max_buffered_bytes (0: Ferry's default)")
    parser.add_argument("--ferry-base", default=None, help="another ferry binary (tool ferry-base), e.g. main's, to compare in the same run")
    Bench(parser.parse_args()).run()


if __name__ == "__main__":
    main()
