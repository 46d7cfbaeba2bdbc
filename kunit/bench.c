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
 */
#define pr_fmt(fmt) KBUILD_MODNAME " bench: " fmt

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include "buddy.h"

#define BS_BENCH_ROUNDS		5
#define BS_BENCH_BATCH		512
/* Enough arenas for a batch of the largest order measured. */
#define BS_BENCH_ARENAS		256

static const unsigned int bs_bench_orders[] = { 0, 3, 9 };

/* The allocators measured: one block of @order, then its release. */
struct bs_bench_ops {
	const char *name;
	void *(*alloc)(void *ctx, unsigned int order);
	void (*free)(void *ctx, void *block, unsigned int order);
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

/* Tenths of a nanosecond per pair, best of the rounds; 0 on failure. */
static u64 bs_bench_single(const struct bs_bench_ops *ops, void *ctx,
			   unsigned int order, unsigned int iterations)
{
	u64 best = U64_MAX, t;
	unsigned int round, i;
	void *block;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (i = 0; i < iterations; i++) {
			block = ops->alloc(ctx, order);
			if (!block)
				return 0;
			ops->free(ctx, block, order);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return div_u64(best * 10, iterations);
}

static u64 bs_bench_batch(const struct bs_bench_ops *ops, void *ctx,
			  unsigned int order, unsigned int repeats,
			  void **blocks)
{
	u64 best = U64_MAX, t;
	unsigned int round, r, i;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (r = 0; r < repeats; r++) {
			for (i = 0; i < BS_BENCH_BATCH; i++) {
				blocks[i] = ops->alloc(ctx, order);
				if (!blocks[i])
					goto fail;
			}
			for (i = 0; i < BS_BENCH_BATCH; i++)
				ops->free(ctx, blocks[i], order);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return div_u64(best * 10, repeats * BS_BENCH_BATCH);

fail:
	while (i--)
		ops->free(ctx, blocks[i], order);
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

static void bs_bench_print(const char *pattern, unsigned int order,
			   const u64 *tenths)
{
	u64 ratio = tenths[1] ? div64_u64(tenths[0] * 1000, tenths[1]) : 0;

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
					     BS_BENCH_ARENAS * BS_REGION_CHUNK_BYTES), 0);
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

static struct kunit_case bs_bench_cases[] = {
	KUNIT_CASE_SLOW(bs_bench_buddy),
	{}
};

static struct kunit_suite bs_bench_suite = {
	.name = "buddyslab_bench",
	.test_cases = bs_bench_cases,
};

kunit_test_suite(bs_bench_suite);
