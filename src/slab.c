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
 * Magazines. Each CPU has a loaded and a previous magazine of up to
 * BS_SLAB_MAG_ROUNDS objects; previous is always full or empty. An
 * allocation pops from loaded; if loaded is empty and previous full they
 * swap; otherwise the depot trades an empty magazine for a full one. A free
 * pushes symmetrically. So any sequence of allocations and frees misses the
 * magazines at most once per BS_SLAB_MAG_ROUNDS operations. Misses go to
 * the slab layer. The depot keeps at most BS_SLAB_DEPOT_MAX full magazines;
 * beyond that a full magazine is emptied into the slabs. Magazines are
 * drained into the slabs on shrink, destroy and unload, and when the buddy
 * runs out of memory (a registered shrinker).
 *
 * Debugging, per cache. BS_SLAB_REDZONE puts BS_SLAB_RZ bytes of a known
 * pattern before and after each object, checked on every allocation, free
 * and validation; BS_SLAB_POISON fills free objects with POISON_FREE and
 * checks it on allocation, which catches writes after free. Every error is
 * reported once per object with pr_err() (the cache, the object's offset in
 * the device's linear space, and what was found), counted, and repaired so
 * that the allocator carries on; nothing ever crashes.
 *
 * Locking, in the order taken: caches_lock (mutex, the list of caches);
 * a CPU's magazine lock; the depot lock; the cache lock. Slabs are given
 * back to the buddy only after every spinlock is dropped, since the buddy
 * is for process context. The buddy may call the shrinker from
 * bs_buddy_alloc(), which the slab layer calls with no lock held.
 * An object is marked cached in the same critical section, under the lock
 * of the magazine's holder (a CPU or the depot), that puts it into a
 * magazine, and it leaves the magazine in the one that marks it allocated
 * or free: no magazine is ever emptied or filled outside its holder's lock.
 * So "cached" means "in a magazine" whenever the locks are taken, and each
 * holder counts its changes (@changes, @depot_changes) for validate to tell
 * whether the magazines stood still while it walked the slabs.
 *
 * Validation changes nothing a user can see: it drains no magazine,
 * repairs and counts nothing, and reads objects' memory only where the
 * cache lock it holds keeps users out, in free objects.
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/poison.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fault.h"
#include "slab.h"

/* Object states, in the low bits of a state byte. */
#define BS_SLAB_OBJ_FREE	0	/* on its slab's free stack */
#define BS_SLAB_OBJ_CACHED	1	/* in a magazine */
#define BS_SLAB_OBJ_USED	2	/* allocated */
#define BS_SLAB_OBJ_STATE	GENMASK(1, 0)
#define BS_SLAB_OBJ_REPORTED	BIT(7)	/* an error was reported for it */

#define BS_SLAB_RZ		8	/* bytes of each red zone */
#define BS_SLAB_MIN_ALIGN	8
#define BS_SLAB_RZ_BYTE		0xbb
#define BS_SLAB_NO_BYTE		LONG_MIN

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
};
static_assert(ARRAY_SIZE(bs_slab_counter_names) == BS_SLAB_NR_COUNTERS);

/*
 * The flags for kernel memory a cache takes for itself: a cache made on a
 * client's behalf (BS_SLAB_ACCOUNT) charges it to the memory cgroup of
 * whoever makes it grow, as SLAB_ACCOUNT does.
 */
static gfp_t bs_slab_gfp(unsigned int cache_flags, gfp_t gfp)
{
	return cache_flags & BS_SLAB_ACCOUNT ? gfp | __GFP_ACCOUNT : gfp;
}

static const unsigned int bs_slab_class_sizes[BS_SLAB_NR_CLASSES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, BS_SLAB_MAX_CLASS,
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
	struct rcu_head rcu;
	u8 *state;
	u16 free_stack[];
};

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

static inline void *bs_slab_obj(const struct bs_slab_page *sp,
				unsigned int idx)
{
	const struct bs_slab_cache *cache = sp->cache;

	return sp->base + idx * cache->size + cache->offset;
}

