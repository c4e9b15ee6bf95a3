// SPDX-License-Identifier: GPL-2.0

//! rust_pagecache: a tmpfs-like filesystem with its own page cache, in Rust.
//!
//! `mount -t rust_pagecache none /mnt [-o size=,nr_inodes=,mode=,uid=,gid=,swap=,gfp=]`
//!
//! One folder per layer, one file per concept. Where the work goes:
//! a `read(2)` enters [`fs::file`] and is served by [`cache::page_cache`]
//! without a lock; a page fault enters [`fs::mmap`] and finds or creates its
//! folio there too; a truncate or hole punch starts in [`fs::file`] and
//! removes folios through [`cache::page_cache`]; mounting runs
//! [`fs::fs_context`] (options from [`fs::options`]) and then
//! [`fs::super_block`].
//!
//! - `fs/`: what the VFS calls.
//!   - [`fs::options`]: mount option syntax and limit accounting (pure,
//!     host-tested)
//!   - [`fs::fs_context`]: the fs_context callbacks (option parsing)
//!   - [`fs::super_block`]: a mounted instance: fill_super, remount, statfs
//!   - [`fs::inode`]: the inode type, its slab cache, accounting, eviction
//!   - [`fs::dir`]: namespace operations
//!   - [`fs::file`]: regular files: read/write/fallocate/seek/truncate
//!   - [`fs::mmap`]: the fault handler (seed 004's re-check under the folio
//!     lock)
//!   - [`fs::xattr`]: extended attributes and POSIX ACLs, as tmpfs's
//!   - [`fs::fileattr`]: inode flags (`chattr`: append-only, immutable,
//!     nodump, noatime)
//!   - [`fs::driver_api`]: files for drivers (`include/rust_pagecache.h`:
//!     `rpc_file_setup()`, `rpc_file_setup_with_mnt()`,
//!     `rpc_read_folio_gfp()`)
//! - `cache/`: the module's own page cache.
//!   - [`cache::page_cache`]: lockless lookup (seed 002), insertion, removal
//!     with a frozen refcount, truncation
//!   - [`cache::replace`]: a folio in a zone its caller's gfp forbids
//!     replaced by a copy (seed 003's `shmem_replace_folio()`)
//!   - [`cache::stats`]: per-superblock statistics in debugfs
//! - `swap/`: the mount's own swap (`swap=`).
//!   - [`swap::header`], [`swap::slots`]: the swap header as `mkswap` writes
//!     it, and the slot allocator (pure, host-tested)
//!   - [`swap::area`]: the swap area: device, header check, slots
//!   - [`swap::out`]: the shrinker that writes cold folios out under memory
//!     pressure (seed 002's frozen removal)
//!   - [`swap::swap_in`]: bringing pages back on every path, and dropping
//!     the records of truncated ranges
//!   - [`swap::readahead`]: how far a swap-in reads around: each file's
//!     window, as the kernel's `swapin_nr_pages()` (pure, host-tested)
//!   - [`swap::swapoff`]: swapon and swapoff, safe against concurrent
//!     eviction (seed 003)
//! - `glue/`: where the module meets the kernel's C.
//!   - [`glue::vfs`]: typed handles on inodes, mappings and kiocbs, and
//!     guards for their locks; the data path above them is safe Rust
//!   - [`glue::folio`]: folios as types: a counted reference, a new one, a
//!     locked one, a frozen count
//!   - [`glue::xarray`]: the XArray cursor the page cache walks with, and
//!     the per-inode swap index
//!   - [`glue::block`]: the swap area's block device and its bios
//!   - [`glue::reclaim`]: shrinker, list_lru, inode references
//!   - [`glue::ffi`]: the C helper object (`glue/helpers.c`: static inlines,
//!     macros, the opaque fs_context), declared once
//!
//! Lock order (outermost first): VFS `s_umount` / `i_rwsem` (parent before
//! child, as the VFS takes them) → `mmap_lock` (a write's source fault) →
//! the mapping's `invalidate_lock` → folio lock → `i_mmap_rwsem` and the
//! XArray lock (mm/rmap.c's order); `SbInfo::usage` is a leaf spinlock
//! taken under any of them. Swap: a file's swap index lock (inside its
//! XArray calls), the slot map and `SbInfo::swap` are leaf spinlocks; the
//! shrinker only trylocks (`invalidate_lock` shared, folio locks) and
//! swapoff holds `s_umount` → an inode reference → `invalidate_lock`
//! shared → folio lock.

