#!/usr/bin/env bash
# Reproduces what Dockerfile.agent and Dockerfile.collector put into /app, without a container
# engine (scripts/images.sh builds the real images with podman, in minutes), and runs it as uid 65534 in a private network
# namespace (`unshare --net`, loopback only, gone when the script ends): the collector must
# answer /healthz and /readyz, a host agent and a pod agent must connect, both must exit 0 on
# SIGTERM. It does not test the base image, apt-get or the Docker build itself.
# Needs root (setpriv, unshare). Usage: sudo bash scripts/image-layout-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
node=$(readlink -f node_modules/.bin/node)
work=$(mktemp -d /tmp/netsentry-image-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "image-smoke: deps stage (npm ci --omit=dev --ignore-scripts)"
mkdir -p "$work/deps"
cp package.json package-lock.json "$work/deps/"
(cd "$work/deps" && PATH="$(dirname "$node"):$PATH" npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)

for image in agent collector; do
  echo "image-smoke: build stage of $image (tsc over shared/src and $image/src only, as the Dockerfile copies)"
  build="$work/build-$image"
  mkdir -p "$build"
  cp package.json tsconfig.json tsconfig.build.json "$build/"
  # The context the .dockerignore allows: sources without tests and test data.
  tar -C "$repo" --exclude='*.test.ts' --exclude='*fixtures.ts' --exclude='testdata' -cf - shared/src "$image/src" | tar -C "$build" -xf -
  ln -s "$repo/node_modules" "$build/node_modules"
  (cd "$build" && "$node" node_modules/typescript/bin/tsc -p tsconfig.build.json)
  app="$work/app-$image"
  mkdir -p "$app/dist"
  cp package.json "$app/"
  cp -r "$work/deps/node_modules" "$app/"
  cp -r "$build/dist/shared" "$build/dist/$image" "$app/dist/"
done
cp "$node" "$work/node"
chmod -R a+rX,go-w "$work"
du -sh "$work/deps/node_modules" "$work/app-agent/dist" "$work/app-collector/dist" | sed 's/^/image-smoke: size /'

# Inside the namespace: every process started here is stopped by pid on exit.
timeout 90 unshare --net bash -s "$work" <<'EOF'
set -u
work=$1
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done' EXIT
ip link set lo up
as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups "$work/node")
"${as_nobody[@]}" "$work/app-collector/dist/collector/src/main.js" --grpc-listen 127.0.0.1:17443 --http-listen 127.0.0.1:18080 >"$work/collector.log" 2>&1 &
collector=$!; pids+=("$collector")
for _ in $(seq 1 100); do curl -sf 127.0.0.1:18080/readyz >/dev/null && break; sleep 0.2; done
health=$(curl -s 127.0.0.1:18080/healthz)
ready=$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:18080/readyz)
"${as_nobody[@]}" "$work/app-agent/dist/agent/src/main.js" --network pod --pod-ip 127.0.0.1 --collector 127.0.0.1:17443 --node-name smoke-pod --probe-listen 127.0.0.1:17946 --dns-server off >"$work/agent-pod.log" 2>&1 &
pod=$!; pids+=("$pod")
"${as_nobody[@]}" "$work/app-agent/dist/agent/src/main.js" --network host --overlay none --underlay-ip 127.0.0.1 --collector 127.0.0.1:17443 --node-name smoke-host --probe-listen 127.0.0.1:17947 >"$work/agent-host.log" 2>&1 &
host=$!; pids+=("$host")
connected=""
for _ in $(seq 1 50); do
  metrics=$(curl -s 127.0.0.1:18080/metrics)
  connected=$(grep -E '^netsentry_agents_connected\{network="(host|pod)"\} 1$' <<<"$metrics" | wc -l)
  [[ $connected == 2 ]] && break
  sleep 0.2
done
build_info=$(curl -s 127.0.0.1:18080/metrics | grep '^netsentry_build_info' || true)
kill -TERM "$pod" "$host"; wait "$pod"; pod_rc=$?; wait "$host"; host_rc=$?
kill -TERM "$collector"; wait "$collector"; collector_rc=$?
pids=()
echo "image-smoke: healthz=$health readyz=$ready agents connected=$connected/2 $build_info exit codes: pod=$pod_rc host=$host_rc collector=$collector_rc"
if [[ $health != '{"status":"ok"}' || $ready != 200 || $connected != 2 || $pod_rc != 0 || $host_rc != 0 || $collector_rc != 0 ]]; then
  tail -n 5 "$work"/*.log >&2
  exit 1
fi
EOF
echo "image-smoke: ok"
