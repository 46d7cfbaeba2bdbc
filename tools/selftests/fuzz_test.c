// SPDX-License-Identifier: GPL-2.0
/*
 * A structured, seeded fuzzer of /dev/buddyslab.
 *
 * FUZZ_PROCS processes of FUZZ_THREADS threads each issue random sequences
 * of requests of every kind, well-formed and malformed: ALLOC from every
 * allocator, fit policy and cache of their own, FREE, BATCH, CACHE_CREATE
 * and CACHE_DESTROY, STATS, INFO, ioctls of unknown numbers and sizes,
 * mmap, munmap of parts, mremap, fork while mapped, pread and pwrite,
 * close and reopen, reads of every debugfs file and writes to validate.
 *
 * Every malformed request must get its documented error (docs/ioctl.md);
 * every well-formed one must succeed or fail for want of a resource
 * (ENOMEM, EDQUOT, ENOSPC), or with EBUSY where the model says the
 * allocation is mapped (by this thread, or by a forked child still alive).
 * Each thread owns its allocations: those in a file of its own (which it
 * closes and reopens) and those it made in its process's shared file,
 * whose other threads never touch them. It stamps every byte it owns (a
 * pattern of a per-allocation tag and the byte's offset) and checks them
 * through pread and its mappings at random times and before every free;
 * new memory must read as zero.
 *
 * Once every worker has exited and its files are closed, every page must be
 * back in the buddy allocator, debugfs validate must pass, and the slab's
 * red zone, poison, double and invalid free counters and the refused-free
 * counters must not have moved: no request of a client can cause them.
 *
 * The seed is printed first ("# seed N"); BUDDYSLAB_FUZZ_SEED=N replays each
 * worker's request sequence (the interleaving of workers aside), and
 * BUDDYSLAB_FUZZ_SECONDS (default 30) bounds the run. A summary follows:
 * per request kind, its successes and each error, then what the device's
 * counters moved by. With fault injection in the kernel (debugfs
 * buddyslab/fail/), a quarter of the time goes to a second phase in which
 * 2% of the module's fault points fail: ENOMEM is then also accepted from
 * every well-formed request, and nothing may leak.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "dev_fixture.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#define FUZZ_PROCS	3
#define FUZZ_THREADS	2
#define FUZZ_WORKERS	(FUZZ_PROCS * FUZZ_THREADS)
#define FUZZ_HELD	32	/* allocations a worker holds at most */
#define FUZZ_CACHES	80	/* caches a worker holds at most */
#define FUZZ_CACHE_CAP	64	/* caches one file may hold (EDQUOT beyond) */
#define FUZZ_STALE	16	/* freed handles and cache ids remembered */
#define FUZZ_MAX_PAGES	1024	/* pages of a mapping the model follows */
#define FUZZ_BATCH	16	/* operations of an ordinary batch */
#define FUZZ_DBUF	(256 * 1024)
#define FUZZ_GRACE	120	/* seconds the workers get to wind down */
#define FUZZ_ERRNOS	134
#define FUZZ_TRACE	12	/* requests a failure report names */
#define FUZZ_FAIL_DIR	BS_DEBUGFS "/fail"

enum { PRIV, SHARED };

/* The kinds of request counted in the summary. */
enum fz_kind {
	K_ALLOC_BUDDY, K_ALLOC_SLAB, K_ALLOC_CACHE, K_ALLOC_FIRST, K_ALLOC_NEXT,
	K_ALLOC_BEST, K_ALLOC_WORST, K_ALLOC_GENPOOL_FIRST, K_ALLOC_GENPOOL_BEST,
	K_ALLOC_BYTE_BUDDY, K_ALLOC_BAD, K_ALLOC_UNWRITABLE,
	K_FREE, K_FREE_MAPPED, K_FREE_BAD, K_BATCH, K_BATCH_OP, K_BATCH_BAD,
	K_CACHE_CREATE, K_CACHE_CREATE_BAD, K_CACHE_DESTROY,
	K_CACHE_DESTROY_BAD, K_MMAP, K_MMAP_BAD, K_MUNMAP, K_MREMAP,
	K_MREMAP_BAD, K_FORK, K_PREAD, K_PWRITE, K_RW_BAD, K_PWRITE_BAD_BUF,
	K_REOPEN, K_STATS, K_INFO, K_IOCTL_BAD, K_IOCTL_NEWER, K_DEBUGFS,
	K_VALIDATE, K_VALIDATE_BAD, K_VERIFY, FZ_KINDS
};

static const char *const fz_kind_names[FZ_KINDS] = {
	[K_ALLOC_BUDDY] = "alloc buddy", [K_ALLOC_SLAB] = "alloc slab",
	[K_ALLOC_CACHE] = "alloc own cache", [K_ALLOC_FIRST] = "alloc fit first",
	[K_ALLOC_NEXT] = "alloc fit next", [K_ALLOC_BEST] = "alloc fit best",
	[K_ALLOC_WORST] = "alloc fit worst",
	[K_ALLOC_GENPOOL_FIRST] = "alloc genpool first",
	[K_ALLOC_GENPOOL_BEST] = "alloc genpool best",
	[K_ALLOC_BYTE_BUDDY] = "alloc byte buddy", [K_ALLOC_BAD] = "alloc malformed",
	[K_ALLOC_UNWRITABLE] = "alloc, result unwritable",
	[K_FREE] = "free", [K_FREE_MAPPED] = "free while mapped",
	[K_FREE_BAD] = "free malformed", [K_BATCH] = "batch",
	[K_BATCH_OP] = "batch operation", [K_BATCH_BAD] = "batch bad pointer",
	[K_CACHE_CREATE] = "cache create",
	[K_CACHE_CREATE_BAD] = "cache create malformed",
	[K_CACHE_DESTROY] = "cache destroy",
	[K_CACHE_DESTROY_BAD] = "cache destroy malformed",
	[K_MMAP] = "mmap", [K_MMAP_BAD] = "mmap malformed",
	[K_MUNMAP] = "munmap (part)", [K_MREMAP] = "mremap",
	[K_MREMAP_BAD] = "mremap refused", [K_FORK] = "fork while mapped",
	[K_PREAD] = "pread", [K_PWRITE] = "pwrite",
	[K_RW_BAD] = "pread/pwrite malformed",
	[K_PWRITE_BAD_BUF] = "pwrite from a bad buffer",
	[K_REOPEN] = "close and reopen", [K_STATS] = "stats", [K_INFO] = "info",
	[K_IOCTL_BAD] = "ioctl malformed", [K_IOCTL_NEWER] = "ioctl newer struct",
	[K_DEBUGFS] = "debugfs read", [K_VALIDATE] = "debugfs validate",
	[K_VALIDATE_BAD] = "debugfs validate malformed", [K_VERIFY] = "verify stamps",
};

/* What the workers of a phase share, across processes. */
struct fz_shared {
	uint64_t count[FZ_KINDS][FUZZ_ERRNOS];
	uint64_t clobbered;	/* bad-buffer pwrites that cleared their range */
	uint64_t ops;		/* requests issued */
	int stop;
	int failed;
	char failure[1024];
};

/* Allowed outcomes of a request, as bits. */
#define A_OK		(1U << 0)
#define A_ENOENT	(1U << 1)
#define A_ENOMEM	(1U << 2)
#define A_EFAULT	(1U << 3)
#define A_EBUSY		(1U << 4)
#define A_EINVAL	(1U << 5)
#define A_ENOSPC	(1U << 6)
#define A_EDQUOT	(1U << 7)
#define A_E2BIG		(1U << 8)
#define A_ENOTTY	(1U << 9)
#define A_RES		(A_ENOMEM | A_EDQUOT | A_ENOSPC)

static unsigned int fz_bit(int ret)
{
	switch (-ret) {
	case 0: return A_OK;
	case ENOENT: return A_ENOENT;
	case ENOMEM: return A_ENOMEM;
	case EFAULT: return A_EFAULT;
	case EBUSY: return A_EBUSY;
	case EINVAL: return A_EINVAL;
	case ENOSPC: return A_ENOSPC;
	case EDQUOT: return A_EDQUOT;
	case E2BIG: return A_E2BIG;
	case ENOTTY: return A_ENOTTY;
	}
	return 0;
}

struct fz_alloc {
	uint64_t handle;	/* 0: the slot is free */
	uint64_t size, offset, granted;
	uint64_t tag;		/* the stamp on every byte granted */
	int file;
	int cache;		/* index in caches[] + 1, or 0 */
	uint32_t allocator;
	uint8_t *map;		/* its first map_pages pages, or NULL */
	size_t map_pages;
	uint8_t mapped[FUZZ_MAX_PAGES / 8];	/* which are still mapped */
};

struct fz_cache {
	uint32_t id;		/* 0: the slot is free */
	int file;
	uint32_t object_size, align;
	unsigned int live;	/* objects allocated from it */
};

struct fz_worker {
	unsigned int id;
	uint64_t rng;
	unsigned long ops;
	const char *trace[FUZZ_TRACE];	/* the last requests */
	bool faults;		/* injected failures: ENOMEM from anything */
	bool dead;
	int fd[2];
	unsigned int reopens;
	struct fz_alloc held[FUZZ_HELD];
	struct fz_cache caches[FUZZ_CACHES];
	uint64_t stale[2][FUZZ_STALE];
	uint32_t stale_cache[2][FUZZ_STALE];
	unsigned int next_stale[2], next_stale_cache[2];
	struct buddyslab_batch_op ops_buf[BUDDYSLAB_BATCH_MAX + 1];
	uint8_t *buf;		/* an arena's bytes */
	char *dbuf;		/* debugfs reads */
	uint8_t *ro;		/* a read-only page */
	uint8_t *guard;		/* a page, then a PROT_NONE page */
};

static uint64_t fz_seed;
static unsigned int fz_seconds = 30;
static struct fz_shared *fz_sh;
static struct buddyslab_info fz_info;
static size_t fz_page;
/* This process's children forked while mapped and not reaped yet. */
static int fz_forks_alive;

__attribute__((constructor)) static void fz_init(void)
{
	const char *s = getenv("BUDDYSLAB_FUZZ_SEED");
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (s && *s)
		fz_seed = strtoull(s, NULL, 0);
	else
		fz_seed = bs_mix64(now.tv_sec * 1000000000ULL + now.tv_nsec +
				   getpid()) % 1000000000000ULL;
	s = getenv("BUDDYSLAB_FUZZ_SECONDS");
	if (s && *s)
		fz_seconds = strtoul(s, NULL, 0) ?: 1;
	printf("# seed %llu\n", (unsigned long long)fz_seed);
	printf("# BUDDYSLAB_FUZZ_SEED=%llu BUDDYSLAB_FUZZ_SECONDS=%u replays these requests\n",
	       (unsigned long long)fz_seed, fz_seconds);
	fflush(stdout);
}

static uint64_t fz_rand(struct fz_worker *w)
{
	w->rng += 0x9e3779b97f4a7c15ULL;
	return bs_mix64(w->rng);
}

static uint64_t fz_below(struct fz_worker *w, uint64_t n)
{
	return n ? fz_rand(w) % n : 0;
}

static bool fz_chance(struct fz_worker *w, unsigned int percent)
{
	return fz_below(w, 100) < percent;
}

static double fz_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int fz_forks(void)
{
	return __atomic_load_n(&fz_forks_alive, __ATOMIC_SEQ_CST);
}

