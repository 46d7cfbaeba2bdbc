/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the device selftests: an open file of /dev/buddyslab on a
 * region that is whole and free when a test starts, and must be so again,
 * once every cache has been made to give back what it holds, when it ends.
 */
#ifndef BUDDYSLAB_DEV_FIXTURE_H
#define BUDDYSLAB_DEV_FIXTURE_H

#include "kselftest_harness.h"
#include "buddyslab_util.h"

FIXTURE(dev) {
	int fd;
	struct buddyslab_info info;
};

/* Every test starts with the whole region free, no cache holding any. */
FIXTURE_SETUP(dev)
{
	self->fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", BS_DEVICE, strerror(errno));
	ASSERT_EQ(0, bs_info(self->fd, &self->info));
	ASSERT_EQ(0, bs_reclaim(self->fd, &self->info));
	ASSERT_EQ(0, bs_info(self->fd, &self->info));
	ASSERT_EQ(self->info.region_bytes, self->info.free_bytes);
}

/* ... and must leave it so: nothing a test did, right or wrong, leaks. */
FIXTURE_TEARDOWN(dev)
{
	EXPECT_EQ(0, bs_reclaim(self->fd, &self->info));
	EXPECT_EQ(self->info.region_bytes, bs_free_bytes(self->fd));
	close(self->fd);
}

#endif /* BUDDYSLAB_DEV_FIXTURE_H */
