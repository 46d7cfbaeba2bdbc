// SPDX-License-Identifier: GPL-2.0
/*
 * compare.c: every strategy on one trace, side by side, as a table or JSON.
 *
 * The figures are those of Johnstone and Wilson's "The memory fragmentation
 * problem: solved?" (1998), measured on the device's own region:
 *
 * - fragmentation at the peak: the most pages ever holding live data (the
 *   footprint) over the most bytes ever live, minus one: their measure of
 *   the memory an allocator needs beyond what the program asks for. The
 *   footprint is counted in pages, the same way for every strategy, so a
 *   trace of a few bytes is dominated by the page;
 * - internal fragmentation: granted over requested bytes, minus one, when
 *   the live bytes peaked;
 * - external fragmentation: 1 - largest free block / free bytes inside what
 *   the strategy holds, at the snapshot of the peak footprint.
 *
 * Failures are always shown: a strategy that failed allocations had less
 * live at its peak than the trace asks for, and its figures say so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"

/* @num / @den - 1, in percent; -1 when @den is 0. */
static double lab_ratio_pct(uint64_t num, uint64_t den)
{
	return den ? ((double)num / den - 1) * 100 : -1;
}

/* A percentage of lab_ratio_pct(), or "-" when it has none. */
static void lab_print_pct(FILE *out, int width, double pct)
{
	if (pct < 0)
		fprintf(out, " %*s", width, "-");
	else
		fprintf(out, " %*.1f%%", width - 1, pct);
}

static double lab_ns_per_op(const struct lab_result *r)
{
	return r->dev_ops ? (double)r->ns / r->dev_ops : 0;
}

/**
 * lab_results_table() - the results of a run, one strategy a row
 * @out: where to
 * @dev: the device
 * @run: the run
 */
void lab_results_table(FILE *out, const struct lab_device *dev,
		       const struct lab_run *run)
{
	const struct trace_counts *c = &run->counts;
	uint64_t page = dev->info.page_size;
	unsigned int i;

	fprintf(out, "trace %s (%s): %llu operations, %llu allocations, %llu frees, %llu frees of unknown ids skipped\n",
		run->trace, lab_header_get(&run->header, "source"),
		(unsigned long long)c->ops,
		(unsigned long long)c->allocs, (unsigned long long)c->frees,
		(unsigned long long)c->unknown_frees);
	fprintf(out, "region %llu KiB, %u-byte pages; kernel %s, module ABI %u\n\n",
		(unsigned long long)dev->info.region_bytes >> 10,
		dev->info.page_size, lab_header_get(&run->header, "kernel"),
		dev->info.abi_version);
	fprintf(out, "%-14s %10s %8s %12s %14s %8s %9s %8s %7s %7s\n",
		"strategy", "ops", "failures", "peak live", "peak footprint",
		"frag at", "internal", "extfrag", "held", "ns/op");
	fprintf(out, "%-14s %10s %8s %12s %14s %8s %9s %8s %7s %7s\n",
		"", "", "", "bytes", "bytes", "peak", "frag", "at peak",
		"pages", "");
	for (i = 0; i < run->nr; i++) {
		const struct lab_result *r = &run->res[i];
		uint64_t foot = r->peak_footprint * page;
		char name[32];

		snprintf(name, sizeof(name), "%s%s", r->strategy->name,
			 r->strategy->note ? "*" : "");
		fprintf(out, "%-14s %10llu %8llu %12llu %14llu", name,
			(unsigned long long)r->ops,
			(unsigned long long)r->failures,
			(unsigned long long)r->peak_live,
			(unsigned long long)foot);
		lab_print_pct(out, 8, lab_ratio_pct(foot, r->peak_live));
		lab_print_pct(out, 9, lab_ratio_pct(r->granted_at_peak_live,
						    r->peak_live));
		fprintf(out, "    %u.%03u %7llu %7.0f\n", r->at_peak.extfrag / 1000,
			r->at_peak.extfrag % 1000,
			(unsigned long long)r->peak_held, lab_ns_per_op(r));
	}
	fputc('\n', out);
	for (i = 0; i < run->nr; i++)
		if (run->res[i].strategy->note)
			fprintf(out, "* %s: %s\n", run->res[i].strategy->name,
				run->res[i].strategy->note);
	fprintf(out,
		"peak footprint: the most pages holding live requested bytes at once\n"
		"frag at peak: peak footprint / peak live bytes - 1 (Johnstone & Wilson)\n"
		"internal frag: granted / requested bytes - 1 when live bytes peaked\n"
		"extfrag: 1 - largest free / free bytes inside what the strategy holds, at the peak footprint\n"
		"held pages: the most region pages out of the buddy's free lists, at samples\n"
		"ns/op: wall clock in BATCH calls per operation sent to the device\n");
	for (i = 0; i < run->nr; i++)
		if (run->res[i].failures)
			fprintf(out, "%s: %llu allocations failed, the region could not hold them; their %llu frees were skipped, and its peaks hold less than the trace's\n",
				run->res[i].strategy->name,
				(unsigned long long)run->res[i].failures,
				(unsigned long long)run->res[i].skipped_frees);
	for (i = 0; i < run->nr_skipped; i++)
		fprintf(out, "%s: not replayed, the running module (ABI %u) does not have it\n",
			run->skipped[i]->name, dev->info.abi_version);
}

/**
 * lab_json_string() - print a string as a JSON string, escaped
 * @out:	where
 * @s:		the string
 */
void lab_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

#define LAB_JU(out, name, v) \
	fprintf(out, "\"%s\": %llu, ", name, (unsigned long long)(v))

