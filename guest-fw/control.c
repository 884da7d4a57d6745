// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: the control port.
 *
 * Requests come on a virtio-serial port (found by its name in
 * /sys/class/virtio-ports, opened as /dev/vportNpM) or, given by an
 * absolute path, a character device.  Each request is a line of at most
 * 255 characters and gets one reply line, "ok" or "error TEXT":
 *
 *	ping		ok
 *	reload MODULE	unload MODULE and every loaded module that depends on
 *			it, then load them again (modules.c)
 *	run NAME	run the program of the configuration's "command NAME"
 *			to its end (FW_COMMAND_TIMEOUT at most): "ok" if it
 *			exited with status 0, and the last line it wrote
 *			on its standard output if any
 *	restart		ok, then reboot the machine as on SIGTERM, but with a
 *			reboot rather than a power-off (zoc-fw.c)
 *	handover	hand the links over to a standby service VM: the
 *			models detach, their states saved, and the links
 *			are left; this one stands by (modules.c)
 *	stop		ok, then hand the links over and power the machine
 *			off as on SIGUSR2 (zoc-fw.c)
 *	takeover	a standby service VM takes its links at once, from
 *			a service VM known dead (modules.c)
 *	cpus		"ok online LIST busy CPU:TICKS,...": the CPUs online
 *			and their busy clock ticks so far (cpus.c)
 *
 * Requests run to their end one at a time, between supervision rounds, as
 * hooks do.  A port that is missing, or whose other end is not connected,
 * is tried again every second; a partial request is dropped when the other
 * end goes.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fw.h"

#define FW_PORTS		"/sys/class/virtio-ports"
#define FW_CTL_RETRY		1	/* seconds between tries of the port */

/*
 * The device of the virtio-serial port called @name, "/dev/vportNpM",
 * into @dev.  Return: 0 or -ENOENT.
 */
