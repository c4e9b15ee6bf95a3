// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle of rust_pagecache.ko: it cannot be unloaded while
 * mounted, it can be unloaded and reloaded afterwards, mounting autoloads
 * it, and load/mount/use/umount/unload cycles leak no memory.
 *
 * Only for RPC_FSTYPE=rust_pagecache with RPC_KO=<path to the .ko>, else
 * every test SKIPs. Must run as root, with no other rust_pagecache mount
 * around. Always leaves the module loaded.
 *
 * Kernel behaviour this encodes (kernel/module/main.c, 7.3): delete_module()
 * of a module whose refcount is not zero (a mounted filesystem holds a
 * reference on its module) fails with EWOULDBLOCK (== EAGAIN), not EBUSY;
 * EBUSY is only for a module that is still initialising or already dying.
 *
 * Leak thresholds (after 10 cycles, compared to after one warm-up cycle):
 * Slab must grow by less than RPC_LEAK_SLAB_KB (default 2048) and
 * MemAvailable drop by less than RPC_LEAK_AVAIL_KB (default 8192). Note
 * that a KASAN kernel keeps freed objects in its quarantine (counted as
 * Slab), which can add noise here.
 */
#include "rpc_util.h"
#include "kselftest_harness.h"

#define MODNAME "rust_pagecache"

static const char *ko_path(void)
{
	const char *ko = getenv("RPC_KO");

	return (ko && *ko) ? ko : NULL;
}

/* Is the module in /proc/modules? 1/0, or -errno if unreadable. */
static int module_loaded(void)
{
	FILE *f = fopen("/proc/modules", "re");
	char line[512];
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, MODNAME " ", strlen(MODNAME) + 1))
			found = 1;
	fclose(f);
	return found;
}

/* Is the filesystem type registered (listed in /proc/filesystems)? */
static int fs_registered(void)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[256];
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *t = strchr(line, '\t');

		line[strcspn(line, "\n")] = '\0';
		if (t && !strcmp(t + 1, MODNAME))
			found = 1;
	}
	fclose(f);
	return found;
}

/* finit_module(RPC_KO); 0, -EEXIST if already loaded, or -errno. */
static int load_module(void)
{
	const char *ko = ko_path();
	int fd, r;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(__NR_finit_module, fd, "", 0);
	r = r ? -errno : 0;
	close(fd);
	return r;
}

static int unload_module_once(void)
{
	return syscall(__NR_delete_module, MODNAME, O_NONBLOCK) ? -errno : 0;
}

/*
 * Unload, retrying briefly while the last reference goes away (the final
 * mntput after umount may be deferred a little). Returns 0 or -errno.
 */
static int unload_module(int *retries)
{
	int r = 0;

	for (int i = 0; i < 100; i++) {
		r = unload_module_once();
		if (retries)
			*retries = i;
		if (r != -EWOULDBLOCK && r != -EBUSY)
			break;
		usleep(20 * 1000);
	}
	return r;
}

static void log_our_mounts(struct __test_metadata *_metadata)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " " MODNAME " "))
			TH_LOG("still mounted: %s", line);
	fclose(f);
}

FIXTURE(mod) {
	char dir[64];
};

FIXTURE_SETUP(mod)
{
	int r;

	self->dir[0] = '\0';
	if (!rpc_is_module_fs())
		SKIP(return, "RPC_FSTYPE=%s: module tests only run for " MODNAME, rpc_fstype());
	if (!ko_path())
		SKIP(return, "RPC_KO is not set");
	ASSERT_EQ(0, access(ko_path(), R_OK)) TH_LOG("RPC_KO=%s: %s", ko_path(), strerror(errno));
	ASSERT_EQ(0, LL(getuid())) TH_LOG("must run as root");
	if (module_loaded() != 1) {
		r = load_module();
		ASSERT_TRUE(r == 0 || r == -EEXIST) TH_LOG("finit_module(%s): %s", ko_path(), strerror(-r));
	}
	ASSERT_EQ(1, module_loaded());
}

FIXTURE_TEARDOWN_PARENT(mod)
{
	rpc_umount(self->dir);
	if (rpc_is_module_fs() && ko_path() && module_loaded() == 0)
		load_module();	/* leave it loaded for whatever runs next */
}

