/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the rust_pagecache selftests (header only).
 *
 * The tests are written against the tmpfs semantics: they run against either
 * fstype, selected with RPC_FSTYPE (default "rust_pagecache"; host
 * validation uses RPC_FSTYPE=tmpfs).
 *
 * Only glibc 2.36 features are used; the new mount API, renameat2 and the
 * module syscalls go through syscall(2) with local constants.
 */
#ifndef RPC_UTIL_H
#define RPC_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- syscall numbers / constants (not all in glibc 2.36 headers) ---- */
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_fspick
#define __NR_fspick 433
#endif
#ifndef __NR_renameat2
#define __NR_renameat2 316
#endif
#ifndef __NR_finit_module
#define __NR_finit_module 313
#endif
#ifndef __NR_delete_module
#define __NR_delete_module 176
#endif

/* Own names, so they never clash with <sys/mount.h> / <linux/mount.h>. */
#define RPC_FSOPEN_CLOEXEC		0x00000001
#define RPC_FSPICK_CLOEXEC		0x00000001
#define RPC_FSMOUNT_CLOEXEC		0x00000001
#define RPC_MOVE_MOUNT_F_EMPTY_PATH	0x00000004
#define RPC_FSCONFIG_SET_FLAG		0
#define RPC_FSCONFIG_SET_STRING		1
#define RPC_FSCONFIG_CMD_CREATE		6
#define RPC_FSCONFIG_CMD_RECONFIGURE	7

#define RPC_RENAME_NOREPLACE	(1 << 0)
#define RPC_RENAME_EXCHANGE	(1 << 1)
#define RPC_RENAME_WHITEOUT	(1 << 2)

#define RPC_MAGIC		0x52504331UL
#define RPC_TMPFS_MAGIC		0x01021994UL

#define RPC_NOBODY		65534

/* LL(x): x as long long, for sign-clean EXPECT_EQ() against int literals. */
#define LL(x) ((long long)(x))

/* E(expr): the value of a syscall-style expression, or -errno if it is < 0. */
#define E(expr) ({ long __rpc_r = (long)(expr); __rpc_r < 0 ? -(long)errno : __rpc_r; })

/* ---- environment ---- */
static inline const char *rpc_fstype(void)
{
	const char *t = getenv("RPC_FSTYPE");

	return (t && *t) ? t : "rust_pagecache";
}

static inline bool rpc_is_module_fs(void)
{
	return strcmp(rpc_fstype(), "rust_pagecache") == 0;
}

static inline long long rpc_fs_magic(void)
{
	return strcmp(rpc_fstype(), "tmpfs") == 0 ? RPC_TMPFS_MAGIC : RPC_MAGIC;
}

static inline long rpc_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* totalram_pages() as the kernel sees it (used for size=N% and defaults). */
static inline long long rpc_totalram_pages(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return 0;
	return (long long)((unsigned long long)si.totalram * si.mem_unit / rpc_page_size());
}

/* ---- mounting ---- */

/*
 * Make a fresh mount point under /tmp and mount our fstype with the given
 * option string (may be NULL/""). dir must hold at least 32 bytes.
 * Returns 0 or -errno (the directory is removed on failure).
 */
static inline int rpc_mount_opts(char *dir, const char *opts)
{
	strcpy(dir, "/tmp/rpc-test-XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	if (mount("none", dir, rpc_fstype(), 0, (opts && *opts) ? opts : NULL)) {
		int e = errno;

		rmdir(dir);
		return -e;
	}
	return 0;
}

/*
 * rpc_mount_opts(), then open the mounted directory: the setup of most
 * fixtures. *dfd gets an O_DIRECTORY descriptor. 0 or -errno.
 */
static inline int rpc_mount_dir(char *dir, const char *opts, int *dfd)
{
	int r = rpc_mount_opts(dir, opts);

	if (r)
		return r;
	*dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	return *dfd < 0 ? -errno : 0;
}

