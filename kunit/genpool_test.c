// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab genpool allocator: the kernel's
 * lib/genalloc.c over arenas from the buddy.
 *
 * Every case runs on a fresh two-arena region with a buddy and the genpool
 * allocator over it; the suite's exit runs the genpool and buddy checkers
 * and checks that every arena went back to the buddy, so a scenario that
 * corrupts or leaks fails even if its own expectations hold.
 *
 * The placements are worked out by hand, and in the random stress by a
 * model of its own: live allocations sorted by offset, the free runs
 * between them, first fit the lowest that holds the request, best fit the
 * shortest (the lowest of equal ones) in the first arena that has one.
 */
#include <kunit/test.h>
#include <linux/genalloc.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "genpool.h"
#include "harness.h"

static int bs_genpool_test_init(struct kunit *test)
{
	return bs_test_init(test, BS_TEST_GENPOOL);
}

static struct bs_genpool *bs_genpool_test_gp(struct kunit *test)
{
	return &bs_test(test)->genpool;
}

static struct bs_buddy *bs_genpool_test_buddy(struct kunit *test)
{
	return &bs_test(test)->buddy;
}

static u8 *bs_genpool_test_alloc(struct kunit *test, size_t size,
				 enum bs_genpool_policy policy)
{
	size_t granted;
	u8 *mem;

	mem = bs_genpool_alloc(bs_genpool_test_gp(test), size, policy, &granted);
	KUNIT_ASSERT_NOT_NULL_MSG(test, mem, "%s fit of %zu bytes",
				  bs_genpool_policy_names[policy], size);
	KUNIT_EXPECT_EQ(test, granted, ALIGN(size, BS_GENPOOL_GRAIN));
	return mem;
}

static void bs_genpool_test_free(struct kunit *test, void *mem)
{
	KUNIT_EXPECT_EQ(test, bs_genpool_free(bs_genpool_test_gp(test), mem), 0);
}

static void bs_genpool_test_stats(struct kunit *test,
				  struct bs_genpool_stats *stats)
{
	bs_genpool_stats(bs_genpool_test_gp(test), stats);
}

/* The offset of @mem in the device's linear space. */
static u64 bs_genpool_test_offset(struct kunit *test, const void *mem)
{
	unsigned long pgoff;

	KUNIT_ASSERT_EQ(test, bs_buddy_pgoff_of(bs_genpool_test_buddy(test), mem,
						&pgoff), 0);
	return ((u64)pgoff << PAGE_SHIFT) + offset_in_page(mem);
}

/* ---- Granted sizes ------------------------------------------------------ */

struct bs_genpool_test_grant {
	size_t size;
	size_t granted;
};

/* Whole grains of 16 bytes, worked by hand. */
static const struct bs_genpool_test_grant bs_genpool_test_grants[] = {
	{ 1, 16 }, { 15, 16 }, { 16, 16 }, { 17, 32 }, { 100, 112 },
	{ 4095, 4096 }, { 4096, 4096 }, { 4097, 4112 },
	{ BS_ARENA_BYTES - 1, BS_ARENA_BYTES }, { BS_ARENA_BYTES, BS_ARENA_BYTES },
};

static void bs_genpool_test_grant_desc(const struct bs_genpool_test_grant *g,
				       char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", g->size);
}

KUNIT_ARRAY_PARAM(bs_genpool_test_grant, bs_genpool_test_grants,
		  bs_genpool_test_grant_desc);

static void bs_genpool_test_granted(struct kunit *test)
{
	const struct bs_genpool_test_grant *g = test->param_value;
	struct bs_genpool_stats stats;
	enum bs_genpool_policy policy;
	size_t granted = 0;
	u8 *mem;

	KUNIT_EXPECT_EQ(test, bs_genpool_granted(g->size), g->granted);
	for (policy = 0; policy < BS_GENPOOL_NR_POLICIES; policy++) {
		mem = bs_genpool_alloc(bs_genpool_test_gp(test), g->size, policy,
				       &granted);
		KUNIT_ASSERT_NOT_NULL(test, mem);
		KUNIT_EXPECT_EQ(test, granted, g->granted);
		/* A fresh arena: the allocation is at its start. */
		KUNIT_EXPECT_EQ(test, bs_genpool_test_offset(test, mem) %
				BS_ARENA_BYTES, 0);
		bs_genpool_test_stats(test, &stats);
		KUNIT_EXPECT_EQ(test, stats.used_bytes, g->granted);
		KUNIT_EXPECT_EQ(test, stats.requested_bytes, g->size);
		KUNIT_EXPECT_EQ(test, stats.free_bytes, BS_ARENA_BYTES - g->granted);
		KUNIT_EXPECT_EQ(test, stats.policy_counters[policy][BS_GENPOOL_ALLOCS], 1);
		bs_genpool_test_free(test, mem);
		bs_genpool_test_stats(test, &stats);
		KUNIT_EXPECT_EQ(test, stats.used_bytes, 0);
		KUNIT_EXPECT_EQ(test, stats.requested_bytes, 0);
	}
}

