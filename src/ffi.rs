// SPDX-License-Identifier: GPL-2.0

//! The C half of the module (`helpers.c`), declared once.
//!
//! `kernel::bindings` cannot reach static inlines, macros such as
//! `fsparam_uid` or `kmem_cache_create`, nor the opaque `fs_context` types;
//! `helpers.c` wraps exactly those and nothing else. Every function here is
//! an `extern "C"` declaration whose C definition is in `helpers.c`.

use kernel::bindings;
use kernel::prelude::*;

/// A kernel operations table (`super_operations`, `file_operations`, ...)
/// kept in a `static`.
///
/// The tables hold raw pointers, which are not `Sync`; they are written once
/// at compile time and only read afterwards, by any CPU.
#[repr(transparent)]
pub(crate) struct OpsTable<T>(pub(crate) T);

// SAFETY: an `OpsTable` is never mutated after compile time: sharing
// immutable function and data pointers between threads is sound.
unsafe impl<T> Sync for OpsTable<T> {}

impl<T> OpsTable<T> {
    /// The table's address, as the kernel wants it.
    pub(crate) const fn as_ptr(&'static self) -> *const T {
        &self.0
    }
}

// The kernel types in these signatures are the same `#[repr(C)]` bindings
// the kernel crate passes to C; some contain bindgen-opaque fields, which
// the lint cannot see through.
#[allow(improper_ctypes)]
extern "C" {
    /// The registered filesystem type (static, for its lockdep keys).
    pub(crate) static mut rpc_fs_type: bindings::file_system_type;

    pub(crate) fn rpc_fc_private(fc: *mut bindings::fs_context) -> *mut c_void;
    pub(crate) fn rpc_totalram_pages() -> c_ulong;
    pub(crate) fn rpc_statfs_fill(
        buf: *mut bindings::kstatfs,
        magic: c_long,
        blocks: u64,
        bfree: u64,
        files: u64,
        ffree: u64,
    );
    pub(crate) fn rpc_uid_munged(kuid: u32) -> u32;
    pub(crate) fn rpc_gid_munged(kgid: u32) -> u32;
    pub(crate) fn rpc_seq_puts_u64(m: *mut bindings::seq_file, fmt: *const c_char, value: u64);

    pub(crate) fn rpc_inode_cache_create(size: usize, align: usize) -> *mut bindings::kmem_cache;
    pub(crate) fn rpc_inode_cache_alloc(
        cache: *mut bindings::kmem_cache,
        sb: *mut bindings::super_block,
    ) -> *mut c_void;
    pub(crate) fn rpc_mapping_init(mapping: *mut bindings::address_space);
    pub(crate) fn rpc_aops() -> *const bindings::address_space_operations;
    pub(crate) fn rpc_helpers_init();
    pub(crate) fn rpc_i_size_read(inode: *const bindings::inode) -> i64;
    pub(crate) fn rpc_i_size_write(inode: *mut bindings::inode, size: i64);
    pub(crate) fn rpc_dir_touch(dir: *mut bindings::inode);
    pub(crate) fn rpc_security_init(
        inode: *mut bindings::inode,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int;
    pub(crate) fn rpc_symlink_inline(
        inode: *mut bindings::inode,
        target: *const c_char,
        len: usize,
    ) -> c_int;
    pub(crate) fn rpc_inode_free_link(inode: *mut bindings::inode);
    pub(crate) fn rpc_inode_set_ops(
        inode: *mut bindings::inode,
        iop: *const bindings::inode_operations,
        fop: *const bindings::file_operations,
    );
    pub(crate) fn rpc_inode_nlink(inode: *const bindings::inode) -> c_uint;
}