TEST_F(mod, unload_refused_while_mounted_then_unload_and_reload)
{
	int r, retries = 0;
	char buf[8];

	ASSERT_EQ(1, fs_registered()) TH_LOG(MODNAME " not in /proc/filesystems while loaded");
	r = rpc_mount_opts(self->dir, "size=4m");
	ASSERT_EQ(0, r) TH_LOG("mount: %s", strerror(-r));
	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", "data", 4, 0644));
	/* a mounted filesystem pins its module: EWOULDBLOCK (see top comment) */
	EXPECT_EQ(-EWOULDBLOCK, unload_module_once());
	EXPECT_EQ(1, module_loaded());
	EXPECT_EQ(1, fs_registered());
	/* and the mount is still fine */
	EXPECT_EQ(4, rpc_read_filef(self->dir, "f", buf, sizeof(buf)));
	ASSERT_EQ(0, umount2(self->dir, 0)) TH_LOG("umount: %s", strerror(errno));
	rmdir(self->dir);
	self->dir[0] = '\0';
	r = unload_module(&retries);
	if (r)
		log_our_mounts(_metadata);
	ASSERT_EQ(0, r) TH_LOG("delete_module after umount: %s", strerror(-r));
	if (retries)
		TH_LOG("delete_module needed %d retries after umount", retries);
	EXPECT_EQ(0, module_loaded());
	EXPECT_EQ(0, fs_registered()) TH_LOG(MODNAME " still in /proc/filesystems after unload");
	r = load_module();
	ASSERT_EQ(0, r) TH_LOG("reload: %s", strerror(-r));
	EXPECT_EQ(1, module_loaded());
	EXPECT_EQ(1, fs_registered());
	/* loading it twice is EEXIST */
	EXPECT_EQ(-EEXIST, load_module());
	/* and it works after the reload */
	r = rpc_mount_opts(self->dir, "");
	ASSERT_EQ(0, r) TH_LOG("mount after reload: %s", strerror(-r));
	EXPECT_EQ(0, rpc_write_filef(self->dir, "g", "x", 1, 0644));
}

