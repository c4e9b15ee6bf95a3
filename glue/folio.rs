// SPDX-License-Identifier: GPL-2.0

//! Folios as types: a counted reference ([`Folio`]), a folio fresh from the
//! allocator ([`NewFolio`], the only kind that can be added to a mapping),
//! a locked folio ([`LockedFolio`]) and a frozen reference count
//! ([`FrozenFolio`], unfrozen when it drops). Lock state is in the type:
//! what needs the folio lock (marking up to date, dirtying, zeroing before
//! it is up to date, the private marker, freezing, removal from the cache,
//! handing a folio to the fault code) takes a `LockedFolio`; dropping one
//! unlocks and then puts the reference.
//!
//! These are the only place that turns a raw `struct folio *` into
//! something the rest of the module can hold.

use crate::glue::ffi;
use crate::glue::vfs::Mapping;
use crate::glue::xarray::XaLockIrq;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::prelude::*;

/// One reference on a folio. Dropping it is `folio_put()`.
pub(crate) struct Folio(NonNull<bindings::folio>);

// SAFETY: a reference on a folio may be moved to and dropped on any CPU
// (`folio_put` is safe from any context that may sleep or not; the last put
// frees the folio wherever it happens).
unsafe impl Send for Folio {}
// SAFETY: the methods taking `&self` only read folio state through the
// kernel's atomic accessors or copy its data, which the kernel allows from
// several CPUs at once.
unsafe impl Sync for Folio {}

impl Folio {
    /// Takes over one reference the caller owns.
    ///
    /// # Safety
    ///
    /// `ptr` is a folio on which the caller owns a reference that it hands
    /// over to the returned value.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::folio) -> Self {
        // SAFETY: per the contract `ptr` is a live folio, so not null.
        Folio(unsafe { NonNull::new_unchecked(ptr) })
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::folio {
        self.0.as_ptr()
    }

    /// Step 2 of the lockless lookup: a speculative reference on a folio
    /// whose pointer was just loaded from an XArray (`folio_try_get()`);
    /// `None` if its count is zero (being freed, or frozen by a remover).
    /// The caller must still check that the entry is unchanged (step 3).
    ///
    /// # Safety
    ///
    /// `ptr` was loaded from an XArray entry inside an RCU read section the
    /// caller still holds: the memory is then a `struct folio` (the memory
    /// map is never unmapped), though perhaps a freed or reused one.
    #[inline]
    pub(crate) unsafe fn try_get(ptr: *mut bindings::folio) -> Option<Folio> {
        // SAFETY: function contract; `folio_try_get` does not touch a folio
        // whose count is zero.
        if unsafe { ffi::rpc_folio_try_get(ptr) } {
            // SAFETY: we now own a reference.
            Some(unsafe { Folio::from_raw(ptr) })
        } else {
            None
        }
    }

    /// A new order-0 folio from the page allocator (`filemap_alloc_folio()`
    /// with `gfp`: the mapping's mask, so its zone and memcg rules hold).
    pub(crate) fn alloc(gfp: bindings::gfp_t) -> Option<NewFolio> {
        // SAFETY: allocating has no precondition; a non-null result comes
        // with the one reference we take over.
        let ptr = unsafe { ffi::rpc_folio_alloc(gfp, 0) };
        // SAFETY: as above.
        (!ptr.is_null()).then(|| NewFolio(unsafe { Folio::from_raw(ptr) }))
    }

