#!/usr/bin/env python3
"""Builds shared/data/fr-postal-population.csv: the population behind each postal code.

Source: the communes of the official geographic code, npm package @etalab/decoupage-administratif 6.0.0
(Licence Ouverte / Etalab 2.0). Get it with:  npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf *.tgz
then run:  python3 scripts/data/postal-population.py package/data/communes.json > shared/data/fr-postal-population.csv

A commune's population is split evenly over its postal codes. Paris, Lyon and Marseille are counted by
municipal arrondissement (their parent commune is skipped so nobody is counted twice). Only postal codes
present in shared/data/fr-postal-codes.csv are written.
"""
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

communes = json.load(open(sys.argv[1], encoding="utf-8"))
known = {row["cp"] for row in csv.DictReader(open(Path(__file__).resolve().parents[2] / "shared/data/fr-postal-codes.csv"))}
with_arrondissements = {c["commune"] for c in communes if c.get("type") == "arrondissement-municipal" and c.get("commune")}
population = defaultdict(float)
for c in communes:
    if c.get("type") not in ("commune-actuelle", "arrondissement-municipal"):
        continue
    if c.get("type") == "commune-actuelle" and c["code"] in with_arrondissements:
        continue
    codes = [cp for cp in c.get("codesPostaux", []) if cp in known]
    for cp in codes:
        population[cp] += (c.get("population") or 0) / len(codes)
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["cp", "population"])
for cp in sorted(known):
    out.writerow([cp, round(population.get(cp, 0))])
