// SPDX-License-Identifier: GPL-2.0

//! The swap area's block device: opened exclusively by path, read and
//! written a run of folios at a time with one synchronous bio.
//!
//! 7.3's `kernel` crate has a block-device *driver* API (`kernel::block::mq`)
//! but nothing for a user of someone else's block device, so this wraps the
//! `struct file` that `bdev_file_open_by_path()` returns (the handle the
//! kernel's own swapon keeps) in [`BlockDevice`], which closes it when it
//! drops. Everything else in the module sees only slots and folios.

use crate::glue::ffi;
use crate::glue::folio::{Folio, LockedFolio, NewFolio};
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// Most folios one bio carries (`BIO_MAX_VECS`).
pub(crate) const MAX_RUN: usize = 256;

/// An open block device, held exclusively for its owner.
pub(crate) struct BlockDevice(NonNull<bindings::file>);

// SAFETY: the `struct file` is reference counted and may be used and put
// from any task; `BlockDevice` only reads through it and submits bios.
unsafe impl Send for BlockDevice {}
// SAFETY: as above; every method takes `&self` and the block layer
// serialises nothing on behalf of the caller that it would need.
unsafe impl Sync for BlockDevice {}

impl BlockDevice {
    /// Opens the block device at `path` (NUL-terminated) for reading and
    /// writing, exclusively for `holder`: the kernel's swapon, another
    /// mount of this filesystem, or anyone opening it with `O_EXCL` get
    /// `EBUSY` while this value lives.
    pub(crate) fn open(path: &CStr, holder: *const c_void) -> Result<Self> {
        let mut err: c_int = 0;
        // SAFETY: `path` is a NUL-terminated string alive for the call;
        // `holder` is only compared by the block layer, never dereferenced.
        let f = unsafe { ffi::rpc_bdev_open(path.as_char_ptr(), holder.cast_mut(), &mut err) };
        match NonNull::new(f) {
            Some(f) => Ok(BlockDevice(f)),
            None => Err(Error::from_errno(err)),
        }
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: the file is open (type invariant).
        unsafe { ffi::rpc_bdev_nr_bytes(self.0.as_ptr()) }
    }

    /// Whether the device refuses writes.
    pub(crate) fn read_only(&self) -> bool {
        // SAFETY: the file is open.
        unsafe { ffi::rpc_bdev_read_only(self.0.as_ptr()) }
    }

    /// The device's logical block size (a page must be a whole number of them).
    pub(crate) fn logical_block_size(&self) -> u32 {
        // SAFETY: the file is open.
        unsafe { ffi::rpc_bdev_logical_block_size(self.0.as_ptr()) }
    }

    /// Reads device page `page` into `folio` (one page, locked by the caller).
    pub(crate) fn read_page(&self, page: u64, folio: &LockedFolio) -> Result {
        let mut raw = [folio.as_ptr()];
        self.rw(page, &mut raw, false)
    }

    /// Reads device page `page` into a folio of our own that is in no
    /// mapping yet (the swap header).
    pub(crate) fn read_new(&self, page: u64, folio: &NewFolio) -> Result {
        let mut raw = [folio.folio().as_ptr()];
        self.rw(page, &mut raw, false)
    }

    /// Writes `folios`, each one page, to the device pages from `first` on,
    /// in one bio. The caller holds every folio locked, so none changes
    /// while it is written.
    pub(crate) fn write_run(&self, first: u64, folios: &[LockedFolio]) -> Result {
        self.run(first, folios, true)
    }

    /// Reads the device pages from `first` on into `folios` (each one
    /// page, locked by the caller, not up to date), in one bio.
    pub(crate) fn read_run(&self, first: u64, folios: &[LockedFolio]) -> Result {
        self.run(first, folios, false)
    }

    fn run(&self, first: u64, folios: &[LockedFolio], write: bool) -> Result {
        let mut raw = [core::ptr::null_mut(); MAX_RUN];
        if folios.is_empty() || folios.len() > MAX_RUN {
            return Err(EINVAL);
        }
        for (r, f) in raw.iter_mut().zip(folios) {
            *r = f.as_ptr();
        }
        self.rw(first, &mut raw[..folios.len()], write)
    }

    fn rw(&self, first: u64, folios: &mut [*mut bindings::folio], write: bool) -> Result {
        let sector = first << (bindings::PAGE_SHIFT - 9);
        // SAFETY: the file is open; every pointer is a folio the caller
        // holds locked and referenced for the whole (synchronous) call, and
        // `folios.len()` is at most `MAX_RUN`.
        let ret = unsafe {
            ffi::rpc_bdev_rw_folios(self.0.as_ptr(), sector, folios.as_mut_ptr(), folios.len() as c_uint, write)
        };
        if ret != 0 { Err(Error::from_errno(ret)) } else { Ok(()) }
    }
}

impl Drop for BlockDevice {
    fn drop(&mut self) {
        // SAFETY: opened by `open`, closed once, here; no bio is in flight
        // (every I/O is synchronous and borrows `self`).
        unsafe { ffi::rpc_bdev_close(self.0.as_ptr()) }
    }
}

impl Folio {
    /// Copies the first `buf.len()` bytes of the folio out (the swap
    /// header, read into a folio of our own).
    pub(crate) fn copy_out(&self, buf: &mut [u8]) {
        // SAFETY: we hold a reference; the helper copies at most the
        // folio's size into `buf`, which is writable for `buf.len()` bytes.
        unsafe { ffi::rpc_folio_copy_out(self.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) }
    }
}
