// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC management: the generic netlink family "zoc" (uapi/linux/zoc.h).
 * Devices are created, listed and destroyed here; the bus does the work.
 */

#include <linux/ctype.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "../link/test_wire.h"
#include "zoc_host.h"

/* The device types management takes: the test model only built for tests. */
#define ZOC_NL_DEV_TYPE_MAX	(IS_ENABLED(CONFIG_ZOC_TEST_HOOKS) ? \
				 ZOC_TEST_DEV : ZOC_DEV_VIRTIO_NET)

/* A VNI has 24 bits. */
static struct netlink_range_validation zoc_nl_vni_range __ro_after_init = {
	.max = 0xffffff,
};

/* An outage limit: an hour at most */
static struct netlink_range_validation zoc_nl_outage_range __ro_after_init = {
	.max = ZOC_LINK_OUTAGE_LIMIT_MAX,
};

static const struct nla_policy zoc_nl_policy[ZOC_A_MAX + 1] = {
	[ZOC_A_DEV_NAME]	= { .type = NLA_NUL_STRING,
				    .len = ZOC_DEV_NAME_LEN - 1 },
	[ZOC_A_DEV_TYPE]	= NLA_POLICY_RANGE(NLA_U32, ZOC_DEV_NVME,
						   ZOC_NL_DEV_TYPE_MAX),
	[ZOC_A_DEV_BACKEND]	= { .type = NLA_NUL_STRING,
				    .len = ZOC_DEV_NAME_LEN - 1 },
	[ZOC_A_DEV_QUEUES]	= NLA_POLICY_MAX(NLA_U32, 31),
	[ZOC_A_DEV_FLAGS]	= NLA_POLICY_MASK(NLA_U32, ZOC_DEV_F_NO_SHADOW_DB),
	[ZOC_A_DEV_MAC]		= NLA_POLICY_ETH_ADDR,
	[ZOC_A_DEV_VNI]		= NLA_POLICY_FULL_RANGE(NLA_U32,
							&zoc_nl_vni_range),
	[ZOC_A_DEV_IPV4]	= { .type = NLA_U32 },
	[ZOC_A_DEV_PREFIX_LEN]	= NLA_POLICY_RANGE(NLA_U8, 1, 32),
	[ZOC_A_DEV_LINK]	= NLA_POLICY_MAX(NLA_U8, 1),
	[ZOC_A_LINK_ID]		= { .type = NLA_U32 },
	[ZOC_A_LINK_OUTAGE_LIMIT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &zoc_nl_outage_range),
	[ZOC_A_LINK_POLL] = NLA_POLICY_MAX(NLA_U32, ZOC_LINK_POLL_MAX_US),
	[ZOC_A_NS_ID]		= NLA_POLICY_RANGE(NLA_U32, 1, ZOC_DEV_MAX_NS),
};

static struct genl_family zoc_nl_family;

/* Names go into sysfs-like listings and logs: keep them tame. */
static bool zoc_nl_name_ok(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (!isalnum(*name) && !strchr("_.-", *name))
			return false;
	return true;
}

/* The link a command names, the first one if it names none. */
static struct zoc_host *zoc_nl_host(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[ZOC_A_LINK_ID];
	struct zoc_host *host;

	host = zoc_host_get(attr ? nla_get_u32(attr) : 0);
	if (!host)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no such link");
	return host;
}