/* ---- Placements ---------------------------------------------------------- */

/*
 * The holes every pick starts from, at the start of a fresh arena (offsets
 * from its start):
 *
 *   0 A 64 [256 free] 320 C 384 [128 free] 512 E 576 [128 free] 704 G 768
 *   [the rest of the arena, free]
 */
static const unsigned int bs_genpool_test_layout[] = { 64, 256, 64, 128, 64, 128, 64 };

struct bs_genpool_test_holes {
	u8 *base;
	u8 *held[4];
};

static void bs_genpool_test_make_holes(struct kunit *test,
				       struct bs_genpool_test_holes *h)
{
	u8 *blocks[ARRAY_SIZE(bs_genpool_test_layout)];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(bs_genpool_test_layout); i++)
		blocks[i] = bs_genpool_test_alloc(test, bs_genpool_test_layout[i],
						  BS_GENPOOL_FIRST);
	h->base = blocks[0];
	for (i = 0; i < ARRAY_SIZE(bs_genpool_test_layout); i++) {
		if (i % 2)
			bs_genpool_test_free(test, blocks[i]);
		else
			h->held[n++] = blocks[i];
	}
	KUNIT_EXPECT_EQ(test, h->held[3] - h->base, 704);
}

static void bs_genpool_test_free_holes(struct kunit *test,
				       struct bs_genpool_test_holes *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(h->held); i++)
		bs_genpool_test_free(test, h->held[i]);
}

struct bs_genpool_test_pick {
	enum bs_genpool_policy policy;
	size_t size;
	long offset;
};

/* What each policy takes from the holes above, worked by hand. */
static const struct bs_genpool_test_pick bs_genpool_test_picks[] = {
	{ BS_GENPOOL_FIRST, 1, 64 },		/* the lowest hole */
	{ BS_GENPOOL_BEST, 1, 384 },		/* the lower of the two 128s */
	{ BS_GENPOOL_FIRST, 96, 64 },
	{ BS_GENPOOL_BEST, 96, 384 },
	{ BS_GENPOOL_FIRST, 128, 64 },
	{ BS_GENPOOL_BEST, 128, 384 },		/* exact; lower of two ties */
	{ BS_GENPOOL_FIRST, 144, 64 },
	{ BS_GENPOOL_BEST, 144, 64 },		/* 256 is the shortest >= 144 */
	{ BS_GENPOOL_FIRST, 256, 64 },
	{ BS_GENPOOL_BEST, 256, 64 },		/* exact */
	{ BS_GENPOOL_FIRST, 257, 768 },		/* 272: past every hole */
	{ BS_GENPOOL_BEST, 257, 768 },
};

static void bs_genpool_test_pick_desc(const struct bs_genpool_test_pick *p,
				      char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s fit of %zu",
		 bs_genpool_policy_names[p->policy], p->size);
}

KUNIT_ARRAY_PARAM(bs_genpool_test_pick, bs_genpool_test_picks,
		  bs_genpool_test_pick_desc);

static void bs_genpool_test_policy_picks(struct kunit *test)
{
	const struct bs_genpool_test_pick *p = test->param_value;
	struct bs_genpool_test_holes h;
	struct bs_genpool_stats stats;
	u8 *mem;

	bs_genpool_test_make_holes(test, &h);
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 4);
	KUNIT_EXPECT_EQ(test, stats.largest_free, BS_ARENA_BYTES - 768);
	KUNIT_EXPECT_EQ(test, stats.free_bytes, BS_ARENA_BYTES - 4 * 64);

	mem = bs_genpool_test_alloc(test, p->size, p->policy);
	KUNIT_EXPECT_EQ(test, mem - h.base, p->offset);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(bs_genpool_test_gp(test)), 0);
	bs_genpool_test_free(test, mem);
	bs_genpool_test_free_holes(test, &h);
}

