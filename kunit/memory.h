/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory every buddyslab KUnit case runs on: a fresh region of a few
 * arenas and a buddy allocator over it, checked and torn down after the
 * case, so that a scenario that corrupts or leaks fails even if its own
 * expectations hold.
 */
#ifndef _BUDDYSLAB_KUNIT_MEMORY_H
#define _BUDDYSLAB_KUNIT_MEMORY_H

#include <kunit/test.h>

#include "buddy.h"

#define BS_TEST_ARENAS	2

struct bs_test_memory {
	struct bs_region region;
	struct bs_buddy buddy;
};

/* A region of @nr_arenas arenas (BS_TEST_ARENAS for most cases). */
static inline int bs_test_memory_init(struct bs_test_memory *mem,
				      unsigned int nr_arenas)
{
	int ret;

	ret = bs_region_init(&mem->region, (u64)nr_arenas * BS_ARENA_BYTES);
	if (ret)
		return ret;
	ret = bs_buddy_init(&mem->buddy, &mem->region);
	if (ret)
		bs_region_fini(&mem->region);
	return ret;
}

/* The buddy's invariants hold, and every page is free again. */
static inline void bs_test_memory_exit(struct kunit *test,
				       struct bs_test_memory *mem)
{
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(&mem->buddy), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&mem->buddy),
			bs_buddy_total_pages(&mem->buddy));
	bs_buddy_fini(&mem->buddy);
	bs_region_fini(&mem->region);
}

#endif /* _BUDDYSLAB_KUNIT_MEMORY_H */
