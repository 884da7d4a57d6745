// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc-load: load the VPC datapath of the service VM.
 *
 * Reads the VPC configuration, loads the XDP programs of zoc_vpc.bpf.c
 * through their libbpf skeleton, fills the maps, pins them and the programs
 * in a BPF file system directory (where zoc-vpc reads them) and attaches
 * the programs to the representors and the uplink.  Then it exits: the
 * datapath needs no daemon.  "zoc-vpc-load -u CONFIG" detaches and unpins.
 *
 * Representors the host adds later join the loaded datapath one at a time
 * (zoc-fw's hotplug directive runs these):
 *
 *	zoc-vpc-load CONFIG add IFNAME IFINDEX
 *	zoc-vpc-load CONFIG del IFNAME IFINDEX
 *
 * "add" reads the identity the host asks for from the representor's
 * /sys/class/net/IFNAME/zoc/ (vni, mac, ipv4; $ZOC_VPC_SYSFS replaces
 * /sys), admits it only if a vpc directive allows it (the host is not
 * trusted), and gives the vNIC a free slot, its host route, the sg rules
 * of IFNAME and the pinned vNIC program.  "del" removes all of that by
 * IFINDEX, the representor being possibly gone already.  Either changes
 * nothing when it fails.
 *
 * XDP cannot make the kernel resolve a neighbour: an encapsulated packet
 * whose underlay next hop has none is dropped.  So a load and an "add"
 * end by asking the kernel to resolve the next hop of each remote VTEP of
 * the vxlan and geneve routes; a VTEP that cannot be resolved is only
 * warned about.
 *
 * Configuration, one directive per line ('#' starts a comment):
 *
 *	pin DIR			where to pin the maps (/sys/fs/bpf/zoc-vpc)
 *	uplink IFNAME VTEP	the uplink and this service VM's underlay address
 *	port vxlan|geneve PORT	UDP ports (4789, 6081)
 *	sessions N		session table entries, in sets of 3 (1048576)
 *	timeout STATE SECONDS	idle timeout of a session state
 *	tcp_pickup on|off	take up established TCP connections the session
 *				table does not know, from their ACK segments,
 *				if the security groups admit them (on)
 *	vpc VNI SUBNET/LEN GATEWAY GATEWAY_MAC
 *				a VPC whose vNICs "add" admits
 *	vnic IFNAME VNI MAC ADDRESS GATEWAY GATEWAY_MAC
 *				a representor and its host vNIC's identity
 *	route VNI PREFIX/LEN vnic IFNAME MAC
 *	route VNI PREFIX/LEN vxlan|geneve REMOTE MAC
 *	route VNI PREFIX/LEN blackhole
 *	sg IFNAME in|out tcp|udp|icmp|all PREFIX/LEN [PORT[-PORT]]
 *				allow new sessions (default: deny), for a vnic
 *				or a representor added later
 *
 * Any error in the configuration fails the whole load before anything is
 * attached: a half-configured datapath would forward what it should not.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/zoc_vpc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-names.h"
#include "vpc-neigh.h"
#include "zoc_vpc.skel.h"

#define VPC_PIN_DEFAULT		"/sys/fs/bpf/zoc-vpc"
#define VPC_SYSFS_DEFAULT	"/sys"
#define VPC_MAX_LINE		512
#define VPC_MAX_ARGS		16
#define VPC_MAX_VPCS		256
#define VPC_SPACE		" \t\n"
#define NSEC_PER_SEC		1000000000ULL

/**
 * struct vpc_vnic_conf - a vnic directive
 * @name: representor name
 * @ifindex: its ifindex
 * @vnic: the map value
 */
struct vpc_vnic_conf {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
	struct zoc_vpc_vnic vnic;
};

/**
 * struct vpc_vpc_conf - a vpc directive: a VPC whose vNICs may be added
 * @vni: its VNI
 * @subnet: its subnet, the only addresses its vNICs may have
 * @plen: the subnet's prefix length, which its vNICs must have too
 * @gateway: the gateway address of its vNICs
 * @gateway_mac: the MAC address answered for @gateway
 */
struct vpc_vpc_conf {
	__u32 vni;
	__be32 subnet;
	unsigned int plen;
	__be32 gateway;
	__u8 gateway_mac[6];
};

/**
 * struct vpc_route_conf - a route directive
 * @key: the map key
 * @route: the map value
 * @vnic: for vNIC routes, the representor name (resolved after parsing)
 */
struct vpc_route_conf {
	struct zoc_vpc_route_key key;
	struct zoc_vpc_route route;
	char vnic[IF_NAMESIZE];
};

/**
 * struct vpc_sg_conf - the sg directives of one representor
 * @name: its name: of a vnic directive, or of a representor added later
 * @sg: its rules, by direction (ZOC_VPC_SG_*)
 */
struct vpc_sg_conf {
	char name[IF_NAMESIZE];
	struct zoc_vpc_sg sg[2];
};

/**
 * struct vpc_conf - the parsed configuration
 * @path: the file, for messages
 * @line: the line being parsed, for messages
 * @errors: directives that failed
 * @pin: pin directory
 * @uplink: uplink name
 * @config: the config map value
 * @sessions: session table size
 * @vpcs: vpc directives
 * @nr_vpcs: how many
 * @vnics: vnic directives
 * @nr_vnics: how many
 * @routes: route directives
 * @nr_routes: how many
 * @sgs: sg directives, by representor
 * @nr_sgs: how many representors have some
 */
struct vpc_conf {
	const char *path;
	unsigned int line;
	unsigned int errors;
	char pin[PATH_MAX];
	char uplink[IF_NAMESIZE];
	struct zoc_vpc_config config;
	unsigned int sessions;
	struct vpc_vpc_conf vpcs[VPC_MAX_VPCS];
	unsigned int nr_vpcs;
	struct vpc_vnic_conf vnics[ZOC_VPC_MAX_VNICS];
	unsigned int nr_vnics;
	struct vpc_route_conf *routes;
	unsigned int nr_routes;
	struct vpc_sg_conf sgs[ZOC_VPC_MAX_VNICS];
	unsigned int nr_sgs;
};

/**
 * struct vpc_maps - what the loader writes and attaches, by file descriptor
 * @config: the config map
 * @vnics: the vnics map
 * @routes: the route table
 * @sg: the security groups
 * @ports: the output devices
 * @vnic_stats: the per-vNIC counters
 * @vnic_prog: the vNIC program
 * @lock: the pin directory, locked against other adds and removals; -1
 *	when the descriptors are the skeleton's
 *
 * A full load takes them from the skeleton, "add" and "del" from the pins.
 */
struct vpc_maps {
	int config;
	int vnics;
	int routes;
	int sg;
	int ports;
	int vnic_stats;
	int vnic_prog;
	int lock;
};

/**
 * struct vpc_request - the identity the host asks for a representor
 * @vni: the VNI, as the representor's zoc/vni gives it
 * @mac: the vNIC's MAC, as zoc/mac gives it
 * @ipv4: the vNIC's address and prefix length, as zoc/ipv4 gives it
 * @plen: the prefix length of @ipv4
 * @vnic: the vNIC it asks for; the gateway comes from the vpc directive
 */
struct vpc_request {
	char vni[16];
	char mac[32];
	char ipv4[32];
	unsigned int plen;
	struct zoc_vpc_vnic vnic;
};

/* Seconds; those of nf_conntrack, except for ICMP replies. */
static const unsigned int vpc_state_timeouts[ZOC_VPC_CT_MAX] = {
	[ZOC_VPC_CT_SYN_SENT] = 120,
	[ZOC_VPC_CT_SYN_RECV] = 60,
	[ZOC_VPC_CT_ESTABLISHED] = 432000,
	[ZOC_VPC_CT_FIN_WAIT] = 120,
	[ZOC_VPC_CT_TIME_WAIT] = 120,
	[ZOC_VPC_CT_CLOSE] = 10,
	[ZOC_VPC_CT_UDP] = 30,
	[ZOC_VPC_CT_UDP_REPLIED] = 120,
	[ZOC_VPC_CT_ICMP] = 30,
	[ZOC_VPC_CT_ICMP_REPLIED] = 30,
};

static void vpc_err(struct vpc_conf *conf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "zoc-vpc-load: %s:%u: ", conf->path, conf->line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	conf->errors++;
}

static bool vpc_parse_uint(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(s, &end, 0);
	return !errno && *s && !*end && *s != '-' && *val <= max;
}

/* Decimal digits only, without leading zeros: what sysfs prints. */
static bool vpc_parse_dec(const char *s, unsigned long max, unsigned long *val)
{
	return strspn(s, "0123456789") == strlen(s) && (s[0] != '0' || !s[1]) &&
	       vpc_parse_uint(s, max, val);
}

static bool vpc_parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return false;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return false;
		mac[i] = b[i];
	}
	return true;
}