/*
 * genalloc's best fit is per chunk, and a chunk is an arena: with 256
 * bytes free at the end of the lower arena and 64 at the end of the higher
 * one, best fit of 64 takes the lower arena's 256, not the exact 64 a
 * best fit over all free memory (fit.c's) would take.
 */
static void bs_genpool_test_best_fit_is_per_arena(struct kunit *test)
{
	const size_t tail = 512;
	struct bs_genpool_stats stats;
	u8 *big[2], *low, *high, *a, *b, *c, *mem;

	big[0] = bs_genpool_test_alloc(test, BS_ARENA_BYTES - tail, BS_GENPOOL_FIRST);
	big[1] = bs_genpool_test_alloc(test, BS_ARENA_BYTES - tail, BS_GENPOOL_FIRST);
	bs_genpool_test_stats(test, &stats);
	KUNIT_ASSERT_EQ(test, stats.nr_arenas, 2);
	/* Arenas go in the order of their offsets, whatever their addresses. */
	if (bs_genpool_test_offset(test, big[0]) < bs_genpool_test_offset(test, big[1])) {
		low = big[0];
		high = big[1];
	} else {
		low = big[1];
		high = big[0];
	}
	low += BS_ARENA_BYTES - tail;
	high += BS_ARENA_BYTES - tail;

	/* First fit fills the lower arena's tail first. */
	a = bs_genpool_test_alloc(test, 256, BS_GENPOOL_FIRST);
	b = bs_genpool_test_alloc(test, 256, BS_GENPOOL_FIRST);
	c = bs_genpool_test_alloc(test, 448, BS_GENPOOL_FIRST);
	KUNIT_EXPECT_PTR_EQ(test, a, low);
	KUNIT_EXPECT_PTR_EQ(test, b, low + 256);
	KUNIT_EXPECT_PTR_EQ(test, c, high);
	bs_genpool_test_free(test, b);

	/* 256 and 64 free: 1 - 256 / 320 = 0.200. */
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 2);
	KUNIT_EXPECT_EQ(test, stats.free_bytes, 320);
	KUNIT_EXPECT_EQ(test, stats.largest_free, 256);
	KUNIT_EXPECT_EQ(test, stats.extfrag, 200);

	mem = bs_genpool_test_alloc(test, 64, BS_GENPOOL_BEST);
	KUNIT_EXPECT_PTR_EQ(test, mem, low + 256);
	bs_genpool_test_free(test, mem);
	mem = bs_genpool_test_alloc(test, 64, BS_GENPOOL_FIRST);
	KUNIT_EXPECT_PTR_EQ(test, mem, low + 256);
	bs_genpool_test_free(test, mem);

	bs_genpool_test_free(test, a);
	bs_genpool_test_free(test, c);
	bs_genpool_test_free(test, big[0]);
	bs_genpool_test_free(test, big[1]);
}

/* ---- Arenas -------------------------------------------------------------- */

/* The first page of the arena @mem is in. */
static unsigned long bs_genpool_test_arena_of(struct kunit *test, const void *mem)
{
	return bs_genpool_test_offset(test, mem) / BS_ARENA_BYTES * BS_ARENA_PAGES;
}

