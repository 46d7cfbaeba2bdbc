/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h: the laboratory's allocation traces, read one operation at a time.
 *
 * A trace is a sequence of operations: allocate SIZE bytes as ID, free ID.
 * Three formats are read, and every reader gives the same operations:
 *
 * - native, buddyslab's own (below); every other format converts to it;
 * - glibc's mtrace log (MALLOC_TRACE): addresses become ids, realloc
 *   becomes a free and an allocation (trace_mtrace.c);
 * - the text of ftrace's kmem events from /sys/kernel/tracing/trace:
 *   kmalloc, kmem_cache_alloc and their _node forms by ptr=, page
 *   allocations of PAGE_SIZE << order by pfn= (trace_ftrace.c).
 *
 * A reader keeps the ids that are live and no more, so its memory is bounded
 * by the live set, never by the trace's length: traces of tens of millions
 * of operations stream through it.
 *
 * The native format, version 1
 * ----------------------------
 * Text, one operation a line:
 *
 *	a ID SIZE	allocate SIZE bytes (1 or more) as ID
 *	f ID		free ID
 *
 * ID and SIZE are decimal unsigned 64-bit numbers; fields are separated by
 * spaces or tabs. Lines starting with '#' are comments (on lines of their
 * own) and blank lines are ignored. The first line that is not blank is the
 * header "# buddyslab-trace 1", then
 * "# source: ..." says where the trace comes from, then other "# key: value"
 * lines record how it was made (generator, seed, parameters, program,
 * date). An example:
 *
 *	# buddyslab-trace 1
 *	# source: generator uniform
 *	# seed: 1
 *	a 1 100
 *	a 2 24
 *	f 1
 *
 * An "a" of an id that is live, a size of 0, a number that does not fit in
 * 64 bits, an unknown operation or a missing or extra field is malformed:
 * trace_read() returns -1 and trace_error() says "PATH:LINE: what is wrong".
 * An "f" of an id that is not live is counted (unknown_frees) and skipped,
 * as the importers do with frees of addresses allocated before tracing
 * began. A caller that gets -1 stops there: no reader ever replays half a
 * trace silently. A writer that fails half-way ends what it wrote with a
 * line "error: WHY", on which every reader fails in turn.
 */
#ifndef BUDDYSLAB_TRACE_H
#define BUDDYSLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_NATIVE_MAGIC	"# buddyslab-trace 1"

enum trace_format { TRACE_AUTO, TRACE_NATIVE, TRACE_MTRACE, TRACE_FTRACE };

enum trace_op_kind { TRACE_ALLOC = 1, TRACE_FREE = 2 };

/* One operation, as trace_read() gives it. */
struct trace_op {
	enum trace_op_kind kind;
	uint64_t id;
	uint64_t size;		/* ALLOC: >= 1; FREE: the size it was allocated */
	unsigned long line;	/* the line of the source it comes from */
};

/*
 * What the lines read so far hold; trace_rewind() resets them.
 * skipped_lines counts the lines that are neither operations nor comments
 * nor blank: other events, markers such as mtrace's "= Start", calls that
 * took no memory in the traced program (mtrace's "+ (nil)" and "!", a
 * kmalloc that returned NULL, kfree(NULL)). A kmalloc(0) of an ftrace log
 * counts in zero_sizes but is not replayed: the kernel returns ZERO_SIZE_PTR
 * and takes no memory.
 */
struct trace_counts {
	uint64_t lines;		/* of the source, every kind */
	uint64_t allocs;	/* TRACE_ALLOC operations given */
	uint64_t frees;		/* TRACE_FREE operations given */
	uint64_t unknown_frees;	/* frees of ids not live: counted and skipped */
	uint64_t reallocs;	/* each became a free and an allocation */
	uint64_t zero_sizes;	/* malloc(0): replayed as 1 byte (ftrace: below) */
	uint64_t implicit_frees; /* an address allocated again while live */
	uint64_t max_live;	/* the most ids live at once */
	uint64_t skipped_lines;	/* lines of other events, not errors (below) */
	uint64_t ops;		/* allocs + frees */
	uint64_t live_bytes;	/* the sizes of the ids live now */
	uint64_t max_live_bytes; /* the most live_bytes at once */
};

struct trace_reader;

/**
 * trace_open() - open a trace for reading
 * @path: the file; "-" is standard input (which cannot be rewound)
 * @format: its format, or TRACE_AUTO to tell it from its first lines
 * @err: where the reason goes when it fails
 * @errlen: the size of @err
 *
 * Return: the reader, or NULL with a message in @err.
 */
struct trace_reader *trace_open(const char *path, enum trace_format format,
				char *err, size_t errlen);

/**
 * trace_read() - the next operation
 * @r: the reader
 * @op: filled in when there is one
 *
 * Return: 1 with an operation in @op, 0 at the end of the trace, -1 when the
 * trace is malformed or cannot be read: trace_error() says where and why,
 * and every later call returns -1 again.
 */
int trace_read(struct trace_reader *r, struct trace_op *op);

/**
 * trace_error() - why trace_read() returned -1
 * @r: the reader
 *
 * Return: "PATH:LINE: what is wrong", or "" when nothing is.
 */
const char *trace_error(const struct trace_reader *r);

/**
 * trace_counts() - what has been read so far
 * @r: the reader
 *
 * Return: the counts, valid until trace_close().
 */
const struct trace_counts *trace_counts(const struct trace_reader *r);

