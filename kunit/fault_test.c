// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for buddyslab's error paths: every step that can fail for
 * want of memory is made to fail, one at a time, and must fail cleanly.
 *
 * The kernel's fault injection lets a task fail the nth fault point it
 * passes (current->fail_nth, which /proc/thread-self/fail-nth sets).
 * bs_fault() (src/fault.c) is such a point before every allocation
 * buddyslab makes; the kernel's failslab and fail_page_alloc add their own,
 * for allocations that cannot sleep (by default they leave the others
 * alone). Each case sweeps one operation twice, failing one point per run
 * for n = 1, 2, ... until a run passes fewer than n points, so nothing
 * fails and the operation must succeed:
 *
 * 1. every point, the kernel's too, by current->fail_nth. The kernel's
 *    come and go from one run to the next (a kmalloc() that needs a new
 *    slab first tries a larger page without reclaim), shifting the points
 *    after them, so this pass may fail one of buddyslab's points twice and
 *    skip another;
 * 2. buddyslab's points only, each once, counted by bs_fault_attr itself
 *    (its space, times and task filter) whatever the kernel's do.
 *
 * In either pass:
 *
 * - when the point that failed is one of buddyslab's (told apart from the
 *   kernel's by bs_fault_attr.times, which an injected fault decrements),
 *   the operation must fail with -ENOMEM (NULL where it returns a
 *   pointer), except on the one path built to carry on: the magazine a
 *   free may take;
 * - when it is the kernel's, the operation may carry on (an xarray that
 *   cannot have a node without sleeping takes one sleeping) or fail as it
 *   would for one of buddyslab's;
 * - after every failure nothing is left behind that a case can see: the
 *   buddy's free pages (its per-CPU caches count as free), the cache's
 *   objects and slabs, the fit's, genpool's and byte buddy's bytes and
 *   arenas, the region's chunks are as before, and the counter of
 *   failures counts it; after every run the validators of the buddy, the
 *   slab, the fits, the genpool and the byte buddy pass;
 * - the operation must pass at least as many points in the first pass as
 *   the table below lists for it, and exactly as many in the second: a
 *   fault point that disappears, or a path that no longer reaches it,
 *   fails the case.
 *
 * Kernel memory an error path fails to free (the metadata it kmalloc'd) is
 * not visible from here: kmemleak, in the debug kernels, is for that.
 *
 * Each case below is bs_fault_test_<case>.
 *
 * Error path: its fault points, in order      Points       Case
 * ------------------------------------------  -----------  -------------------
 * bs_region_init(): chunks array, each chunk  1 + arenas   region_init
 * bs_buddy_init(): arenas, base, state,       6            buddy_init
 *   links, summary of free orders, per-CPU
 *   caches
 * bs_buddy_alloc(): at its entry, failing     1            buddy_alloc; and
 *   without reclaim                                        within slab_grow,
 *                                                          kmalloc_large,
 *                                                          fit_alloc_empty,
 *                                                          genpool_alloc_empty,
 *                                                          byte_buddy_alloc_empty
 * bs_slab_init(): page_slab, then each size   1 + 13 x     slab_init
 *   class as bs_slab_cache_create() does      (2 + 2 x
 *                                             CPUs)
 * bs_slab_cache_create(): cache, per-CPU      2 + 2 x      cache_create
 *   part, each CPU's loaded and previous      CPUs
 *   magazines
 * bs_slab_grow(): descriptor, buddy block     2            slab_grow
 * bs_slab_mag_make_room(), on the free path:  1 (and       free_takes_magazine
 *   a magazine (GFP_NOWAIT); the object       failslab's)
 *   goes back to its slab without one
 * bs_slab_kmalloc() beyond the size           1            kmalloc_large
 *   classes: buddy block
 * bs_slab_validate(): each cache's bitmap     caches       validate_and_walk
 * bs_slab_walk_caches(): snapshot             1            validate_and_walk
 * bs_fit_alloc(): three spare descriptors     3            fit_alloc_empty,
 *                                                          fit_alloc_in_arena
 * bs_fit_arena_add(): arena, buddy block,     3            fit_alloc_empty
 *   index of arenas
 * bs_fit_alloc(): index of the block          1            fit_alloc_empty,
 *                                                          fit_alloc_in_arena
 * bs_genpool_arena_add(): buddy arena,        4            genpool_alloc_empty
 *   gen_pool_create(), gen_pool_add(),
 *   index of arenas
 * bs_genpool_alloc(): index of the record     1            genpool_alloc_empty,
 *                                                          genpool_alloc_in_arena
 * bs_byte_buddy_alloc(), new arena: its       3            byte_buddy_alloc_empty
 *   bitmaps, buddy block, index of arenas
 * bs_byte_buddy_alloc(): index of the block   1            byte_buddy_alloc_empty,
 *                                                          byte_buddy_alloc_in_arena
 * debugfs stats and map files: buffers        2            none: they need
 *                                                          the module's
 *                                                          struct buddyslab
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "buddy_internal.h"
#include "byte_buddy.h"
#include "fault.h"
#include "fit.h"
#include "genpool.h"
#include "harness.h"
#include "slab_internal.h"

/* Far more than any path here passes: only a runaway sweep gets there. */
#define BS_FAULT_MAX_NTH	4096

/* The fault points a sweep lists, b or k each, before it cuts the list. */
#define BS_FAULT_TRACE_LEN	96

/*
 * Objects of the free case: two magazines' worth to fill them, then for
 * each run a free, and after each run that got a magazine the magazine's
 * worth that fills the new one. A run gets one when nothing failed, and
 * also when the kernel got around what failed (SLUB retrying a smaller
 * slab): on two CPUs, up to four runs of a pass, so room for fourteen.
 */
#define BS_FAULT_FREE_OBJS	(16 * BS_SLAB_MAG_ROUNDS)

/* What the nth fault point was, once an operation has run. */
enum bs_fault_hit {
	BS_FAULT_NONE,		/* fewer than n points passed: none failed */
	BS_FAULT_OURS,		/* a bs_fault() point failed */
	BS_FAULT_KERNEL,	/* a point of the kernel's own failed */
};

#ifdef CONFIG_FAULT_INJECTION
/* What the suite changes in bs_fault_attr, as it was. */
static struct {
	unsigned long probability;
	unsigned long interval;
	unsigned long verbose;
	bool task_filter;
	int times;
	int space;
} bs_fault_saved;

static int bs_fault_suite_init(struct kunit_suite *suite)
{
	bs_fault_saved.probability = bs_fault_attr.probability;
	bs_fault_saved.interval = bs_fault_attr.interval;
	bs_fault_saved.verbose = bs_fault_attr.verbose;
	bs_fault_saved.task_filter = bs_fault_attr.task_filter;
	bs_fault_saved.times = atomic_read(&bs_fault_attr.times);
	bs_fault_saved.space = atomic_read(&bs_fault_attr.space);
	/* Else every injected fault prints a notice and a stack dump. */
	bs_fault_attr.verbose = 0;
	/* For the second pass: see bs_fault_arm_ours(). */
	bs_fault_attr.probability = 0;
	bs_fault_attr.interval = 1;
	bs_fault_attr.task_filter = true;
	return 0;
}

static void bs_fault_suite_exit(struct kunit_suite *suite)
{
	bs_fault_attr.probability = bs_fault_saved.probability;
	bs_fault_attr.interval = bs_fault_saved.interval;
	bs_fault_attr.verbose = bs_fault_saved.verbose;
	bs_fault_attr.task_filter = bs_fault_saved.task_filter;
	atomic_set(&bs_fault_attr.times, bs_fault_saved.times);
	atomic_set(&bs_fault_attr.space, bs_fault_saved.space);
}

/* Fail the nth fault point, buddyslab's or the kernel's, this task passes. */
static void bs_fault_arm_nth(unsigned int nth)
{
	/*
	 * should_fail() decrements times (down to 0) when it fails a point
	 * of its attribute, whatever made it fail: 0 afterwards means the
	 * point was one of ours. With probability 0 times decides nothing.
	 */
	atomic_set(&bs_fault_attr.times, 1);
	WRITE_ONCE(current->fail_nth, nth);
}

/* Stop failing points, and tell what failed since bs_fault_arm_nth(). */
static enum bs_fault_hit bs_fault_disarm_nth(void)
{
	unsigned int left = READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	if (left)
		return BS_FAULT_NONE;
	return atomic_read(&bs_fault_attr.times) ? BS_FAULT_KERNEL : BS_FAULT_OURS;
}

/*
 * Fail the kth bs_fault() point this task passes, whatever points of the
 * kernel's come between: should_fail() lets calls through while their
 * sizes (1 each) leave space above 0, then fails one (times stops it
 * there), with every probability, in tasks that ask for it.
 */
static void bs_fault_arm_ours(unsigned int kth)
{
	atomic_set(&bs_fault_attr.space, kth);
	atomic_set(&bs_fault_attr.times, 1);
	current->make_it_fail = 1;
	WRITE_ONCE(bs_fault_attr.probability, 100);
}

static enum bs_fault_hit bs_fault_disarm_ours(void)
{
	WRITE_ONCE(bs_fault_attr.probability, 0);
	current->make_it_fail = 0;
	return atomic_read(&bs_fault_attr.times) ? BS_FAULT_NONE : BS_FAULT_OURS;
}
#else
static int bs_fault_suite_init(struct kunit_suite *suite)
{
	return 0;
}

static void bs_fault_suite_exit(struct kunit_suite *suite)
{
}

static void bs_fault_arm_nth(unsigned int nth)
{
}

static enum bs_fault_hit bs_fault_disarm_nth(void)
{
	return BS_FAULT_NONE;
}

static void bs_fault_arm_ours(unsigned int kth)
{
}

static enum bs_fault_hit bs_fault_disarm_ours(void)
{
	return BS_FAULT_NONE;
}
#endif

static int bs_fault_test_init(struct kunit *test)
{
	return bs_test_init(test, BS_TEST_SLAB | BS_TEST_FIT | BS_TEST_GENPOOL |
			    BS_TEST_BYTE_BUDDY);
}

static void bs_fault_require(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}

/**
 * struct bs_fault_op - an operation to run with each fault point failing
 * @name:	for messages
 * @points:	buddyslab's fault points on its path (the table above)
 * @carries_on:	an injected fault of buddyslab's must not fail it
 * @before:	optional: prepare the next run and note what it must not
 *		change
 * @run:	run it once; 0 on success, else the error it returned
 *		(-ENOMEM for NULL where it returns a pointer)
 * @failed:	it failed: check that it left nothing behind
 * @succeeded:	it succeeded, although a fault was injected unless @hit is
 *		BS_FAULT_NONE: check its result and undo it
 *
 * Embed it in a structure of the case's own to reach its state.
 */
struct bs_fault_op {
	const char *name;
	unsigned int points;
	bool carries_on;
	void (*before)(struct kunit *test, struct bs_fault_op *op);
	int (*run)(struct kunit *test, struct bs_fault_op *op);
	void (*failed)(struct kunit *test, struct bs_fault_op *op);
	void (*succeeded)(struct kunit *test, struct bs_fault_op *op,
			  enum bs_fault_hit hit);
};

/* Every allocator of the fixture is consistent. */
static void bs_fault_validate(struct kunit *test, const char *name,
			      unsigned int nth)
{
	struct bs_test_memory *t = bs_test(test);

	KUNIT_EXPECT_EQ_MSG(test, bs_buddy_validate(&t->buddy), 0,
			    "%s, fault point %u", name, nth);
	KUNIT_EXPECT_EQ_MSG(test, bs_slab_validate(&t->slab), 0,
			    "%s, fault point %u", name, nth);
	KUNIT_EXPECT_EQ_MSG(test, bs_fit_validate(&t->fit), 0,
			    "%s, fault point %u", name, nth);
	KUNIT_EXPECT_EQ_MSG(test, bs_genpool_validate(&t->genpool), 0,
			    "%s, fault point %u", name, nth);
	KUNIT_EXPECT_EQ_MSG(test, bs_byte_buddy_validate(&t->byte_buddy), 0,
			    "%s, fault point %u", name, nth);
}

/*
 * Check one run of @op, in which the fault point @what @n failed, or none
 * (@hit). Returns whether the sweep goes on: not once @op ran with nothing
 * injected, nor after a failed expectation (one broken step is enough to
 * read).
 */
static bool bs_fault_check_run(struct kunit *test, struct bs_fault_op *op,
			       const char *what, unsigned int n, int ret,
			       enum bs_fault_hit hit)
{
	if (ret) {
		KUNIT_EXPECT_NE_MSG(test, hit, BS_FAULT_NONE,
				    "%s failed (%d) with no fault injected",
				    op->name, ret);
		KUNIT_EXPECT_FALSE_MSG(test, op->carries_on,
				       "%s failed (%d) at %s %u", op->name,
				       ret, what, n);
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "%s, %s %u", op->name,
				    what, n);
		op->failed(test, op);
	} else {
		KUNIT_EXPECT_TRUE_MSG(test, hit != BS_FAULT_OURS || op->carries_on,
				      "%s succeeded although its %s %u failed",
				      op->name, what, n);
		op->succeeded(test, op, hit);
	}
	bs_fault_validate(test, op->name, n);
	return hit != BS_FAULT_NONE && READ_ONCE(test->status) != KUNIT_FAILURE;
}

/*
 * Run @op failing one fault point at a time until it runs with none
 * failing, in two passes:
 *
 * 1. the 1st, 2nd, ... point of any kind, by current->fail_nth: the
 *    kernel's own points (failslab, fail_page_alloc) fail too. Some come
 *    and go from one run to the next (a kmalloc() that needs a new slab
 *    first tries a larger page without reclaim), which shifts the points
 *    after them: this pass may fail one of buddyslab's points twice and
 *    skip another;
 * 2. the 1st, 2nd, ... of buddyslab's points, whatever the kernel's do:
 *    each exactly once, and their count.
 */
static void bs_fault_sweep(struct kunit *test, struct bs_fault_op *op)
{
	/* Which point failed at each n: b (buddyslab's) or k (the kernel's). */
	char trace[BS_FAULT_TRACE_LEN] = "";
	unsigned int nth, kth, ours = 0;
	enum bs_fault_hit hit;
	int ret;

	for (nth = 1; nth <= BS_FAULT_MAX_NTH; nth++) {
		if (op->before)
			op->before(test, op);
		bs_fault_arm_nth(nth);
		ret = op->run(test, op);
		hit = bs_fault_disarm_nth();
		ours += hit == BS_FAULT_OURS;
		if (hit != BS_FAULT_NONE && nth < sizeof(trace))
			trace[nth - 1] = hit == BS_FAULT_OURS ? 'b' : 'k';
		if (!bs_fault_check_run(test, op, "fault point", nth, ret, hit))
			break;
	}
	KUNIT_ASSERT_LE_MSG(test, nth, BS_FAULT_MAX_NTH, "%s never succeeded",
			    op->name);
	kunit_info(test, "%s: %u fault points passed, %u failures of buddyslab's: %s%s\n",
		   op->name, nth - 1, ours, trace,
		   nth > sizeof(trace) ? "..." : "");
	KUNIT_EXPECT_GE_MSG(test, nth - 1, op->points, "%s", op->name);

	for (kth = 1; kth <= BS_FAULT_MAX_NTH; kth++) {
		if (op->before)
			op->before(test, op);
		bs_fault_arm_ours(kth);
		ret = op->run(test, op);
		hit = bs_fault_disarm_ours();
		if (!bs_fault_check_run(test, op, "buddyslab fault point", kth,
					ret, hit))
			break;
	}
	KUNIT_ASSERT_LE_MSG(test, kth, BS_FAULT_MAX_NTH, "%s never succeeded",
			    op->name);
	KUNIT_EXPECT_EQ_MSG(test, kth - 1, op->points,
			    "%s: buddyslab's fault points on its path (update the table?)",
			    op->name);
}

/* ---- Region and buddy --------------------------------------------------- */

struct bs_fault_region_init {
	struct bs_fault_op op;
	struct bs_region region;
	unsigned long free_before;
};

static void bs_fault_region_init_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_region_init *c = container_of(op, typeof(*c), op);

	c->free_before = global_zone_page_state(NR_FREE_PAGES);
}

