// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab buddy allocator.
 *
 * Every case runs on a fresh two-arena region and must leave it as it found
 * it: the suite's exit runs the invariant checker and checks that every page
 * is free again, so a scenario that corrupts or leaks fails even if its own
 * expectations hold. Cases that look at the free lists drain the per-CPU
 * caches first, so that what they see is exactly what the buddy algorithm
 * made of the requests.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "buddy_internal.h"
#include "cpu.h"
#include "harness.h"

static struct bs_buddy *bs_test_buddy(struct kunit *test)
{
	return &bs_test(test)->buddy;
}

/* Free blocks of each order in @arena's free lists must be @expected. */
static void bs_test_expect_nr_free(struct kunit *test, unsigned int arena,
				   const unsigned long *expected)
{
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned int order;

	bs_buddy_arena_nr_free(bs_test_buddy(test), arena, nr_free);
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
		KUNIT_EXPECT_EQ_MSG(test, nr_free[order], expected[order],
				    "arena %u order %u", arena, order);
}

/* Once the caches are drained, every arena is one free block. */
static void bs_test_expect_whole(struct kunit *test)
{
	unsigned long whole[BS_BUDDY_NR_ORDERS] = {
		[BS_BUDDY_MAX_ORDER] = 1,
	};
	unsigned int a;

	bs_buddy_drain(bs_test_buddy(test));
	for (a = 0; a < BS_TEST_ARENAS; a++)
		bs_test_expect_nr_free(test, a, whole);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(bs_test_buddy(test)),
			bs_buddy_total_pages(bs_test_buddy(test)));
}

static unsigned long bs_test_alloc(struct kunit *test, unsigned int order)
{
	unsigned long pgoff;

	KUNIT_ASSERT_EQ_MSG(test, bs_buddy_alloc(bs_test_buddy(test), order,
						   BS_BUDDY_TAG_DIRECT, &pgoff),
			    0, "order %u", order);
	KUNIT_EXPECT_EQ_MSG(test, pgoff & ((1UL << order) - 1), 0,
			    "block of order %u at page %lu is misaligned", order, pgoff);
	return pgoff;
}

static void bs_test_free(struct kunit *test, unsigned long pgoff)
{
	KUNIT_EXPECT_EQ_MSG(test, bs_buddy_free(bs_test_buddy(test), pgoff), 0,
			    "page %lu", pgoff);
}

static void bs_test_stats(struct kunit *test, struct bs_buddy_stats *stats)
{
	bs_buddy_stats(bs_test_buddy(test), stats);
}

/*
 * The arena of a fresh region's first block of @order, which must start
 * it: the lowest arena for an order the caches do not hold (first fit of
 * arenas), else the starting arena of a CPU, whose cache the block came
 * through.
 */
static unsigned int bs_test_first_arena(struct kunit *test, unsigned long pgoff,
					unsigned int order)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned int a = pgoff / BS_ARENA_PAGES;
	bool started = false;
	int cpu;

	KUNIT_EXPECT_EQ_MSG(test, pgoff % BS_ARENA_PAGES, 0,
			    "first block of order %u at page %lu", order, pgoff);
	if (order > BS_BUDDY_PCP_MAX_ORDER) {
		KUNIT_EXPECT_EQ_MSG(test, a, 0, "order %u", order);
		return a;
	}
	for_each_online_cpu(cpu)
		started |= per_cpu_ptr(buddy->pcp, cpu)->start == a;
	KUNIT_EXPECT_TRUE_MSG(test, started,
			      "order %u from arena %u, no CPU's starting arena",
			      order, a);
	return a;
}

/*
 * The tag of a block's stamp: its order above its first page's number, so
 * that with the page's index bs_test_stamp() adds, each page carries its own.
 */
static u64 bs_test_block_tag(unsigned long pgoff, unsigned int order)
{
	return (u64)order << 32 | pgoff;
}

static int bs_buddy_test_init(struct kunit *test)
{
	return bs_test_init(test, 0);
}

/*
 * Every order the buddy has, as a case's parameter. KUnit passes a
 * parameter by its address, so each order is kept in its own element of
 * this array (whose index it is) as the generator reaches it.
 */
static unsigned int bs_test_orders[BS_BUDDY_NR_ORDERS];

/* The order after @prev's (order 0 first), up to @max. */
static const void *bs_test_next_order(const void *prev, char *desc,
				      unsigned int max)
{
	unsigned int order = prev ? *(const unsigned int *)prev + 1 : 0;

	if (order > max)
		return NULL;
	bs_test_orders[order] = order;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", order);
	return &bs_test_orders[order];
}

