// SPDX-License-Identifier: GPL-2.0

//! rust_pagecache: a tmpfs-like filesystem with its own page cache, in Rust.
//!
//! `mount -t rust_pagecache none /mnt [-o size=,nr_inodes=,mode=,uid=,gid=]`
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
//! - `cache/`: the module's own page cache.
//!   - [`cache::page_cache`]: lockless lookup (seed 002), insertion, removal
//!     with a frozen refcount, truncation
//!   - [`cache::stats`]: per-superblock statistics in debugfs
//! - `glue/`: where the module meets the kernel's C.
//!   - [`glue::vfs`]: typed handles on inodes, mappings and kiocbs, and
//!     guards for their locks; the data path above them is safe Rust
//!   - [`glue::folio`]: folios as types: a counted reference, a new one, a
//!     locked one, a frozen count
//!   - [`glue::xarray`]: the XArray cursor the page cache walks with
//!   - [`glue::ffi`]: the C helper object (`glue/helpers.c`: static inlines,
//!     macros, the opaque fs_context), declared once
//!
//! Lock order (outermost first): VFS `s_umount` / `i_rwsem` (parent before
//! child, as the VFS takes them) → `mmap_lock` (a write's source fault) →
//! the mapping's `invalidate_lock` → folio lock → `i_mmap_rwsem` and the
//! XArray lock (mm/rmap.c's order); `SbInfo::usage` is a leaf spinlock
//! taken under any of them.

use kernel::prelude::*;

mod fs {
    pub(crate) mod dir;
    pub(crate) mod file;
    pub(crate) mod fs_context;
    pub(crate) mod inode;
    pub(crate) mod mmap;
    // `pub` items there are public in the host test crate (tools/options-test).
    #[allow(unreachable_pub)]
    pub(crate) mod options;
    pub(crate) mod super_block;
}

mod cache {
    pub(crate) mod page_cache;
    pub(crate) mod stats;
}

mod glue {
    pub(crate) mod ffi;
    pub(crate) mod folio;
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
        inode::create_cache()?;
        // SAFETY: creates the module's debugfs directory, removed in `drop`.
        unsafe { ffi::rpc_debugfs_init() };
        // SAFETY: `rpc_fs_type` is a static, fully initialised in helpers.c,
        // registered once and unregistered in `drop`.
        let ret = unsafe { kernel::bindings::register_filesystem(&raw mut ffi::rpc_fs_type) };
        if ret != 0 {
            // SAFETY: created above; no superblock can use it.
            unsafe { ffi::rpc_debugfs_exit() };
            inode::destroy_cache();
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
        // SAFETY: registered in `init`.
        unsafe { kernel::bindings::unregister_filesystem(&raw mut ffi::rpc_fs_type) };
        // SAFETY: every superblock (and its debugfs directory) is gone.
        unsafe { ffi::rpc_debugfs_exit() };
        inode::destroy_cache();
        pr_info!("unregistered\n");
    }
}
