/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab slab: the API of the slab allocator, for the device above it.
 * Object caches of one size each, and kmalloc-like size classes, in slabs
 * taken from the buddy allocator; statistics; a consistency check. How it
 * works is told in slab.c and the files beside it; what they share, in
 * slab_internal.h.
 */
#ifndef _BUDDYSLAB_SLAB_H
#define _BUDDYSLAB_SLAB_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "buddy.h"

/* Cache flags. */
#define BS_SLAB_REDZONE		BIT(0)	/* red zones before and after objects */
#define BS_SLAB_POISON		BIT(1)	/* poison free objects, check on alloc */
#define BS_SLAB_ACCOUNT		BIT(2)	/* charge its metadata to the memcg */
#define BS_SLAB_DEBUG		(BS_SLAB_REDZONE | BS_SLAB_POISON)
#define BS_SLAB_FLAGS		(BS_SLAB_DEBUG | BS_SLAB_ACCOUNT)

#define BS_SLAB_NAME_LEN	32
#define BS_SLAB_MAX_SIZE	(BS_ARENA_BYTES / 8)
#define BS_SLAB_MAX_ALIGN	PAGE_SIZE
#define BS_SLAB_MAG_ROUNDS	32	/* objects per magazine, at first */
#define BS_SLAB_MAG_MAX_ROUNDS	256	/* ... at most, as contention grows it */
#define BS_SLAB_MAG_MAX_BYTES	(64 * 1024) /* ... nor more object bytes */
#define BS_SLAB_DEPOT_MAX	16	/* full (and empty) magazines a depot keeps */
/* Depot lock contentions in a reap interval that grow the magazines. */
#define BS_SLAB_DEPOT_CONTENTION 3
#define BS_SLAB_REAP_INTERVAL	(15 * HZ) /* between bs_slab_reap()s */
#define BS_SLAB_NR_CLASSES	13	/* size classes: 8 to 8192 bytes */
#define BS_SLAB_MAX_CLASS	8192
/* Up to here the classes step by 8 bytes at most; above, powers of two. */
#define BS_SLAB_SMALL_CLASS	192

enum bs_slab_counter {
	BS_SLAB_ALLOCS,		/* objects allocated */
	BS_SLAB_FREES,		/* objects freed */
	BS_SLAB_MAG_HITS,	/* allocations served by the magazines */
	BS_SLAB_MAG_MISSES,	/* allocations that went to the slabs */
	BS_SLAB_SLABS_CREATED,	/* slabs taken from the buddy allocator */
	BS_SLAB_SLABS_FREED,	/* slabs given back to it */
	BS_SLAB_BYTES_REQUESTED, /* bytes asked for, over all allocations */
	BS_SLAB_BYTES_GRANTED,	/* object bytes handed out for them */
	BS_SLAB_ALLOC_FAILS,	/* allocations refused: no memory */
	BS_SLAB_REDZONE_ERRORS,	/* red zones found overwritten */
	BS_SLAB_POISON_ERRORS,	/* free objects found written to */
	BS_SLAB_DOUBLE_FREES,	/* frees of objects already free */
	BS_SLAB_INVALID_FREES,	/* frees of no object of the cache */
	BS_SLAB_DEPOT_CONTENDED, /* depot lock found taken by another CPU */
	BS_SLAB_MAG_RESIZES,	/* times the magazine size grew */
	BS_SLAB_MAG_TRIMMED,	/* depot magazines freed, unused an interval */
	BS_SLAB_NR_COUNTERS,
};

extern const char *const bs_slab_counter_names[BS_SLAB_NR_COUNTERS];

struct bs_slab;
struct bs_slab_arena;
struct bs_slab_cache;
struct bs_slab_page;

