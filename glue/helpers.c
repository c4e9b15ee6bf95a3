// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rust_pagecache. See helpers.h for why this file exists; keep it
 * free of policy: parsing, accounting and every filesystem decision live in
 * the Rust files named beside each function.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/shrinker.h>
#include <linux/delay.h>
#include <linux/exportfs.h>
#include <linux/file.h>
#include <linux/filelock.h>
#include <linux/fs_parser.h>
#include <linux/mount.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/iversion.h>
#include <linux/fileattr.h>
#include <linux/xattr.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/swap.h>
#include <linux/uidgid.h>

#include "helpers.h"
#include "rust_pagecache.h"

/* ---- fs_context (fs/fs_context.rs) ------------------------------------ */

/*
 * uid/gid/mode use the VFS's own typed parsers, so "uid=" means exactly what
 * it means for tmpfs (mapped through the caller's user namespace); size and
 * nr_inodes are strings parsed by options.rs.
 */
static const struct fs_parameter_spec rpc_fs_parameters[] = {
	fsparam_string("gfp", RPC_OPT_GFP),
	fsparam_gid("gid", RPC_OPT_GID),
	fsparam_flag("inode32", RPC_OPT_INODE32),
	fsparam_flag("inode64", RPC_OPT_INODE64),
	fsparam_u32oct("mode", RPC_OPT_MODE),
	fsparam_flag("noswap", RPC_OPT_NOSWAP),
	fsparam_string("nr_inodes", RPC_OPT_NR_INODES),
	fsparam_string("size", RPC_OPT_SIZE),
	fsparam_string("swap", RPC_OPT_SWAP),
	fsparam_uid("uid", RPC_OPT_UID),
	{}
};

static int rpc_c_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct fs_parse_result result;
	const char *string = NULL;
	u32 num = 0;
	int opt;

	/* Unknown keys: -ENOPARAM lets the VFS handle "source" or report them. */
	opt = fs_parse(fc, rpc_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case RPC_OPT_SWAP:
	case RPC_OPT_GFP:
		/*
		 * A mount in a user namespace (FS_USERNS_MOUNT) must not open
		 * a block device for swap or take its memory from ZONE_DMA32,
		 * which devices need: both are the initial namespace's admin's.
		 */
		if (!ns_capable(&init_user_ns, CAP_SYS_ADMIN)) {
			errorfc(fc, "%s= needs CAP_SYS_ADMIN in the initial user namespace", param->key);
			return -EPERM;
		}
		fallthrough;
	case RPC_OPT_SIZE:
	case RPC_OPT_NR_INODES:
		string = param->string;
		break;
	case RPC_OPT_MODE:
		num = result.uint_32;
		break;
	case RPC_OPT_UID:
		if (!kuid_has_mapping(fc->user_ns, result.uid))
			return invalfc(fc, "Invalid uid '%s'", param->string);
		num = __kuid_val(result.uid);
		break;
	case RPC_OPT_GID:
		if (!kgid_has_mapping(fc->user_ns, result.gid))
			return invalfc(fc, "Invalid gid '%s'", param->string);
		num = __kgid_val(result.gid);
		break;
	}
	if (rpc_fc_param(fc->fs_private, opt, string, num))
		return invalfc(fc, "Bad value for '%s'", param->key);
	return 0;
}

static int rpc_c_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, rpc_fill_super);
}

static int rpc_c_reconfigure(struct fs_context *fc)
{
	const char *msg = NULL;
	int ret = rpc_reconfigure(fc->root->d_sb, fc->fs_private, &msg);

	if (ret && msg)
		errorfc(fc, "%s", msg);
	return ret;
}

static void rpc_c_free(struct fs_context *fc)
{
	rpc_fc_free(fc->fs_private);
}

static const struct fs_context_operations rpc_context_ops = {
	.free		= rpc_c_free,
	.parse_param	= rpc_c_parse_param,
	.get_tree	= rpc_c_get_tree,
	.reconfigure	= rpc_c_reconfigure,
};

static int rpc_init_fs_context(struct fs_context *fc)
{
	void *ctx = rpc_fc_alloc();

	if (!ctx)
		return -ENOMEM;
	fc->fs_private = ctx;
	fc->ops = &rpc_context_ops;
	return 0;
}

/* Registered by rust_pagecache.rs. Static: it carries lockdep keys. */
struct file_system_type rpc_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "rust_pagecache",
	.init_fs_context = rpc_init_fs_context,
	.parameters	= rpc_fs_parameters,
	.kill_sb	= rpc_kill_sb,
	/*
	 * As tmpfs: mountable inside a user namespace (uid=/gid= map through
	 * it, swap= and gfp= are refused there, above), and idmapped mounts
	 * (new inodes' owners go through the mount's idmap: fs/dir.rs).
	 */
	.fs_flags	= FS_USERNS_MOUNT | FS_ALLOW_IDMAP,
};

/* fs_context of a fill_super call: the options being mounted with. */
void *rpc_fc_private(struct fs_context *fc)
{
	return fc->fs_private;
}

/* ---- super block (fs/super_block.rs) ---------------------------------- */

unsigned long rpc_totalram_pages(void)
{
	return totalram_pages();
}

/* SB_NOSEC is BIT(28), a macro bindgen does not turn into a constant. */
void rpc_sb_set_nosec(struct super_block *sb)
{
	sb->s_flags |= SB_NOSEC;
}

void rpc_statfs_fill(struct kstatfs *buf, long magic, u64 blocks, u64 bfree,
		     u64 files, u64 ffree)
{
	buf->f_type = magic;
	buf->f_bsize = PAGE_SIZE;
	buf->f_namelen = NAME_MAX;
	buf->f_blocks = blocks;
	buf->f_bfree = bfree;
	buf->f_bavail = bfree;
	buf->f_files = files;
	buf->f_ffree = ffree;
}

/* A kuid/kgid value as the initial namespace sees it, for /proc/mounts. */
u32 rpc_uid_munged(u32 kuid)
{
	return from_kuid_munged(&init_user_ns, KUIDT_INIT(kuid));
}

u32 rpc_gid_munged(u32 kgid)
{
	return from_kgid_munged(&init_user_ns, KGIDT_INIT(kgid));
}

/* The mounter's fsuid/fsgid as kernel ids: the root's default owner, as tmpfs's. */
u32 rpc_current_fsuid(void)
{
	return __kuid_val(current_fsuid());
}

u32 rpc_current_fsgid(void)
{
	return __kgid_val(current_fsgid());
}

/* ---- inodes (fs/inode.rs) --------------------------------------------- */

