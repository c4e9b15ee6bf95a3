// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (rust_pagecache only): namespace, data, attribute and
 * ACL operations on a mount with size= and nr_inodes= limits while
 * failslab and fail_page_alloc fail a few percent of the allocations made
 * with the module's code on the stack (require-start/end: the module's
 * text), for the one task that does the work (task-filter, make-it-fail).
 *
 * What must hold:
 *  - every failure is a clean errno of the operation (ENOMEM, ENOSPC,
 *    EIO; EEXIST/ENOENT only where the model says so), never a splat or a
 *    hang (the VM log is scanned after the run);
 *  - what an operation reported done is there, byte for byte, and a failed
 *    one changed nothing it should not have (a model of every file's
 *    contents, size and attribute, kept in shared memory, is checked
 *    against the file system while the faults go on and after them);
 *  - the data written before the faults reads back byte-exact;
 *  - after everything is removed the mount's blocks and inodes are all
 *    free again (statfs), the unmount finds nothing charged (kill_sb's
 *    accounting WARN) and kmemleak finds nothing (make check's scan).
 *  - the run did work: enough operations succeeded and enough failed.
 */
#include "rpc_util.h"
#include <sys/xattr.h>
#include "kselftest_harness.h"

#define NFILES	12
#define MAXLEN	(24 * 1024)
#define XLEN	64

struct model {
	bool exists[NFILES];
	size_t len[NFILES];
	bool has_x[NFILES];
	uint8_t x[NFILES][XLEN];
	uint8_t data[NFILES][MAXLEN];
	/* What the worker saw. */
	long ok, failed, ops;
	long bad;
	char why[256];
};

FIXTURE(faultinject) {
	char dir[64];
	int dfd;
	struct model *m;
};

FIXTURE_SETUP(faultinject)
{
	int r;

	self->dir[0] = 0;
	self->m = MAP_FAILED;
	if (!rpc_is_module_fs())
		SKIP(return, "fault injection of the module's allocations only");
	umask(022);
	r = rpc_mount_dir(self->dir, "size=64m,nr_inodes=400", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
	self->m = mmap(NULL, sizeof(struct model), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->m);
}

FIXTURE_TEARDOWN_PARENT(faultinject)
{
	if (self->m != MAP_FAILED)
		munmap(self->m, sizeof(struct model));
	rpc_umount(self->dir);
}

#define FS_DIR RPC_DEBUGFS "/failslab/"
#define FPA_DIR RPC_DEBUGFS "/fail_page_alloc/"

/* Arms (probability > 0) or disarms one fault-injection directory. */
static int arm(const char *dir, int probability)
{
	unsigned long long start = 0, end = 0;
	char p[PATH_MAX], s[32], e[32], pr[16];
	int r = rpc_ensure_debugfs();

	if (!r)
		r = rpc_module_text(&start, &end);
	if (r)
		return r;
	snprintf(s, sizeof(s), "%llu", start);
	snprintf(e, sizeof(e), "%llu", end);
	snprintf(pr, sizeof(pr), "%d", probability);
	const char *kv[][2] = {
		{ "probability", "0" },
		{ "task-filter", "Y" }, { "ignore-gfp-wait", "N" }, { "interval", "1" },
		{ "verbose", "0" }, { "space", "0" }, { "times", "-1" },
		{ "stacktrace-depth", "32" },
		/* require-end first: it only grows from its default here. */
		{ "require-end", probability ? e : "18446744073709551615" },
		{ "require-start", probability ? s : "0" },
		{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
		{ "probability", pr },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, kv[i][0]);
		/* failslab has no ignore-gfp-highmem or min-order. */
		if (access(p, F_OK) && (!strcmp(kv[i][0], "ignore-gfp-highmem") || !strcmp(kv[i][0], "min-order")))
			continue;
		r = rpc_write_str(p, kv[i][1]);
		if (r)
			return r;
	}
	return 0;
}

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rnd_state >> 33) % n;
}

static bool allowed(int e)
{
	return e == ENOMEM || e == ENOSPC || e == EIO;
}

#define BAD(m, ...) do { \
	if (!(m)->bad++) \
		snprintf((m)->why, sizeof((m)->why), __VA_ARGS__); \
} while (0)

/*
 * A system call's result (-1 and errno on failure), counted and judged:
 * true if it succeeded. (errno is read here, after the call: as an
 * argument beside the call it could be read before it.)
 */
static bool done(struct model *m, long r, const char *what, int i)
{
	int e = errno;

	m->ops++;
	if (r >= 0) {
		m->ok++;
		return true;
	}
	m->failed++;
	if (!allowed(e))
		BAD(m, "%s f%d: unexpected %s", what, i, strerror(e));
	return false;
}

