// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab genpool: the kernel's own bitmap allocator, lib/genalloc.c,
 * run over arenas taken from the buddy, so that the laboratory compares
 * free lists and trees (fit.c) with bitmaps, and our fits with the
 * kernel's.
 *
 * An arena is one buddy block of the largest order (4 MiB on x86-64),
 * tagged BS_BUDDY_TAG_ARENA, taken when no arena can serve a request and
 * given back as soon as it is entirely free again. genalloc has no way to
 * remove a chunk from a pool, so each arena gets a gen_pool of its own,
 * with one chunk covering it and min_alloc_order 4: one bit of the bitmap
 * per BS_GENPOOL_GRAIN (16) bytes, the grain of the fit allocators too.
 * An arena that becomes entirely free is destroyed with its pool.
 *
 * Arenas are tried in address order, each with the kernel's algorithm, and
 * the first that can serve the request does:
 *
 *   first fit   gen_pool_first_fit() takes the lowest run of free bits
 *               long enough; over arenas in address order this is
 *               address-ordered first fit, as fit.c's;
 *   best fit    gen_pool_best_fit() takes the shortest run long enough
 *               (the lowest of equal ones) in the first arena that has
 *               one, not in the whole region: genalloc's best fit is per
 *               chunk (gen_pool_alloc_algo() stops at the first chunk its
 *               algorithm finds room in), and here a chunk is an arena.
 *
 * Both scan the bitmap, so their cost grows with the arena, not with the
 * number of free runs as fit.c's lists and trees do; the bitmap costs 1
 * bit per 16 bytes (32 KiB per arena) whatever is allocated.
 *
 * genalloc trusts its caller: gen_pool_free() must be told the size, and
 * freeing what was not allocated is a BUG(). So every live allocation is
 * recorded in an xarray keyed by its offset in the device's linear space /
 * BS_GENPOOL_GRAIN, holding the bytes asked for (the grant is that rounded
 * up to the grain): a free that is not the start of a live allocation (a
 * double free, the inside of one, memory of no arena) finds no record and
 * is refused, changing nothing, before genalloc sees it. genalloc is given
 * the arenas' kernel addresses, never device offsets: it returns 0 for "no
 * room", and offset 0 is a real allocation.
 *
 * Statistics and bs_genpool_validate() read the chunks' bitmaps (struct
 * gen_pool_chunk's bits, public in linux/genalloc.h) through
 * gen_pool_for_each_chunk(): the runs of free grains and the longest, and
 * that the records and the set bits agree exactly.
 *
 * Every allocation of kernel memory (a pool, its chunk, a slot of either
 * xarray) and of an arena asks bs_fault() first, as fit.c does; every
 * failure unwinds what was done, so a refused request changes nothing but
 * its counter.
 *
 * Locking: one mutex covers the allocator. genalloc is lock-free inside
 * (cmpxchg on the bitmap words), but the records, the set of arenas and
 * the counters must change with the bitmaps as one, and taking an arena
 * allocates with GFP_KERNEL.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/genalloc.h>
#include <linux/log2.h>
#include <linux/numa.h>
#include <linux/printk.h>

#include "fault.h"
#include "fit.h"
#include "genpool.h"

/* The same grain as the fit allocators, so that the two compare fairly. */
static_assert(BS_GENPOOL_GRAIN == BS_FIT_GRAIN);

/* genalloc's min_alloc_order, and the bits of an arena's bitmap. */
#define BS_GENPOOL_ORDER	ilog2(BS_GENPOOL_GRAIN)
#define BS_GENPOOL_BITS		(BS_ARENA_BYTES / BS_GENPOOL_GRAIN)

const char *const bs_genpool_policy_names[] = {
	[BS_GENPOOL_FIRST]	= "first",
	[BS_GENPOOL_BEST]	= "best",
};
static_assert(ARRAY_SIZE(bs_genpool_policy_names) == BS_GENPOOL_NR_POLICIES);

