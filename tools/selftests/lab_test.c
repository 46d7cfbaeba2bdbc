// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the laboratory's replay, compare and adversary, with the
 * module loaded: tiny traces written here, replayed on the device, and
 * every figure checked against one worked out by hand.
 *
 * The engine (tools/lab/replay.c) is linked in and driven directly, which
 * lets a test see where each allocation was placed; the commands are run
 * as a user runs them, through the client ($BUDDYSLABCTL, default
 * /bin/buddyslabctl), for their table, JSON, CSV and messages.
 *
 * The worked trace, "a 1 100, a 2 5000, f 1, a 3 16", on a whole region:
 *
 * - fit:first takes an arena (1024 pages) and rounds to 16 bytes: id 1 at
 *   the arena's start granted 112, id 2 right after it granted 5008, id 3
 *   in the hole id 1 left, granted 16. Live bytes peak at 5100 (granted
 *   5120); bytes 0-5111 of the arena hold live data: 2 pages. At the end
 *   the arena's free blocks are bytes 16-111 and 5120 on: 4189280 bytes
 *   free, the largest 4189184, external fragmentation 1 - 4189184 /
 *   4189280 = 0.001 (in thousandths, rounded down: 1). J&W's figure is
 *   8192 / 5100 - 1 = 60.627%, internal 5120 / 5100 - 1 = 0.392%.
 * - buddy grants whole pages, powers of two: 4096, 8192, 4096. The peak is
 *   3 pages (1 + 2, then 2 + 1): 12288 / 5100 - 1 = 140.941%, and the same
 *   internal fragmentation at the peak of live bytes.
 * - slab grants the classes 128, 8192 and 16: three slabs' pages, one for
 *   id 1, two for id 2 (an 8192-byte object, aligned to 8192), one for id
 *   3 once id 1 is gone: a peak of 3 pages.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dev_fixture.h"
#include "../lab/replay.h"

#define WORKED_TRACE	"# buddyslab-trace 1\n# source: lab_test\n# seed: 42\n" \
			"a 1 100\na 2 5000\nf 1\na 3 16\n"

/* Where each id of a trace was placed, as the engine reports it. */
struct placed {
	unsigned int nr;
	uint64_t id[16];
	struct buddyslab_alloc alloc[16];
};

static void record_placed(void *data, uint64_t id,
			  const struct buddyslab_alloc *alloc)
{
	struct placed *p = data;

	if (p->nr < 16) {
		p->id[p->nr] = id;
		p->alloc[p->nr++] = *alloc;
	}
}

/* A directory of this test's own for traces and outputs. */
static const char *lab_dir(void)
{
	static char dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR") ?: "/tmp";

	if (!dir[0]) {
		mkdir(tmp, 0777);
		snprintf(dir, sizeof(dir), "%s/lab_test.XXXXXX", tmp);
		if (!mkdtemp(dir))
			return NULL;
	}
	return dir;
}

