#!/usr/bin/env python3
"""Input isolation: how fast `ferry run` delivers one input alone, next to an idle input of another topic
(the same configuration shape, so the same share of the buffer), and next to an input whose topic does not
exist (its lines refused, deferred, retried), in the same runs on the same broker. Driven by
scripts/bench-isolation.sh (which builds Ferry in release mode).

Per run: wall time from start until the good input's file is committed to its end (`ferry status --input
good --wait`), CPU seconds of the agent, peak RSS; the good topic is read back with librdkafka and checked
line by line. Modes rotate between runs; medians are printed with the good input's throughput in each mode
as a ratio of alone.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module

agent = import_module("bench-agent")
ROOT = agent.ROOT
PY = sys.executable


class IsolationBench(agent.Bench):
    def run_mode(self, mode, topic):
        run_dir = os.path.join(self.work, "ferry-run")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(os.path.join(run_dir, "good"))
        os.makedirs(os.path.join(run_dir, "failing"))
        shutil.copy(self.corpus, os.path.join(run_dir, "good", "corpus.log"))
        failing = ""
        if mode == "next-to-missing-topic":
            # The failing input has as many lines waiting as the good one: every read of it is refused.
            shutil.copy(self.corpus, os.path.join(run_dir, "failing", "corpus.log"))
            failing = f"""  - name: failing
    paths: [{run_dir}/failing/*.log]
    topic: missing-{topic}
"""
        elif mode == "next-to-idle-input":
            # Another topic that exists, no file: the same two-topic shares, nothing failing.
            self.create_topic(f"idle-{topic}")
            failing = f"""  - name: idle
    paths: [{run_dir}/failing/*.log]
    topic: idle-{topic}
"""
        config = os.path.join(run_dir, "ferry.yaml")
        with open(config, "w") as f:
            f.write(f"""state_dir: {run_dir}/state
checkpoint_interval_ms: 50
inputs:
  - name: good
    paths: [{run_dir}/good/*.log]
    topic: {topic}
{failing}output:
  kafka:
    bootstrap.servers: {self.broker}
    compression.type: {self.args.codec}
    allow.auto.create.topics: false
""")
        log = open(os.path.join(run_dir, "agent.log"), "w")
        start = time.monotonic()
        process = subprocess.Popen([self.args.ferry, "run", "--config", config, "--log-level", "warning"],
                                   stdout=log, stderr=subprocess.STDOUT)
        subprocess.run([self.args.ferry, "status", "--config", config, "--input", "good", "--wait", "--timeout-ms", "600000"],
                       capture_output=True, check=False)
        wall = time.monotonic() - start
        cpu, peak = agent.proc_cpu_and_peak(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        return wall, cpu, peak

    def run(self):
        self.start_broker()
        modes = ["alone", "next-to-idle-input", "next-to-missing-topic"]
        try:
            for run in range(1, self.args.runs + 1):
                shift = (run - 1) % len(modes)
                order = modes[shift:] + modes[:shift]
                for mode in order:
                    topic = f"iso-{mode}-{run}"
                    self.create_topic(topic)
                    wall, cpu, peak = self.run_mode(mode, topic)
                    verdict = self.verify(topic)
                    self.results.append(dict(mode=mode, run=run, wall=wall, cpu=cpu, peak=peak,
                                             missing=verdict["missing"], duplicates=verdict["duplicates"]))
                    print(f"  {mode:22} run {run}: {wall:6.2f} s, {cpu:6.2f} CPU s, {peak // 1024:4d} MB peak RSS, "
                          f"missing {verdict['missing']}, duplicates {verdict['duplicates']}", flush=True)
        finally:
            self.stop_broker()
        print()
        print(f"{'good input':22} {'wall s':>7} {'lines/s':>10} {'CPU s':>7} {'peak RSS MB':>12} {'lost':>5} {'dups':>5}   (medians of {self.args.runs}, {self.args.codec})")
        medians = {}
        for mode in modes:
            rows = [r for r in self.results if r["mode"] == mode]
            wall = statistics.median(r["wall"] for r in rows)
            medians[mode] = wall
            print(f"{mode:22} {wall:7.2f} {self.lines / wall:10.0f} {statistics.median(r['cpu'] for r in rows):7.2f} "
                  f"{statistics.median(r['peak'] for r in rows) / 1024:12.1f} {sum(r['missing'] for r in rows):5d} "
                  f"{sum(r['duplicates'] for r in rows):5d}")
        print()
        for mode in modes[1:]:
            ratio = medians["alone"] / medians[mode]
            print(f"the good input's throughput {mode} = {ratio:.3f} x alone ({(ratio - 1) * 100:+.1f} %)")
        ratio = medians["next-to-idle-input"] / medians["next-to-missing-topic"]
        print(f"next to a missing topic vs next to an idle input (same shares) = {ratio:.3f} x ({(ratio - 1) * 100:+.1f} %)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--tansu", required=True)
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--codec", default="lz4")
    args = parser.parse_args()
    args.rdkafka = ""
    IsolationBench(args).run()


if __name__ == "__main__":
    main()
