// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc-load: the configuration file.
 *
 * Configuration, one directive per line ('#' starts a comment):
 *
 *	pin DIR			where to pin the maps (/sys/fs/bpf/zoc-vpc)
 *	uplink IFNAME VTEP	the uplink and this service VM's underlay address
 *	port vxlan|geneve PORT	UDP ports (4789, 6081)
 *	sessions N		session table entries, in sets of 3 (1048576)
 *	session_memory PERCENT	the session table grows with the service
 *				VM's memory, up to PERCENT of it, 25 at most
 *				(a grow holds the old table too); "zoc-vpc-load
 *				CONFIG grow" when memory comes online; sessions
 *				is then the least (off)
 *	session_quota N|off	sessions one vNIC may hold (a quarter of them)
 *	timeout STATE SECONDS	idle timeout of a session state
 *	tcp_pickup on|off	take up established TCP connections the session
 *				table does not know, from their ACK segments,
 *				if the security groups admit them (on)
 *	vpc VNI SUBNET/LEN GATEWAY GATEWAY_MAC [GROUP]
 *				a VPC whose vNICs "add" admits; those that are
 *				no member get GROUP's sg rules (none: deny)
 *	member VNI MAC ADDRESS GROUP
 *				a vNIC the provider knows: the only one that
 *				may have ADDRESS in the VPC, with GROUP's rules
 *	vnic IFNAME VNI MAC ADDRESS GATEWAY GATEWAY_MAC
 *				a representor and its host vNIC's identity
 *	route VNI PREFIX/LEN vnic IFNAME MAC
 *	route VNI PREFIX/LEN vxlan|geneve REMOTE MAC
 *	route VNI PREFIX/LEN blackhole
 *	sg NAME in|out tcp|udp|icmp|all PREFIX/LEN [PORT[-PORT]]
 *				allow new sessions (default: deny), for a vnic
 *				directive's representor, or a group
 *
 * The rules of a vNIC added later follow what the provider assigns (its
 * member directive, or its VPC's), never a name the host chose.
 *
 * Any error in the configuration fails the whole load before anything is
 * attached: a half-configured datapath would forward what it should not.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "vpc-conf.h"
#include "vpc-names.h"

#define VPC_PIN_DEFAULT		"/sys/fs/bpf/zoc-vpc"
#define VPC_MAX_LINE		512
#define VPC_MAX_ARGS		16
#define VPC_SPACE		" \t\n"
#define NSEC_PER_SEC		1000000000ULL

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

bool vpc_parse_uint(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(s, &end, 0);
	return !errno && *s && !*end && *s != '-' && *val <= max;
}

/* Decimal digits only, without leading zeros: what sysfs prints. */
bool vpc_parse_dec(const char *s, unsigned long max, unsigned long *val)
{
	return strspn(s, "0123456789") == strlen(s) && (s[0] != '0' || !s[1]) &&
	       vpc_parse_uint(s, max, val);
}

bool vpc_parse_mac(const char *s, __u8 *mac)
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
bool vpc_mac_unicast(const __u8 *mac)
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
bool vpc_parse_addr_len(const char *s, __be32 *addr, unsigned int *plen)
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
bool vpc_is_host(__be32 subnet, unsigned int plen, __be32 addr)
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

struct vpc_vpc_conf *vpc_find_vpc(struct vpc_conf *conf, __u32 vni)
{
	unsigned int i;

	for (i = 0; i < conf->nr_vpcs; i++)
		if (conf->vpcs[i].vni == vni)
			return &conf->vpcs[i];
	return NULL;
}

struct vpc_sg_conf *vpc_find_sg(struct vpc_conf *conf, const char *name)
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

	if ((argc != 5 && argc != 6) ||
	    (argc == 6 && strlen(argv[5]) >= IF_NAMESIZE)) {
		vpc_err(conf, "usage: vpc VNI SUBNET/LEN GATEWAY GATEWAY_MAC [GROUP]");
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
	strcpy(vpc->group, argc == 6 ? argv[5] : "");
	conf->nr_vpcs++;
}

const struct vpc_member_conf *vpc_find_member(const struct vpc_conf *conf,
					      __u32 vni, __be32 addr)
{
	unsigned int i;

	for (i = 0; i < conf->nr_members; i++)
		if (conf->members[i].vni == vni && conf->members[i].addr == addr)
			return &conf->members[i];
	return NULL;
}

static void vpc_conf_member(struct vpc_conf *conf, char **argv, int argc)
{
	struct vpc_member_conf *m, *members;
	unsigned long vni;

	if (argc != 5 || strlen(argv[4]) >= IF_NAMESIZE) {
		vpc_err(conf, "usage: member VNI MAC ADDRESS GROUP");
		return;
	}
	if (conf->nr_members == ZOC_VPC_MAX_ROUTES) {
		vpc_err(conf, "member: more than %d", ZOC_VPC_MAX_ROUTES);
		return;
	}
	members = realloc(conf->members, (conf->nr_members + 1) * sizeof(*m));
	if (!members) {
		vpc_err(conf, "member: %s", strerror(errno));
		return;
	}
	conf->members = members;
	m = &members[conf->nr_members];
	memset(m, 0, sizeof(*m));
	if (!vpc_parse_uint(argv[1], 0xffffff, &vni) ||
	    !vpc_parse_mac(argv[2], m->mac) || !vpc_mac_unicast(m->mac) ||
	    !vpc_parse_addr(argv[3], &m->addr)) {
		vpc_err(conf, "member: bad VNI, MAC or address");
		return;
	}
	if (vpc_find_member(conf, vni, m->addr)) {
		vpc_err(conf, "member: %s is another member's in VNI %lu",
			argv[3], vni);
		return;
	}
	m->vni = vni;
	strcpy(m->group, argv[4]);
	conf->nr_members++;
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
	} else if (!strcmp(argv[0], "session_memory")) {
		if (argc == 2 && !strcmp(argv[1], "off"))
			conf->session_memory = 0;
		else if (argc != 2 || !vpc_parse_uint(argv[1], 25, &n) || !n)
			vpc_err(conf, "usage: session_memory PERCENT|off (1 to 25)");
		else
			conf->session_memory = n;
	} else if (!strcmp(argv[0], "session_quota")) {
		if (argc == 2 && !strcmp(argv[1], "off"))
			n = 0;
		else if (argc != 2 || !vpc_parse_uint(argv[1], 1U << 30, &n) || !n)
			n = ULONG_MAX;
		if (n == ULONG_MAX) {
			vpc_err(conf, "usage: session_quota N|off (N: 1 to 2^30)");
		} else {
			conf->config.ct_quota = n;
			conf->quota_set = true;
		}
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
	} else if (!strcmp(argv[0], "member")) {
		vpc_conf_member(conf, argv, argc);
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

/*
 * The configuration in @f, @path in messages, into @conf (zeroed), whose
 * vpc_conf_free() frees what it holds.  Return: 0, or -EINVAL if any
 * directive failed, each reported.
 */
int vpc_conf_parse(struct vpc_conf *conf, FILE *f, const char *path)
{
	char *line = NULL, *argv[VPC_MAX_ARGS + 1], *save, *hash, *word;
	size_t size = 0;
	unsigned int i;
	ssize_t len;
	int argc;

	conf->path = path;
	strcpy(conf->pin, VPC_PIN_DEFAULT);
	conf->sessions = ZOC_VPC_CT_DEFAULT;
	conf->config.vxlan_port = ZOC_VPC_VXLAN_PORT;
	conf->config.geneve_port = ZOC_VPC_GENEVE_PORT;
	for (i = 0; i < ZOC_VPC_CT_MAX; i++)
		conf->config.timeout[i] = vpc_state_timeouts[i] * NSEC_PER_SEC;

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
	vpc_conf_size(conf);
	return conf->errors ? -EINVAL : 0;
}

/**
 * vpc_conf_size() - size the session table for the memory there is now
 * @conf: the configuration read
 *
 * Sets the sets of the table, in @conf->config.ct_sets[0], from the
 * sessions directive or, with session_memory, from the memory of the
 * service VM if that is more; and the quota of a vNIC, unless set, to a
 * quarter of the sessions.
 */
void vpc_conf_size(struct vpc_conf *conf)
{
	unsigned long long n = conf->sessions, mem;
	struct sysinfo si;

	if (conf->session_memory && !sysinfo(&si)) {
		mem = (unsigned long long)si.totalram * si.mem_unit;
		mem = mem / 100 * conf->session_memory;
		mem = mem / sizeof(struct zoc_vpc_ct_set) * ZOC_VPC_CT_WAYS;
		if (mem > n)
			n = mem < 1U << 30 ? mem : 1U << 30;
	}
	conf->config.ct_sets[0] = (n + ZOC_VPC_CT_WAYS - 1) / ZOC_VPC_CT_WAYS;
	/* one vNIC holds a quarter of the table at most, unless told */
	if (!conf->quota_set)
		conf->config.ct_quota = n / 4 ?: 1;
}

/* The configuration file @path into @conf (zeroed), as vpc_conf_parse(). */
int vpc_conf_read(struct vpc_conf *conf, const char *path)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	ret = vpc_conf_parse(conf, f, path);
	fclose(f);
	return ret;
}

/* What vpc_conf_parse() allocated. */
void vpc_conf_free(struct vpc_conf *conf)
{
	free(conf->routes);
	conf->routes = NULL;
	conf->nr_routes = 0;
	free(conf->members);
	conf->members = NULL;
	conf->nr_members = 0;
}

/*
 * The uplink, the vnic directives' representors and their routes name
 * devices, resolved once all of the file is read: for a full load or an
 * unload only, as "add" and "del" need none of them.
 */
int vpc_conf_resolve(struct vpc_conf *conf)
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
