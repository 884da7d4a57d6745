/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ZOC link: what the host kernel and the service VM share in memory.
 *
 * The link area sits at the start of the host's aperture, a physical range
 * reserved at boot (memmap=) that the service VM sees through its L0 window
 * at the same offset.  Everything here is little-endian, fixed-size and
 * position independent; each side writes only its own fields and treats
 * everything the other side wrote as untrusted.
 */
#ifndef _UAPI_LINUX_ZOC_LINK_H
#define _UAPI_LINUX_ZOC_LINK_H

#include <linux/types.h>

#define ZOC_LINK_MAGIC		0x004b4e494c434f5aULL	/* "ZOCLINK" */
#define ZOC_LINK_VERSION	1
#define ZOC_LINK_AREA_SIZE	0x10000

/* enum zoc_link_state: a side's view of itself */
#define ZOC_LINK_DOWN		0	/* not initialised, or gone */
#define ZOC_LINK_UP		1	/* doorbells can be delivered to it */

/**
 * struct zoc_link_side - state a side publishes about itself
 * @state: ZOC_LINK_DOWN or ZOC_LINK_UP; UP is written only after the
 *	side can take doorbells (MSI-X enabled), so the peer never rings
 *	into the void
 * @epoch: changes every time the side (re)starts
 * @peer_id: the side's doorbell address (its ivshmem IVPosition)
 * @doorbells: doorbells the side has received from the other side
 * @probes: wiring probes the side has answered (service VM) or issued (host)
 * @reserved: zero
 */
struct zoc_link_side {
	__le32 state;
	__le32 epoch;
	__le32 peer_id;
	__le32 reserved0;
	__le64 doorbells;
	__le64 probes;
	__le64 reserved[4];
};

/**
 * struct zoc_link_probe - the wiring probe, issued by the host
 * @marker_addr: host physical address of a page of host RAM that holds a
 *	&struct zoc_link_marker
 * @cookie: the cookie the host wrote into that marker
 * @seq: incremented by the host for each probe
 * @reserved: zero
 *
 * The service VM answers a probe by reading the marker through its L0
 * window, checking the cookie, writing ~cookie into the marker's @echo and
 * ringing the host.
 */
struct zoc_link_probe {
	__le64 marker_addr;
	__le64 cookie;
	__le64 seq;
	__le64 reserved[5];
};

#define ZOC_LINK_MARKER_MAGIC	0x52454b52414d434fULL	/* "OCMARKER" */

/**
 * struct zoc_link_marker - what the host writes at @marker_addr
 * @magic: ZOC_LINK_MARKER_MAGIC
 * @cookie: as in &struct zoc_link_probe
 * @echo: written by the service VM: ~@cookie
 * @seq: written by the service VM: the probe's @seq
 */
struct zoc_link_marker {
	__le64 magic;
	__le64 cookie;
	__le64 echo;
	__le64 seq;
};

/**
 * struct zoc_link_area - the head of the link area
 * @magic: ZOC_LINK_MAGIC, written by the host
 * @version: ZOC_LINK_VERSION
 * @size: size of the link area in bytes
 * @reserved0: zero
 * @host: written by the host only
 * @svm: written by the service VM only
 * @probe: written by the host only
 */
struct zoc_link_area {
	__le64 magic;
	__le32 version;
	__le32 size;
	__le64 reserved0[6];
	struct zoc_link_side host;
	struct zoc_link_side svm;
	struct zoc_link_probe probe;
};

#endif /* _UAPI_LINUX_ZOC_LINK_H */
