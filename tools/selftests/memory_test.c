// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the memory side of /dev/buddyslab: slab caches of an open
 * file, batches, mmap, pread and pwrite, cleared memory, a process killed
 * while it holds memory and mappings, many processes and threads at once,
 * and pread and pwrite racing mmap, munmap and FREE on one file.
 *
 * Every bad input must give its documented error and leave the statistics
 * exactly as they were: those of mmap, pread and pwrite are a table,
 * bad_access, with a variant for each.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "dev_fixture.h"

/* Whether debugfs slabinfo has a line for cache @name. */
static int slabinfo_has(const char *name)
{
	char buf[32768], pattern[64];

	if (bs_read_file(BS_DEBUGFS "/slabinfo", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(pattern, sizeof(pattern), "\n%s ", name);
	return strstr(buf, pattern) != NULL;
}

TEST_F(dev, cache_lifecycle)
{
	struct buddyslab_alloc a, b;
	char buf[100], back[100];
	uint32_t id;

	memset(buf, 'c', sizeof(buf));
	ASSERT_EQ(0, bs_cache_create(self->fd, "selftest-objs", 100, 32,
				     BUDDYSLAB_CACHE_REDZONE, &id));
	EXPECT_NE(0, id);
	EXPECT_EQ(1, slabinfo_has("selftest-objs"));

	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 100, id, 0, &a));
	EXPECT_EQ(100, a.granted);
	EXPECT_EQ(0, a.offset % 32);
	ASSERT_EQ(100, pwrite(self->fd, buf, 100, a.offset));
	ASSERT_EQ(100, pread(self->fd, back, 100, a.offset));
	EXPECT_EQ(0, memcmp(buf, back, 100));
	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 1, id, 0, &b));
	EXPECT_EQ(100, b.granted);
	EXPECT_TRUE(a.offset + 128 <= b.offset || b.offset + 128 <= a.offset);

	/* Objects live: the cache stays. */
	EXPECT_EQ(-EBUSY, bs_cache_destroy(self->fd, id));
	EXPECT_EQ(0, bs_free(self->fd, a.handle));
	EXPECT_EQ(0, bs_free(self->fd, b.handle));
	EXPECT_EQ(0, bs_cache_destroy(self->fd, id));
	EXPECT_EQ(0, slabinfo_has("selftest-objs"));
	EXPECT_EQ(-ENOENT, bs_cache_destroy(self->fd, id));
	EXPECT_EQ(-ENOENT, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 8, id, 0, &a));
}

/*
 * What needs caches to exist: an object larger than the cache's, or of no
 * size, is refused, and another file's cache is not this one's to use or
 * destroy. (Malformed CACHE_CREATE and CACHE_DESTROY are in device_test's
 * bad_ioctl.)
 */
TEST_F(dev, cache_bad_requests)
{
	struct buddyslab_stats before;
	struct buddyslab_alloc req;
	uint32_t id, first, theirs;
	int other = open(BS_DEVICE, O_RDWR);

	ASSERT_LE(0, other);
	/* Ids count per file: theirs is their second, which is none of ours. */
	ASSERT_EQ(0, bs_cache_create(other, "selftest-first", 64, 0, 0, &first));
	ASSERT_EQ(0, bs_cache_create(other, "selftest-theirs", 64, 0, 0,
				     &theirs));
	ASSERT_EQ(0, bs_cache_create(self->fd, "selftest-mine", 64, 0, 0, &id));
	ASSERT_NE(theirs, id);
	ASSERT_EQ(0, bs_stats(self->fd, &before));

	EXPECT_EQ(-ENOENT, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 8, theirs, 0, &req));
	EXPECT_EQ(-ENOENT, bs_cache_destroy(self->fd, theirs));
	EXPECT_EQ(-EINVAL, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 65, id, 0, &req));
	EXPECT_EQ(-EINVAL, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 0, id, 0, &req));
	bs_expect_stats_unchanged(_metadata, self->fd, &before);

	/* Closing a file destroys its caches. */
	close(other);
	EXPECT_EQ(0, slabinfo_has("selftest-first"));
	EXPECT_EQ(0, slabinfo_has("selftest-theirs"));
	EXPECT_EQ(0, bs_cache_destroy(self->fd, id));
}

