// SPDX-License-Identifier: GPL-2.0
/*
 * The data path: write/read back at various offsets and sizes, sparse
 * files, O_APPEND, truncate down and up, reads past EOF, two file
 * descriptors, close/reopen, drop_caches, an 8 MiB checksum, mmap, and the
 * splice based copy paths, O_DIRECT.
 *
 * tmpfs behaviour this encodes (checked on the host):
 *  - Data is not lost by "echo 3 > /proc/sys/vm/drop_caches": the page
 *    cache is the only copy, so it must not be dropped.
 *  - Truncating into the middle of a page and extending again reads zeros
 *    after the old truncation point (the tail of the page is zeroed).
 *  - O_DIRECT opens (since 6.6) and has no alignment rules: aligned and
 *    unaligned buffers, offsets and lengths all work, served from the page
 *    cache, and buffered readers see the data at once.
 */
#include "rpc_util.h"
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include "kselftest_harness.h"

#define KIB 1024
#define MIB (1024 * 1024)


FIXTURE(data) {
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(data)
{
	int r;

	umask(0);
	r = rpc_mount_dir(self->dir, "", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(data)
{
	rpc_umount(self->dir);
}

static int new_file(int dfd, const char *name)
{
	return openat(dfd, name, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
}

/* ---- sizes x offsets ---- */

FIXTURE(io) {
	char dir[64];
	int dfd;
};

FIXTURE_VARIANT(io) {
	size_t size;
};

FIXTURE_VARIANT_ADD(io, size_1) { .size = 1 };
FIXTURE_VARIANT_ADD(io, size_4095) { .size = 4095 };
FIXTURE_VARIANT_ADD(io, size_4096) { .size = 4096 };
FIXTURE_VARIANT_ADD(io, size_4097) { .size = 4097 };
FIXTURE_VARIANT_ADD(io, size_65536) { .size = 65536 };
FIXTURE_VARIANT_ADD(io, size_1mib) { .size = MIB };
FIXTURE_VARIANT_ADD(io, size_1mib_plus_3) { .size = MIB + 3 };

FIXTURE_SETUP(io)
{
	int r;

	r = rpc_mount_dir(self->dir, "", &self->dfd);
	ASSERT_EQ(0, r) TH_LOG("mount %s: %s", rpc_fstype(), strerror(-r));
}

FIXTURE_TEARDOWN_PARENT(io)
{
	rpc_umount(self->dir);
}

static const off_t offsets[] = { 0, 1, 4095, 4096, 4097, 65537, 3 * MIB + 5 };

TEST_F(io, pwrite_then_pread_at_offsets)
{
	size_t size = variant->size;
	char *buf = malloc(size + 3 * MIB + 8192);

	ASSERT_NE(NULL, buf);
	for (size_t k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
		off_t off = offsets[k];
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "f%zu", k);
		fd = new_file(self->dfd, name);
		ASSERT_LE(0, fd);
		rpc_fill_pattern(buf, size, k + 1, off);
		ASSERT_EQ((ssize_t)size, rpc_pwrite_full(fd, buf, size, off));
		EXPECT_EQ((long long)(off + size), rpc_file_size(fd));
		memset(buf, 0xee, off + size + 10);
		/* read everything, asking for more than there is */
		ASSERT_EQ((ssize_t)(off + size), rpc_pread_full(fd, buf, off + size + 10, 0));
		EXPECT_EQ(-1, rpc_first_nonzero(buf, off)) TH_LOG("hole before offset %ld", (long)off);
		EXPECT_EQ(-1, rpc_check_pattern(buf + off, size, k + 1, off))
			TH_LOG("data at offset %ld", (long)off);
		close(fd);
	}
	free(buf);
}

TEST_F(io, sequential_writes_read_back_with_other_chunking)
{
	size_t size = variant->size, total = 0, got = 0, chunk = 3333;
	ssize_t r;
	size_t want = size < 64 * KIB ? 64 * KIB : 2 * size + 7;
	char *buf = malloc(want + size);
	char *rd = malloc(want + size + 1);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	rpc_fill_pattern(buf, want + size, 42, 0);
	fd = new_file(self->dfd, "seq");
	ASSERT_LE(0, fd);
	while (total < want) {
		r = write(fd, buf + total, size);
		ASSERT_EQ((ssize_t)size, r) TH_LOG("write: %s", strerror(errno));
		total += r;
	}
	close(fd);
	fd = openat(self->dfd, "seq", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while ((r = read(fd, rd + got, (total - got) < chunk ? (total - got) + 1 : chunk)) > 0)
		got += r;
	EXPECT_EQ(0, r);
	EXPECT_EQ(total, got);
	close(fd);
	EXPECT_EQ(-1, rpc_check_pattern(rd, total, 42, 0));
	free(buf);
	free(rd);
}

TEST_F(io, overwrite_in_the_middle_keeps_the_rest)
{
	size_t size = variant->size, len = 2 * size + 8192;
	char *buf = malloc(len), *rd = malloc(len);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	rpc_fill_pattern(buf, len, 1, 0);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, rpc_pwrite_full(fd, buf, len, 0));
	rpc_fill_pattern(buf + 4097, size, 2, 4097);
	ASSERT_EQ((ssize_t)size, rpc_pwrite_full(fd, buf + 4097, size, 4097));
	ASSERT_EQ((ssize_t)len, rpc_pread_full(fd, rd, len, 0));
	EXPECT_EQ(0, memcmp(buf, rd, len));
	EXPECT_EQ((long long)len, rpc_file_size(fd));
	close(fd);
	free(buf);
	free(rd);
}

/* ---- single behaviours ---- */

TEST_F(data, sparse_file_reads_zeros_before_data)
{
	char *buf = malloc(10 * MIB + 1);
	struct stat st;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = new_file(self->dfd, "sparse");
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, "x", 1, 10 * MIB));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(10 * MIB + 1, LL(st.st_size));
	/* only the written page is allocated */
	EXPECT_EQ(rpc_page_size() / 512, LL(st.st_blocks));
	memset(buf, 0x55, 10 * MIB + 1);
	ASSERT_EQ(10 * MIB + 1, rpc_pread_full(fd, buf, 10 * MIB + 1, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(buf, 10 * MIB));
	EXPECT_EQ('x', buf[10 * MIB]);
	close(fd);
	free(buf);
}

TEST_F(data, write_past_eof_fills_gap_with_zeros)
{
	char buf[6000];
	int fd;

	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, write(fd, "abc", 3));
	ASSERT_EQ(3, pwrite(fd, "xyz", 3, 5000));
	ASSERT_EQ(5003, rpc_pread_full(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(-1, rpc_first_nonzero(buf + 3, 4997));
	EXPECT_EQ(0, memcmp(buf + 5000, "xyz", 3));
	close(fd);
}

TEST_F(data, o_append_always_writes_at_the_end)
{
	char buf[64];
	int a, b;

	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", "start", 5, 0644));
	a = openat(self->dfd, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
	b = openat(self->dfd, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, lseek(a, 0, SEEK_SET));
	ASSERT_EQ(2, write(a, "-a", 2));
	ASSERT_EQ(2, write(b, "-b", 2));
	ASSERT_EQ(2, write(a, "-A", 2));
	/* the offset of an O_APPEND fd follows the end */
	EXPECT_EQ(11, lseek(a, 0, SEEK_CUR));
	close(a);
	close(b);
	ASSERT_EQ(11, rpc_read_filef(self->dir, "f", buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "start-a-b-A", 11));
}

TEST_F(data, truncate_down_then_up_reads_zeros)
{
	char *buf = malloc(20000), *rd = malloc(20001);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	rpc_fill_pattern(buf, 20000, 3, 0);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(20000, rpc_pwrite_full(fd, buf, 20000, 0));
	ASSERT_EQ(0, ftruncate(fd, 5000)) TH_LOG("ftruncate: %s", strerror(errno));
	EXPECT_EQ(5000, rpc_file_size(fd));
	ASSERT_EQ(5000, rpc_pread_full(fd, rd, 20001, 0));
	EXPECT_EQ(-1, rpc_check_pattern(rd, 5000, 3, 0));
	ASSERT_EQ(0, ftruncate(fd, 20000));
	EXPECT_EQ(20000, rpc_file_size(fd));
	memset(rd, 0x77, 20001);
	ASSERT_EQ(20000, rpc_pread_full(fd, rd, 20001, 0));
	EXPECT_EQ(-1, rpc_check_pattern(rd, 5000, 3, 0));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 5000, 15000)) TH_LOG("stale data after re-extension");
	close(fd);
	free(buf);
	free(rd);
}

TEST_F(data, truncate_inside_a_page_zeroes_the_tail)
{
	char buf[8192], rd[8192];
	int fd;

	memset(buf, 0xab, sizeof(buf));
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(8192, rpc_pwrite_full(fd, buf, 8192, 0));
	ASSERT_EQ(0, ftruncate(fd, 100));
	/* extend by writing past the old tail, not by truncate */
	ASSERT_EQ(1, pwrite(fd, "z", 1, 8191));
	ASSERT_EQ(8192, rpc_pread_full(fd, rd, sizeof(rd), 0));
	EXPECT_EQ(0, memcmp(rd, buf, 100));
	EXPECT_EQ(-1, rpc_first_nonzero(rd + 100, 8091));
	EXPECT_EQ('z', rd[8191]);
	close(fd);
}

TEST_F(data, truncate_by_path_and_o_trunc)
{
	char p[PATH_MAX], buf[16];
	int fd;

	rpc_path(p, sizeof(p), self->dir, "f");
	ASSERT_EQ(0, rpc_write_file(p, "0123456789", 10, 0644));
	ASSERT_EQ(0, truncate(p, 4)) TH_LOG("truncate: %s", strerror(errno));
	ASSERT_EQ(4, rpc_read_file(p, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "0123", 4));
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, rpc_file_size(fd));
	close(fd);
	EXPECT_EQ(0, rpc_read_file(p, buf, sizeof(buf)));
}

TEST_F(data, read_past_eof_returns_zero)
{
	char buf[100];
	int fd;

	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(10, write(fd, "0123456789", 10));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 10));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 1000000));
	EXPECT_EQ(5, pread(fd, buf, sizeof(buf), 5));
	ASSERT_EQ(0, ftruncate(fd, 3));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 3));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 5));
	EXPECT_EQ(3, pread(fd, buf, sizeof(buf), 0));
	/* the file position is beyond EOF now */
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(data, two_fds_see_each_others_writes)
{
	char buf[16];
	int a, b;

	a = new_file(self->dfd, "f");
	ASSERT_LE(0, a);
	b = openat(self->dfd, "f", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, b);
	ASSERT_EQ(5, pwrite(a, "hello", 5, 0));
	ASSERT_EQ(5, pread(b, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(5, pwrite(b, "world", 5, 8192));
	EXPECT_EQ(8197, rpc_file_size(a));
	ASSERT_EQ(5, pread(a, buf, 5, 8192));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	ASSERT_EQ(0, ftruncate(b, 2));
	EXPECT_EQ(2, pread(a, buf, sizeof(buf), 0));
	close(a);
	close(b);
}

TEST_F(data, data_survives_close_and_reopen)
{
	char *buf = malloc(300 * KIB);
	int fd;

	ASSERT_NE(NULL, buf);
	rpc_fill_pattern(buf, 300 * KIB, 11, 0);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", buf, 300 * KIB, 0644));
	memset(buf, 0, 300 * KIB);
	for (int i = 0; i < 3; i++) {
		fd = openat(self->dfd, "f", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(300 * KIB, rpc_pread_full(fd, buf, 300 * KIB, 0));
		EXPECT_EQ(-1, rpc_check_pattern(buf, 300 * KIB, 11, 0));
		close(fd);
	}
	free(buf);
}

TEST_F(data, data_survives_drop_caches)
{
	char *buf = malloc(2 * MIB);
	struct stat st;
	int r;

	ASSERT_NE(NULL, buf);
	rpc_fill_pattern(buf, 2 * MIB, 12, 0);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", buf, 2 * MIB, 0644));
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, rpc_write_filef(self->dir, "d/small", "small", 5, 0644));
	r = rpc_drop_caches();
	ASSERT_EQ(0, r) TH_LOG("drop_caches: %s", strerror(-r));
	memset(buf, 0, 2 * MIB);
	ASSERT_EQ(2 * MIB, rpc_read_filef(self->dir, "f", buf, 2 * MIB));
	EXPECT_EQ(-1, rpc_check_pattern(buf, 2 * MIB, 12, 0));
	ASSERT_EQ(5, rpc_read_filef(self->dir, "d/small", buf, 100));
	EXPECT_EQ(0, memcmp(buf, "small", 5));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(2 * MIB, LL(st.st_size));
	free(buf);
}

TEST_F(data, large_8mib_file_checksum)
{
	const size_t total = 8 * MIB, wchunk = 64 * KIB, rchunk = 100000;
	uint64_t wsum = RPC_FNV_INIT, rsum = RPC_FNV_INIT;
	char *buf = malloc(rchunk);
	size_t done = 0;
	ssize_t r;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = new_file(self->dfd, "big");
	ASSERT_LE(0, fd);
	for (size_t off = 0; off < total; off += wchunk) {
		rpc_fill_pattern(buf, wchunk, 77, off);
		wsum = rpc_fnv1a(wsum, buf, wchunk);
		ASSERT_EQ((ssize_t)wchunk, write(fd, buf, wchunk)) TH_LOG("write: %s", strerror(errno));
	}
	ASSERT_EQ(0, fsync(fd));
	close(fd);
	fd = openat(self->dfd, "big", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ((long long)total, rpc_file_size(fd));
	while ((r = read(fd, buf, rchunk)) > 0) {
		rsum = rpc_fnv1a(rsum, buf, r);
		done += r;
	}
	EXPECT_EQ(0, r);
	close(fd);
	EXPECT_EQ(total, done);
	EXPECT_EQ(wsum, rsum) TH_LOG("checksum mismatch: wrote %016llx read %016llx",
				     (unsigned long long)wsum, (unsigned long long)rsum);
	free(buf);
}

TEST_F(data, lseek_set_cur_end)
{
	char c;
	int fd;

	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(10, write(fd, "0123456789", 10));
	EXPECT_EQ(10, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(7, lseek(fd, -3, SEEK_END));
	ASSERT_EQ(1, read(fd, &c, 1));
	EXPECT_EQ('7', c);
	EXPECT_EQ(3, lseek(fd, 3, SEEK_SET));
	ASSERT_EQ(1, read(fd, &c, 1));
	EXPECT_EQ('3', c);
	EXPECT_EQ(-EINVAL, E(lseek(fd, -1, SEEK_SET)));
	close(fd);
}

TEST_F(data, writev_and_readv)
{
	struct iovec w[3] = {
		{ .iov_base = "one-", .iov_len = 4 },
		{ .iov_base = "two-", .iov_len = 4 },
		{ .iov_base = "three", .iov_len = 5 },
	};
	char a[6] = "", b[7] = "";
	struct iovec r[2] = { { a, 6 }, { b, 7 } };
	int fd;

	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(13, writev(fd, w, 3));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(13, readv(fd, r, 2));
	EXPECT_EQ(0, memcmp(a, "one-tw", 6));
	EXPECT_EQ(0, memcmp(b, "o-three", 7));
	close(fd);
}

TEST_F(data, fsync_and_fdatasync_succeed)
{
	int fd;

	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "data", 4));
	EXPECT_EQ(0, fsync(fd)) TH_LOG("fsync: %s", strerror(errno));
	EXPECT_EQ(0, fdatasync(fd)) TH_LOG("fdatasync: %s", strerror(errno));
	EXPECT_EQ(0, fsync(self->dfd)) TH_LOG("fsync dir: %s", strerror(errno));
	close(fd);
}

/* ---- O_DIRECT (review defect 6) ---- */

TEST_F(data, o_direct_aligned_and_unaligned)
{
	const long ps = rpc_page_size();
	const size_t len = 16 * ps;
	char *al = aligned_alloc(ps, len + ps), *rd = malloc(len + ps);
	int fd, bfd;

	ASSERT_NE(NULL, al);
	ASSERT_NE(NULL, rd);
	fd = openat(self->dfd, "d", O_CREAT | O_RDWR | O_DIRECT | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd) TH_LOG("open(O_DIRECT): %s", strerror(errno));
	bfd = openat(self->dfd, "d", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, bfd);
	/* aligned buffer, offset and length */
	rpc_fill_pattern(al, len, 90, 0);
	ASSERT_EQ((ssize_t)len, pwrite(fd, al, len, 0));
	memset(rd, 0, len);
	ASSERT_EQ((ssize_t)len, pread(bfd, rd, len, 0));
	EXPECT_EQ(-1, rpc_check_pattern(rd, len, 90, 0)) TH_LOG("buffered read after a direct write");
	memset(al, 0, len);
	ASSERT_EQ((ssize_t)len, pread(fd, al, len, 0));
	EXPECT_EQ(-1, rpc_check_pattern(al, len, 90, 0));
	/* unaligned buffer, offset and length: no EINVAL */
	rpc_fill_pattern(al + 1, 1000, 91, 4097);
	EXPECT_EQ(1000, E(pwrite(fd, al + 1, 1000, 4097)));
	memset(al, 0, len);
	EXPECT_EQ(1000, E(pread(fd, al + 3, 1000, 4097)));
	EXPECT_EQ(-1, rpc_check_pattern(al + 3, 1000, 91, 4097));
	/* past EOF: short, then 0 */
	EXPECT_EQ(7, E(pread(fd, al, 100, len - 7)));
	EXPECT_EQ(0, E(pread(fd, al, 100, len + 9)));
	/* fcntl can turn it off and on again */
	EXPECT_EQ(0, fcntl(bfd, F_SETFL, O_DIRECT));
	EXPECT_TRUE(fcntl(bfd, F_GETFL) & O_DIRECT);
	close(bfd);
	close(fd);
	free(al);
	free(rd);
}

/* Runs fio with direct=1 and verification on dir; fio's exit status, or -1. */
static int fio_direct(const char *dir, const char *job)
{
	char cmd[PATH_MAX + 512];
	int status;

	snprintf(cmd, sizeof(cmd), "fio --directory=%s --direct=1 --ioengine=psync --verify_fatal=1 "
		 "%s --output=/dev/null >/dev/null 2>&1", dir, job);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F_TIMEOUT(data, fio_direct_verify, 180)
{
	if (system("command -v fio >/dev/null 2>&1"))
		SKIP(return, "no fio");
	EXPECT_EQ(0, fio_direct(self->dir, "--name=direct --rw=randrw --bs=4k --size=8m --numjobs=2 "
				"--verify=crc32c --do_verify=1"));
	/* unaligned direct I/O through fio too (1536-byte blocks at 512-byte offsets) */
	EXPECT_EQ(0, fio_direct(self->dir, "--name=odd --rw=randwrite --bs=1536 --blockalign=512 "
				"--size=2m --verify=md5"));
}

TEST_F(data, mmap_shared_write_is_seen_by_read)
{
	long ps = rpc_page_size();
	size_t len = 4 * ps;
	char *m, *rd = malloc(len);
	int fd;

	ASSERT_NE(NULL, rd);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, rpc_first_nonzero(m, len));
	rpc_fill_pattern(m, len, 21, 0);
	ASSERT_EQ((ssize_t)len, rpc_pread_full(fd, rd, len, 0));
	EXPECT_EQ(-1, rpc_check_pattern(rd, len, 21, 0));
	EXPECT_EQ(0, msync(m, len, MS_SYNC));
	munmap(m, len);
	close(fd);
	ASSERT_EQ((ssize_t)len, rpc_read_filef(self->dir, "f", rd, len));
	EXPECT_EQ(-1, rpc_check_pattern(rd, len, 21, 0));
	free(rd);
}

TEST_F(data, write_is_seen_through_existing_mmap)
{
	long ps = rpc_page_size();
	size_t len = 3 * ps;
	char *m, *buf = malloc(len);
	int fd;

	ASSERT_NE(NULL, buf);
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, m[ps]);
	rpc_fill_pattern(buf, len, 22, 0);
	ASSERT_EQ((ssize_t)len, rpc_pwrite_full(fd, buf, len, 0));
	EXPECT_EQ(-1, rpc_check_pattern(m, len, 22, 0));
	munmap(m, len);
	close(fd);
	free(buf);
}

/*
 * The write path copies into a locked folio with page faults disabled and
 * faults the source in only after a copy came back empty (as
 * generic_perform_write): sources that are not resident yet.
 */
TEST_F(data, write_from_unfaulted_mappings)
{
	long ps = rpc_page_size();
	size_t len = 3 * ps + 100;
	char *src, *self_map, *rd = malloc(len), *buf = malloc(len);
	int fd, sfd;

	ASSERT_NE(NULL, rd);
	ASSERT_NE(NULL, buf);
	/* Another file of the mount, mapped but never touched. */
	sfd = new_file(self->dfd, "src");
	ASSERT_LE(0, sfd);
	rpc_fill_pattern(buf, len, 31, 0);
	ASSERT_EQ((ssize_t)len, rpc_pwrite_full(sfd, buf, len, 0));
	src = mmap(NULL, len, PROT_READ, MAP_SHARED, sfd, 0);
	ASSERT_NE(MAP_FAILED, src) TH_LOG("mmap: %s", strerror(errno));
	fd = new_file(self->dfd, "f");
	ASSERT_LE(0, fd);
	EXPECT_EQ((ssize_t)len, pwrite(fd, src, len, 5)) TH_LOG("pwrite: %s", strerror(errno));
	ASSERT_EQ((ssize_t)len, rpc_pread_full(fd, rd, len, 5));
	EXPECT_EQ(-1, rpc_check_pattern(rd, len, 31, 0));

	/*
	 * The file's own hole as the source, at the very page being written:
	 * the fault that brings the source in creates the folio the write
	 * then finds. Must neither deadlock nor lose the data around it.
	 */
	ASSERT_EQ(0, ftruncate(fd, 8 * ps));
	self_map = mmap(NULL, 8 * ps, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, self_map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(ps, pwrite(fd, self_map + 6 * ps, ps, 6 * ps)) TH_LOG("pwrite: %s", strerror(errno));
	EXPECT_EQ(-1, rpc_first_nonzero(self_map + 6 * ps, ps));
	ASSERT_EQ((ssize_t)len, rpc_pread_full(fd, rd, len, 5));
	EXPECT_EQ(-1, rpc_check_pattern(rd, len, 31, 0));

	/* A source whose second page is not readable: a short write. */
	munmap(src, len);
	src = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	rpc_fill_pattern(src, ps, 32, 0);
	ASSERT_EQ(0, mprotect(src + ps, ps, PROT_NONE));
	EXPECT_EQ(ps, pwrite(fd, src, 2 * ps, 2 * ps)) TH_LOG("short write expected");
	EXPECT_EQ(-1, pwrite(fd, src + ps, ps, 2 * ps));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(ps, rpc_pread_full(fd, rd, ps, 2 * ps));
	EXPECT_EQ(-1, rpc_check_pattern(rd, ps, 32, 0));
	EXPECT_EQ(8 * ps, rpc_file_size(fd));
	munmap(src, 2 * ps);
	munmap(self_map, 8 * ps);
	close(fd);
	close(sfd);
	free(rd);
	free(buf);
}

TEST_F(data, mmap_private_write_does_not_reach_the_file)
{
	long ps = rpc_page_size();
	char *m, buf[8];
	int fd;

	ASSERT_EQ(0, rpc_write_filef(self->dir, "f", "original", 8, 0644));
	fd = openat(self->dfd, "f", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	m = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(m, "original", 8));
	memcpy(m, "modified", 8);
	munmap(m, ps);
	ASSERT_EQ(8, pread(fd, buf, 8, 0));
	EXPECT_EQ(0, memcmp(buf, "original", 8));
	close(fd);
}

TEST_F(data, copy_file_range_and_sendfile_copy_data)
{
	const size_t len = 300 * KIB + 17;
	char *buf = malloc(len), *rd = malloc(len + 1);
	loff_t in_off = 0, out_off = 0;
	off_t soff = 0;
	size_t done = 0;
	int in, out;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rd);
	rpc_fill_pattern(buf, len, 31, 0);
	ASSERT_EQ(0, rpc_write_filef(self->dir, "src", buf, len, 0644));
	in = openat(self->dfd, "src", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, in);
	out = new_file(self->dfd, "cfr");
	ASSERT_LE(0, out);
	while (done < len) {
		long r = syscall(__NR_copy_file_range, in, &in_off, out, &out_off, len - done, 0);

		ASSERT_LT(0, r) TH_LOG("copy_file_range: %s", strerror(errno));
		done += r;
	}
	close(out);
	ASSERT_EQ((ssize_t)len, rpc_read_filef(self->dir, "cfr", rd, len + 1));
	EXPECT_EQ(0, memcmp(buf, rd, len));

	out = new_file(self->dfd, "sf");
	ASSERT_LE(0, out);
	done = 0;
	while (done < len) {
		ssize_t r = sendfile(out, in, &soff, len - done);

		ASSERT_LT(0, r) TH_LOG("sendfile: %s", strerror(errno));
		done += r;
	}
	close(out);
	close(in);
	ASSERT_EQ((ssize_t)len, rpc_read_filef(self->dir, "sf", rd, len + 1));
	EXPECT_EQ(0, memcmp(buf, rd, len));
	free(buf);
	free(rd);
}

TEST_HARNESS_MAIN
