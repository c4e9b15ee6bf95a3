#!/usr/bin/env bash
# Host-side test of scripts/vm.sh: a VM run that is stopped early leaves no
# process behind. Two cases, each against a guest whose command sleeps:
#   timeout  RPC_VM_TIMEOUT runs out while the guest sleeps;
#   ctrl-c   SIGINT to the script's process group, as a terminal sends it.
# Each waits until qemu of that run is up (so the test can fail), then
# checks that the run ended in time and that no process naming the run's
# folder (vng, virtme-run, qemu, the session's shells) is left.
# Prints one "ok"/"not ok" line per case and "vm-cleanup: N passed, M failed".
. "$(dirname "$0")/lib.sh"
set +e
name=vm-cleanup-test
pass=0 fail=0
left() { pgrep -f -- "/cache/$name/" ; }
wait_for_qemu() {
	local i
	for i in $(seq 1 120); do
		pgrep -f -- "qemu-system.*/cache/$name/" >/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}
result() { # case ok? detail
	if [ "$2" = 0 ]; then echo "ok - vm-cleanup: $1"; pass=$((pass + 1))
	else echo "not ok - vm-cleanup: $1: $3"; fail=$((fail + 1)); fi
}

for case in timeout ctrl-c; do
	pkill -KILL -f -- "/cache/$name/" 2>/dev/null
	timeout=600
	[ $case = timeout ] && timeout=45
	start=$SECONDS
	# Job control: the run gets a process group of its own, as make has at
	# a terminal, and SIGINT is not ignored in it (a non-interactive shell
	# starts background commands with SIGINT ignored, which no trap undoes).
	set -m
	RPC_VM_NAME=$name RPC_VM_TIMEOUT=$timeout bash "$REPO/scripts/vm.sh" run 'sleep 600' \
		>"$RPC_CACHE/$name.$case.log" 2>&1 &
	pid=$!
	set +m
	if ! wait_for_qemu "$pid"; then
		result $case 1 "qemu of the run never started (see $RPC_CACHE/$name.$case.log)"
		kill -KILL -- "-$pid" 2>/dev/null; pkill -KILL -f -- "/cache/$name/"
		continue
	fi
	[ $case = ctrl-c ] && kill -INT -- "-$pid"
	# The run must end by itself: the time limit (counted from a little
	# before qemu started) or the trap for Ctrl-C, plus the 10 s grace
	# period of the TERM to the session.
	if [ $case = timeout ]; then limit=$((SECONDS - start + timeout + 30)); else limit=$((SECONDS - start + 30)); fi
	while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt $limit ]; do sleep 1; done
	if kill -0 "$pid" 2>/dev/null; then
		result $case 1 "vm.sh still running after $((SECONDS - start)) s"
		kill -KILL -- "-$pid" 2>/dev/null
	else
		wait "$pid"; rc=$?
		sleep 1
		leftover=$(left)
		if [ -n "$leftover" ]; then
			result $case 1 "processes left: $(ps -o pid=,comm= -p "$(echo $leftover | tr ' ' ,)" | tr '\n' ' ')"
		elif [ "$rc" = 0 ]; then
			result $case 1 "vm.sh exited 0 for a run that was stopped"
		else
			result $case 0
		fi
	fi
	pkill -KILL -f -- "/cache/$name/" 2>/dev/null
done
rm -rf "${RPC_CACHE:?}/$name"
[ $fail = 0 ] && rm -f "$RPC_CACHE/$name".*.log
echo "vm-cleanup: $pass passed, $fail failed"
[ $fail = 0 ]
