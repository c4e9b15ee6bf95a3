// SPDX-License-Identifier: GPL-2.0

//! Regular files.
//!
//! Interim data path: the kernel's generic page cache (`ram_aops`, as ramfs)
//! with `write_begin` replaced by [`rpc_write_begin`], which charges each new
//! page against `size=`. The mapping is unevictable (see `rpc_mapping_init`
//! in `helpers.c`): reclaim never takes these folios, so data cannot be lost
//! and reclaim cannot spin on them. The module's own page cache replaces
//! this in the next step.
//!
//! Known gap until then: a page created by a read fault on a hole of a
//! `mmap`ed file is not charged (it is given back correctly, though).

use crate::ffi::OpsTable;
use crate::inode::{self, RpcInode};
use crate::super_block::SbInfo;
use kernel::bindings;
use kernel::prelude::*;

/// `address_space_operations.write_begin`: charge a page that is about to be
/// created, then let `simple_write_begin()` create or find it.
#[no_mangle]
unsafe extern "C" fn rpc_write_begin(
    iocb: *const bindings::kiocb,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    foliop: *mut *mut bindings::folio,
    fsdata: *mut *mut c_void,
) -> c_int {
    // SAFETY: called by the VFS with a mapping of one of our inodes, under
    // its `i_rwsem` (every writer holds it), so no other write can create or
    // remove the page at `index` under us.
    unsafe {
        let inode = (*mapping).host;
        let info = SbInfo::of((*inode).i_sb);
        let index = (pos >> bindings::PAGE_SHIFT) as c_ulong;
        // The mapping has no large folios, so one call is one page.
        let new = bindings::xa_load(&raw mut (*mapping).i_pages, index).is_null();
        if new {
            if let Err(e) = info.take_blocks(1) {
                return e.to_errno();
            }
        }
        let ret = bindings::simple_write_begin(iocb, mapping, pos, len, foliop, fsdata);
        if new {
            if ret == 0 {
                RpcInode::from_vfs(inode).charged_one();
            } else {
                info.put_blocks(1);
            }
        }
        ret
    }
}

unsafe extern "C" fn get_unmapped_area(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    // SAFETY: forwarded VFS arguments.
    unsafe { bindings::mm_get_unmapped_area(file, addr, len, pgoff, flags) }
}

pub(crate) static FILE_OPS: OpsTable<bindings::file_operations> = OpsTable(bindings::file_operations {
    read_iter: Some(bindings::generic_file_read_iter),
    write_iter: Some(bindings::generic_file_write_iter),
    mmap_prepare: Some(bindings::generic_file_mmap_prepare),
    fsync: Some(bindings::noop_fsync),
    splice_read: Some(bindings::filemap_splice_read),
    splice_write: Some(bindings::iter_file_splice_write),
    llseek: Some(bindings::generic_file_llseek),
    get_unmapped_area: Some(get_unmapped_area),
    // SAFETY: all-zero is a valid `file_operations` (no owner, no callbacks).
    ..unsafe { core::mem::zeroed() }
});

pub(crate) static INODE_OPS: OpsTable<bindings::inode_operations> = OpsTable(bindings::inode_operations {
    setattr: Some(inode::setattr),
    getattr: Some(bindings::simple_getattr),
    // SAFETY: all-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
});
