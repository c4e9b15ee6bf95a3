// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace operations.
//!
//! Dentries are kept by the dcache (`d_make_persistent()`, as ramfs);
//! lookup and readdir are the VFS's `simple_*` ones. What is ours is the
//! accounting tmpfs does: every inode and every extra hard link is charged
//! against `nr_inodes=`, and a directory's `i_size` grows by
//! [`BOGO_DIRENT_SIZE`] per entry.
//!
//! All of these run with the parent directory's `i_rwsem` held by the VFS
//! (both parents, and `s_vfs_rename_mutex` for cross-directory renames).

use crate::glue::ffi::{self, OpsTable};
use crate::fs::inode::{self, BOGO_DIRENT_SIZE};
use crate::fs::super_block::SbInfo;
use kernel::bindings;
use kernel::prelude::*;

/// tmpfs keeps symlinks shorter than this inline (`SHORT_SYMLINK_LEN`).
const SHORT_SYMLINK_LEN: usize = 128;

/// Adds `delta` entries' worth to a directory's size.
///
/// # Safety
///
/// `dir` is a live directory inode whose `i_rwsem` the caller holds.
unsafe fn dir_size_add(dir: *mut bindings::inode, delta: i64) {
    // SAFETY: function contract.
    unsafe { ffi::rpc_i_size_write(dir, ffi::rpc_i_size_read(dir) + delta * BOGO_DIRENT_SIZE) };
}

/// Makes an inode for `dentry` in `dir` and runs the security hook.
///
/// # Safety
///
/// VFS create-type callback context: `dir` locked, `dentry` negative.
unsafe fn make(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: u16,
    dev: bindings::dev_t,
) -> Result<*mut bindings::inode> {
    // SAFETY: function contract.
    unsafe {
        let inode = inode::new_inode((*dir).i_sb, dir, mode, dev)?;
        let err = ffi::rpc_security_init(inode, dir, dentry);
        if err != 0 {
            bindings::iput(inode);
            return Err(Error::from_errno(err));
        }
        Ok(inode)
    }
}

/// Publishes a new inode under `dentry` (`d_make_persistent`).
///
/// # Safety
///
/// As [`make`]; `inode` is the new inode, whose reference this consumes.
unsafe fn publish(dir: *mut bindings::inode, dentry: *mut bindings::dentry, inode: *mut bindings::inode) {
    // SAFETY: function contract.
    unsafe {
        dir_size_add(dir, 1);
        ffi::rpc_dir_touch(dir);
        bindings::d_make_persistent(dentry, inode);
    }
}

