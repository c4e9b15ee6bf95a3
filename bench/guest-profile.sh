#!/bin/bash
# Runs in the benchmark VM (scripts/profile.sh, via guest.sh run: the
# module is mounted at /mnt): perf samples of fio 4 KiB jobs on
# rust_pagecache and on tmpfs, one file of raw sample addresses per job and
# filesystem, for bench/perf-symbols.py to name on the host (the kernel has
# no kallsyms).
#   guest-profile.sh OUTDIR JOB...      JOB: a fio rw mode (randread, ...)
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
for job in "$@"; do
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
