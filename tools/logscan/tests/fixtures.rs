//! Scan the sample logs in `tests/fixtures/` (one per kind of splat, and a
//! clean boot) and check exactly what is found; run the binary on some.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use logscan::{scan, Kind, Splat, CONTEXT_LINES, GAP};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

fn fixture(name: &str) -> String {
    let bytes = std::fs::read(fixture_path(name)).expect("read fixture");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Scan a fixture and check the kinds of its splats, in order.
fn expect(name: &str, kinds: &[Kind]) -> Vec<Splat> {
    let splats = scan(&fixture(name));
    let found: Vec<Kind> = splats.iter().map(|s| s.kind).collect();
    assert_eq!(found, kinds, "{name}: {splats:#?}");
    for splat in &splats {
        assert!(!splat.first_line.is_empty());
        assert!(!splat.context.is_empty(), "{name}: no context: {splat:#?}");
    }
    splats
}

/// Does some context line of the splat contain `text`?
fn context_has(splat: &Splat, text: &str) -> bool {
    splat.context.iter().any(|l| l.contains(text))
}

#[test]
fn clean_boot_has_no_splat() {
    expect("clean_boot.log", &[]);
}

#[test]
fn kasan_use_after_free() {
    let s = &expect("kasan_uaf.log", &[Kind::Kasan])[0];
    assert_eq!(s.line_no, 6);
    assert!(s
        .first_line
        .starts_with("BUG: KASAN: slab-use-after-free in "));
    assert!(context_has(s, "Read of size 8 at addr ffff888104a3c218"));
    assert!(context_has(s, "Call Trace:"));
    // Its page dump ("page dumped because: kasan: ...") is part of it, and
    // shown even though it is past the context window.
    assert!(s.context.len() > CONTEXT_LINES);
    assert!(s
        .context
        .last()
        .unwrap()
        .contains("page dumped because: kasan"));
}

#[test]
fn lockdep_circular_dependency() {
    let s = &expect("lockdep_circular.log", &[Kind::Lockdep])[0];
    assert_eq!(s.line_no, 8);
    assert_eq!(
        s.first_line,
        "WARNING: possible circular locking dependency detected"
    );
    assert!(context_has(s, "is trying to acquire lock:"));
    assert_eq!(s.context.len(), CONTEXT_LINES);
}

#[test]
fn warn_on_twice() {
    let splats = expect("warn_on.log", &[Kind::Warning, Kind::Warning]);
    assert_eq!(splats[0].line_no, 5);
    assert!(splats[0]
        .first_line
        .starts_with("WARNING: CPU: 0 PID: 284 at mm/filemap.c:1552"));
    assert_eq!(splats[1].line_no, 51);
    assert!(splats[1]
        .first_line
        .starts_with("WARNING: CPU: 1 PID: 41 at rust/kernel/"));
    // The second report's cut-here line does not leak into the first.
    assert!(!context_has(&splats[0], "cut here"));
}

#[test]
fn bad_page_state() {
    let s = &expect("bad_page_state.log", &[Kind::BadPage])[0];
    assert_eq!(s.line_no, 7);
    assert!(s
        .first_line
        .starts_with("BUG: Bad page state in process rpc-selftest"));
    assert!(context_has(s, "page dumped because: nonzero mapcount"));
}

#[test]
fn kmemleak_leaks() {
    let s = &expect("kmemleak.log", &[Kind::Kmemleak])[0];
    assert_eq!(s.line_no, 10);
    assert!(s
        .first_line
        .starts_with("kmemleak: 2 new suspected memory leaks"));
    let objects = s
        .context
        .iter()
        .filter(|l| l.starts_with("unreferenced object 0x"))
        .count();
    assert_eq!(objects, 2);
}

#[test]
fn slab_leak_on_destroy() {
    let s = &expect("slab_leak_on_destroy.log", &[Kind::SlabLeak])[0];
    assert_eq!(s.line_no, 6);
    assert!(s.first_line.starts_with("BUG rpc_entry ("));
    assert!(s
        .first_line
        .ends_with("Objects remaining on __kmem_cache_shutdown()"));
    // kmem_cache_destroy's WARN() is part of the same splat.
    assert!(context_has(s, "Slab cache still has objects"));
    assert!(context_has(
        s,
        "WARNING: CPU: 1 PID: 296 at mm/slab_common.c"
    ));
    assert!(s.context.iter().any(|l| l == GAP));
}

#[test]
fn panic_out_of_memory() {
    let s = &expect("panic.log", &[Kind::Panic])[0];
    assert_eq!(s.line_no, 59);
    assert_eq!(
        s.first_line,
        "Kernel panic - not syncing: System is deadlocked on memory"
    );
    assert!(context_has(s, "---[ end Kernel panic"));
}

#[test]
fn oops_null_pointer_dereference() {
    let s = &expect("oops_null_deref.log", &[Kind::Oops])[0];
    assert_eq!(s.line_no, 5);
    assert!(s
        .first_line
        .starts_with("BUG: kernel NULL pointer dereference"));
    // The Oops line, its RIP and the final panic belong to the same report.
    assert!(context_has(s, "Oops: Oops: 0000 [#1]"));
    assert!(context_has(s, "RIP: 0010:"));
    assert!(s
        .context
        .last()
        .unwrap()
        .ends_with("Kernel panic - not syncing: Fatal exception"));
}

#[test]
fn hung_task() {
    let s = &expect("hung_task.log", &[Kind::Hang])[0];
    assert_eq!(s.line_no, 4);
    assert_eq!(
        s.first_line,
        "INFO: task rpc-selftest:284 blocked for more than 122 seconds."
    );
    // `dmesg -r` printk levels are kept in the context lines.
    assert!(s.context[0].starts_with("<3>[  245.124231]"));
}

#[test]
fn soft_lockup() {
    let s = &expect("soft_lockup.log", &[Kind::Hang])[0];
    assert_eq!(s.line_no, 5);
    assert_eq!(
        s.first_line,
        "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [rpc-selftest:284]"
    );
    // The fixture has CRLF line ends: no CR is left.
    assert!(s.context.iter().all(|l| !l.contains('\r')));
}

#[test]
fn rcu_stall() {
    let s = &expect("rcu_stall.log", &[Kind::Hang])[0];
    assert_eq!(s.line_no, 4);
    assert_eq!(
        s.first_line,
        "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"
    );
    assert!(context_has(s, "NMI backtrace for cpu 1"));
}

#[test]
fn sleeping_in_atomic() {
    let s = &expect("sleeping_in_atomic.log", &[Kind::Bug])[0];
    // The kernel interrupted a line of the test's output.
    assert_eq!(s.line_no, 7);
    assert!(s
        .first_line
        .starts_with("BUG: sleeping function called from invalid context at "));
    assert!(context_has(s, "preempt_count: 1, expected: 0"));
}

#[test]
fn refcount_underflow() {
    let s = &expect("refcount_underflow.log", &[Kind::Corruption])[0];
    assert_eq!(s.line_no, 6);
    assert_eq!(s.first_line, "refcount_t: underflow; use-after-free.");
    assert!(s.context[0].contains("WARNING: CPU: 0 PID: 296 at lib/refcount.c:28"));
}

#[test]
fn list_corruption() {
    let s = &expect("list_corruption.log", &[Kind::Corruption])[0];
    assert_eq!(s.line_no, 6);
    assert!(s
        .first_line
        .starts_with("list_del corruption. prev->next should be"));
    assert!(s.context[0].contains("WARNING: CPU: 1 PID: 41 at lib/list_debug.c"));
}

#[test]
fn ubsan() {
    let s = &expect("ubsan.log", &[Kind::Ubsan])[0];
    assert_eq!(s.line_no, 6);
    assert_eq!(
        s.first_line,
        "UBSAN: shift-out-of-bounds in mm/readahead.c:473:23"
    );
    assert!(s.context.last().unwrap().ends_with("---[ end trace ]---"));
}

#[test]
fn fixtures_together() {
    // A log made of all fixtures, in order and apart, finds what each finds
    // alone; and every kind has a fixture.
    let names = [
        "clean_boot.log",
        "kasan_uaf.log",
        "lockdep_circular.log",
        "warn_on.log",
        "bad_page_state.log",
        "kmemleak.log",
        "slab_leak_on_destroy.log",
        "oops_null_deref.log",
        "hung_task.log",
        "soft_lockup.log",
        "rcu_stall.log",
        "sleeping_in_atomic.log",
        "refcount_underflow.log",
        "list_corruption.log",
        "ubsan.log",
        "panic.log",
    ];
    let mut all = String::new();
    let mut expected = Vec::new();
    for name in names {
        let log = fixture(name);
        expected.extend(scan(&log).iter().map(|s| s.kind));
        all.push_str(&log);
        for _ in 0..100 {
            all.push_str("rpc-selftest: next log\n");
        }
    }
    let found: Vec<Kind> = scan(&all).iter().map(|s| s.kind).collect();
    assert_eq!(found, expected);
    for kind in Kind::ALL {
        assert!(found.contains(&kind), "no fixture for {kind}");
    }
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logscan"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run logscan");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().expect("wait for logscan")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn binary_exit_codes() {
    let clean = fixture_path("clean_boot.log");
    let kasan = fixture_path("kasan_uaf.log");
    let (clean, kasan) = (clean.to_str().unwrap(), kasan.to_str().unwrap());

    let out = run(&[clean], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), format!("logscan: clean: {clean}\n"));

    let out = run(&[kasan], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "logscan: {kasan}:6: kasan: BUG: KASAN: slab-use-after-free in \
             _RNvMs0_NtCs8zKxQ2bWb1d_14rust_pagecache5cacheNtB5_5Entry7release+0x4c/0x90 \
             [rust_pagecache]"
        )
    );
    assert_eq!(
        lines.next().unwrap(),
        "    [    3.908011] Read of size 8 at addr ffff888104a3c218 by task rpc-selftest/284"
    );
    assert_eq!(
        text.lines().last().unwrap(),
        format!("logscan: 1 splat(s) in {kasan}")
    );

    // Several files: one with a splat makes the run fail.
    let out = run(&[clean, kasan], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with(&format!("logscan: clean: {clean}\n")));
}

#[test]
fn binary_reads_stdin() {
    let out = run(&[], Some(&fixture("warn_on.log")));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).ends_with("logscan: 2 splat(s) in <stdin>\n"));

    let out = run(
        &["-"],
        Some("[    1.000000] Warning: unable to open an initial console.\n"),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "logscan: clean: <stdin>\n");
}

#[test]
fn binary_errors() {
    let missing = fixture_path("no_such_file.log");
    let out = run(&[missing.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_file.log"));

    let out = run(&["--bogus"], None);
    assert_eq!(out.status.code(), Some(2));

    let out = run(&["--help"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("usage: logscan"));
}
