/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab fault injection: bs_fault(), asked by every step that can fail
 * for want of memory, in kernels with CONFIG_FAULT_INJECTION; elsewhere it
 * is false and costs nothing (fault.c).
 */
#ifndef _BUDDYSLAB_FAULT_H
#define _BUDDYSLAB_FAULT_H

#include <linux/fault-inject.h>

struct dentry;

#ifdef CONFIG_FAULT_INJECTION
extern struct fault_attr bs_fault_attr;

bool bs_fault(void);
void bs_fault_debugfs_init(struct dentry *parent);
#else
static inline bool bs_fault(void)
{
	return false;
}

static inline void bs_fault_debugfs_init(struct dentry *parent)
{
}
#endif

#endif /* _BUDDYSLAB_FAULT_H */
