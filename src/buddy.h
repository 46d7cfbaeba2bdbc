/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab buddy: the API of the binary buddy allocator, for the slab and
 * fit allocators and the device above it. Blocks of 2^order pages of the
 * region, named by their first page; tags; statistics; a consistency check.
 * How it works is told in buddy.c; what its files share, in
 * buddy_internal.h.
 */
#ifndef _BUDDYSLAB_BUDDY_H
#define _BUDDYSLAB_BUDDY_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "region.h"

struct bs_buddy_arena;
struct bs_buddy_pcp;

#define BS_BUDDY_MAX_ORDER	BS_ARENA_ORDER
#define BS_BUDDY_NR_ORDERS	(BS_BUDDY_MAX_ORDER + 1)

/*
 * Tags: who a block is for, kept with it for the map and for its owner to
 * check. The buddy gives them no meaning; they are all named here, so that
 * no two users can share one.
 */
enum bs_buddy_tag {
	BS_BUDDY_TAG_DIRECT,	/* handed out as it is */
	BS_BUDDY_TAG_SLAB,	/* a slab of an object cache */
	BS_BUDDY_TAG_ARENA,	/* an arena of fit, genpool or byte buddy */
	BS_BUDDY_TAG_LARGE,	/* a kmalloc too large for a size class */
	BS_BUDDY_NR_TAGS,
};

/* Counters kept per order. */
enum bs_buddy_order_counter {
	BS_BUDDY_ALLOCS,	/* successful allocations */
	BS_BUDDY_FREES,		/* frees */
	BS_BUDDY_NR_ORDER_COUNTERS,
};

/* Counters of events. */
enum bs_buddy_counter {
	BS_BUDDY_ALLOC_FAILS,	/* allocations refused: -ENOMEM */
	BS_BUDDY_FREES_REFUSED,	/* frees of no live block: refused */
	BS_BUDDY_SPLITS,	/* blocks split in two */
	BS_BUDDY_MERGES,	/* buddy pairs merged */
	BS_BUDDY_PCP_HITS,	/* allocations served by a per-CPU cache */
	BS_BUDDY_PCP_MISSES,	/* per-CPU cache empty: refilled */
	BS_BUDDY_PCP_DRAINS,	/* batches given back by per-CPU caches */
	BS_BUDDY_NR_COUNTERS,
};

extern const char *const bs_buddy_order_counter_names[BS_BUDDY_NR_ORDER_COUNTERS];
extern const char *const bs_buddy_counter_names[BS_BUDDY_NR_COUNTERS];

/**
 * struct bs_buddy_counters - counters, kept where the events happen
 * @order:	per enum bs_buddy_order_counter, per order
 * @event:	per enum bs_buddy_counter
 *
 * Each arena counts what happens under its lock and each per-CPU cache
 * what happens under its CPU's local lock, so counting costs no atomic
 * operation; bs_buddy_stats() adds them up.
 */
struct bs_buddy_counters {
	unsigned long order[BS_BUDDY_NR_ORDER_COUNTERS][BS_BUDDY_NR_ORDERS];
	unsigned long event[BS_BUDDY_NR_COUNTERS];
};

/**
 * struct bs_buddy_shrinker - a user's free memory, to be asked for
 * @list:	in the allocator's shrinkers; under its shrinker_lock
 * @shrink:	gives back what free memory it can; returns the pages given
 */
struct bs_buddy_shrinker {
	struct list_head list;
	unsigned long (*shrink)(struct bs_buddy_shrinker *shrinker);
};

/**
 * struct bs_buddy - a binary buddy allocator over every arena of a region
 * @region:	the memory; immutable
 * @arenas:	one per arena of the region, each under its own lock
 * @nr_arenas:	how many; immutable
 * @base:	kernel address of each arena's first page; immutable
 * @state:	one byte per page of the region (see buddy.c); under the lock
 *		of the arena or per-CPU cache that holds the page's block
 * @links:	one list link per page, used while the page heads a free block;
 *		under the same lock as its @state
 * @order_arenas: the summary of free orders: per order, a bitmap of the
 *		arenas that may have a free block of that order; set for every
 *		arena that has one (see buddy.c). An arena's bits change under
 *		its lock, with atomic bit operations (arenas share words); read
 *		without locks
 * @pcp:	the per-CPU caches, each under its CPU's local lock
 * @walk_lock:	held by whoever walks every CPU's cache (drain, validation):
 *		protects the caches of offline CPUs, which no local lock does
 * @failures:	per enum bs_buddy_counter, the failures, counted where no
 *		lock is held; atomic
 * @reclaimers:	requests between their drain of the caches and their retry;
 *		while non-zero the caches take in nothing (see buddy.c).
 *		Changed by those requests, read under a cache's local lock;
 *		atomic
 * @shrinker_lock: protects @shrinkers, and is held while they run
 * @shrinkers:	struct bs_buddy_shrinker, asked in turn when memory runs out
 */
