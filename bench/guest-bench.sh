#!/bin/bash
# Runs in the benchmark VM (scripts/guest.sh bench): fio on rust_pagecache,
# tmpfs and ramfs in one boot, all on cached data, plus memcpy bandwidth as
# the ceiling. Prints one table: each figure (MB/s for 1 MiB jobs, kIOPS for
# 4 KiB jobs) and the ratio to tmpfs. Only ratios mean anything under TCG.
#   guest-bench.sh MEMCPY_BINARY
set -u
memcpy=$1
SIZE_MB=${RPC_BENCH_SIZE_MB:-64}
RUNTIME=${RPC_BENCH_RUNTIME:-5}
fss=(rust_pagecache tmpfs ramfs)
# name rw bs numjobs
jobs=(
	"seqread-1M read 1m 1"
	"seqwrite-1M write 1m 1"
	"randread-4k randread 4k 1"
	"randread-4k-2j randread 4k 2"
	"randwrite-4k randwrite 4k 1"
	"randwrite-4k-2j randwrite 4k 2"
)
declare -A result
for fs in "${fss[@]}"; do
	dir=/tmp/bench/$fs
	mkdir -p "$dir"
	mount -t "$fs" none "$dir" || { echo "mount $fs failed"; exit 1; }
	# The file is written once, then every job runs on cached data.
	dd if=/dev/urandom of="$dir/data" bs=1M count="$SIZE_MB" status=none
	for j in "${jobs[@]}"; do
		set -- $j
		out=$(fio --name="$1" --filename="$dir/data" --size="${SIZE_MB}m" --rw="$2" --bs="$3" \
			--numjobs="$4" --ioengine=psync --time_based --runtime="$RUNTIME" \
			--group_reporting --output-format=json 2>/dev/null)
		val=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]
side = "read" if "read" in sys.argv[1] else "write"
bs = sys.argv[2]
v = d[side]["bw_bytes"] / 1e6 if bs == "1m" else d[side]["iops"] / 1e3
print("%.1f" % v)' "$2" "$3")
		result[$fs,$1]=${val:-0}
	done
	umount "$dir"
done
mc=$("$memcpy" "$SIZE_MB" 3 | awk '{print $2}')

printf '\n%-18s %14s %14s %14s %10s %10s\n' job rust_pagecache tmpfs ramfs "rpc/tmpfs" "ramfs/tmpfs"
for j in "${jobs[@]}"; do
	set -- $j
	unit=kIOPS; [ "$3" = 1m ] && unit=MB/s
	r=${result[rust_pagecache,$1]} t=${result[tmpfs,$1]} m=${result[ramfs,$1]}
	printf '%-18s %14s %14s %14s %9.2fx %9.2fx\n' "$1 ($unit)" "$r" "$t" "$m" \
		"$(awk -v a="$r" -v b="$t" 'BEGIN{print (b>0)?a/b:0}')" \
		"$(awk -v a="$m" -v b="$t" 'BEGIN{print (b>0)?a/b:0}')"
done
r=${result[rust_pagecache,seqread-1M]}
printf '%-18s %14s\n' "memcpy (MB/s)" "$mc"
printf 'seqread-1M of rust_pagecache = %s%% of memcpy\n' "$(awk -v a="$r" -v b="$mc" 'BEGIN{printf "%.0f", (b>0)?100*a/b:0}')"
