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
 * Arenas are aligned to their size in page numbering, so a buddy is always
 * in the same arena.
 *
 * Per-CPU caches. Blocks of order 0 to BS_BUDDY_PCP_MAX_ORDER are allocated
 * from and freed to a per-CPU cache first, like the kernel's per-CPU page
 * lists and Bonwick's magazines: an empty cache is refilled with a batch of
 * BS_BUDDY_PCP_BATCH pages' worth of blocks, taken under one arena lock, and
 * a cache holding more than BS_BUDDY_PCP_HIGH pages of an order gives its
 * oldest batch back.
 * Caches never hide memory. When a request fails, it raises @reclaimers,
 * drains every cache into the free lists, runs the shrinkers and tries once
 * more. While @reclaimers is raised the caches take nothing in: a free goes
 * straight to its arena and an empty cache serves one block from the arenas
 * instead of a batch. A CPU checks @reclaimers under its cache's local
 * lock, and the drain runs on each CPU in turn (bs_cpu_each()) under the
 * same local lock, after @reclaimers was raised: what a CPU cached before
 * the drain, the drain takes; what the CPU does after it follows it on the
 * same CPU, and sees @reclaimers raised (queueing the drain's work on that
 * CPU ordered the raise before the drain). An offline CPU's cache, which
 * no task can use, is drained from the reclaimer under @walk_lock. So once
 * the drain is done every cache is empty and stays so until the retry is
 * over, and the drained blocks are in the free lists and the summary for
 * the retry to see. A request therefore fails only if, at the retry, no
 * arena had a block large enough while no cache held any: because of live
 * allocations, never because of the caches. A region whose allocations
 * were all freed can always be allocated again whole, and one where other
 * tasks hold at most n blocks at any time gives at least (arenas - n)
 * blocks of the largest order, whatever they do.
 *
 * Choosing an arena. A summary of free orders, per order a bitmap of the
 * arenas that may have a free block of that order, is read without locks
 * to find an arena that can serve a request; the arena's lock then
 * confirms it. An arena's bit is set, under its lock, whenever it gets a
 * block of an order it had none of, so the summary never misses an arena
 * that can serve; the bit stays when the arena runs out of the order, and
 * is cleared only by a search that finds so under the arena's lock, after
 * which the search goes on. A split and a merge, which empty and refill
 * orders all the time, thus change no shared word in the steady state:
 * the summary costs an atomic bit operation only when an arena gets an
 * order back after a search found it without. A search reads a few bitmap
 * words per order and locks no arena that cannot help but for stale bits,
 * each cleared once, however large the region. Which arena:
 *
 *   - A request of an order the caches do not hold takes the lowest arena
 *     with a block large enough (address-ordered first fit of arenas), so
 *     that large blocks come from the bottom of the region and what is
 *     above stays whole as long as it can.
 *   - A refill takes from the arena nearest its CPU's starting arena,
 *     going up and wrapping round, with a block of its order or above
 *     (within it, fragments first: see bs_buddy_pcp_refill()). The starting
 *     arenas are spread evenly over the region, so CPUs refill from
 *     different arenas and do not meet at one arena lock, and the small
 *     blocks of one CPU stay together.
 *
 * Each arena has cache lines of its own, so CPUs in different arenas share
 * none of them; only the summary, whose words hold the bits of 64 arenas,
 * is written by all, and seldom.
 *
 * All metadata is out of band, in arrays beside the managed memory:
 *
 *   state[p]   one byte per page: BS_BUDDY_HEAD for the first page of a
 *              block, with BS_BUDDY_USED and the caller's tag if it is
 *              allocated, or BS_BUDDY_CACHED if it is free in a per-CPU
 *              cache, and the order in the low bits; 0 for every other
 *              page of a block.
 *   links[p]   the list link of page p while it heads a free block, on an
 *              arena free list or in a per-CPU cache.
 *
 * A free therefore needs nothing from the memory being freed, and is refused
 * unless state[] says an allocated block starts exactly there: a double free,
 * a free of a page inside a block or of a page never allocated cannot corrupt
 * anything. That costs 17 bytes per 4096-byte page (0.42%), and the arenas
 * (each on its own cache lines) and the summary about half a byte more.
 *
 * Locking. A block's state and link belong to whoever holds the block: the
 * arena's lock for free blocks on its free lists, the CPU's local lock for
 * blocks in a per-CPU cache. The state byte is also read without them, so
 * it is written with WRITE_ONCE() and read there with READ_ONCE().
 * A per-CPU cache is used by its own CPU only, under local_lock() (which
 * turns preemption off; on PREEMPT_RT it is a per-CPU lock): no other CPU
 * ever takes it, so the fast path, an allocation or a free the cache can
 * serve, contends for nothing. Whatever must reach every cache (a drain,
 * validation, teardown) runs on each CPU in turn through bs_cpu_each(),
 * under @walk_lock, which also guards the caches of offline CPUs that the
 * caller then reaches itself. Statistics read the caches' counts and
 * counters without any lock: exact once the caches are idle.
 * An allocation through the cache takes no atomic or locked instruction.
 * An allocated block's state changes only when it is freed, with a cmpxchg
 * (under the cache's local lock or the arena's lock, whichever the block
 * goes to), so that of two racing frees of a block, on two CPUs, exactly
 * one wins and the block's link joins one list only. That cmpxchg is the
 * one locked instruction of a free through the cache, and it cannot go:
 * which of two CPUs' frees wins is consensus between them, which reads and
 * writes alone cannot reach; it takes an atomic read-modify-write.
 * Only free-list blocks merge, and only under the arena lock, so reading a
 * neighbour's state there is safe whatever a cache does with it.
 * Lock order: @walk_lock, then a local lock, then one arena lock; arena
 * locks never nest. Counters live beside what they count, under the same
 * lock; only failures, counted where no lock is held, are atomic.
 *
 * Reclaim. Users that keep free memory of their own (a slab allocator's
 * empty slabs) register a shrinker. When a request fails, the per-CPU caches
 * are drained and every shrinker is asked to give back what it can, then the
 * request is tried once more.
 *
 * This file is the allocator: free lists, per-CPU caches, allocation, free
 * and reclaim. buddy_stats.c adds up what it counts and draws its pages;
 * buddy_check.c checks its invariants. buddy_internal.h holds what the
 * three share.
 *
 * Context: process context only (might_sleep() says so). Allocation and
 * free do not sleep themselves, but the caches' local locks are not
 * IRQ-safe; a failed request sleeps to drain the caches on every CPU and
 * runs the shrinkers under a mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "buddy_internal.h"