    /// Whether the folio has private data (`PG_private`): for ours, the
    /// page cache's marker.
    pub(crate) fn has_private(&self) -> bool {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_test_private(self.as_ptr()) }
    }

    /// Hands our reference to C code that takes it over.
    pub(crate) fn into_raw(self) -> *mut bindings::folio {
        let ptr = self.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// The page index of the folio's first page in its file.
    pub(crate) fn index(&self) -> u64 {
        // SAFETY: we hold a reference, so the folio is live; `index` is the
        // `folio->index` member of its union (C reads it plainly too).
        unsafe { (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_2.index as u64 }
    }

    /// The folio's flags word (`folio->flags.f`), read once.
    fn flags(&self) -> c_ulong {
        // SAFETY: we hold a reference, so the folio is live; a volatile
        // read is READ_ONCE(), as `test_bit()` reads the word.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.flags.f) }
    }

    pub(crate) fn nr_pages(&self) -> usize {
        // `folio_test_large()`: an order-0 folio (all this module makes)
        // answers without a call. Our reference keeps the order stable (a
        // split needs the count frozen).
        if self.flags() & (1 << bindings::pageflags_PG_head) == 0 {
            return 1;
        }
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_nr_pages(self.as_ptr()) as usize }
    }

    pub(crate) fn size(&self) -> usize {
        self.nr_pages() << bindings::PAGE_SHIFT
    }

    /// The mapping the folio belongs to now (null once removed).
    pub(crate) fn mapping(&self) -> *mut bindings::address_space {
        // SAFETY: we hold a reference; a volatile read is READ_ONCE(), as
        // C reads `folio->mapping` when it may change under it.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.mapping) }
    }

    /// Whether the folio's contents are valid. Pairs with the barrier in
    /// `folio_mark_uptodate()`: data written before marking is visible to a
    /// reader that sees the flag.
    pub(crate) fn is_uptodate(&self) -> bool {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_test_uptodate(self.as_ptr()) }
    }

    /// Whether the folio is dirty: written since it was read back from swap
    /// (every other folio of ours is dirty from birth, cache/page_cache.rs).
    pub(crate) fn is_dirty(&self) -> bool {
        // SAFETY: we hold a reference; reads a flag.
        unsafe { ffi::rpc_folio_test_dirty(self.as_ptr()) }
    }

    /// Whether memory failure has poisoned the folio's memory
    /// (`folio_test_hwpoison()`; for the order-0 folios this module makes
    /// that is the page's own `PageHWPoison()`). Its contents must not be
    /// read: a read gets EIO instead (as on tmpfs), a fault SIGBUS (the
    /// fault code checks that itself).
    pub(crate) fn is_hwpoison(&self) -> bool {
        #[cfg(CONFIG_MEMORY_FAILURE)]
        {
            self.flags() & (1 << bindings::pageflags_PG_hwpoison) != 0
        }
        #[cfg(not(CONFIG_MEMORY_FAILURE))]
        {
            false
        }
    }

    /// Whether swap-in read this folio around another page and nobody has
    /// used it since (helpers.c: PG_readahead); clears the mark. One test
    /// of the flags word when it is clear (the hot read path).
    pub(crate) fn take_readahead(&self) -> bool {
        self.flags() & (1 << bindings::pageflags_PG_readahead) != 0
            // SAFETY: we hold a reference; the bit is set and cleared
            // atomically, so of two racing users one gets `true`.
            && unsafe { ffi::rpc_folio_test_clear_readahead(self.as_ptr()) }
    }

    /// Tells the LRU the folio was used.
    pub(crate) fn mark_accessed(&self) {
        // SAFETY: we hold a reference.
        unsafe { bindings::folio_mark_accessed(self.as_ptr()) }
    }

    /// Copies `bytes` at `offset` in the folio to `iter`; returns what was
    /// copied (short on a fault in the destination). Callers copy only
    /// from folios that are up to date (what a reader may see).
    pub(crate) fn copy_to_iter(&self, offset: usize, bytes: usize, iter: &mut IovIterDest<'_>) -> usize {
        debug_assert!(offset + bytes <= self.size());
        // `copy_folio_to_iter()` is this call on the folio's first page (the
        // range may run into the pages after it). `copy_page_to_iter()`
        // itself refuses a range beyond the folio (`page_copy_sane()`: WARN,
        // 0 bytes), so the read path does not check it twice.
        // SAFETY: `iter` is a valid destination (its type's invariant); a
        // folio's first member is its head page; our reference keeps it.
        unsafe { bindings::copy_page_to_iter(self.as_ptr().cast::<bindings::page>(), offset, bytes, iter.as_raw()) }
    }

    /// The zone the folio's memory is in (`folio_zonenum()`: `ZONE_DMA32`
    /// below 4 GiB on x86-64, `ZONE_NORMAL` above).
    pub(crate) fn zone(&self) -> c_int {
        // SAFETY: we hold a reference; the zone of a folio never changes.
        unsafe { ffi::rpc_folio_zonenum(self.as_ptr()) }
    }

    /// Whether someone may have pinned the folio for DMA
    /// (`folio_maybe_dma_pinned()`: O_DIRECT, io_uring fixed buffers,
    /// vmsplice): such a folio must not be copied and given up, the device
    /// would go on reading or writing the old memory.
    pub(crate) fn maybe_dma_pinned(&self) -> bool {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_maybe_dma_pinned(self.as_ptr()) }
    }

    /// Whether some page table maps the folio.
    pub(crate) fn is_mapped(&self) -> bool {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_mapped(self.as_ptr()) }
    }

    /// Locks the folio if nobody holds its lock (`folio_trylock()`), for
    /// callers that must not wait (the shrinker, in reclaim).
    pub(crate) fn try_lock(self) -> Option<LockedFolio> {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_trylock(self.as_ptr()) }.then(|| LockedFolio(self))
    }

    /// Clears `PG_referenced` and says whether it was set: the folio was
    /// read or written (`folio_mark_accessed()`) since the last look.
    pub(crate) fn test_clear_referenced(&self) -> bool {
        // SAFETY: we hold a reference; an atomic flag operation.
        unsafe { ffi::rpc_folio_test_clear_referenced(self.as_ptr()) }
    }

    /// Whether the folio is on node `nid` and charged to `memcg` or a memcg
    /// below it (any memcg if `memcg` is null or the root).
    pub(crate) fn in_scope(&self, nid: c_int, memcg: *mut bindings::mem_cgroup) -> bool {
        // SAFETY: we hold a reference; `memcg` is null or the live memcg of
        // the reclaim pass that called us.
        unsafe { ffi::rpc_folio_in_scope(self.as_ptr(), nid, memcg) }
    }

    /// The reference count now (a snapshot).
    pub(crate) fn ref_count(&self) -> c_int {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_ref_count(self.as_ptr()) }
    }

    /// Whether the folio is under writeback (never, for ours: a check).
    pub(crate) fn is_writeback(&self) -> bool {
        // SAFETY: we hold a reference.
        unsafe { ffi::rpc_folio_test_writeback(self.as_ptr()) }
    }

    /// Locks the folio (sleeps until it is ours, whatever signal comes).
    pub(crate) fn lock(self) -> LockedFolio {
        // SAFETY: we hold a reference, and may sleep here.
        unsafe { ffi::rpc_folio_lock(self.as_ptr()) };
        LockedFolio(self)
    }

    /// Locks the folio, or gives up with `EINTR` when a fatal signal comes
    /// first (`folio_lock_killable()`): for callers that can fail the
    /// system call, so that a task stuck behind a long lock holder can be
    /// killed.
    pub(crate) fn lock_killable(self) -> Result<LockedFolio> {
        // SAFETY: we hold a reference, and may sleep here.
        if unsafe { ffi::rpc_folio_lock_killable(self.as_ptr()) } != 0 {
            return Err(EINTR);
        }
        Ok(LockedFolio(self))
    }
}

