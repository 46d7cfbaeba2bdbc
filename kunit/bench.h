/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddyslab benchmark: the parts of the benchmark (bench_core.c), for its
 * two front-ends: the KUnit suite (bench.c) and the module that runs them
 * at load (bench_module.c), for kernels without KUnit.
 */
#ifndef _BUDDYSLAB_BENCH_H
#define _BUDDYSLAB_BENCH_H

/**
 * struct bs_bench_part - one part of the benchmark
 * @name:	what it measures, one word
 * @run:	measures and prints its table; returns 0, or a negative errno
 *		when something it needed could not be had
 */
struct bs_bench_part {
	const char *name;
	int (*run)(void);
};

extern const struct bs_bench_part bs_bench_parts[];
extern const unsigned int bs_bench_nr_parts;

#endif /* _BUDDYSLAB_BENCH_H */
