// SPDX-License-Identifier: GPL-2.0
/*
 * adversary.c: a Robson-style adversary, run online against the device.
 *
 * Robson (1974) showed that for any allocator there is a program that never
 * has more than M bytes live, in blocks of min to max bytes (n = max / min,
 * powers of two), and still makes it use about M * (1 + log2(n) / 2) bytes.
 * The program works in phases, one per block size 2^k from min to max: it
 * allocates blocks of 2^k until M bytes are live, looks where each one was
 * placed, and frees blocks so that every aligned window of 2^(k+1) bytes
 * keeps at most one live block. Each surviving block then splits the free
 * space around it into holes too small for the next phase's blocks, which
 * must come from memory never used before, while the live bytes halve.
 *
 * This adversary reads each block's offset from ALLOC and, in each window,
 * keeps the block nearest the window's middle, so that the holes on either
 * side of it stay below 2^(k+1) with its neighbours'. It measures, as the
 * replay does, the footprint (pages holding live bytes) after every
 * operation, and the pages the strategy holds from STATS after every step;
 * the blow-up is the peak footprint over M, set beside Robson's factor.
 * Beside it is the span, from the lowest live byte to the highest: holes
 * of whole pages (the page buddy's, whose blocks are pages) are no part of
 * the footprint, but the span, the memory a heap of one piece would need,
 * holds them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

/* A live block. */
struct lab_block {
	uint64_t handle;
	uint64_t offset;
	uint64_t size;
};

struct lab_adversary {
	struct lab_device *dev;
	const struct lab_strategy *s;
	uint64_t max_live;	/* M */
	unsigned int min_order;	/* min = 2^min_order bytes */
	unsigned int max_order;
	struct lab_block *blocks;	/* live, nr of them */
	size_t nr;
	struct lab_footprint fp;
	uint64_t live;		/* bytes */
	uint64_t peak_footprint;	/* pages */
	uint64_t peak_held;	/* pages, at the end of each step */
	uint64_t span;		/* bytes from the lowest to the highest live byte */
	uint64_t peak_span;
	uint64_t failures;	/* allocations the region could not hold */
	FILE *csv;
	struct buddyslab_batch_op ops[BUDDYSLAB_BATCH_MAX];
};

/* Robson's factor: the need of the worst program, in units of M. */
static double lab_robson(const struct lab_adversary *adv)
{
	return 1 + (adv->max_order - adv->min_order) / 2.0;
}

/* Record @nr allocations of ops[] the device did. */
static void lab_adversary_placed(struct lab_adversary *adv, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct lab_block *b = &adv->blocks[adv->nr++];

		b->handle = adv->ops[i].alloc.handle;
		b->offset = adv->ops[i].alloc.offset;
		b->size = adv->ops[i].alloc.size;
		adv->live += b->size;
		lab_footprint_add(&adv->fp, b->offset, b->size);
		if (adv->fp.pages > adv->peak_footprint)
			adv->peak_footprint = adv->fp.pages;
	}
}

/* The bytes from the lowest to the highest live byte, and their peak. */
static void lab_adversary_span(struct lab_adversary *adv)
{
	uint64_t low = UINT64_MAX, high = 0;
	size_t i;

	for (i = 0; i < adv->nr; i++) {
		const struct lab_block *b = &adv->blocks[i];

		if (b->offset < low)
			low = b->offset;
		if (b->offset + b->size > high)
			high = b->offset + b->size;
	}
	adv->span = adv->nr ? high - low : 0;
	if (adv->span > adv->peak_span)
		adv->peak_span = adv->span;
}

/* Allocate blocks of 2^@order until M bytes are live or the region is full. */
static int lab_adversary_fill(struct lab_adversary *adv, unsigned int order)
{
	uint64_t size = 1ULL << order, ns;
	unsigned int i, nr, done;
	int err;

	while (adv->live + size <= adv->max_live) {
		nr = (adv->max_live - adv->live) / size;
		if (nr > BUDDYSLAB_BATCH_MAX)
			nr = BUDDYSLAB_BATCH_MAX;
		memset(adv->ops, 0, nr * sizeof(adv->ops[0]));
		for (i = 0; i < nr; i++) {
			adv->ops[i].op = BUDDYSLAB_BATCH_ALLOC;
			adv->ops[i].alloc.size = size;
			adv->ops[i].alloc.allocator = adv->s->allocator;
			adv->ops[i].alloc.policy = adv->s->policy;
		}
		err = lab_batch(adv->dev, adv->ops, nr, &done, &ns);
		lab_adversary_placed(adv, done);
		if (done < nr && lab_failed(adv->dev, &adv->ops[done].alloc, err)) {
			adv->failures++;
			return 0;
		}
		if (err) {
			lab_err("%s: allocation of %llu bytes: %s%s", adv->s->name,
				(unsigned long long)size, strerror(-err),
				lab_errno_hint(-err));
			return -1;
		}
	}
	return 0;
}

