// SPDX-License-Identifier: GPL-2.0

//! Regular files: the data path over the module's own page cache
//! ([`crate::cache::page_cache`]).
//!
//! - `read_iter` takes no lock at all: lockless batched lookup (seed 002),
//!   up-to-date folios are copied out without the folio lock, holes read
//!   as zeros without allocating anything.
//! - `write_iter` runs under `i_rwsem`: find or create (charge, allocate
//!   with the mapping's gfp, insert) a locked folio, copy in with page faults
//!   disabled (the source may map this very folio), mark up to date and
//!   dirty.
//! - truncate, `fallocate` and hole punching hold `i_rwsem` and the
//!   mapping's `invalidate_lock` exclusively while folios leave the cache,
//!   so no fault (which holds it shared while it creates a folio, see
//!   mmap.rs) can bring one back into the range being emptied (seed 004).
//!
//! Invariant: a folio in a regular file's cache is dirty, and whenever it is
//! unlocked it is either up to date or *fallocated*: allocated by
//! `fallocate`, zeroed, never written, not up to date (as in shmem). A
//! new folio is filled (or zeroed) before its lock is dropped, or removed
//! again. Readers that find a folio not up to date wait for its lock: then
//! it is filled, removed, or fallocated, which reads as zeros. The first
//! write or fault into a fallocated folio marks it up to date; a failed
//! `fallocate` removes only the folios it added that are still fallocated,
//! so what a mapping wrote into one meanwhile is kept (review defect 1).
//!
//! A folio that memory failure poisoned stays in the cache (see
//! page_cache.rs): reading or writing that page fails with EIO.
//!
//! `O_DIRECT` is accepted, as on tmpfs: the page cache is the storage, so
//! direct I/O is served from it, with no alignment rules.
//!
//! Blocks (`size=`) are charged before a folio is inserted and given back
//! when this module removes it ([`inode::charge`], [`inode::uncharge`]).

use crate::cache::page_cache::{Batch, PageCache, BATCH, MAX_INDEX};
use crate::fs::inode::{self, RpcInode};
use crate::glue::inode_slab::InodeSlab;
use crate::fs::mmap;
use crate::fs::fileattr;
use crate::fs::xattr;
use crate::fs::super_block::SbInfo;
use crate::glue::ffi::{self, OpsTable};
use crate::glue::folio::{Folio, LockedFolio};
use crate::glue::vfs::{cond_resched, fatal_signal_pending, ExcludesTruncate, Inode, InodeGuard, IovDestExt, IovSourceExt, Kiocb, Mapping, OpenFile};
use crate::swap::swap_in::{self, Gfp};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::bindings;
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::prelude::*;

const PAGE_SIZE: u64 = bindings::PAGE_SIZE as u64;
const PAGE_SHIFT: u32 = bindings::PAGE_SHIFT;

// include/uapi/linux/falloc.h
const FALLOC_FL_KEEP_SIZE: c_int = 0x01;
const FALLOC_FL_PUNCH_HOLE: c_int = 0x02;
const FALLOC_FL_ZERO_RANGE: c_int = 0x10;

/// The page cache of a regular file of this filesystem.
pub(crate) fn cache_of(inode: &Inode) -> PageCache<'_> {
    PageCache::new(inode.mapping(), inode.stats())
}

/// `file_operations.read_iter`: lockless.
///
/// Costs per call are kept to what the copy needs: the folios of a batch
/// come from one RCU walk, `i_size` is read once per batch, the
/// destination's length is read once and then counted down, `IOCB_NOWAIT`
/// and fatal signals are looked at only when the read would wait or go
/// round again.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: the VFS passes a live kiocb of an open file of ours and its
    // destination iterator, both ours until we return.
    let (iocb, to) = unsafe { (Kiocb::from_raw(iocb), IovIterDest::from_raw(to)) };
    read(iocb, to)
}

