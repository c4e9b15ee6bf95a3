//! Find kernel "splats" in a Linux kernel log.
//!
//! A test run of a kernel module must fail when the kernel reported a bug
//! while the tests ran, even when every test said it passed: a KASAN report,
//! a lockdep warning or a kmemleak leak does not make a syscall fail. This
//! crate scans a kernel log (the output of `dmesg`, or the serial console of a
//! test VM, e.g. virtme-ng) and reports every such report ("splat") once.
//!
//! ```
//! let log = "\
//! [    3.120000] ------------[ cut here ]------------
//! [    3.120001] WARNING: CPU: 0 PID: 1 at mm/filemap.c:1552 folio_unlock+0x9c/0xb0
//! [    3.120002] Modules linked in: rust_pagecache(O)
//! [    3.120003] ---[ end trace 0000000000000000 ]---
//! [    3.200000] Warning: unable to open an initial console.
//! ";
//! let splats = logscan::scan(log);
//! assert_eq!(splats.len(), 1);
//! assert_eq!(splats[0].kind, logscan::Kind::Warning);
//! assert_eq!(splats[0].line_no, 2);
//! assert!(splats[0].first_line.starts_with("WARNING: CPU: 0 PID: 1"));
//! ```
//!
//! # Reading a line
//!
//! Each line of the log is first cleaned, then cut into kernel messages, and
//! each message is stripped of its prefixes (see [`messages`]):
//!
//! * ANSI escape sequences (colours, cursor moves, SeaBIOS' screen clears)
//!   and control characters other than tab are removed; a line ending in
//!   CR LF is read as ending in LF, and a CR inside a line (a console
//!   overwriting its line) separates two pieces of text, each read on its own.
//! * A printk timestamp `[   12.345678]`, with an optional printk level before
//!   it (`<4>[    1.2] `, as printed by `dmesg -r`) and an optional caller id
//!   after it (`[    T123]`, `[     C1]`, with `CONFIG_PRINTK_CALLER`), starts
//!   a kernel message wherever it is in a line: on a serial console the kernel
//!   often interrupts the output of user space (a shell prompt, a test's
//!   output), so `root@virtme-ng:/# [   12.3] BUG: ...` holds two pieces of
//!   text, `root@virtme-ng:/#` and `BUG: ...`.
//! * At the start of a message these prefixes are removed: a printk level
//!   `<4>`; a `/dev/kmsg` record header `4,1234,5678901,-;`; a `dmesg -x`
//!   facility and level `kern  :warn  : `; a `dmesg -T` time
//!   `[Sun Nov 23 09:45:01 2025] `; a syslog or journal prefix
//!   `Nov 23 09:45:01 host kernel: `; then leading white space.
//!
//! # What is a splat
//!
//! The rules are matched against the start of the stripped message, and are
//! case sensitive: `WARNING:` is a splat, `Warning:` or `ACPI Warning` or
//! `virtme-ng-init: WARNING: failed to run` is not, nor is `BUG` inside a word
//! (`DEBUG_VM`, `BUG_ON`). Lockdep's older `[ BUG: ... ]` form is read like
//! `BUG: ...`.
//!
//! | message starts with                                           | kind               |
//! |---------------------------------------------------------------|--------------------|
//! | `BUG: KASAN:`, `BUG: KFENCE:`, `KASAN: ... in range [`        | [`Kind::Kasan`]    |
//! | `BUG: Bad page state`, `BUG: Bad page map`, `BUG: Bad rss-counter`, `Bad page state/map`, `page dumped because:`, or has the word `VM_BUG_ON` | [`Kind::BadPage`] |
//! | `BUG: soft lockup`, `BUG: workqueue lockup`, `BUG: spinlock lockup`, `watchdog: BUG: ...`, `watchdog: Watchdog detected hard LOCKUP`, `INFO: task ... blocked for more than`, `INFO: rcu... stall` (also after `rcu: `) | [`Kind::Hang`] |
//! | `BUG: kernel NULL pointer dereference`, `BUG: unable to handle`, `Unable to handle kernel`, `Oops:`, `general protection fault`, `invalid opcode:`, `Internal error: Oops` | [`Kind::Oops`] |
//! | lockdep's own `BUG:` titles (`Invalid wait context`, `held lock freed`, `bad unlock balance`, `MAX_...`, `looking up invalid subclass`, `key ...`, `lock held ...`); `WARNING:` or `INFO:` followed by a title with the word `lock`, `locks`, `locking`, `unlock`, `contention` or `RCU` (not `INFO: lockdep is turned off`); `INFO: trying to register non-static key`; `DEBUG_LOCKS_WARN_ON(` | [`Kind::Lockdep`] |
//! | any other `BUG:`, `kernel BUG at`                             | [`Kind::Bug`]      |
//! | SLUB's `BUG <cache> (<taint>): ...`                           | [`Kind::Corruption`], or [`Kind::SlabLeak`] for `Objects remaining ... __kmem_cache_shutdown` |
//! | `... Slab cache still has objects` (from `kmem_cache_destroy`)| [`Kind::SlabLeak`] |
//! | any other `WARNING:` (`WARNING: CPU: 0 PID: 1 at ...` from `WARN()`) | [`Kind::Warning`] |
//! | `UBSAN:`                                                      | [`Kind::Ubsan`]    |
//! | `kmemleak: ... suspected memory leak`, `unreferenced object 0x` | [`Kind::Kmemleak`] |
//! | `refcount_t: `, `list_... corruption`, `list_add double add`  | [`Kind::Corruption`] |
//! | `Kernel panic - not syncing`                                  | [`Kind::Panic`]    |
//!
//! Other `INFO:` lines, `RIP:`, `Call Trace:` and everything else are only
//! context. In particular these are not splats: `Warning: unable to open an
//! initial console.`, `kmemleak: Kernel memory leak detector initialized`,
//! `kasan: KernelAddressSanitizer initialized`, `Lock dependency validator:
//! ...`, `debug_vm_pgtable: ...`, `Memory: ... reserved ...`, virtme-ng's own
//! messages.
//!
//! # One report, one splat
//!
//! The kernel prints a report over many lines, and one report often holds
//! several lines that match a rule: a KASAN report dumps a page ("page dumped
//! because: kasan: bad access detected"), `BUG: kernel NULL pointer
//! dereference` is followed by `Oops: ...`, `WARN(1, "refcount_t: underflow;
//! ...")` prints its message and then `WARNING: CPU: ...`. Each report is
//! returned once, as the [`Splat`] of the first matching line, and the lines
//! that follow it up to [`CONTEXT_LINES`] are its [`Splat::context`]. A
//! matching line joins the splat before it instead of starting a new one when:
//!
//! * it is `Oops:` (or `general protection fault`, `invalid opcode:`) within
//!   10 lines of a line that announces an oops (`BUG: kernel NULL pointer
//!   dereference`, `BUG: unable to handle`, `kernel BUG at`);
//! * it is `WARNING: CPU: ...` or `kernel BUG at` within 5 lines of the
//!   message of a `WARN()` or `BUG()` that matched a rule (`refcount_t:`,
//!   `list_del corruption`, `DEBUG_LOCKS_WARN_ON(`, `Slab cache still has
//!   objects`, `page dumped because: VM_BUG_ON_FOLIO(...)`);
//! * it is `page dumped because:`, the word `VM_BUG_ON`, or `KASAN: ... in
//!   range [` (a detail of the report it is in);
//! * it is `unreferenced object` after a kmemleak splat, or `Slab cache still
//!   has objects` after a slab leak (several leaks reported together);
//! * it is `Kernel panic - not syncing` (the end of an oops, or of a warning
//!   with `panic_on_warn`), up to 50 lines after the last matching line or
//!   end marker of the splat before.
//!
//! Except for the last, this holds only while the splat before is still open:
//! until its end marker (`---[ end trace ...]---`, or the closing `=====` line
//! of a report that opened with one, like KASAN's), and for at most 100 lines
//! after its last matching line. An opening `=====` line ends the context of
//! the splat before (it starts the next report), and so does a
//! `------------[ cut here ]------------` line unless that splat waits for
//! its `WARNING:`/`kernel BUG at` line. Any other matching line starts a new
//! splat; so two hung tasks, or two `WARN()`s each with its own end marker,
//! are two splats.
//!
//! A line that joins a splat is added to its context even past
//! [`CONTEXT_LINES`], so that e.g. the final `Kernel panic` of an oops is
//! always shown; when lines were left out before it, a line `...` (see
//! [`GAP`]) stands for them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