static int zoc_nl_put_dev(struct sk_buff *skb, const struct zoc_host_dev_info *info)
{
	struct nlattr *stats;
	unsigned int i;

	if (nla_put_string(skb, ZOC_A_DEV_NAME, info->name) ||
	    nla_put_u32(skb, ZOC_A_LINK_ID, info->link) ||
	    nla_put_u32(skb, ZOC_A_DEV_TYPE, info->type) ||
	    nla_put_string(skb, ZOC_A_DEV_BACKEND, info->backend) ||
	    nla_put_u32(skb, ZOC_A_DEV_QUEUES, info->queues) ||
	    nla_put_string(skb, ZOC_A_DEV_PCI, info->pci) ||
	    nla_put_u32(skb, ZOC_A_DEV_STATE, info->state) ||
	    nla_put_u32(skb, ZOC_A_DEV_FLAGS, info->flags))
		return -EMSGSIZE;
	if (info->type == ZOC_DEV_VIRTIO_NET &&
	    (nla_put(skb, ZOC_A_DEV_MAC, ETH_ALEN, info->net.mac) ||
	     nla_put_u32(skb, ZOC_A_DEV_VNI, le32_to_cpu(info->net.vni)) ||
	     nla_put_in_addr(skb, ZOC_A_DEV_IPV4, info->net.ipv4) ||
	     nla_put_u8(skb, ZOC_A_DEV_PREFIX_LEN, info->net.prefix_len) ||
	     nla_put_u8(skb, ZOC_A_DEV_LINK, info->link_up)))
		return -EMSGSIZE;
	if (info->type == ZOC_DEV_NVME) {
		stats = nla_nest_start(skb, ZOC_A_DEV_NAMESPACES);
		if (!stats)
			return -EMSGSIZE;
		for (i = 0; i < ZOC_DEV_MAX_NS; i++) {
			if (info->ns[i][0] &&
			    nla_put_string(skb, i + 1, info->ns[i]))
				return -EMSGSIZE;
		}
		nla_nest_end(skb, stats);
	}
	stats = nla_nest_start(skb, ZOC_A_DEV_STATS);
	if (!stats)
		return -EMSGSIZE;
	for (i = ZOC_STAT_UNSPEC + 1; i < __ZOC_STAT_MAX; i++) {
		if (i == ZOC_STAT_PAD)
			continue;
		if (nla_put_u64_64bit(skb, i, info->stats[i], ZOC_STAT_PAD))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, stats);
	return 0;
}

static int zoc_nl_fill_dev(struct sk_buff *skb, u32 portid, u32 seq, int flags,
			   u8 cmd, const struct zoc_host_dev_info *info)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &zoc_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (zoc_nl_put_dev(skb, info)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int zoc_nl_reply_dev(struct genl_info *info, struct zoc_host *host,
			    const char *name)
{
	struct zoc_host_dev_info *dev;
	struct sk_buff *msg;
	int ret;

	dev = kmalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	ret = zoc_host_dev_info(host, name, dev);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "no device of that name");
		goto out;
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = zoc_nl_fill_dev(msg, info->snd_portid, info->snd_seq, 0,
			      ZOC_CMD_DEV_GET, dev);
	if (ret) {
		nlmsg_free(msg);
		goto out;
	}
	ret = genlmsg_reply(msg, info);
out:
	kfree(dev);
	return ret;
}

/* A network device's identity: all of it or, for other types, none. */
static int zoc_nl_net_params(struct genl_info *info,
			     struct zoc_host_dev_req *req)
{
	static const int net_attrs[] = {
		ZOC_A_DEV_MAC, ZOC_A_DEV_VNI, ZOC_A_DEV_IPV4,
		ZOC_A_DEV_PREFIX_LEN,
	};
	bool net = req->type == ZOC_DEV_VIRTIO_NET;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(net_attrs); i++) {
		if (!net && info->attrs[net_attrs[i]]) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[net_attrs[i]],
					    "only network devices have this");
			return -EINVAL;
		}
		if (net && GENL_REQ_ATTR_CHECK(info, net_attrs[i]))
			return -EINVAL;
	}
	if (!net)
		return 0;
	if (info->attrs[ZOC_A_DEV_BACKEND]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ZOC_A_DEV_BACKEND],
				    "network devices have no backend");
		return -EINVAL;
	}
	memcpy(req->net.mac, nla_data(info->attrs[ZOC_A_DEV_MAC]), ETH_ALEN);
	if (!is_valid_ether_addr(req->net.mac)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ZOC_A_DEV_MAC],
				    "the MAC address must be unicast, not zero");
		return -EINVAL;
	}
	req->net.vni = cpu_to_le32(nla_get_u32(info->attrs[ZOC_A_DEV_VNI]));
	req->net.ipv4 = nla_get_in_addr(info->attrs[ZOC_A_DEV_IPV4]);
	req->net.prefix_len = nla_get_u8(info->attrs[ZOC_A_DEV_PREFIX_LEN]);
	return 0;
}

