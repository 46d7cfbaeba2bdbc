// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab buddy checks: bs_buddy_validate(), every invariant of the buddy
 * allocator, for KUnit after each scenario and for debugfs validate.
 *
 * Validation changes nothing: it drains no cache and counts nothing. It
 * checks each per-CPU cache on its CPU under its local lock
 * (bs_buddy_pcp_each()) and each arena under its lock, so it may run at
 * any time, under any load. That every cached block is on
 * a cache list (and no block is lost from one) is a property of all caches
 * and arenas at once: it is checked when no cache changed while the arenas
 * were walked, which the caches' counters tell; under load that cross-check
 * is skipped. The first violation in each cache and arena is reported.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/printk.h>
#include <linux/string.h>

#include "buddy_internal.h"

static int bs_buddy_corrupt(const char *where, unsigned int n,
			    unsigned long pgoff, const char *what)
{
	pr_err("validate: %s %u page %lu: %s\n", where, n, pgoff, what);
	return -EUCLEAN;
}

static int bs_buddy_pcp_validate(struct bs_buddy *buddy,
				 struct bs_buddy_pcp *pcp, unsigned int cpu)
{
	unsigned long pgoff, len;
	struct list_head *pos;
	unsigned int order;

	bs_buddy_pcp_assert_held(buddy, pcp);

	for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++) {
		len = 0;
		list_for_each(pos, &pcp->list[order]) {
			pgoff = pos - buddy->links;
			if (pgoff >= bs_buddy_total_pages(buddy) ||
			    buddy->state[pgoff] != bs_buddy_head(order, BS_BUDDY_CACHED))
				return bs_buddy_corrupt("cpu", cpu, pgoff, "cache holds a block that is not a cached block of its order");
			if (++len > pcp->count[order])
				return bs_buddy_corrupt("cpu", cpu, pgoff, "cache list longer than its count");
		}
		if (len != pcp->count[order])
			return bs_buddy_corrupt("cpu", cpu, 0, "cache list shorter than its count");
		if (len > bs_buddy_pcp_high(order))
			return bs_buddy_corrupt("cpu", cpu, 0, "cache holds more than its high mark");
	}
	return 0;
}

/*
 * How often a cache's lists have changed: every change is an allocation
 * or free through the cache, a refill or a drain, and each is counted.
 */
static unsigned long bs_buddy_pcp_changes(struct bs_buddy *buddy,
					  struct bs_buddy_pcp *pcp)
{
	const struct bs_buddy_counters *c = &pcp->counters;
	unsigned long changes = c->event[BS_BUDDY_PCP_MISSES] +
				c->event[BS_BUDDY_PCP_DRAINS];
	unsigned int order;

	bs_buddy_pcp_assert_held(buddy, pcp);

	for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++)
		changes += c->order[BS_BUDDY_ALLOCS][order] +
			   c->order[BS_BUDDY_FREES][order];
	return changes;
}

/*
 * What a census of the caches finds: the blocks they hold per order, their
 * changes, and the first violation seen.
 */
struct bs_buddy_census {
	unsigned long cached[BS_BUDDY_PCP_ORDERS];
	unsigned long changes;
	int ret;
};

/* Check one cache, as its owner, and add it to the census @arg. */
static void bs_buddy_pcp_count(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
			       unsigned int cpu, void *arg)
{
	struct bs_buddy_census *census = arg;
	unsigned int order;
	int err;

	err = bs_buddy_pcp_validate(buddy, pcp, cpu);
	if (err)
		census->ret = err;
	for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++)
		census->cached[order] += pcp->count[order];
	census->changes += bs_buddy_pcp_changes(buddy, pcp);
}

/*
 * Check every cache, each on its CPU under its local lock; count the blocks
 * they hold per order and their changes in @census. Two censuses with the
 * same changes bracket a time in which no cache changed.
 */
