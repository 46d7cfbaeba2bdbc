// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab benchmarks as a module of their own, for kernels without KUnit
 * such as Debian's stock one: loading it runs every part of the benchmark
 * (bench_core.c), which prints to the kernel log, and fails with the first
 * error of a part that could not be measured, after running the others.
 * Built instead of buddyslab.ko when BUDDYSLAB_BENCH_MODULE=1 (Kbuild); it
 * registers nothing, so it is unloaded at once (scripts/vm.sh bench).
 */
#define pr_fmt(fmt) "buddyslab bench: " fmt

#include <linux/module.h>

#include "bench.h"

static int __init bs_bench_module_init(void)
{
	unsigned int i;
	int ret = 0, err;

	for (i = 0; i < bs_bench_nr_parts; i++) {
		err = bs_bench_parts[i].run();
		if (err) {
			pr_err("%s: could not be measured: %d\n",
			       bs_bench_parts[i].name, err);
			ret = ret ?: err;
		}
	}
	return ret;
}

static void __exit bs_bench_module_exit(void)
{
}

module_init(bs_bench_module_init);
module_exit(bs_bench_module_exit);

MODULE_DESCRIPTION("buddyslab's allocators timed against the kernel's own");
MODULE_AUTHOR("The buddyslab developers");
MODULE_LICENSE("GPL");
