// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab region: the physical memory the allocators manage.
 *
 * The region is taken from the kernel's page allocator as chunks of the
 * largest order alloc_pages() can return (order 10, 4 MiB, on x86-64). A
 * chunk is naturally aligned and physically contiguous, so each one can be a
 * complete binary buddy arena of its own: no buddy ever straddles two chunks.
 *
 * Sizes are checked before anything is taken: zero, a size that is not a
 * whole number of chunks, or more than half of the machine's RAM is refused
 * with -EINVAL and a message giving the valid range. If any chunk cannot be
 * had, every chunk already taken goes back and the caller gets -ENOMEM: a
 * region is either complete or not there at all.
 *
 * To find the chunk of an address without a search, the first page of each
 * chunk records the chunk's index in its page_private(), which belongs to
 * whoever allocated the page; the record is trusted only if that chunk's
 * first page is indeed this page, so a stray address is told apart.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/slab.h>

#include "fault.h"
#include "region.h"

/* The most a region may take: half of RAM leaves the machine usable. */
static u64 bs_region_max_bytes(void)
{
	return ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

/**
 * bs_region_init() - take a region from the page allocator
 * @region:	the region to fill in
 * @bytes:	its size: a whole number of chunks, at most half of RAM
 *
 * Return: 0 on success, -EINVAL for a size out of range, -ENOMEM when the
 * chunks cannot be had (nothing is kept then).
 */
int bs_region_init(struct bs_region *region, u64 bytes)
{
	u64 max_bytes = round_down(bs_region_max_bytes(), BS_ARENA_BYTES);
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	unsigned int nr_chunks, i;

	if (!bytes || bytes % BS_ARENA_BYTES || bytes > max_bytes) {
		pr_err("region of %llu bytes refused: region_mb must be a multiple of %lu from %lu to %llu\n",
		       bytes, BS_ARENA_BYTES >> 20,
		       BS_ARENA_BYTES >> 20, max_bytes >> 20);
		return -EINVAL;
	}
	nr_chunks = div_u64(bytes, BS_ARENA_BYTES);

	region->chunks = bs_fault() ? NULL :
			 kcalloc(nr_chunks, sizeof(*region->chunks), GFP_KERNEL);
	if (!region->chunks)
		return -ENOMEM;

	for (i = 0; i < nr_chunks; i++) {
		region->chunks[i] = bs_fault() ? NULL :
				    alloc_pages(gfp, BS_ARENA_ORDER);
		if (!region->chunks[i]) {
			pr_err("only %u of %u chunks of order %u could be allocated; region released\n",
			       i, nr_chunks, BS_ARENA_ORDER);
			goto err_free_chunks;
		}
	}
	for (i = 0; i < nr_chunks; i++)
		set_page_private(region->chunks[i], i);
	region->nr_chunks = nr_chunks;
	return 0;

err_free_chunks:
	while (i--)
		__free_pages(region->chunks[i], BS_ARENA_ORDER);
	kfree(region->chunks);
	region->chunks = NULL;
	return -ENOMEM;
}

/**
 * bs_region_fini() - give a region's chunks back to the page allocator
 * @region:	a region bs_region_init() filled in
 */
void bs_region_fini(struct bs_region *region)
{
	unsigned int i;

	for (i = 0; i < region->nr_chunks; i++) {
		set_page_private(region->chunks[i], 0);
		__free_pages(region->chunks[i], BS_ARENA_ORDER);
	}
	kfree(region->chunks);
	region->chunks = NULL;
	region->nr_chunks = 0;
}

/**
 * bs_region_locate() - the page of a region an address is in
 * @region:	the region
 * @addr:	any address
 * @pgoff:	out: the page, counted from the region's start (chunk after
 *		chunk)
 *
 * Return: 0 if @addr is in @region, -EINVAL otherwise.
 */
int bs_region_locate(const struct bs_region *region, const void *addr,
		     unsigned long *pgoff)
{
	unsigned long pfn, first, chunk;
	struct page *head;

	if (!virt_addr_valid(addr))
		return -EINVAL;
	pfn = page_to_pfn(virt_to_page(addr));
	first = round_down(pfn, BS_ARENA_PAGES);
	if (!pfn_valid(first))
		return -EINVAL;
	head = pfn_to_page(first);
	chunk = page_private(head);
	if (chunk >= region->nr_chunks || region->chunks[chunk] != head)
		return -EINVAL;
	*pgoff = chunk * BS_ARENA_PAGES + (pfn - first);
	return 0;
}
