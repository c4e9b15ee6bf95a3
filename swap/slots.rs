// SPDX-License-Identifier: GPL-2.0

//! Swap slot allocation over a caller-provided bitmap.
//!
//! Pure logic, no kernel types: the same file is compiled into the module and
//! into the host crate `tools/options-test`, whose `cargo test` runs the unit
//! tests at the bottom. The bitmap is whatever the caller owns (a `KVec<u64>`
//! in the module, a `Vec<u64>` in the tests); nothing here allocates.
//!
//! One bit per slot, set when the slot is allocated or reserved (the header
//! slot, bad pages, and the bits of the last word past the end). Slots are
//! grouped in clusters of [`CLUSTER`] slots, one bitmap word each. To keep one
//! writer's pages together on the device, [`SlotMap::alloc_run()`] hands out
//! runs of contiguous slots: right after the previous run if that slot is
//! free, else at the start of a wholly free cluster, else at the first free
//! slot, searching forward from the last cluster allocated from and wrapping
//! around (a simplified `scan_swap_map_slots()`).

use core::ops::DerefMut;

/// Slots per cluster: the bits of one bitmap word.
pub const CLUSTER: u64 = 64;

/// Bitmap words needed for `nr_slots` slots (`usize::MAX` if that does not
/// fit, which no allocation can satisfy).
pub fn words_for(nr_slots: u64) -> usize {
    usize::try_from(nr_slots.div_ceil(CLUSTER)).unwrap_or(usize::MAX)
}

/// Word index and bit of `slot`; `slot` must be below `nr_slots`.
fn split(slot: u64) -> (usize, u32) {
    ((slot / CLUSTER) as usize, (slot % CLUSTER) as u32)
}

/// The slots of one swap area and which of them are in use.
#[derive(Debug)]
pub struct SlotMap<B> {
    /// One bit per slot, set = allocated or reserved.
    words: B,
    /// Slots in the area, reserved ones included.
    nr_slots: u64,
    /// Slots that can be allocated: `nr_slots` minus the reserved ones.
    usable: u64,
    /// Slots allocated now.
    used: u64,
    /// Cluster (word index) the last run ended in; searches start there.
    cursor: u64,
    /// The slot right after the last run; the next run starts there if free.
    next: u64,
    /// Slot 0 (the header) was reserved, so [`SlotMap::free()`] refuses it.
    zero_reserved: bool,
}

impl<B: DerefMut<Target = [u64]>> SlotMap<B> {
    /// A map of `nr_slots` slots, all free except `reserved` (the caller
    /// passes the header slot 0 and the bad pages; duplicates and slots past
    /// the end are ignored).
    ///
    /// `words` should hold at least [`words_for(nr_slots)`](words_for) words;
    /// if it is shorter, `nr_slots` is cut to what it can hold. It is zeroed
    /// here, so its previous contents do not matter.
    pub fn new(mut words: B, nr_slots: u64, reserved: impl IntoIterator<Item = u64>) -> Self {
        let nr_slots = nr_slots.min((words.len() as u64).saturating_mul(CLUSTER));
        let nwords = words_for(nr_slots);
        words.fill(0);
        // Bits past the last slot read as used and are never handed out; so
        // are whole words past the end of the area.
        let tail = nr_slots % CLUSTER;
        if tail != 0 {
            words[nwords - 1] = !0u64 << tail;
        }
        words[nwords..].fill(!0);
        let mut map = Self {
            words,
            nr_slots,
            usable: nr_slots,
            used: 0,
            cursor: 0,
            next: 0,
            zero_reserved: false,
        };
        for slot in reserved {
            if slot < nr_slots && !map.is_used(slot) {
                let (w, b) = split(slot);
                map.words[w] |= 1 << b;
                map.usable -= 1;
                map.zero_reserved |= slot == 0;
            }
        }
        // The first run starts at the first free slot.
        map.next = map.first_free().unwrap_or(nr_slots);
        map
    }

