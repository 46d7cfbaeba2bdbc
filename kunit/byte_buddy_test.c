// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab byte buddy: Knuth's binary buddy at the
 * fits' 16-byte grain, in arenas from the page buddy.
 *
 * Every case runs on a fresh two-arena region with a page buddy and a byte
 * buddy over it; the suite's exit runs both invariant checkers and checks
 * that every arena went back and every page is free again. Placement is
 * deterministic (the lowest-address free block of the smallest order that
 * fits), so the cases check exact offsets, splits, merges and free blocks
 * per order worked out by hand, and the random stress checks every step
 * against a model of its own.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "byte_buddy_internal.h"
#include "harness.h"

static struct bs_byte_buddy *bs_bbt_bb(struct kunit *test)
{
	return &bs_test(test)->byte_buddy;
}

static int bs_byte_buddy_test_init(struct kunit *test)
{
	return bs_test_init(test, BS_TEST_BYTE_BUDDY);
}

static u8 *bs_bbt_alloc(struct kunit *test, size_t size)
{
	size_t granted = 0;
	u8 *mem;

	mem = bs_byte_buddy_alloc(bs_bbt_bb(test), size, &granted);
	KUNIT_ASSERT_NOT_NULL_MSG(test, mem, "byte buddy alloc of %zu bytes", size);
	KUNIT_EXPECT_EQ(test, granted, bs_byte_buddy_granted(size));
	return mem;
}

static void bs_bbt_free(struct kunit *test, void *mem)
{
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bs_bbt_bb(test), mem), 0);
}

static void bs_bbt_stats(struct kunit *test, struct bs_byte_buddy_stats *stats)
{
	bs_byte_buddy_stats(bs_bbt_bb(test), stats);
}

static void bs_bbt_validate(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_validate(bs_bbt_bb(test)), 0);
}

/* Where @mem is: its byte offset in the device's linear space. */
static u64 bs_bbt_addr(struct kunit *test, const void *mem)
{
	unsigned long pgoff;

	KUNIT_ASSERT_EQ(test, bs_buddy_pgoff_of(&bs_test(test)->buddy, mem,
						&pgoff), 0);
	return ((u64)pgoff << PAGE_SHIFT) + offset_in_page(mem);
}

/* Its offset in its arena. */
static unsigned long bs_bbt_offset(struct kunit *test, const void *mem)
{
	return bs_bbt_addr(test, mem) % BS_ARENA_BYTES;
}

/* Its arena's number. */
static unsigned long bs_bbt_arena(struct kunit *test, const void *mem)
{
	return bs_bbt_addr(test, mem) / BS_ARENA_BYTES;
}

/* Requests rounded up to a power of two, at least the grain. */
static void bs_byte_buddy_test_granted(struct kunit *test)
{
	static const struct {
		size_t size;
		size_t granted;
	} cases[] = {
		{ 1, 16 }, { 15, 16 }, { 16, 16 }, { 17, 32 }, { 72, 128 },
		{ 100, 128 }, { 128, 128 }, { 4095, 4096 }, { 4097, 8192 },
		{ BS_ARENA_BYTES / 2 + 1, BS_ARENA_BYTES },
		{ BS_ARENA_BYTES, BS_ARENA_BYTES },
	};
	unsigned int i;
	u8 *mem;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_EXPECT_EQ_MSG(test, bs_byte_buddy_granted(cases[i].size),
				    cases[i].granted, "size %zu", cases[i].size);
		mem = bs_bbt_alloc(test, cases[i].size);
		/* The only block: at the start of a fresh arena. */
		KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, mem), 0);
		bs_bbt_free(test, mem);
	}
}

/* Every order from o to the one below the top. */
#define BS_BBT_FROM(o)	GENMASK(BS_BYTE_BUDDY_TOP - 1, (o))

/**
 * struct bs_bbt_step - one step of a hand-worked sequence, and after it
 * @slot:	the allocation it makes or frees
 * @size:	bytes to allocate; 0 to free @slot
 * @offset:	where the allocation must land in its arena
 * @splits:	the splits counter
 * @merges:	the merges counter
 * @used:	bytes in allocated blocks
 * @free:	bit o set: one free block of order o; none of other orders
 */