static inline void rpc_umount(const char *dir)
{
	if (!dir || !dir[0])
		return;
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

static inline int rpc_remount(const char *dir, const char *opts)
{
	return mount("none", dir, NULL, MS_REMOUNT, opts) ? -errno : 0;
}

static inline int rpc_fsopen(void)
{
	return syscall(__NR_fsopen, rpc_fstype(), RPC_FSOPEN_CLOEXEC);
}

static inline int rpc_fsconfig(int fd, unsigned int cmd, const char *key,
			       const void *value, int aux)
{
	return syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}

/*
 * Drain all messages of a filesystem context into msg (each message on its
 * own line). Returns the number of messages.
 */
static inline int rpc_fs_messages(int fd, char *msg, size_t len)
{
	char buf[1024];
	size_t used = 0;
	int n = 0;
	ssize_t r;

	if (len)
		msg[0] = '\0';
	while ((r = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[r] = '\0';
		if (r > 0 && buf[r - 1] == '\n')
			buf[--r] = '\0';
		if (used + r + 2 < len) {
			memcpy(msg + used, buf, r);
			used += r;
			msg[used++] = '\n';
			msg[used] = '\0';
		}
		n++;
	}
	return n;
}

/*
 * fsopen() our fstype and set one string parameter (value NULL: a flag).
 * Returns 0 or -errno of fsconfig(); msg gets the context's log.
 */
static inline int rpc_fsconfig_one(const char *key, const char *value,
				   char *msg, size_t len)
{
	int fd, r, e = 0;

	fd = rpc_fsopen();
	if (fd < 0)
		return -1000 - errno;	/* distinguishable from an fsconfig errno */
	r = rpc_fsconfig(fd, value ? RPC_FSCONFIG_SET_STRING : RPC_FSCONFIG_SET_FLAG,
			 key, value, 0);
	if (r)
		e = errno;
	rpc_fs_messages(fd, msg, len);
	close(fd);
	return r ? -e : 0;
}

/*
 * Is msg a log line of the form "e <...>" that mentions word?
 */
static inline bool rpc_msg_is_error_about(const char *msg, const char *word)
{
	const char *line = msg;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		char tmp[1024];

		if (l >= sizeof(tmp))
			l = sizeof(tmp) - 1;
		memcpy(tmp, line, l);
		tmp[l] = '\0';
		if (strncmp(tmp, "e ", 2) == 0 && strstr(tmp, word))
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/*
 * fsconfig() each "key=value" / "flag" of the comma separated opts (modified
 * in place) on the filesystem context fd. 0, or the errno of the first
 * refused one.
 */
static inline int rpc_fsconfig_opts(int fd, char *opts)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');

		if (v)
			*v++ = '\0';
		if (rpc_fsconfig(fd, v ? RPC_FSCONFIG_SET_STRING : RPC_FSCONFIG_SET_FLAG, tok, v, 0))
			return errno;
	}
	return 0;
}

/*
 * Mount via the new API: fsopen, fsconfig(key=value...) for each
 * "key=value" / "flag" in opts (comma separated), CMD_CREATE, fsmount,
 * move_mount onto a new /tmp/rpc-test-XXXXXX dir. Returns 0 or -errno of
 * the failing step; msg gets the log.
 */
static inline int rpc_fsmount_opts(char *dir, const char *opts, char *msg, size_t len)
{
	char *copy = strdup(opts ? opts : "");
	int fd, mfd, e = 0;

	if (len)
		msg[0] = '\0';
	fd = rpc_fsopen();
	if (fd < 0) {
		free(copy);
		return -errno;
	}
	e = rpc_fsconfig_opts(fd, copy);
	if (e)
		goto out;
	if (rpc_fsconfig(fd, RPC_FSCONFIG_CMD_CREATE, NULL, NULL, 0)) {
		e = errno;
		goto out;
	}
	mfd = syscall(__NR_fsmount, fd, RPC_FSMOUNT_CLOEXEC, 0);
	if (mfd < 0) {
		e = errno;
		goto out;
	}
	strcpy(dir, "/tmp/rpc-test-XXXXXX");
	if (!mkdtemp(dir)) {
		e = errno;
		close(mfd);
		goto out;
	}
	if (syscall(__NR_move_mount, mfd, "", AT_FDCWD, dir, RPC_MOVE_MOUNT_F_EMPTY_PATH)) {
		e = errno;
		rmdir(dir);
	}
	close(mfd);
out:
	rpc_fs_messages(fd, msg, len);
	close(fd);
	free(copy);
	return -e;
}

/* ---- /proc/mounts ---- */

/* Split a /proc/mounts line in place into its mount point, type and options. */
static inline bool rpc_mounts_split(char *line, char **mnt, char **type, char **opts)
{
	char *save = NULL;
	char *src = strtok_r(line, " ", &save);

	*mnt = strtok_r(NULL, " ", &save);
	*type = strtok_r(NULL, " ", &save);
	*opts = strtok_r(NULL, " ", &save);
	return src && *mnt && *type && *opts;
}

/*
 * Copy the fstype and options of the (last) /proc/mounts line whose mount
 * point is dir. Returns 0 or -ENOENT.
 */
static inline int rpc_mount_line(const char *dir, char *fstype, size_t flen,
				 char *opts, size_t olen)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *mnt, *type, *o;

		if (!rpc_mounts_split(line, &mnt, &type, &o) || strcmp(mnt, dir))
			continue;
		if (fstype)
			snprintf(fstype, flen, "%s", type);
		if (opts)
			snprintf(opts, olen, "%s", o);
		ret = 0;
	}
	fclose(f);
	return ret;
}

static inline int rpc_mount_options(const char *dir, char *opts, size_t olen)
{
	return rpc_mount_line(dir, NULL, 0, opts, olen);
}

