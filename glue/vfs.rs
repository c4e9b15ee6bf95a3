// SPDX-License-Identifier: GPL-2.0

//! Typed handles on the VFS objects the module touches: [`Inode`],
//! [`Mapping`], [`Kiocb`], [`OpenFile`], [`Dentry`] (and [`OwnedDentry`], a
//! reference of our own), [`NewInode`] (an inode reference
//! not handed over yet), [`SuperBlock`] (mounted) and [`NewSuperBlock`]
//! (in `fill_super`), [`FsContext`], [`TmpFile`] (an O_TMPFILE file being
//! made), the VFS's `simple_*` namespace helpers on them
//! ([`simple`]), and lock guards whose existence says the lock is held
//! ([`InodeGuard`] for `i_rwsem`, [`InvalidateGuard`] for the mapping's
//! `invalidate_lock`, [`ILockGuard`] for `i_lock`).
//!
//! Each wraps the C object in place (`#[repr(transparent)]` over
//! [`Opaque`]), as the `kernel` crate's own `File` and `IovIterSource` do:
//! a `&Inode` is the `struct inode *` the VFS passed, and holding the
//! reference is what keeps it live. The raw pointer is turned into a
//! reference once, in the `extern "C"` trampoline that received it
//! (`from_raw`, the one `unsafe` step, whose contract is stated there);
//! everything above is safe Rust. The file I/O iterators are the `kernel`
//! crate's [`kernel::iov::IovIterSource`] and [`kernel::iov::IovIterDest`];
//! its `kernel::fs::Kiocb` is not used, as it is built for miscdevices
//! (typed `private_data`), which regular files of a filesystem are not;
//! nor is `kernel::fs::File` for [`OpenFile`]: its invariant says nothing
//! about whose file it is, and the file operations here need the inode
//! (ours) and the VFS helpers `file_modified()` and `vfs_setpos()`.
//! Elsewhere: `kernel::sync::{SpinLock, Mutex, Arc}` hold the module's own
//! state (fs/super_block.rs, swap/), `kernel::seq_file` prints
//! `/proc/mounts`, and `kernel::debugfs` (a `Scope` owning the counters,
//! `kernel::sync::atomic::Atomic` knobs) makes the stats' folder
//! (cache/stats.rs).

use crate::cache::stats::Stats;
use crate::fs::inode::RpcInode;
use crate::glue::inode_slab::InodeSlab;
use crate::fs::super_block::SbInfo;
use crate::glue::ffi::{self, OpsTable};
use kernel::bindings;
use kernel::prelude::*;
use kernel::iov::{IovIterDest, IovIterSource};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// An inode of this filesystem (with its [`RpcInode`] behind it in one
/// slab object, glue/inode_slab.rs).
///
/// # Invariants
///
/// The wrapped `struct inode` is live and belongs to this filesystem, so
/// its superblock's `s_fs_info` is an [`SbInfo`] and it came from the
/// inode slab `INODES` (fs/inode.rs), with an `RpcInode` behind it.
#[repr(transparent)]
pub(crate) struct Inode(Opaque<bindings::inode>);

impl Inode {
    /// # Safety
    ///
    /// `ptr` is an inode of this filesystem that stays live for `'a` (the
    /// caller holds a reference, an open file, or the VFS lends it for the
    /// callback in which `'a` ends).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Inode {
        // SAFETY: `Inode` is a transparent wrapper; the contract gives the
        // type invariant for `'a`.
        unsafe { &*ptr.cast::<Inode>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// The inode number (`i_ino`, fixed at creation).
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: live inode (type invariant); `i_ino` is set before the
        // inode is visible and never changes.
        unsafe { (*self.as_raw()).i_ino as u64 }
    }

    /// `i_size_read()`: safe without locks (the VFS's seqcount/word read).
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: live inode (type invariant).
        unsafe { ffi::rpc_i_size_read(self.as_raw()) as u64 }
    }

    /// `i_size_write()`: writers are serialised by `i_rwsem`, which the
    /// guard proves is held.
    pub(crate) fn set_size(&self, guard: &InodeGuard<'_>, size: u64) {
        debug_assert!(core::ptr::eq(guard.0, self));
        // SAFETY: live inode; `i_rwsem` held (the guard), so no other
        // writer of `i_size`.
        unsafe { ffi::rpc_i_size_write(self.as_raw(), size as i64) }
    }

    /// The inode's page cache mapping (`i_mapping`, fixed at creation).
    pub(crate) fn mapping(&self) -> &Mapping {
        // SAFETY: `i_mapping` of a live inode is a live mapping owned by
        // it (its `i_data`); it is never changed for our inodes.
        unsafe { Mapping::from_raw((*self.as_raw()).i_mapping) }
    }

    /// The mounted instance's state.
    pub(crate) fn sb_info(&self) -> &SbInfo {
        // SAFETY: the superblock outlives its inodes, and its `SbInfo` is
        // set before the first inode is made and freed after the last one
        // (type invariant: an inode of this filesystem).
        unsafe { SbInfo::of((*self.as_raw()).i_sb) }
    }

    /// The mount's page-cache statistics.
    pub(crate) fn stats(&self) -> &Stats {
        self.sb_info().stats()
    }

    /// The module's own part of the inode.
    pub(crate) fn rpc(&self) -> &RpcInode {
        // SAFETY: every inode of this filesystem comes from `INODES`
        // (fs/inode.rs: `alloc_inode`), and `self` is live (type invariant).
        unsafe { InodeSlab::<RpcInode>::data(self.as_raw()) }
    }

    /// Takes `i_rwsem` exclusively (may sleep).
    pub(crate) fn lock(&self) -> InodeGuard<'_> {
        // SAFETY: live inode; process context (callers are system calls).
        unsafe { ffi::rpc_inode_lock(self.as_raw()) };
        InodeGuard(self, true)
    }

    /// Takes `i_rwsem` exclusively if it is free.
    pub(crate) fn try_lock(&self) -> Option<InodeGuard<'_>> {
        // SAFETY: live inode.
        // `then`, not `then_some`: a guard made eagerly would unlock on drop
        // a lock we never took.
        unsafe { ffi::rpc_inode_trylock(self.as_raw()) }.then(|| InodeGuard(self, true))
    }

    /// An attribute changed (xattr, ACL, flags): ctime to now,
    /// `i_version` bumped.
    pub(crate) fn touch_ctime_version(&self) {
        // SAFETY: live inode; callers hold `i_rwsem` (xattr `set`,
        // `fileattr_set`), or the inode is new and nobody else's.
        unsafe { ffi::rpc_inode_ctime_version(self.as_raw()) }
    }

    /// The modification time (seconds, nanoseconds).
    pub(crate) fn mtime(&self) -> (i64, u32) {
        // SAFETY: live inode; a torn read of a concurrent update is what
        // `inode_get_mtime()` gives as well (callers: a new inode).
        unsafe { ((*self.as_raw()).i_mtime_sec, (*self.as_raw()).i_mtime_nsec) }
    }

    /// `inode_set_flags()`: the `i_flags` bits in `mask` become `flags`
    /// (atomically: the VFS reads them without locks).
    pub(crate) fn set_i_flags(&self, flags: u32, mask: u32) {
        // SAFETY: live inode; `inode_set_flags` updates with cmpxchg.
        unsafe { bindings::inode_set_flags(self.as_raw(), flags, mask) }
    }

    /// Sets mtime and ctime to now (`inode_set_mtime_to_ts(inode,
    /// inode_set_ctime_current(inode))`).
    pub(crate) fn touch_mtime_ctime(&self) {
        // SAFETY: live inode; callers hold `i_rwsem`, as the VFS does for
        // timestamp updates.
        unsafe { ffi::rpc_dir_touch(self.as_raw()) }
    }
}

