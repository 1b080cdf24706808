#!/usr/bin/env bash
# Makes the local base image the CPU images build on, without a container registry: a minimal
# Debian bookworm tree from debootstrap, plus this host's Node.js (bookworm's own nodejs is 18, and
# the project needs >= 20.3), imported with `docker import`. Prints the image name. An image that
# already exists for this Node version is reused, so only the first run pays (minutes, see
# BENCHMARKS.md). Needs root (debootstrap, docker).
set -euo pipefail

suite="${CALLSCRIBE_BASE_SUITE:-bookworm}"
mirror="${CALLSCRIBE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
node_bin="$(command -v node)"
node_version="$("$node_bin" -p process.versions.node)"
image="callscribe-base:${suite}-node${node_version}"

# Bumped when the recipe changes what containers see, so an image made by an older one is remade.
# 2: "/" is 0755 (mktemp made it 0700, so no non-root user could reach anything in the image).
recipe=2
if [ "$(docker image inspect -f '{{index .Config.Labels "callscribe.base-recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
  echo "$image"
  exit 0
fi

# npm ships beside the node binary in every official layout (tarball, nodesource deb).
npm_dir="$(cd "$(dirname "$(readlink -f "$node_bin")")/../lib/node_modules/npm" && pwd)"
rootfs="$(mktemp -d "${TMPDIR:-/var/tmp}/callscribe-rootfs.XXXXXX")"
# mktemp's folder is 0700, and it becomes the image's "/": a non-root container user could not even
# find node.
chmod 0755 "$rootfs"
trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT

log="$rootfs.log"
echo "base image: debootstrap $suite into $rootfs (log: $log)" >&2
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$log" 2>&1 || {
  tail -20 "$log" >&2
  exit 1
}
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# The image trusts what this host trusts, as its Node and npm come from here too: behind a
# TLS-inspecting proxy (a company's, or this project's build machines') npm reaches its registry only
# with the locally added CAs. They go where Debian's ca-certificates picks them up again when a build
# installs it; the host's bundle stands in for /etc/ssl/certs until then.
if [ -d /usr/local/share/ca-certificates ]; then
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
fi
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
fi
# Keep the image small (vfs copies every layer whole): apt lists and caches are refetched on build.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "LABEL callscribe.base-recipe=$recipe" \
  --change 'CMD ["node"]' - "$image" >&2
echo "$image"