/* Neither a group address nor all zero: a MAC a vNIC or a gateway can have. */
static bool vpc_mac_unicast(const __u8 *mac)
{
	static const __u8 zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, sizeof(zero));
}

static bool vpc_parse_addr(const char *s, __be32 *addr)
{
	return inet_pton(AF_INET, s, addr) == 1;
}

static __be32 vpc_netmask(unsigned int plen)
{
	return plen ? htonl(~0U << (32 - plen)) : 0;
}

/* "A.B.C.D/LEN": an address and its prefix length. */
static bool vpc_parse_addr_len(const char *s, __be32 *addr, unsigned int *plen)
{
	char buf[INET_ADDRSTRLEN + 4], *slash;
	unsigned long len;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (!vpc_parse_addr(buf, addr) || !vpc_parse_dec(slash + 1, 32, &len))
		return false;
	*plen = len;
	return true;
}

/* "A.B.C.D/LEN"; the address must have no bits outside the prefix. */
static bool vpc_parse_prefix(const char *s, __be32 *addr, unsigned int *plen)
{
	return vpc_parse_addr_len(s, addr, plen) &&
	       !(*addr & ~vpc_netmask(*plen));
}

/* Is @addr a host of @subnet: inside it, neither its network nor broadcast? */
static bool vpc_is_host(__be32 subnet, unsigned int plen, __be32 addr)
{
	__be32 mask = vpc_netmask(plen);

	return (addr & mask) == subnet && (addr & ~mask) && (~addr & ~mask);
}

static struct vpc_vnic_conf *vpc_find_vnic(struct vpc_conf *conf,
					   const char *name)
{
	unsigned int i;

	for (i = 0; i < conf->nr_vnics; i++)
		if (!strcmp(conf->vnics[i].name, name))
			return &conf->vnics[i];
	return NULL;
}

static struct vpc_vpc_conf *vpc_find_vpc(struct vpc_conf *conf, __u32 vni)
{
	unsigned int i;

	for (i = 0; i < conf->nr_vpcs; i++)
		if (conf->vpcs[i].vni == vni)
			return &conf->vpcs[i];
	return NULL;
}

static struct vpc_sg_conf *vpc_find_sg(struct vpc_conf *conf, const char *name)
{
	unsigned int i;

	for (i = 0; i < conf->nr_sgs; i++)
		if (!strcmp(conf->sgs[i].name, name))
			return &conf->sgs[i];
	return NULL;
}

static void vpc_conf_uplink(struct vpc_conf *conf, char **argv, int argc)
{
	if (argc != 3 || strlen(argv[1]) >= IF_NAMESIZE ||
	    !vpc_parse_addr(argv[2], &conf->config.vtep)) {
		vpc_err(conf, "usage: uplink IFNAME VTEP_ADDRESS");
		return;
	}
	strcpy(conf->uplink, argv[1]);
}

static void vpc_conf_port(struct vpc_conf *conf, char **argv, int argc)
{
	unsigned long port;

	if (argc != 3 || !vpc_parse_uint(argv[2], 65535, &port) || !port) {
		vpc_err(conf, "usage: port vxlan|geneve PORT");
		return;
	}
	if (!strcmp(argv[1], "vxlan"))
		conf->config.vxlan_port = port;
	else if (!strcmp(argv[1], "geneve"))
		conf->config.geneve_port = port;
	else
		vpc_err(conf, "port: unknown tunnel '%s'", argv[1]);
}

static void vpc_conf_timeout(struct vpc_conf *conf, char **argv, int argc)
{
	unsigned long secs;
	int i;

	if (argc != 3 || !vpc_parse_uint(argv[2], 30 * 86400, &secs)) {
		vpc_err(conf, "usage: timeout STATE SECONDS");
		return;
	}
	for (i = 1; i < ZOC_VPC_CT_MAX; i++) {
		if (!strcmp(argv[1], vpc_state_names[i])) {
			conf->config.timeout[i] = secs * NSEC_PER_SEC;
			return;
		}
	}
	vpc_err(conf, "timeout: unknown state '%s'", argv[1]);
}

