// SPDX-License-Identifier: GPL-2.0

//! The module's own page cache: lookup, insertion, removal and truncation
//! of a file's folios.
//!
//! # The index
//!
//! A file's folios live in its `mapping->i_pages`, the XArray that the rest
//! of the kernel (rmap, reclaim, migration, memory-failure, `/proc/kpage*`)
//! knows how to walk. Insertion goes through `filemap_add_folio()`, which
//! charges the folio to the inserting task's memcg, accounts
//! `NR_FILE_PAGES` and puts it on the LRU (the unevictable one: see
//! "Memory accounting and reclaim"). Everything else — finding folios,
//! deciding when they leave, what truncation and hole punching do — is the
//! code in this file.
//!
//! Entries are folio pointers, and nothing else is ever stored. The kernel's
//! truncate helpers and `drop_caches` delete every value entry
//! (`xa_is_value`) of a mapping that is not shmem's (`mm/truncate.c`), so
//! the swap records live in an index of the module's own
//! (`RpcInode::swap`, swap/swap_in.rs), not here; every walker here treats a
//! value entry as "not cached" anyway.
//!
//! # Lockless lookup (seed 002)
//!
//! [`PageCache::lookup`] and [`PageCache::lookup_batch`] take no lock but
//! RCU, in the order Nick Piggin's speculative page-cache patch set out:
//! 1. load the entry from the XArray under `rcu_read_lock()`;
//! 2. take a speculative reference with `folio_try_get()`, which fails if
//!    the count is zero (the folio is being freed, or is frozen by a
//!    remover): then start again;
//! 3. re-check that the XArray still holds this folio at this index
//!    (`xas_reload`); if not (it was removed, or freed and reused while we
//!    looked), drop the reference and start again.
//!
//! Retries of steps 2 and 3 are counted in [`Stats`] (`lookup_retries`).
//!
//! # Removal (seed 002's remove side)
//!
//! [`PageCache::remove`] freezes the reference count at exactly "the page
//! cache's references + the marker's + ours" (holding the folio lock), then
//! takes the XArray lock and the entry leaves the index: a reader between steps 1 and 2 then sees zero and
//! retries, and a reader that already holds a reference makes the freeze
//! fail. Freezing is what a remover that frees or reuses the folio (reclaim,
//! and this module's swap-out later) must do. Truncation and hole punching
//! remove the folio even when the freeze fails — someone else (a racing
//! reader about to fail its re-check, a pinner such as O_DIRECT or
//! vmsplice, the LRU's per-CPU batch) still holds a reference, so the folio
//! cannot be freed under them; it leaves the index, and the last
//! `folio_put()`, wherever it happens, frees it. This is the distinction
//! Peter Zijlstra draws in the seed thread: truncate does not need a stable
//! count, reclaim does.
//!
//! # Memory accounting and reclaim
//!
//! Until the module has its own swap, nothing can write these folios
//! anywhere: the memory they hold is not available to anyone else, and
//! reclaim must neither drop one nor spend time on them. So a regular file's
//! mapping is unevictable (`mapping_set_unevictable()`, as ramfs's, in
//! `rpc_mapping_init`): `filemap_add_folio()` still charges the folio to the
//! writer's memcg and counts it in `NR_FILE_PAGES`, but puts it on the
//! unevictable LRU, so
//!
//! - `MemAvailable` and the allocator's retry logic
//!   (`zone_reclaimable_pages()`) do not count it as reclaimable: storing
//!   256 MiB lowers `MemAvailable` by 256 MiB, as on tmpfs without swap
//!   (before, when the folios sat on the file LRU, by 40 MiB);
//! - kswapd and memcg reclaim never scan it: no activation loops, no
//!   unmapping of mapped folios only to find them dirty, no `PG_reclaim`
//!   left on a folio (the bit is `PG_readahead`, which fault-around skips);
//!   a memcg at its limit fails the charge at once (ENOMEM, or its OOM
//!   killer picks a task), never a cached folio;
//! - migration and compaction still move it (`migrate_folio`), memory
//!   failure still finds it through rmap, `/proc/kpageflags` shows it.
//!
//! The module's own swap (swap/) makes these folios reclaimable again, but
//! only through the module's swap-out: a shrinker reports them as freeable
//! and writes cold ones to the swap device (swap/out.rs), removing each with
//! [`PageCache::remove_if_unused`]; the VM's LRU scan stays out.
//!
//! Every folio is also dirty from its insertion until this module removes
//! it (`mark_dirty` in file.rs and mmap.rs), except one read back from swap
//! whose slot still holds the same data (a clean copy, swap/swap_in.rs),
//! and nothing cleans a dirty one:
//! `dirty_folio` is `noop_dirty_folio`, the mapping has no `writepages`,
//! its bdi (`noop_backing_dev_info`) has no writeback, so
//! `folio_clear_dirty_for_io()` is never called on it.
//! `invalidate_mapping_pages()` (drop_caches, fadvise DONTNEED) refuses
//! dirty folios, and `release_folio` ([`rpc_release_folio`]) says no to
//! every folio (clean copies included: only the module removes them); the
//! only folios a kernel caller inserts itself are those `read_folio`
//! ([`crate::fs::file`]) adopts, so the XArray never holds workingset
//! shadow entries. Every folio carries a private marker ([`FOLIO_MARKER`],
//! one reference, as `folio_attach_private` takes), which makes the kernel
//! ask the mapping before it releases a folio, and makes reclaim, should it
//! ever meet one, ask `is_dirty_writeback` ([`rpc_is_dirty_writeback`]):
//! "neither dirty nor under writeback, for throttling purposes". That was
//! what stopped reclaim from throttling on these folios for minutes while
//! they were on the file LRU; it stays true for the swap work.
//!
//! The marker is detached when the folio leaves the cache: by
//! [`PageCache::remove`], or by `invalidate_folio` ([`rpc_invalidate_folio`])
//! when the kernel truncates it itself (the final truncate at eviction).
//!
//! # Memory failure
//!
//! A poisoned folio stays in the cache (`error_remove_folio` is
//! [`rpc_error_remove_folio`], as shmem's): it is the only copy of its data,
//! so turning it into a hole would make the lost data read as zeros. Reads
//! of that page fail with EIO (file.rs), writes to it too, a fault gets
//! SIGBUS (`__do_fault()` checks), fault-around skips it, and truncate,
//! punch and unlink remove and free it like any other folio, blocks and
//! all.
//!
//! # Locks
//!
//! Insertion happens under `i_rwsem` (write, fallocate) or the mapping's
//! `invalidate_lock` held shared (a fault on a hole). Removal happens with
//! the folio locked, under `i_rwsem` and the `invalidate_lock` held
//! exclusively (truncate, punch), or at eviction when nobody else can reach
//! the inode. Order: `i_rwsem` → `invalidate_lock` → folio lock →
//! `i_mmap_rwsem` (unmapping a folio mapped again) and the XArray lock
//! (irq-safe spinlock, innermost).

