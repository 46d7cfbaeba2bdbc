// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab buddy allocator.
 *
 * Every case runs on a fresh two-arena region and must leave it as it found
 * it: the suite's exit runs the invariant checker and checks that every page
 * is free again, so a scenario that corrupts or leaks fails even if its own
 * expectations hold.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "buddy.h"

#define BS_TEST_ARENAS	2

struct bs_buddy_test {
	struct bs_region region;
	struct bs_buddy buddy;
};

static struct bs_buddy *bs_test_buddy(struct kunit *test)
{
	struct bs_buddy_test *t = test->priv;

	return &t->buddy;
}

/* Free blocks of each order in @arena must be exactly @expected. */
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

/* Every arena is one free block of the largest order. */
static void bs_test_expect_whole(struct kunit *test)
{
	unsigned long whole[BS_BUDDY_NR_ORDERS] = {
		[BS_BUDDY_MAX_ORDER] = 1,
	};
	unsigned int a;

	for (a = 0; a < BS_TEST_ARENAS; a++)
		bs_test_expect_nr_free(test, a, whole);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(bs_test_buddy(test)),
			bs_buddy_total_pages(bs_test_buddy(test)));
}

static unsigned long bs_test_alloc(struct kunit *test, unsigned int order)
{
	unsigned long pgoff;

	KUNIT_ASSERT_EQ_MSG(test, bs_buddy_alloc(bs_test_buddy(test), order, &pgoff),
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

static int bs_buddy_test_init(struct kunit *test)
{
	struct bs_buddy_test *t;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	ret = bs_region_init(&t->region, BS_TEST_ARENAS * BS_REGION_CHUNK_BYTES);
	if (ret)
		return ret;
	ret = bs_buddy_init(&t->buddy, &t->region);
	if (ret) {
		bs_region_fini(&t->region);
		return ret;
	}
	test->priv = t;
	return 0;
}

static void bs_buddy_test_exit(struct kunit *test)
{
	struct bs_buddy_test *t = test->priv;

	if (!t)
		return;
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(&t->buddy), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&t->buddy),
			bs_buddy_total_pages(&t->buddy));
	bs_buddy_fini(&t->buddy);
	bs_region_fini(&t->region);
}

static void bs_buddy_test_starts_whole(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, bs_test_buddy(test)->nr_arenas, BS_TEST_ARENAS);
	KUNIT_EXPECT_EQ(test, bs_buddy_total_pages(bs_test_buddy(test)),
			BS_TEST_ARENAS * BS_BUDDY_ARENA_PAGES);
	bs_test_expect_whole(test);
}

/*
 * One block of each order max-1 .. 0 plus one more of order 0 fill an arena
 * exactly; every arena is filled, then nothing is left, then all is whole.
 */
static void bs_buddy_test_fill_one_block_per_order(struct kunit *test)
{
	const unsigned int per_arena = BS_BUDDY_MAX_ORDER + 1;
	unsigned long blocks[BS_TEST_ARENAS * (BS_BUDDY_MAX_ORDER + 1)];
	unsigned int a, i, n = 0;
	unsigned long pgoff;

	for (a = 0; a < BS_TEST_ARENAS; a++) {
		for (i = 0; i < per_arena; i++) {
			unsigned int order = i < BS_BUDDY_MAX_ORDER ?
					     BS_BUDDY_MAX_ORDER - 1 - i : 0;

			blocks[n] = bs_test_alloc(test, order);
			/* Arenas are filled in turn: this one first. */
			KUNIT_EXPECT_EQ(test, blocks[n] / BS_BUDDY_ARENA_PAGES, a);
			n++;
		}
	}
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(bs_test_buddy(test)), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(bs_test_buddy(test), 0, &pgoff),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);

	for (i = 0; i < n; i++)
		bs_test_free(test, blocks[i]);
	bs_test_expect_whole(test);
}

/* An order-0 request splits the whole arena down: one free block per order. */
static void bs_buddy_test_split_chain(struct kunit *test)
{
	unsigned long split[BS_BUDDY_NR_ORDERS], whole[BS_BUDDY_NR_ORDERS] = {};
	unsigned long pgoff;
	unsigned int order;

	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
		split[order] = order < BS_BUDDY_MAX_ORDER;
	whole[BS_BUDDY_MAX_ORDER] = 1;

	pgoff = bs_test_alloc(test, 0);
	KUNIT_EXPECT_EQ(test, pgoff, 0);
	bs_test_expect_nr_free(test, 0, split);
	bs_test_expect_nr_free(test, 1, whole);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);

	bs_test_free(test, pgoff);
	bs_test_expect_whole(test);
}

/*
 * Four neighbouring order-0 blocks freed so that each merge path is taken:
 * a block whose buddy is still allocated stays alone, a lower block merges
 * with its upper buddy, an upper block merges with its lower buddy, and a
 * merge cascades up to the whole arena.
 */
static void bs_buddy_test_merge_paths(struct kunit *test)
{
	unsigned long nr_free[BS_BUDDY_NR_ORDERS] = {};
	unsigned long page[4];
	unsigned int i, order;

	for (i = 0; i < ARRAY_SIZE(page); i++) {
		page[i] = bs_test_alloc(test, 0);
		/* Splits keep the lower half, and free lists are LIFO. */
		KUNIT_EXPECT_EQ(test, page[i], i);
	}
	for (order = 2; order < BS_BUDDY_MAX_ORDER; order++)
		nr_free[order] = 1;
	bs_test_expect_nr_free(test, 0, nr_free);

	bs_test_free(test, page[1]);		/* buddy 0 allocated: alone */
	nr_free[0] = 1;
	bs_test_expect_nr_free(test, 0, nr_free);

	bs_test_free(test, page[3]);		/* buddy 2 allocated: alone */
	nr_free[0] = 2;
	bs_test_expect_nr_free(test, 0, nr_free);

	bs_test_free(test, page[0]);		/* lower merges with upper 1 */
	nr_free[0] = 1;
	nr_free[1] = 1;
	bs_test_expect_nr_free(test, 0, nr_free);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);

	bs_test_free(test, page[2]);		/* upper 3, then lower 0-1, ... */
	bs_test_expect_whole(test);
}

