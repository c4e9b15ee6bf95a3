#!/bin/bash
# Runs in the benchmark VM (scripts/guest.sh bench): fio on rust_pagecache,
# tmpfs and ramfs in one boot, all on cached data, plus memcpy bandwidth as
# the ceiling (and the same reads through mmap, where fault-around counts).
# Prints one table: each figure (MB/s for 1 MiB jobs, kIOPS for
# 4 KiB jobs) and the ratio to tmpfs. Only ratios mean anything under TCG.
#   guest-bench.sh MEMCPY_BINARY [swap]
# With "swap" (make bench RPC_BENCH_ROWS=swap) only the swap rows run.
set -u
memcpy=$1
rows=${2:-all}
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
[ "$rows" = swap ] && jobs=()

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
r=${result[rust_pagecache,seqread-1M]:-0}
printf '%-22s %14s\n' "memcpy (MB/s)" "$mc"
printf 'seqread-1M of rust_pagecache = %s%% of memcpy\n' "$(awk -v a="$r" -v b="$mc" 'BEGIN{printf "%.0f", (b>0)?100*a/b:0}')"

# ---------------------------------------------------------------------------
# Swap rows: a memcg of LIMIT MiB writes a file of 4x LIMIT and reads it back
# (sequentially, then 4 KiB at random places), on rust_pagecache with its own
# swap (swap=) and on tmpfs with the kernel's swap (swapon), both on the same
# virtio disk (mkswap before every run), interleaved rounds, medians. Beside
# each figure: pages written to swap per MiB the row moved (the module's
# swapped_out, the kernel's pswpout), i.e. the write amplification.
swap_rows() {
	local dev=${RPC_SWAP_DEV:-} limit=${RPC_BENCH_SWAP_LIMIT_MB:-32} cg=/sys/fs/cgroup/rpc-bench
	local file_mb dir fs r k row
	file_mb=$((4 * limit))
	if [ -z "$dev" ]; then
		echo "no swap disk (RPC_SWAP_DEV): swap rows skipped"
		return
	fi
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	# memory.max. Known (2026-12-03): under the instruction counter the
	# kernel's swap-out of tmpfs pages (asynchronous writeback, waited for
	# by guest-time reclaim throttling) falls behind, and the memcg
	# OOM-kills fio within 2 s of swapon (7.5 MiB in swap, 32 MiB of active
	# shmem): the tmpfs column then reads 0 with "fio failed". The same
	# happened to rust_pagecache's seqwrite in 3 rounds of 12 (2026-12-04;
	# swapped_out 0, 24 MiB of never-written fallocated pages in the
	# memcg): fio's main process faulted while its job's fallocate held
	# memory swap-out might not take. Since then swap-out takes a running
	# fallocate's pages too (unwritten records, no I/O) and the fallocate
	# gives up with ENOMEM when it fills memory (FallocProgress, fs/file.rs;
	# test swap.fallocate_past_the_limit_lets_its_memcg_neighbours_live). At
	# memory.high instead, rust_pagecache's writer was throttled so hard
	# that one round did not end in 20 minutes (over-high reclaim does not
	# get it below the limit): the next thing to look at.
	mkdir -p "$cg" && echo "${limit}M" > "$cg/memory.max" || { echo "no memcg: swap rows skipped"; return; }
	# fio's own memory in the memcg (its anonymous pages and shared memory,
	# about 8 MiB) is swapped by the kernel in both columns: on tmpfs's
	# runs the kernel's swap is the shared disk; on rust_pagecache's, which
	# holds that disk, a second one (64 MiB, RPC_ANON_SWAP_DEV). Without it
	# the kernel could not swap fio's memory next to rust_pagecache: the
	# file had about 8 MiB less of the 32 in which to stay cached.
	local anon=${RPC_ANON_SWAP_DEV:-}
	# name rw bs; the write row creates the file the read rows read.
	local srows=("swap-seqwrite-1M write 1m" "swap-seqread-1M read 1m" "swap-randread-4k randread 4k")
	local sfss=(rust_pagecache tmpfs)
	declare -A ssamples samp
	pages_out() { # fs dir: pages written to swap so far
		if [ "$1" = tmpfs ]; then
			awk '$1 == "pswpout" {print $2}' /proc/vmstat
		else
			# Its own swap-out, and the kernel's of fio's memory.
			echo $(($(awk '$1 == "swapped_out" {print $2}' "/sys/kernel/debug/rust_pagecache/$(mountpoint -d "$2")/stats") +
				$(awk '$1 == "pswpout" {print $2}' /proc/vmstat)))
		fi
	}
	local rounds=${RPC_BENCH_SWAP_ROUNDS:-5}
	for ((r = 0; r < rounds; r++)); do
		for ((k = 0; k < ${#sfss[@]}; k++)); do
			fs=${sfss[$(((k + r) % ${#sfss[@]}))]}
			dir=/tmp/bench/swap-$fs
			mkdir -p "$dir"
			mkswap -f "$dev" >/dev/null || { echo "mkswap failed"; return; }
			if [ "$fs" = tmpfs ]; then
				swapon "$dev" && mount -t tmpfs -o size=1g none "$dir"
			else
				{ [ -z "$anon" ] || { mkswap -f "$anon" >/dev/null && swapon "$anon"; }; } &&
					mount -t rust_pagecache -o "size=1g,swap=$dev" none "$dir"
			fi || { echo "swap setup for $fs failed"; return; }
			for row in "${srows[@]}"; do
				set -- $row
				local before after out v moved length="--size=${file_mb}m"
				# The random reader is measured in its steady state: after
				# the sequential read, what each column has cached differs
				# (a 6 to 31 MiB ramp), which made the row swing 0.82x to
				# 1.03x between boots with the same module.
				[ "$2" = randread ] && length="--size=${file_mb}m --time_based --ramp_time=$RUNTIME --runtime=$((2 * RUNTIME))"
				before=$(pages_out "$fs" "$dir")
				# The job runs inside the memcg; fio's own memory is small.
				out=$(bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" \
					fio --name="$1" --filename="$dir/data" $length --rw="$2" --bs="$3" \
					--ioengine=psync --output-format=json 2>/dev/null)
				after=$(pages_out "$fs" "$dir")
				v=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]
s = d["write" if sys.argv[1] == "write" else "read"]
mib = s["io_bytes"] / 1048576
v = s["bw_bytes"] / 1e6 if sys.argv[2] == "1m" else s["iops"] / 1e3
print("%.2f %.1f" % (v, mib))' "$2" "$3" 2>/dev/null) || {
					v="0 0"
					echo "swap row $1 on $fs: fio failed (OOM-killed? see the console)"
					# What the module's swap saw (for the console).
					[ "$fs" = tmpfs ] || sed 's/^/  /' "/sys/kernel/debug/rust_pagecache/$(mountpoint -d "$dir")/stats"
				}
				set -- $1 $v
				ssamples[$fs,$1]+="$2 "
				samp[$fs,$1]+="$(awk -v p=$((after - before)) -v m="$3" 'BEGIN{printf "%.0f", (m>0)?p/m:0}') "
			done
			umount "$dir"
			if [ "$fs" = tmpfs ]; then
				swapoff "$dev"
			elif [ -n "$anon" ]; then
				swapoff "$anon"
			fi
		done
	done
	rmdir "$cg"
	printf '\nswap: a memcg at memory.max=%d MiB, a %d MiB file, the same swap disk; %d rounds, medians; pg/MiB = pages written to swap per MiB moved.\n' \
		"$limit" "$file_mb" "$rounds"
	[ -n "$anon" ] && echo "fio's anonymous memory: the kernel's swap in both columns (rust_pagecache's: a 64 MiB second disk)"
	printf '%-26s %14s %14s %10s %12s %12s\n' "swap job" rust_pagecache tmpfs "rpc/tmpfs" "rpc pg/MiB" "tmpfs pg/MiB"
	for row in "${srows[@]}"; do
		set -- $row
		local unit=kIOPS rm tm
		[ "$3" = 1m ] && unit=MB/s
		rm=$(median "${ssamples[rust_pagecache,$1]}") tm=$(median "${ssamples[tmpfs,$1]}")
		printf '%-26s %14s %14s %9.2fx %12s %12s\n' "$1 ($unit)" "$rm" "$tm" \
			"$(awk -v a="$rm" -v b="$tm" 'BEGIN{print (b>0)?a/b:0}')" \
			"$(median "${samp[rust_pagecache,$1]}")" "$(median "${samp[tmpfs,$1]}")"
		printf '%-26s %14s %14s\n' "  samples" "${ssamples[rust_pagecache,$1]}" "${ssamples[tmpfs,$1]}"
	done
	echo "end of swap rows"
}
swap_rows
