// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab buddy statistics: what the buddy allocator tells of itself.
 *
 * Counters live where the events happen, in each arena under its lock and
 * in each per-CPU cache under its CPU's local lock, so that counting costs
 * no atomic operation; only failures, counted where no lock is held, are
 * atomic. A snapshot adds them up, the arenas' one lock at a time and the
 * caches' without any lock (a local lock is its CPU's alone): exact when
 * nothing else runs, and never a stop of the allocator. Beside the counters: the free blocks of an arena
 * per order (its buddyinfo line), what every page of an arena is (the
 * map), and the fragmentation indices of mm/vmstat.c, pure functions of
 * the free blocks per order.
 *
 * Nothing here changes the allocator.
 */
#include <linux/bitfield.h>
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "buddy_internal.h"

/**
 * bs_buddy_arena_nr_free() - free blocks per order in one arena's free lists
 * @buddy:	the allocator
 * @arena:	arena index, below @buddy->nr_arenas
 * @nr_free:	out: nr_free[o] is the number of free blocks of order o
 *
 * Blocks in the per-CPU caches are not counted, as the kernel's
 * /proc/buddyinfo does not count its per-CPU pages.
 */
void bs_buddy_arena_nr_free(struct bs_buddy *buddy, unsigned int arena,
			    unsigned long nr_free[BS_BUDDY_NR_ORDERS])
{
	struct bs_buddy_arena *ar = &buddy->arenas[arena];

	spin_lock(&ar->lock);
	memcpy(nr_free, ar->nr_free, sizeof(ar->nr_free));
	spin_unlock(&ar->lock);
}

/**
 * bs_buddy_arena_map() - what every page of an arena is
 * @buddy:	the allocator
 * @arena:	arena index, below @buddy->nr_arenas
 * @kind:	out: an enum bs_buddy_page_kind per page of the arena
 */
void bs_buddy_arena_map(struct bs_buddy *buddy, unsigned int arena,
			u8 kind[BS_ARENA_PAGES])
{
	struct bs_buddy_arena *ar = &buddy->arenas[arena];
	const unsigned long first = arena * BS_ARENA_PAGES;
	unsigned long i, n;

	spin_lock(&ar->lock);
	for (i = 0; i < BS_ARENA_PAGES; i += n) {
		/* Caches change allocated and cached blocks without our lock. */
		u8 state = READ_ONCE(buddy->state[first + i]);
		unsigned int order = state & BS_BUDDY_ORDER_MASK;

		n = min(1UL << min(order, BS_BUDDY_MAX_ORDER), BS_ARENA_PAGES - i);
		memset(kind + i, state & BS_BUDDY_USED ?
		       BS_BUDDY_PAGE_USED + FIELD_GET(BS_BUDDY_TAG_MASK, state) :
		       state & BS_BUDDY_CACHED ? BS_BUDDY_PAGE_CACHED :
		       BS_BUDDY_PAGE_FREE, n);
	}
	spin_unlock(&ar->lock);
}

/*
 * Bytes of all metadata: per allocator, per arena, per page, per CPU, and
 * the summary of free orders.
 */
static unsigned long bs_buddy_metadata_bytes(const struct bs_buddy *buddy)
{
	unsigned long pages = bs_buddy_total_pages(buddy);

	return sizeof(*buddy) +
	       buddy->nr_arenas * (sizeof(*buddy->arenas) + sizeof(*buddy->base)) +
	       pages * (sizeof(*buddy->state) + sizeof(*buddy->links)) +
	       num_possible_cpus() * sizeof(struct bs_buddy_pcp) +
	       BS_BUDDY_NR_ORDERS * BITS_TO_LONGS(buddy->nr_arenas) *
	       sizeof(*buddy->order_arenas);
}

/*
 * A cache's counters change under its CPU's local lock, which no reader
 * may take: they are read racily, each word whole. A sum of counters each
 * right at some moment is all a statistic needs.
 */
static unsigned long bs_buddy_read_counter(const unsigned long *counter)
{
	/* Racing with the cache's CPU, as said above. */
	return data_race(*counter);
}