static void vpc_conf_vpc(struct vpc_conf *conf, char **argv, int argc)
{
	struct vpc_vpc_conf *vpc;
	unsigned long vni;

	if (argc != 5) {
		vpc_err(conf, "usage: vpc VNI SUBNET/LEN GATEWAY GATEWAY_MAC");
		return;
	}
	if (conf->nr_vpcs == VPC_MAX_VPCS) {
		vpc_err(conf, "vpc: more than %d VPCs", VPC_MAX_VPCS);
		return;
	}
	vpc = &conf->vpcs[conf->nr_vpcs];
	if (!vpc_parse_uint(argv[1], 0xffffff, &vni) ||
	    !vpc_parse_prefix(argv[2], &vpc->subnet, &vpc->plen) ||
	    !vpc_parse_addr(argv[3], &vpc->gateway) ||
	    !vpc_parse_mac(argv[4], vpc->gateway_mac)) {
		vpc_err(conf, "vpc %s: bad VNI, subnet, gateway or MAC", argv[1]);
		return;
	}
	if (vpc_find_vpc(conf, vni)) {
		vpc_err(conf, "vpc %lu: duplicate VNI", vni);
		return;
	}
	if (!vpc_is_host(vpc->subnet, vpc->plen, vpc->gateway) ||
	    !vpc_mac_unicast(vpc->gateway_mac)) {
		vpc_err(conf, "vpc %lu: the gateway must be a host of %s, its MAC unicast",
			vni, argv[2]);
		return;
	}
	vpc->vni = vni;
	conf->nr_vpcs++;
}

static void vpc_conf_vnic(struct vpc_conf *conf, char **argv, int argc)
{
	struct vpc_vnic_conf *v;
	unsigned long vni;

	if (argc != 7) {
		vpc_err(conf, "usage: vnic IFNAME VNI MAC ADDRESS GATEWAY GATEWAY_MAC");
		return;
	}
	if (conf->nr_vnics == ZOC_VPC_MAX_VNICS) {
		vpc_err(conf, "vnic: more than %d vNICs", ZOC_VPC_MAX_VNICS);
		return;
	}
	if (strlen(argv[1]) >= IF_NAMESIZE || vpc_find_vnic(conf, argv[1])) {
		vpc_err(conf, "vnic: bad or duplicate name '%s'", argv[1]);
		return;
	}
	v = &conf->vnics[conf->nr_vnics];
	if (!vpc_parse_uint(argv[2], 0xffffff, &vni) ||
	    !vpc_parse_mac(argv[3], v->vnic.mac) ||
	    !vpc_parse_addr(argv[4], &v->vnic.addr) ||
	    !vpc_parse_addr(argv[5], &v->vnic.gateway) ||
	    !vpc_parse_mac(argv[6], v->vnic.gateway_mac)) {
		vpc_err(conf, "vnic %s: bad VNI, MAC or address", argv[1]);
		return;
	}
	strcpy(v->name, argv[1]);
	v->vnic.vni = vni;
	v->vnic.slot = conf->nr_vnics++;
}

static void vpc_conf_route(struct vpc_conf *conf, char **argv, int argc)
{
	struct vpc_route_conf *r, *routes;
	unsigned long vni;
	unsigned int plen;
	const char *type;
	__be32 addr;
	int want;

	if (argc < 4 || !vpc_parse_uint(argv[1], 0xffffff, &vni) ||
	    !vpc_parse_prefix(argv[2], &addr, &plen)) {
		vpc_err(conf, "usage: route VNI PREFIX/LEN TYPE ...");
		return;
	}
	if (conf->nr_routes == ZOC_VPC_MAX_ROUTES - ZOC_VPC_MAX_VNICS) {
		vpc_err(conf, "route: too many routes");
		return;
	}
	routes = realloc(conf->routes, (conf->nr_routes + 1) * sizeof(*r));
	if (!routes) {
		vpc_err(conf, "route: %s", strerror(errno));
		return;
	}
	conf->routes = routes;
	r = &routes[conf->nr_routes];
	memset(r, 0, sizeof(*r));
	r->key.prefixlen = 32 + plen;
	r->key.vni = vni;
	r->key.addr = addr;
	r->route.plen = plen;

	type = argv[3];
	if (!strcmp(type, "vnic")) {
		r->route.type = ZOC_VPC_ROUTE_VNIC;
		want = 6;
	} else if (!strcmp(type, "vxlan") || !strcmp(type, "geneve")) {
		r->route.type = ZOC_VPC_ROUTE_TUNNEL;
		r->route.encap = type[0] == 'g' ? ZOC_VPC_ENCAP_GENEVE :
						  ZOC_VPC_ENCAP_VXLAN;
		want = 6;
	} else if (!strcmp(type, "blackhole")) {
		r->route.type = ZOC_VPC_ROUTE_BLACKHOLE;
		want = 4;
	} else {
		vpc_err(conf, "route: unknown type '%s'", type);
		return;
	}
	if (argc != want) {
		vpc_err(conf, "route %s: wrong number of arguments", type);
		return;
	}
	if (r->route.type == ZOC_VPC_ROUTE_VNIC) {
		if (strlen(argv[4]) >= IF_NAMESIZE) {
			vpc_err(conf, "route: bad vNIC name");
			return;
		}
		strcpy(r->vnic, argv[4]);
	} else if (r->route.type == ZOC_VPC_ROUTE_TUNNEL &&
		   !vpc_parse_addr(argv[4], &r->route.remote)) {
		vpc_err(conf, "route: bad remote VTEP '%s'", argv[4]);
		return;
	}
	if (want == 6 && !vpc_parse_mac(argv[5], r->route.mac)) {
		vpc_err(conf, "route: bad MAC '%s'", argv[5]);
		return;
	}
	conf->nr_routes++;
}

/* "PORT" or "LO-HI"; no ports means all. */
static bool vpc_parse_ports(const char *s, struct zoc_vpc_sg_rule *rule)
{
	char buf[16], *dash;
	unsigned long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!vpc_parse_uint(buf, 65535, &lo))
		return false;
	hi = lo;
	if (dash && !vpc_parse_uint(dash + 1, 65535, &hi))
		return false;
	if (lo > hi)
		return false;
	rule->port_lo = lo;
	rule->port_hi = hi;
	return true;
}

