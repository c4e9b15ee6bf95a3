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

use crate::glue::ffi::{self, OpsTable};
use crate::cache::folio::LockedFolio;
use crate::fs::inode::{self, RpcInode};
use crate::fs::mmap;
use crate::cache::page_cache::{Batch, PageCache, BATCH, MAX_INDEX};
use crate::fs::super_block::SbInfo;
use kernel::bindings;
use kernel::prelude::*;

const PAGE_SIZE: u64 = bindings::PAGE_SIZE as u64;
const PAGE_SHIFT: u32 = bindings::PAGE_SHIFT;

// include/uapi/linux/falloc.h
const FALLOC_FL_KEEP_SIZE: c_int = 0x01;
const FALLOC_FL_PUNCH_HOLE: c_int = 0x02;
const FALLOC_FL_ZERO_RANGE: c_int = 0x10;

/// The page cache of a regular file of this filesystem.
///
/// # Safety
///
/// `inode` is a live regular-file inode of this filesystem; the result is
/// used only while the caller keeps it live.
pub(crate) unsafe fn cache_of<'a>(inode: *mut bindings::inode) -> PageCache<'a> {
    // SAFETY: function contract; the superblock outlives its inodes.
    unsafe { PageCache::new((*inode).i_mapping, SbInfo::of((*inode).i_sb).stats()) }
}

fn i_size(inode: *mut bindings::inode) -> u64 {
    // SAFETY: callers pass a live inode; `i_size_read` is safe unlocked.
    unsafe { ffi::rpc_i_size_read(inode) as u64 }
}

fn set_i_size(inode: *mut bindings::inode, size: u64) {
    // SAFETY: callers hold `i_rwsem`, which serialises `i_size` writers.
    unsafe { ffi::rpc_i_size_write(inode, size as i64) }
}

/// Holds a mapping's `invalidate_lock` for the guard's lifetime.
pub(crate) struct InvalidateLock {
    mapping: *mut bindings::address_space,
    exclusive: bool,
}

impl InvalidateLock {
    /// # Safety
    ///
    /// `mapping` stays valid while the guard lives; the lock order of
    /// page_cache.rs is respected (no folio lock held).
    pub(crate) unsafe fn new(mapping: *mut bindings::address_space, exclusive: bool) -> Self {
        // SAFETY: function contract.
        unsafe { ffi::rpc_invalidate_lock(mapping, exclusive) };
        InvalidateLock { mapping, exclusive }
    }
}