static void rpc_inode_ctor(void *obj)
{
	/* An InodeWith<D> has its struct inode first (repr(C), glue/inode_slab.rs). */
	inode_init_once(obj);
}

struct kmem_cache *rpc_inode_cache_create(size_t size, size_t align)
{
	struct kmem_cache_args args = { .align = align, .ctor = rpc_inode_ctor };

	return kmem_cache_create("rust_pagecache_inode", size, &args,
				 SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT);
}

void *rpc_inode_cache_alloc(struct kmem_cache *cache, struct super_block *sb)
{
	return alloc_inode_sb(sb, cache, GFP_KERNEL);
}

/*
 * Regular files: the module's own page cache (cache/page_cache.rs). Every
 * folio is charged to a memcg and sits on the unevictable LRU, dirty, for as
 * long as it is cached: see "Memory accounting and reclaim" at the top of
 * page_cache.rs for why.
 * Other inodes (long symlinks through page_symlink()): ramfs's generic page
 * cache, also off the evictable LRU.
 */
void rpc_mapping_init(struct address_space *mapping, bool regular, bool dma32)
{
	gfp_t gfp = GFP_HIGHUSER;

	/*
	 * gfp=dma32 (fs/options.rs): what a driver sets on its shmem file for
	 * a device that addresses 32 bits (seed 003's GMA500 uses GFP_KERNEL |
	 * __GFP_DMA32). GFP_USER, not GFP_HIGHUSER: __GFP_DMA32 must not be
	 * combined with __GFP_HIGHMEM (gfp_zone() would BUG); and not movable,
	 * so that nothing migrates the pages out of the zone.
	 */
	if (regular)
		gfp = dma32 ? GFP_USER | __GFP_DMA32 : GFP_HIGHUSER_MOVABLE;
	mapping_set_gfp_mask(mapping, gfp);
	mapping_set_unevictable(mapping);
}

bool rpc_has_zone_dma32(void)
{
	return IS_ENABLED(CONFIG_ZONE_DMA32);
}

/* ram_aops with write_begin replaced by rpc_write_begin (block accounting). */
static struct address_space_operations rpc_aops_storage __ro_after_init;

const struct address_space_operations *rpc_aops(void)
{
	return &rpc_aops_storage;
}

/*
 * Regular files. read_folio only for read_mapping_folio() users (uprobes,
 * a kernel_read of a folio the module never saw): it adopts the folio the
 * caller inserted (cache/page_cache.rs). No readahead: the bdi is
 * noop_backing_dev_info, so fadvise(WILLNEED) leaves these mappings alone,
 * and the module's own read and fault paths never read ahead. Dirty tracking
 * without writeback accounting (there is no writeback); every cached folio
 * carries the private marker of page_cache.rs, so anything that would
 * release one asks the Rust callbacks above first; migration by the generic
 * code (which moves the marker); memory failure keeps the poisoned folio
 * (rpc_error_remove_folio, as shmem's), and reads of it fail with EIO.
 */
static const struct address_space_operations rpc_file_aops = {
	.read_folio		= rpc_read_folio,
	.dirty_folio		= noop_dirty_folio,
	.is_dirty_writeback	= rpc_is_dirty_writeback,
	.release_folio		= rpc_release_folio,
	.invalidate_folio	= rpc_invalidate_folio,
	.migrate_folio		= filemap_migrate_folio,
	.error_remove_folio	= rpc_error_remove_folio,
};

const struct address_space_operations *rpc_file_aops_ptr(void)
{
	return &rpc_file_aops;
}

void rpc_helpers_init(void)
{
	rpc_aops_storage = ram_aops;
	rpc_aops_storage.write_begin = rpc_write_begin;
}

loff_t rpc_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

void rpc_i_size_write(struct inode *inode, loff_t size)
{
	i_size_write(inode, size);
}

void rpc_dir_touch(struct inode *dir)
{
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
}

/*
 * The LSM's attributes of a new inode, stored as "security.<name>" by
 * fs/xattr.rs (as shmem_initxattrs(); charged to the inode budget there).
 */
static int rpc_initxattrs(struct inode *inode, const struct xattr *xattrs, void *fs_info)
{
	const struct xattr *x;

	for (x = xattrs; x->name; x++) {
		char *name = kasprintf(GFP_KERNEL_ACCOUNT, XATTR_SECURITY_PREFIX "%s", x->name);
		int err;

		if (!name)
			return -ENOMEM;
		err = rpc_xattr_set_new(inode, name, x->value, x->value_len);
		kfree(name);
		if (err)
			return err;
	}
	return 0;
}

/* dentry: NULL for an O_TMPFILE inode, which has no name (as shmem_tmpfile()). */
int rpc_security_init(struct inode *inode, struct inode *dir, struct dentry *dentry)
{
	return security_inode_init_security(inode, dir, dentry ? &dentry->d_name : NULL,
					    rpc_initxattrs, NULL);
}

/* ---- file handles: NFS export, name_to_handle_at() (fs/super_block.rs) -- */

/*
 * tmpfs's export operations (mm/shmem.c), for the same file handles: three
 * 32-bit words, the inode's generation (random, set at creation:
 * glue/vfs.rs NewInode::create) and its 64-bit number. Here in C because
 * bindgen sees neither struct export_operations nor struct fid
 * (linux/exportfs.h is not in the kernel crate's bindings), and there is
 * no decision to make: an inode enters the inode hash the first time a
 * handle is made for it, and a handle finds it only while it is alive
 * (open, or linked and so held by its dentry); a handle of a deleted
 * inode, or of one whose number was reused (other generation), is stale.
 * No parent lookup: ESTALE, as tmpfs (NFS falls back to the handle alone).
 */
static struct dentry *rpc_get_parent(struct dentry *child)
{
	return ERR_PTR(-ESTALE);
}

/* The inode number of handle words fh[0..3] (see rpc_encode_fh()). */
static __u64 rpc_fh_ino(const __u32 *fh)
{
	return ((__u64)fh[2] << 32) | fh[1];
}

static int rpc_fh_match(struct inode *inode, void *vfh)
{
	__u32 *fh = vfh;

	return inode->i_ino == rpc_fh_ino(fh) && inode->i_generation == fh[0];
}

static struct dentry *rpc_fh_to_dentry(struct super_block *sb, struct fid *fid, int fh_len,
				       int fh_type)
{
	struct dentry *dentry = NULL;
	struct inode *inode;

	if (fh_len < 3)
		return NULL;
	/* The hash key rpc_encode_fh() gave the inode: number + generation. */
	inode = ilookup5(sb, (unsigned long)(rpc_fh_ino(fid->raw) + fid->raw[0]), rpc_fh_match,
			 fid->raw);
	if (inode) {
		/* Any alias, a hashed one first (an O_TMPFILE inode has only an unhashed one). */
		dentry = d_find_alias(inode);
		if (!dentry)
			dentry = d_find_any_alias(inode);
		iput(inode);
	}
	return dentry;
}