/*
 * Compares f<i> with the model: 0 if equal, -errno if it could not be
 * read, > 0 if it differs (1 there but not in the model, 2 size, 3 data,
 * 4 in the model but not there).
 */
static int check_file(struct model *m, int dfd, int i, uint8_t *buf)
{
	char name[16];
	struct stat st;
	int fd;
	ssize_t n;

	snprintf(name, sizeof(name), "f%d", i);
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return m->exists[i] ? 4 : 0;
		return -errno;
	}
	if (!m->exists[i]) {
		close(fd);
		return 1;
	}
	if (fstat(fd, &st) || (size_t)st.st_size != m->len[i]) {
		close(fd);
		return 2;
	}
	n = pread(fd, buf, MAXLEN, 0);
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n != m->len[i] || memcmp(buf, m->data[i], n))
		return 3;
	return 0;
}

static long setx(int dfd, const char *name, const uint8_t *v)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	return setxattr(path, "user.v", v, XLEN, 0);
}

static void op(struct model *m, int dfd, uint8_t *buf)
{
	int i = rnd(NFILES), j, fd;
	char name[16], other[16];
	long r;

	snprintf(name, sizeof(name), "f%d", i);
	switch (rnd(12)) {
	case 0:		/* create */
		if (m->exists[i])
			return;
		fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (done(m, fd, "create", i)) {
			close(fd);
			m->exists[i] = true;
			m->len[i] = 0;
			m->has_x[i] = false;
		}
		return;
	case 1:
	case 2: {	/* write */
		size_t off = rnd(MAXLEN), len = 1 + rnd(MAXLEN - off);

		if (!m->exists[i])
			return;
		fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);
		if (!done(m, fd, "open for write", i))
			return;
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rnd(256);
		r = pwrite(fd, buf, len, off);
		if (done(m, r, "write", i) && r > 0) {
			if (off > m->len[i])
				memset(m->data[i] + m->len[i], 0, off - m->len[i]);
			memcpy(m->data[i] + off, buf, r);
			if (off + r > m->len[i])
				m->len[i] = off + r;
		}
		close(fd);
		return;
	}
	case 3:		/* read and compare */
		if (!m->exists[i])
			return;
		r = check_file(m, dfd, i, buf);
		m->ops++;
		if (r == 0) {
			m->ok++;
		} else if (r < 0 && allowed(-r)) {
			m->failed++;
		} else {
			BAD(m, "read f%d: %s", i, r < 0 ? strerror(-r) : r == 2 ? "size differs" : r == 3 ? "data differ" : "existence differs");
		}
		return;
	case 4: {	/* truncate */
		size_t len = rnd(MAXLEN);

		if (!m->exists[i])
			return;
		fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);
		if (!done(m, fd, "open for truncate", i))
			return;
		if (done(m, ftruncate(fd, len), "truncate", i)) {
			if (len > m->len[i])
				memset(m->data[i] + m->len[i], 0, len - m->len[i]);
			m->len[i] = len;
		}
		close(fd);
		return;
	}
	case 5: {	/* fallocate, keeping the size */
		size_t off = rnd(MAXLEN), len = 1 + rnd(MAXLEN - off);

		if (!m->exists[i])
			return;
		fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);
		if (!done(m, fd, "open for fallocate", i))
			return;
		done(m, fallocate(fd, FALLOC_FL_KEEP_SIZE, off, len), "fallocate", i);
		close(fd);
		return;
	}
	case 6: {	/* setxattr */
		uint8_t v[XLEN];

		if (!m->exists[i])
			return;
		for (int k = 0; k < XLEN; k++)
			v[k] = (uint8_t)rnd(256);
		r = setx(dfd, name, v);
		if (done(m, r, "setxattr", i)) {
			memcpy(m->x[i], v, XLEN);
			m->has_x[i] = true;
		}
		return;
	}
	case 7: {	/* getxattr */
		uint8_t v[XLEN];
		char path[PATH_MAX];

		if (!m->exists[i])
			return;
		snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
		r = getxattr(path, "user.v", v, XLEN);
		m->ops++;
		if (m->has_x[i] ? r == XLEN && !memcmp(v, m->x[i], XLEN) : r < 0 && errno == ENODATA) {
			m->ok++;
		} else if (r < 0 && allowed(errno)) {
			m->failed++;
		} else {
			BAD(m, "getxattr f%d: %ld (%s), model %s", i, r, r < 0 ? strerror(errno) : "",
			    m->has_x[i] ? "has it" : "has none");
		}
		return;
	}
	case 8:		/* rename over another name */
		j = rnd(NFILES);
		if (!m->exists[i] || j == i)
			return;
		snprintf(other, sizeof(other), "f%d", j);
		if (done(m, renameat(dfd, name, dfd, other), "rename", i)) {
			m->exists[j] = true;
			m->len[j] = m->len[i];
			memcpy(m->data[j], m->data[i], m->len[i]);
			m->has_x[j] = m->has_x[i];
			memcpy(m->x[j], m->x[i], XLEN);
			m->exists[i] = false;
		}
		return;
	case 9:		/* a hard link, used and removed */
		if (!m->exists[i])
			return;
		if (done(m, linkat(dfd, name, dfd, "link", 0), "link", i)) {
			r = check_file(m, dfd, i, buf);
			if (r > 0)
				BAD(m, "f%d differs after link", i);
			done(m, unlinkat(dfd, "link", 0), "unlink link", i);
		}
		return;
	case 10:	/* unlink */
		if (!m->exists[i])
			return;
		if (done(m, unlinkat(dfd, name, 0), "unlink", i))
			m->exists[i] = false;
		return;
	case 11: {	/* a directory with a long symlink in it, then gone */
		char target[300];

		memset(target, 'a' + rnd(26), sizeof(target) - 1);
		target[sizeof(target) - 1] = 0;
		if (!done(m, mkdirat(dfd, "d", 0755), "mkdir", i))
			return;
		if (done(m, symlinkat(target, dfd, "d/s"), "symlink", i)) {
			char back[400];

			r = readlinkat(dfd, "d/s", back, sizeof(back));
			if (done(m, r, "readlink", i) && (r != (long)strlen(target) || memcmp(back, target, r)))
				BAD(m, "readlink: %ld bytes, not the target", r);
			done(m, unlinkat(dfd, "d/s", 0), "unlink symlink", i);
		}
		done(m, unlinkat(dfd, "d", AT_REMOVEDIR), "rmdir", i);
		return;
	}
	}
}

