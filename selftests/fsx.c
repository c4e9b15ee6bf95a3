// SPDX-License-Identifier: GPL-2.0
/*
 * fsx: a model based random file operation tester (own code, in the spirit
 * of the classic fsx).
 *
 * One file on a fresh mount and an in-memory model of its contents, size
 * and per-page allocation state. Random operations are applied to both and
 * every result is checked against the model:
 *
 *   read / preadv             bytes compared with the model
 *   write / pwritev / append  (O_APPEND fd; the fd offset must follow EOF)
 *   mmap read / mmap write    MAP_SHARED, msync (sync, async or none), munmap
 *   mmap private              MAP_PRIVATE writes must not reach the file
 *   truncate                  down (mostly) and up
 *   punch hole                FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
 *   fallocate                 default, KEEP_SIZE, ZERO_RANGE (+KEEP_SIZE)
 *   copy_file_range           within the file, non-overlapping ranges
 *   SEEK_DATA / SEEK_HOLE     a reported hole must be zeros in the model and
 *                             may not contain a page the model knows to be
 *                             written; reported data must lie within size and
 *                             may not start in a page the model knows to be
 *                             unallocated
 *   fsync / fdatasync, close and reopen
 *
 * After every operation fstat's st_size must equal the model's size; every
 * verify interval (and at the end) the whole file is read back and
 * compared, the whole SEEK_DATA/SEEK_HOLE map is walked and st_blocks must
 * lie between the pages known to be allocated and those that may be.
 *
 * Page states: DATA (written: must be data, must be charged), HOLE (never
 * touched, or punched/truncated away: must be a hole, not charged) and
 * MAYBE (fallocated, faulted in by a read fault, or a partial page at the
 * edge of a punch: either). At start a probe decides whether reading a hole
 * (pread, or a read fault) instantiates pages; if it does, reads make the
 * HOLE pages they may have reached MAYBE.
 *
 * Test "fsx.unlimited.run" runs on a mount without limits: any ENOSPC or
 * short write is a failure. "fsx.enospc.run" mounts with size= a quarter of the
 * maximum file size: a write may then be short (ending on a page boundary)
 * or fail with ENOSPC only when statfs shows no free block afterwards, and
 * the model takes exactly the bytes the call reports as written; a fault on
 * an unallocated page may then raise SIGBUS (caught, the model takes the
 * pages copied before it). Everything written before must stay intact.
 * "fsx.swap.run" (rust_pagecache with $RPC_SWAP_DEV only) runs the enospc
 * run's number of operations without limits on a mount with its own swap,
 * inside a memcg whose memory.reclaim a churner hits every 2 ms: every
 * operation meets pages that are in swap or being swapped out, and the
 * stats must show pages going out and coming back.
 *
 * On a mismatch the offset, the expected and the read bytes and the last 32
 * operations are printed, and the test fails. Data written by operation N
 * at offset O is the byte 1 + (O + 37 N) % 251 (never 0), so a wrong byte
 * tells which operation (mod 251) wrote it.
 *
 * Options (before any harness option):
 *   -s SEED  random seed (default 1; env RPC_FSX_SEED)
 *   -n OPS   operations of the unlimited run (default 100000; RPC_FSX_OPS)
 *   -N OPS   operations of the enospc run (default OPS / 4)
 *   -L LEN   maximum file size (default 1 MiB)
 *   -O LEN   maximum size of one operation (default 64 KiB)
 *   -I OPS   full verification interval (default 1000)
 *   -M       no mmap operations
 *   -S       soak: 50x the operations and 4 MiB files (env RPC_FSX_SOAK=1)
 *   -q       no per-run operation statistics
 *
 * tmpfs behaviour this encodes (checked on the host):
 *  - FALLOC_FL_ZERO_RANGE is EOPNOTSUPP on tmpfs: the zero range operations
 *    are then dropped (a note is printed); on rust_pagecache they must work.
 *  - tmpfs reports fallocated, never written pages as holes (MAYBE covers
 *    both answers); pread of a hole instantiates nothing, a read fault
 *    instantiates exactly the faulting page.
 *  - A full tmpfs raises SIGBUS for a fault that needs a new page.
 */
#include "rpc_util.h"
#include <setjmp.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include "kselftest_harness.h"


#define KIB 1024
#define MIB (1024 * 1024)

#define FSX_DEFAULT_OPS		100000L
#define FSX_DEFAULT_TIMEOUT	280	/* s per run; run.sh allows fsx 900 */

static struct {
	unsigned long long seed;
	long ops, enospc_ops;
	size_t maxlen, maxop;
	long verify_every;
	bool mmap, soak, quiet;
} cfg = {
	.seed = 1,
	.ops = FSX_DEFAULT_OPS,
	.enospc_ops = -1,
	.maxlen = MIB,
	.maxop = 64 * KIB,
	.verify_every = 1000,
	.mmap = true,
};

enum op {
	OP_READ, OP_READV, OP_MREAD, OP_WRITE, OP_WRITEV, OP_APPEND, OP_MWRITE,
	OP_MPRIV, OP_TRUNC, OP_PUNCH, OP_FALLOC, OP_FALLOC_KEEP, OP_ZERO,
	OP_ZERO_KEEP, OP_COPY, OP_SEEK, OP_FSYNC, OP_REOPEN, OP_NR
};

static const char *const op_names[OP_NR] = {
	"read", "preadv", "mmap_read", "write", "pwritev", "append", "mmap_write",
	"mmap_private", "truncate", "punch_hole", "fallocate", "fallocate_keep",
	"zero_range", "zero_range_keep", "copy_range", "seek", "fsync", "reopen",
};

static const int op_weight[OP_NR] = {
	[OP_READ] = 16, [OP_READV] = 6, [OP_MREAD] = 5, [OP_WRITE] = 18,
	[OP_WRITEV] = 7, [OP_APPEND] = 5, [OP_MWRITE] = 6, [OP_MPRIV] = 1,
	[OP_TRUNC] = 6, [OP_PUNCH] = 6, [OP_FALLOC] = 3, [OP_FALLOC_KEEP] = 3,
	[OP_ZERO] = 2, [OP_ZERO_KEEP] = 2, [OP_COPY] = 4, [OP_SEEK] = 6,
	[OP_FSYNC] = 1, [OP_REOPEN] = 1,
};