use crate::glue::array_vec::ArrayVec;
use crate::glue::ffi;
use crate::glue::folio::{Folio, LockedFolio};
use crate::cache::stats::Stats;
use crate::glue::vfs::{cond_resched, Mapping};
use crate::glue::xarray::{is_value, XaLockIrq, XaState};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::rcu;

/// `folio->private` of every cached folio (see "Memory accounting and reclaim").
pub(crate) const FOLIO_MARKER: c_ulong = 0x5250_4331; // "RPC1"

/// `a_ops->is_dirty_writeback`: reclaim's throttling question. Called by
/// reclaim for folios with `PG_private`, i.e. ours with [`FOLIO_MARKER`].
///
/// # Safety
///
/// `dirty` and `writeback` point to the caller's flags.
#[no_mangle]
unsafe extern "C" fn rpc_is_dirty_writeback(_folio: *mut bindings::folio, dirty: *mut bool, writeback: *mut bool) {
    // No flusher will ever write these folios back: do not wait for it.
    // SAFETY: function contract.
    unsafe {
        *dirty = false;
        *writeback = false;
    }
}

/// `a_ops->release_folio`: a cached folio is the only copy of its data.
#[no_mangle]
extern "C" fn rpc_release_folio(_folio: *mut bindings::folio, _gfp: bindings::gfp_t) -> bool {
    false
}

/// `a_ops->error_remove_folio`: memory failure found the folio poisoned.
/// Keep it (see "Memory failure" above): returning 0 without removing
/// anything is what shmem's does.
#[no_mangle]
extern "C" fn rpc_error_remove_folio(_mapping: *mut bindings::address_space, _folio: *mut bindings::folio) -> c_int {
    0
}

