// SPDX-License-Identifier: GPL-2.0
/*
 * Mount options of rust_pagecache, which must behave exactly like tmpfs's:
 * size= (bytes, k/m/g/t/p/e suffixes or N% of RAM, rounded up to pages,
 * 0 = unlimited), nr_inodes= (k/m/g suffixes, 0 = unlimited), mode= (octal),
 * uid=, gid=; how they show in /proc/mounts; bad values; remount.
 *
 * tmpfs behaviour this encodes (checked on the host, mm/shmem.c 7.3):
 *  - /proc/mounts shows ",size=%luk" only if the size differs from the
 *    default (50% of RAM), so size=0 shows "size=0k" and size=50% shows
 *    nothing; ",nr_inodes=%lu" only if not the default (nr_inodes=0 shows
 *    "nr_inodes=0"); ",mode=%03ho" only if not 01777 (mode=0 shows
 *    "mode=000", mode=0777 "mode=777", mode=4755 "mode=4755"); ",uid=%u" and
 *    ",gid=%u" only if not 0.
 *  - The log of a rejected fsconfig() is "e tmpfs: Bad value for 'size'",
 *    "e tmpfs: Unknown parameter 'bogus'", and for an unmappable id
 *    "e tmpfs: Invalid uid '4294967295'" (no "Bad value" there). For
 *    uid=abc two identical messages are logged.
 *  - size=-1, size= (empty) and a bare "size" flag are EINVAL; so are
 *    nr_inodes=-1, mode=8, mode=-1, uid=-1, uid=4294967295.
 *  - Remount from size=0 (unlimited) to a limit is EINVAL ("Cannot
 *    retroactively limit size"), same for nr_inodes; the reverse is allowed.
 *    Shrinking to exactly the amount in use is allowed.
 */
#include "rpc_util.h"
#include "kselftest_harness.h"

static bool mounted_opts(struct __test_metadata *_metadata, const char *dir,
			 char *opts, size_t len)
{
	char type[64];

	if (rpc_mount_line(dir, type, sizeof(type), opts, len)) {
		TH_LOG("%s not in /proc/mounts", dir);
		return false;
	}
	if (strcmp(type, rpc_fstype())) {
		TH_LOG("%s has fstype %s, want %s", dir, type, rpc_fstype());
		return false;
	}
	return true;
}

FIXTURE(mnt) {
	char dir[64];
	char dir2[64];
};

FIXTURE_SETUP(mnt)
{
	self->dir[0] = '\0';
	self->dir2[0] = '\0';
}

FIXTURE_TEARDOWN_PARENT(mnt)
{
	rpc_umount(self->dir);
	rpc_umount(self->dir2);
}

#define MOUNT_OK(opts) do { \
	int __r = rpc_mount_opts(self->dir, opts); \
	ASSERT_EQ(0, __r) TH_LOG("mount -t %s -o '%s': %s", rpc_fstype(), opts, strerror(-__r)); \
} while (0)

#define OPTS_OF(buf) ASSERT_TRUE(mounted_opts(_metadata, self->dir, buf, sizeof(buf)))

#define EXPECT_OPT(opts, tok) EXPECT_TRUE(rpc_has_opt(opts, tok)) TH_LOG("'%s' not in '%s'", tok, opts)
#define EXPECT_NO_OPT(opts, prefix) EXPECT_FALSE(rpc_has_opt_prefix(opts, prefix)) TH_LOG("'%s' unexpectedly in '%s'", prefix, opts)

TEST_F(mnt, default_mount_shows_no_limit_or_owner_options)
{
	char opts[1024];
	struct stat st;
	struct rpc_sfs sf;

	MOUNT_OK("");
	OPTS_OF(opts);
	EXPECT_NO_OPT(opts, "size=");
	EXPECT_NO_OPT(opts, "nr_inodes=");
	EXPECT_NO_OPT(opts, "mode=");
	EXPECT_NO_OPT(opts, "uid=");
	EXPECT_NO_OPT(opts, "gid=");
	EXPECT_OPT(opts, "rw");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(01777, LL(st.st_mode & 07777));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0, LL(st.st_uid));
	EXPECT_EQ(0, LL(st.st_gid));
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(rpc_fs_magic(), sf.f_type);
}

