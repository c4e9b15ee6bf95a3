// SPDX-License-Identifier: GPL-2.0
/*
 * gfp=dma32 (seed 003): every page of a restricted mount's files sits below
 * 4 GiB, where a device that addresses 32 bits can reach it: after write,
 * after a fault fills a hole, after swap-in by read (and the read-around
 * that comes with it), by fault, and after swapoff. A control mount without
 * the option shows pages above 4 GiB in the same VM, so the census can
 * tell. Also the option itself: shown in /proc/mounts, bad values refused,
 * not changeable by remount.
 *
 * The driver's side (seed 003's own case): rpc_test_gem (selftests/kmod)
 * plays a GEM driver through the exported API, rpc_file_setup_with_mnt()
 * and rpc_read_folio_gfp() with GFP_KERNEL | __GFP_DMA32: a folio that a
 * laxer path brought in above 4 GiB (a write or swap-in under the default
 * mapping gfp, a page user space has mapped) is replaced by a copy below
 * before the driver sees it, and the data stays exact. Readers without a
 * lock and a faulting mapping see only the data meanwhile; a truncate or
 * punch that starts while a replacement holds its folio (debugfs
 * replace_delay_us) waits for it and removes the copy too.
 *
 * Physical addresses come from /proc/self/pagemap (root only: PFNs are
 * hidden from others). The VM needs RAM above 4 GiB (scripts/vm.sh: 3 GiB
 * on q35 gives 2 GiB below and 1 GiB above); the swap device is
 * $RPC_SWAP_DEV, as for swap.c.
 */
#include "rpc_util.h"
#include "kselftest_harness.h"

#define MIB (1024UL * 1024UL)
#define FILE_SIZE (8 * MIB)
/* The first PFN at 4 GiB. */
#define PFN_4G (0x100000000ULL / (unsigned long long)rpc_page_size())

/* Pages of memory above 4 GiB the kernel manages (the Normal zone on x86-64). */
static long long normal_zone_pages(void)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	char line[256];
	bool in_normal = false;
	long long managed = -1, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			in_normal = strstr(line, "zone   Normal") != NULL;
			continue;
		}
		if (in_normal && sscanf(line, " managed %lld", &v) == 1)
			managed = managed < 0 ? v : managed + v;
	}
	fclose(f);
	return managed < 0 ? 0 : managed;
}

struct census {
	long below, above, absent;
	unsigned long long max_pfn;
	long bad_byte;	/* first byte off pattern, or -1 */
};

/*
 * Maps path, touches and checks every page (a fault brings back what is in
 * swap, an ordinary fault maps what is cached), and reads each page's PFN
 * from /proc/self/pagemap while the mapping holds it.
 */
static int take_census(const char *path, size_t len, uint32_t seed, struct census *c)
{
	long ps = rpc_page_size();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	volatile const char *m = MAP_FAILED;
	int ret = -EIO;

	memset(c, 0, sizeof(*c));
	c->bad_byte = -1;
	if (fd < 0 || pm < 0)
		goto out;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto out;
	c->bad_byte = rpc_check_pattern((const void *)m, len, seed, 0);
	for (size_t off = 0; off < len; off += ps) {
		uint64_t e;
		unsigned long long pfn;

		(void)m[off];
		if (pread(pm, &e, sizeof(e), ((uintptr_t)m + off) / ps * sizeof(e)) != sizeof(e))
			goto out;
		pfn = e & ((1ULL << 55) - 1);
		if (!(e >> 63) || !pfn) {
			c->absent++;
			continue;
		}
		if (pfn >= PFN_4G)
			c->above++;
		else
			c->below++;
		if (pfn > c->max_pfn)
			c->max_pfn = pfn;
	}
	ret = 0;
out:
	if (m != MAP_FAILED)
		munmap((void *)m, len);
	if (pm >= 0)
		close(pm);
	if (fd >= 0)
		close(fd);
	return ret;
}

#define GEM_CMD RPC_DEBUGFS "/rpc_test_gem/cmd"
static int gem(const struct rpc_memcg *cg, const char *cmd, char *res, size_t len);
static void gem_unload(void);
static int fpa_arm(bool on);

FIXTURE(dma32) {
	char dir[64];
	char dev[128];
	struct rpc_memcg cg;
	bool have_cg;
};

