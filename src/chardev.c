// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab chardev: /dev/buddyslab, the allocators' door to userspace.
 *
 * Each open file has its own allocations and slab caches. Allocations are
 * in an xarray from handle to record, and in an rbtree by their offset in
 * the device's linear space (for pread, pwrite and mmap); caches in an
 * xarray from cache id to cache. Handles and cache ids are small integers
 * handed out cyclically from 1, so a stale one is not soon reused: a double
 * free finds nothing and gets -ENOENT, and another file's handle or cache
 * is simply not in this file's tables. Closing the file frees everything
 * it still holds, allocations first, then caches.
 *
 * What clients hold is bounded, so that opening more files buys nothing:
 * - region bytes, per file (max_bytes_per_file) and per user, over all the
 *   files its tasks opened (max_bytes_per_user): -EDQUOT beyond. A buddy,
 *   size-class or fit allocation is charged what it was granted; a cache
 *   of the file is charged the slab pages it holds, whatever its objects'
 *   size, and an allocation from it that finds no free object needs room
 *   for one more slab;
 * - allocations per user (max_allocs_per_user), for each costs a record
 *   of kernel memory however small it is: -EDQUOT beyond;
 * - caches: BS_CHARDEV_MAX_CACHES per file (-EDQUOT) and max_caches over
 *   all files (-ENOSPC).
 * A file opened with CAP_SYS_ADMIN is exempt from the per-user limits, as
 * from the kernel's own resource limits. The user of a file is the real
 * uid of its opener. Every kernel allocation made for a client (its file,
 * records, table slots, caches) is charged to its memory cgroup.
 *
 * A request is checked in full, quotas included, before any allocator is
 * asked, so a bad one leaves no trace. (One exception: when a file's cache
 * has free objects only in the CPUs' magazines and one more slab would not
 * fit the quota, they go back to the slabs first, where an allocation is
 * sure to find them.) Memory handed to a client is always cleared first,
 * so no client ever sees what another one left behind.
 *
 * The three allocators are one table, by BUDDYSLAB_ALLOC_*: what one
 * would grant a request (worked out without asking it, for the quotas),
 * how to reserve it and how to give it back. The rest of the device never
 * tells them apart.
 *
 * ioctls are dispatched on _IOC_NR through a table of handlers, as
 * drm_ioctl() does. The argument is copied into a kernel buffer of the
 * driver's structure size by copy_struct_from_user(): a smaller structure
 * from an older client must still hold the first published version of the
 * structure; a larger one from a newer client is accepted only if every
 * byte past the driver's size is zero (-E2BIG otherwise), so a client never
 * silently loses a field it set. What is written back stops at the smaller
 * of the two sizes. INFO and STATS are filled in by abi.c, the one place
 * that turns the allocators' figures into the ABI's structures.
 *
 * mmap maps a page-aligned, page-sized allocation of this file, shared,
 * from its start and no longer than it; each mapping counts on its
 * allocation, which cannot be freed (-EBUSY) while one remains. Since every
 * mapping holds the file, closing it comes after the last is gone.
 *
 * pread and pwrite copy between user memory and an allocation that they
 * pin first: FREE refuses a pinned allocation (-EBUSY), as it does a
 * mapped one, so the memory stays the allocation's until the copy is done.
 *
 * Locking: a file's mutex covers its tables, its quota and its allocations'
 * records; a user's spinlock, taken under it, the user's totals; the
 * users_lock of the instance, the table of users. The allocators do their
 * own locking underneath, and take nothing of the device's. ->mmap takes the mutex under the mmap_lock, so nothing
 * may touch user memory with the mutex held: a fault there may wait for the
 * mmap_lock, and a thread of the same process waiting in ->mmap for the
 * mutex would wait for good. So the ioctls copy their arguments and a
 * batch's operations in and out with no lock held, and pread and pwrite
 * take the mutex only to find and pin their allocation, and copy without
 * it. A pin is dropped without the mutex; the file cannot be released
 * meanwhile, since the syscall holds it. Many processes and threads may
 * use the device, and one file, at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/rbtree.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <uapi/buddyslab.h>

#include "buddyslab.h"

#define BS_CHARDEV_MAX_CACHES	64

/**
 * struct bs_chardev_user - what the open files of one user hold together
 * @uid:	the user; immutable
 * @files:	its open files; under the instance's users_lock
 * @lock:	protects @bytes and @allocs, which all its files change
 * @bytes:	region bytes charged, against max_bytes_per_user
 * @allocs:	allocations held, against max_allocs_per_user
 */
struct bs_chardev_user {
	kuid_t uid;
	unsigned int files;
	spinlock_t lock;
	u64 bytes;
	u64 allocs;
};

/**
 * struct bs_chardev_cache - a slab cache a file created
 * @cache:	the cache; immutable
 * @charged:	region bytes charged for it: its slab pages when last looked
 *		at; under the file's lock
 */
struct bs_chardev_cache {
	struct bs_slab_cache *cache;
	u64 charged;
};

/**
 * struct bs_chardev_file - what one open file of /dev/buddyslab holds
 * @bs:		the instance the file belongs to; immutable
 * @user:	its opener's totals; immutable
 * @exempt:	opened with CAP_SYS_ADMIN: the per-user limits do not apply;
 *		immutable
 * @lock:	protects everything below
 * @allocs:	handle -> struct bs_chardev_alloc
 * @next_handle: cursor of the cyclic handle allocation
 * @by_offset:	the allocations by offset
 * @caches:	cache id -> struct bs_chardev_cache
 * @next_cache_id: cursor of the cyclic cache id allocation
 * @nr_caches:	caches in @caches
 * @bytes:	region bytes charged to the allocations and caches, against
 *		max_bytes_per_file
 */
struct bs_chardev_file {
	struct buddyslab *bs;
	struct bs_chardev_user *user;
	bool exempt;
	struct mutex lock;
	struct xarray allocs;
	u32 next_handle;
	struct rb_root by_offset;
	struct xarray caches;
	u32 next_cache_id;
	unsigned int nr_caches;
	u64 bytes;
};

