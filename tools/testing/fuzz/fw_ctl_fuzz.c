// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: zoc-fw's control port (guest-fw/control.c), the
 * provider's requests to the service VM, built with AddressSanitizer and
 * UndefinedBehaviorSanitizer.  control.c's read(), write(), close() and
 * usleep() are this file's (the Makefile renames them in its object):
 * reads hand it the requests in pieces of the sizes the input asks for,
 * with EAGAIN and EINTR between them, and the end of the port last if the
 * input asks; writes take its replies a part at a time, with EAGAIN and
 * EINTR too, until the other end stops reading if the input asks.  The
 * actions (reload, standby, commands) only record what they are asked;
 * the module name check is modules.c's own.
 *
 * The input: three bytes, then the requests.  The first two give the
 * sizes of the pieces; the third's bits ask for the end of the port
 * (bit 0), failed reads (bit 1), failed writes (bit 2) and a stop of the
 * other end's reading (bit 3).
 *
 * Invariants, checked against a model of the protocol: every line gets
 * exactly one reply line, in order, and nothing else comes; a line of
 * more than FW_CTL_LINE - 1 bytes is answered "error line too long"; any
 * other is read up to its first NUL, and its reply and its one action (or
 * none) are those the model gives for its words; a partial line left when
 * the port ends is dropped, unanswered.  Once the other end stops
 * reading, replies are lost: one lost after its first part closes the
 * port, and nothing is read after it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <sys/types.h>

#include "fw.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FW_MODNAME	56	/* modules.c's: the kernel's MODULE_NAME_LEN */
#define MAX_PIECE	320	/* more than the port's buffer */
#define MAX_PORT_BYTES	4096	/* the port's bytes an input gives */
/*
 * What a line of it can do: an action or a restart or stop, and a reply
 * lost; a line is one byte at least (an empty one is answered too).
 */
#define MAX_ACTIONS	(2 * MAX_PORT_BYTES)
#define PORT_FD		7	/* any number but -1 */

enum action { NONE, RELOAD, RUN, RESTART, STOP, HANDOVER, TAKEOVER, LOST };

/* The port, as the input has it act. */
static struct {
	const uint8_t *data;
	size_t left;
	uint8_t a, b, flags;
	unsigned int reads, writes, waits, stall;
	unsigned int again;	/* EAGAINs since a write took something */
} port;

static struct fw fw;

/* What the requests did, as the recording actions saw it, in order. */
static struct action_done {
	unsigned int line;
	enum action what;
	char arg[FW_CTL_LINE];
} done[MAX_ACTIONS];
static unsigned int nr_done, done_checked;
static unsigned int lines_logged;	/* requests answered so far */

/* The commands of the configuration; "good" exits with status 0. */
static char *const commands[][4] = {
	{ "command", "good", "/bin/true", NULL },
	{ "command", "bad", "/bin/false", "x" },
};

static void record(enum action what, const char *arg)
{
	struct action_done *d = &done[nr_done];

	if (nr_done++ == MAX_ACTIONS)
		abort();
	d->line = lines_logged;
	d->what = what;
	snprintf(d->arg, sizeof(d->arg), "%s", arg ?: "");
}

/*
 * control.c logs each request once it is done with it: a request that
 * set the restart or stop flag is recorded so, and the next one begins.
 */
void fw_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strstr(fmt, "reply lost")) {
		/* not before eleven EAGAINs with nothing taken */
		if (port.writes <= port.stall || port.again < 11)
			abort();
		lines_logged--;
		record(LOST, NULL);
		lines_logged++;
		return;
	}
	if (strncmp(fmt, "control: ", 9))
		return;
	if (fw.restart)
		record(RESTART, NULL);
	if (fw.stop)
		record(STOP, NULL);
	fw.restart = false;
	fw.stop = false;
	lines_logged++;
}

bool fw_exec_output(char **argv, unsigned int timeout, int *status,
		    char *out, size_t len)
{
	record(RUN, argv[0]);
	*status = 0x100;
	snprintf(out, len, "%.*s", (int)(len - 1), argv[0]);
	return !strcmp(argv[0], "/bin/true");
}

void __wrap_fw_reload(struct fw *fw, const char *module, char *reply,
		      size_t len)
{
	record(RELOAD, module);
	snprintf(reply, len, "ok");
}

