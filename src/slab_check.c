// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab checks: bs_slab_validate(), every invariant of every
 * cache, its magazines and its slabs, for KUnit after each scenario and for
 * debugfs validate.
 *
 * Validation changes nothing a user can see: it drains no magazine,
 * repairs and counts nothing, and reads objects' memory only where the
 * cache lock it holds keeps users out, in free objects. It takes each lock
 * in turn, never all at once, so it may run at any time, under any load;
 * each CPU's magazines it checks on that CPU, under its local lock.
 * That the objects marked cached are exactly those in magazines is a
 * property of all of them at once: it is checked when no magazine changed
 * while the slabs were walked, which the holders' change counts tell
 * (slab_magazine.c); under load that cross-check is skipped.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/printk.h>

#include "cpu.h"
#include "fault.h"
#include "slab_internal.h"

static int bs_slab_corrupt(struct bs_slab_cache *cache,
			   const struct bs_slab_page *sp, const char *what)
{
	pr_err("validate: cache %s: slab at page %lu: %s\n", cache->name,
	       sp ? sp->pgoff : 0, what);
	return -EUCLEAN;
}

/*
 * Check a magazine; caller holds the lock of its holder. Every round must
 * be a cached object of @cache.
 */
static int bs_slab_mag_validate(struct bs_slab_cache *cache,
				const struct bs_slab_magazine *mag)
{
	struct bs_slab_page *sp;
	unsigned int i, idx;
	int ret = 0;

	if (mag->rounds > mag->size || mag->size > cache->mag_max)
		return bs_slab_corrupt(cache, NULL, "magazine holds more than its rounds");
	rcu_read_lock();
	for (i = 0; i < mag->rounds && !ret; i++) {
		sp = bs_slab_lookup(cache->slab, mag->round[i].obj, &idx);
		if (!sp || sp->cache != cache ||
		    mag->round[i].state != &sp->state[idx] ||
		    bs_slab_obj_state(READ_ONCE(sp->state[idx])) != BS_SLAB_OBJ_CACHED)
			ret = bs_slab_corrupt(cache, sp, "magazine holds an object that is not a cached object of its cache");
	}
	rcu_read_unlock();
	return ret;
}

/* What bs_cpu_each() carries to each CPU for a census. */
struct bs_slab_census {
	struct bs_slab_cache *cache;
	unsigned long objs;
	unsigned long changes;
	int ret;
};

/* Check one CPU's magazines and count them; run by bs_cpu_each(). */
static void bs_slab_census_cpu(void *arg, unsigned int cpu)
{
	struct bs_slab_census *census = arg;
	struct bs_slab_cache *cache = census->cache;
	struct bs_slab_cpu *c = bs_slab_cpu_lock(cache, cpu);
	int err;

	err = bs_slab_mag_validate(cache, c->loaded) ?:
	      bs_slab_mag_validate(cache, c->previous);
	if (!err && c->previous->rounds &&
	    c->previous->rounds != c->previous->size)
		err = bs_slab_corrupt(cache, NULL, "previous magazine neither full nor empty");
	if (err)
		census->ret = err;
	census->objs += c->loaded->rounds + c->previous->rounds;
	census->changes += bs_slab_cpu_changes(c);
	bs_slab_cpu_unlock(cache);
}

/*
 * Check every magazine of a cache, each under its holder's lock (each
 * CPU's on that CPU); count the objects they hold in @objs and their
 * holders' changes in @changes. Two censuses with the same @changes
 * bracket a time in which no magazine changed.
 */