#include "cpu.h"
#include "fault.h"

const char *const bs_buddy_order_counter_names[] = {
	[BS_BUDDY_ALLOCS]		= "allocs",
	[BS_BUDDY_FREES]		= "frees",
};
static_assert(ARRAY_SIZE(bs_buddy_order_counter_names) == BS_BUDDY_NR_ORDER_COUNTERS);

const char *const bs_buddy_counter_names[] = {
	[BS_BUDDY_ALLOC_FAILS]		= "alloc_fails",
	[BS_BUDDY_FREES_REFUSED]	= "frees_refused",
	[BS_BUDDY_SPLITS]		= "splits",
	[BS_BUDDY_MERGES]		= "merges",
	[BS_BUDDY_PCP_HITS]		= "pcp_hits",
	[BS_BUDDY_PCP_MISSES]		= "pcp_misses",
	[BS_BUDDY_PCP_DRAINS]		= "pcp_drains",
};
static_assert(ARRAY_SIZE(bs_buddy_counter_names) == BS_BUDDY_NR_COUNTERS);

static inline struct bs_buddy_arena *bs_buddy_arena_of(struct bs_buddy *buddy,
						       unsigned long pgoff)
{
	return &buddy->arenas[pgoff / BS_ARENA_PAGES];
}

static inline void bs_buddy_count_failure(struct bs_buddy *buddy,
					  enum bs_buddy_counter counter)
{
	atomic_long_inc(&buddy->failures[counter]);
}

/* ---- Arena free lists ---------------------------------------------------- */

static void bs_buddy_add_free(struct bs_buddy *buddy,
			      struct bs_buddy_arena *arena,
			      unsigned long pgoff, unsigned int order)
{
	lockdep_assert_held(&arena->lock);

	WRITE_ONCE(buddy->state[pgoff], bs_buddy_head(order, 0));
	list_add(&buddy->links[pgoff], &arena->free_list[order]);
	arena->nr_free[order]++;
	arena->free_pages += 1UL << order;
	if (!(arena->free_orders & BIT(order))) {
		unsigned long *map = bs_buddy_order_map(buddy, order);
		const unsigned int a = arena - buddy->arenas;

		arena->free_orders |= BIT(order);
		/* Mostly still set: bits stay when the arena runs out. */
		if (!test_bit(a, map))
			set_bit(a, map);
	}
}

static void bs_buddy_del_free(struct bs_buddy *buddy,
			      struct bs_buddy_arena *arena,
			      unsigned long pgoff, unsigned int order)
{
	lockdep_assert_held(&arena->lock);

	list_del(&buddy->links[pgoff]);
	if (!--arena->nr_free[order])
		arena->free_orders &= ~BIT(order);
	arena->free_pages -= 1UL << order;
}

/*
 * Take a block of @order off @arena's free lists, splitting a larger one if
 * need be. The caller sets the block's state. False if none is big enough.
 */