struct bs_bbt_step {
	unsigned int slot;
	size_t size;
	unsigned long offset;
	unsigned long splits;
	unsigned long merges;
	unsigned long used;
	unsigned long free;
};

/*
 * A fresh arena (T is the top order, a whole arena; 18 for 4 MiB):
 * a 100 B takes 128 at 0, splitting the arena down to order 3 (T - 3
 * splits), which leaves a free block of each order k from 3 to T - 1 at
 * 16 << k; b 20 B splits the 128 at 128 down to a 32; c 16 B the free 32
 * at 160 to a 16; d 64 B and e 200 B find free blocks of their size. The
 * frees then merge upward as far as allocated buddies let them, a 16 B
 * takes the lowest free block, splitting it four times, and the last free
 * gives the arena back.
 */
static const struct bs_bbt_step bs_bbt_steps[] = {
	{ 0, 100, 0, BS_BYTE_BUDDY_TOP - 3, 0, 128, BS_BBT_FROM(3) },
	{ 1, 20, 128, BS_BYTE_BUDDY_TOP - 1, 0, 160,
	  BIT(1) | BIT(2) | BS_BBT_FROM(4) },
	{ 2, 16, 160, BS_BYTE_BUDDY_TOP, 0, 176, BIT(0) | BIT(2) | BS_BBT_FROM(4) },
	{ 3, 64, 192, BS_BYTE_BUDDY_TOP, 0, 240, BIT(0) | BS_BBT_FROM(4) },
	{ 4, 200, 256, BS_BYTE_BUDDY_TOP, 0, 496, BIT(0) | BS_BBT_FROM(5) },
	/* b: its buddy, c, is allocated. */
	{ 1, 0, 0, BS_BYTE_BUDDY_TOP, 0, 464, BIT(0) | BIT(1) | BS_BBT_FROM(5) },
	/* c: with the 16 at 176, then with b's 32 at 128; d stops it. */
	{ 2, 0, 0, BS_BYTE_BUDDY_TOP, 2, 448, BIT(2) | BS_BBT_FROM(5) },
	{ 3, 0, 0, BS_BYTE_BUDDY_TOP, 3, 384, BIT(3) | BS_BBT_FROM(5) },
	{ 0, 0, 0, BS_BYTE_BUDDY_TOP, 4, 256, BS_BBT_FROM(4) },
	/* The lowest address of the smallest order: the 256 at 0. */
	{ 5, 16, 0, BS_BYTE_BUDDY_TOP + 4, 4, 272, GENMASK(3, 0) | BS_BBT_FROM(5) },
	{ 5, 0, 0, BS_BYTE_BUDDY_TOP + 4, 8, 256, BS_BBT_FROM(4) },
	/* e merges all the way up: the arena is free and goes back. */
	{ 4, 0, 0, BS_BYTE_BUDDY_TOP + 4, 8 + BS_BYTE_BUDDY_TOP - 4, 0, 0 },
};

static void bs_bbt_expect_free_orders(struct kunit *test,
				      const struct bs_byte_buddy_stats *stats,
				      unsigned long free, unsigned int step)
{
	unsigned int order;

	for (order = 0; order < BS_BYTE_BUDDY_ORDERS; order++)
		KUNIT_EXPECT_EQ_MSG(test, stats->nr_free_order[order],
				    (unsigned long)!!(free & BIT(order)),
				    "step %u, order %u", step, order);
}

static void bs_byte_buddy_test_hand_worked(struct kunit *test)
{
	struct bs_byte_buddy_stats stats;
	unsigned long requested = 0;
	const struct bs_bbt_step *s;
	size_t sizes[6] = {};
	u8 *slots[6] = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bs_bbt_steps); i++) {
		s = &bs_bbt_steps[i];
		if (s->size) {
			slots[s->slot] = bs_bbt_alloc(test, s->size);
			sizes[s->slot] = s->size;
			requested += s->size;
			KUNIT_EXPECT_EQ_MSG(test, bs_bbt_offset(test, slots[s->slot]),
					    s->offset, "step %u", i);
		} else {
			bs_bbt_free(test, slots[s->slot]);
			requested -= sizes[s->slot];
		}
		bs_bbt_stats(test, &stats);
		KUNIT_EXPECT_EQ_MSG(test, stats.counters[BS_BYTE_BUDDY_SPLITS],
				    s->splits, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, stats.counters[BS_BYTE_BUDDY_MERGES],
				    s->merges, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, stats.used_bytes, s->used, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, stats.requested_bytes, requested, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, stats.nr_free, hweight_long(s->free),
				    "step %u", i);
		bs_bbt_expect_free_orders(test, &stats, s->free, i);
		bs_bbt_validate(test);
	}
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ALLOCS], 6);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_FREES], 6);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ARENAS_TAKEN], 1);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ARENAS_GIVEN], 1);
}