/* Write @text to file @name of the test's directory; its path in @path. */
static int write_file(const char *name, const char *text, char *path,
		      size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", lab_dir(), name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Replay @trace on strategy @name with the engine; -1 if it failed. */
static int replay(int fd, const char *trace, const char *name,
		  struct lab_run *run, struct placed *placed)
{
	struct lab_device dev;

	memset(run, 0, sizeof(*run));
	run->trace = trace;
	run->only = lab_strategy_find(name);
	if (placed) {
		memset(placed, 0, sizeof(*placed));
		run->opts.placed = record_placed;
		run->opts.data = placed;
	}
	if (!run->only || lab_device_init(&dev, fd, BS_DEVICE))
		return -1;
	return lab_run(&dev, run);
}

/*
 * Run the client with the words of @args (after "buddyslabctl"), its
 * standard output and error in @out; returns its exit status, or -1.
 */
static int client(const char *args, char *out, size_t size)
{
	const char *ctl = getenv("BUDDYSLABCTL") ?: "/bin/buddyslabctl";
	char cmd[2 * PATH_MAX], path[PATH_MAX];
	int status, len;

	snprintf(path, sizeof(path), "%s/client.out", lab_dir());
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>&1", ctl, args, path);
	status = system(cmd);
	len = bs_read_file(path, out, size);
	if (len < 0 || status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static char out[1 << 16];

TEST_F(dev, fit_first_places_and_measures_as_worked)
{
	struct placed p;
	struct lab_run run;
	const struct lab_result *r = &run.res[0];
	char trace[PATH_MAX];

	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));
	ASSERT_EQ(0, replay(self->fd, trace, "fit:first", &run, &p));
	ASSERT_EQ(1, run.nr);
	ASSERT_EQ(3, p.nr);
	EXPECT_EQ(1, p.id[0]);
	EXPECT_EQ(0, p.alloc[0].offset % self->info.arena_bytes);
	EXPECT_EQ(112, p.alloc[0].granted);
	EXPECT_EQ(2, p.id[1]);
	EXPECT_EQ(p.alloc[0].offset + 112, p.alloc[1].offset);
	EXPECT_EQ(5008, p.alloc[1].granted);
	EXPECT_EQ(3, p.id[2]);
	EXPECT_EQ(p.alloc[0].offset, p.alloc[2].offset);
	EXPECT_EQ(16, p.alloc[2].granted);

	EXPECT_EQ(4, r->ops);
	EXPECT_EQ(4, r->dev_ops);
	EXPECT_EQ(0, r->failures);
	EXPECT_EQ(5100, r->peak_live);
	EXPECT_EQ(5120, r->granted_at_peak_live);
	EXPECT_EQ(2, r->peak_footprint);
	/* The snapshot at the peak: after the first batch, a, a. */
	EXPECT_EQ(2, r->snap_footprint);
	EXPECT_EQ(1024, r->at_peak.held_pages);
	EXPECT_EQ(self->info.arena_bytes - 5120, r->at_peak.free_bytes);
	EXPECT_EQ(self->info.arena_bytes - 5120, r->at_peak.largest_free);
	EXPECT_EQ(0, r->at_peak.extfrag);
	EXPECT_EQ(1024, r->peak_held);
	/* The replay left the region whole. */
	EXPECT_EQ(self->info.region_bytes, bs_free_bytes(self->fd));
}

TEST_F(dev, buddy_grants_pages)
{
	struct placed p;
	struct lab_run run;
	const struct lab_result *r = &run.res[0];
	char trace[PATH_MAX];

	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));
	ASSERT_EQ(0, replay(self->fd, trace, "buddy", &run, &p));
	ASSERT_EQ(3, p.nr);
	EXPECT_EQ(4096, p.alloc[0].granted);
	EXPECT_EQ(8192, p.alloc[1].granted);
	EXPECT_EQ(0, p.alloc[1].offset % 8192);
	EXPECT_EQ(4096, p.alloc[2].granted);
	EXPECT_EQ(5100, r->peak_live);
	EXPECT_EQ(12288, r->granted_at_peak_live);
	EXPECT_EQ(3, r->peak_footprint);
	EXPECT_LE(3, r->peak_held);
}

TEST_F(dev, slab_takes_its_classes)
{
	struct placed p;
	struct lab_run run;
	const struct lab_result *r = &run.res[0];
	char trace[PATH_MAX];

	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));
	ASSERT_EQ(0, replay(self->fd, trace, "slab", &run, &p));
	ASSERT_EQ(3, p.nr);
	EXPECT_EQ(128, p.alloc[0].granted);
	EXPECT_EQ(0, p.alloc[0].offset % 128);
	EXPECT_EQ(8192, p.alloc[1].granted);
	EXPECT_EQ(0, p.alloc[1].offset % 8192);
	EXPECT_EQ(16, p.alloc[2].granted);
	EXPECT_EQ(5100, r->peak_live);
	EXPECT_EQ(128 + 8192, r->granted_at_peak_live);
	EXPECT_EQ(3, r->peak_footprint);
	/* The slab's free space is its classes' free objects. */
	EXPECT_LT(0, r->at_peak.free_bytes);
	EXPECT_GE(8192, r->at_peak.largest_free);
}

