#!/usr/bin/env python3
"""Check a topic, as dumped by consume.py, against the lines that should be in it.

Usage: check_lines.py --expected FILE [--expected FILE ...] --dump records.bin [--order-by-key]

Every line of every expected file (a line is the bytes before \\n, without a trailing \\r; a last line
without \\n counts) must appear as a record value exactly as many times as it appears in the files.
Prints one JSON document: {"expected": n, "consumed": n, "missing": n, "duplicates": n, "unexpected": n,
"out_of_order": n} and exits 1 if anything is missing or unexpected (duplicates are reported, not failed:
at-least-once allows them). With --order-by-key, records of one key must come in file order within
their partition (values carry no sequence: order is checked against each expected file's line order).
"""
import argparse
import collections
import json
import struct
import sys


def read_lines(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def read_dump(path):
    data = open(path, "rb").read()
    pos = 0
    unpack = struct.unpack_from
    while pos < len(data):
        partition, offset, _ = unpack(">IqQ", data, pos)
        pos += 20
        (klen,) = unpack(">i", data, pos)
        pos += 4
        key = None
        if klen >= 0:
            key = data[pos:pos + klen]
            pos += klen
        (vlen,) = unpack(">i", data, pos)
        pos += 4
        value = None
        if vlen >= 0:
            value = data[pos:pos + vlen]
            pos += vlen
        (hcount,) = unpack(">I", data, pos)
        pos += 4
        headers = []
        for _ in range(hcount):
            (hk,) = unpack(">H", data, pos)
            pos += 2
            name = data[pos:pos + hk].decode()
            pos += hk
            (hv,) = unpack(">i", data, pos)
            pos += 4
            hvalue = None
            if hv >= 0:
                hvalue = data[pos:pos + hv]
                pos += hv
            headers.append((name, hvalue))
        yield partition, offset, key, value, headers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--expected", action="append", required=True)
    parser.add_argument("--dump", required=True)
    parser.add_argument("--order-by-key", action="store_true")
    args = parser.parse_args()

    expected = collections.Counter()
    rank = {}
    for index, path in enumerate(args.expected):
        for position, line in enumerate(read_lines(path)):
            expected[line] += 1
            rank.setdefault(line, (index, position))
    consumed = collections.Counter()
    out_of_order = 0
    last = {}
    total = 0
    for partition, offset, key, value, _ in sorted(read_dump(args.dump), key=lambda r: (r[0], r[1])):
        total += 1
        consumed[value] += 1
        if args.order_by_key and value in rank:
            slot = (partition, key)
            position = rank[value]
            if slot in last and position < last[slot]:
                out_of_order += 1
            last[slot] = max(last.get(slot, position), position)
    missing = sum(max(count - consumed[line], 0) for line, count in expected.items())
    duplicates = sum(max(count - expected[line], 0) for line, count in consumed.items() if line in expected)
    unexpected = sum(count for line, count in consumed.items() if line not in expected)
    report = {
        "expected": sum(expected.values()), "consumed": total, "missing": missing, "duplicates": duplicates,
        "unexpected": unexpected, "out_of_order": out_of_order,
    }
    print(json.dumps(report))
    sys.exit(1 if missing or unexpected or out_of_order else 0)


if __name__ == "__main__":
    main()
