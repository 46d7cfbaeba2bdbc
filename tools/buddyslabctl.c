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
 *
 * Every command is one row of commands[]: its name, the synopsis of its
 * arguments, its handler, its help line and where it may be given (the
 * command line, the shell). The command line, the shell, 'help' and --help
 * all read that table, so a command is added in one place. A command that
 * names a kind first (alloc buddy|slab|cache|fit|genpool|bytebuddy, cache
 * create|destroy)
 * points to a table of subcommands of the same shape. Every handler takes
 * the session and the words of its line, its own name first, as main()
 * takes its arguments.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/buddyslab.h>

#include "lab/replay.h"
#include "lab/trace.h"
#include "view.h"

#define DEFAULT_DEVICE	"/dev/buddyslab"
#define MAX_WORDS	8	/* of a shell line */
#define HELP_COLUMN	30	/* where the help texts start */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __maybe_unused	__attribute__((__unused__))

static const char *progname = "buddyslabctl";

/* An allocation the shell holds, to read and write by handle. */
struct held {
	__u64 handle;
	__u64 offset;
};

/* One open device file and what has been allocated through it. */
struct session {
	int fd;
	const char *device;	/* its path */
	struct held *held;	/* nr_held in use, unordered, of max_held */
	size_t nr_held;
	size_t max_held;
	bool quit;
};

/* Where a command may be given, and what it takes. */
enum {
	CMD_LINE = 1 << 0,	/* buddyslabctl COMMAND */
	CMD_SHELL = 1 << 1,	/* a line of the shell */
	CMD_JSON = 1 << 2,	/* takes --json, the option too */
	CMD_ARGS = 1 << 3,	/* takes the rest of the command line, options too */
	CMD_NO_DEVICE = 1 << 4,	/* reads and writes files only: no device opened */
};

/*
 * A handler returns 0, -1 once it has said what failed, or -EINVAL when
 * its arguments are not what its synopsis says: the caller prints that.
 */
struct command {
	const char *name;
	const char *args;	/* synopsis of the arguments after the name, if any */
	int (*run)(struct session *s, int argc, char **argv);
	const char *help;
	unsigned int flags;	/* CMD_*, of the commands[] rows */
	const struct command *sub;	/* instead of run: argv[1] picks one */
	const char *sub_what;	/* what argv[1] names, for the error */
};

/* The fit policies by BUDDYSLAB_FIT_* - 1, as the statistics count them. */
static const char *const fit_policies[] = {
	[BUDDYSLAB_FIT_FIRST - 1] = "first",
	[BUDDYSLAB_FIT_NEXT - 1] = "next",
	[BUDDYSLAB_FIT_BEST - 1] = "best",
	[BUDDYSLAB_FIT_WORST - 1] = "worst",
	NULL
};
static_assert(ARRAY_SIZE(fit_policies) == BUDDYSLAB_FIT_POLICIES + 1,
	       "a name for every fit policy");

/* The genpool policies by BUDDYSLAB_GENPOOL_* - 1. */
static const char *const genpool_policies[] = {
	[BUDDYSLAB_GENPOOL_FIRST - 1] = "first",
	[BUDDYSLAB_GENPOOL_BEST - 1] = "best",
	NULL
};
static_assert(ARRAY_SIZE(genpool_policies) == BUDDYSLAB_GENPOOL_POLICIES + 1,
	       "a name for every genpool policy");

static void usage(FILE *out);

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(err));
	return -1;
}

/* What comes before an item of a list such as "a, b or c". */
static const char *list_separator(bool first, bool last)
{
	return first ? "" : last ? " or " : ", ";
}

/* The names of a NULL-terminated table: "first, next, best or worst". */
static void print_names(FILE *out, const char *const *names)
{
	unsigned int i;

	for (i = 0; names[i]; i++)
		fprintf(out, "%s%s", list_separator(!i, !names[i + 1]), names[i]);
}

/* Word @i of a line of @argc words, or NULL past its end. */
static const char *word(int argc, char **argv, int i)
{
	return i < argc ? argv[i] : NULL;
}

