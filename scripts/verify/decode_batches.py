#!/usr/bin/env python3
"""Decode Kafka v2 record batches with kafka-python's decoder (an implementation that is not Ferry's).

Usage: decode_batches.py FILE
FILE holds record batches back to back, as a Produce request carries them. Prints one JSON document:
{"batches": [{header fields..., "crc_valid": bool, "records": [{"offset", "timestamp", "key", "value",
"headers"}]}]} with keys, values and header values as hex (null stays null).
"""
import json
import sys

from kafka.record.memory_records import MemoryRecords


def hexify(value):
    return None if value is None else bytes(value).hex()


def main():
    data = open(sys.argv[1], "rb").read()
    records = MemoryRecords(data)
    batches = []
    while True:
        batch = records.next_batch()
        if batch is None:
            break
        entry = {
            "base_offset": batch.base_offset,
            "magic": batch.magic,
            "attributes": batch.attributes,
            "compression": batch.compression_type,
            "last_offset_delta": batch.last_offset_delta,
            "first_timestamp": batch.first_timestamp,
            "max_timestamp": batch.max_timestamp,
            "producer_id": batch.producer_id,
            "producer_epoch": batch.producer_epoch,
            "base_sequence": batch.base_sequence,
            "records_count": batch.records_count,
            "crc": batch.crc,
            "crc_valid": batch.validate_crc(),
            "records": [],
        }
        for record in batch:
            entry["records"].append({
                "offset": record.offset,
                "timestamp": record.timestamp,
                "key": hexify(record.key),
                "value": hexify(record.value),
                "headers": [[k, hexify(v)] for k, v in record.headers],
            })
        batches.append(entry)
    json.dump({"batches": batches, "valid_bytes": records.valid_bytes()}, sys.stdout)


if __name__ == "__main__":
    main()