/// `a_ops->invalidate_folio`: the kernel truncates the folio itself (the
/// final truncate at eviction); drop the marker with it.
///
/// # Safety
///
/// Called with the folio locked.
#[no_mangle]
unsafe extern "C" fn rpc_invalidate_folio(folio: *mut bindings::folio, offset: usize, len: usize) {
    // SAFETY: the folio is locked and referenced by the caller.
    unsafe {
        let size = (ffi::rpc_folio_nr_pages(folio) as usize) << bindings::PAGE_SHIFT;
        if offset == 0 && len == size && ffi::rpc_folio_test_private(folio) {
            ffi::rpc_folio_detach_marker(folio);
        }
    }
}

/// Folios per batch of [`PageCache::lookup_batch`] (as `PAGEVEC_SIZE`).
pub(crate) const BATCH: usize = 15;

/// The largest page index a file can have.
pub(crate) const MAX_INDEX: u64 = (i64::MAX as u64) >> bindings::PAGE_SHIFT;

/// Up to [`BATCH`] referenced folios, in index order (a `folio_batch`).
/// Only the slots in use are initialised (glue/array_vec.rs): making and
/// dropping a batch for a one-page read costs what that one folio costs.
pub(crate) type Batch = ArrayVec<Folio, BATCH>;

/// One file's page cache: the mapping of a regular file of this
/// filesystem (a [`Mapping`] is only ever one of ours) and its mount's
/// statistics.
pub(crate) struct PageCache<'a> {
    mapping: &'a Mapping,
    stats: &'a Stats,
}

impl<'a> PageCache<'a> {
    pub(crate) fn new(mapping: &'a Mapping, stats: &'a Stats) -> Self {
        PageCache { mapping, stats }
    }

