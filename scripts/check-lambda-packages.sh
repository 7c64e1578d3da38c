#!/usr/bin/env bash
# What `sam build` does for each function, on the x86_64 debug build the test command already has:
# from the function's `CodeUri` in infra/template.yaml, cargo must find the package and build the
# binary the template names (`BuildProperties.Binary`), and that package's normal dependency tree must
# hold none of the local-only pieces (rusqlite: the embedded store and the outbox); and the library
# built that way has no warning.
# Run by scripts/test.sh; run it alone with `bash scripts/check-lambda-packages.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
template=infra/template.yaml
n=0
# Each function block names its binary, then its CodeUri (relative to the template's folder).
while read -r binary code_uri; do
  dir="$root/infra/$code_uri"
  [ -f "$dir/Cargo.toml" ] || { echo "$binary: CodeUri $code_uri has no Cargo.toml" >&2; exit 1; }
  (cd "$dir" && cargo build --locked --quiet --bin "$binary") || { echo "$binary: cargo cannot build it from $code_uri" >&2; exit 1; }
  if (cd "$dir" && cargo tree --locked --edges normal --prefix none) | grep -q '^rusqlite '; then
    echo "$binary: rusqlite is in the normal dependency tree of $code_uri" >&2
    exit 1
  fi
  echo "$binary: builds from $code_uri, without rusqlite"
  n=$((n + 1))
done < <(awk '/^  [A-Za-z]/ {b=""} /Binary:/ {b=$2} /CodeUri:/ && b != "" {print b, $2; b=""}' "$template")
[ "$n" -gt 0 ] || { echo "no function found in $template" >&2; exit 1; }
# The lean build of the library (no embedded store, no demo, no test kit) is linted too: the workspace
# lint sees it only with every feature on.
(cd functions/register && cargo clippy --locked --quiet -- -D warnings)
echo "$n functions resolve and build from their CodeUri"
