#!/usr/bin/env python3
"""Produce records with confluent-kafka (librdkafka), so that Ferry's decoder is tested on batches it did
not write. Usage: produce.py --bootstrap HOST:PORT --topic T --codec gzip|lz4|zstd|snappy|none --count N

Record i: key "key-i" (none for every 5th), value "value-i " + i*3 filler bytes mod 300, headers
("h", "i") except for every 7th. One partition is expected (partition 0). Prints {"produced": n}.
"""
import argparse
import json
import sys

from confluent_kafka import Producer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--codec", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    producer = Producer({
        "bootstrap.servers": args.bootstrap, "compression.codec": args.codec, "linger.ms": 20,
        "batch.num.messages": 1000, "enable.idempotence": True,
    })
    errors = []

    def report(error, message):
        if error is not None:
            errors.append(str(error))

    for i in range(args.count):
        key = None if i % 5 == 0 else f"key-{i}".encode()
        value = f"value-{i} ".encode() + bytes((i * 7 + j) % 256 for j in range((i * 3) % 300))
        headers = None if i % 7 == 0 else [("h", str(i).encode())]
        producer.produce(args.topic, value=value, key=key, headers=headers, partition=0, on_delivery=report)
        producer.poll(0)
    producer.flush(60)
    print(json.dumps({"produced": args.count, "errors": errors[:5]}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