static const void *bs_test_order_gen_params(const void *prev, char *desc)
{
	return bs_test_next_order(prev, desc, BS_BUDDY_MAX_ORDER);
}

/* Merging four neighbouring blocks needs orders up to BS_BUDDY_MAX_ORDER - 2. */
static const void *bs_test_merge_order_gen_params(const void *prev, char *desc)
{
	return bs_test_next_order(prev, desc, BS_BUDDY_MAX_ORDER - 2);
}

static unsigned int bs_test_param_order(struct kunit *test)
{
	return *(const unsigned int *)test->param_value;
}

static void bs_buddy_test_starts_whole(struct kunit *test)
{
	struct bs_buddy_stats stats;

	KUNIT_EXPECT_EQ(test, bs_test_buddy(test)->nr_arenas, BS_TEST_ARENAS);
	KUNIT_EXPECT_EQ(test, bs_buddy_total_pages(bs_test_buddy(test)),
			BS_TEST_ARENAS * BS_ARENA_PAGES);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.used_pages, 0);
	KUNIT_EXPECT_EQ(test, stats.cached_pages, 0);
	/* Out-of-band metadata stays well under 0.5% of the region. */
	KUNIT_EXPECT_LT(test, stats.metadata_bytes * 200,
			bs_buddy_total_pages(bs_test_buddy(test)) * PAGE_SIZE);
	bs_test_expect_whole(test);
}

/*
 * All of the region as blocks of one order, each stamped so that two blocks
 * sharing a page would show; then one more is refused; then all are freed
 * in a seeded random order and the region is whole again.
 */
static void bs_buddy_test_exhaust_and_recover(struct kunit *test)
{
	const unsigned int order = bs_test_param_order(test);
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long n = bs_buddy_total_pages(buddy) >> order;
	struct bs_buddy_stats stats;
	struct rnd_state rnd;
	unsigned long *blocks, i, pgoff;

	blocks = kunit_kmalloc_array(test, n, sizeof(*blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);

	for (i = 0; i < n; i++) {
		blocks[i] = bs_test_alloc(test, order);
		bs_test_stamp(bs_buddy_addr(buddy, blocks[i]), PAGE_SIZE << order,
			      bs_test_block_tag(blocks[i], order));
	}
	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(buddy, order, BS_BUDDY_TAG_DIRECT, &pgoff), -ENOMEM);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), 0);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.used_pages, bs_buddy_total_pages(buddy));
	KUNIT_EXPECT_EQ(test, stats.counters.order[BS_BUDDY_ALLOCS][order], n);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_ALLOC_FAILS], 1);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);

	prandom_seed_state(&rnd, bs_test_seed(test, 20261121 + order));
	for (i = n; i > 1; i--) {
		unsigned long j = prandom_u32_state(&rnd) % i;

		swap(blocks[j], blocks[i - 1]);
	}
	for (i = 0; i < n; i++) {
		bs_test_stamp_intact(test, bs_buddy_addr(buddy, blocks[i]),
				     PAGE_SIZE << order,
				     bs_test_block_tag(blocks[i], order));
		bs_test_free(test, blocks[i]);
	}
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters.order[BS_BUDDY_FREES][order], n);
	bs_test_expect_whole(test);
}

/* One block splits its arena down to its order: one free block per order. */
static void bs_buddy_test_split(struct kunit *test)
{
	const unsigned int order = bs_test_param_order(test);
	unsigned long split[BS_BUDDY_NR_ORDERS] = {};
	unsigned long whole[BS_BUDDY_NR_ORDERS] = {};
	unsigned long pgoff;
	unsigned int a, o;

	for (o = order; o < BS_BUDDY_MAX_ORDER; o++)
		split[o] = 1;
	whole[BS_BUDDY_MAX_ORDER] = 1;

	pgoff = bs_test_alloc(test, order);
	a = bs_test_first_arena(test, pgoff, order);
	bs_buddy_drain(bs_test_buddy(test));
	bs_test_expect_nr_free(test, a, split);
	bs_test_expect_nr_free(test, a ^ 1, whole);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);

	bs_test_free(test, pgoff);
	bs_test_expect_whole(test);
}

/*
 * Four neighbouring blocks freed so that each merge path is taken: a block
 * whose buddy is still allocated stays alone, a lower block merges with its
 * upper buddy, an upper pair merges with its lower buddy, and the merge
 * cascades up to the whole arena.
 */
