// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c: the laboratory's replay engine, its samples and its CSV.
 *
 * A trace is read twice. The first pass only parses it: a malformed trace
 * stops there with the reader's "PATH:LINE: ..." before anything reaches
 * the device, and the pass counts the operations for the progress bar and
 * the sampling interval. The second pass replays, strategy by strategy,
 * each from a whole region (lab_device_whole()).
 *
 * The trace's ids map to the device's handles in an open-addressing hash
 * table of the ids that are live, and of nothing else, so the client's
 * memory is bounded by the trace's live set and traces of tens of millions
 * of operations stream through. Operations go to the device in BATCH calls
 * of up to BUDDYSLAB_BATCH_MAX; a free of an id whose allocation is still in
 * the batch being built sends the batch first, since its handle is not
 * known before. A batch stops at its first failure: an allocation the
 * region cannot hold, or larger than an arena (lab_failed()), is counted, its id marked failed (its
 * free is then skipped) and the rest of the batch is sent again; any other
 * error ends the replay.
 *
 * The figures that need no kernel (live bytes, granted bytes, footprint)
 * are kept after every operation, in trace order, so their peaks are
 * exact. Those that come from STATS are read at samples (every N
 * operations and at the end: one CSV row each) and at snapshots of the
 * peak footprint: when the footprint at the end of a BATCH call first
 * passes the last snapshot's by 1% (and by a page at least), STATS is read
 * and, if asked, debugfs map copied; the last snapshot is the one reported
 * at the peak, with the footprint it was taken at. At the end every allocation
 * still live is freed, so the next strategy can start from a whole region.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../view.h"
#include "replay.h"

#define LAB_MAP_PATH	VIEW_DIR "/map"
#define LAB_SAMPLES	500	/* CSV rows of a replay, by default */
#define LAB_BAR		40	/* characters of the progress bar */
#define LAB_BAR_NS	200000000	/* the least time between two draws */

/*
 * The "# key: value" lines at the head of a native trace (its generator,
 * seed, program...), as "trace_key" entries of @h; the reader has "source"
 * already.
 */
static void lab_trace_file_header(const char *path, struct lab_header *h)
{
	char line[256], key[32], *colon;
	FILE *f = fopen(path, "r");
	int n;

	while (f && fgets(line, sizeof(line), f) && line[0] == '#') {
		line[strcspn(line, "\n")] = '\0';
		colon = strstr(line, ": ");
		n = colon ? colon - line - 2 : 0;
		if (line[1] != ' ' || n < 1 || (int)strcspn(line + 2, " \t") < n)
			continue;
		snprintf(key, sizeof(key), "trace_%.*s", n, line + 2);
		if (strcmp(key, "trace_source"))
			lab_header_add(h, key, "%s", colon + 2);
	}
	if (f)
		fclose(f);
}

/*
 * Open @run's trace and read it through once, only parsing it: a malformed
 * trace stops here, with the reader's message, before anything is
 * replayed. Fills in the trace's part of the header and its counts.
 */
static struct trace_reader *lab_trace_open(struct lab_run *run)
{
	enum trace_format format = TRACE_AUTO;
	struct trace_reader *r;
	struct trace_op op;
	char err[512];
	int ret;

	if (run->from && trace_format_parse(run->from, &format)) {
		lab_err("%s: no such trace format (native, mtrace or ftrace)",
			run->from);
		return NULL;
	}
	if (!strcmp(run->trace, "-")) {
		lab_err("a replay reads its trace twice: give a file, not standard input");
		return NULL;
	}
	r = trace_open(run->trace, format, err, sizeof(err));
	if (!r) {
		lab_err("%s", err);
		return NULL;
	}
	if (run->events && run->events != TRACE_EVENTS_ALL &&
	    trace_ftrace_events(r, run->events)) {
		lab_err("%s: --events is for ftrace logs", run->trace);
		trace_close(r);
		return NULL;
	}
	while ((ret = trace_read(r, &op)) == 1)
		;
	run->counts = *trace_counts(r);
	if (ret < 0 || trace_rewind(r)) {
		lab_err("%s; nothing was replayed", trace_error(r));
		trace_close(r);
		return NULL;
	}
	lab_header_add(&run->header, "trace", "%s", run->trace);
	lab_header_add(&run->header, "format", "%s",
		       trace_format_name(trace_format_of(r)));
	lab_header_add(&run->header, "source", "%s", trace_source(r));
	if (run->events == TRACE_EVENTS_OBJECTS || run->events == TRACE_EVENTS_PAGES)
		lab_header_add(&run->header, "events", "%s",
			       run->events == TRACE_EVENTS_PAGES ? "pages" : "objects");
	if (trace_format_of(r) == TRACE_NATIVE)
		lab_trace_file_header(run->trace, &run->header);
	lab_header_add(&run->header, "operations", "%llu",
		       (unsigned long long)run->counts.ops);
	lab_header_add(&run->header, "unknown_frees", "%llu",
		       (unsigned long long)run->counts.unknown_frees);
	return r;
}

