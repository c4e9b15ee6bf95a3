#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every selftest binary in selftests/out/ (sorted, module_* last), print
# their output and a summary line counting tests (not programs):
#
#   selftests: N passed, M failed, K skipped
#
# Exits non-zero if any test failed or any program crashed, timed out or
# exited non-zero without reporting a failure (each counted as one failure).
#
# Environment: RPC_FSTYPE (default rust_pagecache), RPC_KO (module_* tests),
# RPC_TIMEOUT (per program, default 300 s; the swap and dma32 tests push
# MiB through a disk under TCG and get 1800 s, fsx's three runs of up to
# 280 s each get 900 s: each test has its own, shorter, kselftest timeout,
# so the program's is only a backstop and must not be below their sum of
# what they take on a slow machine). The summary line of each program says
# how long it took.
#
# A program that was killed (timeout) cannot run its fixtures' teardown: the
# mounts it left under /tmp/rpc-test-* are unmounted after it, so the next
# program (module_lifecycle unloads the module) starts clean, and each left
# mount counts as one more failure.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/out"
timeout_s=${RPC_TIMEOUT:-300}
export RPC_FSTYPE=${RPC_FSTYPE:-rust_pagecache}

passed=0 failed=0 skipped=0 broken=0

progs=()
if [ -d "$out" ]; then
	while IFS= read -r p; do progs+=("$p"); done < <(
		find "$out" -maxdepth 1 -type f -perm -u+x ! -name 'module_*' -printf '%f\n' | LC_ALL=C sort
		find "$out" -maxdepth 1 -type f -perm -u+x -name 'module_*' -printf '%f\n' | LC_ALL=C sort)
fi
if [ ${#progs[@]} -eq 0 ]; then
	echo "# no test programs in $out (run make -C selftests KSFT_INC=...)"
	echo "selftests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

for name in "${progs[@]}"; do
	echo "# ==== $name (RPC_FSTYPE=$RPC_FSTYPE) ===="
	log=$(mktemp)
	t=$timeout_s
	case $name in
	swap | dma32) t=$((timeout_s > 1800 ? timeout_s : 1800)) ;;
	fsx) t=$((timeout_s > 900 ? timeout_s : 900)) ;;
	esac
	start=$SECONDS
	timeout -k 10 "$t" "$out/$name" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - start))
	cat "$log"
	totals=$(grep -a -E '^# Totals: pass:[0-9]+ fail:[0-9]+ xfail:[0-9]+ xpass:[0-9]+ skip:[0-9]+ error:[0-9]+' "$log" | tail -n 1)
	rm -f "$log"
	p=0 f=0 s=0
	re='pass:([0-9]+) fail:([0-9]+) xfail:([0-9]+) xpass:([0-9]+) skip:([0-9]+) error:([0-9]+)'
	if [[ $totals =~ $re ]]; then
		# xfail is an expected failure (a pass), xpass an unexpected pass (a failure).
		p=$((BASH_REMATCH[1] + BASH_REMATCH[3]))
		f=$((BASH_REMATCH[2] + BASH_REMATCH[4] + BASH_REMATCH[6]))
		s=${BASH_REMATCH[5]}
	else
		totals=
	fi
	status="exit $rc"
	if [ "$rc" -ge 124 ] || [ "$rc" -gt 128 ]; then
		# timeout(1) returns 124 (137 after -k); >128 means killed by a signal.
		status="crashed or timed out (exit $rc)"
		f=$((f + 1)); broken=$((broken + 1))
	elif [ -z "$totals" ]; then
		status="no kselftest totals (exit $rc)"
		f=$((f + 1)); broken=$((broken + 1))
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		status="exit $rc without a failed test"
		f=$((f + 1)); broken=$((broken + 1))
	fi
	left=0
	while read -r _ mnt _; do
		case $mnt in /tmp/rpc-test-*) ;; *) continue ;; esac
		echo "# $name left $mnt mounted: unmounting it"
		umount -l "$mnt" && rmdir "$mnt" 2>/dev/null
		left=$((left + 1))
	done < <(cat /proc/mounts)
	[ "$left" -gt 0 ] && { f=$((f + left)); broken=$((broken + 1)); status="$status, left $left mount(s)"; }
	echo "# ==== $name: pass $p, fail $f, skip $s; $status; $took s of $t ===="
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

echo "selftests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
