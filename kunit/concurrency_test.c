// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of buddyslab under concurrency: the buddy, slab, fit, genpool
 * and byte buddy allocators driven at once by kthreads bound to every
 * online CPU.
 *
 * What the suite proves, on an SMP kernel:
 *
 *  - No allocator gives one byte to two owners at once. Every object is
 *    stamped over its whole length with a pattern made of its owner thread,
 *    its allocation number and each word's offset (never a zero word), and
 *    checked completely before it is freed. The first bad byte fails the
 *    case, with where it is and what it holds.
 *  - Objects freed on another CPU than the one that allocated them (handed
 *    over through a spinlock-protected ring) are taken back intact.
 *  - Draining the per-CPU caches and shrinking the slab caches, or running
 *    the three validators, while the workers run changes nothing a user can
 *    see: every validator returns 0 each time, every stamp stays intact, no
 *    free is refused and the slab caches' error counters stay at 0.
 *  - Caches can be created and destroyed while others are busy, and a stale
 *    pointer into a destroyed cache's memory is refused, without the
 *    allocator touching freed memory (KASAN is the judge there).
 *  - The per-CPU caches never hide memory: while one churn thread per CPU
 *    allocates and frees small blocks, holding at most one at a time, a
 *    requester of the largest order gets at least (arenas - churners)
 *    blocks, and when it is refused, every arena is either its own or holds
 *    a block a churner held meanwhile.
 *  - The genpool and the byte buddy, each behind its one mutex, take and
 *    give back arenas while others allocate in theirs: a taker per CPU
 *    allocates whole arenas and frees them, each of which must be a fresh
 *    arena, and a mapper asks bs_genpool_owns() or bs_byte_buddy_owns()
 *    about every arena meanwhile (an arena a taker holds must be owned, a
 *    page inside an arena never), with snapshots that must add up and the
 *    validator run in between.
 *
 * Every case ends with the validators returning 0 and every page back with
 * the buddy (the fixture checks that part).
 *
 * On UML, uniprocessor and without preemption, spinlocks are no-ops and
 * the threads take turns only where they sleep or call cond_resched(), so
 * the suite runs there but proves little: an x86_64 kernel with several
 * CPUs, with KASAN and lockdep or with KCSAN, is where it means something.
 *
 * Each case draws a seed (or takes buddyslab.kunit_seed) and prints
 * it; every thread runs its own PRNG seeded from it and its index, so what
 * each thread asks for can be replayed, though not how the threads
 * interleave. Threads never use KUNIT_ASSERT or KUNIT_EXPECT: they record
 * the first failure, stop everyone, and the test thread reports it.
 * Every case runs a fixed number of operations, not a fixed time.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/poison.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "buddy_internal.h"
#include "byte_buddy.h"
#include "fit.h"
#include "genpool.h"
#include "harness.h"
#include "slab_internal.h"

#define BS_CONC_ARENAS		8	/* 32 MiB on x86-64 */
#define BS_CONC_WORKERS_PER_CPU	2
#define BS_CONC_SLOTS		64	/* live objects a worker holds at most */
#define BS_CONC_RING		32	/* objects waiting in a worker's inbox */
#define BS_CONC_CACHES		2	/* dedicated caches per case */
#define BS_CONC_MSG_LEN		320

/* Creating and destroying caches. */
#define BS_CONC_CREATOR_ROUNDS	100
#define BS_CONC_TRANSIENT_OBJS	48
#define BS_CONC_STALE		4
/* The worker caches' alignment: no stale pointer is ever one of theirs. */
#define BS_CONC_WORKER_ALIGN	256

/* Drain and retry. */
#define BS_CONC_RETRY_ROUNDS	100
#define BS_CONC_CHURN_MAX_OPS	100000000UL

enum bs_conc_allocator {
	BS_CONC_BUDDY,
	BS_CONC_SLAB,
	BS_CONC_FIT,
	BS_CONC_GENPOOL,
	BS_CONC_BYTE_BUDDY,
};

/* What a worker allocates from a slab: bits of bs_conc_config.kinds. */
#define BS_CONC_CACHE0		BIT(0)
#define BS_CONC_CACHE1		BIT(1)
#define BS_CONC_KMALLOC		BIT(2)

/* How an object is freed. */
enum bs_conc_kind {
	BS_CONC_OBJ_BUDDY,
	BS_CONC_OBJ_CACHE,
	BS_CONC_OBJ_KMALLOC,
	BS_CONC_OBJ_FIT,
	BS_CONC_OBJ_GENPOOL,
	BS_CONC_OBJ_BYTE_BUDDY,
};

struct bs_conc_geometry {
	unsigned int size;
	unsigned int align;
	unsigned int flags;
};

/*
 * What the workers of a case allocate, and how many operations each runs.
 * nomem_ok: -ENOMEM is expected now and then (large buddy orders); anywhere
 * else the live set is far below the region, and -ENOMEM fails the case.
 */
struct bs_conc_config {
	const char *name;
	enum bs_conc_allocator allocator;
	unsigned int min_order;
	unsigned int max_order;
	unsigned int kinds;
	unsigned int class_flags;
	struct bs_conc_geometry caches[BS_CONC_CACHES];
	enum bs_fit_policy policy;
	enum bs_genpool_policy genpool_policy;
	bool nomem_ok;
	unsigned long ops;
};

/* An object a thread owns; the key says whose it is (see bs_conc_key()). */
struct bs_conc_obj {
	void *ptr;
	size_t len;
	u64 key;
	unsigned long pgoff;
	u8 kind;
	u8 cache;
};

/* Objects handed over to a worker, to be checked and freed by it. */
struct bs_conc_ring {
	spinlock_t lock;
	unsigned int head;
	unsigned int count;
	struct bs_conc_obj obj[BS_CONC_RING];
};

struct bs_conc_thread;

/*
 * A kind of thread in a run: per_cpu threads on every online CPU, plus
 * count more on CPUs in turn. The run ends when every thread of a role
 * with BS_CONC_LEADS has returned; the others loop until then.
 * BS_CONC_TRADES: its threads hand objects over to each other.
 */
#define BS_CONC_LEADS		BIT(0)
#define BS_CONC_TRADES		BIT(1)

struct bs_conc_role {
	const char *name;
	void (*fn)(struct bs_conc_thread *t);
	unsigned int per_cpu;
	unsigned int count;
	unsigned int flags;
};

struct bs_conc;

struct bs_conc_thread {
	struct bs_conc *c;
	const struct bs_conc_role *role;
	struct task_struct *task;
	struct completion done;
	unsigned int index;
	unsigned int rank;
	int cpu;
	struct rnd_state rnd;
	u64 gen;
	unsigned long ops;
	unsigned long allocs;
	unsigned long handed;
	unsigned long taken;
	unsigned long nomem;
	atomic_t turns;
	atomic_t live_arena;
	struct bs_conc_obj slots[BS_CONC_SLOTS];
	struct bs_conc_ring inbox;
};

struct bs_conc {
	struct kunit *test;
	const struct bs_conc_config *cfg;
	u32 seed;
	struct bs_test_memory mem;
	struct bs_slab_cache *caches[BS_CONC_CACHES];

	/* The run: threads, where they run, and who is still at work. */
	unsigned int nr_cpus;
	int *cpus;
	struct bs_conc_thread *threads;
	unsigned int nr_threads;
	struct bs_conc_thread **traders;
	unsigned int nr_traders;
	struct completion go;
	atomic_t leaders_left;
	atomic_t producing;

	/* The first failure; abort tells every thread to stop. */
	spinlock_t fail_lock;
	unsigned int nr_failures;
	char failure[BS_CONC_MSG_LEN];
	bool abort;

	/* Create and destroy: pointers into a dying cache, for the racer. */
	struct bs_slab_cache *witness;
	void *stale[BS_CONC_STALE];
	unsigned int nr_stale;
	atomic_t stale_gen;
	atomic_t stale_ack;
	atomic_t stale_rounds;
	unsigned long witness_frees;
	unsigned long stale_frees;

	/* Drain and retry. */
	unsigned int nr_churners;
	unsigned long *blocks;
	unsigned int fewest;
	unsigned int most;
	atomic_long_t pinned;
};

/* ---- Failures --------------------------------------------------------- */

static bool bs_conc_aborted(const struct bs_conc *c)
{
	return READ_ONCE(c->abort);
}

/* Record a failure (the first one's message is kept) and stop everyone. */
static __printf(2, 3) void bs_conc_fail(struct bs_conc_thread *t,
					const char *fmt, ...)
{
	struct bs_conc *c = t->c;
	va_list args;
	int n;

	spin_lock(&c->fail_lock);
	if (!c->nr_failures++) {
		n = scnprintf(c->failure, sizeof(c->failure), "%s/%u on CPU %d: ",
			      t->role->name, t->rank, t->cpu);
		va_start(args, fmt);
		vscnprintf(c->failure + n, sizeof(c->failure) - n, fmt, args);
		va_end(args);
	}
	spin_unlock(&c->fail_lock);
	WRITE_ONCE(c->abort, true);
}

/* ---- Stamps ----------------------------------------------------------- */

/*
 * A key: the owner thread's index + 1 in the top 16 bits, so that no word
 * of a stamp is ever 0, and the owner's allocation number below.
 */
static u64 bs_conc_key(struct bs_conc_thread *t)
{
	return (u64)(t->index + 1) << 48 | (++t->gen & GENMASK_ULL(47, 0));
}

/* Word @i of the stamp of @key. */
static inline u64 bs_conc_word(u64 key, size_t i)
{
	return key ^ ((i * 0x9e3779b97f4a7c15ULL) & GENMASK_ULL(47, 0));
}

static u8 bs_conc_byte(u64 key, size_t at)
{
	u64 word = bs_conc_word(key, at / 8);

	return ((u8 *)&word)[at % 8];
}

