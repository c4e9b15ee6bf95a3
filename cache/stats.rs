// SPDX-License-Identifier: GPL-2.0

//! Per-superblock page-cache statistics, shown in debugfs at
//! `/sys/kernel/debug/rust_pagecache/<major>:<minor>/stats` (`<major>:<minor>`
//! is the mount's `st_dev`), plus four test knobs beside it that widen a
//! race window so the selftests can hit it every time: `remove_delay_us`
//! (seed 002, see [`Stats::hold_frozen_window`]), `fault_delay_us` (seed 004,
//! see [`Stats::fault_window`]), `swapoff_delay_us` (seed 003's
//! swapoff-vs-eviction race, see [`Stats::swapoff_window`]) and
//! `replace_delay_us` (seed 003's replacement against truncate and punch,
//! see [`Stats::replace_window`]).

use core::fmt;
use core::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use kernel::bindings;
use kernel::debugfs::{Dir, Scope};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::atomic::{self, Atomic};
use kernel::time::delay::{fsleep, udelay};
use kernel::time::Delta;

/// Counters; all relaxed: they are statistics, not synchronisation.
pub(crate) struct Stats {
    /// Pages currently in the cache of this superblock's files.
    pages_cached: AtomicI64,
    /// Folios ever inserted / removed by this module's code.
    inserted: AtomicU64,
    removed: AtomicU64,
    /// Removals that froze the reference count (nobody else held one).
    removed_frozen: AtomicU64,
    /// Lockless lookups that had to start again because they raced with a
    /// removal (frozen reference count) or a replacement (re-check failed).
    retries: AtomicU64,
    /// Test knob: for up to this many microseconds, a removal that froze
    /// the reference count keeps its window open (entry still in the
    /// XArray, XArray lock held, interrupts off) until a racing lockless
    /// lookup has observed the frozen count and retried. 0 (the default)
    /// in normal use; written through debugfs (a decimal `u32`), read here
    /// with relaxed atomics.
    remove_delay_us: Atomic<u32>,
    /// The page index + 1 a removal holds frozen in that window (0: none),
    /// so a test can read exactly that page (swap-out's removal).
    frozen_holding: AtomicU64,
    /// Faults that found their folio gone from the file once they had
    /// locked it (a truncate, punch or eviction removed it in between) and
    /// looked again: seed 004's race, caught by the re-check.
    fault_retries: AtomicU64,
    /// Test knob: a fault that found its folio in the cache sleeps this many
    /// microseconds (at most [`MAX_FAULT_DELAY_US`]) before locking it, so
    /// that a truncate or punch can remove the folio in between. 0 (the
    /// default) in normal use.
    fault_delay_us: Atomic<u32>,
    /// Own swap (swap/): pages written out and read back, second chances
    /// given to referenced folios, write and read errors, slots.
    swapped_out: AtomicU64,
    swapped_in: AtomicU64,
    swap_rotated: AtomicU64,
    swap_write_errors: AtomicU64,
    swap_read_errors: AtomicU64,
    swap_full: AtomicU64,
    /// The swap shrinker's calls (swap/out.rs): counts that reported
    /// something to free, scans, scans that found no file of the memcg on
    /// its list, calls turned away because a memcg charge had what it
    /// needed (`charge_served`), and files a scan passed over because
    /// their `invalidate_lock` was held exclusively (a truncate or punch).
    shrink_counts: AtomicU64,
    shrink_scans: AtomicU64,
    shrink_scans_empty: AtomicU64,
    shrink_served: AtomicU64,
    shrink_files_busy: AtomicU64,
    /// Fallocated pages nobody wrote that swap-out took from memory with
    /// no slot and no I/O, and those that came back (swap/swap_in.rs).
    unwritten_out: AtomicU64,
    unwritten_in: AtomicU64,
    /// Swapped-in pages whose slot stays as a clean copy
    /// ([`crate::glue::xarray::Record::Copy`]) now, and pages swap-out took
    /// from memory without writing them because their copy was still good.
    swap_copies: AtomicI64,
    swap_clean_out: AtomicU64,
    /// Pages read with a swap-in beyond the one asked for (read-around).
    swap_readahead: AtomicU64,
    /// Of those, pages that were then used (read, written, faulted).
    swap_readahead_hits: AtomicU64,
    /// Swap-ins that found the page already coming back (another
    /// swap-in's folio at its index: the swap cache).
    swap_cache_hits: AtomicU64,
    /// Folios replaced by a copy in a lower zone for a caller whose gfp
    /// forbade theirs, and replacements that could not be made (no memory,
    /// a DMA pin): cache/replace.rs, seed 003.
    replaced: AtomicU64,
    replace_failed: AtomicU64,
    /// Test knob: a replacement sleeps this many microseconds (at most
    /// [`MAX_REPLACE_DELAY_US`]) holding the old folio locked, before it
    /// copies it: the window in which a truncate or punch that did not
    /// wait for it would find the old folio and miss the new one.
    replace_delay_us: Atomic<u32>,
    /// The page index + 1 a replacement holds in that window (0: none).
    replace_holding: AtomicU64,
    /// Files whose reclaim-list track moved to the memcg their new pages
    /// are charged to (`inode::follow_memcg`).
    track_moves: AtomicU64,
    slots_used: AtomicI64,
    slots_total: AtomicU64,
    /// Pages swapoff has brought back (since mount).
    swapoff_pages: AtomicU64,
    /// Test knob: swapoff sleeps this many microseconds (at most
    /// [`MAX_SWAPOFF_DELAY_US`]) with each inode held, before it swaps the
    /// inode's pages in: the window of seed 003's swapoff-vs-eviction race.
    swapoff_delay_us: Atomic<u32>,
    /// The inode number swapoff holds in that window (0: none), so a test
    /// can unlink and close exactly that file.
    swapoff_holding: AtomicU64,
}

