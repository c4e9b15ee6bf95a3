// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace operations: create, mkdir, rmdir, unlink, rename (plain,
 * replacing, RENAME_NOREPLACE, RENAME_EXCHANGE), link, O_TMPFILE, symlink, mknod,
 * file handles, leases,
 * readdir, attributes (chmod/chown/utimensat), nlink and directory sizes,
 * the usual error codes and permission checks as an unprivileged user.
 *
 * tmpfs behaviour this encodes (checked on the host):
 *  - A directory's st_size is 40 when empty and grows by 20 per entry
 *    (BOGO_DIRENT_SIZE in mm/shmem.c); the root starts at 40 too.
 *  - Renaming a directory over a non-empty directory is ENOTEMPTY (not
 *    EEXIST); a directory into its own subdirectory is EINVAL.
 *  - link() to a directory is EPERM; unlink() of a directory is EISDIR.
 *  - A 256-byte name component is ENAMETOOLONG (255 is fine); a symlink
 *    target of 4095 bytes is fine, 4096 is ENAMETOOLONG.
 *  - chown by root of a setuid file clears the setuid bit.
 */
#include "rpc_util.h"
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <sys/fsuid.h>
#include "kselftest_harness.h"

FIXTURE(ns) {
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(ns)
{
	int r;

	umask(0);
	self->dfd = -1;
	r = rpc_mount_opts(self->dir, "");
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
	self->dfd = open(self->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dfd) TH_LOG("open %s: %s", self->dir, strerror(errno));
}

FIXTURE_TEARDOWN_PARENT(ns)
{
	rpc_umount(self->dir);
}

/* ---- small helpers ---- */

static int mkfile(int dfd, const char *name, const char *content, mode_t mode)
{
	int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	size_t len = content ? strlen(content) : 0;

	if (fd < 0)
		return -errno;
	if (len && write(fd, content, len) != (ssize_t)len) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* Read a small file into buf (NUL terminated); returns length or -errno. */
static ssize_t slurp(int dfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	if (r < 0)
		r = -errno;
	else
		buf[r] = '\0';
	close(fd);
	return r;
}

static long long lstat_field(int dfd, const char *name, char what)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	switch (what) {
	case 'n': return st.st_nlink;
	case 's': return st.st_size;
	case 'i': return st.st_ino;
	case 'm': return st.st_mode;
	case 'u': return st.st_uid;
	case 'g': return st.st_gid;
	}
	return -EINVAL;
}

#define NLINK(dfd, name) lstat_field(dfd, name, 'n')
#define SIZE(dfd, name) lstat_field(dfd, name, 's')
#define INO(dfd, name) lstat_field(dfd, name, 'i')
#define MODE(dfd, name) lstat_field(dfd, name, 'm')

static int renameat2_(int odfd, const char *o, int ndfd, const char *n, unsigned int flags)
{
	return syscall(__NR_renameat2, odfd, o, ndfd, n, flags);
}

static bool ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* Sleep long enough for even a coarse (jiffy) clock to tick. */
static void tick(void)
{
	usleep(20 * 1000);
}

/* ---- create / mkdir / rmdir / unlink ---- */

TEST_F(ns, create_excl_makes_empty_regular_file)
{
	struct stat st;
	int fd;

	fd = openat(self->dfd, "f", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0640, LL(st.st_mode & 07777));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(1, LL(st.st_nlink));
	EXPECT_EQ(0, LL(st.st_uid));
	EXPECT_EQ(0, LL(st.st_gid));
	EXPECT_NE(0, LL(st.st_ino));
	close(fd);
}

TEST_F(ns, create_excl_on_existing_is_eexist)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", "data", 0644));
	EXPECT_EQ(-EEXIST, E(openat(self->dfd, "f", O_CREAT | O_EXCL | O_WRONLY, 0644)));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(-EEXIST, E(openat(self->dfd, "d", O_CREAT | O_EXCL | O_WRONLY, 0644)));
}

TEST_F(ns, create_without_excl_opens_existing_file)
{
	char buf[16];
	long long ino;
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "data", 0644));
	ino = INO(self->dfd, "f");
	fd = openat(self->dfd, "f", O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4, read(fd, buf, sizeof(buf)));
	close(fd);
	EXPECT_EQ(ino, INO(self->dfd, "f"));
	EXPECT_EQ(0644, MODE(self->dfd, "f") & 07777);
}

TEST_F(ns, create_distinct_inode_numbers)
{
	long long a, b, c;

	ASSERT_EQ(0, mkfile(self->dfd, "a", NULL, 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "b", NULL, 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "c", 0755));
	a = INO(self->dfd, "a");
	b = INO(self->dfd, "b");
	c = INO(self->dfd, "c");
	EXPECT_NE(a, b);
	EXPECT_NE(a, c);
	EXPECT_NE(b, c);
	EXPECT_NE(a, INO(self->dfd, "."));
}

TEST_F(ns, mkdir_makes_directory_and_bumps_parent_nlink)
{
	struct stat st;

	ASSERT_EQ(2, NLINK(self->dfd, "."));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0750)) TH_LOG("mkdir: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "d", &st, 0));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0750, LL(st.st_mode & 07777));
	EXPECT_EQ(2, LL(st.st_nlink));
	EXPECT_EQ(3, NLINK(self->dfd, "."));
	/* ".." of the new directory is the root */
	EXPECT_EQ(INO(self->dfd, "."), INO(self->dfd, "d/.."));
	EXPECT_EQ(INO(self->dfd, "d"), INO(self->dfd, "d/."));
}

TEST_F(ns, mkdir_existing_is_eexist)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(-EEXIST, E(mkdirat(self->dfd, "d", 0755)));
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	EXPECT_EQ(-EEXIST, E(mkdirat(self->dfd, "f", 0755)));
}

TEST_F(ns, mkdir_nested_and_rmdir_in_order)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "a", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "a/b", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "a/b/c", 0755));
	EXPECT_EQ(3, NLINK(self->dfd, "a/b"));
	EXPECT_EQ(-ENOTEMPTY, E(unlinkat(self->dfd, "a", AT_REMOVEDIR)));
	ASSERT_EQ(0, unlinkat(self->dfd, "a/b/c", AT_REMOVEDIR));
	EXPECT_EQ(2, NLINK(self->dfd, "a/b"));
	ASSERT_EQ(0, unlinkat(self->dfd, "a/b", AT_REMOVEDIR));
	ASSERT_EQ(0, unlinkat(self->dfd, "a", AT_REMOVEDIR));
	EXPECT_EQ(2, NLINK(self->dfd, "."));
	EXPECT_EQ(0, rpc_count_entries(self->dir));
}

TEST_F(ns, rmdir_empty_directory)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(3, NLINK(self->dfd, "."));
	ASSERT_EQ(0, unlinkat(self->dfd, "d", AT_REMOVEDIR)) TH_LOG("rmdir: %s", strerror(errno));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "d"));
	EXPECT_EQ(2, NLINK(self->dfd, "."));
}

TEST_F(ns, rmdir_of_open_directory_leaves_it_empty_and_dead)
{
	int fd;

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	fd = openat(self->dfd, "d", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlinkat(self->dfd, "d", AT_REMOVEDIR));
	/* creating in a removed directory is ENOENT */
	EXPECT_EQ(-ENOENT, E(openat(fd, "x", O_CREAT | O_WRONLY, 0644)));
	EXPECT_EQ(-ENOENT, E(mkdirat(fd, "y", 0755)));
	close(fd);
}

TEST_F(ns, rmdir_nonempty_is_enotempty)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "d/f", NULL, 0644));
	EXPECT_EQ(-ENOTEMPTY, E(unlinkat(self->dfd, "d", AT_REMOVEDIR)));
	EXPECT_EQ(1, NLINK(self->dfd, "d/f"));
	ASSERT_EQ(0, unlinkat(self->dfd, "d/f", 0));
	EXPECT_EQ(0, unlinkat(self->dfd, "d", AT_REMOVEDIR));
}

TEST_F(ns, rmdir_missing_is_enoent)
{
	EXPECT_EQ(-ENOENT, E(unlinkat(self->dfd, "nope", AT_REMOVEDIR)));
}

TEST_F(ns, rmdir_on_file_is_enotdir)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	EXPECT_EQ(-ENOTDIR, E(unlinkat(self->dfd, "f", AT_REMOVEDIR)));
	EXPECT_EQ(1, NLINK(self->dfd, "f"));
}

TEST_F(ns, rmdir_dot_is_einval)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(-EINVAL, E(unlinkat(self->dfd, "d/.", AT_REMOVEDIR)));
}

TEST_F(ns, unlink_removes_name_but_open_file_stays_readable)
{
	char buf[16] = "";
	struct stat st;
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "still here", 0644));
	fd = openat(self->dfd, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0)) TH_LOG("unlink: %s", strerror(errno));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "f"));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, LL(st.st_nlink));
	EXPECT_EQ(10, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "still here", 10));
	close(fd);
	EXPECT_EQ(0, rpc_count_entries(self->dir));
}

/*
 * File handles as tmpfs's (NFS export, name_to_handle_at/open_by_handle_at;
 * fstests generic/426, 467, 477): three 32-bit words (generation and a
 * 64-bit inode number), type 1; a too-small buffer is EOVERFLOW with the
 * size needed; a handle opens its file or directory while the inode lives
 * and is ESTALE once it is deleted. Without export operations
 * name_to_handle_at() is EOPNOTSUPP.
 */
static struct file_handle *handle_of(struct __test_metadata *_metadata, int dfd, const char *name)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + 128);
	int mnt_id;

	if (!fh)
		return NULL;
	fh->handle_bytes = 128;
	if (name_to_handle_at(dfd, name, fh, &mnt_id, 0)) {
		TH_LOG("name_to_handle_at(%s): %s", name, strerror(errno));
		free(fh);
		return NULL;
	}
	return fh;
}

