#!/usr/bin/env python3
"""Posts N perks around Paris (postal codes 75001-75020, round robin) on a running local runner, with the
sessions of a file from members.py (up to 100 perks each), so that a search from 75011 within 10 km finds
them all: the search benchmark's data (scripts/load-search.sh). Standard library only."""
import json
import sys
import urllib.request

base, sessions_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sessions = open(sessions_file).read().split()
categories = ["restaurant", "food", "leisure", "sport", "services", "shopping"]
for i in range(n):
    body = {"kind": "perk", "business_name": f"Commerce {i}", "postal_code": f"750{i % 20 + 1:02d}",
            "category": categories[i % len(categories)], "perk": "Une remise pour la communauté",
            "communities": ["health", "firefighters"]}
    req = urllib.request.Request(base + "/api/offers", data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "authorization": "Bearer " + sessions[i // 100]})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 201, r.status
