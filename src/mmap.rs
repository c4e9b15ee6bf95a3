// SPDX-License-Identifier: GPL-2.0

//! `mmap` of regular files: the module's own fault handler over its
//! lockless lookup.
//!
//! [`fault`] returns the folio locked (`VM_FAULT_LOCKED`) after checking,
//! under the folio lock, that it is still in this mapping and inside
//! `i_size`. That is the check seed 004 is about: a truncate or hole punch
//! sets `i_size` / takes the mapping's `invalidate_lock` exclusively, then
//! locks each folio it removes; a fault that found the folio before the
//! removal either sees it gone (its `mapping` is cleared, look again) or
//! maps it before the truncate's lock, and the truncate then unmaps it
//! again. A fault on a hole creates the folio with `invalidate_lock` held
//! shared, so it cannot insert into a range a punch is emptying.
//!
//! Lock order: `mmap_lock` → `invalidate_lock` (shared) → folio lock.
//! Truncate: `i_rwsem` → `invalidate_lock` → folio lock → `i_mmap_rwsem`
//! (`unmap_mapping_range` on a folio mapped again, the order of
//! mm/rmap.c). Write: `i_rwsem` → folio lock, copying with page faults
//! disabled, so a write whose source is a mapping of the same file cannot
//! invert `mmap_lock` and the folio lock.
//!
//! Folios created by a fault are charged, zeroed, up to date and dirty, like
//! those written by `write(2)` (see page_cache.rs: reclaim never drops one).

use crate::ffi::{self, OpsTable};
use crate::file::{cache_of, InvalidateLock};
use crate::folio::Folio;
use crate::inode;
use kernel::bindings;
use kernel::prelude::*;

type VmFault = bindings::vm_fault_t;

const SIGBUS: VmFault = bindings::vm_fault_reason_VM_FAULT_SIGBUS as VmFault;
const OOM: VmFault = bindings::vm_fault_reason_VM_FAULT_OOM as VmFault;
const LOCKED: VmFault = bindings::vm_fault_reason_VM_FAULT_LOCKED as VmFault;
const NOPAGE: VmFault = bindings::vm_fault_reason_VM_FAULT_NOPAGE as VmFault;

/// Whether page `index` lies at or beyond EOF.
fn beyond_eof(inode: *mut bindings::inode, index: u64) -> bool {
    // SAFETY: `inode` is the live inode of a mapped file.
    let size = unsafe { ffi::rpc_i_size_read(inode) } as u64;
    index >= size.div_ceil(bindings::PAGE_SIZE as u64)
}

/// `vm_operations_struct.fault`.
unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> VmFault {
    // SAFETY: the fault code passes a live `vm_fault` of a VMA mapping one
    // of our regular files, which holds the file (and so the inode) open.
    let (inode, index) = unsafe { (ffi::rpc_file_inode(ffi::rpc_vmf_file(vmf)), ffi::rpc_vmf_pgoff(vmf) as u64) };
    // SAFETY: as above.
    let cache = unsafe { cache_of(inode) };
    let folio = loop {
        if beyond_eof(inode, index) {
            return SIGBUS;
        }
        if let Some(folio) = cache.lookup_locked(index) {
            break folio;
        }
        // A hole: create the page, excluding truncate and punch.
        // SAFETY: the mapping lives as long as the inode; no folio lock held.
        let _inval = unsafe { InvalidateLock::new(cache.mapping(), false) };
        if beyond_eof(inode, index) {
            return SIGBUS;
        }
        // SAFETY: a live regular file of ours.
        match unsafe { inode::charge(inode, 1) } {
            Ok(()) => {}
            Err(e) if e == ENOSPC => return SIGBUS,
            Err(_) => return OOM,
        }
        match cache.insert(index, true) {
            Ok(folio) => {
                folio.mark_uptodate();
                folio.mark_dirty();
                break folio;
            }
            Err(e) => {
                // SAFETY: charged just above.
                unsafe { inode::uncharge(inode, 1) };
                if e != EEXIST {
                    return OOM;
                }
            }
        }
    };
    // Seed 004: re-checked under the folio lock. `lookup_locked` saw the
    // folio still in this mapping; now the size.
    if beyond_eof(inode, index) {
        return SIGBUS;
    }
    if kernel::warn_on!(!folio.is_uptodate()) {
        return SIGBUS;
    }
    // SAFETY: `vmf` is live; the page belongs to the folio whose lock and
    // reference we hand over with VM_FAULT_LOCKED.
    unsafe { (*vmf).page = folio.page_at(index) };
    folio.into_raw_locked();
    LOCKED
}

/// `vm_operations_struct.page_mkwrite`: a shared mapping is about to write.
unsafe extern "C" fn page_mkwrite(vmf: *mut bindings::vm_fault) -> VmFault {
    // SAFETY: as in `fault`; `vmf->page` is mapped and referenced by the
    // caller for the whole call.
    let (file, page) = unsafe { (ffi::rpc_vmf_file(vmf), (*vmf).page) };
    // SAFETY: as above.
    let inode = unsafe { ffi::rpc_file_inode(file) };
    // SAFETY: the open file is live.
    unsafe { bindings::file_update_time(file) };
    // SAFETY: the caller holds a reference on the page's folio.
    let folio = unsafe { Folio::get(ffi::rpc_page_folio(page)) }.lock();
    // SAFETY: `inode` is live.
    if folio.mapping() != unsafe { (*inode).i_mapping } {
        // Truncated meanwhile: let the fault start again (it will SIGBUS
        // or find the new page).
        return NOPAGE;
    }
    folio.mark_dirty();
    folio.into_lock_only();
    LOCKED
}

static VM_OPS: OpsTable<bindings::vm_operations_struct> = OpsTable(bindings::vm_operations_struct {
    fault: Some(fault),
    page_mkwrite: Some(page_mkwrite),
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
