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
void *rpc_fc_alloc(int reconfigure);
void rpc_fc_free(void *ctx);
int rpc_fc_param(void *ctx, unsigned int opt, const char *string, u32 num);
int rpc_fill_super(struct super_block *sb, struct fs_context *fc);
const char *rpc_reconfigure(struct super_block *sb, void *ctx);
void rpc_kill_sb(struct super_block *sb);
int rpc_write_begin(const struct kiocb *iocb, struct address_space *mapping,
		    loff_t pos, unsigned int len, struct folio **foliop,
		    void **fsdata);

#endif
