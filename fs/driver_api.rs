// SPDX-License-Identifier: GPL-2.0

//! The in-kernel API for drivers (`include/rust_pagecache.h`, exported by
//! the C wrappers at the end of `glue/helpers.c`): the module's
//! `shmem_file_setup_with_mnt()` and `shmem_read_folio_gfp()`, for drivers
//! that keep their objects in files (GEM, as GMA500 does in seed 003).
//!
//! - [`rpc_api_new_inode`]: an unlinked regular file of the given size on
//!   the driver's mount (`rpc_file_setup_with_mnt()`) or the module's
//!   internal one (`rpc_file_setup()`, made and unmounted by helpers.c),
//!   charged against its `nr_inodes=`; helpers.c wraps it in a `struct
//!   file` (`alloc_file_pseudo()`), whose last `fput()` evicts it with
//!   everything it holds, in memory and in swap.
//! - [`rpc_api_read_folio_gfp`]: a page of such a file (or of any regular
//!   file of this filesystem) as a referenced, unlocked, up-to-date folio
//!   in a zone the caller's gfp allows: found, swapped in, or made, exactly
//!   as a page fault does (fs/mmap.rs: `get_locked`, with the seed 004
//!   re-checks), every allocation with the caller's gfp, and a folio
//!   found higher up replaced (cache/replace.rs, seed 003).

use crate::fs::inode;
use crate::fs::mmap::get_locked;
use crate::glue::vfs::{Dentry, Inode};
use crate::swap::swap_in::Gfp;
use kernel::bindings;
use kernel::prelude::*;

/// `rpc_file_setup_with_mnt()`'s inode: 0 and `*inodep` set (one
/// reference, handed over), or a negative errno.
///
/// # Safety
///
/// `root` is the root dentry of a mount of this filesystem that the caller
/// holds; `inodep` is writable.
#[no_mangle]
unsafe extern "C" fn rpc_api_new_inode(root: *mut bindings::dentry, size: i64, inodep: *mut *mut bindings::inode) -> c_int {
    // SAFETY: per the contract, a live dentry of ours, kept by the mount.
    let root = unsafe { Dentry::from_raw(root) };
    let Ok(size) = u64::try_from(size) else {
        return EINVAL.to_errno();
    };
    // As `__shmem_file_setup()`: S_IRWXUGO, no owner rules (no parent).
    let new = match inode::new_unlinked(root, 0o777) {
        Ok(new) => new,
        Err(e) => return e.to_errno(),
    };
    {
        let inode = new.inode();
        let guard = inode.lock();
        inode.set_size(&guard, size);
        // Unlinked from the start: the last reference evicts it.
        inode.drop_nlink(&guard);
    }
    // SAFETY: `inodep` is writable (contract).
    unsafe { *inodep = new.into_raw() };
    0
}

/// `rpc_read_folio_gfp()`: the folio with the caller's reference, or
/// `ERR_PTR(errno)`.
///
/// # Safety
///
/// `inode` is the host of a mapping whose `a_ops` are this filesystem's
/// regular-file operations (helpers.c checks), kept alive by the caller
/// (it holds the file).
#[no_mangle]
unsafe extern "C" fn rpc_api_read_folio_gfp(inode: *mut bindings::inode, index: c_ulong, gfp: bindings::gfp_t) -> *mut bindings::folio {
    // SAFETY: per the contract, a live regular file of ours.
    let inode = unsafe { Inode::from_raw(inode) };
    match read_folio_gfp(inode, index as u64, gfp) {
        Ok(folio) => folio,
        // ERR_PTR(errno)
        Err(e) => e.to_errno() as isize as *mut bindings::folio,
    }
}

fn read_folio_gfp(inode: &Inode, index: u64, gfp: bindings::gfp_t) -> Result<*mut bindings::folio> {
    let folio = get_locked(inode, index, Gfp::Exactly(gfp))?;
    // A poisoned page has no data to give (a read gets EIO too).
    if folio.is_hwpoison() {
        return Err(EIO);
    }
    folio.mark_accessed();
    Ok(folio.unlock().into_raw())
}
