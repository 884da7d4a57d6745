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

#include <linux/ioctl.h>
#include <linux/types.h>

#define ZOC_LINK_MAGIC		0x004b4e494c434f5aULL	/* "ZOCLINK" */
#define ZOC_LINK_VERSION	7
#define ZOC_LINK_AREA_SIZE	0x200000

/* Heartbeats: a side whose heartbeat stalls this long is taken for dead. */
#define ZOC_LINK_HEARTBEAT_MS	100
#define ZOC_LINK_DEAD_MS	5000

/* enum zoc_link_state: a side's view of itself */
#define ZOC_LINK_DOWN		0	/* not initialised, or gone */
#define ZOC_LINK_UP		1	/* doorbells can be delivered to it */
#define ZOC_LINK_CLAIMED	2	/* a service VM is taking it: held */

/**
 * struct zoc_link_side - state a side publishes about itself
 * @state: ZOC_LINK_DOWN or ZOC_LINK_UP; UP is written only after the
 *	side can take doorbells (MSI-X enabled), so the peer never rings
 *	into the void.  A standby service VM takes a service VM side that
 *	is DOWN by turning it into ZOC_LINK_CLAIMED with a compare and
 *	exchange, before it writes anything else there, so that of two
 *	standbys that find it free at once only one takes it; the host
 *	reads CLAIMED as DOWN.
 * @epoch: changes every time the side (re)starts or resets the link
 * @peer_id: the side's doorbell address (its ivshmem IVPosition)
 * @ack_epoch: the other side's epoch this side accepted: the host formats
 *	the rings for a service VM epoch and then acknowledges it; the
 *	service VM attaches to them for a host epoch and then acknowledges
 *	it.  The link is up when both acknowledge each other's epoch.
 * @doorbells: doorbells the side has received from the other side
 * @probes: wiring probes the side has answered (service VM) or issued (host)
 * @heartbeat: incremented by the side every ZOC_LINK_HEARTBEAT_MS
 * @caps: ZOC_LINK_CAP_*, what the side offers beyond the protocol;
 *	written before @state goes UP
 * @poll_us: the host's only, at any time: how long the service VM's
 *	models keep polling a queue that ran dry for more work before they
 *	ask for notifications and sleep, in microseconds (performance
 *	mode); 0: they sleep at once, and interrupts wake them (zero-cost
 *	mode).  The service VM reads it each time, bounded by
 *	ZOC_LINK_POLL_MAX_US.  Zero on the service VM's side
 * @queues: the data queues the side can be rung for, one doorbell vector
 *	each (vector 1 + N for queue N), at most ZOC_LINK_MAX_QUEUES;
 *	written before @state goes UP.  The link uses as many as both
 *	sides offer, none if either offers none
 * @queues_used: the service VM's only: the data queues it attached for
 *	the host epoch it acknowledges, written before @ack_epoch; the host
 *	uses as many, and resets the link if that is more than it offers.
 *	Zero on the host's side
 * @reserved: zero
 */
struct zoc_link_side {
	__le32 state;
	__le32 epoch;
	__le32 peer_id;
	__le32 ack_epoch;
	__le64 doorbells;
	__le64 probes;
	__le64 heartbeat;
	__le32 caps;
	__le32 poll_us;
	__le32 queues;
	__le32 queues_used;
	__le64 reserved;
};

/* zoc_link_side.poll_us: the most the service VM polls, and a default */
#define ZOC_LINK_POLL_MAX_US	10000
#define ZOC_LINK_POLL_DEF_US	200

/*
 * zoc_link_side.caps.  ZOC_LINK_CAP_TEST: the side answers the tests'
 * messages, control requests and device types (numbers in the ranges left
 * to tests below, defined with the tests, not here); only a kernel built
 * for tests offers it.
 */
#define ZOC_LINK_CAP_TEST	0x1

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

/*
 * Rings: single-producer single-consumer queues of fixed-size messages.
 *
 * A ring is a &struct zoc_ring_hdr followed by @size message slots of
 * ZOC_MSG_SIZE bytes.  The header has four cache lines: the first is
 * written once by whoever formats the ring, the second only by the
 * producer (its index), the third and fourth only by the consumer (its
 * index, and its doorbell requests, apart so that the producer can read
 * the requests without taking the index's line away from the consumer).
 * Indices are free-running
 * 32-bit counters; slot i is at index (i & (size - 1)).  The host formats
 * both rings of the link; drivers/zoc/link/ring.h is the implementation.
 */
#define ZOC_RING_MAGIC		0x474e4952	/* "RING" */
#define ZOC_RING_MIN_SLOTS	2
#define ZOC_RING_MAX_SLOTS	4096
#define ZOC_RING_CACHELINE	64