static void bs_conc_stamp(const struct bs_conc_obj *o)
{
	const size_t n = o->len / 8;
	u64 *p = o->ptr, word;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = bs_conc_word(o->key, i);
	if (o->len % 8) {
		word = bs_conc_word(o->key, n);
		memcpy(p + n, &word, o->len % 8);
	}
}

/* Where an object is, as an offset in the region, for reports. */
static unsigned long long bs_conc_offset(struct bs_conc *c, const void *ptr)
{
	unsigned long pgoff;

	if (bs_buddy_pgoff_of(&c->mem.buddy, ptr, &pgoff))
		return ULLONG_MAX;
	return ((unsigned long long)pgoff << PAGE_SHIFT) + offset_in_page(ptr);
}

static const char *bs_conc_kind_name(struct bs_conc *c,
				     const struct bs_conc_obj *o)
{
	switch (o->kind) {
	case BS_CONC_OBJ_BUDDY:
		return "buddy block";
	case BS_CONC_OBJ_CACHE:
		return c->caches[o->cache]->name;
	case BS_CONC_OBJ_KMALLOC:
		return "kmalloc object";
	case BS_CONC_OBJ_GENPOOL:
		return bs_genpool_policy_names[c->cfg->genpool_policy];
	case BS_CONC_OBJ_BYTE_BUDDY:
		return "byte buddy block";
	default:
		return bs_fit_policy_names[c->cfg->policy];
	}
}

/* Report the first byte of @o's stamp that is wrong. */
static void bs_conc_damaged(struct bs_conc_thread *t,
			    const struct bs_conc_obj *o, size_t from,
			    const char *when)
{
	struct bs_conc *c = t->c;
	const u8 *p = o->ptr;
	unsigned int owner = (o->key >> 48) - 1;
	size_t at;
	u8 expected = 0;

	for (at = from; at < o->len; at++) {
		expected = bs_conc_byte(o->key, at);
		if (p[at] != expected)
			break;
	}
	bs_conc_fail(t, "%s of %zu bytes at region offset %#llx, stamped by %s/%u (allocation %llu), damaged %s: byte %zu is %#04x, expected %#04x%s",
		     bs_conc_kind_name(c, o), o->len, bs_conc_offset(c, o->ptr),
		     c->threads[owner].role->name, c->threads[owner].rank,
		     o->key & GENMASK_ULL(47, 0), when, at, p[at], expected,
		     p[at] == POISON_FREE ? " (slab poison)" : "");
}

/* Check every byte of @o's stamp; report the first bad one. */
static bool bs_conc_intact(struct bs_conc_thread *t,
			   const struct bs_conc_obj *o, const char *when)
{
	const size_t n = o->len / 8;
	const u64 *p = o->ptr;
	size_t i;
	u64 word;

	for (i = 0; i < n; i++)
		if (p[i] != bs_conc_word(o->key, i))
			break;
	if (i == n) {
		word = bs_conc_word(o->key, n);
		if (!memcmp(p + n, &word, o->len % 8))
			return true;
	}
	bs_conc_damaged(t, o, i * 8, when);
	return false;
}

/* ---- Allocation and free ---------------------------------------------- */

/* Order @min to @max, smaller ones more often: 1/2, 1/4, ... */
static unsigned int bs_conc_order(u32 r, unsigned int min, unsigned int max)
{
	return min + min_t(unsigned int, __ffs(r | BIT(31)), max - min);
}

/* The @n-th set bit of @mask, @n taken modulo their number. */
static unsigned int bs_conc_pick_bit(unsigned long mask, u32 r)
{
	unsigned int n = r % hweight_long(mask), bit;

	for_each_set_bit(bit, &mask, BITS_PER_LONG)
		if (!n--)
			break;
	return bit;
}

static int bs_conc_alloc_slab(struct bs_conc_thread *t, struct bs_conc_obj *o,
			      u32 r)
{
	struct bs_conc *c = t->c;
	unsigned int kind = bs_conc_pick_bit(c->cfg->kinds, r), shift;
	size_t size, granted;

	if (BIT(kind) != BS_CONC_KMALLOC) {
		o->kind = BS_CONC_OBJ_CACHE;
		o->cache = kind;
		o->ptr = bs_slab_cache_alloc(c->caches[kind]);
		o->len = c->caches[kind]->object_size;
		return o->ptr ? 0 : -ENOMEM;
	}
	/* Log-uniform over the classes; one in 32 too large for any. */
	r = prandom_u32_state(&t->rnd);
	if (!(r % 32)) {
		size = BS_SLAB_MAX_CLASS + 1 + (r >> 5) % (8 * BS_SLAB_MAX_CLASS);
	} else {
		shift = (r >> 5) % (const_ilog2(BS_SLAB_MAX_CLASS) + 1);
		size = (1UL << shift) + ((r >> 9) & ((1UL << shift) - 1));
		size = min_t(size_t, size, BS_SLAB_MAX_CLASS);
	}
	o->kind = BS_CONC_OBJ_KMALLOC;
	o->ptr = bs_slab_kmalloc(&c->mem.slab, size, &granted);
	if (!o->ptr)
		return -ENOMEM;
	if (granted < size) {
		bs_conc_fail(t, "kmalloc of %zu bytes granted %zu", size, granted);
		bs_slab_kfree(&c->mem.slab, o->ptr);
		o->ptr = NULL;
		return -EINVAL;
	}
	o->len = granted;
	return 0;
}

/* What the byte-grain allocators are asked for: 16 bytes to 16 KiB. */
static size_t bs_conc_bytes(u32 r)
{
	size_t size = 16UL << (r % 10);

	return size + (r >> 4) % size;
}

static int bs_conc_alloc_fit(struct bs_conc_thread *t, struct bs_conc_obj *o,
			     u32 r)
{
	struct bs_conc *c = t->c;
	size_t size = bs_conc_bytes(r), align, granted;

	align = (r >> 24) % 8 ? 0 : 64UL << ((r >> 27) % 7);
	o->kind = BS_CONC_OBJ_FIT;
	o->ptr = bs_fit_alloc(&c->mem.fit, size, align, c->cfg->policy, &granted);
	if (!o->ptr)
		return -ENOMEM;
	o->len = granted;
	if (granted < size || (align && !IS_ALIGNED((unsigned long)o->ptr, align))) {
		bs_conc_fail(t, "fit of %zu bytes aligned to %zu: %zu bytes at region offset %#llx",
			     size, align, granted, bs_conc_offset(c, o->ptr));
		bs_fit_free(&c->mem.fit, o->ptr);
		o->ptr = NULL;
		return -EINVAL;
	}
	return 0;
}

static int bs_conc_free(struct bs_conc_thread *t, struct bs_conc_obj *o);

/*
 * @size bytes from the genpool or the byte buddy into @o; not stamped.
 * What they grant is known in advance, and a byte buddy block is aligned
 * to its size in the region. Return: 0, -ENOMEM, or -EINVAL, reported.
 */
static int bs_conc_alloc_bytes(struct bs_conc_thread *t, struct bs_conc_obj *o,
			       size_t size)
{
	struct bs_conc *c = t->c;
	size_t granted = 0, expected, align;

	if (c->cfg->allocator == BS_CONC_GENPOOL) {
		o->kind = BS_CONC_OBJ_GENPOOL;
		o->ptr = bs_genpool_alloc(&c->mem.genpool, size,
					  c->cfg->genpool_policy, &granted);
		expected = bs_genpool_granted(size);
		align = BS_GENPOOL_GRAIN;
	} else {
		o->kind = BS_CONC_OBJ_BYTE_BUDDY;
		o->ptr = bs_byte_buddy_alloc(&c->mem.byte_buddy, size, &granted);
		expected = bs_byte_buddy_granted(size);
		align = expected;
	}
	if (!o->ptr)
		return -ENOMEM;
	o->len = granted;
	if (granted != expected || bs_conc_offset(c, o->ptr) % align) {
		bs_conc_fail(t, "%s of %zu bytes: %zu bytes at region offset %#llx, expected %zu aligned to %zu",
			     bs_conc_kind_name(c, o), size, granted,
			     bs_conc_offset(c, o->ptr), expected, align);
		bs_conc_free(t, o);
		return -EINVAL;
	}
	return 0;
}

/*
 * Allocate what the case's configuration asks for into @o; not stamped.
 * Return: 0, -ENOMEM, or another error already reported.
 */
static int bs_conc_alloc(struct bs_conc_thread *t, struct bs_conc_obj *o)
{
	struct bs_conc *c = t->c;
	const struct bs_conc_config *cfg = c->cfg;
	u32 r = prandom_u32_state(&t->rnd);
	unsigned int order;
	int ret;

	switch (cfg->allocator) {
	case BS_CONC_BUDDY:
		order = bs_conc_order(r, cfg->min_order, cfg->max_order);
		ret = bs_buddy_alloc(&c->mem.buddy, order, BS_BUDDY_TAG_DIRECT,
				     &o->pgoff);
		if (ret)
			break;
		o->kind = BS_CONC_OBJ_BUDDY;
		o->ptr = bs_buddy_addr(&c->mem.buddy, o->pgoff);
		o->len = PAGE_SIZE << order;
		if (o->pgoff & ((1UL << order) - 1)) {
			bs_conc_fail(t, "block of order %u at page %lu is misaligned",
				     order, o->pgoff);
			bs_buddy_free(&c->mem.buddy, o->pgoff);
			o->ptr = NULL;
			ret = -EINVAL;
		}
		break;
	case BS_CONC_SLAB:
		ret = bs_conc_alloc_slab(t, o, r);
		break;
	case BS_CONC_FIT:
		ret = bs_conc_alloc_fit(t, o, r);
		break;
	default:
		ret = bs_conc_alloc_bytes(t, o, bs_conc_bytes(r));
		break;
	}
	if (ret)
		return ret;
	if (!IS_ALIGNED((unsigned long)o->ptr, 8)) {
		bs_conc_fail(t, "%s at region offset %#llx is not aligned to 8 bytes",
			     bs_conc_kind_name(c, o), bs_conc_offset(c, o->ptr));
		return -EINVAL;
	}
	o->key = bs_conc_key(t);
	t->allocs++;
	return 0;
}

