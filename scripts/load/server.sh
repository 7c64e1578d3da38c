# Sourced by scripts/load.sh and scripts/load-search.sh: starts $BIN on a fresh data directory, pinned to
# core 0, never matching on its own; sets DATA, PID and BASE (its URL), and stops it on exit.
DATA=$(mktemp -d)
RUST_LOG=${RUST_LOG:-info} taskset -c 0 "$BIN" --port 0 --data-dir "$DATA" --match-every 86400 > "$DATA/out" 2> "$DATA/log" &
PID=$!
trap 'kill "$PID" 2> /dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 300); do grep -q "http://127.0.0.1:" "$DATA/out" && break; sleep 0.1; done
BASE=$(grep -o "http://127.0.0.1:[0-9]*" "$DATA/out" | head -1)
[[ -n "$BASE" ]] || { echo "the server did not start:" >&2; cat "$DATA/log" >&2; exit 1; }
