#!/bin/bash
# Runs in the benchmark VM (scripts/swap-diag.sh): where the time of make
# bench's swap-randread-4k row goes, rust_pagecache with its swap against
# tmpfs with the kernel's swap on the same disk, ROUNDS rounds, interleaved.
# Each round, as the row: a memcg of 32 MiB writes a 128 MiB file and reads
# it sequentially; then a 4 KiB random reader runs 3 s (the row's ramp) and,
# measured, 6 s more with another random sequence (--randrepeat=0: it does
# not re-read the ramp's pages, so its hits are what the memcg had cached).
# Printed per file system and round: fio's reads and kIOPS, reads from the
# swap disk with their mean latency (/sys/block/*/stat), the kernel's swap
# and readahead counters, the module's swap-in and readahead counters, the
# memcg's reclaim and refault counters, and what the memcg held at the end.
#   guest-swap-diag.sh [ROUNDS]
set -u
rounds=${1:-2}
dev=${RPC_SWAP_DEV:?no swap disk} anon=${RPC_ANON_SWAP_DEV:?no second swap disk}
cg=/sys/fs/cgroup/rpc-swap-diag dir=/tmp/swap-diag
cd / && umount /mnt 2>/dev/null
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg" "$dir" && echo 32M > "$cg/memory.max" || exit 1

vm() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
st() { awk -v k="$1" '$1 == k {print $2}' "/sys/kernel/debug/rust_pagecache/$(mountpoint -d "$dir")/stats"; }
memcg() { awk -v re="^($1)\$" '$1 ~ re {printf "%s=%s ", $1, $2}' "$cg/memory.stat"; }
disk() { cat "/sys/block/${dev##*/}/stat"; }
fio_in_cg() {
	bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" \
		fio --name=diag --filename="$dir/data" --size=128m --ioengine=psync --output-format=json "$@" 2>/dev/null
}
counters='pgscan|pgsteal|workingset_refault_file|workingset_refault_anon|pgmajfault'

for ((r = 1; r <= rounds; r++)); do
	for fs in tmpfs rust_pagecache; do
		mkswap -f "$dev" >/dev/null
		if [ $fs = tmpfs ]; then
			swapon "$dev" && mount -t tmpfs -o size=1g none "$dir"
		else
			mkswap -f "$anon" >/dev/null && swapon "$anon" &&
				mount -t rust_pagecache -o "size=1g,swap=$dev" none "$dir"
		fi || { echo "setup for $fs failed"; exit 1; }
		fio_in_cg --rw=write --bs=1m >/dev/null
		fio_in_cg --rw=read --bs=1m >/dev/null
		fio_in_cg --rw=randread --bs=4k --time_based --runtime=3 >/dev/null
		m0=$(memcg "$counters") d0=$(disk)
		ra0=$(vm swap_ra) hit0=$(vm swap_ra_hit) in0=$(vm pswpin) out0=$(vm pswpout)
		[ $fs = tmpfs ] || { sin0=$(st swapped_in) sra0=$(st swap_readahead) srh0=$(st swap_readahead_hits); }
		ios=$(fio_in_cg --rw=randread --bs=4k --time_based --runtime=6 --randrepeat=0 |
			python3 -c 'import json,sys; d=json.load(sys.stdin)["jobs"][0]["read"]; print(d["total_ios"], "%.2f" % (d["iops"]/1e3))')
		echo "round $r $fs: fio reads, kIOPS: $ios"
		echo "$d0 $(disk)" | awk '{printf "  swap disk: reads +%d, %.3f ms each; writes +%d\n", $18-$1, ($18>$1)?($21-$4)/($18-$1):0, $22-$5}'
		echo "  kernel: pswpin +$(($(vm pswpin) - in0)) pswpout +$(($(vm pswpout) - out0)) swap_ra +$(($(vm swap_ra) - ra0)) swap_ra_hit +$(($(vm swap_ra_hit) - hit0))"
		[ $fs = tmpfs ] || echo "  module: swapped_in +$(($(st swapped_in) - sin0)) swap_readahead +$(($(st swap_readahead) - sra0)) swap_readahead_hits +$(($(st swap_readahead_hits) - srh0))"
		echo "  memcg before: $m0"
		echo "  memcg after:  $(memcg "$counters")"
		echo "  memcg holds:  $(memcg 'anon|file|shmem|active_file|inactive_file|file_mapped|unevictable|kernel|slab|swapcached')"
		umount "$dir"
		if [ $fs = tmpfs ]; then swapoff "$dev"; else swapoff "$anon"; fi
	done
done
rmdir "$cg"
