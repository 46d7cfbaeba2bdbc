/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the device selftests: an open file of /dev/buddyslab on a
 * region that is whole and free when a test starts, and must be so again,
 * once every cache has been made to give back what it holds, when it ends.
 * Fixtures of their own (with variants, say) set up and tear down the same
 * way with bs_dev_setup() and bs_dev_teardown(); the checks that a request
 * changed nothing, and that the allocators are consistent, are here too.
 */
#ifndef BUDDYSLAB_DEV_FIXTURE_H
#define BUDDYSLAB_DEV_FIXTURE_H

#include "kselftest_harness.h"
#include "buddyslab_util.h"

/* Open the device: the whole region free, no cache holding any of it. */
static inline void bs_dev_setup(struct __test_metadata *_metadata, int *fd,
				struct buddyslab_info *info)
{
	*fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, *fd) TH_LOG("open %s: %s", BS_DEVICE, strerror(errno));
	ASSERT_EQ(0, bs_info(*fd, info));
	ASSERT_EQ(0, bs_reclaim(*fd, info));
	ASSERT_EQ(0, bs_info(*fd, info));
	ASSERT_EQ(info->region_bytes, info->free_bytes);
}

/* ... and leave it so: nothing a test did, right or wrong, leaks. */
static inline void bs_dev_teardown(struct __test_metadata *_metadata, int fd,
				   const struct buddyslab_info *info)
{
	EXPECT_EQ(0, bs_reclaim(fd, info));
	EXPECT_EQ(info->region_bytes, bs_free_bytes(fd));
	close(fd);
}

/* The statistics read as @before: what a refused request must leave. */
static inline void
bs_expect_stats_unchanged(struct __test_metadata *_metadata, int fd,
			  const struct buddyslab_stats *before)
{
	struct buddyslab_stats now;

	ASSERT_EQ(0, bs_stats(fd, &now));
	EXPECT_EQ(0, memcmp(before, &now, sizeof(now)));
}

/* debugfs validate runs and finds every allocator consistent. */
static inline void bs_expect_valid(struct __test_metadata *_metadata)
{
	char buf[256];

	ASSERT_EQ(0, bs_validate(buf, sizeof(buf)));
	EXPECT_STREQ(BS_VALID, buf);
}

FIXTURE(dev) {
	int fd;
	struct buddyslab_info info;
};

FIXTURE_SETUP(dev)
{
	bs_dev_setup(_metadata, &self->fd, &self->info);
}

FIXTURE_TEARDOWN(dev)
{
	bs_dev_teardown(_metadata, self->fd, &self->info);
}

#endif /* BUDDYSLAB_DEV_FIXTURE_H */
