// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of buddyslab under injected faults, run while the module is not
 * loaded, in kernels that inject them (CONFIG_FAULT_INJECTION, which gives
 * every task /proc/thread-self/fail-nth); skipped in the others.
 *
 * Each operation (loading the module, open, ALLOC from every allocator,
 * FREE, CACHE_CREATE and DESTROY, BATCH, STATS, mmap, pread, pwrite and the
 * debugfs files) is run again and again, with fail-nth set to n = 1, 2, ...
 * just before its syscall, so that the nth fault point it passes fails:
 * buddyslab's own (bs_fault(), the module's attribute fail/) or the
 * kernel's (failslab and fail_page_alloc, sleeping allocations included).
 * Whatever fails, the syscall fails with ENOMEM and changes nothing but the
 * allocators' failure counters, and every allocator stays consistent; or,
 * where the kernel gets around a failure of its own (kmemleak's metadata,
 * say), it succeeds. The loop ends at the first n that the syscall does
 * not reach: it passed n - 1 points, and there must be at least as many of
 * buddyslab's on the way as its source has on that path, so a point that
 * injection no longer reaches fails the test. Each point is told apart by
 * the "times" count of the attribute that failed, which every injection
 * decrements; the table of what each operation reached is printed last.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"
#include "buddyslab_util.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc"
#define BS_FAIL		BS_DEBUGFS "/fail"
#define TIMES		1000000		/* "times" of each attribute: its count */
#define MAX_POINTS	2000		/* more than any operation passes */
#define REGION		(16ULL << 20)	/* region_mb=16 */
#define LOAD_REGION	(32ULL << 20)	/* region_mb=32 for the load */
#define LOAD_SLACK	(3ULL << 20)	/* MemFree within less than a chunk */
#define LOAD_PARAMS	"region_mb=32"

/* The fault attributes a point may belong to. */
enum { ATTR_BS, ATTR_SLAB, ATTR_PAGE, NR_ATTRS };

static const char *const attr_dirs[NR_ATTRS] = { BS_FAIL, FAILSLAB, FAIL_PAGE };

/* What an operation reached, for the table printed at exit. */
struct row {
	char name[24];
	unsigned int expected;		/* buddyslab's points on its path, from the source */
	unsigned int bs_points;		/* buddyslab's points it passed */
	unsigned int points;		/* every point it passed, the kernel's too */
	unsigned int failed[NR_ATTRS];	/* injections that failed it, by attribute */
	unsigned int absorbed;		/* injections it succeeded despite */
};

#define MAX_ROWS	48

/* Shared with the forked tests, filled by them, printed by the harness. */
static struct table {
	unsigned int nr;
	struct row rows[MAX_ROWS];
} *table;

static void __attribute__((constructor)) table_init(void)
{
	table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (table == MAP_FAILED)
		table = NULL;
}

static void __attribute__((destructor)) table_print(void)
{
	unsigned int i;

	if (!table || !table->nr)
		return;
	ksft_print_msg("fail-nth: the points each operation reached; of every point, those whose failure failed it, by attribute, and those it got around\n");
	ksft_print_msg("%-20s %8s %9s | %6s %9s %8s %10s %8s\n", "operation",
		       "expected", "buddyslab", "every", "buddyslab", "failslab",
		       "page_alloc", "absorbed");
	for (i = 0; i < table->nr; i++) {
		const struct row *r = &table->rows[i];

		ksft_print_msg("%-20s %8u %9u | %6u %9u %8u %10u %8u\n",
			       r->name, r->expected, r->bs_points, r->points,
			       r->failed[ATTR_BS], r->failed[ATTR_SLAB],
			       r->failed[ATTR_PAGE], r->absorbed);
	}
}