/*
 * The smallest order that fits wins over a lower address, and among free
 * blocks of that order the lowest address wins, across arenas. X and Y
 * fill the first arena with two halves; Z opens the second, splitting it
 * down to 16 bytes. With Y freed, the first arena has one free half:
 *
 *   16 B goes to the 16 at 16 in the second arena, not to the half;
 *   1 MiB to the second arena's quarter at 1 MiB, not to the half;
 *   2 MiB to the half in whichever arena is lower in memory (both have
 *   one at 2 MiB).
 */
static void bs_byte_buddy_test_order_then_address(struct kunit *test)
{
	const size_t half = BS_ARENA_BYTES / 2;
	u8 *x, *y, *z, *small, *quarter, *other_half;
	unsigned long lower;

	x = bs_bbt_alloc(test, half);
	y = bs_bbt_alloc(test, half);
	KUNIT_EXPECT_EQ(test, bs_bbt_arena(test, y), bs_bbt_arena(test, x));
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, y), half);
	z = bs_bbt_alloc(test, 16);
	KUNIT_EXPECT_NE(test, bs_bbt_arena(test, z), bs_bbt_arena(test, x));
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, z), 0);
	bs_bbt_free(test, y);

	small = bs_bbt_alloc(test, 16);
	KUNIT_EXPECT_EQ(test, bs_bbt_arena(test, small), bs_bbt_arena(test, z));
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, small), 16);
	quarter = bs_bbt_alloc(test, half / 2);
	KUNIT_EXPECT_EQ(test, bs_bbt_arena(test, quarter), bs_bbt_arena(test, z));
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, quarter), half / 2);
	other_half = bs_bbt_alloc(test, half);
	lower = min(bs_bbt_arena(test, x), bs_bbt_arena(test, z));
	KUNIT_EXPECT_EQ(test, bs_bbt_arena(test, other_half), lower);
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, other_half), half);
	bs_bbt_validate(test);

	bs_bbt_free(test, other_half);
	bs_bbt_free(test, quarter);
	bs_bbt_free(test, small);
	bs_bbt_free(test, z);
	bs_bbt_free(test, x);
}

/* A whole arena is one block: no split, nothing free, and one per arena. */
static void bs_byte_buddy_test_whole_arena(struct kunit *test)
{
	struct bs_byte_buddy_stats stats;
	size_t granted = 0;
	u8 *a, *b;

	a = bs_bbt_alloc(test, BS_ARENA_BYTES);
	b = bs_bbt_alloc(test, BS_ARENA_BYTES);
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, a), 0);
	KUNIT_EXPECT_EQ(test, bs_bbt_offset(test, b), 0);
	KUNIT_EXPECT_NE(test, bs_bbt_arena(test, a), bs_bbt_arena(test, b));
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 0);
	KUNIT_EXPECT_EQ(test, stats.free_bytes, 0);
	KUNIT_EXPECT_EQ(test, stats.extfrag, 0);
	KUNIT_EXPECT_EQ(test, stats.used_bytes, 2 * BS_ARENA_BYTES);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_SPLITS], 0);
	bs_bbt_validate(test);

	/* The region is exhausted: refused, counted, nothing changed. */
	KUNIT_EXPECT_NULL(test, bs_byte_buddy_alloc(bs_bbt_bb(test), 16, &granted));
	KUNIT_EXPECT_NULL(test, bs_byte_buddy_alloc(bs_bbt_bb(test),
						    BS_ARENA_BYTES, &granted));
	KUNIT_EXPECT_EQ(test, granted, 0);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_FAILS], 2);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ALLOCS], 2);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	bs_bbt_validate(test);

	bs_bbt_free(test, a);
	bs_bbt_free(test, b);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_MERGES], 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ARENAS_GIVEN], 2);
}