TEST_F_TIMEOUT(faultinject, operations_fail_cleanly_and_lose_nothing, 240)
{
	const size_t stable_len = 4 << 20;
	char stable[PATH_MAX];
	uint8_t *buf = malloc(MAXLEN);
	struct rpc_sfs before, after;
	pid_t pid;
	int st;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, rpc_statfs(self->dir, &before));
	rpc_path(stable, sizeof(stable), self->dir, "stable");
	ASSERT_EQ(0, rpc_memcg_write_file(NULL, stable, stable_len, 41));
	ASSERT_EQ(0, arm(FS_DIR, 5)) TH_LOG("no failslab in this kernel");
	ASSERT_EQ(0, arm(FPA_DIR, 5)) TH_LOG("no fail_page_alloc in this kernel");

	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct model *m = self->m;
		int mfd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
		time_t end = time(NULL) + 120;

		/* Everything this task needs is in memory before it may fail. */
		if (mfd < 0 || mlockall(MCL_CURRENT))
			_exit(2);
		if (write(mfd, "1", 1) != 1)
			_exit(3);
		rnd_state = 12345;
		while (m->ops < 4000 && time(NULL) < end && !m->bad)
			op(m, self->dfd, buf);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	arm(FS_DIR, 0);
	arm(FPA_DIR, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("worker status %#x", st);
	TH_LOG("%ld operations: %ld done, %ld failed cleanly, %ld wrong", self->m->ops, self->m->ok,
	       self->m->failed, self->m->bad);
	EXPECT_EQ(0, self->m->bad) TH_LOG("first: %s", self->m->why);
	/* The run did work, and the faults reached it. */
	EXPECT_LT(1000, self->m->ok);
	EXPECT_LT(20, self->m->failed);

	/* Without faults: the model is what is stored, and nothing was lost. */
	for (int i = 0; i < NFILES; i++) {
		int r = check_file(self->m, self->dfd, i, buf);

		EXPECT_EQ(0, r) TH_LOG("f%d", i);
	}
	EXPECT_EQ(RPC_VERIFIED, rpc_verify_file(stable, stable_len, 41));

	/* Everything removed: every block and inode is free again. */
	for (int i = 0; i < NFILES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		unlinkat(self->dfd, name, 0);
	}
	ASSERT_EQ(0, unlink(stable));
	ASSERT_EQ(0, rpc_statfs(self->dir, &after));
	EXPECT_EQ(before.f_bfree, after.f_bfree);
	EXPECT_EQ(before.f_ffree, after.f_ffree);
	free(buf);
}

TEST_HARNESS_MAIN
