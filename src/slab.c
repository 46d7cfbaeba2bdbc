// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab: object caches on the buddy allocator (Bonwick 1994), with
 * per-CPU magazines and a depot in front (Bonwick and Adams 2001).
 *
 * Slabs. A cache carves blocks of 2^order pages, taken from the buddy with
 * its public API, into objects of one size. The order is the smallest that
 * leaves at most 1/8 of the slab unused (Bonwick's rule). The unused tail
 * is spent on colouring: successive slabs start their first object at
 * successive multiples of the cache line, so that objects at the same index
 * in different slabs do not compete for the same cache lines. A slab is on
 * one of three lists: partial, full or empty. Empty slabs are kept up to
 * BS_SLAB_EMPTY_KEEP, a working set, and the rest go back to the buddy at
 * once; shrinking gives back all of them. A constructor runs once per
 * object, when its slab is made: a freed object stays constructed.
 *
 * Slabs of a CPU. An allocation that misses the magazines takes from the
 * slab its CPU owns, else adopts a partial or empty slab no CPU owns, else
 * the cache grows by a slab; only when that fails does it take from
 * another CPU's slab. So the objects two CPUs cycle through come from
 * different slabs, and their state bytes (below) are in different cache
 * lines: otherwise each allocation and free, which writes its object's
 * state, would take the line from the other CPU (SLUB gives each CPU a
 * slab of its own for the same reason). It costs at most one partial slab
 * per CPU.
 *
 * Out-of-band metadata. A slab's descriptor (kmalloc'd, never in the slab)
 * holds a stack of its free objects' indices and one state byte per object:
 * free in the slab, cached in a magazine, or allocated. Each page of the
 * region points to the descriptor of the slab it is in, and a hash table
 * of the buddy's arenas by address finds the page of a pointer with no
 * call (asking the region checks the address against the kernel's memory
 * model first, which cost a free as much as all the rest). A free looks
 * the pointer up: a pointer outside every slab, into the middle of an
 * object, into another cache's slab, or to an object that is not allocated
 * is refused and reported, and nothing changes. The allocated -> cached
 * transition is a cmpxchg, so of two racing frees of one object one wins.
 * Descriptors and caches are freed after an RCU grace period, so a lookup
 * racing with the release of a slab or the destruction of its cache (an
 * erroneous free, which is what the lookup is for) reads valid, if stale,
 * memory and refuses the free.
 *
 * The files, from the bottom up; each uses only those above it here:
 *
 *   slab.c            slabs: the lookup, a cache's slab lists and each
 *                     slab's free stack, a cache's layout, the release of
 *                     slabs to the buddy, and a cache's accessors
 *   slab_debug.c      red zones, poisoning and error reports
 *   slab_magazine.c   per-CPU magazines and the depot, in front of the slabs
 *   slab_cache.c      object caches and the allocator: the allocation and
 *                     free paths, growth, creation and destruction
 *   slab_kmalloc.c    kmalloc and kfree over the size classes
 *   slab_stats.c      snapshots of the counters
 *   slab_check.c      bs_slab_validate()
 *
 * slab.h is the API; slab_internal.h is what the files share.
 *
 * Locking, in the order taken: caches_lock (mutex, the list of caches);
 * a CPU's magazine lock (a local_lock, only ever taken on its own CPU:
 * what reaches every CPU's magazines runs on each through bs_cpu_each(),
 * which sleeps, so never under a spinlock); the depot lock; the cache
 * lock. Slabs are given back to the buddy only after every spinlock is
 * dropped, since the buddy is for process context. The buddy may call the
 * shrinker from bs_buddy_alloc(), which the slab layer calls with no lock
 * held.
 *
 * Context: process context.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "fault.h"
#include "slab_internal.h"