const char *const bs_genpool_policy_counter_names[] = {
	[BS_GENPOOL_ALLOCS]	= "allocs",
	[BS_GENPOOL_FAILS]	= "fails",
};
static_assert(ARRAY_SIZE(bs_genpool_policy_counter_names) ==
	      BS_GENPOOL_NR_POLICY_COUNTERS);

const char *const bs_genpool_counter_names[] = {
	[BS_GENPOOL_FREES]		= "frees",
	[BS_GENPOOL_FREES_REFUSED]	= "frees_refused",
	[BS_GENPOOL_ARENAS_TAKEN]	= "arenas_taken",
	[BS_GENPOOL_ARENAS_GIVEN]	= "arenas_given",
};
static_assert(ARRAY_SIZE(bs_genpool_counter_names) == BS_GENPOOL_NR_COUNTERS);

static const genpool_algo_t bs_genpool_algos[] = {
	[BS_GENPOOL_FIRST]	= gen_pool_first_fit,
	[BS_GENPOOL_BEST]	= gen_pool_best_fit,
};
static_assert(ARRAY_SIZE(bs_genpool_algos) == BS_GENPOOL_NR_POLICIES);

/* ---- Arenas -------------------------------------------------------------- */

/* The first page of arena @index, and its kernel address. */
static unsigned long bs_genpool_arena_pgoff(unsigned long index)
{
	return index * BS_ARENA_PAGES;
}

static unsigned long bs_genpool_arena_base(struct bs_genpool *gp,
					   unsigned long index)
{
	return (unsigned long)bs_buddy_addr(gp->buddy,
					    bs_genpool_arena_pgoff(index));
}

/* What gen_pool_for_each_chunk() finds: an arena's pool has one chunk. */
struct bs_genpool_chunks {
	struct gen_pool_chunk *chunk;
	unsigned int nr;
};

static void bs_genpool_chunk_found(struct gen_pool *pool,
				   struct gen_pool_chunk *chunk, void *data)
{
	struct bs_genpool_chunks *found = data;

	found->chunk = chunk;
	found->nr++;
}

/*
 * The chunk of an arena's pool, and how many it has (1 unless damaged).
 * Chunks go only with their pool, under the lock: the pointer stays valid
 * after gen_pool_for_each_chunk()'s RCU read section.
 */
static struct gen_pool_chunk *bs_genpool_chunk(struct bs_genpool *gp,
					       struct gen_pool *pool,
					       unsigned int *nr)
{
	struct bs_genpool_chunks found = {};

	lockdep_assert_held(&gp->lock);

	gen_pool_for_each_chunk(pool, bs_genpool_chunk_found, &found);
	if (nr)
		*nr = found.nr;
	return found.chunk;
}

/*
 * Take an arena from the buddy, with a pool whose one chunk covers it.
 * Returns 0 with the arena's @index and @pool, or an error with nothing
 * changed.
 */
static int bs_genpool_arena_add(struct bs_genpool *gp, unsigned long *index,
				struct gen_pool **pool)
{
	struct gen_pool *new;
	unsigned long pgoff;
	int ret;

	lockdep_assert_held(&gp->lock);

	ret = bs_buddy_alloc(gp->buddy, BS_BUDDY_MAX_ORDER, BS_BUDDY_TAG_ARENA,
			     &pgoff);
	if (ret)
		return ret;
	new = bs_fault() ? NULL : gen_pool_create(BS_GENPOOL_ORDER, NUMA_NO_NODE);
	if (!new) {
		ret = -ENOMEM;
		goto free_arena;
	}
	ret = bs_fault() ? -ENOMEM :
	      gen_pool_add(new, (unsigned long)bs_buddy_addr(gp->buddy, pgoff),
			   BS_ARENA_BYTES, NUMA_NO_NODE);
	if (ret)
		goto destroy_pool;
	ret = bs_fault() ? -ENOMEM :
	      xa_insert(&gp->arenas, pgoff / BS_ARENA_PAGES, new, GFP_KERNEL);
	if (ret)
		goto destroy_pool;
	gp->nr_arenas++;
	gp->counters[BS_GENPOOL_ARENAS_TAKEN]++;
	*index = pgoff / BS_ARENA_PAGES;
	*pool = new;
	return 0;

destroy_pool:
	gen_pool_destroy(new);
free_arena:
	WARN_ON(bs_buddy_free(gp->buddy, pgoff));
	return ret;
}

