/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_internal.h: what the readers of trace.c (native), trace_mtrace.c
 * and trace_ftrace.c share: the reader itself, its map of the keys that are
 * live, and the helpers that turn an importer's events into operations.
 *
 * A format parses one line at a time and pushes the operations the line
 * holds (a realloc holds a free and an allocation) onto the reader's short
 * queue; trace_read() hands them out one by one. A format checks a line
 * whole before it pushes anything, so a malformed line gives no operation.
 */
#ifndef BUDDYSLAB_TRACE_INTERNAL_H
#define BUDDYSLAB_TRACE_INTERNAL_H

#include <stdbool.h>

#include "trace.h"

#define TRACE_QUEUE	4	/* the most operations one line gives */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A live allocation, by the key the source knows it by. */
struct trace_live {
	uint64_t key;		/* native: the id; mtrace, ftrace: the address or pfn */
	uint64_t id;		/* the id its operations carry */
	uint64_t size;
	unsigned long line;	/* where it was allocated, for messages */
	bool used;
};

/* Open addressing with linear probing, never more than half full. */
struct trace_map {
	struct trace_live *slots;
	size_t mask;		/* the number of slots - 1; slots is a power of 2 */
	size_t nr;
};

/* A format: how its lines are read. */
struct trace_format_ops {
	enum trace_format format;
	/* Push the operations of @line, or trace_fail() and return -1. */
	int (*parse)(struct trace_reader *r, char *line);
	/* At the end of the source: 0, or -1 when the trace stops half-way. */
	int (*end)(struct trace_reader *r);
};

struct trace_reader {
	const struct trace_format_ops *fmt;
	char *path;		/* as the messages name it */
	FILE *file;
	bool is_stdin;
	char *line;		/* the current line, of line_cap bytes */
	size_t line_cap;
	bool held;		/* line holds a line detection read: parse it next */
	unsigned long lineno;
	bool started;		/* trace_read() has been called */
	bool at_end;
	bool failed;
	struct trace_op queue[TRACE_QUEUE];
	unsigned int queued, next;	/* queue[next..queued) are still to give */
	struct trace_map live;	/* by the source's key */
	struct trace_map pages;	/* ftrace: pages by pfn */
	uint64_t next_id;	/* the importers' last id given */
	struct trace_counts counts;
	char source[256];
	char error[512];
	/* native */
	bool seen_header;
	/* mtrace: a '<' line waits for its '>' */
	bool in_realloc;
	uint64_t realloc_addr;
	unsigned long realloc_line;
	/* ftrace */
	unsigned int events;	/* TRACE_EVENTS_* */
};

extern const struct trace_format_ops trace_native_ops;
extern const struct trace_format_ops trace_mtrace_ops;
extern const struct trace_format_ops trace_ftrace_ops;

/**
 * trace_fail() - make @r fail with a message naming the current line
 * @r: the reader
 * @fmt: printf format of what is wrong
 *
 * Return: -1, for the caller to return.
 */
int trace_fail(struct trace_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * trace_map_find() - the live allocation of @key
 * @m: the map
 * @key: the source's key
 *
 * Return: the entry, or NULL when @key is not live.
 */
struct trace_live *trace_map_find(const struct trace_map *m, uint64_t key);

/**
 * trace_map_remove() - forget a live allocation
 * @m: the map
 * @e: its entry, from trace_map_find()
 */
void trace_map_remove(struct trace_map *m, struct trace_live *e);

/**
 * trace_push() - queue an operation for trace_read() to give
 * @r: the reader
 * @kind: TRACE_ALLOC or TRACE_FREE
 * @id: the operation's id
 * @size: the bytes allocated (for a free: the size the id had)
 */
void trace_push(struct trace_reader *r, enum trace_op_kind kind, uint64_t id,
		uint64_t size);

/**
 * trace_add_live() - record @key as live with @id and push its allocation
 * @r: the reader
 * @m: the map of @key's kind
 * @key: the source's key, not live in @m
 * @id: the operation's id
 * @size: its size, >= 1
 *
 * Return: 0, or -1 when memory runs out (trace_fail() has said so).
 */
int trace_add_live(struct trace_reader *r, struct trace_map *m, uint64_t key,
		   uint64_t id, uint64_t size);

/**
 * trace_import_alloc() - an importer's allocation of @size bytes at @key
 * @r: the reader
 * @m: the map of @key's kind
 * @key: the address (or pfn) allocated
 * @size: the bytes asked for; 0 is counted and replayed as 1
 *
 * An address that is still live was freed without the source saying so:
 * its free is pushed first and counted as implicit. The allocation gets
 * the next id.
 *
 * Return: 0, or -1 when memory runs out (trace_fail() has said so).
 */
int trace_import_alloc(struct trace_reader *r, struct trace_map *m,
		       uint64_t key, uint64_t size);

/**
 * trace_import_free() - an importer's free of @key
 * @r: the reader
 * @m: the map of @key's kind
 * @key: the address (or pfn) freed
 *
 * A key that is not live (allocated before tracing began) is counted in
 * unknown_frees and gives no operation.
 */
void trace_import_free(struct trace_reader *r, struct trace_map *m,
		       uint64_t key);

/**
 * trace_parse_u64() - a whole string as an unsigned 64-bit number
 * @s: the string: digits only (base 16: an optional 0x first)
 * @base: 10 or 16
 * @v: filled in
 *
 * Return: 0, or -1 when @s is empty, holds anything else or overflows.
 */
int trace_parse_u64(const char *s, int base, uint64_t *v);

/**
 * trace_split() - split @line into its blank-separated words, in place
 * @line: the line, changed
 * @words: where the words go
 * @max: the room in @words
 *
 * Return: the number of words, or max + 1 when there are more than @max.
 */
unsigned int trace_split(char *line, char **words, unsigned int max);

/**
 * trace_mtrace_detect() - whether @line looks like the start of an mtrace log
 * @line: the first line that is not blank
 *
 * Return: true if it does.
 */
bool trace_mtrace_detect(const char *line);

/**
 * trace_ftrace_detect() - whether @line looks like ftrace's text output
 * @line: the first line that is not blank
 *
 * Return: true if it does.
 */
bool trace_ftrace_detect(const char *line);

#endif /* BUDDYSLAB_TRACE_INTERNAL_H */