struct bs_chardev_allocator;

/**
 * struct bs_chardev_alloc - one allocation made through the device
 * @node:	in the file's by_offset; under the file's lock
 * @allocator:	what serves it, from BUDDYSLAB_ALLOC_*; this and the fields
 *		up to @charged are set before the record is in the file's
 *		tables, and immutable
 * @cache:	for a slab allocation from a cache of the file, the cache
 * @mem:	its kernel address; never shown to userspace
 * @offset:	its offset in the device's linear space
 * @granted:	bytes reserved
 * @charged:	bytes charged to the quotas: @granted, or 0 from a cache of
 *		the file (the cache is charged)
 * @mapped:	live mappings of it; changed by mmap under the file's lock
 *		and by its mappings' open and close
 * @pinned:	pread and pwrite copies of it under way; taken under the
 *		file's lock, dropped without it
 *
 * FREE frees it, under the file's lock, only while neither count is above
 * 0; else it lives until the file is released.
 */
struct bs_chardev_alloc {
	struct rb_node node;
	const struct bs_chardev_allocator *allocator;
	struct bs_chardev_cache *cache;
	void *mem;
	u64 offset;
	u64 granted;
	u64 charged;
	atomic_t mapped;
	atomic_t pinned;
};

/**
 * struct bs_chardev_allocator - how the device uses one allocator
 * @granted:	checks the fields of a request that only this allocator
 *		reads, asking it nothing, and sets what it would grant
 *		(@alloc's granted, and cache for a cache of the file):
 *		0, -EINVAL for a request it cannot take, or -ENOENT for an
 *		unknown cache
 * @reserve:	reserves a checked request; sets @granted to what the
 *		allocator itself says it reserved. Returns the memory, or
 *		NULL
 * @unreserve:	gives an allocation's memory back: 0, or the allocator's
 *		refusal
 */
struct bs_chardev_allocator {
	int (*granted)(struct bs_chardev_file *bf,
		       const struct buddyslab_alloc *req,
		       struct bs_chardev_alloc *alloc);
	void *(*reserve)(struct buddyslab *bs, const struct buddyslab_alloc *req,
			 const struct bs_chardev_alloc *alloc, size_t *granted);
	int (*unreserve)(struct buddyslab *bs,
			 const struct bs_chardev_alloc *alloc);
};

/* ---- Users and quotas ---------------------------------------------------- */

/* The totals of @uid, made on its first open file. */
static struct bs_chardev_user *bs_chardev_user_get(struct buddyslab *bs,
						   kuid_t uid)
{
	struct bs_chardev_user *user;
	int ret;

	mutex_lock(&bs->users_lock);
	user = xa_load(&bs->users, __kuid_val(uid));
	if (user) {
		user->files++;
		goto out;
	}
	user = bs_fault() ? NULL : kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
	if (!user) {
		user = ERR_PTR(-ENOMEM);
		goto out;
	}
	user->uid = uid;
	user->files = 1;
	spin_lock_init(&user->lock);
	ret = bs_fault() ? -ENOMEM :
	      xa_insert(&bs->users, __kuid_val(uid), user, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(user);
		user = ERR_PTR(ret);
	}
out:
	mutex_unlock(&bs->users_lock);
	return user;
}

/* A file of @user is gone; its allocations and caches are gone before. */
static void bs_chardev_user_put(struct buddyslab *bs,
				struct bs_chardev_user *user)
{
	mutex_lock(&bs->users_lock);
	if (!--user->files) {
		WARN_ON(user->bytes || user->allocs);
		xa_erase(&bs->users, __kuid_val(user->uid));
		kfree(user);
	}
	mutex_unlock(&bs->users_lock);
}

/*
 * Charge @bytes and @allocs to the file and its user if every quota lets
 * them: 0, or -EDQUOT and nothing charged.
 */
static int bs_chardev_charge(struct bs_chardev_file *bf, u64 bytes, u64 allocs)
{
	const struct buddyslab *bs = bf->bs;
	struct bs_chardev_user *user = bf->user;
	int ret = 0;

	lockdep_assert_held(&bf->lock);

	if (bf->bytes + bytes > bs->max_bytes_per_file)
		return -EDQUOT;
	spin_lock(&user->lock);
	if (!bf->exempt &&
	    (user->bytes + bytes > bs->max_bytes_per_user ||
	     user->allocs + allocs > bs->max_allocs_per_user)) {
		ret = -EDQUOT;
	} else {
		user->bytes += bytes;
		user->allocs += allocs;
	}
	spin_unlock(&user->lock);
	if (!ret)
		bf->bytes += bytes;
	return ret;
}

/* Take back what bs_chardev_charge() charged. */
static void bs_chardev_uncharge(struct bs_chardev_file *bf, u64 bytes,
				u64 allocs)
{
	struct bs_chardev_user *user = bf->user;

	lockdep_assert_held(&bf->lock);

	bf->bytes -= bytes;
	spin_lock(&user->lock);
	user->bytes -= bytes;
	user->allocs -= allocs;
	spin_unlock(&user->lock);
}

/*
 * Charge a cache of the file what its slabs hold now, whatever it was
 * charged before: an allocation or a free changed it, or the buddy took
 * back empty slabs (then the charge only falls). Returns the free objects
 * in its slabs.
 */
static unsigned long bs_chardev_cache_recharge(struct bs_chardev_file *bf,
					       struct bs_chardev_cache *c)
{
	unsigned long free_objs;
	u64 bytes;

	lockdep_assert_held(&bf->lock);

