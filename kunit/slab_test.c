// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab slab allocator.
 *
 * Every case runs on a fresh two-arena region with a buddy and a slab
 * allocator over it. The suite's exit runs both invariant checkers, tears
 * the slab allocator down and checks that every page is back with the
 * buddy, so a scenario that corrupts or leaks fails even if its own
 * expectations hold. The debugging cases follow lib/slub_kunit.c: damage an
 * object the way a buggy user would, and expect it detected, counted and
 * reported, and the allocator to carry on.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/poison.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "cpu.h"
#include "harness.h"
#include "slab_internal.h"

static int bs_slab_test_init(struct kunit *test)
{
	return bs_test_init(test, BS_TEST_SLAB);
}

static struct bs_slab_cache *bs_test_cache(struct kunit *test, unsigned int size,
					   unsigned int align, unsigned int flags)
{
	struct bs_slab_cache *cache;

	cache = bs_slab_cache_create(&bs_test(test)->slab, "test", size, align,
				     flags, NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(cache), "create: %ld", PTR_ERR(cache));
	return cache;
}

static unsigned long bs_test_counter(struct bs_slab_cache *cache,
				     enum bs_slab_counter counter)
{
	struct bs_slab_cache_stats stats;

	bs_slab_cache_stats(cache, &stats);
	return stats.counters[counter];
}

/* The descriptor of the slab an object is in. */
static struct bs_slab_page *bs_test_slab_of(struct kunit *test,
					    struct bs_slab_cache *cache,
					    void *obj)
{
	struct bs_slab_page *sp;
	unsigned int idx;

	rcu_read_lock();
	sp = bs_slab_lookup(cache->slab, obj, &idx);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, sp);
	return sp;
}

/* The start of the slab an object is in. */
static void *bs_test_slab_start(struct kunit *test, struct bs_slab_cache *cache,
				void *obj)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	unsigned long pgoff;

	KUNIT_ASSERT_EQ(test, bs_buddy_pgoff_of(buddy, obj, &pgoff), 0);
	return bs_buddy_addr(buddy, round_down(pgoff, 1UL << cache->order));
}

struct bs_test_geometry {
	unsigned int size;
	unsigned int align;
	unsigned int flags;
};

static const struct bs_test_geometry bs_test_geometries[] = {
	{ 8, 0, 0 },
	{ 24, 0, 0 },
	{ 64, 64, 0 },
	{ 100, 8, BS_SLAB_REDZONE },
	{ 200, 32, BS_SLAB_POISON },
	{ 700, 0, 0 },
	{ 1000, 0, BS_SLAB_REDZONE | BS_SLAB_POISON },
	{ 3000, 0, 0 },
	{ 4096, 4096, 0 },
	{ 5000, 64, BS_SLAB_REDZONE },
	{ 40000, 0, 0 },
};

static void bs_test_geometry_desc(const struct bs_test_geometry *g, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %u align %u flags %#x",
		 g->size, g->align, g->flags);
}

KUNIT_ARRAY_PARAM(bs_test_geometry, bs_test_geometries, bs_test_geometry_desc);

/*
 * Fill a cache over three slabs, every object aligned, inside the region,
 * and apart from every other (each is stamped over its whole length); then
 * empty it, and shrink it: every page goes back to the buddy.
 */
static void bs_slab_test_fill_and_empty(struct kunit *test)
{
	const struct bs_test_geometry *g = test->param_value;
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	const unsigned long free_before = bs_buddy_free_pages(buddy);
	unsigned int align = g->align ?: 8, n, i;
	struct bs_slab_cache_stats stats;
	struct bs_slab_cache *cache;
	unsigned long slab_bytes, pgoff;
	u8 **objs;

	cache = bs_test_cache(test, g->size, g->align, g->flags);
	slab_bytes = PAGE_SIZE << cache->order;
	/* Bonwick's rule: at most 1/8 of a slab left unused. */
	KUNIT_EXPECT_LE(test, (slab_bytes - cache->objects * cache->size) * 8,
			slab_bytes);
	KUNIT_EXPECT_GE(test, cache->size, g->size);

	/* The slabs counted below are one CPU's. */
	bs_test_stay_on_cpu(test);
	n = 3 * cache->objects;
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = bs_slab_cache_alloc(cache);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_EQ(test, (unsigned long)objs[i] & (align - 1), 0);
		KUNIT_EXPECT_EQ(test, bs_buddy_pgoff_of(buddy, objs[i], &pgoff), 0);
		memset(objs[i], i, g->size);
	}
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.active_objs, n);
	KUNIT_EXPECT_EQ(test, stats.num_slabs, 3);
	KUNIT_EXPECT_EQ(test, stats.num_objs, n);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_SLAB_ALLOCS], n);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_SLAB_SLABS_CREATED], 3);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(objs[i], (u8)i, g->size),
				      "object %u overwritten", i);
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, objs[i]), 0);
	}
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.active_objs, 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_SLAB_FREES], n);

	/* Slabs freed on the way (beyond the working set), then the rest. */
	KUNIT_EXPECT_EQ(test, bs_slab_cache_shrink(cache),
			(3 - stats.counters[BS_SLAB_SLABS_FREED]) << cache->order);
	bs_buddy_drain(buddy);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), free_before);
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.num_slabs, 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_SLAB_SLABS_FREED], 3);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/* Successive slabs start their objects at successive colour offsets. */
static void bs_slab_test_colouring(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 700, 0, 0);
	unsigned int s, i, n = 3 * cache->objects;
	unsigned long colour[3];
	void **objs;

	/* 11 objects of 700 bytes in 8 KiB leave 492 bytes: 8 colours. */
	KUNIT_ASSERT_EQ(test, cache->order, 1);
	KUNIT_ASSERT_EQ(test, cache->objects, 11);
	KUNIT_ASSERT_EQ(test, cache->colours, 492 / L1_CACHE_BYTES + 1);

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = bs_slab_cache_alloc(cache);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	/* Objects go out in index order, slab after slab. */
	for (s = 0; s < 3; s++) {
		void *first = objs[s * cache->objects];

		colour[s] = first - bs_test_slab_start(test, cache, first);
		KUNIT_EXPECT_EQ(test, colour[s], s * cache->colour_align);
		KUNIT_EXPECT_LE(test, colour[s] + cache->objects * cache->size,
				PAGE_SIZE << cache->order);
	}
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, objs[i]), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

