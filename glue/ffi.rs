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

// Helpers with no precondition at all: they read a global counter or a
// configuration constant, or compute on their arguments (helpers.c shows
// each in a line or two). Declared `safe` once, here, so that callers need
// no `unsafe` block for them.
unsafe extern "C" {
    /// `totalram_pages()`: an atomic read.
    pub(crate) safe fn rpc_totalram_pages() -> c_ulong;
    /// `from_k[ug]id_munged(&init_user_ns, ...)`: a lookup in the initial
    /// user namespace's (identity) map.
    pub(crate) safe fn rpc_uid_munged(kuid: u32) -> u32;
    pub(crate) safe fn rpc_gid_munged(kgid: u32) -> u32;
    /// `current_fsuid()`/`current_fsgid()` as kernel ids: reads of the
    /// current task's credentials.
    pub(crate) safe fn rpc_current_fsuid() -> u32;
    pub(crate) safe fn rpc_current_fsgid() -> u32;
    /// `IS_ENABLED(CONFIG_ZONE_DMA32)`.
    pub(crate) safe fn rpc_has_zone_dma32() -> bool;
    /// `__GFP_RETRY_MAYFAIL | __GFP_NOWARN`.
    pub(crate) safe fn rpc_gfp_mayfail() -> bindings::gfp_t;
    /// `gfp` without `__GFP_HARDWALL | __GFP_THISNODE`.
    pub(crate) safe fn rpc_gfp_unconstrained(gfp: bindings::gfp_t) -> bindings::gfp_t;
    /// `ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN)`: may the caller
    /// see `trusted.` names (`simple_xattr_list()`).
    pub(crate) safe fn rpc_capable_trusted() -> bool;
    /// `current->reclaim_state->reclaimed` (0 without one): a read of the
    /// current task's own reclaim state.
    pub(crate) safe fn rpc_reclaim_freed_so_far() -> c_ulong;
    /// `gfp_zone(gfp)`: a computation on the flags; it BUGs (a crash, not
    /// undefined behaviour) on two zone modifiers at once.
    pub(crate) safe fn rpc_gfp_zone(gfp: bindings::gfp_t) -> c_int;
}

