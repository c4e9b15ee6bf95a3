#!/usr/bin/env bash
# Boot the test kernel in virtme-ng (inside the build root) and run
# scripts/guest.sh there. The guest's console goes to $RPC_CACHE/vm/console.log,
# the guest's results to $RPC_CACHE/vm/out/.
#   scripts/vm.sh run [CMD...]
#   scripts/vm.sh check
#   scripts/vm.sh bench      (with RPC_FLAVOUR=bench: the kernel without debug options)
# RPC_VM_MEM (default 2G) sets guest RAM; RPC_FLAVOUR (default debug) picks
# the kernel (kernel/<flavour>.config); RPC_VM_QEMU_OPTS adds QEMU options;
# RPC_VM_ICOUNT=N (TCG only) makes guest time count instructions, 2^N ns
# each, instead of following the host's clock (see scripts/bench.sh). KVM is used when a short probe boot
# shows it works (guests hang in the decompressor on some hosts), else TCG.
. "$(dirname "$0")/lib.sh"

flavour=${RPC_FLAVOUR:-debug}
kdir=$(bash "$REPO/scripts/kernel.sh" "$flavour")
ko=$(bash "$REPO/scripts/module.sh" "$flavour")
kin=/cache/$(basename "$kdir")
vm="$RPC_CACHE/vm"
rm -rf "$vm"; mkdir -p "$vm/out"

# vng_cmd TIMEOUT ARGS...: run virtme-ng in the build root.
vng_cmd() {
	local t=$1; shift
	RPC_ROOT_BINDS="$REPO/scripts/vm-root/udevd:usr/lib/systemd/systemd-udevd $REPO/scripts/vm-root/tmpfiles:usr/bin/systemd-tmpfiles" \
	in_root timeout --foreground -k 10 "$t" vng --run "$kin" --cpus 2 --user root "$@" </dev/null
}

kvm_flag() {
	local probe="$RPC_CACHE/kvm-probe-$(basename "$kdir")"
	if [ ! -e "$probe" ]; then
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			log "probing KVM with a short boot (60 s at most)"
			if vng_cmd 60 --memory 512M --exec true >/dev/null 2>&1; then
				echo kvm > "$probe"
			else
				echo tcg > "$probe"
			fi
		else
			echo tcg > "$probe"
		fi
		log "virtualisation: $(cat "$probe")"
	fi
	[ "$(cat "$probe")" = kvm ] || echo --disable-kvm
}

mode=$1; shift
quoted=
[ $# -gt 0 ] && quoted=$(printf ' %q' "$@")
flag=$(kvm_flag)
mem=${RPC_VM_MEM:-2G}
qopts=${RPC_VM_QEMU_OPTS:-}
clock="host clock"
if [ -n "${RPC_VM_ICOUNT:-}" ] && [ -n "$flag" ]; then
	qopts="$qopts -icount shift=$RPC_VM_ICOUNT,sleep=off"
	clock="icount shift=$RPC_VM_ICOUNT"
fi
echo "$clock" > "$vm/clock"
log "booting the $flavour kernel ($mem, ${flag:-kvm}, $clock; the debug kernel takes 3-4 min to userspace under TCG)"
start=$SECONDS
# kmemleak=on: leak reports; oops=panic + panic=-1: a crash ends the VM.
vng_cmd "${RPC_VM_TIMEOUT:-3600}" $flag --memory "$mem" --verbose \
	--append "kmemleak=on oops=panic panic=-1 softlockup_panic=1" \
	--rwdir="/cache/vm/out" ${qopts:+--qemu-opts="$qopts"} \
	--exec "RPC_KO=/cache/module-$flavour/rust_pagecache.ko RPC_OUT=/cache/vm/out bash /src/scripts/guest.sh $mode$quoted" \
	2>&1 | tee "$vm/console.log" || true # QEMU ends on a guest reset; the status is the guest's
log "VM finished in $((SECONDS - start)) s"
status=$(cat "$vm/out/status" 2>/dev/null || echo 99)
exit "$status"