static int rpc_encode_fh(struct inode *inode, __u32 *fh, int *len, struct inode *parent)
{
	/* __insert_inode_hash() must run once: the check and the insert under one lock. */
	static DEFINE_SPINLOCK(hash_lock);

	if (*len < 3) {
		*len = 3;
		return FILEID_INVALID;
	}
	if (inode_unhashed(inode)) {
		spin_lock(&hash_lock);
		if (inode_unhashed(inode))
			__insert_inode_hash(inode, inode->i_ino + inode->i_generation);
		spin_unlock(&hash_lock);
	}
	fh[0] = inode->i_generation;
	fh[1] = inode->i_ino;
	fh[2] = ((__u64)inode->i_ino) >> 32;
	*len = 3;
	return 1;
}

static const struct export_operations rpc_export_ops = {
	.get_parent = rpc_get_parent,
	.encode_fh = rpc_encode_fh,
	.fh_to_dentry = rpc_fh_to_dentry,
};

void rpc_sb_set_export_ops(struct super_block *sb)
{
	sb->s_export_op = &rpc_export_ops;
}

/* ---- extended attributes and POSIX ACLs (fs/xattr.rs) ----------------- */

/* SB_POSIXACL is a macro; with it the VFS leaves the umask to rpc_acl_create(). */
void rpc_sb_set_xattr(struct super_block *sb, const struct xattr_handler *const *handlers)
{
	sb->s_xattr = handlers;
#ifdef CONFIG_FS_POSIX_ACL
	sb->s_flags |= SB_POSIXACL;
#endif
}

/* A new inode has no ACL (cached as none), as shmem_get_inode(). */
void rpc_cache_no_acl(struct inode *inode)
{
	cache_no_acl(inode);
}

/* simple_acl_create(), which is not exported. */
int rpc_acl_create(struct inode *dir, struct inode *inode)
{
	struct posix_acl *default_acl, *acl;
	int error;

	error = posix_acl_create(dir, &inode->i_mode, &default_acl, &acl);
	if (error)
		return error;
	set_cached_acl(inode, ACL_TYPE_DEFAULT, default_acl);
	set_cached_acl(inode, ACL_TYPE_ACCESS, acl);
	if (default_acl)
		posix_acl_release(default_acl);
	if (acl)
		posix_acl_release(acl);
	return 0;
}

/* simple_set_acl(), which is not exported. */
int rpc_set_acl(struct mnt_idmap *idmap, struct dentry *dentry, struct posix_acl *acl, int type)
{
	struct inode *inode = d_inode(dentry);
	int error;

	if (type == ACL_TYPE_ACCESS) {
		error = posix_acl_update_mode(idmap, inode, &inode->i_mode, &acl);
		if (error)
			return error;
	}
	inode_set_ctime_current(inode);
	if (IS_I_VERSION(inode))
		inode_inc_iversion(inode);
	set_cached_acl(inode, type, acl);
	return 0;
}

int rpc_acl_chmod(struct mnt_idmap *idmap, struct dentry *dentry)
{
	return posix_acl_chmod(idmap, dentry, d_inode(dentry)->i_mode);
}

static int rpc_list_one(char **buffer, ssize_t *remaining, const char *name)
{
	size_t len = strlen(name) + 1;

	if (*buffer) {
		if (*remaining < len)
			return -ERANGE;
		memcpy(*buffer, name, len);
		*buffer += len;
	}
	*remaining -= len;
	return 0;
}

/*
 * The names listxattr shows before the inode's own: its ACLs
 * (posix_acl_listxattr(), not exported) and the LSM's label, as the start
 * of simple_xattr_list(). Returns their length or -errno.
 */
ssize_t rpc_xattr_list_system(struct inode *inode, char *buffer, size_t size)
{
	ssize_t remaining = size;
	int err;

	if (IS_POSIXACL(inode)) {
		if (inode->i_acl) {
			err = rpc_list_one(&buffer, &remaining, XATTR_NAME_POSIX_ACL_ACCESS);
			if (err)
				return err;
		}
		if (inode->i_default_acl) {
			err = rpc_list_one(&buffer, &remaining, XATTR_NAME_POSIX_ACL_DEFAULT);
			if (err)
				return err;
		}
	}
	/* As simple_xattr_list() calls it. */
	err = security_inode_listsecurity(inode, &buffer, &remaining);
	if (err < 0)
		return err;
	if (buffer && remaining < err)
		return -ERANGE;
	remaining -= err;
	return size - remaining;
}

bool rpc_xattr_is_maclabel(const char *name)
{
	return security_ismaclabel(name + XATTR_SECURITY_PREFIX_LEN);
}

