//! A [loom] model of the lockless page-cache lookup / removal protocol of the
//! module (`PageCache::lookup` and `PageCache::remove` in `cache/page_cache.rs`),
//! the speculative page reference of seed 002 (Nick Piggin's "mm: speculative
//! get page", today's `filemap_get_entry` and `__remove_mapping`).
//!
//! | model                           | kernel / module                                  |
//! |---------------------------------|--------------------------------------------------|
//! | [`Folio`]                       | `struct folio`: `_refcount`, `index`             |
//! | `PageCache::slots`, `xa_lock`   | the XArray `mapping->i_pages`, `xa_lock_irq`     |
//! | [`PageCache::folio_alloc`]      | `filemap_alloc_folio` (count set to 1)           |
//! | [`PageCache::folio_try_get`]    | `folio_try_get` (add 1 unless 0)                 |
//! | [`PageCache::folio_put`]        | `folio_put` (frees at 0)                         |
//! | [`PageCache::folio_ref_freeze`] | `folio_ref_freeze` (cmpxchg `expected` → 0)      |
//! | [`PageCache::lookup`]           | `xas_load` → `folio_try_get` → `xas_reload`      |
//! | [`PageCache::insert`]           | `filemap_add_folio` (`folio_ref_add`, `xas_store`) |
//! | [`PageCache::remove`]           | reclaim: `xa_lock_irq` → `folio_ref_freeze(nr + 1)` → `xas_store(NULL)` → free, no unfreeze |
//! | [`PageCache::truncate`]         | the module's `PageCache::remove`: freeze if it can, `xas_store(NULL)` anyway, unfreeze, put the cache's references; the last put frees |
//!
//! Lookup: 1. load the slot; 2. take a reference unless the count is 0 (then
//! retry: the folio is being freed or is frozen); 3. reload the slot, and if
//! it no longer holds this folio drop the reference and retry. Reclaim: with
//! the lock held A. cmpxchg the count from "the cache's + the remover's" to 0,
//! bailing out if a reader holds one more; B. clear the slot; C. free.
//!
//! # RCU
//!
//! loom cannot model grace periods. What RCU protects in the kernel is the
//! XArray node `xas_load` walks; the `struct folio` itself is never unmapped
//! (it lives in the memory map), so a speculative reader can always *read*
//! it, free or reallocated. The model gives the same guarantee with an arena
//! of folios that is never deallocated: "free" is observable (the `freed`
//! flag, count 0) and "reuse" is the same [`Folio`] handed out again by
//! [`PageCache::folio_alloc`], maybe for another index. What the protocol must
//! rule out, and the assertions check, is a reader holding a free folio or
//! one reused for another index.
//!
//! # Properties (assertions inside the models)
//!
//! * a lookup that returns a folio holds a reference on a folio that is not
//!   freed and has the looked-up index, still so when the reader drops it
//!   ([`PageCache::check_held`]);
//! * no refcount underflow, no double free, one free per allocation;
//! * at the end, every folio is free with count 0 or referenced exactly by the
//!   slots holding it ([`PageCache::check_final`]).
//!
//! Every violation panics with a message starting with [`VIOLATION`].
//!
//! # Broken variants ([`Variant`]), which the tests show loom catching
//!
//! * [`Variant::NoRecheck`] skips step 3. Against reclaim alone this is
//!   harmless (a frozen count stays 0 until reallocation, so step 2 fails),
//!   but when the folio is freed and reallocated for another index, a reader
//!   that loaded the old slot takes a reference on the new allocation and
//!   returns a folio of the wrong index: step 3 exists for reuse. (Against
//!   truncate it would return a folio already out of the cache; kernel callers
//!   catch that with `folio->mapping` under the folio lock, not modelled.)
//! * [`Variant::NoFreeze`] replaces the cmpxchg of step A by a load ("is the
//!   count 2?") and, after clearing the slot, sets the count to 0 and frees.
//!   A `folio_try_get` landing between the check and the free leaves a reader
//!   holding a freed folio, or underflowing the count when it puts it.

use loom::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst},
};
use loom::sync::Mutex;

/// Start of the panic message of every protocol violation.
pub const VIOLATION: &str = "lookup-model violation";
pub const FREED_FOLIO: &str = "reader holds a freed folio";
pub const WRONG_INDEX: &str = "reader holds a folio of another index";
pub const UNDERFLOW: &str = "refcount underflow";
pub const DOUBLE_FREE: &str = "double free";
pub const LEAK: &str = "leak or wrong refcount at the end";

fn violation(what: &str, detail: String) -> ! {
    panic!("{VIOLATION}: {what} ({detail})")
}

/// Retries after which a model lookup gives up and returns None. The kernel
/// retries forever; under loom two readers spinning on a frozen folio can
/// yield to each other forever while the remover never runs, an execution
/// loom rejects ("exceeded maximum number of branches"). A retry no other
/// thread caused repeats an explored state, and the models make fewer state
/// changes than this, so the bound only cuts repetitions; a reader that gives
/// up holds nothing.
pub const MAX_RETRIES: usize = 4;