static void vpc_conf_sg(struct vpc_conf *conf, char **argv, int argc)
{
	static const struct { const char *name; __u8 proto; } protos[] = {
		{ "all", 0 }, { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP },
	};
	struct zoc_vpc_sg_rule rule = { .port_hi = 65535 };
	struct vpc_sg_conf *g;
	struct zoc_vpc_sg *sg;
	unsigned int plen, i;
	int dir;

	if (argc != 5 && argc != 6) {
		vpc_err(conf, "usage: sg IFNAME in|out PROTO PREFIX/LEN [PORTS]");
		return;
	}
	if (strlen(argv[1]) >= IF_NAMESIZE) {
		vpc_err(conf, "sg: bad name '%s'", argv[1]);
		return;
	}
	if (!strcmp(argv[2], "in")) {
		dir = ZOC_VPC_SG_INGRESS;
	} else if (!strcmp(argv[2], "out")) {
		dir = ZOC_VPC_SG_EGRESS;
	} else {
		vpc_err(conf, "sg: direction must be in or out");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(protos); i++)
		if (!strcmp(argv[3], protos[i].name))
			break;
	if (i == ARRAY_SIZE(protos)) {
		vpc_err(conf, "sg: unknown protocol '%s'", argv[3]);
		return;
	}
	rule.proto = protos[i].proto;
	if (!vpc_parse_prefix(argv[4], &rule.addr, &plen)) {
		vpc_err(conf, "sg: bad prefix '%s'", argv[4]);
		return;
	}
	rule.mask = vpc_netmask(plen);
	if (argc == 6 && !vpc_parse_ports(argv[5], &rule)) {
		vpc_err(conf, "sg: bad ports '%s'", argv[5]);
		return;
	}
	/* a vnic directive's, or kept for a representor added later */
	g = vpc_find_sg(conf, argv[1]);
	if (!g) {
		if (conf->nr_sgs == ZOC_VPC_MAX_VNICS) {
			vpc_err(conf, "sg: rules for more than %d representors",
				ZOC_VPC_MAX_VNICS);
			return;
		}
		g = &conf->sgs[conf->nr_sgs++];
		strcpy(g->name, argv[1]);
	}
	sg = &g->sg[dir];
	if (sg->count == ZOC_VPC_SG_RULES) {
		vpc_err(conf, "sg: more than %d rules", ZOC_VPC_SG_RULES);
		return;
	}
	sg->rule[sg->count++] = rule;
}

static void vpc_conf_line(struct vpc_conf *conf, char **argv, int argc)
{
	unsigned long n;

	if (!strcmp(argv[0], "pin")) {
		if (argc != 2 || strlen(argv[1]) >= sizeof(conf->pin))
			vpc_err(conf, "usage: pin DIR");
		else
			strcpy(conf->pin, argv[1]);
	} else if (!strcmp(argv[0], "uplink")) {
		vpc_conf_uplink(conf, argv, argc);
	} else if (!strcmp(argv[0], "port")) {
		vpc_conf_port(conf, argv, argc);
	} else if (!strcmp(argv[0], "sessions")) {
		if (argc != 2 || !vpc_parse_uint(argv[1], 1U << 30, &n) || !n)
			vpc_err(conf, "usage: sessions N (1 to 2^30)");
		else
			conf->sessions = n;
	} else if (!strcmp(argv[0], "timeout")) {
		vpc_conf_timeout(conf, argv, argc);
	} else if (!strcmp(argv[0], "tcp_pickup")) {
		if (argc == 2 && !strcmp(argv[1], "on"))
			conf->config.flags &= ~ZOC_VPC_F_TCP_STRICT;
		else if (argc == 2 && !strcmp(argv[1], "off"))
			conf->config.flags |= ZOC_VPC_F_TCP_STRICT;
		else
			vpc_err(conf, "usage: tcp_pickup on|off");
	} else if (!strcmp(argv[0], "vpc")) {
		vpc_conf_vpc(conf, argv, argc);
	} else if (!strcmp(argv[0], "vnic")) {
		vpc_conf_vnic(conf, argv, argc);
	} else if (!strcmp(argv[0], "route")) {
		vpc_conf_route(conf, argv, argc);
	} else if (!strcmp(argv[0], "sg")) {
		vpc_conf_sg(conf, argv, argc);
	} else {
		vpc_err(conf, "unknown directive '%s'", argv[0]);
	}
}

static int vpc_conf_read(struct vpc_conf *conf, const char *path)
{
	char *line = NULL, *argv[VPC_MAX_ARGS + 1], *save, *hash, *word;
	size_t size = 0;
	unsigned int i;
	ssize_t len;
	FILE *f;
	int argc;

	conf->path = path;
	strcpy(conf->pin, VPC_PIN_DEFAULT);
	conf->sessions = ZOC_VPC_CT_DEFAULT;
	conf->config.vxlan_port = ZOC_VPC_VXLAN_PORT;
	conf->config.geneve_port = ZOC_VPC_GENEVE_PORT;
	for (i = 0; i < ZOC_VPC_CT_MAX; i++)
		conf->config.timeout[i] = vpc_state_timeouts[i] * NSEC_PER_SEC;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	/* Whole lines: a long one is refused, not read on as another. */
	while ((len = getline(&line, &size, f)) >= 0) {
		conf->line++;
		if (len >= VPC_MAX_LINE || strlen(line) != (size_t)len) {
			vpc_err(conf, "longer than %d bytes, or a NUL byte",
				VPC_MAX_LINE - 1);
			continue;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		argc = 0;
		for (word = strtok_r(line, VPC_SPACE, &save); word;
		     word = strtok_r(NULL, VPC_SPACE, &save)) {
			if (argc == VPC_MAX_ARGS) {
				vpc_err(conf, "more than %d words",
					VPC_MAX_ARGS);
				argc = 0;
				break;
			}
			argv[argc++] = word;
		}
		argv[argc] = NULL;
		if (argc)
			vpc_conf_line(conf, argv, argc);
	}
	free(line);
	fclose(f);
	return conf->errors ? -EINVAL : 0;
}

/*
 * The uplink, the vnic directives' representors and their routes name
 * devices, resolved once all of the file is read: for a full load or an
 * unload only, as "add" and "del" need none of them.
 */
static int vpc_conf_resolve(struct vpc_conf *conf)
{
	struct vpc_vnic_conf *v;
	unsigned int i;

	conf->line = 0;
	if (!conf->uplink[0])
		vpc_err(conf, "no uplink directive");
	else if (!if_nametoindex(conf->uplink))
		vpc_err(conf, "uplink %s: no such device", conf->uplink);
	conf->config.uplink = if_nametoindex(conf->uplink);
	for (i = 0; i < conf->nr_vnics; i++) {
		conf->vnics[i].ifindex = if_nametoindex(conf->vnics[i].name);
		if (!conf->vnics[i].ifindex)
			vpc_err(conf, "vnic %s: no such device", conf->vnics[i].name);
	}
	for (i = 0; i < conf->nr_routes; i++) {
		if (conf->routes[i].route.type != ZOC_VPC_ROUTE_VNIC)
			continue;
		v = vpc_find_vnic(conf, conf->routes[i].vnic);
		if (!v) {
			vpc_err(conf, "route: no vnic '%s'", conf->routes[i].vnic);
			continue;
		}
		/* else its VPC's traffic would reach another VPC's vNIC */
		if (v->vnic.vni != conf->routes[i].key.vni) {
			vpc_err(conf, "route in VNI %u: vnic %s is in VNI %u",
				conf->routes[i].key.vni, v->name, v->vnic.vni);
			continue;
		}
		conf->routes[i].route.slot = v->vnic.slot;
		conf->routes[i].route.ifindex = v->ifindex;
	}
	return conf->errors ? -EINVAL : 0;
}

static int vpc_update(int fd, const void *key, const void *val,
		      const char *what)
{
	int ret = bpf_map_update_elem(fd, key, val, BPF_ANY);

	if (ret)
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", what, strerror(-ret));
	return ret;
}

/* An entry that is not there is no error. */
static int vpc_delete(int fd, const void *key, const char *what)
{
	int ret = bpf_map_delete_elem(fd, key);

	if (ret == -ENOENT)
		return 0;
	if (ret)
		fprintf(stderr, "zoc-vpc-load: delete %s: %s\n", what,
			strerror(-ret));
	return ret;
}

/*
 * The VNI marker: tells a known VPC without a route from an unknown VNI.
 * A default route of the VNI has the same key and marks it as well: it is
 * never overwritten.  @added, if not NULL, tells whether the VNI was
 * unknown until now.
 */
static int vpc_mark_vni(const struct vpc_maps *m, __u32 vni, bool *added)
{
	struct zoc_vpc_route_key key = { .prefixlen = 32, .vni = vni };
	struct zoc_vpc_route route = { .type = ZOC_VPC_ROUTE_NONE };
	int ret;

	ret = bpf_map_update_elem(m->routes, &key, &route, BPF_NOEXIST);
	if (added)
		*added = !ret;
	if (ret == -EEXIST)
		return 0;
	if (ret)
		fprintf(stderr, "zoc-vpc-load: VNI marker: %s\n", strerror(-ret));
	return ret;
}

static void vpc_unmark_vni(const struct vpc_maps *m, __u32 vni)
{
	struct zoc_vpc_route_key key = { .prefixlen = 32, .vni = vni };

	vpc_delete(m->routes, &key, "VNI marker");
}

/* The host route of a vNIC: (VNI, address/32) to its representor. */
static void vpc_host_route(const struct zoc_vpc_vnic *vnic, __u32 ifindex,
			   struct zoc_vpc_route_key *key,
			   struct zoc_vpc_route *route)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = 32 + 32;
	key->vni = vnic->vni;
	key->addr = vnic->addr;
	memset(route, 0, sizeof(*route));
	route->type = ZOC_VPC_ROUTE_VNIC;
	route->plen = 32;
	memcpy(route->mac, vnic->mac, sizeof(route->mac));
	route->slot = vnic->slot;
	route->ifindex = ifindex;
}

