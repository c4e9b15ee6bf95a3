// SPDX-License-Identifier: GPL-2.0

//! Inode flags (`chattr`/`lsattr`, `FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS`),
//! as tmpfs has them (`shmem_fileattr_get()`/`_set()`): append-only,
//! immutable, nodump and noatime can be set; nodump and noatime are
//! inherited by what is made in a directory that has them. The VFS checks
//! ownership and `CAP_LINUX_IMMUTABLE` before calling us and enforces
//! `S_APPEND`/`S_IMMUTABLE`/`S_NOATIME` on every path (open, write,
//! truncate, fallocate, mmap, unlink, rename, atime): the flags only have
//! to be kept and turned into `i_flags`. Case-folding (`FS_CASEFOLD_FL`)
//! is not supported (EOPNOTSUPP, as tmpfs without `CONFIG_UNICODE`), nor
//! are the XFS-style extended attributes (`FS_IOC_FSSETXATTR` with more
//! than the common flags: EOPNOTSUPP, as tmpfs).

use crate::glue::ffi;
use crate::glue::vfs::{Dentry, Inode};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// What `FS_IOC_SETFLAGS` may change (`SHMEM_FL_USER_MODIFIABLE` without
/// case-folding).
const MODIFIABLE: u32 =
    bindings::FS_IMMUTABLE_FL | bindings::FS_APPEND_FL | bindings::FS_NODUMP_FL | bindings::FS_NOATIME_FL;

/// What a new inode takes from its directory (`SHMEM_FL_INHERITED`).
const INHERITED: u32 = bindings::FS_NODUMP_FL | bindings::FS_NOATIME_FL;

/// An inode's `FS_*_FL` flags.
pub(crate) struct FsFlags(AtomicU32);

impl FsFlags {
    pub(crate) const fn new() -> Self {
        FsFlags(AtomicU32::new(0))
    }

    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Each flag kept, with the `i_flags` bit by which the VFS enforces it and
/// the statx attribute that shows it (0: none).
const FLAGS: [(u32, u32, u32); 4] = [
    (bindings::FS_APPEND_FL, bindings::S_APPEND, bindings::STATX_ATTR_APPEND),
    (bindings::FS_IMMUTABLE_FL, bindings::S_IMMUTABLE, bindings::STATX_ATTR_IMMUTABLE),
    (bindings::FS_NOATIME_FL, bindings::S_NOATIME, 0),
    (bindings::FS_NODUMP_FL, 0, bindings::STATX_ATTR_NODUMP),
];

/// The `i_flags` that `fsflags` stand for.
fn i_flags(fsflags: u32) -> u32 {
    FLAGS.iter().filter(|f| fsflags & f.0 != 0).fold(0, |acc, f| acc | f.1)
}

/// Sets `inode`'s flags (callers: a new inode nobody else sees, or
/// `fileattr_set` under `i_rwsem`).
fn set(inode: &Inode, fsflags: u32) {
    inode.rpc().fsflags.0.store(fsflags, Ordering::Relaxed);
    inode.set_i_flags(i_flags(fsflags), i_flags(MODIFIABLE));
}

/// A new inode in `dir` inherits its nodump and noatime flags.
pub(crate) fn inherit(dir: &Inode, inode: &Inode) {
    let fsflags = dir.rpc().fsflags.get() & INHERITED;
    if fsflags != 0 {
        set(inode, fsflags);
    }
}

/// The statx attributes (and the mask of those this file system knows)
/// that `fsflags` stand for, as `shmem_getattr()` reports them.
pub(crate) fn statx_attributes(fsflags: u32) -> (u64, u64) {
    let attributes = FLAGS.iter().filter(|f| fsflags & f.0 != 0).fold(0, |acc, f| acc | f.2);
    let mask = FLAGS.iter().fold(0, |acc, f| acc | f.2);
    (attributes.into(), mask.into())
}

/// `inode_operations.fileattr_get`.
unsafe extern "C" fn fileattr_get(dentry: *mut bindings::dentry, fa: *mut bindings::file_kattr) -> c_int {
    // SAFETY: VFS callback arguments: a positive dentry of ours and the
    // caller's `file_kattr`, for the call.
    let Some(inode) = (unsafe { Dentry::from_raw(dentry) }).inode() else {
        return ENOENT.to_errno();
    };
    // SAFETY: as above.
    unsafe { ffi::rpc_fileattr_fill(fa, inode.rpc().fsflags.get() & bindings::FS_FL_USER_VISIBLE) };
    0
}

/// `inode_operations.fileattr_set` (the VFS holds `i_rwsem` and has
/// checked the caller may change what changes).
unsafe extern "C" fn fileattr_set(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    fa: *mut bindings::file_kattr,
) -> c_int {
    // SAFETY: VFS callback arguments, as for `fileattr_get`.
    let (inode, has_fsx, wanted) = unsafe {
        (Dentry::from_raw(dentry).inode(), ffi::rpc_fileattr_has_fsx(fa), ffi::rpc_fileattr_flags(fa))
    };
    let Some(inode) = inode else {
        return ENOENT.to_errno();
    };
    if has_fsx || wanted & !MODIFIABLE != 0 {
        return EOPNOTSUPP.to_errno();
    }
    set(inode, (inode.rpc().fsflags.get() & !MODIFIABLE) | wanted);
    inode.touch_ctime_version();
    0
}

/// The two operations, for the inode operation tables of regular files
/// and directories (tmpfs offers them on nothing else).
pub(crate) const GET: Option<unsafe extern "C" fn(*mut bindings::dentry, *mut bindings::file_kattr) -> c_int> =
    Some(fileattr_get);
pub(crate) const SET: Option<
    unsafe extern "C" fn(*mut bindings::mnt_idmap, *mut bindings::dentry, *mut bindings::file_kattr) -> c_int,
> = Some(fileattr_set);
