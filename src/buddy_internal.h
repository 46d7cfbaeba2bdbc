/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab buddy, private: what buddy.c, buddy_stats.c and buddy_check.c
 * share. Nothing above the buddy includes it; the KUnit suites do, to
 * damage the allocator on purpose and see the checks find it. The layout
 * of a page's state byte, the per-CPU caches' sizes, and the arena and
 * per-CPU cache structures live here; buddy.h is the API.
 */
#ifndef _BUDDYSLAB_BUDDY_INTERNAL_H
#define _BUDDYSLAB_BUDDY_INTERNAL_H

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/cache.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
/* After the two above, which it uses and does not include. */
#include <linux/local_lock.h>

#include "buddy.h"

/* A page's state byte (struct bs_buddy @state): see buddy.c. */
#define BS_BUDDY_HEAD		BIT(7)
#define BS_BUDDY_USED		BIT(6)
#define BS_BUDDY_CACHED		BIT(5)		/* free blocks only */
#define BS_BUDDY_TAG_MASK	GENMASK(5, 4)	/* allocated blocks only */
#define BS_BUDDY_ORDER_MASK	GENMASK(3, 0)

static_assert(BS_BUDDY_MAX_ORDER <= BS_BUDDY_ORDER_MASK);
static_assert(BS_BUDDY_NR_TAGS == (BS_BUDDY_TAG_MASK >> 4) + 1);

/* The state of a free block's head: @kind is 0 or BS_BUDDY_CACHED. */
static inline u8 bs_buddy_head(unsigned int order, u8 kind)
{
	return BS_BUDDY_HEAD | kind | order;
}

/* The state of an allocated block's head. */
static inline u8 bs_buddy_used_head(unsigned int order, unsigned int tag)
{
	return BS_BUDDY_HEAD | BS_BUDDY_USED | FIELD_PREP(BS_BUDDY_TAG_MASK, tag) |
	       order;
}

/* Whether an allocated block starts at a page of this state. */
static inline bool bs_buddy_is_used_head(u8 state)
{
	return (state & (BS_BUDDY_HEAD | BS_BUDDY_USED)) ==
	       (BS_BUDDY_HEAD | BS_BUDDY_USED);
}

/*
 * Orders the per-CPU caches hold, and how much of each, in pages: a cache
 * holds at most BS_BUDDY_PCP_HIGH pages of an order and moves them in
 * batches of BS_BUDDY_PCP_BATCH pages, so larger orders move fewer blocks.
 */
#define BS_BUDDY_PCP_MAX_ORDER	3
#define BS_BUDDY_PCP_ORDERS	(BS_BUDDY_PCP_MAX_ORDER + 1)
#define BS_BUDDY_PCP_HIGH	256
#define BS_BUDDY_PCP_BATCH	64
/* A batch is one block of this order, when a refill can take it whole. */
#define BS_BUDDY_PCP_RUN_ORDER	const_ilog2(BS_BUDDY_PCP_BATCH)

/**
 * bs_buddy_pcp_high() - most blocks of an order a per-CPU cache holds
 * @order:	0 to BS_BUDDY_PCP_MAX_ORDER
 *
 * Return: the number of blocks.
 */
static inline unsigned int bs_buddy_pcp_high(unsigned int order)
{
	return BS_BUDDY_PCP_HIGH >> order;
}

/**
 * bs_buddy_pcp_batch() - blocks of an order moved per refill or drain
 * @order:	0 to BS_BUDDY_PCP_MAX_ORDER
 *
 * Return: the number of blocks.
 */
static inline unsigned int bs_buddy_pcp_batch(unsigned int order)
{
	return BS_BUDDY_PCP_BATCH >> order;
}

/**
 * struct bs_buddy_arena - one arena of the region, managed as a buddy tree
 * @lock:	protects every other field, the arena's bits in the summary of
 *		free orders (struct bs_buddy @order_arenas), and the state and
 *		links of the arena's pages that are not in a per-CPU cache
 * @free_list:	per order, the free blocks of that order
 * @nr_free:	per order, the length of @free_list
 * @free_pages:	pages in free blocks
 * @free_orders: bit o set iff @free_list[o] is not empty
 * @counters:	what happened in this arena: splits, merges, allocations and
 *		frees of the orders the caches do not hold
 *
 * Each arena has cache lines of its own, so that CPUs working in different
 * arenas do not contend for lines they do not share.
 */
struct bs_buddy_arena {
	spinlock_t lock;
	struct list_head free_list[BS_BUDDY_NR_ORDERS];
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned long free_pages;
	unsigned long free_orders;
	struct bs_buddy_counters counters;
} ____cacheline_aligned_in_smp;

/**
 * struct bs_buddy_pcp - one CPU's cache of free blocks of small orders
 * @lock:	protects every field but @start, and the state and links of
 *		the blocks on @list: a local lock, taken by its CPU only, in
 *		process context (see buddy.c, Locking)
 * @list:	per order up to BS_BUDDY_PCP_MAX_ORDER, free blocks, newest
 *		first
 * @count:	per order, the length of @list; also read without the lock,
 *		for statistics
 * @counters:	what happened in this cache: hits, misses, drains,
 *		allocations and frees of the orders it holds; also read
 *		without the lock, for statistics
 * @start:	the arena this CPU's refills search from; immutable
 */
struct bs_buddy_pcp {
	local_lock_t lock;
	struct list_head list[BS_BUDDY_PCP_ORDERS];
	unsigned int count[BS_BUDDY_PCP_ORDERS];
	struct bs_buddy_counters counters;
	unsigned int start;
};

/**
 * bs_buddy_pcp_assert_held() - assert that a per-CPU cache may be changed
 * @buddy:	the allocator
 * @pcp:	one of its caches
 *
 * This CPU's own cache needs its local lock; any other cache may only be
 * an offline CPU's, reached by a walk of every cache under @walk_lock
 * (bs_buddy_pcp_each()).
 */
static inline void bs_buddy_pcp_assert_held(struct bs_buddy *buddy,
					    struct bs_buddy_pcp *pcp)
{
	if (pcp == raw_cpu_ptr(buddy->pcp))
		lockdep_assert_held(&pcp->lock);
	else
		lockdep_assert_held(&buddy->walk_lock);
}

/**
 * bs_buddy_order_map() - the arenas that may have a free block of an order
 * @buddy:	the allocator
 * @order:	0 to BS_BUDDY_MAX_ORDER
 *
 * Return: the bitmap of @buddy->nr_arenas bits in the summary of free
 * orders: bit a is set if arena a has a free block of @order on its lists,
 * and may be set a while after it has none.
 */
static inline unsigned long *bs_buddy_order_map(const struct bs_buddy *buddy,
						unsigned int order)
{
	return buddy->order_arenas + order * BITS_TO_LONGS(buddy->nr_arenas);
}

void bs_buddy_pcp_each(struct bs_buddy *buddy,
		       void (*fn)(struct bs_buddy *buddy,
				  struct bs_buddy_pcp *pcp, unsigned int cpu,
				  void *arg),
		       void *arg);
unsigned long bs_buddy_cached_pages(struct bs_buddy *buddy);

#endif /* _BUDDYSLAB_BUDDY_INTERNAL_H */