static int fw_port_find(const char *name, char *dev, size_t len)
{
	char path[PATH_MAX], line[128];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *dir;
	FILE *f;

	dir = opendir(FW_PORTS);
	while (dir && ret && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), FW_PORTS "/%s/name", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (!strcmp(line, name) &&
			    snprintf(dev, len, "/dev/%s", de->d_name) < (int)len)
				ret = 0;
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* Open the control port; if it cannot be, try again in a while. */
static void fw_ctl_open(struct fw_control *c)
{
	char dev[PATH_MAX];
	struct termios t;
	int ret = 0;

	if (c->port[0] != '/')
		ret = fw_port_find(c->port, dev, sizeof(dev));
	else if (snprintf(dev, sizeof(dev), "%s", c->port) >= (int)sizeof(dev))
		ret = -ENAMETOOLONG;
	if (!ret) {
		c->fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		ret = c->fd < 0 ? -errno : 0;
	}
	if (ret) {
		if (!c->missing)
			fw_log("control %s: %s, trying again every %us", c->port,
			       c->port[0] != '/' && ret == -ENOENT ?
			       "no such port" : strerror(-ret), FW_CTL_RETRY);
		c->missing = true;
		c->quiet_until = fw_now() + FW_CTL_RETRY;
		return;
	}
	/* a terminal passes the lines through as they are */
	if (isatty(c->fd) && !tcgetattr(c->fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(c->fd, TCSANOW, &t);
	}
	c->missing = false;
	c->overlong = false;
	c->len = 0;
	fw_log("control %s: %s", c->port, dev);
}

static void fw_ctl_close(struct fw_control *c)
{
	close(c->fd);
	c->fd = -1;
	c->overlong = false;
	c->len = 0;
	c->quiet_until = fw_now() + FW_CTL_RETRY;
}

/* The control port to poll, opened if need be; or -1. */
int fw_ctl_fd(struct fw_control *c)
{
	if (!c->port || fw_now() < c->quiet_until)
		return -1;
	if (c->fd < 0)
		fw_ctl_open(c);
	return c->fd;
}

/*
 * Send the reply line @reply.  The port may be full, or not know yet of
 * the peer whose request came (virtio-serial tells of it apart from the
 * data): try again while it takes something at least once a second.  A
 * reply that cannot be sent whole closes the port, so that the next one
 * does not go out glued to its first part.
 */
static void fw_ctl_reply(struct fw_control *c, const char *reply)
{
	unsigned int waits = 0;
	char line[FW_CTL_LINE];
	size_t len, off = 0;
	ssize_t n;
	int err;

	len = strlen(reply) < sizeof(line) - 1 ? strlen(reply) :
						 sizeof(line) - 1;
	memcpy(line, reply, len);
	line[len++] = '\n';
	while (off < len) {
		n = write(c->fd, line + off, len - off);
		if (n > 0) {
			off += n;
			waits = 0;
			continue;
		}
		err = n < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (err == EAGAIN && waits++ < 10) {
			usleep(100 * 1000);
			continue;
		}
		fw_log("control %s: reply lost: %s", c->port, strerror(err));
		if (off)
			fw_ctl_close(c);
		return;
	}
}

/* Run the command named @name, for a "run" request. */
static void fw_run_command(struct fw *fw, const char *name, char *reply,
			   size_t len)
{
	char out[FW_OUTPUT_LINE];
	unsigned int i;
	int status;

	for (i = 0; i < fw->nr_commands; i++) {
		if (strcmp(fw->commands[i].name, name))
			continue;
		if (fw_exec_output(fw->commands[i].argv, FW_COMMAND_TIMEOUT,
				   &status, out, sizeof(out)))
			snprintf(reply, len, "ok%s%s", *out ? " " : "", out);
		else
			snprintf(reply, len, "error %s failed (status %#x)",
				 fw->commands[i].argv[0], status);
		return;
	}
	snprintf(reply, len, "error no command of that name");
}

/*
 * Set @going (the restart or stop flag of struct fw): the loop ends once
 * the reply is sent, and the machine reboots or powers off (zoc-fw.c).
 */
static void fw_go_down(bool *going, char *reply, size_t len)
{
	*going = true;
	snprintf(reply, len, "ok");
}

/* Answer one request: @line, its newline taken off. */
static void fw_request(struct fw *fw, char *line, char *reply, size_t len)
{
	char shown[FW_CTL_LINE], *cmd, *arg = NULL, *more = NULL, *save;
	size_t i;

	for (i = 0; line[i] && i < sizeof(shown) - 1; i++)
		shown[i] = line[i] >= ' ' && line[i] < 0x7f ? line[i] : '?';
	shown[i] = '\0';
	cmd = strtok_r(line, FW_SPACE "\r", &save);
	if (cmd)
		arg = strtok_r(NULL, FW_SPACE "\r", &save);
	if (arg)
		more = strtok_r(NULL, FW_SPACE "\r", &save);
	if (!cmd)
		snprintf(reply, len, "error empty request");
	else if (!strcmp(cmd, "ping") && !arg)
		snprintf(reply, len, "ok");
	else if (!strcmp(cmd, "reload") && arg && !more && fw_modname_ok(arg))
		fw_reload(fw, arg, reply, len);
	else if (!strcmp(cmd, "run") && arg && !more)
		fw_run_command(fw, arg, reply, len);
	else if (!strcmp(cmd, "restart") && !arg)
		fw_go_down(&fw->restart, reply, len);
	else if (!strcmp(cmd, "stop") && !arg)
		fw_go_down(&fw->stop, reply, len);
	else if (!strcmp(cmd, "handover") && !arg)
		fw_set_standby(true, reply, len);
	else if (!strcmp(cmd, "takeover") && !arg)
		fw_set_standby(false, reply, len);
	else if (!strcmp(cmd, "cpus") && !arg)
		fw_cpus_report(reply, len);
	else if (!strcmp(cmd, "mem") && !arg)
		fw_mem_report(reply, len);
	else if (!strcmp(cmd, "ping") || !strcmp(cmd, "reload") ||
		 !strcmp(cmd, "run") || !strcmp(cmd, "restart") ||
		 !strcmp(cmd, "stop") || !strcmp(cmd, "handover") ||
		 !strcmp(cmd, "takeover") || !strcmp(cmd, "cpus") ||
		 !strcmp(cmd, "mem"))
		snprintf(reply, len,
			 "error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem");
	else
		snprintf(reply, len, "error unknown request");
	fw_log("control: %s: %s", shown, reply);
}

/*
 * Take what the control port has, and answer each whole line: one read at
 * a time, so that supervision goes on under a flood of requests.
 */
static void fw_ctl_input(struct fw *fw)
{
	struct fw_control *c = &fw->ctl;
	char reply[FW_CTL_LINE], *nl;
	size_t used;
	ssize_t n;

	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* unplugged, or a terminal hung up */
		fw_log("control %s: %s", c->port, strerror(errno));
		fw_ctl_close(c);
		return;
	}
	if (!n) {
		/* no peer (a virtio-serial port): what came is dropped */
		c->overlong = false;
		c->len = 0;
		c->quiet_until = fw_now() + FW_CTL_RETRY;
		return;
	}
	c->len += n;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = '\0';
		used = nl + 1 - c->buf;
		if (c->overlong) {
			snprintf(reply, sizeof(reply), "error line too long");
			fw_log("control: a line too long");
			c->overlong = false;
		} else {
			fw_request(fw, c->buf, reply, sizeof(reply));
		}
		fw_ctl_reply(c, reply);
		if (c->fd < 0)
			return;		/* closed: what is left goes with it */
		c->len -= used;
		memmove(c->buf, c->buf + used, c->len);
	}
	if (c->len == sizeof(c->buf)) {
		c->overlong = true;
		c->len = 0;
	}
}

void fw_ctl_ready(struct fw *fw, short revents)
{
	if (revents & POLLNVAL)
		fw_ctl_close(&fw->ctl);
	else if (revents & (POLLIN | POLLHUP | POLLERR))
		fw_ctl_input(fw);
}

void fw_add_command(struct fw *fw, char **argv, int argc)
{
	const char *why = NULL;
	struct fw_command *c;
	int i;

	if (argc < 3)
		why = "usage: command NAME PATH [ARG...]";
	else if (strlen(argv[1]) >= FW_COMMAND_SIZE)
		why = "name too long";
	else if (fw->nr_commands == FW_MAX_COMMANDS)
		why = "too many";
	if (why) {
		fw_log("command: %s", why);
		fw->errors++;
		return;
	}
	c = &fw->commands[fw->nr_commands++];
	strcpy(c->name, argv[1]);
	for (i = 2; i < argc; i++) {
		c->argv[i - 2] = strdup(argv[i]);
		if (!c->argv[i - 2]) {
			fw_log("command %s: out of memory", argv[1]);
			fw->errors++;
			fw->nr_commands--;
			return;
		}
	}
	c->argv[argc - 2] = NULL;
}

void fw_control(struct fw *fw, char **argv, int argc)
{
	if (argc != 2 || fw->ctl.port) {
		fw_log("control: %s", argc != 2 ?
		       "usage: control PORTNAME|PATH" : "one port only");
		fw->errors++;
		return;
	}
	/*
	 * A port not there yet is no failure: virtio-serial ports come after
	 * their device.  It is tried again.
	 */
	fw->ctl.port = strdup(argv[1]);
	if (fw->ctl.port)
		fw_ctl_open(&fw->ctl);
	else
		fw->errors++;
}
