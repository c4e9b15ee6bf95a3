// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of the module's page cache, faults racing truncate (seed 004), and
 * folios pinned by others while the file is truncated and unmapped (seeds
 * 000 and 001).
 *
 * mm: SIGBUS beyond EOF and zeros in the partial page, msync/munmap and the
 *     mtime of a write fault, MADV_DONTNEED on shared and private mappings,
 *     MADV_REMOVE as a hole punch, mremap, /proc/self/smaps, fault-around.
 *
 * Seed 004 (fault_vs_truncate_punch_extend): reader threads fault through
 * their own mappings while a thread writes generations of the file,
 * truncates, punches and re-extends it. A word read is checked against
 * what the file held: never data whose removal had completed before the
 * read began, never a successful read beyond a stable EOF, never SIGBUS
 * inside it. On rust_pagecache the debugfs knob fault_delay_us widens the
 * window between the fault's lookup and its folio lock, and fault_retries
 * proves the race was hit.
 *
 * Seeds 000/001 (pin_*): a file written from a memory cgroup is pinned by
 * vmsplice (two pipes, dropped concurrently), io_uring fixed buffers,
 * O_DIRECT AIO on a loop device whose backing file (on the same mount) is
 * held busy so the writes are still in flight at the truncate, or
 * MSG_ZEROCOPY over loopback TCP (the
 * last reference then goes when the ACK frees the skb, in softirq). The
 * file is truncated and unmapped while pinned: the folios must leave the
 * file (it reads zeros once extended again, the stats show none cached)
 * yet keep the old data for the pinner; when the pin goes, the cgroup's
 * charge and the LRU count in /proc/meminfo come back.
 */
#include "rpc_util.h"
#include <linux/aio_abi.h>
#include <linux/errqueue.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/sockios.h>
#include "kselftest_harness.h"

#define KIB 1024
#define MIB (1024 * 1024)

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif

static long ps;

/* fault-around, a global knob: the tests that turn it off put back the default */
#define FAULT_AROUND		"/sys/kernel/debug/fault_around_bytes"
#define FAULT_AROUND_DEFAULT	"65536\n"

static void restore_fault_around(void)
{
	if (access(FAULT_AROUND, W_OK) == 0)
		rpc_write_str(FAULT_AROUND, FAULT_AROUND_DEFAULT);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- SIGBUS as a return value ---- */

/* volatile: the stores around the probed loads must not be moved or merged */
static __thread sigjmp_buf *volatile tls_jb;

static void on_sigbus(int sig)
{
	if (tls_jb)
		siglongjmp(*tls_jb, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_sigbus(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* Copy len bytes from a mapping. 0, or 1 if the access raised SIGBUS. */
static int probe_copy(void *dst, const volatile void *src, size_t len)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		tls_jb = NULL;
		return 1;
	}
	tls_jb = &jb;
	for (size_t i = 0; i < len / 8; i++)
		((uint64_t *)dst)[i] = ((const volatile uint64_t *)src)[i];
	tls_jb = NULL;
	return 0;
}

static int probe_byte(const volatile char *p)
{
	uint64_t v[1];

	return probe_copy(v, (const volatile void *)((uintptr_t)p & ~7UL), 8);
}

static int new_file(int dfd, const char *name)
{
	return openat(dfd, name, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
}

static int write_pattern(int fd, size_t len, uint32_t seed)
{
	char *buf = malloc(len);
	ssize_t w;

	if (!buf)
		return -ENOMEM;
	rpc_fill_pattern(buf, len, seed, 0);
	w = rpc_pwrite_full(fd, buf, len, 0);
	free(buf);
	return w == (ssize_t)len ? 0 : -EIO;
}

/* offset of the first byte of fd [0, len) that is not pattern seed, or -1 */
static long check_file_pattern(int fd, size_t len, uint32_t seed)
{
	char *buf = malloc(len);
	long r;

	if (!buf)
		return -2;
	r = rpc_pread_full(fd, buf, len, 0) == (ssize_t)len ? rpc_check_pattern(buf, len, seed, 0) : -3;
	free(buf);
	return r;
}

/* first nonzero byte of fd [0, len), -1 if all zero */
static long file_first_nonzero(int fd, size_t len)
{
	char *buf = malloc(len);
	long r;

	if (!buf)
		return -2;
	r = rpc_pread_full(fd, buf, len, 0) == (ssize_t)len ? rpc_first_nonzero(buf, len) : -3;
	free(buf);
	return r;
}


FIXTURE(mm) {
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(mm)
{
	int r;

	umask(0);
	ps = rpc_page_size();
	catch_sigbus();
	r = rpc_mount_dir(self->dir, "", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(mm)
{
	restore_fault_around();
	if (rpc_is_module_fs())
		rpc_pc_set_knob(self->dir, "fault_delay_us", 0);
	rpc_umount(self->dir);
}

/* ---- mmap basics ---- */

TEST_F(mm, fault_beyond_eof_is_sigbus_and_the_partial_page_reads_zero)
{
	int fd = new_file(self->dfd, "f");
	size_t size = ps + ps / 2;
	char *m, *buf = malloc(2 * ps);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, size, 1));
	m = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, probe_copy(buf, m, 2 * ps));
	EXPECT_EQ(-1, rpc_check_pattern(buf, size, 1, 0));
	/* the rest of the last page is zeros, no SIGBUS */
	EXPECT_EQ(-1, rpc_first_nonzero(buf + size, 2 * ps - size));
	/* whole pages beyond EOF: SIGBUS, read or write */
	EXPECT_EQ(1, probe_byte(m + 2 * ps));
	EXPECT_EQ(1, probe_byte(m + 3 * ps + 100));
	/* extended: they read zeros, and a write there reaches the file */
	ASSERT_EQ(0, ftruncate(fd, 4 * ps));
	ASSERT_EQ(0, probe_copy(buf, m + 2 * ps, 2 * ps));
	EXPECT_EQ(-1, rpc_first_nonzero(buf, 2 * ps));
	m[3 * ps + 7] = 'x';
	ASSERT_EQ(1, pread(fd, buf, 1, 3 * ps + 7));
	EXPECT_EQ('x', buf[0]);
	/* shrunk again: SIGBUS again */
	ASSERT_EQ(0, ftruncate(fd, ps));
	EXPECT_EQ(1, probe_byte(m + ps));
	EXPECT_EQ(0, probe_byte(m + ps - 1));
	munmap(m, 4 * ps);
	close(fd);
	free(buf);
}

TEST_F(mm, shared_write_sets_mtime_and_survives_msync_and_munmap)
{
	const size_t len = 8 * ps;
	struct stat st0, st1;
	int fd = new_file(self->dfd, "f");
	char *m;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	ASSERT_EQ(0, fstat(fd, &st0));
	usleep(50 * 1000);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	rpc_fill_pattern(m, len, 2, 0);
	ASSERT_EQ(0, msync(m, len, MS_SYNC));
	ASSERT_EQ(0, msync(m, len, MS_ASYNC | MS_INVALIDATE));
	ASSERT_EQ(0, fstat(fd, &st1));
	/* the write fault updated mtime (no page_mkwrite: the fault code does it) */
	EXPECT_TRUE(st1.st_mtim.tv_sec > st0.st_mtim.tv_sec ||
		    (st1.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
		     st1.st_mtim.tv_nsec > st0.st_mtim.tv_nsec));
	/* the faults allocated the pages */
	EXPECT_EQ((long long)(len / 512), (long long)st1.st_blocks);
	ASSERT_EQ(0, munmap(m, len));
	EXPECT_EQ(-1, check_file_pattern(fd, len, 2));
	close(fd);
}

TEST_F(mm, madvise_dontneed_refaults_file_data_and_drops_private_copies)
{
	const size_t len = 4 * ps;
	int fd = new_file(self->dfd, "f");
	char *s, *p, *buf = malloc(len);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, len, 3));
	s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, ps);		/* private copy of page 0 */
	s[ps + 1] = 0x11;		/* shared write of page 1 */
	EXPECT_EQ(0x5a, p[0]);
	ASSERT_EQ(0, madvise(s, len, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	/* the shared write is in the file; the private copy is gone */
	EXPECT_EQ(0x11, s[ps + 1]);
	EXPECT_EQ(0x11, p[ps + 1]);
	EXPECT_EQ(rpc_pattern_byte(3, 0), (uint8_t)p[0]);
	memcpy(buf, p, len);
	buf[ps + 1] = rpc_pattern_byte(3, ps + 1);
	EXPECT_EQ(-1, rpc_check_pattern(buf, len, 3, 0));
	munmap(s, len);
	munmap(p, len);
	close(fd);
	free(buf);
}

TEST_F(mm, madvise_remove_punches_a_hole)
{
	const size_t len = 8 * ps;
	struct rpc_pc_stats a, b;
	int fd = new_file(self->dfd, "f");
	char *m, *buf = malloc(len);
	bool stats = rpc_is_module_fs();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, len, 4));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(rpc_pattern_byte(4, 5 * ps), (uint8_t)m[5 * ps]);
	if (stats)
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &a));
	ASSERT_EQ(0, madvise(m + 2 * ps, 3 * ps, MADV_REMOVE)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ((long long)len, rpc_file_size(fd));
	EXPECT_EQ((long long)(5 * ps / 512), rpc_file_blocks(fd));
	EXPECT_EQ(2 * ps, lseek(fd, 0, SEEK_HOLE));
	EXPECT_EQ(5 * ps, lseek(fd, 2 * ps, SEEK_DATA));
	ASSERT_EQ((ssize_t)len, rpc_pread_full(fd, buf, len, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(buf + 2 * ps, 3 * ps));
	EXPECT_EQ(-1, rpc_check_pattern(buf, 2 * ps, 4, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf + 5 * ps, 3 * ps, 4, 5 * ps));
	/* and through the mapping */
	EXPECT_EQ(0, m[3 * ps]);
	if (stats) {
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &b));
		/* 3 removed; the read through the mapping above made one again */
		EXPECT_EQ(3, b.folios_removed - a.folios_removed);
		EXPECT_EQ(a.folios_cached - 2, b.folios_cached);
	}
	munmap(m, len);
	close(fd);
	free(buf);
}

