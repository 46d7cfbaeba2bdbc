// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test: the trace layer's tests, on the host (make -C tools test).
 *
 *   trace_test SAMPLES_DIR
 *
 * Every importer reads the samples of tools/lab/samples/ (real glibc
 * mtrace logs, hand-made ftrace logs, see their README) and must give
 * exactly the operations and counts worked out for them by hand; malformed
 * ones must fail at the right line with the right reason and give nothing
 * after. Then rewind, the native format's errors, conversion round trips,
 * and the generators: the same seed gives the same bytes (and the bytes
 * recorded here, so that another machine is held to them too), sizes stay
 * within --min and --max, the live bytes hover around --live.
 *
 * Prints "ok N - what" or "not ok N - what" per check, the reasons as
 * "# ..." lines, and last "trace tests: N passed, N failed"; exits 1 if
 * any failed.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *samples;
static char tmpdir[] = "/tmp/trace_test.XXXXXX";
static unsigned int passed, failed;

static bool check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", ok ? "" : "not ", passed + failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
	return ok;
}

/* A path under the samples' directory or the scratch one. */
static const char *path_in(const char *dir, const char *name)
{
	static char paths[4][512];
	static unsigned int next;
	char *p = paths[next++ % ARRAY_SIZE(paths)];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

static const char *sample(const char *name)
{
	return path_in(samples, name);
}

/* Write @len bytes of @text to scratch file @name; its path. */
static const char *scratch(const char *name, const char *text, size_t len)
{
	const char *path = path_in(tmpdir, name);
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
	return path;
}

/* What reading a whole trace gave. */
struct run {
	bool opened;
	char open_error[512];
	struct trace_op *ops;
	size_t nr;
	int ret;		/* the last trace_read(): 0 or -1 */
	int again;		/* one more trace_read() after it */
	char error[512];
	struct trace_counts counts;
	enum trace_format format;
	char source[256];
};

static void run_reader(struct trace_reader *r, struct run *run)
{
	struct trace_op op;
	size_t max = 0;

	while ((run->ret = trace_read(r, &op)) > 0) {
		if (run->nr == max) {
			max = max ? 2 * max : 256;
			run->ops = realloc(run->ops, max * sizeof(op));
			if (!run->ops)
				exit(2);
		}
		run->ops[run->nr++] = op;
	}
	run->again = trace_read(r, &op);
	snprintf(run->error, sizeof(run->error), "%s", trace_error(r));
	run->counts = *trace_counts(r);
	run->format = trace_format_of(r);
	snprintf(run->source, sizeof(run->source), "%s", trace_source(r));
}

static struct run read_trace(const char *path, enum trace_format format,
			     unsigned int events)
{
	struct run run = { 0 };
	struct trace_reader *r;

	r = trace_open(path, format, run.open_error, sizeof(run.open_error));
	run.opened = r;
	if (!r)
		return run;
	if (events != TRACE_EVENTS_ALL && trace_ftrace_events(r, events))
		run.ret = -2;
	else
		run_reader(r, &run);
	trace_close(r);
	return run;
}

static void free_run(struct run *run)
{
	free(run->ops);
	memset(run, 0, sizeof(*run));
}

/* The counts a test expects; lines and live_bytes at the end too. */
static bool check_counts(const char *what, const struct trace_counts *got,
			 const struct trace_counts *want)
{
	const struct {
		const char *name;
		uint64_t got, want;
	} rows[] = {
		{ "lines", got->lines, want->lines },
		{ "allocs", got->allocs, want->allocs },
		{ "frees", got->frees, want->frees },
		{ "unknown_frees", got->unknown_frees, want->unknown_frees },
		{ "reallocs", got->reallocs, want->reallocs },
		{ "zero_sizes", got->zero_sizes, want->zero_sizes },
		{ "implicit_frees", got->implicit_frees, want->implicit_frees },
		{ "max_live", got->max_live, want->max_live },
		{ "skipped_lines", got->skipped_lines, want->skipped_lines },
		{ "ops", got->ops, want->ops },
		{ "live_bytes", got->live_bytes, want->live_bytes },
		{ "max_live_bytes", got->max_live_bytes, want->max_live_bytes },
	};
	bool ok = true;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		if (rows[i].got == rows[i].want)
			continue;
		printf("# %s: %s is %llu, expected %llu\n", what, rows[i].name,
		       (unsigned long long)rows[i].got,
		       (unsigned long long)rows[i].want);
		ok = false;
	}
	return check(ok, "%s: every count as worked out by hand", what);
}