const char *const bs_slab_counter_names[] = {
	[BS_SLAB_ALLOCS]		= "allocs",
	[BS_SLAB_FREES]			= "frees",
	[BS_SLAB_MAG_HITS]		= "magazine_hits",
	[BS_SLAB_MAG_MISSES]		= "magazine_misses",
	[BS_SLAB_SLABS_CREATED]		= "slabs_created",
	[BS_SLAB_SLABS_FREED]		= "slabs_freed",
	[BS_SLAB_BYTES_REQUESTED]	= "bytes_requested",
	[BS_SLAB_BYTES_GRANTED]		= "bytes_granted",
	[BS_SLAB_ALLOC_FAILS]		= "alloc_fails",
	[BS_SLAB_REDZONE_ERRORS]	= "redzone_errors",
	[BS_SLAB_POISON_ERRORS]		= "poison_errors",
	[BS_SLAB_DOUBLE_FREES]		= "double_frees",
	[BS_SLAB_INVALID_FREES]		= "invalid_frees",
	[BS_SLAB_DEPOT_CONTENDED]	= "depot_contended",
	[BS_SLAB_MAG_RESIZES]		= "magazine_resizes",
	[BS_SLAB_MAG_TRIMMED]		= "magazines_trimmed",
};
static_assert(ARRAY_SIZE(bs_slab_counter_names) == BS_SLAB_NR_COUNTERS);

/**
 * bs_slab_arenas_init() - the page table and the table of arenas
 * @slab:	the allocator being set up, its buddy set
 *
 * One allocation: a descriptor pointer per page of the region, then the
 * hash table of the buddy's arenas, twice as many slots as they can take.
 *
 * Return: 0, or -ENOMEM.
 */
int bs_slab_arenas_init(struct bs_slab *slab)
{
	const unsigned long pages = bs_buddy_total_pages(slab->buddy);
	const unsigned int nr_arenas = bs_buddy_nr_arenas(slab->buddy);
	unsigned int a, mask, h, k;
	struct bs_slab_arena *arena;
	unsigned long keys[2];
	void *base;

	slab->arena_bits = order_base_2(4 * nr_arenas);
	slab->page_slab = bs_fault() ? NULL :
			  kvcalloc(pages + (sizeof(*arena) << slab->arena_bits) /
				   sizeof(*slab->page_slab),
				   sizeof(*slab->page_slab), GFP_KERNEL);
	if (!slab->page_slab)
		return -ENOMEM;
	slab->arenas = (struct bs_slab_arena *)(slab->page_slab + pages);
	mask = (1U << slab->arena_bits) - 1;
	for (a = 0; a < nr_arenas; a++) {
		base = bs_buddy_addr(slab->buddy, (unsigned long)a * BS_ARENA_PAGES);
		keys[0] = bs_slab_arena_key(base);
		keys[1] = bs_slab_arena_key(base + BS_ARENA_BYTES - 1);
		for (k = 0; k < 1 + (keys[1] != keys[0]); k++) {
			h = hash_long(keys[k], slab->arena_bits);
			while (slab->arenas[h].key)
				h = (h + 1) & mask;
			slab->arenas[h] = (struct bs_slab_arena){
				.key = keys[k],
				.base = base,
				.pgoff = (unsigned long)a * BS_ARENA_PAGES,
			};
		}
	}
	return 0;
}

static void bs_slab_page_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct bs_slab_page, rcu));
}

/**
 * bs_slab_release() - give slabs that left their cache back to the buddy
 * @slab:	the slab allocator
 * @slabs:	the slabs, retired under their cache's lock; no lock held now
 *
 * Their descriptors are freed after an RCU grace period.
 *
 * Return: the number of pages given back.
 */
unsigned long bs_slab_release(struct bs_slab *slab, struct list_head *slabs)
{
	struct bs_slab_page *sp, *next;
	unsigned long i, npages, pages = 0;

	might_sleep();

	list_for_each_entry_safe(sp, next, slabs, list) {
		npages = 1UL << sp->cache->order;
		for (i = 0; i < npages; i++)
			RCU_INIT_POINTER(slab->page_slab[sp->pgoff + i], NULL);
		list_del(&sp->list);
		WARN_ON(bs_buddy_free(slab->buddy, sp->pgoff));
		call_rcu(&sp->rcu, bs_slab_page_free_rcu);
		pages += npages;
	}
	return pages;
}