unsafe extern "C" fn mknod(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    dev: bindings::dev_t,
) -> c_int {
    // SAFETY: VFS callback context (see the module comment).
    match unsafe { make(dir, dentry, mode, dev) } {
        Ok(inode) => {
            // SAFETY: as above; `inode` is ours to publish.
            unsafe { publish(dir, dentry, inode) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn create(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: forwarded VFS callback arguments.
    unsafe { mknod(idmap, dir, dentry, mode | bindings::S_IFREG as u16, 0) }
}

unsafe extern "C" fn mkdir(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> *mut bindings::dentry {
    // SAFETY: forwarded VFS callback arguments.
    let ret = unsafe { mknod(idmap, dir, dentry, mode | bindings::S_IFDIR as u16, 0) };
    if ret != 0 {
        // ERR_PTR(ret)
        return ret as isize as *mut bindings::dentry;
    }
    // SAFETY: `dir` is locked; the new subdirectory's ".." links to it.
    unsafe { bindings::inc_nlink(dir) };
    core::ptr::null_mut()
}

unsafe extern "C" fn symlink(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    target: *const c_char,
) -> c_int {
    // SAFETY: `target` is a NUL-terminated string from the VFS.
    let len = unsafe { CStr::from_char_ptr(target) }.to_bytes_with_nul().len();
    if len > bindings::PAGE_SIZE {
        return ENAMETOOLONG.to_errno();
    }
    let mode = (bindings::S_IFLNK | bindings::S_IRWXUGO) as u16;
    // SAFETY: VFS callback context.
    let inode = match unsafe { make(dir, dentry, mode, 0) } {
        Ok(inode) => inode,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `inode` is new and ours; `target` holds `len` bytes.
    unsafe {
        let err = if len <= SHORT_SYMLINK_LEN {
            ffi::rpc_symlink_inline(inode, target, len)
        } else {
            // Long targets live in a page of the inode's cache, charged like
            // file data through `rpc_write_begin`.
            ffi::rpc_inode_set_ops(inode, &raw const bindings::page_symlink_inode_operations, core::ptr::null());
            // page_get_link() maps the page with folio_address(): no highmem.
            bindings::inode_nohighmem(inode);
            bindings::page_symlink(inode, target, len as c_int)
        };
        if err != 0 {
            bindings::iput(inode);
            return err;
        }
        // st_size is the target's length, without the NUL (as tmpfs).
        ffi::rpc_i_size_write(inode, len as i64 - 1);
        publish(dir, dentry, inode);
    }
    0
}

unsafe extern "C" fn link(
    old_dentry: *mut bindings::dentry,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: VFS callback context: `dir` and the source inode are locked.
    unsafe {
        // Like tmpfs, a hard link is charged as an inode.
        if let Err(e) = SbInfo::of((*dir).i_sb).take_inode() {
            return e.to_errno();
        }
        dir_size_add(dir, 1);
        bindings::simple_link(old_dentry, dir, dentry)
    }
}

unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: VFS callback context: `dir` and the victim are locked.
    unsafe {
        let inode = (*dentry).d_inode;
        let is_dir = u32::from((*inode).i_mode) & bindings::S_IFMT == bindings::S_IFDIR;
        // The last link is given back when the inode is evicted.
        if ffi::rpc_inode_nlink(inode) > 1 && !is_dir {
            SbInfo::of((*dir).i_sb).put_inode();
        }
        dir_size_add(dir, -1);
        bindings::simple_unlink(dir, dentry)
    }
}

unsafe extern "C" fn rmdir(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: VFS callback context.
    unsafe {
        if bindings::simple_empty(dentry) == 0 {
            return ENOTEMPTY.to_errno();
        }
        dir_size_add(dir, -1);
        bindings::simple_rmdir(dir, dentry)
    }
}

/// `rename`, with `RENAME_NOREPLACE` (the VFS has already refused an
/// existing target) and `RENAME_EXCHANGE`; mirrors `shmem_rename2()`.
unsafe extern "C" fn rename(
    _idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old_dentry: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    if flags & !(bindings::RENAME_NOREPLACE | bindings::RENAME_EXCHANGE) != 0 {
        return EINVAL.to_errno();
    }
    // SAFETY: VFS callback context: both parents (and, for cross-directory
    // renames, the superblock's rename mutex) are held.
    unsafe {
        if flags & bindings::RENAME_EXCHANGE != 0 {
            // Both entries stay, so no directory changes size.
            return bindings::simple_rename_exchange(old_dir, old_dentry, new_dir, new_dentry);
        }
        if bindings::simple_empty(new_dentry) == 0 {
            return ENOTEMPTY.to_errno();
        }
        let old_inode = (*old_dentry).d_inode;
        let they_are_dirs = u32::from((*old_inode).i_mode) & bindings::S_IFMT == bindings::S_IFDIR;
        let target = (*new_dentry).d_inode;
        if !target.is_null() {
            unlink(new_dir, new_dentry);
            if they_are_dirs {
                bindings::drop_nlink(target);
                bindings::drop_nlink(old_dir);
            }
        } else if they_are_dirs {
            bindings::drop_nlink(old_dir);
            bindings::inc_nlink(new_dir);
        }
        dir_size_add(old_dir, -1);
        dir_size_add(new_dir, 1);
        bindings::simple_rename_timestamp(old_dir, old_dentry, new_dir, new_dentry);
    }
    0
}

pub(crate) static DIR_INODE_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    create: Some(create),
    lookup: Some(bindings::simple_lookup),
    link: Some(link),
    unlink: Some(unlink),
    symlink: Some(symlink),
    mkdir: Some(mkdir),
    rmdir: Some(rmdir),
    mknod: Some(mknod),
    rename: Some(rename),
    setattr: Some(inode::setattr),
    getattr: Some(bindings::simple_getattr),
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});