/* Write through one path, read back through the other. */
TEST_F(dev, mmap_and_pread_pwrite)
{
	struct buddyslab_alloc req[3];
	unsigned char buf[8192];
	unsigned int i, k;
	uint8_t *map;

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 8192, &req[0]));
	ASSERT_EQ(0, bs_alloc_slab(self->fd, 4096, &req[1]));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 8192, BUDDYSLAB_FIT_FIRST, &req[2]));
	for (k = 0; k < 3; k++) {
		size_t len = req[k].granted;

		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->fd, req[k].offset);
		ASSERT_NE(MAP_FAILED, map) TH_LOG("allocator %u: %s", k, strerror(errno));
		/* New memory reads as zero. */
		for (i = 0; i < len; i++)
			ASSERT_EQ(0, map[i]);
		for (i = 0; i < len; i++)
			map[i] = i * 7 + k;
		ASSERT_EQ((ssize_t)len, pread(self->fd, buf, len, req[k].offset));
		EXPECT_EQ(0, memcmp(buf, map, len));

		memset(buf, 0xa5 + k, len);
		ASSERT_EQ((ssize_t)len, pwrite(self->fd, buf, len, req[k].offset));
		EXPECT_EQ(0, memcmp(buf, map, len));

		/* A mapped allocation cannot be freed. */
		EXPECT_EQ(-EBUSY, bs_free(self->fd, req[k].handle));
		EXPECT_EQ(0, munmap(map, len));
		EXPECT_EQ(0, bs_free(self->fd, req[k].handle));
	}
}

TEST_F(dev, memory_is_cleared)
{
	struct buddyslab_alloc req;
	unsigned char buf[4096], zero[4096] = { 0 };

	ASSERT_EQ(0, bs_alloc_slab(self->fd, 4096, &req));
	memset(buf, 0x77, sizeof(buf));
	ASSERT_EQ(4096, pwrite(self->fd, buf, sizeof(buf), req.offset));
	ASSERT_EQ(0, bs_free(self->fd, req.handle));
	/* The same object comes back from the magazine: cleared. */
	ASSERT_EQ(0, bs_alloc_slab(self->fd, 4096, &req));
	ASSERT_EQ(4096, pread(self->fd, buf, sizeof(buf), req.offset));
	EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf)));
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

/* A pread of no bytes reads none, and is no error. */
TEST_F(dev, pread_zero_bytes)
{
	struct buddyslab_stats before;
	struct buddyslab_alloc req;
	char buf[1];

	ASSERT_EQ(0, bs_alloc_slab(self->fd, 100, &req));
	ASSERT_EQ(0, bs_stats(self->fd, &before));
	EXPECT_EQ(0, pread(self->fd, buf, 0, req.offset));
	bs_expect_stats_unchanged(_metadata, self->fd, &before);
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

/*
 * mmap, pread and pwrite of what is not all of one allocation of the file,
 * a variant each: refused with its error, changing nothing, and another
 * file's bytes still its own. The file holds a page from the buddy and a
 * 100-byte object (128 bytes granted); another file holds 8 KiB from the
 * buddy, "secret" at their start.
 */
FIXTURE(bad_access) {
	int fd, other;
	struct buddyslab_info info;
	struct buddyslab_alloc page, small, theirs;
};

enum access_call {
	ACCESS_MMAP,		/* shared, as the device wants */
	ACCESS_MMAP_PRIVATE,
	ACCESS_PREAD,
	ACCESS_PWRITE,
};

enum access_place {
	PLACE_PAGE,		/* the file's page */
	PLACE_SMALL,		/* the file's object */
	PLACE_SMALL_PAGE,	/* the page the object is in */
	PLACE_THEIRS,		/* the other file's 8 KiB */
	PLACE_REGION_END,	/* the end of the device's linear space */
};

FIXTURE_VARIANT(bad_access) {
	enum access_call call;
	bool their_file;	/* through the other file, not this one */
	enum access_place place;
	uint64_t skip;		/* bytes into @place */
	size_t len;
	bool unwritable;	/* pread into memory that cannot be written */
	int error;
};

FIXTURE_SETUP(bad_access)
{
	bs_dev_setup(_metadata, &self->fd, &self->info);
	self->other = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 4096, &self->page));
	ASSERT_EQ(0, bs_alloc_slab(self->fd, 100, &self->small));
	ASSERT_EQ(0, bs_alloc_buddy(self->other, 8192, &self->theirs));
	ASSERT_EQ(6, pwrite(self->other, "secret", 6, self->theirs.offset));
}

FIXTURE_TEARDOWN(bad_access)
{
	EXPECT_EQ(0, bs_free(self->fd, self->page.handle));
	EXPECT_EQ(0, bs_free(self->fd, self->small.handle));
	close(self->other);
	bs_dev_teardown(_metadata, self->fd, &self->info);
}

static uint64_t access_offset(FIXTURE_DATA(bad_access) *self,
			      enum access_place place)
{
	switch (place) {
	case PLACE_PAGE:
		return self->page.offset;
	case PLACE_SMALL:
		return self->small.offset;
	case PLACE_SMALL_PAGE:
		return self->small.offset & ~(self->info.page_size - 1ULL);
	case PLACE_THEIRS:
		return self->theirs.offset;
	default:
		return self->info.region_bytes;
	}
}