FIXTURE_SETUP(dma32)
{
	char why[256];
	const char *dev = rpc_swap_dev();

	self->dir[0] = '\0';
	self->dev[0] = '\0';
	self->have_cg = false;
	if (!rpc_is_module_fs())
		SKIP(return, "gfp= is rust_pagecache's own");
	if (!dev)
		SKIP(return, "no swap disk (RPC_SWAP_DEV)");
	snprintf(self->dev, sizeof(self->dev), "%s", dev);
	snprintf(why, sizeof(why), "swapoff %s 2>/dev/null", self->dev);
	rpc_run(why);
	ASSERT_EQ(0, rpc_memcg_create(&self->cg, why, sizeof(why))) TH_LOG("%s", why);
	self->have_cg = true;
	ASSERT_EQ(2, self->cg.v) TH_LOG("memory.reclaim needs cgroup v2");
	/* The census is meaningless without memory above 4 GiB. */
	ASSERT_GT(normal_zone_pages(), 16384)
		TH_LOG("no Normal zone above 4 GiB: boot the VM with >= 3 GiB on q35 (scripts/vm.sh)");
}

FIXTURE_TEARDOWN(dma32)
{
	char res[64];

	/* A failed test must not leave a fault armed or the driver holding a file. */
	fpa_arm(false);
	if (access(GEM_CMD, W_OK) == 0) {
		gem(NULL, "release", res, sizeof(res));
		gem_unload();
	}
	if (self->have_cg)
		rpc_memcg_destroy(&self->cg);
	rpc_umount(self->dir);
}

/* Each stage's census of one mount: where its pages were. */
struct stages {
	struct census write, hole, read, fault, swapoff;
	long long read_around;
};

/*
 * Mounts with opts (plus swap=), then takes a file through every path that
 * allocates its folios: write (from inside the memcg, so that memory.reclaim
 * finds the pages), a fault filling a hole of a second file, swap-in by a
 * sequential read (which reads around), swap-in by fault, swapoff. Between
 * the stages memory.reclaim pushes the file out; each stage checks that it
 * did and that the data is exact.
 */
static void run_stages(struct __test_metadata *_metadata, FIXTURE_DATA(dma32) *self,
		       const char *opts, struct stages *st)
{
	const long ps = rpc_page_size();
	const long pages = FILE_SIZE / ps;
	char o[256], f[PATH_MAX], g[PATH_MAX], msg[512];
	long long out0, ra0;
	char *m;
	int fd;

	memset(st, 0, sizeof(*st));
	ASSERT_EQ(0, rpc_mkswap(self->dev));
	snprintf(o, sizeof(o), "size=64m,swap=%s%s%s", self->dev, *opts ? "," : "", opts);
	ASSERT_EQ(0, rpc_mount_opts(self->dir, o)) TH_LOG("mount -o %s", o);
	snprintf(f, sizeof(f), "%s/f", self->dir);
	snprintf(g, sizeof(g), "%s/g", self->dir);

	/* Written by write(2). */
	ASSERT_EQ(0, rpc_memcg_write_file(&self->cg, f, FILE_SIZE, 7));
	ASSERT_EQ(0, take_census(f, FILE_SIZE, 7, &st->write));
	EXPECT_EQ(-1, st->write.bad_byte);

	/* A hole filled by a write fault. */
	fd = open(g, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 2 * MIB));
	m = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	rpc_fill_pattern(m, 2 * MIB, 9, 0);
	munmap(m, 2 * MIB);
	close(fd);
	ASSERT_EQ(0, take_census(g, 2 * MIB, 9, &st->hole));
	EXPECT_EQ(-1, st->hole.bad_byte);

	/* Out, then back by a sequential read (read-around brings most). */
	out0 = rpc_pages_out(self->dir);
	ASSERT_EQ(0, rpc_memcg_reclaim(self->cg.path, "64M"));
	EXPECT_GE(rpc_pages_out(self->dir) - out0, pages - 64);
	ra0 = rpc_stat_of(self->dir, "swap_readahead");
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(f, FILE_SIZE, 7));
	st->read_around = rpc_stat_of(self->dir, "swap_readahead") - ra0;
	ASSERT_EQ(0, take_census(f, FILE_SIZE, 7, &st->read));
	EXPECT_EQ(-1, st->read.bad_byte);

	/* Out again; back by fault (the census's own touches). */
	out0 = rpc_pages_out(self->dir);
	ASSERT_EQ(0, rpc_memcg_reclaim(self->cg.path, "64M"));
	EXPECT_GE(rpc_pages_out(self->dir) - out0, pages - 64);
	ASSERT_EQ(0, take_census(f, FILE_SIZE, 7, &st->fault));
	EXPECT_EQ(-1, st->fault.bad_byte);

	/* Out again; back by swapoff. */
	out0 = rpc_pages_out(self->dir);
	ASSERT_EQ(0, rpc_memcg_reclaim(self->cg.path, "64M"));
	EXPECT_GE(rpc_pages_out(self->dir) - out0, pages - 64);
	EXPECT_EQ(0, rpc_reconfigure(self->dir, "noswap", msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(0, rpc_stat_of(self->dir, "swap_slots_used"));
	ASSERT_EQ(0, take_census(f, FILE_SIZE, 7, &st->swapoff));
	EXPECT_EQ(-1, st->swapoff.bad_byte);
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(g, 2 * MIB, 9));

	TH_LOG("%s: pages below/above 4 GiB: write %ld/%ld, hole %ld/%ld, read %ld/%ld (%lld read around), fault %ld/%ld, swapoff %ld/%ld; highest pfn %#llx",
	       *opts ? opts : "control", st->write.below, st->write.above, st->hole.below, st->hole.above,
	       st->read.below, st->read.above, st->read_around, st->fault.below, st->fault.above,
	       st->swapoff.below, st->swapoff.above, st->write.max_pfn);
	rpc_umount(self->dir);
	self->dir[0] = '\0';
}

