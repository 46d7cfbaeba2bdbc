/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab byte buddy: the API of Knuth's binary buddy system at the fit
 * allocators' 16-byte grain, inside arenas taken from the page buddy, for
 * the device above it. How it works is told in byte_buddy.c; what its
 * files share, in byte_buddy_internal.h.
 */
#ifndef _BUDDYSLAB_BYTE_BUDDY_H
#define _BUDDYSLAB_BYTE_BUDDY_H

#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "buddy.h"

/* The smallest block, order 0; the fit allocators' grain too. */
#define BS_BYTE_BUDDY_GRAIN	16

/* Orders 0 (BS_BYTE_BUDDY_GRAIN bytes) to a whole arena. */
#define BS_BYTE_BUDDY_ORDERS	(const_ilog2(BS_ARENA_BYTES / BS_BYTE_BUDDY_GRAIN) + 1)

/**
 * bs_byte_buddy_granted() - what an allocation of some size really reserves
 * @size:	bytes asked for, 1 to BS_ARENA_BYTES
 *
 * Return: the bytes of the smallest block that holds @size: @size rounded
 * up to a power of two, at least BS_BYTE_BUDDY_GRAIN.
 */
static inline size_t bs_byte_buddy_granted(size_t size)
{
	return roundup_pow_of_two(max_t(size_t, size, BS_BYTE_BUDDY_GRAIN));
}

/* Counters of events. */
enum bs_byte_buddy_counter {
	BS_BYTE_BUDDY_ALLOCS,		/* allocations */
	BS_BYTE_BUDDY_FAILS,		/* allocations refused: no memory */
	BS_BYTE_BUDDY_FREES,		/* frees */
	BS_BYTE_BUDDY_FREES_REFUSED,	/* frees of no allocation: refused */
	BS_BYTE_BUDDY_SPLITS,		/* blocks split in two */
	BS_BYTE_BUDDY_MERGES,		/* buddy pairs merged */
	BS_BYTE_BUDDY_ARENAS_TAKEN,	/* arenas taken from the page buddy */
	BS_BYTE_BUDDY_ARENAS_GIVEN,	/* arenas given back, entirely free */
	BS_BYTE_BUDDY_NR_COUNTERS,
};

extern const char *const bs_byte_buddy_counter_names[BS_BYTE_BUDDY_NR_COUNTERS];

struct bs_byte_buddy_arena;

/**
 * struct bs_byte_buddy - a binary buddy allocator of bytes over page-buddy
 * arenas
 * @buddy:		where arenas come from; immutable
 * @lock:		protects everything below and every arena
 * @arenas:		arena number (pgoff / BS_ARENA_PAGES) -> struct
 *			bs_byte_buddy_arena, so in address order
 * @nr_arenas:		arenas in @arenas
 * @nr_free:		per order, free blocks in all arenas
 * @used_bytes:		bytes in allocated blocks
 * @requested_bytes:	bytes asked for by the allocated blocks' users
 * @counters:		enum bs_byte_buddy_counter
 */
struct bs_byte_buddy {
	struct bs_buddy *buddy;
	struct mutex lock;
	struct xarray arenas;
	unsigned long nr_arenas;
	unsigned long nr_free[BS_BYTE_BUDDY_ORDERS];
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned long counters[BS_BYTE_BUDDY_NR_COUNTERS];
};

/**
 * struct bs_byte_buddy_stats - a snapshot of the byte buddy
 * @nr_arenas:		arenas in use
 * @nr_free:		free blocks
 * @free_bytes:		bytes in free blocks
 * @largest_free:	bytes in the largest free block
 * @used_bytes:		bytes in allocated blocks
 * @requested_bytes:	bytes their users asked for
 * @extfrag:		external fragmentation, 1 - largest / free, in
 *			thousandths (0 when nothing is free): bs_arena_extfrag()
 * @nr_free_order:	free blocks per order
 * @counters:		enum bs_byte_buddy_counter
 */
struct bs_byte_buddy_stats {
	unsigned long nr_arenas;
	unsigned long nr_free;
	unsigned long free_bytes;
	unsigned long largest_free;
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned int extfrag;
	unsigned long nr_free_order[BS_BYTE_BUDDY_ORDERS];
	unsigned long counters[BS_BYTE_BUDDY_NR_COUNTERS];
};

void bs_byte_buddy_init(struct bs_byte_buddy *bb, struct bs_buddy *buddy);
void bs_byte_buddy_fini(struct bs_byte_buddy *bb);
void *bs_byte_buddy_alloc(struct bs_byte_buddy *bb, size_t size,
			  size_t *granted);
int bs_byte_buddy_free(struct bs_byte_buddy *bb, void *ptr);
void bs_byte_buddy_stats(struct bs_byte_buddy *bb,
			 struct bs_byte_buddy_stats *stats);
int bs_byte_buddy_validate(struct bs_byte_buddy *bb);
bool bs_byte_buddy_owns(struct bs_byte_buddy *bb, unsigned long pgoff);

#endif /* _BUDDYSLAB_BYTE_BUDDY_H */