/// `i_rwsem` of an [`Inode`], held exclusively for the guard's lifetime.
pub(crate) struct InodeGuard<'a>(&'a Inode, bool);

impl<'a> InodeGuard<'a> {
    /// A guard for an `i_rwsem` that the VFS took before calling us
    /// (`setattr`); dropping it does not unlock.
    ///
    /// # Safety
    ///
    /// The caller's caller holds `inode`'s `i_rwsem` exclusively for `'a`.
    pub(crate) unsafe fn held_by_vfs(inode: &'a Inode) -> Self {
        InodeGuard(inode, false)
    }
}

impl Drop for InodeGuard<'_> {
    fn drop(&mut self) {
        if self.1 {
            // SAFETY: taken in `Inode::lock`/`try_lock`.
            unsafe { ffi::rpc_inode_unlock(self.0.as_raw()) }
        }
    }
}

/// The page cache mapping (`struct address_space`) of a regular file of
/// this filesystem.
///
/// # Invariants
///
/// The wrapped mapping is live: it is the `i_data` of a live inode of
/// this filesystem.
#[repr(transparent)]
pub(crate) struct Mapping(Opaque<bindings::address_space>);

impl Mapping {
    /// # Safety
    ///
    /// `ptr` is the mapping of an inode of this filesystem that stays live
    /// for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::address_space) -> &'a Mapping {
        // SAFETY: transparent wrapper; the contract gives the invariant.
        unsafe { &*ptr.cast::<Mapping>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::address_space {
        self.0.get()
    }

    /// The inode that owns the mapping.
    pub(crate) fn host(&self) -> &Inode {
        // SAFETY: `host` of a live mapping of ours is its live inode, which
        // outlives it (the mapping is embedded in it).
        unsafe { Inode::from_raw((*self.as_raw()).host) }
    }

    /// The mapping's gfp mask (`mapping_gfp_mask()`).
    pub(crate) fn gfp(&self) -> bindings::gfp_t {
        // SAFETY: live mapping.
        unsafe { ffi::rpc_mapping_gfp(self.as_raw()) }
    }

    /// The XArray of its folios (`i_pages`), for the page cache's walks.
    pub(crate) fn i_pages(&self) -> *mut bindings::xarray {
        // SAFETY: live mapping; only the field's address is taken.
        unsafe { &raw mut (*self.as_raw()).i_pages }
    }

    /// `unmap_mapping_range()`: zaps the page tables mapping `len` bytes
    /// from `start` (to EOF if 0); `even_cows` also drops private copies.
    pub(crate) fn unmap_range(&self, start: u64, len: u64, even_cows: bool) {
        // SAFETY: live mapping; the call takes `i_mmap_rwsem` itself.
        unsafe { bindings::unmap_mapping_range(self.as_raw(), start as i64, len as i64, c_int::from(even_cows)) }
    }

    /// Takes `invalidate_lock` exclusively: no fault can add a folio
    /// meanwhile. No folio lock may be held (lock order, page_cache.rs).
    pub(crate) fn invalidate_lock(&self) -> InvalidateGuard<'_> {
        // SAFETY: live mapping; may sleep (process context).
        unsafe { ffi::rpc_invalidate_lock(self.as_raw(), true) };
        InvalidateGuard(self, true)
    }

    /// Takes `invalidate_lock` shared (a fault adding a folio).
    pub(crate) fn invalidate_lock_shared(&self) -> InvalidateGuard<'_> {
        // SAFETY: as above.
        unsafe { ffi::rpc_invalidate_lock(self.as_raw(), false) };
        InvalidateGuard(self, false)
    }

    /// `invalidate_lock` shared if it is free of writers now, without
    /// waiting (the shrinker, which must not block on a truncate).
    pub(crate) fn try_invalidate_lock_shared(&self) -> Option<InvalidateGuard<'_>> {
        // SAFETY: as above; on success the guard releases it.
        unsafe { ffi::rpc_invalidate_trylock_shared(self.as_raw()) }.then(|| InvalidateGuard(self, false))
    }
}

/// A lock that keeps truncate and hole punch out of a file while it is
/// held: `i_rwsem` ([`InodeGuard`]) or the mapping's `invalidate_lock` in
/// either mode ([`InvalidateGuard`]); both are held by every truncate and
/// punch. Swap-in (swap/swap_in.rs) wants one, so that the record it
/// reads cannot be freed under it.
pub(crate) trait ExcludesTruncate {}
impl ExcludesTruncate for InodeGuard<'_> {}
impl ExcludesTruncate for InvalidateGuard<'_> {}