/* Give arena @index back to the buddy if nothing in it is allocated. */
static void bs_genpool_arena_put(struct bs_genpool *gp, unsigned long index,
				 struct gen_pool *pool)
{
	lockdep_assert_held(&gp->lock);

	if (gen_pool_avail(pool) != BS_ARENA_BYTES)
		return;
	xa_erase(&gp->arenas, index);
	gen_pool_destroy(pool);
	WARN_ON(bs_buddy_free(gp->buddy, bs_genpool_arena_pgoff(index)));
	gp->nr_arenas--;
	gp->counters[BS_GENPOOL_ARENAS_GIVEN]++;
}

/* ---- Allocation and free ------------------------------------------------- */

/* The offset in the device's linear space of @addr in arena @index. */
static u64 bs_genpool_offset(struct bs_genpool *gp, unsigned long index,
			     unsigned long addr)
{
	return (u64)index * BS_ARENA_BYTES +
	       (addr - bs_genpool_arena_base(gp, index));
}

/*
 * Find room for @granted bytes with @policy, taking an arena if none has
 * it, and record the allocation as @size bytes asked for. Returns its
 * kernel address, or 0 with nothing changed.
 */
static unsigned long bs_genpool_place(struct bs_genpool *gp, size_t size,
				      size_t granted,
				      enum bs_genpool_policy policy)
{
	const genpool_algo_t algo = bs_genpool_algos[policy];
	struct gen_pool *pool;
	unsigned long index, addr = 0;
	u64 offset;

	lockdep_assert_held(&gp->lock);

	xa_for_each(&gp->arenas, index, pool) {
		addr = gen_pool_alloc_algo(pool, granted, algo, NULL);
		if (addr)
			break;
	}
	if (!addr) {
		if (bs_genpool_arena_add(gp, &index, &pool))
			return 0;
		/* An empty arena holds any request of up to its size. */
		addr = gen_pool_alloc_algo(pool, granted, algo, NULL);
		if (WARN_ON(!addr)) {
			bs_genpool_arena_put(gp, index, pool);
			return 0;
		}
	}
	/* The record is the caller's: its memory cgroup pays for it. */
	offset = bs_genpool_offset(gp, index, addr);
	if (bs_fault() ||
	    xa_insert(&gp->allocs, offset / BS_GENPOOL_GRAIN, xa_mk_value(size),
		      GFP_KERNEL_ACCOUNT)) {
		gen_pool_free(pool, addr, granted);
		/* An arena taken for this request goes back. */
		bs_genpool_arena_put(gp, index, pool);
		return 0;
	}
	return addr;
}

/**
 * bs_genpool_alloc() - allocate bytes with one of genalloc's algorithms
 * @gp:		the allocator
 * @size:	bytes, 1 to BS_ARENA_BYTES; rounded up to BS_GENPOOL_GRAIN
 * @policy:	gen_pool_first_fit() or gen_pool_best_fit()
 * @granted:	out: bytes really reserved
 *
 * Arenas are tried in address order, each with genalloc's algorithm; when
 * none can serve the request, a new arena is taken from the buddy.
 *
 * Context: process context.
 * Return: the memory, aligned to BS_GENPOOL_GRAIN, or NULL for bad
 * arguments or if no memory can be had (counted as a failure of @policy).
 */
void *bs_genpool_alloc(struct bs_genpool *gp, size_t size,
		       enum bs_genpool_policy policy, size_t *granted)
{
	const size_t grant = bs_genpool_granted(size);
	unsigned long addr;

	if (!size || size > BS_ARENA_BYTES || policy >= BS_GENPOOL_NR_POLICIES)
		return NULL;