static void bs_buddy_test_merge(struct kunit *test)
{
	const unsigned int order = bs_test_param_order(test);
	struct bs_buddy *buddy = bs_test_buddy(test);
	unsigned long nr_free[BS_BUDDY_NR_ORDERS] = {};
	unsigned long block[4];
	unsigned int a, i, o;

	for (i = 0; i < ARRAY_SIZE(block); i++) {
		block[i] = bs_test_alloc(test, order);
		/* Splits keep the lower half, and caches fill in address order. */
		KUNIT_EXPECT_EQ(test, block[i], block[0] + ((unsigned long)i << order));
	}
	a = bs_test_first_arena(test, block[0], order);
	for (o = order + 2; o < BS_BUDDY_MAX_ORDER; o++)
		nr_free[o] = 1;
	bs_buddy_drain(buddy);
	bs_test_expect_nr_free(test, a, nr_free);

	bs_test_free(test, block[1]);		/* buddy 0 allocated: alone */
	bs_buddy_drain(buddy);
	nr_free[order] = 1;
	bs_test_expect_nr_free(test, a, nr_free);

	bs_test_free(test, block[3]);		/* buddy 2 allocated: alone */
	bs_buddy_drain(buddy);
	nr_free[order] = 2;
	bs_test_expect_nr_free(test, a, nr_free);

	bs_test_free(test, block[0]);		/* merges with upper buddy 1 */
	bs_buddy_drain(buddy);
	nr_free[order] = 1;
	nr_free[order + 1] = 1;
	bs_test_expect_nr_free(test, a, nr_free);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);

	bs_test_free(test, block[2]);		/* 2+3, then 0-1 + 2-3, ... */
	bs_test_expect_whole(test);
}

/* Anything but the start of a live block is refused and changes nothing. */
static void bs_buddy_test_bad_free(struct kunit *test)
{
	const unsigned int order = bs_test_param_order(test);
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long total = bs_buddy_total_pages(buddy);
	struct bs_buddy_stats before, after;
	unsigned long block, refused = 0;

	block = bs_test_alloc(test, order);
	bs_test_stats(test, &before);

	if (order) {
		KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block + 1), -EINVAL);
		KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block + (1UL << order) - 1),
				-EINVAL);
		refused += 2;
	}
	/* The next block is free, on a free list or in a cache. */
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block + (1UL << order)), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, total), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, ULONG_MAX), -EINVAL);
	refused += 3;

	bs_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.free_pages, before.free_pages);
	KUNIT_EXPECT_EQ(test, after.cached_pages, before.cached_pages);
	KUNIT_EXPECT_EQ(test, after.counters.event[BS_BUDDY_FREES_REFUSED],
			before.counters.event[BS_BUDDY_FREES_REFUSED] + refused);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);

	bs_test_free(test, block);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block), -EINVAL);
	bs_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.counters.order[BS_BUDDY_FREES][order], 1);
	bs_test_expect_whole(test);
}

/* Larger than an arena can never be served, whatever is free. */
static void bs_buddy_test_too_large(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	struct bs_buddy_stats stats;
	unsigned long pgoff = 0;

	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(buddy, BS_BUDDY_MAX_ORDER + 1,
				       BS_BUDDY_TAG_DIRECT, &pgoff),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(buddy, UINT_MAX, BS_BUDDY_TAG_DIRECT,
				       &pgoff), -EINVAL);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.used_pages, 0);
	bs_test_expect_whole(test);
}

/* Splits and merges are counted one by one. */
static void bs_buddy_test_split_merge_counters(struct kunit *test)
{
	const unsigned int order = BS_BUDDY_PCP_MAX_ORDER + 1;
	struct bs_buddy_stats stats;
	unsigned long block;

	block = bs_test_alloc(test, order);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_SPLITS],
			BS_BUDDY_MAX_ORDER - order);
	bs_test_free(test, block);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_MERGES],
			BS_BUDDY_MAX_ORDER - order);
	bs_test_expect_whole(test);
}

/* A small block comes through the cache: batch refill, LIFO reuse, drain. */
static void bs_buddy_test_pcp_cache_and_drain(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	struct bs_buddy_stats stats;
	unsigned long first, again;

	first = bs_test_alloc(test, 0);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_PCP_MISSES], 1);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_PCP_HITS], 0);
	KUNIT_EXPECT_EQ(test, stats.cached_pages, bs_buddy_pcp_batch(0) - 1);
	KUNIT_EXPECT_EQ(test, stats.used_pages, 1);

	bs_test_free(test, first);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.cached_pages, bs_buddy_pcp_batch(0));
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), bs_buddy_total_pages(buddy));

	again = bs_test_alloc(test, 0);
	KUNIT_EXPECT_EQ(test, again, first);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_PCP_HITS], 1);
	bs_test_free(test, again);

	KUNIT_EXPECT_TRUE(test, bs_buddy_drain(buddy));
	KUNIT_EXPECT_FALSE(test, bs_buddy_drain(buddy));
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.cached_pages, 0);
	bs_test_expect_whole(test);
}