static int lab_block_cmp(const void *a, const void *b)
{
	const struct lab_block *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* How far block @b's middle is from the middle of its 2^(@order+1) window. */
static uint64_t lab_block_off_middle(const struct lab_block *b,
				     unsigned int order)
{
	uint64_t middle = ((b->offset >> (order + 1)) << (order + 1)) +
			  (1ULL << order);
	uint64_t centre = b->offset + b->size / 2;

	return centre > middle ? centre - middle : middle - centre;
}

/* Send the frees gathered in ops[]. */
static int lab_adversary_send_frees(struct lab_adversary *adv, unsigned int nr)
{
	unsigned int done;
	uint64_t ns;
	int err = nr ? lab_batch(adv->dev, adv->ops, nr, &done, &ns) : 0;

	if (err)
		lab_err("%s: free: %s", adv->s->name, strerror(-err));
	return err ? -1 : 0;
}

/* Free block @b (the caller drops it from blocks[]). */
static int lab_adversary_free(struct lab_adversary *adv, unsigned int *nr,
			      const struct lab_block *b)
{
	memset(&adv->ops[*nr], 0, sizeof(adv->ops[0]));
	adv->ops[*nr].op = BUDDYSLAB_BATCH_FREE;
	adv->ops[*nr].free.handle = b->handle;
	adv->live -= b->size;
	lab_footprint_sub(&adv->fp, b->offset, b->size);
	if (++*nr < BUDDYSLAB_BATCH_MAX)
		return 0;
	*nr = 0;
	return lab_adversary_send_frees(adv, BUDDYSLAB_BATCH_MAX);
}

/*
 * Keep at most one live block in every aligned window of 2^(@order + 1)
 * bytes (by where the block starts): the one nearest the window's middle.
 */
static int lab_adversary_thin(struct lab_adversary *adv, unsigned int order)
{
	size_t i, keep = 0, kept = 0;
	unsigned int nr = 0;

	qsort(adv->blocks, adv->nr, sizeof(adv->blocks[0]), lab_block_cmp);
	for (i = 1; i <= adv->nr; i++) {
		const struct lab_block *b = &adv->blocks[i];
		const struct lab_block *k = &adv->blocks[keep];

		if (i < adv->nr &&
		    b->offset >> (order + 1) == k->offset >> (order + 1)) {
			/* Same window: the one further from its middle goes. */
			if (lab_block_off_middle(b, order) <
			    lab_block_off_middle(k, order)) {
				if (lab_adversary_free(adv, &nr, k))
					return -1;
				keep = i;
			} else if (lab_adversary_free(adv, &nr, b)) {
				return -1;
			}
			continue;
		}
		adv->blocks[kept++] = *k;
		keep = i;
	}
	adv->nr = kept;
	return lab_adversary_send_frees(adv, nr);
}

/* The figures after a step: a table row, a CSV row. */
static int lab_adversary_row(struct lab_adversary *adv, unsigned int order,
			     const char *step)
{
	struct lab_figures f;

	if (lab_figures_read(adv->dev, adv->s, &f))
		return -1;
	if (f.held_pages > adv->peak_held)
		adv->peak_held = f.held_pages;
	lab_adversary_span(adv);
	printf("%5u %8llu %-5s %8zu %11llu %10llu %12llu %10llu %8u %9llu\n",
	       order - adv->min_order, 1ULL << order, step, adv->nr,
	       (unsigned long long)adv->live, (unsigned long long)adv->fp.pages,
	       (unsigned long long)adv->span,
	       (unsigned long long)f.held_pages, f.extfrag,
	       (unsigned long long)adv->failures);
	if (adv->csv)
		fprintf(adv->csv, "%u,%llu,%s,%zu,%llu,%llu,%llu,%llu,%llu,%u,%llu\n",
			order - adv->min_order, 1ULL << order, step, adv->nr,
			(unsigned long long)adv->live,
			(unsigned long long)adv->fp.pages,
			(unsigned long long)adv->peak_footprint,
			(unsigned long long)adv->span,
			(unsigned long long)f.held_pages, f.extfrag,
			(unsigned long long)adv->failures);
	return 0;
}

/* The phases, from a whole region; what is live at the end is freed. */
static int lab_adversary_run(struct lab_adversary *adv)
{
	uint64_t page = adv->dev->info.page_size, m = adv->max_live;
	unsigned int order, nr = 0;
	size_t i;
	int ret = -1;

	printf("adversary on %s: at most M = %llu bytes live, blocks of %llu to %llu bytes (n = %llu)\n",
	       adv->s->name, (unsigned long long)m, 1ULL << adv->min_order,
	       1ULL << adv->max_order,
	       1ULL << (adv->max_order - adv->min_order));
	if (adv->s->note)
		printf("%s: %s\n", adv->s->name, adv->s->note);
	printf("phase    block step    blocks  live bytes  footprint         span       held  extfrag  failures\n"
	       "         bytes                                 pages        bytes      pages\n");
	for (order = adv->min_order; order <= adv->max_order; order++) {
		if (lab_adversary_fill(adv, order) ||
		    lab_adversary_row(adv, order, "alloc"))
			goto out;
		if (order == adv->max_order)
			break;
		if (lab_adversary_thin(adv, order) ||
		    lab_adversary_row(adv, order, "free"))
			goto out;
	}
	printf("peak footprint %llu pages, %llu bytes: %.2f x M; peak span %llu bytes: %.2f x M; the strategy held at most %llu pages, %.2f x M\n",
	       (unsigned long long)adv->peak_footprint,
	       (unsigned long long)(adv->peak_footprint * page),
	       (double)adv->peak_footprint * page / m,
	       (unsigned long long)adv->peak_span, (double)adv->peak_span / m,
	       (unsigned long long)adv->peak_held,
	       (double)adv->peak_held * page / m);
	printf("Robson (1974): some program with at most M bytes live in blocks of min to max bytes makes every allocator need about M * (1 + log2(n) / 2) = %.2f x M, n = max / min = %llu\n",
	       lab_robson(adv), 1ULL << (adv->max_order - adv->min_order));
	if (adv->failures)
		printf("%s: %llu allocation batches stopped because the region could hold no more: it was too small for this adversary, and the blow-up is at most what it shows\n",
		       adv->s->name, (unsigned long long)adv->failures);
	ret = 0;
out:
	for (i = 0; i < adv->nr; i++)
		if (lab_adversary_free(adv, &nr, &adv->blocks[i]))
			ret = -1;
	if (lab_adversary_send_frees(adv, nr))
		ret = -1;
	adv->nr = 0;
	return ret;
}

/* Whether @v is a power of two, and its log2 in @order. */
static bool lab_log2(uint64_t v, unsigned int *order)
{
	if (!v || (v & (v - 1)))
		return false;
	*order = __builtin_ctzll(v);
	return true;
}

/*
 * The block sizes for strategy @s, @min and @max if given: by default 16
 * bytes (a page for the page buddy) to 256 times that. -1 once it said
 * what is wrong with them.
 */
static int lab_adversary_sizes(struct lab_adversary *adv,
			       const struct lab_strategy *s, uint64_t min,
			       uint64_t max)
{
	const struct lab_device *dev = adv->dev;

	if (!min)
		min = s->allocator == BUDDYSLAB_ALLOC_BUDDY ?
			dev->info.page_size : 16;
	if (!max)
		max = min << 8;
	if (!lab_log2(min, &adv->min_order) || !lab_log2(max, &adv->max_order) ||
	    min > max || max > adv->max_live ||
	    adv->max_live > dev->info.region_bytes) {
		lab_err("adversary: --min and --max must be powers of two, min <= max <= max-live <= the region (%llu bytes)",
			(unsigned long long)dev->info.region_bytes);
		return -1;
	}
	adv->blocks = calloc(adv->max_live / min + 1, sizeof(*adv->blocks));
	if (!adv->blocks) {
		lab_err("adversary: %s", strerror(ENOMEM));
		return -1;
	}
	return 0;
}

/* Run the adversary on strategy @s, its CSV to @csv if set. */
static int lab_adversary(struct lab_adversary *adv, const struct lab_strategy *s,
			 uint64_t min, uint64_t max, const struct lab_header *h,
			 const char *csv)
{
	int ret = -1;

	adv->s = s;
	adv->live = 0;
	adv->peak_footprint = 0;
	adv->peak_held = 0;
	adv->peak_span = 0;
	adv->failures = 0;
	if (lab_adversary_sizes(adv, s, min, max))
		return -1;
	if (lab_device_whole(adv->dev) || lab_footprint_init(&adv->fp, adv->dev))
		goto out_blocks;
	if (csv) {
		adv->csv = fopen(csv, "w");
		if (!adv->csv) {
			lab_err("%s: %s", csv, strerror(errno));
			goto out;
		}
		lab_header_csv(adv->csv, h);
		fprintf(adv->csv, "# strategy: %s\n# min: %llu\n# max: %llu\n"
			"# robson_factor: %.3f (1 + log2(max / min) / 2)\n"
			"phase,block_bytes,step,blocks,live_bytes,footprint_pages,peak_footprint_pages,span_bytes,held_pages,extfrag,failures\n",
			s->name, 1ULL << adv->min_order, 1ULL << adv->max_order,
			lab_robson(adv));
	}
	ret = lab_adversary_run(adv);
	if (adv->csv && fclose(adv->csv)) {
		lab_err("%s: %s", csv, strerror(errno));
		ret = -1;
	}
	adv->csv = NULL;
out:
	lab_footprint_fini(&adv->fp);
out_blocks:
	free(adv->blocks);
	adv->blocks = NULL;
	return ret;
}

/**
 * lab_cmd_adversary() - buddyslabctl adversary
 * @fd: an open file of the device
 * @device: its path
 * @argc: words of the command line from "adversary" on
 * @argv: the words
 *
 * adversary --allocator NAME|all [--max-live BYTES] [--min B] [--max B]
 * [--csv FILE|DIR]: min defaults to 16 bytes (a page for the page buddy),
 * max to 256 x min, max-live to 1/16 of the region; with "all", --csv
 * names a directory.
 *
 * Return: 0, -1 once it said what failed, -EINVAL for a usage error.
 */
int lab_cmd_adversary(int fd, const char *device, int argc, char **argv)
{
	static const struct option options[] = {
		{ "allocator", required_argument, NULL, 'a' },
		{ "max-live", required_argument, NULL, 'l' },
		{ "min", required_argument, NULL, 'n' },
		{ "max", required_argument, NULL, 'x' },
		{ "csv", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const struct lab_strategy *s, *only = NULL;
	struct lab_adversary adv = { 0 };
	const char *allocator = NULL, *csv_arg = NULL;
	struct lab_header h = { 0 };
	struct lab_device dev;
	uint64_t min = 0, max = 0;
	char csv[4096];
	int opt, ret = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			allocator = optarg;
			break;
		case 'l':
			if (lab_parse_u64(optarg, &adv.max_live) || !adv.max_live)
				return -EINVAL;
			break;
		case 'n':
			if (lab_parse_u64(optarg, &min))
				return -EINVAL;
			break;
		case 'x':
			if (lab_parse_u64(optarg, &max))
				return -EINVAL;
			break;
		case 'c':
			csv_arg = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || !allocator)
		return -EINVAL;
	if (lab_strategy_parse("adversary", allocator, &only))
		return -1;
	if (lab_device_init(&dev, fd, device))
		return -1;
	adv.dev = &dev;
	if (!adv.max_live)
		adv.max_live = dev.info.region_bytes / 16;
	lab_header_add(&h, "source", "adversary (Robson-style)");
	lab_header_machine(&h, &dev);
	lab_header_add(&h, "max_live", "%llu", (unsigned long long)adv.max_live);
	for (s = only ? only : lab_strategies; s->name && !ret; s++) {
		if (!lab_strategy_usable(&dev, s)) {
			if (only) {
				lab_err("%s: the running module (ABI %u) does not have it",
					s->name, dev.info.abi_version);
				ret = -1;
			} else {
				printf("%s: not run, the running module (ABI %u) does not have it\n\n",
				       s->name, dev.info.abi_version);
			}
			continue;
		}
		if ((csv_arg && lab_output_path(csv, sizeof(csv), csv_arg, !only,
						s, ".csv")) ||
		    lab_adversary(&adv, s, min, max, &h, csv_arg ? csv : NULL))
			ret = -1;
		else if (!only)
			printf("\n");
		if (only)
			break;
	}
	return ret;
}