/// Upper bound for the swapoff knob (it sleeps, holding `s_umount`).
const MAX_SWAPOFF_DELAY_US: u32 = 1_000_000;
/// Upper bound for the replacement knob (it sleeps, holding a folio lock
/// and `invalidate_lock` shared).
const MAX_REPLACE_DELAY_US: u32 = 1_000_000;

/// Upper bound for the test knob: it spins with interrupts off.
const MAX_REMOVE_DELAY_US: u32 = 1000;
/// Upper bound for the fault knob (it sleeps, holding `mmap_lock` shared).
const MAX_FAULT_DELAY_US: u32 = 10_000;

impl Stats {
    pub(crate) const fn new() -> Self {
        Stats {
            pages_cached: AtomicI64::new(0),
            inserted: AtomicU64::new(0),
            removed: AtomicU64::new(0),
            removed_frozen: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            remove_delay_us: Atomic::new(0),
            frozen_holding: AtomicU64::new(0),
            fault_retries: AtomicU64::new(0),
            fault_delay_us: Atomic::new(0),
            swapped_out: AtomicU64::new(0),
            swapped_in: AtomicU64::new(0),
            swap_rotated: AtomicU64::new(0),
            swap_write_errors: AtomicU64::new(0),
            swap_read_errors: AtomicU64::new(0),
            swap_full: AtomicU64::new(0),
            shrink_counts: AtomicU64::new(0),
            shrink_scans: AtomicU64::new(0),
            shrink_scans_empty: AtomicU64::new(0),
            shrink_served: AtomicU64::new(0),
            shrink_files_busy: AtomicU64::new(0),
            unwritten_out: AtomicU64::new(0),
            unwritten_in: AtomicU64::new(0),
            swap_copies: AtomicI64::new(0),
            swap_clean_out: AtomicU64::new(0),
            swap_readahead: AtomicU64::new(0),
            swap_readahead_hits: AtomicU64::new(0),
            swap_cache_hits: AtomicU64::new(0),
            replaced: AtomicU64::new(0),
            replace_failed: AtomicU64::new(0),
            replace_delay_us: Atomic::new(0),
            replace_holding: AtomicU64::new(0),
            track_moves: AtomicU64::new(0),
            slots_used: AtomicI64::new(0),
            slots_total: AtomicU64::new(0),
            swapoff_pages: AtomicU64::new(0),
            swapoff_delay_us: Atomic::new(0),
            swapoff_holding: AtomicU64::new(0),
        }
    }