/* A percentage of lab_ratio_pct() in JSON: null when it has none. */
static void lab_json_pct(FILE *out, const char *name, double pct)
{
	if (pct < 0)
		fprintf(out, "\"%s\": null, ", name);
	else
		fprintf(out, "\"%s\": %.3f, ", name, pct);
}

static void lab_json_result(FILE *out, const struct lab_result *r,
			    uint64_t page)
{
	uint64_t foot = r->peak_footprint * page;

	fprintf(out, "{\"strategy\": ");
	lab_json_string(out, r->strategy->name);
	fprintf(out, ", \"note\": ");
	if (r->strategy->note)
		lab_json_string(out, r->strategy->note);
	else
		fprintf(out, "null");
	fprintf(out, ", ");
	LAB_JU(out, "ops", r->ops);
	LAB_JU(out, "device_ops", r->dev_ops);
	LAB_JU(out, "failures", r->failures);
	LAB_JU(out, "skipped_frees", r->skipped_frees);
	LAB_JU(out, "peak_live_bytes", r->peak_live);
	LAB_JU(out, "granted_at_peak_live", r->granted_at_peak_live);
	LAB_JU(out, "peak_footprint_pages", r->peak_footprint);
	LAB_JU(out, "peak_footprint_bytes", foot);
	lab_json_pct(out, "frag_at_peak_pct", lab_ratio_pct(foot, r->peak_live));
	lab_json_pct(out, "internal_frag_pct",
		     lab_ratio_pct(r->granted_at_peak_live, r->peak_live));
	LAB_JU(out, "extfrag_at_peak", r->at_peak.extfrag);
	LAB_JU(out, "peak_snapshot_footprint_pages", r->snap_footprint);
	LAB_JU(out, "free_bytes_at_peak", r->at_peak.free_bytes);
	LAB_JU(out, "largest_free_at_peak", r->at_peak.largest_free);
	LAB_JU(out, "held_pages_at_peak", r->at_peak.held_pages);
	fprintf(out, "\"unusable_index_at_peak\": %d, ",
		r->at_peak.unusable_index);
	LAB_JU(out, "peak_held_pages", r->peak_held);
	LAB_JU(out, "batch_ns", r->ns);
	fprintf(out, "\"ns_per_op\": %.1f}", lab_ns_per_op(r));
}

/* The results of a run, with how it was made, as JSON. */
static void lab_results_json(FILE *out, const struct lab_device *dev,
			     const struct lab_run *run)
{
	const struct trace_counts *c = &run->counts;
	unsigned int i;

	fprintf(out, "{\"meta\": {");
	for (i = 0; i < run->header.nr; i++) {
		fprintf(out, "%s", i ? ", " : "");
		lab_json_string(out, run->header.key[i]);
		fprintf(out, ": ");
		lab_json_string(out, run->header.value[i]);
	}
	fprintf(out, "}, \"trace\": {");
	LAB_JU(out, "lines", c->lines);
	LAB_JU(out, "ops", c->ops);
	LAB_JU(out, "allocs", c->allocs);
	LAB_JU(out, "frees", c->frees);
	LAB_JU(out, "unknown_frees", c->unknown_frees);
	LAB_JU(out, "reallocs", c->reallocs);
	LAB_JU(out, "zero_sizes", c->zero_sizes);
	LAB_JU(out, "implicit_frees", c->implicit_frees);
	LAB_JU(out, "skipped_lines", c->skipped_lines);
	LAB_JU(out, "max_live_ids", c->max_live);
	fprintf(out, "\"max_live_bytes\": %llu}, \"results\": [",
		(unsigned long long)c->max_live_bytes);
	for (i = 0; i < run->nr; i++) {
		fprintf(out, "%s", i ? ", " : "");
		lab_json_result(out, &run->res[i], dev->info.page_size);
	}
	fprintf(out, "], \"not_replayed\": [");
	for (i = 0; i < run->nr_skipped; i++) {
		fprintf(out, "%s", i ? ", " : "");
		lab_json_string(out, run->skipped[i]->name);
	}
	fprintf(out, "]}\n");
}

/**
 * lab_cmd_compare() - buddyslabctl compare
 * @fd: an open file of the device
 * @device: its path
 * @argc: words of the command line from "compare" on
 * @argv: the words
 *
 * compare TRACE [--from FORMAT] [--events E] [--json] [--csv-dir DIR]
 * [--every N] [--progress]: every strategy the module has, each from a whole region,
 * then the table (or JSON) of their results.
 *
 * Return: 0, -1 once it said what failed, -EINVAL for a usage error.
 */
int lab_cmd_compare(int fd, const char *device, int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv-dir", required_argument, NULL, 'c' },
		{ "every", required_argument, NULL, 'e' },
		{ "progress", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_run *run = calloc(1, sizeof(*run));
	struct lab_device dev;
	int opt, ret = -EINVAL;
	bool json = false;

	if (!run) {
		lab_err("compare: %s", strerror(ENOMEM));
		return -1;
	}
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			run->from = optarg;
			break;
		case 'E':
			if (lab_parse_events(optarg, &run->events))
				goto out;
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			run->csv = optarg;
			break;
		case 'e':
			if (lab_parse_u64(optarg, &run->opts.every) ||
			    !run->opts.every)
				goto out;
			break;
		case 'p':
			run->opts.progress = true;
			break;
		default:
			goto out;
		}
	}
	if (optind != argc - 1)
		goto out;
	run->trace = argv[optind];
	run->opts.progress |= isatty(STDERR_FILENO);
	ret = -1;
	if (lab_device_init(&dev, fd, device) || lab_run(&dev, run))
		goto out;
	if (json)
		lab_results_json(stdout, &dev, run);
	else
		lab_results_table(stdout, &dev, run);
	ret = 0;
out:
	free(run);
	return ret;
}
