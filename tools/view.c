// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslabctl's debugfs views: each is the file of that name in VIEW_DIR,
 * read by its path only. Printed as it is, or turned into JSON by the
 * reader of its format:
 *
 *   buddyinfo                      "Arena N" and free blocks per order
 *   unusable_index, extfrag_index  "Arena N" or "Region" and a figure per order
 *   slabinfo                       /proc/slabinfo 2.1 rows
 *   fitinfo, genpoolinfo,          "key value" lines; free_blocks_by_size
 *   byte_buddyinfo                 holds "size:count" pairs
 *
 * A line a reader does not understand fails the command rather than being
 * left out of the JSON. When the file cannot be opened the message says
 * why in the terms a user can act on: debugfs not mounted, the module not
 * loaded, or not root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include "lab/replay.h"
#include "view.h"

#define VIEW_MAX_BYTES	(1 << 22)	/* the largest view read: map of 16 GiB */

/* Print the numbers of @line after @skip words as a JSON array. */
static int view_json_numbers(FILE *out, char *line, unsigned int skip)
{
	char *save = NULL, *word, *end;
	unsigned int i = 0;

	fprintf(out, "[");
	for (word = strtok_r(line, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save), i++) {
		if (i < skip)
			continue;
		strtod(word, &end);
		if (*end)
			return -1;
		fprintf(out, "%s%s", i > skip ? ", " : "", word);
	}
	fprintf(out, "]");
	return 0;
}

/* buddyinfo, unusable_index, extfrag_index: a row per arena, maybe a region. */
static int view_json_arenas(FILE *out, char **lines, unsigned int n,
			    const char *what)
{
	unsigned int i, arena, rows = 0;
	bool region = false;

	fprintf(out, "{\"arenas\": [");
	for (i = 0; i < n; i++) {
		if (!lines[i][0])
			continue;
		if (!strncmp(lines[i], "Region", 6)) {
			if (region)
				return -1;
			fprintf(out, "], \"region\": ");
			region = true;
			if (view_json_numbers(out, lines[i], 1))
				return -1;
			continue;
		}
		if (region || sscanf(lines[i], "Arena %u", &arena) != 1)
			return -1;
		fprintf(out, "%s{\"arena\": %u, \"%s\": ", rows++ ? ", " : "", arena, what);
		if (view_json_numbers(out, lines[i], 2))
			return -1;
		fprintf(out, "}");
	}
	fprintf(out, region ? "}\n" : "]}\n");
	return 0;
}

static int view_json_buddyinfo(FILE *out, char **lines, unsigned int n)
{
	return view_json_arenas(out, lines, n, "free_blocks");
}

static int view_json_index(FILE *out, char **lines, unsigned int n)
{
	return view_json_arenas(out, lines, n, "index");
}

/* slabinfo: the two header lines, then a row per cache. */
static int view_json_slabinfo(FILE *out, char **lines, unsigned int n)
{
	unsigned long active, num, objsize, perslab, pages, limit, batch, shared;
	unsigned long active_slabs, slabs, avail;
	unsigned int i;
	char name[64];

	if (n < 2 || strncmp(lines[0], "slabinfo - version: 2.1", 23))
		return -1;
	fprintf(out, "{\"caches\": [");
	for (i = 2; i < n; i++) {
		if (!lines[i][0])
			continue;
		if (sscanf(lines[i], "%63s %lu %lu %lu %lu %lu : tunables %lu %lu %lu : slabdata %lu %lu %lu",
			   name, &active, &num, &objsize, &perslab, &pages,
			   &limit, &batch, &shared, &active_slabs, &slabs,
			   &avail) != 12)
			return -1;
		fprintf(out, "%s{\"name\": ", i > 2 ? ", " : "");
		lab_json_string(out, name);
		fprintf(out, ", \"active_objs\": %lu, \"num_objs\": %lu, \"objsize\": %lu, \"objperslab\": %lu, \"pagesperslab\": %lu, \"limit\": %lu, \"batchcount\": %lu, \"sharedfactor\": %lu, \"active_slabs\": %lu, \"num_slabs\": %lu, \"sharedavail\": %lu}",
		       active, num, objsize, perslab, pages, limit, batch,
		       shared, active_slabs, slabs, avail);
	}
	fprintf(out, "]}\n");
	return 0;
}

