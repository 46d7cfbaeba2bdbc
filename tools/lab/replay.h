/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replay.h: the laboratory's replay engine and what its commands share.
 *
 * A strategy is one way of allocating through /dev/buddyslab (an allocator
 * and its policy). Replaying a trace on a strategy sends every operation to
 * the device in BATCH calls and measures, as it goes, what the strategy did
 * with the region:
 *
 * - client side, exactly, after every operation: the bytes the trace has
 *   live (requested), the bytes the strategy granted for them, and the
 *   footprint: the region's pages that hold at least one byte of live data
 *   (from each allocation's offset and requested size), measured the same
 *   way for every strategy;
 * - from STATS, at samples: the pages the strategy holds (every page not
 *   free in the page buddy's free lists: slabs, arenas, per-CPU caches),
 *   the free space inside what it holds and its largest free block.
 *
 * The replay never hides a failure: an allocation the strategy cannot serve
 * (ENOMEM, or EDQUOT when the file's quota is the region) is counted, the
 * free of its id skipped, and the replay goes on; any other error stops it
 * with a message naming the trace's line.
 *
 * strategy.c has the strategies and what running one on the device takes
 * (a whole region, the figures, timed BATCH calls, the outputs' headers);
 * replay.c the engine, the samples and the CSV time series; compare.c the
 * table and JSON of the results; adversary.c the Robson-style adversary,
 * which runs online against the device with the same figures.
 */
#ifndef BUDDYSLAB_LAB_REPLAY_H
#define BUDDYSLAB_LAB_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uapi/buddyslab.h>

#include "trace.h"

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

/* One way of allocating: what a request to the device says. */
struct lab_strategy {
	const char *name;	/* as the command line names it: "fit:first" */
	__u32 allocator;	/* BUDDYSLAB_ALLOC_* */
	__u32 policy;		/* BUDDYSLAB_FIT_* or BUDDYSLAB_GENPOOL_*, or 0 */
	__u32 min_abi;		/* the first module ABI version that has it */
	const char *note;	/* how to read its figures, or NULL */
};

/* Every strategy, in the order "all" runs them; a NULL name ends it. */
#define LAB_STRATEGIES_MAX	16
extern const struct lab_strategy lab_strategies[];

/* The device and its geometry. */
struct lab_device {
	int fd;
	const char *path;	/* to open more files when reclaiming */
	struct buddyslab_info info;
	uint64_t nr_pages;	/* in the region */
	bool quota_is_region;	/* EDQUOT means the region is full */
	struct buddyslab_stats stats;	/* the last STATS read */
};

/* The region's pages that hold live data: a count of allocations a page. */
struct lab_footprint {
	uint32_t *count;	/* per page of the region */
	uint64_t nr_pages;
	uint64_t pages;		/* with a non-zero count */
	unsigned int page_shift;
};

/* What STATS says of a strategy at one moment. */
struct lab_figures {
	uint64_t held_pages;	/* region pages not in the buddy's free lists */
	uint64_t free_bytes;	/* free inside what the strategy holds */
	uint64_t largest_free;	/* its largest free block */
	unsigned int extfrag;	/* 1 - largest_free / free_bytes, thousandths */
	int unusable_index;	/* the buddy's, at max_order, thousandths */
};

/* What a replay of one strategy measured. */
struct lab_result {
	const struct lab_strategy *strategy;
	uint64_t ops;		/* of the trace, replayed */
	uint64_t dev_ops;	/* sent to the device, failed ones included */
	uint64_t failures;	/* allocations the region could not hold */
	uint64_t skipped_frees;	/* frees of those allocations */
	uint64_t peak_live;	/* requested bytes live, the most at once */
	uint64_t granted_at_peak_live;	/* granted bytes at that moment */
	uint64_t peak_footprint;	/* pages, the most at once */
	uint64_t peak_held;	/* pages, the most at a sample or snapshot */
	uint64_t snap_footprint;	/* footprint at the peak's snapshot */
	struct lab_figures at_peak;	/* STATS at that snapshot */
	uint64_t ns;		/* wall clock inside BATCH calls */
};

/* How to replay. */
struct lab_replay_opts {
	uint64_t every;		/* operations between samples; 0: ops / 500 */
	bool progress;		/* a progress bar on stderr */
	/* Called for every allocation the device made, if set (tests). */
	void (*placed)(void *data, uint64_t id,
		       const struct buddyslab_alloc *alloc);
	void *data;
};

/*
 * What every output records of how it was made: the machine, the module,
 * the trace and its own header, the parameters; "key: value" pairs.
 */
#define LAB_HEADER_MAX	40
struct lab_header {
	unsigned int nr;
	char key[LAB_HEADER_MAX][32];
	char value[LAB_HEADER_MAX][160];
};

/* A replay of one trace on one strategy or all of them. */
struct lab_run {
	const char *trace;	/* its path */
	const char *from;	/* its format's name, or NULL to tell */
	unsigned int events;	/* of an ftrace log: TRACE_EVENTS_*, 0 for all */
	const struct lab_strategy *only;	/* NULL: every usable one */
	const char *csv;	/* a file, or a directory for one file each */
	const char *map;	/* the same */
	struct lab_replay_opts opts;
	struct lab_header header;	/* filled in by lab_run() */
	struct trace_counts counts;	/* what the trace holds */
	struct lab_result res[LAB_STRATEGIES_MAX];	/* the strategies replayed */
	unsigned int nr;
	/* strategies the running module does not have, not replayed */
	const struct lab_strategy *skipped[LAB_STRATEGIES_MAX];
	unsigned int nr_skipped;
};

/* Commands of buddyslabctl: 0, -1 once they said what failed, -EINVAL on usage. */
int lab_cmd_replay(int fd, const char *device, int argc, char **argv);
int lab_cmd_compare(int fd, const char *device, int argc, char **argv);
int lab_cmd_adversary(int fd, const char *device, int argc, char **argv);

/* strategy.c */
__printf(1, 2) void lab_err(const char *fmt, ...);
const struct lab_strategy *lab_strategy_find(const char *name);
int lab_strategy_parse(const char *cmd, const char *name,
		       const struct lab_strategy **s);
void lab_print_strategies(FILE *out);
void lab_json_string(FILE *out, const char *s);
uint64_t lab_now(void);
int lab_device_init(struct lab_device *dev, int fd, const char *path);
bool lab_failed(const struct lab_device *dev,
		const struct buddyslab_alloc *req, int err);
bool lab_strategy_usable(const struct lab_device *dev,
			 const struct lab_strategy *s);
int lab_device_whole(struct lab_device *dev);
int lab_figures_read(struct lab_device *dev, const struct lab_strategy *s,
		     struct lab_figures *f);
int lab_footprint_init(struct lab_footprint *fp, const struct lab_device *dev);
void lab_footprint_add(struct lab_footprint *fp, uint64_t offset,
		       uint64_t size);
void lab_footprint_sub(struct lab_footprint *fp, uint64_t offset,
		       uint64_t size);
void lab_footprint_fini(struct lab_footprint *fp);
int lab_batch(struct lab_device *dev, struct buddyslab_batch_op *ops,
	      unsigned int nr, unsigned int *done, uint64_t *ns);
const char *lab_errno_hint(int err);
__printf(3, 4) void lab_header_add(struct lab_header *h, const char *key,
				   const char *fmt, ...);
const char *lab_header_get(const struct lab_header *h, const char *key);
void lab_header_machine(struct lab_header *h, const struct lab_device *dev);
void lab_header_csv(FILE *out, const struct lab_header *h);
int lab_output_path(char *buf, size_t len, const char *arg, bool dir,
		    const struct lab_strategy *s, const char *ext);
int lab_parse_u64(const char *s, uint64_t *v);
int lab_parse_events(const char *s, unsigned int *events);

/* replay.c */
int lab_run(struct lab_device *dev, struct lab_run *run);

/* compare.c */
void lab_results_table(FILE *out, const struct lab_device *dev,
		       const struct lab_run *run);

#endif /* BUDDYSLAB_LAB_REPLAY_H */
