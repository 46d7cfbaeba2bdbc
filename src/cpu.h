/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab per-CPU calls: bs_cpu_each() runs a function on behalf of
 * every CPU, on that CPU (cpu.c).
 */
#ifndef _BUDDYSLAB_CPU_H
#define _BUDDYSLAB_CPU_H

void bs_cpu_each(void (*fn)(void *arg, unsigned int cpu), void *arg);

#endif /* _BUDDYSLAB_CPU_H */
