// SPDX-License-Identifier: GPL-2.0

//! Swap-in: a page whose record is in its file's swap index comes back
//! into the page cache, on every path that finds a hole there (read,
//! write, fallocate, fault, `read_folio`, swapoff); and the records of a
//! range leave with the range (truncate, punch, eviction).
//!
//! # The protocol (and how it meets swap-out, swap/out.rs)
//!
//! Swap-out records the slot in the index *before* it freezes and removes
//! the folio, and counts it in `RpcInode::swapped` with a full barrier in
//! between. A reader that finds no folio at an index therefore looks at
//! the count, and if it is not zero, at the index: it either found the
//! folio (before the removal), or finds the record (after it) — never a
//! hole that reads as zeros (seed 002's guarantee, extended to swap).
//!
//! [`swap_in`] itself inserts a new folio, locked and not up to date, at
//! the index: from then on that folio *is* the swap cache entry of the
//! page. Anyone else who wants the page finds it in the page cache and
//! waits for its lock (readers wait for folios that are not up to date),
//! so two swap-ins of one page, or a read and a fault, end with one folio
//! and one read from the device. Only when the read has succeeded does the
//! record change: a failed read removes the folio again and leaves the
//! record, so the data stays where it is and the caller gets `EIO` (a
//! fault: SIGBUS).
//!
//! # Clean copies (the swap cache's other half)
//!
//! After a good read the slot still holds the page's data. While the area
//! is less than half full ([`SwapArea::keeps_copies`], the kernel's
//! `vm_swap_full()` rule) the slot stays, as a [`Record::Copy`], and the
//! folio is left *clean* — the only clean folios of ours. Swap-out then
//! drops such a folio with no write at all (swap/out.rs: the copy becomes a
//! `Slot` record again, then the same freeze as a written folio). shmem
//! frees the slot on every swap-in, so each page read back under pressure
//! is written out again; the kernel's swap cache keeps copies for
//! anonymous memory only. This is what makes random reads of a file larger
//! than its memcg cost one device read and no write each.
//!
//! A copy is good only while its folio is clean, so everything that
//! changes a folio's data marks it dirty under the folio lock:
//! [`written`] (the write path, partial-page zeroing), and the kernel's
//! `folio_mark_dirty()` (a fault's write, the dirty bit of a PTE when the
//! mapping goes, a pinner's unpin). A `Copy` record of a dirty folio is
//! stale, and whoever holds the folio locked may drop it ([`drop_copy`]):
//! the write path at once, swap-out before it writes the folio. The
//! kernel cannot remove a clean folio behind our back (`release_folio`
//! says no, cache/page_cache.rs), so a `Copy` record always has its folio
//! in the cache, except inside a truncate or punch (which drops both) and
//! inside swap-out's removal (where it is a `Slot` already). Copies hold
//! no block of their own (`RpcInode::copies`, not `swapped`), and swapoff
//! dirties their folios and drops them ([`give_up_copy`]).
//!
//! The caller holds something that keeps truncate and punch out
//! ([`ExcludesTruncate`]: `i_rwsem` or `invalidate_lock`), so the record
//! cannot be taken and its slot reused while the read is in flight.
//!
//! # Unwritten pages
//!
//! A fallocated page that nobody wrote has no data: swap-out takes it from
//! memory with a [`Record::Unwritten`], no slot, no I/O. A read finds
//! zeros there without bringing it back ([`is_unwritten`]); anything else
//! (write, fault, fallocate, swapoff) gets it back as it was, a zeroed
//! folio that is *not* up to date, inserted before the record is taken, as
//! above. A fallocate that fails drops the records of the pages it made
//! ([`drop_unwritten`]), as it removes their folios.

use crate::cache::page_cache::{PageCache, MAX_INDEX};
use crate::fs::inode;
use crate::glue::ffi;
use crate::glue::folio::{Folio, LockedFolio};
use crate::glue::memcg::MemcgRef;
use crate::glue::vfs::{ExcludesTruncate, Inode};
use crate::glue::xarray::Record;
use crate::swap::area::SwapArea;
use core::sync::atomic::Ordering;
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::barrier::{smp_mb, Read};

