/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C half of rust_pagecache: what Rust cannot express or reach through
 * kernel::bindings -- static inlines, macros (fsparam_*, invalfc,
 * kmem_cache_create) and the opaque fs_context types. Everything here is
 * glue; every decision is taken by the Rust code it calls back into.
 * Rust declares these functions once, in glue/ffi.rs.
 */
#ifndef RUST_PAGECACHE_HELPERS_H
#define RUST_PAGECACHE_HELPERS_H

#include <linux/fs.h>
#include <linux/fs_context.h>

struct folio;

/* Parameter numbers passed to rpc_fc_param() (Rust: options::Param). */
enum rpc_param { RPC_OPT_SIZE, RPC_OPT_NR_INODES, RPC_OPT_MODE, RPC_OPT_UID, RPC_OPT_GID,
		 RPC_OPT_SWAP, RPC_OPT_NOSWAP, RPC_OPT_GFP, RPC_OPT_INODE32, RPC_OPT_INODE64 };

extern struct file_system_type rpc_fs_type;

/* Implemented in Rust (fs/fs_context.rs, fs/super_block.rs). */
void *rpc_fc_alloc(void);
void rpc_fc_free(void *ctx);
int rpc_fc_param(void *ctx, unsigned int opt, const char *string, u32 num);
int rpc_fill_super(struct super_block *sb, struct fs_context *fc);
int rpc_reconfigure(struct super_block *sb, void *ctx, const char **msg);
void rpc_kill_sb(struct super_block *sb);
int rpc_write_begin(const struct kiocb *iocb, struct address_space *mapping,
		    loff_t pos, unsigned int len, struct folio **foliop,
		    void **fsdata);
void rpc_is_dirty_writeback(struct folio *folio, bool *dirty, bool *writeback);
bool rpc_release_folio(struct folio *folio, gfp_t gfp);
void rpc_invalidate_folio(struct folio *folio, size_t offset, size_t len);
int rpc_error_remove_folio(struct address_space *mapping, struct folio *folio);
int rpc_read_folio(struct file *file, struct folio *folio);
int rpc_api_new_inode(struct dentry *root, loff_t size, struct inode **inodep);
struct folio *rpc_api_read_folio_gfp(struct inode *inode, pgoff_t index, gfp_t gfp);

/* Called from Rust (declared again in glue/ffi.rs). */
struct kstatfs;
struct seq_file;
void *rpc_fc_private(struct fs_context *fc);
unsigned long rpc_totalram_pages(void);
void rpc_sb_set_nosec(struct super_block *sb);
void rpc_statfs_fill(struct kstatfs *buf, long magic, u64 blocks, u64 bfree,
		     u64 files, u64 ffree);
u32 rpc_uid_munged(u32 kuid);
u32 rpc_gid_munged(u32 kgid);
u32 rpc_current_fsuid(void);
u32 rpc_current_fsgid(void);
struct kmem_cache *rpc_inode_cache_create(size_t size, size_t align);
void *rpc_inode_cache_alloc(struct kmem_cache *cache, struct super_block *sb);
void rpc_mapping_init(struct address_space *mapping, bool regular, bool dma32);
bool rpc_has_zone_dma32(void);
const struct address_space_operations *rpc_file_aops_ptr(void);
const struct address_space_operations *rpc_aops(void);
void rpc_helpers_init(void);
loff_t rpc_i_size_read(const struct inode *inode);
void rpc_i_size_write(struct inode *inode, loff_t size);
void rpc_dir_touch(struct inode *dir);
int rpc_security_init(struct inode *inode, struct inode *dir, struct dentry *dentry);
struct xattr_handler;
struct posix_acl;
void rpc_sb_set_export_ops(struct super_block *sb);
void rpc_sb_set_xattr(struct super_block *sb, const struct xattr_handler *const *handlers);
void rpc_cache_no_acl(struct inode *inode);
int rpc_acl_create(struct inode *dir, struct inode *inode);
int rpc_set_acl(struct mnt_idmap *idmap, struct dentry *dentry, struct posix_acl *acl, int type);
int rpc_acl_chmod(struct mnt_idmap *idmap, struct dentry *dentry);
ssize_t rpc_xattr_list_system(struct inode *inode, char *buffer, size_t size);
bool rpc_xattr_is_maclabel(const char *name);
bool rpc_capable_trusted(void);
void rpc_inode_ctime_version(struct inode *inode);
struct file_kattr;
void rpc_fileattr_fill(struct file_kattr *fa, u32 flags);
bool rpc_fileattr_has_fsx(const struct file_kattr *fa);
u32 rpc_fileattr_flags(const struct file_kattr *fa);
/* fs/xattr.rs */
int rpc_xattr_set_new(struct inode *inode, const char *name, const void *value, size_t len);
int rpc_tmpfile_open(struct file *file, struct inode *inode);
int rpc_symlink_inline(struct inode *inode, const char *target, size_t len);
void rpc_inode_free_link(struct inode *inode);
void rpc_inode_set_ops(struct inode *inode, const struct inode_operations *iop,
		       const struct file_operations *fop);