/// How many lines after its first line a splat keeps as context.
pub const CONTEXT_LINES: usize = 30;
/// The context line that stands for lines of the log left out of a context.
pub const GAP: &str = "...";
/// How many lines after its last matching line a splat stays open to join.
const SCOPE_LINES: usize = 100;
/// How many lines after a splat's last matching line or end marker a
/// `Kernel panic` still joins it.
const PANIC_TAIL: usize = 50;
/// How many lines after a `WARN()`/`BUG()` message its `WARNING:` line may come.
const TRAILER_WINDOW: usize = 5;
/// How many lines after `BUG: unable to handle ...` its `Oops:` line may come.
const OOPS_WINDOW: usize = 10;
/// How many lines after an opening `=====` line its report's title may come.
const SEPARATOR_GAP: usize = 2;

/// The kind of a kernel report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `BUG: ...` not covered by another kind, e.g. `BUG: sleeping function
    /// called from invalid context`, `BUG: scheduling while atomic`, or
    /// `kernel BUG at mm/filemap.c:123!`.
    Bug,
    /// `WARNING: CPU: 0 PID: 1 at ...` from `WARN()`, or another `WARNING:`.
    Warning,
    /// A KASAN (or KFENCE) report: `BUG: KASAN: slab-use-after-free in ...`.
    Kasan,
    /// An undefined behaviour sanitizer report: `UBSAN: ...`.
    Ubsan,
    /// A lockdep (or RCU lockdep) report, e.g. `WARNING: possible circular
    /// locking dependency detected`.
    Lockdep,
    /// A bad page: `BUG: Bad page state`, `BUG: Bad page map`, a page dump
    /// from `VM_BUG_ON_FOLIO()` and friends.
    BadPage,
    /// kmemleak found leaks: `kmemleak: 2 new suspected memory leaks`.
    Kmemleak,
    /// A slab cache destroyed with objects left in it.
    SlabLeak,
    /// `Kernel panic - not syncing: ...`.
    Panic,
    /// An oops: a bad page fault, a general protection fault.
    Oops,
    /// A hung task, soft or hard lockup, or RCU stall.
    Hang,
    /// Detected data corruption: `refcount_t: underflow`, `list_del
    /// corruption`, SLUB's redzone and poison checks.
    Corruption,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 12] = [
        Kind::Bug,
        Kind::Warning,
        Kind::Kasan,
        Kind::Ubsan,
        Kind::Lockdep,
        Kind::BadPage,
        Kind::Kmemleak,
        Kind::SlabLeak,
        Kind::Panic,
        Kind::Oops,
        Kind::Hang,
        Kind::Corruption,
    ];

    /// A short lower-case name: `bug`, `warning`, `kasan`, `ubsan`,
    /// `lockdep`, `bad-page`, `kmemleak`, `slab-leak`, `panic`, `oops`,
    /// `hang`, `corruption`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bug => "bug",
            Kind::Warning => "warning",
            Kind::Kasan => "kasan",
            Kind::Ubsan => "ubsan",
            Kind::Lockdep => "lockdep",
            Kind::BadPage => "bad-page",
            Kind::Kmemleak => "kmemleak",
            Kind::SlabLeak => "slab-leak",
            Kind::Panic => "panic",
            Kind::Oops => "oops",
            Kind::Hang => "hang",
            Kind::Corruption => "corruption",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One kernel report found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splat {
    /// The 1-based number of the line of the log where the report starts.
    pub line_no: usize,
    /// What kind of report it is.
    pub kind: Kind,
    /// The message that starts the report, without timestamp or other
    /// prefixes, e.g. `BUG: KASAN: slab-use-after-free in foo+0x1/0x2`.
    pub first_line: String,
    /// The lines of the report after the first, as they are in the log
    /// (timestamps kept, escape sequences and CRs removed, trailing white
    /// space trimmed): up to [`CONTEXT_LINES`] of them, then any later line
    /// that joined the report, after a [`GAP`] line if lines were left out.
    pub context: Vec<String>,
}

/// Scan a kernel log and return its splats, in the order they occur.
#[must_use]
pub fn scan(log: &str) -> Vec<Splat> {
    let mut scanner = Scanner::default();
    for (i, line) in log.lines().enumerate() {
        for piece in pieces(line) {
            scanner.feed(i + 1, piece.display, &piece.message);
        }
    }
    scanner.splats
}

