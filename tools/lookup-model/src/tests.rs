//! The loom models. loom runs each closure for every interleaving (and every
//! weak-memory outcome it models) of its threads; the crate's assertions
//! panic on a violation, which makes `loom::model` panic.

use super::*;
use loom::sync::Arc;
use loom::thread;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize as StdAtomic, Ordering::Relaxed as StdRelaxed};
use std::sync::Arc as StdArc;

/// What the executions of one model saw, counted across all of them (plain
/// std atomics: outside loom's view).
type Seen = StdArc<[StdAtomic; 5]>;
fn hit(seen: &Seen, i: usize) {
    seen[i].fetch_add(1, StdRelaxed);
}
fn count(seen: &Seen, i: usize) -> usize {
    seen[i].load(StdRelaxed)
}

/// No preemption bound: the two-thread models are explored exhaustively.
const EXHAUSTIVE: Option<usize> = None;

/// Run `f` under loom (`LOOM_MAX_PREEMPTIONS=N` overrides `bound`) and print
/// how many executions were explored (`cargo test -- --nocapture`).
fn model<F: Fn() + Sync + Send + 'static>(bound: Option<usize>, f: F) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = b.preemption_bound.or(bound);
    let n = StdArc::new(StdAtomic::new(0));
    let n2 = n.clone();
    b.check(move || {
        n2.fetch_add(1, StdRelaxed);
        f()
    });
    eprintln!(
        "{} executions, preemption bound {:?}",
        n.load(StdRelaxed),
        b.preemption_bound
    );
}

/// A cache with one folio at index 0, referenced by the cache only.
fn cache_with_folio(variant: Variant, nr_slots: usize) -> Arc<PageCache> {
    let c = PageCache::new(variant, 1, nr_slots);
    let id = c.folio_alloc().unwrap();
    c.insert(id, 0);
    c.folio_put(id); // the inserter drops its own reference
    Arc::new(c)
}

/// Reclaim of index 0: our own reference from a lookup, then remove.
fn reclaim(c: &PageCache) -> Option<FolioId> {
    let id = c.lookup(0)?;
    c.remove(id, 0).then_some(id)
}

/// End of a two-thread execution: one spinning reader always lets the other
/// thread run, so no lookup may have given up.
fn finish(c: &PageCache) {
    c.check_final();
    assert_eq!(c.starved.load(Relaxed), 0, "a lookup gave up");
}

/// A reader of index 0 against reclaim, then (if `reuse_at` and reclaim
/// freed the folio) its reallocation (the same object: the arena has one
/// folio) and insertion at index `reuse_at`.
fn reader_vs_reclaim(
    variant: Variant,
    reuse_at: Option<usize>,
    seen: Seen,
) -> impl Fn() + Sync + Send {
    move || {
        let c = cache_with_folio(variant, 2);
        let c2 = c.clone();
        let remover = thread::spawn(move || {
            let removed = reclaim(&c2);
            if let (Some(old), Some(index)) = (removed, reuse_at) {
                let id = c2.folio_alloc().unwrap();
                assert_eq!(id, old, "the same folio is reused");
                c2.insert(id, index);
                c2.folio_put(id);
            }
            removed.is_some()
        });
        let found = c.read(0);
        let removed = remover.join().unwrap();
        hit(&seen, found as usize);
        hit(&seen, 2 + removed as usize);
        if reuse_at.is_none() && variant != Variant::NoFreeze {
            // Without reuse step 3 never fires: a count frozen at 0 stays 0,
            // so a folio that left the slot cannot be taken in step 2.
            assert_eq!(c.retries_moved.load(Relaxed), 0);
        } else if c.retries_moved.load(Relaxed) > 0 {
            hit(&seen, 4); // step 3 sent a reference on the new folio away
        }
        finish(&c);
    }
}

/// Loom must find an execution of a broken variant breaking one of the
/// `expected` properties, and not panic for another reason.
fn expect_violation(expected: &[&str], f: impl Fn() + Sync + Send + 'static) {
    let err = catch_unwind(AssertUnwindSafe(|| model(EXHAUSTIVE, f)))
        .expect_err("loom found no violation in a broken variant");
    let msg = (err.downcast_ref::<String>().cloned())
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        msg.starts_with(VIOLATION) && expected.iter().any(|e| msg.contains(e)),
        "broken variant failed for another reason: {msg:?}"
    );
    eprintln!("loom found: {msg}");
}

#[test]
fn sequential_primitives() {
    loom::model(|| {
        let c = cache_with_folio(Variant::Correct, 2);
        assert_eq!(c.lookup(1), None);
        let id = c.lookup(0).unwrap();
        assert!(c.folio_try_get(id)); // a reader's reference: the freeze fails
        assert!(!c.remove(id, 0));
        assert_eq!(c.folio(id).refcount.load(Relaxed), 2);
        assert!(c.remove(id, 0)); // only reclaim's reference left: freed
        assert!(!c.folio_try_get(id), "try_get on a free folio");
        assert_eq!(c.lookup(0), None);
        c.check_final();
    });
}

