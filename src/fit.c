// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab fit: the classic sequential-fit allocators, first fit, next fit,
 * best fit and worst fit, over arenas taken from the buddy allocator.
 *
 * An arena is one buddy block of the largest order (4 MiB on x86-64), taken
 * when no free block can serve a request and given back as soon as it is
 * entirely free again. Within arenas memory is byte-granular: requests are
 * rounded up to BS_FIT_GRAIN (16) bytes and aligned to at least that, or to
 * the alignment asked for.
 *
 * Every block, free or allocated, has a descriptor outside the managed
 * memory, on its arena's list of blocks in address order: the boundary tags
 * of the textbook, kept out of band. A freed block merges with a free
 * neighbour on either side at once, so no two adjacent blocks are ever both
 * free. Allocated blocks are found by address in the arena's xarray, keyed
 * by offset / BS_FIT_GRAIN: a pointer that is not the start of an allocated
 * block (a double free, the inside of a block, memory of no arena) finds
 * nothing and the free is refused, changing nothing.
 *
 * Free blocks are also kept three ways across all arenas:
 *
 *   free_list      in address order: first fit takes the first that fits,
 *                  next fit the first from the rover on, wrapping around;
 *   free_by_addr   an rbtree by address, to insert into free_list in order
 *                  in O(log n);
 *   free_by_size   an rbtree by size then address: best fit takes the
 *                  smallest block that fits (the lowest address among equal
 *                  sizes) and worst fit the largest, each in O(log n)
 *                  rather than a scan of every free block.
 *
 * Addresses are byte offsets in the device's linear space, so the order of
 * blocks is the order a user sees. A large alignment can make a block that
 * is big enough unusable; the searches then move on to the next candidate.
 *
 * The files:
 *
 *   fit.c          the free-block structures, the searches, arenas,
 *                  allocation and free, and snapshots of the counters
 *   fit_check.c    bs_fit_validate(), every invariant
 *
 * fit.h is the API; fit_internal.h is what the two share: the arena and
 * block descriptors.
 *
 * Locking: one mutex covers the allocator. Sequential fits search a global
 * structure, and the mutex lets an allocation take an arena from the buddy
 * and allocate descriptors without dropping it.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "fault.h"
#include "fit_internal.h"

const char *const bs_fit_policy_names[] = {
	[BS_FIT_FIRST]	= "first",
	[BS_FIT_NEXT]	= "next",
	[BS_FIT_BEST]	= "best",
	[BS_FIT_WORST]	= "worst",
};
static_assert(ARRAY_SIZE(bs_fit_policy_names) == BS_FIT_NR_POLICIES);

const char *const bs_fit_policy_counter_names[] = {
	[BS_FIT_ALLOCS]	= "allocs",
	[BS_FIT_FAILS]	= "fails",
};
static_assert(ARRAY_SIZE(bs_fit_policy_counter_names) == BS_FIT_NR_POLICY_COUNTERS);

const char *const bs_fit_counter_names[] = {
	[BS_FIT_FREES]		= "frees",
	[BS_FIT_FREES_REFUSED]	= "frees_refused",
	[BS_FIT_MERGES]		= "merges",
	[BS_FIT_ARENAS_TAKEN]	= "arenas_taken",
	[BS_FIT_ARENAS_GIVEN]	= "arenas_given",
};
static_assert(ARRAY_SIZE(bs_fit_counter_names) == BS_FIT_NR_COUNTERS);

/* ---- Free-block structures ----------------------------------------------- */

static void bs_fit_insert_free(struct bs_fit *fit, struct bs_fit_block *blk)
{
	struct rb_node **link, *parent = NULL, *prev;
	struct bs_fit_block *pos;

	lockdep_assert_held(&fit->lock);

	blk->free = true;
	link = &fit->free_by_addr.rb_node;
	while (*link) {
		parent = *link;
		pos = rb_entry(parent, struct bs_fit_block, addr_rb);
		link = blk->addr < pos->addr ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&blk->addr_rb, parent, link);
	rb_insert_color(&blk->addr_rb, &fit->free_by_addr);

	/* The list follows the tree: after the free block just below. */
	prev = rb_prev(&blk->addr_rb);
	if (prev)
		list_add(&blk->free_node,
			 &rb_entry(prev, struct bs_fit_block, addr_rb)->free_node);
	else
		list_add(&blk->free_node, &fit->free_list);

	parent = NULL;
	link = &fit->free_by_size.rb_node;
	while (*link) {
		parent = *link;
		pos = rb_entry(parent, struct bs_fit_block, size_rb);
		link = bs_fit_size_less(blk, pos) ? &parent->rb_left :
						    &parent->rb_right;
	}
	rb_link_node(&blk->size_rb, parent, link);
	rb_insert_color(&blk->size_rb, &fit->free_by_size);

	fit->nr_free++;
	fit->free_bytes += blk->size;
}

