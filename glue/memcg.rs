// SPDX-License-Identifier: GPL-2.0

//! Memory cgroups: a counted reference ([`MemcgRef`]) and a scope that
//! charges this task's page-cache insertions to a given memcg
//! ([`ChargeScope`], `set_active_memcg()`).
//!
//! Swap uses both to charge as shmem does: a page brought back from swap
//! (read, fault, swapoff) is charged to the memcg it was swapped out of,
//! not to whoever happens to read it (`mem_cgroup_swapin_charge_folio()`
//! charges the memcg recorded for the swap entry). `mem_cgroup_charge()`
//! is not exported, but `filemap_add_folio()` charges the task's active
//! memcg when one is set; the area keeps one [`MemcgRef`] per slot in use
//! (swap/area.rs), as the kernel's `swap_cgroup` keeps an id.

use crate::glue::ffi;
use crate::glue::folio::LockedFolio;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::ffi::c_void;

/// A reference on a memcg's css: the memcg stays allocated (though it may
/// go offline, when its cgroup is removed) until the reference is dropped.
pub(crate) struct MemcgRef(NonNull<bindings::mem_cgroup>);

// SAFETY: a css reference is an atomic (per-cpu) count, taken and dropped
// from any task or CPU.
unsafe impl Send for MemcgRef {}
// SAFETY: `&MemcgRef` only compares the pointer or takes more references.
unsafe impl Sync for MemcgRef {}

impl MemcgRef {
    /// The memcg `folio` is charged to (`None`: not charged, or memcgs are
    /// disabled).
    pub(crate) fn of_folio(folio: &LockedFolio) -> Option<Self> {
        // SAFETY: the folio is locked, so its charge (and the reference it
        // holds on the memcg) stays while the helper takes its own.
        NonNull::new(unsafe { ffi::rpc_folio_memcg_get(folio.as_ptr()) }).map(MemcgRef)
    }

    /// Whether both are the same memcg.
    pub(crate) fn same(&self, other: &MemcgRef) -> bool {
        self.0 == other.0
    }

    /// Charges this task's page-cache insertions to this memcg until the
    /// scope ends; `None` (the task's own memcg is charged) if the memcg is
    /// offline, as `mem_cgroup_swapin_charge_folio()` falls back to the
    /// task's memcg.
    pub(crate) fn charge_here(&self) -> Option<ChargeScope<'_>> {
        let mut old = core::ptr::null_mut();
        // SAFETY: `self` holds a reference, so the memcg is allocated; the
        // helper takes an online reference or fails.
        if unsafe { ffi::rpc_memcg_scope_begin(self.0.as_ptr(), &mut old) } {
            Some(ChargeScope { memcg: self, old, _task: PhantomData })
        } else {
            None
        }
    }
}

impl Clone for MemcgRef {
    fn clone(&self) -> Self {
        // SAFETY: we hold a reference, so taking another is allowed.
        unsafe { ffi::rpc_memcg_get(self.0.as_ptr()) };
        MemcgRef(self.0)
    }
}

impl Drop for MemcgRef {
    fn drop(&mut self) {
        // SAFETY: drops the reference this value owns.
        unsafe { ffi::rpc_memcg_put(self.0.as_ptr()) };
    }
}

/// While alive, `filemap_add_folio()` and accounted allocations of this
/// task charge the scope's memcg. Not `Send`: the setting is the task's.
pub(crate) struct ChargeScope<'a> {
    memcg: &'a MemcgRef,
    old: *mut bindings::mem_cgroup,
    _task: PhantomData<*mut ()>,
}

impl Drop for ChargeScope<'_> {
    fn drop(&mut self) {
        // SAFETY: ends the scope `charge_here` began in this task, putting
        // back the active memcg it replaced and the online reference.
        unsafe { ffi::rpc_memcg_scope_end(self.memcg.0.as_ptr(), self.old) };
    }
}

/// The current task's memcg (its `active_memcg` if set) as a key to compare
/// with [`folio_memcg_key`]; never dereferenced. Null without memcgs.
pub(crate) fn current_memcg_key() -> *mut c_void {
    // SAFETY: reads the current task's memcg under RCU; the pointer is
    // only compared, never followed.
    unsafe { ffi::rpc_current_memcg_key() }
}

/// The memcg `folio` is charged to, as such a key; null if none.
pub(crate) fn folio_memcg_key(folio: &LockedFolio) -> *mut c_void {
    // SAFETY: the folio is locked (its memcg cannot change), as the helper
    // needs.
    unsafe { ffi::rpc_folio_memcg_key(folio.as_ptr()) }
}
