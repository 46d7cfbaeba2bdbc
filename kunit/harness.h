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
 *
 * Seeds: a case that draws random numbers takes its seed from
 * bs_test_seed(), which prints it; the module parameter kunit_seed
 * replaces every case's own, so a failing run can be replayed.
 *
 * The random stress: a seeded mix of allocations and frees over a table of
 * slots, every allocation stamped when made and checked before it is
 * freed, and every checker run every BS_TEST_STRESS_CHECK_EVERY
 * operations. The suite says only how to allocate and how to free.
 */
#ifndef _BUDDYSLAB_KUNIT_HARNESS_H
#define _BUDDYSLAB_KUNIT_HARNESS_H

#include <kunit/test.h>
#include <linux/prandom.h>

#include "buddy.h"
#include "byte_buddy.h"
#include "fit.h"
#include "genpool.h"
#include "slab.h"

#define BS_TEST_ARENAS	2

/* The allocators bs_test_init() sets up over the buddy. */
#define BS_TEST_SLAB	BIT(0)
#define BS_TEST_FIT	BIT(1)
#define BS_TEST_GENPOOL	BIT(2)
#define BS_TEST_BYTE_BUDDY BIT(3)

/**
 * struct bs_test_memory - the memory of a case and its allocators
 * @region:	the region, BS_TEST_ARENAS arenas for most cases
 * @buddy:	the buddy allocator over it
 * @slab:	a slab allocator over @buddy, if @slab_up
 * @fit:	the fit allocators over @buddy, if @fit_up
 * @genpool:	the genpool allocator over @buddy, if @genpool_up
 * @byte_buddy:	the byte buddy over @buddy, if @byte_buddy_up
 * @slab_up:	@slab is set up, and is checked and torn down on exit
 * @fit_up:	@fit is set up, and is checked and torn down on exit
 * @genpool_up:	@genpool is set up, and is checked and torn down on exit
 * @byte_buddy_up: @byte_buddy is set up, and is checked and torn down on
 *		exit
 */
struct bs_test_memory {
	struct bs_region region;
	struct bs_buddy buddy;
	struct bs_slab slab;
	struct bs_fit fit;
	struct bs_genpool genpool;
	struct bs_byte_buddy byte_buddy;
	bool slab_up;
	bool fit_up;
	bool genpool_up;
	bool byte_buddy_up;
};

int bs_test_memory_init(struct bs_test_memory *mem, unsigned int nr_arenas);
int bs_test_memory_add_slab(struct bs_test_memory *mem, unsigned int class_flags);
void bs_test_memory_add_fit(struct bs_test_memory *mem);
void bs_test_memory_add_genpool(struct bs_test_memory *mem);
void bs_test_memory_add_byte_buddy(struct bs_test_memory *mem);
int bs_test_memory_validate(struct bs_test_memory *mem);
void bs_test_memory_exit(struct kunit *test, struct bs_test_memory *mem);

int bs_test_init(struct kunit *test, unsigned int allocators);
void bs_test_exit(struct kunit *test);

/* The memory of the running case, in a suite whose init is bs_test_init(). */
static inline struct bs_test_memory *bs_test(struct kunit *test)
{
	return test->priv;
}

u32 bs_test_seed(struct kunit *test, u32 own);
unsigned int bs_test_stay_on_cpu(struct kunit *test);

void bs_test_stamp(void *mem, size_t size, u64 tag);
bool bs_test_stamp_intact(struct kunit *test, const void *mem, size_t size,
			  u64 tag);

#define BS_TEST_STRESS_OPS		1000000
#define BS_TEST_STRESS_CHECK_EVERY	10000

/**
 * struct bs_test_stress_slot - one allocation of a random stress
 * @mem:	the allocation; NULL while the slot is empty
 * @size:	its length in bytes, all of it the allocation's own
 * @align:	what @mem must be aligned to; 0 for no more than usual
 * @handle:	what freeing it takes besides @mem: a page offset, a cache
 * @tag:	its stamp (bs_test_stamp())
 */
struct bs_test_stress_slot {
	void *mem;
	size_t size;
	size_t align;
	unsigned long handle;
	u64 tag;
};

/**
 * struct bs_test_stress - a random stress of one allocator
 * @test:	the case
 * @mem:	its memory: every checker of it runs during the stress
 * @nr_slots:	how many allocations may be live at once
 * @nomem_ok:	an allocation refused for lack of memory is counted, not
 *		a failure
 * @alloc:	fill the empty @slot, drawing what it needs from @rnd; sets
 *		@slot->size (and @slot->align) first, @slot->mem only if it
 *		succeeds. Return: 0, or the allocator's error.
 * @free:	free @slot's allocation. Return: 0, or the allocator's error.
 * @nr_allocs:	allocations made, once bs_test_stress_run() returns
 * @nr_nomem:	allocations refused for lack of memory
 *
 * A suite that needs more (a policy, its caches) embeds this in its own
 * structure and finds it with container_of().
 */
struct bs_test_stress {
	struct kunit *test;
	struct bs_test_memory *mem;
	unsigned int nr_slots;
	bool nomem_ok;
	int (*alloc)(struct bs_test_stress *stress,
		     struct bs_test_stress_slot *slot, struct rnd_state *rnd);
	int (*free)(struct bs_test_stress *stress,
		    struct bs_test_stress_slot *slot);
	unsigned long nr_allocs;
	unsigned long nr_nomem;
};

void bs_test_stress_run(struct bs_test_stress *stress, u32 seed);

#endif /* _BUDDYSLAB_KUNIT_HARNESS_H */
