#!/usr/bin/env python3
"""Signs in N members on a running local runner (e-mail links read from its outbox) and prints one
session token per line: the load benchmark's credentials (scripts/load.sh). Standard library only."""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, n = sys.argv[1], int(sys.argv[2])


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read() or b"null")


def register(i):
    status, _ = call("POST", "/api/register", {"email": f"load{i}@example.org", "first_name": "Camille",
                                               "postal_code": "75011", "community": "citizen", "consent": True})
    assert status == 202, status


with ThreadPoolExecutor(8) as pool:
    list(pool.map(register, range(n)))
_, mails = call("GET", "/api/_local/outbox")
verify = {}
for m in mails:
    for link in m["links"]:
        if link["purpose"] == "verify":
            verify[m["to"]] = link["url"].split("#", 1)[1]


def confirm(i):
    _, body = call("POST", "/api/confirm", {"token": verify[f"load{i}@example.org"]})
    return body["session"]


with ThreadPoolExecutor(8) as pool:
    for session in pool.map(confirm, range(n)):
        print(session)
