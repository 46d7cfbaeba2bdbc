// SPDX-License-Identifier: GPL-2.0
/*
 * trace_gen.c: synthetic traces, written in the native format.
 *
 * Random kinds draw each allocation's size and lifetime from one family of
 * distributions (uniform, log-uniform, exponential, or the kernel's mix of
 * kmalloc sizes with exponential lifetimes). A lifetime counts allocations:
 * an object allocated at time t (the number of allocations before it) with
 * lifetime l is freed just before allocation t + l is made. By Little's
 * law the number of objects live is then about the mean lifetime, so the
 * mean lifetime is set to --live divided by the mean size, and the live
 * bytes hover around --live. Exactly --ops operations are written; what is
 * live at the end stays live. Pending frees wait in a heap ordered by time
 * of death, then id: memory is bounded by the live set.
 *
 * Reproducible on every machine: the generator is xoshiro256** seeded by
 * splitmix64 from --seed, integers in a range come from it by rejection,
 * never from rand(), and the logarithm and exponential are computed here
 * from +, -, * and / alone (built with -ffp-contract=off), not by libm,
 * whose last bits may differ between versions. Every parameter is written
 * in the trace's header.
 *
 * The example kinds are fixed traces: the textbook's worked examples of
 * the binary buddy system, of first fit against best fit, and of external
 * and internal fragmentation, each step commented in the trace.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define GEN_MEAN_SAMPLES	4096	/* sizes drawn to estimate the mean */
#define GEN_MEAN_SEED		0x6d65616e73697a65ULL	/* "meansize" */
#define GEN_LN2			0.69314718055994530942
#define GEN_MAX_SIZE		(1ULL << 40)	/* bytes; keeps sums in range */

struct gen_rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct gen_rng *g, uint64_t seed)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		g->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(struct gen_rng *g)
{
	uint64_t result = rotl(g->s[1] * 5, 7) * 9, t = g->s[1] << 17;

	g->s[2] ^= g->s[0];
	g->s[3] ^= g->s[1];
	g->s[1] ^= g->s[2];
	g->s[0] ^= g->s[3];
	g->s[2] ^= t;
	g->s[3] = rotl(g->s[3], 45);
	return result;
}

/* Uniform in [0, n), n >= 1: Lemire's multiply, rejecting the bias. */
static uint64_t rng_below(struct gen_rng *g, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next(g) * n;
	uint64_t low = m, threshold;

	if (low < n) {
		threshold = -n % n;
		while (low < threshold) {
			m = (unsigned __int128)rng_next(g) * n;
			low = m;
		}
	}
	return m >> 64;
}

