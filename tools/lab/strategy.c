// SPDX-License-Identifier: GPL-2.0
/*
 * strategy.c: the laboratory's strategies, and what running one on the
 * device takes, for the replay and the adversary alike.
 *
 * A strategy is an allocator of the device and its policy. Before one
 * runs, the region must be whole (lab_device_whole()): every strategy
 * starts from the same free lists, and none inherits another's slabs,
 * arenas or cached pages. While one runs, the same figures are taken of
 * every strategy: the footprint, counted client-side per page of the
 * region from each allocation's offset and requested size, and from STATS
 * the pages the strategy holds and the free space inside them
 * (lab_figures_read()). Every output records how it was made in a header
 * of "key: value" pairs: the trace, the machine, the module, the date.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"

#define LAB_WHOLE_FILES	64	/* files lab_device_whole() may open */
#define LAB_QUOTA_PATH	"/sys/module/buddyslab/parameters/max_bytes_per_file"

const struct lab_strategy lab_strategies[] = {
	{ "buddy", BUDDYSLAB_ALLOC_BUDDY, 0, 1,
	  "page-granular: byte sizes round up to a power of two of pages" },
	{ "slab", BUDDYSLAB_ALLOC_SLAB, 0, 1,
	  "size classes 8 to 8192 bytes; larger requests are buddy blocks" },
	{ "fit:first", BUDDYSLAB_ALLOC_FIT, BUDDYSLAB_FIT_FIRST, 1, NULL },
	{ "fit:next", BUDDYSLAB_ALLOC_FIT, BUDDYSLAB_FIT_NEXT, 1, NULL },
	{ "fit:best", BUDDYSLAB_ALLOC_FIT, BUDDYSLAB_FIT_BEST, 1, NULL },
	{ "fit:worst", BUDDYSLAB_ALLOC_FIT, BUDDYSLAB_FIT_WORST, 1, NULL },
	{ "bytebuddy", BUDDYSLAB_ALLOC_BYTE_BUDDY, 0, 2,
	  "binary buddy at 16-byte grain inside arenas" },
	{ "genpool:first", BUDDYSLAB_ALLOC_GENPOOL, BUDDYSLAB_GENPOOL_FIRST, 2,
	  NULL },
	{ "genpool:best", BUDDYSLAB_ALLOC_GENPOOL, BUDDYSLAB_GENPOOL_BEST, 2,
	  NULL },
	{ NULL }
};

/**
 * lab_err() - say what went wrong, as buddyslabctl says it
 * @fmt: printf format of the message, without its newline
 */