/* genpool and the byte buddy come with ABI 2. */
TEST_F(dev, genpool_and_byte_buddy)
{
	static const char *const names[] = { "genpool:first", "genpool:best" };
	struct placed p;
	struct lab_run run;
	char trace[PATH_MAX];
	unsigned int i;

	if (self->info.abi_version < 2)
		SKIP(return, "the module's ABI %u has neither genpool nor the byte buddy",
		     self->info.abi_version);
	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));

	/* Powers of two, aligned to their size, from 16 bytes. */
	ASSERT_EQ(0, replay(self->fd, trace, "bytebuddy", &run, &p));
	ASSERT_EQ(3, p.nr);
	EXPECT_EQ(128, p.alloc[0].granted);
	EXPECT_EQ(0, p.alloc[0].offset % 128);
	EXPECT_EQ(8192, p.alloc[1].granted);
	EXPECT_EQ(0, p.alloc[1].offset % 8192);
	EXPECT_EQ(16, p.alloc[2].granted);
	EXPECT_EQ(128 + 8192, run.res[0].granted_at_peak_live);

	/*
	 * genpool's bitmap has the fits' 16-byte grain; both its policies put
	 * id 2 after id 1, and id 3 in the hole id 1 left.
	 */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, replay(self->fd, trace, names[i], &run, &p));
		ASSERT_EQ(3, p.nr);
		EXPECT_EQ(112, p.alloc[0].granted);
		EXPECT_EQ(5008, p.alloc[1].granted);
		EXPECT_EQ(16, p.alloc[2].granted);
		EXPECT_EQ(p.alloc[0].offset + 112, p.alloc[1].offset);
		EXPECT_EQ(p.alloc[0].offset, p.alloc[2].offset);
		EXPECT_EQ(2, run.res[0].peak_footprint);
		EXPECT_EQ(0, run.res[0].failures);
	}
}