TEST_F(mm, mremap_grow_move_and_shrink)
{
	const size_t len = 16 * ps;
	int fd = new_file(self->dfd, "f");
	char *m, *m2, *buf = malloc(len);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, len, 5));
	m = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(rpc_pattern_byte(5, 3 * ps), (uint8_t)m[3 * ps]);
	m2 = mremap(m, 4 * ps, len, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, m2);
	ASSERT_EQ(0, probe_copy(buf, m2, len));
	EXPECT_EQ(-1, rpc_check_pattern(buf, len, 5, 0));
	m2[10 * ps + 3] = 0x42;
	ASSERT_EQ(1, pread(fd, buf, 1, 10 * ps + 3));
	EXPECT_EQ(0x42, buf[0]);
	m = mremap(m2, len, 2 * ps, 0);
	ASSERT_EQ(m2, m);
	EXPECT_EQ(rpc_pattern_byte(5, ps), (uint8_t)m[ps]);
	munmap(m, 2 * ps);
	close(fd);
	free(buf);
}

/* Is this /proc/self/smaps line a mapping's header ("start-end perms ...")? */
static bool smaps_header(const char *line)
{
	size_t n = strspn(line, "0123456789abcdef");

	return n > 0 && line[n] == '-';
}

/* The smaps block of the mapping at addr: its header line, Rss and Anonymous. */
static int smaps_of(void *addr, char *hdr, size_t hlen, long long *rss, long long *anon)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/smaps", "re");
	bool in = false;

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	*rss = *anon = -1;
	while (fgets(line, sizeof(line), f)) {
		if (smaps_header(line)) {
			if (in)
				break;
			if (!strncmp(line, want, strlen(want))) {
				in = true;
				snprintf(hdr, hlen, "%s", line);
			}
			continue;
		}
		if (in) {
			sscanf(line, "Rss: %lld kB", rss);
			sscanf(line, "Anonymous: %lld kB", anon);
		}
	}
	fclose(f);
	return in ? 0 : -ENOENT;
}

TEST_F(mm, smaps_shows_a_file_backed_mapping)
{
	const size_t len = 8 * ps;
	char hdr[512], path[PATH_MAX];
	long long rss, anon;
	int fd = new_file(self->dfd, "mapped-file");
	volatile char *s, *p;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, len, 6));
	s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t o = 0; o < len; o += ps)
		(void)s[o];
	p[0] = 1;
	p[ps] = 1;
	rpc_path(path, sizeof(path), self->dir, "mapped-file");
	ASSERT_EQ(0, smaps_of((void *)s, hdr, sizeof(hdr), &rss, &anon));
	TH_LOG("shared: %.*s Rss %lld kB, Anonymous %lld kB", (int)strcspn(hdr, "\n"), hdr, rss,
	       anon);
	EXPECT_NE(NULL, strstr(hdr, path));
	EXPECT_NE(NULL, strstr(hdr, " rw-s "));
	EXPECT_EQ((long long)(len / KIB), rss);
	EXPECT_EQ(0, anon);
	ASSERT_EQ(0, smaps_of((void *)p, hdr, sizeof(hdr), &rss, &anon));
	TH_LOG("private: %.*s Rss %lld kB, Anonymous %lld kB", (int)strcspn(hdr, "\n"), hdr, rss,
	       anon);
	EXPECT_NE(NULL, strstr(hdr, path));
	EXPECT_NE(NULL, strstr(hdr, " rw-p "));
	/* the two written pages are anonymous copies now */
	EXPECT_EQ((long long)(2 * ps / KIB), anon);
	munmap((void *)s, len);
	munmap((void *)p, len);
	close(fd);
}

