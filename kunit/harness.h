/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the buddyslab KUnit suites share, so that each says only what it
 * tests.
 *
 * The memory a case runs on: a fresh region of a few arenas, a buddy
 * allocator over it and, when the suite asks, the slab and fit allocators
 * over the buddy. After the case every checker of what is up runs, it is
 * all torn down and every page must be back with the buddy, so that a
 * scenario that corrupts or leaks fails even if its own expectations hold
 * (drm_buddy_test checks its invariants after every scenario the same way).
 */
#ifndef _BUDDYSLAB_KUNIT_HARNESS_H
#define _BUDDYSLAB_KUNIT_HARNESS_H

#include <kunit/test.h>

#include "buddy.h"
#include "fit.h"
#include "slab.h"

#define BS_TEST_ARENAS	2

/* The allocators bs_test_init() sets up over the buddy. */
#define BS_TEST_SLAB	BIT(0)
#define BS_TEST_FIT	BIT(1)

/**
 * struct bs_test_memory - the memory of a case and its allocators
 * @region:	the region, BS_TEST_ARENAS arenas for most cases
 * @buddy:	the buddy allocator over it
 * @slab:	a slab allocator over @buddy, if @slab_up
 * @fit:	the fit allocators over @buddy, if @fit_up
 * @slab_up:	@slab is set up, and is checked and torn down on exit
 * @fit_up:	@fit is set up, and is checked and torn down on exit
 */
struct bs_test_memory {
	struct bs_region region;
	struct bs_buddy buddy;
	struct bs_slab slab;
	struct bs_fit fit;
	bool slab_up;
	bool fit_up;
};

int bs_test_memory_init(struct bs_test_memory *mem, unsigned int nr_arenas);
int bs_test_memory_add_slab(struct bs_test_memory *mem, unsigned int class_flags);
void bs_test_memory_add_fit(struct bs_test_memory *mem);
void bs_test_memory_exit(struct kunit *test, struct bs_test_memory *mem);

int bs_test_init(struct kunit *test, unsigned int allocators);
void bs_test_exit(struct kunit *test);

/* The memory of the running case, in a suite whose init is bs_test_init(). */
static inline struct bs_test_memory *bs_test(struct kunit *test)
{
	return test->priv;
}

#endif /* _BUDDYSLAB_KUNIT_HARNESS_H */