/* Ring placement inside the link area (offsets from its start) */
#define ZOC_LINK_REQ_RING	0x1000	/* requests: host to service VM */
#define ZOC_LINK_CPL_RING	0x8000	/* completions: service VM to host */
#define ZOC_LINK_RING_SPAN	0x7000	/* bytes each ring may occupy */
#define ZOC_LINK_RING_SLOTS	256	/* slots of each ring */
/*
 * Data queues: ring pairs that carry the I/O path's posted messages only,
 * doorbells (ZOC_MSG_DOORBELL, on the request ring) and interrupts
 * (ZOC_MSG_IRQ, on the completion ring), one pair per host CPU, each
 * rung on a vector of its own, so that no lock and no vector is shared
 * between CPUs.  Queue N's request ring is at ZOC_LINK_QUEUES + 2 * N *
 * ZOC_LINK_QUEUE_SPAN, its completion ring ZOC_LINK_QUEUE_SPAN further.
 * The host formats them with the control rings above.
 */
#define ZOC_LINK_QUEUES		0x100000
#define ZOC_LINK_MAX_QUEUES	16
#define ZOC_LINK_QUEUE_SPAN	0x3000	/* bytes each queue ring may occupy */
#define ZOC_LINK_QUEUE_SLOTS	128	/* slots of each queue ring */
#define ZOC_LINK_CTRL_SLOTS	16	/* control requests a service VM holds */

/*
 * Host RAM as the L0 window shows it, at ZOC_LINK_RAM_MAP in the link area:
 * the host's ranges of System RAM, in ascending order, page aligned, merged
 * where they touch.  On bare metal the window faults anywhere else (the
 * legacy and PCI holes, reserved ranges, the aperture), and the service
 * VM's VMM stops it on such a fault: device models reach host memory only
 * inside one of these ranges.  The host writes the map before it publishes
 * an epoch; the service VM reads it once for each host epoch it attaches to.
 */
#define ZOC_LINK_RAM_MAP	0xf000
#define ZOC_LINK_RAM_RANGES	255

/**
 * struct zoc_link_ram_range - one range of host RAM
 * @start: its first byte, page aligned
 * @end: the byte past its last, page aligned, above @start
 */
struct zoc_link_ram_range {
	__le64 start;
	__le64 end;
};

/**
 * struct zoc_link_ram_map - host RAM, written by the host only
 * @count: ranges used, at most ZOC_LINK_RAM_RANGES
 * @reserved0: zero
 * @reserved: zero
 * @range: the ranges, each above the one before, not touching it
 */
struct zoc_link_ram_map {
	__le32 count;
	__le32 reserved0;
	__le64 reserved;
	struct zoc_link_ram_range range[ZOC_LINK_RAM_RANGES];
};

/* zoc_ring_hdr.cons_flags */
#define ZOC_RING_F_POLLING	0x1	/* consumer polls: no doorbells */

/**
 * struct zoc_ring_hdr - the shared header of one ring
 * @magic: ZOC_RING_MAGIC, written last when the ring is formatted
 * @size: number of message slots, a power of two between
 *	ZOC_RING_MIN_SLOTS and ZOC_RING_MAX_SLOTS
 * @msg_size: ZOC_MSG_SIZE
 * @reserved0: zero
 * @prod: producer index: the number of messages ever published
 * @reserved1: zero
 * @cons: consumer index: the number of messages ever consumed
 * @reserved2: zero
 * @event: the consumer wants a doorbell once @prod moves past this index
 *	(virtio's event index)
 * @cons_flags: ZOC_RING_F_POLLING while the consumer polls the ring and
 *	wants no doorbell at all
 * @reserved3: zero
 *
 * 256 bytes; the slots follow at offset 256, cache-line aligned.
 * @prod - @cons never exceeds @size.  Each side validates the other
 * side's index before using it and never reads back its own.
 */
struct zoc_ring_hdr {
	/* cache line 0: written by the side that formats the ring */
	__le32 magic;
	__le32 size;
	__le32 msg_size;
	__le32 reserved0[13];
	/* cache line 1: written by the producer only */
	__le32 prod;
	__le32 reserved1[15];
	/* cache line 2: written by the consumer only, for every message */
	__le32 cons;
	__le32 reserved2[15];
	/* cache line 3: written by the consumer only, to sleep or wake */
	__le32 event;
	__le32 cons_flags;
	__le32 reserved3[14];
};

#define ZOC_RING_HDR_SIZE	256

/* Messages: 16 bytes of header, 48 bytes of payload. */
#define ZOC_MSG_SIZE		64
#define ZOC_MSG_HDR_SIZE	16
#define ZOC_MSG_PAYLOAD_SIZE	48