static inline void bs_slab_count_failure(struct bs_slab_cache *cache,
					 enum bs_slab_counter counter)
{
	atomic_long_inc(&cache->failures[counter]);
}

/* ---- Debugging -------------------------------------------------------- */

/* The object's byte offset in the device's linear space, for reports. */
static unsigned long long bs_slab_obj_offset(const struct bs_slab_page *sp,
					     unsigned int idx)
{
	const void *slab_start = sp->base - sp->colour;

	return ((unsigned long long)sp->pgoff << PAGE_SHIFT) +
	       (bs_slab_obj(sp, idx) - slab_start);
}

/*
 * Report an error about an object, once per object; true if reported now.
 * @at is the offset of the bad byte from the object's start (negative in
 * the left red zone), or BS_SLAB_NO_BYTE when no byte is to blame.
 */
static bool bs_slab_report(struct bs_slab_page *sp, unsigned int idx,
			   const char *what, long at, int found)
{
	u8 *state = &sp->state[idx];
	u8 old = READ_ONCE(*state);

	do {
		if (old & BS_SLAB_OBJ_REPORTED)
			return false;
	} while (!try_cmpxchg(state, &old, old | BS_SLAB_OBJ_REPORTED));

	if (at != BS_SLAB_NO_BYTE)
		pr_err("cache %s: object at offset %#llx: %s: byte %ld is %#04x\n",
		       sp->cache->name, bs_slab_obj_offset(sp, idx), what, at,
		       found);
	else
		pr_err("cache %s: object at offset %#llx: %s\n",
		       sp->cache->name, bs_slab_obj_offset(sp, idx), what);
	return true;
}

/* First byte of @len at @p that is not @c, or -1. */
static long bs_slab_first_not(const u8 *p, u8 c, size_t len)
{
	const u8 *bad = memchr_inv(p, c, len);

	return bad ? bad - p : -1;
}

static size_t bs_slab_right_rz(const struct bs_slab_cache *cache)
{
	return cache->size - cache->offset - cache->object_size;
}

/*
 * The first overwritten byte of an object's red zones, as an offset from
 * the object (negative in the left red zone), or BS_SLAB_NO_BYTE.
 */
static long bs_slab_redzone_damage(const struct bs_slab_page *sp,
				   unsigned int idx)
{
	const struct bs_slab_cache *cache = sp->cache;
	const u8 *obj = bs_slab_obj(sp, idx);
	long bad;

	bad = bs_slab_first_not(obj - BS_SLAB_RZ, BS_SLAB_RZ_BYTE, BS_SLAB_RZ);
	if (bad >= 0)
		return bad - BS_SLAB_RZ;
	bad = bs_slab_first_not(obj + cache->object_size, BS_SLAB_RZ_BYTE,
				bs_slab_right_rz(cache));
	return bad >= 0 ? bad + cache->object_size : BS_SLAB_NO_BYTE;
}

static void bs_slab_poison(struct bs_slab_cache *cache, u8 *obj)
{
	memset(obj, POISON_FREE, cache->object_size - 1);
	obj[cache->object_size - 1] = POISON_END;
}

/* The first byte of a free object that is not its poison, or BS_SLAB_NO_BYTE. */
static long bs_slab_poison_damage(const struct bs_slab_page *sp,
				  unsigned int idx)
{
	const unsigned int size = sp->cache->object_size;
	const u8 *obj = bs_slab_obj(sp, idx);
	long bad;

	bad = bs_slab_first_not(obj, POISON_FREE, size - 1);
	if (bad >= 0)
		return bad;
	return obj[size - 1] != POISON_END ? size - 1 : BS_SLAB_NO_BYTE;
}

static const char bs_slab_redzone_msg[] = "red zone overwritten";
static const char bs_slab_poison_msg[] = "written to while free (use after free)";

