# rust_pagecache -- see README.md.
#
#   make run              build everything, boot the VM, mount, demo
#   make run CMD='...'    run CMD in the VM (module mounted at /mnt, repo at /src)
#   make check            every test; last line "N passed, M failed"
#   make bench            fio vs tmpfs and ramfs on a kernel without debug options
#   make profile          perf: where a 4 KiB fio job's instructions go, rpc vs tmpfs
#   make fstests          fstests' generic quick group on tmpfs and rust_pagecache,
#                         side by side (SHARD=i/n: the i-th of n slices)
#   make soak DURATION=600  fsx, fsstress and swap churn together in the debug
#                         VM for DURATION seconds (or 10m, 2h), then a summary
#   make mutants          the mutation proof: each selftests/mutants/*.patch
#                         must make the tests it names fail (MUTANT=name: one)
#   make module           just build rust_pagecache.ko (into $RPC_CACHE)
#
# The kernel's own Kbuild file (./Kbuild) describes the module; this
# Makefile only drives the scripts, which run everything inside the cached
# build root.
SHELL := /bin/bash

.PHONY: run check bench swap-diag profile fstests soak mutants module kernel root clean
run:
	@bash scripts/run.sh $(if $(CMD),"$$CMD")
check:
	@bash scripts/check.sh
bench:
	@bash scripts/bench.sh
swap-diag:
	@bash scripts/swap-diag.sh $(ROUNDS)
profile:
	@bash scripts/profile.sh $(JOBS)
fstests:
	@bash scripts/fstests.sh $(SHARD)
mutants:
	@bash scripts/mutants.sh $(MUTANT)
soak:
	@bash scripts/soak.sh $(DURATION)
module:
	@bash scripts/module.sh
kernel:
	@bash scripts/kernel.sh
root:
	@bash scripts/buildroot.sh
clean:
	rm -rf selftests/out target
