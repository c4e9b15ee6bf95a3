// SPDX-License-Identifier: GPL-2.0

//! Memory reclaim's side of the own swap: a memcg- and NUMA-aware
//! [`Shrinker`], the [`ListLru`] of regular inodes it walks, the
//! [`ShrinkControl`] it is called with, and counted inode references
//! ([`InodeRef`]) for the inodes it works on.
//!
//! 7.3's `kernel` crate has no shrinker or list_lru abstraction (binder's
//! `page_range.rs` uses the raw bindings, as this file does, once). Why a
//! shrinker at all: reclaim's `pageout()` writes only shmem and anonymous
//! folios, so a filesystem's own swap must be driven by something of its
//! own (kernel-facts.md); a shrinker is what reclaim, global or a memcg's at
//! its limit, already calls, with the memcg and node under pressure.
//!
//! Why inodes on the list, not folios: `folio->lru` is the kernel's (the
//! LRU, migration's isolation lists), so a folio cannot sit on a list of
//! ours without a node allocated per page. Each regular file instead has a
//! small track object on the list of the memcg that created it (allocated
//! with `kmem_cache_alloc_lru()`, which creates that memcg's list), moved
//! to the list of the memcg its new pages are charged to when that is
//! another (`inode::follow_memcg`); the shrinker visits a memcg's inodes round robin and ages their folios
//! itself (swap/out.rs).

use crate::glue::ffi::{self, RpcSwapTrack};
use crate::glue::folio::LockedFolio;
use crate::glue::vfs::Inode;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// A counted reference on an inode of ours (`__iget`/`igrab`), put with
/// `iput()` when dropped: the inode cannot be evicted meanwhile.
pub(crate) struct InodeRef(NonNull<bindings::inode>);

impl InodeRef {
    /// Takes over a reference the caller holds.
    ///
    /// # Safety
    ///
    /// `inode` is an inode of this filesystem on which the caller holds a
    /// reference, handed over to the result.
    pub(crate) unsafe fn from_raw(inode: *mut bindings::inode) -> Self {
        // SAFETY: a held reference means a non-null, live inode.
        InodeRef(unsafe { NonNull::new_unchecked(inode) })
    }
}

impl core::ops::Deref for InodeRef {
    type Target = Inode;