/* Free @o however it was allocated; a refusal is a failure. */
static int bs_conc_free(struct bs_conc_thread *t, struct bs_conc_obj *o)
{
	struct bs_conc *c = t->c;
	int ret;

	switch (o->kind) {
	case BS_CONC_OBJ_BUDDY:
		ret = bs_buddy_free(&c->mem.buddy, o->pgoff);
		break;
	case BS_CONC_OBJ_CACHE:
		ret = bs_slab_cache_free(c->caches[o->cache], o->ptr);
		break;
	case BS_CONC_OBJ_KMALLOC:
		ret = bs_slab_kfree(&c->mem.slab, o->ptr);
		break;
	case BS_CONC_OBJ_GENPOOL:
		ret = bs_genpool_free(&c->mem.genpool, o->ptr);
		break;
	case BS_CONC_OBJ_BYTE_BUDDY:
		ret = bs_byte_buddy_free(&c->mem.byte_buddy, o->ptr);
		break;
	default:
		ret = bs_fit_free(&c->mem.fit, o->ptr);
		break;
	}
	if (ret)
		bs_conc_fail(t, "free of a live %s of %zu bytes at region offset %#llx refused: %d",
			     bs_conc_kind_name(c, o), o->len,
			     bs_conc_offset(c, o->ptr), ret);
	o->ptr = NULL;
	return ret;
}

/* Check, then free. False if either went wrong. */
static bool bs_conc_check_free(struct bs_conc_thread *t, struct bs_conc_obj *o,
			       const char *when)
{
	bool intact = bs_conc_intact(t, o, when);

	return !bs_conc_free(t, o) && intact;
}

/* ---- Threads ---------------------------------------------------------- */

/* Wait a little for another thread: spin with SMP, sleep without. */
static void bs_conc_relax(const struct bs_conc *c)
{
	if (c->nr_cpus > 1) {
		cpu_relax();
		cond_resched();
	} else {
		usleep_range(50, 100);
	}
}

static bool bs_conc_leaders_done(const struct bs_conc *c)
{
	return !atomic_read(&c->leaders_left) || bs_conc_aborted(c);
}

static int bs_conc_thread_fn(void *data)
{
	struct bs_conc_thread *t = data;
	struct bs_conc *c = t->c;

	wait_for_completion(&c->go);
	t->role->fn(t);
	if (t->role->flags & BS_CONC_LEADS)
		atomic_dec(&c->leaders_left);
	complete(&t->done);

	/* kthread_stop() needs us alive until it asks. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void bs_conc_report(struct bs_conc *c, const struct bs_conc_role *roles,
			   unsigned int nr_roles, s64 ms)
{
	struct kunit *test = c->test;
	unsigned long ops, allocs = 0, handed = 0, nomem = 0;
	struct bs_conc_thread *t;
	unsigned int r, i, n;

	for (r = 0; r < nr_roles; r++) {
		ops = 0;
		n = 0;
		for (i = 0; i < c->nr_threads; i++) {
			t = &c->threads[i];
			if (t->role != &roles[r])
				continue;
			n++;
			ops += t->ops;
			allocs += t->allocs;
			handed += t->handed;
			nomem += t->nomem;
		}
		kunit_info(test, "%u %s thread%s: %lu operations\n", n,
			   roles[r].name, n == 1 ? "" : "s", ops);
	}
	kunit_info(test, "%u threads on %u CPUs in %lld ms: %lu allocations, %lu handed over, %lu refused for lack of memory\n",
		   c->nr_threads, c->nr_cpus, ms, allocs, handed, nomem);
	if (c->nr_failures)
		KUNIT_FAIL(test, "seed %u: %s (%u failures in all)", c->seed,
			   c->failure, c->nr_failures);
}

/*
 * Start every thread of @roles, each bound to its CPU; let them go at once;
 * wait for all of them, then report the first failure any recorded.
 */
static void bs_conc_run(struct bs_conc *c, const struct bs_conc_role *roles,
			unsigned int nr_roles)
{
	struct kunit *test = c->test;
	struct bs_conc_thread *t;
	struct task_struct *task;
	unsigned int r, rank, n, i;
	ktime_t start;
	int cpu;

	c->cpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*c->cpus), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->cpus);
	c->nr_cpus = 0;
	for_each_online_cpu(cpu)
		c->cpus[c->nr_cpus++] = cpu;

	for (r = 0, n = 0; r < nr_roles; r++)
		n += roles[r].per_cpu * c->nr_cpus + roles[r].count;
	c->threads = kunit_kcalloc(test, n, sizeof(*c->threads), GFP_KERNEL);
	c->traders = kunit_kcalloc(test, n, sizeof(*c->traders), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->threads);
	KUNIT_ASSERT_NOT_NULL(test, c->traders);
	init_completion(&c->go);
	atomic_set(&c->leaders_left, 0);
	c->nr_threads = 0;
	c->nr_traders = 0;

	for (r = 0; r < nr_roles; r++) {
		const struct bs_conc_role *role = &roles[r];

		for (rank = 0; rank < role->per_cpu * c->nr_cpus + role->count; rank++) {
			t = &c->threads[c->nr_threads];
			t->c = c;
			t->role = role;
			t->index = c->nr_threads;
			t->rank = rank;
			/* Roles start on different CPUs; ranks go round them. */
			t->cpu = c->cpus[(rank + r) % c->nr_cpus];
			prandom_seed_state(&t->rnd, (u64)t->index << 32 | c->seed);
			init_completion(&t->done);
			spin_lock_init(&t->inbox.lock);
			task = kthread_create(bs_conc_thread_fn, t, "bs_conc_%s/%u",
					      role->name, rank);
			if (IS_ERR(task)) {
				KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(task));
				goto stop;
			}
			kthread_bind(task, t->cpu);
			t->task = task;
			c->nr_threads++;
			if (role->flags & BS_CONC_LEADS)
				atomic_inc(&c->leaders_left);
			if (role->flags & BS_CONC_TRADES)
				c->traders[c->nr_traders++] = t;
		}
	}
	atomic_set(&c->producing, c->nr_traders);

	for (i = 0; i < c->nr_threads; i++)
		wake_up_process(c->threads[i].task);
	start = ktime_get();
	complete_all(&c->go);
	for (i = 0; i < c->nr_threads; i++)
		wait_for_completion(&c->threads[i].done);
	for (i = 0; i < c->nr_threads; i++)
		kthread_stop(c->threads[i].task);
	bs_conc_report(c, roles, nr_roles, ktime_ms_delta(ktime_get(), start));
	return;

stop:
	/* Never woken: they exit without running. */
	for (i = 0; i < c->nr_threads; i++)
		kthread_stop(c->threads[i].task);
}

/* ---- Workers ---------------------------------------------------------- */

/* Put @o in the inbox of a trader on another CPU, if there is room. */
static bool bs_conc_hand_over(struct bs_conc_thread *t,
			      const struct bs_conc_obj *o, u32 r)
{
	struct bs_conc *c = t->c;
	const unsigned int n = c->nr_traders;
	struct bs_conc_ring *ring;
	unsigned int off;
	bool done = false;

	if (n < 2)
		return false;
	/* Traders go round the CPUs: an offset that is no multiple of them. */
	off = 1 + r % (n - 1);
	if (c->nr_cpus > 1 && !(off % c->nr_cpus))
		off--;
	ring = &c->traders[(t->rank + off) % n]->inbox;

	spin_lock(&ring->lock);
	if (ring->count < BS_CONC_RING) {
		ring->obj[(ring->head + ring->count) % BS_CONC_RING] = *o;
		ring->count++;
		done = true;
	}
	spin_unlock(&ring->lock);
	if (done)
		t->handed++;
	return done;
}

/* Check and free everything in our inbox. Return: how many. */
static unsigned int bs_conc_take_over(struct bs_conc_thread *t)
{
	struct bs_conc_ring *ring = &t->inbox;
	struct bs_conc_obj o;
	unsigned int n = 0;

	for (;;) {
		spin_lock(&ring->lock);
		if (!ring->count) {
			spin_unlock(&ring->lock);
			return n;
		}
		o = ring->obj[ring->head];
		ring->head = (ring->head + 1) % BS_CONC_RING;
		ring->count--;
		spin_unlock(&ring->lock);
		bs_conc_check_free(t, &o, "when freed on another CPU");
		t->taken++;
		n++;
	}
}

/*
 * Random allocations and frees over BS_CONC_SLOTS slots; one free in four
 * is handed over to a trader on another CPU instead. Afterwards, free what
 * is left, and keep taking over until no trader can hand over any more.
 */
static void bs_conc_worker(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	const struct bs_conc_config *cfg = c->cfg;
	struct bs_conc_obj *o;
	unsigned int i;
	int producing, ret;

	for (t->ops = 0; t->ops < cfg->ops && !bs_conc_aborted(c); t->ops++) {
		u32 r = prandom_u32_state(&t->rnd);

		o = &t->slots[r % BS_CONC_SLOTS];
		if (o->ptr) {
			if (!bs_conc_intact(t, o, "before its free"))
				break;
			if (!((r >> 8) & 3) && bs_conc_hand_over(t, o, r >> 10))
				o->ptr = NULL;
			else if (bs_conc_free(t, o))
				break;
		} else {
			ret = bs_conc_alloc(t, o);
			if (!ret) {
				bs_conc_stamp(o);
			} else if (ret == -ENOMEM && cfg->nomem_ok) {
				t->nomem++;
			} else {
				if (ret == -ENOMEM)
					bs_conc_fail(t, "out of memory with at most %u objects live per worker",
						     BS_CONC_SLOTS);
				break;
			}
		}
		if (!(t->ops % 8))
			bs_conc_take_over(t);
		cond_resched();
	}

	for (i = 0; i < BS_CONC_SLOTS; i++) {
		o = &t->slots[i];
		if (o->ptr)
			bs_conc_check_free(t, o, "before its free at the end");
	}
	/* Hand-overs happened before this: whoever sees 0 sees them. */
	atomic_dec_return(&c->producing);
	do {
		producing = atomic_read_acquire(&c->producing);
		if (!bs_conc_take_over(t) && producing)
			bs_conc_relax(c);
	} while (producing);
}

