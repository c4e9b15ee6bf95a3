// SPDX-License-Identifier: GPL-2.0

//! Swap-out: the shrinker that writes cold folios to the swap area when
//! memory is short, globally or in a memcg at its `memory.max`/`memory.high`.
//!
//! # Why a shrinker, and which folios
//!
//! A regular file's mapping is unevictable (page_cache.rs), so the VM's LRU
//! scan never touches these folios, and `pageout()` would not write them
//! anyway (it writes only shmem and anonymous folios). Reclaim calls
//! shrinkers with the node and memcg under pressure; this one
//! ([`SbInfo`]'s [`ShrinkerOps`]) walks that memcg's list of the mount's
//! regular files (glue/reclaim.rs) round robin, and in each file a clock
//! hand goes over its folios:
//!
//! - a folio read or written since the hand last passed (`PG_referenced`,
//!   set by `folio_mark_accessed()` on every read and write) gets a second
//!   chance: the bit is cleared and the folio stays, as reclaim's aging
//!   does for file folios;
//! - mapped folios stay (their young bits are out of reach: `folio_referenced()`
//!   and `try_to_unmap()` are not exported); so do folios that are
//!   poisoned, under writeback, locked by someone (being filled, for one),
//!   or referenced by anyone but the page cache (a pinner: O_DIRECT,
//!   io_uring, vmsplice, a reader copying from it right now);
//! - a fallocated folio nobody wrote holds no data: it goes with an
//!   unwritten record in the file's swap index, no slot, no I/O
//!   ([`take_unwritten`]; shmem writes such pages out as zeros instead).
//!   Those of a `fallocate` still running go too, so that the call never
//!   holds memory its memcg's other tasks cannot get back; the call counts
//!   them and gives up when it fills memory (`FallocProgress`, fs/file.rs);
//! - a folio read back from swap and not written since (clean, with a
//!   [`Record::Copy`]: its slot still holds its data) goes without I/O: the
//!   record becomes a `Slot` again and the folio is removed as below. A
//!   dirty folio's copy is stale: it is dropped and its slot freed first;
//! - the rest, charged to the memcg under pressure (or below it) and on its
//!   node, are taken locked, a run at a time, given contiguous slots and
//!   written with one bio. With the area full they stay (the clean and
//!   unwritten ones above can still go, so the shrinker still counts).
//!
//! # Removal (seed 002, and seeds 000/001)
//!
//! After the write, each folio's slot is recorded in the file's swap index
//! and counted (`swapped`, then a full barrier: swap_in.rs pairs with it),
//! and only then is the folio removed, with its reference count frozen at
//! exactly the page cache's + the marker's + ours
//! ([`PageCache::remove_if_unused`]). If anyone took a reference since the
//! check, the freeze fails: the record is taken back, the slot freed, and
//! the folio stays, dirty, as it was. So a lockless reader either got the
//! folio before the freeze, or sees the record after it; a pinner's folio
//! is never freed; and a freed folio is no longer anywhere.
//!
//! # Write errors
//!
//! A failed write leaves its folios as they were (dirty, in the cache, the
//! slots freed, counted in `swap_write_errors`), and swap-out rests for a
//! second (`SwapArea::writes_resting`: the count is 0, a scan in progress
//! stops), so that a failing disk costs reclaim one bio, not one per call;
//! after it the same folios are tried again.
//!
//! # Locks
//!
//! Reclaim can enter with any lock of ours held by the allocating task, so
//! the shrinker waits for none: the file's `invalidate_lock` is tried
//! shared (which keeps truncate and punch out for the whole pass, so the
//! records written cannot be taken under us) and folios are trylocked. It
//! needs `__GFP_IO` (it submits bios, as shmem's writeout does). The index
//! insertions allocate with `GFP_NOWAIT`.