/// Index of a folio in the arena.
pub type FolioId = usize;
const EMPTY: usize = usize::MAX;

/// Which protocol [`PageCache`] implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The module's protocol.
    Correct,
    /// Broken: lookup does not re-check the slot after `folio_try_get`.
    NoRecheck,
    /// Broken: reclaim checks the count with a load instead of freezing it.
    NoFreeze,
}

/// A folio of the arena, never deallocated (see "RCU" above).
pub struct Folio {
    /// `_refcount`: 0 when free or frozen.
    pub refcount: AtomicUsize,
    pub index: AtomicUsize,
    /// For checking: set while the folio is free, and its generation.
    pub freed: AtomicBool,
    pub allocs: AtomicUsize,
    pub frees: AtomicUsize,
}

/// One mapping (its slots and their lock) and the allocator of folios.
pub struct PageCache {
    variant: Variant,
    folios: Vec<Folio>,
    slots: Vec<AtomicUsize>,
    xa_lock: Mutex<()>,
    /// The page allocator: its lock orders a free before the reallocation.
    free_list: Mutex<Vec<FolioId>>,
    /// Lookup retries because step 2 saw a count of 0.
    pub retries_zero: AtomicUsize,
    /// Lookup retries because step 3 found the slot changed under the
    /// reference taken in step 2.
    pub retries_moved: AtomicUsize,
    /// Lookups that gave up after [`MAX_RETRIES`].
    pub starved: AtomicUsize,
}

impl PageCache {
    /// `nr_folios` free folios, `nr_slots` empty slots (indices 0..nr_slots).
    pub fn new(variant: Variant, nr_folios: usize, nr_slots: usize) -> Self {
        let zero = || AtomicUsize::new(0);
        let folio = |_| Folio {
            refcount: zero(),
            index: AtomicUsize::new(EMPTY),
            freed: AtomicBool::new(true),
            allocs: zero(),
            frees: zero(),
        };
        PageCache {
            variant,
            folios: (0..nr_folios).map(folio).collect(),
            slots: (0..nr_slots).map(|_| AtomicUsize::new(EMPTY)).collect(),
            xa_lock: Mutex::new(()),
            free_list: Mutex::new((0..nr_folios).rev().collect()),
            retries_zero: zero(),
            retries_moved: zero(),
            starved: zero(),
        }
    }

    pub fn folio(&self, id: FolioId) -> &Folio {
        &self.folios[id]
    }

    /// Allocate a folio: the caller owns its one reference.
    pub fn folio_alloc(&self) -> Option<FolioId> {
        let id = self.free_list.lock().unwrap().pop()?;
        let f = &self.folios[id];
        f.freed.store(false, Relaxed);
        f.allocs.fetch_add(1, Relaxed);
        // set_page_refcounted(). A racing speculative folio_try_get may bump
        // this count at once: allowed, and why lookup re-checks. Release: the
        // kernel's free and allocation paths have full barriers between the
        // remover clearing the slot and this store.
        f.refcount.store(1, Release);
        Some(id)
    }

    fn folio_free(&self, id: FolioId) {
        let f = &self.folios[id];
        if f.freed.swap(true, AcqRel) {
            violation(DOUBLE_FREE, format!("folio {id} already free"));
        }
        let frees = f.frees.fetch_add(1, Relaxed) + 1;
        let allocs = f.allocs.load(Relaxed);
        if frees != allocs {
            violation(
                DOUBLE_FREE,
                format!("folio {id}: {frees} frees, {allocs} allocs"),
            );
        }
        self.free_list.lock().unwrap().push(id);
    }

    /// `folio_try_get`: take a reference unless the count is 0.
    pub fn folio_try_get(&self, id: FolioId) -> bool {
        let rc = &self.folios[id].refcount;
        let mut c = rc.load(Relaxed);
        while c != 0 {
            match rc.compare_exchange(c, c + 1, SeqCst, Relaxed) {
                Ok(_) => return true,
                Err(now) => c = now,
            }
        }
        false
    }

    /// `folio_put`: drop a reference; free the folio (and return true) when
    /// it was the last.
    pub fn folio_put(&self, id: FolioId) -> bool {
        match self.folios[id].refcount.fetch_sub(1, SeqCst) {
            0 => violation(UNDERFLOW, format!("folio {id}")),
            1 => {
                self.folio_free(id);
                true
            }
            _ => false,
        }
    }

    /// `folio_ref_freeze`: cmpxchg the count from `expected` to 0.
    pub fn folio_ref_freeze(&self, id: FolioId, expected: usize) -> bool {
        let rc = &self.folios[id].refcount;
        rc.compare_exchange(expected, 0, SeqCst, Relaxed).is_ok()
    }