/* A cache never holds more than its high mark: the surplus goes back. */
static void bs_buddy_test_pcp_high_mark(struct kunit *test)
{
	const unsigned int order = 1;
	const unsigned int n = bs_buddy_pcp_high(order) + 2 * bs_buddy_pcp_batch(order);
	unsigned long *blocks;
	struct bs_buddy_stats stats;
	unsigned int i;

	blocks = kunit_kmalloc_array(test, n, sizeof(*blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	for (i = 0; i < n; i++)
		blocks[i] = bs_test_alloc(test, order);
	for (i = 0; i < n; i++)
		bs_test_free(test, blocks[i]);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_LE(test, stats.cached_pages, BS_BUDDY_PCP_HIGH);
	KUNIT_EXPECT_GE(test, stats.counters.event[BS_BUDDY_PCP_DRAINS], 1);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);
	bs_test_expect_whole(test);
}

/*
 * With every allocation freed but blocks left in the caches, the region can
 * still be allocated whole, as blocks of the largest order.
 */
static void bs_buddy_test_pcp_never_hides_memory(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long total = bs_buddy_total_pages(buddy);
	unsigned long *pages, whole[BS_TEST_ARENAS], i;
	struct bs_buddy_stats stats;

	pages = kunit_kmalloc_array(test, total, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < total; i++)
		pages[i] = bs_test_alloc(test, 0);
	for (i = 0; i < total; i++)
		bs_test_free(test, pages[i]);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_GT(test, stats.cached_pages, 0);

	for (i = 0; i < BS_TEST_ARENAS; i++)
		whole[i] = bs_test_alloc(test, BS_BUDDY_MAX_ORDER);
	for (i = 0; i < BS_TEST_ARENAS; i++)
		bs_test_free(test, whole[i]);
	bs_test_expect_whole(test);
}

/*
 * The summary of free orders names every arena for every order it has, and
 * may name it for orders it ran out of: such a stale bit costs a request
 * one look at the arena, which clears it, and never a failure.
 */
static void bs_buddy_test_summary(struct kunit *test)
{
	const unsigned int order = BS_BUDDY_PCP_MAX_ORDER + 1;
	struct bs_buddy *buddy = bs_test_buddy(test);
	unsigned long whole, pgoff;
	unsigned int a, o;

	for (a = 0; a < BS_TEST_ARENAS; a++)
		for (o = 0; o < BS_BUDDY_NR_ORDERS; o++)
			KUNIT_EXPECT_EQ_MSG(test,
					    test_bit(a, bs_buddy_order_map(buddy, o)),
					    o == BS_BUDDY_MAX_ORDER,
					    "arena %u order %u", a, o);

	/* First fit: the lowest arena, whole; its bit stays, stale. */
	whole = bs_test_alloc(test, BS_BUDDY_MAX_ORDER);
	KUNIT_EXPECT_EQ(test, whole, 0);
	KUNIT_EXPECT_TRUE(test, test_bit(0, bs_buddy_order_map(buddy, BS_BUDDY_MAX_ORDER)));

	/* Stale bits in arena 0 lead the next request there first. */
	for (o = order; o < BS_BUDDY_NR_ORDERS; o++)
		set_bit(0, bs_buddy_order_map(buddy, o));
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);
	pgoff = bs_test_alloc(test, order);
	KUNIT_EXPECT_EQ(test, pgoff, BS_ARENA_PAGES);
	for (o = order; o < BS_BUDDY_NR_ORDERS; o++)
		KUNIT_EXPECT_FALSE_MSG(test, test_bit(0, bs_buddy_order_map(buddy, o)),
				       "order %u", o);
	/* The split left arena 1 a block of each order from @order up. */
	for (o = order; o < BS_BUDDY_MAX_ORDER; o++)
		KUNIT_EXPECT_TRUE_MSG(test, test_bit(1, bs_buddy_order_map(buddy, o)),
				      "order %u", o);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);

	bs_test_free(test, pgoff);
	bs_test_free(test, whole);
	bs_test_expect_whole(test);
}

/*
 * What bs_cpu_each() saw on each CPU: the CPU it ran on and, per order, a
 * block allocated there (and freed there, if @free), or the error.
 */
struct bs_test_on_cpu {
	struct bs_buddy *buddy;
	unsigned int orders;
	bool free;
	int *ran_on;
	int (*ret)[BS_BUDDY_PCP_ORDERS];
	unsigned long (*pgoff)[BS_BUDDY_PCP_ORDERS];
};

