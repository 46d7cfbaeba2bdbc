// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the limits of /dev/buddyslab, run while the module is not
 * loaded: each test loads it with the parameters it needs.
 *
 * - max_caches: the caches all files together may have (ENOSPC beyond),
 *   besides the 64 of one file (EDQUOT);
 * - max_bytes_per_user and max_allocs_per_user: what all the files of one
 *   user hold together (EDQUOT beyond); files opened with CAP_SYS_ADMIN are
 *   exempt from them, not from max_bytes_per_file;
 * - a client's cache charges its slabs, not its objects;
 * - the kernel memory taken for a client is charged to its memory cgroup.
 * (The values of the limits that the load refuses are module_test's.)
 *
 * The files are opened and used by child processes, the parent's hands: as
 * root, and in the "user" variants as nobody (65534), which they become
 * once the module is loaded with dev_mode=0666. The parent checks what
 * they get, and that a refused request changes nothing: debugfs stats,
 * slabinfo and users read the same before and after it.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "buddyslab_util.h"

#define NOBODY		65534
#define KIDS		2	/* processes using the device at once */
#define KID_FILES	32	/* files one of them may have open */
#define MiB		(1ULL << 20)
#define PAGE		4096ULL

/* ---- The parent's hands: child processes that run its commands ---- */

enum kid_op {
	KID_OPEN,	/* -> file index */
	KID_CLOSE,	/* file */
	KID_CACHE,	/* file, object size -> cache id */
	KID_DESTROY,	/* file, cache id */
	KID_ALLOC,	/* file, allocator, size, cache id, policy -> handle, granted */
	KID_FREE,	/* file, handle */
	KID_BATCH,	/* file, count, allocator, size, cache id -> nr_done */
	KID_EXIT,
};

struct kid_cmd {
	int op;
	int file;
	uint64_t arg[4];
};

struct kid_reply {
	int ret;		/* 0 (or the index or id asked for) or -errno */
	uint64_t out[2];
};

static int kid_batch(int fd, const struct kid_cmd *c, struct kid_reply *r)
{
	struct buddyslab_batch_op ops[BUDDYSLAB_BATCH_MAX];
	struct buddyslab_batch batch = { .ops = (uintptr_t)ops };
	unsigned int i;
	int ret;

	if (!c->arg[0] || c->arg[0] > BUDDYSLAB_BATCH_MAX)
		return -E2BIG;
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < c->arg[0]; i++) {
		ops[i].op = BUDDYSLAB_BATCH_ALLOC;
		ops[i].alloc.allocator = c->arg[1];
		ops[i].alloc.size = c->arg[2];
		ops[i].alloc.cache_id = c->arg[3];
	}
	batch.nr_ops = c->arg[0];
	ret = bs_ioctl(fd, BUDDYSLAB_IOC_BATCH, &batch);
	r->out[0] = batch.nr_done;
	/* What the operation that failed says must be what the batch says. */
	if (ret && batch.nr_done < batch.nr_ops)
		r->out[1] = -ops[batch.nr_done].result;
	return ret;
}

/* The files a child has opened, by index: a closed one is -1. */
struct kid_files {
	int fd[KID_FILES];
	int nr;
};

static int kid_open_file(struct kid_files *files)
{
	int fd;

	if (files->nr == KID_FILES)
		return -EMFILE;
	fd = open(BS_DEVICE, O_RDWR);
	if (fd < 0)
		return -errno;
	files->fd[files->nr] = fd;
	return files->nr++;
}

/* A cache of @object_size bytes, under a name no other child uses: its id. */
static int kid_create_cache(int fd, uint64_t object_size)
{
	static unsigned int seq;
	char name[BUDDYSLAB_CACHE_NAME_LEN];
	uint32_t id;
	int ret;

	snprintf(name, sizeof(name), "lim-%d-%u", getpid(), seq++);
	ret = bs_cache_create(fd, name, object_size, 0, 0, &id);
	return ret ? ret : (int)id;
}

/* Run @c on @files; returns the reply's ret, and fills its out[] too. */
static int kid_run(struct kid_files *files, const struct kid_cmd *c,
		   struct kid_reply *r)
{
	struct buddyslab_alloc req;
	int fd, ret;

	if (c->op == KID_OPEN)
		return kid_open_file(files);
	if (c->file < 0 || c->file >= files->nr || files->fd[c->file] < 0)
		return -EBADF;
	fd = files->fd[c->file];
	switch (c->op) {
	case KID_CLOSE:
		files->fd[c->file] = -1;
		return close(fd) ? -errno : 0;
	case KID_CACHE:
		return kid_create_cache(fd, c->arg[0]);
	case KID_DESTROY:
		return bs_cache_destroy(fd, c->arg[0]);
	case KID_ALLOC:
		ret = bs_alloc(fd, c->arg[0], c->arg[1], c->arg[2], c->arg[3],
			       &req);
		r->out[0] = req.handle;
		r->out[1] = req.granted;
		return ret;
	case KID_FREE:
		return bs_free(fd, c->arg[0]);
	case KID_BATCH:
		return kid_batch(fd, c, r);
	default:
		return -EINVAL;
	}
}