impl Drop for Folio {
    fn drop(&mut self) {
        // SAFETY: we own one reference; this gives it back.
        unsafe { ffi::rpc_folio_put(self.as_ptr()) }
    }
}

/// A folio fresh from the allocator: in no mapping, unlocked, ours alone.
pub(crate) struct NewFolio(Folio);

impl NewFolio {
    /// The folio, for reads into it before it is inserted anywhere.
    pub(crate) fn folio(&self) -> &Folio {
        &self.0
    }

    /// `filemap_add_folio()`: inserts the folio at `index` of `mapping`,
    /// charged to the current task's memcg and put on the LRU; it comes back
    /// locked, with our reference. `EEXIST` if the index is taken; on any
    /// error the folio is put.
    pub(crate) fn add_to(self, mapping: &Mapping, index: u64, gfp: bindings::gfp_t) -> Result<LockedFolio> {
        // SAFETY: a new folio (type invariant) and a live mapping; the call
        // locks the folio and adds the page cache's references, or leaves
        // it untouched on error.
        let ret = unsafe { bindings::filemap_add_folio(mapping.as_raw(), self.0.as_ptr(), index as c_ulong, gfp) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        // SAFETY: `filemap_add_folio` returned it locked; the allocation
        // reference is still ours.
        Ok(unsafe { LockedFolio::from_raw_locked(self.0.into_raw()) })
    }
}

/// A folio that we have locked and hold a reference on.
pub(crate) struct LockedFolio(Folio);

impl core::ops::Deref for LockedFolio {
    type Target = Folio;

    fn deref(&self) -> &Folio {
        &self.0
    }
}

impl LockedFolio {
    /// Takes over a locked folio and one reference on it.
    ///
    /// # Safety
    ///
    /// The caller holds the folio lock and one reference, both handed over
    /// (as `filemap_add_folio()` leaves a new folio).
    pub(crate) unsafe fn from_raw_locked(ptr: *mut bindings::folio) -> Self {
        // SAFETY: function contract.
        LockedFolio(unsafe { Folio::from_raw(ptr) })
    }