/* Nothing of a malformed trace is replayed, and the message names the line. */
TEST_F(dev, malformed_trace_replays_nothing)
{
	struct buddyslab_stats before;
	char trace[PATH_MAX], args[PATH_MAX + 64];
	struct lab_run run;

	ASSERT_EQ(0, write_file("bad.trace",
				"# buddyslab-trace 1\na 1 100\na 2 64\nf 1\na 3 lots\nf 2\n",
				trace, sizeof(trace)));
	ASSERT_EQ(0, bs_stats(self->fd, &before));
	EXPECT_EQ(-1, replay(self->fd, trace, "fit:first", &run, NULL));
	EXPECT_EQ(0, run.nr);
	snprintf(args, sizeof(args), "replay %s --allocator all", trace);
	EXPECT_EQ(1, client(args, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "bad.trace:5: ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "nothing was replayed"));
	bs_expect_stats_unchanged(_metadata, self->fd, &before);
}

/* Frees of ids never allocated are counted and skipped, not replayed. */
TEST_F(dev, unknown_frees_counted)
{
	char trace[PATH_MAX], args[PATH_MAX + 64];
	struct lab_run run;

	ASSERT_EQ(0, write_file("unknown.trace",
				"# buddyslab-trace 1\na 1 100\nf 7\nf 1\nf 8\n",
				trace, sizeof(trace)));
	ASSERT_EQ(0, replay(self->fd, trace, "fit:best", &run, NULL));
	EXPECT_EQ(2, run.counts.unknown_frees);
	EXPECT_EQ(2, run.res[0].ops);
	EXPECT_EQ(2, run.res[0].dev_ops);
	snprintf(args, sizeof(args), "replay %s --allocator fit:best", trace);
	EXPECT_EQ(0, client(args, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "2 operations, 1 allocations, 1 frees, 2 frees of unknown ids skipped"))
		TH_LOG("%s", out);
}

/*
 * A program's malloc of more than an arena is a failure of every strategy,
 * counted as ENOMEM is, and its free skipped: the replay goes on.
 */
TEST_F(dev, larger_than_an_arena_counted)
{
	char text[256], trace[PATH_MAX];
	struct lab_run run;

	snprintf(text, sizeof(text),
		 "# buddyslab-trace 1\na 1 100\na 2 %llu\na 3 200\nf 2\nf 1\nf 3\n",
		 (unsigned long long)self->info.arena_bytes + 1);
	ASSERT_EQ(0, write_file("huge.trace", text, trace, sizeof(trace)));
	ASSERT_EQ(0, replay(self->fd, trace, "fit:first", &run, NULL));
	EXPECT_EQ(1, run.res[0].failures);
	EXPECT_EQ(300, run.res[0].peak_live);
	ASSERT_EQ(0, replay(self->fd, trace, "buddy", &run, NULL));
	EXPECT_EQ(1, run.res[0].failures);
}

/*
 * ENOMEM is a failure of the strategy, counted, and the free of its id
 * skipped. As many 96-byte objects as the region has bytes for (which the
 * file's quota lets through) cannot all fit in the slab's 96-byte class,
 * whose slabs waste a tail: every allocation past what the region's slabs
 * hold fails. Some 175,000 allocations and as many frees of a 16 MiB
 * region: 40 s in the debug VM (KASAN and lockdep under TCG), more than
 * the harness's default 30.
 */
TEST_F_TIMEOUT(dev, failures_counted_not_hidden, 300)
{
	const struct buddyslab_slab_cache_stats *c;
	uint64_t n = self->info.region_bytes / 96, i, fit;
	struct buddyslab_stats stats;
	char trace[PATH_MAX];
	struct lab_run run;
	FILE *f;

	snprintf(trace, sizeof(trace), "%s/full.trace", lab_dir());
	f = fopen(trace, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "# buddyslab-trace 1\n");
	for (i = 0; i < n; i++)
		fprintf(f, "a %llu 96\n", (unsigned long long)i);
	for (i = 0; i < n; i++)
		fprintf(f, "f %llu\n", (unsigned long long)i);
	ASSERT_EQ(0, fclose(f));

	ASSERT_EQ(0, replay(self->fd, trace, "slab", &run, NULL));
	ASSERT_EQ(0, bs_stats(self->fd, &stats));
	c = &stats.slab.classes[4];
	ASSERT_EQ(96, c->object_size);
	fit = self->info.region_bytes / self->info.page_size / c->pages_per_slab *
	      c->objects_per_slab;
	ASSERT_GT(n, fit);
	EXPECT_EQ(n - fit, run.res[0].failures);
	EXPECT_EQ(n - fit, run.res[0].skipped_frees);
	EXPECT_EQ(2 * n, run.res[0].ops);
	EXPECT_EQ(2 * n - (n - fit), run.res[0].dev_ops);
	EXPECT_EQ(fit * 96, run.res[0].peak_live);
	EXPECT_EQ(self->info.region_bytes / self->info.page_size,
		  run.res[0].peak_footprint);
}

/*
 * A request past the region: with the file's quota the whole region (as
 * the VM loads the module, and as root), EDQUOT says the region cannot
 * hold it, a failure as ENOMEM is; with a smaller quota it is the file's
 * limit, and the replay stops and says so.
 */
TEST_F(dev, beyond_the_region)
{
	char trace[PATH_MAX], text[1024];
	uint64_t arena = self->info.arena_bytes;
	struct lab_device dev;
	struct lab_run run;
	unsigned int i, len, n = self->info.nr_arenas + 1;

	len = snprintf(text, sizeof(text), "# buddyslab-trace 1\n");
	for (i = 0; i < n; i++)
		len += snprintf(text + len, sizeof(text) - len, "a %u %llu\n", i,
				(unsigned long long)arena);
	for (i = 0; i < n; i++)
		len += snprintf(text + len, sizeof(text) - len, "f %u\n", i);
	ASSERT_EQ(0, write_file("beyond.trace", text, trace, sizeof(trace)));
	ASSERT_EQ(0, lab_device_init(&dev, self->fd, BS_DEVICE));
	if (!dev.quota_is_region) {
		EXPECT_EQ(-1, replay(self->fd, trace, "buddy", &run, NULL));
		return;
	}
	ASSERT_EQ(0, replay(self->fd, trace, "buddy", &run, NULL));
	EXPECT_EQ(1, run.res[0].failures);
	EXPECT_EQ(1, run.res[0].skipped_frees);
	EXPECT_EQ(2 * n, run.res[0].ops);
	EXPECT_EQ(2 * n - 1, run.res[0].dev_ops);
	EXPECT_EQ(self->info.region_bytes, run.res[0].peak_live);
	EXPECT_EQ(self->info.region_bytes / self->info.page_size,
		  run.res[0].peak_footprint);
}

/* The CSV: its header, its columns, and the worked figures in its last row. */
TEST_F(dev, csv_header_and_columns)
{
	static const char *const keys[] = {
		"# trace: ", "# format: native\n", "# source: lab_test\n",
		"# trace_seed: 42\n", "# region_bytes: ", "# page_size: 4096\n",
		"# kernel: ", "# module_abi: ", "# buddyslabctl_abi: ", "# date: ",
		"# strategy: fit:first\n", "# sample_every: 1\n",
	};
	char trace[PATH_MAX], csv[PATH_MAX], args[3 * PATH_MAX];
	char buf[8192], *row;
	unsigned int i;

	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));
	snprintf(csv, sizeof(csv), "%s/worked.csv", lab_dir());
	snprintf(args, sizeof(args), "replay %s --allocator fit:first --csv %s",
		 trace, csv);
	ASSERT_EQ(0, client(args, out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_LT(0, bs_read_file(csv, buf, sizeof(buf)));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		EXPECT_NE(NULL, strstr(buf, keys[i])) TH_LOG("no key %u in %s", i, buf);
	row = strstr(buf, "\nops,live_requested,live_granted,footprint_pages,held_pages,free_bytes,largest_free,extfrag,unusable_index,failures,ns_per_op\n");
	ASSERT_NE(NULL, row);
	/* One row per operation (every 1 of 4), the worked ones. */
	EXPECT_NE(NULL, strstr(row, "\n1,100,112,1,1024,"));
	EXPECT_NE(NULL, strstr(row, "\n2,5100,5120,2,1024,4189184,4189184,0,0,0,"));
	EXPECT_NE(NULL, strstr(row, "\n3,5000,5008,2,1024,"));
	EXPECT_NE(NULL, strstr(row, "\n4,5016,5024,2,1024,4189280,4189184,1,0,0,"))
		TH_LOG("%s", row);
}

/* Every strategy the module has, side by side, with J&W's figures. */
TEST_F(dev, compare_every_strategy)
{
	const struct lab_strategy *s;
	char trace[PATH_MAX], args[PATH_MAX + 64], name[64];

	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));
	snprintf(args, sizeof(args), "compare %s", trace);
	ASSERT_EQ(0, client(args, out, sizeof(out))) TH_LOG("%s", out);
	for (s = lab_strategies; s->name; s++) {
		snprintf(name, sizeof(name), "\n%s%s ", s->name, s->note ? "*" : "");
		if (self->info.abi_version >= s->min_abi) {
			EXPECT_NE(NULL, strstr(out, name)) TH_LOG("no row %s", s->name);
		}
	}
	EXPECT_NE(NULL, strstr(out, "    60.6%      0.4%")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "   140.9%    140.9%"));

	snprintf(args, sizeof(args), "compare %s --json", trace);
	ASSERT_EQ(0, client(args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "{\"meta\": {\"trace\": ", 19));
	EXPECT_NE(NULL, strstr(out, "\"trace_seed\": \"42\""));
	EXPECT_NE(NULL, strstr(out, "\"strategy\": \"fit:first\", \"note\": null, \"ops\": 4, \"device_ops\": 4, \"failures\": 0, \"skipped_frees\": 0, \"peak_live_bytes\": 5100, \"granted_at_peak_live\": 5120, \"peak_footprint_pages\": 2, \"peak_footprint_bytes\": 8192, \"frag_at_peak_pct\": 60.627, \"internal_frag_pct\": 0.392, \"extfrag_at_peak\": 0, "))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"peak_live_bytes\": 5100, \"granted_at_peak_live\": 12288, \"peak_footprint_pages\": 3, \"peak_footprint_bytes\": 12288, \"frag_at_peak_pct\": 140.941, \"internal_frag_pct\": 140.941, "));
	if (self->info.abi_version < 2) {
		EXPECT_NE(NULL, strstr(out, "\"not_replayed\": [\"bytebuddy\", \"genpool:first\", \"genpool:best\"]"));
	} else {
		EXPECT_NE(NULL, strstr(out, "\"not_replayed\": []}\n"));
	}
}