/* Anything but the start of a live block is refused and changes nothing. */
static void bs_buddy_test_bad_free(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long total = bs_buddy_total_pages(buddy);
	unsigned long block, free_pages;

	block = bs_test_alloc(test, 2);
	free_pages = bs_buddy_free_pages(buddy);

	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block + 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block + 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, BS_BUDDY_ARENA_PAGES), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, total), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, ULONG_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), free_pages);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);

	bs_test_free(test, block);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, block), -EINVAL);
	bs_test_expect_whole(test);
}

static void bs_buddy_test_bad_order(struct kunit *test)
{
	unsigned long pgoff = 0;

	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(bs_test_buddy(test),
					     BS_BUDDY_MAX_ORDER + 1, &pgoff), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(bs_test_buddy(test), UINT_MAX,
					     &pgoff), -EINVAL);
	bs_test_expect_whole(test);
}

/* Whole arenas: one per arena, at the arena starts, then no more. */
static void bs_buddy_test_max_order(struct kunit *test)
{
	unsigned long block[BS_TEST_ARENAS], pgoff;
	unsigned int a;

	for (a = 0; a < BS_TEST_ARENAS; a++) {
		block[a] = bs_test_alloc(test, BS_BUDDY_MAX_ORDER);
		KUNIT_EXPECT_EQ(test, block[a], a * BS_BUDDY_ARENA_PAGES);
	}
	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(bs_test_buddy(test),
					     BS_BUDDY_MAX_ORDER, &pgoff), -ENOMEM);
	for (a = 0; a < BS_TEST_ARENAS; a++)
		bs_test_free(test, block[a]);
	bs_test_expect_whole(test);
}

/*
 * Every page as its own block, each stamped with its own number so that two
 * blocks sharing a page would show; then freed in a seeded random order.
 */
static void bs_buddy_test_exhaust_and_random_free(struct kunit *test)
{
	struct bs_buddy *buddy = bs_test_buddy(test);
	const unsigned long total = bs_buddy_total_pages(buddy);
	struct rnd_state rnd;
	unsigned long *pages, i, pgoff;

	pages = kunit_kmalloc_array(test, total, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);

	for (i = 0; i < total; i++) {
		pages[i] = bs_test_alloc(test, 0);
		*(unsigned long *)bs_buddy_addr(buddy, pages[i]) = pages[i];
	}
	KUNIT_EXPECT_EQ(test, bs_buddy_alloc(buddy, 0, &pgoff), -ENOMEM);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), 0);

	prandom_seed_state(&rnd, 20261121);
	for (i = total; i > 1; i--) {
		unsigned long j = prandom_u32_state(&rnd) % i;

		swap(pages[j], pages[i - 1]);
	}
	for (i = 0; i < total; i++) {
		KUNIT_EXPECT_EQ(test, *(unsigned long *)bs_buddy_addr(buddy, pages[i]),
				pages[i]);
		bs_test_free(test, pages[i]);
		if (i % 256 == 0)
			KUNIT_EXPECT_EQ(test, bs_buddy_validate(buddy), 0);
	}
	bs_test_expect_whole(test);
}

/* The checker itself must see damage, or passing it would prove nothing. */
static void bs_buddy_test_validate_detects_corruption(struct kunit *test)
{
	struct bs_buddy_arena *arena = &bs_test_buddy(test)->arenas[1];
	u8 saved;

	arena->nr_free[0]++;
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), -EUCLEAN);
	arena->nr_free[0]--;

	arena->free_pages--;
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), -EUCLEAN);
	arena->free_pages++;

	/* A second block head inside the arena's one free block. */
	saved = arena->state[BS_BUDDY_ARENA_PAGES / 2];
	arena->state[BS_BUDDY_ARENA_PAGES / 2] = arena->state[0];
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), -EUCLEAN);
	arena->state[BS_BUDDY_ARENA_PAGES / 2] = saved;

	KUNIT_EXPECT_EQ(test, bs_buddy_validate(bs_test_buddy(test)), 0);
}

static struct kunit_case bs_buddy_test_cases[] = {
	KUNIT_CASE(bs_buddy_test_starts_whole),
	KUNIT_CASE(bs_buddy_test_fill_one_block_per_order),
	KUNIT_CASE(bs_buddy_test_split_chain),
	KUNIT_CASE(bs_buddy_test_merge_paths),
	KUNIT_CASE(bs_buddy_test_bad_free),
	KUNIT_CASE(bs_buddy_test_bad_order),
	KUNIT_CASE(bs_buddy_test_max_order),
	KUNIT_CASE(bs_buddy_test_exhaust_and_random_free),
	KUNIT_CASE(bs_buddy_test_validate_detects_corruption),
	{}
};

static struct kunit_suite bs_buddy_test_suite = {
	.name = "buddyslab_buddy",
	.init = bs_buddy_test_init,
	.exit = bs_buddy_test_exit,
	.test_cases = bs_buddy_test_cases,
};

kunit_test_suite(bs_buddy_test_suite);
