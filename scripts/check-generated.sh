#!/usr/bin/env bash
# Fails when shared/src/gen drifts from proto/: lints the protos, regenerates into a temp dir, compares.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
buf lint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
buf generate --output "$tmp"
if ! diff -r "$tmp/shared/src/gen" shared/src/gen; then
  echo "check-generated: shared/src/gen is out of date with proto/; run 'npm run generate' and commit" >&2
  exit 1
fi
echo "check-generated: generated code matches proto/"
