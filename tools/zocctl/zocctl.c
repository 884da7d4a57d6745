// SPDX-License-Identifier: GPL-2.0
/*
 * zocctl: manage ZOC devices through the host kernel's generic netlink
 * family "zoc" (linux/zoc.h), in the manner of iproute2.
 *
 *   zocctl [OPTIONS] dev add TYPE name NAME [volume VOLUME] [queues N]
 *                            [noshadowdb]
 *   zocctl [OPTIONS] dev add virtio-net name NAME mac MAC vni VNI
 *                            ip ADDR/LEN [queues N]
 *   zocctl [OPTIONS] dev set [name] NAME link { up | down }
 *   zocctl [OPTIONS] dev del [name] NAME
 *   zocctl [OPTIONS] dev show [[name] NAME]
 *   zocctl [OPTIONS] ns add [dev] NAME volume VOLUME [nsid N]
 *   zocctl [OPTIONS] ns del [dev] NAME nsid N
 *   zocctl [OPTIONS] link show
 *   zocctl [OPTIONS] link set [outage-limit MS] [poll-us US]
 *                             [mode { performance | zero-cost }]
 *
 * OPTIONS are -j (--json) and -s (--stats); they may also follow the
 * command.  Exit status: 0 success, 1 an error from the kernel or the
 * system, 2 a usage error.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "../../drivers/zoc/link/test_wire.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define EXIT_KERNEL		1	/* the kernel or the system said no */
#define EXIT_USAGE		2	/* the command line is wrong */

#define ZOC_REQ_SIZE		1024
#define ZOC_RECV_SIZE		32768	/* a dump's skb fits */
#define ZOC_MAX_QUEUES		UINT16_MAX	/* zoc_ctrl_dev_create.queues */
#define ZOC_MAX_VNI		((1U << 24) - 1)
#define ZOC_MAX_PREFIX_LEN	32
#define ZOC_STATS_PER_LINE	4
#define ZOC_NAME_CHARS		"abcdefghijklmnopqrstuvwxyz" \
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/**
 * struct zocctl_usage - one line of the usage
 * @object: the object it is about; NULL: every usage has it; "": only
 *	the whole usage has it
 * @text: the line
 */
struct zocctl_usage {
	const char *object;
	const char *text;
};

static const struct zocctl_usage usage_lines[] = {
	{ "dev", "zocctl [OPTIONS] dev add TYPE name NAME [volume VOLUME] [queues N]" },
	{ "dev", "                         [noshadowdb]" },
	{ "dev", "zocctl [OPTIONS] dev add virtio-net name NAME mac MAC vni VNI" },
	{ "dev", "                         ip ADDR/LEN [queues N]" },
	{ "dev", "zocctl [OPTIONS] dev set [name] NAME link { up | down }" },
	{ "dev", "zocctl [OPTIONS] dev del [name] NAME" },
	{ "dev", "zocctl [OPTIONS] dev show [[name] NAME]" },
	{ "ns", "zocctl [OPTIONS] ns show [[name] NAME]" },
	{ "ns", "zocctl [OPTIONS] ns add [dev] NAME volume VOLUME [nsid NSID]" },
	{ "ns", "zocctl [OPTIONS] ns del [dev] NAME nsid NSID" },
	{ "link", "zocctl [OPTIONS] link show" },
	{ "link", "zocctl [OPTIONS] link set [outage-limit MS] [poll-us US]" },
	{ "link", "                          [mode { performance | zero-cost }]" },
	{ "", "zocctl { help | dev help | ns help | link help }" },
};

static const struct zocctl_usage usage_where[] = {
	{ "dev", "TYPE := { nvme | virtio-blk | test }" },
	{ "dev", "NAME := 1 to 15 characters of a-z A-Z 0-9 _ . -" },
	{ "dev", "VOLUME := a volume the service VM's configuration lists (vda); test needs" },
	{ "dev", "          none; nvme takes up to 16, its namespaces 1, 2, ..." },
	{ "ns", "NAME := an NVMe device" },
	{ "ns", "VOLUME := a volume the service VM's configuration lists (vol-a)" },
	{ "ns", "NSID := a namespace, 1 to 16 (add: the lowest free one if not given)" },
	{ "dev", "N := I/O queue pairs, 0 to 65535 (0: one per host CPU)" },
	{ "dev", "MAC := a unicast MAC address, six hex pairs (02:00:00:00:00:10)" },
	{ "dev", "VNI := the VPC's virtual network identifier, 0 to 16777215" },
	{ "dev", "ADDR/LEN := an IPv4 address and its prefix length, 1 to 32 (10.1.0.10/24)" },
	{ NULL, "OPTIONS := { -j[son] | -s[tats] | -l[ink] LINK | -h[elp] }," },
	{ NULL, "           also after the command" },
	{ NULL, "LINK := the link to a service VM, from 0 (the default; show: all links)" },
	{ "link", "MS := milliseconds its devices stall for a lost service VM before they" },
	{ "link", "      are removed, 0 to 3600000 (0: at once; default 60000)" },
	{ "link", "US := microseconds its service VM polls a dry queue, 0 to 10000 (default 0)" },
	{ "dev", "A NAME that starts with - must follow the keyword name." },
};

/**
 * struct zocctl - one run of zocctl
 * @object: the object, once known ("dev"), for the usage
 * @what: the command, for messages ("dev add")
 * @json: print JSON
 * @stats: print the device counters
 * @link: the link the command is for, -1 if not given
 * @first: no member printed yet in the current JSON object
 * @items: objects printed so far
 * @nl: the netlink socket, once open
 * @portid: its port id
 * @seq: sequence number of the last request
 * @family: id of the "zoc" family
 * @errmsg: the kernel's extended ack message, or a local one
 * @req: the request being built
 */
struct zocctl {
	const char *object;
	const char *what;
	bool json;
	bool stats;
	long link;
	bool first;
	unsigned int items;
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	char errmsg[256];
	char req[ZOC_REQ_SIZE];
};

/**
 * struct zocctl_dev_args - what dev add and dev set were told
 * @name: the device
 * @backend: the volume it is made of, or NULL
 * @more: an NVMe controller's other volumes, namespaces 2 and up
 * @nr_more: entries in @more
 * @type: ZOC_DEV_*, 0 if not given
 * @queues: queue pairs
 * @has_queues: @queues was given
 * @flags: ZOC_DEV_F_*
 * @mac: a network device's MAC address
 * @has_mac: @mac was given
 * @vni: its VNI
 * @has_vni: @vni was given
 * @ipv4: its address, network order
 * @prefix_len: the prefix length of its subnet; 0 if no address was given
 * @link: dev set: 1 up, 0 down, -1 not given
 */
