// SPDX-License-Identifier: GPL-2.0

//! rust_pagecache: a tmpfs-like filesystem with its own page cache, in Rust.
//!
//! `mount -t rust_pagecache none /mnt [-o size=,nr_inodes=,mode=,uid=,gid=]`
//!
//! One file per concept:
//! - [`options`]: mount option syntax and limit accounting (pure, host-tested)
//! - [`fs_context`]: the fs_context callbacks (option parsing)
//! - [`super_block`]: a mounted instance: fill_super, remount, statfs
//! - [`inode`]: the inode type, its slab cache, accounting, eviction
//! - [`dir`]: namespace operations
//! - [`folio`]: a counted folio reference and a locked folio, as types
//! - [`page_cache`]: the page cache itself: lockless lookup (seed 002),
//!   insertion, removal with a frozen refcount, truncation
//! - [`file`]: regular files: read/write/fallocate/seek/truncate over it
//! - [`mmap`]: the fault handler (seed 004's re-check under the folio lock)
//! - [`stats`]: per-superblock statistics in debugfs
//! - [`ffi`]: the C helper object (`helpers.c`), declared once
//!
//! Lock order (outermost first): VFS `s_umount` / `i_rwsem` (parent before
//! child, as the VFS takes them) → `mmap_lock` (a write's source fault) →
//! the mapping's `invalidate_lock` → folio lock → `i_mmap_rwsem` and the
//! XArray lock (mm/rmap.c's order); `SbInfo::usage` is a leaf spinlock
//! taken under any of them.

use kernel::prelude::*;

mod dir;
mod ffi;
mod file;
mod folio;
mod fs_context;
mod inode;
mod mmap;
// `pub` items there are public in the host test crate (tools/options-test).
#[allow(unreachable_pub)]
mod options;
mod page_cache;
mod stats;
mod super_block;

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
        page_cache::check_xa_encodings()?;
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
