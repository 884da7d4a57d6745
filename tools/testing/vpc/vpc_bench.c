// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_bench: measurements for run-bench, and small helpers for the tests.
 *
 *	vpc_bench pass IFNAME
 *		attach vpc_pass (XDP_PASS) to IFNAME and exit
 *	vpc_bench paths PIN_DIR RUNS
 *		ns per packet of each datapath path: BPF_PROG_TEST_RUN with
 *		live frames, through vpc_reset, minus vpc_reset + vpc_drop
 *	vpc_bench stack IFNAME RUNS
 *		ns per packet of the same TCP SYN flood passed to the stack
 *		on IFNAME (Linux forwarding, with or without nf_conntrack)
 *	vpc_bench pps GEN_NS GEN_IF SINK_NS SINK_IF PACKETS
 *		transmit PACKETS frames out of GEN_IF (XDP_TX in live mode,
 *		on CPU 0) and count what arrives at SINK_IF: packets/s
 *	vpc_bench memlock PIN_DIR
 *		size and memlock of the session table
 *	vpc_bench count PIN_DIR
 *		entries in the session table
 *
 * The frames are those of vpc-test.conf's addresses.  Figures are medians
 * of RUNS runs; each line is "what value unit".
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/zoc_vpc.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-pkt.h"
#include "vpc-tables.h"
#include "vpc_bench.skel.h"

#define VB_REPEAT	1000000
#define VB_MAX_RUNS	15
#define VB_TMPL		64

static const uint8_t mac_v0[6] = { 2, 0, 0, 0, 0, 0x10 };
static const uint8_t mac_v1[6] = { 2, 0, 0, 0, 0, 0x20 };
static const uint8_t mac_gw[6] = { 2, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_r30[6] = { 2, 0, 0, 0, 0, 0x3a };
static const uint8_t mac_any[6] = { 2, 0, 0, 0, 0, 0x99 };

static int vb_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct vpc_bench *vb_open(void)
{
	struct vpc_bench *skel = vpc_bench__open_and_load();

	if (!skel)
		fprintf(stderr, "vpc_bench: load: %s\n", strerror(errno));
	return skel;
}

/*
 * Median ns per packet of @prog behind vpc_reset, with @pkt arriving on
 * @ifindex, in live-frame mode.
 */
static int vb_measure(struct vpc_bench *skel, int prog, unsigned int ifindex,
		      const struct pkt *pkt, bool vary, int runs,
		      uint32_t *median)
{
	uint32_t dur[VB_MAX_RUNS], zero = 0;
	struct xdp_md ctx = {
		.data_end = pkt->len,
		.ingress_ifindex = ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = pkt->b,
		    .data_size_in = pkt->len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = VB_REPEAT,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = 64);
	int i, ret;

	memcpy(skel->bss->tmpl, pkt->b, VB_TMPL);
	skel->bss->vary = vary;
	ret = bpf_map_update_elem(bpf_map__fd(skel->maps.vpc_target), &zero,
				  &prog, BPF_ANY);
	if (ret) {
		fprintf(stderr, "vpc_bench: prog array: %s\n", strerror(errno));
		return -errno;
	}
	for (i = 0; i < runs; i++) {
		ret = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.vpc_reset),
					     &opts);
		if (ret) {
			fprintf(stderr, "vpc_bench: test run: %s\n",
				strerror(errno));
			return -errno;
		}
		dur[i] = opts.duration;
	}
	qsort(dur, runs, sizeof(dur[0]), vb_cmp);
	*median = dur[runs / 2];
	return 0;
}

static int vb_prog(unsigned int ifindex)
{
	__u32 id = 0;

	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) || !id)
		return -ENOENT;
	return bpf_prog_get_fd_by_id(id);
}

