/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C half of rust_pagecache: what Rust cannot express or reach through
 * kernel::bindings -- static inlines, macros (fsparam_*, invalfc,
 * kmem_cache_create) and the opaque fs_context types. Everything here is
 * glue; every decision is taken by the Rust code it calls back into.
 * Rust declares these functions once, in src/ffi.rs.
 */
#ifndef RUST_PAGECACHE_HELPERS_H
#define RUST_PAGECACHE_HELPERS_H

#include <linux/fs.h>
#include <linux/fs_context.h>

/* Parameter numbers passed to rpc_fc_param() (Rust: options::Param). */
enum rpc_param { RPC_OPT_SIZE, RPC_OPT_NR_INODES, RPC_OPT_MODE, RPC_OPT_UID, RPC_OPT_GID };

extern struct file_system_type rpc_fs_type;

/* Implemented in Rust (src/fs_context.rs, src/super_block.rs). */
void *rpc_fc_alloc(void);
void rpc_fc_free(void *ctx);
int rpc_fc_param(void *ctx, unsigned int opt, const char *string, u32 num);
int rpc_fill_super(struct super_block *sb, struct fs_context *fc);
const char *rpc_reconfigure(struct super_block *sb, void *ctx);
void rpc_kill_sb(struct super_block *sb);
int rpc_write_begin(const struct kiocb *iocb, struct address_space *mapping,
		    loff_t pos, unsigned int len, struct folio **foliop,
		    void **fsdata);

/* Called from Rust (declared again in src/ffi.rs). */
struct kstatfs;
struct seq_file;
void *rpc_fc_private(struct fs_context *fc);
unsigned long rpc_totalram_pages(void);
void rpc_statfs_fill(struct kstatfs *buf, long magic, u64 blocks, u64 bfree,
		     u64 files, u64 ffree);
u32 rpc_uid_munged(u32 kuid);
u32 rpc_gid_munged(u32 kgid);
void rpc_seq_puts_u64(struct seq_file *m, const char *fmt, u64 value);
struct kmem_cache *rpc_inode_cache_create(size_t size, size_t align);
void *rpc_inode_cache_alloc(struct kmem_cache *cache, struct super_block *sb);
void rpc_mapping_init(struct address_space *mapping);
const struct address_space_operations *rpc_aops(void);
void rpc_helpers_init(void);
loff_t rpc_i_size_read(const struct inode *inode);
void rpc_i_size_write(struct inode *inode, loff_t size);
void rpc_dir_touch(struct inode *dir);
int rpc_security_init(struct inode *inode, struct inode *dir, struct dentry *dentry);
int rpc_symlink_inline(struct inode *inode, const char *target, size_t len);
void rpc_inode_free_link(struct inode *inode);
void rpc_inode_set_ops(struct inode *inode, const struct inode_operations *iop,
		       const struct file_operations *fop);
unsigned int rpc_inode_nlink(const struct inode *inode);

#endif
