// SPDX-License-Identifier: GPL-2.0

//! One mounted instance: its limits and usage ([`SbInfo`]), its swap area
//! and the shrinker that swaps out to it, `fill_super`, remount, `statfs`,
//! `show_options` and `kill_sb`.
//!
//! Lock order: `SbInfo::usage` and `SbInfo::swap` are leaf spinlocks; they
//! are taken under the VFS locks (`i_rwsem`, `s_umount`) and never the other
//! way round.
//!
//! Teardown order (`kill_sb`): the shrinker goes first (freeing it waits
//! for scans in progress, which hold inode references), then the inodes
//! (each eviction frees its swap slots and takes its track off the reclaim
//! list), then the list, then the `SbInfo` with the swap area.

use crate::cache::stats::{Stats, StatsDir, StatsPlace};
use crate::fs::fs_context::options;
use crate::fs::inode;
use crate::fs::options::{Machine, MountOptions, SwapOption, Usage, Zones, DEFAULT_MODE};
use crate::glue::ffi::{self, OpsTable};
use crate::glue::reclaim::{ListLru, Shrinker};
use crate::glue::vfs::{Dentry, FsContext, NewSuperBlock, SuperBlock};
use crate::swap::area::{SwapArea, SwapError};
use crate::swap::swapoff;
use kernel::bindings;
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::seq_file::{seq_print, SeqFile};
use kernel::str::BStr;
use kernel::sync::{Arc, SpinLock};

/// `statfs` magic: "RPC1".
pub(crate) const RPC_MAGIC: c_long = 0x5250_4331;

/// Per-superblock state, in `sb->s_fs_info`.
#[pin_data]
pub(crate) struct SbInfo {
    /// Limits and what is used of them.
    #[pin]
    usage: SpinLock<Usage>,
    /// Page-cache statistics, in their debugfs folder (which points into
    /// them: pinned).
    #[pin]
    stats: StatsDir,
    /// The swap area, while the mount has one (swap/area.rs).
    #[pin]
    swap: SpinLock<Option<Arc<SwapArea>>>,
    /// The mount's regular files, on the lists of the memcgs their pages
    /// are charged to (`inode::follow_memcg`), for the shrinker (glue/reclaim.rs, swap/out.rs).
    #[pin]
    lru: ListLru,
    /// The shrinker that drives swap-out (set by `fill_super` once it has
    /// started it on this `SbInfo`; taken by `kill_sb`, which breaks the
    /// reference cycle: the shrinker holds an `Arc` of this `SbInfo`).
    #[pin]
    shrinker: SpinLock<Option<Shrinker<SbInfo>>>,
    /// The options the instance was mounted with (for `show_options`).
    mode: u16,
    uid: u32,
    gid: u32,
    /// `gfp=`: the zones the regular files' folios may come from, fixed
    /// for the life of the mount (every new file's mapping gfp).
    zones: Zones,
}

/// The machine, as the option parser needs it.
pub(crate) fn machine() -> Machine {
    let pages = ffi::rpc_totalram_pages();
    Machine { totalram_pages: pages as u64, page_shift: bindings::PAGE_SHIFT }
}

impl SbInfo {
    /// The `SbInfo` of a superblock of this filesystem.
    ///
    /// # Safety
    ///
    /// `sb` is a live superblock of this filesystem whose `fill_super` has
    /// succeeded (so `s_fs_info` is set) and which `kill_sb` has not freed.
    pub(crate) unsafe fn of<'a>(sb: *const bindings::super_block) -> &'a SbInfo {
        // SAFETY: per the contract `s_fs_info` points to the `SbInfo` set by
        // `rpc_fill_super`, which lives until `rpc_kill_sb`.
        unsafe { &*(*sb).s_fs_info.cast::<SbInfo>() }
    }

    /// Accounts `n` new pages of file data; `ENOSPC` past `size=`.
    pub(crate) fn take_blocks(&self, n: u64) -> Result {
        if self.usage.lock().take_blocks(n) { Ok(()) } else { Err(ENOSPC) }
    }

    /// Gives back `n` pages of file data.
    pub(crate) fn put_blocks(&self, n: u64) {
        self.usage.lock().put_blocks(n);
    }

    /// Accounts one inode (or hard link); `ENOSPC` past `nr_inodes=`.
    pub(crate) fn take_inode(&self) -> Result {
        if self.usage.lock().take_inode() { Ok(()) } else { Err(ENOSPC) }
    }

    /// Gives back one inode (or hard link).
    pub(crate) fn put_inode(&self) {
        self.usage.lock().put_inode();
    }

