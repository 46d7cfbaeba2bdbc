/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab slab, private: what the slab allocator's files share. Nothing
 * above the slab allocator includes it (slab.h is its API); the KUnit
 * suites do, to damage it on purpose and see the checks find it.
 *
 * The files that share it, and what each holds, are listed in slab.c.
 */
#ifndef _BUDDYSLAB_SLAB_INTERNAL_H
#define _BUDDYSLAB_SLAB_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/hash.h>
#include <linux/local_lock.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/reciprocal_div.h>
#include <linux/spinlock.h>

#include "slab.h"

/* Object states, in the low bits of a state byte. */
#define BS_SLAB_OBJ_FREE	0	/* on its slab's free stack */
#define BS_SLAB_OBJ_CACHED	1	/* in a magazine */
#define BS_SLAB_OBJ_USED	2	/* allocated */
#define BS_SLAB_OBJ_STATE	GENMASK(1, 0)
#define BS_SLAB_OBJ_REPORTED	BIT(7)	/* an error was reported for it */

#define BS_SLAB_RZ		8	/* bytes of each red zone */
#define BS_SLAB_MIN_ALIGN	8
#define BS_SLAB_EMPTY_KEEP	2	/* empty slabs a cache keeps */
/* For bs_slab_report(): no byte of the object is to blame. */
#define BS_SLAB_NO_BYTE		LONG_MIN

/**
 * struct bs_slab_round - one object in a magazine
 * @obj:	the object
 * @state:	its state byte in its slab descriptor, so that an allocation
 *		marks it allocated without looking it up
 */
struct bs_slab_round {
	void *obj;
	u8 *state;
};

/**
 * struct bs_slab_magazine - a stack of free objects (Bonwick and Adams)
 * @list:	in the depot's full_magazines or empty_magazines; under the
 *		depot lock
 * @rounds:	how many objects it holds
 * @size:	how many it can hold: its cache's magazine size when it was
 *		made; immutable
 * @round:	the objects
 *
 * A magazine belongs to one CPU (under its local lock) or to the depot
 * (under the depot lock).
 */
struct bs_slab_magazine {
	struct list_head list;
	unsigned int rounds;
	unsigned int size;
	struct bs_slab_round round[];
};

/**
 * struct bs_slab_cpu - one CPU's magazines for a cache
 * @lock:	protects every field, and the states of the objects in the
 *		magazines; a local_lock, taken by its own CPU only: by its
 *		tasks on the fast path, and by bs_cpu_each() on that CPU to
 *		drain, check or count the magazines
 * @loaded:	the magazine allocations pop from and frees push to
 * @previous:	the one before, always full or empty, so that alternating
 *		allocations and frees never miss more than once per magazine
 * @changes:	how often objects entered or left @loaded and @previous
 *		other than by the allocations and frees @counters counts
 * @counters:	what happened on the fast path: BS_SLAB_ALLOCS,
 *		BS_SLAB_BYTES_REQUESTED and BS_SLAB_FREES only, the least
 *		it can count (each allocation here is a magazine hit, and
 *		grants the object size)
 * @slab:	the slab this CPU's allocations from the slabs take from
 *		first (it is the slab's &bs_slab_page.owner), or NULL;
 *		under the cache lock,
 *		not @lock (any CPU may give it up, when the slab goes)
 */
struct bs_slab_cpu {
	local_lock_t lock;
	struct bs_slab_magazine *loaded;
	struct bs_slab_magazine *previous;
	unsigned long changes;
	unsigned long counters[BS_SLAB_NR_COUNTERS];
	struct bs_slab_page *slab;
};

/**
 * struct bs_slab_page - descriptor of one slab, kept out of the slab
 * @list:	in the cache's partial, full or empty list; cache lock
 * @cache:	the cache; immutable
 * @base:	address of the first stride (slab start + colour); immutable
 * @pgoff:	first page of the slab in the region; immutable
 * @colour:	bytes between the slab's start and @base; immutable
 * @inuse:	objects not free in the slab; cache lock
 * @nr_free:	depth of @free_stack; cache lock
 * @owner:	the CPU whose &bs_slab_cpu.slab it is, or -1; cache lock
 * @rcu:	for freeing after lookups are done
 * @state:	one byte per object, BS_SLAB_OBJ_*, right after @free_stack; a
 *		free object's under the cache lock, a cached one's under its
 *		magazine holder's lock, an allocated one's left by cmpxchg when
 *		it is freed
 * @free_stack:	indices of the free objects; cache lock
 */
