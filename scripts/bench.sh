#!/usr/bin/env bash
# make bench: the benchmark kernel (kernel/bench.config: the test kernel
# without debug options, cached like it), the module built against it, one
# VM boot running bench/guest-bench.sh (fio on rust_pagecache, tmpfs and
# ramfs; memcpy as the ceiling; then the swap rows: a memcg writing 4x its
# limit, own swap against tmpfs + the kernel's swap on the same disk).
# Prints the tables. RPC_BENCH_ROWS=swap: only the swap rows.
#
# Under TCG the guest's clock is QEMU's instruction counter (icount, 4 ns
# per guest instruction) unless RPC_BENCH_CLOCK=host: then each figure is
# operations per instruction executed, the same in every run (repeat runs
# agree within 0.3%), where the host clock swung the same unchanged tmpfs
# path by +-30% between runs. What it does not see: caches, memory
# bandwidth, and parallelism -- icount runs both vCPUs in turn on one
# thread, so the 2-job rows measure the instructions of two interleaved
# jobs, not a speed-up. With KVM the host clock is used.
. "$(dirname "$0")/lib.sh"
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
bash "$REPO/scripts/kernel.sh" bench >/dev/null || die "bench kernel build"
mkdir -p "$RPC_CACHE/bench"
in_root sh -ec "cc -O2 -Wall -o /cache/bench/memcpy /src/bench/memcpy.c" || die "memcpy build"
icount=2
[ "${RPC_BENCH_CLOCK:-icount}" = host ] && icount=
RPC_FLAVOUR=bench RPC_VM_MEM=${RPC_VM_MEM:-2G} RPC_VM_ICOUNT=$icount RPC_VM_ANON_SWAP_SIZE=64M bash "$REPO/scripts/vm.sh" bench ${RPC_BENCH_ROWS:+"$RPC_BENCH_ROWS"}
rc=$?
echo
grep -q '^job ' "$RPC_CACHE/vm/out/bench.txt" 2>/dev/null || { echo "no benchmark table (see $RPC_CACHE/vm/console.log)"; exit 1; }
sed -n '/^job /,/of memcpy$/p; /^swap: /,/^end of swap rows$/p; /swap rows skipped/p' "$RPC_CACHE/vm/out/bench.txt"
echo "guest clock: $(cat "$RPC_CACHE/vm/clock")"
exit $rc
