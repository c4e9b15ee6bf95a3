// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes and POSIX ACLs of rust_pagecache, which must behave
 * as tmpfs's (CONFIG_TMPFS_XATTR, CONFIG_TMPFS_POSIX_ACL; fs/xattr.rs).
 * Every test passes on tmpfs too (RPC_FSTYPE=tmpfs, checked on the host).
 *
 * tmpfs behaviour this encodes:
 *  - user., trusted. and security. attributes; XATTR_CREATE of one that
 *    exists is EEXIST, XATTR_REPLACE or removal of one that does not is
 *    ENODATA; an empty value is a value; a value up to 64 KiB is fine and
 *    one byte more is E2BIG (the VFS's limit).
 *  - trusted. names are hidden from listxattr without CAP_SYS_ADMIN and
 *    read as ENODATA; user. attributes cannot go on a symlink (EPERM).
 *  - With nr_inodes=N the mount has N * 1024 bytes of inode budget: an
 *    inode takes 1024, an attribute 40 + name + value bytes, f_ffree is
 *    what is left / 1024, ENOSPC past it; unlink and removal give it back.
 *  - setxattr updates ctime.
 *  - POSIX ACLs: an access ACL sets the group bits to its mask and grants
 *    what it says; a directory's default ACL is inherited by what is made
 *    in it (the umask then does not apply); without one the umask does; a
 *    chmod rewrites the mask; an ACL equivalent to the mode is not stored.
 */
#include "rpc_util.h"
#include <sys/xattr.h>
#include "kselftest_harness.h"

FIXTURE(xattr) {
	char dir[64];
	int dfd;
	/* A second mount, with an inode budget (budget_mount()). */
	char bdir[64];
};

FIXTURE_SETUP(xattr)
{
	int r;

	umask(0);
	self->bdir[0] = 0;
	r = rpc_mount_dir(self->dir, "size=16m", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(xattr)
{
	rpc_umount(self->bdir);
	rpc_umount(self->dir);
}

/* dir/rel as a path in a static buffer of the caller's. */
#define P(buf, rel) ({ rpc_path(buf, sizeof(buf), self->dir, rel); buf; })
#define PB(buf, rel) ({ rpc_path(buf, sizeof(buf), self->bdir, rel); buf; })

static int touch(const char *path, mode_t mode)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, mode);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Does the NUL-separated list of len bytes hold name? */
static bool listed(const char *list, ssize_t len, const char *name)
{
	for (const char *p = list; p < list + len; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return true;
	return false;
}

TEST_F(xattr, user_xattr_set_get_list_remove)
{
	char f[128], buf[64], list[256];
	ssize_t n;

	ASSERT_EQ(0, touch(P(f, "f"), 0644));
	ASSERT_EQ(0, E(setxattr(f, "user.colour", "blue", 4, 0)));
	EXPECT_EQ(4, E(getxattr(f, "user.colour", NULL, 0)));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, E(getxattr(f, "user.colour", buf, sizeof(buf))));
	EXPECT_STREQ("blue", buf);
	EXPECT_EQ(-ERANGE, E(getxattr(f, "user.colour", buf, 3)));
	n = listxattr(f, list, sizeof(list));
	ASSERT_LT(0, n);
	EXPECT_TRUE(listed(list, n, "user.colour"));
	EXPECT_EQ(n, E(listxattr(f, NULL, 0)));
	EXPECT_EQ(-ERANGE, E(listxattr(f, list, 1)));
	EXPECT_EQ(-ENODATA, E(getxattr(f, "user.size", buf, sizeof(buf))));
	ASSERT_EQ(0, E(removexattr(f, "user.colour")));
	EXPECT_EQ(-ENODATA, E(getxattr(f, "user.colour", buf, sizeof(buf))));
	EXPECT_EQ(-ENODATA, E(removexattr(f, "user.colour")));
	n = listxattr(f, list, sizeof(list));
	EXPECT_FALSE(n > 0 && listed(list, n, "user.colour"));
}

TEST_F(xattr, create_replace_and_empty_values)
{
	char f[128], buf[64];

	ASSERT_EQ(0, touch(P(f, "f"), 0644));
	EXPECT_EQ(-ENODATA, E(setxattr(f, "user.a", "1", 1, XATTR_REPLACE)));
	ASSERT_EQ(0, E(setxattr(f, "user.a", "1", 1, XATTR_CREATE)));
	EXPECT_EQ(-EEXIST, E(setxattr(f, "user.a", "2", 1, XATTR_CREATE)));
	ASSERT_EQ(0, E(setxattr(f, "user.a", "three", 5, XATTR_REPLACE)));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, E(getxattr(f, "user.a", buf, sizeof(buf))));
	EXPECT_STREQ("three", buf);
	/* An empty value exists (it is not a removal). */
	ASSERT_EQ(0, E(setxattr(f, "user.empty", "", 0, 0)));
	EXPECT_EQ(0, E(getxattr(f, "user.empty", buf, sizeof(buf))));
	EXPECT_EQ(-EEXIST, E(setxattr(f, "user.empty", "x", 1, XATTR_CREATE)));
}

TEST_F(xattr, xattrs_belong_to_the_inode)
{
	char a[128], b[128], l[128], r[128], d[128], s[128], buf[64];

	ASSERT_EQ(0, touch(P(a, "a"), 0644));
	ASSERT_EQ(0, touch(P(b, "b"), 0644));
	ASSERT_EQ(0, E(setxattr(a, "user.x", "A", 1, 0)));
	ASSERT_EQ(0, E(setxattr(b, "user.x", "BB", 2, 0)));
	/* A hard link is the same inode; a rename keeps them. */
	ASSERT_EQ(0, E(link(a, P(l, "l"))));
	EXPECT_EQ(1, E(getxattr(l, "user.x", buf, sizeof(buf))));
	ASSERT_EQ(0, E(rename(b, P(r, "r"))));
	EXPECT_EQ(2, E(getxattr(r, "user.x", buf, sizeof(buf))));
	EXPECT_EQ(0, memcmp(buf, "BB", 2));
	/* Directories have them too. */
	ASSERT_EQ(0, E(mkdir(P(d, "d"), 0755)));
	ASSERT_EQ(0, E(setxattr(d, "user.dir", "yes", 3, 0)));
	EXPECT_EQ(3, E(getxattr(d, "user.dir", buf, sizeof(buf))));
	/* Symlinks take trusted. (as root) but not user. (the VFS). */
	ASSERT_EQ(0, E(symlink("a", P(s, "s"))));
	EXPECT_EQ(-EPERM, E(lsetxattr(s, "user.x", "1", 1, 0)));
	ASSERT_EQ(0, E(lsetxattr(s, "trusted.link", "L", 1, 0)));
	EXPECT_EQ(1, E(lgetxattr(s, "trusted.link", buf, sizeof(buf))));
	char list[256];
	ssize_t n = llistxattr(s, list, sizeof(list));

	ASSERT_LT(0, n);
	EXPECT_TRUE(listed(list, n, "trusted.link"));
	/* ...and the target's are not the link's. */
	EXPECT_EQ(-ENODATA, E(getxattr(s, "trusted.link", buf, sizeof(buf))));
}

TEST_F(xattr, values_up_to_64k_and_no_more)
{
	char f[128];
	size_t max = 65536;
	char *v = malloc(max + 1), *back = malloc(max);

	ASSERT_TRUE(v && back);
	rpc_fill_pattern(v, max + 1, 11, 0);
	ASSERT_EQ(0, touch(P(f, "f"), 0644));
	ASSERT_EQ(0, E(setxattr(f, "user.big", v, max, 0)));
	EXPECT_EQ((long)max, E(getxattr(f, "user.big", back, max)));
	EXPECT_EQ(0, memcmp(v, back, max));
	EXPECT_EQ(-E2BIG, E(setxattr(f, "user.big", v, max + 1, 0)));
	/* The failed set left the old value. */
	EXPECT_EQ((long)max, E(getxattr(f, "user.big", back, max)));
	free(v);
	free(back);
}

TEST_F(xattr, setxattr_updates_ctime)
{
	char f[128];
	struct stat a, b;

	ASSERT_EQ(0, touch(P(f, "f"), 0644));
	ASSERT_EQ(0, stat(f, &a));
	usleep(20000);
	ASSERT_EQ(0, E(setxattr(f, "user.t", "1", 1, 0)));
	ASSERT_EQ(0, stat(f, &b));
	EXPECT_TRUE(b.st_ctim.tv_sec > a.st_ctim.tv_sec ||
		    (b.st_ctim.tv_sec == a.st_ctim.tv_sec && b.st_ctim.tv_nsec > a.st_ctim.tv_nsec));
	EXPECT_EQ(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	EXPECT_EQ(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
}

/* In a child without CAP_SYS_ADMIN (uid nobody): what it sees of f. */
TEST_F(xattr, trusted_names_are_hidden_from_the_unprivileged)
{
	char f[128], list[256];
	ssize_t n;

	ASSERT_EQ(0, touch(P(f, "f"), 0644));
	ASSERT_EQ(0, E(setxattr(f, "trusted.secret", "s", 1, 0)));
	ASSERT_EQ(0, E(setxattr(f, "user.open", "o", 1, 0)));
	n = listxattr(f, list, sizeof(list));
	ASSERT_LT(0, n);
	EXPECT_TRUE(listed(list, n, "trusted.secret"));

	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];

		if (setgid(RPC_NOBODY) || setuid(RPC_NOBODY))
			_exit(10);
		n = listxattr(f, list, sizeof(list));
		if (n <= 0 || !listed(list, n, "user.open"))
			_exit(11);
		if (listed(list, n, "trusted.secret"))
			_exit(12);
		if (getxattr(f, "trusted.secret", buf, sizeof(buf)) >= 0 || errno != ENODATA)
			_exit(13);
		if (setxattr(f, "trusted.other", "x", 1, 0) == 0 || errno != EPERM)
			_exit(14);
		/* Not the owner, no write permission: user. is EACCES. */
		if (setxattr(f, "user.mine", "x", 1, 0) == 0 || errno != EACCES)
			_exit(15);
		_exit(0);
	}
	int st;

	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("child failed check %d", WEXITSTATUS(st));
}

/* Mounts self->bdir with 4 * 1024 bytes of inode budget (the root directory takes 1024). */
#define BUDGET_MOUNT() do { \
	int __r = rpc_mount_opts(self->bdir, "size=4m,nr_inodes=4"); \
	ASSERT_EQ(0, __r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-__r)); \
} while (0)