/// Whether `inode` has pages in swap; called after a lookup found no
/// folio. Pairs with the barrier in swap-out (see the top of this file).
#[inline]
pub(crate) fn has_swapped(inode: &Inode) -> bool {
    smp_mb(Read);
    inode.rpc().swapped.load(Ordering::Relaxed) != 0
}

/// Whether `inode`'s index holds any record, clean copies included: for
/// the walks that must see them all (truncate, punch, eviction, swapoff).
pub(crate) fn has_records(inode: &Inode) -> bool {
    has_swapped(inode) || inode.rpc().copies.load(Ordering::Acquire) != 0
}

/// Whether page `index` of `inode` has a record (in swap, a clean copy, or
/// unwritten). For a caller that found no folio there, or has just
/// inserted one for a hole: its looks at the cache and at the records are
/// not one atomic look (the records are not in `i_pages`), so the folio
/// that was there may have gone out in between. Swap-out records a page
/// before its folio leaves, so the record is visible after the folio is
/// gone (for an inserter, the removal and its insertion take the same
/// XArray lock; no new record can come while its locked folio holds the
/// index). A reader then looks again; an inserter removes its folio and
/// looks again (and swaps the page in): a hole made over a record would
/// read as zeros and leave the record, slot and all, behind it.
pub(crate) fn has_record(inode: &Inode, index: u64) -> bool {
    has_records(inode) && inode.rpc().swap.load(index).is_some()
}

/// How hard a swap-in tries to find memory, and how far it reads around.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gfp {
    /// The mapping's gfp: a system call or fault, which may wait and OOM.
    /// Reads around as far as the file's window says (swap/readahead.rs).
    Normal,
    /// Swapoff and fallocate: fail with ENOMEM rather than OOM-kill
    /// (`__GFP_RETRY_MAYFAIL`). Both bring back every page of a range in
    /// index order, so they read around at full width.
    MayFail,
    /// A driver's own gfp instead of the mapping's (`rpc_read_folio_gfp()`,
    /// fs/driver_api.rs, as `shmem_read_folio_gfp()`): every folio of the
    /// swap-in, read-around included, comes from a zone it allows.
    Exactly(bindings::gfp_t),
}

impl Gfp {
    /// The gfp an allocation for `mapping_gfp`'s file uses.
    pub(crate) fn mask(self, mapping_gfp: bindings::gfp_t) -> bindings::gfp_t {
        match self {
            Gfp::Normal => mapping_gfp,
            Gfp::MayFail => mapping_gfp | ffi::rpc_gfp_mayfail(),
            Gfp::Exactly(gfp) => gfp,
        }
    }
}

/// Pages one swap-in reads at most: the page asked for and the pages after
/// it in the file whose slots follow its slot on the device (swap-out
/// writes a file's pages in index order to contiguous slots), in one bio.
const READ_AROUND: usize = 32;

/// `folio` was found in the cache by a read, write or fault of `inode`:
/// if swap-in had read it around another page, that was a readahead hit
/// (counted, and widening the file's next window). One test of the folio's
/// flags when it was not (the hot read path).
#[inline]
pub(crate) fn used(inode: &Inode, cache: &PageCache<'_>, folio: &Folio) {
    if folio.take_readahead() {
        cache.stats().swap_readahead_hit();
        inode.rpc().readahead.hit();
    }
}