/// The kernel messages of one line of a log, each without its prefixes
/// (timestamp, printk level, caller id, syslog header...) and trimmed.
///
/// A line usually holds one message; it holds more when a CR or a printk
/// timestamp in the middle of the line starts a new one (see the
/// [crate documentation](crate#reading-a-line)). A blank line gives one empty
/// message.
///
/// ```
/// assert_eq!(logscan::messages("<4>[   12.345678] BUG: foo\r"), ["BUG: foo"]);
/// assert_eq!(logscan::messages("$ [    1.0][    T1] hello"), ["$", "hello"]);
/// ```
#[must_use]
pub fn messages(line: &str) -> Vec<String> {
    pieces(line).into_iter().map(|p| p.message).collect()
}

/// One piece of text of a log line, read on its own.
#[derive(Debug)]
struct Piece {
    /// The text as shown in a splat's context.
    display: String,
    /// The message, stripped of prefixes, trimmed.
    message: String,
}

fn pieces(line: &str) -> Vec<Piece> {
    let cleaned = clean(line);
    let mut out = Vec::new();
    for segment in cleaned.split('\r') {
        let segment = segment.trim_end();
        if segment.is_empty() {
            continue;
        }
        // Byte offsets where a kernel message starts: at 0, and at every
        // timestamp. Text before the first timestamp that is only prefixes
        // (`kern  :warn  : `) belongs to the message after it.
        let mut starts = timestamp_starts(segment);
        if starts.first() != Some(&0) {
            let head = &segment[..starts.first().copied().unwrap_or(segment.len())];
            if starts.is_empty() || !strip_start_prefixes(head).is_empty() {
                starts.insert(0, 0);
            } else {
                starts[0] = 0;
            }
        }
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(segment.len());
            let display = segment[start..end].trim_end();
            out.push(Piece {
                display: display.to_string(),
                message: strip_start_prefixes(display).trim_end().to_string(),
            });
        }
    }
    if out.is_empty() {
        out.push(Piece {
            display: String::new(),
            message: String::new(),
        });
    }
    out
}

/// Remove ANSI escape sequences and control characters (but CR and tab).
fn clean(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then a final byte.
                Some('[') => skip_csi(&mut chars),
                // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST.
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                // Other escapes: intermediates (e.g. `(` of `ESC ( B`),
                // then one final character.
                Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
                    while chars
                        .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                        .is_some()
                    {}
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\r' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

/// Byte offsets of the printk timestamps (with their optional level) in `s`.
fn timestamp_starts(s: &str) -> Vec<usize> {
    let b = s.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' || b[i] == b'[' {
            if let Some(end) = timestamp_at(b, i) {
                starts.push(i);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    starts
}

/// End of the digits starting at `i`.
fn digits_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// If `<N>[ secs.usecs]` (level optional) followed by an optional caller id
/// `[ T123]` starts at `i`, the offset just past it and one space after it.
fn timestamp_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if b.get(j) == Some(&b'<') {
        let k = digits_end(b, j + 1);
        if k == j + 1 || b.get(k) != Some(&b'>') {
            return None;
        }
        j = k + 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    j += 1;
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    let k = digits_end(b, j);
    if k == j || b.get(k) != Some(&b'.') {
        return None;
    }
    let l = digits_end(b, k + 1);
    if l == k + 1 || b.get(l) != Some(&b']') {
        return None;
    }
    j = l + 1;
    // CONFIG_PRINTK_CALLER: `[    T123]` (task) or `[     C1]` (CPU).
    if b.get(j) == Some(&b'[') {
        let mut k = j + 1;
        while b.get(k) == Some(&b' ') {
            k += 1;
        }
        if matches!(b.get(k), Some(b'T' | b'C')) {
            let l = digits_end(b, k + 1);
            if l > k + 1 && b.get(l) == Some(&b']') {
                j = l + 1;
            }
        }
    }
    if b.get(j) == Some(&b' ') {
        j += 1;
    }
    Some(j)
}

/// Remove the prefixes at the start of a message, and leading white space.
fn strip_start_prefixes(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        let next = strip_timestamp(t)
            .or_else(|| strip_level(t))
            .or_else(|| strip_kmsg_header(t))
            .or_else(|| strip_ctime(t))
            .or_else(|| strip_dmesg_decode(t))
            .or_else(|| strip_syslog(t));
        match next {
            Some(rest) => s = rest,
            None => return t,
        }
    }
}

fn strip_timestamp(s: &str) -> Option<&str> {
    timestamp_at(s.as_bytes(), 0).map(|end| &s[end..])
}

/// `<4>`
fn strip_level(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let k = digits_end(b, 1);
    (b.first() == Some(&b'<') && k > 1 && b.get(k) == Some(&b'>')).then(|| &s[k + 1..])
}

/// `/dev/kmsg`: `level,seqnum,timestamp,flags[,more];message`
fn strip_kmsg_header(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut j = 0;
    for _ in 0..3 {
        let k = digits_end(b, j);
        if k == j || b.get(k) != Some(&b',') {
            return None;
        }
        j = k + 1;
    }
    let semi = s[j..].find(';')?;
    let flags = &s[j..j + semi];
    (flags.len() <= 16 && !flags.contains(' ')).then(|| &s[j + semi + 1..])
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `dmesg -T`: `[Sun Nov 23 09:45:01 2025] `
fn strip_ctime(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let time = &inner[..close];
    let ok = WEEKDAYS.iter().any(|d| time.starts_with(d)) && time.contains(':') && close <= 32;
    ok.then(|| &inner[close + 1..])
}

/// `dmesg -x`: `kern  :warn  : `
fn strip_dmesg_decode(s: &str) -> Option<&str> {
    const FACILITIES: [&str; 20] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7",
    ];
    const LEVELS: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
    ];
    let (facility, rest) = s.split_once(':')?;
    let (level, rest) = rest.split_once(':')?;
    (FACILITIES.contains(&facility.trim_end()) && LEVELS.contains(&level.trim_end()))
        .then_some(rest)
}

/// syslog or journal: `Nov 23 09:45:01 host kernel: `,
/// `2025-11-23T09:45:01+0000 host kernel: `
fn strip_syslog(s: &str) -> Option<&str> {
    const TAG: &str = " kernel: ";
    let at = s.find(TAG)?;
    let head = &s[..at];
    let iso_date = head.len() > 5
        && head.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && head.as_bytes()[4] == b'-';
    let dated = iso_date || MONTHS.iter().any(|m| head.starts_with(m));
    (dated && head.contains(':') && head.split_whitespace().count() <= 5)
        .then(|| &s[at + TAG.len()..])
}

/// What a message is to the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `------------[ cut here ]------------`: a `WARN()` or `BUG()` starts.
    CutHere,
    /// A line of `=`: opens or closes a report (KASAN, lockdep, SLUB...).
    Separator(usize),
    /// `---[ end trace ... ]---`, `---[ end Kernel panic ... ]---`.
    EndTrace,
    /// A line that matches a rule.
    Trigger(Trigger),
    /// Anything else.
    Plain,
}

