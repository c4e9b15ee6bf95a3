#!/usr/bin/env python3
"""The fstests side-by-side table, from one or more run folders.

    fstests-table.py [--expected FILE] RUN...

Each RUN is a folder as scripts/guest-fstests.sh writes it: <fstype>/ with
check.out (check's output), results/result.xml (its xunit-quiet report),
killed (tests stopped after their time limit) and optionally stopped (the
run was ended at its time budget). Several RUNs (one per VM boot) make one
table. A test's state on a file system: pass, fail, notrun, timeout (stopped
after its limit), crash (started, no result: the VM ended during it), cut
(started when the run's time budget ran out: neither passed nor failed) or
- (not reached). FILE lists expected failures, one
"<test> <reason>" a line (# comments): they are marked and not counted as
failing on rust_pagecache alone.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

FAILED = ("fail", "timeout", "crash")


def read_run(fsdir):
    """{test: (state, seconds or None, message)} of one file system's run."""
    out = {}
    xml = os.path.join(fsdir, "results", "result.xml")
    if os.path.exists(xml):
        try:
            for tc in ET.parse(xml).getroot().iter("testcase"):
                name = tc.get("name")
                secs = tc.get("time")
                secs = int(secs) if secs and secs.isdigit() else None
                if tc.find("skipped") is not None:
                    msg = tc.find("skipped").get("message") or ""
                    out[name] = ("notrun", secs, msg.strip())
                elif tc.find("failure") is not None:
                    out[name] = ("fail", secs, (tc.find("failure").get("message") or "").strip())
                else:
                    out[name] = ("pass", secs, "")
        except ET.ParseError as e:
            print(f"warning: {xml}: {e}", file=sys.stderr)
    killed = set()
    kfile = os.path.join(fsdir, "killed")
    if os.path.exists(kfile):
        killed = set(open(kfile).read().split())
    for name in killed:
        if name in out:
            st, secs, _ = out[name]
            out[name] = ("timeout", secs, "stopped after its time limit")
    # Tests check started (their name begins a line of its output) without a
    # result: the run ended during them.
    cfile = os.path.join(fsdir, "check.out")
    if os.path.exists(cfile):
        for line in open(cfile, errors="replace"):
            m = re.match(r"^([a-z0-9]+/\d+)\s", line)
            if m and m.group(1) not in out:
                if os.path.exists(os.path.join(fsdir, "stopped")):
                    out[m.group(1)] = ("cut", None, "the run's time budget ran out during it")
                else:
                    out[m.group(1)] = ("crash", None, "no result: the VM ended during it")
    return out


def main(argv):
    expected = {}
    if len(argv) > 2 and argv[1] == "--expected":
        if os.path.exists(argv[2]):
            for line in open(argv[2]):
                line = line.split("#", 1)[0].strip()
                if line:
                    t, _, why = line.partition(" ")
                    expected[t] = why.strip()
        argv = argv[3:]
    else:
        argv = argv[1:]
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    fstypes, res, order = [], {}, []
    for run in argv:
        tests = []
        p = os.path.join(run, "tests")
        if os.path.exists(p):
            tests = open(p).read().split()
        for t in tests:
            if t not in order:
                order.append(t)
        for fs in sorted(os.listdir(run), key=lambda f: (f != "tmpfs", f != "rust_pagecache", f)):
            if not os.path.isdir(os.path.join(run, fs, "results")) and \
                    not os.path.exists(os.path.join(run, fs, "check.out")):
                continue
            if fs not in fstypes:
                fstypes.append(fs)
            for t, r in read_run(os.path.join(run, fs)).items():
                res.setdefault(fs, {})[t] = r
                if t not in order:
                    order.append(t)
    if not fstypes:
        print("fstests: no results", file=sys.stderr)
        return 1

    w = max([len("test")] + [len(t) for t in order])
    cols = [max(len(fs), 8) for fs in fstypes]
    print("  ".join([f"{'test':<{w}}"] + [f"{fs:<{c}}" for fs, c in zip(fstypes, cols)] + ["seconds"]))
    for t in order:
        cells, secs = [], []
        for fs, c in zip(fstypes, cols):
            st, s, _ = res.get(fs, {}).get(t, ("-", None, ""))
            if st in FAILED and t in expected:
                st += "(exp)"
            cells.append(f"{st:<{c}}")
            secs.append("-" if s is None else str(s))
        print("  ".join([f"{t:<{w}}"] + cells + ["/".join(secs)]))

    def counts(fs):
        r = res.get(fs, {})
        p = sum(1 for t in order if r.get(t, ("-",))[0] == "pass")
        f = sum(1 for t in order if r.get(t, ("-",))[0] in FAILED)
        n = sum(1 for t in order if r.get(t, ("-",))[0] == "notrun")
        return p, f, n

    parts = ["%s %d passed %d failed %d notrun" % ((fs,) + counts(fs)) for fs in fstypes]
    worse = []
    if "tmpfs" in res and "rust_pagecache" in res:
        for t in order:
            a = res["tmpfs"].get(t, ("-",))[0]
            b = res["rust_pagecache"].get(t, ("-",))[0]
            # A test tmpfs passes and rust_pagecache skips is a gap too
            # (a feature missing: generic/786 "Require fcntl setdeleg
            # support" was notrun on rust_pagecache alone).
            if a == "pass" and (b in FAILED or b == "notrun") and t not in expected:
                worse.append(t)
    print()
    for t in worse:
        st, _, msg = res["rust_pagecache"][t]
        if st == "notrun":
            print(f"rust_pagecache notrun, tmpfs pass: {t}: {msg[:160]}")
    for fs in fstypes:
        bad = [t for t in order if res.get(fs, {}).get(t, ("-",))[0] in FAILED]
        for t in bad:
            st, _, msg = res[fs][t]
            note = f" [expected: {expected[t]}]" if t in expected else ""
            print(f"{fs} {st}: {t}: {msg[:160]}{note}")
    missing = [t for t in order if any(res.get(fs, {}).get(t, ("-",))[0] in ("-", "cut")
                                       for fs in fstypes)]
    if missing:
        print(f"not run to the end on every file system ({len(missing)}): {' '.join(missing)}")
    print("fstests: " + "; ".join(parts) +
          f"; {len(worse)} fail or notrun on rust_pagecache but pass on tmpfs" +
          (": " + " ".join(worse) if worse else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