/* fault_around_bytes, or -1 if it cannot be read */
static long long fault_around_bytes(void)
{
	char v[32];

	if (rpc_ensure_debugfs() || rpc_read_str(FAULT_AROUND, v, sizeof(v)) <= 0)
		return -1;
	return strtoll(v, NULL, 10);
}

static long long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

TEST_F(mm, fault_around_maps_cached_neighbours)
{
	const size_t len = 256 * ps;
	long long around, f0, f1;
	double t0, t1;
	int fd = new_file(self->dfd, "f");
	volatile char *m;

	ASSERT_LE(0, fd);
	around = fault_around_bytes();
	if (around < 16 * ps)
		SKIP(return, "fault_around_bytes is %lld (-1: no %s)", around, FAULT_AROUND);
	ASSERT_EQ(0, write_pattern(fd, len, 7));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	f0 = minflt();
	t0 = now_s();
	for (size_t o = 0; o < len; o += ps)
		ASSERT_EQ(rpc_pattern_byte(7, o), (uint8_t)m[o]);
	t1 = now_s();
	f1 = minflt();
	TH_LOG("%zu pages read through a new mapping: %lld faults (fault_around_bytes %lld), %.1f ms",
	       len / ps, f1 - f0, around, (t1 - t0) * 1e3);
	/* one fault maps fault_around_bytes of cached neighbours */
	EXPECT_GE((long long)(len / around) * 2 + 2, f1 - f0);
	munmap((void *)m, len);
	close(fd);
}

/*
 * Fault-around keeps working after memory pressure (review defect 4).
 * Reclaim used to scan this filesystem's dirty folios, activate them and set
 * PG_reclaim, which is PG_readahead, on the way; fault-around
 * (filemap_map_pages) skips readahead folios, so afterwards every page of a
 * mapping cost a fault of its own. A file written from a memory cgroup is
 * read through a new mapping, the cgroup is squeezed to 4 MiB by
 * memory.high (synchronous reclaim), and a second mapping is read again:
 * the minor fault counts must match.
 */
TEST_F_TIMEOUT(mm, fault_around_survives_memory_pressure, 120)
{
	const size_t len = 64 * MIB;
	struct rpc_memcg cg;
	char why[512], p[PATH_MAX], hp[PATH_MAX + 32];
	long long n[2], around;
	int fd, r;

	around = fault_around_bytes();
	if (around < 16 * ps)
		SKIP(return, "fault_around_bytes is %lld (-1: no %s)", around, FAULT_AROUND);
	r = rpc_memcg_create(&cg, why, sizeof(why));
	if (r)
		SKIP(return, "%s", why);
	if (cg.v != 2) {
		rpc_memcg_destroy(&cg);
		SKIP(return, "memory.high needs cgroup v2");
	}
	rpc_path(p, sizeof(p), self->dir, "f");
	ASSERT_EQ(0, rpc_memcg_write_file(&cg, p, len, 11));
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (int round = 0; round < 2; round++) {
		volatile char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		long long f0;

		ASSERT_NE(MAP_FAILED, m);
		f0 = minflt();
		for (size_t o = 0; o < len; o += ps)
			ASSERT_EQ(rpc_pattern_byte(11, o), (uint8_t)m[o]);
		n[round] = minflt() - f0;
		munmap((void *)m, len);
		if (round == 0) {
			/* memory.high below usage reclaims in the writing task */
			snprintf(hp, sizeof(hp), "%s/memory.high", cg.path);
			ASSERT_EQ(0, rpc_write_str(hp, "4194304\n"));
			ASSERT_EQ(0, rpc_write_str(hp, "max\n"));
		}
	}
	TH_LOG("minor faults reading %zu pages: %lld before pressure, %lld after "
	       "(fault_around_bytes %lld)", len / ps, n[0], n[1], around);
	/* with fault-around, one fault maps around/ps pages */
	EXPECT_GE((long long)(len / ps) / 4, n[0]);
	EXPECT_GE(n[0] + n[0] / 4 + 16, n[1]) TH_LOG("fault-around stopped working after pressure");
	close(fd);
	ASSERT_EQ(0, unlink(p));
	EXPECT_EQ(0, rpc_memcg_destroy(&cg));
}

/*
 * st_blocks stays exact when two tasks add pages at once (review defect
 * 5): two threads write-fault distinct holes of a sparse shared mapping in
 * lock step, round after round; after every round st_blocks must be the
 * pages faulted so far, and at the end it must equal the blocks statfs
 * counts as used.
 */
struct hole_faulter {
	volatile char *m;
	pthread_barrier_t *start, *done;
	int id, rounds;
};

static void *fault_holes(void *arg)
{
	struct hole_faulter *h = arg;

	for (int i = 0; i < h->rounds; i++) {
		pthread_barrier_wait(h->start);
		h->m[(size_t)(2 * i + h->id) * ps] = 1;
		pthread_barrier_wait(h->done);
	}
	return NULL;
}

TEST_F_TIMEOUT(mm, concurrent_hole_faults_keep_st_blocks_exact, 120)
{
	const int rounds = 2000;
	const size_t len = (size_t)2 * rounds * ps;
	pthread_barrier_t start, done;
	struct hole_faulter h[2];
	struct rpc_sfs s0, s1;
	pthread_t t[2];
	int fd = new_file(self->dfd, "sparse"), bad = 0, first_bad = -1;
	long long got = 0, want = 0;
	volatile char *m;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s0));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (int i = 0; i < 2; i++) {
		h[i] = (struct hole_faulter){ m, &start, &done, i, rounds };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, fault_holes, &h[i]));
	}
	for (int i = 0; i < rounds; i++) {
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		got = rpc_file_blocks(fd);
		want = (long long)(2 * i + 2) * (ps / 512);
		if (got != want && !bad++)
			first_bad = i;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, bad) TH_LOG("st_blocks wrong after %d of %d rounds, first after round %d",
				 bad, rounds, first_bad);
	EXPECT_EQ(want, got);
	ASSERT_EQ(0, rpc_statfs(self->dir, &s1));
	if (s0.f_blocks) {
		EXPECT_EQ(rpc_file_blocks(fd), (s0.f_bfree - s1.f_bfree) * (ps / 512));
	}
	munmap((void *)m, len);
	close(fd);
}

/*
 * Memory failure on a page of a file (review defect 2): MADV_HWPOISON on
 * a mapped page. The poisoned folio stays in the file, as on tmpfs: reading
 * that page fails with EIO (a read that starts before it ends there),
 * writing into it too, a new mapping of it gets SIGBUS, its neighbours read
 * and map as before, statfs does not drift, and unlinking the file gives
 * every block back. (Before, the page was truncated behind the module's
 * back: it read as zeros, and its block stayed counted.)
 */
