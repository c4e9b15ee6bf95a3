// SPDX-License-Identifier: GPL-2.0
/*
 * Running out of inodes (nr_inodes=) and of space (size=): ENOSPC from
 * every kind of create and from write, nothing written before is lost,
 * and freeing inodes or space makes the filesystem usable again.
 *
 * tmpfs behaviour this encodes (checked on the host):
 *  - nr_inodes=16 leaves 15 for use: the root directory takes one.
 *  - open(O_CREAT), mkdir, symlink, mknod and also link() fail with ENOSPC
 *    when no inode is left: tmpfs charges an inode per extra hard link.
 *  - rename needs no inode and still works when full.
 *  - Only data pages use space: size=1m holds exactly 1 MiB of data over
 *    all files; a write crossing into a page that cannot be allocated
 *    returns a short count (the bytes up to the page boundary), the next
 *    write fails with ENOSPC and the file size stays at what was written.
 *    Creating empty files and directories still works when the space is
 *    full.
 */
#include "rpc_util.h"
#include "kselftest_harness.h"

#define KIB 1024
#define MIB (1024 * 1024)

/* ---- inodes ---- */

enum kind { K_FILE, K_DIR, K_SYMLINK, K_FIFO, K_MKNOD_REG, K_HARDLINK };

FIXTURE(inodes) {
	char dir[64];
	int dfd;
};

FIXTURE_VARIANT(inodes) {
	enum kind kind;
};

FIXTURE_VARIANT_ADD(inodes, files) { .kind = K_FILE };
FIXTURE_VARIANT_ADD(inodes, dirs) { .kind = K_DIR };
FIXTURE_VARIANT_ADD(inodes, symlinks) { .kind = K_SYMLINK };
FIXTURE_VARIANT_ADD(inodes, fifos) { .kind = K_FIFO };
FIXTURE_VARIANT_ADD(inodes, mknod_regular) { .kind = K_MKNOD_REG };
FIXTURE_VARIANT_ADD(inodes, hardlinks) { .kind = K_HARDLINK };

#define NR_INODES 16

FIXTURE_SETUP(inodes)
{
	int r;

	umask(0);
	r = rpc_mount_opts(self->dir, "nr_inodes=16,size=8m");
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
	self->dfd = open(self->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dfd);
}

FIXTURE_TEARDOWN_PARENT(inodes)
{
	rpc_umount(self->dir);
}

static size_t pattern_len(int i)
{
	return 100 + i * 997;
}

/* A regular file with a pattern that identifies it. 0 or -errno. */
static int make_data_file(int dfd, const char *name, int i)
{
	size_t len = pattern_len(i);
	char *buf = malloc(len);
	int fd, r = 0;

	rpc_fill_pattern(buf, len, 1000 + i, 0);
	fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
	} else {
		if (rpc_pwrite_full(fd, buf, len, 0) != (ssize_t)len)
			r = -EIO;
		close(fd);
	}
	free(buf);
	return r;
}

/* 1 if name holds the pattern of make_data_file(i), else 0. */
static int data_file_ok(int dfd, const char *name, int i)
{
	size_t len = pattern_len(i);
	char *buf = malloc(len + 1);
	int fd, ok = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ok = rpc_pread_full(fd, buf, len + 1, 0) == (ssize_t)len &&
		     rpc_check_pattern(buf, len, 1000 + i, 0) < 0;
		close(fd);
	}
	free(buf);
	return ok;
}

static int create_kind(int dfd, enum kind kind, const char *name, int i)
{
	switch (kind) {
	case K_FILE:
		return make_data_file(dfd, name, i);
	case K_DIR:
		return mkdirat(dfd, name, 0755) ? -errno : 0;
	case K_SYMLINK: {
		char target[64];

		snprintf(target, sizeof(target), "target-of-%d", i);
		return symlinkat(target, dfd, name) ? -errno : 0;
	}
	case K_FIFO:
		return mknodat(dfd, name, S_IFIFO | 0644, 0) ? -errno : 0;
	case K_MKNOD_REG:
		return mknodat(dfd, name, S_IFREG | 0644, 0) ? -errno : 0;
	case K_HARDLINK:
		return linkat(dfd, "base", dfd, name, 0) ? -errno : 0;
	}
	return -EINVAL;
}