/* Record the first failure of the phase, and stop every worker. */
static bool __attribute__((format(printf, 3, 4)))
fz_fail_at(struct fz_worker *w, int line, const char *fmt, ...)
{
	unsigned int i;
	int none = 0;
	va_list ap;
	int n;

	w->dead = true;
	__atomic_store_n(&fz_sh->stop, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_compare_exchange_n(&fz_sh->failed, &none, 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	n = snprintf(fz_sh->failure, sizeof(fz_sh->failure),
		     "worker %u (pid %d), request %lu, fuzz_test.c:%d: ",
		     w->id, getpid(), w->ops, line);
	va_start(ap, fmt);
	n += vsnprintf(fz_sh->failure + n, sizeof(fz_sh->failure) - n, fmt, ap);
	va_end(ap);
	for (i = 0; i < FUZZ_TRACE && i < w->ops && n < (int)sizeof(fz_sh->failure); i++)
		n += snprintf(fz_sh->failure + n, sizeof(fz_sh->failure) - n, "%s%s",
			      i ? " " : "; the last requests, latest first: ",
			      w->trace[(w->ops - i) % FUZZ_TRACE]);
	return false;
}
#define fz_fail(w, ...) fz_fail_at(w, __LINE__, __VA_ARGS__)

static void fz_count(int kind, int ret)
{
	int e = -ret;

	if (e < 0 || e >= FUZZ_ERRNOS)
		e = FUZZ_ERRNOS - 1;
	__atomic_add_fetch(&fz_sh->count[kind][e], 1, __ATOMIC_RELAXED);
}

/*
 * Count @ret (0 or -errno) of a request of @kind and check it is one of
 * @allowed. A request that may succeed is well-formed: with injected
 * failures, ENOMEM is allowed too.
 */
static bool fz_check_at(struct fz_worker *w, int line, int kind, int ret,
			unsigned int allowed, const char *what)
{
	fz_count(kind, ret);
	if (w->faults && (allowed & A_OK))
		allowed |= A_ENOMEM;
	if (fz_bit(ret) & allowed)
		return true;
	return fz_fail_at(w, line, "%s: %s: got %d (%s), allowed mask %#x",
			  fz_kind_names[kind], what, ret,
			  ret ? strerror(-ret) : "success", allowed);
}
#define fz_check(w, kind, ret, allowed, what) \
	fz_check_at(w, __LINE__, kind, ret, allowed, what)

/* The stamp byte of @tag at device offset @off: never 0. */
static inline uint8_t fz_byte_of(uint64_t word, uint64_t off)
{
	uint8_t b = word >> (off % 8 * 8);

	return b ? b : 0xa5;
}

static void fz_fill(uint8_t *p, size_t len, uint64_t tag, uint64_t off)
{
	uint64_t word = bs_mix64(tag ^ (off & ~7ULL));
	size_t i;

	for (i = 0; i < len; i++) {
		if (i && (off + i) % 8 == 0)
			word = bs_mix64(tag ^ (off + i));
		p[i] = fz_byte_of(word, off + i);
	}
}

/* Where @p first differs from the stamp of @tag at @off, or @len. */
static size_t fz_diff(const uint8_t *p, size_t len, uint64_t tag, uint64_t off)
{
	uint64_t word = bs_mix64(tag ^ (off & ~7ULL));
	size_t i;

	for (i = 0; i < len; i++) {
		if (i && (off + i) % 8 == 0)
			word = bs_mix64(tag ^ (off + i));
		if (p[i] != fz_byte_of(word, off + i))
			break;
	}
	return i;
}

static bool fz_page_mapped(const struct fz_alloc *a, size_t page)
{
	return a->map && page < a->map_pages &&
	       (a->mapped[page / 8] >> (page % 8) & 1);
}

static void fz_set_mapped(struct fz_alloc *a, size_t page, bool on)
{
	if (on)
		a->mapped[page / 8] |= 1 << (page % 8);
	else
		a->mapped[page / 8] &= ~(1 << (page % 8));
}

static size_t fz_pages_mapped(const struct fz_alloc *a)
{
	size_t i, n = 0;

	for (i = 0; a->map && i < a->map_pages; i++)
		n += fz_page_mapped(a, i);
	return n;
}

/* Whether every page of the mapping is still there: one vma. */
static bool fz_whole_map(const struct fz_alloc *a)
{
	return a->map && fz_pages_mapped(a) == a->map_pages;
}

static bool fz_mappable(const struct fz_alloc *a)
{
	return a->offset % fz_page == 0 && a->granted % fz_page == 0;
}

/* Open the device; with injected failures, ENOMEM is tried again. */
static int fz_open(bool faults)
{
	unsigned int tries = 0;
	int fd;

	do {
		fd = open(BS_DEVICE, O_RDWR);
		if (fd >= 0 || errno != ENOMEM)
			break;
		fz_count(K_REOPEN, -ENOMEM);
	} while (faults && ++tries < 10000);
	return fd;
}

static int fz_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static int fz_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Check every byte of @a through pread (all of it or a part) and its mapping. */
static bool fz_verify(struct fz_worker *w, struct fz_alloc *a, int kind)
{
	uint64_t start = 0, len = a->granted;
	size_t at, p;
	int ret;

	if (fz_chance(w, 30)) {
		start = fz_below(w, a->granted);
		len = 1 + fz_below(w, a->granted - start);
	}
	do {
		ret = fz_pread(w->fd[a->file], w->buf, len, a->offset + start);
	} while (ret == -ENOMEM && w->faults);
	if (!fz_check(w, kind, ret, A_OK, "pread of an allocation"))
		return false;
	at = fz_diff(w->buf, len, a->tag, a->offset + start);
	if (at != len)
		return fz_fail(w, "pread: byte %llu of allocation %llu (offset %#llx, %llu bytes, file %d) is %#x, not its stamp",
			       (unsigned long long)(start + at),
			       (unsigned long long)a->handle,
			       (unsigned long long)a->offset,
			       (unsigned long long)a->granted, a->file,
			       w->buf[at]);
	for (p = 0; a->map && p < a->map_pages; p++) {
		if (!fz_page_mapped(a, p))
			continue;
		at = fz_diff(a->map + p * fz_page, fz_page, a->tag,
			     a->offset + p * fz_page);
		if (at != fz_page)
			return fz_fail(w, "mapping: byte %zu of allocation %llu (offset %#llx) is %#x, not its stamp",
				       p * fz_page + at,
				       (unsigned long long)a->handle,
				       (unsigned long long)a->offset,
				       a->map[p * fz_page + at]);
	}
	return true;
}

/* Check the bytes of @a outside [@start, @start + @len) through pread. */
static bool fz_verify_outside(struct fz_worker *w, struct fz_alloc *a,
			      uint64_t start, uint64_t len)
{
	size_t at;

	if (fz_pread(w->fd[a->file], w->buf, a->granted, a->offset))
		return fz_fail(w, "pread of an allocation");
	at = fz_diff(w->buf, start, a->tag, a->offset);
	if (at == start)
		at = start + len + fz_diff(w->buf + start + len, a->granted - start - len,
					   a->tag, a->offset + start + len);
	if (at != a->granted)
		return fz_fail(w, "byte %zu of allocation %llu, outside the range of a failed pwrite, changed",
			       at, (unsigned long long)a->handle);
	return true;
}

/*
 * Put a new stamp on every byte of @a, piece by piece, through pwrite or,
 * where the pages are mapped, through the mapping; then check it.
 */
static bool fz_restamp(struct fz_worker *w, struct fz_alloc *a)
{
	uint64_t pos = 0, len;
	int ret;

	a->tag = fz_rand(w);
	while (pos < a->granted) {
		len = 1 + fz_below(w, a->granted - pos);
		if (fz_chance(w, 50))
			len = a->granted - pos;
		if (a->map && pos % fz_page == 0 && len >= fz_page &&
		    fz_page_mapped(a, pos / fz_page) && fz_chance(w, 60)) {
			fz_fill(a->map + pos, fz_page, a->tag, a->offset + pos);
			pos += fz_page;
			continue;
		}
		fz_fill(w->buf, len, a->tag, a->offset + pos);
		do {
			ret = fz_pwrite(w->fd[a->file], w->buf, len,
					a->offset + pos);
		} while (ret == -ENOMEM && w->faults);
		if (!fz_check(w, K_PWRITE, ret, A_OK, "pwrite of an allocation"))
			return false;
		pos += len;
	}
	return fz_verify(w, a, K_PREAD);
}

static struct fz_alloc *fz_free_slot(struct fz_worker *w)
{
	unsigned int i;

	for (i = 0; i < FUZZ_HELD; i++)
		if (!w->held[i].handle)
			return &w->held[i];
	return NULL;
}

static unsigned int fz_free_slots(struct fz_worker *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < FUZZ_HELD; i++)
		n += !w->held[i].handle;
	return n;
}

/* A random allocation held, on @file if it is not -1, or NULL. */
static struct fz_alloc *fz_pick(struct fz_worker *w, int file)
{
	unsigned int i, start = fz_below(w, FUZZ_HELD);

	for (i = 0; i < FUZZ_HELD; i++) {
		struct fz_alloc *a = &w->held[(start + i) % FUZZ_HELD];

		if (a->handle && (file < 0 || a->file == file))
			return a;
	}
	return NULL;
}

static struct fz_alloc *fz_pick_mapped(struct fz_worker *w)
{
	unsigned int i, start = fz_below(w, FUZZ_HELD);

	for (i = 0; i < FUZZ_HELD; i++) {
		struct fz_alloc *a = &w->held[(start + i) % FUZZ_HELD];

		if (a->handle && a->map)
			return a;
	}
	return NULL;
}

static bool fz_handle_live(struct fz_worker *w, int file, uint64_t handle)
{
	unsigned int i;

	for (i = 0; i < FUZZ_HELD; i++)
		if (w->held[i].handle == handle && w->held[i].file == file)
			return true;
	return false;
}

static struct fz_cache *fz_pick_cache(struct fz_worker *w, int file)
{
	unsigned int i, start = fz_below(w, FUZZ_CACHES);

	for (i = 0; i < FUZZ_CACHES; i++) {
		struct fz_cache *c = &w->caches[(start + i) % FUZZ_CACHES];

		if (c->id && (file < 0 || c->file == file))
			return c;
	}
	return NULL;
}

static unsigned int fz_nr_caches(struct fz_worker *w, int file)
{
	unsigned int i, n = 0;

	for (i = 0; i < FUZZ_CACHES; i++)
		n += w->caches[i].id && w->caches[i].file == file;
	return n;
}

static bool fz_cache_live(struct fz_worker *w, int file, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < FUZZ_CACHES; i++)
		if (w->caches[i].id == id && w->caches[i].file == file)
			return true;
	return false;
}

/*
 * A handle no allocation of @file has: in the worker's own file, one of its
 * other file's handles if @foreign (so not if the file allocates before
 * using it: the handle may be the next it gives out).
 */
static uint64_t fz_bad_handle(struct fz_worker *w, int file, bool foreign)
{
	uint64_t h;

	switch (fz_below(w, foreign ? 5 : 4)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)UINT32_MAX + 1 + fz_below(w, 1ULL << 40);
	case 2:
		return UINT32_MAX - fz_below(w, 1000);
	case 3:
		/* Stale: freed here, and not given out again so soon. */
		h = w->stale[file][fz_below(w, FUZZ_STALE)];
		if (h)
			return h;
		return UINT64_MAX;
	default:
		/* Foreign: this worker's handle in its other file. */
		if (file == PRIV) {
			struct fz_alloc *a = fz_pick(w, SHARED);

			if (a && !fz_handle_live(w, PRIV, a->handle))
				return a->handle;
		}
		return UINT32_MAX;
	}
}

/* A cache id that is no cache of @file. */
static uint32_t fz_bad_cache_id(struct fz_worker *w, int file)
{
	uint32_t id;

	switch (fz_below(w, 3)) {
	case 0:
		id = w->stale_cache[file][fz_below(w, FUZZ_STALE)];
		return id ?: UINT32_MAX;
	case 1:
		if (file == PRIV) {
			struct fz_cache *c = fz_pick_cache(w, SHARED);

			if (c && !fz_cache_live(w, PRIV, c->id))
				return c->id;
		}
		return UINT32_MAX - 1;
	default:
		return UINT32_MAX - fz_below(w, 1000);
	}
}

/* @a was freed: its cache has an object fewer, its handle is stale. */
static void fz_forget(struct fz_worker *w, struct fz_alloc *a)
{
	if (a->cache)
		w->caches[a->cache - 1].live--;
	w->stale[a->file][w->next_stale[a->file]++ % FUZZ_STALE] = a->handle;
	a->handle = 0;
}

/* A size up to @max: mostly small, sometimes an edge, rarely large. */
static uint64_t fz_size(struct fz_worker *w, uint64_t max)
{
	static const uint64_t edges[] = {
		1, 7, 8, 9, 16, 96, 100, 4095, 4096, 4097, 8192, 8193, 65536,
	};
	unsigned int r = fz_below(w, 100);
	uint64_t top;

	if (r < 10) {
		top = edges[fz_below(w, sizeof(edges) / sizeof(edges[0]))];
		return top < max ? top : max;
	}
	if (r < 12)
		return max;
	top = r < 45 ? 256 : r < 78 ? 8192 : r < 95 ? 65536 : r < 99 ? 1 << 20 : max;
	if (top > max)
		top = max;
	return 1 + fz_below(w, top);
}

/* A well-formed allocation request on @file. @kind is set to its kind. */
static void fz_good_request(struct fz_worker *w, int file,
			    struct buddyslab_alloc *req, int *kind, int *cache)
{
	struct fz_cache *c;

