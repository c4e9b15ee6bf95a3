// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace operations.
//!
//! Dentries are kept by the dcache (`d_make_persistent()`, as ramfs);
//! lookup and readdir are the VFS's `simple_*` ones. What is ours is the
//! accounting tmpfs does: every inode and every extra hard link is charged
//! against `nr_inodes=`, and a directory's `i_size` grows by
//! [`BOGO_DIRENT_SIZE`] per entry.
//!
//! All of these but `tmpfile` run with the parent directory's `i_rwsem`
//! held by the VFS (both parents, and `s_vfs_rename_mutex` for
//! cross-directory renames).

use crate::fs::inode::{self, BOGO_DIRENT_SIZE};
use crate::fs::fileattr;
use crate::fs::xattr;
use crate::glue::ffi::{self, OpsTable};
use crate::glue::vfs::{simple, Dentry, Idmap, Inode, InodeGuard, NewInode, TmpFile};
use kernel::bindings;
use kernel::prelude::*;

/// A whiteout (`RENAME_WHITEOUT`) is a character device, mode 0, device
/// 0/0 (`WHITEOUT_MODE`, `WHITEOUT_DEV`).
const WHITEOUT_MODE: u16 = bindings::S_IFCHR as u16;
const WHITEOUT_DEV: bindings::dev_t = 0;

/// tmpfs keeps symlinks shorter than this inline (`SHORT_SYMLINK_LEN`).
const SHORT_SYMLINK_LEN: usize = 128;

/// A directory whose `i_rwsem` the VFS holds for a namespace operation.
struct Dir<'a> {
    inode: &'a Inode,
    guard: InodeGuard<'a>,
}

impl<'a> Dir<'a> {
    /// # Safety
    ///
    /// `dir` is a directory of this filesystem passed to a namespace
    /// callback, which the VFS calls with its `i_rwsem` held exclusively.
    unsafe fn from_vfs(dir: *mut bindings::inode) -> Self {
        // SAFETY: function contract.
        let inode = unsafe { Inode::from_raw(dir) };
        // SAFETY: function contract: the VFS holds `i_rwsem`.
        Dir { inode, guard: unsafe { InodeGuard::held_by_vfs(inode) } }
    }

    /// Adds `delta` entries' worth to the directory's size.
    fn size_add(&self, delta: i64) {
        let size = self.inode.size() as i64 + delta * BOGO_DIRENT_SIZE;
        self.inode.set_size(&self.guard, size as u64);
    }
}

/// Makes an inode for `dentry` in `dir` and runs the security hook.
fn make(dir: &Dir<'_>, idmap: Idmap<'_>, dentry: &Dentry, mode: u16, dev: bindings::dev_t) -> Result<NewInode> {
    let inode = inode::new_in_dir(dir.inode, idmap, mode, dev)?;
    // On failure, dropping `inode` puts it (and eviction uncharges it).
    inode.init_security(dir.inode, Some(dentry))?;
    Ok(inode)
}

/// Publishes a new inode under `dentry` (`d_make_persistent`).
fn publish(dir: &Dir<'_>, dentry: &Dentry, inode: NewInode) {
    dir.size_add(1);
    dir.inode.touch_mtime_ctime();
    inode.publish(dentry);
}

fn do_mknod(dir: &Dir<'_>, idmap: Idmap<'_>, dentry: &Dentry, mode: u16, dev: bindings::dev_t) -> Result {
    let inode = make(dir, idmap, dentry, mode, dev)?;
    publish(dir, dentry, inode);
    Ok(())
}

unsafe extern "C" fn mknod(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    dev: bindings::dev_t,
) -> c_int {
    // SAFETY: VFS callback arguments, live for the call: our directory,
    // locked, a negative dentry in it, and the idmap of the mount.
    let (dir, idmap, dentry) = unsafe { (Dir::from_vfs(dir), Idmap::from_raw(idmap), Dentry::from_raw(dentry)) };
    errno(do_mknod(&dir, idmap, dentry, mode, dev))
}

unsafe extern "C" fn create(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: as for `mknod`: our locked directory, a negative dentry, the mount's idmap.
    let (dir, idmap, dentry) = unsafe { (Dir::from_vfs(dir), Idmap::from_raw(idmap), Dentry::from_raw(dentry)) };
    errno(do_mknod(&dir, idmap, dentry, mode | bindings::S_IFREG as u16, 0))
}

