// SPDX-License-Identifier: GPL-2.0
/*
 * The VPC session tables from user space: made, mapped, grown.
 *
 * The sessions map is an array of two maps (ZOC_VPC_CT_TABLES slots); the
 * configuration's ct_table names the table in use and ct_sets the size of
 * each.  To grow, the loader makes a bigger table, puts it in the free
 * slot and makes it the one in use (one word of the configuration): from
 * then on the datapath creates sessions there, and looks a session up in
 * the old table too when the new one lacks it.  After a grace period (no
 * packet still sees the old table as the one in use) the loader copies
 * every live session of the old table into the new one; after another,
 * it frees them in the old table, with what packets that found them
 * there meanwhile wrote, then empties the old slot.  A lookup so finds a
 * session in one table or the other at every instant.
 *
 * Entries are claimed and published as the datapath does (zoc_vpc.bpf.c,
 * vpc_ct_create()): the sequence made odd by compare and exchange, even
 * again by an atomic store once the key and state are written.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "vpc-ct.h"

#define VPC_CT_BUSY_TRIES	1000	/* waits for an entry being written */

/*
 * Wait until no BPF program still runs that began before: Linux waits for
 * them (synchronize_rcu()) before an update of a map of maps returns, so
 * that user space knows every program that may run sees the new value.
 * Rewriting @slot of @sessions with @table, which it holds, changes
 * nothing else.
 */
static int vpc_ct_grace(int sessions, __u32 slot, int table)
{
	if (bpf_map_update_elem(sessions, &slot, &table, BPF_ANY)) {
		fprintf(stderr, "zoc-vpc: session table %u: %s\n", slot,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int vpc_ct_mmap(struct vpc_ct_table *t, int prot)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(t->fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || !info.max_entries ||
	    info.value_size != sizeof(struct zoc_vpc_ct_set))
		return -EINVAL;
	t->nr_sets = info.max_entries;
	t->sets = mmap(NULL, (size_t)t->nr_sets * sizeof(*t->sets), prot,
		       MAP_SHARED, t->fd, 0);
	if (t->sets == MAP_FAILED) {
		t->sets = NULL;
		return -errno;
	}
	return 0;
}

/**
 * vpc_ct_new() - make an empty session table, mapped read-write
 * @nr_sets: its sets
 * @t: the table
 *
 * Return: 0, or a negative errno.
 */
int vpc_ct_new(__u32 nr_sets, struct vpc_ct_table *t)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	int ret;

	t->sets = NULL;
	t->fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "zoc_vpc_ct", sizeof(__u32),
			       sizeof(struct zoc_vpc_ct_set), nr_sets, &opts);
	if (t->fd < 0) {
		ret = -errno;
		fprintf(stderr, "zoc-vpc: session table of %u sets: %s\n",
			nr_sets, strerror(-ret));
		return ret;
	}
	ret = vpc_ct_mmap(t, PROT_READ | PROT_WRITE);
	if (ret)
		vpc_ct_close(t);
	return ret;
}

/**
 * vpc_ct_open() - map the session table in a slot of the sessions map
 * @sessions: the sessions map (array of maps)
 * @slot: the slot
 * @prot: PROT_READ, and PROT_WRITE to change it
 * @t: the table
 *
 * Return: 0, -ENOENT if the slot holds no table, or a negative errno.
 */
int vpc_ct_open(int sessions, __u32 slot, int prot, struct vpc_ct_table *t)
{
	__u32 id;
	int ret;

	t->sets = NULL;
	t->fd = -1;
	if (bpf_map_lookup_elem(sessions, &slot, &id))
		return -errno;
	t->fd = bpf_map_get_fd_by_id(id);
	if (t->fd < 0)
		return -errno;
	ret = vpc_ct_mmap(t, prot);
	if (ret)
		vpc_ct_close(t);
	return ret;
}

/**
 * vpc_ct_close() - unmap a session table and close it
 * @t: the table, as vpc_ct_new() or vpc_ct_open() gave it
 */
void vpc_ct_close(struct vpc_ct_table *t)
{
	if (t->sets)
		munmap(t->sets, (size_t)t->nr_sets * sizeof(*t->sets));
	if (t->fd >= 0)
		close(t->fd);
	t->sets = NULL;
	t->fd = -1;
}

/**
 * vpc_ct_claim() - claim an entry for writing, as the datapath does
 * @e: the entry
 * @seq: its sequence, even, as read before deciding to write it
 *
 * Return: true if @e is now ours (odd), false if another writer has it or
 * wrote it since @seq was read.
 */
