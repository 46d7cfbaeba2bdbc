// SPDX-License-Identifier: GPL-2.0
/*
 * buddyslab per-CPU calls. The per-CPU caches (the buddy's page caches, the
 * slab's magazines) are guarded by a local_lock: on the fast path a CPU
 * takes no locked instruction, only preemption off, so no other CPU may
 * touch its cache at the same time. Whatever must reach every cache
 * (draining them, checking them) therefore runs on each CPU in turn, in
 * process context there, where it takes that CPU's local_lock as the CPU's
 * own tasks do: the way the kernel drains its per-CPU page lists and SLUB
 * flushes its per-CPU slabs.
 */
#include <linux/cpu.h>
#include <linux/workqueue.h>

#include "cpu.h"

struct bs_cpu_call {
	void (*fn)(void *arg, unsigned int cpu);
	void *arg;
	unsigned int cpu;
};

static long bs_cpu_call_fn(void *data)
{
	struct bs_cpu_call *call = data;

	call->fn(call->arg, call->cpu);
	return 0;
}

/**
 * bs_cpu_each() - run a function on behalf of every possible CPU
 * @fn:		called once for each CPU, with @arg and the CPU's number
 * @arg:	passed to @fn
 *
 * For an online CPU, @fn runs on that CPU, in a kworker bound to it: it
 * may take the CPU's local_lock and use its per-CPU data as the CPU's own
 * tasks do, between their critical sections, never inside one. For an
 * offline CPU, @fn runs here, on the caller's CPU, while no task runs on
 * the offline one: it must then find that CPU's data with per_cpu_ptr(),
 * which is right in both cases. CPUs stay online or offline until the end
 * (cpus_read_lock()). One CPU at a time, in order.
 *
 * Context: process context; sleeps. The caller holds no local_lock and no
 * spinlock, nor any lock @fn takes.
 */
void bs_cpu_each(void (*fn)(void *arg, unsigned int cpu), void *arg)
{
	struct bs_cpu_call call = { .fn = fn, .arg = arg };
	unsigned int cpu;

	might_sleep();

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		call.cpu = cpu;
		if (cpu_online(cpu))
			work_on_cpu(cpu, bs_cpu_call_fn, &call);
		else
			fn(arg, cpu);
	}
	cpus_read_unlock();
}