/* Drain the buddy's per-CPU caches and shrink every slab cache, again. */
static void bs_conc_drainer(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	unsigned int i;

	do {
		bs_buddy_drain(&c->mem.buddy);
		if (c->mem.slab_up) {
			bs_slab_shrink(&c->mem.slab);
			for (i = 0; i < BS_CONC_CACHES; i++)
				if (c->caches[i])
					bs_slab_cache_shrink(c->caches[i]);
		}
		t->ops++;
		cond_resched();
	} while (!bs_conc_leaders_done(c));
}

/* Run every validator, again; each must find nothing, every time. */
static void bs_conc_validator(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	int ret;

	do {
		ret = bs_buddy_validate(&c->mem.buddy);
		if (ret) {
			bs_conc_fail(t, "bs_buddy_validate() returned %d on run %lu",
				     ret, t->ops + 1);
			return;
		}
		ret = c->mem.slab_up ? bs_slab_validate(&c->mem.slab) : 0;
		if (ret) {
			bs_conc_fail(t, "bs_slab_validate() returned %d on run %lu",
				     ret, t->ops + 1);
			return;
		}
		ret = c->mem.fit_up ? bs_fit_validate(&c->mem.fit) : 0;
		if (ret) {
			bs_conc_fail(t, "bs_fit_validate() returned %d on run %lu",
				     ret, t->ops + 1);
			return;
		}
		t->ops++;
		cond_resched();
	} while (!bs_conc_leaders_done(c));
}

/*
 * Reap the slab's depots, again: working sets trimmed and magazines grown
 * under the workers' feet; a validation after each must find nothing.
 */
static void bs_conc_reaper(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	int ret;

	do {
		bs_slab_reap(&c->mem.slab);
		ret = bs_slab_validate(&c->mem.slab);
		if (ret) {
			bs_conc_fail(t, "bs_slab_validate() after a reap returned %d on run %lu",
				     ret, t->ops + 1);
			return;
		}
		t->ops++;
		cond_resched();
	} while (!bs_conc_leaders_done(c));
}

/* ---- Cache create and destroy ------------------------------------------ */

/* Wait until the racer has finished @rounds more rounds than @since. */
static bool bs_conc_wait_racer(struct bs_conc_thread *t, int since, int rounds)
{
	struct bs_conc *c = t->c;

	while (atomic_read(&c->stale_rounds) - since < rounds) {
		if (bs_conc_aborted(c))
			return false;
		bs_conc_relax(c);
	}
	return true;
}

/* Pointers to freed objects of @cache that no worker object can share. */
static void bs_conc_pick_stale(struct bs_conc_thread *t, unsigned int n)
{
	struct bs_conc *c = t->c;
	unsigned int i;

	c->nr_stale = 0;
	for (i = 0; i < n && c->nr_stale < BS_CONC_STALE; i++) {
		void *ptr = t->slots[i].ptr;

		if (!IS_ALIGNED((unsigned long)ptr, BS_CONC_WORKER_ALIGN))
			c->stale[c->nr_stale++] = ptr;
	}
}

/* Fill t->slots with @n stamped objects of @cache; returns how many it got. */
static unsigned int bs_conc_transient_fill(struct bs_conc_thread *t,
					   struct bs_slab_cache *cache,
					   unsigned int n)
{
	struct bs_conc_obj *o;
	unsigned int i;

	for (i = 0; i < n; i++) {
		o = &t->slots[i];
		o->ptr = bs_slab_cache_alloc(cache);
		if (!o->ptr) {
			bs_conc_fail(t, "cache %s: allocation %u of %u failed",
				     cache->name, i, n);
			return i;
		}
		o->len = cache->object_size;
		o->key = bs_conc_key(t);
		bs_conc_stamp(o);
		t->allocs++;
	}
	return n;
}

/* Check and free the @n objects of @cache; it must have counted no error. */
static void bs_conc_transient_empty(struct bs_conc_thread *t,
				    struct bs_slab_cache *cache,
				    unsigned int n)
{
	struct bs_slab_cache_stats stats;
	unsigned long *counters = stats.counters;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		bs_conc_intact(t, &t->slots[i], "in a transient cache");
		ret = bs_slab_cache_free(cache, t->slots[i].ptr);
		if (ret)
			bs_conc_fail(t, "cache %s: free refused: %d", cache->name, ret);
	}
	bs_slab_cache_stats(cache, &stats);
	if (counters[BS_SLAB_POISON_ERRORS] || counters[BS_SLAB_REDZONE_ERRORS] ||
	    counters[BS_SLAB_DOUBLE_FREES] || counters[BS_SLAB_INVALID_FREES])
		bs_conc_fail(t, "cache %s counted %lu poison, %lu red zone errors, %lu double and %lu invalid frees",
			     cache->name, counters[BS_SLAB_POISON_ERRORS],
			     counters[BS_SLAB_REDZONE_ERRORS],
			     counters[BS_SLAB_DOUBLE_FREES],
			     counters[BS_SLAB_INVALID_FREES]);
}

/*
 * Destroy @cache, emptied of its @n objects, while the racer frees stale
 * pointers to them; returns what the destroy returned.
 */
static int bs_conc_transient_destroy(struct bs_conc_thread *t,
				     struct bs_slab_cache *cache,
				     unsigned int n)
{
	struct bs_conc *c = t->c;
	unsigned int i;
	int since, ret;

	bs_conc_pick_stale(t, n);
	since = atomic_read(&c->stale_rounds);
	atomic_inc_return(&c->stale_gen);
	bs_conc_wait_racer(t, since, 1);
	ret = bs_slab_cache_destroy(cache);
	if (ret)
		bs_conc_fail(t, "destroying cache %s with no live object: %d",
			     cache->name, ret);
	since = atomic_read(&c->stale_rounds);
	bs_conc_wait_racer(t, since, 2);

	/* Take the pointers back before their memory can be an object again. */
	since = atomic_inc_return(&c->stale_gen);
	while (atomic_read_acquire(&c->stale_ack) != since && !bs_conc_aborted(c))
		bs_conc_relax(c);
	for (i = 0; i < n; i++)
		t->slots[i].ptr = NULL;
	return ret;
}

/* One cache's life: create, use, free all, offer to the racer, destroy. */
static bool bs_conc_cache_life(struct bs_conc_thread *t, unsigned int round)
{
	struct bs_conc *c = t->c;
	struct bs_slab_cache *cache;
	char name[BS_SLAB_NAME_LEN];
	u32 r = prandom_u32_state(&t->rnd);
	unsigned int size = 16 + r % 2000, flags = (r >> 16) % 4, n;

	snprintf(name, sizeof(name), "conc-transient-%u", round);
	cache = bs_slab_cache_create(&c->mem.slab, name, size, 0, flags, NULL);
	if (IS_ERR(cache)) {
		bs_conc_fail(t, "creating cache %s of %u bytes, flags %#x: %ld", name,
			     size, flags, PTR_ERR(cache));
		return false;
	}
	n = 1 + (r >> 18) % min_t(unsigned int, 2 * cache->objects,
				   BS_CONC_TRANSIENT_OBJS);
	n = bs_conc_transient_fill(t, cache, n);
	bs_conc_transient_empty(t, cache, n);
	return !bs_conc_transient_destroy(t, cache, n) && !bs_conc_aborted(c);
}

static void bs_conc_creator(struct bs_conc_thread *t)
{
	for (t->ops = 0; t->ops < BS_CONC_CREATOR_ROUNDS; t->ops++)
		if (!bs_conc_cache_life(t, t->ops))
			break;
}

/*
 * While a dying cache's pointers are offered, free each of them with
 * bs_slab_kfree() and to an idle witness cache: every free must be refused.
 */
static void bs_conc_racer(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	unsigned int i;
	int gen, ret;

	do {
		gen = atomic_read_acquire(&c->stale_gen);
		if (!(gen & 1)) {
			if (atomic_read(&c->stale_ack) != gen)
				atomic_set_release(&c->stale_ack, gen);
			bs_conc_relax(c);
			continue;
		}
		for (i = 0; i < c->nr_stale; i++) {
			ret = bs_slab_kfree(&c->mem.slab, c->stale[i]);
			c->stale_frees++;
			if (ret != -EINVAL)
				bs_conc_fail(t, "bs_slab_kfree() of a stale pointer to region offset %#llx returned %d",
					     bs_conc_offset(c, c->stale[i]), ret);
			ret = bs_slab_cache_free(c->witness, c->stale[i]);
			c->witness_frees++;
			if (ret != -EINVAL)
				bs_conc_fail(t, "bs_slab_cache_free() of a stale pointer to region offset %#llx returned %d",
					     bs_conc_offset(c, c->stale[i]), ret);
		}
		atomic_inc(&c->stale_rounds);
		t->ops++;
		/* Without a second CPU, let the creator go on at once. */
		bs_conc_relax(c);
	} while (!bs_conc_leaders_done(c));
}

/* ---- Drain and retry -------------------------------------------------- */