static long long ffree(const char *dir)
{
	struct rpc_sfs s;

	return rpc_statfs(dir, &s) ? -1 : s.f_ffree;
}

TEST_F(xattr, xattrs_take_the_inode_budget_and_give_it_back)
{
	char f[128], g[128];
	char *v = calloc(1, 1500);

	BUDGET_MOUNT();

	ASSERT_NE(NULL, v);
	ASSERT_EQ(3, ffree(self->bdir));
	ASSERT_EQ(0, touch(PB(f, "f"), 0644));
	ASSERT_EQ(2, ffree(self->bdir));
	/* 40 + 8 + 1500 = 1548 bytes: 3596 of 4096 used, f_ffree 0. */
	ASSERT_EQ(0, E(setxattr(f, "user.big", v, 1500, 0)));
	EXPECT_EQ(0, ffree(self->bdir));
	EXPECT_EQ(-ENOSPC, touch(PB(g, "g"), 0644));
	/* 500 bytes are left: 40 + 8 + 452 = 500 fits, one byte more does not. */
	EXPECT_EQ(-ENOSPC, E(setxattr(f, "user.two", v, 453, 0)));
	EXPECT_EQ(0, E(setxattr(f, "user.two", v, 452, 0)));
	EXPECT_EQ(-ENOSPC, E(setxattr(f, "user.one", "", 0, 0)));
	/* A failed replacement keeps the old value. */
	EXPECT_EQ(-ENOSPC, E(setxattr(f, "user.two", v, 1000, 0)));
	EXPECT_EQ(452, E(getxattr(f, "user.two", NULL, 0)));
	ASSERT_EQ(0, E(removexattr(f, "user.two")));
	ASSERT_EQ(0, E(removexattr(f, "user.big")));
	EXPECT_EQ(2, ffree(self->bdir));
	/* Unlinking a file gives its attributes back with it. */
	ASSERT_EQ(0, E(setxattr(f, "user.big", v, 1500, 0)));
	EXPECT_EQ(0, ffree(self->bdir));
	ASSERT_EQ(0, E(unlink(f)));
	EXPECT_EQ(3, ffree(self->bdir));
	ASSERT_EQ(0, touch(PB(g, "g"), 0644));
	EXPECT_EQ(2, ffree(self->bdir));
	free(v);
}

