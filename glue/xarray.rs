// SPDX-License-Identifier: GPL-2.0

//! The XArray cursor the page cache walks with (`struct xa_state`, see
//! `Documentation/core-api/xarray.rst`), over the C API and, for the steps
//! taken on every page, spelled out in Rust.
//!
//! `kernel::xarray::XArray` owns the entries it stores (`ForeignOwnable`)
//! and offers no cursor; a mapping's `i_pages` belongs to the page cache,
//! whose entries are folio pointers and whose walks need `xas_next()` /
//! `xas_find()` / `xas_reload()` under RCU, so the module keeps this thin
//! cursor of its own.

use crate::glue::ffi;
use crate::glue::vfs::Mapping;
use core::marker::PhantomData;
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::rcu;
use kernel::types::Opaque;

/// Entry encodings and the node size of `include/linux/xarray.h` that the
/// walks below use on every step. They are `static inline`s and macros in
/// C; spelled out here so that a lookup is not a chain of out-of-line
/// calls, and checked against the C definitions when the module loads
/// ([`check_xa_encodings`]).
const XA_RETRY_ENTRY: usize = (256 << 2) | 2; // xa_mk_internal(256)
const XA_ZERO_ENTRY: usize = (257 << 2) | 2; // xa_mk_internal(257)
const XAS_RESTART: usize = 3;
const XA_CHUNK_SIZE: usize = 64; // 1 << XA_CHUNK_SHIFT (without CONFIG_BASE_SMALL)
const XA_CHUNK_MASK: usize = XA_CHUNK_SIZE - 1;

/// Fails module load if the encodings above are not the kernel's.
pub(crate) fn check_xa_encodings() -> Result {
    // SAFETY: compares constants; touches no memory.
    if unsafe { ffi::rpc_xa_encodings_match(XA_RETRY_ENTRY, XA_ZERO_ENTRY, XAS_RESTART, XA_CHUNK_SIZE) } {
        Ok(())
    } else {
        pr_err!("XArray entry encodings differ from this kernel's; rebuild the module\n");
        Err(EINVAL)
    }
}

/// A mapping's XArray lock (`xa_lock_irq(&mapping->i_pages)`), held for
/// the guard's lifetime: the innermost lock, interrupts off.
pub(crate) struct XaLockIrq<'a>(&'a Mapping);

impl<'a> XaLockIrq<'a> {
    pub(crate) fn new(mapping: &'a Mapping) -> Self {
        // SAFETY: live mapping; the lock is irq-safe and taken with no
        // other spinlock of the page cache held (lock order, page_cache.rs).
        unsafe { ffi::rpc_xa_lock_irq(mapping.i_pages()) };
        XaLockIrq(mapping)
    }
}

impl Drop for XaLockIrq<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `new`.
        unsafe { ffi::rpc_xa_unlock_irq(self.0.i_pages()) }
    }
}

/// A cursor into a mapping's XArray (`struct xa_state`); see
/// `Documentation/core-api/xarray.rst`.
///
/// # Invariants
///
/// For `'a` the XArray is live (the mapping is borrowed) and its nodes
/// cannot be freed under the cursor: the caller holds an RCU read section
/// or the XArray lock, borrowed for `'a` too.
pub(crate) struct XaState<'a>(bindings::xa_state, PhantomData<&'a Mapping>);

impl<'a> XaState<'a> {
    /// `XA_STATE(xas, &mapping->i_pages, index)`, for a walk under RCU.
    pub(crate) fn new(mapping: &'a Mapping, _rcu: &'a rcu::Guard, index: u64) -> Self {
        Self::at(mapping, index)
    }

    /// The same, for a walk (or a store) under the XArray lock.
    pub(crate) fn new_locked(lock: &'a XaLockIrq<'_>, index: u64) -> Self {
        Self::at(lock.0, index)
    }

    fn at(mapping: &'a Mapping, index: u64) -> Self {
        let xa = mapping.i_pages();
        XaState(bindings::xa_state {
            xa,
            xa_index: index as c_ulong,
            xa_shift: 0,
            xa_sibs: 0,
            xa_offset: 0,
            xa_pad: 0,
            xa_node: XAS_RESTART as *mut bindings::xa_node,
            xa_alloc: core::ptr::null_mut(),
            xa_update: None,
            xa_lru: core::ptr::null_mut(),
        }, PhantomData)
    }

    fn ptr(&mut self) -> *mut bindings::xa_state {
        &mut self.0
    }

