// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the buddyslab region: sizes are checked before anything is
 * taken, and a region is whole, aligned and writable when it is there.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "region.h"

static void bs_region_test_bad_sizes(struct kunit *test)
{
	const u64 bad[] = {
		0,
		1,
		BS_ARENA_BYTES - 1,
		BS_ARENA_BYTES + PAGE_SIZE,
		round_down(U64_MAX, BS_ARENA_BYTES),
	};
	struct bs_region region = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_EQ_MSG(test, bs_region_init(&region, bad[i]),
				    -EINVAL, "size %llu", bad[i]);
		KUNIT_EXPECT_NULL(test, region.chunks);
		KUNIT_EXPECT_EQ(test, region.nr_chunks, 0);
	}
}

static void bs_region_test_chunks(struct kunit *test)
{
	struct bs_region region = {};
	unsigned int i, j;

	KUNIT_ASSERT_EQ(test, bs_region_init(&region, 3 * BS_ARENA_BYTES), 0);
	KUNIT_EXPECT_EQ(test, region.nr_chunks, 3);
	KUNIT_EXPECT_EQ(test, bs_region_bytes(&region), 3 * BS_ARENA_BYTES);

	for (i = 0; i < region.nr_chunks; i++) {
		u8 *addr = bs_region_chunk_addr(&region, i);

		/* Natural alignment is what lets a chunk be a buddy arena. */
		KUNIT_EXPECT_EQ(test, page_to_pfn(region.chunks[i]) &
				((1UL << BS_ARENA_ORDER) - 1), 0);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_PTR_NE(test, region.chunks[i], region.chunks[j]);
		memset(addr, i + 1, BS_ARENA_BYTES);
		KUNIT_EXPECT_EQ(test, addr[0], i + 1);
		KUNIT_EXPECT_EQ(test, addr[BS_ARENA_BYTES - 1], i + 1);
	}
	bs_region_fini(&region);
	KUNIT_EXPECT_NULL(test, region.chunks);
	KUNIT_EXPECT_EQ(test, region.nr_chunks, 0);
}

static struct kunit_case bs_region_test_cases[] = {
	KUNIT_CASE(bs_region_test_bad_sizes),
	KUNIT_CASE(bs_region_test_chunks),
	{}
};

static struct kunit_suite bs_region_test_suite = {
	.name = "buddyslab_region",
	.test_cases = bs_region_test_cases,
};

kunit_test_suite(bs_region_test_suite);