/* cpus.c's report, which reads the machine's files: a fixed one here */
#define CPUS_REPLY	"ok online 0-1 busy 0:12,1:34"

void fw_cpus_report(char *reply, size_t len)
{
	snprintf(reply, len, CPUS_REPLY);
}

/* mem.c's, likewise */
#define MEM_REPLY	"ok total 393216 free 123456 blocks 3"

void fw_mem_report(char *reply, size_t len)
{
	snprintf(reply, len, MEM_REPLY);
}

void __wrap_fw_set_standby(bool standby, char *reply, size_t len)
{
	record(standby ? HANDOVER : TAKEOVER, NULL);
	snprintf(reply, len, "ok");
}

/* The model's own module name rule. */
static bool modname(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return i && i < FW_MODNAME;
}

#define USAGE_ALL "ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem"
static const char usage[] = "error usage: " USAGE_ALL;

/*
 * The reply and the action the request @line (up to its first NUL, at
 * most FW_CTL_LINE - 1 bytes) must have: @arg is the action's argument.
 */
static const char *model(const char *line, enum action *what, char *arg)
{
	char copy[FW_CTL_LINE], *w[3] = { }, *save;
	static const char *const known[] = {
		"ping", "reload", "run", "restart", "stop", "handover",
		"takeover", "cpus", "mem",
	};
	unsigned int i, n;

	snprintf(copy, sizeof(copy), "%s", line);
	for (n = 0; n < 3; n++) {
		w[n] = strtok_r(n ? NULL : copy, " \t\n\r", &save);
		if (!w[n])
			break;
	}
	*what = NONE;
	arg[0] = '\0';
	if (!n)
		return "error empty request";
	if (n == 1 && !strcmp(w[0], "ping"))
		return "ok";
	if (n == 1 && !strcmp(w[0], "cpus"))
		return CPUS_REPLY;
	if (n == 1 && !strcmp(w[0], "mem"))
		return MEM_REPLY;
	if (n == 2 && !strcmp(w[0], "reload") && modname(w[1])) {
		*what = RELOAD;
		strcpy(arg, w[1]);
		return "ok";
	}
	if (n == 2 && !strcmp(w[0], "run")) {
		for (i = 0; i < ARRAY_SIZE(commands); i++) {
			if (strcmp(w[1], commands[i][1]))
				continue;
			*what = RUN;
			strcpy(arg, commands[i][2]);
			return i ? "error /bin/false failed (status 0x100)" :
				   "ok /bin/true";
		}
		return "error no command of that name";
	}
	if (n == 1 && !strcmp(w[0], "restart"))
		*what = RESTART;
	else if (n == 1 && !strcmp(w[0], "stop"))
		*what = STOP;
	else if (n == 1 && !strcmp(w[0], "handover"))
		*what = HANDOVER;
	else if (n == 1 && !strcmp(w[0], "takeover"))
		*what = TAKEOVER;
	if (*what != NONE)
		return "ok";
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(w[0], known[i]))
			return usage;
	return "error unknown request";
}

static char replies[64 * 1024];		/* written, not yet checked */
static size_t nr_replies;

ssize_t fuzz_read(int fd, void *buf, size_t count)
{
	unsigned int i = port.reads++;
	size_t n = 1 + (port.a + i * port.b) % MAX_PIECE;

	if (fd != PORT_FD || !count)
		abort();
	if (port.flags & 2 && i % 5 == 3) {
		errno = i & 8 ? EINTR : EAGAIN;
		return -1;
	}
	n = n < count ? n : count;
	n = n < port.left ? n : port.left;
	memcpy(buf, port.data, n);
	port.data += n;
	port.left -= n;
	return n;
}

ssize_t fuzz_write(int fd, const void *buf, size_t count)
{
	unsigned int i = port.writes++;
	size_t n = 1 + (port.b + i * port.a) % 64;

	if (fd != PORT_FD || !count)
		abort();
	/* the other end stops reading: the replies from then are lost */
	if (i >= port.stall) {
		errno = EAGAIN;
		port.again++;
		return -1;
	}
	/* never ten times in a row, when the reply would be lost */
	if (port.flags & 4 && i % 3 == 1) {
		errno = i & 4 ? EINTR : EAGAIN;
		port.again += errno == EAGAIN;
		return -1;
	}
	port.again = 0;
	n = n < count ? n : count;
	if (n > sizeof(replies) - nr_replies)
		abort();
	memcpy(replies + nr_replies, buf, n);
	nr_replies += n;
	return n;
}

