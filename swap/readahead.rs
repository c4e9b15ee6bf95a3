// SPDX-License-Identifier: GPL-2.0

//! How many pages one swap-in reads: the window of a file's read-around.
//!
//! Pure logic, no kernel types: the same file is compiled into the module and
//! into the host crate `tools/options-test`, whose `cargo test` runs the unit
//! tests at the bottom.
//!
//! A swap-in reads the page asked for and the pages after it whose slots
//! follow its slot, in one bio (swap/swap_in.rs). Reading 32 of them for
//! every page is right for a sequential reader and wrong for a random one:
//! 31 pages read for nobody, charged to the memcg that is short of memory,
//! which pushes out pages that will be asked for next. So the window adapts
//! per file, as the kernel's `swapin_nr_pages()` (mm/swap_state.c) does for
//! the swap of anonymous memory and shmem, with the same heuristic:
//!
//! - pages read around and then used (`hits`, counted when a read, write or
//!   fault takes a folio's readahead mark) since the last swap-in widen the
//!   next window to `hits + 2`, rounded up to a power of two, at least 4;
//! - with no hits, a swap-in right next to the previous one (a reader
//!   stepping through the file faster than the window) reads 2 pages,
//!   anything else 1;
//! - the window never shrinks to less than half the previous one, so one
//!   unlucky swap-in does not undo a sequential reader's window.
//!
//! The difference: the kernel keeps one window for all of swap and compares
//! slot offsets; here each file has its own and compares page indexes (a
//! file's neighbours in swap are its own pages), so a random reader of one
//! file does not shrink a sequential reader's window on another.
//!
//! Updates race benignly: two swap-ins of one file at once may both see the
//! same hits; the window is a hint, never a correctness matter.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// One file's read-around state.
pub struct Readahead {
    /// Read-around pages used since the last swap-in.
    hits: AtomicU32,
    /// The index of the last swap-in that found no hits.
    prev: AtomicU64,
    /// The last window handed out.
    win: AtomicU32,
}

impl Readahead {
    /// A file that has not been swapped in yet.
    pub const fn new() -> Self {
        Readahead { hits: AtomicU32::new(0), prev: AtomicU64::new(0), win: AtomicU32::new(0) }
    }

    /// A page read around was used.
    #[inline]
    pub fn hit(&self) {
        self.hits.fetch_add(1, Relaxed);
    }

    /// The window of a swap-in at `index`: how many pages from `index` on
    /// (1 to `max`) to read, if their slots follow. Consumes the hits.
    pub fn window(&self, index: u64, max: u32) -> u32 {
        let hits = self.hits.swap(0, Relaxed);
        let prev = self.prev.load(Relaxed);
        let pages = window(prev, index, hits, max, self.win.load(Relaxed));
        if hits == 0 {
            self.prev.store(index, Relaxed);
        }
        self.win.store(pages, Relaxed);
        pages
    }
}

/// `__swapin_nr_pages()` on page indexes: the window after `hits` used
/// read-around pages, the previous no-hit swap-in at `prev` and the
/// previous window `prev_win`, for a swap-in at `index`; 1 to `max`.
pub fn window(prev: u64, index: u64, hits: u32, max: u32, prev_win: u32) -> u32 {
    let mut pages = hits.saturating_add(2);
    if pages == 2 {
        // No hits to judge by; but a reader stepping page by page must not
        // stay at one page forever: a neighbour of the previous one counts.
        if index != prev.wrapping_add(1) && index != prev.wrapping_sub(1) {
            pages = 1;
        }
    } else {
        pages = pages.max(4).checked_next_power_of_two().unwrap_or(u32::MAX);
    }
    // Do not shrink too fast; never more than `max`, never none.
    pages.max(prev_win / 2).min(max).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn random_access_shrinks_to_one_page() {
        let ra = Readahead::new();
        ra.win.store(32, Relaxed);
        let wins: Vec<u32> = [900, 17, 5000, 311, 70, 2, 4000, 123].iter().map(|&i| ra.window(i, 32)).collect();
        assert_eq!(wins, [16, 8, 4, 2, 1, 1, 1, 1]);
    }

    #[test]
    fn sequential_access_grows_to_the_maximum() {
        // A reader that uses every page read around: swap-in at 0, then
        // at each index the previous window did not cover.
        let ra = Readahead::new();
        let mut index = 0;
        let mut wins = Vec::new();
        for _ in 0..8 {
            let w = ra.window(index, 32);
            wins.push(w);
            for _ in 1..w {
                ra.hit();
            }
            index += w as u64;
        }
        assert_eq!(wins, [1, 2, 4, 8, 16, 32, 32, 32]);
    }

    #[test]
    fn neighbours_without_hits_read_two() {
        assert_eq!(window(10, 11, 0, 32, 0), 2);
        assert_eq!(window(10, 9, 0, 32, 0), 2);
        assert_eq!(window(10, 12, 0, 32, 0), 1);
        assert_eq!(window(u64::MAX, 0, 0, 32, 0), 2);
    }

    #[test]
    fn hits_round_up_and_stay_within_the_maximum() {
        assert_eq!(window(0, 50, 1, 32, 0), 4);
        assert_eq!(window(0, 50, 3, 32, 0), 8);
        assert_eq!(window(0, 50, 7, 32, 0), 16);
        assert_eq!(window(0, 50, 100, 32, 0), 32);
        assert_eq!(window(0, 50, u32::MAX, 32, 0), 32);
        assert_eq!(window(0, 50, 0, 8, 64), 8);
        assert_eq!(Readahead::new().window(7, 1), 1);
    }
}
