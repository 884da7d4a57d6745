// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: module loading and reload requests.
 *
 * A module directive loads a module with finit_module(2), after its
 * dependencies as modules.dep lists them, and is kept for reload requests
 * (control.c): "reload MODULE" unloads MODULE and every loaded module that
 * depends on it, dependents first, after unbinding the devices of their
 * drivers (as their exit would: what these hold, a link's models, pins
 * modules); then loads again each of them that is not loaded, those of
 * module directives first, in their order and with their parameters, and
 * probes again a device left unbound.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fw.h"

#define FW_MAX_DEPTH		16
#define FW_MODNAME		56	/* the kernel's MODULE_NAME_LEN */
#define FW_MAX_RELOAD		32	/* modules one reload takes down */
#define FW_MAX_UNBOUND		16	/* devices it unbinds */
#define FW_UNLOAD_TRIES		50	/* 100 ms apart, for a module in use */

/*
 * Find the line of @name in modules.dep: "path/name.ko: dep1.ko dep2.ko".
 * Module names compare with '-' and '_' as equal, as modprobe does.
 */
static char *fw_moddep(FILE *dep, const char *name, char *line, size_t size)
{
	const char *base, *a;
	char *colon;
	size_t len = strlen(name);

	rewind(dep);
	while (fgets(line, size, dep)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if ((size_t)(colon - base) != len + 3 || strcmp(colon - 3, ".ko"))
			continue;
		for (a = name; *a; a++, base++)
			if (*a != *base && !(strchr("-_", *a) && strchr("-_", *base)))
				break;
		if (!*a) {
			*colon = ':';
			return line;
		}
	}
	return NULL;
}

static int fw_finit(const char *dir, const char *path, const char *params)
{
	char full[PATH_MAX];
	int fd, ret;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

/* Load @name after its dependencies (modules.dep lists them in load order). */
static int fw_modprobe(FILE *dep, const char *dir, const char *name,
		       const char *params)
{
	char line[FW_MAX_LINE], *deps, *tok, *save;
	char *deplist[FW_MAX_DEPTH];
	int n = 0, i, ret;

	if (!fw_moddep(dep, name, line, sizeof(line)))
		return -ENOENT;
	deps = strchr(line, ':');
	*deps++ = '\0';
	for (tok = strtok_r(deps, FW_SPACE, &save); tok && n < FW_MAX_DEPTH;
	     tok = strtok_r(NULL, FW_SPACE, &save))
		deplist[n++] = tok;
	/* modules.dep lists the deepest dependency last. */
	for (i = n - 1; i >= 0; i--) {
		ret = fw_finit(dir, deplist[i], "");
		if (ret)
			return ret;
	}
	return fw_finit(dir, line, params);
}

/*
 * Load @name after its dependencies, with @params; report it.
 * Return: 0 (also if it was loaded already) or -errno.
 */
static int fw_load(const char *name, const char *params)
{
	char dir[PATH_MAX], depfile[PATH_MAX + 16];
	struct utsname u;
	FILE *dep;
	int ret;

	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	snprintf(depfile, sizeof(depfile), "%s/modules.dep", dir);
	dep = fopen(depfile, "re");
	if (!dep) {
		ret = -errno;
		fw_log("module %s: %s: %s", name, depfile, strerror(-ret));
		return ret;
	}
	ret = fw_modprobe(dep, dir, name, params);
	fclose(dep);
	if (ret)
		fw_log("module %s: %s", name, strerror(-ret));
	else
		fw_log("module %s loaded", name);
	return ret;
}

void fw_module(struct fw *fw, char **argv, int argc)
{
	char params[FW_MAX_LINE] = "";
	struct fw_modconf *more;
	int i;

	if (argc < 2) {
		fw_log("module: name missing");
		fw->errors++;
		return;
	}
	for (i = 2; i < argc; i++) {
		strncat(params, argv[i], sizeof(params) - strlen(params) - 2);
		strcat(params, " ");
	}
	/* kept for reload requests */
	more = realloc(fw->modconf, (fw->nr_modconf + 1) * sizeof(*more));
	if (more) {
		fw->modconf = more;
		more += fw->nr_modconf;
		more->name = strdup(argv[1]);
		more->params = strdup(params);
		if (more->name && more->params) {
			fw->nr_modconf++;
		} else {
			free(more->name);
			free(more->params);
		}
	}
	if (fw_load(argv[1], params)) {
		fw->errors++;
		return;
	}
	fw->modules++;
}

/* --- reload requests --------------------------------------------------- */

/**
 * struct fw_unbound - a device that a reload unbound from its driver
 * @drv: the driver's directory, as found under /sys/module
 * @bus: its bus's directory
 * @dev: the device's name
 */
struct fw_unbound {
	char drv[128];
	char bus[64];
	char dev[64];
};

/**
 * struct fw_reload - what one reload request takes down
 * @mods: the modules, as the kernel names them, each after those that
 *	depend on it
 * @nr: how many
 * @loading: which of them were loaded again, or tried to be
 * @unbound: the devices of their drivers, unbound
 * @nr_unbound: how many
 * @error: the first failure, "" if none
 */
struct fw_reload {
	char mods[FW_MAX_RELOAD][FW_MODNAME];
	unsigned int nr;
	bool loading[FW_MAX_RELOAD];
	struct fw_unbound unbound[FW_MAX_UNBOUND];
	unsigned int nr_unbound;
	char error[FW_CTL_LINE - 16];
};

static void fw_reload_error(struct fw_reload *r, const char *what,
			    const char *name, int err)
{
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "%s %s: %s", what, name,
			 strerror(-err));
}