enum { PS_HOLE = 0, PS_MAYBE = 1, PS_DATA = 2 };

#define RING 32

struct rec {
	long n;
	int op;
	long long off, len, off2;	/* off2: copy destination */
	long long ret;
	int err;
	long long size_before, size_after;
};

struct fsx {
	char path[PATH_MAX];
	const char *dir;
	int fd, afd;
	long ps;
	size_t maxlen, maxop, npages;
	size_t size;
	uint8_t *model, *buf, *rbuf, *pst;
	uint64_t rng;
	long opnum;
	bool limited, zero_ok, reads_populate, faults_populate;
	struct rec ring[RING];
	long nrec;
	long count[OP_NR], nop[OP_NR];
	long enospc, shorts, sigbus;
	int wsum;
	int weights[OP_NR];
};

/* ---- output ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# fsx: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void dump_ring(struct fsx *f, long long mark)
{
	long first = f->nrec > RING ? f->nrec - RING : 0;

	say("last %ld operations (oldest first)%s:", f->nrec - first,
	    mark >= 0 ? ", '*' = touched the bad offset" : "");
	for (long i = first; i < f->nrec; i++) {
		struct rec *r = &f->ring[i % RING];
		bool hit = false;

		if (mark >= 0 && r->op == OP_TRUNC) {
			hit = mark >= r->off;
		} else if (mark >= 0 && r->op != OP_SEEK) {
			hit = mark >= r->off && mark < r->off + r->len;
			if (r->op == OP_COPY)
				hit = hit || (mark >= r->off2 && mark < r->off2 + r->len);
		}
		fprintf(stderr, "#  %c %7ld %-15s off 0x%06llx len 0x%05llx", hit ? '*' : ' ',
			r->n, op_names[r->op], r->off, r->len);
		if (r->op == OP_COPY)
			fprintf(stderr, " to 0x%06llx", r->off2);
		fprintf(stderr, " -> %lld", r->ret);
		if (r->err)
			fprintf(stderr, " (%s)", strerror(r->err));
		fprintf(stderr, "  size 0x%llx -> 0x%llx\n", r->size_before, r->size_after);
	}
}

static int fail(struct fsx *f, long long mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct fsx *f, long long mark, const char *fmt, ...)
{
	va_list ap;

	if (f->nrec)
		f->ring[(f->nrec - 1) % RING].size_after = f->size;
	va_start(ap, fmt);
	fprintf(stderr, "# fsx: FAIL at op %ld (seed %llu%s): ", f->opnum, cfg.seed,
		f->limited ? ", enospc run" : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	dump_ring(f, mark);
	return -1;
}

/* ---- random numbers and data ---- */