	bytes = (u64)bs_slab_cache_pages(c->cache, &free_objs) << PAGE_SHIFT;
	if (bytes > c->charged) {
		/* Not checked: the room was charged before the allocation. */
		spin_lock(&bf->user->lock);
		bf->user->bytes += bytes - c->charged;
		spin_unlock(&bf->user->lock);
		bf->bytes += bytes - c->charged;
	} else {
		bs_chardev_uncharge(bf, c->charged - bytes, 0);
	}
	c->charged = bytes;
	return free_objs;
}

/*
 * The room an allocation from a cache of the file needs in the quotas: none
 * if a slab has a free object, else a slab's bytes. Magazines are emptied
 * into the slabs first if a slab would not fit, since an allocation on
 * another CPU than theirs would not find their objects.
 */
static u64 bs_chardev_cache_room(struct bs_chardev_file *bf,
				 struct bs_chardev_cache *c)
{
	const u64 slab_bytes =
		(u64)bs_slab_cache_slab_pages(c->cache) << PAGE_SHIFT;

	lockdep_assert_held(&bf->lock);

	if (bs_chardev_cache_recharge(bf, c))
		return 0;
	if (!bs_chardev_charge(bf, slab_bytes, 0)) {
		bs_chardev_uncharge(bf, slab_bytes, 0);
		return slab_bytes;
	}
	bs_slab_cache_shrink(c->cache);
	return bs_chardev_cache_recharge(bf, c) ? 0 : slab_bytes;
}

/* ---- Files ---------------------------------------------------------------- */

static int bs_chardev_open(struct inode *inode, struct file *file)
{
	struct buddyslab *bs = container_of(file->private_data,
					    struct buddyslab, misc);
	struct bs_chardev_file *bf;

	bf = bs_fault() ? NULL : kzalloc(sizeof(*bf), GFP_KERNEL_ACCOUNT);
	if (!bf)
		return -ENOMEM;
	bf->user = bs_chardev_user_get(bs, file->f_cred->uid);
	if (IS_ERR(bf->user)) {
		kfree(bf);
		return -ENOMEM;
	}
	bf->exempt = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	bf->bs = bs;
	mutex_init(&bf->lock);
	xa_init_flags(&bf->allocs, XA_FLAGS_ALLOC1);
	xa_init_flags(&bf->caches, XA_FLAGS_ALLOC1);
	bf->by_offset = RB_ROOT;
	file->private_data = bf;
	return 0;
}

/* The allocation of the file that holds byte @offset, or NULL. */
static struct bs_chardev_alloc *bs_chardev_find(struct bs_chardev_file *bf,
						u64 offset)
{
	struct rb_node *node = bf->by_offset.rb_node;
	struct bs_chardev_alloc *alloc;

	lockdep_assert_held(&bf->lock);

	while (node) {
		alloc = rb_entry(node, struct bs_chardev_alloc, node);
		if (offset < alloc->offset)
			node = node->rb_left;
		else if (offset - alloc->offset >= alloc->granted)
			node = node->rb_right;
		else
			return alloc;
	}
	return NULL;
}

static void bs_chardev_index(struct bs_chardev_file *bf,
			     struct bs_chardev_alloc *alloc)
{
	struct rb_node **link = &bf->by_offset.rb_node, *parent = NULL;

	lockdep_assert_held(&bf->lock);

	while (*link) {
		parent = *link;
		link = alloc->offset < rb_entry(parent, struct bs_chardev_alloc,
						node)->offset ?
		       &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&alloc->node, parent, link);
	rb_insert_color(&alloc->node, &bf->by_offset);
}

/* Drop a record the file's tables no longer hold, and its memory. */
static void bs_chardev_release_alloc(struct bs_chardev_file *bf,
				     struct bs_chardev_alloc *alloc)
{
	lockdep_assert_held(&bf->lock);

	rb_erase(&alloc->node, &bf->by_offset);
	WARN_ON(alloc->allocator->unreserve(bf->bs, alloc));
	bs_chardev_uncharge(bf, alloc->charged, 1);
	if (alloc->cache)
		bs_chardev_cache_recharge(bf, alloc->cache);
	kfree(alloc);
}

/*
 * Destroy a cache of the file, and drop what it was charged: 0, or -EBUSY
 * while it has objects (then it stays).
 */
static int bs_chardev_destroy_cache(struct bs_chardev_file *bf,
				    struct bs_chardev_cache *c)
{
	int ret;

	lockdep_assert_held(&bf->lock);

	ret = bs_slab_cache_destroy(c->cache);
	if (ret)
		return ret;
	bs_chardev_uncharge(bf, c->charged, 0);
	atomic_dec(&bf->bs->nr_caches);
	kfree(c);
	return 0;
}

static int bs_chardev_release(struct inode *inode, struct file *file)
{
	struct bs_chardev_file *bf = file->private_data;
	struct bs_chardev_alloc *alloc;
	struct bs_chardev_cache *c;
	unsigned long id;

	/* No mapping and no syscall is left: nothing is mapped or pinned. */
	mutex_lock(&bf->lock);
	xa_for_each(&bf->allocs, id, alloc) {
		xa_erase(&bf->allocs, id);
		bs_chardev_release_alloc(bf, alloc);
	}
	xa_for_each(&bf->caches, id, c) {
		xa_erase(&bf->caches, id);
		WARN_ON(bs_chardev_destroy_cache(bf, c));
	}
	WARN_ON(bf->bytes);
	mutex_unlock(&bf->lock);
	xa_destroy(&bf->allocs);
	xa_destroy(&bf->caches);
	mutex_destroy(&bf->lock);
	bs_chardev_user_put(bf->bs, bf->user);
	kfree(bf);
	return 0;
}

/* ---- Allocators ---------------------------------------------------------- */

static int bs_chardev_buddy_granted(struct bs_chardev_file *bf,
				    const struct buddyslab_alloc *req,
				    struct bs_chardev_alloc *alloc)
{
	if (req->cache_id || req->policy)
		return -EINVAL;
	alloc->granted = bs_buddy_granted(req->size);
	return 0;
}

