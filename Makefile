# SPDX-License-Identifier: GPL-2.0
#
# ZOC out-of-tree convenience targets.  Everything built goes to $(ZOC_CACHE)
# (default /var/cache/zoc), outside the repository, so that a second run is
# incremental.  "make check" and "make demo" set up a fresh machine first.
#
#   make deps       install what the build and the lab need (apt-get)
#   make kernel     Debian's 6.1 source + patches/ + ZOC in-tree: bzImage
#   make lab        kernel, modules, userspace and selftests for the lab
#   make demo       boot the lab, show the link at work, tear down
#   make check      unit tests, lint, builds, lab selftests: "N passed, N failed"
#   make check-debug the lab selftests on a KASAN/lockdep/UBSAN/KFENCE kernel
#   make lint       checkpatch --strict and sparse
#   make modules    the service VM modules against this machine's kernel headers
#   make unit       the unit tests (kernel source only, no kernel build)
#   make vpc-tests  the VPC datapath with its native tests and benchmarks
#   make bench      benchmarks in the lab (emulated MMIO against plain memory)
#   make vpc        the VPC datapath (BPF programs, loader, show tool)
#   make vpc-bench  benchmarks of the VPC datapath against Linux, natively

ZOC_CACHE ?= /var/cache/zoc
O := $(ZOC_CACHE)/out
KOBJ := $(ZOC_CACHE)/obj
KSRC := $(ZOC_CACHE)/source
KSFT_DIR := $(KSRC)/tools/testing/selftests
KSFT_HARNESS := $(KSFT_DIR)/kselftest_harness.h
export ZOC_CACHE

USER_CFLAGS := -Wall -Wextra -Wno-unused-parameter -O2 -g -Iuapi

# The running kernel's headers, or else Debian's (linux-headers-amd64, as
# "make deps" installs them): a development machine may run a kernel of its
# own.  Evaluated only where used.
DEBIAN_KVER = $(shell apt-cache depends linux-headers-amd64 2>/dev/null | \
	sed -n 's/.*Depends: linux-headers-//p' | head -n1)
KERNEL_HEADERS ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build), \
	/usr/src/linux-headers-$(DEBIAN_KVER))

.PHONY: all deps source kernel modroot userspace unit selftests lab demo bench check \
	check-debug fuzz \
	lint modules vpc vpc-tests vpc-bench clean

all: lab

deps:
	@tools/testing/zoc-deps

# The unpacked and patched kernel source alone: no kernel build.
source:
	@tools/kernel/build.sh source >/dev/null

$(KSFT_HARNESS):
	@tools/kernel/build.sh source >/dev/null

kernel:
	@tools/kernel/build.sh all >/dev/null

modroot: kernel
	@rm -rf $(O)/modroot
	@$(MAKE) -s -C $(KSRC) O=$(KOBJ) INSTALL_MOD_PATH=$(O)/modroot \
		INSTALL_MOD_STRIP=1 modules_install >/dev/null

# Static: the lab's host VM runs it too (bare-metal broker mode).
$(O)/bin/zoc-linkd: tools/zoc-linkd/zoc-linkd.c uapi/linux/zoc_link.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -o $@ $<

FW_SRCS := guest-fw/zoc-fw.c guest-fw/conf.c guest-fw/modules.c \
	guest-fw/hotplug.c guest-fw/neigh.c guest-fw/control.c \
	guest-fw/volume.c guest-fw/fabrics.c guest-fw/rdma.c guest-fw/cpus.c \
	guest-fw/mem.c

$(O)/bin/zoc-fw: $(FW_SRCS) guest-fw/fw.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -o $@ $(FW_SRCS)

# Dynamic: there is no static libmnl.  The lab copies it, and the other
# libraries it needs, into the host VM.
$(O)/bin/zocctl: tools/zocctl/zocctl.c uapi/linux/zoc.h uapi/linux/zoc_link.h \
		drivers/zoc/link/test_wire.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $< -lmnl

# Static: the lab's host VM runs it in the network benchmarks.
$(O)/bin/net_send: tools/testing/bench/net_send.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -o $@ $<

# Static: the lab's service VM runs it in the storage benchmarks.
$(O)/bin/blk_bench: tools/testing/bench/blk_bench.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -o $@ $< -laio

# Static: the lab's host VM runs it in the zero-cost mode benchmark.
$(O)/bin/cpu_work: tools/testing/bench/cpu_work.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -pthread -o $@ $<

