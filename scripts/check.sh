#!/usr/bin/env bash
# make check: every test.
#   1. host: cargo test of the userspace crates (logscan, options-test,
#      lookup-model: the loom model of the page-cache protocol)
#   2. host: scripts/vm.sh leaves no process behind when a run is stopped
#      VM:   one boot of the debug kernel running selftests/ (kselftest TAP)
#      VM:   one more boot running fstests/check.list on rust_pagecache
#   3. host: scan of the VM's console log for kernel splats (logscan)
# Ends with "N passed, M failed"; exit status non-zero on any failure.
. "$(dirname "$0")/lib.sh"
set +e
start=$SECONDS
host_pass=0 host_fail=0

# 1. host-side crates
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
log "cargo test (host crates)"
cargo_log=$(mktemp)
(cd "$REPO" && cargo test --workspace --quiet 2>&1) | tee "$cargo_log"
cargo_rc=${PIPESTATUS[0]}
while read -r p f; do
	host_pass=$((host_pass + p)); host_fail=$((host_fail + f))
done < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$cargo_log")
[ "$cargo_rc" = 0 ] || [ "$host_fail" -gt 0 ] || host_fail=1

# 2. the VM
kdir=$(bash "$REPO/scripts/kernel.sh" debug) || die "kernel build"
# scripts/vm.sh itself: a stopped run leaves no qemu behind (host side).
log "VM runs stopped early leave no process (about 2 min)"
cleanup_log=$(mktemp)
bash "$REPO/scripts/test-vm-cleanup.sh" | tee "$cleanup_log"
read -r p f < <(sed -n 's/^vm-cleanup: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$cleanup_log")
host_pass=$((host_pass + ${p:-0})); host_fail=$((host_fail + ${f:-1}))
log "building selftests"
in_root make -s -C /src/selftests KSFT_INC="/cache/$(basename "$kdir")/tools/testing/selftests" >&2 ||
	die "selftests build failed"
RPC_VM_MEM=${RPC_VM_MEM:-3G} bash "$REPO/scripts/vm.sh" check
vm_rc=$?
vm="$RPC_CACHE/vm"
sl=$(grep -a '^selftests: [0-9]* passed, [0-9]* failed' "$vm/out/selftests.log" 2>/dev/null | tail -1)
vm_pass=$(echo "$sl" | sed -n 's/^selftests: \([0-9]*\) passed.*/\1/p')
vm_fail=$(echo "$sl" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
if [ -z "$sl" ]; then
	log "the VM produced no selftest summary (crash or timeout?): see $vm/console.log"
	vm_pass=0 vm_fail=1
elif [ "$vm_rc" != 0 ] && [ "$vm_fail" = 0 ]; then
	vm_fail=1
fi

# 2b. fstests: a fast subset (fstests/check.list) on rust_pagecache, in one
# more boot of the debug VM. Each listed test must pass: the list holds
# tests that pass on tmpfs and cover what the selftests do not (make fstests
# compares the two file systems over the whole quick group).
log "fstests subset (fstests/check.list) on rust_pagecache"
fst_pass=0 fst_fail=0
RPC_FSTESTS_LIST="$REPO/fstests/check.list" RPC_FSTESTS_FSTYPES=rust_pagecache RPC_FSTESTS_PER_BOOT=100 \
	RPC_VM_TIMEOUT=${RPC_CHECK_FSTESTS_TIMEOUT:-1500} bash "$REPO/scripts/fstests.sh"
fst_rc=$?
table="$RPC_CACHE/fstests-out/table.txt"
while read -r t; do
	st=$(awk -v t="$t" '$1 == t { print $2 }' "$table" 2>/dev/null)
	if [ "$st" = pass ]; then
		fst_pass=$((fst_pass + 1))
	else
		log "fstests $t: ${st:-no result} on rust_pagecache"; fst_fail=$((fst_fail + 1))
	fi
done < <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$REPO/fstests/check.list")
# fstests.sh also fails on a splat or leak in its boot's log.
[ "$fst_rc" = 0 ] || [ "$fst_fail" -gt 0 ] || fst_fail=1
host_pass=$((host_pass + fst_pass)); host_fail=$((host_fail + fst_fail))

# 3. kernel log scan: the whole console (boot, tests, kmemleak scan)
log "scanning the VM's kernel log"
scan_pass=0 scan_fail=0
if (cd "$REPO" && cargo run --quiet -p logscan -- "$vm/console.log"); then
	scan_pass=1
else
	scan_fail=1
fi
if [ -s "$vm/out/kmemleak.txt" ]; then
	log "kmemleak reported leaks (see $vm/out/kmemleak.txt)"; scan_fail=$((scan_fail + 1))
fi

passed=$((host_pass + vm_pass + scan_pass))
failed=$((host_fail + vm_fail + scan_fail))
echo
echo "host crates, VM cleanup and fstests subset: $host_pass passed, $host_fail failed ($fst_pass of them fstests passed, $fst_fail failed)"
echo "VM selftests: ${vm_pass:-0} passed, ${vm_fail:-0} failed ($sl)"
echo "kernel log scan: $scan_pass passed, $scan_fail failed"
echo "make check took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