/* Hold at most one small block at a time; free it and take another. */
static void bs_conc_churner(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	struct bs_conc_obj *o = &t->slots[0];
	unsigned int order;
	int ret;

	atomic_set(&t->live_arena, -1);
	for (t->ops = 0; t->ops < BS_CONC_CHURN_MAX_OPS; t->ops++) {
		if (o->ptr && !bs_conc_check_free(t, o, "before its free"))
			break;
		/* Freed: the block is gone before anyone sees that it is. */
		atomic_set_release(&t->live_arena, -1);
		if (bs_conc_leaders_done(c))
			break;
		order = bs_conc_order(prandom_u32_state(&t->rnd), 0,
				      BS_BUDDY_PCP_MAX_ORDER);
		ret = bs_buddy_alloc(&c->mem.buddy, order, BS_BUDDY_TAG_DIRECT,
				     &o->pgoff);
		if (ret && ret != -ENOMEM) {
			bs_conc_fail(t, "allocation of order %u: %d", order, ret);
			break;
		}
		if (ret) {
			t->nomem++;
		} else {
			atomic_set(&t->live_arena, o->pgoff / BS_ARENA_PAGES);
			/* Pairs with bs_conc_pinned_start(): arena, then mask. */
			smp_mb__before_atomic();
			atomic_long_or(BIT(o->pgoff / BS_ARENA_PAGES),
				       &c->pinned);
			o->kind = BS_CONC_OBJ_BUDDY;
			o->ptr = bs_buddy_addr(&c->mem.buddy, o->pgoff);
			o->len = PAGE_SIZE << order;
			o->key = bs_conc_key(t);
			bs_conc_stamp(o);
			t->allocs++;
		}
		/* The block's arena is in @pinned before the turn counts. */
		smp_mb__before_atomic();
		atomic_inc(&t->turns);
		cond_resched();
	}
	if (o->ptr)
		bs_conc_check_free(t, o, "before its free at the end");
}

/*
 * Start noting the arenas of the churners' live blocks: those they hold now
 * (returned), and in @pinned those they allocate from now on. A block live
 * now whose arena went into @pinned before it was cleared has its arena in
 * live_arena, stored before: the full barriers on both sides see to it.
 */
static unsigned long bs_conc_pinned_start(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	unsigned long pinned = 0;
	unsigned int i;
	int arena;

	atomic_long_set(&c->pinned, 0);
	/* Pairs with the churner's: clear the mask, then read the arenas. */
	smp_mb();
	for (i = 0; i < c->nr_threads; i++) {
		if (c->threads[i].role->fn != bs_conc_churner)
			continue;
		arena = atomic_read_acquire(&c->threads[i].live_arena);
		if (arena >= 0)
			pinned |= BIT(arena);
	}
	return pinned;
}

/*
 * The arenas of every block a churner held at some time since
 * bs_conc_pinned_start() returned @pinned: once each churner has finished
 * a turn from now, whatever it allocated before now is in c->pinned.
 */
static unsigned long bs_conc_pinned(struct bs_conc_thread *t,
				    unsigned long pinned)
{
	struct bs_conc *c = t->c;
	struct bs_conc_thread *u;
	unsigned int i;
	int since;

	for (i = 0; i < c->nr_threads; i++) {
		u = &c->threads[i];
		if (u->role->fn != bs_conc_churner)
			continue;
		since = atomic_read(&u->turns);
		while (atomic_read_acquire(&u->turns) == since &&
		       !completion_done(&u->done) && !bs_conc_aborted(c))
			bs_conc_relax(c);
	}
	return pinned | atomic_long_read(&c->pinned);
}

/* Largest-order blocks are 4 MiB: stamp the first and last word of each page. */
static void bs_conc_stamp_pages(struct bs_conc *c, unsigned long pgoff, u64 key)
{
	unsigned long i;
	u64 *page;

	for (i = 0; i < BS_ARENA_PAGES; i++) {
		page = bs_buddy_addr(&c->mem.buddy, pgoff + i);
		page[0] = bs_conc_word(key, 2 * i);
		page[PAGE_SIZE / 8 - 1] = bs_conc_word(key, 2 * i + 1);
	}
}

static bool bs_conc_pages_intact(struct bs_conc_thread *t, unsigned long pgoff,
				 u64 key)
{
	struct bs_conc *c = t->c;
	unsigned long i;
	u64 *page;

	for (i = 0; i < BS_ARENA_PAGES; i++) {
		page = bs_buddy_addr(&c->mem.buddy, pgoff + i);
		if (page[0] != bs_conc_word(key, 2 * i) ||
		    page[PAGE_SIZE / 8 - 1] != bs_conc_word(key, 2 * i + 1)) {
			bs_conc_fail(t, "page %lu of the largest block at page %lu overwritten: %#llx ... %#llx",
				     i, pgoff, page[0], page[PAGE_SIZE / 8 - 1]);
			return false;
		}
	}
	return true;
}

/*
 * Take blocks of the largest order into c->blocks, each stamped from @key,
 * until one is refused: one more than the arenas hold fails the case.
 * Returns how many it took, and in @pinned the arenas of the churners'
 * blocks (see bs_conc_pinned()) since just before the request refused.
 */
static unsigned int bs_conc_take_largest(struct bs_conc_thread *t, u64 key,
					 unsigned long *pinned)
{
	struct bs_conc *c = t->c;
	struct bs_buddy *buddy = &c->mem.buddy;
	const unsigned int nr_arenas = buddy->nr_arenas;
	unsigned long start;
	unsigned int n;
	int ret;

	for (n = 0; n < nr_arenas; n++) {
		start = bs_conc_pinned_start(t);
		ret = bs_buddy_alloc(buddy, BS_BUDDY_MAX_ORDER,
				     BS_BUDDY_TAG_DIRECT, &c->blocks[n]);
		if (ret)
			break;
		bs_conc_stamp_pages(c, c->blocks[n], key ^ (u64)n << 40);
	}
	if (n == nr_arenas) {
		start = bs_conc_pinned_start(t);
		ret = bs_buddy_alloc(buddy, BS_BUDDY_MAX_ORDER,
				     BS_BUDDY_TAG_DIRECT, &c->blocks[n]);
		if (!ret) {
			bs_conc_fail(t, "block %u of the largest order from %u arenas",
				     n + 1, nr_arenas);
			bs_buddy_free(buddy, c->blocks[n]);
		}
	}
	if (ret && ret != -ENOMEM)
		bs_conc_fail(t, "allocation of the largest order: %d", ret);
	*pinned = bs_conc_pinned(t, start);
	return n;
}

/* Check the stamps of the @n blocks bs_conc_take_largest() took, and free them. */
static void bs_conc_free_largest(struct bs_conc_thread *t, unsigned int n,
				 u64 key)
{
	struct bs_conc *c = t->c;
	unsigned int i;

	for (i = 0; i < n; i++) {
		bs_conc_pages_intact(t, c->blocks[i], key ^ (u64)i << 40);
		if (bs_buddy_free(&c->mem.buddy, c->blocks[i]))
			bs_conc_fail(t, "free of the largest block at page %lu refused",
				     c->blocks[i]);
	}
}

/*
 * Allocate blocks of the largest order until -ENOMEM, then free them, round
 * after round. Each round must get one block per arena but for those the
 * churn threads may pin with their one live block each: at least
 * (arenas - churners). More precisely, when a request fails no cache may
 * hold anything, so every arena must be held by the requester or by a
 * block a churner held at the time: one of those it held while the request
 * ran, whose arenas bs_conc_pinned() tells.
 */
static void bs_conc_requester(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	const unsigned int nr_arenas = c->mem.buddy.nr_arenas;
	const unsigned int want = nr_arenas - min(nr_arenas, c->nr_churners);
	const unsigned long all = GENMASK(nr_arenas - 1, 0);
	unsigned int n, i, short_rounds = 0, first_short = 0;
	unsigned int hidden_rounds = 0, first_hidden = 0;
	unsigned long total = 0, held, pinned, hidden = 0;
	u64 key;

	for (t->ops = 0; t->ops < BS_CONC_RETRY_ROUNDS && !bs_conc_aborted(c);
	     t->ops++) {
		key = bs_conc_key(t);
		n = bs_conc_take_largest(t, key, &pinned);
		if (n < want && !short_rounds++)
			first_short = t->ops;
		for (i = 0, held = 0; i < n; i++)
			held |= BIT(c->blocks[i] / BS_ARENA_PAGES);
		if ((held | pinned) != all && !hidden_rounds++) {
			first_hidden = t->ops;
			hidden = all & ~(held | pinned);
		}
		c->fewest = min(c->fewest, n);
		c->most = max(c->most, n);
		total += n;
		bs_conc_free_largest(t, n, key);
		cond_resched();
	}
	t->allocs = total;
	if (hidden_rounds)
		bs_conc_fail(t, "%u of %lu rounds failed with an arena neither held nor pinned by a live block (first in round %u: arenas %#lx hidden)",
			     hidden_rounds, t->ops, first_hidden, hidden);
	if (short_rounds)
		bs_conc_fail(t, "%u of %lu rounds got fewer than %u blocks of the largest order from %u arenas with %u churn threads (fewest %u, first in round %u)",
			     short_rounds, t->ops, want, nr_arenas, c->nr_churners,
			     c->fewest, first_short);
}

/* ---- Arenas of the genpool and the byte buddy -------------------------- */

/* Whether the case's genpool or byte buddy says the block at @pgoff is an arena. */
static bool bs_conc_owns(struct bs_conc *c, unsigned long pgoff)
{
	if (c->cfg->allocator == BS_CONC_GENPOOL)
		return bs_genpool_owns(&c->mem.genpool, pgoff);
	return bs_byte_buddy_owns(&c->mem.byte_buddy, pgoff);
}