static void bs_test_alloc_on_cpu(void *arg, unsigned int cpu)
{
	struct bs_test_on_cpu *on = arg;
	unsigned int order;

	if (!cpu_online(cpu))
		return;
	on->ran_on[cpu] = raw_smp_processor_id();
	for (order = 0; order < on->orders; order++) {
		on->ret[cpu][order] = bs_buddy_alloc(on->buddy, order,
						     BS_BUDDY_TAG_DIRECT,
						     &on->pgoff[cpu][order]);
		if (!on->ret[cpu][order] && on->free)
			on->ret[cpu][order] = bs_buddy_free(on->buddy,
							    on->pgoff[cpu][order]);
	}
}

/* Allocate @orders blocks, one of each order from 0, on every online CPU. */
static struct bs_test_on_cpu *bs_test_alloc_on_every_cpu(struct kunit *test,
							 unsigned int orders,
							 bool free)
{
	struct bs_test_on_cpu *on;
	int cpu;

	on = kunit_kzalloc(test, sizeof(*on), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, on);
	on->buddy = bs_test_buddy(test);
	on->orders = orders;
	on->free = free;
	on->ran_on = kunit_kcalloc(test, nr_cpu_ids, sizeof(*on->ran_on), GFP_KERNEL);
	on->ret = kunit_kcalloc(test, nr_cpu_ids, sizeof(*on->ret), GFP_KERNEL);
	on->pgoff = kunit_kcalloc(test, nr_cpu_ids, sizeof(*on->pgoff), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, on->ran_on);
	KUNIT_ASSERT_NOT_NULL(test, on->ret);
	KUNIT_ASSERT_NOT_NULL(test, on->pgoff);
	for_each_possible_cpu(cpu)
		on->ran_on[cpu] = -1;

	bs_cpu_each(bs_test_alloc_on_cpu, on);
	for_each_online_cpu(cpu) {
		unsigned int order;

		KUNIT_EXPECT_EQ_MSG(test, on->ran_on[cpu], cpu,
				    "bs_cpu_each() ran CPU %d's call elsewhere", cpu);
		for (order = 0; order < orders; order++)
			KUNIT_ASSERT_EQ_MSG(test, on->ret[cpu][order], 0,
					    "CPU %d order %u", cpu, order);
	}
	return on;
}

/*
 * Each CPU refills its cache from its own starting arena, spread over the
 * region: two CPUs do not meet at one arena's lock, and in a fresh region
 * each CPU's first block starts its arena.
 */
static void bs_buddy_test_pcp_start_arenas(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	struct bs_test_on_cpu *on;
	unsigned long used = 0;
	unsigned int a;
	int cpu;

	on = bs_test_alloc_on_every_cpu(test, 1, false);
	for_each_online_cpu(cpu) {
		a = on->pgoff[cpu][0] / BS_ARENA_PAGES;
		KUNIT_EXPECT_EQ_MSG(test, a, per_cpu_ptr(buddy->pcp, cpu)->start,
				    "CPU %d", cpu);
		KUNIT_EXPECT_EQ_MSG(test, on->pgoff[cpu][0] % BS_ARENA_PAGES, 0,
				    "CPU %d", cpu);
		used |= BIT(a);
	}
	/* As many arenas as CPUs, up to the region's. */
	KUNIT_EXPECT_EQ(test, hweight_long(used),
			min_t(unsigned int, num_online_cpus(), BS_TEST_ARENAS));
	for_each_online_cpu(cpu)
		bs_test_free(test, on->pgoff[cpu][0]);
	bs_test_expect_whole(test);
}

/*
 * A drain reaches every CPU's cache, each emptied by its own CPU: blocks
 * freed on every CPU sit in that CPU's cache until bs_buddy_drain().
 */
static void bs_buddy_test_drain_every_cpu(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	struct bs_buddy_stats stats;
	unsigned int order;
	int cpu;

	bs_test_alloc_on_every_cpu(test, BS_BUDDY_PCP_ORDERS, true);
	for_each_online_cpu(cpu)
		for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++)
			KUNIT_EXPECT_EQ_MSG(test,
					    per_cpu_ptr(buddy->pcp, cpu)->count[order],
					    bs_buddy_pcp_batch(order),
					    "CPU %d order %u", cpu, order);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.cached_pages,
			num_online_cpus() * BS_BUDDY_PCP_ORDERS * BS_BUDDY_PCP_BATCH);

	KUNIT_EXPECT_TRUE(test, bs_buddy_drain(buddy));
	for_each_possible_cpu(cpu)
		for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++)
			KUNIT_EXPECT_TRUE_MSG(test,
					      list_empty(&per_cpu_ptr(buddy->pcp, cpu)->list[order]),
					      "CPU %d order %u", cpu, order);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.cached_pages, 0);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_PCP_DRAINS],
			num_online_cpus() * BS_BUDDY_PCP_ORDERS);
	bs_test_expect_whole(test);
}

