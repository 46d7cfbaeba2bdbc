// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of loading and unloading buddyslab, run while the module is not
 * loaded. The module file is $BUDDYSLAB_KO (default /lib/buddyslab.ko).
 *
 * A bad region_mb fails the load with -EINVAL and leaves nothing behind; a
 * good one takes its memory from the kernel and unloading gives it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "buddyslab_util.h"

static int load(const char *params)
{
	const char *path = getenv("BUDDYSLAB_KO") ?: "/lib/buddyslab.ko";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(__NR_delete_module, "buddyslab", O_NONBLOCK) ? -errno : 0;
}

static int loaded(void)
{
	return access("/sys/module/buddyslab", F_OK) == 0;
}

/* MemFree of /proc/meminfo in bytes, 0 if it cannot be read. */
static uint64_t mem_free(void)
{
	char buf[4096], *p;
	unsigned long long kib;

	if (bs_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "MemFree:");
	if (!p || sscanf(p, "MemFree: %llu kB", &kib) != 1)
		return 0;
	return kib << 10;
}

static uint64_t arena_bytes(struct __test_metadata *_metadata)
{
	struct buddyslab_info info;
	int fd;

	EXPECT_EQ(0, load(""));
	fd = open(BS_DEVICE, O_RDWR);
	EXPECT_LE(0, fd);
	EXPECT_EQ(0, bs_info(fd, &info));
	close(fd);
	EXPECT_EQ(0, unload());
	return info.arena_bytes;
}

TEST(bad_region_mb_refused)
{
	const uint64_t arena_mb = arena_bytes(_metadata) >> 20;
	char params[64];
	const char *bad[] = { "region_mb=0", params, "region_mb=1073741824",
			      "region_mb=-1" };
	unsigned int i;

	ASSERT_FALSE(loaded());
	ASSERT_LT(1, arena_mb);
	snprintf(params, sizeof(params), "region_mb=%llu",
		 (unsigned long long)arena_mb + 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, load(bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_FALSE(loaded());
		EXPECT_NE(0, access(BS_DEVICE, F_OK));
	}
}

TEST(load_takes_and_unload_returns_memory)
{
	const uint64_t region = 64ULL << 20, slack = 2ULL << 20;
	uint64_t before, during, after;
	struct stat st;

	ASSERT_FALSE(loaded());
	before = mem_free();
	ASSERT_LT(region, before);
	ASSERT_EQ(0, load("region_mb=64"));
	during = mem_free();
	ASSERT_EQ(0, stat(BS_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, unload());
	after = mem_free();

	TH_LOG("MemFree before %llu KiB, loaded %llu KiB, after %llu KiB",
	       (unsigned long long)before >> 10,
	       (unsigned long long)during >> 10,
	       (unsigned long long)after >> 10);
	/* What unloading gave back is the region, and nothing is missing. */
	EXPECT_LE(region - slack, after - during);
	EXPECT_LE(before - slack, after);
	EXPECT_FALSE(loaded());
}

TEST(bad_parameters_refused)
{
	const char *bad[] = { "dev_mode=01000", "dev_mode=04600",
			      "max_bytes_per_file=17825792" };
	unsigned int i;

	ASSERT_FALSE(loaded());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, load(bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_FALSE(loaded());
	}
}

TEST(dev_mode)
{
	struct stat st;

	ASSERT_EQ(0, load("dev_mode=0660"));
	ASSERT_EQ(0, stat(BS_DEVICE, &st));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(0, unload());
}

/* One open file may hold max_bytes_per_file and no more. */
TEST(quota)
{
	struct buddyslab_stats before, after;
	struct buddyslab_alloc req, more;
	int fd, other;

	ASSERT_EQ(0, load("region_mb=16 max_bytes_per_file=4194304"));
	fd = open(BS_DEVICE, O_RDWR);
	other = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, bs_alloc_buddy(fd, 4 << 20, &req));
	ASSERT_EQ(0, bs_stats(fd, &before));
	EXPECT_EQ(-EDQUOT, bs_alloc_buddy(fd, 1, &more));
	EXPECT_EQ(-EDQUOT, bs_alloc_slab(fd, 8, &more));
	ASSERT_EQ(0, bs_stats(fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	/* The quota is per file. */
	EXPECT_EQ(0, bs_alloc_buddy(other, 4 << 20, &more));
	EXPECT_EQ(0, bs_free(fd, req.handle));
	EXPECT_EQ(0, bs_alloc_buddy(fd, 4096, &req));
	close(fd);
	close(other);
	EXPECT_EQ(0, unload());
}

TEST(unload_refused_while_open)
{
	int fd;

	ASSERT_EQ(0, load(""));
	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, unload());
	close(fd);
	EXPECT_EQ(0, unload());
}

TEST_HARNESS_MAIN
