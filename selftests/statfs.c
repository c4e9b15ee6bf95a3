// SPDX-License-Identifier: GPL-2.0
/*
 * statfs(2) of rust_pagecache, which must match tmpfs: f_type magic,
 * f_bsize = page size, f_namelen = 255, f_blocks from size=, f_files from
 * nr_inodes=, f_ffree and f_bfree tracking exactly what is in use.
 *
 * tmpfs behaviour this encodes (checked on the host):
 *  - The root directory takes one inode: nr_inodes=100 gives f_ffree 99.
 *  - Every file, directory, symlink and device node takes one inode, and
 *    so does every extra hard link (mm/shmem.c reserves an inode per link);
 *    unlinking gives it back. Data pages are the only blocks that count:
 *    f_bfree drops by one per page touched, holes cost nothing.
 *  - An unlinked file that is still open keeps its inode and its blocks
 *    until the last close.
 *  - size=0,nr_inodes=0 (unlimited) report f_blocks = f_bfree = f_bavail =
 *    f_files = f_ffree = 0.
 */
#include "rpc_util.h"
#include "kselftest_harness.h"

#define MIB (1024 * 1024)

FIXTURE(sfs) {
	char dir[64];
	int dfd;
	long ps;
};

FIXTURE_SETUP(sfs)
{
	int r;

	umask(0);
	self->ps = rpc_page_size();
	r = rpc_mount_opts(self->dir, "size=16m,nr_inodes=100");
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
	self->dfd = open(self->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dfd);
}

FIXTURE_TEARDOWN_PARENT(sfs)
{
	rpc_umount(self->dir);
}

static struct rpc_sfs get(struct __test_metadata *_metadata, const char *dir)
{
	struct rpc_sfs s;
	int r = rpc_statfs(dir, &s);

	EXPECT_EQ(0, r) TH_LOG("statfs %s: %s", dir, strerror(-r));
	return s;
}

#define GET() get(_metadata, self->dir)

/* Write len bytes of pattern to a new file; returns 0 or -errno. */
static int write_new(int dfd, const char *name, size_t len)
{
	char *buf = malloc(len ? len : 1);
	int fd, r = 0;

	if (!buf)
		return -ENOMEM;
	rpc_fill_pattern(buf, len, 7, 0);
	fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	if (rpc_pwrite_full(fd, buf, len, 0) != (ssize_t)len)
		r = -ENOSPC;
	close(fd);
	free(buf);
	return r;
}

TEST_F(sfs, f_type_is_the_fs_magic)
{
	struct rpc_sfs s = GET();
	char p[PATH_MAX];

	EXPECT_EQ(rpc_fs_magic(), s.f_type) TH_LOG("f_type 0x%llx", s.f_type);
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, write_new(self->dfd, "d/f", 10));
	rpc_path(p, sizeof(p), self->dir, "d/f");
	s = get(_metadata, p);
	EXPECT_EQ(rpc_fs_magic(), s.f_type);
}

TEST_F(sfs, fstatfs_matches_statfs)
{
	struct rpc_sfs s = GET();
	struct statfs f;

	ASSERT_EQ(0, fstatfs(self->dfd, &f));
	EXPECT_EQ(s.f_type, LL((unsigned long)f.f_type));
	EXPECT_EQ(s.f_blocks, LL(f.f_blocks));
	EXPECT_EQ(s.f_files, LL(f.f_files));
	EXPECT_EQ(s.f_ffree, LL(f.f_ffree));
}

TEST_F(sfs, f_bsize_is_page_size)
{
	struct rpc_sfs s = GET();

	EXPECT_EQ(self->ps, s.f_bsize);
	EXPECT_EQ(self->ps, s.f_frsize);
}

TEST_F(sfs, f_namelen_is_255)
{
	EXPECT_EQ(255, GET().f_namelen);
}

TEST_F(sfs, f_blocks_is_size_in_pages)
{
	struct rpc_sfs s = GET();

	EXPECT_EQ(16 * MIB / self->ps, s.f_blocks);
	EXPECT_EQ(s.f_blocks, s.f_bfree);
	EXPECT_EQ(s.f_blocks, s.f_bavail);
}

TEST_F(sfs, f_files_is_nr_inodes_and_root_uses_one)
{
	struct rpc_sfs s = GET();

	EXPECT_EQ(100, s.f_files);
	EXPECT_EQ(99, s.f_ffree);
}

