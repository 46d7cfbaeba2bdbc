// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/buddyslab, run with the module loaded and nothing else
 * using it: INFO, ALLOC and FREE of the buddy allocator, ownership of
 * handles by open files, cleanup on close, the ABI's structure size rules,
 * the debugfs views, and every ioctl argument the device refuses: a table,
 * bad_ioctl, with a variant for each and the error it gets.
 *
 * Every test checks that the device's free bytes end where they started:
 * nothing a test does, right or wrong, may leak or half-happen.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dev_fixture.h"

TEST_F(dev, info)
{
	struct buddyslab_info *info = &self->info;

	EXPECT_EQ(BUDDYSLAB_ABI_VERSION, info->abi_version);
	EXPECT_STREQ(BUDDYSLAB_VERSION, info->module_version);
	EXPECT_EQ((uint32_t)getpagesize(), info->page_size);
	EXPECT_LT(0, info->max_order);
	EXPECT_LT(0, info->nr_arenas);
	EXPECT_EQ((uint64_t)info->page_size << info->max_order, info->arena_bytes);
	EXPECT_EQ(info->nr_arenas * info->arena_bytes, info->region_bytes);
	/* Nobody else uses the device while the selftests run. */
	EXPECT_EQ(info->region_bytes, info->free_bytes);
}

TEST_F(dev, alloc_rounds_to_power_of_two_pages)
{
	const uint64_t page = self->info.page_size;
	const struct { uint64_t size, granted; } cases[] = {
		{ 1, page },
		{ page, page },
		{ page + 1, 2 * page },
		{ 3 * page, 4 * page },
		{ 5 * page - 1, 8 * page },
		{ self->info.arena_bytes, self->info.arena_bytes },
	};
	struct buddyslab_alloc req;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, bs_alloc_buddy(self->fd, cases[i].size, &req));
		EXPECT_EQ(cases[i].size, req.size);
		EXPECT_EQ(cases[i].granted, req.granted);
		EXPECT_NE(0, req.handle);
		/* A buddy block is aligned to its own size. */
		EXPECT_EQ(0, req.offset % req.granted);
		EXPECT_GT(self->info.region_bytes, req.offset);
		EXPECT_EQ(self->info.free_bytes - req.granted,
			  bs_free_bytes(self->fd));
		EXPECT_EQ(0, bs_free(self->fd, req.handle));
		EXPECT_EQ(self->info.free_bytes, bs_free_bytes(self->fd));
	}
}

/*
 * The region whole, as arenas: the first (arena 0, for the buddy takes
 * the lowest arena with room) by the second file @other, the others by
 * this one, which so stays under its quota (the whole region, as vm.sh
 * loads the module) and gets -ENOMEM, not -EDQUOT, when it asks for more.
 * Then nothing is left for anyone. handles[0] is @other's.
 */
static int fill_region(int fd, int other, const struct buddyslab_info *info,
		       uint64_t *handles)
{
	struct buddyslab_alloc req;
	unsigned int i;
	int ret;

	for (i = 0; i < info->nr_arenas; i++) {
		ret = bs_alloc_buddy(i ? fd : other, info->arena_bytes, &req);
		if (ret)
			return ret;
		handles[i] = req.handle;
	}
	return 0;
}

TEST_F(dev, alloc_until_exhausted)
{
	int other = open(BS_DEVICE, O_RDWR);
	struct buddyslab_alloc req;
	uint64_t handles[64];
	unsigned int i;

	ASSERT_LE(0, other);
	ASSERT_GE(64, self->info.nr_arenas);
	ASSERT_EQ(0, fill_region(self->fd, other, &self->info, handles));
	EXPECT_EQ(0, bs_free_bytes(self->fd));
	EXPECT_EQ(-ENOMEM, bs_alloc_buddy(self->fd, 1, &req));
	EXPECT_EQ(0, bs_free_bytes(self->fd));
	for (i = 1; i < self->info.nr_arenas; i++)
		EXPECT_EQ(0, bs_free(self->fd, handles[i]));
	close(other);
}

TEST_F(dev, handles_are_distinct_and_blocks_disjoint)
{
	struct buddyslab_alloc req[16];
	unsigned int i, j;

	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, bs_alloc_buddy(self->fd, (i % 4 + 1) * 4096, &req[i]));
	for (i = 0; i < 16; i++)
		for (j = 0; j < i; j++) {
			EXPECT_NE(req[i].handle, req[j].handle);
			EXPECT_TRUE(req[i].offset + req[i].granted <= req[j].offset ||
				    req[j].offset + req[j].granted <= req[i].offset);
		}
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0, bs_free(self->fd, req[i].handle));
}

TEST_F(dev, zero_flag_accepted)
{
	struct buddyslab_alloc req = {
		.size = 4096,
		.allocator = BUDDYSLAB_ALLOC_BUDDY,
		.flags = BUDDYSLAB_F_ZERO,
	};

	ASSERT_EQ(0, bs_ioctl(self->fd, BUDDYSLAB_IOC_ALLOC, &req));
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

TEST_F(dev, double_and_unknown_free)
{
	struct buddyslab_alloc req;

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 8192, &req));
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
	EXPECT_EQ(-ENOENT, bs_free(self->fd, req.handle));
	EXPECT_EQ(-ENOENT, bs_free(self->fd, 0));
	EXPECT_EQ(-ENOENT, bs_free(self->fd, req.handle + 1000));
	EXPECT_EQ(-ENOENT, bs_free(self->fd, UINT64_MAX));
	EXPECT_EQ(-ENOENT, bs_free(self->fd, req.handle + (1ULL << 32)));
}

TEST_F(dev, handles_belong_to_their_file)
{
	struct buddyslab_alloc mine, theirs;
	int other = open(BS_DEVICE, O_RDWR);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 4096, &mine));
	ASSERT_EQ(0, bs_alloc_buddy(other, 4096, &theirs));

	/* Each file hands out its own handles; neither reaches the other's. */
	EXPECT_EQ(-ENOENT, bs_free(other, mine.handle == theirs.handle ?
				   mine.handle + 1 : mine.handle));
	EXPECT_EQ(0, bs_free(self->fd, mine.handle));
	EXPECT_EQ(-ENOENT, bs_free(self->fd, mine.handle));
	EXPECT_EQ(0, bs_free(other, theirs.handle));
	close(other);
}

