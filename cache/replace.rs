// SPDX-License-Identifier: GPL-2.0

//! Replacing a cached folio that sits in a zone its caller cannot use
//! (seed 003): the module's `shmem_replace_folio()`.
//!
//! A driver whose device addresses 32 bits (GMA500 in the seed thread)
//! asks for a file's pages with `GFP_KERNEL | __GFP_DMA32` through
//! `rpc_read_folio_gfp()` (fs/driver_api.rs). Every folio this module
//! allocates for such a request, or for a file whose mapping gfp says
//! DMA32 (`gfp=dma32`), comes from an allowed zone: the hole fill, the
//! swap-in and its read-around all allocate with the caller's (or the
//! mapping's) gfp — unlike shmem's swap readahead, ours reads around only
//! within the same file (swap/swap_in.rs), so it never brings a page in
//! "in ignorance of the mapping it belongs to". But the folio the driver
//! asks for may already be cached in a higher zone: read back from swap by
//! a user's `read(2)` or fault under the default mapping gfp, by swapoff,
//! or cached before the driver narrowed the mapping's gfp. That folio is
//! replaced by a copy in an allowed zone before the driver sees it, as
//! shmem replaces a swap-cache folio when it moves to the file cache.
//!
//! # Locking (as `shmem_replace_folio()` explains its own)
//!
//! The caller holds the old folio locked and still in the mapping, and the
//! mapping's `invalidate_lock` shared ([`ExcludesTruncate`]): a
//! replacement is an insertion, and truncate and hole punch, which empty a
//! range holding that lock exclusively, would not look at the index again.
//! With the lock held nobody can write the folio (writes lock it), map it
//! (faults lock it and re-check its mapping, seed 004; fault-around only
//! trylocks), swap it out (the shrinker trylocks) or remove it; nor is it
//! under writeback, where shmem's may be: swap-out keeps its folios locked
//! for the whole write (swap/out.rs), and nothing else writes them. So:
//!
//! 1. A folio still mapped from before is unmapped first
//!    (`unmap_mapping_range()`, under the folio lock as truncate does: the
//!    folio lock is outside `i_mmap_rwsem`). The next fault waits for the
//!    lock, finds the old folio out of the mapping and looks again.
//! 2. Then, when nothing can pin it any more through a mapping, a folio
//!    that may be pinned for DMA (O_DIRECT, io_uring, vmsplice: seeds
//!    000/001) is left alone: `EBUSY`. Copying it would let the pinner's
//!    device write to memory the file no longer holds.
//! 3. A new folio from an allowed zone (the caller's gfp without cpuset or
//!    node constraints: the zone is what matters, as in shmem), the copy
//!    (`folio_copy()`, `flush_dcache_folio()`), then
//!    `replace_page_cache_folio()` swaps the XArray entry, moves the page
//!    counts and charges the new folio to the old one's memcg (the exported
//!    way to do `mem_cgroup_replace_folio()`); the new folio goes on the LRU.
//!    A lockless reader (seed 002) that loaded the old entry either got
//!    its reference before the swap and copies the old, identical, data,
//!    or fails its re-check and finds the new folio. The old folio is freed
//!    by the last `folio_put()`.
//!
//! On `ENOMEM` nothing has changed: the old folio stays, with its data, and
//! the caller fails with `ENOMEM`.

use crate::cache::page_cache::{PageCache, FOLIO_MARKER};
use crate::glue::ffi;
use crate::glue::folio::{Folio, LockedFolio};
use crate::glue::vfs::ExcludesTruncate;
use kernel::bindings;
use kernel::prelude::*;

/// Whether `folio` sits in a zone `gfp` allows (the opposite of
/// `shmem_should_replace_folio()`).
pub(crate) fn zone_allowed(folio: &Folio, gfp: bindings::gfp_t) -> bool {
    // The callers never pass two zone modifiers (`rpc_read_folio_gfp()`
    // refuses them), on which `gfp_zone()` BUGs.
    folio.zone() <= ffi::rpc_gfp_zone(gfp)
}

/// `folio` (locked, in `cache`'s mapping) if its zone is allowed by `gfp`,
/// or else its replacement, locked: see the top of this file. `EBUSY` if it
/// is pinned, `EIO` if poisoned, `ENOMEM` if no folio could be had; in all
/// three the old folio stays where it is.
pub(crate) fn to_allowed_zone(
    cache: &PageCache<'_>,
    folio: LockedFolio,
    gfp: bindings::gfp_t,
    _excl: &impl ExcludesTruncate,
) -> Result<LockedFolio> {
    if zone_allowed(&folio, gfp) {
        return Ok(folio);
    }
    if folio.is_hwpoison() {
        return Err(EIO);
    }
    // Unmapped before the pin check: once no page table maps it, no
    // GUP-fast can pin it any more (it re-checks the PTE it pinned through,
    // and the unmap's TLB flush waits for it).
    if folio.is_mapped() {
        let start = folio.index() << bindings::PAGE_SHIFT;
        cache.mapping().unmap_range(start, folio.size() as u64, false);
    }
    if folio.maybe_dma_pinned() {
        cache.stats().replace_failed();
        return Err(EBUSY);
    }
    cache.stats().replace_window(folio.index());
    let alloc = ffi::rpc_gfp_unconstrained(gfp);
    let Some(new) = Folio::alloc(alloc) else {
        cache.stats().replace_failed();
        return Err(ENOMEM);
    };
    let new = folio.replace_by_copy(new, FOLIO_MARKER);
    cache.stats().replaced();
    Ok(new)
}