/// A mapping's `invalidate_lock`, held (exclusively if `.1`) for the
/// guard's lifetime.
pub(crate) struct InvalidateGuard<'a>(&'a Mapping, bool);

impl Drop for InvalidateGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `Mapping::invalidate_lock*` in this mode.
        unsafe { ffi::rpc_invalidate_unlock(self.0.as_raw(), self.1) }
    }
}

/// The I/O control block of a read or write (`struct kiocb`).
///
/// # Invariants
///
/// The wrapped kiocb is live and belongs to an open regular file of this
/// filesystem, for the duration of the `read_iter`/`write_iter` call.
#[repr(transparent)]
pub(crate) struct Kiocb(Opaque<bindings::kiocb>);

impl Kiocb {
    /// # Safety
    ///
    /// `ptr` is the kiocb the VFS passed to `read_iter`/`write_iter` of a
    /// regular file of ours, and `'a` ends with that call.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::kiocb) -> &'a Kiocb {
        // SAFETY: transparent wrapper; the contract gives the invariant.
        unsafe { &*ptr.cast::<Kiocb>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::kiocb {
        self.0.get()
    }

    /// The file position of the I/O (`ki_pos`).
    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: live kiocb, ours for the call (type invariant).
        unsafe { (*self.as_raw()).ki_pos }
    }

    pub(crate) fn set_pos(&self, pos: i64) {
        // SAFETY: as above; only this call uses the kiocb meanwhile.
        unsafe { (*self.as_raw()).ki_pos = pos }
    }

    /// `IOCB_NOWAIT`: the caller wants `EAGAIN` rather than a wait.
    pub(crate) fn nowait(&self) -> bool {
        // SAFETY: live kiocb.
        unsafe { ffi::rpc_iocb_nowait(self.as_raw()) }
    }

    /// The open file (`ki_filp`).
    pub(crate) fn file(&self) -> *mut bindings::file {
        // SAFETY: live kiocb.
        unsafe { (*self.as_raw()).ki_filp }
    }

    /// The inode of the open file (`file_inode(ki_filp)`).
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: the kiocb's file is open, and ours, for the whole call.
        unsafe { Inode::of_file(self.file()) }
    }

    /// `file_accessed()`: atime, as the mount's options say.
    pub(crate) fn file_accessed(&self) {
        // SAFETY: the file is open.
        unsafe { ffi::rpc_file_accessed(self.file()) }
    }
}

/// An open regular file of this filesystem, as a file operation
/// (`fallocate`, `llseek`) gets it.
///
/// # Invariants
///
/// The wrapped `struct file` is open (referenced) and its inode is a
/// regular file of this filesystem, for as long as the reference lives.
#[repr(transparent)]
pub(crate) struct OpenFile(Opaque<bindings::file>);

impl OpenFile {
    /// # Safety
    ///
    /// `ptr` is the file the VFS passed to a file operation of a regular
    /// file of ours, and `'a` ends with that call.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a OpenFile {
        // SAFETY: transparent wrapper; the contract gives the invariant.
        unsafe { &*ptr.cast::<OpenFile>() }
    }

    fn as_raw(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The file's inode (`file_inode()`).
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: open and ours (type invariant).
        unsafe { Inode::of_file(self.as_raw()) }
    }

    /// `file_modified()`: strips setuid/setgid, updates mtime and ctime;
    /// it wants `i_rwsem` held (the guard).
    pub(crate) fn modified(&self, _guard: &InodeGuard<'_>) -> Result {
        // SAFETY: the file is open and its inode's `i_rwsem` held.
        let ret = unsafe { bindings::file_modified(self.as_raw()) };
        if ret != 0 { Err(Error::from_errno(ret)) } else { Ok(()) }
    }

    /// `generic_file_llseek_size()` with `maxsize` `i64::MAX` and the
    /// file's size as `eof`: every `whence` but SEEK_DATA and SEEK_HOLE.
    pub(crate) fn generic_llseek(&self, offset: i64, whence: c_int) -> i64 {
        let eof = self.inode().size() as i64;
        // SAFETY: the file is open; the VFS's lseek holds `f_pos_lock`
        // where the position is shared.
        unsafe { bindings::generic_file_llseek_size(self.as_raw(), offset, whence, i64::MAX, eof) }
    }

    /// `vfs_setpos()` up to `i64::MAX`: the new position, or `-EINVAL`.
    pub(crate) fn set_pos(&self, pos: i64) -> i64 {
        // SAFETY: as for `generic_llseek`.
        unsafe { bindings::vfs_setpos(self.as_raw(), pos, i64::MAX) }
    }
}

impl Inode {
    /// `inode_newsize_ok()`: `EFBIG` past the size limits (`RLIMIT_FSIZE`
    /// sends SIGXFSZ), 0 otherwise; `i_rwsem` held (the guard).
    pub(crate) fn newsize_ok(&self, _guard: &InodeGuard<'_>, size: u64) -> Result {
        // SAFETY: live inode (type invariant), `i_rwsem` held.
        let ret = unsafe { bindings::inode_newsize_ok(self.as_raw(), size as i64) };
        if ret != 0 { Err(Error::from_errno(ret)) } else { Ok(()) }
    }

    /// The inode an open file refers to (`file_inode()`).
    ///
    /// # Safety
    ///
    /// `file` is an open regular file of this filesystem, kept open for `'a`.
    pub(crate) unsafe fn of_file<'a>(file: *const bindings::file) -> &'a Inode {
        // SAFETY: an open file holds its inode; `f_inode` never changes
        // while it is open.
        unsafe { Inode::from_raw((*file).f_inode) }
    }
}

/// What the data path needs of a destination iterator beyond what
/// [`IovIterDest`] offers.
pub(crate) trait IovDestExt {
    /// Writes `bytes` zeros (`iov_iter_zero()`); returns how many it could.
    fn zero(&mut self, bytes: usize) -> usize;
}