static bool bs_buddy_arena_take(struct bs_buddy *buddy,
				struct bs_buddy_arena *arena,
				unsigned int order, unsigned long *pgoff)
{
	unsigned long block;
	unsigned int cur;

	lockdep_assert_held(&arena->lock);

	cur = find_next_bit(&arena->free_orders, BS_BUDDY_NR_ORDERS, order);
	if (cur >= BS_BUDDY_NR_ORDERS)
		return false;
	block = arena->free_list[cur].next - buddy->links;
	bs_buddy_del_free(buddy, arena, block, cur);
	while (cur > order) {
		cur--;
		bs_buddy_add_free(buddy, arena, block + (1UL << cur), cur);
		arena->counters.event[BS_BUDDY_SPLITS]++;
	}
	*pgoff = block;
	return true;
}

/* Put a block of @order back on @arena's free lists, merging its buddies. */
static void bs_buddy_arena_put(struct bs_buddy *buddy,
			       struct bs_buddy_arena *arena,
			       unsigned long pgoff, unsigned int order)
{
	lockdep_assert_held(&arena->lock);

	for (; order < BS_BUDDY_MAX_ORDER; order++) {
		unsigned long buddy_pgoff = pgoff ^ (1UL << order);

		if (READ_ONCE(buddy->state[buddy_pgoff]) != bs_buddy_head(order, 0))
			break;
		bs_buddy_del_free(buddy, arena, buddy_pgoff, order);
		/* The upper half stops being a head; the lower one leads. */
		WRITE_ONCE(buddy->state[pgoff | buddy_pgoff], 0);
		pgoff &= buddy_pgoff;
		arena->counters.event[BS_BUDDY_MERGES]++;
	}
	bs_buddy_add_free(buddy, arena, pgoff, order);
}

/*
 * The arena nearest @start, going up and wrapping round, that the summary
 * says may have a free block of an order from @lo to @hi - 1; nr_arenas if
 * it says none has. Word by word, the orders' bitmaps ORed together.
 */
static unsigned int bs_buddy_find_arena(const struct bs_buddy *buddy,
					unsigned int lo, unsigned int hi,
					unsigned int start)
{
	const unsigned int words = BITS_TO_LONGS(buddy->nr_arenas);
	const unsigned int first = BIT_WORD(start);
	unsigned int i, w, order;
	unsigned long bits;

	/* @start's word twice: from @start first, below it at the end. */
	for (i = 0, w = first; i <= words; i++, w = w + 1 < words ? w + 1 : 0) {
		bits = 0;
		for (order = lo; order < hi; order++)
			bits |= READ_ONCE(bs_buddy_order_map(buddy, order)[w]);
		if (!i)
			bits &= BITMAP_FIRST_WORD_MASK(start);
		else if (i == words)
			bits &= ~BITMAP_FIRST_WORD_MASK(start);
		/* No bit is ever set past the last arena. */
		if (bits)
			return w * BITS_PER_LONG + __ffs(bits);
	}
	return buddy->nr_arenas;
}

/*
 * Find and lock the arena nearest @start with a free block of an order
 * from @lo to @hi - 1, NULL if there is none. An arena the summary names
 * but which has no such block after all has its stale bits cleared, under
 * its lock, and the search goes on without it.
 */
static struct bs_buddy_arena *bs_buddy_lock_arena(struct bs_buddy *buddy,
						  unsigned int lo,
						  unsigned int hi,
						  unsigned int start)
{
	struct bs_buddy_arena *arena;
	unsigned int a, order;

	while ((a = bs_buddy_find_arena(buddy, lo, hi, start)) < buddy->nr_arenas) {
		arena = &buddy->arenas[a];
		spin_lock(&arena->lock);
		if (arena->free_orders & GENMASK(hi - 1, lo))
			return arena;
		for (order = lo; order < hi; order++)
			if (test_bit(a, bs_buddy_order_map(buddy, order)))
				clear_bit(a, bs_buddy_order_map(buddy, order));
		spin_unlock(&arena->lock);
	}
	return NULL;
}

static int bs_buddy_alloc_from_arenas(struct bs_buddy *buddy,
				      unsigned int order, unsigned int tag,
				      unsigned long *pgoff)
{
	/* The lowest arena with a block large enough. */
	struct bs_buddy_arena *arena = bs_buddy_lock_arena(buddy, order,
							   BS_BUDDY_NR_ORDERS, 0);

	if (!arena)
		return -ENOMEM;
	/* It cannot fail: the arena has a block of @order or above. */
	bs_buddy_arena_take(buddy, arena, order, pgoff);
	WRITE_ONCE(buddy->state[*pgoff], bs_buddy_used_head(order, tag));
	arena->counters.order[BS_BUDDY_ALLOCS][order]++;
	spin_unlock(&arena->lock);
	return 0;
}