/* The free block after @blk in address order, or NULL. */
static struct bs_fit_block *bs_fit_next_free(struct bs_fit *fit,
					     struct bs_fit_block *blk)
{
	lockdep_assert_held(&fit->lock);

	return list_is_last(&blk->free_node, &fit->free_list) ? NULL :
	       list_next_entry(blk, free_node);
}

/*
 * Take a free block off the free structures. The caller moves the rover
 * off it first: where to depends on why the block goes.
 */
static void bs_fit_remove_free(struct bs_fit *fit, struct bs_fit_block *blk)
{
	lockdep_assert_held(&fit->lock);

	list_del(&blk->free_node);
	rb_erase(&blk->addr_rb, &fit->free_by_addr);
	rb_erase(&blk->size_rb, &fit->free_by_size);
	blk->free = false;
	fit->nr_free--;
	fit->free_bytes -= blk->size;
}

/* ---- Searches ------------------------------------------------------------ */

/* Where an allocation of @size aligned to @align would start in @blk. */
static bool bs_fit_fits(const struct bs_fit_block *blk, size_t size,
			size_t align, u64 *start)
{
	u64 at = ALIGN(blk->addr, align);

	*start = at;
	return at + size <= bs_fit_end(blk);
}

static struct bs_fit_block *bs_fit_first(struct bs_fit *fit, size_t size,
					 size_t align, u64 *start)
{
	struct bs_fit_block *blk;

	list_for_each_entry(blk, &fit->free_list, free_node)
		if (bs_fit_fits(blk, size, align, start))
			return blk;
	return NULL;
}

static struct bs_fit_block *bs_fit_next(struct bs_fit *fit, size_t size,
					size_t align, u64 *start)
{
	struct bs_fit_block *blk, *rover = fit->rover;

	if (!rover)
		return bs_fit_first(fit, size, align, start);
	blk = rover;
	list_for_each_entry_from(blk, &fit->free_list, free_node)
		if (bs_fit_fits(blk, size, align, start))
			return blk;
	list_for_each_entry(blk, &fit->free_list, free_node) {
		if (blk == rover)
			break;
		if (bs_fit_fits(blk, size, align, start))
			return blk;
	}
	return NULL;
}