/* The CPU that owns @sp, if any, owns it no longer. */
static void bs_slab_disown(struct bs_slab_cache *cache, struct bs_slab_page *sp)
{
	lockdep_assert_held(&cache->lock);

	if (sp->owner < 0)
		return;
	per_cpu_ptr(cache->cpu, sp->owner)->slab = NULL;
	sp->owner = -1;
}

/* Take an empty slab off its list for release. Caller holds the cache lock. */
static void bs_slab_retire(struct bs_slab_cache *cache,
			   struct bs_slab_page *sp, struct list_head *release)
{
	lockdep_assert_held(&cache->lock);

	bs_slab_disown(cache, sp);
	list_move(&sp->list, release);
	cache->nr_slabs--;
	cache->nr_empty_slabs--;
	cache->counters[BS_SLAB_SLABS_FREED]++;
}

/**
 * bs_slab_retire_empty() - take every empty slab of a cache off its lists
 * @cache:	the cache; caller holds its lock
 * @release:	where the slabs go, for bs_slab_release()
 */
void bs_slab_retire_empty(struct bs_slab_cache *cache,
			  struct list_head *release)
{
	struct bs_slab_page *sp, *next;

	lockdep_assert_held(&cache->lock);

	list_for_each_entry_safe(sp, next, &cache->empty_slabs, list)
		bs_slab_retire(cache, sp, release);
}

/* The first slab of @list that no CPU owns, or NULL. */
static struct bs_slab_page *bs_slab_first_unowned(struct list_head *list)
{
	struct bs_slab_page *sp;

	/* Each CPU owns one slab at most: this skips as many. */
	list_for_each_entry(sp, list, list)
		if (sp->owner < 0)
			return sp;
	return NULL;
}

/*
 * The slab with a free object that this CPU takes from: the one it owns,
 * else a partial then an empty one no CPU owns, which it adopts; else, if
 * @share, any partial slab. NULL if there is none.
 */
static struct bs_slab_page *bs_slab_cpu_slab(struct bs_slab_cache *cache,
					     bool share)
{
	/* Which CPU is a placement hint: any is correct under the lock. */
	const int cpu = raw_smp_processor_id();
	struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);
	struct bs_slab_page *sp = c->slab;

	lockdep_assert_held(&cache->lock);

	if (sp && sp->nr_free)
		return sp;
	if (sp)
		bs_slab_disown(cache, sp);
	sp = bs_slab_first_unowned(&cache->partial) ?:
	     bs_slab_first_unowned(&cache->empty_slabs);
	if (sp) {
		sp->owner = cpu;
		c->slab = sp;
		return sp;
	}
	return share ? list_first_entry_or_null(&cache->partial,
						struct bs_slab_page, list) :
		       NULL;
}

/**
 * bs_slab_take() - take a free object out of a cache's slabs
 * @cache:	the cache; caller holds its lock
 * @share:	whether to take from another CPU's slab if no other has one
 *
 * From the slab this CPU owns, else from a partial then an empty slab that
 * no CPU owns, which this CPU then owns; else, if @share, from another
 * CPU's.
 *
 * Return: the object, marked allocated, or NULL if no such slab has a free
 * one.
 */
void *bs_slab_take(struct bs_slab_cache *cache, bool share)
{
	struct bs_slab_page *sp;
	unsigned int idx;

	lockdep_assert_held(&cache->lock);

	sp = bs_slab_cpu_slab(cache, share);
	if (!sp)
		return NULL;
	if (!sp->inuse) {
		cache->nr_empty_slabs--;
		list_move(&sp->list, &cache->partial);
	}
	idx = sp->free_stack[--sp->nr_free];
	sp->inuse++;
	cache->nr_active++;
	if (!sp->nr_free)
		list_move(&sp->list, &cache->full_slabs);
	bs_slab_set_state(&sp->state[idx], BS_SLAB_OBJ_USED);
	return bs_slab_obj(sp, idx);
}

/**
 * bs_slab_put() - put a claimed object back on its slab's free stack
 * @cache:	the object's cache; caller holds its lock
 * @obj:	the object, in the cached state
 * @release:	where a slab that becomes empty beyond the working set goes,
 *		for bs_slab_release()
 */
