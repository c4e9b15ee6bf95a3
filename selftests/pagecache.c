// SPDX-License-Identifier: GPL-2.0
/*
 * The page cache: concurrent readers against truncate/punch/rewrite, the
 * module's debugfs statistics, memory cgroup charging and the LRU,
 * size= and nr_inodes= exhaustion keeping data, sparse files and
 * SEEK_DATA/SEEK_HOLE, splice/sendfile/copy_file_range, a memory cgroup
 * limit without swap, fallocate modes, and the partial page / O_APPEND /
 * vectored I/O corner cases.
 *
 * rust_pagecache only (SKIP or not asserted on other filesystems):
 *  - /sys/kernel/debug/rust_pagecache/<major>:<minor>/{stats,remove_delay_us}
 *    (debugfs is mounted if needed): folios_cached, bytes_cached,
 *    folios_inserted, folios_removed, lookup_retries.
 *  - The folios are on the unevictable LRU: Unevictable in /proc/meminfo
 *    follows the data, and MemAvailable does not count it (tmpfs pages count
 *    as Shmem on the anon LRU instead; that is what is checked on tmpfs).
 *
 * Memory cgroups: cgroup2 (mounted at /sys/fs/cgroup if no cgroup2 is
 * mounted; +memory enabled in the root) or, where the memory controller is
 * bound to a v1 hierarchy (some hosts), a child of the current v1 memory
 * cgroup. SKIP if neither exists.
 *
 * tmpfs behaviour this encodes (checked on the host):
 *  - fallocate over pages that are all allocated already succeeds on a
 *    full filesystem; any fallocate that needs a new page fails with ENOSPC
 *    and changes neither the size nor st_blocks.
 *  - A shared mapping write fault on a hole of a full filesystem raises
 *    SIGBUS.
 *  - open(O_CREAT) of an existing name works when no inode is left;
 *    O_CREAT|O_EXCL then fails with EEXIST, not ENOSPC.
 *  - FALLOC_FL_ZERO_RANGE is EOPNOTSUPP on tmpfs (that part is skipped
 *    there; it must work on rust_pagecache).
 *  - pwrite(2) on an O_APPEND descriptor appends, whatever the offset.
 *  - Under a 16M memory cgroup limit without swap, writing 64 MiB to tmpfs
 *    gets the writer OOM-killed (SIGKILL, memory.events oom_kill).
 */
#include "rpc_util.h"
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "kselftest_harness.h"

#define KIB 1024
#define MIB (1024 * 1024)

#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* st_blocks of n pages */
static long long pages_blocks(long long n)
{
	return n * rpc_page_size() / 512;
}

static long long seek(int fd, off_t off, int whence)
{
	return E(lseek(fd, off, whence));
}

static ssize_t cfr(int in, loff_t *in_off, int out, loff_t *out_off, size_t len)
{
	return syscall(__NR_copy_file_range, in, in_off, out, out_off, len, 0);
}


FIXTURE(pc) {
	char dir[64];
	int dfd;
	struct rpc_memcg cg;
};

