// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab chardev: /dev/buddyslab, the allocators' door to userspace.
 *
 * Each open file has its own table of allocations, an xarray from handle to
 * record. Handles are small integers handed out cyclically from 1, so a
 * stale handle is not soon reused: a double free finds nothing and gets
 * -ENOENT, and a handle of another open file is simply not in this file's
 * table. Closing the file frees everything it still holds.
 *
 * ioctls are dispatched on _IOC_NR through a table, as dma-heap does. The
 * argument is copied into a kernel buffer of the driver's structure size:
 * a smaller structure from an older client must still hold the first
 * published version of the structure; a larger one from a newer client is
 * accepted only if every byte past the driver's size is zero (-E2BIG
 * otherwise), so a client never silently loses a field it set.
 *
 * Memory handed to a client is always cleared first, so no client ever sees
 * what another one left behind.
 *
 * Locking: a file's xarray has its own lock, and a record is owned by
 * whoever removed it from the xarray, so concurrent frees of one handle
 * free it once. The allocators do their own locking.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <uapi/buddyslab.h>

#include "buddyslab.h"

/**
 * struct bs_chardev_file - what one open file of /dev/buddyslab holds
 * @bs:		the instance the file belongs to
 * @allocs:	handle -> struct bs_chardev_alloc; its own lock
 * @next_handle: cursor of the cyclic handle allocation; under @allocs' lock
 */
struct bs_chardev_file {
	struct buddyslab *bs;
	struct xarray allocs;
	u32 next_handle;
};

/**
 * struct bs_chardev_alloc - one allocation made through the device
 * @allocator:	BUDDYSLAB_ALLOC_*
 * @mem:	its kernel address; never shown to userspace
 * @offset:	its offset in the device's linear space
 * @granted:	bytes reserved
 */
struct bs_chardev_alloc {
	u32 allocator;
	void *mem;
	u64 offset;
	u64 granted;
};

static int bs_chardev_open(struct inode *inode, struct file *file)
{
	struct buddyslab *bs = container_of(file->private_data,
					    struct buddyslab, misc);
	struct bs_chardev_file *bf;

	bf = kzalloc(sizeof(*bf), GFP_KERNEL);
	if (!bf)
		return -ENOMEM;
	bf->bs = bs;
	xa_init_flags(&bf->allocs, XA_FLAGS_ALLOC1);
	file->private_data = bf;
	return 0;
}

/* Give an allocation's memory back to its allocator. */
static void bs_chardev_unreserve(struct bs_chardev_file *bf,
				 const struct bs_chardev_alloc *alloc)
{
	struct buddyslab *bs = bf->bs;

	switch (alloc->allocator) {
	case BUDDYSLAB_ALLOC_BUDDY:
		WARN_ON(bs_buddy_free(&bs->buddy, alloc->offset >> PAGE_SHIFT));
		break;
	case BUDDYSLAB_ALLOC_SLAB:
		WARN_ON(bs_slab_kfree(&bs->slab, alloc->mem));
		break;
	case BUDDYSLAB_ALLOC_FIT:
		WARN_ON(bs_fit_free(&bs->fit, alloc->mem));
		break;
	}
}

static void bs_chardev_release_alloc(struct bs_chardev_file *bf,
				     struct bs_chardev_alloc *alloc)
{
	bs_chardev_unreserve(bf, alloc);
	kfree(alloc);
}

static int bs_chardev_release(struct inode *inode, struct file *file)
{
	struct bs_chardev_file *bf = file->private_data;
	struct bs_chardev_alloc *alloc;
	unsigned long handle;

	xa_for_each(&bf->allocs, handle, alloc) {
		xa_erase(&bf->allocs, handle);
		bs_chardev_release_alloc(bf, alloc);
	}
	xa_destroy(&bf->allocs);
	kfree(bf);
	return 0;
}

static int bs_chardev_info(struct bs_chardev_file *bf,
			   struct buddyslab_info *info)
{
	struct buddyslab *bs = bf->bs;

	info->abi_version = BUDDYSLAB_ABI_VERSION;
	info->page_size = PAGE_SIZE;
	info->max_order = BS_BUDDY_MAX_ORDER;
	info->nr_arenas = bs->buddy.nr_arenas;
	info->arena_bytes = BS_REGION_CHUNK_BYTES;
	info->region_bytes = bs_region_bytes(&bs->region);
	info->free_bytes = (u64)bs_buddy_free_pages(&bs->buddy) << PAGE_SHIFT;
	return 0;
}

