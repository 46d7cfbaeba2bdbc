// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab debugfs: read-only views of the allocators, and a trigger for
 * their consistency checks, in /sys/kernel/debug/buddyslab/.
 *
 *   buddyinfo		free blocks per order, one line per arena, like
 *			/proc/buddyinfo
 *   unusable_index	per arena and for the region, per order, the unusable
 *   extfrag_index	free space and fragmentation indices, printed as
 *			/sys/kernel/debug/extfrag/ prints them
 *   slabinfo		the slab caches, in /proc/slabinfo's format 2.1
 *   fitinfo		the fit allocators' free blocks, free bytes, largest
 *			free block and external fragmentation
 *   genpoolinfo	the same for the genpool allocator
 *   byte_buddyinfo	the same for the byte buddy, and its free blocks per
 *			order
 *   stats		every counter and figure, "name value" per line
 *   map		one character per page, one line per arena; an arena
 *			of a byte-grain allocator shows which one holds it
 *   users		per user with an open file of the device: its files,
 *			and the bytes and allocations they hold against the
 *			per-user quotas
 *   fail/		the fault attribute, in kernels with fault injection
 *   validate		write 1 to check every allocator's invariants; read
 *			the result
 *
 * The views take the allocators' own locks one arena at a time, so each line
 * is consistent in itself while allocations go on. Blocks in the per-CPU
 * caches are free but, as for the kernel's per-CPU pages, not in buddyinfo
 * nor in the indices; stats and map show them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "buddyslab.h"