/* ---- Per-CPU caches ------------------------------------------------------ */

/* Cache a block of @order, taken from @arena under its lock. */
static void bs_buddy_pcp_add(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
			     unsigned long pgoff, unsigned int order)
{
	bs_buddy_pcp_assert_held(buddy, pcp);

	WRITE_ONCE(buddy->state[pgoff], bs_buddy_head(order, BS_BUDDY_CACHED));
	/* In address order: the lowest goes out first. */
	list_add_tail(&buddy->links[pgoff], &pcp->list[order]);
}

/* Cut a free block of BS_BUDDY_PCP_RUN_ORDER into a batch of @order. */
static unsigned int bs_buddy_pcp_carve(struct bs_buddy *buddy,
				       struct bs_buddy_arena *arena,
				       struct bs_buddy_pcp *pcp,
				       unsigned long run, unsigned int order)
{
	const unsigned int n = 1U << (BS_BUDDY_PCP_RUN_ORDER - order);
	unsigned int i;

	lockdep_assert_held(&arena->lock);

	for (i = 0; i < n; i++)
		bs_buddy_pcp_add(buddy, pcp, run + ((unsigned long)i << order),
				 order);
	/* As many splits as halving the run down to @order would make. */
	arena->counters.event[BS_BUDDY_SPLITS] += n - 1;
	return n;
}

/*
 * Fill the empty @order list of @pcp with up to a batch of blocks, from the
 * arena nearest the CPU's start with a block of @order or above, then the
 * next, until the batch is full or no arena has one. In an arena, free
 * blocks smaller than a batch are used first, so that a refill does not
 * break up a large block while fragments are left; without them a whole
 * batch is cut from one block in a single step.
 */
static unsigned int bs_buddy_pcp_refill(struct bs_buddy *buddy,
					struct bs_buddy_pcp *pcp,
					unsigned int order)
{
	const unsigned int batch = bs_buddy_pcp_batch(order);
	unsigned long pgoff;
	unsigned int n = 0;

	BUILD_BUG_ON(!is_power_of_2(BS_BUDDY_PCP_BATCH));
	BUILD_BUG_ON(BS_BUDDY_PCP_MAX_ORDER >= BS_BUDDY_PCP_RUN_ORDER);
	BUILD_BUG_ON(BS_BUDDY_MAX_ORDER < BS_BUDDY_PCP_RUN_ORDER);
	BUILD_BUG_ON(BS_BUDDY_PCP_HIGH < 2 * BS_BUDDY_PCP_BATCH);
	bs_buddy_pcp_assert_held(buddy, pcp);

	while (n < batch) {
		struct bs_buddy_arena *arena;

		arena = bs_buddy_lock_arena(buddy, order, BS_BUDDY_NR_ORDERS,
					    pcp->start);
		if (!arena)
			break;
		if (!n && find_next_bit(&arena->free_orders, BS_BUDDY_PCP_RUN_ORDER,
					order) >= BS_BUDDY_PCP_RUN_ORDER &&
		    bs_buddy_arena_take(buddy, arena, BS_BUDDY_PCP_RUN_ORDER, &pgoff))
			n = bs_buddy_pcp_carve(buddy, arena, pcp, pgoff, order);
		while (n < batch &&
		       bs_buddy_arena_take(buddy, arena, order, &pgoff)) {
			bs_buddy_pcp_add(buddy, pcp, pgoff, order);
			n++;
		}
		spin_unlock(&arena->lock);
	}
	WRITE_ONCE(pcp->count[order], pcp->count[order] + n);
	return n;
}

/* Give up to @nr of the oldest blocks of @order in @pcp back to the arenas. */
static void bs_buddy_pcp_drain(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
			       unsigned int order, unsigned int nr)
{
	struct bs_buddy_arena *locked = NULL;

	bs_buddy_pcp_assert_held(buddy, pcp);

	while (nr-- && !list_empty(&pcp->list[order])) {
		struct list_head *link = pcp->list[order].prev;
		unsigned long pgoff = link - buddy->links;
		struct bs_buddy_arena *arena = bs_buddy_arena_of(buddy, pgoff);

		/* A batch usually comes from one arena: keep its lock. */
		if (arena != locked) {
			if (locked)
				spin_unlock(&locked->lock);
			spin_lock(&arena->lock);
			locked = arena;
		}
		list_del(link);
		WRITE_ONCE(pcp->count[order], pcp->count[order] - 1);
		bs_buddy_arena_put(buddy, arena, pgoff, order);
	}
	if (locked)
		spin_unlock(&locked->lock);
	pcp->counters.event[BS_BUDDY_PCP_DRAINS]++;
}