/* Arenas come from the page buddy when needed and go back when free. */
static void bs_byte_buddy_test_arenas_come_and_go(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	const unsigned long total = bs_buddy_total_pages(buddy);
	const size_t half = BS_ARENA_BYTES / 2;
	struct bs_byte_buddy_stats stats;
	unsigned long pgoff;
	u8 *small, *a, *b;

	KUNIT_EXPECT_FALSE(test, bs_byte_buddy_owns(bs_bbt_bb(test), 0));
	small = bs_bbt_alloc(test, 72);
	pgoff = bs_bbt_arena(test, small) * BS_ARENA_PAGES;
	KUNIT_EXPECT_TRUE(test, bs_byte_buddy_owns(bs_bbt_bb(test), pgoff));
	KUNIT_EXPECT_FALSE(test, bs_byte_buddy_owns(bs_bbt_bb(test), pgoff + 1));
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 1);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total - BS_ARENA_PAGES);

	/* The upper half of the first arena is free: no new arena. */
	a = bs_bbt_alloc(test, half);
	KUNIT_EXPECT_EQ(test, bs_bbt_arena(test, a), bs_bbt_arena(test, small));
	/* No half is left: a second arena. */
	b = bs_bbt_alloc(test, half);
	KUNIT_EXPECT_NE(test, bs_bbt_arena(test, b), bs_bbt_arena(test, small));
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ARENAS_TAKEN], 2);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total - 2 * BS_ARENA_PAGES);

	bs_bbt_free(test, small);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	bs_bbt_free(test, a);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 1);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ARENAS_GIVEN], 1);
	KUNIT_EXPECT_FALSE(test, bs_byte_buddy_owns(bs_bbt_bb(test), pgoff));
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total - BS_ARENA_PAGES);
	bs_bbt_free(test, b);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ARENAS_GIVEN], 2);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total);
}

/*
 * External fragmentation, the buddy's way: two arenas of two halves each,
 * the lower half of one and the upper half of the other freed. Half the
 * region is free, yet no arena-sized block: 1 - 2 MiB / 4 MiB = 0.500.
 */
static void bs_byte_buddy_test_extfrag(struct kunit *test)
{
	const size_t half = BS_ARENA_BYTES / 2;
	struct bs_byte_buddy_stats stats;
	size_t granted = 0;
	u8 *h[4];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(h); i++)
		h[i] = bs_bbt_alloc(test, half);
	bs_bbt_free(test, h[0]);
	bs_bbt_free(test, h[3]);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 2);
	KUNIT_EXPECT_EQ(test, stats.nr_free_order[BS_BYTE_BUDDY_TOP - 1], 2);
	KUNIT_EXPECT_EQ(test, stats.free_bytes, BS_ARENA_BYTES);
	KUNIT_EXPECT_EQ(test, stats.largest_free, half);
	KUNIT_EXPECT_EQ(test, stats.extfrag, 500);
	KUNIT_EXPECT_NULL(test, bs_byte_buddy_alloc(bs_bbt_bb(test),
						    BS_ARENA_BYTES, &granted));
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_FAILS], 1);
	bs_bbt_validate(test);
	bs_bbt_free(test, h[1]);
	bs_bbt_free(test, h[2]);
}

/* Sizes out of range are refused before anything is counted. */
static void bs_byte_buddy_test_bad_requests(struct kunit *test)
{
	struct bs_byte_buddy_stats stats;
	size_t granted = 0;

	KUNIT_EXPECT_NULL(test, bs_byte_buddy_alloc(bs_bbt_bb(test), 0, &granted));
	KUNIT_EXPECT_NULL(test, bs_byte_buddy_alloc(bs_bbt_bb(test),
						    BS_ARENA_BYTES + 1, &granted));
	KUNIT_EXPECT_EQ(test, granted, 0);
	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_FAILS], 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_BYTE_BUDDY_ALLOCS], 0);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
}