/* zoc_msg_hdr.type */
#define ZOC_MSG_NONE		0	/* never sent */
#define ZOC_MSG_MMIO_READ	1	/* host: read a device register */
#define ZOC_MSG_MMIO_WRITE	2	/* host: write a device register */
#define ZOC_MSG_MMIO_REPLY	3	/* service VM: result of a read */
#define ZOC_MSG_IRQ		4	/* service VM: raise a device vector */
#define ZOC_MSG_CTRL_REQ	5	/* either side: control request */
#define ZOC_MSG_CTRL_REPLY	6	/* either side: control reply */
#define ZOC_MSG_DOORBELL	8	/* host: doorbells of hdr.dev were written */
/* 0x70 to 0x7f: left to tests (ZOC_LINK_CAP_TEST), never the protocol's */

/* zoc_msg_mmio_reply.status and zoc_msg_ctrl.status */
#define ZOC_MSG_OK		0
#define ZOC_MSG_EINVAL		1	/* malformed request */
#define ZOC_MSG_ENODEV		2	/* no such device or region */
#define ZOC_MSG_ENOTSUPP	3	/* unknown type or opcode */
#define ZOC_MSG_EIO		4	/* the device model failed */
#define ZOC_MSG_EBUSY		5	/* too many requests in flight, or a
					 * volume not attached yet: retry
					 */
#define ZOC_MSG_EINUSE		6	/* the backend is another device's */
#define ZOC_MSG_ESTATE		7	/* no valid saved state to go on from */
#define ZOC_MSG_EMEDIUM		8	/* the volume's block device cannot be opened */

/**
 * struct zoc_msg_hdr - the header of every message
 * @type: ZOC_MSG_*
 * @flags: zero; no flags are defined yet
 * @len: bytes of the payload that are used, at most ZOC_MSG_PAYLOAD_SIZE
 * @tag: sequence number or tag; a reply carries its request's tag.  A
 *	ZOC_MSG_MMIO_WRITE's is the function's write number, one more than
 *	the write posted before it (a write sent again gets a new one; 0 is
 *	none): &struct zoc_dev_live.writes.  A ZOC_MSG_DOORBELL's is the
 *	data queue of the host CPU that sent it: the service VM raises the
 *	device's interrupts on that queue (modulo the queues in use), whose
 *	vector the host bound to that CPU
 * @dev: the device the message is about, 0 if none
 * @reserved: zero
 */
struct zoc_msg_hdr {
	__u8 type;
	__u8 flags;
	__le16 len;
	__le32 tag;
	__le32 dev;
	__le32 reserved;
};

/**
 * struct zoc_msg_mmio - payload of ZOC_MSG_MMIO_READ and ZOC_MSG_MMIO_WRITE
 * @bar: the device's region (BAR number)
 * @size: access size in bytes: 1, 2, 4 or 8
 * @reserved0: zero
 * @reserved1: zero
 * @offset: byte offset into the region
 * @value: the value written; zero for a read
 */
struct zoc_msg_mmio {
	__u8 bar;
	__u8 size;
	__le16 reserved0;
	__le32 reserved1;
	__le64 offset;
	__le64 value;
};

/**
 * struct zoc_msg_mmio_reply - payload of ZOC_MSG_MMIO_REPLY
 * @value: the value read, zero extended
 * @status: ZOC_MSG_OK or a ZOC_MSG_E* code
 * @reserved: zero
 *
 * The header's tag is the request's tag.
 */
struct zoc_msg_mmio_reply {
	__le64 value;
	__le32 status;
	__le32 reserved;
};

/**
 * struct zoc_msg_irq - payload of ZOC_MSG_IRQ
 * @vector: the device's interrupt vector (MSI-X entry)
 * @reserved: zero
 */
struct zoc_msg_irq {
	__le32 vector;
	__le32 reserved;
};

#define ZOC_MSG_CTRL_DATA	40

