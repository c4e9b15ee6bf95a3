# Shared helpers for the rust_pagecache scripts. Sourced, not run.
#
# Caches live outside the repository in one folder, $RPC_CACHE (default
# /var/cache/rust_pagecache). Every cached artefact is keyed by a hash of its
# inputs: a changed input rebuilds what depends on it, a missing artefact is
# rebuilt, an unchanged one is reused.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RPC_CACHE=${RPC_CACHE:-/var/cache/rust_pagecache}
KVER_MAJOR=7.3
mkdir -p "$RPC_CACHE"

log() { printf '[rpc %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# hash_of FILE...: a short stable hash of the contents of the given files.
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# Build root: Debian trixie + trixie-backports, made by mmdebstrap.
ROOT_INPUTS=("$REPO/scripts/buildroot.sh" "$REPO/scripts/packages.txt")
root_key() { hash_of "${ROOT_INPUTS[@]}"; }
root_dir() { echo "$RPC_CACHE/root-$(root_key)"; }

# in_root CMD...: run CMD inside the build root, with /proc, /sys, /dev bound
# in, the repository at /src and the cache folder at /cache. The mounts are
# made in a private mount namespace, so nothing is left behind on the host and
# two clones of the repository never see each other's /src.
# RPC_ROOT_BINDS="host:inroot ..." adds read-only file binds (for the VM).
in_root() {
	local root; root=$(root_dir)
	[ -e "$root/.complete" ] || die "build root missing: run scripts/buildroot.sh"
	mkdir -p "$root/src" "$root/cache"
	unshare --mount --propagation private /bin/sh -ec '
		root=$1; repo=$2; cache=$3; binds=$4; shift 4
		for m in proc sys dev; do mount --rbind "/$m" "$root/$m"; done
		mount --bind "$repo" "$root/src"
		mount --bind "$cache" "$root/cache"
		for b in $binds; do
			mount --bind "${b%%:*}" "$root/${b#*:}"
			mount -o remount,bind,ro "$root/${b#*:}"
		done
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 CI="${CI:-}" "$@"' in_root "$root" "$REPO" "$RPC_CACHE" "${RPC_ROOT_BINDS:-}" "$@"
}
