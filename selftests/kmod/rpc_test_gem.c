// SPDX-License-Identifier: GPL-2.0
/*
 * rpc_test_gem: plays the driver of seed 003 (GMA500's GEM objects, whose
 * pages a 32-bit device must reach) for the rust_pagecache selftests,
 * through the module's exported API (include/rust_pagecache.h).
 *
 * /sys/kernel/debug/rpc_test_gem/cmd takes one command per write; reading
 * it gives the last result, "ok ..." or "err ERRNO [INDEX]":
 *   setup MNT SIZE     an object of SIZE bytes on the rust_pagecache mount
 *                      at MNT (rpc_file_setup_with_mnt()); "ok"
 *   internal SIZE      an object on the module's internal mount
 *                      (rpc_file_setup()); "ok"
 *   open PATH          the regular file at PATH as the object instead
 *   mask dma32|default the object's mapping gfp: GFP_KERNEL | __GFP_DMA32
 *                      (the seed's driver), or GFP_HIGHUSER_MOVABLE
 *   write SEED         every page through rpc_read_folio_gfp(mapping gfp),
 *                      filled with the selftests' pattern; "ok PAGES"
 *   check SEED GFP     every page through rpc_read_folio_gfp(GFP: dma32 or
 *                      mapping), checked against the pattern;
 *                      "ok PAGES BELOW_4G ABOVE_4G" or "err ERRNO INDEX"
 *                      (EBADMSG: a byte off the pattern, ERANGE: a folio in
 *                      a zone GFP forbids)
 *   release            fput() of the object; "ok"
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "rust_pagecache.h"

static struct dentry *gem_dir;
static DEFINE_MUTEX(gem_lock);
static struct file *gem_obj;
static char gem_result[96] = "none\n";

#define GEM_DMA32 (GFP_KERNEL | __GFP_DMA32)

/* selftests/rpc_util.h's rpc_pattern_byte(). */
static u8 gem_pattern_byte(u32 seed, u64 off)
{
	u64 x = off * 0x9E3779B97F4A7C15ULL + seed * 0xBF58476D1CE4E5B9ULL + seed;

	x ^= x >> 31;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 29;
	return (u8)x;
}

static pgoff_t gem_pages(void)
{
	return DIV_ROUND_UP(i_size_read(file_inode(gem_obj)), PAGE_SIZE);
}

static void gem_setup(const char *mnt, u64 size)
{
	struct path path;
	struct file *f;
	int err = kern_path(mnt, LOOKUP_FOLLOW, &path);

	if (err) {
		snprintf(gem_result, sizeof(gem_result), "err %d\n", -err);
		return;
	}
	f = rpc_file_setup_with_mnt(path.mnt, "rpc_test_gem", size, 0);
	path_put(&path);
	if (IS_ERR(f)) {
		snprintf(gem_result, sizeof(gem_result), "err %ld\n", -PTR_ERR(f));
		return;
	}
	gem_obj = f;
	snprintf(gem_result, sizeof(gem_result), "ok\n");
}

static void gem_internal(u64 size)
{
	struct file *f = rpc_file_setup("rpc_test_gem", size, 0);

	if (IS_ERR(f)) {
		snprintf(gem_result, sizeof(gem_result), "err %ld\n", -PTR_ERR(f));
		return;
	}
	gem_obj = f;
	snprintf(gem_result, sizeof(gem_result), "ok\n");
}

static void gem_open(const char *p)
{
	struct file *f = filp_open(p, O_RDWR | O_LARGEFILE, 0);

	if (IS_ERR(f)) {
		snprintf(gem_result, sizeof(gem_result), "err %ld\n", -PTR_ERR(f));
		return;
	}
	gem_obj = f;
	snprintf(gem_result, sizeof(gem_result), "ok\n");
}