TEST_F(dev, foreign_handle_refused)
{
	struct buddyslab_alloc theirs, mine;
	int other = open(BS_DEVICE, O_RDWR);

	ASSERT_LE(0, other);
	/* Two allocations in the other file, one here: handle 2 is theirs. */
	ASSERT_EQ(0, bs_alloc_buddy(other, 4096, &theirs));
	ASSERT_EQ(0, bs_alloc_buddy(other, 4096, &theirs));
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 4096, &mine));
	ASSERT_NE(mine.handle, theirs.handle);

	EXPECT_EQ(-ENOENT, bs_free(self->fd, theirs.handle));
	EXPECT_EQ(self->info.free_bytes - 3 * 4096, bs_free_bytes(self->fd));
	EXPECT_EQ(0, bs_free(self->fd, mine.handle));
	close(other);
}

TEST_F(dev, close_frees_everything)
{
	struct buddyslab_alloc req;
	int other = open(BS_DEVICE, O_RDWR);
	unsigned int i;

	ASSERT_LE(0, other);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, bs_alloc_buddy(other, 4096 << i, &req));
	EXPECT_GT(self->info.free_bytes, bs_free_bytes(self->fd));
	close(other);
	EXPECT_EQ(self->info.free_bytes, bs_free_bytes(self->fd));
}

/* struct buddyslab_alloc as a newer client with one more field sends it. */
struct alloc_v2 {
	struct buddyslab_alloc v1;
	uint64_t extra;
};

#define IOC_ALLOC_V2	_IOWR(BUDDYSLAB_IOC_MAGIC, 0x1, struct alloc_v2)
#define IOC_ALLOC_SHORT	_IOWR(BUDDYSLAB_IOC_MAGIC, 0x1, uint64_t)
#define IOC_INFO_SHORT	_IOR(BUDDYSLAB_IOC_MAGIC, 0x0, uint32_t)
#define IOC_STATS_SHORT	_IOR(BUDDYSLAB_IOC_MAGIC, 0x6, uint64_t)

/*
 * Every ioctl argument the device refuses, a variant each: the request, the
 * error it gets, and that it changes nothing, neither the statistics, nor
 * the free bytes, nor the argument.
 */
FIXTURE(bad_ioctl) {
	int fd;
	struct buddyslab_info info;
};

FIXTURE_VARIANT(bad_ioctl) {
	unsigned long cmd;
	const void *arg;	/* _IOC_SIZE(cmd) bytes; NULL: all zero */
	/* Sets what a constant cannot: a size of the device, a pointer. */
	void (*fix)(void *arg, const struct buddyslab_info *info);
	bool null_arg;		/* a NULL pointer for an argument */
	int error;
};

FIXTURE_SETUP(bad_ioctl)
{
	bs_dev_setup(_metadata, &self->fd, &self->info);
}

FIXTURE_TEARDOWN(bad_ioctl)
{
	bs_dev_teardown(_metadata, self->fd, &self->info);
}

TEST_F(bad_ioctl, refused)
{
	const size_t size = _IOC_SIZE(variant->cmd);
	uint64_t sent[32] = { 0 }, arg[32];
	struct buddyslab_stats before;

	ASSERT_TRUE(variant->null_arg || size <= sizeof(sent));
	if (variant->arg)
		memcpy(sent, variant->arg, size);
	if (variant->fix)
		variant->fix(sent, &self->info);
	memcpy(arg, sent, sizeof(arg));
	ASSERT_EQ(0, bs_stats(self->fd, &before));
	EXPECT_EQ(-variant->error, bs_ioctl(self->fd, variant->cmd,
					    variant->null_arg ? NULL : arg));
	if (!variant->null_arg)
		EXPECT_EQ(0, memcmp(sent, arg, size));
	bs_expect_stats_unchanged(_metadata, self->fd, &before);
	EXPECT_EQ(self->info.free_bytes, bs_free_bytes(self->fd));
}

static void alloc_size_past_arena(void *arg, const struct buddyslab_info *info)
{
	((struct buddyslab_alloc *)arg)->size = info->arena_bytes + 1;
}

static void cache_size_of_arena(void *arg, const struct buddyslab_info *info)
{
	((struct buddyslab_cache_create *)arg)->object_size = info->arena_bytes;
}

static void cache_name_unterminated(void *arg,
				    const struct buddyslab_info *info)
{
	struct buddyslab_cache_create *req = arg;

	memset(req->name, 'a', sizeof(req->name));
}

/* Operations a batch never gets to read: its count is refused first. */
static struct buddyslab_batch_op unread_ops[8];

static void batch_ops_readable(void *arg, const struct buddyslab_info *info)
{
	((struct buddyslab_batch *)arg)->ops = (uintptr_t)unread_ops;
}

/* An ioctl and its argument, given the fields it sets. */
#define BAD_ALLOC(...)							\
	.cmd = BUDDYSLAB_IOC_ALLOC,					\
	.arg = &(struct buddyslab_alloc){ __VA_ARGS__ }
#define BAD_CACHE(...)							\
	.cmd = BUDDYSLAB_IOC_CACHE_CREATE,				\
	.arg = &(struct buddyslab_cache_create){ __VA_ARGS__ }
#define BAD_DESTROY(...)						\
	.cmd = BUDDYSLAB_IOC_CACHE_DESTROY,				\
	.arg = &(struct buddyslab_cache_destroy){ __VA_ARGS__ }
#define BAD_BATCH(...)							\
	.cmd = BUDDYSLAB_IOC_BATCH,					\
	.arg = &(struct buddyslab_batch){ __VA_ARGS__ }