/// When a matching line joins the open splat instead of starting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// Never: it starts a report.
    Never,
    /// `WARNING: CPU:`, `kernel BUG at`: when the splat waits for it.
    Trailer,
    /// `Oops:`: when the splat announced an oops.
    Oops,
    /// When the open splat has the same kind.
    SameKind,
    /// Whenever a splat is open.
    Any,
    /// `Kernel panic`: also shortly after the splat ended.
    Panic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Trigger {
    kind: Kind,
    join: Join,
    /// The message of a `WARN()`/`BUG()`: its `WARNING:` line follows.
    message: bool,
    /// Announces an oops: an `Oops:` line follows.
    announces_oops: bool,
}

impl Trigger {
    const fn new(kind: Kind, join: Join) -> Self {
        Trigger {
            kind,
            join,
            message: false,
            announces_oops: false,
        }
    }

    const fn message(mut self) -> Self {
        self.message = true;
        self
    }

    const fn announces_oops(mut self) -> Self {
        self.announces_oops = true;
        self
    }
}

fn classify(message: &str) -> Class {
    let m = message.trim();
    if m.starts_with("------------[ cut here ]") {
        Class::CutHere
    } else if m.starts_with("---[ end trace") || m.starts_with("---[ end Kernel panic") {
        Class::EndTrace
    } else if m.len() >= 16 && m.bytes().all(|b| b == b'=') {
        Class::Separator(m.len())
    } else {
        trigger(m).map_or(Class::Plain, Class::Trigger)
    }
}

/// Does `text` hold `word` as a whole word (not inside an identifier)?
fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Is this `WARNING:`/`INFO:` title one of lockdep's?
fn is_lockdep_title(title: &str) -> bool {
    const WORDS: [&str; 6] = ["lock", "locks", "locking", "unlock", "contention", "RCU"];
    WORDS.iter().any(|w| has_word(title, w))
}

/// The `BUG:` titles of lockdep's own reports.
const LOCKDEP_BUG_TITLES: [&str; 7] = [
    "Invalid wait context",
    "held lock freed",
    "bad unlock balance",
    "MAX_",
    "looking up invalid subclass",
    "key ",
    "lock held",
];

fn trigger(m: &str) -> Option<Trigger> {
    // Lockdep's older `[ BUG: bad unlock balance detected! ]` form.
    let m = match m.strip_prefix("[ ").and_then(|s| s.strip_suffix(" ]")) {
        Some(inner) => inner.trim(),
        None => m,
    };

    if let Some(title) = m.strip_prefix("BUG:") {
        let title = title.trim_start();
        let t = if title.starts_with("KASAN:") || title.starts_with("KFENCE:") {
            Trigger::new(Kind::Kasan, Join::Never)
        } else if ["Bad page", "Bad rss-counter"]
            .iter()
            .any(|p| title.starts_with(p))
        {
            Trigger::new(Kind::BadPage, Join::Never)
        } else if ["soft lockup", "workqueue lockup", "spinlock lockup"]
            .iter()
            .any(|p| title.starts_with(p))
        {
            Trigger::new(Kind::Hang, Join::Never)
        } else if title.starts_with("kernel NULL pointer dereference")
            || title.starts_with("unable to handle")
        {
            Trigger::new(Kind::Oops, Join::Never).announces_oops()
        } else if LOCKDEP_BUG_TITLES.iter().any(|p| title.starts_with(p)) {
            Trigger::new(Kind::Lockdep, Join::Never)
        } else {
            Trigger::new(Kind::Bug, Join::Never)
        };
        return Some(t);
    }
    if let Some(rest) = m
        .strip_prefix("watchdog: ")
        .or_else(|| m.strip_prefix("NMI watchdog: "))
    {
        if rest.starts_with("BUG:") {
            return trigger(rest);
        }
        if rest.contains("hard LOCKUP") {
            return Some(Trigger::new(Kind::Hang, Join::Never));
        }
        return None;
    }
    if m.starts_with("kernel BUG at ") {
        return Some(Trigger::new(Kind::Bug, Join::Trailer).announces_oops());
    }
    if let Some(title) = slub_bug(m) {
        let kind = if title.contains("Objects remaining") {
            Kind::SlabLeak
        } else {
            Kind::Corruption
        };
        return Some(Trigger::new(kind, Join::Never));
    }
    if let Some(title) = m.strip_prefix("WARNING:") {
        let title = title.trim_start();
        let t = if title.starts_with("CPU:") || title.starts_with("at ") {
            Trigger::new(Kind::Warning, Join::Trailer)
        } else if is_lockdep_title(title) {
            Trigger::new(Kind::Lockdep, Join::Never)
        } else {
            Trigger::new(Kind::Warning, Join::Never)
        };
        return Some(t);
    }
    if let Some(title) = m.strip_prefix("rcu: ").unwrap_or(m).strip_prefix("INFO:") {
        let title = title.trim_start();
        let hung_task = title.starts_with("task ") && title.contains("blocked for more than");
        let rcu_stall = title.starts_with("rcu") && title.contains("stall");
        return if hung_task || rcu_stall {
            Some(Trigger::new(Kind::Hang, Join::Never))
        } else if title.starts_with("trying to register non-static key")
            || (is_lockdep_title(title) && !title.starts_with("lockdep is turned off"))
        {
            Some(Trigger::new(Kind::Lockdep, Join::Never))
        } else {
            None
        };
    }
    if [
        "Oops:",
        "general protection fault",
        "invalid opcode:",
        "Internal error: Oops",
    ]
    .iter()
    .any(|p| m.starts_with(p))
    {
        return Some(Trigger::new(Kind::Oops, Join::Oops));
    }
    if m.starts_with("Unable to handle kernel") {
        return Some(Trigger::new(Kind::Oops, Join::Never).announces_oops());
    }
    if m.starts_with("Kernel panic - not syncing") {
        return Some(Trigger::new(Kind::Panic, Join::Panic));
    }
    if m.starts_with("KASAN: ") && m.contains(" in range [") {
        return Some(Trigger::new(Kind::Kasan, Join::Any));
    }
    if m.starts_with("UBSAN:") {
        return Some(Trigger::new(Kind::Ubsan, Join::Never));
    }
    if m.starts_with("kmemleak: ") && m.contains("suspected memory leak") {
        return Some(Trigger::new(Kind::Kmemleak, Join::Never));
    }
    if m.starts_with("unreferenced object 0x") {
        return Some(Trigger::new(Kind::Kmemleak, Join::SameKind));
    }
    if m.contains("Slab cache still has objects") {
        return Some(Trigger::new(Kind::SlabLeak, Join::SameKind).message());
    }
    if m.contains("Objects remaining") && m.contains("__kmem_cache_shutdown") {
        return Some(Trigger::new(Kind::SlabLeak, Join::Never));
    }
    if m.starts_with("refcount_t: ")
        || (m.starts_with("list_") || m.starts_with("hlist_"))
            && (m.contains(" corruption") || m.contains("double add"))
    {
        return Some(Trigger::new(Kind::Corruption, Join::Never).message());
    }
    if m.starts_with("DEBUG_LOCKS_WARN_ON(") {
        return Some(Trigger::new(Kind::Lockdep, Join::Never).message());
    }
    if m.starts_with("page dumped because:") || has_word(m, "VM_BUG_ON") {
        return Some(Trigger::new(Kind::BadPage, Join::Any).message());
    }
    if m.starts_with("Bad page state") || m.starts_with("Bad page map") {
        return Some(Trigger::new(Kind::BadPage, Join::Never));
    }
    None
}