TEST_F(mnt, default_size_is_half_of_ram)
{
	struct rpc_sfs sf;

	MOUNT_OK("");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(rpc_totalram_pages() / 2, sf.f_blocks);
	EXPECT_EQ(sf.f_blocks, sf.f_bfree);
	EXPECT_NE(0, sf.f_files);
}

TEST_F(mnt, size_in_bytes_rounds_up_to_a_page)
{
	char opts[1024], want[64];
	struct rpc_sfs sf;
	long ps = rpc_page_size();

	MOUNT_OK("size=1000");
	OPTS_OF(opts);
	snprintf(want, sizeof(want), "size=%ldk", ps / 1024);
	EXPECT_OPT(opts, want);
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(1, sf.f_blocks);
}

TEST_F(mnt, size_exact_pages_in_bytes)
{
	char opts[1024], arg[64];
	struct rpc_sfs sf;
	long ps = rpc_page_size();

	snprintf(arg, sizeof(arg), "size=%ld", 3 * ps + 1);
	MOUNT_OK(arg);
	OPTS_OF(opts);
	snprintf(arg, sizeof(arg), "size=%ldk", 4 * ps / 1024);
	EXPECT_OPT(opts, arg);
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(4, sf.f_blocks);
}

TEST_F(mnt, size_k_suffix)
{
	char opts[1024];
	struct rpc_sfs sf;

	MOUNT_OK("size=64k");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=64k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(64 * 1024 / rpc_page_size(), sf.f_blocks);
}

TEST_F(mnt, size_uppercase_K_suffix)
{
	char opts[1024];

	MOUNT_OK("size=128K");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=128k");
}

TEST_F(mnt, size_m_suffix)
{
	char opts[1024];
	struct rpc_sfs sf;

	MOUNT_OK("size=3m");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=3072k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(3 * 1024 * 1024 / rpc_page_size(), sf.f_blocks);
}

TEST_F(mnt, size_g_suffix)
{
	char opts[1024];
	struct rpc_sfs sf;

	MOUNT_OK("size=2G");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=2097152k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(2LL * 1024 * 1024 * 1024 / rpc_page_size(), sf.f_blocks);
}

TEST_F(mnt, size_t_p_e_suffixes)
{
	static const struct { const char *arg, *shown; } cases[] = {
		{ "size=1t", "size=1073741824k" },
		{ "size=2p", "size=2199023255552k" },
		{ "size=1e", "size=1125899906842624k" },
	};
	char opts[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MOUNT_OK(cases[i].arg);
		OPTS_OF(opts);
		EXPECT_OPT(opts, cases[i].shown);
		rpc_umount(self->dir);
		self->dir[0] = '\0';
	}
}

TEST_F(mnt, size_percent_of_ram)
{
	long long ram = rpc_totalram_pages(), bytes, blocks;
	long ps = rpc_page_size();
	char opts[1024], want[64];
	struct rpc_sfs sf;

	/* mm/shmem.c: size = (N << PAGE_SHIFT) * totalram / 100, pages rounded up */
	bytes = 25LL * ps * ram / 100;
	blocks = (bytes + ps - 1) / ps;
	MOUNT_OK("size=25%");
	OPTS_OF(opts);
	snprintf(want, sizeof(want), "size=%lldk", blocks * (ps / 1024));
	EXPECT_OPT(opts, want);
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(blocks, sf.f_blocks);
}

/*
 * size=50% is DIV_ROUND_UP(50% of RAM in bytes, page size) pages, while the
 * default is totalram_pages / 2 (rounded down): they are the same, and the
 * option is hidden in /proc/mounts, only when totalram_pages is even. With an
 * odd page count tmpfs shows size= for 50% too; assert exactly what it does.
 */
TEST_F(mnt, size_fifty_percent_matches_tmpfs_rounding)
{
	long long ps = sysconf(_SC_PAGESIZE);
	long long ram = rpc_totalram_pages();
	long long blocks = (50LL * ps * ram / 100 + ps - 1) / ps;
	char opts[1024], want[64];
	struct rpc_sfs sf;

	MOUNT_OK("size=50%");
	OPTS_OF(opts);
	if (blocks == ram / 2) {
		EXPECT_NO_OPT(opts, "size=");
	} else {
		snprintf(want, sizeof(want), "size=%lldk", blocks * (ps / 1024));
		EXPECT_OPT(opts, want);
	}
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(blocks, sf.f_blocks);
}