static int read_ull(const char *path, unsigned long long *v)
{
	char buf[64];
	int ret = bs_read_file(path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	return sscanf(buf, "%lld", (long long *)v) == 1 ? 0 : -EINVAL;
}

static int attr_set(const char *dir, const char *file, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return bs_write_file(path, value);
}

/* The "times" of each attribute; an attribute not there reads TIMES. */
static void attr_times(unsigned long long times[NR_ATTRS])
{
	char path[128];
	unsigned int a;

	for (a = 0; a < NR_ATTRS; a++) {
		snprintf(path, sizeof(path), "%s/times", attr_dirs[a]);
		if (read_ull(path, &times[a]))
			times[a] = TIMES;
	}
}

/* The kernel's attributes as they were, to put back. */
struct saved_attrs {
	char slab_wait[8], page_wait[8], slab_filter[8], page_order[16];
	char slab_verbose[32], page_verbose[32];
	char slab_times[32], page_times[32];
};

static void save(const char *dir, const char *file, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (bs_read_file(path, buf, size) < 0)
		buf[0] = '\0';
}

static void restore(const char *dir, const char *file, const char *buf)
{
	if (buf[0])
		attr_set(dir, file, buf);
}

/*
 * Make the kernel's points quiet and count their injections, and fail
 * sleeping allocations too; 0, or -errno if they cannot be set.
 */
static int kernel_attrs_set(struct saved_attrs *s)
{
	char times[32];

	save(FAILSLAB, "ignore-gfp-wait", s->slab_wait, sizeof(s->slab_wait));
	save(FAIL_PAGE, "ignore-gfp-wait", s->page_wait, sizeof(s->page_wait));
	save(FAILSLAB, "cache-filter", s->slab_filter, sizeof(s->slab_filter));
	save(FAIL_PAGE, "min-order", s->page_order, sizeof(s->page_order));
	save(FAILSLAB, "verbose", s->slab_verbose, sizeof(s->slab_verbose));
	save(FAIL_PAGE, "verbose", s->page_verbose, sizeof(s->page_verbose));
	save(FAILSLAB, "times", s->slab_times, sizeof(s->slab_times));
	save(FAIL_PAGE, "times", s->page_times, sizeof(s->page_times));
	snprintf(times, sizeof(times), "%d", TIMES);
	return attr_set(FAILSLAB, "ignore-gfp-wait", "N") ?:
	       attr_set(FAIL_PAGE, "ignore-gfp-wait", "N") ?:
	       attr_set(FAILSLAB, "verbose", "0") ?:
	       attr_set(FAIL_PAGE, "verbose", "0") ?:
	       attr_set(FAILSLAB, "times", times) ?:
	       attr_set(FAIL_PAGE, "times", times);
}

static void kernel_attrs_restore(const struct saved_attrs *s)
{
	restore(FAILSLAB, "ignore-gfp-wait", s->slab_wait);
	restore(FAIL_PAGE, "ignore-gfp-wait", s->page_wait);
	restore(FAILSLAB, "cache-filter", s->slab_filter);
	restore(FAIL_PAGE, "min-order", s->page_order);
	restore(FAILSLAB, "verbose", s->slab_verbose);
	restore(FAIL_PAGE, "verbose", s->page_verbose);
	restore(FAILSLAB, "times", s->slab_times);
	restore(FAIL_PAGE, "times", s->page_times);
}

/*
 * The two passes over an operation: first buddyslab's points alone (the
 * kernel's filtered out: failslab only for caches marked, and none is;
 * fail_page_alloc from an order no allocation has), which are the same
 * from one try to the next, so that each is failed once; then every
 * point, the kernel's included, some of which come and go (kmemleak's
 * pool, KASAN's stack depot), so that their count varies a little.
 */
enum { PASS_BS, PASS_ALL, NR_PASSES };

static const char *const pass_names[NR_PASSES] = { "buddyslab's points",
						   "every point" };

static int pass_set(unsigned int pass, const struct saved_attrs *s)
{
	if (pass == PASS_BS)
		return attr_set(FAILSLAB, "cache-filter", "Y") ?:
		       attr_set(FAIL_PAGE, "min-order", "100");
	return attr_set(FAILSLAB, "cache-filter", "N") ?:
	       attr_set(FAIL_PAGE, "min-order", s->page_order);
}

/* The module's attribute: quiet, and counting. */
static int bs_attr_set(void)
{
	char times[32];

	snprintf(times, sizeof(times), "%d", TIMES);
	return attr_set(BS_FAIL, "verbose", "0") ?:
	       attr_set(BS_FAIL, "times", times);
}

/* Arm this thread's fail-nth; nothing may run between this and the syscall. */
static inline void arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

/* What is left of fail-nth: 0 if a fault was injected. Disarms it. */
static inline unsigned int disarm(int nth)
{
	char buf[16] = "";
	unsigned int left;

	if (pread(nth, buf, sizeof(buf) - 1, 0) <= 0 ||
	    sscanf(buf, "%u", &left) != 1)
		abort();
	if (left && pwrite(nth, "0", 1, 0) != 1)
		abort();
	return left;
}

/* ---- The state an injected failure must leave as it was ---- */

struct state {
	uint64_t free_bytes;		/* free in the buddy, its CPUs' caches included */
	char held[8192];		/* what every cache and the fits hold */
	char users[8192];		/* what every user is charged */
	char stats[1 << 17];		/* every figure and counter */
};

static struct state before, after;

/* The views of the byte-grain allocators' bytes and arenas. */
static const char *const space_views[] = {
	BS_DEBUGFS "/fitinfo", BS_DEBUGFS "/genpoolinfo",
	BS_DEBUGFS "/byte_buddyinfo",
};

/*
 * The memory held: per cache of slabinfo, its objects allocated, objects
 * and slabs (not which of them the magazines have); the bytes of the fits,
 * the genpool and the byte buddy.
 */
static int held_take(char *held, size_t size)
{
	static char buf[1 << 16];
	unsigned long active, num, slabs;
	char name[64], *line;
	size_t len = 0;
	unsigned int i;
	int ret;

	ret = bs_read_file(BS_DEBUGFS "/slabinfo", buf, sizeof(buf));
	for (line = buf; ret >= 0 && line && *line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (sscanf(line, "%63s %lu %lu %*u %*u %*u : tunables %*u %*u %*u : slabdata %*u %lu",
			   name, &active, &num, &slabs) == 4)
			len += snprintf(held + len, size - len, "%s %lu %lu %lu\n",
					name, active, num, slabs);
	}
	for (i = 0; ret >= 0 && i < sizeof(space_views) / sizeof(space_views[0]); i++) {
		ret = bs_read_file(space_views[i], buf, sizeof(buf));
		if (ret >= 0 && len + strlen(buf) < size)
			len += snprintf(held + len, size - len, "%s", buf);
		else if (ret >= 0)
			ret = -E2BIG;
	}
	return ret < 0 ? ret : 0;
}

static int state_take(int fd, struct state *s)
{
	int ret;

	s->free_bytes = bs_free_bytes(fd);
	ret = held_take(s->held, sizeof(s->held));
	if (!ret)
		ret = bs_read_file(BS_DEBUGFS "/users", s->users,
				   sizeof(s->users));
	if (ret >= 0)
		ret = bs_read_file(BS_DEBUGFS "/stats", s->stats,
				   sizeof(s->stats));
	return ret < 0 ? ret : 0;
}

/* A failure counter ("..._fails value"): a failure may count itself. */
static bool failure_counter(const char *line, size_t len)
{
	const char *space = memchr(line, ' ', len);

	return space && space - line >= 6 && !memcmp(space - 6, "_fails", 6);
}

/*
 * An arena's round trip: an allocation of the fits, the genpool or the
 * byte buddy that took a fresh arena and then failed gives it straight
 * back, and the buddy and the allocator count both (docs/ioctl.md).
 */
static bool arena_counter(const char *line, size_t len)
{
	static const char *const names[] = {
		"buddy_allocs_order10 ", "buddy_frees_order10 ",
		"fit_arenas_taken ", "fit_arenas_given ",
		"genpool_arenas_taken ", "genpool_arenas_given ",
		"byte_buddy_arenas_taken ", "byte_buddy_arenas_given ",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len > strlen(names[i]) &&
		    !memcmp(line, names[i], strlen(names[i])))
			return true;
	return false;
}

/*
 * The first line that differs, failure counters aside (and, if @arena, an
 * arena's round trip); NULL if none.
 */
static const char *stats_differ(const char *a, const char *b, bool arena)
{
	while (*a || *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		bool same_name = strcspn(a, " ") == strcspn(b, " ") &&
				 !memcmp(a, b, strcspn(a, " "));

		if ((la != lb || memcmp(a, b, la)) &&
		    !(same_name && failure_counter(a, la)) &&
		    !(same_name && arena && arena_counter(a, la)))
			return *a ? a : b;
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
	}
	return NULL;
}

/* ---- The operations ---- */

struct ctx {
	int fd;				/* the device, open */
	int nth;			/* this thread's fail-nth */
	struct buddyslab_info info;
	int other;			/* a file an operation opened */
	uint32_t cache;			/* a cache of @fd */
	uint32_t new_cache;		/* the one CACHE_CREATE made */
	struct buddyslab_alloc req;	/* the allocation an operation made or uses */
	struct buddyslab_batch_op ops[4];
	struct buddyslab_batch batch;
	struct buddyslab_stats stats;
	void *map;
	void *anchor;			/* a page keeping @map's page table */
	int dfd;			/* a debugfs file */
	char buf[1 << 17];
};

struct op {
	const char *name;
	/* buddyslab's fault points on the operation's path, from the source */
	unsigned int expected;
	/* Once before the loop and once after it; 0 or -errno. */
	int (*setup)(struct ctx *c);
	int (*teardown)(struct ctx *c);
	/* Before each try, unarmed; 0 or -errno. */
	int (*prepare)(struct ctx *c);
	/* The syscall under test: 0 or -errno. */
	int (*run)(struct ctx *c);
	/*
	 * After each try, unarmed: what it did (@ret) is undone; false if
	 * what it left is wrong.
	 */
	bool (*finish)(struct ctx *c, int ret);
	/* A failure leaves stats, slabinfo and users as they were. */
	bool unchanged;
	/* buddyslab itself may get around a failure of its own. */
	bool absorbs;
	/*
	 * A failure may take a fresh arena of the fits, the genpool or the
	 * byte buddy and give it back.
	 */
	bool takes_arena;
};

static int alloc_run(struct ctx *c, uint32_t allocator, uint64_t size,
		     uint32_t cache, uint32_t policy)
{
	return bs_alloc(c->fd, allocator, size, cache, policy, &c->req);
}

static bool free_finish(struct ctx *c, int ret)
{
	return ret || !bs_free(c->fd, c->req.handle);
}

static int open_run(struct ctx *c)
{
	c->other = open(BS_DEVICE, O_RDWR);
	return c->other < 0 ? -errno : 0;
}

static bool open_finish(struct ctx *c, int ret)
{
	return ret || !close(c->other);
}

/* The opener's real uid, which the file is charged to, becomes nobody's. */
static int nobody_setup(struct ctx *c)
{
	return setresuid(65534, 0, 0) ? -errno : 0;
}

static int nobody_teardown(struct ctx *c)
{
	return setresuid(0, 0, 0) ? -errno : 0;
}

static int buddy_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_BUDDY, 16384, 0, 0);
}