/* The fit policies of the ABI, BUDDYSLAB_FIT_* - 1, as the allocator's. */
static const enum bs_fit_policy bs_chardev_fit_policies[] = {
	[BUDDYSLAB_FIT_FIRST - 1]	= BS_FIT_FIRST,
	[BUDDYSLAB_FIT_NEXT - 1]	= BS_FIT_NEXT,
	[BUDDYSLAB_FIT_BEST - 1]	= BS_FIT_BEST,
	[BUDDYSLAB_FIT_WORST - 1]	= BS_FIT_WORST,
};
static_assert(ARRAY_SIZE(bs_chardev_fit_policies) == BS_FIT_NR_POLICIES);
static_assert(BS_FIT_NR_POLICIES == BUDDYSLAB_FIT_POLICIES);

/*
 * Reserve the memory a request asks for from the allocator it names.
 * Returns 0, -EINVAL for a request that allocator cannot take, -ENOENT for
 * an unknown cache, -ENOMEM.
 */
static int bs_chardev_reserve(struct bs_chardev_file *bf,
			      const struct buddyslab_alloc *req,
			      struct bs_chardev_alloc *alloc)
{
	struct buddyslab *bs = bf->bs;
	unsigned long pgoff;
	unsigned int order;
	size_t granted;

	if (!req->size || req->size > BS_REGION_CHUNK_BYTES)
		return -EINVAL;
	alloc->allocator = req->allocator;

	switch (req->allocator) {
	case BUDDYSLAB_ALLOC_BUDDY:
		if (req->cache_id || req->policy)
			return -EINVAL;
		order = get_order(req->size);
		if (bs_buddy_alloc(&bs->buddy, order, BS_BUDDY_TAG_DIRECT, &pgoff))
			return -ENOMEM;
		alloc->mem = bs_buddy_addr(&bs->buddy, pgoff);
		alloc->granted = PAGE_SIZE << order;
		break;
	case BUDDYSLAB_ALLOC_SLAB:
		if (req->policy)
			return -EINVAL;
		if (req->cache_id)
			return -ENOENT;
		alloc->mem = bs_slab_kmalloc(&bs->slab, req->size, &granted);
		if (!alloc->mem)
			return -ENOMEM;
		alloc->granted = granted;
		break;
	case BUDDYSLAB_ALLOC_FIT:
		if (req->cache_id)
			return -EINVAL;
		if (!req->policy || req->policy > BS_FIT_NR_POLICIES)
			return -EINVAL;
		alloc->mem = bs_fit_alloc(&bs->fit, req->size, 0,
					  bs_chardev_fit_policies[req->policy - 1],
					  &granted);
		if (!alloc->mem)
			return -ENOMEM;
		alloc->granted = granted;
		break;
	default:
		return -EINVAL;
	}
	WARN_ON(bs_buddy_pgoff_of(&bs->buddy, alloc->mem, &pgoff));
	alloc->offset = ((u64)pgoff << PAGE_SHIFT) + offset_in_page(alloc->mem);
	return 0;
}

static int bs_chardev_alloc(struct bs_chardev_file *bf,
			    struct buddyslab_alloc *req)
{
	struct bs_chardev_alloc *alloc;
	u32 handle;
	int ret;

	if (req->flags & ~BUDDYSLAB_F_ALL)
		return -EINVAL;

	alloc = kmalloc(sizeof(*alloc), GFP_KERNEL);
	if (!alloc)
		return -ENOMEM;
	ret = bs_chardev_reserve(bf, req, alloc);
	if (ret)
		goto err_free_record;
	memset(alloc->mem, 0, alloc->granted);
	ret = xa_alloc_cyclic(&bf->allocs, &handle, alloc, xa_limit_32b,
			      &bf->next_handle, GFP_KERNEL);
	if (ret < 0)
		goto err_unreserve;

	req->handle = handle;
	req->offset = alloc->offset;
	req->granted = alloc->granted;
	return 0;

err_unreserve:
	bs_chardev_unreserve(bf, alloc);
err_free_record:
	kfree(alloc);
	return ret;
}

static int bs_chardev_free(struct bs_chardev_file *bf, u64 handle)
{
	struct bs_chardev_alloc *alloc;

	if (!handle || handle > U32_MAX)
		return -ENOENT;
	alloc = xa_erase(&bf->allocs, handle);
	if (!alloc)
		return -ENOENT;
	bs_chardev_release_alloc(bf, alloc);
	return 0;
}

struct bs_chardev_slab_walker {
	struct bs_slab_walker walker;
	struct buddyslab_slab_stats *out;
};