/* An expected operation: 'a' ID SIZE or 'f' ID (the size it had). */
struct want_op {
	char kind;
	uint64_t id, size;
	unsigned long line;
};

static bool same_op(const struct trace_op *op, const struct want_op *w)
{
	return op->kind == (w->kind == 'a' ? TRACE_ALLOC : TRACE_FREE) &&
	       op->id == w->id && op->size == w->size && op->line == w->line;
}

static void check_ops(const char *what, const struct run *run,
		      const struct want_op *want, size_t nr_want)
{
	size_t i;

	for (i = 0; i < run->nr && i < nr_want; i++) {
		if (same_op(&run->ops[i], &want[i]))
			continue;
		printf("# op %zu is %s %llu %llu (line %lu), expected %c %llu %llu (line %lu)\n",
		       i + 1, run->ops[i].kind == TRACE_ALLOC ? "a" : "f",
		       (unsigned long long)run->ops[i].id,
		       (unsigned long long)run->ops[i].size, run->ops[i].line,
		       want[i].kind, (unsigned long long)want[i].id,
		       (unsigned long long)want[i].size, want[i].line);
		break;
	}
	check(run->nr == nr_want && i == nr_want,
	      "%s: the %zu operations, in order, with their lines", what, nr_want);
}

/* @path fails at @line for a reason saying @reason, after @nr_ops ops. */
static void check_fails(const char *what, const char *path,
			enum trace_format format, unsigned long line,
			const char *reason, size_t nr_ops)
{
	struct run run = read_trace(path, format, TRACE_EVENTS_ALL);
	char prefix[600];

	snprintf(prefix, sizeof(prefix), "%s:%lu: ", path, line);
	if (!run.opened)
		printf("# open: %s\n", run.open_error);
	else if (strncmp(run.error, prefix, strlen(prefix)) ||
		 !strstr(run.error, reason))
		printf("# error: '%s'\n# expected '%s...%s'\n", run.error, prefix,
		       reason);
	check(run.opened && run.ret == -1 && run.again == -1 &&
	      !strncmp(run.error, prefix, strlen(prefix)) &&
	      strstr(run.error, reason) && run.nr == nr_ops,
	      "%s: fails at line %lu saying so, after %zu ops (%zu), and stays failed",
	      what, line, nr_ops, run.nr);
	free_run(&run);
}