TEST_F_TIMEOUT(mm, hwpoisoned_page_reads_eio_and_its_neighbours_survive, 120)
{
	const size_t len = 4 * ps;
	struct rpc_sfs s0, s1, s2;
	char *buf = malloc(2 * ps);
	int fd, status;
	volatile char *m;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	/* it poisons a page of real memory for good: only in a test VM */
	if (!getenv("RPC_ALLOW_HWPOISON"))
		SKIP(return, "set RPC_ALLOW_HWPOISON=1 to poison a page (the test VM does)");
	ASSERT_EQ(0, rpc_statfs(self->dir, &s0));
	fd = new_file(self->dfd, "poisoned");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, len, 21));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s1));

	/* a child poisons page 1 through its mapping (and may get SIGBUS for it) */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (c == MAP_FAILED)
			_exit(2);
		if (((volatile char *)c)[ps] != (char)rpc_pattern_byte(21, ps))
			_exit(3);
		_exit(madvise(c + ps, ps, MADV_HWPOISON) ? 100 + errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 100 + EPERM)
		SKIP(return, "MADV_HWPOISON needs CAP_SYS_ADMIN");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 100 + EINVAL)
		SKIP(return, "no CONFIG_MEMORY_FAILURE");
	TH_LOG("poisoning child: %s %d; HardwareCorrupted %lld kB",
	       WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
	       rpc_meminfo_kb("HardwareCorrupted"));

	/* the poisoned page: EIO, not zeros */
	EXPECT_EQ(-EIO, E(pread(fd, buf, ps, ps)));
	EXPECT_EQ(-EIO, E(pread(fd, buf, 16, ps + 100)));
	/* a read from page 0 stops where the poison begins */
	EXPECT_EQ(ps, E(pread(fd, buf, 2 * ps, 0)));
	EXPECT_EQ(-1, rpc_check_pattern(buf, ps, 21, 0));
	/* writing into it fails too */
	EXPECT_EQ(-EIO, E(pwrite(fd, "x", 1, ps + 5)));
	/* the neighbours read as before */
	ASSERT_EQ(2 * ps, E(pread(fd, buf, 2 * ps, 2 * ps)));
	EXPECT_EQ(-1, rpc_check_pattern(buf, 2 * ps, 21, 2 * ps));
	/* a new mapping: SIGBUS at the poisoned page only */
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, probe_byte(m));
	EXPECT_EQ(1, probe_byte(m + ps)) TH_LOG("the poisoned page mapped without SIGBUS");
	EXPECT_EQ(0, probe_byte(m + 3 * ps));
	EXPECT_EQ((char)rpc_pattern_byte(21, 3 * ps), m[3 * ps]);
	munmap((void *)m, len);
	/* statfs: the block of the poisoned page is still the file's */
	ASSERT_EQ(0, rpc_statfs(self->dir, &s2));
	EXPECT_EQ(s1.f_bfree, s2.f_bfree);
	EXPECT_EQ((long long)(len / 512), rpc_file_blocks(fd));
	close(fd);
	/* unlink frees all four pages, the poisoned one included */
	ASSERT_EQ(0, unlinkat(self->dfd, "poisoned", 0));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s2));
	EXPECT_EQ(s0.f_bfree, s2.f_bfree);
	free(buf);
}

/* ---- seed 004: faults racing truncate, punch and re-extension ---- */

#define RACE_PAGES	64
#define RACE_READERS	3
#define RACE_SECONDS	8
#define FAULT_DELAY_US	300

/* What the file holds: kinds of stable phases */
enum phase_kind { WRITING, VALID, SHRUNK, EXTENDED, PUNCHED };

struct phase {
	enum phase_kind kind;
	unsigned int gen;	/* generation written last */
	unsigned int size;	/* pages */
	unsigned int a, b;	/* SHRUNK/EXTENDED: pages < a keep gen; PUNCHED: [a, b) are zero */
};

struct fault_race {
	int fd;
	atomic_ulong seq;	/* odd while the file is changing */
	struct phase ph;	/* valid while seq is even and unchanged */
	atomic_uint removed_gen[RACE_PAGES]; /* data of gens <= this is gone */
	atomic_bool stop;
	atomic_long reads, sigbus_expected, stable_checks;
	struct rpc_failure fail;
};

static uint64_t word_of(unsigned int gen, unsigned int page)
{
	return (uint64_t)gen << 32 | (page + 1);
}