    /// A folio that kernel code locked and holds a reference on, lent to
    /// us (an `a_ops` callback such as `read_folio`): takes a reference of
    /// our own and the lock, which dropping the result gives back (as the
    /// callback must unlock).
    ///
    /// # Safety
    ///
    /// The folio is locked, and the caller's reference lasts at least
    /// until the call that lent it returns; the lock is the caller's to
    /// hand over.
    pub(crate) unsafe fn from_lent_locked(ptr: *mut bindings::folio) -> Self {
        // SAFETY: the folio is live (the lender holds a reference), so a
        // further reference may be taken.
        unsafe {
            ffi::rpc_folio_get(ptr);
            LockedFolio(Folio::from_raw(ptr))
        }
    }

    /// Attaches `marker` as the folio's private data, with the reference
    /// `folio_attach_private()` takes for it.
    pub(crate) fn attach_marker(&self, marker: c_ulong) {
        // SAFETY: locked (private data changes under the folio lock) and
        // without private data (callers check: ours get it once).
        unsafe { ffi::rpc_folio_attach_marker(self.as_ptr(), marker) }
    }

    /// Detaches the private marker and puts its reference. The caller's own
    /// reference keeps the folio.
    pub(crate) fn detach_marker(&self) {
        // SAFETY: locked, with private data (the callers' check); we hold
        // a reference besides the marker's.
        unsafe { ffi::rpc_folio_detach_marker(self.as_ptr()) }
    }

    /// `folio_ref_freeze(folio, expected)`: if the count is exactly
    /// `expected` it becomes 0, so that lockless readers' `folio_try_get()`
    /// fails until the guard unfreezes it again. `None` if someone else
    /// holds a reference. `_irqs_off` is the XArray lock the window is held
    /// under: it must not sleep or be preempted (readers spin on it).
    pub(crate) fn freeze<'a>(&'a self, expected: c_int, _irqs_off: &XaLockIrq<'_>) -> Option<FrozenFolio<'a>> {
        // `then`, not `then_some`: a guard made eagerly would unfreeze on
        // drop a count that was never frozen.
        // SAFETY: locked and referenced by us; the count is restored by the
        // guard before our own reference can be put.
        unsafe { ffi::rpc_folio_ref_freeze(self.as_ptr(), expected) }.then(|| FrozenFolio(self, expected))
    }

    /// Puts `refs` references that the caller owns besides this value's
    /// (`folio_put_refs()`); ours keeps the folio.
    ///
    /// # Safety
    ///
    /// The caller owns those `refs` references (the page cache's, once the
    /// folio has left the XArray) and gives them up.
    pub(crate) unsafe fn put_other_refs(&self, refs: c_int) {
        // SAFETY: function contract; our own reference keeps the count above
        // zero, so this cannot free the folio.
        unsafe { ffi::rpc_folio_put_refs(self.as_ptr(), refs) }
    }

    /// Unlocks the folio, keeping the reference.
    pub(crate) fn unlock(self) -> Folio {
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: we hold the lock, given up here: `me` is never dropped,
        // so its `Drop` does not unlock again.
        unsafe { bindings::folio_unlock(me.as_ptr()) };
        // SAFETY: the reference moves out of `me`, which is not used again.
        unsafe { core::ptr::read(&me.0) }
    }

    /// `new` takes this folio's place at its index, as a copy: contents,
    /// up-to-date state, `marker`, dirty, memcg charge, LRU
    /// (`replace_page_cache_folio()`, then `folio_add_lru()`). Returns the
    /// new folio, locked, with our reference; ours on the old one is put
    /// with its lock, and the old folio is freed once those who still hold
    /// it (a lockless reader that will fail its re-check) put theirs.
    ///
    /// The caller has made sure that nothing maps the old folio and
    /// nothing has it pinned, and that it is not poisoned.
    pub(crate) fn replace_by_copy(self, new: NewFolio, marker: c_ulong) -> LockedFolio {
        let uptodate = self.is_uptodate();
        // SAFETY: `new` is fresh from the allocator, ours alone (its type's
        // invariant); `self` is locked, so its contents cannot change while
        // they are copied. The call locks `new`.
        unsafe { ffi::rpc_folio_copy_new(new.0.as_ptr(), self.as_ptr()) };
        let new = LockedFolio(new.0);
        if uptodate {
            new.mark_uptodate();
        }
        new.attach_marker(marker);
        self.cancel_dirty();
        self.detach_marker();
        // SAFETY: both locked; `new` is in no mapping; `self` is in its
        // mapping (the caller's lookup and our lock say so) and gives up
        // the page cache's reference, which `new` takes.
        unsafe { ffi::rpc_replace_folio(self.as_ptr(), new.as_ptr()) };
        new.mark_dirty();
        new
    }

