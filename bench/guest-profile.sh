#!/bin/bash
# Runs in the benchmark VM (scripts/profile.sh, via guest.sh run: the
# module is mounted at /mnt): perf samples of fio 4 KiB jobs on
# rust_pagecache and on tmpfs, one file of raw sample addresses per job and
# filesystem, for bench/perf-symbols.py to name on the host (the kernel has
# no kallsyms).
#   guest-profile.sh OUTDIR JOB...      JOB: a fio rw mode (randread, ...),
#                                        or swap-MODE (below)
set -u
out=$1; shift
mkdir -p "$out" /tmp/prof-tmpfs
rm -f "$out"/*.ips
mount -t tmpfs none /tmp/prof-tmpfs || exit 1
cat /proc/modules > "$out/modules.txt"
declare -A dirs=([rust_pagecache]=/mnt [tmpfs]=/tmp/prof-tmpfs)
for fs in rust_pagecache tmpfs; do
	dd if=/dev/urandom of="${dirs[$fs]}/data" bs=1M count=64 status=none || exit 1
done
# swap-JOB: a 128 MiB file in a 32 MiB memcg, on rust_pagecache with its
# own swap and on tmpfs with the kernel's, the same disk (as make bench's
# swap rows); the file is written first, then JOB (write: the write itself)
# is sampled for 8 s.
swap_job() { # fs job
	local fs=$1 job=$2 dir=/tmp/prof-swap cg=/sys/fs/cgroup/rpc-prof
	[ -n "${RPC_SWAP_DEV:-}" ] || { echo "no swap disk: $job skipped"; return; }
	# The demo mount holds the disk: let it go.
	mount -o remount,noswap /mnt 2>/dev/null
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg" "$dir" && echo 32M > "$cg/memory.max" || exit 1
	mkswap -f "$RPC_SWAP_DEV" >/dev/null || exit 1
	if [ "$fs" = tmpfs ]; then
		swapon "$RPC_SWAP_DEV" && mount -t tmpfs -o size=1g none "$dir"
	else
		mount -t rust_pagecache -o "size=1g,swap=$RPC_SWAP_DEV" none "$dir"
	fi || exit 1
	incg() { bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "$@"; }
	local args=(--name=p --filename="$dir/data" --size=128m --bs=4k --ioengine=psync)
	if [ "$job" = write ]; then
		incg perf record -q -a -e cpu-clock -F 2000 -o /tmp/perf.data -- \
			fio "${args[@]}" --rw=write --bs=1m >/dev/null 2>&1 || exit 1
	else
		incg fio "${args[@]}" --rw=write --bs=1m >/dev/null 2>&1 || exit 1
		incg perf record -q -a -e cpu-clock -F 2000 -o /tmp/perf.data -- \
			fio "${args[@]}" --rw="$job" --time_based --runtime=8 >/dev/null 2>&1 || exit 1
	fi
	perf script -i /tmp/perf.data -F comm,ip 2>/dev/null > "$out/$fs-swap-$job.ips"
	echo "$fs swap-$job: $(wc -l < "$out/$fs-swap-$job.ips") samples"
	umount "$dir"
	[ "$fs" = tmpfs ] && swapoff "$RPC_SWAP_DEV"
	rmdir "$cg"
}
for job in "$@"; do
	if [ "${job#swap-}" != "$job" ]; then
		for fs in rust_pagecache tmpfs; do swap_job "$fs" "${job#swap-}"; done
		continue
	fi
	for fs in rust_pagecache tmpfs; do
		args=(--name=p --filename="${dirs[$fs]}/data" --size=64m --rw="$job" --bs=4k
		      --ioengine=psync --time_based)
		fio "${args[@]}" --runtime=1 >/dev/null 2>&1	# warm the translation cache
		perf record -q -a -e cpu-clock -F 2000 -o /tmp/perf.data -- \
			fio "${args[@]}" --runtime=4 >/dev/null 2>&1 || exit 1
		perf script -i /tmp/perf.data -F comm,ip 2>/dev/null > "$out/$fs-$job.ips"
		echo "$fs $job: $(wc -l < "$out/$fs-$job.ips") samples"
	done
done
umount /tmp/prof-tmpfs
