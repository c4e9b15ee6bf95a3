#!/usr/bin/env bash
# Build the module out of tree against the cached debug kernel, and beside
# it the selftests' test modules (selftests/kmod: rpc_test_driver.ko and
# rpc_test_gem.ko, in kmod/). The output goes to $RPC_CACHE/module-<flavour>
# (never into the repository; RPC_MODULE_DIR names another folder there:
# scripts/mutants.sh builds its mutants apart). Prints the path of
# rust_pagecache.ko.
#   scripts/module.sh [flavour]
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
kdir=$(bash "$REPO/scripts/kernel.sh" "$flavour")
mod=${RPC_MODULE_DIR:-module-$flavour}
out="$RPC_CACHE/$mod"
mkdir -p "$out"
log "building rust_pagecache.ko against $(basename "$kdir")"
in_root sh -ec "make -s -C /cache/$(basename "$kdir") LLVM=1 M=/src MO=/cache/$mod modules" >&2 ||
	die "module build failed"
[ -f "$out/rust_pagecache.ko" ] || die "no rust_pagecache.ko in $out"
mkdir -p "$out/kmod"
in_root sh -ec "make -s -C /cache/$(basename "$kdir") LLVM=1 M=/src/selftests/kmod MO=/cache/$mod/kmod \
	KBUILD_EXTRA_SYMBOLS=/cache/$mod/Module.symvers modules" >&2 ||
	die "test driver build failed"
echo "$out/rust_pagecache.ko"
