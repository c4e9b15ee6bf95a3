// SPDX-License-Identifier: GPL-2.0

//! Extended attributes and POSIX ACLs, as tmpfs has them
//! (`CONFIG_TMPFS_XATTR`, `CONFIG_TMPFS_POSIX_ACL` in mm/shmem.c).
//!
//! - `user.`, `trusted.` and `security.` attributes live in memory, in a
//!   list per inode ([`Xattrs`]), and take their [`xattr_space`] from the
//!   mount's inode budget (`nr_inodes=`, ENOSPC when it is spent), as
//!   tmpfs's `free_ispace`. The VFS checks names, sizes (`XATTR_SIZE_MAX`,
//!   E2BIG) and permissions (`user.` only on regular files and
//!   directories, `trusted.` only with `CAP_SYS_ADMIN`) before it calls the
//!   handlers; listing hides `trusted.` names from others, as
//!   `simple_xattr_list()` does.
//! - POSIX ACLs are the VFS's cached ACLs (`i_acl`, `i_default_acl`) and
//!   nothing else, as on tmpfs: a new inode inherits its directory's
//!   default ACL or gets the umask (`NewInode::inherit_acls`, called for
//!   every inode made in a directory), `set_acl` updates the
//!   mode with the ACL, and a `chmod` rewrites the ACL's mask
//!   ([`acl_chmod`]). The mount has `SB_POSIXACL`, so the VFS leaves the
//!   umask to `inherit_acls`: every new inode must go through it.
//! - `security_inode_init_security()`'s attributes of a new inode are
//!   stored here too (`rpc_initxattrs` in helpers.c calls [`rpc_xattr_set_new`]).
//!
//! The simple_xattr library tmpfs uses is not exported to modules, nor are
//! `simple_acl_create()`/`simple_set_acl()`: the list and its rules are
//! this file's, the two ACL functions are copied into helpers.c (a few
//! calls to exported ones).
//!
//! Locking: an inode's list is under its own mutex, taken by `get`, `set`
//! and `list` alone (no other lock is taken inside it); `set` runs with the
//! inode's `i_rwsem` held by the VFS, `get` and `list` without it.

use crate::fs::dir::errno;
use crate::fs::options::xattr_space;
use crate::glue::ffi::{self, OpsTable};
use crate::glue::vfs::{Dentry, Inode};
use kernel::alloc::flags::GFP_KERNEL_ACCOUNT;
use kernel::alloc::{KVVec, KVec};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// One extended attribute.
struct Xattr {
    /// The full name, with its prefix (`user.foo`) and its NUL.
    name: KVec<u8>,
    value: KVVec<u8>,
}

impl Xattr {
    fn new(name: &CStr, value: &[u8]) -> Result<Self> {
        let name = name.to_bytes_with_nul();
        let mut n = KVec::with_capacity(name.len(), GFP_KERNEL_ACCOUNT)?;
        n.extend_from_slice(name, GFP_KERNEL_ACCOUNT)?;
        let mut v = KVVec::with_capacity(value.len(), GFP_KERNEL_ACCOUNT)?;
        v.extend_from_slice(value, GFP_KERNEL_ACCOUNT)?;
        Ok(Xattr { name: n, value: v })
    }

    fn is(&self, name: &CStr) -> bool {
        self.name.as_slice() == name.to_bytes_with_nul()
    }

    /// What it takes of the inode budget.
    fn space(&self) -> u64 {
        xattr_space(self.name.len() - 1, self.value.len())
    }
}

/// The extended attributes of one inode, in the order they were made.
#[pin_data]
pub(crate) struct Xattrs {
    #[pin]
    list: Mutex<KVec<Xattr>>,
}

/// What `set` was asked for (`XATTR_CREATE`, `XATTR_REPLACE`).
#[derive(Clone, Copy)]
struct SetFlags(c_int);

impl SetFlags {
    fn create(self) -> bool {
        self.0 & bindings::XATTR_CREATE as c_int != 0
    }
    fn replace(self) -> bool {
        self.0 & bindings::XATTR_REPLACE as c_int != 0
    }
}

