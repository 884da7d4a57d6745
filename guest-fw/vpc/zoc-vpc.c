// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc: show the counters and sessions of the VPC datapath.
 *
 *	zoc-vpc [-p DIR] stats		per-vNIC counters, the session
 *					table's size, events, drops
 *	zoc-vpc [-p DIR] sessions	the sessions
 *	zoc-vpc [-p DIR] flush		forget every session (as conntrack -F)
 *
 * It reads the maps zoc-vpc-load pinned in DIR (/sys/fs/bpf/zoc-vpc).
 * Every output line is "what name value..." so that scripts can pick
 * what they need.  Sessions idle past their timeout are still in the
 * table (the datapath treats them as absent) and are shown as expired.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-ct.h"
#include "vpc-names.h"

#define VPC_PIN_DEFAULT		"/sys/fs/bpf/zoc-vpc"
#define NSEC_PER_SEC		1000000000ULL

static int vpc_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "zoc-vpc: %s: %s\n", path, strerror(errno));
	return fd;
}

/* Sum a per-CPU array entry made of @n u64 counters into @sum. */
static int vpc_percpu_sum(int fd, __u32 key, unsigned int n, __u64 *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned int cpu, i;
	__u64 *vals;

	if (ncpus < 0)
		return ncpus;
	vals = calloc((size_t)ncpus * n, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		free(vals);
		return -errno;
	}
	memset(sum, 0, n * sizeof(*sum));
	for (cpu = 0; cpu < (unsigned int)ncpus; cpu++)
		for (i = 0; i < n; i++)
			sum[i] += vals[cpu * n + i];
	free(vals);
	return 0;
}

static int vpc_show_vnics(const char *dir)
{
	struct zoc_vpc_vnic_stats st;
	struct zoc_vpc_vnic vnic;
	char name[IF_NAMESIZE], addr[INET_ADDRSTRLEN];
	__u32 key, *prev = NULL;
	__u64 held;
	int vnics, stats, ct_held, ret = 0;

	vnics = vpc_open(dir, ZOC_VPC_PIN_VNICS);
	stats = vpc_open(dir, ZOC_VPC_PIN_VNIC_STATS);
	ct_held = vpc_open(dir, ZOC_VPC_PIN_CT_HELD);
	if (vnics < 0 || stats < 0 || ct_held < 0) {
		ret = -ENOENT;
		goto out;
	}
	while (!bpf_map_get_next_key(vnics, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(vnics, &key, &vnic))
			continue;
		if (vpc_percpu_sum(stats, vnic.slot, sizeof(st) / sizeof(__u64),
				   (__u64 *)&st) ||
		    bpf_map_lookup_elem(ct_held, &vnic.slot, &held))
			continue;
		if (!if_indextoname(key, name))
			snprintf(name, sizeof(name), "if%u", key);
		inet_ntop(AF_INET, &vnic.addr, addr, sizeof(addr));
		printf("vnic %s vni %u addr %s", name, vnic.vni, addr);
		printf(" from_packets %llu from_bytes %llu", st.from_packets,
		       st.from_bytes);
		printf(" to_packets %llu to_bytes %llu drops %llu sessions %lld\n",
		       st.to_packets, st.to_bytes, st.drops, (long long)held);
	}
out:
	if (vnics >= 0)
		close(vnics);
	if (stats >= 0)
		close(stats);
	if (ct_held >= 0)
		close(ct_held);
	return ret;
}

static int vpc_show_array(const char *dir, const char *pin, const char *what,
			  const char * const *names, unsigned int n)
{
	unsigned int i;
	__u64 sum;
	int fd;

	fd = vpc_open(dir, pin);
	if (fd < 0)
		return fd;
	for (i = 0; i < n; i++)
		if (!vpc_percpu_sum(fd, i, 1, &sum))
			printf("%s %s %llu\n", what, names[i], sum);
	close(fd);
	return 0;
}

static const char *vpc_proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "other";
	}
}