use kernel::prelude::*;

mod fs {
    pub(crate) mod dir;
    pub(crate) mod driver_api;
    pub(crate) mod file;
    pub(crate) mod fileattr;
    pub(crate) mod fs_context;
    pub(crate) mod inode;
    pub(crate) mod mmap;
    // `pub` items there are public in the host test crate (tools/options-test).
    #[allow(unreachable_pub)]
    pub(crate) mod options;
    pub(crate) mod super_block;
    pub(crate) mod xattr;
}

mod cache {
    pub(crate) mod page_cache;
    pub(crate) mod replace;
    pub(crate) mod stats;
}

mod swap {
    pub(crate) mod area;
    // Pure logic, also compiled into the host test crate (tools/options-test).
    #[allow(unreachable_pub, dead_code)]
    pub(crate) mod header;
    pub(crate) mod out;
    #[allow(unreachable_pub)]
    pub(crate) mod readahead;
    #[allow(unreachable_pub, dead_code)]
    pub(crate) mod slots;
    pub(crate) mod swap_in;
    pub(crate) mod swapoff;
}

mod glue {
    pub(crate) mod array_vec;
    pub(crate) mod block;
    pub(crate) mod ffi;
    pub(crate) mod folio;
    pub(crate) mod inode_slab;
    pub(crate) mod memcg;
    pub(crate) mod reclaim;
    pub(crate) mod vfs;
    pub(crate) mod xarray;
}

use fs::inode;
use glue::ffi;

module! {
    type: RustPagecache,
    name: "rust_pagecache",
    authors: ["rust_pagecache developers"],
    description: "tmpfs-like filesystem with its own page cache",
    license: "GPL",
    alias: ["fs-rust_pagecache"],
}

/// The loaded module: owns the inode cache and the registration.
struct RustPagecache;

impl kernel::Module for RustPagecache {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: runs once, before anything can use the address space
        // operations it initialises.
        unsafe { ffi::rpc_helpers_init() };
        glue::xarray::check_xa_encodings()?;
        inode::INODES.create()?;
        // SAFETY: creates the swap track cache, destroyed in `drop` (or below).
        if unsafe { ffi::rpc_track_cache_create() } != 0 {
            inode::INODES.destroy();
            return Err(ENOMEM);
        }
        // The module's debugfs folder, removed in `drop`.
        cache::stats::debugfs_init();
        // SAFETY: `rpc_fs_type` is a static, fully initialised in helpers.c,
        // registered once and unregistered in `drop`.
        let ret = unsafe { kernel::bindings::register_filesystem(&raw mut ffi::rpc_fs_type) };
        if ret != 0 {
            cache::stats::debugfs_exit();
            // SAFETY: created above; no inode has a track.
            unsafe { ffi::rpc_track_cache_destroy() };
            inode::INODES.destroy();
            return Err(Error::from_errno(ret));
        }
        pr_info!("registered\n");
        Ok(RustPagecache)
    }
}

impl Drop for RustPagecache {
    fn drop(&mut self) {
        // The module cannot be unloaded while mounted (the filesystem type
        // holds a module reference per superblock), so nothing is mounted.
        // SAFETY: no superblock is left (see above), so no internal mount
        // either; this waits for the work that unmounted the last one.
        unsafe { ffi::rpc_internal_exit() };
        // SAFETY: registered in `init`.
        unsafe { kernel::bindings::unregister_filesystem(&raw mut ffi::rpc_fs_type) };
        // Every superblock (and its debugfs folder) is gone.
        cache::stats::debugfs_exit();
        // SAFETY: every inode, and so every track, is gone.
        unsafe { ffi::rpc_track_cache_destroy() };
        inode::INODES.destroy();
        pr_info!("unregistered\n");
    }
}