    /// Takes one inode of the budget and gives it its number, under one
    /// lock: the mount's own numbers, from 1 up (`inode32`/`inode64`).
    pub(crate) fn take_new_inode(&self) -> Result<u64> {
        let (ino, wrapped) = {
            let mut usage = self.usage.lock();
            if !usage.take_inode() {
                return Err(ENOSPC);
            }
            usage.next_ino()
        };
        if wrapped {
            pr_warn!("inode number overflow on a mount, consider using the inode64 mount option\n");
        }
        Ok(ino)
    }

    /// Takes `bytes` of the inode budget for an extended attribute
    /// (fs/xattr.rs); `ENOSPC` past `nr_inodes=`.
    pub(crate) fn take_ispace(&self, bytes: u64) -> Result {
        if self.usage.lock().take_ispace(bytes) { Ok(()) } else { Err(ENOSPC) }
    }

    /// Gives back what [`Self::take_ispace`] took.
    pub(crate) fn put_ispace(&self, bytes: u64) {
        if bytes != 0 {
            self.usage.lock().put_ispace(bytes);
        }
    }

    /// `gfp=`: where the folios of the mount's regular files may come from.
    pub(crate) fn zones(&self) -> Zones {
        self.zones
    }

    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The swap area, with a reference of the caller's own.
    pub(crate) fn swap_area(&self) -> Option<Arc<SwapArea>> {
        self.swap.lock().clone()
    }

    pub(crate) fn set_swap_area(&self, area: Option<Arc<SwapArea>>) {
        // The old one (if any) is put outside the spinlock: the last
        // reference closes the device, which may sleep.
        let old = core::mem::replace(&mut *self.swap.lock(), area);
        drop(old);
    }

    /// The reclaim list of the mount's regular files.
    pub(crate) fn reclaim_list(&self) -> &ListLru {
        &self.lru
    }

    fn snapshot(&self) -> Usage {
        *self.usage.lock()
    }
}

