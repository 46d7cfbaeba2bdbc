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
 * Out-of-band metadata. A slab's descriptor (kmalloc'd, never in the slab)
 * holds a stack of its free objects' indices and one state byte per object:
 * free in the slab, cached in a magazine, or allocated. Each page of the
 * region points to the descriptor of the slab it is in. A free looks the
 * pointer up there: a pointer outside every slab, into the middle of an
 * object, into another cache's slab, or to an object that is not allocated
 * is refused and reported, and nothing changes. The allocated -> cached
 * transition is a cmpxchg, so of two racing frees of one object one wins.
 * Descriptors and caches are freed after an RCU grace period, so a lookup
 * racing with the release of a slab or the destruction of its cache (an
 * erroneous free, which is what the lookup is for) reads valid, if stale,
 * memory and refuses the free.
 *
 * Allocations and frees go through the magazines first (slab_magazine.c);
 * what they miss comes here. Red zones and poison are slab_debug.c's, the
 * size classes slab_kmalloc.c's, counters slab_stats.c's and the checks
 * slab_check.c's; slab_internal.h holds what they share.
 *
 * Locking, in the order taken: caches_lock (mutex, the list of caches);
 * a CPU's magazine lock; the depot lock; the cache lock. Slabs are given
 * back to the buddy only after every spinlock is dropped, since the buddy
 * is for process context. The buddy may call the shrinker from
 * bs_buddy_alloc(), which the slab layer calls with no lock held.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/log2.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fault.h"
#include "slab_internal.h"

/* ---- Lookup -------------------------------------------------------------- */

/**
 * bs_slab_lookup() - the slab and index of an object, by its address
 * @slab:	the slab allocator
 * @obj:	any address
 * @idx:	out: the object's index in its slab
 *
 * Caller holds the RCU read lock, which keeps the descriptor found valid
 * memory, if stale, while its slab is being released.
 *
 * Return: the slab's descriptor, or NULL if @obj is not the start of an
 * object in any slab.
 */
struct bs_slab_page *bs_slab_lookup(struct bs_slab *slab, const void *obj,
				    unsigned int *idx)
{
	struct bs_slab_cache *cache;
	struct bs_slab_page *sp;
	unsigned long pgoff, delta;
	unsigned int i;

	if (bs_buddy_pgoff_of(slab->buddy, obj, &pgoff))
		return NULL;
	sp = rcu_dereference(slab->page_slab[pgoff]);
	if (!sp || obj < sp->base)
		return NULL;
	cache = sp->cache;
	delta = obj - sp->base;
	i = reciprocal_divide(delta, cache->reciprocal_size);
	if (i >= cache->objects || delta - i * cache->size != cache->offset)
		return NULL;
	*idx = i;
	return sp;
}

/* ---- Slabs --------------------------------------------------------------- */

static void bs_slab_page_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct bs_slab_page, rcu));
}

/*
 * Give slabs that left their cache back to the buddy; no lock held.
 * Returns the number of pages given back.
 */
static unsigned long bs_slab_release(struct bs_slab *slab,
				     struct list_head *slabs)
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

/* Take an empty slab off its list for release. Caller holds the cache lock. */
static void bs_slab_retire(struct bs_slab_cache *cache,
			   struct bs_slab_page *sp, struct list_head *release)
{
	lockdep_assert_held(&cache->lock);

	list_move(&sp->list, release);
	cache->nr_slabs--;
	cache->nr_empty_slabs--;
	cache->counters[BS_SLAB_SLABS_FREED]++;
}

/*
 * Take a free object out of a slab and mark it allocated. Caller holds the
 * cache lock. NULL if no slab has a free object.
 */