/* Check both red zones of an object; count, report and repair damage. */
static void bs_slab_check_redzones(struct bs_slab_page *sp, unsigned int idx)
{
	struct bs_slab_cache *cache = sp->cache;
	long bad = bs_slab_redzone_damage(sp, idx);
	u8 *obj = bs_slab_obj(sp, idx);

	if (bad == BS_SLAB_NO_BYTE)
		return;
	bs_slab_count_failure(cache, BS_SLAB_REDZONE_ERRORS);
	bs_slab_report(sp, idx, bs_slab_redzone_msg, bad, obj[bad]);
	memset(obj - BS_SLAB_RZ, BS_SLAB_RZ_BYTE, BS_SLAB_RZ);
	memset(obj + cache->object_size, BS_SLAB_RZ_BYTE, bs_slab_right_rz(cache));
}

/* Check a free object's poison; count, report and repair damage. */
static void bs_slab_check_poison(struct bs_slab_page *sp, unsigned int idx)
{
	long bad = bs_slab_poison_damage(sp, idx);
	u8 *obj = bs_slab_obj(sp, idx);

	if (bad == BS_SLAB_NO_BYTE)
		return;
	bs_slab_count_failure(sp->cache, BS_SLAB_POISON_ERRORS);
	bs_slab_report(sp, idx, bs_slab_poison_msg, bad, obj[bad]);
	bs_slab_poison(sp->cache, obj);
}

/* ---- Lookup ----------------------------------------------------------- */

/*
 * The slab and index of an object, by its address. Caller holds the RCU
 * read lock. NULL if @obj is not the start of an object in any slab.
 */
static struct bs_slab_page *bs_slab_lookup(struct bs_slab *slab,
					   const void *obj, unsigned int *idx)
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

/* ---- Slabs -------------------------------------------------------------- */

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

/*
 * Put a claimed object (in the cached state) back on its slab's free stack.
 * Caller holds the cache lock; a slab that becomes empty beyond the working
 * set goes to @release.
 */
