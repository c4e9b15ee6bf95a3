#!/bin/bash
# Runs inside the test VM (virtme-ng, root filesystem = the build root, the
# repository at /src, the cache folder at /cache, results written to
# $RPC_OUT). Never reads stdin.
#   guest.sh run [CMD...]   demo, or the shell command CMD run in /mnt, where
#                           the module is mounted
#   guest.sh check          every selftest
#   guest.sh bench [swap]   bench/guest-bench.sh (fio against tmpfs and ramfs;
#                           with swap, only its swap rows)
#   guest.sh fstests ARGS   scripts/guest-fstests.sh ARGS (fstests' ./check on
#                           tmpfs and rust_pagecache)
#   guest.sh soak DUR TAR   scripts/guest-soak.sh (fsx, fsstress, swap churn)
set -u
exec </dev/null
mode=$1; shift
KO=${RPC_KO:?}
OUT=${RPC_OUT:?}
MNT=/mnt
say() { printf '\n== %s\n' "$*"; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# Let "mount -t rust_pagecache" autoload the module: a private /lib/modules
# holding just this module, indexed by depmod.
kver=$(uname -r)
mods=/tmp/modroot
mkdir -p "$mods/lib/modules/$kver/extra"
cp "$KO" "$mods/lib/modules/$kver/extra/"
touch "$mods/lib/modules/$kver/"modules.{order,builtin,builtin.modinfo}
depmod -b "$mods" "$kver"
mkdir -p /lib/modules 2>/dev/null
mount --bind "$mods/lib/modules" /lib/modules

insmod "$KO" || { echo "insmod failed"; exit 1; }

# The swap disk vm.sh attached (serial rpc-swap), for swap=.
# And the kernel's own swap disk for anonymous memory (serial rpc-anonswap),
# when vm.sh was asked for one (make bench).
RPC_SWAP_DEV= RPC_ANON_SWAP_DEV=
for b in /sys/block/vd*; do
	case $(cat "$b/serial" 2>/dev/null) in
	rpc-swap) RPC_SWAP_DEV=/dev/${b##*/} ;;
	rpc-anonswap) RPC_ANON_SWAP_DEV=/dev/${b##*/} ;;
	esac
done
export RPC_SWAP_DEV RPC_ANON_SWAP_DEV
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null

case $mode in
run)
	swapopt=
	if [ -n "$RPC_SWAP_DEV" ] && mkswap -f "$RPC_SWAP_DEV" >/dev/null; then
		swapopt=",swap=$RPC_SWAP_DEV"
	fi
	mount -t rust_pagecache -o "size=1g$swapopt" none "$MNT" || exit 1
	if [ $# -gt 0 ]; then
		say "running: $*"
		(cd "$MNT" && bash -c "$*"); status=$?
		say "exit status $status"
	else
		set -x
		mkdir "$MNT/dir"
		echo "hello from rust_pagecache" > "$MNT/dir/file"
		cat "$MNT/dir/file"
		dd if=/dev/urandom of="$MNT/dir/blob" bs=1M count=4 status=none
		cmp <(cat "$MNT/dir/blob") "$MNT/dir/blob" && echo "4 MiB read back identical"
		ln -s dir/file "$MNT/link"; ln "$MNT/dir/file" "$MNT/hardlink"
		ls -la "$MNT" "$MNT/dir"
		df -h "$MNT"; df -i "$MNT"
		mount | grep rust_pagecache
		mount -o remount,size=512m "$MNT"; grep rust_pagecache /proc/mounts
		stat -f "$MNT"
		# The module's page-cache statistics (debugfs, per mount).
		stats=/sys/kernel/debug/rust_pagecache/"$(mountpoint -d "$MNT")"/stats
		cat "$stats"
		if [ -n "$swapopt" ]; then
			# Its own swap: a memcg of 32 MiB writes 96 MiB, reads it back.
			mkdir /sys/fs/cgroup/demo
			echo 32M > /sys/fs/cgroup/demo/memory.max
			sh -c 'echo $$ > /sys/fs/cgroup/demo/cgroup.procs
				exec dd if=/dev/urandom of=/mnt/big bs=1M count=96 status=none'
			grep -E '^(swapped_out|swap_slots_used|swap_slots_total) ' "$stats"
			cat /sys/fs/cgroup/demo/memory.current
			sha1sum /mnt/big; echo 3 > /proc/sys/vm/drop_caches; sha1sum /mnt/big
			grep -E '^(swapped_in|swap_slots_used) ' "$stats"
			mount -o remount,noswap "$MNT"; grep rust_pagecache /proc/mounts
			grep -E '^(swapoff_pages|swap_slots_used|swap_slots_total) ' "$stats"
			sha1sum /mnt/big
			rmdir /sys/fs/cgroup/demo
		fi
		set +x
		status=0
	fi
	umount "$MNT" && rmmod rust_pagecache && echo "unmounted and unloaded"
	say "kernel log (rust_pagecache)"
	dmesg | grep -i rust_pagecache
	echo "$status" > "$OUT/status"
	;;
bench)
	bash /src/bench/guest-bench.sh /cache/bench/memcpy "$@" 2>&1 | tee "$OUT/bench.txt"
	echo "${PIPESTATUS[0]}" > "$OUT/status"
	;;
fstests)
	bash /src/scripts/guest-fstests.sh "$@"
	echo "$?" > "$OUT/status"
	;;
soak)
	bash /src/scripts/guest-soak.sh "$@" 2>&1 | tee "$OUT/soak.txt"
	echo "${PIPESTATUS[0]}" > "$OUT/status"
	;;
check)
	kselftest_dir=$OUT/selftests
	# RPC_ALLOW_HWPOISON: the memory-failure test may poison a page here.
	RPC_KO=$KO RPC_TEST_KO=${RPC_TEST_KO:-} RPC_ALLOW_HWPOISON=1 RPC_FSTYPE=rust_pagecache \
		bash /src/selftests/run.sh 2>&1 | tee "$OUT/selftests.log"
	echo "${PIPESTATUS[0]}" > "$OUT/status"
	;;
esac

# Leak check: kmemleak (boot with kmemleak=on) after everything is freed.
if [ -w /sys/kernel/debug/kmemleak ]; then
	grep -q rpc_test_gem /proc/modules && rmmod rpc_test_gem
	grep -q rust_pagecache /proc/modules && { umount -a -t rust_pagecache 2>/dev/null; rmmod rust_pagecache; }
	grep -q rpc_test_driver /proc/modules && rmmod rpc_test_driver
	echo scan > /sys/kernel/debug/kmemleak; sleep 1
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$OUT/kmemleak.txt"
	[ -s "$OUT/kmemleak.txt" ] && { say "kmemleak report"; cat "$OUT/kmemleak.txt"; }
fi
dmesg > "$OUT/dmesg.log"
sync
# The tiny test kernel has no ACPI, so virtme-init's "poweroff -f" would only
# halt; reboot instead, which ends QEMU (virtme-ng runs it with -no-reboot).
sleep 1
echo b > /proc/sysrq-trigger
