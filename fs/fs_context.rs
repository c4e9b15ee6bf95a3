// SPDX-License-Identifier: GPL-2.0

//! The fs_context callbacks `helpers.c` forwards to: allocation of the
//! per-mount option set and the handling of each parsed parameter.
//!
//! The `fs_context` itself is opaque to Rust; `helpers.c` owns the
//! `fs_context_operations` table and passes `fc->fs_private` (a
//! [`MountOptions`] allocated here) back in.

use crate::fs::options::{Machine, MountOptions, Param};
use crate::fs::super_block::machine;
use kernel::prelude::*;

/// `init_fs_context`: a fresh option set for a mount or a remount (both
/// start empty: a remount changes only what it names).
#[no_mangle]
extern "C" fn rpc_fc_alloc() -> *mut c_void {
    match KBox::new(MountOptions::default(), GFP_KERNEL) {
        Ok(b) => KBox::into_raw(b).cast(),
        Err(_) => core::ptr::null_mut(),
    }
}

/// `fs_context_operations.free`.
///
/// # Safety
///
/// `ctx` is null or a pointer returned by [`rpc_fc_alloc`], not used again.
#[no_mangle]
unsafe extern "C" fn rpc_fc_free(ctx: *mut c_void) {
    if !ctx.is_null() {
        // SAFETY: by the function's contract `ctx` came from `KBox::into_raw`
        // in `rpc_fc_alloc` and is freed exactly once, here.
        drop(unsafe { KBox::from_raw(ctx.cast::<MountOptions>()) });
    }
}

/// Borrows the options of an fs_context.
///
/// # Safety
///
/// `ctx` is `fc->fs_private` of a live fs_context of this filesystem, and the
/// VFS serialises all calls on one fs_context.
pub(crate) unsafe fn options<'a>(ctx: *mut c_void) -> &'a mut MountOptions {
    // SAFETY: per the contract, `ctx` is a valid, exclusively used
    // `MountOptions` allocated by `rpc_fc_alloc`.
    unsafe { &mut *ctx.cast::<MountOptions>() }
}

/// `parse_param` for a parameter `fs_parse()` recognised: returns 0 or
/// `-EINVAL`, in which case `helpers.c` logs "Bad value for '<key>'".
///
/// # Safety
///
/// `ctx` is `fc->fs_private`; `string` is null or a NUL-terminated string.
#[no_mangle]
unsafe extern "C" fn rpc_fc_param(ctx: *mut c_void, opt: c_uint, string: *const c_char, num: u32) -> c_int {
    let Some(param) = Param::from_raw(opt) else {
        return EINVAL.to_errno();
    };
    let string = if string.is_null() {
        None
    } else {
        // SAFETY: `string` is `param->string`, NUL-terminated, alive for the call.
        Some(unsafe { CStr::from_char_ptr(string) }.to_bytes())
    };
    let m: Machine = machine();
    // SAFETY: `ctx` is this fs_context's `fs_private` (function contract).
    match unsafe { options(ctx) }.apply(param, string, num, &m) {
        Ok(()) => 0,
        Err(_) => EINVAL.to_errno(),
    }
}