TEST_F(ns, file_handles_open_live_inodes_and_go_stale_when_deleted)
{
	struct file_handle *f, *d, *small = calloc(1, sizeof(*small) + 4);
	struct stat st, sd;
	char buf[16] = { 0 };
	int mnt_id, fd;

	ASSERT_NE(NULL, small);
	ASSERT_EQ(0, mkfile(self->dfd, "h", "handle", 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "hd", 0755));
	ASSERT_EQ(0, fstatat(self->dfd, "hd", &sd, 0));
	f = handle_of(_metadata, self->dfd, "h");
	d = handle_of(_metadata, self->dfd, "hd");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(12u, f->handle_bytes);
	EXPECT_EQ(1, f->handle_type);
	EXPECT_EQ(12u, d->handle_bytes);
	small->handle_bytes = 4;
	EXPECT_EQ(-EOVERFLOW, E(name_to_handle_at(self->dfd, "h", small, &mnt_id, 0)));
	EXPECT_EQ(12u, small->handle_bytes);

	fd = open_by_handle_at(self->dfd, f, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open_by_handle_at: %s", strerror(errno));
	EXPECT_EQ(6, read(fd, buf, sizeof(buf)));
	EXPECT_STREQ("handle", buf);
	close(fd);
	fd = open_by_handle_at(self->dfd, d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open_by_handle_at(dir): %s", strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(sd.st_ino, st.st_ino);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	close(fd);

	ASSERT_EQ(0, unlinkat(self->dfd, "h", 0));
	ASSERT_EQ(0, unlinkat(self->dfd, "hd", AT_REMOVEDIR));
	EXPECT_EQ(-ESTALE, E(open_by_handle_at(self->dfd, f, O_RDONLY | O_CLOEXEC)));
	EXPECT_EQ(-ESTALE, E(open_by_handle_at(self->dfd, d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
	free(f);
	free(d);
	free(small);
}

/*
 * Leases as tmpfs's (generic_setlease; fstests generic/571): a read lease on
 * a file open read-only and a write lease on one open for writing are
 * granted and reported by F_GETLEASE, a write lease while another open for
 * writing exists is EAGAIN; without ->setlease every F_SETLEASE is EINVAL.
 */
TEST_F(ns, leases_are_granted_as_on_tmpfs)
{
	int r, w, w2;

	ASSERT_EQ(0, mkfile(self->dfd, "lease", "l", 0644));
	r = openat(self->dfd, "lease", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, r);
	EXPECT_EQ(0, E(fcntl(r, F_SETLEASE, F_RDLCK)));
	EXPECT_EQ(F_RDLCK, fcntl(r, F_GETLEASE));
	EXPECT_EQ(0, E(fcntl(r, F_SETLEASE, F_UNLCK)));
	EXPECT_EQ(F_UNLCK, fcntl(r, F_GETLEASE));
	close(r);

	w = openat(self->dfd, "lease", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, w);
	EXPECT_EQ(0, E(fcntl(w, F_SETLEASE, F_WRLCK)));
	EXPECT_EQ(F_WRLCK, fcntl(w, F_GETLEASE));
	EXPECT_EQ(0, E(fcntl(w, F_SETLEASE, F_UNLCK)));
	w2 = openat(self->dfd, "lease", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, w2);
	EXPECT_EQ(-EAGAIN, E(fcntl(w, F_SETLEASE, F_WRLCK)));
	close(w2);
	close(w);
}

#ifndef F_SETDELEG /* 7.3's uapi; the build root's libc headers predate it */
#define F_GETDELEG (1024 + 15)
#define F_SETDELEG (1024 + 16)
struct delegation {
	uint32_t d_flags;
	uint16_t d_type;
	uint16_t __pad;
};
#endif

/*
 * Directory delegations (F_SETDELEG on a directory, 7.3; fstests generic/786
 * and 787) as on tmpfs, whose directories have ->setlease: a read delegation
 * is granted and reported, a write one is refused, and another task's
 * create in the directory breaks it: SIGIO comes, the create waits until
 * the delegation is given back, then the file is there. Without ->setlease
 * in the directory's file operations F_SETDELEG is EINVAL.
 */
TEST_F(ns, directory_delegations_are_granted_and_broken_as_on_tmpfs)
{
	struct delegation rd = { .d_type = F_RDLCK }, wr = { .d_type = F_WRLCK };
	struct delegation un = { .d_type = F_UNLCK }, got = { 0 };
	struct timespec wait = { .tv_sec = 20 };
	sigset_t io, old;
	int dfd, status;
	pid_t child;

	ASSERT_EQ(0, mkdirat(self->dfd, "deleg", 0755));
	dfd = openat(self->dfd, "deleg", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_NE(0, fcntl(dfd, F_SETDELEG, &wr));
	ASSERT_EQ(0, E(fcntl(dfd, F_SETDELEG, &rd)));
	ASSERT_EQ(0, fcntl(dfd, F_GETDELEG, &got));
	EXPECT_EQ(F_RDLCK, got.d_type);

	sigemptyset(&io);
	sigaddset(&io, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &io, &old));
	ASSERT_EQ(0, fcntl(dfd, F_SETOWN, getpid()));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(mkfile(self->dfd, "deleg/new", "n", 0644) ? 1 : 0);
	EXPECT_EQ(SIGIO, sigtimedwait(&io, NULL, &wait)) TH_LOG("no SIGIO: the create did not break the delegation");
	/* The child waits in the break (45 s lease_break_time) until we give it back. */
	EXPECT_EQ(-ENOENT, E(faccessat(self->dfd, "deleg/new", F_OK, 0)));
	EXPECT_EQ(0, E(fcntl(dfd, F_SETDELEG, &un)));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, faccessat(self->dfd, "deleg/new", F_OK, 0));
	got.d_type = F_RDLCK;
	ASSERT_EQ(0, fcntl(dfd, F_GETDELEG, &got));
	EXPECT_EQ(F_UNLCK, got.d_type);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(dfd);
}

TEST_F(ns, unlink_missing_is_enoent)
{
	EXPECT_EQ(-ENOENT, E(unlinkat(self->dfd, "nope", 0)));
}

TEST_F(ns, unlink_on_directory_is_eisdir)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(-EISDIR, E(unlinkat(self->dfd, "d", 0)));
	EXPECT_EQ(2, NLINK(self->dfd, "d"));
}

TEST_F(ns, open_missing_is_enoent)
{
	EXPECT_EQ(-ENOENT, E(openat(self->dfd, "nope", O_RDONLY)));
	EXPECT_EQ(-ENOENT, E(openat(self->dfd, "nope", O_WRONLY)));
}

TEST_F(ns, path_through_missing_dir_is_enoent)
{
	EXPECT_EQ(-ENOENT, E(openat(self->dfd, "nodir/f", O_CREAT | O_WRONLY, 0644)));
	EXPECT_EQ(-ENOENT, E(mkdirat(self->dfd, "nodir/d", 0755)));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "nodir/f"));
}

TEST_F(ns, open_directory_for_writing_is_eisdir)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(-EISDIR, E(openat(self->dfd, "d", O_WRONLY)));
	EXPECT_EQ(-EISDIR, E(openat(self->dfd, "d", O_RDWR)));
	EXPECT_EQ(-EISDIR, E(openat(self->dfd, ".", O_WRONLY)));
}

TEST_F(ns, path_through_file_is_enotdir)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	EXPECT_EQ(-ENOTDIR, E(openat(self->dfd, "f/x", O_RDONLY)));
	EXPECT_EQ(-ENOTDIR, E(openat(self->dfd, "f/x", O_CREAT | O_WRONLY, 0644)));
	EXPECT_EQ(-ENOTDIR, E(mkdirat(self->dfd, "f/d", 0755)));
	EXPECT_EQ(-ENOTDIR, NLINK(self->dfd, "f/"));
}

TEST_F(ns, open_o_directory_on_file_is_enotdir)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	EXPECT_EQ(-ENOTDIR, E(openat(self->dfd, "f", O_RDONLY | O_DIRECTORY)));
}

TEST_F(ns, name_of_256_bytes_is_enametoolong)
{
	char name[257];

	memset(name, 'n', 256);
	name[256] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, E(openat(self->dfd, name, O_CREAT | O_WRONLY, 0644)));
	EXPECT_EQ(-ENAMETOOLONG, E(mkdirat(self->dfd, name, 0755)));
	EXPECT_EQ(-ENAMETOOLONG, E(symlinkat("t", self->dfd, name)));
	EXPECT_EQ(-ENAMETOOLONG, NLINK(self->dfd, name));
	EXPECT_EQ(0, rpc_count_entries(self->dir));
}

TEST_F(ns, name_of_255_bytes_works)
{
	char name[256];

	memset(name, 'n', 255);
	name[255] = '\0';
	ASSERT_EQ(0, mkfile(self->dfd, name, "x", 0644));
	EXPECT_EQ(1, NLINK(self->dfd, name));
	name[0] = 'd';
	ASSERT_EQ(0, mkdirat(self->dfd, name, 0755));
	EXPECT_EQ(2, rpc_count_entries(self->dir));
}

/* ---- rename ---- */

TEST_F(ns, rename_plain_keeps_inode_and_data)
{
	char buf[32];
	long long ino;

	ASSERT_EQ(0, mkfile(self->dfd, "a", "payload", 0644));
	ino = INO(self->dfd, "a");
	ASSERT_EQ(0, renameat(self->dfd, "a", self->dfd, "b")) TH_LOG("rename: %s", strerror(errno));
	EXPECT_EQ(-ENOENT, INO(self->dfd, "a"));
	EXPECT_EQ(ino, INO(self->dfd, "b"));
	ASSERT_EQ(7, slurp(self->dfd, "b", buf, sizeof(buf)));
	EXPECT_STREQ("payload", buf);
	EXPECT_EQ(1, rpc_count_entries(self->dir));
}

TEST_F(ns, rename_over_existing_file_replaces_it)
{
	char buf[32];
	struct stat st;
	long long ino;
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "a", "new", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "b", "old", 0644));
	ino = INO(self->dfd, "a");
	fd = openat(self->dfd, "b", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, renameat(self->dfd, "a", self->dfd, "b"));
	EXPECT_EQ(ino, INO(self->dfd, "b"));
	ASSERT_EQ(3, slurp(self->dfd, "b", buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	EXPECT_EQ(-ENOENT, INO(self->dfd, "a"));
	/* the replaced inode lost its last link */
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, LL(st.st_nlink));
	close(fd);
	EXPECT_EQ(1, rpc_count_entries(self->dir));
}

