// SPDX-License-Identifier: GPL-2.0

//! The slab cache of the filesystem's inodes: each object is the VFS inode
//! with the module's own data `D` behind it ([`InodeWith`]), as
//! `shmem_inode_info` sits around `vfs_inode` in tmpfs.
//!
//! The slab constructor (`inode_init_once()`, helpers.c) initialises the
//! VFS inode once per object, as the VFS wants; [`InodeSlab::alloc`]
//! initialises `D` in place with a pin initialiser each time an object is
//! handed out (a slab object never moves). `D`'s destructor does not run:
//! `free_inode` comes from an RCU callback, where nothing may sleep, so
//! whatever `D` owns (extended attributes, swap records, a reclaim-list
//! track) is given back by `evict_inode` before; a `D` that still owned
//! something would leak it, never free it twice.

use crate::glue::ffi;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A slab object: the VFS inode first (the constructor in helpers.c
/// initialises the object's start as a `struct inode`), then `D`.
#[repr(C)]
pub(crate) struct InodeWith<D> {
    vfs_inode: Opaque<bindings::inode>,
    data: D,
}

/// The slab cache of inodes carrying a `D`, set while the module is loaded
/// (a `static`: the superblock operations find it without an argument).
pub(crate) struct InodeSlab<D> {
    cache: AtomicPtr<bindings::kmem_cache>,
    _data: PhantomData<fn() -> D>,
}

impl<D> InodeSlab<D> {
    pub(crate) const fn new() -> Self {
        InodeSlab { cache: AtomicPtr::new(core::ptr::null_mut()), _data: PhantomData }
    }

    /// Creates the cache (module init).
    pub(crate) fn create(&self) -> Result {
        // SAFETY: creating a slab cache has no preconditions; objects are
        // `InodeWith<D>`, whose `struct inode` is first (`repr(C)`).
        let cache = unsafe { ffi::rpc_inode_cache_create(size_of::<InodeWith<D>>(), align_of::<InodeWith<D>>()) };
        if cache.is_null() {
            return Err(ENOMEM);
        }
        self.cache.store(cache, Ordering::Release);
        Ok(())
    }

    /// Destroys the cache (module exit, after the filesystem is
    /// unregistered, so no inode can be allocated any more).
    pub(crate) fn destroy(&self) {
        // SAFETY: inodes are freed after an RCU grace period (`free`, which
        // reads `self.cache`): wait for those callbacks before the cache goes.
        unsafe { bindings::rcu_barrier() };
        let cache = self.cache.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !cache.is_null() {
            // SAFETY: `cache` was made by `create` and every object has been
            // freed (no superblock is left and the RCU frees have run).
            unsafe { bindings::kmem_cache_destroy(cache) };
        }
    }

    /// `super_operations.alloc_inode`: a new inode of `sb` whose data `init`
    /// initialises; null if there is no memory.
    ///
    /// # Safety
    ///
    /// `sb` is a live superblock of the filesystem this cache serves (the
    /// VFS's `alloc_inode` callback passes one).
    pub(crate) unsafe fn alloc(&self, sb: *mut bindings::super_block, init: impl PinInit<D>) -> *mut bindings::inode {
        // SAFETY: the cache exists while a superblock does (made before the
        // filesystem is registered); `sb` is live (contract).
        let obj = unsafe { ffi::rpc_inode_cache_alloc(self.cache.load(Ordering::Acquire), sb) }.cast::<InodeWith<D>>();
        if obj.is_null() {
            return core::ptr::null_mut();
        }
        // `obj` is ours until `free`; its `D` is uninitialised (or a freed
        // one's, whose destructor never runs: see the top of the file).
        // SAFETY: a slab object of `InodeWith<D>`, which never moves.
        unsafe { pin_init::raw_init(&raw mut (*obj).data, init) };
        // SAFETY: as above; `vfs_inode` is the object's first field.
        unsafe { (*obj).vfs_inode.get() }
    }

    /// `super_operations.free_inode`.
    ///
    /// # Safety
    ///
    /// `inode` came from [`Self::alloc`] and the VFS is done with it.
    pub(crate) unsafe fn free(&self, inode: *mut bindings::inode) {
        // SAFETY: an object of this cache (contract), freed once; the
        // `struct inode` is at its start.
        unsafe { bindings::kmem_cache_free(self.cache.load(Ordering::Acquire), inode.cast()) }
    }

    /// The data of an inode of this cache.
    ///
    /// # Safety
    ///
    /// `inode` came from [`Self::alloc`] and is live for `'a`.
    pub(crate) unsafe fn data<'a>(inode: *const bindings::inode) -> &'a D {
        // SAFETY: the inode is the `vfs_inode` of an `InodeWith<D>`
        // (contract; `Opaque` is transparent), live for `'a`, whose `D`
        // `alloc` initialised.
        unsafe { &(*kernel::container_of!(inode.cast_mut().cast::<Opaque<bindings::inode>>(), InodeWith<D>, vfs_inode)).data }
    }
}