void bs_slab_put(struct bs_slab_cache *cache, void *obj,
		 struct list_head *release)
{
	struct bs_slab_page *sp;
	unsigned int idx;

	lockdep_assert_held(&cache->lock);

	rcu_read_lock();
	sp = bs_slab_lookup(cache->slab, obj, &idx);
	rcu_read_unlock();
	/* A claimed object's slab cannot go away: its inuse counts it. */
	if (WARN_ON(!sp || sp->cache != cache))
		return;

	bs_slab_set_state(&sp->state[idx], BS_SLAB_OBJ_FREE);
	if (!sp->nr_free)
		list_move(&sp->list, &cache->partial);
	sp->free_stack[sp->nr_free++] = idx;
	sp->inuse--;
	cache->nr_active--;
	if (sp->inuse)
		return;
	list_move(&sp->list, &cache->empty_slabs);
	cache->nr_empty_slabs++;
	if (cache->nr_empty_slabs > BS_SLAB_EMPTY_KEEP)
		bs_slab_retire(cache, sp, release);
}

/**
 * bs_slab_cache_layout() - object layout and slab order of a new cache
 * @cache:	the cache, its object size, alignment and flags set
 *
 * Sets the stride, the object's offset in it, the order of a slab (the
 * smallest that wastes at most 1/8, Bonwick's rule), the objects per slab
 * and the colours.
 *
 * Return: 0, or -EINVAL if no slab of an arena's size holds such objects.
 */
int bs_slab_cache_layout(struct bs_slab_cache *cache)
{
	const unsigned int rz = cache->flags & BS_SLAB_REDZONE ? BS_SLAB_RZ : 0;
	unsigned long slab_bytes, waste;
	unsigned int order;

	cache->offset = rz ? ALIGN(rz, cache->align) : 0;
	cache->size = ALIGN(cache->offset + cache->object_size + rz, cache->align);
	for (order = 0; order <= BS_BUDDY_MAX_ORDER; order++) {
		slab_bytes = PAGE_SIZE << order;
		if (slab_bytes < cache->size)
			continue;
		waste = slab_bytes % cache->size;
		if (waste * 8 <= slab_bytes)
			break;
	}
	if (order > BS_BUDDY_MAX_ORDER || slab_bytes / cache->size > U16_MAX)
		return -EINVAL;
	cache->order = order;
	cache->objects = slab_bytes / cache->size;
	cache->colour_align = max_t(unsigned int, L1_CACHE_BYTES, cache->align);
	cache->colours = waste / cache->colour_align + 1;
	cache->reciprocal_size = reciprocal_value(cache->size);
	return 0;
}

/*
 * What a cache is, for the layers above, which see no field of it. All
 * of it is immutable while the cache lives: no lock is taken.
 */

/**
 * bs_slab_cache_name() - a cache's name, as slabinfo shows it
 * @cache:	the cache
 *
 * Return: its name.
 */
const char *bs_slab_cache_name(const struct bs_slab_cache *cache)
{
	return cache->name;
}

/**
 * bs_slab_cache_object_size() - bytes a user of a cache's object may use
 * @cache:	the cache
 *
 * Return: its object size, what an allocation from it is granted.
 */
unsigned int bs_slab_cache_object_size(const struct bs_slab_cache *cache)
{
	return cache->object_size;
}

/**
 * bs_slab_cache_stride() - bytes from one object of a cache to the next
 * @cache:	the cache
 *
 * Return: the object, its red zones and padding.
 */
unsigned int bs_slab_cache_stride(const struct bs_slab_cache *cache)
{
	return cache->size;
}

/**
 * bs_slab_cache_objects_per_slab() - objects in one slab of a cache
 * @cache:	the cache
 *
 * Return: the objects in each of its slabs.
 */
unsigned int bs_slab_cache_objects_per_slab(const struct bs_slab_cache *cache)
{
	return cache->objects;
}

/**
 * bs_slab_cache_slab_pages() - pages in one slab of a cache
 * @cache:	the cache
 *
 * Return: the pages of each of its slabs, one buddy block.
 */
unsigned int bs_slab_cache_slab_pages(const struct bs_slab_cache *cache)
{
	return 1U << cache->order;
}