/*
 * The route of a host route's @key, if the table has one: the longest
 * match is that route exactly when its prefix is 32 bits long.
 */
static bool vpc_find_host_route(const struct vpc_maps *m,
				const struct zoc_vpc_route_key *key,
				struct zoc_vpc_route *route)
{
	return !bpf_map_lookup_elem(m->routes, key, route) && route->plen == 32;
}

/* The security groups of the vNIC in @slot: @g's, or none (deny all). */
static int vpc_set_sg(const struct vpc_maps *m, __u32 slot,
		      const struct vpc_sg_conf *g)
{
	static const struct zoc_vpc_sg none;
	__u32 dir, idx;
	int ret = 0;

	for (dir = 0; dir < 2 && !ret; dir++) {
		idx = slot * 2 + dir;
		ret = vpc_update(m->sg, &idx, g ? &g->sg[dir] : &none,
				 "security group");
	}
	return ret;
}

static int vpc_fill(const struct vpc_maps *m, struct vpc_conf *conf)
{
	struct vpc_vnic_conf *v;
	__u32 zero = 0, i, ifindex;
	int ret;

	ret = vpc_update(m->config, &zero, &conf->config, "config");
	for (i = 0; i < conf->nr_vnics && !ret; i++) {
		v = &conf->vnics[i];
		ret = vpc_update(m->vnics, &v->ifindex, &v->vnic, v->name) ?:
		      vpc_update(m->ports, &v->ifindex, &v->ifindex, v->name) ?:
		      vpc_mark_vni(m, v->vnic.vni, NULL);
	}
	for (i = 0; i < conf->nr_routes && !ret; i++)
		ret = vpc_mark_vni(m, conf->routes[i].key.vni, NULL) ?:
		      vpc_update(m->routes, &conf->routes[i].key,
				 &conf->routes[i].route, "route");
	for (i = 0; i < conf->nr_vpcs && !ret; i++)
		ret = vpc_mark_vni(m, conf->vpcs[i].vni, NULL);
	for (i = 0; i < conf->nr_vnics && !ret; i++)
		ret = vpc_set_sg(m, conf->vnics[i].vnic.slot,
				 vpc_find_sg(conf, conf->vnics[i].name));
	ifindex = conf->config.uplink;
	if (!ret)
		ret = vpc_update(m->ports, &ifindex, &ifindex, conf->uplink);
	return ret;
}

/*
 * bpf_fib_lookup() resolves the underlay route and neighbour for the
 * encapsulated packets and, like forwarding, wants forwarding enabled on
 * the device it looks up from.
 */
static int vpc_enable_forwarding(const char *ifname)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
		 ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", path, strerror(-ret));
	return ret;
}