static void bs_buddy_add_counters(struct bs_buddy_counters *sum,
				  const struct bs_buddy_counters *counters)
{
	unsigned int c, order;

	for (c = 0; c < BS_BUDDY_NR_ORDER_COUNTERS; c++)
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			sum->order[c][order] +=
				bs_buddy_read_counter(&counters->order[c][order]);
	for (c = 0; c < BS_BUDDY_NR_COUNTERS; c++)
		sum->event[c] += bs_buddy_read_counter(&counters->event[c]);
}

/**
 * bs_buddy_stats() - take a snapshot of an allocator's figures
 * @buddy:	the allocator
 * @stats:	out: the snapshot; consistent when nothing else runs
 */
void bs_buddy_stats(struct bs_buddy *buddy, struct bs_buddy_stats *stats)
{
	unsigned int a, c, order;
	int cpu;

	memset(stats, 0, sizeof(*stats));
	for (c = 0; c < BS_BUDDY_NR_COUNTERS; c++)
		stats->counters.event[c] = atomic_long_read(&buddy->failures[c]);
	for_each_possible_cpu(cpu)
		bs_buddy_add_counters(&stats->counters,
				      &per_cpu_ptr(buddy->pcp, cpu)->counters);
	for (a = 0; a < buddy->nr_arenas; a++) {
		struct bs_buddy_arena *arena = &buddy->arenas[a];

		spin_lock(&arena->lock);
		bs_buddy_add_counters(&stats->counters, &arena->counters);
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			stats->nr_free[order] += arena->nr_free[order];
		stats->free_pages += arena->free_pages;
		spin_unlock(&arena->lock);
	}
	stats->cached_pages = bs_buddy_cached_pages(buddy);
	stats->used_pages = bs_buddy_total_pages(buddy) - stats->free_pages -
			    stats->cached_pages;
	stats->metadata_bytes = bs_buddy_metadata_bytes(buddy);
}

/*
 * Fragmentation indices, as mm/vmstat.c computes them for a zone: from the
 * free blocks per order, how much free memory is useless for a request of
 * some order, and whether a failure of it would be due to fragmentation.
 */
struct bs_buddy_contig_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void bs_buddy_contig_info(const unsigned long nr_free[BS_BUDDY_NR_ORDERS],
				 unsigned int suitable_order,
				 struct bs_buddy_contig_info *info)
{
	unsigned int order;

	memset(info, 0, sizeof(*info));
	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		info->free_blocks_total += nr_free[order];
		info->free_pages += nr_free[order] << order;
		if (order >= suitable_order)
			info->free_blocks_suitable +=
				nr_free[order] << (order - suitable_order);
	}
}

/**
 * bs_buddy_unusable_index() - the unusable free space index of an order
 * @nr_free:	free blocks per order
 * @order:	the order of the request, at most BS_BUDDY_MAX_ORDER
 *
 * The fraction of free memory, in thousandths, that is in blocks too small
 * for a request of @order: 0 when all of it could serve such requests, 1000
 * when none could (or nothing is free). mm/vmstat.c's unusable_free_index().
 *
 * Return: the index, 0 to 1000.
 */
int bs_buddy_unusable_index(const unsigned long nr_free[BS_BUDDY_NR_ORDERS],
			    unsigned int order)
{
	struct bs_buddy_contig_info info;

	bs_buddy_contig_info(nr_free, order, &info);
	if (!info.free_pages)
		return 1000;
	return div64_ul((info.free_pages - (info.free_blocks_suitable << order)) *
			1000ULL, info.free_pages);
}

/**
 * bs_buddy_extfrag_index() - the fragmentation index of an order
 * @nr_free:	free blocks per order
 * @order:	the order of the request, at most BS_BUDDY_MAX_ORDER
 *
 * mm/vmstat.c's __fragmentation_index(): -1000 if a request of @order would
 * succeed; otherwise, in thousandths, towards 0 when it fails for lack of
 * memory and towards 1000 when it fails because free memory is fragmented.
 * 0 when nothing is free.
 *
 * Return: the index, -1000 or 0 to 1000.
 */
int bs_buddy_extfrag_index(const unsigned long nr_free[BS_BUDDY_NR_ORDERS],
			   unsigned int order)
{
	struct bs_buddy_contig_info info;
	unsigned long requested = 1UL << order;

	bs_buddy_contig_info(nr_free, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return 1000 - div64_ul(1000 + div64_ul(info.free_pages * 1000ULL,
					       requested),
			       info.free_blocks_total);
}
