// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rust_pagecache. See helpers.h for why this file exists; keep it
 * free of policy: parsing, accounting and every filesystem decision live in
 * the Rust files named beside each function.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs_parser.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/uidgid.h>

#include "helpers.h"

/* ---- fs_context (fs/fs_context.rs) ------------------------------------ */

/*
 * uid/gid/mode use the VFS's own typed parsers, so "uid=" means exactly what
 * it means for tmpfs (mapped through the caller's user namespace); size and
 * nr_inodes are strings parsed by options.rs.
 */
static const struct fs_parameter_spec rpc_fs_parameters[] = {
	fsparam_gid("gid", RPC_OPT_GID),
	fsparam_u32oct("mode", RPC_OPT_MODE),
	fsparam_string("nr_inodes", RPC_OPT_NR_INODES),
	fsparam_string("size", RPC_OPT_SIZE),
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
	const char *err = rpc_reconfigure(fc->root->d_sb, fc->fs_private);

	return err ? invalfc(fc, "%s", err) : 0;
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

/* ---- inodes (fs/inode.rs) --------------------------------------------- */

static void rpc_inode_ctor(void *obj)
{
	/* struct RpcInode has its struct inode first (checked in inode.rs). */
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
void rpc_mapping_init(struct address_space *mapping, bool regular)
{
	mapping_set_gfp_mask(mapping, regular ? GFP_HIGHUSER_MOVABLE : GFP_HIGHUSER);
	mapping_set_unevictable(mapping);
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

int rpc_security_init(struct inode *inode, struct inode *dir, struct dentry *dentry)
{
	return security_inode_init_security(inode, dir, &dentry->d_name, NULL, NULL);
}

/* Short symlinks live in kmalloc'ed memory, as tmpfs keeps them. */
int rpc_symlink_inline(struct inode *inode, const char *target, size_t len)
{
	inode->i_link = kmemdup(target, len, GFP_KERNEL);
	if (!inode->i_link)
		return -ENOMEM;
	inode->i_op = &simple_symlink_inode_operations;
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

/* ---- statistics in debugfs (cache/stats.rs) ------------------------------ */

static struct dentry *rpc_debugfs_root;

static int rpc_stats_show(struct seq_file *m, void *v)
{
	rpc_stats_print(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rpc_stats);

void rpc_debugfs_init(void)
{
	rpc_debugfs_root = debugfs_create_dir("rust_pagecache", NULL);
}

void rpc_debugfs_exit(void)
{
	debugfs_remove(rpc_debugfs_root);
}

/* <debugfs>/rust_pagecache/<major>:<minor>/{stats,remove_delay_us,fault_delay_us} */
struct dentry *rpc_debugfs_sb_add(struct super_block *sb, const void *stats,
				  u32 *remove_delay_us, u32 *fault_delay_us)
{
	char name[32];
	struct dentry *dir;

	snprintf(name, sizeof(name), "%u:%u", MAJOR(sb->s_dev), MINOR(sb->s_dev));
	dir = debugfs_create_dir(name, rpc_debugfs_root);
	debugfs_create_file("stats", 0444, dir, (void *)stats, &rpc_stats_fops);
	debugfs_create_u32("remove_delay_us", 0644, dir, remove_delay_us);
	debugfs_create_u32("fault_delay_us", 0644, dir, fault_delay_us);
	return dir;
}

void rpc_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
}

void rpc_udelay(unsigned int us)
{
	udelay(us);
}

void rpc_fsleep(unsigned int us)
{
	fsleep(us);
}