    fn deref(&self) -> &Inode {
        // SAFETY: the reference we hold keeps the inode live.
        unsafe { Inode::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for InodeRef {
    fn drop(&mut self) {
        // SAFETY: we hold one reference, put once, here. The final put of
        // an unlinked inode evicts it, in this context: no lock of ours is
        // held by the callers when they drop an `InodeRef`.
        unsafe { bindings::iput(self.0.as_ptr()) }
    }
}

/// A shrinker's call: which node and memcg are short of memory, how much
/// to scan, and what the allocation that got here allows.
#[repr(transparent)]
pub(crate) struct ShrinkControl(Opaque<bindings::shrink_control>);

impl ShrinkControl {
    fn get(&self) -> &bindings::shrink_control {
        // SAFETY: reclaim hands the shrinker a live, initialised control
        // block for the duration of the callback (`from_raw`'s contract).
        unsafe { &*self.0.get() }
    }

    pub(crate) fn nid(&self) -> c_int {
        self.get().nid
    }

    pub(crate) fn nr_to_scan(&self) -> u64 {
        self.get().nr_to_scan as u64
    }

    /// The memcg under pressure (null: global reclaim, or no memcg).
    pub(crate) fn memcg(&self) -> *mut bindings::mem_cgroup {
        self.get().memcg
    }

    /// An upper bound on the pages this call can find charged to its memcg:
    /// the memcg's own unevictable LRU pages on the node (where this
    /// module's folios live, page_cache.rs), or `u64::MAX` for the root and
    /// global reclaim. A memcg whose files' pages are charged elsewhere
    /// (brought back by a swapoff in another memcg, say) then costs reclaim
    /// nothing instead of a walk over folios none of which it may take.
    pub(crate) fn memcg_lru_pages(&self) -> u64 {
        let sc = self.get();
        // SAFETY: the memcg of a shrinker call is live for the call (reclaim
        // holds it); null is allowed.
        unsafe { ffi::rpc_memcg_unevictable_pages(sc.memcg, sc.nid) as u64 }
    }

    /// Pages the memcg under pressure and its ancestors can still be
    /// charged before one reaches its `memory.max` or `memory.high`
    /// (`u64::MAX` for the root, global reclaim, or no limit).
    pub(crate) fn memcg_margin(&self) -> u64 {
        // SAFETY: the memcg of a shrinker call is live for the call (reclaim
        // holds it); null is allowed.
        unsafe { ffi::rpc_memcg_margin(self.get().memcg) as u64 }
    }

    /// Pages freed outside the LRU (by shrinkers, this one included, and
    /// slab) so far in the reclaim invocation this call belongs to.
    pub(crate) fn freed_so_far(&self) -> u64 {
        ffi::rpc_reclaim_freed_so_far() as u64
    }

    /// Whether the allocation that entered reclaim allows I/O (`__GFP_IO`).
    pub(crate) fn allows_io(&self) -> bool {
        // SAFETY: pure flag test.
        unsafe { ffi::rpc_gfp_allows_io(self.get().gfp_mask) }
    }
}

/// The operations a [`Shrinker`] calls, on the object it was made for.
pub(crate) trait ShrinkerOps: Sync {
    /// Roughly how much could be freed (pages); 0 if nothing.
    fn count(&self, sc: &ShrinkControl) -> c_ulong;
    /// Tries to free about `sc.nr_to_scan()` pages.
    fn scan(&self, sc: &ShrinkControl) -> Scanned;
}

/// What a shrinker's scan did; `scan_cb` alone turns it into the kernel's
/// value, so no sentinel is spelled out by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// Pages freed (0: it only aged them); reclaim may call again.
    Freed(u64),
    /// `SHRINK_STOP`: nothing more can be done in this pass, call no more.
    Stop,
}

/// `SHRINK_STOP` (`~0UL`) as bindgen gives it (`-1`). Once this module
/// spelled it `!0 - 1`, which is `SHRINK_EMPTY`: do_shrink_slab() added it
/// to its freed count and shrink_slab_memcg(), seeing `SHRINK_EMPTY`, cleared
/// the memcg's shrinker bit, which only an empty list gaining an item sets
/// again: the memcg's files were never swapped out again and it OOMed (the
/// soak, and test `swap.shrinker_runs_again_after_a_stop`).
const SHRINK_STOP: c_ulong = bindings::SHRINK_STOP as c_ulong;
const _: () = assert!(SHRINK_STOP == !0);
const _: () = assert!(bindings::SHRINK_EMPTY as c_ulong == !0 - 1);

impl Scanned {
    fn to_raw(self) -> c_ulong {
        match self {
            // Never a sentinel: at most the pages of the whole machine.
            Scanned::Freed(n) => n.min(u64::MAX / 2) as c_ulong,
            Scanned::Stop => SHRINK_STOP,
        }
    }
}

/// A shrinker (`shrinker_alloc`) and, once [`Shrinker::start`]ed, the
/// object its callbacks run on, which it keeps alive (an [`Arc`]) for as
/// long as reclaim may call it. Dropping it frees the shrinker
/// (`shrinker_free`, which waits for callbacks in progress), then puts
/// that reference: no `unsafe` contract on the caller's side.
///
/// The object usually owns its shrinker (the superblock's `SbInfo` does),
/// a reference cycle that the owner breaks by taking the shrinker out and
/// dropping it when it shuts down (`kill_sb`); a cycle not broken leaks,
/// it never frees an object reclaim can still call.
pub(crate) struct Shrinker<T: ShrinkerOps> {
    raw: NonNull<bindings::shrinker>,
    ops: Option<Arc<T>>,
}

// SAFETY: the kernel's shrinker may be freed from any task; the `Arc<T>`
// is `Send` when `T: Send + Sync`.
unsafe impl<T: ShrinkerOps + Send> Send for Shrinker<T> {}
// SAFETY: no method mutates through `&self`.
unsafe impl<T: ShrinkerOps + Send> Sync for Shrinker<T> {}

unsafe extern "C" fn count_cb<T: ShrinkerOps>(s: *mut bindings::shrinker, sc: *mut bindings::shrink_control) -> c_ulong {
    // SAFETY: `private_data` is the `T` of the `Arc` the `Shrinker` holds
    // from `start` until after `shrinker_free()`, which waits for this
    // callback; `sc` is live for the call.
    let (ops, sc) = unsafe { (&*ffi::rpc_shrinker_private(s).cast::<T>(), &*sc.cast::<ShrinkControl>()) };
    ops.count(sc)
}

unsafe extern "C" fn scan_cb<T: ShrinkerOps>(s: *mut bindings::shrinker, sc: *mut bindings::shrink_control) -> c_ulong {
    // SAFETY: as in `count_cb`.
    let (ops, sc) = unsafe { (&*ffi::rpc_shrinker_private(s).cast::<T>(), &*sc.cast::<ShrinkControl>()) };
    ops.scan(sc).to_raw()
}

impl<T: ShrinkerOps> Shrinker<T> {
    /// Allocates a memcg- and NUMA-aware shrinker; reclaim does not call it
    /// until [`Shrinker::start`] (a [`ListLru`] is tied to it first).
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a C string alive for the call (the kernel copies it).
        let s = unsafe { ffi::rpc_shrinker_new(name.as_char_ptr()) };
        Ok(Shrinker { raw: NonNull::new(s).ok_or(ENOMEM)?, ops: None })
    }

    /// Registers the shrinker: from now on reclaim calls `ops`, which the
    /// shrinker keeps until it is dropped. A second call does nothing.
    pub(crate) fn start(&mut self, ops: Arc<T>) {
        if self.ops.is_some() {
            return;
        }
        let me = Arc::as_ptr(&ops);
        self.ops = Some(ops);
        // SAFETY: allocated by `new`, registered once (`ops` was `None`);
        // the callbacks are those of `T`, and `me` stays valid until the
        // drop, which frees the shrinker before it puts `self.ops`.
        unsafe { ffi::rpc_shrinker_start(self.raw.as_ptr(), me.cast_mut().cast(), Some(count_cb::<T>), Some(scan_cb::<T>)) }
    }

    fn as_ptr(&self) -> *mut bindings::shrinker {
        self.raw.as_ptr()
    }
}

impl<T: ShrinkerOps> Drop for Shrinker<T> {
    fn drop(&mut self) {
        // SAFETY: allocated by `new` (registered or not), freed once;
        // `shrinker_free` waits for running callbacks, so `self.ops`,
        // dropped after this, is no longer in use.
        unsafe { bindings::shrinker_free(self.raw.as_ptr()) }
    }
}

/// Counts `pages` freed by a shrinker as reclaim's progress (vmscan's
/// `reclaim_state`, as slab freeing is counted), so that the allocation
/// that entered reclaim sees it made progress.
pub(crate) fn account_reclaimed(pages: u64) {
    // SAFETY: adds to the current task's reclaim state, if it has one.
    unsafe { ffi::rpc_account_reclaimed(pages as c_ulong) }
}

/// A memcg-aware `list_lru` of regular inodes' track objects, tied to a
/// [`Shrinker`] (a memcg's shrinker bit is set when its list gains an item).
/// Initialised in place ([`ListLru::new`]), destroyed by its drop.
///
/// Every [`Track`] on it belongs to an inode of the superblock whose
/// `SbInfo` owns the list: `add` is called for the inodes of that
/// superblock only, and eviction deletes the inode's track
/// (`inode::evict_inode`). The VFS evicts every inode of a superblock in
/// `kill_anon_super()`, before `kill_sb` puts the `SbInfo`: so the list
/// is empty when it drops.
#[pin_data(PinnedDrop)]
pub(crate) struct ListLru {
    #[pin]
    raw: Opaque<bindings::list_lru>,
}

// SAFETY: a `list_lru` is used from any task; it locks itself.
unsafe impl Send for ListLru {}
// SAFETY: as above: every operation takes the list's own locks.
unsafe impl Sync for ListLru {}

/// A regular inode's track on its [`ListLru`].
pub(crate) struct Track(NonNull<RpcSwapTrack>);

impl ListLru {
    /// `list_lru_init_memcg()` in place, tied to `shrinker`.
    /// The initialiser borrows the shrinker, so it cannot be run after
    /// the shrinker is gone.
    pub(crate) fn new<'a, T: ShrinkerOps>(shrinker: &'a Shrinker<T>) -> impl PinInit<Self, Error> + 'a {
        let s = shrinker.as_ptr();
        try_pin_init!(ListLru {
            raw <- Opaque::try_ffi_init(move |lru| {
                // The list keeps the shrinker's id, not the pointer, which
                // is live for the call: the initialiser borrows the
                // `Shrinker` (`'a`). The helper zeroes `lru` first.
                // SAFETY: `lru` is the list's final, pinned place; `s` live.
                let ret = unsafe { ffi::rpc_list_lru_init(lru, s) };
                if ret != 0 { Err(Error::from_errno(ret)) } else { Ok(()) }
            }),
        })
    }

    fn as_ptr(&self) -> *mut bindings::list_lru {
        self.raw.get()
    }

    /// Puts a new regular inode on the list of the current task's memcg.
    pub(crate) fn add(&self, inode: &Inode) -> Result<Track> {
        // SAFETY: the lru is initialised while its superblock lives, and the
        // inode is being set up by us; the track is deleted before the
        // inode is freed (`del`, from eviction).
        let t = unsafe { ffi::rpc_track_add(self.as_ptr(), inode.as_raw()) };
        NonNull::new(t).map(Track).ok_or(ENOMEM)
    }

    /// A new track for `inode` on the list of the memcg `folio` is charged
    /// to (`None`: not charged, or no memory; see `inode::follow_memcg`).
    pub(crate) fn add_like(&self, inode: &Inode, folio: &LockedFolio) -> Option<Track> {
        // SAFETY: as in `add`; the folio is locked, so its memcg binding
        // holds while the helper reads it.
        let t = unsafe { ffi::rpc_track_add_like(self.as_ptr(), inode.as_raw(), folio.as_ptr()) };
        NonNull::new(t).map(Track)
    }

    /// Takes an inode's track off the list and frees it.
    pub(crate) fn del(&self, track: Track) {
        // SAFETY: `track` came from `add` on this lru and is deleted once
        // (`Track` is not `Clone`).
        unsafe { ffi::rpc_track_del(self.as_ptr(), track.0.as_ptr()) }
    }

    /// Pages cached by the inodes on (`nid`, `memcg`)'s list, looking at
    /// no more than `max` of them.
    pub(crate) fn count_pages(&self, nid: c_int, memcg: *mut bindings::mem_cgroup, max: u64) -> u64 {
        // SAFETY: initialised lru; `memcg` comes from reclaim's control block.
        unsafe { ffi::rpc_lru_count_pages(self.as_ptr(), nid, memcg, max as c_ulong) as u64 }
    }

    /// Up to `N` inodes from (`nid`, `memcg`)'s list, each with a
    /// reference, looking at no more than `walk` entries; they move to the
    /// tail of the list.
    pub(crate) fn collect<const N: usize>(&self, nid: c_int, memcg: *mut bindings::mem_cgroup, walk: u64) -> KVec<InodeRef> {
        let mut raw = [core::ptr::null_mut(); N];
        // SAFETY: initialised lru; `raw` has room for `N` pointers.
        let n = unsafe { ffi::rpc_lru_collect(self.as_ptr(), nid, memcg, raw.as_mut_ptr(), N as c_uint, walk as c_ulong) };
        let mut out = KVec::new();
        for &p in &raw[..n as usize] {
            // SAFETY: `rpc_lru_collect` took one reference on each.
            let r = unsafe { InodeRef::from_raw(p) };
            // On ENOMEM the reference is put right here.
            let _ = out.push(r, GFP_NOWAIT);
        }
        out
    }
}