/* What the call of @variant returns, or -errno. */
static ssize_t access_call(const FIXTURE_VARIANT(bad_access) *variant, int fd,
			   void *buf, uint64_t offset)
{
	ssize_t n;
	void *map;
	int flags;

	switch (variant->call) {
	case ACCESS_PREAD:
		n = pread(fd, buf, variant->len, offset);
		break;
	case ACCESS_PWRITE:
		n = pwrite(fd, buf, variant->len, offset);
		break;
	default:
		flags = variant->call == ACCESS_MMAP ? MAP_SHARED : MAP_PRIVATE;
		map = mmap(NULL, variant->len, PROT_READ, flags, fd, offset);
		if (map == MAP_FAILED)
			return -errno;
		munmap(map, variant->len);
		return 0;
	}
	return n < 0 ? -errno : n;
}

TEST_F(bad_access, refused)
{
	const int fd = variant->their_file ? self->other : self->fd;
	const uint64_t offset = access_offset(self, variant->place) +
				variant->skip;
	struct buddyslab_stats before;
	char buf[8192] = { 0 };
	void *mem = buf;

	if (variant->unwritable) {
		mem = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		ASSERT_NE(MAP_FAILED, mem);
	}
	ASSERT_LE(variant->len, sizeof(buf));
	ASSERT_EQ(0, bs_stats(self->fd, &before));
	EXPECT_EQ(-variant->error, access_call(variant, fd, mem, offset));
	bs_expect_stats_unchanged(_metadata, self->fd, &before);
	if (mem != buf)
		munmap(mem, 4096);
	EXPECT_EQ(6, pread(self->other, buf, 6, self->theirs.offset));
	EXPECT_EQ(0, memcmp(buf, "secret", 6));
}

/* mmap: beyond the allocation, from its middle, private, sub-page, not ours. */
FIXTURE_VARIANT_ADD(bad_access, mmap_past_end) {
	.call = ACCESS_MMAP, .place = PLACE_PAGE, .len = 8192,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, mmap_from_middle) {
	.call = ACCESS_MMAP, .their_file = true, .place = PLACE_THEIRS,
	.skip = 4096, .len = 4096,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, mmap_private) {
	.call = ACCESS_MMAP_PRIVATE, .place = PLACE_PAGE, .len = 4096,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, mmap_sub_page) {
	.call = ACCESS_MMAP, .place = PLACE_SMALL_PAGE, .len = 4096,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, mmap_theirs) {
	.call = ACCESS_MMAP, .place = PLACE_THEIRS, .len = 4096,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, mmap_past_region) {
	.call = ACCESS_MMAP, .place = PLACE_REGION_END, .len = 4096,
	.error = EINVAL,
};

/* pread and pwrite: across the end of the object, not ours, nobody's. */
FIXTURE_VARIANT_ADD(bad_access, pread_past_end) {
	.call = ACCESS_PREAD, .place = PLACE_SMALL, .len = 129,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, pwrite_past_end) {
	.call = ACCESS_PWRITE, .place = PLACE_SMALL, .skip = 127, .len = 2,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_access, pread_theirs) {
	.call = ACCESS_PREAD, .place = PLACE_THEIRS, .len = 6,
	.error = EFAULT,
};

FIXTURE_VARIANT_ADD(bad_access, pwrite_theirs) {
	.call = ACCESS_PWRITE, .place = PLACE_THEIRS, .len = 6,
	.error = EFAULT,
};

FIXTURE_VARIANT_ADD(bad_access, pread_past_region) {
	.call = ACCESS_PREAD, .place = PLACE_REGION_END, .skip = 4096, .len = 1,
	.error = EFAULT,
};

/* ... and into a user buffer that cannot be written. */
FIXTURE_VARIANT_ADD(bad_access, pread_to_unwritable) {
	.call = ACCESS_PREAD, .place = PLACE_SMALL, .len = 8, .unwritable = true,
	.error = EFAULT,
};

static void batch_alloc_op(struct buddyslab_batch_op *op, uint64_t size)
{
	memset(op, 0, sizeof(*op));
	op->op = BUDDYSLAB_BATCH_ALLOC;
	op->alloc.size = size;
	op->alloc.allocator = BUDDYSLAB_ALLOC_BUDDY;
}