struct bs_slab_page {
	struct list_head list;
	struct bs_slab_cache *cache;
	void *base;
	unsigned long pgoff;
	unsigned int colour;
	unsigned int inuse;
	unsigned int nr_free;
	int owner;
	struct rcu_head rcu;
	u8 *state;
	u16 free_stack[];
};

/**
 * struct bs_slab_cache - objects of one size, in slabs from the buddy
 * @slab:		the allocator it belongs to; immutable
 * @list:		in @slab's caches; under its caches_lock
 * @name:		immutable
 * @object_size:	bytes a user may use; immutable
 * @align:		alignment of each object; immutable
 * @flags:		BS_SLAB_*; immutable
 * @ctor:		constructor, run on each object when its slab is made;
 *			immutable
 * @size:		stride between objects: object, red zones, padding;
 *			immutable, as the layout below
 * @offset:		from the start of a stride to the object (the left red
 *			zone)
 * @order:		buddy order of a slab
 * @objects:		objects per slab
 * @colours:		how many colour offsets the slab's unused tail allows
 * @colour_align:	step between colour offsets
 * @reciprocal_size:	for dividing by @size without a division
 * @cpu:		per-CPU magazines, each CPU's under its own local lock
 * @depot_lock:		protects the depot: every field from @full_magazines
 *			to @depot_counters, and the states of the objects in
 *			@full_magazines
 * @full_magazines:	the depot's full magazines
 * @empty_magazines:	the depot's empty magazines
 * @nr_full_magazines:	length of @full_magazines
 * @nr_empty_magazines:	length of @empty_magazines
 * @depot_changes:	how often magazines entered or left @full_magazines
 * @depot_min_full:	fewest full magazines in the depot since the last reap
 * @depot_min_empty:	fewest empty magazines in the depot since the last reap
 * @mag_size:		rounds of the magazines made now: BS_SLAB_MAG_ROUNDS,
 *			doubled by each reap that finds the depot contended
 * @mag_max:		the most @mag_size may reach; immutable
 * @contended_seen:	@depot_counters[BS_SLAB_DEPOT_CONTENDED] at the last
 *			reap
 * @depot_counters:	what happened in the depot; enum bs_slab_counter
 * @class_index:	its index in the allocator's classes, or -1 if it is
 *			no size class; immutable once the classes are made
 * @lock:		protects everything below, and every slab descriptor's
 *			lists, counts, free stack and free objects' states
 * @partial:		slabs with free and allocated objects
 * @full_slabs:		slabs with no free object
 * @empty_slabs:	slabs with no allocated object
 * @nr_slabs:		slabs on the three lists
 * @nr_empty_slabs:	length of @empty_slabs
 * @nr_active:		objects not free in their slab (allocated or in a
 *			magazine)
 * @colour_next:	colour index of the next slab
 * @counters:		what happened in the slab layer; enum bs_slab_counter
 * @failures:		errors and failures, counted where no lock is held
 * @rcu:		for freeing after lookups that may have found the
 *			cache through a slab descriptor are done
 */
struct bs_slab_cache {
	struct bs_slab *slab;
	struct list_head list;
	char name[BS_SLAB_NAME_LEN];
	unsigned int object_size;
	unsigned int align;
	unsigned int flags;
	void (*ctor)(void *obj);
	unsigned int size;
	unsigned int offset;
	unsigned int order;
	unsigned int objects;
	unsigned int colours;
	unsigned int colour_align;
	struct reciprocal_value reciprocal_size;
	struct bs_slab_cpu __percpu *cpu;