TEST_F(xattr, remount_counts_xattrs_as_inodes_in_use)
{
	char f[128];
	char *v = calloc(1, 1500);

	BUDGET_MOUNT();

	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, touch(PB(f, "f"), 0644));
	ASSERT_EQ(0, E(setxattr(f, "user.big", v, 1500, 0)));
	/* 3596 bytes in use do not fit in nr_inodes=3 (3072). */
	EXPECT_EQ(-EINVAL, rpc_remount(self->bdir, "nr_inodes=3"));
	ASSERT_EQ(0, E(removexattr(f, "user.big")));
	EXPECT_EQ(0, rpc_remount(self->bdir, "nr_inodes=3"));
	EXPECT_EQ(1, ffree(self->bdir));
	free(v);
}

/* ---- POSIX ACLs ---- */

#define ACL_USER_OBJ	0x01
#define ACL_USER	0x02
#define ACL_GROUP_OBJ	0x04
#define ACL_GROUP	0x08
#define ACL_MASK	0x10
#define ACL_OTHER	0x20
#define ACL_UNDEF	0xffffffffu

struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

/* The xattr form (version 2) of n entries, sorted as the kernel wants. */
static size_t acl_xattr(void *buf, const struct acl_entry *e, int n)
{
	uint32_t version = 2;

	memcpy(buf, &version, 4);
	memcpy((char *)buf + 4, e, n * sizeof(*e));
	return 4 + n * sizeof(*e);
}

