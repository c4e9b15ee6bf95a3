#!/usr/bin/env bash
# make mutants [MUTANT=name]: the mutation proof of the tests that guard a
# race or a zone. Each selftests/mutants/<name>.patch breaks one thing on
# purpose; its header names the tests that must catch it:
#   Catches: PROGRAM TEST...
# For each mutant: a copy of the working tree (its tracked files) with the
# patch applied, the module built apart ($RPC_CACHE/module-mutant, so the
# real build is never mixed with it), one VM boot ($RPC_CACHE/vm-mutant)
# running those tests. Caught: every named test failed. Survived: one
# passed or gave no result, or the patch no longer applies (it must follow
# the code it mutates). About 6 minutes per mutant under TCG; not part of
# make check. Last line:
#   mutants: N caught, M survived
#   scripts/mutants.sh [name]
. "$(dirname "$0")/lib.sh"
set +e
want=${1:-}
copy=$(mktemp -d /tmp/rpc-mutant.XXXXXX)
trap 'rm -rf "$copy"' EXIT
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
kdir=$(bash "$REPO/scripts/kernel.sh" debug) || die "kernel build"
caught=0 survived=0 seen=0
for p in "$REPO"/selftests/mutants/*.patch; do
	name=$(basename "$p" .patch)
	[ -n "$want" ] && [ "$want" != "$name" ] && continue
	seen=$((seen + 1))
	read -r prog tests < <(sed -n 's/^Catches: //p' "$p")
	if [ -z "$prog" ] || [ -z "$tests" ]; then
		log "mutant $name: no 'Catches: PROGRAM TEST...' line"; survived=$((survived + 1)); continue
	fi
	find "$copy" -mindepth 1 -delete
	(cd "$REPO" && git ls-files -z | xargs -0 cp -a --parents -t "$copy")
	if ! patch -s -p1 -d "$copy" < "$p"; then
		log "mutant $name: the patch no longer applies"; survived=$((survived + 1)); continue
	fi
	log "mutant $name: $(sed -n 's/^Mutant: //p' "$p")"
	# The copy's own scripts: /src in the build root is the copy.
	if ! bash -c '. "$1/scripts/lib.sh"; in_root make -s -C /src/selftests KSFT_INC="$2"' _ "$copy" \
		"/cache/$(basename "$kdir")/tools/testing/selftests" >&2; then
		log "mutant $name: selftests build failed"; survived=$((survived + 1)); continue
	fi
	cmd="cd /; umount /mnt; /src/selftests/out/$prog"
	for t in $tests; do cmd="$cmd -t $t"; done
	RPC_MODULE_DIR=module-mutant RPC_VM_NAME=vm-mutant bash "$copy/scripts/vm.sh" run "$cmd" >/dev/null 2>&1
	console="$RPC_CACHE/vm-mutant/console.log"
	verdict=caught
	# A result line names the test's fixture, not the program (namespace's
	# tests are ns.*): any fixture name before the test's.
	for t in $tests; do
		if tr -d '\r' < "$console" | grep -aqE "^not ok [0-9]+ [A-Za-z0-9_]+\.$t\$"; then
			log "  caught by $prog.$t"
		elif tr -d '\r' < "$console" | grep -aqE "^ok [0-9]+ [A-Za-z0-9_]+\.$t\$"; then
			log "  SURVIVED $prog.$t"; verdict=survived
		else
			log "  no result from $prog.$t (see $console)"; verdict=survived
		fi
	done
	tr -d '\r' < "$console" | grep -a -E "^# $prog\.c:[0-9]+:" | sed 's/^/    /' | head -20 >&2
	if [ "$verdict" = caught ]; then caught=$((caught + 1)); else survived=$((survived + 1)); fi
done
[ "$seen" -gt 0 ] || die "no mutant ${want:+named $want }in selftests/mutants/"
echo "mutants: $caught caught, $survived survived"
[ "$survived" -eq 0 ]
