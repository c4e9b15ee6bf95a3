#!/usr/bin/env bash
# make profile: where the instructions of a 4 KiB fio job go, on
# rust_pagecache and on tmpfs, in one boot of the benchmark kernel under
# QEMU's instruction counter (so a sample is a fixed number of guest
# instructions, as in make bench). Prints the top kernel symbols of each.
#   scripts/profile.sh [JOB...]     fio rw modes, default: randread randwrite
. "$(dirname "$0")/lib.sh"
jobs=("$@"); [ ${#jobs[@]} -gt 0 ] || jobs=(randread randwrite)
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
kdir=$(bash "$REPO/scripts/kernel.sh" bench) || die "bench kernel build"
# Samples land in $RPC_CACHE/vm/out/profile (/cache/vm/out/profile inside).
RPC_FLAVOUR=bench RPC_VM_MEM=${RPC_VM_MEM:-2G} RPC_VM_ICOUNT=2 \
	bash "$REPO/scripts/vm.sh" run "bash /src/bench/guest-profile.sh /cache/vm/out/profile ${jobs[*]}" \
	>/dev/null || die "profile run failed (see $RPC_CACHE/vm/console.log)"
in_root python3 /src/bench/perf-symbols.py /cache/vm/out/profile \
	"/cache/$(basename "$kdir")/System.map" /cache/module-bench/rust_pagecache.ko