TEST_F(ns, rename_directory_to_other_parent_fixes_nlinks_and_dotdot)
{
	char buf[16];

	ASSERT_EQ(0, mkdirat(self->dfd, "p1", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "p2", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "p1/d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "p1/d/f", "in-d", 0644));
	ASSERT_EQ(3, NLINK(self->dfd, "p1"));
	ASSERT_EQ(2, NLINK(self->dfd, "p2"));
	ASSERT_EQ(0, renameat(self->dfd, "p1/d", self->dfd, "p2/e")) TH_LOG("rename: %s", strerror(errno));
	EXPECT_EQ(2, NLINK(self->dfd, "p1"));
	EXPECT_EQ(3, NLINK(self->dfd, "p2"));
	EXPECT_EQ(INO(self->dfd, "p2"), INO(self->dfd, "p2/e/.."));
	ASSERT_EQ(4, slurp(self->dfd, "p2/e/f", buf, sizeof(buf)));
	EXPECT_STREQ("in-d", buf);
	EXPECT_EQ(-ENOENT, INO(self->dfd, "p1/d"));
}

TEST_F(ns, rename_directory_within_parent)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "d/f", "x", 0644));
	ASSERT_EQ(0, renameat(self->dfd, "d", self->dfd, "e"));
	EXPECT_EQ(3, NLINK(self->dfd, "."));
	EXPECT_EQ(1, NLINK(self->dfd, "e/f"));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "d"));
}

TEST_F(ns, rename_noreplace_onto_existing_is_eexist)
{
	char buf[16];

	ASSERT_EQ(0, mkfile(self->dfd, "a", "A", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "b", "B", 0644));
	EXPECT_EQ(-EEXIST, E(renameat2_(self->dfd, "a", self->dfd, "b", RPC_RENAME_NOREPLACE)));
	ASSERT_EQ(1, slurp(self->dfd, "a", buf, sizeof(buf)));
	EXPECT_STREQ("A", buf);
	ASSERT_EQ(1, slurp(self->dfd, "b", buf, sizeof(buf)));
	EXPECT_STREQ("B", buf);
	/* onto a free name it is a plain rename */
	ASSERT_EQ(0, renameat2_(self->dfd, "a", self->dfd, "c", RPC_RENAME_NOREPLACE))
		TH_LOG("renameat2(NOREPLACE): %s", strerror(errno));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "a"));
	ASSERT_EQ(1, slurp(self->dfd, "c", buf, sizeof(buf)));
	EXPECT_STREQ("A", buf);
}

TEST_F(ns, rename_exchange_swaps_two_files)
{
	char buf[16];
	long long ia, ib;

	ASSERT_EQ(0, mkfile(self->dfd, "a", "AAA", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "b", "BB", 0600));
	ia = INO(self->dfd, "a");
	ib = INO(self->dfd, "b");
	ASSERT_EQ(0, renameat2_(self->dfd, "a", self->dfd, "b", RPC_RENAME_EXCHANGE))
		TH_LOG("renameat2(EXCHANGE): %s", strerror(errno));
	EXPECT_EQ(ib, INO(self->dfd, "a"));
	EXPECT_EQ(ia, INO(self->dfd, "b"));
	ASSERT_EQ(2, slurp(self->dfd, "a", buf, sizeof(buf)));
	EXPECT_STREQ("BB", buf);
	ASSERT_EQ(3, slurp(self->dfd, "b", buf, sizeof(buf)));
	EXPECT_STREQ("AAA", buf);
	EXPECT_EQ(0600, MODE(self->dfd, "a") & 07777);
}

TEST_F(ns, rename_exchange_swaps_file_and_dir_across_parents)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "p1", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "p2", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "p1/f", "file", 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "p2/d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "p2/d/inner", NULL, 0644));
	ASSERT_EQ(2, NLINK(self->dfd, "p1"));
	ASSERT_EQ(3, NLINK(self->dfd, "p2"));
	ASSERT_EQ(0, renameat2_(self->dfd, "p1/f", self->dfd, "p2/d", RPC_RENAME_EXCHANGE))
		TH_LOG("renameat2(EXCHANGE): %s", strerror(errno));
	EXPECT_TRUE(S_ISDIR(MODE(self->dfd, "p1/f")));
	EXPECT_TRUE(S_ISREG(MODE(self->dfd, "p2/d")));
	EXPECT_EQ(1, NLINK(self->dfd, "p1/f/inner"));
	EXPECT_EQ(4, SIZE(self->dfd, "p2/d"));
	/* the subdirectory moved from p2 to p1 */
	EXPECT_EQ(3, NLINK(self->dfd, "p1"));
	EXPECT_EQ(2, NLINK(self->dfd, "p2"));
	EXPECT_EQ(INO(self->dfd, "p1"), INO(self->dfd, "p1/f/.."));
}

TEST_F(ns, rename_exchange_with_missing_target_is_enoent)
{
	ASSERT_EQ(0, mkfile(self->dfd, "a", "A", 0644));
	EXPECT_EQ(-ENOENT, E(renameat2_(self->dfd, "a", self->dfd, "b", RPC_RENAME_EXCHANGE)));
	EXPECT_EQ(1, NLINK(self->dfd, "a"));
}

TEST_F(ns, rename_exchange_and_noreplace_together_is_einval)
{
	ASSERT_EQ(0, mkfile(self->dfd, "a", "A", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "b", "B", 0644));
	EXPECT_EQ(-EINVAL, E(renameat2_(self->dfd, "a", self->dfd, "b",
					 RPC_RENAME_EXCHANGE | RPC_RENAME_NOREPLACE)));
}

TEST_F(ns, rename_dir_over_nonempty_dir_is_enotempty)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "a", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "b", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "b/f", NULL, 0644));
	EXPECT_EQ(-ENOTEMPTY, E(renameat(self->dfd, "a", self->dfd, "b")));
	EXPECT_EQ(1, NLINK(self->dfd, "b/f"));
	EXPECT_EQ(2, NLINK(self->dfd, "a"));
}

/* A whiteout is a character device 0/0 (what overlayfs reads as "deleted"). */
static bool is_whiteout(int dfd, const char *name)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(0, 0);
}

TEST_F(ns, rename_whiteout_leaves_a_whiteout_under_the_old_name)
{
	char buf[8] = "";
	struct stat before, after;

	ASSERT_EQ(0, mkfile(self->dfd, "a", "A", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "t", "T", 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, fstat(self->dfd, &before));
	ASSERT_EQ(0, renameat2_(self->dfd, "a", self->dfd, "b", RPC_RENAME_WHITEOUT))
		TH_LOG("renameat2(WHITEOUT): %s", strerror(errno));
	EXPECT_TRUE(is_whiteout(self->dfd, "a"));
	EXPECT_EQ(1, slurp(self->dfd, "b", buf, sizeof(buf)));
	EXPECT_STREQ("A", buf);
	/* One more entry in the directory: the whiteout. */
	ASSERT_EQ(0, fstat(self->dfd, &after));
	EXPECT_EQ(before.st_size + 20, after.st_size);
	/* Over an existing target, and for a directory. */
	ASSERT_EQ(0, renameat2_(self->dfd, "b", self->dfd, "t", RPC_RENAME_WHITEOUT));
	EXPECT_TRUE(is_whiteout(self->dfd, "b"));
	EXPECT_EQ(1, slurp(self->dfd, "t", buf, sizeof(buf)));
	EXPECT_STREQ("A", buf);
	ASSERT_EQ(0, renameat2_(self->dfd, "d", self->dfd, "e", RPC_RENAME_WHITEOUT));
	EXPECT_TRUE(is_whiteout(self->dfd, "d"));
	EXPECT_EQ(2, NLINK(self->dfd, "e"));
	/* A whiteout is an ordinary name: it can be unlinked. */
	EXPECT_EQ(0, E(unlinkat(self->dfd, "a", 0)));
	EXPECT_EQ(-EINVAL, E(renameat2_(self->dfd, "t", self->dfd, "u",
					 RPC_RENAME_WHITEOUT | RPC_RENAME_EXCHANGE)));
}

TEST_F(ns, rename_whiteout_takes_an_inode_of_the_budget)
{
	char dir[64];
	int dfd;

	/* Root, a, and the whiteout: three of three. */
	ASSERT_EQ(0, rpc_mount_dir(dir, "nr_inodes=3", &dfd));
	ASSERT_EQ(0, mkfile(dfd, "a", "A", 0644));
	ASSERT_EQ(0, mkfile(dfd, "x", "X", 0644));
	EXPECT_EQ(-ENOSPC, E(renameat2_(dfd, "a", dfd, "b", RPC_RENAME_WHITEOUT)));
	/* Nothing moved. */
	EXPECT_EQ(1, NLINK(dfd, "a"));
	EXPECT_EQ(-ENOENT, NLINK(dfd, "b"));
	ASSERT_EQ(0, unlinkat(dfd, "x", 0));
	EXPECT_EQ(0, E(renameat2_(dfd, "a", dfd, "b", RPC_RENAME_WHITEOUT)));
	EXPECT_TRUE(is_whiteout(dfd, "a"));
	close(dfd);
	rpc_umount(dir);
}

/* The file system as overlayfs's upper layer: it needs whiteouts, xattrs
 * (trusted.overlay.*), O_TMPFILE and d_type. */
TEST_F(ns, works_as_an_overlayfs_upper_layer)
{
	char lower[128], upper[128], work[128], merged[128], opts[512], buf[8] = "";
	int mfd;

	ASSERT_EQ(0, mkdirat(self->dfd, "lower", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "upper", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "work", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "merged", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "lower/a", "A", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "lower/b", "B", 0644));
	rpc_path(lower, sizeof(lower), self->dir, "lower");
	rpc_path(upper, sizeof(upper), self->dir, "upper");
	rpc_path(work, sizeof(work), self->dir, "work");
	rpc_path(merged, sizeof(merged), self->dir, "merged");
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	ASSERT_EQ(0, E(mount("overlay", merged, "overlay", 0, opts))) TH_LOG("overlay: %s", strerror(errno));
	mfd = open(merged, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	/* Deleting a lower file leaves a whiteout in the upper layer. */
	EXPECT_EQ(0, E(unlinkat(mfd, "a", 0)));
	EXPECT_EQ(-ENOENT, NLINK(mfd, "a"));
	EXPECT_TRUE(is_whiteout(self->dfd, "upper/a"));
	EXPECT_EQ(1, NLINK(self->dfd, "lower/a"));
	/* A rename copies up and whites the old name out. */
	EXPECT_EQ(0, E(renameat(mfd, "b", mfd, "c")));
	EXPECT_EQ(1, slurp(mfd, "c", buf, sizeof(buf)));
	EXPECT_STREQ("B", buf);
	EXPECT_EQ(-ENOENT, NLINK(mfd, "b"));
	EXPECT_TRUE(is_whiteout(self->dfd, "upper/b"));
	/* New files go to the upper layer. */
	EXPECT_EQ(0, mkfile(mfd, "d", "D", 0644));
	EXPECT_EQ(1, slurp(self->dfd, "upper/d", buf, sizeof(buf)));
	EXPECT_STREQ("D", buf);
	close(mfd);
	EXPECT_EQ(0, E(umount(merged)));
}

/* ---- idmapped mounts and user namespaces (as tmpfs: FS_ALLOW_IDMAP, FS_USERNS_MOUNT) ---- */

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#define RPC_OPEN_TREE_CLONE	1
#define RPC_MOUNT_ATTR_IDMAP	0x00100000
#define RPC_IDMAP_BASE		100000

struct rpc_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

/*
 * A child in a new user namespace whose ids 0..65535 are
 * RPC_IDMAP_BASE.. outside; it waits on *release (close it to let it
 * exit). Returns the child's pid, or -errno.
 */
static pid_t userns_child(int *release, int (*then)(void *), void *arg)
{
	int ready[2], go[2];
	char path[64], c;
	pid_t pid;
	int fd;

	if (pipe(ready) || pipe(go))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWUSER))
			_exit(100);
		close(ready[1]);
		/* The maps are written once the parent reads EOF. */
		if (read(go[0], &c, 1) < 0)
			_exit(101);
		_exit(then ? then(arg) : 0);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) < 0) {
		close(ready[0]);
		return -errno;
	}
	close(ready[0]);
	for (int i = 0; i < 2; i++) {
		char map[64];

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, i ? "gid_map" : "uid_map");
		snprintf(map, sizeof(map), "0 %d 65536", RPC_IDMAP_BASE);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map)) {
			if (fd >= 0)
				close(fd);
			close(go[1]);
			return -errno;
		}
		close(fd);
	}
	*release = go[1];
	return pid;
}

