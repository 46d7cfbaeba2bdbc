// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslabctl: drive /dev/buddyslab by hand.
 *
 *   buddyslabctl info            the device's INFO
 *   buddyslabctl stats [--json]  every allocator's statistics
 *   buddyslabctl shell           read commands from standard input
 *
 * In the shell every allocation and cache belongs to the shell's one open
 * file, so a person can allocate, write, read, free and watch the free
 * lists, caches and fit arenas change; everything the shell still holds is
 * freed when it exits.
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
#define MAX_HELD	4096

static const char *progname = "buddyslabctl";

/* What the shell holds, to read and write by handle. */
static struct held {
	__u64 handle;
	__u64 offset;
	__u64 granted;
} held[MAX_HELD];

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-d DEVICE] COMMAND\n"
		"\n"
		"commands:\n"
		"  info             the device's geometry and free memory\n"
		"  stats [--json]   every allocator's statistics, as a table or JSON\n"
		"  shell            read commands from standard input, one a line\n"
		"\n"
		"shell commands:\n"
		"  alloc buddy SIZE            SIZE bytes from the buddy allocator\n"
		"                              (sizes take a K or M suffix)\n"
		"  alloc slab SIZE             from the slab size classes\n"
		"  alloc cache ID SIZE         an object of a cache of this shell\n"
		"  alloc fit POLICY SIZE       with first, next, best or worst fit\n"
		"  free HANDLE                 free an allocation of this shell\n"
		"  write HANDLE TEXT           write TEXT at the allocation's start\n"
		"  read HANDLE [LEN]           read LEN bytes (default 64) from it\n"
		"  cache create NAME SIZE [ALIGN] [redzone] [poison]\n"
		"  cache destroy ID\n"
		"  batch COUNT buddy|slab SIZE COUNT allocations in one call\n"
		"  info, stats                 as above\n"
		"  buddyinfo, slabinfo, fitinfo, map\n"
		"                              the debugfs views\n"
		"  validate                    run every allocator's consistency check\n"
		"  help, quit\n"
		"\n"
		"options:\n"
		"  -d, --device DEVICE   default " DEFAULT_DEVICE "\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 if every command succeeded, 1 if one failed,\n"
		"2 on a usage error.\n", progname);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(err));
	return -1;
}