/* Add one cache to the totals, and fill its entry if it is a size class. */
static void bs_chardev_slab_cache_stats(struct bs_slab_walker *walker,
					struct bs_slab_cache *cache,
					const struct bs_slab_cache_stats *stats)
{
	struct buddyslab_slab_stats *out =
		container_of(walker, struct bs_chardev_slab_walker, walker)->out;
	struct buddyslab_slab_cache_stats *c;
	unsigned int i;

	out->alloc_fails += stats->counters[BS_SLAB_ALLOC_FAILS];
	out->redzone_errors += stats->counters[BS_SLAB_REDZONE_ERRORS];
	out->poison_errors += stats->counters[BS_SLAB_POISON_ERRORS];
	out->double_frees += stats->counters[BS_SLAB_DOUBLE_FREES];
	out->invalid_frees += stats->counters[BS_SLAB_INVALID_FREES];

	for (i = 0; i < BS_SLAB_NR_CLASSES; i++)
		if (cache->slab->classes[i] == cache)
			break;
	if (i == BS_SLAB_NR_CLASSES)
		return;
	c = &out->classes[i];
	c->object_size = cache->object_size;
	c->objects_per_slab = cache->objects;
	c->pages_per_slab = 1U << cache->order;
	c->active_objs = stats->active_objs;
	c->num_objs = stats->num_objs;
	c->active_slabs = stats->active_slabs;
	c->num_slabs = stats->num_slabs;
	c->allocs = stats->counters[BS_SLAB_ALLOCS];
	c->frees = stats->counters[BS_SLAB_FREES];
	c->magazine_hits = stats->counters[BS_SLAB_MAG_HITS];
	c->magazine_misses = stats->counters[BS_SLAB_MAG_MISSES];
	c->slabs_created = stats->counters[BS_SLAB_SLABS_CREATED];
	c->slabs_freed = stats->counters[BS_SLAB_SLABS_FREED];
	c->bytes_requested = stats->counters[BS_SLAB_BYTES_REQUESTED];
	c->bytes_granted = stats->counters[BS_SLAB_BYTES_GRANTED];
}

static void bs_chardev_fit_stats(struct bs_fit *fit,
				 struct buddyslab_fit_stats *out)
{
	struct bs_fit_stats stats;
	unsigned int p;

	bs_fit_stats(fit, &stats);
	out->arenas = stats.nr_arenas;
	out->free_blocks = stats.nr_free;
	out->free_bytes = stats.free_bytes;
	out->largest_free = stats.largest_free;
	out->used_bytes = stats.used_bytes;
	out->requested_bytes = stats.requested_bytes;
	out->frees = stats.counters[BS_FIT_FREES];
	out->frees_refused = stats.counters[BS_FIT_FREES_REFUSED];
	out->merges = stats.counters[BS_FIT_MERGES];
	out->extfrag = stats.extfrag;
	for (p = 0; p < BS_FIT_NR_POLICIES; p++) {
		out->allocs[p] = stats.policy_counters[bs_chardev_fit_policies[p]][BS_FIT_ALLOCS];
		out->fails[p] = stats.policy_counters[bs_chardev_fit_policies[p]][BS_FIT_FAILS];
	}
}

static int bs_chardev_stats(struct bs_chardev_file *bf,
			    struct buddyslab_stats *out)
{
	struct bs_chardev_slab_walker walker = {
		.walker.visit = bs_chardev_slab_cache_stats,
		.out = &out->slab,
	};
	struct buddyslab_buddy_stats *b = &out->buddy;
	struct bs_buddy_stats *stats;
	unsigned int order;

	BUILD_BUG_ON(BS_BUDDY_NR_ORDERS > BUDDYSLAB_STATS_ORDERS);

	stats = kmalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	bs_buddy_stats(&bf->bs->buddy, stats);

	b->free_pages = stats->free_pages;
	b->cached_pages = stats->cached_pages;
	b->used_pages = stats->used_pages;
	b->metadata_bytes = stats->metadata_bytes;
	b->alloc_fails = stats->counters.event[BS_BUDDY_ALLOC_FAILS];
	b->frees_refused = stats->counters.event[BS_BUDDY_FREES_REFUSED];
	b->splits = stats->counters.event[BS_BUDDY_SPLITS];
	b->merges = stats->counters.event[BS_BUDDY_MERGES];
	b->pcp_hits = stats->counters.event[BS_BUDDY_PCP_HITS];
	b->pcp_misses = stats->counters.event[BS_BUDDY_PCP_MISSES];
	b->pcp_drains = stats->counters.event[BS_BUDDY_PCP_DRAINS];
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		b->nr_free[order] = stats->nr_free[order];
		b->allocs[order] = stats->counters.order[BS_BUDDY_ALLOCS][order];
		b->frees[order] = stats->counters.order[BS_BUDDY_FREES][order];
		b->unusable_index[order] =
			bs_buddy_unusable_index(stats->nr_free, order);
		b->extfrag_index[order] =
			bs_buddy_extfrag_index(stats->nr_free, order);
	}
	kfree(stats);
	bs_chardev_fit_stats(&bf->bs->fit, &out->fit);
	BUILD_BUG_ON(BS_SLAB_NR_CLASSES != BUDDYSLAB_SLAB_CLASSES);
	return bs_slab_walk_caches(&bf->bs->slab, &walker.walker);
}