userspace: $(O)/bin/zoc-linkd $(O)/bin/zoc-fw $(O)/bin/zocctl $(O)/bin/net_send \
	$(O)/bin/blk_bench $(O)/bin/cpu_work

# Built in the cache: those of another checkout may be newer than our files.
selftests: kernel
	@rm -rf $(O)/ksft
	@[ "$$(cat $(O)/selftests/.checkout 2>/dev/null)" = "$(CURDIR)" ] || \
		rm -rf $(O)/selftests
	@mkdir -p $(O)/ksft/zoc $(O)/selftests
	@echo "$(CURDIR)" >$(O)/selftests/.checkout
	@$(MAKE) -s -C selftests/zoc KSFT_DIR=$(KSFT_DIR) OUTPUT=$(O)/selftests \
		USERLDFLAGS=-static INSTALL_PATH=$(O)/ksft/zoc install
	@cp -r $(KSFT_DIR)/run_kselftest.sh $(KSFT_DIR)/kselftest $(O)/ksft/
	@$(MAKE) -s -C selftests/zoc KSFT_DIR=$(KSFT_DIR) OUTPUT=$(O)/selftests \
		COLLECTION=zoc emit_tests >$(O)/ksft/kselftest-list.txt

lab: kernel modroot userspace selftests vpc

demo: deps lab
	@tools/lab/zoc-lab run demo

check: deps
	@tools/testing/zoc-check

# Slow under TCG: not part of "make check" (Documentation/zoc/building.rst).
check-debug: deps
	@tools/testing/zoc-check-debug

lint: kernel
	@tools/testing/zoc-lint

bench: deps lab
	@tools/lab/zoc-lab run bench

vpc:
	@$(MAKE) -s -C guest-fw/vpc OUTPUT=$(O)/vpc

# The datapath with its native test and benchmark programs.
vpc-tests:
	@$(MAKE) -s -C tools/testing/vpc OUTPUT=$(O)/vpc

vpc-bench: deps
	@tools/testing/vpc/run-bench

# The fuzzers, ZOC_FUZZ_SECS seconds each (make check: 20).
fuzz: deps
	@tools/testing/fuzz/run-fuzz

# Kbuild of 6.1 builds external modules in their source directory: build
# a copy in the cache, so that the repository stays clean.  Sources gone
# from the repository go from the copy; what Kbuild made stays, to build
# again only what changed.
ZOC_KBUILD_OUT := *.o *.ko *.mod *.mod.c .*.cmd *.a modules.order Module.symvers
modules:
	@mkdir -p $(O)/modules
	@rsync -a --delete $(foreach p,$(ZOC_KBUILD_OUT),--filter='P $(p)') \
		Kbuild drivers uapi $(O)/modules/
	$(MAKE) -C $(KERNEL_HEADERS) M=$(O)/modules modules
	@find $(O)/modules -name '*.ko' -printf 'built: %p\n'

clean:
	rm -rf $(O)

# The unit tests use the kselftest harness of the kernel source: fetched and
# unpacked if need be, never a finished kernel build.
unit: $(O)/bin/linkd_test $(O)/bin/ring_test $(O)/bin/pending_test

$(O)/bin/linkd_test: tools/testing/unit/linkd_test.c uapi/linux/zoc_link.h \
		$(KSFT_HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(KSFT_DIR) -o $@ $<

RING_DEPS := drivers/zoc/link/ring.h drivers/zoc/link/ring_compat.h \
	drivers/zoc/link/test_wire.h \
	uapi/linux/zoc_link.h

$(O)/bin/ring_test: tools/testing/unit/ring_test.c $(RING_DEPS) $(KSFT_HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -pthread -I$(KSFT_DIR) -o $@ $<

$(O)/bin/pending_test: tools/testing/unit/pending_test.c \
		drivers/zoc/link/pending.h drivers/zoc/link/ring_compat.h \
		uapi/linux/zoc_link.h $(KSFT_HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I$(KSFT_DIR) -o $@ $<

# Core-to-core figures; then, with valgrind, instructions per message.
ring-bench: $(O)/bin/ring_bench
	@$(O)/bin/ring_bench
	@if command -v valgrind >/dev/null; then \
		valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			$(O)/bin/ring_bench single 1000000 2>&1 | \
			sed -n 's/.*I *refs: *//p' | tr -d , | \
			awk '{ printf "single thread, produce and consume: %.1f instructions per message (callgrind)\n", $$1 / 1000000 }'; \
	fi

$(O)/bin/ring_bench: tools/testing/bench/ring_bench.c $(RING_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $<

.PHONY: ring-bench