bool rpc_capable_trusted(void)
{
	return ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

void rpc_inode_ctime_version(struct inode *inode)
{
	inode_set_ctime_current(inode);
	inode_inc_iversion(inode);
}

/* ---- inode flags (fs/fileattr.rs) ------------------------------------ */

void rpc_fileattr_fill(struct file_kattr *fa, u32 flags)
{
	fileattr_fill_flags(fa, flags);
}

bool rpc_fileattr_has_fsx(const struct file_kattr *fa)
{
	return fileattr_has_fsx(fa);
}

u32 rpc_fileattr_flags(const struct file_kattr *fa)
{
	return fa->flags;
}

/*
 * O_TMPFILE (fs/dir.rs): the new inode becomes file's, unlinked
 * (d_tmpfile(): nlink 1 -> 0; the dentry takes the inode reference), and
 * file is opened.
 */
int rpc_tmpfile_open(struct file *file, struct inode *inode)
{
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
}

/* Short symlinks live in kmalloc'ed memory, as tmpfs keeps them. */
int rpc_symlink_inline(struct inode *inode, const char *target, size_t len)
{
	inode->i_link = kmemdup(target, len, GFP_KERNEL);
	if (!inode->i_link)
		return -ENOMEM;
	return 0;
}

/* Called from free_inode (after an RCU grace period). */
void rpc_inode_free_link(struct inode *inode)
{
	if (S_ISLNK(inode->i_mode))
		kfree(inode->i_link);
}

void rpc_inode_set_ops(struct inode *inode, const struct inode_operations *iop,
		       const struct file_operations *fop)
{
	inode->i_op = iop;
	if (fop)
		inode->i_fop = fop;
}

unsigned int rpc_inode_nlink(const struct inode *inode)
{
	return inode->i_nlink;
}

void rpc_inode_lock_blocks(struct inode *inode)
{
	spin_lock(&inode->i_lock);
}

void rpc_inode_unlock_blocks(struct inode *inode)
{
	spin_unlock(&inode->i_lock);
}

void rpc_inode_lock(struct inode *inode)
{
	inode_lock(inode);
}

bool rpc_inode_trylock(struct inode *inode)
{
	return inode_trylock(inode);
}

void rpc_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

void rpc_invalidate_lock(struct address_space *mapping, bool exclusive)
{
	if (exclusive)
		filemap_invalidate_lock(mapping);
	else
		filemap_invalidate_lock_shared(mapping);
}

void rpc_invalidate_unlock(struct address_space *mapping, bool exclusive)
{
	if (exclusive)
		filemap_invalidate_unlock(mapping);
	else
		filemap_invalidate_unlock_shared(mapping);
}

bool rpc_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

void rpc_cond_resched(void)
{
	cond_resched();
}

void rpc_file_accessed(struct file *file)
{
	file_accessed(file);
}

/*
 * Regular files accept O_DIRECT, as tmpfs since 6.6: the page cache is the
 * storage, so direct I/O is served from it, with no alignment rules.
 */
int rpc_file_open(struct inode *inode, struct file *file)
{
	file->f_mode |= FMODE_CAN_ODIRECT;
	return generic_file_open(inode, file);
}

/*
 * Leases (F_SETLEASE) and, on directories, delegations (F_SETDELEG) as
 * tmpfs's: the VFS grants none to a file system without ->setlease;
 * linux/filelock.h is not in the kernel crate's bindings, hence this
 * wrapper. fstests' generic/571, 786 and 787 need it.
 */
int rpc_file_setlease(struct file *file, int arg, struct file_lease **flp, void **priv)
{
	return generic_setlease(file, arg, flp, priv);
}

bool rpc_iocb_nowait(const struct kiocb *iocb)
{
	return iocb->ki_flags & IOCB_NOWAIT;
}

/* ---- mmap (fs/mmap.rs) ------------------------------------------------- */

pgoff_t rpc_vmf_pgoff(const struct vm_fault *vmf)
{
	return vmf->pgoff;
}

struct file *rpc_vmf_file(const struct vm_fault *vmf)
{
	return vmf->vma->vm_file;
}

/* ---- folios and the XArray (glue/folio.rs, glue/xarray.rs, cache/page_cache.rs) */

/* Mapping gfp without __GFP_FS-style surprises: the caller passes it on. */
gfp_t rpc_mapping_gfp(struct address_space *mapping)
{
	return mapping_gfp_mask(mapping);
}

struct folio *rpc_folio_alloc(gfp_t gfp, unsigned int order)
{
	return filemap_alloc_folio(gfp, order, NULL);
}

bool rpc_folio_try_get(struct folio *folio)
{
	return folio_try_get(folio);
}

void rpc_folio_put(struct folio *folio)
{
	folio_put(folio);
}

void rpc_folio_put_refs(struct folio *folio, int refs)
{
	folio_put_refs(folio, refs);
}


bool rpc_folio_ref_freeze(struct folio *folio, int count)
{
	return folio_ref_freeze(folio, count);
}

void rpc_folio_ref_unfreeze(struct folio *folio, int count)
{
	folio_ref_unfreeze(folio, count);
}

void rpc_folio_lock(struct folio *folio)
{
	folio_lock(folio);
}

int rpc_folio_lock_killable(struct folio *folio)
{
	return folio_lock_killable(folio);
}

void rpc_folio_get(struct folio *folio)
{
	folio_get(folio);
}


bool rpc_folio_test_uptodate(const struct folio *folio)
{
	return folio_test_uptodate(folio);
}

bool rpc_folio_test_dirty(const struct folio *folio)
{
	return folio_test_dirty(folio);
}

void rpc_folio_mark_uptodate(struct folio *folio)
{
	folio_mark_uptodate(folio);
}

bool rpc_folio_mapped(const struct folio *folio)
{
	return folio_mapped(folio);
}

long rpc_folio_nr_pages(const struct folio *folio)
{
	return folio_nr_pages(folio);
}

void rpc_folio_zero_segment(struct folio *folio, size_t start, size_t end)
{
	folio_zero_segment(folio, start, end);
}

void rpc_flush_dcache_folio(struct folio *folio)
{
	flush_dcache_folio(folio);
}

void rpc_folio_attach_marker(struct folio *folio, unsigned long marker)
{
	folio_attach_private(folio, (void *)marker);
}

void rpc_folio_detach_marker(struct folio *folio)
{
	folio_detach_private(folio);
}

bool rpc_folio_test_private(const struct folio *folio)
{
	return folio_test_private(folio);
}

void rpc_folio_cancel_dirty(struct folio *folio)
{
	folio_cancel_dirty(folio);
}

struct page *rpc_folio_file_page(struct folio *folio, pgoff_t index)
{
	return folio_file_page(folio, index);
}

/*
 * The detach step of a removal, under the XArray lock taken by the caller
 * (page_cache.rs decides when; this only does what page_cache_delete() and
 * filemap_unaccount_folio() do to a folio that leaves a mapping).
 */
void rpc_folio_detach(struct address_space *mapping, struct folio *folio)
{
	long nr = folio_nr_pages(folio);

	lockdep_assert_held(&mapping->i_pages.xa_lock);
	folio->mapping = NULL;
	mapping->nrpages -= nr;
	lruvec_stat_mod_folio(folio, NR_FILE_PAGES, -nr);
}

void rpc_xa_lock_irq(struct xarray *xa)
{
	xa_lock_irq(xa);
}

void rpc_xa_unlock_irq(struct xarray *xa)
{
	xa_unlock_irq(xa);
}

void *rpc_xas_reload(struct xa_state *xas)
{
	return xas_reload(xas);
}

/*
 * cache/page_cache.rs spells out the entry encodings its walks test on every
 * step (retry and zero entries, XAS_RESTART, the node size) instead of
 * calling out here for each; this checks them against the kernel's at
 * module load.
 */
bool rpc_xa_encodings_match(unsigned long retry, unsigned long zero,
			    unsigned long restart, unsigned long chunk)
{
	return retry == (unsigned long)XA_RETRY_ENTRY &&
	       zero == (unsigned long)XA_ZERO_ENTRY &&
	       restart == (unsigned long)XAS_RESTART &&
	       chunk == XA_CHUNK_SIZE &&
	       chunk == ARRAY_SIZE(((struct xa_node *)NULL)->slots) &&
	       xa_is_internal((void *)retry) && !xa_is_value((void *)retry);
}

/* ---- own swap: block device, swap index, shrinker (glue/block.rs, glue/reclaim.rs, swap/) ---- */

/*
 * The swap area's block device, opened for reading and writing with the
 * superblock's SbInfo as exclusive holder: the kernel's swapon, another
 * mount or a second swap= of this one get EBUSY while we hold it.
 */
struct file *rpc_bdev_open(const char *path, void *holder, int *err)
{
	struct file *f = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
						holder, NULL);

	if (IS_ERR(f)) {
		*err = PTR_ERR(f);
		return NULL;
	}
	*err = 0;
	return f;
}

