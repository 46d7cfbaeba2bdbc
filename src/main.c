// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab: an allocator laboratory on real physical memory.
 *
 * Module entry and exit. Loading checks the parameters, takes the region
 * from the page allocator, sets up the buddy allocator over it and the slab,
 * fit, genpool and byte buddy allocators over the buddy, then publishes the debugfs views and,
 * last, /dev/buddyslab, so nothing can reach an instance that is not whole.
 * Unloading goes in reverse; the module cannot be unloaded while the device
 * is open, so by then every allocation has been freed and every page of the
 * region goes back to the kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sizes.h>

#include "buddyslab.h"

static unsigned int region_mb = 16;
module_param(region_mb, uint, 0444);
MODULE_PARM_DESC(region_mb,
		 "Size of the managed region in MiB: a multiple of the largest page block (4 MiB on x86-64), at most half of RAM (default 16)");

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Permissions of /dev/buddyslab, 0 to 0777 (default 0600)");

static ulong max_bytes_per_file;
module_param(max_bytes_per_file, ulong, 0444);
MODULE_PARM_DESC(max_bytes_per_file,
		 "Most bytes one open file of /dev/buddyslab may hold, at most the region (default half of it)");

static ulong max_bytes_per_user;
module_param(max_bytes_per_user, ulong, 0444);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Most bytes the open files of one user may hold together, at most the region (default half of it); CAP_SYS_ADMIN is exempt");

static uint max_allocs_per_user = 65536;
module_param(max_allocs_per_user, uint, 0444);
MODULE_PARM_DESC(max_allocs_per_user,
		 "Most allocations the open files of one user may hold together, at least 1 (default 65536); CAP_SYS_ADMIN is exempt");

static uint max_caches = 256;
module_param(max_caches, uint, 0444);
MODULE_PARM_DESC(max_caches,
		 "Most slab caches all open files may create together (default 256; 64 per file)");

static bool slab_debug;
module_param(slab_debug, bool, 0444);
MODULE_PARM_DESC(slab_debug,
		 "Red zones and poisoning in the slab size classes (default off)");

static struct buddyslab buddyslab;

/* A limit in region bytes: at most the region (0 stands for half of it). */
static int __init buddyslab_check_bytes(const char *name, unsigned long bytes)
{
	const u64 region = (u64)region_mb * SZ_1M;

	if (bytes <= region)
		return 0;
	pr_err("%s=%lu refused: at most the region, %llu bytes (0 for half of it)\n",
	       name, bytes, region);
	return -EINVAL;
}

/* The parameters the region does not check: refused before it is taken. */
static int __init buddyslab_check_params(void)
{
	if (dev_mode & ~0777) {
		pr_err("dev_mode=%#o refused: permission bits 0 to 0777 only\n",
		       dev_mode);
		return -EINVAL;
	}
	if (buddyslab_check_bytes("max_bytes_per_file", max_bytes_per_file) ||
	    buddyslab_check_bytes("max_bytes_per_user", max_bytes_per_user))
		return -EINVAL;
	if (!max_allocs_per_user) {
		pr_err("max_allocs_per_user=0 refused: at least 1\n");
		return -EINVAL;
	}
	return 0;
}

static int __init buddyslab_init(void)
{
	struct buddyslab *bs = &buddyslab;
	int ret;

	ret = buddyslab_check_params();
	if (ret)
		return ret;
	ret = bs_region_init(&bs->region, (u64)region_mb * SZ_1M);
	if (ret)
		return ret;
	bs->dev_mode = dev_mode;
	bs->max_bytes_per_file = max_bytes_per_file ?:
				 bs_region_bytes(&bs->region) / 2;
	bs->max_bytes_per_user = max_bytes_per_user ?:
				 bs_region_bytes(&bs->region) / 2;
	bs->max_allocs_per_user = max_allocs_per_user;
	bs->max_caches = max_caches;
	ret = bs_buddy_init(&bs->buddy, &bs->region);
	if (ret)
		goto err_region;
	ret = bs_slab_init(&bs->slab, &bs->buddy,
			   slab_debug ? BS_SLAB_REDZONE | BS_SLAB_POISON : 0);
	if (ret)
		goto err_buddy;
	bs_fit_init(&bs->fit, &bs->buddy);
	bs_genpool_init(&bs->genpool, &bs->buddy);
	bs_byte_buddy_init(&bs->byte_buddy, &bs->buddy);
	mutex_init(&bs->validate_lock);
	mutex_init(&bs->users_lock);
	xa_init(&bs->users);
	bs_debugfs_init(bs);
	ret = bs_chardev_register(bs);
	if (ret)
		goto err_debugfs;

	pr_info("managing %u MiB as %u arenas of order %u\n", region_mb,
		bs_buddy_nr_arenas(&bs->buddy), BS_BUDDY_MAX_ORDER);
	return 0;

err_debugfs:
	bs_debugfs_fini(bs);
	bs_byte_buddy_fini(&bs->byte_buddy);
	bs_genpool_fini(&bs->genpool);
	bs_fit_fini(&bs->fit);
	bs_slab_fini(&bs->slab);
err_buddy:
	bs_buddy_fini(&bs->buddy);
err_region:
	bs_region_fini(&bs->region);
	return ret;
}

static void __exit buddyslab_exit(void)
{
	struct buddyslab *bs = &buddyslab;

	bs_chardev_unregister(bs);
	bs_debugfs_fini(bs);
	bs_byte_buddy_fini(&bs->byte_buddy);
	bs_genpool_fini(&bs->genpool);
	bs_fit_fini(&bs->fit);
	bs_slab_fini(&bs->slab);
	bs_buddy_fini(&bs->buddy);
	bs_region_fini(&bs->region);
}

module_init(buddyslab_init);
module_exit(buddyslab_exit);

MODULE_DESCRIPTION("Buddy, slab, sequential-fit, genpool and byte buddy allocators on a reserved physical region");
MODULE_AUTHOR("The buddyslab developers");
MODULE_VERSION(BUDDYSLAB_VERSION);
MODULE_LICENSE("GPL");