static int bs_fault_region_init_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_region_init *c = container_of(op, typeof(*c), op);

	return bs_region_init(&c->region, (u64)BS_TEST_ARENAS * BS_ARENA_BYTES);
}

static void bs_fault_region_init_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_region_init *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_NULL(test, c->region.chunks);
	KUNIT_EXPECT_EQ(test, c->region.nr_chunks, 0);
	/*
	 * The chunks taken before the one that failed went back. The count
	 * of free pages drifts by per-CPU batches of a few dozen pages; a
	 * chunk kept is a thousand.
	 */
	KUNIT_EXPECT_LT(test, c->free_before,
			global_zone_page_state(NR_FREE_PAGES) +
			(1UL << BS_ARENA_ORDER) / 2);
}

static void bs_fault_region_init_succeeded(struct kunit *test,
					   struct bs_fault_op *op,
					   enum bs_fault_hit hit)
{
	struct bs_fault_region_init *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, c->region.nr_chunks, BS_TEST_ARENAS);
	bs_region_fini(&c->region);
}

static void bs_fault_test_region_init(struct kunit *test)
{
	struct bs_fault_region_init c = {
		.op = {
			.name = "region init",
			.points = 1 + BS_TEST_ARENAS,
			.before = bs_fault_region_init_before,
			.run = bs_fault_region_init_run,
			.failed = bs_fault_region_init_failed,
			.succeeded = bs_fault_region_init_succeeded,
		},
	};

	bs_fault_require(test);
	bs_fault_sweep(test, &c.op);
}