static int bs_slab_mag_census(struct bs_slab_cache *cache, unsigned long *objs,
			      unsigned long *changes)
{
	struct bs_slab_census census = { .cache = cache };
	struct bs_slab_magazine *mag;
	unsigned int nr_full = 0, nr_empty = 0;
	int err;

	bs_cpu_each(bs_slab_census_cpu, &census);

	spin_lock(&cache->depot_lock);
	list_for_each_entry(mag, &cache->full_magazines, list) {
		err = bs_slab_mag_validate(cache, mag);
		if (!err && mag->rounds != mag->size)
			err = bs_slab_corrupt(cache, NULL, "depot holds a magazine that is not full among the full");
		if (err)
			census.ret = err;
		census.objs += mag->rounds;
		nr_full++;
	}
	list_for_each_entry(mag, &cache->empty_magazines, list) {
		if (mag->rounds || mag->size != cache->mag_size)
			census.ret = bs_slab_corrupt(cache, NULL, "depot holds a magazine that is not empty, or of an old size, among the empty");
		nr_empty++;
	}
	if (nr_full != cache->nr_full_magazines ||
	    nr_empty != cache->nr_empty_magazines ||
	    cache->depot_min_full > nr_full || cache->depot_min_empty > nr_empty)
		census.ret = bs_slab_corrupt(cache, NULL, "depot counts differ from its lists");
	if (cache->mag_size < BS_SLAB_MAG_ROUNDS || cache->mag_size > cache->mag_max)
		census.ret = bs_slab_corrupt(cache, NULL, "magazine size out of its range");
	census.changes += cache->depot_changes;
	spin_unlock(&cache->depot_lock);
	*objs = census.objs;
	*changes = census.changes;
	return census.ret;
}

/*
 * Check one slab; caller holds the cache lock. @seen is scratch space of
 * a bit per object; the slab's cached objects are added to @cached.
 */
static int bs_slab_page_validate(struct bs_slab_cache *cache,
				 struct bs_slab_page *sp, unsigned long *seen,
				 unsigned long *cached)
{
	struct bs_slab *slab = cache->slab;
	unsigned int i, idx, nr_free = 0;
	u8 state;

	lockdep_assert_held(&cache->lock);

	if (sp->cache != cache)
		return bs_slab_corrupt(cache, sp, "slab of another cache on its lists");
	if (bs_buddy_block_tag(slab->buddy, sp->pgoff) != BS_BUDDY_TAG_SLAB)
		return bs_slab_corrupt(cache, sp, "pages are not a slab block of the buddy");
	for (i = 0; i < (1U << cache->order); i++)
		if (rcu_access_pointer(slab->page_slab[sp->pgoff + i]) != sp)
			return bs_slab_corrupt(cache, sp, "a page does not point to its slab");
	if (sp->colour % cache->colour_align ||
	    sp->colour / cache->colour_align >= cache->colours)
		return bs_slab_corrupt(cache, sp, "colour out of range");
	if (sp->nr_free + sp->inuse != cache->objects)
		return bs_slab_corrupt(cache, sp, "free and used objects do not add up");

	/* Every free-stack entry is a distinct free object, and no other is. */
	bitmap_zero(seen, cache->objects);
	for (i = 0; i < sp->nr_free; i++) {
		idx = sp->free_stack[i];
		if (idx >= cache->objects ||
		    bs_slab_obj_state(READ_ONCE(sp->state[idx])) != BS_SLAB_OBJ_FREE ||
		    __test_and_set_bit(idx, seen))
			return bs_slab_corrupt(cache, sp, "free stack holds an object that is not free, or twice");
	}
	for (idx = 0; idx < cache->objects; idx++) {
		/* Cached and allocated objects change under other locks. */
		state = bs_slab_obj_state(READ_ONCE(sp->state[idx]));
		if (state == BS_SLAB_OBJ_CACHED)
			(*cached)++;
		if (state != BS_SLAB_OBJ_FREE)
			continue;
		if (!test_bit(idx, seen))
			return bs_slab_corrupt(cache, sp, "free object missing from the free stack");
		nr_free++;
		bs_slab_debug_validate(sp, idx);
	}
	if (nr_free != sp->nr_free)
		return bs_slab_corrupt(cache, sp, "free objects differ from the free stack");
	return 0;
}

