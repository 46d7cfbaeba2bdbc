// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab benchmark core: the cost of allocating and freeing in
 * buddyslab's allocators against the kernel's own, measured in the same
 * run on the same kernel and printed as tables. Nothing here asserts
 * anything about time: the figures are for people to read (make bench,
 * docs/benchmarks.md). There is no KUnit here, so that the KUnit suite
 * (bench.c) and the benchmark module for kernels without KUnit
 * (bench_module.c) run the same parts.
 *
 * Every figure is the best of BS_BENCH_ROUNDS rounds, timed with
 * ktime_get_ns(). In the tables of patterns the two sides take turns for
 * BS_BENCH_PASSES passes and a figure is the best of all their rounds, so
 * that a change in the venue's speed during the run (the host's other
 * work, under emulation) falls on both sides rather than on one. The
 * patterns, in ns per alloc+free pair:
 *
 *   single      one block allocated and freed, over and over
 *   batch 512   512 allocated, then all of them freed
 *   batch 4096  the same past every per-CPU layer of either side, down to
 *               the slabs and the arenas
 *   remote 512  512 allocated by a thread bound to one CPU, then freed by
 *               one bound to another: the cross-CPU path; only the two
 *               threads' own time counts, not the handing over
 *
 * and throughput: alloc+free pairs per second by a thread on one CPU alone,
 * then by threads on two CPUs at once. Two vCPUs of an emulator on a
 * 2-core host reach well under twice one, so the venue's own ceiling is
 * measured the same way in the same run, a loop on registers that shares
 * nothing, and each scaling is also given as a fraction of it.
 *
 * The kernel's side is alloc_pages(), a kmem_cache that SLUB cannot merge
 * with another (else the bench could time kmalloc-64 under another name)
 * and kmalloc(); buddyslab's is its buddy, a cache of its own and its size
 * classes through bs_slab_kmalloc(). Ratios are buddyslab / kernel: below 1
 * buddyslab is faster.
 *
 * The region part times the buddy with regions of 16 MiB, 1 GiB and the
 * largest the kernel gives, half of each held in order-9 blocks, so that
 * any search that walks the arenas shows as growth, and gives the
 * metadata's share of each. Last come internal fragmentation of the size
 * classes on a mixed workload, to set beside the 11 to 14% Bonwick reports
 * for his allocator, and how each fit policy's search grows with the
 * number of free blocks.
 */
#define pr_fmt(fmt) "buddyslab bench: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/utsname.h>

#include "bench.h"
#include "fit.h"
#include "slab.h"

#define BS_BENCH_ROUNDS		5
#define BS_BENCH_PASSES		3
/* Pairs per round of the single pattern: tens of ms a round under QEMU. */
#define BS_BENCH_PAIRS		100000
#define BS_BENCH_BATCH		512
#define BS_BENCH_BIG_BATCH	4096
/* 1 GiB on x86-64: a batch of 512 order-9 blocks. */
#define BS_BENCH_ARENAS		256
/* 64 MiB for the slab parts: a batch of 4096 objects of 512 B is 2 MiB. */
#define BS_BENCH_SLAB_ARENAS	16
/* Turns of the ceiling's loop: about as long as the throughput runs. */
#define BS_BENCH_SPIN_TURNS	2000000
#define BS_BENCH_MAX_CPUS	2
/* Objects a thread holds at once in the magazine part: 8 first magazines. */
#define BS_BENCH_MAG_BATCH	256
#define BS_BENCH_MAG_CYCLES	100
#define BS_BENCH_MAG_STEPS	6

/*
 * Before 6.5 there is no SLAB_NO_MERGE, but SLUB merges no cache that has
 * a constructor; this one has nothing to do.
 */
#ifdef SLAB_NO_MERGE
#define BS_BENCH_UNMERGED	"SLAB_NO_MERGE"
#define BS_BENCH_KMEM_FLAGS	SLAB_NO_MERGE
#define BS_BENCH_KMEM_CTOR	NULL
#else
static void bs_bench_kmem_ctor(void *obj)
{
}

#define BS_BENCH_UNMERGED	"a constructor (this kernel has no SLAB_NO_MERGE)"
#define BS_BENCH_KMEM_FLAGS	0
#define BS_BENCH_KMEM_CTOR	bs_bench_kmem_ctor
#endif

/*
 * An allocator measured: one block, then its release. @arg is the order
 * for page allocators and the size for the others; @ctx is the allocator
 * or the cache.
 */
struct bs_bench_ops {
	void *(*alloc)(void *ctx, unsigned int arg);
	void (*free)(void *ctx, void *block, unsigned int arg);
};

static void *bs_bench_buddy_alloc(void *ctx, unsigned int order)
{
	unsigned long pgoff;

	if (bs_buddy_alloc(ctx, order, BS_BUDDY_TAG_DIRECT, &pgoff))
		return NULL;
	/* Page offsets are never ULONG_MAX: the +1 keeps 0 apart from NULL. */
	return (void *)(pgoff + 1);
}

static void bs_bench_buddy_free(void *ctx, void *block, unsigned int order)
{
	bs_buddy_free(ctx, (unsigned long)block - 1);
}

static void *bs_bench_pages_alloc(void *ctx, unsigned int order)
{
	return alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
}

static void bs_bench_pages_free(void *ctx, void *block, unsigned int order)
{
	__free_pages(block, order);
}

static void *bs_bench_cache_alloc(void *ctx, unsigned int size)
{
	return bs_slab_cache_alloc(ctx);
}

static void bs_bench_cache_free(void *ctx, void *obj, unsigned int size)
{
	bs_slab_cache_free(ctx, obj);
}

static void *bs_bench_kmem_cache_alloc(void *ctx, unsigned int size)
{
	return kmem_cache_alloc(ctx, GFP_KERNEL);
}

static void bs_bench_kmem_cache_free(void *ctx, void *obj, unsigned int size)
{
	kmem_cache_free(ctx, obj);
}

static void *bs_bench_class_alloc(void *ctx, unsigned int size)
{
	size_t granted;

	return bs_slab_kmalloc(ctx, size, &granted);
}

static void bs_bench_class_free(void *ctx, void *obj, unsigned int size)
{
	bs_slab_kfree(ctx, obj);
}