/* ---- The live ids ------------------------------------------------------ */

enum lab_live_state {
	LAB_EMPTY,	/* a free slot of the table */
	LAB_PENDING,	/* allocation in the batch being built */
	LAB_LIVE,	/* allocated: handle, offset and granted are known */
	LAB_FAILED,	/* the region could not hold it: its free is skipped */
};

/* One live id of the trace. */
struct lab_live {
	uint64_t id;
	uint64_t handle;
	uint64_t offset;
	uint64_t size;		/* requested */
	uint64_t granted;
	enum lab_live_state state;
};

/*
 * The live ids: open addressing with linear probing, deletion by shifting
 * back the entries after (no tombstones), at most half full. A pointer to
 * an entry is good until the next insert or remove.
 */
struct lab_table {
	struct lab_live *slot;
	uint64_t mask;		/* slots - 1, slots a power of two */
	uint64_t nr;
};

/* splitmix64's finaliser: ids that are addresses spread over the table. */
static uint64_t lab_hash(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int lab_table_init(struct lab_table *t, uint64_t slots)
{
	t->slot = calloc(slots, sizeof(*t->slot));
	t->mask = slots - 1;
	t->nr = 0;
	if (!t->slot)
		lab_err("a table of %llu live ids: %s",
			(unsigned long long)slots, strerror(ENOMEM));
	return t->slot ? 0 : -1;
}

/* The slot of @id, or the empty one where it would go. */
static struct lab_live *lab_table_slot(const struct lab_table *t, uint64_t id)
{
	uint64_t i = lab_hash(id) & t->mask;

	while (t->slot[i].state != LAB_EMPTY && t->slot[i].id != id)
		i = (i + 1) & t->mask;
	return &t->slot[i];
}

static struct lab_live *lab_table_find(const struct lab_table *t, uint64_t id)
{
	struct lab_live *e = lab_table_slot(t, id);

	return e->state == LAB_EMPTY ? NULL : e;
}

/* A new entry for @id, which is not in the table; NULL without memory. */
static struct lab_live *lab_table_insert(struct lab_table *t, uint64_t id)
{
	struct lab_live *e;

	if (2 * (t->nr + 1) > t->mask + 1) {
		struct lab_table bigger;
		uint64_t i;

		if (lab_table_init(&bigger, 2 * (t->mask + 1)))
			return NULL;
		for (i = 0; i <= t->mask; i++)
			if (t->slot[i].state != LAB_EMPTY)
				*lab_table_slot(&bigger, t->slot[i].id) = t->slot[i];
		bigger.nr = t->nr;
		free(t->slot);
		*t = bigger;
	}
	e = lab_table_slot(t, id);
	e->id = id;
	t->nr++;
	return e;
}

/* Remove @e, shifting back the entries of its run that hash before it. */
static void lab_table_remove(struct lab_table *t, struct lab_live *e)
{
	uint64_t hole = e - t->slot, i = hole, home;

	for (;;) {
		i = (i + 1) & t->mask;
		if (t->slot[i].state == LAB_EMPTY)
			break;
		home = lab_hash(t->slot[i].id) & t->mask;
		/* Stays if its home is cyclically in (hole, i]. */
		if (((i - home) & t->mask) < ((i - hole) & t->mask))
			continue;
		t->slot[hole] = t->slot[i];
		hole = i;
	}
	t->slot[hole].state = LAB_EMPTY;
	t->nr--;
}

/* ---- The replay -------------------------------------------------------- */

/* What a batch's operation stands for in the trace. */
struct lab_slot {
	uint64_t id;
	uint64_t size;		/* requested */
	uint64_t offset;	/* of a free: the allocation freed */
	uint64_t granted;	/* of a free: the allocation freed */
	unsigned long line;
};

struct lab_replay {
	struct lab_device *dev;
	const struct lab_strategy *s;
	const struct lab_replay_opts *o;
	struct lab_result *res;
	const char *trace;
	struct lab_table live;
	struct lab_footprint fp;
	uint64_t live_requested;
	uint64_t live_granted;
	/* the batch being built */
	struct buddyslab_batch_op ops[BUDDYSLAB_BATCH_MAX];
	struct lab_slot slots[BUDDYSLAB_BATCH_MAX];
	unsigned int nr;
	/* samples */
	FILE *csv;
	uint64_t total_ops;
	uint64_t every;
	uint64_t sampled_ops;	/* ops at the last sample */
	uint64_t interval_ns;	/* in BATCH since the last sample */
	uint64_t interval_ops;	/* sent to the device since then */
	/* debugfs map at the last snapshot */
	bool want_map;
	char *map;
	size_t map_len;
	size_t map_size;
	unsigned int shown;	/* progress reached, in thousandths */
	uint64_t drawn;		/* when the bar was last drawn */
};

/* Say which operation of the trace failed, and how. */
static void lab_op_err(const struct lab_replay *rp, unsigned int i, int err)
{
	const struct lab_slot *slot = &rp->slots[i];
	bool alloc = rp->ops[i].op == BUDDYSLAB_BATCH_ALLOC;

	lab_err("%s:%lu: %s: %s of id %llu (%llu bytes): %s%s", rp->trace,
		slot->line, rp->s->name, alloc ? "allocation" : "free",
		(unsigned long long)slot->id, (unsigned long long)slot->size,
		strerror(err), lab_errno_hint(err));
}

/* The figures that need no kernel, after operation @i was done. */
static int lab_replay_done(struct lab_replay *rp, unsigned int i)
{
	const struct buddyslab_alloc *a = &rp->ops[i].alloc;
	const struct lab_slot *slot = &rp->slots[i];
	struct lab_result *res = rp->res;
	struct lab_live *e;

	if (rp->ops[i].op == BUDDYSLAB_BATCH_ALLOC) {
		if (a->offset + slot->size > rp->dev->info.region_bytes ||
		    a->granted < slot->size) {
			lab_err("%s:%lu: %s: the device placed %llu bytes at offset %llu, granting %llu: not inside the region",
				rp->trace, slot->line, rp->s->name,
				(unsigned long long)slot->size,
				(unsigned long long)a->offset,
				(unsigned long long)a->granted);
			return -1;
		}
		e = lab_table_find(&rp->live, slot->id);
		e->state = LAB_LIVE;
		e->handle = a->handle;
		e->offset = a->offset;
		e->granted = a->granted;
		rp->live_requested += slot->size;
		rp->live_granted += a->granted;
		lab_footprint_add(&rp->fp, a->offset, slot->size);
		if (rp->o->placed)
			rp->o->placed(rp->o->data, slot->id, a);
	} else {
		rp->live_requested -= slot->size;
		rp->live_granted -= slot->granted;
		lab_footprint_sub(&rp->fp, slot->offset, slot->size);
	}
	if (rp->live_requested > res->peak_live) {
		res->peak_live = rp->live_requested;
		res->granted_at_peak_live = rp->live_granted;
	}
	if (rp->fp.pages > res->peak_footprint)
		res->peak_footprint = rp->fp.pages;
	return 0;
}

/* Read debugfs map into rp->map. */
static int lab_replay_map(struct lab_replay *rp)
{
	int fd = open(LAB_MAP_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0) {
		lab_err("%s: %s", LAB_MAP_PATH, strerror(errno));
		return -1;
	}
	rp->map_len = 0;
	do {
		rp->map_len += n;
		if (rp->map_len == rp->map_size) {
			size_t size = rp->map_size ? 2 * rp->map_size : 1 << 16;
			char *map = realloc(rp->map, size);

			if (!map) {
				close(fd);
				lab_err("%s: %s", LAB_MAP_PATH, strerror(ENOMEM));
				return -1;
			}
			rp->map = map;
			rp->map_size = size;
		}
		n = read(fd, rp->map + rp->map_len, rp->map_size - rp->map_len);
	} while (n > 0);
	close(fd);
	if (n < 0) {
		lab_err("%s: %s", LAB_MAP_PATH, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A snapshot of the peak, if the footprint passed the last one's by 1%, and
 * by a page at least: some hundreds in a replay (a hundred up to 100 pages,
 * then about 230 for each tenfold growth).
 */
static int lab_replay_snapshot(struct lab_replay *rp)
{
	struct lab_result *res = rp->res;
	uint64_t step = res->snap_footprint / 100 ? res->snap_footprint / 100 : 1;

	if (rp->fp.pages < res->snap_footprint + step)
		return 0;
	res->snap_footprint = rp->fp.pages;
	if (lab_figures_read(rp->dev, rp->s, &res->at_peak))
		return -1;
	if (res->at_peak.held_pages > res->peak_held)
		res->peak_held = res->at_peak.held_pages;
	return rp->want_map ? lab_replay_map(rp) : 0;
}

/*
 * Send the batch being built. An allocation the region cannot hold is a
 * failure of the strategy, counted; the operations after it are sent
 * again. Any other error ends the replay.
 */
static int lab_replay_flush(struct lab_replay *rp)
{
	unsigned int start = 0, done, i;
	uint64_t ns;
	int err;

	while (start < rp->nr) {
		err = lab_batch(rp->dev, rp->ops + start, rp->nr - start, &done,
				&ns);
		rp->res->ns += ns;
		rp->interval_ns += ns;
		for (i = start; i < start + done; i++)
			if (lab_replay_done(rp, i))
				return -1;
		i = start + done;
		rp->res->dev_ops += done + (err && i < rp->nr);
		rp->interval_ops += done + (err && i < rp->nr);
		if (!err)
			break;
		if (i == rp->nr) {
			lab_err("batch: %s", strerror(-err));
			return -1;
		}
		if (rp->ops[i].op != BUDDYSLAB_BATCH_ALLOC ||
		    !lab_failed(rp->dev, &rp->ops[i].alloc, err)) {
			lab_op_err(rp, i, -err);
			return -1;
		}
		lab_table_find(&rp->live, rp->slots[i].id)->state = LAB_FAILED;
		rp->res->failures++;
		start = i + 1;
	}
	rp->nr = 0;
	return lab_replay_snapshot(rp);
}

/* Add one operation of the trace to the batch. */
static int lab_replay_op(struct lab_replay *rp, const struct trace_op *op)
{
	struct lab_live *e = lab_table_find(&rp->live, op->id);
	struct buddyslab_batch_op *bop;
	struct lab_slot *slot;

	if (op->kind == TRACE_FREE && e && e->state == LAB_PENDING) {
		/* Its handle comes back with the batch. */
		if (lab_replay_flush(rp))
			return -1;
		e = lab_table_find(&rp->live, op->id);
	}
	bop = &rp->ops[rp->nr];
	slot = &rp->slots[rp->nr];
	memset(bop, 0, sizeof(*bop));
	memset(slot, 0, sizeof(*slot));
	slot->id = op->id;
	slot->line = op->line;
	if (op->kind == TRACE_ALLOC) {
		if (e) {
			lab_err("%s:%lu: id %llu allocated again while live",
				rp->trace, op->line, (unsigned long long)op->id);
			return -1;
		}
		e = lab_table_insert(&rp->live, op->id);
		if (!e)
			return -1;
		e->state = LAB_PENDING;
		e->size = op->size;
		slot->size = op->size;
		bop->op = BUDDYSLAB_BATCH_ALLOC;
		bop->alloc.size = op->size;
		bop->alloc.allocator = rp->s->allocator;
		bop->alloc.policy = rp->s->policy;
	} else {
		if (!e) {
			lab_err("%s:%lu: free of id %llu, which is not live",
				rp->trace, op->line, (unsigned long long)op->id);
			return -1;
		}
		if (e->state == LAB_FAILED) {
			lab_table_remove(&rp->live, e);
			rp->res->skipped_frees++;
			return 0;
		}
		slot->size = e->size;
		slot->offset = e->offset;
		slot->granted = e->granted;
		bop->op = BUDDYSLAB_BATCH_FREE;
		bop->free.handle = e->handle;
		lab_table_remove(&rp->live, e);
	}
	if (++rp->nr == BUDDYSLAB_BATCH_MAX)
		return lab_replay_flush(rp);
	return 0;
}

/* One CSV row, and the peak of held pages, from STATS now. */
static int lab_replay_sample(struct lab_replay *rp)
{
	struct lab_result *res = rp->res;
	struct lab_figures f;

	if (lab_figures_read(rp->dev, rp->s, &f))
		return -1;
	if (f.held_pages > res->peak_held)
		res->peak_held = f.held_pages;
	if (rp->csv)
		fprintf(rp->csv, "%llu,%llu,%llu,%llu,%llu,%llu,%llu,%u,%d,%llu,%.1f\n",
			(unsigned long long)res->ops,
			(unsigned long long)rp->live_requested,
			(unsigned long long)rp->live_granted,
			(unsigned long long)rp->fp.pages,
			(unsigned long long)f.held_pages,
			(unsigned long long)f.free_bytes,
			(unsigned long long)f.largest_free, f.extfrag,
			f.unusable_index, (unsigned long long)res->failures,
			rp->interval_ops ?
			(double)rp->interval_ns / rp->interval_ops : 0.0);
	rp->sampled_ops = res->ops;
	rp->interval_ns = 0;
	rp->interval_ops = 0;
	return 0;
}

/*
 * The progress bar: redrawn when a thousandth more is done, at most five
 * times a second (a serial console is slow), and at the end.
 */
static void lab_replay_progress(struct lab_replay *rp, bool end)
{
	static const char bar[] = "########################################";
	unsigned int permille = rp->total_ops ?
		rp->res->ops * 1000 / rp->total_ops : 1000;
	uint64_t now;

	if (!rp->o->progress || (!end && permille == rp->shown))
		return;
	rp->shown = permille;
	now = lab_now();
	if (!end && now - rp->drawn < LAB_BAR_NS)
		return;
	rp->drawn = now;
	fprintf(stderr, "\r%-14s [%-*.*s] %3u.%u%% %llu/%llu ops%s", rp->s->name,
		LAB_BAR, permille * LAB_BAR / 1000, bar, permille / 10,
		permille % 10, (unsigned long long)rp->res->ops,
		(unsigned long long)rp->total_ops, end ? "\n" : "");
}

/* Send the frees gathered in the batch. */
static int lab_replay_send_frees(struct lab_replay *rp)
{
	unsigned int done;
	uint64_t ns;
	int err = rp->nr ? lab_batch(rp->dev, rp->ops, rp->nr, &done, &ns) : 0;

	rp->nr = 0;
	if (err)
		lab_err("%s: freeing what the trace left live: %s",
			rp->s->name, strerror(-err));
	return err ? -1 : 0;
}

/* Free what is still live, so that the next strategy finds the region whole. */
static int lab_replay_free_all(struct lab_replay *rp)
{
	uint64_t i;

	rp->nr = 0;
	for (i = 0; i <= rp->live.mask; i++) {
		const struct lab_live *e = &rp->live.slot[i];

		if (e->state != LAB_LIVE)
			continue;
		memset(&rp->ops[rp->nr], 0, sizeof(rp->ops[0]));
		rp->ops[rp->nr].op = BUDDYSLAB_BATCH_FREE;
		rp->ops[rp->nr].free.handle = e->handle;
		if (++rp->nr == BUDDYSLAB_BATCH_MAX && lab_replay_send_frees(rp))
			return -1;
	}
	return lab_replay_send_frees(rp);
}

/* Open @path for a strategy's time series and write its header. */
static FILE *lab_csv_open(const char *path, const struct lab_header *h,
			  const struct lab_strategy *s, uint64_t every)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		lab_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	lab_header_csv(f, h);
	fprintf(f, "# strategy: %s\n", s->name);
	if (s->note)
		fprintf(f, "# strategy_note: %s\n", s->note);
	fprintf(f, "# sample_every: %llu\n"
		"# units: live_requested, live_granted, free_bytes and largest_free in bytes; footprint_pages: pages holding at least one live requested byte; held_pages: pages not in the buddy's free lists; extfrag (1 - largest_free / free_bytes) and unusable_index (the buddy's at max_order) in thousandths; ns_per_op: wall clock in BATCH calls per device operation since the previous row\n"
		"ops,live_requested,live_granted,footprint_pages,held_pages,free_bytes,largest_free,extfrag,unusable_index,failures,ns_per_op\n",
		(unsigned long long)every);
	return f;
}

/* Write the map of the last snapshot (or of now, if none was taken). */
static int lab_map_write(struct lab_replay *rp, const char *path)
{
	FILE *f;

	if (!rp->res->snap_footprint && lab_replay_map(rp))
		return -1;
	f = fopen(path, "w");
	if (!f || fwrite(rp->map, 1, rp->map_len, f) != rp->map_len ||
	    fclose(f)) {
		lab_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Replay @run's trace, read through once already by @r, on strategy @s:
 * the time series to @csv and the map at the peak footprint to @map, if
 * set. Checks first that the region is whole; frees at the end what the
 * trace left live, even when the replay failed.
 */
static int lab_replay(struct lab_device *dev, struct trace_reader *r,
		      const struct lab_run *run, const struct lab_strategy *s,
		      const char *csv, const char *map, struct lab_result *res)
{
	struct lab_replay *rp = calloc(1, sizeof(*rp));
	struct trace_op op;
	int ret = -1, rd;

	memset(res, 0, sizeof(*res));
	res->strategy = s;
	if (!rp) {
		lab_err("%s: %s", s->name, strerror(ENOMEM));
		return -1;
	}
	rp->dev = dev;
	rp->s = s;
	rp->o = &run->opts;
	rp->res = res;
	rp->trace = run->trace;
	rp->total_ops = run->counts.ops;
	rp->every = rp->o->every ? rp->o->every :
		rp->total_ops / LAB_SAMPLES ? rp->total_ops / LAB_SAMPLES : 1;
	rp->sampled_ops = UINT64_MAX;
	rp->want_map = map;
	if (lab_footprint_init(&rp->fp, dev))
		goto out_free;
	if (lab_table_init(&rp->live, 1024))
		goto out_footprint;
	if (lab_device_whole(dev) || trace_rewind(r))
		goto out_table;
	if (csv) {
		rp->csv = lab_csv_open(csv, &run->header, s, rp->every);
		if (!rp->csv)
			goto out_table;
	}
	while ((rd = trace_read(r, &op)) == 1) {
		if (lab_replay_op(rp, &op))
			goto out_live;
		res->ops++;
		if (!(res->ops % rp->every) &&
		    (lab_replay_flush(rp) || lab_replay_sample(rp)))
			goto out_live;
		lab_replay_progress(rp, false);
	}
	if (rd < 0) {
		lab_err("%s", trace_error(r));
		goto out_live;
	}
	if (lab_replay_flush(rp) ||
	    (rp->sampled_ops != res->ops && lab_replay_sample(rp)))
		goto out_live;
	lab_replay_progress(rp, true);
	if (map && lab_map_write(rp, map))
		goto out_live;
	ret = 0;
out_live:
	if (lab_replay_free_all(rp))
		ret = -1;
	if (rp->csv && fclose(rp->csv)) {
		lab_err("%s: %s", csv, strerror(errno));
		ret = -1;
	}
out_table:
	free(rp->live.slot);
out_footprint:
	lab_footprint_fini(&rp->fp);
out_free:
	free(rp->map);
	free(rp);
	return ret;
}

/**
 * lab_run() - replay a trace on one strategy, or on every one in turn
 * @dev: the device; its file must hold nothing
 * @run: what to replay and how; its results are filled in
 *
 * The trace is parsed whole first: a malformed one replays nothing. The
 * strategies the running module does not have are skipped and listed when
 * all are asked for, and an error when one is.
 *
 * Return: 0, or -1 once it said what failed.
 */
int lab_run(struct lab_device *dev, struct lab_run *run)
{
	const struct lab_strategy *s;
	char csv[4096], map[4096];
	struct trace_reader *r;
	int ret = 0;

	if (run->only && !lab_strategy_usable(dev, run->only)) {
		lab_err("%s: the running module (ABI %u) does not have it: it needs ABI %u",
			run->only->name, dev->info.abi_version,
			run->only->min_abi);
		return -1;
	}
	if (run->map && access(LAB_MAP_PATH, R_OK)) {
		lab_err("%s: %s (is debugfs mounted?)", LAB_MAP_PATH,
			strerror(errno));
		return -1;
	}
	r = lab_trace_open(run);
	if (!r)
		return -1;
	lab_header_machine(&run->header, dev);
	for (s = run->only ? run->only : lab_strategies; s->name; s++) {
		if (!lab_strategy_usable(dev, s)) {
			run->skipped[run->nr_skipped++] = s;
			continue;
		}
		if ((run->csv && lab_output_path(csv, sizeof(csv), run->csv,
						 !run->only, s, ".csv")) ||
		    (run->map && lab_output_path(map, sizeof(map), run->map,
						 !run->only, s, ".map")) ||
		    lab_replay(dev, r, run, s, run->csv ? csv : NULL,
			       run->map ? map : NULL, &run->res[run->nr])) {
			ret = -1;
			break;
		}
		run->nr++;
		if (run->only)
			break;
	}
	trace_close(r);
	return ret;
}

/**
 * lab_cmd_replay() - buddyslabctl replay
 * @fd: an open file of the device
 * @device: its path
 * @argc: words of the command line from "replay" on
 * @argv: the words
 *
 * replay TRACE --allocator NAME|all [--from FORMAT] [--events E]
 * [--every N] [--csv FILE|DIR] [--map FILE|DIR] [--progress]: prints the
 * results' table; with "all", --csv and --map name directories. --events
 * objects|pages|all picks an ftrace log's event families.
 *
 * Return: 0, -1 once it said what failed, -EINVAL for a usage error.
 */
int lab_cmd_replay(int fd, const char *device, int argc, char **argv)
{
	static const struct option options[] = {
		{ "allocator", required_argument, NULL, 'a' },
		{ "from", required_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'E' },
		{ "every", required_argument, NULL, 'e' },
		{ "csv", required_argument, NULL, 'c' },
		{ "map", required_argument, NULL, 'm' },
		{ "progress", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_run *run = calloc(1, sizeof(*run));
	const char *allocator = NULL;
	struct lab_device dev;
	int opt, ret = -EINVAL;

	if (!run) {
		lab_err("replay: %s", strerror(ENOMEM));
		return -1;
	}
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			allocator = optarg;
			break;
		case 'f':
			run->from = optarg;
			break;
		case 'E':
			if (lab_parse_events(optarg, &run->events))
				goto out;
			break;
		case 'e':
			if (lab_parse_u64(optarg, &run->opts.every) ||
			    !run->opts.every)
				goto out;
			break;
		case 'c':
			run->csv = optarg;
			break;
		case 'm':
			run->map = optarg;
			break;
		case 'p':
			run->opts.progress = true;
			break;
		default:
			goto out;
		}
	}
	if (optind != argc - 1 || !allocator)
		goto out;
	run->trace = argv[optind];
	if (lab_strategy_parse("replay", allocator, &run->only)) {
		ret = -1;
		goto out;
	}
	run->opts.progress |= isatty(STDERR_FILENO);
	ret = -1;
	if (lab_device_init(&dev, fd, device) || lab_run(&dev, run))
		goto out;
	lab_results_table(stdout, &dev, run);
	ret = 0;
out:
	free(run);
	return ret;
}