    /// `xas_load()`: the entry at the cursor's index (RCU or XArray lock held).
    pub(crate) fn load(&mut self) -> *mut c_void {
        // SAFETY: the XArray is live and its nodes stay while we walk
        // (type invariant: RCU or the XArray lock held).
        unsafe { bindings::xas_load(self.ptr()) }
    }

    /// `xas_find()`: the next present entry up to `max`: at the index if
    /// the cursor has not been walked yet (or was reset), after it if it has.
    pub(crate) fn find(&mut self, max: u64) -> *mut c_void {
        // SAFETY: as for `load`.
        unsafe { bindings::xas_find(self.ptr(), max as c_ulong) }
    }

    /// `xas_next()`: the entry at the next index. Within a leaf node it
    /// is one slot read (the inline fast path of the C version); at node
    /// boundaries, after a reset or off the tree, `__xas_next()`.
    pub(crate) fn next(&mut self) -> *mut c_void {
        let node = self.0.xa_node;
        // xas_not_node(): a null or tagged cursor (XAS_RESTART, bounds).
        let not_node = node.is_null() || node as usize & 3 != 0;
        // SAFETY: when `node` is a node, it is one of the XArray's, kept
        // alive by the RCU read section (or XArray lock) of the invariant.
        if not_node || unsafe { (*node).shift } != 0 || self.0.xa_offset as usize == XA_CHUNK_MASK {
            // SAFETY: as for `load`.
            return unsafe { bindings::__xas_next(self.ptr()) };
        }
        self.0.xa_index += 1;
        self.0.xa_offset += 1;
        // SAFETY: `xa_offset` < XA_CHUNK_SIZE (checked above); the slot is
        // read once, as xa_entry()'s rcu_dereference() does (the folio is
        // then reached through this pointer: an address dependency).
        unsafe { core::ptr::read_volatile(&raw const (*node).slots[self.0.xa_offset as usize]) }
    }

    /// `xas_retry()`: true if `entry` must be skipped: a zero entry, or a
    /// retry entry left by a concurrent change of the tree (then the cursor
    /// is reset to walk again from the top).
    pub(crate) fn retry(&mut self, entry: *const c_void) -> bool {
        match entry as usize {
            XA_ZERO_ENTRY => true,
            XA_RETRY_ENTRY => {
                self.reset();
                true
            }
            _ => false,
        }
    }

    /// `xas_reload()`: the entry now at the position last loaded.
    pub(crate) fn reload(&mut self) -> *mut c_void {
        // SAFETY: as for `load`.
        unsafe { ffi::rpc_xas_reload(self.ptr()) }
    }

    /// `xas_store(xas, NULL)`: deletes the entry at the cursor. The cursor
    /// must be one made under the XArray lock ([`Self::new_locked`]), and
    /// the entry an order-0 one (it stores over one slot).
    pub(crate) fn store_null(&mut self, _lock: &XaLockIrq<'_>) {
        // SAFETY: the XArray lock is held (the borrowed guard); storing NULL
        // allocates nothing, so it cannot fail or sleep.
        unsafe { bindings::xas_store(self.ptr(), core::ptr::null_mut()) };
    }

    /// `xas_reset()`: walk again from the top at the current index.
    pub(crate) fn reset(&mut self) {
        self.0.xa_node = XAS_RESTART as *mut bindings::xa_node;
    }

    pub(crate) fn index(&self) -> u64 {
        self.0.xa_index as u64
    }
}

/// `xa_is_value()`: a value entry (a shadow or swap entry), not a folio.
pub(crate) fn is_value(entry: *const c_void) -> bool {
    entry as usize & 1 != 0
}


/// What a file's swap index records for a page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Record {
    /// The page is not in the cache: its data is in this slot of the
    /// mount's swap area.
    Slot(u64),
    /// The page is in the cache, read back from this slot and not written
    /// since: while its folio stays clean, the slot holds the same data, so
    /// swap-out can drop the folio again without writing it (swap/out.rs,
    /// the kernel's swap cache keeps such copies too). A record for a page
    /// whose folio is dirty is stale: whoever holds the folio locked and
    /// finds it dirty drops it (swap/swap_in.rs).
    Copy(u64),
    /// The page was fallocated and never written (it reads as zeros):
    /// swap-out took it from memory with no slot and no I/O (swap/out.rs),
    /// and it comes back fallocated, so that a failing `fallocate` still
    /// finds and undoes it (fs/file.rs).
    Unwritten,
}