void rpc_bdev_close(struct file *f)
{
	bdev_fput(f);
}

u64 rpc_bdev_nr_bytes(struct file *f)
{
	return bdev_nr_bytes(file_bdev(f));
}

bool rpc_bdev_read_only(struct file *f)
{
	return bdev_read_only(file_bdev(f));
}

unsigned int rpc_bdev_logical_block_size(struct file *f)
{
	return bdev_logical_block_size(file_bdev(f));
}

/*
 * One synchronous bio over nr folios that sit at consecutive pages of the
 * device from `sector` on: the whole run is one request (swap/area.rs
 * writes a cluster of a file's pages at once). GFP_NOIO: called from the
 * shrinker, in reclaim; bio_alloc() then draws on the bio set's mempool and
 * cannot fail.
 */
int rpc_bdev_rw_folios(struct file *f, u64 sector, struct folio **folios,
		       unsigned int nr, bool write)
{
	blk_opf_t opf = write ? REQ_OP_WRITE | REQ_SWAP | REQ_SYNC : REQ_OP_READ | REQ_SWAP;
	struct bio *bio;
	unsigned int i;
	int ret;

	if (!nr || nr > BIO_MAX_VECS)
		return -EINVAL;
	bio = bio_alloc(file_bdev(f), nr, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < nr; i++)
		bio_add_folio_nofail(bio, folios[i], folio_size(folios[i]), 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/* Copies the first `len` bytes of a (locked, up-to-date) folio out. */
void rpc_folio_copy_out(struct folio *folio, void *buf, size_t len)
{
	memcpy_from_folio(buf, folio, 0, min(len, folio_size(folio)));
}

/*
 * Per-inode swap index (swap/index.rs): an XArray of its own, index ->
 * slot as a value entry. Not i_pages: mm/truncate.c deletes every value
 * entry of a mapping that is not shmem's (kernel-facts.md).
 */
void rpc_swapidx_init(struct xarray *xa)
{
	xa_init(xa);
}

void rpc_swapidx_destroy(struct xarray *xa)
{
	xa_destroy(xa);
}

/* The slot of `index` + 1, or 0 if there is none. */
u64 rpc_swapidx_load(struct xarray *xa, pgoff_t index)
{
	void *entry = xa_load(xa, index);

	return xa_is_value(entry) ? (u64)xa_to_value(entry) + 1 : 0;
}

int rpc_swapidx_store(struct xarray *xa, pgoff_t index, u64 slot, gfp_t gfp)
{
	return xa_err(xa_store(xa, index, xa_mk_value(slot), gfp));
}

/* Removes `index` if it still records `slot`; true if it did. */
bool rpc_swapidx_take(struct xarray *xa, pgoff_t index, u64 slot)
{
	return xa_cmpxchg(xa, index, xa_mk_value(slot), NULL, 0) == xa_mk_value(slot);
}

/*
 * Replaces the record of `index` by `new` if it is still `old`; true if it
 * did. Replacing a present entry allocates nothing.
 */
bool rpc_swapidx_replace(struct xarray *xa, pgoff_t index, u64 old, u64 new)
{
	return xa_cmpxchg(xa, index, xa_mk_value(old), xa_mk_value(new), GFP_NOWAIT) == xa_mk_value(old);
}

/*
 * The first recorded index in [*index, last]: stores it in *index and
 * returns its slot + 1, or 0 if there is none.
 */
u64 rpc_swapidx_find(struct xarray *xa, pgoff_t *index, pgoff_t last)
{
	void *entry = xa_find(xa, index, last, XA_PRESENT);

	return xa_is_value(entry) ? (u64)xa_to_value(entry) + 1 : 0;
}

/*
 * Shrinker and its list_lru of regular inodes (glue/reclaim.rs): one
 * struct rpc_swap_track per regular file, allocated with
 * kmem_cache_alloc_lru() so that the list of the creating task's memcg
 * exists (list_lru_add_obj() of an object whose memcg list is missing would
 * warn), and put on that memcg's list: memcg reclaim then calls the shrinker
 * for it. A file whose new pages are charged to another memcg gets a new
 * track on that one's list (rpc_track_add_like() below).
 */
struct rpc_swap_track {
	struct list_head lru;
	struct inode *inode;
};

static struct kmem_cache *rpc_track_cache;

int rpc_track_cache_create(void)
{
	rpc_track_cache = kmem_cache_create("rust_pagecache_swap_track",
					    sizeof(struct rpc_swap_track), 0,
					    SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT, NULL);
	return rpc_track_cache ? 0 : -ENOMEM;
}

void rpc_track_cache_destroy(void)
{
	kmem_cache_destroy(rpc_track_cache);
}

static struct rpc_swap_track *rpc_track_new(struct list_lru *lru, struct inode *inode, gfp_t gfp)
{
	struct rpc_swap_track *t = kmem_cache_alloc_lru(rpc_track_cache, lru, gfp);

	if (!t)
		return NULL;
	INIT_LIST_HEAD(&t->lru);
	t->inode = inode;
	list_lru_add_obj(lru, &t->lru);
	return t;
}

struct rpc_swap_track *rpc_track_add(struct list_lru *lru, struct inode *inode)
{
	return rpc_track_new(lru, inode, GFP_KERNEL);
}

void rpc_track_del(struct list_lru *lru, struct rpc_swap_track *t)
{
	list_lru_del_obj(lru, &t->lru);
	kmem_cache_free(rpc_track_cache, t);
}

/*
 * Memcg keys (fs/inode.rs's follow_memcg): the memcg a task's accounted
 * allocations go to, and the one a folio is charged to, as opaque values
 * to compare, never dereferenced (a memcg that went away leaves a stale
 * key, whose worst effect is one needless move). NULL: no memcg.
 */
void *rpc_current_memcg_key(void)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *m;

	if (mem_cgroup_disabled())
		return NULL;
	rcu_read_lock();
	m = current->active_memcg ?: mem_cgroup_from_task(current);
	rcu_read_unlock();
	return m;
#else
	return NULL;
#endif
}

/* The folio is locked (its memcg binding is stable). */
void *rpc_folio_memcg_key(struct folio *folio)
{
	void *m;

	if (mem_cgroup_disabled() || !folio_memcg_charged(folio))
		return NULL;
	rcu_read_lock();
	m = folio_memcg(folio);
	rcu_read_unlock();
	return m;
}

/*
 * Memcg references for glue/memcg.rs. The locked folio's charge holds a
 * reference on its memcg, so one more can be taken (css_get) without a
 * tryget. NULL: not charged, or memcgs disabled.
 */
struct mem_cgroup *rpc_folio_memcg_get(struct folio *folio)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *m;

	if (mem_cgroup_disabled() || !folio_memcg_charged(folio))
		return NULL;
	rcu_read_lock();
	m = folio_memcg(folio);
	css_get(&m->css);
	rcu_read_unlock();
	return m;
#else
	return NULL;
#endif
}

