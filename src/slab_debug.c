// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab debugging: red zones, poisoning, and the reports of what
 * they and the free path find.
 *
 * BS_SLAB_REDZONE puts BS_SLAB_RZ bytes of a known pattern before and after
 * each object, checked on every allocation, free and validation;
 * BS_SLAB_POISON fills free objects with POISON_FREE and checks it on
 * allocation, which catches writes after free. Every error is reported once
 * per object with pr_err() (the cache, the object's offset in the device's
 * linear space, and what was found), counted, and repaired so that the
 * allocator carries on; nothing ever crashes. The once is a bit in the
 * object's state byte, set by cmpxchg, so reports need no lock.
 *
 * An object's patterns are written when its slab is made and when it is
 * freed, by whoever holds it then; they are read when it is allocated, and
 * by validation only while it is free, under the cache lock that keeps
 * users out of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/poison.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "slab_internal.h"

#define BS_SLAB_RZ_BYTE		0xbb

/* The object's byte offset in the device's linear space, for reports. */
static unsigned long long bs_slab_obj_offset(const struct bs_slab_page *sp,
					     unsigned int idx)
{
	const void *slab_start = sp->base - sp->colour;

	return ((unsigned long long)sp->pgoff << PAGE_SHIFT) +
	       (bs_slab_obj(sp, idx) - slab_start);
}

/**
 * bs_slab_report() - report an error about an object, once per object
 * @sp:		the object's slab
 * @idx:	the object's index in it
 * @what:	what is wrong
 * @at:		the offset of the bad byte from the object's start (negative
 *		in the left red zone), or BS_SLAB_NO_BYTE when no byte is to
 *		blame
 * @found:	the bad byte's value
 *
 * Return: true if reported now, false if the object was reported before.
 */
bool bs_slab_report(struct bs_slab_page *sp, unsigned int idx,
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

static void bs_slab_redzone(struct bs_slab_cache *cache, u8 *obj)
{
	memset(obj - BS_SLAB_RZ, BS_SLAB_RZ_BYTE, BS_SLAB_RZ);
	memset(obj + cache->object_size, BS_SLAB_RZ_BYTE, bs_slab_right_rz(cache));
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
	bs_slab_redzone(cache, obj);
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

/**
 * bs_slab_debug_init_obj() - write a new object's patterns
 * @cache:	its cache
 * @obj:	the object, in a slab being made
 */
void bs_slab_debug_init_obj(struct bs_slab_cache *cache, u8 *obj)
{
	if (cache->flags & BS_SLAB_REDZONE)
		bs_slab_redzone(cache, obj);
	if (cache->flags & BS_SLAB_POISON)
		bs_slab_poison(cache, obj);
}

/**
 * bs_slab_debug_alloc() - check an object about to be handed out
 * @sp:		the object's slab, of a cache with BS_SLAB_DEBUG flags
 * @idx:	the object's index in it
 *
 * Its poison and red zones must be intact: damage is counted, reported and
 * repaired.
 */
void bs_slab_debug_alloc(struct bs_slab_page *sp, unsigned int idx)
{
	const unsigned int flags = sp->cache->flags;

	if (flags & BS_SLAB_POISON)
		bs_slab_check_poison(sp, idx);
	if (flags & BS_SLAB_REDZONE)
		bs_slab_check_redzones(sp, idx);
}

/**
 * bs_slab_debug_free() - check and poison an object being freed
 * @sp:		the object's slab
 * @idx:	the object's index in it; claimed by the freeing CPU
 *
 * Damage to its red zones is counted, reported and repaired.
 */
void bs_slab_debug_free(struct bs_slab_page *sp, unsigned int idx)
{
	struct bs_slab_cache *cache = sp->cache;

	if (cache->flags & BS_SLAB_REDZONE)
		bs_slab_check_redzones(sp, idx);
	if (cache->flags & BS_SLAB_POISON)
		bs_slab_poison(cache, bs_slab_obj(sp, idx));
}

/**
 * bs_slab_debug_validate() - report damage to a free object's patterns
 * @sp:		the object's slab; caller holds its cache's lock
 * @idx:	the object's index in it
 *
 * Red zones and poison are checked as an allocation would check them, but
 * nothing is repaired or counted: the allocation will do that.
 */
void bs_slab_debug_validate(struct bs_slab_page *sp, unsigned int idx)
{
	const unsigned int flags = sp->cache->flags;
	const u8 *obj = bs_slab_obj(sp, idx);
	long bad;

	lockdep_assert_held(&sp->cache->lock);

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