    /// Hands the lock and the reference to C code (a fault handler's
    /// `VM_FAULT_LOCKED` return): the caller becomes responsible for both.
    pub(crate) fn into_raw_locked(self) -> *mut bindings::folio {
        let ptr = self.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// Marks a folio read around another page by swap-in, until its first
    /// use ([`Folio::take_readahead`]).
    pub(crate) fn mark_readahead(&self) {
        // SAFETY: locked, just filled; an atomic bit operation.
        unsafe { ffi::rpc_folio_set_readahead(self.as_ptr()) }
    }

    /// Marks the contents valid (after they were written or zeroed).
    pub(crate) fn mark_uptodate(&self) {
        // SAFETY: locked, so nobody else is filling the folio.
        unsafe { ffi::rpc_folio_mark_uptodate(self.as_ptr()) }
    }

    /// Marks the folio dirty (the mapping's `dirty_folio`, no accounting).
    pub(crate) fn mark_dirty(&self) {
        // SAFETY: locked, so the mapping cannot change under the call.
        unsafe { bindings::folio_mark_dirty(self.as_ptr()) };
    }

    /// Clears the dirty bit of a folio that is about to leave the cache.
    pub(crate) fn cancel_dirty(&self) {
        // SAFETY: locked, still in its mapping (the caller checks).
        unsafe { ffi::rpc_folio_cancel_dirty(self.as_ptr()) }
    }

    /// Zeroes bytes `start..end` of the folio. A poisoned folio is left
    /// alone: its memory must not be touched, and its page reads as EIO
    /// whatever it holds.
    pub(crate) fn zero(&self, start: usize, end: usize) {
        if start >= end || self.is_hwpoison() {
            return;
        }
        assert!(end <= self.size());
        // SAFETY: locked (no reader relies on these bytes until it is up to
        // date, or the caller zeroes a range that is being given up), and
        // the range is within the folio.
        unsafe { ffi::rpc_folio_zero_segment(self.as_ptr(), start, end) }
    }

    /// Copies from `iter` into the folio at `offset` with page faults
    /// disabled (the source may be a mapping of this very folio); returns
    /// the bytes copied, which may be short.
    pub(crate) fn copy_from_iter_atomic(&self, offset: usize, bytes: usize, iter: &mut IovIterSource<'_>) -> usize {
        debug_assert!(offset + bytes <= self.size());
        // SAFETY: locked; `copy_folio_from_iter_atomic()` refuses a range
        // beyond the folio itself (`page_copy_sane()`); `iter` is a valid
        // source (its type's invariant).
        let copied = unsafe { bindings::copy_folio_from_iter_atomic(self.as_ptr(), offset, bytes, iter.as_raw()) };
        // SAFETY: as above.
        unsafe { ffi::rpc_flush_dcache_folio(self.as_ptr()) };
        copied
    }

    /// The page of the folio at file index `index` (for `vmf->page`).
    pub(crate) fn page_at(&self, index: u64) -> *mut bindings::page {
        // SAFETY: we hold a reference; `folio_file_page` masks the index
        // into the folio.
        unsafe { ffi::rpc_folio_file_page(self.as_ptr(), index as c_ulong) }
    }
}

/// A locked folio whose reference count [`LockedFolio::freeze`] has frozen
/// at 0; dropping the guard sets it back to the expected count.
pub(crate) struct FrozenFolio<'a>(&'a LockedFolio, c_int);

impl Drop for FrozenFolio<'_> {
    fn drop(&mut self) {
        // SAFETY: frozen by `freeze` with this count, which is restored.
        unsafe { ffi::rpc_folio_ref_unfreeze(self.0.as_ptr(), self.1) }
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: we hold the lock; the reference is put right after, when
        // the inner `Folio` is dropped.
        unsafe { bindings::folio_unlock(self.as_ptr()) }
    }
}
