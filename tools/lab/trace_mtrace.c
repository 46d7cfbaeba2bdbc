// SPDX-License-Identifier: GPL-2.0
/*
 * trace_mtrace.c: glibc's mtrace log (MALLOC_TRACE) as operations.
 *
 * glibc (2.34 and later with libc_malloc_debug.so preloaded, 2.36 in
 * Debian 12) writes one line per call, the caller first when it knows it:
 *
 *	= Start				mtrace() began; "= End": muntrace()
 *	@ CALLER + ADDR SIZE		malloc, calloc, memalign, realloc(NULL, n)
 *	@ CALLER - ADDR			free, realloc(p, 0)
 *	@ CALLER < OLD			realloc(OLD, n) moved or kept the block,
 *	@ CALLER > NEW SIZE		 always as these two lines in a row
 *	@ CALLER ! OLD SIZE		a realloc that failed: OLD stays
 *
 * CALLER is "FILE:(SYMBOL+OFF)[0xADDR]", "FILE:[0xADDR]" or "[0xADDR]",
 * or missing. ADDR is "0x..." or "(nil)" (a malloc that failed) and SIZE is
 * printed with %#lx: "0x10", and "0" for 0. free(NULL) writes nothing.
 * A line is read from its end, so a caller's file name may hold blanks.
 *
 * Addresses become ids in the order they are allocated (1, 2, 3, ...), so
 * an address reused after a free is a new id; a realloc is a free of the
 * old id and an allocation of a new one; a free of an address the log never
 * allocated (before mtrace() began) is counted and skipped; a malloc(0) is
 * replayed as 1 byte; failed calls took no memory and are skipped lines.
 */
#include <string.h>

#include "trace_internal.h"

#define MTRACE_WORDS	16	/* the most words of a line, the caller's too */

/* An address: 0x..., or (nil) as 0. */
static int mtrace_addr(struct trace_reader *r, const char *word, uint64_t *addr)
{
	if (!strcmp(word, "(nil)")) {
		*addr = 0;
		return 0;
	}
	if (strncmp(word, "0x", 2) || trace_parse_u64(word, 16, addr))
		return trace_fail(r, "'%s' is not an address (0x... or (nil))",
				  word);
	return 0;
}

/* A size as %#lx prints it: 0x..., or 0. */
static int mtrace_size(struct trace_reader *r, const char *word, uint64_t *size)
{
	if ((strcmp(word, "0") && strncmp(word, "0x", 2)) ||
	    trace_parse_u64(word, 16, size))
		return trace_fail(r, "'%s' is not a size (0x... or 0)", word);
	return 0;
}

/* "+ ADDR SIZE": an allocation, unless it failed. */
static int mtrace_alloc(struct trace_reader *r, uint64_t addr, uint64_t size)
{
	if (!addr) {
		r->counts.skipped_lines++;
		return 0;
	}
	return trace_import_alloc(r, &r->live, addr, size);
}

/* "> NEW SIZE", after the "< OLD" line of the same realloc. */
static int mtrace_realloc(struct trace_reader *r, uint64_t addr, uint64_t size)
{
	if (!r->in_realloc)
		return trace_fail(r, "a '>' line without the '<' line of its realloc just before it");
	if (!addr)
		return trace_fail(r, "a realloc's '>' line with no new address");
	r->in_realloc = false;
	r->counts.reallocs++;
	trace_import_free(r, &r->live, r->realloc_addr);
	return trace_import_alloc(r, &r->live, addr, size);
}

/* The operation @op of ADDR @w[0] and, for '+', '>' and '!', SIZE @w[1]. */
static int mtrace_op(struct trace_reader *r, char op, char **w)
{
	uint64_t addr, size = 0;

	if (mtrace_addr(r, w[0], &addr) ||
	    (strchr("+>!", op) && mtrace_size(r, w[1], &size)))
		return -1;
	if (r->in_realloc && op != '>')
		return trace_fail(r, "the realloc of 0x%llx on line %lu has its '<' line but no '>' line after it",
				  (unsigned long long)r->realloc_addr,
				  r->realloc_line);
	switch (op) {
	case '+':
		return mtrace_alloc(r, addr, size);
	case '-':
		if (addr)
			trace_import_free(r, &r->live, addr);
		else
			r->counts.skipped_lines++;
		return 0;
	case '<':
		r->in_realloc = true;
		r->realloc_addr = addr;
		r->realloc_line = r->lineno;
		return 0;
	case '>':
		return mtrace_realloc(r, addr, size);
	default:	/* '!': a realloc that failed leaves its block as it was */
		r->counts.skipped_lines++;
		return 0;
	}
}

static bool is_op(const char *word, const char *ops)
{
	return word[0] && !word[1] && strchr(ops, word[0]);
}

/* Why the @n words @w are not a line of the log, as precisely as can be. */
static int mtrace_bad_line(struct trace_reader *r, char **w, unsigned int n)
{
	unsigned int i;

	for (i = n < MTRACE_WORDS ? n : MTRACE_WORDS; i-- > 0;) {
		if (is_op(w[i], "+>!"))
			return trace_fail(r, "'%s' takes an address and a size: '%s ADDR SIZE'",
					  w[i], w[i]);
		if (is_op(w[i], "-<"))
			return trace_fail(r, "'%s' takes an address only: '%s ADDR'",
					  w[i], w[i]);
	}
	return trace_fail(r, "not an mtrace line: expected '@ CALLER' and then '+ ADDR SIZE', '- ADDR', '< ADDR', '> ADDR SIZE' or '! ADDR SIZE'");
}

static int mtrace_parse(struct trace_reader *r, char *line)
{
	char *w[MTRACE_WORDS];
	unsigned int n, k;

	if (!strcmp(line, "= Start") || !strcmp(line, "= End")) {
		r->counts.skipped_lines++;
		return 0;
	}
	n = trace_split(line, w, MTRACE_WORDS);
	if (!n)
		return 0;
	/* The operation is the last word but one ('-', '<') or but two. */
	if (n >= 2 && n <= MTRACE_WORDS && is_op(w[n - 2], "-<"))
		k = n - 2;
	else if (n >= 3 && n <= MTRACE_WORDS && is_op(w[n - 3], "+>!"))
		k = n - 3;
	else
		return mtrace_bad_line(r, w, n);
	if (k && (k < 2 || strcmp(w[0], "@")))
		return trace_fail(r, "not an mtrace line: what comes before '%s' is not '@ CALLER'",
				  w[k]);
	return mtrace_op(r, w[k][0], w + k + 1);
}

static int mtrace_end(struct trace_reader *r)
{
	if (r->in_realloc)
		return trace_fail(r, "the log ends inside the realloc of line %lu: its '<' line has no '>' line",
				  r->realloc_line);
	return 0;
}

bool trace_mtrace_detect(const char *line)
{
	return !strcmp(line, "= Start") || !strncmp(line, "@ ", 2) ||
	       !strncmp(line, "+ 0x", 4) || !strncmp(line, "- 0x", 4);
}

const struct trace_format_ops trace_mtrace_ops = {
	.format = TRACE_MTRACE,
	.parse = mtrace_parse,
	.end = mtrace_end,
};