/* "key value" lines; a value of "size:count" pairs becomes an object. */
static int view_json_pairs(FILE *out, char **lines, unsigned int n)
{
	char *save, *key, *value, *end, *colon;
	unsigned int i, keys = 0, pairs;

	fprintf(out, "{");
	for (i = 0; i < n; i++) {
		if (!lines[i][0])
			continue;
		save = NULL;
		key = strtok_r(lines[i], " ", &save);
		fprintf(out, "%s", keys++ ? ", " : "");
		lab_json_string(out, key);
		fprintf(out, ": ");
		if (!strchr(save ?: "", ':')) {
			value = strtok_r(NULL, " ", &save);
			if (!value)
				return -1;
			strtod(value, &end);
			if (*end)
				lab_json_string(out, value);
			else
				fprintf(out, "%s", value);
			continue;
		}
		fprintf(out, "{");
		pairs = 0;
		while ((value = strtok_r(NULL, " ", &save))) {
			colon = strchr(value, ':');
			if (!colon)
				return -1;
			*colon = '\0';
			strtoull(colon + 1, &end, 10);
			if (*end || end == colon + 1)
				return -1;
			fprintf(out, "%s", pairs++ ? ", " : "");
			lab_json_string(out, value);
			fprintf(out, ": %s", colon + 1);
		}
		fprintf(out, "}");
	}
	fprintf(out, "}\n");
	return 0;
}

static const struct view_format {
	const char *name;
	int (*json)(FILE *out, char **lines, unsigned int n);
} view_formats[] = {
	{ "buddyinfo", view_json_buddyinfo },
	{ "unusable_index", view_json_index },
	{ "extfrag_index", view_json_index },
	{ "slabinfo", view_json_slabinfo },
	{ "fitinfo", view_json_pairs },
	{ "genpoolinfo", view_json_pairs },
	{ "byte_buddyinfo", view_json_pairs },
	{ NULL, NULL }
};

static const struct view_format *view_format(const char *name)
{
	const struct view_format *f;

	for (f = view_formats; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/**
 * view_has_json() - whether a view can be printed as JSON
 * @name:	the view's file name
 *
 * Return: true if view_print() takes json = true for it.
 */
bool view_has_json(const char *name)
{
	return view_format(name);
}

/**
 * view_fail() - say why a view cannot be read or written
 * @path:	the view's path
 * @err:	the errno of the failure
 *
 * In terms a user can act on: debugfs not mounted, the module not loaded,
 * not root.
 */
void view_fail(const char *path, int err)
{
	struct statfs fs;

	fprintf(stderr, "buddyslabctl: %s: %s", path, strerror(err));
	if (err == EACCES || err == EPERM)
		fprintf(stderr, " (debugfs is root's: run as root)\n");
	else if (statfs("/sys/kernel/debug", &fs) || fs.f_type != DEBUGFS_MAGIC)
		fprintf(stderr, " (debugfs is not mounted: mount -t debugfs none /sys/kernel/debug)\n");
	else if (err == ENOENT)
		fprintf(stderr, " (is the buddyslab module loaded?)\n");
	else
		fputc('\n', stderr);
}

/* The whole file @path, NUL-terminated, or NULL with errno set. */
static char *view_read(const char *path)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size + 1), *bigger;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f || !buf) {
		int err = errno;

		free(buf);
		if (f)
			fclose(f);
		errno = err;
		return NULL;
	}
	while ((n = fread(buf + len, 1, size - len, f)) > 0) {
		len += n;
		if (len < size)
			continue;
		bigger = size < VIEW_MAX_BYTES ? realloc(buf, 2 * size + 1) : NULL;
		if (!bigger) {
			free(buf);
			fclose(f);
			errno = EFBIG;
			return NULL;
		}
		buf = bigger;
		size *= 2;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/**
 * view_print() - print a debugfs view
 * @name:	its file name in VIEW_DIR
 * @json:	as JSON (view_has_json() must say it can), else as it is
 *
 * Return: 0, or -1 once the error is said on standard error.
 */
int view_print(const char *name, bool json)
{
	const struct view_format *format = view_format(name);
	unsigned int n = 0, max = 0;
	char path[256], *buf, *line, *save = NULL, **lines = NULL, **more;
	char *json_text = NULL;
	size_t json_len = 0;
	FILE *out = NULL;
	int ret = -1;

	snprintf(path, sizeof(path), VIEW_DIR "/%s", name);
	buf = view_read(path);
	if (!buf) {
		view_fail(path, errno);
		return -1;
	}
	if (!json) {
		fputs(buf, stdout);
		free(buf);
		return 0;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (n == max) {
			max = max ? 2 * max : 64;
			more = realloc(lines, max * sizeof(*lines));
			if (!more) {
				fprintf(stderr, "buddyslabctl: %s: out of memory\n", path);
				goto out;
			}
			lines = more;
		}
		lines[n++] = line;
	}
	/* Whole or not at all: into memory first. */
	out = open_memstream(&json_text, &json_len);
	if (!out)
		goto out;
	if (format && format->json(out, lines, n) == 0)
		ret = 0;
	fclose(out);
	if (ret)
		fprintf(stderr, "buddyslabctl: %s: not in the format this buddyslabctl reads\n",
			path);
	else
		fputs(json_text, stdout);
out:
	free(json_text);
	free(lines);
	free(buf);
	return ret;
}