/* ALLOC: sizes, allocators, what one allocator takes and another does not. */
FIXTURE_VARIANT_ADD(bad_ioctl, alloc_buddy_size_zero) {
	BAD_ALLOC(.size = 0, .allocator = BUDDYSLAB_ALLOC_BUDDY),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_buddy_size_past_arena) {
	BAD_ALLOC(.allocator = BUDDYSLAB_ALLOC_BUDDY),
	.fix = alloc_size_past_arena,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_buddy_size_max) {
	BAD_ALLOC(.size = UINT64_MAX, .allocator = BUDDYSLAB_ALLOC_BUDDY),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_allocator_0) {
	BAD_ALLOC(.size = 4096),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_allocator_77) {
	BAD_ALLOC(.size = 4096, .allocator = 77),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_allocator_99) {
	BAD_ALLOC(.size = 4096, .allocator = 99),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_slab_unknown_cache) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_SLAB,
		  .cache_id = 7),
	.error = ENOENT,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_slab_policy) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_SLAB,
		  .policy = BUDDYSLAB_FIT_BEST),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_slab_size_past_arena) {
	BAD_ALLOC(.allocator = BUDDYSLAB_ALLOC_SLAB),
	.fix = alloc_size_past_arena,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_slab_size_zero) {
	BAD_ALLOC(.size = 0, .allocator = BUDDYSLAB_ALLOC_SLAB),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_fit_policy_0) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_FIT),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_fit_unknown_policy) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_FIT,
		  .policy = BUDDYSLAB_FIT_WORST + 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_fit_cache) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_FIT,
		  .policy = BUDDYSLAB_FIT_FIRST, .cache_id = 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_fit_size_past_arena) {
	BAD_ALLOC(.allocator = BUDDYSLAB_ALLOC_FIT,
		  .policy = BUDDYSLAB_FIT_FIRST),
	.fix = alloc_size_past_arena,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_genpool_policy_0) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_GENPOOL),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_genpool_unknown_policy) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_GENPOOL,
		  .policy = BUDDYSLAB_GENPOOL_BEST + 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_genpool_cache) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_GENPOOL,
		  .policy = BUDDYSLAB_GENPOOL_FIRST, .cache_id = 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_genpool_size_past_arena) {
	BAD_ALLOC(.allocator = BUDDYSLAB_ALLOC_GENPOOL,
		  .policy = BUDDYSLAB_GENPOOL_BEST),
	.fix = alloc_size_past_arena,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_byte_buddy_policy) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_BYTE_BUDDY,
		  .policy = BUDDYSLAB_FIT_FIRST),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_byte_buddy_cache) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_BYTE_BUDDY,
		  .cache_id = 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_byte_buddy_size_past_arena) {
	BAD_ALLOC(.allocator = BUDDYSLAB_ALLOC_BYTE_BUDDY),
	.fix = alloc_size_past_arena,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_buddy_policy) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_BUDDY,
		  .policy = BUDDYSLAB_FIT_FIRST),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_buddy_cache) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_BUDDY,
		  .cache_id = 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_unknown_flags) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_BUDDY,
		  .flags = ~BUDDYSLAB_F_ALL),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_flag_31) {
	BAD_ALLOC(.size = 4096, .allocator = BUDDYSLAB_ALLOC_BUDDY,
		  .flags = 1U << 31),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_null) {
	.cmd = BUDDYSLAB_IOC_ALLOC,
	.null_arg = true,
	.error = EFAULT,
};

/* FREE of a handle this file never had (see also double_and_unknown_free). */
FIXTURE_VARIANT_ADD(bad_ioctl, free_unknown_handle) {
	.cmd = BUDDYSLAB_IOC_FREE,
	.arg = &(struct buddyslab_free){ .handle = 12345 },
	.error = ENOENT,
};

/* CACHE_CREATE: names, sizes, alignments, flags. */
FIXTURE_VARIANT_ADD(bad_ioctl, cache_name_empty) {
	BAD_CACHE(.name = "", .object_size = 64),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_name_with_space) {
	BAD_CACHE(.name = "with space", .object_size = 64),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_name_unterminated) {
	BAD_CACHE(.object_size = 8),
	.fix = cache_name_unterminated,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_size_zero) {
	BAD_CACHE(.name = "c", .object_size = 0),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_size_of_arena) {
	BAD_CACHE(.name = "c"),
	.fix = cache_size_of_arena,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_align_3) {
	BAD_CACHE(.name = "c", .object_size = 64, .align = 3),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_align_8192) {
	BAD_CACHE(.name = "c", .object_size = 64, .align = 8192),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_unknown_flags) {
	BAD_CACHE(.name = "c", .object_size = 64, .flags = 1U << 9),
	.error = EINVAL,
};

/* CACHE_DESTROY of no cache, or with its padding set. */
FIXTURE_VARIANT_ADD(bad_ioctl, cache_destroy_pad) {
	BAD_DESTROY(.cache_id = 1, .__pad = 1),
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_destroy_id_0) {
	BAD_DESTROY(.cache_id = 0),
	.error = ENOENT,
};

FIXTURE_VARIANT_ADD(bad_ioctl, cache_destroy_unknown) {
	BAD_DESTROY(.cache_id = 999),
	.error = ENOENT,
};

/* BATCH: counts, and operations at a bad pointer. */
FIXTURE_VARIANT_ADD(bad_ioctl, batch_no_ops) {
	BAD_BATCH(.nr_ops = 0),
	.fix = batch_ops_readable,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, batch_too_many_ops) {
	BAD_BATCH(.nr_ops = BUDDYSLAB_BATCH_MAX + 1),
	.fix = batch_ops_readable,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, batch_bad_pointer) {
	BAD_BATCH(.ops = 8, .nr_ops = 8),
	.error = EFAULT,
};

/* STATS into too little room, or nowhere. */
FIXTURE_VARIANT_ADD(bad_ioctl, stats_short) {
	.cmd = IOC_STATS_SHORT,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, stats_null) {
	.cmd = BUDDYSLAB_IOC_STATS,
	.null_arg = true,
	.error = EFAULT,
};

/* Structures shorter than their first version, or with an unknown tail set. */
FIXTURE_VARIANT_ADD(bad_ioctl, alloc_short) {
	.cmd = IOC_ALLOC_SHORT,
	.arg = &(uint64_t){ 4096 },
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, info_short) {
	.cmd = IOC_INFO_SHORT,
	.error = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_ioctl, alloc_tail_set) {
	.cmd = IOC_ALLOC_V2,
	.arg = &(struct alloc_v2){ .v1 = { .size = 4096,
				   .allocator = BUDDYSLAB_ALLOC_BUDDY },
				   .extra = 1 },
	.error = E2BIG,
};

/* Unknown ioctls; the right number with the wrong direction is not that one. */
FIXTURE_VARIANT_ADD(bad_ioctl, unknown_number) {
	.cmd = _IOR(BUDDYSLAB_IOC_MAGIC, 0x3f, struct buddyslab_info),
	.error = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad_ioctl, unknown_magic) {
	.cmd = _IOR('x', 0, struct buddyslab_info),
	.error = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad_ioctl, info_wrong_direction) {
	.cmd = _IOW(BUDDYSLAB_IOC_MAGIC, 0, struct buddyslab_info),
	.error = ENOTTY,
};

/*
 * A larger structure with a zero tail, as a newer client sends it: accepted,
 * and the tail left alone. (One with its tail set, or one shorter than the
 * first version, is refused: see bad_ioctl.)
 */
TEST_F(dev, struct_size_compatibility)
{
	struct alloc_v2 v2 = { .v1 = { .size = 4096,
				       .allocator = BUDDYSLAB_ALLOC_BUDDY } };

	ASSERT_EQ(0, bs_ioctl(self->fd, IOC_ALLOC_V2, &v2));
	EXPECT_EQ(4096, v2.v1.granted);
	EXPECT_EQ(0, v2.extra);
	EXPECT_EQ(0, bs_free(self->fd, v2.v1.handle));
}