/* Uniform in [0, 1), 53 bits. */
static double rng_unit(struct gen_rng *g)
{
	return (rng_next(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* ln x, x > 0: x = m * 2^e with m in [0.5, 1), ln m = 2 atanh((m-1)/(m+1)). */
static double gen_ln(double x)
{
	double z, z2, term, sum = 0;
	int e = 0, k;

	while (x >= 1) {
		x /= 2;
		e++;
	}
	while (x < 0.5) {
		x *= 2;
		e--;
	}
	z = (x - 1) / (x + 1);	/* |z| <= 1/3 */
	z2 = z * z;
	term = z;
	for (k = 1; k < 60; k += 2) {
		sum += term / k;
		term *= z2;
	}
	return 2 * sum + e * GEN_LN2;
}

/* e^x: x = k ln 2 + r with |r| <= ln 2 / 2, e^r by its series. */
static double gen_exp(double x)
{
	double r, term = 1, sum = 1, scale = 1;
	long k;
	int i;

	k = (long)(x / GEN_LN2 + (x < 0 ? -0.5 : 0.5));
	r = x - k * GEN_LN2;
	for (i = 1; i < 30; i++) {
		term *= r / i;
		sum += term;
	}
	for (; k > 0; k--)
		scale *= 2;
	for (; k < 0; k++)
		scale /= 2;
	return sum * scale;
}

/* Exponentially distributed with mean @mean. */
static double rng_exponential(struct gen_rng *g, double mean)
{
	return -gen_ln(1 - rng_unit(g)) * mean;
}

enum gen_family { GEN_UNIFORM, GEN_LOGUNIFORM, GEN_EXPONENTIAL, GEN_KERNEL };

/*
 * The kernel's kmalloc size classes, weighted by the objects live in each
 * (kmalloc-N and kmalloc-cg-N, active_objs) in /proc/slabinfo of the
 * Linux 6.18 x86-64 machine this was written on (2 CPUs, 24 GiB). Live
 * counts weigh allocation rates by lifetimes; they are what a snapshot of
 * a running kernel shows. kmalloc-4k and kmalloc-8k are the page-sized
 * classes; larger kmallocs go to the page allocator, not to slabinfo, and
 * are not drawn. A request of class N is uniform over (previous class, N].
 */
static const struct {
	uint64_t size;
	uint64_t weight;
} kernel_classes[] = {
	{ 8, 2560 }, { 16, 4330 }, { 32, 2696 }, { 64, 2781 },
	{ 96, 3504 }, { 128, 24221 }, { 192, 18845 }, { 256, 848 },
	{ 512, 2048 }, { 1024, 912 }, { 2048, 497 }, { 4096, 376 },
	{ 8192, 44 },
};

#define NR_KERNEL_CLASSES	ARRAY_SIZE(kernel_classes)

/* The requests of class @i that [min, max] allows: [lo, hi], or false. */
static bool kernel_class_range(const struct trace_gen_params *p, unsigned int i,
			       uint64_t *lo, uint64_t *hi)
{
	*lo = i ? kernel_classes[i - 1].size + 1 : 1;
	*hi = kernel_classes[i].size;
	if (*lo < p->min_size)
		*lo = p->min_size;
	if (*hi > p->max_size)
		*hi = p->max_size;
	return *lo <= *hi;
}

static uint64_t kernel_size(struct gen_rng *g, const struct trace_gen_params *p)
{
	uint64_t total = 0, pick, lo, hi;
	unsigned int i;

	for (i = 0; i < NR_KERNEL_CLASSES; i++)
		if (kernel_class_range(p, i, &lo, &hi))
			total += kernel_classes[i].weight;
	pick = rng_below(g, total);
	for (i = 0; i < NR_KERNEL_CLASSES; i++) {
		if (!kernel_class_range(p, i, &lo, &hi))
			continue;
		if (pick < kernel_classes[i].weight)
			break;
		pick -= kernel_classes[i].weight;
	}
	return lo + rng_below(g, hi - lo + 1);
}

/* A size in [min, max]. */
static uint64_t gen_size(struct gen_rng *g, enum gen_family family,
			 const struct trace_gen_params *p)
{
	double lmin, lmax, mean;
	uint64_t size;

	switch (family) {
	case GEN_UNIFORM:
		return p->min_size + rng_below(g, p->max_size - p->min_size + 1);
	case GEN_LOGUNIFORM:
		lmin = gen_ln(p->min_size);
		lmax = gen_ln(p->max_size + 1.0);
		size = gen_exp(lmin + rng_unit(g) * (lmax - lmin));
		return size < p->min_size ? p->min_size :
		       size > p->max_size ? p->max_size : size;
	case GEN_EXPONENTIAL:
		/* Mean (max - min) / 8 above min: e^-8 of draws pass max, redrawn. */
		mean = (p->max_size - p->min_size) / 8.0;
		do {
			size = p->min_size + (uint64_t)rng_exponential(g, mean);
		} while (size > p->max_size);
		return size;
	default:
		return kernel_size(g, p);
	}
}

/* The lifetime distributions of a mean of @mean allocations, >= 1. */
struct gen_life {
	enum gen_family family;
	uint64_t mean;
	double ln_max;		/* log-uniform over [1, max]: ln max */
};

/* Log-uniform over [1, M] has mean (M - 1) / ln M: M by bisection. */
static double loguniform_ln_max(uint64_t mean)
{
	double lo = 0, hi = 64, mid, m;
	int i;

	if (mean <= 1)
		return 0;
	for (i = 0; i < 200; i++) {
		mid = (lo + hi) / 2;
		m = (gen_exp(mid) - 1) / mid;
		if (m < mean)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t gen_lifetime(struct gen_rng *g, const struct gen_life *life)
{
	switch (life->family) {
	case GEN_UNIFORM:
		return 1 + rng_below(g, 2 * life->mean - 1);
	case GEN_LOGUNIFORM:
		return gen_exp(rng_unit(g) * life->ln_max);
	default:
		/* floor of an exponential loses half an allocation on average */
		return 1 + (uint64_t)rng_exponential(g, life->mean - 0.5);
	}
}

/* An object waiting to be freed. */
struct gen_death {
	uint64_t when, id, size;
};

struct gen_heap {
	struct gen_death *d;
	size_t nr, max;
};

static bool death_before(const struct gen_death *a, const struct gen_death *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static int heap_push(struct gen_heap *h, struct gen_death d)
{
	struct gen_death *grown, tmp;
	size_t i, parent;

	if (h->nr == h->max) {
		h->max = h->max ? 2 * h->max : 1024;
		grown = realloc(h->d, h->max * sizeof(*h->d));
		if (!grown)
			return -1;
		h->d = grown;
	}
	i = h->nr++;
	h->d[i] = d;
	for (; i; i = parent) {
		parent = (i - 1) / 2;
		if (!death_before(&h->d[i], &h->d[parent]))
			break;
		tmp = h->d[i];
		h->d[i] = h->d[parent];
		h->d[parent] = tmp;
	}
	return 0;
}

static struct gen_death heap_pop(struct gen_heap *h)
{
	struct gen_death top = h->d[0], tmp;
	size_t i = 0, child;

	h->d[0] = h->d[--h->nr];
	for (;;) {
		child = 2 * i + 1;
		if (child >= h->nr)
			break;
		if (child + 1 < h->nr && death_before(&h->d[child + 1], &h->d[child]))
			child++;
		if (!death_before(&h->d[child], &h->d[i]))
			break;
		tmp = h->d[i];
		h->d[i] = h->d[child];
		h->d[child] = tmp;
		i = child;
	}
	return top;
}

/* The mean size of @family over [min, max], from draws of its own seed. */
static double gen_mean_size(enum gen_family family,
			    const struct trace_gen_params *p)
{
	struct gen_rng g;
	double sum = 0;
	unsigned int i;

	rng_seed(&g, p->seed ^ GEN_MEAN_SEED);
	for (i = 0; i < GEN_MEAN_SAMPLES; i++)
		sum += gen_size(&g, family, p);
	return sum / GEN_MEAN_SAMPLES;
}

static const char *const family_sizes[] = {
	[GEN_UNIFORM] = "uniform over [min, max]",
	[GEN_LOGUNIFORM] = "log-uniform over [min, max]",
	[GEN_EXPONENTIAL] = "min + exponential of mean (max - min) / 8, redrawn past max",
	[GEN_KERNEL] = "kmalloc classes 8..8192 weighted by live objects in /proc/slabinfo (Linux 6.18 x86-64), uniform within a class",
};

static const char *const family_lifetimes[] = {
	[GEN_UNIFORM] = "uniform over [1, 2 mean - 1] allocations",
	[GEN_LOGUNIFORM] = "log-uniform over [1, M] allocations, M giving the mean",
	[GEN_EXPONENTIAL] = "1 + exponential, in allocations",
	[GEN_KERNEL] = "1 + exponential, in allocations",
};

#define U64_STR	21	/* room for a u64 in decimal */

static int gen_header(FILE *out, const struct trace_gen_params *p,
		      enum gen_family family, uint64_t mean_life)
{
	char source[64], seed[U64_STR], ops[U64_STR], min[U64_STR],
	     max[U64_STR], live[U64_STR], life[64];

	snprintf(source, sizeof(source), "generator %s", p->kind);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)p->seed);
	snprintf(ops, sizeof(ops), "%llu", (unsigned long long)p->ops);
	snprintf(min, sizeof(min), "%llu", (unsigned long long)p->min_size);
	snprintf(max, sizeof(max), "%llu", (unsigned long long)p->max_size);
	snprintf(live, sizeof(live), "%llu", (unsigned long long)p->live_bytes);
	snprintf(life, sizeof(life), "%llu allocations",
		 (unsigned long long)mean_life);
	return trace_write_header(out, source, "generator", p->kind,
				  "seed", seed, "ops", ops, "min", min,
				  "max", max, "live", live,
				  "sizes", family_sizes[family],
				  "lifetimes", family_lifetimes[family],
				  "mean-lifetime", life,
				  "prng", "xoshiro256** seeded by splitmix64(seed)",
				  NULL);
}

static int gen_random(const struct trace_gen_params *p, enum gen_family family,
		      FILE *out, char *err, size_t errlen)
{
	struct gen_life life = { .family = family };
	struct gen_heap heap = { 0 };
	struct trace_op op = { 0 };
	uint64_t written, now = 0;
	struct gen_death d;
	struct gen_rng g;
	double mean;
	int ret = 0;

	mean = gen_mean_size(family, p);
	life.mean = p->live_bytes / mean + 0.5;
	if (!life.mean)
		life.mean = 1;
	life.ln_max = loguniform_ln_max(life.mean);
	rng_seed(&g, p->seed);
	if (gen_header(out, p, family, life.mean))
		goto write_error;
	for (written = 0; written < p->ops; written++) {
		if (heap.nr && heap.d[0].when <= now) {
			d = heap_pop(&heap);
			op.kind = TRACE_FREE;
			op.id = d.id;
		} else {
			op.kind = TRACE_ALLOC;
			op.id = now + 1;
			op.size = gen_size(&g, family, p);
			d.id = op.id;
			d.size = op.size;
			d.when = now + gen_lifetime(&g, &life);
			if (heap_push(&heap, d)) {
				snprintf(err, errlen, "out of memory for %zu live objects",
					 heap.nr + 1);
				ret = -1;
				break;
			}
			now++;
		}
		if (trace_write_op(out, &op))
			goto write_error;
	}
	free(heap.d);
	return ret;

write_error:
	free(heap.d);
	snprintf(err, errlen, "writing the trace: %s", strerror(errno ?: EIO));
	return -1;
}

/* A step of a worked example: an operation, or a comment when op is '#'. */
struct example_step {
	char op;
	uint64_t id;
	uint64_t size;
	const char *text;
};

#define KIB(n)	((uint64_t)(n) << 10)
#define EX_NOTE(t)		{ '#', 0, 0, t }
#define EX_ALLOC(id, size, t)	{ 'a', id, size, t }
#define EX_FREE(id, t)		{ 'f', id, 0, t }

/*
 * The binary buddy system's textbook walk-through in one 1 MiB block, in
 * the notes' terms: requests round up to a power of two, a larger block
 * splits in halves, a freed block merges with its free buddy.
 */
static const struct example_step example_buddy[] = {
	EX_NOTE("The binary buddy system in a 1 MiB block: a request is rounded up to a power of two;"),
	EX_NOTE("a larger free block splits in halves (buddies); a freed block merges with its free buddy."),
	EX_ALLOC(1, KIB(100), "A asks 100 KiB, gets 128 KiB: 1 MiB splits to 512+512, 256+256, 128+128 KiB"),
	EX_ALLOC(2, KIB(240), "B asks 240 KiB, gets the free 256 KiB buddy"),
	EX_ALLOC(3, KIB(64), "C asks 64 KiB: A's free 128 KiB buddy splits to 64+64 KiB"),
	EX_ALLOC(4, KIB(256), "D asks 256 KiB: the upper 512 KiB splits to 256+256 KiB"),
	EX_FREE(2, "B released: its buddy is A's 256 KiB, in use, so no merge"),
	EX_FREE(1, "A released: its 128 KiB buddy holds C, so no merge"),
	EX_ALLOC(5, KIB(75), "E asks 75 KiB, gets 128 KiB: A's old block"),
	EX_FREE(3, "C released: merges with its free 64 KiB buddy into 128 KiB"),
	EX_FREE(5, "E released: 128+128 merge into 256 KiB, then with B's old 256 KiB into 512 KiB"),
	EX_FREE(4, "D released: 256+256 merge, then 512+512: the whole 1 MiB block is free again"),
	{ 0 }
};

/*
 * First fit against best fit: three holes of 4, 1 and 2 KiB in address
 * order between live 64-byte guards; best fit fills each exactly, first
 * fit splits the first hole and must go past them for the last request.
 */
static const struct example_step example_fit[] = {
	EX_NOTE("First fit against best fit: holes of 4096, 1024 and 2048 bytes, in address order;"),
	EX_NOTE("best fit places 1024, 2048 and 4096 exactly in them; first fit cuts the first hole"),
	EX_NOTE("for the first two and has no hole left for 4096: 4096 bytes more footprint."),
	EX_ALLOC(1, 4096, "to become the first hole"),
	EX_ALLOC(2, 64, "a guard, live to the end"),
	EX_ALLOC(3, 1024, "to become the second hole"),
	EX_ALLOC(4, 64, "a guard"),
	EX_ALLOC(5, 2048, "to become the third hole"),
	EX_ALLOC(6, 64, "a guard"),
	EX_FREE(1, "holes: 4096"),
	EX_FREE(3, "holes: 4096, 1024"),
	EX_FREE(5, "holes: 4096, 1024, 2048"),
	EX_ALLOC(7, 1024, "best fit: the 1024 hole; first fit: the front of the 4096 hole"),
	EX_ALLOC(8, 2048, "best fit: the 2048 hole; first fit: 2048 of the 3072 left of the first"),
	EX_ALLOC(9, 4096, "best fit: the 4096 hole; first fit: no hole is large enough, past the guards"),
	{ 0 }
};

/*
 * External fragmentation: half the memory free, in holes too small for a
 * request twice their size.
 */
static const struct example_step example_external[] = {
	EX_NOTE("External fragmentation: 16 pages allocated, every other one freed: 32 KiB free"),
	EX_NOTE("in eight 4 KiB holes, and no 8 KiB request fits in any of them."),
	EX_ALLOC(1, 4096, NULL), EX_ALLOC(2, 4096, NULL),
	EX_ALLOC(3, 4096, NULL), EX_ALLOC(4, 4096, NULL),
	EX_ALLOC(5, 4096, NULL), EX_ALLOC(6, 4096, NULL),
	EX_ALLOC(7, 4096, NULL), EX_ALLOC(8, 4096, NULL),
	EX_ALLOC(9, 4096, NULL), EX_ALLOC(10, 4096, NULL),
	EX_ALLOC(11, 4096, NULL), EX_ALLOC(12, 4096, NULL),
	EX_ALLOC(13, 4096, NULL), EX_ALLOC(14, 4096, NULL),
	EX_ALLOC(15, 4096, NULL), EX_ALLOC(16, 4096, NULL),
	EX_FREE(1, NULL), EX_FREE(3, NULL), EX_FREE(5, NULL), EX_FREE(7, NULL),
	EX_FREE(9, NULL), EX_FREE(11, NULL), EX_FREE(13, NULL),
	EX_FREE(15, "32 KiB free in 4 KiB holes between live pages"),
	EX_ALLOC(17, 8192, "fits in no hole: it goes past them"),
	{ 0 }
};

/*
 * Internal fragmentation: requests one byte past a power of two, which a
 * power-of-two allocator serves with nearly twice the memory asked.
 */
static const struct example_step example_internal[] = {
	EX_NOTE("Internal fragmentation: requests one byte past a power of two; an allocator that"),
	EX_NOTE("rounds up to powers of two grants nearly twice each: 16320 bytes for 8168 asked."),
	EX_ALLOC(1, 33, "64 granted by powers of two"),
	EX_ALLOC(2, 65, "128"),
	EX_ALLOC(3, 129, "256"),
	EX_ALLOC(4, 257, "512"),
	EX_ALLOC(5, 513, "1024"),
	EX_ALLOC(6, 1025, "2048"),
	EX_ALLOC(7, 2049, "4096"),
	EX_ALLOC(8, 4097, "8192"),
	EX_FREE(1, NULL), EX_FREE(2, NULL), EX_FREE(3, NULL), EX_FREE(4, NULL),
	EX_FREE(5, NULL), EX_FREE(6, NULL), EX_FREE(7, NULL), EX_FREE(8, NULL),
	{ 0 }
};

static int gen_example(const struct trace_gen_params *p,
		       const struct example_step *step, FILE *out, char *err,
		       size_t errlen)
{
	char source[64];
	struct trace_op op = { 0 };

	if (p->ops || p->seed || p->min_size || p->max_size || p->live_bytes) {
		snprintf(err, errlen, "%s is a fixed trace: it takes no options",
			 p->kind);
		return -1;
	}
	snprintf(source, sizeof(source), "example %s", p->kind);
	if (trace_write_header(out, source, "generator", p->kind, NULL))
		goto write_error;
	for (; step->op; step++) {
		if (step->op == '#') {
			fprintf(out, "# %s\n", step->text);
			continue;
		}
		op.kind = step->op == 'a' ? TRACE_ALLOC : TRACE_FREE;
		op.id = step->id;
		op.size = step->size;
		if (step->text)
			fprintf(out, "# %s\n", step->text);
		if (trace_write_op(out, &op))
			goto write_error;
	}
	if (!fflush(out) && !ferror(out))
		return 0;
write_error:
	snprintf(err, errlen, "writing the trace: %s", strerror(errno ?: EIO));
	return -1;
}

/* The generators: a random family, or a fixed example. */
static const struct gen_kind {
	struct trace_gen_kind kind;
	enum gen_family family;
	const struct example_step *example;
	struct trace_gen_params defaults;
} gen_kinds[] = {
	{ { "uniform", "sizes and lifetimes uniform" }, GEN_UNIFORM, NULL,
	  { NULL, 100000, 1, 16, 4096, KIB(1024) } },
	{ { "loguniform", "sizes and lifetimes log-uniform" }, GEN_LOGUNIFORM, NULL,
	  { NULL, 100000, 1, 16, 65536, KIB(4096) } },
	{ { "exponential", "sizes and lifetimes exponential" }, GEN_EXPONENTIAL, NULL,
	  { NULL, 100000, 1, 16, 16384, KIB(1024) } },
	{ { "kernel", "kmalloc sizes in the kernel's mix, exponential lifetimes" },
	  GEN_KERNEL, NULL, { NULL, 100000, 1, 1, 8192, KIB(1024) } },
	{ { "example-buddy", "the buddy system's worked example, 1 MiB" },
	  0, example_buddy, { 0 } },
	{ { "example-fit", "first fit against best fit, three holes" },
	  0, example_fit, { 0 } },
	{ { "example-external", "external fragmentation: every other page freed" },
	  0, example_external, { 0 } },
	{ { "example-internal", "internal fragmentation: a byte past powers of two" },
	  0, example_internal, { 0 } },
};

#define NR_GEN_KINDS	ARRAY_SIZE(gen_kinds)

static const struct gen_kind *gen_find(const char *name)
{
	unsigned int i;

	for (i = 0; name && i < NR_GEN_KINDS; i++)
		if (!strcmp(gen_kinds[i].kind.name, name))
			return &gen_kinds[i];
	return NULL;
}

const struct trace_gen_kind *trace_gen_kinds(void)
{
	static struct trace_gen_kind kinds[NR_GEN_KINDS + 1];
	unsigned int i;

	for (i = 0; i < NR_GEN_KINDS; i++)
		kinds[i] = gen_kinds[i].kind;
	return kinds;
}

int trace_gen_defaults(const char *kind, struct trace_gen_params *p)
{
	const struct gen_kind *k = gen_find(kind);

	if (!k)
		return -1;
	*p = k->defaults;
	p->kind = k->kind.name;
	return 0;
}

/* The random kinds' parameters: "" when they make sense, else why not. */
static const char *gen_check(const struct trace_gen_params *p,
			     enum gen_family family)
{
	uint64_t lo, hi;
	unsigned int i;

	if (!p->ops)
		return "--ops is 1 or more";
	if (!p->min_size || p->min_size > p->max_size)
		return "sizes need 1 <= --min <= --max";
	if (p->max_size > GEN_MAX_SIZE)
		return "--max is 1 TiB at most";
	if (!p->live_bytes)
		return "--live is 1 byte or more";
	if (family != GEN_KERNEL)
		return "";
	for (i = 0; i < NR_KERNEL_CLASSES; i++)
		if (kernel_class_range(p, i, &lo, &hi))
			return "";
	return "no kmalloc class (1 to 8192 bytes) is within --min and --max";
}

int trace_gen_write(const struct trace_gen_params *p, FILE *out, char *err,
		    size_t errlen)
{
	const struct gen_kind *k = gen_find(p->kind);
	const char *why;

	if (!k) {
		snprintf(err, errlen, "no generator '%s'", p->kind ?: "");
		return -1;
	}
	if (k->example)
		return gen_example(p, k->example, out, err, errlen);
	why = gen_check(p, k->family);
	if (*why) {
		snprintf(err, errlen, "%s: %s", p->kind, why);
		return -1;
	}
	if (gen_random(p, k->family, out, err, errlen))
		return -1;
	if (!fflush(out) && !ferror(out))
		return 0;
	snprintf(err, errlen, "writing the trace: %s", strerror(errno ?: EIO));
	return -1;
}
