#!/usr/bin/env bash
# Build (or reuse) the fstests (xfstests) suite for the test VM: the public
# source tarball, patched with fstests/rust_pagecache.patch (the FSTYP
# rust_pagecache beside tmpfs's special cases), built in the build root.
# The built tree is packed as one tar for the guest to unpack into its /tmp
# (a file-by-file copy from the VM's 9p root takes minutes). Prints the tar's
# path: $RPC_CACHE/fstests-<hash>/xfstests.tar.
#   scripts/fstests-build.sh
# RPC_FSTESTS_TARBALL: the source (default
# /work/shared/fstests/xfstests-63a29724.tar.xz, `git archive --prefix=xfstests/`).
# The build is keyed by the tarball, the patch, this script and the build root.
. "$(dirname "$0")/lib.sh"

tarball=${RPC_FSTESTS_TARBALL:-/work/shared/fstests/xfstests-63a29724.tar.xz}
patch="$REPO/fstests/rust_pagecache.patch"
[ -r "$tarball" ] || die "fstests source $tarball missing: set RPC_FSTESTS_TARBALL to the xfstests tarball (git archive --prefix=xfstests/ of fstests)"
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
key=$( (cat "$tarball" "$patch" "$REPO/scripts/fstests-build.sh"; root_key) | sha256sum | cut -c1-16)
dir="$RPC_CACHE/fstests-$key"
if [ -e "$dir/.complete" ]; then echo "$dir/xfstests.tar"; exit 0; fi

# Stale builds: fstests-<16 hex digits> only (fstests-out/ holds results).
for old in "$RPC_CACHE"/fstests-????????????????; do
	[ -e "$old" ] && [ "$old" != "$dir" ] || continue
	case ${old##*/fstests-} in *[!0-9a-f]*) continue ;; esac
	log "removing stale fstests build $old"; rm -rf "$old"
done

rm -rf "$dir"; mkdir -p "$dir"
cp "$tarball" "$dir/src.tar.xz"
cp "$patch" "$dir/rust_pagecache.patch"
inside=/cache/$(basename "$dir")
log "building fstests ($(basename "$tarball") + fstests/rust_pagecache.patch), make -j2 under nice (about 4 min)"
start=$SECONDS
in_root sh -ec "cd $inside
	mkdir build && tar -C build -xf src.tar.xz
	cd build/xfstests
	git apply ../../rust_pagecache.patch
	nice -n 19 make -j2 > ../../build.log 2>&1 || { tail -30 ../../build.log; exit 1; }
	[ -x src/fsstress ] && [ -x ltp/fsx ] && [ -f tests/generic/group.list ]
	# Objects are not needed to run: the tar for the guest leaves them out.
	cd .. && tar --exclude='*.o' --exclude='*.lo' --exclude='.dep' --exclude='.ltdep' \
		-cf ../xfstests.tar.new xfstests && mv ../xfstests.tar.new ../xfstests.tar" >&2 ||
	die "fstests build failed (log: $dir/build.log)"
secs=$((SECONDS - start))
# The committed test list is the tree's quick group: say so when it is not.
awk '!/^#/ && NF { for (i = 2; i <= NF; i++) if ($i == "quick") { print "generic/" $1; break } }' \
	"$dir/build/xfstests/tests/generic/group.list" > "$dir/quick.list"
cmp -s "$dir/quick.list" "$REPO/fstests/quick.list" ||
	log "warning: fstests/quick.list differs from this tree's quick group: cp $dir/quick.list fstests/quick.list"
rm -rf "$dir/build" "$dir/src.tar.xz"
echo "$secs" > "$dir/.build-seconds"
touch "$dir/.complete"
log "fstests built in $((secs / 60)) min $((secs % 60)) s: $dir/xfstests.tar ($(du -m "$dir/xfstests.tar" | cut -f1) MiB)"
echo "$dir/xfstests.tar"
