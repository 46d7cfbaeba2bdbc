// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of loading and unloading buddyslab, run while the module is not
 * loaded. The module file is $BUDDYSLAB_KO (default /lib/buddyslab.ko).
 *
 * A bad parameter (region_mb, dev_mode, a limit) fails the load with
 * -EINVAL and leaves nothing behind: a table, bad_load, with a variant for
 * each. A good load takes its memory from the kernel and unloading gives
 * it back, again and again, whatever the files did before they were closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"
#include "buddyslab_util.h"

static uint64_t arena_bytes(struct __test_metadata *_metadata)
{
	struct buddyslab_info info;
	int fd;

	EXPECT_EQ(0, bs_load(""));
	fd = open(BS_DEVICE, O_RDWR);
	EXPECT_LE(0, fd);
	EXPECT_EQ(0, bs_info(fd, &info));
	close(fd);
	EXPECT_EQ(0, bs_unload());
	return info.arena_bytes;
}

/*
 * Every parameter value the load refuses, a variant each: it fails with
 * EINVAL and leaves neither the module nor its device behind.
 */
FIXTURE(bad_load) {
	char params[64];
};

FIXTURE_VARIANT(bad_load) {
	const char *params;
	bool arena_and_a_mib;	/* region_mb: an arena's MiB and one more */
};

FIXTURE_SETUP(bad_load)
{
	uint64_t arena_mb;

	ASSERT_FALSE(bs_loaded());
	if (!variant->arena_and_a_mib) {
		snprintf(self->params, sizeof(self->params), "%s",
			 variant->params);
		return;
	}
	arena_mb = arena_bytes(_metadata) >> 20;
	ASSERT_LT(1, arena_mb);
	snprintf(self->params, sizeof(self->params), "region_mb=%llu",
		 (unsigned long long)arena_mb + 1);
}

FIXTURE_TEARDOWN(bad_load)
{
	if (bs_loaded())
		EXPECT_EQ(0, bs_unload());
}

TEST_F(bad_load, refused)
{
	EXPECT_EQ(-EINVAL, bs_load(self->params)) TH_LOG("%s", self->params);
	EXPECT_FALSE(bs_loaded());
	EXPECT_NE(0, access(BS_DEVICE, F_OK));
}

/* region_mb: none, not a whole number of arenas, more than RAM, negative. */
FIXTURE_VARIANT_ADD(bad_load, region_mb_0) {
	.params = "region_mb=0",
};

FIXTURE_VARIANT_ADD(bad_load, region_mb_not_whole_arenas) {
	.arena_and_a_mib = true,
};

FIXTURE_VARIANT_ADD(bad_load, region_mb_past_ram) {
	.params = "region_mb=1073741824",
};

FIXTURE_VARIANT_ADD(bad_load, region_mb_negative) {
	.params = "region_mb=-1",
};

/* dev_mode: permission bits only. */
FIXTURE_VARIANT_ADD(bad_load, dev_mode_sticky) {
	.params = "dev_mode=01000",
};

FIXTURE_VARIANT_ADD(bad_load, dev_mode_setuid) {
	.params = "dev_mode=04600",
};

/*
 * The limits: bytes at most the region (16 MiB by default, or region_mb),
 * allocations at least one.
 */
FIXTURE_VARIANT_ADD(bad_load, max_bytes_per_file_past_region) {
	.params = "max_bytes_per_file=17825792",
};

FIXTURE_VARIANT_ADD(bad_load, max_bytes_per_user_past_region) {
	.params = "max_bytes_per_user=16777217",
};

FIXTURE_VARIANT_ADD(bad_load, max_bytes_per_user_past_region_mb) {
	.params = "region_mb=8 max_bytes_per_user=8388609",
};

FIXTURE_VARIANT_ADD(bad_load, max_allocs_per_user_0) {
	.params = "max_allocs_per_user=0",
};