use crate::cache::page_cache::{Batch, PageCache, MAX_INDEX};
use crate::fs::file::cache_of;
use crate::cache::stats::Stats;
use crate::fs::super_block::SbInfo;
use crate::glue::block::MAX_RUN;
use crate::glue::folio::{Folio, LockedFolio};
use crate::glue::reclaim::{account_reclaimed, Scanned, ShrinkControl, ShrinkerOps};
use crate::glue::vfs::{cond_resched, Inode};
use crate::glue::xarray::Record;
use crate::swap::area::SwapArea;
use crate::swap::swap_in;
use kernel::sync::barrier::{smp_mb, Full};
use core::sync::atomic::Ordering;
use kernel::bindings;
use kernel::prelude::*;

/// Folios written with one bio (1 MiB with 4 KiB pages). A dirty folio
/// found cold joins the run even past the call's budget: the write waits
/// for the device, so one wait per MiB, not one per `nr_to_scan` pages
/// (at 256 KiB per bio, a 32 MiB memcg writing 128 MiB wrote at 0.68x
/// tmpfs's speed; at 1 MiB, 1.16x).
const RUN: usize = 256;
const _: () = assert!(RUN <= MAX_RUN);

/// Inodes one scan call works on at most, and list entries it looks at.
const INODES_PER_SCAN: usize = 16;
const LIST_WALK: u64 = 64;
/// List entries `count_objects` looks at (the count is an estimate).
const COUNT_WALK: u64 = 1024;

/// A memcg within this many pages of its limit (`memory.max` or
/// `memory.high`, its own or an ancestor's) is at it: one charge batch
/// (`MEMCG_CHARGE_BATCH`), what a charge that fails asks for at most.
const AT_LIMIT: u64 = 64;
/// What one reclaim invocation entered at a memcg's limit gets from us
/// before we stop: one write run (1 MiB), which a call that writes frees
/// at once anyway; four charge batches, so the next charges find the
/// margin without reclaim.
const CHARGE_SERVED: u64 = RUN as u64;

/// Whether the reclaim invocation this call belongs to was entered by a
/// memcg at its limit and has had what its charge needs ([`CHARGE_SERVED`]).
/// Test: `swap.a_charge_at_the_limit_frees_what_it_needs_not_the_memcg`.
///
/// Memcg reclaim does not count a shrinker's frees as progress
/// (`flush_reclaim_state()` folds them in for global reclaim only), so an
/// invocation that reclaim's LRU scan cannot satisfy (the memcg holds
/// little but our unevictable folios) goes through every priority down to
/// 0 and calls us at each, with a share that doubles each time: a charge
/// of one page freed 10 MiB of a 32 MiB memcg at once (`make bench`'s
/// random reader: memory.current a saw-tooth 31 -> 20 -> 31 MiB), and the
/// test's reader, reading swapped pages at random at the limit, had its
/// memcg emptied to 2.9 MiB, with the shrinker's seeks at 2 or at 8. So once
/// the invocation's frees outside the LRU (the task's `reclaim_state`,
/// ours and slab's) reach `CHARGE_SERVED` and the memcg was at its limit
/// when it began (its margin now, less those frees), we stop.
///
/// Proactive reclaim (`memory.reclaim`) of a memcg below its limit is not
/// capped: it asks for an amount we cannot see, and the tests and the
/// soak push whole files out with it. One that starts at the limit is
/// capped for its first invocation only; the next starts below it.
fn charge_served(stats: &Stats, sc: &ShrinkControl) -> bool {
    let freed = sc.freed_so_far();
    if freed < CHARGE_SERVED {
        return false;
    }
    let margin = sc.memcg_margin();
    let served = margin != u64::MAX && margin.saturating_sub(freed) <= AT_LIMIT;
    if served {
        stats.shrink_served();
    }
    served
}

/// References a cached, unmapped, unused folio has while we look at it
/// with a reference of ours: the page cache's, the marker's, ours.
const IDLE_REFS: c_int = 3;

