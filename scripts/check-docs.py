#!/usr/bin/env python3
"""Lists the public symbols of a module's symbol graphs (the module's own, and its extensions of other
modules' types) that have no doc comment of their own.

A symbol counts as documented when it has a doc comment, or when it implements a protocol requirement or
overrides something (DocC shows the inherited documentation then: `description`, `next()`...). Exits 1 when
any public symbol is undocumented, naming each with its file and line.
"""
import json
import sys

graphs = [json.load(open(path)) for path in sys.argv[1:]]
inherits = set()
for relation in [r for graph in graphs for r in graph.get("relationships", [])]:
    if relation.get("kind") in ("requirementOf", "optionalRequirementOf", "overrides"):
        continue
    if relation.get("kind") == "memberOf" and relation.get("sourceOrigin"):
        inherits.add(relation["source"])  # a default implementation or conformance: documented by its origin
missing = []
public = 0
for symbol in [s for graph in graphs for s in graph["symbols"]]:
    if symbol.get("accessLevel") not in ("public", "open"):
        continue
    public += 1
    precise = symbol["identifier"]["precise"]
    if symbol.get("docComment") or precise in inherits:
        continue
    location = symbol.get("location", {})
    where = f'{location.get("uri", "?").split("/work/main/")[-1].replace("file://", "")}:{location.get("position", {}).get("line", 0) + 1}'
    missing.append(f'{where}: {symbol["kind"]["displayName"]} {".".join(symbol["pathComponents"])}')
print(f"{public} public symbols, {len(missing)} without documentation")
for line in sorted(missing):
    print("  " + line)
sys.exit(1 if missing else 0)
