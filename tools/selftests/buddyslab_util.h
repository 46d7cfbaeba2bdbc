/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the buddyslab selftests: each returns 0 or -errno, so a
 * test can assert the exact error a call must give.
 */
#ifndef BUDDYSLAB_UTIL_H
#define BUDDYSLAB_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uapi/buddyslab.h>

#define BS_DEVICE	"/dev/buddyslab"
#define BS_DEBUGFS	"/sys/kernel/debug/buddyslab"

static inline int bs_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int bs_info(int fd, struct buddyslab_info *info)
{
	memset(info, 0, sizeof(*info));
	return bs_ioctl(fd, BUDDYSLAB_IOC_INFO, info);
}

static inline uint64_t bs_free_bytes(int fd)
{
	struct buddyslab_info info;

	return bs_info(fd, &info) ? UINT64_MAX : info.free_bytes;
}

static inline int bs_alloc(int fd, uint32_t allocator, uint64_t size,
			   uint32_t cache_id, uint32_t policy,
			   struct buddyslab_alloc *req)
{
	memset(req, 0, sizeof(*req));
	req->size = size;
	req->allocator = allocator;
	req->cache_id = cache_id;
	req->policy = policy;
	return bs_ioctl(fd, BUDDYSLAB_IOC_ALLOC, req);
}

static inline int bs_alloc_buddy(int fd, uint64_t size,
				 struct buddyslab_alloc *req)
{
	return bs_alloc(fd, BUDDYSLAB_ALLOC_BUDDY, size, 0, 0, req);
}

/* From the slab size classes. */
static inline int bs_alloc_slab(int fd, uint64_t size,
				struct buddyslab_alloc *req)
{
	return bs_alloc(fd, BUDDYSLAB_ALLOC_SLAB, size, 0, 0, req);
}

static inline int bs_alloc_fit(int fd, uint64_t size, uint32_t policy,
			       struct buddyslab_alloc *req)
{
	return bs_alloc(fd, BUDDYSLAB_ALLOC_FIT, size, 0, policy, req);
}

static inline int bs_free(int fd, uint64_t handle)
{
	struct buddyslab_free req = { .handle = handle };

	return bs_ioctl(fd, BUDDYSLAB_IOC_FREE, &req);
}

static inline int bs_stats(int fd, struct buddyslab_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return bs_ioctl(fd, BUDDYSLAB_IOC_STATS, stats);
}

/*
 * Bring every cached free block and empty slab back to the buddy: allocate
 * the region whole, arena by arena (a request that fails makes the
 * allocators give back what their caches hold, and is tried again), then
 * free it. Returns 0 if the whole region could be allocated.
 */
static inline int bs_reclaim(int fd, const struct buddyslab_info *info)
{
	struct buddyslab_alloc req;
	uint64_t handles[256];
	unsigned int i, n = 0;
	int ret = 0;

	if (info->nr_arenas > 256)
		return -E2BIG;
	while (n < info->nr_arenas) {
		ret = bs_alloc_buddy(fd, info->arena_bytes, &req);
		if (ret)
			break;
		handles[n++] = req.handle;
	}
	for (i = 0; i < n; i++)
		bs_free(fd, handles[i]);
	return ret;
}

/* splitmix64's finaliser: a bijection of 64-bit words that mixes well. */
static inline uint64_t bs_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Stamps: what a test writes to memory to know, byte by byte, that it reads
 * back what it wrote. The stamp byte at device offset @offset depends on
 * @tag (put in it whatever must tell writers apart: a pid, a handle) and on
 * the offset, so stamps of different writers, and of different places of
 * one writer, differ; and it is never 0, so a stamp never reads as cleared
 * memory, nor cleared memory as a stamp.
 */
static inline uint8_t bs_stamp_byte(uint64_t tag, uint64_t offset)
{
	uint8_t b = bs_mix64(bs_mix64(tag) + offset / 8) >> (offset % 8 * 8);

	return b ? b : 0xa5;
}

/* Fill @buf with the stamp of @tag for device offsets @offset on. */
static inline void bs_stamp(void *buf, size_t len, uint64_t tag,
			    uint64_t offset)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = bs_stamp_byte(tag, offset + i);
}

/* Where @buf first differs from the stamp of @tag at @offset, or @len. */
static inline size_t bs_stamp_check(const void *buf, size_t len, uint64_t tag,
				    uint64_t offset)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != bs_stamp_byte(tag, offset + i))
			break;
	return i;
}

/* Where @buf first holds a byte that is not 0, or @len. */
static inline size_t bs_zero_check(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			break;
	return i;
}

static inline int bs_cache_create(int fd, const char *name, uint32_t size,
				  uint32_t align, uint32_t flags, uint32_t *id)
{
	struct buddyslab_cache_create req = {
		.object_size = size,
		.align = align,
		.flags = flags,
	};
	int ret;

	snprintf(req.name, sizeof(req.name), "%s", name);
	ret = bs_ioctl(fd, BUDDYSLAB_IOC_CACHE_CREATE, &req);
	if (!ret)
		*id = req.cache_id;
	return ret;
}

