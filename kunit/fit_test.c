// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab sequential-fit allocators.
 *
 * Every case runs on a fresh two-arena region with a buddy and the fit
 * allocators over it; the suite's exit runs both invariant checkers and
 * checks that every arena went back to the buddy.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "fit.h"
#include "harness.h"

static struct bs_fit *bs_test_fit(struct kunit *test)
{
	return &bs_test(test)->fit;
}

static int bs_fit_test_init(struct kunit *test)
{
	return bs_test_init(test, BS_TEST_FIT);
}

static u8 *bs_test_alloc(struct kunit *test, size_t size, size_t align,
			 enum bs_fit_policy policy)
{
	size_t granted;
	u8 *mem;

	mem = bs_fit_alloc(bs_test_fit(test), size, align, policy, &granted);
	KUNIT_ASSERT_NOT_NULL_MSG(test, mem, "%s fit of %zu bytes",
				  bs_fit_policy_names[policy], size);
	KUNIT_EXPECT_EQ(test, granted, ALIGN(size, BS_FIT_GRAIN));
	return mem;
}

static void bs_test_free(struct kunit *test, void *mem)
{
	KUNIT_EXPECT_EQ(test, bs_fit_free(bs_test_fit(test), mem), 0);
}

static void bs_test_stats(struct kunit *test, struct bs_fit_stats *stats)
{
	bs_fit_stats(bs_test_fit(test), stats);
}

/*
 * The free blocks every policy case starts from, at the start of a fresh
 * arena (offsets from its start):
 *
 *   0 X0 64 [256 free] 320 X1 384 [128 free] 512 X2 576 Y 880 [208 free]
 *   1088 X3 1152 [128 free] 1280 X4 1344 [the rest of the arena, free]
 *
 * Y, a next-fit allocation of 300 (304) bytes made last, leaves the rover
 * on the 208 free bytes after it.
 */
static const unsigned int bs_test_layout[] = { 64, 256, 64, 128, 64, 512, 64, 128, 64 };

struct bs_test_layout {
	u8 *base;
	u8 *held[6];
};

static void bs_test_build_layout(struct kunit *test, struct bs_test_layout *l)
{
	u8 *blocks[ARRAY_SIZE(bs_test_layout)];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(bs_test_layout); i++)
		blocks[i] = bs_test_alloc(test, bs_test_layout[i], 0, BS_FIT_FIRST);
	l->base = blocks[0];
	for (i = 0; i < ARRAY_SIZE(bs_test_layout); i++) {
		if (i % 2)
			bs_test_free(test, blocks[i]);
		else
			l->held[n++] = blocks[i];
	}
	l->held[n] = bs_test_alloc(test, 300, 0, BS_FIT_NEXT);
	KUNIT_EXPECT_EQ(test, l->held[n] - l->base, 576);
}

static void bs_test_free_layout(struct kunit *test, struct bs_test_layout *l)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(l->held); i++)
		bs_test_free(test, l->held[i]);
}

struct bs_test_pick {
	enum bs_fit_policy policy;
	size_t size;
	size_t align;
	long offset;
};

/* What each policy takes from the layout above, worked by hand. */
static const struct bs_test_pick bs_test_picks[] = {
	{ BS_FIT_FIRST, 128, 0, 64 },		/* first block that fits */
	{ BS_FIT_NEXT, 128, 0, 880 },		/* from the rover on */
	{ BS_FIT_BEST, 128, 0, 384 },		/* exact; lower of two ties */
	{ BS_FIT_WORST, 128, 0, 1344 },		/* the largest */
	{ BS_FIT_FIRST, 256, 0, 64 },
	{ BS_FIT_NEXT, 256, 0, 1344 },		/* 208 and 128 too small */
	{ BS_FIT_BEST, 256, 0, 64 },		/* exact */
	{ BS_FIT_WORST, 256, 0, 1344 },
	{ BS_FIT_BEST, 144, 0, 880 },		/* 208 is the smallest >= 144 */
	{ BS_FIT_NEXT, 16, 0, 880 },
	{ BS_FIT_FIRST, 600, 0, 1344 },
	{ BS_FIT_FIRST, 64, 256, 256 },		/* aligned end of the 256 */
	{ BS_FIT_BEST, 64, 256, 1024 },		/* the 128s cannot align */
	{ BS_FIT_WORST, 64, 4096, 4096 },
};