	spinlock_t depot_lock;
	struct list_head full_magazines;
	struct list_head empty_magazines;
	unsigned int nr_full_magazines;
	unsigned int nr_empty_magazines;
	unsigned long depot_changes;
	unsigned int depot_min_full;
	unsigned int depot_min_empty;
	unsigned int mag_size;
	unsigned int mag_max;
	unsigned long contended_seen;
	unsigned long depot_counters[BS_SLAB_NR_COUNTERS];
	int class_index;

	spinlock_t lock;
	struct list_head partial;
	struct list_head full_slabs;
	struct list_head empty_slabs;
	unsigned long nr_slabs;
	unsigned long nr_empty_slabs;
	unsigned long nr_active;
	unsigned int colour_next;
	unsigned long counters[BS_SLAB_NR_COUNTERS];
	atomic_long_t failures[BS_SLAB_NR_COUNTERS];
	struct rcu_head rcu;
};

/*
 * The flags for kernel memory a cache takes for itself: a cache made on a
 * client's behalf (BS_SLAB_ACCOUNT) charges it to the memory cgroup of
 * whoever makes it grow, as SLAB_ACCOUNT does.
 */
static inline gfp_t bs_slab_gfp(unsigned int cache_flags, gfp_t gfp)
{
	return cache_flags & BS_SLAB_ACCOUNT ? gfp | __GFP_ACCOUNT : gfp;
}

static inline u8 bs_slab_obj_state(u8 state)
{
	return state & BS_SLAB_OBJ_STATE;
}

/*
 * Under the lock that owns the object in its present state. Only a report
 * about a stray free (a cmpxchg of the REPORTED bit) can race with it, and
 * all it can lose is that bit: a second report, never a state.
 */
static inline void bs_slab_set_state(u8 *state, u8 new)
{
	WRITE_ONCE(*state, (READ_ONCE(*state) & ~BS_SLAB_OBJ_STATE) | new);
}

/* The address of object @idx of a slab. */
static inline void *bs_slab_obj(const struct bs_slab_page *sp,
				unsigned int idx)
{
	const struct bs_slab_cache *cache = sp->cache;

	return sp->base + idx * cache->size + cache->offset;
}

/*
 * Take the local lock of the CPU we run on and return @cpu's magazines:
 * for a function bs_cpu_each() runs, which runs on @cpu if it is online,
 * so that the lock is @cpu's own. For an offline CPU it runs on the caller,
 * and the lock it takes guards nothing of @cpu's, which no task touches.
 */
static inline struct bs_slab_cpu *bs_slab_cpu_lock(struct bs_slab_cache *cache,
						   unsigned int cpu)
{
	local_lock(&cache->cpu->lock);
	return per_cpu_ptr(cache->cpu, cpu);
}

static inline void bs_slab_cpu_unlock(struct bs_slab_cache *cache)
{
	local_unlock(&cache->cpu->lock);
}

/*
 * How often objects entered or left a CPU's magazines; under its lock. Two
 * equal sums bracket a time in which they did not change.
 */
static inline unsigned long bs_slab_cpu_changes(const struct bs_slab_cpu *c)
{
	return c->changes + c->counters[BS_SLAB_ALLOCS] +
	       c->counters[BS_SLAB_FREES];
}

/* Count a failure or an error, where no lock is held. */
static inline void bs_slab_count_failure(struct bs_slab_cache *cache,
					 enum bs_slab_counter counter)
{
	atomic_long_inc(&cache->failures[counter]);
}

/* Count an allocation; under the lock of whoever holds @counters. */
static inline void bs_slab_count_alloc(struct bs_slab_cache *cache,
				       unsigned long *counters, size_t requested)
{
	counters[BS_SLAB_ALLOCS]++;
	counters[BS_SLAB_BYTES_REQUESTED] += requested;
	counters[BS_SLAB_BYTES_GRANTED] += cache->object_size;
}

/**
 * struct bs_slab_arena - an arena of the buddy, in the slab's table of them
 * @key:	one of the BS_ARENA_BYTES-wide ranges of addresses the arena
 *		meets, by its number, plus one (0: an empty slot); an arena
 *		not aligned to its size meets two, and has a slot for each
 * @base:	the arena's first byte
 * @pgoff:	its first page in the region
 */
struct bs_slab_arena {
	unsigned long key;
	void *base;
	unsigned long pgoff;
};

