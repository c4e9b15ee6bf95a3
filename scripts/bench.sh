#!/usr/bin/env bash
# make bench: the benchmark kernel (kernel/bench.config: the test kernel
# without debug options, cached like it), the module built against it, one
# VM boot running bench/guest-bench.sh (fio on rust_pagecache, tmpfs and
# ramfs; memcpy as the ceiling). Prints the table.
. "$(dirname "$0")/lib.sh"
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
bash "$REPO/scripts/kernel.sh" bench >/dev/null || die "bench kernel build"
mkdir -p "$RPC_CACHE/bench"
in_root sh -ec "cc -O2 -Wall -o /cache/bench/memcpy /src/bench/memcpy.c" || die "memcpy build"
RPC_FLAVOUR=bench RPC_VM_MEM=${RPC_VM_MEM:-2G} bash "$REPO/scripts/vm.sh" bench
rc=$?
echo
sed -n '/^job /,/of memcpy$/p' "$RPC_CACHE/vm/out/bench.txt" 2>/dev/null || { echo "no benchmark table (see $RPC_CACHE/vm/console.log)"; exit 1; }
exit $rc