FIXTURE_SETUP(pc)
{
	int r;

	umask(0);
	r = rpc_mount_dir(self->dir, "", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(pc)
{
	if (rpc_is_module_fs())
		rpc_pc_set_remove_delay(self->dir, 0);
	rpc_memcg_destroy(&self->cg);
	rpc_umount(self->dir);
}

static int new_file(int dfd, const char *name)
{
	return openat(dfd, name, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
}

/* ---- concurrent readers vs truncate / punch / rewrite ---- */

#define RACE_LEN	(256 * KIB)
#define RACE_READERS	3
/* debugfs remove_delay_us: how long a removal waits in its frozen window for a racing reader */
#define RACE_DELAY_US	1000

/*
 * Generation g of the file is table[o + shift(g)] at offset o; table has no
 * zero bytes, so a zero is always a hole or truncated part.
 */
struct race {
	int fd;
	uint8_t *table;
	atomic_uint gen_started, gen_done;
	atomic_bool stop;
	atomic_long reads, bytes, zero_bytes, writer_errors;
	struct rpc_failure fail;
	uint64_t seed;
};

static size_t race_shift(unsigned int g)
{
	return (g * 4099UL) % RACE_LEN;
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void race_fail(struct race *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void race_fail(struct race *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rpc_failure_vset(&r->fail, &r->stop, fmt, ap);
	va_end(ap);
}

static int race_write_gen(struct race *r, unsigned int g, uint64_t *s)
{
	const uint8_t *src = r->table + race_shift(g);
	size_t done = 0;

	/* random chunks, so readers see partly rewritten files */
	while (done < RACE_LEN) {
		size_t l = 1 + xs(s) % (64 * KIB);
		ssize_t w;

		if (l > RACE_LEN - done)
			l = RACE_LEN - done;
		w = pwrite(r->fd, src + done, l, done);
		if (w <= 0)
			return -1;
		done += w;
	}
	return 0;
}

static void *race_writer(void *arg)
{
	struct race *r = arg;
	uint64_t s = r->seed | 1;
	long ps = rpc_page_size();

	for (unsigned int g = atomic_load(&r->gen_done) + 1; !atomic_load(&r->stop); g++) {
		size_t a = xs(&s) % RACE_LEN, l = 1 + xs(&s) % (RACE_LEN / 2);
		int err = 0;

		atomic_store(&r->gen_started, g);
		switch (g % 5) {
		case 0:		/* truncate into the middle of a page, rewrite */
			err = ftruncate(r->fd, a);
			break;
		case 1:		/* truncate to a page boundary */
			err = ftruncate(r->fd, a - a % ps);
			break;
		case 2:		/* punch an unaligned hole */
			err = fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, a, l);
			break;
		case 3:		/* empty it */
			err = ftruncate(r->fd, 0);
			break;
		case 4:		/* plain overwrite */
			break;
		}
		if (err || race_write_gen(r, g, &s)) {
			atomic_fetch_add(&r->writer_errors, 1);
			race_fail(r, "writer: generation %u step %u: %s", g, g % 5, strerror(errno));
			break;
		}
		atomic_store(&r->gen_done, g);
		/* quiet windows: reads then must match generation g exactly */
		if (g % 4 == 0)
			usleep(500);
	}
	return NULL;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint8_t *buf = malloc(RACE_LEN);
	uint64_t s = (uint64_t)(uintptr_t)buf ^ 0x9E3779B97F4A7C15ULL;

	if (!buf) {
		race_fail(r, "reader: out of memory");
		return NULL;
	}
	while (!atomic_load(&r->stop)) {
		size_t off = xs(&s) % RACE_LEN, len;
		unsigned int lo, hi;
		ssize_t got;

		/* mostly whole pages from a page boundary, sometimes odd ranges */
		if (xs(&s) % 4) {
			off -= off % 4096;
			len = RACE_LEN - off;
		} else {
			len = 1 + xs(&s) % (RACE_LEN - off);
		}
		lo = atomic_load(&r->gen_done);
		got = pread(r->fd, buf, len, off);
		hi = atomic_load(&r->gen_started);
		if (got < 0) {
			race_fail(r, "reader: pread at %zu: %s", off, strerror(errno));
			break;
		}
		if (hi == lo && (size_t)got != len) {
			race_fail(r, "reader: pread of %zu at %zu returned %zd with no writer active (generation %u)",
				  len, off, got, lo);
			break;
		}
		atomic_fetch_add(&r->reads, 1);
		atomic_fetch_add(&r->bytes, got);
		for (ssize_t i = 0; i < got; i++) {
			size_t o = off + i;
			bool ok = false;

			if (!buf[i] && hi != lo) {
				atomic_fetch_add(&r->zero_bytes, 1);
				continue;
			}
			for (unsigned int g = lo; g <= hi && !ok; g++)
				ok = buf[i] == r->table[o + race_shift(g)];
			if (!ok) {
				race_fail(r, "reader: byte at offset %zu is 0x%02x; generations %u..%u have 0x%02x..0x%02x there (read of %zu at %zu returned %zd)",
					  o, buf[i], lo, hi, r->table[o + race_shift(lo)],
					  r->table[o + race_shift(hi)], len, off, got);
				break;
			}
		}
	}
	free(buf);
	return NULL;
}

/*
 * Do the CPUs really run at the same time? A removal's frozen window is a
 * few hundred microseconds with interrupts off, so a lookup can only hit it
 * from another CPU running in parallel. Under QEMU's single-threaded TCG the
 * vCPUs take turns in slices of many milliseconds and no reader ever runs
 * during a window. Two threads pinned to CPUs 0 and 1 spin for 300 ms
 * each noting the longest stretch in which it saw the other make no
 * progress: parallel CPUs give microseconds, time-sliced ones milliseconds.
 * Returns that stretch in milliseconds (the larger of the two).
 */
struct par_probe {
	atomic_long count[2];
	double stall[2];
	int cpu;
};

static void *par_spin(void *arg)
{
	struct par_probe *p = arg;
	int me = __atomic_fetch_add(&p->cpu, 1, __ATOMIC_SEQ_CST) & 1;
	cpu_set_t set;
	double t0, last, t;
	long seen;

	CPU_ZERO(&set);
	CPU_SET(me, &set);
	sched_setaffinity(0, sizeof(set), &set);
	t0 = last = now_s();
	seen = atomic_load(&p->count[!me]);
	do {
		long c;

		atomic_fetch_add(&p->count[me], 1);
		t = now_s();
		c = atomic_load(&p->count[!me]);
		if (c != seen) {
			seen = c;
			last = t;
		} else if (t - last > p->stall[me]) {
			p->stall[me] = t - last;
		}
	} while (t - t0 < 0.3);
	return NULL;
}

static double cpu_parallelism_stall_ms(void)
{
	struct par_probe p = { 0 };
	pthread_t a, b;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 1e9;
	pthread_create(&a, NULL, par_spin, &p);
	pthread_create(&b, NULL, par_spin, &p);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 1000 * (p.stall[0] > p.stall[1] ? p.stall[0] : p.stall[1]);
}

TEST_F_TIMEOUT(pc, concurrent_read_vs_truncate_punch_rewrite, 120)
{
	const char *e = getenv("RPC_RACE_SECS");
	double secs = e && *e ? atof(e) : (rpc_is_module_fs() ? 8 : 3);
	bool mod = rpc_is_module_fs();
	struct rpc_pc_stats s0, s1;
	pthread_t w, rd[RACE_READERS];
	struct race *r = calloc(1, sizeof(*r));
	uint8_t *check = malloc(RACE_LEN + 1);
	double t0;
	int ret;

	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, check);
	r->table = malloc(2 * RACE_LEN);
	ASSERT_NE(NULL, r->table);
	rpc_failure_init(&r->fail);
	r->seed = 0x1234567;
	for (size_t i = 0; i < 2 * RACE_LEN; i++)
		r->table[i] = 1 + rpc_pattern_byte(5, i) % 255;
	r->fd = new_file(self->dfd, "race");
	ASSERT_LE(0, r->fd);
	atomic_store(&r->gen_started, 1);
	ASSERT_EQ(0, race_write_gen(r, 1, &r->seed));
	atomic_store(&r->gen_done, 1);

	if (mod) {
		char dir[PATH_MAX], p[PATH_MAX + 32], v[32];

		ret = rpc_pc_stats(self->dir, &s0);
		ASSERT_EQ(0, ret) TH_LOG("debugfs stats of %s: %s", self->dir, strerror(-ret));
		ret = rpc_pc_set_remove_delay(self->dir, RACE_DELAY_US);
		ASSERT_EQ(0, ret) TH_LOG("setting remove_delay_us: %s", strerror(-ret));
		ASSERT_EQ(0, rpc_pc_debugfs_dir(self->dir, dir, sizeof(dir)));
		snprintf(p, sizeof(p), "%s/remove_delay_us", dir);
		ASSERT_LT(0, rpc_read_str(p, v, sizeof(v)));
		EXPECT_EQ(RACE_DELAY_US, atol(v)) TH_LOG("remove_delay_us reads back '%s'", v);
	}

	ASSERT_EQ(0, pthread_create(&w, NULL, race_writer, r));
	for (int i = 0; i < RACE_READERS; i++)
		ASSERT_EQ(0, pthread_create(&rd[i], NULL, race_reader, r));
	t0 = now_s();
	for (;;) {
		double t = now_s() - t0;

		usleep(100000);
		if (atomic_load(&r->stop) || t >= 4 * secs)
			break;
		if (t < secs)
			continue;
		/* on rust_pagecache run on (up to 4x) until a lookup retried */
		if (!mod || (rpc_pc_stats(self->dir, &s1) == 0 &&
			     s1.lookup_retries > s0.lookup_retries))
			break;
	}
	atomic_store(&r->stop, true);
	pthread_join(w, NULL);
	for (int i = 0; i < RACE_READERS; i++)
		pthread_join(rd[i], NULL);
	TH_LOG("%.1f s: %u generations, %ld reads, %ld MiB read, %ld zero bytes",
	       now_s() - t0, atomic_load(&r->gen_done), atomic_load(&r->reads),
	       atomic_load(&r->bytes) / MIB, atomic_load(&r->zero_bytes));
	EXPECT_EQ(0, atomic_load(&r->fail.bad)) TH_LOG("%s", r->fail.msg);
	EXPECT_LT(10, (long)atomic_load(&r->gen_done));
	EXPECT_LT(10, (long)atomic_load(&r->reads));

	if (mod) {
		ASSERT_EQ(0, rpc_pc_stats(self->dir, &s1));
		TH_LOG("lookup_retries %lld -> %lld, folios_removed %lld -> %lld (frozen %lld -> %lld)",
		       s0.lookup_retries, s1.lookup_retries, s0.folios_removed, s1.folios_removed,
		       s0.folios_removed_frozen, s1.folios_removed_frozen);
		if (s1.lookup_retries == s0.lookup_retries) {
			long cpus = sysconf(_SC_NPROCESSORS_ONLN);
			double stall = cpu_parallelism_stall_ms();

			if (cpus < 2)
				TH_LOG("no lookup retried; only %ld CPU online, so no reader can run during a frozen window",
				       cpus);
			else
				TH_LOG("no lookup retried; longest time one CPU saw the other stand still: %.1f ms",
				       stall);
			/*
			 * Only CPUs that run in parallel can race a frozen window;
			 * on time-sliced vCPUs the retry path is proven by the loom
			 * model (tools/lookup-model) instead.
			 */
			EXPECT_LT(5.0, stall)
				TH_LOG("CPUs run in parallel, yet no lockless lookup retried although remove_delay_us=%d",
				       RACE_DELAY_US);
		}
		EXPECT_LT(s0.folios_removed, s1.folios_removed);
		EXPECT_EQ(0, rpc_pc_set_remove_delay(self->dir, 0));
	}

	/* the last complete generation is what the file holds now */
	if (!atomic_load(&r->fail.bad) && !atomic_load(&r->writer_errors)) {
		unsigned int g = atomic_load(&r->gen_done);

		ASSERT_EQ(RACE_LEN, rpc_pread_full(r->fd, check, RACE_LEN + 1, 0));
		EXPECT_EQ(0, memcmp(check, r->table + race_shift(g), RACE_LEN))
			TH_LOG("file differs from generation %u", g);
	}
	close(r->fd);
	free(r->table);
	free(r);
	free(check);
}

/* ---- debugfs statistics ---- */

#define EXPECT_STAT(field, base, delta) \
	EXPECT_EQ((base).field + (delta), now.field) \
		TH_LOG("%s: %lld, expected %lld + %lld", #field, now.field, (base).field, (long long)(delta))

TEST_F(pc, stats_follow_pages)
{
	long ps = rpc_page_size();
	const int K = 37;
	struct rpc_pc_stats s0, s1, now;
	char *buf = malloc(64 * ps);
	int fd, ret;

	ASSERT_NE(NULL, buf);
	if (!rpc_is_module_fs())
		SKIP(return, "debugfs statistics are rust_pagecache only");
	ret = rpc_pc_stats(self->dir, &s0);
	ASSERT_EQ(0, ret) TH_LOG("debugfs stats of %s: %s", self->dir, strerror(-ret));
	EXPECT_EQ(0, s0.folios_cached);
	EXPECT_EQ(0, s0.bytes_cached);

	/* K pages */
	rpc_fill_pattern(buf, K * ps, 40, 0);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(K * ps, rpc_pwrite_full(fd, buf, K * ps, 0));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, K);
	EXPECT_STAT(bytes_cached, s0, (long long)K * ps);
	EXPECT_LE(s0.folios_inserted + K, now.folios_inserted);
	EXPECT_EQ(pages_blocks(K), rpc_file_blocks(fd));
	s1 = now;

	/* overwriting and reading cached pages adds nothing */
	ASSERT_EQ(K * ps, rpc_pwrite_full(fd, buf, K * ps, 0));
	memset(buf, 0, K * ps);
	ASSERT_EQ(K * ps, rpc_pread_full(fd, buf, K * ps, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf, K * ps, 40, 0));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s1, 0);
	EXPECT_STAT(folios_inserted, s1, 0);

	/* truncate to 10 pages + 100 bytes keeps 11 */
	ASSERT_EQ(0, ftruncate(fd, 10 * ps + 100));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, 11);
	EXPECT_STAT(bytes_cached, s0, 11LL * ps);
	EXPECT_LE(s1.folios_removed + K - 11, now.folios_removed);
	EXPECT_EQ(pages_blocks(11), rpc_file_blocks(fd));

	/* punching pages 2..4 removes 3 */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * ps, 3 * ps));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, 8);
	EXPECT_EQ(pages_blocks(8), rpc_file_blocks(fd));

	/* fallocated pages are in the cache too: 5 beyond EOF */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 20 * ps, 5 * ps));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, 13);
	EXPECT_EQ(10 * ps + 100, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(13), rpc_file_blocks(fd));

	/* the data left is intact */
	memset(buf, 0x5a, 11 * ps);
	ASSERT_EQ(10 * ps + 100, rpc_pread_full(fd, buf, 11 * ps, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf, 2 * ps, 40, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(buf + 2 * ps, 3 * ps));
	EXPECT_EQ(-1, rpc_check_pattern(buf + 5 * ps, 5 * ps + 100, 40, 5 * ps));
	close(fd);

	/* unlink gives everything back */
	s1 = now;
	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, 0);
	EXPECT_STAT(bytes_cached, s0, 0);
	EXPECT_LE(s1.folios_removed + 13, now.folios_removed);

	/* an unlinked file keeps its pages until the last close */
	fd = new_file(self->dfd, "g");
	ASSERT_LE(0, fd);
	ASSERT_EQ(8 * ps, rpc_pwrite_full(fd, buf, 8 * ps, 0));
	ASSERT_EQ(0, unlinkat(self->dfd, "g", 0));
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, 8);
	memset(buf + 8 * ps, 0, 8 * ps);
	ASSERT_EQ(8 * ps, rpc_pread_full(fd, buf + 8 * ps, 8 * ps, 0));
	EXPECT_EQ(0, memcmp(buf, buf + 8 * ps, 8 * ps));
	close(fd);
	ASSERT_EQ(0, rpc_pc_stats(self->dir, &now));
	EXPECT_STAT(folios_cached, s0, 0);
	EXPECT_STAT(bytes_cached, s0, 0);
	EXPECT_EQ(now.folios_inserted - now.folios_removed, now.folios_cached);
	free(buf);
}