struct zocctl_dev_args {
	const char *name;
	const char *backend;
	const char *more[ZOC_DEV_MAX_NS - 1];
	unsigned int nr_more;
	uint32_t type;
	uint32_t queues;
	bool has_queues;
	uint32_t flags;
	uint8_t mac[ETH_ALEN];
	bool has_mac;
	uint32_t vni;
	bool has_vni;
	uint32_t ipv4;
	uint8_t prefix_len;
	int link;
};

/**
 * struct zocctl_field - an attribute of a reply and how to print it
 * @attr: ZOC_A_*
 * @key: its name in the output
 * @names: names of its values (u32 enumerations), or NULL
 * @nr_names: entries in @names
 */
struct zocctl_field {
	unsigned int attr;
	const char *key;
	const char * const *names;
	unsigned int nr_names;
};

/**
 * struct zocctl_attrs - an attribute table being filled
 * @type: expected type of each attribute, MNL_TYPE_UNSPEC to ignore it
 * @max: highest attribute
 * @tb: the attributes found, indexed by type
 */
struct zocctl_attrs {
	const enum mnl_attr_data_type *type;
	unsigned int max;
	const struct nlattr **tb;
};

static const char * const dev_types[] = {
	[ZOC_DEV_NVME] = "nvme",
	[ZOC_DEV_VIRTIO_BLK] = "virtio-blk",
	[ZOC_DEV_VIRTIO_NET] = "virtio-net",
	/* the test model: kernels built with CONFIG_ZOC_TEST_HOOKS only */
	[ZOC_TEST_DEV] = "test",
};

static const char * const dev_states[] = {
	[ZOC_DEV_STATE_UP] = "up",
	[ZOC_DEV_STATE_GONE] = "gone",
	[ZOC_DEV_STATE_STALLED] = "stalled",
};

static const char * const dev_links[] = {
	[0] = "down",
	[1] = "up",
};

static const char * const link_states[] = {
	[ZOC_LINK_STATUS_DOWN] = "down",
	[ZOC_LINK_STATUS_UP] = "up",
	[ZOC_LINK_STATUS_STALLED] = "stalled",
	[ZOC_LINK_STATUS_RESTARTING] = "restarting",
};

static const char * const stat_names[] = {
	[ZOC_STAT_MMIO_READS] = "mmio_reads",
	[ZOC_STAT_MMIO_WRITES] = "mmio_writes",
	[ZOC_STAT_SHADOW_READS] = "shadow_reads",
	[ZOC_STAT_DOORBELL_WRITES] = "doorbell_writes",
	[ZOC_STAT_DOORBELL_MSGS] = "doorbell_msgs",
	[ZOC_STAT_IRQS] = "irqs",
	[ZOC_STAT_IRQS_MASKED] = "irqs_masked",
	[ZOC_STAT_COMMANDS] = "commands",
	[ZOC_STAT_ERRORS] = "errors",
	[ZOC_STAT_READ_BYTES] = "read_bytes",
	[ZOC_STAT_WRITE_BYTES] = "write_bytes",
	[ZOC_STAT_RESETS] = "resets",
	[ZOC_STAT_INVALID] = "invalid",
	[ZOC_STAT_KEPT_WRITES] = "kept_writes",
	[ZOC_STAT_STALLED_READS] = "stalled_reads",
	[ZOC_STAT_TAKEOVERS] = "takeovers",
	[ZOC_STAT_ROUND_TRIPS] = "round_trips",
	[ZOC_STAT_ROUND_TRIP_NS] = "round_trip_ns",
	[ZOC_STAT_SVM_WAIT_NS] = "svm_wait_ns",
	[ZOC_STAT_SVM_PREP_NS] = "svm_prep_ns",
	[ZOC_STAT_SVM_BACKEND_NS] = "svm_backend_ns",
	[ZOC_STAT_SVM_DONE_NS] = "svm_done_ns",
	[ZOC_STAT_SVM_NOTIFY_NS] = "svm_notify_ns",
	[ZOC_STAT_SVM_POLLED] = "svm_polled",
	[ZOC_STAT_SVM_POLL_NS] = "svm_poll_ns",
	[ZOC_STAT_SVM_IN_PLACE_BYTES] = "svm_in_place_bytes",
};

static const enum mnl_attr_data_type zoc_attr_type[ZOC_A_MAX + 1] = {
	[ZOC_A_DEV_NAME] = MNL_TYPE_NUL_STRING,
	[ZOC_A_DEV_TYPE] = MNL_TYPE_U32,
	[ZOC_A_DEV_BACKEND] = MNL_TYPE_NUL_STRING,
	[ZOC_A_DEV_QUEUES] = MNL_TYPE_U32,
	[ZOC_A_DEV_PCI] = MNL_TYPE_NUL_STRING,
	[ZOC_A_DEV_STATE] = MNL_TYPE_U32,
	[ZOC_A_DEV_STATS] = MNL_TYPE_NESTED,
	[ZOC_A_LINK_STATE] = MNL_TYPE_U32,
	[ZOC_A_LINK_EPOCH] = MNL_TYPE_U32,
	[ZOC_A_LINK_RESETS] = MNL_TYPE_U64,
	[ZOC_A_LINK_TIMEOUTS] = MNL_TYPE_U64,
	[ZOC_A_DEV_MAC] = MNL_TYPE_BINARY,
	[ZOC_A_DEV_VNI] = MNL_TYPE_U32,
	[ZOC_A_DEV_IPV4] = MNL_TYPE_U32,
	[ZOC_A_DEV_PREFIX_LEN] = MNL_TYPE_U8,
	[ZOC_A_DEV_LINK] = MNL_TYPE_U8,
	[ZOC_A_LINK_ID] = MNL_TYPE_U32,
	[ZOC_A_LINK_OUTAGE_LIMIT] = MNL_TYPE_U32,
	[ZOC_A_LINK_POLL] = MNL_TYPE_U32,
	[ZOC_A_LINK_QUEUES] = MNL_TYPE_U32,
	[ZOC_A_LINK_STALLED] = MNL_TYPE_U32,
	[ZOC_A_DEV_NAMESPACES] = MNL_TYPE_NESTED,
};

static const enum mnl_attr_data_type ns_type[ZOC_DEV_MAX_NS + 1] = {
	[1 ... ZOC_DEV_MAX_NS] = MNL_TYPE_NUL_STRING,
};

static const enum mnl_attr_data_type stat_type[ZOC_STAT_MAX + 1] = {
	[ZOC_STAT_MMIO_READS ... ZOC_STAT_INVALID] = MNL_TYPE_U64,
	[ZOC_STAT_KEPT_WRITES ... ZOC_STAT_SVM_IN_PLACE_BYTES] = MNL_TYPE_U64,
};

static const enum mnl_attr_data_type ctrl_type[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID] = MNL_TYPE_U16,
};