/* A second buddy over the fixture's region: init only reads the region. */
struct bs_fault_buddy_init {
	struct bs_fault_op op;
	struct bs_buddy buddy;
};

static int bs_fault_buddy_init_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_buddy_init *c = container_of(op, typeof(*c), op);

	return bs_buddy_init(&c->buddy, &bs_test(test)->region);
}

static void bs_fault_buddy_init_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_buddy_init *c = container_of(op, typeof(*c), op);

	/* No arena to allocate from: nothing can be handed out. */
	KUNIT_EXPECT_EQ(test, c->buddy.nr_arenas, 0);
	/* And nothing left pointing at what was freed. */
	KUNIT_EXPECT_NULL(test, c->buddy.arenas);
	KUNIT_EXPECT_NULL(test, c->buddy.base);
	KUNIT_EXPECT_NULL(test, c->buddy.state);
	KUNIT_EXPECT_NULL(test, c->buddy.links);
	KUNIT_EXPECT_NULL(test, c->buddy.pcp);
}

static void bs_fault_buddy_init_succeeded(struct kunit *test,
					  struct bs_fault_op *op,
					  enum bs_fault_hit hit)
{
	struct bs_fault_buddy_init *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, c->buddy.nr_arenas, BS_TEST_ARENAS);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(&c->buddy), 0);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&c->buddy),
			bs_buddy_total_pages(&c->buddy));
	bs_buddy_fini(&c->buddy);
}

static void bs_fault_test_buddy_init(struct kunit *test)
{
	struct bs_fault_buddy_init *c;

	bs_fault_require(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = "buddy init",
		.points = 6,
		.run = bs_fault_buddy_init_run,
		.failed = bs_fault_buddy_init_failed,
		.succeeded = bs_fault_buddy_init_succeeded,
	};
	bs_fault_sweep(test, &c->op);
}

struct bs_fault_buddy_alloc {
	struct bs_fault_op op;
	unsigned long pgoff;
	struct bs_buddy_stats before, after;
};

static void bs_fault_buddy_alloc_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_buddy_alloc *c = container_of(op, typeof(*c), op);

	bs_buddy_stats(&bs_test(test)->buddy, &c->before);
	c->pgoff = ULONG_MAX;
}

static int bs_fault_buddy_alloc_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_buddy_alloc *c = container_of(op, typeof(*c), op);

	return bs_buddy_alloc(&bs_test(test)->buddy, 0, BS_BUDDY_TAG_DIRECT,
			      &c->pgoff);
}

static void bs_fault_buddy_alloc_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_buddy_alloc *c = container_of(op, typeof(*c), op);
	const unsigned long *before = c->before.counters.event;
	const unsigned long *after = c->after.counters.event;

	bs_buddy_stats(&bs_test(test)->buddy, &c->after);
	KUNIT_EXPECT_EQ(test, c->pgoff, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, after[BS_BUDDY_ALLOC_FAILS],
			before[BS_BUDDY_ALLOC_FAILS] + 1);
	KUNIT_EXPECT_EQ(test, c->after.free_pages, c->before.free_pages);
	/* Failed at once: no reclaim drained the caches. */
	KUNIT_EXPECT_EQ(test, c->after.cached_pages, c->before.cached_pages);
	KUNIT_EXPECT_EQ(test, after[BS_BUDDY_PCP_DRAINS], before[BS_BUDDY_PCP_DRAINS]);
}

static void bs_fault_buddy_alloc_succeeded(struct kunit *test,
					   struct bs_fault_op *op,
					   enum bs_fault_hit hit)
{
	struct bs_fault_buddy_alloc *c = container_of(op, typeof(*c), op);
	struct bs_buddy *buddy = &bs_test(test)->buddy;