/* ---- memory cgroup charge and the LRU ---- */

TEST_F_TIMEOUT(pc, memcg_charge_and_lru, 120)
{
	const long long len = 16 * MIB, slack = 2 * MIB;
	long long f0, f1, f2, l0, l1, l2;
	char why[512], p[PATH_MAX];
	char *buf = malloc(len);
	int r;

	ASSERT_NE(NULL, buf);
	r = rpc_memcg_create(&self->cg, why, sizeof(why));
	if (r)
		SKIP(return, "%s", why);
	TH_LOG("memory cgroup v%d %s", self->cg.v, self->cg.path);
	rpc_path(p, sizeof(p), self->dir, "big");
	f0 = rpc_memcg_stat(&self->cg, "file");
	l0 = rpc_cache_kb();
	ASSERT_LE(0, f0);
	ASSERT_LE(0, l0);

	r = rpc_memcg_write_file(&self->cg, p, len, 50);
	ASSERT_EQ(0, r) TH_LOG("writer in the cgroup ended with %d", r);
	f1 = rpc_memcg_stat(&self->cg, "file");
	l1 = rpc_cache_kb();
	TH_LOG("cgroup file %lld -> %lld bytes; %s %lld -> %lld kB", f0, f1,
	       rpc_cache_kb_name(), l0, l1);
	/* the cgroup is charged for the data */
	EXPECT_LE(len - slack, f1 - f0);
	EXPECT_GE(len + slack, f1 - f0);
	/* and the folios are on the unevictable LRU (tmpfs: in Shmem) */
	EXPECT_LE((len - len / 4) / KIB, l1 - l0);
	EXPECT_GE((len + len / 4) / KIB, l1 - l0);
	if (rpc_is_module_fs()) {
		long long sh = rpc_memcg_stat(&self->cg, "shmem");

		/* they are not shmem pages */
		if (sh >= 0) {
			EXPECT_GE(slack, sh) TH_LOG("cgroup shmem %lld", sh);
		}
	}

	ASSERT_EQ(len, rpc_read_file(p, buf, len));
	EXPECT_EQ(-1, rpc_check_pattern(buf, len, 50, 0));

	/* unlink uncharges and takes them off the LRU */
	ASSERT_EQ(0, unlink(p));
	f2 = rpc_memcg_stat(&self->cg, "file");
	l2 = rpc_cache_kb();
	TH_LOG("after unlink: cgroup file %lld bytes, %lld kB", f2, l2);
	EXPECT_GE(slack, f2 - f0);
	EXPECT_LE((len - len / 4) / KIB, l1 - l2);
	EXPECT_GE((len + len / 4) / KIB, l1 - l2);
	EXPECT_EQ(0, rpc_memcg_destroy(&self->cg));
	free(buf);
}

/* ---- a memory limit without swap ---- */

TEST_F_TIMEOUT(pc, memcg_limit_without_swap_fails_or_oom_kills, 200)
{
	const long long limit = 16 * MIB, want = 64 * MIB;
	const double max_wait = 120;
	long long oom0, oom1, cur;
	char why[512], p[PATH_MAX];
	char *keep = malloc(MIB), *rd = malloc(MIB);
	struct stat st;
	int status, r, fd;
	double t0;
	pid_t pid, w;

	ASSERT_NE(NULL, keep);
	ASSERT_NE(NULL, rd);
	/* written outside the cgroup before; must survive */
	rpc_fill_pattern(keep, MIB, 60, 0);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "keep", keep, MIB, 0644));

	r = rpc_memcg_create(&self->cg, why, sizeof(why));
	if (r)
		SKIP(return, "%s", why);
	TH_LOG("memory cgroup v%d %s", self->cg.v, self->cg.path);
	r = rpc_memcg_set_limit(&self->cg, limit);
	ASSERT_EQ(0, r) TH_LOG("setting the limit: %s", strerror(-r));
	oom0 = rpc_memcg_oom_kills(&self->cg);
	rpc_path(p, sizeof(p), self->dir, "big");

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *buf = malloc(MIB);

		if (!buf || rpc_memcg_enter(&self->cg, 0))
			_exit(2);
		fd = open(p, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			_exit(3);
		for (long long off = 0; off < want;) {
			ssize_t n;

			rpc_fill_pattern(buf, MIB, 61, off);
			n = write(fd, buf, MIB);
			if (n < 0)
				_exit(errno < 100 ? 100 + errno : 5);
			off += n;
		}
		_exit(0);
	}
	t0 = now_s();
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_s() - t0 < max_wait)
		usleep(50000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ASSERT_NE(0, w) TH_LOG("the writer neither failed nor was killed within %.0f s", max_wait);
	ASSERT_EQ(pid, w);
	oom1 = rpc_memcg_oom_kills(&self->cg);
	TH_LOG("writer: %s %d after %.1f s; oom_kill %lld -> %lld",
	       WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
	       now_s() - t0, oom0, oom1);
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
		EXPECT_LT(oom0, oom1) TH_LOG("killed, but not by the OOM killer");
	} else {
		int code = WEXITSTATUS(status);

		EXPECT_NE(0, code) TH_LOG("wrote %lld MiB under a %lld MiB limit", want / MIB, limit / MIB);
		EXPECT_TRUE(code == 100 + ENOMEM || code == 100 + ENOSPC)
			TH_LOG("writer exit code %d (100 + errno %d: %s)", code, code - 100,
			       code > 100 ? strerror(code - 100) : "-");
	}

	/* whatever was written is charged, so it fits the limit */
	ASSERT_EQ(0, stat(p, &st));
	TH_LOG("big file: size %lld, %lld bytes allocated", (long long)st.st_size,
	       (long long)st.st_blocks * 512);
	EXPECT_GE(limit, (long long)st.st_blocks * 512);
	ASSERT_EQ(MIB, rpc_read_filef(self->dir, "keep", rd, MIB));
	EXPECT_EQ(0, memcmp(keep, rd, MIB)) TH_LOG("the file written before was damaged");

	ASSERT_EQ(0, unlink(p));
	cur = rpc_memcg_current(&self->cg);
	TH_LOG("cgroup memory after unlink: %lld bytes", cur);
	EXPECT_GE(4 * MIB, cur);
	EXPECT_EQ(0, rpc_memcg_destroy(&self->cg));
	/* the filesystem works normally afterwards */
	ASSERT_EQ(0, rpc_write_filef(self->dir, "after", keep, MIB, 0644));
	ASSERT_EQ(MIB, rpc_read_filef(self->dir, "after", rd, MIB));
	EXPECT_EQ(0, memcmp(keep, rd, MIB));
	free(keep);
	free(rd);
}

/*
 * Kernel users that read a file's page with read_mapping_folio() (uprobes
 * on a binary stored here, drivers), played by selftests/kmod's test
 * driver (review defect 6: without read_folio they failed). Data pages come
 * back as written; a hole is adopted as a zeroed page of the file (charged
 * like a fault's); a fallocated page reads as zeros; beyond EOF is EINVAL,
 * as shmem_read_folio() says. tmpfs has no read_folio (its users call
 * shmem_read_folio()), so this runs on rust_pagecache only.
 */
static uint64_t page_hash(uint32_t seed, off_t off, long ps, bool zero)
{
	char *b = calloc(1, ps);
	uint64_t h;

	if (!zero)
		rpc_fill_pattern(b, ps, seed, off);
	h = rpc_fnv1a(RPC_FNV_INIT, b, ps);
	free(b);
	return h;
}