static void bs_test_pick_desc(const struct bs_test_pick *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s fit of %zu aligned to %zu",
		 bs_fit_policy_names[p->policy], p->size, p->align);
}

KUNIT_ARRAY_PARAM(bs_test_pick, bs_test_picks, bs_test_pick_desc);

static void bs_fit_test_policy_picks(struct kunit *test)
{
	const struct bs_test_pick *p = test->param_value;
	struct bs_test_layout l;
	u8 *mem;

	bs_test_build_layout(test, &l);
	mem = bs_test_alloc(test, p->size, p->align, p->policy);
	KUNIT_EXPECT_EQ(test, mem - l.base, p->offset);
	KUNIT_EXPECT_EQ(test, bs_fit_validate(bs_test_fit(test)), 0);
	bs_test_free(test, mem);
	bs_test_free_layout(test, &l);
}

/* Four neighbours A B C D, then the rest of the arena. */
static void bs_test_four(struct kunit *test, u8 **blk)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		blk[i] = bs_test_alloc(test, 160, 0, BS_FIT_FIRST);
}

/* Freeing B after A merges with the left; A after B with the right. */
static void bs_fit_test_merge_left_and_right(struct kunit *test)
{
	struct bs_fit_stats before, after;
	u8 *blk[4];

	bs_test_four(test, blk);
	bs_test_stats(test, &before);
	bs_test_free(test, blk[0]);
	bs_test_free(test, blk[1]);		/* merges with A on its left */
	bs_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.counters[BS_FIT_MERGES],
			before.counters[BS_FIT_MERGES] + 1);
	KUNIT_EXPECT_EQ(test, after.nr_free, 2);
	/* One block of 320 at the start: first fit takes it whole. */
	blk[0] = bs_test_alloc(test, 320, 0, BS_FIT_BEST);
	KUNIT_EXPECT_PTR_EQ(test, blk[0] + 320, blk[2]);

	bs_test_free(test, blk[2]);
	bs_test_free(test, blk[0]);		/* merges with C on its right */
	bs_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.nr_free, 2);
	KUNIT_EXPECT_EQ(test, after.counters[BS_FIT_MERGES],
			before.counters[BS_FIT_MERGES] + 2);
	bs_test_free(test, blk[3]);
}

/* Freeing B between free A and free C merges all three. */
static void bs_fit_test_merge_both(struct kunit *test)
{
	struct bs_fit_stats before, after;
	u8 *blk[4];

	bs_test_four(test, blk);
	bs_test_free(test, blk[0]);
	bs_test_free(test, blk[2]);
	bs_test_stats(test, &before);
	KUNIT_EXPECT_EQ(test, before.nr_free, 3);
	bs_test_free(test, blk[1]);
	bs_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.nr_free, 2);
	KUNIT_EXPECT_EQ(test, after.counters[BS_FIT_MERGES],
			before.counters[BS_FIT_MERGES] + 2);
	KUNIT_EXPECT_EQ(test, after.free_bytes, before.free_bytes + 160);
	blk[0] = bs_test_alloc(test, 480, 0, BS_FIT_BEST);
	KUNIT_EXPECT_PTR_EQ(test, blk[0] + 480, blk[3]);
	bs_test_free(test, blk[0]);
	bs_test_free(test, blk[3]);
}