impl IovDestExt for IovIterDest<'_> {
    fn zero(&mut self, bytes: usize) -> usize {
        // SAFETY: a valid destination iterator (type invariant of
        // `IovIterDest`), written through its C method.
        unsafe { bindings::iov_iter_zero(bytes, self.as_raw()) }
    }
}

/// What the write path needs of a source iterator beyond what
/// [`IovIterSource`] offers.
pub(crate) trait IovSourceExt {
    /// Faults in up to `bytes` of the source for reading
    /// (`fault_in_iov_iter_readable()`); returns how many could *not* be.
    fn fault_in_readable(&mut self, bytes: usize) -> usize;
}

impl IovSourceExt for IovIterSource<'_> {
    fn fault_in_readable(&mut self, bytes: usize) -> usize {
        // SAFETY: a valid source iterator (type invariant); the call only
        // touches the user pages it describes.
        unsafe { bindings::fault_in_iov_iter_readable(self.as_raw(), bytes) }
    }
}

impl Kiocb {
    /// `generic_write_checks()`: limits, `O_APPEND` (moves `ki_pos` to EOF),
    /// `RLIMIT_FSIZE`; the bytes that may be written (the source is
    /// truncated to them), 0, or a negative errno. Needs `i_rwsem`.
    pub(crate) fn write_checks(&self, _guard: &InodeGuard<'_>, from: &mut IovIterSource<'_>) -> isize {
        // SAFETY: live kiocb and source iterator of this write; `i_rwsem`
        // held (the guard).
        unsafe { bindings::generic_write_checks(self.as_raw(), from.as_raw()) }
    }

    /// `kiocb_modified()`: strips setuid/setgid, updates mtime/ctime.
    pub(crate) fn modified(&self, _guard: &InodeGuard<'_>) -> Result {
        // SAFETY: live kiocb of this write; `i_rwsem` held (the guard).
        kernel::error::to_result(unsafe { bindings::kiocb_modified(self.as_raw()) })
    }
}

/// Whether the current task has a fatal signal pending (a long system call
/// gives up with `EINTR`).
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: reads the current task's signal state; no precondition.
    unsafe { ffi::rpc_fatal_signal_pending() }
}

/// A scheduling point in a long loop of a system call (`cond_resched()`).
/// Callers hold no spinlock and are not in an RCU read section (the
/// kernel's debug checks report it if they are).
pub(crate) fn cond_resched() {
    // SAFETY: no memory-safety precondition; sleeping in atomic context
    // is a bug the kernel reports, not undefined behaviour.
    unsafe { ffi::rpc_cond_resched() }
}

impl Inode {
    /// The number of links (`i_nlink`).
    pub(crate) fn nlink(&self) -> u32 {
        // SAFETY: live inode; a plain read, as the VFS's own readers do.
        unsafe { ffi::rpc_inode_nlink(self.as_raw()) }
    }

    /// The file type bits of `i_mode` (`S_IFMT`).
    pub(crate) fn file_type(&self) -> u32 {
        // SAFETY: live inode; the type bits never change after creation.
        u32::from(unsafe { (*self.as_raw()).i_mode }) & bindings::S_IFMT
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.file_type() == bindings::S_IFDIR
    }

    /// `inc_nlink()`; the caller holds the inode's `i_rwsem` or the VFS
    /// does for it (a directory gaining a subdirectory).
    pub(crate) fn inc_nlink(&self, _guard: &InodeGuard<'_>) {
        // SAFETY: live inode, its `i_rwsem` held.
        unsafe { bindings::inc_nlink(self.as_raw()) }
    }

    /// `drop_nlink()`; as for [`Self::inc_nlink`].
    pub(crate) fn drop_nlink(&self, _guard: &InodeGuard<'_>) {
        // SAFETY: live inode, its `i_rwsem` held; callers drop only links
        // that exist (rename over a directory, whose count is at least 2).
        unsafe { bindings::drop_nlink(self.as_raw()) }
    }
}

/// A dentry the VFS passed to a namespace operation (`struct dentry`).
///
/// # Invariants
///
/// The wrapped dentry is live, on this filesystem, for the callback.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<bindings::dentry>);

impl Dentry {
    /// # Safety
    ///
    /// `ptr` is a dentry of this filesystem that the VFS lends for the
    /// callback in which `'a` ends.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Dentry {
        // SAFETY: transparent wrapper; the contract gives the invariant.
        unsafe { &*ptr.cast::<Dentry>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// The inode of a positive dentry (`d_inode`), `None` if negative.
    pub(crate) fn inode(&self) -> Option<&Inode> {
        // SAFETY: live dentry; the VFS holds the parent's `i_rwsem`, so
        // `d_inode` cannot change during the callback, and a positive
        // dentry holds its inode.
        let inode = unsafe { (*self.as_raw()).d_inode };
        // SAFETY: as above, and the inode is one of this filesystem's.
        (!inode.is_null()).then(|| unsafe { Inode::from_raw(inode) })
    }

    /// The mounted instance the dentry belongs to.
    pub(crate) fn sb_info(&self) -> &SbInfo {
        // SAFETY: a live dentry of this filesystem is on a mounted
        // superblock of ours, whose `SbInfo` lives until `kill_sb` (after
        // its last dentry).
        unsafe { SbInfo::of((*self.as_raw()).d_sb) }
    }

    /// `simple_empty()`: a directory with no entries but `.` and `..`
    /// (true for anything that is not a directory with children).
    /// A new negative, unhashed dentry with this one's parent and name
    /// (`d_alloc()`), as a rename makes for a whiteout. The caller holds
    /// the parent's `i_rwsem`, which keeps parent and name as they are.
    pub(crate) fn alloc_same_name(&self) -> Result<OwnedDentry> {
        // SAFETY: a live dentry; its parent and name are stable (above).
        let d = unsafe { bindings::d_alloc((*self.as_raw()).d_parent, &raw const (*self.as_raw()).__bindgen_anon_1.d_name) };
        core::ptr::NonNull::new(d).map(OwnedDentry).ok_or(ENOMEM)
    }

    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: live dentry; `simple_empty` takes the locks it needs.
        unsafe { bindings::simple_empty(self.as_raw()) != 0 }
    }
}

