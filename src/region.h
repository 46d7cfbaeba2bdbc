/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab region: the physical memory, taken from the page allocator as
 * arenas, and the arena, the unit of size every layer above shares. How
 * it is taken is told in region.c.
 */
#ifndef _BUDDYSLAB_REGION_H
#define _BUDDYSLAB_REGION_H

#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/types.h>

#include "compat.h"

/*
 * An arena: the largest block alloc_pages() gives (order 10, 4 MiB, on
 * x86-64), and the one unit of size every layer shares. The region is taken
 * as arenas (its chunks), the buddy manages each as one tree, a fit arena is
 * one buddy block of it, and nothing larger is ever allocated.
 */
#define BS_ARENA_ORDER	BS_MAX_PAGE_ORDER
#define BS_ARENA_PAGES	(1UL << BS_ARENA_ORDER)
#define BS_ARENA_BYTES	(PAGE_SIZE << BS_ARENA_ORDER)

/**
 * bs_arena_extfrag() - external fragmentation of the free bytes in arenas
 * @largest_free:	bytes in the largest free block
 * @free_bytes:		bytes free in all blocks together
 *
 * The figure every byte-grain allocator (fit, genpool, byte buddy)
 * reports, one formula so that they compare: 1 - @largest_free /
 * @free_bytes, the share of the free bytes outside the largest free block,
 * which no one request can have together with it.
 *
 * Return: the fragmentation in thousandths, 0 (one free block) to nearly
 * 1000 (many small ones); 0 when nothing is free.
 */
static inline unsigned int bs_arena_extfrag(unsigned long largest_free,
					    unsigned long free_bytes)
{
	if (!free_bytes)
		return 0;
	return 1000 - div64_ul(largest_free * 1000ULL, free_bytes);
}

/**
 * struct bs_region - the physical memory buddyslab manages
 * @chunks:	first page of each chunk; chunk i is arena i
 * @nr_chunks:	number of chunks
 *
 * Immutable between bs_region_init() and bs_region_fini(): needs no lock.
 */
struct bs_region {
	struct page **chunks;
	unsigned int nr_chunks;
};

int bs_region_init(struct bs_region *region, u64 bytes);
void bs_region_fini(struct bs_region *region);
int bs_region_locate(const struct bs_region *region, const void *addr,
		     unsigned long *pgoff);

/**
 * bs_region_chunk_addr() - kernel address of a chunk
 * @region:	the region
 * @chunk:	chunk index, below @region->nr_chunks
 *
 * Return: the address of the chunk's first byte.
 */
static inline void *bs_region_chunk_addr(const struct bs_region *region,
					 unsigned int chunk)
{
	return page_address(region->chunks[chunk]);
}

/**
 * bs_region_bytes() - size of a region
 * @region:	the region
 *
 * Return: the bytes in all its chunks.
 */
static inline u64 bs_region_bytes(const struct bs_region *region)
{
	return (u64)region->nr_chunks * BS_ARENA_BYTES;
}

#endif /* _BUDDYSLAB_REGION_H */