/* Run the parent's commands from @in, answering on @out, until told to exit. */
static void __attribute__((noreturn)) kid_main(int in, int out, bool user)
{
	struct kid_files files = { .nr = 0 };
	struct kid_reply r;
	struct kid_cmd c;

	if (user && (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		     setresuid(NOBODY, NOBODY, NOBODY)))
		_exit(3);
	/* Its charges count slabs: the ones of one CPU, whatever runs it. */
	if (bs_stay_on_cpu0())
		_exit(3);
	for (;;) {
		if (read(in, &c, sizeof(c)) != sizeof(c))
			_exit(2);
		if (c.op == KID_EXIT)
			_exit(0);
		memset(&r, 0, sizeof(r));
		r.ret = kid_run(&files, &c, &r);
		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(2);
	}
}

struct kid {
	pid_t pid;
	int to, from;	/* the parent's ends of the pipes */
};

static void kid_spawn(struct __test_metadata *_metadata, struct kid *kid,
		      bool user)
{
	int down[2], up[2];

	ASSERT_EQ(0, pipe(down));
	ASSERT_EQ(0, pipe(up));
	fflush(NULL);
	kid->pid = fork();
	ASSERT_LE(0, kid->pid);
	if (!kid->pid) {
		close(down[1]);
		close(up[0]);
		kid_main(down[0], up[1], user);
	}
	close(down[0]);
	close(up[1]);
	kid->to = down[1];
	kid->from = up[0];
}

static struct kid_reply kid_do(struct __test_metadata *_metadata,
			       struct kid *kid, int op, int file, uint64_t a0,
			       uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct kid_cmd c = { .op = op, .file = file,
			     .arg = { a0, a1, a2, a3 } };
	struct kid_reply r = { .ret = -EPIPE };

	if (write(kid->to, &c, sizeof(c)) != sizeof(c) ||
	    read(kid->from, &r, sizeof(r)) != sizeof(r)) {
		/* A kid that cannot become nobody says so by its exit. */
		int status = 0;

		waitpid(kid->pid, &status, WNOHANG);
		kid->pid = 0;
		TH_LOG("kid gone, status %#x", status);
		r.ret = -EPIPE;
	}
	return r;
}

static int kid_open(struct __test_metadata *_metadata, struct kid *kid)
{
	struct kid_reply r = kid_do(_metadata, kid, KID_OPEN, 0, 0, 0, 0, 0);

	ASSERT_LE(0, r.ret) TH_LOG("open: %s", strerror(-r.ret));
	return r.ret;
}