static int check_kind(int dfd, enum kind kind, const char *name, int i)
{
	struct stat st;
	char buf[64], want[64];
	ssize_t r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	switch (kind) {
	case K_FILE:
		return S_ISREG(st.st_mode) && data_file_ok(dfd, name, i);
	case K_DIR:
		return S_ISDIR(st.st_mode);
	case K_SYMLINK:
		snprintf(want, sizeof(want), "target-of-%d", i);
		r = readlinkat(dfd, name, buf, sizeof(buf));
		return S_ISLNK(st.st_mode) && r == (ssize_t)strlen(want) && !memcmp(buf, want, r);
	case K_FIFO:
		return S_ISFIFO(st.st_mode);
	case K_MKNOD_REG:
		return S_ISREG(st.st_mode) && st.st_size == 0;
	case K_HARDLINK:
		return S_ISREG(st.st_mode) && data_file_ok(dfd, name, 0);
	}
	return 0;
}

/* Create entries n000, n001, ... until ENOSPC; returns how many worked. */
static int fill(struct __test_metadata *_metadata, int dfd, enum kind kind)
{
	int n = 0, r;

	if (kind == K_HARDLINK) {
		r = make_data_file(dfd, "base", 0);
		EXPECT_EQ(0, r);
		if (r)
			return 0;
		n = 1;
	}
	for (;; n++) {
		char name[32];

		snprintf(name, sizeof(name), "n%03d", n);
		r = create_kind(dfd, kind, name, n);
		if (r == -ENOSPC) {
			EXPECT_EQ(-ENOENT, E(faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW)))
				TH_LOG("%s exists after ENOSPC", name);
			break;
		}
		EXPECT_EQ(0, r) TH_LOG("create %s: %s", name, strerror(-r));
		if (r || n > 10 * NR_INODES)
			break;
	}
	return n;
}

static const char *entry_name(char *buf, size_t len, enum kind kind, int i)
{
	if (kind == K_HARDLINK && i == 0)
		snprintf(buf, len, "base");
	else
		snprintf(buf, len, "n%03d", i);
	return buf;
}

TEST_F(inodes, fill_until_enospc_keeps_everything)
{
	struct rpc_sfs s;
	int n;

	n = fill(_metadata, self->dfd, variant->kind);
	/* the root directory takes one inode */
	EXPECT_EQ(NR_INODES - 1, n);
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(0, s.f_ffree);
	for (int i = 0; i < n; i++) {
		char name[32];

		entry_name(name, sizeof(name), variant->kind, i);
		EXPECT_TRUE(check_kind(self->dfd, variant->kind, name, i)) TH_LOG("%s damaged or gone", name);
	}
	EXPECT_EQ(n, rpc_count_entries(self->dir));
}

TEST_F(inodes, every_kind_of_create_is_enospc_when_full)
{
	int n, fd;

	n = fill(_metadata, self->dfd, variant->kind);
	ASSERT_EQ(NR_INODES - 1, n);
	fd = openat(self->dfd, "x-file", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ENOSPC, errno);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ENOSPC, E(mkdirat(self->dfd, "x-dir", 0755)));
	EXPECT_EQ(-ENOSPC, E(symlinkat("t", self->dfd, "x-symlink")));
	EXPECT_EQ(-ENOSPC, E(mknodat(self->dfd, "x-fifo", S_IFIFO | 0644, 0)));
	EXPECT_EQ(-ENOSPC, E(mknodat(self->dfd, "x-chr", S_IFCHR | 0644, makedev(1, 3))));
	EXPECT_EQ(-ENOSPC, E(mknodat(self->dfd, "x-reg", S_IFREG | 0644, 0)));
	if (variant->kind == K_FILE || variant->kind == K_HARDLINK || variant->kind == K_MKNOD_REG) {
		char name[32];

		entry_name(name, sizeof(name), variant->kind, 0);
		/* tmpfs charges an inode for every extra hard link */
		EXPECT_EQ(-ENOSPC, E(linkat(self->dfd, name, self->dfd, "x-link", 0)));
	}
	EXPECT_EQ(n, rpc_count_entries(self->dir));
}

