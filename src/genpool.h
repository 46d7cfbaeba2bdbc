/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab genpool: the API of the kernel's own bitmap allocator,
 * lib/genalloc.c, run as a buddyslab allocator over arenas from the buddy,
 * for the device above it. How it works is told in genpool.c.
 */
#ifndef _BUDDYSLAB_GENPOOL_H
#define _BUDDYSLAB_GENPOOL_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "buddy.h"

/* One bit of a genalloc bitmap: genalloc's min_alloc_order is 4. */
#define BS_GENPOOL_GRAIN	16

/**
 * bs_genpool_granted() - what an allocation of some size really reserves
 * @size:	bytes asked for
 *
 * Return: @size rounded up to BS_GENPOOL_GRAIN, a whole number of bits.
 */
static inline size_t bs_genpool_granted(size_t size)
{
	return ALIGN(size, BS_GENPOOL_GRAIN);
}

/* genalloc's own algorithms. */
enum bs_genpool_policy {
	BS_GENPOOL_FIRST,	/* gen_pool_first_fit: lowest address */
	BS_GENPOOL_BEST,	/* gen_pool_best_fit: smallest run, per arena */
	BS_GENPOOL_NR_POLICIES,
};

extern const char *const bs_genpool_policy_names[BS_GENPOOL_NR_POLICIES];

/* Counters kept per policy. */
enum bs_genpool_policy_counter {
	BS_GENPOOL_ALLOCS,	/* allocations */
	BS_GENPOOL_FAILS,	/* allocations refused: no memory */
	BS_GENPOOL_NR_POLICY_COUNTERS,
};

extern const char *const
bs_genpool_policy_counter_names[BS_GENPOOL_NR_POLICY_COUNTERS];

/* Counters of events. */
enum bs_genpool_counter {
	BS_GENPOOL_FREES,		/* frees */
	BS_GENPOOL_FREES_REFUSED,	/* frees of no allocation: refused */
	BS_GENPOOL_ARENAS_TAKEN,	/* arenas taken from the buddy */
	BS_GENPOOL_ARENAS_GIVEN,	/* arenas given back, entirely free */
	BS_GENPOOL_NR_COUNTERS,
};

extern const char *const bs_genpool_counter_names[BS_GENPOOL_NR_COUNTERS];

/**
 * struct bs_genpool - genalloc pools over arenas from the buddy
 * @buddy:		where arenas come from; immutable
 * @lock:		protects everything below, and every pool in @arenas
 *			(genalloc's own lock and atomics are then never
 *			contended)
 * @arenas:		buddy arena number -> its struct gen_pool, one chunk
 *			covering the arena; in address order. Changed under
 *			@lock; bs_genpool_owns() reads it under RCU
 * @allocs:		offset in the device's linear space / BS_GENPOOL_GRAIN
 *			-> the bytes asked for by the allocation starting
 *			there (xa_mk_value()), for every live allocation
 * @nr_arenas:		entries in @arenas
 * @used_bytes:		bytes granted to live allocations
 * @requested_bytes:	bytes asked for by them
 * @policy_counters:	per policy, enum bs_genpool_policy_counter
 * @counters:		enum bs_genpool_counter
 */
struct bs_genpool {
	struct bs_buddy *buddy;
	struct mutex lock;
	struct xarray arenas;
	struct xarray allocs;
	unsigned long nr_arenas;
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned long policy_counters[BS_GENPOOL_NR_POLICIES][BS_GENPOOL_NR_POLICY_COUNTERS];
	unsigned long counters[BS_GENPOOL_NR_COUNTERS];
};

/**
 * struct bs_genpool_stats - a snapshot of the genpool allocator
 * @nr_arenas:		arenas in use
 * @nr_free:		runs of free grains, each as long as it can be
 * @free_bytes:		bytes free in the arenas
 * @largest_free:	bytes in the longest run
 * @used_bytes:		bytes granted to live allocations
 * @requested_bytes:	bytes their users asked for
 * @extfrag:		external fragmentation, 1 - largest / free, in
 *			thousandths (0 when nothing is free): bs_arena_extfrag()
 * @policy_counters:	per policy, enum bs_genpool_policy_counter
 * @counters:		enum bs_genpool_counter
 */
struct bs_genpool_stats {
	unsigned long nr_arenas;
	unsigned long nr_free;
	unsigned long free_bytes;
	unsigned long largest_free;
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned int extfrag;
	unsigned long policy_counters[BS_GENPOOL_NR_POLICIES][BS_GENPOOL_NR_POLICY_COUNTERS];
	unsigned long counters[BS_GENPOOL_NR_COUNTERS];
};

void bs_genpool_init(struct bs_genpool *gp, struct bs_buddy *buddy);
void bs_genpool_fini(struct bs_genpool *gp);
void *bs_genpool_alloc(struct bs_genpool *gp, size_t size,
		       enum bs_genpool_policy policy, size_t *granted);
int bs_genpool_free(struct bs_genpool *gp, void *ptr);
void bs_genpool_stats(struct bs_genpool *gp, struct bs_genpool_stats *stats);
int bs_genpool_validate(struct bs_genpool *gp);
bool bs_genpool_owns(struct bs_genpool *gp, unsigned long pgoff);

#endif /* _BUDDYSLAB_GENPOOL_H */