TEST_F(dev, batch)
{
	struct buddyslab_batch_op ops[16];
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops, .nr_ops = 16 };
	struct buddyslab_stats before, after;
	unsigned int i;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	for (i = 0; i < 16; i++)
		batch_alloc_op(&ops[i], 4096);
	ASSERT_EQ(0, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	EXPECT_EQ(16, batch.nr_done);
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_NE(0, ops[i].alloc.handle);
		EXPECT_EQ(4096, ops[i].alloc.granted);
	}
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(before.buddy.allocs[0] + 16, after.buddy.allocs[0]);

	for (i = 0; i < 16; i++) {
		uint64_t handle = ops[i].alloc.handle;

		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].op = BUDDYSLAB_BATCH_FREE;
		ops[i].free.handle = handle;
	}
	ASSERT_EQ(0, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	EXPECT_EQ(16, batch.nr_done);
	EXPECT_EQ(self->info.region_bytes, bs_free_bytes(self->fd));
}

/*
 * A bad operation, or an allocation that fails, stops a batch where it is.
 * (Malformed batches are in device_test's bad_ioctl.)
 */
TEST_F(dev, batch_bad_requests)
{
	struct buddyslab_batch_op ops[8];
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops, .nr_ops = 8 };
	struct buddyslab_stats before, after;
	unsigned int i;

	ASSERT_EQ(0, bs_stats(self->fd, &before));

	/* A bad operation in the middle: the three before it stay done. */
	for (i = 0; i < 8; i++)
		batch_alloc_op(&ops[i], 4096);
	ops[3].op = 7;
	EXPECT_EQ(-EINVAL, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	EXPECT_EQ(3, batch.nr_done);
	EXPECT_EQ(-EINVAL, ops[3].result);
	EXPECT_EQ(0, ops[4].alloc.handle);
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(before.buddy.allocs[0] + 3, after.buddy.allocs[0]);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, bs_free(self->fd, ops[i].alloc.handle));

	/* An allocation that fails stops the batch with its error. */
	ops[1].alloc.size = 0;
	ops[3].op = BUDDYSLAB_BATCH_ALLOC;
	EXPECT_EQ(-EINVAL, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	EXPECT_EQ(1, batch.nr_done);
	EXPECT_EQ(0, bs_free(self->fd, ops[0].alloc.handle));
}

/*
 * A process killed while it holds allocations of every kind, a cache and
 * a mapping: everything comes back.
 */
TEST_F(dev, killed_process_leaves_nothing)
{
	struct buddyslab_stats before, after;
	int sync[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = open(BS_DEVICE, O_RDWR);
		struct buddyslab_alloc req;
		uint32_t id;
		void *map;

		if (fd < 0 || bs_alloc_buddy(fd, 65536, &req))
			_exit(1);
		map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   req.offset);
		if (map == MAP_FAILED || bs_alloc_slab(fd, 300, &req) ||
		    bs_alloc_fit(fd, 5000, BUDDYSLAB_FIT_BEST, &req) ||
		    bs_cache_create(fd, "selftest-killed", 48, 0, 0, &id) ||
		    bs_alloc(fd, BUDDYSLAB_ALLOC_SLAB, 48, id, 0, &req))
			_exit(1);
		memset(map, 1, 65536);
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_LT(0, after.buddy.used_pages);
	EXPECT_EQ(1, slabinfo_has("selftest-killed"));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(sync[0]);
	EXPECT_EQ(0, slabinfo_has("selftest-killed"));
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(0, after.fit.used_bytes);
	EXPECT_EQ(before.buddy.frees[4] + 1, after.buddy.frees[4]);
	/* The fixture's teardown checks that the whole region is free. */
}

#define WORKERS		4
#define WORK_SECONDS	2
#define WORK_MAX_SIZE	20000	/* bytes a worker asks for at most */
#define WORK_MAX_GRANT	32768	/* ... and the most it may be granted */

/* A worker's stamp of an allocation: its process's and its own. */
static uint64_t worker_tag(const struct buddyslab_alloc *req)
{
	return (uint64_t)getpid() << 32 | (uint32_t)req->handle;
}

/*
 * Allocate, check, stamp, check again and free at random on @fd until time
 * is up, checking every byte granted: cleared when it comes, this process's
 * and allocation's stamp until it goes, so that neither another process's
 * bytes, nor another allocation's, nor cleared memory can pass. Returns 0,
 * or what went wrong: 1 no file, 2 a stamp not read back, 3 a free
 * refused, 4 new memory not cleared, 5 a stamp not written, 6 more than
 * WORK_MAX_GRANT granted, 7 a free at the end refused, 8 nothing done.
 * Slab allocations come from the size classes, or from the file's cache
 * @cache_id of @cache_size bytes if @cache_id is not 0.
 */