static void *bs_chardev_buddy_reserve(struct buddyslab *bs,
				      const struct buddyslab_alloc *req,
				      const struct bs_chardev_alloc *alloc,
				      size_t *granted)
{
	unsigned long pgoff;

	if (bs_buddy_alloc(&bs->buddy, get_order(req->size),
			   BS_BUDDY_TAG_DIRECT, &pgoff))
		return NULL;
	*granted = bs_buddy_granted(req->size);
	return bs_buddy_addr(&bs->buddy, pgoff);
}

static int bs_chardev_buddy_unreserve(struct buddyslab *bs,
				      const struct bs_chardev_alloc *alloc)
{
	return bs_buddy_free(&bs->buddy, alloc->offset >> PAGE_SHIFT);
}

/* The size classes (cache id 0), or a cache of the file. */
static int bs_chardev_slab_granted(struct bs_chardev_file *bf,
				   const struct buddyslab_alloc *req,
				   struct bs_chardev_alloc *alloc)
{
	lockdep_assert_held(&bf->lock);

	if (req->policy)
		return -EINVAL;
	if (!req->cache_id) {
		alloc->granted = bs_slab_kmalloc_granted(&bf->bs->slab,
							 req->size);
		return 0;
	}
	alloc->cache = xa_load(&bf->caches, req->cache_id);
	if (!alloc->cache)
		return -ENOENT;
	alloc->granted = bs_slab_cache_object_size(alloc->cache->cache);
	return req->size > alloc->granted ? -EINVAL : 0;
}

static void *bs_chardev_slab_reserve(struct buddyslab *bs,
				     const struct buddyslab_alloc *req,
				     const struct bs_chardev_alloc *alloc,
				     size_t *granted)
{
	if (!alloc->cache)
		return bs_slab_kmalloc(&bs->slab, req->size, granted);
	*granted = bs_slab_cache_object_size(alloc->cache->cache);
	return bs_slab_cache_alloc(alloc->cache->cache);
}

static int bs_chardev_slab_unreserve(struct buddyslab *bs,
				     const struct bs_chardev_alloc *alloc)
{
	if (alloc->cache)
		return bs_slab_cache_free(alloc->cache->cache, alloc->mem);
	return bs_slab_kfree(&bs->slab, alloc->mem);
}

static int bs_chardev_fit_granted(struct bs_chardev_file *bf,
				  const struct buddyslab_alloc *req,
				  struct bs_chardev_alloc *alloc)
{
	if (req->cache_id || bs_abi_fit_policy(req->policy) < 0)
		return -EINVAL;
	alloc->granted = bs_fit_granted(req->size);
	return 0;
}

static void *bs_chardev_fit_reserve(struct buddyslab *bs,
				    const struct buddyslab_alloc *req,
				    const struct bs_chardev_alloc *alloc,
				    size_t *granted)
{
	return bs_fit_alloc(&bs->fit, req->size, 0,
			    bs_abi_fit_policy(req->policy), granted);
}

static int bs_chardev_fit_unreserve(struct buddyslab *bs,
				    const struct bs_chardev_alloc *alloc)
{
	return bs_fit_free(&bs->fit, alloc->mem);
}

static int bs_chardev_genpool_granted(struct bs_chardev_file *bf,
				      const struct buddyslab_alloc *req,
				      struct bs_chardev_alloc *alloc)
{
	if (req->cache_id || bs_abi_genpool_policy(req->policy) < 0)
		return -EINVAL;
	alloc->granted = bs_genpool_granted(req->size);
	return 0;
}

static void *bs_chardev_genpool_reserve(struct buddyslab *bs,
					const struct buddyslab_alloc *req,
					const struct bs_chardev_alloc *alloc,
					size_t *granted)
{
	return bs_genpool_alloc(&bs->genpool, req->size,
				bs_abi_genpool_policy(req->policy), granted);
}

static int bs_chardev_genpool_unreserve(struct buddyslab *bs,
					const struct bs_chardev_alloc *alloc)
{
	return bs_genpool_free(&bs->genpool, alloc->mem);
}

static int bs_chardev_byte_buddy_granted(struct bs_chardev_file *bf,
					 const struct buddyslab_alloc *req,
					 struct bs_chardev_alloc *alloc)
{
	if (req->cache_id || req->policy)
		return -EINVAL;
	alloc->granted = bs_byte_buddy_granted(req->size);
	return 0;
}

static void *bs_chardev_byte_buddy_reserve(struct buddyslab *bs,
					   const struct buddyslab_alloc *req,
					   const struct bs_chardev_alloc *alloc,
					   size_t *granted)
{
	return bs_byte_buddy_alloc(&bs->byte_buddy, req->size, granted);
}

static int bs_chardev_byte_buddy_unreserve(struct buddyslab *bs,
					   const struct bs_chardev_alloc *alloc)
{
	return bs_byte_buddy_free(&bs->byte_buddy, alloc->mem);
}

/* The allocators by BUDDYSLAB_ALLOC_*. */
static const struct bs_chardev_allocator bs_chardev_allocators[] = {
	[BUDDYSLAB_ALLOC_BUDDY] = {
		.granted	= bs_chardev_buddy_granted,
		.reserve	= bs_chardev_buddy_reserve,
		.unreserve	= bs_chardev_buddy_unreserve,
	},
	[BUDDYSLAB_ALLOC_SLAB] = {
		.granted	= bs_chardev_slab_granted,
		.reserve	= bs_chardev_slab_reserve,
		.unreserve	= bs_chardev_slab_unreserve,
	},
	[BUDDYSLAB_ALLOC_FIT] = {
		.granted	= bs_chardev_fit_granted,
		.reserve	= bs_chardev_fit_reserve,
		.unreserve	= bs_chardev_fit_unreserve,
	},
	[BUDDYSLAB_ALLOC_GENPOOL] = {
		.granted	= bs_chardev_genpool_granted,
		.reserve	= bs_chardev_genpool_reserve,
		.unreserve	= bs_chardev_genpool_unreserve,
	},
	[BUDDYSLAB_ALLOC_BYTE_BUDDY] = {
		.granted	= bs_chardev_byte_buddy_granted,
		.reserve	= bs_chardev_byte_buddy_reserve,
		.unreserve	= bs_chardev_byte_buddy_unreserve,
	},
};