static int cmd_info(struct session *s, int argc __maybe_unused,
		    char **argv __maybe_unused)
{
	struct buddyslab_info info = { 0 };

	if (ioctl(s->fd, BUDDYSLAB_IOC_INFO, &info))
		return fail("info", errno);
	printf("abi version   %u\n", info.abi_version);
	if (info.module_version[0])
		printf("version       %.*s\n", (int)sizeof(info.module_version),
		       info.module_version);
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

static void table_buddy(const struct buddyslab_info *info,
			const struct buddyslab_buddy_stats *b)
{
	unsigned int o;

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
}

static void table_slab(const struct buddyslab_slab_stats *s)
{
	unsigned int i;

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
}

static void table_fit(const struct buddyslab_fit_stats *f)
{
	unsigned int i;

	printf("\nfit: %llu arenas, %llu free blocks, %llu free bytes, largest %llu, external fragmentation",
	       (unsigned long long)f->arenas, (unsigned long long)f->free_blocks,
	       (unsigned long long)f->free_bytes, (unsigned long long)f->largest_free);
	print_milli(f->extfrag);
	printf("\n     %llu used bytes for %llu requested, %llu merges\n",
	       (unsigned long long)f->used_bytes, (unsigned long long)f->requested_bytes,
	       (unsigned long long)f->merges);
	for (i = 0; i < BUDDYSLAB_FIT_POLICIES; i++)
		printf("     %-5s fit: %llu allocations, %llu failures\n", fit_policies[i],
		       (unsigned long long)f->allocs[i], (unsigned long long)f->fails[i]);
}

static void table_genpool(const struct buddyslab_genpool_stats *g)
{
	unsigned int i;

	printf("\ngenpool: %llu arenas, %llu free runs, %llu free bytes, largest %llu, external fragmentation",
	       (unsigned long long)g->arenas, (unsigned long long)g->free_blocks,
	       (unsigned long long)g->free_bytes, (unsigned long long)g->largest_free);
	print_milli(g->extfrag);
	printf("\n     %llu used bytes for %llu requested, %llu frees\n",
	       (unsigned long long)g->used_bytes, (unsigned long long)g->requested_bytes,
	       (unsigned long long)g->frees);
	for (i = 0; i < BUDDYSLAB_GENPOOL_POLICIES; i++)
		printf("     %-5s fit: %llu allocations, %llu failures\n",
		       genpool_policies[i], (unsigned long long)g->allocs[i],
		       (unsigned long long)g->fails[i]);
}

static void table_byte_buddy(const struct buddyslab_byte_buddy_stats *b)
{
	printf("\nbyte buddy: %llu arenas, %llu free blocks, %llu free bytes, largest %llu, external fragmentation",
	       (unsigned long long)b->arenas, (unsigned long long)b->free_blocks,
	       (unsigned long long)b->free_bytes, (unsigned long long)b->largest_free);
	print_milli(b->extfrag);
	printf("\n     %llu used bytes for %llu requested; %llu allocations, %llu failures, %llu frees, %llu splits, %llu merges\n",
	       (unsigned long long)b->used_bytes, (unsigned long long)b->requested_bytes,
	       (unsigned long long)b->allocs, (unsigned long long)b->fails,
	       (unsigned long long)b->frees, (unsigned long long)b->splits,
	       (unsigned long long)b->merges);
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

static void json_buddy(const struct buddyslab_info *info,
		       const struct buddyslab_buddy_stats *b)
{
	unsigned int n = info->max_order + 1;

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
}

static void json_slab(const struct buddyslab_slab_stats *s)
{
	unsigned int i;

	JU("alloc_fails", s->alloc_fails);
	JU("redzone_errors", s->redzone_errors);
	JU("poison_errors", s->poison_errors);
	JU("double_frees", s->double_frees);
	JU("invalid_frees", s->invalid_frees);
	printf("\"classes\": [");
	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++) {
		const struct buddyslab_slab_cache_stats *c = &s->classes[i];

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
	printf("]");
}

static void json_fit(const struct buddyslab_fit_stats *f)
{
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
}

static void json_genpool(const struct buddyslab_genpool_stats *g)
{
	JU("arenas", g->arenas);
	JU("free_blocks", g->free_blocks);
	JU("free_bytes", g->free_bytes);
	JU("largest_free", g->largest_free);
	JU("used_bytes", g->used_bytes);
	JU("requested_bytes", g->requested_bytes);
	JU("frees", g->frees);
	JU("frees_refused", g->frees_refused);
	JU("extfrag", g->extfrag);
	json_array("allocs", g->allocs, BUDDYSLAB_GENPOOL_POLICIES, ", ");
	json_array("fails", g->fails, BUDDYSLAB_GENPOOL_POLICIES, "");
}

static void json_byte_buddy(const struct buddyslab_byte_buddy_stats *b)
{
	JU("arenas", b->arenas);
	JU("free_blocks", b->free_blocks);
	JU("free_bytes", b->free_bytes);
	JU("largest_free", b->largest_free);
	JU("used_bytes", b->used_bytes);
	JU("requested_bytes", b->requested_bytes);
	JU("allocs", b->allocs);
	JU("fails", b->fails);
	JU("frees", b->frees);
	JU("frees_refused", b->frees_refused);
	JU("splits", b->splits);
	JU("merges", b->merges);
	printf("\"extfrag\": %u", b->extfrag);
}

/* stats [--json] */
static int cmd_stats(struct session *s, int argc, char **argv)
{
	struct buddyslab_info info = { 0 };
	struct buddyslab_stats stats;

	memset(&stats, 0, sizeof(stats));
	if (ioctl(s->fd, BUDDYSLAB_IOC_INFO, &info) ||
	    ioctl(s->fd, BUDDYSLAB_IOC_STATS, &stats))
		return fail("stats", errno);
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		printf("{\"buddy\": {");
		json_buddy(&info, &stats.buddy);
		printf("}, \"slab\": {");
		json_slab(&stats.slab);
		printf("}, \"fit\": {");
		json_fit(&stats.fit);
		printf("}, \"genpool\": {");
		json_genpool(&stats.genpool);
		printf("}, \"byte_buddy\": {");
		json_byte_buddy(&stats.byte_buddy);
		printf("}}\n");
	} else {
		table_buddy(&info, &stats.buddy);
		table_slab(&stats.slab);
		table_fit(&stats.fit);
		table_genpool(&stats.genpool);
		table_byte_buddy(&stats.byte_buddy);
	}
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

static struct held *find_held(struct session *s, __u64 handle)
{
	size_t i;

	for (i = 0; i < s->nr_held; i++)
		if (s->held[i].handle == handle)
			return &s->held[i];
	return NULL;
}

/* Print what the device granted and hold it; the array grows as needed. */
static int report_alloc(struct session *s, const struct buddyslab_alloc *req)
{
	struct held *h;
	size_t max;

	printf("handle %llu: offset 0x%llx, %llu bytes asked, %llu granted\n",
	       (unsigned long long)req->handle, (unsigned long long)req->offset,
	       (unsigned long long)req->size, (unsigned long long)req->granted);
	if (s->nr_held == s->max_held) {
		max = s->max_held ? 2 * s->max_held : 64;
		h = realloc(s->held, max * sizeof(*h));
		if (!h)
			return fail("holding the allocation", ENOMEM);
		s->held = h;
		s->max_held = max;
	}
	h = &s->held[s->nr_held++];
	h->handle = req->handle;
	h->offset = req->offset;
	return 0;
}

/* Allocate @req, of the size @size_arg says; the alloc handlers' end. */
static int alloc_sized(struct session *s, struct buddyslab_alloc *req,
		       const char *size_arg)
{
	if (parse_size(size_arg, &req->size)) {
		fprintf(stderr, "%s: alloc: bad size '%s'\n", progname,
			size_arg ? size_arg : "");
		return -1;
	}
	if (ioctl(s->fd, BUDDYSLAB_IOC_ALLOC, req))
		return fail("alloc", errno);
	return report_alloc(s, req);
}

/* alloc buddy SIZE */
static int alloc_buddy(struct session *s, int argc, char **argv)
{
	struct buddyslab_alloc req = { .allocator = BUDDYSLAB_ALLOC_BUDDY };

	return alloc_sized(s, &req, word(argc, argv, 1));
}

/* alloc slab SIZE */
static int alloc_slab(struct session *s, int argc, char **argv)
{
	struct buddyslab_alloc req = { .allocator = BUDDYSLAB_ALLOC_SLAB };

	return alloc_sized(s, &req, word(argc, argv, 1));
}

/* alloc cache ID SIZE */
static int alloc_cache(struct session *s, int argc, char **argv)
{
	struct buddyslab_alloc req = { .allocator = BUDDYSLAB_ALLOC_SLAB };

	if (parse_u32(word(argc, argv, 1), &req.cache_id) || !req.cache_id) {
		fprintf(stderr, "%s: alloc cache: bad cache id\n", progname);
		return -1;
	}
	return alloc_sized(s, &req, word(argc, argv, 2));
}

/*
 * The policy named by word 1 of "alloc KIND POLICY SIZE", from @names (by
 * number - 1), into @req, then the allocation of word 2's size.
 */
static int alloc_with_policy(struct session *s, int argc, char **argv,
			     struct buddyslab_alloc *req,
			     const char *const *names)
{
	const char *policy = word(argc, argv, 1);
	unsigned int i;

	for (i = 0; policy && names[i]; i++)
		if (!strcmp(policy, names[i]))
			req->policy = i + 1;
	if (!req->policy) {
		fprintf(stderr, "%s: alloc %s: policy must be ", progname, argv[0]);
		print_names(stderr, names);
		fputc('\n', stderr);
		return -1;
	}
	return alloc_sized(s, req, word(argc, argv, 2));
}

/* alloc fit POLICY SIZE */
static int alloc_fit(struct session *s, int argc, char **argv)
{
	struct buddyslab_alloc req = { .allocator = BUDDYSLAB_ALLOC_FIT };

	return alloc_with_policy(s, argc, argv, &req, fit_policies);
}

/* alloc genpool POLICY SIZE */
static int alloc_genpool(struct session *s, int argc, char **argv)
{
	struct buddyslab_alloc req = { .allocator = BUDDYSLAB_ALLOC_GENPOOL };

	return alloc_with_policy(s, argc, argv, &req, genpool_policies);
}

/* alloc bytebuddy SIZE */
static int alloc_byte_buddy(struct session *s, int argc, char **argv)
{
	struct buddyslab_alloc req = { .allocator = BUDDYSLAB_ALLOC_BYTE_BUDDY };

	return alloc_sized(s, &req, word(argc, argv, 1));
}

/* free HANDLE */
static int cmd_free(struct session *s, int argc, char **argv)
{
	struct buddyslab_free req = { 0 };
	struct held *h;

	if (parse_handle(word(argc, argv, 1), &req.handle))
		return -1;
	if (ioctl(s->fd, BUDDYSLAB_IOC_FREE, &req))
		return fail("free", errno);
	h = find_held(s, req.handle);
	if (h)
		*h = s->held[--s->nr_held];
	printf("freed handle %llu\n", (unsigned long long)req.handle);
	return 0;
}

/* write HANDLE TEXT */
static int cmd_write(struct session *s, int argc, char **argv)
{
	const char *text = word(argc, argv, 2);
	struct held *h;
	__u64 handle;
	size_t len;

	if (parse_handle(word(argc, argv, 1), &handle))
		return -1;
	h = find_held(s, handle);
	if (!h || !text) {
		fprintf(stderr, "%s: write: no allocation %llu of this shell, or no text\n",
			progname, (unsigned long long)handle);
		return -1;
	}
	len = strlen(text);
	if (pwrite(s->fd, text, len, h->offset) != (ssize_t)len)
		return fail("write", errno);
	printf("wrote %zu bytes at offset 0x%llx\n", len,
	       (unsigned long long)h->offset);
	return 0;
}

/* read HANDLE [LEN] */
static int cmd_read(struct session *s, int argc, char **argv)
{
	const char *len_arg = word(argc, argv, 2);
	unsigned char buf[4096];
	__u64 handle, len = 64;
	struct held *h;
	ssize_t n, i;

	if (parse_handle(word(argc, argv, 1), &handle) ||
	    (len_arg && (parse_size(len_arg, &len) || len > sizeof(buf)))) {
		fprintf(stderr, "%s: read: length up to %zu\n", progname, sizeof(buf));
		return -1;
	}
	h = find_held(s, handle);
	if (!h) {
		fprintf(stderr, "%s: read: no allocation %llu of this shell\n",
			progname, (unsigned long long)handle);
		return -1;
	}
	n = pread(s->fd, buf, len, h->offset);
	if (n < 0)
		return fail("read", errno);
	for (i = 0; i < n; i++)
		printf("%02x%s", buf[i], (i % 16 == 15 || i == n - 1) ? "\n" : " ");
	return 0;
}

/* cache create NAME SIZE [ALIGN] [redzone] [poison] */
static int cache_create(struct session *s, int argc, char **argv)
{
	struct buddyslab_cache_create create = { 0 };
	int i = 3;

	if (argc < 3 ||
	    snprintf(create.name, sizeof(create.name), "%s", argv[1]) >=
	    (int)sizeof(create.name) || parse_u32(argv[2], &create.object_size))
		return -EINVAL;
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
	if (ioctl(s->fd, BUDDYSLAB_IOC_CACHE_CREATE, &create))
		return fail("cache create", errno);
	printf("cache %u: %s, %u-byte objects\n", create.cache_id, create.name,
	       create.object_size);
	return 0;
}

/* cache destroy ID */
static int cache_destroy(struct session *s, int argc, char **argv)
{
	struct buddyslab_cache_destroy destroy = { 0 };

	if (parse_u32(word(argc, argv, 1), &destroy.cache_id)) {
		fprintf(stderr, "%s: cache destroy: bad id\n", progname);
		return -1;
	}
	if (ioctl(s->fd, BUDDYSLAB_IOC_CACHE_DESTROY, &destroy))
		return fail("cache destroy", errno);
	printf("destroyed cache %u\n", destroy.cache_id);
	return 0;
}

/* batch COUNT buddy|slab SIZE */
static int cmd_batch(struct session *s, int argc, char **argv)
{
	struct buddyslab_batch_op ops[BUDDYSLAB_BATCH_MAX];
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops };
	__u32 count, allocator, i;
	int err, ret = 0;
	__u64 size;

	if (argc < 4 || parse_u32(argv[1], &count) || parse_size(argv[3], &size))
		return -EINVAL;
	if (!count || count > BUDDYSLAB_BATCH_MAX) {
		fprintf(stderr, "%s: batch: COUNT is 1 to %u\n", progname,
			BUDDYSLAB_BATCH_MAX);
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
	err = ioctl(s->fd, BUDDYSLAB_IOC_BATCH, &batch) ? errno : 0;
	for (i = 0; i < batch.nr_done; i++)
		if (report_alloc(s, &ops[i].alloc))
			ret = -1;
	printf("batch: %u of %u done\n", batch.nr_done, count);
	return err ? fail("batch", err) : ret;
}

/* buddyinfo, slabinfo, ..., map [--json]: the debugfs view of that name */
static int cmd_view(struct session *s __maybe_unused, int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");

	if (argc > 1 + json || (json && !view_has_json(argv[0])))
		return -EINVAL;
	return view_print(argv[0], json);
}

/* validate: write the view to run the checks, then read what they found. */
static int cmd_validate(struct session *s __maybe_unused,
			int argc __maybe_unused, char **argv __maybe_unused)
{
	const char *path = VIEW_DIR "/validate";
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		view_fail(path, err);
		return -1;
	}
	close(fd);
	return view_print("validate", false);
}

static int cmd_help(struct session *s __maybe_unused, int argc __maybe_unused,
		    char **argv __maybe_unused)
{
	usage(stdout);
	return 0;
}

static int cmd_quit(struct session *s, int argc __maybe_unused,
		    char **argv __maybe_unused)
{
	s->quit = true;
	return 0;
}

/* replay, compare, adversary: the laboratory (tools/lab/) */
static int cmd_replay(struct session *s, int argc, char **argv)
{
	return lab_cmd_replay(s->fd, s->device, argc, argv);
}

static int cmd_compare(struct session *s, int argc, char **argv)
{
	return lab_cmd_compare(s->fd, s->device, argc, argv);
}

static int cmd_adversary(struct session *s, int argc, char **argv)
{
	return lab_cmd_adversary(s->fd, s->device, argc, argv);
}

/* The word getopt_long() stopped at in @words: an unknown option or bad value. */
static int bad_option(const char *cmd, char **words)
{
	fprintf(stderr, "%s: trace %s: '%s': an unknown option or a bad value\n",
		progname, cmd, words[optind - 1]);
	return -EINVAL;
}

/*
 * Open what "trace convert" and "trace info" read: FILE [--from F]
 * [--events E]. Returns 0, -1 once it has said why, or -EINVAL.
 */
static int open_trace_arg(int argc, char **argv, struct trace_reader **r)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	enum trace_format format = TRACE_AUTO;
	unsigned int events = TRACE_EVENTS_ALL;
	char err[512];
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 'f' && !trace_format_parse(optarg, &format))
			continue;
		if (opt == 'e' && !strcmp(optarg, "objects"))
			events = TRACE_EVENTS_OBJECTS;
		else if (opt == 'e' && !strcmp(optarg, "pages"))
			events = TRACE_EVENTS_PAGES;
		else if (opt != 'e' || strcmp(optarg, "all"))
			return bad_option(argv[0], argv);
	}
	if (optind != argc - 1)
		return -EINVAL;
	*r = trace_open(argv[optind], format, err, sizeof(err));
	if (!*r) {
		fprintf(stderr, "%s: %s\n", progname, err);
		return -1;
	}
	if (events != TRACE_EVENTS_ALL && trace_ftrace_events(*r, events)) {
		fprintf(stderr, "%s: %s: --events is for ftrace logs\n", progname,
			argv[optind]);
		trace_close(*r);
		return -1;
	}
	return 0;
}

