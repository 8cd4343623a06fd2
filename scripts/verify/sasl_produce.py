#!/usr/bin/env python3
"""Produce N records with confluent-kafka (librdkafka) under the given -X settings (SASL, TLS), to prove
a SASL server right with a client that is not Ferry's. Record i has the value "<prefix> i", partition 0.

Usage: sasl_produce.py --bootstrap HOST:PORT --topic T --count N [--prefix P] [--timeout S] -X name=value...
Prints JSON {"delivered": n, "errors": [...]} (the error callback's and the delivery reports' errors;
an authentication failure shows as _AUTHENTICATION); exit 1 when anything failed.
"""
import argparse
import json
import sys

from confluent_kafka import Producer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", default="sasl")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("-X", dest="settings", action="append", default=[])
    args = parser.parse_args()
    errors = []

    def on_error(error):
        errors.append(f"{error.name()}: {error.str()}")

    settings = {
        "bootstrap.servers": args.bootstrap, "linger.ms": 5, "enable.idempotence": True,
        "message.timeout.ms": int(args.timeout * 1000), "error_cb": on_error,
        **dict(setting.split("=", 1) for setting in args.settings),
    }
    producer = Producer(settings)
    delivered = [0]

    def report(error, message):
        if error is not None:
            errors.append(f"{error.name()}: {error.str()}")
        else:
            delivered[0] += 1

    for i in range(args.count):
        producer.produce(args.topic, value=f"{args.prefix} {i}".encode(), partition=0, on_delivery=report)
        producer.poll(0)
    producer.flush(args.timeout + 10)
    print(json.dumps({"delivered": delivered[0], "errors": errors[:10]}))
    sys.exit(1 if errors or delivered[0] != args.count else 0)


if __name__ == "__main__":
    main()
