#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zocctl without zoc_host: usage errors exit 2 with a message, bad names
# and numbers are refused before anything is sent, and without the "zoc"
# generic netlink family (this machine's kernel has none) zocctl says so
# and exits 1.  Then the same zocctl against a stand-in for the family,
# preloaded over libmnl's socket calls: the attributes each command sends,
# plain and JSON output (network devices' identity and link too), and the
# kernel's errors with and without an extended ack message.  Prints TAP.
# Usage: zocctl_test.sh ZOCCTL

set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tools/testing/tap.sh"
zocctl=${1:?usage: zocctl_test.sh ZOCCTL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The stand-in for the family: zocctl links libmnl dynamically.
cat >"$tmp/fake.c" <<'EOF_C'
// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for zoc_host's generic netlink family, preloaded into zocctl:
 * its libmnl socket calls are answered here as the kernel would answer
 * them, and each request to the family is logged to $ZOC_FAKE_LOG.  The
 * devices disk0 (NVMe) and net0 (virtio-net) exist, nosuch does not; a dump
 * also returns a device whose backend needs JSON escaping and whose state
 * zocctl does not know; with $ZOC_FAKE_LINKS each names its link, net0's
 * being link 1.  Links 0 and 1 exist.  A network device's link is up, or down with
 * $ZOC_FAKE_LINK_DOWN; $ZOC_FAKE_BAD_MAC makes its MAC address 5 bytes.  An NVMe
 * device has its volume as namespace 1; one attached (NS_ADD) is the
 * namespace asked for, or 2.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#define FAKE_FAMILY	0x30
#define FAKE_PORTID	4242

static char fake_out[65536];
static size_t fake_len;
static int fake_sock;
/* what the last request named: a volume, a namespace */
static const char *fake_volume;
static uint32_t fake_nsid;

struct mnl_socket *mnl_socket_open(int bus)
{
	return (struct mnl_socket *)&fake_sock;
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	return 0;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return FAKE_PORTID;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf,
			  socklen_t len)
{
	return 0;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	return 0;
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t size)
{
	size_t len = fake_len;

	if (len > size) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, fake_out, len);
	fake_len = 0;
	return len;
}

static struct nlmsghdr *fake_msg(const struct nlmsghdr *req, uint16_t type,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(fake_out + fake_len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	return nlh;
}

static void fake_end(struct nlmsghdr *nlh)
{
	fake_len += nlh->nlmsg_len;
}

/* As netlink_ack(): an error carries the request, an ack is capped. */
static void fake_ack(const struct nlmsghdr *req, int error, const char *msg)
{
	uint16_t flags = (error ? 0 : NLM_F_CAPPED) | (msg ? NLM_F_ACK_TLVS : 0);
	struct nlmsghdr *nlh = fake_msg(req, NLMSG_ERROR, flags);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	size_t len = req->nlmsg_len - sizeof(*req);

	err->error = error;
	err->msg = *req;
	if (error)
		memcpy(mnl_nlmsg_put_extra_header(nlh, len),
		       mnl_nlmsg_get_payload(req), len);
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	fake_end(nlh);
}

static struct nlmsghdr *fake_genl(const struct nlmsghdr *req, uint16_t type,
				  uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = fake_msg(req, type, flags);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = cmd;
	genl->version = ZOC_GENL_VERSION;
	return nlh;
}

static void fake_stats(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, ZOC_A_DEV_STATS);
	unsigned int i;

	for (i = ZOC_STAT_MMIO_READS; i < ZOC_STAT_PAD; i++)
		mnl_attr_put_u64(nlh, i, i == ZOC_STAT_READ_BYTES ?
				 5000000000ULL : i * 10);
	mnl_attr_put(nlh, ZOC_STAT_PAD, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
}

/* A network device's identity and link, as zoc_host describes them. */
static void fake_net(struct nlmsghdr *nlh)
{
	static const uint8_t mac[] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x10 };

	mnl_attr_put(nlh, ZOC_A_DEV_MAC, getenv("ZOC_FAKE_BAD_MAC") ? 5 : 6, mac);
	mnl_attr_put_u32(nlh, ZOC_A_DEV_VNI, 100);
	mnl_attr_put_u32(nlh, ZOC_A_DEV_IPV4, htonl(0x0a01000a));
	mnl_attr_put_u8(nlh, ZOC_A_DEV_PREFIX_LEN, 24);
	mnl_attr_put_u8(nlh, ZOC_A_DEV_LINK, !getenv("ZOC_FAKE_LINK_DOWN"));
}