static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_owner(struct __test_metadata *_metadata, const char *dir, const char *name,
			 uid_t uid, gid_t gid)
{
	char p[PATH_MAX];
	struct stat st;

	rpc_path(p, sizeof(p), dir, name);
	ASSERT_EQ(0, lstat(p, &st)) TH_LOG("%s: %s", p, strerror(errno));
	EXPECT_EQ(uid, st.st_uid) TH_LOG("%s", p);
	EXPECT_EQ(gid, st.st_gid) TH_LOG("%s", p);
}

/* In a child: fsuid/fsgid id, then make one inode of each kind in dfd. */
static int make_as(int dfd, unsigned int id)
{
	char q[64];
	int fd, rc = 0;

	/*
	 * Every step runs even after one failed (the first failure's code is
	 * returned), so that the caller's owner checks see each kind made.
	 */
	if (setfsgid(id) < 0 || setfsuid(id) < 0 || (unsigned int)setfsuid(-1) != id)
		return 20;
	if (mkfile(dfd, "file", "x", 0644))
		rc = rc ?: 21;
	if (mkdirat(dfd, "dir", 0755))
		rc = rc ?: 22;
	if (symlinkat("file", dfd, "link"))
		rc = rc ?: 23;
	if (mknodat(dfd, "fifo", S_IFIFO | 0644, 0))
		rc = rc ?: 24;
	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return rc ?: 25;
	snprintf(q, sizeof(q), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, q, dfd, "tmp", AT_SYMLINK_FOLLOW))
		rc = rc ?: 26;
	close(fd);
	return rc;
}

/*
 * An idmapped mount of the file system (open_tree + mount_setattr with
 * MOUNT_ATTR_IDMAP, as systemd-homed and containers do), mapping the file
 * system's ids 0.. to RPC_IDMAP_BASE..: what a task with fsuid/fsgid
 * RPC_IDMAP_BASE + 1000 makes through it (file, directory, symlink, fifo,
 * O_TMPFILE) is owned by 1000 on the file system (the owner comes from the
 * mount's idmap, not the caller's plain ids, which would give
 * RPC_IDMAP_BASE + 1000) and shows as RPC_IDMAP_BASE + 1000 through it;
 * chown through it maps too, and a file of uid 0 shows as RPC_IDMAP_BASE.
 */
TEST_F(ns, idmapped_mount_maps_owners_of_new_inodes)
{
	struct rpc_mount_attr attr = { .attr_set = RPC_MOUNT_ATTR_IDMAP };
	char idm[] = "/tmp/rpc-idmap-XXXXXX", p[PATH_MAX];
	const unsigned int id = RPC_IDMAP_BASE + 1000;
	int release = -1, tfd, nsfd, idfd;
	pid_t pid;

	pid = userns_child(&release, NULL, NULL);
	ASSERT_LT(0, pid) TH_LOG("user namespace: %s", strerror(-pid));
	snprintf(p, sizeof(p), "/proc/%d/ns/user", pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsfd);
	tfd = syscall(__NR_open_tree, AT_FDCWD, self->dir, RPC_OPEN_TREE_CLONE | O_CLOEXEC);
	ASSERT_LE(0, tfd);
	attr.userns_fd = nsfd;
	ASSERT_EQ(0, E(syscall(__NR_mount_setattr, tfd, "", AT_EMPTY_PATH, &attr, sizeof(attr))))
		TH_LOG("mount_setattr(MOUNT_ATTR_IDMAP): %s", strerror(errno));
	ASSERT_NE(NULL, mkdtemp(idm));
	ASSERT_EQ(0, E(syscall(__NR_move_mount, tfd, "", AT_FDCWD, idm, RPC_MOVE_MOUNT_F_EMPTY_PATH)));
	close(tfd);
	close(release);
	EXPECT_EQ(0, child_status(pid));
	close(nsfd);

	idfd = open(idm, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, idfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(make_as(idfd, id));
	/* Not fatal: the owners of what was made are checked either way. */
	EXPECT_EQ(0, child_status(pid)) TH_LOG("20 setfsuid, 21 file, 22 dir, 23 symlink, 24 fifo, 25/26 O_TMPFILE");
	ASSERT_EQ(0, mkfile(self->dfd, "plain", "p", 0644));
	ASSERT_EQ(0, E(fchownat(idfd, "dir", RPC_IDMAP_BASE + 2000, RPC_IDMAP_BASE + 2000, 0)));

	static const char *const made[] = { "file", "link", "fifo" };
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		expect_owner(_metadata, self->dir, made[i], 1000, 1000);
		expect_owner(_metadata, idm, made[i], id, id);
	}
	expect_owner(_metadata, self->dir, "dir", 2000, 2000);
	expect_owner(_metadata, idm, "dir", RPC_IDMAP_BASE + 2000, RPC_IDMAP_BASE + 2000);
	expect_owner(_metadata, idm, "plain", RPC_IDMAP_BASE, RPC_IDMAP_BASE);
	/* Last: its lstat() is fatal if the O_TMPFILE step made nothing. */
	expect_owner(_metadata, self->dir, "tmp", 1000, 1000);
	expect_owner(_metadata, idm, "tmp", id, id);
	close(idfd);
	EXPECT_EQ(0, E(umount2(idm, MNT_DETACH)));
	rmdir(idm);
}

struct userns_mount_arg {
	char dir[64];
	char swap_opts[192];
};

/* In the child: a mount namespace of its own, then the mounts. */
static int userns_mounts(void *p)
{
	struct userns_mount_arg *a = p;
	struct stat st;
	char f[128];
	int fd;

	/* Root of the namespace (its 0 is RPC_IDMAP_BASE outside). */
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return 19;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 10;
	if (mount("none", a->dir, rpc_fstype(), 0, "size=1m,mode=0755"))
		return 11;
	/* The mounter owns the root (its 0 is RPC_IDMAP_BASE outside). */
	if (stat(a->dir, &st) || st.st_uid != 0 || st.st_gid != 0)
		return 18;
	snprintf(f, sizeof(f), "%s/f", a->dir);
	fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "userns", 6) != 6)
		return 12;
	close(fd);
	if (umount(a->dir))
		return 13;
	if (a->swap_opts[0]) {
		if (mount("none", a->dir, rpc_fstype(), 0, a->swap_opts) == 0)
			return 14;
		if (errno != EPERM)
			return 15;
		if (mount("none", a->dir, rpc_fstype(), 0, "gfp=dma32") == 0)
			return 16;
		if (errno != EPERM)
			return 17;
	}
	return 0;
}

/*
 * Root of a new user namespace (with its own mount namespace) mounts the
 * file system and writes a file, as it can mount tmpfs; swap= and
 * gfp=dma32 (a block device, the zone devices need) stay with the initial
 * namespace's admin: EPERM there.
 */