/* Every page: fill (write) or check against the pattern, counting zones. */
static void gem_walk(u32 seed, bool write, gfp_t gfp)
{
	struct address_space *mapping = gem_obj->f_mapping;
	unsigned long below = 0, above = 0;
	pgoff_t i, n = gem_pages();

	for (i = 0; i < n; i++) {
		struct folio *folio = rpc_read_folio_gfp(mapping, i, gfp ? gfp : mapping_gfp_mask(mapping));
		bool high, bad = false;
		u8 *p;
		size_t b;

		if (IS_ERR(folio)) {
			snprintf(gem_result, sizeof(gem_result), "err %ld %lu\n", -PTR_ERR(folio), i);
			return;
		}
		high = PFN_PHYS(folio_pfn(folio)) >= SZ_4G;
		p = kmap_local_folio(folio, 0);
		for (b = 0; b < PAGE_SIZE; b++) {
			u8 want = gem_pattern_byte(seed, ((u64)i << PAGE_SHIFT) + b);

			if (write)
				p[b] = want;
			else if (p[b] != want)
				bad = true;
		}
		kunmap_local(p);
		if (write) {
			flush_dcache_folio(folio);
			folio_mark_dirty(folio);
		}
		/* What the device needs: a zone gfp allows (checked by the API). */
		if (gfp && folio_zonenum(folio) > gfp_zone(gfp)) {
			folio_put(folio);
			snprintf(gem_result, sizeof(gem_result), "err %d %lu\n", ERANGE, i);
			return;
		}
		folio_put(folio);
		if (bad) {
			snprintf(gem_result, sizeof(gem_result), "err %d %lu\n", EBADMSG, i);
			return;
		}
		if (high)
			above++;
		else
			below++;
		cond_resched();
	}
	snprintf(gem_result, sizeof(gem_result), "ok %lu %lu %lu\n", (unsigned long)n, below, above);
}

static void gem_command(char *buf)
{
	char *cmd = strsep(&buf, " "), *arg = strsep(&buf, " "), *arg2 = buf;
	u64 num;

	snprintf(gem_result, sizeof(gem_result), "err %d\n", EINVAL);
	if (!strcmp(cmd, "release")) {
		if (gem_obj)
			fput(gem_obj);
		gem_obj = NULL;
		snprintf(gem_result, sizeof(gem_result), "ok\n");
		return;
	}
	if (!arg)
		return;
	if (!strcmp(cmd, "setup") || !strcmp(cmd, "open") || !strcmp(cmd, "internal")) {
		if (gem_obj)
			return;
		if (cmd[0] == 'o')
			gem_open(arg);
		else if (cmd[0] == 'i' && !kstrtou64(arg, 0, &num))
			gem_internal(num);
		else if (arg2 && !kstrtou64(arg2, 0, &num))
			gem_setup(arg, num);
		return;
	}
	if (!gem_obj)
		return;
	if (!strcmp(cmd, "mask")) {
		if (!strcmp(arg, "dma32"))
			mapping_set_gfp_mask(gem_obj->f_mapping, GEM_DMA32);
		else if (!strcmp(arg, "default"))
			mapping_set_gfp_mask(gem_obj->f_mapping, GFP_HIGHUSER_MOVABLE);
		else
			return;
		snprintf(gem_result, sizeof(gem_result), "ok\n");
		return;
	}
	if (kstrtou64(arg, 0, &num))
		return;
	if (!strcmp(cmd, "write"))
		gem_walk(num, true, 0);
	else if (!strcmp(cmd, "check") && arg2 && !strcmp(arg2, "dma32"))
		gem_walk(num, false, GEM_DMA32);
	else if (!strcmp(cmd, "check") && arg2 && !strcmp(arg2, "mapping"))
		gem_walk(num, false, 0);
}

static ssize_t gem_cmd_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char *buf;

	if (len == 0 || len > PATH_MAX + 32)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&gem_lock);
	gem_command(strim(buf));
	mutex_unlock(&gem_lock);
	kfree(buf);
	return len;
}

static ssize_t gem_cmd_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
	ssize_t r;

	mutex_lock(&gem_lock);
	r = simple_read_from_buffer(ubuf, len, ppos, gem_result, strlen(gem_result));
	mutex_unlock(&gem_lock);
	return r;
}

static const struct file_operations gem_cmd_fops = {
	.owner = THIS_MODULE,
	.write = gem_cmd_write,
	.read = gem_cmd_read,
	.llseek = default_llseek,
};

static int __init gem_init(void)
{
	gem_dir = debugfs_create_dir("rpc_test_gem", NULL);
	debugfs_create_file("cmd", 0600, gem_dir, NULL, &gem_cmd_fops);
	return 0;
}

static void __exit gem_exit(void)
{
	debugfs_remove_recursive(gem_dir);
	if (gem_obj)
		fput(gem_obj);
}

module_init(gem_init);
module_exit(gem_exit);
MODULE_DESCRIPTION("GEM-like test driver for rust_pagecache's in-kernel API (seed 003)");
MODULE_LICENSE("GPL");
