// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab abi: the allocators' figures in the structures of
 * include/uapi/buddyslab.h, and the ABI's numbers in the allocators' terms.
 *
 * The ABI is fixed once published; the allocators' own views (snapshots in
 * unsigned long, counters in arrays indexed by their enums) change with
 * them. This file is the one place that knows both: it fills INFO and
 * STATS field by field, and turns a fit or genpool policy of the ABI into
 * the allocator's. The device (chardev.c) checks and dispatches requests and
 * translates nothing; the allocators never see an ABI structure.
 *
 * STATS is filled into a zeroed structure: the orders above the running
 * kernel's largest and the padding read zero. The allocators' parts are
 * taken one after the other, each as its allocator gives it, so while
 * allocations go on they are not one instant of the whole.
 */
#include <linux/nospec.h>
#include <linux/slab.h>

#include <uapi/buddyslab.h>

#include "buddyslab.h"

/* The fit policies of the ABI, BUDDYSLAB_FIT_* - 1, as the allocator's. */
static const enum bs_fit_policy bs_abi_fit_policies[] = {
	[BUDDYSLAB_FIT_FIRST - 1]	= BS_FIT_FIRST,
	[BUDDYSLAB_FIT_NEXT - 1]	= BS_FIT_NEXT,
	[BUDDYSLAB_FIT_BEST - 1]	= BS_FIT_BEST,
	[BUDDYSLAB_FIT_WORST - 1]	= BS_FIT_WORST,
};
static_assert(ARRAY_SIZE(bs_abi_fit_policies) == BS_FIT_NR_POLICIES);
static_assert(BS_FIT_NR_POLICIES == BUDDYSLAB_FIT_POLICIES);

/**
 * bs_abi_fit_policy() - the fit allocator's policy for one of the ABI's
 * @policy:	BUDDYSLAB_FIT_*, as a client sent it
 *
 * Return: the enum bs_fit_policy, or -EINVAL for no policy of the ABI.
 */
int bs_abi_fit_policy(u32 policy)
{
	if (!policy || policy > ARRAY_SIZE(bs_abi_fit_policies))
		return -EINVAL;
	return bs_abi_fit_policies[array_index_nospec(policy - 1,
					ARRAY_SIZE(bs_abi_fit_policies))];
}

/* The genpool policies of the ABI, BUDDYSLAB_GENPOOL_* - 1, as genpool's. */
static const enum bs_genpool_policy bs_abi_genpool_policies[] = {
	[BUDDYSLAB_GENPOOL_FIRST - 1]	= BS_GENPOOL_FIRST,
	[BUDDYSLAB_GENPOOL_BEST - 1]	= BS_GENPOOL_BEST,
};
static_assert(ARRAY_SIZE(bs_abi_genpool_policies) == BS_GENPOOL_NR_POLICIES);
static_assert(BS_GENPOOL_NR_POLICIES == BUDDYSLAB_GENPOOL_POLICIES);

/**
 * bs_abi_genpool_policy() - the genpool allocator's policy for one of the
 * ABI's
 * @policy:	BUDDYSLAB_GENPOOL_*, as a client sent it
 *
 * Return: the enum bs_genpool_policy, or -EINVAL for no policy of the ABI.
 */
int bs_abi_genpool_policy(u32 policy)
{
	if (!policy || policy > ARRAY_SIZE(bs_abi_genpool_policies))
		return -EINVAL;
	return bs_abi_genpool_policies[array_index_nospec(policy - 1,
					ARRAY_SIZE(bs_abi_genpool_policies))];
}

/**
 * bs_abi_info() - fill in what BUDDYSLAB_IOC_INFO returns
 * @bs:		the instance
 * @info:	the structure to fill in, every field
 */
void bs_abi_info(struct buddyslab *bs, struct buddyslab_info *info)
{
	info->abi_version = BUDDYSLAB_ABI_VERSION;
	info->page_size = PAGE_SIZE;
	info->max_order = BS_BUDDY_MAX_ORDER;
	info->nr_arenas = bs_buddy_nr_arenas(&bs->buddy);
	info->arena_bytes = BS_ARENA_BYTES;
	info->region_bytes = bs_region_bytes(&bs->region);
	info->free_bytes = (u64)bs_buddy_free_pages(&bs->buddy) << PAGE_SHIFT;
	strscpy(info->module_version, BUDDYSLAB_VERSION,
		sizeof(info->module_version));
}

/* The buddy's snapshot is too large for the stack. */
static int bs_abi_buddy_stats(struct bs_buddy *buddy,
			      struct buddyslab_buddy_stats *out)
{
	struct bs_buddy_stats *stats;
	unsigned int order;

	BUILD_BUG_ON(BS_BUDDY_NR_ORDERS > BUDDYSLAB_STATS_ORDERS);

	stats = bs_fault() ? NULL : kmalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	bs_buddy_stats(buddy, stats);

	out->free_pages = stats->free_pages;
	out->cached_pages = stats->cached_pages;
	out->used_pages = stats->used_pages;
	out->metadata_bytes = stats->metadata_bytes;
	out->alloc_fails = stats->counters.event[BS_BUDDY_ALLOC_FAILS];
	out->frees_refused = stats->counters.event[BS_BUDDY_FREES_REFUSED];
	out->splits = stats->counters.event[BS_BUDDY_SPLITS];
	out->merges = stats->counters.event[BS_BUDDY_MERGES];
	out->pcp_hits = stats->counters.event[BS_BUDDY_PCP_HITS];
	out->pcp_misses = stats->counters.event[BS_BUDDY_PCP_MISSES];
	out->pcp_drains = stats->counters.event[BS_BUDDY_PCP_DRAINS];
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		out->nr_free[order] = stats->nr_free[order];
		out->allocs[order] = stats->counters.order[BS_BUDDY_ALLOCS][order];
		out->frees[order] = stats->counters.order[BS_BUDDY_FREES][order];
		out->unusable_index[order] =
			bs_buddy_unusable_index(stats->nr_free, order);
		out->extfrag_index[order] =
			bs_buddy_extfrag_index(stats->nr_free, order);
	}
	kfree(stats);
	return 0;
}