static void fr_fail(struct fault_race *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fr_fail(struct fault_race *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rpc_failure_vset(&r->fail, &r->stop, fmt, ap);
	va_end(ap);
}

static void fr_begin(struct fault_race *r)
{
	atomic_fetch_add(&r->seq, 1);	/* odd: changing */
}

static void fr_end(struct fault_race *r, struct phase ph)
{
	r->ph = ph;
	atomic_fetch_add(&r->seq, 1);	/* even: stable */
	usleep(2000);			/* let the readers look */
}

static void *fr_reader(void *arg)
{
	struct fault_race *r = arg;
	uint64_t *page = malloc(ps);
	uint64_t s = (uintptr_t)&s;
	char *m = mmap(NULL, RACE_PAGES * ps, PROT_READ, MAP_SHARED, r->fd, 0);

	if (m == MAP_FAILED || !page) {
		fr_fail(r, "reader mmap: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&r->stop)) {
		unsigned int p, removed, gen, words = ps / 8;
		unsigned long s1, s2;
		struct phase ph;
		int bus;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		p = s % RACE_PAGES;
		s1 = atomic_load(&r->seq);
		ph = r->ph;
		removed = atomic_load(&r->removed_gen[p]);
		bus = probe_copy(page, m + p * ps, ps);
		s2 = atomic_load(&r->seq);
		atomic_fetch_add(&r->reads, 1);
		if ((s % 8) == 0)
			madvise(m + p * ps, ps, MADV_DONTNEED);	/* fault it again next time */
		if (!bus) {
			for (unsigned int i = 0; i < words; i++) {
				uint64_t w = page[i];

				if (!w)
					continue;
				gen = w >> 32;
				if ((w & 0xffffffff) != p + 1 || gen > ph.gen + 1) {
					fr_fail(r, "page %u word %u: garbage %#llx (gen %u)", p, i,
						(unsigned long long)w, ph.gen);
					break;
				}
				if (gen <= removed) {
					fr_fail(r, "page %u: generation %u read after its removal "
						   "had returned (a stale folio still mapped)", p, gen);
					break;
				}
			}
		}
		if (s1 != s2 || (s1 & 1))
			continue;
		/* the file did not change during the access: exact expectations */
		atomic_fetch_add(&r->stable_checks, 1);
		if (p >= ph.size) {
			if (!bus)
				fr_fail(r, "page %u read through the mapping with i_size at %u pages "
					   "(kind %d, gen %u): mapped beyond EOF", p, ph.size, ph.kind, ph.gen);
			else
				atomic_fetch_add(&r->sigbus_expected, 1);
			continue;
		}
		if (bus) {
			fr_fail(r, "SIGBUS on page %u inside EOF (%u pages, kind %d)", p, ph.size, ph.kind);
			continue;
		}
		{
			bool zero = (ph.kind == EXTENDED && p >= ph.a) ||
				    (ph.kind == PUNCHED && p >= ph.a && p < ph.b);
			uint64_t want = zero ? 0 : word_of(ph.gen, p);

			if (ph.kind == WRITING)
				continue;	/* a page may be half written */
			for (unsigned int i = 0; i < words; i++)
				if (page[i] != want) {
					fr_fail(r, "page %u word %u: %#llx, want %#llx (kind %d gen %u size %u a %u b %u)",
						p, i, (unsigned long long)page[i], (unsigned long long)want,
						ph.kind, ph.gen, ph.size, ph.a, ph.b);
					break;
				}
		}
	}
	munmap(m, RACE_PAGES * ps);
	free(page);
	return NULL;
}

static int fr_write_gen(struct fault_race *r, unsigned int g)
{
	size_t len = RACE_PAGES * ps;
	uint64_t *buf = malloc(len);
	ssize_t w;

	if (!buf)
		return -1;
	for (unsigned int p = 0; p < RACE_PAGES; p++)
		for (long i = 0; i < ps / 8; i++)
			buf[p * (ps / 8) + i] = word_of(g, p);
	w = rpc_pwrite_full(r->fd, buf, len, 0);
	free(buf);
	return w == (ssize_t)len ? 0 : -1;
}

static void fr_removed(struct fault_race *r, unsigned int from, unsigned int to, unsigned int g)
{
	for (unsigned int p = from; p < to; p++)
		atomic_store(&r->removed_gen[p], g);
}

TEST_F_TIMEOUT(mm, fault_vs_truncate_punch_extend, 120)
{
	static struct fault_race r;
	pthread_t th[RACE_READERS];
	char around[32] = "";
	struct rpc_pc_stats s0, s1;
	bool module = rpc_is_module_fs();
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	unsigned int g = 0, truncs = 0, punches = 0;
	double end;

	memset(&r, 0, sizeof(r));
	rpc_failure_init(&r.fail);
	r.fd = new_file(self->dfd, "race");
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, ftruncate(r.fd, RACE_PAGES * ps));
	r.ph = (struct phase){ .kind = EXTENDED, .gen = 0, .size = RACE_PAGES, .a = 0 };
	/* every fault through our handler, not fault-around */
	if (rpc_ensure_debugfs() == 0 && rpc_read_str(FAULT_AROUND, around, sizeof(around)) > 0)
		rpc_write_str(FAULT_AROUND, "4096\n");
	if (module) {
		ASSERT_EQ(0, rpc_pc_set_knob(self->dir, "fault_delay_us", FAULT_DELAY_US));
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &s0));
	}
	for (int i = 0; i < RACE_READERS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fr_reader, &r));

	end = now_s() + RACE_SECONDS;
	while (!atomic_load(&r.stop) && now_s() < end) {
		unsigned int k, a, b;

		g++;
		fr_begin(&r);
		fr_end(&r, (struct phase){ WRITING, g, RACE_PAGES, 0, 0 });
		if (fr_write_gen(&r, g)) {
			fr_fail(&r, "write gen %u: %s", g, strerror(errno));
			break;
		}
		fr_begin(&r);
		fr_end(&r, (struct phase){ VALID, g, RACE_PAGES, 0, 0 });
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if (rnd % 3) {
			/* truncate to k pages, then extend: pages >= k read zero */
			k = rnd % 2 ? 0 : (rnd >> 8) % RACE_PAGES;
			fr_begin(&r);
			if (ftruncate(r.fd, (off_t)k * ps)) {
				fr_fail(&r, "truncate: %s", strerror(errno));
				break;
			}
			fr_removed(&r, k, RACE_PAGES, g);
			fr_end(&r, (struct phase){ SHRUNK, g, k, k, 0 });
			fr_begin(&r);
			if (ftruncate(r.fd, RACE_PAGES * ps)) {
				fr_fail(&r, "extend: %s", strerror(errno));
				break;
			}
			fr_end(&r, (struct phase){ EXTENDED, g, RACE_PAGES, k, 0 });
			truncs++;
		} else {
			a = (rnd >> 8) % RACE_PAGES;
			b = a + 1 + (rnd >> 20) % (RACE_PAGES - a);
			fr_begin(&r);
			if (fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      (off_t)a * ps, (off_t)(b - a) * ps)) {
				fr_fail(&r, "punch: %s", strerror(errno));
				break;
			}
			fr_removed(&r, a, b, g);
			fr_end(&r, (struct phase){ PUNCHED, g, RACE_PAGES, a, b });
			punches++;
		}
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < RACE_READERS; i++)
		pthread_join(th[i], NULL);
	if (around[0])
		rpc_write_str(FAULT_AROUND, around);
	TH_LOG("%u generations, %u truncates, %u punches; %ld reads, %ld checked while stable, "
	       "%ld expected SIGBUS", g, truncs, punches, atomic_load(&r.reads),
	       atomic_load(&r.stable_checks), atomic_load(&r.sigbus_expected));
	EXPECT_EQ(0, atomic_load(&r.fail.bad)) TH_LOG("%s", r.fail.msg);
	EXPECT_LT(10U, g);
	EXPECT_LT(0, atomic_load(&r.sigbus_expected));
	if (module) {
		ASSERT_EQ(0, rpc_pc_set_knob(self->dir, "fault_delay_us", 0));
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &s1));
		TH_LOG("fault_retries %lld (folios found removed after the fault locked them)",
		       s1.fault_retries - s0.fault_retries);
		/* the race this test is about did happen, and was caught */
		EXPECT_LT(0, s1.fault_retries - s0.fault_retries);
	}
	close(r.fd);
}

/* ---- seeds 000 and 001: pinned folios ---- */

#define PIN_LEN		(16 * MIB)
#define PIN_SLACK	(2 * MIB)

FIXTURE(pin) {
	char dir[64];
	char path[PATH_MAX];
	int dfd, fd;
	struct rpc_memcg cg;
	long long cur0, lru0;
	char *m;
	size_t len;
};