impl Xattrs {
    /// An empty list (`alloc_inode`).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Xattrs { list <- kernel::new_mutex!(KVec::new(), "Xattrs::list") })
    }

    /// The value of `name`: its length, copied into `buf` if one is given
    /// (`ERANGE` if it is too small), `ENODATA` if there is none
    /// (`simple_xattr_get()`).
    fn get(&self, name: &CStr, buf: Option<&mut [u8]>) -> Result<usize> {
        let list = self.list.lock();
        let x = list.iter().find(|x| x.is(name)).ok_or(ENODATA)?;
        if let Some(buf) = buf {
            buf.get_mut(..x.value.len()).ok_or(ERANGE)?.copy_from_slice(&x.value);
        }
        Ok(x.value.len())
    }

    /// Sets `name` to `value`, or removes it (`None`), with
    /// `simple_xattr_set()`'s rules: `EEXIST` for `XATTR_CREATE` of one
    /// that exists, `ENODATA` for `XATTR_REPLACE` of one that does not;
    /// removing one that does not exist without `XATTR_REPLACE` is no
    /// error. The budget: the new value's space is taken first (`ENOSPC`),
    /// the old one's given back after.
    fn set(&self, inode: &Inode, name: &CStr, value: Option<&[u8]>, flags: SetFlags) -> Result {
        let sb = inode.sb_info();
        let new = match value {
            Some(v) => {
                let space = xattr_space(name.to_bytes().len(), v.len());
                sb.take_ispace(space)?;
                Some(Xattr::new(name, v).inspect_err(|_| sb.put_ispace(space))?)
            }
            None => None,
        };
        let new_space = new.as_ref().map_or(0, Xattr::space);
        let old = {
            let mut list = self.list.lock();
            match (list.iter().position(|x| x.is(name)), new) {
                (Some(_), _) if flags.create() => Err(EEXIST),
                (Some(i), Some(new)) => Ok(Some(core::mem::replace(&mut list[i], new))),
                (Some(i), None) => list.remove(i).map(Some).map_err(|_| EINVAL),
                (None, _) if flags.replace() => Err(ENODATA),
                (None, Some(new)) => list.push(new, GFP_KERNEL_ACCOUNT).map(|()| None).map_err(Error::from),
                (None, None) => Ok(None),
            }
        }
        .inspect_err(|_| sb.put_ispace(new_space))?;
        // Freed outside the lock.
        if let Some(old) = old {
            sb.put_ispace(old.space());
        }
        inode.touch_ctime_version();
        Ok(())
    }

    /// Appends the names to `out`, without `trusted.` ones unless
    /// `trusted`, and without the LSM's own label, which
    /// `security_inode_listsecurity()` listed (`simple_xattr_list()`).
    fn list(&self, out: &mut NameList<'_>, trusted: bool) -> Result {
        let list = self.list.lock();
        for x in list.iter() {
            if !trusted && x.name.starts_with(b"trusted.") {
                continue;
            }
            // SAFETY: the name is NUL-terminated (`Xattr::new`).
            if x.name.starts_with(b"security.") && unsafe { ffi::rpc_xattr_is_maclabel(x.name.as_ptr()) } {
                continue;
            }
            out.push(&x.name)?;
        }
        Ok(())
    }

    /// Drops every attribute (eviction) and returns the inode budget they
    /// took.
    pub(crate) fn clear(&self) -> u64 {
        let list = core::mem::take(&mut *self.list.lock());
        list.iter().map(Xattr::space).sum()
    }
}

/// A `listxattr` buffer: NUL-terminated names one after another, or only
/// their total length when the caller passed no buffer.
struct NameList<'a> {
    buf: Option<&'a mut [u8]>,
    len: usize,
}

impl NameList<'_> {
    /// Adds `name` (NUL included); `ERANGE` past the buffer.
    fn push(&mut self, name: &[u8]) -> Result {
        let end = self.len + name.len();
        if let Some(buf) = self.buf.as_deref_mut() {
            buf.get_mut(self.len..end).ok_or(ERANGE)?.copy_from_slice(name);
        }
        self.len = end;
        Ok(())
    }
}

/// `xattr_handler.get` of the three prefixes.
unsafe extern "C" fn handler_get(
    handler: *const bindings::xattr_handler,
    _dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    buffer: *mut c_void,
    size: usize,
) -> c_int {
    // The VFS calls with one of our handlers, a live inode of ours, the name
    // after the handler's prefix (inside the NUL-terminated full name that
    // `xattr_full_name` gives back), and `buffer` null or `size` bytes.
    // SAFETY: those arguments, all valid for the call.
    let (inode, name, buf) = unsafe {
        (
            Inode::from_raw(inode),
            CStr::from_char_ptr(bindings::xattr_full_name(handler, name)),
            (!buffer.is_null()).then(|| core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)),
        )
    };
    match inode.rpc().xattrs.get(name, buf) {
        Ok(n) => n as c_int,
        Err(e) => e.to_errno(),
    }
}