/// A dentry reference of our own, put (`dput()`) when it drops.
pub(crate) struct OwnedDentry(core::ptr::NonNull<bindings::dentry>);

impl core::ops::Deref for OwnedDentry {
    type Target = Dentry;

    fn deref(&self) -> &Dentry {
        // SAFETY: we hold a reference, which keeps it live.
        unsafe { Dentry::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for OwnedDentry {
    fn drop(&mut self) {
        // SAFETY: the reference `d_alloc()` gave us, put once.
        unsafe { bindings::dput(self.0.as_ptr()) }
    }
}

/// An inode reference this code holds and has not handed over yet: a new
/// inode before it is published under a dentry. Dropping it is `iput()`.
pub(crate) struct NewInode(core::ptr::NonNull<bindings::inode>);

/// The idmap of the mount a namespace operation came through (`struct
/// mnt_idmap`, the VFS's own for an idmapped mount, `nop_mnt_idmap`
/// otherwise): a new inode's owner is the caller's fsuid/fsgid mapped
/// through it (`inode_init_owner`).
#[derive(Clone, Copy)]
pub(crate) struct Idmap<'a>(NonNull<bindings::mnt_idmap>, PhantomData<&'a bindings::mnt_idmap>);

impl Idmap<'_> {
    /// # Safety
    ///
    /// `ptr` is the idmap the VFS passed to the callback running, live for
    /// the callback (the VFS holds the mount).
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::mnt_idmap) -> Self {
        // SAFETY: the VFS never passes a null idmap (function contract).
        Idmap(unsafe { NonNull::new_unchecked(ptr) }, PhantomData)
    }

    fn as_raw(self) -> *mut bindings::mnt_idmap {
        self.0.as_ptr()
    }
}

/// Where a new inode goes: the root of a superblock being set up, or a
/// directory of a live one (reached through a mount with that idmap).
pub(crate) enum Parent<'a> {
    Root(&'a NewSuperBlock<'a>),
    Dir(&'a Inode, Idmap<'a>),
    /// None: an unlinked file (a driver's, fs/driver_api.rs) of the
    /// superblock of this dentry, the root of a mount the caller holds.
    Unlinked(&'a Dentry),
}

/// What a new inode is, with the operations this filesystem gives it.
pub(crate) enum InodeKind {
    /// A regular file: its data in the module's own page cache, in folios
    /// below 4 GiB if `dma32` (`gfp=dma32`).
    Regular {
        iops: &'static OpsTable<bindings::inode_operations>,
        fops: &'static OpsTable<bindings::file_operations>,
        dma32: bool,
    },
    /// A directory of `size` bytes, with "." as its second link.
    Dir {
        iops: &'static OpsTable<bindings::inode_operations>,
        fops: &'static OpsTable<bindings::file_operations>,
        size: i64,
    },
    /// A symlink, whose body [`NewInode::set_symlink`] sets.
    Symlink,
    /// A device, FIFO or socket (`init_special_inode()`).
    Special { iops: &'static OpsTable<bindings::inode_operations>, dev: bindings::dev_t },
}

impl NewInode {
    /// # Safety
    ///
    /// `ptr` is an inode of this filesystem on which the caller owns a
    /// reference, handed over to the result.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::inode) -> Self {
        // SAFETY: a live inode is not null.
        NewInode(unsafe { core::ptr::NonNull::new_unchecked(ptr) })
    }

    /// `new_inode()` with inode number `ino`, owner and mode from
    /// `inode_init_owner()` (the parent's setgid directory rules), current
    /// timestamps, the address space operations of its kind (helpers.c)
    /// and `kind`'s operations. `ENOMEM` if no inode could be had.
    pub(crate) fn create(parent: Parent<'_>, ino: u64, mode: u16, kind: InodeKind) -> Result<NewInode> {
        let nop = &raw mut bindings::nop_mnt_idmap;
        let (sb, dir, idmap) = match parent {
            Parent::Root(sb) => (sb.as_raw(), core::ptr::null_mut(), nop),
            // SAFETY: a live inode's superblock is live.
            Parent::Dir(dir, idmap) => (unsafe { (*dir.as_raw()).i_sb }, dir.as_raw(), idmap.as_raw()),
            // SAFETY: a live dentry's superblock is live.
            Parent::Unlinked(root) => (unsafe { (*root.as_raw()).d_sb }, core::ptr::null_mut(), nop),
        };
        // SAFETY: `sb` is a live superblock of ours (a `Parent` says so).
        let inode = unsafe { bindings::new_inode(sb) };
        if inode.is_null() {
            return Err(ENOMEM);
        }
        let (regular, dma32) = match kind {
            InodeKind::Regular { dma32, .. } => (true, dma32),
            _ => (false, false),
        };
        // SAFETY: `inode` is new, ours alone; `dir` is null or the live
        // parent directory; `idmap` is the VFS's, live for the call, or the
        // static `nop_mnt_idmap`; the operation tables are static.
        unsafe {
            (*inode).i_ino = ino;
            // A file handle names the inode by number and generation (helpers.c,
            // rpc_encode_fh): a reused number gets another generation, as in tmpfs.
            (*inode).i_generation = bindings::get_random_u32();
            bindings::inode_init_owner(idmap, inode, dir, mode);
            (*(*inode).i_mapping).a_ops = if regular { ffi::rpc_file_aops_ptr() } else { ffi::rpc_aops() };
            ffi::rpc_mapping_init((*inode).i_mapping, regular, dma32);
            bindings::simple_inode_init_ts(inode);
            // No ACL until `fs::xattr::acl_create` or `set_acl` gives one.
            ffi::rpc_cache_no_acl(inode);
            match kind {
                InodeKind::Regular { iops, fops, .. } => ffi::rpc_inode_set_ops(inode, iops.as_ptr(), fops.as_ptr()),
                InodeKind::Dir { iops, fops, size } => {
                    ffi::rpc_inode_set_ops(inode, iops.as_ptr(), fops.as_ptr());
                    bindings::inc_nlink(inode);
                    ffi::rpc_i_size_write(inode, size);
                }
                InodeKind::Symlink => {}
                InodeKind::Special { iops, dev } => {
                    bindings::init_special_inode(inode, mode, dev);
                    ffi::rpc_inode_set_ops(inode, iops.as_ptr(), core::ptr::null());
                }
            }
            // The reference `new_inode()` gave us.
            Ok(NewInode::from_raw(inode))
        }
    }

