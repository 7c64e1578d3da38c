#!/usr/bin/env bash
# Load benchmark of the local runner's write path (issue 13; figures: docs/PERFORMANCE.md). On a fresh
# data directory, the server pinned to core 0 and the load generators to core 1:
#   1. closed loop: wrk, one thread, CONNS connections, SECS seconds of POST /api/offers — the capacity C;
#   2. fixed rate at C/2 for SECS seconds (the latency a server at half load gives);
#   3. fixed rate at 2 C for 10 seconds (overload: every request must be answered within 2 s, served or
#      refused with 503).
# Phases 2 and 3 use the open-loop pacer (examples/pacer.rs): requests leave on schedule whatever the
# answers, and each latency counts from the moment the request was due.
#   cargo build --release --bin entraide --example pacer
#   bash scripts/load.sh [path/to/entraide] [members] [connections] [seconds]
# Each member may hold 20 open posts, so the members (signed in first, through the outbox) must number at
# least the offers of the three phases divided by 20 (about 4.5 C for SECS = 10), or the surplus is
# refused (409, counted as non-2xx by wrk, as "other" by the pacer). Needs wrk (Debian: apt-get install
# wrk) and python3. PHASES="closed" runs the closed loop only; RATE=N skips it and paces around N;
# PACER_WRAP="/usr/bin/time" reports the pacer's own CPU time (it must not be the bottleneck).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/entraide}
MEMBERS=${2:-12000}
CONNS=${3:-64}
SECS=${4:-10}
PACER=${PACER:-target/release/examples/pacer}
PHASES=${PHASES:-closed half double}
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
[[ "$PHASES" == closed ]] || [[ -x "$PACER" ]] || { echo "build the pacer first: cargo build --release --example pacer" >&2; exit 1; }
source scripts/load/server.sh
python3 scripts/load/members.py "$BASE" "$MEMBERS" > "$DATA/sessions"
BODY='{"kind":"help","help_type":"groceries","postal_codes":["75011"],"radius_km":5,"capacity":1}'
RATE=${RATE:-}
if [[ -z "$RATE" ]]; then
  echo "== $BIN: closed loop, POST /api/offers, $CONNS connections, ${SECS} s, $MEMBERS members"
  SESSIONS="$DATA/sessions" taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s scripts/load/offers.lua "$BASE" | tee "$DATA/closed"
  RATE=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$DATA/closed")
fi
pace() {
  echo "== $BIN: fixed rate $1/s, POST /api/offers, $2 s"
  ${PACER_WRAP:-} taskset -c 1 "$PACER" "$BASE" --rate "$1" --secs "$2" --method POST --path /api/offers --body "$BODY" --sessions "$DATA/sessions" --timeout-ms 2000
}
for phase in $PHASES; do
  case $phase in
    half) pace $((RATE / 2)) "$SECS" ;;
    double) pace $((RATE * 2)) 10 ;;
  esac
done