	KUNIT_ASSERT_LT(test, c->pgoff, bs_buddy_total_pages(buddy));
	KUNIT_EXPECT_EQ(test, bs_buddy_free(buddy, c->pgoff), 0);
}

/* The entry point; the caches hold blocks, which a reclaim would drain. */
static void bs_fault_test_buddy_alloc(struct kunit *test)
{
	struct bs_buddy *buddy;
	struct bs_fault_buddy_alloc *c;
	unsigned long pgoff;

	bs_fault_require(test);
	buddy = &bs_test(test)->buddy;
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = "buddy alloc",
		.points = 1,
		.before = bs_fault_buddy_alloc_before,
		.run = bs_fault_buddy_alloc_run,
		.failed = bs_fault_buddy_alloc_failed,
		.succeeded = bs_fault_buddy_alloc_succeeded,
	};
	/* A miss refills the cache with a batch; the free adds one more. */
	KUNIT_ASSERT_EQ(test, bs_buddy_alloc(buddy, 0, BS_BUDDY_TAG_DIRECT, &pgoff), 0);
	KUNIT_ASSERT_EQ(test, bs_buddy_free(buddy, pgoff), 0);
	bs_buddy_stats(buddy, &c->before);
	KUNIT_ASSERT_GT(test, c->before.cached_pages, 0);
	bs_fault_sweep(test, &c->op);
}

/* ---- Slab ----------------------------------------------------------------- */

static unsigned long bs_fault_nr_caches(struct bs_slab *slab)
{
	unsigned long n;

	mutex_lock(&slab->caches_lock);
	n = list_count_nodes(&slab->caches);
	mutex_unlock(&slab->caches_lock);
	return n;
}

static unsigned long bs_fault_nr_shrinkers(struct bs_buddy *buddy)
{
	unsigned long n;

	mutex_lock(&buddy->shrinker_lock);
	n = list_count_nodes(&buddy->shrinkers);
	mutex_unlock(&buddy->shrinker_lock);
	return n;
}

/* A second slab allocator over the fixture's buddy. */
struct bs_fault_slab_init {
	struct bs_fault_op op;
	struct bs_slab slab;
	unsigned long shrinkers;
};

static int bs_fault_slab_init_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_slab_init *c = container_of(op, typeof(*c), op);

	return bs_slab_init(&c->slab, &bs_test(test)->buddy, 0);
}

static void bs_fault_slab_init_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_slab_init *c = container_of(op, typeof(*c), op);

	/* The size classes made before the failure are gone again. */
	KUNIT_EXPECT_EQ(test, bs_fault_nr_caches(&c->slab), 0);
	/* And the buddy will not call a shrinker of a slab that is not. */
	KUNIT_EXPECT_EQ(test, bs_fault_nr_shrinkers(&bs_test(test)->buddy),
			c->shrinkers);
}

static void bs_fault_slab_init_succeeded(struct kunit *test,
					 struct bs_fault_op *op,
					 enum bs_fault_hit hit)
{
	struct bs_fault_slab_init *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, bs_fault_nr_caches(&c->slab), BS_SLAB_NR_CLASSES);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&c->slab), 0);
	bs_slab_fini(&c->slab);
}

static void bs_fault_test_slab_init(struct kunit *test)
{
	struct bs_fault_slab_init *c;

	bs_fault_require(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = "slab init",
		.points = 1 + BS_SLAB_NR_CLASSES * (2 + 2 * num_possible_cpus()),
		.run = bs_fault_slab_init_run,
		.failed = bs_fault_slab_init_failed,
		.succeeded = bs_fault_slab_init_succeeded,
	};
	c->shrinkers = bs_fault_nr_shrinkers(&bs_test(test)->buddy);
	bs_fault_sweep(test, &c->op);
}

struct bs_fault_cache_create {
	struct bs_fault_op op;
	struct bs_slab_cache *cache;
	unsigned long nr_caches;
};

static int bs_fault_cache_create_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_cache_create *c = container_of(op, typeof(*c), op);

	c->cache = bs_slab_cache_create(&bs_test(test)->slab, "fault", 100, 0,
					BS_SLAB_REDZONE, NULL);
	return PTR_ERR_OR_ZERO(c->cache);
}

static void bs_fault_cache_create_failed(struct kunit *test,
					 struct bs_fault_op *op)
{
	struct bs_fault_cache_create *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, bs_fault_nr_caches(&bs_test(test)->slab),
			c->nr_caches);
}

static void bs_fault_cache_create_succeeded(struct kunit *test,
					    struct bs_fault_op *op,
					    enum bs_fault_hit hit)
{
	struct bs_fault_cache_create *c = container_of(op, typeof(*c), op);
	void *obj;

	KUNIT_EXPECT_EQ(test, bs_fault_nr_caches(&bs_test(test)->slab),
			c->nr_caches + 1);
	/* Whole: every CPU's magazines are there for the free. */
	obj = bs_slab_cache_alloc(c->cache);
	KUNIT_EXPECT_NOT_NULL(test, obj);
	if (obj)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(c->cache, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(c->cache), 0);
}

static void bs_fault_test_cache_create(struct kunit *test)
{
	struct bs_fault_cache_create c = {
		.op = {
			.name = "cache create",
			.points = 2 + 2 * num_possible_cpus(),
			.run = bs_fault_cache_create_run,
			.failed = bs_fault_cache_create_failed,
			.succeeded = bs_fault_cache_create_succeeded,
		},
	};

	bs_fault_require(test);
	c.nr_caches = bs_fault_nr_caches(&bs_test(test)->slab);
	bs_fault_sweep(test, &c.op);
}

/* What every refused slab allocation must leave as it was. */
static void bs_fault_expect_alloc_refused(struct kunit *test,
					  const struct bs_slab_cache_stats *before,
					  const struct bs_slab_cache_stats *after)
{
	KUNIT_EXPECT_EQ(test, after->num_slabs, before->num_slabs);
	KUNIT_EXPECT_EQ(test, after->num_objs, before->num_objs);
	KUNIT_EXPECT_EQ(test, after->active_objs, before->active_objs);
	KUNIT_EXPECT_EQ(test, after->magazine_objs, before->magazine_objs);
	KUNIT_EXPECT_EQ(test, after->counters[BS_SLAB_ALLOCS],
			before->counters[BS_SLAB_ALLOCS]);
	KUNIT_EXPECT_EQ(test, after->counters[BS_SLAB_SLABS_CREATED],
			before->counters[BS_SLAB_SLABS_CREATED]);
	KUNIT_EXPECT_EQ(test, after->counters[BS_SLAB_ALLOC_FAILS],
			before->counters[BS_SLAB_ALLOC_FAILS] + 1);
}

struct bs_fault_slab_grow {
	struct bs_fault_op op;
	struct bs_slab_cache *cache;
	void *obj;
	unsigned long free_pages;
	struct bs_slab_cache_stats before, after;
};

static void bs_fault_slab_grow_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_slab_grow *c = container_of(op, typeof(*c), op);

	bs_slab_cache_stats(c->cache, &c->before);
	c->free_pages = bs_buddy_free_pages(&bs_test(test)->buddy);
}