static int vpc_pin(struct zoc_vpc *skel, const char *dir)
{
	const struct { int fd; const char *name; } pins[] = {
		{ bpf_map__fd(skel->maps.zoc_vpc_config), ZOC_VPC_PIN_CONFIG },
		{ bpf_map__fd(skel->maps.zoc_vpc_vnics), ZOC_VPC_PIN_VNICS },
		{ bpf_map__fd(skel->maps.zoc_vpc_routes), ZOC_VPC_PIN_ROUTES },
		{ bpf_map__fd(skel->maps.zoc_vpc_sg), ZOC_VPC_PIN_SG },
		{ bpf_map__fd(skel->maps.zoc_vpc_sessions),
		  ZOC_VPC_PIN_SESSIONS },
		{ bpf_map__fd(skel->maps.zoc_vpc_ports), ZOC_VPC_PIN_PORTS },
		{ bpf_map__fd(skel->maps.zoc_vpc_vnic_stats),
		  ZOC_VPC_PIN_VNIC_STATS },
		{ bpf_map__fd(skel->maps.zoc_vpc_drops), ZOC_VPC_PIN_DROPS },
		{ bpf_map__fd(skel->maps.zoc_vpc_events), ZOC_VPC_PIN_EVENTS },
		{ bpf_program__fd(skel->progs.zoc_vpc_vnic),
		  ZOC_VPC_PIN_VNIC_PROG },
		{ bpf_program__fd(skel->progs.zoc_vpc_uplink),
		  ZOC_VPC_PIN_UPLINK_PROG },
	};
	char path[PATH_MAX];
	unsigned int i;
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < ARRAY_SIZE(pins); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pins[i].name);
		unlink(path);
		ret = bpf_obj_pin(pins[i].fd, path);
		if (ret) {
			fprintf(stderr, "zoc-vpc-load: pin %s: %s\n", path,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void vpc_unpin(const char *dir)
{
	static const char * const names[] = {
		ZOC_VPC_PIN_CONFIG, ZOC_VPC_PIN_VNICS, ZOC_VPC_PIN_ROUTES,
		ZOC_VPC_PIN_SG, ZOC_VPC_PIN_SESSIONS, ZOC_VPC_PIN_PORTS,
		ZOC_VPC_PIN_VNIC_STATS, ZOC_VPC_PIN_DROPS, ZOC_VPC_PIN_EVENTS,
		ZOC_VPC_PIN_VNIC_PROG, ZOC_VPC_PIN_UPLINK_PROG,
	};
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void vpc_close_pins(struct vpc_maps *m)
{
	int fds[] = { m->config, m->vnics, m->routes, m->sg, m->ports,
		      m->vnic_stats, m->vnic_prog, m->lock };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * What "add" and "del" change, from the pins of a loaded datapath; the
 * directory stays locked (flock) against others until vpc_close_pins().
 */
static int vpc_open_pins(const char *dir, struct vpc_maps *m)
{
	const struct { const char *name; int *fd; } pins[] = {
		{ ZOC_VPC_PIN_CONFIG, &m->config },
		{ ZOC_VPC_PIN_VNICS, &m->vnics },
		{ ZOC_VPC_PIN_ROUTES, &m->routes },
		{ ZOC_VPC_PIN_SG, &m->sg },
		{ ZOC_VPC_PIN_PORTS, &m->ports },
		{ ZOC_VPC_PIN_VNIC_STATS, &m->vnic_stats },
		{ ZOC_VPC_PIN_VNIC_PROG, &m->vnic_prog },
	};
	char path[PATH_MAX];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(pins); i++)
		*pins[i].fd = -1;
	m->lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->lock < 0 || flock(m->lock, LOCK_EX))
		ret = -errno;
	for (i = 0; i < ARRAY_SIZE(pins) && !ret; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pins[i].name);
		*pins[i].fd = bpf_obj_get(path);
		if (*pins[i].fd < 0)
			ret = -errno;
	}
	if (ret)
		vpc_close_pins(m);
	return ret;
}

static int vpc_attach(int ifindex, const char *name, int prog_fd,
		      const char *prog)
{
	int ret = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL);

	if (ret)
		fprintf(stderr, "zoc-vpc-load: attach %s to %s: %s\n", prog,
			name, strerror(-ret));
	return ret;
}

/* Set the representor @name up: the host's link comes up with it. */
static int vpc_link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int sock, ret = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	if (ret)
		fprintf(stderr, "zoc-vpc-load: set %s up: %s\n", name,
			strerror(-ret));
	close(sock);
	return ret;
}

/* Detach the vNIC program from @ifindex, if it is still the one there. */
static void vpc_detach_vnic(const struct vpc_maps *m, __u32 ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = m->vnic_prog);

	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, &opts);
}

static void vpc_detach_all(struct vpc_conf *conf)
{
	unsigned int i;

	for (i = 0; i < conf->nr_vnics; i++)
		if (conf->vnics[i].ifindex)
			bpf_xdp_detach(conf->vnics[i].ifindex,
				       XDP_FLAGS_DRV_MODE, NULL);
	if (conf->config.uplink)
		bpf_xdp_detach(conf->config.uplink, XDP_FLAGS_DRV_MODE, NULL);
}

static int vpc_load(struct vpc_conf *conf)
{
	struct vpc_maps m = { .lock = -1 };
	struct zoc_vpc *skel;
	unsigned int i;
	int ret;

	skel = zoc_vpc__open();
	if (!skel) {
		ret = -errno;
		fprintf(stderr, "zoc-vpc-load: open: %s\n", strerror(-ret));
		return ret;
	}
	/* sets of ZOC_VPC_CT_WAYS sessions, keyed by a seeded hash */
	conf->config.ct_sets = (conf->sessions + ZOC_VPC_CT_WAYS - 1) /
			       ZOC_VPC_CT_WAYS;
	if (getrandom(&conf->config.ct_seed, sizeof(conf->config.ct_seed),
		      0) != sizeof(conf->config.ct_seed)) {
		ret = -errno;
		fprintf(stderr, "zoc-vpc-load: getrandom: %s\n",
			strerror(-ret));
		goto out_destroy;
	}
	ret = bpf_map__set_max_entries(skel->maps.zoc_vpc_sessions,
				       conf->config.ct_sets);
	if (ret)
		goto out_destroy;
	ret = zoc_vpc__load(skel);
	if (ret) {
		fprintf(stderr, "zoc-vpc-load: load: %s\n", strerror(-ret));
		goto out_destroy;
	}
	m.config = bpf_map__fd(skel->maps.zoc_vpc_config);
	m.vnics = bpf_map__fd(skel->maps.zoc_vpc_vnics);
	m.routes = bpf_map__fd(skel->maps.zoc_vpc_routes);
	m.sg = bpf_map__fd(skel->maps.zoc_vpc_sg);
	m.ports = bpf_map__fd(skel->maps.zoc_vpc_ports);
	m.vnic_stats = bpf_map__fd(skel->maps.zoc_vpc_vnic_stats);
	m.vnic_prog = bpf_program__fd(skel->progs.zoc_vpc_vnic);
	ret = vpc_fill(&m, conf) ?:
	      vpc_enable_forwarding(conf->uplink) ?:
	      vpc_pin(skel, conf->pin);
	if (ret)
		goto out_unpin;

	/* the uplink last: decapsulated traffic needs the vNICs in place */
	for (i = 0; i < conf->nr_vnics && !ret; i++)
		ret = vpc_attach(conf->vnics[i].ifindex, conf->vnics[i].name,
				 m.vnic_prog, "zoc_vpc_vnic");
	if (!ret)
		ret = vpc_attach(conf->config.uplink, conf->uplink,
				 bpf_program__fd(skel->progs.zoc_vpc_uplink),
				 "zoc_vpc_uplink");
	if (ret)
		goto out_detach;
	zoc_vpc__destroy(skel);
	return 0;

out_detach:
	vpc_detach_all(conf);
out_unpin:
	vpc_unpin(conf->pin);
out_destroy:
	zoc_vpc__destroy(skel);
	return ret;
}