/* Without CONFIG_MEMCG no reference is ever handed out: no-ops. */
void rpc_memcg_get(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	css_get(&memcg->css);
#endif
}

void rpc_memcg_put(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	css_put(&memcg->css);
#endif
}

/*
 * Charge this task's page-cache insertions to memcg (set_active_memcg(),
 * which filemap_add_folio()'s charge honours) if it is online, holding an
 * online reference until rpc_memcg_scope_end(); false, nothing set, if it
 * went offline (the task's own memcg is charged then, as in
 * mem_cgroup_swapin_charge_folio()).
 */
bool rpc_memcg_scope_begin(struct mem_cgroup *memcg, struct mem_cgroup **old)
{
#ifdef CONFIG_MEMCG
	if (!css_tryget_online(&memcg->css))
		return false;
	*old = set_active_memcg(memcg);
	return true;
#else
	return false;
#endif
}

void rpc_memcg_scope_end(struct mem_cgroup *memcg, struct mem_cgroup *old)
{
#ifdef CONFIG_MEMCG
	set_active_memcg(old);
	css_put(&memcg->css);
#endif
}

/*
 * A new track for inode, on the list of the memcg the locked folio is
 * charged to: allocated with that memcg as the remote-charging target
 * (set_active_memcg()), so kmem_cache_alloc_lru() creates its list and
 * list_lru_add_obj() puts it there. NULL on ENOMEM (or no memcg).
 */
struct rpc_swap_track *rpc_track_add_like(struct list_lru *lru, struct inode *inode,
					  struct folio *folio)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg, *old;
	struct rpc_swap_track *t;

	if (mem_cgroup_disabled() || !folio_memcg_charged(folio))
		return NULL;
	rcu_read_lock();
	do {
		memcg = folio_memcg(folio);
	} while (!css_tryget(&memcg->css));
	rcu_read_unlock();
	/* The reference keeps memcg alive over the remote-charging scope. */
	old = set_active_memcg(memcg);
	t = rpc_track_new(lru, inode, GFP_KERNEL | __GFP_NOWARN);
	set_active_memcg(old);
	css_put(&memcg->css);
	return t;
#else
	return NULL;
#endif
}

struct rpc_lru_count {
	unsigned long pages;
};

static enum lru_status rpc_lru_count_cb(struct list_head *item,
					struct list_lru_one *list, void *arg)
{
	struct rpc_swap_track *t = container_of(item, struct rpc_swap_track, lru);
	struct rpc_lru_count *c = arg;

	/* The inode is live while its track is on the list (evict removes it first). */
	c->pages += READ_ONCE(t->inode->i_mapping->nrpages);
	return LRU_SKIP;
}

/* Pages cached by the inodes on (nid, memcg)'s list, looking at up to `max` inodes. */
unsigned long rpc_lru_count_pages(struct list_lru *lru, int nid,
				  struct mem_cgroup *memcg, unsigned long max)
{
	struct rpc_lru_count c = { 0 };
	unsigned long nr = max;

	list_lru_walk_one(lru, nid, memcg, rpc_lru_count_cb, &c, &nr);
	return c.pages;
}

struct rpc_lru_collect {
	struct inode **out;
	unsigned int n, max;
};

/*
 * Takes a reference on each inode met, as the inode LRU's isolate does
 * (trylock of i_lock under the list lock; inodes being freed or not yet
 * set up are skipped), and rotates it to the tail: the shrinker visits
 * the inodes of a memcg round robin.
 */
static enum lru_status rpc_lru_collect_cb(struct list_head *item,
					  struct list_lru_one *list, void *arg)
{
	struct rpc_swap_track *t = container_of(item, struct rpc_swap_track, lru);
	struct rpc_lru_collect *c = arg;
	struct inode *inode = t->inode;

	/* Full: skip the rest (LRU_STOP would have to drop the list lock). */
	if (c->n == c->max)
		return LRU_SKIP;
	if (!READ_ONCE(inode->i_mapping->nrpages))
		return LRU_ROTATE;
	if (!spin_trylock(&inode->i_lock))
		return LRU_SKIP;
	if (inode_state_read(inode) & (I_FREEING | I_WILL_FREE | I_NEW)) {
		spin_unlock(&inode->i_lock);
		return LRU_SKIP;
	}
	__iget(inode);
	spin_unlock(&inode->i_lock);
	c->out[c->n++] = inode;
	return LRU_ROTATE;
}

/* Up to `max` referenced inodes of (nid, memcg)'s list; the caller iputs them. */
unsigned int rpc_lru_collect(struct list_lru *lru, int nid, struct mem_cgroup *memcg,
			     struct inode **out, unsigned int max, unsigned long walk)
{
	struct rpc_lru_collect c = { .out = out, .n = 0, .max = max };
	unsigned long nr = walk;

	list_lru_walk_one(lru, nid, memcg, rpc_lru_collect_cb, &c, &nr);
	return c.n;
}

int rpc_list_lru_init(struct list_lru *lru, struct shrinker *shrinker)
{
	/* Fields the init leaves alone (the lockdep key) must be zero. */
	memset(lru, 0, sizeof(*lru));
	return list_lru_init_memcg(lru, shrinker);
}

void rpc_list_lru_destroy(struct list_lru *lru)
{
	list_lru_destroy(lru);
}

void *rpc_shrinker_private(struct shrinker *s)
{
	return s->private_data;
}

/* Whether reclaim may do I/O here (swap writes need __GFP_IO, as shmem's writeout). */
bool rpc_gfp_allows_io(gfp_t gfp)
{
	return gfp & __GFP_IO;
}

/*
 * Pages on memcg's own unevictable LRU of node nid (its children's are on
 * their own lruvecs): what a shrinker call for that memcg can find of this
 * module's folios at most. ULONG_MAX for the root or no memcg.
 */