	memset(req, 0, sizeof(*req));
	*cache = 0;
	req->flags = fz_chance(w, 30) ? BUDDYSLAB_F_ZERO : 0;
	switch (fz_below(w, 6)) {
	case 0:
		req->allocator = BUDDYSLAB_ALLOC_BUDDY;
		req->size = fz_size(w, fz_info.arena_bytes);
		*kind = K_ALLOC_BUDDY;
		return;
	case 1:
		c = fz_chance(w, 50) ? fz_pick_cache(w, file) : NULL;
		req->allocator = BUDDYSLAB_ALLOC_SLAB;
		if (c) {
			req->cache_id = c->id;
			req->size = 1 + fz_below(w, c->object_size);
			if (fz_chance(w, 30))
				req->size = c->object_size;
			*kind = K_ALLOC_CACHE;
			*cache = c - w->caches + 1;
			return;
		}
		req->size = fz_size(w, fz_info.arena_bytes);
		*kind = K_ALLOC_SLAB;
		return;
	case 2:
		req->allocator = BUDDYSLAB_ALLOC_GENPOOL;
		req->policy = 1 + fz_below(w, 2);
		req->size = fz_size(w, fz_info.arena_bytes);
		*kind = K_ALLOC_GENPOOL_FIRST + req->policy - 1;
		return;
	case 3:
		req->allocator = BUDDYSLAB_ALLOC_BYTE_BUDDY;
		req->size = fz_size(w, fz_info.arena_bytes);
		*kind = K_ALLOC_BYTE_BUDDY;
		return;
	default:
		req->allocator = BUDDYSLAB_ALLOC_FIT;
		req->policy = 1 + fz_below(w, 4);
		req->size = fz_size(w, fz_info.arena_bytes);
		*kind = K_ALLOC_FIRST + req->policy - 1;
		return;
	}
}

/* A malformed allocation request on @file; returns the error it must get. */
static int fz_bad_request(struct fz_worker *w, int file,
			  struct buddyslab_alloc *req)
{
	static const uint32_t allocators[] = { 0, 6, 7, 0x80000001, UINT32_MAX };
	struct fz_cache *c;

	memset(req, 0, sizeof(*req));
	req->size = 1 + fz_below(w, 8192);
	req->allocator = BUDDYSLAB_ALLOC_BUDDY;
	switch (fz_below(w, 11)) {
	case 0:
		req->flags = 1U << (1 + fz_below(w, 31));
		req->allocator = 1 + fz_below(w, 3);
		req->policy = req->allocator == BUDDYSLAB_ALLOC_FIT;
		return -EINVAL;
	case 1:
		req->size = 0;
		req->allocator = 1 + fz_below(w, 3);
		req->policy = req->allocator == BUDDYSLAB_ALLOC_FIT;
		return -EINVAL;
	case 2:
		req->size = fz_chance(w, 50) ? fz_info.arena_bytes + 1 +
			    fz_below(w, 1 << 20) : UINT64_MAX - fz_below(w, 4096);
		req->allocator = 1 + fz_below(w, 3);
		req->policy = req->allocator == BUDDYSLAB_ALLOC_FIT;
		return -EINVAL;
	case 3:
		req->allocator = allocators[fz_below(w, 5)];
		return -EINVAL;
	case 4:
		req->policy = 1 + fz_below(w, 4);
		return -EINVAL;
	case 5:
		req->cache_id = 1 + fz_below(w, UINT32_MAX);
		return -EINVAL;
	case 6:
		req->allocator = BUDDYSLAB_ALLOC_SLAB;
		req->policy = 1 + fz_below(w, UINT32_MAX);
		return -EINVAL;
	case 7:
		req->allocator = BUDDYSLAB_ALLOC_FIT;
		req->policy = fz_chance(w, 30) ? 0 : 5 + fz_below(w, 1000);
		return -EINVAL;
	case 8:
		req->allocator = BUDDYSLAB_ALLOC_FIT;
		req->policy = 1 + fz_below(w, 4);
		req->cache_id = 1 + fz_below(w, 100);
		return -EINVAL;
	case 9:
		req->allocator = BUDDYSLAB_ALLOC_SLAB;
		req->cache_id = fz_bad_cache_id(w, file);
		return -ENOENT;
	default:
		c = fz_pick_cache(w, file);
		if (!c) {
			req->size = 0;
			return -EINVAL;
		}
		req->allocator = BUDDYSLAB_ALLOC_SLAB;
		req->cache_id = c->id;
		req->size = c->object_size + 1 + fz_below(w, 4096);
		return -EINVAL;
	}
}

/* The bytes an allocation request must be granted, and their alignment. */
static void fz_expected_grant(struct fz_worker *w, const struct buddyslab_alloc *req,
			      int cache, uint64_t *granted, uint64_t *align)
{
	static const uint64_t classes[] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	unsigned int i;
	uint64_t g;

	switch (req->allocator) {
	case BUDDYSLAB_ALLOC_BUDDY:
		for (g = fz_page; g < req->size; g <<= 1)
			;
		*granted = *align = g;
		return;
	case BUDDYSLAB_ALLOC_SLAB:
		if (cache) {
			*granted = w->caches[cache - 1].object_size;
			*align = w->caches[cache - 1].align ?: 8;
			if (*align < 8)
				*align = 8;
			return;
		}
		for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
			if (req->size <= classes[i]) {
				*granted = classes[i];
				*align = classes[i] & (classes[i] - 1) ? 32 : classes[i];
				return;
			}
		}
		for (g = fz_page; g < req->size; g <<= 1)
			;
		*granted = g;
		*align = fz_page;
		return;
	case BUDDYSLAB_ALLOC_BYTE_BUDDY:
		for (g = 16; g < req->size; g <<= 1)
			;
		*granted = *align = g;
		return;
	default:
		*granted = (req->size + 15) & ~15ULL;
		*align = 16;
		return;
	}
}

/*
 * A request of @kind was granted: check what it was given, that it reads
 * as zero, stamp it, and hold it.
 */
static bool fz_take(struct fz_worker *w, int file, const struct buddyslab_alloc *req,
		    int kind, int cache)
{
	struct fz_alloc *a = fz_free_slot(w);
	uint64_t granted, align;
	size_t at;
	int ret;

	if (!a)
		return fz_fail(w, "no slot for a new allocation");
	fz_expected_grant(w, req, cache, &granted, &align);
	if (!req->handle || req->handle > UINT32_MAX ||
	    fz_handle_live(w, file, req->handle))
		return fz_fail(w, "%s: handle %llu", fz_kind_names[kind],
			       (unsigned long long)req->handle);
	if (req->granted != granted || req->offset % align ||
	    req->offset + req->granted > fz_info.region_bytes)
		return fz_fail(w, "%s of %llu bytes: granted %llu at %#llx, not %llu aligned to %llu",
			       fz_kind_names[kind], (unsigned long long)req->size,
			       (unsigned long long)req->granted,
			       (unsigned long long)req->offset,
			       (unsigned long long)granted,
			       (unsigned long long)align);
	memset(a, 0, sizeof(*a));
	a->handle = req->handle;
	a->size = req->size;
	a->offset = req->offset;
	a->granted = req->granted;
	a->file = file;
	a->cache = cache;
	a->allocator = req->allocator;
	if (cache)
		w->caches[cache - 1].live++;

	memset(w->buf, 0xff, a->granted);
	do {
		ret = fz_pread(w->fd[file], w->buf, a->granted, a->offset);
	} while (ret == -ENOMEM && w->faults);
	if (!fz_check(w, K_PREAD, ret, A_OK, "pread of new memory"))
		return false;
	at = bs_zero_check(w->buf, a->granted);
	if (at != a->granted)
		return fz_fail(w, "%s: byte %zu of new memory at %#llx is %#x, not 0",
			       fz_kind_names[kind], at,
			       (unsigned long long)a->offset, w->buf[at]);
	return fz_restamp(w, a);
}

static bool fz_alloc_good(struct fz_worker *w)
{
	int file = fz_below(w, 2), kind, cache, ret;
	struct buddyslab_alloc req;

	if (!fz_free_slots(w))
		return true;
	fz_good_request(w, file, &req, &kind, &cache);
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_ALLOC, &req);
	if (!fz_check(w, kind, ret, A_OK | A_RES, "well-formed"))
		return false;
	return ret ? true : fz_take(w, file, &req, kind, cache);
}

static bool fz_alloc_bad(struct fz_worker *w)
{
	int file = fz_below(w, 2), want, ret;
	struct buddyslab_alloc req;

	want = fz_bad_request(w, file, &req);
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_ALLOC, &req);
	return fz_check(w, K_ALLOC_BAD, ret, fz_bit(want), "malformed");
}

/*
 * Unmap the pages of @a's mapping in [@first, @first + @n) that are still
 * mapped, run by run: a hole left by an earlier munmap may hold another
 * thread's mapping by now.
 */
static bool fz_unmap_pages(struct fz_worker *w, struct fz_alloc *a,
			   size_t first, size_t n)
{
	size_t p = first, run;
	int ret;

	while (p < first + n) {
		if (!fz_page_mapped(a, p)) {
			p++;
			continue;
		}
		for (run = 1; p + run < first + n && fz_page_mapped(a, p + run); run++)
			;
		ret = munmap(a->map + p * fz_page, run * fz_page) ? -errno : 0;
		if (!fz_check(w, K_MUNMAP, ret, A_OK, "munmap of (part of) a mapping"))
			return false;
		while (run--)
			fz_set_mapped(a, p++, false);
	}
	if (!fz_pages_mapped(a)) {
		a->map = NULL;
		a->map_pages = 0;
	}
	return true;
}

/* Unmap what is left of @a's mapping. */
static bool fz_unmap(struct fz_worker *w, struct fz_alloc *a)
{
	return a->map ? fz_unmap_pages(w, a, 0, a->map_pages) : true;
}

/*
 * Free @a: check it first; while it is mapped FREE must say EBUSY. Once it
 * is not, only a child forked while it was mapped may keep it busy.
 */
static bool fz_release(struct fz_worker *w, struct fz_alloc *a, bool retry)
{
	double give_up = fz_now() + 30;
	int forks, ret;

	if (!fz_verify(w, a, K_VERIFY))
		return false;
	if (a->map) {
		ret = bs_free(w->fd[a->file], a->handle);
		if (!fz_check(w, K_FREE_MAPPED, ret, A_EBUSY, "FREE of a mapped allocation"))
			return false;
		if (!fz_unmap(w, a))
			return false;
	}
	for (;;) {
		forks = fz_forks();
		ret = bs_free(w->fd[a->file], a->handle);
		if (!fz_check(w, K_FREE, ret, A_OK | (forks ? A_EBUSY : 0),
			      "FREE of an allocation"))
			return false;
		if (!ret)
			break;
		if (!retry)
			return true;
		if (fz_now() > give_up)
			return fz_fail(w, "FREE still refused (%d) after 30 s", ret);
		usleep(1000);
	}
	/* Only this worker allocates in its own file: nothing is there now. */
	if (a->file == PRIV) {
		ret = fz_pread(w->fd[PRIV], w->buf, 1, a->offset + fz_below(w, a->granted));
		if (!fz_check(w, K_RW_BAD, ret, A_EFAULT, "pread of freed memory"))
			return false;
	}
	if (fz_chance(w, 20)) {
		ret = bs_free(w->fd[a->file], a->handle);
		if (!fz_check(w, K_FREE_BAD, ret, A_ENOENT, "FREE again"))
			return false;
	}
	fz_forget(w, a);
	return true;
}

static bool fz_free_op(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick(w, -1);

	return a ? fz_release(w, a, false) : true;
}

static bool fz_free_bad(struct fz_worker *w)
{
	int file = fz_below(w, 2), ret;
	uint64_t handle = fz_bad_handle(w, file, true);
	struct buddyslab_free req = { .handle = handle };

	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_FREE, &req);
	return fz_check(w, K_FREE_BAD, ret, A_ENOENT, "FREE of no allocation");
}

/* What a batch operation may give, and what it did. */
struct fz_batch_model {
	unsigned int allowed;
	int kind;		/* of an allocation */
	int cache;
	int slot;		/* of a FREE of one held, else -1 */
};

/* Apply the first @done operations of a batch that were done. */
static bool fz_batch_apply(struct fz_worker *w, int file,
			   struct buddyslab_batch_op *ops,
			   const struct fz_batch_model *m, unsigned int done)
{
	unsigned int i;

	for (i = 0; i < done && !w->dead; i++) {
		fz_count(K_BATCH_OP, 0);
		if (ops[i].op == BUDDYSLAB_BATCH_ALLOC) {
			if (!fz_take(w, file, &ops[i].alloc, m[i].kind, m[i].cache))
				return false;
		} else if (m[i].slot >= 0) {
			fz_forget(w, &w->held[m[i].slot]);
		}
	}
	return !w->dead;
}

/* A well-formed allocation of at most @max bytes, as batch operation @op. */
static void fz_batch_alloc_op(struct fz_worker *w, int file,
			      struct buddyslab_batch_op *op,
			      struct fz_batch_model *m, uint64_t max)
{
	op->op = BUDDYSLAB_BATCH_ALLOC;
	fz_good_request(w, file, &op->alloc, &m->kind, &m->cache);
	if (op->alloc.size > max)
		op->alloc.size = 1 + op->alloc.size % max;
	m->allowed = A_OK | A_RES;
}