static int bs_buddy_alloc_from_pcp(struct bs_buddy *buddy, unsigned int order,
				   unsigned int tag, unsigned long *pgoff)
{
	struct bs_buddy_pcp *pcp;
	struct list_head *link;

	local_lock(&buddy->pcp->lock);
	pcp = this_cpu_ptr(buddy->pcp);
	if (list_empty(&pcp->list[order])) {
		pcp->counters.event[BS_BUDDY_PCP_MISSES]++;
		/* While a request reclaims, the caches stay empty. */
		if (atomic_read(&buddy->reclaimers) ||
		    !bs_buddy_pcp_refill(buddy, pcp, order)) {
			local_unlock(&buddy->pcp->lock);
			return bs_buddy_alloc_from_arenas(buddy, order, tag, pgoff);
		}
	} else {
		pcp->counters.event[BS_BUDDY_PCP_HITS]++;
	}
	link = pcp->list[order].next;
	list_del(link);
	WRITE_ONCE(pcp->count[order], pcp->count[order] - 1);
	*pgoff = link - buddy->links;
	WRITE_ONCE(buddy->state[*pgoff], bs_buddy_used_head(order, tag));
	pcp->counters.order[BS_BUDDY_ALLOCS][order]++;
	local_unlock(&buddy->pcp->lock);
	return 0;
}

struct bs_buddy_pcp_call {
	struct bs_buddy *buddy;
	void (*fn)(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
		   unsigned int cpu, void *arg);
	void *arg;
};

/* bs_cpu_each() runs this on @cpu if it is online, else on the walker's. */
static void bs_buddy_pcp_call_fn(void *data, unsigned int cpu)
{
	struct bs_buddy_pcp_call *call = data;
	struct bs_buddy *buddy = call->buddy;

	if (!cpu_online(cpu)) {
		/* No task runs there: the walk lock keeps other walks away. */
		lockdep_assert_held(&buddy->walk_lock);
		call->fn(buddy, per_cpu_ptr(buddy->pcp, cpu), cpu, call->arg);
		return;
	}
	local_lock(&buddy->pcp->lock);
	call->fn(buddy, this_cpu_ptr(buddy->pcp), cpu, call->arg);
	local_unlock(&buddy->pcp->lock);
}

/**
 * bs_buddy_pcp_each() - run a function on every CPU's cache, as its owner
 * @buddy:	the allocator
 * @fn:		called once per possible CPU with its cache, which it may
 *		read and change: on that CPU under its local lock if the CPU
 *		is online, on the caller's CPU if not; may take an arena lock
 * @arg:	passed to @fn
 *
 * The one way to reach another CPU's cache: drains and validation use it.
 * Walks are serialised by @buddy->walk_lock.
 *
 * Context: process context; sleeps. The caller holds no lock of @buddy.
 */
void bs_buddy_pcp_each(struct bs_buddy *buddy,
		       void (*fn)(struct bs_buddy *buddy,
				  struct bs_buddy_pcp *pcp, unsigned int cpu,
				  void *arg),
		       void *arg)
{
	struct bs_buddy_pcp_call call = { .buddy = buddy, .fn = fn, .arg = arg };

	mutex_lock(&buddy->walk_lock);
	bs_cpu_each(bs_buddy_pcp_call_fn, &call);
	mutex_unlock(&buddy->walk_lock);
}

/* Empty a cache into the arenas; *@arg becomes true if it held a block. */
static void bs_buddy_pcp_empty(struct bs_buddy *buddy, struct bs_buddy_pcp *pcp,
			       unsigned int cpu, void *arg)
{
	bool *drained = arg;
	unsigned int order;

	for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++) {
		if (!pcp->count[order])
			continue;
		bs_buddy_pcp_drain(buddy, pcp, order, UINT_MAX);
		*drained = true;
	}
}

/**
 * bs_buddy_drain() - give every block in the per-CPU caches back
 * @buddy:	the allocator
 *
 * Each CPU empties its own cache in turn (bs_buddy_pcp_each()).
 * Afterwards the free lists hold every free block, merged, unless
 * allocations and frees ran at the same time.
 *
 * Context: process context; sleeps.
 * Return: true if any cache held a block.
 */
bool bs_buddy_drain(struct bs_buddy *buddy)
{
	bool drained = false;

	might_sleep();

	bs_buddy_pcp_each(buddy, bs_buddy_pcp_empty, &drained);
	return drained;
}

/* ---- Allocation and free ------------------------------------------------- */

static int bs_buddy_alloc_once(struct bs_buddy *buddy, unsigned int order,
			       unsigned int tag, unsigned long *pgoff)
{
	if (order <= BS_BUDDY_PCP_MAX_ORDER)
		return bs_buddy_alloc_from_pcp(buddy, order, tag, pgoff);
	return bs_buddy_alloc_from_arenas(buddy, order, tag, pgoff);
}