/*
 * zoc_msg_ctrl.opcode.  Control requests go both ways: the host's on the
 * request ring, answered on the completion ring, the service VM's on the
 * completion ring, answered on the request ring.
 *
 * ZOC_CTRL_PING: either side; the reply repeats the request's data.
 *
 * ZOC_CTRL_DEV_CREATE: host; data is a &struct zoc_ctrl_dev_create.  The
 * service VM creates the device model, writes its image into the device
 * page of the slot, then replies ZOC_MSG_OK; or replies ZOC_MSG_EINVAL (bad
 * request), ZOC_MSG_ENODEV (a volume the service VM's configuration does
 * not list), ZOC_MSG_EMEDIUM (a volume it lists whose block device cannot
 * be opened), ZOC_MSG_EBUSY (a volume it lists but has not attached yet:
 * ask again), ZOC_MSG_EINUSE (a volume another device holds),
 * ZOC_MSG_ENOTSUPP (unknown type) or ZOC_MSG_EIO (the model failed).  The slot is the device's
 * number in every later message (hdr.dev).
 *
 * A service VM answers ZOC_MSG_EBUSY to a control request that finds all
 * its control slots taken (ZOC_LINK_CTRL_SLOTS): the requests it holds
 * are bounded, whatever the host sends.
 *
 * ZOC_CTRL_DEV_DESTROY: host; data is the slot (__le32).  The model stops
 * touching host memory before the reply.
 *
 * ZOC_CTRL_DEV_LINK: host; data is a &struct zoc_ctrl_dev_link: the host
 * administrator sets a network device's link up or down.  Replies
 * ZOC_MSG_OK, ZOC_MSG_EINVAL (no such device) or ZOC_MSG_ENOTSUPP (not a
 * network device).
 *
 * ZOC_CTRL_DEV_ATTACH: host; data is a &struct zoc_ctrl_dev_create, the
 * one the device was created with.  A service VM that took the link over
 * (a new epoch) while the host kept the device's function: the model
 * takes the device over from the slot's state page and the image in its
 * device page, which it must reproduce, and goes on where the last one
 * stopped; then replies ZOC_MSG_OK.  Or ZOC_MSG_ENOTSUPP (no model of the
 * type yet: the host asks again), ZOC_MSG_ESTATE (no valid saved state, or
 * an image the model cannot reproduce), ZOC_MSG_ENODEV (the volume is
 * no longer listed), ZOC_MSG_EMEDIUM (its device is gone),
 * ZOC_MSG_EINUSE, ZOC_MSG_EINVAL or ZOC_MSG_EIO, as for
 * ZOC_CTRL_DEV_CREATE: the host then removes the function.  A device the
 * service VM serves already under that name is answered ZOC_MSG_OK.
 *
 * ZOC_CTRL_DEV_LOST: service VM; data is a &struct zoc_ctrl_dev_lost: the
 * device of a slot lost its model for good (a model that let go of it
 * saved no state that the next one could take over).  The host removes
 * its function as for a surprise removal, then destroys the slot; it
 * replies ZOC_MSG_OK, or ZOC_MSG_ENODEV if it has no such device.
 *
 * ZOC_CTRL_MODEL_ADDED: service VM; data is the model's device type, a
 * ZOC_DEV_* (__le32): a device model registered while the link was up.
 * The host asks at once again for the takeovers it was answered
 * ZOC_MSG_ENOTSUPP (ZOC_CTRL_DEV_ATTACH), rather than at its next look;
 * it replies ZOC_MSG_OK.  A service VM booting after a crash brings its
 * link up before its models' modules are loaded.
 *
 * ZOC_CTRL_NS_ATTACH: host; data is a &struct zoc_ctrl_ns: attach the
 * volume @volume to the storage device of @slot as its namespace @nsid, on
 * a running device (hot-attach).  An NVMe controller reports the change
 * with a Namespace Attribute Changed event.  The reply is ZOC_MSG_OK,
 * ZOC_MSG_EINVAL (no such device, a namespace out of range or taken),
 * ZOC_MSG_ENOTSUPP (the device has one disk only), or the statuses of
 * ZOC_CTRL_DEV_CREATE for the volume.
 *
 * ZOC_CTRL_NS_DETACH: host; data is a &struct zoc_ctrl_ns, @volume
 * unused: detach namespace @nsid from the device of @slot.  Its commands
 * in flight complete first; those that come after fail as for a namespace
 * that is not there.  The reply is ZOC_MSG_OK, ZOC_MSG_EINVAL or
 * ZOC_MSG_ENODEV (no such namespace).
 *
 * Opcodes from 0x7f000000 to 0x7fffffff are left to tests
 * (ZOC_LINK_CAP_TEST), never the protocol's.
 */
#define ZOC_CTRL_PING		0x00000001
#define ZOC_CTRL_DEV_CREATE	0x00000002
#define ZOC_CTRL_DEV_DESTROY	0x00000003
#define ZOC_CTRL_DEV_LINK	0x00000004
#define ZOC_CTRL_DEV_LOST	0x00000005
#define ZOC_CTRL_DEV_ATTACH	0x00000006
#define ZOC_CTRL_MODEL_ADDED	0x00000007
#define ZOC_CTRL_NS_ATTACH	0x00000008
#define ZOC_CTRL_NS_DETACH	0x00000009

/* zoc_ctrl_dev_create.type; 0x70 to 0x7f are left to tests */
#define ZOC_DEV_NVME		1
#define ZOC_DEV_VIRTIO_BLK	2
#define ZOC_DEV_VIRTIO_NET	3

/* zoc_ctrl_dev_create.queues: the most a device of each type serves */
#define ZOC_DEV_NVME_MAX_QUEUES		31	/* I/O pairs: 64 doorbells */
#define ZOC_DEV_VIRTIO_BLK_MAX_QUEUES	16
#define ZOC_DEV_VIRTIO_NET_MAX_QUEUES	7	/* and a control queue */

#define ZOC_DEV_NAME_LEN	16	/* with the terminating NUL */

/* zoc_ctrl_dev_create.flags */
#define ZOC_DEV_F_NO_SHADOW_DB	0x01	/* NVMe: no Doorbell Buffer Config */