int fuzz_close(int fd)
{
	if (fd != PORT_FD)
		abort();
	return 0;
}

int fuzz_usleep(useconds_t usec)
{
	port.waits++;
	return 0;
}

static void fw_setup(void)
{
	fw.ctl.fd = PORT_FD;
	fw.ctl.port = "fuzz";
}

static void fw_teardown(void)
{
	unsigned int i;
	int j;

	for (i = 0; i < fw.nr_commands; i++)
		for (j = 0; fw.commands[i].argv[j]; j++)
			free(fw.commands[i].argv[j]);
	memset(&fw, 0, sizeof(fw));
	nr_done = 0;
	done_checked = 0;
	lines_logged = 0;
	nr_replies = 0;
}

/*
 * Line @index of the requests was answered: it must have done @what
 * (@arg) alone, and its reply, first in replies[], must be @want; or, if
 * the reply was lost, a first part of it that closed the port, or none.
 */
static void expect(unsigned int index, const char *want, enum action what,
		   const char *arg)
{
	struct action_done *d = &done[done_checked];
	bool lost, closed = fw.ctl.fd < 0;
	size_t len = strlen(want);

	if (what != NONE) {
		if (done_checked == nr_done || d->line != index ||
		    d->what != what || strcmp(d->arg, arg))
			abort();
		d++;
		done_checked++;
	}
	lost = done_checked < nr_done && d->line == index && d->what == LOST;
	if (lost) {
		d++;
		done_checked++;
		/* what went out of it, up to the end of what came */
		len = nr_replies;
		if (len > strlen(want) || memcmp(replies, want, len) ||
		    closed != !!len)
			abort();
	} else if (nr_replies < len + 1 || memcmp(replies, want, len) ||
		   replies[len++] != '\n') {
		abort();
	}
	nr_replies -= len;
	memmove(replies, replies + len, nr_replies);
	if (done_checked < nr_done && d->line <= index)
		abort();
}

/* The requests of @data (@size bytes) answered and not checked yet. */
static void check(const uint8_t *data, size_t size, const uint8_t **line,
		  unsigned int *index)
{
	const uint8_t *stop = data + size, *nl, *end;
	char arg[FW_CTL_LINE], req[FW_CTL_LINE];
	const char *want;
	enum action what;

	while (*index < lines_logged) {
		nl = memchr(*line, '\n', stop - *line);
		if (!nl)
			abort();
		if (nl - *line > FW_CTL_LINE - 1) {
			expect(*index, "error line too long", NONE, "");
		} else {
			end = memchr(*line, '\0', nl - *line) ?: nl;
			memcpy(req, *line, end - *line);
			req[end - *line] = '\0';
			want = model(req, &what, arg);
			expect(*index, want, what, arg);
		}
		*line = nl + 1;
		++*index;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *line;
	unsigned int index = 0, i;

	if (size < 3 || size > 3 + MAX_PORT_BYTES)
		return 0;
	memset(&port, 0, sizeof(port));
	port.a = data[0];
	port.b = data[1];
	port.flags = data[2];
	port.stall = port.flags & 8 ? port.a * 4 + port.b : UINT_MAX;
	port.data = data + 3;
	line = port.data;
	port.left = size - 3;

	fw_setup();
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fw_add_command(&fw, (char **)commands[i], 3 + !!commands[i][3]);
	if (fw.nr_commands != 2 || fw.errors)
		abort();
	/* one read a round, as zoc-fw's loop does, while the port is open */
	while (port.left && fw.ctl.fd >= 0) {
		fw_ctl_ready(&fw, POLLIN);
		check(data + 3, size - 3, &line, &index);
	}
	if (port.flags & 1 && fw.ctl.fd >= 0) {
		while (port.flags & 2 && port.reads % 5 == 3)
			fw_ctl_ready(&fw, POLLIN);
		fw_ctl_ready(&fw, POLLIN | POLLHUP);
		if (fw.ctl.len || fw.ctl.overlong)
			abort();
	}
	check(data + 3, size - 3, &line, &index);
	/* Every whole line answered, unless the port closed; nothing more */
	if ((fw.ctl.fd >= 0 && memchr(line, '\n', data + size - line)) ||
	    nr_replies || done_checked != nr_done || index != lines_logged)
		abort();
	fw_teardown();
	return 0;
}
