// SPDX-License-Identifier: GPL-2.0
/*
 * trace_ftrace.c: the kernel's kmem events, as ftrace prints them in
 * /sys/kernel/tracing/trace (or trace_pipe), as operations.
 *
 * A line is "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS"; the fields
 * are those of include/trace/events/kmem.h, the same in Linux 6.1 and 6.12:
 *
 *	kmalloc, kmem_cache_alloc	call_site=%pS ptr=%p bytes_req=%zu
 *					bytes_alloc=%zu gfp_flags=%s node=%d
 *					accounted=%s
 *	kfree				call_site=%pS ptr=%p
 *	kmem_cache_free			call_site=%pS ptr=%p name=%s
 *	mm_page_alloc			page=%p pfn=0x%lx order=%d
 *					migratetype=%d gfp_flags=%s
 *	mm_page_free			page=%p pfn=0x%lx order=%d
 *	mm_page_free_batched		page=%p pfn=0x%lx order=0
 *
 * kmalloc_node and kmem_cache_alloc_node, which kernels before 6.1 have,
 * are read as kmalloc is. Objects are keyed by ptr= and allocate bytes_req
 * bytes; pages are keyed by pfn= and allocate PAGE_SIZE << order bytes
 * (4 KiB pages, as on x86-64). Fields are found by name, not position:
 * %pS prints " [module]" after a module's symbols.
 *
 * The kernel hashes %p unless it was booted with no_hash_pointers: each
 * pointer prints as a 32-bit hash, or as "(____ptrval____)" while the
 * hashing key is not ready. Hashes still pair an allocation with its free
 * (a rare collision shows as an implicit free); "(____ptrval____)" does
 * not, and is refused. pfn= is never hashed, so page events always work.
 *
 * A NULL ptr (a failed kmalloc, kfree(NULL)) or a page allocation that
 * failed (page=0000000000000000) took no memory: a skipped line. kmalloc(0)
 * returns ZERO_SIZE_PTR and takes none either: counted in zero_sizes and
 * not replayed. Other events are skipped lines; "[LOST N EVENTS]" means
 * the ring buffer overflowed and the trace is incomplete: refused.
 */
#include <string.h>

#include "trace_internal.h"

#define FTRACE_PAGE_SHIFT	12
#define FTRACE_MAX_ORDER	20	/* far above any kernel's MAX_PAGE_ORDER */
#define FTRACE_ZERO_SIZE_PTR	16	/* ZERO_SIZE_PTR: ((void *)16) */
#define FTRACE_VALUE_MAX	64	/* the longest field value read */

/* One kind of event: which family it is of and what it does. */
struct ftrace_event {
	const char *name;
	unsigned int family;	/* TRACE_EVENTS_* */
	int (*run)(struct trace_reader *r, const char *event, const char *fields);
};

/*
 * The value of field @key in @fields into @buf: 0, or -1 (failed) when the
 * event has no such field or its value is too long to be a number.
 */