/* A device as zoc_host describes it, with an attribute zocctl ignores. */
static void fake_dev(const struct nlmsghdr *req, uint16_t flags, const char *name,
		     uint32_t type, const char *backend, uint32_t state)
{
	struct nlmsghdr *nlh = fake_genl(req, FAKE_FAMILY, flags, ZOC_CMD_DEV_GET);

	mnl_attr_put_strz(nlh, ZOC_A_DEV_NAME, name);
	mnl_attr_put_u32(nlh, ZOC_A_DEV_TYPE, type);
	if (type == ZOC_DEV_VIRTIO_NET)
		fake_net(nlh);
	else
		mnl_attr_put_strz(nlh, ZOC_A_DEV_BACKEND, backend);
	mnl_attr_put_u32(nlh, ZOC_A_DEV_QUEUES, 2);
	mnl_attr_put_strz(nlh, ZOC_A_DEV_PCI, "5a0c:00:01.0");
	mnl_attr_put_u32(nlh, ZOC_A_DEV_STATE, state);
	if (type == ZOC_DEV_NVME) {
		struct nlattr *ns = mnl_attr_nest_start(nlh, ZOC_A_DEV_NAMESPACES);

		mnl_attr_put_strz(nlh, 1, backend);
		if (fake_volume)
			mnl_attr_put_strz(nlh, fake_nsid ?: 2, fake_volume);
		mnl_attr_nest_end(nlh, ns);
	}
	if (getenv("ZOC_FAKE_LINKS"))
		mnl_attr_put_u32(nlh, ZOC_A_LINK_ID, type == ZOC_DEV_VIRTIO_NET);
	mnl_attr_put_u32(nlh, ZOC_A_MAX + 1, 7);
	fake_stats(nlh);
	fake_end(nlh);
}

/*
 * An attribute's value as a number, or "len N" if it is not @size bytes;
 * a MAC address and an IPv4 address as their bytes, "02-00-..." and
 * "10.1.0.10".
 */
static void fake_log_val(FILE *f, const struct nlattr *a, size_t size)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	size_t i, len = mnl_attr_get_payload_len(a);

	if (len != size)
		fprintf(f, "len %zu", len);
	else if (mnl_attr_get_type(a) == ZOC_A_DEV_MAC)
		for (i = 0; i < len; i++)
			fprintf(f, "%s%02x", i ? "-" : "", p[i]);
	else if (mnl_attr_get_type(a) == ZOC_A_DEV_IPV4)
		fprintf(f, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	else if (size == 1)
		fprintf(f, "%u", mnl_attr_get_u8(a));
	else
		fprintf(f, "%u", mnl_attr_get_u32(a));
}

/*
 * Log a request of the family: "cmd C flags F" and each attribute as
 * "TYPE:VALUE".  Its device name goes to @name, its device type to @type.
 */
static void fake_log(const struct nlmsghdr *req, const char **name,
		     uint32_t *type)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(req);
	FILE *f = fopen(getenv("ZOC_FAKE_LOG"), "a");
	const struct nlattr *a;

	fprintf(f, "cmd %u flags %#x", genl->cmd, req->nlmsg_flags);
	mnl_attr_for_each(a, req, sizeof(*genl)) {
		fprintf(f, " %u:", mnl_attr_get_type(a));
		switch (mnl_attr_get_type(a)) {
		case ZOC_A_DEV_TYPE:
			*type = mnl_attr_get_u32(a);
			fake_log_val(f, a, 4);
			break;
		case ZOC_A_DEV_QUEUES:
		case ZOC_A_DEV_FLAGS:
		case ZOC_A_DEV_VNI:
		case ZOC_A_LINK_ID:
		case ZOC_A_DEV_IPV4:
		case ZOC_A_LINK_OUTAGE_LIMIT:
		case ZOC_A_LINK_POLL:
			fake_log_val(f, a, 4);
			break;
		case ZOC_A_NS_ID:
			fake_nsid = mnl_attr_get_u32(a);
			fake_log_val(f, a, 4);
			break;
		case ZOC_A_DEV_MAC:
			fake_log_val(f, a, 6);
			break;
		case ZOC_A_DEV_PREFIX_LEN:
		case ZOC_A_DEV_LINK:
			fake_log_val(f, a, 1);
			break;
		default:
			fputs(mnl_attr_get_str(a), f);
			break;
		}
		if (mnl_attr_get_type(a) == ZOC_A_DEV_NAME)
			*name = mnl_attr_get_str(a);
		if (mnl_attr_get_type(a) == ZOC_A_DEV_BACKEND &&
		    genl->cmd == ZOC_CMD_NS_ADD)
			fake_volume = mnl_attr_get_str(a);
	}
	fputc('\n', f);
	fclose(f);
}

static void fake_ctrl(const struct nlmsghdr *req)
{
	const struct nlattr *a = mnl_nlmsg_get_payload_offset(req, GENL_HDRLEN);
	struct nlmsghdr *nlh;

	if (getenv("ZOC_FAKE_NOFAMILY") ||
	    mnl_attr_get_type(a) != CTRL_ATTR_FAMILY_NAME ||
	    strcmp(mnl_attr_get_str(a), ZOC_GENL_NAME)) {
		fake_ack(req, -ENOENT, NULL);
		return;
	}
	nlh = fake_genl(req, GENL_ID_CTRL, 0, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ZOC_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY);
	fake_end(nlh);
	fake_ack(req, 0, NULL);
}