/* A batch of too few or too many operations: refused, nothing done. */
static bool fz_batch_out_of_range(struct fz_worker *w, int file)
{
	struct buddyslab_batch batch = { .ops = (uintptr_t)w->ops_buf };
	int ret;

	batch.nr_ops = fz_chance(w, 50) ? 0 : BUDDYSLAB_BATCH_MAX + 1 +
		       fz_below(w, 1000);
	memset(w->ops_buf, 0, sizeof(w->ops_buf[0]));
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_BATCH, &batch);
	if (!fz_check(w, K_BATCH, ret, A_EINVAL, "nr_ops out of range"))
		return false;
	if (batch.nr_done)
		return fz_fail(w, "batch of %u: nr_done %u", batch.nr_ops,
			       batch.nr_done);
	return true;
}

/* A batch being made: what each operation may give, and what they take. */
struct fz_batch_plan {
	struct fz_batch_model m[FUZZ_BATCH];
	unsigned int slots;		/* free slots its allocations may fill */
	bool chosen[FUZZ_HELD];		/* held allocations it frees */
};

/* Operation @i of a batch on @file, into w->ops_buf and @p. */
static void fz_batch_plan_op(struct fz_worker *w, int file,
			     struct fz_batch_plan *p, unsigned int i)
{
	struct buddyslab_batch_op *ops = w->ops_buf, *op = &ops[i];
	struct fz_batch_model *m = &p->m[i];
	unsigned int r = fz_below(w, 100), j;
	struct fz_alloc *a;

	memset(op, 0, sizeof(*op));
	op->result = 12345;
	m->slot = -1;
	m->kind = K_BATCH_OP;
	m->cache = 0;
	if (r < 40 && p->slots) {
		fz_batch_alloc_op(w, file, op, m, 65536);
		p->slots--;
	} else if (r < 55) {
		op->op = BUDDYSLAB_BATCH_ALLOC;
		m->allowed = fz_bit(fz_bad_request(w, file, &op->alloc));
	} else if (r < 85 && (a = fz_pick(w, file)) && !p->chosen[a - w->held]) {
		op->op = BUDDYSLAB_BATCH_FREE;
		op->free.handle = a->handle;
		p->chosen[a - w->held] = true;
		m->slot = a - w->held;
		/* Forked children are counted just before the call. */
		m->allowed = a->map ? A_EBUSY : A_OK;
	} else if (r < 95) {
		op->op = BUDDYSLAB_BATCH_FREE;
		op->free.handle = fz_bad_handle(w, file, false);
		/* A handle this batch frees before: gone by then. */
		for (j = 0; j < i; j++)
			if (p->m[j].slot >= 0 && fz_chance(w, 50))
				op->free.handle = ops[j].free.handle;
		m->allowed = A_ENOENT;
	} else {
		op->op = fz_chance(w, 50) ? 0 : 3 + fz_below(w, UINT32_MAX - 3);
		m->allowed = A_EINVAL;
	}
}

/*
 * A batch of @n operations returned @ret having done @done: those done must
 * have succeeded, the one it stopped at failed as allowed and as the batch
 * says, and none after that one was written.
 */
static bool fz_batch_check(struct fz_worker *w,
			   const struct buddyslab_batch_op *ops,
			   const struct fz_batch_model *m, unsigned int n,
			   unsigned int done, int ret)
{
	unsigned int i, j;

	if (done > n)
		return fz_fail(w, "batch of %u: nr_done %u", n, done);
	for (i = 0; i < done; i++)
		if (ops[i].result || !(m[i].allowed & A_OK))
			return fz_fail(w, "batch op %u of %u (op %u) done with result %d, allowed %#x",
				       i, n, ops[i].op, ops[i].result, m[i].allowed);
	if (done == n) {
		if (ret)
			return fz_fail(w, "batch did all %u ops but returned %d", n, ret);
		return true;
	}
	if (ret != ops[done].result || !ret)
		return fz_fail(w, "batch stopped at op %u of %u: returned %d, its result %d",
			       done, n, ret, ops[done].result);
	if (!fz_check(w, K_BATCH_OP, ret, m[done].allowed, "the batch op that failed"))
		return false;
	for (j = done + 1; j < n; j++)
		if (ops[j].result != 12345 ||
		    (ops[j].op == BUDDYSLAB_BATCH_ALLOC && ops[j].alloc.handle))
			return fz_fail(w, "batch op %u, after the one that failed (%u), was written",
				       j, done);
	return true;
}

/*
 * A batch of allocations (good and bad) and frees (of allocations held,
 * mapped or not, stale, repeated) and unknown operations, on one file.
 */
static bool fz_batch(struct fz_worker *w)
{
	struct buddyslab_batch batch = { .ops = (uintptr_t)w->ops_buf };
	int file = fz_below(w, 2), forks, ret;
	struct fz_batch_plan plan = { .slots = fz_free_slots(w) };
	unsigned int n, i;

	if (fz_chance(w, 5))
		return fz_batch_out_of_range(w, file);
	n = 1 + fz_below(w, FUZZ_BATCH);
	for (i = 0; i < n; i++)
		fz_batch_plan_op(w, file, &plan, i);
	batch.nr_ops = n;
	forks = fz_forks();
	for (i = 0; i < n; i++)
		if (plan.m[i].slot >= 0 && forks)
			plan.m[i].allowed |= A_EBUSY;
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_BATCH, &batch);
	fz_count(K_BATCH, ret);
	if (!fz_batch_check(w, w->ops_buf, plan.m, n, batch.nr_done, ret))
		return false;
	return fz_batch_apply(w, file, w->ops_buf, plan.m, batch.nr_done);
}

/* A batch whose operations are at a bad address: nothing is done. */
static bool fz_batch_ops_unreadable(struct fz_worker *w, int file)
{
	struct buddyslab_batch batch = {
		.ops = fz_chance(w, 50) ? 8 : (uintptr_t)(w->guard + fz_page),
		.nr_ops = 1 + fz_below(w, BUDDYSLAB_BATCH_MAX),
	};
	int ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_BATCH, &batch);

	if (!fz_check(w, K_BATCH_BAD, ret, A_EFAULT, "unreadable ops"))
		return false;
	if (batch.nr_done)
		return fz_fail(w, "unreadable ops: nr_done %u", batch.nr_done);
	return true;
}

/*
 * Allocations that end where the PROT_NONE page begins, and a batch that
 * says there are more: those readable are done (or the first refused for
 * want of memory stops it), then EFAULT.
 */
static bool fz_batch_into_guard(struct fz_worker *w, int file)
{
	struct fz_batch_model m[8];
	struct buddyslab_batch_op *ops;
	struct buddyslab_batch batch;
	unsigned int k = 1 + fz_below(w, 6), i;
	int ret;

	if (fz_free_slots(w) < k)
		return true;
	ops = (struct buddyslab_batch_op *)(w->guard + fz_page) - k;
	for (i = 0; i < k; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		fz_batch_alloc_op(w, file, &ops[i], &m[i], 16384);
		m[i].slot = -1;
	}
	batch = (struct buddyslab_batch){
		.ops = (uintptr_t)ops, .nr_ops = k + 1 + fz_below(w, 10),
	};
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_BATCH, &batch);
	fz_count(K_BATCH_BAD, ret);
	if (batch.nr_done == k) {
		if (ret != -EFAULT)
			return fz_fail(w, "batch into PROT_NONE: %u done, returned %d",
				       k, ret);
	} else if (batch.nr_done > k || ret != ops[batch.nr_done].result ||
		   !fz_check(w, K_BATCH_OP, ret, m[batch.nr_done].allowed,
			     "batch into PROT_NONE")) {
		return fz_fail(w, "batch into PROT_NONE: %u of %u done, returned %d",
			       batch.nr_done, k, ret);
	}
	return fz_batch_apply(w, file, ops, m, batch.nr_done);
}

/*
 * One operation in a read-only page: done, then its result cannot be
 * written back. An allocation is undone; a FREE stays done.
 */
static bool fz_batch_ops_read_only(struct fz_worker *w, int file)
{
	struct buddyslab_batch_op *ops = (struct buddyslab_batch_op *)w->ro;
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops, .nr_ops = 1 };
	struct fz_batch_model m;
	struct fz_alloc *a;
	int forks, ret;

	if (mprotect(w->ro, fz_page, PROT_READ | PROT_WRITE))
		return fz_fail(w, "mprotect: %s", strerror(errno));
	memset(ops, 0, sizeof(*ops));
	a = fz_chance(w, 50) ? fz_pick(w, file) : NULL;
	if (a) {
		ops->op = BUDDYSLAB_BATCH_FREE;
		ops->free.handle = a->handle;
	} else {
		ops->op = BUDDYSLAB_BATCH_ALLOC;
		fz_good_request(w, file, &ops->alloc, &m.kind, &m.cache);
	}
	if (mprotect(w->ro, fz_page, PROT_READ))
		return fz_fail(w, "mprotect: %s", strerror(errno));
	forks = fz_forks();
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_BATCH, &batch);
	if (batch.nr_done)
		return fz_fail(w, "read-only ops: nr_done %u", batch.nr_done);
	if (!a)
		return fz_check(w, K_BATCH_BAD, ret, A_EFAULT | A_RES,
				"allocation into read-only ops");
	if (!fz_check(w, K_BATCH_BAD, ret,
		      a->map ? A_EBUSY : A_EFAULT | (forks ? A_EBUSY : 0),
		      "FREE from read-only ops"))
		return false;
	if (ret == -EFAULT) {
		/* It was freed all the same. */
		ret = bs_free(w->fd[file], a->handle);
		if (!fz_check(w, K_FREE_BAD, ret, A_ENOENT,
			      "FREE after a batch FREE whose result was lost"))
			return false;
		fz_forget(w, a);
	}
	return true;
}

/*
 * Batches whose operations cannot all be read or written back: the
 * operations array at a bad address, running into a PROT_NONE page, or
 * read-only; or the batch structure itself at a bad address.
 */
static bool fz_batch_bad(struct fz_worker *w)
{
	int file = fz_below(w, 2), ret;

	switch (fz_below(w, 4)) {
	case 0:
		return fz_batch_ops_unreadable(w, file);
	case 1:
		ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_BATCH,
			       fz_chance(w, 50) ? NULL : w->guard + fz_page);
		return fz_check(w, K_BATCH_BAD, ret, A_EFAULT, "unreadable batch");
	case 2:
		return fz_batch_into_guard(w, file);
	default:
		return fz_batch_ops_read_only(w, file);
	}
}

static void fz_cache_name(struct fz_worker *w, char *name)
{
	static const char graph[] = "abcdefghijklmnopqrstuvwxyz0123456789-_.:+!~";
	int n = snprintf(name, BUDDYSLAB_CACHE_NAME_LEN, "fz%u-%lu-", w->id, w->ops);
	unsigned int extra = fz_below(w, BUDDYSLAB_CACHE_NAME_LEN - n);

	while (extra--)
		name[n++] = graph[fz_below(w, sizeof(graph) - 1)];
	name[n] = '\0';
}

static struct fz_cache *fz_cache_slot(struct fz_worker *w)
{
	unsigned int i;

	for (i = 0; i < FUZZ_CACHES; i++)
		if (!w->caches[i].id)
			return &w->caches[i];
	return NULL;
}

/* Create a well-formed cache on @file; returns the error, 0 or -errno. */
static int fz_cache_create(struct fz_worker *w, int file, bool check)
{
	struct buddyslab_cache_create req;
	struct fz_cache *c = fz_cache_slot(w);
	unsigned int allowed = A_OK | A_RES;
	int ret;

	if (!c)
		return -ENOSPC;
	memset(&req, 0, sizeof(req));
	fz_cache_name(w, req.name);
	req.object_size = fz_chance(w, 5) ? fz_info.arena_bytes / 8 :
			  fz_size(w, fz_chance(w, 80) ? 1024 : 16384);
	req.align = fz_chance(w, 50) ? 0 : 1U << fz_below(w, 13);
	if (req.align > fz_page)
		req.align = fz_page;
	req.flags = fz_below(w, 4);
	/* At the file's cap: refused, by the file's or the module's. */
	if (file == PRIV && fz_nr_caches(w, PRIV) >= FUZZ_CACHE_CAP)
		allowed = A_EDQUOT | A_ENOSPC | (w->faults ? A_ENOMEM : 0);
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_CACHE_CREATE, &req);
	if (!fz_check(w, K_CACHE_CREATE, ret, allowed, "well-formed"))
		return -EIO;
	if (ret)
		return ret;
	if (!req.cache_id || fz_cache_live(w, file, req.cache_id)) {
		fz_fail(w, "cache create: id %u", req.cache_id);
		return -EIO;
	}
	*c = (struct fz_cache){
		.id = req.cache_id, .file = file,
		.object_size = req.object_size, .align = req.align,
	};
	if (check && fz_chance(w, 10)) {
		char pattern[BUDDYSLAB_CACHE_NAME_LEN + 2];

		ret = bs_read_file(BS_DEBUGFS "/slabinfo", w->dbuf, FUZZ_DBUF);
		if (!fz_check(w, K_DEBUGFS, ret < 0 ? ret : 0, A_OK, "slabinfo"))
			return -EIO;
		snprintf(pattern, sizeof(pattern), "\n%s ", req.name);
		if (ret >= 0 && !strstr(w->dbuf, pattern)) {
			fz_fail(w, "cache %s is not in slabinfo", req.name);
			return -EIO;
		}
	}
	return 0;
}