fn read(iocb: &Kiocb, to: &mut IovIterDest<'_>) -> isize {
    let start = iocb.pos();
    let inode = iocb.inode();
    let cache = cache_of(inode);
    if start < 0 {
        return EINVAL.to_errno() as isize;
    }
    let mut pos = start as u64;
    let mut left = to.len() as u64;
    let mut err: Option<Error> = None;
    // A folio this read brought back from swap (or found a racer had),
    // referenced until the next batch lookup has it: without the reference
    // swap-out could take it again in between (a clean copy goes with no
    // I/O), and the read would find neither folio nor (yet) hole.
    let mut held: Option<Folio> = None;
    'outer: while left > 0 {
        let first = pos >> PAGE_SHIFT;
        let last = ((pos.saturating_add(left) - 1) >> PAGE_SHIFT).min(first + BATCH as u64 - 1);
        let mut batch = Batch::new();
        cache.lookup_batch(first, last, &mut batch);
        drop(held.take());
        // i_size is read after the folios to copy from are known to be up
        // to date (as filemap_read): a truncate that shrank the file before
        // they were found must not leak the old tail. One read covers the
        // batch up to its first folio still being filled; a lookup past
        // EOF finds nothing and costs one search.
        let ready = (0..).take_while(|&i| batch.get(i).is_some_and(|f| f.is_uptodate())).count();
        let size = inode.size();
        if pos >= size {
            break;
        }
        let end = size.min(pos.saturating_add(left));
        let last = last.min((end - 1) >> PAGE_SHIFT);
        let mut bi = 0;
        for index in first..=last {
            let page_end = ((index + 1) << PAGE_SHIFT).min(end);
            let offset = (pos - (index << PAGE_SHIFT)) as usize;
            let want = (page_end - pos) as usize;
            let folio = batch.get(bi).filter(|f| f.index() == index);
            // After a fallocated page the rest of the batch was not checked
            // for being up to date: look it up again.
            let mut rebatch = false;
            let copied = match folio {
                Some(_) if bi == ready => {
                    // Being filled by a writer or a fault, or fallocated.
                    if iocb.nowait() {
                        err = Some(EAGAIN);
                        break 'outer;
                    }
                    match cache.lookup_locked_killable(index) {
                        Err(e) => {
                            err = Some(e);
                            break 'outer;
                        }
                        // Fallocated, never written: zeros (as on tmpfs).
                        Ok(Some(f)) if !f.is_uptodate() => {
                            drop(f);
                            rebatch = true;
                            to.zero(want)
                        }
                        // Filled or removed meanwhile: look again from here.
                        _ => continue 'outer,
                    }
                }
                Some(folio) => {
                    bi += 1;
                    if folio.is_hwpoison() {
                        err = Some(EIO);
                        break 'outer;
                    }
                    if index == first {
                        folio.mark_accessed();
                    }
                    swap_in::used(inode, &cache, folio);
                    // Up to date (before `ready`); offset + want is within it.
                    folio.copy_to_iter(offset, want, to)
                }
                // Fallocated, never written, taken from memory: zeros,
                // nothing brought back.
                None if swap_in::has_swapped(inode) && swap_in::is_unwritten(inode, index) => to.zero(want),
                // A page in swap: bring it in (keeping truncate out), then
                // look again from here.
                None if swap_in::has_swapped(inode) => {
                    if iocb.nowait() {
                        err = Some(EAGAIN);
                        break 'outer;
                    }
                    let swapped = {
                        let inval = cache.mapping().invalidate_lock_shared();
                        swap_in::swap_in(inode, &cache, index, Gfp::Normal, &inval).map(|f| f.map(LockedFolio::unlock))
                    };
                    // Nothing is copied to user memory under invalidate_lock
                    // or a folio lock: a fault on the destination takes
                    // mmap_lock, and faults take both under it (mmap.rs).
                    match swapped {
                        Err(e) => {
                            err = Some(e);
                            break 'outer;
                        }
                        // Back in the cache: copy it (held, see above).
                        Ok(Some(folio)) => {
                            held = Some(folio);
                            continue 'outer;
                        }
                        Ok(None) => {}
                    }
                    match cache.lookup(index) {
                        // In the cache again (a racer's): copy it.
                        Some(folio) => {
                            held = Some(folio);
                            continue 'outer;
                        }
                        // Out again meanwhile: swap-out records a page
                        // before its folio leaves, so the record is there.
                        None if swap_in::has_record(inode, index) => continue 'outer,
                        // No record either: a hole after all.
                        None => to.zero(want),
                    }
                }
                // A hole: zeros, nothing allocated.
                None => to.zero(want),
            };
            pos += copied as u64;
            left -= copied as u64;
            if copied < want {
                if pos == start as u64 {
                    err = Some(EFAULT);
                }
                break 'outer;
            }
            if rebatch {
                continue 'outer;
            }
        }
        if left > 0 && fatal_signal_pending() {
            err = Some(EINTR);
            break;
        }
    }
    iocb.set_pos(pos as i64);
    iocb.file_accessed();
    match err {
        Some(e) if pos == start as u64 => e.to_errno() as isize,
        _ => (pos - start as u64) as isize,
    }
}