/// `xattr_handler.set` of the three prefixes (`value` null: remove).
unsafe extern "C" fn handler_set(
    handler: *const bindings::xattr_handler,
    _idmap: *mut bindings::mnt_idmap,
    _dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    value: *const c_void,
    size: usize,
    flags: c_int,
) -> c_int {
    // SAFETY: as for `handler_get`, with `value` null or `size` readable
    // bytes; the VFS holds the inode's `i_rwsem`.
    let (inode, name, value) = unsafe {
        (
            Inode::from_raw(inode),
            CStr::from_char_ptr(bindings::xattr_full_name(handler, name)),
            (!value.is_null()).then(|| core::slice::from_raw_parts(value.cast::<u8>(), size)),
        )
    };
    errno(inode.rpc().xattrs.set(inode, name, value, SetFlags(flags)))
}

/// Stores one attribute of a new inode that nobody can reach yet
/// (`security_inode_init_security()`'s, through `rpc_initxattrs`).
///
/// # Safety
///
/// `inode` is a new inode of ours; `name` is NUL-terminated and `value`
/// holds `len` bytes, both for the call.
#[no_mangle]
unsafe extern "C" fn rpc_xattr_set_new(inode: *mut bindings::inode, name: *const c_char, value: *const c_void, len: usize) -> c_int {
    // SAFETY: function contract.
    let (inode, name, value) = unsafe {
        (Inode::from_raw(inode), CStr::from_char_ptr(name), core::slice::from_raw_parts(value.cast::<u8>(), len))
    };
    let flags = SetFlags(bindings::XATTR_CREATE as c_int);
    errno(inode.rpc().xattrs.set(inode, name, Some(value), flags))
}

/// `inode_operations.listxattr`: the ACL names and the LSM's label
/// (helpers.c: `posix_acl_listxattr()` is not exported), then ours.
unsafe extern "C" fn listxattr(dentry: *mut bindings::dentry, buffer: *mut c_char, size: usize) -> isize {
    // SAFETY: VFS callback argument: a positive dentry of ours.
    let Some(inode) = (unsafe { Dentry::from_raw(dentry) }).inode() else {
        return ENOENT.to_errno() as isize;
    };
    // SAFETY: a live inode of ours; `buffer` null (size wanted) or `size`
    // writable bytes, as the VFS passed them.
    let system = unsafe { ffi::rpc_xattr_list_system(inode.as_raw(), buffer, size) };
    if system < 0 {
        return system;
    }
    // SAFETY: as above; C is done with the buffer, which is ours alone now.
    let buf = (!buffer.is_null()).then(|| unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size) });
    let mut out = NameList { buf, len: system as usize };
    match inode.rpc().xattrs.list(&mut out, ffi::rpc_capable_trusted()) {
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The handlers of `sb->s_xattr`. The POSIX ACL names
/// (`system.posix_acl_*`) are not among them: the VFS serves those itself
/// through `set_acl` and the cached ACLs.
pub(crate) static HANDLERS: OpsTable<[*const bindings::xattr_handler; 4]> =
    OpsTable([&SECURITY.0, &TRUSTED.0, &USER.0, core::ptr::null()]);

const fn handler(prefix: &'static CStr) -> OpsTable<bindings::xattr_handler> {
    OpsTable(bindings::xattr_handler {
        name: core::ptr::null(),
        prefix: kernel::str::as_char_ptr_in_const_context(prefix),
        flags: 0,
        list: None,
        get: Some(handler_get),
        set: Some(handler_set),
    })
}

static SECURITY: OpsTable<bindings::xattr_handler> = handler(c"security.");
static TRUSTED: OpsTable<bindings::xattr_handler> = handler(c"trusted.");
static USER: OpsTable<bindings::xattr_handler> = handler(c"user.");

/// The `listxattr` of every inode type.
pub(crate) const LISTXATTR: Option<unsafe extern "C" fn(*mut bindings::dentry, *mut c_char, usize) -> isize> =
    Some(listxattr);

/// The `set_acl` of every inode type but symlinks (`simple_set_acl()`).
pub(crate) const SET_ACL: Option<
    unsafe extern "C" fn(*mut bindings::mnt_idmap, *mut bindings::dentry, *mut bindings::posix_acl, c_int) -> c_int,
> = Some(ffi::rpc_set_acl);

/// After a `setattr` that changed the mode: the access ACL's mask follows
/// it (`posix_acl_chmod()`, as `shmem_setattr()`).
///
/// # Safety
///
/// The `setattr` callback's arguments: `dentry` is positive and its
/// inode's `i_rwsem` is held.
pub(crate) unsafe fn acl_chmod(idmap: *mut bindings::mnt_idmap, dentry: *mut bindings::dentry, attr: *const bindings::iattr) -> c_int {
    // SAFETY: function contract.
    unsafe {
        if (*attr).ia_valid & bindings::ATTR_MODE == 0 {
            return 0;
        }
        ffi::rpc_acl_chmod(idmap, dentry)
    }
}