/* Only the start of a live block may be freed, once; nothing else moves. */
static void bs_byte_buddy_test_bad_frees(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	struct bs_byte_buddy *bb = bs_bbt_bb(test);
	struct bs_byte_buddy_stats before, after;
	u8 *mem, *other, *freed, *foreign;
	unsigned long pgoff;

	mem = bs_bbt_alloc(test, 256);
	other = bs_bbt_alloc(test, 256);
	freed = bs_bbt_alloc(test, 16);
	bs_bbt_free(test, freed);
	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_EQ(test, bs_buddy_alloc(buddy, 0, BS_BUDDY_TAG_DIRECT, &pgoff), 0);
	bs_bbt_stats(test, &before);

	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, freed), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, mem + 128), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, mem + 16), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, mem + 1), -EINVAL);
	/* The start of a free block. */
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, other + 256), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, foreign), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, bs_buddy_addr(buddy, pgoff)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, NULL), -EINVAL);
	bs_bbt_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.counters[BS_BYTE_BUDDY_FREES_REFUSED],
			before.counters[BS_BYTE_BUDDY_FREES_REFUSED] + 8);
	after.counters[BS_BYTE_BUDDY_FREES_REFUSED] =
		before.counters[BS_BYTE_BUDDY_FREES_REFUSED];
	KUNIT_EXPECT_MEMEQ(test, &after, &before, sizeof(after));
	bs_bbt_validate(test);

	bs_bbt_free(test, mem);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, mem), -EINVAL);
	bs_bbt_free(test, other);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, pgoff), 0);
}

/* Run bs_byte_buddy_validate() on metadata damaged by @damage, undone. */
static void bs_bbt_damage(struct kunit *test, struct bs_byte_buddy_arena *arena,
			  void (*damage)(struct bs_byte_buddy_arena *arena),
			  const char *what)
{
	struct bs_byte_buddy *bb = bs_bbt_bb(test);

	mutex_lock(&bb->lock);
	damage(arena);
	mutex_unlock(&bb->lock);
	KUNIT_EXPECT_EQ_MSG(test, bs_byte_buddy_validate(bb), -EUCLEAN, "%s", what);
	mutex_lock(&bb->lock);
	damage(arena);
	mutex_unlock(&bb->lock);
	KUNIT_EXPECT_EQ_MSG(test, bs_byte_buddy_validate(bb), 0, "%s undone", what);
}

/* The allocated 16 at 0 also marked free (and back). */
static void bs_bbt_flip_allocated(struct bs_byte_buddy_arena *arena)
{
	__change_bit(0, arena->free_map[0]);
}

/* The free 16 at 16 no longer marked free: a hole in the arena. */
static void bs_bbt_flip_free(struct bs_byte_buddy_arena *arena)
{
	__change_bit(1, arena->free_map[0]);
}

/* A free block of order 1 inside the free 128 at 128, off the walk. */
static void bs_bbt_flip_inside(struct bs_byte_buddy_arena *arena)
{
	__change_bit(5, arena->free_map[1]);
}

/* The summary loses the word that holds the free 16 at 16. */
static void bs_bbt_flip_summary(struct bs_byte_buddy_arena *arena)
{
	__change_bit(0, arena->summary[0]);
}

/* The checker must see damage to the metadata. */
static void bs_byte_buddy_test_validate_detects_damage(struct kunit *test)
{
	struct bs_byte_buddy *bb = bs_bbt_bb(test);
	struct bs_byte_buddy_arena *arena;
	u8 *mem = bs_bbt_alloc(test, 16);

	mutex_lock(&bb->lock);
	arena = xa_load(&bb->arenas, bs_bbt_arena(test, mem));
	mutex_unlock(&bb->lock);
	KUNIT_ASSERT_NOT_NULL(test, arena);
	bs_bbt_validate(test);

	bs_bbt_damage(test, arena, bs_bbt_flip_allocated, "allocated block marked free");
	bs_bbt_damage(test, arena, bs_bbt_flip_free, "free block unmarked");
	bs_bbt_damage(test, arena, bs_bbt_flip_inside, "free block inside another");
	bs_bbt_damage(test, arena, bs_bbt_flip_summary, "summary bit cleared");

	mutex_lock(&bb->lock);
	bb->nr_free[2]++;
	mutex_unlock(&bb->lock);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_validate(bb), -EUCLEAN);
	mutex_lock(&bb->lock);
	bb->nr_free[2]--;
	mutex_unlock(&bb->lock);
	bs_bbt_validate(test);
	bs_bbt_free(test, mem);
}