/* The region itself is the most a user may be given. */
TEST(limits_of_the_whole_region_accepted)
{
	ASSERT_FALSE(bs_loaded());
	ASSERT_EQ(0, bs_load("region_mb=8 max_bytes_per_user=8388608 "
			     "max_allocs_per_user=1"));
	EXPECT_EQ(0, bs_unload());
}

TEST(load_takes_and_unload_returns_memory)
{
	/*
	 * What unloading gives back is measured to within half an arena (4
	 * MiB), so a lost arena fails. MemFree as a whole moves more: freshly
	 * booted Debian VMs have been seen 2.7 to 4.9 MiB lower after a load
	 * and unload of this size, settled, and no lower after 100 more cycles:
	 * the kernel's own memory (percpu chunks, slabs, vmap areas), not a
	 * leak: cycles finds leaks, over 100 loads (42 KiB a load fails it).
	 * One load and unload first pays the kernel's one-time costs.
	 */
	const uint64_t region = 64ULL << 20, returned_slack = 2ULL << 20;
	const uint64_t slack = 8ULL << 20;
	uint64_t before, during, after;
	unsigned int tries;
	struct stat st;

	ASSERT_FALSE(bs_loaded());
	ASSERT_EQ(0, bs_load("region_mb=64"));
	ASSERT_EQ(0, bs_unload());
	/* Settled: the page cache and slabs of earlier tests move MemFree. */
	before = bs_mem_free_settled();
	ASSERT_LT(region, before);
	ASSERT_EQ(0, bs_load("region_mb=64"));
	during = bs_mem_free_settled();
	ASSERT_EQ(0, stat(BS_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, bs_unload());
	/*
	 * Pages the kernel frees late (per-CPU lists, RCU, lazy vfree) come
	 * back within seconds; a leak never does.
	 */
	for (tries = 0; tries < 20; tries++) {
		after = bs_mem_free_settled();
		if (after >= before - slack)
			break;
		usleep(250000);
	}

	TH_LOG("MemFree before %llu KiB, loaded %llu KiB, after %llu KiB",
	       (unsigned long long)before >> 10,
	       (unsigned long long)during >> 10,
	       (unsigned long long)after >> 10);
	/* What unloading gave back is the region, and nothing is missing. */
	EXPECT_LE(region - returned_slack, after - during);
	EXPECT_LE(before - slack, after);
	EXPECT_FALSE(bs_loaded());
}

TEST(dev_mode)
{
	struct stat st;

	ASSERT_EQ(0, bs_load("dev_mode=0660"));
	ASSERT_EQ(0, stat(BS_DEVICE, &st));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(0, bs_unload());
}

/* One open file may hold max_bytes_per_file and no more. */
TEST(quota)
{
	struct buddyslab_stats before, after;
	struct buddyslab_alloc req, more;
	int fd, other;

	ASSERT_EQ(0, bs_load("region_mb=16 max_bytes_per_file=4194304"));
	fd = open(BS_DEVICE, O_RDWR);
	other = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, bs_alloc_buddy(fd, 4 << 20, &req));
	ASSERT_EQ(0, bs_stats(fd, &before));
	EXPECT_EQ(-EDQUOT, bs_alloc_buddy(fd, 1, &more));
	EXPECT_EQ(-EDQUOT, bs_alloc_slab(fd, 8, &more));
	ASSERT_EQ(0, bs_stats(fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	/* The quota is per file. */
	EXPECT_EQ(0, bs_alloc_buddy(other, 4 << 20, &more));
	EXPECT_EQ(0, bs_free(fd, req.handle));
	EXPECT_EQ(0, bs_alloc_buddy(fd, 4096, &req));
	close(fd);
	close(other);
	EXPECT_EQ(0, bs_unload());
}

TEST(unload_refused_while_open)
{
	int fd;

	ASSERT_EQ(0, bs_load(""));
	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, bs_unload());
	close(fd);
	EXPECT_EQ(0, bs_unload());
}

#define CYCLES		100
#define CYCLE_REGION	(64ULL << 20)	/* region_mb=64 */
#define CYCLE_SLACK	(4ULL << 20)	/* MemFree may differ by this much */
#define CYCLE_MAPPED	65536		/* the buddy allocation mapped */
#define CYCLE_BIG	(1 << 18)	/* the largest allocation stamped */
#define CYCLE_TIMEOUT	400		/* seconds: 100 loads under TCG and KASAN */

/* The module's reference count in sysfs: one per open file; -1 if none. */
static int refcnt(void)
{
	char buf[32];

	if (bs_read_file("/sys/module/buddyslab/refcnt", buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

/* Stamp an allocation through pwrite and read the stamp back with pread. */
static void stamp_through_file(struct __test_metadata *_metadata, int fd,
			       const struct buddyslab_alloc *req, uint64_t tag)
{
	static uint8_t buf[CYCLE_BIG];

	ASSERT_GE(sizeof(buf), req->granted);
	bs_stamp(buf, req->granted, tag, req->offset);
	ASSERT_EQ((ssize_t)req->granted,
		  pwrite(fd, buf, req->granted, req->offset));
	memset(buf, 0, req->granted);
	ASSERT_EQ((ssize_t)req->granted,
		  pread(fd, buf, req->granted, req->offset));
	EXPECT_EQ(req->granted, bs_stamp_check(buf, req->granted, tag,
					       req->offset));
}

/*
 * One cycle: load; two files holding memory of every allocator and a cache
 * each, with data written through pwrite and a mapping; the module stays
 * while either file or the mapping lives; close both with everything still
 * allocated, and the mapping still sees its data; unmap and unload.
 */
static void cycle(struct __test_metadata *_metadata, unsigned int k,
		  int64_t *taken)
{
	struct buddyslab_alloc buddy, small, page, fit[BUDDYSLAB_FIT_POLICIES];
	struct buddyslab_alloc obj, big, other_small;
	unsigned int objs, pages, other_pages;
	uint32_t id, other_id, p;
	struct bs_user user;
	uint64_t bytes;
	const uint64_t tag = k + 1;
	uint8_t *map;
	int fd, other;

	*taken = bs_mem_free();
	ASSERT_EQ(0, bs_load("region_mb=64")) TH_LOG("cycle %u", k);
	*taken -= bs_mem_free();
	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("cycle %u: %s", k, strerror(errno));
	other = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, other);
	EXPECT_EQ(2, refcnt());

	ASSERT_EQ(0, bs_alloc_buddy(fd, CYCLE_MAPPED, &buddy));
	ASSERT_EQ(0, bs_alloc_slab(fd, 100, &small));
	ASSERT_EQ(0, bs_alloc_slab(fd, 4096, &page));
	for (p = 0; p < BUDDYSLAB_FIT_POLICIES; p++)
		ASSERT_EQ(0, bs_alloc_fit(fd, 5000 + 100 * p, p + 1, &fit[p]));
	ASSERT_EQ(0, bs_cache_create(fd, "cycle", 200, 0,
				     BUDDYSLAB_CACHE_POISON |
				     BUDDYSLAB_CACHE_REDZONE, &id));
	ASSERT_EQ(0, bs_alloc(fd, BUDDYSLAB_ALLOC_SLAB, 200, id, 0, &obj));
	ASSERT_EQ(0, bs_cache_create(other, "cycle-other", 3000, 64, 0,
				     &other_id));
	ASSERT_EQ(0, bs_alloc(other, BUDDYSLAB_ALLOC_SLAB, 3000, other_id, 0,
			      &other_small));
	ASSERT_EQ(0, bs_alloc_buddy(other, CYCLE_BIG, &big));

	/*
	 * What debugfs users counts of root's two files: ten allocations,
	 * their bytes granted, and each cache's slab.
	 */
	ASSERT_EQ(0, bs_slabinfo_geometry("cycle", &objs, &pages));
	ASSERT_EQ(0, bs_slabinfo_geometry("cycle-other", &objs, &other_pages));
	bytes = buddy.granted + small.granted + page.granted + big.granted +
		(uint64_t)(pages + other_pages) * 4096;
	for (p = 0; p < BUDDYSLAB_FIT_POLICIES; p++)
		bytes += fit[p].granted;
	EXPECT_EQ(1, bs_users_get(0, &user));
	EXPECT_EQ(2, user.files);
	EXPECT_EQ(bytes, user.bytes);
	EXPECT_EQ(10, user.allocs);

	map = mmap(NULL, CYCLE_MAPPED, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   buddy.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("cycle %u: %s", k, strerror(errno));
	bs_stamp(map, CYCLE_MAPPED, tag, buddy.offset);
	stamp_through_file(_metadata, fd, &small, tag);
	stamp_through_file(_metadata, fd, &page, tag);
	for (p = 0; p < BUDDYSLAB_FIT_POLICIES; p++)
		stamp_through_file(_metadata, fd, &fit[p], tag);
	stamp_through_file(_metadata, fd, &obj, tag);
	stamp_through_file(_metadata, other, &other_small, tag);
	stamp_through_file(_metadata, other, &big, tag);

	/* Open files hold the module; so does a mapping of a closed one. */
	EXPECT_EQ(-EWOULDBLOCK, bs_unload());
	close(other);
	EXPECT_EQ(1, refcnt());
	EXPECT_EQ(1, bs_users_get(0, &user));
	EXPECT_EQ(1, user.files);
	EXPECT_EQ(8, user.allocs);
	close(fd);
	EXPECT_EQ(1, refcnt());
	EXPECT_EQ(1, bs_users_get(0, &user));
	EXPECT_EQ(-EWOULDBLOCK, bs_unload());
	EXPECT_EQ(CYCLE_MAPPED, bs_stamp_check(map, CYCLE_MAPPED, tag,
					       buddy.offset));
	ASSERT_EQ(0, munmap(map, CYCLE_MAPPED));
	EXPECT_EQ(0, refcnt());
	EXPECT_EQ(0, bs_users_get(0, &user));
	ASSERT_EQ(0, bs_unload()) TH_LOG("cycle %u", k);
	EXPECT_FALSE(bs_loaded());
	EXPECT_NE(0, access(BS_DEVICE, F_OK));
}

FIXTURE(cycles) {
};

FIXTURE_SETUP(cycles)
{
	ASSERT_FALSE(bs_loaded());
}

FIXTURE_TEARDOWN(cycles)
{
	if (bs_loaded())
		bs_unload();
}

/*
 * 100 loads and unloads, each with files closed while they hold memory,
 * caches and a mapping: MemFree comes back to where it started, within
 * far less than the region, so no cycle keeps anything of the kernel's.
 */
TEST_F_TIMEOUT(cycles, load_use_close_unload, CYCLE_TIMEOUT)
{
	int64_t taken, taken_min = INT64_MAX, taken_max = INT64_MIN;
	uint64_t before, after;
	unsigned int k;
	time_t start;

	before = bs_mem_free_settled();
	ASSERT_LT(CYCLE_REGION, before);
	start = time(NULL);
	for (k = 0; k < CYCLES; k++) {
		cycle(_metadata, k, &taken);
		if (taken < taken_min)
			taken_min = taken;
		if (taken > taken_max)
			taken_max = taken;
	}
	after = bs_mem_free_settled();
	TH_LOG("%u cycles in %lld s; MemFree before %llu KiB, after %llu KiB; each load took %lld to %lld KiB",
	       CYCLES, (long long)(time(NULL) - start),
	       (unsigned long long)before >> 10,
	       (unsigned long long)after >> 10, (long long)taken_min >> 10,
	       (long long)taken_max >> 10);
	/* Every load took the region (blurred by what the kernel frees meanwhile) ... */
	EXPECT_LE((int64_t)(CYCLE_REGION - 2 * CYCLE_SLACK), taken_min);
	/* ... and nothing of any cycle is missing now. */
	EXPECT_LE(before - CYCLE_SLACK, after);
}

TEST_HARNESS_MAIN