FIXTURE_SETUP(pin)
{
	char why[512];
	int r;

	umask(0);
	ps = rpc_page_size();
	self->fd = -1;
	self->m = MAP_FAILED;
	r = rpc_mount_dir(self->dir, "", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
	r = rpc_memcg_create(&self->cg, why, sizeof(why));
	if (r)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN_PARENT(pin)
{
	restore_fault_around();
	if (rpc_is_module_fs())
		rpc_pc_set_knob(self->dir, "fault_delay_us", 0);
	rpc_memcg_destroy(&self->cg);
	rpc_umount(self->dir);
}

/* Write len bytes of pattern seed from inside the cgroup, open and map the file. */
static int pinned_file(struct __test_metadata *_metadata, FIXTURE_DATA(pin) *self, size_t len, uint32_t seed)
{
	long long cur1;
	int r;

	self->len = len;
	rpc_path(self->path, sizeof(self->path), self->dir, "pinned");
	self->cur0 = rpc_memcg_current(&self->cg);
	self->lru0 = rpc_cache_kb();
	r = rpc_memcg_write_file(&self->cg, self->path, len, seed);
	if (r)
		return r;
	cur1 = rpc_memcg_current(&self->cg);
	TH_LOG("cgroup charge %lld -> %lld after writing %zu MiB", self->cur0, cur1, len / MIB);
	if (cur1 - self->cur0 < (long long)len - PIN_SLACK)
		return -EDQUOT;
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		return -errno;
	self->m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	if (self->m == MAP_FAILED)
		return -errno;
	for (size_t o = 0; o < len; o += ps)
		(void)((volatile char *)self->m)[o];
	return 0;
}

/*
 * Truncate to 0 and unmap while pinned: the folios leave the file, which
 * reads zeros once extended, but stay charged (alive) for the pinner.
 * pinned: bytes known to be pinned now.
 */
static void pinned_truncate_unmap(struct __test_metadata *_metadata, FIXTURE_DATA(pin) *self,
				  long long pinned)
{
	struct rpc_pc_stats a, b;
	bool module = rpc_is_module_fs();
	long long cur;

	if (module)
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &a));
	ASSERT_EQ(0, ftruncate(self->fd, 0));
	ASSERT_EQ(0, munmap(self->m, self->len));
	self->m = MAP_FAILED;
	if (module) {
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &b));
		EXPECT_LE((long long)(self->len / ps), b.folios_removed - a.folios_removed)
			TH_LOG("truncate left pinned folios in the file");
	}
	EXPECT_EQ(0, rpc_file_blocks(self->fd));
	ASSERT_EQ(0, ftruncate(self->fd, self->len));
	EXPECT_EQ(-1, file_first_nonzero(self->fd, self->len))
		TH_LOG("the extended file shows data of the truncated, pinned folios");
	EXPECT_EQ(0, rpc_file_blocks(self->fd));
	cur = rpc_memcg_current(&self->cg);
	TH_LOG("truncated and unmapped while %lld KiB are pinned: cgroup charge %lld", pinned / KIB, cur);
	/* the pinned folios are not freed under the pinner */
	EXPECT_LE(self->cur0 + pinned - PIN_SLACK, cur);
}

/* After the pin is gone: the charge and the LRU count come back (poll up to 10 s). */
static void pinned_released(struct __test_metadata *_metadata, FIXTURE_DATA(pin) *self)
{
	long long cur = -1, lru = -1;

	for (int i = 0; i < 200; i++) {
		cur = rpc_memcg_current(&self->cg);
		lru = rpc_cache_kb();
		if (cur <= self->cur0 + PIN_SLACK && lru <= self->lru0 + PIN_SLACK / KIB)
			break;
		usleep(50 * 1000);
	}
	TH_LOG("pin dropped: cgroup charge %lld (before the file: %lld), %s %lld kB (before: %lld kB)",
	       cur, self->cur0, rpc_cache_kb_name(), lru, self->lru0);
	EXPECT_GE(self->cur0 + PIN_SLACK, cur) TH_LOG("pinned folios were not freed");
	EXPECT_GE(self->lru0 + PIN_SLACK / KIB, lru) TH_LOG("pinned folios left on the LRU");
}

struct drain {
	int fd;
	char *buf;
	size_t len;
	ssize_t got;
};

static void *drain_pipe(void *arg)
{
	struct drain *d = arg;

	d->got = 0;
	while ((size_t)d->got < d->len) {
		ssize_t n = read(d->fd, d->buf + d->got, d->len - d->got);

		if (n <= 0)
			break;
		d->got += n;
	}
	return NULL;
}

static void *close_pipe(void *arg)
{
	struct drain *d = arg;

	close(d->fd);
	return NULL;
}

/* Seed 000: two holders of every page drop their references at the same time. */
TEST_F_TIMEOUT(pin, vmsplice_two_pipes_released_concurrently_after_truncate, 120)
{
	int pa[2], pb[2];
	struct iovec iov;
	struct drain da, db;
	pthread_t ta, tb;
	char *buf = malloc(PIN_LEN);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pinned_file(_metadata, self, PIN_LEN, 10));
	ASSERT_EQ(0, pipe2(pa, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(pb, O_CLOEXEC));
	ASSERT_LE(PIN_LEN, fcntl(pa[1], F_SETPIPE_SZ, PIN_LEN)) TH_LOG("%s", strerror(errno));
	ASSERT_LE(PIN_LEN, fcntl(pb[1], F_SETPIPE_SZ, PIN_LEN)) TH_LOG("%s", strerror(errno));
	for (int *p = pa; p; p = p == pa ? pb : NULL) {
		size_t done = 0;

		while (done < PIN_LEN) {
			ssize_t n;

			iov = (struct iovec){ self->m + done, PIN_LEN - done };
			n = vmsplice(p[1], &iov, 1, 0);
			ASSERT_LT(0, n) TH_LOG("vmsplice: %s", strerror(errno));
			done += n;
		}
		close(p[1]);
	}
	pinned_truncate_unmap(_metadata, self, PIN_LEN);
	/* one reader drains pipe A while pipe B is closed with all its pages */
	da = (struct drain){ pa[0], buf, PIN_LEN, 0 };
	db = (struct drain){ pb[0], NULL, 0, 0 };
	ASSERT_EQ(0, pthread_create(&ta, NULL, drain_pipe, &da));
	ASSERT_EQ(0, pthread_create(&tb, NULL, close_pipe, &db));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	close(pa[0]);
	/* the pinner saw the data the file had when the pages were spliced */
	ASSERT_EQ(PIN_LEN, da.got);
	EXPECT_EQ(-1, rpc_check_pattern(buf, PIN_LEN, 10, 0));
	pinned_released(_metadata, self);
	free(buf);
}

/* ---- io_uring, raw ---- */

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq, *cq;
	size_t sq_len, cq_len, sqe_len;
};

static int ring_init(struct ring *r, unsigned int entries)
{
	struct io_uring_params p = { 0 };

	r->fd = syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = r->sq + p.sq_off.tail;
	r->sq_mask = r->sq + p.sq_off.ring_mask;
	r->sq_array = r->sq + p.sq_off.array;
	r->cq_head = r->cq + p.cq_off.head;
	r->cq_tail = r->cq + p.cq_off.tail;
	r->cq_mask = r->cq + p.cq_off.ring_mask;
	r->cqes = r->cq + p.cq_off.cqes;
	return 0;
}

static void ring_exit(struct ring *r)
{
	munmap(r->sq, r->sq_len);
	munmap(r->cq, r->cq_len);
	munmap(r->sqes, r->sqe_len);
	close(r->fd);
}

/* One fixed-buffer read or write; returns its result (bytes or -errno). */
static long ring_rw_fixed(struct ring *r, int op, int fd, void *addr, size_t len, off_t off)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	long res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)addr;
	sqe->len = len;
	sqe->off = off;
	sqe->buf_index = 0;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* Seed 001: a long-term pin (FOLL_LONGTERM) outlives the file's pages. */