/* ---- Random stress against a model --------------------------------------- */

#define BS_BBT_STRESS_OPS	10000
#define BS_BBT_SLOTS		64
/*
 * Each free block's buddy holds an allocated block, and each allocated
 * block is in at most one such buddy per order: at most SLOTS x TOP.
 */
#define BS_BBT_MODEL_FREE	(BS_BBT_SLOTS * BS_BYTE_BUDDY_TOP)

/**
 * struct bs_bbt_model - what the byte buddy must hold, worked out apart
 * @addr:	the free blocks' offsets in the device's linear space
 * @order:	their orders
 * @nr:		how many
 * @stats:	the figures bs_byte_buddy_stats() must give
 * @mem:	each slot's live allocation, or NULL
 * @size:	its size
 * @tag:	its stamp
 *
 * Free blocks in an unordered array, searched from end to end: slow and
 * plain, and nothing like the allocator's bitmaps.
 */
struct bs_bbt_model {
	u64 addr[BS_BBT_MODEL_FREE];
	u8 order[BS_BBT_MODEL_FREE];
	unsigned int nr;
	struct bs_byte_buddy_stats stats;
	u8 *mem[BS_BBT_SLOTS];
	size_t size[BS_BBT_SLOTS];
	u64 tag[BS_BBT_SLOTS];
};

static void bs_bbt_model_add(struct kunit *test, struct bs_bbt_model *m,
			     u64 addr, unsigned int order)
{
	KUNIT_ASSERT_LT(test, m->nr, BS_BBT_MODEL_FREE);
	m->addr[m->nr] = addr;
	m->order[m->nr] = order;
	m->nr++;
	m->stats.nr_free_order[order]++;
}

static void bs_bbt_model_remove(struct bs_bbt_model *m, unsigned int i)
{
	m->stats.nr_free_order[m->order[i]]--;
	m->nr--;
	m->addr[i] = m->addr[m->nr];
	m->order[i] = m->order[m->nr];
}

/* The free block the allocator must take for @order: its index, or -1. */
static int bs_bbt_model_pick(const struct bs_bbt_model *m, unsigned int order)
{
	unsigned int i;
	int best = -1;

	for (i = 0; i < m->nr; i++) {
		if (m->order[i] < order)
			continue;
		if (best < 0 || m->order[i] < m->order[best] ||
		    (m->order[i] == m->order[best] && m->addr[i] < m->addr[best]))
			best = i;
	}
	return best;
}

/* The free block of @order at @addr in the model: its index, or -1. */
static int bs_bbt_model_find(const struct bs_bbt_model *m, u64 addr,
			     unsigned int order)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (m->addr[i] == addr && m->order[i] == order)
			return i;
	return -1;
}

/* Whether the model holds nothing, free or live, in the arena of @addr. */
static bool bs_bbt_model_arena_unknown(struct kunit *test,
				       const struct bs_bbt_model *m, u64 addr)
{
	const u64 arena = addr / BS_ARENA_BYTES;
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (m->addr[i] / BS_ARENA_BYTES == arena)
			return false;
	for (i = 0; i < BS_BBT_SLOTS; i++)
		if (m->mem[i] && bs_bbt_addr(test, m->mem[i]) / BS_ARENA_BYTES == arena)
			return false;
	return true;
}

/*
 * Allocate @size into the empty @slot, in the allocator and the model,
 * and check that it lands where the model says.
 */
