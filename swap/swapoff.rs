// SPDX-License-Identifier: GPL-2.0

//! Swapon and swapoff of a mount (`swap=` at mount or remount, `noswap` at
//! remount), both under the VFS's `s_umount`.
//!
//! # Swapoff against concurrent eviction (seed 003's second race)
//!
//! shmem's swapoff (`shmem_unuse()`) walks its list of inodes that have
//! swapped pages while other tasks unlink and close those files; the thread
//! behind seed 003 is about the inode being evicted, and freed, while
//! swapoff still worked on it. Here the walk is the VFS's own pattern
//! (`drop_pagecache_sb()`, in `rpc_sb_for_each_regular`, helpers.c): under
//! `s_inode_list_lock` and the inode's `i_lock`, an inode that is being
//! freed (`I_FREEING`/`I_WILL_FREE`) or set up (`I_NEW`) is skipped, any
//! other gets a reference (`__iget`) before either lock is dropped. With
//! that reference the inode cannot be evicted while [`swap_in_all`] brings
//! its pages back: an unlink + close meanwhile only drops the link count,
//! and the final `iput()` — ours, after we are done — evicts it, in this
//! task, which then frees whatever swap it still has itself. Inodes skipped
//! because they were being evicted free their slots in their own eviction;
//! swapoff waits for the slot count to reach zero before it lets the area
//! go. `swapoff_delay_us` (debugfs) holds each inode that long before its
//! pages come back, so a test can unlink and close files in the window.
//!
//! Swap-out stops first (the area is marked draining), so swapoff only
//! ever brings pages back; pages in memory whose slot still held a clean
//! copy (swap/swap_in.rs) are dirtied and their copies dropped. With not enough memory (the swap-ins allocate
//! with `__GFP_RETRY_MAYFAIL`, so they fail rather than OOM-kill), swapoff
//! fails with `ENOMEM`, swap stays on, and nothing is lost: what was read
//! back stays in memory, the rest stays in swap.

use crate::cache::page_cache::MAX_INDEX;
use crate::fs::file::cache_of;
use crate::fs::options::SwapPath;
use crate::fs::super_block::SbInfo;
use crate::glue::vfs::{cond_resched, fatal_signal_pending, Inode, SuperBlock};
use crate::swap::area::{SwapArea, SwapError};
use crate::swap::swap_in::{give_up_copy, has_records, swap_in, Gfp};
use kernel::prelude::*;
use kernel::time::{delay::fsleep, Delta};

/// Passes over the inodes before swapoff gives up waiting for evictions
/// in progress to free their slots.
const PASSES: u32 = 50;

/// Opens `path` as the mount's swap area.
pub(crate) fn swapon(info: &SbInfo, path: &SwapPath) -> core::result::Result<(), SwapError> {
    let me: *const SbInfo = info;
    let area = SwapArea::open(path, me.cast())?;
    info.stats().set_slots_total(area.usage().1);
    info.set_swap_area(Some(area));
    Ok(())
}

/// Brings every swapped page of the mount back and closes the area.
pub(crate) fn swapoff(info: &SbInfo, sb: &SuperBlock<'_>) -> core::result::Result<(), SwapError> {
    let Some(area) = info.swap_area() else {
        return Ok(());
    };
    area.set_draining(true);
    let mut result = Err(SwapError { errno: EBUSY, msg: c"swap: swapoff: slots still in use" });
    for pass in 0..PASSES {
        if let Err(e) = sb.for_each_regular_inode(|inode| swap_in_all(info, inode)) {
            let msg = if e == ENOMEM {
                c"swap: swapoff: not enough memory to bring the swapped pages back"
            } else if e == EINTR {
                c"swap: swapoff interrupted"
            } else {
                c"swap: swapoff: cannot read a swapped page back"
            };
            result = Err(SwapError { errno: e, msg });
            break;
        }
        if area.usage().0 == 0 {
            result = Ok(());
            break;
        }
        // Inodes that were being evicted free their slots themselves.
        if pass + 1 < PASSES {
            // Swapoff may sleep (no spinlock held).
            fsleep(Delta::from_millis(10));
        }
    }
    match result {
        Ok(()) => {
            info.set_swap_area(None);
            info.stats().set_slots_total(0);
            Ok(())
        }
        Err(e) => {
            area.set_draining(false);
            Err(e)
        }
    }
}

/// Swaps every page of `inode` in; the walk holds a reference on it.
fn swap_in_all(info: &SbInfo, inode: &Inode) -> Result {
    if !has_records(inode) {
        return Ok(());
    }
    info.stats().swapoff_window(inode.ino());
    let cache = cache_of(inode);
    // Keeps truncate and punch out while we swap in (swap_in.rs).
    let inval = inode.mapping().invalidate_lock_shared();
    let mut start = 0;
    while let Some((index, record)) = inode.rpc().swap.find(start, MAX_INDEX) {
        if fatal_signal_pending() {
            return Err(EINTR);
        }
        if !record.is_out() {
            // A clean copy: the page is in memory already.
            give_up_copy(inode, &cache, index);
        } else if swap_in(inode, &cache, index, Gfp::MayFail, &inval)?.is_some() {
            info.stats().swapoff_page();
        }
        // `None`: someone else brought it in first; the index moves on.
        if index == MAX_INDEX {
            break;
        }
        start = index + 1;
        cond_resched();
    }
    Ok(())
}