static void expect_all_below(struct __test_metadata *_metadata, const char *stage,
			     const struct census *c, long pages)
{
	EXPECT_EQ(0, c->above) TH_LOG("%s: %ld of %ld pages above 4 GiB", stage, c->above, pages);
	EXPECT_EQ(0, c->absent) TH_LOG("%s: %ld pages not mapped", stage, c->absent);
	EXPECT_EQ(pages, c->below) TH_LOG("%s", stage);
}

/*
 * The restricted mount's pages stay below 4 GiB on every path; the control
 * mount in the same VM has pages above (the kernel prefers the highest
 * zone), so the census could have seen them.
 */
TEST_F_TIMEOUT(dma32, every_page_of_a_dma32_mount_stays_below_4g, 600)
{
	const long pages = FILE_SIZE / rpc_page_size();
	struct stages dma, control;

	run_stages(_metadata, self, "gfp=dma32", &dma);
	expect_all_below(_metadata, "write", &dma.write, pages);
	expect_all_below(_metadata, "hole fault", &dma.hole, 2 * MIB / rpc_page_size());
	expect_all_below(_metadata, "swap-in by read", &dma.read, pages);
	expect_all_below(_metadata, "swap-in by fault", &dma.fault, pages);
	expect_all_below(_metadata, "swapoff", &dma.swapoff, pages);
	EXPECT_GT(dma.read_around, 0);

	run_stages(_metadata, self, "", &control);
	EXPECT_GT(control.write.above + control.read.above + control.fault.above + control.swapoff.above, 0)
		TH_LOG("the control mount never had a page above 4 GiB: the census cannot tell");
}