static inline int bs_cache_destroy(int fd, uint32_t id)
{
	struct buddyslab_cache_destroy req = { .cache_id = id };

	return bs_ioctl(fd, BUDDYSLAB_IOC_CACHE_DESTROY, &req);
}

/* Read a whole (small) text file into @buf; returns its length or -errno. */
static inline int bs_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -errno;
	buf[len] = '\0';
	return len;
}

/* A cache's objects per slab and pages per slab, from debugfs slabinfo. */
static inline int bs_slabinfo_geometry(const char *name, unsigned int *objs,
				       unsigned int *pages)
{
	static char buf[1 << 18];
	unsigned long active, num, size;
	char pattern[64], *p;

	if (bs_read_file(BS_DEBUGFS "/slabinfo", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(pattern, sizeof(pattern), "\n%s ", name);
	p = strstr(buf, pattern);
	if (!p || sscanf(p + strlen(pattern), "%lu %lu %lu %u %u", &active,
			 &num, &size, objs, pages) != 5)
		return -1;
	return 0;
}

/* A user's line of debugfs users: "uid files bytes allocs". */
struct bs_user {
	unsigned int files;
	unsigned long long bytes, allocs;
};

/*
 * The line of user @uid in debugfs users, after its header line: 1 if it
 * has one, 0 if not, -1 if the file cannot be read.
 */
static inline int bs_users_get(unsigned int uid, struct bs_user *u)
{
	char buf[16384], *line;
	unsigned int id;

	memset(u, 0, sizeof(*u));
	if (bs_read_file(BS_DEBUGFS "/users", buf, sizeof(buf)) < 0)
		return -1;
	line = strchr(buf, '\n');
	while (line && *++line) {
		if (sscanf(line, "%u %u %llu %llu", &id, &u->files, &u->bytes,
			   &u->allocs) == 4 && id == uid)
			return 1;
		line = strchr(line, '\n');
	}
	memset(u, 0, sizeof(*u));
	return 0;
}

/* Write @text to the file @path; returns 0 or -errno. */
static inline int bs_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* What debugfs validate reports when every allocator is consistent. */
#define BS_VALID	"buddy: ok\nslab: ok\nfit: ok\ngenpool: ok\nbyte_buddy: ok\n"

/* Run debugfs validate; 0 or the write's -errno, and its report in @buf. */
static inline int bs_validate(char *buf, size_t size)
{
	int ret = bs_write_file(BS_DEBUGFS "/validate", "1");

	buf[0] = '\0';
	if (ret)
		return ret;
	ret = bs_read_file(BS_DEBUGFS "/validate", buf, size);
	return ret < 0 ? ret : 0;
}

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE	4	/* linux/module.h, 5.17 */
#endif

/*
 * Loading and unloading the module, for the selftests that run while it is
 * not loaded. The module file is $BUDDYSLAB_KO (default /lib/buddyslab.ko);
 * an installed one may be compressed (buddyslab.ko.xz), which the kernel
 * decompresses itself.
 */
static inline int bs_load(const char *params)
{
	const char *path = getenv("BUDDYSLAB_KO") ?: "/lib/buddyslab.ko";
	size_t len = strlen(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int flags, ret;

	if (fd < 0)
		return -errno;
	flags = len > 3 && strcmp(path + len - 3, ".ko") ?
		MODULE_INIT_COMPRESSED_FILE : 0;
	ret = syscall(__NR_finit_module, fd, params, flags) ? -errno : 0;
	close(fd);
	return ret;
}

static inline int bs_unload(void)
{
	return syscall(__NR_delete_module, "buddyslab", O_NONBLOCK) ? -errno : 0;
}

static inline int bs_loaded(void)
{
	return access("/sys/module/buddyslab", F_OK) == 0;
}

/* MemFree of /proc/meminfo in bytes, 0 if it cannot be read. */
static inline uint64_t bs_mem_free(void)
{
	char buf[4096], *p;
	unsigned long long kib;

	if (bs_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "MemFree:");
	if (!p || sscanf(p, "MemFree: %llu kB", &kib) != 1)
		return 0;
	return kib << 10;
}

/*
 * Keep the calling thread on CPU 0: each CPU has its own cache of pages and
 * its own slab in each cache, so what a test counts (slabs, charges, where
 * blocks land) would otherwise depend on where the scheduler runs it.
 */
static inline int bs_stay_on_cpu0(void)
{
	unsigned long mask = 1;

	return syscall(__NR_sched_setaffinity, 0, sizeof(mask), &mask) ?
	       -errno : 0;
}

/*
 * MemFree once what the kernel keeps of freed memory for a while has gone
 * back: reclaimable caches dropped, and every slab cache shrunk, which also
 * empties a KASAN kernel's quarantine of freed objects.
 */
static inline uint64_t bs_mem_free_settled(void)
{
	char path[300];
	struct dirent *d;
	DIR *dir;

	sync();
	bs_write_file("/proc/sys/vm/drop_caches", "3");
	dir = opendir("/sys/kernel/slab");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 d->d_name);
		bs_write_file(path, "1");
	}
	if (dir)
		closedir(dir);
	return bs_mem_free();
}

#endif /* BUDDYSLAB_UTIL_H */