/*
 * Next fit goes on from where its last allocation ended, even when that
 * memory merges on free: holes of 256 bytes at 0 and 512 at 272; next fit
 * of 300 takes 272 and leaves the rover on the 208 bytes after it; freed,
 * it merges back into the 512, and the next search starts there, not at
 * the block after it (which made next fit behave as first fit).
 */
static void bs_fit_test_next_fit_rover_survives_merge(struct kunit *test)
{
	static const unsigned int sizes[] = { 256, 16, 512, 64 };
	u8 *blk[ARRAY_SIZE(sizes)], *mem;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		blk[i] = bs_test_alloc(test, sizes[i], 0, BS_FIT_FIRST);
	bs_test_free(test, blk[0]);
	bs_test_free(test, blk[2]);

	mem = bs_test_alloc(test, 300, 0, BS_FIT_NEXT);
	KUNIT_EXPECT_EQ(test, mem - blk[0], 272);
	bs_test_free(test, mem);
	KUNIT_EXPECT_EQ(test, bs_fit_validate(bs_test_fit(test)), 0);
	mem = bs_test_alloc(test, 64, 0, BS_FIT_NEXT);
	KUNIT_EXPECT_EQ(test, mem - blk[0], 272);
	/* First fit, for contrast, takes the hole at the start. */
	blk[0] = bs_test_alloc(test, 64, 0, BS_FIT_FIRST);
	KUNIT_EXPECT_EQ(test, blk[0] - blk[1], -256);

	bs_test_free(test, mem);
	bs_test_free(test, blk[0]);
	bs_test_free(test, blk[1]);
	bs_test_free(test, blk[3]);
}

/* Arenas come from the buddy when needed and go back when empty. */
static void bs_fit_test_arenas_come_and_go(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	const unsigned long total = bs_buddy_total_pages(buddy);
	struct bs_fit_stats stats;
	u8 *a, *b, *c;

	a = bs_test_alloc(test, 100, 0, BS_FIT_FIRST);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 1);
	bs_buddy_drain(buddy);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total - BS_ARENA_PAGES);

	/* Too big for what is left of the first: a second arena. */
	b = bs_test_alloc(test, BS_ARENA_BYTES - 64, 0, BS_FIT_FIRST);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 2);
	/* Nothing fits any more: refused, and counted. */
	KUNIT_EXPECT_NULL(test, bs_fit_alloc(bs_test_fit(test), BS_ARENA_BYTES,
					     0, BS_FIT_BEST, &(size_t){ 0 }));
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.policy_counters[BS_FIT_BEST][BS_FIT_FAILS], 1);

	bs_test_free(test, a);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 1);
	c = bs_test_alloc(test, 16, 0, BS_FIT_WORST);
	bs_test_free(test, b);
	bs_test_free(test, c);
	bs_test_stats(test, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
	KUNIT_EXPECT_EQ(test, stats.counters[BS_FIT_ARENAS_GIVEN],
			stats.counters[BS_FIT_ARENAS_TAKEN]);
	bs_buddy_drain(buddy);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(buddy), total);
}

static void bs_fit_test_bad_requests(struct kunit *test)
{
	struct bs_fit *fit = bs_test_fit(test);
	size_t granted;

	KUNIT_EXPECT_NULL(test, bs_fit_alloc(fit, 0, 0, BS_FIT_FIRST, &granted));
	KUNIT_EXPECT_NULL(test, bs_fit_alloc(fit, BS_ARENA_BYTES + 1, 0,
					     BS_FIT_FIRST, &granted));
	KUNIT_EXPECT_NULL(test, bs_fit_alloc(fit, 64, 0, BS_FIT_NR_POLICIES,
					     &granted));
	KUNIT_EXPECT_NULL(test, bs_fit_alloc(fit, 64, 24, BS_FIT_FIRST, &granted));
	KUNIT_EXPECT_NULL(test, bs_fit_alloc(fit, 64, 2 * BS_ARENA_BYTES,
					     BS_FIT_FIRST, &granted));
}