#[pinned_drop]
impl PinnedDrop for ListLru {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: initialised by `new` (a `ListLru` exists only once its
        // initialiser succeeded), destroyed once, here; empty, as said at
        // the type: every track's inode was evicted before the owner drops.
        unsafe { ffi::rpc_list_lru_destroy(self.as_ptr()) }
    }
}

/// Where an inode keeps its [`Track`]: owns at most one, and hands it over
/// atomically (eviction and a memcg move may swap at once, each getting
/// back the one it replaced). An inode empties it at eviction; one that
/// never had a regular file's track never fills it.
pub(crate) struct TrackSlot(AtomicPtr<RpcSwapTrack>);

impl TrackSlot {
    pub(crate) const fn new() -> Self {
        TrackSlot(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Whether a track is in the slot.
    pub(crate) fn is_set(&self) -> bool {
        !self.0.load(Ordering::Acquire).is_null()
    }

    /// Puts `new` in (`None`: empties the slot) and gives back the track
    /// that was there, for the caller to delete from its list.
    pub(crate) fn swap(&self, new: Option<Track>) -> Option<Track> {
        let p = new.map_or(core::ptr::null_mut(), |t| t.0.as_ptr());
        // Ownership moves into the slot with `p`, and out with `old`.
        let old = self.0.swap(p, Ordering::AcqRel);
        NonNull::new(old).map(Track)
    }
}