/// Brings page `index` of `inode` back from swap: the folio, locked and up
/// to date (or fallocated: zeros, not up to date, if its record was
/// [`Record::Unwritten`]), or `None` if the index has no record (a hole, or
/// the page is cached again: the caller looks again). `EIO` if the device
/// read failed (the record stays), `ENOMEM` if no folio could be had.
///
/// The pages after `index` whose records hold the slots after its slot
/// come in with it, in the same bio, up to the file's read-around window
/// (swap/readahead.rs; counted in the statistics as `swap_readahead`): each gets its own folio in the page
/// cache, inserted, checked and filled exactly like the first, and left
/// unlocked, up to date, for whoever reads it next.
pub(crate) fn swap_in(
    inode: &Inode,
    cache: &PageCache<'_>,
    index: u64,
    gfp: Gfp,
    _excl: &impl ExcludesTruncate,
) -> Result<Option<LockedFolio>> {
    let rpc = inode.rpc();
    let alloc = gfp.mask(cache.mapping().gfp());
    let slot = match rpc.swap.load(index) {
        None => return Ok(None),
        Some(Record::Unwritten) => return unwritten_in(inode, cache, index, alloc),
        Some(Record::Slot(slot)) => slot,
        // A copy's folio is in the cache (the caller missed it only if it
        // is being taken out, and then the record is a `Slot` first): a
        // copy without its folio would be a bug, which must not loop.
        Some(Record::Copy(_)) => {
            if cache.lookup(index).is_some() {
                return Ok(None);
            }
            kernel::warn_on!(true);
            return Err(EIO);
        }
    };
    let Some(area) = inode.sb_info().swap_area() else {
        // A slot outlives its area only through a bug in swapoff.
        kernel::warn_on!(true);
        return Err(EIO);
    };
    let window = match gfp {
        Gfp::Normal | Gfp::Exactly(_) => rpc.readahead.window(index, READ_AROUND as u32) as usize,
        Gfp::MayFail => READ_AROUND,
    };
    // Clean copies (see the top of this file) only while the area is less
    // than half full, as the kernel's swap cache (`vm_swap_full()`), and
    // never for swapoff or fallocate.
    let keep = gfp != Gfp::MayFail && area.keeps_copies();
    let mut run: KVec<LockedFolio> = KVec::with_capacity(window, GFP_KERNEL)?;
    // Charged to the memcg the page was swapped out of, as shmem does
    // (glue/memcg.rs), and read around only within that memcg's slots.
    let (owner, same) = area.owner_run(slot, window);
    let charge = owner.as_ref().and_then(MemcgRef::charge_here);
    while run.len() < window {
        let i = run.len() as u64;
        let record = Some(Record::Slot(slot + i));
        if i > 0 && (i >= same as u64 || index + i > MAX_INDEX || rpc.swap.load(index + i) != record) {
            break;
        }
        let folio = match cache.insert_gfp(index + i, false, alloc) {
            Ok(f) => f,
            // Someone else's folio is there (another swap-in, or a write that
            // got in first): the caller finds it when it looks again.
            Err(e) if e == EEXIST && i == 0 => {
                cache.stats().swap_cache_hit();
                return Ok(None);
            }
            Err(e) if i == 0 => return Err(e),
            // Read-around is best effort.
            Err(_) => break,
        };
        // Taken meanwhile by a swap-in that finished before our insert?
        if rpc.swap.load(index + i) != record {
            cache.remove(folio);
            if i == 0 {
                return Ok(None);
            }
            break;
        }
        // Capacity reserved above: cannot fail.
        let _ = run.push(folio, GFP_KERNEL);
    }
    drop(charge);
    if area.read_run(slot, &run).is_err() {
        cache.stats().swap_read_error();
        for folio in run.drain_all() {
            cache.remove(folio);
        }
        return Err(EIO);
    }
    // Keep the file on the reclaim list of the memcg just charged.
    if let Some(first) = run.first() {
        inode::follow_memcg(inode, first);
    }
    for (i, folio) in run.iter().enumerate() {
        folio.mark_uptodate();
        let at = index + i as u64;
        let record = Record::Slot(slot + i as u64);
        let copy = Record::Copy(slot + i as u64);
        if keep && rpc.swap.replace(at, record, copy) {
            // In the cache now, clean: the slot stays as its copy. Counted
            // as a copy before it stops counting as out, so that
            // `has_records` never reads 0 in between.
            rpc.copies.fetch_add(1, Ordering::AcqRel);
            rpc.swapped.fetch_sub(1, Ordering::AcqRel);
            cache.stats().swap_copies(1);
        } else {
            folio.mark_dirty();
            // In the cache now, dirty: the slot is no longer needed.
            if rpc.swap.take(at, record) {
                release(inode, Some(&area), record);
            }
        }
        // After mark_dirty: folio_mark_dirty() clears PG_reclaim, its bit.
        if i > 0 {
            folio.mark_readahead();
        }
        cache.stats().swapped_in();
    }
    cache.stats().swap_readahead(run.len() as u64 - 1);
    // The first is the caller's, locked; the others are unlocked here.
    let mut folios = run.drain_all();
    let first = folios.next();
    drop(folios);
    Ok(first)
}