static void fake_dump(const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh;
	int *err;

	fake_dev(req, NLM_F_MULTI, "disk0", 1, "vda", ZOC_DEV_STATE_UP);
	fake_dev(req, NLM_F_MULTI, "odd", 0x7f, "q\"b\\s\n\x01\xff", 9);
	fake_dev(req, NLM_F_MULTI, "net0", ZOC_DEV_VIRTIO_NET, "", ZOC_DEV_STATE_UP);
	nlh = fake_msg(req, NLMSG_DONE, NLM_F_MULTI);
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	*err = getenv("ZOC_FAKE_DUMP_ERROR") ? -EIO : 0;
	fake_end(nlh);
}

/* Links 0 and 1, dumped; or the one asked for (0 by default). */
static void fake_link(const struct nlmsghdr *req)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(req);
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	const struct nlattr *a;
	struct nlmsghdr *nlh;
	uint32_t id = 0;
	int *err, i;

	mnl_attr_for_each(a, req, sizeof(*genl))
		if (mnl_attr_get_type(a) == ZOC_A_LINK_ID)
			id = mnl_attr_get_u32(a);
	for (i = 0; i < (dump ? 2 : 1); i++) {
		nlh = fake_genl(req, FAKE_FAMILY, dump ? NLM_F_MULTI : 0,
				ZOC_CMD_LINK_GET);
		mnl_attr_put_u32(nlh, ZOC_A_LINK_ID, dump ? i : id);
		mnl_attr_put_u32(nlh, ZOC_A_LINK_STATE, ZOC_LINK_STATUS_UP);
		mnl_attr_put_u32(nlh, ZOC_A_LINK_EPOCH, 3);
		mnl_attr_put_u64(nlh, ZOC_A_LINK_RESETS, 1);
		mnl_attr_put_u64(nlh, ZOC_A_LINK_TIMEOUTS, 0);
		fake_end(nlh);
	}
	if (!dump) {
		fake_ack(req, 0, NULL);
		return;
	}
	nlh = fake_msg(req, NLMSG_DONE, NLM_F_MULTI);
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	*err = 0;
	fake_end(nlh);
}

/* NS_ADD and NS_DEL: disk0 (and disk1, once added) has namespace 1 only */
static void fake_ns_cmd(const struct nlmsghdr *req, uint8_t cmd,
			const char *name)
{
	if (strcmp(name, "disk0") && strcmp(name, "disk1")) {
		fake_ack(req, -ENOENT, "no device of that name");
	} else if (cmd == ZOC_CMD_NS_DEL) {
		fake_ack(req, fake_nsid == 1 ? 0 : -ENOENT,
			 fake_nsid == 1 ? NULL : "no such namespace");
	} else if (fake_nsid == 1) {
		fake_ack(req, -EEXIST, "that namespace is attached already");
	} else {
		fake_dev(req, 0, name, ZOC_DEV_NVME, "vda", ZOC_DEV_STATE_UP);
		fake_ack(req, 0, NULL);
	}
}

/* DEV_NEW, DEV_DEL, DEV_GET and DEV_SET of one device. */
static void fake_dev_cmd(const struct nlmsghdr *req, uint8_t cmd,
			 const char *name, uint32_t type)
{
	bool net = !strcmp(name, "net0");
	/* disk1, once added, is shown */
	bool exists = net || !strcmp(name, "disk0") ||
		      (cmd == ZOC_CMD_DEV_GET && !strcmp(name, "disk1"));

	if (cmd != ZOC_CMD_DEV_NEW && net)
		type = ZOC_DEV_VIRTIO_NET;
	if (cmd == ZOC_CMD_DEV_NEW && exists) {
		fake_ack(req, -EEXIST, "device disk0 exists");
	} else if (cmd != ZOC_CMD_DEV_NEW && !exists) {
		/* dev del: an error without a message */
		fake_ack(req, -ENODEV, cmd == ZOC_CMD_DEV_DEL ?
			 NULL : "no device nosuch");
	} else if (cmd == ZOC_CMD_DEV_SET && !net) {
		fake_ack(req, -EOPNOTSUPP, "disk0 is not a network device");
	} else if (cmd == ZOC_CMD_DEV_DEL || cmd == ZOC_CMD_DEV_SET) {
		fake_ack(req, 0, NULL);
	} else {
		fake_dev(req, 0, name, type, type == 0x7f ? "" : "vda",
			 ZOC_DEV_STATE_UP);
		fake_ack(req, 0, NULL);
	}
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *buf,
			  size_t len)
{
	const struct nlmsghdr *req = buf;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(req);
	const char *name = "";
	uint32_t type = 1;

	if (req->nlmsg_type == GENL_ID_CTRL) {
		fake_ctrl(req);
		return len;
	}
	fake_log(req, &name, &type);
	if (genl->cmd == ZOC_CMD_LINK_GET)
		fake_link(req);
	else if (genl->cmd == ZOC_CMD_LINK_SET)
		fake_ack(req, 0, NULL);
	else if (genl->cmd == ZOC_CMD_NS_ADD || genl->cmd == ZOC_CMD_NS_DEL)
		fake_ns_cmd(req, genl->cmd, name);
	else if (req->nlmsg_flags & NLM_F_DUMP)
		fake_dump(req);
	else
		fake_dev_cmd(req, genl->cmd, name, type);
	return len;
}
EOF_C
${CC:-cc} -shared -fPIC -Wall -I"$top/uapi" -o "$tmp/fake.so" "$tmp/fake.c" -lmnl \
	>"$tmp/cc.log" 2>&1 || sed 's/^/# /' "$tmp/cc.log"