/*
 * A request failed: keep the caches empty, empty them, ask the shrinkers
 * for their free memory (which goes straight to the arenas now) and try
 * once more. See "Caches never hide memory" above.
 */
static int bs_buddy_alloc_reclaim(struct bs_buddy *buddy, unsigned int order,
				  unsigned int tag, unsigned long *pgoff)
{
	struct bs_buddy_shrinker *shrinker;
	int ret;

	atomic_inc(&buddy->reclaimers);
	bs_buddy_drain(buddy);
	mutex_lock(&buddy->shrinker_lock);
	list_for_each_entry(shrinker, &buddy->shrinkers, list)
		shrinker->shrink(shrinker);
	mutex_unlock(&buddy->shrinker_lock);
	ret = bs_buddy_alloc_once(buddy, order, tag, pgoff);
	atomic_dec(&buddy->reclaimers);
	return ret;
}

/**
 * bs_buddy_register_shrinker() - be asked for memory when a request fails
 * @buddy:	the allocator
 * @shrinker:	its shrink() gives back free memory its owner keeps and
 *		returns the number of pages it gave back; it may free blocks
 *		but must not allocate from @buddy
 *
 * Context: process context.
 */
void bs_buddy_register_shrinker(struct bs_buddy *buddy,
				struct bs_buddy_shrinker *shrinker)
{
	mutex_lock(&buddy->shrinker_lock);
	list_add_tail(&shrinker->list, &buddy->shrinkers);
	mutex_unlock(&buddy->shrinker_lock);
}

/**
 * bs_buddy_unregister_shrinker() - stop asking a shrinker
 * @buddy:	the allocator
 * @shrinker:	a shrinker bs_buddy_register_shrinker() added; not running
 *		once this returns
 *
 * Context: process context.
 */
void bs_buddy_unregister_shrinker(struct bs_buddy *buddy,
				  struct bs_buddy_shrinker *shrinker)
{
	mutex_lock(&buddy->shrinker_lock);
	list_del(&shrinker->list);
	mutex_unlock(&buddy->shrinker_lock);
}

/**
 * bs_buddy_alloc() - allocate a block of 2^order pages
 * @buddy:	the allocator
 * @order:	0 to BS_BUDDY_MAX_ORDER
 * @tag:	below BS_BUDDY_NR_TAGS: who the block is for, as the map and
 *		bs_buddy_block_tag() tell
 * @pgoff:	out: the block's first page, counted from the region's start
 *
 * Every arena is tried in turn, so one full arena does not fail a request
 * another can serve; if none can, the per-CPU caches are drained and kept
 * empty, the shrinkers run, and the request is tried once more.
 *
 * Context: process context.
 * Return: 0 on success, -EINVAL for an order above BS_BUDDY_MAX_ORDER or a
 * bad tag, -ENOMEM if no free block is large enough.
 */
int bs_buddy_alloc(struct bs_buddy *buddy, unsigned int order,
		   unsigned int tag, unsigned long *pgoff)
{
	int ret;

	might_sleep();

	if (order > BS_BUDDY_MAX_ORDER || tag >= BS_BUDDY_NR_TAGS)
		return -EINVAL;
	/* An injected fault fails as a region with nothing left would. */
	if (bs_fault()) {
		ret = -ENOMEM;
	} else {
		ret = bs_buddy_alloc_once(buddy, order, tag, pgoff);
		if (ret)
			ret = bs_buddy_alloc_reclaim(buddy, order, tag, pgoff);
	}
	if (ret)
		bs_buddy_count_failure(buddy, BS_BUDDY_ALLOC_FAILS);
	return ret;
}

/*
 * Free an allocated block of a cached order, whose head's state was @state,
 * into this CPU's cache. -EAGAIN while a request reclaims: the caches take
 * nothing in then, and the block is for its arena. -EINVAL if a racing free
 * of the block won.
 */
static int bs_buddy_free_to_pcp(struct bs_buddy *buddy, unsigned long pgoff,
				unsigned int order, u8 state)
{
	struct bs_buddy_pcp *pcp;
	unsigned int count;
	int ret = 0;

	local_lock(&buddy->pcp->lock);
	pcp = this_cpu_ptr(buddy->pcp);
	if (atomic_read(&buddy->reclaimers)) {
		ret = -EAGAIN;
		goto unlock;
	}
	/*
	 * Of two racing frees of one block, on two CPUs, one wins; one is
	 * refused. The free's one locked instruction.
	 */
	if (cmpxchg(&buddy->state[pgoff], state,
		    bs_buddy_head(order, BS_BUDDY_CACHED)) != state) {
		ret = -EINVAL;
		goto unlock;
	}
	list_add(&buddy->links[pgoff], &pcp->list[order]);
	pcp->counters.order[BS_BUDDY_FREES][order]++;
	count = pcp->count[order] + 1;
	WRITE_ONCE(pcp->count[order], count);
	if (count > bs_buddy_pcp_high(order))
		bs_buddy_pcp_drain(buddy, pcp, order, bs_buddy_pcp_batch(order));
unlock:
	local_unlock(&buddy->pcp->lock);
	return ret;
}