    /// Number of bitmap words covering the area.
    fn nwords(&self) -> usize {
        // nr_slots <= words.len() * CLUSTER, so this fits.
        words_for(self.nr_slots)
    }

    /// The first word from the cursor on (wrapping) for which `pred` holds.
    fn find_word(&self, pred: impl Fn(u64) -> bool) -> Option<usize> {
        let nwords = self.nwords();
        let start = usize::try_from(self.cursor).unwrap_or(0).min(nwords);
        (start..nwords).chain(0..start).find(|&w| pred(self.words[w]))
    }

    /// The first free slot from the cursor on (wrapping).
    fn first_free(&self) -> Option<u64> {
        let w = self.find_word(|word| word != !0)?;
        Some(w as u64 * CLUSTER + u64::from((!self.words[w]).trailing_zeros()))
    }

    /// Marks the free run starting at the free slot `start`, at most `want`
    /// slots long; returns its length (at least 1).
    fn take_run(&mut self, start: u64, want: usize) -> usize {
        let mut n = 0usize;
        let mut slot = start;
        while n < want && slot < self.nr_slots {
            let (w, b) = split(slot);
            // Free slots from bit `b` up: the zeros shifted in stop the count
            // at the end of the word.
            let free = (!self.words[w] >> b).trailing_ones() as usize;
            let take = free.min(want - n);
            if take == 0 {
                break;
            }
            let mask = if take >= 64 { !0 } else { ((1u64 << take) - 1) << b };
            self.words[w] |= mask;
            n += take;
            slot += take as u64;
            if b as usize + take < 64 {
                // The run ended inside this word.
                break;
            }
        }
        n
    }

    /// Allocates a run of `n` contiguous free slots, `1 <= n <= want`, and
    /// returns `(first slot, n)`; `None` if the map is full (or `want` is 0).
    ///
    /// The run starts right after the previous run (for the first run, at the
    /// first free slot) if that slot is free, else
    /// at the first wholly free cluster, else at the first free slot, both
    /// searched from the cluster the previous run ended in, wrapping around.
    /// It is as long as the slots stay free, up to `want`, and may span
    /// clusters.
    pub fn alloc_run(&mut self, want: usize) -> Option<(u64, usize)> {
        if want == 0 || self.used >= self.usable {
            return None;
        }
        let start = if self.next < self.nr_slots && !self.is_used(self.next) {
            self.next
        } else if let Some(w) = self.find_word(|word| word == 0) {
            w as u64 * CLUSTER
        } else {
            self.first_free()?
        };
        let n = self.take_run(start, want);
        self.used += n as u64;
        self.next = start + n as u64;
        self.cursor = (self.next - 1) / CLUSTER;
        Some((start, n))
    }

    /// Frees an allocated slot. `false`, changing nothing, if `slot` is past
    /// the end, not in use, or the reserved header slot 0.
    ///
    /// Bad pages are not remembered apart from allocated slots: freeing one is
    /// a caller bug that this cannot catch (it returns `true` and makes the
    /// bad page allocatable), except while nothing is allocated.
    pub fn free(&mut self, slot: u64) -> bool {
        if slot >= self.nr_slots || (slot == 0 && self.zero_reserved) || self.used == 0 {
            return false;
        }
        let (w, b) = split(slot);
        if self.words[w] & (1 << b) == 0 {
            return false;
        }
        self.words[w] &= !(1 << b);
        self.used -= 1;
        true
    }

    /// Slots allocated now.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Slots that can be allocated at all (reserved ones excluded).
    pub fn usable(&self) -> u64 {
        self.usable
    }

    /// Slots that can be allocated now: `usable() - used()`.
    pub fn free_count(&self) -> u64 {
        self.usable.saturating_sub(self.used)
    }

    /// Slots in the area, reserved ones included.
    pub fn nr_slots(&self) -> u64 {
        self.nr_slots
    }