/// A fallocated page that swap-out took without writing it comes back as
/// it was: zeroed, not up to date, locked (see the top of this file).
fn unwritten_in(inode: &Inode, cache: &PageCache<'_>, index: u64, gfp: bindings::gfp_t) -> Result<Option<LockedFolio>> {
    let folio = match cache.insert_gfp(index, true, gfp) {
        Ok(f) => f,
        Err(e) if e == EEXIST => {
            cache.stats().swap_cache_hit();
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    // Taken by a failing fallocate's undo meanwhile: a hole now.
    if !inode.rpc().swap.take(index, Record::Unwritten) {
        cache.remove(folio);
        return Ok(None);
    }
    release(inode, None, Record::Unwritten);
    inode::follow_memcg(inode, &folio);
    folio.mark_dirty();
    cache.stats().unwritten_in();
    Ok(Some(folio))
}

/// Whether page `index` of `inode` is a fallocated page that swap-out took
/// without writing: a read finds zeros there and brings nothing back (the
/// caller found no folio; a write or fault inserts one before it takes the
/// record, so until then the page is zeros).
pub(crate) fn is_unwritten(inode: &Inode, index: u64) -> bool {
    inode.rpc().swap.load(index) == Some(Record::Unwritten)
}

/// Drops the [`Record::Unwritten`] of `index`, if it has one: a failing
/// fallocate undoing a page it made (the caller gives its block back).
pub(crate) fn drop_unwritten(inode: &Inode, index: u64) -> bool {
    let taken = has_swapped(inode) && inode.rpc().swap.take(index, Record::Unwritten);
    if taken {
        release(inode, None, Record::Unwritten);
    }
    taken
}

/// A record just taken from `inode`'s index is gone: its slot goes back to
/// `area` (the mount's, which exists while any slot is in use).
fn release(inode: &Inode, area: Option<&SwapArea>, record: Record) {
    if record.is_out() {
        inode.rpc().swapped.fetch_sub(1, Ordering::AcqRel);
    } else {
        inode.rpc().copies.fetch_sub(1, Ordering::AcqRel);
        inode.stats().swap_copies(-1);
    }
    if let Some(slot) = record.slot() {
        match area {
            Some(area) => {
                area.free(slot);
                inode.stats().slots_freed(1);
            }
            // A slot outlives its area only through a bug in swapoff.
            None => {
                kernel::warn_on!(true);
            }
        }
    }
}

/// `folio` (locked, in `inode`'s cache) is dirty, or about to be: a clean
/// copy of it in swap is stale now, and its slot goes back (whether one
/// did). One load of a counter when the file has no copies (the write
/// path).
pub(crate) fn drop_copy(inode: &Inode, folio: &LockedFolio) -> bool {
    let rpc = inode.rpc();
    if rpc.copies.load(Ordering::Acquire) == 0 {
        return false;
    }
    if let Some(record @ Record::Copy(_)) = rpc.swap.load(folio.index()) {
        if rpc.swap.take(folio.index(), record) {
            release(inode, inode.sb_info().swap_area().as_deref(), record);
            return true;
        }
    }
    false
}

/// `folio` (locked, in `inode`'s cache) has just been written or zeroed in
/// part: dirty from now on, and a clean copy of it in swap goes.
#[inline]
pub(crate) fn written(inode: &Inode, folio: &LockedFolio) {
    if !folio.is_dirty() {
        folio.mark_dirty();
        drop_copy(inode, folio);
    }
}

/// Swapoff's way with a clean copy at `index`: the folio is dirtied and the
/// copy dropped (under the folio lock, as swap-out looks at both).
pub(crate) fn give_up_copy(inode: &Inode, cache: &PageCache<'_>, index: u64) {
    let Some(folio) = cache.lookup(index) else {
        // Being taken out by a swap-out that began before swapoff: the
        // record is a `Slot` now, which swapoff's next pass brings back.
        return;
    };
    let folio = folio.lock();
    if cache.is_ours(&folio) && folio.index() == index {
        folio.mark_dirty();
        drop_copy(inode, &folio);
    }
}

/// The kernel's `read_folio` found a hole that has a record: read the page
/// into the kernel's own (locked, not yet ours) folio at `index`. `true`
/// if it now holds the page's data, and the record is gone.
pub(crate) fn read_into(inode: &Inode, folio: &LockedFolio, index: u64) -> Result<bool> {
    let rpc = inode.rpc();
    let Some(record) = rpc.swap.load(index) else {
        return Ok(false);
    };
    let area = inode.sb_info().swap_area();
    match (record, &area) {
        // The kernel wants it up to date: zeros, now data.
        (Record::Unwritten, _) => folio.zero(0, folio.size()),
        (Record::Slot(slot), Some(area)) => {
            if area.read(slot, folio).is_err() {
                inode.stats().swap_read_error();
                return Err(EIO);
            }
        }
        (Record::Slot(_), None) => return Err(EIO),
        // A copy's page is cached, so the kernel could add its folio here
        // only after a truncate or punch removed that one and before it
        // drops the record (`do_read_cache_folio()` holds no
        // `invalidate_lock`): the page is a hole now (beyond EOF, the
        // caller says EINVAL), and the record goes with the range.
        (Record::Copy(_), _) => return Ok(false),
    }
    // A truncate that took the record while we read (read_folio holds no
    // inode lock) made the page a hole: what we read is not the file's.
    if !rpc.swap.take(index, record) {
        folio.zero(0, folio.size());
    } else {
        release(inode, area.as_deref(), record);
        inode.stats().swapped_in();
    }
    Ok(true)
}

/// The first index in `start..=last` that has a record.
pub(crate) fn next_swapped(inode: &Inode, start: u64, last: u64) -> Option<u64> {
    if !has_swapped(inode) {
        return None;
    }
    inode.rpc().swap.find(start, last).map(|(i, _)| i)
}

/// Drops the records of `first..=last` and frees their slots; returns how
/// many there were (their blocks are the caller's to give back). Caller:
/// `i_rwsem` and `invalidate_lock` exclusive (truncate, punch) or the inode
/// being evicted, after the range's folios have left the cache.
pub(crate) fn drop_range(inode: &Inode, first: u64, last: u64) -> u64 {
    let rpc = inode.rpc();
    if !has_records(inode) {
        return 0;
    }
    // One reference for the whole range: slots are in use, so the area
    // exists (unwritten records need none: an inode swapoff skipped
    // because it was being evicted may drop them after the area went).
    let area = inode.sb_info().swap_area();
    let mut dropped = 0;
    let mut start = first;
    while start <= last && has_records(inode) {
        let Some((index, record)) = rpc.swap.find(start, last) else {
            break;
        };
        if rpc.swap.take(index, record) {
            release(inode, area.as_deref(), record);
            // A copy's block is its folio's, which the caller counted.
            dropped += u64::from(record.is_out());
        }
        if index == MAX_INDEX {
            break;
        }
        start = index + 1;
    }
    dropped
}