/*
 * Allocate a whole arena, which must be a fresh one, hold it stamped a
 * moment, check and free it, again. While it is held, t->turns is odd and
 * t->live_arena says which arena it is, for the mapper.
 */
static void bs_conc_taker(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	struct bs_conc_obj *o = &t->slots[0];
	unsigned long pgoff;
	int ret;

	do {
		ret = bs_conc_alloc_bytes(t, o, BS_ARENA_BYTES);
		if (ret == -ENOMEM) {
			t->nomem++;
			cond_resched();
			continue;
		}
		if (ret)
			break;
		if (bs_buddy_pgoff_of(&c->mem.buddy, o->ptr, &pgoff) ||
		    pgoff % BS_ARENA_PAGES) {
			bs_conc_fail(t, "a whole arena at region offset %#llx",
				     bs_conc_offset(c, o->ptr));
			bs_conc_free(t, o);
			break;
		}
		o->key = bs_conc_key(t);
		t->allocs++;
		atomic_set(&t->live_arena, pgoff / BS_ARENA_PAGES);
		/* Pairs with the mapper's acquire: the arena is in the set. */
		atomic_inc_return_release(&t->turns);
		bs_conc_stamp_pages(c, pgoff, o->key);
		if (!bs_conc_owns(c, pgoff))
			bs_conc_fail(t, "the arena at page %lu it holds is not owned",
				     pgoff);
		cond_resched();
		bs_conc_pages_intact(t, pgoff, o->key);
		atomic_inc(&t->turns);
		/* Pairs with the mapper's smp_rmb(): even before it goes. */
		smp_mb__after_atomic();
		bs_conc_free(t, o);
		t->ops++;
		cond_resched();
	} while (!bs_conc_leaders_done(c));
}

/*
 * If taker @u holds an arena, from before bs_conc_owns() to after it, it
 * must have been owned. Returns whether it could tell.
 */
static bool bs_conc_held_owned(struct bs_conc_thread *t,
			       struct bs_conc_thread *u)
{
	struct bs_conc *c = t->c;
	int turn = atomic_read_acquire(&u->turns);
	int arena = atomic_read(&u->live_arena);
	bool owned;

	if (!(turn & 1))
		return false;
	owned = bs_conc_owns(c, (unsigned long)arena * BS_ARENA_PAGES);
	/* Pairs with the taker's: an arena gone means an even turn, seen. */
	smp_rmb();
	if (atomic_read(&u->turns) != turn)
		return false;
	if (!owned)
		bs_conc_fail(t, "arena %d, held by %s/%u, not owned", arena,
			     u->role->name, u->rank);
	return true;
}

/*
 * A snapshot of the case's genpool or byte buddy, taken under its lock:
 * what is free and what is used add up to its arenas, and nobody asked for
 * more than was granted.
 */
static void bs_conc_snapshot(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	struct bs_byte_buddy_stats bb;
	struct bs_genpool_stats gp;
	unsigned long arenas, free, used, requested;

	if (c->cfg->allocator == BS_CONC_GENPOOL) {
		bs_genpool_stats(&c->mem.genpool, &gp);
		arenas = gp.nr_arenas;
		free = gp.free_bytes;
		used = gp.used_bytes;
		requested = gp.requested_bytes;
	} else {
		bs_byte_buddy_stats(&c->mem.byte_buddy, &bb);
		arenas = bb.nr_arenas;
		free = bb.free_bytes;
		used = bb.used_bytes;
		requested = bb.requested_bytes;
	}
	if (free + used != arenas * BS_ARENA_BYTES || requested > used ||
	    arenas > c->mem.buddy.nr_arenas)
		bs_conc_fail(t, "snapshot of %lu arenas: %lu bytes free, %lu used, %lu requested",
			     arenas, free, used, requested);
}

/*
 * What the debugfs map does while others allocate: ask about every arena
 * (a page inside one is never an arena), and about each taker's; take a
 * snapshot and validate, again.
 */
static void bs_conc_mapper(struct bs_conc_thread *t)
{
	struct bs_conc *c = t->c;
	const unsigned int nr_arenas = c->mem.buddy.nr_arenas;
	unsigned long pgoff;
	unsigned int i;
	int ret;

	do {
		for (i = 0; i < nr_arenas; i++) {
			pgoff = (unsigned long)i * BS_ARENA_PAGES;
			/* Either answer may be right: the race is the test. */
			bs_conc_owns(c, pgoff);
			if (bs_conc_owns(c, pgoff + 1))
				bs_conc_fail(t, "page %lu, inside an arena, owned",
					     pgoff + 1);
		}
		for (i = 0; i < c->nr_threads; i++)
			if (c->threads[i].role->fn == bs_conc_taker &&
			    bs_conc_held_owned(t, &c->threads[i]))
				t->taken++;
		bs_conc_snapshot(t);
		ret = c->cfg->allocator == BS_CONC_GENPOOL ?
		      bs_genpool_validate(&c->mem.genpool) :
		      bs_byte_buddy_validate(&c->mem.byte_buddy);
		if (ret) {
			bs_conc_fail(t, "validation returned %d on run %lu",
				     ret, t->ops + 1);
			return;
		}
		t->ops++;
		cond_resched();
	} while (!bs_conc_leaders_done(c));
}

/* ---- Configurations --------------------------------------------------- */

#define BS_CONC_DEBUG		(BS_SLAB_POISON | BS_SLAB_REDZONE)

/* Two dedicated caches in every slab case: one debugged, one plain. */
#define BS_CONC_SLAB_CACHES	{ { 200, 0, BS_CONC_DEBUG }, { 72, 0, 0 } }

static const struct bs_conc_config bs_conc_configs[] = {
	{
		.name = "buddy orders 0-3 (per-CPU cached)",
		.allocator = BS_CONC_BUDDY,
		.min_order = 0,
		.max_order = BS_BUDDY_PCP_MAX_ORDER,
		.ops = 4000,
	},
	{
		.name = "buddy orders 0-max",
		.allocator = BS_CONC_BUDDY,
		.min_order = 0,
		.max_order = BS_BUDDY_MAX_ORDER,
		.nomem_ok = true,
		.ops = 1500,
	},
	{
		.name = "slab cache with poison and red zones",
		.allocator = BS_CONC_SLAB,
		.kinds = BS_CONC_CACHE0,
		.caches = BS_CONC_SLAB_CACHES,
		.ops = 5000,
	},
	{
		.name = "slab plain cache",
		.allocator = BS_CONC_SLAB,
		.kinds = BS_CONC_CACHE1,
		.caches = BS_CONC_SLAB_CACHES,
		.ops = 5000,
	},
	{
		.name = "slab kmalloc",
		.allocator = BS_CONC_SLAB,
		.kinds = BS_CONC_KMALLOC,
		.caches = BS_CONC_SLAB_CACHES,
		.ops = 2500,
	},
	{
		.name = "slab kmalloc with poison and red zones",
		.allocator = BS_CONC_SLAB,
		.kinds = BS_CONC_KMALLOC,
		.class_flags = BS_CONC_DEBUG,
		.caches = BS_CONC_SLAB_CACHES,
		.ops = 2500,
	},
	{
		.name = "first fit",
		.allocator = BS_CONC_FIT,
		.policy = BS_FIT_FIRST,
		.ops = 600,
	},
	{
		.name = "next fit",
		.allocator = BS_CONC_FIT,
		.policy = BS_FIT_NEXT,
		.ops = 600,
	},
	{
		.name = "best fit",
		.allocator = BS_CONC_FIT,
		.policy = BS_FIT_BEST,
		.ops = 600,
	},
	{
		.name = "worst fit",
		.allocator = BS_CONC_FIT,
		.policy = BS_FIT_WORST,
		.ops = 600,
	},
};

static void bs_conc_config_desc(const struct bs_conc_config *cfg, char *desc)
{
	strscpy(desc, cfg->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bs_conc_config, bs_conc_configs, bs_conc_config_desc);

/* The configurations of bs_conc_configs that use the slab allocator. */
static const void *bs_conc_slab_config_gen_params(const void *prev, char *desc)
{
	const struct bs_conc_config *cfg = prev ?
		(const struct bs_conc_config *)prev + 1 : bs_conc_configs;

	for (; cfg < bs_conc_configs + ARRAY_SIZE(bs_conc_configs); cfg++) {
		if (cfg->allocator == BS_CONC_SLAB) {
			bs_conc_config_desc(cfg, desc);
			return cfg;
		}
	}
	return NULL;
}

/* Workers whose caches share no object start with a transient cache's. */
static const struct bs_conc_config bs_conc_destroy_config = {
	.name = "slab caches aligned to 256 bytes",
	.allocator = BS_CONC_SLAB,
	.kinds = BS_CONC_CACHE0 | BS_CONC_CACHE1,
	.caches = {
		{ 256, BS_CONC_WORKER_ALIGN, BS_CONC_DEBUG },
		{ 200, BS_CONC_WORKER_ALIGN, 0 },
	},
	.ops = 2000,
};

/* Workers of the genpool and the byte buddy, whose arenas come and go. */
static const struct bs_conc_config bs_conc_arena_configs[] = {
	{
		.name = "genpool first fit",
		.allocator = BS_CONC_GENPOOL,
		.genpool_policy = BS_GENPOOL_FIRST,
		.ops = 1000,
	},
	{
		.name = "genpool best fit",
		.allocator = BS_CONC_GENPOOL,
		.genpool_policy = BS_GENPOOL_BEST,
		.ops = 1000,
	},
	{
		.name = "byte buddy",
		.allocator = BS_CONC_BYTE_BUDDY,
		.ops = 1000,
	},
};

KUNIT_ARRAY_PARAM(bs_conc_arena_config, bs_conc_arena_configs,
		  bs_conc_config_desc);

static const struct bs_conc_config bs_conc_retry_config = {
	.name = "buddy churn",
	.allocator = BS_CONC_BUDDY,
};

/* ---- Setup and checks ------------------------------------------------- */

static int bs_conc_test_init(struct kunit *test)
{
	struct bs_conc *c;
	int ret;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = bs_test_memory_init(&c->mem, BS_CONC_ARENAS);
	if (ret)
		return ret;
	c->test = test;
	spin_lock_init(&c->fail_lock);
	test->priv = c;
	return 0;
}

static void bs_conc_test_exit(struct kunit *test)
{
	struct bs_conc *c = test->priv;

	if (c)
		bs_test_memory_exit(test, &c->mem);
}

/* The allocators @cfg needs, over the case's memory; the seed, printed. */
static struct bs_conc *bs_conc_setup(struct kunit *test,
				     const struct bs_conc_config *cfg)
{
	struct bs_conc *c = test->priv;
	const struct bs_conc_geometry *g;
	unsigned int i;

	c->cfg = cfg;
	c->seed = bs_test_seed(test, get_random_u32());

	if (cfg->allocator == BS_CONC_FIT)
		bs_test_memory_add_fit(&c->mem);
	if (cfg->allocator == BS_CONC_GENPOOL)
		bs_test_memory_add_genpool(&c->mem);
	if (cfg->allocator == BS_CONC_BYTE_BUDDY)
		bs_test_memory_add_byte_buddy(&c->mem);
	if (cfg->allocator != BS_CONC_SLAB)
		return c;
	KUNIT_ASSERT_EQ(test, bs_test_memory_add_slab(&c->mem, cfg->class_flags), 0);
	for (i = 0; i < BS_CONC_CACHES; i++) {
		g = &cfg->caches[i];
		c->caches[i] = bs_slab_cache_create(&c->mem.slab, i ? "conc-plain" : "conc-debug",
						    g->size, g->align, g->flags, NULL);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(c->caches[i]), "create: %ld",
				       PTR_ERR(c->caches[i]));
	}
	return c;
}