/*
 * Free an allocated block, whose head's state was @state, into its arena,
 * merging it with its free buddies. -EINVAL if a racing free of the block
 * won.
 */
static int bs_buddy_free_to_arena(struct bs_buddy *buddy, unsigned long pgoff,
				  unsigned int order, u8 state)
{
	struct bs_buddy_arena *arena = bs_buddy_arena_of(buddy, pgoff);
	int ret = -EINVAL;

	spin_lock(&arena->lock);
	/* A racing free through a cache holds no arena lock: cmpxchg here too. */
	if (cmpxchg(&buddy->state[pgoff], state, bs_buddy_head(order, 0)) == state) {
		bs_buddy_arena_put(buddy, arena, pgoff, order);
		arena->counters.order[BS_BUDDY_FREES][order]++;
		ret = 0;
	}
	spin_unlock(&arena->lock);
	return ret;
}

/**
 * bs_buddy_free() - free a block
 * @buddy:	the allocator
 * @pgoff:	the block's first page, as bs_buddy_alloc() returned it
 *
 * A block of a small order goes to this CPU's cache, a larger one (or any,
 * while a failed request reclaims) straight back to its arena, where it
 * merges with its free buddies.
 *
 * Context: process context.
 * Return: 0 on success, -EINVAL if no allocated block starts at @pgoff (a
 * double free, a page inside a block, or a page outside the region); the
 * allocator is left untouched then.
 */
int bs_buddy_free(struct bs_buddy *buddy, unsigned long pgoff)
{
	unsigned int order;
	int ret = -EAGAIN;
	u8 state;

	might_sleep();

	if (pgoff >= bs_buddy_total_pages(buddy))
		goto refused;
	state = READ_ONCE(buddy->state[pgoff]);
	if (!bs_buddy_is_used_head(state))
		goto refused;
	order = state & BS_BUDDY_ORDER_MASK;

	if (order <= BS_BUDDY_PCP_MAX_ORDER)
		ret = bs_buddy_free_to_pcp(buddy, pgoff, order, state);
	if (ret == -EAGAIN)
		ret = bs_buddy_free_to_arena(buddy, pgoff, order, state);
	if (!ret)
		return 0;

refused:
	bs_buddy_count_failure(buddy, BS_BUDDY_FREES_REFUSED);
	pr_err_ratelimited("refused to free page %lu: no allocated block starts there\n",
			   pgoff);
	return -EINVAL;
}

/**
 * bs_buddy_block_tag() - the tag of an allocated block
 * @buddy:	the allocator
 * @pgoff:	a page of the region
 *
 * Return: the tag the block was allocated with, or -EINVAL if no allocated
 * block starts at @pgoff.
 */
int bs_buddy_block_tag(struct bs_buddy *buddy, unsigned long pgoff)
{
	u8 state;

	if (pgoff >= bs_buddy_total_pages(buddy))
		return -EINVAL;
	state = READ_ONCE(buddy->state[pgoff]);
	if (!bs_buddy_is_used_head(state))
		return -EINVAL;
	return FIELD_GET(BS_BUDDY_TAG_MASK, state);
}

/**
 * bs_buddy_pgoff_of() - the page of the region an address is in
 * @buddy:	the allocator
 * @addr:	any address
 * @pgoff:	out: the page, counted from the region's start
 *
 * Return: 0 if @addr is in the region, -EINVAL otherwise.
 */
int bs_buddy_pgoff_of(const struct bs_buddy *buddy, const void *addr,
		      unsigned long *pgoff)
{
	return bs_region_locate(buddy->region, addr, pgoff);
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
	return buddy->base[pgoff / BS_ARENA_PAGES] +
	       ((pgoff % BS_ARENA_PAGES) << PAGE_SHIFT);
}

/* ---- Free memory --------------------------------------------------------- */

/**
 * bs_buddy_cached_pages() - free pages held by the per-CPU caches
 * @buddy:	the allocator
 *
 * The caches' counts are read without their CPUs' locks, which only those
 * CPUs may take: exact when nothing else runs.
 *
 * Return: the number of pages in the caches' blocks.
 */
unsigned long bs_buddy_cached_pages(struct bs_buddy *buddy)
{
	unsigned long pages = 0;
	unsigned int order;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bs_buddy_pcp *pcp = per_cpu_ptr(buddy->pcp, cpu);

		for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++)
			pages += (unsigned long)READ_ONCE(pcp->count[order]) << order;
	}
	return pages;
}