impl ShrinkerOps for SbInfo {
    fn count(&self, sc: &ShrinkControl) -> c_ulong {
        let Some(area) = self.swap_area() else {
            return 0;
        };
        if area.draining() || area.writes_resting() {
            return 0;
        }
        // Not bounded by the free slots: clean copies and unwritten pages
        // need none (a full area costs scans that find only those).
        let bound = sc.memcg_lru_pages();
        if bound == 0 || charge_served(self.stats(), sc) {
            return 0;
        }
        let n = self.reclaim_list().count_pages(sc.nid(), sc.memcg(), COUNT_WALK).min(bound);
        if n > 0 {
            self.stats().shrink_counted();
        }
        n as c_ulong
    }

    fn scan(&self, sc: &ShrinkControl) -> Scanned {
        if !sc.allows_io() {
            return Scanned::Stop;
        }
        let Some(area) = self.swap_area() else {
            return Scanned::Stop;
        };
        if charge_served(self.stats(), sc) {
            return Scanned::Stop;
        }
        let asked = sc.nr_to_scan().max(1);
        let mut budget = asked;
        let mut freed = 0u64;
        let full = area.free_count() == 0;
        let inodes = self.reclaim_list().collect::<INODES_PER_SCAN>(sc.nid(), sc.memcg(), LIST_WALK);
        for inode in inodes.iter() {
            if budget == 0 || area.draining() || area.writes_resting() {
                break;
            }
            freed += swap_out_inode(inode, &area, sc, &mut budget);
        }
        // The references go here, no lock of ours held (a final one evicts).
        let none = inodes.is_empty();
        drop(inodes);
        self.stats().shrink_scanned(none);
        // Global reclaim counts this as its progress (reclaim_state); memcg
        // reclaim does not (`flush_reclaim_state()`), hence
        // `charge_served` and the shrinker's seeks (helpers.c).
        account_reclaimed(freed);
        // Nothing to look at (no file of this memcg has cached pages): no
        // more calls in this pass. Otherwise report what went, even 0 (the
        // pass only cleared referenced bits: the next call frees). With
        // the area full, a call that freed less than it was asked ends the
        // pass too: it walked its whole share (1024 folios a file and
        // more) and what it met needs a slot, or was spared (referenced,
        // busy); the next pass comes back.
        // Memcg reclaim does not count a shrinker's frees as progress, so
        // without this every priority of every retry walked the files
        // again, up to 190 calls a retry, and a memory.reclaim of a memcg
        // with a full area and a few takeable folios it could not take ran
        // for minutes under TCG (the swap-full test, in make check only).
        if none || (full && freed < asked) { Scanned::Stop } else { Scanned::Freed(freed) }
    }
}

/// Whether `folio` can go now, before locking it (see the top of the file).
fn cold_candidate(folio: &Folio, sc: &ShrinkControl) -> bool {
    if folio.is_hwpoison() || folio.is_mapped() {
        return false;
    }
    if folio.ref_count() > IDLE_REFS {
        return false;
    }
    folio.in_scope(sc.nid(), sc.memcg())
}