/* Free blocks of each order in arena @arena, from debugfs buddyinfo. */
static int buddyinfo_arena(unsigned int arena, unsigned long *nr_free,
			   unsigned int nr_orders)
{
	char buf[8192], *line, *save = NULL;
	unsigned int a, i;
	int n;

	if (bs_read_file(BS_DEBUGFS "/buddyinfo", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "Arena %u%n", &a, &n) != 1 || a != arena)
			continue;
		line += n;
		for (i = 0; i < nr_orders; i++) {
			if (sscanf(line, " %lu%n", &nr_free[i], &n) != 1)
				return -1;
			line += n;
		}
		return *line ? -1 : 0;
	}
	return -1;
}

TEST_F(dev, debugfs_buddyinfo_follows_allocations)
{
	const unsigned int orders = self->info.max_order + 1;
	/* A CPU's cache refills with 64 pages, cut from one block. */
	const unsigned int batch_order = 6;
	unsigned long nr_free[64];
	struct buddyslab_alloc req;
	unsigned int a, o;

	ASSERT_GE(64, orders);
	/* buddyinfo leaves out the per-CPU caches: empty them first. */
	ASSERT_EQ(0, bs_reclaim(self->fd, &self->info));
	for (a = 0; a < self->info.nr_arenas; a++) {
		ASSERT_EQ(0, buddyinfo_arena(a, nr_free, orders));
		for (o = 0; o < orders; o++)
			EXPECT_EQ(o == orders - 1, nr_free[o]);
	}

	/*
	 * One page: the cache cuts its batch from its CPU's starting arena,
	 * which splits down to it, leaving one free block of every order from
	 * the batch's up; the page is the arena's first.
	 */
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 1, &req));
	EXPECT_EQ(0, req.offset % self->info.arena_bytes);
	a = req.offset / self->info.arena_bytes;
	ASSERT_GT(self->info.nr_arenas, a);
	ASSERT_EQ(0, buddyinfo_arena(a, nr_free, orders));
	for (o = 0; o < orders; o++)
		EXPECT_EQ(o >= batch_order && o < orders - 1, nr_free[o]);

	/* A block larger than the caches hold comes from the lists directly. */
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
	ASSERT_EQ(0, bs_reclaim(self->fd, &self->info));
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, self->info.arena_bytes / 2, &req));
	ASSERT_EQ(0, buddyinfo_arena(0, nr_free, orders));
	for (o = 0; o < orders; o++)
		EXPECT_EQ(o == orders - 2, nr_free[o]);
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
	ASSERT_EQ(0, buddyinfo_arena(0, nr_free, orders));
	for (o = 0; o < orders; o++)
		EXPECT_EQ(o == orders - 1, nr_free[o]);
}

/* Checked with memory held by every allocator. */
TEST_F(dev, debugfs_validate)
{
	const char *path = BS_DEBUGFS "/validate";
	struct buddyslab_alloc req, slab, fit;
	char buf[256];
	int fd;

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 3 * 4096, &req));
	ASSERT_EQ(0, bs_alloc_slab(self->fd, 100, &slab));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 1000, BUDDYSLAB_FIT_BEST, &fit));
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "0", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, write(fd, "1", 1));
	close(fd);
	ASSERT_LT(0, bs_read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ(BS_VALID, buf);
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
	EXPECT_EQ(0, bs_free(self->fd, slab.handle));
	EXPECT_EQ(0, bs_free(self->fd, fit.handle));
}

TEST_F(dev, stats_follow_allocations)
{
	struct buddyslab_stats before, during, after;
	struct buddyslab_alloc req;
	const unsigned int order = 2;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	EXPECT_EQ(0, before.buddy.used_pages);
	EXPECT_EQ(self->info.region_bytes / self->info.page_size,
		  before.buddy.free_pages + before.buddy.cached_pages);
	EXPECT_LT(0, before.buddy.metadata_bytes);

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 4096 << order, &req));
	ASSERT_EQ(0, bs_stats(self->fd, &during));
	EXPECT_EQ(1 << order, during.buddy.used_pages);
	EXPECT_EQ(before.buddy.allocs[order] + 1, during.buddy.allocs[order]);
	EXPECT_EQ(before.buddy.frees[order], during.buddy.frees[order]);

	ASSERT_EQ(0, bs_free(self->fd, req.handle));
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(0, after.buddy.used_pages);
	EXPECT_EQ(before.buddy.frees[order] + 1, after.buddy.frees[order]);
	EXPECT_EQ(before.buddy.frees_refused, after.buddy.frees_refused);
}

TEST_F(dev, stats_count_exhaustion)
{
	int other = open(BS_DEVICE, O_RDWR);
	struct buddyslab_stats before, after;
	struct buddyslab_alloc req;
	uint64_t handles[64];

	ASSERT_LE(0, other);
	ASSERT_GE(64, self->info.nr_arenas);
	ASSERT_EQ(0, bs_stats(self->fd, &before));
	ASSERT_EQ(0, fill_region(self->fd, other, &self->info, handles));
	EXPECT_EQ(-ENOMEM, bs_alloc_buddy(self->fd, 1, &req));
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(before.buddy.alloc_fails + 1, after.buddy.alloc_fails);
	EXPECT_EQ(self->info.region_bytes / self->info.page_size,
		  after.buddy.used_pages);
	close(other);
	close(self->fd);
	self->fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, self->fd);
}

/* mm/vmstat.c's formulas, to check the figures the driver reports. */
static void vmstat_indices(const __u64 *nr_free, unsigned int nr_orders,
			   unsigned int order, int *unusable, int *extfrag)
{
	uint64_t pages = 0, blocks = 0, suitable = 0;
	unsigned int o;

	for (o = 0; o < nr_orders; o++) {
		blocks += nr_free[o];
		pages += nr_free[o] << o;
		if (o >= order)
			suitable += nr_free[o] << (o - order);
	}
	*unusable = pages ? (pages - (suitable << order)) * 1000 / pages : 1000;
	if (!blocks)
		*extfrag = 0;
	else if (suitable)
		*extfrag = -1000;
	else
		*extfrag = 1000 - (1000 + pages * 1000 / (1ULL << order)) / blocks;
}