bool vpc_ct_claim(struct zoc_vpc_ct_entry *e, __u32 *seq)
{
	return !(*seq & 1) &&
	       __atomic_compare_exchange_n(&e->seq, seq, *seq + 1, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/**
 * vpc_ct_free() - free a claimed entry, giving its session back
 * @e: the entry, claimed with vpc_ct_claim()
 * @seq: the sequence it was claimed from
 * @held: the ct_held map, mapped, or NULL: the session is not given back
 *	(it moved)
 */
void vpc_ct_free(struct zoc_vpc_ct_entry *e, __u32 seq, __u64 *held)
{
	__u32 owner = e->ct.owner;

	e->ct.state = ZOC_VPC_CT_NONE;
	e->ct.owner = 0;
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_SEQ_CST);
	if (held && owner && owner <= ZOC_VPC_MAX_VNICS)
		__atomic_fetch_sub(&held[owner - 1], 1, __ATOMIC_RELAXED);
}

/* The datapath's clock: bpf_ktime_get_coarse_ns() */
static __u64 vpc_ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* As the datapath's vpc_ct_expired(); a free entry counts as expired. */
static bool vpc_ct_expired(const struct zoc_vpc_ct *ct,
			   const struct zoc_vpc_config *cfg, __u64 now)
{
	return ct->state == ZOC_VPC_CT_NONE || ct->state >= ZOC_VPC_CT_MAX ||
	       now - ct->last_seen > cfg->timeout[ct->state];
}

/* As the datapath's vpc_ct_evictable() */
static bool vpc_ct_evictable(const struct zoc_vpc_ct *ct)
{
	return !(ct->flags & ZOC_VPC_CT_REPLIED) ||
	       ct->state == ZOC_VPC_CT_TIME_WAIT ||
	       ct->state == ZOC_VPC_CT_CLOSE;
}

/*
 * Write live session @src into @set of the new table, as the datapath's
 * vpc_ct_create() chooses an entry.  Returns 1 if written, 0 if the set
 * has the session already (the datapath opened it again there), -ENOSPC
 * if no entry may be taken; -EAGAIN if the entry chosen was being
 * written.  An expired or evicted session overwritten is given back.
 */
static int vpc_ct_put(struct zoc_vpc_ct_set *set,
		      const struct zoc_vpc_ct_entry *src,
		      const struct zoc_vpc_config *cfg, __u64 now, __u64 *held)
{
	struct zoc_vpc_ct_entry *e, *victim = NULL;
	__u64 oldest = ~0ULL;
	__u32 seq, vseq = 0, w;
	bool busy = false;

	for (w = 0; w < ZOC_VPC_CT_WAYS; w++) {
		e = &set->way[w];
		seq = __atomic_load_n(&e->seq, __ATOMIC_SEQ_CST);
		if (seq & 1) {
			busy = true;
			continue;
		}
		if (e->ct.state != ZOC_VPC_CT_NONE &&
		    !memcmp(&e->key, &src->key, sizeof(e->key)))
			return 0;
		if (vpc_ct_expired(&e->ct, cfg, now)) {
			if (!victim || oldest) {
				victim = e;
				vseq = seq;
				oldest = 0;
			}
		} else if (vpc_ct_evictable(&e->ct) &&
			   e->ct.last_seen < oldest) {
			oldest = e->ct.last_seen;
			victim = e;
			vseq = seq;
		}
	}
	if (!victim)
		return busy ? -EAGAIN : -ENOSPC;
	if (!vpc_ct_claim(victim, &vseq))
		return -EAGAIN;
	if (victim->ct.state != ZOC_VPC_CT_NONE && victim->ct.owner &&
	    victim->ct.owner <= ZOC_VPC_MAX_VNICS)
		__atomic_fetch_sub(&held[victim->ct.owner - 1], 1,
				   __ATOMIC_RELAXED);
	memcpy(&victim->key, &src->key, sizeof(victim->key));
	victim->ct = src->ct;
	__atomic_store_n(&victim->seq, vseq + 2, __ATOMIC_SEQ_CST);
	return 1;
}

/*
 * First pass over entry @e of the old table: write its session into the
 * new table @to, where the datapath finds it from then on, leaving @e in
 * place (the second pass frees it).  An expired session, one the datapath
 * opened again in @to, or one @to has no room for is freed at once.
 */
static void vpc_ct_copy(struct zoc_vpc_ct_entry *e,
			const struct zoc_vpc_config *cfg,
			struct vpc_ct_table *to, __u64 *held,
			struct vpc_ct_moved *st)
{
	struct zoc_vpc_ct_entry copy;
	unsigned int tries;
	__u32 seq = 1, idx;
	int ret = -EAGAIN;
	__u64 now;

	for (tries = 0; tries < VPC_CT_BUSY_TRIES; tries++) {
		seq = __atomic_load_n(&e->seq, __ATOMIC_SEQ_CST);
		if (seq & 1) {
			sched_yield();
			continue;
		}
		if (e->ct.state == ZOC_VPC_CT_NONE)
			return;
		memcpy(&copy, e, sizeof(copy));
		if (__atomic_load_n(&e->seq, __ATOMIC_SEQ_CST) != seq)
			continue;
		now = vpc_ct_now();
		if (vpc_ct_expired(&copy.ct, cfg, now)) {
			ret = -ESTALE;
			break;
		}
		idx = zoc_vpc_ct_set_of(&copy.key, cfg->ct_seed, to->nr_sets);
		ret = vpc_ct_put(&to->sets[idx], &copy, cfg, now, held);
		if (ret != -EAGAIN)
			break;
		sched_yield();
	}
	if (ret == 1) {
		st->moved++;
		return;
	}
	if (!vpc_ct_claim(e, &seq)) {
		/* written by another all along: no writer of ours */
		st->lost++;
		return;
	}
	if (!ret)
		st->replaced++;
	else if (ret == -ESTALE)
		st->expired++;
	else
		st->lost++;
	vpc_ct_free(e, seq, held);
}

/*
 * Second pass, a grace period after the first: no packet still uses @e,
 * whose session is in the new table @to.  A packet may have updated @e
 * after it was copied: if @e was seen last, its state goes into the copy.
 * @e is freed; its session counts against its owner in @to (or was given
 * back when evicted there).
 */
static void vpc_ct_retire_entry(struct zoc_vpc_ct_entry *e,
				const struct zoc_vpc_config *cfg,
				struct vpc_ct_table *to,
				struct vpc_ct_moved *st)
{
	struct zoc_vpc_ct_entry copy, *n;
	__u32 seq, idx, w;

	seq = __atomic_load_n(&e->seq, __ATOMIC_SEQ_CST);
	if ((seq & 1) || e->ct.state == ZOC_VPC_CT_NONE)
		return;
	memcpy(&copy, e, sizeof(copy));
	idx = zoc_vpc_ct_set_of(&copy.key, cfg->ct_seed, to->nr_sets);
	for (w = 0; w < ZOC_VPC_CT_WAYS; w++) {
		n = &to->sets[idx].way[w];
		if (n->ct.state == ZOC_VPC_CT_NONE ||
		    memcmp(&n->key, &copy.key, sizeof(copy.key)) ||
		    n->ct.last_seen >= copy.ct.last_seen)
			continue;
		/* in place, as a packet updates a live session */
		n->ct.state = copy.ct.state;
		n->ct.flags = copy.ct.flags;
		n->ct.packets = copy.ct.packets;
		n->ct.last_seen = copy.ct.last_seen;
		st->updated++;
		break;
	}
	if (vpc_ct_claim(e, &seq))
		vpc_ct_free(e, seq, NULL);
}

/*
 * Move every live session of table @from (no longer the one in use: the
 * datapath creates none there) into @to, both mapped read-write: copied
 * first, then, a grace period later, freed in @from with what packets
 * wrote there meanwhile.  So a lookup finds each session in one table or
 * the other at every instant, and no update is lost.
 */
static int vpc_ct_drain(const struct zoc_vpc_config *cfg, int sessions,
			struct vpc_ct_table *from, struct vpc_ct_table *to,
			__u64 *held, struct vpc_ct_moved *st)
{
	__u32 i, w;
	int ret;

	for (i = 0; i < from->nr_sets; i++)
		for (w = 0; w < ZOC_VPC_CT_WAYS; w++)
			vpc_ct_copy(&from->sets[i].way[w], cfg, to, held, st);
	ret = vpc_ct_grace(sessions, cfg->ct_table & 1, to->fd);
	if (ret)
		return ret;
	for (i = 0; i < from->nr_sets; i++)
		for (w = 0; w < ZOC_VPC_CT_WAYS; w++)
			vpc_ct_retire_entry(&from->sets[i].way[w], cfg, to, st);
	return 0;
}

/**
 * vpc_ct_map_held() - map the ct_held map read-write
 * @fd: the map
 *
 * Return: its counts, or NULL.
 */
__u64 *vpc_ct_map_held(int fd)
{
	__u64 *held;

	held = mmap(NULL, ZOC_VPC_MAX_VNICS * sizeof(__u64),
		    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (held == MAP_FAILED) {
		fprintf(stderr, "zoc-vpc: ct_held: mmap: %s\n",
			strerror(errno));
		return NULL;
	}
	return held;
}

/**
 * vpc_ct_unmap_held() - unmap what vpc_ct_map_held() mapped
 * @held: its counts, or NULL
 */
void vpc_ct_unmap_held(__u64 *held)
{
	if (held)
		munmap(held, ZOC_VPC_MAX_VNICS * sizeof(__u64));
}

static int vpc_ct_set_config(int config, const struct zoc_vpc_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(config, &zero, cfg, BPF_EXIST)) {
		fprintf(stderr, "zoc-vpc: config: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Move what the table in slot @slot (not in use) holds into the table in
 * use, then empty the slot.
 */
static int vpc_ct_retire(int config, int sessions, __u64 *held,
			 struct zoc_vpc_config *cfg, __u32 slot,
			 struct vpc_ct_moved *st)
{
	struct vpc_ct_table from, to;
	int ret;

	ret = vpc_ct_open(sessions, slot, PROT_READ | PROT_WRITE, &from);
	if (ret == -ENOENT)
		return 0;
	ret = ret ?: vpc_ct_open(sessions, slot ^ 1, PROT_READ | PROT_WRITE,
				 &to);
	if (ret) {
		fprintf(stderr, "zoc-vpc: session tables: %s\n",
			strerror(-ret));
		vpc_ct_close(&from);
		return ret;
	}
	ret = vpc_ct_drain(cfg, sessions, &from, &to, held, st);
	vpc_ct_close(&to);
	if (ret) {
		vpc_ct_close(&from);
		return ret;
	}
	/* returns once no program uses it: a grace period too */
	if (bpf_map_delete_elem(sessions, &slot)) {
		ret = -errno;
		fprintf(stderr, "zoc-vpc: session table %u: %s\n", slot,
			strerror(-ret));
	} else {
		cfg->ct_sets[slot] = 0;
		ret = vpc_ct_set_config(config, cfg);
	}
	vpc_ct_close(&from);
	return ret;
}

/**
 * vpc_ct_grow() - grow the session table without losing its sessions
 * @config: the config map
 * @sessions: the sessions map (array of maps)
 * @held_fd: the ct_held map
 * @nr_sets: sets the table should have; a table as big or bigger stays
 * @quota: &zoc_vpc_config.ct_quota to set with the new table, or -1 to
 *	keep it
 * @st: what the move of the sessions did
 *
 * The caller excludes other writers of the configuration and the
 * sessions map (the pin directory's lock).  A table left being drained by
 * an earlier grow that stopped half-way is drained first.
 *
 * Return: 1 if the table grew, 0 if it was big enough, or a negative errno.
 */
int vpc_ct_grow(int config, int sessions, int held_fd, __u32 nr_sets,
		long long quota, struct vpc_ct_moved *st)
{
	struct zoc_vpc_config cfg;
	struct vpc_ct_table t;
	__u32 zero = 0, slot, free_slot;
	__u64 *held;
	int ret;

	if (bpf_map_lookup_elem(config, &zero, &cfg)) {
		fprintf(stderr, "zoc-vpc: config: %s\n", strerror(errno));
		return -errno;
	}
	held = vpc_ct_map_held(held_fd);
	if (!held)
		return -EIO;
	slot = cfg.ct_table & 1;
	free_slot = slot ^ 1;
	ret = vpc_ct_retire(config, sessions, held, &cfg, free_slot, st);
	if (ret || cfg.ct_sets[slot] >= nr_sets)
		goto out;

	ret = vpc_ct_new(nr_sets, &t);
	if (ret)
		goto out;
	/* the free slot's size first: the datapath ignores it while empty */
	cfg.ct_sets[free_slot] = nr_sets;
	ret = vpc_ct_set_config(config, &cfg);
	if (!ret && bpf_map_update_elem(sessions, &free_slot, &t.fd, BPF_ANY))
		ret = -errno;
	if (ret) {
		vpc_ct_close(&t);
		goto out;
	}
	cfg.ct_table = free_slot;
	if (quota >= 0)
		cfg.ct_quota = quota;
	/* after the grace, no packet sees the old table as the one in use */
	ret = vpc_ct_set_config(config, &cfg) ?:
	      vpc_ct_grace(sessions, free_slot, t.fd);
	vpc_ct_close(&t);
	ret = ret ?: vpc_ct_retire(config, sessions, held, &cfg, slot, st);
	if (!ret)
		ret = 1;
out:
	vpc_ct_unmap_held(held);
	return ret;
}
