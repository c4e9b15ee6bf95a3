#!/usr/bin/env bash
# make fstests: the public fstests (xfstests) suite on tmpfs and on
# rust_pagecache, side by side, in the test kernel's VM. Builds the root,
# kernel, module and the suite (scripts/fstests-build.sh), boots the VM as
# many times as the list needs (RPC_VM_NAME=fstests, so make check's vm/ is
# left alone), runs ./check over the same tests on each file system there
# (scripts/guest-fstests.sh) and prints one table: test, state on tmpfs, on
# rust_pagecache, seconds on each; then a summary line
#   fstests: tmpfs P passed F failed N notrun; rust_pagecache ...; K fail or notrun on rust_pagecache but pass on tmpfs
#   scripts/fstests.sh [i/n]   the i-th of n equal slices of the list (default 1/1)
# RPC_FSTESTS_LIST      the list (default fstests/quick.list: the generic quick group)
# RPC_FSTESTS_TESTS     test names instead of a list, e.g. "generic/001 generic/013"
# RPC_FSTESTS_PER_BOOT  tests per VM boot (default 12)
# RPC_FSTESTS_TEST_TIMEOUT  seconds a test may run on one file system (default 300)
# RPC_FSTESTS_FSTYPES   default tmpfs,rust_pagecache
# RPC_VM_TIMEOUT        bound of one boot (default 1500 s); the tests get that
#                       less 5 min (boot, the leak scan), shared equally
#                       between the file systems
# RPC_VM_MEM            guest RAM (default 3G: two 1 GiB mounts and KASAN)
# RPC_FLAVOUR           the kernel: debug (default; KASAN, lockdep, kmemleak:
#                       make check's subset) or bench (no debug options: a
#                       test runs several times faster, for the broad pass)
# RPC_FSTESTS_OUT       the results folder under $RPC_CACHE (default
#                       fstests-out; make check's subset uses that one)
# RPC_HEAVY_LOCK        a lock file (flock) held around each build and each
#                       boot only, for a machine shared by several checkouts
# Results: $RPC_CACHE/$RPC_FSTESTS_OUT/ (boot-N/: that boot's out/ and console.log;
# table.txt). Exit status 0 when nothing fails on rust_pagecache that passes
# on tmpfs, every test ran to its end on both, every boot finished and the
# kernel logs are clean.
. "$(dirname "$0")/lib.sh"

