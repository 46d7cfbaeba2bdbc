// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the memory side of /dev/buddyslab: slab caches of an open
 * file, batches, mmap, pread and pwrite, cleared memory, a process killed
 * while it holds memory and mappings, and many processes and threads at
 * once.
 *
 * Every bad input must give its documented error and leave the statistics
 * exactly as they were.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "dev_fixture.h"

static int cache_create(int fd, const char *name, uint32_t size, uint32_t align,
			uint32_t flags, uint32_t *id)
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

static int cache_destroy(int fd, uint32_t id)
{
	struct buddyslab_cache_destroy req = { .cache_id = id };

	return bs_ioctl(fd, BUDDYSLAB_IOC_CACHE_DESTROY, &req);
}

/* Whether debugfs slabinfo has a line for cache @name. */
static int slabinfo_has(const char *name)
{
	char buf[32768], pattern[64];

	if (bs_read_file(BS_DEBUGFS "/slabinfo", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(pattern, sizeof(pattern), "\n%s ", name);
	return strstr(buf, pattern) != NULL;
}

static void expect_stats_unchanged(struct __test_metadata *_metadata, int fd,
				   const struct buddyslab_stats *before)
{
	struct buddyslab_stats now;

	ASSERT_EQ(0, bs_stats(fd, &now));
	EXPECT_EQ(0, memcmp(before, &now, sizeof(now)));
}

TEST_F(dev, cache_lifecycle)
{
	struct buddyslab_alloc a, b;
	char buf[100], back[100];
	uint32_t id;

	memset(buf, 'c', sizeof(buf));
	ASSERT_EQ(0, cache_create(self->fd, "selftest-objs", 100, 32,
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
	EXPECT_EQ(-EBUSY, cache_destroy(self->fd, id));
	EXPECT_EQ(0, bs_free(self->fd, a.handle));
	EXPECT_EQ(0, bs_free(self->fd, b.handle));
	EXPECT_EQ(0, cache_destroy(self->fd, id));
	EXPECT_EQ(0, slabinfo_has("selftest-objs"));
	EXPECT_EQ(-ENOENT, cache_destroy(self->fd, id));
	EXPECT_EQ(-ENOENT, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 8, id, 0, &a));
}

TEST_F(dev, cache_bad_requests)
{
	struct buddyslab_cache_create big = { .name = "x", .object_size = 8 };
	struct buddyslab_cache_destroy destroy = { .cache_id = 1, .__pad = 1 };
	struct buddyslab_stats before;
	struct buddyslab_alloc req;
	uint32_t id, theirs;
	int other = open(BS_DEVICE, O_RDWR);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, cache_create(other, "selftest-theirs", 64, 0, 0, &theirs));
	ASSERT_EQ(0, cache_create(self->fd, "selftest-mine", 64, 0, 0, &id));
	ASSERT_EQ(0, bs_stats(self->fd, &before));

	EXPECT_EQ(-EINVAL, cache_create(self->fd, "", 64, 0, 0, &id));
	EXPECT_EQ(-EINVAL, cache_create(self->fd, "with space", 64, 0, 0, &id));
	memset(big.name, 'a', sizeof(big.name));	/* no NUL */
	EXPECT_EQ(-EINVAL, bs_ioctl(self->fd, BUDDYSLAB_IOC_CACHE_CREATE, &big));
	EXPECT_EQ(-EINVAL, cache_create(self->fd, "c", 0, 0, 0, &id));
	EXPECT_EQ(-EINVAL, cache_create(self->fd, "c", self->info.arena_bytes, 0, 0, &id));
	EXPECT_EQ(-EINVAL, cache_create(self->fd, "c", 64, 3, 0, &id));
	EXPECT_EQ(-EINVAL, cache_create(self->fd, "c", 64, 8192, 0, &id));
	EXPECT_EQ(-EINVAL, cache_create(self->fd, "c", 64, 0, 1U << 9, &id));
	EXPECT_EQ(-EINVAL, bs_ioctl(self->fd, BUDDYSLAB_IOC_CACHE_DESTROY, &destroy));
	EXPECT_EQ(-ENOENT, cache_destroy(self->fd, 0));
	EXPECT_EQ(-ENOENT, cache_destroy(self->fd, 999));

	/* Another file's cache is not ours to use or destroy. */
	if (theirs != id) {
		EXPECT_EQ(-ENOENT, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 8, theirs, 0, &req));
		EXPECT_EQ(-ENOENT, cache_destroy(self->fd, theirs));
	}
	EXPECT_EQ(-EINVAL, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 65, id, 0, &req));
	EXPECT_EQ(-EINVAL, bs_alloc(self->fd, BUDDYSLAB_ALLOC_SLAB, 0, id, 0, &req));
	expect_stats_unchanged(_metadata, self->fd, &before);

	/* Closing a file destroys its caches. */
	close(other);
	EXPECT_EQ(0, slabinfo_has("selftest-theirs"));
	EXPECT_EQ(0, cache_destroy(self->fd, id));
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

TEST_F(dev, mmap_bad_requests)
{
	struct buddyslab_alloc page, small, two;
	struct buddyslab_stats before;
	void *map;
	int other = open(BS_DEVICE, O_RDWR);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 4096, &page));
	ASSERT_EQ(0, bs_alloc_slab(self->fd, 100, &small));
	ASSERT_EQ(0, bs_alloc_buddy(other, 8192, &two));
	ASSERT_EQ(0, bs_stats(self->fd, &before));

	/* Beyond the allocation, from its middle, across into the next. */
	map = mmap(NULL, 8192, PROT_READ, MAP_SHARED, self->fd, page.offset);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, other, two.offset + 4096);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	/* Private, sub-page, another file's, nobody's. */
	map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, self->fd, page.offset);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd,
		   small.offset & ~4095ULL);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, two.offset);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd,
		   self->info.region_bytes);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	expect_stats_unchanged(_metadata, self->fd, &before);

	EXPECT_EQ(0, bs_free(self->fd, page.handle));
	EXPECT_EQ(0, bs_free(self->fd, small.handle));
	close(other);
}

