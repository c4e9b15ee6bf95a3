// SPDX-License-Identifier: GPL-2.0
/*
 * Inode flags (chattr/lsattr: FS_IOC_GETFLAGS/FS_IOC_SETFLAGS) of
 * rust_pagecache, which must behave as tmpfs's (fs/fileattr.rs). Every test
 * passes on tmpfs too (RPC_FSTYPE=tmpfs, checked on the host).
 *
 * tmpfs behaviour this encodes:
 *  - append-only (a), immutable (i), nodump (d) and noatime (A) can be set
 *    on files and directories and read back; other flags (compression,
 *    case-folding without CONFIG_UNICODE) are EOPNOTSUPP.
 *  - An append-only file opens for writing only with O_APPEND, cannot be
 *    truncated, punched, renamed or unlinked; an immutable one cannot be
 *    written, changed, linked, renamed or unlinked, but can be read.
 *  - nodump and noatime are inherited by what is made in a directory; a
 *    noatime file's atime does not move on read.
 *  - Setting a or i needs CAP_LINUX_IMMUTABLE; the owner may set d.
 *  - statx reports a, i and d as attributes (and knows those three) and a
 *    birth time: the times of the new inode, moved by nothing after.
 */
#include "rpc_util.h"
#include <linux/falloc.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include "kselftest_harness.h"

/* <linux/fs.h> clashes with <sys/mount.h>: the few constants needed. */
#define RPC_FS_IOC_GETFLAGS	_IOR('f', 1, long)
#define RPC_FS_IOC_SETFLAGS	_IOW('f', 2, long)
#define RPC_FS_COMPR_FL		0x00000004
#define RPC_FS_IMMUTABLE_FL	0x00000010
#define RPC_FS_APPEND_FL	0x00000020
#define RPC_FS_NODUMP_FL	0x00000040
#define RPC_FS_NOATIME_FL	0x00000080
#define RPC_FS_CASEFOLD_FL	0x40000000

FIXTURE(fileattr) {
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(fileattr)
{
	int r;

	umask(0);
	r = rpc_mount_dir(self->dir, "size=16m", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(fileattr)
{
	rpc_umount(self->dir);
}

static int getflags(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC), flags = 0, r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, RPC_FS_IOC_GETFLAGS, &flags) ? -errno : flags;
	close(fd);
	return r;
}

static int setflags(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, RPC_FS_IOC_SETFLAGS, &flags) ? -errno : 0;
	close(fd);
	return r;
}

static int mkfile(int dfd, const char *name, const char *content)
{
	int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	ssize_t len = content ? (ssize_t)strlen(content) : 0;

	if (fd < 0)
		return -errno;
	if (len && write(fd, content, len) != len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

TEST_F(fileattr, flags_are_kept_and_others_refused)
{
	ASSERT_EQ(0, mkfile(self->dfd, "f", "x"));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	EXPECT_EQ(0, getflags(self->dfd, "f"));
	ASSERT_EQ(0, setflags(self->dfd, "f", RPC_FS_NODUMP_FL | RPC_FS_NOATIME_FL));
	EXPECT_EQ(RPC_FS_NODUMP_FL | RPC_FS_NOATIME_FL, getflags(self->dfd, "f"));
	ASSERT_EQ(0, setflags(self->dfd, "d", RPC_FS_NODUMP_FL));
	EXPECT_EQ(RPC_FS_NODUMP_FL, getflags(self->dfd, "d"));
	EXPECT_EQ(-EOPNOTSUPP, setflags(self->dfd, "f", RPC_FS_COMPR_FL));
	EXPECT_EQ(-EOPNOTSUPP, setflags(self->dfd, "d", RPC_FS_CASEFOLD_FL));
	/* A refused change changes nothing. */
	EXPECT_EQ(RPC_FS_NODUMP_FL | RPC_FS_NOATIME_FL, getflags(self->dfd, "f"));
	ASSERT_EQ(0, setflags(self->dfd, "f", 0));
	EXPECT_EQ(0, getflags(self->dfd, "f"));
}

TEST_F(fileattr, append_only_allows_only_appending)
{
	int fd;
	struct stat st;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "abc"));
	ASSERT_EQ(0, setflags(self->dfd, "f", RPC_FS_APPEND_FL));
	EXPECT_EQ(RPC_FS_APPEND_FL, getflags(self->dfd, "f"));
	EXPECT_EQ(-EPERM, E(openat(self->dfd, "f", O_WRONLY | O_CLOEXEC)));
	EXPECT_EQ(-EPERM, E(openat(self->dfd, "f", O_WRONLY | O_TRUNC | O_APPEND | O_CLOEXEC)));
	fd = openat(self->dfd, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(2, write(fd, "de", 2));
	EXPECT_EQ(-EPERM, E(ftruncate(fd, 1)));
	EXPECT_EQ(-EPERM, E(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1)));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	EXPECT_EQ(-EPERM, E(unlinkat(self->dfd, "f", 0)));
	EXPECT_EQ(-EPERM, E(renameat(self->dfd, "f", self->dfd, "g")));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(5, st.st_size);
	ASSERT_EQ(0, setflags(self->dfd, "f", 0));
	EXPECT_EQ(0, E(unlinkat(self->dfd, "f", 0)));
}

