/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab byte buddy, private: what byte_buddy.c and byte_buddy_check.c
 * share, the arena descriptor and the arithmetic of orders and bitmaps.
 * Nothing above the byte buddy includes it but its KUnit suite, which
 * damages an arena on purpose: byte_buddy.h is the API.
 */
#ifndef _BUDDYSLAB_BYTE_BUDDY_INTERNAL_H
#define _BUDDYSLAB_BYTE_BUDDY_INTERNAL_H

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "byte_buddy.h"

#define BS_BYTE_BUDDY_GRAIN_SHIFT	const_ilog2(BS_BYTE_BUDDY_GRAIN)
/* The order of a whole arena. */
#define BS_BYTE_BUDDY_TOP		(BS_BYTE_BUDDY_ORDERS - 1)

/**
 * struct bs_byte_buddy_arena - one page-buddy block managed as a byte buddy
 * @base:	kernel address of the arena
 * @pgoff:	its page-buddy block, of order BS_BUDDY_MAX_ORDER
 * @used:	offset / BS_BYTE_BUDDY_GRAIN -> the allocated block that
 *		starts there, as xa_mk_value(bytes its user asked for); its
 *		order follows from that size
 * @nr_free:	per order, the free blocks
 * @free_map:	per order, a bitmap with a bit per block of that order, set
 *		when a free block starts there
 * @summary:	per order, a bitmap with a bit per word of @free_map, set
 *		when that word is not zero
 * @words:	what @free_map and @summary point into
 */
struct bs_byte_buddy_arena {
	void *base;
	unsigned long pgoff;
	struct xarray used;
	unsigned long nr_free[BS_BYTE_BUDDY_ORDERS];
	unsigned long *free_map[BS_BYTE_BUDDY_ORDERS];
	unsigned long *summary[BS_BYTE_BUDDY_ORDERS];
	unsigned long words[];
};

/* Bytes in a block of @order. */
static inline unsigned long bs_byte_buddy_block_bytes(unsigned int order)
{
	return (unsigned long)BS_BYTE_BUDDY_GRAIN << order;
}

/* The order of the block that holds @size bytes. */
static inline unsigned int bs_byte_buddy_order(size_t size)
{
	return ilog2(bs_byte_buddy_granted(size)) - BS_BYTE_BUDDY_GRAIN_SHIFT;
}

/* Words of the free map of @order, a bit per block: the bits of its summary. */
static inline unsigned long bs_byte_buddy_map_words(unsigned int order)
{
	return BITS_TO_LONGS(1UL << (BS_BYTE_BUDDY_TOP - order));
}

/* The bit of the block of @order at @offset in its free map. */
static inline unsigned long bs_byte_buddy_bit(unsigned int order,
					      unsigned long offset)
{
	return offset >> (order + BS_BYTE_BUDDY_GRAIN_SHIFT);
}

/* Whether a free block of @order starts at @offset. */
static inline bool bs_byte_buddy_is_free(const struct bs_byte_buddy_arena *arena,
					 unsigned int order, unsigned long offset)
{
	return test_bit(bs_byte_buddy_bit(order, offset), arena->free_map[order]);
}

#endif /* _BUDDYSLAB_BYTE_BUDDY_INTERNAL_H */