/* End a kid: it exits, closing whatever it has open. */
static void kid_exit(struct __test_metadata *_metadata, struct kid *kid)
{
	struct kid_cmd c = { .op = KID_EXIT };
	int status;

	if (!kid->pid)
		return;
	EXPECT_EQ(sizeof(c), write(kid->to, &c, sizeof(c)));
	EXPECT_EQ(kid->pid, waitpid(kid->pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("kid status %#x", status);
	close(kid->to);
	close(kid->from);
	kid->pid = 0;
}

/* OPEN: the index of the kid's new file; the test stops if there is none. */
#define K_OPEN(k)		kid_open(_metadata, &self->kid[k])
#define K_CLOSE(k, f)		kid_do(_metadata, &self->kid[k], KID_CLOSE, f, 0, 0, 0, 0).ret
#define K_CACHE(k, f, size)	kid_do(_metadata, &self->kid[k], KID_CACHE, f, size, 0, 0, 0).ret
#define K_DESTROY(k, f, id)	kid_do(_metadata, &self->kid[k], KID_DESTROY, f, id, 0, 0, 0).ret
#define K_FREE(k, f, handle)	kid_do(_metadata, &self->kid[k], KID_FREE, f, handle, 0, 0, 0).ret
/* ALLOC: the reply, with the handle in out[0] and granted in out[1]. */
#define K_ALLOC(k, f, allocator, size, cache, policy) \
	kid_do(_metadata, &self->kid[k], KID_ALLOC, f, allocator, size, cache, policy)
#define K_BUDDY(k, f, size)	K_ALLOC(k, f, BUDDYSLAB_ALLOC_BUDDY, size, 0, 0).ret
#define K_SLAB(k, f, size)	K_ALLOC(k, f, BUDDYSLAB_ALLOC_SLAB, size, 0, 0).ret
#define K_OBJ(k, f, id, size)	K_ALLOC(k, f, BUDDYSLAB_ALLOC_SLAB, size, id, 0).ret
#define K_FIT(k, f, size)	K_ALLOC(k, f, BUDDYSLAB_ALLOC_FIT, size, 0, BUDDYSLAB_FIT_FIRST).ret
/* BATCH of @n allocations alike: the reply, with nr_done in out[0]. */
#define K_BATCH(k, f, n, allocator, size, cache) \
	kid_do(_metadata, &self->kid[k], KID_BATCH, f, n, allocator, size, cache)
/* A BATCH reply: @done operations done, then one that got @err. */
#define EXPECT_BATCH_STOPPED(r, done, err) do {				\
	EXPECT_EQ(-(err), (r).ret);					\
	EXPECT_EQ(done, (r).out[0]);					\
	EXPECT_EQ(err, (r).out[1]);					\
} while (0)

/* ---- What the parent reads in debugfs ---- */

/* Lines of slabinfo after its two header lines: one per cache. */
static int slabinfo_caches(void)
{
	static char buf[1 << 18];
	int n = 0;
	char *p;

	if (bs_read_file(BS_DEBUGFS "/slabinfo", buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strchr(p, '\n')); p++)
		n++;
	return n - 2;
}

/* Users with a line in debugfs users, -1 if it cannot be read. */
static int users_count(void)
{
	char buf[16384], *line;
	int n = 0;

	if (bs_read_file(BS_DEBUGFS "/users", buf, sizeof(buf)) < 0)
		return -1;
	line = strchr(buf, '\n');
	while (line && *++line) {
		n++;
		line = strchr(line, '\n');
	}
	return n;
}

/* The files and allocations of a user, whatever its bytes. */
#define EXPECT_USER_ALLOCS(uid, nr_files, nr_allocs) do {		\
	struct bs_user __u;						\
									\
	EXPECT_EQ(1, bs_users_get(uid, &__u)) TH_LOG("no line for uid %u", uid); \
	EXPECT_EQ(nr_files, __u.files);					\
	EXPECT_EQ(nr_allocs, __u.allocs);				\
} while (0)

#define EXPECT_USER(uid, nr_files, nr_bytes, nr_allocs) do {		\
	struct bs_user __u;						\
									\
	EXPECT_EQ(1, bs_users_get(uid, &__u)) TH_LOG("no line for uid %u", uid); \
	EXPECT_EQ(nr_files, __u.files);					\
	EXPECT_EQ(nr_bytes, __u.bytes);					\
	EXPECT_EQ(nr_allocs, __u.allocs);				\
} while (0)

/* What a refused request must leave as it was. */
struct snapshot {
	char stats[1 << 18];
	char slabinfo[1 << 18];
	char users[16384];
};

static struct snapshot snap_before, snap_after;

static void snapshot(struct __test_metadata *_metadata, struct snapshot *s)
{
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/stats", s->stats,
				  sizeof(s->stats)));
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/slabinfo", s->slabinfo,
				  sizeof(s->slabinfo)));
	ASSERT_LT(0, bs_read_file(BS_DEBUGFS "/users", s->users,
				  sizeof(s->users)));
}

/* The first line where @a and @b differ, for the log. */
static const char *first_difference(const char *a, const char *b)
{
	const char *line = a;

	for (; *a && *a == *b; a++, b++)
		if (*a == '\n')
			line = a + 1;
	return line;
}

#define EXPECT_UNCHANGED() do {						\
	snapshot(_metadata, &snap_after);				\
	EXPECT_STREQ(snap_before.stats, snap_after.stats)		\
		TH_LOG("stats changed at: %.80s",			\
		       first_difference(snap_before.stats, snap_after.stats)); \
	EXPECT_STREQ(snap_before.slabinfo, snap_after.slabinfo)		\
		TH_LOG("slabinfo changed at: %.80s",			\
		       first_difference(snap_before.slabinfo, snap_after.slabinfo)); \
	EXPECT_STREQ(snap_before.users, snap_after.users)		\
		TH_LOG("users changed at: %.80s",			\
		       first_difference(snap_before.users, snap_after.users)); \
} while (0)

/*
 * Once every file is closed: no user has a line, no cache of a client is
 * left, and every page of the region is free, or in an empty slab of a
 * size class or an empty fit arena, which the buddy takes back when it
 * needs them. (Taking the region whole to make them give back, as the
 * device selftests do, would be over the quotas.)
 */