/**
 * trace_source() - where the trace comes from
 * @r: the reader
 *
 * Return: a native trace's "# source:" value, else the format's name
 * ("mtrace", "ftrace", "native").
 */
const char *trace_source(const struct trace_reader *r);

/**
 * trace_format_of() - the format being read
 * @r: the reader
 *
 * Return: TRACE_NATIVE, TRACE_MTRACE or TRACE_FTRACE, never TRACE_AUTO.
 */
enum trace_format trace_format_of(const struct trace_reader *r);

/**
 * trace_rewind() - go back to the first operation
 * @r: the reader
 *
 * The counts and the live ids start again from nothing.
 *
 * Return: 0, or -1 when the source cannot be rewound (trace_error() says).
 */
int trace_rewind(struct trace_reader *r);

/**
 * trace_close() - close the trace and free the reader
 * @r: the reader, or NULL
 */
void trace_close(struct trace_reader *r);

/* Which of an ftrace log's events trace_read() gives (trace_ftrace_events()). */
enum trace_ftrace_events {
	TRACE_EVENTS_OBJECTS = 1 << 0,	/* kmalloc, kmem_cache_alloc, kfree, ... */
	TRACE_EVENTS_PAGES = 1 << 1,	/* mm_page_alloc, mm_page_free, ... */
	TRACE_EVENTS_ALL = TRACE_EVENTS_OBJECTS | TRACE_EVENTS_PAGES,
};

/**
 * trace_ftrace_events() - read only one family of an ftrace log's events
 * @r: the reader, before its first trace_read()
 * @events: TRACE_EVENTS_OBJECTS, TRACE_EVENTS_PAGES or both (the default)
 *
 * The slab allocator takes its slabs, and kmalloc its large objects, from
 * the page allocator: a log of both families holds those bytes twice, once
 * as objects and once as pages. Replay one family at a time to compare
 * allocators; the events of the other count as skipped lines.
 *
 * Return: 0, or -1 when @r does not read ftrace or has already read.
 */
int trace_ftrace_events(struct trace_reader *r, unsigned int events);

/**
 * trace_format_name() - a format's name
 * @format: the format
 *
 * Return: "auto", "native", "mtrace" or "ftrace".
 */
const char *trace_format_name(enum trace_format format);

/**
 * trace_format_parse() - a format from its name
 * @name: as trace_format_name() gives it
 * @format: filled in when @name is one
 *
 * Return: 0, or -1 when @name names no format.
 */
int trace_format_parse(const char *name, enum trace_format *format);

/**
 * trace_write_header() - write a native trace's header
 * @out: where to
 * @source: the "# source:" line's value
 * @...: pairs of key and value strings, "# key: value" lines, then NULL
 *
 * Return: 0, or -1 when writing fails.
 */
int trace_write_header(FILE *out, const char *source, ...)
	__attribute__((sentinel));

/**
 * trace_write_op() - write one operation as a native line
 * @out: where to
 * @op: the operation
 *
 * Return: 0, or -1 when writing fails or @op is not a valid operation.
 */
int trace_write_op(FILE *out, const struct trace_op *op);

/**
 * trace_convert() - write a whole trace in the native format
 * @r: the reader, at its start
 * @out: where to
 * @err: where the reason goes when it fails
 * @errlen: the size of @err
 *
 * The header's source names the format and the file read; a native trace
 * keeps its own source. The counts follow the operations, as comments. When
 * the input turns out malformed, the output ends with an "error:" line, so
 * that what was written cannot be replayed as a whole trace.
 *
 * Return: 0, or -1 with a message in @err (malformed input or a failed write).
 */
int trace_convert(struct trace_reader *r, FILE *out, char *err, size_t errlen);

/* The generators' parameters (trace_gen.c). */
struct trace_gen_params {
	const char *kind;	/* a name of trace_gen_kinds() */
	uint64_t ops;		/* operations to write, about */
	uint64_t seed;
	uint64_t min_size;	/* bytes, >= 1 */
	uint64_t max_size;	/* bytes, >= min_size */
	uint64_t live_bytes;	/* the live bytes the trace hovers around */
};

/**
 * trace_gen_defaults() - the parameters a kind has when none are given
 * @kind: the generator's name
 * @p: filled in
 *
 * Return: 0, or -1 when no generator has that name.
 */
int trace_gen_defaults(const char *kind, struct trace_gen_params *p);

/**
 * trace_gen_write() - write a generated trace in the native format
 * @p: what to generate
 * @out: where to
 * @err: where the reason goes when it fails
 * @errlen: the size of @err
 *
 * The same parameters give the same trace on every machine.
 *
 * Return: 0, or -1 with a message in @err.
 */
int trace_gen_write(const struct trace_gen_params *p, FILE *out, char *err,
		    size_t errlen);

/* A generator's name and what it generates, for help texts. */
struct trace_gen_kind {
	const char *name;
	const char *help;
};

/**
 * trace_gen_kinds() - the generators
 *
 * Return: every generator, then one whose name is NULL.
 */
const struct trace_gen_kind *trace_gen_kinds(void);

/**
 * trace_write_counts() - a reader's counts, one "key: value" line each
 * @out: where to
 * @c: the counts
 * @prefix: put before each line ("# " makes them native comments)
 *
 * Return: 0, or -1 when writing fails.
 */
int trace_write_counts(FILE *out, const struct trace_counts *c,
		       const char *prefix);

#endif /* BUDDYSLAB_TRACE_H */