static void bs_slab_test_bad_create(struct kunit *test)
{
	struct bs_slab *slab = &bs_test(test)->slab;
	const char *long_name = "a-name-of-thirty-two-characters!";

	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, NULL, 8, 0, 0, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "", 8, 0, 0, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, long_name, 8, 0, 0,
							   NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "t", 0, 0, 0, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "t",
							   BS_SLAB_MAX_SIZE + 1,
							   0, 0, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "t", 8, 3, 0, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "t", 8,
							   2 * PAGE_SIZE, 0,
							   NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "t", 8, 0, BIT(7),
							   NULL)), -EINVAL);
}

/* -EBUSY while an object lives, and the cache keeps working. */
static void bs_slab_test_destroy_busy(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 128, 0, 0);
	void *obj = bs_slab_cache_alloc(cache);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), -EBUSY);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	obj = bs_slab_cache_alloc(cache);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

static atomic_t bs_test_ctor_calls;

static void bs_test_ctor(void *obj)
{
	atomic_inc(&bs_test_ctor_calls);
	memset(obj, 0x5a, 128);
}

/*
 * Bonwick: an object is constructed once, when its slab is made, and stays
 * constructed while it is cached; only a new slab runs the constructor.
 */
static void bs_slab_test_constructor(struct kunit *test)
{
	struct bs_slab *slab = &bs_test(test)->slab;
	struct bs_slab_cache *cache;
	void *obj, *more[64];
	unsigned int i, per_slab;

	KUNIT_EXPECT_EQ(test, PTR_ERR(bs_slab_cache_create(slab, "t", 128, 0,
							   BS_SLAB_POISON,
							   bs_test_ctor)), -EINVAL);
	cache = bs_slab_cache_create(slab, "ctor", 128, 0, 0, bs_test_ctor);
	KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
	per_slab = cache->objects;
	KUNIT_ASSERT_LE(test, per_slab + 1, ARRAY_SIZE(more));
	atomic_set(&bs_test_ctor_calls, 0);

	obj = bs_slab_cache_alloc(cache);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&bs_test_ctor_calls), per_slab);
	KUNIT_EXPECT_NULL(test, memchr_inv(obj, 0x5a, 128));

	/* Freed and allocated again: still constructed, no new call. */
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	obj = bs_slab_cache_alloc(cache);
	KUNIT_EXPECT_EQ(test, atomic_read(&bs_test_ctor_calls), per_slab);

	/* One slab more: its objects, once each. */
	for (i = 0; i < per_slab; i++) {
		more[i] = bs_slab_cache_alloc(cache);
		KUNIT_ASSERT_NOT_NULL(test, more[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&bs_test_ctor_calls), 2 * per_slab);
	for (i = 0; i < per_slab; i++)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, more[i]), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);

	/* Shrunk away, then needed again: a new slab, constructed anew. */
	bs_slab_cache_shrink(cache);
	obj = bs_slab_cache_alloc(cache);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&bs_test_ctor_calls), 3 * per_slab);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/* One byte past the end, and one before the start: both red zones. */
static void bs_slab_test_redzone(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 64, 0, BS_SLAB_REDZONE);
	u8 *obj;

	obj = bs_slab_cache_alloc(cache);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj[64] = 0x12;
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_REDZONE_ERRORS), 1);

	obj = bs_slab_cache_alloc(cache);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj[-1] = 0x34;
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_REDZONE_ERRORS), 2);

	/* Repaired: the validator finds nothing more. */
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_REDZONE_ERRORS), 2);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/* A write into a freed object is caught when it is allocated again. */
static void bs_slab_test_use_after_free(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 96, 0, BS_SLAB_POISON);
	u8 *obj, *again;

	obj = bs_slab_cache_alloc(cache);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, obj[10], POISON_FREE);
	obj[10] = 0x42;

	/* The magazine hands the same object out first. */
	again = bs_slab_cache_alloc(cache);
	KUNIT_EXPECT_PTR_EQ(test, again, obj);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_POISON_ERRORS), 1);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, again), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_POISON_ERRORS), 1);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

static void bs_slab_test_double_free(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 32, 0, 0);
	void *obj = bs_slab_cache_alloc(cache);
	void *keep = bs_slab_cache_alloc(cache);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_DOUBLE_FREES), 2);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_FREES), 1);
	/* Back in its slab, which @keep keeps, and still refused. */
	bs_slab_cache_shrink(cache);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_test_counter(cache, BS_SLAB_DOUBLE_FREES), 3);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, keep), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/* Another cache's object, the inside of an object, memory of no slab. */