/* The option without swap: shown, refused when bad, fixed for the mount. */
TEST_F(dma32, gfp_option_is_shown_refused_when_bad_and_fixed_at_mount)
{
	char opts[512], msg[512], f[PATH_MAX];
	int r;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "gfp=dma32"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_TRUE(rpc_has_opt(opts, "gfp=dma32")) TH_LOG("%s", opts);
	snprintf(f, sizeof(f), "%s/f", self->dir);
	ASSERT_EQ(0, rpc_memcg_write_file(NULL, f, MIB, 3));

	/* Another value on remount: EINVAL with a message, nothing changed. */
	r = rpc_reconfigure(self->dir, "gfp=default", msg, sizeof(msg));
	EXPECT_EQ(-EINVAL, r);
	EXPECT_TRUE(strstr(msg, "gfp= cannot be changed by remount") != NULL) TH_LOG("%s", msg);
	/* The same value, with a limit: accepted, the limit applied. */
	EXPECT_EQ(0, rpc_reconfigure(self->dir, "gfp=dma32,size=32m", msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_TRUE(rpc_has_opt(opts, "gfp=dma32")) TH_LOG("%s", opts);
	EXPECT_TRUE(rpc_has_opt(opts, "size=32768k")) TH_LOG("%s", opts);
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(f, MIB, 3));
	rpc_umount(self->dir);
	self->dir[0] = '\0';

	/* gfp=default is the default, not shown. */
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "gfp=default"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_FALSE(rpc_has_opt_prefix(opts, "gfp=")) TH_LOG("%s", opts);
	rpc_umount(self->dir);
	self->dir[0] = '\0';

	/* Bad values: EINVAL, "Bad value for 'gfp'". */
	static const char *const bad[] = { "gfp=", "gfp=DMA32", "gfp=dma", "gfp=highmem", "gfp=dma32x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = rpc_fsmount_opts(self->dir, bad[i], msg, sizeof(msg));
		EXPECT_EQ(-EINVAL, r) TH_LOG("%s", bad[i]);
		EXPECT_TRUE(strstr(msg, "gfp") != NULL) TH_LOG("%s: %s", bad[i], msg);
		if (!r) {
			rpc_umount(self->dir);
			self->dir[0] = '\0';
		}
	}
}

/* ---- the driver API, through rpc_test_gem ---- */

/* Loads rpc_test_gem.ko (beside $RPC_TEST_KO). 0, or -errno. */
static int gem_load(void)
{
	return rpc_test_ko_load("rpc_test_gem.ko", GEM_CMD);
}

static void gem_unload(void)
{
	syscall(__NR_delete_module, "rpc_test_gem", O_NONBLOCK);
}

/*
 * One command to the test driver, from inside cg if cg is set (so that
 * what it allocates is charged there); res gets its answer. 0 if "ok".
 */
static int gem(const struct rpc_memcg *cg, const char *cmd, char *res, size_t len)
{
	pid_t pid;
	int st;

	res[0] = '\0';
	if (cg) {
		pid = rpc_fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(rpc_memcg_enter(cg, 0) || rpc_write_str(GEM_CMD, cmd) ? 1 : 0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return -ECHILD;
	} else if (rpc_write_str(GEM_CMD, cmd)) {
		return -errno;
	}
	if (rpc_read_str(GEM_CMD, res, len) < 0)
		return -errno;
	return strncmp(res, "ok", 2) ? -EPROTO : 0;
}

/* "check SEED GFP": every page exact; pages below and above 4 GiB. 0 or -EPROTO. */
static int gem_check(unsigned int seed, const char *gfp, long *below, long *above, char *res, size_t len)
{
	char cmd[64];
	long n;
	int r;

	snprintf(cmd, sizeof(cmd), "check %u %s", seed, gfp);
	r = gem(NULL, cmd, res, len);
	if (r)
		return r;
	return sscanf(res, "ok %ld %ld %ld", &n, below, above) == 3 ? 0 : -EPROTO;
}

/*
 * Seed 003 through the API: an object written under the default mapping
 * gfp has pages above 4 GiB; the driver's DMA32 reads get every one of
 * them replaced below, with the data; pages that a swap-in under the
 * default gfp brings back above are replaced again; a swap-in asked for
 * with DMA32 (read-around included) and swapoff under a DMA32 mapping gfp
 * allocate below and replace nothing.
 */
TEST_F_TIMEOUT(dma32, driver_api_replaces_what_a_laxer_path_brought_in, 600)
{
	const long pages = FILE_SIZE / rpc_page_size();
	char o[256], cmd[PATH_MAX + 64], res[128], msg[512];
	long below, above, census_above;
	long long r0, out0;
	struct rpc_sfs before, during, after;

	ASSERT_EQ(0, gem_load()) TH_LOG("rpc_test_gem.ko beside $RPC_TEST_KO");
	ASSERT_EQ(0, rpc_mkswap(self->dev));
	snprintf(o, sizeof(o), "size=64m,nr_inodes=100,swap=%s", self->dev);
	ASSERT_EQ(0, rpc_mount_opts(self->dir, o));
	ASSERT_EQ(0, rpc_statfs(self->dir, &before));

	/* Not a rust_pagecache mount: EINVAL. */
	EXPECT_EQ(-EPROTO, gem(NULL, "setup /proc 4096", res, sizeof(res)));
	EXPECT_EQ(0, strncmp(res, "err 22", 6)) TH_LOG("%s", res);

	snprintf(cmd, sizeof(cmd), "setup %s %lu", self->dir, FILE_SIZE);
	ASSERT_EQ(0, gem(NULL, cmd, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(0, rpc_statfs(self->dir, &during));
	EXPECT_EQ(before.f_ffree - 1, during.f_ffree) TH_LOG("the object is an inode of the mount");
	ASSERT_EQ(0, gem(NULL, "mask default", res, sizeof(res)));
	ASSERT_EQ(0, gem(&self->cg, "write 5", res, sizeof(res))) TH_LOG("%s", res);

	/* The control: under the default gfp, pages above 4 GiB. */
	ASSERT_EQ(0, gem_check(5, "mapping", &below, &census_above, res, sizeof(res))) TH_LOG("%s", res);
	TH_LOG("written under the default gfp: %ld below, %ld above 4 GiB", below, census_above);
	EXPECT_GT(census_above, 0);

	/* DMA32 reads: each of those replaced, every page below, data exact. */
	r0 = rpc_stat_of(self->dir, "replaced");
	ASSERT_EQ(0, gem_check(5, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(pages, below);
	EXPECT_EQ(0, above);
	EXPECT_EQ(census_above, rpc_stat_of(self->dir, "replaced") - r0);
	ASSERT_EQ(0, gem_check(5, "mapping", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(0, above) TH_LOG("the replacements are the file's pages now");

	/* Out to swap; back under the default gfp (above), then DMA32 again. */
	out0 = rpc_pages_out(self->dir);
	ASSERT_EQ(0, rpc_memcg_reclaim(self->cg.path, "64M"));
	EXPECT_GE(rpc_pages_out(self->dir) - out0, pages - 64);
	ASSERT_EQ(0, gem_check(5, "mapping", &below, &census_above, res, sizeof(res))) TH_LOG("%s", res);
	TH_LOG("swapped in under the default gfp: %ld below, %ld above", below, census_above);
	r0 = rpc_stat_of(self->dir, "replaced");
	ASSERT_EQ(0, gem_check(5, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(0, above);
	EXPECT_EQ(census_above, rpc_stat_of(self->dir, "replaced") - r0);

	/* Out again; a DMA32 swap-in allocates below: nothing to replace. */
	out0 = rpc_pages_out(self->dir);
	ASSERT_EQ(0, rpc_memcg_reclaim(self->cg.path, "64M"));
	EXPECT_GE(rpc_pages_out(self->dir) - out0, pages - 64);
	r0 = rpc_stat_of(self->dir, "replaced");
	ASSERT_EQ(0, gem_check(5, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(0, above);
	EXPECT_EQ(r0, rpc_stat_of(self->dir, "replaced"));

	/* The driver narrows the mapping gfp; swapoff honours it. */
	ASSERT_EQ(0, gem(NULL, "mask dma32", res, sizeof(res)));
	out0 = rpc_pages_out(self->dir);
	ASSERT_EQ(0, rpc_memcg_reclaim(self->cg.path, "64M"));
	EXPECT_GE(rpc_pages_out(self->dir) - out0, pages - 64);
	EXPECT_EQ(0, rpc_reconfigure(self->dir, "noswap", msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(0, rpc_stat_of(self->dir, "swap_slots_used"));
	r0 = rpc_stat_of(self->dir, "replaced");
	ASSERT_EQ(0, gem_check(5, "mapping", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(0, above);
	EXPECT_EQ(r0, rpc_stat_of(self->dir, "replaced"));
	EXPECT_EQ(0, rpc_stat_of(self->dir, "replace_failed"));

	/* The last reference frees the object: inode and blocks back. */
	ASSERT_EQ(0, gem(NULL, "release", res, sizeof(res)));
	ASSERT_EQ(0, rpc_statfs(self->dir, &after));
	EXPECT_EQ(before.f_ffree, after.f_ffree);
	EXPECT_EQ(before.f_bfree, after.f_bfree);
	gem_unload();
}

/*
 * A folio user space has mapped is unmapped before it is replaced: the
 * mapping faults the new folio in (below 4 GiB), and what user space
 * writes through it afterwards is the file's data, not lost in the old one.
 */
TEST_F_TIMEOUT(dma32, driver_api_replaces_a_folio_user_space_has_mapped, 300)
{
	const size_t len = 2 * MIB;
	const long pages = len / rpc_page_size();
	char f[PATH_MAX], cmd[PATH_MAX + 16], res[128];
	struct census c;
	long below, above;
	long long r0;
	char *m;
	int fd;

	ASSERT_EQ(0, gem_load()) TH_LOG("rpc_test_gem.ko beside $RPC_TEST_KO");
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=16m"));
	snprintf(f, sizeof(f), "%s/f", self->dir);
	ASSERT_EQ(0, rpc_memcg_write_file(NULL, f, len, 11));
	fd = open(f, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, take_census(f, len, 11, &c));
	TH_LOG("written under the default gfp: %ld below, %ld above 4 GiB", c.below, c.above);
	EXPECT_GT(c.above, 0);
	/* Our own mapping of every page, as the census saw them. */
	EXPECT_EQ(-1, rpc_check_pattern(m, len, 11, 0));

	snprintf(cmd, sizeof(cmd), "open %s", f);
	ASSERT_EQ(0, gem(NULL, cmd, res, sizeof(res))) TH_LOG("%s", res);
	r0 = rpc_stat_of(self->dir, "replaced");
	ASSERT_EQ(0, gem_check(11, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(pages, below);
	EXPECT_EQ(c.above, rpc_stat_of(self->dir, "replaced") - r0);

	/* The old mapping now faults in the replacements. */
	EXPECT_EQ(-1, rpc_check_pattern(m, len, 11, 0));
	rpc_fill_pattern(m, len, 12, 0);
	ASSERT_EQ(0, take_census(f, len, 12, &c));
	EXPECT_EQ(0, c.above);
	EXPECT_EQ(-1, c.bad_byte);
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(f, len, 12)) TH_LOG("writes through the mapping reach the file");
	ASSERT_EQ(0, gem_check(12, "mapping", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	munmap(m, len);
	close(fd);
	ASSERT_EQ(0, gem(NULL, "release", res, sizeof(res)));
	gem_unload();
}

/* The driver's "check SEED dma32" in a thread of its own. */
struct gem_call {
	char cmd[64];
	char res[128];
	int rc;
};

static void *gem_call_run(void *arg)
{
	struct gem_call *c = arg;

	c->rc = gem(NULL, c->cmd, c->res, sizeof(c->res));
	return NULL;
}

#define REPLACE_DELAY_US 300000

/*
 * Seed 003's replacement against truncate and hole punch. A replacement
 * puts a new folio into the file, so it is made under invalidate_lock
 * shared, as every insertion outside i_rwsem is (fs/mmap.rs get_locked):
 * truncate and punch empty a range holding it exclusively. The knob
 * replace_delay_us holds the driver's replacement of one page with the old
 * folio locked; a truncate to 0 (punch: of the whole file) starts
 * meanwhile. It must wait for the replacement and then remove the new
 * folio too. One that went ahead would lock the old folio once the
 * replacement let it go, find it out of the file and skip it: the copy
 * would stay in the file, past EOF (truncate) or in the hole (punch), and
 * its old data would come back where zeros belong.
 */
static void replacement_vs_emptying(struct __test_metadata *_metadata, FIXTURE_DATA(dma32) *self,
				    bool punch)
{
	const long pages = 16;
	const size_t len = pages * rpc_page_size();
	char f[PATH_MAX], cmd[PATH_MAX + 16], res[128], *buf;
	struct gem_call call = { .cmd = "check 23 dma32" };
	long long r0, holding = 0;
	struct timespec t0, t1;
	struct census c;
	struct stat st;
	pthread_t t;
	int fd;

	ASSERT_EQ(0, gem_load()) TH_LOG("rpc_test_gem.ko beside $RPC_TEST_KO");
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=16m"));
	snprintf(f, sizeof(f), "%s/f", self->dir);
	ASSERT_EQ(0, rpc_memcg_write_file(NULL, f, len, 23));
	ASSERT_EQ(0, take_census(f, len, 23, &c));
	ASSERT_GT(c.above, 0) TH_LOG("no page above 4 GiB to replace");
	fd = open(f, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	snprintf(cmd, sizeof(cmd), "open %s", f);
	ASSERT_EQ(0, gem(NULL, cmd, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(0, rpc_pc_set_knob(self->dir, "replace_delay_us", REPLACE_DELAY_US));
	r0 = rpc_stat_of(self->dir, "replaced");

	ASSERT_EQ(0, pthread_create(&t, NULL, gem_call_run, &call));
	for (int i = 0; i < 20000 && holding <= 0; i++) {
		holding = rpc_stat_of(self->dir, "replace_holding");
		if (holding <= 0)
			usleep(500);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (holding > 0 && punch) {
		EXPECT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, len));
	} else if (holding > 0) {
		EXPECT_EQ(0, ftruncate(fd, 0));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	rpc_pc_set_knob(self->dir, "replace_delay_us", 0);
	ASSERT_GT(holding, 0) TH_LOG("no replacement reached the window (driver: %s)", call.res);
	TH_LOG("%s of the file while page %lld was being replaced: returned after %.0f ms; driver: %s",
	       punch ? "punch" : "truncate", holding - 1,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, strtok(call.res, "\n"));
	EXPECT_GE(rpc_stat_of(self->dir, "replaced") - r0, 1);
	ASSERT_EQ(0, gem(NULL, "release", res, sizeof(res)));
	gem_unload();

	if (!punch) {
		/* Nothing of the file is left in memory; then it reads as zeros. */
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_EQ(0, st.st_size);
		EXPECT_EQ(0, st.st_blocks) TH_LOG("a page stayed past EOF");
		EXPECT_EQ(0, rpc_stat_of(self->dir, "folios_cached")) TH_LOG("a folio stayed past EOF");
		ASSERT_EQ(0, ftruncate(fd, len));
	}
	/* Punch: the driver may have read holes back in, as zeroed pages. */
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)len, rpc_pread_full(fd, buf, len, 0));
	for (size_t i = 0; i < len; i++) {
		if (buf[i]) {
			EXPECT_EQ(0, buf[i]) TH_LOG("byte %zu (page %zu) of the emptied file is not zero",
						    i, i / rpc_page_size());
			break;
		}
	}
	free(buf);
	close(fd);
}

TEST_F_TIMEOUT(dma32, truncate_waits_for_a_replacement_and_removes_the_new_folio, 120)
{
	replacement_vs_emptying(_metadata, self, false);
}

TEST_F_TIMEOUT(dma32, punch_waits_for_a_replacement_and_removes_the_new_folio, 120)
{
	replacement_vs_emptying(_metadata, self, true);
}

static long module_refcnt(void)
{
	char buf[32];

	if (rpc_read_str("/sys/module/rust_pagecache/refcnt", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * rpc_file_setup(): a file on the module's internal mount, made with the
 * first such file (the mount's superblock holds the module) and unmounted
 * once the last is freed, so the module can still be unloaded; DMA32 reads
 * work there as on any mount.
 */
TEST_F_TIMEOUT(dma32, driver_api_internal_mount_comes_and_goes_with_its_files, 120)
{
	char res[128];
	long below, above, r0, r;

	ASSERT_EQ(0, gem_load()) TH_LOG("rpc_test_gem.ko beside $RPC_TEST_KO");
	for (int round = 0; round < 2; round++) {
		r0 = module_refcnt();
		ASSERT_LE(0, r0);
		ASSERT_EQ(0, gem(NULL, "internal 1048576", res, sizeof(res))) TH_LOG("%s", res);
		EXPECT_LT(r0, module_refcnt()) TH_LOG("the internal mount holds the module");
		ASSERT_EQ(0, gem(NULL, "mask dma32", res, sizeof(res)));
		ASSERT_EQ(0, gem(NULL, "write 3", res, sizeof(res))) TH_LOG("%s", res);
		ASSERT_EQ(0, gem_check(3, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
		EXPECT_EQ(256, below);
		ASSERT_EQ(0, gem(NULL, "release", res, sizeof(res)));
		/* Unmounted by a work item after the last eviction. */
		for (int i = 0; i < 100 && (r = module_refcnt()) != r0; i++)
			usleep(100 * 1000);
		EXPECT_EQ(r0, r) TH_LOG("round %d: the internal mount stayed", round);
	}
	gem_unload();
}

/* A reader of the file during the replacements: read(2) or a mapping. */
struct race_reader {
	const char *path;
	size_t len;
	uint32_t seed;
	bool mapped;
	atomic_bool *stop;
	atomic_long rounds;
	long bad_off;	/* first byte off the pattern, or -1 */
};

static void *race_read(void *arg)
{
	struct race_reader *r = arg;
	char *buf = malloc(64 * 1024);
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	char *m = MAP_FAILED;

	if (fd >= 0 && r->mapped)
		m = mmap(NULL, r->len, PROT_READ, MAP_SHARED, fd, 0);
	if (!buf || fd < 0 || (r->mapped && m == MAP_FAILED)) {
		r->bad_off = -2;
		goto out;
	}
	while (!atomic_load(r->stop) && r->bad_off == -1) {
		for (size_t off = 0; off < r->len && r->bad_off == -1; off += 64 * 1024) {
			const char *p = m != MAP_FAILED ? m + off : buf;
			long b;

			if (m == MAP_FAILED && rpc_pread_full(fd, buf, 64 * 1024, off) != 64 * 1024) {
				r->bad_off = -3;
				break;
			}
			b = rpc_check_pattern(p, 64 * 1024, r->seed, off);
			if (b >= 0)
				r->bad_off = off + b;
		}
		/* A mapping faults the replacements in only after an unmap. */
		if (m != MAP_FAILED)
			madvise(m, r->len, MADV_DONTNEED);
		atomic_fetch_add(&r->rounds, 1);
	}
out:
	if (m != MAP_FAILED)
		munmap(m, r->len);
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * Readers that take no lock (read(2): seed 002's lookup) and a mapping
 * that keeps faulting (seed 004's re-check) see nothing but the file's
 * data while the driver replaces every page under them.
 */
TEST_F_TIMEOUT(dma32, readers_and_faults_racing_the_replacement_see_only_the_data, 300)
{
	const size_t len = 8 * MIB;
	const long pages = len / rpc_page_size();
	char f[PATH_MAX], cmd[PATH_MAX + 16], res[128];
	struct race_reader rd[3];
	pthread_t t[3];
	atomic_bool stop = false;
	long below, above;
	long long r0;
	struct census c;

	ASSERT_EQ(0, gem_load()) TH_LOG("rpc_test_gem.ko beside $RPC_TEST_KO");
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=32m"));
	snprintf(f, sizeof(f), "%s/f", self->dir);
	ASSERT_EQ(0, rpc_memcg_write_file(NULL, f, len, 17));
	ASSERT_EQ(0, take_census(f, len, 17, &c));
	ASSERT_GT(c.above, pages / 2) TH_LOG("too few pages above 4 GiB to race: %ld", c.above);
	snprintf(cmd, sizeof(cmd), "open %s", f);
	ASSERT_EQ(0, gem(NULL, cmd, res, sizeof(res))) TH_LOG("%s", res);

	for (int i = 0; i < 3; i++) {
		rd[i] = (struct race_reader){ .path = f, .len = len, .seed = 17, .mapped = i == 2,
					       .stop = &stop, .bad_off = -1 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_read, &rd[i]));
	}
	r0 = rpc_stat_of(self->dir, "replaced");
	EXPECT_EQ(0, gem_check(17, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(-1, rd[i].bad_off) TH_LOG("reader %d (%s): bad at %ld", i,
						    rd[i].mapped ? "mapped" : "read(2)", rd[i].bad_off);
		EXPECT_GT(atomic_load(&rd[i].rounds), 0);
	}
	TH_LOG("%lld pages replaced under 2 readers and a faulting mapping (%ld, %ld, %ld rounds)",
	       rpc_stat_of(self->dir, "replaced") - r0, atomic_load(&rd[0].rounds),
	       atomic_load(&rd[1].rounds), atomic_load(&rd[2].rounds));
	EXPECT_EQ(pages, below);
	EXPECT_EQ(c.above, rpc_stat_of(self->dir, "replaced") - r0);
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(f, len, 17));
	ASSERT_EQ(0, gem(NULL, "release", res, sizeof(res)));
	gem_unload();
}

/*
 * fail_page_alloc for the tasks that ask (task-filter, make-it-fail) and
 * only for allocations with the module's code on the stack (require-start,
 * require-end: not a slab refill of the system call or of kmemleak), every
 * one, sleeping or not, order 0 included, but with times 0: nothing fails
 * until the task that wants the failure writes times (see below).
 */
#define FPA RPC_DEBUGFS "/fail_page_alloc/"
static int fpa_arm(bool on)
{
	static const char *const keys[] = { "task-filter", "ignore-gfp-wait", "ignore-gfp-highmem",
					     "min-order", "interval", "verbose", "space", "probability",
					     "stacktrace-depth", "require-start", "require-end", "times" };
	const char *arm[] = { "Y", "N", "N", "0", "1", "0", "0", "100", "32", NULL, NULL, "0" };
	unsigned long long start = 0, end = 0;
	char p[PATH_MAX], s[32], e[32];
	int r = rpc_ensure_debugfs();

	if (!on) {
		rpc_write_str(FPA "probability", "0");
		rpc_write_str(FPA "require-start", "0");
		rpc_write_str(FPA "require-end", "18446744073709551615");
		return rpc_write_str(FPA "times", "0");
	}
	if (!r)
		r = rpc_module_text(&start, &end);
	snprintf(s, sizeof(s), "%llu", start);
	snprintf(e, sizeof(e), "%llu", end);
	arm[9] = s;
	arm[10] = e;
	/* require-end first when it grows, so that start < end all along. */
	for (size_t i = 0; !r && i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t k = i == 9 ? 10 : i == 10 ? 9 : i;

		snprintf(p, sizeof(p), FPA "%s", keys[k]);
		r = rpc_write_str(p, arm[k]);
	}
	return r;
}

/*
 * No memory for the replacement: the driver gets ENOMEM at the first page
 * that needs one, the old folio stays with its data, and the next try
 * replaces it.
 */
TEST_F_TIMEOUT(dma32, driver_api_replacement_without_memory_is_enomem_and_loses_nothing, 300)
{
	const size_t len = MIB;
	const long pages = len / rpc_page_size();
	char f[PATH_MAX], cmd[PATH_MAX + 16], res[128];
	long below, above, idx;
	long long failed0;
	struct census c;
	int err, st;
	pid_t pid;

	ASSERT_EQ(0, gem_load()) TH_LOG("rpc_test_gem.ko beside $RPC_TEST_KO");
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=16m"));
	snprintf(f, sizeof(f), "%s/f", self->dir);
	ASSERT_EQ(0, rpc_memcg_write_file(NULL, f, len, 13));
	ASSERT_EQ(0, take_census(f, len, 13, &c));
	ASSERT_GT(c.above, 0) TH_LOG("no page above 4 GiB to replace");
	snprintf(cmd, sizeof(cmd), "open %s", f);
	ASSERT_EQ(0, gem(NULL, cmd, res, sizeof(res))) TH_LOG("%s", res);

	failed0 = rpc_stat_of(self->dir, "replace_failed");
	ASSERT_EQ(0, fpa_arm(true)) TH_LOG("no fail_page_alloc in this kernel");
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/*
		 * Everything opened first: the one failure must land in the
		 * command, not in a copy-on-write fault of this child's memory
		 * or in the opening of a file.
		 */
		static const char check[] = "check 13 dma32";
		int cfd = open(GEM_CMD, O_WRONLY | O_CLOEXEC);
		int tfd = open(FPA "times", O_WRONLY | O_CLOEXEC);
		int mfd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);

		if (cfd < 0 || tfd < 0 || mfd < 0 || write(mfd, "1", 1) != 1 || write(tfd, "1", 1) != 1)
			_exit(2);
		_exit(write(cfd, check, sizeof(check) - 1) == sizeof(check) - 1 ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	fpa_arm(false);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_LT(0, rpc_read_str(GEM_CMD, res, sizeof(res)));
	ASSERT_EQ(2, sscanf(res, "err %d %ld", &err, &idx)) TH_LOG("%s", res);
	EXPECT_EQ(ENOMEM, err);
	EXPECT_EQ(failed0 + 1, rpc_stat_of(self->dir, "replace_failed"));

	/* Nothing lost; with memory, every page goes below. */
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(f, len, 13));
	ASSERT_EQ(0, gem_check(13, "dma32", &below, &above, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(pages, below);
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(f, len, 13));
	ASSERT_EQ(0, gem(NULL, "release", res, sizeof(res)));
	gem_unload();
}

TEST_HARNESS_MAIN