	mutex_lock(&gp->lock);
	addr = bs_genpool_place(gp, size, grant, policy);
	if (addr) {
		gp->used_bytes += grant;
		gp->requested_bytes += size;
		gp->policy_counters[policy][BS_GENPOOL_ALLOCS]++;
		*granted = grant;
	} else {
		gp->policy_counters[policy][BS_GENPOOL_FAILS]++;
	}
	mutex_unlock(&gp->lock);
	return (void *)addr;
}

/**
 * bs_genpool_free() - free what bs_genpool_alloc() returned
 * @gp:		the allocator
 * @ptr:	the memory
 *
 * An arena that is entirely free afterwards goes back to the buddy.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if @ptr is not the start of a live allocation (a
 * double free, the inside of one, memory of no arena); nothing changes
 * then but the count of refused frees.
 */
int bs_genpool_free(struct bs_genpool *gp, void *ptr)
{
	struct gen_pool *pool;
	unsigned long pgoff, index;
	size_t size;
	void *entry;
	u64 offset;

	if (bs_buddy_pgoff_of(gp->buddy, ptr, &pgoff))
		goto refused_unlocked;
	index = pgoff / BS_ARENA_PAGES;

	mutex_lock(&gp->lock);
	pool = xa_load(&gp->arenas, index);
	if (!pool)
		goto refused;
	offset = bs_genpool_offset(gp, index, (unsigned long)ptr);
	if (offset % BS_GENPOOL_GRAIN)
		goto refused;
	entry = xa_erase(&gp->allocs, offset / BS_GENPOOL_GRAIN);
	if (!entry)
		goto refused;

	size = xa_to_value(entry);
	gen_pool_free(pool, (unsigned long)ptr, bs_genpool_granted(size));
	gp->used_bytes -= bs_genpool_granted(size);
	gp->requested_bytes -= size;
	gp->counters[BS_GENPOOL_FREES]++;
	bs_genpool_arena_put(gp, index, pool);
	mutex_unlock(&gp->lock);
	return 0;

refused:
	gp->counters[BS_GENPOOL_FREES_REFUSED]++;
	mutex_unlock(&gp->lock);
	pr_err_ratelimited("genpool: refused to free offset %#llx: no allocation starts there\n",
			   ((u64)pgoff << PAGE_SHIFT) + offset_in_page(ptr));
	return -EINVAL;

refused_unlocked:
	mutex_lock(&gp->lock);
	gp->counters[BS_GENPOOL_FREES_REFUSED]++;
	mutex_unlock(&gp->lock);
	pr_err_ratelimited("genpool: refused to free an address outside the region\n");
	return -EINVAL;
}

/* ---- Statistics ---------------------------------------------------------- */

/* The free grains of one bitmap, as runs each as long as it can be. */
struct bs_genpool_runs {
	unsigned long nr;
	unsigned long grains;
	unsigned long longest;
};

static void bs_genpool_count_runs(const struct gen_pool_chunk *chunk,
				  struct bs_genpool_runs *runs)
{
	unsigned long start, end = 0;

	for (;;) {
		start = find_next_zero_bit(chunk->bits, BS_GENPOOL_BITS, end);
		if (start >= BS_GENPOOL_BITS)
			break;
		end = find_next_bit(chunk->bits, BS_GENPOOL_BITS, start);
		runs->nr++;
		runs->grains += end - start;
		runs->longest = max(runs->longest, end - start);
	}
}

/**
 * bs_genpool_stats() - take a snapshot of the allocator's figures
 * @gp:		the allocator
 * @stats:	out: the snapshot
 *
 * The free runs are counted in the arenas' bitmaps: a walk of every bit.
 *
 * Context: process context.
 */