static const enum mnl_attr_data_type extack_type[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG] = MNL_TYPE_NUL_STRING,
};

static const struct zocctl_field dev_fields[] = {
	{ ZOC_A_DEV_TYPE, "type", dev_types, ARRAY_SIZE(dev_types) },
	{ ZOC_A_DEV_PCI, "pci", NULL, 0 },
	{ ZOC_A_DEV_BACKEND, "volume", NULL, 0 },
	{ ZOC_A_DEV_MAC, "mac", NULL, 0 },
	{ ZOC_A_DEV_VNI, "vni", NULL, 0 },
	{ ZOC_A_DEV_IPV4, "ip", NULL, 0 },	/* with ZOC_A_DEV_PREFIX_LEN */
	{ ZOC_A_DEV_QUEUES, "queues", NULL, 0 },
	{ ZOC_A_DEV_STATE, "state", dev_states, ARRAY_SIZE(dev_states) },
	{ ZOC_A_DEV_LINK, "link", dev_links, ARRAY_SIZE(dev_links) },
	{ ZOC_A_LINK_ID, "on_link", NULL, 0 },
};

static const struct zocctl_field link_fields[] = {
	{ ZOC_A_LINK_ID, "id", NULL, 0 },
	{ ZOC_A_LINK_STATE, "state", link_states, ARRAY_SIZE(link_states) },
	{ ZOC_A_LINK_EPOCH, "epoch", NULL, 0 },
	{ ZOC_A_LINK_RESETS, "resets", NULL, 0 },
	{ ZOC_A_LINK_TIMEOUTS, "timeouts", NULL, 0 },
	{ ZOC_A_LINK_OUTAGE_LIMIT, "outage_limit_ms", NULL, 0 },
	{ ZOC_A_LINK_STALLED, "stalled_devs", NULL, 0 },
	{ ZOC_A_LINK_POLL, "poll_us", NULL, 0 },
	{ ZOC_A_LINK_QUEUES, "queues", NULL, 0 },
};

/* --- command line ------------------------------------------------------ */

/* The lines about @object (all if NULL), the first after @lead. */
static void usage_part(FILE *f, const struct zocctl_usage *line,
		       unsigned int nr, const char *object, const char *lead)
{
	for (; nr; nr--, line++) {
		if (object && line->object && strcmp(object, line->object))
			continue;
		fprintf(f, "%s%s\n", lead, line->text);
		lead = "       ";
	}
}

/* The usage of @object, or of everything if NULL. */
static void usage(FILE *f, const char *object)
{
	usage_part(f, usage_lines, ARRAY_SIZE(usage_lines), object, "Usage: ");
	usage_part(f, usage_where, ARRAY_SIZE(usage_where), object, "where  ");
}

/* A usage error: the message, with @show the usage, and exit 2. */
static noreturn void usage_error(struct zocctl *ctx, bool show,
				 const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zocctl: %s%s", ctx->what, *ctx->what ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (show)
		usage(stderr, ctx->object);
	exit(EXIT_USAGE);
}

static bool is_opt(const char *arg, const char *s, const char *l1, const char *l2)
{
	return !strcmp(arg, s) || !strcmp(arg, l1) || !strcmp(arg, l2);
}

/* The value that follows the keyword **argv; moves past it. */
static const char *next_arg(struct zocctl *ctx, int *argc, char ***argv);
static bool parse_num(const char *s, uint32_t max, uint32_t *val);

/*
 * A word that starts with '-' is an option, wherever it is: -j, -s,
 * -l LINK (which moves past LINK), or -h (the usage, exit 0).  False for
 * any other word.
 */
static bool parse_opt(struct zocctl *ctx, int *argc, char ***argv)
{
	const char *arg = **argv;
	uint32_t link;

	if (*arg != '-')
		return false;
	if (is_opt(arg, "-j", "-json", "--json")) {
		ctx->json = true;
	} else if (is_opt(arg, "-s", "-stats", "--stats")) {
		ctx->stats = true;
	} else if (is_opt(arg, "-l", "-link", "--link")) {
		arg = next_arg(ctx, argc, argv);
		if (!parse_num(arg, UINT32_MAX, &link))
			usage_error(ctx, false, "bad link \"%s\": a number", arg);
		ctx->link = link;
	} else if (is_opt(arg, "-h", "-help", "--help")) {
		usage(stdout, ctx->object);
		exit(0);
	} else {
		usage_error(ctx, true, "unknown option \"%s\"", arg);
	}
	return true;
}

/* The value that follows the keyword **argv; moves past it. */
static const char *next_arg(struct zocctl *ctx, int *argc, char ***argv)
{
	if (*argc < 2)
		usage_error(ctx, false, "\"%s\" needs an argument", **argv);
	(*argc)--;
	(*argv)++;
	return **argv;
}

static const char *check_name(struct zocctl *ctx, const char *what,
			      const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= ZOC_DEV_NAME_LEN || strspn(s, ZOC_NAME_CHARS) != len)
		usage_error(ctx, false,
			    "bad %s \"%s\": 1 to 15 characters of a-z A-Z 0-9 _ . -",
			    what, s);
	return s;
}

/* A decimal number from 0 to @max in *@val; false if @s is not one. */
static bool parse_num(const char *s, uint32_t max, uint32_t *val)
{
	unsigned long num;
	char *end;

	errno = 0;
	num = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || num > max)
		return false;
	*val = num;
	return true;
}

static uint32_t parse_queues(struct zocctl *ctx, const char *s)
{
	uint32_t val;

	if (!parse_num(s, ZOC_MAX_QUEUES, &val))
		usage_error(ctx, false,
			    "bad queue count \"%s\": a number from 0 to %u",
			    s, ZOC_MAX_QUEUES);
	return val;
}

static unsigned int hex_val(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Six pairs of hex digits separated by ':', a unicast address. */
static void parse_mac(struct zocctl *ctx, const char *s, uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];
	const char *p = s;
	unsigned int i;

	for (i = 0; i < ETH_ALEN; i++, p += 3) {
		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) ||
		    p[2] != (i < ETH_ALEN - 1 ? ':' : '\0'))
			usage_error(ctx, false,
				    "bad MAC address \"%s\": six hex pairs separated by ':'",
				    s);
		mac[i] = hex_val(p[0]) << 4 | hex_val(p[1]);
	}
	if (mac[0] & 0x01)	/* the group bit: broadcast is multicast too */
		usage_error(ctx, false,
			    "bad MAC address \"%s\": a multicast or broadcast address", s);
	if (!memcmp(mac, zero, ETH_ALEN))
		usage_error(ctx, false, "bad MAC address \"%s\": all zero", s);
}

