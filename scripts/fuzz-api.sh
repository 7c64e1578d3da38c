#!/usr/bin/env bash
# Validates the OpenAPI document and fuzzes the API of the real binary with schemathesis: no server
# error, and no status, content type or body that contradicts the document. Called by run-tests-with-
# services.sh; needs the venv made by test.sh (.venv) and a built target/debug/entraide.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
art=$root/tests/artifacts/schemathesis
rm -rf "$art" && mkdir -p "$art"
venv=$root/.venv/bin
data=$(mktemp -d)
port=${ENTRAIDE_FUZZ_PORT:-18300}

"$venv/openapi-spec-validator" shared/data/openapi.json

# The fuzzing member is a moderator, so the moderation routes are exercised past their 403.
env -u DYNAMODB_ENDPOINT -u SES_ENDPOINT MODERATOR_EMAILS=fuzz@example.org "$root/target/debug/entraide" --port "$port" --data-dir "$data" >"$art/server.out" 2>"$art/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 1 60); do curl -fsS "$base/api/taxonomy" >/dev/null 2>&1 && break; sleep 0.5; done

# A signed-in member, so the operations behind a session are fuzzed too.
curl -fsS -XPOST "$base/api/register" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.org","first_name":"Fuzz","postal_code":"75011","community":"health","consent":true}' >/dev/null
token=$(curl -fsS "$base/api/_local/outbox" | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["links"][0]["url"].split("#")[1])')
session=$(curl -fsS -XPOST "$base/api/confirm" -H 'content-type: application/json' -d "{\"token\":\"$token\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])')

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() { # name, extra args…
  local name=$1; shift
  "$venv/schemathesis" run "$base/api/openapi.json" --checks "$checks" -H "Authorization: Bearer $session" \
    --no-color --seed 20261121 --report junit --report-junit-path "$art/$name.xml" "$@" 2>&1 | tee "$art/$name.log"
}
# Erasing the member ends the session: everything else first, erasure alone and last.
run all-but-erase --exclude-operation-id eraseMe
run erase --include-operation-id eraseMe