union bs_chardev_arg {
	struct buddyslab_info info;
	struct buddyslab_alloc alloc;
	struct buddyslab_free free;
	struct buddyslab_stats stats;
};

/* The ioctls by number, with the size of their first published version. */
static const struct {
	unsigned int cmd;
	unsigned int min_size;
} bs_chardev_ioctls[] = {
	[_IOC_NR(BUDDYSLAB_IOC_INFO)] = {
		BUDDYSLAB_IOC_INFO,
		offsetofend(struct buddyslab_info, free_bytes) },
	[_IOC_NR(BUDDYSLAB_IOC_ALLOC)] = {
		BUDDYSLAB_IOC_ALLOC,
		offsetofend(struct buddyslab_alloc, granted) },
	[_IOC_NR(BUDDYSLAB_IOC_FREE)] = {
		BUDDYSLAB_IOC_FREE,
		offsetofend(struct buddyslab_free, handle) },
	[_IOC_NR(BUDDYSLAB_IOC_STATS)] = {
		BUDDYSLAB_IOC_STATS,
		offsetofend(struct buddyslab_stats, buddy) },
};

static long bs_chardev_ioctl(struct file *file, unsigned int ucmd,
			     unsigned long arg)
{
	struct bs_chardev_file *bf = file->private_data;
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(ucmd);
	unsigned int kcmd, usize, ksize;
	union bs_chardev_arg *karg;
	u64 stack_karg[16];
	int ret;

	if (_IOC_TYPE(ucmd) != BUDDYSLAB_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(bs_chardev_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(bs_chardev_ioctls));
	kcmd = bs_chardev_ioctls[nr].cmd;
	if (!kcmd || _IOC_DIR(ucmd) != _IOC_DIR(kcmd))
		return -ENOTTY;
	usize = _IOC_SIZE(ucmd);
	ksize = _IOC_SIZE(kcmd);
	if (usize < bs_chardev_ioctls[nr].min_size)
		return -EINVAL;

	/* Small arguments live on the stack, large ones (STATS) on the heap. */
	karg = (void *)stack_karg;
	if (ksize > sizeof(stack_karg)) {
		karg = kmalloc(ksize, GFP_KERNEL);
		if (!karg)
			return -ENOMEM;
	}
	memset(karg, 0, ksize);
	ret = 0;
	if (_IOC_DIR(kcmd) & _IOC_WRITE) {
		if (copy_from_user(karg, uarg, min(usize, ksize)))
			ret = -EFAULT;
		else if (usize > ksize)
			ret = check_zeroed_user(uarg + ksize, usize - ksize) ?: -E2BIG;
		if (ret < 0)
			goto out;
	}

	switch (kcmd) {
	case BUDDYSLAB_IOC_INFO:
		ret = bs_chardev_info(bf, &karg->info);
		break;
	case BUDDYSLAB_IOC_ALLOC:
		ret = bs_chardev_alloc(bf, &karg->alloc);
		break;
	case BUDDYSLAB_IOC_FREE:
		ret = bs_chardev_free(bf, karg->free.handle);
		break;
	case BUDDYSLAB_IOC_STATS:
		ret = bs_chardev_stats(bf, &karg->stats);
		break;
	}
	if (ret)
		goto out;

	if ((_IOC_DIR(kcmd) & _IOC_READ) &&
	    copy_to_user(uarg, karg, min(usize, ksize))) {
		/* The client cannot learn the handle: undo the allocation. */
		if (kcmd == BUDDYSLAB_IOC_ALLOC)
			bs_chardev_free(bf, karg->alloc.handle);
		ret = -EFAULT;
	}
out:
	if (karg != (void *)stack_karg)
		kfree(karg);
	return ret;
}

static const struct file_operations bs_chardev_fops = {
	.owner		= THIS_MODULE,
	.open		= bs_chardev_open,
	.release	= bs_chardev_release,
	.unlocked_ioctl	= bs_chardev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/**
 * bs_chardev_register() - create /dev/buddyslab for an instance
 * @bs:	the instance, fully set up: the device is usable at once
 *
 * Return: 0 on success, or the error of misc_register().
 */
int bs_chardev_register(struct buddyslab *bs)
{
	bs->misc.minor = MISC_DYNAMIC_MINOR;
	bs->misc.name = KBUILD_MODNAME;
	bs->misc.fops = &bs_chardev_fops;
	bs->misc.mode = 0600;
	return misc_register(&bs->misc);
}

/**
 * bs_chardev_unregister() - remove /dev/buddyslab
 * @bs:	the instance; no file may be open (the module reference held by
 *	every open file guarantees it at unload)
 */
void bs_chardev_unregister(struct buddyslab *bs)
{
	misc_deregister(&bs->misc);
}
