// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of buddyslabctl, the client: run as a user would, with the
 * module loaded, checking what it prints and its exit status. The client
 * is $BUDDYSLABCTL (default /bin/buddyslabctl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "buddyslab_util.h"

#define BS_XSTR(x)	#x
#define BS_STR(x)	BS_XSTR(x)

/*
 * Run the client with @args, @input on its standard input; collect its
 * standard output and error in @out. Returns its exit status, or -1.
 */
static int run(char *const args[], const char *input, char *out, size_t size)
{
	const char *client = getenv("BUDDYSLABCTL") ?: "/bin/buddyslabctl";
	int in[2], res[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(in) || pipe(res))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(res[1], STDOUT_FILENO);
		dup2(res[1], STDERR_FILENO);
		close(in[1]);
		close(res[0]);
		execv(client, args);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	if (input && write(in[1], input, strlen(input)) != (ssize_t)strlen(input))
		return -1;
	close(in[1]);
	while (len < size - 1 && (n = read(res[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(res[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static char out[65536];

TEST(info)
{
	char *const args[] = { "buddyslabctl", "info", NULL };

	ASSERT_EQ(0, run(args, NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "abi version   " BS_STR(BUDDYSLAB_ABI_VERSION) "\n"));
	EXPECT_NE(NULL, strstr(out, "arenas        4 of 4096 KiB\n"));
	EXPECT_NE(NULL, strstr(out, "version       " BUDDYSLAB_VERSION "\n"));
}

TEST(version)
{
	char *const args[] = { "buddyslabctl", "--version", NULL };

	ASSERT_EQ(0, run(args, NULL, out, sizeof(out)));
	EXPECT_STREQ("buddyslabctl " BUDDYSLAB_VERSION "\n", out);
}

/* Braces and brackets balance and the text is one object, one line. */
static bool json_object(const char *s)
{
	int depth = 0;
	bool quoted = false;

	if (*s != '{')
		return false;
	for (; *s && *s != '\n'; s++) {
		if (quoted) {
			if (*s == '\\')
				s++;
			else if (*s == '"')
				quoted = false;
			continue;
		}
		if (*s == '"')
			quoted = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if ((*s == '}' || *s == ']') && --depth < 0)
			return false;
	}
	return !depth && !quoted && s[0] == '\n' && !s[1];
}

/* Every table view as JSON, from the command line and in the shell. */
TEST(views_as_json)
{
	static const struct {
		const char *view, *start, *inside;
	} views[] = {
		{ "buddyinfo", "{\"arenas\": [{\"arena\": 0, \"free_blocks\": [",
		  "{\"arena\": 3, \"free_blocks\": [" },
		{ "unusable_index", "{\"arenas\": [{\"arena\": 0, \"index\": [",
		  "], \"region\": [" },
		{ "extfrag_index", "{\"arenas\": [{\"arena\": 0, \"index\": [",
		  "], \"region\": [" },
		{ "slabinfo", "{\"caches\": [{\"name\": \"size-8\", \"active_objs\": ",
		  "{\"name\": \"size-8192\"" },
		{ "fitinfo", "{\"arenas\": ", "\"external_fragmentation\": " },
		{ "genpoolinfo", "{\"arenas\": ", "\"largest_free\": " },
		{ "byte_buddyinfo", "{\"arenas\": ",
		  "\"free_blocks_by_size\": {\"16\": " },
	};
	char *args[] = { "buddyslabctl", NULL, "--json", NULL };
	char *const shell[] = { "buddyslabctl", "shell", NULL };
	char *const map_json[] = { "buddyslabctl", "map", "--json", NULL };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(views); i++) {
		args[1] = (char *)views[i].view;
		ASSERT_EQ(0, run(args, NULL, out, sizeof(out)));
		EXPECT_EQ(0, strncmp(out, views[i].start, strlen(views[i].start)))
			TH_LOG("%s: %.80s", views[i].view, out);
		EXPECT_NE(NULL, strstr(out, views[i].inside))
			TH_LOG("%s: no %s", views[i].view, views[i].inside);
		EXPECT_TRUE(json_object(out)) TH_LOG("%s: %s", views[i].view, out);
	}
	ASSERT_EQ(0, run(shell, "buddyinfo --json\n", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "{\"arenas\": [{\"arena\": 0, \"free_blocks\": ["));
	/* The map is no table. */
	EXPECT_EQ(2, run(map_json, NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "usage:"));
}

/* Without debugfs the message says how to mount it. */
TEST(debugfs_missing)
{
	char *const args[] = { "buddyslabctl", "buddyinfo", NULL };

	ASSERT_EQ(0, umount("/sys/kernel/debug"));
	EXPECT_EQ(1, run(args, NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "debugfs is not mounted: mount -t debugfs none /sys/kernel/debug"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL));
	EXPECT_EQ(0, run(args, NULL, out, sizeof(out)));
}

TEST(stats_table_and_json)
{
	char *const table[] = { "buddyslabctl", "stats", NULL };
	char *const json[] = { "buddyslabctl", "stats", "--json", NULL };

	ASSERT_EQ(0, run(table, NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "order  free blocks"));
	EXPECT_NE(NULL, strstr(out, "slab size classes:"));
	EXPECT_NE(NULL, strstr(out, "best  fit:"));
	EXPECT_NE(NULL, strstr(out, "\ngenpool: "));
	EXPECT_NE(NULL, strstr(out, "\nbyte buddy: "));

	ASSERT_EQ(0, run(json, NULL, out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "{\"buddy\": {\"free_pages\": ", 25));
	EXPECT_NE(NULL, strstr(out, "\"slab\": {"));
	EXPECT_NE(NULL, strstr(out, "\"fit\": {"));
	EXPECT_NE(NULL, strstr(out, "\"genpool\": {\"arenas\": "));
	EXPECT_NE(NULL, strstr(out, "\"byte_buddy\": {\"arenas\": "));
	EXPECT_EQ(0, strcmp(out + strlen(out) - 3, "}}\n"));
}

/* A session through every allocator: what is written reads back. */
TEST(shell_session)
{
	char *const args[] = { "buddyslabctl", "shell", NULL };
	const char *script =
		"alloc buddy 10000\n"
		"write 1 hello\n"
		"read 1 5\n"
		"cache create objs 48 16 redzone\n"
		"alloc cache 1 40\n"
		"alloc slab 100\n"
		"alloc fit best 3000\n"
		"alloc genpool best 100\n"
		"alloc bytebuddy 100\n"
		"batch 3 slab 64\n"
		"free 2\n"
		"cache destroy 1\n"
		"validate\n";

	ASSERT_EQ(0, run(args, script, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "handle 1: offset 0x"));
	EXPECT_NE(NULL, strstr(out, "16384 granted"));
	EXPECT_NE(NULL, strstr(out, "wrote 5 bytes"));
	EXPECT_NE(NULL, strstr(out, "68 65 6c 6c 6f\n"));
	EXPECT_NE(NULL, strstr(out, "cache 1: objs, 48-byte objects\n"));
	EXPECT_NE(NULL, strstr(out, "40 bytes asked, 48 granted"));
	EXPECT_NE(NULL, strstr(out, "100 bytes asked, 128 granted"));
	EXPECT_NE(NULL, strstr(out, "3000 bytes asked, 3008 granted"));
	EXPECT_NE(NULL, strstr(out, "100 bytes asked, 112 granted"));
	EXPECT_NE(NULL, strstr(out, "batch: 3 of 3 done\n"));
	EXPECT_NE(NULL, strstr(out, "destroyed cache 1\n"));
	EXPECT_NE(NULL, strstr(out, BS_VALID));
}

TEST(errors_are_reported)
{
	char *const shell[] = { "buddyslabctl", "shell", NULL };
	char *const bad_usage[] = { "buddyslabctl", "frobnicate", NULL };
	char *const no_device[] = { "buddyslabctl", "-d", "/dev/nonexistent",
				    "info", NULL };

	ASSERT_EQ(1, run(shell, "free 99\nalloc buddy 0\nalloc fit sideways 8\n"
			 "alloc genpool worst 8\nfoo\n", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "free: No such file or directory"));
	EXPECT_NE(NULL, strstr(out, "alloc: Invalid argument"));
	EXPECT_NE(NULL, strstr(out, "policy must be first, next, best or worst"));
	EXPECT_NE(NULL, strstr(out, "alloc genpool: policy must be first or best"));
	EXPECT_NE(NULL, strstr(out, "unknown command 'foo'"));

	EXPECT_EQ(2, run(bad_usage, NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "usage:"));
	EXPECT_EQ(1, run(no_device, NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "is the buddyslab module loaded?"));
}

TEST_HARNESS_MAIN