unsigned long rpc_memcg_unevictable_pages(struct mem_cgroup *memcg, int nid)
{
	struct lruvec *lruvec;
	unsigned long n = 0;
	int zid;

	if (!memcg || mem_cgroup_disabled() || mem_cgroup_is_root(memcg))
		return ULONG_MAX;
	lruvec = mem_cgroup_lruvec(memcg, NODE_DATA(nid));
	for (zid = 0; zid < MAX_NR_ZONES; zid++)
		n += mem_cgroup_get_zone_lru_size(lruvec, LRU_UNEVICTABLE, zid);
	return n;
}

/*
 * Whether a folio counts for a shrinker call on (nid, memcg): on that node,
 * and charged to that memcg or one below it (the root, or no memcg: any).
 */
bool rpc_folio_in_scope(struct folio *folio, int nid, struct mem_cgroup *memcg)
{
	bool in;

	if (folio_nid(folio) != nid)
		return false;
	if (!memcg || mem_cgroup_is_root(memcg))
		return true;
	rcu_read_lock();
	in = folio_memcg(folio) && mem_cgroup_is_descendant(folio_memcg(folio), memcg);
	rcu_read_unlock();
	return in;
}

bool rpc_folio_test_clear_referenced(struct folio *folio)
{
	return folio_test_clear_referenced(folio);
}

bool rpc_folio_trylock(struct folio *folio)
{
	return folio_trylock(folio);
}

bool rpc_folio_test_writeback(const struct folio *folio)
{
	return folio_test_writeback(folio);
}

/*
 * PG_readahead marks a folio swap-in read around the page asked for
 * (swap/swap_in.rs) until its first use (a readahead hit) or its next
 * swap-out (a miss). It is PG_reclaim's bit: these folios are on the
 * unevictable LRU and never under the kernel's reclaim writeback, and
 * swap-out clears it before it writes (folio_end_writeback() would take it
 * for PG_reclaim).
 */
void rpc_folio_set_readahead(struct folio *folio)
{
	folio_set_readahead(folio);
}

bool rpc_folio_test_clear_readahead(struct folio *folio)
{
	return folio_test_clear_readahead(folio);
}

int rpc_folio_ref_count(const struct folio *folio)
{
	return folio_ref_count(folio);
}

bool rpc_invalidate_trylock_shared(struct address_space *mapping)
{
	return down_read_trylock(&mapping->invalidate_lock);
}

/*
 * Swapoff's walk over a superblock's regular inodes (swap/swapoff.rs), in
 * the pattern of drop_pagecache_sb(): each inode is held with a reference
 * (taken under i_lock, skipping inodes being freed or set up) while `fn`
 * runs on it without any spinlock, so a concurrent unlink + close cannot
 * free it under us (seed 003's second race); the previous one is put only
 * after the list lock was dropped. Stops at the first nonzero return.
 */