static int cmd_info(int fd)
{
	struct buddyslab_info info = { 0 };

	if (ioctl(fd, BUDDYSLAB_IOC_INFO, &info))
		return fail("info", errno);
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

/* Thousandths as d.ddd, negative ones too. */
static void print_milli(int v)
{
	printf(" %s%d.%03d", v < 0 ? "-" : " ", abs(v) / 1000, abs(v) % 1000);
}

static void stats_table(const struct buddyslab_info *info,
			const struct buddyslab_stats *st)
{
	const struct buddyslab_buddy_stats *b = &st->buddy;
	const struct buddyslab_slab_stats *s = &st->slab;
	const struct buddyslab_fit_stats *f = &st->fit;
	static const char *const policies[] = { "first", "next", "best", "worst" };
	unsigned int o, i;

	printf("buddy: %llu pages free, %llu cached per CPU, %llu used; %llu bytes of metadata\n",
	       (unsigned long long)b->free_pages, (unsigned long long)b->cached_pages,
	       (unsigned long long)b->used_pages, (unsigned long long)b->metadata_bytes);
	printf("       %llu splits, %llu merges, %llu cache hits, %llu misses, %llu failures, %llu refused frees\n",
	       (unsigned long long)b->splits, (unsigned long long)b->merges,
	       (unsigned long long)b->pcp_hits, (unsigned long long)b->pcp_misses,
	       (unsigned long long)b->alloc_fails, (unsigned long long)b->frees_refused);
	printf("order  free blocks    allocs     frees  unusable  extfrag\n");
	for (o = 0; o <= info->max_order && o < BUDDYSLAB_STATS_ORDERS; o++) {
		printf("%5u %12llu %9llu %9llu", o, (unsigned long long)b->nr_free[o],
		       (unsigned long long)b->allocs[o], (unsigned long long)b->frees[o]);
		print_milli(b->unusable_index[o]);
		printf("  ");
		print_milli(b->extfrag_index[o]);
		printf("\n");
	}
	printf("\nslab size classes:\n");
	printf(" class    objs/total  slabs    allocs  hits%%  internal frag%%\n");
	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++) {
		const struct buddyslab_slab_cache_stats *c = &s->classes[i];
		unsigned long long hits = c->allocs ? c->magazine_hits * 100 / c->allocs : 0;
		unsigned long long frag = c->bytes_granted ?
			1000 - c->bytes_requested * 1000 / c->bytes_granted : 0;

		printf("%6u %7llu/%-7llu %5llu %9llu %5llu  %9llu.%llu\n",
		       c->object_size, (unsigned long long)c->active_objs,
		       (unsigned long long)c->num_objs, (unsigned long long)c->num_slabs,
		       (unsigned long long)c->allocs, hits, frag / 10, frag % 10);
	}
	printf("errors: %llu red zone, %llu poison, %llu double frees, %llu invalid frees\n",
	       (unsigned long long)s->redzone_errors, (unsigned long long)s->poison_errors,
	       (unsigned long long)s->double_frees, (unsigned long long)s->invalid_frees);
	printf("\nfit: %llu arenas, %llu free blocks, %llu free bytes, largest %llu, external fragmentation",
	       (unsigned long long)f->arenas, (unsigned long long)f->free_blocks,
	       (unsigned long long)f->free_bytes, (unsigned long long)f->largest_free);
	print_milli(f->extfrag);
	printf("\n     %llu used bytes for %llu requested, %llu merges\n",
	       (unsigned long long)f->used_bytes, (unsigned long long)f->requested_bytes,
	       (unsigned long long)f->merges);
	for (i = 0; i < BUDDYSLAB_FIT_POLICIES; i++)
		printf("     %-5s fit: %llu allocations, %llu failures\n", policies[i],
		       (unsigned long long)f->allocs[i], (unsigned long long)f->fails[i]);
}

static void json_array(const char *name, const __u64 *v, unsigned int n,
		       const char *sep)
{
	unsigned int i;

	printf("\"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	printf("]%s", sep);
}

static void json_iarray(const char *name, const __s32 *v, unsigned int n,
			const char *sep)
{
	unsigned int i;

	printf("\"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%d", i ? ", " : "", v[i]);
	printf("]%s", sep);
}

#define JU(name, value) printf("\"%s\": %llu, ", name, (unsigned long long)(value))

static void stats_json(const struct buddyslab_info *info,
		       const struct buddyslab_stats *st)
{
	const struct buddyslab_buddy_stats *b = &st->buddy;
	const struct buddyslab_fit_stats *f = &st->fit;
	unsigned int n = info->max_order + 1, i;

	printf("{\"buddy\": {");
	JU("free_pages", b->free_pages);
	JU("cached_pages", b->cached_pages);
	JU("used_pages", b->used_pages);
	JU("metadata_bytes", b->metadata_bytes);
	JU("alloc_fails", b->alloc_fails);
	JU("frees_refused", b->frees_refused);
	JU("splits", b->splits);
	JU("merges", b->merges);
	JU("pcp_hits", b->pcp_hits);
	JU("pcp_misses", b->pcp_misses);
	JU("pcp_drains", b->pcp_drains);
	json_array("nr_free", b->nr_free, n, ", ");
	json_array("allocs", b->allocs, n, ", ");
	json_array("frees", b->frees, n, ", ");
	json_iarray("unusable_index", b->unusable_index, n, ", ");
	json_iarray("extfrag_index", b->extfrag_index, n, "");
	printf("}, \"slab\": {");
	JU("alloc_fails", st->slab.alloc_fails);
	JU("redzone_errors", st->slab.redzone_errors);
	JU("poison_errors", st->slab.poison_errors);
	JU("double_frees", st->slab.double_frees);
	JU("invalid_frees", st->slab.invalid_frees);
	printf("\"classes\": [");
	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++) {
		const struct buddyslab_slab_cache_stats *c = &st->slab.classes[i];

		printf("%s{", i ? ", " : "");
		JU("object_size", c->object_size);
		JU("objects_per_slab", c->objects_per_slab);
		JU("pages_per_slab", c->pages_per_slab);
		JU("active_objs", c->active_objs);
		JU("num_objs", c->num_objs);
		JU("active_slabs", c->active_slabs);
		JU("num_slabs", c->num_slabs);
		JU("allocs", c->allocs);
		JU("frees", c->frees);
		JU("magazine_hits", c->magazine_hits);
		JU("magazine_misses", c->magazine_misses);
		JU("slabs_created", c->slabs_created);
		JU("slabs_freed", c->slabs_freed);
		JU("bytes_requested", c->bytes_requested);
		printf("\"bytes_granted\": %llu}", (unsigned long long)c->bytes_granted);
	}
	printf("]}, \"fit\": {");
	JU("arenas", f->arenas);
	JU("free_blocks", f->free_blocks);
	JU("free_bytes", f->free_bytes);
	JU("largest_free", f->largest_free);
	JU("used_bytes", f->used_bytes);
	JU("requested_bytes", f->requested_bytes);
	JU("frees", f->frees);
	JU("frees_refused", f->frees_refused);
	JU("merges", f->merges);
	JU("extfrag", f->extfrag);
	json_array("allocs", f->allocs, BUDDYSLAB_FIT_POLICIES, ", ");
	json_array("fails", f->fails, BUDDYSLAB_FIT_POLICIES, "");
	printf("}}\n");
}