static inline unsigned long bs_slab_arena_key(const void *addr)
{
	return ((unsigned long)addr >> (PAGE_SHIFT + BS_ARENA_ORDER)) + 1;
}

/*
 * The page of the region @obj is in: true and @pgoff set, or false if it
 * is in no arena. The table of arenas answers with arithmetic and a load
 * or two, where asking the region (bs_buddy_pgoff_of()) checks the address
 * with the kernel's memory model first: most of a free's time, measured.
 */
static inline bool bs_slab_pgoff_of(const struct bs_slab *slab,
				    const void *obj, unsigned long *pgoff)
{
	const unsigned long key = bs_slab_arena_key(obj);
	const unsigned int mask = (1U << slab->arena_bits) - 1;
	const struct bs_slab_arena *arena;
	unsigned int h;

	for (h = hash_long(key, slab->arena_bits);; h = (h + 1) & mask) {
		arena = &slab->arenas[h];
		if (!arena->key)
			return false;
		if (arena->key == key && obj >= arena->base &&
		    obj < arena->base + BS_ARENA_BYTES)
			break;
	}
	*pgoff = arena->pgoff + ((obj - arena->base) >> PAGE_SHIFT);
	return true;
}

/*
 * bs_slab_lookup() - the slab and index of an object, by its address
 * @slab:	the slab allocator
 * @obj:	any address
 * @idx:	out: the object's index in its slab
 *
 * Caller holds the RCU read lock, or has preemption off (under a CPU's
 * local lock: an RCU read side too), which keeps the descriptor found
 * valid memory, if stale, while its slab is being released.
 *
 * Return: the slab's descriptor, or NULL if @obj is not the start of an
 * object in any slab. Inline: every free asks it.
 */
static inline struct bs_slab_page *
bs_slab_lookup(struct bs_slab *slab, const void *obj, unsigned int *idx)
{
	struct bs_slab_cache *cache;
	struct bs_slab_page *sp;
	unsigned long pgoff, delta;
	unsigned int i;

	if (!bs_slab_pgoff_of(slab, obj, &pgoff))
		return NULL;
	sp = rcu_dereference_check(slab->page_slab[pgoff],
				   rcu_read_lock_any_held());
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

/* slab.c */
int bs_slab_arenas_init(struct bs_slab *slab);
unsigned long bs_slab_release(struct bs_slab *slab, struct list_head *slabs);
void bs_slab_retire_empty(struct bs_slab_cache *cache,
			  struct list_head *release);
void *bs_slab_take(struct bs_slab_cache *cache, bool share);
void bs_slab_put(struct bs_slab_cache *cache, void *obj,
		 struct list_head *release);
int bs_slab_cache_layout(struct bs_slab_cache *cache);

/* slab_debug.c */
void bs_slab_debug_init_obj(struct bs_slab_cache *cache, u8 *obj);
void bs_slab_debug_alloc(struct bs_slab_page *sp, unsigned int idx);
void bs_slab_debug_free(struct bs_slab_page *sp, unsigned int idx);
void bs_slab_debug_validate(struct bs_slab_page *sp, unsigned int idx);
bool bs_slab_report(struct bs_slab_page *sp, unsigned int idx,
		    const char *what, long at, int found);

/* slab_magazine.c */
int bs_slab_mag_init(struct bs_slab_cache *cache);
void bs_slab_mag_fini(struct bs_slab_cache *cache);
void bs_slab_mag_drain(struct bs_slab_cache *cache, struct list_head *release);
void bs_slab_mag_reap(struct bs_slab_cache *cache, struct list_head *release);
void bs_slab_mag_stats(struct bs_slab_cache *cache,
		       struct bs_slab_cache_stats *stats);
void *bs_slab_alloc(struct bs_slab_cache *cache, size_t requested);
int bs_slab_free(struct bs_slab_cache *cache, struct bs_slab_page *sp,
		 unsigned int idx, struct list_head *release);

/* slab_cache.c */
void *bs_slab_alloc_slow(struct bs_slab_cache *cache, size_t requested);

#endif /* _BUDDYSLAB_SLAB_INTERNAL_H */
