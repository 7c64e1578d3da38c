#!/usr/bin/env bash
# Load benchmark of the local runner's write path (issue 13): POST /api/offers in a closed loop with wrk,
# on a fresh data directory, the server pinned to core 0 and wrk to core 1 (figures: docs/PERFORMANCE.md).
#   bash scripts/load.sh [path/to/entraide] [members] [connections] [seconds]
# Each member may hold 20 open posts: the members (signed in first, through the outbox) must number at
# least the offers the run will post divided by 20, or the surplus is refused (409) and counted by wrk as
# non-2xx answers. Needs wrk (Debian: apt-get install wrk) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/entraide}
MEMBERS=${2:-3000}
CONNS=${3:-64}
SECS=${4:-10}
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
DATA=$(mktemp -d)
RUST_LOG=${RUST_LOG:-info} taskset -c 0 "$BIN" --port 0 --data-dir "$DATA" --match-every 86400 > "$DATA/out" 2> "$DATA/log" &
PID=$!
trap 'kill "$PID" 2> /dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 300); do grep -q "http://127.0.0.1:" "$DATA/out" && break; sleep 0.1; done
BASE=$(grep -o "http://127.0.0.1:[0-9]*" "$DATA/out" | head -1)
python3 scripts/load/members.py "$BASE" "$MEMBERS" > "$DATA/sessions"
echo "== $BIN: POST /api/offers, $CONNS connections, ${SECS} s, $MEMBERS members"
SESSIONS="$DATA/sessions" taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s scripts/load/offers.lua "$BASE"