static int cmd_stats(int fd, int json)
{
	struct buddyslab_info info = { 0 };
	struct buddyslab_stats stats;

	memset(&stats, 0, sizeof(stats));
	if (ioctl(fd, BUDDYSLAB_IOC_INFO, &info) ||
	    ioctl(fd, BUDDYSLAB_IOC_STATS, &stats))
		return fail("stats", errno);
	if (json)
		stats_json(&info, &stats);
	else
		stats_table(&info, &stats);
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

static int parse_u32(const char *s, __u32 *v)
{
	__u64 big;

	if (parse_size(s, &big) || big > UINT32_MAX)
		return -1;
	*v = big;
	return 0;
}

static struct held *find_held(__u64 handle)
{
	unsigned int i;

	for (i = 0; i < MAX_HELD; i++)
		if (held[i].handle == handle && handle)
			return &held[i];
	return NULL;
}

static void remember(const struct buddyslab_alloc *req)
{
	unsigned int i;

	for (i = 0; i < MAX_HELD; i++) {
		if (held[i].handle)
			continue;
		held[i].handle = req->handle;
		held[i].offset = req->offset;
		held[i].granted = req->granted;
		return;
	}
}

static void report_alloc(const struct buddyslab_alloc *req)
{
	printf("handle %llu: offset 0x%llx, %llu bytes asked, %llu granted\n",
	       (unsigned long long)req->handle, (unsigned long long)req->offset,
	       (unsigned long long)req->size, (unsigned long long)req->granted);
	remember(req);
}

static const char *const fit_policies[] = {
	[BUDDYSLAB_FIT_FIRST] = "first",
	[BUDDYSLAB_FIT_NEXT] = "next",
	[BUDDYSLAB_FIT_BEST] = "best",
	[BUDDYSLAB_FIT_WORST] = "worst",
};

/*
 * alloc buddy SIZE | alloc slab SIZE | alloc cache ID SIZE |
 * alloc fit POLICY SIZE
 */
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
	} else if (allocator && !strcmp(allocator, "cache")) {
		req.allocator = BUDDYSLAB_ALLOC_SLAB;
		if (parse_u32(argv[2], &req.cache_id) || !req.cache_id) {
			fprintf(stderr, "%s: alloc cache: bad cache id\n", progname);
			return -1;
		}
		size_arg = argv[3];
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
		fprintf(stderr, "%s: alloc: allocator must be buddy, slab, cache or fit\n",
			progname);
		return -1;
	}
	if (parse_size(size_arg, &req.size)) {
		fprintf(stderr, "%s: alloc: bad size '%s'\n", progname,
			size_arg ? size_arg : "");
		return -1;
	}
	if (ioctl(fd, BUDDYSLAB_IOC_ALLOC, &req))
		return fail("alloc", errno);
	report_alloc(&req);
	return 0;
}

