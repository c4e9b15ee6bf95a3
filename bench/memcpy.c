// SPDX-License-Identifier: GPL-2.0
/*
 * The ceiling for `make bench`: memcpy bandwidth inside the VM, copying a
 * buffer as large as the benchmark's files into a 1 MiB destination (what
 * a 1 MiB sequential read does), for at least a given number of seconds.
 * Prints "memcpy_MBps <value>".
 *   memcpy [size_mib] [seconds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t size = (argc > 1 ? strtoul(argv[1], NULL, 0) : 64) << 20;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 3;
	size_t chunk = 1 << 20, copied = 0;
	char *src = malloc(size), *dst = malloc(chunk);
	double t0, t;

	if (!src || !dst)
		return 1;
	memset(src, 0x5a, size);
	memset(dst, 0, chunk);
	t0 = now();
	do {
		for (size_t off = 0; off < size; off += chunk) {
			memcpy(dst, src + off, chunk);
			/* Keep the copy from being optimised away. */
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		copied += size;
		t = now();
	} while (t - t0 < secs);
	printf("memcpy_MBps %.1f\n", copied / (t - t0) / 1e6);
	return 0;
}
