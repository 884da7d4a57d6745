// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC volumes in configfs: zoc/volumes/NAME, one directory a volume, made
 * by the service VM's firmware from the provider's configuration.  Its
 * attributes say which block device of the service VM holds the volume
 * and what the disks made of it show the host: serial number, model,
 * NGUID, EUI-64.  They are set while the volume is disabled; "enable"
 * lists it for the host's requests, and from then on it is read only
 * until disabled again.  A disk already made of a volume is not undone by
 * its disabling or removal: the volume is looked up when a device is
 * created or taken over only.
 *
 * The names are the provider's and the host only names them: a request
 * for a name with no enabled volume opens nothing.  One for a volume
 * listed but disabled, which the firmware has not attached yet, is to be
 * asked again.
 */

#include <linux/configfs.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>
#include <linux/zoc_link.h>

#include "../zoc_volume.h"
#include "volume.h"

/**
 * struct zoc_volume - a volume of the configuration
 * @item: its configfs directory
 * @lock: serializes the attributes' stores and their reads
 * @enabled: the host may name it
 * @info: what a disk is made of
 */
struct zoc_volume {
	struct config_item item;
	/* serializes the attributes' stores and their reads */
	struct mutex lock;
	bool enabled;
	struct zoc_volume_info info;
};

static struct zoc_volume *to_zoc_volume(struct config_item *item)
{
	return container_of(item, struct zoc_volume, item);
}

/*
 * A value written to an attribute, its trailing newline taken off, into
 * @buf (@size bytes with the NUL).  Return: its length, or -EINVAL if it
 * does not fit.
 */
static ssize_t zoc_volume_value(const char *page, size_t count, char *buf,
				size_t size)
{
	if (count && page[count - 1] == '\n')
		count--;
	if (count >= size)
		return -EINVAL;
	memcpy(buf, page, count);
	buf[count] = '\0';
	return count;
}

/*
 * Printable ASCII, as NVMe's identify strings are (the kernel's isgraph()
 * takes Latin-1 too); @inner: spaces inside.
 */
static bool zoc_volume_ascii(const char *s, size_t len, bool inner)
{
	size_t i;

	if (len && (s[0] == ' ' || s[len - 1] == ' '))
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] > ' ' && s[i] < 0x7f) || (inner && s[i] == ' ')))
			return false;
	return true;
}

/*
 * Change an attribute of @vol under its lock, unless it is enabled; @set
 * checks @val (@len bytes) and copies it.
 */
static ssize_t zoc_volume_store(struct zoc_volume *vol, const char *val,
				ssize_t len, size_t count,
				int (*set)(struct zoc_volume_info *info,
					   const char *val, size_t len))
{
	int ret;

	if (len < 0)
		return len;
	mutex_lock(&vol->lock);
	ret = vol->enabled ? -EBUSY : set(&vol->info, val, len);
	mutex_unlock(&vol->lock);
	return ret ?: count;
}

static ssize_t zoc_volume_show(struct zoc_volume *vol, char *page,
			       const char *fmt, size_t n, const void *field)
{
	ssize_t ret;

	mutex_lock(&vol->lock);
	ret = n ? sysfs_emit(page, fmt, (int)n, field) :
		  sysfs_emit(page, fmt, field);
	mutex_unlock(&vol->lock);
	return ret;
}

static int zoc_volume_set_device(struct zoc_volume_info *info,
				 const char *val, size_t len)
{
	if (val[0] != '/' || !zoc_volume_ascii(val, len, false))
		return -EINVAL;
	strscpy(info->path, val, sizeof(info->path));
	return 0;
}

static int zoc_volume_set_serial(struct zoc_volume_info *info,
				 const char *val, size_t len)
{
	if (!len || !zoc_volume_ascii(val, len, false))
		return -EINVAL;
	strscpy(info->serial, val, sizeof(info->serial));
	return 0;
}

static int zoc_volume_set_model(struct zoc_volume_info *info,
				const char *val, size_t len)
{
	if (!zoc_volume_ascii(val, len, true))
		return -EINVAL;
	strscpy(info->model, val, sizeof(info->model));
	return 0;
}

/* 32 hex digits, or a UUID's 36 characters; empty for none. */
static int zoc_volume_set_nguid(struct zoc_volume_info *info,
				const char *val, size_t len)
{
	u8 nguid[ZOC_VOLUME_NGUID_LEN];
	uuid_t uuid;

	if (!len) {
		memset(info->nguid, 0, sizeof(info->nguid));
		return 0;
	}
	if (len == UUID_STRING_LEN) {
		if (uuid_parse(val, &uuid))
			return -EINVAL;
		memcpy(info->nguid, &uuid, sizeof(info->nguid));
		return 0;
	}
	if (len != 2 * sizeof(nguid) || hex2bin(nguid, val, sizeof(nguid)))
		return -EINVAL;
	memcpy(info->nguid, nguid, sizeof(nguid));
	return 0;
}