/*
 * Can read_mapping_folio() be tested here? 0: yes; 1: no, *why says why
 * (tmpfs, or no test driver); -errno: loading the driver failed.
 */
static int rmf_ready(const char **why)
{
	int r;

	*why = "tmpfs has no read_folio (its users call shmem_read_folio)";
	if (!rpc_is_module_fs())
		return 1;
	*why = "no test driver (RPC_TEST_KO)";
	r = rpc_test_driver_load();
	return r == -ENOENT ? 1 : r;
}

TEST_F(pc, read_mapping_folio_reads_data_adopts_holes)
{
	const long ps = rpc_page_size();
	const char *why;
	char p[PATH_MAX], *buf = malloc(ps);
	int fd, r, up = -1;
	uint64_t h = 0;

	ASSERT_NE(NULL, buf);
	r = rmf_ready(&why);
	if (r > 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, r) TH_LOG("loading the test driver: %s", strerror(-r));
	rpc_path(p, sizeof(p), self->dir, "f");
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	for (int i = 0; i < 2; i++) {
		rpc_fill_pattern(buf, ps, 95, i * ps);
		ASSERT_EQ(ps, pwrite(fd, buf, ps, i * ps));
	}
	ASSERT_EQ(0, ftruncate(fd, 8 * ps));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 5 * ps, ps));
	EXPECT_EQ(pages_blocks(3), rpc_file_blocks(fd));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, rpc_read_mapping_folio(p, i, &up, &h));
		EXPECT_EQ(1, up);
		EXPECT_EQ(page_hash(95, i * ps, ps, false), h) TH_LOG("page %d", i);
	}
	/* a hole becomes a zeroed page of the file */
	ASSERT_EQ(0, rpc_read_mapping_folio(p, 3, &up, &h));
	EXPECT_EQ(1, up);
	EXPECT_EQ(page_hash(0, 0, ps, true), h);
	EXPECT_EQ(pages_blocks(4), rpc_file_blocks(fd));
	ASSERT_EQ(ps, pread(fd, buf, ps, 3 * ps));
	EXPECT_EQ(-1, rpc_first_nonzero(buf, ps));
	/* a fallocated page: zeros */
	ASSERT_EQ(0, rpc_read_mapping_folio(p, 5, &up, &h));
	EXPECT_EQ(page_hash(0, 0, ps, true), h);
	EXPECT_EQ(pages_blocks(4), rpc_file_blocks(fd));
	/* beyond EOF: EINVAL, nothing added */
	EXPECT_EQ(-EINVAL, rpc_read_mapping_folio(p, 100, &up, &h));
	EXPECT_EQ(pages_blocks(4), rpc_file_blocks(fd));
	EXPECT_EQ(8 * ps, rpc_file_size(fd));
	/* writes after it land in the same page */
	ASSERT_EQ(1, pwrite(fd, "z", 1, 3 * ps + 9));
	ASSERT_EQ(0, rpc_read_mapping_folio(p, 3, &up, &h));
	memset(buf, 0, ps);
	buf[9] = 'z';
	EXPECT_EQ(rpc_fnv1a(RPC_FNV_INIT, buf, ps), h);
	close(fd);
	free(buf);
}

/* ---- size= exhaustion keeps data; fallocate ---- */