void bs_genpool_stats(struct bs_genpool *gp, struct bs_genpool_stats *stats)
{
	struct bs_genpool_runs runs = {};
	struct gen_pool *pool;
	unsigned long index;

	mutex_lock(&gp->lock);
	xa_for_each(&gp->arenas, index, pool)
		bs_genpool_count_runs(bs_genpool_chunk(gp, pool, NULL), &runs);
	stats->nr_arenas = gp->nr_arenas;
	stats->used_bytes = gp->used_bytes;
	stats->requested_bytes = gp->requested_bytes;
	memcpy(stats->policy_counters, gp->policy_counters,
	       sizeof(stats->policy_counters));
	memcpy(stats->counters, gp->counters, sizeof(stats->counters));
	mutex_unlock(&gp->lock);

	stats->nr_free = runs.nr;
	stats->free_bytes = runs.grains * BS_GENPOOL_GRAIN;
	stats->largest_free = runs.longest * BS_GENPOOL_GRAIN;
	stats->extfrag = bs_arena_extfrag(stats->largest_free, stats->free_bytes);
}

/**
 * bs_genpool_owns() - whether a buddy block is one of the allocator's arenas
 * @gp:		the allocator
 * @pgoff:	the block's first page
 *
 * Reads the arenas under RCU, without the lock: the answer may be stale by
 * the time the caller looks at it, as any answer about a block that others
 * may free.
 *
 * Return: true if the page-buddy block at @pgoff is an arena of @gp.
 */
bool bs_genpool_owns(struct bs_genpool *gp, unsigned long pgoff)
{
	return pgoff % BS_ARENA_PAGES == 0 &&
	       xa_load(&gp->arenas, pgoff / BS_ARENA_PAGES);
}

/* ---- Validation ---------------------------------------------------------- */

static int bs_genpool_corrupt(u64 offset, const char *what)
{
	pr_err("validate: genpool at offset %#llx: %s\n", offset, what);
	return -EUCLEAN;
}

/*
 * One arena: a buddy arena block, its pool one chunk covering it at the
 * grain, something allocated in it, and genalloc's count of free bytes as
 * its bitmap says. Adds its allocated grains to @used_grains.
 */
static int bs_genpool_arena_validate(struct bs_genpool *gp, unsigned long index,
				     struct gen_pool *pool,
				     unsigned long *used_grains)
{
	const unsigned long base = bs_genpool_arena_base(gp, index);
	const u64 offset = (u64)index * BS_ARENA_BYTES;
	struct gen_pool_chunk *chunk;
	unsigned long used;
	unsigned int nr;

	lockdep_assert_held(&gp->lock);

	if (bs_buddy_block_tag(gp->buddy, bs_genpool_arena_pgoff(index)) !=
	    BS_BUDDY_TAG_ARENA)
		return bs_genpool_corrupt(offset, "arena is not an arena block of the buddy");
	chunk = bs_genpool_chunk(gp, pool, &nr);
	if (nr != 1 || pool->min_alloc_order != BS_GENPOOL_ORDER ||
	    chunk->start_addr != base ||
	    chunk->end_addr != base + BS_ARENA_BYTES - 1)
		return bs_genpool_corrupt(offset, "pool is not one chunk covering the arena");
	used = bitmap_weight(chunk->bits, BS_GENPOOL_BITS);
	if (!used)
		return bs_genpool_corrupt(offset, "entirely free arena kept");
	if (gen_pool_avail(pool) != (BS_GENPOOL_BITS - used) * BS_GENPOOL_GRAIN)
		return bs_genpool_corrupt(offset, "genalloc's free bytes differ from its bitmap");
	*used_grains += used;
	return 0;
}

/*
 * Every record: a live allocation of a sane size in an arena, after the
 * one before it, all its grains set in the bitmap. With no overlap, and
 * as many grains recorded as set (the caller's check), the set bits are
 * exactly the records'.
 */