/* A module's name as the kernel has it: '-' is '_'. */
static void fw_modname(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < FW_MODNAME - 1 && src[i]; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

/* Could @name be a module's?  Nothing else gets near /sys/module. */
bool fw_modname_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (i == FW_MODNAME - 1 ||
		    !(isalnum((unsigned char)name[i]) || strchr("_-", name[i])))
			return false;
	return i;
}

/* Is module @name (as the kernel has it) loaded? */
static bool fw_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return !access(path, F_OK);
}

/* The index of module @name in @r->mods, or -1. */
static int fw_reload_find(const struct fw_reload *r, const char *name)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->mods[i], name))
			return i;
	return -1;
}

/*
 * Add module @name (as the kernel has it) to @r, after the loaded modules
 * that depend on it (/sys/module/NAME/holders) and theirs.
 * Return: 0 or -errno.
 */
static int fw_reload_add(struct fw_reload *r, const char *name,
			 unsigned int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	if (fw_reload_find(r, name) >= 0)
		return 0;
	if (depth > FW_MAX_DEPTH)
		return -ELOOP;
	snprintf(path, sizeof(path), "/sys/module/%s/holders", name);
	dir = opendir(path);
	while (dir && !ret && (de = readdir(dir)))
		if (de->d_name[0] != '.')
			ret = fw_modname_ok(de->d_name) ?
			      fw_reload_add(r, de->d_name, depth + 1) : -EINVAL;
	if (dir)
		closedir(dir);
	if (ret)
		return ret;
	if (r->nr == FW_MAX_RELOAD)
		return -E2BIG;
	strcpy(r->mods[r->nr++], name);
	return 0;
}

#define FW_STANDBY_PARAM	"/sys/module/zoc_guest/parameters/standby"