/**
 * struct zoc_ctrl_net - what the host asks for a network device
 * @mac: the vNIC's MAC address (unicast, not zero)
 * @prefix_len: the prefix length of @ipv4's subnet, 1 to 32
 * @reserved: zero
 * @vni: the VPC's virtual network identifier (24 bits)
 * @ipv4: the vNIC's IPv4 address in the VPC (network order)
 *
 * A request only: the service VM's VPC configuration decides whether this
 * host may have this identity.
 */
struct zoc_ctrl_net {
	__u8 mac[6];
	__u8 prefix_len;
	__u8 reserved;
	__le32 vni;
	__be32 ipv4;
};

/**
 * struct zoc_ctrl_dev_create - data of ZOC_CTRL_DEV_CREATE
 * @type: ZOC_DEV_*
 * @flags: ZOC_DEV_F_*; models ignore those that do not apply to them
 * @queues: queue pairs the device offers (0: the model's default)
 * @slot: the device's slot, below ZOC_LINK_MAX_DEVS
 * @name: its name, NUL terminated
 * @backend: storage devices: the volume it is made of, by the name the
 *	service VM's configuration gives it (Documentation/zoc/volumes.rst),
 *	NUL terminated
 * @net: network devices: their identity
 */
struct zoc_ctrl_dev_create {
	__u8 type;
	__u8 flags;
	__le16 queues;
	__le32 slot;
	char name[ZOC_DEV_NAME_LEN];
	union {
		char backend[ZOC_DEV_NAME_LEN];
		struct zoc_ctrl_net net;
	};
};

/**
 * struct zoc_ctrl_dev_link - data of ZOC_CTRL_DEV_LINK
 * @slot: the device's slot
 * @up: 1 for link up, 0 for down
 * @reserved: zero
 */
struct zoc_ctrl_dev_link {
	__le32 slot;
	__u8 up;
	__u8 reserved[3];
};

/**
 * struct zoc_ctrl_dev_lost - data of ZOC_CTRL_DEV_LOST
 * @slot: the device's slot
 * @error: why, a positive errno, for the host's log
 */
struct zoc_ctrl_dev_lost {
	__le32 slot;
	__le32 error;
};

/* Namespaces of a storage device: identifiers 1 to ZOC_DEV_MAX_NS */
#define ZOC_DEV_MAX_NS		16

/**
 * struct zoc_ctrl_ns - data of ZOC_CTRL_NS_ATTACH and ZOC_CTRL_NS_DETACH
 * @slot: the device's slot
 * @nsid: the namespace, 1 to ZOC_DEV_MAX_NS
 * @volume: ZOC_CTRL_NS_ATTACH: the volume, by the name the service VM's
 *	configuration gives it, NUL terminated; zero otherwise
 */
struct zoc_ctrl_ns {
	__le32 slot;
	__le32 nsid;
	char volume[ZOC_DEV_NAME_LEN];
};

/**
 * struct zoc_msg_ctrl - payload of ZOC_MSG_CTRL_REQ and ZOC_MSG_CTRL_REPLY
 * @opcode: what is asked; a reply repeats it
 * @status: zero in a request; ZOC_MSG_OK or a ZOC_MSG_E* code in a reply
 * @data: inline argument or result; the header's len minus 8 bytes are used
 */
struct zoc_msg_ctrl {
	__le32 opcode;
	__le32 status;
	__u8 data[ZOC_MSG_CTRL_DATA];
};

/**
 * struct zoc_msg - one ring slot
 * @hdr: type, length, tag, device
 * @mmio: ZOC_MSG_MMIO_READ, ZOC_MSG_MMIO_WRITE
 * @reply: ZOC_MSG_MMIO_REPLY
 * @irq: ZOC_MSG_IRQ
 * @ctrl: ZOC_MSG_CTRL_REQ, ZOC_MSG_CTRL_REPLY
 * @data: the raw payload of any message
 *
 * ZOC_MSG_SIZE bytes.  Payload bytes beyond the header's len are zero.
 */
struct zoc_msg {
	struct zoc_msg_hdr hdr;
	union {
		struct zoc_msg_mmio mmio;
		struct zoc_msg_mmio_reply reply;
		struct zoc_msg_irq irq;
		struct zoc_msg_ctrl ctrl;
		__u8 data[ZOC_MSG_PAYLOAD_SIZE];
	};
};

/*
 * Device pages: one page per slot in the link area.  The service VM writes
 * the image of the device it created there, keeps the register shadows and
 * its counters current; the host writes the coalesced doorbells.
 */
#define ZOC_LINK_DEV_PAGES	0x10000
#define ZOC_LINK_DEV_PAGE_SIZE	0x1000
#define ZOC_LINK_MAX_DEVS	32

#define ZOC_DEV_IMAGE_MAGIC	0x5645445a	/* "ZDEV" */
#define ZOC_DEV_MAX_REGIONS	8
#define ZOC_DEV_DOORBELLS	64
#define ZOC_DEV_SHADOW_SIZE	0xc00
#define ZOC_DEV_STATS		32
#define ZOC_DEV_CAPS_SIZE	88