static int bs_fault_slab_grow_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_slab_grow *c = container_of(op, typeof(*c), op);

	c->obj = bs_slab_cache_alloc(c->cache);
	return c->obj ? 0 : -ENOMEM;
}

static void bs_fault_slab_grow_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_slab_grow *c = container_of(op, typeof(*c), op);

	bs_slab_cache_stats(c->cache, &c->after);
	bs_fault_expect_alloc_refused(test, &c->before, &c->after);
	/* The descriptor went, and so did the block if it was had. */
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&bs_test(test)->buddy),
			c->free_pages);
}

static void bs_fault_slab_grow_succeeded(struct kunit *test,
					 struct bs_fault_op *op,
					 enum bs_fault_hit hit)
{
	struct bs_fault_slab_grow *c = container_of(op, typeof(*c), op);

	bs_slab_cache_stats(c->cache, &c->after);
	KUNIT_EXPECT_EQ(test, c->after.num_slabs, c->before.num_slabs + 1);
	KUNIT_EXPECT_EQ(test, c->after.active_objs, c->before.active_objs + 1);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_free(c->cache, c->obj), 0);
	/* Empty again, for the next pass to grow it again. */
	bs_slab_cache_shrink(c->cache);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&bs_test(test)->buddy),
			c->free_pages);
}

/* An empty cache: its first allocation must make a slab. */
static void bs_fault_test_slab_grow(struct kunit *test)
{
	struct bs_fault_slab_grow *c;

	bs_fault_require(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = "slab grow",
		.points = 2,
		.before = bs_fault_slab_grow_before,
		.run = bs_fault_slab_grow_run,
		.failed = bs_fault_slab_grow_failed,
		.succeeded = bs_fault_slab_grow_succeeded,
	};
	c->cache = bs_slab_cache_create(&bs_test(test)->slab, "fault", 256, 0, 0,
					NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->cache));
	bs_fault_sweep(test, &c->op);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(c->cache), 0);
}

struct bs_fault_free {
	struct bs_fault_op op;
	struct bs_slab_cache *cache;
	struct bs_slab_cpu *cpu;
	void *objs[BS_FAULT_FREE_OBJS];
	unsigned int next;
	struct bs_slab_cache_stats before, after;
};

/* The case runs pinned to the CPU of @cpu: its local lock is ours. */
static bool bs_fault_magazines_full(struct bs_slab_cache *cache,
				    struct bs_slab_cpu *cpu)
{
	bool full;

	local_lock(&cache->cpu->lock);
	full = cpu->loaded->rounds == cpu->loaded->size &&
	       cpu->previous->rounds == cpu->previous->size;
	local_unlock(&cache->cpu->lock);
	return full;
}

/*
 * Free objects until both magazines of the CPU are full: a free fills the
 * loaded one, then swaps in the empty previous one and fills that.
 */
static void bs_fault_free_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_free *c = container_of(op, typeof(*c), op);

	while (!bs_fault_magazines_full(c->cache, c->cpu)) {
		KUNIT_ASSERT_LT(test, c->next, ARRAY_SIZE(c->objs));
		KUNIT_ASSERT_EQ(test, bs_slab_cache_free(c->cache, c->objs[c->next++]), 0);
	}
	/* No empty magazine to trade for a full one: one must be allocated. */
	spin_lock(&c->cache->depot_lock);
	KUNIT_EXPECT_EQ(test, c->cache->nr_empty_magazines, 0);
	spin_unlock(&c->cache->depot_lock);
	KUNIT_ASSERT_LT(test, c->next, ARRAY_SIZE(c->objs));
	bs_slab_cache_stats(c->cache, &c->before);
}

static int bs_fault_free_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_free *c = container_of(op, typeof(*c), op);

	return bs_slab_cache_free(c->cache, c->objs[c->next++]);
}

static void bs_fault_free_failed(struct kunit *test, struct bs_fault_op *op)
{
	/* bs_fault_sweep() has said it: a free must not fail. */
}

static void bs_fault_free_succeeded(struct kunit *test, struct bs_fault_op *op,
				    enum bs_fault_hit hit)
{
	struct bs_fault_free *c = container_of(op, typeof(*c), op);

	bs_slab_cache_stats(c->cache, &c->after);
	KUNIT_EXPECT_EQ(test, c->after.counters[BS_SLAB_FREES],
			c->before.counters[BS_SLAB_FREES] + 1);
	KUNIT_EXPECT_EQ(test, c->after.active_objs, c->before.active_objs - 1);
	/*
	 * With no magazine to be had, it went back to its slab. A failure of
	 * the kernel's may be one the kernel recovers from (SLUB retries a
	 * new slab at a smaller order), so the magazine may still come.
	 */
	if (hit == BS_FAULT_OURS)
		KUNIT_EXPECT_EQ(test, c->after.magazine_objs,
				c->before.magazine_objs);
	else if (hit == BS_FAULT_NONE)
		KUNIT_EXPECT_EQ(test, c->after.magazine_objs,
				c->before.magazine_objs + 1);
	else
		KUNIT_EXPECT_LE(test, c->after.magazine_objs - c->before.magazine_objs,
				1);
}

/*
 * Both magazines of this CPU full and no empty one in the depot: each
 * free must allocate a magazine, or put its object back into its slab.
 */
static void bs_fault_test_free_takes_magazine(struct kunit *test)
{
	struct bs_fault_free *c;
	unsigned int i, this_cpu;

	bs_fault_require(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = "free taking a magazine",
		.points = 1,
		.carries_on = true,
		.before = bs_fault_free_before,
		.run = bs_fault_free_run,
		.failed = bs_fault_free_failed,
		.succeeded = bs_fault_free_succeeded,
	};
	/* Magazines are per CPU: stay on the one whose magazines we fill. */
	this_cpu = bs_test_stay_on_cpu(test);
	c->cache = bs_slab_cache_create(&bs_test(test)->slab, "fault", 64, 0, 0,
					NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->cache));
	for (i = 0; i < ARRAY_SIZE(c->objs); i++) {
		c->objs[i] = bs_slab_cache_alloc(c->cache);
		KUNIT_ASSERT_NOT_NULL(test, c->objs[i]);
	}
	c->cpu = per_cpu_ptr(c->cache->cpu, this_cpu);
	bs_fault_sweep(test, &c->op);

	for (i = c->next; i < ARRAY_SIZE(c->objs); i++)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(c->cache, c->objs[i]), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(c->cache), 0);
}

struct bs_fault_kmalloc {
	struct bs_fault_op op;
	void *obj;
	size_t granted;
	struct bs_buddy_stats before, after;
};

/* Beyond the size classes: an order-5 block, too large for the caches. */
#define BS_FAULT_LARGE_SIZE	100000

static void bs_fault_kmalloc_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_kmalloc *c = container_of(op, typeof(*c), op);

	bs_buddy_stats(&bs_test(test)->buddy, &c->before);
	c->granted = 0;
}

static int bs_fault_kmalloc_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_kmalloc *c = container_of(op, typeof(*c), op);

	c->obj = bs_slab_kmalloc(&bs_test(test)->slab, BS_FAULT_LARGE_SIZE,
				 &c->granted);
	return c->obj ? 0 : -ENOMEM;
}