static int zoc_nl_dev_new(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host_dev_req req = { .backend = "" };
	struct zoc_host *host;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, ZOC_A_DEV_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, ZOC_A_DEV_TYPE))
		return -EINVAL;
	host = zoc_nl_host(info);
	if (!host)
		return -ENODEV;
	req.name = nla_data(info->attrs[ZOC_A_DEV_NAME]);
	if (!zoc_nl_name_ok(req.name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ZOC_A_DEV_NAME],
				    "a name is 1 to 15 of [a-zA-Z0-9_.-]");
		return -EINVAL;
	}
	req.type = nla_get_u32(info->attrs[ZOC_A_DEV_TYPE]);
	if (info->attrs[ZOC_A_DEV_BACKEND])
		req.backend = nla_data(info->attrs[ZOC_A_DEV_BACKEND]);
	if (info->attrs[ZOC_A_DEV_QUEUES])
		req.queues = nla_get_u32(info->attrs[ZOC_A_DEV_QUEUES]);
	if (info->attrs[ZOC_A_DEV_FLAGS])
		req.flags = nla_get_u32(info->attrs[ZOC_A_DEV_FLAGS]);
	ret = zoc_nl_net_params(info, &req) ?:
	      zoc_host_dev_add(host, &req, info->extack);
	if (ret)
		return ret;
	return zoc_nl_reply_dev(info, host, req.name);
}

/* The link of a command that names a device: an ERR_PTR() if none. */
static struct zoc_host *zoc_nl_dev_host(struct genl_info *info)
{
	struct zoc_host *host;

	if (GENL_REQ_ATTR_CHECK(info, ZOC_A_DEV_NAME))
		return ERR_PTR(-EINVAL);
	host = zoc_nl_host(info);
	return host ?: ERR_PTR(-ENODEV);
}

static int zoc_nl_dev_set(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_dev_host(info);

	if (IS_ERR(host))
		return PTR_ERR(host);
	if (!info->attrs[ZOC_A_DEV_LINK]) {
		NL_SET_ERR_MSG(info->extack, "nothing to change");
		return -EINVAL;
	}
	return zoc_host_dev_set_link(host,
				     nla_data(info->attrs[ZOC_A_DEV_NAME]),
				     nla_get_u8(info->attrs[ZOC_A_DEV_LINK]),
				     info->extack);
}

static int zoc_nl_dev_del(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_dev_host(info);

	if (IS_ERR(host))
		return PTR_ERR(host);
	return zoc_host_dev_del(host, nla_data(info->attrs[ZOC_A_DEV_NAME]),
				info->extack);
}

static int zoc_nl_ns_add(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_dev_host(info);
	struct nlattr *id = info->attrs[ZOC_A_NS_ID];
	const char *name;
	u32 nsid = id ? nla_get_u32(id) : 0;
	int ret;

	if (IS_ERR(host))
		return PTR_ERR(host);
	if (GENL_REQ_ATTR_CHECK(info, ZOC_A_DEV_BACKEND))
		return -EINVAL;
	name = nla_data(info->attrs[ZOC_A_DEV_NAME]);
	ret = zoc_host_dev_ns(host, name, &nsid,
			      nla_data(info->attrs[ZOC_A_DEV_BACKEND]),
			      info->extack);
	return ret ?: zoc_nl_reply_dev(info, host, name);
}

static int zoc_nl_ns_del(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_dev_host(info);
	u32 nsid;

	if (IS_ERR(host))
		return PTR_ERR(host);
	if (GENL_REQ_ATTR_CHECK(info, ZOC_A_NS_ID))
		return -EINVAL;
	nsid = nla_get_u32(info->attrs[ZOC_A_NS_ID]);
	return zoc_host_dev_ns(host, nla_data(info->attrs[ZOC_A_DEV_NAME]),
			       &nsid, NULL, info->extack);
}

static int zoc_nl_dev_get(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_dev_host(info);

	if (IS_ERR(host))
		return PTR_ERR(host);
	return zoc_nl_reply_dev(info, host,
				nla_data(info->attrs[ZOC_A_DEV_NAME]));
}

/* Every device of every link: args[0] the link, args[1] the slot. */
static int zoc_nl_dev_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct zoc_host *host = zoc_host_get(cb->args[0]);
	unsigned int slot = cb->args[1];
	struct zoc_host_dev_info *dev;

	dev = kmalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	for (; host; host = zoc_host_next(host), slot = 0) {
		while (!zoc_host_dev_info_next(host, &slot, dev)) {
			if (zoc_nl_fill_dev(skb, NETLINK_CB(cb->skb).portid,
					    cb->nlh->nlmsg_seq, NLM_F_MULTI,
					    ZOC_CMD_DEV_GET, dev)) {
				slot--;	/* did not fit: again in the next skb */
				goto out;
			}
		}
	}
out:
	cb->args[0] = host ? host->id : ZOC_HOST_MAX_LINKS;
	cb->args[1] = slot;
	kfree(dev);
	return skb->len;
}