static void bs_slab_put(struct bs_slab_cache *cache, void *obj,
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

/* Make a new slab and add it to the cache's empty list. */
static int bs_slab_grow(struct bs_slab_cache *cache)
{
	struct bs_slab *slab = cache->slab;
	struct bs_slab_page *sp;
	unsigned long pgoff, i;
	unsigned int colour;
	void *start;
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

	start = bs_buddy_addr(slab->buddy, pgoff);
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
		if (cache->flags & BS_SLAB_REDZONE) {
			memset(obj - BS_SLAB_RZ, BS_SLAB_RZ_BYTE, BS_SLAB_RZ);
			memset(obj + cache->object_size, BS_SLAB_RZ_BYTE,
			       bs_slab_right_rz(cache));
		}
		if (cache->flags & BS_SLAB_POISON)
			bs_slab_poison(cache, obj);
		if (cache->ctor)
			cache->ctor(obj);
	}
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

/* ---- Magazines and depot ---------------------------------------------- */

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

/* Count an allocation; under the lock of whoever holds @counters. */
static void bs_slab_count_alloc(struct bs_slab_cache *cache,
				unsigned long *counters, size_t requested)
{
	counters[BS_SLAB_ALLOCS]++;
	counters[BS_SLAB_BYTES_REQUESTED] += requested;
	counters[BS_SLAB_BYTES_GRANTED] += cache->object_size;
}

static void *bs_slab_mag_alloc(struct bs_slab_cache *cache, size_t requested)
{
	/* The lock, not the CPU, guards the magazines: see buddy.c. */
	struct bs_slab_cpu *cpu = raw_cpu_ptr(cache->cpu);
	struct bs_slab_magazine *mag;
	void *obj = NULL;

	spin_lock(&cpu->lock);
	if (!cpu->loaded->rounds) {
		if (cpu->previous->rounds) {
			swap(cpu->loaded, cpu->previous);
		} else {
			spin_lock(&cache->depot_lock);
			mag = list_first_entry_or_null(&cache->full,
						       struct bs_slab_magazine, list);
			if (mag) {
				list_del(&mag->list);
				cache->nr_full--;
				cache->depot_changes++;
				list_add(&cpu->previous->list, &cache->empty);
				cache->nr_empty++;
				cpu->previous = cpu->loaded;
				cpu->loaded = mag;
			}
			spin_unlock(&cache->depot_lock);
		}
	}
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
	mag = list_first_entry_or_null(&cache->empty, struct bs_slab_magazine,
				       list);
	if (mag) {
		list_del(&mag->list);
		cache->nr_empty--;
	} else {
		mag = bs_fault() ? NULL :
		      kmalloc(sizeof(*mag),
			      bs_slab_gfp(cache->flags,
					  GFP_NOWAIT | __GFP_NOWARN));
	}
	if (mag) {
		mag->rounds = 0;
		if (cache->nr_full < BS_SLAB_DEPOT_MAX) {
			list_add(&cpu->previous->list, &cache->full);
			cache->nr_full++;
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
		list_add(&spill->list, &cache->empty);
		cache->nr_empty++;
		spin_unlock(&cache->depot_lock);
	}
	return mag != NULL;
}

/*
 * Put a claimed object into a CPU's loaded magazine, or back into its slab
 * if no magazine can be had. Caller holds the CPU's lock.
 */
static void bs_slab_mag_free(struct bs_slab_cache *cache,
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

/* Empty every magazine of a cache into its slabs. */
static void bs_slab_drain(struct bs_slab_cache *cache, struct list_head *release)
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
	list_for_each_entry_safe(mag, next, &cache->full, list) {
		bs_slab_mag_unload(cache, mag, release);
		cache->nr_full--;
		cache->depot_changes++;
		if (cache->nr_empty < BS_SLAB_DEPOT_MAX) {
			list_move(&mag->list, &cache->empty);
			cache->nr_empty++;
		} else {
			list_del(&mag->list);
			kfree(mag);
		}
	}
	spin_unlock(&cache->depot_lock);
}

/* ---- Allocation and free ------------------------------------------------ */

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

/* Check a just-allocated object's debugging patterns. */
static void bs_slab_check_alloc(struct bs_slab_cache *cache, void *obj)
{
	struct bs_slab_page *sp;
	unsigned int idx;

	rcu_read_lock();
	sp = bs_slab_lookup(cache->slab, obj, &idx);
	if (!WARN_ON(!sp)) {
		if (cache->flags & BS_SLAB_POISON)
			bs_slab_check_poison(sp, idx);
		if (cache->flags & BS_SLAB_REDZONE)
			bs_slab_check_redzones(sp, idx);
	}
	rcu_read_unlock();
}

static void *bs_slab_alloc(struct bs_slab_cache *cache, size_t requested)
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
	if (cache->flags & BS_SLAB_REDZONE)
		bs_slab_check_redzones(sp, idx);
	if (cache->flags & BS_SLAB_POISON)
		bs_slab_poison(cache, bs_slab_obj(sp, idx));
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
	struct bs_slab_cpu *cpu;
	LIST_HEAD(release);
	unsigned int idx;
	int ret;

	might_sleep();

	rcu_read_lock();
	ret = bs_slab_find(cache, obj, &sp, &idx);
	if (!ret) {
		cpu = raw_cpu_ptr(cache->cpu);
		spin_lock(&cpu->lock);
		ret = bs_slab_claim(cpu, sp, idx);
		if (!ret)
			bs_slab_mag_free(cache, cpu, obj, &sp->state[idx],
					 &release);
		spin_unlock(&cpu->lock);
	}
	rcu_read_unlock();
	bs_slab_release(cache->slab, &release);
	return ret;
}

/* ---- Caches ----------------------------------------------------------- */

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

static void bs_slab_cache_free_magazines(struct bs_slab_cache *cache)
{
	struct bs_slab_magazine *mag, *next;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		kfree(c->loaded);
		kfree(c->previous);
	}
	list_for_each_entry_safe(mag, next, &cache->empty, list)
		kfree(mag);
	free_percpu(cache->cpu);
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
	int cpu, ret = -ENOMEM;

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

	spin_lock_init(&cache->depot_lock);
	INIT_LIST_HEAD(&cache->full);
	INIT_LIST_HEAD(&cache->empty);
	spin_lock_init(&cache->lock);
	INIT_LIST_HEAD(&cache->partial);
	INIT_LIST_HEAD(&cache->full_slabs);
	INIT_LIST_HEAD(&cache->empty_slabs);

	ret = -ENOMEM;
	cache->cpu = bs_fault() ? NULL :
		     alloc_percpu_gfp(struct bs_slab_cpu,
				      bs_slab_gfp(flags, GFP_KERNEL));
	if (!cache->cpu)
		goto err_free_cache;
	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		spin_lock_init(&c->lock);
		c->loaded = bs_fault() ? NULL :
			    kzalloc(sizeof(*c->loaded),
				    bs_slab_gfp(flags, GFP_KERNEL));
		c->previous = bs_fault() ? NULL :
			      kzalloc(sizeof(*c->previous),
				      bs_slab_gfp(flags, GFP_KERNEL));
		if (!c->loaded || !c->previous)
			goto err_free_magazines;
	}

	mutex_lock(&slab->caches_lock);
	list_add_tail(&cache->list, &slab->caches);
	mutex_unlock(&slab->caches_lock);
	return cache;

