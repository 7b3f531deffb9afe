#!/bin/sh
# Installs the private build engines' packages from Debian (root only). Idempotent: each part
# is skipped when it is already there.
#
# floor:   containerd, runc, tini, iptables, docker-registry, busybox-static and rsync from the
#          machine's own suite; docker.io, docker-cli and docker-buildx from trixie, installed
#          with dpkg (Docker 26.1, buildx 0.13).
# current: docker.io, docker-cli, docker-buildx, containerd, runc and docker-compose from forky
#          (Docker 28.5, buildx 0.29, containerd 2.1, Compose 2.40), unpacked with `dpkg -x` into
#          $DBUILD_TEST_ENGINES_DIR/forky (default /opt/dbuild-test-engines/forky) beside the floor
#          engine, never installed. Its bin/ (first in PATH) and cli-plugins/ (linked from a
#          DOCKER_CONFIG) select it. Forky's runc needs a newer glibc than some hosts have; there
#          the host's runc is used and bin/ has none.
#
# Each suite is fetched with a separate sources list so the machine's own lists stay as they are.
# `install.sh floor` or `install.sh current` installs one part; no argument installs both.
set -eu

which_part=${1:-all}
ENGINES=${DBUILD_TEST_ENGINES_DIR:-/opt/dbuild-test-engines}
FORKY=$ENGINES/forky

need_docker() { ! command -v dockerd >/dev/null 2>&1 || ! /usr/bin/docker buildx version >/dev/null 2>&1; }
need_base() {
  for b in containerd runc tini docker-registry rsync; do command -v "$b" >/dev/null 2>&1 || return 0; done
  [ -x /bin/busybox ] || return 0
  return 1
}
need_current() { [ ! -f "$FORKY/complete" ]; }

want_floor=false
want_current=false
case "$which_part" in
  floor) want_floor=true ;;
  current) want_current=true ;;
  all) want_floor=true want_current=true ;;
  *) echo "usage: install.sh [floor|current|all]" >&2; exit 2 ;;
esac
# The current engine runs on the floor engine's base packages (runc fallback, tini, registry, busybox).
todo_base=false todo_docker=false todo_current=false
if need_base; then todo_base=true; fi
if $want_floor && need_docker; then todo_docker=true; fi
if $want_current && need_current; then todo_current=true; fi
if ! $todo_base && ! $todo_docker && ! $todo_current; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "dbuild test engine: missing packages and not root; run test/engine/install.sh as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if $todo_base; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends containerd runc tini iptables docker-registry busybox-static rsync ca-certificates >/dev/null
fi

debian_uri() {
  uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=$(sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\)[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  echo "$uri"
}

# download SUITE DIR PACKAGE...: downloads the packages' .debs from SUITE into DIR/debs, with
# a private sources list and private package lists (the machine's own stay as they are).
download() {
  suite=$1 work=$2
  shift 2
  mkdir -p "$work/lists/partial" "$work/debs"
  # apt's _apt user fetches the lists: it must be able to enter the directory.
  chmod 755 "$work"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$(debian_uri)" "$suite" >"$work/sources.list"
  opts="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$work/lists -o APT::Get::List-Cleanup=0"
  # shellcheck disable=SC2086
  apt-get $opts update -qq
  # shellcheck disable=SC2086
  (cd "$work/debs" && apt-get $opts download "$@" >/dev/null 2>"$work/download.log") || {
    cat "$work/download.log" >&2
    return 1
  }
}

if $todo_docker; then
  work=$(mktemp -d)
  download trixie "$work" docker.io docker-cli docker-buildx
  # No init system runs here, so the package's service units start nothing.
  if ! dpkg --force-confold -i "$work"/debs/*.deb >"$work/dpkg.log" 2>&1; then
    cat "$work/dpkg.log" >&2
    echo "dbuild test engine: dpkg could not install docker.io, docker-cli and docker-buildx" >&2
    exit 1
  fi
  rm -rf "$work"
  /usr/bin/docker buildx version >/dev/null
fi

if $todo_current; then
  mkdir -p "$ENGINES"
  work=$(mktemp -d "$ENGINES/forky.partial.XXXXXX")
  download forky "$work" docker.io docker-cli docker-buildx containerd runc docker-compose
  new=$work/forky
  mkdir -p "$new/root" "$new/bin" "$new/cli-plugins"
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$new/root"; done
  for b in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/docker usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/bin/ctr; do
    ln -s "../root/$b" "$new/bin/$(basename "$b")"
  done
  if "$new/root/usr/sbin/runc" --version >/dev/null 2>&1; then
    ln -s ../root/usr/sbin/runc "$new/bin/runc"
  else
    echo "dbuild test engine: forky's runc does not run on this host ($("$new/root/usr/sbin/runc" --version 2>&1 | head -n1)); the current engine uses the host's runc" >&2
  fi
  ln -s ../root/usr/libexec/docker/cli-plugins/docker-buildx "$new/cli-plugins/docker-buildx"
  ln -s ../root/usr/libexec/docker/cli-plugins/docker-compose "$new/cli-plugins/docker-compose"
  for b in dockerd docker containerd; do "$new/bin/$b" --version >/dev/null; done
  for deb in "$work"/debs/*.deb; do dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"; done >"$new/complete"
  rm -rf "$FORKY"
  mv "$new" "$FORKY"
  rm -rf "$work"
fi