    pub(crate) fn inserted(&self, pages: usize) {
        self.inserted.fetch_add(1, Relaxed);
        self.pages_cached.fetch_add(pages as i64, Relaxed);
    }

    pub(crate) fn removed(&self, pages: usize, frozen: bool) {
        self.removed.fetch_add(1, Relaxed);
        if frozen {
            self.removed_frozen.fetch_add(1, Relaxed);
        }
        self.pages_cached.fetch_sub(pages as i64, Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub(crate) fn fault_retried(&self) {
        self.fault_retries.fetch_add(1, Relaxed);
    }

    /// The fault test knob (see `fault_delay_us`): called by a fault between
    /// finding its folio and locking it; returns at once when the knob is 0.
    pub(crate) fn fault_window(&self) {
        let us = self.fault_delay_us.load(atomic::Relaxed).min(MAX_FAULT_DELAY_US);
        if us != 0 {
            // Faults may sleep; no spinlock or RCU read lock is held.
            fsleep(Delta::from_micros(us.into()));
        }
    }

    /// The test knob (see `remove_delay_us`): called inside the frozen
    /// window of a removal of the page at `index`; returns at once when the
    /// knob is 0. `frozen_holding` shows the index meanwhile.
    pub(crate) fn hold_frozen_window(&self, index: u64) {
        let us = self.remove_delay_us.load(atomic::Relaxed).min(MAX_REMOVE_DELAY_US);
        if us == 0 {
            return;
        }
        self.frozen_holding.store(index + 1, Relaxed);
        let before = self.retries.load(Relaxed);
        // Counted in 1 us steps of the calibrated delay loop, not against a
        // clock: with interrupts off the clock may be jiffies, which this
        // CPU may be the one to advance.
        for _ in 0..us {
            if self.retries.load(Relaxed) != before {
                break;
            }
            udelay(Delta::from_micros(1));
        }
        self.frozen_holding.store(0, Relaxed);
    }

    pub(crate) fn swapped_out(&self, pages: u64) {
        self.swapped_out.fetch_add(pages, Relaxed);
    }

    pub(crate) fn swapped_in(&self) {
        self.swapped_in.fetch_add(1, Relaxed);
    }

    pub(crate) fn swap_rotated(&self) {
        self.swap_rotated.fetch_add(1, Relaxed);
    }

    pub(crate) fn swap_write_error(&self, pages: u64) {
        self.swap_write_errors.fetch_add(pages, Relaxed);
    }

    pub(crate) fn swap_read_error(&self) {
        self.swap_read_errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn swap_full(&self) {
        self.swap_full.fetch_add(1, Relaxed);
    }

    pub(crate) fn shrink_counted(&self) {
        self.shrink_counts.fetch_add(1, Relaxed);
    }

    pub(crate) fn shrink_scanned(&self, empty: bool) {
        self.shrink_scans.fetch_add(1, Relaxed);
        if empty {
            self.shrink_scans_empty.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn shrink_served(&self) {
        self.shrink_served.fetch_add(1, Relaxed);
    }

    pub(crate) fn shrink_file_busy(&self) {
        self.shrink_files_busy.fetch_add(1, Relaxed);
    }

    pub(crate) fn unwritten_out(&self) {
        self.unwritten_out.fetch_add(1, Relaxed);
    }

    pub(crate) fn unwritten_in(&self) {
        self.unwritten_in.fetch_add(1, Relaxed);
    }

    /// A swapped-in page kept its slot as a clean copy (`+1`), or the copy
    /// went (`-1`).
    pub(crate) fn swap_copies(&self, delta: i64) {
        self.swap_copies.fetch_add(delta, Relaxed);
    }

    pub(crate) fn swap_clean_out(&self) {
        self.swap_clean_out.fetch_add(1, Relaxed);
    }

    pub(crate) fn swap_readahead(&self, pages: u64) {
        self.swap_readahead.fetch_add(pages, Relaxed);
    }

    /// A read, write or fault used a page swap-in had read around another
    /// (swap/swap_in.rs: `used`).
    pub(crate) fn swap_readahead_hit(&self) {
        self.swap_readahead_hits.fetch_add(1, Relaxed);
    }

    pub(crate) fn swap_cache_hit(&self) {
        self.swap_cache_hits.fetch_add(1, Relaxed);
    }

    pub(crate) fn replaced(&self) {
        self.replaced.fetch_add(1, Relaxed);
    }

    pub(crate) fn replace_failed(&self) {
        self.replace_failed.fetch_add(1, Relaxed);
    }

    /// The replacement test knob (see `replace_delay_us`): called by a
    /// replacement of the folio at `index`, which it holds locked; returns
    /// at once when the knob is 0. `replace_holding` shows the index + 1
    /// meanwhile.
    pub(crate) fn replace_window(&self, index: u64) {
        let us = self.replace_delay_us.load(atomic::Relaxed).min(MAX_REPLACE_DELAY_US);
        if us != 0 {
            self.replace_holding.store(index + 1, Relaxed);
            // The replacement may sleep here (it is called from a fault or
            // the driver API, holding sleeping locks only).
            fsleep(Delta::from_micros(us.into()));
            self.replace_holding.store(0, Relaxed);
        }
    }

    pub(crate) fn track_moved(&self) {
        self.track_moves.fetch_add(1, Relaxed);
    }

    pub(crate) fn slots_taken(&self, n: u64) {
        self.slots_used.fetch_add(n as i64, Relaxed);
    }

    pub(crate) fn slots_freed(&self, n: u64) {
        self.slots_used.fetch_sub(n as i64, Relaxed);
    }

    pub(crate) fn set_slots_total(&self, n: u64) {
        self.slots_total.store(n, Relaxed);
    }

    pub(crate) fn swapoff_page(&self) {
        self.swapoff_pages.fetch_add(1, Relaxed);
    }

    /// The swapoff test knob (see `swapoff_delay_us`): called by swapoff
    /// with inode `ino` held; returns at once when the knob is 0. While it
    /// sleeps, `swapoff_holding` shows `ino`.
    pub(crate) fn swapoff_window(&self, ino: u64) {
        let us = self.swapoff_delay_us.load(atomic::Relaxed).min(MAX_SWAPOFF_DELAY_US);
        if us != 0 {
            self.swapoff_holding.store(ino, Relaxed);
            // Swapoff may sleep here; it holds no spinlock.
            fsleep(Delta::from_micros(us.into()));
            self.swapoff_holding.store(0, Relaxed);
        }
    }
}

impl Stats {
    /// The `stats` file: one `name value` line per counter.
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pages = self.pages_cached.load(Relaxed).max(0) as u64;
        let (inserted, removed) = (self.inserted.load(Relaxed), self.removed.load(Relaxed));
        let lines: [(&str, u64); 34] = [
            ("folios_cached", inserted.saturating_sub(removed)),
            ("bytes_cached", pages << bindings::PAGE_SHIFT),
            ("folios_inserted", inserted),
            ("folios_removed", removed),
            ("folios_removed_frozen", self.removed_frozen.load(Relaxed)),
            ("lookup_retries", self.retries.load(Relaxed)),
            ("fault_retries", self.fault_retries.load(Relaxed)),
            ("swapped_out", self.swapped_out.load(Relaxed)),
            ("swapped_in", self.swapped_in.load(Relaxed)),
            ("swap_rotated", self.swap_rotated.load(Relaxed)),
            ("swap_write_errors", self.swap_write_errors.load(Relaxed)),
            ("swap_read_errors", self.swap_read_errors.load(Relaxed)),
            ("swap_full", self.swap_full.load(Relaxed)),
            ("shrink_counts", self.shrink_counts.load(Relaxed)),
            ("shrink_scans", self.shrink_scans.load(Relaxed)),
            ("shrink_scans_empty", self.shrink_scans_empty.load(Relaxed)),
            ("shrink_served", self.shrink_served.load(Relaxed)),
            ("shrink_files_busy", self.shrink_files_busy.load(Relaxed)),
            ("unwritten_out", self.unwritten_out.load(Relaxed)),
            ("unwritten_in", self.unwritten_in.load(Relaxed)),
            ("swap_copies", self.swap_copies.load(Relaxed).max(0) as u64),
            ("swap_clean_out", self.swap_clean_out.load(Relaxed)),
            ("swap_readahead", self.swap_readahead.load(Relaxed)),
            ("swap_readahead_hits", self.swap_readahead_hits.load(Relaxed)),
            ("swap_cache_hits", self.swap_cache_hits.load(Relaxed)),
            ("replaced", self.replaced.load(Relaxed)),
            ("replace_failed", self.replace_failed.load(Relaxed)),
            ("track_moves", self.track_moves.load(Relaxed)),
            ("swap_slots_used", self.slots_used.load(Relaxed).max(0) as u64),
            ("swap_slots_total", self.slots_total.load(Relaxed)),
            ("swapoff_pages", self.swapoff_pages.load(Relaxed)),
            ("swapoff_holding", self.swapoff_holding.load(Relaxed)),
            ("frozen_holding", self.frozen_holding.load(Relaxed)),
            ("replace_holding", self.replace_holding.load(Relaxed)),
        ];
        for (name, v) in lines {
            writeln!(f, "{} {}", name, v)?;
        }
        Ok(())
    }
}

kernel::sync::global_lock! {
    // SAFETY: initialised by `debugfs_init()`, from the module's `init`,
    // before a filesystem can be mounted.
    unsafe(uninit) static DEBUGFS_ROOT: Mutex<Option<Dir>> = None;
}

/// Creates `<debugfs>/rust_pagecache` (module `init`, once).
pub(crate) fn debugfs_init() {
    static DONE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, Relaxed) {
        return;
    }
    // SAFETY: the only call of `init`, guarded by `DONE`.
    unsafe { DEBUGFS_ROOT.init() };
    *DEBUGFS_ROOT.lock() = Some(Dir::new(c"rust_pagecache"));
}

/// Removes `<debugfs>/rust_pagecache` once the last superblock's folder
/// has gone (module `drop`; each folder also holds a reference on it).
pub(crate) fn debugfs_exit() {
    let root = DEBUGFS_ROOT.lock().take();
    drop(root);
}

/// A superblock's statistics with their debugfs folder,
/// `<debugfs>/rust_pagecache/<major>:<minor>/` (the mount's `st_dev`):
/// `stats` and the four test knobs. The folder goes before the counters
/// when it drops ([`Scope`]), waiting for readers and writers.
pub(crate) type StatsDir = Scope<Stats>;

/// Where a superblock's folder goes: the root folder (a reference of the
/// caller's) and the folder's name.
pub(crate) struct StatsPlace {
    root: Dir,
    name: CString,
}

impl StatsPlace {
    /// The folder of the superblock `dev`: `<major>:<minor>`.
    pub(crate) fn new(dev: bindings::dev_t) -> Result<Self> {
        let name = CString::try_from_fmt(fmt!("{}:{}", dev >> MINORBITS, dev & MINORMASK))?;
        // The folder will keep the root's entry alive (an `Arc` in `Dir`).
        let root = DEBUGFS_ROOT.lock().clone().ok_or(ENOENT)?;
        Ok(StatsPlace { root, name })
    }

    /// New statistics, in their folder.
    pub(crate) fn stats(&self) -> impl PinInit<StatsDir, Error> + '_ {
        self.root.scope(Ok::<_, Error>(Stats::new()), &self.name, |s, dir| {
            dir.read_callback_file(c"stats", s, &Stats::show);
            dir.read_write_file(c"remove_delay_us", &s.remove_delay_us);
            dir.read_write_file(c"fault_delay_us", &s.fault_delay_us);
            dir.read_write_file(c"swapoff_delay_us", &s.swapoff_delay_us);
            dir.read_write_file(c"replace_delay_us", &s.replace_delay_us);
        })
    }
}

/// `MINORBITS` of `<linux/kdev_t.h>`: a `dev_t` is `major << 20 | minor`.
const MINORBITS: u32 = 20;
const MINORMASK: u32 = (1 << MINORBITS) - 1;