/* zoc_dev_region.policy: how the host serves accesses to a BAR0 range */
#define ZOC_REGION_FORWARD	0	/* reads and writes go over the link */
#define ZOC_REGION_SHADOW	1	/* reads from the shadow; writes forwarded */
#define ZOC_REGION_DOORBELL	2	/* 16/32-bit writes coalesced; reads 0 */

/**
 * struct zoc_dev_region - a range of BAR0 with its own policy
 * @offset: start in BAR0, 4-byte aligned
 * @size: bytes, a multiple of 4
 * @policy: ZOC_REGION_*; doorbells are 4 bytes apart and written with
 *	16- or 32-bit writes (zero extended)
 * @reserved: zero
 * @shadow: ZOC_REGION_SHADOW: where its shadow starts in the device
 *	page's @shadow; ZOC_REGION_DOORBELL: the index of its first doorbell
 *	in @db; @size / 4 doorbells follow
 *
 * Accesses outside every region are forwarded.  Regions do not overlap
 * each other or the MSI-X table and PBA.
 */
struct zoc_dev_region {
	__le32 offset;
	__le32 size;
	__u8 policy;
	__u8 reserved[3];
	__le32 shadow;
};

/*
 * zoc_dev_image.flags.  ZOC_DEV_IMAGE_F_GONE_ZERO: once the service VM is
 * gone, BAR0 reads return zeros rather than all ones (configuration space
 * still reads all ones: the function is not present).  For virtio, whose
 * stock driver waits for the device status to read zero after a reset,
 * however long that takes, and would never see all ones become zero.
 */
#define ZOC_DEV_IMAGE_F_GONE_ZERO	0x01

/**
 * struct zoc_dev_image - what the host's bus makes of a device
 * @magic: ZOC_DEV_IMAGE_MAGIC, written last
 * @type: ZOC_DEV_*
 * @nr_regions: entries used in @region
 * @bar_shift: BAR0 is 1 << @bar_shift bytes, 12 to 24
 * @flags: ZOC_DEV_IMAGE_F_*
 * @vendor: PCI vendor id
 * @device: PCI device id
 * @subsystem_vendor: PCI subsystem vendor id
 * @subsystem_device: PCI subsystem id
 * @class: PCI class code (24 bits) << 8 | revision
 * @msix_vectors: MSI-X table size, 1 to 64 (0: no MSI-X)
 * @reserved1: zero
 * @msix_table: offset of the MSI-X table in BAR0, 8-byte aligned; the
 *	host's bus serves the table and the PBA itself
 * @msix_pba: offset of the PBA in BAR0, 8-byte aligned
 * @caps_len: bytes of @caps used
 * @reserved2: zero
 * @region: ranges of BAR0 with a policy
 * @caps: vendor-specific PCI capabilities (ID 0x09, their length at byte
 *	2), back to back, that the bus puts in config space after MSI-X
 *	(the bus writes their next pointers); read-only to the host
 */
struct zoc_dev_image {
	__le32 magic;
	__u8 type;
	__u8 nr_regions;
	__u8 bar_shift;
	__u8 flags;
	__le16 vendor;
	__le16 device;
	__le16 subsystem_vendor;
	__le16 subsystem_device;
	__le32 class;
	__le16 msix_vectors;
	__le16 reserved1;
	__le32 msix_table;
	__le32 msix_pba;
	__u8 caps_len;
	__u8 reserved2[3];
	struct zoc_dev_region region[ZOC_DEV_MAX_REGIONS];
	__u8 caps[ZOC_DEV_CAPS_SIZE];
};

/* zoc_dev_page.stats, kept by the device model */
#define ZOC_DEV_STAT_COMMANDS	0	/* commands or requests completed */
#define ZOC_DEV_STAT_ERRORS	1	/* ... of which failed */
#define ZOC_DEV_STAT_READ_BYTES	2
#define ZOC_DEV_STAT_WRITE_BYTES 3
#define ZOC_DEV_STAT_IRQS	4	/* interrupts sent */
#define ZOC_DEV_STAT_DOORBELLS	5	/* doorbell values taken */
#define ZOC_DEV_STAT_RESETS	6	/* device resets */
#define ZOC_DEV_STAT_INVALID	7	/* peer input refused */
/*
 * Where requests spend their time in the service VM, in nanoseconds, summed
 * over them (divided by ZOC_DEV_STAT_COMMANDS: the share of each):
 * kicked -> taken -> in the backend -> out of it -> posted -> interrupt.
 */
