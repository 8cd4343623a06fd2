#!/usr/bin/env bash
# The producer library's documentation: DocC builds it without a warning (--warnings-as-errors), and every public
# symbol has a doc comment (scripts/check-docs.py over the symbol graphs DocC was built from).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/ferry-docc.XXXXXX)
trap 'rm -rf "$out"' EXIT
if ! swift package --allow-writing-to-directory "$out" generate-documentation --target KafkaProducer \
    --output-path "$out/KafkaProducer.doccarchive" --warnings-as-errors >"$out/docc.log" 2>&1; then
    grep -v -E '^\[[0-9]+/[0-9]+\]' "$out/docc.log"
    echo "DocC failed on the KafkaProducer documentation (warnings count as errors)"
    exit 1
fi
echo "DocC: KafkaProducer documentation built without warnings"
python3 scripts/check-docs.py .build/*/extracted-symbols/*/KafkaProducer/*.symbols.json