TEST_F_TIMEOUT(pin, io_uring_fixed_buffer_outlives_truncate, 120)
{
	struct ring ring;
	struct iovec iov;
	char *buf = malloc(PIN_LEN);
	int out, in;
	long r;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pinned_file(_metadata, self, PIN_LEN, 11));
	r = ring_init(&ring, 4);
	if (r == -ENOSYS)
		SKIP(return, "no io_uring");
	ASSERT_EQ(0, r);
	iov = (struct iovec){ self->m, PIN_LEN };
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring.fd, IORING_REGISTER_BUFFERS, &iov, 1))
		TH_LOG("register a shared mapping of the file as a fixed buffer: %s", strerror(errno));
	pinned_truncate_unmap(_metadata, self, PIN_LEN);

	/* the pinner still reads the old data through its buffer ... */
	out = memfd_create("out", MFD_CLOEXEC);
	ASSERT_LE(0, out);
	ASSERT_EQ(PIN_LEN, ring_rw_fixed(&ring, IORING_OP_WRITE_FIXED, out, iov.iov_base, PIN_LEN, 0));
	ASSERT_EQ(PIN_LEN, rpc_pread_full(out, buf, PIN_LEN, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf, PIN_LEN, 11, 0));
	/* ... and writes into it without touching the file */
	in = memfd_create("in", MFD_CLOEXEC);
	ASSERT_LE(0, in);
	rpc_fill_pattern(buf, PIN_LEN, 12, 0);
	ASSERT_EQ(PIN_LEN, rpc_pwrite_full(in, buf, PIN_LEN, 0));
	ASSERT_EQ(PIN_LEN, ring_rw_fixed(&ring, IORING_OP_READ_FIXED, in, iov.iov_base, PIN_LEN, 0));
	ASSERT_EQ(PIN_LEN, ring_rw_fixed(&ring, IORING_OP_WRITE_FIXED, out, iov.iov_base, PIN_LEN, 0));
	ASSERT_EQ(PIN_LEN, rpc_pread_full(out, buf, PIN_LEN, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf, PIN_LEN, 12, 0));
	EXPECT_EQ(-1, file_first_nonzero(self->fd, PIN_LEN));
	close(in);
	close(out);

	/* unpinned: by unregistering, and the ring's teardown (a worker) */
	EXPECT_EQ(0, syscall(__NR_io_uring_register, ring.fd, IORING_UNREGISTER_BUFFERS, NULL, 0));
	ring_exit(&ring);
	pinned_released(_metadata, self);
	free(buf);
}

/* ---- O_DIRECT through AIO on a loop device ---- */

#define DIO_LEN		(4 * MIB)
#define DIO_CHUNK	(256 * KIB)

static int loop_attach(const char *backing, char *dev, size_t dlen)
{
	struct loop_config cfg = { 0 };
	int ctl, n, lfd, bfd, r = 0;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -errno;
	snprintf(dev, dlen, "/dev/loop%d", n);
	lfd = open(dev, O_RDWR | O_CLOEXEC);
	bfd = open(backing, O_RDWR | O_CLOEXEC);
	if (lfd < 0 || bfd < 0)
		r = -errno;
	cfg.fd = bfd;
	cfg.block_size = 4096;
	if (!r && ioctl(lfd, LOOP_CONFIGURE, &cfg))
		r = -errno;
	if (bfd >= 0)
		close(bfd);
	if (lfd >= 0)
		close(lfd);
	return r;
}

static void loop_detach(const char *dev)
{
	int lfd = open(dev, O_RDWR | O_CLOEXEC);

	if (lfd >= 0) {
		ioctl(lfd, LOOP_CLR_FD, 0);
		close(lfd);
	}
}

/*
 * Holding the loop device's backing file: a write(2) to it whose source is
 * a mapping of another file of the mount, each page of which faults with
 * fault_delay_us, keeps the backing file's i_rwsem for HOG_PAGES faults;
 * the loop worker's writes to the backing file wait behind it.
 */
#define HOG_PAGES	150
#define HOG_DELAY_US	10000

struct hog {
	int fd;
	const char *src;
	off_t off;
	ssize_t ret;
	atomic_bool started;
};

static void *hog_write(void *arg)
{
	struct hog *h = arg;

	atomic_store(&h->started, true);
	h->ret = pwrite(h->fd, h->src, HOG_PAGES * ps, h->off);
	return NULL;
}

/*
 * Seed 001: direct I/O pins (FOLL_PIN) the file's folios at submission and
 * releases them at completion, here after the truncate (and from the
 * block layer's completion path).
 */