static int parse_handle(const char *arg, __u64 *handle)
{
	char *end;

	errno = 0;
	*handle = arg ? strtoull(arg, &end, 0) : 0;
	if (!arg || errno || end == arg || *end) {
		fprintf(stderr, "%s: bad handle '%s'\n", progname, arg ? arg : "");
		return -1;
	}
	return 0;
}

static int cmd_free(int fd, const char *handle_arg)
{
	struct buddyslab_free req = { 0 };
	struct held *h;

	if (parse_handle(handle_arg, &req.handle))
		return -1;
	if (ioctl(fd, BUDDYSLAB_IOC_FREE, &req))
		return fail("free", errno);
	h = find_held(req.handle);
	if (h)
		h->handle = 0;
	printf("freed handle %llu\n", (unsigned long long)req.handle);
	return 0;
}

static int cmd_write(int fd, const char *handle_arg, const char *text)
{
	struct held *h;
	__u64 handle;
	size_t len;

	if (parse_handle(handle_arg, &handle))
		return -1;
	h = find_held(handle);
	if (!h || !text) {
		fprintf(stderr, "%s: write: no allocation %llu of this shell, or no text\n",
			progname, (unsigned long long)handle);
		return -1;
	}
	len = strlen(text);
	if (pwrite(fd, text, len, h->offset) != (ssize_t)len)
		return fail("write", errno);
	printf("wrote %zu bytes at offset 0x%llx\n", len,
	       (unsigned long long)h->offset);
	return 0;
}

static int cmd_read(int fd, const char *handle_arg, const char *len_arg)
{
	unsigned char buf[4096];
	__u64 handle, len = 64;
	struct held *h;
	ssize_t n, i;

	if (parse_handle(handle_arg, &handle) ||
	    (len_arg && (parse_size(len_arg, &len) || len > sizeof(buf)))) {
		fprintf(stderr, "%s: read: length up to %zu\n", progname, sizeof(buf));
		return -1;
	}
	h = find_held(handle);
	if (!h) {
		fprintf(stderr, "%s: read: no allocation %llu of this shell\n",
			progname, (unsigned long long)handle);
		return -1;
	}
	n = pread(fd, buf, len, h->offset);
	if (n < 0)
		return fail("read", errno);
	for (i = 0; i < n; i++)
		printf("%02x%s", buf[i], (i % 16 == 15 || i == n - 1) ? "\n" : " ");
	return 0;
}

/* cache create NAME SIZE [ALIGN] [redzone] [poison] | cache destroy ID */
static int cmd_cache(int fd, char **argv, int argc)
{
	struct buddyslab_cache_create create = { 0 };
	struct buddyslab_cache_destroy destroy = { 0 };
	int i = 4;

	if (argc >= 3 && !strcmp(argv[1], "destroy")) {
		if (parse_u32(argv[2], &destroy.cache_id)) {
			fprintf(stderr, "%s: cache destroy: bad id\n", progname);
			return -1;
		}
		if (ioctl(fd, BUDDYSLAB_IOC_CACHE_DESTROY, &destroy))
			return fail("cache destroy", errno);
		printf("destroyed cache %u\n", destroy.cache_id);
		return 0;
	}
	if (argc < 4 || strcmp(argv[1], "create") ||
	    snprintf(create.name, sizeof(create.name), "%s", argv[2]) >=
	    (int)sizeof(create.name) || parse_u32(argv[3], &create.object_size)) {
		fprintf(stderr, "%s: cache create NAME SIZE [ALIGN] [redzone] [poison]\n",
			progname);
		return -1;
	}
	if (i < argc && !parse_u32(argv[i], &create.align))
		i++;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "redzone")) {
			create.flags |= BUDDYSLAB_CACHE_REDZONE;
		} else if (!strcmp(argv[i], "poison")) {
			create.flags |= BUDDYSLAB_CACHE_POISON;
		} else {
			fprintf(stderr, "%s: cache create: unknown flag '%s'\n",
				progname, argv[i]);
			return -1;
		}
	}
	if (ioctl(fd, BUDDYSLAB_IOC_CACHE_CREATE, &create))
		return fail("cache create", errno);
	printf("cache %u: %s, %u-byte objects\n", create.cache_id, create.name,
	       create.object_size);
	return 0;
}