    /// The inode (we hold a reference).
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: an inode of ours, live while we hold the reference.
        unsafe { Inode::from_raw(self.0.as_ptr()) }
    }

    /// The ACLs of a new inode in `dir` (`simple_acl_create()`, in
    /// helpers.c): the directory's default ACL becomes its access ACL (and
    /// a subdirectory's default too), the mode narrowed to it; with none,
    /// the umask applies to the mode (fs/xattr.rs).
    pub(crate) fn inherit_acls(&self, dir: &Inode) -> Result {
        // SAFETY: `dir` is live; the inode is new and nobody else's yet.
        kernel::error::to_result(unsafe { ffi::rpc_acl_create(dir.as_raw(), self.0.as_ptr()) })
    }

    /// `security_inode_init_security()` for a new inode in `dir`, to be
    /// named by `dentry` (None: an O_TMPFILE inode, which has no name).
    pub(crate) fn init_security(&self, dir: &Inode, dentry: Option<&Dentry>) -> Result {
        let dentry = dentry.map_or(core::ptr::null_mut(), Dentry::as_raw);
        // SAFETY: a new inode nobody else can reach; `dir` the live parent,
        // `dentry` null or the negative dentry the inode is made for.
        kernel::error::to_result(unsafe { ffi::rpc_security_init(self.0.as_ptr(), dir.as_raw(), dentry) })
    }

    /// O_TMPFILE: the new inode becomes `file`'s with no name and no link
    /// (`d_tmpfile()`: nlink 1 → 0; the dentry takes our reference), and
    /// `file` is opened.
    pub(crate) fn open_tmpfile(self, file: &TmpFile<'_>) -> Result {
        let inode = self.into_raw();
        // SAFETY: `file`'s dentry is new and negative (type invariant); the new
        // regular inode's reference goes to that dentry whatever the result.
        kernel::error::to_result(unsafe { ffi::rpc_tmpfile_open(file.0.get(), inode) })
    }

    /// Makes the new inode a symlink to `target` (NUL included, at most a
    /// page): short targets inline in `i_link`, long ones in a page of the
    /// inode's own (generic) page cache, as tmpfs keeps them. `st_size` is
    /// the target's length without the NUL.
    /// `ops` are the inode operations of each kind: `.0` for an inline
    /// body (`get_link` = `simple_get_link`), `.1` for a page
    /// (`page_get_link`).
    pub(crate) fn set_symlink(
        &self,
        target: &CStr,
        inline_max: usize,
        ops: (&'static OpsTable<bindings::inode_operations>, &'static OpsTable<bindings::inode_operations>),
    ) -> Result {
        let len = target.to_bytes_with_nul().len();
        let inode = self.0.as_ptr();
        // SAFETY: a new inode nobody else can reach yet; `target` holds
        // `len` bytes.
        let err = unsafe {
            if len <= inline_max {
                ffi::rpc_inode_set_ops(inode, ops.0.as_ptr(), core::ptr::null());
                ffi::rpc_symlink_inline(inode, target.as_char_ptr(), len)
            } else {
                ffi::rpc_inode_set_ops(inode, ops.1.as_ptr(), core::ptr::null());
                // page_get_link() maps the page with folio_address(): no highmem.
                bindings::inode_nohighmem(inode);
                bindings::page_symlink(inode, target.as_char_ptr(), len as c_int)
            }
        };
        kernel::error::to_result(err)?;
        // SAFETY: as above: no other writer of `i_size` yet.
        unsafe { ffi::rpc_i_size_write(inode, len as i64 - 1) };
        Ok(())
    }

    /// Publishes the inode under `dentry` (`d_make_persistent()`, as ramfs
    /// and tmpfs): the dentry takes our reference, and the dcache keeps it.
    pub(crate) fn publish(self, dentry: &Dentry) {
        let inode = self.0.as_ptr();
        core::mem::forget(self);
        // SAFETY: `dentry` is the negative dentry the VFS is creating, its
        // parent locked; the reference we owned passes to it.
        unsafe { bindings::d_make_persistent(dentry.as_raw(), inode) };
    }

    /// Hands the reference back to C code that consumes it (`d_make_root()`).
    pub(crate) fn into_raw(self) -> *mut bindings::inode {
        let inode = self.0.as_ptr();
        core::mem::forget(self);
        inode
    }
}

impl Drop for NewInode {
    fn drop(&mut self) {
        // SAFETY: we own one reference (type invariant); `iput` may evict
        // the inode, which gives back what it was charged.
        unsafe { bindings::iput(self.0.as_ptr()) }
    }
}

/// The VFS's `simple_*` namespace helpers on typed arguments. Each is
/// called from a namespace operation, with the locks the VFS takes for it
/// (the parents' `i_rwsem`, the victims', the rename mutex) held.
pub(crate) mod simple {
    use super::{Dentry, Inode};
    use kernel::bindings;
    use kernel::error::{to_result, Result};

    /// `simple_link()`: `new` in `dir` becomes another name of `old`'s inode.
    pub(crate) fn link(old: &Dentry, dir: &Inode, new: &Dentry) -> Result {
        // SAFETY: live dentries and directory of a `link` callback.
        to_result(unsafe { bindings::simple_link(old.as_raw(), dir.as_raw(), new.as_raw()) })
    }

    /// `simple_unlink()`: drops the name and a link of its inode.
    pub(crate) fn unlink(dir: &Inode, dentry: &Dentry) -> Result {
        // SAFETY: live directory and positive dentry of an unlink.
        to_result(unsafe { bindings::simple_unlink(dir.as_raw(), dentry.as_raw()) })
    }

