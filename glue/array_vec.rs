// SPDX-License-Identifier: GPL-2.0

//! [`ArrayVec`]: up to `N` values in place, no allocation, of which only
//! the first `len` slots are ever initialised, so making and dropping one
//! that holds a single value costs what that value costs. The page cache's
//! [`Batch`](crate::cache::page_cache::Batch) of folios (a `folio_batch`)
//! is one; the `unsafe` it takes lives here, once, rather than in the
//! page cache's logic. (7.3's `kernel` crate has `KVec`, which allocates,
//! and no fixed-capacity vector.)

use core::mem::MaybeUninit;

/// Up to `N` values, in the order they were pushed.
///
/// Invariant: slots `0..len` are initialised, the others are not.
pub(crate) struct ArrayVec<T, const N: usize> {
    slots: [MaybeUninit<T>; N],
    len: usize,
}

impl<T, const N: usize> ArrayVec<T, N> {
    pub(crate) const fn new() -> Self {
        ArrayVec { slots: [const { MaybeUninit::uninit() }; N], len: 0 }
    }

    /// Appends `value`; hands it back if the vector is full.
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        let Some(slot) = self.slots.get_mut(self.len) else {
            return Err(value);
        };
        slot.write(value);
        self.len += 1;
        Ok(())
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == N
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value at position `i`, if there is one.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        // SAFETY: slots below `len` are initialised (the invariant).
        (i < self.len).then(|| unsafe { self.slots[i].assume_init_ref() })
    }

    /// Moves the values out, in order; the vector is empty afterwards.
    pub(crate) fn drain(&mut self) -> Drain<'_, T, N> {
        // From here on the vector owns nothing: `Drain` owns slots
        // `next..len` (a leaked `Drain` leaks them, it never frees twice).
        let len = core::mem::replace(&mut self.len, 0);
        Drain { vec: self, next: 0, len }
    }
}

impl<T, const N: usize> Drop for ArrayVec<T, N> {
    fn drop(&mut self) {
        for slot in &mut self.slots[..self.len] {
            // SAFETY: slots below `len` are initialised; each is dropped
            // once, here, and the vector is gone afterwards.
            unsafe { slot.assume_init_drop() };
        }
    }
}

/// The values of an [`ArrayVec`], moved out one by one; those not taken
/// are dropped with the iterator.
pub(crate) struct Drain<'a, T, const N: usize> {
    vec: &'a mut ArrayVec<T, N>,
    /// Slots `next..len` are initialised and owned by the iterator.
    next: usize,
    len: usize,
}

impl<T, const N: usize> Iterator for Drain<'_, T, N> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.len {
            return None;
        }
        self.next += 1;
        // SAFETY: slot `next - 1` was below `len`, so initialised, and the
        // iterator owns it (`vec.len` is 0); `next` moved past it, so it
        // is read only here, once.
        Some(unsafe { self.vec.slots[self.next - 1].assume_init_read() })
    }
}

impl<T, const N: usize> Drop for Drain<'_, T, N> {
    fn drop(&mut self) {
        for value in self.by_ref() {
            drop(value);
        }
    }
}