err_free_magazines:
	bs_slab_cache_free_magazines(cache);
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
	bs_slab_drain(cache, &release);
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
	bs_slab_cache_free_magazines(cache);
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

	bs_slab_drain(cache, &release);
	spin_lock(&cache->lock);
	bs_slab_retire_empty(cache, &release);
	spin_unlock(&cache->lock);
	return bs_slab_release(cache->slab, &release);
}

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

/* ---- Size classes ------------------------------------------------------- */

/* The smallest size class that holds @size bytes, or NULL. */
static struct bs_slab_cache *bs_slab_class_of(struct bs_slab *slab, size_t size)
{
	unsigned int i;

	for (i = 0; i < BS_SLAB_NR_CLASSES; i++)
		if (size <= slab->classes[i]->object_size)
			return slab->classes[i];
	return NULL;
}

/**
 * bs_slab_kmalloc_granted() - what bs_slab_kmalloc() would reserve
 * @slab:	the slab allocator
 * @size:	bytes, 1 to an arena's bytes
 *
 * Return: the bytes an allocation of @size takes.
 */
size_t bs_slab_kmalloc_granted(struct bs_slab *slab, size_t size)
{
	struct bs_slab_cache *cache = bs_slab_class_of(slab, size);

	return cache ? cache->object_size : PAGE_SIZE << get_order(size);
}

/**
 * bs_slab_kmalloc() - allocate memory of any size, as kmalloc() does
 * @slab:	the slab allocator
 * @size:	bytes, at least 1
 * @granted:	out: bytes really reserved
 *
 * Sizes up to BS_SLAB_MAX_CLASS come from the smallest size class that
 * fits; larger ones straight from the buddy, as whole pages.
 *
 * Context: process context.
 * Return: the memory, or NULL if @size is 0, larger than an arena, or no
 * memory can be had.
 */
void *bs_slab_kmalloc(struct bs_slab *slab, size_t size, size_t *granted)
{
	struct bs_slab_cache *cache;
	unsigned long pgoff;
	void *obj;

	if (!size || size > BS_ARENA_BYTES)
		return NULL;
	cache = bs_slab_class_of(slab, size);
	if (cache) {
		obj = bs_slab_alloc(cache, size);
		if (obj)
			*granted = cache->object_size;
		return obj;
	}
	if (bs_buddy_alloc(slab->buddy, get_order(size), BS_BUDDY_TAG_LARGE,
			   &pgoff))
		return NULL;
	*granted = PAGE_SIZE << get_order(size);
	return bs_buddy_addr(slab->buddy, pgoff);
}

/**
 * bs_slab_kfree() - free what bs_slab_kmalloc() returned
 * @slab:	the slab allocator
 * @obj:	the memory: an object of a size class, or a large allocation
 *
 * Context: process context.
 * Return: 0, or -EINVAL if @obj is neither an allocated object of a size
 * class nor a large allocation (reported; nothing changes).
 */