/// Runs the clock hand over `inode`'s folios, writing out cold ones, until
/// `budget` pages are written or four times that many folios (at least
/// 1024) were looked at: a referenced folio is spared for about one pass
/// of reclaim's calls, not one pass of the whole file.
/// Returns the pages freed.
fn swap_out_inode(inode: &Inode, area: &SwapArea, sc: &ShrinkControl, budget: &mut u64) -> u64 {
    let mapping = inode.mapping();
    let cache = cache_of(inode);
    let Some(_inval) = mapping.try_invalidate_lock_shared() else {
        cache.stats().shrink_file_busy();
        return 0;
    };
    let rpc = inode.rpc();
    let mut hand = rpc.swap_hand.load(Ordering::Relaxed);
    let mut looked = 0u64;
    let limit = (*budget * 4).max(1024);
    let mut freed = 0u64;
    let mut run: KVec<LockedFolio> = match KVec::with_capacity(RUN, GFP_NOWAIT) {
        Ok(v) => v,
        Err(_) => return 0,
    };
    let mut wrapped = false;
    // No slot for a dirty folio: only clean copies and unwritten pages go.
    let mut full = area.free_count() == 0;
    'walk: while looked < limit && *budget > 0 {
        let mut batch = Batch::new();
        cache.lookup_batch(hand, MAX_INDEX, &mut batch);
        if batch.is_empty() {
            if wrapped || hand == 0 {
                break;
            }
            hand = 0;
            wrapped = true;
            continue;
        }
        for folio in batch.drain() {
            hand = folio.index() + 1;
            looked += 1;
            if folio.test_clear_referenced() {
                cache.stats().swap_rotated();
            } else if cold_candidate(&folio, sc) {
                if let Some(locked) = folio.try_lock() {
                    // Re-checked under the lock: still ours, unmapped, idle.
                    if !cache.is_ours(&locked)
                        || locked.mapping() != mapping.as_raw()
                        || locked.is_mapped()
                        || locked.is_writeback()
                    {
                        // Stays.
                    } else if !locked.is_uptodate() || !locked.is_dirty() {
                        // Not up to date: fallocated, never written
                        // (file.rs). Clean: read back from swap, with its
                        // copy there (swap_in.rs).
                        let went = if locked.is_uptodate() {
                            take_clean(inode, &cache, locked)
                        } else {
                            take_unwritten(inode, &cache, locked)
                        };
                        if went {
                            freed += 1;
                            *budget -= 1;
                            if *budget == 0 {
                                break 'walk;
                            }
                        }
                    } else {
                        // Written since it came back: its copy is stale,
                        // and its slot free again (even with the area full).
                        if swap_in::drop_copy(inode, &locked) {
                            full = false;
                        }
                        if !full {
                            // Read around and never used: a readahead miss;
                            // the mark must not meet folio_end_writeback()
                            // (it is PG_reclaim's bit).
                            let _ = locked.take_readahead();
                            // Capacity reserved above: cannot fail.
                            let _ = run.push(locked, GFP_NOWAIT);
                        }
                    }
                }
            }
            if run.len() == RUN {
                let n = write_out(inode, &cache, area, &mut run);
                freed += n;
                *budget = budget.saturating_sub(n.max(1));
                if *budget == 0 || area.writes_resting() {
                    break 'walk;
                }
                full = area.free_count() == 0;
            }
            if looked >= limit {
                break 'walk;
            }
        }
        cond_resched();
    }
    if !run.is_empty() {
        let n = write_out(inode, &cache, area, &mut run);
        freed += n;
        *budget = budget.saturating_sub(n);
    }
    rpc.swap_hand.store(hand, Ordering::Relaxed);
    freed
}

/// Writes the locked folios of `run` to contiguous slots and removes those
/// that can go; the run is empty afterwards (folios that stay are unlocked,
/// dirty, in the cache). Returns the pages removed.
fn write_out(inode: &Inode, cache: &PageCache<'_>, area: &SwapArea, run: &mut KVec<LockedFolio>) -> u64 {
    let stats = cache.stats();
    let mut removed = 0;
    let mut start = 0;
    while start < run.len() {
        let Some((first, n)) = area.alloc_run(run.len() - start) else {
            // Swap full (or swapoff began): the rest stays in memory.
            stats.swap_full();
            break;
        };
        stats.slots_taken(n as u64);
        let part = &run[start..start + n];
        // Swap-in charges these memcgs again (swap/area.rs).
        area.set_owners(first, part);
        if area.write(first, part).is_err() {
            // The folios stay, dirty; swap-out rests, then tries again.
            stats.swap_write_error(n as u64);
            area.note_write_error();
            for i in 0..n as u64 {
                area.free(first + i);
            }
            stats.slots_freed(n as u64);
            break;
        } else {
            for (i, folio) in part.iter().enumerate() {
                if finish(inode, cache, area, folio, first + i as u64) {
                    removed += 1;
                }
            }
        }
        start += n;
    }
    // Unlocks and puts every folio; those removed are freed here.
    run.clear();
    stats.swapped_out(removed);
    removed
}