static int worker(int fd, unsigned int seed, uint32_t cache_id,
		  uint32_t cache_size)
{
	struct buddyslab_alloc held[16] = { { 0 } };
	time_t end = time(NULL) + WORK_SECONDS;
	unsigned char buf[WORK_MAX_GRANT];
	unsigned int i, n = 0;

	if (fd < 0)
		return 1;
	while (time(NULL) < end) {
		struct buddyslab_alloc *req = &held[rand_r(&seed) % 16];
		size_t len = req->granted;

		if (req->handle) {
			if (pread(fd, buf, len, req->offset) != (ssize_t)len ||
			    bs_stamp_check(buf, len, worker_tag(req),
					   req->offset) != len)
				return 2;
			if (bs_free(fd, req->handle))
				return 3;
			req->handle = 0;
			continue;
		}
		memset(req, 0, sizeof(*req));
		req->size = 1 + rand_r(&seed) % WORK_MAX_SIZE;
		req->allocator = 1 + rand_r(&seed) % 3;
		req->policy = req->allocator == BUDDYSLAB_ALLOC_FIT ?
			      1 + rand_r(&seed) % 4 : 0;
		if (req->allocator == BUDDYSLAB_ALLOC_SLAB && cache_id) {
			req->cache_id = cache_id;
			req->size = 1 + req->size % cache_size;
		}
		if (bs_ioctl(fd, BUDDYSLAB_IOC_ALLOC, req)) {
			req->handle = 0;
			continue;
		}
		len = req->granted;
		if (len > sizeof(buf))
			return 6;
		memset(buf, 0xff, len);
		if (pread(fd, buf, len, req->offset) != (ssize_t)len ||
		    bs_zero_check(buf, len) != len)
			return 4;
		bs_stamp(buf, len, worker_tag(req), req->offset);
		if (pwrite(fd, buf, len, req->offset) != (ssize_t)len)
			return 5;
		n++;
	}
	for (i = 0; i < 16; i++)
		if (held[i].handle && bs_free(fd, held[i].handle))
			return 7;
	return n ? 0 : 8;
}

TEST_F(dev, many_processes_at_once)
{
	pid_t pids[WORKERS];
	unsigned int i;
	int status;

	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(worker(open(BS_DEVICE, O_RDWR), i + 1, 0, 0));
	}
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("worker %u", i);
	}
	bs_expect_valid(_metadata);
}

#define LOADED_CACHE_SIZE	200

/*
 * A worker of its own file whose slab allocations come from a cache of its
 * own that poisons free objects and has red zones. Returns as worker()
 * does, 9 if the cache cannot be made or destroyed, or 10 if any cache
 * counted an error since @before (read while this one still counts).
 */
static int loaded_worker(unsigned int seed, const struct buddyslab_stats *before)
{
	int fd = open(BS_DEVICE, O_RDWR), ret;
	struct buddyslab_stats now;
	uint32_t id;

	if (fd < 0)
		return 1;
	if (bs_cache_create(fd, "selftest-loaded", LOADED_CACHE_SIZE, 0,
			 BUDDYSLAB_CACHE_POISON | BUDDYSLAB_CACHE_REDZONE, &id))
		return 9;
	ret = worker(fd, seed, id, LOADED_CACHE_SIZE);
	if (!ret && (bs_stats(fd, &now) ||
		     now.slab.poison_errors != before->slab.poison_errors ||
		     now.slab.redzone_errors != before->slab.redzone_errors ||
		     now.slab.double_frees != before->slab.double_frees ||
		     now.slab.invalid_frees != before->slab.invalid_frees))
		ret = 10;
	if (!ret && bs_cache_destroy(fd, id))
		ret = 9;
	close(fd);
	return ret;
}

/*
 * debugfs validate, again and again, while processes allocate, stamp, read
 * back and free from every allocator and from poisoning caches: every check
 * passes, and it changes nothing they can see (no byte of theirs, no free
 * refused, no false report of a write to a free object).
 */
TEST_F(dev, validate_under_load)
{
	unsigned int i, running, rounds = 0;
	struct buddyslab_stats before;
	pid_t pids[WORKERS];
	int status;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(loaded_worker(i + 1, &before));
	}
	do {
		bs_expect_valid(_metadata);
		rounds++;
		running = 0;
		for (i = 0; i < WORKERS; i++) {
			if (!pids[i])
				continue;
			if (!waitpid(pids[i], &status, WNOHANG)) {
				running++;
				continue;
			}
			EXPECT_TRUE(WIFEXITED(status));
			EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("worker %u", i);
			pids[i] = 0;
		}
	} while (running);
	TH_LOG("%u validations under load", rounds);
	EXPECT_LT(1, rounds);
	bs_expect_valid(_metadata);
}