static void test_mtrace_samples(void)
{
	static const struct want_op forms[] = {
		{ 'a', 1, 1, 2 }, { 'a', 2, 32, 3 }, { 'a', 3, 100, 4 },
		{ 'a', 4, 200, 5 }, { 'a', 5, 300, 6 }, { 'a', 6, 512, 7 },
		{ 'a', 7, 1000, 8 }, { 'f', 3, 100, 11 }, { 'a', 8, 5000, 11 },
		{ 'f', 8, 5000, 13 }, { 'a', 9, 20, 13 }, { 'f', 2, 32, 15 },
		{ 'a', 10, 4096, 16 }, { 'f', 1, 1, 17 }, { 'f', 9, 20, 18 },
		{ 'f', 4, 200, 19 }, { 'f', 5, 300, 20 }, { 'f', 6, 512, 21 },
		{ 'f', 7, 1000, 22 }, { 'f', 10, 4096, 23 },
	};
	static const struct {
		const char *name;
		struct trace_counts want;
	} logs[] = {
		{ "sort-services.mtrace", { .lines = 429, .allocs = 221,
		  .frees = 207, .reallocs = 1, .max_live = 156,
		  .skipped_lines = 1, .ops = 428, .live_bytes = 192,
		  .max_live_bytes = 849788 } },
		{ "grep-passwd.mtrace", { .lines = 576, .allocs = 297,
		  .frees = 278, .reallocs = 9, .zero_sizes = 2, .max_live = 172,
		  .skipped_lines = 1, .ops = 575, .live_bytes = 112805,
		  .max_live_bytes = 125653 } },
		{ "sort-tail.mtrace", { .lines = 150, .allocs = 6, .frees = 6,
		  .unknown_frees = 138, .max_live = 5, .ops = 12,
		  .max_live_bytes = 837600 } },
		/* failed malloc, failed realloc, "= Start": skipped */
		{ "forms.mtrace", { .lines = 23, .allocs = 10, .frees = 10,
		  .reallocs = 2, .zero_sizes = 1, .max_live = 7,
		  .skipped_lines = 3, .ops = 20, .max_live_bytes = 7045 } },
	};
	struct run run;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(logs); i++) {
		run = read_trace(sample(logs[i].name), TRACE_AUTO, TRACE_EVENTS_ALL);
		check(run.opened && run.ret == 0 && run.again == 0 &&
		      run.format == TRACE_MTRACE && !strcmp(run.source, "mtrace"),
		      "mtrace %s: told from its first line, read to its end",
		      logs[i].name);
		check_counts(logs[i].name, &run.counts, &logs[i].want);
		if (i == ARRAY_SIZE(logs) - 1)
			check_ops("mtrace forms.mtrace", &run, forms,
				  ARRAY_SIZE(forms));
		free_run(&run);
	}

	check_fails("mtrace: the program's output in the log",
		    sample("bad-output.mtrace"), TRACE_AUTO, 13,
		    "not an mtrace line", 11);
	check_fails("mtrace: a '<' followed by a free",
		    sample("bad-realloc.mtrace"), TRACE_MTRACE, 9,
		    "the realloc of 0x55aeb16f9ce0 on line 8 has its '<' line but no '>'", 6);
	check_fails("mtrace: a '>' without its '<'", sample("bad-orphan.mtrace"),
		    TRACE_MTRACE, 8, "'>' line without the '<' line", 6);
	check_fails("mtrace: the log ends inside a realloc",
		    sample("bad-truncated.mtrace"), TRACE_MTRACE, 8,
		    "ends inside the realloc of line 8", 6);
	check_fails("mtrace: a line cut short", sample("bad-cut.mtrace"),
		    TRACE_MTRACE, 21, "'+' takes an address and a size", 19);
	check_fails("mtrace: a bad size",
		    scratch("size.mtrace", "= Start\n@ x:[0x1] + 0x10 0x1g\n", 30),
		    TRACE_MTRACE, 2, "'0x1g' is not a size", 0);
	check_fails("mtrace: a bad address",
		    scratch("addr.mtrace", "= Start\n- 0x\n", 13), TRACE_MTRACE,
		    2, "'0x' is not an address", 0);
}