/* Only the start of an allocated block may be freed, once. */
static void bs_fit_test_bad_frees(struct kunit *test)
{
	struct bs_buddy *buddy = &bs_test(test)->buddy;
	struct bs_fit *fit = bs_test_fit(test);
	struct bs_fit_stats before, after;
	unsigned long pgoff;
	u8 *mem, *other, *foreign;

	mem = bs_test_alloc(test, 256, 0, BS_FIT_FIRST);
	other = bs_test_alloc(test, 256, 0, BS_FIT_FIRST);
	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_EQ(test, bs_buddy_alloc(buddy, 0, BS_BUDDY_TAG_DIRECT, &pgoff), 0);
	bs_test_stats(test, &before);

	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, mem + 16), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, mem + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, other + 256), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, foreign), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, bs_buddy_addr(buddy, pgoff)), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, NULL), -EINVAL);
	bs_test_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.counters[BS_FIT_FREES_REFUSED],
			before.counters[BS_FIT_FREES_REFUSED] + 6);
	KUNIT_EXPECT_EQ(test, after.used_bytes, before.used_bytes);
	KUNIT_EXPECT_EQ(test, bs_fit_validate(fit), 0);

	bs_test_free(test, mem);
	KUNIT_EXPECT_EQ(test, bs_fit_free(fit, mem), -EINVAL);
	bs_test_free(test, other);
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, pgoff), 0);
}

/*
 * A small workload where first fit and best fit part ways: an arena filled
 * with A (160) B (32) C (96) D (32) and E (the rest), then A and C freed:
 * 160 free at 0 and 96 free at 192. A request of 96:
 *
 *   first fit takes 96 of the 160 at 0: 64 and 96 are left free, the
 *   largest 96 of 160: external fragmentation 1 - 96/160 = 0.400, and a
 *   request of 144 needs a new arena;
 *
 *   best fit takes the 96 at 192 exactly: 160 is left, whole:
 *   fragmentation 0, and the 144 fits in the first arena.
 */
static void bs_fit_test_first_vs_best(struct kunit *test)
{
	static const enum bs_fit_policy policies[] = { BS_FIT_FIRST, BS_FIT_BEST };
	static const unsigned int extfrag[] = { 400, 0 };
	static const unsigned long arenas[] = { 2, 1 };
	const unsigned int sizes[] = { 160, 32, 96, 32,
				       BS_ARENA_BYTES - 320 };
	struct bs_fit_stats stats;
	u8 *blk[5], *req, *more;
	unsigned int p, i;

	for (p = 0; p < ARRAY_SIZE(policies); p++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			blk[i] = bs_test_alloc(test, sizes[i], 0, BS_FIT_FIRST);
		bs_test_free(test, blk[0]);
		bs_test_free(test, blk[2]);

		req = bs_test_alloc(test, 96, 0, policies[p]);
		bs_test_stats(test, &stats);
		KUNIT_EXPECT_EQ(test, stats.free_bytes, 160);
		KUNIT_EXPECT_EQ(test, stats.extfrag, extfrag[p]);
		more = bs_test_alloc(test, 144, 0, policies[p]);
		bs_test_stats(test, &stats);
		KUNIT_EXPECT_EQ_MSG(test, stats.nr_arenas, arenas[p], "%s fit",
				    bs_fit_policy_names[policies[p]]);

		bs_test_free(test, more);
		bs_test_free(test, req);
		for (i = 1; i < ARRAY_SIZE(sizes); i += 2)
			bs_test_free(test, blk[i]);
		bs_test_free(test, blk[4]);
	}
}