    /// `PageCache::lookup`: the folio at `index` with a reference, or None.
    pub fn lookup(&self, index: usize) -> Option<FolioId> {
        let slot = &self.slots[index];
        for _ in 0..=MAX_RETRIES {
            // 1. xas_load() under rcu_read_lock().
            let id = slot.load(Acquire);
            if id == EMPTY {
                return None;
            }
            // 2. folio_try_get(): 0 means being freed, or frozen.
            if !self.folio_try_get(id) {
                self.retry(&self.retries_zero);
                continue;
            }
            // 3. xas_reload(): still this folio at this index?
            if self.variant != Variant::NoRecheck && slot.load(Acquire) != id {
                self.folio_put(id); // may be the last reference: frees
                self.retry(&self.retries_moved);
                continue;
            }
            return Some(id);
        }
        self.starved.fetch_add(1, Relaxed);
        None
    }

    fn retry(&self, counter: &AtomicUsize) {
        counter.fetch_add(1, Relaxed);
        loom::thread::yield_now(); // spinning on the remover: let it run
    }

    /// `filemap_add_folio`: insert `id` (the caller keeps its reference) at
    /// `index`; the slot takes a reference of its own.
    pub fn insert(&self, id: FolioId, index: usize) {
        let f = &self.folios[id];
        f.index.store(index, Relaxed);
        f.refcount.fetch_add(1, Relaxed); // folio_ref_add()
        let _xa = self.xa_lock.lock().unwrap();
        assert_eq!(
            self.slots[index].load(Relaxed),
            EMPTY,
            "insert over a folio"
        );
        self.slots[index].store(id, Release); // xas_store()
    }

    /// Reclaim (`__remove_mapping`): the caller holds a reference on `id`, the
    /// slot `index` the cache's. True when the folio was removed and freed;
    /// false when someone else held a reference (the caller's is dropped).
    pub fn remove(&self, id: FolioId, index: usize) -> bool {
        let xa = self.xa_lock.lock().unwrap();
        let slot = &self.slots[index];
        // A. folio_ref_freeze(folio, nr + 1): the cache's + ours.
        let frozen = slot.load(Relaxed) == id
            && match self.variant {
                Variant::NoFreeze => self.folios[id].refcount.load(Relaxed) == 2,
                _ => self.folio_ref_freeze(id, 2),
            };
        if !frozen {
            drop(xa);
            self.folio_put(id);
            return false;
        }
        slot.store(EMPTY, Release); // B. xas_store(NULL)
        drop(xa);
        if self.variant == Variant::NoFreeze {
            // What the freeze would have done, too late. A swap, not a store:
            // loom may order a plain store before concurrent RMWs, showing
            // counts no real execution could.
            self.folios[id].refcount.swap(0, SeqCst);
        }
        self.folio_free(id); // C. free: the count is 0, no unfreeze
        true
    }

    /// The module's `PageCache::remove` (truncate, hole punch): the caller
    /// holds a reference, which stays valid. Freeze if possible (readers
    /// between steps 1 and 2 retry), clear the slot even if not, unfreeze,
    /// put the cache's reference; whoever puts the last one frees.
    pub fn truncate(&self, id: FolioId, index: usize) {
        let xa = self.xa_lock.lock().unwrap();
        let slot = &self.slots[index];
        if slot.load(Relaxed) != id {
            return;
        }
        let frozen = self.folio_ref_freeze(id, 2);
        slot.store(EMPTY, Release);
        if frozen {
            self.folios[id].refcount.store(2, Release); // folio_ref_unfreeze
        }
        drop(xa);
        self.folio_put(id);
    }

    /// The properties of a reference held by a reader of `index`.
    pub fn check_held(&self, id: FolioId, index: usize) {
        let f = &self.folios[id];
        if f.freed.load(Acquire) || f.refcount.load(Acquire) == 0 {
            violation(FREED_FOLIO, format!("folio {id} looked up at {index}"));
        }
        let got = f.index.load(Relaxed);
        if got != index {
            violation(
                WRONG_INDEX,
                format!("folio {id} has index {got}, looked up {index}"),
            );
        }
    }

    /// A reader: look `index` up; if found, check the folio, check it again
    /// (others may run in between), and put it. Returns whether it found one.
    pub fn read(&self, index: usize) -> bool {
        let Some(id) = self.lookup(index) else {
            return false;
        };
        self.check_held(id, index);
        self.check_held(id, index);
        self.folio_put(id);
        true
    }

    /// At the end of an execution (threads joined, none holding a reference):
    /// every folio is free with count 0, or referenced exactly by its slots.
    pub fn check_final(&self) {
        for (id, f) in self.folios.iter().enumerate() {
            let holders = self.slots.iter().filter(|s| s.load(Relaxed) == id).count();
            let rc = f.refcount.load(Relaxed);
            let (allocs, frees) = (f.allocs.load(Relaxed), f.frees.load(Relaxed));
            let ok = if f.freed.load(Relaxed) {
                rc == 0 && holders == 0 && frees == allocs
            } else {
                rc == holders && holders > 0 && frees + 1 == allocs
            };
            if !ok {
                let state = format!("{rc} refs, {holders} slots, {allocs} allocs, {frees} frees");
                violation(LEAK, format!("folio {id}: {state}"));
            }
        }
    }
}

#[cfg(test)]
mod tests;
