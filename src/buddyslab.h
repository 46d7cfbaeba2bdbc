/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BUDDYSLAB_H
#define _BUDDYSLAB_H

#include <linux/miscdevice.h>
#include <linux/mutex.h>

#include "buddy.h"
#include "region.h"

/**
 * struct buddyslab - one instance of the module: memory, allocators, views
 * @region:		the physical memory; immutable once set up
 * @buddy:		the buddy allocator over @region; locks of its own
 * @misc:		/dev/buddyslab
 * @debugfs:		/sys/kernel/debug/buddyslab
 * @validate_lock:	protects @validate_result
 * @validate_result:	what the last debugfs validate run returned, or 1
 *			before the first run
 */
struct buddyslab {
	struct bs_region region;
	struct bs_buddy buddy;
	struct miscdevice misc;
	struct dentry *debugfs;
	struct mutex validate_lock;
	int validate_result;
};

int bs_chardev_register(struct buddyslab *bs);
void bs_chardev_unregister(struct buddyslab *bs);
void bs_debugfs_init(struct buddyslab *bs);
void bs_debugfs_fini(struct buddyslab *bs);

#endif /* _BUDDYSLAB_H */
