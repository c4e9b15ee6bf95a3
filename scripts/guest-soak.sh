#!/bin/bash
# Runs inside the test VM (scripts/guest.sh soak): three loads at once until
# DURATION seconds have passed, then a summary.
#   guest-soak.sh DURATION FSTESTS_TAR
#
#   fsx      selftests/out/fsx over and over with a new seed each time (its
#            unlimited and enospc runs, each on a mount of its own; every
#            operation checked against its model)
#   fsstress fstests' fsstress (4 processes) on a mount with the VM's swap
#            disk, inside a memcg of 64 MiB, so that what it writes goes to
#            swap and comes back
#   churn    in the same memcg and mount: a 96 MiB file of random bytes
#            written, pushed out by memory.reclaim, read back and compared
#            with its checksum, over and over
#
# Prints one line per load, the mount's swap counters and, last,
# "soak: N passed, M failed" (one pass or failure per load, and the
# unmount: kill_sb's accounting WARN and the VM log scan come on top).
set -u
dur=$1 tar=$2
end=$((SECONDS + dur))
out=${RPC_OUT:?}/soak
mkdir -p "$out"
say() { printf '\n== %s\n' "$*"; }

say "soak: $dur s of fsx, fsstress and swap churn"
mkdir -p /tmp/fst
tar -C /tmp/fst -xf "$tar" xfstests/ltp/fsstress 2>/dev/null ||
	tar -C /tmp/fst -xf "$tar" xfstests/src/fsstress
fsstress=$(ls /tmp/fst/xfstests/ltp/fsstress /tmp/fst/xfstests/src/fsstress 2>/dev/null | head -1)
[ -x "$fsstress" ] || { echo "no fsstress in $tar"; echo "soak: 0 passed, 1 failed"; exit 1; }
[ -n "${RPC_SWAP_DEV:-}" ] || { echo "no swap disk"; echo "soak: 0 passed, 1 failed"; exit 1; }

mnt=/tmp/rpc-soak
mkdir -p "$mnt"
mkswap -f "$RPC_SWAP_DEV" >/dev/null
mount -t rust_pagecache -o "size=1g,swap=$RPC_SWAP_DEV" none "$mnt" || { echo "soak: 0 passed, 1 failed"; exit 1; }
stats=/sys/kernel/debug/rust_pagecache/$(mountpoint -d "$mnt")/stats
cg=/sys/fs/cgroup/rpc-soak
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
echo 64M > "$cg/memory.max" || { echo "soak: no memory cgroup"; echo "soak: 0 passed, 1 failed"; exit 1; }

# fsx: no swap disk for it (the soak mount holds the device).
(
	runs=0 fails=0 ops=0 seed=1000
	while [ $SECONDS -lt $end ]; do
		seed=$((seed + 1))
		# -T: the two cores are shared with the other loads (a 100,000-op
		# run passed its default 280 s once they no longer OOMed).
		RPC_SWAP_DEV= timeout -k 10 900 /src/selftests/out/fsx -s "$seed" -n 100000 -T 850 \
			> "$out/fsx-last.log" 2>&1
		# Its swap run skips (no disk for it): pass or skip, nothing else.
		if grep -aqE '^# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:1 error:0' "$out/fsx-last.log"; then
			ops=$((ops + 125000))
		else
			fails=$((fails + 1)); cp "$out/fsx-last.log" "$out/fsx-fail-$seed.log"
		fi
		runs=$((runs + 1))
	done
	echo "fsx: $runs runs, $ops operations checked, $fails failed" > "$out/fsx.txt"
) &
fsx_pid=$!

# fsstress inside the memcg.
(
	echo $BASHPID > "$cg/cgroup.procs"
	runs=0 fails=0 seed=1
	while [ $SECONDS -lt $end ]; do
		seed=$((seed + 1))
		mkdir -p "$mnt/fss"
		if ! timeout -k 10 600 "$fsstress" -d "$mnt/fss" -p 4 -n 2000 -s "$seed" \
			> "$out/fsstress-last.log" 2>&1; then
			fails=$((fails + 1)); cp "$out/fsstress-last.log" "$out/fsstress-fail-$seed.log"
		fi
		rm -rf "$mnt/fss" || fails=$((fails + 1))
		runs=$((runs + 1))
	done
	echo "fsstress: $runs runs of 4 x 2000 operations, $fails failed" > "$out/fsstress.txt"
) &
fss_pid=$!

# Swap churn inside the memcg.
(
	echo $BASHPID > "$cg/cgroup.procs"
	rounds=0 bad=0
	while [ $SECONDS -lt $end ]; do
		dd if=/dev/urandom of="$mnt/churn" bs=1M count=96 status=none
		want=$(sha1sum < "$mnt/churn")
		echo 256M > "$cg/memory.reclaim" 2>/dev/null
		got=$(sha1sum < "$mnt/churn")
		[ "$want" = "$got" ] || bad=$((bad + 1))
		rm -f "$mnt/churn"
		rounds=$((rounds + 1))
	done
	echo "churn: $rounds rounds of 96 MiB through swap, $bad mismatches" > "$out/churn.txt"
) &
churn_pid=$!

# Every 10 s: the memcg's usage and events and the mount's swap and
# shrinker counters, for reading an OOM or a stall afterwards.
(
	while [ $SECONDS -lt $end ]; do
		{
			echo "t=$SECONDS memory.current=$(cat "$cg/memory.current" 2>/dev/null)" \
				"$(tr '\n' ' ' < "$cg/memory.events" 2>/dev/null)"
			grep -E '^(folios_cached|swapped_out|swapped_in|swap_rotated|swap_clean_out|swap_slots_used|shrink_)' "$stats" | tr '\n' ' '
			echo
		} >> "$out/monitor.log"
		sleep 10
	done
) &
mon_pid=$!

passed=0 failed=0
wait "$fsx_pid" "$fss_pid" "$churn_pid"
kill "$mon_pid" 2>/dev/null; wait "$mon_pid" 2>/dev/null
say "results after $dur s"
for f in fsx fsstress churn; do
	line=$(cat "$out/$f.txt" 2>/dev/null || echo "$f: no result")
	echo "$line"
	case $line in
	*" 0 failed" | *" 0 mismatches") passed=$((passed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done
grep -E '^(swapped_out|swapped_in|swap_readahead|swap_cache_hits|swap_slots_used|swap_full|swap_write_errors|swap_read_errors) ' "$stats"
# Everything was removed: no slot may be left in use.
slots=$(awk '$1 == "swap_slots_used" { print $2 }' "$stats")
if [ "${slots:-x}" = 0 ]; then passed=$((passed + 1)); else echo "swap slots still in use: ${slots:-?}"; failed=$((failed + 1)); fi
rmdir "$cg" 2>/dev/null
if umount "$mnt"; then passed=$((passed + 1)); else echo "umount failed"; failed=$((failed + 1)); fi
echo "soak: $passed passed, $failed failed"
[ "$failed" = 0 ]