static int slab_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_SLAB, 100, 0, 0);
}

static int fit_first_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_FIT, 1000, 0, BUDDYSLAB_FIT_FIRST);
}

static int fit_next_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_FIT, 1000, 0, BUDDYSLAB_FIT_NEXT);
}

static int fit_best_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_FIT, 1000, 0, BUDDYSLAB_FIT_BEST);
}

static int fit_worst_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_FIT, 1000, 0, BUDDYSLAB_FIT_WORST);
}

static int genpool_first_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_GENPOOL, 1000, 0, BUDDYSLAB_GENPOOL_FIRST);
}

static int genpool_best_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_GENPOOL, 1000, 0, BUDDYSLAB_GENPOOL_BEST);
}

static int byte_buddy_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_BYTE_BUDDY, 1000, 0, 0);
}

static int cache_setup(struct ctx *c)
{
	return bs_cache_create(c->fd, "fault-objs", 200, 0, 0, &c->cache);
}

static int cache_teardown(struct ctx *c)
{
	return bs_cache_destroy(c->fd, c->cache);
}

static int cache_run(struct ctx *c)
{
	return alloc_run(c, BUDDYSLAB_ALLOC_SLAB, 200, c->cache, 0);
}

static int free_run(struct ctx *c)
{
	return bs_free(c->fd, c->req.handle);
}

/* After a FREE that failed, the allocation is still there: free it. */
static bool free_failed_finish(struct ctx *c, int ret)
{
	return !ret || !bs_free(c->fd, c->req.handle);
}