/**
 * bs_buddy_free_pages() - pages free, in the free lists or the caches
 * @buddy:	the allocator
 *
 * Return: the number of free pages, exact when no allocation or free runs
 * at the same time.
 */
unsigned long bs_buddy_free_pages(struct bs_buddy *buddy)
{
	unsigned long pages = bs_buddy_cached_pages(buddy);
	unsigned int a;

	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];

		spin_lock(&arena->lock);
		pages += arena->free_pages;
		spin_unlock(&arena->lock);
	}
	return pages;
}

/* ---- Setup and teardown -------------------------------------------------- */

/*
 * Free what bs_buddy_init() allocated, in reverse order, any of it NULL,
 * and leave no pointer to freed memory: a failed init and a fini end alike.
 */
static void bs_buddy_free_metadata(struct bs_buddy *buddy)
{
	free_percpu(buddy->pcp);
	kfree(buddy->order_arenas);
	kvfree(buddy->links);
	kvfree(buddy->state);
	kfree(buddy->base);
	kvfree(buddy->arenas);
	memset(buddy, 0, sizeof(*buddy));
}

/*
 * The arena a CPU's refills start from: CPUs spread evenly over the region,
 * each at the start of its share, or, with fewer arenas than CPUs, taking
 * the arenas in turn.
 */
static unsigned int bs_buddy_start_arena(unsigned int nr_arenas,
					 unsigned int cpu)
{
	if (nr_arenas < nr_cpu_ids)
		return cpu % nr_arenas;
	return (u64)cpu * nr_arenas / nr_cpu_ids;
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
	const unsigned long pages = region->nr_chunks * BS_ARENA_PAGES;
	unsigned int a, order;
	int cpu;

	memset(buddy, 0, sizeof(*buddy));
	buddy->region = region;
	mutex_init(&buddy->walk_lock);
	mutex_init(&buddy->shrinker_lock);
	INIT_LIST_HEAD(&buddy->shrinkers);
	/* Past kmalloc's sizes, whole pages; below, aligned to a power of two. */
	buddy->arenas = bs_fault() ? NULL :
			kvcalloc(region->nr_chunks, sizeof(*buddy->arenas),
				 GFP_KERNEL);
	buddy->base = bs_fault() ? NULL :
		      kcalloc(region->nr_chunks, sizeof(*buddy->base),
			      GFP_KERNEL);
	buddy->state = bs_fault() ? NULL :
		       kvcalloc(pages, sizeof(*buddy->state), GFP_KERNEL);
	buddy->links = bs_fault() ? NULL :
		       kvcalloc(pages, sizeof(*buddy->links), GFP_KERNEL);
	buddy->order_arenas = bs_fault() ? NULL :
			      kcalloc(BS_BUDDY_NR_ORDERS *
				      BITS_TO_LONGS(region->nr_chunks),
				      sizeof(*buddy->order_arenas), GFP_KERNEL);
	buddy->pcp = bs_fault() ? NULL : alloc_percpu(struct bs_buddy_pcp);
	if (!buddy->arenas || !buddy->base || !buddy->state || !buddy->links ||
	    !buddy->order_arenas || !buddy->pcp) {
		bs_buddy_free_metadata(buddy);
		return -ENOMEM;
	}
	buddy->nr_arenas = region->nr_chunks;

	for_each_possible_cpu(cpu) {
		struct bs_buddy_pcp *pcp = per_cpu_ptr(buddy->pcp, cpu);

		local_lock_init(&pcp->lock);
		for (order = 0; order < BS_BUDDY_PCP_ORDERS; order++)
			INIT_LIST_HEAD(&pcp->list[order]);
		pcp->start = bs_buddy_start_arena(buddy->nr_arenas, cpu);
	}
	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];

		buddy->base[a] = bs_region_chunk_addr(region, a);
		spin_lock_init(&arena->lock);
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			INIT_LIST_HEAD(&arena->free_list[order]);
		spin_lock(&arena->lock);
		bs_buddy_add_free(buddy, arena, a * BS_ARENA_PAGES,
				  BS_BUDDY_MAX_ORDER);
		spin_unlock(&arena->lock);
	}
	return 0;
}

/**
 * bs_buddy_fini() - tear down a buddy allocator
 * @buddy:	the allocator; every block it handed out must be free again
 *
 * The per-CPU caches are drained first so the accounting is exact; a block
 * still allocated then is a leak in the caller, reported with a warning.
 *
 * Context: process context; sleeps.
 */
void bs_buddy_fini(struct bs_buddy *buddy)
{
	unsigned long leaked;

	bs_buddy_drain(buddy);
	leaked = bs_buddy_total_pages(buddy) - bs_buddy_free_pages(buddy);
	WARN(leaked, "%lu pages still allocated at teardown\n", leaked);
	bs_buddy_free_metadata(buddy);
}
