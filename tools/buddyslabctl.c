// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslabctl: drive /dev/buddyslab by hand.
 *
 *   buddyslabctl info          the device's INFO
 *   buddyslabctl shell         read commands from standard input, one a line
 *
 * In the shell every allocation belongs to the shell's one open file, so a
 * person can allocate, free and watch the free lists change; everything the
 * shell still holds is freed when it exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/buddyslab.h>

#define DEFAULT_DEVICE	"/dev/buddyslab"
#define DEBUGFS_DIR	"/sys/kernel/debug/buddyslab"

static const char *progname = "buddyslabctl";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-d DEVICE] COMMAND\n"
		"\n"
		"commands:\n"
		"  info     print the device's geometry and free memory\n"
		"  shell    read commands from standard input, one a line\n"
		"\n"
		"shell commands:\n"
		"  alloc buddy SIZE   allocate SIZE bytes from the buddy allocator\n"
		"                     (suffix K or M allowed)\n"
		"  alloc slab SIZE    allocate SIZE bytes from the slab size classes\n"
		"  alloc fit POLICY SIZE\n"
		"                     allocate SIZE bytes with a sequential fit:\n"
		"                     POLICY is first, next, best or worst\n"
		"  free HANDLE        free an allocation of this shell\n"
		"  info               as above\n"
		"  buddyinfo          free blocks per order and arena (debugfs)\n"
		"  slabinfo           the slab caches, as /proc/slabinfo (debugfs)\n"
		"  fitinfo            the fit allocators' free space (debugfs)\n"
		"  validate           run the allocators' consistency checks\n"
		"  help, quit\n"
		"\n"
		"options:\n"
		"  -d, --device DEVICE   default " DEFAULT_DEVICE "\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 if every command succeeded, 1 if one failed,\n"
		"2 on a usage error.\n", progname);
}

static int cmd_info(int fd)
{
	struct buddyslab_info info = { 0 };

	if (ioctl(fd, BUDDYSLAB_IOC_INFO, &info)) {
		fprintf(stderr, "%s: info: %s\n", progname, strerror(errno));
		return -1;
	}
	printf("abi version   %u\n", info.abi_version);
	printf("page size     %u bytes\n", info.page_size);
	printf("max order     %u (%llu KiB blocks)\n", info.max_order,
	       (unsigned long long)info.arena_bytes >> 10);
	printf("arenas        %u of %llu KiB\n", info.nr_arenas,
	       (unsigned long long)info.arena_bytes >> 10);
	printf("region        %llu KiB\n",
	       (unsigned long long)info.region_bytes >> 10);
	printf("free          %llu KiB\n",
	       (unsigned long long)info.free_bytes >> 10);
	return 0;
}

/* A byte count: decimal or 0x hex, with an optional K or M suffix. */
static int parse_size(const char *s, __u64 *size)
{
	unsigned long long v;
	char *end;

	if (!s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k') {
		if (v > UINT64_MAX >> 10)
			return -1;
		v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		if (v > UINT64_MAX >> 20)
			return -1;
		v <<= 20;
		end++;
	}
	if (*end)
		return -1;
	*size = v;
	return 0;
}

static const char *const fit_policies[] = {
	[BUDDYSLAB_FIT_FIRST] = "first",
	[BUDDYSLAB_FIT_NEXT] = "next",
	[BUDDYSLAB_FIT_BEST] = "best",
	[BUDDYSLAB_FIT_WORST] = "worst",
};

