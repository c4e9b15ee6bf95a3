#!/usr/bin/env bash
# make run: build root, kernel, module; boot; load; mount at /mnt; demo (or
# CMD); unmount; unload; show the kernel log. Exit status: CMD's (or the demo's).
#   scripts/run.sh [CMD...]
. "$(dirname "$0")/lib.sh"
bash "$REPO/scripts/buildroot.sh" >/dev/null || die "build root"
exec bash "$REPO/scripts/vm.sh" run "$@"
