// SPDX-License-Identifier: GPL-2.0

//! `mmap` of regular files: the module's own fault handler over its
//! lockless lookup.
//!
//! # Seed 004: a fault racing truncate, hole punch or invalidation
//!
//! [`fault`] finds the folio with the lockless lookup, then locks it and
//! re-checks, under the folio lock, that it is still in this mapping and
//! inside `i_size` before returning it locked (`VM_FAULT_LOCKED`). A
//! truncate or punch (file.rs) works in this order: take the mapping's
//! `invalidate_lock` exclusively, set `i_size` (truncate), `unmap_mapping_range`,
//! then lock each folio and remove it ([`PageCache::remove`] clears
//! `folio->mapping` and unmaps the folio again if a fault mapped it in
//! between), and `unmap_mapping_range` once more. Against that, a fault
//! either
//! - locks the folio before the remover does: the remover waits for the
//!   fault's PTE to be installed (`finish_fault` runs before the folio is
//!   unlocked) and then unmaps it; or
//! - locks it after it left the file: it sees `mapping` cleared (or
//!   `i_size` below it), drops it and looks again, finding the hole or a
//!   new folio (counted as `fault_retries` in the statistics).
//!
//! Without the re-check, the second case maps a folio that no longer
//! belongs to the file: after `truncate` has returned, a process still
//! reads the old data, and after the file is extended again its writes
//! vanish and its reads are not the zeros everyone else sees — the bug the
//! 2006 thread closes. `fault_delay_us` (stats.rs) widens the window between
//! lookup and lock so the selftest (`mmap: fault_vs_truncate_punch_extend`)
//! hits it every run.
//!
//! A fault on a hole creates the folio with `invalidate_lock` held shared,
//! so it cannot insert into a range that a punch or truncate, holding it
//! exclusively, is emptying; `i_size` is checked again under it. A "hole"
//! whose page is in swap is swapped in under the same lock
//! (swap/swap_in.rs); a failed read gives SIGBUS.
//!
//! Fault-around (`map_pages`) is `filemap_map_pages()`: it maps the folios
//! around a read fault that are already cached, with the same protocol
//! (speculative reference, XArray re-check, folio trylock, then `mapping`
//! and `i_size` checks under the lock), and never creates one.
//!
//! # Dirtying without `page_mkwrite`
//!
//! Every folio of this filesystem is dirty from its insertion until it
//! leaves the cache (see page_cache.rs: nothing cleans it), so there is no
//! clean→dirty transition to be told about. As in shmem there is therefore
//! no `page_mkwrite`: shared mappings are writable from the first write
//! fault, the fault code itself calls `folio_mark_dirty()` (a no-op here)
//! and `file_update_time()`. It also matters for pinning: a
//! `page_mkwrite` would make every shared writable mapping need dirty
//! tracking, and GUP refuses long-term pins (`FOLL_LONGTERM`: io_uring
//! fixed buffers, RDMA, vfio) of such mappings with EFAULT.
//!
//! # Locks
//!
//! Fault: `mmap_lock` (or the VMA lock) → `invalidate_lock` (shared, holes
//! only) → folio lock. Truncate/punch: `i_rwsem` → `invalidate_lock`
//! (exclusive) → folio lock → `i_mmap_rwsem` (`unmap_mapping_range` of a
//! folio mapped again, the order of mm/rmap.c). Write: `i_rwsem` → folio
//! lock, copying with page faults disabled, so a write whose source is a
//! mapping of the same file cannot invert `mmap_lock` and the folio lock.
//!
//! Folios created by a fault are charged, zeroed, up to date and dirty, like
//! those written by `write(2)` (see page_cache.rs: reclaim never drops one).
//!
//! The folio lock is taken uninterruptibly here, as shmem's fault does: a
//! fault can only give up by returning `VM_FAULT_RETRY` with `mmap_lock`
//! dropped, which this handler does not do. The system calls (read, write,
//! fallocate) wait killably.

use crate::cache::page_cache::PageCache;
use crate::cache::replace;
use crate::fs::file::{self, cache_of};
use crate::glue::ffi::{self, OpsTable};
use crate::glue::folio::LockedFolio;
use crate::glue::vfs::Inode;
use crate::swap::swap_in::{self, Gfp};
use kernel::bindings;
use kernel::prelude::*;

type VmFault = bindings::vm_fault_t;

const SIGBUS: VmFault = bindings::vm_fault_reason_VM_FAULT_SIGBUS as VmFault;
const OOM: VmFault = bindings::vm_fault_reason_VM_FAULT_OOM as VmFault;
const LOCKED: VmFault = bindings::vm_fault_reason_VM_FAULT_LOCKED as VmFault;

/// Whether page `index` lies at or beyond EOF.
fn beyond_eof(inode: &Inode, index: u64) -> bool {
    index >= inode.size().div_ceil(bindings::PAGE_SIZE as u64)
}

/// `vm_operations_struct.fault`.
unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> VmFault {
    // The VMA holds the file (and so the inode) open until the fault returns.
    // SAFETY: the fault code passes a live `vm_fault` of a VMA mapping one
    // of our regular files.
    let (inode, index) = unsafe { (Inode::of_file(ffi::rpc_vmf_file(vmf)), ffi::rpc_vmf_pgoff(vmf) as u64) };
    match fault_locked(inode, index) {
        Ok(folio) => {
            // SAFETY: `vmf` is live; the page belongs to the folio whose
            // lock and reference we hand over with VM_FAULT_LOCKED.
            unsafe { (*vmf).page = folio.page_at(index) };
            folio.into_raw_locked();
            LOCKED
        }
        Err(code) => code,
    }
}

