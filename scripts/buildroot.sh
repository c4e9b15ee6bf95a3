#!/usr/bin/env bash
# Create (or reuse) the build root: Debian trixie + trixie-backports made by
# mmdebstrap. Prints its path. The kernel build and the VM run inside it.
. "$(dirname "$0")/lib.sh"

root=$(root_dir)
if [ -e "$root/.complete" ]; then echo "$root"; exit 0; fi

command -v mmdebstrap >/dev/null || {
	log "installing mmdebstrap on the host"
	apt-get update -qq && apt-get install -y -qq mmdebstrap >/dev/null
}
# Stale roots (other keys) are removed: only the current one is kept.
for old in "$RPC_CACHE"/root-*; do
	[ -e "$old" ] && [ "$old" != "$root" ] || continue
	log "removing stale build root $old"
	for m in src cache dev/pts dev sys proc; do umount -R "$old/$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$old"
done

pkgs=$(sed 's/#.*//' "$REPO/scripts/packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
log "creating build root $root (Debian trixie + backports, about 2-4 min)"
start=$SECONDS
rm -rf "$root.tmp"
mmdebstrap --variant=apt --components=main --include="$pkgs" \
	--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	--aptopt='APT::Install-Recommends "false"' \
	trixie "$root.tmp" \
	"deb http://deb.debian.org/debian trixie main" \
	"deb http://deb.debian.org/debian trixie-updates main" \
	"deb http://deb.debian.org/debian trixie-backports main" >&2
mv "$root.tmp" "$root"
touch "$root/.complete"
log "build root ready in $((SECONDS - start)) s"
echo "$root"