static void *bs_bench_kmalloc(void *ctx, unsigned int size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void bs_bench_kfree(void *ctx, void *obj, unsigned int size)
{
	kfree(obj);
}

static const struct bs_bench_ops bs_bench_buddy_ops = {
	.alloc = bs_bench_buddy_alloc,
	.free = bs_bench_buddy_free,
};

static const struct bs_bench_ops bs_bench_pages_ops = {
	.alloc = bs_bench_pages_alloc,
	.free = bs_bench_pages_free,
};

static const struct bs_bench_ops bs_bench_cache_ops = {
	.alloc = bs_bench_cache_alloc,
	.free = bs_bench_cache_free,
};

static const struct bs_bench_ops bs_bench_kmem_cache_ops = {
	.alloc = bs_bench_kmem_cache_alloc,
	.free = bs_bench_kmem_cache_free,
};

static const struct bs_bench_ops bs_bench_class_ops = {
	.alloc = bs_bench_class_alloc,
	.free = bs_bench_class_free,
};

static const struct bs_bench_ops bs_bench_kmalloc_ops = {
	.alloc = bs_bench_kmalloc,
	.free = bs_bench_kfree,
};

/* What one measurement runs: an allocator, its argument, how much. */
struct bs_bench_subject {
	const struct bs_bench_ops *ops;
	void *ctx;
	unsigned int arg;
	unsigned int pairs;	/* alloc+free pairs a round of single runs */
};

enum bs_bench_pattern {
	BS_BENCH_SINGLE,
	BS_BENCH_BATCH_SMALL,
	BS_BENCH_BATCH_BIG,
	BS_BENCH_REMOTE,
	BS_BENCH_NR_PATTERNS,
};

static const char *const bs_bench_pattern_names[BS_BENCH_NR_PATTERNS] = {
	"single", "batch 512", "batch 4096", "remote 512",
};

/* Tenths of ns per pair, per pattern: [0] buddyslab, [1] the kernel. */
struct bs_bench_figures {
	u64 tenths[BS_BENCH_NR_PATTERNS][2];
};

/* The tenths of ns per pair of @ns for @pairs pairs. */
static u64 bs_bench_tenths(u64 ns, u64 pairs)
{
	return div64_u64(ns * 10, pairs);
}

/* Thousandths of @ours / @theirs. */
static u64 bs_bench_ratio(u64 ours, u64 theirs)
{
	return theirs ? div64_u64(ours * 1000, theirs) : 0;
}

static void bs_bench_drain(const struct bs_bench_subject *s, void **blocks,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		s->ops->free(s->ctx, blocks[i], s->arg);
}

/* @n blocks into @blocks: 0, or -ENOMEM with none of them kept. */
static int bs_bench_fill(const struct bs_bench_subject *s, void **blocks,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		blocks[i] = s->ops->alloc(s->ctx, s->arg);
		if (!blocks[i]) {
			bs_bench_drain(s, blocks, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Tenths of ns per pair, best of the rounds; 0 on failure. */
static u64 bs_bench_single(const struct bs_bench_subject *s)
{
	u64 best = U64_MAX, t;
	unsigned int round, i;
	void *block;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (i = 0; i < s->pairs; i++) {
			block = s->ops->alloc(s->ctx, s->arg);
			if (!block)
				return 0;
			s->ops->free(s->ctx, block, s->arg);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return bs_bench_tenths(best, s->pairs);
}

static u64 bs_bench_batch(const struct bs_bench_subject *s, unsigned int batch,
			  void **blocks)
{
	unsigned int repeats = DIV_ROUND_UP(s->pairs / 2, batch);
	u64 best = U64_MAX, t;
	unsigned int round, r;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (r = 0; r < repeats; r++) {
			if (bs_bench_fill(s, blocks, batch))
				return 0;
			bs_bench_drain(s, blocks, batch);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return bs_bench_tenths(best, (u64)repeats * batch);
}

/*
 * A thread bound to one CPU, one of a team started together: it runs @fn
 * once every thread of the team is running, so that they work at once.
 */
struct bs_bench_worker {
	int (*fn)(struct bs_bench_worker *worker);
	const struct bs_bench_subject *subject;
	void **blocks;
	unsigned int n;		/* blocks, pairs or turns of @fn */
	u64 sink;		/* the ceiling loop's result, kept */
	atomic_t *running;	/* threads of the team started so far */
	unsigned int team;	/* threads in the team */
	struct completion done;
	u64 start;
	u64 end;
	int ret;
};

static int bs_bench_worker_thread(void *data)
{
	struct bs_bench_worker *worker = data;

	atomic_inc(worker->running);
	while (atomic_read(worker->running) < worker->team)
		cpu_relax();
	worker->start = ktime_get_ns();
	worker->ret = worker->fn(worker);
	worker->end = ktime_get_ns();
	complete(&worker->done);
	return 0;
}

/*
 * Runs @workers[i] in a thread bound to @cpus[i], all at once, and waits
 * for them. Returns the ns from the first one's start to the last one's
 * end, 0 if a thread could not be made or a worker failed.
 */
static u64 bs_bench_on_cpus(struct bs_bench_worker *workers,
			    const unsigned int *cpus, unsigned int nr)
{
	struct task_struct *tasks[BS_BENCH_MAX_CPUS];
	atomic_t running = ATOMIC_INIT(0);
	u64 start = U64_MAX, end = 0;
	bool failed = false;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		workers[i].running = &running;
		workers[i].team = nr;
		init_completion(&workers[i].done);
		tasks[i] = kthread_create_on_cpu(bs_bench_worker_thread,
						 &workers[i], cpus[i],
						 "bs_bench/%u");
		if (IS_ERR(tasks[i]))
			goto err_stop;
		/* It may have exited by kthread_stop(): keep its task. */
		get_task_struct(tasks[i]);
	}
	for (i = 0; i < nr; i++)
		wake_up_process(tasks[i]);
	for (i = 0; i < nr; i++) {
		wait_for_completion(&workers[i].done);
		kthread_stop(tasks[i]);
		put_task_struct(tasks[i]);
		failed |= workers[i].ret != 0;
		start = min(start, workers[i].start);
		end = max(end, workers[i].end);
	}
	return failed ? 0 : max(end - start, 1ULL);

err_stop:
	/* Never woken: kthread_stop() ends them before their function. */
	while (i--) {
		kthread_stop(tasks[i]);
		put_task_struct(tasks[i]);
	}
	return 0;
}

static int bs_bench_fill_work(struct bs_bench_worker *worker)
{
	return bs_bench_fill(worker->subject, worker->blocks, worker->n);
}

static int bs_bench_drain_work(struct bs_bench_worker *worker)
{
	bs_bench_drain(worker->subject, worker->blocks, worker->n);
	return 0;
}

static int bs_bench_pairs_work(struct bs_bench_worker *worker)
{
	const struct bs_bench_subject *s = worker->subject;
	unsigned int i;
	void *block;

	for (i = 0; i < worker->n; i++) {
		block = s->ops->alloc(s->ctx, s->arg);
		if (!block)
			return -ENOMEM;
		s->ops->free(s->ctx, block, s->arg);
	}
	return 0;
}

/* @n times: BS_BENCH_MAG_BATCH objects allocated, then all freed. */
static int bs_bench_cycles_work(struct bs_bench_worker *worker)
{
	unsigned int i;
	int ret;

	for (i = 0; i < worker->n; i++) {
		ret = bs_bench_fill(worker->subject, worker->blocks,
				    BS_BENCH_MAG_BATCH);
		if (ret)
			return ret;
		bs_bench_drain(worker->subject, worker->blocks,
			       BS_BENCH_MAG_BATCH);
	}
	return 0;
}

/* The ceiling: xorshift64 in a register, no memory shared or touched. */
static int bs_bench_spin_work(struct bs_bench_worker *worker)
{
	u64 x = 88172645463325252ULL;
	unsigned int i;

	for (i = 0; i < worker->n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		OPTIMIZER_HIDE_VAR(x);
	}
	worker->sink = x;
	return 0;
}

/*
 * Batches of BS_BENCH_BATCH allocated on @cpus[0] and freed on @cpus[1]:
 * tenths of ns per pair of the two threads' own time, best of the rounds;
 * 0 on failure.
 */
static u64 bs_bench_remote(const struct bs_bench_subject *s, void **blocks,
			   const unsigned int *cpus)
{
	unsigned int repeats = DIV_ROUND_UP(s->pairs / 8, BS_BENCH_BATCH);
	struct bs_bench_worker alloc_worker = {
		.fn = bs_bench_fill_work, .subject = s, .blocks = blocks,
		.n = BS_BENCH_BATCH,
	};
	struct bs_bench_worker free_worker = {
		.fn = bs_bench_drain_work, .subject = s, .blocks = blocks,
		.n = BS_BENCH_BATCH,
	};
	u64 best = U64_MAX, total, alloc_ns, free_ns;
	unsigned int round, r;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		total = 0;
		for (r = 0; r < repeats; r++) {
			alloc_ns = bs_bench_on_cpus(&alloc_worker, &cpus[0], 1);
			if (!alloc_ns)
				return 0;
			free_ns = bs_bench_on_cpus(&free_worker, &cpus[1], 1);
			if (!free_ns) {
				bs_bench_drain(s, blocks, BS_BENCH_BATCH);
				return 0;
			}
			total += alloc_ns + free_ns;
		}
		best = min(best, total);
	}
	return bs_bench_tenths(best, (u64)repeats * BS_BENCH_BATCH);
}

/* The shortest span of @workers on @cpus over the rounds; 0 on failure. */
static u64 bs_bench_best_span(struct bs_bench_worker *workers,
			      const unsigned int *cpus, unsigned int nr)
{
	u64 best = U64_MAX, span;
	unsigned int round;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		span = bs_bench_on_cpus(workers, cpus, nr);
		if (!span)
			return 0;
		best = min(best, span);
	}
	return best;
}

/*
 * @fn run @n times over by a thread on each of the first @nr of @cpus at
 * once: runs per second of them all together, best of the rounds; 0 on
 * failure.
 */
static u64 bs_bench_rate(int (*fn)(struct bs_bench_worker *worker),
			 const struct bs_bench_subject *s, unsigned int n,
			 const unsigned int *cpus, unsigned int nr)
{
	struct bs_bench_worker workers[BS_BENCH_MAX_CPUS] = {};
	unsigned int i;
	u64 best;

	for (i = 0; i < nr; i++) {
		workers[i].fn = fn;
		workers[i].subject = s;
		workers[i].n = n;
	}
	best = bs_bench_best_span(workers, cpus, nr);
	return best ? div64_u64((u64)nr * n * NSEC_PER_SEC, best) : 0;
}

/* The first two online CPUs; false if there is only one. */
static bool bs_bench_two_cpus(unsigned int cpus[BS_BENCH_MAX_CPUS])
{
	cpus[0] = cpumask_first(cpu_online_mask);
	cpus[1] = cpumask_next(cpus[0], cpu_online_mask);
	return cpus[1] < nr_cpu_ids;
}

/*
 * Why a pattern is not run: a remote free needs two CPUs, and a batch
 * must fit in the 1 GiB that the page allocators are given.
 */
static const char *bs_bench_skip(enum bs_bench_pattern pattern,
				 u64 block_bytes, bool smp)
{
	static const unsigned int batch[BS_BENCH_NR_PATTERNS] = {
		[BS_BENCH_BATCH_SMALL] = BS_BENCH_BATCH,
		[BS_BENCH_BATCH_BIG] = BS_BENCH_BIG_BATCH,
		[BS_BENCH_REMOTE] = BS_BENCH_BATCH,
	};

	if (pattern == BS_BENCH_REMOTE && !smp)
		return "needs 2 CPUs, this kernel has 1";
	if (batch[pattern] * block_bytes > BS_BENCH_ARENAS * BS_ARENA_BYTES)
		return "more than the 1 GiB region";
	return NULL;
}

/*
 * Every pattern of @s that can run, into @figures[pattern][@side];
 * @blocks holds BS_BENCH_BIG_BATCH. Those skipped stay 0.
 */
/* The best of a figure over the passes so far; a failure (0) stays. */
static void bs_bench_keep_best(u64 *best, u64 tenths, unsigned int pass)
{
	if (!pass || !tenths || (*best && tenths < *best))
		*best = tenths;
}

static void bs_bench_patterns(const struct bs_bench_subject *s, u64 block_bytes,
			      void **blocks, struct bs_bench_figures *figures,
			      unsigned int side, unsigned int pass)
{
	unsigned int cpus[BS_BENCH_MAX_CPUS];
	bool smp = bs_bench_two_cpus(cpus);
	unsigned int p;
	u64 tenths = 0;

	for (p = 0; p < BS_BENCH_NR_PATTERNS; p++) {
		if (bs_bench_skip(p, block_bytes, smp))
			continue;
		switch (p) {
		case BS_BENCH_SINGLE:
			tenths = bs_bench_single(s);
			break;
		case BS_BENCH_BATCH_SMALL:
			tenths = bs_bench_batch(s, BS_BENCH_BATCH, blocks);
			break;
		case BS_BENCH_BATCH_BIG:
			tenths = bs_bench_batch(s, BS_BENCH_BIG_BATCH, blocks);
			break;
		case BS_BENCH_REMOTE:
			tenths = bs_bench_remote(s, blocks, cpus);
			break;
		}
		bs_bench_keep_best(&figures->tenths[p][side], tenths, pass);
	}
}

/* Column headings, and the rows below them, share these widths. */
static void bs_bench_print_heading(const char *what, const char *kernel)
{
	pr_info("%5s  %-10s %11s %12s %7s\n", what, "pattern", "buddyslab",
		kernel, "ratio");
}

/*
 * The rows of one block size or order: ns per pair on each side and their
 * ratio, or why a pattern was not run. Returns -ENOMEM if one failed.
 */
static int bs_bench_print_rows(unsigned int what, u64 block_bytes,
			       const struct bs_bench_figures *figures)
{
	unsigned int cpus[BS_BENCH_MAX_CPUS];
	bool smp = bs_bench_two_cpus(cpus);
	const char *skip;
	unsigned int p;
	const u64 *f;
	u64 ratio;
	int ret = 0;

	for (p = 0; p < BS_BENCH_NR_PATTERNS; p++) {
		f = figures->tenths[p];
		skip = bs_bench_skip(p, block_bytes, smp);
		if (skip) {
			pr_info("%5u  %-10s    not run: %s\n", what,
				bs_bench_pattern_names[p], skip);
		} else if (!f[0] || !f[1]) {
			pr_info("%5u  %-10s    failed: %s ran out of memory\n",
				what, bs_bench_pattern_names[p],
				f[0] ? "the kernel" : "buddyslab");
			ret = -ENOMEM;
		} else {
			ratio = bs_bench_ratio(f[0], f[1]);
			pr_info("%5u  %-10s %9llu.%llu %10llu.%llu %3llu.%03llu\n",
				what, bs_bench_pattern_names[p], f[0] / 10,
				f[0] % 10, f[1] / 10, f[1] % 10, ratio / 1000,
				ratio % 1000);
		}
	}
	return ret;
}

/* A region and a buddy allocator over it. */
struct bs_bench_world {
	struct bs_region region;
	struct bs_buddy buddy;
};

static int bs_bench_world_init(struct bs_bench_world *world, u64 bytes)
{
	int ret;

	ret = bs_region_init(&world->region, bytes);
	if (ret)
		return ret;
	ret = bs_buddy_init(&world->buddy, &world->region);
	if (ret)
		bs_region_fini(&world->region);
	return ret;
}

static void bs_bench_world_fini(struct bs_bench_world *world)
{
	bs_buddy_fini(&world->buddy);
	bs_region_fini(&world->region);
}

/* Hundred-thousandths of @bytes of metadata for @pages pages. */
static u64 bs_bench_metadata_share(unsigned long bytes, unsigned long pages)
{
	return div64_u64((u64)bytes * 100000, (u64)pages << PAGE_SHIFT);
}

static int bs_bench_header(void)
{
	unsigned int cpus[BS_BENCH_MAX_CPUS];

	pr_info("kernel %s, CPUs online: %u, init_on_alloc %s\n",
		utsname()->release, num_online_cpus(),
		want_init_on_alloc(GFP_KERNEL) ? "on" : "off");
	pr_info("best of %u rounds; patterns: in each of %u passes, buddyslab and the kernel taking turns; ratio = buddyslab / kernel, below 1 buddyslab is faster\n",
		BS_BENCH_ROUNDS, BS_BENCH_PASSES);
	pr_info("patterns, ns per alloc+free pair: single = one block, over and over; batch N = N allocated, then all freed\n");
	if (bs_bench_two_cpus(cpus))
		pr_info("  remote 512 = 512 allocated on CPU %u, then freed on CPU %u\n",
			cpus[0], cpus[1]);
	pr_info("kmem_cache: kept from SLUB's merging by %s\n",
		BS_BENCH_UNMERGED);
	return 0;
}

static const unsigned int bs_bench_orders[] = { 0, 3, 9 };

/* Order 9 costs far more a pair: fewer of them keep each row short. */
static unsigned int bs_bench_order_pairs(unsigned int order)
{
	return order < 9 ? BS_BENCH_PAIRS : BS_BENCH_PAIRS / 32;
}

static int bs_bench_buddy(void)
{
	struct bs_bench_figures figures[ARRAY_SIZE(bs_bench_orders)] = {};
	struct bs_bench_subject s = {};
	struct bs_buddy_stats *stats;
	unsigned int i, order, pass;
	struct bs_bench_world world;
	unsigned long pages = 0;
	void **blocks;
	int ret = -ENOMEM;

	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	blocks = kvmalloc_array(BS_BENCH_BIG_BATCH, sizeof(*blocks), GFP_KERNEL);
	if (!stats || !blocks)
		goto out;

	for (pass = 0; pass < BS_BENCH_PASSES; pass++) {
		/* buddyslab, then its region goes back for the kernel's turn. */
		ret = bs_bench_world_init(&world,
					  (u64)BS_BENCH_ARENAS * BS_ARENA_BYTES);
		if (ret)
			goto out;
		s.ops = &bs_bench_buddy_ops;
		s.ctx = &world.buddy;
		for (i = 0; i < ARRAY_SIZE(bs_bench_orders); i++) {
			s.arg = bs_bench_orders[i];
			s.pairs = bs_bench_order_pairs(s.arg);
			bs_bench_patterns(&s, PAGE_SIZE << s.arg, blocks,
					  &figures[i], 0, pass);
		}
		bs_buddy_stats(&world.buddy, stats);
		pages = bs_buddy_total_pages(&world.buddy);
		bs_bench_world_fini(&world);

		s.ops = &bs_bench_pages_ops;
		s.ctx = NULL;
		for (i = 0; i < ARRAY_SIZE(bs_bench_orders); i++) {
			s.arg = bs_bench_orders[i];
			s.pairs = bs_bench_order_pairs(s.arg);
			bs_bench_patterns(&s, PAGE_SIZE << s.arg, blocks,
					  &figures[i], 1, pass);
		}
	}

	pr_info("buddy allocator, 1 GiB region, against alloc_pages(): ns per alloc+free pair\n");
	bs_bench_print_heading("order", "alloc_pages");
	for (i = 0; i < ARRAY_SIZE(bs_bench_orders); i++) {
		order = bs_bench_orders[i];
		ret = bs_bench_print_rows(order, PAGE_SIZE << order,
					  &figures[i]) ?: ret;
	}
	pr_info("metadata: %lu bytes for %lu pages, %llu.%03llu%% of the region\n",
		stats->metadata_bytes, pages,
		bs_bench_metadata_share(stats->metadata_bytes, pages) / 1000,
		bs_bench_metadata_share(stats->metadata_bytes, pages) % 1000);
out:
	kvfree(blocks);
	kfree(stats);
	return ret;
}

static const unsigned int bs_bench_sizes[] = { 64, 512 };

static struct kmem_cache *bs_bench_kmem_cache_create(unsigned int size)
{
	char name[32];

	snprintf(name, sizeof(name), "buddyslab_bench_%u", size);
	return kmem_cache_create(name, size, 0, BS_BENCH_KMEM_FLAGS,
				 BS_BENCH_KMEM_CTOR);
}

#define BS_BENCH_MIXED_OBJECTS	50000

/*
 * Internal fragmentation of the size classes on a mixed workload: sizes
 * log-uniform from 8 bytes to 4 KiB (an exponent, then a size within that
 * power of two), all allocated at once. Rounding is the bytes granted
 * beyond those requested; the total also counts what the slabs hold that no
 * object uses (free objects and unused tails), as Bonwick measures it.
 */
static int bs_bench_fragmentation(struct bs_slab *slab)
{
	u64 requested = 0, granted = 0, slab_bytes = 0, rounding, total;
	struct bs_slab_cache_stats *stats;
	struct rnd_state rnd;
	size_t size, got;
	unsigned int i, n;
	void **objs;
	int ret = -ENOMEM;

	objs = kvcalloc(BS_BENCH_MIXED_OBJECTS, sizeof(*objs), GFP_KERNEL);
	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	if (!objs || !stats)
		goto out;
	prandom_seed_state(&rnd, 1994);
	for (n = 0; n < BS_BENCH_MIXED_OBJECTS; n++) {
		size = 8UL << (prandom_u32_state(&rnd) % 9);
		size += prandom_u32_state(&rnd) % size;
		objs[n] = bs_slab_kmalloc(slab, size, &got);
		if (!objs[n])
			goto out_free;
		requested += size;
		granted += got;
	}
	for (i = 0; i < BS_SLAB_NR_CLASSES; i++) {
		bs_slab_cache_stats(slab->classes[i], stats);
		slab_bytes += (u64)stats->num_slabs *
			      bs_slab_cache_slab_pages(slab->classes[i]) << PAGE_SHIFT;
	}

	rounding = 1000 - bs_bench_ratio(requested, granted);
	total = 1000 - bs_bench_ratio(requested, slab_bytes);
	pr_info("mixed workload: %u objects of 8 B to 4 KiB (log-uniform), all live\n",
		BS_BENCH_MIXED_OBJECTS);
	pr_info("requested %llu B, granted %llu B, held in slabs %llu B\n",
		requested, granted, slab_bytes);
	pr_info("internal fragmentation: rounding to classes %llu.%llu%%, with slab overhead %llu.%llu%% (Bonwick 1994: 11 to 14%%)\n",
		rounding / 10, rounding % 10, total / 10, total % 10);
	ret = 0;
out_free:
	while (n--)
		bs_slab_kfree(slab, objs[n]);
out:
	kfree(stats);
	kvfree(objs);
	return ret;
}

/*
 * A buddyslab cache against a kmem_cache, and the size classes against
 * kmalloc(), per size; then the fragmentation of the classes.
 */
static int bs_bench_slab(void)
{
	struct bs_bench_figures caches[ARRAY_SIZE(bs_bench_sizes)] = {};
	struct bs_bench_figures classes[ARRAY_SIZE(bs_bench_sizes)] = {};
	struct bs_bench_subject s = { .pairs = BS_BENCH_PAIRS };
	struct bs_slab_cache *bcache;
	struct bs_bench_world world;
	struct kmem_cache *kcache;
	struct bs_slab slab;
	unsigned int i, pass;
	void **blocks;
	int ret;

	blocks = kvmalloc_array(BS_BENCH_BIG_BATCH, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	ret = bs_bench_world_init(&world,
				  (u64)BS_BENCH_SLAB_ARENAS * BS_ARENA_BYTES);
	if (ret)
		goto err_blocks;
	ret = bs_slab_init(&slab, &world.buddy, 0);
	if (ret)
		goto err_world;

	for (i = 0; i < ARRAY_SIZE(bs_bench_sizes); i++) {
		s.arg = bs_bench_sizes[i];
		bcache = bs_slab_cache_create(&slab, "bench", s.arg, 0, 0, NULL);
		if (IS_ERR(bcache)) {
			ret = PTR_ERR(bcache);
			goto err_slab;
		}
		kcache = bs_bench_kmem_cache_create(s.arg);
		if (!kcache) {
			bs_slab_cache_destroy(bcache);
			ret = -ENOMEM;
			goto err_slab;
		}
		for (pass = 0; pass < BS_BENCH_PASSES; pass++) {
			s.ops = &bs_bench_cache_ops;
			s.ctx = bcache;
			bs_bench_patterns(&s, s.arg, blocks, &caches[i], 0, pass);
			s.ops = &bs_bench_kmem_cache_ops;
			s.ctx = kcache;
			bs_bench_patterns(&s, s.arg, blocks, &caches[i], 1, pass);
			s.ops = &bs_bench_class_ops;
			s.ctx = &slab;
			bs_bench_patterns(&s, s.arg, blocks, &classes[i], 0, pass);
			s.ops = &bs_bench_kmalloc_ops;
			s.ctx = NULL;
			bs_bench_patterns(&s, s.arg, blocks, &classes[i], 1, pass);
		}
		kmem_cache_destroy(kcache);
		ret = bs_slab_cache_destroy(bcache);
		if (ret)
			goto err_slab;
	}

	pr_info("slab cache against a kmem_cache of the same size: ns per alloc+free pair\n");
	bs_bench_print_heading("size", "kmem_cache");
	for (i = 0; i < ARRAY_SIZE(bs_bench_sizes); i++)
		ret = bs_bench_print_rows(bs_bench_sizes[i], bs_bench_sizes[i],
					  &caches[i]) ?: ret;
	pr_info("size classes, bs_slab_kmalloc() against kmalloc(): ns per alloc+free pair\n");
	bs_bench_print_heading("size", "kmalloc");
	for (i = 0; i < ARRAY_SIZE(bs_bench_sizes); i++)
		ret = bs_bench_print_rows(bs_bench_sizes[i], bs_bench_sizes[i],
					  &classes[i]) ?: ret;
	ret = bs_bench_fragmentation(&slab) ?: ret;

err_slab:
	bs_slab_fini(&slab);
err_world:
	bs_bench_world_fini(&world);
err_blocks:
	kvfree(blocks);
	return ret;
}

/*
 * Threads on both @cpus cycling batches through @s at once, each with its
 * share of @blocks: tenths of ns per pair on each CPU, best of the rounds;
 * 0 on failure.
 */
static u64 bs_bench_cycles(const struct bs_bench_subject *s, void **blocks,
			   const unsigned int *cpus)
{
	struct bs_bench_worker workers[BS_BENCH_MAX_CPUS] = {};
	unsigned int i;
	u64 best;

	for (i = 0; i < BS_BENCH_MAX_CPUS; i++) {
		workers[i].fn = bs_bench_cycles_work;
		workers[i].subject = s;
		workers[i].blocks = blocks + i * BS_BENCH_MAG_BATCH;
		workers[i].n = BS_BENCH_MAG_CYCLES;
	}
	best = bs_bench_best_span(workers, cpus, BS_BENCH_MAX_CPUS);
	return best ? bs_bench_tenths(best, (u64)BS_BENCH_MAG_CYCLES *
				      BS_BENCH_MAG_BATCH) : 0;
}

/*
 * Magazines that grow and a depot that trims (Bonwick and Adams): two CPUs
 * cycle batches of BS_BENCH_MAG_BATCH objects through one cache, which
 * sends them to the depot once per magazine's worth, each CPU taking its
 * lock in turn; after each step a reap grows the magazines if the CPUs
 * waited for it, until they grow no more. Then, the CPUs idle, a reap
 * trims the depot of what the interval did not need.
 */
static int bs_bench_magazines(void)
{
	struct bs_bench_subject s = {
		.ops = &bs_bench_cache_ops, .arg = 64, .pairs = BS_BENCH_PAIRS,
	};
	unsigned int cpus[BS_BENCH_MAX_CPUS], step, size;
	struct bs_slab_cache_stats *stats;
	unsigned long waits, held, trimmed;
	struct bs_slab_cache *cache;
	struct bs_bench_world world;
	struct bs_slab slab;
	void **blocks;
	u64 tenths;
	int ret;

	if (!bs_bench_two_cpus(cpus)) {
		pr_info("magazines under depot contention: not run: needs 2 CPUs, this kernel has 1\n");
		return 0;
	}
	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	blocks = kvmalloc_array(BS_BENCH_MAX_CPUS * BS_BENCH_MAG_BATCH,
				sizeof(*blocks), GFP_KERNEL);
	ret = -ENOMEM;
	if (!stats || !blocks)
		goto out;
	ret = bs_bench_world_init(&world,
				  (u64)BS_BENCH_SLAB_ARENAS * BS_ARENA_BYTES);
	if (ret)
		goto out;
	ret = bs_slab_init(&slab, &world.buddy, 0);
	if (ret)
		goto err_world;
	cache = bs_slab_cache_create(&slab, "bench", s.arg, 0, 0, NULL);
	if (IS_ERR(cache)) {
		ret = PTR_ERR(cache);
		goto err_slab;
	}
	s.ctx = cache;

	pr_info("magazines under depot contention: threads on CPUs %u and %u each allocate %u objects of %u B, then free them, over and over; a reap after each step\n",
		cpus[0], cpus[1], BS_BENCH_MAG_BATCH, s.arg);
	pr_info("%4s %9s %12s %12s\n", "step", "magazine", "ns per pair",
		"depot waits");
	for (step = 0; step < BS_BENCH_MAG_STEPS; step++) {
		bs_slab_cache_stats(cache, stats);
		size = stats->magazine_size;
		waits = stats->counters[BS_SLAB_DEPOT_CONTENDED];
		tenths = bs_bench_cycles(&s, blocks, cpus);
		if (!tenths) {
			ret = -ENOMEM;
			break;
		}
		bs_slab_cache_stats(cache, stats);
		pr_info("%4u %9u %10llu.%llu %12lu\n", step, size, tenths / 10,
			tenths % 10,
			stats->counters[BS_SLAB_DEPOT_CONTENDED] - waits);
		bs_slab_reap(&slab);
		bs_slab_cache_stats(cache, stats);
		if (stats->magazine_size == size)
			break;
	}

	if (!ret) {
		held = stats->magazine_objs;
		trimmed = stats->counters[BS_SLAB_MAG_TRIMMED];
		bs_slab_reap(&slab);
		bs_slab_cache_stats(cache, stats);
		pr_info("depot trim, the CPUs idle since the last reap: %lu free objects in magazines before the next reap, %lu after (the CPUs' own, which stay); %lu magazines trimmed\n",
			held, stats->magazine_objs,
			stats->counters[BS_SLAB_MAG_TRIMMED] - trimmed);
	}
	ret = bs_slab_cache_destroy(cache) ?: ret;
err_slab:
	bs_slab_fini(&slab);
err_world:
	bs_bench_world_fini(&world);
out:
	kvfree(blocks);
	kfree(stats);
	return ret;
}

/* One row of the throughput table: rates per second, in thousands. */
static int bs_bench_print_rates(const char *name, const u64 rate[2],
				u64 ceiling)
{
	u64 scaling = bs_bench_ratio(rate[1], rate[0]);
	u64 of_ceiling = bs_bench_ratio(scaling, ceiling);

	if (!rate[0] || !rate[1]) {
		pr_info("%-20s failed: ran out of memory\n", name);
		return -ENOMEM;
	}
	pr_info("%-20s %9llu %9llu %4llu.%03llu %5llu.%03llu\n", name,
		div_u64(rate[0], 1000), div_u64(rate[1], 1000),
		scaling / 1000, scaling % 1000, of_ceiling / 1000,
		of_ceiling % 1000);
	return 0;
}

/*
 * Pairs per second on one CPU, then on two at once, for each allocator's
 * per-CPU path (the single pattern), beside the venue's ceiling.
 */
static int bs_bench_throughput(void)
{
	static const char *const names[] = {
		"buddy order 0", "alloc_pages order 0", "slab cache 64",
		"kmem_cache 64", "size class 64", "kmalloc 64",
	};
	struct bs_bench_subject s[ARRAY_SIZE(names)] = {
		{ &bs_bench_buddy_ops, NULL, 0, BS_BENCH_PAIRS },
		{ &bs_bench_pages_ops, NULL, 0, BS_BENCH_PAIRS },
		{ &bs_bench_cache_ops, NULL, 64, BS_BENCH_PAIRS },
		{ &bs_bench_kmem_cache_ops, NULL, 64, BS_BENCH_PAIRS },
		{ &bs_bench_class_ops, NULL, 64, BS_BENCH_PAIRS },
		{ &bs_bench_kmalloc_ops, NULL, 64, BS_BENCH_PAIRS },
	};
	u64 rates[ARRAY_SIZE(names)][2], spin[2], ceiling;
	unsigned int cpus[BS_BENCH_MAX_CPUS], i, nr;
	struct bs_slab_cache *bcache;
	struct bs_bench_world world;
	struct kmem_cache *kcache;
	struct bs_slab slab;
	int ret;

	if (!bs_bench_two_cpus(cpus)) {
		pr_info("throughput on one CPU and on two: not run: needs 2 CPUs, this kernel has 1\n");
		return 0;
	}
	ret = bs_bench_world_init(&world,
				  (u64)BS_BENCH_SLAB_ARENAS * BS_ARENA_BYTES);
	if (ret)
		return ret;
	ret = bs_slab_init(&slab, &world.buddy, 0);
	if (ret)
		goto err_world;
	bcache = bs_slab_cache_create(&slab, "bench", 64, 0, 0, NULL);
	if (IS_ERR(bcache)) {
		ret = PTR_ERR(bcache);
		goto err_slab;
	}
	kcache = bs_bench_kmem_cache_create(64);
	if (!kcache) {
		ret = -ENOMEM;
		goto err_bcache;
	}
	s[0].ctx = &world.buddy;
	s[2].ctx = bcache;
	s[3].ctx = kcache;
	s[4].ctx = &slab;

	for (nr = 1; nr <= BS_BENCH_MAX_CPUS; nr++) {
		spin[nr - 1] = bs_bench_rate(bs_bench_spin_work, NULL,
					     BS_BENCH_SPIN_TURNS, cpus, nr);
		for (i = 0; i < ARRAY_SIZE(names); i++)
			rates[i][nr - 1] = bs_bench_rate(bs_bench_pairs_work,
							 &s[i], BS_BENCH_PAIRS,
							 cpus, nr);
	}
	if (!spin[0] || !spin[1]) {
		ret = -ENOMEM;
		goto err_kcache;
	}
	ceiling = bs_bench_ratio(spin[1], spin[0]);
	pr_info("throughput, thousands of alloc+free pairs per second: a thread on CPU %u alone, then threads on CPUs %u and %u at once\n",
		cpus[0], cpus[0], cpus[1]);
	pr_info("parallel ceiling, a loop on registers that shares nothing: %llu and %llu thousand turns/s, scaling %llu.%03llu\n",
		div_u64(spin[0], 1000), div_u64(spin[1], 1000),
		ceiling / 1000, ceiling % 1000);
	pr_info("%-20s %9s %9s %8s %11s\n", "allocator", "1 CPU", "2 CPUs",
		"scaling", "of ceiling");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ret = bs_bench_print_rates(names[i], rates[i], ceiling) ?: ret;

err_kcache:
	kmem_cache_destroy(kcache);
err_bcache:
	ret = bs_slab_cache_destroy(bcache) ?: ret;
err_slab:
	bs_slab_fini(&slab);
err_world:
	bs_bench_world_fini(&world);
	return ret;
}

/*
 * The buddy of @world with half of its region held in order-9 blocks:
 * for each order, ns per pair single and in a batch of what fits in half of
 * what is free (at most BS_BENCH_BATCH). Prints a row per order.
 */
static int bs_bench_region_rows(struct bs_bench_world *world, void **blocks)
{
	unsigned long pages = bs_buddy_total_pages(&world->buddy);
	struct bs_bench_subject s = {
		.ops = &bs_bench_buddy_ops, .ctx = &world->buddy,
		.pairs = BS_BENCH_PAIRS / 4,
	};
	struct bs_bench_subject held = s;
	unsigned int i, nr_held, batch;
	struct bs_buddy_stats *stats;
	void **held_blocks;
	u64 single, batched, share;
	int ret = -ENOMEM;

	held.arg = 9;
	nr_held = pages / 2 >> held.arg;
	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	held_blocks = kvmalloc_array(nr_held, sizeof(*held_blocks), GFP_KERNEL);
	if (!stats || !held_blocks)
		goto out;
	bs_buddy_stats(&world->buddy, stats);
	share = bs_bench_metadata_share(stats->metadata_bytes, pages);
	ret = bs_bench_fill(&held, held_blocks, nr_held);
	if (ret)
		goto out;
	for (i = 0; i < ARRAY_SIZE(bs_bench_orders); i++) {
		s.arg = bs_bench_orders[i];
		batch = min_t(unsigned long, BS_BENCH_BATCH, pages / 4 >> s.arg);
		single = bs_bench_single(&s);
		batched = bs_bench_batch(&s, batch, blocks);
		if (!single || !batched)
			ret = -ENOMEM;
		pr_info("%6lu MiB %6u %3llu.%03llu%% %5u %7llu.%llu %7llu.%llu %5u\n",
			pages >> (20 - PAGE_SHIFT),
			bs_buddy_nr_arenas(&world->buddy),
			share / 1000, share % 1000, s.arg, single / 10, single % 10,
			batched / 10, batched % 10, batch);
	}
	bs_bench_drain(&held, held_blocks, nr_held);
out:
	kvfree(held_blocks);
	kfree(stats);
	return ret;
}

/*
 * The largest region bs_region_init() gives over 1 GiB: tried from half of
 * RAM, its limit, down in steps of an eighth. Returns 0 or -ENOMEM.
 */
static int bs_bench_largest_world(struct bs_bench_world *world)
{
	u64 bytes = round_down(((u64)totalram_pages() << PAGE_SHIFT) / 2,
			       BS_ARENA_BYTES);
	u64 step = max(round_down(bytes / 8, BS_ARENA_BYTES), BS_ARENA_BYTES);

	for (; bytes > SZ_1G; bytes -= step)
		if (!bs_bench_world_init(world, bytes))
			return 0;
	return -ENOMEM;
}

/*
 * The buddy's costs and metadata as the region grows: 16 MiB, 1 GiB and
 * the largest the kernel gives.
 */
static int bs_bench_regions(void)
{
	static const u64 sizes[] = { SZ_16M, SZ_1G };
	struct bs_bench_world world;
	unsigned int i;
	void **blocks;
	int ret = 0;

	blocks = kvmalloc_array(BS_BENCH_BATCH, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	pr_info("buddy allocator as the region grows, half of it held in order-9 blocks: ns per alloc+free pair, single and in a batch of n\n");
	pr_info("%10s %6s %8s %5s %9s %9s %5s\n", "region", "arenas",
		"metadata", "order", "single", "batch", "n");
	for (i = 0; i <= ARRAY_SIZE(sizes) && !ret; i++) {
		if (i < ARRAY_SIZE(sizes)) {
			ret = bs_bench_world_init(&world, sizes[i]);
			if (ret)
				break;
		} else if (bs_bench_largest_world(&world)) {
			pr_info("largest region: not run, no region over 1 GiB could be had\n");
			break;
		}
		ret = bs_bench_region_rows(&world, blocks);
		bs_bench_world_fini(&world);
	}
	kvfree(blocks);
	return ret;
}

static const unsigned int bs_bench_fit_holes[] = { 1000, 10000, 100000 };

/* Tenths of ns per alloc+free of 64 bytes with @policy. */
static u64 bs_bench_fit_pair(struct bs_fit *fit, enum bs_fit_policy policy,
			     unsigned int iterations)
{
	u64 best = U64_MAX, t;
	unsigned int round, i;
	size_t granted;
	void *mem;

	for (round = 0; round < BS_BENCH_ROUNDS; round++) {
		t = ktime_get_ns();
		for (i = 0; i < iterations; i++) {
			mem = bs_fit_alloc(fit, 64, 0, policy, &granted);
			if (!mem)
				return 0;
			bs_fit_free(fit, mem);
		}
		best = min(best, ktime_get_ns() - t);
	}
	return bs_bench_tenths(best, iterations);
}

/*
 * N free blocks of 32 bytes between allocated ones (2N allocations, every
 * other one freed), then a request of 64 bytes that none of them can take:
 * first fit scans all N, best and worst fit go down the size tree.
 */
static int bs_bench_fit(void)
{
	unsigned int i, h, p, n, allocated = 0;
	u64 tenths[BS_FIT_NR_POLICIES];
	struct bs_bench_world world;
	struct bs_fit fit;
	size_t granted;
	void **blocks;
	int ret;

	ret = bs_bench_world_init(&world,
				  (u64)BS_BENCH_SLAB_ARENAS * BS_ARENA_BYTES);
	if (ret)
		return ret;
	bs_fit_init(&fit, &world.buddy);
	blocks = kvcalloc(2 * bs_bench_fit_holes[ARRAY_SIZE(bs_bench_fit_holes) - 1],
			  sizeof(*blocks), GFP_KERNEL);
	if (!blocks) {
		ret = -ENOMEM;
		goto out;
	}

	pr_info("fit allocators: ns per alloc+free of 64 bytes among N free blocks of 32 bytes\n");
	pr_info("free blocks      first       next       best      worst\n");
	for (h = 0; h < ARRAY_SIZE(bs_bench_fit_holes) && !ret; h++) {
		n = bs_bench_fit_holes[h];
		for (allocated = 0; allocated < 2 * n; allocated++) {
			blocks[allocated] = bs_fit_alloc(&fit, 32, 0, BS_FIT_FIRST,
							 &granted);
			if (!blocks[allocated]) {
				ret = -ENOMEM;
				goto out_free;
			}
		}
		for (i = 0; i < 2 * n; i += 2)
			bs_fit_free(&fit, blocks[i]);
		for (p = 0; p < BS_FIT_NR_POLICIES; p++) {
			/* Scans of 100,000 blocks are slow: fewer of them. */
			tenths[p] = bs_bench_fit_pair(&fit, p, p == BS_FIT_BEST ||
						      p == BS_FIT_WORST ? 20000 :
						      2000000 / n);
			if (!tenths[p])
				ret = -ENOMEM;
		}
		pr_info("%11u %10llu.%llu %9llu.%llu %9llu.%llu %9llu.%llu\n", n,
			tenths[0] / 10, tenths[0] % 10, tenths[1] / 10, tenths[1] % 10,
			tenths[2] / 10, tenths[2] % 10, tenths[3] / 10, tenths[3] % 10);
		for (i = 1; i < 2 * n; i += 2)
			bs_fit_free(&fit, blocks[i]);
		allocated = 0;
	}
out_free:
	/* A fill that failed: what it got. */
	for (i = 0; i < allocated; i++)
		bs_fit_free(&fit, blocks[i]);
	kvfree(blocks);
out:
	bs_fit_fini(&fit);
	bs_bench_world_fini(&world);
	return ret;
}

const struct bs_bench_part bs_bench_parts[] = {
	{ "header", bs_bench_header },
	{ "buddy", bs_bench_buddy },
	{ "slab", bs_bench_slab },
	{ "throughput", bs_bench_throughput },
	{ "magazines", bs_bench_magazines },
	{ "regions", bs_bench_regions },
	{ "fit", bs_bench_fit },
};

const unsigned int bs_bench_nr_parts = ARRAY_SIZE(bs_bench_parts);
