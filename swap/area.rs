// SPDX-License-Identifier: GPL-2.0

//! A mount's swap area: the block device given with `swap=`, its header
//! checked as `swapon` checks it, and its slots ([`SlotMap`]).
//!
//! Slot `n` is device page `n`; slot 0 is the header and never handed out,
//! nor are the bad pages `mkswap -c` listed. The slot map is one bit per
//! slot under a spinlock; runs of contiguous slots are handed out so that a
//! batch of one file's pages goes to the device as one bio.
//!
//! Each slot in use also records the memcg its page was charged to when it
//! went out (a [`MemcgRef`], the counterpart of the kernel's
//! `swap_cgroup`): swap-in charges that memcg again (swap/swap_in.rs), as
//! shmem does. The record goes when the slot is freed. That is one pointer
//! per slot, 1 MiB for a 512 MiB area, under the same lock as the bitmap.
//!
//! Lifetime: the area is reference counted. `SbInfo` holds one reference
//! while the mount has swap; swap-in and swap-out take their own for the
//! length of their I/O, so swapoff (swap/swapoff.rs), which drops the
//! mount's reference once no slot is in use, never closes the device under
//! an I/O. The device is closed when the last reference goes.

use crate::fs::options::SwapPath;
use crate::glue::block::BlockDevice;
use crate::glue::folio::{Folio, LockedFolio};
use crate::glue::memcg::MemcgRef;
use crate::swap::header::{self, HeaderError};
use crate::swap::slots::{words_for, SlotMap};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::KVVec;
use kernel::bindings;
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};
use kernel::time::{Instant, Monotonic};

/// How long swap-out rests after a failed write (a failing disk is not
/// hammered by every reclaim call; the folios stay dirty in memory and are
/// tried again after it).
const WRITE_BACKOFF_MS: i64 = 1000;

const PAGE_SIZE: usize = bindings::PAGE_SIZE;

/// Why `swap=` was refused: the errno and the message for the mount log.
pub(crate) struct SwapError {
    pub(crate) errno: Error,
    pub(crate) msg: &'static CStr,
}

fn refuse(errno: Error, msg: &'static CStr) -> SwapError {
    SwapError { errno, msg }
}

/// The slot bitmap and, for each slot in use, its page's memcg.
struct Slots {
    map: SlotMap<KVVec<u64>>,
    owners: KVVec<Option<MemcgRef>>,
}

/// An open, checked swap area.
#[pin_data]
pub(crate) struct SwapArea {
    dev: BlockDevice,
    #[pin]
    slots: SpinLock<Slots>,
    /// Set by swapoff: swap-out stops taking slots.
    draining: AtomicBool,
    /// When a write last failed, for [`SwapArea::writes_resting`].
    #[pin]
    write_failed: SpinLock<Option<Instant<Monotonic>>>,
    /// What `/proc/mounts` shows.
    path: SwapPath,
}