/**
 * struct bs_slab - object caches over a buddy allocator
 * @buddy:		where slabs come from; immutable
 * @page_slab:		per page of the region, the slab descriptor of the
 *			slab it is in, or NULL; read under RCU, written with
 *			no lock by whoever alone holds the slab: its grower
 *			before it joins its cache, its releaser after it
 *			left it
 * @classes:		the size-class caches, smallest first; immutable
 * @size_index:		for sizes up to BS_SLAB_SMALL_CLASS, by (size + 7) / 8,
 *			the index in @classes of the smallest class that
 *			holds them (kmalloc's size_index); immutable
 * @caches_lock:	protects @caches
 * @caches:		every cache
 * @shrinker:		gives empty slabs back when the buddy runs out
 * @reaper:		runs bs_slab_reap() every BS_SLAB_REAP_INTERVAL
 * @arenas:		the buddy's arenas by address, for bs_slab_lookup(): an
 *			open-addressed hash table of 2^@arena_bits slots, in
 *			the allocation of @page_slab; immutable
 * @arena_bits:		log2 of its slots; immutable
 */
struct bs_slab {
	struct bs_buddy *buddy;
	struct bs_slab_page __rcu **page_slab;
	struct bs_slab_cache *classes[BS_SLAB_NR_CLASSES];
	u8 size_index[BS_SLAB_SMALL_CLASS / 8 + 1];
	struct mutex caches_lock;
	struct list_head caches;
	struct bs_buddy_shrinker shrinker;
	struct delayed_work reaper;
	struct bs_slab_arena *arenas;
	unsigned int arena_bits;
};

/**
 * struct bs_slab_cache_stats - a snapshot of one cache
 * @counters:		every counter, summed
 * @active_objs:	objects allocated or in magazines
 * @num_objs:		objects in all slabs
 * @active_slabs:	slabs with at least one such object
 * @num_slabs:		all slabs
 * @magazine_objs:	free objects held in magazines and the depot
 * @magazine_size:	rounds of the magazines the cache makes now
 */
struct bs_slab_cache_stats {
	unsigned long counters[BS_SLAB_NR_COUNTERS];
	unsigned long active_objs;
	unsigned long num_objs;
	unsigned long active_slabs;
	unsigned long num_slabs;
	unsigned long magazine_objs;
	unsigned int magazine_size;
};

/**
 * struct bs_slab_walker - a visitor of every cache, for bs_slab_walk_caches()
 * @visit:	called with each cache and a snapshot of it; embed the walker
 *		in a structure of your own to reach your state
 */
struct bs_slab_walker {
	void (*visit)(struct bs_slab_walker *walker, struct bs_slab_cache *cache,
		      const struct bs_slab_cache_stats *stats);
};

int bs_slab_init(struct bs_slab *slab, struct bs_buddy *buddy,
		 unsigned int class_flags);
void bs_slab_fini(struct bs_slab *slab);
struct bs_slab_cache *bs_slab_cache_create(struct bs_slab *slab,
					   const char *name, unsigned int size,
					   unsigned int align, unsigned int flags,
					   void (*ctor)(void *obj));
int bs_slab_cache_destroy(struct bs_slab_cache *cache);
void *bs_slab_cache_alloc(struct bs_slab_cache *cache);
int bs_slab_cache_free(struct bs_slab_cache *cache, void *obj);
unsigned long bs_slab_cache_shrink(struct bs_slab_cache *cache);
unsigned long bs_slab_cache_pages(struct bs_slab_cache *cache,
				  unsigned long *free_objs);
void bs_slab_cache_stats(struct bs_slab_cache *cache,
			 struct bs_slab_cache_stats *stats);
int bs_slab_walk_caches(struct bs_slab *slab, struct bs_slab_walker *walker);
void *bs_slab_kmalloc(struct bs_slab *slab, size_t size, size_t *granted);
size_t bs_slab_kmalloc_granted(struct bs_slab *slab, size_t size);
int bs_slab_kfree(struct bs_slab *slab, void *obj);
unsigned long bs_slab_shrink(struct bs_slab *slab);
unsigned long bs_slab_reap(struct bs_slab *slab);
int bs_slab_validate(struct bs_slab *slab);
int bs_slab_class_index(const struct bs_slab_cache *cache);

const char *bs_slab_cache_name(const struct bs_slab_cache *cache);
unsigned int bs_slab_cache_object_size(const struct bs_slab_cache *cache);
unsigned int bs_slab_cache_stride(const struct bs_slab_cache *cache);
unsigned int bs_slab_cache_objects_per_slab(const struct bs_slab_cache *cache);
unsigned int bs_slab_cache_slab_pages(const struct bs_slab_cache *cache);

#endif /* _BUDDYSLAB_SLAB_H */