impl Drop for InvalidateLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new` in the same mode.
        unsafe { ffi::rpc_invalidate_unlock(self.mapping, self.exclusive) }
    }
}

/// Holds an inode's `i_rwsem` (exclusive) for the guard's lifetime.
struct InodeLock(*mut bindings::inode);

impl InodeLock {
    fn lock(inode: *mut bindings::inode) -> Self {
        // SAFETY: callers pass a live inode of an open file; may sleep.
        unsafe { ffi::rpc_inode_lock(inode) };
        InodeLock(inode)
    }

    fn try_lock(inode: *mut bindings::inode) -> Option<Self> {
        // SAFETY: as for `lock`.
        unsafe { ffi::rpc_inode_trylock(inode) }.then_some(InodeLock(inode))
    }
}

impl Drop for InodeLock {
    fn drop(&mut self) {
        // SAFETY: locked in `lock` / `try_lock`.
        unsafe { ffi::rpc_inode_unlock(self.0) }
    }
}

fn fatal_signal() -> bool {
    // SAFETY: reads the current task's signal state.
    unsafe { ffi::rpc_fatal_signal_pending() }
}

/// `file_inode()`: the inode an open file refers to (fixed at open).
///
/// # Safety
///
/// `file` is an open file.
pub(crate) unsafe fn file_inode(file: *const bindings::file) -> *mut bindings::inode {
    // SAFETY: function contract; `f_inode` never changes while it is open.
    unsafe { (*file).f_inode }
}

fn iter_count(iter: *const bindings::iov_iter) -> u64 {
    // SAFETY: callers pass the VFS's live iov_iter.
    unsafe { ffi::rpc_iov_iter_count(iter) as u64 }
}

/// `file_operations.read_iter`: lockless.
///
/// Costs per call are kept to what the copy needs: the folios of a batch
/// come from one RCU walk, `i_size` is read once per batch, the
/// destination's length is read once and then counted down, `IOCB_NOWAIT`
/// and fatal signals are looked at only when the read would wait or go
/// round again.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: VFS arguments: a live kiocb of an open file of ours.
    let (file, start) = unsafe { ((*iocb).ki_filp, (*iocb).ki_pos) };
    // SAFETY: the file is open.
    let inode = unsafe { file_inode(file) };
    // SAFETY: a regular file of ours, live while the read runs.
    let cache = unsafe { cache_of(inode) };
    if start < 0 {
        return EINVAL.to_errno() as isize;
    }
    let mut pos = start as u64;
    let mut left = iter_count(to);
    let mut err: Option<Error> = None;
    'outer: while left > 0 {
        let first = pos >> PAGE_SHIFT;
        let last = ((pos.saturating_add(left) - 1) >> PAGE_SHIFT).min(first + BATCH as u64 - 1);
        let mut batch = Batch::new();
        cache.lookup_batch(first, last, &mut batch);
        // i_size is read after the folios to copy from are known to be up
        // to date (as filemap_read): a truncate that shrank the file before
        // they were found must not leak the old tail. One read covers the
        // batch up to its first folio still being filled; a lookup past
        // EOF finds nothing and costs one search.
        let ready = (0..).take_while(|&i| batch.get(i).is_some_and(|f| f.is_uptodate())).count();
        let size = i_size(inode);
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
                    // SAFETY: reads the iocb's flags.
                    if unsafe { ffi::rpc_iocb_nowait(iocb) } {
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
                            // SAFETY: `to` is the VFS's destination iterator.
                            unsafe { bindings::iov_iter_zero(want, to) }
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
                    // SAFETY: `to` is the VFS's destination iterator; the
                    // folio is up to date; offset + want is within it.
                    unsafe { folio.copy_to_iter(offset, want, to) }
                }
                // A hole: zeros, nothing allocated.
                // SAFETY: `to` is the VFS's destination iterator.
                None => unsafe { bindings::iov_iter_zero(want, to) },
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
        if left > 0 && fatal_signal() {
            err = Some(EINTR);
            break;
        }
    }
    // SAFETY: the read is done; the iocb and file are live.
    unsafe {
        (*iocb).ki_pos = pos as i64;
        ffi::rpc_file_accessed(file);
    }
    match err {
        Some(e) if pos == start as u64 => e.to_errno() as isize,
        _ => (pos - start as u64) as isize,
    }
}

/// Finds the folio at `index` or creates it, charged: locked, and `true`
/// if it is new (not up to date, contents undefined). `EINTR` if a fatal
/// signal comes while it waits for the folio lock.
///
/// # Safety
///
/// `inode` is a live regular file of ours whose `i_rwsem` the caller holds.
unsafe fn get_or_create(inode: *mut bindings::inode, cache: &PageCache<'_>, index: u64, zeroed: bool) -> Result<(LockedFolio, bool)> {
    loop {
        if let Some(folio) = cache.lookup_locked_killable(index)? {
            return Ok((folio, false));
        }
        // SAFETY: function contract.
        unsafe { inode::charge(inode, 1)? };
        match cache.insert(index, zeroed) {
            Ok(folio) => return Ok((folio, true)),
            Err(e) => {
                // SAFETY: charged just above.
                unsafe { inode::uncharge(inode, 1) };
                // EEXIST: a fault created it meanwhile; take that one.
                if e != EEXIST {
                    return Err(e);
                }
            }
        }
    }
}

/// Removes a folio this call created but could not fill.
///
/// # Safety
///
/// As for [`get_or_create`].
unsafe fn discard_new(inode: *mut bindings::inode, cache: &PageCache<'_>, folio: LockedFolio) {
    let removed = cache.remove(folio);
    // SAFETY: function contract; the pages were charged by `get_or_create`.
    unsafe { inode::uncharge(inode, removed as u64) };
}

/// Copies `from` into the file at `pos`; returns bytes written.
///
/// As `generic_perform_write()`: the copy into the locked folio runs with
/// page faults disabled (the source may be a mapping of this very folio),
/// so the source is faulted in only after a copy came back empty, with no
/// folio locked, and the page is tried again.
///
/// # Safety
///
/// `inode` is a live regular file of ours whose `i_rwsem` the caller
/// holds; `from` is the VFS's source iterator.
unsafe fn perform_write(inode: *mut bindings::inode, from: *mut bindings::iov_iter, mut pos: u64) -> (u64, Option<Error>) {
    // SAFETY: function contract.
    let cache = unsafe { cache_of(inode) };
    let start = pos;
    let mut left = iter_count(from);
    while left > 0 {
        let index = pos >> PAGE_SHIFT;
        let offset = (pos & (PAGE_SIZE - 1)) as usize;
        let bytes = (PAGE_SIZE as usize - offset).min(left as usize);
        if fatal_signal() {
            return (pos - start, Some(EINTR));
        }
        // SAFETY: function contract.
        let (folio, new) = match unsafe { get_or_create(inode, &cache, index, false) } {
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
        // SAFETY: `from` per the contract; the folio is locked.
        let copied = unsafe { folio.copy_from_iter_atomic(offset, bytes, from) };
        if copied == 0 {
            // The source is not resident (or not readable): give back a
            // folio made for nothing, unlock, fault it in, try again.
            if new {
                // SAFETY: function contract.
                unsafe { discard_new(inode, &cache, folio) };
            } else {
                drop(folio);
            }
            // SAFETY: `from` per the contract; no folio locked.
            if unsafe { bindings::fault_in_iov_iter_readable(from, bytes) } == bytes {
                return (pos - start, Some(EFAULT));
            }
            continue;
        }
        if fresh {
            folio.zero(offset + copied, offset + bytes);
            folio.mark_uptodate();
        }
        folio.mark_dirty();
        folio.mark_accessed();
        pos += copied as u64;
        left -= copied as u64;
        if pos > i_size(inode) {
            set_i_size(inode, pos);
        }
        drop(folio);
        // SAFETY: process context, no locks but `i_rwsem`.
        unsafe { ffi::rpc_cond_resched() };
    }
    (pos - start, None)
}

/// `file_operations.write_iter`.
unsafe extern "C" fn write_iter(iocb: *mut bindings::kiocb, from: *mut bindings::iov_iter) -> isize {
    // SAFETY: VFS arguments: a live kiocb of an open file of ours.
    let file = unsafe { (*iocb).ki_filp };
    // SAFETY: the file is open.
    let inode = unsafe { file_inode(file) };
    // SAFETY: reads the iocb's flags.
    let _guard = if unsafe { ffi::rpc_iocb_nowait(iocb) } {
        match InodeLock::try_lock(inode) {
            Some(g) => g,
            None => return EAGAIN.to_errno() as isize,
        }
    } else {
        InodeLock::lock(inode)
    };
    // Limits, O_APPEND (moves ki_pos to EOF), RLIMIT_FSIZE.
    // SAFETY: VFS arguments, `i_rwsem` held.
    let ret = unsafe { bindings::generic_write_checks(iocb, from) };
    if ret <= 0 {
        return ret;
    }
    // Strip setuid, update mtime/ctime.
    // SAFETY: as above.
    let ret = unsafe { bindings::kiocb_modified(iocb) };
    if ret != 0 {
        return ret as isize;
    }
    // SAFETY: as above.
    let pos = unsafe { (*iocb).ki_pos } as u64;
    // SAFETY: a regular file of ours, `i_rwsem` held.
    let (written, err) = unsafe { perform_write(inode, from, pos) };
    // SAFETY: the iocb is live.
    unsafe { (*iocb).ki_pos = (pos + written) as i64 };
    match err {
        Some(e) if written == 0 => e.to_errno() as isize,
        _ => written as isize,
    }
}

/// Zeroes bytes `from..to` (within one page) of the folio at `index`, if
/// it is cached.
fn zero_in_page(cache: &PageCache<'_>, index: u64, from: usize, to: usize) {
    if from >= to {
        return;
    }
    if let Some(folio) = cache.lookup_locked(index) {
        // Poisoned memory is not touched; the page stays unreadable.
        if !folio.is_hwpoison() {
            folio.zero(from, to);
        }
    }
}

/// Punches the byte range `start..end` out of the file: whole pages leave
/// the cache, partial pages are zeroed.
///
/// # Safety
///
/// `inode` is a live regular file of ours whose `i_rwsem` the caller holds.
unsafe fn punch(inode: *mut bindings::inode, start: u64, end: u64) {
    if start >= end {
        return;
    }
    // SAFETY: function contract.
    let cache = unsafe { cache_of(inode) };
    // SAFETY: the mapping lives as long as the inode; no folio lock held.
    let _inval = unsafe { InvalidateLock::new(cache.mapping(), true) };
    let first_full = start.div_ceil(PAGE_SIZE);
    let end_full = end >> PAGE_SHIFT; // exclusive
    let (sp, so) = (start >> PAGE_SHIFT, (start & (PAGE_SIZE - 1)) as usize);
    let (ep, eo) = (end >> PAGE_SHIFT, (end & (PAGE_SIZE - 1)) as usize);
    if sp == ep {
        zero_in_page(&cache, sp, so, eo);
    } else {
        if so != 0 {
            zero_in_page(&cache, sp, so, PAGE_SIZE as usize);
        }
        if eo != 0 {
            zero_in_page(&cache, ep, 0, eo);
        }
    }
    if first_full < end_full {
        let (from, len) = ((first_full << PAGE_SHIFT) as i64, ((end_full - first_full) << PAGE_SHIFT) as i64);
        // Private COW copies stay (as for tmpfs's punch); the file's pages go.
        // SAFETY: the mapping is valid.
        unsafe { bindings::unmap_mapping_range(cache.mapping(), from, len, 0) };
        let removed = cache.truncate_range(first_full, end_full - 1);
        // SAFETY: function contract; those pages were charged.
        unsafe { inode::uncharge(inode, removed) };
    }
}

/// Changes the size of a regular file (`setattr` with `ATTR_SIZE`).
///
/// # Safety
///
/// `inode` is a live regular file of ours whose `i_rwsem` the caller holds.
unsafe fn truncate(inode: *mut bindings::inode, new: u64) {
    let old = i_size(inode);
    // SAFETY: function contract.
    let cache = unsafe { cache_of(inode) };
    // SAFETY: as above; no folio lock held.
    let _inval = unsafe { InvalidateLock::new(cache.mapping(), true) };
    if new >= old {
        // Bytes past the old EOF in its last page may hold what a shared
        // mapping wrote beyond EOF: they must read as zeros now.
        let o = (old & (PAGE_SIZE - 1)) as usize;
        if o != 0 {
            let end = (((old >> PAGE_SHIFT) + 1) << PAGE_SHIFT).min(new);
            zero_in_page(&cache, old >> PAGE_SHIFT, o, (end - ((old >> PAGE_SHIFT) << PAGE_SHIFT)) as usize);
        }
        set_i_size(inode, new);
        return;
    }
    // New size first: faults beyond it now fail with SIGBUS (mmap.rs
    // checks i_size under the folio lock), so nothing maps what goes next.
    set_i_size(inode, new);
    let holebegin = new.div_ceil(PAGE_SIZE) << PAGE_SHIFT;
    // SAFETY: the mapping is valid. even_cows: private copies of pages
    // beyond EOF go too (SIGBUS semantics).
    unsafe { bindings::unmap_mapping_range(cache.mapping(), holebegin as i64, 0, 1) };
    let o = (new & (PAGE_SIZE - 1)) as usize;
    if o != 0 {
        zero_in_page(&cache, new >> PAGE_SHIFT, o, PAGE_SIZE as usize);
    }
    let removed = cache.truncate_range(holebegin >> PAGE_SHIFT, MAX_INDEX);
    // A private COW fault that raced the first unmap (as truncate_pagecache).
    // SAFETY: as above.
    unsafe { bindings::unmap_mapping_range(cache.mapping(), holebegin as i64, 0, 1) };
    // SAFETY: function contract; those pages were charged.
    unsafe { inode::uncharge(inode, removed) };
}

/// Drops all data of an inode being evicted and gives its blocks back.
///
/// # Safety
///
/// `inode` is a regular file of ours being evicted (nobody else uses it).
pub(crate) unsafe fn evict_data(inode: *mut bindings::inode) {
    // SAFETY: function contract.
    let cache = unsafe { cache_of(inode) };
    let removed = cache.truncate_range(0, MAX_INDEX);
    // SAFETY: function contract; those pages were charged.
    unsafe { inode::uncharge(inode, removed) };
}

/// `inode_operations.setattr` of regular files.
unsafe extern "C" fn setattr(idmap: *mut bindings::mnt_idmap, dentry: *mut bindings::dentry, attr: *mut bindings::iattr) -> c_int {
    // SAFETY: VFS callback arguments, `i_rwsem` held.
    unsafe {
        let inode = (*dentry).d_inode;
        let ret = bindings::setattr_prepare(idmap, dentry, attr);
        if ret != 0 {
            return ret;
        }
        if (*attr).ia_valid & bindings::ATTR_SIZE != 0 {
            let new = (*attr).ia_size as u64;
            if new != i_size(inode) {
                truncate(inode, new);
                // As tmpfs: a size change updates mtime and ctime.
                ffi::rpc_dir_touch(inode);
            }
        }
        bindings::setattr_copy(idmap, inode, attr);
        0
    }
}

/// Allocates the pages of `start..end` that are not cached yet: zeroed,
/// charged, dirty and *fallocated* (not up to date; see the top of this
/// file). On failure the pages this call added are removed again unless a
/// fault has made one up to date meanwhile (a mapping may have written it),
/// so the file is as before except for what others wrote, which is kept
/// (`shmem_fallocate()` undoes the same way, `unfalloc` in
/// `shmem_undo_range()`).
///
/// # Safety
///
/// `inode` is a live regular file of ours whose `i_rwsem` the caller holds.
unsafe fn allocate(inode: *mut bindings::inode, start: u64, end: u64) -> Result {
    // SAFETY: function contract.
    let cache = unsafe { cache_of(inode) };
    let (first, last) = (start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT);
    // Runs of indices this call added, for the undo.
    let mut added: KVec<(u64, u64)> = KVec::new();
    let mut result = Ok(());
    let mut index = first;
    while index <= last {
        if fatal_signal() {
            result = Err(EINTR);
            break;
        }
        // SAFETY: function contract.
        match unsafe { get_or_create(inode, &cache, index, true) } {
            Ok((folio, new)) => {
                if new {
                    folio.mark_dirty();
                    match added.last_mut() {
                        Some(run) if run.1 + 1 == index => run.1 = index,
                        _ => {
                            if let Err(e) = added.push((index, index), GFP_KERNEL) {
                                drop(folio);
                                // Keep the bookkeeping exact: undo this one now.
                                // SAFETY: function contract.
                                unsafe { undo_one(inode, &cache, index) };
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
        // SAFETY: process context.
        unsafe { ffi::rpc_cond_resched() };
    }
    if result.is_err() {
        for &(a, b) in added.iter() {
            for i in a..=b {
                // SAFETY: function contract.
                unsafe { undo_one(inode, &cache, i) };
            }
        }
    }
    result
}

/// Zeroes the cached parts of the byte range `start..end`.
///
/// # Safety
///
/// As for [`allocate`].
unsafe fn zero_range(inode: *mut bindings::inode, start: u64, end: u64) {
    // SAFETY: function contract.
    let cache = unsafe { cache_of(inode) };
    cache.for_each_locked(start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT, |folio| {
        let pos = folio.index() << PAGE_SHIFT;
        let from = start.saturating_sub(pos).min(folio.size() as u64) as usize;
        let to = (end - pos).min(folio.size() as u64) as usize;
        // Fallocated folios are zeros already; poisoned memory is not touched.
        if folio.is_uptodate() && !folio.is_hwpoison() {
            folio.zero(from, to);
        }
    });
}

/// Removes the folio at `index` that [`allocate`] added, unless it is no
/// longer fallocated: a fault made it up to date, and a mapping may have
/// written to it since; that data stays.
///
/// # Safety
///
/// As for [`allocate`].
unsafe fn undo_one(inode: *mut bindings::inode, cache: &PageCache<'_>, index: u64) {
    if let Some(folio) = cache.lookup_locked(index) {
        if !folio.is_uptodate() {
            // SAFETY: function contract.
            unsafe { discard_new(inode, cache, folio) };
        }
    }
}

/// `file_operations.fallocate`: default, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE.
unsafe extern "C" fn fallocate(file: *mut bindings::file, mode: c_int, offset: i64, len: i64) -> c_long {
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) != 0 {
        return EOPNOTSUPP.to_errno() as c_long;
    }
    // SAFETY: the file is open.
    let inode = unsafe { file_inode(file) };
    // vfs_fallocate() has checked offset >= 0, len > 0, no overflow.
    let (start, end) = (offset as u64, (offset + len) as u64);
    let _guard = InodeLock::lock(inode);
    if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        // SAFETY: a regular file of ours, `i_rwsem` held.
        unsafe {
            punch(inode, start, end);
            return bindings::file_modified(file) as c_long;
        }
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 {
        // SAFETY: live inode, `i_rwsem` held.
        let ret = unsafe { bindings::inode_newsize_ok(inode, end as i64) };
        if ret != 0 {
            return ret as c_long;
        }
    }
    // SAFETY: as above.
    let ret = unsafe { bindings::file_modified(file) };
    if ret != 0 {
        return ret as c_long;
    }
    // Allocate first: if that fails (ENOSPC), `allocate` has undone its
    // own pages that nobody has used since, and nothing else has changed.
    // SAFETY: as above.
    if let Err(e) = unsafe { allocate(inode, start, end) } {
        return e.to_errno() as c_long;
    }
    if mode & FALLOC_FL_ZERO_RANGE != 0 {
        // Every page of the range is cached now: zero them in place (shared
        // mappings see the zeros; nothing leaves the cache).
        // SAFETY: as above.
        unsafe { zero_range(inode, start, end) };
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end > i_size(inode) {
        set_i_size(inode, end);
    }
    0
}

/// `file_operations.llseek`: SEEK_DATA and SEEK_HOLE from the cache (every
/// cached page is data), the rest generic.
unsafe extern "C" fn llseek(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
    let whence_u = whence as u32;
    // SAFETY: the file is open.
    let inode = unsafe { file_inode(file) };
    if whence_u != bindings::SEEK_DATA && whence_u != bindings::SEEK_HOLE {
        // SAFETY: VFS arguments.
        return unsafe { bindings::generic_file_llseek_size(file, offset, whence, i64::MAX, i_size(inode) as i64) };
    }
    let _guard = InodeLock::lock(inode);
    let size = i_size(inode);
    if offset < 0 || offset as u64 >= size {
        return ENXIO.to_errno() as i64;
    }
    let off = offset as u64;
    // SAFETY: a regular file of ours, `i_rwsem` held.
    let cache = unsafe { cache_of(inode) };
    let (first, last) = (off >> PAGE_SHIFT, (size - 1) >> PAGE_SHIFT);
    let pos = if whence_u == bindings::SEEK_DATA {
        match cache.next_present(first, last) {
            Some(i) => (i << PAGE_SHIFT).max(off),
            None => return ENXIO.to_errno() as i64,
        }
    } else {
        ((cache.next_absent(first, last)) << PAGE_SHIFT).max(off).min(size)
    };
    // SAFETY: the file is open; lseek(2) holds its `f_pos_lock`.
    unsafe { bindings::vfs_setpos(file, pos as i64, i64::MAX) }
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
                RpcInode::from_vfs(inode).charged_one();
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
    // so the mapping and its inode are live.
    let (inode, cache) = unsafe {
        let inode = (*folio.mapping()).host;
        (inode, cache_of(inode))
    };
    if cache.is_ours(&folio) {
        folio.mark_uptodate();
        return 0;
    }
    cache.adopt(&folio);
    // Beyond EOF there is no page to read (`shmem_read_folio()` says EINVAL
    // too); a truncate that lowers `i_size` after this check removes the
    // folio as any other, once we unlock it.
    let res = if folio.index() >= i_size(inode).div_ceil(PAGE_SIZE) {
        Err(EINVAL)
    } else {
        // SAFETY: a live regular file of ours.
        unsafe { inode::charge(inode, 1) }
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
    // SAFETY: all-zero is a valid `file_operations` (no owner, no callbacks).
    ..unsafe { core::mem::zeroed() }
});

pub(crate) static INODE_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    setattr: Some(setattr),
    getattr: Some(bindings::simple_getattr),
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});
