#!/usr/bin/env python3
"""Names the samples of bench/guest-profile.sh: kernel addresses through
System.map, the module's through `nm` of the .ko placed at the base address
/proc/modules gave. Prints, per job and filesystem, the share of fio's
samples spent in user space and the top kernel symbols.

    perf-symbols.py OUTDIR SYSTEM_MAP MODULE_KO [TOP]
"""
import bisect
import collections
import os
import subprocess
import sys

out, system_map, ko = sys.argv[1:4]
top = int(sys.argv[4]) if len(sys.argv) > 4 else 25

syms = []
for line in open(system_map):
    addr, kind, name = line.split()[:3]
    if kind in "tTwW":
        syms.append((int(addr, 16), name))
base = None
for line in open(os.path.join(out, "modules.txt")):
    fields = line.split()
    if fields[0] == "rust_pagecache":
        base = int(next(f for f in fields if f.startswith("0x")), 16)
if base is not None:
    nm = subprocess.run(["nm", "-n", "--defined-only", "--demangle=rust", ko], capture_output=True, text=True, check=True)
    for line in nm.stdout.splitlines():
        addr, kind, name = line.split(maxsplit=2)
        if kind in "tT":
            syms.append((base + int(addr, 16), "[rpc] " + name))
syms.sort()
addrs = [a for a, _ in syms]


def name(ip):
    i = bisect.bisect_right(addrs, ip) - 1
    return syms[i][1] if i >= 0 else "?"


for f in sorted(os.listdir(out)):
    if not f.endswith(".ips"):
        continue
    counts, total, user = collections.Counter(), 0, 0
    comms = collections.Counter()
    for line in open(os.path.join(out, f)):
        parts = line.split()
        if len(parts) < 2:
            continue
        comms[parts[0]] += 1
        if parts[0] != "fio":
            continue
        ip = int(parts[-1], 16)
        total += 1
        if ip < 1 << 63:
            user += 1
        else:
            counts[name(ip)] += 1
    print("\n== %s: %d samples of fio, %.1f%% in user space" % (f[:-4], total, 100 * user / max(total, 1)))
    print("   samples by task: " + ", ".join("%s %d" % c for c in comms.most_common(6)))
    for sym, n in counts.most_common(top):
        print("%6.2f%%  %s" % (100 * n / total, sym[:100]))