struct thread_work {
	int fd;
	unsigned int seed;
	int result;
};

static void *thread_worker(void *arg)
{
	struct thread_work *work = arg;

	work->result = worker(work->fd, work->seed, 0, 0);
	return NULL;
}

/* Threads sharing one open file: its handles, quota and records. */
TEST_F(dev, threads_share_a_file)
{
	struct thread_work work[WORKERS];
	pthread_t threads[WORKERS];
	unsigned int i;

	for (i = 0; i < WORKERS; i++) {
		work[i] = (struct thread_work){ .fd = self->fd, .seed = 100 + i };
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, thread_worker, &work[i]));
	}
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		EXPECT_EQ(0, work[i].result) TH_LOG("thread %u", i);
	}
	bs_expect_valid(_metadata);
}

/*
 * pread and pwrite racing the mm and FREE on one open file. A copy to or
 * from user memory may fault, and a fault may wait for the mmap_lock that
 * ->mmap is called with: a copy that held anything ->mmap waits for while
 * it faulted would hang the process for good, and the harness's timeout
 * would fail the test. Every copy must be whole with the right bytes, or
 * fail with its documented error; every FREE must succeed or, while a copy
 * of the allocation is under way, get -EBUSY.
 */
#define RACE_BYTES	(1U << 20)	/* the allocation copied */
#define RACE_MAPPED	65536		/* the allocation mapped */
#define RACE_SECONDS	2		/* each race runs this long ... */
#define RACE_MIN	8		/* ... and each of its loops this often */
#define RACE_COPIES	8		/* copies per round of the FREE race */
#define RACE_TIMEOUT	20		/* seconds: a hang fails, under TCG too */

FIXTURE(copy_race) {
	int fd;
	struct buddyslab_info info;
	size_t page;
	/* Tag 0's stamp on every byte: what pread must read. */
	uint8_t *whole;
	/*
	 * Tags 1 and 2 on even pages, odd pages 0: what pwrite writes from
	 * fresh memory whose odd pages are left alone, so that they fault
	 * during the copy. Two, so that a pwrite that did nothing shows.
	 */
	uint8_t *half[2];
	uint8_t *got;		/* faulted in: where copies are read back */
};

FIXTURE_VARIANT(copy_race) {
	bool write;		/* pwrite, else pread */
};

FIXTURE_VARIANT_ADD(copy_race, pread) {
	.write = false,
};

FIXTURE_VARIANT_ADD(copy_race, pwrite) {
	.write = true,
};

FIXTURE_SETUP(copy_race)
{
	uint64_t tag = (uint64_t)getpid() << 32;
	unsigned int k;
	size_t i;

	bs_dev_setup(_metadata, &self->fd, &self->info);
	self->page = self->info.page_size;
	self->whole = malloc(RACE_BYTES);
	self->half[0] = malloc(RACE_BYTES);
	self->half[1] = malloc(RACE_BYTES);
	self->got = malloc(RACE_BYTES);
	ASSERT_TRUE(self->whole && self->half[0] && self->half[1] && self->got);
	memset(self->got, 0, RACE_BYTES);
	bs_stamp(self->whole, RACE_BYTES, tag, 0);
	for (k = 0; k < 2; k++) {
		bs_stamp(self->half[k], RACE_BYTES, tag + 1 + k, 0);
		for (i = self->page; i < RACE_BYTES; i += 2 * self->page)
			memset(self->half[k] + i, 0, self->page);
	}
}

FIXTURE_TEARDOWN(copy_race)
{
	free(self->whole);
	free(self->half[0]);
	free(self->half[1]);
	free(self->got);
	bs_dev_teardown(_metadata, self->fd, &self->info);
}

/* What the threads of a race share; the test checks it once they are done. */
struct race {
	FIXTURE_DATA(copy_race) *self;
	bool write;
	uint64_t offset;	/* the allocation copied */
	uint64_t mapped;	/* the allocation mapped */
	struct timespec end;
	pthread_barrier_t start, done;
	bool stop;		/* set before start: no more rounds */
	int failed;		/* the first failure, once, and what it was */
	const char *why;
	int err;
	long at;
	unsigned long copies, maps, gone;
};

static void race_init(struct race *r, FIXTURE_DATA(copy_race) *self,
		      bool write)
{
	memset(r, 0, sizeof(*r));
	r->self = self;
	r->write = write;
	r->at = -1;
	clock_gettime(CLOCK_MONOTONIC, &r->end);
	r->end.tv_sec += RACE_SECONDS;
}