FIXTURE(small) {
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(small)
{
	int r;

	umask(0);
	r = rpc_mount_dir(self->dir, "size=1m,nr_inodes=8", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(small)
{
	rpc_umount(self->dir);
}

/* Does name hold exactly len bytes of pattern seed? */
static bool holds_pattern(int dfd, const char *name, size_t len, uint32_t seed)
{
	char *buf = malloc(len + 1);
	bool ok = false;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && buf)
		ok = rpc_pread_full(fd, buf, len + 1, 0) == (ssize_t)len &&
		     rpc_check_pattern(buf, len, seed, 0) < 0;
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

TEST_F(small, enospc_keeps_data_and_fallocate_changes_nothing)
{
	long ps = rpc_page_size();
	const size_t keep_len = 64 * KIB, chunk = 5000;
	char *buf = malloc(chunk);
	long long total = 0, size, blocks;
	struct rpc_sfs s;
	int fd, fa;
	ssize_t r;

	ASSERT_NE(NULL, buf);
	rpc_fill_pattern(buf, chunk, 70, 0);
	{
		char *k = malloc(keep_len);

		ASSERT_NE(NULL, k);
		rpc_fill_pattern(k, keep_len, 71, 0);
		ASSERT_EQ(0, rpc_write_filef(self->dir, "keep", k, keep_len, 0644));
		free(k);
	}
	fd = openat(self->dfd, "fill", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	for (;;) {
		rpc_fill_pattern(buf, chunk, 72, total);
		r = write(fd, buf, chunk);
		if (r <= 0)
			break;
		total += r;
		ASSERT_GE(2 * MIB, total);
	}
	EXPECT_EQ(-1, r);
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(MIB - (long long)keep_len, total);
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(0, s.f_bfree);
	EXPECT_EQ(0, s.f_bavail);
	EXPECT_TRUE(holds_pattern(self->dfd, "fill", total, 72));
	EXPECT_TRUE(holds_pattern(self->dfd, "keep", keep_len, 71));

	size = rpc_file_size(fd);
	blocks = rpc_file_blocks(fd);
	EXPECT_EQ(total, size);
	/* fallocate needing new pages: ENOSPC, nothing changes */
	EXPECT_EQ(-ENOSPC, E(fallocate(fd, 0, size, 64 * KIB)));
	EXPECT_EQ(-ENOSPC, E(fallocate(fd, FALLOC_FL_KEEP_SIZE, size + 8 * ps, ps)));
	EXPECT_EQ(-ENOSPC, E(fallocate(fd, 0, 0, 2 * MIB)));
	EXPECT_EQ(size, rpc_file_size(fd));
	EXPECT_EQ(blocks, rpc_file_blocks(fd));
	fa = new_file(self->dfd, "fa");
	ASSERT_LE(0, fa);
	EXPECT_EQ(-ENOSPC, E(fallocate(fa, 0, 0, 2 * ps)));
	EXPECT_EQ(0, rpc_file_size(fa));
	EXPECT_EQ(0, rpc_file_blocks(fa));
	/* over pages that all exist, it needs nothing and works */
	EXPECT_EQ(0, E(fallocate(fd, 0, 0, size - size % ps)));
	EXPECT_EQ(0, E(fallocate(fd, FALLOC_FL_KEEP_SIZE, ps, 2 * ps)));
	EXPECT_EQ(size, rpc_file_size(fd));
	EXPECT_EQ(blocks, rpc_file_blocks(fd));
	EXPECT_TRUE(holds_pattern(self->dfd, "fill", total, 72));
	/* a shared write fault on a hole cannot get a page: SIGBUS */
	ASSERT_EQ(0, ftruncate(fa, 4 * ps));
	EXPECT_EQ(SIGBUS, rpc_fault_in_child(fa, 2 * ps, true));
	EXPECT_EQ(0, rpc_file_blocks(fa));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(0, s.f_bfree);

	/* punching 16 pages frees 16 pages, usable by another file */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 32 * ps, 16 * ps));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(16, s.f_bfree);
	EXPECT_EQ(size, rpc_file_size(fd));
	EXPECT_EQ(0, fallocate(fa, 0, 0, 16 * ps)) TH_LOG("fallocate: %s", strerror(errno));
	EXPECT_EQ(16 * ps, rpc_file_size(fa));
	EXPECT_EQ(pages_blocks(16), rpc_file_blocks(fa));
	EXPECT_EQ(-ENOSPC, E(pwrite(fa, "x", 1, 16 * ps)));
	EXPECT_EQ(1, pwrite(fa, "x", 1, 15 * ps));
	close(fa);
	close(fd);

	/* unlink gives it all back */
	ASSERT_EQ(0, unlinkat(self->dfd, "fill", 0));
	ASSERT_EQ(0, unlinkat(self->dfd, "fa", 0));
	ASSERT_EQ(0, rpc_statfs(self->dir, &s));
	EXPECT_EQ(s.f_blocks - (long long)(keep_len / ps), s.f_bfree);
	EXPECT_TRUE(holds_pattern(self->dfd, "keep", keep_len, 71));
	EXPECT_EQ(0, rpc_write_filef(self->dir, "again", buf, chunk, 0644));
	free(buf);
}

/*
 * A failed fallocate keeps what a mapping wrote meanwhile (review defect
 * 1). size=8m, a sparse 64 MiB file mapped shared; a thread watches
 * statfs and, as soon as fallocate(0, 64 MiB) has allocated page 1000,
 * writes a byte into that page through the mapping. fallocate then runs out
 * of space and undoes its pages: it must not take the written page with
 * them (before the fix the byte read back as 0). tmpfs behaves the same.
 * The race is tried until the write lands while fallocate still runs.
 */
struct falloc_race {
	int fd;
	volatile char *m;
	long ps;
	atomic_bool falloc_done, wrote, wrote_during;
};

static void *write_when_allocated(void *arg)
{
	struct falloc_race *r = arg;
	struct statfs st;

	/* statfs's used blocks follow fallocate page by page (tmpfs's st_blocks does not) */
	while (!atomic_load(&r->falloc_done)) {
		if (fstatfs(r->fd, &st) == 0 && (long long)(st.f_blocks - st.f_bfree) > 1000) {
			r->m[1000 * r->ps + 7] = 'x';
			atomic_store(&r->wrote_during, !atomic_load(&r->falloc_done));
			atomic_store(&r->wrote, true);
			return NULL;
		}
	}
	return NULL;
}

FIXTURE(falloc) {
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(falloc)
{
	int r = rpc_mount_dir(self->dir, "size=8m", &self->dfd);

	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(falloc)
{
	rpc_umount(self->dir);
}

TEST_F_TIMEOUT(falloc, failed_fallocate_keeps_what_a_mapping_wrote, 120)
{
	const long ps = rpc_page_size();
	const size_t len = 64 * MIB;
	const int dfd = self->dfd;
	int hits = 0, tries = 0;

	while (tries < 20 && hits < 3) {
		struct falloc_race fr = { .ps = ps };
		pthread_t t;
		char c = 0;
		int e;

		tries++;
		fr.fd = new_file(dfd, "f");
		ASSERT_LE(0, fr.fd);
		ASSERT_EQ(0, ftruncate(fr.fd, len));
		fr.m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fr.fd, 0);
		ASSERT_NE(MAP_FAILED, fr.m);
		ASSERT_EQ(0, pthread_create(&t, NULL, write_when_allocated, &fr));
		e = E(fallocate(fr.fd, 0, 0, len));
		atomic_store(&fr.falloc_done, true);
		pthread_join(t, NULL);
		EXPECT_EQ(-ENOSPC, e);
		if (atomic_load(&fr.wrote)) {
			ASSERT_EQ(1, pread(fr.fd, &c, 1, 1000 * ps + 7));
			EXPECT_EQ('x', c) TH_LOG("try %d: the byte the mapping wrote into a page "
						 "fallocate had added is gone (%s)", tries,
						 atomic_load(&fr.wrote_during) ?
						 "written while fallocate ran" : "written after");
			EXPECT_EQ('x', fr.m[1000 * ps + 7]);
			hits += atomic_load(&fr.wrote_during);
			/* the rest of what fallocate added is gone again */
			EXPECT_EQ(ps / 512, rpc_file_blocks(fr.fd));
		}
		EXPECT_EQ((long long)len, rpc_file_size(fr.fd));
		munmap((void *)fr.m, len);
		close(fr.fd);
		ASSERT_EQ(0, unlinkat(dfd, "f", 0));
		if (_metadata->exit_code)
			break;
	}
	TH_LOG("%d of %d tries wrote while fallocate was still running", hits, tries);
	EXPECT_LT(0, hits) TH_LOG("the write never landed inside fallocate: the race was not tested");
}

/*
 * The filesystem's data is not available memory (review defect 3):
 * storing 256 MiB lowers MemAvailable by about as much, as on tmpfs
 * (without swap neither can give it back). Before, the folios sat on the
 * file LRU and MemAvailable fell by 40 MiB; unlink gives it back.
 */
TEST_F_TIMEOUT(pc, stored_data_is_not_available_memory, 120)
{
	const long long len = 256 * MIB;
	long long a0, a1, a2, c0, c1, c2;
	char p[PATH_MAX];
	char *buf = malloc(MIB);
	int fd;

	ASSERT_NE(NULL, buf);
	rpc_path(p, sizeof(p), self->dir, "big");
	ASSERT_EQ(0, rpc_drop_caches());
	a0 = rpc_meminfo_kb("MemAvailable");
	c0 = rpc_cache_kb();
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	for (long long off = 0; off < len; off += MIB) {
		rpc_fill_pattern(buf, MIB, 80, off);
		ASSERT_EQ(MIB, rpc_pwrite_full(fd, buf, MIB, off));
	}
	close(fd);
	a1 = rpc_meminfo_kb("MemAvailable");
	c1 = rpc_cache_kb();
	TH_LOG("MemAvailable %lld -> %lld kB after storing %lld MiB; %s %lld -> %lld kB",
	       a0, a1, len / MIB, rpc_cache_kb_name(), c0, c1);
	/*
	 * MemAvailable moves with everything else the VM frees meanwhile
	 * (deferred frees of the test before, per-cpu lists): CI saw it fall
	 * by 223 MiB for 256 stored. The defect let it fall by 40 MiB, so
	 * half the data is the line; the cache counter below is exact.
	 */
	EXPECT_LE(len / 2 / KIB, a0 - a1) TH_LOG("the stored data passes for available memory");
	EXPECT_LE((len - len / 8) / KIB, c1 - c0);
	ASSERT_EQ(0, unlink(p));
	a2 = rpc_meminfo_kb("MemAvailable");
	c2 = rpc_cache_kb();
	TH_LOG("after unlink: MemAvailable %lld kB, %s %lld kB", a2, rpc_cache_kb_name(), c2);
	/* the data is freed, and is available again */
	EXPECT_GE(len / 8 / KIB, c2 - c0);
	EXPECT_LE(len / 2 / KIB, a2 - a1);
	free(buf);
}

/* read_mapping_folio() of a hole on a full filesystem: ENOSPC, no change */
TEST_F(small, read_mapping_folio_of_a_hole_when_full_is_enospc)
{
	const long ps = rpc_page_size();
	const char *why;
	char p[PATH_MAX];
	int fd, r, up;
	uint64_t h;

	r = rmf_ready(&why);
	if (r > 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, r) TH_LOG("loading the test driver: %s", strerror(-r));
	rpc_path(p, sizeof(p), self->dir, "full");
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	/* size=1m: all 256 pages, then one hole beyond them */
	ASSERT_EQ(0, fallocate(fd, 0, 0, MIB));
	ASSERT_EQ(0, ftruncate(fd, MIB + 4 * ps));
	EXPECT_EQ(-ENOSPC, rpc_read_mapping_folio(p, MIB / ps + 1, &up, &h));
	EXPECT_EQ(pages_blocks(MIB / ps), rpc_file_blocks(fd));
	/* nothing stayed behind: the hole reads zeros, SEEK_DATA skips it */
	EXPECT_EQ(-ENXIO, E(lseek(fd, MIB, SEEK_DATA)));
	ASSERT_EQ(0, ftruncate(fd, 0));
	EXPECT_EQ(-EINVAL, rpc_read_mapping_folio(p, 0, &up, &h)) TH_LOG("page 0 of an empty file");
	close(fd);
}

TEST_F(small, nr_inodes_exhaustion_keeps_data)
{
	char name[32], *big;
	int n, fd;

	/* nr_inodes=8: the root takes one */
	for (n = 0; n < 20; n++) {
		char *b = malloc(n * 1000 + 1);

		ASSERT_NE(NULL, b);
		snprintf(name, sizeof(name), "f%d", n);
		rpc_fill_pattern(b, n * 1000, 80 + n, 0);
		fd = openat(self->dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0) {
			EXPECT_EQ(ENOSPC, errno);
			free(b);
			break;
		}
		EXPECT_EQ(n * 1000, rpc_pwrite_full(fd, b, n * 1000, 0));
		close(fd);
		free(b);
	}
	EXPECT_EQ(7, n);
	EXPECT_EQ(-ENOENT, E(faccessat(self->dfd, name, F_OK, 0)));
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		EXPECT_TRUE(holds_pattern(self->dfd, name, i * 1000, 80 + i)) TH_LOG("%s", name);
	}
	/* existing names need no inode */
	fd = openat(self->dfd, "f3", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	EXPECT_LE(0, fd) TH_LOG("O_CREAT of an existing file when full: %s", strerror(errno));
	if (fd >= 0) {
		EXPECT_EQ(3000, rpc_file_size(fd));
		close(fd);
	}
	EXPECT_EQ(-EEXIST, E(openat(self->dfd, "f3", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644)));
	EXPECT_TRUE(holds_pattern(self->dfd, "f3", 3000, 83));
	/* and data can still grow */
	big = malloc(100 * KIB);
	ASSERT_NE(NULL, big);
	rpc_fill_pattern(big, 100 * KIB, 90, 0);
	EXPECT_EQ(0, rpc_write_filef(self->dir, "f2", big, 100 * KIB, 0644));
	EXPECT_TRUE(holds_pattern(self->dfd, "f2", 100 * KIB, 90));
	free(big);
	fd = openat(self->dfd, "f5", O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, rpc_file_size(fd));
	close(fd);
	/* one unlink, one more create */
	ASSERT_EQ(0, unlinkat(self->dfd, "f6", 0));
	EXPECT_EQ(0, rpc_write_filef(self->dir, "new", "new", 3, 0644));
	EXPECT_EQ(-ENOSPC, rpc_write_filef(self->dir, "new2", "x", 1, 0644));
	EXPECT_TRUE(holds_pattern(self->dfd, "f4", 4000, 84));
}

/* ---- sparse files and SEEK_DATA / SEEK_HOLE ---- */

TEST_F(pc, sparse_file_seek_data_and_hole)
{
	long ps = rpc_page_size();
	const off_t far = 10 * MIB + 50, mid = 4 * MIB;
	long long size;
	char *buf = malloc(far + 200);
	int fd;

	ASSERT_NE(NULL, buf);
	fd = new_file(self->dfd, "sparse");
	ASSERT_LE(0, fd);
	rpc_fill_pattern(buf, 100, 100, 0);
	ASSERT_EQ(100, pwrite(fd, buf, 100, 0));
	rpc_fill_pattern(buf, 100, 101, far);
	ASSERT_EQ(100, pwrite(fd, buf, 100, far));
	size = far + 100;
	EXPECT_EQ(size, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(2), rpc_file_blocks(fd));

	EXPECT_EQ(0, seek(fd, 0, SEEK_DATA));
	EXPECT_EQ(ps, seek(fd, 0, SEEK_HOLE));
	EXPECT_EQ(1, seek(fd, 1, SEEK_DATA));
	EXPECT_EQ(99, seek(fd, 99, SEEK_DATA));
	EXPECT_EQ(ps, seek(fd, 99, SEEK_HOLE));
	EXPECT_EQ(10 * MIB, seek(fd, ps, SEEK_DATA));
	EXPECT_EQ(10 * MIB, seek(fd, 5 * MIB + 3, SEEK_DATA));
	EXPECT_EQ(ps + 7, seek(fd, ps + 7, SEEK_HOLE));
	EXPECT_EQ(size, seek(fd, 10 * MIB, SEEK_HOLE));
	EXPECT_EQ(size, seek(fd, far + 10, SEEK_HOLE));
	EXPECT_EQ(size - 1, seek(fd, size - 1, SEEK_DATA));
	EXPECT_EQ(-ENXIO, seek(fd, size, SEEK_DATA));
	EXPECT_EQ(-ENXIO, seek(fd, size, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, size + 5 * MIB, SEEK_DATA));

	/* three more pages in the middle, then punch the second */
	ASSERT_EQ(3 * ps, rpc_pwrite_full(fd, buf, 3 * ps, mid));
	EXPECT_EQ(mid, seek(fd, ps, SEEK_DATA));
	EXPECT_EQ(mid + 3 * ps, seek(fd, mid, SEEK_HOLE));
	EXPECT_EQ(pages_blocks(5), rpc_file_blocks(fd));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, mid + ps, ps));
	EXPECT_EQ(mid + ps, seek(fd, mid, SEEK_HOLE));
	EXPECT_EQ(mid + 2 * ps, seek(fd, mid + ps, SEEK_DATA));
	EXPECT_EQ(mid + 3 * ps, seek(fd, mid + 2 * ps, SEEK_HOLE));
	EXPECT_EQ(10 * MIB, seek(fd, mid + 3 * ps, SEEK_DATA));
	EXPECT_EQ(pages_blocks(4), rpc_file_blocks(fd));

	/* truncate inside the last page of the middle range: that page is data to EOF */
	ASSERT_EQ(0, ftruncate(fd, mid + 2 * ps + 10));
	size = mid + 2 * ps + 10;
	EXPECT_EQ(size, seek(fd, mid + 2 * ps, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, size, SEEK_DATA));
	EXPECT_EQ(pages_blocks(3), rpc_file_blocks(fd));

	/* grow again: everything after the old EOF is a hole and reads zeros */
	ASSERT_EQ(0, ftruncate(fd, far + 100));
	size = far + 100;
	EXPECT_EQ(mid + 3 * ps, seek(fd, mid + 2 * ps, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, mid + 3 * ps, SEEK_DATA));
	EXPECT_EQ(pages_blocks(3), rpc_file_blocks(fd));
	memset(buf, 0x33, size + 1);
	ASSERT_EQ(size, rpc_pread_full(fd, buf, size + 1, 0));
	EXPECT_EQ(-1, rpc_check_pattern(buf, 100, 100, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(buf + 100, mid - 100));
	EXPECT_EQ(-1, rpc_first_nonzero(buf + mid + ps, ps));
	EXPECT_EQ(-1, rpc_first_nonzero(buf + mid + 2 * ps + 10, size - (mid + 2 * ps + 10)))
		TH_LOG("stale data after truncate down and up");
	TH_LOG("after reading the holes: %lld blocks (%lld before)", rpc_file_blocks(fd), pages_blocks(3));
	close(fd);
	free(buf);
}

/*
 * Folios far apart in one file: reads, SEEK_DATA, hole punching and
 * truncation must step over the empty indices between them a subtree at a
 * time. A walk that went index by index (the batch lookup steps slot by
 * slot through present folios) would take 2^30 steps for the last punch
 * and truncate here, and this test would hit its timeout.
 */
TEST_F(pc, far_apart_pages_read_seek_punch_truncate)
{
	long ps = rpc_page_size();
	const off_t far = 1LL << 42, near = 70 * ps;	/* a leaf node away */
	char buf[64];
	int fd;

	fd = new_file(self->dfd, "far");
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, "a", 1, 0));
	ASSERT_EQ(1, pwrite(fd, "b", 1, near));
	ASSERT_EQ(1, pwrite(fd, "z", 1, far));
	EXPECT_EQ(far + 1, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(3), rpc_file_blocks(fd));
	EXPECT_EQ(near, seek(fd, ps, SEEK_DATA));
	EXPECT_EQ(far, seek(fd, near + ps, SEEK_DATA));
	EXPECT_EQ(near + ps, seek(fd, near, SEEK_HOLE));

	/* reads spanning a hole and a folio: zeros, then the byte */
	memset(buf, 0x55, sizeof(buf));
	ASSERT_EQ(64, pread(fd, buf, 64, far - 63));
	EXPECT_EQ(-1, rpc_first_nonzero(buf, 63));
	EXPECT_EQ('z', buf[63]);
	memset(buf, 0x55, sizeof(buf));
	ASSERT_EQ(64, pread(fd, buf, 64, near - 63));
	EXPECT_EQ(-1, rpc_first_nonzero(buf, 63));
	EXPECT_EQ('b', buf[63]);

	/* punch all but the last page: two folios go, one stays */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, far));
	EXPECT_EQ(pages_blocks(1), rpc_file_blocks(fd));
	EXPECT_EQ(far, seek(fd, 0, SEEK_DATA));
	ASSERT_EQ(1, pread(fd, buf, 1, far));
	EXPECT_EQ('z', buf[0]);

	/* put one back near the start, then truncate everything */
	ASSERT_EQ(1, pwrite(fd, "c", 1, ps));
	EXPECT_EQ(pages_blocks(2), rpc_file_blocks(fd));
	ASSERT_EQ(0, ftruncate(fd, 0));
	EXPECT_EQ(0, rpc_file_blocks(fd));
	EXPECT_EQ(-ENXIO, seek(fd, 0, SEEK_DATA));
	close(fd);
}