/* 16 hex digits; empty for none. */
static int zoc_volume_set_eui64(struct zoc_volume_info *info,
				const char *val, size_t len)
{
	u8 eui64[ZOC_VOLUME_EUI64_LEN] = {};

	if (len && (len != 2 * sizeof(eui64) ||
		    hex2bin(eui64, val, sizeof(eui64))))
		return -EINVAL;
	memcpy(info->eui64, eui64, sizeof(eui64));
	return 0;
}

/* A value written to @page for @set: at most @size - 1 bytes of it. */
static ssize_t zoc_volume_set(struct config_item *item, const char *page,
			      size_t count, size_t size,
			      int (*set)(struct zoc_volume_info *info,
					 const char *val, size_t len))
{
	char val[UUID_STRING_LEN + ZOC_VOLUME_PATH_LEN];

	return zoc_volume_store(to_zoc_volume(item), val,
				zoc_volume_value(page, count, val,
						 min(size, sizeof(val))),
				count, set);
}

static ssize_t zoc_volume_device_show(struct config_item *item, char *page)
{
	return zoc_volume_show(to_zoc_volume(item), page, "%s\n", 0,
			       to_zoc_volume(item)->info.path);
}

static ssize_t zoc_volume_device_store(struct config_item *item,
				       const char *page, size_t count)
{
	return zoc_volume_set(item, page, count, ZOC_VOLUME_PATH_LEN,
			      zoc_volume_set_device);
}
CONFIGFS_ATTR(zoc_volume_, device);

static ssize_t zoc_volume_serial_show(struct config_item *item, char *page)
{
	return zoc_volume_show(to_zoc_volume(item), page, "%s\n", 0,
			       to_zoc_volume(item)->info.serial);
}

static ssize_t zoc_volume_serial_store(struct config_item *item,
				       const char *page, size_t count)
{
	return zoc_volume_set(item, page, count, ZOC_VOLUME_SERIAL_LEN + 1,
			      zoc_volume_set_serial);
}
CONFIGFS_ATTR(zoc_volume_, serial);

static ssize_t zoc_volume_model_show(struct config_item *item, char *page)
{
	return zoc_volume_show(to_zoc_volume(item), page, "%s\n", 0,
			       to_zoc_volume(item)->info.model);
}

static ssize_t zoc_volume_model_store(struct config_item *item,
				      const char *page, size_t count)
{
	return zoc_volume_set(item, page, count, ZOC_VOLUME_MODEL_LEN + 1,
			      zoc_volume_set_model);
}
CONFIGFS_ATTR(zoc_volume_, model);

static ssize_t zoc_volume_nguid_show(struct config_item *item, char *page)
{
	return zoc_volume_show(to_zoc_volume(item), page, "%*phN\n",
			       ZOC_VOLUME_NGUID_LEN,
			       to_zoc_volume(item)->info.nguid);
}

static ssize_t zoc_volume_nguid_store(struct config_item *item,
				      const char *page, size_t count)
{
	return zoc_volume_set(item, page, count, UUID_STRING_LEN + 1,
			      zoc_volume_set_nguid);
}
CONFIGFS_ATTR(zoc_volume_, nguid);

static ssize_t zoc_volume_eui64_show(struct config_item *item, char *page)
{
	return zoc_volume_show(to_zoc_volume(item), page, "%*phN\n",
			       ZOC_VOLUME_EUI64_LEN,
			       to_zoc_volume(item)->info.eui64);
}

static ssize_t zoc_volume_eui64_store(struct config_item *item,
				      const char *page, size_t count)
{
	return zoc_volume_set(item, page, count, 2 * ZOC_VOLUME_EUI64_LEN + 1,
			      zoc_volume_set_eui64);
}
CONFIGFS_ATTR(zoc_volume_, eui64);

static ssize_t zoc_volume_enable_show(struct config_item *item, char *page)
{
	struct zoc_volume *vol = to_zoc_volume(item);

	return sysfs_emit(page, "%d\n", READ_ONCE(vol->enabled));
}

/* Enabling needs a device; the rest has defaults. */
static ssize_t zoc_volume_enable_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct zoc_volume *vol = to_zoc_volume(item);
	bool enable;
	int ret;

	ret = kstrtobool(page, &enable);
	if (ret)
		return ret;
	mutex_lock(&vol->lock);
	if (enable && !vol->info.path[0]) {
		ret = -EINVAL;
	} else if (vol->enabled != enable) {
		vol->enabled = enable;
		pr_info("zoc: volume %s on %s %s\n", config_item_name(item),
			vol->info.path, enable ? "enabled" : "disabled");
	}
	mutex_unlock(&vol->lock);
	return ret ?: count;
}
CONFIGFS_ATTR(zoc_volume_, enable);

