// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab byte buddy checks: bs_byte_buddy_validate(), every invariant of
 * the byte buddy, for KUnit after each scenario and for debugfs validate.
 *
 * Each arena is walked in address order: its allocated blocks, from its
 * xarray, and between them its free blocks, from the free maps, must cover
 * it exactly, each aligned to its size, with no free block whose buddy is
 * free too and no arena entirely free. A free block or allocation inside
 * another block is not on the walk's path, so the walk counts what it
 * met and the free maps, their summaries and the counts must agree with
 * that exactly.
 *
 * Validation changes nothing: it takes the allocator's mutex, the one lock
 * there is, so it sees a still allocator and may run at any time. The
 * first violation is reported.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/printk.h>
#include <linux/sched.h>

#include "byte_buddy_internal.h"

static int bs_byte_buddy_corrupt(const struct bs_byte_buddy_arena *arena,
				 unsigned long offset, const char *what)
{
	pr_err("validate: byte buddy arena at %#llx, block at +%#lx: %s\n",
	       arena ? (u64)arena->pgoff << PAGE_SHIFT : 0, offset, what);
	return -EUCLEAN;
}

/* How many free blocks start at @offset, and the order of the largest. */
static unsigned int bs_byte_buddy_heads_at(const struct bs_byte_buddy_arena *arena,
					   unsigned long offset,
					   unsigned int *order)
{
	unsigned int o, heads = 0;

	for (o = 0; o < BS_BYTE_BUDDY_ORDERS &&
		    IS_ALIGNED(offset, bs_byte_buddy_block_bytes(o)); o++) {
		if (bs_byte_buddy_is_free(arena, o, offset)) {
			heads++;
			*order = o;
		}
	}
	return heads;
}

/*
 * The free blocks between @from and @to, where no block is allocated:
 * they must fill it exactly, none with a free buddy, and no arena may be
 * entirely free. Counts them by order in @seen.
 */
static int bs_byte_buddy_gap_validate(const struct bs_byte_buddy_arena *arena,
				      unsigned long from, unsigned long to,
				      unsigned long seen[BS_BYTE_BUDDY_ORDERS])
{
	unsigned int order;

	while (from < to) {
		if (bs_byte_buddy_heads_at(arena, from, &order) != 1)
			return bs_byte_buddy_corrupt(arena, from,
						     "not exactly one free block starts here");
		if (from + bs_byte_buddy_block_bytes(order) > to)
			return bs_byte_buddy_corrupt(arena, from,
						     "free block overlaps an allocated block");
		if (order == BS_BYTE_BUDDY_TOP)
			return bs_byte_buddy_corrupt(arena, from,
						     "entirely free arena not given back");
		if (bs_byte_buddy_is_free(arena, order,
					  from ^ bs_byte_buddy_block_bytes(order)))
			return bs_byte_buddy_corrupt(arena, from,
						     "free buddies not merged");
		seen[order]++;
		from += bs_byte_buddy_block_bytes(order);
	}
	return 0;
}

/* The bitmaps of @order agree with what the walk saw and with the counts. */
static int bs_byte_buddy_maps_validate(const struct bs_byte_buddy_arena *arena,
				       unsigned int order, unsigned long seen)
{
	const unsigned long words = bs_byte_buddy_map_words(order);
	unsigned long w;

	if (bitmap_weight(arena->free_map[order], words * BITS_PER_LONG) != seen ||
	    arena->nr_free[order] != seen)
		return bs_byte_buddy_corrupt(arena, 0,
					     "free map or count disagrees with the free blocks");
	for (w = 0; w < words; w++)
		if (test_bit(w, arena->summary[order]) != !!arena->free_map[order][w])
			return bs_byte_buddy_corrupt(arena, w * BITS_PER_LONG <<
						     (order + BS_BYTE_BUDDY_GRAIN_SHIFT),
						     "summary disagrees with the free map");
	return 0;
}

/*
 * Every byte of an arena in exactly one block, allocated or free; the
 * bitmaps and counts agree. Adds its free blocks per order to @nr_free and
 * its allocated blocks' bytes to @used and @requested.
 */