#define ZOC_DEV_STAT_WAIT_NS	8	/* a queue's work waited to run */
#define ZOC_DEV_STAT_PREP_NS	9	/* taken, not yet in the backend */
#define ZOC_DEV_STAT_BACKEND_NS	10	/* in the backend's block device */
#define ZOC_DEV_STAT_DONE_NS	11	/* out of the backend, not posted */
#define ZOC_DEV_STAT_NOTIFY_NS	12	/* posted, interrupt not yet sent */
/* Performance mode (zoc_link_side.poll_us) */
#define ZOC_DEV_STAT_POLLED	13	/* polls of a dry queue that found work */
#define ZOC_DEV_STAT_POLL_NS	14	/* nanoseconds spent polling */
/* Bytes of writes block devices read in place in host memory, no copy */
#define ZOC_DEV_STAT_IN_PLACE_BYTES 15

/* MSI-X vectors a device may have (struct zoc_dev_image's msix_vectors) */
#define ZOC_DEV_VECTORS		64

/**
 * struct zoc_dev_page - the link area's page of one slot
 * @image: written by the service VM before it answers ZOC_CTRL_DEV_CREATE
 * @reserved0: zero
 * @stats: written by the service VM: ZOC_DEV_STAT_*
 * @db_pending: written by both: the host sets bit i (a locked operation)
 *	after writing @db[i] and sends ZOC_MSG_DOORBELL if no bit was set;
 *	the service VM exchanges it with zero, then reads the doorbells
 * @gone: nonzero once the host declared the function gone without the
 *	model acknowledged destroyed (its driver may let go of its memory):
 *	the model touches host memory no more.  Set by the host; zeroed by the
 *	service VM when it creates the next model in the slot
 * @copying: written by the service VM: copies to or from host memory
 *	under way for the model (a locked operation), each begun after a
 *	full barrier and a check that @gone is zero; the host reads it after
 *	setting @gone and a full barrier, so either the copy sees @gone or
 *	the host sees the copy
 * @irq_queues: written by the host: for each MSI-X vector, the data
 *	queues (bit N: queue N, numbered as in a doorbell's tag) bound to
 *	the online host CPUs its affinity names, or 0 for no preference.
 *	The service VM posts the vector's ZOC_MSG_IRQ on the queue of the
 *	device's last doorbell if it is one of them (or with 0), else on
 *	the first.  Any value is safe: the service VM takes the queue modulo
 *	its queues
 * @reserved1: zero
 * @db: written by the host: the last value of each doorbell
 * @shadow: written by the service VM: the shadows of ZOC_REGION_SHADOW
 *	ranges, kept current by the model
 */
struct zoc_dev_page {
	struct zoc_dev_image image;
	__u8 reserved0[0x100 - sizeof(struct zoc_dev_image)];
	__le64 stats[ZOC_DEV_STATS];
	__le64 db_pending;
	__le32 gone;
	__u32 copying;
	__le16 irq_queues[ZOC_DEV_VECTORS];
	__le64 reserved1[14];
	__le32 db[ZOC_DEV_DOORBELLS];
	__u8 shadow[ZOC_DEV_SHADOW_SIZE];
};

/*
 * State pages: one per slot in the link area, after the device pages,
 * written and read by the service VM only.  A model that lets go of a
 * device it still serves (its module is replaced) saves there what the
 * next model needs to take the device over where it stopped, so that the
 * state lives in host memory, not in the service VM.  The host keeps them
 * and never reads them.
 */
#define ZOC_LINK_SAVED_PAGES	0x30000
#define ZOC_LINK_SAVED_SIZE	0x800

#define ZOC_DEV_SAVED_MAGIC	0x5453445a	/* "ZDST" */

/**
 * struct zoc_dev_saved - what a model saved of a device it let go of
 * @magic: ZOC_DEV_SAVED_MAGIC while @data holds a saved state, written
 *	last; zero otherwise
 * @type: the device's ZOC_DEV_* type
 * @reserved: zero
 * @len: bytes of @data used
 * @crc: crc32 (little-endian, seed ~0) of those bytes
 * @data: the state, in the model's own format (Documentation/zoc)
 */
struct zoc_dev_saved {
	__le32 magic;
	__u8 type;
	__u8 reserved[3];
	__le32 len;
	__le32 crc;
	__u8 data[ZOC_LINK_SAVED_SIZE - 16];
};

/*
 * Live records: one per slot in the link area, after the state pages,
 * written and read by the service VM only.  The model of a device keeps
 * there, while it serves it, what a model needs to take the device over
 * after the service VM died without letting go of it: its registers in
 * two copies, the newer one whole whichever instant the service VM died
 * at, and, in @track, what it fetched from the host's rings and has not
 * completed.  The host keeps them and never reads them.
 */
#define ZOC_LINK_LIVE_PAGES	0x40000
#define ZOC_LINK_LIVE_SIZE	0x6000
#define ZOC_DEV_LIVE_COPY_SIZE	0x800

#define ZOC_DEV_LIVE_MAGIC	0x56494c5a	/* "ZLIV" */