/* alloc buddy SIZE | alloc slab SIZE | alloc fit POLICY SIZE */
static int cmd_alloc(int fd, char **argv)
{
	struct buddyslab_alloc req = { 0 };
	const char *allocator = argv[1];
	const char *size_arg = argv[2];
	unsigned int p;

	if (allocator && !strcmp(allocator, "buddy")) {
		req.allocator = BUDDYSLAB_ALLOC_BUDDY;
	} else if (allocator && !strcmp(allocator, "slab")) {
		req.allocator = BUDDYSLAB_ALLOC_SLAB;
	} else if (allocator && !strcmp(allocator, "fit")) {
		req.allocator = BUDDYSLAB_ALLOC_FIT;
		for (p = BUDDYSLAB_FIT_FIRST; p <= BUDDYSLAB_FIT_WORST; p++)
			if (argv[2] && !strcmp(argv[2], fit_policies[p]))
				req.policy = p;
		if (!req.policy) {
			fprintf(stderr, "%s: alloc fit: policy must be first, next, best or worst\n",
				progname);
			return -1;
		}
		size_arg = argv[3];
	} else {
		fprintf(stderr, "%s: alloc: allocator must be 'buddy', 'slab' or 'fit'\n",
			progname);
		return -1;
	}
	if (parse_size(size_arg, &req.size)) {
		fprintf(stderr, "%s: alloc: bad size '%s'\n", progname,
			size_arg ? size_arg : "");
		return -1;
	}
	if (ioctl(fd, BUDDYSLAB_IOC_ALLOC, &req)) {
		fprintf(stderr, "%s: alloc %llu bytes: %s\n", progname,
			(unsigned long long)req.size, strerror(errno));
		return -1;
	}
	printf("handle %llu: offset 0x%llx, %llu bytes asked, %llu granted\n",
	       (unsigned long long)req.handle, (unsigned long long)req.offset,
	       (unsigned long long)req.size, (unsigned long long)req.granted);
	return 0;
}

static int cmd_free(int fd, const char *handle_arg)
{
	struct buddyslab_free req = { 0 };
	char *end;

	errno = 0;
	req.handle = handle_arg ? strtoull(handle_arg, &end, 0) : 0;
	if (!handle_arg || errno || end == handle_arg || *end) {
		fprintf(stderr, "%s: free: bad handle '%s'\n", progname,
			handle_arg ? handle_arg : "");
		return -1;
	}
	if (ioctl(fd, BUDDYSLAB_IOC_FREE, &req)) {
		fprintf(stderr, "%s: free %llu: %s\n", progname,
			(unsigned long long)req.handle, strerror(errno));
		return -1;
	}
	printf("freed handle %llu\n", (unsigned long long)req.handle);
	return 0;
}

static int cat_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	return n < 0 ? -1 : 0;
}

static int cmd_validate(void)
{
	const char *path = DEBUGFS_DIR "/validate";
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1) {
		fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return cat_file(path);
}

static int run_line(int fd, char *line, int *quit)
{
	char *argv[5] = { NULL };
	char *save = NULL;
	int argc = 0;
	char *tok;

	for (tok = strtok_r(line, " \t\n", &save); tok && argc < 4;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (!argc || argv[0][0] == '#')
		return 0;

	if (!strcmp(argv[0], "alloc"))
		return cmd_alloc(fd, argv);
	if (!strcmp(argv[0], "free"))
		return cmd_free(fd, argv[1]);
	if (!strcmp(argv[0], "info"))
		return cmd_info(fd);
	if (!strcmp(argv[0], "buddyinfo"))
		return cat_file(DEBUGFS_DIR "/buddyinfo");
	if (!strcmp(argv[0], "slabinfo"))
		return cat_file(DEBUGFS_DIR "/slabinfo");
	if (!strcmp(argv[0], "fitinfo"))
		return cat_file(DEBUGFS_DIR "/fitinfo");
	if (!strcmp(argv[0], "validate"))
		return cmd_validate();
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "quit") || !strcmp(argv[0], "exit")) {
		*quit = 1;
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s' (try help)\n", progname,
		argv[0]);
	return -1;
}

static int cmd_shell(int fd)
{
	int interactive = isatty(STDIN_FILENO);
	char line[512];
	int failed = 0, quit = 0;

	for (;;) {
		if (interactive) {
			fputs("buddyslab> ", stdout);
			fflush(stdout);
		}
		if (!fgets(line, sizeof(line), stdin))
			break;
		/* Echo scripted input so a transcript reads like a session. */
		if (!interactive && line[0] != '\n')
			printf("%s%s", line[0] == '#' ? "" : "buddyslab> ", line);
		if (run_line(fd, line, &quit))
			failed = 1;
		fflush(stdout);
		if (quit)
			break;
	}
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = DEFAULT_DEVICE;
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, "d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 ||
	    (strcmp(argv[optind], "info") && strcmp(argv[optind], "shell"))) {
		usage(stderr);
		return 2;
	}

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", progname, device,
			strerror(errno),
			errno == ENOENT ? " (is the buddyslab module loaded?)" : "");
		return 1;
	}
	if (!strcmp(argv[optind], "info"))
		ret = cmd_info(fd);
	else
		ret = cmd_shell(fd);
	close(fd);
	return ret ? 1 : 0;
}