TEST_F(dev, stats_fragmentation_indices)
{
	const unsigned int orders = self->info.max_order + 1;
	const unsigned int pages = self->info.region_bytes / self->info.page_size;
	struct buddyslab_stats stats;
	struct buddyslab_alloc req;
	int unusable, extfrag;
	uint64_t *handles;
	unsigned int i, o;

	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	for (o = 0; o < orders; o++) {
		EXPECT_EQ(0, stats.buddy.unusable_index[o]);
		EXPECT_EQ(-1000, stats.buddy.extfrag_index[o]);
	}

	/* Every page alone, then every other one freed: only order 0 fits. */
	handles = calloc(pages, sizeof(*handles));
	ASSERT_NE(NULL, handles);
	for (i = 0; i < pages; i++) {
		ASSERT_EQ(0, bs_alloc_buddy(self->fd, 1, &req));
		handles[i] = req.handle;
	}
	for (i = 0; i < pages; i += 2)
		ASSERT_EQ(0, bs_free(self->fd, handles[i]));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_LT(0, stats.buddy.nr_free[0]);
	for (o = 1; o < orders; o++)
		EXPECT_EQ(0, stats.buddy.nr_free[o]);
	for (o = 0; o < orders; o++) {
		vmstat_indices(stats.buddy.nr_free, orders, o, &unusable, &extfrag);
		EXPECT_EQ(unusable, stats.buddy.unusable_index[o]);
		EXPECT_EQ(extfrag, stats.buddy.extfrag_index[o]);
	}
	EXPECT_EQ(0, stats.buddy.unusable_index[0]);
	EXPECT_EQ(1000, stats.buddy.unusable_index[1]);
	EXPECT_LT(0, stats.buddy.extfrag_index[1]);
	for (o = orders; o < BUDDYSLAB_STATS_ORDERS; o++)
		EXPECT_EQ(0, stats.buddy.nr_free[o]);

	for (i = 1; i < pages; i += 2)
		ASSERT_EQ(0, bs_free(self->fd, handles[i]));
	free(handles);
}

/* The value of "name value" line @name in a debugfs file, or -1. */
static long long debugfs_value(const char *file, const char *name)
{
	char buf[16384], *p;
	size_t len = strlen(name);
	long long v;

	if (bs_read_file(file, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ' &&
		    sscanf(p + len, " %lld", &v) == 1)
			return v;
	return -1;
}

TEST_F(dev, debugfs_stats_match_ioctl)
{
	struct buddyslab_stats stats;
	struct buddyslab_alloc req;

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 3 * 4096, &req));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(4, debugfs_value(BS_DEBUGFS "/stats", "buddy_used_pages"));
	EXPECT_EQ((long long)stats.buddy.free_pages, debugfs_value(BS_DEBUGFS "/stats", "buddy_free_pages"));
	EXPECT_EQ((long long)stats.buddy.cached_pages, debugfs_value(BS_DEBUGFS "/stats", "buddy_cached_pages"));
	EXPECT_EQ((long long)stats.buddy.allocs[2], debugfs_value(BS_DEBUGFS "/stats", "buddy_allocs_order2"));
	EXPECT_EQ((long long)stats.buddy.splits, debugfs_value(BS_DEBUGFS "/stats", "buddy_splits"));
	EXPECT_EQ((long long)stats.buddy.metadata_bytes,
		  debugfs_value(BS_DEBUGFS "/stats", "buddy_metadata_bytes"));
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

/* Each line: a label, then one "%d.%03d" figure per order. */
static int index_file_lines(const char *path, unsigned int nr_orders,
			    int figures[][64], unsigned int max_lines)
{
	char buf[16384], *line, *save = NULL, *tok, *tsave;
	unsigned int n = 0, o;
	int whole, frac;

	if (bs_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && n < max_lines;
	     line = strtok_r(NULL, "\n", &save), n++) {
		tok = strtok_r(line, " ", &tsave);	/* "Arena" or "Region" */
		if (!strcmp(tok, "Arena"))
			strtok_r(NULL, " ", &tsave);
		for (o = 0; o < nr_orders; o++) {
			tok = strtok_r(NULL, " ", &tsave);
			if (!tok || sscanf(tok, "%d.%3d", &whole, &frac) != 2)
				return -1;
			figures[n][o] = whole * 1000 + (whole < 0 ? -frac : frac);
		}
		if (strtok_r(NULL, " ", &tsave))
			return -1;
	}
	return n;
}

TEST_F(dev, debugfs_indices_match_ioctl)
{
	const unsigned int orders = self->info.max_order + 1;
	static int figures[65][64];
	struct buddyslab_stats stats;
	struct buddyslab_alloc req;
	unsigned int o, n = self->info.nr_arenas;

	ASSERT_GE(64, n);
	ASSERT_GE(64, orders);
	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 5 * 4096, &req));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));

	ASSERT_EQ(n + 1, index_file_lines(BS_DEBUGFS "/unusable_index", orders,
					  figures, 65));
	for (o = 0; o < orders; o++)
		EXPECT_EQ(stats.buddy.unusable_index[o], figures[n][o]);
	ASSERT_EQ(n + 1, index_file_lines(BS_DEBUGFS "/extfrag_index", orders,
					  figures, 65));
	for (o = 0; o < orders; o++)
		EXPECT_EQ(stats.buddy.extfrag_index[o], figures[n][o]);
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

TEST_F(dev, debugfs_map_shows_allocations)
{
	const unsigned int per_arena = self->info.arena_bytes / self->info.page_size;
	static char buf[1 << 20];
	struct buddyslab_alloc req;
	unsigned int a, i, used = 0;
	char *line, *save = NULL;

	ASSERT_EQ(0, bs_alloc_buddy(self->fd, 64 << 10, &req));
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/map", buf, sizeof(buf)));
	for (a = 0, line = strtok_r(buf, "\n", &save); line;
	     a++, line = strtok_r(NULL, "\n", &save)) {
		ASSERT_EQ(5 + per_arena, strlen(line));
		EXPECT_EQ(a, strtoul(line, NULL, 10));
		for (i = 0; i < per_arena; i++) {
			char c = line[5 + i];
			uint64_t offset = ((uint64_t)a * per_arena + i) * 4096;
			int inside = offset >= req.offset &&
				     offset < req.offset + req.granted;

			EXPECT_TRUE(c == '.' || c == ',' || c == 'B');
			EXPECT_EQ(inside, c == 'B');
			used += c == 'B';
		}
	}
	EXPECT_EQ(self->info.nr_arenas, a);
	EXPECT_EQ(16, used);
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

TEST_F(dev, slab_size_classes)
{
	const struct { uint64_t size, granted; } cases[] = {
		{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 33, 64 }, { 65, 96 },
		{ 97, 128 }, { 129, 192 }, { 193, 256 }, { 300, 512 },
		{ 1000, 1024 }, { 2000, 2048 }, { 4000, 4096 }, { 5000, 8192 },
		{ 8192, 8192 },
		/* Past the largest class: whole pages from the buddy. */
		{ 8193, 16384 }, { 100000, 131072 },
	};
	struct buddyslab_alloc req;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, bs_alloc_slab(self->fd, cases[i].size, &req));
		EXPECT_EQ(cases[i].granted, req.granted) TH_LOG("size %llu",
			(unsigned long long)cases[i].size);
		EXPECT_EQ(0, req.offset % 8);
		/* Power-of-two classes are naturally aligned, as kmalloc's. */
		if (!(req.granted & (req.granted - 1)))
			EXPECT_EQ(0, req.offset % (req.granted < 4096 ? req.granted : 4096));
		EXPECT_GT(self->info.region_bytes, req.offset);
		EXPECT_EQ(0, bs_free(self->fd, req.handle));
	}
}