static int vb_pin(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

/* A frame at least as long as the template vpc_reset restores. */
static void vb_flow(struct pkt *p, const uint8_t *smac, const char *saddr,
		    const char *daddr, uint8_t proto, uint16_t sport,
		    uint16_t dport, uint8_t flags)
{
	struct flow f = {
		.saddr = pkt_ip4(saddr), .daddr = pkt_ip4(daddr), .proto = proto,
		.sport = sport, .dport = dport, .tcp_flags = flags,
		.ttl = 64, .payload = 10,
	};

	memcpy(f.smac, smac, 6);
	memcpy(f.dmac, mac_gw, 6);
	pkt_inner(p, &f);
}

/* An established session, so that the packets measured hit it. */
static int vb_session(int fd, int cfd, const char *a, uint16_t pa,
		      const char *b, uint16_t pb)
{
	struct zoc_vpc_ct_key key = { .vni = 100, .proto = IPPROTO_TCP };
	struct zoc_vpc_ct ct = { .state = ZOC_VPC_CT_ESTABLISHED };
	uint32_t x = pkt_ip4(a), y = pkt_ip4(b), idx;
	struct zoc_vpc_config cfg;
	struct zoc_vpc_ct_set set;
	struct timespec ts;
	int table, ret;

	key.addr[0] = x < y ? x : y;
	key.addr[1] = x < y ? y : x;
	key.port[0] = htons(x < y ? pa : pb);
	key.port[1] = htons(x < y ? pb : pa);
	ct.flags = x < y ? 0 : ZOC_VPC_CT_OPENER1;
	/*
	 * Seen now: every packet measured refreshes it.  A time ahead of
	 * the datapath's clock would make the session look expired (the
	 * idle time wraps around), and the packets measured dropped.
	 */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	ct.last_seen = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	table = vpc_table_fd(fd, cfd, &cfg);
	if (table < 0)
		return -1;
	/* way 0 of its set, sequence even: in use */
	idx = zoc_vpc_ct_set_of(&key, cfg.ct_seed, vpc_table_sets(&cfg));
	ret = bpf_map_lookup_elem(table, &idx, &set);
	if (!ret) {
		set.way[0].key = key;
		set.way[0].seq += set.way[0].seq & 1 ? 1 : 2;
		set.way[0].ct = ct;
		ret = bpf_map_update_elem(table, &idx, &set, BPF_EXIST);
	}
	close(table);
	return ret;
}

/**
 * struct vb_path - one path to measure
 * @name: what it is called in the output
 * @prog: the program run behind vpc_reset
 * @ifindex: the device the frame arrives on
 * @vary: a new session per packet
 * @pkt: the frame
 */
struct vb_path {
	const char *name;
	int prog;
	unsigned int ifindex;
	bool vary;
	struct pkt pkt;
};

static struct pkt *vb_path(struct vb_path *path, const char *name, int prog,
			   unsigned int ifindex, bool vary)
{
	path->name = name;
	path->prog = prog;
	path->ifindex = ifindex;
	path->vary = vary;
	return &path->pkt;
}

static int vb_paths(const char *dir, int runs)
{
	unsigned int rep0 = if_nametoindex("rep0");
	unsigned int rep1 = if_nametoindex("rep1");
	unsigned int up0 = if_nametoindex("up0");
	int vnic = vb_prog(rep0), uplink = vb_prog(up0);
	int sessions = vb_pin(dir, ZOC_VPC_PIN_SESSIONS);
	int config = vb_pin(dir, ZOC_VPC_PIN_CONFIG);
	int ports = vb_pin(dir, ZOC_VPC_PIN_PORTS);
	static struct vb_path paths[10];
	struct vpc_bench *skel;
	uint32_t empty, ns;
	struct pkt inner, *p;
	unsigned int i;

	if (vnic < 0 || uplink < 0 || sessions < 0 || config < 0 || ports < 0) {
		fprintf(stderr, "vpc_bench: datapath not loaded\n");
		return 1;
	}
	skel = vb_open();
	if (!skel)
		return 1;
	/* every path ends at a device missing from the ports map: a drop */
	bpf_map_delete_elem(ports, &rep0);
	bpf_map_delete_elem(ports, &rep1);
	bpf_map_delete_elem(ports, &up0);
	if (vb_session(sessions, config, "10.1.0.10", 40001, "10.1.0.30", 5000) ||
	    vb_session(sessions, config, "10.1.0.10", 40002, "10.1.0.20",
		       8080)) {
		fprintf(stderr, "vpc_bench: sessions: %s\n", strerror(errno));
		return 1;
	}

	p = vb_path(&paths[0], "empty", bpf_program__fd(skel->progs.vpc_drop),
		    rep0, false);
	vb_flow(p, mac_v0, "10.1.0.10", "10.1.0.30", IPPROTO_TCP, 40001, 5000,
		0x10);
	p = vb_path(&paths[1], "encap_ct_hit", vnic, rep0, false);
	vb_flow(p, mac_v0, "10.1.0.10", "10.1.0.30", IPPROTO_TCP, 40001, 5000,
		0x10);
	p = vb_path(&paths[2], "decap_ct_hit", uplink, up0, false);
	vb_flow(&inner, mac_r30, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 5000,
		40001, 0x10);
	pkt_vxlan(p, &inner, mac_any, mac_any, pkt_ip4("192.168.50.2"),
		  pkt_ip4("192.168.50.1"), 100);
	p = vb_path(&paths[3], "local_ct_hit", vnic, rep0, false);
	vb_flow(p, mac_v0, "10.1.0.10", "10.1.0.20", IPPROTO_TCP, 40002, 8080,
		0x10);
	p = vb_path(&paths[4], "arp_reply", vnic, rep0, false);
	pkt_arp(p, mac_v0, pkt_ip4("10.1.0.10"), pkt_ip4("10.1.0.1"));
	p->len = VB_TMPL;
	p = vb_path(&paths[5], "sg_deny", vnic, rep1, false);
	vb_flow(p, mac_v1, "10.1.0.20", "10.1.0.30", IPPROTO_TCP, 40003, 443,
		0x02);
	p = vb_path(&paths[6], "bad_vxlan_drop", uplink, up0, false);
	pkt_vxlan(p, &inner, mac_any, mac_any, pkt_ip4("192.168.50.2"),
		  pkt_ip4("192.168.50.1"), 100);
	p->b[42] = 0x0c;
	p = vb_path(&paths[7], "new_session_encap", vnic, rep0, true);
	vb_flow(p, mac_v0, "10.1.0.10", "10.1.0.30", IPPROTO_TCP, 1, 1, 0x02);
	/* a FIN without a session: no pick-up, dropped */
	p = vb_path(&paths[8], "ct_miss_drop", vnic, rep0, true);
	vb_flow(p, mac_v0, "10.1.0.10", "10.1.0.30", IPPROTO_TCP, 1, 1, 0x11);
	p = vb_path(&paths[9], "tcp_pickup_encap", vnic, rep0, true);
	vb_flow(p, mac_v0, "10.1.0.10", "10.1.0.30", IPPROTO_TCP, 1, 1, 0x10);

	if (vb_measure(skel, paths[0].prog, paths[0].ifindex, &paths[0].pkt,
		       false, runs, &empty))
		return 1;
	printf("path empty %u ns_total (vpc_reset + tail call + XDP_DROP)\n",
	       empty);
	for (i = 1; i < ARRAY_SIZE(paths); i++) {
		if (vb_measure(skel, paths[i].prog, paths[i].ifindex,
			       &paths[i].pkt, paths[i].vary, runs, &ns))
			return 1;
		printf("path %s %d ns\n", paths[i].name, (int)ns - (int)empty);
	}
	vpc_bench__destroy(skel);
	return 0;
}

/* The new-session flood of vb_paths, given to the stack instead. */
static int vb_stack(const char *ifname, int runs)
{
	unsigned int ifindex = if_nametoindex(ifname);
	struct vpc_bench *skel;
	uint32_t empty, ns;
	struct pkt p;

	skel = vb_open();
	if (!skel || !ifindex)
		return 1;
	vb_flow(&p, mac_v0, "10.1.0.10", "10.1.0.30", IPPROTO_TCP, 1, 1, 0x02);
	/* the stack takes frames addressed to the device */
	memset(p.b, 0, 6);
	p.b[0] = 0x02;
	p.b[5] = 0x01;
	if (vb_measure(skel, bpf_program__fd(skel->progs.vpc_drop), ifindex,
		       &p, true, runs, &empty) ||
	    vb_measure(skel, bpf_program__fd(skel->progs.vpc_pass), ifindex,
		       &p, true, runs, &ns))
		return 1;
	printf("stack %d ns\n", (int)ns - (int)empty);
	vpc_bench__destroy(skel);
	return 0;
}

static int vb_attach(struct vpc_bench *skel, struct bpf_program *prog,
		     const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);
	int ret;

	if (!ifindex) {
		fprintf(stderr, "vpc_bench: %s: no such device\n", ifname);
		return -ENODEV;
	}
	ret = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (ret)
		fprintf(stderr, "vpc_bench: attach to %s: %s\n", ifname,
			strerror(-ret));
	return ret;
}