/// SLUB's `BUG kmalloc-64 (Not tainted): Poison overwritten`: the title.
fn slub_bug(m: &str) -> Option<&str> {
    let rest = m.strip_prefix("BUG ")?;
    let (cache, rest) = rest.split_once(" (")?;
    if cache.is_empty() || cache.contains(char::is_whitespace) {
        return None;
    }
    rest.split_once("): ").map(|(_, title)| title)
}

/// The splat being built.
#[derive(Debug)]
struct Open {
    /// Its index in `Scanner::splats`.
    index: usize,
    /// It was closed by its end marker.
    ended: bool,
    /// Lines after this one no longer join it (unless it ended earlier).
    open_until: usize,
    /// Plain lines are still added to its context.
    capturing: bool,
    /// The length of the `=====` line that opened it.
    separator: Option<usize>,
    /// It waits for its `WARNING:`/`kernel BUG at` line until this line.
    trailer_until: Option<usize>,
    /// It waits for its `Oops:` line until this line.
    oops_until: Option<usize>,
    /// Its last matching line or end marker.
    last: usize,
    /// The last line added to its context (or its first line).
    last_shown: usize,
}

#[derive(Debug, Default)]
struct Scanner {
    splats: Vec<Splat>,
    open: Option<Open>,
    /// The last `=====` line that did not close a splat: length, line.
    separator: Option<(usize, usize)>,
    /// Index of the current piece of text.
    n: usize,
}

impl Scanner {
    fn feed(&mut self, line_no: usize, display: String, message: &str) {
        self.n += 1;
        let n = self.n;
        let in_scope = self
            .open
            .as_ref()
            .is_some_and(|o| !o.ended && n <= o.open_until);
        match classify(message) {
            Class::Plain => self.capture(in_scope, display),
            Class::CutHere => {
                let waits = self.waits_for_trailer(in_scope);
                if waits {
                    self.capture(in_scope, display);
                } else if let (true, Some(open)) = (in_scope, self.open.as_mut()) {
                    open.capturing = false;
                }
            }
            Class::EndTrace => {
                if in_scope {
                    self.capture(in_scope, display);
                    if let Some(open) = self.open.as_mut() {
                        open.ended = true;
                        open.last = n;
                    }
                }
            }
            Class::Separator(len) => {
                let closes = in_scope && self.open.as_ref().and_then(|o| o.separator) == Some(len);
                if closes {
                    self.capture(in_scope, display);
                    if let Some(open) = self.open.as_mut() {
                        open.ended = true;
                        open.last = n;
                    }
                } else {
                    self.separator = Some((len, n));
                    if let (true, Some(open)) = (in_scope, self.open.as_mut()) {
                        open.capturing = false;
                    }
                }
            }
            Class::Trigger(t) => {
                if self.joins(t, in_scope) {
                    self.join(t, display);
                } else {
                    self.start(t, line_no, message);
                }
            }
        }
    }

    fn waits_for_trailer(&self, in_scope: bool) -> bool {
        in_scope
            && self
                .open
                .as_ref()
                .and_then(|o| o.trailer_until)
                .is_some_and(|until| self.n <= until)
    }

    fn joins(&self, t: Trigger, in_scope: bool) -> bool {
        let Some(open) = &self.open else {
            return false;
        };
        let n = self.n;
        match t.join {
            Join::Never => false,
            Join::Trailer => self.waits_for_trailer(in_scope),
            Join::Oops => in_scope && open.oops_until.is_some_and(|until| n <= until),
            Join::SameKind => in_scope && self.splats[open.index].kind == t.kind,
            Join::Any => in_scope,
            Join::Panic => in_scope || n - open.last <= PANIC_TAIL,
        }
    }

    /// Add a plain line to the open splat's context, if it takes one.
    fn capture(&mut self, in_scope: bool, display: String) {
        if !in_scope {
            return;
        }
        if let Some(open) = self.open.as_mut() {
            let context = &mut self.splats[open.index].context;
            if open.capturing && context.len() < CONTEXT_LINES {
                context.push(display);
                open.last_shown = self.n;
            }
        }
    }

    fn join(&mut self, t: Trigger, display: String) {
        let n = self.n;
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let context = &mut self.splats[open.index].context;
        if open.last_shown + 1 != n {
            context.push(GAP.to_string());
        }
        context.push(display);
        open.last = n;
        open.last_shown = n;
        open.ended = false;
        open.capturing = true;
        open.open_until = n + SCOPE_LINES;
        if t.join == Join::Trailer {
            open.trailer_until = None;
        }
        if t.join == Join::Oops {
            open.oops_until = None;
        }
        if t.message {
            open.trailer_until = Some(n + TRAILER_WINDOW);
        }
        if t.announces_oops {
            open.oops_until = Some(n + OOPS_WINDOW);
        }
    }

