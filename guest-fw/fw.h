/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc-fw: the firmware's state and what its files call of each other.
 * zoc-fw.c has the main loop, the configuration and the supervision of
 * services; modules.c module loading and reload requests; hotplug.c the
 * hotplug hooks; control.c the control port; cpus.c the CPUs.
 */

#ifndef _ZOC_FW_H
#define _ZOC_FW_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

struct nlmsghdr;

#define FW_MAX_LINE		1024
#define FW_MAX_ARGS		32
#define FW_MAX_SERVICES		8
#define FW_MAX_HOTPLUG		4
#define FW_MAX_COMMANDS		32
#define FW_COMMAND_SIZE		32
#define FW_COMMAND_TIMEOUT	30	/* seconds a control command may take */
#define FW_OUTPUT_LINE		200	/* bytes of a command's output replied */
#define FW_DRIVER_SIZE		32	/* ethtool_drvinfo.driver */
#define FW_CTL_LINE		256	/* a request, its newline included */
#define FW_SPACE		"\n\t "
#define FW_NQN_SIZE		224	/* the kernel's NVMF_NQN_SIZE, and NUL */
#define FW_MAX_PATHS		4	/* paths of a remote volume */
#define FW_MAX_REMOTE		16	/* remote volumes */
#define FW_VOLUME_NAME		15	/* the kernel's longest */
#define FW_CTRL_LOSS_TMO	20	/* seconds: below the host's I/O timeout */
#define FW_RECONNECT_DELAY	1	/* seconds */
#define FW_VOLUME_CHECK		5	/* seconds between looks at a volume */
#define FW_VOLUME_RETRY_MAX	30	/* seconds between tries, at most */
#define FW_VOLUME_WORK_MAX	180	/* seconds a try may take, at most */

/**
 * struct fw_service - a supervised program
 * @argv: its command line
 * @pid: running instance, 0 when none
 * @backoff: seconds to wait before the next restart
 * @next_start: when it may be started again
 */
struct fw_service {
	char *argv[FW_MAX_ARGS + 1];
	pid_t pid;
	unsigned int backoff;
	time_t next_start;
};

/**
 * struct fw_command - a program the control port runs by its name
 * @name: the name a "run" request gives
 * @argv: its command line
 */
struct fw_command {
	char name[FW_COMMAND_SIZE];
	char *argv[FW_MAX_ARGS + 1];
};

/**
 * struct fw_hotplug - a hook for the interfaces of a driver
 * @driver: their ethtool driver name
 * @argv: the hook's command line, without "add|del IFNAME IFINDEX"
 * @argc: its length
 */
struct fw_hotplug {
	char driver[FW_DRIVER_SIZE];
	char *argv[FW_MAX_ARGS];
	int argc;
};

/**
 * struct fw_netdev - an interface that hooks were run for
 * @ifindex: its index
 * @name: its name
 * @driver: its driver, which cannot be asked once it is gone
 * @hooks: the hooks that were given its "add", by bit
 */
struct fw_netdev {
	int ifindex;
	char name[IFNAMSIZ];
	char driver[FW_DRIVER_SIZE];
	unsigned int hooks;
};

/**
 * struct fw_modconf - a module directive
 * @name: the module's name, as given
 * @params: its parameters, as finit_module() takes them
 */
struct fw_modconf {
	char *name;
	char *params;
};

/**
 * struct fw_control - the control port
 * @port: its name, or its path if it starts with '/'; NULL without one
 * @fd: the port, open; -1 when not
 * @quiet_until: not tried or polled before then (monotonic seconds)
 * @missing: it could not be opened last time (reported once)
 * @overlong: the line being read is too long: dropped up to its end
 * @len: bytes in @buf
 * @buf: the request being read
 */
struct fw_control {
	char *port;
	int fd;
	time_t quiet_until;
	bool missing;
	bool overlong;
	size_t len;
	char buf[FW_CTL_LINE];
};

/**
 * struct fw_path - a path to a storage server
 * @transport: "tcp" or "rdma"
 * @addr: its address
 * @port: its port
 */
struct fw_path {
	char transport[8];
	char addr[64];
	char port[8];
};

/**
 * struct fw_remote - a volume on a storage server
 * @name: the volume's name
 * @nqn: the NVMe subsystem that holds it
 * @nsid: its namespace there
 * @queues: I/O queues a path gets (0: the kernel's default, one a CPU)
 * @ctrl_loss_tmo: seconds a lost path is reconnected before it goes (-1:
 *	for ever)
 * @reconnect_delay: seconds between two tries
 * @fast_io_fail_tmo: seconds a lost path holds I/O before failing it (by
 *	default @ctrl_loss_tmo: a reconnect that hangs, as RDMA's connection
 *	manager's may for minutes, holds no I/O past it), -1: until the path
 *	goes
 * @iopolicy: how I/O spreads over the paths ("numa", "round-robin"); ""
 *	for the kernel's default
 * @paths: the paths
 * @nr_paths: how many
 * @attached: its device found, the volume enabled on it
 * @dev: that device
 * @worker: the process connecting its paths, 0 when none
 * @started: when it started (fw_now())
 * @next_try: when its paths are looked at, or tried, again (fw_now())
 * @backoff: seconds from the last failed try to the next, 0 after success
 * @fails: tries failed since the last one that found every path
 */