/* trace convert FILE [--from FORMAT] [--events objects|pages|all] */
static int trace_convert_cmd(struct session *s __maybe_unused, int argc,
			     char **argv)
{
	struct trace_reader *r;
	char err[512];
	int ret;

	ret = open_trace_arg(argc, argv, &r);
	if (ret)
		return ret;
	ret = trace_convert(r, stdout, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s: %s\n", progname, err);
	trace_close(r);
	return ret;
}

/* trace info FILE [--from FORMAT] [--events objects|pages|all] */
static int trace_info_cmd(struct session *s __maybe_unused, int argc,
			  char **argv)
{
	struct trace_reader *r;
	struct trace_op op;
	int ret;

	ret = open_trace_arg(argc, argv, &r);
	if (ret)
		return ret;
	while ((ret = trace_read(r, &op)) > 0)
		;
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", progname, trace_error(r));
	} else {
		printf("file: %s\nformat: %s\nsource: %s\n", argv[optind],
		       trace_format_name(trace_format_of(r)), trace_source(r));
		trace_write_counts(stdout, trace_counts(r), "");
	}
	trace_close(r);
	return ret;
}

/* The generators, one a line, as the help lines are. */
static void print_gen_kinds(FILE *out)
{
	const struct trace_gen_kind *k;

	for (k = trace_gen_kinds(); k->name; k++)
		fprintf(out, "  %-*s%s\n", HELP_COLUMN - 2, k->name, k->help);
}