/// Finds the folio at `index` or creates it, charged: locked, and `true`
/// if it is new (not up to date, contents undefined). `EINTR` if a fatal
/// signal comes while it waits for the folio lock.
///
/// The caller holds `i_rwsem` (the guard), so only faults race it.
/// `gfp`: [`Gfp::MayFail`] for fallocate, which gets ENOMEM where a write
/// would have the OOM killer (or memcg reclaim) make room.
fn get_or_create(
    inode: &Inode,
    guard: &InodeGuard<'_>,
    cache: &PageCache<'_>,
    index: u64,
    zeroed: bool,
    gfp: Gfp,
) -> Result<(LockedFolio, bool)> {
    loop {
        if let Some(folio) = cache.lookup_locked_killable(index)? {
            swap_in::used(inode, &cache, &folio);
            return Ok((folio, false));
        }
        if let Some(found) = swap_in_or_create(inode, cache, index, zeroed, gfp, guard)? {
            return Ok(found);
        }
    }
}

/// A page not in the cache (the caller looked, and excludes truncate and
/// punch with `excl`): brought back from swap (it keeps its block: no
/// charge), or for a hole a new folio, charged, locked, not up to date
/// (zeroed if `zeroed`); `.1` is whether it is new. `Ok(None)`: the page
/// appeared meanwhile (a fault cached it, or it went out to swap between
/// the looks): look again. The one place a hole becomes a folio, for
/// write, fallocate and faults.
pub(crate) fn swap_in_or_create(
    inode: &Inode,
    cache: &PageCache<'_>,
    index: u64,
    zeroed: bool,
    gfp: Gfp,
    excl: &impl ExcludesTruncate,
) -> Result<Option<(LockedFolio, bool)>> {
    if swap_in::has_swapped(inode) {
        if let Some(folio) = swap_in::swap_in(inode, cache, index, gfp, excl)? {
            return Ok(Some((folio, false)));
        }
        if inode.rpc().swap.load(index).is_some() || cache.lookup(index).is_some() {
            return Ok(None);
        }
    }
    inode::charge(inode, 1)?;
    match cache.insert_gfp(index, zeroed, gfp.mask(cache.mapping().gfp())) {
        Ok(folio) => {
            // The page went out between the looks above (a clean copy goes
            // with no I/O, so quickly): swap it in instead.
            if swap_in::has_record(inode, index) {
                discard_new(inode, cache, folio);
                return Ok(None);
            }
            inode::follow_memcg(inode, &folio);
            Ok(Some((folio, true)))
        }
        Err(e) => {
            // Charged just above.
            inode::uncharge(inode, 1);
            // EEXIST: a fault created it meanwhile; take that one.
            if e == EEXIST { Ok(None) } else { Err(e) }
        }
    }
}

/// Removes a folio this call created (charged by [`get_or_create`]) but
/// could not fill.
fn discard_new(inode: &Inode, cache: &PageCache<'_>, folio: LockedFolio) {
    let removed = cache.remove(folio);
    inode::uncharge(inode, removed as u64);
}

/// Copies `from` into the file at `pos`; returns bytes written.
///
/// As `generic_perform_write()`: the copy into the locked folio runs with
/// page faults disabled (the source may be a mapping of this very folio),
/// so the source is faulted in only after a copy came back empty, with no
/// folio locked, and the page is tried again.
fn perform_write(inode: &Inode, guard: &InodeGuard<'_>, from: &mut IovIterSource<'_>, mut pos: u64) -> (u64, Option<Error>) {
    let cache = cache_of(inode);
    let start = pos;
    let mut left = from.len() as u64;
    while left > 0 {
        let index = pos >> PAGE_SHIFT;
        let offset = (pos & (PAGE_SIZE - 1)) as usize;
        let bytes = (PAGE_SIZE as usize - offset).min(left as usize);
        if fatal_signal_pending() {
            return (pos - start, Some(EINTR));
        }
        let (folio, new) = match get_or_create(inode, guard, &cache, index, false, Gfp::Normal) {
            Ok(found) => found,
            Err(e) => return (pos - start, Some(e)),
        };
        // A poisoned page cannot take part of a page's new contents (as
        // `shmem_write_begin()`).
        if folio.is_hwpoison() {
            return (pos - start, Some(EIO));
        }
        // New, or fallocated and never written (zeroed already, but a
        // copy of no bytes must not mark it up to date).
        let fresh = new || !folio.is_uptodate();
        if fresh {
            folio.zero(0, offset);
            folio.zero(offset + bytes, folio.size());
        }
        let copied = folio.copy_from_iter_atomic(offset, bytes, from);
        if copied == 0 {
            // The source is not resident (or not readable): give back a
            // folio made for nothing, unlock, fault it in, try again.
            if new {
                discard_new(inode, &cache, folio);
            } else {
                drop(folio);
            }
            // No folio locked now.
            if from.fault_in_readable(bytes) == bytes {
                return (pos - start, Some(EFAULT));
            }
            continue;
        }
        if fresh {
            folio.zero(offset + copied, offset + bytes);
            folio.mark_uptodate();
        }
        swap_in::written(inode, &folio);
        folio.mark_accessed();
        pos += copied as u64;
        left -= copied as u64;
        if pos > inode.size() {
            inode.set_size(guard, pos);
        }
        drop(folio);
        cond_resched();
    }
    (pos - start, None)
}