TEST(userns_root_mounts_it_but_not_swap_or_dma32)
{
	struct userns_mount_arg a = { .dir = "/tmp/rpc-userns-XXXXXX" };
	int release = -1;
	pid_t pid;

	ASSERT_NE(NULL, mkdtemp(a.dir));
	ASSERT_EQ(0, chmod(a.dir, 0777));
	if (rpc_is_module_fs())
		snprintf(a.swap_opts, sizeof(a.swap_opts), "swap=%s", rpc_swap_dev() ?: "/dev/null");
	pid = userns_child(&release, userns_mounts, &a);
	ASSERT_LT(0, pid) TH_LOG("user namespace: %s", strerror(-pid));
	close(release);
	EXPECT_EQ(0, child_status(pid))
		TH_LOG("10 unshare, 11 mount, 12 write, 13 umount, 14/16 swap=/gfp= mounted, 15/17 not EPERM, 18 root not the mounter's, 19 setresuid");
	rmdir(a.dir);
}

TEST_F(ns, rename_dir_over_empty_dir_replaces_it)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "a", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "a/f", NULL, 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "b", 0755));
	ASSERT_EQ(4, NLINK(self->dfd, "."));
	ASSERT_EQ(0, renameat(self->dfd, "a", self->dfd, "b")) TH_LOG("rename: %s", strerror(errno));
	EXPECT_EQ(3, NLINK(self->dfd, "."));
	EXPECT_EQ(1, NLINK(self->dfd, "b/f"));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "a"));
}

TEST_F(ns, rename_dir_into_own_subdir_is_einval)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "a", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "a/b", 0755));
	EXPECT_EQ(-EINVAL, E(renameat(self->dfd, "a", self->dfd, "a/b/c")));
	EXPECT_EQ(-EINVAL, E(renameat(self->dfd, "a", self->dfd, "a/c")));
	EXPECT_EQ(3, NLINK(self->dfd, "a"));
}

TEST_F(ns, rename_dir_over_file_is_enotdir)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	EXPECT_EQ(-ENOTDIR, E(renameat(self->dfd, "d", self->dfd, "f")));
}

TEST_F(ns, rename_file_over_dir_is_eisdir)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	EXPECT_EQ(-EISDIR, E(renameat(self->dfd, "f", self->dfd, "d")));
}

TEST_F(ns, rename_missing_source_is_enoent)
{
	EXPECT_EQ(-ENOENT, E(renameat(self->dfd, "nope", self->dfd, "x")));
}

/* ---- link ---- */

TEST_F(ns, link_shares_inode_and_counts_links)
{
	char buf[16];
	long long ino;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "shared", 0644));
	ino = INO(self->dfd, "f");
	ASSERT_EQ(0, linkat(self->dfd, "f", self->dfd, "g", 0)) TH_LOG("link: %s", strerror(errno));
	EXPECT_EQ(ino, INO(self->dfd, "g"));
	EXPECT_EQ(2, NLINK(self->dfd, "f"));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, linkat(self->dfd, "f", self->dfd, "d/h", 0));
	EXPECT_EQ(3, NLINK(self->dfd, "g"));
	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0));
	EXPECT_EQ(2, NLINK(self->dfd, "g"));
	ASSERT_EQ(6, slurp(self->dfd, "d/h", buf, sizeof(buf)));
	EXPECT_STREQ("shared", buf);
	ASSERT_EQ(0, unlinkat(self->dfd, "g", 0));
	EXPECT_EQ(1, NLINK(self->dfd, "d/h"));
}

TEST_F(ns, link_writes_visible_through_other_name)
{
	char buf[16];
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "", 0644));
	ASSERT_EQ(0, linkat(self->dfd, "f", self->dfd, "g", 0));
	fd = openat(self->dfd, "g", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "hello", 5));
	close(fd);
	ASSERT_EQ(5, slurp(self->dfd, "f", buf, sizeof(buf)));
	EXPECT_STREQ("hello", buf);
}

TEST_F(ns, link_to_directory_is_eperm)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(-EPERM, E(linkat(self->dfd, "d", self->dfd, "e", 0)));
	EXPECT_EQ(2, NLINK(self->dfd, "d"));
}

TEST_F(ns, link_to_existing_name_is_eexist)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "g", NULL, 0644));
	EXPECT_EQ(-EEXIST, E(linkat(self->dfd, "f", self->dfd, "g", 0)));
	EXPECT_EQ(1, NLINK(self->dfd, "f"));
}

TEST_F(ns, link_missing_source_is_enoent)
{
	EXPECT_EQ(-ENOENT, E(linkat(self->dfd, "nope", self->dfd, "g", 0)));
}

/* ---- O_TMPFILE ---- */

#define TMP_LEN 8192

/*
 * O_TMPFILE: a regular file with no name (nlink 0, not in readdir), one
 * inode and its pages in statfs; linkat() through /proc/self/fd names it
 * with its data, and that first name is no second inode (tmpfs charges
 * none); once unlinked and closed, statfs is back where it started.
 */
TEST_F(ns, o_tmpfile_is_nameless_until_linkat_and_one_inode)
{
	char p[64], buf[TMP_LEN];
	struct statfs s0, s1, s2, s3;
	struct stat st;
	int fd;

	ASSERT_EQ(0, fstatfs(self->dfd, &s0));
	ASSERT_LT(0, LL(s0.f_files)) TH_LOG("the mount counts inodes");
	fd = openat(self->dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
	ASSERT_LE(0, fd) TH_LOG("O_TMPFILE: %s", strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0640, LL(st.st_mode & 07777));
	EXPECT_EQ(0, LL(st.st_nlink));
	EXPECT_EQ(0, rpc_count_entries(self->dir));
	rpc_fill_pattern(buf, TMP_LEN, 31, 0);
	ASSERT_EQ(TMP_LEN, write(fd, buf, TMP_LEN));
	ASSERT_EQ(0, fstatfs(self->dfd, &s1));
	EXPECT_EQ(LL(s0.f_ffree) - 1, LL(s1.f_ffree));
	EXPECT_EQ(LL(s0.f_bfree) - TMP_LEN / LL(s0.f_bsize), LL(s1.f_bfree));

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ASSERT_EQ(0, linkat(AT_FDCWD, p, self->dfd, "named", AT_SYMLINK_FOLLOW)) TH_LOG("linkat: %s", strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1, LL(st.st_nlink));
	EXPECT_EQ(1, rpc_count_entries(self->dir));
	ASSERT_EQ(0, fstatfs(self->dfd, &s2));
	EXPECT_EQ(LL(s1.f_ffree), LL(s2.f_ffree)) TH_LOG("the first name of a tmpfile is not another inode");
	close(fd);
	memset(buf, 0, TMP_LEN);
	fd = openat(self->dfd, "named", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(TMP_LEN, read(fd, buf, TMP_LEN));
	EXPECT_EQ(-1, rpc_check_pattern(buf, TMP_LEN, 31, 0));
	close(fd);
	ASSERT_EQ(0, unlinkat(self->dfd, "named", 0));
	ASSERT_EQ(0, fstatfs(self->dfd, &s3));
	EXPECT_EQ(LL(s0.f_ffree), LL(s3.f_ffree));
	EXPECT_EQ(LL(s0.f_bfree), LL(s3.f_bfree));
}

/* O_TMPFILE | O_EXCL cannot be linked; closed, it frees its inode and pages. */
TEST_F(ns, o_tmpfile_excl_cannot_be_linked_and_goes_on_close)
{
	char p[64], buf[TMP_LEN];
	struct statfs s0, s1, s2;
	int fd;

	ASSERT_EQ(0, fstatfs(self->dfd, &s0));
	fd = openat(self->dfd, ".", O_TMPFILE | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("O_TMPFILE | O_EXCL: %s", strerror(errno));
	rpc_fill_pattern(buf, TMP_LEN, 32, 0);
	ASSERT_EQ(TMP_LEN, write(fd, buf, TMP_LEN));
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	EXPECT_EQ(-ENOENT, E(linkat(AT_FDCWD, p, self->dfd, "named", AT_SYMLINK_FOLLOW)));
	EXPECT_EQ(0, rpc_count_entries(self->dir));
	ASSERT_EQ(0, fstatfs(self->dfd, &s1));
	EXPECT_EQ(LL(s0.f_ffree) - 1, LL(s1.f_ffree));
	close(fd);
	ASSERT_EQ(0, fstatfs(self->dfd, &s2));
	EXPECT_EQ(LL(s0.f_ffree), LL(s2.f_ffree));
	EXPECT_EQ(LL(s0.f_bfree), LL(s2.f_bfree));
}

/* ---- symlink ---- */

static void check_symlink(struct __test_metadata *_metadata, int dfd, const char *name,
			  const char *target)
{
	size_t len = strlen(target);
	char *buf = malloc(len + 16);
	struct stat st;
	ssize_t r;

	ASSERT_NE(NULL, buf);
	memset(buf, 'Z', len + 16);
	r = readlinkat(dfd, name, buf, len + 16);
	EXPECT_EQ((ssize_t)len, r) TH_LOG("readlink: %s", strerror(errno));
	if (r == (ssize_t)len) {
		EXPECT_EQ(0, memcmp(buf, target, len));
	}
	EXPECT_EQ('Z', buf[len]);	/* no NUL appended */
	ASSERT_EQ(0, fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ((long long)len, LL(st.st_size));
	EXPECT_EQ(0777, LL(st.st_mode & 07777));
	free(buf);
}

TEST_F(ns, symlink_short_target_reads_back)
{
	ASSERT_EQ(0, symlinkat("some/target", self->dfd, "l")) TH_LOG("symlink: %s", strerror(errno));
	check_symlink(_metadata, self->dfd, "l", "some/target");
}

TEST_F(ns, symlink_4000_byte_target_reads_back)
{
	char target[4001];

	for (int i = 0; i < 4000; i++)
		target[i] = (i % 50 == 49) ? '/' : 'a' + i % 26;
	target[4000] = '\0';
	ASSERT_EQ(0, symlinkat(target, self->dfd, "l")) TH_LOG("symlink: %s", strerror(errno));
	check_symlink(_metadata, self->dfd, "l", target);
}

TEST_F(ns, symlink_4095_ok_4096_enametoolong)
{
	char target[4097];

	memset(target, 'x', 4096);
	target[4095] = '\0';
	ASSERT_EQ(0, symlinkat(target, self->dfd, "l")) TH_LOG("symlink: %s", strerror(errno));
	check_symlink(_metadata, self->dfd, "l", target);
	target[4095] = 'x';
	target[4096] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, E(symlinkat(target, self->dfd, "m")));
}

TEST_F(ns, symlink_is_followed_and_dangling_is_enoent)
{
	char buf[16];

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "d/f", "target data", 0644));
	ASSERT_EQ(0, symlinkat("d/f", self->dfd, "rel"));
	ASSERT_EQ(0, symlinkat("d", self->dfd, "dirlink"));
	ASSERT_EQ(11, slurp(self->dfd, "rel", buf, sizeof(buf)));
	EXPECT_STREQ("target data", buf);
	ASSERT_EQ(11, slurp(self->dfd, "dirlink/f", buf, sizeof(buf)));
	ASSERT_EQ(0, symlinkat("missing", self->dfd, "dangling"));
	EXPECT_EQ(-ENOENT, E(openat(self->dfd, "dangling", O_RDONLY)));
	EXPECT_EQ(-ELOOP, E(openat(self->dfd, "rel", O_RDONLY | O_NOFOLLOW)));
	/* unlink removes the link, not the target */
	ASSERT_EQ(0, unlinkat(self->dfd, "rel", 0));
	EXPECT_EQ(1, NLINK(self->dfd, "d/f"));
}

TEST_F(ns, symlink_onto_existing_is_eexist)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	ASSERT_EQ(0, symlinkat("x", self->dfd, "l"));
	EXPECT_EQ(-EEXIST, E(symlinkat("y", self->dfd, "f")));
	EXPECT_EQ(-EEXIST, E(symlinkat("y", self->dfd, "l")));
	check_symlink(_metadata, self->dfd, "l", "x");
}