TEST_F(dev, pread_pwrite_bad_requests)
{
	struct buddyslab_alloc req, theirs;
	struct buddyslab_stats before;
	char buf[8192] = { 0 };
	void *bad;
	int other = open(BS_DEVICE, O_RDWR);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, bs_alloc_slab(self->fd, 100, &req));
	ASSERT_EQ(0, bs_alloc_buddy(other, 4096, &theirs));
	ASSERT_EQ(0, pwrite(other, "secret", 6, theirs.offset) == 6 ? 0 : -1);
	ASSERT_EQ(0, bs_stats(self->fd, &before));

	/* Across the end of the allocation (128 bytes granted). */
	EXPECT_EQ(-1, pread(self->fd, buf, 129, req.offset));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(self->fd, buf, 2, req.offset + 127));
	EXPECT_EQ(EINVAL, errno);
	/* Another file's memory, and nobody's. */
	EXPECT_EQ(-1, pread(self->fd, buf, 6, theirs.offset));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pwrite(self->fd, buf, 6, theirs.offset));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(self->fd, buf, 1, self->info.region_bytes + 4096));
	EXPECT_EQ(EFAULT, errno);
	/* A user buffer that cannot be written. */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, pread(self->fd, bad, 8, req.offset));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, 4096);
	EXPECT_EQ(0, pread(self->fd, buf, 0, req.offset));
	expect_stats_unchanged(_metadata, self->fd, &before);

	EXPECT_EQ(6, pread(other, buf, 6, theirs.offset));
	EXPECT_EQ(0, memcmp(buf, "secret", 6));
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
	close(other);
}

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

TEST_F(dev, batch_bad_requests)
{
	struct buddyslab_batch_op ops[8];
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops, .nr_ops = 8 };
	struct buddyslab_stats before, after;
	unsigned int i;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	batch.nr_ops = 0;
	EXPECT_EQ(-EINVAL, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	batch.nr_ops = BUDDYSLAB_BATCH_MAX + 1;
	EXPECT_EQ(-EINVAL, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	batch.nr_ops = 8;
	batch.ops = 8;		/* a bad pointer */
	EXPECT_EQ(-EFAULT, bs_ioctl(self->fd, BUDDYSLAB_IOC_BATCH, &batch));
	EXPECT_EQ(0, batch.nr_done);
	expect_stats_unchanged(_metadata, self->fd, &before);

	/* A bad operation in the middle: the three before it stay done. */
	batch.ops = (uintptr_t)ops;
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
		    cache_create(fd, "selftest-killed", 48, 0, 0, &id) ||
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
 */
static int worker(int fd, unsigned int seed)
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

static void expect_valid(struct __test_metadata *_metadata)
{
	char buf[128];
	int fd;

	fd = open(BS_DEBUGFS "/validate", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/validate", buf, sizeof(buf)));
	EXPECT_STREQ("buddy: ok\nslab: ok\nfit: ok\n", buf);
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
			_exit(worker(open(BS_DEVICE, O_RDWR), i + 1));
	}
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("worker %u", i);
	}
	expect_valid(_metadata);
}

struct thread_work {
	int fd;
	unsigned int seed;
	int result;
};

static void *thread_worker(void *arg)
{
	struct thread_work *work = arg;

	work->result = worker(work->fd, work->seed);
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
	expect_valid(_metadata);
}

TEST_HARNESS_MAIN
