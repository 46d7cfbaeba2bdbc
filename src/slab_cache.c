// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab caches: the object caches and the allocator that holds
 * them, over the slabs (slab.c) and the magazines (slab_magazine.c).
 *
 * An allocation the magazines cannot serve (slab_magazine.c holds the
 * fast path) takes an object from the cache's slabs here, and if no slab
 * has one, the cache grows by a slab from the buddy and the allocation
 * takes from it.
 *
 * A cache is created with its layout, depot and per-CPU magazines, and is
 * destroyed only when none of its objects is allocated; shrinking empties
 * its magazines into its slabs and gives every empty slab back. The
 * allocator creates the size classes, shrinks every cache when the buddy
 * runs out of memory, and reaps every depot every BS_SLAB_REAP_INTERVAL in
 * a delayed work (bs_slab_reap()).
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/log2.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "fault.h"
#include "slab_internal.h"

/* ---- Slabs --------------------------------------------------------------- */

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
	sp->owner = -1;
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

	/*
	 * Whole cache lines, so that kmalloc() aligns it to one: the state
	 * bytes of two CPUs' slabs must not share a line.
	 */
	sp = bs_fault() ? NULL :
	     kmalloc(ALIGN(struct_size(sp, free_stack, cache->objects) +
			   cache->objects * sizeof(*sp->state),
			   SMP_CACHE_BYTES),
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

/* ---- Allocation when the magazines are empty ------------------------------ */

/**
 * bs_slab_alloc_slow() - allocate an object from the slabs
 * @cache:	the cache, whose magazines and depot hold none
 * @requested:	bytes the caller asked for, for the counters
 *
 * From this CPU's slab, or one no CPU owns (bs_slab_take()); else the cache
 * grows by a slab, and if it cannot, another CPU's slab is used.
 *
 * Context: process context.
 * Return: the object, marked allocated, or NULL if no memory can be had.
 */
void *bs_slab_alloc_slow(struct bs_slab_cache *cache, size_t requested)
{
	bool failed = false;
	void *obj;

	for (;;) {
		spin_lock(&cache->lock);
		obj = bs_slab_take(cache, failed);
		if (obj) {
			cache->counters[BS_SLAB_MAG_MISSES]++;
			bs_slab_count_alloc(cache, cache->counters, requested);
		}
		spin_unlock(&cache->lock);
		/*
		 * After a failed grow, one more look, at every slab: the
		 * buddy's reclaim may have emptied the magazines into them.
		 */
		if (obj || failed)
			return obj;
		failed = bs_slab_grow(cache) != 0;
	}
}

/* ---- Caches -------------------------------------------------------------- */

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
	cache->class_index = -1;
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

/* ---- The allocator ------------------------------------------------------- */

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

/**
 * bs_slab_reap() - the depots' work over time, in every cache
 * @slab:	the slab allocator
 *
 * Each depot frees the magazines it did not need since the last reap, and
 * grows its cache's magazines if CPUs contended for it (slab_magazine.c).
 * Runs every BS_SLAB_REAP_INTERVAL by itself; callers may add their own.
 *
 * Context: process context.
 * Return: the number of pages given back.
 */
unsigned long bs_slab_reap(struct bs_slab *slab)
{
	struct bs_slab_cache *cache;
	unsigned long pages = 0;
	LIST_HEAD(release);

	mutex_lock(&slab->caches_lock);
	list_for_each_entry(cache, &slab->caches, list) {
		bs_slab_mag_reap(cache, &release);
		/* While the cache surely lives: its slabs need its order. */
		pages += bs_slab_release(slab, &release);
	}
	mutex_unlock(&slab->caches_lock);
	return pages;
}

static void bs_slab_reaper(struct work_struct *work)
{
	struct bs_slab *slab = container_of(to_delayed_work(work),
					    struct bs_slab, reaper);

	bs_slab_reap(slab);
	schedule_delayed_work(&slab->reaper, BS_SLAB_REAP_INTERVAL);
}

/* The size classes: the powers of two, and 96 and 192, as kmalloc's. */
static const unsigned int bs_slab_class_sizes[BS_SLAB_NR_CLASSES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, BS_SLAB_MAX_CLASS,
};

/*
 * Create the size classes of an allocator being set up, and the table of
 * the small ones (slab_kmalloc.c). Returns 0, or the error of the first
 * class that could not be made (the classes made before it are destroyed).
 */
static int bs_slab_classes_init(struct bs_slab *slab, unsigned int class_flags)
{
	char name[BS_SLAB_NAME_LEN];
	unsigned int i, size;

	for (i = 0; i < BS_SLAB_NR_CLASSES; i++) {
		struct bs_slab_cache *cache;

		size = bs_slab_class_sizes[i];
		snprintf(name, sizeof(name), "size-%u", size);
		cache = bs_slab_cache_create(slab, name, size,
					     is_power_of_2(size) ?
					     min_t(unsigned int, size, PAGE_SIZE) : 0,
					     class_flags, NULL);
		if (IS_ERR(cache)) {
			while (i--)
				bs_slab_cache_destroy(slab->classes[i]);
			return PTR_ERR(cache);
		}
		cache->class_index = i;
		slab->classes[i] = cache;
	}
	/* Size 0 counts as the smallest, as kmalloc's (size - 1) / 8 does. */
	for (i = 0, size = 0; size <= BS_SLAB_SMALL_CLASS; size += 8) {
		while (bs_slab_class_sizes[i] < size)
			i++;
		slab->size_index[size / 8] = i;
	}
	return 0;
}

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

	cancel_delayed_work_sync(&slab->reaper);
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
 * Creates the size classes: 8 to BS_SLAB_MAX_CLASS bytes, the powers of two
 * (naturally aligned) and 96 and 192, as the kernel's kmalloc caches.
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
	ret = bs_slab_arenas_init(slab);
	if (ret)
		return ret;

	ret = bs_slab_classes_init(slab, class_flags);
	if (ret) {
		kvfree(slab->page_slab);
		return ret;
	}
	slab->shrinker.shrink = bs_slab_shrinker;
	bs_buddy_register_shrinker(buddy, &slab->shrinker);
	INIT_DELAYED_WORK(&slab->reaper, bs_slab_reaper);
	schedule_delayed_work(&slab->reaper, BS_SLAB_REAP_INTERVAL);
	return 0;
}