static int create_run(struct ctx *c)
{
	return bs_cache_create(c->fd, "fault-new", 96, 0, BUDDYSLAB_CACHE_POISON,
			       &c->new_cache);
}

static bool create_finish(struct ctx *c, int ret)
{
	return ret || !bs_cache_destroy(c->fd, c->new_cache);
}

static int destroy_run(struct ctx *c)
{
	return bs_cache_destroy(c->fd, c->new_cache);
}

static bool destroy_finish(struct ctx *c, int ret)
{
	return !ret || !bs_cache_destroy(c->fd, c->new_cache);
}

static void batch_op(struct buddyslab_batch_op *op, uint32_t allocator,
		     uint64_t size, uint32_t cache, uint32_t policy)
{
	memset(op, 0, sizeof(*op));
	op->op = BUDDYSLAB_BATCH_ALLOC;
	op->alloc.allocator = allocator;
	op->alloc.size = size;
	op->alloc.cache_id = cache;
	op->alloc.policy = policy;
}

/* A batch of one allocation from each allocator and the cache. */
static int batch_prepare(struct ctx *c)
{
	batch_op(&c->ops[0], BUDDYSLAB_ALLOC_BUDDY, 8192, 0, 0);
	batch_op(&c->ops[1], BUDDYSLAB_ALLOC_SLAB, 64, 0, 0);
	batch_op(&c->ops[2], BUDDYSLAB_ALLOC_FIT, 512, 0, BUDDYSLAB_FIT_BEST);
	batch_op(&c->ops[3], BUDDYSLAB_ALLOC_SLAB, 200, c->cache, 0);
	memset(&c->batch, 0, sizeof(c->batch));
	c->batch.ops = (uintptr_t)c->ops;
	c->batch.nr_ops = 4;
	return 0;
}

static int batch_run(struct ctx *c)
{
	return bs_ioctl(c->fd, BUDDYSLAB_IOC_BATCH, &c->batch);
}

/*
 * A batch that failed did the operations before the one that failed, and
 * nothing of that one or after it; the done ones are freed like the rest.
 */
static bool batch_finish(struct ctx *c, int ret)
{
	bool ok = !ret || (c->batch.nr_done < 4 &&
			   c->ops[c->batch.nr_done].result == ret);
	unsigned int i;

	for (i = 0; i < c->batch.nr_done && i < 4; i++)
		if (c->ops[i].result || bs_free(c->fd, c->ops[i].alloc.handle))
			ok = false;
	for (i = c->batch.nr_done + !!ret; i < 4; i++)
		if (c->ops[i].result || c->ops[i].alloc.handle)
			ok = false;
	return ok;
}

/* A batch of one: a failure leaves nothing. */
static int batch1_prepare(struct ctx *c)
{
	batch_op(&c->ops[0], BUDDYSLAB_ALLOC_FIT, 512, 0, BUDDYSLAB_FIT_FIRST);
	memset(&c->batch, 0, sizeof(c->batch));
	c->batch.ops = (uintptr_t)c->ops;
	c->batch.nr_ops = 1;
	return 0;
}

static bool batch1_finish(struct ctx *c, int ret)
{
	return ret ? !c->batch.nr_done && c->ops[0].result == ret :
		     !bs_free(c->fd, c->ops[0].alloc.handle);
}

static int stats_run(struct ctx *c)
{
	return bs_ioctl(c->fd, BUDDYSLAB_IOC_STATS, &c->stats);
}

static int mapped_setup(struct ctx *c)
{
	return bs_alloc_buddy(c->fd, 65536, &c->req);
}

/* Every mapping gone, the allocation can be freed: none is left counted. */
static int mapped_teardown(struct ctx *c)
{
	return bs_free(c->fd, c->req.handle);
}

#define PMD_BYTES	(2UL << 20)

/*
 * mmap's tries all map at one address whose page table is there before
 * them and stays after them, kept by an anonymous page in the same 2 MiB:
 * remap_pfn_range() then allocates no page table, so no fault point of the
 * kernel's fails it half-way. Linux 6.12 warns when one does, from x86's
 * PAT code (get_pat_info() in untrack_pfn(), with no page table entry to
 * learn the range from): a report of the kernel's, not buddyslab's.
 */
static int mmap_setup(struct ctx *c)
{
	char *area = mmap(NULL, 2 * PMD_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *pmd;

	if (area == MAP_FAILED)
		return -errno;
	pmd = (char *)(((unsigned long)area + PMD_BYTES - 1) & ~(PMD_BYTES - 1));
	if (pmd > area)
		munmap(area, pmd - area);
	munmap(pmd + 4096, area + 2 * PMD_BYTES - pmd - 4096);
	pmd[0] = 1;
	c->anchor = pmd;
	return mapped_setup(c);
}

static int mmap_teardown(struct ctx *c)
{
	munmap(c->anchor, 4096);
	return mapped_teardown(c);
}

static int mmap_run(struct ctx *c)
{
	c->map = mmap((char *)c->anchor + 65536, 65536, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED, c->fd, c->req.offset);
	return c->map == MAP_FAILED ? -errno : 0;
}

static bool mmap_finish(struct ctx *c, int ret)
{
	return ret || !munmap(c->map, 65536);
}

static int copied_setup(struct ctx *c)
{
	int ret = bs_alloc_slab(c->fd, 4096, &c->req);

	/* The buffer's pages are there before any try. */
	memset(c->buf, 0x5a, 4096);
	return ret;
}

static int pread_run(struct ctx *c)
{
	ssize_t n = pread(c->fd, c->buf, 4096, c->req.offset);

	return n == 4096 ? 0 : n < 0 ? -errno : -EIO;
}

static int pwrite_run(struct ctx *c)
{
	ssize_t n = pwrite(c->fd, c->buf, 4096, c->req.offset);

	return n == 4096 ? 0 : n < 0 ? -errno : -EIO;
}

static bool close_finish(struct ctx *c, int ret)
{
	return !close(c->dfd);
}

static int debugfs_open(struct ctx *c, const char *file, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), BS_DEBUGFS "/%s", file);
	c->dfd = open(path, flags);
	return c->dfd < 0 ? -errno : 0;
}

