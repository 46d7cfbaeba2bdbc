# SPDX-License-Identifier: GPL-2.0
#
# buddyslab: the human interface. Kbuild (not this file) describes the module
# to the kernel's build system.
#
#   make                   build buddyslab.ko for the running kernel
#   make KDIR=<dir>        ... or for the kernel whose build tree is <dir>
#   make tools             buddyslabctl and the selftests
#   make check             every test: checkpatch, the three KUnit venues, the
#                          VM selftests on the debug kernel, 6.12 and 6.1
#   make kunit             KUnit suites in UML (KASAN, lockdep)
#   make kunit-smp         KUnit suites on x86_64 in QEMU, 2 CPUs (KASAN, lockdep, UBSAN)
#   make kunit-kcsan       the concurrency suite on x86_64 in QEMU, 2 CPUs (KCSAN, lockdep)
#   make vm-debug          selftests in QEMU on a 6.12 kernel built with KASAN, lockdep, UBSAN
#   make vm-test           selftests in QEMU on Debian's 6.12 and 6.1 kernels
#   make fuzz [SECONDS=n] [SEED=n]
#                          the fuzzer alone in the debug VM, n seconds (300)
#   make demo              a short buddyslabctl session in a 6.12 VM
#   make shell [SERIES=6.12|6.1|debug] [ARGS="region_mb=64 slab_debug=1"]
#                          a shell on this terminal in a VM with the module
#                          loaded (with ARGS), buddyslabctl and the selftests
#   make bench             buddyslab against the kernel's allocators: UML, x86_64
#                          KUnit in QEMU with 2 CPUs, Debian's 6.12 VM (docs/benchmarks.md)
#   make lab [OUT=dir] [SEED=n]
#                          the allocator laboratory (docs/laboratory.md): records
#                          real programs' allocations with glibc's mtrace and the
#                          kernel's with ftrace in a 6.12 VM, replays them and
#                          generated traces on every strategy; tables, CSVs and
#                          PNGs with an index in OUT (lab-out/), ~15 min
#   make install [INSTALL_MOD_PATH=root]
#                          install the module for KDIR's kernel (into root if
#                          given) and run depmod for that kernel and root
#   make dkms-install      the module's sources into /usr/src/buddyslab-VERSION,
#                          then dkms add, build and install it for every kernel
#                          with headers (scripts/dkms.sh)
#   make clean
#
# scripts/deps.sh installs what all of this needs (Debian 12, apt).

KDIR ?= /lib/modules/$(shell uname -r)/build

all: module

module:
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR):" \
		"install the headers of the running kernel or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The release of the kernel KDIR builds for, e.g. 6.12.117+deb12-amd64, as
# its uname -r says it (Debian's 6.1 headers have another kernel.release).
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	     $(KDIR)/include/generated/utsrelease.h)
INSTALL_MOD_PATH ?=

# Unsigned: kbuild's signing wants the kernel's own key, which only the
# kernel's builder has (DKMS signs with the machine's key).
install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		CONFIG_MODULE_SIG_ALL= modules_install
	PATH=/usr/sbin:/sbin:$$PATH depmod -b "$(or $(INSTALL_MOD_PATH),/)" $(KRELEASE)

dkms-install:
	scripts/dkms.sh install

tools:
	$(MAKE) -C tools

check:
	scripts/check.sh

kunit:
	scripts/kunit.sh uml

kunit-smp:
	scripts/kunit.sh smp

kunit-kcsan:
	scripts/kunit.sh kcsan

vm-debug:
	scripts/vm.sh test debug

vm-test:
	scripts/vm.sh test 6.12
	scripts/vm.sh test 6.1

SECONDS ?= 300
SEED ?=

fuzz:
	BUDDYSLAB_FUZZ_SECONDS=$(SECONDS) BUDDYSLAB_FUZZ_SEED=$(SEED) scripts/vm.sh fuzz debug

demo:
	@scripts/vm.sh demo 6.12

SERIES ?= 6.12
ARGS ?=

shell:
	@BUDDYSLAB_ARGS="$(ARGS)" scripts/vm.sh shell $(SERIES)

bench:
	scripts/bench.sh

OUT ?= lab-out

lab:
	OUT="$(OUT)" SEED="$(or $(SEED),1)" scripts/lab.sh

clean:
	rm -rf src/*.o src/.*.cmd kunit/*.o kunit/.*.cmd *.o .*.cmd *.ko *.mod \
		*.mod.c *.mod.o modules.order Module.symvers .tmp_versions
	$(MAKE) -C tools clean

.PHONY: all module install tools check kunit kunit-smp kunit-kcsan vm-debug vm-test fuzz shell \
	dkms-install \
	demo bench lab clean