/* Is tok one of the comma separated tokens of opts? */
static inline bool rpc_has_opt(const char *opts, const char *tok)
{
	size_t l = strlen(tok);
	const char *p = opts;

	while (p && *p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (n == l && !strncmp(p, tok, l))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/* Does any token of opts start with prefix (e.g. "size=")? */
static inline bool rpc_has_opt_prefix(const char *opts, const char *prefix)
{
	size_t l = strlen(prefix);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, prefix, l))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* ---- files ---- */

static inline int rpc_path(char *buf, size_t len, const char *dir, const char *rel)
{
	return snprintf(buf, len, "%s/%s", dir, rel);
}

/* Write all of buf to path (created/truncated with mode). 0 or -errno. */
static inline int rpc_write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t done = 0;
	int e = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t r = write(fd, (const char *)buf + done, len - done);

		if (r <= 0) {
			e = r < 0 ? errno : EIO;
			break;
		}
		done += r;
	}
	if (close(fd) && !e)
		e = errno;
	return -e;
}

static inline int rpc_write_filef(const char *dir, const char *rel, const void *buf,
				  size_t len, mode_t mode)
{
	char p[PATH_MAX];

	rpc_path(p, sizeof(p), dir, rel);
	return rpc_write_file(p, buf, len, mode);
}

/* Read up to len bytes of path; returns the byte count or -errno. */
static inline ssize_t rpc_read_file(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	int e = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t r = read(fd, (char *)buf + done, len - done);

		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0)
			break;
		done += r;
	}
	close(fd);
	return e ? -e : (ssize_t)done;
}

static inline ssize_t rpc_read_filef(const char *dir, const char *rel, void *buf, size_t len)
{
	char p[PATH_MAX];

	rpc_path(p, sizeof(p), dir, rel);
	return rpc_read_file(p, buf, len);
}

/* st_size of fd, or -errno */
static inline long long rpc_file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -errno : st.st_size;
}

/* st_blocks (512-byte units) of fd, or -errno */
static inline long long rpc_file_blocks(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -errno : st.st_blocks;
}

/* pread all of len bytes; returns count read (short only at EOF) or -errno. */
static inline ssize_t rpc_pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, off + done);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

static inline ssize_t rpc_pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done, off + done);

		if (r < 0)
			return done ? (ssize_t)done : -errno;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

/* Deterministic pattern: byte at absolute offset off of stream seed. */
static inline uint8_t rpc_pattern_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = off * 0x9E3779B97F4A7C15ULL + seed * 0xBF58476D1CE4E5B9ULL + seed;

	x ^= x >> 31;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 29;
	return (uint8_t)x;
}

static inline void rpc_fill_pattern(void *buf, size_t len, uint32_t seed, uint64_t off)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = rpc_pattern_byte(seed, off + i);
}

/* Index of the first byte that differs from the pattern, or -1. */
static inline long rpc_check_pattern(const void *buf, size_t len, uint32_t seed, uint64_t off)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		if (b[i] != rpc_pattern_byte(seed, off + i))
			return i;
	return -1;
}

/* Index of the first non-zero byte, or -1. */
static inline long rpc_first_nonzero(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return i;
	return -1;
}

static inline uint64_t rpc_fnv1a(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define RPC_FNV_INIT 0xcbf29ce484222325ULL

/* ---- statfs ---- */

/* statfs(2) fields as signed long long, so they compare cleanly with literals. */
struct rpc_sfs {
	long long f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_namelen, f_frsize;
};

static inline int rpc_statfs(const char *dir, struct rpc_sfs *s)
{
	struct statfs st;

	memset(s, 0, sizeof(*s));
	if (statfs(dir, &st))
		return -errno;
	s->f_type = (unsigned long)st.f_type;
	s->f_bsize = st.f_bsize;
	s->f_blocks = st.f_blocks;
	s->f_bfree = st.f_bfree;
	s->f_bavail = st.f_bavail;
	s->f_files = st.f_files;
	s->f_ffree = st.f_ffree;
	s->f_namelen = st.f_namelen;
	s->f_frsize = st.f_frsize;
	return 0;
}

/* ---- children ---- */

/* fork() after flushing stdio, so the child does not print the parent's
 * buffered output again. */
static inline pid_t rpc_fork(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

/* ---- a fault in a child ---- */

/*
 * A child maps the page of fd at off (page-aligned) shared and reads it, or
 * writes a byte to it: the signal that killed the child (SIGBUS, ...), 0 if
 * the access went through, or a negative number if the child could not
 * map (-2) or fork failed (-1). The child gives up after 60 s (SIGALRM).
 */
static inline int rpc_fault_in_child(int fd, off_t off, bool write)
{
	int status;
	pid_t pid;

	pid = rpc_fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int prot = write ? PROT_READ | PROT_WRITE : PROT_READ;
		volatile char *m = mmap(NULL, rpc_page_size(), prot, MAP_SHARED, fd, off);

		if (m == MAP_FAILED)
			_exit(2);
		alarm(60);
		if (write)
			*m = 'x';
		else
			(void)*m;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

/* ---- unprivileged helper ---- */

/*
 * Run fn(arg) in a forked child with uid/gid 65534 and no supplementary
 * groups. fn returns 0 on success or a positive errno. Returns fn's result,
 * or -1 if the child could not drop privileges or died.
 */
static inline int rpc_run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = rpc_fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int r;

		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(255);
		if (getuid() != uid || geteuid() != uid || getegid() != gid)
			_exit(255);
		r = fn(arg);
		_exit(r > 0 && r < 255 ? r : (r == 0 ? 0 : 254));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= 254)
		return -1;
	return WEXITSTATUS(status);
}

static inline int rpc_run_as_nobody(int (*fn)(void *), void *arg)
{
	return rpc_run_as(RPC_NOBODY, RPC_NOBODY, fn, arg);
}

/* ---- misc ---- */

/* Count the entries of dir other than "." and ".."; -errno on error. */
static inline long rpc_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Value in kB of a /proc/meminfo field, or -1. */
static inline long long rpc_meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	size_t l = strlen(field);
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, l) && line[l] == ':') {
			v = strtoll(line + l + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static inline int rpc_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	sync();
	r = write(fd, "3\n", 2) == 2 ? 0 : -errno;
	close(fd);
	return r;
}

/* ---- small control files (cgroup, debugfs, procfs) ---- */

/* Write the string s to path in one write(2). 0 or -errno. */
static inline int rpc_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;
	int e = 0;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s));
	if (r < 0)
		e = errno;
	else if ((size_t)r != strlen(s))
		e = EIO;
	close(fd);
	return -e;
}