int bs_slab_kfree(struct bs_slab *slab, void *obj)
{
	struct bs_slab_cache *cache = NULL;
	struct bs_slab_page *sp;
	unsigned long pgoff;
	unsigned int idx;

	/*
	 * Only a size class outlives the RCU read side here: another cache
	 * may be destroyed as soon as it is left.
	 */
	rcu_read_lock();
	sp = bs_slab_lookup(slab, obj, &idx);
	if (sp && bs_slab_class_of(slab, sp->cache->object_size) == sp->cache)
		cache = sp->cache;
	rcu_read_unlock();
	if (cache)
		return bs_slab_cache_free(cache, obj);

	if (!bs_buddy_pgoff_of(slab->buddy, obj, &pgoff) &&
	    !offset_in_page(obj) &&
	    bs_buddy_block_tag(slab->buddy, pgoff) == BS_BUDDY_TAG_LARGE)
		return bs_buddy_free(slab->buddy, pgoff);

	pr_err_ratelimited("kfree of an address that is no allocation\n");
	return -EINVAL;
}

/* ---- Statistics and checks ----------------------------------------------- */

static unsigned long bs_slab_mag_objs(struct bs_slab_cache *cache)
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
	list_for_each_entry(mag, &cache->full, list)
		objs += mag->rounds;
	spin_unlock(&cache->depot_lock);
	return objs;
}

/**
 * bs_slab_cache_stats() - take a snapshot of a cache
 * @cache:	the cache
 * @stats:	out: the snapshot; consistent when nothing else runs
 */
void bs_slab_cache_stats(struct bs_slab_cache *cache,
			 struct bs_slab_cache_stats *stats)
{
	unsigned int c;
	int cpu;

	memset(stats, 0, sizeof(*stats));
	for (c = 0; c < BS_SLAB_NR_COUNTERS; c++)
		stats->counters[c] = atomic_long_read(&cache->failures[c]);
	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *sc = per_cpu_ptr(cache->cpu, cpu);