    /// Whether `slot` is allocated or reserved; `false` past the end.
    pub fn is_used(&self, slot: u64) -> bool {
        if slot >= self.nr_slots {
            return false;
        }
        let (w, b) = split(slot);
        self.words[w] & (1 << b) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::vec;
    use std::vec::Vec;

    fn map(nr_slots: u64, reserved: &[u64]) -> SlotMap<Vec<u64>> {
        SlotMap::new(vec![0; words_for(nr_slots)], nr_slots, reserved.iter().copied())
    }

    /// Allocates runs of `want` until full; returns every slot handed out.
    fn drain(m: &mut SlotMap<Vec<u64>>, want: usize) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some((s, n)) = m.alloc_run(want) {
            assert!((1..=want).contains(&n));
            out.extend(s..s + n as u64);
        }
        out
    }

    fn consistent(m: &SlotMap<Vec<u64>>) {
        let set = (0..m.nr_slots()).filter(|&s| m.is_used(s)).count() as u64;
        assert_eq!(m.used() + m.free_count(), m.usable());
        assert_eq!(set, m.used() + (m.nr_slots() - m.usable()));
    }

    #[test]
    fn words_needed() {
        assert_eq!(words_for(0), 0);
        assert_eq!(words_for(1), 1);
        assert_eq!(words_for(64), 1);
        assert_eq!(words_for(65), 2);
        assert_eq!(words_for(u64::MAX), usize::try_from(u64::MAX / 64 + 1).unwrap_or(usize::MAX));
    }

    #[test]
    fn header_slot_never_handed_out() {
        let mut m = map(128, &[0]);
        assert_eq!(m.usable(), 127);
        let got = drain(&mut m, 1);
        assert_eq!(got.len(), 127);
        assert!(!got.contains(&0));
        assert!(m.is_used(0));
        assert!(!m.free(0), "the header slot cannot be freed");
        consistent(&m);
    }

    #[test]
    fn runs_are_contiguous_and_continue() {
        let mut m = map(1000, &[0]);
        assert_eq!(m.alloc_run(8), Some((1, 8)));
        assert_eq!(m.alloc_run(8), Some((9, 8)));
        // Spans clusters: 47 slots left in cluster 0, then 53 of cluster 1.
        assert_eq!(m.alloc_run(100), Some((17, 100)));
        assert_eq!(m.alloc_run(1), Some((117, 1)));
        // Freed slots behind do not pull the next run back.
        assert!(m.free(5));
        assert_eq!(m.alloc_run(3), Some((118, 3)));
        assert_eq!(m.alloc_run(0), None);
        consistent(&m);
    }

    #[test]
    fn search_order_when_next_is_taken() {
        let mut m = map(256, &[0]);
        assert_eq!(drain(&mut m, 1000).len(), 255);
        assert_eq!(m.alloc_run(1), None);
        assert!(m.free(10));
        for s in 128..192 {
            assert!(m.free(s));
        }
        assert!(m.free(200));
        consistent(&m);
        // Next (256) is past the end: a wholly free cluster comes first...
        assert_eq!(m.alloc_run(100), Some((128, 64)));
        // ...then, with none left, the first free slot from the cursor on...
        assert_eq!(m.alloc_run(100), Some((200, 1)));
        // ...wrapping around.
        assert_eq!(m.alloc_run(100), Some((10, 1)));
        assert_eq!(m.alloc_run(100), None);
        assert_eq!(m.free_count(), 0);
        consistent(&m);
    }

    #[test]
    fn free_cluster_preferred_over_holes() {
        let mut m = map(256, &[0]);
        assert_eq!(m.alloc_run(10), Some((1, 10)));
        m.next = 5; // As if a run had ended at a used slot.
        assert!(m.is_used(5));
        assert_eq!(m.alloc_run(4), Some((64, 4)));
        assert_eq!(m.alloc_run(4), Some((68, 4)));
    }

