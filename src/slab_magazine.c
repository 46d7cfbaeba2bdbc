// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab magazines: the per-CPU caches of free objects in front of
 * an object cache's slabs, and the depot behind them (Bonwick and Adams
 * 2001); and the allocation and free of every object, which go through
 * them, here in one file so that the compiler inlines the magazines into
 * bs_slab_cache_alloc() and bs_slab_cache_free().
 *
 * Each CPU has a loaded and a previous magazine; previous is always full or
 * empty. An allocation pops from loaded; if loaded is empty and previous
 * full they swap; otherwise the depot trades an empty magazine for a full
 * one. A free pushes symmetrically. So any sequence of allocations and
 * frees misses the magazines at most once per magazine's worth of
 * operations. Misses go to the slabs (slab.c). The depot keeps at most
 * BS_SLAB_DEPOT_MAX full magazines; beyond that a full magazine is emptied
 * into the slabs. Magazines are drained into the slabs on shrink, destroy
 * and unload, and when the buddy runs out of memory (the slab allocator's
 * shrinker).
 *
 * The two things Bonwick and Adams' depot does over time are done by
 * bs_slab_mag_reap(), which the allocator runs every BS_SLAB_REAP_INTERVAL
 * (slab_cache.c). Magazine size: a CPU that finds the depot lock taken by
 * another counts a contention; a reap that sees more than
 * BS_SLAB_DEPOT_CONTENTION of them since the last doubles the size of the
 * magazines the cache makes from then on (Solaris' kmem_depot_contention),
 * up to its maximum, so that CPUs go to the depot less often. Magazines of
 * the old size stay in use until they come back empty, and are freed then.
 * Working set: the depot tracks the fewest full and empty magazines it held
 * since the last reap; those were not needed in the interval, and the reap
 * frees them, full ones emptied into the slabs first.
 *
 * Locking: a CPU's local lock, then the depot lock, then the cache lock.
 * The local lock keeps the CPU's task on it with preemption off, and costs
 * no locked instruction: an allocation from the magazines takes none, a
 * free takes one, the claim of its object (bs_slab_claim()). Nothing but
 * the CPU itself touches its magazines: draining, checking and counting
 * them run on that CPU, through bs_cpu_each(), under the same local lock
 * (for an offline CPU, on the caller while no task runs on it). An object
 * is marked cached in the same critical section, under the lock of the
 * magazine's holder (a CPU or the depot), that puts it into a magazine, and
 * it leaves the magazine in the one that marks it allocated or free: no
 * magazine is ever emptied or filled outside its holder's lock. So "cached"
 * means "in a magazine" whenever the locks are taken, and each holder
 * counts its changes (bs_slab_cpu_changes(), the cache's @depot_changes)
 * for validation to tell whether the magazines stood still while it walked
 * the slabs.
 *
 * Context: process context (the local lock is not taken with interrupts
 * off).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "cpu.h"
#include "fault.h"
#include "slab_internal.h"

/* ---- The depot ------------------------------------------------------------ */

/*
 * Take the depot lock on a CPU's behalf, counting a contention if another
 * CPU holds it: what makes the magazines grow.
 */
static void bs_slab_depot_lock(struct bs_slab_cache *cache)
{
	if (likely(spin_trylock(&cache->depot_lock)))
		return;
	spin_lock(&cache->depot_lock);
	cache->depot_counters[BS_SLAB_DEPOT_CONTENDED]++;
}

/* A full magazine out of the depot, or NULL. Caller holds the depot lock. */
static struct bs_slab_magazine *
bs_slab_depot_get_full(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag;

	lockdep_assert_held(&cache->depot_lock);

	mag = list_first_entry_or_null(&cache->full_magazines,
				       struct bs_slab_magazine, list);
	if (!mag)
		return NULL;
	list_del(&mag->list);
	cache->nr_full_magazines--;
	cache->depot_changes++;
	cache->depot_min_full = min(cache->depot_min_full,
				    cache->nr_full_magazines);
	return mag;
}

/* Give the depot a full magazine; caller holds its lock and saw room. */
static void bs_slab_depot_put_full(struct bs_slab_cache *cache,
				   struct bs_slab_magazine *mag)
{
	lockdep_assert_held(&cache->depot_lock);

	list_add(&mag->list, &cache->full_magazines);
	cache->nr_full_magazines++;
	cache->depot_changes++;
}

/*
 * An empty magazine: one the depot keeps, or a new one of the cache's
 * magazine size. Caller holds the depot lock, so a new one is asked for
 * without sleeping. NULL if none can be had.
 */
static struct bs_slab_magazine *
bs_slab_depot_get_empty(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag;

	lockdep_assert_held(&cache->depot_lock);

	mag = list_first_entry_or_null(&cache->empty_magazines,
				       struct bs_slab_magazine, list);
	if (mag) {
		list_del(&mag->list);
		cache->nr_empty_magazines--;
		cache->depot_min_empty = min(cache->depot_min_empty,
					     cache->nr_empty_magazines);
		return mag;
	}
	mag = bs_fault() ? NULL :
	      kmalloc(struct_size(mag, round, cache->mag_size),
		      bs_slab_gfp(cache->flags, GFP_NOWAIT | __GFP_NOWARN));
	if (mag) {
		mag->rounds = 0;
		mag->size = cache->mag_size;
	}
	return mag;
}

/*
 * Give the depot an empty magazine. One of an old size, or one too many, is
 * freed instead. Caller holds the depot lock.
 */
static void bs_slab_depot_put_empty(struct bs_slab_cache *cache,
				    struct bs_slab_magazine *mag)
{
	lockdep_assert_held(&cache->depot_lock);

	if (mag->size != cache->mag_size ||
	    cache->nr_empty_magazines >= BS_SLAB_DEPOT_MAX) {
		kfree(mag);
		return;
	}
	list_add(&mag->list, &cache->empty_magazines);
	cache->nr_empty_magazines++;
}

/*
 * Empty a magazine into the slabs. Caller holds the lock of the magazine's
 * holder, so that its objects are never cached outside a magazine.
 */
static void bs_slab_mag_unload(struct bs_slab_cache *cache,
			       struct bs_slab_magazine *mag,
			       struct list_head *release)
{
	unsigned int i;

	spin_lock(&cache->lock);
	for (i = 0; i < mag->rounds; i++)
		bs_slab_put(cache, mag->round[i].obj, release);
	spin_unlock(&cache->lock);
	mag->rounds = 0;
}

/* ---- A CPU's magazines ---------------------------------------------------- */

/*
 * Give a CPU's empty loaded magazine objects: swap in the previous one if
 * it is full, else trade the empty previous one for a full one from the
 * depot, if it has one. Caller holds the CPU's lock. Returns the loaded
 * magazine, empty if the depot had none.
 */
static struct bs_slab_magazine *bs_slab_mag_reload(struct bs_slab_cache *cache,
						   struct bs_slab_cpu *cpu)
{
	struct bs_slab_magazine *mag;

	lockdep_assert_held(&cpu->lock);

	if (cpu->previous->rounds) {
		swap(cpu->loaded, cpu->previous);
		return cpu->loaded;
	}
	bs_slab_depot_lock(cache);
	mag = bs_slab_depot_get_full(cache);
	if (mag) {
		bs_slab_depot_put_empty(cache, cpu->previous);
		cpu->previous = cpu->loaded;
		cpu->loaded = mag;
	}
	spin_unlock(&cache->depot_lock);
	return cpu->loaded;
}

/*
 * Allocate an object from this CPU's magazines: the object, marked
 * allocated, or NULL if the magazines and the depot hold none. No locked
 * instruction unless the depot is visited.
 */
static void *bs_slab_mag_alloc(struct bs_slab_cache *cache, size_t requested)
{
	struct bs_slab_magazine *mag;
	struct bs_slab_round *round;
	struct bs_slab_cpu *cpu;
	void *obj = NULL;

	local_lock(&cache->cpu->lock);
	cpu = this_cpu_ptr(cache->cpu);
	mag = cpu->loaded;
	if (unlikely(!mag->rounds))
		mag = bs_slab_mag_reload(cache, cpu);
	if (likely(mag->rounds)) {
		round = &mag->round[--mag->rounds];
		obj = round->obj;
		bs_slab_set_state(round->state, BS_SLAB_OBJ_USED);
		cpu->counters[BS_SLAB_ALLOCS]++;
		cpu->counters[BS_SLAB_BYTES_REQUESTED] += requested;
	}
	local_unlock(&cache->cpu->lock);
	return obj;
}

/*
 * Make room for one more object in a CPU's full loaded magazine; false if
 * no empty magazine can be had. Caller holds the CPU's lock. A full
 * magazine the depot has no room for is emptied into the slabs, and slabs
 * emptied on the way go to @release.
 */
static bool bs_slab_mag_make_room(struct bs_slab_cache *cache,
				  struct bs_slab_cpu *cpu,
				  struct list_head *release)
{
	struct bs_slab_magazine *mag, *spill = NULL;

	lockdep_assert_held(&cpu->lock);

	if (!cpu->previous->rounds) {
		swap(cpu->loaded, cpu->previous);
		return true;
	}

	bs_slab_depot_lock(cache);
	mag = bs_slab_depot_get_empty(cache);
	if (mag) {
		if (cache->nr_full_magazines < BS_SLAB_DEPOT_MAX)
			bs_slab_depot_put_full(cache, cpu->previous);
		else
			spill = cpu->previous;
		cpu->previous = cpu->loaded;
		cpu->loaded = mag;
	}
	spin_unlock(&cache->depot_lock);

	/* The depot is full: this magazine's objects go back to the slabs. */
	if (spill) {
		cpu->changes += spill->rounds;
		bs_slab_mag_unload(cache, spill, release);
		spin_lock(&cache->depot_lock);
		bs_slab_depot_put_empty(cache, spill);
		spin_unlock(&cache->depot_lock);
	}
	return mag != NULL;
}

/*
 * Claim an allocated object for freeing: move it to the cached state (of
 * two racing frees, one wins: the one locked instruction of a free), check
 * its red zones and poison it. Caller holds the lock of the CPU whose
 * magazine it goes to. A double free is reported, counted and refused.
 */
static int bs_slab_claim(struct bs_slab_cpu *cpu, struct bs_slab_page *sp,
			 unsigned int idx)
{
	struct bs_slab_cache *cache = sp->cache;
	u8 *state = &sp->state[idx];
	u8 old = READ_ONCE(*state);

	lockdep_assert_held(&cpu->lock);

	do {
		if (unlikely(bs_slab_obj_state(old) != BS_SLAB_OBJ_USED)) {
			bs_slab_count_failure(cache, BS_SLAB_DOUBLE_FREES);
			bs_slab_report(sp, idx, "double free", BS_SLAB_NO_BYTE, 0);
			return -EINVAL;
		}
	} while (!try_cmpxchg(state, &old, (old & ~BS_SLAB_OBJ_STATE) |
			      BS_SLAB_OBJ_CACHED));
	if (cache->flags & BS_SLAB_DEBUG)
		bs_slab_debug_free(sp, idx);
	return 0;
}

/*
 * Free an allocated object of slab @sp, index @idx, into this CPU's
 * magazines, or back into its slab if no magazine can be had; slabs
 * emptied on the way go to @release. Caller holds the CPU's lock. 0, or
 * -EINVAL if the object is not allocated (a double free, reported and
 * counted; nothing changes).
 */
static int bs_slab_free_locked(struct bs_slab_cache *cache,
			       struct bs_slab_cpu *cpu, struct bs_slab_page *sp,
			       unsigned int idx, struct list_head *release)
{
	struct bs_slab_magazine *mag = cpu->loaded;
	struct bs_slab_round *round;
	int ret;

	ret = bs_slab_claim(cpu, sp, idx);
	if (unlikely(ret))
		return ret;
	if (unlikely(mag->rounds == mag->size)) {
		if (!bs_slab_mag_make_room(cache, cpu, release)) {
			spin_lock(&cache->lock);
			bs_slab_put(cache, bs_slab_obj(sp, idx), release);
			cache->counters[BS_SLAB_FREES]++;
			spin_unlock(&cache->lock);
			return 0;
		}
		mag = cpu->loaded;
	}
	round = &mag->round[mag->rounds++];
	round->obj = bs_slab_obj(sp, idx);
	round->state = &sp->state[idx];
	cpu->counters[BS_SLAB_FREES]++;
	return 0;
}

/**
 * bs_slab_free() - free an object found by bs_slab_lookup()
 * @cache:	its cache, @sp's
 * @sp:		its slab
 * @idx:	its index in @sp
 * @release:	slabs emptied on the way, for bs_slab_release() once the
 *		RCU read lock is dropped
 *
 * Into this CPU's magazines, or back into its slab if no magazine can be
 * had. Caller holds the RCU read lock under which it found @sp.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if the object is not allocated (a double free,
 * reported and counted; nothing changes).
 */
int bs_slab_free(struct bs_slab_cache *cache, struct bs_slab_page *sp,
		 unsigned int idx, struct list_head *release)
{
	int ret;

	local_lock(&cache->cpu->lock);
	ret = bs_slab_free_locked(cache, this_cpu_ptr(cache->cpu), sp, idx,
				  release);
	local_unlock(&cache->cpu->lock);
	return ret;
}

/* ---- The fast path: allocation and free ------------------------------- */

/* Check a just-allocated object's debugging patterns. */
static void bs_slab_check_alloc(struct bs_slab_cache *cache, void *obj)
{
	struct bs_slab_page *sp;
	unsigned int idx;

	rcu_read_lock();
	sp = bs_slab_lookup(cache->slab, obj, &idx);
	if (!WARN_ON(!sp))
		bs_slab_debug_alloc(sp, idx);
	rcu_read_unlock();
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
	if (unlikely(!obj)) {
		obj = bs_slab_alloc_slow(cache, requested);
		if (!obj) {
			bs_slab_count_failure(cache, BS_SLAB_ALLOC_FAILS);
			return NULL;
		}
	}
	if (cache->flags & BS_SLAB_DEBUG)
		bs_slab_check_alloc(cache, obj);
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
 * lock, or a CPU's local lock. If it is none, it is reported and counted
 * against @cache.
 */
static int bs_slab_find(struct bs_slab_cache *cache, const void *obj,
			struct bs_slab_page **spp, unsigned int *idx)
{
	struct bs_slab_page *sp = bs_slab_lookup(cache->slab, obj, idx);

	if (unlikely(!sp)) {
		bs_slab_count_failure(cache, BS_SLAB_INVALID_FREES);
		pr_err_ratelimited("cache %s: free of an address that is no object of any cache\n",
				   cache->name);
		return -EINVAL;
	}
	if (unlikely(sp->cache != cache)) {
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

	/* Preemption is off under it: the lookup's RCU read side too. */
	local_lock(&cache->cpu->lock);
	ret = bs_slab_find(cache, obj, &sp, &idx);
	if (likely(!ret))
		ret = bs_slab_free_locked(cache, this_cpu_ptr(cache->cpu), sp,
					  idx, &release);
	local_unlock(&cache->cpu->lock);
	if (unlikely(!list_empty(&release)))
		bs_slab_release(cache->slab, &release);
	return ret;
}

/* ---- Every CPU's magazines, and the depot -------------------------------- */

/* What bs_cpu_each() carries to each CPU for a cache. */
struct bs_slab_mag_call {
	struct bs_slab_cache *cache;
	struct list_head *release;
	struct bs_slab_cache_stats *stats;
};

/* Empty one CPU's magazines into the slabs; run by bs_cpu_each(). */
static void bs_slab_mag_drain_cpu(void *arg, unsigned int cpu)
{
	struct bs_slab_mag_call *call = arg;
	struct bs_slab_cache *cache = call->cache;
	struct bs_slab_cpu *c = bs_slab_cpu_lock(cache, cpu);

	c->changes += c->loaded->rounds + c->previous->rounds;
	bs_slab_mag_unload(cache, c->loaded, call->release);
	bs_slab_mag_unload(cache, c->previous, call->release);
	bs_slab_cpu_unlock(cache);
}

/**
 * bs_slab_mag_drain() - empty every magazine of a cache into its slabs
 * @cache:	the cache
 * @release:	slabs emptied on the way, for bs_slab_release()
 *
 * Each CPU empties its own (bs_cpu_each()). Full magazines the depot keeps
 * as empty ones, up to BS_SLAB_DEPOT_MAX; the others are freed.
 *
 * Context: process context; sleeps. Caller holds no spinlock.
 */
void bs_slab_mag_drain(struct bs_slab_cache *cache, struct list_head *release)
{
	struct bs_slab_mag_call call = { .cache = cache, .release = release };
	struct bs_slab_magazine *mag;

	bs_cpu_each(bs_slab_mag_drain_cpu, &call);

	spin_lock(&cache->depot_lock);
	while ((mag = bs_slab_depot_get_full(cache))) {
		bs_slab_mag_unload(cache, mag, release);
		bs_slab_depot_put_empty(cache, mag);
	}
	spin_unlock(&cache->depot_lock);
}

/**
 * bs_slab_mag_reap() - the depot's work over time: grow, trim
 * @cache:	the cache
 * @release:	slabs emptied on the way, for bs_slab_release()
 *
 * Frees the magazines the depot held all through the interval since the
 * last reap (its working set did not need them), full ones emptied into
 * the slabs first. Then, if CPUs found the depot lock taken more than
 * BS_SLAB_DEPOT_CONTENTION times in the interval, doubles the magazine
 * size, up to the cache's maximum; the empty magazines of the old size go.
 *
 * Context: process context.
 */
void bs_slab_mag_reap(struct bs_slab_cache *cache, struct list_head *release)
{
	unsigned long contended;
	struct bs_slab_magazine *mag, *next;
	LIST_HEAD(unused);

	spin_lock(&cache->depot_lock);
	/* The least used, at the lists' tails: the depot takes from the heads. */
	for (; cache->depot_min_full; cache->depot_min_full--) {
		mag = list_last_entry(&cache->full_magazines,
				      struct bs_slab_magazine, list);
		list_move(&mag->list, &unused);
		cache->nr_full_magazines--;
		cache->depot_changes++;
		bs_slab_mag_unload(cache, mag, release);
		cache->depot_counters[BS_SLAB_MAG_TRIMMED]++;
	}
	for (; cache->depot_min_empty; cache->depot_min_empty--) {
		list_move(cache->empty_magazines.prev, &unused);
		cache->nr_empty_magazines--;
		cache->depot_counters[BS_SLAB_MAG_TRIMMED]++;
	}

	contended = cache->depot_counters[BS_SLAB_DEPOT_CONTENDED] -
		    cache->contended_seen;
	cache->contended_seen += contended;
	if (contended > BS_SLAB_DEPOT_CONTENTION &&
	    cache->mag_size < cache->mag_max) {
		cache->mag_size = min(2 * cache->mag_size, cache->mag_max);
		cache->depot_counters[BS_SLAB_MAG_RESIZES]++;
		list_splice_init(&cache->empty_magazines, &unused);
		cache->nr_empty_magazines = 0;
	}
	cache->depot_min_full = cache->nr_full_magazines;
	cache->depot_min_empty = cache->nr_empty_magazines;
	spin_unlock(&cache->depot_lock);

	list_for_each_entry_safe(mag, next, &unused, list)
		kfree(mag);
}

/* Add one CPU's counters and rounds to a snapshot; run by bs_cpu_each(). */
static void bs_slab_mag_stats_cpu(void *arg, unsigned int cpu)
{
	struct bs_slab_mag_call *call = arg;
	struct bs_slab_cpu *c = bs_slab_cpu_lock(call->cache, cpu);
	unsigned int i;

	for (i = 0; i < BS_SLAB_NR_COUNTERS; i++)
		call->stats->counters[i] += c->counters[i];
	call->stats->counters[BS_SLAB_MAG_HITS] += c->counters[BS_SLAB_ALLOCS];
	call->stats->counters[BS_SLAB_BYTES_GRANTED] +=
		c->counters[BS_SLAB_ALLOCS] * call->cache->object_size;
	call->stats->magazine_objs += c->loaded->rounds + c->previous->rounds;
	bs_slab_cpu_unlock(call->cache);
}

/**
 * bs_slab_mag_stats() - add the magazines' part to a cache's snapshot
 * @cache:	the cache
 * @stats:	the snapshot: the counters of every CPU and the depot are
 *		added, and the objects in the magazines; the magazine size
 *		is set
 *
 * Each CPU counts its own (bs_cpu_each()), then the depot under its lock:
 * exact when nothing else runs.
 *
 * Context: process context; sleeps.
 */
void bs_slab_mag_stats(struct bs_slab_cache *cache,
		       struct bs_slab_cache_stats *stats)
{
	struct bs_slab_mag_call call = { .cache = cache, .stats = stats };
	struct bs_slab_magazine *mag;
	unsigned int i;

	bs_cpu_each(bs_slab_mag_stats_cpu, &call);

	spin_lock(&cache->depot_lock);
	for (i = 0; i < BS_SLAB_NR_COUNTERS; i++)
		stats->counters[i] += cache->depot_counters[i];
	list_for_each_entry(mag, &cache->full_magazines, list)
		stats->magazine_objs += mag->rounds;
	stats->magazine_size = cache->mag_size;
	spin_unlock(&cache->depot_lock);
}

/* A new, empty magazine of a cache's first size, for a CPU; or NULL. */
static struct bs_slab_magazine *bs_slab_mag_new(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag;

	mag = bs_fault() ? NULL :
	      kmalloc(struct_size(mag, round, cache->mag_size),
		      bs_slab_gfp(cache->flags, GFP_KERNEL));
	if (mag) {
		mag->rounds = 0;
		mag->size = cache->mag_size;
	}
	return mag;
}

/**
 * bs_slab_mag_init() - give a new cache its depot and per-CPU magazines
 * @cache:	the cache, its flags and layout set
 *
 * The magazines start with BS_SLAB_MAG_ROUNDS rounds and may grow to
 * BS_SLAB_MAG_MAX_ROUNDS, or BS_SLAB_MAG_MAX_BYTES of objects if fewer.
 *
 * Return: 0, or -ENOMEM (nothing is kept then).
 */
int bs_slab_mag_init(struct bs_slab_cache *cache)
{
	int cpu;

	spin_lock_init(&cache->depot_lock);
	INIT_LIST_HEAD(&cache->full_magazines);
	INIT_LIST_HEAD(&cache->empty_magazines);
	cache->mag_size = BS_SLAB_MAG_ROUNDS;
	cache->mag_max = clamp_t(unsigned int,
				 BS_SLAB_MAG_MAX_BYTES / cache->object_size,
				 BS_SLAB_MAG_ROUNDS, BS_SLAB_MAG_MAX_ROUNDS);

	cache->cpu = bs_fault() ? NULL :
		     alloc_percpu_gfp(struct bs_slab_cpu,
				      bs_slab_gfp(cache->flags, GFP_KERNEL));
	if (!cache->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		local_lock_init(&c->lock);
		c->loaded = bs_slab_mag_new(cache);
		c->previous = bs_slab_mag_new(cache);
		if (!c->loaded || !c->previous) {
			bs_slab_mag_fini(cache);
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * bs_slab_mag_fini() - free a cache's magazines and per-CPU state
 * @cache:	the cache; every magazine empty, or never used
 */
void bs_slab_mag_fini(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag, *next;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		kfree(c->loaded);
		kfree(c->previous);
	}
	list_for_each_entry_safe(mag, next, &cache->empty_magazines, list)
		kfree(mag);
	free_percpu(cache->cpu);
}
