#!/usr/bin/env python3
"""Scrape a Prometheus endpoint and parse it with prometheus_client's own text-format parser, independently
of Ferry's code.

Usage: scrape.py --url http://127.0.0.1:PORT/metrics

Prints JSON on stdout: {"families": {name: type}, "samples": {"name{k=v,...}": value}}, labels sorted.
Exit 1 when the request fails or the exposition does not parse (the parser's error on stderr).
"""
import argparse
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    try:
        with urllib.request.urlopen(args.url, timeout=10) as response:
            content_type = response.headers.get("Content-Type", "")
            text = response.read().decode("utf-8")
    except Exception as error:  # noqa: BLE001 - report any failure
        print(f"request failed: {error}", file=sys.stderr)
        return 1
    families = {}
    samples = {}
    try:
        for family in text_string_to_metric_families(text):
            families[family.name] = family.type
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    except Exception as error:  # noqa: BLE001 - the parser's verdict
        print(f"does not parse: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"content_type": content_type, "families": families, "samples": samples}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