static void bs_bbt_model_alloc(struct kunit *test, struct bs_bbt_model *m,
			       unsigned int slot, size_t size, u64 tag)
{
	const unsigned int want = bs_byte_buddy_order(size);
	size_t granted = 0;
	unsigned int order;
	int pick;
	u64 addr;
	u8 *mem;

	mem = bs_byte_buddy_alloc(bs_bbt_bb(test), size, &granted);
	pick = bs_bbt_model_pick(m, want);
	if (pick < 0 && m->stats.nr_arenas == BS_TEST_ARENAS) {
		KUNIT_EXPECT_NULL_MSG(test, mem, "%zu bytes with the region full", size);
		m->stats.counters[BS_BYTE_BUDDY_FAILS]++;
		return;
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, mem, "%zu bytes", size);
	KUNIT_EXPECT_EQ(test, granted, bs_byte_buddy_block_bytes(want));
	addr = bs_bbt_addr(test, mem);
	if (pick < 0) {
		/* A new arena: one the model does not hold, from its start. */
		KUNIT_EXPECT_EQ(test, addr % BS_ARENA_BYTES, 0);
		KUNIT_EXPECT_TRUE(test, bs_bbt_model_arena_unknown(test, m, addr));
		bs_bbt_model_add(test, m, addr, BS_BYTE_BUDDY_TOP);
		pick = m->nr - 1;
		m->stats.nr_arenas++;
		m->stats.counters[BS_BYTE_BUDDY_ARENAS_TAKEN]++;
	}
	KUNIT_EXPECT_EQ_MSG(test, addr, m->addr[pick], "%zu bytes", size);
	addr = m->addr[pick];
	order = m->order[pick];
	bs_bbt_model_remove(m, pick);
	while (order > want) {
		order--;
		bs_bbt_model_add(test, m, addr + bs_byte_buddy_block_bytes(order), order);
		m->stats.counters[BS_BYTE_BUDDY_SPLITS]++;
	}
	m->mem[slot] = mem;
	m->size[slot] = size;
	m->tag[slot] = tag;
	bs_test_stamp(mem, granted, tag);
	m->stats.used_bytes += granted;
	m->stats.requested_bytes += size;
	m->stats.counters[BS_BYTE_BUDDY_ALLOCS]++;
}

/* Free @slot in the allocator and the model, merging as the model says. */
static void bs_bbt_model_free(struct kunit *test, struct bs_bbt_model *m,
			      unsigned int slot)
{
	const size_t granted = bs_byte_buddy_granted(m->size[slot]);
	unsigned int order = bs_byte_buddy_order(m->size[slot]);
	u64 addr = bs_bbt_addr(test, m->mem[slot]);
	int i;

	bs_test_stamp_intact(test, m->mem[slot], granted, m->tag[slot]);
	bs_bbt_free(test, m->mem[slot]);
	m->mem[slot] = NULL;
	m->stats.used_bytes -= granted;
	m->stats.requested_bytes -= m->size[slot];
	m->stats.counters[BS_BYTE_BUDDY_FREES]++;
	for (; order < BS_BYTE_BUDDY_TOP; order++) {
		i = bs_bbt_model_find(m, addr ^ bs_byte_buddy_block_bytes(order), order);
		if (i < 0)
			break;
		bs_bbt_model_remove(m, i);
		addr &= ~(u64)bs_byte_buddy_block_bytes(order);
		m->stats.counters[BS_BYTE_BUDDY_MERGES]++;
	}
	if (order == BS_BYTE_BUDDY_TOP) {
		m->stats.nr_arenas--;
		m->stats.counters[BS_BYTE_BUDDY_ARENAS_GIVEN]++;
	} else {
		bs_bbt_model_add(test, m, addr, order);
	}
}

/* The allocator's figures are the model's, and its invariants hold. */
static void bs_bbt_model_check(struct kunit *test, const struct bs_bbt_model *m,
			       unsigned long op)
{
	struct bs_byte_buddy_stats stats;
	unsigned int i;

	bs_bbt_stats(test, &stats);
	KUNIT_EXPECT_EQ_MSG(test, stats.nr_arenas, m->stats.nr_arenas, "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, stats.nr_free, m->nr, "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, stats.used_bytes, m->stats.used_bytes, "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, stats.requested_bytes, m->stats.requested_bytes,
			    "op %lu", op);
	for (i = 0; i < BS_BYTE_BUDDY_ORDERS; i++)
		KUNIT_EXPECT_EQ_MSG(test, stats.nr_free_order[i],
				    m->stats.nr_free_order[i], "op %lu, order %u", op, i);
	for (i = 0; i < BS_BYTE_BUDDY_NR_COUNTERS; i++)
		KUNIT_EXPECT_EQ_MSG(test, stats.counters[i], m->stats.counters[i],
				    "op %lu, %s", op, bs_byte_buddy_counter_names[i]);
	KUNIT_EXPECT_EQ_MSG(test, bs_byte_buddy_validate(bs_bbt_bb(test)), 0,
			    "op %lu", op);
}

