/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslabctl's debugfs views: printed as the module writes them, or as
 * JSON (view.c).
 */
#ifndef BUDDYSLABCTL_VIEW_H
#define BUDDYSLABCTL_VIEW_H

#include <stdbool.h>

/* Where the module's debugfs views are. */
#define VIEW_DIR	"/sys/kernel/debug/buddyslab"

bool view_has_json(const char *name);
int view_print(const char *name, bool json);
void view_fail(const char *path, int err);

#endif /* BUDDYSLABCTL_VIEW_H */