/* Read path into buf (NUL terminated). Byte count or -errno. */
static inline ssize_t rpc_read_str(const char *path, char *buf, size_t len)
{
	ssize_t r = rpc_read_file(path, buf, len - 1);

	buf[r < 0 ? 0 : r] = '\0';
	return r;
}

/*
 * The value of the line "key value" (or "key: value") of the small file
 * path, e.g. memory.stat, memory.events or the rust_pagecache stats file.
 * Returns 0 and *val, -ENOENT if there is no such line, or -errno.
 */
static inline int rpc_keyed_value(const char *path, const char *key, long long *val)
{
	FILE *f = fopen(path, "re");
	size_t l = strlen(key);
	char line[512];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, l) || (line[l] != ' ' && line[l] != ':' && line[l] != '\t'))
			continue;
		*val = strtoll(line + l + 1 + (line[l] == ':'), NULL, 10);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* ---- fault injection ---- */

/*
 * The text of the rust_pagecache module, from /proc/kallsyms (root sees
 * the addresses): [*start, *end). 0 or -ENOENT. kallsyms gives no sizes:
 * the end is 64 KiB past the last function, but never past the first
 * symbol of anything else above it (the test drivers load right after the
 * module, and an allocation of theirs, such as memdup_user_nul() of a
 * command, must not take a failure meant for the module).
 */
static inline int rpc_module_text(unsigned long long *start, unsigned long long *end)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	unsigned long long a, next = ~0ULL;
	char line[512], type;
	int pass;

	*start = ~0ULL;
	*end = 0;
	if (!f)
		return -ENOENT;
	/* Pass 0: the module's functions; pass 1: the first other symbol above them. */
	for (pass = 0; pass < 2; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			bool ours = strstr(line, "[rust_pagecache]") != NULL;

			if (sscanf(line, "%llx %c", &a, &type) != 2 || !a)
				continue;
			if (pass == 0 && ours && (type == 't' || type == 'T')) {
				if (a < *start)
					*start = a;
				if (a > *end)
					*end = a;
			} else if (pass == 1 && !ours && a > *end && a < next) {
				next = a;
			}
		}
	}
	fclose(f);
	if (!*end)
		return -ENOENT;	/* no function of the module: not loaded */
	*end = *end + 0x10000 < next ? *end + 0x10000 : next;
	return 0;
}

/* ---- rust_pagecache debugfs files ---- */

/* Not in every libc's headers. */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE	0x10
#endif
#ifndef __NR_copy_file_range
#define __NR_copy_file_range	326
#endif

#define RPC_DEBUGFS		"/sys/kernel/debug"
#define RPC_DEBUGFS_MAGIC	0x64626720UL

