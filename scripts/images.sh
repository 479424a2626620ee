#!/usr/bin/env bash
# Builds the netsentry container images for real with Debian's podman and runc, from the
# Dockerfiles as they are, on a LOCAL STAND-IN for node:24-bookworm-slim (no container
# registry is reachable here): a minimal Debian bookworm root from Debian's packages
# (debootstrap --variant=minbase, slimmed as debian:bookworm-slim is) plus Node 24 from the
# `node` npm package (the one `npm ci` put in node_modules) and npm from the `npm` package,
# imported and tagged node:24-bookworm-slim. Unlike the official image, the stand-in carries
# this machine's CA bundle and its npm and apt settings, because the build steps reach the
# package registries and their TLS is re-signed here by a local CA.
#
#   sudo bash scripts/images.sh          build (or reuse) the base stand-in and both images
#   sudo bash scripts/images.sh test     build, then run test/images (containers in the netns lab)
#   sudo bash scripts/images.sh clean    remove every container and image it made, and its store
#
# Everything lives in a podman store of its own (scripts/images/storage.conf), so the stand-in
# never shadows a real node:24-bookworm-slim and `clean` touches nothing else. To use the
# images by hand: export CONTAINERS_CONF=$PWD/scripts/images/containers.conf
# CONTAINERS_STORAGE_CONF=$PWD/scripts/images/storage.conf, then podman images / run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CONTAINERS_CONF=$repo/scripts/images/containers.conf
export CONTAINERS_STORAGE_CONF=$repo/scripts/images/storage.conf
store_root=/var/lib/netsentry-images
run_root=/run/netsentry-images
base_image=localhost/node:24-bookworm-slim
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
agent_image=localhost/netsentry-agent:$version
collector_image=localhost/netsentry-collector:$version
debian_mirror=${NETSENTRY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { echo "images: $*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "images: podman here runs as root (the lab's network namespaces too); re-run with sudo" >&2
  exit 1
fi

install_tools() {
  # runc, not crun: crun refuses this machine's hybrid cgroup layout. Named explicitly so apt
  # does not pick crun for podman's "crun | runc" dependency.
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    local started=$SECONDS
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    say "installed in $((SECONDS - started)) s"
  fi
}

node_version() { "$repo/node_modules/.bin/node" --version | sed 's/^v//'; }

base_is_current() {
  podman image exists "$base_image" || return 1
  [[ $(podman image inspect --format '{{ index .Labels "org.netsentry.stand-in.node-version" }}' "$base_image") == "$(node_version)" ]]
}

build_base() {
  if base_is_current; then
    say "base: $base_image (local stand-in, Node $(node_version)) already built"
    return
  fi
  local rootfs started=$SECONDS
  rootfs=$(mktemp -d /var/tmp/netsentry-base-XXXXXX)
  # debootstrap mounts /proc and /sys inside the root while it runs; never delete through them.
  trap 'umount -q "'"$rootfs"'/proc" "'"$rootfs"'/sys" 2>/dev/null || true; rm -rf --one-file-system "'"$rootfs"'"' EXIT
  say "base: debootstrap --variant=minbase bookworm from $debian_mirror (a few minutes)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$debian_mirror" >"$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    exit 1
  fi
  rm -f "$rootfs.log"

  # Slim as debian:bookworm-slim: no docs, man pages or locales, now or from later installs.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname" # podman provides both

  # This machine's apt settings and Debian sources (e.g. a snapshot mirror needs
  # Check-Valid-Until false) and its CA bundle: the stand-in's build steps reach the registries
  # the way this machine does.
  cp -a /etc/apt/apt.conf.d/. "$rootfs/etc/apt/apt.conf.d/"
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null || [[ -s /etc/apt/sources.list ]]; then
    rm -f "$rootfs/etc/apt/sources.list"
    [[ -s /etc/apt/sources.list ]] && cp /etc/apt/sources.list "$rootfs/etc/apt/"
    cp /etc/apt/sources.list.d/*.sources "$rootfs/etc/apt/sources.list.d/" 2>/dev/null || true
  fi
  mkdir -p "$rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

  # Node 24 as the official image has it: /usr/local/bin/node, npm under /usr/local/lib.
  install -m 0755 "$(readlink -f "$repo/node_modules/.bin/node")" "$rootfs/usr/local/bin/node"
  say "base: npm from the npm package into /usr/local"
  npm install --global --prefix "$rootfs/usr/local" --no-audit --no-fund --loglevel=error npm@11 >/dev/null
  mkdir -p "$rootfs/usr/local/etc"
  {
    echo "cafile=/etc/ssl/certs/ca-certificates.crt"
    echo "registry=$(npm config get registry)"
    echo "update-notifier=false"
  } >"$rootfs/usr/local/etc/npmrc"

  say "base: importing as $base_image (LOCAL STAND-IN for the official image, Node $(node_version))"
  podman image rm --force "$base_image" >/dev/null 2>&1 || true
  tar --numeric-owner -C "$rootfs" -cf - . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$(node_version)" \
    --change 'CMD ["node"]' \
    --change 'LABEL org.netsentry.stand-in=true' \
    --change "LABEL org.netsentry.stand-in.node-version=$(node_version)" \
    - "$base_image" >/dev/null
  umount -q "$rootfs/proc" "$rootfs/sys" 2>/dev/null || true
  rm -rf --one-file-system "$rootfs"
  trap - EXIT
  say "base: built in $((SECONDS - started)) s"
}

build_images() {
  local dockerfile image log started
  for pair in "Dockerfile.agent $agent_image" "Dockerfile.collector $collector_image"; do
    read -r dockerfile image <<<"$pair"
    say "building $image from $dockerfile (on the local stand-in base)"
    started=$SECONDS
    # --pull=never: the base exists only here. --network host: RUN steps reach the registries
    # as this machine does. Layers are cached in the store, so a rebuild is quick.
    log=$(mktemp /tmp/netsentry-images-build-XXXXXX.log)
    podman build --pull=never --network host --layers -f "$dockerfile" -t "$image" . >"$log" 2>&1 \
      || { tail -n 30 "$log" >&2; exit 1; }
    rm -f "$log"
    say "built $image in $((SECONDS - started)) s"
  done
  podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'netsentry-|node:24' | sed 's/^/images: /'
}

clean() {
  if command -v podman >/dev/null && [[ -d $store_root || -d $run_root ]]; then
    # Every container in this store was made by this script or test/images; by id, not by name.
    local ids id
    ids=$(podman ps --all --quiet)
    for id in $ids; do podman rm --force --ignore --depend --time 5 "$id" >/dev/null; done
    podman image rm --all --force >/dev/null 2>&1 || true
  fi
  # The overlay driver keeps its layer directory mounted (private bind); unmount, deepest first.
  findmnt -rn -o TARGET | { grep -E "^($store_root|$run_root)(/|$)" || true; } | sort -r | xargs -r -n1 umount -l
  rm -rf --one-file-system "$store_root" "$run_root"
  say "removed the images' store ($store_root) and everything in it"
}

case ${1:-build} in
  build)
    install_tools
    [[ -x node_modules/.bin/node ]] || bash scripts/setup.sh
    build_base
    build_images
    ;;
  test)
    install_tools
    bash scripts/setup.sh
    build_base
    build_images
    exec npm run --silent test:images
    ;;
  clean) clean ;;
  *)
    echo "usage: sudo bash scripts/images.sh [build|test|clean]" >&2
    exit 64
    ;;
esac