    fn start(&mut self, t: Trigger, line_no: usize, message: &str) {
        let n = self.n;
        let separator = self
            .separator
            .take()
            .filter(|&(_, at)| n - at <= SEPARATOR_GAP)
            .map(|(len, _)| len);
        self.splats.push(Splat {
            line_no,
            kind: t.kind,
            first_line: message.trim().to_string(),
            context: Vec::new(),
        });
        self.open = Some(Open {
            index: self.splats.len() - 1,
            ended: false,
            open_until: n + SCOPE_LINES,
            capturing: true,
            separator,
            trailer_until: t.message.then_some(n + TRAILER_WINDOW),
            oops_until: t.announces_oops.then_some(n + OOPS_WINDOW),
            last: n,
            last_shown: n,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(line: &str) -> String {
        let all = messages(line);
        assert_eq!(all.len(), 1, "{line:?} gave {all:?}");
        all.into_iter().next().unwrap()
    }

    fn kinds(log: &str) -> Vec<Kind> {
        scan(log).iter().map(|s| s.kind).collect()
    }

    #[test]
    fn strips_timestamps() {
        assert_eq!(msg("[   12.345678] BUG: foo"), "BUG: foo");
        assert_eq!(
            msg("[    0.000000] Linux version 7.3.0"),
            "Linux version 7.3.0"
        );
        assert_eq!(msg("[12345.678901] x"), "x");
        assert_eq!(msg("[ 1.2] x"), "x");
        assert_eq!(msg("[1.2]x"), "x");
    }

    #[test]
    fn strips_printk_level_and_caller() {
        assert_eq!(msg("<4>[ 1.2] WARNING: x"), "WARNING: x");
        assert_eq!(msg("<3>BUG: y"), "BUG: y");
        assert_eq!(msg("[    1.234567][    T1] msg"), "msg");
        assert_eq!(msg("[    1.234567][     C0] rcu: INFO: x"), "rcu: INFO: x");
        assert_eq!(msg("<6>[    1.234567][  T312] y"), "y");
    }

    #[test]
    fn strips_crlf_and_cr() {
        assert_eq!(msg("[    1.000000] BUG: foo\r"), "BUG: foo");
        assert_eq!(
            messages("50%\r100%\r[ 2.0] BUG: z"),
            ["50%", "100%", "BUG: z"]
        );
        assert_eq!(messages(""), [""]);
        assert_eq!(messages("\r"), [""]);
        let log = "[ 1.0] ok\r\n[ 2.0] BUG: crlf\r\n";
        let splats = scan(log);
        assert_eq!(splats.len(), 1);
        assert_eq!(splats[0].first_line, "BUG: crlf");
        assert_eq!(splats[0].line_no, 2);
    }

    #[test]
    fn strips_ansi_escapes() {
        assert_eq!(msg("\x1b[31mBUG: red\x1b[0m"), "BUG: red");
        assert_eq!(msg("\x1b[1;33m[    3.1]\x1b[0m WARNING: y"), "WARNING: y");
        assert_eq!(
            msg("\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.3)"),
            "SeaBIOS (version 1.16.3)"
        );
        assert_eq!(msg("\x1b]0;title\x07[ 1.0] x"), "x");
        assert_eq!(msg("\x1b(B\x1b[m[ 1.0] y"), "y");
        assert_eq!(msg("a\x00b\x08c\td"), "abc\td");
    }

    #[test]
    fn strips_virtme_ng_serial_prefixes() {
        // A shell prompt on the serial console, interrupted by the kernel.
        assert_eq!(
            messages("root@virtme-ng:/work/main# [   42.000001] BUG: x"),
            ["root@virtme-ng:/work/main#", "BUG: x"]
        );
        // Two kernel messages on one line (a message without newline).
        assert_eq!(messages("[ 1.0] a[ 1.1] b"), ["a", "b"]);
        // virtme-ng-init logs through /dev/kmsg, or to stdout without it.
        assert_eq!(
            msg("[    0.812345] virtme-ng-init: WARNING: failed to run: \"udevadm\" settle"),
            "virtme-ng-init: WARNING: failed to run: \"udevadm\" settle"
        );
        assert!(scan("[    0.812345] virtme-ng-init: WARNING: failed to run: x").is_empty());
        assert!(scan("virtme-ng-init: WARNING: failed to run: x").is_empty());
    }

    #[test]
    fn strips_dmesg_and_syslog_formats() {
        assert_eq!(msg("6,1234,5678901,-;BUG: kmsg"), "BUG: kmsg");
        assert_eq!(msg("4,99,1,c,caller=T12;WARNING: x"), "WARNING: x");
        assert_eq!(
            msg("kern  :warn  : [    1.234567] WARNING: x"),
            "WARNING: x"
        );
        assert_eq!(msg("kern  :err   : BUG: y"), "BUG: y");
        assert_eq!(msg("[Sun Nov 23 09:45:01 2025] BUG: t"), "BUG: t");
        assert_eq!(msg("Nov 23 09:45:01 vm kernel: BUG: s"), "BUG: s");
        assert_eq!(msg("2025-11-23T09:45:01+0000 vm kernel: BUG: j"), "BUG: j");
        // Not a prefix: the kernel's own text.
        assert_eq!(
            msg("Kernel panic - not syncing: kernel: panic_on_warn set ..."),
            "Kernel panic - not syncing: kernel: panic_on_warn set ..."
        );
        assert_eq!(
            msg("[<ffffffff81234567>] foo+0x1/0x2"),
            "[<ffffffff81234567>] foo+0x1/0x2"
        );
    }

    #[test]
    fn classifies_bug_lines() {
        let cases = [
            ("BUG: KASAN: slab-use-after-free in foo+0x1/0x2", Kind::Kasan),
            ("BUG: KFENCE: out-of-bounds read in foo+0x1/0x2", Kind::Kasan),
            ("BUG: kernel NULL pointer dereference, address: 0000000000000008", Kind::Oops),
            ("BUG: unable to handle page fault for address: ffffc90000a3f000", Kind::Oops),
            ("BUG: sleeping function called from invalid context at mm/slub.c:4194", Kind::Bug),
            ("BUG: scheduling while atomic: insmod/312/0x00000002", Kind::Bug),
            ("BUG: Bad page state in process insmod  pfn:10a3c4", Kind::BadPage),
            ("BUG: Bad page map in process a.out  pte:8000000105f3b025", Kind::BadPage),
            ("BUG: Bad rss-counter state mm:00000000 type:MM_FILEPAGES val:1", Kind::BadPage),
            ("kernel BUG at mm/filemap.c:123!", Kind::Bug),
            ("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [insmod:312]", Kind::Hang),
            ("BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!", Kind::Hang),
            ("[ BUG: bad unlock balance detected! ]", Kind::Lockdep),
            ("BUG: Invalid wait context", Kind::Lockdep),
            ("BUG: MAX_LOCKDEP_ENTRIES too low!", Kind::Lockdep),
            ("BUG kmalloc-64 (Tainted: G    B     ): Poison overwritten", Kind::Corruption),
            (
                "BUG rpc_state (Tainted: G    B   O  ): Objects remaining on __kmem_cache_shutdown()",
                Kind::SlabLeak,
            ),
        ];
        for (line, kind) in cases {
            assert_eq!(kinds(line), [kind], "{line}");
        }
    }

    #[test]
    fn classifies_warning_lines() {
        let cases = [
            (
                "WARNING: CPU: 0 PID: 1 at mm/filemap.c:1 func+0x1/0x2",
                Kind::Warning,
            ),
            ("WARNING: at mm/filemap.c:1 func()", Kind::Warning),
            ("WARNING: this is only a test", Kind::Warning),
            (
                "WARNING: possible circular locking dependency detected",
                Kind::Lockdep,
            ),
            (
                "WARNING: possible recursive locking detected",
                Kind::Lockdep,
            ),
            ("WARNING: suspicious RCU usage", Kind::Lockdep),
            ("WARNING: inconsistent lock state", Kind::Lockdep),
            ("WARNING: bad unlock balance detected!", Kind::Lockdep),
            (
                "WARNING: lock held when returning to user space!",
                Kind::Lockdep,
            ),
            ("WARNING: held lock freed!", Kind::Lockdep),
            (
                "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
                Kind::Lockdep,
            ),
            (
                "INFO: possible irq lock inversion dependency detected",
                Kind::Lockdep,
            ),
            ("INFO: trying to register non-static key.", Kind::Lockdep),
            ("DEBUG_LOCKS_WARN_ON(1)", Kind::Lockdep),
        ];
        for (line, kind) in cases {
            assert_eq!(kinds(line), [kind], "{line}");
        }
    }

    #[test]
    fn classifies_other_reports() {
        let cases = [
            ("UBSAN: array-index-out-of-bounds in mm/foo.c:12:34", Kind::Ubsan),
            ("kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)", Kind::Kmemleak),
            ("kmemleak: 1 new suspected memory leak (see /sys/kernel/debug/kmemleak)", Kind::Kmemleak),
            ("unreferenced object 0xffff888104a3c200 (size 64):", Kind::Kmemleak),
            ("kmem_cache_destroy rpc: Slab cache still has objects when called from x", Kind::SlabLeak),
            ("Kernel panic - not syncing: Fatal exception", Kind::Panic),
            ("Oops: general protection fault, probably for non-canonical address", Kind::Oops),
            ("general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN", Kind::Oops),
            ("Oops: 0000 [#1] PREEMPT SMP NOPTI", Kind::Oops),
            ("KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]", Kind::Kasan),
            ("INFO: task insmod:312 blocked for more than 122 seconds.", Kind::Hang),
            ("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", Kind::Hang),
            ("INFO: rcu_preempt self-detected stall on CPU", Kind::Hang),
            ("watchdog: Watchdog detected hard LOCKUP on cpu 1", Kind::Hang),
            ("refcount_t: underflow; use-after-free.", Kind::Corruption),
            ("refcount_t: saturated; leaking memory.", Kind::Corruption),
            ("list_add corruption. next->prev should be prev (ffff8881), but was 0000000000000000.", Kind::Corruption),
            ("list_del corruption, ffff888104a3c218->next is LIST_POISON1 (dead000000000100)", Kind::Corruption),
            ("page dumped because: VM_BUG_ON_FOLIO(!folio_test_locked(folio))", Kind::BadPage),
            ("Bad page state in process swapper/0  pfn:01234", Kind::BadPage),
        ];
        for (line, kind) in cases {
            assert_eq!(kinds(line), [kind], "{line}");
        }
    }

    #[test]
    fn ignores_harmless_lines() {
        let lines = [
            "Warning: unable to open an initial console.",
            "ACPI: _OSC evaluation for CPUs failed, trying _PDC",
            "ACPI BIOS Warning (bug): Incorrect checksum in table [BGRT] - 0x00, should be 0x1F",
            "ACPI: PCI: Interrupt link LNKA configured for IRQ 10, warning ignored",
            "kmemleak: Kernel memory leak detector initialized (mem pool available: 15671)",
            "kmemleak: Automatic memory scanning thread started",
            "kasan: KernelAddressSanitizer initialized (generic)",
            "KASAN: vmalloc shadow enabled",
            "Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
            "lockdep: fast path disabled",
            "... MAX_LOCKDEP_KEYS:        8192",
            "rpc-selftest: WARNING: this is only a test",
            "debug_vm_pgtable: [debug_vm_pgtable         ]: Validating architecture page table helpers",
            "Memory: 1820344K/2096632K available (22528K kernel code, 268432K reserved, 0K cma-reserved)",
            "virtme-ng-init: initialization done",
            "CONFIG_DEBUG_VM=y DEBUG_VM_PGFLAGS BUG_ON checks active",
            "rpc: DEBUG_VM_BUG_ON_x is not a word match",
            "RIP: 0010:foo+0x1/0x2",
            "Call Trace:",
            "INFO: lockdep is turned off.",
            "INFO: task insmod:312 is blocked on a mutex likely owned by task rmmod:313.",
            "rcu: Hierarchical RCU implementation.",
            "rcu: \tRCU lockdep checking is enabled.",
            "Running RCU synchronous self tests",
            "watchdog: Delayed init of the lockup detector failed: -19",
            "x86/mm: Checked W+X mappings: passed, no W+X pages found.",
            "Disabling lock debugging due to kernel taint",
            "insmod invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
            "printk: console [ttyS0] enabled",
            "Tainted: [W]=WARN, [O]=OOT_MODULE",
            "BUGS: none",
            "DEBUG: BUG: not at the start",
            "kernel: something",
        ];
        for line in lines {
            assert!(scan(line).is_empty(), "flagged: {line}");
            assert!(
                scan(&format!("[   1.000000] {line}")).is_empty(),
                "flagged: {line}"
            );
        }
    }

    #[test]
    fn groups_oops_with_its_bug_line() {
        let log = "\
[    5.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    5.000001] #PF: supervisor read access in kernel mode
[    5.000002] #PF: error_code(0x0000) - not-present page
[    5.000003] PGD 0 P4D 0
[    5.000004] Oops: Oops: 0000 [#1] SMP KASAN NOPTI
[    5.000005] RIP: 0010:foo+0x2f/0x120
[    5.000006] ---[ end trace 0000000000000000 ]---
[    5.000007] RIP: 0010:foo+0x2f/0x120
[    5.000008] Kernel panic - not syncing: Fatal exception
[    5.000009] Kernel Offset: disabled
[    5.000010] ---[ end Kernel panic - not syncing: Fatal exception ]---
";
        let splats = scan(log);
        assert_eq!(splats.len(), 1, "{splats:#?}");
        let s = &splats[0];
        assert_eq!((s.line_no, s.kind), (1, Kind::Oops));
        // The RIP line after the end marker is left out.
        assert_eq!(s.context.len(), 10, "{:#?}", s.context);
        assert!(s.context[5].contains("---[ end trace"));
        assert_eq!(s.context[6], GAP);
        assert!(s.context[7].ends_with("Kernel panic - not syncing: Fatal exception"));
        assert!(s.context[8].ends_with("Kernel Offset: disabled"));
        assert!(s.context[9].contains("---[ end Kernel panic"));
    }

    #[test]
    fn a_bare_oops_or_rip_line() {
        assert_eq!(
            kinds("[ 1.0] RIP: 0010:foo+0x1/0x2\n[ 1.1] Call Trace:\n"),
            []
        );
        // An Oops line that no BUG line announced is an oops of its own.
        let log = "[ 1.0] BUG: sleeping function called from invalid context at x.c:1\n\
                   [ 1.1] Call Trace:\n\
                   [ 2.0] Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN NOPTI\n\
                   [ 2.0] KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]\n";
        assert_eq!(kinds(log), [Kind::Bug, Kind::Oops]);
    }

    #[test]
    fn groups_bug_variant_of_list_corruption() {
        let log = "\
[ 1.0] list_del corruption, ffff888104a3c218->next is LIST_POISON1 (dead000000000100)
[ 1.0] ------------[ cut here ]------------
[ 1.0] kernel BUG at lib/list_debug.c:56!
[ 1.0] Oops: invalid opcode: 0000 [#1] SMP KASAN NOPTI
[ 1.0] RIP: 0010:__list_del_entry_valid_or_report+0x7a/0x130
[ 1.0] ---[ end trace 0000000000000000 ]---
";
        let splats = scan(log);
        assert_eq!(kinds(log), [Kind::Corruption]);
        assert_eq!(splats[0].context.len(), 5);
    }

    #[test]
    fn groups_vm_bug_on_folio() {
        let log = "\
[ 1.0] page: refcount:2 mapcount:0 mapping:ffff888100f1e4a8 index:0x0 pfn:0x10a3c4
[ 1.0] flags: 0x200000000000000(node=0|zone=2)
[ 1.0] page dumped because: VM_BUG_ON_FOLIO(!folio_test_locked(folio))
[ 1.0] ------------[ cut here ]------------
[ 1.0] kernel BUG at mm/filemap.c:1509!
[ 1.0] Oops: invalid opcode: 0000 [#1] SMP KASAN NOPTI
[ 1.0] ---[ end trace 0000000000000000 ]---
";
        assert_eq!(kinds(log), [Kind::BadPage]);
    }

    #[test]
    fn separate_reports_are_separate_splats() {
        let warn = "[ 1.0] ------------[ cut here ]------------\n\
                    [ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n\
                    [ 1.0] ---[ end trace 0000000000000000 ]---\n";
        assert_eq!(kinds(&warn.repeat(2)), [Kind::Warning, Kind::Warning]);
        let hung = "[ 1.0] INFO: task a:1 blocked for more than 122 seconds.\n\
                    [ 1.0] Call Trace:\n";
        assert_eq!(kinds(&hung.repeat(2)), [Kind::Hang, Kind::Hang]);
        let kasan = "[ 1.0] ==================================================================\n\
                     [ 1.0] BUG: KASAN: slab-out-of-bounds in f+0x1/0x2\n\
                     [ 1.0] Read of size 8 at addr ffff888104a3c240 by task a/1\n\
                     [ 1.0] ==================================================================\n";
        let log = format!("{kasan}{kasan}{warn}");
        assert_eq!(kinds(&log), [Kind::Kasan, Kind::Kasan, Kind::Warning]);
        let splats = scan(&log);
        assert_eq!(splats[0].context.len(), 2);
        assert_eq!(splats[0].line_no, 2);
        assert_eq!(splats[1].line_no, 6);
        // The cut-here line of the next report is not the context of the last.
        let log = format!("[ 1.0] BUG: scheduling while atomic: a/1/0x2\n{warn}");
        let splats = scan(&log);
        assert_eq!(kinds(&log), [Kind::Bug, Kind::Warning]);
        assert!(splats[0].context.is_empty(), "{:?}", splats[0].context);
    }

    #[test]
    fn context_is_limited() {
        let mut log = String::from("[ 1.0] BUG: scheduling while atomic: a/1/0x2\n");
        for i in 0..50 {
            log.push_str(&format!("[ 1.0]  frame_{i}+0x1/0x2\n"));
        }
        let splats = scan(&log);
        assert_eq!(splats.len(), 1);
        assert_eq!(splats[0].context.len(), CONTEXT_LINES);
        assert_eq!(splats[0].context[0], "[ 1.0]  frame_0+0x1/0x2");
    }

    #[test]
    fn groups_panic_on_warn() {
        let log = "\
[ 1.0] ------------[ cut here ]------------
[ 1.0] WARNING: CPU: 0 PID: 1 at mm/filemap.c:1 f+0x1/0x2
[ 1.0] Call Trace:
[ 1.0] ---[ end trace 0000000000000000 ]---
[ 1.0] Kernel panic - not syncing: kernel: panic_on_warn set ...
[ 1.0] Kernel Offset: disabled
[ 1.0] ---[ end Kernel panic - not syncing: kernel: panic_on_warn set ... ]---
";
        let splats = scan(log);
        assert_eq!(kinds(log), [Kind::Warning]);
        // No line was left out: no gap marker.
        assert_eq!(splats[0].context.len(), 5, "{:#?}", splats[0].context);
    }

    #[test]
    fn groups_older_kernel_bug_with_invalid_opcode() {
        let log = "\
[ 1.0] ------------[ cut here ]------------
[ 1.0] kernel BUG at mm/filemap.c:1509!
[ 1.0] invalid opcode: 0000 [#1] SMP KASAN PTI
[ 1.0] RIP: 0010:folio_unlock+0x4c/0x60
[ 1.0] ---[ end trace 0000000000000000 ]---
";
        assert_eq!(kinds(log), [Kind::Bug]);
    }

    #[test]
    fn late_panic_is_its_own_splat() {
        let mut log = String::from(
            "[ 1.0] ------------[ cut here ]------------\n\
             [ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n\
             [ 1.0] ---[ end trace 0000000000000000 ]---\n",
        );
        for _ in 0..PANIC_TAIL + 5 {
            log.push_str("[ 2.0] something else\n");
        }
        log.push_str("[ 3.0] Kernel panic - not syncing: Attempted to kill init!\n");
        assert_eq!(kinds(&log), [Kind::Warning, Kind::Panic]);
    }

    #[test]
    fn kind_names() {
        for kind in Kind::ALL {
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(Kind::BadPage.to_string(), "bad-page");
    }
}