unsigned int rpc_inode_nlink(const struct inode *inode);

void rpc_inode_lock_blocks(struct inode *inode);
void rpc_inode_unlock_blocks(struct inode *inode);
void rpc_inode_lock(struct inode *inode);
bool rpc_inode_trylock(struct inode *inode);
void rpc_inode_unlock(struct inode *inode);
void rpc_invalidate_lock(struct address_space *mapping, bool exclusive);
void rpc_invalidate_unlock(struct address_space *mapping, bool exclusive);
bool rpc_fatal_signal_pending(void);
void rpc_cond_resched(void);
void rpc_file_accessed(struct file *file);
int rpc_file_open(struct inode *inode, struct file *file);
int rpc_file_setlease(struct file *file, int arg, struct file_lease **flp, void **priv);

struct folio;
struct iov_iter;
struct kiocb;
struct vm_fault;
struct xa_state;
bool rpc_iocb_nowait(const struct kiocb *iocb);
pgoff_t rpc_vmf_pgoff(const struct vm_fault *vmf);
struct file *rpc_vmf_file(const struct vm_fault *vmf);
gfp_t rpc_mapping_gfp(struct address_space *mapping);
struct folio *rpc_folio_alloc(gfp_t gfp, unsigned int order);
bool rpc_folio_try_get(struct folio *folio);
void rpc_folio_put(struct folio *folio);
void rpc_folio_put_refs(struct folio *folio, int refs);
bool rpc_folio_ref_freeze(struct folio *folio, int count);
void rpc_folio_ref_unfreeze(struct folio *folio, int count);
void rpc_folio_lock(struct folio *folio);
int rpc_folio_lock_killable(struct folio *folio);
void rpc_folio_get(struct folio *folio);
bool rpc_folio_test_uptodate(const struct folio *folio);
bool rpc_folio_test_dirty(const struct folio *folio);
void rpc_folio_mark_uptodate(struct folio *folio);
bool rpc_folio_mapped(const struct folio *folio);
long rpc_folio_nr_pages(const struct folio *folio);
void rpc_folio_zero_segment(struct folio *folio, size_t start, size_t end);
void rpc_flush_dcache_folio(struct folio *folio);
void rpc_folio_attach_marker(struct folio *folio, unsigned long marker);
void rpc_folio_detach_marker(struct folio *folio);
bool rpc_folio_test_private(const struct folio *folio);
void rpc_folio_cancel_dirty(struct folio *folio);
struct page *rpc_folio_file_page(struct folio *folio, pgoff_t index);
void rpc_folio_detach(struct address_space *mapping, struct folio *folio);
void rpc_folio_set_readahead(struct folio *folio);
bool rpc_folio_test_clear_readahead(struct folio *folio);
void rpc_xa_lock_irq(struct xarray *xa);
void rpc_xa_unlock_irq(struct xarray *xa);
void *rpc_xas_reload(struct xa_state *xas);
bool rpc_xa_encodings_match(unsigned long retry, unsigned long zero,
			    unsigned long restart, unsigned long chunk);

struct dentry;


/* own swap (glue/block.rs, glue/reclaim.rs, swap/) */
struct list_lru;
struct shrinker;
struct shrink_control;
struct mem_cgroup;
struct rpc_swap_track;
struct file *rpc_bdev_open(const char *path, void *holder, int *err);
void rpc_bdev_close(struct file *f);
u64 rpc_bdev_nr_bytes(struct file *f);
bool rpc_bdev_read_only(struct file *f);
unsigned int rpc_bdev_logical_block_size(struct file *f);
int rpc_bdev_rw_folios(struct file *f, u64 sector, struct folio **folios,
		       unsigned int nr, bool write);