static uint32_t parse_vni(struct zocctl *ctx, const char *s)
{
	uint32_t val;

	if (!parse_num(s, ZOC_MAX_VNI, &val))
		usage_error(ctx, false, "bad VNI \"%s\": a number from 0 to %u",
			    s, ZOC_MAX_VNI);
	return val;
}

/* ADDR/LEN: a dotted IPv4 address and a prefix length. */
static void parse_ip(struct zocctl *ctx, const char *s,
		     struct zocctl_dev_args *args)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	struct in_addr in;
	uint32_t len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		usage_error(ctx, false,
			    "bad address \"%s\": an IPv4 address and its prefix length, ADDR/LEN",
			    s);
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		usage_error(ctx, false, "bad address \"%s\": \"%s\" is not an IPv4 address",
			    s, addr);
	if (!parse_num(slash + 1, ZOC_MAX_PREFIX_LEN, &len) || !len)
		usage_error(ctx, false,
			    "bad address \"%s\": the prefix length is 1 to %u",
			    s, ZOC_MAX_PREFIX_LEN);
	args->ipv4 = in.s_addr;
	args->prefix_len = len;
}

static int parse_link(struct zocctl *ctx, const char *s)
{
	if (!strcmp(s, "up"))
		return 1;
	if (!strcmp(s, "down"))
		return 0;
	usage_error(ctx, false, "bad link state \"%s\": up or down", s);
}

static uint32_t parse_type(struct zocctl *ctx, const char *s)
{
	uint32_t type;

	for (type = 0; type < ARRAY_SIZE(dev_types); type++)
		if (dev_types[type] && !strcmp(dev_types[type], s))
			return type;
	usage_error(ctx, true, "unknown device type \"%s\"", s);
}

/* One argument of dev add (a keyword and its value); moves past it. */
static void parse_dev_add_arg(struct zocctl *ctx, int *argc, char ***argv,
			      struct zocctl_dev_args *args)
{
	const char *arg = **argv;

	if (!strcmp(arg, "name")) {
		args->name = check_name(ctx, "device name", next_arg(ctx, argc, argv));
	} else if ((!strcmp(arg, "volume") || !strcmp(arg, "backend")) &&
		   args->backend) {
		if (args->nr_more == ARRAY_SIZE(args->more))
			usage_error(ctx, false, "over %u volumes", ZOC_DEV_MAX_NS);
		args->more[args->nr_more++] = check_name(ctx, "volume",
							 next_arg(ctx, argc, argv));
	} else if (!strcmp(arg, "volume") || !strcmp(arg, "backend")) {
		/* "backend", the keyword's old name, still reads */
		args->backend = check_name(ctx, "volume", next_arg(ctx, argc, argv));
	} else if (!strcmp(arg, "queues")) {
		args->queues = parse_queues(ctx, next_arg(ctx, argc, argv));
		args->has_queues = true;
	} else if (!strcmp(arg, "noshadowdb")) {
		args->flags |= ZOC_DEV_F_NO_SHADOW_DB;
	} else if (!strcmp(arg, "mac")) {
		parse_mac(ctx, next_arg(ctx, argc, argv), args->mac);
		args->has_mac = true;
	} else if (!strcmp(arg, "vni")) {
		args->vni = parse_vni(ctx, next_arg(ctx, argc, argv));
		args->has_vni = true;
	} else if (!strcmp(arg, "ip")) {
		parse_ip(ctx, next_arg(ctx, argc, argv), args);
	} else if (!strcmp(arg, "type")) {
		args->type = parse_type(ctx, next_arg(ctx, argc, argv));
	} else if (!args->type) {
		args->type = parse_type(ctx, arg);
	} else {
		usage_error(ctx, true, "unknown argument \"%s\"", arg);
	}
}

/* A usage error if @keyword was given to a device of @type. */
static void refuse(struct zocctl *ctx, bool given, const char *keyword,
		   uint32_t type)
{
	if (given)
		usage_error(ctx, false, "\"%s\" does not apply to %s", keyword,
			    dev_types[type]);
}

/* A usage error if @keyword, which a device of @type needs, is missing. */
static void require(struct zocctl *ctx, bool given, const char *keyword,
		    uint32_t type)
{
	if (!given)
		usage_error(ctx, false, "%s is missing (%s needs one)", keyword,
			    dev_types[type]);
}

/*
 * dev add: [type] TYPE, name, and volume, queues, noshadowdb (storage) or
 * mac, vni, ip, queues (network), in any order.
 */
static void parse_dev_add(struct zocctl *ctx, int argc, char **argv,
			  struct zocctl_dev_args *args)
{
	bool net;

	for (; argc > 0; argc--, argv++)
		if (!parse_opt(ctx, &argc, &argv))
			parse_dev_add_arg(ctx, &argc, &argv, args);
	if (!args->type)
		usage_error(ctx, false, "the device TYPE is missing");
	if (!args->name)
		usage_error(ctx, false, "name NAME is missing");
	net = args->type == ZOC_DEV_VIRTIO_NET;
	refuse(ctx, net && args->backend, "volume", args->type);
	if (args->nr_more && args->type != ZOC_DEV_NVME)
		usage_error(ctx, false, "only nvme takes more than one volume");
	refuse(ctx, net && args->flags, "noshadowdb", args->type);
	refuse(ctx, !net && args->has_mac, "mac", args->type);
	refuse(ctx, !net && args->has_vni, "vni", args->type);
	refuse(ctx, !net && args->prefix_len, "ip", args->type);
	if (net) {
		require(ctx, args->has_mac, "mac MAC", args->type);
		require(ctx, args->has_vni, "vni VNI", args->type);
		require(ctx, args->prefix_len, "ip ADDR/LEN", args->type);
	} else if (args->type != ZOC_TEST_DEV) {
		require(ctx, args->backend, "volume VOLUME", args->type);
	}
}

/* dev set: [name] NAME and what to change, in any order. */
static void parse_dev_set(struct zocctl *ctx, int argc, char **argv,
			  struct zocctl_dev_args *args)
{
	for (; argc > 0; argc--, argv++) {
		if (parse_opt(ctx, &argc, &argv))
			continue;
		if (!strcmp(*argv, "link"))
			args->link = parse_link(ctx, next_arg(ctx, &argc, &argv));
		else if (args->name)
			usage_error(ctx, true, "unknown argument \"%s\"", *argv);
		else
			args->name = check_name(ctx, "device name",
						strcmp(*argv, "name") ? *argv :
						next_arg(ctx, &argc, &argv));
	}
	if (!args->name)
		usage_error(ctx, false, "the device NAME is missing");
	if (args->link < 0)
		usage_error(ctx, false, "nothing to change: link up|down is missing");
}