static void expect_all_back(struct __test_metadata *_metadata)
{
	struct buddyslab_stats stats;
	struct buddyslab_info info;
	uint64_t cached = 0, pages;
	unsigned int i;
	int fd;

	EXPECT_EQ(0, users_count());
	EXPECT_EQ(BUDDYSLAB_SLAB_CLASSES, slabinfo_caches());
	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bs_info(fd, &info));
	ASSERT_EQ(0, bs_stats(fd, &stats));
	close(fd);
	pages = info.region_bytes / info.page_size;
	for (i = 0; i < BUDDYSLAB_SLAB_CLASSES; i++) {
		EXPECT_EQ(0, stats.slab.classes[i].active_objs);
		cached += stats.slab.classes[i].num_slabs *
			  stats.slab.classes[i].pages_per_slab;
	}
	EXPECT_EQ(0, stats.fit.used_bytes);
	cached += stats.fit.arenas * info.arena_bytes / info.page_size;
	EXPECT_EQ(cached, stats.buddy.used_pages);
	EXPECT_EQ(pages, stats.buddy.free_pages + stats.buddy.cached_pages +
			 stats.buddy.used_pages);
}

FIXTURE(lim) {
	struct kid kid[KIDS];
};

FIXTURE_VARIANT(lim) {
	bool user;	/* the kids are nobody, not root */
};

FIXTURE_VARIANT_ADD(lim, root) {
	.user = false,
};

FIXTURE_VARIANT_ADD(lim, user) {
	.user = true,
};

FIXTURE_SETUP(lim)
{
	ASSERT_FALSE(bs_loaded());
}

FIXTURE_TEARDOWN(lim)
{
	unsigned int k;

	for (k = 0; k < KIDS; k++) {
		if (self->kid[k].pid > 0) {
			kill(self->kid[k].pid, SIGKILL);
			waitpid(self->kid[k].pid, NULL, 0);
		}
	}
	if (bs_loaded())
		EXPECT_EQ(0, bs_unload());
}

static void lim_start(struct __test_metadata *_metadata,
		      FIXTURE_DATA(lim) *self,
		      const FIXTURE_VARIANT(lim) *variant, const char *params)
{
	unsigned int k;

	ASSERT_EQ(0, bs_load(params)) TH_LOG("%s", params);
	for (k = 0; k < KIDS; k++)
		kid_spawn(_metadata, &self->kid[k], variant->user);
}

static void lim_end(struct __test_metadata *_metadata, FIXTURE_DATA(lim) *self)
{
	unsigned int k;

	for (k = 0; k < KIDS; k++)
		kid_exit(_metadata, &self->kid[k]);
	expect_all_back(_metadata);
	EXPECT_EQ(0, bs_unload());
}

#define MAX_CACHES	100

/*
 * Files of two processes create caches until max_caches (100) are there,
 * whoever they are: then every file gets ENOSPC, and nothing changes; a
 * file that has 64 gets EDQUOT before that. Each cache destroyed or closed
 * with its file frees its slot.
 */