struct bs_abi_slab_walker {
	struct bs_slab_walker walker;
	struct buddyslab_slab_stats *out;
};

/* Add one cache to the totals, and fill its entry if it is a size class. */
static void bs_abi_slab_cache_stats(struct bs_slab_walker *walker,
				    struct bs_slab_cache *cache,
				    const struct bs_slab_cache_stats *stats)
{
	struct buddyslab_slab_stats *out =
		container_of(walker, struct bs_abi_slab_walker, walker)->out;
	struct buddyslab_slab_cache_stats *c;
	int class = bs_slab_class_index(cache);

	BUILD_BUG_ON(BS_SLAB_NR_CLASSES != BUDDYSLAB_SLAB_CLASSES);

	out->alloc_fails += stats->counters[BS_SLAB_ALLOC_FAILS];
	out->redzone_errors += stats->counters[BS_SLAB_REDZONE_ERRORS];
	out->poison_errors += stats->counters[BS_SLAB_POISON_ERRORS];
	out->double_frees += stats->counters[BS_SLAB_DOUBLE_FREES];
	out->invalid_frees += stats->counters[BS_SLAB_INVALID_FREES];
	if (class < 0)
		return;

	c = &out->classes[class];
	c->object_size = bs_slab_cache_object_size(cache);
	c->objects_per_slab = bs_slab_cache_objects_per_slab(cache);
	c->pages_per_slab = bs_slab_cache_slab_pages(cache);
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

static void bs_abi_fit_stats(struct bs_fit *fit, struct buddyslab_fit_stats *out)
{
	struct bs_fit_stats stats;
	enum bs_fit_policy policy;
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
	for (p = 0; p < BUDDYSLAB_FIT_POLICIES; p++) {
		policy = bs_abi_fit_policies[p];
		out->allocs[p] = stats.policy_counters[policy][BS_FIT_ALLOCS];
		out->fails[p] = stats.policy_counters[policy][BS_FIT_FAILS];
	}
}

static void bs_abi_genpool_stats(struct bs_genpool *gp,
				 struct buddyslab_genpool_stats *out)
{
	struct bs_genpool_stats stats;
	enum bs_genpool_policy policy;
	unsigned int p;

	bs_genpool_stats(gp, &stats);
	out->arenas = stats.nr_arenas;
	out->free_blocks = stats.nr_free;
	out->free_bytes = stats.free_bytes;
	out->largest_free = stats.largest_free;
	out->used_bytes = stats.used_bytes;
	out->requested_bytes = stats.requested_bytes;
	out->frees = stats.counters[BS_GENPOOL_FREES];
	out->frees_refused = stats.counters[BS_GENPOOL_FREES_REFUSED];
	out->extfrag = stats.extfrag;
	for (p = 0; p < BUDDYSLAB_GENPOOL_POLICIES; p++) {
		policy = bs_abi_genpool_policies[p];
		out->allocs[p] = stats.policy_counters[policy][BS_GENPOOL_ALLOCS];
		out->fails[p] = stats.policy_counters[policy][BS_GENPOOL_FAILS];
	}
}

static void bs_abi_byte_buddy_stats(struct bs_byte_buddy *bb,
				    struct buddyslab_byte_buddy_stats *out)
{
	struct bs_byte_buddy_stats stats;

	bs_byte_buddy_stats(bb, &stats);
	out->arenas = stats.nr_arenas;
	out->free_blocks = stats.nr_free;
	out->free_bytes = stats.free_bytes;
	out->largest_free = stats.largest_free;
	out->used_bytes = stats.used_bytes;
	out->requested_bytes = stats.requested_bytes;
	out->allocs = stats.counters[BS_BYTE_BUDDY_ALLOCS];
	out->fails = stats.counters[BS_BYTE_BUDDY_FAILS];
	out->frees = stats.counters[BS_BYTE_BUDDY_FREES];
	out->frees_refused = stats.counters[BS_BYTE_BUDDY_FREES_REFUSED];
	out->splits = stats.counters[BS_BYTE_BUDDY_SPLITS];
	out->merges = stats.counters[BS_BYTE_BUDDY_MERGES];
	out->extfrag = stats.extfrag;
}

/**
 * bs_abi_stats() - fill in what BUDDYSLAB_IOC_STATS returns
 * @bs:		the instance
 * @out:	the structure to fill in, zeroed
 *
 * Return: 0, or -ENOMEM if there is no memory for a snapshot.
 */
int bs_abi_stats(struct buddyslab *bs, struct buddyslab_stats *out)
{
	struct bs_abi_slab_walker walker = {
		.walker.visit = bs_abi_slab_cache_stats,
		.out = &out->slab,
	};
	int ret;

	ret = bs_abi_buddy_stats(&bs->buddy, &out->buddy);
	if (ret)
		return ret;
	bs_abi_fit_stats(&bs->fit, &out->fit);
	bs_abi_genpool_stats(&bs->genpool, &out->genpool);
	bs_abi_byte_buddy_stats(&bs->byte_buddy, &out->byte_buddy);
	return bs_slab_walk_caches(&bs->slab, &walker.walker);
}