TEST_F(inodes, rename_still_works_when_full)
{
	char name[32];
	int n;

	n = fill(_metadata, self->dfd, variant->kind);
	ASSERT_EQ(NR_INODES - 1, n);
	ASSERT_EQ(0, renameat(self->dfd, "n001", self->dfd, "renamed")) TH_LOG("rename: %s", strerror(errno));
	EXPECT_TRUE(check_kind(self->dfd, variant->kind, "renamed", 1));
	if (variant->kind != K_DIR) {
		/* replacing frees the replaced inode */
		ASSERT_EQ(0, renameat(self->dfd, "n002", self->dfd, "n003"));
		EXPECT_TRUE(check_kind(self->dfd, variant->kind, "n003", 2));
		if (variant->kind == K_HARDLINK) {
			/* n002 and n003 were links to the same inode: the
			 * rename is a no-op and frees nothing */
			EXPECT_EQ(0, E(faccessat(self->dfd, "n002", F_OK, 0)));
		} else {
			EXPECT_EQ(0, create_kind(self->dfd, variant->kind, "again", 20));
		}
	}
	entry_name(name, sizeof(name), variant->kind, 0);
	EXPECT_TRUE(check_kind(self->dfd, variant->kind, name, 0));
}

TEST_F(inodes, freeing_one_allows_one_more)
{
	struct rpc_sfs s;
	int n;

	n = fill(_metadata, self->dfd, variant->kind);
	ASSERT_EQ(NR_INODES - 1, n);
	ASSERT_EQ(0, unlinkat(self->dfd, "n005", variant->kind == K_DIR ? AT_REMOVEDIR : 0));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(1, s.f_ffree);
	EXPECT_EQ(0, create_kind(self->dfd, variant->kind, "n005", 5));
	EXPECT_TRUE(check_kind(self->dfd, variant->kind, "n005", 5));
	EXPECT_EQ(-ENOSPC, create_kind(self->dfd, variant->kind, "n099", 99));
}

TEST_F(inodes, fill_and_empty_three_times_leaks_nothing)
{
	for (int round = 0; round < 3; round++) {
		struct rpc_sfs s;
		int n = fill(_metadata, self->dfd, variant->kind);

		ASSERT_EQ(NR_INODES - 1, n) TH_LOG("round %d", round);
		for (int i = n - 1; i >= 0; i--) {
			char name[32];

			entry_name(name, sizeof(name), variant->kind, i);
			ASSERT_EQ(0, unlinkat(self->dfd, name, variant->kind == K_DIR ? AT_REMOVEDIR : 0))
				TH_LOG("unlink %s: %s", name, strerror(errno));
		}
		ASSERT_EQ(0, rpc_statfs(self->dir, &s));
		EXPECT_EQ(NR_INODES - 1, s.f_ffree) TH_LOG("round %d", round);
		EXPECT_EQ(0, rpc_count_entries(self->dir));
	}
}

TEST_F(inodes, raising_nr_inodes_by_remount_allows_more)
{
	int n;

	n = fill(_metadata, self->dfd, variant->kind);
	ASSERT_EQ(NR_INODES - 1, n);
	ASSERT_EQ(0, rpc_remount(self->dir, "nr_inodes=20"));
	for (int i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "more%d", i);
		EXPECT_EQ(0, create_kind(self->dfd, variant->kind, name, 50 + i)) TH_LOG("%s", name);
	}
	EXPECT_EQ(-ENOSPC, create_kind(self->dfd, variant->kind, "more4", 54));
}

/* ---- space ---- */

FIXTURE(space) {
	char dir[64];
	int dfd;
	long ps;
};

FIXTURE_SETUP(space)
{
	int r;

	umask(0);
	self->ps = rpc_page_size();
	r = rpc_mount_opts(self->dir, "size=1m,nr_inodes=100");
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
	self->dfd = open(self->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dfd);
}

FIXTURE_TEARDOWN_PARENT(space)
{
	rpc_umount(self->dir);
}

/*
 * Append chunk-sized pattern writes to fd until a write fails. Returns the
 * number of bytes written; *err gets the errno of the failing write and
 * *shorts the number of short writes seen.
 */