struct fw_remote {
	char name[FW_VOLUME_NAME + 1];
	char nqn[FW_NQN_SIZE];
	unsigned int nsid;
	unsigned int queues;
	int ctrl_loss_tmo;
	int reconnect_delay;
	int fast_io_fail_tmo;
	char iopolicy[16];
	struct fw_path paths[FW_MAX_PATHS];
	int nr_paths;
	bool attached;
	char dev[64];
	pid_t worker;
	time_t started;
	time_t next_try;
	unsigned int backoff;
	unsigned int fails;
};

/**
 * struct fw - the firmware's state
 * @modules: modules loaded
 * @volumes: volumes listed
 * @errors: directives that failed
 * @services: supervised programs
 * @nr_services: how many
 * @hotplug: hotplug hooks
 * @nr_hotplug: how many
 * @nl: rtnetlink socket of link events, -1 until a hotplug directive
 * @uevent: the kernel's uevents, for the CPUs added (cpus.c), or -1
 * @netdevs: interfaces that hooks were run for
 * @nr_netdevs: how many
 * @modconf: the module directives, in their order
 * @nr_modconf: how many
 * @ctl: the control port
 * @commands: programs the control port runs by name
 * @nr_commands: how many
 * @restart: the control port asked for a reboot
 * @stop: the control port asked for a power-off
 * @hostnqn: this service VM's NQN for storage servers; "" for the kernel's
 * @remote: the remote volumes, attached once the configuration is read,
 *	and kept attached
 * @nr_remote: how many
 * @mem_hook: the memory directive's command line, "grow" appended; NULL
 *	at [0] without one (mem.c)
 * @mem_total: bytes of memory the kernel managed when @mem_hook last
 *	succeeded
 * @mem_tried: ... when it last ran
 */
struct fw {
	unsigned int modules;
	unsigned int volumes;
	unsigned int errors;
	struct fw_service services[FW_MAX_SERVICES];
	unsigned int nr_services;
	struct fw_hotplug hotplug[FW_MAX_HOTPLUG];
	unsigned int nr_hotplug;
	int nl;
	int uevent;
	struct fw_netdev *netdevs;
	unsigned int nr_netdevs;
	struct fw_modconf *modconf;
	unsigned int nr_modconf;
	struct fw_control ctl;
	struct fw_command commands[FW_MAX_COMMANDS];
	unsigned int nr_commands;
	bool restart;
	bool stop;
	char hostnqn[FW_NQN_SIZE];
	struct fw_remote remote[FW_MAX_REMOTE];
	unsigned int nr_remote;
	char *mem_hook[FW_MAX_ARGS + 1];
	unsigned long long mem_total;
	unsigned long long mem_tried;
};

/**
 * struct fw_directive - a directive of the configuration
 * @name: its first word
 * @apply: acts on the line, its words in @argv[0..@argc - 1]
 */
struct fw_directive {
	const char *name;
	void (*apply)(struct fw *fw, char **argv, int argc);
};

/* zoc-fw.c */
void fw_log(const char *fmt, ...);
bool fw_exec(char **argv, unsigned int timeout, int *status);
bool fw_exec_output(char **argv, unsigned int timeout, int *status,
		    char *out, size_t len);

/* Seconds of a clock that no one sets. */
static inline time_t fw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* conf.c */
void fw_conf_read(struct fw *fw, FILE *f, const char *path,
		  const struct fw_directive *dirs);

/* modules.c */
int fw_write(const char *path, const char *val);
void fw_module(struct fw *fw, char **argv, int argc);
bool fw_modname_ok(const char *name);
void fw_reload(struct fw *fw, const char *module, char *reply, size_t len);
void fw_set_standby(bool standby, char *reply, size_t len);
void fw_unload_all(struct fw *fw);

/* cpus.c */
int fw_cpus_start(void);
void fw_cpus_events(int fd);
void fw_cpus_report(char *reply, size_t len);

/* mem.c */
void fw_mem_scan(void);
void fw_mem_added(const char *devpath);
void fw_add_mem_hook(struct fw *fw, char **argv, int argc);
void fw_mem_grown(struct fw *fw);
void fw_mem_report(char *reply, size_t len);

/* hotplug.c */
void fw_add_hotplug(struct fw *fw, char **argv, int argc);
void fw_events(struct fw *fw);
int fw_nl_dump(int fd, const void *req, size_t len,
	       bool (*each)(const struct nlmsghdr *nh, void *arg), void *arg);

/* volume.c */
void fw_volume(struct fw *fw, char **argv, int argc);
void fw_hostnqn(struct fw *fw, char **argv, int argc);
void fw_volumes_tend(struct fw *fw);
bool fw_volume_reaped(struct fw *fw, pid_t pid, int status);
void fw_volumes_stop(struct fw *fw);

/* rdma.c */
void fw_rdma_link(struct fw *fw, char **argv, int argc);

/* fabrics.c */
/* what fw_fabrics_connect() found: a worker's exit status */
enum {
	FW_FABRICS_UP,		/* the namespace, on every path */
	FW_FABRICS_PARTIAL,	/* the namespace, but a path is missing */
	FW_FABRICS_DOWN,	/* no namespace */
};

int fw_fabrics_connect(const struct fw *fw, const struct fw_remote *v,
		       bool quiet);
bool fw_fabrics_paths_up(const struct fw_remote *v);
int fw_fabrics_device(const struct fw_remote *v, char *dev, size_t len);

/* neigh.c */
void fw_neigh_retry(void);

/* control.c */
void fw_control(struct fw *fw, char **argv, int argc);
void fw_add_command(struct fw *fw, char **argv, int argc);
int fw_ctl_fd(struct fw_control *c);
void fw_ctl_ready(struct fw *fw, short revents);

#endif /* _ZOC_FW_H */