TEST_F(dev, slab_objects_disjoint_and_counted)
{
	struct buddyslab_stats before, during, after;
	struct buddyslab_alloc req[200];
	const unsigned int class64 = 3;
	unsigned int i, j;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	ASSERT_EQ(64, before.slab.classes[class64].object_size);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, bs_alloc_slab(self->fd, 50, &req[i]));
	for (i = 0; i < 200; i++)
		for (j = 0; j < i; j++)
			EXPECT_TRUE(req[i].offset + 64 <= req[j].offset ||
				    req[j].offset + 64 <= req[i].offset);
	ASSERT_EQ(0, bs_stats(self->fd, &during));
	EXPECT_EQ(200, during.slab.classes[class64].active_objs);
	EXPECT_EQ(before.slab.classes[class64].allocs + 200,
		  during.slab.classes[class64].allocs);
	EXPECT_EQ(before.slab.classes[class64].bytes_requested + 200 * 50,
		  during.slab.classes[class64].bytes_requested);
	EXPECT_EQ(before.slab.classes[class64].bytes_granted + 200 * 64,
		  during.slab.classes[class64].bytes_granted);
	EXPECT_LE(200, during.slab.classes[class64].num_objs);
	for (i = 0; i < 200; i++)
		EXPECT_EQ(0, bs_free(self->fd, req[i].handle));
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(0, after.slab.classes[class64].active_objs);
	EXPECT_EQ(before.slab.classes[class64].frees + 200,
		  after.slab.classes[class64].frees);
	EXPECT_EQ(0, after.slab.double_frees + after.slab.invalid_frees);
}

TEST_F(dev, debugfs_slabinfo)
{
	static const unsigned int sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256,
					      512, 1024, 2048, 4096, 8192 };
	unsigned long active, num, limit, batch, shared, aslabs, nslabs, avail;
	unsigned int objsize, perslab, pages, n = 0;
	struct buddyslab_alloc req[3];
	char buf[16384], name[64], *line, *save = NULL;
	unsigned int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, bs_alloc_slab(self->fd, 150, &req[i]));
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/slabinfo", buf, sizeof(buf)));
	line = strtok_r(buf, "\n", &save);
	ASSERT_NE(NULL, line);
	EXPECT_STREQ("slabinfo - version: 2.1", line);
	line = strtok_r(NULL, "\n", &save);
	ASSERT_NE(NULL, line);
	EXPECT_EQ(0, strncmp(line, "# name", 6));
	while ((line = strtok_r(NULL, "\n", &save))) {
		ASSERT_EQ(12, sscanf(line, "%63s %lu %lu %u %u %u : tunables %lu %lu %lu : slabdata %lu %lu %lu",
				     name, &active, &num, &objsize, &perslab, &pages,
				     &limit, &batch, &shared, &aslabs, &nslabs, &avail));
		ASSERT_GT(13, n);
		snprintf(buf, sizeof(buf), "size-%u", sizes[n]);
		EXPECT_STREQ(buf, name);
		EXPECT_LE(sizes[n], objsize);
		EXPECT_LE(active, num);
		EXPECT_EQ(num, nslabs * perslab);
		EXPECT_LE(aslabs, nslabs);
		/* Bonwick's rule: at most 1/8 of a slab unused. */
		EXPECT_GE(pages * 4096 / 8, pages * 4096 - perslab * objsize);
		if (sizes[n] == 192)
			EXPECT_EQ(3, active);
		n++;
	}
	EXPECT_EQ(13, n);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, bs_free(self->fd, req[i].handle));
}

TEST_F(dev, debugfs_map_shows_slab_pages)
{
	static char buf[1 << 20];
	struct buddyslab_alloc req;
	const unsigned int per_arena = self->info.arena_bytes / self->info.page_size;
	unsigned long page;
	char *line;
	unsigned int a;

	ASSERT_EQ(0, bs_alloc_slab(self->fd, 24, &req));
	page = req.offset / self->info.page_size;
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/map", buf, sizeof(buf)));
	line = buf;
	for (a = 0; a < page / per_arena; a++)
		line = strchr(line, '\n') + 1;
	EXPECT_EQ('S', line[5 + page % per_arena]);
	EXPECT_EQ(0, bs_free(self->fd, req.handle));
}

/*
 * Holes of 256, 128 and 128 bytes between allocations at the start of a
 * fresh fit arena; each policy takes the block the textbook says.
 */
TEST_F(dev, fit_policies)
{
	const uint64_t sizes[] = { 64, 256, 64, 128, 64, 128, 64 };
	struct buddyslab_alloc req[7], got;
	uint64_t base;
	unsigned int i;

	for (i = 0; i < 7; i++)
		ASSERT_EQ(0, bs_alloc_fit(self->fd, sizes[i], BUDDYSLAB_FIT_FIRST, &req[i]));
	base = req[0].offset;
	EXPECT_EQ(0, base % self->info.arena_bytes);
	for (i = 1; i < 7; i++)
		EXPECT_EQ(req[i - 1].offset + sizes[i - 1], req[i].offset);
	/* Free blocks: 256 at 64, 128 at 384, 128 at 576, then the rest. */
	EXPECT_EQ(0, bs_free(self->fd, req[1].handle));
	EXPECT_EQ(0, bs_free(self->fd, req[3].handle));
	EXPECT_EQ(0, bs_free(self->fd, req[5].handle));

	ASSERT_EQ(0, bs_alloc_fit(self->fd, 100, BUDDYSLAB_FIT_BEST, &got));
	EXPECT_EQ(base + 384, got.offset);
	EXPECT_EQ(112, got.granted);
	EXPECT_EQ(0, bs_free(self->fd, got.handle));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 100, BUDDYSLAB_FIT_FIRST, &got));
	EXPECT_EQ(base + 64, got.offset);
	EXPECT_EQ(0, bs_free(self->fd, got.handle));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 100, BUDDYSLAB_FIT_WORST, &got));
	EXPECT_EQ(base + 768, got.offset);
	EXPECT_EQ(0, bs_free(self->fd, got.handle));

	for (i = 0; i < 7; i += 2)
		EXPECT_EQ(0, bs_free(self->fd, req[i].handle));
}