static void bs_slab_test_invalid_free(struct kunit *test)
{
	struct bs_slab_cache *a = bs_test_cache(test, 48, 0, 0);
	struct bs_slab_cache *b = bs_test_cache(test, 48, 0, 0);
	u8 *obj = bs_slab_cache_alloc(a), *foreign;
	unsigned long pgoff;

	KUNIT_ASSERT_NOT_NULL(test, obj);
	foreign = kunit_kmalloc(test, 48, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_EQ(test, bs_buddy_alloc(&bs_test(test)->buddy, 0,
					     BS_BUDDY_TAG_DIRECT, &pgoff), 0);

	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(b, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(a, obj + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(a, obj + 47), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(a, foreign), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(a, &pgoff), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(a, bs_buddy_addr(&bs_test(test)->buddy,
								  pgoff)), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_test_counter(b, BS_SLAB_INVALID_FREES), 1);
	KUNIT_EXPECT_EQ(test, bs_test_counter(a, BS_SLAB_INVALID_FREES), 5);

	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(a, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(&bs_test(test)->buddy, pgoff), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(a), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(b), 0);
}

/* Size classes as kmalloc's, and large sizes straight from the buddy. */
static void bs_slab_test_kmalloc(struct kunit *test)
{
	static const struct { size_t size, granted; } cases[] = {
		{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 65, 96 }, { 96, 96 },
		{ 97, 128 }, { 129, 192 }, { 193, 256 }, { 4095, 4096 },
		{ 4097, 8192 }, { 8192, 8192 }, { 8193, 16384 },
		{ 100000, 131072 },
	};
	struct bs_slab *slab = &bs_test(test)->slab;
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	unsigned long pgoff;
	size_t granted;
	unsigned int i;
	void *obj;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		obj = bs_slab_kmalloc(slab, cases[i].size, &granted);
		KUNIT_ASSERT_NOT_NULL(test, obj);
		KUNIT_EXPECT_EQ_MSG(test, granted, cases[i].granted, "size %zu",
				    cases[i].size);
		if (is_power_of_2(granted))
			KUNIT_EXPECT_EQ(test, (unsigned long)obj &
					(min_t(size_t, granted, PAGE_SIZE) - 1), 0);
		memset(obj, 0xa5, cases[i].size);
		KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, obj), 0);
		KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, obj), -EINVAL);
	}
	KUNIT_EXPECT_NULL(test, bs_slab_kmalloc(slab, 0, &granted));
	KUNIT_EXPECT_NULL(test, bs_slab_kmalloc(slab, BS_ARENA_BYTES + 1,
						&granted));

	/* A block of the buddy's own is no large allocation. */
	KUNIT_ASSERT_EQ(test, bs_buddy_alloc(buddy, 2, BS_BUDDY_TAG_DIRECT, &pgoff), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, bs_buddy_addr(buddy, pgoff)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, pgoff), 0);
}

/*
 * Rounds of allocations then frees: once the magazines and the depot hold
 * a round's worth, no allocation misses them (Bonwick and Adams). Validate
 * leaves them as they are; shrinking empties them.
 */
static void bs_slab_test_magazines(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 256, 0, 0);
	struct bs_slab_cache_stats stats;
	void *objs[3 * BS_SLAB_MAG_ROUNDS];
	unsigned int i, round;

	for (round = 0; round < 100; round++) {
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			objs[i] = bs_slab_cache_alloc(cache);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		}
		for (i = 0; i < ARRAY_SIZE(objs); i++)
			KUNIT_ASSERT_EQ(test, bs_slab_cache_free(cache, objs[i]), 0);
	}
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_SLAB_ALLOCS], 100 * ARRAY_SIZE(objs));
	/* Only the first round, with every magazine empty, went to the slabs. */
	KUNIT_EXPECT_EQ(test, stats.counters[BS_SLAB_MAG_MISSES], ARRAY_SIZE(objs));
	KUNIT_EXPECT_GT(test, stats.magazine_objs, 0);

	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.magazine_objs, ARRAY_SIZE(objs));
	bs_slab_cache_shrink(cache);
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.magazine_objs, 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/*
 * Slabs and magazines never hide memory from the buddy: with every object
 * freed, the whole region can still be allocated as blocks of the largest
 * order.
 */
static void bs_slab_test_shrinker(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	struct bs_slab *slab = &bs_test(test)->slab;
	unsigned long whole[BS_TEST_ARENAS];
	unsigned int i, n = 2000;
	size_t granted;
	void **objs;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = bs_slab_kmalloc(slab, 8 << (i % 8), &granted);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, objs[i]), 0);
	KUNIT_EXPECT_LT(test, bs_buddy_free_pages(buddy), bs_buddy_total_pages(buddy));

	for (i = 0; i < BS_TEST_ARENAS; i++)
		KUNIT_ASSERT_EQ(test, bs_buddy_alloc(buddy, BS_BUDDY_MAX_ORDER,
						     BS_BUDDY_TAG_DIRECT, &whole[i]), 0);
	for (i = 0; i < BS_TEST_ARENAS; i++)
		KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, whole[i]), 0);
}

/* The checker must see damage to the metadata. */
static void bs_slab_test_validate_detects_corruption(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 64, 0, 0);
	void *obj = bs_slab_cache_alloc(cache);
	struct bs_slab_page *sp;
	int owner;

	KUNIT_ASSERT_NOT_NULL(test, obj);
	spin_lock(&cache->lock);
	cache->nr_active++;
	spin_unlock(&cache->lock);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), -EUCLEAN);
	spin_lock(&cache->lock);
	cache->nr_active--;
	spin_unlock(&cache->lock);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);

	/* A CPU's slab that does not name it as its owner. */
	sp = bs_test_slab_of(test, cache, obj);
	spin_lock(&cache->lock);
	owner = sp->owner;
	sp->owner = -1;
	spin_unlock(&cache->lock);
	KUNIT_EXPECT_GE(test, owner, 0);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), -EUCLEAN);
	spin_lock(&cache->lock);
	sp->owner = owner;
	spin_unlock(&cache->lock);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/* What bs_test_alloc_on_fn() allocates, on the CPU work_on_cpu() runs it. */
struct bs_test_alloc_on {
	struct bs_slab_cache *cache;
	void *obj;
};

static long bs_test_alloc_on_fn(void *arg)
{
	struct bs_test_alloc_on *on = arg;

	on->obj = bs_slab_cache_alloc(on->cache);
	return raw_smp_processor_id();
}