TEST_F(mod, unload_refused_while_lazily_unmounted_fs_has_an_open_file)
{
	char p[PATH_MAX], buf[8] = "";
	int fd, r;

	r = rpc_mount_opts(self->dir, "");
	ASSERT_EQ(0, r) TH_LOG("mount: %s", strerror(-r));
	rpc_path(p, sizeof(p), self->dir, "f");
	fd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(0, umount2(self->dir, MNT_DETACH));
	rmdir(self->dir);
	self->dir[0] = '\0';
	/* the detached superblock lives on while the file is open */
	EXPECT_EQ(-EWOULDBLOCK, unload_module_once());
	EXPECT_EQ(5, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	close(fd);
	r = unload_module(NULL);
	ASSERT_EQ(0, r) TH_LOG("delete_module after last close: %s", strerror(-r));
	EXPECT_EQ(0, module_loaded());
	ASSERT_EQ(0, load_module());
}

TEST_F(mod, unload_of_unloaded_module_is_enoent)
{
	int r;

	r = unload_module(NULL);
	ASSERT_EQ(0, r) TH_LOG("delete_module: %s", strerror(-r));
	EXPECT_EQ(-ENOENT, unload_module_once());
	/* mounting an unknown type would autoload it; finit_module instead */
	ASSERT_EQ(0, load_module());
}

TEST_F(mod, mount_autoloads_the_module)
{
	char opts[1024];
	int r;

	r = unload_module(NULL);
	if (r)
		log_our_mounts(_metadata);
	ASSERT_EQ(0, r) TH_LOG("delete_module: %s", strerror(-r));
	ASSERT_EQ(0, module_loaded());
	ASSERT_EQ(0, fs_registered());
	/* get_fs_type() runs modprobe fs-rust_pagecache */
	r = rpc_mount_opts(self->dir, "size=1m");
	ASSERT_EQ(0, r) TH_LOG("mount with the module unloaded (autoload via modprobe): %s", strerror(-r));
	EXPECT_EQ(1, module_loaded());
	EXPECT_EQ(1, fs_registered());
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_TRUE(rpc_has_opt(opts, "size=1024k")) TH_LOG("options: %s", opts);
	EXPECT_EQ(0, rpc_write_filef(self->dir, "f", "x", 1, 0644));
}

/* One load / mount / 100 files / umount / unload cycle. */
static void cycle(struct __test_metadata *_metadata, char *dir, int n)
{
	char name[32], p[PATH_MAX], *buf = malloc(16 * 1024), *rd = malloc(16 * 1024 + 1);
	int r;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	r = load_module();
	ASSERT_EQ(0, r) TH_LOG("cycle %d: finit_module: %s", n, strerror(-r));
	r = rpc_mount_opts(dir, "size=8m,nr_inodes=1k");
	ASSERT_EQ(0, r) TH_LOG("cycle %d: mount: %s", n, strerror(-r));
	for (int i = 0; i < 100; i++) {
		size_t len = 1 + (i * 1237) % (16 * 1024);

		snprintf(name, sizeof(name), "f%03d", i);
		rpc_fill_pattern(buf, len, n * 1000 + i, 0);
		ASSERT_EQ(0, rpc_write_filef(dir, name, buf, len, 0644)) TH_LOG("cycle %d: %s", n, name);
		if (i % 10 == 0) {
			snprintf(name, sizeof(name), "d%03d", i);
			rpc_path(p, sizeof(p), dir, name);
			ASSERT_EQ(0, mkdir(p, 0755)) TH_LOG("cycle %d: mkdir: %s", n, strerror(errno));
		}
	}
	for (int i = 0; i < 100; i += 9) {
		size_t len = 1 + (i * 1237) % (16 * 1024);

		snprintf(name, sizeof(name), "f%03d", i);
		ASSERT_EQ((ssize_t)len, rpc_read_filef(dir, name, rd, 16 * 1024 + 1));
		ASSERT_EQ(-1, rpc_check_pattern(rd, len, n * 1000 + i, 0)) TH_LOG("cycle %d: %s", n, name);
	}
	ASSERT_EQ(0, umount2(dir, 0)) TH_LOG("cycle %d: umount: %s", n, strerror(errno));
	rmdir(dir);
	dir[0] = '\0';
	r = unload_module(NULL);
	if (r)
		log_our_mounts(_metadata);
	ASSERT_EQ(0, r) TH_LOG("cycle %d: delete_module: %s", n, strerror(-r));
	ASSERT_EQ(0, module_loaded());
	free(buf);
	free(rd);
}

static long long env_kb(const char *name, long long def)
{
	const char *v = getenv(name);

	return (v && *v) ? atoll(v) : def;
}

static void settle(struct __test_metadata *_metadata)
{
	for (int i = 0; i < 3; i++) {
		int r = rpc_drop_caches();

		ASSERT_EQ(0, r) TH_LOG("drop_caches: %s", strerror(-r));
		usleep(200 * 1000);
	}
}

TEST_F_TIMEOUT(mod, ten_load_mount_use_unload_cycles_do_not_leak, 250)
{
	long long slab0, avail0, free0, slab1, avail1, free1;
	long long slab_max = env_kb("RPC_LEAK_SLAB_KB", 2048);
	long long avail_max = env_kb("RPC_LEAK_AVAIL_KB", 8192);
	int r;

	r = unload_module(NULL);
	if (r)
		log_our_mounts(_metadata);
	ASSERT_EQ(0, r) TH_LOG("delete_module: %s", strerror(-r));

	cycle(_metadata, self->dir, 0);	/* warm-up */
	settle(_metadata);
	slab0 = rpc_meminfo_kb("Slab");
	avail0 = rpc_meminfo_kb("MemAvailable");
	free0 = rpc_meminfo_kb("MemFree");
	ASSERT_LT(0, slab0);
	ASSERT_LT(0, avail0);

	for (int n = 1; n <= 10; n++)
		cycle(_metadata, self->dir, n);

	settle(_metadata);
	slab1 = rpc_meminfo_kb("Slab");
	avail1 = rpc_meminfo_kb("MemAvailable");
	free1 = rpc_meminfo_kb("MemFree");
	ksft_print_msg("leak check: Slab %lld -> %lld kB (%+lld), MemAvailable %lld -> %lld kB (%+lld), "
		       "MemFree %lld -> %lld kB (%+lld)\n",
		       slab0, slab1, slab1 - slab0, avail0, avail1, avail1 - avail0,
		       free0, free1, free1 - free0);
	EXPECT_GT(slab_max, slab1 - slab0) TH_LOG("Slab grew by %lld kB over 10 cycles (limit %lld kB)",
					     slab1 - slab0, slab_max);
	EXPECT_GT(avail_max, avail0 - avail1) TH_LOG("MemAvailable dropped by %lld kB over 10 cycles (limit %lld kB)",
					     avail0 - avail1, avail_max);
	/* leave it loaded */
	r = load_module();
	ASSERT_EQ(0, r) TH_LOG("final load: %s", strerror(-r));
	EXPECT_EQ(1, module_loaded());
}

TEST_HARNESS_MAIN