static int vb_setns(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vpc_bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Send @packets copies of @p out of @ifindex: XDP_TX in live-frame mode,
 * vpc_gen restoring the frame from the template each time.
 */
static int vb_generate(struct vpc_bench *skel, unsigned int ifindex,
		       const struct pkt *p, unsigned long packets)
{
	struct xdp_md ctx = { .data_end = p->len, .ingress_ifindex = ifindex };
	struct bpf_test_run_opts opts = {
		.sz = sizeof(opts),
		.data_in = p->b,
		.data_size_in = p->len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = packets,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = 64,
	};
	int prog = bpf_program__fd(skel->progs.vpc_gen), ret;

	memcpy(skel->bss->tmpl, p->b, VB_TMPL);
	ret = bpf_prog_test_run_opts(prog, &opts);
	return ret;
}

/*
 * One UDP flow of 64-byte frames from vNIC 10.1.0.10 to 10.1.0.30 behind
 * the VTEP 192.168.50.2, VNI 100; the sink counts the VXLAN frames that
 * carry it, and anything else apart.
 */
static int vb_pps(char **argv)
{
	unsigned long packets = strtoul(argv[4], NULL, 0);
	struct flow f = {
		.saddr = pkt_ip4("10.1.0.10"), .daddr = pkt_ip4("10.1.0.30"),
		.proto = IPPROTO_UDP, .sport = 40000, .dport = 5000,
		.ttl = 64, .payload = VB_TMPL - 14 - 20 - 8,
	};
	uint64_t sunk0, sunk1, other0, other1;
	struct timespec t0, t1;
	struct vpc_bench *skel;
	unsigned int gen_if;
	cpu_set_t cpus;
	struct pkt p;
	double secs;
	int ret;

	skel = vb_open();
	if (!skel)
		return 1;
	skel->bss->sink_vni = 100;
	skel->bss->sink_daddr = pkt_ip4("10.1.0.30");
	ret = vb_setns(argv[2]) ?: vb_attach(skel, skel->progs.vpc_sink, argv[3]);
	if (ret)
		return 1;
	if (vb_setns(argv[0]))
		return 1;
	gen_if = if_nametoindex(argv[1]);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (!gen_if || sched_setaffinity(0, sizeof(cpus), &cpus)) {
		fprintf(stderr, "vpc_bench: generator set-up failed\n");
		return 1;
	}
	/* a 64-byte frame: the whole of it is the template */
	memcpy(f.smac, mac_v0, 6);
	memcpy(f.dmac, mac_gw, 6);
	pkt_inner(&p, &f);
	sunk0 = __atomic_load_n(&skel->bss->sunk, __ATOMIC_RELAXED);
	other0 = __atomic_load_n(&skel->bss->sunk_other, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = vb_generate(skel, gen_if, &p, packets);
	/* let the last batches drain through the device under test */
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sunk1 = __atomic_load_n(&skel->bss->sunk, __ATOMIC_RELAXED);
	other1 = __atomic_load_n(&skel->bss->sunk_other, __ATOMIC_RELAXED);
	if (ret) {
		fprintf(stderr, "vpc_bench: generator: %s\n", strerror(errno));
		return 1;
	}
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 - 0.1;
	printf("pps %.0f received %llu other %llu sent %lu in %.3f s\n",
	       (sunk1 - sunk0) / secs, (unsigned long long)(sunk1 - sunk0),
	       (unsigned long long)(other1 - other0), packets, secs);
	if (!vb_setns(argv[2]))
		bpf_xdp_detach(if_nametoindex(argv[3]), XDP_FLAGS_DRV_MODE, NULL);
	vpc_bench__destroy(skel);
	return 0;
}

static int vb_memlock(const char *dir)
{
	int tables = vb_pin(dir, ZOC_VPC_PIN_SESSIONS);
	int cfd = vb_pin(dir, ZOC_VPC_PIN_CONFIG);
	struct zoc_vpc_config cfg;
	char path[64], line[256];
	FILE *f;
	int fd;

	fd = tables < 0 || cfd < 0 ? -1 : vpc_table_fd(tables, cfd, &cfg);
	if (fd < 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "max_entries:", 12) ||
		    !strncmp(line, "memlock:", 8))
			fputs(line, stdout);
	fclose(f);
	close(fd);
	close(cfd);
	close(tables);
	return 0;
}

/* Sessions in use in the table, read through a read-only mapping. */
static int vb_count(const char *dir)
{
	int tables = vb_pin(dir, ZOC_VPC_PIN_SESSIONS);
	int cfd = vb_pin(dir, ZOC_VPC_PIN_CONFIG);
	const struct zoc_vpc_ct_set *sets;
	unsigned long long total = 0;
	struct zoc_vpc_config cfg;
	uint32_t i, w;
	size_t len;
	int fd;

	fd = tables < 0 || cfd < 0 ? -1 : vpc_table_fd(tables, cfd, &cfg);
	if (fd < 0)
		return 1;
	len = (size_t)vpc_table_sets(&cfg) * sizeof(*sets);
	sets = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (sets == MAP_FAILED) {
		fprintf(stderr, "vpc_bench: count: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < vpc_table_sets(&cfg); i++)
		for (w = 0; w < ZOC_VPC_CT_WAYS; w++)
			total += sets[i].way[w].ct.state != ZOC_VPC_CT_NONE;
	printf("sessions %llu\n", total);
	munmap((void *)sets, len);
	close(fd);
	close(cfd);
	close(tables);
	return 0;
}

int main(int argc, char **argv)
{
	struct vpc_bench *skel;
	int runs;

	if (argc >= 3 && !strcmp(argv[1], "pass")) {
		skel = vb_open();
		return !skel || vb_attach(skel, skel->progs.vpc_pass, argv[2]);
	}
	if (argc == 4 && !strcmp(argv[1], "paths")) {
		runs = atoi(argv[3]);
		if (runs < 1 || runs > VB_MAX_RUNS)
			return 2;
		return vb_paths(argv[2], runs);
	}
	if (argc == 4 && !strcmp(argv[1], "stack")) {
		runs = atoi(argv[3]);
		if (runs < 1 || runs > VB_MAX_RUNS)
			return 2;
		return vb_stack(argv[2], runs);
	}
	if (argc == 7 && !strcmp(argv[1], "pps"))
		return vb_pps(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "count"))
		return vb_count(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "memlock"))
		return vb_memlock(argv[2]);
	fprintf(stderr, "usage: see the head of vpc_bench.c\n");
	return 2;
}