static bool fz_cache_destroy(struct fz_worker *w, struct fz_cache *c)
{
	struct buddyslab_cache_destroy req = { .cache_id = c->id };
	int ret = bs_ioctl(w->fd[c->file], BUDDYSLAB_IOC_CACHE_DESTROY, &req);

	if (!fz_check(w, K_CACHE_DESTROY, ret, c->live ? A_EBUSY : A_OK,
		      c->live ? "cache with objects" : "empty cache"))
		return false;
	if (ret)
		return true;
	w->stale_cache[c->file][w->next_stale_cache[c->file]++ % FUZZ_STALE] = c->id;
	c->id = 0;
	return true;
}

static bool fz_cache_op(struct fz_worker *w)
{
	int file = fz_below(w, 2);
	struct fz_cache *c = fz_pick_cache(w, file);

	if (c && (fz_nr_caches(w, file) >= 6 || fz_chance(w, 40)))
		return fz_cache_destroy(w, c);
	if (fz_nr_caches(w, file) >= 6)
		return true;
	return fz_cache_create(w, file, true) != -EIO;
}

/*
 * Fill the worker's own file with caches up to the file's cap (or the
 * module's, or memory), send a malformed create at the cap, then destroy
 * what it made.
 */
static bool fz_cache_flood(struct fz_worker *w)
{
	struct buddyslab_cache_create req = { .name = "fz-bad", .object_size = 0 };
	unsigned int i, n;
	int ret;

	while (!(ret = fz_cache_create(w, PRIV, false)))
		;
	if (ret == -EIO)
		return false;
	n = fz_nr_caches(w, PRIV);
	if (ret == -EDQUOT && n != FUZZ_CACHE_CAP)
		return fz_fail(w, "EDQUOT with %u caches in the file", n);
	if (ret == -ENOSPC && n > FUZZ_CACHE_CAP)
		return fz_fail(w, "ENOSPC with %u caches in the file", n);
	/* A malformed one at the cap: malformed comes first. */
	ret = bs_ioctl(w->fd[PRIV], BUDDYSLAB_IOC_CACHE_CREATE, &req);
	if (!fz_check(w, K_CACHE_CREATE_BAD, ret, A_EINVAL,
		      "malformed at the cap"))
		return false;
	for (i = 0; i < FUZZ_CACHES && !w->dead; i++)
		if (w->caches[i].id && w->caches[i].file == PRIV && !w->caches[i].live)
			fz_cache_destroy(w, &w->caches[i]);
	return !w->dead;
}

static bool fz_cache_create_bad(struct fz_worker *w)
{
	struct buddyslab_cache_create req;
	int file = fz_below(w, 2), ret;

	memset(&req, 0, sizeof(req));
	fz_cache_name(w, req.name);
	req.object_size = 1 + fz_below(w, 1024);
	switch (fz_below(w, 7)) {
	case 0:
		req.name[0] = '\0';
		break;
	case 1: {
		static const char bad[] = { ' ', '\t', '\n', 1, 0x7f };

		req.name[fz_below(w, strlen(req.name))] = bad[fz_below(w, 5)];
		break;
	}
	case 2:
		memset(req.name, 'n', sizeof(req.name));
		break;
	case 3:
		req.object_size = fz_chance(w, 30) ? 0 :
			fz_info.arena_bytes / 8 + 1 + fz_below(w, UINT32_MAX / 2);
		break;
	case 4:
		req.align = fz_chance(w, 50) ? fz_page << (1 + fz_below(w, 19)) :
			    UINT32_MAX - fz_below(w, 100);
		break;
	case 5:
		req.align = 3 + 2 * fz_below(w, 2000);	/* odd, not 1 */
		break;
	default:
		req.flags = BUDDYSLAB_CACHE_ALL + 1 + fz_below(w, UINT32_MAX - 4);
		break;
	}
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_CACHE_CREATE, &req);
	return fz_check(w, K_CACHE_CREATE_BAD, ret, A_EINVAL, "malformed");
}

static bool fz_cache_destroy_bad(struct fz_worker *w)
{
	int file = fz_below(w, 2), ret;
	struct fz_cache *c = fz_pick_cache(w, file);
	struct buddyslab_cache_destroy req = {
		.cache_id = fz_bad_cache_id(w, file),
	};

	if (fz_chance(w, 30)) {
		/* A pad set: refused whatever the id. */
		req.cache_id = c ? c->id : req.cache_id;
		req.__pad = 1 + fz_below(w, UINT32_MAX);
		ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_CACHE_DESTROY, &req);
		return fz_check(w, K_CACHE_DESTROY_BAD, ret, A_EINVAL, "__pad set");
	}
	if (fz_chance(w, 20))
		req.cache_id = 0;
	ret = bs_ioctl(w->fd[file], BUDDYSLAB_IOC_CACHE_DESTROY, &req);
	return fz_check(w, K_CACHE_DESTROY_BAD, ret, A_ENOENT, "no cache of the file");
}

static bool fz_mmap_op(struct fz_worker *w)
{
	unsigned int i, start = fz_below(w, FUZZ_HELD);
	struct fz_alloc *a = NULL;
	size_t pages, max, p;
	uint8_t *map;
	int ret;

	for (i = 0; i < FUZZ_HELD; i++) {
		a = &w->held[(start + i) % FUZZ_HELD];
		if (a->handle && fz_mappable(a))
			break;
		a = NULL;
	}
	if (!a)
		return true;
	max = a->granted / fz_page;
	if (max > FUZZ_MAX_PAGES)
		max = FUZZ_MAX_PAGES;
	pages = fz_chance(w, 50) ? max : 1 + fz_below(w, max);
	map = mmap(NULL, pages * fz_page, PROT_READ | PROT_WRITE, MAP_SHARED,
		   w->fd[a->file], a->offset);
	ret = map == MAP_FAILED ? -errno : 0;
	if (!fz_check(w, K_MMAP, ret, A_OK, "mmap of an allocation"))
		return false;
	if (ret)
		return true;
	if (a->map) {
		/* A second mapping of it, for a while. */
		for (p = 0; p < pages; p++)
			if (fz_diff(map + p * fz_page, fz_page, a->tag,
				    a->offset + p * fz_page) != fz_page)
				return fz_fail(w, "second mapping: page %zu is not the stamp", p);
		munmap(map, pages * fz_page);
		return true;
	}
	a->map = map;
	a->map_pages = pages;
	memset(a->mapped, 0, sizeof(a->mapped));
	for (p = 0; p < pages; p++)
		fz_set_mapped(a, p, true);
	if (!fz_verify(w, a, K_VERIFY))
		return false;
	return fz_chance(w, 40) ? fz_restamp(w, a) : true;
}

static bool fz_mmap_bad(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick(w, -1);
	uint64_t offset = fz_info.region_bytes + fz_page * fz_below(w, 1024);
	size_t len = fz_page * (1 + fz_below(w, 4));
	int fd = w->fd[fz_below(w, 2)], flags = MAP_SHARED;
	void *map;

	if (a) {
		switch (fz_below(w, 5)) {
		case 0:
			/* Its other file. */
			fd = w->fd[!a->file];
			offset = a->offset & ~(fz_page - 1);
			len = fz_page;
			break;
		case 1:
			fd = w->fd[a->file];
			offset = a->offset & ~(fz_page - 1);
			if (!fz_mappable(a)) {
				len = fz_page;	/* not its start, or sub-page */
				break;
			}
			len = a->granted + fz_page * (1 + fz_below(w, 4));
			if (a->granted > fz_page && fz_chance(w, 50)) {
				offset += fz_page * (1 + fz_below(w, a->granted / fz_page - 1));
				len = fz_page;	/* from its middle */
			}
			break;
		case 2:
			if (!fz_mappable(a))
				break;
			fd = w->fd[a->file];
			offset = a->offset;
			flags = MAP_PRIVATE;
			len = fz_page;
			break;
		default:
			break;
		}
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, offset);
	if (map != MAP_FAILED) {
		munmap(map, len);
		return fz_fail(w, "mmap of %zu bytes at %#llx (flags %#x) worked",
			       len, (unsigned long long)offset, flags);
	}
	return fz_check(w, K_MMAP_BAD, -errno, A_EINVAL, "mmap of no allocation");
}

/* Unmap some pages of a mapping: its vma splits. */
static bool fz_munmap_op(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick_mapped(w);
	size_t first, n;

	if (!a)
		return true;
	if (fz_chance(w, 30))
		return fz_unmap(w, a) && fz_verify(w, a, K_VERIFY);
	first = fz_below(w, a->map_pages);
	n = 1 + fz_below(w, a->map_pages - first);
	return fz_unmap_pages(w, a, first, n) && fz_verify(w, a, K_VERIFY);
}

static bool fz_mremap_op(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick_mapped(w);
	size_t len, n;
	void *to, *got;
	int ret;

	if (!a || !fz_whole_map(a))
		return true;
	len = a->map_pages * fz_page;
	switch (fz_below(w, 4)) {
	case 0:
		/* Grow: the mapping cannot expand (VM_DONTEXPAND). */
		got = mremap(a->map, len, len + fz_page * (1 + fz_below(w, 4)),
			     fz_chance(w, 50) ? MREMAP_MAYMOVE : 0);
		if (got != MAP_FAILED)
			return fz_fail(w, "mremap grew a mapping");
		return fz_check(w, K_MREMAP_BAD, -errno, A_EFAULT, "grow");
	case 1:
		got = mremap(a->map, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
		if (got != MAP_FAILED)
			return fz_fail(w, "mremap DONTUNMAP of a device mapping worked");
		ret = -errno;
		if (ret != -EINVAL)
			return fz_fail(w, "mremap DONTUNMAP of %p, %zu pages: %d; madvise there: %d",
				       a->map, a->map_pages, ret,
				       madvise(a->map, len, MADV_NORMAL) ? -errno : 0);
		return fz_check(w, K_MREMAP_BAD, ret, A_EINVAL, "MREMAP_DONTUNMAP");
	case 2:
		if (a->map_pages < 2)
			return true;
		n = 1 + fz_below(w, a->map_pages - 1);
		got = mremap(a->map, len, n * fz_page, 0);
		ret = got == MAP_FAILED ? -errno : 0;
		if (!fz_check(w, K_MREMAP, ret, A_OK, "shrink"))
			return false;
		if (got != a->map)
			return fz_fail(w, "mremap shrink moved the mapping");
		while (a->map_pages > n)
			fz_set_mapped(a, --a->map_pages, false);
		return fz_verify(w, a, K_VERIFY);
	default:
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED)
			return fz_fail(w, "mmap: %s", strerror(errno));
		got = mremap(a->map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		ret = got == MAP_FAILED ? -errno : 0;
		if (!fz_check(w, K_MREMAP, ret, A_OK, "move")) {
			munmap(to, len);
			return false;
		}
		if (got != to)
			return fz_fail(w, "mremap moved the mapping elsewhere");
		a->map = got;
		return fz_verify(w, a, K_VERIFY);
	}
}

/*
 * The child forked while @a is mapped: check the stamp through its copy of
 * the mapping, write @tag's, tell the parent, and wait for its word.
 */
static void __attribute__((noreturn))
fz_fork_child(const struct fz_alloc *a, uint64_t tag, int from_parent,
	      int to_parent)
{
	size_t p;
	char c;

	for (p = 0; p < a->map_pages; p++)
		if (fz_diff(a->map + p * fz_page, fz_page, a->tag,
			    a->offset + p * fz_page) != fz_page)
			_exit(2);
	fz_fill(a->map, a->map_pages * fz_page, tag, a->offset);
	if (write(to_parent, "s", 1) != 1 || read(from_parent, &c, 1) != 1)
		_exit(3);
	_exit(0);
}

/*
 * The parent, while the child that stamped @a's mapping with @tag lives:
 * stamp the rest through pwrite and, unless @keep, unmap its own mapping
 * and find FREE refused. Returns 0, or an error of the pwrite.
 */
static int fz_fork_parent(struct fz_worker *w, struct fz_alloc *a,
			  uint64_t tag, bool keep)
{
	uint64_t mapped = a->map_pages * fz_page;
	int ret = 0;

	/* The child's stamp, in the parent's mapping too. */
	a->tag = tag;
	if (a->granted > mapped) {
		fz_fill(w->buf, a->granted - mapped, tag, a->offset + mapped);
		ret = fz_pwrite(w->fd[a->file], w->buf, a->granted - mapped,
				a->offset + mapped);
	}
	if (!ret && !keep && fz_unmap(w, a)) {
		ret = bs_free(w->fd[a->file], a->handle);
		fz_check(w, K_FREE_MAPPED, ret, A_EBUSY,
			 "FREE while a forked child maps it");
		ret = 0;
	}
	return ret;
}

/*
 * Fork while an allocation is mapped: the child checks the stamp through
 * its copy of the mapping and writes a new one; the parent unmaps its own,
 * finds FREE refused while the child lives, and, once it has exited, the
 * child's stamp through pread.
 */
static bool fz_fork_op(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick_mapped(w);
	int to_child[2], to_parent[2], status, ret;
	uint64_t tag = fz_rand(w);
	bool keep = fz_chance(w, 40);
	char c = 0;
	pid_t pid;

	if (!a || !fz_whole_map(a))
		return true;
	if (pipe(to_child) || pipe(to_parent))
		return fz_fail(w, "pipe: %s", strerror(errno));
	__atomic_add_fetch(&fz_forks_alive, 1, __ATOMIC_SEQ_CST);
	pid = fork();
	if (pid < 0)
		return fz_fail(w, "fork: %s", strerror(errno));
	if (!pid)
		fz_fork_child(a, tag, to_child[0], to_parent[1]);
	close(to_child[0]);
	close(to_parent[1]);
	ret = read(to_parent[0], &c, 1) == 1 ? 0 : -EIO;
	if (!ret)
		ret = fz_fork_parent(w, a, tag, keep);
	if (write(to_child[1], "g", 1) != 1)
		ret = -EIO;
	close(to_child[1]);
	close(to_parent[0]);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	__atomic_sub_fetch(&fz_forks_alive, 1, __ATOMIC_SEQ_CST);
	if (w->dead)
		return false;
	if (ret || !WIFEXITED(status) || WEXITSTATUS(status))
		return fz_fail(w, "forked child: status %#x, %d", status, ret);
	fz_count(K_FORK, 0);
	if (!fz_verify(w, a, K_VERIFY))
		return false;
	return keep ? true : fz_release(w, a, false);
}

static bool fz_rw_op(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick(w, -1);
	int ret;

	if (!a)
		return true;
	if (fz_chance(w, 50))
		return fz_restamp(w, a);
	if (fz_chance(w, 10)) {
		ret = pread(w->fd[a->file], w->buf, 0, a->offset) ? -EIO : 0;
		return fz_check(w, K_PREAD, ret, A_OK, "pread of 0 bytes");
	}
	return fz_verify(w, a, K_PREAD);
}

/* pread or pwrite of one byte range that must be refused with @want. */
static bool fz_rw_refused(struct fz_worker *w, int fd, void *buf, size_t len,
			  off_t off, int want, const char *what)
{
	bool write = fz_chance(w, 50);
	ssize_t n;

	if (write && buf == w->buf)
		fz_fill(w->buf, len, fz_rand(w), 0);
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n >= 0)
		return fz_fail(w, "%s: %s of %zu bytes at %lld returned %zd",
			       what, write ? "pwrite" : "pread", len,
			       (long long)off, n);
	return fz_check(w, K_RW_BAD, -errno, fz_bit(want), what);
}

