// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rust_pagecache. See helpers.h for why this file exists; keep it
 * free of policy: parsing, accounting and every filesystem decision live in
 * the Rust files named beside each function.
 */
#include <linux/fs_parser.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/uidgid.h>

#include "helpers.h"

/* ---- fs_context (src/fs_context.rs) ------------------------------------ */

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

/* Registered by src/rust_pagecache.rs. Static: it carries lockdep keys. */
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

/* ---- super block (src/super_block.rs) ---------------------------------- */

unsigned long rpc_totalram_pages(void)
{
	return totalram_pages();
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

void rpc_seq_puts_u64(struct seq_file *m, const char *fmt, u64 value)
{
	seq_printf(m, fmt, value);
}

/* ---- inodes (src/inode.rs) --------------------------------------------- */

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
 * A mapping of this filesystem, until it has a page cache of its own (the
 * next issue): generic page cache folios, kept off reclaim's evictable LRU
 * because nothing can write them anywhere.
 */
void rpc_mapping_init(struct address_space *mapping)
{
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER);
	mapping_set_unevictable(mapping);
}

/* ram_aops with write_begin replaced by rpc_write_begin (block accounting). */
static struct address_space_operations rpc_aops_storage __ro_after_init;

const struct address_space_operations *rpc_aops(void)
{
	return &rpc_aops_storage;
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