/* An object of @cache allocated on @cpu. */
static void *bs_test_alloc_on(struct kunit *test, struct bs_slab_cache *cache,
			      int cpu)
{
	struct bs_test_alloc_on on = { .cache = cache };

	KUNIT_EXPECT_EQ(test, work_on_cpu(cpu, bs_test_alloc_on_fn, &on), cpu);
	KUNIT_ASSERT_NOT_NULL(test, on.obj);
	return on.obj;
}

/*
 * Objects that miss the magazines on different CPUs come from different
 * slabs, each owned by its CPU, so that the state bytes their allocations
 * and frees write are not in one cache line; slabs that go leave no owner
 * behind.
 */
static void bs_slab_test_cpu_slabs(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 64, 0, 0);
	struct bs_slab_cache_stats stats;
	struct bs_slab_page *sp;
	void **objs;
	int cpu;

	objs = kunit_kcalloc(test, nr_cpu_ids, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for_each_online_cpu(cpu)
		objs[cpu] = bs_test_alloc_on(test, cache, cpu);
	for_each_online_cpu(cpu) {
		sp = bs_test_slab_of(test, cache, objs[cpu]);
		KUNIT_EXPECT_EQ(test, sp->owner, cpu);
		KUNIT_EXPECT_PTR_EQ(test, per_cpu_ptr(cache->cpu, cpu)->slab, sp);
	}
	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_EQ(test, stats.num_slabs, num_online_cpus());
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);

	for_each_online_cpu(cpu)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, objs[cpu]), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_shrink(cache),
			num_online_cpus() << cache->order);
	for_each_possible_cpu(cpu)
		KUNIT_EXPECT_NULL(test, per_cpu_ptr(cache->cpu, cpu)->slab);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/*
 * A CPU takes from another CPU's slab rather than fail when the cache
 * cannot grow: no free object is out of reach.
 */
static void bs_slab_test_cpu_slab_shared_when_full(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	unsigned long *pgoffs, n = 0, total = bs_buddy_total_pages(buddy);
	struct bs_slab_cache *cache;
	struct bs_slab_page *sp;
	void *mine, *theirs;
	int first, second;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 CPUs, this kernel has %u",
			   num_online_cpus());
	first = cpumask_first(cpu_online_mask);
	second = cpumask_next(first, cpu_online_mask);
	cache = bs_test_cache(test, 64, 0, 0);
	mine = bs_test_alloc_on(test, cache, first);
	sp = bs_test_slab_of(test, cache, mine);

	pgoffs = kunit_kcalloc(test, total, sizeof(*pgoffs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pgoffs);
	while (n < total &&
	       !bs_buddy_alloc(buddy, 0, BS_BUDDY_TAG_DIRECT, &pgoffs[n]))
		n++;
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), 0);
	theirs = bs_test_alloc_on(test, cache, second);
	KUNIT_EXPECT_PTR_EQ(test, bs_test_slab_of(test, cache, theirs), sp);
	KUNIT_EXPECT_EQ(test, sp->owner, first);
	KUNIT_EXPECT_NULL(test, per_cpu_ptr(cache->cpu, second)->slab);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);

	while (n)
		KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, pgoffs[--n]), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, mine), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, theirs), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/*
 * Validation changes nothing a user can see: live objects keep their
 * bytes, the magazines keep their objects, no counter moves. It used to
 * drain the magazines and re-poison objects it took for free.
 */
static void bs_slab_test_validate_changes_nothing(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 200, 0,
						    BS_SLAB_POISON | BS_SLAB_REDZONE);
	struct bs_slab_cache_stats *before, *after;
	u8 *objs[2 * BS_SLAB_MAG_ROUNDS];
	unsigned int i;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = bs_slab_cache_alloc(cache);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], i + 1, cache->object_size);
	}
	/* Every other object into the magazines. */
	for (i = 0; i < ARRAY_SIZE(objs); i += 2)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, objs[i]), 0);

	bs_slab_cache_stats(cache, before);
	KUNIT_EXPECT_GT(test, before->magazine_objs, 0);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	bs_slab_cache_stats(cache, after);
	KUNIT_EXPECT_MEMEQ(test, before, after, sizeof(*before));
	for (i = 1; i < ARRAY_SIZE(objs); i += 2) {
		KUNIT_EXPECT_NULL(test, memchr_inv(objs[i], i + 1, cache->object_size));
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, objs[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/* What bs_test_hide_round() does on each CPU. */
struct bs_test_hide {
	struct bs_slab_cache *cache;
	int delta;
	int cpu;
};

/*
 * Take one round off the loaded magazine of the CPU that holds exactly one
 * (delta -1), or give it back (delta +1, on the CPU found before); run on
 * each CPU by bs_cpu_each(), as the allocator reaches every CPU's.
 */
static void bs_test_hide_round(void *arg, unsigned int cpu)
{
	struct bs_test_hide *hide = arg;
	struct bs_slab_cpu *c = bs_slab_cpu_lock(hide->cache, cpu);

	if (hide->delta < 0 && hide->cpu < 0 && c->loaded->rounds == 1) {
		c->loaded->rounds = 0;
		hide->cpu = cpu;
	} else if (hide->delta > 0 && hide->cpu == cpu) {
		c->loaded->rounds = 1;
	}
	bs_slab_cpu_unlock(hide->cache);
}

/*
 * An object marked cached but in no magazine is lost for good: validation
 * must see it, when no magazine changes under it.
 */
static void bs_slab_test_validate_sees_lost_object(struct kunit *test)
{
	struct bs_slab_cache *cache = bs_test_cache(test, 64, 0, 0);
	struct bs_test_hide hide = { .cache = cache, .delta = -1, .cpu = -1 };
	void *obj = bs_slab_cache_alloc(cache);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(cache, obj), 0);
	/* The magazine of whichever CPU the free ran on holds it. */
	bs_cpu_each(bs_test_hide_round, &hide);
	KUNIT_ASSERT_GE(test, hide.cpu, 0);

	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), -EUCLEAN);

	hide.delta = 1;
	bs_cpu_each(bs_test_hide_round, &hide);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&bs_test(test)->slab), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

