// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab benchmarks: the cost of an allocation and free in buddyslab's
 * allocators against the kernel's own, measured in the same run on the same
 * machine, and printed as a table. Nothing here asserts anything about time;
 * the figures are for people to read (make bench, docs/benchmarks.md).
 *
 * Built only into the benchmark kernel (CONFIG_BUDDYSLAB_BENCH), which has no
 * KASAN, lockdep or other debugging, so that UML's native execution makes
 * the times real CPU times.
 *
 * Each figure is the best of BS_BENCH_ROUNDS rounds, in nanoseconds per
 * alloc+free pair: "single" allocates and frees one block over and over,
 * "batch" allocates BS_BENCH_BATCH blocks and then frees them all.
 *
 * The slab part also measures internal fragmentation on a mixed-size
 * workload, to set beside the 11 to 14% Bonwick reports for his allocator.
 * The fit part shows how each policy's search grows with the number of free
 * blocks: first and next fit scan a list, best and worst fit descend a tree.
 */
#define pr_fmt(fmt) KBUILD_MODNAME " bench: " fmt

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include <linux/prandom.h>

#include "fit.h"
#include "slab.h"

#define BS_BENCH_ROUNDS		5
#define BS_BENCH_BATCH		512
/* Enough arenas for a batch of the largest order measured. */
#define BS_BENCH_ARENAS		256

static const unsigned int bs_bench_orders[] = { 0, 3, 9 };

/*
 * The allocators measured: one block, then its release. @arg is the order
 * for page allocators and the size for kmalloc-like ones; @ctx is the
 * allocator or cache.
 */
struct bs_bench_ops {
	const char *name;
	void *(*alloc)(void *ctx, unsigned int arg);
	void (*free)(void *ctx, void *block, unsigned int arg);
};

static void *bs_bench_buddy_alloc(void *ctx, unsigned int order)
{
	unsigned long pgoff;

	if (bs_buddy_alloc(ctx, order, BS_BUDDY_TAG_DIRECT, &pgoff))
		return NULL;
	/* Page offsets are never ULONG_MAX: the +1 keeps 0 apart from NULL. */
	return (void *)(pgoff + 1);
}

static void bs_bench_buddy_free(void *ctx, void *block, unsigned int order)
{
	bs_buddy_free(ctx, (unsigned long)block - 1);
}

static void *bs_bench_pages_alloc(void *ctx, unsigned int order)
{
	return alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
}

static void bs_bench_pages_free(void *ctx, void *block, unsigned int order)
{
	__free_pages(block, order);
}

static void *bs_bench_cache_alloc(void *ctx, unsigned int size)
{
	return bs_slab_cache_alloc(ctx);
}

static void bs_bench_cache_free(void *ctx, void *obj, unsigned int size)
{
	bs_slab_cache_free(ctx, obj);
}

static void *bs_bench_kmem_cache_alloc(void *ctx, unsigned int size)
{
	return kmem_cache_alloc(ctx, GFP_KERNEL);
}

static void bs_bench_kmem_cache_free(void *ctx, void *obj, unsigned int size)
{
	kmem_cache_free(ctx, obj);
}

