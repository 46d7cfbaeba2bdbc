// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab statistics: what the slab allocator tells of itself.
 *
 * Counters live where the events happen: each CPU counts its magazine hits
 * and frees under its local lock, the depot its contentions and trims
 * under its lock, each cache what reaches its slabs under the cache lock,
 * and failures, counted where no lock is held, are atomic. So counting
 * costs the fast path no atomic operation. A snapshot adds them up, one
 * lock at a time, each CPU's on that CPU (slab_magazine.c): exact when
 * nothing else runs, and never a stop of the allocator. Nothing here
 * changes a cache.
 *
 * Context: process context.
 */
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fault.h"
#include "slab_internal.h"

/**
 * bs_slab_cache_pages() - what a cache holds of the buddy, and its room
 * @cache:	the cache
 * @free_objs:	out: free objects in its slabs, those in magazines not
 *		counted
 *
 * One snapshot under the cache's lock: an allocation finds a free object
 * without growing the cache if @free_objs is not 0 (and no one else
 * allocates from it meanwhile).
 *
 * Return: the pages in the cache's slabs.
 */
unsigned long bs_slab_cache_pages(struct bs_slab_cache *cache,
				  unsigned long *free_objs)
{
	unsigned long pages;

	spin_lock(&cache->lock);
	pages = cache->nr_slabs << cache->order;
	*free_objs = cache->nr_slabs * cache->objects - cache->nr_active;
	spin_unlock(&cache->lock);
	return pages;
}

/**
 * bs_slab_cache_stats() - take a snapshot of a cache
 * @cache:	the cache
 * @stats:	out: the snapshot; consistent when nothing else runs
 *
 * Context: process context; sleeps (each CPU counts its own magazines).
 */
void bs_slab_cache_stats(struct bs_slab_cache *cache,
			 struct bs_slab_cache_stats *stats)
{
	unsigned int c;

	memset(stats, 0, sizeof(*stats));
	for (c = 0; c < BS_SLAB_NR_COUNTERS; c++)
		stats->counters[c] = atomic_long_read(&cache->failures[c]);
	bs_slab_mag_stats(cache, stats);

	spin_lock(&cache->lock);
	for (c = 0; c < BS_SLAB_NR_COUNTERS; c++)
		stats->counters[c] += cache->counters[c];
	stats->num_slabs = cache->nr_slabs;
	stats->active_slabs = cache->nr_slabs - cache->nr_empty_slabs;
	stats->num_objs = cache->nr_slabs * cache->objects;
	stats->active_objs = cache->nr_active;
	spin_unlock(&cache->lock);
	stats->active_objs -= min(stats->active_objs, stats->magazine_objs);
}

/**
 * bs_slab_walk_caches() - show every cache in turn to a walker
 * @slab:	the slab allocator
 * @walker:	its visit() is called with each cache and a snapshot of it,
 *		with the list of caches locked (so it must not create or
 *		destroy one)
 *
 * Context: process context.
 * Return: 0, or -ENOMEM.
 */
int bs_slab_walk_caches(struct bs_slab *slab, struct bs_slab_walker *walker)
{
	struct bs_slab_cache_stats *stats;
	struct bs_slab_cache *cache;

	stats = bs_fault() ? NULL : kmalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	mutex_lock(&slab->caches_lock);
	list_for_each_entry(cache, &slab->caches, list) {
		bs_slab_cache_stats(cache, stats);
		walker->visit(walker, cache, stats);
	}
	mutex_unlock(&slab->caches_lock);
	kfree(stats);
	return 0;
}
