#!/usr/bin/env bash
# Boot the test kernel in virtme-ng (inside the build root) and run
# scripts/guest.sh there. The guest's console goes to $RPC_CACHE/vm/console.log,
# the guest's results to $RPC_CACHE/vm/out/.
#   scripts/vm.sh run [CMD...]
#   scripts/vm.sh check
#   scripts/vm.sh bench      (with RPC_FLAVOUR=bench: the kernel without debug options)
# RPC_VM_NAME (default vm) names the folder under $RPC_CACHE for the run's
# console and results. RPC_VM_TIMEOUT (default 3600 s) bounds the run.
# RPC_VM_MEM (default 3G: on q35, 2 GiB below 4 GiB and 1 GiB above, so that
# a Normal zone exists for the gfp=dma32 tests) sets guest RAM; RPC_VM_SWAP_SIZE (default 512M, 0:
# none) the size of the swap disk given to the guest; RPC_FLAVOUR (default debug) picks
# the kernel (kernel/<flavour>.config); RPC_VM_QEMU_OPTS adds QEMU options,
# RPC_VM_APPEND kernel parameters;
# RPC_VM_ICOUNT=N (TCG only) makes guest time count instructions, 2^N ns
# each, instead of following the host's clock (see scripts/bench.sh). KVM is used when a short probe boot
# shows it works (guests hang in the decompressor on some hosts), else TCG.
. "$(dirname "$0")/lib.sh"

flavour=${RPC_FLAVOUR:-debug}
kdir=$(bash "$REPO/scripts/kernel.sh" "$flavour")
ko=$(bash "$REPO/scripts/module.sh" "$flavour")
kin=/cache/$(basename "$kdir")
kmod=/cache/$(basename "$(dirname "$ko")")
name=${RPC_VM_NAME:-vm}
vm="$RPC_CACHE/$name"
rm -rf "$vm"; mkdir -p "$vm/out"

# A VM run is a session of its own (setsid): virtme-ng's vng, virtme-run and
# qemu all stay in it, and whatever ends the run (the guest finished or
# crashed, the time limit, Ctrl-C or a TERM to this script) kills the whole
# session. `timeout --foreground` would signal only vng and leave qemu
# running. The session is not in the terminal's foreground process group, so
# Ctrl-C reaches this script and its subshells, whose traps pass it on.
# Every session started is listed in $vm/sessions until it is gone.
kill_session() {
	kill -TERM -- "-$1" 2>/dev/null || return 0
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 -- "-$1" 2>/dev/null || return 0
		sleep 1
	done
	kill -KILL -- "-$1" 2>/dev/null || true
}
kill_sessions() {
	local s
	[ -e "$vm/sessions" ] || return 0
	for s in $(cat "$vm/sessions"); do kill_session "$s"; done
}
trap kill_sessions EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# vng_cmd TIMEOUT ARGS...: run virtme-ng in the build root, in a session of
# its own, for at most TIMEOUT seconds; its exit status (124 on timeout).
# A subshell, so that its traps are its own.
vng_cmd() (
	t=$1; shift
	RPC_ROOT_BINDS="$REPO/scripts/vm-root/udevd:usr/lib/systemd/systemd-udevd $REPO/scripts/vm-root/tmpfiles:usr/bin/systemd-tmpfiles" \
		setsid bash -c '. "$1/scripts/lib.sh"; shift; in_root "$@"' vng_cmd "$REPO" \
		vng --run "$kin" --cpus 2 --user root "$@" </dev/null &
	pid=$!
	echo "$pid" >> "$vm/sessions"
	timer=
	# set +e: a failing kill (the timer already gone) must not end the trap.
	trap 'set +e; [ -n "$timer" ] && kill "$timer" 2>/dev/null; kill_session "$pid"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sleep "$t" &
	timer=$!
	rc=0 done=
	wait -n -p done "$pid" "$timer" || rc=$?
	if [ "$done" = "$timer" ]; then
		log "the VM run exceeded $t s: stopping it"
		timer= rc=124
	fi
	exit "$rc"
)

# KVM is used if a probe boot of this kernel reaches userspace. On the
# development machines guests hang in the decompressor under KVM and never
# print a line, so the probe gives up when the kernel has said nothing
# after RPC_KVM_PROBE_QUIET seconds (default 20; QEMU and vng start in a
# few), and in any case after 60 s.
kvm_flag() {
	local probe="$RPC_CACHE/kvm-probe-$(basename "$kdir")"
	if [ ! -e "$probe" ]; then
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			log "probing KVM with a short boot"
			local plog="$vm/kvm-probe.log" quiet=${RPC_KVM_PROBE_QUIET:-20}
			vng_cmd 60 --memory 512M --verbose --exec true >"$plog" 2>&1 &
			local p=$! n=0 result=tcg
			while kill -0 "$p" 2>/dev/null; do
				sleep 1; n=$((n + 1))
				if [ "$n" -ge "$quiet" ] && ! grep -aq 'Linux version' "$plog"; then
					log "the probe guest printed nothing in $quiet s: KVM hangs here"
					kill -TERM "$p" 2>/dev/null
					break
				fi
			done
			wait "$p" && result=kvm
			echo "$result" > "$probe"
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
mem=${RPC_VM_MEM:-3G}
qopts=${RPC_VM_QEMU_OPTS:-}
# The swap disk for swap= (a sparse image, new each run; the guest runs
# mkswap on it): a virtio-blk disk with serial "rpc-swap", which guest.sh
# finds by that serial. RPC_VM_SWAP_SIZE=0 leaves it out.
swap_size=${RPC_VM_SWAP_SIZE:-512M}
if [ "$swap_size" != 0 ]; then
	truncate -s "$swap_size" "$vm/swap.img"
	qopts="$qopts -drive file=/cache/$name/swap.img,if=none,id=rpcswap,format=raw,cache=unsafe -device virtio-blk-pci,drive=rpcswap,serial=rpc-swap"
fi
# RPC_VM_ANON_SWAP_SIZE (default 0: none): a second swap disk, serial
# "rpc-anonswap", for the kernel's swap of anonymous memory (make bench).
anon_swap_size=${RPC_VM_ANON_SWAP_SIZE:-0}
if [ "$anon_swap_size" != 0 ]; then
	truncate -s "$anon_swap_size" "$vm/anonswap.img"
	qopts="$qopts -drive file=/cache/$name/anonswap.img,if=none,id=rpcanonswap,format=raw,cache=unsafe -device virtio-blk-pci,drive=rpcanonswap,serial=rpc-anonswap"
fi
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
	--append "kmemleak=on oops=panic panic=-1 softlockup_panic=1${RPC_VM_APPEND:+ $RPC_VM_APPEND}" \
	--rwdir="/cache/$name/out" ${qopts:+--qemu-opts="$qopts"} \
	--exec "RPC_KO=$kmod/rust_pagecache.ko RPC_TEST_KO=$kmod/kmod/rpc_test_driver.ko RPC_OUT=/cache/$name/out bash /src/scripts/guest.sh $mode$quoted" \
	2>&1 | tee "$vm/console.log" || true # QEMU ends on a guest reset; the status is the guest's
log "VM finished in $((SECONDS - start)) s"
status=$(cat "$vm/out/status" 2>/dev/null || echo 99)
exit "$status"