/* dev del and dev show: [name] NAME; NULL if none. */
static const char *parse_dev_name(struct zocctl *ctx, int argc, char **argv)
{
	const char *name = NULL;

	for (; argc > 0; argc--, argv++) {
		if (parse_opt(ctx, &argc, &argv))
			continue;
		if (name)
			usage_error(ctx, true, "unknown argument \"%s\"", *argv);
		name = strcmp(*argv, "name") ? *argv : next_arg(ctx, &argc, &argv);
		check_name(ctx, "device name", name);
	}
	return name;
}

/* --- output ------------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void put_key(struct zocctl *ctx, const char *key)
{
	if (ctx->json)
		printf("%s\"%s\":", ctx->first ? "" : ",", key);
	else
		printf(" %s ", key);
	ctx->first = false;
}

static void put_str(struct zocctl *ctx, const char *key, const char *val)
{
	put_key(ctx, key);
	if (ctx->json)
		json_str(val);
	else
		fputs(val, stdout);
}

static void put_u64(struct zocctl *ctx, const char *key, uint64_t val)
{
	put_key(ctx, key);
	printf("%llu", (unsigned long long)val);
}

/* A u32 with names for its values: the name, or the number if unknown. */
static void put_enum(struct zocctl *ctx, const struct zocctl_field *f, uint32_t val)
{
	if (val < f->nr_names && f->names[val])
		put_str(ctx, f->key, f->names[val]);
	else
		put_u64(ctx, f->key, val);
}

/* ZOC_A_DEV_MAC, of ETH_ALEN bytes (dev_cb() checks). */
static void put_mac(struct zocctl *ctx, const char *key, const struct nlattr *a)
{
	const uint8_t *mac = mnl_attr_get_payload(a);
	char s[3 * ETH_ALEN];

	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	put_str(ctx, key, s);
}

/* ZOC_A_DEV_IPV4, and its ZOC_A_DEV_PREFIX_LEN if any: ADDR/LEN. */
static void put_ipv4(struct zocctl *ctx, const char *key,
		     const struct nlattr *addr, const struct nlattr *len)
{
	char s[INET_ADDRSTRLEN + sizeof("/255")];
	struct in_addr in = { .s_addr = mnl_attr_get_u32(addr) };
	size_t n;

	inet_ntop(AF_INET, &in, s, INET_ADDRSTRLEN);
	n = strlen(s);
	if (len)
		snprintf(s + n, sizeof(s) - n, "/%u", mnl_attr_get_u8(len));
	put_str(ctx, key, s);
}

static void put_field(struct zocctl *ctx, const struct zocctl_field *f,
		      const struct nlattr **tb)
{
	const struct nlattr *a = tb[f->attr];

	if (f->attr == ZOC_A_DEV_MAC) {
		put_mac(ctx, f->key, a);
		return;
	}
	if (f->attr == ZOC_A_DEV_IPV4) {
		put_ipv4(ctx, f->key, a, tb[ZOC_A_DEV_PREFIX_LEN]);
		return;
	}
	switch (zoc_attr_type[f->attr]) {
	case MNL_TYPE_NUL_STRING:
		if (*mnl_attr_get_str(a))	/* a test device has no backend */
			put_str(ctx, f->key, mnl_attr_get_str(a));
		break;
	case MNL_TYPE_U64:
		put_u64(ctx, f->key, mnl_attr_get_u64(a));
		break;
	case MNL_TYPE_U8:
		put_enum(ctx, f, mnl_attr_get_u8(a));
		break;
	default:
		put_enum(ctx, f, mnl_attr_get_u32(a));
		break;
	}
}

static void put_fields(struct zocctl *ctx, const struct zocctl_field *f,
		       unsigned int nr, const struct nlattr **tb)
{
	for (; nr; nr--, f++)
		if (tb[f->attr])
			put_field(ctx, f, tb);
}

/* An NVMe controller's namespaces: "namespaces 1:vda,2:vol-a" */
static void put_namespaces(struct zocctl *ctx, const struct nlattr **ns)
{
	char id[sizeof("16")];
	unsigned int i;
	bool first;

	put_key(ctx, "namespaces");
	if (ctx->json)
		putchar('{');
	for (i = 1, first = true; i <= ZOC_DEV_MAX_NS; i++) {
		if (!ns[i])
			continue;
		if (ctx->json) {
			snprintf(id, sizeof(id), "%u", i);
			printf("%s", first ? "" : ",");
			json_str(id);
			putchar(':');
			json_str(mnl_attr_get_str(ns[i]));
		} else {
			printf("%s%u:%s", first ? "" : ",", i,
			       mnl_attr_get_str(ns[i]));
		}
		first = false;
	}
	if (ctx->json)
		putchar('}');
}

static void put_stats(struct zocctl *ctx, const struct nlattr **st)
{
	unsigned int i, n = 0;

	if (ctx->json) {
		put_key(ctx, "stats");
		putchar('{');
		ctx->first = true;
	}
	for (i = 0; i < ARRAY_SIZE(stat_names); i++) {
		if (!st[i])
			continue;
		if (!ctx->json && !(n++ % ZOC_STATS_PER_LINE))
			fputs("\n   ", stdout);
		put_u64(ctx, stat_names[i], mnl_attr_get_u64(st[i]));
	}
	if (ctx->json) {
		putchar('}');
		ctx->first = false;
	}
}

/* JSON: an array of objects; plain: a "label:" line per object. */
static void list_begin(struct zocctl *ctx)
{
	if (ctx->json)
		putchar('[');
}

static void list_end(struct zocctl *ctx)
{
	if (ctx->json)
		puts("]");
}

static void obj_begin(struct zocctl *ctx, const char *label)
{
	ctx->first = true;
	if (ctx->json)
		printf("%s{", ctx->items ? "," : "");
	else
		printf("%s:", label);
	ctx->items++;
}

static void obj_end(struct zocctl *ctx)
{
	putchar(ctx->json ? '}' : '\n');
}

/* --- netlink ----------------------------------------------------------- */

static int attr_cb(const struct nlattr *a, void *data)
{
	struct zocctl_attrs *p = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type > p->max || p->type[type] == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, p->type[type]) < 0)
		return MNL_CB_ERROR;
	p->tb[type] = a;
	return MNL_CB_OK;
}

/* Fill @tb from the attributes at @offset of @nlh's payload. */
static int zoc_parse(const struct nlmsghdr *nlh, unsigned int offset,
		     const enum mnl_attr_data_type *type, unsigned int max,
		     const struct nlattr **tb)
{
	struct zocctl_attrs p = { .type = type, .max = max, .tb = tb };

	return mnl_attr_parse(nlh, offset, attr_cb, &p);
}

static int zoc_parse_nested(const struct nlattr *nest,
			    const enum mnl_attr_data_type *type, unsigned int max,
			    const struct nlattr **tb)
{
	struct zocctl_attrs p = { .type = type, .max = max, .tb = tb };

	return mnl_attr_parse_nested(nest, attr_cb, &p);
}