/* ---- mknod ---- */

TEST_F(ns, mknod_fifo_passes_data)
{
	char buf[8];
	struct stat st;
	int fd;

	ASSERT_EQ(0, mknodat(self->dfd, "p", S_IFIFO | 0640, 0)) TH_LOG("mknod: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "p", &st, 0));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_EQ(0640, LL(st.st_mode & 07777));
	fd = openat(self->dfd, "p", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "pipe", 4));
	ASSERT_EQ(4, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "pipe", 4));
	close(fd);
	EXPECT_EQ(0, SIZE(self->dfd, "p"));
}

TEST_F(ns, mknod_char_device_1_3_is_dev_null)
{
	char buf[8];
	struct stat st;
	int fd;

	ASSERT_EQ(0, mknodat(self->dfd, "null", S_IFCHR | 0666, makedev(1, 3)))
		TH_LOG("mknod: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "null", &st, 0));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(1, LL(major(st.st_rdev)));
	EXPECT_EQ(3, LL(minor(st.st_rdev)));
	fd = openat(self->dfd, "null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open device: %s", strerror(errno));
	EXPECT_EQ(10, write(fd, "0123456789", 10));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(ns, mknod_socket_and_bind_unix_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int s, c;

	ASSERT_EQ(0, mknodat(self->dfd, "sock", S_IFSOCK | 0644, 0)) TH_LOG("mknod: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "sock", &st, 0));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bound", self->dir);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sa, sizeof(sa))) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(s, 1));
	ASSERT_EQ(0, fstatat(self->dfd, "bound", &st, 0));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(0, connect(c, (struct sockaddr *)&sa, sizeof(sa))) TH_LOG("connect: %s", strerror(errno));
	close(c);
	close(s);
}

TEST_F(ns, mknod_regular_file)
{
	ASSERT_EQ(0, mknodat(self->dfd, "r", S_IFREG | 0600, 0));
	EXPECT_TRUE(S_ISREG(MODE(self->dfd, "r")));
	EXPECT_EQ(0, SIZE(self->dfd, "r"));
	EXPECT_EQ(-EEXIST, E(mknodat(self->dfd, "r", S_IFIFO | 0600, 0)));
}

/* ---- readdir ---- */

struct seen {
	const char *name;
	unsigned char type;
	int count;
};

TEST_F(ns, readdir_empty_dir_has_only_dot_and_dotdot)
{
	struct dirent *de;
	int dots = 0, other = 0;
	char p[PATH_MAX];
	DIR *d;

	ASSERT_EQ(0, mkdirat(self->dfd, "e", 0755));
	rpc_path(p, sizeof(p), self->dir, "e");
	d = opendir(p);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			dots++;
		else
			other++;
	}
	closedir(d);
	EXPECT_EQ(2, dots);
	EXPECT_EQ(0, other);
}

TEST_F(ns, readdir_lists_exactly_the_entries_with_types)
{
	struct seen want[] = {
		{ ".", DT_DIR, 0 }, { "..", DT_DIR, 0 }, { "file", DT_REG, 0 },
		{ "dir", DT_DIR, 0 }, { "link", DT_LNK, 0 }, { "fifo", DT_FIFO, 0 },
		{ "chr", DT_CHR, 0 }, { "sock", DT_SOCK, 0 },
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	struct dirent *de;
	DIR *d;

	ASSERT_EQ(0, mkfile(self->dfd, "file", "x", 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "dir", 0755));
	ASSERT_EQ(0, symlinkat("file", self->dfd, "link"));
	ASSERT_EQ(0, mknodat(self->dfd, "fifo", S_IFIFO | 0644, 0));
	ASSERT_EQ(0, mknodat(self->dfd, "chr", S_IFCHR | 0644, makedev(1, 3)));
	ASSERT_EQ(0, mknodat(self->dfd, "sock", S_IFSOCK | 0644, 0));
	ASSERT_EQ(0, mkfile(self->dfd, "gone", "x", 0644));
	ASSERT_EQ(0, unlinkat(self->dfd, "gone", 0));

	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!strcmp(de->d_name, want[i].name))
				break;
		EXPECT_LT(i, n) TH_LOG("unexpected entry '%s'", de->d_name);
		if (i == n)
			continue;
		want[i].count++;
		EXPECT_EQ(want[i].type, de->d_type) TH_LOG("d_type of %s", de->d_name);
		if (strcmp(de->d_name, "..")) {
			EXPECT_EQ(INO(self->dfd, de->d_name), LL(de->d_ino)) TH_LOG("d_ino of %s", de->d_name);
		}
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		EXPECT_EQ(1, want[i].count) TH_LOG("'%s' seen %d times", want[i].name, want[i].count);
	}
}

#define MANY 1000

TEST_F(ns, readdir_1000_entries_each_exactly_once)
{
	static int count[MANY];
	char p[PATH_MAX];
	struct dirent *de;
	int dots = 0;
	DIR *d;

	ASSERT_EQ(0, mkdirat(self->dfd, "big", 0755));
	for (int i = 0; i < MANY; i++) {
		char name[32];

		snprintf(name, sizeof(name), "big/entry-%04d", i);
		if (i % 10 == 0) {
			ASSERT_EQ(0, mkdirat(self->dfd, name, 0755));
		} else {
			ASSERT_EQ(0, mkfile(self->dfd, name, NULL, 0644));
		}
	}
	rpc_path(p, sizeof(p), self->dir, "big");
	d = opendir(p);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		int i;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
			dots++;
			continue;
		}
		ASSERT_EQ(1, sscanf(de->d_name, "entry-%d", &i)) TH_LOG("name %s", de->d_name);
		ASSERT_TRUE(i >= 0 && i < MANY);
		count[i]++;
		EXPECT_EQ(i % 10 == 0 ? DT_DIR : DT_REG, de->d_type);
	}
	closedir(d);
	EXPECT_EQ(2, dots);
	for (int i = 0; i < MANY; i++) {
		EXPECT_EQ(1, count[i]) TH_LOG("entry-%04d seen %d times", i, count[i]);
	}
	EXPECT_EQ(2 + MANY / 10, NLINK(self->dfd, "big"));
}

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

TEST_F(ns, getdents64_with_small_buffer_returns_each_entry_once)
{
	static int count[MANY];
	char buf[200] __attribute__((aligned(8)));
	int fd, dots = 0, calls = 0;
	long n;

	for (int i = 0; i < MANY; i++) {
		char name[32];

		snprintf(name, sizeof(name), "e%d", i);
		ASSERT_EQ(0, mkfile(self->dfd, name, NULL, 0644));
	}
	fd = openat(self->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *de = (void *)(buf + off);
			int i;

			off += de->d_reclen;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
				dots++;
				continue;
			}
			ASSERT_EQ(1, sscanf(de->d_name, "e%d", &i));
			ASSERT_TRUE(i >= 0 && i < MANY);
			count[i]++;
		}
	}
	EXPECT_EQ(0, n) TH_LOG("getdents64: %s", strerror(errno));
	/* at EOF it keeps returning 0 */
	EXPECT_EQ(0, syscall(SYS_getdents64, fd, buf, sizeof(buf)));
	close(fd);
	EXPECT_GT(calls, 50);
	EXPECT_EQ(2, dots);
	for (int i = 0; i < MANY; i++) {
		EXPECT_EQ(1, count[i]) TH_LOG("e%d seen %d times", i, count[i]);
	}
}

TEST_F(ns, getdents64_buffer_too_small_is_einval)
{
	char buf[8] __attribute__((aligned(8)));
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "some-file-name", NULL, 0644));
	fd = openat(self->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, E(syscall(SYS_getdents64, fd, buf, sizeof(buf))));
	close(fd);
}