/*
 * The size classes are found in O(1) (a table up to 192 bytes, powers of
 * two above): every size from 1 to one past the largest class gets what the
 * definition says, the smallest class that holds it. Each class knows its
 * index, and bs_slab_kfree() takes objects of the classes only.
 */
static void bs_slab_test_kmalloc_classes(struct kunit *test)
{
	struct bs_slab *slab = &bs_test(test)->slab;
	struct bs_slab_cache *other = bs_test_cache(test, 64, 0, 0);
	struct bs_slab_cache *class64;
	size_t size, want, got, wrong = 0;
	unsigned int i;
	void *obj;

	for (i = 0; i < BS_SLAB_NR_CLASSES; i++)
		KUNIT_EXPECT_EQ(test, bs_slab_class_index(slab->classes[i]), i);
	KUNIT_EXPECT_EQ(test, bs_slab_class_index(other), -ENOENT);

	for (size = 1; size <= BS_SLAB_MAX_CLASS + 1; size++) {
		want = bs_buddy_granted(size);
		for (i = 0; i < BS_SLAB_NR_CLASSES; i++) {
			if (slab->classes[i]->object_size >= size) {
				want = slab->classes[i]->object_size;
				break;
			}
		}
		got = bs_slab_kmalloc_granted(slab, size);
		if (got != want && !wrong++)
			KUNIT_FAIL(test, "size %zu: granted %zu, the class holds %zu",
				   size, got, want);
	}
	KUNIT_EXPECT_EQ(test, wrong, 0);

	/* Freed into its class, once; a second free is counted there. */
	class64 = slab->classes[3];
	KUNIT_ASSERT_EQ(test, class64->object_size, 64);
	obj = bs_slab_kmalloc(slab, 50, &got);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, got, 64);
	KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_test_counter(class64, BS_SLAB_FREES), 1);
	KUNIT_EXPECT_EQ(test, bs_test_counter(class64, BS_SLAB_DOUBLE_FREES), 1);

	/* An object of a cache of a class's size, but no class: refused. */
	obj = bs_slab_cache_alloc(other);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, bs_slab_kfree(slab, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_test_counter(other, BS_SLAB_FREES), 0);
	KUNIT_EXPECT_EQ(test, bs_test_counter(class64, BS_SLAB_FREES), 1);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(other, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(other), 0);
}

/*
 * The slab's table of arenas answers as the region does, for the first and
 * last byte of every arena and the bytes just outside, and a stack, a
 * kmalloc'd and a NULL pointer: in which page of the region, or none.
 */
static void bs_slab_test_arena_table(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	struct bs_slab *slab = &bs_test(test)->slab;
	unsigned long want, got, a, i, checked = 0;
	void *foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	const void *addrs[7];
	bool found;
	u8 *base;

	KUNIT_ASSERT_NOT_NULL(test, foreign);
	for (a = 0; a < bs_buddy_nr_arenas(buddy); a++) {
		base = bs_buddy_addr(buddy, a * BS_ARENA_PAGES);
		addrs[0] = base - 1;
		addrs[1] = base;
		addrs[2] = base + BS_ARENA_BYTES / 2 + 17;
		addrs[3] = base + BS_ARENA_BYTES - 1;
		addrs[4] = base + BS_ARENA_BYTES;
		addrs[5] = foreign;
		addrs[6] = &found;
		for (i = 0; i < ARRAY_SIZE(addrs); i++) {
			found = bs_slab_pgoff_of(slab, addrs[i], &got);
			KUNIT_EXPECT_EQ_MSG(test, found,
					    !bs_buddy_pgoff_of(buddy, addrs[i], &want),
					    "arena %lu, address %lu", a, i);
			if (found && !bs_buddy_pgoff_of(buddy, addrs[i], &want))
				KUNIT_EXPECT_EQ_MSG(test, got, want,
						    "arena %lu, address %lu", a, i);
			checked++;
		}
		KUNIT_EXPECT_TRUE(test, bs_slab_pgoff_of(slab, base, &got));
		KUNIT_EXPECT_EQ(test, got, a * BS_ARENA_PAGES);
	}
	KUNIT_EXPECT_FALSE(test, bs_slab_pgoff_of(slab, NULL, &got));
	KUNIT_EXPECT_GT(test, checked, 0);
}

/*
 * The depot cases drive the reaps themselves: the allocator's own, every
 * BS_SLAB_REAP_INTERVAL, is stopped (the suite's exit tears it down). They
 * stay on one CPU, whose magazines they count on.
 */
static void bs_test_reaps_alone(struct kunit *test)
{
	cancel_delayed_work_sync(&bs_test(test)->slab.reaper);
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current,
						   cpumask_of(raw_smp_processor_id())), 0);
}

/* Count @n contentions of the depot lock, as CPUs that found it taken do. */
static void bs_test_contend(struct bs_slab_cache *cache, unsigned long n)
{
	spin_lock(&cache->depot_lock);
	cache->depot_counters[BS_SLAB_DEPOT_CONTENDED] += n;
	spin_unlock(&cache->depot_lock);
}

struct bs_test_depot {
	unsigned int full, empty, magazine_size, loaded_size, previous_size;
	unsigned long magazine_objs, trimmed, resizes, active_slabs;
};