#define ACCESS "system.posix_acl_access"
#define DEFAULT "system.posix_acl_default"

/* Can uid open path with flags? 0 or the errno, from a child. */
static int open_as(uid_t uid, const char *path, int flags)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (setgid(uid) || setuid(uid))
			_exit(255);
		fd = open(path, flags | O_CLOEXEC);
		_exit(fd < 0 ? errno : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

TEST_F(xattr, access_acl_grants_and_sets_the_group_bits)
{
	char f[128], list[256], buf[128];
	const struct acl_entry e[] = {
		{ ACL_USER_OBJ, 6, ACL_UNDEF },
		{ ACL_USER, 6, RPC_NOBODY },
		{ ACL_GROUP_OBJ, 4, ACL_UNDEF },
		{ ACL_MASK, 6, ACL_UNDEF },
		{ ACL_OTHER, 0, ACL_UNDEF },
	};
	size_t len = acl_xattr(buf, e, 5);
	ssize_t n;

	ASSERT_EQ(0, touch(P(f, "f"), 0600));
	ASSERT_EQ(EACCES, open_as(RPC_NOBODY, f, O_RDWR));
	ASSERT_EQ(0, E(setxattr(f, ACCESS, buf, len, 0)));
	/* Group bits are the mask (rw), other none: 0660. */
	EXPECT_EQ(0660, mode_of(f));
	EXPECT_EQ(0, open_as(RPC_NOBODY, f, O_RDWR));
	EXPECT_EQ(EACCES, open_as(1234, f, O_RDONLY));
	n = listxattr(f, list, sizeof(list));
	ASSERT_LT(0, n);
	EXPECT_TRUE(listed(list, n, ACCESS));
	EXPECT_EQ((long)len, E(getxattr(f, ACCESS, buf, sizeof(buf))));

	/* chmod rewrites the mask: nobody's rw is masked to nothing. */
	ASSERT_EQ(0, E(chmod(f, 0600)));
	EXPECT_EQ(EACCES, open_as(RPC_NOBODY, f, O_RDONLY));
	ASSERT_EQ(0, E(chmod(f, 0640)));
	EXPECT_EQ(0, open_as(RPC_NOBODY, f, O_RDONLY));
	EXPECT_EQ(EACCES, open_as(RPC_NOBODY, f, O_WRONLY));

	/* Removing the ACL leaves the mode as it is. */
	ASSERT_EQ(0, E(removexattr(f, ACCESS)));
	EXPECT_EQ(-ENODATA, E(getxattr(f, ACCESS, buf, sizeof(buf))));
	EXPECT_EQ(0640, mode_of(f));
	EXPECT_EQ(EACCES, open_as(RPC_NOBODY, f, O_RDONLY));
}

TEST_F(xattr, an_acl_equal_to_the_mode_is_only_a_mode)
{
	char f[128], buf[128];
	const struct acl_entry e[] = {
		{ ACL_USER_OBJ, 7, ACL_UNDEF },
		{ ACL_GROUP_OBJ, 5, ACL_UNDEF },
		{ ACL_OTHER, 1, ACL_UNDEF },
	};
	size_t len = acl_xattr(buf, e, 3);

	ASSERT_EQ(0, touch(P(f, "f"), 0600));
	ASSERT_EQ(0, E(setxattr(f, ACCESS, buf, len, 0)));
	EXPECT_EQ(0751, mode_of(f));
	EXPECT_EQ(-ENODATA, E(getxattr(f, ACCESS, buf, sizeof(buf))));
}

TEST_F(xattr, the_umask_applies_without_a_default_acl)
{
	char f[128], d[128], n[128];

	umask(022);
	ASSERT_EQ(0, touch(P(f, "f"), 0666));
	ASSERT_EQ(0, E(mkdir(P(d, "d"), 0777)));
	ASSERT_EQ(0, E(mknod(P(n, "fifo"), S_IFIFO | 0666, 0)));
	EXPECT_EQ(0644, mode_of(f));
	EXPECT_EQ(0755, mode_of(d));
	EXPECT_EQ(0644, mode_of(n));
	umask(0);
}

TEST_F(xattr, a_default_acl_is_inherited_instead_of_the_umask)
{
	char d[128], f[128], sub[128], buf[128];
	const struct acl_entry e[] = {
		{ ACL_USER_OBJ, 7, ACL_UNDEF },
		{ ACL_USER, 7, RPC_NOBODY },
		{ ACL_GROUP_OBJ, 5, ACL_UNDEF },
		{ ACL_MASK, 7, ACL_UNDEF },
		{ ACL_OTHER, 0, ACL_UNDEF },
	};
	size_t len = acl_xattr(buf, e, 5);

	ASSERT_EQ(0, E(mkdir(P(d, "d"), 0755)));
	ASSERT_EQ(0, E(setxattr(d, DEFAULT, buf, len, 0)));
	EXPECT_EQ((long)len, E(getxattr(d, DEFAULT, NULL, 0)));
	/* The directory's own mode and access rights are untouched. */
	EXPECT_EQ(0755, mode_of(d));
	EXPECT_EQ(-ENODATA, E(getxattr(d, ACCESS, NULL, 0)));

	umask(077);
	ASSERT_EQ(0, touch(P(f, "d/f"), 0666));
	ASSERT_EQ(0, E(mkdir(P(sub, "d/sub"), 0777)));
	umask(0);
	/* No umask: the mode is narrowed by the ACL (mask rwx, other ---). */
	EXPECT_EQ(0660, mode_of(f));
	EXPECT_EQ(0770, mode_of(sub));
	EXPECT_LT(0, E(getxattr(f, ACCESS, NULL, 0)));
	EXPECT_EQ(-ENODATA, E(getxattr(f, DEFAULT, NULL, 0)));
	/* A subdirectory inherits the default ACL as its own default too. */
	EXPECT_EQ((long)len, E(getxattr(sub, DEFAULT, NULL, 0)));
	EXPECT_EQ(0, open_as(RPC_NOBODY, f, O_RDWR));
	EXPECT_EQ(EACCES, open_as(1234, f, O_RDONLY));
	/* Default ACLs are for directories only. */
	EXPECT_EQ(-EACCES, E(setxattr(f, DEFAULT, buf, len, 0)));
}

TEST_HARNESS_MAIN