static long long write_until_full(int fd, size_t chunk, uint32_t seed, int *err, int *shorts)
{
	char *buf = malloc(chunk);
	long long total = 0;

	*err = 0;
	*shorts = 0;
	for (;;) {
		ssize_t r;

		rpc_fill_pattern(buf, chunk, seed, total);
		r = write(fd, buf, chunk);
		if (r < 0) {
			*err = errno;
			break;
		}
		if (r == 0) {
			*err = -1;
			break;
		}
		if ((size_t)r < chunk)
			(*shorts)++;
		total += r;
		if (total > 64LL * MIB)
			break;
	}
	free(buf);
	return total;
}

/* -1 if the first len bytes of name are pattern seed and the size is len. */
static long long verify_file(int dfd, const char *name, long long len, uint32_t seed)
{
	char *buf = malloc(len + 1);
	long long bad = -1;
	struct stat st;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -2;
	}
	if (fstat(fd, &st) || st.st_size != len)
		bad = -3;
	else if (rpc_pread_full(fd, buf, len + 1, 0) != len)
		bad = -4;
	else
		bad = rpc_check_pattern(buf, len, seed, 0);
	close(fd);
	free(buf);
	return bad;
}

TEST_F(space, write_until_enospc_everything_written_reads_back)
{
	long long total;
	int fd, err, shorts;

	char *other = malloc(64 * KIB);

	ASSERT_NE(NULL, other);
	rpc_fill_pattern(other, 64 * KIB, 99, 0);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "other", other, 64 * KIB, 0644));
	free(other);
	fd = openat(self->dfd, "fill", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	/* 1000-byte writes: the last successful one straddles a page boundary */
	total = write_until_full(fd, 1000, 5, &err, &shorts);
	EXPECT_EQ(ENOSPC, err) TH_LOG("write ended with %s", strerror(err));
	EXPECT_EQ(1, shorts) TH_LOG("expected exactly one short write before ENOSPC");
	/* tmpfs: exactly the space left, to the byte */
	EXPECT_EQ(MIB - 64 * KIB, total);
	/* a further write still fails and does not grow the file */
	EXPECT_EQ(-ENOSPC, E(write(fd, "z", 1)));
	close(fd);
	EXPECT_EQ(-1, verify_file(self->dfd, "fill", total, 5));
	EXPECT_EQ(-1, verify_file(self->dfd, "other", 64 * KIB, 99));
}

TEST_F(space, one_big_write_returns_short_count)
{
	char *buf = malloc(2 * MIB);
	ssize_t r;
	int fd;

	ASSERT_NE(NULL, buf);
	rpc_fill_pattern(buf, 2 * MIB, 6, 0);
	fd = openat(self->dfd, "big", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	r = write(fd, buf, 2 * MIB);
	EXPECT_EQ(MIB, r) TH_LOG("write: %zd (%s)", r, r < 0 ? strerror(errno) : "");
	EXPECT_EQ(-ENOSPC, E(write(fd, buf, 100)));
	close(fd);
	free(buf);
	EXPECT_EQ(-1, verify_file(self->dfd, "big", MIB, 6));
}

TEST_F(space, pwrite_into_a_hole_when_full_is_enospc)
{
	char *buf = calloc(1, MIB);
	struct stat st;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "full", buf, MIB, 0644));
	free(buf);
	fd = openat(self->dfd, "sparse", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	/* extending by truncate needs no space */
	ASSERT_EQ(0, ftruncate(fd, 4 * MIB)) TH_LOG("ftruncate: %s", strerror(errno));
	EXPECT_EQ(-ENOSPC, E(pwrite(fd, "x", 1, 2 * MIB)));
	EXPECT_EQ(-ENOSPC, E(pwrite(fd, "x", 1, 8 * MIB)));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(4 * MIB, LL(st.st_size));
	close(fd);
}