struct bs_conc_walker {
	struct bs_slab_walker walker;
	struct bs_conc *c;
};

/* No cache saw a damaged object or a bad free, but the witness's. */
static void bs_conc_visit(struct bs_slab_walker *walker, struct bs_slab_cache *cache,
			  const struct bs_slab_cache_stats *stats)
{
	struct bs_conc *c = container_of(walker, struct bs_conc_walker, walker)->c;
	struct kunit *test = c->test;
	const unsigned long invalid = cache == c->witness ? c->witness_frees : 0;

	KUNIT_EXPECT_EQ_MSG(test, stats->counters[BS_SLAB_POISON_ERRORS], 0,
			    "cache %s", cache->name);
	KUNIT_EXPECT_EQ_MSG(test, stats->counters[BS_SLAB_REDZONE_ERRORS], 0,
			    "cache %s", cache->name);
	KUNIT_EXPECT_EQ_MSG(test, stats->counters[BS_SLAB_DOUBLE_FREES], 0,
			    "cache %s", cache->name);
	KUNIT_EXPECT_EQ_MSG(test, stats->counters[BS_SLAB_INVALID_FREES], invalid,
			    "cache %s", cache->name);
}

/*
 * After a run: no free was refused, the slab caches counted no error, the
 * dedicated caches go, and the validators find nothing. The suite's exit
 * then checks that every page is free.
 */
static void bs_conc_finish(struct bs_conc *c)
{
	struct bs_conc_walker walker = { .walker.visit = bs_conc_visit, .c = c };
	struct kunit *test = c->test;
	struct bs_byte_buddy_stats byte_buddy_stats;
	struct bs_genpool_stats genpool_stats;
	struct bs_buddy_stats buddy_stats;
	struct bs_fit_stats fit_stats;
	unsigned int i;

	bs_buddy_stats(&c->mem.buddy, &buddy_stats);
	KUNIT_EXPECT_EQ(test, buddy_stats.counters.event[BS_BUDDY_FREES_REFUSED], 0);
	if (c->mem.fit_up) {
		bs_fit_stats(&c->mem.fit, &fit_stats);
		KUNIT_EXPECT_EQ(test, fit_stats.counters[BS_FIT_FREES_REFUSED], 0);
		KUNIT_EXPECT_EQ(test, bs_fit_validate(&c->mem.fit), 0);
	}
	if (c->mem.genpool_up) {
		bs_genpool_stats(&c->mem.genpool, &genpool_stats);
		KUNIT_EXPECT_EQ(test, genpool_stats.counters[BS_GENPOOL_FREES_REFUSED], 0);
		KUNIT_EXPECT_EQ(test, bs_genpool_validate(&c->mem.genpool), 0);
	}
	if (c->mem.byte_buddy_up) {
		bs_byte_buddy_stats(&c->mem.byte_buddy, &byte_buddy_stats);
		KUNIT_EXPECT_EQ(test, byte_buddy_stats.counters[BS_BYTE_BUDDY_FREES_REFUSED], 0);
		KUNIT_EXPECT_EQ(test, bs_byte_buddy_validate(&c->mem.byte_buddy), 0);
	}
	if (!c->mem.slab_up)
		return;
	KUNIT_EXPECT_EQ(test, bs_slab_walk_caches(&c->mem.slab, &walker.walker), 0);
	KUNIT_EXPECT_EQ(test, bs_slab_validate(&c->mem.slab), 0);
	for (i = 0; i < BS_CONC_CACHES; i++) {
		KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(c->caches[i]), 0);
		c->caches[i] = NULL;
	}
	if (c->witness)
		KUNIT_EXPECT_EQ(test, bs_slab_cache_destroy(c->witness), 0);
	c->witness = NULL;
}

/* ---- Cases ------------------------------------------------------------ */

#define BS_CONC_WORKERS	{ "worker", bs_conc_worker, BS_CONC_WORKERS_PER_CPU, 0, \
			  BS_CONC_LEADS | BS_CONC_TRADES }

static void bs_conc_case(struct kunit *test, const struct bs_conc_role *roles,
			 unsigned int nr_roles)
{
	struct bs_conc *c = bs_conc_setup(test, test->param_value);

	bs_conc_run(c, roles, nr_roles);
	bs_conc_finish(c);
}

/* Workers on every CPU, each freeing a quarter of its objects remotely. */
static void bs_conc_test_stress(struct kunit *test)
{
	static const struct bs_conc_role roles[] = { BS_CONC_WORKERS };

	bs_conc_case(test, roles, ARRAY_SIZE(roles));
}

/* The same, with the caches drained and shrunk all along. */
static void bs_conc_test_drain_shrink(struct kunit *test)
{
	static const struct bs_conc_role roles[] = {
		BS_CONC_WORKERS,
		{ "drainer", bs_conc_drainer, 0, 1, 0 },
	};

	bs_conc_case(test, roles, ARRAY_SIZE(roles));
}

/* The same, with every validator run all along, from every CPU. */
static void bs_conc_test_validate(struct kunit *test)
{
	static const struct bs_conc_role roles[] = {
		BS_CONC_WORKERS,
		{ "validator", bs_conc_validator, 1, 0, 0 },
	};

	bs_conc_case(test, roles, ARRAY_SIZE(roles));
}

/*
 * Slab workers on every CPU with a reaper: the depots trim their working
 * sets and the magazines grow as the CPUs contend, all while objects move.
 */
static void bs_conc_test_reap(struct kunit *test)
{
	static const struct bs_conc_role roles[] = {
		BS_CONC_WORKERS,
		{ "reaper", bs_conc_reaper, 0, 1, 0 },
	};
	struct bs_conc *c = bs_conc_setup(test, test->param_value);
	struct bs_slab *slab = &c->mem.slab;
	unsigned long contended = 0, resizes = 0, trimmed = 0;
	struct bs_slab_cache_stats stats;
	unsigned int i, largest = 0;

	bs_conc_run(c, roles, ARRAY_SIZE(roles));
	for (i = 0; i < BS_CONC_CACHES + BS_SLAB_NR_CLASSES; i++) {
		bs_slab_cache_stats(i < BS_CONC_CACHES ? c->caches[i] :
				    slab->classes[i - BS_CONC_CACHES], &stats);
		contended += stats.counters[BS_SLAB_DEPOT_CONTENDED];
		resizes += stats.counters[BS_SLAB_MAG_RESIZES];
		trimmed += stats.counters[BS_SLAB_MAG_TRIMMED];
		largest = max(largest, stats.magazine_size);
	}
	kunit_info(test, "%lu reaps: %lu depot contentions, %lu magazine resizes (largest magazines %u), %lu magazines trimmed\n",
		   c->threads[c->nr_threads - 1].ops, contended, resizes,
		   largest, trimmed);
	bs_conc_finish(c);
}

/*
 * Caches created, used, emptied and destroyed in a loop while workers keep
 * two others busy and the caches are shrunk; a racer frees pointers into
 * each dying cache, before, during and after its destruction, with
 * bs_slab_kfree() and to an idle witness cache: all must be refused.
 */
static void bs_conc_test_cache_create_destroy(struct kunit *test)
{
	static const struct bs_conc_role roles[] = {
		BS_CONC_WORKERS,
		{ "creator", bs_conc_creator, 0, 1, BS_CONC_LEADS },
		{ "racer", bs_conc_racer, 0, 1, 0 },
		{ "drainer", bs_conc_drainer, 0, 1, 0 },
	};
	struct bs_conc *c = bs_conc_setup(test, &bs_conc_destroy_config);

	c->witness = bs_slab_cache_create(&c->mem.slab, "conc-witness", 64, 0, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->witness));
	bs_conc_run(c, roles, ARRAY_SIZE(roles));
	kunit_info(test, "%lu stale frees with bs_slab_kfree(), %lu to the witness cache\n",
		   c->stale_frees, c->witness_frees);
	bs_conc_finish(c);
}

/*
 * A requester of the largest order against one churn thread per CPU, each
 * holding at most one block of a cached order at a time.
 */