struct bs_test_index_case {
	const char *name;
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	int unusable[BS_BUDDY_NR_ORDERS];
	int extfrag[BS_BUDDY_NR_ORDERS];
};

/*
 * Worked by hand from mm/vmstat.c's formulas. With 4 blocks of order 0, 2
 * of order 1 and 1 of order 3: 16 free pages in 7 blocks. For order 1, 12
 * of them are in blocks of order >= 1: unusable (16 - 12) / 16 = 0.250. For
 * order 4 nothing fits: extfrag 1000 - (1000 + 16000 / 16) / 7 = 715.
 */
static const struct bs_test_index_case bs_test_index_cases[] = {
	{
		.name = "nothing free",
		.unusable = { [0 ... BS_BUDDY_MAX_ORDER] = 1000 },
	},
	{
		.name = "mixed",
		.nr_free = { 4, 2, 0, 1 },
		.unusable = { 0, 250, 500, 500, [4 ... BS_BUDDY_MAX_ORDER] = 1000 },
		.extfrag = { -1000, -1000, -1000, -1000, 715, 786, 822, 840,
			     849, 853, 855 },
	},
	{
		.name = "whole arena",
		.nr_free = { [BS_BUDDY_MAX_ORDER] = 1 },
		.extfrag = { [0 ... BS_BUDDY_MAX_ORDER] = -1000 },
	},
	{
		/* 1024 single pages: only order 0 is served. */
		.name = "every other page",
		.nr_free = { 1024 },
		.unusable = { 0, [1 ... BS_BUDDY_MAX_ORDER] = 1000 },
		.extfrag = { -1000, 500, 750, 875, 937, 968, 984, 992, 996,
			     998, 999 },
	},
};

static void bs_buddy_test_fragmentation_indices(struct kunit *test)
{
	unsigned int i, order;

	for (i = 0; i < ARRAY_SIZE(bs_test_index_cases); i++) {
		const struct bs_test_index_case *c = &bs_test_index_cases[i];

		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
			KUNIT_EXPECT_EQ_MSG(test,
					    bs_buddy_unusable_index(c->nr_free, order),
					    c->unusable[order], "%s, order %u",
					    c->name, order);
			KUNIT_EXPECT_EQ_MSG(test,
					    bs_buddy_extfrag_index(c->nr_free, order),
					    c->extfrag[order], "%s, order %u",
					    c->name, order);
		}
	}
}

/* The same figures from a real free list: every other page of the region. */
static void bs_buddy_test_fragmentation_of_region(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long total = bs_buddy_total_pages(buddy);
	const struct bs_test_index_case *c = &bs_test_index_cases[3];
	struct bs_buddy_stats stats;
	unsigned long *pages, i;
	unsigned int order;

	pages = kunit_kmalloc_array(test, total, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < total; i++)
		pages[i] = bs_test_alloc(test, 0);
	for (i = 0; i < total; i += 2)
		bs_test_free(test, pages[i]);
	bs_buddy_drain(buddy);

	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_free[0], total / 2);
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		KUNIT_EXPECT_EQ(test, bs_buddy_unusable_index(stats.nr_free, order),
				c->unusable[order]);
		KUNIT_EXPECT_EQ(test, bs_buddy_extfrag_index(stats.nr_free, order),
				c->extfrag[order]);
	}
	for (i = 1; i < total; i += 2)
		bs_test_free(test, pages[i]);
	bs_test_expect_whole(test);
}

/* The map tells allocated, cached and free pages apart. */
static void bs_buddy_test_map(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long batch_pages = BS_BUDDY_PCP_BATCH;
	unsigned long block, i;
	unsigned int a;
	u8 *kind;

	kind = kunit_kmalloc(test, BS_ARENA_PAGES, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kind);

	block = bs_test_alloc(test, 2);
	a = bs_test_first_arena(test, block, 2);
	bs_buddy_arena_map(buddy, a, kind);
	for (i = 0; i < BS_ARENA_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, kind[i],
				    i < 4 ? BS_BUDDY_PAGE_USED :
				    i < batch_pages ? BS_BUDDY_PAGE_CACHED :
				    BS_BUDDY_PAGE_FREE, "page %lu", i);

	bs_buddy_drain(buddy);
	bs_buddy_arena_map(buddy, a, kind);
	for (i = 0; i < BS_ARENA_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, kind[i], i < 4 ? BS_BUDDY_PAGE_USED :
				    BS_BUDDY_PAGE_FREE, "page %lu", i);

	bs_test_free(test, block);
	bs_buddy_drain(buddy);
	bs_buddy_arena_map(buddy, a, kind);
	KUNIT_EXPECT_NULL(test, memchr_inv(kind, BS_BUDDY_PAGE_FREE,
					   BS_ARENA_PAGES));
	bs_test_expect_whole(test);
}