    /// `simple_rmdir()`: an empty directory goes.
    pub(crate) fn rmdir(dir: &Inode, dentry: &Dentry) -> Result {
        // SAFETY: live directory and positive dentry of an rmdir.
        to_result(unsafe { bindings::simple_rmdir(dir.as_raw(), dentry.as_raw()) })
    }

    /// `simple_rename_exchange()`: two names swap their inodes.
    pub(crate) fn rename_exchange(old_dir: &Inode, old: &Dentry, new_dir: &Inode, new: &Dentry) -> Result {
        // SAFETY: live arguments of a `rename` callback with
        // RENAME_EXCHANGE; both dentries are positive.
        to_result(unsafe {
            bindings::simple_rename_exchange(old_dir.as_raw(), old.as_raw(), new_dir.as_raw(), new.as_raw())
        })
    }

    /// `simple_rename_timestamp()`: ctime/mtime of a rename.
    pub(crate) fn rename_timestamp(old_dir: &Inode, old: &Dentry, new_dir: &Inode, new: &Dentry) {
        // SAFETY: live arguments of a `rename` callback.
        unsafe { bindings::simple_rename_timestamp(old_dir.as_raw(), old.as_raw(), new_dir.as_raw(), new.as_raw()) }
    }
}

/// An inode's `i_lock` (a leaf spinlock), held for the guard's lifetime.
pub(crate) struct ILockGuard<'a>(&'a Inode);

impl Inode {
    /// Takes `i_lock`. Nothing that sleeps may run until the guard drops.
    pub(crate) fn lock_i_lock(&self) -> ILockGuard<'_> {
        // SAFETY: live inode; `i_lock` is a leaf spinlock, and the guard's
        // holder takes no other lock under it.
        unsafe { ffi::rpc_inode_lock_blocks(self.as_raw()) };
        ILockGuard(self)
    }

    /// `truncate_inode_pages_final()`: the kernel's last sweep of the
    /// mapping at eviction (the module has removed its own folios first).
    pub(crate) fn truncate_pages_final(&self) {
        // SAFETY: live inode, being evicted (callers: `evict_inode`), so no
        // one else can add folios to its mapping.
        unsafe { bindings::truncate_inode_pages_final(&raw mut (*self.as_raw()).i_data) }
    }
}

impl ILockGuard<'_> {
    /// Sets `i_blocks` to `pages` pages' worth of 512-byte blocks, under
    /// `i_lock` as the VFS's `inode_add_bytes()` writes it.
    pub(crate) fn set_blocks(&self, pages: u64) {
        // SAFETY: live inode, `i_lock` held (the guard).
        unsafe { (*self.0.as_raw()).i_blocks = pages << (bindings::PAGE_SHIFT - 9) }
    }
}

impl Drop for ILockGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `lock_i_lock`.
        unsafe { ffi::rpc_inode_unlock_blocks(self.0.as_raw()) }
    }
}

impl Mapping {
    /// The number of pages in the mapping (`nrpages`), read once.
    pub(crate) fn nrpages(&self) -> u64 {
        // SAFETY: live mapping; a volatile read is READ_ONCE(), as the
        // kernel reads `nrpages` outside the XArray lock.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).nrpages) as u64 }
    }
}

/// A mounted superblock of this filesystem, live for `'a`: its
/// `fill_super` succeeded (so its [`SbInfo`] is set) and `kill_sb` has not
/// run (the VFS holds `s_umount` or an active reference for the call).
pub(crate) struct SuperBlock<'a>(&'a Opaque<bindings::super_block>);

impl<'a> SuperBlock<'a> {
    /// # Safety
    ///
    /// `sb` is a superblock of this filesystem that stays mounted for
    /// `'a` (the caller is a VFS callback holding `s_umount` on it, or
    /// holds an active reference).
    pub(crate) unsafe fn from_raw(sb: *mut bindings::super_block) -> Self {
        // SAFETY: function contract; `Opaque` is a transparent wrapper.
        SuperBlock(unsafe { &*sb.cast::<Opaque<bindings::super_block>>() })
    }

    /// The instance's state.
    pub(crate) fn info(&self) -> &'a SbInfo {
        // SAFETY: mounted, so `fill_super` set `s_fs_info`, which stays
        // until `kill_sb` (type invariant).
        unsafe { SbInfo::of(self.0.get()) }
    }

    /// Walks the regular inodes, each held by a reference while `f` runs
    /// on it (see `rpc_sb_for_each_regular` in helpers.c); stops at the
    /// first error.
    pub(crate) fn for_each_regular_inode(&self, mut f: impl FnMut(&Inode) -> Result) -> Result {
        struct Ctx<'a> {
            f: &'a mut dyn FnMut(&Inode) -> Result,
        }
        unsafe extern "C" fn cb(arg: *mut c_void, inode: *mut bindings::inode) -> c_int {
            // SAFETY: `arg` is the `Ctx` below, alive for the walk; `inode`
            // is a regular inode of ours on which the walk holds a reference.
            let (ctx, inode) = unsafe { (&mut *arg.cast::<Ctx<'_>>(), Inode::from_raw(inode)) };
            match (ctx.f)(inode) {
                Ok(()) => 0,
                Err(e) => e.to_errno(),
            }
        }
        let mut ctx = Ctx { f: &mut f };
        // SAFETY: the superblock is mounted for the call (type invariant);
        // `ctx` outlives the walk.
        let ret = unsafe { ffi::rpc_sb_for_each_regular(self.0.get(), Some(cb), (&raw mut ctx).cast()) };
        if ret != 0 { Err(Error::from_errno(ret)) } else { Ok(()) }
    }
}

/// The `fs_context` of a mount or remount being made, live for `'a` (the
/// VFS callback that got it).
pub(crate) struct FsContext<'a>(&'a Opaque<bindings::fs_context>);

impl<'a> FsContext<'a> {
    /// # Safety
    ///
    /// `fc` is the fs_context a VFS callback was called with, and `'a` ends
    /// with that call.
    pub(crate) unsafe fn from_raw(fc: *mut bindings::fs_context) -> Self {
        // SAFETY: function contract; `Opaque` is a transparent wrapper.
        FsContext(unsafe { &*fc.cast::<Opaque<bindings::fs_context>>() })
    }

