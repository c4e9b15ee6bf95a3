#!/bin/bash
# Runs inside the test VM, from guest.sh's fstests mode (the module loaded):
# unpacks the built fstests suite (scripts/fstests-build.sh) into /tmp and
# runs its ./check over the given tests once per file system type, in that
# order, each test stopped after TIMEOUT s and each file system's run after
# its share of BUDGET s. Writes $RPC_OUT/<fstype>/ (check.out: check's
# output; results/: its results folder; killed: the tests stopped) and
# $RPC_OUT/table.txt (scripts/fstests-table.py), and prints the table.
#   guest-fstests.sh TAR TIMEOUT BUDGET FSTYPES TEST...
#     FSTYPES: comma-separated, e.g. tmpfs,rust_pagecache
# Both types get the same mount options, check's tmpfs ones: size=1G.
set -u
OUT=${RPC_OUT:?}
[ $# -ge 5 ] || { echo "usage: guest-fstests.sh TAR TIMEOUT BUDGET FSTYPES TEST..."; exit 2; }
tar=$1 timeout=$2 budget=$3 fstypes=$4; shift 4
say() { printf '\n== %s\n' "$*"; }
t0=$SECONDS
printf '%s\n' "$@" > "$OUT/tests"

# The users and groups fstests asks for (its README, step 6): copies of the
# account files with the entries added, bound over the originals (the root
# is the build root, not to be changed).
add_users() {
	local f n id=2000
	for f in passwd group shadow; do cp /etc/$f /tmp/etc-$f; done
	for n in fsgqa 123456-fsgqa fsgqa2; do
		id -u "$n" >/dev/null 2>&1 && continue
		while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do id=$((id + 1)); done
		mkdir -p "/tmp/home/$n"; chown "$id:$id" "/tmp/home/$n"
		echo "$n:x:$id:$id::/tmp/home/$n:/bin/bash" >> /tmp/etc-passwd
		echo "$n:x:$id:" >> /tmp/etc-group
		echo "$n:!:20000:0:99999:7:::" >> /tmp/etc-shadow
		id=$((id + 1))
	done
	for f in passwd group shadow; do mount --bind /tmp/etc-$f /etc/$f; done
}
add_users
# What a process costs here: fork, and fork + exec of /bin/true, in ms
# (check starts hundreds of processes a test; see RPC_VM_APPEND in
# scripts/fstests.sh).
costs() {
	local t i f
	t=${EPOCHREALTIME/./}; for i in 1 2 3 4 5 6 7 8 9 10; do ( : ); done; f=$(( (${EPOCHREALTIME/./} - t) / 10000 ))
	t=${EPOCHREALTIME/./}; for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done
	echo "a fork costs $f ms, a fork and exec of /bin/true $(( (${EPOCHREALTIME/./} - t) / 10000 )) ms"
}
costs
grep -o 'cache=[a-z]*' /proc/cmdline | tail -1

say "unpacking $tar into /tmp"
tar -C /tmp -xf "$tar" || { echo "unpacking failed"; exit 1; }
echo "unpacked in $((SECONDS - t0)) s"

# check asks kmemleak for two full scans after every test when
# $DEBUGFS_MNT/kmemleak is writable: under KASAN and TCG that is most of a
# test's time. DEBUGFS_MNT is a private bind of debugfs with kmemleak covered
# by a read-only empty file, so the other knobs (fail_make_request,
# split_huge_pages, clear_warn_once) still work; guest.sh's single scan at
# the end still reports leaks.
dbg=/tmp/fstests-debugfs
mkdir -p "$dbg"; : > /tmp/no-kmemleak
if mount --bind /sys/kernel/debug "$dbg" && mount --make-private "$dbg" &&
	{ [ ! -e "$dbg/kmemleak" ] || { mount --bind /tmp/no-kmemleak "$dbg/kmemleak" &&
		mount -o remount,bind,ro "$dbg/kmemleak"; }; } && [ ! -w "$dbg/kmemleak" ]; then
	:
else
	echo "warning: no private debugfs without kmemleak; DEBUGFS_MNT points at an empty folder"
	umount -R "$dbg" 2>/dev/null; dbg=/tmp/fstests-no-debugfs; mkdir -p "$dbg"
fi

# nap N: sleep N s without starting a process (under TCG with KASAN every
# fork and exec costs: see the timing printed at the start).
mkfifo /tmp/fstests-nap; exec 9<>/tmp/fstests-nap
nap() { read -r -t "$1" -u 9 _ || true; }

# tree PID: PID and all its descendants, parents first.
tree() {
	local c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1"); do tree "$c"; done
}
# stop_tree PID: stop PID and everything below it, then kill them all.
stop_tree() {
	local p all
	all=$(tree "$1")
	for p in $all; do kill -STOP "$p" 2>/dev/null; done
	all="$all $(for p in $all; do tree "$p"; done)"
	for p in $all; do kill -KILL "$p" 2>/dev/null; done
}

# A test is the process "/bin/bash <tree>/tests/<dir>/<n>" (check's _run_seq
# execs it; its subshells look the same, so only the topmost counts). One
# that has run for more than $timeout s gets a TERM (its _cleanup runs); 5 s
# later it and all it had started are killed; check then counts it as failed
# and goes on. Called every 30 s while check runs.
stop_slow_tests() {
	local killed=$1 pid name all p
	ps -eo pid=,ppid=,etimes=,args= | awk -v t="$timeout" '
		NF == 5 && $4 == "/bin/bash" && $5 ~ /\/tests\/[a-z]+\/[0-9]+$/ { test[$1] = 1; ppid[$1] = $2; et[$1] = $3; arg[$1] = $5 }
		END { for (p in test) if (!(ppid[p] in test) && et[p] > t) print p, arg[p] }' |
	while read -r pid name; do
		name=${name##*/tests/}
		echo "$name" >> "$killed"
		echo "fstests: $name ran for more than $timeout s: stopping it" > /dev/kmsg
		all=$(tree "$pid")
		kill -TERM "$pid" 2>/dev/null
		sleep 5
		for p in $all; do kill -0 "$p" 2>/dev/null && stop_tree "$p"; done
	done
}

left=$(echo "${fstypes//,/ }" | wc -w)
for fs in ${fstypes//,/ }; do
	d=$OUT/$fs
	mkdir -p "$d"; : > "$d/killed"
	res=/tmp/fstests-results/$fs
	mnt=/tmp/fstests-mnt/$fs
	mkdir -p "$mnt/test" "$mnt/scratch"
	short=$fs; [ "$fs" = rust_pagecache ] && short=rpc
	# This file system's share of what is left of the budget.
	share=$(( (budget - (SECONDS - t0)) / left )); left=$((left - 1))
	[ "$share" -gt 60 ] || share=60
	say "fstests on $fs: $# tests, at most $timeout s each, $share s in all"
	start=$SECONDS
	# check in a session of its own: it traps TERM and waits for the running
	# test, so a run over its share is ended by killing the whole group.
	(cd /tmp/xfstests && exec env FSTYP="$fs" TEST_DEV="${short}_test" TEST_DIR="$mnt/test" \
		SCRATCH_DEV="${short}_scratch" SCRATCH_MNT="$mnt/scratch" RESULT_BASE="$res" \
		DEBUGFS_MNT="$dbg" TMPFS_MOUNT_OPTIONS= \
		setsid ./check -R xunit-quiet "$@") > "$d/check.out" 2>&1 &
	pid=$!
	sleep 1
	[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || echo "warning: check is not its own process group"
	tail -n +1 -f --pid="$pid" "$d/check.out" &
	tailpid=$!
	n=0
	while kill -0 "$pid" 2>/dev/null; do
		nap 5; n=$((n + 1))
		[ $((n % 6)) = 0 ] && stop_slow_tests "$d/killed"
		if [ $((SECONDS - start)) -gt "$share" ]; then
			echo "fstests: $fs: over its $share s: stopping check" | tee -a "$d/check.out" > /dev/kmsg
			echo budget > "$d/stopped"
			kill -TERM -- "-$pid" 2>/dev/null; sleep 10; stop_tree "$pid"; kill -KILL -- "-$pid" 2>/dev/null
			break
		fi
	done
	wait "$pid"; echo "check exit status $?" > "$d/check.status"
	wait "$tailpid" 2>/dev/null
	echo "$((SECONDS - start))" > "$d/seconds"
	umount "$mnt/scratch" "$mnt/test" 2>/dev/null
	mkdir -p "$d/results"; cp -a "$res/." "$d/results/" 2>/dev/null
	say "$fs: $((SECONDS - start)) s"
done

say "fstests table"
python3 /src/scripts/fstests-table.py --expected /src/fstests/expected-failures "$OUT" | tee "$OUT/table.txt"
