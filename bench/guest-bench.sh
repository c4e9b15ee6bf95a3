#!/bin/bash
# Runs in the benchmark VM (scripts/guest.sh bench): fio on rust_pagecache,
# tmpfs and ramfs in one boot, all on cached data, plus memcpy bandwidth as
# the ceiling (and the same reads through mmap, where fault-around counts).
# Prints one table: each figure (MB/s for 1 MiB jobs, kIOPS for
# 4 KiB jobs) and the ratio to tmpfs. Only ratios mean anything under TCG.
#   guest-bench.sh MEMCPY_BINARY
set -u
memcpy=$1
SIZE_MB=${RPC_BENCH_SIZE_MB:-64}
RUNTIME=${RPC_BENCH_RUNTIME:-3}
ROUNDS=${RPC_BENCH_ROUNDS:-3}
fss=(rust_pagecache tmpfs ramfs)
# name rw bs numjobs ioengine
jobs=(
	"seqread-1M read 1m 1 psync"
	"seqwrite-1M write 1m 1 psync"
	"randread-4k randread 4k 1 psync"
	"randread-4k-2j randread 4k 2 psync"
	"randwrite-4k randwrite 4k 1 psync"
	"randwrite-4k-2j randwrite 4k 2 psync"
	"mmap-seqread-1M read 1m 1 mmap"
	"mmap-randread-4k randread 4k 1 mmap"
)

# One fio run: prints MB/s (1 MiB blocks) or kIOPS (4 KiB blocks).
run_job() {
	local dir=$1 name=$2 rw=$3 bs=$4 nj=$5 engine=$6 out length
	# mmap jobs read the file once: fio maps it per run, so every page is
	# a fault (with fault-around); timed loops would re-read pages already
	# mapped, i.e. measure memcpy, the same on every filesystem.
	length="--time_based --runtime=$RUNTIME"
	[ "$engine" = mmap ] && length="--loops=1"
	out=$(fio --name="$name" --filename="$dir/data" --size="${SIZE_MB}m" --rw="$rw" --bs="$bs" \
		--numjobs="$nj" --ioengine="$engine" $length \
		--group_reporting --output-format=json 2>/dev/null)
	# fio's bandwidth and IOPS come from a runtime in whole milliseconds:
	# fine for timed runs, but a single mmap pass takes under 100 ms, where
	# that rounds every filesystem to the same figure. For those the mean
	# latency per I/O (nanoseconds) gives the rate instead.
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]
side = "read" if "read" in sys.argv[1] else "write"
if sys.argv[3] == "mmap":
    per_s = 1e9 / d[side]["lat_ns"]["mean"]
    v = per_s * 1048576 / 1e6 if sys.argv[2] == "1m" else per_s / 1e3
else:
    v = d[side]["bw_bytes"] / 1e6 if sys.argv[2] == "1m" else d[side]["iops"] / 1e3
print("%.1f" % v)' "$rw" "$bs" "$engine"
}

for fs in "${fss[@]}"; do
	mkdir -p "/tmp/bench/$fs"
	mount -t "$fs" none "/tmp/bench/$fs" || { echo "mount $fs failed"; exit 1; }
	dd if=/dev/urandom of="/tmp/bench/$fs/data" bs=1M count="$SIZE_MB" status=none
done

# Interleaved: each job runs on the three filesystems in turn, ROUNDS times
# (the order rotating), and the median counts. Under TCG the speed of the
# whole VM drifts over minutes; interleaving keeps that drift out of the
# ratios, and a warm-up run per job fills the translation cache first.
# Each round also gives its own rpc/tmpfs ratio (two runs seconds apart):
# their median and spread are printed too, the spread being what one
# table can and cannot tell.
declare -A samples
for j in "${jobs[@]}"; do
	set -- $j
	RUNTIME=1 run_job /tmp/bench/tmpfs "$@" >/dev/null
	for ((r = 0; r < ROUNDS; r++)); do
		for ((k = 0; k < ${#fss[@]}; k++)); do
			fs=${fss[$(((k + r) % ${#fss[@]}))]}
			samples[$fs,$1]+="$(run_job "/tmp/bench/$fs" "$@") "
		done
	done
done
for fs in "${fss[@]}"; do umount "/tmp/bench/$fs"; done
median() { printf '%s\n' $1 | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
# ratios A B: the per-round ratios of two sample lists.
ratios() { paste -d' ' <(printf '%s\n' $1) <(printf '%s\n' $2) | awk '{printf "%.2f ", ($2>0)?$1/$2:0}'; }
declare -A result
for k in "${!samples[@]}"; do result[$k]=$(median "${samples[$k]}"); done
mc=$("$memcpy" "$SIZE_MB" 3 | awk '{print $2}')

printf '\n%d rounds of %d s per job and filesystem, interleaved; medians. %d CPUs.\n' \
	"$ROUNDS" "$RUNTIME" "$(nproc)"
printf '%-22s %14s %14s %14s %10s %10s %16s\n' job rust_pagecache tmpfs ramfs "rpc/tmpfs" "ramfs/tmpfs" "rpc/tmpfs rounds"
for j in "${jobs[@]}"; do
	set -- $j
	unit=kIOPS; [ "$3" = 1m ] && unit=MB/s
	r=${result[rust_pagecache,$1]} t=${result[tmpfs,$1]} m=${result[ramfs,$1]}
	rr=$(ratios "${samples[rust_pagecache,$1]}" "${samples[tmpfs,$1]}")
	spread=$(printf '%s\n' $rr | sort -g | awk '{v[NR]=$1} END{printf "%.2f (%.2f-%.2f)", v[int((NR+1)/2)], v[1], v[NR]}')
	printf '%-22s %14s %14s %14s %9.2fx %9.2fx %16s\n' "$1 ($unit)" "$r" "$t" "$m" \
		"$(awk -v a="$r" -v b="$t" 'BEGIN{print (b>0)?a/b:0}')" \
		"$(awk -v a="$m" -v b="$t" 'BEGIN{print (b>0)?a/b:0}')" "$spread"
	printf '%-22s %14s %14s %14s\n' "  samples" "${samples[rust_pagecache,$1]}" \
		"${samples[tmpfs,$1]}" "${samples[ramfs,$1]}"
done
r=${result[rust_pagecache,seqread-1M]}
printf '%-22s %14s\n' "memcpy (MB/s)" "$mc"
printf 'seqread-1M of rust_pagecache = %s%% of memcpy\n' "$(awk -v a="$r" -v b="$mc" 'BEGIN{printf "%.0f", (b>0)?100*a/b:0}')"