int rpc_sb_for_each_regular(struct super_block *sb, int (*fn)(void *, struct inode *),
			    void *arg)
{
	struct inode *inode, *toput = NULL;
	int ret = 0;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if ((inode_state_read(inode) & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    !S_ISREG(inode->i_mode)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		__iget(inode);
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);

		iput(toput);
		toput = inode;
		ret = fn(arg, inode);
		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
		if (ret)
			break;
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(toput);
	return ret;
}

/* A mount error with its message in the fs_context log (mount(8) shows it). */
void rpc_fc_log_error(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}

/* Pages the shrinker freed count as reclaim's progress (vmscan's reclaim_state). */
void rpc_account_reclaimed(unsigned long pages)
{
	mm_account_reclaimed_pages(pages);
}

/*
 * Pages freed outside the LRU so far in the current reclaim invocation
 * (shrinkers' and slab's: current->reclaim_state, set by
 * try_to_free_mem_cgroup_pages() and by global reclaim); 0 outside reclaim.
 * Memcg reclaim never folds it into its progress (flush_reclaim_state()),
 * so within one invocation it only grows.
 */
unsigned long rpc_reclaim_freed_so_far(void)
{
	return current->reclaim_state ? current->reclaim_state->reclaimed : 0;
}

/*
 * Pages memcg and its ancestors can still be charged before one of them
 * reaches its memory.max or memory.high (mem_cgroup_margin() with high
 * too, up the hierarchy); ULONG_MAX for none, the root, or no memcg.
 */
unsigned long rpc_memcg_margin(struct mem_cgroup *memcg)
{
	unsigned long margin = ULONG_MAX;

	if (!memcg || mem_cgroup_disabled())
		return ULONG_MAX;
	for (; memcg && !mem_cgroup_is_root(memcg); memcg = parent_mem_cgroup(memcg)) {
		unsigned long count = page_counter_read(&memcg->memory);
		unsigned long limit = min(READ_ONCE(memcg->memory.max),
					  READ_ONCE(memcg->memory.high));

		margin = min(margin, limit > count ? limit - count : 0);
	}
	return margin;
}

struct shrinker *rpc_shrinker_new(const char *name)
{
	return shrinker_alloc(SHRINKER_MEMCG_AWARE | SHRINKER_NUMA_AWARE, "%s", name);
}

void rpc_shrinker_start(struct shrinker *s, void *private,
			unsigned long (*count)(struct shrinker *, struct shrink_control *),
			unsigned long (*scan)(struct shrinker *, struct shrink_control *))
{
	s->count_objects = count;
	s->scan_objects = scan;
	/*
	 * Our pages cost a swap write and read to get back, and reclaim should
	 * weigh them as it weighs tmpfs's anonymous-LRU pages against file
	 * pages (swappiness 60: file pages see 140/60 of the pressure). With
	 * DEFAULT_SEEKS a shrinker gets twice the LRU's share, and in make
	 * bench's swap rows 9 MiB of other files' cold page cache stayed in
	 * the 32 MiB memcg while ours went (3 MiB with this; tmpfs: 1.7).
	 * What one charge may take is bounded apart from this
	 * (charge_served, swap/out.rs).
	 */
	s->seeks = 4 * DEFAULT_SEEKS;
	/*
	 * Called once reclaim's share for us reaches SWAP_CLUSTER_MAX pages
	 * (what one charge asks for), not SHRINK_BATCH (128), which a memcg
	 * under a reader reached only at priority 5. Writes are batched
	 * apart from this (swap/out.rs).
	 */
	s->batch = SWAP_CLUSTER_MAX;
	s->private_data = private;
	shrinker_register(s);
}

/* Swapoff's allocations: fail rather than OOM-kill (swap/swap_in.rs). */
gfp_t rpc_gfp_mayfail(void)
{
	return __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
}

/* ---- zones and replacement (cache/replace.rs, seed 003) --------------- */

int rpc_folio_zonenum(const struct folio *folio)
{
	return folio_zonenum(folio);
}

int rpc_gfp_zone(gfp_t gfp)
{
	return gfp_zone(gfp);
}

/*
 * As shmem_replace_folio(): the zone is the constraint, not cpuset or node
 * (mm/internal.h's GFP_CONSTRAINT_MASK, which modules cannot include).
 */
gfp_t rpc_gfp_unconstrained(gfp_t gfp)
{
	return gfp & ~(__GFP_HARDWALL | __GFP_THISNODE);
}

bool rpc_folio_maybe_dma_pinned(struct folio *folio)
{
	return folio_maybe_dma_pinned(folio);
}

/* Copies old into new (a new folio, ours alone) and locks new. */
void rpc_folio_copy_new(struct folio *new, struct folio *old)
{
	folio_copy(new, old);
	flush_dcache_folio(new);
	__folio_set_locked(new);
}

/*
 * new (locked, in no mapping) takes old's place: the XArray entry, the
 * memcg charge, NR_FILE_PAGES (replace_page_cache_folio(), which takes the
 * page cache's reference on new and puts old's), then the LRU.
 */
void rpc_replace_folio(struct folio *old, struct folio *new)
{
	replace_page_cache_folio(old, new);
	folio_add_lru(new);
}

/* ---- the in-kernel API (include/rust_pagecache.h, fs/driver_api.rs) --- */

static struct file *rpc_setup(struct vfsmount *mnt, const char *name, loff_t size,
			      unsigned long flags)
{
	struct inode *inode = NULL;
	struct file *file;
	int err;

	if (!mnt || mnt->mnt_sb->s_type != &rpc_fs_type)
		return ERR_PTR(-EINVAL);
	if (size < 0 || size > MAX_LFS_FILESIZE || (flags & ~VM_NORESERVE))
		return ERR_PTR(-EINVAL);
	err = rpc_api_new_inode(mnt->mnt_root, size, &inode);
	if (err)
		return ERR_PTR(err);
	file = alloc_file_pseudo(inode, mnt, name, O_RDWR, inode->i_fop);
	if (IS_ERR(file))
		iput(inode);
	return file;
}

struct file *rpc_file_setup_with_mnt(struct vfsmount *mnt, const char *name, loff_t size,
				     unsigned long flags)
{
	return rpc_setup(mnt, name, size, flags);
}
EXPORT_SYMBOL_GPL(rpc_file_setup_with_mnt);

/*
 * The internal mount of rpc_file_setup() (shmem_file_setup()'s shm_mnt),
 * made on first use and unmounted (from a work item) when its last file is
 * evicted: a mount of its own filesystem pins the module (the superblock
 * holds the filesystem type), so one kept for the module's lifetime would
 * make it impossible to unload. It has no swap area: its files stay in
 * memory. Lock order: rpc_internal_lock → the VFS's mount and inode locks.
 * rpc_internal_files counts the files made on it, each marked by its
 * i_private, from the moment its inode exists until its eviction.
 */
static DEFINE_MUTEX(rpc_internal_lock);
static struct vfsmount *rpc_internal_mnt;
static struct super_block *rpc_internal_sb;
static atomic_t rpc_internal_files = ATOMIC_INIT(0);

static void rpc_internal_release(struct work_struct *work)
{
	struct vfsmount *mnt = NULL;

	mutex_lock(&rpc_internal_lock);
	if (rpc_internal_mnt && !atomic_read(&rpc_internal_files)) {
		mnt = rpc_internal_mnt;
		rpc_internal_mnt = NULL;
		WRITE_ONCE(rpc_internal_sb, NULL);
	}
	mutex_unlock(&rpc_internal_lock);
	if (mnt)
		kern_unmount(mnt);
}
static DECLARE_WORK(rpc_internal_work, rpc_internal_release);

/* Every eviction (fs/inode.rs): a file of the internal mount gives its count back. */
void rpc_evicted(struct inode *inode)
{
	if (inode->i_private == &rpc_internal_files && atomic_dec_and_test(&rpc_internal_files))
		schedule_work(&rpc_internal_work);
}

/* Module exit: no superblock is left, but the work that unmounted the last may still run. */
void rpc_internal_exit(void)
{
	flush_work(&rpc_internal_work);
}

struct file *rpc_file_setup(const char *name, loff_t size, unsigned long flags)
{
	struct inode *inode = NULL;
	struct file *file;
	int err;

	if (size < 0 || size > MAX_LFS_FILESIZE || (flags & ~VM_NORESERVE))
		return ERR_PTR(-EINVAL);
	mutex_lock(&rpc_internal_lock);
	if (!rpc_internal_mnt) {
		struct vfsmount *mnt = kern_mount(&rpc_fs_type);

		if (IS_ERR(mnt)) {
			mutex_unlock(&rpc_internal_lock);
			return ERR_CAST(mnt);
		}
		rpc_internal_mnt = mnt;
		WRITE_ONCE(rpc_internal_sb, mnt->mnt_sb);
	}
	err = rpc_api_new_inode(rpc_internal_mnt->mnt_root, size, &inode);
	if (err) {
		/* A mount made for nothing goes again. */
		if (!atomic_read(&rpc_internal_files))
			schedule_work(&rpc_internal_work);
		mutex_unlock(&rpc_internal_lock);
		return ERR_PTR(err);
	}
	/* Counted from here; the marker tells rpc_evicted() to give it back. */
	inode->i_private = &rpc_internal_files;
	atomic_inc(&rpc_internal_files);
	file = alloc_file_pseudo(inode, rpc_internal_mnt, name, O_RDWR, inode->i_fop);
	mutex_unlock(&rpc_internal_lock);
	if (IS_ERR(file))
		iput(inode);
	return file;
}
EXPORT_SYMBOL_GPL(rpc_file_setup);

struct folio *rpc_read_folio_gfp(struct address_space *mapping, pgoff_t index, gfp_t gfp)
{
	if (mapping->a_ops != &rpc_file_aops)
		return ERR_PTR(-EINVAL);
	/* gfp_zone() BUGs on these: refuse them before anything allocates. */
	if ((gfp & (__GFP_DMA | __GFP_DMA32)) == (__GFP_DMA | __GFP_DMA32) ||
	    ((gfp & __GFP_HIGHMEM) && (gfp & (__GFP_DMA | __GFP_DMA32))))
		return ERR_PTR(-EINVAL);
	return rpc_api_read_folio_gfp(mapping->host, index, gfp);
}
EXPORT_SYMBOL_GPL(rpc_read_folio_gfp);