/* SYSFS/class/net/@name/zoc/@file: one line, given without its newline. */
static int vpc_read_line(const char *name, const char *file, char *buf,
			 size_t size)
{
	const char *sysfs = getenv("ZOC_VPC_SYSFS");
	char path[PATH_MAX];
	ssize_t len = 0;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/class/net/%s/zoc/%s",
		 sysfs && *sysfs ? sysfs : VPC_SYSFS_DEFAULT, name, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		len = read(fd, buf, size);
	if (fd < 0 || len < 0)
		ret = -errno;
	else if (!len || (size_t)len == size || buf[len - 1] != '\n' ||
		 strnlen(buf, len) != (size_t)len)
		ret = -EINVAL;
	if (fd >= 0)
		close(fd);
	if (ret) {
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", path,
			ret == -EINVAL ? "not one line of text" : strerror(-ret));
		return ret;
	}
	buf[len - 1] = '\0';
	return 0;
}

/* The identity the host asks for @name, which must still be @ifindex. */
static int vpc_request(const char *name, __u32 ifindex,
		       struct vpc_request *req)
{
	unsigned long vni;
	int ret;

	if (strlen(name) >= IF_NAMESIZE || if_nametoindex(name) != ifindex) {
		fprintf(stderr, "zoc-vpc-load: %s: not the interface of index %u\n",
			name, ifindex);
		return -ENODEV;
	}
	memset(req, 0, sizeof(*req));
	ret = vpc_read_line(name, "vni", req->vni, sizeof(req->vni)) ?:
	      vpc_read_line(name, "mac", req->mac, sizeof(req->mac)) ?:
	      vpc_read_line(name, "ipv4", req->ipv4, sizeof(req->ipv4));
	if (ret)
		return ret;
	if (!vpc_parse_dec(req->vni, 0xffffff, &vni) ||
	    !vpc_parse_mac(req->mac, req->vnic.mac) ||
	    !vpc_parse_addr_len(req->ipv4, &req->vnic.addr, &req->plen)) {
		fprintf(stderr, "zoc-vpc-load: %s: bad identity: vni %s mac %s ipv4 %s\n",
			name, req->vni, req->mac, req->ipv4);
		return -EINVAL;
	}
	req->vnic.vni = vni;
	return 0;
}

/*
 * The host's identity is only a request: admitted if a vpc directive has
 * its VNI, its address is a host of that VPC's subnet (with the subnet's
 * prefix length) other than the gateway, and its MAC is unicast.  The
 * gateway and its MAC come from the directive.
 */
static int vpc_admit(struct vpc_conf *conf, const char *name,
		     struct vpc_request *req)
{
	struct zoc_vpc_vnic *vnic = &req->vnic;
	const struct vpc_vpc_conf *vpc;
	const char *why = NULL;

	vpc = vpc_find_vpc(conf, vnic->vni);
	if (!vpc)
		why = "no vpc directive has the VNI";
	else if (req->plen != vpc->plen ||
		 !vpc_is_host(vpc->subnet, vpc->plen, vnic->addr))
		why = "the address is no host of the VPC's subnet";
	else if (vnic->addr == vpc->gateway)
		why = "the address is the gateway's";
	else if (!vpc_mac_unicast(vnic->mac))
		why = "the MAC is not unicast";
	if (why) {
		fprintf(stderr, "zoc-vpc-load: %s: refused vni %s mac %s ipv4 %s: %s\n",
			name, req->vni, req->mac, req->ipv4, why);
		return -EPERM;
	}
	vnic->gateway = vpc->gateway;
	memcpy(vnic->gateway_mac, vpc->gateway_mac, sizeof(vnic->gateway_mac));
	return 0;
}

/*
 * The slot of a new vNIC: one no vNIC has.  Refused when the representor
 * is the uplink, or the address is routed in the VPC already: its longest
 * match is a route to another vNIC, or to a remote host (a host route, or
 * a shorter prefix: a subnet of the VPC served elsewhere); an address a
 * blackhole covers is free.
 */
static int vpc_new_slot(const struct vpc_maps *m, const char *name,
			__u32 ifindex, const struct vpc_request *req)
{
	bool used[ZOC_VPC_MAX_VNICS] = { false };
	struct zoc_vpc_config config;
	struct zoc_vpc_route_key key;
	struct zoc_vpc_route route;
	__u32 zero = 0, k, *prev = NULL;
	struct zoc_vpc_vnic v;
	int slot;

	if (!bpf_map_lookup_elem(m->config, &zero, &config) &&
	    config.uplink == ifindex) {
		fprintf(stderr, "zoc-vpc-load: %s: refused: the uplink\n", name);
		return -EPERM;
	}
	vpc_host_route(&req->vnic, ifindex, &key, &route);
	if (!bpf_map_lookup_elem(m->routes, &key, &route) &&
	    route.type != ZOC_VPC_ROUTE_BLACKHOLE &&
	    (route.type != ZOC_VPC_ROUTE_VNIC || route.ifindex != ifindex)) {
		fprintf(stderr, "zoc-vpc-load: %s: refused ipv4 %s: routed in VNI %s already\n",
			name, req->ipv4, req->vni);
		return -EPERM;
	}
	while (!bpf_map_get_next_key(m->vnics, prev, &k)) {
		prev = &k;
		if (!bpf_map_lookup_elem(m->vnics, &k, &v) &&
		    v.slot < ZOC_VPC_MAX_VNICS)
			used[v.slot] = true;
	}
	for (slot = 0; slot < ZOC_VPC_MAX_VNICS; slot++)
		if (!used[slot])
			return slot;
	fprintf(stderr, "zoc-vpc-load: %s: no free vNIC slot\n", name);
	return -ENOSPC;
}

/* A vNIC taking a slot starts with zero counters. */
static int vpc_zero_stats(const struct vpc_maps *m, __u32 slot)
{
	int ncpus = libbpf_num_possible_cpus(), ret;
	void *zero;

	if (ncpus < 0)
		return ncpus;
	zero = calloc(ncpus, sizeof(struct zoc_vpc_vnic_stats));
	if (!zero)
		return -ENOMEM;
	ret = vpc_update(m->vnic_stats, &slot, zero, "counters");
	free(zero);
	return ret;
}

/*
 * Join representor @name, @ifindex, to the loaded datapath as the vNIC
 * its host asks for, if a vpc directive admits it.  The same vNIC again
 * is no change; a failure leaves everything as it was.
 */