TEST_F_TIMEOUT(pin, odirect_aio_completes_into_truncated_folios, 180)
{
	const int n = DIO_LEN / DIO_CHUNK;
	char backing[PATH_MAX], src[PATH_MAX], dev[32], around[32] = "";
	struct iocb cbs[DIO_LEN / DIO_CHUNK], *cbp[DIO_LEN / DIO_CHUNK];
	struct io_event ev[DIO_LEN / DIO_CHUNK];
	aio_context_t ctx = 0;
	bool hold = rpc_is_module_fs();
	struct hog hog = { .fd = -1 };
	pthread_t ht;
	int dfd, got = 0, early;
	char *buf = NULL, *sm = MAP_FAILED;
	long r;

	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, DIO_LEN));
	/* the device: a file of the mount holding pattern 21 */
	rpc_path(backing, sizeof(backing), self->dir, "disk");
	rpc_fill_pattern(buf, DIO_LEN, 21, 0);
	ASSERT_EQ(0, rpc_write_file(backing, buf, DIO_LEN, 0600));
	r = loop_attach(backing, dev, sizeof(dev));
	if (r)
		SKIP(return, "loop device: %s", strerror(-r));
	dfd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, pinned_file(_metadata, self, DIO_LEN, 20));
	ASSERT_EQ(0, syscall(__NR_io_setup, n, &ctx));

	if (hold) {
		rpc_path(src, sizeof(src), self->dir, "slow-source");
		ASSERT_EQ(0, rpc_write_file(src, buf, HOG_PAGES * ps, 0600));
		hog.src = sm = mmap(NULL, HOG_PAGES * ps, PROT_READ, MAP_SHARED,
				    open(src, O_RDONLY | O_CLOEXEC), 0);
		ASSERT_NE(MAP_FAILED, sm);
		hog.fd = open(backing, O_WRONLY | O_CLOEXEC);
		hog.off = DIO_LEN;	/* beyond the device's end */
		ASSERT_LE(0, hog.fd);
		if (rpc_read_str(FAULT_AROUND, around, sizeof(around)) > 0)
			rpc_write_str(FAULT_AROUND, "4096\n");
		ASSERT_EQ(0, rpc_pc_set_knob(self->dir, "fault_delay_us", HOG_DELAY_US));
		ASSERT_EQ(0, pthread_create(&ht, NULL, hog_write, &hog));
		while (!atomic_load(&hog.started))
			usleep(1000);
		usleep(50 * 1000);
	}

	/*
	 * First half of the file's mapping: written to the device (the loop
	 * worker then waits for the backing file). Second half: read from the
	 * device into it.
	 */
	for (int i = 0; i < n; i++) {
		memset(&cbs[i], 0, sizeof(cbs[i]));
		cbs[i].aio_fildes = dfd;
		cbs[i].aio_lio_opcode = i < n / 2 ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cbs[i].aio_buf = (uintptr_t)(self->m + (size_t)i * DIO_CHUNK);
		cbs[i].aio_nbytes = DIO_CHUNK;
		cbs[i].aio_offset = (off_t)i * DIO_CHUNK;
		cbp[i] = &cbs[i];
	}
	ASSERT_EQ(n, syscall(__NR_io_submit, ctx, n, cbp)) TH_LOG("io_submit: %s", strerror(errno));
	pinned_truncate_unmap(_metadata, self, hold ? DIO_LEN / 2 : 0);
	early = syscall(__NR_io_getevents, ctx, 0, n, ev, &(struct timespec){ 0, 0 });
	TH_LOG("%d of %d direct I/Os had completed when the truncate returned", early, n);
	if (early > 0)
		got = early;
	if (hold) {
		int writes_done = 0;

		for (int i = 0; i < got; i++)
			writes_done += ev[i].obj < (uintptr_t)cbs || ev[i].obj >= (uintptr_t)&cbs[n / 2] ? 0 : 1;
		/* the writes were still pinning the truncated folios */
		EXPECT_EQ(0, writes_done) TH_LOG("the backing file was not held long enough");
		pthread_join(ht, NULL);
		EXPECT_EQ(HOG_PAGES * ps, hog.ret);
		ASSERT_EQ(0, rpc_pc_set_knob(self->dir, "fault_delay_us", 0));
		if (around[0])
			rpc_write_str(FAULT_AROUND, around);
		/* drop what the hold added, before counting the LRU */
		EXPECT_EQ(0, ftruncate(hog.fd, DIO_LEN));
		close(hog.fd);
		munmap(sm, HOG_PAGES * ps);
		EXPECT_EQ(0, unlink(src));
	}
	while (got < n) {
		r = syscall(__NR_io_getevents, ctx, 1, n - got, ev + got, NULL);
		ASSERT_LT(0, r);
		got += r;
	}
	for (int i = 0; i < n; i++)
		EXPECT_EQ(DIO_CHUNK, (long)ev[i].res);
	syscall(__NR_io_destroy, ctx);

	/* the device got the file's old data from the pinned folios */
	ASSERT_EQ(DIO_LEN / 2, rpc_pread_full(dfd, buf, DIO_LEN / 2, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf, DIO_LEN / 2, 20, 0));
	/* and the reads landed in folios that are no longer the file's */
	EXPECT_EQ(-1, file_first_nonzero(self->fd, DIO_LEN));
	close(dfd);
	loop_detach(dev);
	pinned_released(_metadata, self);
	free(buf);
}

/* ---- MSG_ZEROCOPY over loopback TCP ---- */

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		r = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			r = -errno;
	}
	close(s);
	return r;
}

/* Zerocopy completions received so far: highest id + 1 covered, or -errno. */
static long zc_completions(int s, long have)
{
	char control[128];
	struct msghdr msg = { .msg_control = control, .msg_controllen = sizeof(control) };

	while (recvmsg(s, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct sock_extended_err *e = (void *)CMSG_DATA(c);

			if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR)
				continue;
			if (e->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				return -EPROTO;
			if ((long)e->ee_data + 1 > have)
				have = e->ee_data + 1;
		}
		msg.msg_controllen = sizeof(control);
	}
	return errno == EAGAIN ? have : -errno;
}

/*
 * Seed 001: the skbs of a zerocopy send hold the file's pages; the last
 * reference goes when the receiver's ACK frees them, in softirq.
 */
TEST_F_TIMEOUT(pin, zerocopy_send_completes_after_truncate, 120)
{
	const size_t len = 8 * MIB, chunk = 64 * KIB;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	int lsn, snd, rcv, one = 1, small = 4096, big = 32 * MIB, outq = 0, r;
	long sends = 0, done_ids = 0;
	size_t sent = 0, got = 0;
	char *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	r = lo_up();
	if (r)
		SKIP(return, "loopback: %s", strerror(-r));
	ASSERT_EQ(0, pinned_file(_metadata, self, len, 30));
	lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, lsn);
	ASSERT_EQ(0, setsockopt(lsn, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, bind(lsn, (void *)&addr, sizeof(addr)));
	ASSERT_EQ(0, listen(lsn, 1));
	ASSERT_EQ(0, getsockname(lsn, (void *)&addr, &alen));
	snd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, snd);
	ASSERT_EQ(0, setsockopt(snd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)));
	if (setsockopt(snd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		SKIP(return, "SO_ZEROCOPY: %s", strerror(errno));
	ASSERT_EQ(0, connect(snd, (void *)&addr, sizeof(addr)));
	rcv = accept4(lsn, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, rcv);

	/* queue as much as the window and send buffer take, straight from the mapping */
	while (sent < len) {
		ssize_t n = send(snd, self->m + sent, len - sent < chunk ? len - sent : chunk,
				 MSG_ZEROCOPY | MSG_DONTWAIT);

		if (n < 0) {
			ASSERT_TRUE(errno == EAGAIN || errno == ENOBUFS) TH_LOG("send: %s", strerror(errno));
			break;
		}
		sent += n;
		sends++;
	}
	ASSERT_EQ(0, ioctl(snd, SIOCOUTQ, &outq));
	TH_LOG("%zu KiB sent in %ld zerocopy sends, %d KiB still queued (not acked)", sent / KIB, sends,
	       outq / KIB);
	ASSERT_LT(256 * KIB, outq) TH_LOG("the receive window did not hold the data back");
	/* the queued skbs reference the file's pages (whole pages: minus one at each end) */
	pinned_truncate_unmap(_metadata, self, outq - 2 * ps);

	/* the receiver drains: the ACKs free the skbs (softirq) */
	while (got < sent) {
		ssize_t n = recv(rcv, buf + got, sent - got, 0);

		ASSERT_LT(0, n) TH_LOG("recv: %s", n ? strerror(errno) : "EOF");
		got += n;
	}
	/* the receiver got the file's data as it was when sent */
	EXPECT_EQ(-1, rpc_check_pattern(buf, sent, 30, 0));
	for (int i = 0; i < 500 && done_ids < sends; i++) {
		struct pollfd pfd = { .fd = snd, .events = 0 };

		poll(&pfd, 1, 20);
		done_ids = zc_completions(snd, done_ids);
		ASSERT_LE(0, done_ids);
	}
	EXPECT_EQ(sends, done_ids) TH_LOG("zerocopy completions for %ld of %ld sends", done_ids, sends);
	close(snd);
	close(rcv);
	close(lsn);
	pinned_released(_metadata, self);
	free(buf);
}

TEST_HARNESS_MAIN