TEST_F(sfs, f_ffree_drops_by_one_per_inode_and_comes_back)
{
	static const char *const names[] = { "file", "dir", "link", "longlink", "fifo", "chr" };
	struct rpc_sfs s0 = GET(), s;
	char longtarget[3000];

	memset(longtarget, 'l', sizeof(longtarget) - 1);
	longtarget[sizeof(longtarget) - 1] = '\0';

	ASSERT_EQ(0, write_new(self->dfd, "file", 0));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 1, s.f_ffree);
	ASSERT_EQ(0, mkdirat(self->dfd, "dir", 0755));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 2, s.f_ffree);
	ASSERT_EQ(0, symlinkat("file", self->dfd, "link"));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 3, s.f_ffree);
	ASSERT_EQ(0, symlinkat(longtarget, self->dfd, "longlink"));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 4, s.f_ffree);
	ASSERT_EQ(0, mknodat(self->dfd, "fifo", S_IFIFO | 0644, 0));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 5, s.f_ffree);
	ASSERT_EQ(0, mknodat(self->dfd, "chr", S_IFCHR | 0644, makedev(1, 3)));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 6, s.f_ffree);
	EXPECT_EQ(s0.f_files, s.f_files);

	for (int i = 0; i < 6; i++) {
		ASSERT_EQ(0, unlinkat(self->dfd, names[i], i == 1 ? AT_REMOVEDIR : 0));
		s = GET();
		EXPECT_EQ(s0.f_ffree - 5 + i, s.f_ffree) TH_LOG("after removing %s", names[i]);
	}
}

TEST_F(sfs, f_ffree_counts_files_in_subdirectories)
{
	struct rpc_sfs s0 = GET(), s;

	ASSERT_EQ(0, mkdirat(self->dfd, "a", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "a/b", 0755));
	for (int i = 0; i < 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "a/b/f%d", i);
		ASSERT_EQ(0, write_new(self->dfd, name, 1));
	}
	s = GET();
	EXPECT_EQ(s0.f_ffree - 12, s.f_ffree);
	/* renames do not change inode usage */
	ASSERT_EQ(0, renameat(self->dfd, "a/b/f0", self->dfd, "top"));
	ASSERT_EQ(0, renameat(self->dfd, "a/b/f1", self->dfd, "a/b/f2"));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 11, s.f_ffree);
}

TEST_F(sfs, hard_link_takes_an_inode_like_tmpfs)
{
	struct rpc_sfs s0, s;

	ASSERT_EQ(0, write_new(self->dfd, "f", 100));
	s0 = GET();
	ASSERT_EQ(0, linkat(self->dfd, "f", self->dfd, "g", 0));
	s = GET();
	EXPECT_EQ(s0.f_ffree - 1, s.f_ffree);
	EXPECT_EQ(s0.f_bfree, s.f_bfree);
	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0));
	s = GET();
	EXPECT_EQ(s0.f_ffree, s.f_ffree);
	ASSERT_EQ(0, unlinkat(self->dfd, "g", 0));
	s = GET();
	EXPECT_EQ(s0.f_ffree + 1, s.f_ffree);
}

TEST_F(sfs, one_mib_written_takes_exactly_its_pages)
{
	struct rpc_sfs s0 = GET(), s;

	ASSERT_EQ(0, write_new(self->dfd, "f", MIB));
	s = GET();
	EXPECT_EQ(s0.f_bfree - MIB / self->ps, s.f_bfree) TH_LOG("1 MiB should take %ld pages", MIB / self->ps);
	EXPECT_EQ(s.f_bfree, s.f_bavail);
	EXPECT_EQ(s0.f_blocks, s.f_blocks);
	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0));
	s = GET();
	EXPECT_EQ(s0.f_bfree, s.f_bfree);
	EXPECT_EQ(s0.f_ffree, s.f_ffree);
}

TEST_F(sfs, partial_pages_count_as_whole_pages)
{
	struct rpc_sfs s0 = GET(), s;

	ASSERT_EQ(0, write_new(self->dfd, "one", 1));
	s = GET();
	EXPECT_EQ(s0.f_bfree - 1, s.f_bfree);
	ASSERT_EQ(0, write_new(self->dfd, "pagep1", self->ps + 1));
	s = GET();
	EXPECT_EQ(s0.f_bfree - 3, s.f_bfree);
	ASSERT_EQ(0, write_new(self->dfd, "empty", 0));
	s = GET();
	EXPECT_EQ(s0.f_bfree - 3, s.f_bfree);
}

TEST_F(sfs, truncate_gives_blocks_back)
{
	struct rpc_sfs s0 = GET(), s;
	int fd;

	ASSERT_EQ(0, write_new(self->dfd, "f", MIB));
	fd = openat(self->dfd, "f", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, MIB / 2)) TH_LOG("ftruncate: %s", strerror(errno));
	s = GET();
	EXPECT_EQ(s0.f_bfree - MIB / 2 / self->ps, s.f_bfree);
	/* a partial last page is kept */
	ASSERT_EQ(0, ftruncate(fd, self->ps + 10));
	s = GET();
	EXPECT_EQ(s0.f_bfree - 2, s.f_bfree);
	ASSERT_EQ(0, ftruncate(fd, 0));
	s = GET();
	EXPECT_EQ(s0.f_bfree, s.f_bfree);
	/* extending leaves a hole: no blocks */
	ASSERT_EQ(0, ftruncate(fd, 8 * MIB));
	s = GET();
	EXPECT_EQ(s0.f_bfree, s.f_bfree);
	close(fd);
}