/* pread or pwrite past the end of @a: refused, and @a unchanged. */
static bool fz_rw_past_end(struct fz_worker *w, struct fz_alloc *a)
{
	uint64_t k = 1 + fz_below(w, a->granted < 64 ? a->granted : 64);

	if (!fz_rw_refused(w, w->fd[a->file], w->buf, k + 1 + fz_below(w, 100),
			   a->offset + a->granted - k, -EINVAL,
			   "past the end of an allocation"))
		return false;
	return fz_verify(w, a, K_VERIFY);
}

/*
 * A pwrite of @len bytes at @start of @a from @bad, which faults: refused.
 * The copy may have run until the fault, and the kernel's copy_from_user()
 * clears what it could not copy: the range reads as some of the buffer's
 * readable bytes, then zeroes or what was there. Nothing outside the range
 * may change.
 */
static bool fz_pwrite_bad_buffer(struct fz_worker *w, struct fz_alloc *a,
				 const uint8_t *bad, uint64_t start, size_t len)
{
	uint64_t readable = bad ? w->guard + fz_page - bad : 0;
	size_t i = 0;
	int ret;

	ret = pwrite(w->fd[a->file], bad, len, a->offset + start) < 0 ? -errno : 0;
	if (!fz_check(w, K_PWRITE_BAD_BUF, ret, A_EFAULT, "pwrite from a bad buffer"))
		return false;
	if (fz_pread(w->fd[a->file], w->buf, len, a->offset + start))
		return fz_fail(w, "pread after a bad pwrite");
	if (fz_diff(w->buf, len, a->tag, a->offset + start) == len)
		return fz_verify(w, a, K_VERIFY);
	if (readable > len)
		readable = len;
	while (i < readable && w->buf[i] == bad[i])
		i++;
	if (bs_zero_check(w->buf + i, len - i) != len - i &&
	    fz_diff(w->buf + i, len - i, a->tag, a->offset + start + i) != len - i)
		return fz_fail(w, "after a pwrite of %zu bytes from a bad buffer (%llu readable), byte %zu on is neither zero nor as it was",
			       len, (unsigned long long)readable, i);
	__atomic_add_fetch(&fz_sh->clobbered, 1, __ATOMIC_RELAXED);
	if (!fz_verify_outside(w, a, start, len))
		return false;
	return fz_restamp(w, a);
}

/*
 * pread or pwrite of part of @a with a bad buffer: NULL, PROT_NONE, or
 * running into PROT_NONE.
 */
static bool fz_rw_bad_buffer(struct fz_worker *w, struct fz_alloc *a)
{
	uint64_t start = fz_below(w, a->granted);
	size_t len = 1 + fz_below(w, a->granted - start);
	uint8_t *bad;
	int ret;

	if (len > fz_page)
		len = fz_page;
	bad = fz_chance(w, 30) ? NULL : w->guard + fz_page;
	if (bad && fz_chance(w, 50) && len > 1)
		bad -= len / 2;	/* half readable */
	if (fz_chance(w, 50)) {
		ret = pread(w->fd[a->file], bad, len, a->offset + start) < 0 ? -errno : 0;
		if (!fz_check(w, K_RW_BAD, ret, A_EFAULT, "pread into a bad buffer"))
			return false;
		return fz_verify(w, a, K_VERIFY);
	}
	return fz_pwrite_bad_buffer(w, a, bad, start, len);
}

static bool fz_rw_bad(struct fz_worker *w)
{
	int file = fz_below(w, 2);
	struct fz_alloc *a = fz_pick(w, -1), *other = fz_pick(w, !file);

	switch (fz_below(w, 5)) {
	case 0:
		/* Memory of this worker's other file. */
		if (!other)
			return true;
		return fz_rw_refused(w, w->fd[file], w->buf,
				     1 + fz_below(w, other->granted),
				     other->offset, -EFAULT, "another file's memory");
	case 1:
		return fz_rw_refused(w, w->fd[file], w->buf, 1 + fz_below(w, 4096),
				     fz_chance(w, 50) ? fz_info.region_bytes +
				     fz_below(w, 1 << 20) : (1LL << 62) + 5,
				     -EFAULT, "no memory of the device");
	case 2:
		return fz_rw_refused(w, w->fd[file], w->buf, 1 + fz_below(w, 4096),
				     -1 - (off_t)fz_below(w, 1 << 20), -EINVAL,
				     "a negative offset");
	case 3:
		return a ? fz_rw_past_end(w, a) : true;
	default:
		return a ? fz_rw_bad_buffer(w, a) : true;
	}
}

/*
 * Close the worker's own file and open it again. Its allocations go, but
 * those still mapped live on until unmapped: the stamps are still there.
 * The new file has none of them.
 */
static bool fz_reopen(struct fz_worker *w)
{
	struct fz_alloc kept[FUZZ_HELD];
	unsigned int i, n = 0;
	size_t p;
	int ret;

	for (i = 0; i < FUZZ_HELD; i++) {
		struct fz_alloc *a = &w->held[i];

		if (!a->handle || a->file != PRIV)
			continue;
		if (a->map && fz_chance(w, 70))
			kept[n++] = *a;
		else if (!fz_unmap(w, a))
			return false;
		if (a->cache)
			w->caches[a->cache - 1].live--;
		a->handle = 0;
	}
	for (i = 0; i < FUZZ_CACHES; i++) {
		if (w->caches[i].id && w->caches[i].file == PRIV)
			w->caches[i].id = 0;
	}
	memset(w->stale[PRIV], 0, sizeof(w->stale[PRIV]));
	memset(w->stale_cache[PRIV], 0, sizeof(w->stale_cache[PRIV]));
	ret = close(w->fd[PRIV]) ? -errno : 0;
	if (!fz_check(w, K_REOPEN, ret, A_OK, "close"))
		return false;
	w->fd[PRIV] = fz_open(w->faults);
	if (w->fd[PRIV] < 0)
		return fz_fail(w, "reopen: %s", strerror(errno));
	w->reopens++;
	for (i = 0; i < n; i++) {
		struct fz_alloc *a = &kept[i];

		for (p = 0; p < a->map_pages; p++)
			if (fz_page_mapped(a, p) &&
			    fz_diff(a->map + p * fz_page, fz_page, a->tag,
				    a->offset + p * fz_page) != fz_page)
				return fz_fail(w, "mapping outliving its file: page %zu is not the stamp", p);
		ret = fz_pread(w->fd[PRIV], w->buf, 1, a->offset);
		if (!fz_check(w, K_RW_BAD, ret, A_EFAULT, "pread of the closed file's memory"))
			return false;
		if (!fz_unmap(w, a))
			return false;
	}
	return true;
}

static bool fz_stats_op(struct fz_worker *w)
{
	int file = fz_below(w, 2), ret;
	struct buddyslab_stats stats;
	struct buddyslab_info info;
	uint64_t pages = fz_info.region_bytes / fz_page;

	if (fz_chance(w, 50)) {
		ret = bs_info(w->fd[file], &info);
		if (!fz_check(w, K_INFO, ret, A_OK, "info"))
			return false;
		if (info.abi_version != BUDDYSLAB_ABI_VERSION ||
		    info.region_bytes != fz_info.region_bytes ||
		    info.arena_bytes != fz_info.arena_bytes ||
		    info.nr_arenas != fz_info.nr_arenas ||
		    info.free_bytes > info.region_bytes)
			return fz_fail(w, "info changed: free %llu",
				       (unsigned long long)info.free_bytes);
		return true;
	}
	if (fz_chance(w, 20)) {
		/* The first version: the buddy's part alone. */
		ret = bs_ioctl(w->fd[file],
			       _IOR(BUDDYSLAB_IOC_MAGIC, 6, struct buddyslab_buddy_stats),
			       &stats.buddy);
		return fz_check(w, K_STATS, ret, A_OK | A_ENOMEM, "buddy stats");
	}
	ret = bs_stats(w->fd[file], &stats);
	if (!fz_check(w, K_STATS, ret, A_OK | A_ENOMEM, "stats"))
		return false;
	if (!ret && (stats.buddy.free_pages > pages || stats.buddy.used_pages > pages ||
		     stats.fit.used_bytes > fz_info.region_bytes))
		return fz_fail(w, "stats: %llu free, %llu used pages",
			       (unsigned long long)stats.buddy.free_pages,
			       (unsigned long long)stats.buddy.used_pages);
	return true;
}

/* A newer client's ALLOC structure: two fields more. */
struct fz_newer_alloc {
	struct buddyslab_alloc alloc;
	uint64_t extra[2];
};

/* A newer client's FREE structure: a field more. */
struct fz_newer_free {
	struct buddyslab_free free;
	uint64_t extra;
};

/* A malformed ioctl being made: on which file, which command, what argument. */
struct fz_ioctl {
	int fd;
	unsigned long cmd;
	void *arg;		/* &buf, zeroed, unless the case says otherwise */
	union {
		struct fz_newer_alloc alloc;
		struct fz_newer_free free;
	} buf;
};

static void fz_ioctl_unknown(struct fz_worker *w, struct fz_ioctl *io)
{
	static const unsigned long cmds[] = {
		_IO(BUDDYSLAB_IOC_MAGIC, 7),
		_IOWR(BUDDYSLAB_IOC_MAGIC, 0x40, struct buddyslab_alloc),
		_IOR('Z', 0, struct buddyslab_info),
		_IOW(BUDDYSLAB_IOC_MAGIC, 0, struct buddyslab_info),
		_IOR(BUDDYSLAB_IOC_MAGIC, 1, struct buddyslab_alloc),
		_IOWR(BUDDYSLAB_IOC_MAGIC, 2, struct buddyslab_free),
		_IO(BUDDYSLAB_IOC_MAGIC, 6),
	};

	io->cmd = cmds[fz_below(w, ARRAY_SIZE(cmds))];
}

/* ALLOC or STATS with a structure smaller than their first version. */
static void fz_ioctl_too_small(struct fz_worker *w, struct fz_ioctl *io)
{
	io->cmd = fz_chance(w, 50) ?
		  _IOC(_IOC_READ | _IOC_WRITE, BUDDYSLAB_IOC_MAGIC, 1, 8 * (1 + fz_below(w, 4))) :
		  _IOC(_IOC_READ, BUDDYSLAB_IOC_MAGIC, 6, 8 * fz_below(w, 10));
}

