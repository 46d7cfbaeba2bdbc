// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab magazines: the per-CPU caches of free objects in front of
 * an object cache's slabs, and the depot behind them (Bonwick and Adams
 * 2001); and the allocation and free of every object, which go through
 * them, here in one file so that the compiler inlines the magazines into
 * bs_slab_cache_alloc() and bs_slab_cache_free().
 *
 * Each CPU has a loaded and a previous magazine of up to BS_SLAB_MAG_ROUNDS
 * objects; previous is always full or empty. An allocation pops from
 * loaded; if loaded is empty and previous full they swap; otherwise the
 * depot trades an empty magazine for a full one. A free pushes
 * symmetrically. So any sequence of allocations and frees misses the
 * magazines at most once per BS_SLAB_MAG_ROUNDS operations. Misses go to
 * the slabs (slab.c). The depot keeps at most BS_SLAB_DEPOT_MAX full
 * magazines; beyond that a full magazine is emptied into the slabs.
 * Magazines are drained into the slabs on shrink, destroy and unload, and
 * when the buddy runs out of memory (the slab allocator's shrinker).
 *
 * Locking: a CPU's lock, then the depot lock, then the cache lock. The
 * CPU's lock, not the CPU, guards its magazines: a task that moves to
 * another CPU before taking it merely uses a remote CPU's magazines, as in
 * the buddy's per-CPU caches. An object is marked cached in the same
 * critical section, under the lock of the magazine's holder (a CPU or the
 * depot), that puts it into a magazine, and it leaves the magazine in the
 * one that marks it allocated or free: no magazine is ever emptied or
 * filled outside its holder's lock. So "cached" means "in a magazine"
 * whenever the locks are taken, and each holder counts its changes
 * (struct bs_slab_cpu @changes, the cache's @depot_changes) for validation
 * to tell whether the magazines stood still while it walked the slabs.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "fault.h"
#include "slab_internal.h"

static void bs_slab_mag_push(struct bs_slab_magazine *mag, void *obj, u8 *state)
{
	mag->obj[mag->rounds] = obj;
	mag->state[mag->rounds] = state;
	mag->rounds++;
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
		bs_slab_put(cache, mag->obj[i], release);
	spin_unlock(&cache->lock);
	mag->rounds = 0;
}

/*
 * Give a CPU's empty loaded magazine objects: swap in the previous one if
 * it is full, else trade the empty previous one for a full one from the
 * depot, if it has one. Caller holds the CPU's lock.
 */
static void bs_slab_mag_reload(struct bs_slab_cache *cache,
			       struct bs_slab_cpu *cpu)
{
	struct bs_slab_magazine *mag;

	lockdep_assert_held(&cpu->lock);

	if (cpu->previous->rounds) {
		swap(cpu->loaded, cpu->previous);
		return;
	}
	spin_lock(&cache->depot_lock);
	mag = list_first_entry_or_null(&cache->full_magazines,
				       struct bs_slab_magazine, list);
	if (mag) {
		list_del(&mag->list);
		cache->nr_full_magazines--;
		cache->depot_changes++;
		list_add(&cpu->previous->list, &cache->empty_magazines);
		cache->nr_empty_magazines++;
		cpu->previous = cpu->loaded;
		cpu->loaded = mag;
	}
	spin_unlock(&cache->depot_lock);
}

/*
 * Allocate an object from this CPU's magazines: the object, marked
 * allocated, or NULL if the magazines and the depot hold none.
 */
static void *bs_slab_mag_alloc(struct bs_slab_cache *cache, size_t requested)
{
	struct bs_slab_cpu *cpu = raw_cpu_ptr(cache->cpu);
	struct bs_slab_magazine *mag;
	void *obj = NULL;

	spin_lock(&cpu->lock);
	if (!cpu->loaded->rounds)
		bs_slab_mag_reload(cache, cpu);
	mag = cpu->loaded;
	if (mag->rounds) {
		mag->rounds--;
		obj = mag->obj[mag->rounds];
		bs_slab_set_state(mag->state[mag->rounds], BS_SLAB_OBJ_USED);
		cpu->changes++;
		cpu->counters[BS_SLAB_MAG_HITS]++;
		bs_slab_count_alloc(cache, cpu->counters, requested);
	}
	spin_unlock(&cpu->lock);
	return obj;
}

/*
 * An empty magazine: one the depot keeps, or a new one. Caller holds the
 * depot lock, so a new one is asked for without sleeping. NULL if none can
 * be had.
 */
static struct bs_slab_magazine *
bs_slab_mag_take_empty(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag;

	lockdep_assert_held(&cache->depot_lock);

	mag = list_first_entry_or_null(&cache->empty_magazines,
				       struct bs_slab_magazine, list);
	if (mag) {
		list_del(&mag->list);
		cache->nr_empty_magazines--;
		return mag;
	}
	return bs_fault() ? NULL :
	       kmalloc(sizeof(*mag), bs_slab_gfp(cache->flags,
						 GFP_NOWAIT | __GFP_NOWARN));
}

/*
 * Make room for one more object in a CPU's loaded magazine; false if it
 * is full and no empty magazine can be had. Caller holds the CPU's lock. A
 * full magazine the depot has no room for is emptied into the slabs, and
 * slabs emptied on the way go to @release.
 */
static bool bs_slab_mag_make_room(struct bs_slab_cache *cache,
				  struct bs_slab_cpu *cpu,
				  struct list_head *release)
{
	struct bs_slab_magazine *mag, *spill = NULL;

	lockdep_assert_held(&cpu->lock);

	if (cpu->loaded->rounds < BS_SLAB_MAG_ROUNDS)
		return true;
	if (!cpu->previous->rounds) {
		swap(cpu->loaded, cpu->previous);
		return true;
	}

	spin_lock(&cache->depot_lock);
	mag = bs_slab_mag_take_empty(cache);
	if (mag) {
		mag->rounds = 0;
		if (cache->nr_full_magazines < BS_SLAB_DEPOT_MAX) {
			list_add(&cpu->previous->list, &cache->full_magazines);
			cache->nr_full_magazines++;
			cache->depot_changes++;
		} else {
			spill = cpu->previous;
		}
		cpu->previous = cpu->loaded;
		cpu->loaded = mag;
	}
	spin_unlock(&cache->depot_lock);

	/* The depot is full: this magazine's objects go back to the slabs. */
	if (spill) {
		cpu->changes += spill->rounds;
		bs_slab_mag_unload(cache, spill, release);
		spin_lock(&cache->depot_lock);
		list_add(&spill->list, &cache->empty_magazines);
		cache->nr_empty_magazines++;
		spin_unlock(&cache->depot_lock);
	}
	return mag != NULL;
}

/*
 * Put a claimed object into a CPU's loaded magazine, or back into its slab
 * if no magazine can be had. Caller holds the CPU's lock.
 */
static void bs_slab_mag_store(struct bs_slab_cache *cache,
			      struct bs_slab_cpu *cpu, void *obj, u8 *state,
			      struct list_head *release)
{
	lockdep_assert_held(&cpu->lock);

	if (bs_slab_mag_make_room(cache, cpu, release)) {
		bs_slab_mag_push(cpu->loaded, obj, state);
		cpu->changes++;
		cpu->counters[BS_SLAB_FREES]++;
		return;
	}
	spin_lock(&cache->lock);
	bs_slab_put(cache, obj, release);
	cache->counters[BS_SLAB_FREES]++;
	spin_unlock(&cache->lock);
}

/*
 * Claim an allocated object for freeing: move it to the cached state (of
 * two racing frees, one wins), check its red zones and poison it. Caller
 * holds the lock of the CPU whose magazine it goes to. A double free is
 * reported, counted and refused.
 */
static int bs_slab_claim(struct bs_slab_cpu *cpu, struct bs_slab_page *sp,
			 unsigned int idx)
{
	struct bs_slab_cache *cache = sp->cache;
	u8 *state = &sp->state[idx];
	u8 old = READ_ONCE(*state);

	lockdep_assert_held(&cpu->lock);

	do {
		if (bs_slab_obj_state(old) != BS_SLAB_OBJ_USED) {
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
 * emptied on the way go to @release. 0, or -EINVAL if the object is not
 * allocated (a double free, reported and counted; nothing changes).
 */
static int bs_slab_mag_free(struct bs_slab_cache *cache, struct bs_slab_page *sp,
		     unsigned int idx, struct list_head *release)
{
	struct bs_slab_cpu *cpu = raw_cpu_ptr(cache->cpu);
	int ret;

	spin_lock(&cpu->lock);
	ret = bs_slab_claim(cpu, sp, idx);
	if (!ret)
		bs_slab_mag_store(cache, cpu, bs_slab_obj(sp, idx),
				  &sp->state[idx], release);
	spin_unlock(&cpu->lock);
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
	if (!obj)
		obj = bs_slab_alloc_slow(cache, requested);
	if (!obj) {
		bs_slab_count_failure(cache, BS_SLAB_ALLOC_FAILS);
		return NULL;
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
	if (unlikely(!list_empty(&release)))
		bs_slab_release(cache->slab, &release);
	return ret;
}

/**
 * bs_slab_mag_drain() - empty every magazine of a cache into its slabs
 * @cache:	the cache
 * @release:	slabs emptied on the way, for bs_slab_release()
 *
 * Full magazines the depot keeps as empty ones, up to BS_SLAB_DEPOT_MAX;
 * the others are freed.
 */
void bs_slab_mag_drain(struct bs_slab_cache *cache, struct list_head *release)
{
	struct bs_slab_magazine *mag, *next;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		spin_lock(&c->lock);
		c->changes += c->loaded->rounds + c->previous->rounds;
		bs_slab_mag_unload(cache, c->loaded, release);
		bs_slab_mag_unload(cache, c->previous, release);
		spin_unlock(&c->lock);
	}

	spin_lock(&cache->depot_lock);
	list_for_each_entry_safe(mag, next, &cache->full_magazines, list) {
		bs_slab_mag_unload(cache, mag, release);
		cache->nr_full_magazines--;
		cache->depot_changes++;
		if (cache->nr_empty_magazines < BS_SLAB_DEPOT_MAX) {
			list_move(&mag->list, &cache->empty_magazines);
			cache->nr_empty_magazines++;
		} else {
			list_del(&mag->list);
			kfree(mag);
		}
	}
	spin_unlock(&cache->depot_lock);
}

/**
 * bs_slab_mag_init() - give a new cache its depot and per-CPU magazines
 * @cache:	the cache, its flags set
 *
 * Return: 0, or -ENOMEM (nothing is kept then).
 */
int bs_slab_mag_init(struct bs_slab_cache *cache)
{
	const gfp_t gfp = bs_slab_gfp(cache->flags, GFP_KERNEL);
	int cpu;

	spin_lock_init(&cache->depot_lock);
	INIT_LIST_HEAD(&cache->full_magazines);
	INIT_LIST_HEAD(&cache->empty_magazines);

	cache->cpu = bs_fault() ? NULL : alloc_percpu_gfp(struct bs_slab_cpu, gfp);
	if (!cache->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		spin_lock_init(&c->lock);
		c->loaded = bs_fault() ? NULL : kzalloc(sizeof(*c->loaded), gfp);
		c->previous = bs_fault() ? NULL :
			      kzalloc(sizeof(*c->previous), gfp);
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

/**
 * bs_slab_mag_objs() - free objects held in a cache's magazines
 * @cache:	the cache
 *
 * Each holder is counted under its own lock: exact when nothing else runs.
 *
 * Return: the number of objects in every CPU's magazines and the depot.
 */
unsigned long bs_slab_mag_objs(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag;
	unsigned long objs = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		spin_lock(&c->lock);
		objs += c->loaded->rounds + c->previous->rounds;
		spin_unlock(&c->lock);
	}
	spin_lock(&cache->depot_lock);
	list_for_each_entry(mag, &cache->full_magazines, list)
		objs += mag->rounds;
	spin_unlock(&cache->depot_lock);
	return objs;
}
