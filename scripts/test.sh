#!/usr/bin/env bash
# The whole test suite: generated-code drift, types, unit tests, and end-to-end tests in the netns lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npm test --silent