/// `file_operations.write_iter`.
unsafe extern "C" fn write_iter(iocb: *mut bindings::kiocb, from: *mut bindings::iov_iter) -> isize {
    // SAFETY: the VFS passes a live kiocb of an open file of ours and its
    // source iterator, both ours until we return.
    let (iocb, from) = unsafe { (Kiocb::from_raw(iocb), IovIterSource::from_raw(from)) };
    write(iocb, from)
}

fn write(iocb: &Kiocb, from: &mut IovIterSource<'_>) -> isize {
    let inode = iocb.inode();
    let guard = if iocb.nowait() {
        match inode.try_lock() {
            Some(g) => g,
            None => return EAGAIN.to_errno() as isize,
        }
    } else {
        inode.lock()
    };
    let ret = iocb.write_checks(&guard, from);
    if ret <= 0 {
        return ret;
    }
    if let Err(e) = iocb.modified(&guard) {
        return e.to_errno() as isize;
    }
    let pos = iocb.pos() as u64;
    let (written, err) = perform_write(inode, &guard, from, pos);
    iocb.set_pos((pos + written) as i64);
    match err {
        Some(e) if written == 0 => e.to_errno() as isize,
        _ => written as isize,
    }
}

/// Zeroes bytes `from..to` (within one page) of the folio at `index`, if
/// it is cached.
fn zero_in_page(inode: &Inode, guard: &InodeGuard<'_>, cache: &PageCache<'_>, index: u64, from: usize, to: usize) {
    if from >= to {
        return;
    }
    if let Some(folio) = cache.lookup_locked(index) {
        folio.zero(from, to);
        swap_in::written(inode, &folio);
        return;
    }
    // A page in swap is brought in to be zeroed in part. If that fails the
    // page keeps its old bytes there: as on tmpfs, whose partial-page zeroing
    // also reads the page back first (and gives up silently on error).
    if swap_in::has_swapped(inode) {
        if let Ok(Some(folio)) = swap_in::swap_in(inode, cache, index, Gfp::Normal, guard) {
            folio.zero(from, to);
            swap_in::written(inode, &folio);
        }
    }
}

/// Punches the byte range `start..end` out of the file: whole pages leave
/// the cache, partial pages are zeroed. `i_rwsem` held (the guard).
fn punch(inode: &Inode, guard: &InodeGuard<'_>, start: u64, end: u64) {
    if start >= end {
        return;
    }
    let cache = cache_of(inode);
    // No folio lock held here (lock order).
    let _inval = cache.mapping().invalidate_lock();
    let first_full = start.div_ceil(PAGE_SIZE);
    let end_full = end >> PAGE_SHIFT; // exclusive
    let (sp, so) = (start >> PAGE_SHIFT, (start & (PAGE_SIZE - 1)) as usize);
    let (ep, eo) = (end >> PAGE_SHIFT, (end & (PAGE_SIZE - 1)) as usize);
    if sp == ep {
        zero_in_page(inode, guard, &cache, sp, so, eo);
    } else {
        if so != 0 {
            zero_in_page(inode, guard, &cache, sp, so, PAGE_SIZE as usize);
        }
        if eo != 0 {
            zero_in_page(inode, guard, &cache, ep, 0, eo);
        }
    }
    if first_full < end_full {
        // Private COW copies stay (as for tmpfs's punch); the file's pages go.
        cache.mapping().unmap_range(first_full << PAGE_SHIFT, (end_full - first_full) << PAGE_SHIFT, false);
        let removed = cache.truncate_range(first_full, end_full - 1);
        let swapped = swap_in::drop_range(inode, first_full, end_full - 1);
        inode::uncharge(inode, removed + swapped);
    }
}