# zc ARGS...: run zocctl; its status in $rc, its output in $tmp/out, $tmp/err.
zc() {
	"$zocctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# fake ARGS...: zc against the stand-in; the requests it got in $tmp/log.
fake() {
	: >"$tmp/log"
	LD_PRELOAD=$tmp/fake.so ZOC_FAKE_LOG=$tmp/log zc "$@"
}

# said PATTERN: zocctl said PATTERN (grep -E) on stderr.
said() {
	grep -qE -- "$1" "$tmp/err"
}

# helps ARGS...: the usage on stdout, exit 0.
helps() {
	zc "$@"
	[ "$rc" = 0 ] && grep -q '^Usage: zocctl' "$tmp/out" && [ ! -s "$tmp/err" ]
}

dev_help() {
	helps dev help && grep -q 'dev add TYPE name NAME' "$tmp/out" &&
		grep -q 'dev add virtio-net name NAME mac MAC vni VNI' "$tmp/out" &&
		grep -q 'dev set \[name\] NAME link { up | down }' "$tmp/out" &&
		! grep -q 'link show' "$tmp/out"
}

# usage_error PATTERN ARGS...: exit 2, PATTERN and the usage on stderr.
usage_error() {
	local pattern=$1

	shift
	zc "$@"
	[ "$rc" = 2 ] && said "$pattern" && said '^Usage: zocctl' && [ ! -s "$tmp/out" ]
}

# refused PATTERN ARGS...: exit 2 with PATTERN, and nothing was sent.
refused() {
	local pattern=$1

	shift
	fake "$@"
	[ "$rc" = 2 ] && said "$pattern" && [ ! -s "$tmp/log" ] && [ ! -s "$tmp/out" ]
}

# no_family ARGS...: the real kernel, which has no "zoc" family.
no_family() {
	zc "$@"
	[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] &&
		[ "$(cat "$tmp/err")" = "zocctl: zoc: generic netlink family not found (is zoc_host loaded?)" ]
}

# quiet: zocctl printed nothing, on stdout or stderr.
quiet() {
	[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]
}

# is FILE LINE...: FILE holds exactly these lines.
is() {
	local file=$1

	shift
	printf '%s\n' "$@" | cmp -s - "$file" || {
		printf '# %s was:\n' "${file##*/}"
		sed 's/^/#   /' "$file"
		return 1
	}
}

# works STATUS REQUEST ARGS...: zocctl ARGS against the stand-in exits
# STATUS after sending REQUEST (its log line).
works() {
	local status=$1 request=$2

	shift 2
	fake "$@"
	[ "$rc" = "$status" ] && is "$tmp/log" "$request"
}

json_ns() {
	fake -j ns add disk0 volume vol-b nsid 4 &&
		json 'd[0]["namespaces"] == {"1": "vda", "4": "vol-b"}'
}

two_volumes() {
	fake dev add nvme name disk1 volume vda volume vol-a &&
		[ "$rc" = 0 ] &&
		is "$tmp/log" 'cmd 1 flags 0x5 2:1 1:disk1 3:vda' \
			'cmd 7 flags 0x5 1:disk1 3:vol-a 22:2' \
			'cmd 3 flags 0x5 1:disk1'
}

# json PYTHON: the output is JSON, and PYTHON (d is the document) is true.
json() {
	python3 -c 'import json, sys
try:
	d = json.load(open(sys.argv[1]))
	sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
except (ValueError, LookupError, TypeError) as e:
	sys.exit(f"# {e!r}")' "$tmp/out" "$1"
}

# fails STATUS MESSAGE ARGS...: against the stand-in, zocctl ARGS exits
# STATUS with MESSAGE on stderr.
fails() {
	local status=$1 message=$2

	shift 2
	fake "$@"
	[ "$rc" = "$status" ] && is "$tmp/err" "$message"
}

# The dump in JSON: three devices, strings escaped, no counters without -s,
# no network fields for a storage device.
dump_json() {
	fake dev show -j && json '[o["name"] for o in d] == ["disk0", "odd", "net0"] and
		"stats" not in d[0] and d[0]["queues"] == 2 and
		d[0]["state"] == "up" and d[1]["state"] == 9 and
		d[1]["volume"] == "q\"b\\s\n\x01\xff" and
		not {"mac", "vni", "ip", "link"} & set(d[0]) and
		d[2] == {"name": "net0", "type": "virtio-net", "pci": "5a0c:00:01.0",
			 "mac": "02:00:00:00:00:10", "vni": 100, "ip": "10.1.0.10/24",
			 "queues": 2, "state": "up", "link": "up"}'
}

net_down() {
	ZOC_FAKE_LINK_DOWN=1 works 0 'cmd 3 flags 0x5 1:net0' dev show net0 &&
		is "$tmp/out" 'net0: type virtio-net pci 5a0c:00:01.0 mac 02:00:00:00:00:10 vni 100 ip 10.1.0.10/24 queues 2 state up link down'
}

net_down_json() {
	ZOC_FAKE_LINK_DOWN=1 fake -j dev show net0 && json 'len(d) == 1 and
		d[0]["link"] == "down" and d[0]["mac"] == "02:00:00:00:00:10" and
		d[0]["vni"] == 100 and d[0]["ip"] == "10.1.0.10/24" and
		"volume" not in d[0]'
}

bad_mac_reply() {
	ZOC_FAKE_BAD_MAC=1 fails 1 'zocctl: dev show: malformed reply from the kernel' \
		dev show net0
}

stats_json() {
	fake -j -s dev show && json 'list(d[0]["stats"]) == """mmio_reads
		mmio_writes shadow_reads doorbell_writes doorbell_msgs irqs
		irqs_masked commands errors read_bytes write_bytes resets
		invalid""".split() and d[0]["stats"]["read_bytes"] == 5000000000'
}

dump_fails() {
	ZOC_FAKE_DUMP_ERROR=1 fails 1 'zocctl: dev show: Input/output error' dev show
}

link_json() {
	fake -j link &&
		json 'd == [{"id": 0, "state": "up", "epoch": 3, "resets": 1, "timeouts": 0},
			   {"id": 1, "state": "up", "epoch": 3, "resets": 1, "timeouts": 0}]'
}

# The dump lists the devices of every link; -l keeps one link's.
links_filter() {
	ZOC_FAKE_LINKS=1 works 0 'cmd 3 flags 0x301' dev show -l 1 &&
		is "$tmp/out" 'net0: type virtio-net pci 5a0c:00:01.0 mac 02:00:00:00:00:10 vni 100 ip 10.1.0.10/24 queues 2 state up link up on_link 1'
}

echo "TAP version 13"

check "help: the usage on stdout, exit 0" helps help
check "help lists every object" grep -q 'link show' "$tmp/out"
check "dev help: the dev commands only" dev_help
check "-h after the command" helps dev show -h
check "no object: the usage on stderr, exit 2" usage_error 'no object given'
check "unknown object: exit 2" usage_error '^zocctl: unknown object "frob"$' frob
check "unknown command: exit 2" usage_error '^zocctl: dev: unknown command "frob"$' dev frob
check "unknown option before the object: exit 2" usage_error 'unknown option "-x"' -x dev show
check "unknown option after the command: exit 2" \
	usage_error '^zocctl: dev show: unknown option "--jsn"$' dev show --jsn
check "link show takes no argument" usage_error 'link show: unknown argument "up"' link show up
check "dev show takes one name" usage_error 'dev show: unknown argument "b"' dev show a b
check "dev add: unknown type" usage_error 'dev add: unknown device type "floppy"' \
	dev add floppy name d0 backend vda

check "dev add: missing name" refused '^zocctl: dev add: name NAME is missing$' \
	dev add nvme backend vda
check "dev add: missing volume" refused 'dev add: volume VOLUME is missing' \
	dev add nvme name d0
check "dev add: missing type" refused 'dev add: the device TYPE is missing' dev add name d0
check "dev del: missing name" refused 'dev del: the device NAME is missing' dev del
check "keyword without its value" refused '"queues" needs an argument' \
	dev add nvme name d0 backend vda queues
check "bad name: a space" refused 'bad device name "bad name": 1 to 15 characters' \
	dev add nvme name "bad name" backend vda
check "bad name: 16 characters" refused 'bad device name "abcdefghijklmnop"' \
	dev del abcdefghijklmnop
check "bad name: empty" refused 'bad device name ""' dev show name ""
check "bad name: a slash" refused 'bad device name "a/b"' dev del name a/b
check "bad volume: a path" refused 'bad volume "/dev/vda"' \
	dev add nvme name d0 backend /dev/vda
check "bad queues: negative" refused 'bad queue count "-1"' \
	dev add nvme name d0 backend vda queues -1
check "bad queues: too many" refused 'bad queue count "65536"' \
	dev add nvme name d0 backend vda queues 65536
check "bad queues: trailing junk" refused 'bad queue count "4x"' \
	dev add nvme name d0 backend vda queues 4x

net=(dev add virtio-net name n0)
mac=(mac 02:00:00:00:00:10)
check "virtio-net: missing mac" refused \
	'^zocctl: dev add: mac MAC is missing \(virtio-net needs one\)$' \
	"${net[@]}" vni 100 ip 10.1.0.10/24
check "virtio-net: missing vni" refused \
	'^zocctl: dev add: vni VNI is missing \(virtio-net needs one\)$' \
	"${net[@]}" "${mac[@]}" ip 10.1.0.10/24
check "virtio-net: missing ip" refused \
	'^zocctl: dev add: ip ADDR/LEN is missing \(virtio-net needs one\)$' \
	"${net[@]}" "${mac[@]}" vni 100
check "bad MAC: five pairs" refused \
	'^zocctl: dev add: bad MAC address "02:00:00:00:10": six hex pairs separated by .:.$' \
	"${net[@]}" mac 02:00:00:00:10 vni 100 ip 10.1.0.10/24
check "bad MAC: a digit short" refused 'bad MAC address "02:00:00:00:00:1": six hex pairs' \
	"${net[@]}" mac 02:00:00:00:00:1 vni 100 ip 10.1.0.10/24
check "bad MAC: trailing colon" refused 'bad MAC address "02:00:00:00:00:10:": six hex pairs' \
	"${net[@]}" mac 02:00:00:00:00:10: vni 100 ip 10.1.0.10/24
check "bad MAC: not hex" refused 'bad MAC address "02:00:00:00:00:1g": six hex pairs' \
	"${net[@]}" mac 02:00:00:00:00:1g vni 100 ip 10.1.0.10/24
check "bad MAC: dashes" refused 'bad MAC address "02-00-00-00-00-10": six hex pairs' \
	"${net[@]}" mac 02-00-00-00-00-10 vni 100 ip 10.1.0.10/24
check "bad MAC: multicast" refused \
	'^zocctl: dev add: bad MAC address "01:00:5e:00:00:01": a multicast or broadcast address$' \
	"${net[@]}" mac 01:00:5e:00:00:01 vni 100 ip 10.1.0.10/24
check "bad MAC: broadcast" refused 'bad MAC address "ff:ff:ff:ff:ff:ff": a multicast or broadcast' \
	"${net[@]}" mac ff:ff:ff:ff:ff:ff vni 100 ip 10.1.0.10/24
check "bad MAC: all zero" refused \
	'^zocctl: dev add: bad MAC address "00:00:00:00:00:00": all zero$' \
	"${net[@]}" mac 00:00:00:00:00:00 vni 100 ip 10.1.0.10/24
check "bad VNI: too large" refused \
	'^zocctl: dev add: bad VNI "16777216": a number from 0 to 16777215$' \
	"${net[@]}" "${mac[@]}" vni 16777216 ip 10.1.0.10/24
check "bad VNI: negative" refused 'bad VNI "-1"' "${net[@]}" "${mac[@]}" vni -1 ip 10.1.0.10/24
check "bad VNI: hex" refused 'bad VNI "0x64"' "${net[@]}" "${mac[@]}" vni 0x64 ip 10.1.0.10/24
check "bad prefix: 33" refused \
	'^zocctl: dev add: bad address "10.1.0.10/33": the prefix length is 1 to 32$' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0.10/33
check "bad prefix: 0" refused 'bad address "10.1.0.10/0": the prefix length is 1 to 32' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0.10/0
check "bad prefix: empty" refused 'bad address "10.1.0.10/": the prefix length' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0.10/
check "bad address: no prefix" refused \
	'^zocctl: dev add: bad address "10.1.0.10": an IPv4 address and its prefix length, ADDR/LEN$' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0.10
check "bad address: three parts" refused \
	'bad address "10.1.0/24": "10.1.0" is not an IPv4 address' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0/24
check "bad address: IPv6" refused 'bad address "fd00::10/64": "fd00::10" is not an IPv4' \
	"${net[@]}" "${mac[@]}" vni 100 ip fd00::10/64
check "virtio-net: volume refused" refused \
	'^zocctl: dev add: "volume" does not apply to virtio-net$' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0.10/24 backend vda
check "virtio-net: noshadowdb refused" refused '"noshadowdb" does not apply to virtio-net' \
	"${net[@]}" "${mac[@]}" vni 100 ip 10.1.0.10/24 noshadowdb
check "nvme: mac refused" refused '^zocctl: dev add: "mac" does not apply to nvme$' \
	dev add nvme name d0 backend vda "${mac[@]}"
check "virtio-blk: vni refused" refused '"vni" does not apply to virtio-blk' \
	dev add virtio-blk name d0 backend vda vni 100
check "test: ip refused" refused '"ip" does not apply to test' \
	dev add test name t0 ip 10.1.0.10/24
check "dev set: missing name" refused '^zocctl: dev set: the device NAME is missing$' \
	dev set link down
check "dev set: nothing to change" refused \
	'^zocctl: dev set: nothing to change: link up\|down is missing$' dev set net0
check "dev set: bad link state" refused '^zocctl: dev set: bad link state "off": up or down$' \
	dev set net0 link off
check "dev set: link without its value" refused '"link" needs an argument' dev set net0 link
check "dev set: bad name" refused 'bad device name "a/b"' dev set a/b link up
check "dev set takes one name" usage_error 'dev set: unknown argument "net1"' \
	dev set net0 net1 link up

check "no family: dev show says so, exit 1" no_family dev show
check "no family: -j before the object is an option" no_family -j dev show
check "no family: --json and -s after the command are options" no_family dev show --json -s
check "no family: -j after link" no_family link -j

check "the stand-in family builds" [ -s "$tmp/fake.so" ]
check "dev add sends type, name, volume, queues" \
	works 0 'cmd 1 flags 0x5 2:1 1:disk1 3:vda 4:4' dev add nvme name disk1 volume vda queues 4
check "dev add prints the device" \
	is "$tmp/out" 'disk1: type nvme pci 5a0c:00:01.0 volume vda queues 2 state up namespaces 1:vda'
check "dev add test: no backend or queues sent, none printed" \
	works 0 'cmd 1 flags 0x5 2:127 1:t0' dev add test name t0
check "dev add test prints the device" is "$tmp/out" 't0: type test pci 5a0c:00:01.0 queues 2 state up'
check "dev add virtio-net sends mac, vni, ip (network order), prefix" \
	works 0 'cmd 1 flags 0x5 2:3 1:n1 14:02-00-00-00-00-10 15:100 16:10.1.0.10 17:24' \
	dev add virtio-net name n1 mac 02:00:00:00:00:10 vni 100 ip 10.1.0.10/24
check "dev add virtio-net prints the device" is "$tmp/out" \
	'n1: type virtio-net pci 5a0c:00:01.0 mac 02:00:00:00:00:10 vni 100 ip 10.1.0.10/24 queues 2 state up link up'
check "dev add type virtio-net: queues, hex case, the largest VNI and prefix" \
	works 0 'cmd 1 flags 0x5 2:3 1:n2 4:8 14:fe-ab-cd-ef-01-9a 15:16777215 16:192.168.255.1 17:32' \
	dev add ip 192.168.255.1/32 vni 16777215 type virtio-net queues 8 \
	mac FE:aB:cd:EF:01:9a name n2
check "dev add virtio-net: VNI 0, prefix 1" \
	works 0 'cmd 1 flags 0x5 2:3 1:n3 14:02-00-00-00-00-01 15:0 16:0.0.0.1 17:1' \
	dev add virtio-net name n3 mac 02:00:00:00:00:01 vni 0 ip 0.0.0.1/1
check "dev add nvme noshadowdb sends the flag (backend: volume's old keyword)" \
	works 0 'cmd 1 flags 0x5 2:1 1:d1 3:vda 13:1' dev add nvme name d1 backend vda noshadowdb
check "dev set NAME link down" works 0 'cmd 5 flags 0x5 1:net0 18:0' dev set net0 link down
check "... prints nothing" quiet
check "dev set name NAME link up" works 0 'cmd 5 flags 0x5 1:net0 18:1' dev set name net0 link up
check "dev set link up NAME -j: prints nothing" \
	works 0 'cmd 5 flags 0x5 1:net0 18:1' dev set link up net0 -j
check "... nothing at all" quiet
check "dev set: the kernel's message, exit 1" \
	fails 1 'zocctl: dev set: disk0 is not a network device' dev set disk0 link down
check "dev set of a missing device: the kernel's message, exit 1" \
	fails 1 'zocctl: dev set: no device nosuch' dev set nosuch link up
check "dev add virtio-blk, largest queue count, longest name" \
	works 0 'cmd 1 flags 0x5 2:2 1:a.b_c-D9abcdefg 3:vdc 4:65535' \
	dev add virtio-blk queues 65535 backend vdc name a.b_c-D9abcdefg
check "dev add: the kernel's message, exit 1" \
	fails 1 'zocctl: dev add: device disk0 exists' dev add nvme name disk0 backend vda
check "dev del NAME" works 0 'cmd 2 flags 0x5 1:disk0' dev del disk0
check "dev del name NAME" works 0 'cmd 2 flags 0x5 1:disk0' dev del name disk0
check "dev del: strerror without a message, exit 1" \
	fails 1 'zocctl: dev del: No such device' dev del nosuch
check "dev show dumps" works 0 'cmd 3 flags 0x301' dev show
check "dev show prints a line per device" is "$tmp/out" \
	'disk0: type nvme pci 5a0c:00:01.0 volume vda queues 2 state up namespaces 1:vda' \
	'odd: type test pci 5a0c:00:01.0 volume q"b\s' $'\x01\xff queues 2 state 9' \
	'net0: type virtio-net pci 5a0c:00:01.0 mac 02:00:00:00:00:10 vni 100 ip 10.1.0.10/24 queues 2 state up link up'
check "dev alone is dev show" works 0 'cmd 3 flags 0x301' dev
check "dev show NAME asks for that device" works 0 'cmd 3 flags 0x5 1:disk0' dev show disk0
check "dev show -s NAME" works 0 'cmd 3 flags 0x5 1:disk0' dev show -s disk0
check "dev show -s prints the counters" is "$tmp/out" \
	'disk0: type nvme pci 5a0c:00:01.0 volume vda queues 2 state up namespaces 1:vda' \
	'    mmio_reads 10 mmio_writes 20 shadow_reads 30 doorbell_writes 40' \
	'    doorbell_msgs 50 irqs 60 irqs_masked 70 commands 80' \
	'    errors 90 read_bytes 5000000000 write_bytes 110 resets 120' \
	'    invalid 130'
check "dev show -j: a JSON array, strings escaped, network fields" dump_json
check "dev show NAME of a network device whose link is down" net_down
check "dev show -j NAME: link down" net_down_json
check "a MAC address of 5 bytes: a malformed reply, exit 1" bad_mac_reply
check "-j -s before the object: the counters under stats" stats_json
check "dev show -j of a missing device: the message, exit 1" \
	fails 1 'zocctl: dev show: no device nosuch' -j dev show nosuch
check "... and an empty array" is "$tmp/out" '[]'
check "a dump that fails: its error, exit 1" dump_fails
check "link show dumps every link" works 0 'cmd 4 flags 0x301' link show
check "link show prints each link" is "$tmp/out" \
	'link: id 0 state up epoch 3 resets 1 timeouts 0' \
	'link: id 1 state up epoch 3 resets 1 timeouts 0'
check "link -j" link_json
check "-l 1 link show asks for link 1" works 0 'cmd 4 flags 0x5 19:1' -l 1 link show
check "... and prints it" is "$tmp/out" 'link: id 1 state up epoch 3 resets 1 timeouts 0'
check "dev del -l 1 NAME names the link" works 0 'cmd 2 flags 0x5 19:1 1:disk0' dev del -l 1 disk0
check "dev show -l 1 keeps link 1's devices" links_filter
check "a link that is not a number" refused 'link show: bad link "x": a number' link show -l x
check "-l without its value" refused 'dev show: "-l" needs an argument' dev show -l
check "link set outage-limit MS" works 0 'cmd 6 flags 0x5 20:5000' \
	link set outage-limit 5000
check "-l 1 link set outage-limit 0 names the link" works 0 \
	'cmd 6 flags 0x5 19:1 20:0' -l 1 link set outage-limit 0
check "link set: nothing to change" refused \
	'^zocctl: link set: nothing to change: no setting given$' link set
check "link set poll-us US" works 0 'cmd 6 flags 0x5 24:500' link set poll-us 500
check "link set mode performance polls ZOC_LINK_POLL_DEF_US" works 0 \
	'cmd 6 flags 0x5 24:200' link set mode performance
check "link set mode zero-cost does not poll" works 0 'cmd 6 flags 0x5 24:0' \
	link set mode zero-cost
check "link set: both at once" works 0 'cmd 6 flags 0x5 20:0 24:0' \
	link set outage-limit 0 mode zero-cost
check "link set: poll-us above 10 ms" refused \
	'bad poll-us "10001": 0 to 10000 us' link set poll-us 10001
check "link set: an unknown mode" refused \
	'bad mode "fast": performance or zero-cost' link set mode fast
check "link set: an outage limit above an hour" refused \
	'bad outage-limit "3600001": 0 to 3600000 ms' link set outage-limit 3600001
check "link set: outage-limit without its value" refused \
	'"outage-limit" needs an argument' link set outage-limit
check "link set: unknown argument" usage_error 'link set: unknown argument "mtu"' \
	link set mtu 1500

check "ns help: the ns commands only" helps ns help
check "... ns add and ns del" grep -q 'ns add \[dev\] NAME volume VOLUME' "$tmp/out"
check "ns add: missing volume" refused '^zocctl: ns add: volume VOLUME is missing$' \
	ns add disk0
check "ns add: missing device" refused '^zocctl: ns add: the device NAME is missing$' \
	ns add volume vol-a
check "ns add: nsid 17" refused '^zocctl: ns add: bad nsid "17": 1 to 16$' \
	ns add disk0 volume vol-a nsid 17
check "ns add: nsid 0" refused 'bad nsid "0": 1 to 16' ns add disk0 volume vol-a nsid 0
check "ns del: missing nsid" refused '^zocctl: ns del: nsid NSID is missing$' ns del disk0
check "ns add: bad volume" refused 'bad volume "a/b"' ns add disk0 volume a/b
check "ns add sends name, volume" works 0 'cmd 7 flags 0x5 1:disk0 3:vol-a' \
	ns add disk0 volume vol-a
check "ns add prints the device and its namespaces" is "$tmp/out" \
	'disk0: type nvme pci 5a0c:00:01.0 volume vda queues 2 state up namespaces 1:vda,2:vol-a'
check "ns add dev NAME ... nsid N sends the namespace" \
	works 0 'cmd 7 flags 0x5 1:disk0 3:vol-b 22:16' ns add nsid 16 dev disk0 volume vol-b
check "ns add -j: the namespaces by identifier" json_ns
check "ns add: the kernel's message, exit 1" \
	fails 1 'zocctl: ns add: that namespace is attached already' \
	ns add disk0 volume vol-a nsid 1
check "ns del sends name, nsid" works 0 'cmd 8 flags 0x5 1:disk0 22:1' ns del disk0 nsid 1
check "... prints nothing" quiet
check "ns del: the kernel's message, exit 1" \
	fails 1 'zocctl: ns del: no such namespace' ns del disk0 nsid 3
check "dev add nvme of two volumes: NEW, NS_ADD of namespace 2, GET" two_volumes
check "dev add virtio-blk of two volumes" refused 'only nvme takes more than one volume' \
	dev add virtio-blk name d0 volume vda volume vol-a

tap_done