static int bad_reply(struct zocctl *ctx)
{
	snprintf(ctx->errmsg, sizeof(ctx->errmsg), "malformed reply from the kernel");
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

/* The extended ack's message, if the kernel sent one. */
static void extack(struct zocctl *ctx, const struct nlmsghdr *nlh,
		   unsigned int offset)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	if (zoc_parse(nlh, offset, extack_type, NLMSGERR_ATTR_MAX, tb) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s",
		 mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct zocctl *ctx = data;
	unsigned int offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		return bad_reply(ctx);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	extack(ctx, nlh, offset);
	if (!err->error) {
		if (*ctx->errmsg)
			fprintf(stderr, "zocctl: %s: warning: %s\n", ctx->what,
				ctx->errmsg);
		return MNL_CB_STOP;
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* The end of a dump, which carries the dump's error if it failed. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (!err)
		return MNL_CB_STOP;
	extack(data, nlh, sizeof(err));
	errno = -err;
	return MNL_CB_ERROR;
}

static struct nlmsghdr *zoc_msg(struct zocctl *ctx, uint16_t type, uint8_t cmd,
				uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ctx->req);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++ctx->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	if (type == ctx->family && ctx->link >= 0 && !(flags & NLM_F_DUMP))
		mnl_attr_put_u32(nlh, ZOC_A_LINK_ID, ctx->link);
	return nlh;
}

/* Send @nlh, hand each reply to @cb until the ack or the end of the dump. */
static int zoc_talk(struct zocctl *ctx, const struct nlmsghdr *nlh, mnl_cb_t cb)
{
	static mnl_cb_t ctl[NLMSG_DONE + 1] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	static char buf[ZOC_RECV_SIZE];
	ssize_t len;
	int ret;

	*ctx->errmsg = '\0';
	if (mnl_socket_sendto(ctx->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		len = mnl_socket_recvfrom(ctx->nl, buf, sizeof(buf));
		if (len < 0)
			return -1;
		ret = mnl_cb_run2(buf, len, ctx->seq, ctx->portid, cb, ctx, ctl,
				  ARRAY_SIZE(ctl));
	} while (ret == MNL_CB_OK);
	return ret;
}

/* Report a failed request; the exit status. */
static int zoc_fail(struct zocctl *ctx)
{
	fprintf(stderr, "zocctl: %s: %s\n", ctx->what,
		*ctx->errmsg ? ctx->errmsg : strerror(errno));
	return EXIT_KERNEL;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { NULL };
	struct zocctl *ctx = data;

	if (zoc_parse(nlh, sizeof(struct genlmsghdr), ctrl_type, CTRL_ATTR_MAX,
		      tb) < 0 || !tb[CTRL_ATTR_FAMILY_ID])
		return bad_reply(ctx);
	ctx->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}

static int zoc_family(struct zocctl *ctx)
{
	const char *msg;
	struct nlmsghdr *nlh;

	nlh = zoc_msg(ctx, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ZOC_GENL_NAME);
	if (!zoc_talk(ctx, nlh, family_cb)) {
		if (ctx->family)
			return 0;
		bad_reply(ctx);
	}
	msg = *ctx->errmsg ? ctx->errmsg : strerror(errno);
	if (errno == ENOENT)
		msg = "generic netlink family not found (is zoc_host loaded?)";
	fprintf(stderr, "zocctl: %s: %s\n", ZOC_GENL_NAME, msg);
	return -1;
}

/* Open the socket and find the family. */
static int zoc_open(struct zocctl *ctx)
{
	int one = 1;

	ctx->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!ctx->nl || mnl_socket_bind(ctx->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "zocctl: netlink socket: %s\n", strerror(errno));
		return -1;
	}
	/* Without it (kernels before 4.12) errors come without a message. */
	mnl_socket_setsockopt(ctx->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	ctx->portid = mnl_socket_get_portid(ctx->nl);
	return zoc_family(ctx);
}

/* --- commands ---------------------------------------------------------- */

/* A dump lists every link's: keep those of the link asked for. */
static bool on_link(struct zocctl *ctx, const struct nlattr **tb)
{
	return ctx->link < 0 || !tb[ZOC_A_LINK_ID] ||
	       mnl_attr_get_u32(tb[ZOC_A_LINK_ID]) == ctx->link;
}

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *ns[ZOC_DEV_MAX_NS + 1] = { NULL };
	const struct nlattr *st[ZOC_STAT_MAX + 1] = { NULL };
	const struct nlattr *tb[ZOC_A_MAX + 1] = { NULL };
	struct zocctl *ctx = data;
	const char *name;

	if (zoc_parse(nlh, sizeof(struct genlmsghdr), zoc_attr_type, ZOC_A_MAX,
		      tb) < 0 || !tb[ZOC_A_DEV_NAME])
		return bad_reply(ctx);
	if (tb[ZOC_A_DEV_STATS] &&
	    zoc_parse_nested(tb[ZOC_A_DEV_STATS], stat_type, ZOC_STAT_MAX, st) < 0)
		return bad_reply(ctx);
	if (tb[ZOC_A_DEV_NAMESPACES] &&
	    zoc_parse_nested(tb[ZOC_A_DEV_NAMESPACES], ns_type, ZOC_DEV_MAX_NS,
			     ns) < 0)
		return bad_reply(ctx);
	if (tb[ZOC_A_DEV_MAC] &&
	    mnl_attr_get_payload_len(tb[ZOC_A_DEV_MAC]) != ETH_ALEN)
		return bad_reply(ctx);
	if (!on_link(ctx, tb))
		return MNL_CB_OK;
	name = mnl_attr_get_str(tb[ZOC_A_DEV_NAME]);
	obj_begin(ctx, name);
	if (ctx->json)
		put_str(ctx, "name", name);
	put_fields(ctx, dev_fields, ARRAY_SIZE(dev_fields), tb);
	if (tb[ZOC_A_DEV_NAMESPACES] &&
	    mnl_attr_get_payload_len(tb[ZOC_A_DEV_NAMESPACES]))
		put_namespaces(ctx, ns);
	if (ctx->stats && tb[ZOC_A_DEV_STATS])
		put_stats(ctx, st);
	obj_end(ctx);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[ZOC_A_MAX + 1] = { NULL };
	struct zocctl *ctx = data;

	if (zoc_parse(nlh, sizeof(struct genlmsghdr), zoc_attr_type, ZOC_A_MAX,
		      tb) < 0)
		return bad_reply(ctx);
	obj_begin(ctx, "link");
	put_fields(ctx, link_fields, ARRAY_SIZE(link_fields), tb);
	obj_end(ctx);
	return MNL_CB_OK;
}

/* Send a request whose replies are printed as a list. */
static int zoc_show(struct zocctl *ctx, const struct nlmsghdr *nlh, mnl_cb_t cb)
{
	int ret;

	list_begin(ctx);
	ret = zoc_talk(ctx, nlh, cb);
	list_end(ctx);
	return ret < 0 ? zoc_fail(ctx) : 0;
}

/*
 * The request that attaches @volume to NVMe device @name as namespace
 * @nsid (0: the lowest free), or without @volume detaches namespace @nsid.
 */
static struct nlmsghdr *ns_msg(struct zocctl *ctx, const char *name,
			       const char *volume, uint32_t nsid)
{
	struct nlmsghdr *nlh;

	nlh = zoc_msg(ctx, ctx->family, volume ? ZOC_CMD_NS_ADD : ZOC_CMD_NS_DEL,
		      ZOC_GENL_VERSION, NLM_F_ACK);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, name);
	if (volume)
		mnl_attr_put_strz(nlh, ZOC_A_DEV_BACKEND, volume);
	if (nsid)
		mnl_attr_put_u32(nlh, ZOC_A_NS_ID, nsid);
	return nlh;
}

