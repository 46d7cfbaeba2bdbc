/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * buddyslab: userspace interface of /dev/buddyslab.
 *
 * Every ioctl takes a pointer to one of the structures below. Structures only
 * ever grow at their end: the driver accepts an older, smaller structure (the
 * missing fields read as zero) and a newer, larger one whose extra bytes are
 * all zero; a larger one with non-zero extra bytes gets -E2BIG.
 *
 * Offsets are byte offsets in the device's linear space: arena i starts at
 * i * arena_bytes. Handles are opaque per-file identifiers, never addresses.
 */
#ifndef _UAPI_LINUX_BUDDYSLAB_H
#define _UAPI_LINUX_BUDDYSLAB_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define BUDDYSLAB_ABI_VERSION	3

/* Allocators, for buddyslab_alloc.allocator. */
#define BUDDYSLAB_ALLOC_BUDDY	1
#define BUDDYSLAB_ALLOC_SLAB	2
#define BUDDYSLAB_ALLOC_FIT	3
#define BUDDYSLAB_ALLOC_GENPOOL	4	/* the kernel's lib/genalloc.c bitmaps */
#define BUDDYSLAB_ALLOC_BYTE_BUDDY 5	/* binary buddy at 16-byte grain */

/*
 * Flags, for buddyslab_alloc.flags. Memory handed out through the device
 * always reads as zero; BUDDYSLAB_F_ZERO asks for it explicitly.
 */
#define BUDDYSLAB_F_ZERO	(1U << 0)
#define BUDDYSLAB_F_ALL		(BUDDYSLAB_F_ZERO)

/* Cache flags, for buddyslab_cache_create.flags. */
#define BUDDYSLAB_CACHE_REDZONE	(1U << 0)	/* red zones around objects */
#define BUDDYSLAB_CACHE_POISON	(1U << 1)	/* poison free objects */
#define BUDDYSLAB_CACHE_ALL	(BUDDYSLAB_CACHE_REDZONE | BUDDYSLAB_CACHE_POISON)

/* Operations of a batch, for buddyslab_batch_op.op. */
#define BUDDYSLAB_BATCH_ALLOC	1
#define BUDDYSLAB_BATCH_FREE	2

/* The most operations one BUDDYSLAB_IOC_BATCH takes. */
#define BUDDYSLAB_BATCH_MAX	256

#define BUDDYSLAB_CACHE_NAME_LEN	32

/* Sequential-fit policies, for buddyslab_alloc.policy. */
#define BUDDYSLAB_FIT_FIRST	1
#define BUDDYSLAB_FIT_NEXT	2
#define BUDDYSLAB_FIT_BEST	3
#define BUDDYSLAB_FIT_WORST	4

/* genpool policies, for buddyslab_alloc.policy: the kernel's algorithms. */
#define BUDDYSLAB_GENPOOL_FIRST	1	/* gen_pool_first_fit */
#define BUDDYSLAB_GENPOOL_BEST	2	/* gen_pool_best_fit */

/**
 * struct buddyslab_info - what BUDDYSLAB_IOC_INFO returns
 * @abi_version:	BUDDYSLAB_ABI_VERSION of the running module
 * @page_size:		bytes per page
 * @max_order:		largest buddy order; an arena is 2^max_order pages
 * @nr_arenas:		number of arenas in the region
 * @arena_bytes:	bytes per arena
 * @region_bytes:	bytes in the whole region
 * @free_bytes:		bytes free in the buddy allocator right now
 * @module_version:	the module's version, as modinfo shows it, NUL
 *			terminated (ABI 3)
 */
struct buddyslab_info {
	__u32 abi_version;
	__u32 page_size;
	__u32 max_order;
	__u32 nr_arenas;
	__u64 arena_bytes;
	__u64 region_bytes;
	__u64 free_bytes;
	char module_version[16];
};

/**
 * struct buddyslab_alloc - argument of BUDDYSLAB_IOC_ALLOC
 * @size:	in: bytes wanted, at least 1
 * @allocator:	in: BUDDYSLAB_ALLOC_*
 * @flags:	in: BUDDYSLAB_F_*
 * @cache_id:	in: slab cache from BUDDYSLAB_IOC_CACHE_CREATE, 0 for the size
 *		classes; 0 for other allocators
 * @policy:	in: BUDDYSLAB_FIT_* for the fit allocator, BUDDYSLAB_GENPOOL_*
 *		for genpool; 0 for the others
 * @handle:	out: identifies the allocation in this open file
 * @offset:	out: byte offset of the allocation in the device
 * @granted:	out: bytes really reserved (granted - size is internal
 *		fragmentation)
 */