/* Arenas come from the buddy when needed and go back when empty. */
static void bs_genpool_test_arenas_come_and_go(struct kunit *test)
{
	struct bs_buddy *buddy = bs_genpool_test_buddy(test);
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	const unsigned long total = bs_buddy_total_pages(buddy);
	unsigned long arena_a, arena_b;
	struct bs_genpool_stats stats;
	u8 *a, *b;

	KUNIT_EXPECT_FALSE(test, bs_genpool_owns(gp, 0));
	a = bs_genpool_test_alloc(test, 100, BS_GENPOOL_FIRST);
	arena_a = bs_genpool_test_arena_of(test, a);
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 1);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_GENPOOL_ARENAS_TAKEN], 1);
	KUNIT_EXPECT_TRUE(test, bs_genpool_owns(gp, arena_a));
	KUNIT_EXPECT_FALSE(test, bs_genpool_owns(gp, arena_a + 1));
	KUNIT_EXPECT_EQ(test, bs_buddy_block_tag(buddy, arena_a), BS_BUDDY_TAG_ARENA);
	bs_buddy_drain(buddy);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total - BS_ARENA_PAGES);

	/* More than what is left of the first: a second arena. */
	b = bs_genpool_test_alloc(test, BS_ARENA_BYTES - 64, BS_GENPOOL_BEST);
	arena_b = bs_genpool_test_arena_of(test, b);
	KUNIT_EXPECT_NE(test, arena_b, arena_a);
	KUNIT_EXPECT_PTR_EQ(test, b, bs_buddy_addr(buddy, arena_b));
	KUNIT_EXPECT_TRUE(test, bs_genpool_owns(gp, arena_b));
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 2);

	/* Entirely free: given back at once. */
	bs_genpool_test_free(test, a);
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 1);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_GENPOOL_ARENAS_GIVEN], 1);
	KUNIT_EXPECT_FALSE(test, bs_genpool_owns(gp, arena_a));
	KUNIT_EXPECT_EQ(test, bs_buddy_block_tag(buddy, arena_a), -EINVAL);

	bs_genpool_test_free(test, b);
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 0);
	KUNIT_EXPECT_EQ(test, stats.free_bytes, 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_GENPOOL_ARENAS_TAKEN], 2);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_GENPOOL_ARENAS_GIVEN], 2);
	KUNIT_EXPECT_FALSE(test, bs_genpool_owns(gp, arena_b));
	bs_buddy_drain(buddy);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total);
}

/* The region full: every request fails, is counted, and changes nothing. */
static void bs_genpool_test_exhaustion(struct kunit *test)
{
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	struct bs_genpool_stats stats;
	size_t granted = 0;
	u8 *a, *b, *c;

	a = bs_genpool_test_alloc(test, BS_ARENA_BYTES, BS_GENPOOL_FIRST);
	b = bs_genpool_test_alloc(test, BS_ARENA_BYTES, BS_GENPOOL_BEST);
	KUNIT_EXPECT_NULL(test, bs_genpool_alloc(gp, 16, BS_GENPOOL_FIRST, &granted));
	KUNIT_EXPECT_NULL(test, bs_genpool_alloc(gp, 1, BS_GENPOOL_BEST, &granted));
	KUNIT_EXPECT_NULL(test, bs_genpool_alloc(gp, BS_ARENA_BYTES, BS_GENPOOL_BEST,
						 &granted));
	KUNIT_EXPECT_EQ(test, granted, 0);
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	KUNIT_EXPECT_EQ(test, stats.policy_counters[BS_GENPOOL_FIRST][BS_GENPOOL_ALLOCS], 1);
	KUNIT_EXPECT_EQ(test, stats.policy_counters[BS_GENPOOL_FIRST][BS_GENPOOL_FAILS], 1);
	KUNIT_EXPECT_EQ(test, stats.policy_counters[BS_GENPOOL_BEST][BS_GENPOOL_ALLOCS], 1);
	KUNIT_EXPECT_EQ(test, stats.policy_counters[BS_GENPOOL_BEST][BS_GENPOOL_FAILS], 2);
	KUNIT_EXPECT_EQ(test, stats.nr_free, 0);
	KUNIT_EXPECT_EQ(test, stats.free_bytes, 0);
	KUNIT_EXPECT_EQ(test, stats.largest_free, 0);
	KUNIT_EXPECT_EQ(test, stats.extfrag, 0);
	KUNIT_EXPECT_EQ(test, stats.used_bytes, 2 * BS_ARENA_BYTES);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_GENPOOL_ARENAS_TAKEN], 2);

	/* An arena given back is the one a new request takes. */
	bs_genpool_test_free(test, a);
	c = bs_genpool_test_alloc(test, 16, BS_GENPOOL_BEST);
	KUNIT_EXPECT_PTR_EQ(test, c, a);
	bs_genpool_test_free(test, b);
	bs_genpool_test_free(test, c);
}