/* The page map at the peak: one line an arena, fit's arena in it. */
TEST_F(dev, map_at_the_peak)
{
	char trace[PATH_MAX], map[PATH_MAX], args[3 * PATH_MAX];
	char buf[1 << 14];

	ASSERT_EQ(0, write_file("worked.trace", WORKED_TRACE, trace, sizeof(trace)));
	snprintf(map, sizeof(map), "%s/worked.map", lab_dir());
	snprintf(args, sizeof(args), "replay %s --allocator fit:first --map %s",
		 trace, map);
	ASSERT_EQ(0, client(args, out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_LT(0, bs_read_file(map, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "FFFFFFFF"));
	EXPECT_EQ(NULL, strstr(buf, "S"));
}

/*
 * Robson's adversary on first fit, M = 64 KiB, blocks of 16 to 256 bytes:
 * each phase fills M, keeps one block of every 2^(k+1) window, and the
 * holes it leaves are too small for the next phase's blocks, which take
 * M / 2 = 8 pages of fresh memory: 16 + 4 x 8 = 48 pages, 3.00 x M, which
 * is Robson's 1 + log2(16) / 2.
 */
TEST_F(dev, adversary_on_first_fit)
{
	ASSERT_EQ(0, client("adversary --allocator fit:first --max-live 64K --min 16 --max 256",
			    out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "peak footprint 48 pages, 196608 bytes: 3.00 x M; peak span "))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "M * (1 + log2(n) / 2) = 3.00 x M, n = max / min = 16"));
	EXPECT_EQ(self->info.region_bytes, bs_free_bytes(self->fd));
	EXPECT_EQ(1, client("adversary --allocator fit:first --min 24", out,
			    sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "--min and --max must be powers of two"));
}

TEST_HARNESS_MAIN