void lab_err(const char *fmt, ...)
{
	va_list ap;

	fputs("buddyslabctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/**
 * lab_strategy_find() - a strategy by its name
 * @name: "buddy", "fit:best", ...
 *
 * Return: the strategy, or NULL if none has that name.
 */
const struct lab_strategy *lab_strategy_find(const char *name)
{
	const struct lab_strategy *s;

	for (s = lab_strategies; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/**
 * lab_strategy_parse() - the strategy an --allocator argument names
 * @cmd: the command, for the message
 * @name: the argument: a strategy's name, or "all"
 * @s: set to the strategy, or to NULL for "all"
 *
 * Return: 0, or -1 once it said that no strategy has that name.
 */
int lab_strategy_parse(const char *cmd, const char *name,
		       const struct lab_strategy **s)
{
	*s = strcmp(name, "all") ? lab_strategy_find(name) : NULL;
	if (*s || !strcmp(name, "all"))
		return 0;
	fprintf(stderr, "buddyslabctl: %s: no allocator '%s': give all, ", cmd,
		name);
	lab_print_strategies(stderr);
	fputc('\n', stderr);
	return -1;
}

/**
 * lab_print_strategies() - the strategies' names, "a, b or c"
 * @out: where to
 */
void lab_print_strategies(FILE *out)
{
	const struct lab_strategy *s;

	for (s = lab_strategies; s->name; s++)
		fprintf(out, "%s%s", s == lab_strategies ? "" :
			s[1].name ? ", " : " or ", s->name);
}

/**
 * lab_parse_u64() - a count or a byte size: decimal or 0x hex, K/M/G suffix
 * @s: the text
 * @v: filled in
 *
 * Return: 0, or -1 if @s is no such number.
 */
int lab_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (!s || *s == '-')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || n > UINT64_MAX >> shift)
		return -1;
	*v = (uint64_t)n << shift;
	return 0;
}

/**
 * lab_parse_events() - which events of an ftrace log to replay
 * @s: "objects", "pages" or "all"
 * @events: filled in with TRACE_EVENTS_*
 *
 * Return: 0, or -1 if @s names none.
 */
int lab_parse_events(const char *s, unsigned int *events)
{
	if (!strcmp(s, "objects"))
		*events = TRACE_EVENTS_OBJECTS;
	else if (!strcmp(s, "pages"))
		*events = TRACE_EVENTS_PAGES;
	else if (!strcmp(s, "all"))
		*events = TRACE_EVENTS_ALL;
	else
		return -1;
	return 0;
}

/**
 * lab_now() - the wall clock
 *
 * Return: nanoseconds since some moment of the past.
 */
uint64_t lab_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/**
 * lab_device_init() - read the device's geometry
 * @dev: filled in
 * @fd: an open file of the device
 * @path: the device's path, to open more files of it
 *
 * Return: 0, or -1 once it said what failed.
 */
int lab_device_init(struct lab_device *dev, int fd, const char *path)
{
	char buf[32];
	uint64_t quota;
	FILE *f;

	memset(dev, 0, sizeof(*dev));
	dev->fd = fd;
	dev->path = path;
	if (ioctl(fd, BUDDYSLAB_IOC_INFO, &dev->info)) {
		lab_err("info: %s", strerror(errno));
		return -1;
	}
	dev->nr_pages = dev->info.region_bytes / dev->info.page_size;
	/* 0 is the default, half the region. */
	f = fopen(LAB_QUOTA_PATH, "r");
	if (f && fgets(buf, sizeof(buf), f) && !lab_parse_u64(strtok(buf, "\n"), &quota))
		dev->quota_is_region = quota >= dev->info.region_bytes &&
				       !geteuid();
	if (f)
		fclose(f);
	return 0;
}

/**
 * lab_failed() - whether an allocation's error is the strategy's failure
 * @dev: the device
 * @req: the allocation
 * @err: the allocation's negative errno
 *
 * ENOMEM is; so is EDQUOT when the file's quota is the whole region (and
 * root's files have no other limit): the region could not hold what the
 * strategy would grant; and so is EINVAL for more than an arena, which no
 * strategy of the device serves (a program's 16 MiB malloc is a failure
 * of the laboratory's allocators, not of the trace). Any other error is
 * not the strategy's.
 *
 * Return: true if the allocation is to be counted as a failure.
 */
bool lab_failed(const struct lab_device *dev,
		const struct buddyslab_alloc *req, int err)
{
	return err == -ENOMEM || (err == -EDQUOT && dev->quota_is_region) ||
	       (err == -EINVAL && req->size > dev->info.arena_bytes);
}

/**
 * lab_strategy_usable() - whether the running module has a strategy
 * @dev: the device
 * @s: the strategy
 *
 * Return: true if the module's ABI version has it.
 */
bool lab_strategy_usable(const struct lab_device *dev,
			 const struct lab_strategy *s)
{
	return dev->info.abi_version >= s->min_abi;
}

/**
 * lab_device_whole() - make sure the whole region is free, and say if not
 * @dev: the device; its file must hold nothing
 *
 * Allocates the region whole, arena by arena, from files of its own, then
 * closes them, which frees it all. A request that finds no free arena
 * makes the buddy drain its per-CPU caches and the slab give back its
 * empty slabs and magazines, and is tried again: so if no client holds
 * memory, every arena can be had, and the next strategy starts from free
 * lists holding the region as whole arenas. More than one file is used
 * when one file's quota (max_bytes_per_file) is less than the region.
 *
 * Return: 0 if the region is whole and free, else -1 once it said so.
 */
int lab_device_whole(struct lab_device *dev)
{
	struct buddyslab_alloc req;
	int fds[LAB_WHOLE_FILES], nr_fds = 0, in_file = 0, i, err = 0;
	uint32_t got = 0;

	while (got < dev->info.nr_arenas) {
		if (!nr_fds || err == EDQUOT) {
			/* A fresh file that got nothing: the user's limit. */
			if ((nr_fds && !in_file) || nr_fds == LAB_WHOLE_FILES)
				break;
			fds[nr_fds] = open(dev->path, O_RDWR | O_CLOEXEC);
			if (fds[nr_fds] < 0) {
				err = errno;
				break;
			}
			nr_fds++;
			in_file = 0;
		}
		memset(&req, 0, sizeof(req));
		req.size = dev->info.arena_bytes;
		req.allocator = BUDDYSLAB_ALLOC_BUDDY;
		err = ioctl(fds[nr_fds - 1], BUDDYSLAB_IOC_ALLOC, &req) ? errno : 0;
		if (err && err != EDQUOT)
			break;
		if (!err) {
			got++;
			in_file++;
		}
	}
	for (i = 0; i < nr_fds; i++)
		close(fds[i]);
	if (err && err != ENOMEM) {
		lab_err("%s: allocating the region to check it is whole: %s%s",
			dev->path, strerror(err), lab_errno_hint(err));
		return -1;
	}
	if (ioctl(dev->fd, BUDDYSLAB_IOC_INFO, &dev->info)) {
		lab_err("info: %s", strerror(errno));
		return -1;
	}
	if (got < dev->info.nr_arenas ||
	    dev->info.free_bytes != dev->info.region_bytes) {
		lab_err("the region is not whole: %llu of its %llu KiB are free, %u of its %u arenas could be had; another client holds memory (each strategy must start from a whole region)",
			(unsigned long long)dev->info.free_bytes >> 10,
			(unsigned long long)dev->info.region_bytes >> 10,
			got, dev->info.nr_arenas);
		return -1;
	}
	return 0;
}

/* The slab size classes' free objects, as free space of the strategy. */
static void lab_slab_free(const struct buddyslab_slab_stats *slab,
			  struct lab_figures *f)
{
	unsigned int i;

	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++) {
		const struct buddyslab_slab_cache_stats *c = &slab->classes[i];

		if (c->num_objs <= c->active_objs)
			continue;
		f->free_bytes += (c->num_objs - c->active_objs) * c->object_size;
		if (c->object_size > f->largest_free)
			f->largest_free = c->object_size;
	}
}

/**
 * lab_figures_read() - what STATS says of a strategy now
 * @dev: the device; its @stats are read into
 * @s: the strategy whose free space is wanted
 * @f: filled in
 *
 * Free space is what the strategy itself holds free: the fits', genpool's
 * and the byte buddy's free bytes in their arenas; the slab's free objects
 * in its size classes (the largest free block being its largest class with
 * a free object); the page buddy's free lists. External fragmentation is
 * computed the same way for all: 1 - largest_free / free_bytes.
 *
 * Return: 0, or -1 once it said what failed.
 */
int lab_figures_read(struct lab_device *dev, const struct lab_strategy *s,
		     struct lab_figures *f)
{
	const struct buddyslab_buddy_stats *b = &dev->stats.buddy;
	unsigned int o, max = dev->info.max_order;

	memset(&dev->stats, 0, sizeof(dev->stats));
	if (ioctl(dev->fd, BUDDYSLAB_IOC_STATS, &dev->stats)) {
		lab_err("stats: %s", strerror(errno));
		return -1;
	}
	memset(f, 0, sizeof(*f));
	f->held_pages = dev->nr_pages - b->free_pages;
	f->unusable_index = b->unusable_index[max];
	switch (s->allocator) {
	case BUDDYSLAB_ALLOC_BUDDY:
		f->free_bytes = b->free_pages * dev->info.page_size;
		for (o = 0; o <= max && o < BUDDYSLAB_STATS_ORDERS; o++)
			if (b->nr_free[o])
				f->largest_free = (uint64_t)dev->info.page_size << o;
		break;
	case BUDDYSLAB_ALLOC_SLAB:
		lab_slab_free(&dev->stats.slab, f);
		break;
	case BUDDYSLAB_ALLOC_FIT:
		f->free_bytes = dev->stats.fit.free_bytes;
		f->largest_free = dev->stats.fit.largest_free;
		break;
	case BUDDYSLAB_ALLOC_GENPOOL:
		f->free_bytes = dev->stats.genpool.free_bytes;
		f->largest_free = dev->stats.genpool.largest_free;
		break;
	case BUDDYSLAB_ALLOC_BYTE_BUDDY:
		f->free_bytes = dev->stats.byte_buddy.free_bytes;
		f->largest_free = dev->stats.byte_buddy.largest_free;
		break;
	}
	if (f->free_bytes)
		f->extfrag = 1000 - f->largest_free * 1000 / f->free_bytes;
	return 0;
}

/**
 * lab_footprint_init() - a footprint of the device's region, empty
 * @fp: filled in
 * @dev: the device
 *
 * Return: 0, or -1 once it said it has no memory.
 */
int lab_footprint_init(struct lab_footprint *fp, const struct lab_device *dev)
{
	memset(fp, 0, sizeof(*fp));
	fp->nr_pages = dev->nr_pages;
	fp->page_shift = __builtin_ctz(dev->info.page_size);
	fp->count = calloc(fp->nr_pages, sizeof(*fp->count));
	if (!fp->count) {
		lab_err("footprint of %llu pages: %s",
			(unsigned long long)fp->nr_pages, strerror(ENOMEM));
		return -1;
	}
	return 0;
}

/**
 * lab_footprint_add() - count @size live bytes at @offset
 * @fp: the footprint
 * @offset: where they start in the device, inside the region
 * @size: how many, at least 1
 */
void lab_footprint_add(struct lab_footprint *fp, uint64_t offset,
		       uint64_t size)
{
	uint64_t p, last = (offset + size - 1) >> fp->page_shift;

	for (p = offset >> fp->page_shift; p <= last; p++)
		if (!fp->count[p]++)
			fp->pages++;
}

/**
 * lab_footprint_sub() - uncount what lab_footprint_add() counted
 * @fp: the footprint
 * @offset: as it was added
 * @size: as it was added
 */
void lab_footprint_sub(struct lab_footprint *fp, uint64_t offset,
		       uint64_t size)
{
	uint64_t p, last = (offset + size - 1) >> fp->page_shift;

	for (p = offset >> fp->page_shift; p <= last; p++)
		if (!--fp->count[p])
			fp->pages--;
}

/**
 * lab_footprint_fini() - free a footprint's counts
 * @fp: the footprint
 */
void lab_footprint_fini(struct lab_footprint *fp)
{
	free(fp->count);
	fp->count = NULL;
}

/**
 * lab_batch() - one BATCH call, timed
 * @dev: the device
 * @ops: the operations
 * @nr: how many, 1 to BUDDYSLAB_BATCH_MAX
 * @done: set to how many were done, in order
 * @ns: set to the wall clock the call took
 *
 * Return: 0 if all were done, else the negative errno of the one that
 * failed, ops[*done] (or of the call itself if *done is @nr).
 */
int lab_batch(struct lab_device *dev, struct buddyslab_batch_op *ops,
	      unsigned int nr, unsigned int *done, uint64_t *ns)
{
	struct buddyslab_batch batch = {
		.ops = (uintptr_t)ops,
		.nr_ops = nr,
	};
	uint64_t start = lab_now();
	int ret;

	ret = ioctl(dev->fd, BUDDYSLAB_IOC_BATCH, &batch) ? -errno : 0;
	*ns = lab_now() - start;
	*done = batch.nr_done;
	return ret;
}

/**
 * lab_errno_hint() - what an error of a replay most likely means
 * @err: a positive errno
 *
 * Return: a hint to print after the error, or "".
 */
const char *lab_errno_hint(int err)
{
	if (err == EDQUOT)
		return " (a limit of the file or the user, not of the region: load the module with max_bytes_per_file as large as the region, and run as root)";
	return "";
}

/**
 * lab_header_add() - add one "key: value" to a header
 * @h: the header
 * @key: the key, one word
 * @fmt: printf format of the value
 *
 * A full header keeps what it has.
 */
void lab_header_add(struct lab_header *h, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (h->nr == LAB_HEADER_MAX)
		return;
	snprintf(h->key[h->nr], sizeof(h->key[0]), "%s", key);
	va_start(ap, fmt);
	vsnprintf(h->value[h->nr], sizeof(h->value[0]), fmt, ap);
	va_end(ap);
	h->nr++;
}

/**
 * lab_header_get() - the value of a key of a header
 * @h: the header
 * @key: the key
 *
 * Return: its value, or "" if the header has no such key.
 */
const char *lab_header_get(const struct lab_header *h, const char *key)
{
	unsigned int i;

	for (i = 0; i < h->nr; i++)
		if (!strcmp(h->key[i], key))
			return h->value[i];
	return "";
}

/**
 * lab_header_machine() - record the machine, the module and the client
 * @h: the header
 * @dev: the device
 */
void lab_header_machine(struct lab_header *h, const struct lab_device *dev)
{
	struct utsname uts;
	char date[32];
	time_t now = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	lab_header_add(h, "region_bytes", "%llu",
		       (unsigned long long)dev->info.region_bytes);
	lab_header_add(h, "page_size", "%u", dev->info.page_size);
	lab_header_add(h, "arena_bytes", "%llu",
		       (unsigned long long)dev->info.arena_bytes);
	lab_header_add(h, "kernel", "%s", uname(&uts) ? "unknown" : uts.release);
	lab_header_add(h, "module_abi", "%u", dev->info.abi_version);
	lab_header_add(h, "buddyslabctl_abi", "%u", BUDDYSLAB_ABI_VERSION);
	lab_header_add(h, "date", "%s", date);
}

/**
 * lab_header_csv() - a header as a CSV file's "# key: value" lines
 * @out: where to
 * @h: the header
 */
void lab_header_csv(FILE *out, const struct lab_header *h)
{
	unsigned int i;

	for (i = 0; i < h->nr; i++)
		fprintf(out, "# %s: %s\n", h->key[i], h->value[i]);
}

/**
 * lab_output_path() - where an output of a strategy goes
 * @buf: filled in with the path
 * @len: its size
 * @arg: what the command line named: a file, or a directory
 * @dir: @arg is a directory (made if need be) even if it does not exist yet
 * @s: the strategy, which names the file in a directory ("fit:best" is
 *     "fit-best" + @ext)
 * @ext: the file name's ending
 *
 * Return: 0, or -1 once it said what failed.
 */
int lab_output_path(char *buf, size_t len, const char *arg, bool dir,
		    const struct lab_strategy *s, const char *ext)
{
	struct stat st;
	char *p;
	int n;

	if (!stat(arg, &st) && S_ISDIR(st.st_mode))
		dir = true;
	else if (dir && mkdir(arg, 0777) && errno != EEXIST) {
		lab_err("%s: %s", arg, strerror(errno));
		return -1;
	}
	if (dir)
		n = snprintf(buf, len, "%s/%s%s", arg, s->name, ext);
	else
		n = snprintf(buf, len, "%s", arg);
	if (n < 0 || (size_t)n >= len) {
		lab_err("%s: path too long", arg);
		return -1;
	}
	if (dir)
		for (p = buf + strlen(arg) + 1; *p; p++)
			if (*p == ':')
				*p = '-';
	return 0;
}