void rpc_folio_copy_out(struct folio *folio, void *buf, size_t len);
void rpc_swapidx_init(struct xarray *xa);
void rpc_swapidx_destroy(struct xarray *xa);
u64 rpc_swapidx_load(struct xarray *xa, pgoff_t index);
int rpc_swapidx_store(struct xarray *xa, pgoff_t index, u64 slot, gfp_t gfp);
bool rpc_swapidx_take(struct xarray *xa, pgoff_t index, u64 slot);
bool rpc_swapidx_replace(struct xarray *xa, pgoff_t index, u64 old, u64 new);
u64 rpc_swapidx_find(struct xarray *xa, pgoff_t *index, pgoff_t last);
int rpc_track_cache_create(void);
void rpc_track_cache_destroy(void);
struct rpc_swap_track *rpc_track_add(struct list_lru *lru, struct inode *inode);
void rpc_track_del(struct list_lru *lru, struct rpc_swap_track *t);
void *rpc_current_memcg_key(void);
void *rpc_folio_memcg_key(struct folio *folio);
struct mem_cgroup *rpc_folio_memcg_get(struct folio *folio);
void rpc_memcg_get(struct mem_cgroup *memcg);
void rpc_memcg_put(struct mem_cgroup *memcg);
bool rpc_memcg_scope_begin(struct mem_cgroup *memcg, struct mem_cgroup **old);
void rpc_memcg_scope_end(struct mem_cgroup *memcg, struct mem_cgroup *old);
struct rpc_swap_track *rpc_track_add_like(struct list_lru *lru, struct inode *inode,
					  struct folio *folio);
unsigned long rpc_lru_count_pages(struct list_lru *lru, int nid,
				  struct mem_cgroup *memcg, unsigned long max);
unsigned int rpc_lru_collect(struct list_lru *lru, int nid, struct mem_cgroup *memcg,
			     struct inode **out, unsigned int max, unsigned long walk);
int rpc_list_lru_init(struct list_lru *lru, struct shrinker *shrinker);
void rpc_list_lru_destroy(struct list_lru *lru);
struct shrinker *rpc_shrinker_new(const char *name);
void rpc_shrinker_start(struct shrinker *s, void *private,
			unsigned long (*count)(struct shrinker *, struct shrink_control *),
			unsigned long (*scan)(struct shrinker *, struct shrink_control *));
void rpc_account_reclaimed(unsigned long pages);
unsigned long rpc_reclaim_freed_so_far(void);
unsigned long rpc_memcg_margin(struct mem_cgroup *memcg);
void *rpc_shrinker_private(struct shrinker *s);
bool rpc_gfp_allows_io(gfp_t gfp);
unsigned long rpc_memcg_unevictable_pages(struct mem_cgroup *memcg, int nid);
bool rpc_folio_in_scope(struct folio *folio, int nid, struct mem_cgroup *memcg);
bool rpc_folio_test_clear_referenced(struct folio *folio);
bool rpc_folio_trylock(struct folio *folio);
bool rpc_folio_test_writeback(const struct folio *folio);
int rpc_folio_ref_count(const struct folio *folio);
bool rpc_invalidate_trylock_shared(struct address_space *mapping);
int rpc_sb_for_each_regular(struct super_block *sb, int (*fn)(void *, struct inode *),
			    void *arg);
void rpc_fc_log_error(struct fs_context *fc, const char *msg);
gfp_t rpc_gfp_mayfail(void);

/* The internal mount of rpc_file_setup(). */
void rpc_evicted(struct inode *inode);
void rpc_internal_exit(void);

/* Zones and replacement (cache/replace.rs). */
int rpc_folio_zonenum(const struct folio *folio);
int rpc_gfp_zone(gfp_t gfp);
gfp_t rpc_gfp_unconstrained(gfp_t gfp);
bool rpc_folio_maybe_dma_pinned(struct folio *folio);
void rpc_folio_copy_new(struct folio *new, struct folio *old);
void rpc_replace_folio(struct folio *old, struct folio *new);

#endif