static int stats_file_prepare(struct ctx *c)
{
	return debugfs_open(c, "stats", O_RDONLY);
}

static int slabinfo_file_prepare(struct ctx *c)
{
	return debugfs_open(c, "slabinfo", O_RDONLY);
}

static int users_file_prepare(struct ctx *c)
{
	return debugfs_open(c, "users", O_RDONLY);
}

static int validate_file_prepare(struct ctx *c)
{
	return debugfs_open(c, "validate", O_WRONLY);
}

/* The first read of a seq_file makes the whole text. */
static int read_run(struct ctx *c)
{
	ssize_t n = read(c->dfd, c->buf, sizeof(c->buf));

	return n > 0 ? 0 : n < 0 ? -errno : -EIO;
}

static int validate_run(struct ctx *c)
{
	ssize_t n = write(c->dfd, "1", 1);

	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

/* ---- The loop ---- */

/* One pass's tally. */
struct tally {
	unsigned int points;
	unsigned int failed[NR_ATTRS];
	unsigned int absorbed;
};

static void record(const char *name, unsigned int expected,
		   const struct tally t[NR_PASSES])
{
	struct row *r;

	if (!table || table->nr == MAX_ROWS)
		return;
	r = &table->rows[table->nr++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->expected = expected;
	r->bs_points = t[PASS_BS].failed[ATTR_BS] + t[PASS_BS].absorbed;
	r->points = t[PASS_ALL].points;
	memcpy(r->failed, t[PASS_ALL].failed, sizeof(r->failed));
	r->absorbed = t[PASS_ALL].absorbed;
}

static void expect_valid(struct __test_metadata *_metadata, const char *op,
			 unsigned int n)
{
	char buf[256];

	EXPECT_EQ(0, bs_validate(buf, sizeof(buf)));
	EXPECT_STREQ(BS_VALID, buf) TH_LOG("%s, point %u", op, n);
}

/* The attribute whose point failed between @t0 and @t1, NR_ATTRS if none. */
static unsigned int attr_failed(const unsigned long long t0[NR_ATTRS],
				const unsigned long long t1[NR_ATTRS])
{
	unsigned int a;

	for (a = 0; a < NR_ATTRS && t1[a] == t0[a]; a++)
		;
	return a;
}

/*
 * A request that failed leaves nothing: the memory free and held, what
 * users are charged; and, as docs/ioctl.md promises, no figure or counter
 * changed but the failure counters of the allocator that failed.
 */
static void expect_unchanged(struct __test_metadata *_metadata, int fd,
			     const struct op *op, unsigned int n,
			     const char *attr)
{
	const char *diff;

	ASSERT_EQ(0, state_take(fd, &after));
	EXPECT_EQ(before.free_bytes, after.free_bytes)
		TH_LOG("%s: point %u (%s) changed the free bytes", op->name, n,
		       attr);
	EXPECT_STREQ(before.held, after.held)
		TH_LOG("%s: point %u (%s) changed what caches or fits hold",
		       op->name, n, attr);
	EXPECT_STREQ(before.users, after.users)
		TH_LOG("%s: point %u (%s) changed what users are charged",
		       op->name, n, attr);
	diff = stats_differ(before.stats, after.stats, op->takes_arena);
	EXPECT_EQ(NULL, diff)
		TH_LOG("%s: point %u (%s) changed stats, first %.*s (was)",
		       op->name, n, attr, (int)strcspn(diff, "\n"), diff);
}

static void inject_pass(struct __test_metadata *_metadata, struct ctx *c,
			const struct op *op, unsigned int pass,
			struct tally *t)
{
	unsigned long long t0[NR_ATTRS], t1[NR_ATTRS];
	unsigned int n, left = 0, a;
	int ret;

	for (n = 1; n <= MAX_POINTS; n++) {
		/* Every try from the same state: no cache holds anything. */
		bs_reclaim(c->fd, &c->info);
		if (op->prepare)
			ASSERT_EQ(0, op->prepare(c)) TH_LOG("%s: prepare", op->name);
		ASSERT_EQ(0, state_take(c->fd, &before));
		attr_times(t0);

		arm(c->nth, n);
		ret = op->run(c);
		left = disarm(c->nth);

		if (left) {
			/* No point failed: the whole path, n - left points. */
			EXPECT_EQ(0, ret) TH_LOG("%s: %s with no fault injected",
						 op->name, strerror(-ret));
			if (op->finish)
				EXPECT_TRUE(op->finish(c, ret)) TH_LOG("%s", op->name);
			break;
		}
		attr_times(t1);
		a = attr_failed(t0, t1);
		EXPECT_GT(NR_ATTRS, a) TH_LOG("%s: point %u is no attribute's",
					      op->name, n);
		if (a == NR_ATTRS)
			a = ATTR_BS;
		if (pass == PASS_BS)
			EXPECT_EQ(ATTR_BS, a) TH_LOG("%s: point %u is %s's",
						     op->name, n, attr_dirs[a]);
		if (ret) {
			t->failed[a]++;
			EXPECT_EQ(-ENOMEM, ret)
				TH_LOG("%s: point %u (%s) gave %s", op->name, n,
				       attr_dirs[a], strerror(-ret));
			if (op->unchanged)
				expect_unchanged(_metadata, c->fd, op, n, attr_dirs[a]);
		} else {
			/* Got around it: the kernel's, or one buddyslab may. */
			t->absorbed++;
			EXPECT_TRUE(a != ATTR_BS || op->absorbs)
				TH_LOG("%s: buddyslab's point %u failed, yet the syscall succeeded",
				       op->name, n);
		}
		if (op->finish)
			EXPECT_TRUE(op->finish(c, ret))
				TH_LOG("%s: after point %u (%s)", op->name, n,
				       attr_dirs[a]);
		expect_valid(_metadata, op->name, n);
	}
	ASSERT_NE(0, left) TH_LOG("%s: still failing after %u points", op->name,
				  MAX_POINTS);
	t->points = n - left;
	expect_valid(_metadata, op->name, n);
}

static void inject(struct __test_metadata *_metadata, struct ctx *c,
		   const struct saved_attrs *saved, const struct op *op)
{
	struct tally t[NR_PASSES] = {};
	unsigned int pass;

	if (op->setup)
		ASSERT_EQ(0, op->setup(c)) TH_LOG("%s: setup", op->name);
	for (pass = 0; pass < NR_PASSES; pass++) {
		ASSERT_EQ(0, pass_set(pass, saved));
		inject_pass(_metadata, c, op, pass, &t[pass]);
		TH_LOG("%s, %s: %u points; failed: buddyslab's %u, failslab's %u, fail_page_alloc's %u; got around %u",
		       op->name, pass_names[pass], t[pass].points,
		       t[pass].failed[ATTR_BS], t[pass].failed[ATTR_SLAB],
		       t[pass].failed[ATTR_PAGE], t[pass].absorbed);
	}
	if (op->teardown)
		EXPECT_EQ(0, op->teardown(c)) TH_LOG("%s: teardown", op->name);
	record(op->name, op->expected, t);
	/* Injection reaches every point of buddyslab's on the path. */
	EXPECT_LE(op->expected, t[PASS_BS].failed[ATTR_BS] + t[PASS_BS].absorbed)
		TH_LOG("%s", op->name);
}

/* ---- Fixtures ---- */

static bool can_inject(void)
{
	return access(FAIL_NTH, F_OK) == 0 && access(FAILSLAB, F_OK) == 0 &&
	       access(FAIL_PAGE, F_OK) == 0;
}

/*
 * The setup of both fixtures: skip where faults cannot be injected; else,
 * with the module not loaded, pin this thread and set the kernel's
 * attributes, saving them in @saved. Whether they are set (and must be
 * put back) is @attrs_set.
 */
static void inject_setup(struct __test_metadata *_metadata,
			 struct saved_attrs *saved, bool *attrs_set)
{
	if (!can_inject())
		SKIP(return, "no fault injection in this kernel (%s)", FAIL_NTH);
	ASSERT_FALSE(bs_loaded());
	/* The only thread, on one CPU: per-CPU caches do not change under it. */
	ASSERT_EQ(0, bs_stay_on_cpu0());
	*attrs_set = true;
	ASSERT_EQ(0, kernel_attrs_set(saved));
}

/* ... and their teardown: the attributes put back, the module unloaded. */
static void inject_teardown(struct __test_metadata *_metadata,
			    const struct saved_attrs *saved)
{
	kernel_attrs_restore(saved);
	if (bs_loaded())
		EXPECT_EQ(0, bs_unload());
}

FIXTURE(fault) {
	struct ctx c;
	struct saved_attrs saved;
	bool attrs_set;
};

FIXTURE_SETUP(fault)
{
	inject_setup(_metadata, &self->saved, &self->attrs_set);
}

/*
 * Load the module (no file may hold more than the region: reclaim takes it
 * whole), open this thread's fail-nth and the device, and bring the region
 * back whole; then a cache for the operations to use. In the test, so that
 * the teardown unloads the module whatever fails.
 */
static void fault_start(struct __test_metadata *_metadata, struct ctx *c)
{
	ASSERT_EQ(0, bs_load("region_mb=16 max_bytes_per_file=16777216"));
	ASSERT_EQ(0, bs_attr_set());
	c->nth = open(FAIL_NTH, O_RDWR);
	ASSERT_LE(0, c->nth);
	c->fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, bs_info(c->fd, &c->info));
	ASSERT_EQ(REGION, c->info.region_bytes);
	ASSERT_EQ(0, bs_reclaim(c->fd, &c->info));
	ASSERT_EQ(0, cache_setup(c));
}

FIXTURE_TEARDOWN(fault)
{
	struct ctx *c = &self->c;

	if (!self->attrs_set)
		return;
	if (c->fd > 0) {
		if (c->cache)
			EXPECT_EQ(0, cache_teardown(c));
		EXPECT_EQ(0, bs_reclaim(c->fd, &c->info));
		EXPECT_EQ(REGION, bs_free_bytes(c->fd));
		close(c->fd);
	}
	if (c->nth > 0)
		close(c->nth);
	inject_teardown(_metadata, &self->saved);
}

#define FAULT_TEST(op_name, ...)					\
TEST_F_TIMEOUT(fault, op_name, 300)					\
{									\
	const struct op op = { .name = #op_name, __VA_ARGS__ };	\
									\
	fault_start(_metadata, &self->c);				\
	inject(_metadata, &self->c, &self->saved, &op);			\
}

/*
 * The operations, with buddyslab's fault points on their paths in the
 * source, each run on a region just reclaimed (no slab in any cache, no
 * fit arena), with one file of root's open and a cache of 200-byte objects:
 * - open: the file (and, for a user with no file yet, its totals and their
 *   slot in the table of users);
 * - ALLOC: the record, the handle, what the allocator asks (buddy: 1; a
 *   slab: the slab page's descriptor and its pages; fit: 3 spare blocks,
 *   an arena's descriptor, its pages and its slot, the allocation's slot;
 *   genpool: an arena's pages, its gen_pool, its chunk and its slot, the
 *   allocation's record; byte buddy: an arena's bitmaps, its pages and
 *   its slot, the block's slot);
 * - CACHE_CREATE: the file's cache record, the cache, its per-CPU part and
 *   two magazines on each of two CPUs, the cache id;
 * - BATCH: its allocations' (buddy, size class, best fit, the cache);
 * - STATS: its argument's buffer, its buddy snapshot, the slab walk's
 *   buffer; debugfs stats, slabinfo: the slab walk's buffer, and stats'
 *   own; validate: one bitmap per cache, 13 size classes and the client's.
 * FREE, CACHE_DESTROY, mmap, pread, pwrite and users have none.
 */
FAULT_TEST(open, .expected = 1, .run = open_run, .finish = open_finish,
	   .unchanged = true)
FAULT_TEST(open_new_user, .expected = 3, .setup = nobody_setup,
	   .teardown = nobody_teardown, .run = open_run,
	   .finish = open_finish, .unchanged = true)
FAULT_TEST(alloc_buddy, .expected = 3, .run = buddy_run,
	   .finish = free_finish, .unchanged = true)
FAULT_TEST(alloc_slab, .expected = 4, .run = slab_run,
	   .finish = free_finish, .unchanged = true)
FAULT_TEST(alloc_fit_first, .expected = 9, .run = fit_first_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_fit_next, .expected = 9, .run = fit_next_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_fit_best, .expected = 9, .run = fit_best_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_fit_worst, .expected = 9, .run = fit_worst_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_genpool_first, .expected = 7, .run = genpool_first_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_genpool_best, .expected = 7, .run = genpool_best_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_byte_buddy, .expected = 6, .run = byte_buddy_run,
	   .finish = free_finish, .unchanged = true, .takes_arena = true)
FAULT_TEST(alloc_cache, .expected = 4, .run = cache_run,
	   .finish = free_finish, .unchanged = true)
FAULT_TEST(free_buddy, .prepare = buddy_run, .run = free_run,
	   .finish = free_failed_finish, .absorbs = true)
FAULT_TEST(free_slab, .prepare = slab_run, .run = free_run,
	   .finish = free_failed_finish, .absorbs = true)
FAULT_TEST(free_fit, .prepare = fit_first_run, .run = free_run,
	   .finish = free_failed_finish, .absorbs = true)
FAULT_TEST(free_genpool, .prepare = genpool_first_run, .run = free_run,
	   .finish = free_failed_finish, .absorbs = true)
FAULT_TEST(free_byte_buddy, .prepare = byte_buddy_run, .run = free_run,
	   .finish = free_failed_finish, .absorbs = true)
FAULT_TEST(free_cache, .prepare = cache_run, .run = free_run,
	   .finish = free_failed_finish, .absorbs = true)
FAULT_TEST(cache_create, .expected = 3 + 2 * 2 + 1, .run = create_run,
	   .finish = create_finish, .unchanged = true)
FAULT_TEST(cache_destroy, .prepare = create_run, .run = destroy_run,
	   .finish = destroy_finish, .unchanged = true)
FAULT_TEST(batch, .expected = 3 + 4 + 9 + 4, .prepare = batch_prepare,
	   .run = batch_run, .finish = batch_finish)
FAULT_TEST(batch_one, .expected = 9, .prepare = batch1_prepare,
	   .run = batch_run, .finish = batch1_finish, .unchanged = true,
	   .takes_arena = true)
FAULT_TEST(stats, .expected = 3, .run = stats_run, .unchanged = true)
FAULT_TEST(mmap, .setup = mmap_setup, .teardown = mmap_teardown,
	   .run = mmap_run, .finish = mmap_finish, .unchanged = true)
FAULT_TEST(pread, .setup = copied_setup, .teardown = mapped_teardown,
	   .run = pread_run, .unchanged = true)
FAULT_TEST(pwrite, .setup = copied_setup, .teardown = mapped_teardown,
	   .run = pwrite_run, .unchanged = true)
FAULT_TEST(debugfs_stats, .expected = 2, .prepare = stats_file_prepare,
	   .run = read_run, .finish = close_finish, .unchanged = true)
FAULT_TEST(debugfs_slabinfo, .expected = 1, .prepare = slabinfo_file_prepare,
	   .run = read_run, .finish = close_finish, .unchanged = true)
FAULT_TEST(debugfs_users, .prepare = users_file_prepare,
	   .run = read_run, .finish = close_finish, .unchanged = true)
FAULT_TEST(debugfs_validate, .expected = BUDDYSLAB_SLAB_CLASSES + 1,
	   .prepare = validate_file_prepare, .run = validate_run,
	   .finish = close_finish, .unchanged = true)

/* ---- Loading ---- */

FIXTURE(load) {
	struct saved_attrs saved;
	bool attrs_set;
	int nth;
};

FIXTURE_SETUP(load)
{
	inject_setup(_metadata, &self->saved, &self->attrs_set);
	if (!self->attrs_set)
		return;
	self->nth = open(FAIL_NTH, O_RDWR);
	ASSERT_LE(0, self->nth);
}

FIXTURE_TEARDOWN(load)
{
	if (!self->attrs_set)
		return;
	close(self->nth);
	inject_teardown(_metadata, &self->saved);
}

/*
 * MemFree back to @base, once what the kernel holds for a while is back:
 * caches dropped, and up to 3 s for frees it defers (RCU callbacks, work
 * items), which a debug kernel under emulation may take that long to run.
 */
static bool mem_back(uint64_t base)
{
	const struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	int i;

	for (i = 0; i < 30; i++) {
		if (bs_mem_free() + LOAD_SLACK >= base ||
		    bs_mem_free_settled() + LOAD_SLACK >= base)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static void load_pass(struct __test_metadata *_metadata, int nth,
		      unsigned int pass, uint64_t base, struct tally *t)
{
	const char *path = getenv("BUDDYSLAB_KO") ?: "/lib/buddyslab.ko";
	unsigned long long t0[NR_ATTRS], t1[NR_ATTRS];
	unsigned int n, left = 0, a;
	struct buddyslab_info info;
	int ko, ret, fd;

	for (n = 1; n <= MAX_POINTS; n++) {
		ko = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, ko) TH_LOG("%s: %s", path, strerror(errno));
		attr_times(t0);

		arm(nth, n);
		ret = syscall(__NR_finit_module, ko, LOAD_PARAMS, 0) ? -errno : 0;
		left = disarm(nth);

		close(ko);
		if (left)
			break;
		/*
		 * The module's attribute is not there before, nor after a
		 * failed load: a point that is not the kernel's is its.
		 */
		attr_times(t1);
		t1[ATTR_BS] = t0[ATTR_BS];
		a = attr_failed(t0, t1);
		if (a == NR_ATTRS)
			a = ATTR_BS;
		if (pass == PASS_BS)
			EXPECT_EQ(ATTR_BS, a) TH_LOG("point %u is %s's", n,
						     attr_dirs[a]);
		if (ret) {
			t->failed[a]++;
			EXPECT_EQ(-ENOMEM, ret)
				TH_LOG("point %u (%s) gave %s", n, attr_dirs[a],
				       strerror(-ret));
			EXPECT_FALSE(bs_loaded());
			EXPECT_NE(0, access(BS_DEVICE, F_OK));
			EXPECT_TRUE(mem_back(base))
				TH_LOG("point %u (%s): MemFree %llu KiB, was %llu KiB",
				       n, attr_dirs[a],
				       (unsigned long long)bs_mem_free() >> 10,
				       (unsigned long long)base >> 10);
		} else {
			t->absorbed++;
			EXPECT_NE(ATTR_BS, a)
				TH_LOG("buddyslab's point %u failed, yet the load succeeded", n);
			EXPECT_EQ(0, access(BS_DEVICE, F_OK));
			EXPECT_EQ(0, bs_unload());
		}
	}
	ASSERT_NE(0, left) TH_LOG("still failing after %u points", MAX_POINTS);
	t->points = n - left;
	/* The load that passed every point works, and unloads. */
	EXPECT_EQ(0, ret) TH_LOG("%s with no fault injected", strerror(-ret));
	ASSERT_TRUE(bs_loaded());
	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, bs_info(fd, &info));
	EXPECT_EQ(LOAD_REGION, info.region_bytes);
	close(fd);
	EXPECT_EQ(0, bs_unload());
	EXPECT_TRUE(mem_back(base));
}

/*
 * Loading, failed at each point in turn: ENOMEM, no module, no device,
 * and MemFree back to where it was, within less than one of the region's
 * chunks; then the load that reaches no point succeeds. Buddyslab's
 * points: the region's table and its 8 chunks, the buddy's 5 tables, the
 * slab's page table and its 13 size classes, each with its record, its
 * per-CPU part and two magazines on each of the two CPUs.
 */
TEST_F_TIMEOUT(load, finit_module, 1200)
{
	const unsigned int expected = 1 + 8 + 5 + 1 + 13 * (2 + 2 * 2);
	/* Every point of the kernel's loader too: some 760, minutes under TCG. */
	const unsigned int passes = getenv("BUDDYSLAB_FAULT_LOAD_ALL") ?
				    NR_PASSES : PASS_BS + 1;
	struct tally t[NR_PASSES] = {};
	unsigned int pass;
	time_t start;
	uint64_t base;

	base = bs_mem_free_settled();
	ASSERT_LT(LOAD_REGION, base);
	for (pass = 0; pass < passes; pass++) {
		start = time(NULL);
		ASSERT_EQ(0, pass_set(pass, &self->saved));
		load_pass(_metadata, self->nth, pass, base, &t[pass]);
		TH_LOG("load, %s: %u points; failed: buddyslab's %u, failslab's %u, fail_page_alloc's %u; got around %u; %lld s",
		       pass_names[pass], t[pass].points,
		       t[pass].failed[ATTR_BS], t[pass].failed[ATTR_SLAB],
		       t[pass].failed[ATTR_PAGE], t[pass].absorbed,
		       (long long)(time(NULL) - start));
	}
	record("load", expected, t);
	TH_LOG("MemFree %llu KiB before, %llu KiB after",
	       (unsigned long long)base >> 10,
	       (unsigned long long)bs_mem_free_settled() >> 10);
	EXPECT_LE(expected, t[PASS_BS].failed[ATTR_BS] + t[PASS_BS].absorbed);
}

TEST_HARNESS_MAIN