static void test_ftrace_samples(void)
{
	static const struct want_op kmem[] = {
		{ 'a', 1, 4096, 24 }, { 'a', 2, 56, 25 }, { 'f', 1, 4096, 26 },
		{ 'a', 3, 4096, 27 }, { 'a', 4, 6144, 29 }, { 'a', 5, 24, 30 },
		{ 'f', 2, 56, 31 }, { 'a', 6, 16384, 35 }, { 'a', 7, 4096, 36 },
		{ 'a', 8, 176, 37 }, { 'a', 9, 100, 39 }, { 'f', 9, 100, 40 },
		{ 'f', 3, 4096, 41 }, { 'f', 7, 4096, 42 }, { 'f', 6, 16384, 44 },
		{ 'f', 8, 176, 45 }, { 'a', 10, 64, 47 },
		/* 48: ptr ...3c0 allocated again while id 5 is live */
		{ 'f', 5, 24, 48 }, { 'a', 11, 32, 48 },
		{ 'f', 10, 64, 49 }, { 'f', 11, 32, 50 }, { 'f', 4, 6144, 51 },
	};
	static const struct want_op old[] = {
		{ 'a', 1, 2312, 17 }, { 'a', 2, 640, 18 }, { 'a', 3, 232, 19 },
		{ 'f', 3, 232, 20 }, { 'f', 2, 640, 21 }, { 'f', 1, 2312, 22 },
	};
	/* zone_locked, kfree(NULL), rss_stat, the failed page: skipped */
	const struct trace_counts all = { .lines = 51, .allocs = 11,
		.frees = 11, .unknown_frees = 1, .zero_sizes = 1,
		.implicit_frees = 1, .max_live = 7, .skipped_lines = 4,
		.ops = 22, .max_live_bytes = 31020 };
	/* and the 6 page events */
	const struct trace_counts objects = { .lines = 51, .allocs = 8,
		.frees = 8, .unknown_frees = 1, .zero_sizes = 1,
		.implicit_frees = 1, .max_live = 4, .skipped_lines = 10,
		.ops = 16, .max_live_bytes = 6444 };
	/* and the 18 object events, zero sizes and unknown frees among them */
	const struct trace_counts pages = { .lines = 51, .allocs = 3,
		.frees = 3, .max_live = 3, .skipped_lines = 21, .ops = 6,
		.max_live_bytes = 24576 };
	const char *path = sample("kmem-6.12.ftrace");
	struct trace_reader *r;
	struct trace_op op;
	struct run run;
	char err[512];

	run = read_trace(path, TRACE_AUTO, TRACE_EVENTS_ALL);
	check(run.opened && run.ret == 0 && run.format == TRACE_FTRACE &&
	      !strcmp(run.source, "ftrace"),
	      "ftrace kmem-6.12.ftrace: told from '# tracer:', read to its end");
	check_counts("kmem-6.12.ftrace", &run.counts, &all);
	check_ops("ftrace kmem-6.12.ftrace", &run, kmem, ARRAY_SIZE(kmem));
	free_run(&run);
	run = read_trace(path, TRACE_FTRACE, TRACE_EVENTS_OBJECTS);
	check(run.ret == 0, "ftrace: --events objects reads");
	check_counts("kmem-6.12.ftrace, objects only", &run.counts, &objects);
	free_run(&run);
	run = read_trace(path, TRACE_FTRACE, TRACE_EVENTS_PAGES);
	check(run.ret == 0, "ftrace: --events pages reads");
	check_counts("kmem-6.12.ftrace, pages only", &run.counts, &pages);
	free_run(&run);

	r = trace_open(path, TRACE_AUTO, err, sizeof(err));
	check(r && trace_read(r, &op) == 1 &&
	      trace_ftrace_events(r, TRACE_EVENTS_PAGES) == -1,
	      "ftrace: the events cannot change once reading has begun");
	trace_close(r);
	r = trace_open(sample("forms.mtrace"), TRACE_AUTO, err, sizeof(err));
	check(r && trace_ftrace_events(r, TRACE_EVENTS_PAGES) == -1,
	      "ftrace: an mtrace reader has no events to choose");
	trace_close(r);

	run = read_trace(sample("kmem-5.10.ftrace"), TRACE_AUTO, TRACE_EVENTS_ALL);
	check(run.ret == 0 && run.counts.lines == 22 && run.counts.ops == 6 &&
	      !run.counts.skipped_lines,
	      "ftrace kmem-5.10.ftrace: kmalloc_node, kmem_cache_alloc_node read");
	check_ops("ftrace kmem-5.10.ftrace", &run, old, ARRAY_SIZE(old));
	free_run(&run);

	check_fails("ftrace: hashed pointers not ready", sample("kmem-hashed.ftrace"),
		    TRACE_AUTO, 7, "boot", 1);
	check_fails("ftrace: hashed pointers, the message names the cure",
		    sample("kmem-hashed.ftrace"), TRACE_AUTO, 7,
		    "no_hash_pointers", 1);
	check_fails("ftrace: lost events", sample("kmem-lost.ftrace"), TRACE_AUTO,
		    18, "the trace is incomplete", 10);
	check_fails("ftrace: a line cut short", sample("kmem-cut.ftrace"),
		    TRACE_AUTO, 9, "a kmalloc event without bytes_req=", 4);
	check_fails("ftrace: not an event line",
		    scratch("text.ftrace", "# tracer: nop\nhello\n", 20),
		    TRACE_AUTO, 2, "not an ftrace event line", 0);
	check_fails("ftrace: an order past any kernel's",
		    scratch("order.ftrace", "# tracer: nop\n x-1 [000] ..... 1.0: mm_page_alloc: page=ffffea0000000040 pfn=0x1 order=99 migratetype=0 gfp_flags=GFP_KERNEL\n", 117),
		    TRACE_AUTO, 2, "order=99 is not a page order", 0);
}

/* trace_pipe has no header: an event line tells the format too. */
static void test_ftrace_pipe(void)
{
	static const char pipe[] =
		"          <idle>-0       [000] ..s1.   7.000001: kfree: call_site=x+0x1/0x2 ptr=ffff888000001000\n"
		"   kworker/0:1-23      [000] .....   7.000002: kmalloc: call_site=y+0x1/0x2 ptr=ffff888000002000 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false\n";
	struct run run = read_trace(scratch("pipe.ftrace", pipe, strlen(pipe)),
				    TRACE_AUTO, TRACE_EVENTS_ALL);

	check(run.opened && run.format == TRACE_FTRACE && run.ret == 0 &&
	      run.nr == 1 && run.counts.unknown_frees == 1 &&
	      run.ops[0].size == 8,
	      "ftrace: trace_pipe's text, without a header, told and read");
	free_run(&run);
}

