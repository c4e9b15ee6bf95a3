#!/usr/bin/env bash
# make soak DURATION=...: fsx, fstests' fsstress and swap churn at the same
# time in the debug kernel's VM (KASAN, lockdep, kmemleak) for DURATION
# (seconds, or with an m or h suffix; default 600), then one line per load,
# the swap counters and "soak: N passed, M failed" (scripts/guest-soak.sh),
# followed by the scan of the VM's kernel log and kmemleak's report.
# Results: $RPC_CACHE/soak/ (console.log, out/soak/).
. "$(dirname "$0")/lib.sh"

d=${1:-600}
case $d in
*h) secs=$(( ${d%h} * 3600 )) ;;
*m) secs=$(( ${d%m} * 60 )) ;;
*) secs=$d ;;
esac
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -ge 60 ] || die "DURATION=$d: want at least 60 seconds (600, 10m, 2h)"

bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
kdir=$(bash "$REPO/scripts/kernel.sh" debug) || die "kernel build"
bash "$REPO/scripts/module.sh" debug >/dev/null || die "module build"
in_root make -s -C /src/selftests KSFT_INC="/cache/$(basename "$kdir")/tools/testing/selftests" >&2 ||
	die "selftests build failed"
tar=$(bash "$REPO/scripts/fstests-build.sh") || die "fstests build (for fsstress)"

start=$SECONDS
# A 1 GiB swap disk; the boot and the last fsx run come on top of DURATION.
RPC_VM_NAME=soak RPC_VM_SWAP_SIZE=1G RPC_VM_TIMEOUT=$((secs + 1500)) \
	bash "$REPO/scripts/vm.sh" soak "$secs" "/cache/${tar#"$RPC_CACHE"/}"
rc=$?
vm="$RPC_CACHE/soak"
scan=0
(cd "$REPO" && cargo run --quiet -p logscan -- "$vm/console.log") || scan=1
if [ -s "$vm/out/kmemleak.txt" ]; then
	log "kmemleak reported leaks (see $vm/out/kmemleak.txt)"; scan=1
fi
line=$(grep -a '^soak: [0-9]* passed, [0-9]* failed' "$vm/out/soak.txt" 2>/dev/null | tail -1)
echo
sed -n '/== results after/,$p' "$vm/out/soak.txt" 2>/dev/null | grep -v '^soak: '
echo "soak took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s; kernel log: $([ $scan = 0 ] && echo clean || echo NOT clean)"
p=$(echo "$line" | sed -n 's/^soak: \([0-9]*\) passed.*/\1/p')
f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
[ -n "$line" ] || { p=0 f=1; log "no soak summary (crash or timeout?): see $vm/console.log"; }
echo "$((p + 1 - scan)) passed, $((f + scan)) failed"
[ "$rc" = 0 ] && [ "$scan" = 0 ] && [ "$f" = 0 ]