TEST_F(dev, fitinfo_and_stats)
{
	struct buddyslab_stats before, stats;
	struct buddyslab_alloc a, b, c;
	char buf[4096];

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 1000, BUDDYSLAB_FIT_FIRST, &a));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 2000, BUDDYSLAB_FIT_NEXT, &b));
	ASSERT_EQ(0, bs_alloc_fit(self->fd, 3000, BUDDYSLAB_FIT_WORST, &c));
	EXPECT_EQ(0, bs_free(self->fd, b.handle));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(1, stats.fit.arenas);
	EXPECT_EQ(2, stats.fit.free_blocks);
	EXPECT_EQ(1008 + 3008, stats.fit.used_bytes);
	EXPECT_EQ(4000, stats.fit.requested_bytes);
	EXPECT_EQ(self->info.arena_bytes - 1008 - 3008, stats.fit.free_bytes);
	EXPECT_EQ(stats.fit.free_bytes - 2000, stats.fit.largest_free);
	EXPECT_EQ(1000 - stats.fit.largest_free * 1000 / stats.fit.free_bytes,
		  stats.fit.extfrag);
	EXPECT_EQ(before.fit.allocs[BUDDYSLAB_FIT_FIRST - 1] + 1,
		  stats.fit.allocs[BUDDYSLAB_FIT_FIRST - 1]);
	EXPECT_EQ(before.fit.allocs[BUDDYSLAB_FIT_NEXT - 1] + 1,
		  stats.fit.allocs[BUDDYSLAB_FIT_NEXT - 1]);
	EXPECT_EQ(before.fit.allocs[BUDDYSLAB_FIT_WORST - 1] + 1,
		  stats.fit.allocs[BUDDYSLAB_FIT_WORST - 1]);
	EXPECT_EQ(before.fit.frees + 1, stats.fit.frees);

	EXPECT_EQ(1, debugfs_value(BS_DEBUGFS "/fitinfo", "arenas"));
	EXPECT_EQ(2, debugfs_value(BS_DEBUGFS "/fitinfo", "free_blocks"));
	EXPECT_EQ((long long)stats.fit.free_bytes,
		  debugfs_value(BS_DEBUGFS "/fitinfo", "free_bytes"));
	EXPECT_EQ((long long)stats.fit.largest_free,
		  debugfs_value(BS_DEBUGFS "/fitinfo", "largest_free"));
	EXPECT_EQ((long long)stats.fit.allocs[BUDDYSLAB_FIT_WORST - 1],
		  debugfs_value(BS_DEBUGFS "/stats", "fit_worst_allocs"));
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/fitinfo", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "external_fragmentation 0.00"));

	EXPECT_EQ(0, bs_free(self->fd, a.handle));
	EXPECT_EQ(0, bs_free(self->fd, c.handle));
	/* The arena is entirely free: back to the buddy. */
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(0, stats.fit.arenas);
	EXPECT_EQ(0, stats.fit.free_bytes);
}

/* The map's line for the arena that holds @offset, or NULL. */
static char *map_arena_line(char *map, uint64_t offset,
			    const struct buddyslab_info *info)
{
	unsigned int arena = offset / info->arena_bytes, a;
	char *line, *save = NULL;
	int n;

	for (line = strtok_r(map, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " %u %n", &a, &n) == 1 && a == arena)
			return line + n;
	return NULL;
}

/* Whether the map shows the arena that holds @offset all as @letter. */
static bool map_arena_is(uint64_t offset, char letter,
			 const struct buddyslab_info *info)
{
	static char map[1 << 20];
	size_t pages = info->arena_bytes / info->page_size;
	char *line;
	size_t i;

	if (bs_read_file(BS_DEBUGFS "/map", map, sizeof(map)) < 0)
		return false;
	line = map_arena_line(map, offset, info);
	if (!line || strlen(line) != pages)
		return false;
	for (i = 0; i < pages; i++)
		if (line[i] != letter)
			return false;
	return true;
}

/*
 * genpool: the kernel's first and best fit over one arena's bitmap, in
 * 16-byte grains. Holes of 4000 and 2000 bytes: first fit takes the lower,
 * best fit the smaller.
 */
TEST_F(dev, genpool_first_and_best)
{
	static const uint64_t sizes[] = { 1000, 4000, 1000, 2000, 1000 };
	struct buddyslab_stats before, stats;
	struct buddyslab_alloc req[5], first, best;
	uint64_t base;
	unsigned int i;

	ASSERT_EQ(0, bs_stats(self->fd, &before));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_GENPOOL,
				      sizes[i], 0, BUDDYSLAB_GENPOOL_FIRST,
				      &req[i]));
		EXPECT_EQ((sizes[i] + 15) & ~15ULL, req[i].granted);
	}
	base = req[0].offset;
	EXPECT_EQ(0, base % self->info.arena_bytes);
	EXPECT_EQ(base + 1008, req[1].offset);
	EXPECT_EQ(base + 5008, req[2].offset);
	EXPECT_EQ(base + 6016, req[3].offset);
	EXPECT_EQ(base + 8016, req[4].offset);
	EXPECT_TRUE(map_arena_is(base, 'G', &self->info));
	EXPECT_EQ(0, bs_free(self->fd, req[1].handle));
	EXPECT_EQ(0, bs_free(self->fd, req[3].handle));

	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(1, stats.genpool.arenas);
	EXPECT_EQ(3, stats.genpool.free_blocks);
	EXPECT_EQ(3 * 1008, stats.genpool.used_bytes);
	EXPECT_EQ(3000, stats.genpool.requested_bytes);
	EXPECT_EQ(self->info.arena_bytes - 3 * 1008, stats.genpool.free_bytes);
	EXPECT_EQ(self->info.arena_bytes - 9024, stats.genpool.largest_free);
	EXPECT_EQ(1000 - stats.genpool.largest_free * 1000 /
		  stats.genpool.free_bytes, stats.genpool.extfrag);
	EXPECT_EQ(before.genpool.allocs[BUDDYSLAB_GENPOOL_FIRST - 1] + 5,
		  stats.genpool.allocs[BUDDYSLAB_GENPOOL_FIRST - 1]);
	EXPECT_EQ(before.genpool.frees + 2, stats.genpool.frees);
	EXPECT_EQ(1, debugfs_value(BS_DEBUGFS "/genpoolinfo", "arenas"));
	EXPECT_EQ((long long)stats.genpool.largest_free,
		  debugfs_value(BS_DEBUGFS "/genpoolinfo", "largest_free"));
	EXPECT_EQ((long long)stats.genpool.allocs[BUDDYSLAB_GENPOOL_FIRST - 1],
		  debugfs_value(BS_DEBUGFS "/stats", "genpool_first_allocs"));

	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_GENPOOL, 1600, 0,
			      BUDDYSLAB_GENPOOL_FIRST, &first));
	EXPECT_EQ(base + 1008, first.offset);
	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_GENPOOL, 1600, 0,
			      BUDDYSLAB_GENPOOL_BEST, &best));
	EXPECT_EQ(base + 6016, best.offset);
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(before.genpool.allocs[BUDDYSLAB_GENPOOL_BEST - 1] + 1,
		  stats.genpool.allocs[BUDDYSLAB_GENPOOL_BEST - 1]);

	EXPECT_EQ(0, bs_free(self->fd, first.handle));
	EXPECT_EQ(0, bs_free(self->fd, best.handle));
	for (i = 0; i < 5; i += 2)
		EXPECT_EQ(0, bs_free(self->fd, req[i].handle));
	/* The arena is entirely free: back to the buddy. */
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(0, stats.genpool.arenas);
	EXPECT_EQ(0, stats.genpool.used_bytes);
}

