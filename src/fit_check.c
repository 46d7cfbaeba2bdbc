// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab fit checks: bs_fit_validate(), every invariant of the fit
 * allocators, for KUnit after each scenario and for debugfs validate.
 *
 * Each arena's blocks must cover it exactly, in address order, with no two
 * free neighbours; its allocation map must hold exactly its allocated
 * blocks; and the three structures of free blocks (fit.c) must each hold
 * exactly the free blocks, in their order, with the next-fit rover among
 * them. The counts the allocator keeps must agree with all of that.
 *
 * Validation changes nothing: it takes the allocator's mutex, the one lock
 * there is, so it sees a still allocator and may run at any time. The
 * first violation is reported.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/printk.h>

#include "fit_internal.h"

/* The index of @blk in its arena's allocation map. */
static unsigned long bs_fit_index(const struct bs_fit_block *blk)
{
	return (blk->addr - blk->arena->addr) / BS_FIT_GRAIN;
}

static int bs_fit_corrupt(const struct bs_fit_arena *arena, u64 addr,
			  const char *what)
{
	pr_err("validate: fit arena at %#llx, block at %#llx: %s\n",
	       arena ? arena->addr : 0, addr, what);
	return -EUCLEAN;
}

/* Every byte of an arena in exactly one block, and the blocks agree. */
static int bs_fit_arena_validate(struct bs_fit *fit, struct bs_fit_arena *arena,
				 unsigned long *nr_free, unsigned long *free_bytes,
				 unsigned long *used_bytes)
{
	struct bs_fit_block *blk, *found;
	unsigned long nr_used = 0, index;
	u64 at = arena->addr;
	bool prev_free = false;

	lockdep_assert_held(&fit->lock);

	list_for_each_entry(blk, &arena->blocks, node) {
		if (blk->arena != arena)
			return bs_fit_corrupt(arena, blk->addr, "block of another arena");
		if (blk->addr != at)
			return bs_fit_corrupt(arena, blk->addr, "gap or overlap before the block");
		if (!blk->size || blk->size % BS_FIT_GRAIN || blk->addr % BS_FIT_GRAIN)
			return bs_fit_corrupt(arena, blk->addr, "size or alignment not a multiple of the grain");
		if (blk->free && prev_free)
			return bs_fit_corrupt(arena, blk->addr, "two free neighbours not merged");
		found = xa_load(&arena->used, bs_fit_index(blk));
		if (blk->free ? found != NULL : found != blk)
			return bs_fit_corrupt(arena, blk->addr, "allocation map disagrees with the block");
		if (blk->free) {
			(*nr_free)++;
			*free_bytes += blk->size;
		} else {
			nr_used++;
			*used_bytes += blk->size;
		}
		prev_free = blk->free;
		at = bs_fit_end(blk);
	}
	if (at != arena->addr + BS_ARENA_BYTES)
		return bs_fit_corrupt(arena, at, "blocks do not cover the arena");
	xa_for_each(&arena->used, index, found)
		nr_used--;
	if (nr_used)
		return bs_fit_corrupt(arena, arena->addr, "allocation map holds blocks the arena does not");
	if (bs_buddy_block_tag(fit->buddy, arena->pgoff) != BS_BUDDY_TAG_ARENA)
		return bs_fit_corrupt(arena, arena->addr, "arena is not a fit block of the buddy");
	return 0;
}

/*
 * The free list is in address order, holds exactly the @nr_free free
 * blocks and agrees with the address tree. @rover_found: whether the
 * next-fit rover is one of them, or there is no rover.
 */
static int bs_fit_free_list_validate(struct bs_fit *fit, unsigned long nr_free,
				     bool *rover_found)
{
	struct rb_node *addr_node = rb_first(&fit->free_by_addr);
	struct bs_fit_block *blk, *prev = NULL;
	unsigned long n = 0;

	lockdep_assert_held(&fit->lock);

	*rover_found = !fit->rover;
	list_for_each_entry(blk, &fit->free_list, free_node) {
		if (!blk->free || ++n > nr_free || (prev && prev->addr >= blk->addr) ||
		    addr_node != &blk->addr_rb)
			return bs_fit_corrupt(blk->arena, blk->addr,
					      "free list out of order, or not as the address tree");
		*rover_found |= blk == fit->rover;
		addr_node = rb_next(addr_node);
		prev = blk;
	}
	if (n != nr_free || addr_node)
		return bs_fit_corrupt(NULL, 0, "free list or address tree misses a free block");
	return 0;
}

/*
 * The size tree is in order of size, then address, and holds exactly the
 * @nr_free free blocks.
 */
static int bs_fit_size_tree_validate(struct bs_fit *fit, unsigned long nr_free)
{
	struct bs_fit_block *blk, *prev = NULL;
	struct rb_node *size_node;
	unsigned long n = 0;

	lockdep_assert_held(&fit->lock);

	for (size_node = rb_first(&fit->free_by_size); size_node;
	     size_node = rb_next(size_node)) {
		blk = rb_entry(size_node, struct bs_fit_block, size_rb);
		if (!blk->free || ++n > nr_free || (prev && !bs_fit_size_less(prev, blk)))
			return bs_fit_corrupt(blk->arena, blk->addr, "size tree out of order");
		prev = blk;
	}
	if (n != nr_free)
		return bs_fit_corrupt(NULL, 0, "size tree misses a free block");
	return 0;
}

/**
 * bs_fit_validate() - check every invariant of the allocator
 * @fit:	the allocator
 *
 * Checks that the blocks of each arena cover it exactly, in order, with no
 * two free neighbours, all sizes and addresses multiples of the grain; that
 * the allocation maps hold exactly the allocated blocks; that the free list
 * is in address order and holds exactly the free blocks, and agrees with
 * both trees; and that the counts agree. The first violation is reported
 * with pr_err().
 *
 * Context: process context.
 * Return: 0 if all holds, -EUCLEAN otherwise.
 */
int bs_fit_validate(struct bs_fit *fit)
{
	unsigned long nr_free = 0, free_bytes = 0, used_bytes = 0, n = 0;
	struct bs_fit_arena *arena;
	bool rover_found;
	int ret = 0;

	mutex_lock(&fit->lock);
	list_for_each_entry(arena, &fit->arenas, list) {
		ret = bs_fit_arena_validate(fit, arena, &nr_free, &free_bytes,
					    &used_bytes);
		if (ret)
			goto out;
		n++;
	}
	if (n != fit->nr_arenas || nr_free != fit->nr_free ||
	    free_bytes != fit->free_bytes || used_bytes != fit->used_bytes) {
		ret = bs_fit_corrupt(NULL, 0, "counts differ from the blocks");
		goto out;
	}
	ret = bs_fit_free_list_validate(fit, nr_free, &rover_found) ?:
	      bs_fit_size_tree_validate(fit, nr_free);
	if (!ret && !rover_found)
		ret = bs_fit_corrupt(NULL, 0, "next-fit rover is not a free block");
out:
	mutex_unlock(&fit->lock);
	return ret;
}