static void *bs_bench_kmalloc(void *ctx, unsigned int size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void bs_bench_kfree(void *ctx, void *obj, unsigned int size)
{
	kfree(obj);
}

static const struct bs_bench_ops bs_bench_buddy_ops = {
	.name = "buddyslab",
	.alloc = bs_bench_buddy_alloc,
	.free = bs_bench_buddy_free,
};

static const struct bs_bench_ops bs_bench_pages_ops = {
	.name = "alloc_pages",
	.alloc = bs_bench_pages_alloc,
	.free = bs_bench_pages_free,
};

static const struct bs_bench_ops bs_bench_cache_ops = {
	.name = "buddyslab cache",
	.alloc = bs_bench_cache_alloc,
	.free = bs_bench_cache_free,
};

static const struct bs_bench_ops bs_bench_kmem_cache_ops = {
	.name = "kmem_cache",
	.alloc = bs_bench_kmem_cache_alloc,
	.free = bs_bench_kmem_cache_free,
};

static const struct bs_bench_ops bs_bench_kmalloc_ops = {
	.name = "kmalloc",
	.alloc = bs_bench_kmalloc,
	.free = bs_bench_kfree,
};

/* Tenths of a nanosecond per pair, best of the rounds; 0 on failure. */
static u64 bs_bench_single(const struct bs_bench_ops *ops, void *ctx,
			   unsigned int arg, unsigned int iterations)
{
	u64 best = U64_MAX, t;
	unsigned int round, i;
	void *block;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (i = 0; i < iterations; i++) {
			block = ops->alloc(ctx, arg);
			if (!block)
				return 0;
			ops->free(ctx, block, arg);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return div_u64(best * 10, iterations);
}

static u64 bs_bench_batch(const struct bs_bench_ops *ops, void *ctx,
			  unsigned int arg, unsigned int repeats,
			  void **blocks)
{
	u64 best = U64_MAX, t;
	unsigned int round, r, i;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (r = 0; r < repeats; r++) {
			for (i = 0; i < BS_BENCH_BATCH; i++) {
				blocks[i] = ops->alloc(ctx, arg);
				if (!blocks[i])
					goto fail;
			}
			for (i = 0; i < BS_BENCH_BATCH; i++)
				ops->free(ctx, blocks[i], arg);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return div_u64(best * 10, repeats * BS_BENCH_BATCH);

fail:
	while (i--)
		ops->free(ctx, blocks[i], arg);
	return 0;
}

/* Fewer repeats for larger orders keep every row to a fraction of a second. */
static unsigned int bs_bench_iterations(unsigned int order)
{
	return order < 9 ? 200000 : 20000;
}

struct bs_bench_row {
	u64 single[2];
	u64 batch[2];
};

static void bs_bench_measure(struct kunit *test, const struct bs_bench_ops *ops,
			     void *ctx, unsigned int which,
			     struct bs_bench_row *rows, void **blocks)
{
	unsigned int i, order;

	for (i = 0; i < ARRAY_SIZE(bs_bench_orders); i++) {
		order = bs_bench_orders[i];
		rows[i].single[which] = bs_bench_single(ops, ctx, order,
							bs_bench_iterations(order));
		rows[i].batch[which] = bs_bench_batch(ops, ctx, order,
						      bs_bench_iterations(order) /
						      BS_BENCH_BATCH / 4 ?: 1,
						      blocks);
		KUNIT_EXPECT_NE_MSG(test, rows[i].single[which], 0,
				    "%s order %u: allocation failed", ops->name, order);
		KUNIT_EXPECT_NE_MSG(test, rows[i].batch[which], 0,
				    "%s order %u batch: allocation failed", ops->name,
				    order);
	}
}

/* Thousandths of @ours / @theirs. */
static u64 bs_bench_ratio(u64 ours, u64 theirs)
{
	return theirs ? div64_u64(ours * 1000, theirs) : 0;
}

static void bs_bench_print(const char *pattern, unsigned int order,
			   const u64 *tenths)
{
	u64 ratio = bs_bench_ratio(tenths[0], tenths[1]);

	pr_info("%5u  %-8s %9llu.%llu %11llu.%llu %5llu.%03llu\n", order, pattern,
		tenths[0] / 10, tenths[0] % 10, tenths[1] / 10, tenths[1] % 10,
		ratio / 1000, ratio % 1000);
}

static void bs_bench_buddy(struct kunit *test)
{
	struct bs_bench_row rows[ARRAY_SIZE(bs_bench_orders)] = {};
	struct bs_buddy_stats stats;
	struct bs_region region;
	struct bs_buddy buddy;
	unsigned long pages;
	void **blocks;
	unsigned int i;

	blocks = kunit_kmalloc_array(test, BS_BENCH_BATCH, sizeof(*blocks),
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);

	/* buddyslab first, then its region goes back for the kernel's turn. */
	KUNIT_ASSERT_EQ(test, bs_region_init(&region,
					     BS_BENCH_ARENAS * BS_ARENA_BYTES), 0);
	KUNIT_ASSERT_EQ(test, bs_buddy_init(&buddy, &region), 0);
	bs_bench_measure(test, &bs_bench_buddy_ops, &buddy, 0, rows, blocks);
	bs_buddy_stats(&buddy, &stats);
	pages = bs_buddy_total_pages(&buddy);
	bs_buddy_fini(&buddy);
	bs_region_fini(&region);

	bs_bench_measure(test, &bs_bench_pages_ops, NULL, 1, rows, blocks);

	pr_info("buddy allocator: ns per alloc+free pair, best of %u rounds\n",
		BS_BENCH_ROUNDS);
	pr_info("order  pattern  buddyslab  alloc_pages  ratio\n");
	for (i = 0; i < ARRAY_SIZE(bs_bench_orders); i++) {
		bs_bench_print("single", bs_bench_orders[i], rows[i].single);
		bs_bench_print("batch", bs_bench_orders[i], rows[i].batch);
	}
	pr_info("metadata: %lu bytes for %lu pages: %lu.%02lu bytes per page, %lu.%03lu%% of the region\n",
		stats.metadata_bytes, pages, stats.metadata_bytes / pages,
		stats.metadata_bytes * 100 / pages % 100,
		stats.metadata_bytes * 100 / (pages * PAGE_SIZE),
		stats.metadata_bytes * 100000 / (pages * PAGE_SIZE) % 1000);
}

static const unsigned int bs_bench_sizes[] = { 64, 512 };

/* Tenths of ns for one allocator: [0] single, [1] batch. */
static void bs_bench_objects(struct kunit *test, const struct bs_bench_ops *ops,
			     void *ctx, unsigned int size, void **blocks,
			     u64 tenths[2])
{
	const unsigned int iterations = 400000;

	tenths[0] = bs_bench_single(ops, ctx, size, iterations);
	tenths[1] = bs_bench_batch(ops, ctx, size,
				   iterations / BS_BENCH_BATCH / 4, blocks);
	KUNIT_EXPECT_NE_MSG(test, tenths[0] * tenths[1], 0,
			    "%s, %u bytes: allocation failed", ops->name, size);
}

static void bs_bench_print_objects(const char *pattern, unsigned int size,
				   u64 ours, u64 cache, u64 kmalloc)
{
	u64 vs_cache = bs_bench_ratio(ours, cache);
	u64 vs_kmalloc = bs_bench_ratio(ours, kmalloc);

	pr_info("%4u  %-7s %9llu.%llu %10llu.%llu %7llu.%llu %7llu.%03llu %7llu.%03llu\n",
		size, pattern, ours / 10, ours % 10, cache / 10, cache % 10,
		kmalloc / 10, kmalloc % 10, vs_cache / 1000, vs_cache % 1000,
		vs_kmalloc / 1000, vs_kmalloc % 1000);
}

#define BS_BENCH_MIXED_OBJECTS	50000

/*
 * Internal fragmentation of the size classes on a mixed workload: sizes
 * log-uniform from 8 bytes to 4 KiB (an exponent, then a size within that
 * power of two), all allocated at once. Rounding is the bytes granted beyond
 * those requested; the total also counts what the slabs hold that no
 * object uses (free objects and unused tails), as Bonwick measures it.
 */
static void bs_bench_fragmentation(struct kunit *test, struct bs_slab *slab)
{
	u64 requested = 0, granted = 0, slab_bytes = 0, rounding, total;
	struct bs_slab_cache_stats *stats;
	struct rnd_state rnd;
	size_t size, got;
	unsigned int i;
	void **objs;

	objs = kunit_kcalloc(test, BS_BENCH_MIXED_OBJECTS, sizeof(*objs), GFP_KERNEL);
	stats = kunit_kzalloc(test, sizeof(*stats), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, stats);
	prandom_seed_state(&rnd, 1994);
	for (i = 0; i < BS_BENCH_MIXED_OBJECTS; i++) {
		size = 8UL << (prandom_u32_state(&rnd) % 9);
		size += prandom_u32_state(&rnd) % size;
		objs[i] = bs_slab_kmalloc(slab, size, &got);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		requested += size;
		granted += got;
	}
	for (i = 0; i < BS_SLAB_NR_CLASSES; i++) {
		bs_slab_cache_stats(slab->classes[i], stats);
		slab_bytes += (u64)stats->num_slabs *
			      bs_slab_cache_slab_pages(slab->classes[i]) << PAGE_SHIFT;
	}
	for (i = 0; i < BS_BENCH_MIXED_OBJECTS; i++)
		bs_slab_kfree(slab, objs[i]);

	rounding = 1000 - bs_bench_ratio(requested, granted);
	total = 1000 - bs_bench_ratio(requested, slab_bytes);
	pr_info("mixed workload: %u objects of 8 B to 4 KiB (log-uniform), all live\n",
		BS_BENCH_MIXED_OBJECTS);
	pr_info("requested %llu B, granted %llu B, held in slabs %llu B\n",
		requested, granted, slab_bytes);
	pr_info("internal fragmentation: rounding to classes %llu.%llu%%, with slab overhead %llu.%llu%% (Bonwick 1994: 11 to 14%%)\n",
		rounding / 10, rounding % 10, total / 10, total % 10);
}

static void bs_bench_slab(struct kunit *test)
{
	u64 ours[2], cache[2], kmalloc_ns[2];
	struct kmem_cache *kcache;
	struct bs_slab_cache *bcache;
	struct bs_region region;
	struct bs_buddy buddy;
	struct bs_slab slab;
	unsigned int i, size;
	void **blocks;

	blocks = kunit_kmalloc_array(test, BS_BENCH_BATCH, sizeof(*blocks),
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	KUNIT_ASSERT_EQ(test, bs_region_init(&region, 16 * BS_ARENA_BYTES), 0);
	KUNIT_ASSERT_EQ(test, bs_buddy_init(&buddy, &region), 0);
	KUNIT_ASSERT_EQ(test, bs_slab_init(&slab, &buddy, 0), 0);

	pr_info("slab allocator: ns per alloc+free pair, best of %u rounds\n",
		BS_BENCH_ROUNDS);
	pr_info("size  pattern  buddyslab  kmem_cache  kmalloc  vs cache  vs kmalloc\n");
	for (i = 0; i < ARRAY_SIZE(bs_bench_sizes); i++) {
		size = bs_bench_sizes[i];
		bcache = bs_slab_cache_create(&slab, "bench", size, 0, 0, NULL);
		kcache = kmem_cache_create("buddyslab_bench", size, 0, 0, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bcache));
		KUNIT_ASSERT_NOT_NULL(test, kcache);

		bs_bench_objects(test, &bs_bench_cache_ops, bcache, size, blocks, ours);
		bs_bench_objects(test, &bs_bench_kmem_cache_ops, kcache, size,
				 blocks, cache);
		bs_bench_objects(test, &bs_bench_kmalloc_ops, NULL, size, blocks,
				 kmalloc_ns);
		bs_bench_print_objects("single", size, ours[0], cache[0], kmalloc_ns[0]);
		bs_bench_print_objects("batch", size, ours[1], cache[1], kmalloc_ns[1]);

		kmem_cache_destroy(kcache);
		KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(bcache), 0);
	}
	bs_bench_fragmentation(test, &slab);

	bs_slab_fini(&slab);
	bs_buddy_fini(&buddy);
	bs_region_fini(&region);
}

static const unsigned int bs_bench_fit_holes[] = { 1000, 10000, 100000 };

/* Tenths of ns per alloc+free of 64 bytes with @policy. */
static u64 bs_bench_fit_pair(struct bs_fit *fit, enum bs_fit_policy policy,
			     unsigned int iterations)
{
	u64 best = U64_MAX, t;
	unsigned int round, i;
	size_t granted;
	void *mem;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (i = 0; i < iterations; i++) {
			mem = bs_fit_alloc(fit, 64, 0, policy, &granted);
			if (!mem)
				return 0;
			bs_fit_free(fit, mem);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return div_u64(best * 10, iterations);
}

/*
 * N free blocks of 32 bytes between allocated ones (2N allocations, every
 * other one freed), then a request of 64 bytes that none of them can take:
 * first fit scans all N, best and worst fit go down the size tree.
 */
static void bs_bench_fit(struct kunit *test)
{
	struct bs_region region;
	struct bs_buddy buddy;
	struct bs_fit fit;
	unsigned int i, h, p, n;
	u64 tenths[BS_FIT_NR_POLICIES];
	size_t granted;
	void **blocks;

	KUNIT_ASSERT_EQ(test, bs_region_init(&region, 16 * BS_ARENA_BYTES), 0);
	KUNIT_ASSERT_EQ(test, bs_buddy_init(&buddy, &region), 0);
	bs_fit_init(&fit, &buddy);
	blocks = kvcalloc(2 * bs_bench_fit_holes[ARRAY_SIZE(bs_bench_fit_holes) - 1],
			  sizeof(*blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);

	pr_info("fit allocators: ns per alloc+free of 64 bytes among N free blocks of 32 bytes, best of %u rounds\n",
		BS_BENCH_ROUNDS);
	pr_info("free blocks      first       next       best      worst\n");
	for (h = 0; h < ARRAY_SIZE(bs_bench_fit_holes); h++) {
		n = bs_bench_fit_holes[h];
		for (i = 0; i < 2 * n; i++) {
			blocks[i] = bs_fit_alloc(&fit, 32, 0, BS_FIT_FIRST, &granted);
			KUNIT_ASSERT_NOT_NULL(test, blocks[i]);
		}
		for (i = 0; i < 2 * n; i += 2)
			bs_fit_free(&fit, blocks[i]);
		for (p = 0; p < BS_FIT_NR_POLICIES; p++) {
			/* Scans of 100,000 blocks are slow: fewer of them. */
			tenths[p] = bs_bench_fit_pair(&fit, p, p == BS_FIT_BEST ||
						      p == BS_FIT_WORST ? 20000 :
						      2000000 / n);
			KUNIT_EXPECT_NE(test, tenths[p], 0);
		}
		pr_info("%11u %10llu.%llu %9llu.%llu %9llu.%llu %9llu.%llu\n", n,
			tenths[0] / 10, tenths[0] % 10, tenths[1] / 10, tenths[1] % 10,
			tenths[2] / 10, tenths[2] % 10, tenths[3] / 10, tenths[3] % 10);
		for (i = 1; i < 2 * n; i += 2)
			bs_fit_free(&fit, blocks[i]);
	}
	kvfree(blocks);
	bs_fit_fini(&fit);
	bs_buddy_fini(&buddy);
	bs_region_fini(&region);
}

static struct kunit_case bs_bench_cases[] = {
	KUNIT_CASE_SLOW(bs_bench_buddy),
	KUNIT_CASE_SLOW(bs_bench_slab),
	KUNIT_CASE_SLOW(bs_bench_fit),
	{}
};

static struct kunit_suite bs_bench_suite = {
	.name = "buddyslab_bench",
	.test_cases = bs_bench_cases,
};

kunit_test_suite(bs_bench_suite);