		spin_lock(&sc->lock);
		for (c = 0; c < BS_SLAB_NR_COUNTERS; c++)
			stats->counters[c] += sc->counters[c];
		spin_unlock(&sc->lock);
	}
	stats->magazine_objs = bs_slab_mag_objs(cache);

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

	if (mag->rounds > BS_SLAB_MAG_ROUNDS)
		return bs_slab_corrupt(cache, NULL, "magazine holds more than its rounds");
	rcu_read_lock();
	for (i = 0; i < mag->rounds && !ret; i++) {
		sp = bs_slab_lookup(cache->slab, mag->obj[i], &idx);
		if (!sp || sp->cache != cache || mag->state[i] != &sp->state[idx] ||
		    bs_slab_obj_state(READ_ONCE(*mag->state[i])) != BS_SLAB_OBJ_CACHED)
			ret = bs_slab_corrupt(cache, sp, "magazine holds an object that is not a cached object of its cache");
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Check every magazine of a cache, each under its holder's lock; count the
 * objects they hold in @objs and their holders' changes in @changes. Two
 * censuses with the same @changes bracket a time in which no magazine
 * changed.
 */
static int bs_slab_mag_census(struct bs_slab_cache *cache, unsigned long *objs,
			      unsigned long *changes)
{
	struct bs_slab_magazine *mag;
	unsigned int nr_full = 0, nr_empty = 0;
	int cpu, err, ret = 0;

	*objs = 0;
	*changes = 0;
	for_each_possible_cpu(cpu) {
		struct bs_slab_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		spin_lock(&c->lock);
		err = bs_slab_mag_validate(cache, c->loaded) ?:
		      bs_slab_mag_validate(cache, c->previous);
		if (!err && c->previous->rounds &&
		    c->previous->rounds != BS_SLAB_MAG_ROUNDS)
			err = bs_slab_corrupt(cache, NULL, "previous magazine neither full nor empty");
		if (err)
			ret = err;
		*objs += c->loaded->rounds + c->previous->rounds;
		*changes += c->changes;
		spin_unlock(&c->lock);
	}

	spin_lock(&cache->depot_lock);
	list_for_each_entry(mag, &cache->full, list) {
		err = bs_slab_mag_validate(cache, mag);
		if (!err && mag->rounds != BS_SLAB_MAG_ROUNDS)
			err = bs_slab_corrupt(cache, NULL, "depot holds a magazine that is not full among the full");
		if (err)
			ret = err;
		*objs += mag->rounds;
		nr_full++;
	}
	list_for_each_entry(mag, &cache->empty, list) {
		if (mag->rounds)
			ret = bs_slab_corrupt(cache, NULL, "depot holds a magazine that is not empty among the empty");
		nr_empty++;
	}
	if (nr_full != cache->nr_full || nr_empty != cache->nr_empty)
		ret = bs_slab_corrupt(cache, NULL, "depot counts differ from its lists");
	*changes += cache->depot_changes;
	spin_unlock(&cache->depot_lock);
	return ret;
}

/*
 * Report damage to a free object's red zones and poison, as an allocation
 * would find it, but repair and count nothing: the allocation will.
 */
static void bs_slab_object_validate(struct bs_slab_page *sp, unsigned int idx)
{
	const unsigned int flags = sp->cache->flags;
	const u8 *obj = bs_slab_obj(sp, idx);
	long bad;

	if (flags & BS_SLAB_REDZONE) {
		bad = bs_slab_redzone_damage(sp, idx);
		if (bad != BS_SLAB_NO_BYTE)
			bs_slab_report(sp, idx, bs_slab_redzone_msg, bad, obj[bad]);
	}
	if (flags & BS_SLAB_POISON) {
		bad = bs_slab_poison_damage(sp, idx);
		if (bad != BS_SLAB_NO_BYTE)
			bs_slab_report(sp, idx, bs_slab_poison_msg, bad, obj[bad]);
	}
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
		bs_slab_object_validate(sp, idx);
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
	struct bs_slab_page *sp;
	unsigned int l;
	int err, ret;

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
			if (err)
				ret = err;
			nr_slabs++;
			nr_empty += lists[l] == &cache->empty_slabs;
			nr_active += sp->inuse;
		}
	}
	if (!ret && (nr_slabs != cache->nr_slabs ||
		     nr_empty != cache->nr_empty_slabs ||
		     nr_active != cache->nr_active))
		ret = bs_slab_corrupt(cache, NULL, "cache counts differ from its slabs");
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
 * states, and its list. Free objects' red zones and poison are checked and
 * damage reported as an allocation would report it. If no magazine changed
 * meanwhile, the objects marked cached must be exactly those in magazines,
 * so that an object lost from a magazine is seen. The first inconsistency
 * in each cache is reported with pr_err().
 *
 * Safe at any time, under any load: it drains no magazine, and changes no
 * object, list or counter.
 *
 * Context: process context.
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

/* ---- Setup and teardown ------------------------------------------------- */

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
 * Creates the size classes: 8 to BS_SLAB_MAX_CLASS bytes, the powers of two
 * (naturally aligned) and 96 and 192.
 *
 * Context: process context.
 * Return: 0, -EINVAL for bad flags, or -ENOMEM.
 */
int bs_slab_init(struct bs_slab *slab, struct bs_buddy *buddy,
		 unsigned int class_flags)
{
	char name[BS_SLAB_NAME_LEN];
	unsigned int i, size;

	memset(slab, 0, sizeof(*slab));
	slab->buddy = buddy;
	mutex_init(&slab->caches_lock);
	INIT_LIST_HEAD(&slab->caches);
	slab->page_slab = bs_fault() ? NULL :
			  kvcalloc(bs_buddy_total_pages(buddy),
				   sizeof(*slab->page_slab), GFP_KERNEL);
	if (!slab->page_slab)
		return -ENOMEM;

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
			kvfree(slab->page_slab);
			return PTR_ERR(cache);
		}
		slab->classes[i] = cache;
	}
	slab->shrinker.shrink = bs_slab_shrinker;
	bs_buddy_register_shrinker(buddy, &slab->shrinker);
	return 0;
}
