// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: zocctl's command line, built with AddressSanitizer and
 * UndefinedBehaviorSanitizer.  zocctl.c is compiled in whole, its main()
 * renamed; the input is its arguments, separated by NUL bytes.
 *
 * zocctl ends a usage error with exit(): the build wraps exit()
 * (-Wl,--wrap=exit) to come back here.  Its netlink socket is this file's
 * mnl_socket_open(), which fails: a command line that parses ends there,
 * before anything is sent.  Its messages go to /dev/null.
 *
 * Invariants: the exit status is 0 (help), 1 (a command that parsed and
 * then found no kernel) or 2 (a usage error), and 1 only after the socket
 * was asked for; help and usage errors never ask for it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdio.h>

static FILE *fuzz_null;

#undef stdout
#undef stderr
#define stdout fuzz_null
#define stderr fuzz_null
#define main zocctl_main
#include "../../zocctl/zocctl.c"
#undef main

#define FUZZ_MAX_ARGS	32

static jmp_buf fuzz_exit;
static bool fuzz_running;	/* zocctl runs: its exit() comes back */
static int fuzz_status;
static bool fuzz_opened;

void __wrap_exit(int status);
void __real_exit(int status);

/* libFuzzer's own exit() goes on to the real one */
void __wrap_exit(int status)
{
	if (!fuzz_running)
		__real_exit(status);
	fuzz_running = false;
	fuzz_status = status;
	longjmp(fuzz_exit, 1);
}

struct mnl_socket *mnl_socket_open(int bus)
{
	fuzz_opened = true;
	errno = EPROTONOSUPPORT;
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_null = fopen("/dev/null", "we");
	return fuzz_null ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *args[FUZZ_MAX_ARGS + 2] = { "zocctl" };
	int argc = 1;
	size_t i;

	/* a copy that ends in a NUL, split at every NUL */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	args[argc++] = buf;
	for (i = 0; i < size && argc <= FUZZ_MAX_ARGS; i++)
		if (!buf[i] && i + 1 <= size)
			args[argc++] = buf + i + 1;
	if (size && !data[size - 1])
		argc--;		/* a final NUL ends the last word */
	args[argc] = NULL;

	fuzz_opened = false;
	fuzz_running = true;
	if (setjmp(fuzz_exit)) {
		if (fuzz_status != EXIT_USAGE && fuzz_status != 0)
			abort();
		if (fuzz_opened)
			abort();	/* a usage error after asking the kernel */
	} else {
		fuzz_status = zocctl_main(argc, args);
		fuzz_running = false;
		if (fuzz_status == EXIT_KERNEL ? !fuzz_opened : fuzz_status)
			abort();
	}
	free(buf);
	return 0;
}