/* ---- splice, sendfile, copy_file_range ---- */

#define SRC_LEN (300 * KIB + 17)

/* "src": data [0, 100K), hole [100K, 200K), data [200K, SRC_LEN); model in buf */
static int make_src(int dfd, char *buf)
{
	int fd = new_file(dfd, "src");

	if (fd < 0)
		return -1;
	rpc_fill_pattern(buf, SRC_LEN, 110, 0);
	memset(buf + 100 * KIB, 0, 100 * KIB);
	if (rpc_pwrite_full(fd, buf, 100 * KIB, 0) != 100 * KIB ||
	    rpc_pwrite_full(fd, buf + 200 * KIB, SRC_LEN - 200 * KIB, 200 * KIB) !=
	    SRC_LEN - 200 * KIB) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F(pc, splice_file_to_pipe_to_file)
{
	char *model = malloc(SRC_LEN), *rd = malloc(SRC_LEN + 1000);
	loff_t in_off = 1234, out_off = 777;
	int src, dst, pfd[2];

	ASSERT_NE(NULL, model);
	ASSERT_NE(NULL, rd);
	src = make_src(self->dfd, model);
	ASSERT_LE(0, src);
	dst = new_file(self->dfd, "dst");
	ASSERT_LE(0, dst);
	ASSERT_EQ(0, pipe(pfd));
	while (in_off < SRC_LEN) {
		ssize_t n = splice(src, &in_off, pfd[1], NULL, 1 + (in_off % 50000), 0);

		ASSERT_LT(0, n) TH_LOG("splice file->pipe at %lld: %s", (long long)in_off, strerror(errno));
		while (n > 0) {
			ssize_t m = splice(pfd[0], NULL, dst, &out_off, n, 0);

			ASSERT_LT(0, m) TH_LOG("splice pipe->file: %s", strerror(errno));
			n -= m;
		}
	}
	/* at EOF splice reads nothing */
	EXPECT_EQ(0, splice(src, &in_off, pfd[1], NULL, 4096, 0));
	EXPECT_EQ(777 + SRC_LEN - 1234, rpc_file_size(dst));
	memset(rd, 0x77, SRC_LEN + 1000);
	ASSERT_EQ(777 + SRC_LEN - 1234, rpc_pread_full(dst, rd, SRC_LEN + 1000, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(rd, 777));
	EXPECT_EQ(0, memcmp(rd + 777, model + 1234, SRC_LEN - 1234));
	/* a hole alone through a pipe: zeros */
	in_off = 120 * KIB;
	ASSERT_EQ(8192, splice(src, &in_off, pfd[1], NULL, 8192, 0));
	memset(rd, 0x77, 8192);
	ASSERT_EQ(8192, read(pfd[0], rd, 8192));
	EXPECT_EQ(-1, rpc_first_nonzero(rd, 8192));
	/* the source is unchanged */
	ASSERT_EQ(SRC_LEN, rpc_pread_full(src, rd, SRC_LEN + 1, 0));
	EXPECT_EQ(0, memcmp(rd, model, SRC_LEN));
	close(pfd[0]);
	close(pfd[1]);
	close(src);
	close(dst);
	free(model);
	free(rd);
}

struct sock_reader {
	int fd;
	char *buf;
	size_t want, got;
};

static void *sock_read(void *arg)
{
	struct sock_reader *s = arg;

	while (s->got < s->want) {
		ssize_t r = read(s->fd, s->buf + s->got, s->want - s->got);

		if (r <= 0)
			break;
		s->got += r;
	}
	return NULL;
}

TEST_F(pc, sendfile_to_file_and_socket)
{
	char *model = malloc(SRC_LEN), *rd = malloc(SRC_LEN + 1);
	struct sock_reader sr = { 0 };
	off_t off = 5000;
	size_t done = 0, want = SRC_LEN - 5000;
	pthread_t t;
	int src, dst, sv[2];

	ASSERT_NE(NULL, model);
	ASSERT_NE(NULL, rd);
	src = make_src(self->dfd, model);
	ASSERT_LE(0, src);

	/* file -> file, from an offset, across the hole */
	dst = new_file(self->dfd, "dst");
	ASSERT_LE(0, dst);
	while (done < want) {
		ssize_t n = sendfile(dst, src, &off, want - done);

		ASSERT_LT(0, n) TH_LOG("sendfile: %s", strerror(errno));
		done += n;
	}
	EXPECT_EQ(SRC_LEN, off);
	EXPECT_EQ(0, sendfile(dst, src, &off, 100));
	EXPECT_EQ(0, seek(src, 0, SEEK_CUR)) TH_LOG("sendfile with an offset moved the file position");
	ASSERT_EQ((ssize_t)want, rpc_pread_full(dst, rd, SRC_LEN + 1, 0));
	EXPECT_EQ(0, memcmp(rd, model + 5000, want));
	close(dst);

	/* file -> socket, using and advancing the file position */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	sr.fd = sv[1];
	sr.buf = rd;
	sr.want = SRC_LEN;
	memset(rd, 0x77, SRC_LEN);
	ASSERT_EQ(0, pthread_create(&t, NULL, sock_read, &sr));
	done = 0;
	while (done < SRC_LEN) {
		ssize_t n = sendfile(sv[0], src, NULL, SRC_LEN - done);

		if (n <= 0) {
			EXPECT_LT(0, n) TH_LOG("sendfile to a socket: %s", strerror(errno));
			break;
		}
		done += n;
	}
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	EXPECT_EQ(SRC_LEN, (long long)sr.got);
	EXPECT_EQ(0, memcmp(rd, model, SRC_LEN));
	EXPECT_EQ(SRC_LEN, seek(src, 0, SEEK_CUR));
	close(src);
	free(model);
	free(rd);
}

TEST_F(pc, copy_file_range_across_and_within_files)
{
	char *model = malloc(SRC_LEN), *rd = malloc(2 * MIB);
	loff_t in, out;
	size_t done = 0;
	int src, dst;
	ssize_t n;

	ASSERT_NE(NULL, model);
	ASSERT_NE(NULL, rd);
	src = make_src(self->dfd, model);
	ASSERT_LE(0, src);
	dst = new_file(self->dfd, "dst");
	ASSERT_LE(0, dst);

	/* across files, unaligned, over the hole */
	in = 5000;
	out = 12345;
	while (done < 250 * KIB) {
		n = cfr(src, &in, dst, &out, 250 * KIB - done);
		ASSERT_LT(0, n) TH_LOG("copy_file_range: %s", strerror(errno));
		done += n;
	}
	EXPECT_EQ(5000 + 250 * KIB, in);
	EXPECT_EQ(12345 + 250 * KIB, rpc_file_size(dst));
	ASSERT_EQ(12345 + 250 * KIB, rpc_pread_full(dst, rd, 2 * MIB, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(rd, 12345));
	EXPECT_EQ(0, memcmp(rd + 12345, model + 5000, 250 * KIB));

	/* past EOF of the source: nothing */
	in = SRC_LEN;
	out = 0;
	EXPECT_EQ(0, cfr(src, &in, dst, &out, 1000));
	/* ending at EOF: short */
	in = SRC_LEN - 10;
	out = 0;
	EXPECT_EQ(10, cfr(src, &in, dst, &out, 1000));

	/* within one file: non-overlapping ranges work, overlapping ones are EINVAL */
	in = 0;
	out = MIB + 3;
	done = 0;
	while (done < 100 * KIB) {
		n = cfr(src, &in, src, &out, 100 * KIB - done);
		ASSERT_LT(0, n) TH_LOG("copy_file_range within a file: %s", strerror(errno));
		done += n;
	}
	EXPECT_EQ(MIB + 3 + 100 * KIB, rpc_file_size(src));
	ASSERT_EQ(MIB + 3 + 100 * KIB, rpc_pread_full(src, rd, 2 * MIB, 0));
	EXPECT_EQ(0, memcmp(rd, model, SRC_LEN)) TH_LOG("copy source changed");
	EXPECT_EQ(-1, rpc_first_nonzero(rd + SRC_LEN, MIB + 3 - SRC_LEN));
	EXPECT_EQ(0, memcmp(rd + MIB + 3, model, 100 * KIB));
	in = 0;
	out = 50 * KIB;
	EXPECT_EQ(-EINVAL, E(cfr(src, &in, src, &out, 100 * KIB)));
	close(src);
	close(dst);
	free(model);
	free(rd);
}

/* ---- fallocate modes ---- */

TEST_F(pc, fallocate_modes)
{
	long ps = rpc_page_size();
	char *buf = malloc(16 * ps), *rd = malloc(16 * ps);
	int fd, r;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	/* default mode extends and allocates, reads zeros */
	ASSERT_EQ(0, fallocate(fd, 0, 0, 4 * ps + 100)) TH_LOG("fallocate: %s", strerror(errno));
	EXPECT_EQ(4 * ps + 100, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(5), rpc_file_blocks(fd));
	ASSERT_EQ(4 * ps + 100, rpc_pread_full(fd, rd, 16 * ps, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(rd, 4 * ps + 100));
	/* KEEP_SIZE allocates beyond EOF without growing */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 8 * ps, 2 * ps));
	EXPECT_EQ(4 * ps + 100, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(7), rpc_file_blocks(fd));
	/* writing over fallocated pages uses no more */
	rpc_fill_pattern(buf, 16 * ps, 120, 0);
	ASSERT_EQ(2 * ps, rpc_pwrite_full(fd, buf + ps, 2 * ps, ps));
	EXPECT_EQ(pages_blocks(7), rpc_file_blocks(fd));
	/* growing over the preallocated pages reads zeros there */
	ASSERT_EQ(0, ftruncate(fd, 12 * ps));
	EXPECT_EQ(pages_blocks(7), rpc_file_blocks(fd));
	ASSERT_EQ(12 * ps, rpc_pread_full(fd, rd, 16 * ps, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(rd, ps));
	EXPECT_EQ(0, memcmp(rd + ps, buf + ps, 2 * ps));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 3 * ps, 9 * ps));
	/* truncating down drops the pages beyond */
	ASSERT_EQ(0, ftruncate(fd, 3 * ps));
	EXPECT_EQ(pages_blocks(3), rpc_file_blocks(fd));
	/* punch: whole pages go, partial ones are zeroed */
	ASSERT_EQ(3 * ps, rpc_pwrite_full(fd, buf, 3 * ps, 0));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 2 * ps));
	EXPECT_EQ(3 * ps, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(2), rpc_file_blocks(fd));
	ASSERT_EQ(3 * ps, rpc_pread_full(fd, rd, 16 * ps, 0));
	EXPECT_EQ(0, memcmp(rd, buf, 100));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 100, 2 * ps));
	EXPECT_EQ(0, memcmp(rd + 2 * ps + 100, buf + 2 * ps + 100, ps - 100));
	/* punch needs KEEP_SIZE */
	EXPECT_EQ(-EOPNOTSUPP, E(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, ps)));
	EXPECT_EQ(-EINVAL, E(fallocate(fd, 0, 0, 0)));
	EXPECT_EQ(-EINVAL, E(fallocate(fd, 0, -1, ps)));

	/* zero range */
	ASSERT_EQ(4 * ps, rpc_pwrite_full(fd, buf, 4 * ps, 0));
	r = fallocate(fd, FALLOC_FL_ZERO_RANGE, ps / 2, 2 * ps);
	if (r && errno == EOPNOTSUPP && !rpc_is_module_fs()) {
		TH_LOG("%s has no FALLOC_FL_ZERO_RANGE", rpc_fstype());
	} else {
		ASSERT_EQ(0, r) TH_LOG("zero range: %s", strerror(errno));
		ASSERT_EQ(4 * ps, rpc_pread_full(fd, rd, 16 * ps, 0));
		EXPECT_EQ(0, memcmp(rd, buf, ps / 2));
		EXPECT_EQ(-1, rpc_first_nonzero(rd + ps / 2, 2 * ps));
		EXPECT_EQ(0, memcmp(rd + 2 * ps + ps / 2, buf + 2 * ps + ps / 2, ps + ps / 2));
		/* beyond EOF it grows the file; with KEEP_SIZE it does not */
		ASSERT_EQ(0, fallocate(fd, FALLOC_FL_ZERO_RANGE, 4 * ps - 10, ps));
		EXPECT_EQ(5 * ps - 10, rpc_file_size(fd));
		ASSERT_EQ(0, fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 6 * ps, ps));
		EXPECT_EQ(5 * ps - 10, rpc_file_size(fd));
		ASSERT_EQ(5 * ps - 10, rpc_pread_full(fd, rd, 16 * ps, 0));
		EXPECT_EQ(0, memcmp(rd + 2 * ps + ps / 2, buf + 2 * ps + ps / 2, ps / 2 + ps - 10));
		EXPECT_EQ(-1, rpc_first_nonzero(rd + 4 * ps - 10, ps));
	}
	close(fd);
	free(buf);
	free(rd);
}

