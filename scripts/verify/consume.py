#!/usr/bin/env python3
"""Consume a topic with confluent-kafka (librdkafka), independently of Ferry, and dump what arrived.

Usage: consume.py --bootstrap HOST:PORT --topic T --out FILE [--count N] [--idle SECONDS] [--timeout SECONDS]

Assigns every partition from offset 0 (group subscribe does not work against tansu), with
check.crcs=true, and stops when N messages arrived and nothing more came for 1 s (to catch duplicates),
or when nothing arrived for --idle seconds, or at --timeout. Writes FILE as a sequence of records:
  u32 partition | i64 offset | i64 timestamp | i32 key length (-1 null) | key
  | i32 value length (-1 null) | value | u32 header count | (u16 key length | key | i32 value length | value)*
all big-endian. Prints a JSON summary {"messages": n, "errors": [...]} on stdout; exit 1 on consumer errors.
"""
import argparse
import json
import struct
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("-X", dest="settings", action="append", default=[],
                        help="a librdkafka property name=value (security.protocol=SSL, ssl.ca.location=...)")
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "ferry-verify",
        "enable.auto.commit": False,
        "check.crcs": True,
        "auto.offset.reset": "earliest",
        "fetch.max.bytes": 52428800,
        "max.partition.fetch.bytes": 10485760,
        "queued.max.messages.kbytes": 262144,
        **dict(setting.split("=", 1) for setting in args.settings),
    })
    metadata = consumer.list_topics(args.topic, timeout=30)
    topic = metadata.topics.get(args.topic)
    if topic is None or topic.error is not None:
        print(json.dumps({"messages": 0, "errors": [f"topic {args.topic}: {topic.error if topic else 'missing'}"]}))
        sys.exit(1)
    partitions = sorted(topic.partitions.keys())
    consumer.assign([TopicPartition(args.topic, p, 0) for p in partitions])

    errors = []
    received = 0
    started = time.monotonic()
    last = time.monotonic()
    pack = struct.pack
    with open(args.out, "wb") as out:
        while True:
            now = time.monotonic()
            if now - started > args.timeout:
                errors.append("timeout")
                break
            if args.count and received >= args.count and now - last > 1.0:
                break
            if now - last > args.idle:
                break
            batch = consumer.consume(num_messages=10000, timeout=0.2)
            if not batch:
                continue
            last = time.monotonic()
            chunks = []
            for message in batch:
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        continue
                    errors.append(str(error))
                    continue
                key = message.key()
                value = message.value()
                headers = message.headers() or []
                chunks.append(pack(">IqQ", message.partition(), message.offset(), message.timestamp()[1] & 0xFFFFFFFFFFFFFFFF))
                chunks.append(pack(">i", -1) if key is None else pack(">i", len(key)) + key)
                chunks.append(pack(">i", -1) if value is None else pack(">i", len(value)) + value)
                chunks.append(pack(">I", len(headers)))
                for hkey, hvalue in headers:
                    encoded = hkey.encode()
                    chunks.append(pack(">H", len(encoded)) + encoded)
                    chunks.append(pack(">i", -1) if hvalue is None else pack(">i", len(hvalue)) + hvalue)
                received += 1
            out.write(b"".join(chunks))
    consumer.close()
    print(json.dumps({"messages": received, "partitions": partitions, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
