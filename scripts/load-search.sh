#!/usr/bin/env bash
# Load benchmark of the directory search (issue 13; figures: docs/PERFORMANCE.md): a fresh local runner
# pinned to core 0 with PERKS perks around Paris (all within 10 km of 75011), then GET /api/businesses
# around 75011 within 10 km — a closed loop with wrk pinned to core 1 (one thread, CONNS connections,
# SECS seconds), then, with the pacer, a fixed rate at twice the closed loop's rate for 10 s (every
# request must be answered within 2 s, served or refused with 503).
#   cargo build --release --bin entraide --example pacer
#   bash scripts/load-search.sh [path/to/entraide] [perks] [connections] [seconds]
# RATE=N skips the closed loop and paces N requests a second instead of twice its rate. PACER_ARGS adds
# flags to the pacer (e.g. "--timeline-ms 250" for a line per 250 ms on standard error).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/entraide}
PERKS=${2:-200}
CONNS=${3:-32}
SECS=${4:-10}
PACER=${PACER:-target/release/examples/pacer}
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
source scripts/load/server.sh
python3 scripts/load/members.py "$BASE" $(((PERKS + 99) / 100)) > "$DATA/sessions"
python3 scripts/load/perks.py "$BASE" "$DATA/sessions" "$PERKS"
RATE=${RATE:-}
if [[ -z "$RATE" ]]; then
  echo "== $BIN: closed loop, GET /api/businesses (75011, 10 km, $PERKS perks), $CONNS connections, ${SECS} s"
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s scripts/load/search.lua "$BASE" | tee "$DATA/closed"
  RATE=$(($(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$DATA/closed") * 2))
fi
if [[ -x "$PACER" ]]; then
  echo "== $BIN: fixed rate $RATE/s, GET /api/businesses, 10 s"
  taskset -c 1 "$PACER" "$BASE" --rate "$RATE" --secs 10 --path "/api/businesses?postal_code=75011&radius_km=10" --timeout-ms 2000 ${PACER_ARGS:-}
else
  echo "(no pacer at $PACER: cargo build --release --example pacer for the fixed-rate phase)"
fi