/*
 * Damage to a CPU's cache, done and undone by bs_buddy_pcp_each() as the
 * cache's owner: a count off by @delta, or a block @lost from a list.
 */
struct bs_test_pcp_damage {
	unsigned int cpu;
	int delta;
	struct list_head *lost;
};

/* Add @delta to @cpu's count of order-0 blocks; its list stays as it is. */
static void bs_test_pcp_miscount(struct bs_buddy *buddy,
				 struct bs_buddy_pcp *pcp, unsigned int cpu,
				 void *arg)
{
	struct bs_test_pcp_damage *damage = arg;

	if (cpu == damage->cpu)
		pcp->count[0] += damage->delta;
}

/* Take a block off the first cache holding one of order 0, counts and all. */
static void bs_test_pcp_lose(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
			     unsigned int cpu, void *arg)
{
	struct bs_test_pcp_damage *damage = arg;

	if (damage->lost || !pcp->count[0])
		return;
	damage->lost = pcp->list[0].next;
	damage->cpu = cpu;
	list_del(damage->lost);
	pcp->count[0]--;
}

/* Put the block bs_test_pcp_lose() took back where it was. */
static void bs_test_pcp_restore(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
				unsigned int cpu, void *arg)
{
	struct bs_test_pcp_damage *damage = arg;

	if (cpu != damage->cpu)
		return;
	list_add(damage->lost, &pcp->list[0]);
	pcp->count[0]++;
}

/* The checker itself must see damage, or passing it would prove nothing. */
static void bs_buddy_test_validate_detects_corruption(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	struct bs_buddy_arena *arena = &buddy->arenas[1];
	const unsigned long first = BS_ARENA_PAGES;
	struct bs_test_pcp_damage damage = {
		.cpu = cpumask_first(cpu_online_mask),
	};
	unsigned long block;
	u8 saved;

	arena->nr_free[0]++;
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), -EUCLEAN);
	arena->nr_free[0]--;

	arena->free_pages--;
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), -EUCLEAN);
	arena->free_pages++;

	/* A second block head inside the arena's one free block. */
	saved = buddy->state[first + BS_ARENA_PAGES / 2];
	buddy->state[first + BS_ARENA_PAGES / 2] = buddy->state[first];
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), -EUCLEAN);
	buddy->state[first + BS_ARENA_PAGES / 2] = saved;

	/* A summary that hides the arena's one block. */
	clear_bit(1, bs_buddy_order_map(buddy, BS_BUDDY_MAX_ORDER));
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), -EUCLEAN);
	set_bit(1, bs_buddy_order_map(buddy, BS_BUDDY_MAX_ORDER));

	/* A cache whose count disagrees with its list. */
	block = bs_test_alloc(test, 0);
	bs_test_free(test, block);
	damage.delta = 1;
	bs_buddy_pcp_each(buddy, bs_test_pcp_miscount, &damage);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), -EUCLEAN);
	damage.delta = -1;
	bs_buddy_pcp_each(buddy, bs_test_pcp_miscount, &damage);

	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);
	bs_test_expect_whole(test);
}

/*
 * Validation changes nothing a user can see: not the caches, not the free
 * lists, not a counter. It used to drain the caches, which moved blocks
 * and counted drains.
 */
static void bs_buddy_test_validate_changes_nothing(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	unsigned long blocks[BS_BUDDY_PCP_ORDERS + 1], nr_free[2][BS_BUDDY_NR_ORDERS];
	struct bs_buddy_stats *before, *after;
	unsigned int order;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	/* Blocks live and in the caches, of every cached order and above. */
	for (order = 0; order < ARRAY_SIZE(blocks); order++)
		blocks[order] = bs_test_alloc(test, order);
	bs_test_free(test, bs_test_alloc(test, 0));

	bs_test_stats(test, before);
	bs_buddy_arena_nr_free(buddy, 0, nr_free[0]);
	KUNIT_EXPECT_GT(test, before->cached_pages, 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);
	bs_test_stats(test, after);
	bs_buddy_arena_nr_free(buddy, 0, nr_free[1]);
	KUNIT_EXPECT_MEMEQ(test, before, after, sizeof(*before));
	KUNIT_EXPECT_MEMEQ(test, nr_free[0], nr_free[1], sizeof(nr_free[0]));

	for (order = 0; order < ARRAY_SIZE(blocks); order++)
		bs_test_free(test, blocks[order]);
	bs_test_expect_whole(test);
}