TEST_F(ns, readdir_while_unlinking_never_repeats_or_skips_survivors)
{
	enum { N = 300 };
	static int count[N];
	static bool removed_unseen[N];
	char buf[256] __attribute__((aligned(8)));
	bool mass_done = false;
	int fd, seen = 0;
	long n;

	for (int i = 0; i < N; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%03d", i);
		ASSERT_EQ(0, mkfile(self->dfd, name, NULL, 0644));
	}
	fd = openat(self->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		/* everything in this buffer has been returned: count it ... */
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *de = (void *)(buf + off);
			int i;

			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			ASSERT_EQ(1, sscanf(de->d_name, "f%d", &i));
			ASSERT_TRUE(i >= 0 && i < N);
			EXPECT_FALSE(removed_unseen[i]) TH_LOG("f%03d returned after it was unlinked", i);
			count[i]++;
			seen++;
		}
		/* ... then unlink it */
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *de = (void *)(buf + off);

			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			ASSERT_EQ(0, unlinkat(self->dfd, de->d_name, 0)) TH_LOG("unlink %s: %s",
				de->d_name, strerror(errno));
		}
		if (seen >= 100 && !mass_done) {
			/* and once, every even file not returned yet */
			mass_done = true;
			for (int j = 0; j < N; j += 2) {
				char name[32];

				if (count[j])
					continue;
				snprintf(name, sizeof(name), "f%03d", j);
				ASSERT_EQ(0, unlinkat(self->dfd, name, 0));
				removed_unseen[j] = true;
			}
		}
	}
	EXPECT_EQ(0, n);
	close(fd);
	for (int i = 0; i < N; i++) {
		if (removed_unseen[i])
			continue;
		EXPECT_EQ(1, count[i]) TH_LOG("f%03d seen %d times", i, count[i]);
	}
	EXPECT_EQ(0, rpc_count_entries(self->dir));
}

TEST_F(ns, readdir_seekdir_returns_to_same_entry)
{
	long pos[64];
	char names[64][256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	for (int i = 0; i < 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "s%02d", i);
		ASSERT_EQ(0, mkfile(self->dfd, name, NULL, 0644));
	}
	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	for (;;) {
		long p = telldir(d);

		de = readdir(d);
		if (!de)
			break;
		ASSERT_LT(n, 64);
		pos[n] = p;
		snprintf(names[n], sizeof(names[n]), "%s", de->d_name);
		n++;
	}
	EXPECT_EQ(52, n);
	for (int k = n - 1; k >= 0; k -= 7) {
		seekdir(d, pos[k]);
		de = readdir(d);
		ASSERT_NE(NULL, de);
		EXPECT_STREQ(names[k], de->d_name);
	}
	rewinddir(d);
	de = readdir(d);
	ASSERT_NE(NULL, de);
	EXPECT_STREQ(names[0], de->d_name);
	closedir(d);
}

TEST_F(ns, rewinddir_sees_new_entries)
{
	struct dirent *de;
	int before = 0, after = 0;
	bool found = false;
	DIR *d;

	ASSERT_EQ(0, mkfile(self->dfd, "a", NULL, 0644));
	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d)))
		before++;
	ASSERT_EQ(0, mkfile(self->dfd, "b", NULL, 0644));
	rewinddir(d);
	while ((de = readdir(d))) {
		after++;
		if (!strcmp(de->d_name, "b"))
			found = true;
	}
	closedir(d);
	EXPECT_EQ(3, before);
	EXPECT_EQ(4, after);
	EXPECT_TRUE(found);
}

/* ---- attributes ---- */

TEST_F(ns, chmod_sets_mode_and_updates_ctime)
{
	struct stat a, b;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &a, 0));
	tick();
	ASSERT_EQ(0, fchmodat(self->dfd, "f", 04751, 0)) TH_LOG("chmod: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &b, 0));
	EXPECT_EQ(04751, LL(b.st_mode & 07777));
	EXPECT_TRUE(S_ISREG(b.st_mode));
	EXPECT_TRUE(ts_after(b.st_ctim, a.st_ctim));
	EXPECT_EQ(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	EXPECT_EQ(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
}

TEST_F(ns, chmod_directory)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, fchmodat(self->dfd, "d", 01700, 0));
	EXPECT_EQ(01700, MODE(self->dfd, "d") & 07777);
	EXPECT_TRUE(S_ISDIR(MODE(self->dfd, "d")));
}

TEST_F(ns, chown_sets_owner_and_updates_ctime)
{
	struct stat a, b;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &a, 0));
	tick();
	ASSERT_EQ(0, fchownat(self->dfd, "f", 1000, 2000, 0)) TH_LOG("chown: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &b, 0));
	EXPECT_EQ(1000, LL(b.st_uid));
	EXPECT_EQ(2000, LL(b.st_gid));
	EXPECT_TRUE(ts_after(b.st_ctim, a.st_ctim));
	/* -1 leaves a field alone */
	ASSERT_EQ(0, fchownat(self->dfd, "f", -1, 3000, 0));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &b, 0));
	EXPECT_EQ(1000, LL(b.st_uid));
	EXPECT_EQ(3000, LL(b.st_gid));
}

TEST_F(ns, chown_clears_setuid_and_setgid)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, fchmodat(self->dfd, "f", 06755, 0));
	ASSERT_EQ(0, fchownat(self->dfd, "f", 1000, 1000, 0));
	EXPECT_EQ(0755, MODE(self->dfd, "f") & 07777);
}

TEST_F(ns, lchown_changes_the_symlink_itself)
{
	struct stat st;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, symlinkat("f", self->dfd, "l"));
	ASSERT_EQ(0, fchownat(self->dfd, "l", 7, 8, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(0, fstatat(self->dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_EQ(7, LL(st.st_uid));
	EXPECT_EQ(8, LL(st.st_gid));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(0, LL(st.st_uid));
}

TEST_F(ns, utimensat_sets_exact_times_and_updates_ctime)
{
	struct timespec ts[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 123456789 },
		{ .tv_sec = 1234567890, .tv_nsec = 987654321 },
	};
	struct stat a, b;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &a, 0));
	tick();
	ASSERT_EQ(0, utimensat(self->dfd, "f", ts, 0)) TH_LOG("utimensat: %s", strerror(errno));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &b, 0));
	EXPECT_EQ(1000000000, LL(b.st_atim.tv_sec));
	EXPECT_EQ(123456789, LL(b.st_atim.tv_nsec));
	EXPECT_EQ(1234567890, LL(b.st_mtim.tv_sec));
	EXPECT_EQ(987654321, LL(b.st_mtim.tv_nsec));
	EXPECT_TRUE(ts_after(b.st_ctim, a.st_ctim));
}

TEST_F(ns, utimensat_omit_and_now)
{
	struct timespec set[2] = { { 100, 0 }, { 200, 0 } };
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	struct timespec now;
	struct stat st;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, utimensat(self->dfd, "f", set, 0));
	ASSERT_EQ(0, utimensat(self->dfd, "f", ts, 0));
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &now));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(100, LL(st.st_atim.tv_sec));
	EXPECT_LE(LL(now.tv_sec) - 5, LL(st.st_mtim.tv_sec));
	EXPECT_GE(LL(now.tv_sec), LL(st.st_mtim.tv_sec));
}

TEST_F(ns, utimensat_on_symlink_nofollow)
{
	struct timespec ts[2] = { { 111, 1 }, { 222, 2 } };
	struct stat st;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, symlinkat("f", self->dfd, "l"));
	ASSERT_EQ(0, utimensat(self->dfd, "l", ts, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(0, fstatat(self->dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_EQ(222, LL(st.st_mtim.tv_sec));
	EXPECT_EQ(2, LL(st.st_mtim.tv_nsec));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_NE(222, LL(st.st_mtim.tv_sec));
}

TEST_F(ns, write_updates_mtime_and_ctime)
{
	struct stat a, b;
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &a, 0));
	tick();
	fd = openat(self->dfd, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "y", 1));
	close(fd);
	ASSERT_EQ(0, fstatat(self->dfd, "f", &b, 0));
	EXPECT_TRUE(ts_after(b.st_mtim, a.st_mtim));
	EXPECT_TRUE(ts_after(b.st_ctim, a.st_ctim));
}

TEST_F(ns, entry_changes_update_parent_mtime_and_ctime)
{
	struct stat a, b;

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, fstatat(self->dfd, "d", &a, 0));
	tick();
	ASSERT_EQ(0, mkfile(self->dfd, "d/f", NULL, 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "d", &b, 0));
	EXPECT_TRUE(ts_after(b.st_mtim, a.st_mtim)) TH_LOG("create did not update the parent's mtime");
	EXPECT_TRUE(ts_after(b.st_ctim, a.st_ctim));
	a = b;
	tick();
	ASSERT_EQ(0, unlinkat(self->dfd, "d/f", 0));
	ASSERT_EQ(0, fstatat(self->dfd, "d", &b, 0));
	EXPECT_TRUE(ts_after(b.st_mtim, a.st_mtim)) TH_LOG("unlink did not update the parent's mtime");
	a = b;
	tick();
	ASSERT_EQ(0, mkdirat(self->dfd, "d/sub", 0755));
	ASSERT_EQ(0, fstatat(self->dfd, "d", &b, 0));
	EXPECT_TRUE(ts_after(b.st_mtim, a.st_mtim)) TH_LOG("mkdir did not update the parent's mtime");
}

TEST_F(ns, new_inode_times_are_now)
{
	struct timespec now;
	struct stat st;

	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &now));
	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL, 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_LE(LL(now.tv_sec) - 2, LL(st.st_mtim.tv_sec));
	EXPECT_GE(LL(now.tv_sec) + 2, LL(st.st_mtim.tv_sec));
	EXPECT_LE(LL(now.tv_sec) - 2, LL(st.st_ctim.tv_sec));
	EXPECT_LE(LL(now.tv_sec) - 2, LL(st.st_atim.tv_sec));
}

TEST_F(ns, directory_nlink_is_two_plus_subdirs)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(2, NLINK(self->dfd, "d"));
	for (int i = 0; i < 5; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d/sub%d", i);
		ASSERT_EQ(0, mkdirat(self->dfd, name, 0755));
		snprintf(name, sizeof(name), "d/file%d", i);
		ASSERT_EQ(0, mkfile(self->dfd, name, NULL, 0644));
	}
	ASSERT_EQ(0, symlinkat("x", self->dfd, "d/link"));
	EXPECT_EQ(7, NLINK(self->dfd, "d"));
	ASSERT_EQ(0, unlinkat(self->dfd, "d/sub0", AT_REMOVEDIR));
	EXPECT_EQ(6, NLINK(self->dfd, "d"));
	EXPECT_EQ(3, NLINK(self->dfd, "."));
}