    pub(crate) fn mapping(&self) -> &'a Mapping {
        self.mapping
    }

    pub(crate) fn stats(&self) -> &'a Stats {
        self.stats
    }

    /// Whether `folio` (locked by the caller) is still in this mapping:
    /// removal clears `folio->mapping` under the folio lock.
    fn owns(&self, folio: &Folio) -> bool {
        folio.mapping() == self.mapping.as_raw()
    }

    /// Step 2 and 3 of the lockless protocol for an entry just loaded by
    /// `xas`: the folio with a reference, or `None` to start again.
    #[inline]
    fn try_get_rechecked(&self, xas: &mut XaState<'_>, entry: *mut c_void) -> Option<Folio> {
        // SAFETY: `entry` was just loaded by `xas`, whose RCU read section
        // (or XArray lock) is still held: the cursor borrows it.
        let Some(folio) = (unsafe { Folio::try_get(entry.cast()) }) else {
            self.stats.retried();
            xas.reset();
            return None;
        };
        if xas.reload() != entry {
            // Removed (and maybe reused) between the load and the get:
            // `folio` is dropped here, putting the speculative reference.
            self.stats.retried();
            xas.reset();
            return None;
        }
        Some(folio)
    }

    /// The folio at `index`, with a reference, found without locks.
    #[inline]
    pub(crate) fn lookup(&self, index: u64) -> Option<Folio> {
        let rcu = rcu::read_lock();
        let mut xas = XaState::new(self.mapping, &rcu, index);
        loop {
            let entry = xas.load();
            if xas.retry(entry) {
                continue;
            }
            if entry.is_null() || is_value(entry) {
                return None;
            }
            if let Some(folio) = self.try_get_rechecked(&mut xas, entry) {
                return Some(folio);
            }
        }
    }

    /// Fills `batch` with the folios at indices `start..=last`, in order,
    /// skipping holes, each with a reference; stops when the batch is full.
    pub(crate) fn lookup_batch(&self, start: u64, last: u64, batch: &mut Batch) {
        if start == last {
            // One index (a small read): a plain load, cheaper than a walk.
            if let Some(folio) = self.lookup(start) {
                // A full batch would hand the folio back, to be put.
                let _ = batch.push(folio);
            }
            return;
        }
        // Slot by slot, as filemap_get_read_batch(): in a file being read
        // the indices are consecutive, and the next slot is one read away,
        // where a search would start each step from the top of the tree.
        // A hole is skipped with one search (`xas_find()` leaves out whole
        // empty subtrees), so a sparse range costs what its folios cost.
        // After a reset (retry entry, failed get or re-check) the next step
        // loads the same index again.
        let rcu = rcu::read_lock();
        let mut xas = XaState::new(self.mapping, &rcu, start);
        let mut entry = xas.load();
        loop {
            if entry.is_null() {
                entry = xas.find(last);
                if entry.is_null() {
                    break;
                }
            }
            if xas.index() > last || batch.is_full() {
                break;
            }
            if !xas.retry(entry) && !is_value(entry) {
                if let Some(folio) = self.try_get_rechecked(&mut xas, entry) {
                    // Not full: checked above.
                    let _ = batch.push(folio);
                }
            }
            entry = xas.next();
        }
    }

    /// The folio at `index`, locked and still in this mapping.
    pub(crate) fn lookup_locked(&self, index: u64) -> Option<LockedFolio> {
        match self.lookup_locked_with(index, |f| Ok(f.lock())) {
            Ok(found) => found,
            Err(_) => None, // an uninterruptible lock does not fail
        }
    }

    /// [`Self::lookup_locked`] for callers that can fail their system call:
    /// `EINTR` if a fatal signal comes while waiting for the lock.
    pub(crate) fn lookup_locked_killable(&self, index: u64) -> Result<Option<LockedFolio>> {
        self.lookup_locked_with(index, Folio::lock_killable)
    }

    fn lookup_locked_with(&self, index: u64, lock: impl Fn(Folio) -> Result<LockedFolio>) -> Result<Option<LockedFolio>> {
        loop {
            let Some(folio) = self.lookup(index) else {
                return Ok(None);
            };
            let folio = lock(folio)?;
            // Removed while we waited for the lock: look again.
            if self.owns(&folio) {
                return Ok(Some(folio));
            }
        }
    }

    /// The first index in `start..=last` that has a folio.
    pub(crate) fn next_present(&self, start: u64, last: u64) -> Option<u64> {
        let rcu = rcu::read_lock();
        let mut xas = XaState::new(self.mapping, &rcu, start);
        loop {
            let entry = xas.find(last);
            if entry.is_null() {
                return None;
            }
            if xas.retry(entry) || is_value(entry) {
                continue;
            }
            return Some(xas.index());
        }
    }

    /// The first index in `start..=last` that has no folio (`last + 1` if
    /// there is none).
    pub(crate) fn next_absent(&self, start: u64, last: u64) -> u64 {
        let rcu = rcu::read_lock();
        let mut xas = XaState::new(self.mapping, &rcu, start);
        let mut expect = start;
        while expect <= last {
            let entry = xas.find(last);
            if entry.is_null() {
                break;
            }
            if xas.retry(entry) || is_value(entry) {
                continue;
            }
            if xas.index() != expect {
                break;
            }
            expect += 1;
        }
        expect
    }

    /// Allocates a folio with `gfp` (the mapping's mask, or what the caller
    /// made of it: swap/swap_in.rs, `Gfp::mask`) and inserts it at `index`,
    /// charged with `gfp`: it comes back locked, not yet up to date,
    /// charged to the current memcg and on the LRU. `EEXIST` if `index` is
    /// taken.
    pub(crate) fn insert_gfp(&self, index: u64, zeroed: bool, gfp: bindings::gfp_t) -> Result<LockedFolio> {
        let alloc_gfp = if zeroed { gfp | bindings::__GFP_ZERO } else { gfp };
        let folio = Folio::alloc(alloc_gfp).ok_or(ENOMEM)?.add_to(self.mapping, index, gfp)?;
        // The marker takes one more reference.
        folio.attach_marker(FOLIO_MARKER);
        self.stats.inserted(folio.nr_pages());
        Ok(folio)
    }

    /// Whether a locked folio of this mapping went in through [`Self::insert_gfp`]
    /// or [`Self::adopt`] (it carries the marker), not through kernel code
    /// of its own.
    pub(crate) fn is_ours(&self, folio: &LockedFolio) -> bool {
        folio.has_private()
    }

    /// Takes a locked folio that kernel code inserted into this mapping
    /// itself (`do_read_cache_folio()`, before `read_folio`) into the
    /// cache's bookkeeping: the marker and the statistics, as [`Self::insert_gfp`]
    /// would have. The caller charges it, or removes it again.
    pub(crate) fn adopt(&self, folio: &LockedFolio) {
        // Locked, in this mapping, no private data yet (not ours).
        folio.attach_marker(FOLIO_MARKER);
        self.stats.inserted(folio.nr_pages());
    }

    /// Removes a locked folio of this mapping from the cache (see the top of
    /// this file for the freeze). Returns the number of pages removed (0 if
    /// it had already gone). The caller has unmapped it and gives back the
    /// blocks; the folio is freed when the last reference goes.
    pub(crate) fn remove(&self, folio: LockedFolio) -> usize {
        self.remove_inner(&folio, false).unwrap_or(0)
    }

    /// Removes a locked, unmapped folio of this mapping only if nobody else
    /// holds a reference (the freeze succeeds): swap-out's removal, which
    /// frees the folio, so no pinner or reader may still see it (seeds 000,
    /// 001, 002). `false` leaves the folio in the cache, dirty, as it was.
    pub(crate) fn remove_if_unused(&self, folio: &LockedFolio) -> bool {
        if folio.is_mapped() {
            return false;
        }
        self.remove_inner(folio, true).is_some()
    }

    fn remove_inner(&self, folio: &LockedFolio, must_freeze: bool) -> Option<usize> {
        if !self.owns(folio) {
            return None;
        }
        if folio.is_mapped() {
            // Mapped again by a fault after the caller's range unmap: our
            // lock now keeps further faults out until it has gone.
            self.mapping.unmap_range(folio.index() << bindings::PAGE_SHIFT, folio.size() as u64, false);
        }
        let nr = folio.nr_pages();
        // Storing NULL over one slot (step B) removes an order-0 folio only;
        // the module makes no large folios yet. Whoever adds them must store
        // over the folio's whole range here.
        if kernel::warn_on!(nr != 1) {
            return None;
        }
        // Clean only if swap holds a copy of it (swap/swap_in.rs).
        let was_dirty = folio.is_dirty();
        folio.cancel_dirty();
        // The page cache holds `nr` references, we hold one, the marker one.
        let marked = self.is_ours(folio);
        let expected = nr as c_int + 1 + c_int::from(marked);
        let frozen = {
            let xa_lock = XaLockIrq::new(self.mapping);
            // A: freeze. Readers between load and try_get now fail and
            // retry. The window must not be preempted or sleep: a reader
            // spins on the frozen count inside its RCU read section, which
            // (TREE_RCU) does not yield the CPU. Hence the XArray lock with
            // interrupts off, as `__remove_mapping()` does it.
            let frozen = folio.freeze(expected, &xa_lock);
            if frozen.is_some() {
                self.stats.hold_frozen_window(folio.index());
            } else if must_freeze {
                // Someone holds a reference: the folio stays, as it was.
                drop(xa_lock);
                if was_dirty {
                    folio.mark_dirty();
                }
                return None;
            }
            // B: the entry leaves the index: this order-0 folio (checked
            // above) is exactly the entry at its index.
            XaState::new_locked(&xa_lock, folio.index()).store_null(&xa_lock);
            // SAFETY: XArray lock held; the folio has just left the index.
            unsafe { ffi::rpc_folio_detach(self.mapping.as_raw(), folio.as_ptr()) };
            // The count is unfrozen here, still under the lock.
            frozen.is_some()
        };
        if marked {
            // Locked, out of the cache; puts the marker's reference (we
            // still hold ours, so the folio stays).
            folio.detach_marker();
        }
        self.stats.removed(nr, frozen);
        // C: drop the page cache's references. Ours goes when `folio` is
        // dropped (after the unlock); whoever puts the last one frees it.
        // SAFETY: the XArray no longer holds the folio, so its `nr`
        // references are ours to put.
        unsafe { folio.put_other_refs(nr as c_int) };
        Some(nr)
    }

    /// Calls `f` with each folio at indices `start..=last` that is still in
    /// this mapping once locked, in index order.
    pub(crate) fn for_each_locked(&self, start: u64, last: u64, mut f: impl FnMut(LockedFolio)) {
        let mut index = start;
        while index <= last {
            let mut batch = Batch::new();
            self.lookup_batch(index, last, &mut batch);
            if batch.is_empty() {
                break;
            }
            for folio in batch.drain() {
                index = folio.index() + folio.nr_pages() as u64;
                let folio = folio.lock();
                if self.owns(&folio) {
                    f(folio);
                }
            }
            cond_resched();
        }
    }

    /// Removes every folio at indices `start..=last`. Returns the number of
    /// pages removed. Caller: `i_rwsem` and `invalidate_lock` (exclusive)
    /// held, the range already unmapped, or the inode being evicted.
    pub(crate) fn truncate_range(&self, start: u64, last: u64) -> u64 {
        let mut removed = 0u64;
        self.for_each_locked(start, last, |folio| removed += self.remove(folio) as u64);
        removed
    }
}