/*
 * The byte buddy: Knuth's binary buddy in 16-byte grains, lowest address
 * first. 100 bytes split the arena down to a 128-byte block at its start,
 * 20 bytes take 32 at 128 (splitting the 128 at 128 twice), 1000 bytes the
 * 1024 at 1024 the first split left free; freeing the 32 merges it back up
 * to 128 at 128, whose buddy at 0 is in use.
 */
TEST_F(dev, byte_buddy_splits_and_merges)
{
	struct buddyslab_stats before, stats;
	struct buddyslab_alloc a, b, c;
	const unsigned int top = 18;	/* 4 MiB arena / 16 bytes = 2^18 */

	ASSERT_EQ(4ULL << 20, self->info.arena_bytes);
	ASSERT_EQ(0, bs_stats(self->fd, &before));
	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_BYTE_BUDDY, 100, 0, 0,
			      &a));
	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_BYTE_BUDDY, 20, 0, 0,
			      &b));
	ASSERT_EQ(0, bs_alloc(self->fd, BUDDYSLAB_ALLOC_BYTE_BUDDY, 1000, 0, 0,
			      &c));
	EXPECT_EQ(128, a.granted);
	EXPECT_EQ(32, b.granted);
	EXPECT_EQ(1024, c.granted);
	EXPECT_EQ(0, a.offset % self->info.arena_bytes);
	EXPECT_EQ(a.offset + 128, b.offset);
	EXPECT_EQ(a.offset + 1024, c.offset);
	EXPECT_TRUE(map_arena_is(a.offset, 'Y', &self->info));

	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(1, stats.byte_buddy.arenas);
	/* Free: 32, 64, 256, 512 and one of each from 2048 to 2 MiB. */
	EXPECT_EQ(4 + (top - 7), stats.byte_buddy.free_blocks);
	EXPECT_EQ(self->info.arena_bytes - 128 - 32 - 1024,
		  stats.byte_buddy.free_bytes);
	EXPECT_EQ(self->info.arena_bytes / 2, stats.byte_buddy.largest_free);
	EXPECT_EQ(128 + 32 + 1024, stats.byte_buddy.used_bytes);
	EXPECT_EQ(1120, stats.byte_buddy.requested_bytes);
	EXPECT_EQ(before.byte_buddy.splits + (top - 3) + 2,
		  stats.byte_buddy.splits);
	EXPECT_EQ(before.byte_buddy.allocs + 3, stats.byte_buddy.allocs);

	EXPECT_EQ(0, bs_free(self->fd, b.handle));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	EXPECT_EQ(before.byte_buddy.merges + 2, stats.byte_buddy.merges);
	EXPECT_EQ(3 + (top - 7), stats.byte_buddy.free_blocks);
	EXPECT_EQ((long long)stats.byte_buddy.free_blocks,
		  debugfs_value(BS_DEBUGFS "/byte_buddyinfo", "free_blocks"));
	EXPECT_EQ((long long)stats.byte_buddy.splits,
		  debugfs_value(BS_DEBUGFS "/stats", "byte_buddy_splits"));

	EXPECT_EQ(0, bs_free(self->fd, a.handle));
	EXPECT_EQ(0, bs_free(self->fd, c.handle));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	/* Every split undone, the arena whole again and given back. */
	EXPECT_EQ(0, stats.byte_buddy.arenas);
	EXPECT_EQ(before.byte_buddy.merges + (top - 3) + 2,
		  stats.byte_buddy.merges);
}

/* A client built for ABI 1 asks STATS with the structure it knows. */
TEST_F(dev, stats_of_abi_1)
{
	struct buddyslab_stats whole;
	struct {
		struct buddyslab_buddy_stats buddy;
		struct buddyslab_slab_stats slab;
		struct buddyslab_fit_stats fit;
	} v1;

	ASSERT_EQ(0, bs_ioctl(self->fd, _IOR(BUDDYSLAB_IOC_MAGIC, 0x6, v1), &v1));
	ASSERT_EQ(0, bs_stats(self->fd, &whole));
	EXPECT_EQ(whole.buddy.free_pages + whole.buddy.cached_pages,
		  v1.buddy.free_pages + v1.buddy.cached_pages);
	EXPECT_EQ(whole.fit.arenas, v1.fit.arenas);
}

/* A client built for ABI 2 passes the structure without module_version. */
TEST_F(dev, info_of_abi_2)
{
	struct {
		__u32 abi_version, page_size, max_order, nr_arenas;
		__u64 arena_bytes, region_bytes, free_bytes;
	} v2;

	ASSERT_EQ(0, bs_ioctl(self->fd, _IOR(BUDDYSLAB_IOC_MAGIC, 0x0, v2), &v2));
	EXPECT_EQ(BUDDYSLAB_ABI_VERSION, v2.abi_version);
	EXPECT_EQ(self->info.nr_arenas, v2.nr_arenas);
	EXPECT_EQ(self->info.region_bytes, v2.region_bytes);
}

TEST_HARNESS_MAIN