TEST_F(space, creating_empty_inodes_needs_no_space)
{
	char *buf = calloc(1, MIB);
	struct rpc_sfs s;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "full", buf, MIB, 0644));
	free(buf);
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(0, s.f_bfree);
	EXPECT_EQ(0, rpc_write_filef(self->dir, "empty", NULL, 0, 0644));
	EXPECT_EQ(0, E(mkdirat(self->dfd, "dir", 0755)));
	EXPECT_EQ(0, E(symlinkat("short", self->dfd, "link")));
	EXPECT_EQ(0, E(mknodat(self->dfd, "fifo", S_IFIFO | 0644, 0)));
	EXPECT_EQ(-ENOSPC, rpc_write_filef(self->dir, "nonempty", "x", 1, 0644));
}

TEST_F(space, truncate_frees_space_and_writing_works_again)
{
	long long total, more;
	struct rpc_sfs s;
	int fd, err, shorts;
	char *buf;

	fd = openat(self->dfd, "fill", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	total = write_until_full(fd, 3000, 7, &err, &shorts);
	ASSERT_EQ(ENOSPC, err);
	ASSERT_EQ(MIB, total);
	ASSERT_EQ(0, ftruncate(fd, MIB / 2));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(MIB / 2 / self->ps, s.f_bfree);
	/* continue the same pattern from the new end */
	ASSERT_EQ(MIB / 2, lseek(fd, 0, SEEK_END));
	buf = malloc(MIB);
	ASSERT_NE(NULL, buf);
	rpc_fill_pattern(buf, MIB, 7, MIB / 2);
	more = write(fd, buf, MIB);
	free(buf);
	EXPECT_EQ(MIB / 2, more);
	EXPECT_EQ(-ENOSPC, E(write(fd, "x", 1)));
	close(fd);
	EXPECT_EQ(-1, verify_file(self->dfd, "fill", MIB, 7));
}

TEST_F(space, unlink_frees_space_and_writing_works_again)
{
	long long total;
	struct rpc_sfs s;
	int fd, err, shorts;

	fd = openat(self->dfd, "a", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	total = write_until_full(fd, 8192, 8, &err, &shorts);
	close(fd);
	ASSERT_EQ(ENOSPC, err);
	ASSERT_EQ(MIB, total);
	ASSERT_EQ(0, unlinkat(self->dfd, "a", 0));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(s.f_blocks, s.f_bfree);
	fd = openat(self->dfd, "b", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	total = write_until_full(fd, 8192, 9, &err, &shorts);
	close(fd);
	EXPECT_EQ(ENOSPC, err);
	EXPECT_EQ(MIB, total);
	EXPECT_EQ(-1, verify_file(self->dfd, "b", MIB, 9));
}

TEST_F(space, many_small_files_share_the_limit)
{
	struct rpc_sfs s;
	char *buf = malloc(self->ps);
	int n = 0, r = 0;

	ASSERT_NE(NULL, buf);
	while (n < 1000) {
		char name[32];

		snprintf(name, sizeof(name), "s%03d", n);
		rpc_fill_pattern(buf, 10, n, 0);
		/* 10 bytes, one page each */
		r = rpc_write_filef(self->dir, name, buf, 10, 0644);
		if (r)
			break;
		n++;
	}
	EXPECT_EQ(-ENOSPC, r);
	/* nr_inodes=100 is the limit here, not size: 99 files */
	EXPECT_EQ(99, n);
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(s.f_blocks - 99, s.f_bfree);
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "s%03d", i);
		EXPECT_EQ(10, rpc_read_filef(self->dir, name, buf, self->ps));
		EXPECT_EQ(-1, rpc_check_pattern(buf, 10, i, 0)) TH_LOG("%s", name);
	}
	free(buf);
}

TEST_F(space, enospc_then_remount_bigger_allows_more)
{
	long long total;
	int fd, err, shorts;

	fd = openat(self->dfd, "a", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	total = write_until_full(fd, 4096, 10, &err, &shorts);
	ASSERT_EQ(ENOSPC, err);
	ASSERT_EQ(MIB, total);
	ASSERT_EQ(0, rpc_remount(self->dir, "size=2m"));
	total += write_until_full(fd, 4096, 10, &err, &shorts);
	close(fd);
	EXPECT_EQ(ENOSPC, err);
	EXPECT_EQ(2 * MIB, total);
}

TEST_HARNESS_MAIN
