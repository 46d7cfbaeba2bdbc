/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BUDDYSLAB_BUDDY_H
#define _BUDDYSLAB_BUDDY_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "region.h"

#define BS_BUDDY_MAX_ORDER	BS_REGION_CHUNK_ORDER
#define BS_BUDDY_NR_ORDERS	(BS_BUDDY_MAX_ORDER + 1)
#define BS_BUDDY_ARENA_PAGES	(1UL << BS_BUDDY_MAX_ORDER)

/**
 * struct bs_buddy_arena - one chunk of the region, managed as a buddy tree
 * @lock:	protects every other field but @base
 * @base:	kernel address of the arena's first page; immutable
 * @state:	one byte per page (BS_BUDDY_HEAD, BS_BUDDY_USED, order): the
 *		allocator's only record of what is free and what is allocated
 * @links:	one free-list link per page, used while the page heads a free
 *		block; kept out of the managed memory so that a user writing
 *		into its block cannot corrupt the allocator
 * @free_list:	per order, the free blocks of that order
 * @nr_free:	per order, the length of @free_list
 * @free_pages:	pages in free blocks
 * @free_orders: bit o set iff @free_list[o] is not empty; read without
 *		@lock as a hint to skip arenas that cannot serve a request
 */
struct bs_buddy_arena {
	spinlock_t lock;
	void *base;
	u8 *state;
	struct list_head *links;
	struct list_head free_list[BS_BUDDY_NR_ORDERS];
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned long free_pages;
	unsigned long free_orders;
};

/**
 * struct bs_buddy - a binary buddy allocator over every arena of a region
 * @arenas:	one per region chunk
 * @nr_arenas:	how many; immutable
 */
struct bs_buddy {
	struct bs_buddy_arena *arenas;
	unsigned int nr_arenas;
};

int bs_buddy_init(struct bs_buddy *buddy, const struct bs_region *region);
void bs_buddy_fini(struct bs_buddy *buddy);
int bs_buddy_alloc(struct bs_buddy *buddy, unsigned int order,
		   unsigned long *pgoff);
int bs_buddy_free(struct bs_buddy *buddy, unsigned long pgoff);
void *bs_buddy_addr(const struct bs_buddy *buddy, unsigned long pgoff);
unsigned long bs_buddy_free_pages(struct bs_buddy *buddy);
void bs_buddy_arena_nr_free(struct bs_buddy *buddy, unsigned int arena,
			    unsigned long nr_free[BS_BUDDY_NR_ORDERS]);
int bs_buddy_validate(struct bs_buddy *buddy);

/**
 * bs_buddy_total_pages() - pages managed by a buddy allocator
 * @buddy:	the allocator
 *
 * Return: the number of pages in all its arenas.
 */
static inline unsigned long bs_buddy_total_pages(const struct bs_buddy *buddy)
{
	return buddy->nr_arenas * BS_BUDDY_ARENA_PAGES;
}

#endif /* _BUDDYSLAB_BUDDY_H */