static void *bs_slab_take(struct bs_slab_cache *cache)
{
	struct bs_slab_page *sp;
	unsigned int idx;

	lockdep_assert_held(&cache->lock);

	sp = list_first_entry_or_null(&cache->partial, struct bs_slab_page, list);
	if (!sp) {
		sp = list_first_entry_or_null(&cache->empty_slabs,
					      struct bs_slab_page, list);
		if (!sp)
			return NULL;
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

/*
 * Set up the descriptor of a new slab at @pgoff, of colour index @colour:
 * every object free, its debugging patterns written, its constructor run.
 */
static void bs_slab_page_init(struct bs_slab_cache *cache,
			      struct bs_slab_page *sp, unsigned long pgoff,
			      unsigned int colour)
{
	void *start = bs_buddy_addr(cache->slab->buddy, pgoff);
	unsigned int i;

	sp->cache = cache;
	sp->pgoff = pgoff;
	sp->colour = colour * cache->colour_align;
	sp->base = start + sp->colour;
	sp->inuse = 0;
	sp->nr_free = cache->objects;
	sp->state = (u8 *)&sp->free_stack[cache->objects];
	for (i = 0; i < cache->objects; i++) {
		u8 *obj = bs_slab_obj(sp, i);

		sp->state[i] = BS_SLAB_OBJ_FREE;
		/* Objects go out lowest index first. */
		sp->free_stack[i] = cache->objects - 1 - i;
		if (cache->flags & BS_SLAB_DEBUG)
			bs_slab_debug_init_obj(cache, obj);
		if (cache->ctor)
			cache->ctor(obj);
	}
}

/* Make a new slab and add it to the cache's empty list. */
static int bs_slab_grow(struct bs_slab_cache *cache)
{
	struct bs_slab *slab = cache->slab;
	struct bs_slab_page *sp;
	unsigned long pgoff, i;
	unsigned int colour;
	int ret;

	might_sleep();

	sp = bs_fault() ? NULL :
	     kmalloc(struct_size(sp, free_stack, cache->objects) +
		     cache->objects * sizeof(*sp->state),
		     bs_slab_gfp(cache->flags, GFP_KERNEL));
	if (!sp)
		return -ENOMEM;
	ret = bs_buddy_alloc(slab->buddy, cache->order, BS_BUDDY_TAG_SLAB, &pgoff);
	if (ret) {
		kfree(sp);
		return ret;
	}

	spin_lock(&cache->lock);
	colour = cache->colour_next;
	cache->colour_next = (colour + 1) % cache->colours;
	spin_unlock(&cache->lock);

	bs_slab_page_init(cache, sp, pgoff, colour);
	for (i = 0; i < (1UL << cache->order); i++)
		rcu_assign_pointer(slab->page_slab[pgoff + i], sp);

	spin_lock(&cache->lock);
	list_add(&sp->list, &cache->empty_slabs);
	cache->nr_slabs++;
	cache->nr_empty_slabs++;
	cache->counters[BS_SLAB_SLABS_CREATED]++;
	spin_unlock(&cache->lock);
	return 0;
}

/* ---- Allocation and free ------------------------------------------------- */

/* From the slabs, growing the cache if none has a free object. */
static void *bs_slab_alloc_slow(struct bs_slab_cache *cache, size_t requested)
{
	bool failed = false;
	void *obj;

	for (;;) {
		spin_lock(&cache->lock);
		obj = bs_slab_take(cache);
		if (obj) {
			cache->counters[BS_SLAB_MAG_MISSES]++;
			bs_slab_count_alloc(cache, cache->counters, requested);
		}
		spin_unlock(&cache->lock);
		/*
		 * After a failed grow, one more look: the buddy's reclaim may
		 * have emptied the magazines into this cache's slabs.
		 */
		if (obj || failed)
			return obj;
		failed = bs_slab_grow(cache) != 0;
	}
}

/**
 * bs_slab_alloc() - allocate an object: from the magazines, else the slabs
 * @cache:	the cache
 * @requested:	bytes the caller asked for, for the counters
 *
 * Context: process context.
 * Return: the object, or NULL if no memory can be had.
 */
void *bs_slab_alloc(struct bs_slab_cache *cache, size_t requested)
{
	void *obj;

	might_sleep();

	obj = bs_slab_mag_alloc(cache, requested);
	if (!obj)
		obj = bs_slab_alloc_slow(cache, requested);
	if (!obj) {
		bs_slab_count_failure(cache, BS_SLAB_ALLOC_FAILS);
		return NULL;
	}
	if (cache->flags & BS_SLAB_DEBUG)
		bs_slab_debug_alloc(cache, obj);
	return obj;
}

/**
 * bs_slab_cache_alloc() - allocate an object
 * @cache:	the cache
 *
 * Context: process context.
 * Return: the object, constructed if the cache has a constructor, or NULL
 * if no memory can be had.
 */
void *bs_slab_cache_alloc(struct bs_slab_cache *cache)
{
	return bs_slab_alloc(cache, cache->object_size);
}

/*
 * Find @obj, which is to be an object of @cache. Caller holds the RCU read
 * lock. If it is none, it is reported and counted against @cache.
 */
static int bs_slab_find(struct bs_slab_cache *cache, const void *obj,
			struct bs_slab_page **spp, unsigned int *idx)
{
	struct bs_slab_page *sp = bs_slab_lookup(cache->slab, obj, idx);

	if (!sp) {
		bs_slab_count_failure(cache, BS_SLAB_INVALID_FREES);
		pr_err_ratelimited("cache %s: free of an address that is no object of any cache\n",
				   cache->name);
		return -EINVAL;
	}
	if (sp->cache != cache) {
		bs_slab_count_failure(cache, BS_SLAB_INVALID_FREES);
		bs_slab_report(sp, *idx, "freed to the wrong cache", BS_SLAB_NO_BYTE,
			       0);
		return -EINVAL;
	}
	*spp = sp;
	return 0;
}

/**
 * bs_slab_cache_free() - free an object
 * @cache:	the cache it was allocated from
 * @obj:	the object
 *
 * A pointer that is not an allocated object of @cache (inside an object,
 * outside every slab, of another cache, or already free) is refused, and
 * reported once per object.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if refused; nothing changes then.
 */
int bs_slab_cache_free(struct bs_slab_cache *cache, void *obj)
{
	struct bs_slab_page *sp;
	LIST_HEAD(release);
	unsigned int idx;
	int ret;

	might_sleep();

	rcu_read_lock();
	ret = bs_slab_find(cache, obj, &sp, &idx);
	if (!ret)
		ret = bs_slab_mag_free(cache, sp, idx, &release);
	rcu_read_unlock();
	bs_slab_release(cache->slab, &release);
	return ret;
}

/* ---- Caches -------------------------------------------------------------- */

/* Object layout and slab order (Bonwick's 1/8 rule) of a new cache. */
static int bs_slab_cache_layout(struct bs_slab_cache *cache)
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

/**
 * bs_slab_cache_create() - create an object cache
 * @slab:	the slab allocator
 * @name:	shown in slabinfo; 1 to BS_SLAB_NAME_LEN - 1 characters
 * @size:	bytes per object, 1 to BS_SLAB_MAX_SIZE
 * @align:	alignment of each object: 0 for the default (8), else a power
 *		of two up to BS_SLAB_MAX_ALIGN
 * @flags:	BS_SLAB_REDZONE, BS_SLAB_POISON
 * @ctor:	run on each object when its slab is made, or NULL; not with
 *		BS_SLAB_POISON, which would destroy what it built
 *
 * Context: process context.
 * Return: the cache, or ERR_PTR(-EINVAL) for bad arguments, ERR_PTR(-ENOMEM).
 */
struct bs_slab_cache *bs_slab_cache_create(struct bs_slab *slab,
					   const char *name, unsigned int size,
					   unsigned int align, unsigned int flags,
					   void (*ctor)(void *obj))
{
	struct bs_slab_cache *cache;
	int ret;

	if (!align)
		align = BS_SLAB_MIN_ALIGN;
	if (!name || !*name || !size || size > BS_SLAB_MAX_SIZE ||
	    !is_power_of_2(align) || align > BS_SLAB_MAX_ALIGN ||
	    flags & ~BS_SLAB_FLAGS || (ctor && flags & BS_SLAB_POISON))
		return ERR_PTR(-EINVAL);

	cache = bs_fault() ? NULL :
		kzalloc(sizeof(*cache), bs_slab_gfp(flags, GFP_KERNEL));
	if (!cache)
		return ERR_PTR(-ENOMEM);
	if (strscpy(cache->name, name, sizeof(cache->name)) < 0) {
		ret = -EINVAL;
		goto err_free_cache;
	}
	cache->slab = slab;
	cache->object_size = size;
	cache->align = max_t(unsigned int, align, BS_SLAB_MIN_ALIGN);
	cache->flags = flags;
	cache->ctor = ctor;
	ret = bs_slab_cache_layout(cache);
	if (ret)
		goto err_free_cache;

	spin_lock_init(&cache->lock);
	INIT_LIST_HEAD(&cache->partial);
	INIT_LIST_HEAD(&cache->full_slabs);
	INIT_LIST_HEAD(&cache->empty_slabs);
	ret = bs_slab_mag_init(cache);
	if (ret)
		goto err_free_cache;

	mutex_lock(&slab->caches_lock);
	list_add_tail(&cache->list, &slab->caches);
	mutex_unlock(&slab->caches_lock);
	return cache;

err_free_cache:
	kfree(cache);
	return ERR_PTR(ret);
}

/* Retire every empty slab. Caller holds the cache lock. */
static void bs_slab_retire_empty(struct bs_slab_cache *cache,
				 struct list_head *release)
{
	struct bs_slab_page *sp, *next;

	lockdep_assert_held(&cache->lock);

	list_for_each_entry_safe(sp, next, &cache->empty_slabs, list)
		bs_slab_retire(cache, sp, release);
}

/**
 * bs_slab_cache_destroy() - destroy a cache with no live object
 * @cache:	the cache; gone on success
 *
 * Context: process context.
 * Return: 0, or -EBUSY if objects are still allocated (the cache stays).
 */
int bs_slab_cache_destroy(struct bs_slab_cache *cache)
{
	struct bs_slab *slab = cache->slab;
	LIST_HEAD(release);
	int ret = 0;

	might_sleep();

	mutex_lock(&slab->caches_lock);
	bs_slab_mag_drain(cache, &release);
	spin_lock(&cache->lock);
	if (cache->nr_active)
		ret = -EBUSY;
	else
		bs_slab_retire_empty(cache, &release);
	spin_unlock(&cache->lock);
	if (!ret)
		list_del(&cache->list);
	mutex_unlock(&slab->caches_lock);

	bs_slab_release(slab, &release);
	if (ret)
		return ret;
	bs_slab_mag_fini(cache);
	/* A lookup may have reached it through a descriptor: see above. */
	kfree_rcu(cache, rcu);
	return 0;
}

/**
 * bs_slab_cache_shrink() - give a cache's free memory back to the buddy
 * @cache:	the cache
 *
 * Empties the magazines into the slabs and gives back every empty slab.
 *
 * Context: process context.
 * Return: the number of pages given back.
 */
unsigned long bs_slab_cache_shrink(struct bs_slab_cache *cache)
{
	LIST_HEAD(release);

	bs_slab_mag_drain(cache, &release);
	spin_lock(&cache->lock);
	bs_slab_retire_empty(cache, &release);
	spin_unlock(&cache->lock);
	return bs_slab_release(cache->slab, &release);
}

/**
 * bs_slab_shrink() - give every cache's free memory back to the buddy
 * @slab:	the slab allocator
 *
 * Context: process context.
 * Return: the number of pages given back.
 */
unsigned long bs_slab_shrink(struct bs_slab *slab)
{
	struct bs_slab_cache *cache;
	unsigned long pages = 0;

	mutex_lock(&slab->caches_lock);
	list_for_each_entry(cache, &slab->caches, list)
		pages += bs_slab_cache_shrink(cache);
	mutex_unlock(&slab->caches_lock);
	return pages;
}

static unsigned long bs_slab_shrinker(struct bs_buddy_shrinker *shrinker)
{
	return bs_slab_shrink(container_of(shrinker, struct bs_slab, shrinker));
}

/* ---- Setup and teardown -------------------------------------------------- */

/**
 * bs_slab_fini() - tear down a slab allocator
 * @slab:	the allocator; every object must be free again
 *
 * Destroys every cache; a cache that still has objects is a leak in its
 * user, reported with a warning (its slabs stay with the buddy).
 */
void bs_slab_fini(struct bs_slab *slab)
{
	struct bs_slab_cache *cache, *next;

	bs_buddy_unregister_shrinker(slab->buddy, &slab->shrinker);
	list_for_each_entry_safe(cache, next, &slab->caches, list)
		WARN(bs_slab_cache_destroy(cache), "cache %s destroyed with live objects\n",
		     cache->name);
	/* Descriptors go after a grace period: wait for them. */
	rcu_barrier();
	kvfree(slab->page_slab);
}

/**
 * bs_slab_init() - set up a slab allocator over a buddy allocator
 * @slab:	the allocator to set up
 * @buddy:	where its slabs come from; must outlive it
 * @class_flags: BS_SLAB_* flags of the size-class caches
 *
 * Creates the size classes (slab_kmalloc.c).
 *
 * Context: process context.
 * Return: 0, -EINVAL for bad flags, or -ENOMEM.
 */
int bs_slab_init(struct bs_slab *slab, struct bs_buddy *buddy,
		 unsigned int class_flags)
{
	int ret;

	memset(slab, 0, sizeof(*slab));
	slab->buddy = buddy;
	mutex_init(&slab->caches_lock);
	INIT_LIST_HEAD(&slab->caches);
	slab->page_slab = bs_fault() ? NULL :
			  kvcalloc(bs_buddy_total_pages(buddy),
				   sizeof(*slab->page_slab), GFP_KERNEL);
	if (!slab->page_slab)
		return -ENOMEM;

	ret = bs_slab_kmalloc_init(slab, class_flags);
	if (ret) {
		kvfree(slab->page_slab);
		return ret;
	}
	slab->shrinker.shrink = bs_slab_shrinker;
	bs_buddy_register_shrinker(buddy, &slab->shrinker);
	return 0;
}