/// The fault itself: the folio of page `index`, locked, still the file's
/// and inside `i_size`, or the fault code to return.
fn fault_locked(inode: &Inode, index: u64) -> core::result::Result<LockedFolio, VmFault> {
    match get_locked(inode, index, Gfp::Normal) {
        Ok(folio) => Ok(folio),
        Err(e) if e == ENOMEM => Err(OOM),
        // Beyond EOF (EINVAL), past size= (ENOSPC), a failed swap-in (EIO).
        Err(_) => Err(SIGBUS),
    }
}

/// The folio of page `index`, locked, still the file's and inside
/// `i_size`: found, brought back from swap, or made (a hole: zeros, up to
/// date). What a fault does, and what a driver asks for with a gfp of its
/// own (`Gfp::Exactly`, fs/driver_api.rs): then a folio found in a zone
/// that gfp forbids is replaced first (cache/replace.rs, seed 003).
/// `EINVAL` at or beyond EOF, `ENOSPC` past `size=`, `ENOMEM`, `EIO`, and
/// `EBUSY` for a pinned folio that would need replacing.
pub(crate) fn get_locked(inode: &Inode, index: u64, gfp: Gfp) -> Result<LockedFolio> {
    let cache = cache_of(inode);
    loop {
        let folio = find_locked(inode, &cache, index, gfp)?;
        let Gfp::Exactly(gfp) = gfp else {
            return Ok(made_data(folio));
        };
        if replace::zone_allowed(&folio, gfp) {
            return Ok(made_data(folio));
        }
        // Seed 003: a driver's folio must sit where its device can reach
        // it. A replacement puts a folio into the file, which a truncate or
        // punch emptying the range (holding `invalidate_lock` exclusively)
        // would not see again: so it is made under `invalidate_lock` shared,
        // as every insertion outside `i_rwsem` is, and that lock comes
        // before the folio lock. Look again under it (to_allowed_zone checks
        // the zone again: what it finds may be another caller's copy).
        drop(folio);
        let inval = cache.mapping().invalidate_lock_shared();
        let Some(folio) = cache.lookup_locked(index) else {
            // Gone meanwhile (swapped out, or truncated): start again.
            continue;
        };
        if beyond_eof(inode, index) {
            return Err(EINVAL);
        }
        return Ok(made_data(replace::to_allowed_zone(&cache, folio, gfp, &inval)?));
    }
}

/// Fallocated and never written (file.rs): zeroed when it was made; the
/// first fault makes it data, under the folio lock, so a failing
/// fallocate's undo (which removes only folios still fallocated) keeps
/// whatever this mapping writes into it (review defect 1).
fn made_data(folio: LockedFolio) -> LockedFolio {
    if !folio.is_uptodate() {
        folio.mark_uptodate();
    }
    folio
}

/// [`get_locked`] without the replacement: the folio found, swapped in or
/// made, locked, still the file's and inside `i_size`.
fn find_locked(inode: &Inode, cache: &PageCache<'_>, index: u64, gfp: Gfp) -> Result<LockedFolio> {
    let folio = loop {
        if beyond_eof(inode, index) {
            return Err(EINVAL);
        }
        if let Some(folio) = cache.lookup(index) {
            cache.stats().fault_window();
            let folio = folio.lock();
            // Seed 004: removed between the lookup and the lock? Then it
            // must not be mapped: look again.
            if folio.mapping() == cache.mapping().as_raw() {
                swap_in::used(inode, cache, &folio);
                break folio;
            }
            cache.stats().fault_retried();
            continue;
        }
        // A hole: create the page, excluding truncate and punch.
        // No folio lock held here (lock order).
        let inval = cache.mapping().invalidate_lock_shared();
        if beyond_eof(inode, index) {
            return Err(EINVAL);
        }
        // A page in swap comes back (a failed read is SIGBUS, as for
        // shmem); a hole gets a zeroed page, data from now on.
        match file::swap_in_or_create(inode, cache, index, true, gfp, &inval)? {
            Some((folio, false)) => break folio,
            Some((folio, true)) => {
                folio.mark_uptodate();
                folio.mark_dirty();
                break folio;
            }
            None => continue,
        }
    };
    // Seed 004, the size half of the re-check: a truncate that set `i_size`
    // below this page before we locked it will remove it once we unlock.
    if beyond_eof(inode, index) {
        return Err(EINVAL);
    }
    Ok(folio)
}

static VM_OPS: OpsTable<bindings::vm_operations_struct> = OpsTable(bindings::vm_operations_struct {
    fault: Some(fault),
    map_pages: Some(bindings::filemap_map_pages),
    // SAFETY: all-zero is a valid `vm_operations_struct`.
    ..unsafe { core::mem::zeroed() }
});

/// `file_operations.mmap_prepare`.
pub(crate) unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
    // SAFETY: the mmap code passes a live descriptor of one of our files.
    unsafe {
        ffi::rpc_file_accessed((*desc).file);
        (*desc).vm_ops = VM_OPS.as_ptr();
    }
    0
}