/* Mount debugfs at /sys/kernel/debug unless it is there. 0 or -errno. */
static inline int rpc_ensure_debugfs(void)
{
	struct statfs st;

	if (statfs(RPC_DEBUGFS, &st) == 0 && (unsigned long)st.f_type == RPC_DEBUGFS_MAGIC)
		return 0;
	if (mount("debugfs", RPC_DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		return -errno;
	return 0;
}

/*
 * /sys/kernel/debug/rust_pagecache/<major>:<minor> of the filesystem mounted
 * at mnt (the st_dev of the mount point). 0 if the directory exists, else
 * -errno (buf is filled in either case).
 */
static inline int rpc_pc_debugfs_dir(const char *mnt, char *buf, size_t len)
{
	struct stat st;
	int r;

	if (len)
		buf[0] = '\0';
	if (stat(mnt, &st))
		return -errno;
	snprintf(buf, len, RPC_DEBUGFS "/rust_pagecache/%u:%u", major(st.st_dev), minor(st.st_dev));
	r = rpc_ensure_debugfs();
	if (r)
		return r;
	return access(buf, F_OK) ? -errno : 0;
}

/* Per-superblock page cache statistics of the module (debugfs "stats"). */
struct rpc_pc_stats {
	long long folios_cached, bytes_cached, folios_inserted, folios_removed, lookup_retries;
	long long folios_removed_frozen, fault_retries;
};

/* Read every field of the stats file of the mount at mnt. 0 or -errno. */
static inline int rpc_pc_stats(const char *mnt, struct rpc_pc_stats *s)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	int r;

	memset(s, 0xff, sizeof(*s));
	r = rpc_pc_debugfs_dir(mnt, dir, sizeof(dir));
	if (r)
		return r;
	snprintf(p, sizeof(p), "%s/stats", dir);
	if ((r = rpc_keyed_value(p, "folios_cached", &s->folios_cached)) ||
	    (r = rpc_keyed_value(p, "bytes_cached", &s->bytes_cached)) ||
	    (r = rpc_keyed_value(p, "folios_inserted", &s->folios_inserted)) ||
	    (r = rpc_keyed_value(p, "folios_removed", &s->folios_removed)) ||
	    (r = rpc_keyed_value(p, "lookup_retries", &s->lookup_retries)) ||
	    (r = rpc_keyed_value(p, "folios_removed_frozen", &s->folios_removed_frozen)) ||
	    (r = rpc_keyed_value(p, "fault_retries", &s->fault_retries)))
		return r;
	return 0;
}

/* Set a test knob (remove_delay_us, fault_delay_us) of the mount at mnt. 0 or -errno. */
static inline int rpc_pc_set_knob(const char *mnt, const char *knob, long us)
{
	char dir[PATH_MAX], p[PATH_MAX + 32], v[32];
	int r;

	r = rpc_pc_debugfs_dir(mnt, dir, sizeof(dir));
	if (r)
		return r;
	snprintf(p, sizeof(p), "%s/%s", dir, knob);
	snprintf(v, sizeof(v), "%ld\n", us);
	return rpc_write_str(p, v);
}

static inline int rpc_pc_set_remove_delay(const char *mnt, long us)
{
	return rpc_pc_set_knob(mnt, "remove_delay_us", us);
}

/*
 * kB of memory holding the filesystem's file data in /proc/meminfo: on
 * rust_pagecache the folios sit on the unevictable LRU ("Unevictable"), on
 * tmpfs they count as "Shmem".
 */
static inline long long rpc_cache_kb(void)
{
	return rpc_meminfo_kb(rpc_is_module_fs() ? "Unevictable" : "Shmem");
}

/* The name of what rpc_cache_kb() reads, for messages. */
static inline const char *rpc_cache_kb_name(void)
{
	return rpc_is_module_fs() ? "Unevictable" : "Shmem";
}

/* ---- the test driver (selftests/kmod, rpc_test_driver.ko) ---- */

#define RPC_TEST_DRIVER_RMF RPC_DEBUGFS "/rpc_test_driver/read_mapping_folio"

/* finit_module() of the .ko at path; loaded already counts. 0 or -errno. */
static inline int rpc_load_ko(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = syscall(__NR_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return r == -EEXIST ? 0 : r;
}

/*
 * Load the test module name (a .ko in the directory of $RPC_TEST_KO, where
 * make check puts selftests/kmod/'s modules) unless probe, a debugfs file
 * it creates, exists already. 0, or -errno (-ENOENT: no $RPC_TEST_KO, run
 * outside make check).
 */
static inline int rpc_test_ko_load(const char *name, const char *probe)
{
	const char *ko = getenv("RPC_TEST_KO"), *slash;
	char p[PATH_MAX];

	if (rpc_ensure_debugfs())
		return -ENOENT;
	if (access(probe, W_OK) == 0)
		return 0;
	if (!ko || !*ko)
		return -ENOENT;
	slash = strrchr(ko, '/');
	snprintf(p, sizeof(p), "%.*s%s", slash ? (int)(slash + 1 - ko) : 0, ko, name);
	return rpc_load_ko(p);
}

/* Load the test driver (rpc_test_driver.ko) unless it is loaded. */
static inline int rpc_test_driver_load(void)
{
	return rpc_test_ko_load("rpc_test_driver.ko", RPC_TEST_DRIVER_RMF);
}

/*
 * read_mapping_folio(path's mapping, index) in the kernel, as uprobes and
 * drivers read a file's page: 0 with the page's FNV-1a hash and whether the
 * folio was up to date, or the -errno it failed with.
 */
static inline int rpc_read_mapping_folio(const char *path, unsigned long index, int *uptodate,
					 uint64_t *hash)
{
	char cmd[PATH_MAX + 32], res[64];
	unsigned long long h;
	int r, u;

	snprintf(cmd, sizeof(cmd), "%s %lu\n", path, index);
	r = rpc_write_str(RPC_TEST_DRIVER_RMF, cmd);
	if (r)
		return r;
	if (rpc_read_str(RPC_TEST_DRIVER_RMF, res, sizeof(res)) < 0)
		return -errno;
	if (sscanf(res, "ok %d %llx", &u, &h) == 2) {
		*uptodate = u;
		*hash = h;
		return 0;
	}
	if (sscanf(res, "err %d", &r) == 1)
		return -r;
	return -EPROTO;
}

/* ---- memory cgroups ---- */

/*
 * A memory cgroup made for a test. cgroup v2 (mounted at /sys/fs/cgroup if
 * no cgroup2 is mounted; +memory is enabled in the root's
 * cgroup.subtree_control; the group is a child of the root). If the memory
 * controller is bound to a v1 hierarchy (as on some hosts), a child of the
 * current v1 memory cgroup is used instead, with the v1 file names.
 */
struct rpc_memcg {
	int v;			/* 2 or 1; 0: not created */
	char path[PATH_MAX];
};

/* Does the space separated list in file path contain word? */
static inline bool rpc_file_has_word(const char *path, const char *word)
{
	char buf[1024], *save = NULL, *t;

	if (rpc_read_str(path, buf, sizeof(buf)) < 0)
		return false;
	for (t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		if (!strcmp(t, word))
			return true;
	return false;
}

/* Mount point of the first /proc/mounts entry of type fstype (with option opt). */
static inline bool rpc_find_mount(const char *fstype, const char *opt, char *mnt, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *m, *type, *o;

		if (!rpc_mounts_split(line, &m, &type, &o) || strcmp(type, fstype))
			continue;
		if (opt && !rpc_has_opt(o, opt))
			continue;
		snprintf(mnt, len, "%s", m);
		found = true;
	}
	fclose(f);
	return found;
}

static inline int rpc_memcg_file(const struct rpc_memcg *cg, const char *v2, const char *v1,
				 char *p, size_t len)
{
	const char *n = cg->v == 2 ? v2 : v1;

	if (!n)
		return -ENOENT;
	snprintf(p, len, "%s/%s", cg->path, n);
	return 0;
}

/*
 * Create a fresh memory cgroup. 0, or -errno with a reason in why (for
 * SKIP: no memory controller available).
 */
static inline int rpc_memcg_create(struct rpc_memcg *cg, char *why, size_t wlen)
{
	char mnt[PATH_MAX], p[PATH_MAX + 64];
	int r;

	memset(cg, 0, sizeof(*cg));
	if (!rpc_find_mount("cgroup2", NULL, mnt, sizeof(mnt))) {
		struct stat a, b;

		/* mount it at /sys/fs/cgroup unless something else is there */
		if (stat("/sys/fs/cgroup", &a) == 0 && stat("/sys/fs", &b) == 0 &&
		    a.st_dev == b.st_dev &&
		    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) == 0)
			snprintf(mnt, sizeof(mnt), "/sys/fs/cgroup");
		else
			mnt[0] = '\0';
	}
	if (mnt[0]) {
		snprintf(p, sizeof(p), "%s/cgroup.controllers", mnt);
		if (rpc_file_has_word(p, "memory")) {
			snprintf(p, sizeof(p), "%s/cgroup.subtree_control", mnt);
			if (!rpc_file_has_word(p, "memory")) {
				r = rpc_write_str(p, "+memory");
				if (r) {
					snprintf(why, wlen, "cannot enable +memory in %.200s: %s", p, strerror(-r));
					return r;
				}
			}
			snprintf(cg->path, sizeof(cg->path), "%s/rpc-test-XXXXXX", mnt);
			if (!mkdtemp(cg->path)) {
				r = -errno;
				snprintf(why, wlen, "mkdir %.200s: %s", cg->path, strerror(errno));
				return r;
			}
			cg->v = 2;
			return 0;
		}
	}
	/* v1 fallback: a child of our own memory cgroup */
	if (rpc_find_mount("cgroup", "memory", mnt, sizeof(mnt))) {
		FILE *f = fopen("/proc/self/cgroup", "re");
		char line[PATH_MAX], rel[PATH_MAX] = "";

		while (f && fgets(line, sizeof(line), f)) {
			char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

			if (!c2)
				continue;
			*c2 = '\0';
			if (rpc_has_opt(c1 + 1, "memory")) {
				snprintf(rel, sizeof(rel), "%s", c2 + 1);
				rel[strcspn(rel, "\n")] = '\0';
				break;
			}
		}
		if (f)
			fclose(f);
		snprintf(cg->path, sizeof(cg->path), "%s%s/rpc-test-XXXXXX", mnt,
			 strcmp(rel, "/") ? rel : "");
		if (!mkdtemp(cg->path)) {
			r = -errno;
			snprintf(why, wlen, "mkdir %.200s: %s", cg->path, strerror(errno));
			return r;
		}
		cg->v = 1;
		return 0;
	}
	snprintf(why, wlen, "no memory cgroup controller (cgroup2 at '%s' has none, no v1 memory)", mnt);
	return -ENOENT;
}

/* Move process pid (0: the caller) into the cgroup. 0 or -errno. */
static inline int rpc_memcg_enter(const struct rpc_memcg *cg, pid_t pid)
{
	char p[PATH_MAX + 32], v[32];

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg->path);
	snprintf(v, sizeof(v), "%d\n", pid ? pid : getpid());
	return rpc_write_str(p, v);
}

