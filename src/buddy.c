// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab buddy: a binary buddy allocator over the region's arenas.
 *
 * Each region chunk is one arena of 2^BS_BUDDY_MAX_ORDER pages. A request of
 * order o takes the first free block of the smallest order >= o, splitting it
 * in halves and putting the upper halves on the free lists until a block of
 * order o is left (Knuth's algorithm R). A freed block merges with its buddy,
 * the block whose page index differs only in bit o, for as long as the buddy
 * is free and of the same order, so no two free buddies ever stay apart.
 *
 * All metadata is out of band, in arrays beside the managed memory:
 *
 *   state[i]   one byte per page: BS_BUDDY_HEAD for the first page of a
 *              block, with BS_BUDDY_USED if it is allocated and its order in
 *              the low bits; 0 for every other page of a block.
 *   links[i]   the free-list link of page i while it heads a free block.
 *
 * A free therefore needs nothing from the memory being freed, and is refused
 * unless state[] says an allocated block starts exactly there: a double free,
 * a free of a page inside a block or of a page never allocated cannot corrupt
 * anything. That costs 17 bytes per 4096-byte page (0.42%).
 *
 * Locking: one spinlock per arena covers all of its metadata. Arena locks are
 * never nested. The allocator never sleeps and may be called from any context
 * but interrupt context (the locks are not IRQ-safe).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "buddy.h"

#define BS_BUDDY_HEAD		BIT(7)
#define BS_BUDDY_USED		BIT(6)
#define BS_BUDDY_ORDER_MASK	GENMASK(4, 0)

static inline u8 bs_buddy_free_head(unsigned int order)
{
	return BS_BUDDY_HEAD | order;
}

static inline unsigned long bs_buddy_of(unsigned long idx, unsigned int order)
{
	return idx ^ (1UL << order);
}

static void bs_buddy_add_free(struct bs_buddy_arena *arena, unsigned long idx,
			      unsigned int order)
{
	lockdep_assert_held(&arena->lock);

	arena->state[idx] = bs_buddy_free_head(order);
	list_add(&arena->links[idx], &arena->free_list[order]);
	arena->nr_free[order]++;
	arena->free_pages += 1UL << order;
	WRITE_ONCE(arena->free_orders, arena->free_orders | BIT(order));
}

static void bs_buddy_del_free(struct bs_buddy_arena *arena, unsigned long idx,
			      unsigned int order)
{
	lockdep_assert_held(&arena->lock);

	list_del(&arena->links[idx]);
	if (!--arena->nr_free[order])
		WRITE_ONCE(arena->free_orders, arena->free_orders & ~BIT(order));
	arena->free_pages -= 1UL << order;
}

/* Take a block of @order from @arena; false if it has none big enough. */
static bool bs_buddy_arena_alloc(struct bs_buddy_arena *arena,
				 unsigned int order, unsigned long *idx)
{
	unsigned int cur;
	unsigned long block;

	spin_lock(&arena->lock);
	cur = find_next_bit(&arena->free_orders, BS_BUDDY_NR_ORDERS, order);
	if (cur >= BS_BUDDY_NR_ORDERS) {
		spin_unlock(&arena->lock);
		return false;
	}
	block = arena->free_list[cur].next - arena->links;
	bs_buddy_del_free(arena, block, cur);
	while (cur > order) {
		cur--;
		bs_buddy_add_free(arena, block + (1UL << cur), cur);
	}
	arena->state[block] = BS_BUDDY_HEAD | BS_BUDDY_USED | order;
	spin_unlock(&arena->lock);

	*idx = block;
	return true;
}

/**
 * bs_buddy_alloc() - allocate a block of 2^order pages
 * @buddy:	the allocator
 * @order:	0 to BS_BUDDY_MAX_ORDER
 * @pgoff:	out: the block's first page, counted from the region's start
 *
 * Every arena is tried in turn, so one full arena does not fail a request
 * another can serve.
 *
 * Return: 0 on success, -EINVAL for an order above BS_BUDDY_MAX_ORDER,
 * -ENOMEM if no arena has a free block large enough.
 */
int bs_buddy_alloc(struct bs_buddy *buddy, unsigned int order,
		   unsigned long *pgoff)
{
	unsigned long idx;
	unsigned int a;

	if (order > BS_BUDDY_MAX_ORDER)
		return -EINVAL;

	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];

		/* Lockless hint: skip arenas with nothing of @order or above. */
		if (!(READ_ONCE(arena->free_orders) >> order))
			continue;
		if (bs_buddy_arena_alloc(arena, order, &idx)) {
			*pgoff = a * BS_BUDDY_ARENA_PAGES + idx;
			return 0;
		}
	}
	return -ENOMEM;
}

/**
 * bs_buddy_free() - free a block and merge it with its free buddies
 * @buddy:	the allocator
 * @pgoff:	the block's first page, as bs_buddy_alloc() returned it
 *
 * Return: 0 on success, -EINVAL if no allocated block starts at @pgoff (a
 * double free, a page inside a block, or a page outside the region); the
 * allocator is left untouched then.
 */