/* ---- partial pages, O_APPEND, vectored I/O ---- */

TEST_F(pc, truncate_up_after_down_zeroes_the_partial_page)
{
	long ps = rpc_page_size();
	char *buf = malloc(4 * ps), *rd = malloc(4 * ps), *m;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	memset(buf, 0xcd, 4 * ps);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(4 * ps, rpc_pwrite_full(fd, buf, 4 * ps, 0));
	/* map before truncating: the mapping sees the zeroed tail as well */
	m = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ((char)0xcd, m[ps + 200]);
	ASSERT_EQ(0, ftruncate(fd, ps + 123));
	ASSERT_EQ(0, ftruncate(fd, 4 * ps));
	EXPECT_EQ(-1, rpc_first_nonzero(m + ps + 123, ps - 123)) TH_LOG("mapping shows the old tail");
	EXPECT_EQ((char)0xcd, m[ps + 122]);
	EXPECT_EQ(-1, rpc_first_nonzero(m + 2 * ps, 2 * ps));
	munmap(m, 4 * ps);
	ASSERT_EQ(4 * ps, rpc_pread_full(fd, rd, 4 * ps, 0));
	EXPECT_EQ(0, memcmp(rd, buf, ps + 123));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + ps + 123, 3 * ps - 123));
	/* the same through a fresh mapping after truncating within the page */
	ASSERT_EQ(0, ftruncate(fd, 50));
	m = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	/* beyond EOF inside the last page: zeros */
	EXPECT_EQ(-1, rpc_first_nonzero(m + 50, ps - 50));
	munmap(m, ps);
	ASSERT_EQ(0, ftruncate(fd, ps));
	ASSERT_EQ(ps, rpc_pread_full(fd, rd, 4 * ps, 0));
	EXPECT_EQ(0, memcmp(rd, buf, 50));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 50, ps - 50));
	close(fd);
	free(buf);
	free(rd);
}