static int zoc_nl_fill_link(struct sk_buff *skb, u32 portid, u32 seq,
			    int flags, struct zoc_host *host)
{
	struct zoc_host_link_status st;
	u32 stalled, limit;
	void *hdr;

	zoc_host_link_status(host, &st);
	stalled = zoc_host_bus_outage(host, &limit);
	hdr = genlmsg_put(skb, portid, seq, &zoc_nl_family, flags,
			  ZOC_CMD_LINK_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, ZOC_A_LINK_ID, host->id) ||
	    nla_put_u32(skb, ZOC_A_LINK_STATE, st.state) ||
	    nla_put_u32(skb, ZOC_A_LINK_EPOCH, st.epoch) ||
	    nla_put_u64_64bit(skb, ZOC_A_LINK_RESETS, st.resets, ZOC_A_PAD) ||
	    nla_put_u64_64bit(skb, ZOC_A_LINK_TIMEOUTS, st.timeouts,
			      ZOC_A_PAD) ||
	    nla_put_u32(skb, ZOC_A_LINK_OUTAGE_LIMIT, limit) ||
	    nla_put_u32(skb, ZOC_A_LINK_STALLED, stalled) ||
	    nla_put_u32(skb, ZOC_A_LINK_POLL, zoc_link_poll_us(&host->link)) ||
	    nla_put_u32(skb, ZOC_A_LINK_QUEUES,
			zoc_link_nr_queues(&host->link))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int zoc_nl_link_get(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_host(info);
	struct sk_buff *msg;

	if (!host)
		return -ENODEV;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	if (zoc_nl_fill_link(msg, info->snd_portid, info->snd_seq, 0, host)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return genlmsg_reply(msg, info);
}

/* Every link: args[0] the next one's number. */
static int zoc_nl_link_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct zoc_host *host;

	for (host = zoc_host_get(cb->args[0]); host; host = zoc_host_next(host))
		if (zoc_nl_fill_link(skb, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI, host))
			break;
	cb->args[0] = host ? host->id : ZOC_HOST_MAX_LINKS;
	return skb->len;
}

static int zoc_nl_link_set(struct sk_buff *skb, struct genl_info *info)
{
	struct zoc_host *host = zoc_nl_host(info);
	struct nlattr *limit = info->attrs[ZOC_A_LINK_OUTAGE_LIMIT];
	struct nlattr *poll = info->attrs[ZOC_A_LINK_POLL];
	int ret;

	if (!host)
		return -ENODEV;
	if (!limit && !poll) {
		NL_SET_ERR_MSG(info->extack, "nothing to change");
		return -EINVAL;
	}
	if (limit) {
		ret = zoc_host_bus_set_outage_limit(host, nla_get_u32(limit));
		if (ret)
			return ret;
	}
	if (poll)
		zoc_link_set_poll(&host->link, nla_get_u32(poll));
	return 0;
}

static const struct genl_ops zoc_nl_ops[] = {
	{
		.cmd = ZOC_CMD_DEV_NEW,
		.doit = zoc_nl_dev_new,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZOC_CMD_DEV_DEL,
		.doit = zoc_nl_dev_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZOC_CMD_DEV_GET,
		.doit = zoc_nl_dev_get,
		.dumpit = zoc_nl_dev_dump,
	},
	{
		.cmd = ZOC_CMD_LINK_GET,
		.doit = zoc_nl_link_get,
		.dumpit = zoc_nl_link_dump,
	},
	{
		.cmd = ZOC_CMD_DEV_SET,
		.doit = zoc_nl_dev_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZOC_CMD_LINK_SET,
		.doit = zoc_nl_link_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZOC_CMD_NS_ADD,
		.doit = zoc_nl_ns_add,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZOC_CMD_NS_DEL,
		.doit = zoc_nl_ns_del,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family zoc_nl_family __ro_after_init = {
	.name = ZOC_GENL_NAME,
	.version = ZOC_GENL_VERSION,
	.maxattr = ZOC_A_MAX,
	.policy = zoc_nl_policy,
	.module = THIS_MODULE,
	.ops = zoc_nl_ops,
	.n_ops = ARRAY_SIZE(zoc_nl_ops),
	.resv_start_op = ZOC_CMD_LINK_GET + 1,
};

int zoc_host_netlink_init(void)
{
	return genl_register_family(&zoc_nl_family);
}

void zoc_host_netlink_exit(void)
{
	genl_unregister_family(&zoc_nl_family);
}