struct buddyslab_alloc {
	__u64 size;
	__u32 allocator;
	__u32 flags;
	__u32 cache_id;
	__u32 policy;
	__u64 handle;
	__u64 offset;
	__u64 granted;
};

/**
 * struct buddyslab_free - argument of BUDDYSLAB_IOC_FREE
 * @handle:	in: a handle BUDDYSLAB_IOC_ALLOC returned on this open file
 */
struct buddyslab_free {
	__u64 handle;
};

/**
 * struct buddyslab_cache_create - argument of BUDDYSLAB_IOC_CACHE_CREATE
 * @name:	in: shown in slabinfo; 1 to 31 printable characters without
 *		spaces, NUL-terminated
 * @object_size: in: bytes per object, 1 to arena_bytes / 8
 * @align:	in: 0 for the default (8), or a power of two up to the page
 *		size
 * @flags:	in: BUDDYSLAB_CACHE_*
 * @cache_id:	out: for buddyslab_alloc.cache_id and CACHE_DESTROY; the
 *		cache belongs to this open file and goes away when it closes
 */
struct buddyslab_cache_create {
	char name[BUDDYSLAB_CACHE_NAME_LEN];
	__u32 object_size;
	__u32 align;
	__u32 flags;
	__u32 cache_id;
};

/**
 * struct buddyslab_cache_destroy - argument of BUDDYSLAB_IOC_CACHE_DESTROY
 * @cache_id:	in: a cache this open file created
 * @__pad:	zero
 */
struct buddyslab_cache_destroy {
	__u32 cache_id;
	__u32 __pad;
};

/**
 * struct buddyslab_batch_op - one operation of a batch
 * @op:		in: BUDDYSLAB_BATCH_ALLOC or BUDDYSLAB_BATCH_FREE
 * @result:	out: 0, or what the operation alone would have failed with
 * @alloc:	for BUDDYSLAB_BATCH_ALLOC: as BUDDYSLAB_IOC_ALLOC takes it
 * @free:	for BUDDYSLAB_BATCH_FREE: as BUDDYSLAB_IOC_FREE takes it
 */
struct buddyslab_batch_op {
	__u32 op;
	__s32 result;
	union {
		struct buddyslab_alloc alloc;
		struct buddyslab_free free;
	};
};

/**
 * struct buddyslab_batch - argument of BUDDYSLAB_IOC_BATCH
 * @ops:	in: user pointer to @nr_ops struct buddyslab_batch_op
 * @nr_ops:	in: 1 to BUDDYSLAB_BATCH_MAX
 * @nr_done:	out: operations done, in order, before the first that failed
 *
 * The operations run in order and stop at the first that fails; those done
 * stay done. The ioctl returns 0 if all were done, otherwise the error of
 * the one that failed (its @result) or -EFAULT if it could not be read or
 * its result not written back; @nr_done is written back in every case.
 */
struct buddyslab_batch {
	__u64 ops;
	__u32 nr_ops;
	__u32 nr_done;
};

/* Room for every buddy order in the statistics (max_order is below it). */
#define BUDDYSLAB_STATS_ORDERS	16

/**
 * struct buddyslab_buddy_stats - the buddy allocator's part of the statistics
 * @free_pages:		pages in the free lists
 * @cached_pages:	free pages held by the per-CPU caches
 * @used_pages:		pages in allocated blocks
 * @metadata_bytes:	bytes of metadata the allocator keeps
 * @alloc_fails:	allocations refused with -ENOMEM
 * @frees_refused:	frees refused because no allocated block starts there
 * @splits:		blocks split in two
 * @merges:		buddy pairs merged
 * @pcp_hits:		allocations served by a per-CPU cache
 * @pcp_misses:		allocations that found their per-CPU cache empty
 * @pcp_drains:		batches given back by per-CPU caches
 * @nr_free:		free blocks per order in the free lists
 * @allocs:		allocations per order
 * @frees:		frees per order
 * @unusable_index:	per order, thousandths of free memory in blocks too
 *			small for that order (mm/vmstat.c unusable_free_index)
 * @extfrag_index:	per order, -1000 if such a request would succeed, else
 *			thousandths towards 1000 for a failure due to
 *			fragmentation (mm/vmstat.c __fragmentation_index)
 *
 * Orders above max_order read zero, and their indices 0.
 */