/* Show device @name; the exit status. */
static int dev_show_one(struct zocctl *ctx, const char *name)
{
	struct nlmsghdr *nlh;

	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_DEV_GET, ZOC_GENL_VERSION,
		      NLM_F_ACK);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, name);
	return zoc_show(ctx, nlh, dev_cb);
}

static int dev_add(struct zocctl *ctx, int argc, char **argv)
{
	struct zocctl_dev_args args = {};
	struct nlmsghdr *nlh;
	unsigned int i;
	int ret;

	parse_dev_add(ctx, argc, argv, &args);
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_DEV_NEW, ZOC_GENL_VERSION, NLM_F_ACK);
	mnl_attr_put_u32(nlh, ZOC_A_DEV_TYPE, args.type);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, args.name);
	if (args.backend)
		mnl_attr_put_strz(nlh, ZOC_A_DEV_BACKEND, args.backend);
	if (args.has_queues)
		mnl_attr_put_u32(nlh, ZOC_A_DEV_QUEUES, args.queues);
	if (args.flags)
		mnl_attr_put_u32(nlh, ZOC_A_DEV_FLAGS, args.flags);
	if (args.type == ZOC_DEV_VIRTIO_NET) {
		mnl_attr_put(nlh, ZOC_A_DEV_MAC, ETH_ALEN, args.mac);
		mnl_attr_put_u32(nlh, ZOC_A_DEV_VNI, args.vni);
		mnl_attr_put_u32(nlh, ZOC_A_DEV_IPV4, args.ipv4);
		mnl_attr_put_u8(nlh, ZOC_A_DEV_PREFIX_LEN, args.prefix_len);
	}
	if (!args.nr_more)
		return zoc_show(ctx, nlh, dev_cb);
	/* Its other namespaces, attached in turn; the device, then shown */
	if (zoc_talk(ctx, nlh, NULL) < 0)
		return zoc_fail(ctx);
	for (i = 0; i < args.nr_more; i++)
		if (zoc_talk(ctx, ns_msg(ctx, args.name, args.more[i], i + 2),
			     NULL) < 0)
			break;
	if (i == args.nr_more)
		return dev_show_one(ctx, args.name);
	/* All of it or nothing: the device goes again. */
	ret = zoc_fail(ctx);
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_DEV_DEL, ZOC_GENL_VERSION,
		      NLM_F_ACK);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, args.name);
	if (zoc_talk(ctx, nlh, NULL) < 0)
		zoc_fail(ctx);
	return ret;
}

static int dev_set(struct zocctl *ctx, int argc, char **argv)
{
	struct zocctl_dev_args args = { .link = -1 };
	struct nlmsghdr *nlh;

	parse_dev_set(ctx, argc, argv, &args);
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_DEV_SET, ZOC_GENL_VERSION, NLM_F_ACK);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, args.name);
	mnl_attr_put_u8(nlh, ZOC_A_DEV_LINK, args.link);
	return zoc_talk(ctx, nlh, NULL) < 0 ? zoc_fail(ctx) : 0;
}

static int dev_del(struct zocctl *ctx, int argc, char **argv)
{
	const char *name = parse_dev_name(ctx, argc, argv);
	struct nlmsghdr *nlh;

	if (!name)
		usage_error(ctx, false, "the device NAME is missing");
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_DEV_DEL, ZOC_GENL_VERSION, NLM_F_ACK);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, name);
	return zoc_talk(ctx, nlh, NULL) < 0 ? zoc_fail(ctx) : 0;
}

static int dev_show(struct zocctl *ctx, int argc, char **argv)
{
	const char *name = parse_dev_name(ctx, argc, argv);
	struct nlmsghdr *nlh;

	if (zoc_open(ctx))
		return EXIT_KERNEL;
	if (name)
		return dev_show_one(ctx, name);
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_DEV_GET, ZOC_GENL_VERSION,
		      NLM_F_DUMP);
	return zoc_show(ctx, nlh, dev_cb);
}

/*
 * ns add and ns del: [dev] NAME, volume VOLUME (add), nsid N (del; add:
 * optional), in any order.  Return the namespace, 0 if not given.
 */
static uint32_t parse_ns(struct zocctl *ctx, int argc, char **argv, bool add,
			 struct zocctl_dev_args *args)
{
	uint32_t nsid = 0;
	const char *arg;

	for (; argc > 0; argc--, argv++) {
		if (parse_opt(ctx, &argc, &argv))
			continue;
		if (add && !strcmp(*argv, "volume")) {
			args->backend = check_name(ctx, "volume",
						   next_arg(ctx, &argc, &argv));
		} else if (!strcmp(*argv, "nsid")) {
			arg = next_arg(ctx, &argc, &argv);
			if (!parse_num(arg, ZOC_DEV_MAX_NS, &nsid) || !nsid)
				usage_error(ctx, false,
					    "bad nsid \"%s\": 1 to %u", arg,
					    ZOC_DEV_MAX_NS);
		} else if (args->name) {
			usage_error(ctx, true, "unknown argument \"%s\"", *argv);
		} else {
			args->name = check_name(ctx, "device name",
						strcmp(*argv, "dev") ? *argv :
						next_arg(ctx, &argc, &argv));
		}
	}
	if (!args->name)
		usage_error(ctx, false, "the device NAME is missing");
	if (add && !args->backend)
		usage_error(ctx, false, "volume VOLUME is missing");
	if (!add && !nsid)
		usage_error(ctx, false, "nsid NSID is missing");
	return nsid;
}

static int ns_add(struct zocctl *ctx, int argc, char **argv)
{
	struct zocctl_dev_args args = {};
	uint32_t nsid;

	nsid = parse_ns(ctx, argc, argv, true, &args);
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	return zoc_show(ctx, ns_msg(ctx, args.name, args.backend, nsid),
			dev_cb);
}