/*
 * Check a request and work out what it would reserve and be charged,
 * asking no allocator anything. Returns 0, -EINVAL for a request its
 * allocator cannot take, -ENOENT for an unknown cache.
 */
static int bs_chardev_check(struct bs_chardev_file *bf,
			    const struct buddyslab_alloc *req,
			    struct bs_chardev_alloc *alloc)
{
	const struct bs_chardev_allocator *allocator;
	int ret;

	lockdep_assert_held(&bf->lock);

	if (req->flags & ~BUDDYSLAB_F_ALL)
		return -EINVAL;
	if (!req->size || req->size > BS_ARENA_BYTES)
		return -EINVAL;
	if (req->allocator >= ARRAY_SIZE(bs_chardev_allocators))
		return -EINVAL;
	allocator = &bs_chardev_allocators[array_index_nospec(req->allocator,
				ARRAY_SIZE(bs_chardev_allocators))];
	if (!allocator->granted)
		return -EINVAL;
	alloc->allocator = allocator;
	alloc->cache = NULL;
	ret = allocator->granted(bf, req, alloc);
	if (ret)
		return ret;
	alloc->charged = alloc->cache ? 0 : alloc->granted;
	return 0;
}

/* Reserve what a checked request asks for, and place it in the device. */
static int bs_chardev_reserve(struct bs_chardev_file *bf,
			      const struct buddyslab_alloc *req,
			      struct bs_chardev_alloc *alloc)
{
	struct buddyslab *bs = bf->bs;
	unsigned long pgoff;
	size_t granted;

	alloc->mem = alloc->allocator->reserve(bs, req, alloc, &granted);
	if (!alloc->mem)
		return -ENOMEM;
	/* What the check foresaw was charged, and bounds every access. */
	WARN_ON_ONCE(granted != alloc->granted);
	WARN_ON(bs_buddy_pgoff_of(&bs->buddy, alloc->mem, &pgoff));
	alloc->offset = ((u64)pgoff << PAGE_SHIFT) + offset_in_page(alloc->mem);
	return 0;
}

/*
 * The record of a checked request, in the file's table under a new handle
 * and in no other yet: the file's lock hides it, half-made. Returns it, or
 * an error pointer.
 */
static struct bs_chardev_alloc *
bs_chardev_record(struct bs_chardev_file *bf,
		  const struct bs_chardev_alloc *checked, u32 *handle)
{
	struct bs_chardev_alloc *alloc;
	int ret;

	lockdep_assert_held(&bf->lock);

	alloc = bs_fault() ? NULL : kzalloc(sizeof(*alloc), GFP_KERNEL_ACCOUNT);
	if (!alloc)
		return ERR_PTR(-ENOMEM);
	alloc->allocator = checked->allocator;
	alloc->cache = checked->cache;
	alloc->granted = checked->granted;
	alloc->charged = checked->charged;
	ret = bs_fault() ? -ENOMEM :
	      xa_alloc_cyclic(&bf->allocs, handle, alloc, xa_limit_32b,
			      &bf->next_handle, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		kfree(alloc);
		return ERR_PTR(ret);
	}
	return alloc;
}

static int bs_chardev_alloc(struct bs_chardev_file *bf, void *arg)
{
	struct buddyslab_alloc *req = arg;
	struct bs_chardev_alloc checked, *alloc;
	u64 room = 0;
	u32 handle;
	int ret;

	/*
	 * Checked, charged, recorded and given a handle before the allocator
	 * is asked: whatever fails, fails before it, and leaves nothing.
	 */
	mutex_lock(&bf->lock);
	ret = bs_chardev_check(bf, req, &checked);
	if (ret)
		goto err_unlock;
	if (checked.cache)
		room = bs_chardev_cache_room(bf, checked.cache);
	ret = bs_chardev_charge(bf, checked.charged + room, 1);
	if (ret)
		goto err_unlock;
	alloc = bs_chardev_record(bf, &checked, &handle);
	ret = PTR_ERR_OR_ZERO(alloc);
	if (ret)
		goto err_uncharge;
	ret = bs_chardev_reserve(bf, req, alloc);
	if (ret)
		goto err_erase;
	memset(alloc->mem, 0, alloc->granted);
	bs_chardev_index(bf, alloc);
	/* The cache is charged what it holds now, not the room. */
	if (alloc->cache) {
		bs_chardev_uncharge(bf, room, 0);
		bs_chardev_cache_recharge(bf, alloc->cache);
	}
	/* Once the lock is dropped, another thread may free it. */
	req->handle = handle;
	req->offset = alloc->offset;
	req->granted = alloc->granted;
	mutex_unlock(&bf->lock);
	return 0;

err_erase:
	xa_erase(&bf->allocs, handle);
	kfree(alloc);
err_uncharge:
	bs_chardev_uncharge(bf, checked.charged + room, 1);
	if (checked.cache)
		bs_chardev_cache_recharge(bf, checked.cache);
err_unlock:
	mutex_unlock(&bf->lock);
	return ret;
}

static int bs_chardev_free(struct bs_chardev_file *bf, void *arg)
{
	const struct buddyslab_free *req = arg;
	struct bs_chardev_alloc *alloc;
	int ret = 0;

	if (!req->handle || req->handle > U32_MAX)
		return -ENOENT;
	mutex_lock(&bf->lock);
	alloc = xa_load(&bf->allocs, req->handle);
	/*
	 * Mapped, or being copied: busy. The acquire pairs with the barrier
	 * in bs_chardev_unpin(): the last copy is over before the free.
	 */
	if (!alloc)
		ret = -ENOENT;
	else if (atomic_read(&alloc->mapped) ||
		 atomic_read_acquire(&alloc->pinned))
		ret = -EBUSY;
	if (!ret) {
		xa_erase(&bf->allocs, req->handle);
		bs_chardev_release_alloc(bf, alloc);
	}
	mutex_unlock(&bf->lock);
	return ret;
}

