#!/usr/bin/env bash
# Builds every function for AWS Lambda on arm64 (Graviton) with cargo-lambda and zig, and reports each
# package's size. Needs the crate registry and PyPI (first run); safe to run twice.
#   bash scripts/package.sh            → target/lambda/<function>/bootstrap.zip (the arm64 bootstrap, zipped)
# `sam build` does the same per function (BuildMethod: rust-cargolambda) before `sam deploy`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv-lambda/bin/cargo-lambda ]; then
  python3 -m venv .venv-lambda
  .venv-lambda/bin/pip install --quiet cargo-lambda==1.9.2 ziglang==0.15.2
fi
export PATH="$PWD/.venv-lambda/bin:$PATH"
rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' || rustup target add aarch64-unknown-linux-gnu

functions=$(ls functions)
args=()
for f in $functions; do
  # The package of functions/match is match-offers (match is a Rust keyword); its binary is match.
  pkg=$(sed -n 's/^name = "\(.*\)"/\1/p' "functions/$f/Cargo.toml" | head -1)
  args+=(--package "$pkg")
done
cargo lambda build --release --arm64 --locked --output-format zip "${args[@]}"

echo
printf '%-20s %14s %14s\n' function "binary (MB)" "zip (MB)"
for f in $functions; do
  bin=target/aarch64-unknown-linux-gnu/release/$f
  zip=target/lambda/$f/bootstrap.zip
  printf '%-20s %14.1f %14.1f\n' "$f" "$(($(stat -c %s "$bin") / 100000))e-1" "$(($(stat -c %s "$zip") / 100000))e-1"
done
