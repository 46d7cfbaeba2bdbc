/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the buddyslab selftests: each returns 0 or -errno, so a
 * test can assert the exact error a call must give.
 */
#ifndef BUDDYSLAB_UTIL_H
#define BUDDYSLAB_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
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

#endif /* BUDDYSLAB_UTIL_H */