/* Read a memory.stat counter (v2 names; "file" maps to v1 "cache"). */
static inline long long rpc_memcg_stat(const struct rpc_memcg *cg, const char *key)
{
	char p[PATH_MAX + 32];
	long long v = -1;

	snprintf(p, sizeof(p), "%s/memory.stat", cg->path);
	if (cg->v == 1 && !strcmp(key, "file"))
		key = "cache";
	return rpc_keyed_value(p, key, &v) ? -1 : v;
}

/* memory.current (v1: memory.usage_in_bytes), or -1. */
static inline long long rpc_memcg_current(const struct rpc_memcg *cg)
{
	char p[PATH_MAX + 32], buf[64];

	rpc_memcg_file(cg, "memory.current", "memory.usage_in_bytes", p, sizeof(p));
	if (rpc_read_str(p, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/*
 * Limit the cgroup to bytes of memory and no swap (memory.max and
 * memory.swap.max=0, or v1 limit_in_bytes and memsw.limit_in_bytes; the
 * swap files are optional). 0 or -errno.
 */
static inline int rpc_memcg_set_limit(const struct rpc_memcg *cg, long long bytes)
{
	char p[PATH_MAX + 32], v[32];
	int r;

	snprintf(v, sizeof(v), "%lld\n", bytes);
	rpc_memcg_file(cg, "memory.max", "memory.limit_in_bytes", p, sizeof(p));
	r = rpc_write_str(p, v);
	if (r)
		return r;
	if (cg->v == 2) {
		snprintf(p, sizeof(p), "%s/memory.swap.max", cg->path);
		r = rpc_write_str(p, "0\n");
	} else {
		snprintf(p, sizeof(p), "%s/memory.memsw.limit_in_bytes", cg->path);
		r = rpc_write_str(p, v);
	}
	return r == -ENOENT ? 0 : r;
}

/*
 * Give back the charges the per-cpu stocks hold for the cgroup. A charge
 * takes MEMCG_CHARGE_BATCH (64) pages at a time and keeps what is left over
 * in the charging CPU's stock, counted in memory.current until drained: up
 * to 256 KiB per CPU after the cgroup's tasks are gone. memory.high set
 * below the usage drains all stocks first (memory_high_write ->
 * drain_all_stock, asynchronous for the other CPUs) and reclaims only what
 * stays above keep bytes; memory.high goes back to max after. v2 only
 * (-ENOENT on v1); 0 or -errno.
 */
static inline int rpc_memcg_drain_stock(const struct rpc_memcg *cg, long long keep)
{
	char p[PATH_MAX + 32], v[32];
	int r;

	if (cg->v != 2)
		return -ENOENT;
	snprintf(p, sizeof(p), "%s/memory.high", cg->path);
	snprintf(v, sizeof(v), "%lld\n", keep);
	r = rpc_write_str(p, v);
	return rpc_write_str(p, "max\n") ?: r;
}

/* Number of OOM kills in the cgroup (memory.events / memory.oom_control), or -1. */
static inline long long rpc_memcg_oom_kills(const struct rpc_memcg *cg)
{
	char p[PATH_MAX + 32];
	long long v = -1;

	rpc_memcg_file(cg, "memory.events", "memory.oom_control", p, sizeof(p));
	return rpc_keyed_value(p, "oom_kill", &v) ? -1 : v;
}

/* Number of processes in the cgroup, or -errno. */
static inline int rpc_memcg_nprocs(const struct rpc_memcg *cg)
{
	char p[PATH_MAX + 32], buf[4096];
	int n = 0;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg->path);
	if (rpc_read_str(p, buf, sizeof(buf)) < 0)
		return -errno;
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			n++;
	return n;
}

/*
 * Kill whatever is still in the cgroup, wait for it to be empty and remove
 * it (retrying while rmdir says EBUSY, up to ~10 s). 0 or -errno.
 */
static inline int rpc_memcg_destroy(struct rpc_memcg *cg)
{
	char p[PATH_MAX + 32], buf[4096];
	int r = 0;

	if (!cg->v)
		return 0;
	for (int i = 0; i < 1000; i++) {
		char *save = NULL, *t;

		snprintf(p, sizeof(p), "%s/cgroup.procs", cg->path);
		if (rpc_read_str(p, buf, sizeof(buf)) < 0 || !buf[0])
			break;
		for (t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
			if (atoi(t) > 0 && atoi(t) != getpid())
				kill(atoi(t), SIGKILL);
		usleep(10000);
	}
	for (int i = 0; i < 1000; i++) {
		r = rmdir(cg->path) ? -errno : 0;
		if (r != -EBUSY)
			break;
		usleep(10000);
	}
	if (!r || r == -ENOENT)
		cg->v = 0;
	return r == -ENOENT ? 0 : r;
}

/*
 * Fork a child that joins cg, writes len bytes of pattern seed to path
 * (created or truncated) and exits, so the file's pages are charged to cg
 * (cg NULL: to the caller's memcg). Returns the child's exit status (0: written), 128 + signal, or -errno.
 */
static inline int rpc_memcg_write_file(const struct rpc_memcg *cg, const char *path, size_t len,
				       uint32_t seed)
{
	const size_t chunk = 1024 * 1024;
	int status;
	pid_t pid;

	pid = rpc_fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *buf = malloc(chunk);
		int fd;

		if (!buf || (cg && rpc_memcg_enter(cg, 0)))
			_exit(2);
		fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			_exit(3);
		for (size_t off = 0; off < len; off += chunk) {
			size_t l = len - off < chunk ? len - off : chunk;

			rpc_fill_pattern(buf, l, seed, off);
			if (write(fd, buf, l) != (ssize_t)l)
				_exit(4);
		}
		close(fd);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The first failure seen by the threads of a race test: its message is kept,
 * later ones are dropped; *stop is set so every thread winds down.
 */
struct rpc_failure {
	pthread_mutex_t lock;
	atomic_int bad;
	char msg[1024];
};

static inline void rpc_failure_init(struct rpc_failure *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
}

static inline void rpc_failure_vset(struct rpc_failure *f, atomic_bool *stop, const char *fmt,
				    va_list ap)
{
	pthread_mutex_lock(&f->lock);
	if (!atomic_load(&f->bad)) {
		vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
		atomic_store(&f->bad, 1);
	}
	pthread_mutex_unlock(&f->lock);
	atomic_store(stop, true);
}

/* ---- the mount's own swap (swap.c, dma32.c) ---- */

/*
 * Reads the whole file at path and checks it against pattern seed:
 * RPC_VERIFIED, or the offset of the first bad byte, or -1 (unreadable).
 */
#define RPC_CHUNK (1024UL * 1024UL)
static inline long rpc_verify_file(const char *path, size_t len, uint32_t seed)
{
	char *buf = malloc(RPC_CHUNK);
	long bad = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0)
		goto out;
	for (size_t off = 0; off < len; off += RPC_CHUNK) {
		size_t l = len - off < RPC_CHUNK ? len - off : RPC_CHUNK;
		long b;

		if (rpc_pread_full(fd, buf, l, off) != (ssize_t)l)
			goto out;
		b = rpc_check_pattern(buf, l, seed, off);
		if (b >= 0) {
			bad = off + b;
			goto out;
		}
	}
	bad = -2;	/* all good */
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return bad;
}
#define RPC_VERIFIED (-2)


/* The swap disk for swap= ($RPC_SWAP_DEV, scripts/guest.sh), or NULL. */
static inline const char *rpc_swap_dev(void)
{
	const char *d = getenv("RPC_SWAP_DEV");

	return d && *d ? d : NULL;
}

static inline int rpc_run(const char *cmd)
{
	int r = system(cmd);

	return WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

static inline int rpc_mkswap(const char *dev)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "mkswap -f %s >/dev/null 2>&1", dev);
	return rpc_run(cmd);
}

/* Named stats value of the mount at mnt, -1 if unreadable. */
static inline long long rpc_stat_of(const char *mnt, const char *key)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	long long v = -1;

	if (rpc_pc_debugfs_dir(mnt, dir, sizeof(dir)))
		return -1;
	snprintf(p, sizeof(p), "%s/stats", dir);
	if (rpc_keyed_value(p, key, &v))
		return -1;
	return v;
}

/*
 * Pages the mount's swap-out took from memory with a slot: written
 * (swapped_out) or dropped because their slot still held a clean copy of
 * them (swap_clean_out, no write).
 */
static inline long long rpc_pages_out(const char *mnt)
{
	return rpc_stat_of(mnt, "swapped_out") + rpc_stat_of(mnt, "swap_clean_out");
}

/*
 * Remount through the new API (fspick + fsconfig + RECONFIGURE) so that the
 * fs_context's messages can be read: 0 or -errno, msg gets the log.
 */
static inline int rpc_reconfigure(const char *dir, const char *opts, char *msg, size_t len)
{
	char *copy = strdup(opts);
	int fd, e;

	fd = syscall(__NR_fspick, AT_FDCWD, dir, RPC_FSPICK_CLOEXEC);
	if (fd < 0) {
		free(copy);
		return -errno;
	}
	e = rpc_fsconfig_opts(fd, copy);
	if (!e && rpc_fsconfig(fd, RPC_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0))
		e = errno;
	rpc_fs_messages(fd, msg, len);
	close(fd);
	free(copy);
	return -e;
}

/*
 * Proactive reclaim of up to `bytes` from the cgroup at path
 * (memory.reclaim); EAGAIN (less than asked could be reclaimed: the cgroup
 * holds less) counts as done, the callers check what went out.
 */
static inline int rpc_memcg_reclaim(const char *cgpath, const char *bytes)
{
	char p[PATH_MAX + 32];
	int r;

	snprintf(p, sizeof(p), "%s/memory.reclaim", cgpath);
	r = rpc_write_str(p, bytes);
	return r == -EAGAIN ? 0 : r;
}

#endif /* RPC_UTIL_H */
