/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab: the instance, one per module, that main.c sets up and tears
 * down, holding every allocator over its region, and what the layers at
 * the top (chardev.c, debugfs.c, abi.c) export to each other and to
 * main.c. The allocators below never include it: data flows down.
 */
#ifndef _BUDDYSLAB_H
#define _BUDDYSLAB_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "buddy.h"
#include "byte_buddy.h"
#include "fault.h"
#include "fit.h"
#include "genpool.h"
#include "region.h"
#include "slab.h"

struct buddyslab_info;
struct buddyslab_stats;
struct seq_file;

/* The allocators, as debugfs validate names them. */
enum bs_allocator {
	BS_ALLOCATOR_BUDDY,
	BS_ALLOCATOR_SLAB,
	BS_ALLOCATOR_FIT,
	BS_ALLOCATOR_GENPOOL,
	BS_ALLOCATOR_BYTE_BUDDY,
	BS_NR_ALLOCATORS,
};

/**
 * struct buddyslab - one instance of the module: memory, allocators, views
 * @region:		the physical memory; immutable once set up
 * @buddy:		the buddy allocator over @region; locks of its own
 * @slab:		the slab allocator over @buddy; locks of its own
 * @fit:		the sequential-fit allocators over @buddy; a lock of
 *			their own
 * @genpool:		the kernel's genalloc over @buddy; a lock of its own
 * @byte_buddy:		the binary buddy at 16-byte grain over @buddy; a lock
 *			of its own
 * @dev_mode:		permissions of /dev/buddyslab; immutable
 * @max_bytes_per_file:	quota of one open file; immutable
 * @max_bytes_per_user:	quota of one user's open files; immutable
 * @max_allocs_per_user: allocations one user's open files may hold;
 *			immutable
 * @max_caches:		caches all open files may create; immutable
 * @nr_caches:		caches open files created; atomic, below @max_caches
 * @users_lock:		protects @users
 * @users:		uid -> what the user's open files hold, for each
 *			user with an open file
 * @misc:		/dev/buddyslab
 * @debugfs:		/sys/kernel/debug/buddyslab
 * @validate_lock:	protects @validated and @validate_result
 * @validated:		whether debugfs validate has run
 * @validate_result:	per enum bs_allocator, what its last check returned
 */
struct buddyslab {
	struct bs_region region;
	struct bs_buddy buddy;
	struct bs_slab slab;
	struct bs_fit fit;
	struct bs_genpool genpool;
	struct bs_byte_buddy byte_buddy;
	umode_t dev_mode;
	u64 max_bytes_per_file;
	u64 max_bytes_per_user;
	u64 max_allocs_per_user;
	unsigned int max_caches;
	atomic_t nr_caches;
	struct mutex users_lock;
	struct xarray users;
	struct miscdevice misc;
	struct dentry *debugfs;
	struct mutex validate_lock;
	bool validated;
	int validate_result[BS_NR_ALLOCATORS];
};

void bs_abi_info(struct buddyslab *bs, struct buddyslab_info *info);
int bs_abi_stats(struct buddyslab *bs, struct buddyslab_stats *out);
int bs_abi_fit_policy(u32 policy);
int bs_abi_genpool_policy(u32 policy);
int bs_chardev_register(struct buddyslab *bs);
void bs_chardev_unregister(struct buddyslab *bs);
void bs_chardev_users_show(struct buddyslab *bs, struct seq_file *m);
void bs_debugfs_init(struct buddyslab *bs);
void bs_debugfs_fini(struct buddyslab *bs);

#endif /* _BUDDYSLAB_H */