// The kernel types in these signatures are the same `#[repr(C)]` bindings
// the kernel crate passes to C; some contain bindgen-opaque fields, which
// the lint cannot see through.
#[allow(improper_ctypes)]
extern "C" {
    /// The registered filesystem type (static, for its lockdep keys).
    pub(crate) static mut rpc_fs_type: bindings::file_system_type;

    pub(crate) fn rpc_fc_private(fc: *mut bindings::fs_context) -> *mut c_void;
    pub(crate) fn rpc_sb_set_nosec(sb: *mut bindings::super_block);
    pub(crate) fn rpc_statfs_fill(
        buf: *mut bindings::kstatfs,
        magic: c_long,
        blocks: u64,
        bfree: u64,
        files: u64,
        ffree: u64,
    );

    pub(crate) fn rpc_inode_cache_create(size: usize, align: usize) -> *mut bindings::kmem_cache;
    pub(crate) fn rpc_inode_cache_alloc(
        cache: *mut bindings::kmem_cache,
        sb: *mut bindings::super_block,
    ) -> *mut c_void;
    pub(crate) fn rpc_mapping_init(mapping: *mut bindings::address_space, regular: bool, dma32: bool);
    pub(crate) fn rpc_file_aops_ptr() -> *const bindings::address_space_operations;
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
    // File handles (NFS export, name_to_handle_at).
    pub(crate) fn rpc_sb_set_export_ops(sb: *mut bindings::super_block);
    // Extended attributes and POSIX ACLs (fs/xattr.rs).
    pub(crate) fn rpc_sb_set_xattr(sb: *mut bindings::super_block, handlers: *const *const bindings::xattr_handler);
    pub(crate) fn rpc_cache_no_acl(inode: *mut bindings::inode);
    pub(crate) fn rpc_acl_create(dir: *mut bindings::inode, inode: *mut bindings::inode) -> c_int;
    pub(crate) fn rpc_set_acl(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        acl: *mut bindings::posix_acl,
        kind: c_int,
    ) -> c_int;
    pub(crate) fn rpc_acl_chmod(idmap: *mut bindings::mnt_idmap, dentry: *mut bindings::dentry) -> c_int;
    pub(crate) fn rpc_xattr_list_system(inode: *mut bindings::inode, buffer: *mut c_char, size: usize) -> isize;
    pub(crate) fn rpc_xattr_is_maclabel(name: *const u8) -> bool;
    pub(crate) fn rpc_inode_ctime_version(inode: *mut bindings::inode);
    // Inode flags (fs/fileattr.rs).
    pub(crate) fn rpc_fileattr_fill(fa: *mut bindings::file_kattr, flags: u32);
    pub(crate) fn rpc_fileattr_has_fsx(fa: *const bindings::file_kattr) -> bool;
    pub(crate) fn rpc_fileattr_flags(fa: *const bindings::file_kattr) -> u32;
    pub(crate) fn rpc_tmpfile_open(file: *mut bindings::file, inode: *mut bindings::inode) -> c_int;
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

    pub(crate) fn rpc_inode_lock_blocks(inode: *mut bindings::inode);
    pub(crate) fn rpc_inode_unlock_blocks(inode: *mut bindings::inode);
    pub(crate) fn rpc_inode_lock(inode: *mut bindings::inode);
    pub(crate) fn rpc_inode_trylock(inode: *mut bindings::inode) -> bool;
    pub(crate) fn rpc_inode_unlock(inode: *mut bindings::inode);
    pub(crate) fn rpc_invalidate_lock(mapping: *mut bindings::address_space, exclusive: bool);
    pub(crate) fn rpc_invalidate_unlock(mapping: *mut bindings::address_space, exclusive: bool);
    pub(crate) fn rpc_fatal_signal_pending() -> bool;
    pub(crate) fn rpc_cond_resched();
    pub(crate) fn rpc_file_accessed(file: *mut bindings::file);
    pub(crate) fn rpc_file_open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int;
    pub(crate) fn rpc_file_setlease(
        file: *mut bindings::file,
        arg: c_int,
        flp: *mut *mut bindings::file_lease,
        priv_: *mut *mut c_void,
    ) -> c_int;

    pub(crate) fn rpc_iocb_nowait(iocb: *const bindings::kiocb) -> bool;
    pub(crate) fn rpc_vmf_pgoff(vmf: *const bindings::vm_fault) -> c_ulong;
    pub(crate) fn rpc_vmf_file(vmf: *const bindings::vm_fault) -> *mut bindings::file;

    pub(crate) fn rpc_mapping_gfp(mapping: *mut bindings::address_space) -> bindings::gfp_t;
    pub(crate) fn rpc_folio_alloc(gfp: bindings::gfp_t, order: c_uint) -> *mut bindings::folio;
    pub(crate) fn rpc_folio_try_get(folio: *mut bindings::folio) -> bool;
    pub(crate) fn rpc_folio_put(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_put_refs(folio: *mut bindings::folio, refs: c_int);
    pub(crate) fn rpc_folio_ref_freeze(folio: *mut bindings::folio, count: c_int) -> bool;
    pub(crate) fn rpc_folio_ref_unfreeze(folio: *mut bindings::folio, count: c_int);
    pub(crate) fn rpc_folio_lock(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_lock_killable(folio: *mut bindings::folio) -> c_int;
    pub(crate) fn rpc_folio_get(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_test_uptodate(folio: *const bindings::folio) -> bool;
    pub(crate) fn rpc_folio_test_dirty(folio: *const bindings::folio) -> bool;
    pub(crate) fn rpc_folio_mark_uptodate(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_mapped(folio: *const bindings::folio) -> bool;
    pub(crate) fn rpc_folio_nr_pages(folio: *const bindings::folio) -> c_long;
    pub(crate) fn rpc_folio_zero_segment(folio: *mut bindings::folio, start: usize, end: usize);
    pub(crate) fn rpc_flush_dcache_folio(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_attach_marker(folio: *mut bindings::folio, marker: c_ulong);
    pub(crate) fn rpc_folio_detach_marker(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_test_private(folio: *const bindings::folio) -> bool;
    pub(crate) fn rpc_folio_cancel_dirty(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_file_page(folio: *mut bindings::folio, index: c_ulong) -> *mut bindings::page;
    pub(crate) fn rpc_folio_detach(mapping: *mut bindings::address_space, folio: *mut bindings::folio);
    pub(crate) fn rpc_xa_lock_irq(xa: *mut bindings::xarray);
    pub(crate) fn rpc_xa_unlock_irq(xa: *mut bindings::xarray);
    pub(crate) fn rpc_xas_reload(xas: *mut bindings::xa_state) -> *mut c_void;
    pub(crate) fn rpc_xa_encodings_match(retry: usize, zero: usize, restart: usize, chunk: usize) -> bool;

    // own swap (glue/block.rs, glue/reclaim.rs, glue/xarray.rs)
    pub(crate) fn rpc_bdev_open(path: *const c_char, holder: *mut c_void, err: *mut c_int) -> *mut bindings::file;
    pub(crate) fn rpc_bdev_close(f: *mut bindings::file);
    pub(crate) fn rpc_bdev_nr_bytes(f: *mut bindings::file) -> u64;
    pub(crate) fn rpc_bdev_read_only(f: *mut bindings::file) -> bool;
    pub(crate) fn rpc_bdev_logical_block_size(f: *mut bindings::file) -> c_uint;
    pub(crate) fn rpc_bdev_rw_folios(
        f: *mut bindings::file,
        sector: u64,
        folios: *mut *mut bindings::folio,
        nr: c_uint,
        write: bool,
    ) -> c_int;
    pub(crate) fn rpc_folio_copy_out(folio: *mut bindings::folio, buf: *mut c_void, len: usize);
    pub(crate) fn rpc_swapidx_init(xa: *mut bindings::xarray);
    pub(crate) fn rpc_swapidx_destroy(xa: *mut bindings::xarray);
    pub(crate) fn rpc_swapidx_load(xa: *mut bindings::xarray, index: c_ulong) -> u64;
    pub(crate) fn rpc_swapidx_store(xa: *mut bindings::xarray, index: c_ulong, slot: u64, gfp: bindings::gfp_t) -> c_int;
    pub(crate) fn rpc_swapidx_take(xa: *mut bindings::xarray, index: c_ulong, slot: u64) -> bool;
    pub(crate) fn rpc_swapidx_replace(xa: *mut bindings::xarray, index: c_ulong, old: u64, new: u64) -> bool;
    pub(crate) fn rpc_swapidx_find(xa: *mut bindings::xarray, index: *mut c_ulong, last: c_ulong) -> u64;
    pub(crate) fn rpc_track_cache_create() -> c_int;
    pub(crate) fn rpc_track_cache_destroy();
    pub(crate) fn rpc_track_add(lru: *mut bindings::list_lru, inode: *mut bindings::inode) -> *mut RpcSwapTrack;
    pub(crate) fn rpc_track_del(lru: *mut bindings::list_lru, t: *mut RpcSwapTrack);
    pub(crate) fn rpc_current_memcg_key() -> *mut c_void;
    pub(crate) fn rpc_folio_memcg_key(folio: *mut bindings::folio) -> *mut c_void;
    pub(crate) fn rpc_folio_memcg_get(folio: *mut bindings::folio) -> *mut bindings::mem_cgroup;
    pub(crate) fn rpc_memcg_get(memcg: *mut bindings::mem_cgroup);
    pub(crate) fn rpc_memcg_put(memcg: *mut bindings::mem_cgroup);
    pub(crate) fn rpc_memcg_scope_begin(memcg: *mut bindings::mem_cgroup, old: *mut *mut bindings::mem_cgroup) -> bool;
    pub(crate) fn rpc_memcg_scope_end(memcg: *mut bindings::mem_cgroup, old: *mut bindings::mem_cgroup);
    pub(crate) fn rpc_track_add_like(
        lru: *mut bindings::list_lru,
        inode: *mut bindings::inode,
        folio: *mut bindings::folio,
    ) -> *mut RpcSwapTrack;
    pub(crate) fn rpc_lru_count_pages(lru: *mut bindings::list_lru, nid: c_int, memcg: *mut bindings::mem_cgroup, max: c_ulong) -> c_ulong;
    pub(crate) fn rpc_lru_collect(
        lru: *mut bindings::list_lru,
        nid: c_int,
        memcg: *mut bindings::mem_cgroup,
        out: *mut *mut bindings::inode,
        max: c_uint,
        walk: c_ulong,
    ) -> c_uint;
    pub(crate) fn rpc_list_lru_init(lru: *mut bindings::list_lru, shrinker: *mut bindings::shrinker) -> c_int;
    pub(crate) fn rpc_list_lru_destroy(lru: *mut bindings::list_lru);
    pub(crate) fn rpc_shrinker_new(name: *const c_char) -> *mut bindings::shrinker;
    pub(crate) fn rpc_shrinker_start(
        s: *mut bindings::shrinker,
        private: *mut c_void,
        count: Option<unsafe extern "C" fn(*mut bindings::shrinker, *mut bindings::shrink_control) -> c_ulong>,
        scan: Option<unsafe extern "C" fn(*mut bindings::shrinker, *mut bindings::shrink_control) -> c_ulong>,
    );
    pub(crate) fn rpc_account_reclaimed(pages: c_ulong);
    pub(crate) fn rpc_memcg_margin(memcg: *mut bindings::mem_cgroup) -> c_ulong;
    pub(crate) fn rpc_shrinker_private(s: *mut bindings::shrinker) -> *mut c_void;
    pub(crate) fn rpc_gfp_allows_io(gfp: bindings::gfp_t) -> bool;
    pub(crate) fn rpc_memcg_unevictable_pages(memcg: *mut bindings::mem_cgroup, nid: c_int) -> c_ulong;
    pub(crate) fn rpc_folio_in_scope(folio: *mut bindings::folio, nid: c_int, memcg: *mut bindings::mem_cgroup) -> bool;
    pub(crate) fn rpc_folio_test_clear_referenced(folio: *mut bindings::folio) -> bool;
    pub(crate) fn rpc_folio_trylock(folio: *mut bindings::folio) -> bool;
    pub(crate) fn rpc_folio_test_writeback(folio: *const bindings::folio) -> bool;
    pub(crate) fn rpc_folio_ref_count(folio: *const bindings::folio) -> c_int;
    pub(crate) fn rpc_folio_set_readahead(folio: *mut bindings::folio);
    pub(crate) fn rpc_folio_test_clear_readahead(folio: *mut bindings::folio) -> bool;
    pub(crate) fn rpc_invalidate_trylock_shared(mapping: *mut bindings::address_space) -> bool;
    pub(crate) fn rpc_sb_for_each_regular(
        sb: *mut bindings::super_block,
        f: Option<unsafe extern "C" fn(*mut c_void, *mut bindings::inode) -> c_int>,
        arg: *mut c_void,
    ) -> c_int;
    pub(crate) fn rpc_fc_log_error(fc: *mut bindings::fs_context, msg: *const c_char);
    pub(crate) fn rpc_evicted(inode: *mut bindings::inode);
    pub(crate) fn rpc_internal_exit();
    pub(crate) fn rpc_folio_zonenum(folio: *const bindings::folio) -> c_int;
    pub(crate) fn rpc_folio_maybe_dma_pinned(folio: *mut bindings::folio) -> bool;
    pub(crate) fn rpc_folio_copy_new(new: *mut bindings::folio, old: *mut bindings::folio);
    pub(crate) fn rpc_replace_folio(old: *mut bindings::folio, new: *mut bindings::folio);
}

/// `struct rpc_swap_track` of helpers.c: opaque to Rust.
#[repr(C)]
pub(crate) struct RpcSwapTrack {
    _private: [u8; 0],
}