static void vpc_show_session(const struct zoc_vpc_ct_entry *e,
			     const struct zoc_vpc_config *cfg,
			     unsigned long long now)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const struct zoc_vpc_ct_key *key = &e->key;
	const struct zoc_vpc_ct *ct = &e->ct;
	bool expired;
	int o;

	/* show the opener first */
	o = ct->flags & ZOC_VPC_CT_OPENER1 ? 1 : 0;
	inet_ntop(AF_INET, &key->addr[o], a, sizeof(a));
	inet_ntop(AF_INET, &key->addr[!o], b, sizeof(b));
	expired = ct->state >= ZOC_VPC_CT_MAX ||
		  now - ct->last_seen > cfg->timeout[ct->state];
	printf("session vni %u %s %s:%u %s:%u state %s idle %llus packets %u%s\n",
	       key->vni, vpc_proto_name(key->proto), a,
	       ntohs(key->port[o]), b, ntohs(key->port[!o]),
	       ct->state < ZOC_VPC_CT_MAX ? vpc_state_names[ct->state] : "?",
	       now > ct->last_seen ? (now - ct->last_seen) / NSEC_PER_SEC : 0,
	       ct->packets, expired ? " expired" : "");
}

/* The session table's size: in use, being drained, and a vNIC's quota. */
static int vpc_show_table(const char *dir)
{
	struct zoc_vpc_config cfg;
	__u32 zero = 0, slot;
	int fd, ret;

	fd = vpc_open(dir, ZOC_VPC_PIN_CONFIG);
	if (fd < 0)
		return -1;
	ret = bpf_map_lookup_elem(fd, &zero, &cfg);
	close(fd);
	if (ret) {
		fprintf(stderr, "zoc-vpc: config: %s\n", strerror(errno));
		return -1;
	}
	slot = cfg.ct_table & 1;
	printf("table sets %u sessions %llu draining %u quota %u\n",
	       cfg.ct_sets[slot],
	       (unsigned long long)cfg.ct_sets[slot] * ZOC_VPC_CT_WAYS,
	       cfg.ct_sets[slot ^ 1], cfg.ct_quota);
	return 0;
}

/*
 * Map the session table in @slot (@prot), -ENOENT if the slot is empty;
 * the datapath's configuration in @cfg.
 */
static int vpc_map_sessions(const char *dir, __u32 slot, int prot,
			    struct vpc_ct_table *t, struct zoc_vpc_config *cfg)
{
	__u32 zero = 0;
	int fd, ret;

	fd = vpc_open(dir, ZOC_VPC_PIN_CONFIG);
	if (fd < 0)
		return -ENOENT;
	ret = bpf_map_lookup_elem(fd, &zero, cfg) ? -errno : 0;
	close(fd);
	if (ret) {
		fprintf(stderr, "zoc-vpc: config: %s\n", strerror(-ret));
		return ret;
	}
	fd = vpc_open(dir, ZOC_VPC_PIN_SESSIONS);
	if (fd < 0)
		return -ENOENT;
	ret = vpc_ct_open(fd, slot, prot, t);
	close(fd);
	if (ret && ret != -ENOENT)
		fprintf(stderr, "zoc-vpc: sessions: %s\n", strerror(-ret));
	return ret;
}

/*
 * Run @fn on each session table there is (one is being drained while the
 * table grows), mapped @prot; each entry in use of it, even or odd.
 */
static int vpc_each_session(const char *dir, int prot,
			    void (*fn)(struct zoc_vpc_ct_entry *e,
				       const struct zoc_vpc_config *cfg,
				       void *arg),
			    void *arg)
{
	struct zoc_vpc_config cfg;
	struct vpc_ct_table t;
	__u32 i, w, slot;
	int ret = 0;

	for (slot = 0; slot < ZOC_VPC_CT_TABLES && !ret; slot++) {
		ret = vpc_map_sessions(dir, slot, prot, &t, &cfg);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		for (i = 0; i < t.nr_sets && !ret; i++)
			for (w = 0; w < ZOC_VPC_CT_WAYS; w++)
				if (t.sets[i].way[w].ct.state !=
				    ZOC_VPC_CT_NONE)
					fn(&t.sets[i].way[w], &cfg, arg);
		vpc_ct_close(&t);
	}
	return ret;
}