TEST_F(mnt, size_zero_is_unlimited_and_shown_as_0k)
{
	char opts[1024];
	struct rpc_sfs sf;

	MOUNT_OK("size=0");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=0k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(0, sf.f_blocks);
	EXPECT_EQ(0, sf.f_bfree);
	EXPECT_EQ(0, sf.f_bavail);
}

TEST_F(mnt, size_last_value_wins)
{
	char opts[1024];

	MOUNT_OK("size=1m,size=2m");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=2048k");
	EXPECT_FALSE(rpc_has_opt(opts, "size=1024k"));
}

TEST_F(mnt, nr_inodes_plain)
{
	char opts[1024];
	struct rpc_sfs sf;

	MOUNT_OK("nr_inodes=100");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "nr_inodes=100");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(100, sf.f_files);
	EXPECT_EQ(99, sf.f_ffree);	/* the root directory uses one */
}

TEST_F(mnt, nr_inodes_suffixes)
{
	static const struct { const char *arg, *shown; long long files; } cases[] = {
		{ "nr_inodes=2k", "nr_inodes=2048", 2048 },
		{ "nr_inodes=3K", "nr_inodes=3072", 3072 },
		{ "nr_inodes=1m", "nr_inodes=1048576", 1048576 },
		{ "nr_inodes=1g", "nr_inodes=1073741824", 1073741824 },
	};
	char opts[1024];
	struct rpc_sfs sf;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MOUNT_OK(cases[i].arg);
		OPTS_OF(opts);
		EXPECT_OPT(opts, cases[i].shown);
		ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
		EXPECT_EQ(cases[i].files, sf.f_files);
		rpc_umount(self->dir);
		self->dir[0] = '\0';
	}
}

TEST_F(mnt, nr_inodes_zero_is_unlimited)
{
	char opts[1024];
	struct rpc_sfs sf;

	MOUNT_OK("nr_inodes=0");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "nr_inodes=0");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(0, sf.f_files);
	EXPECT_EQ(0, sf.f_ffree);
}

TEST_F(mnt, mode_is_octal_applied_and_shown_with_three_digits)
{
	static const struct { const char *arg, *shown; mode_t mode; } cases[] = {
		{ "mode=755", "mode=755", 0755 },
		{ "mode=0700", "mode=700", 0700 },
		{ "mode=0", "mode=000", 0 },
		{ "mode=777", "mode=777", 0777 },
		{ "mode=4755", "mode=4755", 04755 },
		{ "mode=01770", "mode=1770", 01770 },
	};
	char opts[1024];
	struct stat st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MOUNT_OK(cases[i].arg);
		OPTS_OF(opts);
		EXPECT_OPT(opts, cases[i].shown);
		ASSERT_EQ(0, stat(self->dir, &st));
		EXPECT_EQ(cases[i].mode, LL(st.st_mode & 07777)) TH_LOG("%s", cases[i].arg);
		EXPECT_TRUE(S_ISDIR(st.st_mode));
		rpc_umount(self->dir);
		self->dir[0] = '\0';
	}
}

TEST_F(mnt, mode_default_1777_is_hidden)
{
	char opts[1024];
	struct stat st;

	MOUNT_OK("mode=1777");
	OPTS_OF(opts);
	EXPECT_NO_OPT(opts, "mode=");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(01777, LL(st.st_mode & 07777));
}

TEST_F(mnt, uid_and_gid_own_the_root_and_are_shown)
{
	char opts[1024];
	struct stat st;

	MOUNT_OK("uid=1000,gid=2000");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "uid=1000");
	EXPECT_OPT(opts, "gid=2000");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(1000, LL(st.st_uid));
	EXPECT_EQ(2000, LL(st.st_gid));
}

TEST_F(mnt, uid_alone)
{
	char opts[1024];
	struct stat st;

	MOUNT_OK("uid=4294967294");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "uid=4294967294");
	EXPECT_NO_OPT(opts, "gid=");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(4294967294U, LL(st.st_uid));
	EXPECT_EQ(0, LL(st.st_gid));
}

TEST_F(mnt, gid_alone)
{
	char opts[1024];
	struct stat st;

	MOUNT_OK("gid=65534");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "gid=65534");
	EXPECT_NO_OPT(opts, "uid=");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(0, LL(st.st_uid));
	EXPECT_EQ(65534, LL(st.st_gid));
}