/* Write @val to the file @path: 0 or -errno. */
int fw_write(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Note the devices bound to the drivers of module @mod: in the directory
 * of each of its drivers (/sys/module/MOD/drivers/BUS:NAME), the symbolic
 * links but "module".
 */
static void fw_reload_devices(struct fw_reload *r, const char *mod)
{
	char dir[128], path[PATH_MAX], bus[PATH_MAX];
	struct dirent *de, *dev;
	struct fw_unbound u;
	DIR *drivers, *d;

	snprintf(dir, sizeof(dir), "/sys/module/%s/drivers", mod);
	drivers = opendir(dir);
	while (drivers && (de = readdir(drivers))) {
		if (de->d_name[0] == '.' ||
		    snprintf(u.drv, sizeof(u.drv), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(u.drv))
			continue;
		snprintf(path, sizeof(path), "%s/../..", u.drv);
		if (!realpath(path, bus) || strlen(bus) >= sizeof(u.bus))
			continue;
		strcpy(u.bus, bus);
		d = opendir(u.drv);
		while (d && (dev = readdir(d)) && r->nr_unbound < FW_MAX_UNBOUND) {
			if (dev->d_type != DT_LNK || !strcmp(dev->d_name, "module") ||
			    strlen(dev->d_name) >= sizeof(u.dev))
				continue;
			strcpy(u.dev, dev->d_name);
			r->unbound[r->nr_unbound++] = u;
		}
		if (d)
			closedir(d);
	}
	if (drivers)
		closedir(drivers);
}

/*
 * Unload module @name.  The kernel never waits for a module in use
 * (O_NONBLOCK or not, since 3.13): try again for a while.
 * Return: 0 (also if it was not loaded) or -errno.
 */
static int fw_unload(const char *name)
{
	unsigned int tries = 0;
	int ret;

	while ((ret = syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0) ==
	       -EAGAIN && ++tries < FW_UNLOAD_TRIES)
		usleep(100 * 1000);
	if (ret == -ENOENT) {
		fw_log("reload: %s was not loaded", name);
		return 0;
	}
	if (ret)
		fw_log("reload: unloading %s: %s", name, strerror(-ret));
	else
		fw_log("reload: %s unloaded", name);
	return ret;
}

/*
 * Unload module @name (as the kernel has it) and the modules that depend
 * on it, dependents first, after unbinding the devices of their drivers;
 * @r says what was taken down.  Return: 0, or -errno if the dependents
 * could not be found (nothing was done); an unload that fails is noted in
 * @r->error.
 */
static int fw_take_down(struct fw_reload *r, const char *name)
{
	char path[PATH_MAX];
	struct fw_unbound *u;
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = fw_reload_add(r, name, 0);
	if (ret)
		return ret;
	for (i = 0; i < r->nr; i++)
		fw_reload_devices(r, r->mods[i]);
	for (i = 0; i < r->nr_unbound; i++) {
		u = &r->unbound[i];
		snprintf(path, sizeof(path), "%s/unbind", u->drv);
		ret = fw_write(path, u->dev);
		if (ret)
			fw_log("reload: unbinding %s: %s", u->dev, strerror(-ret));
		else
			fw_log("reload: %s unbound from %s", u->dev,
			       strrchr(u->drv, '/') + 1);
	}
	for (i = 0; i < r->nr; i++) {
		ret = fw_unload(r->mods[i]);
		if (ret) {
			fw_reload_error(r, "unload", r->mods[i], ret);
			break;
		}
	}
	return 0;
}

/**
 * fw_set_standby - hand the links over, or take them at once
 * @standby: true for a "handover" request, and before a power-off: the
 *	endpoints that hold their links hand them over to a standby service
 *	VM (models detached, states saved, links left); false for a
 *	"takeover" request: the endpoints take their links whoever holds
 *	them, which is only for when the service VM that served is known
 *	dead (its VMM killed): see link.rst
 * @reply: "ok", or "error" and why
 * @len: its size
 *
 * Through zoc_guest's standby parameter.
 */
void fw_set_standby(bool standby, char *reply, size_t len)
{
	int ret = fw_write(FW_STANDBY_PARAM, standby ? "1" : "0");

	if (ret)
		snprintf(reply, len, "error %s: %s", FW_STANDBY_PARAM,
			 strerror(-ret));
	else
		snprintf(reply, len, "ok");
}

/**
 * fw_unload_all - unload the modules of module directives, before the
 *	machine goes down
 * @fw: the firmware
 *
 * Last directive first, each with its dependents: drivers let go of their
 * devices as on a module's replacement (the I/O proxy leaves its devices
 * to the next service VM, their state in host memory), not as on a crash.
 */
void fw_unload_all(struct fw *fw)
{
	char name[FW_MODNAME];
	struct fw_reload r;
	unsigned int i;

	for (i = fw->nr_modconf; i-- > 0;) {
		fw_modname(name, fw->modconf[i].name);
		if (!fw_loaded(name))
			continue;
		if (fw_take_down(&r, name))
			fw_log("shutdown: %s: its dependents not found", name);
		else if (r.error[0])
			fw_log("shutdown: %s", r.error);
	}
}

/*
 * Unload @module and the modules that depend on it (fw_take_down()); then
 * load again what is not loaded: the modules of module directives first,
 * in their order and with their parameters, then the others, dependencies
 * first.  A device left unbound is probed again.  The answer goes to
 * @reply.
 */
void fw_reload(struct fw *fw, const char *module, char *reply, size_t len)
{
	char name[FW_MODNAME], path[PATH_MAX];
	struct fw_unbound *u;
	struct fw_reload r;
	unsigned int i;
	int ret, n;

	fw_modname(name, module);
	ret = fw_take_down(&r, name);
	if (ret) {
		snprintf(reply, len, "error %s: its dependents: %s", name,
			 strerror(-ret));
		return;
	}

	for (i = 0; i < fw->nr_modconf; i++) {
		fw_modname(name, fw->modconf[i].name);
		n = fw_reload_find(&r, name);
		if (n < 0 || r.loading[n] || fw_loaded(name))
			continue;
		r.loading[n] = true;
		ret = fw_load(fw->modconf[i].name, fw->modconf[i].params);
		if (ret)
			fw_reload_error(&r, "load", name, ret);
	}
	for (i = r.nr; i-- > 0;) {
		if (r.loading[i] || fw_loaded(r.mods[i]))
			continue;
		ret = fw_load(r.mods[i], "");
		if (ret)
			fw_reload_error(&r, "load", r.mods[i], ret);
	}
	for (i = 0; i < r.nr_unbound; i++) {
		u = &r.unbound[i];
		snprintf(path, sizeof(path), "%s/devices/%s/driver", u->bus,
			 u->dev);
		if (!access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/drivers_probe", u->bus);
		ret = fw_write(path, u->dev);
		if (ret)
			fw_log("reload: probing %s: %s", u->dev, strerror(-ret));
		else
			fw_log("reload: %s probed again", u->dev);
	}

	if (r.error[0])
		snprintf(reply, len, "error %s", r.error);
	else
		snprintf(reply, len, "ok");
}
