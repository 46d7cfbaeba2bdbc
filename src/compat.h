/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab: every difference between the kernels we build for (Linux 6.1
 * and 6.12) lives here, so the rest of the module reads as one kernel's code.
 */
#ifndef _BUDDYSLAB_COMPAT_H
#define _BUDDYSLAB_COMPAT_H

#include <linux/log2.h>
#include <linux/mmzone.h>

/*
 * The largest order alloc_pages() can return: MAX_ORDER - 1 before 6.4,
 * MAX_ORDER from 6.4 and MAX_PAGE_ORDER from 6.8. MAX_ORDER_NR_PAGES, the
 * pages of such a block, has meant the same in all of them.
 */
#define BS_MAX_PAGE_ORDER	const_ilog2(MAX_ORDER_NR_PAGES)

#endif /* _BUDDYSLAB_COMPAT_H */