/*
 * Free an allocation whose handle could not be written back: the client
 * cannot learn it. (Unless another thread has mapped or is copying the
 * allocation, having guessed its offset: the file keeps it until close.)
 */
static void bs_chardev_alloc_undo(struct bs_chardev_file *bf, const void *arg)
{
	const struct buddyslab_alloc *req = arg;
	struct buddyslab_free free = { .handle = req->handle };

	bs_chardev_free(bf, &free);
}

/* A name for slabinfo: printable, no spaces, NUL-terminated, not empty. */
static bool bs_chardev_cache_name_ok(const char *name)
{
	size_t len = strnlen(name, BUDDYSLAB_CACHE_NAME_LEN);
	size_t i;

	if (!len || len == BUDDYSLAB_CACHE_NAME_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph(name[i]))
			return false;
	return true;
}

static int bs_chardev_cache_create(struct bs_chardev_file *bf, void *arg)
{
	struct buddyslab_cache_create *req = arg;
	/* Its kernel memory is charged to the client's memory cgroup. */
	unsigned int flags = BS_SLAB_ACCOUNT;
	struct buddyslab *bs = bf->bs;
	struct bs_chardev_cache *c;
	u32 id;
	int ret;

	BUILD_BUG_ON(BUDDYSLAB_CACHE_NAME_LEN != BS_SLAB_NAME_LEN);

	if (!bs_chardev_cache_name_ok(req->name) ||
	    req->flags & ~BUDDYSLAB_CACHE_ALL || !req->object_size ||
	    req->object_size > BS_SLAB_MAX_SIZE ||
	    (req->align && !is_power_of_2(req->align)) ||
	    req->align > PAGE_SIZE)
		return -EINVAL;
	if (req->flags & BUDDYSLAB_CACHE_REDZONE)
		flags |= BS_SLAB_REDZONE;
	if (req->flags & BUDDYSLAB_CACHE_POISON)
		flags |= BS_SLAB_POISON;

	mutex_lock(&bf->lock);
	ret = -EDQUOT;
	if (bf->nr_caches >= BS_CHARDEV_MAX_CACHES)
		goto err_unlock;
	ret = -ENOSPC;
	if (!atomic_add_unless(&bs->nr_caches, 1, bs->max_caches))
		goto err_unlock;
	ret = -ENOMEM;
	c = bs_fault() ? NULL : kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		goto err_uncount;
	c->cache = bs_slab_cache_create(&bs->slab, req->name, req->object_size,
					req->align, flags, NULL);
	ret = PTR_ERR_OR_ZERO(c->cache);
	if (ret)
		goto err_free;
	ret = bs_fault() ? -ENOMEM :
	      xa_alloc_cyclic(&bf->caches, &id, c, xa_limit_32b,
			      &bf->next_cache_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_destroy;
	req->cache_id = id;
	bf->nr_caches++;
	mutex_unlock(&bf->lock);
	return 0;

err_destroy:
	WARN_ON(bs_slab_cache_destroy(c->cache));
err_free:
	kfree(c);
err_uncount:
	atomic_dec(&bs->nr_caches);
err_unlock:
	mutex_unlock(&bf->lock);
	return ret;
}

static int bs_chardev_cache_destroy(struct bs_chardev_file *bf, void *arg)
{
	const struct buddyslab_cache_destroy *req = arg;
	struct bs_chardev_cache *c;
	int ret;

	if (req->__pad)
		return -EINVAL;
	if (!req->cache_id)
		return -ENOENT;
	mutex_lock(&bf->lock);
	c = xa_load(&bf->caches, req->cache_id);
	ret = c ? bs_chardev_destroy_cache(bf, c) : -ENOENT;
	if (!ret) {
		xa_erase(&bf->caches, req->cache_id);
		bf->nr_caches--;
	}
	mutex_unlock(&bf->lock);
	return ret;
}

/* Destroy a cache whose id could not be written back. */
static void bs_chardev_cache_create_undo(struct bs_chardev_file *bf,
					 const void *arg)
{
	const struct buddyslab_cache_create *req = arg;
	struct buddyslab_cache_destroy destroy = { .cache_id = req->cache_id };

	bs_chardev_cache_destroy(bf, &destroy);
}

/*
 * Run a batch's operations in order until one fails. Returns 0 if all were
 * done, else that one's error; @req->nr_done counts those done.
 */
static int bs_chardev_batch(struct bs_chardev_file *bf, void *arg)
{
	struct buddyslab_batch *req = arg;
	struct buddyslab_batch_op __user *uops = u64_to_user_ptr(req->ops);
	struct buddyslab_batch_op op;
	int ret = 0;

	req->nr_done = 0;
	if (!req->nr_ops || req->nr_ops > BUDDYSLAB_BATCH_MAX)
		return -EINVAL;

	for (; req->nr_done < req->nr_ops; req->nr_done++) {
		if (copy_from_user(&op, &uops[req->nr_done], sizeof(op)))
			return -EFAULT;
		switch (op.op) {
		case BUDDYSLAB_BATCH_ALLOC:
			op.result = bs_chardev_alloc(bf, &op.alloc);
			break;
		case BUDDYSLAB_BATCH_FREE:
			op.result = bs_chardev_free(bf, &op.free);
			break;
		default:
			op.result = -EINVAL;
			break;
		}
		if (copy_to_user(&uops[req->nr_done], &op, sizeof(op))) {
			if (op.op == BUDDYSLAB_BATCH_ALLOC && !op.result)
				bs_chardev_alloc_undo(bf, &op.alloc);
			return op.result ?: -EFAULT;
		}
		if (op.result) {
			ret = op.result;
			break;
		}
	}
	return ret;
}

/* INFO and STATS: the ABI's structures are filled in by abi.c. */
static int bs_chardev_info(struct bs_chardev_file *bf, void *arg)
{
	bs_abi_info(bf->bs, arg);
	return 0;
}

static int bs_chardev_stats(struct bs_chardev_file *bf, void *arg)
{
	return bs_abi_stats(bf->bs, arg);
}

/**
 * struct bs_chardev_ioctl_desc - one ioctl of the device
 * @cmd:	its command: number, direction and the driver's structure size
 * @min_size:	the size of the first published version of the structure
 * @handler:	does the request, on the structure in kernel memory
 * @undo:	undoes what a request that succeeded made, when the client
 *		cannot learn it: the structure cannot be written back
 * @out_on_error: the structure is written back even when @handler fails
 */
struct bs_chardev_ioctl_desc {
	unsigned int cmd;
	unsigned int min_size;
	int (*handler)(struct bs_chardev_file *bf, void *arg);
	void (*undo)(struct bs_chardev_file *bf, const void *arg);
	bool out_on_error;
};

/* The ioctls by number, as drm_ioctl() has them. */
static const struct bs_chardev_ioctl_desc bs_chardev_ioctls[] = {
	[_IOC_NR(BUDDYSLAB_IOC_INFO)] = {
		.cmd		= BUDDYSLAB_IOC_INFO,
		.min_size	= offsetofend(struct buddyslab_info, free_bytes),
		.handler	= bs_chardev_info,
	},
	[_IOC_NR(BUDDYSLAB_IOC_ALLOC)] = {
		.cmd		= BUDDYSLAB_IOC_ALLOC,
		.min_size	= offsetofend(struct buddyslab_alloc, granted),
		.handler	= bs_chardev_alloc,
		.undo		= bs_chardev_alloc_undo,
	},
	[_IOC_NR(BUDDYSLAB_IOC_FREE)] = {
		.cmd		= BUDDYSLAB_IOC_FREE,
		.min_size	= offsetofend(struct buddyslab_free, handle),
		.handler	= bs_chardev_free,
	},
	[_IOC_NR(BUDDYSLAB_IOC_CACHE_CREATE)] = {
		.cmd		= BUDDYSLAB_IOC_CACHE_CREATE,
		.min_size	= offsetofend(struct buddyslab_cache_create,
					      cache_id),
		.handler	= bs_chardev_cache_create,
		.undo		= bs_chardev_cache_create_undo,
	},
	[_IOC_NR(BUDDYSLAB_IOC_CACHE_DESTROY)] = {
		.cmd		= BUDDYSLAB_IOC_CACHE_DESTROY,
		.min_size	= offsetofend(struct buddyslab_cache_destroy,
					      __pad),
		.handler	= bs_chardev_cache_destroy,
	},
	[_IOC_NR(BUDDYSLAB_IOC_BATCH)] = {
		.cmd		= BUDDYSLAB_IOC_BATCH,
		.min_size	= offsetofend(struct buddyslab_batch, nr_done),
		.handler	= bs_chardev_batch,
		/* How far it got is news even when it stopped short. */
		.out_on_error	= true,
	},
	[_IOC_NR(BUDDYSLAB_IOC_STATS)] = {
		.cmd		= BUDDYSLAB_IOC_STATS,
		.min_size	= offsetofend(struct buddyslab_stats, buddy),
		.handler	= bs_chardev_stats,
	},
};

/* The ioctl @cmd is, or NULL: another magic, number or direction. */
static const struct bs_chardev_ioctl_desc *bs_chardev_ioctl_find(unsigned int cmd)
{
	const struct bs_chardev_ioctl_desc *ioc;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != BUDDYSLAB_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(bs_chardev_ioctls))
		return NULL;
	ioc = &bs_chardev_ioctls[array_index_nospec(nr,
					ARRAY_SIZE(bs_chardev_ioctls))];
	if (!ioc->handler || _IOC_DIR(cmd) != _IOC_DIR(ioc->cmd))
		return NULL;
	return ioc;
}