static void fz_ioctl_newer_alloc_set(struct fz_worker *w, struct fz_ioctl *io)
{
	int kind, cache;

	fz_good_request(w, 0, &io->buf.alloc.alloc, &kind, &cache);
	io->buf.alloc.alloc.cache_id = 0;
	io->buf.alloc.extra[1] = 1 + fz_below(w, UINT32_MAX);
	io->cmd = _IOC(_IOC_READ | _IOC_WRITE, BUDDYSLAB_IOC_MAGIC, 1,
		       sizeof(io->buf.alloc));
}

static void fz_ioctl_unreadable(struct fz_worker *w, struct fz_ioctl *io)
{
	static const unsigned long cmds[] = {
		BUDDYSLAB_IOC_INFO, BUDDYSLAB_IOC_ALLOC, BUDDYSLAB_IOC_FREE,
		BUDDYSLAB_IOC_CACHE_CREATE, BUDDYSLAB_IOC_CACHE_DESTROY,
		BUDDYSLAB_IOC_STATS,
	};

	io->cmd = cmds[fz_below(w, ARRAY_SIZE(cmds))];
	io->arg = fz_chance(w, 50) ? NULL : w->guard + fz_page;
}

/* Running from a readable page into PROT_NONE. */
static void fz_ioctl_half_readable(struct fz_worker *w, struct fz_ioctl *io)
{
	io->cmd = BUDDYSLAB_IOC_ALLOC;
	io->arg = w->guard + fz_page - 8;
}

/* On the file of an allocation held, if there is one: its handle. */
static void fz_ioctl_newer_free_set(struct fz_worker *w, struct fz_ioctl *io)
{
	struct fz_alloc *a = fz_pick(w, -1);

	if (a) {
		io->fd = w->fd[a->file];
		io->buf.free.free.handle = a->handle;
	}
	io->buf.free.extra = 1 + fz_below(w, 100);
	io->cmd = _IOC(_IOC_WRITE, BUDDYSLAB_IOC_MAGIC, 2, sizeof(io->buf.free));
}

/* The malformed ioctls: how each is made, and the errors it may get. */
static const struct {
	void (*make)(struct fz_worker *w, struct fz_ioctl *io);
	unsigned int allowed;
	const char *what;
} fz_bad_ioctls[] = {
	{ fz_ioctl_unknown, A_ENOTTY, "unknown ioctl" },
	{ fz_ioctl_too_small, A_EINVAL, "structure too small" },
	{ fz_ioctl_newer_alloc_set, A_E2BIG, "newer structure, field set" },
	{ fz_ioctl_unreadable, A_EFAULT, "unreadable argument" },
	{ fz_ioctl_half_readable, A_EFAULT, "half-readable argument" },
	{ fz_ioctl_newer_free_set, A_E2BIG, "newer FREE, field set" },
};

/* Unknown ioctls, wrong sizes and directions, unreadable arguments. */
static bool fz_ioctl_bad(struct fz_worker *w)
{
	struct fz_ioctl io = { .fd = w->fd[fz_below(w, 2)] };
	unsigned int i = fz_below(w, ARRAY_SIZE(fz_bad_ioctls)), allowed;
	int ret;

	io.arg = &io.buf;
	fz_bad_ioctls[i].make(w, &io);
	ret = bs_ioctl(io.fd, io.cmd, io.arg);
	allowed = fz_bad_ioctls[i].allowed;
	/* STATS may find no memory for its snapshot first. */
	if (io.cmd == BUDDYSLAB_IOC_STATS)
		allowed |= A_ENOMEM;
	return fz_check(w, K_IOCTL_BAD, ret, allowed, fz_bad_ioctls[i].what);
}

/* A newer client's ALLOC structure with its new fields zero: an allocation. */
static bool fz_alloc_newer(struct fz_worker *w)
{
	struct fz_newer_alloc req;
	int file, kind, cache, ret;

	if (!fz_free_slots(w))
		return true;
	file = fz_below(w, 2);
	fz_good_request(w, file, &req.alloc, &kind, &cache);
	memset(req.extra, 0, sizeof(req.extra));
	ret = bs_ioctl(w->fd[file], _IOC(_IOC_READ | _IOC_WRITE,
					 BUDDYSLAB_IOC_MAGIC, 1, sizeof(req)), &req);
	if (!fz_check(w, K_IOCTL_NEWER, ret, A_OK | A_RES, "newer structure, zero"))
		return false;
	if (!ret && (req.extra[0] || req.extra[1]))
		return fz_fail(w, "the driver wrote past its structure");
	return ret ? true : fz_take(w, file, &req.alloc, kind, cache);
}

/*
 * A well-formed ALLOC or CACHE_CREATE whose result cannot be written back:
 * undone, EFAULT. The final check sees a leak.
 */
static bool fz_result_unwritable(struct fz_worker *w)
{
	int file = fz_below(w, 2), kind, cache, ret;
	struct buddyslab_cache_create *cc = (void *)w->ro;
	unsigned long cmd;

	if (mprotect(w->ro, fz_page, PROT_READ | PROT_WRITE))
		return fz_fail(w, "mprotect: %s", strerror(errno));
	if (fz_chance(w, 70)) {
		fz_good_request(w, file, (struct buddyslab_alloc *)w->ro, &kind,
				&cache);
		cmd = BUDDYSLAB_IOC_ALLOC;
	} else {
		memset(cc, 0, sizeof(*cc));
		fz_cache_name(w, cc->name);
		cc->object_size = 1 + fz_below(w, 4096);
		cmd = BUDDYSLAB_IOC_CACHE_CREATE;
	}
	if (mprotect(w->ro, fz_page, PROT_READ))
		return fz_fail(w, "mprotect: %s", strerror(errno));
	ret = bs_ioctl(w->fd[file], cmd, w->ro);
	return fz_check(w, K_ALLOC_UNWRITABLE, ret, A_EFAULT | A_RES,
			"result unwritable");
}

static const char *const fz_debugfs_files[] = {
	"buddyinfo", "unusable_index", "extfrag_index", "slabinfo", "fitinfo",
	"stats", "map", "validate",
};

/* The validate file's text: every allocator ok (or short of memory, with faults). */
static bool fz_validate_ok(struct fz_worker *w, const char *text)
{
	static const char *const names[] = { "buddy", "slab", "fit" };
	char line[64];
	unsigned int i;

	if (!strcmp(text, BS_VALID))
		return true;
	for (i = 0; w->faults && i < 3; i++) {
		snprintf(line, sizeof(line), "%s: ok\n", names[i]);
		if (strstr(text, line))
			continue;
		snprintf(line, sizeof(line), "%s: corrupt (-12)", names[i]);
		if (!strstr(text, line))
			return false;
	}
	return w->faults;
}

static int fz_write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s)) < 0 ? -errno : 0;
}

static bool fz_debugfs_op(struct fz_worker *w)
{
	static const char *const bad[] = { "0", "n", "off", "banana", "2" };
	char path[128];
	int fd, ret;

	switch (fz_below(w, 4)) {
	case 0:
	case 1:
		snprintf(path, sizeof(path), "%s/%s", BS_DEBUGFS,
			 fz_debugfs_files[fz_below(w, 8)]);
		ret = bs_read_file(path, w->dbuf, FUZZ_DBUF);
		if (!fz_check(w, K_DEBUGFS, ret < 0 ? ret : 0, A_OK, path))
			return false;
		if (ret == 0)
			return fz_fail(w, "%s is empty", path);
		return true;
	case 2:
		fd = open(BS_DEBUGFS "/validate", O_RDWR);
		if (fd < 0)
			return fz_fail(w, "open validate: %s", strerror(errno));
		ret = write(fd, "1", 1) == 1 ? 0 : -errno;
		close(fd);
		if (!fz_check(w, K_VALIDATE, ret, A_OK, "write 1"))
			return false;
		ret = bs_read_file(BS_DEBUGFS "/validate", w->dbuf, FUZZ_DBUF);
		if (ret < 0)
			return fz_fail(w, "read validate: %s", strerror(-ret));
		if (!fz_validate_ok(w, w->dbuf))
			return fz_fail(w, "validate under load: %s", w->dbuf);
		return true;
	default:
		fd = open(BS_DEBUGFS "/validate", O_WRONLY);
		if (fd < 0)
			return fz_fail(w, "open validate: %s", strerror(errno));
		if (fz_chance(w, 20)) {
			ret = write(fd, w->guard + fz_page, 1) < 0 ? -errno : 0;
			close(fd);
			return fz_check(w, K_VALIDATE_BAD, ret, A_EFAULT, "unreadable buffer");
		}
		ret = fz_write_str(fd, bad[fz_below(w, 5)]);
		close(fd);
		return fz_check(w, K_VALIDATE_BAD, ret, A_EINVAL, "not a true value");
	}
}

static bool fz_verify_op(struct fz_worker *w)
{
	struct fz_alloc *a = fz_pick(w, -1);

	return a ? fz_verify(w, a, K_VERIFY) : true;
}

/* The requests, by their share of a thousand. */
static const struct {
	unsigned int share;
	bool (*fn)(struct fz_worker *w);
	const char *name;
} fz_steps[] = {
	{ 200, fz_alloc_good, "alloc" },
	{ 50, fz_alloc_bad, "alloc-bad" },
	{ 140, fz_free_op, "free" },
	{ 30, fz_free_bad, "free-bad" },
	{ 50, fz_batch, "batch" },
	{ 15, fz_batch_bad, "batch-bad" },
	{ 30, fz_cache_op, "cache" },
	{ 15, fz_cache_create_bad, "cache-create-bad" },
	{ 15, fz_cache_destroy_bad, "cache-destroy-bad" },
	{ 55, fz_mmap_op, "mmap" },
	{ 25, fz_mmap_bad, "mmap-bad" },
	{ 30, fz_munmap_op, "munmap" },
	{ 20, fz_mremap_op, "mremap" },
	{ 8, fz_fork_op, "fork" },
	{ 80, fz_rw_op, "rw" },
	{ 40, fz_rw_bad, "rw-bad" },
	{ 5, fz_reopen, "reopen" },
	{ 22, fz_stats_op, "stats" },
	{ 20, fz_ioctl_bad, "ioctl-bad" },
	{ 3, fz_alloc_newer, "alloc-newer" },
	{ 7, fz_result_unwritable, "result-unwritable" },
	{ 20, fz_debugfs_op, "debugfs" },
	{ 118, fz_verify_op, "verify" },
	{ 2, fz_cache_flood, "cache-flood" },
};

/* One random request. */
static bool fz_step(struct fz_worker *w)
{
	unsigned int r = fz_below(w, 1000), i;

	w->ops++;
	__atomic_add_fetch(&fz_sh->ops, 1, __ATOMIC_RELAXED);
	for (i = 0; r >= fz_steps[i].share; i++)
		r -= fz_steps[i].share;
	w->trace[w->ops % FUZZ_TRACE] = fz_steps[i].name;
	return fz_steps[i].fn(w);
}

/* Give everything back: unmap, check, free, destroy, close. */
static bool fz_wind_down(struct fz_worker *w)
{
	unsigned int i;
	int ret;

	for (i = 0; i < FUZZ_HELD && !w->dead; i++)
		if (w->held[i].handle)
			fz_release(w, &w->held[i], true);
	for (i = 0; i < FUZZ_CACHES && !w->dead; i++)
		if (w->caches[i].id && !w->caches[i].live)
			fz_cache_destroy(w, &w->caches[i]);
	if (w->dead)
		return false;
	ret = close(w->fd[PRIV]) ? -errno : 0;
	return fz_check(w, K_REOPEN, ret, A_OK, "close");
}

struct fz_thread {
	pthread_t thread;
	unsigned int id;
	unsigned int phase;
	bool faults;
	int shared_fd;
	double end;
	bool ok;
};