static void bs_fault_kmalloc_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_kmalloc *c = container_of(op, typeof(*c), op);

	bs_buddy_stats(&bs_test(test)->buddy, &c->after);
	KUNIT_EXPECT_EQ(test, c->granted, 0);
	KUNIT_EXPECT_EQ(test, c->after.used_pages, c->before.used_pages);
	KUNIT_EXPECT_EQ(test, c->after.counters.event[BS_BUDDY_ALLOC_FAILS],
			c->before.counters.event[BS_BUDDY_ALLOC_FAILS] + 1);
}

static void bs_fault_kmalloc_succeeded(struct kunit *test,
				       struct bs_fault_op *op,
				       enum bs_fault_hit hit)
{
	struct bs_fault_kmalloc *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, c->granted, PAGE_SIZE << get_order(BS_FAULT_LARGE_SIZE));
	KUNIT_EXPECT_EQ(test, bs_slab_kfree(&bs_test(test)->slab, c->obj), 0);
}

static void bs_fault_test_kmalloc_large(struct kunit *test)
{
	struct bs_fault_kmalloc *c;

	bs_fault_require(test);
	KUNIT_ASSERT_GT(test, BS_FAULT_LARGE_SIZE, BS_SLAB_MAX_CLASS);
	KUNIT_ASSERT_GT(test, get_order(BS_FAULT_LARGE_SIZE), BS_BUDDY_PCP_MAX_ORDER);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = "large kmalloc",
		.points = 1,
		.before = bs_fault_kmalloc_before,
		.run = bs_fault_kmalloc_run,
		.failed = bs_fault_kmalloc_failed,
		.succeeded = bs_fault_kmalloc_succeeded,
	};
	bs_fault_sweep(test, &c->op);
}

struct bs_fault_check {
	struct bs_fault_op op;
	struct bs_slab_cache *cache;
	unsigned long free_pages;
	struct bs_slab_cache_stats before, after;
};

static void bs_fault_check_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_check *c = container_of(op, typeof(*c), op);

	bs_slab_cache_stats(c->cache, &c->before);
	c->free_pages = bs_buddy_free_pages(&bs_test(test)->buddy);
}

/* Validation and walks change nothing, whether they run to the end or not. */
static void bs_fault_check_unchanged(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_check *c = container_of(op, typeof(*c), op);

	bs_slab_cache_stats(c->cache, &c->after);
	KUNIT_EXPECT_MEMEQ(test, &c->after, &c->before, sizeof(c->after));
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&bs_test(test)->buddy),
			c->free_pages);
}

static int bs_fault_validate_run(struct kunit *test, struct bs_fault_op *op)
{
	return bs_slab_validate(&bs_test(test)->slab);
}

static void bs_fault_validate_succeeded(struct kunit *test,
					struct bs_fault_op *op,
					enum bs_fault_hit hit)
{
	bs_fault_check_unchanged(test, op);
}

struct bs_fault_walker {
	struct bs_slab_walker walker;
	unsigned long visits;
};

static void bs_fault_visit(struct bs_slab_walker *walker,
			   struct bs_slab_cache *cache,
			   const struct bs_slab_cache_stats *stats)
{
	container_of(walker, struct bs_fault_walker, walker)->visits++;
}

struct bs_fault_walk {
	struct bs_fault_check check;
	struct bs_fault_walker walker;
	unsigned long nr_caches;
};

static int bs_fault_walk_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_walk *c = container_of(op, typeof(*c), check.op);

	c->walker.visits = 0;
	return bs_slab_walk_caches(&bs_test(test)->slab, &c->walker.walker);
}

static void bs_fault_walk_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_walk *c = container_of(op, typeof(*c), check.op);

	KUNIT_EXPECT_EQ(test, c->walker.visits, 0);
	bs_fault_check_unchanged(test, op);
}

static void bs_fault_walk_succeeded(struct kunit *test, struct bs_fault_op *op,
				    enum bs_fault_hit hit)
{
	struct bs_fault_walk *c = container_of(op, typeof(*c), check.op);

	KUNIT_EXPECT_EQ(test, c->walker.visits, c->nr_caches);
	bs_fault_check_unchanged(test, op);
}

/*
 * A cache with objects allocated, free in their slabs and in magazines,
 * red zones and poison to check: neither a validation nor a walk that
 * cannot have its memory changes any of it.
 */
static void bs_fault_test_validate_and_walk(struct kunit *test)
{
	struct bs_slab *slab;
	struct bs_fault_walk *c;
	void *objs[2 * BS_SLAB_MAG_ROUNDS];
	unsigned int i;

	bs_fault_require(test);
	slab = &bs_test(test)->slab;
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->check.cache = bs_slab_cache_create(slab, "fault", 200, 0,
					      BS_SLAB_REDZONE | BS_SLAB_POISON,
					      NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->check.cache));
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = bs_slab_cache_alloc(c->check.cache);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < ARRAY_SIZE(objs); i += 2)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(c->check.cache, objs[i]), 0);
	c->nr_caches = bs_fault_nr_caches(slab);

	c->check.op = (struct bs_fault_op){
		.name = "slab validate",
		.points = c->nr_caches,
		.before = bs_fault_check_before,
		.run = bs_fault_validate_run,
		.failed = bs_fault_check_unchanged,
		.succeeded = bs_fault_validate_succeeded,
	};
	bs_fault_sweep(test, &c->check.op);

	c->walker.walker.visit = bs_fault_visit;
	c->check.op = (struct bs_fault_op){
		.name = "slab walk",
		.points = 1,
		.before = bs_fault_check_before,
		.run = bs_fault_walk_run,
		.failed = bs_fault_walk_failed,
		.succeeded = bs_fault_walk_succeeded,
	};
	bs_fault_sweep(test, &c->check.op);

	for (i = 1; i < ARRAY_SIZE(objs); i += 2)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_free(c->check.cache, objs[i]), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(c->check.cache), 0);
}

/* ---- Fit ------------------------------------------------------------------ */

#define BS_FAULT_FIT_SIZE	100

struct bs_fault_fit {
	struct bs_fault_op op;
	u8 *mem;
	u8 *expected;		/* where the allocation must land */
	size_t granted;
	unsigned long free_pages;
	struct bs_fit_stats before, after;
};

static void bs_fault_fit_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_fit *c = container_of(op, typeof(*c), op);

	bs_fit_stats(&bs_test(test)->fit, &c->before);
	c->free_pages = bs_buddy_free_pages(&bs_test(test)->buddy);
	c->granted = 0;
}

static int bs_fault_fit_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_fit *c = container_of(op, typeof(*c), op);

	c->mem = bs_fit_alloc(&bs_test(test)->fit, BS_FAULT_FIT_SIZE, 0,
			      BS_FIT_FIRST, &c->granted);
	return c->mem ? 0 : -ENOMEM;
}