static void bs_conc_test_drain_retry(struct kunit *test)
{
	static const struct bs_conc_role roles[] = {
		{ "requester", bs_conc_requester, 0, 1, BS_CONC_LEADS },
		{ "churner", bs_conc_churner, 1, 0, 0 },
	};
	struct bs_conc *c = bs_conc_setup(test, &bs_conc_retry_config);

	c->nr_churners = num_online_cpus();
	c->fewest = UINT_MAX;
	KUNIT_ASSERT_LE(test, c->mem.buddy.nr_arenas, BITS_PER_LONG);
	c->blocks = kunit_kcalloc(test, c->mem.buddy.nr_arenas + 1,
				  sizeof(*c->blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->blocks);
	bs_conc_run(c, roles, ARRAY_SIZE(roles));
	KUNIT_EXPECT_EQ(test, c->nr_churners, c->nr_cpus);
	kunit_info(test, "%lu blocks of the largest order in %lu rounds, %u to %u a round, from %u arenas\n",
		   c->threads[0].allocs, c->threads[0].ops, c->fewest, c->most,
		   c->mem.buddy.nr_arenas);
	bs_conc_finish(c);
}

/* The arenas taken and given back by the case's genpool or byte buddy. */
static void bs_conc_arena_counters(struct bs_conc *c, unsigned long *taken,
				   unsigned long *given)
{
	struct bs_byte_buddy_stats bb;
	struct bs_genpool_stats gp;

	if (c->cfg->allocator == BS_CONC_GENPOOL) {
		bs_genpool_stats(&c->mem.genpool, &gp);
		*taken = gp.counters[BS_GENPOOL_ARENAS_TAKEN];
		*given = gp.counters[BS_GENPOOL_ARENAS_GIVEN];
	} else {
		bs_byte_buddy_stats(&c->mem.byte_buddy, &bb);
		*taken = bb.counters[BS_BYTE_BUDDY_ARENAS_TAKEN];
		*given = bb.counters[BS_BYTE_BUDDY_ARENAS_GIVEN];
	}
}

/*
 * Workers of the genpool or the byte buddy on every CPU, a taker of whole
 * arenas on every CPU, and a mapper asking about every arena, taking
 * snapshots and validating. Every whole arena a taker got was a fresh one,
 * and every arena went back.
 */
static void bs_conc_test_arena_churn(struct kunit *test)
{
	static const struct bs_conc_role roles[] = {
		BS_CONC_WORKERS,
		{ "taker", bs_conc_taker, 1, 0, 0 },
		{ "mapper", bs_conc_mapper, 0, 1, 0 },
	};
	struct bs_conc *c = bs_conc_setup(test, test->param_value);
	unsigned long whole = 0, looks = 0, taken, given;
	struct bs_conc_thread *t;
	unsigned int i;

	bs_conc_run(c, roles, ARRAY_SIZE(roles));
	for (i = 0; i < c->nr_threads; i++) {
		t = &c->threads[i];
		if (t->role->fn == bs_conc_taker)
			whole += t->allocs;
		else if (t->role->fn == bs_conc_mapper)
			looks += t->taken;
	}
	bs_conc_arena_counters(c, &taken, &given);
	kunit_info(test, "%lu whole arenas taken, %lu seen held by the mapper; %lu arenas taken and %lu given back in all\n",
		   whole, looks, taken, given);
	KUNIT_EXPECT_GT(test, whole, 0);
	KUNIT_EXPECT_GE(test, taken, whole);
	KUNIT_EXPECT_EQ(test, given, taken);
	bs_conc_finish(c);
}

/* ---- Racing frees of one block ---------------------------------------- */

#define BS_CONC_RACING_FREE_ROUNDS	10000

/*
 * Two threads, on two CPUs when there are two, free one block at the same
 * moment, round after round: the leader allocates it and lets the follower
 * go, then both free it. Orders cycle through those the per-CPU caches
 * hold, where the frees race into two CPUs' caches, and one above, where
 * they race for the arena's lock.
 */
struct bs_conc_racing_free {
	struct bs_buddy *buddy;
	unsigned long pgoff;		/* the round's block */
	atomic_t go;			/* the round the leader has started */
	atomic_t done;			/* the round the follower has freed in */
	int follower_ret;
	unsigned long leader_wins;
	unsigned long follower_wins;
	unsigned long wrong;		/* rounds not won by exactly one */
	unsigned int first_wrong;
	int wrong_ret[2];
	int alloc_ret;
	struct completion finished[2];
};

/* Wait a little for the other thread: spin with SMP, sleep without. */
static void bs_conc_racing_relax(void)
{
	if (num_online_cpus() > 1) {
		cpu_relax();
		cond_resched();
	} else {
		usleep_range(20, 40);
	}
}

static int bs_conc_racing_leader(void *data)
{
	struct bs_conc_racing_free *r = data;
	unsigned int round;
	int ret, follower;

	for (round = 1; round <= BS_CONC_RACING_FREE_ROUNDS; round++) {
		r->alloc_ret = bs_buddy_alloc(r->buddy,
					      round % (BS_BUDDY_PCP_MAX_ORDER + 2),
					      BS_BUDDY_TAG_DIRECT, &r->pgoff);
		if (r->alloc_ret)
			break;
		/* The block goes out with the round. */
		atomic_set_release(&r->go, round);
		ret = bs_buddy_free(r->buddy, r->pgoff);
		while (atomic_read_acquire(&r->done) != round)
			bs_conc_racing_relax();
		follower = r->follower_ret;
		if (!ret && follower == -EINVAL) {
			r->leader_wins++;
		} else if (ret == -EINVAL && !follower) {
			r->follower_wins++;
		} else if (!r->wrong++) {
			r->first_wrong = round;
			r->wrong_ret[0] = ret;
			r->wrong_ret[1] = follower;
		}
	}
	/* Past the last round: the follower stops. */
	atomic_set_release(&r->go, BS_CONC_RACING_FREE_ROUNDS + 1);
	complete(&r->finished[0]);
	return 0;
}

static int bs_conc_racing_follower(void *data)
{
	struct bs_conc_racing_free *r = data;
	unsigned int round;

	for (round = 1; round <= BS_CONC_RACING_FREE_ROUNDS; round++) {
		while (atomic_read_acquire(&r->go) < round)
			bs_conc_racing_relax();
		if (atomic_read(&r->go) > BS_CONC_RACING_FREE_ROUNDS)
			break;
		r->follower_ret = bs_buddy_free(r->buddy, r->pgoff);
		atomic_set_release(&r->done, round);
	}
	complete(&r->finished[1]);
	return 0;
}

/*
 * Of two frees of one block racing on two CPUs, exactly one wins and the
 * other is refused, whatever path each takes; a block's link never joins
 * two lists, which the validator and the fixture's count of free pages at
 * the end would see.
 */
static void bs_conc_test_racing_frees(struct kunit *test)
{
	int (*const fns[2])(void *data) = {
		bs_conc_racing_leader, bs_conc_racing_follower,
	};
	struct bs_conc *c = test->priv;
	struct task_struct *tasks[2];
	struct bs_conc_racing_free *r;
	struct bs_buddy_stats stats;
	unsigned int i, cpu;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->buddy = &c->mem.buddy;
	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < 2; i++) {
		init_completion(&r->finished[i]);
		tasks[i] = kthread_create(fns[i], r, "bs_conc_free/%u", i);
		if (IS_ERR(tasks[i])) {
			if (i)
				kthread_stop(tasks[0]);
			KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(tasks[i]));
			return;
		}
		kthread_bind(tasks[i], cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	}
	/* Both are bound before either runs; each ends by itself. */
	for (i = 0; i < 2; i++)
		wake_up_process(tasks[i]);
	for (i = 0; i < 2; i++)
		wait_for_completion(&r->finished[i]);

	kunit_info(test, "%u rounds: the leader won %lu, the follower %lu\n",
		   BS_CONC_RACING_FREE_ROUNDS, r->leader_wins, r->follower_wins);
	KUNIT_EXPECT_EQ(test, r->alloc_ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, r->wrong, 0,
			    "first in round %u: the frees returned %d and %d",
			    r->first_wrong, r->wrong_ret[0], r->wrong_ret[1]);
	KUNIT_EXPECT_EQ(test, r->leader_wins + r->follower_wins,
			BS_CONC_RACING_FREE_ROUNDS);
	bs_buddy_stats(r->buddy, &stats);
	KUNIT_EXPECT_EQ(test, stats.counters.event[BS_BUDDY_FREES_REFUSED],
			BS_CONC_RACING_FREE_ROUNDS);
	KUNIT_EXPECT_EQ(test, bs_buddy_validate(r->buddy), 0);
}

static struct kunit_case bs_conc_test_cases[] = {
	KUNIT_CASE_PARAM(bs_conc_test_stress, bs_conc_config_gen_params),
	KUNIT_CASE_PARAM(bs_conc_test_drain_shrink, bs_conc_config_gen_params),
	KUNIT_CASE_PARAM(bs_conc_test_validate, bs_conc_config_gen_params),
	KUNIT_CASE_PARAM(bs_conc_test_reap, bs_conc_slab_config_gen_params),
	KUNIT_CASE(bs_conc_test_cache_create_destroy),
	KUNIT_CASE(bs_conc_test_drain_retry),
	KUNIT_CASE_PARAM(bs_conc_test_arena_churn, bs_conc_arena_config_gen_params),
	KUNIT_CASE(bs_conc_test_racing_frees),
	{}
};

static struct kunit_suite bs_conc_test_suite = {
	.name = "buddyslab_concurrency",
	.init = bs_conc_test_init,
	.exit = bs_conc_test_exit,
	.test_cases = bs_conc_test_cases,
};

kunit_test_suite(bs_conc_test_suite);