/* Record the first failure: @err an errno or 0, @at a byte or -1. */
static void race_fail(struct race *r, const char *why, int err, long at)
{
	int none = 0;

	if (!__atomic_compare_exchange_n(&r->failed, &none, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	r->why = why;
	r->err = err;
	r->at = at;
}

/* Whether a loop that has run @n times is over: failed, or time up. */
static bool race_over(struct race *r, unsigned long n)
{
	struct timespec now;

	if (__atomic_load_n(&r->failed, __ATOMIC_ACQUIRE))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return n >= RACE_MIN && (now.tv_sec > r->end.tv_sec ||
				 (now.tv_sec == r->end.tv_sec &&
				  now.tv_nsec >= r->end.tv_nsec));
}

/* Where @got first differs from @want, or -1. */
static long race_diff(const uint8_t *got, const uint8_t *want, size_t len)
{
	size_t i;

	if (!memcmp(got, want, len))
		return -1;
	for (i = 0; got[i] == want[i]; i++)
		;
	return i;
}

/*
 * Fresh anonymous memory: each of its pages faults when a copy first
 * touches it, and a fault in the kernel's user copies takes the mmap_lock
 * (x86 tries the per-VMA locks for faults from user mode only).
 */
static uint8_t *fresh_memory(void)
{
	uint8_t *p = mmap(NULL, RACE_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * pread the allocation into @buf and check it against @want. Returns 0,
 * the errno of a pread that failed, or -1 having recorded a failure.
 */
static int race_read(struct race *r, uint8_t *buf, const uint8_t *want)
{
	ssize_t n = pread(r->self->fd, buf, RACE_BYTES, r->offset);
	long at;

	if (n < 0)
		return errno;
	if (n != RACE_BYTES) {
		race_fail(r, "a short pread", 0, n);
		return -1;
	}
	at = race_diff(buf, want, RACE_BYTES);
	if (at >= 0) {
		race_fail(r, "a wrong byte read", 0, at);
		return -1;
	}
	return 0;
}

/* pwrite @src to the allocation. Returns as race_read() does. */
static int race_write(struct race *r, const uint8_t *src)
{
	ssize_t n = pwrite(r->self->fd, src, RACE_BYTES, r->offset);

	if (n < 0)
		return errno;
	if (n != RACE_BYTES) {
		race_fail(r, "a short pwrite", 0, n);
		return -1;
	}
	return 0;
}

/*
 * One copy of the whole allocation, to or from fresh memory if @fresh: a
 * pread checked, or a pwrite of half[@k & 1] read back and checked.
 * Returns as race_read() does.
 */
static int race_copy(struct race *r, bool fresh, unsigned long k)
{
	FIXTURE_DATA(copy_race) *self = r->self;
	const uint8_t *want = r->write ? self->half[k & 1] : self->whole;
	uint8_t *mem = NULL;
	size_t i;
	int ret;

	if (fresh) {
		mem = fresh_memory();
		if (!mem) {
			race_fail(r, "no fresh memory", errno, -1);
			return -1;
		}
	}
	if (r->write) {
		if (mem)
			for (i = 0; i < RACE_BYTES; i += 2 * self->page)
				memcpy(mem + i, want + i, self->page);
		ret = race_write(r, mem ? mem : want);
		if (!ret) {
			memset(self->got, 0, RACE_BYTES);
			ret = race_read(r, self->got, want);
		}
	} else {
		if (!mem)
			memset(self->got, 0, RACE_BYTES);
		ret = race_read(r, mem ? mem : self->got, want);
	}
	if (mem)
		munmap(mem, RACE_BYTES);
	return ret;
}

/* Copy through fresh memory until the race is over; each copy must work. */
static void *race_copier(void *arg)
{
	struct race *r = arg;
	int ret;

	while (!race_over(r, r->copies)) {
		ret = race_copy(r, true, r->copies);
		if (ret > 0)
			race_fail(r, r->write ? "pwrite" : "pread", ret, -1);
		if (ret)
			break;
		r->copies++;
	}
	return NULL;
}

/* Map, check and unmap the other allocation until the race is over. */
static void *race_mapper(void *arg)
{
	struct race *r = arg;
	uint8_t *map;
	long at;

	while (!race_over(r, r->maps)) {
		map = mmap(NULL, RACE_MAPPED, PROT_READ, MAP_SHARED,
			   r->self->fd, r->mapped);
		if (map == MAP_FAILED) {
			race_fail(r, "mmap", errno, -1);
			break;
		}
		at = race_diff(map, r->self->whole, RACE_MAPPED);
		munmap(map, RACE_MAPPED);
		if (at >= 0) {
			race_fail(r, "a wrong byte mapped", 0, at);
			break;
		}
		r->maps++;
	}
	return NULL;
}

/*
 * One thread preads or pwrites an allocation through fresh memory, which
 * faults, while another maps and unmaps another allocation of the file.
 */
TEST_F_TIMEOUT(copy_race, mmap_munmap, RACE_TIMEOUT)
{
	struct buddyslab_alloc big, small;
	pthread_t copier, mapper;
	struct race r;

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, RACE_BYTES, &big));
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, RACE_MAPPED, &small));
	ASSERT_EQ(RACE_BYTES, pwrite(self->fd, self->whole, RACE_BYTES, big.offset));
	ASSERT_EQ(RACE_MAPPED, pwrite(self->fd, self->whole, RACE_MAPPED, small.offset));
	race_init(&r, self, variant->write);
	r.offset = big.offset;
	r.mapped = small.offset;
	ASSERT_EQ(0, pthread_create(&copier, NULL, race_copier, &r));
	ASSERT_EQ(0, pthread_create(&mapper, NULL, race_mapper, &r));
	ASSERT_EQ(0, pthread_join(copier, NULL));
	ASSERT_EQ(0, pthread_join(mapper, NULL));
	EXPECT_EQ(0, r.failed)
		TH_LOG("%s: %s, at byte %ld", r.why, strerror(r.err), r.at);
	TH_LOG("%lu copies, %lu mappings", r.copies, r.maps);
	EXPECT_EQ(0, bs_free(self->fd, big.handle));
	EXPECT_EQ(0, bs_free(self->fd, small.handle));
}