TEST_F(lim, max_caches)
{
	int a, b, f[10], fresh, id, first = 0, i, n, ret = 0;

	lim_start(_metadata, self, variant, "max_caches=100 dev_mode=0666");

	/* Kid 0: 64 caches in one file, the most one file may have. */
	a = K_OPEN(0);
	for (i = 0; i < 64; i++) {
		id = K_CACHE(0, a, 64 + i);
		ASSERT_LT(0, id) TH_LOG("cache %d: %s", i, strerror(-id));
		if (!i)
			first = id;
	}
	snapshot(_metadata, &snap_before);
	EXPECT_EQ(-EDQUOT, K_CACHE(0, a, 64));
	EXPECT_UNCHANGED();
	b = K_OPEN(0);
	for (i = 0; i < 16; i++)
		ASSERT_LT(0, K_CACHE(0, b, 32));
	EXPECT_EQ(BUDDYSLAB_SLAB_CLASSES + 80, slabinfo_caches());

	/* Kid 1: a flood of files, each creating caches in turn, stops at 100. */
	for (i = 0; i < 10; i++)
		f[i] = K_OPEN(1);
	for (n = 0; n < MAX_CACHES; n++) {
		ret = K_CACHE(1, f[n % 10], 8 * (n + 1));
		if (ret < 0)
			break;
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ(20, n);
	EXPECT_EQ(BUDDYSLAB_SLAB_CLASSES + MAX_CACHES, slabinfo_caches());

	/* Every file, of either process, new or not, is refused alike. */
	fresh = K_OPEN(1);
	snapshot(_metadata, &snap_before);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(-ENOSPC, K_CACHE(1, f[i], 100));
	EXPECT_EQ(-ENOSPC, K_CACHE(1, fresh, 100));
	EXPECT_EQ(-ENOSPC, K_CACHE(0, b, 100));
	EXPECT_UNCHANGED();

	/* One destroyed: one slot, taken by another process's file. */
	EXPECT_EQ(0, K_DESTROY(0, a, first));
	EXPECT_LT(0, K_CACHE(1, fresh, 100));
	EXPECT_EQ(-ENOSPC, K_CACHE(1, fresh, 100));

	/* A file closed with its 16: 16 slots. */
	EXPECT_EQ(0, K_CLOSE(0, b));
	for (n = 0; n < MAX_CACHES; n++) {
		ret = K_CACHE(1, f[n % 10], 24);
		if (ret < 0)
			break;
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ(16, n);

	/* A process gone with its 63: 63 slots. */
	kid_exit(_metadata, &self->kid[0]);
	EXPECT_EQ(BUDDYSLAB_SLAB_CLASSES + MAX_CACHES - 63, slabinfo_caches());
	for (n = 0; n < MAX_CACHES; n++) {
		ret = K_CACHE(1, n < 10 ? f[n] : fresh, 40);
		if (ret < 0)
			break;
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ(63, n);
	EXPECT_EQ(BUDDYSLAB_SLAB_CLASSES + MAX_CACHES, slabinfo_caches());
	lim_end(_metadata, self);
}

/*
 * max_bytes_per_file 4 MiB, max_bytes_per_user 6 MiB: two processes of
 * one user, four files, each under its own quota, hold 6 MiB to the byte
 * and not one byte more, whichever file asks, until one of them lets go.
 * Root's files are not held to 6 MiB, but each is to 4 MiB.
 */
TEST_F(lim, max_bytes_per_user)
{
	const unsigned int uid = variant->user ? NOBODY : 0;
	struct buddyslab_alloc req;
	struct kid_reply r;
	int a1, a2, b1, b2, fd;
	uint64_t last;

	lim_start(_metadata, self, variant,
		  "region_mb=24 max_bytes_per_file=4194304 max_bytes_per_user=6291456 dev_mode=0666");

	a1 = K_OPEN(0);
	a2 = K_OPEN(0);
	b1 = K_OPEN(1);
	b2 = K_OPEN(1);
	EXPECT_USER(uid, 4, 0, 0);

	/* A file holds 4 MiB and no more, root's too. */
	ASSERT_EQ(0, K_BUDDY(0, a1, 4 * MiB));
	snapshot(_metadata, &snap_before);
	EXPECT_EQ(-EDQUOT, K_SLAB(0, a1, 8));
	EXPECT_UNCHANGED();
	ASSERT_EQ(0, K_BUDDY(0, a2, MiB));
	r = K_ALLOC(1, b1, BUDDYSLAB_ALLOC_FIT, MiB - 16, 0, BUDDYSLAB_FIT_FIRST);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(MiB - 16, r.out[1]);
	ASSERT_EQ(0, K_SLAB(1, b1, 8));
	r = K_ALLOC(1, b1, BUDDYSLAB_ALLOC_SLAB, 8, 0, 0);
	ASSERT_EQ(0, r.ret);
	last = r.out[0];
	/* 4 MiB + 1 MiB + (1 MiB - 16) + 8 + 8: the user's 6 MiB exactly. */
	EXPECT_USER(uid, 4, 6 * MiB, 5);

	if (!variant->user) {
		/* Root: on beyond 6 MiB, in each file up to its 4 MiB. */
		EXPECT_EQ(0, K_SLAB(1, b1, 8));
		EXPECT_EQ(0, K_BUDDY(0, a2, 2 * MiB));
		EXPECT_EQ(0, K_BUDDY(1, b2, 4 * MiB));
		EXPECT_USER(uid, 4, 12 * MiB + 8, 8);
		snapshot(_metadata, &snap_before);
		EXPECT_EQ(-EDQUOT, K_SLAB(1, b2, 8));
		EXPECT_EQ(-EDQUOT, K_BUDDY(0, a2, 2 * MiB));
		EXPECT_UNCHANGED();
		lim_end(_metadata, self);
		return;
	}

	/* Not one byte more, from any file of either process, any allocator. */
	snapshot(_metadata, &snap_before);
	EXPECT_EQ(-EDQUOT, K_SLAB(1, b1, 8));
	EXPECT_EQ(-EDQUOT, K_SLAB(1, b2, 1));
	EXPECT_EQ(-EDQUOT, K_SLAB(0, a2, 8));
	EXPECT_EQ(-EDQUOT, K_BUDDY(1, b2, PAGE));
	EXPECT_EQ(-EDQUOT, K_FIT(0, a2, 16));
	r = K_BATCH(1, b2, 1, BUDDYSLAB_ALLOC_SLAB, 8, 0);
	EXPECT_BATCH_STOPPED(r, 0, EDQUOT);
	EXPECT_UNCHANGED();

	/* 8 bytes given back in one process: 8 bytes for the other. */
	EXPECT_EQ(0, K_FREE(1, b1, last));
	EXPECT_USER(uid, 4, 6 * MiB - 8, 4);
	EXPECT_EQ(0, K_SLAB(0, a2, 8));
	EXPECT_EQ(-EDQUOT, K_SLAB(1, b1, 8));
	EXPECT_USER(uid, 4, 6 * MiB, 5);

	/* Another user's files are another matter: root's here. */
	fd = open(BS_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, bs_alloc_buddy(fd, MiB, &req));
	EXPECT_EQ(0, bs_alloc_slab(fd, 8, &req));
	close(fd);

	/* A file closed with its 4 MiB: 4 MiB for the other process. */
	EXPECT_EQ(0, K_CLOSE(0, a1));
	EXPECT_USER(uid, 3, 2 * MiB, 4);
	EXPECT_EQ(0, K_BUDDY(1, b2, 4 * MiB));
	EXPECT_EQ(-EDQUOT, K_SLAB(0, a2, 8));
	EXPECT_USER(uid, 3, 6 * MiB, 5);
	lim_end(_metadata, self);
}

/*
 * max_allocs_per_user 100: the handles of all of a user's files, from
 * every allocator and a cache, in single requests and batches, stop at 100;
 * a batch stops at the 101st. Root's files have no such limit.
 */
TEST_F(lim, max_allocs_per_user)
{
	const unsigned int uid = variant->user ? NOBODY : 0;
	uint64_t handles[10];
	struct kid_reply r;
	int a1, a2, b1, b2, cache, i;

	lim_start(_metadata, self, variant,
		  "max_allocs_per_user=100 dev_mode=0666");
	a1 = K_OPEN(0);
	a2 = K_OPEN(0);
	b1 = K_OPEN(1);

	r = K_BATCH(0, a1, 60, BUDDYSLAB_ALLOC_SLAB, 8, 0);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(60, r.out[0]);
	cache = K_CACHE(0, a2, 48);
	ASSERT_LT(0, cache);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, K_OBJ(0, a2, cache, 48));
		r = K_ALLOC(0, a2, BUDDYSLAB_ALLOC_BUDDY, PAGE, 0, 0);
		ASSERT_EQ(0, r.ret);
		handles[i] = r.out[0];
		ASSERT_EQ(0, K_FIT(0, a2, 100));
	}
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, K_SLAB(1, b1, 16));
	b2 = K_OPEN(1);
	EXPECT_USER_ALLOCS(uid, 4, 100);

	if (!variant->user) {
		r = K_BATCH(1, b2, 50, BUDDYSLAB_ALLOC_SLAB, 8, 0);
		EXPECT_EQ(0, r.ret);
		EXPECT_EQ(50, r.out[0]);
		EXPECT_EQ(0, K_OBJ(0, a2, cache, 48));
		EXPECT_USER_ALLOCS(uid, 4, 151);
		lim_end(_metadata, self);
		return;
	}

	snapshot(_metadata, &snap_before);
	EXPECT_EQ(-EDQUOT, K_SLAB(1, b1, 8));
	EXPECT_EQ(-EDQUOT, K_OBJ(0, a2, cache, 48));
	EXPECT_EQ(-EDQUOT, K_BUDDY(1, b2, PAGE));
	EXPECT_EQ(-EDQUOT, K_FIT(1, b2, 16));
	r = K_BATCH(0, a1, 3, BUDDYSLAB_ALLOC_SLAB, 8, 0);
	EXPECT_BATCH_STOPPED(r, 0, EDQUOT);
	EXPECT_UNCHANGED();

	/* Two handles freed in one process: a batch of 5 in the other does 2. */
	EXPECT_EQ(0, K_FREE(0, a2, handles[0]));
	EXPECT_EQ(0, K_FREE(0, a2, handles[1]));
	r = K_BATCH(1, b2, 5, BUDDYSLAB_ALLOC_SLAB, 8, 0);
	EXPECT_BATCH_STOPPED(r, 2, EDQUOT);
	EXPECT_EQ(-EDQUOT, K_SLAB(1, b1, 8));

	/* A process gone with its 88: 88 more, and not 89. */
	kid_exit(_metadata, &self->kid[0]);
	r = K_BATCH(1, b1, 88, BUDDYSLAB_ALLOC_SLAB, 8, 0);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(88, r.out[0]);
	EXPECT_EQ(-EDQUOT, K_SLAB(1, b2, 8));
	EXPECT_USER_ALLOCS(uid, 2, 100);
	lim_end(_metadata, self);
}