/// [`Record::Unwritten`]'s value in the XArray: above every slot (a swap
/// area has fewer than 2^32 pages, swap/header.rs), below `LONG_MAX`.
const UNWRITTEN: u64 = 1 << 48;
/// Added to a slot for [`Record::Copy`].
const COPY: u64 = 1 << 40;

impl Record {
    fn encode(self) -> u64 {
        match self {
            Record::Slot(slot) => slot,
            Record::Copy(slot) => COPY | slot,
            Record::Unwritten => UNWRITTEN,
        }
    }

    /// From the helpers' "value + 1, 0 for none".
    fn decode(v: u64) -> Option<Record> {
        match v.checked_sub(1)? {
            UNWRITTEN => Some(Record::Unwritten),
            v if v & COPY != 0 => Some(Record::Copy(v & !COPY)),
            slot => Some(Record::Slot(slot)),
        }
    }

    /// The slot the record holds, if any.
    pub(crate) fn slot(self) -> Option<u64> {
        match self {
            Record::Slot(slot) | Record::Copy(slot) => Some(slot),
            Record::Unwritten => None,
        }
    }

    /// Whether the page is out of the cache ([`Record::Copy`] is the only
    /// record of a cached page).
    pub(crate) fn is_out(self) -> bool {
        !matches!(self, Record::Copy(_))
    }
}

/// A regular file's swap index: page index → [`Record`], as XArray value
/// entries in an XArray of the inode's own (not `i_pages`, whose value
/// entries the kernel's truncate and invalidate helpers delete for any
/// mapping that is not shmem's). Its lock is the XArray's own spinlock,
/// taken inside each call; the callers' higher-level exclusion (who may
/// add or take which record) is described in swap/.
#[pin_data]
pub(crate) struct SwapIndex {
    #[pin]
    xa: Opaque<bindings::xarray>,
}

impl SwapIndex {
    /// An empty index, initialised in place (`xa_init`).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(SwapIndex {
            // SAFETY: `xa` is the index's own, pinned place, which
            // `xa_init` initialises whole.
            xa <- Opaque::ffi_init(|xa| unsafe { ffi::rpc_swapidx_init(xa) }),
        })
    }

    fn xa(&self) -> *mut bindings::xarray {
        self.xa.get()
    }

    /// The record of `index`.
    pub(crate) fn load(&self, index: u64) -> Option<Record> {
        // SAFETY: initialised (type invariant); `xa_load` takes the RCU
        // read lock itself.
        let v = unsafe { ffi::rpc_swapidx_load(self.xa(), index as c_ulong) };
        Record::decode(v)
    }

    /// Records `record` for `index`; the node allocation uses `gfp`.
    pub(crate) fn store(&self, index: u64, record: Record, gfp: bindings::gfp_t) -> Result {
        // SAFETY: initialised; `xa_store` takes the XArray lock itself.
        let ret = unsafe { ffi::rpc_swapidx_store(self.xa(), index as c_ulong, record.encode(), gfp) };
        if ret != 0 { Err(Error::from_errno(ret)) } else { Ok(()) }
    }

    /// Removes the record of `index` if it is still `record`; whether it was.
    pub(crate) fn take(&self, index: u64, record: Record) -> bool {
        // SAFETY: initialised; `xa_cmpxchg` takes the XArray lock itself and
        // storing NULL allocates nothing.
        unsafe { ffi::rpc_swapidx_take(self.xa(), index as c_ulong, record.encode()) }
    }

    /// Replaces the record of `index` by `new` if it is still `old`;
    /// whether it was. Allocates nothing (the entry is there).
    pub(crate) fn replace(&self, index: u64, old: Record, new: Record) -> bool {
        // SAFETY: initialised; `xa_cmpxchg` takes the XArray lock itself.
        unsafe { ffi::rpc_swapidx_replace(self.xa(), index as c_ulong, old.encode(), new.encode()) }
    }

    /// The first recorded index in `start..=last`, with its record.
    pub(crate) fn find(&self, start: u64, last: u64) -> Option<(u64, Record)> {
        let mut index = start as c_ulong;
        // SAFETY: initialised; `xa_find` takes the RCU read lock itself.
        let v = unsafe { ffi::rpc_swapidx_find(self.xa(), &mut index, last as c_ulong) };
        Record::decode(v).map(|r| (index as u64, r))
    }

    /// Frees the XArray's nodes (`xa_destroy`); the index is empty after.
    pub(crate) fn destroy(&self) {
        // SAFETY: initialised; nothing else uses the index any more (the
        // inode is being evicted).
        unsafe { ffi::rpc_swapidx_destroy(self.xa()) }
    }
}