struct buddyslab_buddy_stats {
	__u64 free_pages;
	__u64 cached_pages;
	__u64 used_pages;
	__u64 metadata_bytes;
	__u64 alloc_fails;
	__u64 frees_refused;
	__u64 splits;
	__u64 merges;
	__u64 pcp_hits;
	__u64 pcp_misses;
	__u64 pcp_drains;
	__u64 nr_free[BUDDYSLAB_STATS_ORDERS];
	__u64 allocs[BUDDYSLAB_STATS_ORDERS];
	__u64 frees[BUDDYSLAB_STATS_ORDERS];
	__s32 unusable_index[BUDDYSLAB_STATS_ORDERS];
	__s32 extfrag_index[BUDDYSLAB_STATS_ORDERS];
};

/* The slab allocator's size classes: 8 to 8192 bytes. */
#define BUDDYSLAB_SLAB_CLASSES	13

/**
 * struct buddyslab_slab_cache_stats - one slab cache
 * @object_size:	bytes per object
 * @objects_per_slab:	objects in one slab
 * @pages_per_slab:	pages in one slab
 * @__pad:		zero
 * @active_objs:	objects allocated
 * @num_objs:		objects in all slabs
 * @active_slabs:	slabs with an object allocated or in a magazine
 * @num_slabs:		all slabs
 * @allocs:		allocations
 * @frees:		frees
 * @magazine_hits:	allocations served by the per-CPU magazines
 * @magazine_misses:	allocations that went to the slabs
 * @slabs_created:	slabs taken from the buddy allocator
 * @slabs_freed:	slabs given back to it
 * @bytes_requested:	bytes asked for, over all allocations
 * @bytes_granted:	object bytes handed out for them
 */
struct buddyslab_slab_cache_stats {
	__u32 object_size;
	__u32 objects_per_slab;
	__u32 pages_per_slab;
	__u32 __pad;
	__u64 active_objs;
	__u64 num_objs;
	__u64 active_slabs;
	__u64 num_slabs;
	__u64 allocs;
	__u64 frees;
	__u64 magazine_hits;
	__u64 magazine_misses;
	__u64 slabs_created;
	__u64 slabs_freed;
	__u64 bytes_requested;
	__u64 bytes_granted;
};

/**
 * struct buddyslab_slab_stats - the slab allocator's part of the statistics
 * @alloc_fails:	allocations refused for lack of memory, all caches
 * @redzone_errors:	red zones found overwritten, all caches
 * @poison_errors:	free objects found written to, all caches
 * @double_frees:	frees of objects already free, all caches
 * @invalid_frees:	frees of no object of the cache, all caches
 * @classes:		the size classes, smallest first
 */
struct buddyslab_slab_stats {
	__u64 alloc_fails;
	__u64 redzone_errors;
	__u64 poison_errors;
	__u64 double_frees;
	__u64 invalid_frees;
	struct buddyslab_slab_cache_stats classes[BUDDYSLAB_SLAB_CLASSES];
};

/* The sequential-fit policies, indexed by BUDDYSLAB_FIT_* - 1. */
#define BUDDYSLAB_FIT_POLICIES	4

/**
 * struct buddyslab_fit_stats - the fit allocators' part of the statistics
 * @arenas:		arenas taken from the buddy allocator and in use
 * @free_blocks:	free blocks in them
 * @free_bytes:		bytes in free blocks
 * @largest_free:	bytes in the largest free block
 * @used_bytes:		bytes in allocated blocks
 * @requested_bytes:	bytes their users asked for
 * @frees:		frees
 * @frees_refused:	frees of no allocation, refused
 * @merges:		free neighbours merged
 * @extfrag:		external fragmentation, 1 - largest_free / free_bytes,
 *			in thousandths
 * @__pad:		zero
 * @allocs:		allocations per policy
 * @fails:		allocations refused for lack of memory, per policy
 */
struct buddyslab_fit_stats {
	__u64 arenas;
	__u64 free_blocks;
	__u64 free_bytes;
	__u64 largest_free;
	__u64 used_bytes;
	__u64 requested_bytes;
	__u64 frees;
	__u64 frees_refused;
	__u64 merges;
	__u32 extfrag;
	__u32 __pad;
	__u64 allocs[BUDDYSLAB_FIT_POLICIES];
	__u64 fails[BUDDYSLAB_FIT_POLICIES];
};