struct bs_buddy {
	const struct bs_region *region;
	struct bs_buddy_arena *arenas;
	unsigned int nr_arenas;
	void **base;
	u8 *state;
	struct list_head *links;
	unsigned long *order_arenas;
	struct bs_buddy_pcp __percpu *pcp;
	struct mutex walk_lock;
	atomic_long_t failures[BS_BUDDY_NR_COUNTERS];
	atomic_t reclaimers;
	struct mutex shrinker_lock;
	struct list_head shrinkers;
};

/**
 * struct bs_buddy_stats - a snapshot of a buddy allocator
 * @counters:		every counter, summed over arenas, caches and failures
 * @nr_free:		free blocks per order in all arenas' free lists
 * @free_pages:		pages in the arenas' free lists
 * @cached_pages:	free pages held by the per-CPU caches
 * @used_pages:		pages in allocated blocks
 * @metadata_bytes:	bytes of metadata the allocator keeps
 */
struct bs_buddy_stats {
	struct bs_buddy_counters counters;
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned long free_pages;
	unsigned long cached_pages;
	unsigned long used_pages;
	unsigned long metadata_bytes;
};

/* What a page is, for bs_buddy_arena_map(). */
enum bs_buddy_page_kind {
	BS_BUDDY_PAGE_FREE,	/* in a free block on a free list */
	BS_BUDDY_PAGE_CACHED,	/* in a free block in a per-CPU cache */
	BS_BUDDY_PAGE_USED,	/* in an allocated block: + its tag */
	BS_BUDDY_NR_PAGE_KINDS = BS_BUDDY_PAGE_USED + BS_BUDDY_NR_TAGS,
};

int bs_buddy_init(struct bs_buddy *buddy, const struct bs_region *region);
void bs_buddy_fini(struct bs_buddy *buddy);
int bs_buddy_alloc(struct bs_buddy *buddy, unsigned int order,
		   unsigned int tag, unsigned long *pgoff);
int bs_buddy_free(struct bs_buddy *buddy, unsigned long pgoff);
int bs_buddy_block_tag(struct bs_buddy *buddy, unsigned long pgoff);
void *bs_buddy_addr(const struct bs_buddy *buddy, unsigned long pgoff);
int bs_buddy_pgoff_of(const struct bs_buddy *buddy, const void *addr,
		      unsigned long *pgoff);
void bs_buddy_register_shrinker(struct bs_buddy *buddy,
				struct bs_buddy_shrinker *shrinker);
void bs_buddy_unregister_shrinker(struct bs_buddy *buddy,
				  struct bs_buddy_shrinker *shrinker);
bool bs_buddy_drain(struct bs_buddy *buddy);
unsigned long bs_buddy_free_pages(struct bs_buddy *buddy);
void bs_buddy_arena_nr_free(struct bs_buddy *buddy, unsigned int arena,
			    unsigned long nr_free[BS_BUDDY_NR_ORDERS]);
void bs_buddy_arena_map(struct bs_buddy *buddy, unsigned int arena,
			u8 kind[BS_ARENA_PAGES]);
void bs_buddy_stats(struct bs_buddy *buddy, struct bs_buddy_stats *stats);
int bs_buddy_unusable_index(const unsigned long nr_free[BS_BUDDY_NR_ORDERS],
			    unsigned int order);
int bs_buddy_extfrag_index(const unsigned long nr_free[BS_BUDDY_NR_ORDERS],
			   unsigned int order);
int bs_buddy_validate(struct bs_buddy *buddy);

/**
 * bs_buddy_total_pages() - pages managed by a buddy allocator
 * @buddy:	the allocator
 *
 * Return: the number of pages in all its arenas.
 */
static inline unsigned long bs_buddy_total_pages(const struct bs_buddy *buddy)
{
	return buddy->nr_arenas * BS_ARENA_PAGES;
}

/**
 * bs_buddy_nr_arenas() - arenas of a buddy allocator
 * @buddy:	the allocator
 *
 * Return: how many arenas it manages; arena i starts at page
 * i * BS_ARENA_PAGES.
 */
static inline unsigned int bs_buddy_nr_arenas(const struct bs_buddy *buddy)
{
	return buddy->nr_arenas;
}

/**
 * bs_buddy_granted() - what an allocation of some size really reserves
 * @size:	bytes asked for, at least 1
 *
 * Return: the bytes of the block of order get_order(@size), the one that
 * holds @size.
 */
static inline size_t bs_buddy_granted(size_t size)
{
	return PAGE_SIZE << get_order(size);
}

#endif /* _BUDDYSLAB_BUDDY_H */