/*
 * The copier of the FREE race: each round, up to RACE_COPIES copies of
 * the round's allocation, until one finds it freed (-EFAULT).
 */
static void *race_free_copier(void *arg)
{
	struct race *r = arg;
	unsigned int i;
	int ret;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (r->stop)
			break;
		for (i = 0; i < RACE_COPIES; i++) {
			ret = race_copy(r, false, i);
			if (ret == EFAULT)
				r->gone++;
			else if (ret > 0)
				race_fail(r, r->write ? "pwrite" : "pread", ret, -1);
			if (ret)
				break;
			r->copies++;
		}
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/*
 * Round after round, one thread preads or pwrites an allocation while
 * another frees it, then gives its memory at once to another file and
 * stamps it there: a copy that outlived the FREE would show as a wrong
 * byte on one side or the other.
 */
TEST_F_TIMEOUT(copy_race, free_handle, RACE_TIMEOUT)
{
	/* The other file's stamp: what no copy of this one reads or writes. */
	const uint8_t *theirs = variant->write ? self->whole : self->half[0];
	unsigned long rounds = 0, busy = 0;
	struct buddyslab_alloc mine, other;
	pthread_t copier;
	struct race r;
	long at;
	int fd, ret;

	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	race_init(&r, self, variant->write);
	ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL, 2));
	ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, 2));
	ASSERT_EQ(0, pthread_create(&copier, NULL, race_free_copier, &r));
	while (!race_over(&r, rounds)) {
		ASSERT_EQ(0, bs_alloc_buddy(self->fd, RACE_BYTES, &mine));
		if (!variant->write)
			ASSERT_EQ(RACE_BYTES, pwrite(self->fd, self->whole,
						     RACE_BYTES, mine.offset));
		r.offset = mine.offset;
		pthread_barrier_wait(&r.start);

		while ((ret = bs_free(self->fd, mine.handle)) == -EBUSY) {
			busy++;
			sched_yield();
		}
		EXPECT_EQ(0, ret);
		EXPECT_EQ(-ENOENT, bs_free(self->fd, mine.handle));
		ASSERT_EQ(0, bs_alloc_buddy(fd, RACE_BYTES, &other));
		ASSERT_EQ(RACE_BYTES, pwrite(fd, theirs, RACE_BYTES, other.offset));
		pthread_barrier_wait(&r.done);

		ASSERT_EQ(RACE_BYTES, pread(fd, self->got, RACE_BYTES, other.offset));
		at = race_diff(self->got, theirs, RACE_BYTES);
		EXPECT_EQ(-1, at) TH_LOG("the other file's memory, byte %ld", at);
		EXPECT_EQ(0, bs_free(fd, other.handle));
		rounds++;
	}
	r.stop = true;
	pthread_barrier_wait(&r.start);
	ASSERT_EQ(0, pthread_join(copier, NULL));
	EXPECT_EQ(0, r.failed)
		TH_LOG("%s: %s, at byte %ld", r.why, strerror(r.err), r.at);
	TH_LOG("%lu rounds: %lu copies, %lu FREEs refused as busy, %lu copies found it freed",
	       rounds, r.copies, busy, r.gone);
	close(fd);
}

TEST_HARNESS_MAIN
