#!/usr/bin/env bash
# Build (or reuse) the test kernel: linux-source-7.3 from the build root,
# tinyconfig + kernel/debug.config, LLVM=1. Prints the build directory.
#   scripts/kernel.sh            the debug (test) kernel
# The build is keyed by the kernel package version and the config fragment.
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
frag="$REPO/kernel/$flavour.config"
[ -f "$frag" ] || die "no config fragment $frag"
root=$(root_dir)
srcver=$(in_root dpkg-query -W -f='${Version}' linux-source-$KVER_MAJOR)
key=$( (echo "$srcver"; cat "$frag" "$REPO/scripts/kernel.sh") | sha256sum | cut -c1-16)
kdir="$RPC_CACHE/kernel-$flavour-$key"
if [ -e "$kdir/.complete" ]; then echo "$kdir"; exit 0; fi

for old in "$RPC_CACHE"/kernel-$flavour-*; do
	[ -e "$old" ] && [ "$old" != "$kdir" ] || continue
	log "removing stale kernel build $old"; rm -rf "$old"
done

inside=/cache/$(basename "$kdir")
jobs=$(( $(nproc) + 1 ))
# An interrupted build of the same inputs resumes where make stopped.
if [ ! -e "$kdir/.configured" ]; then
	log "extracting linux-source-$KVER_MAJOR ($srcver)"
	rm -rf "$kdir"; mkdir -p "$kdir"
	tar -C "$kdir" --strip-components=1 -xf "$root/usr/src/linux-source-$KVER_MAJOR.tar.xz"
	cp "$frag" "$kdir/rpc.config"
	log "configuring: tinyconfig + kernel/$flavour.config"
	in_root sh -ec "cd $inside
		make -s LLVM=1 tinyconfig
		scripts/kconfig/merge_config.sh -m -O . .config rpc.config >/dev/null
		make -s LLVM=1 olddefconfig
		make -s LLVM=1 rustavailable"
	# Every option of the fragment must have survived Kconfig's dependency checks.
	missing=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=n) opt=${line%%=*}
			grep -q "^$opt=" "$kdir/.config" && { log "config: $opt is set, wanted off"; missing=1; } ;;
		CONFIG_*=*) grep -qx "$line" "$kdir/.config" || { log "config: $line did not stick"; missing=1; } ;;
		esac
	done < "$frag"
	[ $missing = 0 ] || die "kernel/$flavour.config does not apply cleanly (see above)"
	touch "$kdir/.configured"
else
	log "resuming the interrupted $flavour kernel build in $kdir"
fi

log "building the $flavour kernel with -j$jobs (about 20 min on 2 cores)"
start=$SECONDS
in_root sh -ec "cd $inside && make LLVM=1 -j$jobs > build.log 2>&1" ||
	{ tail -30 "$kdir/build.log" >&2; die "kernel build failed (log: $kdir/build.log)"; }
secs=$((SECONDS - start))
echo "$secs" > "$kdir/.build-seconds"
touch "$kdir/.complete"
log "kernel built in $((secs / 60)) min $((secs % 60)) s"
echo "$kdir"