static long bs_chardev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	const struct bs_chardev_ioctl_desc *ioc = bs_chardev_ioctl_find(cmd);
	struct bs_chardev_file *bf = file->private_data;
	void __user *uarg = (void __user *)arg;
	unsigned int usize = _IOC_SIZE(cmd), ksize;
	u64 stack_karg[16];
	void *karg;
	int ret;

	if (!ioc)
		return -ENOTTY;
	if (usize < ioc->min_size)
		return -EINVAL;
	ksize = _IOC_SIZE(ioc->cmd);

	/* Small arguments live on the stack, large ones (STATS) on the heap. */
	karg = stack_karg;
	if (ksize > sizeof(stack_karg)) {
		karg = bs_fault() ? NULL : kmalloc(ksize, GFP_KERNEL);
		if (!karg)
			return -ENOMEM;
	}
	if (_IOC_DIR(ioc->cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(karg, ksize, uarg, usize);
		if (ret)
			goto out;
	} else {
		memset(karg, 0, ksize);
	}

	ret = ioc->handler(bf, karg);
	if (ret && !ioc->out_on_error)
		goto out;
	/* Up to the smaller size: a newer client's tail is left as it is. */
	if ((_IOC_DIR(ioc->cmd) & _IOC_READ) &&
	    copy_to_user(uarg, karg, min(usize, ksize))) {
		if (!ret && ioc->undo)
			ioc->undo(bf, karg);
		ret = -EFAULT;
	}
out:
	if (karg != stack_karg)
		kfree(karg);
	return ret;
}

/*
 * The allocation the byte range [@pos, @pos + @count) lies in: -EFAULT if
 * @pos is in none of this file's, -EINVAL if the range runs past its end.
 */