TEST_F(fileattr, immutable_can_be_read_and_nothing_else)
{
	char f[128], buf[8] = "";
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "abc"));
	ASSERT_EQ(0, setflags(self->dfd, "f", RPC_FS_IMMUTABLE_FL));
	EXPECT_EQ(-EPERM, E(openat(self->dfd, "f", O_WRONLY | O_CLOEXEC)));
	EXPECT_EQ(-EPERM, E(openat(self->dfd, "f", O_WRONLY | O_APPEND | O_CLOEXEC)));
	fd = openat(self->dfd, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));
	EXPECT_STREQ("abc", buf);
	close(fd);
	rpc_path(f, sizeof(f), self->dir, "f");
	EXPECT_EQ(-EPERM, E(chmod(f, 0600)));
	EXPECT_EQ(-EPERM, E(truncate(f, 0)));
	EXPECT_EQ(-EPERM, E(setxattr(f, "user.x", "1", 1, 0)));
	EXPECT_EQ(-EPERM, E(linkat(self->dfd, "f", self->dfd, "l", 0)));
	EXPECT_EQ(-EPERM, E(renameat(self->dfd, "f", self->dfd, "g")));
	EXPECT_EQ(-EPERM, E(unlinkat(self->dfd, "f", 0)));
	ASSERT_EQ(0, setflags(self->dfd, "f", 0));
	EXPECT_EQ(0, E(unlinkat(self->dfd, "f", 0)));
}

TEST_F(fileattr, an_immutable_directory_takes_no_new_names)
{
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkfile(self->dfd, "d/in", NULL));
	ASSERT_EQ(0, setflags(self->dfd, "d", RPC_FS_IMMUTABLE_FL));
	EXPECT_EQ(-EPERM, mkfile(self->dfd, "d/new", NULL));
	EXPECT_EQ(-EPERM, E(unlinkat(self->dfd, "d/in", 0)));
	ASSERT_EQ(0, setflags(self->dfd, "d", 0));
	EXPECT_EQ(0, mkfile(self->dfd, "d/new", NULL));
}

TEST_F(fileattr, nodump_and_noatime_are_inherited)
{
	struct timespec old[2] = { { 1000000, 0 }, { UTIME_OMIT, 0 } };
	struct stat st;
	char buf[8];
	int fd;

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, setflags(self->dfd, "d", RPC_FS_NODUMP_FL | RPC_FS_NOATIME_FL | RPC_FS_APPEND_FL));
	/* Append-only is the directory's own: new names may still be made. */
	ASSERT_EQ(0, mkfile(self->dfd, "d/f", "abc"));
	ASSERT_EQ(0, mkdirat(self->dfd, "d/sub", 0755));
	EXPECT_EQ(RPC_FS_NODUMP_FL | RPC_FS_NOATIME_FL, getflags(self->dfd, "d/f"));
	EXPECT_EQ(RPC_FS_NODUMP_FL | RPC_FS_NOATIME_FL, getflags(self->dfd, "d/sub"));
	/* noatime: a read leaves an old atime as it is. */
	ASSERT_EQ(0, utimensat(self->dfd, "d/f", old, 0));
	fd = openat(self->dfd, "d/f", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));
	close(fd);
	ASSERT_EQ(0, fstatat(self->dfd, "d/f", &st, 0));
	EXPECT_EQ(1000000, st.st_atim.tv_sec);
	/* Without it, the same read moves atime (relatime: it is older than mtime). */
	ASSERT_EQ(0, setflags(self->dfd, "d/f", 0));
	fd = openat(self->dfd, "d/f", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));
	close(fd);
	ASSERT_EQ(0, fstatat(self->dfd, "d/f", &st, 0));
	EXPECT_LT(1000000, st.st_atim.tv_sec);
	ASSERT_EQ(0, setflags(self->dfd, "d", 0));
}