/*
 * A block marked cached but on no cache's list is memory lost for good:
 * validation must see it, when no cache changes under it.
 */
static void bs_buddy_test_validate_sees_lost_cached_block(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	struct bs_test_pcp_damage damage = {};

	bs_test_free(test, bs_test_alloc(test, 0));
	/* The cache of whichever CPU the test ran on holds the batch. */
	bs_buddy_pcp_each(buddy, bs_test_pcp_lose, &damage);
	KUNIT_ASSERT_NOT_NULL(test, damage.lost);

	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), -EUCLEAN);

	bs_buddy_pcp_each(buddy, bs_test_pcp_restore, &damage);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);
	bs_test_expect_whole(test);
}

/* Orders drawn so that order o comes with probability 2^-(o+1). */
static int bs_buddy_stress_alloc(struct bs_test_stress *stress,
				 struct bs_test_stress_slot *slot,
				 struct rnd_state *rnd)
{
	struct bs_buddy *buddy = &stress->mem->buddy;
	unsigned int order = min_t(unsigned int,
				   __ffs(prandom_u32_state(rnd) | BIT(31)),
				   BS_BUDDY_MAX_ORDER);
	int ret;

	slot->size = PAGE_SIZE << order;
	ret = bs_buddy_alloc(buddy, order, BS_BUDDY_TAG_DIRECT, &slot->handle);
	if (!ret)
		slot->mem = bs_buddy_addr(buddy, slot->handle);
	return ret;
}

static int bs_buddy_stress_free(struct bs_test_stress *stress,
				struct bs_test_stress_slot *slot)
{
	return bs_buddy_free(&stress->mem->buddy, slot->handle);
}

/*
 * A seeded random mix of allocations and frees of all orders, small ones
 * most often, with the invariants checked as it goes and at the end.
 */
static void bs_buddy_test_random_stress(struct kunit *test)
{
	struct bs_test_stress stress = {
		.test = test,
		.mem = bs_test(test),
		.nr_slots = 128,
		.nomem_ok = true,
		.alloc = bs_buddy_stress_alloc,
		.free = bs_buddy_stress_free,
	};

	bs_test_stress_run(&stress, 0xb5dd51ab);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);
	bs_test_expect_whole(test);
}

static struct kunit_case bs_buddy_test_cases[] = {
	KUNIT_CASE(bs_buddy_test_starts_whole),
	KUNIT_CASE_PARAM(bs_buddy_test_exhaust_and_recover, bs_test_order_gen_params),
	KUNIT_CASE_PARAM(bs_buddy_test_split, bs_test_order_gen_params),
	KUNIT_CASE_PARAM(bs_buddy_test_merge, bs_test_merge_order_gen_params),
	KUNIT_CASE_PARAM(bs_buddy_test_bad_free, bs_test_order_gen_params),
	KUNIT_CASE(bs_buddy_test_too_large),
	KUNIT_CASE(bs_buddy_test_split_merge_counters),
	KUNIT_CASE(bs_buddy_test_pcp_cache_and_drain),
	KUNIT_CASE(bs_buddy_test_pcp_high_mark),
	KUNIT_CASE(bs_buddy_test_pcp_never_hides_memory),
	KUNIT_CASE(bs_buddy_test_summary),
	KUNIT_CASE(bs_buddy_test_pcp_start_arenas),
	KUNIT_CASE(bs_buddy_test_drain_every_cpu),
	KUNIT_CASE(bs_buddy_test_fragmentation_indices),
	KUNIT_CASE(bs_buddy_test_fragmentation_of_region),
	KUNIT_CASE(bs_buddy_test_map),
	KUNIT_CASE(bs_buddy_test_validate_detects_corruption),
	KUNIT_CASE(bs_buddy_test_validate_changes_nothing),
	KUNIT_CASE(bs_buddy_test_validate_sees_lost_cached_block),
	KUNIT_CASE_SLOW(bs_buddy_test_random_stress),
	{}
};

static struct kunit_suite bs_buddy_test_suite = {
	.name = "buddyslab_buddy",
	.init = bs_buddy_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_buddy_test_cases,
};

kunit_test_suite(bs_buddy_test_suite);