static void bs_genpool_test_bad_requests(struct kunit *test)
{
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	struct bs_genpool_stats before, after;
	size_t granted = 12345;

	bs_genpool_test_stats(test, &before);
	KUNIT_EXPECT_NULL(test, bs_genpool_alloc(gp, 0, BS_GENPOOL_FIRST, &granted));
	KUNIT_EXPECT_NULL(test, bs_genpool_alloc(gp, BS_ARENA_BYTES + 1,
						 BS_GENPOOL_BEST, &granted));
	KUNIT_EXPECT_NULL(test, bs_genpool_alloc(gp, 64, BS_GENPOOL_NR_POLICIES,
						 &granted));
	KUNIT_EXPECT_EQ(test, granted, 12345);
	/* Refused before any search: not counted as failures. */
	bs_genpool_test_stats(test, &after);
	KUNIT_EXPECT_MEMEQ(test, &after, &before, sizeof(after));
}

/* Only the start of a live allocation may be freed, once. */
static void bs_genpool_test_bad_frees(struct kunit *test)
{
	struct bs_buddy *buddy = bs_genpool_test_buddy(test);
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	struct bs_genpool_stats before, after;
	unsigned long pgoff;
	u8 *mem, *other, *foreign;

	mem = bs_genpool_test_alloc(test, 256, BS_GENPOOL_FIRST);
	other = bs_genpool_test_alloc(test, 256, BS_GENPOOL_FIRST);
	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_EQ(test, bs_buddy_alloc(buddy, 0, BS_BUDDY_TAG_DIRECT, &pgoff), 0);
	bs_genpool_test_stats(test, &before);

	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, mem + 16), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, mem + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, other + 256), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, foreign), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, bs_buddy_addr(buddy, pgoff)), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, NULL), -EINVAL);
	bs_genpool_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.counters[BS_GENPOOL_FREES_REFUSED],
			before.counters[BS_GENPOOL_FREES_REFUSED] + 6);
	/* Nothing else moved. */
	after.counters[BS_GENPOOL_FREES_REFUSED] = before.counters[BS_GENPOOL_FREES_REFUSED];
	KUNIT_EXPECT_MEMEQ(test, &after, &before, sizeof(after));
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), 0);

	/* Double frees: while the arena lives, and once it is gone. */
	bs_genpool_test_free(test, mem);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, mem), -EINVAL);
	bs_genpool_test_free(test, other);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(gp, other), -EINVAL);
	bs_genpool_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.counters[BS_GENPOOL_FREES_REFUSED],
			before.counters[BS_GENPOOL_FREES_REFUSED] + 8);
	KUNIT_EXPECT_EQ(test, after.counters[BS_GENPOOL_FREES],
			before.counters[BS_GENPOOL_FREES] + 2);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, pgoff), 0);
}

/* ---- The checker ----------------------------------------------------------- */

/* The key of @mem in the records. */
static unsigned long bs_genpool_test_key(struct kunit *test, const void *mem)
{
	return bs_genpool_test_offset(test, mem) / BS_GENPOOL_GRAIN;
}

/* Store @entry as the record at @key, as damage or to undo it. */
static void bs_genpool_test_set_record(struct kunit *test, unsigned long key,
				       void *entry)
{
	struct bs_genpool *gp = bs_genpool_test_gp(test);

	mutex_lock(&gp->lock);
	KUNIT_EXPECT_FALSE(test, xa_is_err(xa_store(&gp->allocs, key, entry,
						    GFP_KERNEL)));
	mutex_unlock(&gp->lock);
}