/// `fill_super` (called by `get_tree_nodev()` in `helpers.c`).
///
/// # Safety
///
/// Called by the VFS with a new, locked superblock and this filesystem's
/// fs_context.
#[no_mangle]
unsafe extern "C" fn rpc_fill_super(sb: *mut bindings::super_block, fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `sb` is the new superblock and `fc` this filesystem's
    // fs_context, both for the call; so `fc`'s private data is the
    // `MountOptions` of `rpc_fc_alloc`, used by nobody else meanwhile.
    let (sb, fc) = unsafe { (NewSuperBlock::from_raw(sb), FsContext::from_raw(fc)) };
    // SAFETY: as just said.
    let opts = unsafe { *options(fc.fs_private()) };
    match fill_super(&sb, opts, &fc) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

fn fill_super(sb: &NewSuperBlock<'_>, opts: MountOptions, fc: &FsContext<'_>) -> Result {
    let m = machine();
    let zones = opts.gfp.unwrap_or_default();
    if zones == Zones::Dma32 && !ffi::rpc_has_zone_dma32() {
        fc.log_error(c"gfp=dma32: this kernel has no ZONE_DMA32 (CONFIG_ZONE_DMA32 is off)");
        return Err(EINVAL);
    }
    let usage = Usage {
        max_blocks: opts.blocks.unwrap_or_else(|| m.default_max_blocks()),
        max_inodes: opts.inodes.unwrap_or_else(|| m.default_max_inodes()),
        inode64: opts.inode64.unwrap_or(false),
        ..Usage::default()
    };
    // The shrinker first: the list is tied to it (its id).
    let mut shrinker = Shrinker::new(c"rust_pagecache")?;
    let lru = ListLru::new(&shrinker);
    let place = StatsPlace::new(sb.dev())?;
    let owned = Arc::pin_init(
        try_pin_init!(SbInfo {
            usage <- new_spinlock!(usage, "rust_pagecache::SbInfo::usage"),
            stats <- place.stats(),
            swap <- new_spinlock!(None, "rust_pagecache::SbInfo::swap"),
            lru <- lru,
            shrinker <- new_spinlock!(None, "rust_pagecache::SbInfo::shrinker"),
            mode: opts.mode.unwrap_or(DEFAULT_MODE),
            // As tmpfs: the mounter owns the root unless told otherwise
            // (root in the initial namespace: 0; a user namespace's root:
            // its own id outside, so it can use the mount).
            uid: opts.uid.unwrap_or_else(|| ffi::rpc_current_fsuid()),
            gid: opts.gid.unwrap_or_else(|| ffi::rpc_current_fsgid()),
            zones,
        }),
        GFP_KERNEL,
    )?;
    // From here on `kill_sb` puts the `SbInfo`, also if this fails.
    let info = sb.set_fs_info(owned.clone());
    // MAX_LFS_FILESIZE on 64-bit; page-sized blocks, nanosecond times.
    sb.set_params(i64::MAX, bindings::PAGE_SHIFT, RPC_MAGIC as c_ulong, 1, &SUPER_OPS);
    // As tmpfs: once a write found nothing to strip (no setuid/setgid, no
    // `security.capability`), the VFS marks the inode S_NOSEC and later
    // writes skip file_remove_privs()'s checks. `setattr_copy()` (our
    // setattr) clears the mark when a mode gains setuid/setgid, and the
    // VFS when a `security.` attribute is set (`__vfs_setxattr_noperm()`).
    sb.set_nosec();
    // Extended attributes and POSIX ACLs (SB_POSIXACL), as tmpfs's.
    sb.set_xattr_handlers(&crate::fs::xattr::HANDLERS);
    // File handles as tmpfs's (NFS export, open_by_handle_at): fstests'
    // generic/426, 467 and 477 need them.
    sb.set_export_ops();
    // Reclaim: the swap area, then the shrinker that writes to it.
    if let Some(SwapOption::Device(path)) = opts.swap {
        if let Err(e) = swapoff::swapon(info, &path) {
            fc.log_error(e.msg);
            return Err(e.errno);
        }
    }
    shrinker.start(owned);
    *info.shrinker.lock() = Some(shrinker);
    let root = inode::new_root(sb, info, bindings::S_IFDIR as u16 | info.mode)?;
    root.set_owner(info.uid, info.gid);
    sb.set_root(root)
}

/// `reconfigure`: returns 0 or a negative errno, with `*msg` set to the
/// message for the mount log (null: none). `gfp=` and the limits are
/// checked first, then swap is switched on or off, then the limits are
/// applied: a refused remount changes nothing.
///
/// # Safety
///
/// `sb` is a mounted superblock of this filesystem, `ctx` the remount's
/// `fs_private`, `msg` writable; the VFS holds `s_umount`.
#[no_mangle]
unsafe extern "C" fn rpc_reconfigure(sb: *mut bindings::super_block, ctx: *mut c_void, msg: *mut *const c_char) -> c_int {
    // SAFETY: `sb` is a mounted superblock of ours, `s_umount` held, and
    // `ctx` this remount's `fs_private`, both per the contract.
    let (sb, opts) = unsafe { (SuperBlock::from_raw(sb), *options(ctx)) };
    let (ret, m) = match reconfigure(&sb, &opts) {
        Ok(()) => (0, core::ptr::null()),
        Err(e) => (e.errno.to_errno(), e.msg.as_char_ptr()),
    };
    // SAFETY: `msg` is the caller's (contract).
    unsafe { *msg = m };
    ret
}

fn reconfigure(sb: &SuperBlock<'_>, opts: &MountOptions) -> core::result::Result<(), SwapError> {
    let info = sb.info();
    let refused = |e: crate::fs::options::RemountError| SwapError {
        errno: EINVAL,
        // The messages of options.rs are NUL-terminated.
        msg: CStr::from_bytes_with_nul(e.message()).unwrap_or(c"bad remount"),
    };
    opts.check_fixed(info.zones).map_err(refused)?;
    // A dry run on a copy: refused limits must not leave swap switched.
    let mut usage = *info.usage.lock();
    usage.reconfigure(opts).map_err(refused)?;
    match opts.swap {
        Some(SwapOption::Off) => swapoff::swapoff(info, sb)?,
        Some(SwapOption::Device(path)) => match info.swap_area() {
            Some(area) if area.path() == &path => {}
            Some(_) => {
                return Err(SwapError {
                    errno: EBUSY,
                    msg: c"swap: the mount has a swap area already (remount with noswap first)",
                })
            }
            None => swapoff::swapon(info, &path)?,
        },
        None => {}
    }
    info.usage.lock().reconfigure(opts).map_err(refused)
}

/// `kill_sb`: shut the instance down, then free its `SbInfo`.
///
/// # Safety
///
/// Called once by the VFS for a superblock of this filesystem.
#[no_mangle]
unsafe extern "C" fn rpc_kill_sb(sb: *mut bindings::super_block) {
    // SAFETY: `sb` is valid for the whole call.
    let info = unsafe { (*sb).s_fs_info.cast::<SbInfo>().cast_const() };
    if !info.is_null() {
        // First the shrinker: freeing it waits for scans in progress (they
        // hold inode references), and puts its reference on the `SbInfo`.
        // SAFETY: `info` is the superblock's reference, put below.
        let shrinker = unsafe { (*info).shrinker.lock().take() };
        drop(shrinker);
    }
    // Evicts every inode (each gives its blocks and inode back to `info`
    // and takes its track off the reclaim list), so `info` must outlive it.
    // SAFETY: `sb` is an anonymous-device superblock set up by get_tree_nodev.
    unsafe { bindings::kill_anon_super(sb) };
    if !info.is_null() {
        // SAFETY: `s_fs_info` holds the reference `set_fs_info` made of an
        // `Arc` (`Arc::into_raw`); the superblock is gone, so nothing else
        // uses it through `sb` any more.
        let info = unsafe { Arc::from_raw(info) };
        // Every inode has been evicted: anything still charged is a leak in
        // the accounting, reported as a kernel WARNING (which fails a test run).
        let usage = info.snapshot();
        if kernel::warn_on!(usage.used_blocks != 0 || usage.used_ispace != 0) {
            pr_err!("accounting leak at unmount: {:?}\n", usage);
        }
        // The last reference: the reclaim list (empty now) is destroyed and
        // the debugfs files removed as the `SbInfo` drops.
        drop(info);
    }
}

/// `statfs`: limits as tmpfs reports them (0 when unlimited).
unsafe extern "C" fn rpc_statfs(dentry: *mut bindings::dentry, buf: *mut bindings::kstatfs) -> c_int {
    // SAFETY: the VFS passes a dentry of a mounted instance of ours.
    let u = unsafe { Dentry::from_raw(dentry) }.sb_info().snapshot();
    let (blocks, bfree) = if u.max_blocks != 0 { (u.max_blocks, u.max_blocks - u.used_blocks.min(u.max_blocks)) } else { (0, 0) };
    let (files, ffree) = u.files();
    // SAFETY: `buf` is the caller's `struct kstatfs`.
    unsafe { ffi::rpc_statfs_fill(buf, RPC_MAGIC, blocks, bfree, files, ffree) };
    0
}

/// `show_options`: what differs from the defaults, in tmpfs's format.
unsafe extern "C" fn rpc_show_options(m: *mut bindings::seq_file, root: *mut bindings::dentry) -> c_int {
    // SAFETY: the VFS passes the seq_file of /proc/mounts being filled and
    // the root dentry of a mounted instance of ours, both for the call.
    let (m, root) = unsafe { (SeqFile::from_raw(m), Dentry::from_raw(root)) };
    show_options(m, root.sb_info());
    0
}

fn show_options(m: &SeqFile, info: &SbInfo) {
    let u = info.snapshot();
    let mach = machine();
    if u.max_blocks != mach.default_max_blocks() {
        seq_print!(m, ",size={}k", u.max_blocks << (bindings::PAGE_SHIFT - 10));
    }
    if u.max_inodes != mach.default_max_inodes() {
        seq_print!(m, ",nr_inodes={}", u.max_inodes);
    }
    if info.mode != DEFAULT_MODE {
        seq_print!(m, ",mode={:03o}", info.mode);
    }
    if info.uid != 0 {
        seq_print!(m, ",uid={}", ffi::rpc_uid_munged(info.uid));
    }
    if info.gid != 0 {
        seq_print!(m, ",gid={}", ffi::rpc_gid_munged(info.gid));
    }
    // As tmpfs without CONFIG_TMPFS_INODE64: only the non-default shows.
    if u.inode64 {
        seq_print!(m, ",inode64");
    }
    if let Some(area) = info.swap_area() {
        seq_print!(m, ",swap={}", BStr::from_bytes(area.path().as_bytes()));
    }
    if let Some(name) = info.zones.name() {
        seq_print!(m, ",gfp={}", name);
    }
}

static SUPER_OPS: OpsTable<bindings::super_operations> = OpsTable(bindings::super_operations {
    alloc_inode: Some(inode::alloc_inode),
    free_inode: Some(inode::free_inode),
    evict_inode: Some(inode::evict_inode),
    drop_inode: Some(bindings::inode_just_drop),
    statfs: Some(rpc_statfs),
    show_options: Some(rpc_show_options),
    // SAFETY: all-zero is a valid `super_operations` (every callback absent).
    ..unsafe { core::mem::zeroed() }
});
