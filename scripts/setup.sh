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
