// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab byte buddy: Knuth's binary buddy system at the fit allocators'
 * 16-byte grain, inside arenas taken from the page buddy.
 *
 * Why: the page buddy rounds every request up to a page, so a program's
 * 72-byte mallocs would cost 4 KiB each and a user-level trace could not
 * compare the buddy policy with first, next, best and worst fit. This one
 * works at the fits' grain, over the same kind of arenas, so that the
 * comparison is the one Johnstone and Wilson made.
 *
 * Arenas: an arena is one page-buddy block of BS_BUDDY_MAX_ORDER (4 MiB on
 * x86-64), tagged BS_BUDDY_TAG_ARENA, taken when no free block of a large
 * enough order is left and given back as soon as it is entirely free, that
 * is one free block of the top order.
 *
 * Blocks: a block of order k is BS_BYTE_BUDDY_GRAIN << k bytes, aligned to
 * its size within its arena. A request is rounded up to the smallest block
 * that holds it (bs_byte_buddy_granted()). Allocation takes the lowest-
 * address free block of the smallest sufficient order, over all arenas,
 * and splits it down: the lower half is kept, the upper half is free one
 * order down. So placement is address-ordered and deterministic, and the
 * tests predict it. A freed block merges with its buddy (offset XOR size)
 * while the buddy is free and whole, up the orders: no two free buddies of
 * one order are ever left apart.
 *
 * Metadata, all out of band: the managed memory is mapped by users and may
 * hold anything, so nothing is kept in it. Per arena and order, a bitmap
 * with a bit per block, set where a free block starts, its count, and a
 * summary bitmap with a bit per word of it, set where that word is not
 * zero (all orders' bitmaps and summaries together: 1.6% of the arena).
 * The lowest free block of an order is found by reading the summary and
 * one word, not by scanning the bitmap (at most 64 words of summary for
 * 16-byte blocks in 4 MiB). Across
 * arenas, a count per order says at once which order serves a request, and
 * the arenas, in an xarray by arena number (so in address order), are
 * walked only to the first that has a free block of it. Allocated blocks
 * are in the arena's xarray by offset / BS_BYTE_BUDDY_GRAIN, holding the
 * size their user asked for, from which their order follows: a free that
 * is not the start of a live block (a double free, the inside of a block,
 * memory of no arena) finds nothing and is refused, changing nothing.
 *
 * Failures: the arena's metadata, its page-buddy block, its slot among the
 * arenas and the block's slot among the allocated are each a point where
 * an allocation can fail (bs_fault() before every kernel allocation). The
 * block is indexed before it is cut from its free block, so a failure
 * leaves nothing changed, and an arena taken for it goes back.
 *
 * The files:
 *
 *   byte_buddy.c         arenas, allocation and free, snapshots
 *   byte_buddy_check.c   bs_byte_buddy_validate(), every invariant
 *
 * byte_buddy.h is the API; byte_buddy_internal.h is what the two share:
 * the arena descriptor and the arithmetic of orders and bitmaps.
 *
 * Locking: one mutex covers the allocator, as for the fits: it lets an
 * allocation take an arena from the page buddy and allocate metadata while
 * holding it.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/slab.h>

#include "byte_buddy_internal.h"
#include "fault.h"
#include "fit.h"

/* The same grain, so that the fits and the byte buddy compare. */
static_assert(BS_BYTE_BUDDY_GRAIN == BS_FIT_GRAIN);
static_assert((BS_BYTE_BUDDY_GRAIN << BS_BYTE_BUDDY_TOP) == BS_ARENA_BYTES);

const char *const bs_byte_buddy_counter_names[] = {
	[BS_BYTE_BUDDY_ALLOCS]		= "allocs",
	[BS_BYTE_BUDDY_FAILS]		= "fails",
	[BS_BYTE_BUDDY_FREES]		= "frees",
	[BS_BYTE_BUDDY_FREES_REFUSED]	= "frees_refused",
	[BS_BYTE_BUDDY_SPLITS]		= "splits",
	[BS_BYTE_BUDDY_MERGES]		= "merges",
	[BS_BYTE_BUDDY_ARENAS_TAKEN]	= "arenas_taken",
	[BS_BYTE_BUDDY_ARENAS_GIVEN]	= "arenas_given",
};
static_assert(ARRAY_SIZE(bs_byte_buddy_counter_names) == BS_BYTE_BUDDY_NR_COUNTERS);

/* ---- Orders and bitmaps -------------------------------------------------- */

/* Words of every order's free map and summary together. */
static unsigned long bs_byte_buddy_arena_words(void)
{
	unsigned long words = 0;
	unsigned int order;

	for (order = 0; order < BS_BYTE_BUDDY_ORDERS; order++)
		words += bs_byte_buddy_map_words(order) +
			 BITS_TO_LONGS(bs_byte_buddy_map_words(order));
	return words;
}

static void bs_byte_buddy_mark_free(struct bs_byte_buddy *bb,
				    struct bs_byte_buddy_arena *arena,
				    unsigned int order, unsigned long offset)
{
	unsigned long bit = bs_byte_buddy_bit(order, offset);

	lockdep_assert_held(&bb->lock);

	__set_bit(bit, arena->free_map[order]);
	__set_bit(BIT_WORD(bit), arena->summary[order]);
	arena->nr_free[order]++;
	bb->nr_free[order]++;
}

static void bs_byte_buddy_unmark_free(struct bs_byte_buddy *bb,
				      struct bs_byte_buddy_arena *arena,
				      unsigned int order, unsigned long offset)
{
	unsigned long bit = bs_byte_buddy_bit(order, offset);

	lockdep_assert_held(&bb->lock);

	__clear_bit(bit, arena->free_map[order]);
	if (!arena->free_map[order][BIT_WORD(bit)])
		__clear_bit(BIT_WORD(bit), arena->summary[order]);
	arena->nr_free[order]--;
	bb->nr_free[order]--;
}

/* The offset of the lowest free block of @order; the arena has one. */
static unsigned long bs_byte_buddy_lowest_free(const struct bs_byte_buddy_arena *arena,
					       unsigned int order)
{
	unsigned long word;

	word = find_first_bit(arena->summary[order], bs_byte_buddy_map_words(order));
	return (word * BITS_PER_LONG + __ffs(arena->free_map[order][word])) <<
	       (order + BS_BYTE_BUDDY_GRAIN_SHIFT);
}

/* ---- Arenas -------------------------------------------------------------- */

/*
 * Take an arena from the page buddy: one free block of the top order.
 * Returns it, or NULL with nothing changed.
 */
static struct bs_byte_buddy_arena *bs_byte_buddy_arena_add(struct bs_byte_buddy *bb)
{
	struct bs_byte_buddy_arena *arena;
	unsigned long pgoff, *words;
	unsigned int order;

	lockdep_assert_held(&bb->lock);

	arena = bs_fault() ? NULL :
		kvzalloc(struct_size(arena, words, bs_byte_buddy_arena_words()),
			 GFP_KERNEL);
	if (!arena)
		return NULL;
	if (bs_buddy_alloc(bb->buddy, BS_BUDDY_MAX_ORDER, BS_BUDDY_TAG_ARENA, &pgoff))
		goto err_free;
	arena->pgoff = pgoff;
	arena->base = bs_buddy_addr(bb->buddy, pgoff);
	xa_init(&arena->used);
	words = arena->words;
	for (order = 0; order < BS_BYTE_BUDDY_ORDERS; order++) {
		arena->free_map[order] = words;
		words += bs_byte_buddy_map_words(order);
		arena->summary[order] = words;
		words += BITS_TO_LONGS(bs_byte_buddy_map_words(order));
	}
	if (bs_fault() ||
	    xa_insert(&bb->arenas, pgoff / BS_ARENA_PAGES, arena, GFP_KERNEL))
		goto err_buddy;

	bs_byte_buddy_mark_free(bb, arena, BS_BYTE_BUDDY_TOP, 0);
	bb->nr_arenas++;
	bb->counters[BS_BYTE_BUDDY_ARENAS_TAKEN]++;
	return arena;

err_buddy:
	WARN_ON(bs_buddy_free(bb->buddy, pgoff));
err_free:
	kvfree(arena);
	return NULL;
}

/* Drop an arena and give its memory back, whatever it holds. */
static void bs_byte_buddy_arena_release(struct bs_byte_buddy *bb,
					struct bs_byte_buddy_arena *arena)
{
	lockdep_assert_held(&bb->lock);

	xa_erase(&bb->arenas, arena->pgoff / BS_ARENA_PAGES);
	xa_destroy(&arena->used);
	WARN_ON(bs_buddy_free(bb->buddy, arena->pgoff));
	kvfree(arena);
	bb->nr_arenas--;
}

/* Give back an arena that is one free block of the top order. */
static void bs_byte_buddy_arena_remove(struct bs_byte_buddy *bb,
				       struct bs_byte_buddy_arena *arena)
{
	lockdep_assert_held(&bb->lock);

	bs_byte_buddy_unmark_free(bb, arena, BS_BYTE_BUDDY_TOP, 0);
	bs_byte_buddy_arena_release(bb, arena);
	bb->counters[BS_BYTE_BUDDY_ARENAS_GIVEN]++;
}

/*
 * The lowest arena with a free block of the smallest order from @order on,
 * and that order in @found; NULL if no arena has one.
 */
static struct bs_byte_buddy_arena *bs_byte_buddy_find(struct bs_byte_buddy *bb,
						      unsigned int order,
						      unsigned int *found)
{
	struct bs_byte_buddy_arena *arena;
	unsigned long index;

	lockdep_assert_held(&bb->lock);

	while (order < BS_BYTE_BUDDY_ORDERS && !bb->nr_free[order])
		order++;
	if (order == BS_BYTE_BUDDY_ORDERS)
		return NULL;
	*found = order;
	xa_for_each(&bb->arenas, index, arena)
		if (arena->nr_free[order])
			return arena;
	WARN(1, "byte buddy: %lu free blocks of order %u in no arena\n",
	     bb->nr_free[order], order);
	return NULL;
}

/* ---- Allocation and free ------------------------------------------------- */

/*
 * Place a block of @order holding @size bytes: find it, taking an arena if
 * none has room, index it, then split it down. Returns its arena and its
 * offset in @offset, or NULL with nothing changed.
 */
static struct bs_byte_buddy_arena *bs_byte_buddy_place(struct bs_byte_buddy *bb,
						       unsigned int order,
						       size_t size,
						       unsigned long *offset)
{
	struct bs_byte_buddy_arena *arena;
	unsigned int found;

	lockdep_assert_held(&bb->lock);

	arena = bs_byte_buddy_find(bb, order, &found);
	if (!arena) {
		arena = bs_byte_buddy_arena_add(bb);
		found = BS_BYTE_BUDDY_TOP;
	}
	if (!arena)
		return NULL;
	*offset = bs_byte_buddy_lowest_free(arena, found);
	/* Indexed before it is cut, so that a failure leaves nothing done. */
	if (bs_fault() ||
	    xa_insert(&arena->used, *offset / BS_BYTE_BUDDY_GRAIN,
		      xa_mk_value(size), GFP_KERNEL)) {
		/* Entirely free: taken for this request, so it goes back. */
		if (found == BS_BYTE_BUDDY_TOP)
			bs_byte_buddy_arena_remove(bb, arena);
		return NULL;
	}
	bs_byte_buddy_unmark_free(bb, arena, found, *offset);
	while (found > order) {
		found--;
		bs_byte_buddy_mark_free(bb, arena, found,
					*offset + bs_byte_buddy_block_bytes(found));
		bb->counters[BS_BYTE_BUDDY_SPLITS]++;
	}
	return arena;
}

/**
 * bs_byte_buddy_alloc() - allocate bytes from the byte buddy
 * @bb:		the allocator
 * @size:	bytes, 1 to BS_ARENA_BYTES
 * @granted:	out: bytes really reserved, bs_byte_buddy_granted(@size)
 *
 * Takes the lowest-address free block of the smallest order that holds
 * @size, over all arenas, and splits it down to that order; when no free
 * block is large enough, a new arena is taken from the page buddy. The
 * block is aligned to its size within its arena.
 *
 * Context: process context.
 * Return: the memory; NULL for a size out of range, or, counted as a
 * failure, if no memory can be had.
 */
void *bs_byte_buddy_alloc(struct bs_byte_buddy *bb, size_t size,
			  size_t *granted)
{
	struct bs_byte_buddy_arena *arena;
	unsigned long offset;
	unsigned int order;
	void *mem = NULL;

	if (!size || size > BS_ARENA_BYTES)
		return NULL;
	order = bs_byte_buddy_order(size);

	mutex_lock(&bb->lock);
	arena = bs_byte_buddy_place(bb, order, size, &offset);
	if (arena) {
		bb->used_bytes += bs_byte_buddy_block_bytes(order);
		bb->requested_bytes += size;
		bb->counters[BS_BYTE_BUDDY_ALLOCS]++;
		mem = arena->base + offset;
		*granted = bs_byte_buddy_block_bytes(order);
	} else {
		bb->counters[BS_BYTE_BUDDY_FAILS]++;
	}
	mutex_unlock(&bb->lock);
	return mem;
}

/**
 * bs_byte_buddy_free() - free what bs_byte_buddy_alloc() returned
 * @bb:		the allocator
 * @ptr:	the memory
 *
 * The block merges with its buddy while the buddy is free and whole; an
 * arena that is entirely free goes back to the page buddy.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if @ptr is not the start of an allocated block (a
 * double free, the inside of a block, memory of no arena); nothing but the
 * count of refused frees changes then.
 */
int bs_byte_buddy_free(struct bs_byte_buddy *bb, void *ptr)
{
	struct bs_byte_buddy_arena *arena;
	unsigned long pgoff, offset, buddy;
	unsigned int order;
	size_t requested;
	void *entry;

	if (bs_buddy_pgoff_of(bb->buddy, ptr, &pgoff))
		goto refused_unlocked;

	mutex_lock(&bb->lock);
	arena = xa_load(&bb->arenas, pgoff / BS_ARENA_PAGES);
	if (!arena)
		goto refused;
	offset = ptr - arena->base;
	if (offset % BS_BYTE_BUDDY_GRAIN)
		goto refused;
	entry = xa_erase(&arena->used, offset / BS_BYTE_BUDDY_GRAIN);
	if (!entry)
		goto refused;

	requested = xa_to_value(entry);
	order = bs_byte_buddy_order(requested);
	bb->used_bytes -= bs_byte_buddy_block_bytes(order);
	bb->requested_bytes -= requested;
	bb->counters[BS_BYTE_BUDDY_FREES]++;
	for (; order < BS_BYTE_BUDDY_TOP; order++) {
		buddy = offset ^ bs_byte_buddy_block_bytes(order);
		if (!bs_byte_buddy_is_free(arena, order, buddy))
			break;
		bs_byte_buddy_unmark_free(bb, arena, order, buddy);
		offset = min(offset, buddy);
		bb->counters[BS_BYTE_BUDDY_MERGES]++;
	}
	bs_byte_buddy_mark_free(bb, arena, order, offset);
	if (order == BS_BYTE_BUDDY_TOP)
		bs_byte_buddy_arena_remove(bb, arena);
	mutex_unlock(&bb->lock);
	return 0;

refused:
	bb->counters[BS_BYTE_BUDDY_FREES_REFUSED]++;
	mutex_unlock(&bb->lock);
	pr_err_ratelimited("byte buddy: refused to free offset %#llx: no allocation starts there\n",
			   ((u64)pgoff << PAGE_SHIFT) + offset_in_page(ptr));
	return -EINVAL;

refused_unlocked:
	mutex_lock(&bb->lock);
	bb->counters[BS_BYTE_BUDDY_FREES_REFUSED]++;
	mutex_unlock(&bb->lock);
	pr_err_ratelimited("byte buddy: refused to free an address outside the region\n");
	return -EINVAL;
}

/* ---- Statistics ---------------------------------------------------------- */

/**
 * bs_byte_buddy_stats() - take a snapshot of the allocator's figures
 * @bb:		the allocator
 * @stats:	out: the snapshot
 *
 * Context: process context.
 */
void bs_byte_buddy_stats(struct bs_byte_buddy *bb,
			 struct bs_byte_buddy_stats *stats)
{
	unsigned int order;

	memset(stats, 0, sizeof(*stats));
	mutex_lock(&bb->lock);
	stats->nr_arenas = bb->nr_arenas;
	for (order = 0; order < BS_BYTE_BUDDY_ORDERS; order++) {
		stats->nr_free_order[order] = bb->nr_free[order];
		stats->nr_free += bb->nr_free[order];
		stats->free_bytes += bb->nr_free[order] *
				     bs_byte_buddy_block_bytes(order);
		if (bb->nr_free[order])
			stats->largest_free = bs_byte_buddy_block_bytes(order);
	}
	stats->used_bytes = bb->used_bytes;
	stats->requested_bytes = bb->requested_bytes;
	memcpy(stats->counters, bb->counters, sizeof(stats->counters));
	mutex_unlock(&bb->lock);

	stats->extfrag = bs_arena_extfrag(stats->largest_free, stats->free_bytes);
}

/**
 * bs_byte_buddy_owns() - whether a page-buddy block is one of the arenas
 * @bb:		the allocator
 * @pgoff:	the block's first page
 *
 * Context: process context.
 * Return: true if the block at @pgoff is an arena of @bb.
 */
bool bs_byte_buddy_owns(struct bs_byte_buddy *bb, unsigned long pgoff)
{
	bool owns;

	if (pgoff % BS_ARENA_PAGES)
		return false;
	mutex_lock(&bb->lock);
	owns = xa_load(&bb->arenas, pgoff / BS_ARENA_PAGES);
	mutex_unlock(&bb->lock);
	return owns;
}

/* ---- Setup and teardown -------------------------------------------------- */

/**
 * bs_byte_buddy_init() - set up a byte buddy over a page buddy
 * @bb:		the allocator to set up
 * @buddy:	where its arenas come from; must outlive it
 *
 * It takes no arena until the first allocation.
 */
void bs_byte_buddy_init(struct bs_byte_buddy *bb, struct bs_buddy *buddy)
{
	memset(bb, 0, sizeof(*bb));
	bb->buddy = buddy;
	mutex_init(&bb->lock);
	xa_init(&bb->arenas);
}

/**
 * bs_byte_buddy_fini() - tear down a byte buddy
 * @bb:		the allocator
 *
 * Gives every arena back to the page buddy. Allocations still live are a
 * leak in the caller, reported with a warning; their memory goes back all
 * the same.
 */
void bs_byte_buddy_fini(struct bs_byte_buddy *bb)
{
	struct bs_byte_buddy_arena *arena;
	unsigned long index;

	mutex_lock(&bb->lock);
	WARN(bb->used_bytes, "byte buddy: %lu bytes still allocated at teardown\n",
	     bb->used_bytes);
	xa_for_each(&bb->arenas, index, arena)
		bs_byte_buddy_arena_release(bb, arena);
	mutex_unlock(&bb->lock);
	xa_destroy(&bb->arenas);
	mutex_destroy(&bb->lock);
}