int bs_buddy_free(struct bs_buddy *buddy, unsigned long pgoff)
{
	struct bs_buddy_arena *arena;
	unsigned long idx;
	unsigned int order;
	u8 state;

	if (pgoff >= bs_buddy_total_pages(buddy))
		goto refused;
	arena = &buddy->arenas[pgoff / BS_BUDDY_ARENA_PAGES];
	idx = pgoff % BS_BUDDY_ARENA_PAGES;

	spin_lock(&arena->lock);
	state = arena->state[idx];
	if (!(state & BS_BUDDY_HEAD) || !(state & BS_BUDDY_USED)) {
		spin_unlock(&arena->lock);
		goto refused;
	}
	for (order = state & BS_BUDDY_ORDER_MASK; order < BS_BUDDY_MAX_ORDER;
	     order++) {
		unsigned long buddy_idx = bs_buddy_of(idx, order);

		if (arena->state[buddy_idx] != bs_buddy_free_head(order))
			break;
		bs_buddy_del_free(arena, buddy_idx, order);
		/* The upper half stops being a head; the lower one leads. */
		arena->state[idx | buddy_idx] = 0;
		idx &= buddy_idx;
	}
	bs_buddy_add_free(arena, idx, order);
	spin_unlock(&arena->lock);
	return 0;

refused:
	pr_err_ratelimited("refused to free page %lu: no allocated block starts there\n",
			   pgoff);
	return -EINVAL;
}

/**
 * bs_buddy_addr() - kernel address of a page of the region
 * @buddy:	the allocator
 * @pgoff:	page index from the region's start, below its total pages
 *
 * Return: the address of the page's first byte.
 */
void *bs_buddy_addr(const struct bs_buddy *buddy, unsigned long pgoff)
{
	const struct bs_buddy_arena *arena;

	arena = &buddy->arenas[pgoff / BS_BUDDY_ARENA_PAGES];
	return arena->base + ((pgoff % BS_BUDDY_ARENA_PAGES) << PAGE_SHIFT);
}

/**
 * bs_buddy_free_pages() - pages free in all arenas
 * @buddy:	the allocator
 *
 * Return: the number of pages in free blocks, exact when no allocation or
 * free runs at the same time.
 */
unsigned long bs_buddy_free_pages(struct bs_buddy *buddy)
{
	unsigned long pages = 0;
	unsigned int a;

	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];

		spin_lock(&arena->lock);
		pages += arena->free_pages;
		spin_unlock(&arena->lock);
	}
	return pages;
}

/**
 * bs_buddy_arena_nr_free() - free blocks per order of one arena
 * @buddy:	the allocator
 * @arena:	arena index, below @buddy->nr_arenas
 * @nr_free:	out: nr_free[o] is the number of free blocks of order o
 */
void bs_buddy_arena_nr_free(struct bs_buddy *buddy, unsigned int arena,
			    unsigned long nr_free[BS_BUDDY_NR_ORDERS])
{
	struct bs_buddy_arena *ar = &buddy->arenas[arena];

	spin_lock(&ar->lock);
	memcpy(nr_free, ar->nr_free, sizeof(ar->nr_free));
	spin_unlock(&ar->lock);
}

static int bs_buddy_corrupt(unsigned int arena, unsigned long idx,
			    const char *what)
{
	pr_err("validate: arena %u page %lu: %s\n", arena, idx, what);
	return -EUCLEAN;
}

static int bs_buddy_arena_validate(struct bs_buddy_arena *arena,
				   unsigned int a)
{
	unsigned long nr_free[BS_BUDDY_NR_ORDERS] = {};
	unsigned long free_pages = 0, free_orders = 0;
	unsigned long idx, i, len;
	unsigned int order;
	struct list_head *pos;

	lockdep_assert_held(&arena->lock);

	/* Every page belongs to exactly one aligned block. */
	for (idx = 0; idx < BS_BUDDY_ARENA_PAGES; idx += 1UL << order) {
		u8 state = arena->state[idx];

		if (!(state & BS_BUDDY_HEAD))
			return bs_buddy_corrupt(a, idx, "page is in no block");
		if (state & ~(BS_BUDDY_HEAD | BS_BUDDY_USED | BS_BUDDY_ORDER_MASK))
			return bs_buddy_corrupt(a, idx, "unknown state bits");
		order = state & BS_BUDDY_ORDER_MASK;
		if (order > BS_BUDDY_MAX_ORDER)
			return bs_buddy_corrupt(a, idx, "order too large");
		if (idx & ((1UL << order) - 1))
			return bs_buddy_corrupt(a, idx, "block not aligned to its order");
		for (i = 1; i < (1UL << order); i++)
			if (arena->state[idx + i])
				return bs_buddy_corrupt(a, idx + i, "page is in two blocks");
		if (state & BS_BUDDY_USED)
			continue;
		nr_free[order]++;
		free_pages += 1UL << order;
		if (order < BS_BUDDY_MAX_ORDER &&
		    arena->state[bs_buddy_of(idx, order)] == state)
			return bs_buddy_corrupt(a, idx, "free buddies not merged");
	}

	/* The lists hold exactly the free blocks, and the counts agree. */
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		len = 0;
		list_for_each(pos, &arena->free_list[order]) {
			idx = pos - arena->links;
			if (idx >= BS_BUDDY_ARENA_PAGES ||
			    arena->state[idx] != bs_buddy_free_head(order))
				return bs_buddy_corrupt(a, idx, "free list holds a block that is not a free block of its order");
			if (++len > nr_free[order])
				return bs_buddy_corrupt(a, idx, "free list longer than the free blocks of its order");
		}
		if (len != nr_free[order])
			return bs_buddy_corrupt(a, 0, "free list misses a free block");
		if (arena->nr_free[order] != len)
			return bs_buddy_corrupt(a, 0, "free count differs from its list");
		if (len)
			free_orders |= BIT(order);
	}
	if (arena->free_orders != free_orders)
		return bs_buddy_corrupt(a, 0, "free order mask differs from the lists");
	if (arena->free_pages != free_pages)
		return bs_buddy_corrupt(a, 0, "free page count differs from the blocks");
	return 0;
}