/* The checker must see damage to the records, the bitmaps or the counts. */
static void bs_genpool_test_validate_detects_corruption(struct kunit *test)
{
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	struct gen_pool *pool;
	unsigned long addr;
	u8 *mem, *other;

	mem = bs_genpool_test_alloc(test, 64, BS_GENPOOL_FIRST);
	other = bs_genpool_test_alloc(test, 32, BS_GENPOOL_FIRST);
	KUNIT_ASSERT_EQ(test, bs_genpool_validate(gp), 0);

	mutex_lock(&gp->lock);
	gp->used_bytes += BS_GENPOOL_GRAIN;
	mutex_unlock(&gp->lock);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), -EUCLEAN);
	mutex_lock(&gp->lock);
	gp->used_bytes -= BS_GENPOOL_GRAIN;
	mutex_unlock(&gp->lock);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), 0);

	/* Bits set that no record has. */
	bs_genpool_test_set_record(test, bs_genpool_test_key(test, mem), NULL);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), -EUCLEAN);
	bs_genpool_test_set_record(test, bs_genpool_test_key(test, mem), xa_mk_value(64));
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), 0);

	/* A record longer than its bits. */
	bs_genpool_test_set_record(test, bs_genpool_test_key(test, other), xa_mk_value(48));
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), -EUCLEAN);
	bs_genpool_test_set_record(test, bs_genpool_test_key(test, other), xa_mk_value(32));
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), 0);

	/* A record inside another one. */
	bs_genpool_test_set_record(test, bs_genpool_test_key(test, mem) + 1,
				   xa_mk_value(16));
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), -EUCLEAN);
	bs_genpool_test_set_record(test, bs_genpool_test_key(test, mem) + 1, NULL);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), 0);

	/* Bits genalloc set behind the records' back. */
	mutex_lock(&gp->lock);
	pool = xa_load(&gp->arenas, bs_genpool_test_arena_of(test, mem) / BS_ARENA_PAGES);
	addr = pool ? gen_pool_alloc(pool, BS_GENPOOL_GRAIN) : 0;
	mutex_unlock(&gp->lock);
	KUNIT_ASSERT_NE(test, addr, 0);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), -EUCLEAN);
	mutex_lock(&gp->lock);
	gen_pool_free(pool, addr, BS_GENPOOL_GRAIN);
	mutex_unlock(&gp->lock);
	KUNIT_EXPECT_EQ(test, bs_genpool_validate(gp), 0);

	bs_genpool_test_free(test, mem);
	bs_genpool_test_free(test, other);
}

/* ---- Random stress against a model --------------------------------------- */

#define BS_GENPOOL_STRESS_SLOTS	32
#define BS_GENPOOL_STRESS_OPS	3000
/* The model's answer when no arena has room: a new arena, if one is left. */
#define BS_GENPOOL_NEW_ARENA	U64_MAX

/**
 * struct bs_genpool_model_slot - a live allocation, as the model sees it
 * @mem:	the memory; NULL while the slot is empty
 * @offset:	its offset in the device's linear space
 * @size:	bytes asked for
 * @granted:	bytes it holds
 * @tag:	its stamp (bs_test_stamp())
 */
struct bs_genpool_model_slot {
	u8 *mem;
	u64 offset;
	size_t size;
	size_t granted;
	u64 tag;
};

struct bs_genpool_model {
	struct bs_genpool_model_slot slots[BS_GENPOOL_STRESS_SLOTS];
	const struct bs_genpool_model_slot *sorted[BS_GENPOOL_STRESS_SLOTS];
	unsigned int nr_sorted;
};

/* The live allocations in @m->sorted, by offset. */
static void bs_genpool_model_sort(struct bs_genpool_model *m)
{
	const struct bs_genpool_model_slot *s;
	unsigned int i, j;

	m->nr_sorted = 0;
	for (i = 0; i < ARRAY_SIZE(m->slots); i++) {
		s = &m->slots[i];
		if (!s->mem)
			continue;
		for (j = m->nr_sorted; j > 0 && m->sorted[j - 1]->offset > s->offset; j--)
			m->sorted[j] = m->sorted[j - 1];
		m->sorted[j] = s;
		m->nr_sorted++;
	}
}

static u64 bs_genpool_model_arena(u64 offset)
{
	return offset / BS_ARENA_BYTES;
}

/*
 * Where @granted bytes go with @policy: in the arenas with live
 * allocations, in address order, the free runs between them; the first
 * arena with a run long enough serves, with its lowest such run (first)
 * or its shortest, the lowest of equal ones (best).
 */
static u64 bs_genpool_model_place(struct bs_genpool_model *m, size_t granted,
				  enum bs_genpool_policy policy)
{
	u64 arena, at, end, run, found, shortest;
	unsigned int i = 0, j;

	bs_genpool_model_sort(m);
	while (i < m->nr_sorted) {
		arena = bs_genpool_model_arena(m->sorted[i]->offset);
		at = arena * BS_ARENA_BYTES;
		found = BS_GENPOOL_NEW_ARENA;
		shortest = U64_MAX;
		for (j = i; ; j++) {
			bool in_arena = j < m->nr_sorted &&
				bs_genpool_model_arena(m->sorted[j]->offset) == arena;

			end = in_arena ? m->sorted[j]->offset : (arena + 1) * BS_ARENA_BYTES;
			run = end - at;
			if (run >= granted && run < shortest &&
			    (policy == BS_GENPOOL_BEST || found == BS_GENPOOL_NEW_ARENA)) {
				found = at;
				shortest = run;
			}
			if (!in_arena)
				break;
			at = end + m->sorted[j]->granted;
		}
		if (found != BS_GENPOOL_NEW_ARENA)
			return found;
		i = j;
	}
	return BS_GENPOOL_NEW_ARENA;
}