/**
 * struct vpc_flush - what a flush did
 * @held: the ct_held map, mapped
 * @n: sessions freed
 * @busy: sessions being written, left alone
 */
struct vpc_flush {
	__u64 *held;
	unsigned long n;
	unsigned long busy;
};

static void vpc_flush_one(struct zoc_vpc_ct_entry *e,
			  const struct zoc_vpc_config *cfg, void *arg)
{
	struct vpc_flush *f = arg;
	__u32 seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	if (!vpc_ct_claim(e, &seq)) {
		f->busy++;
		return;
	}
	vpc_ct_free(e, seq, f->held);
	f->n++;
}

/*
 * Forget every session, the way the datapath writes an entry: claim it
 * by making its sequence odd (compare and exchange: a datapath writer
 * may hold it; it is then left alone), mark it free, publish it even.
 * The pin directory is locked, as the loader locks it to grow the table.
 * Established TCP connections are taken up again by their next segment
 * if the security groups admit them (see TCP pick-up in vpc.rst).  Each
 * session freed is given back to the vNIC it counted against.
 */
static int vpc_flush_sessions(const char *dir)
{
	struct vpc_flush f = { 0 };
	int fd, lock, ret = -1;

	lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX)) {
		fprintf(stderr, "zoc-vpc: %s: %s\n", dir, strerror(errno));
		if (lock >= 0)
			close(lock);
		return -1;
	}
	fd = vpc_open(dir, ZOC_VPC_PIN_CT_HELD);
	if (fd >= 0) {
		f.held = vpc_ct_map_held(fd);
		close(fd);
	}
	if (f.held &&
	    !vpc_each_session(dir, PROT_READ | PROT_WRITE, vpc_flush_one, &f)) {
		printf("flushed sessions %lu busy %lu\n", f.n, f.busy);
		ret = 0;
	}
	vpc_ct_unmap_held(f.held);
	close(lock);
	return ret;
}

static void vpc_show_one(struct zoc_vpc_ct_entry *e,
			 const struct zoc_vpc_config *cfg, void *arg)
{
	if (!(e->seq & 1))
		vpc_show_session(e, cfg, *(unsigned long long *)arg);
}

/*
 * A session table is an mmapable array of sets: map them read-only and
 * show every entry in use.  An entry being written (odd sequence) is
 * skipped; one written while it is printed may show a mix of two
 * sessions, and one moved from the old table while the table grows may
 * show twice.
 */
static int vpc_show_sessions(const char *dir)
{
	unsigned long long now;
	struct timespec ts;

	/* the datapath's clock: bpf_ktime_get_coarse_ns() */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	return vpc_each_session(dir, PROT_READ, vpc_show_one, &now) ? -1 : 0;
}

static void vpc_usage(void)
{
	fprintf(stderr, "usage: zoc-vpc [-p PIN_DIR] stats|sessions|flush\n");
}

int main(int argc, char **argv)
{
	const char *dir = VPC_PIN_DEFAULT;
	int opt, ret;

	while ((opt = getopt(argc, argv, "p:h")) != -1) {
		switch (opt) {
		case 'p':
			dir = optarg;
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
	if (!strcmp(argv[optind], "stats")) {
		ret = vpc_show_vnics(dir) ?: vpc_show_table(dir) ?:
		      vpc_show_array(dir, ZOC_VPC_PIN_EVENTS, "event",
				     vpc_event_names, ZOC_VPC_EV_MAX) ?:
		      vpc_show_array(dir, ZOC_VPC_PIN_DROPS, "drop",
				     vpc_drop_names, ZOC_VPC_DROP_MAX);
	} else if (!strcmp(argv[optind], "sessions")) {
		ret = vpc_show_sessions(dir);
	} else if (!strcmp(argv[optind], "flush")) {
		ret = vpc_flush_sessions(dir);
	} else {
		vpc_usage();
		return 2;
	}
	return ret ? 1 : 0;
}