static int ftrace_field(struct trace_reader *r, const char *event,
			const char *fields, const char *key, char *buf)
{
	size_t klen = strlen(key), len;
	const char *p;

	for (p = strstr(fields, key); p; p = strstr(p + 1, key)) {
		if ((p == fields || p[-1] == ' ') && p[klen] == '=')
			break;
	}
	if (!p)
		return trace_fail(r, "a %s event without %s=", event, key);
	p += klen + 1;
	len = strcspn(p, " \t");
	if (len >= FTRACE_VALUE_MAX)
		return trace_fail(r, "%s=%.*s... is too long", key, FTRACE_VALUE_MAX, p);
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

/* A pointer field (ptr=), raw or hashed; 0 for NULL. */
static int ftrace_pointer(struct trace_reader *r, const char *event,
			  const char *fields, const char *key, uint64_t *ptr)
{
	char buf[FTRACE_VALUE_MAX];

	if (ftrace_field(r, event, fields, key, buf))
		return -1;
	if (buf[0] == '(' && strstr(buf, "ptrval"))
		return trace_fail(r, "%s=%s: the kernel hashed its pointers and its key was not ready, so allocations and frees cannot be paired; record on a kernel booted with no_hash_pointers",
				  key, buf);
	if (trace_parse_u64(buf, 16, ptr))
		return trace_fail(r, "%s=%s is not a pointer", key, buf);
	return 0;
}

/* A decimal (bytes_req=, order=) or 0x hexadecimal (pfn=) field. */
static int ftrace_number(struct trace_reader *r, const char *event,
			 const char *fields, const char *key, int base,
			 uint64_t *v)
{
	char buf[FTRACE_VALUE_MAX];

	if (ftrace_field(r, event, fields, key, buf))
		return -1;
	if ((base == 16 && strncmp(buf, "0x", 2)) || trace_parse_u64(buf, base, v))
		return trace_fail(r, "%s=%s is not a %s number", key, buf,
				  base == 16 ? "0x hexadecimal" : "decimal");
	return 0;
}

static int ftrace_object_alloc(struct trace_reader *r, const char *event,
			       const char *fields)
{
	uint64_t ptr, size;

	if (ftrace_pointer(r, event, fields, "ptr", &ptr) ||
	    ftrace_number(r, event, fields, "bytes_req", 10, &size))
		return -1;
	if (!size) {
		r->counts.zero_sizes++;
		return 0;
	}
	if (!ptr) {
		r->counts.skipped_lines++;
		return 0;
	}
	return trace_import_alloc(r, &r->live, ptr, size);
}

static int ftrace_object_free(struct trace_reader *r, const char *event,
			      const char *fields)
{
	uint64_t ptr;

	if (ftrace_pointer(r, event, fields, "ptr", &ptr))
		return -1;
	if (ptr <= FTRACE_ZERO_SIZE_PTR)
		r->counts.skipped_lines++;
	else
		trace_import_free(r, &r->live, ptr);
	return 0;
}

/* pfn= and order= of a page event. */
static int ftrace_page(struct trace_reader *r, const char *event,
		       const char *fields, uint64_t *pfn, uint64_t *order)
{
	if (ftrace_number(r, event, fields, "pfn", 16, pfn))
		return -1;
	if (!strcmp(event, "mm_page_free_batched")) {
		*order = 0;
		return 0;
	}
	if (ftrace_number(r, event, fields, "order", 10, order))
		return -1;
	if (*order > FTRACE_MAX_ORDER)
		return trace_fail(r, "order=%llu is not a page order",
				  (unsigned long long)*order);
	return 0;
}

static int ftrace_page_alloc(struct trace_reader *r, const char *event,
			     const char *fields)
{
	char page[FTRACE_VALUE_MAX];
	uint64_t pfn, order;

	if (ftrace_field(r, event, fields, "page", page) ||
	    ftrace_page(r, event, fields, &pfn, &order))
		return -1;
	/* A failed allocation prints a NULL page, unhashed, and pfn=0x0. */
	if (!pfn && strspn(page, "0") == strlen(page)) {
		r->counts.skipped_lines++;
		return 0;
	}
	return trace_import_alloc(r, &r->pages, pfn,
				  (uint64_t)1 << (FTRACE_PAGE_SHIFT + order));
}

static int ftrace_page_free(struct trace_reader *r, const char *event,
			    const char *fields)
{
	uint64_t pfn, order;

	if (ftrace_page(r, event, fields, &pfn, &order))
		return -1;
	trace_import_free(r, &r->pages, pfn);
	return 0;
}

static const struct ftrace_event ftrace_events[] = {
	{ "kmalloc", TRACE_EVENTS_OBJECTS, ftrace_object_alloc },
	{ "kmalloc_node", TRACE_EVENTS_OBJECTS, ftrace_object_alloc },
	{ "kmem_cache_alloc", TRACE_EVENTS_OBJECTS, ftrace_object_alloc },
	{ "kmem_cache_alloc_node", TRACE_EVENTS_OBJECTS, ftrace_object_alloc },
	{ "kfree", TRACE_EVENTS_OBJECTS, ftrace_object_free },
	{ "kmem_cache_free", TRACE_EVENTS_OBJECTS, ftrace_object_free },
	{ "mm_page_alloc", TRACE_EVENTS_PAGES, ftrace_page_alloc },
	{ "mm_page_free", TRACE_EVENTS_PAGES, ftrace_page_free },
	{ "mm_page_free_batched", TRACE_EVENTS_PAGES, ftrace_page_free },
	{ }
};

/* A timestamp word: "1234.567890:", or "1234:" for the counter clocks. */
static bool is_timestamp(const char *s, size_t len)
{
	return len >= 2 && s[len - 1] == ':' && s[0] >= '0' && s[0] <= '9' &&
	       strspn(s, "0123456789.") == len - 1;
}

static bool is_event_name(const char *s, size_t len)
{
	return len >= 2 && s[len - 1] == ':' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == len - 1;
}

/*
 * The event of @line: its name, NUL-terminated in place, in *@event, and
 * its fields returned; NULL when @line is not an event line. The task's
 * name may hold blanks, so the line is searched for "TIMESTAMP: EVENT:".
 */
static char *ftrace_split_event(char *line, char **event)
{
	char *p = line, *word, *next;
	size_t len, next_len;

	for (;;) {
		word = p + strspn(p, " \t");
		len = strcspn(word, " \t");
		if (!len)
			return NULL;
		p = word + len;
		if (!is_timestamp(word, len))
			continue;
		next = p + strspn(p, " \t");
		next_len = strcspn(next, " \t");
		if (is_event_name(next, next_len)) {
			next[next_len - 1] = '\0';
			*event = next;
			return next + next_len;
		}
	}
}

static int ftrace_parse(struct trace_reader *r, char *line)
{
	const struct ftrace_event *e;
	char *event, *fields;

	line += strspn(line, " \t");
	if (!*line || line[0] == '#')
		return 0;
	if (strstr(line, "[LOST ") && strstr(line, " EVENTS]"))
		return trace_fail(r, "'%s': the ring buffer overflowed and the trace is incomplete; record again with a larger buffer_size_kb or fewer events",
				  line);
	fields = ftrace_split_event(line, &event);
	if (!fields)
		return trace_fail(r, "not an ftrace event line: expected 'TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS'");
	for (e = ftrace_events; e->name; e++)
		if (!strcmp(e->name, event))
			break;
	if (!e->name || !(e->family & r->events)) {
		r->counts.skipped_lines++;
		return 0;
	}
	return e->run(r, event, fields + strspn(fields, " \t"));
}

bool trace_ftrace_detect(const char *line)
{
	char copy[512], *event;

	if (!strncmp(line, "# tracer:", strlen("# tracer:")))
		return true;
	snprintf(copy, sizeof(copy), "%s", line);
	return strchr(copy, '[') && ftrace_split_event(copy, &event);
}

const struct trace_format_ops trace_ftrace_ops = {
	.format = TRACE_FTRACE,
	.parse = ftrace_parse,
};