/* The depot's lists, this CPU's magazines, and the cache's snapshot. */
static void bs_test_depot(struct bs_slab_cache *cache, struct bs_test_depot *d)
{
	struct bs_slab_cache_stats stats;
	struct bs_slab_cpu *c;

	spin_lock(&cache->depot_lock);
	d->full = cache->nr_full_magazines;
	d->empty = cache->nr_empty_magazines;
	spin_unlock(&cache->depot_lock);
	local_lock(&cache->cpu->lock);
	c = this_cpu_ptr(cache->cpu);
	d->loaded_size = c->loaded->size;
	d->previous_size = c->previous->size;
	local_unlock(&cache->cpu->lock);
	bs_slab_cache_stats(cache, &stats);
	d->magazine_size = stats.magazine_size;
	d->magazine_objs = stats.magazine_objs;
	d->trimmed = stats.counters[BS_SLAB_MAG_TRIMMED];
	d->resizes = stats.counters[BS_SLAB_MAG_RESIZES];
	d->active_slabs = stats.active_slabs;
}

/* Allocate @n objects of @cache into @objs, then free them all. */
static void bs_test_cycle(struct kunit *test, struct bs_slab_cache *cache,
			  void **objs, unsigned int n, bool alloc, bool free)
{
	unsigned int i;

	for (i = 0; alloc && i < n; i++) {
		objs[i] = bs_slab_cache_alloc(cache);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; free && i < n; i++)
		KUNIT_ASSERT_EQ(test, bs_slab_cache_free(cache, objs[i]), 0);
}

/*
 * Bonwick and Adams: a reap that finds the depot contended more than
 * BS_SLAB_DEPOT_CONTENTION times since the last doubles the magazine size,
 * up to the cache's maximum; at the threshold it does not. Magazines are
 * then made at the new size, and those of the old size are freed as they
 * come back empty. (A uniprocessor never contends: the contentions are
 * counted here as CPUs would; bs_slab_test_contention_grows has real ones.)
 */
static void bs_slab_test_magazine_grows(struct kunit *test)
{
	struct bs_slab *slab = &bs_test(test)->slab;
	const unsigned int n = 4 * BS_SLAB_MAG_ROUNDS;
	struct bs_slab_cache *cache, *big;
	struct bs_test_depot d;
	unsigned int want;
	void **objs;

	bs_test_reaps_alone(test);
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	cache = bs_test_cache(test, 64, 0, 0);
	KUNIT_ASSERT_EQ(test, cache->mag_max, BS_SLAB_MAG_MAX_ROUNDS);

	/* Two magazines on the CPU, two full in the depot, all of 32. */
	bs_test_cycle(test, cache, objs, n, true, true);
	bs_test_contend(cache, BS_SLAB_DEPOT_CONTENTION);
	bs_slab_reap(slab);
	bs_test_depot(cache, &d);
	KUNIT_EXPECT_EQ(test, d.magazine_size, BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, d.resizes, 0);
	KUNIT_EXPECT_EQ(test, d.full, 2);

	/* All taken: the depot keeps the CPU's two empty ones... */
	bs_test_cycle(test, cache, objs, n, true, false);
	bs_test_depot(cache, &d);
	KUNIT_EXPECT_EQ(test, d.full, 0);
	KUNIT_EXPECT_EQ(test, d.empty, 2);
	/* ... until the magazines grow: they are of the old size. */
	bs_test_contend(cache, BS_SLAB_DEPOT_CONTENTION + 1);
	bs_slab_reap(slab);
	bs_test_depot(cache, &d);
	KUNIT_EXPECT_EQ(test, d.magazine_size, 2 * BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, d.resizes, 1);
	KUNIT_EXPECT_EQ(test, d.empty, 0);

	/* A free that needs a magazine gets one of the new size. */
	bs_test_cycle(test, cache, objs, n, false, true);
	bs_test_depot(cache, &d);
	KUNIT_EXPECT_EQ(test, d.loaded_size, 2 * BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, d.previous_size, BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, d.full, 1);
	KUNIT_EXPECT_EQ(test, d.magazine_objs, n);
	/* Back empty, the new one is kept; the validator sees no old one. */
	bs_test_cycle(test, cache, objs, n, true, true);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(slab), 0);

	/* Doubling up to the maximum, and no further. */
	for (want = 4 * BS_SLAB_MAG_ROUNDS; want <= 2 * BS_SLAB_MAG_MAX_ROUNDS;
	     want *= 2) {
		bs_test_contend(cache, BS_SLAB_DEPOT_CONTENTION + 1);
		bs_slab_reap(slab);
		bs_test_depot(cache, &d);
		KUNIT_EXPECT_EQ(test, d.magazine_size,
				min(want, BS_SLAB_MAG_MAX_ROUNDS));
	}
	KUNIT_EXPECT_EQ(test, d.resizes, ilog2(BS_SLAB_MAG_MAX_ROUNDS / BS_SLAB_MAG_ROUNDS));
	KUNIT_EXPECT_EQ(test, bs_slab_validate(slab), 0);

	/* Large objects: a magazine holds at most BS_SLAB_MAG_MAX_BYTES. */
	big = bs_test_cache(test, BS_SLAB_MAX_CLASS, 0, 0);
	KUNIT_EXPECT_EQ(test, big->mag_max, BS_SLAB_MAG_ROUNDS);
	bs_test_contend(big, 100 * BS_SLAB_DEPOT_CONTENTION);
	bs_slab_reap(slab);
	bs_test_depot(big, &d);
	KUNIT_EXPECT_EQ(test, d.magazine_size, BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, d.resizes, 0);

	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(big), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

static void bs_test_depot_info(struct kunit *test, const char *when,
			       const struct bs_test_depot *d)
{
	kunit_info(test, "%-22s depot %u full %u empty, %3lu objects in magazines, %lu active slabs, %lu magazines trimmed\n",
		   when, d->full, d->empty, d->magazine_objs, d->active_slabs,
		   d->trimmed);
}