static int vpc_add(struct vpc_conf *conf, const char *name, __u32 ifindex)
{
	struct zoc_vpc_route_key key;
	struct zoc_vpc_route route;
	struct vpc_request req;
	struct zoc_vpc_vnic old;
	struct vpc_maps m;
	bool new_vni = false;
	int ret, slot;

	ret = vpc_open_pins(conf->pin, &m);
	if (ret) {
		fprintf(stderr, "zoc-vpc-load: %s: no datapath loaded: %s\n",
			conf->pin, strerror(-ret));
		return ret;
	}
	ret = vpc_request(name, ifindex, &req) ?: vpc_admit(conf, name, &req);
	if (ret)
		goto out;
	if (!bpf_map_lookup_elem(m.vnics, &ifindex, &old)) {
		req.vnic.slot = old.slot;
		if (memcmp(&old, &req.vnic, sizeof(old))) {
			fprintf(stderr, "zoc-vpc-load: %s: a vNIC of another identity already\n",
				name);
			ret = -EEXIST;
		}
		goto out;
	}
	slot = vpc_new_slot(&m, name, ifindex, &req);
	if (slot < 0) {
		ret = slot;
		goto out;
	}
	req.vnic.slot = slot;
	vpc_host_route(&req.vnic, ifindex, &key, &route);

	/* its rules before anything reaches it, its program last */
	ret = vpc_set_sg(&m, slot, vpc_find_sg(conf, name));
	if (ret)
		goto out_sg;
	ret = vpc_zero_stats(&m, slot) ?:
	      vpc_update(m.ports, &ifindex, &ifindex, name) ?:
	      vpc_mark_vni(&m, req.vnic.vni, &new_vni);
	if (ret)
		goto out_ports;
	ret = vpc_update(m.routes, &key, &route, "route");
	if (ret)
		goto out_route;
	ret = vpc_update(m.vnics, &ifindex, &req.vnic, name) ?:
	      vpc_attach(ifindex, name, m.vnic_prog, "zoc_vpc_vnic");
	/* Up last, once its traffic has somewhere to go. */
	if (!ret)
		ret = vpc_link_up(name);
	if (!ret)
		goto out;

	vpc_detach_vnic(&m, ifindex);
	vpc_delete(m.vnics, &ifindex, name);
	vpc_delete(m.routes, &key, "route");
out_route:
	if (new_vni)
		vpc_unmark_vni(&m, req.vnic.vni);
out_ports:
	vpc_delete(m.ports, &ifindex, name);
out_sg:
	vpc_set_sg(&m, slot, NULL);
out:
	vpc_close_pins(&m);
	return ret;
}

/*
 * Remove the vNIC of @ifindex, whose representor may be gone already:
 * nothing routes to it any more, nothing from it is forwarded, and its
 * slot is free.  An unknown @ifindex, or no datapath, is nothing to do.
 */
static int vpc_del(struct vpc_conf *conf, const char *name, __u32 ifindex)
{
	struct zoc_vpc_route route, cur;
	struct zoc_vpc_route_key key;
	struct zoc_vpc_vnic vnic;
	char now[IF_NAMESIZE];
	struct vpc_maps m;
	int ret;

	ret = vpc_open_pins(conf->pin, &m);
	if (ret) {
		if (ret == -ENOENT)
			return 0;
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", conf->pin,
			strerror(-ret));
		return ret;
	}
	if (bpf_map_lookup_elem(m.vnics, &ifindex, &vnic))
		goto out;
	vpc_host_route(&vnic, ifindex, &key, &route);
	if (vpc_find_host_route(&m, &key, &cur) &&
	    cur.type == ZOC_VPC_ROUTE_VNIC && cur.ifindex == ifindex)
		ret = vpc_delete(m.routes, &key, "route");
	ret = vpc_delete(m.vnics, &ifindex, name) ?: ret;
	ret = vpc_set_sg(&m, vnic.slot, NULL) ?: ret;
	ret = vpc_delete(m.ports, &ifindex, name) ?: ret;
	if (if_indextoname(ifindex, now))
		vpc_detach_vnic(&m, ifindex);
out:
	vpc_close_pins(&m);
	return ret;
}

/* Detach from the vnics map's representors (added ones too), unpin. */
static void vpc_unload(struct vpc_conf *conf)
{
	__u32 key, *prev = NULL;
	struct vpc_maps m;

	if (!vpc_open_pins(conf->pin, &m)) {
		while (!bpf_map_get_next_key(m.vnics, prev, &key)) {
			prev = &key;
			vpc_detach_vnic(&m, key);
		}
		vpc_close_pins(&m);
	}
	vpc_detach_all(conf);
	vpc_unpin(conf->pin);
}

/* The underlay neighbours of the distinct remote VTEPs of the routes. */
static void vpc_prime_routes(const struct vpc_conf *conf)
{
	unsigned int i, n = 0;
	__be32 *vteps;

	vteps = malloc((conf->nr_routes + 1) * sizeof(*vteps));
	if (!vteps)
		return;
	for (i = 0; i < conf->nr_routes; i++)
		if (conf->routes[i].route.type == ZOC_VPC_ROUTE_TUNNEL)
			vteps[n++] = conf->routes[i].route.remote;
	vpc_prime_vteps(vteps, n);
	free(vteps);
}

static void vpc_usage(void)
{
	fprintf(stderr, "usage: zoc-vpc-load [-u] CONFIG\n"
		"       zoc-vpc-load CONFIG add|del IFNAME IFINDEX\n"
		"  load the VPC datapath as CONFIG says; -u: unload it\n"
		"  add: join a representor to it, if a vpc directive admits\n"
		"  the identity its host asks for; del: remove it\n");
}

int main(int argc, char **argv)
{
	const char *op = NULL, *name = NULL;
	unsigned long ifindex = 0;
	struct vpc_conf *conf;
	bool unload = false;
	int opt, ret;

	while ((opt = getopt(argc, argv, "uh")) != -1) {
		switch (opt) {
		case 'u':
			unload = true;
			break;
		default:
			vpc_usage();
			return 2;
		}
	}
	if (argc - optind == 4 && !unload) {
		op = argv[optind + 1];
		name = argv[optind + 2];
		if ((strcmp(op, "add") && strcmp(op, "del")) ||
		    !vpc_parse_uint(argv[optind + 3], INT_MAX, &ifindex) ||
		    !ifindex) {
			vpc_usage();
			return 2;
		}
	} else if (argc - optind != 1) {
		vpc_usage();
		return 2;
	}

	conf = calloc(1, sizeof(*conf));
	if (!conf) {
		perror("zoc-vpc-load");
		return 1;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	ret = vpc_conf_read(conf, argv[optind]);
	if (unload) {
		/* as much as can be found, even from a broken file */
		vpc_conf_resolve(conf);
		vpc_unload(conf);
		ret = 0;
	} else if (op && !strcmp(op, "del")) {
		/* likewise: what is to be removed, even from a broken file */
		ret = vpc_del(conf, name, ifindex);
	} else if (!ret) {
		ret = op ? vpc_add(conf, name, ifindex) :
			   vpc_conf_resolve(conf) ?: vpc_load(conf);
		if (!ret)
			vpc_prime_routes(conf);
	}
	free(conf->routes);
	free(conf);
	return ret ? 1 : 0;
}