TEST_F(mnt, uid_gid_zero_are_hidden)
{
	char opts[1024];

	MOUNT_OK("uid=0,gid=0");
	OPTS_OF(opts);
	EXPECT_NO_OPT(opts, "uid=");
	EXPECT_NO_OPT(opts, "gid=");
}

TEST_F(mnt, all_options_combined)
{
	char opts[1024];
	struct stat st;
	struct rpc_sfs sf;

	MOUNT_OK("size=2m,nr_inodes=50,mode=750,uid=123,gid=456");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=2048k");
	EXPECT_OPT(opts, "nr_inodes=50");
	EXPECT_OPT(opts, "mode=750");
	EXPECT_OPT(opts, "uid=123");
	EXPECT_OPT(opts, "gid=456");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(0750, LL(st.st_mode & 07777));
	EXPECT_EQ(123, LL(st.st_uid));
	EXPECT_EQ(456, LL(st.st_gid));
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(2 * 1024 * 1024 / rpc_page_size(), sf.f_blocks);
	EXPECT_EQ(50, sf.f_files);
	EXPECT_EQ(rpc_fs_magic(), sf.f_type);
}

TEST_F(mnt, many_options_then_umount)
{
	char opts[1024], p[PATH_MAX];

	MOUNT_OK("size=1m,nr_inodes=1k,mode=700,uid=1,gid=2,size=4m,nr_inodes=64,mode=711");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=4096k");
	EXPECT_OPT(opts, "nr_inodes=64");
	EXPECT_OPT(opts, "mode=711");
	EXPECT_OPT(opts, "uid=1");
	EXPECT_OPT(opts, "gid=2");
	rpc_path(p, sizeof(p), self->dir, "f");
	ASSERT_EQ(0, rpc_write_file(p, "x", 1, 0644));
	ASSERT_EQ(0, umount2(self->dir, 0)) TH_LOG("umount: %s", strerror(errno));
	EXPECT_EQ(-ENOENT, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_EQ(-ENOENT, E(access(p, F_OK)));
}

TEST_F(mnt, two_mounts_are_independent)
{
	char o1[1024], o2[1024], p[PATH_MAX];

	MOUNT_OK("size=1m");
	ASSERT_EQ(0, rpc_mount_opts(self->dir2, "size=2m"));
	OPTS_OF(o1);
	ASSERT_EQ(0, rpc_mount_options(self->dir2, o2, sizeof(o2)));
	EXPECT_OPT(o1, "size=1024k");
	EXPECT_OPT(o2, "size=2048k");
	ASSERT_EQ(0, rpc_write_filef(self->dir, "only-in-one", "a", 1, 0644));
	rpc_path(p, sizeof(p), self->dir2, "only-in-one");
	EXPECT_EQ(-ENOENT, E(access(p, F_OK)));
}

TEST_F(mnt, new_mount_api_with_options)
{
	char opts[1024], msg[2048];
	struct stat st;
	int r;

	r = rpc_fsmount_opts(self->dir, "size=1m,nr_inodes=10,mode=700,uid=5,gid=6", msg, sizeof(msg));
	ASSERT_EQ(0, r) TH_LOG("fsmount: %s [%s]", strerror(-r), msg);
	OPTS_OF(opts);
	EXPECT_OPT(opts, "size=1024k");
	EXPECT_OPT(opts, "nr_inodes=10");
	EXPECT_OPT(opts, "mode=700");
	EXPECT_OPT(opts, "uid=5");
	EXPECT_OPT(opts, "gid=6");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(0700, LL(st.st_mode & 07777));
	EXPECT_EQ(5, LL(st.st_uid));
	EXPECT_EQ(6, LL(st.st_gid));
}

/* ---- bad values ---- */

/*
 * Inode numbers are the mount's own, as tmpfs's since 5.9: the root is 1,
 * new inodes count up from there (a hard link takes none), two mounts
 * number independently; inode64 is shown, inode32 (the default without
 * CONFIG_TMPFS_INODE64) is not, and remount may switch between them while
 * the numbers fit 32 bits.
 */
TEST_F(mnt, inode_numbers_are_the_mounts_own_and_inode64_is_shown)
{
	char opts[1024], p[PATH_MAX], q[PATH_MAX];
	struct stat st, st2;
	ino_t last = 1;

	MOUNT_OK("inode64");
	OPTS_OF(opts);
	EXPECT_OPT(opts, "inode64");
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(1, LL(st.st_ino));
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		ASSERT_EQ(0, rpc_write_filef(self->dir, name, "x", 1, 0644));
		rpc_path(p, sizeof(p), self->dir, name);
		ASSERT_EQ(0, stat(p, &st));
		EXPECT_LT(LL(last), LL(st.st_ino));
		last = st.st_ino;
	}
	rpc_path(p, sizeof(p), self->dir, "f0");
	rpc_path(q, sizeof(q), self->dir, "hard");
	ASSERT_EQ(0, link(p, q));
	ASSERT_EQ(0, stat(p, &st));
	ASSERT_EQ(0, stat(q, &st2));
	EXPECT_EQ(LL(st.st_ino), LL(st2.st_ino));
	ASSERT_EQ(0, rpc_remount(self->dir, "inode32"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_NO_OPT(opts, "inode64");
	EXPECT_NO_OPT(opts, "inode32");
	rpc_path(p, sizeof(p), self->dir, "after");
	ASSERT_EQ(0, rpc_write_filef(self->dir, "after", "x", 1, 0644));
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(LL(last) + 1, LL(st.st_ino)) TH_LOG("a hard link took no number");
	ASSERT_EQ(0, rpc_remount(self->dir, "inode64"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "inode64");
	/* A second mount numbers from 1 again. */
	ASSERT_EQ(0, rpc_mount_opts(self->dir2, ""));
	ASSERT_EQ(0, stat(self->dir2, &st));
	EXPECT_EQ(1, LL(st.st_ino));
	ASSERT_EQ(0, rpc_write_filef(self->dir2, "g", "x", 1, 0644));
	rpc_path(p, sizeof(p), self->dir2, "g");
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(2, LL(st.st_ino));
}

FIXTURE(bad) {
	char dir[64];
};

FIXTURE_VARIANT(bad) {
	const char *key;
	const char *value;	/* NULL: given as a flag without a value */
	const char *word;	/* what the error message must mention */
};

FIXTURE_VARIANT_ADD(bad, size_abc) { .key = "size", .value = "abc", .word = "size" };
FIXTURE_VARIANT_ADD(bad, size_10q) { .key = "size", .value = "10q", .word = "size" };
FIXTURE_VARIANT_ADD(bad, size_minus_1) { .key = "size", .value = "-1", .word = "size" };
FIXTURE_VARIANT_ADD(bad, size_empty) { .key = "size", .value = "", .word = "size" };
FIXTURE_VARIANT_ADD(bad, size_percent_junk) { .key = "size", .value = "10%x", .word = "size" };
FIXTURE_VARIANT_ADD(bad, size_flag) { .key = "size", .value = NULL, .word = "size" };
FIXTURE_VARIANT_ADD(bad, nr_inodes_xyz) { .key = "nr_inodes", .value = "xyz", .word = "nr_inodes" };
FIXTURE_VARIANT_ADD(bad, nr_inodes_minus_1) { .key = "nr_inodes", .value = "-1", .word = "nr_inodes" };
FIXTURE_VARIANT_ADD(bad, nr_inodes_10q) { .key = "nr_inodes", .value = "10q", .word = "nr_inodes" };
FIXTURE_VARIANT_ADD(bad, nr_inodes_percent) { .key = "nr_inodes", .value = "10%", .word = "nr_inodes" };
FIXTURE_VARIANT_ADD(bad, mode_9) { .key = "mode", .value = "9", .word = "mode" };
FIXTURE_VARIANT_ADD(bad, mode_8) { .key = "mode", .value = "8", .word = "mode" };
FIXTURE_VARIANT_ADD(bad, mode_abc) { .key = "mode", .value = "abc", .word = "mode" };
FIXTURE_VARIANT_ADD(bad, mode_minus_1) { .key = "mode", .value = "-1", .word = "mode" };
FIXTURE_VARIANT_ADD(bad, uid_abc) { .key = "uid", .value = "abc", .word = "uid" };
FIXTURE_VARIANT_ADD(bad, uid_minus_1) { .key = "uid", .value = "-1", .word = "uid" };
FIXTURE_VARIANT_ADD(bad, uid_4294967295) { .key = "uid", .value = "4294967295", .word = "uid" };
FIXTURE_VARIANT_ADD(bad, gid_abc) { .key = "gid", .value = "abc", .word = "gid" };
FIXTURE_VARIANT_ADD(bad, gid_4294967295) { .key = "gid", .value = "4294967295", .word = "gid" };
FIXTURE_VARIANT_ADD(bad, unknown_bogus) { .key = "bogus", .value = "1", .word = "bogus" };
FIXTURE_VARIANT_ADD(bad, unknown_flag) { .key = "bogusflag", .value = NULL, .word = "bogusflag" };

FIXTURE_SETUP(bad)
{
	self->dir[0] = '\0';
}

FIXTURE_TEARDOWN_PARENT(bad)
{
	rpc_umount(self->dir);
}

TEST_F(bad, mount2_fails_with_einval)
{
	char opt[128];
	int r;

	if (variant->value)
		snprintf(opt, sizeof(opt), "%s=%s", variant->key, variant->value);
	else
		snprintf(opt, sizeof(opt), "%s", variant->key);
	r = rpc_mount_opts(self->dir, opt);
	if (r == 0) {
		char opts[1024] = "";

		rpc_mount_options(self->dir, opts, sizeof(opts));
		TH_LOG("'%s' was accepted: %s", opt, opts);
	}
	ASSERT_EQ(-EINVAL, r);
	self->dir[0] = '\0';
}

TEST_F(bad, fsconfig_fails_with_einval_and_message)
{
	char msg[2048];
	int r;

	r = rpc_fsconfig_one(variant->key, variant->value, msg, sizeof(msg));
	ASSERT_EQ(-EINVAL, r) TH_LOG("fsconfig %s=%s: %d [%s]", variant->key,
				      variant->value ?: "(flag)", r, msg);
	EXPECT_TRUE(rpc_msg_is_error_about(msg, variant->word))
		TH_LOG("message does not start with 'e ' and mention '%s': [%s]", variant->word, msg);
}

TEST_F(bad, good_mount_works_after_rejection)
{
	char opt[128], opts[1024], buf[8];
	int r;

	if (variant->value)
		snprintf(opt, sizeof(opt), "%s=%s", variant->key, variant->value);
	else
		snprintf(opt, sizeof(opt), "%s", variant->key);
	/* The bad option, then a good one in the same option string: still rejected. */
	strcat(opt, ",size=1m");
	ASSERT_EQ(-EINVAL, rpc_mount_opts(self->dir, opt));
	self->dir[0] = '\0';
	r = rpc_mount_opts(self->dir, "size=1m,nr_inodes=10");
	ASSERT_EQ(0, r) TH_LOG("good mount after bad one: %s", strerror(-r));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_TRUE(rpc_has_opt(opts, "size=1024k"));
	EXPECT_TRUE(rpc_has_opt(opts, "nr_inodes=10"));
	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", "hello", 5, 0644));
	ASSERT_EQ(5, rpc_read_filef(self->dir, "f", buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/* ---- remount ---- */

FIXTURE(remount) {
	char dir[64];
};

FIXTURE_SETUP(remount)
{
	self->dir[0] = '\0';
}

FIXTURE_TEARDOWN_PARENT(remount)
{
	rpc_umount(self->dir);
}

static int make_files(const char *dir, int n, size_t len)
{
	char name[32], *buf = malloc(len ? len : 1);
	int r = 0;

	for (int i = 0; i < n && !r; i++) {
		snprintf(name, sizeof(name), "file%03d", i);
		rpc_fill_pattern(buf, len, i + 1, 0);
		r = rpc_write_filef(dir, name, buf, len, 0644);
	}
	free(buf);
	return r;
}

/* -1 if all n files hold their pattern, else the index of the first bad one. */
static int check_files(const char *dir, int n, size_t len)
{
	char name[32], *buf = malloc(len + 1);
	int bad = -1;

	for (int i = 0; i < n && bad < 0; i++) {
		snprintf(name, sizeof(name), "file%03d", i);
		if (rpc_read_filef(dir, name, buf, len + 1) != (ssize_t)len ||
		    rpc_check_pattern(buf, len, i + 1, 0) >= 0)
			bad = i;
	}
	free(buf);
	return bad;
}

TEST_F(remount, grow_size)
{
	char opts[1024];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m"));
	ASSERT_EQ(0, make_files(self->dir, 3, 10000));
	ASSERT_EQ(0, rpc_remount(self->dir, "size=2m"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=2048k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(2 * 1024 * 1024 / rpc_page_size(), sf.f_blocks);
	EXPECT_EQ(-1, check_files(self->dir, 3, 10000));
}

TEST_F(remount, shrink_size_above_use)
{
	char opts[1024];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=2m"));
	ASSERT_EQ(0, make_files(self->dir, 2, 8192));
	ASSERT_EQ(0, rpc_remount(self->dir, "size=1m"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=1024k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(1024 * 1024 / rpc_page_size(), sf.f_blocks);
	EXPECT_EQ(-1, check_files(self->dir, 2, 8192));
}

TEST_F(remount, change_nr_inodes)
{
	char opts[1024];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "nr_inodes=10"));
	ASSERT_EQ(0, rpc_remount(self->dir, "nr_inodes=20"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "nr_inodes=20");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(20, sf.f_files);
	EXPECT_EQ(19, sf.f_ffree);
	ASSERT_EQ(0, rpc_remount(self->dir, "nr_inodes=1k"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "nr_inodes=1024");
}

TEST_F(remount, size_and_nr_inodes_together)
{
	char opts[1024];

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m,nr_inodes=10"));
	ASSERT_EQ(0, rpc_remount(self->dir, "size=3m,nr_inodes=30"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=3072k");
	EXPECT_OPT(opts, "nr_inodes=30");
}

TEST_F(remount, without_options_keeps_limits)
{
	char opts[1024];

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m,nr_inodes=10,mode=700"));
	ASSERT_EQ(0, rpc_remount(self->dir, NULL));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=1024k");
	EXPECT_OPT(opts, "nr_inodes=10");
	EXPECT_OPT(opts, "mode=700");
}

TEST_F(remount, shrink_nr_inodes_below_use_fails_and_loses_nothing)
{
	char opts[1024];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "nr_inodes=20"));
	ASSERT_EQ(0, make_files(self->dir, 10, 3000));
	/* 11 inodes in use: the root and 10 files */
	ASSERT_EQ(-EINVAL, rpc_remount(self->dir, "nr_inodes=5"));
	ASSERT_EQ(-EINVAL, rpc_remount(self->dir, "nr_inodes=10"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "nr_inodes=20");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(20, sf.f_files);
	EXPECT_EQ(9, sf.f_ffree);
	EXPECT_EQ(10, rpc_count_entries(self->dir));
	EXPECT_EQ(-1, check_files(self->dir, 10, 3000));
	/* still fully usable */
	ASSERT_EQ(0, rpc_write_filef(self->dir, "more", "m", 1, 0644));
}

TEST_F(remount, shrink_nr_inodes_to_exact_use_succeeds)
{
	char opts[1024], p[PATH_MAX];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "nr_inodes=20"));
	ASSERT_EQ(0, make_files(self->dir, 10, 100));
	ASSERT_EQ(0, rpc_remount(self->dir, "nr_inodes=11"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "nr_inodes=11");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(11, sf.f_files);
	EXPECT_EQ(0, sf.f_ffree);
	rpc_path(p, sizeof(p), self->dir, "one-too-many");
	EXPECT_EQ(-ENOSPC, E(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)));
	EXPECT_EQ(-1, check_files(self->dir, 10, 100));
}

TEST_F(remount, shrink_size_below_use_fails_and_loses_nothing)
{
	char opts[1024];
	struct rpc_sfs sf, sf2;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m"));
	ASSERT_EQ(0, make_files(self->dir, 4, 128 * 1024));	/* 512 KiB in use */
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	ASSERT_EQ(-EINVAL, rpc_remount(self->dir, "size=256k"));
	ASSERT_EQ(-EINVAL, rpc_remount(self->dir, "size=508k"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=1024k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf2));
	EXPECT_EQ(sf.f_blocks, sf2.f_blocks);
	EXPECT_EQ(sf.f_bfree, sf2.f_bfree);
	EXPECT_EQ(-1, check_files(self->dir, 4, 128 * 1024));
}

TEST_F(remount, shrink_size_to_exact_use_succeeds)
{
	char opts[1024];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m"));
	ASSERT_EQ(0, make_files(self->dir, 4, 128 * 1024));
	ASSERT_EQ(0, rpc_remount(self->dir, "size=512k"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=512k");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(0, sf.f_bfree);
	EXPECT_EQ(-1, check_files(self->dir, 4, 128 * 1024));
}

TEST_F(remount, unlimited_size_cannot_be_limited)
{
	char opts[1024];

	/* tmpfs: "Cannot retroactively limit size" */
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=0"));
	EXPECT_EQ(-EINVAL, rpc_remount(self->dir, "size=1m"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=0k");
}

TEST_F(remount, unlimited_nr_inodes_cannot_be_limited)
{
	char opts[1024];

	/* tmpfs: "Cannot retroactively limit inodes" */
	ASSERT_EQ(0, rpc_mount_opts(self->dir, "nr_inodes=0"));
	EXPECT_EQ(-EINVAL, rpc_remount(self->dir, "nr_inodes=100"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "nr_inodes=0");
}

TEST_F(remount, limited_can_become_unlimited)
{
	char opts[1024];
	struct rpc_sfs sf;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m,nr_inodes=10"));
	ASSERT_EQ(0, make_files(self->dir, 2, 5000));
	ASSERT_EQ(0, rpc_remount(self->dir, "size=0,nr_inodes=0"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=0k");
	EXPECT_OPT(opts, "nr_inodes=0");
	ASSERT_EQ(0, rpc_statfs(self->dir, &sf));
	EXPECT_EQ(0, sf.f_blocks);
	EXPECT_EQ(0, sf.f_files);
	EXPECT_EQ(-1, check_files(self->dir, 2, 5000));
}

TEST_F(remount, bad_value_is_rejected_and_keeps_options)
{
	char opts[1024];

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m,nr_inodes=10"));
	EXPECT_EQ(-EINVAL, rpc_remount(self->dir, "size=abc"));
	EXPECT_EQ(-EINVAL, rpc_remount(self->dir, "nr_inodes=xyz"));
	EXPECT_EQ(-EINVAL, rpc_remount(self->dir, "bogus=1"));
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=1024k");
	EXPECT_OPT(opts, "nr_inodes=10");
}

TEST_F(remount, fspick_reconfigure_below_use_fails_with_message)
{
	char opts[1024], msg[2048];
	int fd, r;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "nr_inodes=20"));
	ASSERT_EQ(0, make_files(self->dir, 5, 10));
	fd = syscall(__NR_fspick, AT_FDCWD, self->dir, RPC_FSPICK_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("fspick: %s", strerror(errno));
	ASSERT_EQ(0, rpc_fsconfig(fd, RPC_FSCONFIG_SET_STRING, "nr_inodes", "2", 0))
		TH_LOG("fsconfig: %s", strerror(errno));
	r = E(rpc_fsconfig(fd, RPC_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	rpc_fs_messages(fd, msg, sizeof(msg));
	close(fd);
	EXPECT_EQ(-EINVAL, r);
	EXPECT_TRUE(rpc_msg_is_error_about(msg, "")) TH_LOG("no error message: [%s]", msg);
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "nr_inodes=20");
	EXPECT_EQ(-1, check_files(self->dir, 5, 10));
}

TEST_F(remount, fspick_reconfigure_grows_size)
{
	char opts[1024], msg[2048];
	int fd, r;

	ASSERT_EQ(0, rpc_mount_opts(self->dir, "size=1m"));
	fd = syscall(__NR_fspick, AT_FDCWD, self->dir, RPC_FSPICK_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("fspick: %s", strerror(errno));
	ASSERT_EQ(0, rpc_fsconfig(fd, RPC_FSCONFIG_SET_STRING, "size", "8m", 0));
	r = E(rpc_fsconfig(fd, RPC_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	rpc_fs_messages(fd, msg, sizeof(msg));
	close(fd);
	ASSERT_EQ(0, r) TH_LOG("reconfigure: [%s]", msg);
	ASSERT_EQ(0, rpc_mount_options(self->dir, opts, sizeof(opts)));
	EXPECT_OPT(opts, "size=8192k");
}

TEST_HARNESS_MAIN