static int bs_byte_buddy_arena_validate(struct bs_byte_buddy *bb,
					struct bs_byte_buddy_arena *arena,
					unsigned long nr_free[BS_BYTE_BUDDY_ORDERS],
					unsigned long *used, unsigned long *requested)
{
	unsigned long seen[BS_BYTE_BUDDY_ORDERS] = {};
	unsigned long index, size, at = 0, start;
	unsigned int order, free_order;
	void *entry;
	int ret;

	lockdep_assert_held(&bb->lock);

	if (arena->base != bs_buddy_addr(bb->buddy, arena->pgoff) ||
	    bs_buddy_block_tag(bb->buddy, arena->pgoff) != BS_BUDDY_TAG_ARENA)
		return bs_byte_buddy_corrupt(arena, 0, "arena is not an arena block of the buddy");
	xa_for_each(&arena->used, index, entry) {
		start = index * BS_BYTE_BUDDY_GRAIN;
		size = xa_is_value(entry) ? xa_to_value(entry) : 0;
		if (!size || size > BS_ARENA_BYTES)
			return bs_byte_buddy_corrupt(arena, start, "allocation map entry is not a size");
		order = bs_byte_buddy_order(size);
		if (start < at || start % bs_byte_buddy_block_bytes(order))
			return bs_byte_buddy_corrupt(arena, start,
						     "allocated block misaligned or inside another");
		if (bs_byte_buddy_heads_at(arena, start, &free_order))
			return bs_byte_buddy_corrupt(arena, start, "allocated block marked free");
		ret = bs_byte_buddy_gap_validate(arena, at, start, seen);
		if (ret)
			return ret;
		*used += bs_byte_buddy_block_bytes(order);
		*requested += size;
		at = start + bs_byte_buddy_block_bytes(order);
	}
	ret = bs_byte_buddy_gap_validate(arena, at, BS_ARENA_BYTES, seen);
	for (order = 0; !ret && order < BS_BYTE_BUDDY_ORDERS; order++) {
		ret = bs_byte_buddy_maps_validate(arena, order, seen[order]);
		nr_free[order] += seen[order];
	}
	return ret;
}

/**
 * bs_byte_buddy_validate() - check every invariant of the allocator
 * @bb:		the allocator
 *
 * Checks, arena by arena, that it is an arena block of the page buddy and
 * not entirely free; that its allocated and free blocks cover it exactly,
 * each aligned to its size, the allocated ones with a size their order
 * holds; that no free block has a free buddy; that the free maps hold
 * exactly the free blocks, the summaries exactly their non-zero words, and
 * the counts agree; then that the allocator's counts are the sums. The
 * first violation is reported with pr_err().
 *
 * Validation changes nothing; it holds the mutex, so it sees a still
 * allocator and may run at any time.
 *
 * Context: process context.
 * Return: 0 if all holds, -EUCLEAN otherwise.
 */
int bs_byte_buddy_validate(struct bs_byte_buddy *bb)
{
	unsigned long nr_free[BS_BYTE_BUDDY_ORDERS] = {};
	unsigned long used = 0, requested = 0, n = 0, index;
	struct bs_byte_buddy_arena *arena;
	unsigned int order;
	int ret = 0;

	mutex_lock(&bb->lock);
	xa_for_each(&bb->arenas, index, arena) {
		if (index != arena->pgoff / BS_ARENA_PAGES || arena->pgoff % BS_ARENA_PAGES) {
			ret = bs_byte_buddy_corrupt(arena, 0, "arena filed under another number");
			goto out;
		}
		ret = bs_byte_buddy_arena_validate(bb, arena, nr_free, &used,
						   &requested);
		if (ret)
			goto out;
		n++;
		cond_resched();
	}
	if (n != bb->nr_arenas || used != bb->used_bytes ||
	    requested != bb->requested_bytes) {
		ret = bs_byte_buddy_corrupt(NULL, 0, "counts differ from the blocks");
		goto out;
	}
	for (order = 0; order < BS_BYTE_BUDDY_ORDERS; order++) {
		if (nr_free[order] != bb->nr_free[order]) {
			ret = bs_byte_buddy_corrupt(NULL, 0,
						    "free blocks per order differ from the arenas'");
			goto out;
		}
	}
out:
	mutex_unlock(&bb->lock);
	return ret;
}