#define CHARGE_OBJECT	100000		/* bytes per object of the cache */
#define CHARGE_QUOTA	(3 * MiB)	/* max_bytes_per_file */

/*
 * Allocate @bytes (a multiple of the page size) in buddy blocks, largest
 * first, and keep their handles; returns how many, or -errno.
 */
static int fill_buddy(struct __test_metadata *_metadata,
		      FIXTURE_DATA(lim) *self, int k, int f, uint64_t bytes,
		      uint64_t *handles, uint64_t *sizes)
{
	uint64_t block = 4 * MiB;
	struct kid_reply r;
	int n = 0;

	for (; bytes && block >= PAGE; block >>= 1) {
		if (!(bytes & block))
			continue;
		r = K_ALLOC(k, f, BUDDYSLAB_ALLOC_BUDDY, block, 0, 0);
		if (r.ret)
			return r.ret;
		handles[n] = r.out[0];
		sizes[n++] = block;
		bytes -= block;
	}
	return bytes ? -EINVAL : n;
}

/*
 * A cache charges its slabs: its first object takes a whole slab's pages
 * (pages_per_slab from slabinfo) against the file's and the user's quota,
 * the objects that fill the slab nothing more, the first beyond it one more
 * slab, and needs room for it even though the object is far smaller.
 * Destroying the cache gives the charge back.
 */
