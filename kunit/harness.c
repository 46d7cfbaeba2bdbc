// SPDX-License-Identifier: GPL-2.0
/*
 * The fixture, the seeds, the stamps and the random stress every buddyslab
 * KUnit suite shares (harness.h says what each is for).
 *
 * A stress's operations all come from one PRNG, in a fixed order: the
 * slot, then what the suite's alloc draws. The same seed therefore replays
 * the same requests, whatever the allocator makes of them.
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "harness.h"

static unsigned int bs_test_seed_param;
module_param_named(kunit_seed, bs_test_seed_param, uint, 0444);
MODULE_PARM_DESC(kunit_seed,
		 "Seed of every random KUnit case (default 0: each case's own)");

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
 * bs_test_memory_add_genpool() - the genpool allocator over the buddy of @mem
 * @mem:	set up by bs_test_memory_init()
 */
void bs_test_memory_add_genpool(struct bs_test_memory *mem)
{
	bs_genpool_init(&mem->genpool, &mem->buddy);
	mem->genpool_up = true;
}

/**
 * bs_test_memory_add_byte_buddy() - the byte buddy over the buddy of @mem
 * @mem:	set up by bs_test_memory_init()
 */
void bs_test_memory_add_byte_buddy(struct bs_test_memory *mem)
{
	bs_byte_buddy_init(&mem->byte_buddy, &mem->buddy);
	mem->byte_buddy_up = true;
}

/**
 * bs_test_memory_validate() - run the checker of every allocator of @mem
 * @mem:	the memory of a case
 *
 * Return: 0 if every invariant holds, else the first checker's error.
 */
int bs_test_memory_validate(struct bs_test_memory *mem)
{
	int ret = bs_buddy_validate(&mem->buddy);

	if (!ret && mem->slab_up)
		ret = bs_slab_validate(&mem->slab);
	if (!ret && mem->fit_up)
		ret = bs_fit_validate(&mem->fit);
	if (!ret && mem->genpool_up)
		ret = bs_genpool_validate(&mem->genpool);
	if (!ret && mem->byte_buddy_up)
		ret = bs_byte_buddy_validate(&mem->byte_buddy);
	return ret;
}

/**
 * bs_test_memory_exit() - check and tear down the memory of a case
 * @test:	the case, which fails unless the allocators' invariants hold,
 *		the fit, genpool and byte buddy allocators hold no arena and
 *		every page is free again
 * @mem:	what bs_test_memory_init() and the adds set up
 */