static int bs_genpool_allocs_validate(struct bs_genpool *gp,
				      unsigned long *grains,
				      unsigned long *used_bytes,
				      unsigned long *requested_bytes)
{
	unsigned long key, first, nbits, size;
	struct gen_pool *pool;
	u64 offset, end = 0;
	void *entry;

	lockdep_assert_held(&gp->lock);

	xa_for_each(&gp->allocs, key, entry) {
		offset = (u64)key * BS_GENPOOL_GRAIN;
		size = xa_is_value(entry) ? xa_to_value(entry) : 0;
		if (!size || size > BS_ARENA_BYTES)
			return bs_genpool_corrupt(offset, "record of no size");
		if (offset < end)
			return bs_genpool_corrupt(offset, "records overlap");
		pool = xa_load(&gp->arenas, offset / BS_ARENA_BYTES);
		if (!pool)
			return bs_genpool_corrupt(offset, "record in no arena");
		nbits = bs_genpool_granted(size) / BS_GENPOOL_GRAIN;
		first = (offset % BS_ARENA_BYTES) / BS_GENPOOL_GRAIN;
		if (first + nbits > BS_GENPOOL_BITS)
			return bs_genpool_corrupt(offset, "record runs past its arena");
		if (find_next_zero_bit(bs_genpool_chunk(gp, pool, NULL)->bits,
				       first + nbits, first) < first + nbits)
			return bs_genpool_corrupt(offset, "record's grains free in the bitmap");
		end = offset + bs_genpool_granted(size);
		*grains += nbits;
		*used_bytes += bs_genpool_granted(size);
		*requested_bytes += size;
	}
	return 0;
}

/**
 * bs_genpool_validate() - check every invariant of the allocator
 * @gp:		the allocator
 *
 * Checks that each arena is an arena block of the buddy with a pool of one
 * chunk covering it, that none is entirely free, and that genalloc's free
 * bytes agree with its bitmap; that the records of live allocations lie in
 * arenas without overlapping, each with all its grains set in the bitmap,
 * and that the bits set are exactly theirs; and that the counts agree.
 * Nothing is changed; the first violation is reported with pr_err().
 *
 * Context: process context.
 * Return: 0 if all holds, -EUCLEAN otherwise.
 */
int bs_genpool_validate(struct bs_genpool *gp)
{
	unsigned long set = 0, recorded = 0, used = 0, requested = 0, n = 0;
	struct gen_pool *pool;
	unsigned long index;
	int ret = 0;

	mutex_lock(&gp->lock);
	xa_for_each(&gp->arenas, index, pool) {
		ret = bs_genpool_arena_validate(gp, index, pool, &set);
		if (ret)
			goto out;
		n++;
	}
	if (n != gp->nr_arenas) {
		ret = bs_genpool_corrupt(0, "count of arenas differs from the arenas");
		goto out;
	}
	ret = bs_genpool_allocs_validate(gp, &recorded, &used, &requested);
	if (ret)
		goto out;
	if (recorded != set)
		ret = bs_genpool_corrupt(0, "bits set in the bitmaps that no record has");
	else if (used != gp->used_bytes || requested != gp->requested_bytes)
		ret = bs_genpool_corrupt(0, "counts of bytes differ from the records");
out:
	mutex_unlock(&gp->lock);
	return ret;
}

/* ---- Setup and teardown -------------------------------------------------- */

/**
 * bs_genpool_init() - set up the genpool allocator over a buddy allocator
 * @gp:		the allocator to set up
 * @buddy:	where its arenas come from; must outlive it
 */
void bs_genpool_init(struct bs_genpool *gp, struct bs_buddy *buddy)
{
	memset(gp, 0, sizeof(*gp));
	gp->buddy = buddy;
	mutex_init(&gp->lock);
	xa_init(&gp->arenas);
	xa_init(&gp->allocs);
}

/**
 * bs_genpool_fini() - tear down the genpool allocator
 * @gp:		the allocator; every allocation must be free again, and then
 *		no arena is left
 *
 * An arena still there is a leak in the caller, reported with a warning
 * (its memory stays with the buddy, and its pool with the kernel).
 */
void bs_genpool_fini(struct bs_genpool *gp)
{
	WARN(gp->nr_arenas, "%lu genpool arenas still in use at teardown\n",
	     gp->nr_arenas);
	xa_destroy(&gp->allocs);
	xa_destroy(&gp->arenas);
}