TEST_F(fileattr, a_and_i_need_cap_linux_immutable)
{
	char f[128];
	pid_t pid;
	int st;

	ASSERT_EQ(0, mkfile(self->dfd, "f", "abc"));
	rpc_path(f, sizeof(f), self->dir, "f");
	ASSERT_EQ(0, chown(f, RPC_NOBODY, RPC_NOBODY));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(RPC_NOBODY) || setuid(RPC_NOBODY))
			_exit(10);
		if (setflags(self->dfd, "f", RPC_FS_NODUMP_FL))
			_exit(11);
		if (setflags(self->dfd, "f", RPC_FS_NODUMP_FL | RPC_FS_APPEND_FL) != -EPERM)
			_exit(12);
		if (setflags(self->dfd, "f", RPC_FS_IMMUTABLE_FL) != -EPERM)
			_exit(13);
		_exit(getflags(self->dfd, "f") == RPC_FS_NODUMP_FL ? 0 : 14);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("child failed check %d", WEXITSTATUS(st));
}

static int statx_of(int dfd, const char *name, struct statx *stx)
{
	return statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, stx) ? -errno : 0;
}

TEST_F(fileattr, statx_shows_the_flags_and_the_birth_time)
{
	struct statx a, b;
	int fd;

	ASSERT_EQ(0, mkfile(self->dfd, "f", NULL));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, symlinkat("f", self->dfd, "s"));
	ASSERT_EQ(0, statx_of(self->dfd, "f", &a));
	ASSERT_TRUE(!!(a.stx_mask & STATX_BTIME)) TH_LOG("no birth time");
	/* Born when made: with the times of a new file. */
	EXPECT_EQ(a.stx_mtime.tv_sec, a.stx_btime.tv_sec);
	EXPECT_EQ(LL(a.stx_mtime.tv_nsec), LL(a.stx_btime.tv_nsec));
	EXPECT_EQ(LL(STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP),
		  LL(a.stx_attributes_mask & (STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP)));
	EXPECT_EQ(0, LL(a.stx_attributes & (STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP)));
	usleep(20000);
	fd = openat(self->dfd, "f", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "x", 1));
	close(fd);
	ASSERT_EQ(0, setflags(self->dfd, "f", RPC_FS_APPEND_FL | RPC_FS_NODUMP_FL));
	ASSERT_EQ(0, statx_of(self->dfd, "f", &b));
	/* Writes and flags move mtime and ctime, never the birth time. */
	EXPECT_EQ(a.stx_btime.tv_sec, b.stx_btime.tv_sec);
	EXPECT_EQ(LL(a.stx_btime.tv_nsec), LL(b.stx_btime.tv_nsec));
	EXPECT_TRUE(b.stx_mtime.tv_sec != a.stx_mtime.tv_sec || b.stx_mtime.tv_nsec != a.stx_mtime.tv_nsec);
	EXPECT_EQ(LL(STATX_ATTR_APPEND | STATX_ATTR_NODUMP),
		  LL(b.stx_attributes & (STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP)));
	ASSERT_EQ(0, setflags(self->dfd, "f", 0));
	/* Directories and symlinks have a birth time too. */
	ASSERT_EQ(0, statx_of(self->dfd, "d", &a));
	EXPECT_TRUE(!!(a.stx_mask & STATX_BTIME));
	EXPECT_NE(0, a.stx_btime.tv_sec);
	ASSERT_EQ(0, statx_of(self->dfd, "s", &a));
	EXPECT_TRUE(!!(a.stx_mask & STATX_BTIME));
	EXPECT_NE(0, a.stx_btime.tv_sec);
}

TEST_HARNESS_MAIN
