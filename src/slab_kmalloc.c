// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab slab size classes: memory of any size, as kmalloc() gives it.
 *
 * Thirteen object caches, 8 to BS_SLAB_MAX_CLASS bytes: the powers of two,
 * naturally aligned, and 96 and 192, as the kernel's kmalloc caches. A
 * request takes the smallest class that holds it, found without a search;
 * one larger than every class takes whole pages straight from the buddy,
 * tagged BS_BUDDY_TAG_LARGE so that a free can tell them from anything
 * else. The
 * classes are ordinary caches, made with the allocator and destroyed with
 * it (slab_cache.c).
 *
 * Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>

#include "slab_internal.h"

/*
 * The smallest size class that holds @size bytes, or NULL: in O(1), as
 * kmalloc_slab() finds it. Up to BS_SLAB_SMALL_CLASS, a table by 8 bytes
 * (bs_slab_classes_init() fills it); above, the classes are the powers of
 * two up to the largest, one index apart.
 */
static struct bs_slab_cache *bs_slab_class_of(struct bs_slab *slab, size_t size)
{
	if (size <= BS_SLAB_SMALL_CLASS)
		return slab->classes[slab->size_index[(size + 7) / 8]];
	if (size > BS_SLAB_MAX_CLASS)
		return NULL;
	return slab->classes[BS_SLAB_NR_CLASSES - 1 -
			     (ilog2(BS_SLAB_MAX_CLASS) - order_base_2(size))];
}

/**
 * bs_slab_class_index() - which size class a cache is
 * @cache:	a cache
 *
 * Return: its index among the size classes, smallest first, or -ENOENT
 * if it is none of them.
 */
int bs_slab_class_index(const struct bs_slab_cache *cache)
{
	return cache->class_index < 0 ? -ENOENT : cache->class_index;
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

	return cache ? cache->object_size : bs_buddy_granted(size);
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
	*granted = bs_buddy_granted(size);
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
	LIST_HEAD(release);
	unsigned int idx;
	int ret;

	/*
	 * Only a size class outlives the RCU read side here: another cache
	 * may be destroyed as soon as it is left. So the object is freed
	 * under the read lock that found it, with no second lookup.
	 */
	rcu_read_lock();
	sp = bs_slab_lookup(slab, obj, &idx);
	if (sp && sp->cache->class_index >= 0) {
		cache = sp->cache;
		ret = bs_slab_free(cache, sp, idx, &release);
	}
	rcu_read_unlock();
	if (cache) {
		if (unlikely(!list_empty(&release)))
			bs_slab_release(slab, &release);
		return ret;
	}

	if (!bs_buddy_pgoff_of(slab->buddy, obj, &pgoff) &&
	    !offset_in_page(obj) &&
	    bs_buddy_block_tag(slab->buddy, pgoff) == BS_BUDDY_TAG_LARGE)
		return bs_buddy_free(slab->buddy, pgoff);

	pr_err_ratelimited("kfree of an address that is no allocation\n");
	return -EINVAL;
}