/// A folio written to `slot`: record it, then remove the folio (see the
/// top of this file); on any failure the folio stays and the slot is freed.
fn finish(inode: &Inode, cache: &PageCache<'_>, area: &SwapArea, folio: &LockedFolio, slot: u64) -> bool {
    if record_and_remove(inode, cache, folio, Record::Slot(slot)) {
        return true;
    }
    area.free(slot);
    cache.stats().slots_freed(1);
    false
}

/// A fallocated folio nobody wrote (locked, not up to date, idle): it goes
/// with an unwritten record and no I/O (see the top of this file). Whether
/// it went; if not, it stays as it was.
fn take_unwritten(inode: &Inode, cache: &PageCache<'_>, folio: LockedFolio) -> bool {
    let index = folio.index();
    if !record_and_remove(inode, cache, &folio, Record::Unwritten) {
        return false;
    }
    inode.rpc().falloc.note_taken(index);
    cache.stats().unwritten_out();
    // Unlocks and puts the folio, which frees it.
    drop(folio);
    true
}

/// A clean folio read back from swap whose slot still holds its data
/// (locked, up to date, idle): its `Copy` record becomes a `Slot` record
/// again, counted out before the folio leaves (the same barrier as
/// [`record_and_remove`]), and it goes with no I/O. Whether it went; if
/// not, the record is a copy again and the folio stays, clean.
fn take_clean(inode: &Inode, cache: &PageCache<'_>, folio: LockedFolio) -> bool {
    let rpc = inode.rpc();
    let index = folio.index();
    let Some(copy @ Record::Copy(slot)) = rpc.swap.load(index) else {
        // Clean without a copy: nothing of ours makes such a folio.
        kernel::warn_on!(true);
        folio.mark_dirty();
        return false;
    };
    let out = Record::Slot(slot);
    if !rpc.swap.replace(index, copy, out) {
        return false;
    }
    rpc.swapped.fetch_add(1, Ordering::AcqRel);
    rpc.copies.fetch_sub(1, Ordering::AcqRel);
    smp_mb(Full);
    if cache.remove_if_unused(&folio) {
        cache.stats().swap_copies(-1);
        cache.stats().swap_clean_out();
        // Unlocks and puts the folio, which frees it.
        drop(folio);
        return true;
    }
    // Still in the cache (we hold it locked): nobody took the record.
    let back = rpc.swap.replace(index, out, copy);
    kernel::warn_on!(!back);
    if back {
        rpc.copies.fetch_add(1, Ordering::AcqRel);
        rpc.swapped.fetch_sub(1, Ordering::AcqRel);
    }
    false
}

/// Records `record` for `folio`'s page, then removes the folio (see the top
/// of this file); if it cannot go, the record is taken back.
fn record_and_remove(inode: &Inode, cache: &PageCache<'_>, folio: &LockedFolio, record: Record) -> bool {
    let rpc = inode.rpc();
    let index = folio.index();
    let gfp = bindings::GFP_NOWAIT | bindings::__GFP_NOWARN;
    if rpc.swap.store(index, record, gfp).is_err() {
        return false;
    }
    rpc.swapped.fetch_add(1, Ordering::AcqRel);
    // Record and count before the folio leaves (swap_in.rs's reader
    // pairs with this barrier).
    smp_mb(Full);
    if cache.remove_if_unused(folio) {
        return true;
    }
    if rpc.swap.take(index, record) {
        rpc.swapped.fetch_sub(1, Ordering::AcqRel);
    }
    false
}
