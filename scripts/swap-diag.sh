#!/usr/bin/env bash
# make swap-diag [ROUNDS=2]: bench/guest-swap-diag.sh in one boot of the
# benchmark VM, as make bench's swap rows run (instruction counter, 2 GiB,
# the shared swap disk and a 64 MiB second one for fio's own memory): the
# counters behind the swap-randread-4k row, per file system and round.
. "$(dirname "$0")/lib.sh"
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
bash "$REPO/scripts/kernel.sh" bench >/dev/null || die "bench kernel build"
RPC_FLAVOUR=bench RPC_VM_MEM=2G RPC_VM_ICOUNT=2 RPC_VM_ANON_SWAP_SIZE=64M \
	bash "$REPO/scripts/vm.sh" run "bash /src/bench/guest-swap-diag.sh ${1:-2}"