static void bs_fault_fit_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_fit *c = container_of(op, typeof(*c), op);
	const struct bs_fit_stats *before = &c->before, *after = &c->after;

	bs_fit_stats(&bs_test(test)->fit, &c->after);
	KUNIT_EXPECT_EQ(test, c->granted, 0);
	KUNIT_EXPECT_EQ(test, after->nr_arenas, before->nr_arenas);
	KUNIT_EXPECT_EQ(test, after->nr_free, before->nr_free);
	KUNIT_EXPECT_EQ(test, after->free_bytes, before->free_bytes);
	KUNIT_EXPECT_EQ(test, after->largest_free, before->largest_free);
	KUNIT_EXPECT_EQ(test, after->used_bytes, before->used_bytes);
	KUNIT_EXPECT_EQ(test, after->requested_bytes, before->requested_bytes);
	KUNIT_EXPECT_EQ(test, after->policy_counters[BS_FIT_FIRST][BS_FIT_ALLOCS],
			before->policy_counters[BS_FIT_FIRST][BS_FIT_ALLOCS]);
	KUNIT_EXPECT_EQ(test, after->policy_counters[BS_FIT_FIRST][BS_FIT_FAILS],
			before->policy_counters[BS_FIT_FIRST][BS_FIT_FAILS] + 1);
	/* An arena taken for the request went back. */
	KUNIT_EXPECT_EQ(test, after->counters[BS_FIT_ARENAS_TAKEN] -
			after->counters[BS_FIT_ARENAS_GIVEN],
			before->counters[BS_FIT_ARENAS_TAKEN] -
			before->counters[BS_FIT_ARENAS_GIVEN]);
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&bs_test(test)->buddy),
			c->free_pages);
}

static void bs_fault_fit_succeeded(struct kunit *test, struct bs_fault_op *op,
				   enum bs_fault_hit hit)
{
	struct bs_fault_fit *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, c->granted, bs_fit_granted(BS_FAULT_FIT_SIZE));
	if (c->expected)
		KUNIT_EXPECT_PTR_EQ(test, c->mem, c->expected);
	KUNIT_EXPECT_EQ(test, bs_fit_free(&bs_test(test)->fit, c->mem), 0);
}

static struct bs_fault_fit *bs_fault_fit_op(struct kunit *test,
					    const char *name,
					    unsigned int points)
{
	struct bs_fault_fit *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = name,
		.points = points,
		.before = bs_fault_fit_before,
		.run = bs_fault_fit_run,
		.failed = bs_fault_fit_failed,
		.succeeded = bs_fault_fit_succeeded,
	};
	return c;
}

/* No arena yet: the spares, an arena, its index, the block's index. */
static void bs_fault_test_fit_alloc_empty(struct kunit *test)
{
	struct bs_fault_fit *c;

	bs_fault_require(test);
	c = bs_fault_fit_op(test, "fit alloc, new arena", 3 + 3 + 1);
	bs_fault_sweep(test, &c->op);
}

/* The arena is there: the spares and the block's index only. */
static void bs_fault_test_fit_alloc_in_arena(struct kunit *test)
{
	struct bs_fault_fit *c;
	size_t granted;
	u8 *first;

	bs_fault_require(test);
	c = bs_fault_fit_op(test, "fit alloc, arena in use", 3 + 1);
	first = bs_fit_alloc(&bs_test(test)->fit, BS_FAULT_FIT_SIZE, 0,
			     BS_FIT_FIRST, &granted);
	KUNIT_ASSERT_NOT_NULL(test, first);
	c->expected = first + granted;
	bs_fault_sweep(test, &c->op);
	KUNIT_EXPECT_EQ(test, bs_fit_free(&bs_test(test)->fit, first), 0);
}

/* ---- Genpool -------------------------------------------------------------- */

#define BS_FAULT_GENPOOL_SIZE	100

struct bs_fault_genpool {
	struct bs_fault_op op;
	u8 *mem;
	u8 *expected;		/* where the allocation must land */
	size_t granted;
	unsigned long free_pages;
	struct bs_genpool_stats before, after;
};

static void bs_fault_genpool_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_genpool *c = container_of(op, typeof(*c), op);

	bs_genpool_stats(&bs_test(test)->genpool, &c->before);
	c->free_pages = bs_buddy_free_pages(&bs_test(test)->buddy);
	c->granted = 0;
}

static int bs_fault_genpool_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_genpool *c = container_of(op, typeof(*c), op);

	c->mem = bs_genpool_alloc(&bs_test(test)->genpool, BS_FAULT_GENPOOL_SIZE,
				  BS_GENPOOL_FIRST, &c->granted);
	return c->mem ? 0 : -ENOMEM;
}

static void bs_fault_genpool_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_genpool *c = container_of(op, typeof(*c), op);
	unsigned long *before = c->before.counters, *after = c->after.counters;
	unsigned long *fails_before = &c->before.policy_counters[BS_GENPOOL_FIRST][BS_GENPOOL_FAILS];
	unsigned long *fails_after = &c->after.policy_counters[BS_GENPOOL_FIRST][BS_GENPOOL_FAILS];

	bs_genpool_stats(&bs_test(test)->genpool, &c->after);
	KUNIT_EXPECT_EQ(test, c->granted, 0);
	KUNIT_EXPECT_EQ(test, *fails_after, *fails_before + 1);
	/* An arena taken for the request went back. */
	KUNIT_EXPECT_EQ(test, after[BS_GENPOOL_ARENAS_TAKEN] -
			after[BS_GENPOOL_ARENAS_GIVEN],
			before[BS_GENPOOL_ARENAS_TAKEN] -
			before[BS_GENPOOL_ARENAS_GIVEN]);
	/* Nothing else changed: no record, no bit, no count. */
	*fails_after = *fails_before;
	after[BS_GENPOOL_ARENAS_TAKEN] = before[BS_GENPOOL_ARENAS_TAKEN];
	after[BS_GENPOOL_ARENAS_GIVEN] = before[BS_GENPOOL_ARENAS_GIVEN];
	KUNIT_EXPECT_MEMEQ(test, &c->after, &c->before, sizeof(c->after));
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&bs_test(test)->buddy),
			c->free_pages);
}

static void bs_fault_genpool_succeeded(struct kunit *test,
				       struct bs_fault_op *op,
				       enum bs_fault_hit hit)
{
	struct bs_fault_genpool *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, c->granted,
			bs_genpool_granted(BS_FAULT_GENPOOL_SIZE));
	if (c->expected)
		KUNIT_EXPECT_PTR_EQ(test, c->mem, c->expected);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(&bs_test(test)->genpool, c->mem), 0);
}

static struct bs_fault_genpool *bs_fault_genpool_op(struct kunit *test,
						    const char *name,
						    unsigned int points)
{
	struct bs_fault_genpool *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = name,
		.points = points,
		.before = bs_fault_genpool_before,
		.run = bs_fault_genpool_run,
		.failed = bs_fault_genpool_failed,
		.succeeded = bs_fault_genpool_succeeded,
	};
	return c;
}

/*
 * No arena yet: the buddy's arena, the pool, its chunk, the arena's slot,
 * the record's slot.
 */
static void bs_fault_test_genpool_alloc_empty(struct kunit *test)
{
	struct bs_fault_genpool *c;

	bs_fault_require(test);
	c = bs_fault_genpool_op(test, "genpool alloc, new arena", 1 + 3 + 1);
	bs_fault_sweep(test, &c->op);
}