/*
 * The depot's working set: a reap frees the magazines the depot held all
 * through the interval since the last one, full ones emptied into the
 * slabs; those taken out meanwhile stay. An idle depot is empty after two
 * reaps; the CPU's own magazines are not the depot's to trim.
 */
static void bs_slab_test_depot_trim(struct kunit *test)
{
	struct bs_slab *slab = &bs_test(test)->slab;
	const unsigned int n = 6 * BS_SLAB_MAG_ROUNDS;
	struct bs_slab_cache *cache;
	struct bs_test_depot d;
	void **objs;

	bs_test_reaps_alone(test);
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	cache = bs_test_cache(test, 64, 0, 0);

	/* Two full magazines on the CPU, four in the depot. */
	bs_test_cycle(test, cache, objs, n, true, true);
	bs_test_depot(cache, &d);
	bs_test_depot_info(test, "after use", &d);
	KUNIT_EXPECT_EQ(test, d.full, 4);
	KUNIT_EXPECT_EQ(test, d.magazine_objs, n);

	/* The depot was empty when the cache was made: nothing to trim. */
	bs_slab_reap(slab);
	bs_test_depot(cache, &d);
	bs_test_depot_info(test, "first reap", &d);
	KUNIT_EXPECT_EQ(test, d.full, 4);
	KUNIT_EXPECT_EQ(test, d.trimmed, 0);

	/* Two of the four taken out and brought back: two are unused. */
	bs_test_cycle(test, cache, objs, 4 * BS_SLAB_MAG_ROUNDS, true, true);
	bs_test_depot(cache, &d);
	KUNIT_EXPECT_EQ(test, d.full, 4);
	bs_slab_reap(slab);
	bs_test_depot(cache, &d);
	bs_test_depot_info(test, "reap after use", &d);
	KUNIT_EXPECT_EQ(test, d.full, 2);
	KUNIT_EXPECT_EQ(test, d.trimmed, 2);
	KUNIT_EXPECT_EQ(test, d.magazine_objs, n - 2 * BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(slab), 0);

	/* Idle: the rest goes, then nothing more. */
	bs_slab_reap(slab);
	bs_test_depot(cache, &d);
	bs_test_depot_info(test, "idle reap", &d);
	KUNIT_EXPECT_EQ(test, d.full, 0);
	KUNIT_EXPECT_EQ(test, d.empty, 0);
	KUNIT_EXPECT_EQ(test, d.magazine_objs, 2 * BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, d.active_slabs, 1);
	bs_slab_reap(slab);
	bs_test_depot(cache, &d);
	bs_test_depot_info(test, "second idle reap", &d);
	KUNIT_EXPECT_EQ(test, d.trimmed, 2 + 2);
	KUNIT_EXPECT_EQ(test, d.magazine_objs, 2 * BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(slab), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

#define BS_TEST_HAMMER_BATCH	(8 * BS_SLAB_MAG_ROUNDS)
#define BS_TEST_HAMMER_PERIODS	5
#define BS_TEST_HAMMER_MS	300

/* A thread that allocates and frees batches from one cache until told. */
struct bs_test_hammer {
	struct bs_slab_cache *cache;
	struct completion done;
	bool stop;
	unsigned long pairs;
	int ret;
	void *objs[BS_TEST_HAMMER_BATCH];
};

static int bs_test_hammer_fn(void *data)
{
	struct bs_test_hammer *h = data;
	unsigned int i, n;

	while (!READ_ONCE(h->stop) && !h->ret) {
		for (n = 0; n < BS_TEST_HAMMER_BATCH; n++) {
			h->objs[n] = bs_slab_cache_alloc(h->cache);
			if (!h->objs[n]) {
				h->ret = -ENOMEM;
				break;
			}
		}
		for (i = 0; i < n; i++)
			if (bs_slab_cache_free(h->cache, h->objs[i]))
				h->ret = -EINVAL;
		WRITE_ONCE(h->pairs, h->pairs + n);
		cond_resched();
	}
	complete(&h->done);
	return 0;
}

/*
 * Two CPUs hammer one cache with batches of 256 objects, each batch past
 * both of a CPU's magazines of 32, so that each CPU goes to the depot every
 * 32 operations and they meet at its lock. After each period a reap sees
 * the contentions and doubles the magazines: with 128 rounds a batch fits
 * a CPU's two magazines and the depot goes quiet. Prints each period's
 * figures; needs two CPUs.
 */
static void bs_slab_test_contention_grows(struct kunit *test)
{
	struct bs_slab *slab = &bs_test(test)->slab;
	struct bs_test_hammer *h;
	struct bs_slab_cache_stats stats;
	struct bs_slab_cache *cache;
	unsigned long contended = 0, pairs, last[2] = {};
	unsigned int period, i;
	struct task_struct *task;
	u64 start, ns;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs, to contend");
	cancel_delayed_work_sync(&slab->reaper);
	h = kunit_kcalloc(test, 2, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	cache = bs_test_cache(test, 64, 0, 0);
	for (i = 0; i < 2; i++) {
		h[i].cache = cache;
		init_completion(&h[i].done);
		task = kthread_create(bs_test_hammer_fn, &h[i], "bs_hammer/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		kthread_bind(task, cpumask_nth(i, cpu_online_mask));
		wake_up_process(task);
	}

	for (period = 0; period < BS_TEST_HAMMER_PERIODS; period++) {
		start = ktime_get_ns();
		msleep(BS_TEST_HAMMER_MS);
		ns = ktime_get_ns() - start;
		bs_slab_cache_stats(cache, &stats);
		pairs = 0;
		for (i = 0; i < 2; i++) {
			pairs += READ_ONCE(h[i].pairs) - last[i];
			last[i] = READ_ONCE(h[i].pairs);
		}
		kunit_info(test, "period %u: magazines of %3u, %8lu pairs (%5llu ns per pair per CPU), %6lu depot contentions\n",
			   period, stats.magazine_size, pairs,
			   pairs ? div64_ul(2 * ns, pairs) : 0,
			   stats.counters[BS_SLAB_DEPOT_CONTENDED] - contended);
		contended = stats.counters[BS_SLAB_DEPOT_CONTENDED];
		bs_slab_reap(slab);
	}
	for (i = 0; i < 2; i++) {
		WRITE_ONCE(h[i].stop, true);
		wait_for_completion(&h[i].done);
		KUNIT_EXPECT_EQ(test, h[i].ret, 0);
	}

	bs_slab_cache_stats(cache, &stats);
	KUNIT_EXPECT_GT(test, stats.counters[BS_SLAB_DEPOT_CONTENDED],
			BS_SLAB_DEPOT_CONTENTION);
	KUNIT_EXPECT_GE(test, stats.counters[BS_SLAB_MAG_RESIZES], 1);
	KUNIT_EXPECT_GT(test, stats.magazine_size, BS_SLAB_MAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(slab), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(cache), 0);
}

#define BS_STRESS_CACHES	4

static const struct bs_test_geometry bs_stress_caches[BS_STRESS_CACHES] = {
	{ 16, 0, 0 },
	{ 100, 0, BS_SLAB_REDZONE | BS_SLAB_POISON },
	{ 512, 64, 0 },
	{ 3000, 0, BS_SLAB_REDZONE },
};

struct bs_slab_stress {
	struct bs_test_stress stress;
	struct bs_slab_cache *caches[BS_STRESS_CACHES];
};

/* An object of a cache drawn at random; @slot->handle is the cache. */
static int bs_slab_stress_alloc(struct bs_test_stress *stress,
				struct bs_test_stress_slot *slot,
				struct rnd_state *rnd)
{
	struct bs_slab_stress *ss = container_of(stress, struct bs_slab_stress, stress);

	slot->handle = prandom_u32_state(rnd) % BS_STRESS_CACHES;
	slot->size = bs_stress_caches[slot->handle].size;
	slot->mem = bs_slab_cache_alloc(ss->caches[slot->handle]);
	return slot->mem ? 0 : -ENOMEM;
}

static int bs_slab_stress_free(struct bs_test_stress *stress,
			       struct bs_test_stress_slot *slot)
{
	struct bs_slab_stress *ss = container_of(stress, struct bs_slab_stress, stress);

	return bs_slab_cache_free(ss->caches[slot->handle], slot->mem);
}

/*
 * A seeded random mix of allocations and frees over several caches, with
 * and without debugging, which never runs out of memory; both checkers
 * run as it goes and at the end, and no debugging check fires.
 */
static void bs_slab_test_random_stress(struct kunit *test)
{
	struct bs_slab_stress ss = {
		.stress = {
			.test = test,
			.mem = bs_test(test),
			.nr_slots = 256,
			.alloc = bs_slab_stress_alloc,
			.free = bs_slab_stress_free,
		},
	};
	struct bs_slab *slab = &bs_test(test)->slab;
	unsigned int i;

	for (i = 0; i < BS_STRESS_CACHES; i++)
		ss.caches[i] = bs_test_cache(test, bs_stress_caches[i].size,
					     bs_stress_caches[i].align,
					     bs_stress_caches[i].flags);
	bs_test_stress_run(&ss.stress, 0x51ab51ab);

	KUNIT_EXPECT_EQ(test, bs_slab_validate(slab), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(&bs_test(test)->buddy), 0);
	for (i = 0; i < BS_STRESS_CACHES; i++) {
		KUNIT_EXPECT_EQ(test, bs_test_counter(ss.caches[i], BS_SLAB_REDZONE_ERRORS) +
				bs_test_counter(ss.caches[i], BS_SLAB_POISON_ERRORS), 0);
		KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(ss.caches[i]), 0);
	}
}

static struct kunit_case bs_slab_test_cases[] = {
	KUNIT_CASE_PARAM(bs_slab_test_fill_and_empty, bs_test_geometry_gen_params),
	KUNIT_CASE(bs_slab_test_colouring),
	KUNIT_CASE(bs_slab_test_bad_create),
	KUNIT_CASE(bs_slab_test_destroy_busy),
	KUNIT_CASE(bs_slab_test_constructor),
	KUNIT_CASE(bs_slab_test_redzone),
	KUNIT_CASE(bs_slab_test_use_after_free),
	KUNIT_CASE(bs_slab_test_double_free),
	KUNIT_CASE(bs_slab_test_invalid_free),
	KUNIT_CASE(bs_slab_test_kmalloc),
	KUNIT_CASE(bs_slab_test_kmalloc_classes),
	KUNIT_CASE(bs_slab_test_arena_table),
	KUNIT_CASE(bs_slab_test_magazines),
	KUNIT_CASE(bs_slab_test_shrinker),
	KUNIT_CASE(bs_slab_test_cpu_slabs),
	KUNIT_CASE(bs_slab_test_cpu_slab_shared_when_full),
	KUNIT_CASE(bs_slab_test_validate_detects_corruption),
	KUNIT_CASE(bs_slab_test_validate_changes_nothing),
	KUNIT_CASE(bs_slab_test_validate_sees_lost_object),
	KUNIT_CASE(bs_slab_test_magazine_grows),
	KUNIT_CASE(bs_slab_test_depot_trim),
	KUNIT_CASE(bs_slab_test_contention_grows),
	KUNIT_CASE_SLOW(bs_slab_test_random_stress),
	{}
};

static struct kunit_suite bs_slab_test_suite = {
	.name = "buddyslab_slab",
	.init = bs_slab_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_slab_test_cases,
};

kunit_test_suite(bs_slab_test_suite);
