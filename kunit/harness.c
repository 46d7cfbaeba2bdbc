// SPDX-License-Identifier: GPL-2.0
/*
 * The fixture every buddyslab KUnit suite shares (harness.h says what it
 * is for).
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "harness.h"

/**
 * bs_test_memory_init() - a region and a buddy allocator over it
 * @mem:	where to set them up, zeroed
 * @nr_arenas:	the region's size in arenas
 *
 * Return: 0, or the error of the region or of the buddy; nothing is left
 * set up then.
 */
int bs_test_memory_init(struct bs_test_memory *mem, unsigned int nr_arenas)
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

/**
 * bs_test_memory_add_slab() - a slab allocator over the buddy of @mem
 * @mem:	set up by bs_test_memory_init()
 * @class_flags: the flags of its size classes (BS_SLAB_REDZONE, ...)
 *
 * Return: 0, or the error of bs_slab_init().
 */
int bs_test_memory_add_slab(struct bs_test_memory *mem, unsigned int class_flags)
{
	int ret = bs_slab_init(&mem->slab, &mem->buddy, class_flags);

	mem->slab_up = !ret;
	return ret;
}

/**
 * bs_test_memory_add_fit() - the fit allocators over the buddy of @mem
 * @mem:	set up by bs_test_memory_init()
 */
void bs_test_memory_add_fit(struct bs_test_memory *mem)
{
	bs_fit_init(&mem->fit, &mem->buddy);
	mem->fit_up = true;
}

/**
 * bs_test_memory_exit() - check and tear down the memory of a case
 * @test:	the case, which fails unless the allocators' invariants hold,
 *		the fit allocators hold no arena and every page is free again
 * @mem:	what bs_test_memory_init() and the adds set up
 */
void bs_test_memory_exit(struct kunit *test, struct bs_test_memory *mem)
{
	struct bs_fit_stats stats;

	if (mem->fit_up) {
		KUNIT_EXPECT_EQ(test, bs_fit_validate(&mem->fit), 0);
		bs_fit_stats(&mem->fit, &stats);
		KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
		bs_fit_fini(&mem->fit);
		mem->fit_up = false;
	}
	if (mem->slab_up) {
		KUNIT_EXPECT_EQ(test, bs_slab_validate(&mem->slab), 0);
		bs_slab_fini(&mem->slab);
		mem->slab_up = false;
	}
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(&mem->buddy), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&mem->buddy),
			bs_buddy_total_pages(&mem->buddy));
	bs_buddy_fini(&mem->buddy);
	bs_region_fini(&mem->region);
}

/**
 * bs_test_init() - a suite's init: the case's memory, in test->priv
 * @test:	the case
 * @allocators:	BS_TEST_SLAB and BS_TEST_FIT, for those over the buddy
 *
 * Return: 0, or the error of what could not be set up.
 */
int bs_test_init(struct kunit *test, unsigned int allocators)
{
	struct bs_test_memory *mem;
	int ret;

	mem = kunit_kzalloc(test, sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	ret = bs_test_memory_init(mem, BS_TEST_ARENAS);
	if (ret)
		return ret;
	if (allocators & BS_TEST_SLAB) {
		ret = bs_test_memory_add_slab(mem, 0);
		if (ret) {
			bs_test_memory_exit(test, mem);
			return ret;
		}
	}
	if (allocators & BS_TEST_FIT)
		bs_test_memory_add_fit(mem);
	test->priv = mem;
	return 0;
}

/**
 * bs_test_exit() - the exit of a suite whose init is bs_test_init()
 * @test:	the case; see bs_test_memory_exit()
 */
void bs_test_exit(struct kunit *test)
{
	if (test->priv)
		bs_test_memory_exit(test, test->priv);
}
