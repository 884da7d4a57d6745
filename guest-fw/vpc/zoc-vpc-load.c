// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc-load: load the VPC datapath of the service VM.
 *
 * Reads the VPC configuration, loads the programs of zoc_vpc.bpf.c
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
 * the provider assigns it (its member directive's group, else its VPC's)
 * and the pinned vNIC programs (vpc-attach.c).  "del" removes all of that by
 * IFINDEX, the representor being possibly gone already.  Either changes
 * nothing when it fails.
 *
 * XDP cannot make the kernel resolve a neighbour: an encapsulated packet
 * whose underlay next hop has none is dropped.  So a load and an "add"
 * end by asking the kernel to resolve the next hop of each remote VTEP of
 * the vxlan and geneve routes; a VTEP that cannot be resolved is only
 * warned about.
 *
 * "zoc-vpc-load CONFIG grow" grows the session table to the size the
 * configuration gives for the memory there is now (session_memory),
 * keeping every live session (vpc-ct.c); zoc-fw's memory directive runs
 * it when memory is added.
 *
 * The configuration is read by vpc-conf.c.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/zoc_vpc.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-attach.h"
#include "vpc-conf.h"
#include "vpc-ct.h"
#include "vpc-names.h"
#include "vpc-neigh.h"
#include "zoc_vpc.skel.h"

#define VPC_SYSFS_DEFAULT	"/sys"

/**
 * struct vpc_maps - what the loader writes and attaches, by file descriptor
 * @config: the config map
 * @vnics: the vnics map
 * @routes: the route table
 * @sg: the security groups
 * @ports: the output devices
 * @vnic_stats: the per-vNIC counters
 * @vnic: the vNIC programs
 * @sessions: the session tables (array of maps)
 * @ct_held: the sessions each vNIC holds
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
	struct vpc_vnic_progs vnic;
	int sessions;
	int ct_held;
	int lock;
};

/**
 * struct vpc_request - the identity the host asks for a representor
 * @vni: the VNI, as the representor's zoc/vni gives it
 * @mac: the vNIC's MAC, as zoc/mac gives it
 * @ipv4: the vNIC's address and prefix length, as zoc/ipv4 gives it
 * @plen: the prefix length of @ipv4
 * @vnic: the vNIC it asks for; the gateway comes from the vpc directive
 * @group: the sg name whose rules it gets, as admitted, or ""
 */
struct vpc_request {
	char vni[16];
	char mac[32];
	char ipv4[32];
	unsigned int plen;
	struct zoc_vpc_vnic vnic;
	const char *group;
};

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
		{ bpf_map__fd(skel->maps.zoc_vpc_ct_held), ZOC_VPC_PIN_CT_HELD },
		{ bpf_map__fd(skel->maps.zoc_vpc_sweep_state),
		  ZOC_VPC_PIN_SWEEP },
		{ bpf_program__fd(skel->progs.zoc_vpc_sweep),
		  ZOC_VPC_PIN_SWEEP_PROG },
		{ bpf_program__fd(skel->progs.zoc_vpc_vnic),
		  ZOC_VPC_PIN_VNIC_PROG },
		{ bpf_program__fd(skel->progs.zoc_vpc_vnic_skb),
		  ZOC_VPC_PIN_VNIC_SKB_PROG },
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
		ZOC_VPC_PIN_CT_HELD, ZOC_VPC_PIN_SWEEP, ZOC_VPC_PIN_SWEEP_PROG,
		ZOC_VPC_PIN_VNIC_PROG, ZOC_VPC_PIN_VNIC_SKB_PROG,
		ZOC_VPC_PIN_UPLINK_PROG,
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
		      m->vnic_stats, m->vnic.xdp, m->vnic.skb, m->sessions,
		      m->ct_held,
		      m->lock };
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
	const struct { const char *name; int *fd; bool optional; } pins[] = {
		{ ZOC_VPC_PIN_CONFIG, &m->config },
		{ ZOC_VPC_PIN_VNICS, &m->vnics },
		{ ZOC_VPC_PIN_ROUTES, &m->routes },
		{ ZOC_VPC_PIN_SG, &m->sg },
		{ ZOC_VPC_PIN_PORTS, &m->ports },
		{ ZOC_VPC_PIN_VNIC_STATS, &m->vnic_stats },
		{ ZOC_VPC_PIN_VNIC_PROG, &m->vnic.xdp },
		/* not pinned by a datapath without TSO frames */
		{ ZOC_VPC_PIN_VNIC_SKB_PROG, &m->vnic.skb, true },
		{ ZOC_VPC_PIN_SESSIONS, &m->sessions },
		{ ZOC_VPC_PIN_CT_HELD, &m->ct_held },
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
		if (*pins[i].fd < 0 && !(errno == ENOENT && pins[i].optional))
			ret = -errno;
	}
	if (ret)
		vpc_close_pins(m);
	return ret;
}

