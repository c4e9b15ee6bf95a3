// SPDX-License-Identifier: GPL-2.0
/*
 * rpc_test_driver: plays a kernel user of a file's page cache for the
 * rust_pagecache selftests. It depends on nothing of rust_pagecache's: it
 * uses the kernel's own interfaces the way uprobes and drivers do.
 *
 * /sys/kernel/debug/rpc_test_driver/read_mapping_folio
 *   write "PATH INDEX": read page INDEX of PATH with read_mapping_folio();
 *   read back: "ok UPTODATE FNV1A\n" (the 64-bit FNV-1a hash of the page, as
 *   selftests/rpc_util.h computes it) or "err ERRNO\n".
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct dentry *rtd_dir;
static DEFINE_MUTEX(rtd_lock);
static char rtd_result[64] = "none\n";

static u64 rtd_fnv1a(const u8 *b, size_t len)
{
	u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void rtd_read_mapping_folio(const char *path, pgoff_t index)
{
	struct folio *folio;
	struct file *file;
	void *p;
	u64 h;

	file = filp_open(path, O_RDONLY | O_LARGEFILE, 0);
	if (IS_ERR(file)) {
		snprintf(rtd_result, sizeof(rtd_result), "err %ld\n", -PTR_ERR(file));
		return;
	}
	folio = read_mapping_folio(file->f_mapping, index, file);
	if (IS_ERR(folio)) {
		snprintf(rtd_result, sizeof(rtd_result), "err %ld\n", -PTR_ERR(folio));
	} else {
		p = kmap_local_folio(folio, offset_in_folio(folio, (loff_t)index << PAGE_SHIFT));
		h = rtd_fnv1a(p, PAGE_SIZE);
		kunmap_local(p);
		snprintf(rtd_result, sizeof(rtd_result), "ok %d %016llx\n",
			 folio_test_uptodate(folio), h);
		folio_put(folio);
	}
	fput(file);
}

static ssize_t rtd_rmf_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	unsigned long index;
	char *buf, *sp;
	int err;

	if (len == 0 || len > PATH_MAX + 32)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	strim(buf);
	sp = strrchr(buf, ' ');
	err = -EINVAL;
	if (sp) {
		*sp = '\0';
		err = kstrtoul(sp + 1, 0, &index);
	}
	if (!err) {
		mutex_lock(&rtd_lock);
		rtd_read_mapping_folio(buf, index);
		mutex_unlock(&rtd_lock);
	}
	kfree(buf);
	return err ? err : len;
}

static ssize_t rtd_rmf_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
	ssize_t r;

	mutex_lock(&rtd_lock);
	r = simple_read_from_buffer(ubuf, len, ppos, rtd_result, strlen(rtd_result));
	mutex_unlock(&rtd_lock);
	return r;
}

static const struct file_operations rtd_rmf_fops = {
	.owner = THIS_MODULE,
	.write = rtd_rmf_write,
	.read = rtd_rmf_read,
	.llseek = default_llseek,
};

static int __init rtd_init(void)
{
	rtd_dir = debugfs_create_dir("rpc_test_driver", NULL);
	debugfs_create_file("read_mapping_folio", 0600, rtd_dir, NULL, &rtd_rmf_fops);
	return 0;
}

static void __exit rtd_exit(void)
{
	debugfs_remove_recursive(rtd_dir);
}

module_init(rtd_init);
module_exit(rtd_exit);
MODULE_DESCRIPTION("Test driver for the rust_pagecache selftests");
MODULE_LICENSE("GPL");