#define HDR	"# buddyslab-trace 1\n"

static void test_native(void)
{
	static const struct want_op ops[] = {
		{ 'a', 1, 100, 6 }, { 'a', 2, 24, 7 }, { 'f', 1, 100, 8 },
		{ 'a', 1, 200, 10 }, { 'a', UINT64_MAX, 1, 11 },
		{ 'f', 2, 24, 12 }, { 'f', UINT64_MAX, 1, 13 },
	};
	static const struct {
		const char *what, *text;
		unsigned long line;
		const char *reason;
		size_t ops;
	} bad[] = {
		{ "another version", "# buddyslab-trace 2\na 1 1\n", 1,
		  "version 1 of the native format only", 0 },
		{ "no header", "a 1 1\n", 1, "its first line must be", 0 },
		{ "an id allocated twice", HDR "a 1 10\na 2 10\na 1 5\n", 4,
		  "id 1 is allocated again while live (allocated on line 2)", 2 },
		{ "size 0", HDR "a 1 0\n", 2, "size 0", 0 },
		{ "a missing size", HDR "a 1 5\na 2\n", 3, "'a ID SIZE': missing", 1 },
		{ "a free with a size", HDR "f 1 5\n", 2, "'f ID': too many", 0 },
		{ "an id past 64 bits", HDR "a 18446744073709551616 1\n", 2,
		  "id '18446744073709551616' is not a decimal number", 0 },
		{ "a negative size", HDR "a 1 -5\n", 2,
		  "size '-5' is not a decimal number", 0 },
		{ "a hexadecimal id", HDR "f 0x10\n", 2, "id '0x10'", 0 },
		{ "an unknown operation", HDR "a 1 1\nr 1 2\n", 3,
		  "'r' is not an operation", 1 },
		{ "a comment after an operation", HDR "a 1 1 # one\n", 2,
		  "too many fields", 0 },
		{ "a trace cut short", HDR "a 1 1\nerror: x.mtrace:9: broken\n", 3,
		  "cut short when it was written: x.mtrace:9: broken", 1 },
	};
	char name[32], err[512];
	struct trace_reader *r;
	struct run run;
	unsigned int i;

	run = read_trace(sample("example.trace"), TRACE_AUTO, TRACE_EVENTS_ALL);
	check(run.opened && run.ret == 0 && run.format == TRACE_NATIVE &&
	      !strcmp(run.source, "hand-written sample of the native format"),
	      "native example.trace: read, its source from the header");
	check_ops("native example.trace", &run, ops, ARRAY_SIZE(ops));
	check(run.counts.unknown_frees == 1 && run.counts.max_live == 3 &&
	      run.counts.max_live_bytes == 225 && run.counts.lines == 13,
	      "native: a free of an id never allocated is counted and skipped");
	free_run(&run);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(name, sizeof(name), "bad%u.trace", i);
		check_fails(bad[i].what,
			    scratch(name, bad[i].text, strlen(bad[i].text)),
			    TRACE_NATIVE, bad[i].line, bad[i].reason, bad[i].ops);
	}
	check_fails("a NUL byte", scratch("nul.trace", HDR "a 1\0 1\n", 27),
		    TRACE_NATIVE, 2, "a NUL byte", 0);
	check_fails("a native trace with no header at all",
		    scratch("empty.trace", "\n", 1), TRACE_NATIVE, 1,
		    "no '# buddyslab-trace 1' line", 0);

	r = trace_open(scratch("empty", "", 0), TRACE_AUTO, err, sizeof(err));
	check(!r && strstr(err, "empty: there is no trace in it"),
	      "an empty file is refused when its format must be told");
	trace_close(r);
	r = trace_open(scratch("text", "hello\n", 6), TRACE_AUTO, err, sizeof(err));
	check(!r && strstr(err, ":1: cannot tell the format"),
	      "a text that is no trace is refused, with its line");
	trace_close(r);
	r = trace_open(path_in(tmpdir, "missing"), TRACE_AUTO, err, sizeof(err));
	check(!r && strstr(err, "No such file"), "a missing file is refused");
	trace_close(r);
}