static uint64_t rnd(struct fsx *f)
{
	uint64_t z = (f->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t below(struct fsx *f, size_t n)
{
	return n ? rnd(f) % n : 0;
}

static void fill(uint8_t *b, size_t len, long n, uint64_t off)
{
	unsigned int v = (off + 37ULL * (uint64_t)n) % 251;

	for (size_t i = 0; i < len; i++) {
		b[i] = 1 + v;
		if (++v == 251)
			v = 0;
	}
}

/* An operation length: mostly small, sometimes up to maxop. */
static size_t gen_len(struct fsx *f)
{
	size_t r = below(f, 100), m;

	if (r < 15)
		m = 64;
	else if (r < 60)
		m = 4096;
	else if (r < 90)
		m = 16384;
	else
		m = f->maxop;
	if (m > f->maxop)
		m = f->maxop;
	return 1 + below(f, m);
}

/* An offset in [0, limit): near EOF, page aligned or uniform. */
static size_t gen_off(struct fsx *f, size_t limit)
{
	size_t r = below(f, 100), o;

	if (!limit)
		return 0;
	if (r < 20) {
		long long x = (long long)f->size + (long long)below(f, 8192) - 4096;

		o = x < 0 ? 0 : (size_t)x;
	} else if (r < 35) {
		o = below(f, limit / f->ps + 1) * f->ps;
	} else {
		o = below(f, limit);
	}
	return o < limit ? o : limit - 1;
}

/* ---- model ---- */

static size_t pg(struct fsx *f, size_t off)
{
	return off / f->ps;
}

/* HOLE pages in [a, b) become MAYBE */
static void maybe_range(struct fsx *f, size_t a, size_t b)
{
	if (a >= b)
		return;
	for (size_t p = pg(f, a); p <= pg(f, b - 1) && p < f->npages; p++)
		if (f->pst[p] == PS_HOLE)
			f->pst[p] = PS_MAYBE;
}

/* A read of [off, end) that may instantiate pages happened. */
static void after_read(struct fsx *f, size_t off, bool fault)
{
	if (fault && f->faults_populate)
		maybe_range(f, 0, f->size);
	else if (!fault && f->reads_populate)
		maybe_range(f, off, f->size);
}

/* Pages fully inside [a, b) become st, partial ones HOLE -> MAYBE. */
static void set_pages(struct fsx *f, size_t a, size_t b, int st)
{
	if (a >= b)
		return;
	for (size_t p = pg(f, a); p <= pg(f, b - 1) && p < f->npages; p++) {
		size_t ps = p * f->ps, pe = ps + f->ps;

		if (ps >= a && pe <= b)
			f->pst[p] = st;
		else if (f->pst[p] == PS_HOLE)
			f->pst[p] = PS_MAYBE;
	}
}

/* n bytes from src were written at off. */
static void apply_write(struct fsx *f, size_t off, const uint8_t *src, size_t n)
{
	if (!n)
		return;
	memcpy(f->model + off, src, n);
	if (off + n > f->size)
		f->size = off + n;
	for (size_t p = pg(f, off); p <= pg(f, off + n - 1); p++) {
		size_t a = p * f->ps > off ? p * f->ps : off;
		size_t b = (p + 1) * f->ps < off + n ? (p + 1) * f->ps : off + n;

		if (rpc_first_nonzero(f->model + a, b - a) >= 0)
			f->pst[p] = PS_DATA;
		else if (f->pst[p] == PS_HOLE)
			f->pst[p] = PS_MAYBE;
	}
}

static void model_truncate(struct fsx *f, size_t ns)
{
	if (ns < f->size) {
		memset(f->model + ns, 0, f->size - ns);
		for (size_t p = (ns + f->ps - 1) / f->ps; p < f->npages; p++)
			f->pst[p] = PS_HOLE;
		if (ns % f->ps && f->pst[pg(f, ns)] == PS_HOLE)
			f->pst[pg(f, ns)] = PS_MAYBE;
	}
	f->size = ns;
}

/* ---- checks ---- */

static int check_bytes(struct fsx *f, const char *what, size_t off, const uint8_t *got, size_t n)
{
	const uint8_t *exp = f->model + off;
	size_t i, bad = 0, first;
	char e[80] = "", g[80] = "";

	if (!memcmp(exp, got, n))
		return 0;
	for (i = 0; i < n && exp[i] == got[i]; i++)
		;
	first = i;
	for (; i < n; i++)
		bad += exp[i] != got[i];
	for (i = first; i < n && i < first + 16; i++) {
		snprintf(e + strlen(e), sizeof(e) - strlen(e), " %02x", exp[i]);
		snprintf(g + strlen(g), sizeof(g) - strlen(g), " %02x", got[i]);
	}
	fail(f, off + first, "%s: data mismatch at offset 0x%zx (%zu bad bytes in [0x%zx, 0x%zx), file size 0x%zx, page state %d)",
	     what, off + first, bad, off, off + n, f->size, f->pst[pg(f, off + first)]);
	say("expected:%s", e);
	say("got:     %s", g);
	if (got[first]) {
		/* 1 + (O + 37 N) % 251 = got: N = (got - 1 - O) / 37 mod 251 (37^-1 = 95) */
		long o = (off + first) % 251;
		long k = ((((long)got[first] - 1 - o) % 251 + 251) % 251) * 95 % 251;

		say("the bad byte is data of an op N with N %% 251 == %ld (op %ld is the current one)",
		    k, f->opnum);
	} else {
		say("the bad byte is 0 (a hole or zeroed data)");
	}
	return -1;
}

static int check_size(struct fsx *f, const char *what)
{
	struct stat st;

	if (fstat(f->fd, &st))
		return fail(f, -1, "%s: fstat: %s", what, strerror(errno));
	if ((size_t)st.st_size != f->size)
		return fail(f, -1, "%s: st_size 0x%llx, model size 0x%zx", what,
			    (long long)st.st_size, f->size);
	return 0;
}

static long long free_blocks(struct fsx *f)
{
	struct rpc_sfs s;

	return rpc_statfs(f->dir, &s) ? -1 : s.f_bfree;
}

/* ENOSPC or a short write at off+done happened: is that allowed? */
static int check_enospc(struct fsx *f, const char *what, size_t off, size_t done, size_t len)
{
	long long fb;

	f->enospc += done == 0;
	f->shorts += done != 0;
	if (!f->limited)
		return fail(f, off + done, "%s: %s on a mount without size limit (%zu of %zu bytes written)",
			    what, done ? "short write" : "ENOSPC", done, len);
	fb = free_blocks(f);
	if (fb != 0)
		return fail(f, off + done, "%s: %s (%zu of %zu bytes) while statfs shows %lld free blocks",
			    what, done ? "short write" : "ENOSPC", done, len, fb);
	if (done && (off + done) % f->ps)
		return fail(f, off + done, "%s: short write of %zu bytes at 0x%zx does not end on a page boundary",
			    what, done, off);
	if (f->pst[pg(f, off + done)] == PS_DATA)
		return fail(f, off + done, "%s: %s at 0x%zx, a page that is allocated already",
			    what, done ? "short write" : "ENOSPC", off + done);
	return 0;
}

/* [a, b) was reported as a hole. */
static int check_hole(struct fsx *f, const char *what, size_t a, size_t b)
{
	if (a >= b)
		return 0;
	for (size_t p = pg(f, a); p <= pg(f, b - 1); p++)
		if (f->pst[p] == PS_DATA)
			return fail(f, p * f->ps, "%s: [0x%zx, 0x%zx) reported as a hole, but page %zu was written",
				    what, a, b, p);
	if (rpc_first_nonzero(f->model + a, b - a) >= 0)
		return fail(f, a + rpc_first_nonzero(f->model + a, b - a),
			    "%s: [0x%zx, 0x%zx) reported as a hole, but the model has data at 0x%zx",
			    what, a, b, a + rpc_first_nonzero(f->model + a, b - a));
	return 0;
}

/* [a, b) was reported as data. */
static int check_data(struct fsx *f, const char *what, size_t a, size_t b)
{
	if (b > f->size)
		return fail(f, a, "%s: data [0x%zx, 0x%zx) beyond the size 0x%zx", what, a, b, f->size);
	if (a >= b)
		return 0;
	for (size_t p = pg(f, a); p <= pg(f, b - 1); p++)
		if (f->pst[p] == PS_HOLE)
			return fail(f, p * f->ps, "%s: [0x%zx, 0x%zx) reported as data, but page %zu is unallocated in the model",
				    what, a, b, p);
	return 0;
}

static int check_seek_at(struct fsx *f, size_t off)
{
	off_t d, h;

	errno = 0;
	d = lseek(f->fd, off, SEEK_DATA);
	if (off >= f->size) {
		if (d != -1 || errno != ENXIO)
			return fail(f, off, "SEEK_DATA at 0x%zx >= size 0x%zx: %lld (%s), want ENXIO",
				    off, f->size, (long long)d, strerror(errno));
		errno = 0;
		h = lseek(f->fd, off, SEEK_HOLE);
		if (h != -1 || errno != ENXIO)
			return fail(f, off, "SEEK_HOLE at 0x%zx >= size 0x%zx: %lld (%s), want ENXIO",
				    off, f->size, (long long)h, strerror(errno));
		return 0;
	}
	if (d == -1) {
		if (errno != ENXIO)
			return fail(f, off, "SEEK_DATA at 0x%zx: %s", off, strerror(errno));
		if (check_hole(f, "SEEK_DATA ENXIO", off, f->size))
			return -1;
	} else {
		if ((size_t)d < off || (size_t)d >= f->size || ((size_t)d != off && d % f->ps))
			return fail(f, off, "SEEK_DATA at 0x%zx returned 0x%llx (size 0x%zx)",
				    off, (long long)d, f->size);
		if (check_hole(f, "SEEK_DATA", off, d) ||
		    check_data(f, "SEEK_DATA", d, d + 1))
			return -1;
	}
	errno = 0;
	h = lseek(f->fd, off, SEEK_HOLE);
	if (h == -1)
		return fail(f, off, "SEEK_HOLE at 0x%zx: %s", off, strerror(errno));
	if ((size_t)h < off || (size_t)h > f->size ||
	    ((size_t)h != off && (size_t)h != f->size && h % f->ps))
		return fail(f, off, "SEEK_HOLE at 0x%zx returned 0x%llx (size 0x%zx)",
			    off, (long long)h, f->size);
	if (check_data(f, "SEEK_HOLE", off, h))
		return -1;
	if ((size_t)h < f->size)
		return check_hole(f, "SEEK_HOLE", h, h + 1);
	return 0;
}

/* Walk the whole SEEK_DATA / SEEK_HOLE map. */
static int check_seek_map(struct fsx *f)
{
	size_t off = 0;

	while (off < f->size) {
		off_t d, h;

		errno = 0;
		d = lseek(f->fd, off, SEEK_DATA);
		if (d == -1 && errno == ENXIO)
			return check_hole(f, "map: SEEK_DATA ENXIO", off, f->size);
		if (d == -1 || (size_t)d < off || (size_t)d >= f->size)
			return fail(f, off, "map: SEEK_DATA at 0x%zx: %lld (%s)", off, (long long)d,
				    strerror(errno));
		if (check_hole(f, "map: SEEK_DATA", off, d))
			return -1;
		h = lseek(f->fd, d, SEEK_HOLE);
		if (h == -1 || h <= d || (size_t)h > f->size)
			return fail(f, d, "map: SEEK_HOLE at 0x%llx: %lld (%s)", (long long)d,
				    (long long)h, strerror(errno));
		if (check_data(f, "map: SEEK_HOLE", d, h))
			return -1;
		off = h;
	}
	return 0;
}

static int full_verify(struct fsx *f, const char *why)
{
	long long dpages = 0, mpages = 0, charged;
	struct stat st;
	ssize_t r;

	if (check_size(f, why))
		return -1;
	r = rpc_pread_full(f->fd, f->rbuf, f->maxlen + 1, 0);
	if (r != (ssize_t)f->size)
		return fail(f, -1, "%s: reading the whole file: %zd (%s), size 0x%zx", why, r,
			    r < 0 ? strerror(-r) : "", f->size);
	if (check_bytes(f, why, 0, f->rbuf, f->size))
		return -1;
	after_read(f, 0, false);
	if (check_seek_map(f))
		return -1;
	if (fstat(f->fd, &st))
		return fail(f, -1, "fstat: %s", strerror(errno));
	for (size_t p = 0; p < f->npages; p++) {
		dpages += f->pst[p] == PS_DATA;
		mpages += f->pst[p] == PS_MAYBE;
	}
	charged = (long long)st.st_blocks * 512 / f->ps;
	if (charged < dpages || charged > dpages + mpages)
		return fail(f, -1, "%s: st_blocks %lld = %lld pages; the model has %lld written and %lld maybe allocated pages",
			    why, (long long)st.st_blocks, charged, dpages, mpages);
	return 0;
}

/* ---- SIGBUS from faults on a full filesystem ---- */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed) {
		bus_armed = 0;
		siglongjmp(bus_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A fault at off raised SIGBUS: allowed only when full and not on a written page. */
static int check_sigbus(struct fsx *f, const char *what, size_t off)
{
	long long fb = free_blocks(f);

	f->sigbus++;
	if (!f->limited || fb != 0 || f->pst[pg(f, off)] == PS_DATA)
		return fail(f, off, "%s: SIGBUS at 0x%zx (%s mount, %lld free blocks, page state %d)",
			    what, off, f->limited ? "limited" : "unlimited", fb, f->pst[pg(f, off)]);
	return 0;
}

/* ---- operations ---- */

static int do_open(struct fsx *f, int flags)
{
	f->fd = open(f->path, O_RDWR | O_CLOEXEC | flags, 0644);
	if (f->fd < 0)
		return fail(f, -1, "open %s: %s", f->path, strerror(errno));
	f->afd = open(f->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (f->afd < 0)
		return fail(f, -1, "open O_APPEND %s: %s", f->path, strerror(errno));
	return 0;
}

/* Splits buf[0..len) into up to 4 random pieces for preadv/pwritev. */
static int split_iov(struct fsx *f, uint8_t *buf, size_t len, struct iovec iov[4])
{
	size_t left = len, used = 0;
	int n = 0;

	while (left && n < 4) {
		size_t l = n == 3 ? left : 1 + below(f, left);

		iov[n].iov_base = buf + used;
		iov[n].iov_len = l;
		used += l;
		left -= l;
		n++;
	}
	return n;
}

static int op_read(struct fsx *f, struct rec *r, bool vec)
{
	size_t off = below(f, f->size + 4096), len = gen_len(f);
	size_t want = off < f->size ? (f->size - off < len ? f->size - off : len) : 0;
	ssize_t got;

	r->off = off;
	r->len = len;
	memset(f->rbuf, 0xa5, len);
	if (vec) {
		struct iovec iov[4];
		int n = split_iov(f, f->rbuf, len, iov);

		got = preadv(f->fd, iov, n, off);
	} else {
		got = pread(f->fd, f->rbuf, len, off);
	}
	r->ret = got;
	r->err = got < 0 ? errno : 0;
	if (got != (ssize_t)want)
		return fail(f, off, "%s of %zu at 0x%zx returned %zd (%s), want %zu (size 0x%zx)",
			    vec ? "preadv" : "pread", len, off, got, got < 0 ? strerror(errno) : "",
			    want, f->size);
	if (check_bytes(f, vec ? "preadv" : "pread", off, f->rbuf, want))
		return -1;
	after_read(f, off, false);
	return 0;
}

/* The common result handling of write, pwritev, append and copy. */
static int finish_write(struct fsx *f, struct rec *r, const char *what, size_t off,
			size_t len, ssize_t got, const uint8_t *src)
{
	r->ret = got;
	r->err = got < 0 ? errno : 0;
	if (got < 0) {
		if (errno != ENOSPC)
			return fail(f, off, "%s of %zu at 0x%zx: %s", what, len, off, strerror(errno));
		return check_enospc(f, what, off, 0, len);
	}
	if ((size_t)got > len)
		return fail(f, off, "%s of %zu at 0x%zx returned %zd", what, len, off, got);
	apply_write(f, off, src, got);
	if ((size_t)got < len)
		return check_enospc(f, what, off, got, len);
	return 0;
}

static int op_write(struct fsx *f, struct rec *r, int kind)
{
	size_t off = kind == OP_APPEND ? f->size : gen_off(f, f->maxlen);
	size_t len = gen_len(f);
	ssize_t got;

	if (off >= f->maxlen)
		return 1;
	if (len > f->maxlen - off)
		len = f->maxlen - off;
	r->off = off;
	r->len = len;
	fill(f->buf, len, f->opnum, off);
	if (kind == OP_WRITEV) {
		struct iovec iov[4];
		int n = split_iov(f, f->buf, len, iov);

		got = pwritev(f->fd, iov, n, off);
	} else if (kind == OP_APPEND) {
		got = write(f->afd, f->buf, len);
	} else {
		got = pwrite(f->fd, f->buf, len, off);
	}
	if (finish_write(f, r, op_names[kind], off, len, got, f->buf))
		return -1;
	if (kind == OP_APPEND && got > 0) {
		off_t pos = lseek(f->afd, 0, SEEK_CUR);

		if (pos != (off_t)f->size)
			return fail(f, off, "append: fd offset 0x%llx after the write, size 0x%zx",
				    (long long)pos, f->size);
	}
	if (got < 0 || (size_t)got < len) {
		/* everything around the failed part must be intact */
		size_t a = off > 4096 ? off - 4096 : 0, b = off + len + 4096;

		if (b > f->size)
			b = f->size;
		if (a < b && rpc_pread_full(f->fd, f->rbuf, b - a, a) != (ssize_t)(b - a))
			return fail(f, a, "re-read after ENOSPC failed");
		if (a < b && check_bytes(f, "after ENOSPC", a, f->rbuf, b - a))
			return -1;
	}
	return 0;
}

/*
 * Copy len bytes between the mapping m (of the file from pstart) at file
 * offset off and f->buf (MWRITE) or f->rbuf (reads), one page per step, so
 * that a SIGBUS leaves whole steps done. Returns the bytes copied; *bus is
 * set if a SIGBUS ended the copy. Kept apart so that nothing but the
 * volatile progress lives across sigsetjmp.
 */
static size_t guarded_copy(struct fsx *f, uint8_t *m, size_t pstart, size_t off,
			   size_t len, int kind, bool *bus)
{
	static volatile size_t done;
	sigset_t set;

	done = 0;
	*bus = false;
	if (sigsetjmp(bus_jmp, 0) == 0) {
		bus_armed = 1;
		while (done < len) {
			size_t o = off + done;
			size_t l = f->ps - o % f->ps;

			if (l > len - done)
				l = len - done;
			if (kind == OP_MWRITE)
				memcpy(m + (o - pstart), f->buf + done, l);
			else
				memcpy(f->rbuf + done, m + (o - pstart), l);
			done += l;
		}
		if (kind == OP_MPRIV) {
			/* scribble over the private copy; the file must not change */
			fill(f->buf, len, f->opnum, off);
			memcpy(m + (off - pstart), f->buf, len);
		}
		bus_armed = 0;
		return done;
	}
	/* siglongjmp(.., 0) left SIGBUS blocked: unblock it for the next one */
	sigemptyset(&set);
	sigaddset(&set, SIGBUS);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	*bus = true;
	return done;
}

static int op_mmap(struct fsx *f, struct rec *r, int kind)
{
	size_t off, len, pstart, maplen, done;
	const char *what = op_names[kind];
	uint8_t *m;
	int prot = kind == OP_MREAD ? PROT_READ : PROT_READ | PROT_WRITE;
	bool bus;

	if (!f->size)
		return 1;
	off = below(f, f->size);
	len = gen_len(f);
	if (len > f->size - off)
		len = f->size - off;
	pstart = off - off % f->ps;
	maplen = off + len - pstart;
	r->off = off;
	r->len = len;
	m = mmap(NULL, maplen, prot, kind == OP_MPRIV ? MAP_PRIVATE : MAP_SHARED, f->fd, pstart);
	if (m == MAP_FAILED)
		return fail(f, off, "%s: mmap of 0x%zx at 0x%zx: %s", what, maplen, pstart, strerror(errno));
	if (kind == OP_MWRITE)
		fill(f->buf, len, f->opnum, off);
	done = guarded_copy(f, m, pstart, off, len, kind, &bus);
	if (bus && check_sigbus(f, what, off + done)) {
		munmap(m, maplen);
		return -1;
	}
	r->ret = done;
	if (kind == OP_MWRITE) {
		int e = 0;

		switch (below(f, 3)) {
		case 0:
			e = msync(m, maplen, MS_SYNC) ? errno : 0;
			break;
		case 1:
			e = msync(m, maplen, MS_ASYNC) ? errno : 0;
			break;
		}
		munmap(m, maplen);
		if (e)
			return fail(f, off, "msync: %s", strerror(e));
		apply_write(f, off, f->buf, done);
		maybe_range(f, off, off + done);
		after_read(f, off, true);
		return 0;
	}
	munmap(m, maplen);
	if (check_bytes(f, what, off, f->rbuf, done))
		return -1;
	maybe_range(f, pstart, off + done);
	after_read(f, off, true);
	if (kind == OP_MPRIV) {
		if (rpc_pread_full(f->fd, f->rbuf, len, off) != (ssize_t)len)
			return fail(f, off, "pread after private mmap: %s", strerror(errno));
		if (check_bytes(f, "file after a MAP_PRIVATE write", off, f->rbuf, len))
			return -1;
	}
	return 0;
}

static int op_truncate(struct fsx *f, struct rec *r)
{
	size_t ns;

	if (below(f, 100) < 60)
		ns = below(f, f->size + 1);
	else
		ns = below(f, f->maxlen + 1);
	r->off = ns;
	r->len = 0;
	r->ret = ftruncate(f->fd, ns);
	r->err = r->ret ? errno : 0;
	if (r->ret)
		return fail(f, ns, "ftruncate to 0x%zx: %s", ns, strerror(errno));
	model_truncate(f, ns);
	return 0;
}

static int op_fallocate(struct fsx *f, struct rec *r, int kind)
{
	size_t off = gen_off(f, f->maxlen), len = gen_len(f), end, ns;
	int mode;

	if (len > f->maxlen - off)
		len = f->maxlen - off;
	end = off + len;
	switch (kind) {
	case OP_PUNCH:
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		break;
	case OP_FALLOC:
		mode = 0;
		break;
	case OP_FALLOC_KEEP:
		mode = FALLOC_FL_KEEP_SIZE;
		break;
	case OP_ZERO:
		mode = FALLOC_FL_ZERO_RANGE;
		break;
	default:
		mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		break;
	}
	r->off = off;
	r->len = len;
	r->ret = fallocate(f->fd, mode, off, len);
	r->err = r->ret ? errno : 0;
	if (r->ret && errno == EOPNOTSUPP && (kind == OP_ZERO || kind == OP_ZERO_KEEP) &&
	    !rpc_is_module_fs()) {
		say("FALLOC_FL_ZERO_RANGE is not supported by %s: no zero range operations",
		    rpc_fstype());
		f->zero_ok = false;
		f->wsum -= f->weights[OP_ZERO] + f->weights[OP_ZERO_KEEP];
		f->weights[OP_ZERO] = f->weights[OP_ZERO_KEEP] = 0;
		return 1;
	}
	if (r->ret && !(errno == ENOSPC && kind != OP_PUNCH))
		return fail(f, off, "fallocate(mode 0x%x, 0x%zx, 0x%zx): %s", mode, off, len,
			    strerror(errno));
	if (r->ret) {
		/* ENOSPC: no size change; pages may or may not stay allocated */
		f->enospc++;
		if (!f->limited)
			return fail(f, off, "fallocate(mode 0x%x): ENOSPC on a mount without size limit", mode);
		maybe_range(f, off, end);
		if (kind == OP_ZERO || kind == OP_ZERO_KEEP) {
			/* a failed zero range may have zeroed part of the range: adopt */
			size_t b = end < f->size ? end : f->size;

			if (off < b) {
				if (rpc_pread_full(f->fd, f->rbuf, b - off, off) != (ssize_t)(b - off))
					return fail(f, off, "re-read after zero range ENOSPC failed");
				for (size_t i = 0; i < b - off; i++)
					if (f->rbuf[i] && f->rbuf[i] != f->model[off + i])
						return check_bytes(f, "after zero range ENOSPC", off,
								   f->rbuf, b - off);
				memcpy(f->model + off, f->rbuf, b - off);
			}
		}
		return 0;
	}
	ns = (mode & FALLOC_FL_KEEP_SIZE) || end <= f->size ? f->size : end;
	switch (kind) {
	case OP_PUNCH:
		if (off < f->size)
			memset(f->model + off, 0, (end < f->size ? end : f->size) - off);
		set_pages(f, off, end, PS_HOLE);
		break;
	case OP_FALLOC:
	case OP_FALLOC_KEEP:
		maybe_range(f, off, end);
		f->size = ns;
		break;
	default:
		f->size = ns;
		if (off < ns)
			memset(f->model + off, 0, (end < ns ? end : ns) - off);
		set_pages(f, off, end, PS_MAYBE);
		maybe_range(f, off, end);
		break;
	}
	return 0;
}

static int op_copy(struct fsx *f, struct rec *r)
{
	loff_t in, out;
	size_t soff, doff, len, want;
	long got;
	int tries;

	if (!f->size)
		return 1;
	soff = below(f, f->size);
	len = gen_len(f);
	for (tries = 0; tries < 8; tries++) {
		doff = gen_off(f, f->maxlen);
		if (len > f->maxlen - doff)
			len = f->maxlen - doff;
		if (doff + len <= soff || soff + len <= doff)
			break;
	}
	if (tries == 8)
		return 1;
	want = f->size - soff < len ? f->size - soff : len;
	r->off = soff;
	r->off2 = doff;
	r->len = len;
	/* the source as the model has it now (the ranges do not overlap) */
	memcpy(f->buf, f->model + soff, want);
	in = soff;
	out = doff;
	got = syscall(__NR_copy_file_range, f->fd, &in, f->fd, &out, len, 0);
	if (got >= 0 && (in != (loff_t)(soff + got) || out != (loff_t)(doff + got)))
		return fail(f, doff, "copy_file_range returned %ld but moved the offsets by %lld and %lld",
			    got, (long long)(in - soff), (long long)(out - doff));
	if (got >= 0 && (size_t)got > want)
		return fail(f, doff, "copy_file_range of %zu from 0x%zx (size 0x%zx) returned %ld",
			    len, soff, f->size, got);
	if (finish_write(f, r, "copy_file_range", doff, want, got, f->buf))
		return -1;
	after_read(f, soff, false);
	return 0;
}

static int run_one(struct fsx *f, int op, struct rec *r)
{
	switch (op) {
	case OP_READ:
	case OP_READV:
		return op_read(f, r, op == OP_READV);
	case OP_WRITE:
	case OP_WRITEV:
	case OP_APPEND:
		return op_write(f, r, op);
	case OP_MREAD:
	case OP_MWRITE:
	case OP_MPRIV:
		return op_mmap(f, r, op);
	case OP_TRUNC:
		return op_truncate(f, r);
	case OP_PUNCH:
	case OP_FALLOC:
	case OP_FALLOC_KEEP:
	case OP_ZERO:
	case OP_ZERO_KEEP:
		return op_fallocate(f, r, op);
	case OP_COPY:
		return op_copy(f, r);
	case OP_SEEK:
		r->off = below(f, f->size + 2 * f->ps + 1);
		return check_seek_at(f, r->off);
	case OP_FSYNC:
		r->ret = below(f, 2) ? fsync(f->fd) : fdatasync(f->fd);
		r->err = r->ret ? errno : 0;
		return r->ret ? fail(f, -1, "fsync/fdatasync: %s", strerror(errno)) : 0;
	case OP_REOPEN:
		close(f->fd);
		close(f->afd);
		return do_open(f, 0);
	}
	return 1;
}

/*
 * Does reading a hole (pread; a read fault) instantiate pages, and how
 * many? Sets reads_populate / faults_populate.
 */
static int probe(struct fsx *f)
{
	char p[PATH_MAX];
	struct stat st;
	long ps = f->ps;
	char c;
	uint8_t *m;
	int fd;

	rpc_path(p, sizeof(p), f->dir, "probe");
	fd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 64 * ps))
		return fail(f, -1, "probe file: %s", strerror(errno));
	if (pread(fd, &c, 1, 8 * ps) != 1 || c || fstat(fd, &st))
		return fail(f, -1, "probe: reading a hole: %s", strerror(errno));
	f->reads_populate = st.st_blocks != 0;
	if (ftruncate(fd, 0) || ftruncate(fd, 64 * ps))
		return fail(f, -1, "probe: ftruncate: %s", strerror(errno));
	m = mmap(NULL, 64 * ps, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail(f, -1, "probe: mmap: %s", strerror(errno));
	c = m[32 * ps];
	munmap(m, 64 * ps);
	if (c || fstat(fd, &st))
		return fail(f, -1, "probe: read fault of a hole");
	f->faults_populate = st.st_blocks * 512 > ps;
	close(fd);
	unlink(p);
	say("probe: pread of a hole instantiates %s; a read fault instantiates %s",
	    f->reads_populate ? "pages" : "nothing",
	    f->faults_populate ? "more than the faulting page" : "at most the faulting page");
	return 0;
}

static int fsx_exec(const char *dir, bool limited, long nops)
{
	struct fsx *f = calloc(1, sizeof(*f));
	struct timespec t0, t1;
	double secs;
	int ret = -1;

	if (!f)
		return -1;
	f->dir = dir;
	f->limited = limited;
	f->ps = rpc_page_size();
	f->maxlen = cfg.maxlen;
	f->maxop = cfg.maxop < cfg.maxlen ? cfg.maxop : cfg.maxlen;
	f->npages = f->maxlen / f->ps + 2;
	f->rng = cfg.seed * 0x2545F4914F6CDD1DULL + (limited ? 77 : 0);
	f->zero_ok = true;
	f->model = calloc(1, f->maxlen + f->ps);
	f->buf = malloc(f->maxlen + f->ps);
	f->rbuf = malloc(f->maxlen + f->ps + 1);
	f->pst = calloc(1, f->npages);
	if (!f->model || !f->buf || !f->rbuf || !f->pst)
		goto out;
	for (int i = 0; i < OP_NR; i++) {
		f->weights[i] = op_weight[i];
		if (!cfg.mmap && (i == OP_MREAD || i == OP_MWRITE || i == OP_MPRIV))
			f->weights[i] = 0;
		f->wsum += f->weights[i];
	}
	rpc_path(f->path, sizeof(f->path), dir, "fsx-file");
	fprintf(stderr, "# fsx seed %llu\n", cfg.seed);
	say("seed %llu, %ld ops, max file size %zu, max op size %zu, mmap %s, %s mount",
	    cfg.seed, nops, f->maxlen, f->maxop, cfg.mmap ? "on" : "off",
	    limited ? "size-limited" : "unlimited");
	if (probe(f) || do_open(f, O_CREAT | O_TRUNC))
		goto out;
	signal(SIGBUS, on_sigbus);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (f->opnum = 1; f->opnum <= nops; f->opnum++) {
		struct rec *r = &f->ring[f->nrec % RING];
		int pick = below(f, f->wsum), op, rc;

		for (op = 0; pick >= f->weights[op]; op++)
			pick -= f->weights[op];
		memset(r, 0, sizeof(*r));
		r->n = f->opnum;
		r->op = op;
		r->size_before = r->size_after = f->size;
		f->nrec++;
		rc = run_one(f, op, r);
		r->size_after = f->size;
		if (rc < 0)
			goto out;
		if (rc > 0) {
			f->nop[op]++;
		} else {
			f->count[op]++;
			/* reads are checked by the next modifying op's size check */
			if (op != OP_READ && op != OP_READV && op != OP_MREAD && op != OP_SEEK &&
			    op != OP_FSYNC && check_size(f, op_names[op]))
				goto out;
		}
		if (f->opnum % cfg.verify_every == 0 && full_verify(f, "full verification"))
			goto out;
		if (cfg.soak && f->opnum % 100000 == 0)
			say("%ld ops done", f->opnum);
	}
	f->opnum--;
	if (full_verify(f, "final verification"))
		goto out;
	/* and once more through a fresh open */
	close(f->fd);
	close(f->afd);
	if (do_open(f, 0) || full_verify(f, "verification after reopen"))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	say("%ld ops in %.2f s (%.0f ops/s); ENOSPC %ld, short writes %ld, SIGBUS %ld; final size 0x%zx",
	    nops, secs, nops / (secs > 0 ? secs : 1), f->enospc, f->shorts, f->sigbus, f->size);
	if (!cfg.quiet) {
		char line[1024] = "";

		for (int i = 0; i < OP_NR; i++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s %ld%s",
				 op_names[i], f->count[i], f->nop[i] ? "+" : "");
		say("done:%s", line);
	}
	ret = 0;
out:
	signal(SIGBUS, SIG_DFL);
	if (f->fd > 0)
		close(f->fd);
	if (f->afd > 0)
		close(f->afd);
	free(f->model);
	free(f->buf);
	free(f->rbuf);
	free(f->pst);
	free(f);
	return ret;
}

/* ---- harness glue ---- */

FIXTURE(fsx) {
	char dir[64];
	struct rpc_memcg cg;
};

FIXTURE_VARIANT(fsx) {
	bool limited;
	bool swap;
};

FIXTURE_VARIANT_ADD(fsx, unlimited) { .limited = false };
FIXTURE_VARIANT_ADD(fsx, enospc) { .limited = true };
FIXTURE_VARIANT_ADD(fsx, swap) { .swap = true };

/*
 * The swap variant: the mount's own swap on $RPC_SWAP_DEV, the test in a
 * memcg, and a churner in it that asks memory.reclaim for 1 MiB every 2 ms,
 * so pages the operations left alone go out and come back all the time.
 */
static void start_swap_churn(struct __test_metadata *_metadata, FIXTURE_DATA(fsx) *self)
{
	const char *dev = getenv("RPC_SWAP_DEV");
	char cmd[256], why[256], opts[160], p[PATH_MAX + 32];
	pid_t pid;

	if (!rpc_is_module_fs())
		SKIP(return, "swap= is rust_pagecache's own");
	if (!dev || !*dev)
		SKIP(return, "no swap disk (RPC_SWAP_DEV)");
	snprintf(cmd, sizeof(cmd), "swapoff %s 2>/dev/null; mkswap -f %s >/dev/null 2>&1", dev, dev);
	ASSERT_EQ(0, system(cmd));
	snprintf(opts, sizeof(opts), "swap=%s", dev);
	ASSERT_EQ(0, rpc_mount_opts(self->dir, opts));
	if (rpc_memcg_create(&self->cg, why, sizeof(why)) || self->cg.v != 2)
		SKIP(return, "needs cgroup v2: %s", why);
	ASSERT_EQ(0, rpc_memcg_enter(&self->cg, 0));
	snprintf(p, sizeof(p), "%s/memory.reclaim", self->cg.path);
	pid = rpc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			rpc_write_str(p, "1M");
			usleep(2000);
		}
	}
}

FIXTURE_SETUP(fsx)
{
	char opts[64] = "";
	int r;

	if (variant->swap) {
		start_swap_churn(_metadata, self);
		return;
	}
	/* size= a quarter of the maximum file size: ENOSPC is frequent */
	if (variant->limited)
		snprintf(opts, sizeof(opts), "size=%zuk", cfg.maxlen / 4 / 1024);
	r = rpc_mount_opts(self->dir, opts);
	ASSERT_EQ(0, r) TH_LOG("mount %s -o '%s': %s", rpc_fstype(), opts, strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(fsx)
{
	/* Kills the churner (and the test, if it is still there). */
	rpc_memcg_destroy(&self->cg);
	rpc_umount(self->dir);
}

static long long swap_stat(const char *mnt, const char *key)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	long long v = -1;

	if (rpc_pc_debugfs_dir(mnt, dir, sizeof(dir)))
		return -1;
	snprintf(p, sizeof(p), "%s/stats", dir);
	return rpc_keyed_value(p, key, &v) ? -1 : v;
}

TEST_F_TIMEOUT(fsx, run, FSX_DEFAULT_TIMEOUT)
{
	long n = variant->limited || variant->swap ? cfg.enospc_ops : cfg.ops;

	ASSERT_EQ(0, fsx_exec(self->dir, variant->limited, n));
	if (variant->swap) {
		long long out = swap_stat(self->dir, "swapped_out"), in = swap_stat(self->dir, "swapped_in");

		TH_LOG("swap churn: %lld pages swapped out, %lld swapped in", out, in);
		/* The churn happened: pages went out and the operations read them back. */
		EXPECT_GT(out, 0);
		EXPECT_GT(in, 0);
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"fsx options (given before the harness options):\n"
		"  %s [-s SEED] [-n OPS] [-N OPS] [-L MAXLEN] [-O MAXOP] [-I VERIFY] [-M] [-S] [-q]\n"
		"  -s random seed (default 1)          -n ops of the unlimited run (default %ld)\n"
		"  -N ops of the enospc run (n / 4)    -L maximum file size (default 1 MiB)\n"
		"  -O maximum op size (default 64 KiB) -I full verification interval (default 1000)\n"
		"  -M no mmap operations               -S soak: 50x ops, 4 MiB files\n"
		"  -q no operation statistics          -T harness timeout per run, s (default scales with ops)\n"
		"env: RPC_FSX_SEED, RPC_FSX_OPS, RPC_FSX_SOAK=1\n", argv0, FSX_DEFAULT_OPS);
}

int main(int argc, char **argv)
{
	char **hargv = calloc(argc + 1, sizeof(char *));
	bool ops_set = false, len_set = false;
	const char *e;
	int hargc = 0;
	double scale;
	long timeout = 0;

	hargv[hargc++] = argv[0];
	if ((e = getenv("RPC_FSX_SEED")) && *e)
		cfg.seed = strtoull(e, NULL, 0);
	if ((e = getenv("RPC_FSX_OPS")) && *e) {
		cfg.ops = strtol(e, NULL, 0);
		ops_set = true;
	}
	if ((e = getenv("RPC_FSX_SOAK")) && *e && strcmp(e, "0"))
		cfg.soak = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;

		if (!strcmp(a, "-s") && has) {
			cfg.seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(a, "-n") && has) {
			cfg.ops = strtol(argv[++i], NULL, 0);
			ops_set = true;
		} else if (!strcmp(a, "-N") && has) {
			cfg.enospc_ops = strtol(argv[++i], NULL, 0);
		} else if (!strcmp(a, "-L") && has) {
			cfg.maxlen = strtoul(argv[++i], NULL, 0);
			len_set = true;
		} else if (!strcmp(a, "-O") && has) {
			cfg.maxop = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(a, "-I") && has) {
			cfg.verify_every = strtol(argv[++i], NULL, 0);
		} else if (!strcmp(a, "-M")) {
			cfg.mmap = false;
		} else if (!strcmp(a, "-S")) {
			cfg.soak = true;
		} else if (!strcmp(a, "-q")) {
			cfg.quiet = true;
		} else if (!strcmp(a, "-T") && has) {
			timeout = strtol(argv[++i], NULL, 0);
		} else {
			if (!strcmp(a, "-h"))
				usage(argv[0]);
			hargv[hargc++] = argv[i];
		}
	}
	if (cfg.soak) {
		if (!ops_set)
			cfg.ops *= 50;
		if (!len_set)
			cfg.maxlen = 4 * MIB;
	}
	if (cfg.maxlen < (size_t)(2 * rpc_page_size()))
		cfg.maxlen = 2 * rpc_page_size();
	cfg.maxlen -= cfg.maxlen % rpc_page_size();
	if (cfg.maxop < 1)
		cfg.maxop = 1;
	if (cfg.verify_every < 1)
		cfg.verify_every = 1;
	if (cfg.enospc_ops < 0)
		cfg.enospc_ops = cfg.ops / 4;
	/* a longer run gets a proportionally longer harness timeout */
	scale = (double)(cfg.ops > cfg.enospc_ops ? cfg.ops : cfg.enospc_ops) / FSX_DEFAULT_OPS;
	if (scale > 1)
		_fsx_run_object->timeout = scale * FSX_DEFAULT_TIMEOUT > 2000000 ? 2000000 :
					   (int)(scale * FSX_DEFAULT_TIMEOUT);
	/* The soak shares two cores with fsstress and the swap churn. */
	if (timeout > 0)
		_fsx_run_object->timeout = timeout > 2000000 ? 2000000 : (int)timeout;
	return test_harness_run(hargc, hargv);
}