TEST_F(pc, o_append_pwrite_and_writev_append)
{
	struct iovec iov[2] = { { "<io", 3 }, { "v>", 2 } };
	char buf[64];
	int fd;

	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", "0123456789", 10, 0644));
	fd = openat(self->dfd, "f", O_RDWR | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* Linux: pwrite on an O_APPEND fd appends, the offset is ignored */
	EXPECT_EQ(2, pwrite(fd, "ab", 2, 0));
	EXPECT_EQ(12, rpc_file_size(fd));
	EXPECT_EQ(5, writev(fd, iov, 2));
	EXPECT_EQ(17, seek(fd, 0, SEEK_CUR));
	/* someone else extends the file: the next append goes after that */
	ASSERT_EQ(0, ftruncate(fd, 20));
	EXPECT_EQ(1, write(fd, "z", 1));
	EXPECT_EQ(21, rpc_file_size(fd));
	/* and after a truncate down too */
	ASSERT_EQ(0, ftruncate(fd, 5));
	EXPECT_EQ(1, write(fd, "y", 1));
	ASSERT_EQ(6, rpc_pread_full(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "01234y", 6));
	ASSERT_EQ(0, ftruncate(fd, 0));
	EXPECT_EQ(0, rpc_file_size(fd));
	ASSERT_EQ(2, write(fd, "ok", 2));
	ASSERT_EQ(2, rpc_pread_full(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	close(fd);
}

TEST_F(pc, pwritev_preadv_across_page_boundaries)
{
	long ps = rpc_page_size();
	size_t lens[] = { 1, ps - 1, 2, ps + 3, 7, 3 * ps, 1, 5000 };
	const int n = sizeof(lens) / sizeof(lens[0]);
	size_t total = 0, rlens[] = { 4097, 1, 2 * ps - 7, 13, 100000 };
	struct iovec iov[8], riov[5];
	char *buf, *rd, *p;
	off_t off = ps - 5;
	int fd;

	for (int i = 0; i < n; i++)
		total += lens[i];
	buf = malloc(total);
	rd = malloc(total + 100000);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	rpc_fill_pattern(buf, total, 130, off);
	p = buf;
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = p;
		iov[i].iov_len = lens[i];
		p += lens[i];
	}
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)total, pwritev(fd, iov, n, off));
	EXPECT_EQ((long long)(off + total), rpc_file_size(fd));
	p = rd;
	memset(rd, 0x55, total + 100000);
	for (int i = 0; i < 5; i++) {
		riov[i].iov_base = p;
		riov[i].iov_len = rlens[i];
		p += rlens[i];
	}
	/* from offset 0: the gap before off reads as zeros */
	ASSERT_EQ((ssize_t)(off + total), preadv(fd, riov, 5, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(rd, off));
	EXPECT_EQ(0, memcmp(rd + off, buf, total));
	/* overwrite across boundaries, read back in one piece */
	rpc_fill_pattern(buf, 2 * ps + 2, 131, 2 * ps - 1);
	iov[0].iov_base = buf;
	iov[0].iov_len = ps + 1;
	iov[1].iov_base = buf + ps + 1;
	iov[1].iov_len = ps + 1;
	ASSERT_EQ(2 * ps + 2, pwritev(fd, iov, 2, 2 * ps - 1));
	ASSERT_EQ(2 * ps + 2, rpc_pread_full(fd, rd, 2 * ps + 2, 2 * ps - 1));
	EXPECT_EQ(-1, rpc_check_pattern(rd, 2 * ps + 2, 131, 2 * ps - 1));
	ASSERT_EQ(1, pread(fd, rd, 1, 2 * ps - 2));
	EXPECT_EQ(rpc_pattern_byte(130, 2 * ps - 2), (uint8_t)rd[0]);
	close(fd);
	free(buf);
	free(rd);
}

TEST_F(pc, write_beyond_eof_leaves_a_zero_gap)
{
	long ps = rpc_page_size();
	char *rd = malloc(3 * MIB);
	int fd;

	ASSERT_NE(NULL, rd);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, pwrite(fd, "first", 5, 0));
	/* a partial first page, then far beyond EOF in the middle of a page */
	ASSERT_EQ(4, pwrite(fd, "last", 4, 2 * MIB + ps / 2));
	EXPECT_EQ(2 * MIB + ps / 2 + 4, rpc_file_size(fd));
	EXPECT_EQ(pages_blocks(2), rpc_file_blocks(fd));
	memset(rd, 0x66, 3 * MIB);
	ASSERT_EQ(2 * MIB + ps / 2 + 4, rpc_pread_full(fd, rd, 3 * MIB, 0));
	EXPECT_EQ(0, memcmp(rd, "first", 5));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 5, 2 * MIB + ps / 2 - 5));
	EXPECT_EQ(0, memcmp(rd + 2 * MIB + ps / 2, "last", 4));
	/* extending with a write into the page holding EOF */
	ASSERT_EQ(0, ftruncate(fd, 10));
	ASSERT_EQ(1, pwrite(fd, "!", 1, ps - 1));
	ASSERT_EQ(ps, rpc_pread_full(fd, rd, 3 * MIB, 0));
	EXPECT_EQ(0, memcmp(rd, "first", 5));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 5, ps - 6));
	EXPECT_EQ('!', rd[ps - 1]);
	close(fd);
	free(rd);
}

TEST_HARNESS_MAIN