/* The checker must see damage to the metadata. */
static void bs_fit_test_validate_detects_corruption(struct kunit *test)
{
	struct bs_fit *fit = bs_test_fit(test);
	u8 *mem = bs_test_alloc(test, 64, 0, BS_FIT_FIRST);

	mutex_lock(&fit->lock);
	fit->free_bytes += BS_FIT_GRAIN;
	mutex_unlock(&fit->lock);
	KUNIT_EXPECT_EQ(test, bs_fit_validate(fit), -EUCLEAN);
	mutex_lock(&fit->lock);
	fit->free_bytes -= BS_FIT_GRAIN;
	mutex_unlock(&fit->lock);
	KUNIT_EXPECT_EQ(test, bs_fit_validate(fit), 0);
	bs_test_free(test, mem);
}

struct bs_fit_stress {
	struct bs_test_stress stress;
	enum bs_fit_policy policy;
};

static const struct bs_test_pick bs_stress_policies[] = {
	{ BS_FIT_FIRST }, { BS_FIT_NEXT }, { BS_FIT_BEST }, { BS_FIT_WORST },
};

static void bs_stress_policy_desc(const struct bs_test_pick *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s fit", bs_fit_policy_names[p->policy]);
}

KUNIT_ARRAY_PARAM(bs_stress_policy, bs_stress_policies, bs_stress_policy_desc);

/* 16 B to 64 KiB, log-uniform; one in eight aligned to 64 B to 4 KiB. */
static int bs_fit_stress_alloc(struct bs_test_stress *stress,
			       struct bs_test_stress_slot *slot,
			       struct rnd_state *rnd)
{
	struct bs_fit_stress *fs = container_of(stress, struct bs_fit_stress, stress);
	size_t granted;

	slot->size = 16UL << (prandom_u32_state(rnd) % 12);
	slot->size += prandom_u32_state(rnd) % slot->size;
	slot->align = prandom_u32_state(rnd) % 8 ? 0 :
		      64UL << (prandom_u32_state(rnd) % 7);
	slot->mem = bs_fit_alloc(&stress->mem->fit, slot->size, slot->align,
				 fs->policy, &granted);
	return slot->mem ? 0 : -ENOMEM;
}

static int bs_fit_stress_free(struct bs_test_stress *stress,
			      struct bs_test_stress_slot *slot)
{
	return bs_fit_free(&stress->mem->fit, slot->mem);
}

/*
 * A seeded random mix of allocations and frees with one policy, the fit
 * and buddy checkers run as it goes.
 */
static void bs_fit_test_random_stress(struct kunit *test)
{
	const enum bs_fit_policy policy =
		((const struct bs_test_pick *)test->param_value)->policy;
	struct bs_fit_stress fs = {
		.stress = {
			.test = test,
			.mem = bs_test(test),
			.nr_slots = 256,
			.nomem_ok = true,
			.alloc = bs_fit_stress_alloc,
			.free = bs_fit_stress_free,
		},
		.policy = policy,
	};

	bs_test_stress_run(&fs.stress, 0xf17 + policy);
}

static struct kunit_case bs_fit_test_cases[] = {
	KUNIT_CASE_PARAM(bs_fit_test_policy_picks, bs_test_pick_gen_params),
	KUNIT_CASE(bs_fit_test_merge_left_and_right),
	KUNIT_CASE(bs_fit_test_merge_both),
	KUNIT_CASE(bs_fit_test_next_fit_rover_survives_merge),
	KUNIT_CASE(bs_fit_test_arenas_come_and_go),
	KUNIT_CASE(bs_fit_test_bad_requests),
	KUNIT_CASE(bs_fit_test_bad_frees),
	KUNIT_CASE(bs_fit_test_first_vs_best),
	KUNIT_CASE(bs_fit_test_validate_detects_corruption),
	KUNIT_CASE_PARAM_ATTR(bs_fit_test_random_stress,
			      bs_stress_policy_gen_params, { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite bs_fit_test_suite = {
	.name = "buddyslab_fit",
	.init = bs_fit_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_fit_test_cases,
};

kunit_test_suite(bs_fit_test_suite);