/* batch COUNT buddy|slab SIZE */
static int cmd_batch(int fd, char **argv)
{
	struct buddyslab_batch_op ops[BUDDYSLAB_BATCH_MAX];
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops };
	__u64 size;
	__u32 count, allocator, i;
	int ret;

	if (parse_u32(argv[1], &count) || !count || count > BUDDYSLAB_BATCH_MAX ||
	    !argv[2] || parse_size(argv[3], &size)) {
		fprintf(stderr, "%s: batch COUNT buddy|slab SIZE (COUNT up to %u)\n",
			progname, BUDDYSLAB_BATCH_MAX);
		return -1;
	}
	if (!strcmp(argv[2], "buddy")) {
		allocator = BUDDYSLAB_ALLOC_BUDDY;
	} else if (!strcmp(argv[2], "slab")) {
		allocator = BUDDYSLAB_ALLOC_SLAB;
	} else {
		fprintf(stderr, "%s: batch: allocator must be buddy or slab\n", progname);
		return -1;
	}
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < count; i++) {
		ops[i].op = BUDDYSLAB_BATCH_ALLOC;
		ops[i].alloc.size = size;
		ops[i].alloc.allocator = allocator;
	}
	batch.nr_ops = count;
	ret = ioctl(fd, BUDDYSLAB_IOC_BATCH, &batch) ? -errno : 0;
	for (i = 0; i < batch.nr_done; i++)
		report_alloc(&ops[i].alloc);
	printf("batch: %u of %u done\n", batch.nr_done, count);
	return ret ? fail("batch", -ret) : 0;
}

static int cat_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail(path, errno);
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
		int err = errno;

		if (fd >= 0)
			close(fd);
		return fail(path, err);
	}
	close(fd);
	return cat_file(path);
}

static int run_line(int fd, char *line, int *quit)
{
	static const char *const views[] = {
		"buddyinfo", "slabinfo", "fitinfo", "map",
	};
	char *argv[9] = { NULL };
	char *save = NULL, path[128];
	unsigned int v;
	int argc = 0;
	char *tok;

	for (tok = strtok_r(line, " \t\n", &save); tok && argc < 8;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (!argc || argv[0][0] == '#')
		return 0;

	if (!strcmp(argv[0], "alloc"))
		return cmd_alloc(fd, argv);
	if (!strcmp(argv[0], "free"))
		return cmd_free(fd, argv[1]);
	if (!strcmp(argv[0], "write"))
		return cmd_write(fd, argv[1], argv[2]);
	if (!strcmp(argv[0], "read"))
		return cmd_read(fd, argv[1], argv[2]);
	if (!strcmp(argv[0], "cache"))
		return cmd_cache(fd, argv, argc);
	if (!strcmp(argv[0], "batch"))
		return cmd_batch(fd, argv);
	if (!strcmp(argv[0], "info"))
		return cmd_info(fd);
	if (!strcmp(argv[0], "stats"))
		return cmd_stats(fd, argv[1] && !strcmp(argv[1], "--json"));
	for (v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
		if (strcmp(argv[0], views[v]))
			continue;
		snprintf(path, sizeof(path), DEBUGFS_DIR "/%s", views[v]);
		return cat_file(path);
	}
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
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = DEFAULT_DEVICE;
	int opt, fd, ret, json = 0;
	const char *cmd;

	while ((opt = getopt_long(argc, argv, "d:hj", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			json = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	cmd = optind == argc - 1 ? argv[optind] : NULL;
	if (!cmd || (strcmp(cmd, "info") && strcmp(cmd, "shell") &&
		     strcmp(cmd, "stats")) || (json && strcmp(cmd, "stats"))) {
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
	if (!strcmp(cmd, "info"))
		ret = cmd_info(fd);
	else if (!strcmp(cmd, "stats"))
		ret = cmd_stats(fd, json);
	else
		ret = cmd_shell(fd);
	close(fd);
	return ret ? 1 : 0;
}