static int bs_buddy_pcp_census(struct bs_buddy *buddy,
			       struct bs_buddy_census *census)
{
	memset(census, 0, sizeof(*census));
	bs_buddy_pcp_each(buddy, bs_buddy_pcp_count, census);
	return census->ret;
}

/*
 * Check the block that page @pgoff of arena @a heads, as its state byte
 * @state says: a known state, an order the holder may hold, aligned to it,
 * and no page inside that heads a block too.
 */
static int bs_buddy_block_validate(struct bs_buddy *buddy, unsigned int a,
				   unsigned long pgoff, u8 state)
{
	const unsigned int order = state & BS_BUDDY_ORDER_MASK;
	unsigned long i;

	if (!(state & BS_BUDDY_HEAD))
		return bs_buddy_corrupt("arena", a, pgoff, "page is in no block");
	if (!(state & BS_BUDDY_USED) &&
	    state & ~(BS_BUDDY_HEAD | BS_BUDDY_CACHED | BS_BUDDY_ORDER_MASK))
		return bs_buddy_corrupt("arena", a, pgoff, "unknown state");
	if (order > BS_BUDDY_MAX_ORDER)
		return bs_buddy_corrupt("arena", a, pgoff, "order too large");
	if (!(state & BS_BUDDY_USED) && state & BS_BUDDY_CACHED &&
	    order > BS_BUDDY_PCP_MAX_ORDER)
		return bs_buddy_corrupt("arena", a, pgoff, "cached block of an order caches do not hold");
	if (pgoff & ((1UL << order) - 1))
		return bs_buddy_corrupt("arena", a, pgoff, "block not aligned to its order");
	for (i = 1; i < (1UL << order); i++)
		if (buddy->state[pgoff + i])
			return bs_buddy_corrupt("arena", a, pgoff + i, "page is in two blocks");
	return 0;
}

/*
 * Walk an arena's pages: every page belongs to exactly one aligned block,
 * and no two free buddies are left apart. Count the free blocks per order
 * in @nr_free and their pages in @free_pages, and add the blocks the pages
 * say are cached, per order, to @cached (read without the caches' locks:
 * exact only while they are idle).
 */
static int bs_buddy_arena_walk(struct bs_buddy *buddy,
			       struct bs_buddy_arena *arena, unsigned int a,
			       unsigned long nr_free[BS_BUDDY_NR_ORDERS],
			       unsigned long *free_pages,
			       unsigned long cached[BS_BUDDY_PCP_ORDERS])
{
	const unsigned long end = (a + 1UL) * BS_ARENA_PAGES;
	unsigned long pgoff;
	unsigned int order;
	int ret;

	lockdep_assert_held(&arena->lock);

	for (pgoff = a * BS_ARENA_PAGES; pgoff < end; pgoff += 1UL << order) {
		u8 state = READ_ONCE(buddy->state[pgoff]);

		ret = bs_buddy_block_validate(buddy, a, pgoff, state);
		if (ret)
			return ret;
		order = state & BS_BUDDY_ORDER_MASK;
		if (state & BS_BUDDY_USED)
			continue;
		if (state & BS_BUDDY_CACHED) {
			cached[order]++;
			continue;
		}
		nr_free[order]++;
		*free_pages += 1UL << order;
		if (order < BS_BUDDY_MAX_ORDER &&
		    READ_ONCE(buddy->state[pgoff ^ (1UL << order)]) == state)
			return bs_buddy_corrupt("arena", a, pgoff, "free buddies not merged");
	}
	return 0;
}

/*
 * The free lists of an arena hold exactly the free blocks the walk found,
 * @nr_free per order, and its counts agree with them.
 */