static int bs_slab_cache_validate(struct bs_slab_cache *cache)
{
	struct list_head *lists[] = {
		&cache->partial, &cache->full_slabs, &cache->empty_slabs,
	};
	unsigned long nr_slabs = 0, nr_empty = 0, nr_active = 0, cached = 0;
	unsigned long in_magazines, before, after, *seen;
	unsigned int l, owned = 0, cpu_slabs = 0;
	struct bs_slab_page *sp;
	int err, ret, cpu;

	seen = bs_fault() ? NULL : bitmap_zalloc(cache->objects, GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	ret = bs_slab_mag_census(cache, &in_magazines, &before);

	spin_lock(&cache->lock);
	for (l = 0; l < ARRAY_SIZE(lists); l++) {
		list_for_each_entry(sp, lists[l], list) {
			err = bs_slab_page_validate(cache, sp, seen, &cached);
			if (!err && lists[l] == &cache->partial &&
			    (!sp->inuse || !sp->nr_free))
				err = bs_slab_corrupt(cache, sp, "full or empty slab on the partial list");
			if (!err && lists[l] == &cache->full_slabs && sp->nr_free)
				err = bs_slab_corrupt(cache, sp, "slab with free objects on the full list");
			if (!err && lists[l] == &cache->empty_slabs && sp->inuse)
				err = bs_slab_corrupt(cache, sp, "slab with objects on the empty list");
			if (!err && sp->owner >= 0 &&
			    (sp->owner >= nr_cpu_ids || !cpu_possible(sp->owner) ||
			     per_cpu_ptr(cache->cpu, sp->owner)->slab != sp))
				err = bs_slab_corrupt(cache, sp, "slab owned by a CPU that does not own it");
			if (err)
				ret = err;
			owned += sp->owner >= 0;
			nr_slabs++;
			nr_empty += lists[l] == &cache->empty_slabs;
			nr_active += sp->inuse;
		}
	}
	if (!ret && (nr_slabs != cache->nr_slabs ||
		     nr_empty != cache->nr_empty_slabs ||
		     nr_active != cache->nr_active))
		ret = bs_slab_corrupt(cache, NULL, "cache counts differ from its slabs");
	for_each_possible_cpu(cpu)
		cpu_slabs += !!per_cpu_ptr(cache->cpu, cpu)->slab;
	if (!ret && cpu_slabs != owned)
		ret = bs_slab_corrupt(cache, NULL, "a CPU owns a slab that is not on the cache's lists");
	spin_unlock(&cache->lock);
	bitmap_free(seen);

	if (!ret)
		ret = bs_slab_mag_census(cache, &in_magazines, &after);
	if (!ret && before == after && cached != in_magazines)
		ret = bs_slab_corrupt(cache, NULL, "objects marked cached differ from the magazines' rounds: an object is lost");
	return ret;
}

/**
 * bs_slab_validate() - check every slab and magazine of every cache
 * @slab:	the slab allocator
 *
 * Checks each cache's magazines (every round is a cached object of the
 * cache, the depot's counts agree with its lists) and each slab: its buddy
 * block, its pages' descriptor, colour, counts, free stack and object
 * states, its list, and the CPU that owns it (which owns no other). Free
 * objects' red zones and poison are checked and damage reported as an
 * allocation would report it. If no magazine changed
 * meanwhile, the objects marked cached must be exactly those in magazines,
 * so that an object lost from a magazine is seen. The first inconsistency
 * in each cache is reported with pr_err().
 *
 * Safe at any time, under any load: it drains no magazine, and changes no
 * object, list or counter.
 *
 * Context: process context; sleeps.
 * Return: 0 if all holds, -EUCLEAN otherwise, -ENOMEM if it could not run.
 */
int bs_slab_validate(struct bs_slab *slab)
{
	struct bs_slab_cache *cache;
	int err, ret = 0;

	mutex_lock(&slab->caches_lock);
	list_for_each_entry(cache, &slab->caches, list) {
		err = bs_slab_cache_validate(cache);
		if (err)
			ret = err;
	}
	mutex_unlock(&slab->caches_lock);
	return ret;
}