/* The model's arenas: those with a live allocation. */
static unsigned int bs_genpool_model_nr_arenas(struct bs_genpool_model *m)
{
	unsigned int i, n = 0;

	bs_genpool_model_sort(m);
	for (i = 0; i < m->nr_sorted; i++)
		n += !i || bs_genpool_model_arena(m->sorted[i]->offset) !=
			   bs_genpool_model_arena(m->sorted[i - 1]->offset);
	return n;
}

static bool bs_genpool_model_has_arena(struct bs_genpool_model *m, u64 arena)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(m->slots); i++)
		if (m->slots[i].mem && bs_genpool_model_arena(m->slots[i].offset) == arena)
			return true;
	return false;
}

/*
 * Fill the empty @s with a random request of 16 bytes to 4 MiB,
 * log-uniform, where the model says it must go. Returns whether all went
 * as the model says; @nomem counts requests refused for want of an arena.
 */
static bool bs_genpool_model_alloc(struct kunit *test, struct bs_genpool_model *m,
				   struct bs_genpool_model_slot *s,
				   enum bs_genpool_policy policy,
				   struct rnd_state *rnd, unsigned long op,
				   unsigned long *nomem)
{
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	size_t size, granted = 0;
	u64 expected, offset;
	bool ok;
	u8 *mem;

	size = 16UL << (prandom_u32_state(rnd) % 18);
	size = min_t(size_t, size + prandom_u32_state(rnd) % size, BS_ARENA_BYTES);
	expected = bs_genpool_model_place(m, bs_genpool_granted(size), policy);
	mem = bs_genpool_alloc(gp, size, policy, &granted);
	if (!mem) {
		ok = expected == BS_GENPOOL_NEW_ARENA &&
		     bs_genpool_model_nr_arenas(m) == BS_TEST_ARENAS;
		KUNIT_EXPECT_TRUE_MSG(test, ok, "op %lu: %s fit of %zu bytes refused",
				      op, bs_genpool_policy_names[policy], size);
		(*nomem)++;
		return ok;
	}
	offset = bs_genpool_test_offset(test, mem);
	KUNIT_EXPECT_EQ_MSG(test, granted, bs_genpool_granted(size), "op %lu", op);
	if (expected == BS_GENPOOL_NEW_ARENA) {
		/* A new arena, served from its start. */
		ok = offset % BS_ARENA_BYTES == 0 &&
		     !bs_genpool_model_has_arena(m, bs_genpool_model_arena(offset));
		KUNIT_EXPECT_TRUE_MSG(test, ok,
				      "op %lu: %zu bytes at %#llx, not at the start of a new arena",
				      op, size, offset);
	} else {
		ok = offset == expected;
		KUNIT_EXPECT_EQ_MSG(test, offset, expected, "op %lu: %s fit of %zu bytes",
				    op, bs_genpool_policy_names[policy], size);
	}
	s->mem = mem;
	s->offset = offset;
	s->size = size;
	s->granted = granted;
	s->tag = (u64)(op + 1) << 32;
	bs_test_stamp(mem, size, s->tag);
	return ok;
}

/* Check and free @s's allocation, after a refused free of its inside. */
static bool bs_genpool_model_free(struct kunit *test, struct bs_genpool_model_slot *s,
				  unsigned long op)
{
	struct bs_genpool *gp = bs_genpool_test_gp(test);
	bool ok;

	ok = bs_test_stamp_intact(test, s->mem, s->size, s->tag);
	if (s->granted > BS_GENPOOL_GRAIN)
		ok &= bs_genpool_free(gp, s->mem + BS_GENPOOL_GRAIN) == -EINVAL;
	ok &= bs_genpool_free(gp, s->mem) == 0;
	KUNIT_EXPECT_TRUE_MSG(test, ok, "op %lu: free of %zu bytes", op, s->size);
	s->mem = NULL;
	return ok;
}