/// Changes the size of a regular file (`setattr` with `ATTR_SIZE`);
/// `i_rwsem` held (the guard).
fn truncate(inode: &Inode, guard: &InodeGuard<'_>, new: u64) {
    let old = inode.size();
    let cache = cache_of(inode);
    // No folio lock held here (lock order).
    let _inval = cache.mapping().invalidate_lock();
    if new >= old {
        // Bytes past the old EOF in its last page may hold what a shared
        // mapping wrote beyond EOF: they must read as zeros now.
        let o = (old & (PAGE_SIZE - 1)) as usize;
        if o != 0 {
            let end = (((old >> PAGE_SHIFT) + 1) << PAGE_SHIFT).min(new);
            zero_in_page(inode, guard, &cache, old >> PAGE_SHIFT, o, (end - ((old >> PAGE_SHIFT) << PAGE_SHIFT)) as usize);
        }
        inode.set_size(guard, new);
        return;
    }
    // New size first: faults beyond it now fail with SIGBUS (mmap.rs
    // checks i_size under the folio lock), so nothing maps what goes next.
    inode.set_size(guard, new);
    let holebegin = new.div_ceil(PAGE_SIZE) << PAGE_SHIFT;
    // even_cows: private copies of pages beyond EOF go too (SIGBUS semantics).
    cache.mapping().unmap_range(holebegin, 0, true);
    let o = (new & (PAGE_SIZE - 1)) as usize;
    if o != 0 {
        zero_in_page(inode, guard, &cache, new >> PAGE_SHIFT, o, PAGE_SIZE as usize);
    }
    let removed = cache.truncate_range(holebegin >> PAGE_SHIFT, MAX_INDEX);
    let swapped = swap_in::drop_range(inode, holebegin >> PAGE_SHIFT, MAX_INDEX);
    // A private COW fault that raced the first unmap (as truncate_pagecache).
    cache.mapping().unmap_range(holebegin, 0, true);
    inode::uncharge(inode, removed + swapped);
}

/// Drops all data of a regular file being evicted (nobody else can reach
/// it) and gives its blocks back.
pub(crate) fn evict_data(inode: &Inode) {
    let removed = cache_of(inode).truncate_range(0, MAX_INDEX);
    let swapped = swap_in::drop_range(inode, 0, MAX_INDEX);
    inode::uncharge(inode, removed + swapped);
}

/// `inode_operations.setattr` of regular files.
unsafe extern "C" fn setattr(idmap: *mut bindings::mnt_idmap, dentry: *mut bindings::dentry, attr: *mut bindings::iattr) -> c_int {
    // SAFETY: VFS callback arguments: a positive dentry of ours, whose
    // inode's `i_rwsem` the VFS holds for the call.
    unsafe {
        let ret = bindings::setattr_prepare(idmap, dentry, attr);
        if ret != 0 {
            return ret;
        }
        let inode = Inode::from_raw((*dentry).d_inode);
        if (*attr).ia_valid & bindings::ATTR_SIZE != 0 {
            let new = (*attr).ia_size as u64;
            if new != inode.size() {
                truncate(inode, &InodeGuard::held_by_vfs(inode), new);
                // As tmpfs: a size change updates mtime and ctime.
                inode.touch_mtime_ctime();
            }
        }
        bindings::setattr_copy(idmap, inode.as_raw(), attr);
        xattr::acl_chmod(idmap, dentry, attr)
    }
}

/// A running `fallocate`'s progress, shared with swap-out (one call at a
/// time per file: `i_rwsem`). Swap-out takes never-written pages from
/// memory with no I/O (swap/out.rs), those of a running call too, so that
/// the call never holds memory its memcg's neighbours cannot get back (a
/// neighbour's charge would otherwise end in the OOM killer). But a call
/// that has had to give back more than half of the pages it made, and at
/// least [`BAIL_MIN`], is filling memory faster than memory can hold it:
/// it fails with ENOMEM and undoes itself, as `shmem_fallocate()` does once
/// `nr_unswapped > nr_falloced` (tmpfs: "quit when fallocate fills
/// memory"). The floor keeps proactive reclaim (`memory.reclaim`) racing a
/// small call from failing it. A heuristic: relaxed atomics, one page off
/// at the range's edge does not matter.
pub(crate) struct FallocProgress {
    /// `[start, next)`: the pages the running call has been through; empty
    /// when none runs.
    start: AtomicU64,
    next: AtomicU64,
    /// Pages of that range swap-out took while the call ran.
    taken: AtomicU64,
}

/// Pages a fallocate must have given back to swap-out before it may fail
/// (4 MiB with 4 KiB pages).
const BAIL_MIN: u64 = 1024;

impl FallocProgress {
    pub(crate) const fn new() -> Self {
        FallocProgress { start: AtomicU64::new(0), next: AtomicU64::new(0), taken: AtomicU64::new(0) }
    }