    #[test]
    fn every_slot_exactly_once() {
        let reserved = [0, 5, 64, 999, 500, 500, 2000];
        let mut m = map(1000, &reserved);
        assert_eq!(m.usable(), 1000 - 5);
        let mut seed = 12345u32;
        let mut rand = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            seed >> 16
        };
        let mut live = HashSet::new();
        let mut allocate = |m: &mut SlotMap<Vec<u64>>, live: &mut HashSet<u64>| {
            while let Some((s, n)) = m.alloc_run(1 + (rand() % 150) as usize) {
                for slot in s..s + n as u64 {
                    assert!(!reserved.contains(&slot), "reserved slot {slot} handed out");
                    assert!(slot < 1000);
                    assert!(live.insert(slot), "slot {slot} handed out twice");
                }
                consistent(m);
            }
        };
        allocate(&mut m, &mut live);
        assert_eq!(live.len() as u64, m.usable());
        assert_eq!(m.free_count(), 0);

        let mut freed: Vec<u64> = live.iter().copied().filter(|s| s % 2 == 0).collect();
        freed.sort_unstable();
        for &s in &freed {
            assert!(m.free(s));
            live.remove(&s);
        }
        assert_eq!(m.free_count(), freed.len() as u64);
        consistent(&m);

        allocate(&mut m, &mut live);
        assert_eq!(live.len() as u64, m.usable());
        assert_eq!(m.alloc_run(1), None);
        consistent(&m);
    }

    #[test]
    fn free_refuses_bad_calls() {
        let mut m = map(100, &[0, 7]);
        assert!(!m.free(7), "nothing allocated yet");
        assert_eq!(m.alloc_run(3), Some((1, 3)));
        assert!(m.free(2));
        assert!(!m.free(2), "double free");
        assert!(!m.free(50), "never allocated");
        assert!(!m.free(100) && !m.free(u64::MAX), "out of range");
        assert!(!m.free(0));
        assert_eq!(m.used(), 2);
        consistent(&m);
    }

    #[test]
    fn bad_pages_skipped() {
        let bad = [3, 4, 63, 64, 65, 127];
        let mut reserved = vec![0];
        reserved.extend(bad);
        let mut m = map(128, &reserved);
        assert_eq!(m.usable(), 128 - 7);
        let got = drain(&mut m, 1000);
        assert_eq!(got.len() as u64, m.usable());
        for b in bad {
            assert!(!got.contains(&b));
            assert!(m.is_used(b));
        }
        assert_eq!(got[..2], [1, 2]);
        consistent(&m);
    }

    #[test]
    fn area_not_a_multiple_of_the_cluster() {
        let mut m = map(70, &[0]);
        assert_eq!(m.usable(), 69);
        assert_eq!(m.alloc_run(1000), Some((1, 69)));
        assert_eq!(m.alloc_run(1), None);
        assert!(!m.is_used(70) && !m.free(70));
        assert!(m.free(69));
        assert_eq!(m.alloc_run(5), Some((69, 1)));
        consistent(&m);

        // Extra words, with junk in them, are never used.
        let mut m = SlotMap::new(vec![!0u64; 4], 130, [0]);
        let got = drain(&mut m, 7);
        assert_eq!(got.len(), 129);
        assert!(got.iter().all(|&s| (1..130).contains(&s)));
    }

    #[test]
    fn degenerate_sizes() {
        let mut m = map(0, &[0]);
        assert_eq!((m.usable(), m.alloc_run(1)), (0, None));
        assert!(!m.free(0));
        // Too short a bitmap cuts the area.
        let mut m = SlotMap::new(vec![0u64; 1], 1000, [0]);
        assert_eq!((m.nr_slots(), m.usable()), (64, 63));
        assert_eq!(drain(&mut m, 1000).len(), 63);
        let mut m = map(1, &[]);
        assert_eq!(m.alloc_run(4), Some((0, 1)));
        assert!(m.free(0), "slot 0 is only protected when reserved");
        assert_eq!(m.alloc_run(4), Some((0, 1)));
    }
}
