/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab fit: the API of the sequential-fit allocators (first, next,
 * best and worst fit) for the device above them. How they work is told in
 * fit.c; what their files share, in fit_internal.h.
 */
#ifndef _BUDDYSLAB_FIT_H
#define _BUDDYSLAB_FIT_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "buddy.h"

/* Allocations are multiples of this, aligned to at least it. */
#define BS_FIT_GRAIN		16

/**
 * bs_fit_granted() - what an allocation of some size really reserves
 * @size:	bytes asked for
 *
 * Return: @size rounded up to BS_FIT_GRAIN.
 */
static inline size_t bs_fit_granted(size_t size)
{
	return ALIGN(size, BS_FIT_GRAIN);
}

enum bs_fit_policy {
	BS_FIT_FIRST,		/* lowest address that fits */
	BS_FIT_NEXT,		/* first that fits from where the last ended */
	BS_FIT_BEST,		/* smallest that fits, lowest address on ties */
	BS_FIT_WORST,		/* largest */
	BS_FIT_NR_POLICIES,
};

extern const char *const bs_fit_policy_names[BS_FIT_NR_POLICIES];

/* Counters kept per policy. */
enum bs_fit_policy_counter {
	BS_FIT_ALLOCS,		/* allocations */
	BS_FIT_FAILS,		/* allocations refused: no memory */
	BS_FIT_NR_POLICY_COUNTERS,
};

extern const char *const bs_fit_policy_counter_names[BS_FIT_NR_POLICY_COUNTERS];

/* Counters of events. */
enum bs_fit_counter {
	BS_FIT_FREES,		/* frees */
	BS_FIT_FREES_REFUSED,	/* frees of no allocation: refused */
	BS_FIT_MERGES,		/* free neighbours merged */
	BS_FIT_ARENAS_TAKEN,	/* arenas taken from the buddy */
	BS_FIT_ARENAS_GIVEN,	/* arenas given back, entirely free */
	BS_FIT_NR_COUNTERS,
};

extern const char *const bs_fit_counter_names[BS_FIT_NR_COUNTERS];

struct bs_fit_block;

/**
 * struct bs_fit - sequential-fit allocators over arenas from the buddy
 * @buddy:		where arenas come from; immutable
 * @lock:		protects everything below, and every arena and block
 * @arenas:		struct bs_fit_arena, in the order they were taken
 * @arena_index:	buddy arena number -> struct bs_fit_arena
 * @free_list:		every free block, in address order (first and next fit)
 * @free_by_addr:	every free block by address, to insert in order
 * @free_by_size:	every free block by size then address (best and worst fit)
 * @rover:		the free block next fit starts from, or NULL
 * @nr_arenas:		length of @arenas
 * @nr_free:		free blocks
 * @free_bytes:		bytes in free blocks
 * @used_bytes:		bytes in allocated blocks
 * @requested_bytes:	bytes asked for by the allocated blocks' users
 * @policy_counters:	per policy, enum bs_fit_policy_counter
 * @counters:		enum bs_fit_counter
 */
struct bs_fit {
	struct bs_buddy *buddy;
	struct mutex lock;
	struct list_head arenas;
	struct xarray arena_index;
	struct list_head free_list;
	struct rb_root free_by_addr;
	struct rb_root free_by_size;
	struct bs_fit_block *rover;
	unsigned long nr_arenas;
	unsigned long nr_free;
	unsigned long free_bytes;
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned long policy_counters[BS_FIT_NR_POLICIES][BS_FIT_NR_POLICY_COUNTERS];
	unsigned long counters[BS_FIT_NR_COUNTERS];
};

/**
 * struct bs_fit_stats - a snapshot of the fit allocators
 * @nr_arenas:		arenas in use
 * @nr_free:		free blocks
 * @free_bytes:		bytes in free blocks
 * @largest_free:	bytes in the largest free block
 * @used_bytes:		bytes in allocated blocks
 * @requested_bytes:	bytes their users asked for
 * @extfrag:		external fragmentation, 1 - largest / free, in
 *			thousandths (0 when nothing is free): bs_arena_extfrag()
 * @policy_counters:	per policy, enum bs_fit_policy_counter
 * @counters:		enum bs_fit_counter
 */
struct bs_fit_stats {
	unsigned long nr_arenas;
	unsigned long nr_free;
	unsigned long free_bytes;
	unsigned long largest_free;
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned int extfrag;
	unsigned long policy_counters[BS_FIT_NR_POLICIES][BS_FIT_NR_POLICY_COUNTERS];
	unsigned long counters[BS_FIT_NR_COUNTERS];
};

void bs_fit_init(struct bs_fit *fit, struct bs_buddy *buddy);
void bs_fit_fini(struct bs_fit *fit);
void *bs_fit_alloc(struct bs_fit *fit, size_t size, size_t align,
		   enum bs_fit_policy policy, size_t *granted);
int bs_fit_free(struct bs_fit *fit, void *ptr);
void bs_fit_stats(struct bs_fit *fit, struct bs_fit_stats *stats);
int bs_fit_validate(struct bs_fit *fit);

#endif /* _BUDDYSLAB_FIT_H */
