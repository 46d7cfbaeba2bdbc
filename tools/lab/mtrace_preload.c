// SPDX-License-Identifier: GPL-2.0
/*
 * mtrace_preload.so: record any program's malloc, calloc, realloc and free
 * with glibc's mtrace, without changing the program.
 *
 * glibc logs only after the program has called mtrace(), and since glibc
 * 2.34 only when libc_malloc_debug.so is preloaded: this object's
 * constructor makes that call for the program.
 *
 *   LD_PRELOAD="/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0 \
 *               mtrace_preload.so" MALLOC_TRACE=/tmp/prog.mtrace PROGRAM...
 *
 * writes /tmp/prog.mtrace.<pid>, one log per process: a compiler driver
 * and the cc1, as and ld it starts would otherwise all open, truncate and
 * interleave one file. MALLOC_TRACE is changed only while mtrace() opens
 * its file, so every child sees the name it was given, not its parent's
 * log. Without MALLOC_TRACE it does nothing, as mtrace() would.
 *
 * Built as a shared object (scripts/lab.sh does it), not statically as the
 * other tools are: it only lives inside other programs.
 */
#define _GNU_SOURCE	/* environ, from unistd.h */
#include <limits.h>
#include <mcheck.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TRACE_VAR	"MALLOC_TRACE="

/*
 * The environment's MALLOC_TRACE entry is pointed at this process's name
 * for the length of the mtrace() call, then back: no allocation is made,
 * so the log starts with the program's own.
 */
__attribute__((constructor))
static void mtrace_preload_start(void)
{
	static char entry[sizeof(TRACE_VAR) + PATH_MAX];
	char **env, *base;
	int len;

	for (env = environ; env && *env; env++)
		if (!strncmp(*env, TRACE_VAR, strlen(TRACE_VAR)))
			break;
	if (!env || !*env || !(*env)[strlen(TRACE_VAR)])
		return;
	base = *env;
	len = snprintf(entry, sizeof(entry), "%s.%d", base, (int)getpid());
	if (len < 0 || (size_t)len >= sizeof(entry))
		return;
	*env = entry;
	mtrace();
	*env = base;
}
