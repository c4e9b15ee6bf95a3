// SPDX-License-Identifier: GPL-2.0

//! Inodes: the module's own inode type ([`RpcInode`]) in its own slab cache,
//! creation with inode accounting (`nr_inodes=`), block accounting of file
//! data (`size=`), and eviction.
//!
//! Accounting follows `mm/shmem.c`: a page is charged to the superblock
//! before it enters the page cache and `alloced` counts the charged pages of
//! an inode (`i_blocks` mirrors it). Regular files charge and give back
//! explicitly ([`charge`], [`uncharge`]) as the module's page cache inserts
//! and removes folios. Long symlinks use the generic page cache
//! (`rpc_write_begin` charges); when an inode goes, [`recalc`] gives back
//! `alloced - nrpages` (`shmem_recalc_inode`), which also covers a regular
//! file's page that the kernel removed behind our back (memory failure).

use crate::fs::dir;
use crate::glue::ffi::{self, OpsTable};
use crate::fs::file::{self, FallocProgress};
use crate::fs::options::Zones;
use crate::fs::fileattr::{self, FsFlags};
use crate::fs::xattr::{self, Xattrs};
use crate::fs::super_block::SbInfo;
use crate::glue::folio::LockedFolio;
use crate::glue::inode_slab::InodeSlab;
use crate::glue::reclaim::TrackSlot;
use crate::glue::memcg::{current_memcg_key, folio_memcg_key};
use crate::glue::vfs::{Dentry, Idmap, Inode, InodeKind, NewInode, NewSuperBlock, Parent};
use crate::glue::xarray::SwapIndex;
use crate::swap::readahead::Readahead;
use core::sync::atomic::{AtomicI64, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// tmpfs's bogus directory entry size: a directory's `i_size` is
/// `2 * BOGO_DIRENT_SIZE` plus this per entry (`BOGO_DIRENT_SIZE` in shmem).
pub(crate) const BOGO_DIRENT_SIZE: i64 = 20;

/// The module's part of an inode of this filesystem, behind the VFS inode
/// in the same slab object ([`InodeWith`], glue/inode_slab.rs).
#[pin_data]
pub(crate) struct RpcInode {
    /// Pages of file data charged to the superblock for this inode: those
    /// in its page cache and those in swap.
    alloced: AtomicU64,
    /// Swap records of a regular file: page index → slot, or "unwritten"
    /// (swap/).
    #[pin]
    pub(crate) swap: SwapIndex,
    /// Records in `swap` of pages out of the cache (`Slot`, `Unwritten`):
    /// pages of this file swapped out now. Readers that find a hole look
    /// at the index only when this is not zero.
    pub(crate) swapped: AtomicU64,
    /// `Copy` records in `swap`: cached pages whose slot still holds their
    /// data (swap/swap_in.rs). They keep no block of their own.
    pub(crate) copies: AtomicU64,
    /// Where swap-out's clock hand stands in this file (a page index).
    pub(crate) swap_hand: AtomicU64,
    /// The window of this file's swap read-around (swap/readahead.rs).
    pub(crate) readahead: Readahead,
    /// The range of the `fallocate` running on this file, if one is, and
    /// how much of it swap-out took back (fs/file.rs, swap/out.rs).
    pub(crate) falloc: FallocProgress,
    /// A regular file's track on its superblock's reclaim list (null for
    /// other inodes and until it is added).
    track: TrackSlot,
    /// The memcg whose list `track` is on, as a key to compare (see
    /// [`follow_memcg`]); never dereferenced.
    track_memcg: AtomicPtr<c_void>,
    /// Extended attributes (fs/xattr.rs).
    #[pin]
    pub(crate) xattrs: Xattrs,
    /// `chattr` flags (fs/fileattr.rs).
    pub(crate) fsflags: FsFlags,
    /// Birth time (`statx` `STATX_BTIME`), set once when the inode is made.
    crtime: (AtomicI64, AtomicU32),
}

/// The slab cache of the filesystem's inodes, set while the module is loaded.
pub(crate) static INODES: InodeSlab<RpcInode> = InodeSlab::new();

impl RpcInode {
    /// A new inode's data (`alloc_inode`).
    fn new() -> impl PinInit<Self> {
        pin_init!(RpcInode {
            alloced: AtomicU64::new(0),
            swap <- SwapIndex::new(),
            swapped: AtomicU64::new(0),
            copies: AtomicU64::new(0),
            swap_hand: AtomicU64::new(0),
            readahead: Readahead::new(),
            falloc: FallocProgress::new(),
            track: TrackSlot::new(),
            track_memcg: AtomicPtr::new(core::ptr::null_mut()),
            xattrs <- Xattrs::new(),
            fsflags: FsFlags::new(),
            crtime: (AtomicI64::new(0), AtomicU32::new(0)),
        })
    }

    /// Records that one newly cached page of this inode (a long symlink's
    /// body, through `rpc_write_begin`) has been charged.
    pub(crate) fn charged_one(&self) {
        self.alloced.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sets the charged page count of `inode` to `f(old)` and `i_blocks` to
/// match, both under `i_lock`; returns the old count.
///
/// Computing and storing under one lock keeps `st_blocks` exact when two
/// tasks charge at once (a write beside a fault, or two faults on
/// different holes, which hold `invalidate_lock` only shared): with the
/// count taken from the atomic and stored later, the two stores could land
/// in the wrong order and leave a stale `i_blocks` behind.
fn update_alloced(inode: &Inode, f: impl FnOnce(u64) -> u64) -> u64 {
    let rpc = inode.rpc();
    let i_lock = inode.lock_i_lock();
    let old = rpc.alloced.load(Ordering::Relaxed);
    let now = f(old);
    rpc.alloced.store(now, Ordering::Relaxed);
    i_lock.set_blocks(now);
    old
}

/// Charges `pages` new pages of file data of `inode` to its superblock
/// (`ENOSPC` past `size=`) and to the inode (`i_blocks`).
pub(crate) fn charge(inode: &Inode, pages: u64) -> Result {
    inode.sb_info().take_blocks(pages)?;
    update_alloced(inode, |a| a + pages);
    Ok(())
}

/// Gives back `pages` pages of `inode` that left its page cache (they
/// were charged by [`charge`]).
pub(crate) fn uncharge(inode: &Inode, pages: u64) {
    if pages == 0 {
        return;
    }
    update_alloced(inode, |a| a - pages);
    inode.sb_info().put_blocks(pages);
}

/// `super_operations.alloc_inode`.
pub(crate) unsafe extern "C" fn alloc_inode(sb: *mut bindings::super_block) -> *mut bindings::inode {
    // SAFETY: the VFS passes a live superblock of ours.
    unsafe { INODES.alloc(sb, RpcInode::new()) }
}

/// Keeps a regular file reachable by the reclaim of the memcg its pages are
/// charged to. The track goes on the creator's list (`new_inode`), but the
/// pages are charged to whoever brings them in: a file made by a shell in
/// the root cgroup and filled by a job in a memcg at its `memory.max` would
/// be out of that memcg's reach (its reclaim walks only its own lists), and
/// the job would be OOM-killed where tmpfs swaps. So each caller that added
/// a folio to the cache (write, fault, swap-in) calls this with it, still
/// locked: when the folio is charged elsewhere than the track's memcg, the
/// file gets a new track on that memcg's list and the old one goes. A
/// pointer compare when nothing moves; a file written from two memcgs in
/// turn moves at each switch, and is on one list at a time (the one that
/// charged last). Callers hold a reference on the inode, so eviction (which
/// takes the track for good) cannot run meanwhile; two callers at once each
/// swap in their own new track and delete the one they took out.
pub(crate) fn follow_memcg(inode: &Inode, folio: &LockedFolio) {
    let rpc = inode.rpc();
    let key = folio_memcg_key(folio);
    if key.is_null() || key == rpc.track_memcg.load(Ordering::Relaxed) || !rpc.track.is_set() {
        return;
    }
    let list = inode.sb_info().reclaim_list();
    let Some(new) = list.add_like(inode, folio) else {
        return;
    };
    rpc.track_memcg.store(key, Ordering::Relaxed);
    if let Some(old) = rpc.track.swap(Some(new)) {
        list.del(old);
    }
    inode.sb_info().stats().track_moved();
}

/// `super_operations.free_inode` (after an RCU grace period).
pub(crate) unsafe extern "C" fn free_inode(inode: *mut bindings::inode) {
    // SAFETY: the VFS is done with `inode`; it was made by `alloc_inode`
    // and its symlink body (if any) is no longer reachable by RCU walkers.
    unsafe {
        ffi::rpc_inode_free_link(inode);
        INODES.free(inode);
    }
}

/// Gives back the blocks of pages that left the cache (`shmem_recalc_inode`):
/// `inode`'s page cache can only shrink meanwhile (the caller holds
/// `i_rwsem`, or the inode is being evicted).
fn recalc(inode: &Inode) {
    // Swapped pages keep their blocks (as shmem's `info->swapped`).
    let cached = inode.mapping().nrpages() + inode.rpc().swapped.load(Ordering::Acquire);
    let old = update_alloced(inode, |a| a.min(cached));
    if old > cached {
        inode.sb_info().put_blocks(old - cached);
    }
}

/// `super_operations.evict_inode`.
pub(crate) unsafe extern "C" fn evict_inode(inode: *mut bindings::inode) {
    // SAFETY: the VFS evicts an inode of ours, exclusively: nobody else
    // can reach it, and its superblock is live.
    evict(unsafe { Inode::from_raw(inode) });
    // SAFETY: as above; the inode is not used after this. A file of the
    // internal mount (`rpc_file_setup()`, helpers.c) is counted off it.
    unsafe {
        bindings::clear_inode(inode);
        ffi::rpc_evicted(inode);
    }
}

fn evict(inode: &Inode) {
    if inode.file_type() == bindings::S_IFREG {
        // The module's own cache first (gives the blocks back); the generic
        // call then only finishes the mapping off.
        file::evict_data(inode);
    }
    inode.truncate_pages_final();
    recalc(inode);
    let rpc = inode.rpc();
    if let Some(track) = rpc.track.swap(None) {
        inode.sb_info().reclaim_list().del(track);
    }
    rpc.swap.destroy();
    inode.sb_info().put_ispace(rpc.xattrs.clear());
    // One inode, plus the hard links still charged: an inode evicted at
    // unmount may still have several names.
    let links = if inode.is_dir() { 1 } else { inode.nlink().max(1) };
    for _ in 0..links {
        inode.sb_info().put_inode();
    }
}

/// Makes the root directory of a new superblock, charged against `nr_inodes=`.
pub(crate) fn new_root(sb: &NewSuperBlock<'_>, info: &SbInfo, mode: u16) -> Result<NewInode> {
    new_inode(info, Parent::Root(sb), mode, 0)
}

/// Makes a new inode in directory `dir` (reached through a mount with
/// `idmap`: the owner is mapped through it), charged against `nr_inodes=`,
/// with the flags and ACLs it inherits from `dir` (or the umask: see
/// fs/xattr.rs).
pub(crate) fn new_in_dir(dir: &Inode, idmap: Idmap<'_>, mode: u16, dev: bindings::dev_t) -> Result<NewInode> {
    let new = new_inode(dir.sb_info(), Parent::Dir(dir, idmap), mode, dev)?;
    fileattr::inherit(dir, new.inode());
    // On failure, dropping `new` puts it (and eviction uncharges it).
    new.inherit_acls(dir)?;
    Ok(new)
}

/// Makes an unlinked regular file on the superblock of `root` (a
/// driver's: fs/driver_api.rs), charged against `nr_inodes=`.
pub(crate) fn new_unlinked(root: &Dentry, mode: u16) -> Result<NewInode> {
    new_inode(root.sb_info(), Parent::Unlinked(root), bindings::S_IFREG as u16 | mode, 0)
}

/// Makes a new inode, charged against `nr_inodes=` (`shmem_get_inode`).
fn new_inode(info: &SbInfo, parent: Parent<'_>, mode: u16, dev: bindings::dev_t) -> Result<NewInode> {
    let kind = match u32::from(mode) & bindings::S_IFMT {
        bindings::S_IFREG => InodeKind::Regular {
            iops: &file::INODE_OPS,
            fops: &file::FILE_OPS,
            dma32: info.zones() == Zones::Dma32,
        },
        // tmpfs's directory size starts at 2 entries.
        bindings::S_IFDIR => InodeKind::Dir {
            iops: &dir::DIR_INODE_OPS,
            fops: &dir::DIR_FILE_OPS,
            size: 2 * BOGO_DIRENT_SIZE,
        },
        // The body (inline or page) is set by `dir::symlink`.
        bindings::S_IFLNK => InodeKind::Symlink,
        _ => InodeKind::Special { iops: &SPECIAL_INODE_OPS, dev },
    };
    let regular = matches!(kind, InodeKind::Regular { .. });
    let ino = info.take_new_inode()?;
    let new = NewInode::create(parent, ino, mode, kind).inspect_err(|_| info.put_inode())?;
    // Born when first modified: now (as tmpfs's `i_crtime`).
    let (sec, nsec) = new.inode().mtime();
    new.inode().rpc().crtime.0.store(sec, Ordering::Relaxed);
    new.inode().rpc().crtime.1.store(nsec, Ordering::Relaxed);
    // From here on, eviction gives the inode back (see `evict_inode`), also
    // when an error below drops `new`.
    if regular {
        // On the reclaim list of the creating task's memcg (swap/out.rs),
        // until pages charged elsewhere move it (`follow_memcg`).
        let inode = new.inode();
        let track = info.reclaim_list().add(inode)?;
        let rpc = inode.rpc();
        rpc.track_memcg.store(current_memcg_key(), Ordering::Relaxed);
        // Empty until now (a new inode): nothing comes back.
        let none = rpc.track.swap(Some(track));
        kernel::warn_on!(none.is_some());
    }
    Ok(new)
}

/// `setattr` for inodes other than regular files (see `file::setattr`):
/// the VFS's `simple_setattr`, then give back the blocks a truncate freed.
pub(crate) unsafe extern "C" fn setattr(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: VFS callback arguments: a positive dentry of ours, whose
    // inode's `i_rwsem` the VFS holds.
    unsafe {
        let ret = bindings::simple_setattr(idmap, dentry, attr);
        if ret != 0 {
            return ret;
        }
        if (*attr).ia_valid & bindings::ATTR_SIZE != 0 {
            recalc(Inode::from_raw((*dentry).d_inode));
        }
        xattr::acl_chmod(idmap, dentry, attr)
    }
}

/// `inode_operations.getattr` of every inode (`shmem_getattr()`): the
/// `chattr` flags as statx attributes, the birth time, and `st_blocks`
/// from `i_blocks` for regular files (pages in the cache and in swap,
/// kept exact by [`charge`]/[`uncharge`]), from the pages cached for the
/// others (a long symlink's page, as `simple_getattr()`).
pub(crate) unsafe extern "C" fn getattr(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    request_mask: u32,
    _query_flags: c_uint,
) -> c_int {
    // SAFETY: VFS callback arguments: a path to an inode of ours (held by
    // the path's dentry) and the caller's `kstat`, for the call.
    let (inode, stat) = unsafe { (Inode::from_raw((*(*path).dentry).d_inode), &mut *stat) };
    let rpc = inode.rpc();
    let (attributes, mask) = fileattr::statx_attributes(rpc.fsflags.get());
    stat.attributes |= attributes;
    stat.attributes_mask |= mask;
    // SAFETY: as above; `generic_fillattr` reads the inode under no lock,
    // as for every file system.
    unsafe { bindings::generic_fillattr(idmap, request_mask, inode.as_raw(), stat) };
    if inode.file_type() != bindings::S_IFREG {
        stat.blocks = inode.mapping().nrpages() << (bindings::PAGE_SHIFT - 9);
    }
    if request_mask & bindings::STATX_BTIME != 0 {
        stat.result_mask |= bindings::STATX_BTIME;
        stat.btime.tv_sec = rpc.crtime.0.load(Ordering::Relaxed);
        stat.btime.tv_nsec = rpc.crtime.1.load(Ordering::Relaxed) as c_long;
    }
    0
}

static SPECIAL_INODE_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    setattr: Some(setattr),
    getattr: Some(getattr),
    listxattr: xattr::LISTXATTR,
    set_acl: xattr::SET_ACL,
    // SAFETY: all-zero is a valid `inode_operations` (every callback absent).
    ..unsafe { core::mem::zeroed() }
});