TEST_F(lim, cache_charges_slabs)
{
	const unsigned int uid = variant->user ? NOBODY : 0;
	uint64_t handles[32], sizes[32], objs[65], slab_bytes;
	unsigned int per_slab, pages, i;
	char name[BUDDYSLAB_CACHE_NAME_LEN];
	struct kid_reply r;
	int f, cache, room, n;

	lim_start(_metadata, self, variant,
		  "max_bytes_per_file=3145728 dev_mode=0666");
	f = K_OPEN(0);
	cache = K_CACHE(0, f, CHARGE_OBJECT);
	ASSERT_LT(0, cache);
	snprintf(name, sizeof(name), "lim-%d-0", self->kid[0].pid);
	ASSERT_EQ(0, bs_slabinfo_geometry(name, &per_slab, &pages))
		TH_LOG("no slabinfo line for %s", name);
	slab_bytes = pages * PAGE;
	TH_LOG("%u-byte objects: %u per slab of %u pages", CHARGE_OBJECT,
	       per_slab, pages);
	ASSERT_LT(1, per_slab);
	ASSERT_LE(per_slab, 64);
	ASSERT_GE(CHARGE_QUOTA, 2 * slab_bytes);
	EXPECT_USER(uid, 1, 0, 0);

	/* The first object: a slab's worth; the rest of its slab: nothing. */
	r = K_ALLOC(0, f, BUDDYSLAB_ALLOC_SLAB, CHARGE_OBJECT, cache, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(CHARGE_OBJECT, r.out[1]);
	objs[0] = r.out[0];
	EXPECT_USER(uid, 1, slab_bytes, 1);
	for (i = 1; i < per_slab; i++) {
		r = K_ALLOC(0, f, BUDDYSLAB_ALLOC_SLAB, 1, cache, 0);
		ASSERT_EQ(0, r.ret);
		objs[i] = r.out[0];
	}
	EXPECT_USER(uid, 1, slab_bytes, per_slab);

	/*
	 * The file full to the byte, with blocks of a slab's size first:
	 * no room for the next slab.
	 */
	room = fill_buddy(_metadata, self, 0, f, slab_bytes, handles, sizes);
	ASSERT_LT(0, room);
	n = fill_buddy(_metadata, self, 0, f, CHARGE_QUOTA - 2 * slab_bytes,
		       handles + room, sizes + room);
	ASSERT_LE(0, n);
	EXPECT_USER(uid, 1, CHARGE_QUOTA, per_slab + room + n);
	snapshot(_metadata, &snap_before);
	EXPECT_EQ(-EDQUOT, K_OBJ(0, f, cache, 1));
	EXPECT_EQ(-EDQUOT, K_SLAB(0, f, 8));
	EXPECT_UNCHANGED();

	/* Room for one slab exactly: the next object takes it whole. */
	for (i = 0; i < (unsigned int)room; i++)
		EXPECT_EQ(0, K_FREE(0, f, handles[i]));
	EXPECT_USER(uid, 1, CHARGE_QUOTA - slab_bytes, per_slab + n);
	r = K_ALLOC(0, f, BUDDYSLAB_ALLOC_SLAB, CHARGE_OBJECT, cache, 0);
	ASSERT_EQ(0, r.ret);
	objs[per_slab] = r.out[0];
	EXPECT_USER(uid, 1, CHARGE_QUOTA, per_slab + 1 + n);
	EXPECT_EQ(-EDQUOT, K_SLAB(0, f, 8));

	/* Objects freed, cache destroyed: its slabs are no longer charged. */
	for (i = 0; i <= per_slab; i++)
		EXPECT_EQ(0, K_FREE(0, f, objs[i]));
	EXPECT_EQ(0, K_DESTROY(0, f, cache));
	EXPECT_USER(uid, 1, CHARGE_QUOTA - 2 * slab_bytes, n);
	EXPECT_EQ(0, K_SLAB(0, f, 8));
	lim_end(_metadata, self);
}

/* ---- Memory cgroup ---- */

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_DIR		CG_ROOT "/buddyslab-limits"
#define CG_FILES	4
#define CG_CACHES	(CG_FILES * 64)		/* max_caches' default */
#define CG_ALLOCS	32768

FIXTURE(cg) {
	struct kid kid[1];
	bool mounted;
};

FIXTURE_SETUP(cg)
{
	ASSERT_FALSE(bs_loaded());
}

FIXTURE_TEARDOWN(cg)
{
	if (self->kid[0].pid > 0) {
		kill(self->kid[0].pid, SIGKILL);
		waitpid(self->kid[0].pid, NULL, 0);
	}
	rmdir(CG_DIR);
	if (self->mounted)
		umount(CG_ROOT);
	if (bs_loaded())
		EXPECT_EQ(0, bs_unload());
}

static long long cg_read(const char *file, const char *key)
{
	char path[128], buf[8192], pattern[64], *p;
	long long v;

	snprintf(path, sizeof(path), CG_DIR "/%s", file);
	if (bs_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if (!key)
		return sscanf(buf, "%lld", &v) == 1 ? v : -1;
	snprintf(pattern, sizeof(pattern), "%s ", key);
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, pattern, strlen(pattern)))
			return sscanf(p + strlen(pattern), "%lld", &v) == 1 ? v : -1;
	}
	return -1;
}