    /// `fc->fs_private`: this filesystem's option set for the mount
    /// (fs/fs_context.rs).
    pub(crate) fn fs_private(&self) -> *mut c_void {
        // SAFETY: a live fs_context (type invariant); reads one field.
        unsafe { ffi::rpc_fc_private(self.0.get()) }
    }

    /// Logs a mount error in the fs_context (mount(8) and `dmesg` show it).
    pub(crate) fn log_error(&self, msg: &CStr) {
        // SAFETY: a live fs_context (type invariant); `msg` is a C string,
        // copied by the log.
        unsafe { ffi::rpc_fc_log_error(self.0.get(), msg.as_char_ptr()) }
    }
}

/// The file an O_TMPFILE open is making, as `inode_operations.tmpfile`
/// gets it: not yet open, its dentry new, unhashed and negative until
/// [`NewInode::open_tmpfile`] gives it an inode; live for `'a`.
pub(crate) struct TmpFile<'a>(&'a Opaque<bindings::file>);

impl<'a> TmpFile<'a> {
    /// # Safety
    ///
    /// `file` is the file a `tmpfile` callback was called with, and `'a`
    /// ends with that call.
    pub(crate) unsafe fn from_raw(file: *mut bindings::file) -> Self {
        // SAFETY: function contract; `Opaque` is a transparent wrapper.
        TmpFile(unsafe { &*file.cast::<Opaque<bindings::file>>() })
    }
}

/// A superblock being set up by `fill_super`: new, locked, and not yet
/// visible to anyone else, so its fields are ours to write.
pub(crate) struct NewSuperBlock<'a>(&'a Opaque<bindings::super_block>);

impl<'a> NewSuperBlock<'a> {
    /// # Safety
    ///
    /// `sb` is the new superblock `fill_super` was called with, and `'a`
    /// ends with that call.
    pub(crate) unsafe fn from_raw(sb: *mut bindings::super_block) -> Self {
        // SAFETY: function contract; `Opaque` is a transparent wrapper.
        NewSuperBlock(unsafe { &*sb.cast::<Opaque<bindings::super_block>>() })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// Installs the instance's state as `s_fs_info`, a reference of its own
    /// that `kill_sb` puts (`Arc::from_raw`).
    pub(crate) fn set_fs_info(&self, info: Arc<SbInfo>) -> &'a SbInfo {
        let info = Arc::into_raw(info);
        // SAFETY: the superblock is ours to write (type invariant). The
        // reference stored is put by `kill_sb` only, after the superblock's
        // last use, so the `SbInfo` lives as long as `'a`.
        unsafe {
            (*self.as_raw()).s_fs_info = info.cast_mut().cast();
            &*info
        }
    }

    /// The instance's device number (an anonymous one, `st_dev`), set
    /// before `fill_super`.
    pub(crate) fn dev(&self) -> bindings::dev_t {
        // SAFETY: the superblock is ours (type invariant); `s_dev` is not
        // written any more once `fill_super` runs.
        unsafe { (*self.as_raw()).s_dev }
    }

    /// The instance's geometry and operations: file size limit, block
    /// size (`1 << blocksize_bits`), `statfs` magic, timestamp granularity.
    pub(crate) fn set_params(
        &self,
        maxbytes: i64,
        blocksize_bits: u32,
        magic: c_ulong,
        time_gran: u32,
        ops: &'static OpsTable<bindings::super_operations>,
    ) {
        // SAFETY: a new superblock, ours to write (type invariant).
        unsafe {
            let sb = self.as_raw();
            (*sb).s_maxbytes = maxbytes;
            (*sb).s_blocksize = 1 << blocksize_bits;
            (*sb).s_blocksize_bits = blocksize_bits as u8;
            (*sb).s_magic = magic;
            (*sb).s_op = ops.as_ptr();
            (*sb).s_time_gran = time_gran;
        }
    }

    /// The handlers of extended attributes (`s_xattr`) and `SB_POSIXACL`.
    pub(crate) fn set_xattr_handlers(&self, handlers: &'static OpsTable<[*const bindings::xattr_handler; 4]>) {
        // SAFETY: a new superblock, ours to write; the table is static.
        unsafe { ffi::rpc_sb_set_xattr(self.as_raw(), handlers.0.as_ptr()) }
    }

    /// tmpfs's export operations (helpers.c): file handles for NFS export
    /// and `name_to_handle_at()`/`open_by_handle_at()`.
    pub(crate) fn set_export_ops(&self) {
        // SAFETY: a new superblock, ours to write; the table is static C.
        unsafe { ffi::rpc_sb_set_export_ops(self.as_raw()) }
    }

    /// `SB_NOSEC`: the VFS may cache "nothing to strip" on inodes
    /// (`S_NOSEC`), so writes skip `file_remove_privs()`'s checks.
    pub(crate) fn set_nosec(&self) {
        // SAFETY: a new superblock, ours to write.
        unsafe { ffi::rpc_sb_set_nosec(self.as_raw()) }
    }

    /// `d_make_root()`: the root dentry of `inode`, which it consumes (also
    /// on failure).
    pub(crate) fn set_root(&self, inode: NewInode) -> Result {
        // SAFETY: a new superblock, ours to write; `d_make_root` takes over
        // the inode reference whatever it returns.
        unsafe {
            let root = bindings::d_make_root(inode.into_raw());
            (*self.as_raw()).s_root = root;
            if root.is_null() {
                return Err(ENOMEM);
            }
        }
        Ok(())
    }
}

impl NewInode {
    /// Sets the owner of a new inode (the root's `uid=`/`gid=`).
    pub(crate) fn set_owner(&self, uid: u32, gid: u32) {
        // SAFETY: a new inode nobody else can reach yet.
        unsafe {
            (*self.0.as_ptr()).i_uid = bindings::kuid_t { val: uid };
            (*self.0.as_ptr()).i_gid = bindings::kgid_t { val: gid };
        }
    }
}
