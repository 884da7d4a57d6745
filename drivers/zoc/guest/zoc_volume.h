/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC volumes: the provider's list of what the host may ask a disk to be
 * made of, kept in configfs by the service VM's firmware
 * (Documentation/zoc/volumes.rst).  The block backend looks a host's
 * request up here; nothing else opens a block device for the host.
 */

#ifndef _ZOC_VOLUME_H
#define _ZOC_VOLUME_H

#include <linux/types.h>

#define ZOC_VOLUME_PATH_LEN	64	/* the block device's path, with NUL */
#define ZOC_VOLUME_SERIAL_LEN	20	/* NVMe's SN, virtio-blk's ID */
#define ZOC_VOLUME_MODEL_LEN	40	/* NVMe's MN */
#define ZOC_VOLUME_NGUID_LEN	16
#define ZOC_VOLUME_EUI64_LEN	8

/**
 * struct zoc_volume_info - a volume, as a disk is made of it
 * @path: the block device of the service VM that holds it
 * @serial: its serial number: printable ASCII, NUL terminated
 * @model: its model: printable ASCII, NUL terminated; empty if the
 *	provider gave none (the device model's own then)
 * @nguid: its NVMe namespace globally unique identifier; zeros if none
 * @eui64: its IEEE extended unique identifier; zeros if none
 */
struct zoc_volume_info {
	char path[ZOC_VOLUME_PATH_LEN];
	char serial[ZOC_VOLUME_SERIAL_LEN + 1];
	char model[ZOC_VOLUME_MODEL_LEN + 1];
	u8 nguid[ZOC_VOLUME_NGUID_LEN];
	u8 eui64[ZOC_VOLUME_EUI64_LEN];
};

int zoc_volume_find(const char *name, struct zoc_volume_info *info);

#endif /* _ZOC_VOLUME_H */