/*
 * A process in a memory cgroup of its own creates 256 caches, then makes
 * 32768 allocations: the kernel memory the device takes for them (caches,
 * their magazines and per-CPU parts, allocation records) is charged to the
 * cgroup, and goes when the process closes its files. memory.current moves
 * in batches of 64 pages per CPU, hence the margins.
 */
TEST_F(cg, kernel_memory_charged)
{
	char buf[256], pid[32];
	long long base, cached, full, closed;
	int f[CG_FILES], i, n;
	struct kid_reply r;

	if (mount("none", CG_ROOT, "cgroup2", 0, NULL) == 0)
		self->mounted = true;
	if (bs_read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) < 0 ||
	    !strstr(buf, "memory"))
		SKIP(return, "no cgroup v2 memory controller");
	ASSERT_EQ(0, bs_write_file(CG_ROOT "/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(CG_DIR, 0755));
	ASSERT_EQ(0, bs_load(""));
	kid_spawn(_metadata, &self->kid[0], false);
	snprintf(pid, sizeof(pid), "%d", self->kid[0].pid);
	ASSERT_EQ(0, bs_write_file(CG_DIR "/cgroup.procs", pid));

	for (i = 0; i < CG_FILES; i++)
		f[i] = K_OPEN(0);
	base = cg_read("memory.current", NULL);
	ASSERT_LE(0, base);
	for (i = 0; i < CG_CACHES; i++)
		ASSERT_LT(0, K_CACHE(0, f[i % CG_FILES], 64 + i));
	cached = cg_read("memory.current", NULL);
	for (n = 0; n < CG_ALLOCS; n += BUDDYSLAB_BATCH_MAX) {
		r = K_BATCH(0, f[n / BUDDYSLAB_BATCH_MAX % CG_FILES],
			    BUDDYSLAB_BATCH_MAX, BUDDYSLAB_ALLOC_SLAB, 8, 0);
		ASSERT_EQ(0, r.ret);
	}
	full = cg_read("memory.current", NULL);
	TH_LOG("memory.current %lld KiB, %d caches %lld KiB, %d allocations %lld KiB; slab %lld KiB, percpu %lld KiB",
	       base >> 10, CG_CACHES, cached >> 10, CG_ALLOCS, full >> 10,
	       cg_read("memory.stat", "slab") >> 10,
	       cg_read("memory.stat", "percpu") >> 10);
	/* Each cache takes four magazines of 536 bytes on two CPUs, and more. */
	EXPECT_LE(base + CG_CACHES * 2048, cached);
	/* Each allocation a record of more than 64 bytes. */
	EXPECT_LE(cached + CG_ALLOCS * 64 - (512 << 10), full);

	kid_exit(_metadata, &self->kid[0]);
	for (i = 0; i < 20; i++) {
		closed = cg_read("memory.current", NULL);
		if (closed < full - (full - base) / 2)
			break;
		usleep(100000);
	}
	TH_LOG("memory.current %lld KiB once closed", closed >> 10);
	EXPECT_GT(full - (full - base) / 2, closed);
	expect_all_back(_metadata);
}

TEST_HARNESS_MAIN