/* trace generate KIND [--ops N] [--seed S] [--min B] [--max B] [--live B] */
static int trace_generate_cmd(struct session *s __maybe_unused, int argc,
			      char **argv)
{
	static const struct option options[] = {
		{ "ops", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "min", required_argument, NULL, 'n' },
		{ "max", required_argument, NULL, 'x' },
		{ "live", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace_gen_params p;
	char err[512];
	int opt;
	__u64 v;

	if (argc < 2 || trace_gen_defaults(argv[1], &p)) {
		fprintf(stderr, "%s: trace generate: KIND is one of\n", progname);
		print_gen_kinds(stderr);
		return -1;
	}
	/* The options follow KIND, which getopt takes for the program's name. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "", options, NULL)) != -1) {
		if (opt == '?' || parse_size(optarg, &v))
			return bad_option(argv[0], argv + 1);
		if (opt == 'o')
			p.ops = v;
		else if (opt == 's')
			p.seed = v;
		else if (opt == 'n')
			p.min_size = v;
		else if (opt == 'x')
			p.max_size = v;
		else
			p.live_bytes = v;
	}
	if (optind != argc - 1)
		return -EINVAL;
	if (trace_gen_write(&p, stdout, err, sizeof(err))) {
		fprintf(stderr, "%s: trace generate: %s\n", progname, err);
		return -1;
	}
	return 0;
}

static int cmd_shell(struct session *s, int argc, char **argv);

static const struct command alloc_commands[] = {
	{ .name = "buddy", .args = "SIZE", .run = alloc_buddy,
	  .help = "SIZE bytes from the buddy allocator" },
	{ .name = "slab", .args = "SIZE", .run = alloc_slab,
	  .help = "from the slab size classes" },
	{ .name = "cache", .args = "ID SIZE", .run = alloc_cache,
	  .help = "an object of a cache of this shell" },
	{ .name = "fit", .args = "POLICY SIZE", .run = alloc_fit,
	  .help = "with that sequential-fit POLICY" },
	{ .name = "genpool", .args = "first|best SIZE", .run = alloc_genpool,
	  .help = "from the kernel's genalloc bitmaps" },
	{ .name = "bytebuddy", .args = "SIZE", .run = alloc_byte_buddy,
	  .help = "a power of two from the byte buddy" },
	{ }
};

static const struct command cache_commands[] = {
	{ .name = "create", .args = "NAME SIZE [ALIGN] [redzone] [poison]",
	  .run = cache_create,
	  .help = "a cache of this shell, red zones and poison optional" },
	{ .name = "destroy", .args = "ID", .run = cache_destroy,
	  .help = "destroy a cache of this shell" },
	{ }
};

static const struct command trace_commands[] = {
	{ .name = "convert",
	  .args = "FILE [--from native|mtrace|ftrace] [--events objects|pages]",
	  .run = trace_convert_cmd,
	  .help = "the trace in the native format, to standard output" },
	{ .name = "generate",
	  .args = "KIND [--ops N] [--seed S] [--min B] [--max B] [--live B]",
	  .run = trace_generate_cmd,
	  .help = "a synthetic trace, to standard output; no KIND lists them" },
	{ .name = "info", .args = "FILE [--from FORMAT] [--events objects|pages]",
	  .run = trace_info_cmd,
	  .help = "what a trace holds: operations, live peak, what was skipped" },
	{ }
};

static const struct command commands[] = {
	{ .name = "info", .run = cmd_info, .flags = CMD_LINE | CMD_SHELL,
	  .help = "the device's geometry and free memory" },
	{ .name = "stats", .args = "[--json]", .run = cmd_stats,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON,
	  .help = "every allocator's statistics, as a table or JSON" },
	{ .name = "shell", .run = cmd_shell, .flags = CMD_LINE,
	  .help = "read commands from standard input, one a line" },
	{ .name = "replay",
	  .args = "TRACE --allocator NAME|all [--from FORMAT] [--events E] [--every N] [--csv FILE|DIR] [--map FILE|DIR] [--progress]",
	  .run = cmd_replay, .flags = CMD_LINE | CMD_ARGS,
	  .help = "replay a trace on one strategy or each in turn: a table, CSV time series, the map at the peak" },
	{ .name = "compare",
	  .args = "TRACE [--from FORMAT] [--events E] [--json] [--csv-dir DIR] [--every N] [--progress]",
	  .run = cmd_compare, .flags = CMD_LINE | CMD_ARGS,
	  .help = "every strategy on a trace, each from a whole region: their fragmentation side by side" },
	{ .name = "adversary",
	  .args = "--allocator NAME|all [--max-live BYTES] [--min B] [--max B] [--csv FILE|DIR]",
	  .run = cmd_adversary, .flags = CMD_LINE | CMD_ARGS,
	  .help = "a Robson-style adversary against a strategy: its blow-up beside Robson's bound" },
	{ .name = "alloc", .sub = alloc_commands, .sub_what = "allocator",
	  .flags = CMD_SHELL },
	{ .name = "free", .args = "HANDLE", .run = cmd_free, .flags = CMD_SHELL,
	  .help = "free an allocation of this shell" },
	{ .name = "write", .args = "HANDLE TEXT", .run = cmd_write,
	  .flags = CMD_SHELL, .help = "write TEXT at the allocation's start" },
	{ .name = "read", .args = "HANDLE [LEN]", .run = cmd_read,
	  .flags = CMD_SHELL, .help = "read LEN bytes (default 64) from it" },
	{ .name = "cache", .sub = cache_commands, .sub_what = "action",
	  .flags = CMD_SHELL },
	{ .name = "batch", .args = "COUNT buddy|slab SIZE", .run = cmd_batch,
	  .flags = CMD_SHELL, .help = "COUNT allocations in one call" },
	{ .name = "buddyinfo", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "the buddy allocator's free blocks per order, per arena" },
	{ .name = "unusable_index", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "free space unusable by each order, per arena and region" },
	{ .name = "extfrag_index", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "the fragmentation index of each order, per arena and region" },
	{ .name = "slabinfo", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "the slab caches, as /proc/slabinfo" },
	{ .name = "fitinfo", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "the sequential fits' free space" },
	{ .name = "genpoolinfo", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "genpool's free space" },
	{ .name = "byte_buddyinfo", .args = "[--json]", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_JSON | CMD_NO_DEVICE,
	  .help = "the byte buddy's free space and blocks per size" },
	{ .name = "map", .run = cmd_view,
	  .flags = CMD_LINE | CMD_SHELL | CMD_NO_DEVICE,
	  .help = "one character per page of the region" },
	{ .name = "validate", .run = cmd_validate,
	  .flags = CMD_LINE | CMD_SHELL | CMD_NO_DEVICE,
	  .help = "run every allocator's consistency check" },
	{ .name = "help", .run = cmd_help, .flags = CMD_SHELL,
	  .help = "this text" },
	{ .name = "quit", .run = cmd_quit, .flags = CMD_SHELL,
	  .help = "leave the shell; what it holds is freed" },
	{ .name = "exit", .run = cmd_quit, .flags = CMD_SHELL,
	  .help = "as quit" },
	{ .name = "trace", .sub = trace_commands, .sub_what = "action",
	  .flags = CMD_LINE | CMD_ARGS | CMD_NO_DEVICE },
	{ }
};

static const struct command *find_command(const struct command *table,
					  const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

/* "alloc fit POLICY SIZE": @cmd's synopsis, with @sub one of its own. */
static int print_synopsis(FILE *out, const struct command *cmd,
			  const struct command *sub)
{
	const char *args = sub ? sub->args : cmd->args;

	return fprintf(out, "%s%s%s%s%s", cmd->name, sub ? " " : "",
		       sub ? sub->name : "", args ? " " : "", args ?: "");
}

static void print_help_line(FILE *out, const struct command *cmd,
			    const struct command *sub)
{
	int len = fprintf(out, "  ") + print_synopsis(out, cmd, sub);

	if (len >= HELP_COLUMN) {
		fputc('\n', out);
		len = 0;
	}
	fprintf(out, "%*s%s\n", HELP_COLUMN - len, "", sub ? sub->help : cmd->help);
}

/* The help lines of the commands that may be given @where. */
static void print_commands(FILE *out, unsigned int where)
{
	const struct command *cmd, *sub;

	for (cmd = commands; cmd->name; cmd++) {
		if (!(cmd->flags & where))
			continue;
		if (!cmd->sub)
			print_help_line(out, cmd, NULL);
		for (sub = cmd->sub; sub && sub->name; sub++)
			print_help_line(out, cmd, sub);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: %s [-d DEVICE] COMMAND\n\ncommands:\n", progname);
	print_commands(out, CMD_LINE);
	fprintf(out, "\nshell commands:\n");
	print_commands(out, CMD_SHELL);
	fprintf(out, "\nPOLICY is ");
	print_names(out, fit_policies);
	fprintf(out, "; NAME is ");
	lab_print_strategies(out);
	fprintf(out,
		"; FORMAT is native, mtrace or ftrace\n(told from the trace if not given); sizes take a K or M suffix.\n"
		"\n"
		"options:\n"
		"  -d, --device DEVICE         default " DEFAULT_DEVICE "\n"
		"  -h, --help                  this text\n"
		"  -V, --version               the version of buddyslabctl\n"
		"\n"
		"Exit status: 0 if every command succeeded, 1 if one failed,\n"
		"2 on a usage error.\n");
}

/*
 * Run @cmd on the words of its line, its name first; a command with
 * subcommands hands the rest of the line to the one named after it.
 */
static int run_command(struct session *s, const struct command *cmd,
		       int argc, char **argv)
{
	const struct command *sub = NULL;
	int ret;

	if (cmd->sub) {
		sub = argc > 1 ? find_command(cmd->sub, argv[1]) : NULL;
		if (!sub) {
			fprintf(stderr, "%s: %s: %s must be ", progname,
				cmd->name, cmd->sub_what);
			for (sub = cmd->sub; sub->name; sub++)
				fprintf(stderr, "%s%s", list_separator(sub == cmd->sub,
								       !sub[1].name),
					sub->name);
			fputc('\n', stderr);
			return -1;
		}
		argc--;
		argv++;
	}
	ret = (sub ?: cmd)->run(s, argc, argv);
	if (ret != -EINVAL)
		return ret;
	fprintf(stderr, "%s: ", progname);
	print_synopsis(stderr, cmd, sub);
	fputc('\n', stderr);
	return -1;
}

static int run_line(struct session *s, char *line)
{
	char *argv[MAX_WORDS + 1] = { NULL };
	const struct command *cmd;
	char *save = NULL;
	int argc = 0;
	char *tok;

	for (tok = strtok_r(line, " \t\n", &save); tok && argc < MAX_WORDS;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (!argc || argv[0][0] == '#')
		return 0;
	cmd = find_command(commands, argv[0]);
	if (!cmd || !(cmd->flags & CMD_SHELL)) {
		fprintf(stderr, "%s: unknown command '%s' (try help)\n", progname,
			argv[0]);
		return -1;
	}
	return run_command(s, cmd, argc, argv);
}

static int cmd_shell(struct session *s, int argc __maybe_unused,
		     char **argv __maybe_unused)
{
	int interactive = isatty(STDIN_FILENO);
	char line[512];
	int failed = 0;

	while (!s->quit) {
		if (interactive) {
			fputs("buddyslab> ", stdout);
			fflush(stdout);
		}
		if (!fgets(line, sizeof(line), stdin))
			break;
		/* Echo scripted input so a transcript reads like a session. */
		if (!interactive && line[0] != '\n')
			printf("%s%s", line[0] == '#' ? "" : "buddyslab> ", line);
		if (run_line(s, line))
			failed = 1;
		fflush(stdout);
	}
	return failed ? -1 : 0;
}

static const struct option main_options[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * buddyslabctl's own options from argv[optind] to the next word that is
 * not one: -1 to go on, or the status to exit with (help, a bad option).
 */
static int parse_main_options(int argc, char **argv, const char **device,
			      bool *json)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "+d:hjV", main_options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			*device = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			*json = true;
			break;
		case 'V':
			printf("%s %s\n", progname, BUDDYSLAB_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct session session = { 0 };
	const char *device = DEFAULT_DEVICE;
	const struct command *cmd = NULL;
	char *words[3] = { NULL };
	char **cmd_argv;
	int ret, cmd_argc;
	bool json = false;

	/*
	 * The options before the command are buddyslabctl's. A command that
	 * takes arguments gets the rest of the line as its own; after one that
	 * does not, buddyslabctl's options may follow.
	 */
	ret = parse_main_options(argc, argv, &device, &json);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		cmd = find_command(commands, argv[optind]);
	cmd_argc = argc - optind;
	cmd_argv = argv + optind;
	if (cmd && !(cmd->flags & CMD_ARGS)) {
		optind++;
		ret = parse_main_options(argc, argv, &device, &json);
		if (ret >= 0)
			return ret;
		/* getopt took --json out of the line: give it back as the shell has it. */
		words[0] = cmd_argv[0];
		words[1] = json ? "--json" : NULL;
		cmd_argc = json ? 2 : 1;
		cmd_argv = words;
		if (optind < argc)
			cmd = NULL;
	}
	if (!cmd || !(cmd->flags & CMD_LINE) || (json && !(cmd->flags & CMD_JSON))) {
		usage(stderr);
		return 2;
	}

	session.fd = cmd->flags & CMD_NO_DEVICE ? -1 :
		     open(device, O_RDWR | O_CLOEXEC);
	if (session.fd < 0 && !(cmd->flags & CMD_NO_DEVICE)) {
		fprintf(stderr, "%s: %s: %s%s\n", progname, device,
			strerror(errno),
			errno == ENOENT ? " (is the buddyslab module loaded?)" : "");
		return 1;
	}
	session.device = device;
	ret = run_command(&session, cmd, cmd_argc, cmd_argv);
	if (session.fd >= 0)
		close(session.fd);
	free(session.held);
	return ret ? 1 : 0;
}