static struct bs_chardev_alloc *bs_chardev_range(struct bs_chardev_file *bf,
						 loff_t pos, size_t count)
{
	struct bs_chardev_alloc *alloc;

	lockdep_assert_held(&bf->lock);

	if (pos < 0)
		return ERR_PTR(-EINVAL);
	alloc = bs_chardev_find(bf, pos);
	if (!alloc)
		return ERR_PTR(-EFAULT);
	if (count > alloc->offset + alloc->granted - pos)
		return ERR_PTR(-EINVAL);
	return alloc;
}

/**
 * bs_chardev_pin() - find the allocation a copy is for, and pin it
 * @bf:		the file
 * @pos:	where the copy starts in the device's linear space
 * @count:	bytes to copy
 *
 * Takes and drops the file's lock. FREE refuses a pinned allocation, and
 * the file is not released while a syscall holds it, so its memory may be
 * copied to and from with no lock held until bs_chardev_unpin().
 *
 * Return: the allocation, pinned; or an error pointer, as from
 * bs_chardev_range().
 */
static struct bs_chardev_alloc *bs_chardev_pin(struct bs_chardev_file *bf,
					       loff_t pos, size_t count)
{
	struct bs_chardev_alloc *alloc;

	mutex_lock(&bf->lock);
	alloc = bs_chardev_range(bf, pos, count);
	if (!IS_ERR(alloc))
		atomic_inc(&alloc->pinned);
	mutex_unlock(&bf->lock);
	return alloc;
}

/**
 * bs_chardev_unpin() - end a copy of an allocation pinned for it
 * @alloc:	the allocation, pinned by bs_chardev_pin()
 *
 * Needs no lock. Every access of the copy comes before the pin is dropped:
 * once FREE sees the last one gone, the memory is no longer used.
 */
static void bs_chardev_unpin(struct bs_chardev_alloc *alloc)
{
	/* Pairs with the acquire in bs_chardev_free(). */
	smp_mb__before_atomic();
	atomic_dec(&alloc->pinned);
}

/*
 * pread and pwrite: copy between @buf and an allocation of the file, with
 * no lock held, for a fault in the copy may wait for the mmap_lock.
 */
static ssize_t bs_chardev_access(struct file *file, void __user *buf,
				 size_t count, loff_t *ppos, bool write)
{
	struct bs_chardev_file *bf = file->private_data;
	struct bs_chardev_alloc *alloc;
	ssize_t ret = count;
	void *mem;

	if (!count)
		return 0;
	alloc = bs_chardev_pin(bf, *ppos, count);
	if (IS_ERR(alloc))
		return PTR_ERR(alloc);
	mem = alloc->mem + (*ppos - alloc->offset);
	if (write ? copy_from_user(mem, buf, count) :
		    copy_to_user(buf, mem, count))
		ret = -EFAULT;
	bs_chardev_unpin(alloc);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t bs_chardev_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	return bs_chardev_access(file, buf, count, ppos, false);
}

static ssize_t bs_chardev_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	return bs_chardev_access(file, (void __user *)buf, count, ppos, true);
}

/* A mapping split or copied (fork) maps its allocation once more. */
static void bs_chardev_vm_open(struct vm_area_struct *vma)
{
	struct bs_chardev_alloc *alloc = vma->vm_private_data;

	atomic_inc(&alloc->mapped);
}

static void bs_chardev_vm_close(struct vm_area_struct *vma)
{
	struct bs_chardev_alloc *alloc = vma->vm_private_data;

	atomic_dec(&alloc->mapped);
}

static const struct vm_operations_struct bs_chardev_vm_ops = {
	.open	= bs_chardev_vm_open,
	.close	= bs_chardev_vm_close,
};

static int bs_chardev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct bs_chardev_file *bf = file->private_data;
	const u64 offset = (u64)vma->vm_pgoff << PAGE_SHIFT;
	const unsigned long len = vma->vm_end - vma->vm_start;
	struct bs_chardev_alloc *alloc;
	int ret = -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&bf->lock);
	alloc = bs_chardev_find(bf, offset);
	/* From its start, page-aligned and page-sized, and no further. */
	if (!alloc || alloc->offset != offset ||
	    !PAGE_ALIGNED(alloc->granted) || len > alloc->granted)
		goto out;
	vma->vm_ops = &bs_chardev_vm_ops;
	vma->vm_private_data = alloc;
	ret = remap_pfn_range(vma, vma->vm_start,
			      page_to_pfn(virt_to_page(alloc->mem)), len,
			      vma->vm_page_prot);
	if (!ret)
		atomic_inc(&alloc->mapped);
out:
	mutex_unlock(&bf->lock);
	return ret;
}

static const struct file_operations bs_chardev_fops = {
	.owner		= THIS_MODULE,
	.open		= bs_chardev_open,
	.release	= bs_chardev_release,
	.read		= bs_chardev_read,
	.write		= bs_chardev_write,
	.mmap		= bs_chardev_mmap,
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
	bs->misc.mode = bs->dev_mode;
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

/**
 * bs_chardev_users_show() - what each user's open files hold, for debugfs
 * @bs:	the instance
 * @m:	where to print: a header, then "uid files bytes allocs" per user
 *	with an open file, by uid
 */
void bs_chardev_users_show(struct buddyslab *bs, struct seq_file *m)
{
	struct bs_chardev_user *user;
	unsigned long uid;
	u64 bytes, allocs;

	seq_printf(m, "%-10s %6s %12s %8s\n", "uid", "files", "bytes", "allocs");
	mutex_lock(&bs->users_lock);
	xa_for_each(&bs->users, uid, user) {
		spin_lock(&user->lock);
		bytes = user->bytes;
		allocs = user->allocs;
		spin_unlock(&user->lock);
		seq_printf(m, "%-10u %6u %12llu %8llu\n",
			   from_kuid_munged(&init_user_ns, user->uid),
			   user->files, bytes, allocs);
	}
	mutex_unlock(&bs->users_lock);
}