/*
 * Mostly up to 4 KiB; one in 16 up to an eighth of an arena to a whole
 * one, so that the region fills and the second arena comes and goes.
 */
static size_t bs_bbt_stress_size(struct rnd_state *rnd)
{
	unsigned int shift = prandom_u32_state(rnd) % 16 ?
			     prandom_u32_state(rnd) % 9 :
			     BS_BYTE_BUDDY_TOP - prandom_u32_state(rnd) % 4;

	return 1 + prandom_u32_state(rnd) % (BS_BYTE_BUDDY_GRAIN << shift);
}

/*
 * A seeded random mix of allocations, frees and refused double frees,
 * each checked against the model: where each block lands, every counter,
 * the free blocks per order, and the invariants, after every step.
 */
static void bs_byte_buddy_test_random_vs_model(struct kunit *test)
{
	struct bs_byte_buddy *bb = bs_bbt_bb(test);
	struct bs_bbt_model *m;
	struct rnd_state rnd;
	unsigned int slot;
	unsigned long op;
	u8 *gone;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	prandom_seed_state(&rnd, bs_test_seed(test, 0xb0dd7));

	for (op = 0; op < BS_BBT_STRESS_OPS; op++) {
		slot = prandom_u32_state(&rnd) % BS_BBT_SLOTS;
		if (!m->mem[slot]) {
			bs_bbt_model_alloc(test, m, slot, bs_bbt_stress_size(&rnd),
					   (u64)(op + 1) << 32);
		} else {
			gone = m->mem[slot];
			bs_bbt_model_free(test, m, slot);
			if (!(prandom_u32_state(&rnd) % 8)) {
				KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(bb, gone), -EINVAL);
				m->stats.counters[BS_BYTE_BUDDY_FREES_REFUSED]++;
			}
		}
		bs_bbt_model_check(test, m, op);
		if (READ_ONCE(test->status) == KUNIT_FAILURE)
			break;
	}
	kunit_info(test, "%lu operations: %lu allocations, %lu refused for lack of memory, %lu arenas taken\n",
		   op, m->stats.counters[BS_BYTE_BUDDY_ALLOCS],
		   m->stats.counters[BS_BYTE_BUDDY_FAILS],
		   m->stats.counters[BS_BYTE_BUDDY_ARENAS_TAKEN]);
	for (slot = 0; slot < BS_BBT_SLOTS; slot++)
		if (m->mem[slot])
			bs_bbt_model_free(test, m, slot);
	bs_bbt_model_check(test, m, op);
	KUNIT_EXPECT_EQ(test, m->nr, 0);
}

static struct kunit_case bs_byte_buddy_test_cases[] = {
	KUNIT_CASE(bs_byte_buddy_test_granted),
	KUNIT_CASE(bs_byte_buddy_test_hand_worked),
	KUNIT_CASE(bs_byte_buddy_test_order_then_address),
	KUNIT_CASE(bs_byte_buddy_test_whole_arena),
	KUNIT_CASE(bs_byte_buddy_test_arenas_come_and_go),
	KUNIT_CASE(bs_byte_buddy_test_extfrag),
	KUNIT_CASE(bs_byte_buddy_test_bad_requests),
	KUNIT_CASE(bs_byte_buddy_test_bad_frees),
	KUNIT_CASE(bs_byte_buddy_test_validate_detects_damage),
	KUNIT_CASE(bs_byte_buddy_test_random_vs_model),
	{}
};

static struct kunit_suite bs_byte_buddy_test_suite = {
	.name = "buddyslab_byte_buddy",
	.init = bs_byte_buddy_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_byte_buddy_test_cases,
};

kunit_test_suite(bs_byte_buddy_test_suite);