static void *fz_thread_main(void *arg)
{
	struct fz_thread *t = arg;
	struct fz_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->id = t->id;
	w->faults = t->faults;
	w->rng = bs_mix64(fz_seed ^ bs_mix64((uint64_t)t->phase << 32 | (t->id + 1)));
	w->fd[SHARED] = t->shared_fd;
	w->fd[PRIV] = fz_open(w->faults);
	w->buf = malloc(fz_info.arena_bytes + fz_page);
	w->dbuf = malloc(FUZZ_DBUF);
	w->ro = mmap(NULL, fz_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->guard = mmap(NULL, 2 * fz_page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->fd[PRIV] < 0 || !w->buf || !w->dbuf || w->ro == MAP_FAILED ||
	    w->guard == MAP_FAILED || mprotect(w->guard + fz_page, fz_page, PROT_NONE)) {
		fz_fail(w, "worker setup: %s", strerror(errno));
		return NULL;
	}
	while (!w->dead && fz_now() < t->end &&
	       !__atomic_load_n(&fz_sh->stop, __ATOMIC_RELAXED))
		fz_step(w);
	t->ok = !w->dead && fz_wind_down(w);
	return NULL;
}

/* A worker process: its threads share one open file. */
static int fz_process(unsigned int proc, unsigned int phase, bool faults,
		      double end)
{
	struct fz_thread t[FUZZ_THREADS];
	int fd = fz_open(faults);
	unsigned int i;
	bool ok = fd >= 0;

	if (!ok)
		return 2;
	for (i = 0; i < FUZZ_THREADS; i++) {
		t[i] = (struct fz_thread){
			.id = proc * FUZZ_THREADS + i, .phase = phase,
			.faults = faults, .shared_fd = fd, .end = end,
		};
		if (pthread_create(&t[i].thread, NULL, fz_thread_main, &t[i]))
			return 2;
	}
	for (i = 0; i < FUZZ_THREADS; i++) {
		pthread_join(t[i].thread, NULL);
		ok = ok && t[i].ok;
	}
	if (fd >= 0 && close(fd))
		ok = false;
	return ok ? 0 : 1;
}


FIXTURE(fuzz) {
	int fd;
	struct buddyslab_info info;
	struct buddyslab_stats before;
};

FIXTURE_SETUP(fuzz)
{
	bs_dev_setup(_metadata, &self->fd, &self->info);
	fz_info = self->info;
	fz_page = self->info.page_size;
	ASSERT_EQ(0, self->info.arena_bytes % fz_page);
	ASSERT_GE(FUZZ_MAX_PAGES, self->info.arena_bytes / fz_page);
	fz_sh = mmap(NULL, sizeof(*fz_sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz_sh);
	ASSERT_EQ(0, bs_stats(self->fd, &self->before));
}

FIXTURE_TEARDOWN(fuzz)
{
	bs_dev_teardown(_metadata, self->fd, &self->info);
	munmap(fz_sh, sizeof(*fz_sh));
}

/* The workers of one phase, until @seconds are up, then their verdict. */
static void fz_run(struct __test_metadata *_metadata, unsigned int phase,
		   bool faults, unsigned int seconds)
{
	double start = fz_now(), end = start + seconds;
	pid_t pids[FUZZ_PROCS];
	unsigned int i, running = FUZZ_PROCS;
	int status;

	for (i = 0; i < FUZZ_PROCS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(fz_process(i, phase, faults, end));
	}
	while (running) {
		for (i = 0; i < FUZZ_PROCS; i++) {
			if (!pids[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			pids[i] = 0;
			running--;
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("worker process %u: status %#x", i, status);
		}
		if (running && fz_now() > end + FUZZ_GRACE) {
			for (i = 0; i < FUZZ_PROCS; i++)
				if (pids[i])
					kill(pids[i], SIGKILL);
			ASSERT_EQ(0, running)
				TH_LOG("%u worker processes still running %d s after the end",
				       running, FUZZ_GRACE);
		}
		if (running)
			usleep(100000);
	}
	EXPECT_EQ(0, fz_sh->failed) TH_LOG("%s", fz_sh->failure);
	printf("# phase %s: %llu requests in %.0f s by %u processes of %u threads\n",
	       faults ? "with injected failures" : "requests",
	       (unsigned long long)fz_sh->ops, fz_now() - start, FUZZ_PROCS,
	       FUZZ_THREADS);
	EXPECT_LT(0, fz_sh->ops);
}

static uint64_t fz_sum(const uint64_t *v, unsigned int n)
{
	uint64_t s = 0;

	while (n--)
		s += v[n];
	return s;
}

/* What the workers got, request kind by request kind. */
static void fz_print_counts(void)
{
	char line[1024];
	unsigned int k, e;
	int n;

	for (k = 0; k < FZ_KINDS; k++) {
		if (!fz_sum(fz_sh->count[k], FUZZ_ERRNOS))
			continue;
		n = snprintf(line, sizeof(line), "%-28s %7llu ok", fz_kind_names[k],
			     (unsigned long long)fz_sh->count[k][0]);
		for (e = 1; e < FUZZ_ERRNOS; e++)
			if (fz_sh->count[k][e] && n < (int)sizeof(line))
				n += snprintf(line + n, sizeof(line) - n, ", %llu %s",
					      (unsigned long long)fz_sh->count[k][e],
					      e == FUZZ_ERRNOS - 1 ? "other" :
					      strerrorname_np(e) ?: "?");
		printf("# %s\n", line);
	}
	printf("# pwrites from a bad buffer that cleared the range: %llu\n",
	       (unsigned long long)fz_sh->clobbered);
}

/* What the device's counters moved by. */
static void fz_print_stats(const struct buddyslab_stats *b,
			   const struct buddyslab_stats *a, unsigned int orders)
{
	char line[512];
	unsigned int i, n;
	uint64_t v[8] = { 0 };

	n = snprintf(line, sizeof(line), "buddy allocs by order:");
	for (i = 0; i <= orders && i < BUDDYSLAB_STATS_ORDERS; i++)
		n += snprintf(line + n, sizeof(line) - n, " %llu",
			      (unsigned long long)(a->buddy.allocs[i] - b->buddy.allocs[i]));
	printf("# %s\n", line);
	printf("# buddy: %llu splits, %llu merges, pcp %llu hits %llu misses %llu drains, %llu refused for want of memory\n",
	       (unsigned long long)(a->buddy.splits - b->buddy.splits),
	       (unsigned long long)(a->buddy.merges - b->buddy.merges),
	       (unsigned long long)(a->buddy.pcp_hits - b->buddy.pcp_hits),
	       (unsigned long long)(a->buddy.pcp_misses - b->buddy.pcp_misses),
	       (unsigned long long)(a->buddy.pcp_drains - b->buddy.pcp_drains),
	       (unsigned long long)(a->buddy.alloc_fails - b->buddy.alloc_fails));
	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++) {
		const struct buddyslab_slab_cache_stats *x = &a->slab.classes[i];
		const struct buddyslab_slab_cache_stats *y = &b->slab.classes[i];

		v[0] += x->allocs - y->allocs;
		v[1] += x->frees - y->frees;
		v[2] += x->magazine_hits - y->magazine_hits;
		v[3] += x->magazine_misses - y->magazine_misses;
		v[4] += x->slabs_created - y->slabs_created;
		v[5] += x->slabs_freed - y->slabs_freed;
	}
	printf("# slab size classes: %llu allocs, %llu frees, magazine %llu hits %llu misses, %llu slabs created, %llu freed; all caches: %llu refused for want of memory\n",
	       (unsigned long long)v[0], (unsigned long long)v[1],
	       (unsigned long long)v[2], (unsigned long long)v[3],
	       (unsigned long long)v[4], (unsigned long long)v[5],
	       (unsigned long long)(a->slab.alloc_fails - b->slab.alloc_fails));
	printf("# fit allocs first/next/best/worst: %llu/%llu/%llu/%llu, refused %llu/%llu/%llu/%llu; %llu frees, %llu merges\n",
	       (unsigned long long)(a->fit.allocs[0] - b->fit.allocs[0]),
	       (unsigned long long)(a->fit.allocs[1] - b->fit.allocs[1]),
	       (unsigned long long)(a->fit.allocs[2] - b->fit.allocs[2]),
	       (unsigned long long)(a->fit.allocs[3] - b->fit.allocs[3]),
	       (unsigned long long)(a->fit.fails[0] - b->fit.fails[0]),
	       (unsigned long long)(a->fit.fails[1] - b->fit.fails[1]),
	       (unsigned long long)(a->fit.fails[2] - b->fit.fails[2]),
	       (unsigned long long)(a->fit.fails[3] - b->fit.fails[3]),
	       (unsigned long long)(a->fit.frees - b->fit.frees),
	       (unsigned long long)(a->fit.merges - b->fit.merges));
	printf("# genpool allocs first/best: %llu/%llu, refused %llu/%llu; %llu frees\n",
	       (unsigned long long)(a->genpool.allocs[0] - b->genpool.allocs[0]),
	       (unsigned long long)(a->genpool.allocs[1] - b->genpool.allocs[1]),
	       (unsigned long long)(a->genpool.fails[0] - b->genpool.fails[0]),
	       (unsigned long long)(a->genpool.fails[1] - b->genpool.fails[1]),
	       (unsigned long long)(a->genpool.frees - b->genpool.frees));
	printf("# byte buddy: %llu allocs, %llu refused, %llu frees, %llu splits, %llu merges\n",
	       (unsigned long long)(a->byte_buddy.allocs - b->byte_buddy.allocs),
	       (unsigned long long)(a->byte_buddy.fails - b->byte_buddy.fails),
	       (unsigned long long)(a->byte_buddy.frees - b->byte_buddy.frees),
	       (unsigned long long)(a->byte_buddy.splits - b->byte_buddy.splits),
	       (unsigned long long)(a->byte_buddy.merges - b->byte_buddy.merges));
}

/*
 * Every worker gone and its files closed: every page is back once the
 * caches give theirs up, every allocator is consistent, and nothing a
 * client can do has moved the slab's error counters or the refused frees.
 */
static void fz_check_device(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fuzz) *self)
{
	struct buddyslab_stats after;
	unsigned int i;

	ASSERT_EQ(0, bs_reclaim(self->fd, &self->info));
	EXPECT_EQ(self->info.region_bytes, bs_free_bytes(self->fd));
	bs_expect_valid(_metadata);
	ASSERT_EQ(0, bs_stats(self->fd, &after));
	EXPECT_EQ(self->before.slab.redzone_errors, after.slab.redzone_errors);
	EXPECT_EQ(self->before.slab.poison_errors, after.slab.poison_errors);
	EXPECT_EQ(self->before.slab.double_frees, after.slab.double_frees);
	EXPECT_EQ(self->before.slab.invalid_frees, after.slab.invalid_frees);
	EXPECT_EQ(self->before.buddy.frees_refused, after.buddy.frees_refused);
	EXPECT_EQ(self->before.fit.frees_refused, after.fit.frees_refused);
	EXPECT_EQ(self->before.genpool.frees_refused,
		  after.genpool.frees_refused);
	EXPECT_EQ(self->before.byte_buddy.frees_refused,
		  after.byte_buddy.frees_refused);
	EXPECT_EQ(0, after.fit.used_bytes);
	EXPECT_EQ(0, after.buddy.used_pages);
	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++)
		EXPECT_EQ(0, after.slab.classes[i].active_objs) TH_LOG("class %u", i);
	fz_print_counts();
	fz_print_stats(&self->before, &after, self->info.max_order);
}

static bool fz_have_faults(void)
{
	return access(FUZZ_FAIL_DIR, F_OK) == 0;
}

/* Seconds for the phase with injected failures: a quarter, if there is one. */
static unsigned int fz_fault_seconds(void)
{
	unsigned int s = fz_seconds / 4;

	return fz_have_faults() ? (s ?: 1) : 0;
}

#define FUZZ_TIMEOUT	(7 * 24 * 3600)	/* fz_run() has its own, from the seconds */

TEST_F_TIMEOUT(fuzz, requests, FUZZ_TIMEOUT)
{
	unsigned int seconds = fz_seconds - fz_fault_seconds();

	fz_run(_metadata, 0, false, seconds ?: 1);
	fz_check_device(_metadata, self);
}

static const char *const fz_fault_knobs[] = {
	"probability", "interval", "times", "verbose",
};

TEST_F_TIMEOUT(fuzz, injected_faults, FUZZ_TIMEOUT)
{
	static const char *const values[] = { "2", "1", "-1", "0" };
	char saved[4][64], path[128];
	unsigned int i;
	int fd, ret;

	if (!fz_have_faults())
		SKIP(return, "no fault injection: %s does not exist", FUZZ_FAIL_DIR);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", FUZZ_FAIL_DIR, fz_fault_knobs[i]);
		ASSERT_LT(0, bs_read_file(path, saved[i], sizeof(saved[i])))
			TH_LOG("%s", path);
	}
	/* Probability last: the others are in place when failures begin. */
	for (i = 4; i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", FUZZ_FAIL_DIR, fz_fault_knobs[i]);
		fd = open(path, O_WRONLY);
		ASSERT_LE(0, fd) TH_LOG("%s", path);
		ret = write(fd, values[i], strlen(values[i]));
		close(fd);
		ASSERT_EQ((int)strlen(values[i]), ret) TH_LOG("%s", path);
	}
	fz_run(_metadata, 1, true, fz_fault_seconds());
	/* Probability first: no failure once the others change back. */
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", FUZZ_FAIL_DIR, fz_fault_knobs[i]);
		fd = open(path, O_WRONLY);
		ASSERT_LE(0, fd) TH_LOG("%s", path);
		ret = write(fd, saved[i], strlen(saved[i]));
		close(fd);
		EXPECT_EQ((int)strlen(saved[i]), ret) TH_LOG("%s", path);
	}
	fz_check_device(_metadata, self);
}

TEST_HARNESS_MAIN
