// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab debugfs: read-only views of the allocators, and a trigger for
 * their consistency checks, in /sys/kernel/debug/buddyslab/.
 *
 *   buddyinfo	free blocks per order, one line per arena, like /proc/buddyinfo
 *   validate	write 1 to check every allocator's invariants; read the result
 *
 * The views take the allocators' own locks one arena at a time, so each line
 * is consistent in itself while allocations go on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>

#include "buddyslab.h"

static int bs_debugfs_buddyinfo_show(struct seq_file *m, void *unused)
{
	struct buddyslab *bs = m->private;
	unsigned long nr_free[BS_BUDDY_NR_ORDERS];
	unsigned int a, order;

	for (a = 0; a < bs->buddy.nr_arenas; a++) {
		bs_buddy_arena_nr_free(&bs->buddy, a, nr_free);
		seq_printf(m, "Arena %4u ", a);
		for (order = 0; order < BS_BUDDY_NR_ORDERS; order++)
			seq_printf(m, " %6lu", nr_free[order]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bs_debugfs_buddyinfo);

static ssize_t bs_debugfs_validate_read(struct file *file, char __user *ubuf,
					size_t count, loff_t *ppos)
{
	struct buddyslab *bs = file->private_data;
	char buf[64];
	int len, result;

	mutex_lock(&bs->validate_lock);
	result = bs->validate_result;
	mutex_unlock(&bs->validate_lock);

	if (result > 0)
		len = scnprintf(buf, sizeof(buf), "not run: write 1 to run\n");
	else if (!result)
		len = scnprintf(buf, sizeof(buf), "buddy: ok\n");
	else
		len = scnprintf(buf, sizeof(buf),
				"buddy: corrupt (%d), see the kernel log\n",
				result);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t bs_debugfs_validate_write(struct file *file,
					 const char __user *ubuf,
					 size_t count, loff_t *ppos)
{
	struct buddyslab *bs = file->private_data;
	bool run;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &run);
	if (ret)
		return ret;
	if (!run)
		return -EINVAL;

	mutex_lock(&bs->validate_lock);
	bs->validate_result = bs_buddy_validate(&bs->buddy);
	mutex_unlock(&bs->validate_lock);
	return count;
}

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
	bs->debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("buddyinfo", 0444, bs->debugfs, bs,
			    &bs_debugfs_buddyinfo_fops);
	debugfs_create_file("validate", 0600, bs->debugfs, bs,
			    &bs_debugfs_validate_fops);
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