/* The allocator's figures as the model has them, and both checkers pass. */
static bool bs_genpool_model_check(struct kunit *test, struct bs_genpool_model *m,
				   unsigned long op)
{
	struct bs_genpool_stats stats;
	unsigned long used = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(m->slots); i++)
		if (m->slots[i].mem)
			used += m->slots[i].granted;
	bs_genpool_test_stats(test, &stats);
	KUNIT_EXPECT_EQ_MSG(test, stats.used_bytes, used, "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, stats.nr_arenas, bs_genpool_model_nr_arenas(m),
			    "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, stats.free_bytes,
			    stats.nr_arenas * BS_ARENA_BYTES - used, "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, bs_genpool_validate(bs_genpool_test_gp(test)), 0,
			    "op %lu", op);
	KUNIT_EXPECT_EQ_MSG(test, bs_buddy_validate(bs_genpool_test_buddy(test)), 0,
			    "op %lu", op);
	return READ_ONCE(test->status) != KUNIT_FAILURE;
}

static const struct bs_genpool_test_pick bs_genpool_test_policies[] = {
	{ BS_GENPOOL_FIRST }, { BS_GENPOOL_BEST },
};

static void bs_genpool_test_policy_desc(const struct bs_genpool_test_pick *p,
					char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s fit",
		 bs_genpool_policy_names[p->policy]);
}

KUNIT_ARRAY_PARAM(bs_genpool_test_policy, bs_genpool_test_policies,
		  bs_genpool_test_policy_desc);

/*
 * A seeded random mix of allocations and frees with one policy: every
 * allocation where the model puts it, stamped, checked before it is freed;
 * the figures, the genpool and buddy checkers after every operation.
 */
static void bs_genpool_test_random_stress(struct kunit *test)
{
	const enum bs_genpool_policy policy =
		((const struct bs_genpool_test_pick *)test->param_value)->policy;
	unsigned long op, nr_allocs = 0, nr_nomem = 0;
	struct bs_genpool_model_slot *s;
	struct bs_genpool_model *m;
	struct rnd_state rnd;
	unsigned int i;
	bool ok;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	prandom_seed_state(&rnd, bs_test_seed(test, 0x9e9 + policy));

	for (op = 0; op < BS_GENPOOL_STRESS_OPS; op++) {
		s = &m->slots[prandom_u32_state(&rnd) % ARRAY_SIZE(m->slots)];
		if (s->mem) {
			ok = bs_genpool_model_free(test, s, op);
		} else {
			ok = bs_genpool_model_alloc(test, m, s, policy, &rnd, op,
						    &nr_nomem);
			nr_allocs += !!s->mem;
		}
		if (!ok || !bs_genpool_model_check(test, m, op))
			break;
	}
	KUNIT_EXPECT_EQ(test, op, BS_GENPOOL_STRESS_OPS);
	kunit_info(test, "%lu operations: %lu allocations, %lu refused for lack of memory\n",
		   op, nr_allocs, nr_nomem);
	/* Both outcomes were exercised: placements and a full region. */
	KUNIT_EXPECT_GT(test, nr_nomem, 0);
	for (i = 0; i < ARRAY_SIZE(m->slots); i++)
		if (m->slots[i].mem)
			bs_genpool_model_free(test, &m->slots[i], op);
}

static struct kunit_case bs_genpool_test_cases[] = {
	KUNIT_CASE_PARAM(bs_genpool_test_granted, bs_genpool_test_grant_gen_params),
	KUNIT_CASE_PARAM(bs_genpool_test_policy_picks, bs_genpool_test_pick_gen_params),
	KUNIT_CASE(bs_genpool_test_best_fit_is_per_arena),
	KUNIT_CASE(bs_genpool_test_arenas_come_and_go),
	KUNIT_CASE(bs_genpool_test_exhaustion),
	KUNIT_CASE(bs_genpool_test_bad_requests),
	KUNIT_CASE(bs_genpool_test_bad_frees),
	KUNIT_CASE(bs_genpool_test_validate_detects_corruption),
	KUNIT_CASE_PARAM(bs_genpool_test_random_stress, bs_genpool_test_policy_gen_params),
	{}
};

static struct kunit_suite bs_genpool_test_suite = {
	.name = "buddyslab_genpool",
	.init = bs_genpool_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_genpool_test_cases,
};

kunit_test_suite(bs_genpool_test_suite);
