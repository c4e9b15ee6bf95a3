/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_pagecache's in-kernel API: files for drivers, the module's
 * counterpart of shmem_file_setup_with_mnt() and shmem_read_folio_gfp().
 *
 * A driver that needs memory a device can reach (seed 003: GMA500's GEM
 * objects, which must sit below 4 GiB) mounts an instance of its own,
 * with the mount's swap if it wants its objects to be swappable:
 *
 *	struct file_system_type *type = get_fs_type("rust_pagecache");
 *	char opts[] = "size=256m,swap=/dev/vdb";
 *	struct vfsmount *mnt = vfs_kern_mount(type, SB_KERNMOUNT,
 *					      "rust_pagecache", opts);
 *	struct file *obj = rpc_file_setup_with_mnt(mnt, "gem", size, 0);
 *	mapping_set_gfp_mask(obj->f_mapping, GFP_KERNEL | __GFP_DMA32);
 *	folio = rpc_read_folio_gfp(obj->f_mapping, index,
 *				   mapping_gfp_mask(obj->f_mapping));
 *	... use folio_page(folio, 0), folio_mark_dirty() after writing ...
 *	folio_put(folio);
 *	fput(obj);
 *
 * (or mount with -o gfp=dma32, which gives every file of the mount that
 * mapping gfp from the start). The symbols are EXPORT_SYMBOL_GPL.
 */
#ifndef RUST_PAGECACHE_H
#define RUST_PAGECACHE_H

#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pagemap.h>

/*
 * An unlinked regular file of size bytes on the module's internal mount
 * (shmem_file_setup()): made when the first such file is, unmounted when
 * the last is gone (a mount kept longer would keep the module from being
 * unloaded). That mount has no swap area and the default size= (half of RAM); a driver that
 * wants its objects swappable or limited mounts an instance of its own
 * and uses rpc_file_setup_with_mnt(). Errors as below.
 */
struct file *rpc_file_setup(const char *name, loff_t size, unsigned long flags);

/*
 * An unlinked regular file of size bytes on mnt, a mount of rust_pagecache
 * (shmem_file_setup_with_mnt()): its pages count against the mount's
 * size= and nr_inodes=, go to the mount's swap (if it has one) under
 * memory pressure, and are freed with the file's last reference (fput).
 * flags: 0 or VM_NORESERVE (accepted for shmem compatibility; the mount's
 * size= is the only reservation). ERR_PTR(-EINVAL) if mnt is not a
 * rust_pagecache mount or size is out of range, -ENOSPC past nr_inodes=,
 * -ENOMEM.
 */
struct file *rpc_file_setup_with_mnt(struct vfsmount *mnt, const char *name, loff_t size,
				     unsigned long flags);

/*
 * Page index of the file mapping belongs to, as a folio the caller holds a
 * reference on (unlocked, up to date; folio_put() when done), allocated
 * with gfp if it has to be: a hole is filled with zeros, a page in swap is
 * read back (shmem_read_folio_gfp()). The folio always satisfies gfp's
 * zone: a folio found in a higher zone (read in by another path with a
 * laxer gfp, or cached before the mapping's gfp was narrowed) is replaced
 * by a copy in an allowed zone first, as shmem_replace_folio() does.
 * Errors: -EINVAL (not a rust_pagecache file, index at or past EOF, a gfp
 * naming two zones), -ENOSPC (size=), -ENOMEM (nothing is lost: the page
 * stays where it was), -EIO (the swap device failed, or the page is
 * poisoned), -EBUSY (the folio to replace is pinned for DMA), -EINTR.
 */
struct folio *rpc_read_folio_gfp(struct address_space *mapping, pgoff_t index, gfp_t gfp);

#endif /* RUST_PAGECACHE_H */
