#!/usr/bin/env bash
# The lab demo: a 4-node flannel VXLAN overlay in network namespaces, real agents and collector,
# then node-2 loses its overlay routes as in seed 002. Ctrl-C tears everything down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node_modules/.bin/node test/demo/demo.ts "$@"
