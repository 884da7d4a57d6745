// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc-load: load the VPC datapath of the service VM.
 *
 * Reads the VPC configuration, loads the XDP programs of zoc_vpc.bpf.c
 * through their libbpf skeleton, fills the maps, pins them in a BPF file
 * system directory (where zoc-vpc reads them) and attaches the programs to
 * the representors and the uplink.  Then it exits: the datapath needs no
 * daemon.  "zoc-vpc-load -u CONFIG" detaches and unpins.
 *
 * Configuration, one directive per line ('#' starts a comment):
 *
 *	pin DIR			where to pin the maps (/sys/fs/bpf/zoc-vpc)
 *	uplink IFNAME VTEP	the uplink and this service VM's underlay address
 *	port vxlan|geneve PORT	UDP ports (4789, 6081)
 *	sessions N		session table entries, in sets of 3 (1048576)
 *	timeout STATE SECONDS	idle timeout of a session state
 *	vnic IFNAME VNI MAC ADDRESS GATEWAY GATEWAY_MAC
 *				a representor and its host vNIC's identity
 *	route VNI PREFIX/LEN vnic IFNAME MAC
 *	route VNI PREFIX/LEN vxlan|geneve REMOTE MAC
 *	route VNI PREFIX/LEN blackhole
 *	sg IFNAME in|out tcp|udp|icmp|all PREFIX/LEN [PORT[-PORT]]
 *				allow new sessions (default: deny)
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
#include <linux/zoc_vpc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-names.h"
#include "zoc_vpc.skel.h"

#define VPC_PIN_DEFAULT		"/sys/fs/bpf/zoc-vpc"
#define VPC_MAX_LINE		512
#define VPC_MAX_ARGS		16
#define VPC_MAX_SG		(ZOC_VPC_MAX_VNICS * 2)
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
 * struct vpc_conf - the parsed configuration
 * @path: the file, for messages
 * @line: the line being parsed, for messages
 * @errors: directives that failed
 * @pin: pin directory
 * @uplink: uplink name
 * @config: the config map value
 * @sessions: session table size
 * @vnics: vnic directives
 * @nr_vnics: how many
 * @routes: route directives
 * @nr_routes: how many
 * @sg: security groups by slot * 2 + direction
 */
struct vpc_conf {
	const char *path;
	unsigned int line;
	unsigned int errors;
	char pin[PATH_MAX];
	char uplink[IF_NAMESIZE];
	struct zoc_vpc_config config;
	unsigned int sessions;
	struct vpc_vnic_conf vnics[ZOC_VPC_MAX_VNICS];
	unsigned int nr_vnics;
	struct vpc_route_conf *routes;
	unsigned int nr_routes;
	struct zoc_vpc_sg sg[VPC_MAX_SG];
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

static bool vpc_parse_addr(const char *s, __be32 *addr)
{
	return inet_pton(AF_INET, s, addr) == 1;
}

/* "A.B.C.D/LEN"; the address must have no bits outside the prefix. */
static bool vpc_parse_prefix(const char *s, __be32 *addr, unsigned int *plen)
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
	if (!vpc_parse_addr(buf, addr) || !vpc_parse_uint(slash + 1, 32, &len))
		return false;
	*plen = len;
	return !(ntohl(*addr) & (len ? ~(~0U << (32 - len)) : ~0U));
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
	struct vpc_vnic_conf *v;
	struct zoc_vpc_sg *sg;
	unsigned int plen, i;
	int dir;

	if (argc != 5 && argc != 6) {
		vpc_err(conf, "usage: sg IFNAME in|out PROTO PREFIX/LEN [PORTS]");
		return;
	}
	v = vpc_find_vnic(conf, argv[1]);
	if (!v) {
		vpc_err(conf, "sg: no vnic '%s' before this line", argv[1]);
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
	rule.mask = plen ? htonl(~0U << (32 - plen)) : 0;
	if (argc == 6 && !vpc_parse_ports(argv[5], &rule)) {
		vpc_err(conf, "sg: bad ports '%s'", argv[5]);
		return;
	}
	sg = &conf->sg[v->vnic.slot * 2 + dir];
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
	char line[VPC_MAX_LINE], *argv[VPC_MAX_ARGS + 1], *save, *hash;
	struct vpc_vnic_conf *v;
	unsigned int i;
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
	while (fgets(line, sizeof(line), f)) {
		conf->line++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		argc = 0;
		for (argv[argc] = strtok_r(line, VPC_SPACE, &save);
		     argv[argc] && argc < VPC_MAX_ARGS;
		     argv[argc] = strtok_r(NULL, VPC_SPACE, &save))
			argc++;
		if (argc)
			vpc_conf_line(conf, argv, argc);
	}
	fclose(f);

	/* names are resolved once all of the file is read */
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
		conf->routes[i].route.slot = v->vnic.slot;
		conf->routes[i].route.ifindex = v->ifindex;
	}
	return conf->errors ? -EINVAL : 0;
}