/* The arena is there: the record's slot only. */
static void bs_fault_test_genpool_alloc_in_arena(struct kunit *test)
{
	struct bs_fault_genpool *c;
	size_t granted;
	u8 *first;

	bs_fault_require(test);
	c = bs_fault_genpool_op(test, "genpool alloc, arena in use", 1);
	first = bs_genpool_alloc(&bs_test(test)->genpool, BS_FAULT_GENPOOL_SIZE,
				 BS_GENPOOL_FIRST, &granted);
	KUNIT_ASSERT_NOT_NULL(test, first);
	c->expected = first + granted;
	bs_fault_sweep(test, &c->op);
	KUNIT_EXPECT_EQ(test, bs_genpool_free(&bs_test(test)->genpool, first), 0);
}

/* ---- Byte buddy ---------------------------------------------------------- */

#define BS_FAULT_BYTE_BUDDY_SIZE	100

struct bs_fault_byte_buddy {
	struct bs_fault_op op;
	u8 *mem;
	u8 *expected;		/* where the allocation must land */
	size_t granted;
	unsigned long free_pages;
	struct bs_byte_buddy_stats before, after;
};

static void bs_fault_byte_buddy_before(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_byte_buddy *c = container_of(op, typeof(*c), op);

	bs_byte_buddy_stats(&bs_test(test)->byte_buddy, &c->before);
	c->free_pages = bs_buddy_free_pages(&bs_test(test)->buddy);
	c->granted = 0;
}

static int bs_fault_byte_buddy_run(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_byte_buddy *c = container_of(op, typeof(*c), op);

	c->mem = bs_byte_buddy_alloc(&bs_test(test)->byte_buddy,
				     BS_FAULT_BYTE_BUDDY_SIZE, &c->granted);
	return c->mem ? 0 : -ENOMEM;
}

static void bs_fault_byte_buddy_failed(struct kunit *test, struct bs_fault_op *op)
{
	struct bs_fault_byte_buddy *c = container_of(op, typeof(*c), op);
	unsigned long *before = c->before.counters, *after = c->after.counters;

	bs_byte_buddy_stats(&bs_test(test)->byte_buddy, &c->after);
	KUNIT_EXPECT_EQ(test, c->granted, 0);
	KUNIT_EXPECT_EQ(test, after[BS_BYTE_BUDDY_FAILS], before[BS_BYTE_BUDDY_FAILS] + 1);
	/* An arena taken for the request went back. */
	KUNIT_EXPECT_EQ(test, after[BS_BYTE_BUDDY_ARENAS_TAKEN] -
			after[BS_BYTE_BUDDY_ARENAS_GIVEN],
			before[BS_BYTE_BUDDY_ARENAS_TAKEN] -
			before[BS_BYTE_BUDDY_ARENAS_GIVEN]);
	/* Nothing else changed: no block, no split, no count. */
	after[BS_BYTE_BUDDY_FAILS] = before[BS_BYTE_BUDDY_FAILS];
	after[BS_BYTE_BUDDY_ARENAS_TAKEN] = before[BS_BYTE_BUDDY_ARENAS_TAKEN];
	after[BS_BYTE_BUDDY_ARENAS_GIVEN] = before[BS_BYTE_BUDDY_ARENAS_GIVEN];
	KUNIT_EXPECT_MEMEQ(test, &c->after, &c->before, sizeof(c->after));
	KUNIT_EXPECT_EQ(test, bs_buddy_free_pages(&bs_test(test)->buddy),
			c->free_pages);
}

static void bs_fault_byte_buddy_succeeded(struct kunit *test,
					  struct bs_fault_op *op,
					  enum bs_fault_hit hit)
{
	struct bs_fault_byte_buddy *c = container_of(op, typeof(*c), op);

	KUNIT_EXPECT_EQ(test, c->granted,
			bs_byte_buddy_granted(BS_FAULT_BYTE_BUDDY_SIZE));
	if (c->expected)
		KUNIT_EXPECT_PTR_EQ(test, c->mem, c->expected);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(&bs_test(test)->byte_buddy, c->mem), 0);
}

static struct bs_fault_byte_buddy *bs_fault_byte_buddy_op(struct kunit *test,
							  const char *name,
							  unsigned int points)
{
	struct bs_fault_byte_buddy *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->op = (struct bs_fault_op){
		.name = name,
		.points = points,
		.before = bs_fault_byte_buddy_before,
		.run = bs_fault_byte_buddy_run,
		.failed = bs_fault_byte_buddy_failed,
		.succeeded = bs_fault_byte_buddy_succeeded,
	};
	return c;
}

/* No arena yet: its bitmaps, its buddy block, its index, the block's index. */
static void bs_fault_test_byte_buddy_alloc_empty(struct kunit *test)
{
	struct bs_fault_byte_buddy *c;

	bs_fault_require(test);
	c = bs_fault_byte_buddy_op(test, "byte buddy alloc, new arena", 3 + 1);
	bs_fault_sweep(test, &c->op);
}

/* The arena is there: the block's index only. */
static void bs_fault_test_byte_buddy_alloc_in_arena(struct kunit *test)
{
	struct bs_fault_byte_buddy *c;
	size_t granted;
	u8 *first;

	bs_fault_require(test);
	c = bs_fault_byte_buddy_op(test, "byte buddy alloc, arena in use", 1);
	first = bs_byte_buddy_alloc(&bs_test(test)->byte_buddy,
				    BS_FAULT_BYTE_BUDDY_SIZE, &granted);
	KUNIT_ASSERT_NOT_NULL(test, first);
	c->expected = first + granted;
	bs_fault_sweep(test, &c->op);
	KUNIT_EXPECT_EQ(test, bs_byte_buddy_free(&bs_test(test)->byte_buddy, first), 0);
}

static struct kunit_case bs_fault_test_cases[] = {
	KUNIT_CASE(bs_fault_test_region_init),
	KUNIT_CASE(bs_fault_test_buddy_init),
	KUNIT_CASE(bs_fault_test_buddy_alloc),
	KUNIT_CASE(bs_fault_test_slab_init),
	KUNIT_CASE(bs_fault_test_cache_create),
	KUNIT_CASE(bs_fault_test_slab_grow),
	KUNIT_CASE(bs_fault_test_free_takes_magazine),
	KUNIT_CASE(bs_fault_test_kmalloc_large),
	KUNIT_CASE(bs_fault_test_validate_and_walk),
	KUNIT_CASE(bs_fault_test_fit_alloc_empty),
	KUNIT_CASE(bs_fault_test_fit_alloc_in_arena),
	KUNIT_CASE(bs_fault_test_genpool_alloc_empty),
	KUNIT_CASE(bs_fault_test_genpool_alloc_in_arena),
	KUNIT_CASE(bs_fault_test_byte_buddy_alloc_empty),
	KUNIT_CASE(bs_fault_test_byte_buddy_alloc_in_arena),
	{}
};

static struct kunit_suite bs_fault_test_suite = {
	.name = "buddyslab_fault",
	.suite_init = bs_fault_suite_init,
	.suite_exit = bs_fault_suite_exit,
	.init = bs_fault_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_fault_test_cases,
};

kunit_test_suite(bs_fault_test_suite);