impl SwapArea {
    /// Opens and checks the device at `path` for the mount whose `SbInfo`
    /// is `holder` (the exclusive holder of the device).
    pub(crate) fn open(path: &SwapPath, holder: *const c_void) -> core::result::Result<Arc<SwapArea>, SwapError> {
        // The path is NUL-terminated in place (options.rs).
        let cpath = CStr::from_bytes_with_nul(path.as_bytes_with_nul()).map_err(|_| refuse(EINVAL, c"swap: bad path"))?;
        let dev = BlockDevice::open(cpath, holder).map_err(|e| {
            let msg = match e {
                e if e == ENOENT => c"swap: no such device",
                e if e == ENOTBLK => c"swap: not a block device",
                e if e == EBUSY => c"swap: device busy (in use as swap, mounted, or by another mount)",
                e if e == EACCES || e == EROFS => c"swap: device is read-only",
                e if e == ENXIO || e == ENODEV => c"swap: no such device",
                _ => c"swap: cannot open the device",
            };
            refuse(e, msg)
        })?;
        if dev.read_only() {
            return Err(refuse(EROFS, c"swap: device is read-only"));
        }
        if dev.logical_block_size() as usize > PAGE_SIZE {
            return Err(refuse(EINVAL, c"swap: device blocks larger than a page"));
        }
        let device_pages = dev.size() / PAGE_SIZE as u64;
        let bad = |e: HeaderError| {
            // The messages of header.rs are NUL-terminated.
            let msg = CStr::from_bytes_with_nul(e.message()).unwrap_or(c"swap: bad swap header");
            refuse(EINVAL, msg)
        };
        if device_pages == 0 {
            return Err(bad(HeaderError::ShortRead));
        }
        let mut page = KVVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL).map_err(|_| refuse(ENOMEM, c"swap: out of memory"))?;
        let folio = Folio::alloc(bindings::GFP_KERNEL).ok_or(refuse(ENOMEM, c"swap: out of memory"))?;
        dev.read_new(0, &folio).map_err(|e| refuse(e, c"swap: cannot read the swap header"))?;
        folio.folio().copy_out(&mut page);
        drop(folio);
        let h = header::parse(&page, PAGE_SIZE).map_err(bad)?;
        let nr_slots = header::check(&h, device_pages).map_err(bad)?;
        let words = KVVec::from_elem(0u64, words_for(nr_slots), GFP_KERNEL).map_err(|_| refuse(ENOMEM, c"swap: out of memory"))?;
        let reserved = Iterator::chain(core::iter::once(0u64), h.bad_pages().map(u64::from));
        let map = SlotMap::new(words, nr_slots, reserved);
        let owners = KVVec::from_elem(None, nr_slots as usize, GFP_KERNEL).map_err(|_| refuse(ENOMEM, c"swap: out of memory"))?;
        Arc::pin_init(
            pin_init!(SwapArea {
                dev,
                slots <- new_spinlock!(Slots { map, owners }, "rust_pagecache::SwapArea::slots"),
                draining: AtomicBool::new(false),
                write_failed <- new_spinlock!(None, "rust_pagecache::SwapArea::write_failed"),
                path: *path,
            }),
            GFP_KERNEL,
        )
        .map_err(|_| refuse(ENOMEM, c"swap: out of memory"))
    }

    pub(crate) fn path(&self) -> &SwapPath {
        &self.path
    }

    /// Up to `want` contiguous free slots: `(first, n)`, `None` if full or
    /// draining.
    pub(crate) fn alloc_run(&self, want: usize) -> Option<(u64, usize)> {
        if self.draining() {
            return None;
        }
        self.slots.lock().map.alloc_run(want)
    }

    /// Records, for the slots from `first` on (just handed out by
    /// [`SwapArea::alloc_run`], not yet published in any inode's index),
    /// the memcg each of `folios` is charged to.
    pub(crate) fn set_owners(&self, first: u64, folios: &[LockedFolio]) {
        let mut s = self.slots.lock();
        for (i, folio) in folios.iter().enumerate() {
            let slot = first as usize + i;
            kernel::warn_on!(s.owners[slot].is_some());
            // Taking a css reference does not sleep.
            s.owners[slot] = MemcgRef::of_folio(folio);
        }
    }

    /// The memcg recorded for `slot` and how many slots from `slot` on (at
    /// most `max`) have that same one: a swap-in's read-around stays within
    /// one memcg.
    pub(crate) fn owner_run(&self, slot: u64, max: usize) -> (Option<MemcgRef>, usize) {
        let s = self.slots.lock();
        let first = slot as usize;
        let end = s.owners.len().min(first + max);
        let owner = s.owners.get(first).and_then(|o| o.clone());
        let mut n = 1;
        while first + n < end {
            let same = match (&owner, &s.owners[first + n]) {
                (Some(a), Some(b)) => a.same(b),
                (None, None) => true,
                _ => false,
            };
            if !same {
                break;
            }
            n += 1;
        }
        (owner, n)
    }

    /// Gives a slot back (and its memcg record).
    pub(crate) fn free(&self, slot: u64) {
        let mut s = self.slots.lock();
        let freed = s.map.free(slot);
        let owner = s.owners.get_mut(slot as usize).and_then(Option::take);
        drop(s);
        // The css reference goes outside the lock.
        drop(owner);
        kernel::warn_on!(!freed);
    }

    /// A write to the device failed: swap-out rests for a while.
    pub(crate) fn note_write_error(&self) {
        *self.write_failed.lock() = Some(Instant::now());
    }

    /// Whether swap-out rests after a recent failed write.
    pub(crate) fn writes_resting(&self) -> bool {
        match *self.write_failed.lock() {
            Some(t) => t.elapsed().as_millis() < WRITE_BACKOFF_MS,
            None => false,
        }
    }

    /// Slots in use, slots usable.
    pub(crate) fn usage(&self) -> (u64, u64) {
        let s = self.slots.lock();
        (s.map.used(), s.map.usable())
    }

    pub(crate) fn free_count(&self) -> u64 {
        self.slots.lock().map.free_count()
    }

    /// Whether a swap-in may keep its slot as a clean copy: while more
    /// than half the area is free (the kernel's `vm_swap_full()` rule), and
    /// not while swapoff drains it.
    pub(crate) fn keeps_copies(&self) -> bool {
        if self.draining() {
            return false;
        }
        let s = self.slots.lock();
        s.map.free_count() * 2 > s.map.usable()
    }

    pub(crate) fn set_draining(&self, on: bool) {
        self.draining.store(on, Ordering::Relaxed);
    }

    pub(crate) fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Writes `folios` (locked, one page each) to the slots from `first` on.
    pub(crate) fn write(&self, first: u64, folios: &[LockedFolio]) -> Result {
        self.dev.write_run(first, folios)
    }

    /// Reads `slot` into `folio` (locked, one page).
    pub(crate) fn read(&self, slot: u64, folio: &LockedFolio) -> Result {
        self.dev.read_page(slot, folio)
    }

    /// Reads the slots from `first` on into `folios` (locked, one page each).
    pub(crate) fn read_run(&self, first: u64, folios: &[LockedFolio]) -> Result {
        self.dev.read_run(first, folios)
    }
}