/**
 * struct zoc_dev_live_copy - one copy of a live device's registers
 * @seq: zero while the copy is written; then its sequence number, higher
 *	for the newer copy
 * @len: bytes of @data used
 * @crc: crc32 (little-endian, seed ~0) of those bytes
 * @reserved: zero
 * @data: the registers, in the model's own format (Documentation/zoc)
 */
struct zoc_dev_live_copy {
	__le32 seq;
	__le32 len;
	__le32 crc;
	__le32 reserved;
	__u8 data[ZOC_DEV_LIVE_COPY_SIZE - 16];
};

/**
 * struct zoc_dev_live - the live record of a slot
 * @magic: ZOC_DEV_LIVE_MAGIC while a model keeps the record of a device
 *	the host has; zero otherwise
 * @type: the device's ZOC_DEV_* type
 * @reserved: zero
 * @dev: the request the device was created or taken over with, as the
 *	host made it, written before @magic: what a standby service VM
 *	prepares to take it over with (its slot is the record's; untrusted)
 * @writes: the write number (&struct zoc_msg_hdr.tag) of the last register
 *	write of the host that the device took, 0 for none: the host sends
 *	a service VM that takes the device over the writes after it, which
 *	the last one never took
 * @reserved2: zero
 * @copy: the registers, written in turns
 * @track: what is in flight, in the model's own format, updated in place
 *	in an order that a crash at any instant leaves readable
 */
struct zoc_dev_live {
	__le32 magic;
	__u8 type;
	__u8 reserved[3];
	struct zoc_ctrl_dev_create dev;
	__le32 writes;
	__u8 reserved2[12];
	struct zoc_dev_live_copy copy[2];
	__u8 track[ZOC_LINK_LIVE_SIZE - 64 - 2 * ZOC_DEV_LIVE_COPY_SIZE];
};

/*
 * /dev/zoc-link0: the host's link transport on bare metal.  The broker
 * (zoc-linkd -K) hands the host kernel the eventfds of the service VM's VMM
 * and gets from it the file the VMM maps as the L0 window.
 */

/**
 * struct zoc_link_doorbell - an eventfd and the doorbell id it stands for
 * @fd: the eventfd, or -1 for none
 * @peer: ZOC_LINK_SET_CALL: the host's own doorbell id;
 *	ZOC_LINK_SET_KICK: the service VM's
 */
struct zoc_link_doorbell {
	__s32 fd;
	__u32 peer;
};

#define ZOC_LINK_IOC_MAGIC	0xb7
/* The eventfd the service VM's VMM signals to ring the host; set once. */
#define ZOC_LINK_SET_CALL	_IOW(ZOC_LINK_IOC_MAGIC, 1, struct zoc_link_doorbell)
/*
 * The eventfd that rings the service VM whose doorbell id is @peer; set
 * again when it reconnects, withdrawn with fd -1.  Two service VMs may
 * have one at once: the one serving and a standby.
 */
#define ZOC_LINK_SET_KICK	_IOW(ZOC_LINK_IOC_MAGIC, 2, struct zoc_link_doorbell)
/*
 * Returns a new fd: its size and mmap() are host physical memory (RAM and
 * the link area; the rest faults), for the VMM's window.
 */
#define ZOC_LINK_WINDOW		_IO(ZOC_LINK_IOC_MAGIC, 3)

/* A side's doorbell vectors: 0 for the control rings, 1 + N for data queue N */
#define ZOC_LINK_MAX_VECTORS	(1 + ZOC_LINK_MAX_QUEUES)

/**
 * struct zoc_link_vectors - the eventfds of a side's doorbell vectors
 * @peer: as in &struct zoc_link_doorbell
 * @nr: how many of @fds are given: 1 to ZOC_LINK_MAX_VECTORS, or 0 to
 *	withdraw a service VM's (ZOC_LINK_SET_KICKS only)
 * @fds: vector N's eventfd at @fds[N]
 */
struct zoc_link_vectors {
	__u32 peer;
	__u32 nr;
	__s32 fds[ZOC_LINK_MAX_VECTORS];
};

/*
 * As ZOC_LINK_SET_CALL and ZOC_LINK_SET_KICK, with one eventfd per vector:
 * the host offers @nr - 1 data queues, which the service VM's VMM rings
 * on their vectors, and rings a service VM's data queue N on its vector
 * 1 + N (not at all if it has fewer).  ZOC_LINK_SET_CALL is
 * ZOC_LINK_SET_CALLS with @nr 1, ZOC_LINK_SET_KICK ZOC_LINK_SET_KICKS with
 * @nr 1 (0 for fd -1).
 */
#define ZOC_LINK_SET_CALLS	_IOW(ZOC_LINK_IOC_MAGIC, 4, struct zoc_link_vectors)
#define ZOC_LINK_SET_KICKS	_IOW(ZOC_LINK_IOC_MAGIC, 5, struct zoc_link_vectors)

#endif /* _UAPI_LINUX_ZOC_LINK_H */
