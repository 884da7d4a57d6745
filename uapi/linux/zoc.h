/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ZOC management: the generic netlink family "zoc" of the host kernel.
 *
 * Devices served by the service VM are created, listed and destroyed
 * through it (tools/zocctl speaks it).  Creating or destroying a device
 * needs CAP_NET_ADMIN; errors come with an extended ack message.
 */
#ifndef _UAPI_LINUX_ZOC_H
#define _UAPI_LINUX_ZOC_H

#define ZOC_GENL_NAME		"zoc"
#define ZOC_GENL_VERSION	1

/**
 * enum zoc_cmd - commands of the family
 * @ZOC_CMD_UNSPEC: invalid
 * @ZOC_CMD_DEV_NEW: create a device: ZOC_A_DEV_TYPE, ZOC_A_DEV_NAME,
 *	ZOC_A_DEV_BACKEND (storage) or ZOC_A_DEV_MAC, ZOC_A_DEV_VNI,
 *	ZOC_A_DEV_IPV4 and ZOC_A_DEV_PREFIX_LEN (network), optional
 *	ZOC_A_DEV_QUEUES; the reply is the device
 *	as ZOC_CMD_DEV_GET shows it
 * @ZOC_CMD_DEV_DEL: destroy the device ZOC_A_DEV_NAME (hot-remove)
 * @ZOC_CMD_DEV_GET: one device (ZOC_A_DEV_NAME) or, dumped, all of them
 * @ZOC_CMD_LINK_GET: the state of a link to a service VM (ZOC_A_LINK_ID)
 *	or, dumped, of all of them
 * @ZOC_CMD_DEV_SET: change the device ZOC_A_DEV_NAME: ZOC_A_DEV_LINK
 *	(network devices)
 * @ZOC_CMD_LINK_SET: change the link ZOC_A_LINK_ID:
 *	ZOC_A_LINK_OUTAGE_LIMIT, ZOC_A_LINK_POLL
 * @ZOC_CMD_NS_ADD: attach the volume ZOC_A_DEV_BACKEND to the running NVMe
 *	controller ZOC_A_DEV_NAME as namespace ZOC_A_NS_ID (the lowest free
 *	one if absent); the reply is the device as ZOC_CMD_DEV_GET shows it
 * @ZOC_CMD_NS_DEL: detach namespace ZOC_A_NS_ID of the NVMe controller
 *	ZOC_A_DEV_NAME
 * @__ZOC_CMD_MAX: internal
 * @ZOC_CMD_MAX: highest command
 */
enum zoc_cmd {
	ZOC_CMD_UNSPEC,
	ZOC_CMD_DEV_NEW,
	ZOC_CMD_DEV_DEL,
	ZOC_CMD_DEV_GET,
	ZOC_CMD_LINK_GET,
	ZOC_CMD_DEV_SET,
	ZOC_CMD_LINK_SET,
	ZOC_CMD_NS_ADD,
	ZOC_CMD_NS_DEL,
	__ZOC_CMD_MAX,
	ZOC_CMD_MAX = __ZOC_CMD_MAX - 1
};