/// Test 1: a reader against reclaim, whose freeze either succeeds or bails
/// out.
#[test]
fn reader_vs_remove() {
    let seen = Seen::default();
    model(
        EXHAUSTIVE,
        reader_vs_reclaim(Variant::Correct, None, seen.clone()),
    );
    assert!(
        count(&seen, 0) > 0 && count(&seen, 1) > 0,
        "the reader both missed and found"
    );
    assert!(
        count(&seen, 2) > 0 && count(&seen, 3) > 0,
        "the freeze both bailed out and succeeded"
    );
}

/// Test 2, seed 002's case: between the reader's load and its try_get the
/// folio is removed, freed, reallocated and inserted again at the same index.
#[test]
fn reader_vs_remove_then_reinsert_same_index() {
    let seen = Seen::default();
    model(
        EXHAUSTIVE,
        reader_vs_reclaim(Variant::Correct, Some(0), seen.clone()),
    );
    assert!(
        count(&seen, 4) > 0,
        "step 3 never caught a reference on the reallocated folio"
    );
    assert!(count(&seen, 1) > 0, "the reader never found the folio");
}

/// The same, reused for another index.
#[test]
fn reader_vs_remove_then_reuse_other_index() {
    let seen = Seen::default();
    model(
        EXHAUSTIVE,
        reader_vs_reclaim(Variant::Correct, Some(1), seen.clone()),
    );
    assert!(
        count(&seen, 4) > 0,
        "step 3 never caught a reference on the reallocated folio"
    );
}

/// Test 3: two readers against reclaim (three threads: preemption bound 2;
/// `LOOM_MAX_PREEMPTIONS=3` passes too, in about 30 s).
#[test]
fn two_readers_vs_remove() {
    let seen = Seen::default();
    let s = seen.clone();
    model(Some(2), move || {
        let c = cache_with_folio(Variant::Correct, 1);
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let c = c.clone();
                thread::spawn(move || c.read(0))
            })
            .collect();
        reclaim(&c);
        readers.into_iter().for_each(|r| assert!(r.join().is_ok()));
        c.check_final(); // here lookups may give up, see MAX_RETRIES
        if c.starved.load(Relaxed) > 0 {
            hit(&s, 0);
        }
    });
    eprintln!("{} executions where a lookup gave up", count(&seen, 0));
}

/// Test 4, the final put: a holder truncates the folio (the module's remove:
/// its own reference stays valid) and drops its reference, racing a reader
/// that may put the last reference itself, even from inside lookup.
#[test]
fn reader_vs_final_put() {
    let seen = Seen::default();
    let s = seen.clone();
    model(EXHAUSTIVE, move || {
        let c = Arc::new(PageCache::new(Variant::Correct, 1, 1));
        let id = c.folio_alloc().unwrap();
        c.insert(id, 0); // two references: the holder's and the cache's
        let c2 = c.clone();
        let holder = thread::spawn(move || {
            c2.truncate(id, 0);
            c2.folio_put(id)
        });
        let found = c.read(0);
        if !holder.join().unwrap() {
            // The reader put the last reference: the one lookup returned, or
            // a speculative one step 3 made it drop.
            let dropped = c.retries_moved.load(Relaxed) > 0;
            assert!(
                found || dropped,
                "nobody else can have put the last reference"
            );
            hit(&s, found as usize);
        }
        assert!(c.folio(id).freed.load(Relaxed));
        finish(&c);
    });
    assert!(
        count(&seen, 1) > 0,
        "the reader's final put never freed the folio"
    );
    // Seed 002: "put_page is what is used to drop an invalid speculative
    // reference", so it must be able to free.
    assert!(
        count(&seen, 0) > 0,
        "a speculative reference's put never freed the folio"
    );
}

/// Against reclaim alone the re-check is not needed (see the crate docs).
#[test]
fn no_recheck_is_harmless_without_reuse() {
    model(
        EXHAUSTIVE,
        reader_vs_reclaim(Variant::NoRecheck, None, Seen::default()),
    );
}

/// Test 5a, broken: no re-check. The reader of index 0 takes a reference on
/// the folio reallocated for index 1 and returns it.
#[test]
fn broken_no_recheck_returns_reused_folio() {
    expect_violation(
        &[WRONG_INDEX],
        reader_vs_reclaim(Variant::NoRecheck, Some(1), Seen::default()),
    );
}

/// Test 5b, broken: reclaim checks the count with a load instead of freezing
/// it; a reader's try_get slips in between and its folio is freed under it.
#[test]
fn broken_no_freeze_frees_referenced_folio() {
    expect_violation(
        &[FREED_FOLIO, UNDERFLOW],
        reader_vs_reclaim(Variant::NoFreeze, None, Seen::default()),
    );
}