shard=${1:-1/1}
[[ $shard =~ ^([0-9]+)/([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] &&
	[ "${BASH_REMATCH[1]}" -le "${BASH_REMATCH[2]}" ] || die "shard '$shard': want i/n with 1 <= i <= n"
si=${BASH_REMATCH[1]} sn=${BASH_REMATCH[2]}
per_boot=${RPC_FSTESTS_PER_BOOT:-12}
ttimeout=${RPC_FSTESTS_TEST_TIMEOUT:-300}
fstypes=${RPC_FSTESTS_FSTYPES:-tmpfs,rust_pagecache}
vmt=${RPC_VM_TIMEOUT:-1500}
budget=$((vmt - 300))
[ "$budget" -ge 240 ] || die "RPC_VM_TIMEOUT=$vmt leaves the tests no time (want at least 540)"

if [ -n "${RPC_FSTESTS_TESTS:-}" ]; then
	all=($RPC_FSTESTS_TESTS)
else
	list=${RPC_FSTESTS_LIST:-$REPO/fstests/quick.list}
	[ -r "$list" ] || die "no test list $list"
	mapfile -t all < <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$list")
fi
n=${#all[@]}
from=$(( (si - 1) * n / sn )) to=$(( si * n / sn ))
tests=("${all[@]:from:to-from}")
[ ${#tests[@]} -gt 0 ] || die "shard $shard of $n tests is empty"
boots=$(( (${#tests[@]} + per_boot - 1) / per_boot ))

heavy() { if [ -n "${RPC_HEAVY_LOCK:-}" ]; then flock "$RPC_HEAVY_LOCK" "$@"; else "$@"; fi; }
heavy bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
flavour=${RPC_FLAVOUR:-debug}
export RPC_FLAVOUR=$flavour
heavy bash "$REPO/scripts/kernel.sh" "$flavour" >/dev/null || die "kernel build"
tar=$(heavy bash "$REPO/scripts/fstests-build.sh") || die "fstests build"
heavy bash "$REPO/scripts/module.sh" "$flavour" >/dev/null || die "module build"
outname=${RPC_FSTESTS_OUT:-fstests-out}
[[ $outname =~ ^[A-Za-z0-9_.-]+$ && $outname != fstests ]] || die "RPC_FSTESTS_OUT='$outname': want a plain folder name (not 'fstests')"
out="$RPC_CACHE/$outname"
# virtme-ng mounts the root (9p) without a page cache, so every exec reads
# the program and its libraries from the host again: 277 ms for /bin/true
# under TCG with KASAN, and check starts hundreds of processes a test. The
# root does not change during a run: cache=loose (a later rootflags= wins).
append=${RPC_FSTESTS_ROOTFLAGS-rootflags=version=9p2000.L,trans=virtio,access=any,cache=loose}
rm -rf "$out"; mkdir -p "$out"
log "fstests ($flavour kernel): shard $shard, ${#tests[@]} of $n tests (${tests[0]} .. ${tests[-1]}) on ${fstypes//,/ and }, $boots VM boot(s) of up to $per_boot tests, at most $vmt s each"
start=$SECONDS
rc=0
for ((b = 0; b < boots; b++)); do
	chunk=("${tests[@]:b*per_boot:per_boot}")
	log "boot $((b + 1)) of $boots: ${chunk[0]} .. ${chunk[-1]}"
	RPC_VM_NAME=fstests RPC_VM_MEM=${RPC_VM_MEM:-3G} RPC_VM_TIMEOUT=$vmt RPC_VM_SWAP_SIZE=0 RPC_VM_APPEND=$append \
		heavy bash "$REPO/scripts/vm.sh" fstests "/cache/${tar#"$RPC_CACHE"/}" "$ttimeout" "$budget" "$fstypes" "${chunk[@]}" ||
		{ log "boot $((b + 1)) did not finish cleanly"; rc=1; }
	d="$out/boot-$((b + 1))"
	mv "$RPC_CACHE/fstests/out" "$d" 2>/dev/null || mkdir -p "$d"
	mv "$RPC_CACHE/fstests/console.log" "$d/" 2>/dev/null || true
	# This boot's summary line; the whole table comes at the end.
	grep -a '^fstests: ' "$d/table.txt" 2>/dev/null | tail -1 || true
done

scan=0
if command -v cargo >/dev/null; then
	for d in "$out"/boot-*; do
		(cd "$REPO" && cargo run --quiet -p logscan -- "$d/console.log") > "$d/logscan.txt" 2>&1 ||
			{ log "kernel log of ${d##*/}: splats (see $d/logscan.txt)"; scan=1; }
		if [ -s "$d/kmemleak.txt" ]; then
			log "kmemleak reported leaks in ${d##*/} ($d/kmemleak.txt)"; scan=1
		fi
	done
fi
dirs=$(cd "$out" && ls -d boot-* | sort -t- -k2n | sed "s|^|/cache/$outname/|")
in_root python3 /src/scripts/fstests-table.py --expected /src/fstests/expected-failures $dirs > "$out/table.txt" ||
	die "no table (see $out)"
echo
cat "$out/table.txt"
echo "fstests took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s in $boots VM boot(s); results in $out"
[ "$scan" = 0 ] || { echo "fstests: the kernel log scan found problems (see above)"; rc=1; }
grep -q ' 0 fail or notrun on rust_pagecache but pass on tmpfs' "$out/table.txt" || rc=1
grep -q '^not run to the end' "$out/table.txt" && rc=1
exit "$rc"