    fn begin(&self, first: u64) {
        self.taken.store(0, Ordering::Relaxed);
        self.start.store(first, Ordering::Relaxed);
        self.next.store(first, Ordering::Relaxed);
    }

    fn advance(&self, next: u64) {
        self.next.store(next, Ordering::Relaxed);
    }

    fn end(&self) {
        self.start.store(0, Ordering::Relaxed);
        self.next.store(0, Ordering::Relaxed);
    }

    /// Whether a call that made `made` pages should give up (see above).
    fn should_bail(&self, made: u64) -> bool {
        let taken = self.taken.load(Ordering::Relaxed);
        taken >= BAIL_MIN && taken > made / 2
    }

    /// Swap-out took never-written page `index` of this file.
    pub(crate) fn note_taken(&self, index: u64) {
        let (start, next) = (self.start.load(Ordering::Relaxed), self.next.load(Ordering::Relaxed));
        if (start..next).contains(&index) {
            self.taken.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Allocates the pages of `start..end` that are not cached yet: zeroed,
/// charged, dirty and *fallocated* (not up to date; see the top of this
/// file). On failure the pages this call added are removed again unless a
/// fault has made one up to date meanwhile (a mapping may have written it),
/// so the file is as before except for what others wrote, which is kept
/// (`shmem_fallocate()` undoes the same way, `unfalloc` in
/// `shmem_undo_range()`). `i_rwsem` held (the guard).
///
/// A page in swap is allocated already (it keeps its block): it stays
/// there, unless `bring_back` (a zero range, which zeroes the range's
/// pages in the cache) wants it in memory.
fn allocate(inode: &Inode, guard: &InodeGuard<'_>, start: u64, end: u64, bring_back: bool) -> Result {
    let cache = cache_of(inode);
    let (first, last) = (start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT);
    // Runs of indices this call added, for the undo.
    let mut added: KVec<(u64, u64)> = KVec::new();
    let mut made = 0u64;
    let progress = &inode.rpc().falloc;
    progress.begin(first);
    let mut result = Ok(());
    let mut index = first;
    while index <= last {
        if fatal_signal_pending() {
            result = Err(EINTR);
            break;
        }
        // Fills memory faster than memory holds it (see FallocProgress).
        if progress.should_bail(made) {
            result = Err(ENOMEM);
            break;
        }
        if !bring_back && swap_in::has_swapped(inode) && inode.rpc().swap.load(index).is_some() {
            index += 1;
            progress.advance(index);
            cond_resched();
            continue;
        }
        // Allocations that fail rather than OOM-kill the caller: at a
        // memcg's limit with nothing to reclaim the call fails with ENOMEM,
        // undone (fio preallocates its files so).
        match get_or_create(inode, guard, &cache, index, true, Gfp::MayFail) {
            Ok((folio, new)) => {
                if new {
                    made += 1;
                    folio.mark_dirty();
                    match added.last_mut() {
                        Some(run) if run.1 + 1 == index => run.1 = index,
                        _ => {
                            if let Err(e) = added.push((index, index), GFP_KERNEL) {
                                drop(folio);
                                // Keep the bookkeeping exact: undo this one now.
                                undo_one(inode, &cache, index);
                                result = Err(e.into());
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        index += 1;
        progress.advance(index);
        cond_resched();
    }
    if result.is_err() {
        for &(a, b) in added.iter() {
            for i in a..=b {
                undo_one(inode, &cache, i);
            }
        }
    }
    progress.end();
    result
}

/// Zeroes the cached parts of the byte range `start..end`.
fn zero_range(inode: &Inode, _guard: &InodeGuard<'_>, start: u64, end: u64) {
    cache_of(inode).for_each_locked(start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT, |folio| {
        let pos = folio.index() << PAGE_SHIFT;
        let from = start.saturating_sub(pos).min(folio.size() as u64) as usize;
        let to = (end - pos).min(folio.size() as u64) as usize;
        // Fallocated folios are zeros already.
        if folio.is_uptodate() {
            folio.zero(from, to);
            // A clean copy in swap holds the old bytes: without this,
            // swap-out would drop the zeroed folio and the next read bring
            // the old data back (found by fsx with swap churn; caught by
            // swap: written_copies_are_written_out_again).
            swap_in::written(inode, &folio);
        }
    });
}

/// Removes the page at `index` that [`allocate`] added, unless it is no
/// longer fallocated: a fault made it up to date, and a mapping may have
/// written to it since; that data stays. Swap-out may have taken the page
/// (an unwritten record, the only kind a page this call made can have while
/// still fallocated): then the record goes. A swap-in racing us (a read
/// does not hold `i_rwsem`) inserts its folio before it takes the record,
/// so one of the two looks finds the page.
fn undo_one(inode: &Inode, cache: &PageCache<'_>, index: u64) {
    loop {
        if let Some(folio) = cache.lookup_locked(index) {
            if !folio.is_uptodate() {
                discard_new(inode, cache, folio);
            }
            return;
        }
        if swap_in::drop_unwritten(inode, index) {
            inode::uncharge(inode, 1);
            return;
        }
        if !swap_in::is_unwritten(inode, index) {
            return;
        }
    }
}

/// `file_operations.fallocate`: default, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE.
unsafe extern "C" fn fallocate(file: *mut bindings::file, mode: c_int, offset: i64, len: i64) -> c_long {
    // SAFETY: the VFS passes an open regular file of ours, for the call.
    let file = unsafe { OpenFile::from_raw(file) };
    match do_fallocate(file, mode, offset, len) {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

fn do_fallocate(file: &OpenFile, mode: c_int, offset: i64, len: i64) -> Result {
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) != 0 {
        return Err(EOPNOTSUPP);
    }
    let inode = file.inode();
    // vfs_fallocate() has checked offset >= 0, len > 0, no overflow.
    let (start, end) = (offset as u64, (offset + len) as u64);
    let guard = inode.lock();
    if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        punch(inode, &guard, start, end);
        return file.modified(&guard);
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 {
        inode.newsize_ok(&guard, end)?;
    }
    file.modified(&guard)?;
    // A zero range keeps swap-out away from the file until its pages are
    // zeroed: a page swapped out between `allocate` and `zero_range` would
    // keep its old bytes in swap (found by fsx with swap churn). Swap-out
    // only ever try-locks it (swap/out.rs); faults wait (hole path only).
    let cache = cache_of(inode);
    let _inval = (mode & FALLOC_FL_ZERO_RANGE != 0).then(|| cache.mapping().invalidate_lock());
    // Allocate first: if that fails (ENOSPC), `allocate` has undone its
    // own pages that nobody has used since, and nothing else has changed.
    allocate(inode, &guard, start, end, mode & FALLOC_FL_ZERO_RANGE != 0)?;
    if mode & FALLOC_FL_ZERO_RANGE != 0 {
        // Every page of the range is cached now, and stays (above): zero
        // them in place (shared mappings see the zeros).
        zero_range(inode, &guard, start, end);
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end > inode.size() {
        inode.set_size(&guard, end);
    }
    Ok(())
}

/// `file_operations.llseek`: SEEK_DATA and SEEK_HOLE from the cache (every
/// cached page is data), the rest generic.
unsafe extern "C" fn llseek(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
    // SAFETY: the VFS passes an open regular file of ours, for the call.
    seek(unsafe { OpenFile::from_raw(file) }, offset, whence)
}

fn seek(file: &OpenFile, offset: i64, whence: c_int) -> i64 {
    let whence_u = whence as u32;
    if whence_u != bindings::SEEK_DATA && whence_u != bindings::SEEK_HOLE {
        return file.generic_llseek(offset, whence);
    }
    let inode = file.inode();
    let _guard = inode.lock();
    let size = inode.size();
    if offset < 0 || offset as u64 >= size {
        return ENXIO.to_errno() as i64;
    }
    let off = offset as u64;
    let cache = cache_of(inode);
    let (first, last) = (off >> PAGE_SHIFT, (size - 1) >> PAGE_SHIFT);
    // A page in swap is data too (`i_rwsem` keeps swap-in and truncate
    // from changing which pages are where, except swap-out moving a page
    // from the cache to swap, which leaves it data).
    let pos = if whence_u == bindings::SEEK_DATA {
        let cached = cache.next_present(first, last);
        let swapped = swap_in::next_swapped(inode, first, cached.map_or(last, |c| c.saturating_sub(1)));
        match swapped.or(cached) {
            Some(i) => (i << PAGE_SHIFT).max(off),
            None => return ENXIO.to_errno() as i64,
        }
    } else {
        let mut i = first;
        loop {
            i = cache.next_absent(i, last);
            if i > last || !swap_in::has_swapped(inode) || inode.rpc().swap.load(i).is_none() {
                break;
            }
            i += 1;
        }
        (i << PAGE_SHIFT).max(off).min(size)
    };
    file.set_pos(pos as i64)
}

unsafe extern "C" fn get_unmapped_area(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    // SAFETY: forwarded VFS arguments.
    unsafe { bindings::mm_get_unmapped_area(file, addr, len, pgoff, flags) }
}

/// `rpc_write_begin` is the page-symlink path (helpers.c's `rpc_aops`): long
/// symlink bodies live in the generic page cache of their own inode.
#[no_mangle]
unsafe extern "C" fn rpc_write_begin(
    iocb: *const bindings::kiocb,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    foliop: *mut *mut bindings::folio,
    fsdata: *mut *mut c_void,
) -> c_int {
    // SAFETY: called by `page_symlink()` on a new symlink inode of ours
    // that nobody else can reach yet.
    unsafe {
        let inode = (*mapping).host;
        let info = SbInfo::of((*inode).i_sb);
        let index = (pos >> bindings::PAGE_SHIFT) as c_ulong;
        let new = bindings::xa_load(&raw mut (*mapping).i_pages, index).is_null();
        if new {
            if let Err(e) = info.take_blocks(1) {
                return e.to_errno();
            }
        }
        let ret = bindings::simple_write_begin(iocb, mapping, pos, len, foliop, fsdata);
        if new {
            if ret == 0 {
                InodeSlab::<RpcInode>::data(inode).charged_one();
            } else {
                info.put_blocks(1);
            }
        }
        ret
    }
}

/// `a_ops->read_folio`, for the kernel's `read_mapping_folio()` users
/// (uprobes on a binary stored here, for one): they find no folio, insert
/// one of their own with `filemap_add_folio()` (uncharged, unmarked, not up
/// to date) and ask us to fill it. That is a hole: adopt the folio as a
/// zeroed page of the file, charged like one a fault creates, or, past
/// `size=` or beyond EOF, take it out again and fail
/// (`do_read_cache_folio()` then returns the error). A folio of our own that is not up to date is a
/// fallocated one: zeros already, and now in use.
#[no_mangle]
unsafe extern "C" fn rpc_read_folio(_file: *mut bindings::file, folio: *mut bindings::folio) -> c_int {
    // SAFETY: the page cache code calls `read_folio` with the folio locked
    // and referenced until we return; we unlock it (when `folio` drops).
    let folio = unsafe { LockedFolio::from_lent_locked(folio) };
    // SAFETY: the folio is locked in the mapping of a regular file of ours,
    // so the mapping and its inode are live while we hold it.
    let inode = unsafe { Mapping::from_raw(folio.mapping()) }.host();
    let cache = cache_of(inode);
    if cache.is_ours(&folio) {
        folio.mark_uptodate();
        return 0;
    }
    cache.adopt(&folio);
    // A page in swap: read it into this folio; it keeps its block.
    if swap_in::has_swapped(inode) {
        match swap_in::read_into(inode, &folio, folio.index()) {
            Ok(true) => {
                folio.mark_uptodate();
                folio.mark_dirty();
                return 0;
            }
            Ok(false) => {}
            Err(e) => {
                cache.remove(folio);
                return e.to_errno();
            }
        }
    }
    // Beyond EOF there is no page to read (`shmem_read_folio()` says EINVAL
    // too); a truncate that lowers `i_size` after this check removes the
    // folio as any other, once we unlock it.
    let res = if folio.index() >= inode.size().div_ceil(PAGE_SIZE) {
        Err(EINVAL)
    } else {
        inode::charge(inode, 1)
    };
    if let Err(e) = res {
        cache.remove(folio);
        return e.to_errno();
    }
    folio.zero(0, folio.size());
    folio.mark_uptodate();
    folio.mark_dirty();
    0
}

pub(crate) static FILE_OPS: OpsTable<bindings::file_operations> = OpsTable(bindings::file_operations {
    open: Some(ffi::rpc_file_open),
    read_iter: Some(read_iter),
    write_iter: Some(write_iter),
    mmap_prepare: Some(mmap::mmap_prepare),
    fsync: Some(bindings::noop_fsync),
    fallocate: Some(fallocate),
    splice_read: Some(bindings::copy_splice_read),
    splice_write: Some(bindings::iter_file_splice_write),
    llseek: Some(llseek),
    get_unmapped_area: Some(get_unmapped_area),
    // Leases as tmpfs's (generic_setlease()).
    setlease: Some(ffi::rpc_file_setlease),
    // SAFETY: all-zero is a valid `file_operations` (no owner, no callbacks).
    ..unsafe { core::mem::zeroed() }
});

pub(crate) static INODE_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    setattr: Some(setattr),
    // st_blocks counts swapped pages too.
    getattr: Some(inode::getattr),
    listxattr: xattr::LISTXATTR,
    set_acl: xattr::SET_ACL,
    fileattr_get: fileattr::GET,
    fileattr_set: fileattr::SET,
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});