static int bs_debugfs_buddyinfo_show(struct seq_file *m, void *unused)
{
	struct buddyslab *bs = m->private;
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned int a, order;

	for (a = 0; a < bs_buddy_nr_arenas(&bs->buddy); a++) {
		bs_buddy_arena_nr_free(&bs->buddy, a, nr_free);
		seq_printf(m, "Arena %4u ", a);
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			seq_printf(m, " %6lu", nr_free[order]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_buddyinfo);

static void bs_debugfs_index_line(struct seq_file *m, const char *fmt,
				  int (*index)(const unsigned long *nr_free,
					       unsigned int order),
				  const unsigned long *nr_free)
{
	unsigned int order;
	int i;

	for (order = 0; order < BS_BUDDY_NR_ORDERS; order++) {
		i = index(nr_free, order);
		seq_printf(m, fmt, i / 1000, abs(i % 1000));
	}
	seq_putc(m, '\n');
}

/* Per arena, then for the whole region as if it were one zone. */
static int bs_debugfs_index_show(struct seq_file *m, const char *fmt,
				 int (*index)(const unsigned long *nr_free,
					      unsigned int order))
{
	struct buddyslab *bs = m->private;
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned long total[BS_BUDDY_NR_ORDERS] = {};
	unsigned int a, order;

	for (a = 0; a < bs_buddy_nr_arenas(&bs->buddy); a++) {
		bs_buddy_arena_nr_free(&bs->buddy, a, nr_free);
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			total[order] += nr_free[order];
		seq_printf(m, "Arena %4u ", a);
		bs_debugfs_index_line(m, fmt, index, nr_free);
	}
	seq_puts(m, "Region     ");
	bs_debugfs_index_line(m, fmt, index, total);
	return 0;
}

static int bs_debugfs_unusable_index_show(struct seq_file *m, void *unused)
{
	return bs_debugfs_index_show(m, "%d.%03d ", bs_buddy_unusable_index);
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_unusable_index);

static int bs_debugfs_extfrag_index_show(struct seq_file *m, void *unused)
{
	return bs_debugfs_index_show(m, "%2d.%03d ", bs_buddy_extfrag_index);
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_extfrag_index);

/* A walker of the slab caches that prints to a seq_file. */
struct bs_debugfs_slab_walker {
	struct bs_slab_walker walker;
	struct seq_file *m;
};

static struct seq_file *bs_debugfs_walker_file(struct bs_slab_walker *walker)
{
	return container_of(walker, struct bs_debugfs_slab_walker, walker)->m;
}

/* Per cache: slab_<cache>_<counter> value, then its object counts. */
static void bs_debugfs_slab_stats(struct bs_slab_walker *walker,
				  struct bs_slab_cache *cache,
				  const struct bs_slab_cache_stats *stats)
{
	struct seq_file *m = bs_debugfs_walker_file(walker);
	const char *name = bs_slab_cache_name(cache);
	unsigned int c;

	for (c = 0; c < BS_SLAB_NR_COUNTERS; c++)
		seq_printf(m, "slab_%s_%s %lu\n", name,
			   bs_slab_counter_names[c], stats->counters[c]);
	seq_printf(m, "slab_%s_active_objs %lu\n", name, stats->active_objs);
	seq_printf(m, "slab_%s_num_objs %lu\n", name, stats->num_objs);
	seq_printf(m, "slab_%s_magazine_objs %lu\n", name,
		   stats->magazine_objs);
}

/* The /proc/slabinfo format, version 2.1, one line per cache. */
static void bs_debugfs_slabinfo_line(struct bs_slab_walker *walker,
				     struct bs_slab_cache *cache,
				     const struct bs_slab_cache_stats *stats)
{
	struct seq_file *m = bs_debugfs_walker_file(walker);

	seq_printf(m, "%-17s %6lu %6lu %6u %4u %4u", bs_slab_cache_name(cache),
		   stats->active_objs, stats->num_objs,
		   bs_slab_cache_stride(cache),
		   bs_slab_cache_objects_per_slab(cache),
		   bs_slab_cache_slab_pages(cache));
	seq_printf(m, " : tunables %4u %4u %4u", stats->magazine_size,
		   stats->magazine_size, BS_SLAB_DEPOT_MAX);
	seq_printf(m, " : slabdata %6lu %6lu %6lu\n", stats->active_slabs,
		   stats->num_slabs, stats->magazine_objs);
}

static int bs_debugfs_slabinfo_show(struct seq_file *m, void *unused)
{
	struct bs_debugfs_slab_walker walker = {
		.walker.visit = bs_debugfs_slabinfo_line,
		.m = m,
	};
	struct buddyslab *bs = m->private;

	seq_puts(m, "slabinfo - version: 2.1\n");
	seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	return bs_slab_walk_caches(&bs->slab, &walker.walker);
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_slabinfo);

static void bs_debugfs_fit_stats(struct seq_file *m, struct bs_fit *fit)
{
	struct bs_fit_stats stats;
	unsigned int p, c;

	bs_fit_stats(fit, &stats);
	for (p = 0; p < BS_FIT_NR_POLICIES; p++)
		for (c = 0; c < BS_FIT_NR_POLICY_COUNTERS; c++)
			seq_printf(m, "fit_%s_%s %lu\n", bs_fit_policy_names[p],
				   bs_fit_policy_counter_names[c],
				   stats.policy_counters[p][c]);
	for (c = 0; c < BS_FIT_NR_COUNTERS; c++)
		seq_printf(m, "fit_%s %lu\n", bs_fit_counter_names[c],
			   stats.counters[c]);
}

static void bs_debugfs_genpool_stats(struct seq_file *m, struct bs_genpool *gp)
{
	struct bs_genpool_stats stats;
	unsigned int p, c;

	bs_genpool_stats(gp, &stats);
	for (p = 0; p < BS_GENPOOL_NR_POLICIES; p++)
		for (c = 0; c < BS_GENPOOL_NR_POLICY_COUNTERS; c++)
			seq_printf(m, "genpool_%s_%s %lu\n",
				   bs_genpool_policy_names[p],
				   bs_genpool_policy_counter_names[c],
				   stats.policy_counters[p][c]);
	for (c = 0; c < BS_GENPOOL_NR_COUNTERS; c++)
		seq_printf(m, "genpool_%s %lu\n", bs_genpool_counter_names[c],
			   stats.counters[c]);
}

static void bs_debugfs_byte_buddy_stats(struct seq_file *m,
					struct bs_byte_buddy *bb)
{
	struct bs_byte_buddy_stats stats;
	unsigned int c;

	bs_byte_buddy_stats(bb, &stats);
	for (c = 0; c < BS_BYTE_BUDDY_NR_COUNTERS; c++)
		seq_printf(m, "byte_buddy_%s %lu\n",
			   bs_byte_buddy_counter_names[c], stats.counters[c]);
}

/* The free space of a byte-grain allocator, as its view prints it. */
struct bs_debugfs_space {
	unsigned long arenas;
	unsigned long free_blocks;
	unsigned long free_bytes;
	unsigned long largest_free;
	unsigned long used_bytes;
	unsigned long requested_bytes;
	unsigned int extfrag;
};

/* One "name value" per line. */
static void bs_debugfs_space_show(struct seq_file *m,
				  const struct bs_debugfs_space *space)
{
	seq_printf(m, "arenas %lu\n", space->arenas);
	seq_printf(m, "free_blocks %lu\n", space->free_blocks);
	seq_printf(m, "free_bytes %lu\n", space->free_bytes);
	seq_printf(m, "largest_free %lu\n", space->largest_free);
	seq_printf(m, "used_bytes %lu\n", space->used_bytes);
	seq_printf(m, "requested_bytes %lu\n", space->requested_bytes);
	seq_printf(m, "external_fragmentation %u.%03u\n", space->extfrag / 1000,
		   space->extfrag % 1000);
}

static int bs_debugfs_fitinfo_show(struct seq_file *m, void *unused)
{
	struct buddyslab *bs = m->private;
	struct bs_fit_stats stats;

	bs_fit_stats(&bs->fit, &stats);
	bs_debugfs_space_show(m, &(struct bs_debugfs_space) {
		.arenas		= stats.nr_arenas,
		.free_blocks	= stats.nr_free,
		.free_bytes	= stats.free_bytes,
		.largest_free	= stats.largest_free,
		.used_bytes	= stats.used_bytes,
		.requested_bytes = stats.requested_bytes,
		.extfrag	= stats.extfrag,
	});
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_fitinfo);

static int bs_debugfs_genpoolinfo_show(struct seq_file *m, void *unused)
{
	struct buddyslab *bs = m->private;
	struct bs_genpool_stats stats;

	bs_genpool_stats(&bs->genpool, &stats);
	bs_debugfs_space_show(m, &(struct bs_debugfs_space) {
		.arenas		= stats.nr_arenas,
		.free_blocks	= stats.nr_free,
		.free_bytes	= stats.free_bytes,
		.largest_free	= stats.largest_free,
		.used_bytes	= stats.used_bytes,
		.requested_bytes = stats.requested_bytes,
		.extfrag	= stats.extfrag,
	});
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_genpoolinfo);

/* As fitinfo, then the free blocks of each size, smallest first. */
static int bs_debugfs_byte_buddyinfo_show(struct seq_file *m, void *unused)
{
	struct buddyslab *bs = m->private;
	struct bs_byte_buddy_stats *stats;
	unsigned int order;

	/* Too large for the stack with its per-order counts. */
	stats = bs_fault() ? NULL : kmalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	bs_byte_buddy_stats(&bs->byte_buddy, stats);
	bs_debugfs_space_show(m, &(struct bs_debugfs_space) {
		.arenas		= stats->nr_arenas,
		.free_blocks	= stats->nr_free,
		.free_bytes	= stats->free_bytes,
		.largest_free	= stats->largest_free,
		.used_bytes	= stats->used_bytes,
		.requested_bytes = stats->requested_bytes,
		.extfrag	= stats->extfrag,
	});
	seq_puts(m, "free_blocks_by_size");
	for (order = 0; order < BS_BYTE_BUDDY_ORDERS; order++)
		seq_printf(m, " %lu:%lu", (unsigned long)BS_BYTE_BUDDY_GRAIN << order,
			   stats->nr_free_order[order]);
	seq_putc(m, '\n');
	kfree(stats);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_byte_buddyinfo);

static int bs_debugfs_stats_show(struct seq_file *m, void *unused)
{
	struct bs_debugfs_slab_walker walker = {
		.walker.visit = bs_debugfs_slab_stats,
		.m = m,
	};
	struct buddyslab *bs = m->private;
	struct bs_buddy_stats *stats;
	unsigned int c, order;

	stats = bs_fault() ? NULL : kmalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	bs_buddy_stats(&bs->buddy, stats);

	seq_printf(m, "buddy_free_pages %lu\n", stats->free_pages);
	seq_printf(m, "buddy_cached_pages %lu\n", stats->cached_pages);
	seq_printf(m, "buddy_used_pages %lu\n", stats->used_pages);
	seq_printf(m, "buddy_metadata_bytes %lu\n", stats->metadata_bytes);
	for (c = 0; c < BS_BUDDY_NR_COUNTERS; c++)
		seq_printf(m, "buddy_%s %lu\n", bs_buddy_counter_names[c],
			   stats->counters.event[c]);
	for (c = 0; c < BS_BUDDY_NR_ORDER_COUNTERS; c++)
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			seq_printf(m, "buddy_%s_order%u %lu\n",
				   bs_buddy_order_counter_names[c], order,
				   stats->counters.order[c][order]);
	kfree(stats);
	bs_debugfs_fit_stats(m, &bs->fit);
	bs_debugfs_genpool_stats(m, &bs->genpool);
	bs_debugfs_byte_buddy_stats(m, &bs->byte_buddy);
	return bs_slab_walk_caches(&bs->slab, &walker.walker);
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_stats);

/*
 * What the map prints for each enum bs_buddy_page_kind. An arena, one whole
 * block of the top order, prints as the letter of its byte-grain allocator.
 */
static const char bs_debugfs_map_chars[BS_BUDDY_NR_PAGE_KINDS] = {
	[BS_BUDDY_PAGE_FREE]				= '.',
	[BS_BUDDY_PAGE_CACHED]				= ',',
	[BS_BUDDY_PAGE_USED + BS_BUDDY_TAG_DIRECT]	= 'B',
	[BS_BUDDY_PAGE_USED + BS_BUDDY_TAG_SLAB]	= 'S',
	[BS_BUDDY_PAGE_USED + BS_BUDDY_TAG_LARGE]	= 'S',
};

/* The letter of the byte-grain allocator that holds arena @a. */
static char bs_debugfs_arena_char(struct buddyslab *bs, unsigned int a)
{
	unsigned long pgoff = (unsigned long)a * BS_ARENA_PAGES;

	if (bs_genpool_owns(&bs->genpool, pgoff))
		return 'G';
	if (bs_byte_buddy_owns(&bs->byte_buddy, pgoff))
		return 'Y';
	return 'F';
}

static int bs_debugfs_map_show(struct seq_file *m, void *unused)
{
	struct buddyslab *bs = m->private;
	unsigned int a;
	unsigned long i;
	u8 *kind;

	kind = bs_fault() ? NULL : kmalloc(BS_ARENA_PAGES, GFP_KERNEL);
	if (!kind)
		return -ENOMEM;
	for (a = 0; a < bs_buddy_nr_arenas(&bs->buddy); a++) {
		bs_buddy_arena_map(&bs->buddy, a, kind);
		if (kind[0] == BS_BUDDY_PAGE_USED + BS_BUDDY_TAG_ARENA)
			memset(kind, bs_debugfs_arena_char(bs, a), BS_ARENA_PAGES);
		else
			for (i = 0; i < BS_ARENA_PAGES; i++)
				kind[i] = bs_debugfs_map_chars[kind[i]];
		seq_printf(m, "%4u ", a);
		seq_write(m, kind, BS_ARENA_PAGES);
		seq_putc(m, '\n');
	}
	kfree(kind);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_map);

static const char *const bs_debugfs_allocator_names[] = {
	[BS_ALLOCATOR_BUDDY]	= "buddy",
	[BS_ALLOCATOR_SLAB]	= "slab",
	[BS_ALLOCATOR_FIT]	= "fit",
	[BS_ALLOCATOR_GENPOOL]	= "genpool",
	[BS_ALLOCATOR_BYTE_BUDDY] = "byte_buddy",
};
static_assert(ARRAY_SIZE(bs_debugfs_allocator_names) == BS_NR_ALLOCATORS);

static ssize_t bs_debugfs_validate_read(struct file *file, char __user *ubuf,
					size_t count, loff_t *ppos)
{
	struct buddyslab *bs = file->private_data;
	char buf[256];
	int len = 0;
	unsigned int a;

	mutex_lock(&bs->validate_lock);
	if (!bs->validated)
		len = scnprintf(buf, sizeof(buf), "not run: write 1 to run\n");
	for (a = 0; a < BS_NR_ALLOCATORS && bs->validated; a++) {
		if (bs->validate_result[a])
			len += scnprintf(buf + len, sizeof(buf) - len,
					 "%s: corrupt (%d), see the kernel log\n",
					 bs_debugfs_allocator_names[a],
					 bs->validate_result[a]);
		else
			len += scnprintf(buf + len, sizeof(buf) - len, "%s: ok\n",
					 bs_debugfs_allocator_names[a]);
	}
	mutex_unlock(&bs->validate_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t bs_debugfs_validate_write(struct file *file,
					 const char __user *ubuf,
					 size_t count, loff_t *ppos)
{
	struct buddyslab *bs = file->private_data;
	int result[BS_NR_ALLOCATORS];
	unsigned int a;
	bool run;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &run);
	if (ret)
		return ret;
	if (!run)
		return -EINVAL;

	/* The slab first: its drained magazines and slabs go to the buddy. */
	result[BS_ALLOCATOR_SLAB] = bs_slab_validate(&bs->slab);
	result[BS_ALLOCATOR_FIT] = bs_fit_validate(&bs->fit);
	result[BS_ALLOCATOR_GENPOOL] = bs_genpool_validate(&bs->genpool);
	result[BS_ALLOCATOR_BYTE_BUDDY] = bs_byte_buddy_validate(&bs->byte_buddy);
	result[BS_ALLOCATOR_BUDDY] = bs_buddy_validate(&bs->buddy);
	/* A check that could not run says nothing: the last result stands. */
	for (a = 0; a < BS_NR_ALLOCATORS; a++)
		if (result[a] == -ENOMEM)
			return -ENOMEM;
	mutex_lock(&bs->validate_lock);
	memcpy(bs->validate_result, result, sizeof(result));
	bs->validated = true;
	mutex_unlock(&bs->validate_lock);
	return count;
}

static int bs_debugfs_users_show(struct seq_file *m, void *unused)
{
	bs_chardev_users_show(m->private, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_users);

static const struct file_operations bs_debugfs_validate_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= bs_debugfs_validate_read,
	.write	= bs_debugfs_validate_write,
	.llseek	= default_llseek,
};

/**
 * bs_debugfs_init() - publish an instance's views in debugfs
 * @bs:	the instance, fully set up
 *
 * Failures are not errors: debugfs is an aid, and the module works without it.
 */
void bs_debugfs_init(struct buddyslab *bs)
{
	static const struct {
		const char *name;
		umode_t mode;
		const struct file_operations *fops;
	} views[] = {
		{ "buddyinfo", 0444, &bs_debugfs_buddyinfo_fops },
		{ "unusable_index", 0444, &bs_debugfs_unusable_index_fops },
		{ "extfrag_index", 0444, &bs_debugfs_extfrag_index_fops },
		{ "slabinfo", 0444, &bs_debugfs_slabinfo_fops },
		{ "fitinfo", 0444, &bs_debugfs_fitinfo_fops },
		{ "genpoolinfo", 0444, &bs_debugfs_genpoolinfo_fops },
		{ "byte_buddyinfo", 0444, &bs_debugfs_byte_buddyinfo_fops },
		{ "stats", 0444, &bs_debugfs_stats_fops },
		{ "map", 0444, &bs_debugfs_map_fops },
		{ "users", 0444, &bs_debugfs_users_fops },
		/* Written to, to run the checkers: root's alone. */
		{ "validate", 0600, &bs_debugfs_validate_fops },
	};
	unsigned int i;

	bs->debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	bs_fault_debugfs_init(bs->debugfs);
	for (i = 0; i < ARRAY_SIZE(views); i++)
		debugfs_create_file(views[i].name, views[i].mode, bs->debugfs,
				    bs, views[i].fops);
}

/**
 * bs_debugfs_fini() - remove an instance's views
 * @bs:	the instance; its views are gone, and no reader is left inside
 *	them, when this returns
 */
void bs_debugfs_fini(struct buddyslab *bs)
{
	debugfs_remove_recursive(bs->debugfs);
}