void bs_test_memory_exit(struct kunit *test, struct bs_test_memory *mem)
{
	if (mem->byte_buddy_up) {
		struct bs_byte_buddy_stats stats;

		KUNIT_EXPECT_EQ(test, bs_byte_buddy_validate(&mem->byte_buddy), 0);
		bs_byte_buddy_stats(&mem->byte_buddy, &stats);
		KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
		KUNIT_EXPECT_EQ(test, stats.used_bytes, 0);
		bs_byte_buddy_fini(&mem->byte_buddy);
		mem->byte_buddy_up = false;
	}
	if (mem->genpool_up) {
		struct bs_genpool_stats stats;

		KUNIT_EXPECT_EQ(test, bs_genpool_validate(&mem->genpool), 0);
		bs_genpool_stats(&mem->genpool, &stats);
		KUNIT_EXPECT_EQ(test, stats.nr_arenas, 0);
		bs_genpool_fini(&mem->genpool);
		mem->genpool_up = false;
	}
	if (mem->fit_up) {
		struct bs_fit_stats stats;

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
 * @allocators:	BS_TEST_SLAB, BS_TEST_FIT, BS_TEST_GENPOOL and
 *		BS_TEST_BYTE_BUDDY, for those over the buddy
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
	if (allocators & BS_TEST_GENPOOL)
		bs_test_memory_add_genpool(mem);
	if (allocators & BS_TEST_BYTE_BUDDY)
		bs_test_memory_add_byte_buddy(mem);
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

/**
 * bs_test_seed() - the seed of a case's random numbers, printed
 * @test:	the case
 * @own:	the case's own seed, for when the kunit_seed parameter is 0
 *
 * Return: the kunit_seed parameter if set, else @own.
 */
u32 bs_test_seed(struct kunit *test, u32 own)
{
	u32 seed = bs_test_seed_param ?: own;

	kunit_info(test, "seed %u\n", seed);
	return seed;
}

/**
 * bs_test_stay_on_cpu() - keep the running case on the CPU it is on
 * @test:	the case
 *
 * For a case that counts on one CPU's magazines, cache or slab. Nothing to
 * undo: the case's thread ends with it.
 *
 * Return: the CPU.
 */
unsigned int bs_test_stay_on_cpu(struct kunit *test)
{
	unsigned int cpu = raw_smp_processor_id();

	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	return cpu;
}

/* The word of a stamp after the one at @off: @size after the last. */
static size_t bs_test_stamp_next(size_t off, size_t size)
{
	size_t last = size - sizeof(u64);

	if (off == last)
		return size;
	/* A page's word that would overlap the last word gives way to it. */
	if (off + PAGE_SIZE + sizeof(u64) > last)
		return last;
	return off + PAGE_SIZE;
}

/**
 * bs_test_stamp() - write an allocation's stamp over it
 * @mem:	the allocation
 * @size:	its length in bytes, at least 8
 * @tag:	what tells it from every other live allocation
 *
 * The stamp is the first word of every page-sized stretch of @mem,
 * counted from its start, and its last word, each @tag plus the index of
 * its stretch (so a tag that holds a page number stamps every page with
 * its own): another allocation written over any of them breaks it.
 */
void bs_test_stamp(void *mem, size_t size, u64 tag)
{
	size_t off;
	u64 word;

	for (off = 0; off < size; off = bs_test_stamp_next(off, size)) {
		word = tag + off / PAGE_SIZE;
		memcpy(mem + off, &word, sizeof(word));
	}
}

/**
 * bs_test_stamp_intact() - check the stamp bs_test_stamp() wrote
 * @test:	the case, which fails at the first word that changed
 * @mem:	the allocation
 * @size:	its length in bytes
 * @tag:	its tag
 *
 * Return: true if the stamp is intact.
 */
bool bs_test_stamp_intact(struct kunit *test, const void *mem, size_t size,
			  u64 tag)
{
	size_t off;
	u64 seen;

	for (off = 0; off < size; off = bs_test_stamp_next(off, size)) {
		memcpy(&seen, mem + off, sizeof(seen));
		if (seen != tag + off / PAGE_SIZE) {
			KUNIT_FAIL(test, "byte %zu of %zu overwritten: %#llx, not %#llx",
				   off, size, seen, tag + off / PAGE_SIZE);
			return false;
		}
	}
	return true;
}

/* Free the live allocation in @s, checking its stamp first. */
static bool bs_test_stress_free(struct bs_test_stress *stress,
				struct bs_test_stress_slot *s, unsigned long op)
{
	struct kunit *test = stress->test;
	int ret;

	if (!bs_test_stamp_intact(test, s->mem, s->size, s->tag)) {
		KUNIT_FAIL(test, "op %lu: a live allocation was written over", op);
		return false;
	}
	ret = stress->free(stress, s);
	if (ret) {
		KUNIT_FAIL(test, "op %lu: free of %zu bytes refused: %d", op,
			   s->size, ret);
		return false;
	}
	s->mem = NULL;
	return true;
}

/* Fill the empty @s and stamp it; its tag is the operation's number. */
static bool bs_test_stress_alloc(struct bs_test_stress *stress,
				 struct bs_test_stress_slot *s, unsigned long op,
				 struct rnd_state *rnd)
{
	struct kunit *test = stress->test;
	int ret;

	s->align = 0;
	ret = stress->alloc(stress, s, rnd);
	if (ret == -ENOMEM && stress->nomem_ok) {
		stress->nr_nomem++;
		return true;
	}
	if (ret) {
		KUNIT_FAIL(test, "op %lu: allocation of %zu bytes: %d", op,
			   s->size, ret);
		return false;
	}
	/* Never 0, which fresh memory may hold already. */
	s->tag = (u64)(op + 1) << 32;
	bs_test_stamp(s->mem, s->size, s->tag);
	stress->nr_allocs++;
	if (s->align && !IS_ALIGNED((unsigned long)s->mem, s->align)) {
		KUNIT_FAIL(test, "op %lu: %zu bytes not aligned to %zu", op,
			   s->size, s->align);
		return false;
	}
	return true;
}

/**
 * bs_test_stress_run() - run a random stress to its end or first failure
 * @stress:	what to run, its counts zeroed
 * @seed:	the case's own seed (bs_test_seed())
 *
 * BS_TEST_STRESS_OPS operations, each on a slot drawn at random: a live
 * one is checked and freed, an empty one filled. Whatever is live at the
 * end is checked and freed too.
 */
void bs_test_stress_run(struct bs_test_stress *stress, u32 seed)
{
	struct kunit *test = stress->test;
	struct bs_test_stress_slot *slots, *s;
	struct rnd_state rnd;
	unsigned long op;
	unsigned int i;
	bool ok;

	slots = kunit_kcalloc(test, stress->nr_slots, sizeof(*slots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, slots);
	prandom_seed_state(&rnd, bs_test_seed(test, seed));

	for (op = 0; op < BS_TEST_STRESS_OPS; op++) {
		s = &slots[prandom_u32_state(&rnd) % stress->nr_slots];
		ok = s->mem ? bs_test_stress_free(stress, s, op) :
			      bs_test_stress_alloc(stress, s, op, &rnd);
		if (!ok)
			break;
		if ((op + 1) % BS_TEST_STRESS_CHECK_EVERY == 0 &&
		    bs_test_memory_validate(stress->mem)) {
			KUNIT_FAIL(test, "invariants broken after op %lu", op);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, op, BS_TEST_STRESS_OPS);
	kunit_info(test, "%lu operations: %lu allocations, %lu refused for lack of memory\n",
		   op, stress->nr_allocs, stress->nr_nomem);

	for (i = 0; i < stress->nr_slots; i++) {
		s = &slots[i];
		if (!s->mem)
			continue;
		bs_test_stamp_intact(test, s->mem, s->size, s->tag);
		KUNIT_EXPECT_EQ_MSG(test, stress->free(stress, s), 0, "slot %u", i);
	}
}
