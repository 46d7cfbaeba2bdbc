// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c: the trace reader, the native format and the format detection.
 *
 * The reader reads its source a line at a time and gives the operations
 * of each line in turn; a format (native here, mtrace and ftrace in their
 * own files) turns a line into operations. Keys that are live sit in an
 * open-addressing hash map that grows with the live set and with nothing
 * else, so a trace of any length streams through in bounded memory.
 *
 * Whatever goes wrong is said once, as "PATH:LINE: what", and the reader
 * stays failed: a caller cannot go on past a malformed line by accident.
 * trace_convert() ends a native trace that it could not finish with a line
 * no reader accepts, so that a truncated conversion cannot be replayed as
 * if it were whole either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define TRACE_MAP_MIN	1024	/* slots of a map when it is first used */
#define TRACE_CUT_SHORT	"error:"	/* trace_convert()'s last line on failure */

static const char *const format_names[] = {
	[TRACE_AUTO] = "auto",
	[TRACE_NATIVE] = "native",
	[TRACE_MTRACE] = "mtrace",
	[TRACE_FTRACE] = "ftrace",
};

const char *trace_format_name(enum trace_format format)
{
	if ((unsigned int)format >= ARRAY_SIZE(format_names))
		return "unknown";
	return format_names[format];
}

int trace_format_parse(const char *name, enum trace_format *format)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (name && !strcmp(name, format_names[i])) {
			*format = i;
			return 0;
		}
	}
	return -1;
}

int trace_fail(struct trace_reader *r, const char *fmt, ...)
{
	int len = 0;
	va_list ap;

	if (r->failed)
		return -1;
	if (r->lineno)
		len = snprintf(r->error, sizeof(r->error), "%s:%lu: ", r->path,
			       r->lineno);
	else
		len = snprintf(r->error, sizeof(r->error), "%s: ", r->path);
	if (len < 0 || (size_t)len >= sizeof(r->error))
		len = 0;
	va_start(ap, fmt);
	vsnprintf(r->error + len, sizeof(r->error) - len, fmt, ap);
	va_end(ap);
	r->failed = true;
	r->queued = r->next = 0;
	return -1;
}

/* splitmix64's finaliser: addresses differ in their low bits only. */
static size_t trace_hash(uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key;
}

struct trace_live *trace_map_find(const struct trace_map *m, uint64_t key)
{
	size_t i;

	if (!m->slots)
		return NULL;
	for (i = trace_hash(key) & m->mask; m->slots[i].used; i = (i + 1) & m->mask)
		if (m->slots[i].key == key)
			return &m->slots[i];
	return NULL;
}

/* The slot @key goes into; @m has room. */
static struct trace_live *trace_map_slot(struct trace_map *m, uint64_t key)
{
	size_t i;

	for (i = trace_hash(key) & m->mask; m->slots[i].used; i = (i + 1) & m->mask)
		;
	return &m->slots[i];
}