static struct configfs_attribute *zoc_volume_attrs[] = {
	&zoc_volume_attr_device,
	&zoc_volume_attr_serial,
	&zoc_volume_attr_model,
	&zoc_volume_attr_nguid,
	&zoc_volume_attr_eui64,
	&zoc_volume_attr_enable,
	NULL,
};

static void zoc_volume_release(struct config_item *item)
{
	struct zoc_volume *vol = to_zoc_volume(item);

	mutex_destroy(&vol->lock);
	kfree(vol);
}

static struct configfs_item_operations zoc_volume_item_ops = {
	.release = zoc_volume_release,
};

static const struct config_item_type zoc_volume_type = {
	.ct_item_ops = &zoc_volume_item_ops,
	.ct_attrs = zoc_volume_attrs,
	.ct_owner = THIS_MODULE,
};

/*
 * A new volume, disabled; its serial number and its NGUID (the name's
 * bytes, zero padded) are its name until set: NVMe 1.3 and later want a
 * namespace identifier.
 */
static struct config_item *zoc_volume_make(struct config_group *group,
					   const char *name)
{
	size_t len = strlen(name);
	struct zoc_volume *vol;

	/* The host names it in a request's backend field, no path in it. */
	if (len >= ZOC_DEV_NAME_LEN)
		return ERR_PTR(-ENAMETOOLONG);
	if (!zoc_volume_ascii(name, len, false) || strstr(name, ".."))
		return ERR_PTR(-EINVAL);
	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol)
		return ERR_PTR(-ENOMEM);
	mutex_init(&vol->lock);
	/* Stable defaults: the name, as serial number and as NGUID. */
	strscpy(vol->info.serial, name, sizeof(vol->info.serial));
	memcpy(vol->info.nguid, name, len);
	config_item_init_type_name(&vol->item, name, &zoc_volume_type);
	return &vol->item;
}

static struct configfs_group_operations zoc_volumes_group_ops = {
	.make_item = zoc_volume_make,
};

static const struct config_item_type zoc_volumes_type = {
	.ct_group_ops = &zoc_volumes_group_ops,
	.ct_owner = THIS_MODULE,
};

static const struct config_item_type zoc_volume_root_type = {
	.ct_owner = THIS_MODULE,
};

/* The only configfs subsystem ZOC has: a kernel has one "zoc" directory. */
static struct configfs_subsystem zoc_volume_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "zoc",
			.ci_type = &zoc_volume_root_type,
		},
	},
};

static struct config_group zoc_volumes_group;

/**
 * zoc_volume_find - look a volume up by the name the host gave
 * @name: its name, NUL terminated
 * @info: filled in with what the volume is, if it is listed
 *
 * A volume listed but not enabled is one the firmware has not attached
 * yet (a remote one, connected once the models are loaded), or one the
 * provider took away for a while: it is not there now, but may be soon.
 *
 * Context: process context; sleeps.
 * Return: 0, -ENOENT if the configuration lists no volume of that name,
 * or -EAGAIN if it lists one that is not enabled.
 */
int zoc_volume_find(const char *name, struct zoc_volume_info *info)
{
	struct config_item *item;
	struct zoc_volume *vol;
	int ret = -EAGAIN;

	mutex_lock(&zoc_volume_subsys.su_mutex);
	item = config_group_find_item(&zoc_volumes_group, name);
	mutex_unlock(&zoc_volume_subsys.su_mutex);
	if (!item)
		return -ENOENT;
	vol = to_zoc_volume(item);
	mutex_lock(&vol->lock);
	if (vol->enabled) {
		*info = vol->info;
		ret = 0;
	}
	mutex_unlock(&vol->lock);
	config_item_put(item);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_volume_find);

/* Make zoc/volumes in configfs. */
int zoc_volume_register(void)
{
	config_group_init(&zoc_volume_subsys.su_group);
	mutex_init(&zoc_volume_subsys.su_mutex);
	config_group_init_type_name(&zoc_volumes_group, "volumes",
				    &zoc_volumes_type);
	configfs_add_default_group(&zoc_volumes_group,
				   &zoc_volume_subsys.su_group);
	return configfs_register_subsystem(&zoc_volume_subsys);
}

/* Remove it; no volume is left, as each pins the module. */
void zoc_volume_unregister(void)
{
	configfs_unregister_subsystem(&zoc_volume_subsys);
	mutex_destroy(&zoc_volume_subsys.su_mutex);
}