static bool same_ops(const struct run *a, const struct run *b, bool lines)
{
	size_t i;

	if (a->nr != b->nr)
		return false;
	for (i = 0; i < a->nr; i++)
		if (a->ops[i].kind != b->ops[i].kind || a->ops[i].id != b->ops[i].id ||
		    a->ops[i].size != b->ops[i].size ||
		    (lines && a->ops[i].line != b->ops[i].line))
			return false;
	return true;
}

static void test_rewind(void)
{
	struct run first = { 0 }, again = { 0 };
	struct trace_reader *r;
	char err[512];

	r = trace_open(sample("grep-passwd.mtrace"), TRACE_AUTO, err, sizeof(err));
	if (!check(r, "rewind: open"))
		return;
	run_reader(r, &first);
	check(!trace_rewind(r) && trace_counts(r)->ops == 0 &&
	      trace_counts(r)->lines == 0 && !*trace_error(r),
	      "rewind: the counts start again");
	run_reader(r, &again);
	check(first.ret == 0 && again.ret == 0 && same_ops(&first, &again, true) &&
	      !memcmp(&first.counts, &again.counts, sizeof(first.counts)),
	      "rewind: the same %zu operations and counts again", again.nr);
	trace_close(r);
	free_run(&first);
	free_run(&again);

	r = trace_open(sample("bad-output.mtrace"), TRACE_AUTO, err, sizeof(err));
	if (!check(r, "rewind: open a malformed log"))
		return;
	run_reader(r, &first);
	check(!trace_rewind(r), "rewind: after a failure too");
	run_reader(r, &again);
	check(first.ret == -1 && again.ret == -1 && same_ops(&first, &again, true) &&
	      !strcmp(first.error, again.error),
	      "rewind: fails again at the same line after the same operations");
	trace_close(r);
	free_run(&first);
	free_run(&again);
}

/* Convert @path to native in scratch file @name; read both: same ops. */
static void check_round_trip(const char *path, const char *name,
			     unsigned int events)
{
	const char *out = path_in(tmpdir, name);
	struct run orig, back;
	struct trace_reader *r;
	char err[512];
	int ret = -1;
	FILE *f;

	r = trace_open(path, TRACE_AUTO, err, sizeof(err));
	f = fopen(out, "w");
	if (r && f && (events == TRACE_EVENTS_ALL || !trace_ftrace_events(r, events)))
		ret = trace_convert(r, f, err, sizeof(err));
	if (f)
		fclose(f);
	trace_close(r);
	orig = read_trace(path, TRACE_AUTO, events);
	back = read_trace(out, TRACE_NATIVE, TRACE_EVENTS_ALL);
	check(!ret && orig.ret == 0 && back.ret == 0 && same_ops(&orig, &back, false) &&
	      back.counts.max_live_bytes == orig.counts.max_live_bytes &&
	      back.counts.max_live == orig.counts.max_live,
	      "round trip: %s to native and back, the same %zu operations",
	      path + strlen(samples) + 1, back.nr);
	free_run(&orig);
	free_run(&back);
}

static void test_convert(void)
{
	const char *out = path_in(tmpdir, "cut.trace");
	struct trace_reader *r;
	char err[512];
	struct run run;
	FILE *f;
	int ret;

	check_round_trip(sample("sort-services.mtrace"), "sort.trace", TRACE_EVENTS_ALL);
	check_round_trip(sample("grep-passwd.mtrace"), "grep.trace", TRACE_EVENTS_ALL);
	check_round_trip(sample("forms.mtrace"), "forms.trace", TRACE_EVENTS_ALL);
	check_round_trip(sample("kmem-6.12.ftrace"), "kmem.trace", TRACE_EVENTS_ALL);
	check_round_trip(sample("kmem-6.12.ftrace"), "pages.trace", TRACE_EVENTS_PAGES);
	check_round_trip(sample("kmem-5.10.ftrace"), "old.trace", TRACE_EVENTS_ALL);
	check_round_trip(sample("example.trace"), "example.trace", TRACE_EVENTS_ALL);

	run = read_trace(path_in(tmpdir, "sort.trace"), TRACE_AUTO, TRACE_EVENTS_ALL);
	check(run.format == TRACE_NATIVE && strstr(run.source, "mtrace log ") &&
	      strstr(run.source, "sort-services.mtrace"),
	      "convert: the header names the format and the file");
	free_run(&run);
	run = read_trace(path_in(tmpdir, "example.trace"), TRACE_AUTO, TRACE_EVENTS_ALL);
	check(!strcmp(run.source, "hand-written sample of the native format"),
	      "convert: a native trace keeps its source");
	free_run(&run);

	r = trace_open(sample("bad-realloc.mtrace"), TRACE_AUTO, err, sizeof(err));
	f = fopen(out, "w");
	ret = r && f ? trace_convert(r, f, err, sizeof(err)) : 0;
	if (f)
		fclose(f);
	trace_close(r);
	check(ret == -1 && strstr(err, "bad-realloc.mtrace:9: "),
	      "convert: a malformed log fails with its line");
	run = read_trace(out, TRACE_NATIVE, TRACE_EVENTS_ALL);
	check(run.ret == -1 && run.nr == 6 && strstr(run.error, "cut short") &&
	      strstr(run.error, "bad-realloc.mtrace:9: "),
	      "convert: what it wrote before cannot be replayed as a whole trace");
	free_run(&run);
}

