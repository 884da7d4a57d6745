// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: zoc-vpc-load's configuration parser (vpc-conf.c),
 * built with AddressSanitizer and UndefinedBehaviorSanitizer.  The file
 * is the service VM's provider's, not a peer's, but a parser that writes
 * out of bounds on a typo is a parser to fix.  Besides what the
 * sanitizers catch, a configuration that parses must hold what its
 * directives allow: every string terminated, counts and prefix lengths
 * within their limits.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpc-conf.h"

static void check_name(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

static void check(const struct vpc_conf *c)
{
	unsigned int i;

	if (c->nr_vnics > ZOC_VPC_MAX_VNICS || c->nr_sgs > ZOC_VPC_MAX_VNICS ||
	    c->nr_vpcs > VPC_MAX_VPCS || c->nr_routes > ZOC_VPC_MAX_ROUTES ||
	    c->nr_members > ZOC_VPC_MAX_ROUTES || !c->sessions ||
	    c->sessions > 1U << 30 || c->config.ct_quota > 1U << 30 ||
	    (!c->quota_set && !c->config.ct_quota))
		abort();
	check_name(c->pin, sizeof(c->pin));
	check_name(c->uplink, sizeof(c->uplink));
	for (i = 0; i < c->nr_vnics; i++) {
		check_name(c->vnics[i].name, sizeof(c->vnics[i].name));
		if (c->vnics[i].vnic.slot != i || c->vnics[i].vnic.vni > 0xffffff)
			abort();
	}
	for (i = 0; i < c->nr_routes; i++) {
		check_name(c->routes[i].vnic, sizeof(c->routes[i].vnic));
		if (c->routes[i].key.prefixlen > 64 ||
		    c->routes[i].key.prefixlen != 32 + c->routes[i].route.plen ||
		    c->routes[i].key.vni > 0xffffff)
			abort();
	}
	for (i = 0; i < c->nr_vpcs; i++) {
		check_name(c->vpcs[i].group, sizeof(c->vpcs[i].group));
		if (c->vpcs[i].plen > 32)
			abort();
	}
	for (i = 0; i < c->nr_members; i++)
		check_name(c->members[i].group, sizeof(c->members[i].group));
	for (i = 0; i < c->nr_sgs; i++) {
		check_name(c->sgs[i].name, sizeof(c->sgs[i].name));
		if (c->sgs[i].sg[0].count > ZOC_VPC_SG_RULES ||
		    c->sgs[i].sg[1].count > ZOC_VPC_SG_RULES)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpc_conf *conf;
	FILE *f;

	if (!size)
		return 0;
	conf = calloc(1, sizeof(*conf));
	f = fmemopen((void *)data, size, "r");
	if (!conf || !f)
		abort();
	if (!vpc_conf_parse(conf, f, "fuzz"))
		check(conf);
	fclose(f);
	vpc_conf_free(conf);
	free(conf);
	return 0;
}