static int bs_buddy_arena_lists_validate(struct bs_buddy *buddy,
					 struct bs_buddy_arena *arena,
					 unsigned int a,
					 const unsigned long nr_free[BS_BUDDY_NR_ORDERS],
					 unsigned long free_pages)
{
	const unsigned long first = a * BS_ARENA_PAGES;
	const unsigned long end = first + BS_ARENA_PAGES;
	unsigned long pgoff, len, free_orders = 0;
	struct list_head *pos;
	unsigned int order;

	lockdep_assert_held(&arena->lock);

	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		len = 0;
		list_for_each(pos, &arena->free_list[order]) {
			pgoff = pos - buddy->links;
			if (pgoff < first || pgoff >= end ||
			    buddy->state[pgoff] != bs_buddy_head(order, 0))
				return bs_buddy_corrupt("arena", a, pgoff, "free list holds a block that is not a free block of its order");
			if (++len > nr_free[order])
				return bs_buddy_corrupt("arena", a, pgoff, "free list longer than the free blocks of its order");
		}
		if (len != nr_free[order])
			return bs_buddy_corrupt("arena", a, first, "free list misses a free block");
		if (arena->nr_free[order] != len)
			return bs_buddy_corrupt("arena", a, first, "free count differs from its list");
		if (len)
			free_orders |= BIT(order);
	}
	if (arena->free_orders != free_orders)
		return bs_buddy_corrupt("arena", a, first, "free order mask differs from the lists");
	/* Bits of orders the arena lacks may be stale; none may be missing. */
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
		if (free_orders & BIT(order) &&
		    !test_bit(a, bs_buddy_order_map(buddy, order)))
			return bs_buddy_corrupt("arena", a, first, "summary of free orders misses an order the arena has");
	if (arena->free_pages != free_pages)
		return bs_buddy_corrupt("arena", a, first, "free page count differs from the blocks");
	return 0;
}

/*
 * Check an arena; add the blocks its pages say are cached, per order, to
 * @cached.
 */
static int bs_buddy_arena_validate(struct bs_buddy *buddy,
				   struct bs_buddy_arena *arena, unsigned int a,
				   unsigned long cached[BS_BUDDY_PCP_ORDERS])
{
	unsigned long nr_free[BS_BUDDY_NR_ORDERS] = {};
	unsigned long free_pages = 0;

	return bs_buddy_arena_walk(buddy, arena, a, nr_free, &free_pages,
				   cached) ?:
	       bs_buddy_arena_lists_validate(buddy, arena, a, nr_free,
					     free_pages);
}

/**
 * bs_buddy_validate() - check every invariant of the allocator
 * @buddy:	the allocator
 *
 * Checks each per-CPU cache, on its CPU (every block in it is a cached
 * block of its order, the counts agree, none is over its high mark); then,
 * arena by arena under its lock, that every page is in exactly one block,
 * that blocks are aligned to their order, that no two free buddies of the
 * same order are left unmerged, and that the free lists, their counts, the
 * free page count agree with the per-page state, and that the summary of
 * free orders names the arena for every order it has. If no cache changed meanwhile, it also checks
 * that the blocks the pages say are cached are exactly those on the
 * caches' lists, so that a block lost from a cache is seen. The first
 * violation in each cache and arena is reported with pr_err().
 *
 * Safe at any time, under any load: it changes no block, list or counter.
 *
 * Context: process context; sleeps.
 * Return: 0 if all holds, -EUCLEAN otherwise.
 */
int bs_buddy_validate(struct bs_buddy *buddy)
{
	unsigned long seen[BS_BUDDY_PCP_ORDERS] = {};
	struct bs_buddy_census before, after;
	unsigned int a;
	int err, ret;

	might_sleep();

	ret = bs_buddy_pcp_census(buddy, &before);
	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];

		spin_lock(&arena->lock);
		err = bs_buddy_arena_validate(buddy, arena, a, seen);
		spin_unlock(&arena->lock);
		if (err)
			ret = err;
	}
	if (ret)
		return ret;
	err = bs_buddy_pcp_census(buddy, &after);
	if (err)
		return err;
	if (before.changes == after.changes &&
	    memcmp(after.cached, seen, sizeof(seen)))
		return bs_buddy_corrupt("cpu", 0, 0, "cached blocks differ from the caches' lists: a block is lost");
	return 0;
}
