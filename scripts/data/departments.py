#!/usr/bin/env python3
"""Writes web/departments.json: each department's mean postal-code point, for the statistics map.

Derived from shared/data/fr-postal-codes.csv (see shared/data/README.md for its source and licence).
Run from the repository root: python3 scripts/data/departments.py
"""
import csv
import json
from collections import defaultdict

points = defaultdict(list)
with open("shared/data/fr-postal-codes.csv", newline="") as f:
    for row in csv.DictReader(f):
        if row["lat"] and row["lon"]:
            points[row["dept"]].append((float(row["lat"]), float(row["lon"])))
out = {
    dept: [round(sum(p[0] for p in pts) / len(pts), 3), round(sum(p[1] for p in pts) / len(pts), 3)]
    for dept, pts in sorted(points.items())
}
with open("web/departments.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print(f"{len(out)} departments")
