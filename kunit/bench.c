// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab benchmarks as a KUnit suite: every part of the benchmark
 * (bench_core.c) is one parameter of one case, so that each has KUnit's
 * time limit to itself; a part fails only if what it needed could not be
 * had. Built into the benchmark kernels (CONFIG_BUDDYSLAB_BENCH), which
 * have no debugging options: UML for the single-CPU costs, x86_64 in QEMU
 * with two CPUs for the rest (scripts/bench.sh, make bench).
 */
#include <kunit/test.h>

#include "bench.h"

static const void *bs_bench_next_part(const void *prev, char *desc)
{
	const struct bs_bench_part *part = prev;

	part = part ? part + 1 : bs_bench_parts;
	if (part == bs_bench_parts + bs_bench_nr_parts)
		return NULL;
	strscpy(desc, part->name, KUNIT_PARAM_DESC_SIZE);
	return part;
}

static void bs_bench_run(struct kunit *test)
{
	const struct bs_bench_part *part = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, part->run(), 0, "%s: could not be measured",
			    part->name);
}

static struct kunit_case bs_bench_cases[] = {
	KUNIT_CASE_PARAM_ATTR(bs_bench_run, bs_bench_next_part,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite bs_bench_suite = {
	.name = "buddyslab_bench",
	.test_cases = bs_bench_cases,
};

kunit_test_suite(bs_bench_suite);
