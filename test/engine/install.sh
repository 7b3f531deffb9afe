#!/bin/sh
# Installs the private build engine's packages from Debian (root only):
# containerd, runc, tini, iptables, docker-registry, busybox-static and rsync from
# the machine's own suite; docker.io, docker-cli and docker-buildx from trixie,
# fetched with a separate sources list so the machine's own lists stay as they are.
set -eu

need_docker() { ! command -v dockerd >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; }
need_base() {
  for b in containerd runc tini docker-registry rsync; do command -v "$b" >/dev/null 2>&1 || return 0; done
  [ -x /bin/busybox ] || return 0
  return 1
}

if ! need_docker && ! need_base; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "dbuild test engine: missing packages and not root; install docker.io, docker-buildx and docker-registry" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends containerd runc tini iptables docker-registry busybox-static rsync ca-certificates >/dev/null

if need_docker; then
  # Derive a trixie list from the machine's own Debian entry (same archive).
  uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=$(sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\)[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/debs"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' "$uri" >"$work/trixie.list"
  opts="-o Dir::Etc::SourceList=$work/trixie.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$work/lists -o APT::Get::List-Cleanup=0"
  # shellcheck disable=SC2086
  apt-get $opts update -qq
  # shellcheck disable=SC2086
  (cd "$work/debs" && apt-get $opts download docker.io docker-cli docker-buildx >/dev/null)
  # No init system runs here, so the package's service units start nothing.
  if ! dpkg --force-confold -i "$work"/debs/*.deb >"$work/dpkg.log" 2>&1; then
    cat "$work/dpkg.log" >&2
    echo "dbuild test engine: dpkg could not install docker.io, docker-cli and docker-buildx" >&2
    exit 1
  fi
  rm -rf "$work"
fi
docker buildx version >/dev/null