TEST_F(ns, directory_size_counts_entries_like_tmpfs)
{
	/* tmpfs: 2 * BOGO_DIRENT_SIZE (20) when empty, +20 per entry. */
	EXPECT_EQ(40, SIZE(self->dfd, "."));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(40, SIZE(self->dfd, "d"));
	EXPECT_EQ(60, SIZE(self->dfd, "."));
	ASSERT_EQ(0, mkfile(self->dfd, "d/a", NULL, 0644));
	ASSERT_EQ(0, symlinkat("x", self->dfd, "d/b"));
	ASSERT_EQ(0, mknodat(self->dfd, "d/c", S_IFIFO | 0644, 0));
	ASSERT_EQ(0, linkat(self->dfd, "d/a", self->dfd, "d/e", 0));
	EXPECT_EQ(120, SIZE(self->dfd, "d"));
	ASSERT_EQ(0, renameat(self->dfd, "d/a", self->dfd, "moved"));
	EXPECT_EQ(100, SIZE(self->dfd, "d"));
	EXPECT_EQ(80, SIZE(self->dfd, "."));
	ASSERT_EQ(0, unlinkat(self->dfd, "d/b", 0));
	EXPECT_EQ(80, SIZE(self->dfd, "d"));
}

TEST_F(ns, setgid_directory_passes_group_and_bit)
{
	struct stat st;

	ASSERT_EQ(0, mkdirat(self->dfd, "g", 0775));
	ASSERT_EQ(0, fchownat(self->dfd, "g", 0, 2000, 0));
	ASSERT_EQ(0, fchmodat(self->dfd, "g", 02775, 0));
	ASSERT_EQ(0, mkfile(self->dfd, "g/f", NULL, 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "g/sub", 0755));
	ASSERT_EQ(0, fstatat(self->dfd, "g/f", &st, 0));
	EXPECT_EQ(2000, LL(st.st_gid));
	ASSERT_EQ(0, fstatat(self->dfd, "g/sub", &st, 0));
	EXPECT_EQ(2000, LL(st.st_gid));
	EXPECT_TRUE((st.st_mode & S_ISGID) != 0);
}

/* ---- permissions as uid/gid 65534 ---- */

static int as_create(void *p) { int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644); if (fd < 0) return errno; close(fd); return 0; }
static int as_mkdir(void *p) { return mkdir(p, 0755) ? errno : 0; }
static int as_read(void *p) { int fd = open(p, O_RDONLY); if (fd < 0) return errno; close(fd); return 0; }
static int as_write(void *p) { int fd = open(p, O_WRONLY); if (fd < 0) return errno; close(fd); return 0; }
static int as_unlink(void *p) { return unlink(p) ? errno : 0; }
static int as_chmod(void *p) { return chmod(p, 0777) ? errno : 0; }
static int as_chown_root(void *p) { return chown(p, 0, 0) ? errno : 0; }
static int as_chown_self(void *p) { return chown(p, RPC_NOBODY, RPC_NOBODY) ? errno : 0; }
static int as_utimes_now(void *p) { return utimensat(AT_FDCWD, p, NULL, 0) ? errno : 0; }
static int as_utimes_set(void *p)
{
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };

	return utimensat(AT_FDCWD, p, ts, 0) ? errno : 0;
}
static int as_stat(void *p) { struct stat st; return stat(p, &st) ? errno : 0; }

#define PATHOF(var, rel) char var[PATH_MAX]; rpc_path(var, sizeof(var), self->dir, rel)

static int as_append_byte(void *p)
{
	int fd = open(p, O_WRONLY | O_APPEND), e = 0;

	if (fd < 0)
		return errno;
	if (write(fd, "n", 1) != 1)
		e = errno ? errno : EIO;
	close(fd);
	return e;
}

/*
 * A write by someone without CAP_FSETID strips setuid and setgid
 * (file_remove_privs). After a write that found nothing to strip, the VFS
 * marks the inode "nothing to strip" (S_NOSEC, which the filesystem allows
 * with SB_NOSEC) and later writes skip the check: making the file setuid
 * must clear that mark, or the next write keeps the bits.
 */
TEST_F(ns, write_by_nobody_strips_setuid_also_after_earlier_writes)
{
	PATHOF(f, "f");
	int fd;

	fd = openat(self->dfd, "f", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "a", 1));
	ASSERT_EQ(1, write(fd, "b", 1));
	ASSERT_EQ(0, fchmod(fd, 06777));
	close(fd);
	EXPECT_EQ(06777, MODE(self->dfd, "f") & 07777);
	EXPECT_EQ(0, rpc_run_as_nobody(as_append_byte, f));
	EXPECT_EQ(0777, MODE(self->dfd, "f") & 07777) TH_LOG("setuid/setgid kept after a write by nobody");
	/* and again, after the write that stripped them */
	ASSERT_EQ(0, fchmodat(self->dfd, "f", 04777, 0));
	EXPECT_EQ(0, rpc_run_as_nobody(as_append_byte, f));
	EXPECT_EQ(0777, MODE(self->dfd, "f") & 07777);
	EXPECT_EQ(4, SIZE(self->dfd, "f"));
}

TEST_F(ns, nobody_cannot_create_in_root_owned_0755_dir)
{
	PATHOF(f, "d/f");
	PATHOF(sub, "d/sub");

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(EACCES, rpc_run_as_nobody(as_create, f));
	EXPECT_EQ(EACCES, rpc_run_as_nobody(as_mkdir, sub));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "d/sub"));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "d/f"));
}

TEST_F(ns, nobody_can_create_in_1777_root_and_owns_the_file)
{
	PATHOF(f, "mine");

	EXPECT_EQ(0, rpc_run_as_nobody(as_create, f));
	EXPECT_EQ(RPC_NOBODY, lstat_field(self->dfd, "mine", 'u'));
	EXPECT_EQ(RPC_NOBODY, lstat_field(self->dfd, "mine", 'g'));
}

TEST_F(ns, nobody_cannot_read_0600_root_file)
{
	PATHOF(priv, "priv");
	PATHOF(pub, "pub");

	ASSERT_EQ(0, mkfile(self->dfd, "priv", "secret", 0600));
	ASSERT_EQ(0, mkfile(self->dfd, "pub", "public", 0644));
	EXPECT_EQ(EACCES, rpc_run_as_nobody(as_read, priv));
	EXPECT_EQ(0, rpc_run_as_nobody(as_read, pub));
	EXPECT_EQ(EACCES, rpc_run_as_nobody(as_write, pub));
}

TEST_F(ns, nobody_cannot_search_0700_dir)
{
	PATHOF(f, "d/f");

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0700));
	ASSERT_EQ(0, mkfile(self->dfd, "d/f", "x", 0644));
	EXPECT_EQ(EACCES, rpc_run_as_nobody(as_stat, f));
	ASSERT_EQ(0, fchmodat(self->dfd, "d", 0711, 0));
	EXPECT_EQ(0, rpc_run_as_nobody(as_stat, f));
}

TEST_F(ns, sticky_dir_protects_other_users_files)
{
	PATHOF(other, "other");
	PATHOF(mine, "mine");

	/* the root of the mount is 1777 */
	ASSERT_EQ(01777, MODE(self->dfd, ".") & 07777);
	ASSERT_EQ(0, mkfile(self->dfd, "other", "x", 0666));
	ASSERT_EQ(0, fchownat(self->dfd, "other", 1000, 1000, 0));
	EXPECT_EQ(EPERM, rpc_run_as_nobody(as_unlink, other));
	EXPECT_EQ(1, NLINK(self->dfd, "other"));
	EXPECT_EQ(0, rpc_run_as_nobody(as_create, mine));
	EXPECT_EQ(0, rpc_run_as_nobody(as_unlink, mine));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "mine"));
}

TEST_F(ns, non_sticky_world_writable_dir_allows_unlinking_others_files)
{
	PATHOF(f, "d/other");

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0777));
	ASSERT_EQ(0, mkfile(self->dfd, "d/other", "x", 0600));
	EXPECT_EQ(0, rpc_run_as_nobody(as_unlink, f));
	EXPECT_EQ(-ENOENT, NLINK(self->dfd, "d/other"));
}

TEST_F(ns, nobody_cannot_chmod_or_chown_others_files)
{
	PATHOF(f, "f");

	ASSERT_EQ(0, mkfile(self->dfd, "f", "x", 0666));
	EXPECT_EQ(EPERM, rpc_run_as_nobody(as_chmod, f));
	EXPECT_EQ(EPERM, rpc_run_as_nobody(as_chown_self, f));
	EXPECT_EQ(0666, MODE(self->dfd, "f") & 07777);
	EXPECT_EQ(0, lstat_field(self->dfd, "f", 'u'));
}

TEST_F(ns, nobody_cannot_give_away_own_file_but_can_chmod_it)
{
	PATHOF(f, "mine");

	ASSERT_EQ(0, rpc_run_as_nobody(as_create, f));
	EXPECT_EQ(EPERM, rpc_run_as_nobody(as_chown_root, f));
	EXPECT_EQ(0, rpc_run_as_nobody(as_chmod, f));
	EXPECT_EQ(0777, MODE(self->dfd, "mine") & 07777);
	EXPECT_EQ(RPC_NOBODY, lstat_field(self->dfd, "mine", 'u'));
}

TEST_F(ns, utimensat_null_needs_ownership_or_write_access)
{
	PATHOF(ro, "ro");
	PATHOF(rw, "rw");

	ASSERT_EQ(0, mkfile(self->dfd, "ro", "x", 0644));
	ASSERT_EQ(0, mkfile(self->dfd, "rw", "x", 0666));
	EXPECT_EQ(EACCES, rpc_run_as_nobody(as_utimes_now, ro));
	EXPECT_EQ(0, rpc_run_as_nobody(as_utimes_now, rw));
	/* explicit times need ownership even if writable */
	EXPECT_EQ(EPERM, rpc_run_as_nobody(as_utimes_set, rw));
}

TEST_HARNESS_MAIN