unsafe extern "C" fn mkdir(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> *mut bindings::dentry {
    // SAFETY: as for `mknod`: our locked directory, a negative dentry, the mount's idmap.
    let (dir, idmap, dentry) = unsafe { (Dir::from_vfs(dir), Idmap::from_raw(idmap), Dentry::from_raw(dentry)) };
    match do_mknod(&dir, idmap, dentry, mode | bindings::S_IFDIR as u16, 0) {
        // The new subdirectory's ".." links to its parent.
        Ok(()) => {
            dir.inode.inc_nlink(&dir.guard);
            core::ptr::null_mut()
        }
        // ERR_PTR(errno)
        Err(e) => e.to_errno() as isize as *mut bindings::dentry,
    }
}

unsafe extern "C" fn symlink(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    target: *const c_char,
) -> c_int {
    let (dir, idmap, dentry, target) =
        // SAFETY: as for `mknod` (directory, dentry, idmap); `target` is a
        // NUL-terminated string from the VFS, valid for the call.
        unsafe { (Dir::from_vfs(dir), Idmap::from_raw(idmap), Dentry::from_raw(dentry), CStr::from_char_ptr(target)) };
    errno(do_symlink(&dir, idmap, dentry, target))
}

fn do_symlink(dir: &Dir<'_>, idmap: Idmap<'_>, dentry: &Dentry, target: &CStr) -> Result {
    if target.to_bytes_with_nul().len() > bindings::PAGE_SIZE {
        return Err(ENAMETOOLONG);
    }
    let mode = (bindings::S_IFLNK | bindings::S_IRWXUGO) as u16;
    let inode = make(dir, idmap, dentry, mode, 0)?;
    // Long targets live in a page of the inode's cache, charged like file
    // data through `rpc_write_begin`.
    inode.set_symlink(target, SHORT_SYMLINK_LEN, (&SHORT_SYMLINK_OPS, &SYMLINK_OPS))?;
    publish(dir, dentry, inode);
    Ok(())
}

/// `tmpfile` (O_TMPFILE), as `shmem_tmpfile()`: a regular file in `dir`
/// with no name, charged against `nr_inodes=` like any inode, freed with
/// its data when the last file closes. `linkat()` may give it a name
/// unless it was opened with O_EXCL (the VFS decides), and that first
/// name is no extra inode (see `link`). The VFS does not lock `dir`, and
/// nothing of it changes: no entry, no size, no times.
unsafe extern "C" fn tmpfile(
    idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    file: *mut bindings::file,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: VFS callback arguments, live for the call: our directory (only
    // read here), the mount's idmap and the file being opened.
    let (dir, idmap, file) = unsafe { (Inode::from_raw(dir), Idmap::from_raw(idmap), TmpFile::from_raw(file)) };
    errno(do_tmpfile(dir, idmap, &file, mode))
}

fn do_tmpfile(dir: &Inode, idmap: Idmap<'_>, file: &TmpFile<'_>, mode: u16) -> Result {
    let mode = (u32::from(mode) & !bindings::S_IFMT | bindings::S_IFREG) as u16;
    let inode = inode::new_in_dir(dir, idmap, mode, 0)?;
    // On failure, dropping `inode` puts it (and eviction uncharges it).
    inode.init_security(dir, None)?;
    inode.open_tmpfile(file)
}

unsafe extern "C" fn link(old_dentry: *mut bindings::dentry, dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: VFS callback arguments: the source (positive, its inode
    // locked), our locked directory, the negative new dentry.
    let (old, dir, dentry) = unsafe { (Dentry::from_raw(old_dentry), Dir::from_vfs(dir), Dentry::from_raw(dentry)) };
    errno(do_link(old, &dir, dentry))
}

fn do_link(old: &Dentry, dir: &Dir<'_>, dentry: &Dentry) -> Result {
    // Like tmpfs, a hard link is charged as an inode; but not the first
    // name of an O_TMPFILE file (nlink 0), whose inode is charged already
    // and given back when it is evicted, as every last link's is.
    if old.inode().is_none_or(|inode| inode.nlink() != 0) {
        dir.inode.sb_info().take_inode()?;
    }
    dir.size_add(1);
    simple::link(old, dir.inode, dentry)
}

unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: VFS callback arguments: our locked directory and a positive
    // dentry in it, whose inode is locked too.
    let (dir, dentry) = unsafe { (Dir::from_vfs(dir), Dentry::from_raw(dentry)) };
    errno(do_unlink(&dir, dentry))
}

fn do_unlink(dir: &Dir<'_>, dentry: &Dentry) -> Result {
    let Some(inode) = dentry.inode() else {
        return Err(ENOENT);
    };
    // The last link is given back when the inode is evicted.
    if inode.nlink() > 1 && !inode.is_dir() {
        dir.inode.sb_info().put_inode();
    }
    dir.size_add(-1);
    simple::unlink(dir.inode, dentry)
}

unsafe extern "C" fn rmdir(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: as for `unlink`.
    let (dir, dentry) = unsafe { (Dir::from_vfs(dir), Dentry::from_raw(dentry)) };
    if !dentry.is_empty() {
        return ENOTEMPTY.to_errno();
    }
    dir.size_add(-1);
    errno(simple::rmdir(dir.inode, dentry))
}

/// `rename`, with `RENAME_NOREPLACE` (the VFS has already refused an
/// existing target), `RENAME_EXCHANGE` and `RENAME_WHITEOUT` (overlayfs
/// asks for it on its upper layer); mirrors `shmem_rename2()`.
unsafe extern "C" fn rename(
    idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old_dentry: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    if flags & !(bindings::RENAME_NOREPLACE | bindings::RENAME_EXCHANGE | bindings::RENAME_WHITEOUT) != 0 {
        return EINVAL.to_errno();
    }
    // Within one directory both `Dir`s are the same inode; their guards
    // unlock nothing, so that is fine. Cross-directory: the rename mutex.
    // SAFETY: VFS callback arguments, live for the call: both parents ours
    // and locked, the source positive, and the mount's idmap.
    let (idmap, old_dir, old, new_dir, new) = unsafe {
        let idmap = Idmap::from_raw(idmap);
        (idmap, Dir::from_vfs(old_dir), Dentry::from_raw(old_dentry), Dir::from_vfs(new_dir), Dentry::from_raw(new_dentry))
    };
    errno(do_rename(idmap, &old_dir, old, &new_dir, new, flags))
}

fn do_rename(idmap: Idmap<'_>, old_dir: &Dir<'_>, old: &Dentry, new_dir: &Dir<'_>, new: &Dentry, flags: c_uint) -> Result {
    if flags & bindings::RENAME_EXCHANGE != 0 {
        // Both entries stay, so no directory changes size.
        return simple::rename_exchange(old_dir.inode, old, new_dir.inode, new);
    }
    if !new.is_empty() {
        return Err(ENOTEMPTY);
    }
    if flags & bindings::RENAME_WHITEOUT != 0 {
        // `shmem_whiteout()`: a 0/0 character device under the old name,
        // made before anything moves (nothing to undo if it fails); the
        // VFS then moves `old` over it to the new name.
        let whiteout = old.alloc_same_name()?;
        do_mknod(old_dir, idmap, &whiteout, WHITEOUT_MODE, WHITEOUT_DEV)?;
    }
    let they_are_dirs = old.inode().is_some_and(Inode::is_dir);
    if let Some(target) = new.inode() {
        do_unlink(new_dir, new)?;
        if they_are_dirs {
            // SAFETY: the VFS holds the target's `i_rwsem` for a rename
            // over it (lock_two_nondirectories/inode_lock of the victim).
            target.drop_nlink(&unsafe { InodeGuard::held_by_vfs(target) });
            old_dir.inode.drop_nlink(&old_dir.guard);
        }
    } else if they_are_dirs {
        old_dir.inode.drop_nlink(&old_dir.guard);
        new_dir.inode.inc_nlink(&new_dir.guard);
    }
    old_dir.size_add(-1);
    new_dir.size_add(1);
    simple::rename_timestamp(old_dir.inode, old, new_dir.inode, new);
    Ok(())
}

/// An operation's result as the VFS wants it: 0 or `-errno` (also for
/// fs/xattr.rs).
pub(crate) fn errno(res: Result) -> c_int {
    match res {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

pub(crate) static DIR_INODE_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    create: Some(create),
    tmpfile: Some(tmpfile),
    lookup: Some(bindings::simple_lookup),
    link: Some(link),
    unlink: Some(unlink),
    symlink: Some(symlink),
    mkdir: Some(mkdir),
    rmdir: Some(rmdir),
    mknod: Some(mknod),
    rename: Some(rename),
    setattr: Some(inode::setattr),
    getattr: Some(inode::getattr),
    listxattr: xattr::LISTXATTR,
    set_acl: xattr::SET_ACL,
    fileattr_get: fileattr::GET,
    fileattr_set: fileattr::SET,
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});

/// A directory's file operations: `simple_dir_operations` (the dcache's
/// readdir and cursor) and leases, which on a directory are the directory
/// delegations of `F_SETDELEG` (7.3; tmpfs's `simple_offset_dir_operations`
/// has `generic_setlease` too; fstests' generic/786 and 787 need it).
/// The entries are written out: a static cannot start from the kernel's
/// `simple_dir_operations`, an extern static, at compile time.
pub(crate) static DIR_FILE_OPS: OpsTable<bindings::file_operations> = OpsTable(bindings::file_operations {
    open: Some(bindings::dcache_dir_open),
    release: Some(bindings::dcache_dir_close),
    llseek: Some(bindings::dcache_dir_lseek),
    read: Some(bindings::generic_read_dir),
    iterate_shared: Some(bindings::dcache_readdir),
    fsync: Some(bindings::noop_fsync),
    setlease: Some(ffi::rpc_file_setlease),
    // SAFETY: all-zero is a valid `file_operations` (no owner, no callbacks).
    ..unsafe { core::mem::zeroed() }
});

/// Symlinks with the target inline (`simple_symlink_inode_operations` and
/// the listing of their attributes, as tmpfs's).
static SHORT_SYMLINK_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    get_link: Some(bindings::simple_get_link),
    getattr: Some(inode::getattr),
    listxattr: xattr::LISTXATTR,
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});

/// Symlinks with the target in a page (`page_symlink_inode_operations`).
static SYMLINK_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    get_link: Some(bindings::page_get_link),
    getattr: Some(inode::getattr),
    listxattr: xattr::LISTXATTR,
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});