static struct bs_fit_block *bs_fit_best(struct bs_fit *fit, size_t size,
					size_t align, u64 *start)
{
	struct rb_node *node = fit->free_by_size.rb_node, *found = NULL;
	struct bs_fit_block *blk;

	/* The leftmost block of at least @size. */
	while (node) {
		blk = rb_entry(node, struct bs_fit_block, size_rb);
		if (blk->size >= size) {
			found = node;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	for (; found; found = rb_next(found)) {
		blk = rb_entry(found, struct bs_fit_block, size_rb);
		if (bs_fit_fits(blk, size, align, start))
			return blk;
	}
	return NULL;
}

static struct bs_fit_block *bs_fit_worst(struct bs_fit *fit, size_t size,
					 size_t align, u64 *start)
{
	struct rb_node *node;
	struct bs_fit_block *blk;

	for (node = rb_last(&fit->free_by_size); node; node = rb_prev(node)) {
		blk = rb_entry(node, struct bs_fit_block, size_rb);
		if (blk->size < size)
			break;
		if (bs_fit_fits(blk, size, align, start))
			return blk;
	}
	return NULL;
}

static struct bs_fit_block *bs_fit_search(struct bs_fit *fit,
					  enum bs_fit_policy policy,
					  size_t size, size_t align, u64 *start)
{
	lockdep_assert_held(&fit->lock);

	switch (policy) {
	case BS_FIT_FIRST:
		return bs_fit_first(fit, size, align, start);
	case BS_FIT_NEXT:
		return bs_fit_next(fit, size, align, start);
	case BS_FIT_BEST:
		return bs_fit_best(fit, size, align, start);
	case BS_FIT_WORST:
		return bs_fit_worst(fit, size, align, start);
	default:
		return NULL;
	}
}

/* ---- Arenas -------------------------------------------------------------- */

/* Take an arena from the buddy: one free block covering it. */
static int bs_fit_arena_add(struct bs_fit *fit, struct bs_fit_block *blk)
{
	struct bs_fit_arena *arena;
	unsigned long pgoff;
	int ret;

	lockdep_assert_held(&fit->lock);

	arena = bs_fault() ? NULL : kzalloc(sizeof(*arena), GFP_KERNEL);
	if (!arena)
		return -ENOMEM;
	ret = bs_buddy_alloc(fit->buddy, BS_BUDDY_MAX_ORDER, BS_BUDDY_TAG_ARENA,
			     &pgoff);
	if (ret) {
		kfree(arena);
		return ret;
	}
	ret = bs_fault() ? -ENOMEM :
	      xa_insert(&fit->arena_index, pgoff / BS_ARENA_PAGES, arena,
			GFP_KERNEL);
	if (ret) {
		WARN_ON(bs_buddy_free(fit->buddy, pgoff));
		kfree(arena);
		return ret;
	}
	arena->pgoff = pgoff;
	arena->addr = (u64)pgoff << PAGE_SHIFT;
	arena->base = bs_buddy_addr(fit->buddy, pgoff);
	INIT_LIST_HEAD(&arena->blocks);
	xa_init(&arena->used);
	list_add_tail(&arena->list, &fit->arenas);
	fit->nr_arenas++;
	fit->counters[BS_FIT_ARENAS_TAKEN]++;

	blk->arena = arena;
	blk->addr = arena->addr;
	blk->size = BS_ARENA_BYTES;
	list_add(&blk->node, &arena->blocks);
	bs_fit_insert_free(fit, blk);
	return 0;
}

/* Give an arena whose one block @blk is free back to the buddy. */
static void bs_fit_arena_remove(struct bs_fit *fit, struct bs_fit_block *blk)
{
	struct bs_fit_arena *arena = blk->arena;

	lockdep_assert_held(&fit->lock);

	if (fit->rover == blk)
		fit->rover = bs_fit_next_free(fit, blk);
	bs_fit_remove_free(fit, blk);
	list_del(&blk->node);
	kfree(blk);
	list_del(&arena->list);
	xa_erase(&fit->arena_index, arena->pgoff / BS_ARENA_PAGES);
	xa_destroy(&arena->used);
	WARN_ON(bs_buddy_free(fit->buddy, arena->pgoff));
	kfree(arena);
	fit->nr_arenas--;
	fit->counters[BS_FIT_ARENAS_GIVEN]++;
}

/* ---- Allocation and free ------------------------------------------------- */

/*
 * Cut an allocation of @size at @start out of the free block @blk. What is
 * left before and after stays free, in @spare descriptors (used ones are
 * set to NULL). The rover, if it was on @blk or @move_rover says so, goes
 * on from what is left after the allocation, or else from the next free
 * block. Returns the allocated block: @blk itself.
 */
static struct bs_fit_block *bs_fit_carve(struct bs_fit *fit,
					 struct bs_fit_block *blk, u64 start,
					 size_t size, struct bs_fit_block **spare,
					 bool move_rover)
{
	struct bs_fit_block *piece, *tail = NULL;
	const u64 end = bs_fit_end(blk);

	lockdep_assert_held(&fit->lock);

	move_rover |= fit->rover == blk;
	if (move_rover)
		fit->rover = bs_fit_next_free(fit, blk);
	bs_fit_remove_free(fit, blk);
	if (start > blk->addr) {
		piece = spare[0];
		spare[0] = NULL;
		piece->arena = blk->arena;
		piece->addr = blk->addr;
		piece->size = start - blk->addr;
		list_add_tail(&piece->node, &blk->node);
		bs_fit_insert_free(fit, piece);
	}
	if (start + size < end) {
		tail = spare[1];
		spare[1] = NULL;
		tail->arena = blk->arena;
		tail->addr = start + size;
		tail->size = end - tail->addr;
		list_add(&tail->node, &blk->node);
		bs_fit_insert_free(fit, tail);
		if (move_rover)
			fit->rover = tail;
	}
	blk->addr = start;
	blk->size = size;
	return blk;
}

/*
 * Find room for @size bytes aligned to @align with @policy, taking a new
 * arena from the buddy if no free block has it, and cut the allocation
 * out. @spare are descriptors for what is left free before and after it
 * (0 and 1) and for a new arena (2); those used are set to NULL. Caller
 * holds the lock. Returns the allocated block, or NULL with nothing
 * changed.
 */
static struct bs_fit_block *bs_fit_place(struct bs_fit *fit,
					 enum bs_fit_policy policy,
					 size_t size, size_t align,
					 struct bs_fit_block **spare)
{
	struct bs_fit_arena *arena;
	struct bs_fit_block *blk;
	u64 start;

	lockdep_assert_held(&fit->lock);

	blk = bs_fit_search(fit, policy, size, align, &start);
	if (!blk && !bs_fit_arena_add(fit, spare[2])) {
		spare[2] = NULL;
		blk = bs_fit_search(fit, policy, size, align, &start);
	}
	if (!blk)
		return NULL;
	/* Indexed before it is cut, so that a failure leaves nothing done. */
	arena = blk->arena;
	if (bs_fault() ||
	    xa_insert(&arena->used, (start - arena->addr) / BS_FIT_GRAIN, blk,
		      GFP_KERNEL)) {
		/* An arena taken for this request goes back. */
		if (blk->size == BS_ARENA_BYTES)
			bs_fit_arena_remove(fit, blk);
		return NULL;
	}
	/* Next fit goes on from where this allocation ends. */
	return bs_fit_carve(fit, blk, start, size, spare, policy == BS_FIT_NEXT);
}

/**
 * bs_fit_alloc() - allocate bytes with a sequential-fit policy
 * @fit:	the allocator
 * @size:	bytes, 1 to BS_ARENA_BYTES; rounded up to BS_FIT_GRAIN
 * @align:	0, or a power of two up to BS_ARENA_BYTES; at least
 *		BS_FIT_GRAIN is used
 * @policy:	which free block to take
 * @granted:	out: bytes really reserved
 *
 * When no free block fits, a new arena is taken from the buddy.
 *
 * Context: process context.
 * Return: the memory, or NULL for bad arguments or if no memory can be had.
 */
void *bs_fit_alloc(struct bs_fit *fit, size_t size, size_t align,
		   enum bs_fit_policy policy, size_t *granted)
{
	struct bs_fit_block *spare[3] = {}, *blk = NULL;
	const size_t requested = size;
	void *mem = NULL;
	unsigned int i;

	if (!size || size > BS_ARENA_BYTES || policy >= BS_FIT_NR_POLICIES ||
	    (align && (!is_power_of_2(align) || align > BS_ARENA_BYTES)))
		return NULL;
	size = bs_fit_granted(size);
	align = max_t(size_t, align, BS_FIT_GRAIN);

	/*
	 * The descriptors bs_fit_place() may need. They are the caller's, so
	 * its memory cgroup pays for them. A request refused for want of
	 * them is counted as failed all the same.
	 */
	for (i = 0; i < ARRAY_SIZE(spare); i++) {
		spare[i] = bs_fault() ? NULL :
			   kzalloc(sizeof(*spare[i]), GFP_KERNEL_ACCOUNT);
		if (!spare[i])
			break;
	}

	mutex_lock(&fit->lock);
	if (i == ARRAY_SIZE(spare))
		blk = bs_fit_place(fit, policy, size, align, spare);
	if (blk) {
		blk->requested = requested;
		fit->used_bytes += blk->size;
		fit->requested_bytes += requested;
		fit->policy_counters[policy][BS_FIT_ALLOCS]++;
		mem = blk->arena->base + (blk->addr - blk->arena->addr);
		*granted = blk->size;
	} else {
		fit->policy_counters[policy][BS_FIT_FAILS]++;
	}
	mutex_unlock(&fit->lock);
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		kfree(spare[i]);
	return mem;
}

/*
 * Merge a newly freed block with a free neighbour; frees the neighbour. A
 * rover on the neighbour stays on the merged block, which bs_fit_free()
 * makes free at once: that memory is where next fit goes on from.
 */
static void bs_fit_merge(struct bs_fit *fit, struct bs_fit_block *blk,
			 struct bs_fit_block *neighbour)
{
	lockdep_assert_held(&fit->lock);

	if (fit->rover == neighbour)
		fit->rover = blk;
	bs_fit_remove_free(fit, neighbour);
	blk->addr = min(blk->addr, neighbour->addr);
	blk->size += neighbour->size;
	list_del(&neighbour->node);
	kfree(neighbour);
	fit->counters[BS_FIT_MERGES]++;
}

/**
 * bs_fit_free() - free what bs_fit_alloc() returned
 * @fit:	the allocator
 * @ptr:	the memory
 *
 * The block merges with a free neighbour on either side; an arena that is
 * entirely free goes back to the buddy.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if @ptr is not the start of an allocated block (a
 * double free, the inside of a block, memory of no arena); nothing changes
 * then.
 */
int bs_fit_free(struct bs_fit *fit, void *ptr)
{
	struct bs_fit_block *blk, *prev, *next;
	struct bs_fit_arena *arena;
	unsigned long pgoff;
	u64 addr;

	if (bs_buddy_pgoff_of(fit->buddy, ptr, &pgoff))
		goto refused_unlocked;
	addr = ((u64)pgoff << PAGE_SHIFT) + offset_in_page(ptr);

	mutex_lock(&fit->lock);
	arena = xa_load(&fit->arena_index, pgoff / BS_ARENA_PAGES);
	if (!arena || (addr - arena->addr) % BS_FIT_GRAIN)
		goto refused;
	blk = xa_erase(&arena->used, (addr - arena->addr) / BS_FIT_GRAIN);
	if (!blk)
		goto refused;

	fit->used_bytes -= blk->size;
	fit->requested_bytes -= blk->requested;
	fit->counters[BS_FIT_FREES]++;
	if (!list_is_first(&blk->node, &arena->blocks)) {
		prev = list_prev_entry(blk, node);
		if (prev->free)
			bs_fit_merge(fit, blk, prev);
	}
	if (!list_is_last(&blk->node, &arena->blocks)) {
		next = list_next_entry(blk, node);
		if (next->free)
			bs_fit_merge(fit, blk, next);
	}
	bs_fit_insert_free(fit, blk);
	if (blk->size == BS_ARENA_BYTES)
		bs_fit_arena_remove(fit, blk);
	mutex_unlock(&fit->lock);
	return 0;

refused:
	fit->counters[BS_FIT_FREES_REFUSED]++;
	mutex_unlock(&fit->lock);
	pr_err_ratelimited("fit: refused to free offset %#llx: no allocation starts there\n",
			   addr);
	return -EINVAL;

refused_unlocked:
	mutex_lock(&fit->lock);
	fit->counters[BS_FIT_FREES_REFUSED]++;
	mutex_unlock(&fit->lock);
	pr_err_ratelimited("fit: refused to free an address outside the region\n");
	return -EINVAL;
}

/* ---- Statistics ---------------------------------------------------------- */

/**
 * bs_fit_stats() - take a snapshot of the allocator's figures
 * @fit:	the allocator
 * @stats:	out: the snapshot
 *
 * Context: process context.
 */
void bs_fit_stats(struct bs_fit *fit, struct bs_fit_stats *stats)
{
	struct rb_node *largest;

	mutex_lock(&fit->lock);
	stats->nr_arenas = fit->nr_arenas;
	stats->nr_free = fit->nr_free;
	stats->free_bytes = fit->free_bytes;
	largest = rb_last(&fit->free_by_size);
	stats->largest_free = largest ?
		rb_entry(largest, struct bs_fit_block, size_rb)->size : 0;
	stats->used_bytes = fit->used_bytes;
	stats->requested_bytes = fit->requested_bytes;
	memcpy(stats->policy_counters, fit->policy_counters,
	       sizeof(stats->policy_counters));
	memcpy(stats->counters, fit->counters, sizeof(stats->counters));
	mutex_unlock(&fit->lock);

	stats->extfrag = bs_arena_extfrag(stats->largest_free, stats->free_bytes);
}

/* ---- Setup and teardown -------------------------------------------------- */

/**
 * bs_fit_init() - set up the fit allocators over a buddy allocator
 * @fit:	the allocator to set up
 * @buddy:	where its arenas come from; must outlive it
 */
void bs_fit_init(struct bs_fit *fit, struct bs_buddy *buddy)
{
	memset(fit, 0, sizeof(*fit));
	fit->buddy = buddy;
	mutex_init(&fit->lock);
	INIT_LIST_HEAD(&fit->arenas);
	xa_init(&fit->arena_index);
	INIT_LIST_HEAD(&fit->free_list);
	fit->free_by_addr = RB_ROOT;
	fit->free_by_size = RB_ROOT;
}

/**
 * bs_fit_fini() - tear down the fit allocators
 * @fit:	the allocator; every allocation must be free again, and then
 *		no arena is left
 *
 * An arena still there is a leak in the caller, reported with a warning
 * (its memory stays with the buddy).
 */
void bs_fit_fini(struct bs_fit *fit)
{
	WARN(fit->nr_arenas, "%lu fit arenas still in use at teardown\n",
	     fit->nr_arenas);
	xa_destroy(&fit->arena_index);
}