/**
 * enum zoc_attr - attributes of the family
 * @ZOC_A_UNSPEC: invalid
 * @ZOC_A_DEV_NAME: string, 1 to 15 characters of [a-zA-Z0-9_.-]
 * @ZOC_A_DEV_TYPE: u32, ZOC_DEV_NVME, ZOC_DEV_VIRTIO_BLK, ...
 *	(linux/zoc_link.h)
 * @ZOC_A_DEV_BACKEND: string, the service VM's block device (e.g. "vda")
 * @ZOC_A_DEV_QUEUES: u32, I/O queue pairs (0 or absent: one per host CPU)
 * @ZOC_A_DEV_PCI: string, the function's PCI address ("5a0c:00:01.0")
 * @ZOC_A_DEV_STATE: u32, enum zoc_dev_state
 * @ZOC_A_DEV_STATS: nested, enum zoc_stat, each a u64
 * @ZOC_A_LINK_STATE: u32, enum zoc_link_status
 * @ZOC_A_LINK_EPOCH: u32, the service VM's epoch the host attached to
 * @ZOC_A_LINK_RESETS: u64, link resets
 * @ZOC_A_LINK_TIMEOUTS: u64, requests that timed out
 * @ZOC_A_PAD: padding for 64-bit attributes
 * @ZOC_A_DEV_FLAGS: u32, ZOC_DEV_F_* (linux/zoc_link.h), at creation
 * @ZOC_A_DEV_MAC: binary, 6 bytes: a network device's MAC address (unicast)
 * @ZOC_A_DEV_VNI: u32, a network device's VPC (VNI, below 2^24)
 * @ZOC_A_DEV_IPV4: u32 (network order), a network device's address in its
 *	VPC
 * @ZOC_A_DEV_PREFIX_LEN: u8, the prefix length of its subnet, 1 to 32
 * @ZOC_A_DEV_LINK: u8, a network device's link as its host administrator
 *	set it: 1 up (the default), 0 down
 * @ZOC_A_LINK_ID: u32, the link to a service VM a command is for (0, the
 *	first, if absent), and the one a device or link reported is on;
 *	device names are unique per link
 * @ZOC_A_LINK_OUTAGE_LIMIT: u32, milliseconds: how long the functions of
 *	a link stall for a service VM that went away before they are
 *	surprise-removed; 0: at once (no ride-through).  At most
 *	ZOC_LINK_OUTAGE_LIMIT_MAX
 * @ZOC_A_LINK_STALLED: u32, functions of the link stalled now, waiting
 *	for a service VM
 * @ZOC_A_LINK_POLL: u32, microseconds: how long the service VM's models
 *	poll a queue that ran dry before they sleep until an interrupt;
 *	0 (the default) for none.  At most ZOC_LINK_POLL_MAX_US
 *	(linux/zoc_link.h)
 * @ZOC_A_LINK_QUEUES: u32, the link's data queues in use: ring pairs of
 *	the I/O path, one per host CPU, each with its vector; 0 if the link
 *	is down or either side has none
 * @ZOC_A_NS_ID: u32, a namespace of an NVMe controller, 1 to
 *	ZOC_DEV_MAX_NS (linux/zoc_link.h)
 * @ZOC_A_DEV_NAMESPACES: nested, an NVMe controller's namespaces: for
 *	each, a string attribute whose type is the namespace's identifier
 *	and whose value is its volume
 * @__ZOC_A_MAX: internal
 * @ZOC_A_MAX: highest attribute
 */
enum zoc_attr {
	ZOC_A_UNSPEC,
	ZOC_A_DEV_NAME,
	ZOC_A_DEV_TYPE,
	ZOC_A_DEV_BACKEND,
	ZOC_A_DEV_QUEUES,
	ZOC_A_DEV_PCI,
	ZOC_A_DEV_STATE,
	ZOC_A_DEV_STATS,
	ZOC_A_LINK_STATE,
	ZOC_A_LINK_EPOCH,
	ZOC_A_LINK_RESETS,
	ZOC_A_LINK_TIMEOUTS,
	ZOC_A_PAD,
	ZOC_A_DEV_FLAGS,
	ZOC_A_DEV_MAC,
	ZOC_A_DEV_VNI,
	ZOC_A_DEV_IPV4,
	ZOC_A_DEV_PREFIX_LEN,
	ZOC_A_DEV_LINK,
	ZOC_A_LINK_ID,
	ZOC_A_LINK_OUTAGE_LIMIT,
	ZOC_A_LINK_STALLED,
	ZOC_A_NS_ID,
	ZOC_A_DEV_NAMESPACES,
	ZOC_A_LINK_POLL,
	ZOC_A_LINK_QUEUES,
	__ZOC_A_MAX,
	ZOC_A_MAX = __ZOC_A_MAX - 1
};

#define ZOC_LINK_OUTAGE_LIMIT_DEF	60000	/* ms: well above a boot */
#define ZOC_LINK_OUTAGE_LIMIT_MAX	3600000

/**
 * enum zoc_dev_state - a device as the host sees it
 * @ZOC_DEV_STATE_UP: on the bus, served
 * @ZOC_DEV_STATE_GONE: the service VM stopped answering: its function
 *	reads all ones until it is deleted
 * @ZOC_DEV_STATE_STALLED: its service VM went away: the function waits
 *	for one to take it over, up to the link's outage limit
 */
enum zoc_dev_state {
	ZOC_DEV_STATE_UP,
	ZOC_DEV_STATE_GONE,
	ZOC_DEV_STATE_STALLED,
};

/**
 * enum zoc_link_status - the link as the host sees it
 * @ZOC_LINK_STATUS_DOWN: no service VM
 * @ZOC_LINK_STATUS_UP: attached and answering
 * @ZOC_LINK_STATUS_STALLED: the service VM's heartbeat stopped
 * @ZOC_LINK_STATUS_RESTARTING: a new service VM epoch is being taken
 */
enum zoc_link_status {
	ZOC_LINK_STATUS_DOWN,
	ZOC_LINK_STATUS_UP,
	ZOC_LINK_STATUS_STALLED,
	ZOC_LINK_STATUS_RESTARTING,
};