static void vpc_detach_all(struct vpc_conf *conf)
{
	unsigned int i;

	for (i = 0; i < conf->nr_vnics; i++)
		if (conf->vnics[i].ifindex)
			vpc_detach_any(conf->vnics[i].ifindex);
	if (conf->config.uplink)
		bpf_xdp_detach(conf->config.uplink, XDP_FLAGS_DRV_MODE, NULL);
}

/*
 * Start the background sweep of the session table: its timer lives in the
 * pinned sweep map, and goes with it at unload.
 */
static const unsigned char vpc_sweep_frame[ETH_ZLEN];

static int vpc_start_sweep(struct zoc_vpc *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = vpc_sweep_frame,
		    .data_size_in = sizeof(vpc_sweep_frame), .repeat = 1);
	int ret;

	ret = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.zoc_vpc_sweep),
				     &opts);
	if (ret || opts.retval != XDP_DROP) {
		ret = ret ?: -EINVAL;
		fprintf(stderr, "zoc-vpc-load: starting the session sweep: %s\n",
			strerror(-ret));
	}
	return ret;
}

/* The first session table, in slot 0, as the configuration sizes it. */
static int vpc_ct_install(struct zoc_vpc *skel, struct vpc_conf *conf)
{
	struct vpc_ct_table t;
	__u32 zero = 0;
	int ret;

	conf->config.ct_table = 0;
	ret = vpc_ct_new(conf->config.ct_sets[0], &t);
	if (ret)
		return ret;
	ret = vpc_update(bpf_map__fd(skel->maps.zoc_vpc_sessions), &zero,
			 &t.fd, "sessions");
	vpc_ct_close(&t);
	return ret;
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
	if (getrandom(&conf->config.ct_seed, sizeof(conf->config.ct_seed),
		      0) != sizeof(conf->config.ct_seed)) {
		ret = -errno;
		fprintf(stderr, "zoc-vpc-load: getrandom: %s\n",
			strerror(-ret));
		goto out_destroy;
	}
	ret = zoc_vpc__load(skel);
	if (ret) {
		fprintf(stderr, "zoc-vpc-load: load: %s\n", strerror(-ret));
		goto out_destroy;
	}
	ret = vpc_ct_install(skel, conf);
	if (ret)
		goto out_destroy;
	m.config = bpf_map__fd(skel->maps.zoc_vpc_config);
	m.vnics = bpf_map__fd(skel->maps.zoc_vpc_vnics);
	m.routes = bpf_map__fd(skel->maps.zoc_vpc_routes);
	m.sg = bpf_map__fd(skel->maps.zoc_vpc_sg);
	m.ports = bpf_map__fd(skel->maps.zoc_vpc_ports);
	m.vnic_stats = bpf_map__fd(skel->maps.zoc_vpc_vnic_stats);
	m.vnic.xdp = bpf_program__fd(skel->progs.zoc_vpc_vnic);
	m.vnic.skb = bpf_program__fd(skel->progs.zoc_vpc_vnic_skb);
	ret = vpc_fill(&m, conf) ?:
	      vpc_enable_forwarding(conf->uplink) ?:
	      vpc_pin(skel, conf->pin) ?:
	      vpc_start_sweep(skel);
	if (ret)
		goto out_unpin;

	/* the uplink last: decapsulated traffic needs the vNICs in place */
	for (i = 0; i < conf->nr_vnics && !ret; i++)
		ret = vpc_attach_vnic(conf->vnics[i].ifindex,
				      conf->vnics[i].name, &m.vnic);
	if (!ret)
		ret = vpc_attach_xdp(conf->config.uplink, conf->uplink,
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
 * prefix length) other than the gateway, its MAC is unicast, and the
 * address is no member's but its own (the same MAC).  The gateway and its
 * MAC come from the vpc directive; its rules from its member directive,
 * or else the vpc directive's group.
 */
static int vpc_admit(struct vpc_conf *conf, const char *name,
		     struct vpc_request *req)
{
	struct zoc_vpc_vnic *vnic = &req->vnic;
	const struct vpc_member_conf *member;
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
	member = vpc_find_member(conf, vnic->vni, vnic->addr);
	if (!why && member && memcmp(member->mac, vnic->mac, sizeof(vnic->mac)))
		why = "the address is another member's";
	if (why) {
		fprintf(stderr, "zoc-vpc-load: %s: refused vni %s mac %s ipv4 %s: %s\n",
			name, req->vni, req->mac, req->ipv4, why);
		return -EPERM;
	}
	vnic->gateway = vpc->gateway;
	memcpy(vnic->gateway_mac, vpc->gateway_mac, sizeof(vnic->gateway_mac));
	req->group = member ? member->group : vpc->group;
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
	/* the rules the provider assigns it, never by the host's name */
	ret = vpc_set_sg(&m, slot,
			 req.group[0] ? vpc_find_sg(conf, req.group) : NULL);
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
	      vpc_attach_vnic(ifindex, name, &m.vnic);
	/* Up last, once its traffic has somewhere to go. */
	if (!ret)
		ret = vpc_link_up(name);
	if (!ret)
		goto out;

	vpc_detach_vnic(ifindex, &m.vnic);
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
		vpc_detach_vnic(ifindex, &m.vnic);
out:
	vpc_close_pins(&m);
	return ret;
}

/*
 * Grow the session table to what the memory there is now allows (the
 * session_memory directive), keeping every live session.
 */
static int vpc_grow(struct vpc_conf *conf)
{
	struct vpc_ct_moved st = { 0 };
	struct zoc_vpc_config cfg;
	struct vpc_maps m;
	long long quota;
	__u32 zero = 0;
	int ret;

	ret = vpc_open_pins(conf->pin, &m);
	if (ret) {
		fprintf(stderr, "zoc-vpc-load: %s: %s\n", conf->pin,
			strerror(-ret));
		return ret;
	}
	quota = conf->quota_set ? -1 : (long long)conf->config.ct_quota;
	ret = vpc_ct_grow(m.config, m.sessions, m.ct_held,
			  conf->config.ct_sets[0], quota, &st);
	if (ret >= 0 && !bpf_map_lookup_elem(m.config, &zero, &cfg)) {
		printf("sessions: %s, %u sets; ", ret ? "grown" : "big enough",
		       cfg.ct_sets[cfg.ct_table & 1]);
		printf("moved %lu expired %lu replaced %lu lost %lu updated %lu\n",
		       st.moved, st.expired, st.replaced, st.lost, st.updated);
	}
	vpc_close_pins(&m);
	return ret < 0 ? ret : 0;
}

/* Detach from the vnics map's representors (added ones too), unpin. */
static void vpc_unload(struct vpc_conf *conf)
{
	__u32 key, *prev = NULL;
	struct vpc_maps m;

	if (!vpc_open_pins(conf->pin, &m)) {
		while (!bpf_map_get_next_key(m.vnics, prev, &key)) {
			prev = &key;
			vpc_detach_vnic(key, &m.vnic);
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
		"       zoc-vpc-load CONFIG grow\n"
		"  load the VPC datapath as CONFIG says; -u: unload it\n"
		"  add: join a representor to it, if a vpc directive admits\n"
		"  the identity its host asks for; del: remove it\n"
		"  grow: grow its session table to what the memory allows\n");
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
	} else if (argc - optind == 2 && !unload &&
		   !strcmp(argv[optind + 1], "grow")) {
		op = argv[optind + 1];
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
	} else if (!ret && op && !strcmp(op, "grow")) {
		ret = vpc_grow(conf);
	} else if (!ret) {
		ret = op ? vpc_add(conf, name, ifindex) :
			   vpc_conf_resolve(conf) ?: vpc_load(conf);
		if (!ret)
			vpc_prime_routes(conf);
	}
	vpc_conf_free(conf);
	free(conf);
	return ret ? 1 : 0;
}
