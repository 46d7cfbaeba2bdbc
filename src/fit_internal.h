/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab fit, private: what fit.c and fit_check.c share, the arena and
 * block descriptors and the order of the size tree. Nothing above the fit
 * allocators includes it: fit.h is their API.
 */
#ifndef _BUDDYSLAB_FIT_INTERNAL_H
#define _BUDDYSLAB_FIT_INTERNAL_H

#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "fit.h"

/**
 * struct bs_fit_arena - one buddy block managed by the fit allocators
 * @list:	in the allocator's arenas
 * @blocks:	every block, free or allocated, in address order
 * @used:	offset / BS_FIT_GRAIN -> allocated block starting there
 * @base:	kernel address of the arena
 * @addr:	its offset in the device's linear space
 * @pgoff:	its buddy block
 */
struct bs_fit_arena {
	struct list_head list;
	struct list_head blocks;
	struct xarray used;
	void *base;
	u64 addr;
	unsigned long pgoff;
};

/**
 * struct bs_fit_block - descriptor of one block, free or allocated
 * @node:	in the arena's blocks, in address order
 * @free_node:	free: in the allocator's free_list
 * @addr_rb:	free: in free_by_addr
 * @size_rb:	free: in free_by_size
 * @arena:	the arena
 * @addr:	offset in the device's linear space
 * @size:	bytes
 * @requested:	allocated: bytes the user asked for
 * @free:	whether the block is free
 */
struct bs_fit_block {
	struct list_head node;
	struct list_head free_node;
	struct rb_node addr_rb;
	struct rb_node size_rb;
	struct bs_fit_arena *arena;
	u64 addr;
	unsigned long size;
	unsigned long requested;
	bool free;
};

/* Where @blk ends: the offset of the block after it. */
static inline u64 bs_fit_end(const struct bs_fit_block *blk)
{
	return blk->addr + blk->size;
}

/* The order of free_by_size: by size, then by address. */
static inline bool bs_fit_size_less(const struct bs_fit_block *a,
				    const struct bs_fit_block *b)
{
	return a->size < b->size || (a->size == b->size && a->addr < b->addr);
}

#endif /* _BUDDYSLAB_FIT_INTERNAL_H */