/* The genpool policies, indexed by BUDDYSLAB_GENPOOL_* - 1. */
#define BUDDYSLAB_GENPOOL_POLICIES	2

/**
 * struct buddyslab_genpool_stats - the genpool allocator's statistics
 * @arenas:		arenas taken from the buddy allocator and in use
 * @free_blocks:	runs of free bytes in them
 * @free_bytes:		bytes free in them
 * @largest_free:	bytes in the largest run of free bytes
 * @used_bytes:		bytes in allocated blocks
 * @requested_bytes:	bytes their users asked for
 * @frees:		frees
 * @frees_refused:	frees of no allocation, refused
 * @extfrag:		external fragmentation, 1 - largest_free / free_bytes,
 *			in thousandths
 * @__pad:		zero
 * @allocs:		allocations per policy
 * @fails:		allocations refused for lack of memory, per policy
 */
struct buddyslab_genpool_stats {
	__u64 arenas;
	__u64 free_blocks;
	__u64 free_bytes;
	__u64 largest_free;
	__u64 used_bytes;
	__u64 requested_bytes;
	__u64 frees;
	__u64 frees_refused;
	__u32 extfrag;
	__u32 __pad;
	__u64 allocs[BUDDYSLAB_GENPOOL_POLICIES];
	__u64 fails[BUDDYSLAB_GENPOOL_POLICIES];
};

/**
 * struct buddyslab_byte_buddy_stats - the byte buddy allocator's statistics
 * @arenas:		arenas taken from the buddy allocator and in use
 * @free_blocks:	free blocks in them
 * @free_bytes:		bytes in free blocks
 * @largest_free:	bytes in the largest free block
 * @used_bytes:		bytes in allocated blocks (powers of two)
 * @requested_bytes:	bytes their users asked for
 * @allocs:		allocations
 * @fails:		allocations refused for lack of memory
 * @frees:		frees
 * @frees_refused:	frees of no allocation, refused
 * @splits:		blocks split in two
 * @merges:		buddy pairs merged
 * @extfrag:		external fragmentation, 1 - largest_free / free_bytes,
 *			in thousandths
 * @__pad:		zero
 */
struct buddyslab_byte_buddy_stats {
	__u64 arenas;
	__u64 free_blocks;
	__u64 free_bytes;
	__u64 largest_free;
	__u64 used_bytes;
	__u64 requested_bytes;
	__u64 allocs;
	__u64 fails;
	__u64 frees;
	__u64 frees_refused;
	__u64 splits;
	__u64 merges;
	__u32 extfrag;
	__u32 __pad;
};

/**
 * struct buddyslab_stats - what BUDDYSLAB_IOC_STATS returns: one snapshot
 * @buddy:	the buddy allocator
 * @slab:	the slab allocator
 * @fit:	the sequential-fit allocators
 * @genpool:	the genpool allocator (ABI 2)
 * @byte_buddy:	the byte buddy allocator (ABI 2)
 */
struct buddyslab_stats {
	struct buddyslab_buddy_stats buddy;
	struct buddyslab_slab_stats slab;
	struct buddyslab_fit_stats fit;
	struct buddyslab_genpool_stats genpool;
	struct buddyslab_byte_buddy_stats byte_buddy;
};

#define BUDDYSLAB_IOC_MAGIC	0xB9

#define BUDDYSLAB_IOC_INFO	_IOR(BUDDYSLAB_IOC_MAGIC, 0x0, struct buddyslab_info)
#define BUDDYSLAB_IOC_ALLOC	_IOWR(BUDDYSLAB_IOC_MAGIC, 0x1, struct buddyslab_alloc)
#define BUDDYSLAB_IOC_FREE	_IOW(BUDDYSLAB_IOC_MAGIC, 0x2, struct buddyslab_free)
#define BUDDYSLAB_IOC_CACHE_CREATE _IOWR(BUDDYSLAB_IOC_MAGIC, 0x3, struct buddyslab_cache_create)
#define BUDDYSLAB_IOC_CACHE_DESTROY _IOW(BUDDYSLAB_IOC_MAGIC, 0x4, struct buddyslab_cache_destroy)
#define BUDDYSLAB_IOC_BATCH	_IOWR(BUDDYSLAB_IOC_MAGIC, 0x5, struct buddyslab_batch)
#define BUDDYSLAB_IOC_STATS	_IOR(BUDDYSLAB_IOC_MAGIC, 0x6, struct buddyslab_stats)

#endif /* _UAPI_LINUX_BUDDYSLAB_H */