/**
 * bs_buddy_validate() - check every invariant of the allocator
 * @buddy:	the allocator
 *
 * Checks, arena by arena under its lock, that every page is in exactly one
 * block, that blocks are aligned to their order, that no two free buddies of
 * the same order are left unmerged, and that the free lists, their counts and
 * the free page count agree with the per-page state. The first violation in
 * each arena is reported with pr_err().
 *
 * Return: 0 if all holds, -EUCLEAN otherwise.
 */
int bs_buddy_validate(struct bs_buddy *buddy)
{
	unsigned int a;
	int ret = 0;

	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];
		int err;

		spin_lock(&arena->lock);
		err = bs_buddy_arena_validate(arena, a);
		spin_unlock(&arena->lock);
		if (err)
			ret = err;
	}
	return ret;
}

static void bs_buddy_arena_fini(struct bs_buddy_arena *arena)
{
	kvfree(arena->links);
	kvfree(arena->state);
}

static int bs_buddy_arena_init(struct bs_buddy_arena *arena, void *base)
{
	unsigned int order;

	arena->state = kvcalloc(BS_BUDDY_ARENA_PAGES, sizeof(*arena->state),
				GFP_KERNEL);
	if (!arena->state)
		return -ENOMEM;
	arena->links = kvcalloc(BS_BUDDY_ARENA_PAGES, sizeof(*arena->links),
				GFP_KERNEL);
	if (!arena->links) {
		kvfree(arena->state);
		return -ENOMEM;
	}
	spin_lock_init(&arena->lock);
	arena->base = base;
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
		INIT_LIST_HEAD(&arena->free_list[order]);

	spin_lock(&arena->lock);
	bs_buddy_add_free(arena, 0, BS_BUDDY_MAX_ORDER);
	spin_unlock(&arena->lock);
	return 0;
}

/**
 * bs_buddy_init() - set up a buddy allocator over a region
 * @buddy:	the allocator to set up
 * @region:	the memory it manages, one arena per chunk; must outlive it
 *
 * Every arena starts as one free block of BS_BUDDY_MAX_ORDER.
 *
 * Return: 0 on success, -ENOMEM if the metadata cannot be allocated.
 */
int bs_buddy_init(struct bs_buddy *buddy, const struct bs_region *region)
{
	unsigned int a;
	int ret;

	buddy->arenas = kcalloc(region->nr_chunks, sizeof(*buddy->arenas),
				GFP_KERNEL);
	if (!buddy->arenas)
		return -ENOMEM;

	for (a = 0; a < region->nr_chunks; a++) {
		ret = bs_buddy_arena_init(&buddy->arenas[a],
					  bs_region_chunk_addr(region, a));
		if (ret)
			goto err_fini_arenas;
	}
	buddy->nr_arenas = region->nr_chunks;
	return 0;

err_fini_arenas:
	while (a--)
		bs_buddy_arena_fini(&buddy->arenas[a]);
	kfree(buddy->arenas);
	buddy->arenas = NULL;
	return ret;
}

/**
 * bs_buddy_fini() - tear down a buddy allocator
 * @buddy:	the allocator; every block it handed out must be free again
 *
 * A block still allocated at this point is a leak in the caller, reported
 * with a warning.
 */
void bs_buddy_fini(struct bs_buddy *buddy)
{
	unsigned int a;

	WARN(bs_buddy_free_pages(buddy) != bs_buddy_total_pages(buddy),
	     "%lu pages still allocated at teardown\n",
	     bs_buddy_total_pages(buddy) - bs_buddy_free_pages(buddy));
	for (a = 0; a < buddy->nr_arenas; a++)
		bs_buddy_arena_fini(&buddy->arenas[a]);
	kfree(buddy->arenas);
	buddy->arenas = NULL;
	buddy->nr_arenas = 0;
}