static int ns_del(struct zocctl *ctx, int argc, char **argv)
{
	struct zocctl_dev_args args = {};
	uint32_t nsid;

	nsid = parse_ns(ctx, argc, argv, false, &args);
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	return zoc_talk(ctx, ns_msg(ctx, args.name, NULL, nsid), NULL) < 0 ?
	       zoc_fail(ctx) : 0;
}

static int link_show(struct zocctl *ctx, int argc, char **argv)
{
	struct nlmsghdr *nlh;

	for (; argc > 0; argc--, argv++)
		if (!parse_opt(ctx, &argc, &argv))
			usage_error(ctx, true, "unknown argument \"%s\"", *argv);
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_LINK_GET, ZOC_GENL_VERSION,
		      ctx->link < 0 ? NLM_F_DUMP : NLM_F_ACK);
	return zoc_show(ctx, nlh, link_cb);
}

static int link_set(struct zocctl *ctx, int argc, char **argv)
{
	bool has_limit = false, has_poll = false;
	uint32_t limit = 0, poll = 0;
	struct nlmsghdr *nlh;
	const char *arg;

	for (; argc > 0; argc--, argv++) {
		if (parse_opt(ctx, &argc, &argv))
			continue;
		if (!strcmp(*argv, "outage-limit")) {
			arg = next_arg(ctx, &argc, &argv);
			if (!parse_num(arg, ZOC_LINK_OUTAGE_LIMIT_MAX, &limit))
				usage_error(ctx, false, "bad outage-limit \"%s\": 0 to %u ms",
					    arg, ZOC_LINK_OUTAGE_LIMIT_MAX);
			has_limit = true;
		} else if (!strcmp(*argv, "poll-us")) {
			arg = next_arg(ctx, &argc, &argv);
			if (!parse_num(arg, ZOC_LINK_POLL_MAX_US, &poll))
				usage_error(ctx, false, "bad poll-us \"%s\": 0 to %u us",
					    arg, ZOC_LINK_POLL_MAX_US);
			has_poll = true;
		} else if (!strcmp(*argv, "mode")) {
			arg = next_arg(ctx, &argc, &argv);
			if (!strcmp(arg, "performance"))
				poll = ZOC_LINK_POLL_DEF_US;
			else if (!strcmp(arg, "zero-cost"))
				poll = 0;
			else
				usage_error(ctx, false, "bad mode \"%s\": performance or zero-cost",
					    arg);
			has_poll = true;
		} else {
			usage_error(ctx, true, "unknown argument \"%s\"", *argv);
		}
	}
	if (!has_limit && !has_poll)
		usage_error(ctx, false, "nothing to change: no setting given");
	if (zoc_open(ctx))
		return EXIT_KERNEL;
	nlh = zoc_msg(ctx, ctx->family, ZOC_CMD_LINK_SET, ZOC_GENL_VERSION, NLM_F_ACK);
	if (has_limit)
		mnl_attr_put_u32(nlh, ZOC_A_LINK_OUTAGE_LIMIT, limit);
	if (has_poll)
		mnl_attr_put_u32(nlh, ZOC_A_LINK_POLL, poll);
	return zoc_talk(ctx, nlh, NULL) < 0 ? zoc_fail(ctx) : 0;
}

/**
 * struct zocctl_cmd - a command of an object
 * @name: what the user types
 * @what: its canonical name, for messages
 * @run: what it does, with the arguments that follow it; the exit status
 */
struct zocctl_cmd {
	const char *name;
	const char *what;
	int (*run)(struct zocctl *ctx, int argc, char **argv);
};

/**
 * struct zocctl_object - what follows the options
 * @name: "dev" or "link"
 * @cmds: its commands; the first is the one run when none is given
 * @nr_cmds: entries in @cmds
 */
struct zocctl_object {
	const char *name;
	const struct zocctl_cmd *cmds;
	unsigned int nr_cmds;
};

static const struct zocctl_cmd dev_cmds[] = {
	{ "show", "dev show", dev_show },
	{ "list", "dev show", dev_show },
	{ "ls", "dev show", dev_show },
	{ "add", "dev add", dev_add },
	{ "set", "dev set", dev_set },
	{ "del", "dev del", dev_del },
	{ "delete", "dev del", dev_del },
};

static const struct zocctl_cmd ns_cmds[] = {
	{ "show", "dev show", dev_show },
	{ "add", "ns add", ns_add },
	{ "del", "ns del", ns_del },
	{ "delete", "ns del", ns_del },
};

static const struct zocctl_cmd link_cmds[] = {
	{ "show", "link show", link_show },
	{ "list", "link show", link_show },
	{ "set", "link set", link_set },
};

static const struct zocctl_object objects[] = {
	{ "dev", dev_cmds, ARRAY_SIZE(dev_cmds) },
	{ "ns", ns_cmds, ARRAY_SIZE(ns_cmds) },
	{ "link", link_cmds, ARRAY_SIZE(link_cmds) },
};

/* OBJECT [COMMAND [ARGS]]: no command is show, as with ip(8). */
static int run_object(struct zocctl *ctx, const struct zocctl_object *obj,
		      int argc, char **argv)
{
	const struct zocctl_cmd *cmd = obj->cmds;
	const char *name = cmd->name;

	ctx->object = obj->name;
	ctx->what = obj->name;
	if (argc > 0 && **argv != '-') {
		name = *argv;
		argc--;
		argv++;
	}
	if (!strcmp(name, "help")) {
		usage(stdout, obj->name);
		return 0;
	}
	for (; cmd < obj->cmds + obj->nr_cmds; cmd++) {
		if (!strcmp(cmd->name, name)) {
			ctx->what = cmd->what;
			return cmd->run(ctx, argc, argv);
		}
	}
	usage_error(ctx, true, "unknown command \"%s\"", name);
}

/* [OPTIONS] OBJECT ...: the exit status. */
static int run(struct zocctl *ctx, int argc, char **argv)
{
	unsigned int i;

	for (; argc > 0 && parse_opt(ctx, &argc, &argv); argc--, argv++)
		;
	if (argc < 1)
		usage_error(ctx, true, "no object given");
	if (!strcmp(*argv, "help")) {
		usage(stdout, NULL);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(objects); i++)
		if (!strcmp(objects[i].name, *argv))
			return run_object(ctx, &objects[i], argc - 1, argv + 1);
	usage_error(ctx, true, "unknown object \"%s\"", *argv);
}

int main(int argc, char **argv)
{
	struct zocctl ctx = { .what = "", .link = -1 };
	int ret;

	ret = run(&ctx, argc - 1, argv + 1);
	if (ctx.nl)
		mnl_socket_close(ctx.nl);
	return ret;
}