/* Make room for one more entry: @m stays at most half full. */
static int trace_map_reserve(struct trace_map *m)
{
	size_t nr_slots = m->slots ? 2 * (m->mask + 1) : TRACE_MAP_MIN;
	struct trace_live *old = m->slots;
	size_t i, old_slots = old ? m->mask + 1 : 0;

	if (m->slots && 2 * (m->nr + 1) <= m->mask + 1)
		return 0;
	m->slots = calloc(nr_slots, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->mask = nr_slots - 1;
	for (i = 0; i < old_slots; i++)
		if (old[i].used)
			*trace_map_slot(m, old[i].key) = old[i];
	free(old);
	return 0;
}

/*
 * Linear probing's deletion: the entries after @e in its run that could
 * not have gone where @e was move back, so every lookup still finds them.
 */
void trace_map_remove(struct trace_map *m, struct trace_live *e)
{
	size_t hole = e - m->slots, i = hole, home;

	m->nr--;
	for (;;) {
		m->slots[hole].used = false;
		for (;;) {
			i = (i + 1) & m->mask;
			if (!m->slots[i].used)
				return;
			home = trace_hash(m->slots[i].key) & m->mask;
			/* Stays unless its home is cyclically outside (hole, i]. */
			if (hole <= i ? (hole < home && home <= i) :
					(hole < home || home <= i))
				continue;
			break;
		}
		m->slots[hole] = m->slots[i];
		hole = i;
	}
}

static void trace_map_clear(struct trace_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

void trace_push(struct trace_reader *r, enum trace_op_kind kind, uint64_t id,
		uint64_t size)
{
	struct trace_op *op = &r->queue[r->queued++];

	op->kind = kind;
	op->id = id;
	op->size = size;
	op->line = r->lineno;
}

int trace_add_live(struct trace_reader *r, struct trace_map *m, uint64_t key,
		   uint64_t id, uint64_t size)
{
	struct trace_live *e;

	if (trace_map_reserve(m))
		return trace_fail(r, "out of memory for %zu live allocations",
				  m->nr + 1);
	e = trace_map_slot(m, key);
	e->key = key;
	e->id = id;
	e->size = size;
	e->line = r->lineno;
	e->used = true;
	m->nr++;
	trace_push(r, TRACE_ALLOC, id, size);
	return 0;
}

int trace_import_alloc(struct trace_reader *r, struct trace_map *m,
		       uint64_t key, uint64_t size)
{
	struct trace_live *e = trace_map_find(m, key);

	if (e) {
		r->counts.implicit_frees++;
		trace_push(r, TRACE_FREE, e->id, e->size);
		trace_map_remove(m, e);
	}
	if (!size) {
		r->counts.zero_sizes++;
		size = 1;
	}
	return trace_add_live(r, m, key, ++r->next_id, size);
}

void trace_import_free(struct trace_reader *r, struct trace_map *m,
		       uint64_t key)
{
	struct trace_live *e = trace_map_find(m, key);

	if (!e) {
		r->counts.unknown_frees++;
		return;
	}
	trace_push(r, TRACE_FREE, e->id, e->size);
	trace_map_remove(m, e);
}

int trace_parse_u64(const char *s, int base, uint64_t *v)
{
	uint64_t n = 0;
	unsigned int d;

	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (n > (UINT64_MAX - d) / base)
			return -1;
		n = n * base + d;
	}
	*v = n;
	return 0;
}

unsigned int trace_split(char *line, char **words, unsigned int max)
{
	unsigned int n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/*
 * The next line into r->line without its line end: 1, 0 at the end of
 * the source, -1 (failed) when it cannot be read or is not text.
 */
static int trace_next_line(struct trace_reader *r)
{
	ssize_t len;

	if (r->held) {
		r->held = false;
		return 1;
	}
	errno = 0;
	len = getline(&r->line, &r->line_cap, r->file);
	if (len < 0) {
		if (ferror(r->file) || errno == ENOMEM)
			return trace_fail(r, "cannot read: %s",
					  strerror(errno ?: EIO));
		return 0;
	}
	r->lineno++;
	r->counts.lines++;
	if (strlen(r->line) != (size_t)len)
		return trace_fail(r, "a NUL byte: this is not a text trace");
	while (len && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
		r->line[--len] = '\0';
	return 1;
}

/* The native format: the header, comments and "a ID SIZE" / "f ID" lines. */
static int native_header(struct trace_reader *r, const char *line)
{
	size_t magic = strlen(TRACE_NATIVE_MAGIC);

	if (!strncmp(line, TRACE_NATIVE_MAGIC, magic) && is_blank(line + magic)) {
		r->seen_header = true;
		return 0;
	}
	if (!strncmp(line, "# buddyslab-trace ", magic - 1))
		return trace_fail(r, "'%s': this reader knows version 1 of the native format only",
				  line);
	return trace_fail(r, "not a native trace: its first line must be '%s'",
			  TRACE_NATIVE_MAGIC);
}

/* A "# source: ..." comment names the trace's source, the first one only. */
static void native_comment(struct trace_reader *r, const char *line)
{
	static const char key[] = "# source:";
	size_t len;

	if (r->source[0] || strncmp(line, key, sizeof(key) - 1))
		return;
	line += sizeof(key) - 1;
	line += strspn(line, " \t");
	len = strlen(line);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	snprintf(r->source, sizeof(r->source), "%.*s", (int)len, line);
}

static int native_number(struct trace_reader *r, const char *what,
			 const char *word, uint64_t *v)
{
	if (trace_parse_u64(word, 10, v))
		return trace_fail(r, "%s '%s' is not a decimal number of 64 bits",
				  what, word);
	return 0;
}

static int native_parse(struct trace_reader *r, char *line)
{
	uint64_t id = 0, size = 0;
	struct trace_live *e;
	unsigned int n;
	char *w[4];

	if (is_blank(line))
		return 0;
	if (!r->seen_header)
		return native_header(r, line);
	if (line[0] == '#') {
		native_comment(r, line);
		return 0;
	}
	if (!strncmp(line, TRACE_CUT_SHORT, strlen(TRACE_CUT_SHORT)))
		return trace_fail(r, "the trace was cut short when it was written: %s",
				  line + strlen(TRACE_CUT_SHORT) +
				  strspn(line + strlen(TRACE_CUT_SHORT), " "));
	n = trace_split(line, w, 3);
	if (strcmp(w[0], "a") && strcmp(w[0], "f"))
		return trace_fail(r, "'%s' is not an operation: a line is 'a ID SIZE' or 'f ID'",
				  w[0]);
	if (w[0][0] == 'a' && n != 3)
		return trace_fail(r, "an allocation is 'a ID SIZE': %s fields",
				  n < 3 ? "missing" : "too many");
	if (w[0][0] == 'f' && n != 2)
		return trace_fail(r, "a free is 'f ID': %s fields",
				  n < 2 ? "missing" : "too many");
	if (native_number(r, "id", w[1], &id) ||
	    (n == 3 && native_number(r, "size", w[2], &size)))
		return -1;
	if (w[0][0] == 'f') {
		trace_import_free(r, &r->live, id);
		return 0;
	}
	if (!size)
		return trace_fail(r, "size 0: an allocation is of 1 byte or more");
	e = trace_map_find(&r->live, id);
	if (e)
		return trace_fail(r, "id %llu is allocated again while live (allocated on line %lu)",
				  (unsigned long long)id, e->line);
	return trace_add_live(r, &r->live, id, id, size);
}

static int native_end(struct trace_reader *r)
{
	if (!r->seen_header)
		return trace_fail(r, "not a native trace: no '%s' line",
				  TRACE_NATIVE_MAGIC);
	return 0;
}

const struct trace_format_ops trace_native_ops = {
	.format = TRACE_NATIVE,
	.parse = native_parse,
	.end = native_end,
};

static const struct trace_format_ops *trace_format_ops_of(enum trace_format f)
{
	switch (f) {
	case TRACE_NATIVE:
		return &trace_native_ops;
	case TRACE_MTRACE:
		return &trace_mtrace_ops;
	case TRACE_FTRACE:
		return &trace_ftrace_ops;
	default:
		return NULL;
	}
}

/*
 * Tell the format from the first line that is not blank, which stays in
 * r->line to be parsed first.
 */
static int trace_detect(struct trace_reader *r)
{
	int ret;

	do {
		ret = trace_next_line(r);
		if (ret <= 0)
			return ret ? -1 : trace_fail(r, "empty: there is no trace in it");
	} while (is_blank(r->line));
	r->held = true;
	if (!strncmp(r->line, "# buddyslab-trace", strlen("# buddyslab-trace")))
		r->fmt = &trace_native_ops;
	else if (trace_mtrace_detect(r->line))
		r->fmt = &trace_mtrace_ops;
	else if (trace_ftrace_detect(r->line))
		r->fmt = &trace_ftrace_ops;
	else
		return trace_fail(r, "cannot tell the format from this line: a native trace starts with '%s', an mtrace log with '= Start', an ftrace log with '# tracer:' or an event line; name the format",
				  TRACE_NATIVE_MAGIC);
	return 0;
}

struct trace_reader *trace_open(const char *path, enum trace_format format,
				char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->path = strdup(strcmp(path, "-") ? path : "stdin");
	if (!r || !r->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(r);
		return NULL;
	}
	r->is_stdin = !strcmp(path, "-");
	r->file = r->is_stdin ? stdin : fopen(path, "r");
	r->events = TRACE_EVENTS_ALL;
	r->fmt = trace_format_ops_of(format);
	if (!r->file)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (format != TRACE_AUTO && !r->fmt)
		snprintf(err, errlen, "%s: no such format (%d)", path, format);
	else if (format == TRACE_AUTO && trace_detect(r))
		snprintf(err, errlen, "%s", r->error);
	else
		return r;
	trace_close(r);
	return NULL;
}

/* What an operation given changes in the counts. */
static void trace_count(struct trace_counts *c, const struct trace_op *op)
{
	c->ops++;
	if (op->kind == TRACE_FREE) {
		c->frees++;
		c->live_bytes -= op->size;
		return;
	}
	c->allocs++;
	c->live_bytes += op->size;
	if (c->live_bytes > c->max_live_bytes)
		c->max_live_bytes = c->live_bytes;
	if (c->allocs - c->frees > c->max_live)
		c->max_live = c->allocs - c->frees;
}

int trace_read(struct trace_reader *r, struct trace_op *op)
{
	int ret;

	r->started = true;
	while (!r->failed && r->next == r->queued) {
		if (r->at_end)
			return 0;
		r->queued = r->next = 0;
		ret = trace_next_line(r);
		if (ret < 0)
			return -1;
		if (!ret) {
			if (r->fmt->end && r->fmt->end(r))
				return -1;
			r->at_end = true;
			return 0;
		}
		if (r->fmt->parse(r, r->line))
			return -1;
	}
	if (r->failed)
		return -1;
	*op = r->queue[r->next++];
	trace_count(&r->counts, op);
	return 1;
}

const char *trace_error(const struct trace_reader *r)
{
	return r->failed ? r->error : "";
}

const struct trace_counts *trace_counts(const struct trace_reader *r)
{
	return &r->counts;
}

const char *trace_source(const struct trace_reader *r)
{
	return r->source[0] ? r->source : trace_format_name(r->fmt->format);
}

enum trace_format trace_format_of(const struct trace_reader *r)
{
	return r->fmt->format;
}

int trace_ftrace_events(struct trace_reader *r, unsigned int events)
{
	if (r->fmt != &trace_ftrace_ops || r->started || !events ||
	    (events & ~TRACE_EVENTS_ALL))
		return -1;
	r->events = events;
	return 0;
}

int trace_rewind(struct trace_reader *r)
{
	if (r->is_stdin) {
		r->failed = false;
		r->lineno = 0;
		return trace_fail(r, "standard input cannot be read twice");
	}
	if (fseek(r->file, 0, SEEK_SET)) {
		r->failed = false;
		return trace_fail(r, "cannot rewind: %s", strerror(errno));
	}
	clearerr(r->file);
	trace_map_clear(&r->live);
	trace_map_clear(&r->pages);
	memset(&r->counts, 0, sizeof(r->counts));
	r->held = r->at_end = r->failed = r->started = false;
	r->seen_header = r->in_realloc = false;
	r->queued = r->next = 0;
	r->lineno = 0;
	r->next_id = 0;
	r->error[0] = '\0';
	return 0;
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->file && !r->is_stdin)
		fclose(r->file);
	trace_map_clear(&r->live);
	trace_map_clear(&r->pages);
	free(r->line);
	free(r->path);
	free(r);
}

/* @s on one line: a header value must not start a line of its own. */
static void write_value(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

int trace_write_header(FILE *out, const char *source, ...)
{
	const char *key, *value;
	va_list ap;

	fprintf(out, TRACE_NATIVE_MAGIC "\n# source: ");
	write_value(out, source);
	fputc('\n', out);
	va_start(ap, source);
	while ((key = va_arg(ap, const char *))) {
		value = va_arg(ap, const char *);
		fputs("# ", out);
		write_value(out, key);
		fputs(": ", out);
		write_value(out, value ?: "");
		fputc('\n', out);
	}
	va_end(ap);
	return ferror(out) ? -1 : 0;
}

int trace_write_op(FILE *out, const struct trace_op *op)
{
	if (op->kind == TRACE_ALLOC && op->size)
		fprintf(out, "a %llu %llu\n", (unsigned long long)op->id,
			(unsigned long long)op->size);
	else if (op->kind == TRACE_FREE)
		fprintf(out, "f %llu\n", (unsigned long long)op->id);
	else
		return -1;
	return ferror(out) ? -1 : 0;
}

int trace_write_counts(FILE *out, const struct trace_counts *c,
		       const char *prefix)
{
	const struct {
		const char *name;
		uint64_t value;
	} rows[] = {
		{ "lines", c->lines },
		{ "ops", c->ops },
		{ "allocs", c->allocs },
		{ "frees", c->frees },
		{ "unknown_frees", c->unknown_frees },
		{ "reallocs", c->reallocs },
		{ "zero_sizes", c->zero_sizes },
		{ "implicit_frees", c->implicit_frees },
		{ "skipped_lines", c->skipped_lines },
		{ "max_live", c->max_live },
		{ "max_live_bytes", c->max_live_bytes },
		{ "live_at_end", c->allocs - c->frees },
		{ "live_bytes_at_end", c->live_bytes },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		fprintf(out, "%s%s: %llu\n", prefix, rows[i].name,
			(unsigned long long)rows[i].value);
	return ferror(out) ? -1 : 0;
}

int trace_convert(struct trace_reader *r, FILE *out, char *err, size_t errlen)
{
	const char *format = trace_format_name(trace_format_of(r));
	char source[sizeof(r->source) + 64];
	struct trace_op op;
	int ret;

	/* A native trace's source is in its header, read with its first op. */
	ret = trace_read(r, &op);
	if (trace_format_of(r) == TRACE_NATIVE)
		snprintf(source, sizeof(source), "%s", trace_source(r));
	else
		snprintf(source, sizeof(source), "%s log %s", format, r->path);
	if (trace_write_header(out, source, "format", format, "file", r->path,
			       "converted-by", "buddyslabctl trace convert",
			       NULL))
		goto write_error;
	for (; ret > 0; ret = trace_read(r, &op))
		if (trace_write_op(out, &op))
			goto write_error;
	if (ret < 0) {
		snprintf(err, errlen, "%s", trace_error(r));
		fprintf(out, TRACE_CUT_SHORT " %s\n", trace_error(r));
		fflush(out);
		return -1;
	}
	if (trace_write_counts(out, trace_counts(r), "# ") || fflush(out))
		goto write_error;
	return 0;

write_error:
	snprintf(err, errlen, "writing the native trace: %s", strerror(errno ?: EIO));
	return -1;
}