static int vpc_update(struct bpf_map *map, const void *key, const void *val,
		      const char *what)
{
	int ret = bpf_map__update_elem(map, key, bpf_map__key_size(map), val,
				       bpf_map__value_size(map), BPF_ANY);

	if (ret)
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", what, strerror(-ret));
	return ret;
}

/* The VNI marker: tells a known VPC without a route from an unknown VNI. */
static int vpc_mark_vni(struct zoc_vpc *skel, __u32 vni)
{
	struct zoc_vpc_route_key key = { .prefixlen = 32, .vni = vni };
	struct zoc_vpc_route route = { .type = ZOC_VPC_ROUTE_NONE };

	return vpc_update(skel->maps.zoc_vpc_routes, &key, &route, "VNI marker");
}

static int vpc_fill(struct zoc_vpc *skel, struct vpc_conf *conf)
{
	struct vpc_vnic_conf *v;
	__u32 zero = 0, i, ifindex;
	int ret;

	ret = vpc_update(skel->maps.zoc_vpc_config, &zero, &conf->config,
			 "config");
	for (i = 0; i < conf->nr_vnics && !ret; i++) {
		v = &conf->vnics[i];
		ret = vpc_update(skel->maps.zoc_vpc_vnics, &v->ifindex, &v->vnic,
				 v->name) ?:
		      vpc_update(skel->maps.zoc_vpc_ports, &v->ifindex,
				 &v->ifindex, v->name) ?:
		      vpc_mark_vni(skel, v->vnic.vni);
	}
	for (i = 0; i < conf->nr_routes && !ret; i++)
		ret = vpc_mark_vni(skel, conf->routes[i].key.vni) ?:
		      vpc_update(skel->maps.zoc_vpc_routes, &conf->routes[i].key,
				 &conf->routes[i].route, "route");
	for (i = 0; i < conf->nr_vnics * 2 && !ret; i++)
		ret = vpc_update(skel->maps.zoc_vpc_sg, &i, &conf->sg[i],
				 "security group");
	ifindex = conf->config.uplink;
	if (!ret)
		ret = vpc_update(skel->maps.zoc_vpc_ports, &ifindex, &ifindex,
				 conf->uplink);
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
	const struct { struct bpf_map *map; const char *name; } pins[] = {
		{ skel->maps.zoc_vpc_config, ZOC_VPC_PIN_CONFIG },
		{ skel->maps.zoc_vpc_vnics, ZOC_VPC_PIN_VNICS },
		{ skel->maps.zoc_vpc_routes, ZOC_VPC_PIN_ROUTES },
		{ skel->maps.zoc_vpc_sg, ZOC_VPC_PIN_SG },
		{ skel->maps.zoc_vpc_sessions, ZOC_VPC_PIN_SESSIONS },
		{ skel->maps.zoc_vpc_ports, ZOC_VPC_PIN_PORTS },
		{ skel->maps.zoc_vpc_vnic_stats, ZOC_VPC_PIN_VNIC_STATS },
		{ skel->maps.zoc_vpc_drops, ZOC_VPC_PIN_DROPS },
		{ skel->maps.zoc_vpc_events, ZOC_VPC_PIN_EVENTS },
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
		ret = bpf_map__pin(pins[i].map, path);
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
	};
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int vpc_attach(int ifindex, const char *name, struct bpf_program *prog)
{
	int ret = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
				 XDP_FLAGS_DRV_MODE, NULL);

	if (ret)
		fprintf(stderr, "zoc-vpc-load: attach %s to %s: %s\n",
			bpf_program__name(prog), name, strerror(-ret));
	return ret;
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
	ret = vpc_fill(skel, conf) ?:
	      vpc_enable_forwarding(conf->uplink) ?:
	      vpc_pin(skel, conf->pin);
	if (ret)
		goto out_unpin;

	/* the uplink last: decapsulated traffic needs the vNICs in place */
	for (i = 0; i < conf->nr_vnics && !ret; i++)
		ret = vpc_attach(conf->vnics[i].ifindex, conf->vnics[i].name,
				 skel->progs.zoc_vpc_vnic);
	if (!ret)
		ret = vpc_attach(conf->config.uplink, conf->uplink,
				 skel->progs.zoc_vpc_uplink);
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

static void vpc_usage(void)
{
	fprintf(stderr, "usage: zoc-vpc-load [-u] CONFIG\n"
		"  load the VPC datapath as CONFIG says; -u: unload it\n");
}

int main(int argc, char **argv)
{
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
	if (optind != argc - 1) {
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
		vpc_detach_all(conf);
		vpc_unpin(conf->pin);
		ret = 0;
	} else if (!ret) {
		ret = vpc_load(conf);
	}
	free(conf->routes);
	free(conf);
	return ret ? 1 : 0;
}