TEST_F(sfs, sparse_writes_take_only_touched_pages)
{
	struct rpc_sfs s0 = GET(), s;
	int fd;

	fd = openat(self->dfd, "sparse", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, "x", 1, 4 * MIB));
	ASSERT_EQ(1, pwrite(fd, "y", 1, 10 * MIB));
	s = GET();
	EXPECT_EQ(s0.f_bfree - 2, s.f_bfree);
	close(fd);
}

TEST_F(sfs, st_blocks_of_a_file_counts_its_pages)
{
	struct stat st;

	ASSERT_EQ(0, write_new(self->dfd, "f", MIB));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(MIB / 512, LL(st.st_blocks));
	ASSERT_EQ(0, write_new(self->dfd, "g", 1));
	ASSERT_EQ(0, fstatat(self->dfd, "g", &st, 0));
	EXPECT_EQ(self->ps / 512, LL(st.st_blocks));
	EXPECT_EQ(1, LL(st.st_size));
}

TEST_F(sfs, open_unlinked_file_keeps_its_space_until_close)
{
	struct rpc_sfs s0 = GET(), s;
	int fd;

	ASSERT_EQ(0, write_new(self->dfd, "f", MIB));
	fd = openat(self->dfd, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0));
	s = GET();
	EXPECT_EQ(s0.f_bfree - MIB / self->ps, s.f_bfree);
	EXPECT_EQ(s0.f_ffree - 1, s.f_ffree);
	close(fd);
	s = GET();
	EXPECT_EQ(s0.f_bfree, s.f_bfree);
	EXPECT_EQ(s0.f_ffree, s.f_ffree);
}

TEST_F(sfs, overwrite_does_not_take_more_blocks)
{
	struct rpc_sfs s1, s2;
	char buf[4096];
	int fd;

	ASSERT_EQ(0, write_new(self->dfd, "f", 64 * 1024));
	s1 = GET();
	fd = openat(self->dfd, "f", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(buf, 0xab, sizeof(buf));
	for (int i = 0; i < 16; i++)
		ASSERT_EQ((ssize_t)sizeof(buf), pwrite(fd, buf, sizeof(buf), i * sizeof(buf)));
	close(fd);
	s2 = GET();
	EXPECT_EQ(s1.f_bfree, s2.f_bfree);
}

/* ---- unlimited ---- */

FIXTURE(unlimited) {
	char dir[64];
};

FIXTURE_SETUP(unlimited)
{
	int r = rpc_mount_opts(self->dir, "size=0,nr_inodes=0");

	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(unlimited)
{
	rpc_umount(self->dir);
}

TEST_F(unlimited, reports_zero_blocks_and_files)
{
	struct rpc_sfs s = get(_metadata, self->dir);

	EXPECT_EQ(rpc_fs_magic(), s.f_type);
	EXPECT_EQ(0, s.f_blocks);
	EXPECT_EQ(0, s.f_bfree);
	EXPECT_EQ(0, s.f_bavail);
	EXPECT_EQ(0, s.f_files);
	EXPECT_EQ(0, s.f_ffree);
	EXPECT_EQ(rpc_page_size(), s.f_bsize);
	EXPECT_EQ(255, s.f_namelen);
}

TEST_F(unlimited, still_zero_after_use)
{
	char p[PATH_MAX];
	char *buf = calloc(1, MIB);
	struct rpc_sfs s;

	ASSERT_NE(NULL, buf);
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "%s/f%d", self->dir, i);
		ASSERT_EQ(0, rpc_write_file(p, buf, i == 0 ? MIB : 10, 0644));
	}
	free(buf);
	s = get(_metadata, self->dir);
	EXPECT_EQ(0, s.f_blocks);
	EXPECT_EQ(0, s.f_bfree);
	EXPECT_EQ(0, s.f_files);
	EXPECT_EQ(0, s.f_ffree);
}

/* Limiting only one of the two. */
TEST(only_size_limited_reports_blocks_but_unlimited_files)
{
	char dir[64];
	struct rpc_sfs s;
	int r;

	r = rpc_mount_opts(dir, "size=2m,nr_inodes=0");
	ASSERT_EQ(0, r) TH_LOG("mount: %s", strerror(-r));
	r = rpc_statfs(dir, &s);
	rpc_umount(dir);
	ASSERT_EQ(0, r);
	EXPECT_EQ(2 * MIB / rpc_page_size(), s.f_blocks);
	EXPECT_EQ(0, s.f_files);
	EXPECT_EQ(0, s.f_ffree);
}

TEST(only_nr_inodes_limited_reports_files_but_unlimited_blocks)
{
	char dir[64];
	struct rpc_sfs s;
	int r;

	r = rpc_mount_opts(dir, "size=0,nr_inodes=7");
	ASSERT_EQ(0, r) TH_LOG("mount: %s", strerror(-r));
	r = rpc_statfs(dir, &s);
	rpc_umount(dir);
	ASSERT_EQ(0, r);
	EXPECT_EQ(0, s.f_blocks);
	EXPECT_EQ(0, s.f_bfree);
	EXPECT_EQ(7, s.f_files);
	EXPECT_EQ(6, s.f_ffree);
}

TEST_HARNESS_MAIN