/**
 * enum zoc_stat - counters of a device (ZOC_A_DEV_STATS)
 * @ZOC_STAT_UNSPEC: invalid
 * @ZOC_STAT_MMIO_READS: BAR reads forwarded over the link
 * @ZOC_STAT_MMIO_WRITES: BAR writes forwarded over the link
 * @ZOC_STAT_SHADOW_READS: BAR reads served from the register shadow
 * @ZOC_STAT_DOORBELL_WRITES: doorbell writes trapped
 * @ZOC_STAT_DOORBELL_MSGS: doorbell messages sent for them
 * @ZOC_STAT_IRQS: interrupts delivered to the driver
 * @ZOC_STAT_IRQS_MASKED: interrupts left pending by a masked vector
 * @ZOC_STAT_COMMANDS: commands completed by the device model
 * @ZOC_STAT_ERRORS: commands that completed with an error
 * @ZOC_STAT_READ_BYTES: bytes read by the host
 * @ZOC_STAT_WRITE_BYTES: bytes written by the host
 * @ZOC_STAT_RESETS: device resets
 * @ZOC_STAT_INVALID: malformed input refused by the device model
 * @ZOC_STAT_PAD: padding for 64-bit attributes
 * @ZOC_STAT_KEPT_WRITES: BAR writes kept while stalled, replayed to the
 *	service VM that took the function over
 * @ZOC_STAT_STALLED_READS: BAR reads answered while stalled, with what a
 *	removed function reads
 * @ZOC_STAT_TAKEOVERS: service VMs that took the function over
 * @ZOC_STAT_ROUND_TRIPS: interrupts delivered after a doorbell message,
 *	each ending a round trip through the service VM
 * @ZOC_STAT_ROUND_TRIP_NS: the time from the last doorbell message to the
 *	interrupt, over those round trips, in nanoseconds
 * @ZOC_STAT_SVM_WAIT_NS: service VM, nanoseconds: a queue's work waited to
 *	run once a doorbell or a completion asked for it
 * @ZOC_STAT_SVM_PREP_NS: service VM, nanoseconds: requests taken to in the
 *	backend (checks, address translation, copies of written data)
 * @ZOC_STAT_SVM_BACKEND_NS: service VM, nanoseconds: requests in the
 *	backend's block device
 * @ZOC_STAT_SVM_DONE_NS: service VM, nanoseconds: out of the backend to
 *	completion posted (copies of read data)
 * @ZOC_STAT_SVM_NOTIFY_NS: service VM, nanoseconds: completion posted to
 *	interrupt message sent
 * @ZOC_STAT_SVM_POLLED: service VM: polls of a queue that ran dry that
 *	found more work, with no doorbell (performance mode)
 * @ZOC_STAT_SVM_POLL_NS: service VM, nanoseconds: spent polling
 * @ZOC_STAT_SVM_IN_PLACE_BYTES: service VM: bytes of writes its block
 *	device read in place in host memory, not copied
 * @__ZOC_STAT_MAX: internal
 * @ZOC_STAT_MAX: highest counter
 */
enum zoc_stat {
	ZOC_STAT_UNSPEC,
	ZOC_STAT_MMIO_READS,
	ZOC_STAT_MMIO_WRITES,
	ZOC_STAT_SHADOW_READS,
	ZOC_STAT_DOORBELL_WRITES,
	ZOC_STAT_DOORBELL_MSGS,
	ZOC_STAT_IRQS,
	ZOC_STAT_IRQS_MASKED,
	ZOC_STAT_COMMANDS,
	ZOC_STAT_ERRORS,
	ZOC_STAT_READ_BYTES,
	ZOC_STAT_WRITE_BYTES,
	ZOC_STAT_RESETS,
	ZOC_STAT_INVALID,
	ZOC_STAT_PAD,
	ZOC_STAT_KEPT_WRITES,
	ZOC_STAT_STALLED_READS,
	ZOC_STAT_TAKEOVERS,
	ZOC_STAT_ROUND_TRIPS,
	ZOC_STAT_ROUND_TRIP_NS,
	ZOC_STAT_SVM_WAIT_NS,
	ZOC_STAT_SVM_PREP_NS,
	ZOC_STAT_SVM_BACKEND_NS,
	ZOC_STAT_SVM_DONE_NS,
	ZOC_STAT_SVM_NOTIFY_NS,
	ZOC_STAT_SVM_POLLED,
	ZOC_STAT_SVM_POLL_NS,
	ZOC_STAT_SVM_IN_PLACE_BYTES,
	__ZOC_STAT_MAX,
	ZOC_STAT_MAX = __ZOC_STAT_MAX - 1
};

#endif /* _UAPI_LINUX_ZOC_H */