static void test_writer(void)
{
	struct trace_op zero = { .kind = TRACE_ALLOC, .id = 1, .size = 0 };
	struct trace_op bad = { .kind = 3, .id = 1, .size = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	check(trace_write_op(f, &zero) == -1 && trace_write_op(f, &bad) == -1,
	      "write: an allocation of 0 bytes or an unknown kind is refused");
	check(!trace_write_header(f, "two\nlines", "key", "a\nb", NULL), "write: header");
	fclose(f);
	check(!strcmp(buf, HDR "# source: two lines\n# key: a b\n"),
	      "write: a value's line ends cannot start lines of their own");
	free(buf);
}

/* A generated trace in memory. */
static char *generate(const struct trace_gen_params *p, size_t *len, char *err)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (trace_gen_write(p, f, err, 512)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* FNV-1a, to hold the generated bytes to those recorded here. */
static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void test_generator_kind(const char *kind, uint64_t golden)
{
	struct trace_gen_params p, q;
	char err[512], *a, *b, *c;
	size_t la = 0, lb = 0, lc = 0, i;
	uint64_t sum = 0, samples_live = 0;
	bool in_range = true;
	struct trace_reader *r;

	if (!check(!trace_gen_defaults(kind, &p), "generate %s: defaults", kind))
		return;
	p.ops = 1000;
	a = generate(&p, &la, err);
	check(a && fnv1a(a, la) == golden,
	      "generate %s: seed 1, 1000 ops: the bytes recorded (%016llx)", kind,
	      a ? (unsigned long long)fnv1a(a, la) : 0ULL);
	b = generate(&p, &lb, err);
	check(a && b && la == lb && !memcmp(a, b, la),
	      "generate %s: the same seed, the same trace", kind);
	q = p;
	q.seed = 2;
	c = generate(&q, &lc, err);
	check(a && c && (la != lc || memcmp(a, c, la)),
	      "generate %s: another seed, another trace", kind);
	free(a);
	free(b);
	free(c);

	p.ops = 200000;
	p.seed = 42;
	p.min_size = 100;
	p.max_size = 3000;
	p.live_bytes = 256 << 10;
	a = generate(&p, &la, err);
	if (!check(a, "generate %s: 200000 ops, 100 to 3000 bytes, 256 KiB live", kind))
		return;
	/* every size, and the live bytes over the second half */
	r = trace_open(scratch("gen.trace", a, la), TRACE_NATIVE, err, sizeof(err));
	free(a);
	for (i = 0; r; i++) {
		struct trace_op op;

		if (trace_read(r, &op) <= 0)
			break;
		if (op.kind == TRACE_ALLOC && (op.size < 100 || op.size > 3000))
			in_range = false;
		if (i >= p.ops / 2) {
			sum += trace_counts(r)->live_bytes;
			samples_live++;
		}
	}
	check(r && !*trace_error(r) && trace_counts(r)->ops == p.ops &&
	      trace_counts(r)->frees > p.ops / 3,
	      "generate %s: exactly %llu operations, a third of them frees or more",
	      kind, (unsigned long long)p.ops);
	check(in_range, "generate %s: every size within --min and --max", kind);
	check(samples_live && sum / samples_live > (p.live_bytes * 3) / 4 &&
	      sum / samples_live < (p.live_bytes * 5) / 4,
	      "generate %s: live bytes hover around --live (%llu for %llu)", kind,
	      samples_live ? (unsigned long long)(sum / samples_live) : 0ULL,
	      (unsigned long long)p.live_bytes);
	trace_close(r);
}

static void test_generators(void)
{
	static const struct {
		const char *kind;
		uint64_t golden;
	} kinds[] = {
		{ "uniform", 0x9c6f719f12bd8806ULL },
		{ "loguniform", 0x76e0f764c6f34382ULL },
		{ "exponential", 0x4689180db722062eULL },
		{ "kernel", 0x504893cef9a1be8fULL },
	};
	static const struct {
		const char *kind;
		uint64_t allocs, frees, max_live_bytes;
	} examples[] = {
		{ "example-buddy", 5, 5, (100 + 240 + 64 + 256) << 10 },
		{ "example-fit", 9, 3, 4096 + 1024 + 2048 + 3 * 64 },
		{ "example-external", 17, 8, 16 * 4096 },
		{ "example-internal", 8, 8, 8168 },
	};
	struct trace_gen_params p;
	char err[512], *buf;
	struct run run;
	unsigned int i;
	size_t len;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		test_generator_kind(kinds[i].kind, kinds[i].golden);
	for (i = 0; i < ARRAY_SIZE(examples); i++) {
		trace_gen_defaults(examples[i].kind, &p);
		buf = generate(&p, &len, err);
		run = read_trace(buf ? scratch("example", buf, len) : "", TRACE_AUTO,
				 TRACE_EVENTS_ALL);
		check(run.ret == 0 && run.counts.allocs == examples[i].allocs &&
		      run.counts.frees == examples[i].frees &&
		      run.counts.max_live_bytes == examples[i].max_live_bytes,
		      "generate %s: %llu allocations, %llu frees, %llu bytes at the peak",
		      examples[i].kind, (unsigned long long)examples[i].allocs,
		      (unsigned long long)examples[i].frees,
		      (unsigned long long)examples[i].max_live_bytes);
		free(buf);
		free_run(&run);
		p.seed = 3;
		buf = generate(&p, &len, err);
		check(!buf && strstr(err, "is a fixed trace"),
		      "generate %s: refuses options", examples[i].kind);
		free(buf);
	}

	check(trace_gen_defaults("nonsense", &p) == -1, "generate: an unknown kind");
	trace_gen_defaults("uniform", &p);
	p.min_size = 0;
	buf = generate(&p, &len, err);
	check(!buf && strstr(err, "1 <= --min <= --max"), "generate: --min 0 refused");
	p.min_size = 500;
	p.max_size = 400;
	buf = generate(&p, &len, err);
	check(!buf && strstr(err, "1 <= --min <= --max"), "generate: --max < --min refused");
	trace_gen_defaults("uniform", &p);
	p.ops = 0;
	buf = generate(&p, &len, err);
	check(!buf && strstr(err, "--ops"), "generate: --ops 0 refused");
	trace_gen_defaults("kernel", &p);
	p.min_size = 9000;
	p.max_size = 10000;
	buf = generate(&p, &len, err);
	check(!buf && strstr(err, "no kmalloc class"),
	      "generate kernel: sizes no kmalloc class has are refused");
}

/* Remove the scratch directory and what the tests left in it. */
static void clean_scratch(void)
{
	static const char *const names[] = {
		"size.mtrace", "addr.mtrace", "text.ftrace", "order.ftrace",
		"pipe.ftrace", "nul.trace", "empty.trace", "empty", "text",
		"sort.trace", "grep.trace", "forms.trace", "kmem.trace",
		"pages.trace", "old.trace", "example.trace", "cut.trace",
		"gen.trace", "example",
	};
	char name[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		unlink(path_in(tmpdir, names[i]));
	for (i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "bad%u.trace", i);
		unlink(path_in(tmpdir, name));
	}
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SAMPLES_DIR\n", argv[0]);
		return 2;
	}
	samples = argv[1];
	if (access(sample("README.md"), R_OK)) {
		perror(sample("README.md"));
		return 2;
	}
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 2;
	}
	test_mtrace_samples();
	test_ftrace_samples();
	test_ftrace_pipe();
	test_native();
	test_rewind();
	test_convert();
	test_writer();
	test_generators();
	clean_scratch();
	printf("trace tests: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
