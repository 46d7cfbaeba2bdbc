// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab fault injection: every step of the module that can fail for
 * want of memory asks bs_fault() first, and fails as if out of memory when
 * it says so. These are the allocations of kernel memory the module makes
 * and the buddy allocator's own allocations, so that every error path,
 * down to the one a full region takes, can be made to run on demand.
 *
 * bs_fault() is the kernel's should_fail() on one fault attribute of the
 * module's. Built without CONFIG_FAULT_INJECTION (Debian's stock kernels),
 * it is a constant false and costs nothing. With it:
 *
 * - a task that sets its fail-nth (/proc/thread-self/fail-nth, or
 *   current->fail_nth in a KUnit case) fails its nth fault point, counting
 *   the kernel's own (failslab, fail_page_alloc) as well as these: the
 *   tests fail each step of an operation in turn;
 * - with CONFIG_FAULT_INJECTION_DEBUG_FS, the attribute is the directory
 *   fail/ in buddyslab's debugfs (probability, interval, times, ...), for
 *   random failures under a long run.
 */
#include <linux/debugfs.h>

#include "fault.h"

/* The module's fault attribute; its fields are the fault-inject core's. */
DECLARE_FAULT_ATTR(bs_fault_attr);

/**
 * bs_fault() - whether this step should fail, as if out of memory
 *
 * Return: true if a fault is injected here.
 */
bool bs_fault(void)
{
	return should_fail(&bs_fault_attr, 1);
}

/**
 * bs_fault_debugfs_init() - publish the fault attribute in debugfs
 * @parent:	buddyslab's debugfs directory
 *
 * Without CONFIG_FAULT_INJECTION_DEBUG_FS there is nothing to publish.
 */
void bs_fault_debugfs_init(struct dentry *parent)
{
	if (IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		fault_create_debugfs_attr("fail", parent, &bs_fault_attr);
}
