// SPDX-License-Identifier: GPL-2.0
/*
 * Volumes: the host asks for a disk by the name of a volume that the
 * service VM's configuration lists (the lab's: vda, vdb, and vol-id, which
 * is vda again with a full identity).  A name it does not list is refused
 * with a clear error, whether or not the service VM has a block device of
 * that name (loop0 it has, unlisted); a volume another device holds is
 * refused as in use, through another volume name too.  A disk shows its
 * volume's serial number, model, NGUID and EUI-64, whatever its name, and
 * the same again when deleted and made under another name, as NVMe and as
 * virtio-blk.  An NVMe function is bound by nvme only: virtio_pci, which
 * claims every device of the virtio vendor ID, never probes it.
 *
 * Remote volumes: vol-a and vol-b are namespaces of the lab's storage node,
 * which the service VM's firmware attached at boot, vol-a over NVMe/TCP
 * on two paths (two target ports, native multipath), vol-b over NVMe/RDMA
 * on soft-RoCE.  An NVMe and a virtio-blk disk on each: data written is
 * read back, is found in the volume's file on the storage node after
 * shutdown (the runner checks), survives a delete and a re-create under
 * another name, and fio verifies at queue depths 1 and 32.  A path cut
 * during fio verify costs no error, and is used again once back; the
 * storage node restarting during fio costs no error either, nor does the
 * service VM restarting (the new one takes the disks over once it attached
 * the volumes again); the storage node gone for longer than the paths'
 * loss timeout fails the host's I/O, without a hang, and once it is back
 * the service VM attaches the volume again by itself; a service VM that
 * boots with the storage node down attaches the volumes once it is up.
 *
 * The soft-RoCE fabric itself, as rdma-core's tools see it from the host
 * VM's NIC on the storage network: a verbs device's port goes active, and
 * rping's RDMA transfers to the storage node come back verified.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

/* The lab's configuration (tools/lab/zoc-lab, VOLUMES) */
#define VOL		"vol-id"
#define VOL_SERIAL	"ZOC-VOL-ID-012345678"
#define VOL_MODEL	"ZOC_Lab_Volume"
#define VOL_NGUID	"6d2b7a1e0c474f3a9b1d3e5f7a9c2b41"
#define VOL_EUI64	"02a0c0ffee000001"
#define VOL_DEVICE	"vda"	/* the service VM's device of VOL */

#define NAME_A		"volA"
#define NAME_B		"volB"

#define CHUNK		(64 * 1024)
#define CHUNKS		8
#define CHUNK_STRIDE	(1024 * 1024)	/* the pattern over 8 MiB */

/* 4k random read/write with verification at queue depth %d, clear of it */
#define REMOTE_FIO \
	"fio --name=zoc --filename=%s --offset=32m --size=8m --direct=1 --rw=randrw --bs=4k --verify=crc32c --verify_fatal=1 --ioengine=libaio --iodepth=%d 2>&1"

FIXTURE(volumes) {
	char out[8192];
	char dev[64];
};

FIXTURE_SETUP(volumes)
{
	const char *missing = zoc_link_missing();

	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl"))
		SKIP(return, "zocctl is needed");
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
}

FIXTURE_TEARDOWN(volumes)
{
	char reply[128];
	int lab;

	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del %s", NAME_A);
	zoc_ctl(NULL, 0, "dev del %s", NAME_B);
	/* the storage node up for the next test, whatever this one did */
	lab = zoc_lab_open();
	if (lab >= 0) {
		zoc_lab_query(lab, "storage-start", reply, sizeof(reply));
		close(lab);
	}
}

/* "dev add KIND name NAME volume VOLUME" fails, saying @why. */
static int refused(struct __test_metadata *_metadata, char *out, size_t len,
		   const char *kind, const char *volume, const char *why)
{
	int ret = zoc_ctl(out, len, "dev add %s name %s volume %s", kind,
			  NAME_B, volume);

	EXPECT_EQ(1, ret) TH_LOG("%s on %s: %s", kind, volume, out);
	EXPECT_NE(NULL, strstr(out, why)) TH_LOG("%s on %s: %s", kind, volume,
						 out);
	/* and nothing was made */
	EXPECT_NE(0, zoc_ctl(out, len, "dev show %s", NAME_B));
	return ret == 1 && strstr(out, why) ? 0 : -1;
}

/* Names the configuration does not list open nothing. */
TEST_F_TIMEOUT(volumes, unlisted_names_refused, 300)
{
	static const char *const names[] = {
		"vol-none",	/* nothing of that name */
		"loop0",	/* a block device of the service VM, unlisted */
		"vdz",
	};
	static const char *const kinds[] = { "nvme", "virtio-blk" };
	size_t i, k;

	if (zoc_setup_skipped(_metadata))
		return;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		for (k = 0; k < ARRAY_SIZE(kinds); k++)
			refused(_metadata, self->out, sizeof(self->out),
				kinds[k], names[i],
				"configuration lists no such volume");
	/* The link is still fine: a listed volume works. */
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev add nvme name %s volume %s", NAME_A, VOL))
		TH_LOG("%s", self->out);
}

/* A volume in use is refused as such, by either name of its device. */
TEST_F_TIMEOUT(volumes, in_use_says_so, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev add nvme name %s volume %s", NAME_A,
			     VOL_DEVICE))
		TH_LOG("%s", self->out);
	refused(_metadata, self->out, sizeof(self->out), "virtio-blk",
		VOL_DEVICE, "in use by another device");
	refused(_metadata, self->out, sizeof(self->out), "nvme", VOL_DEVICE,
		"in use by another device");
	refused(_metadata, self->out, sizeof(self->out), "virtio-blk", VOL,
		"in use by another device");
}

/* @s without dashes, spaces and newlines: an ID's hex digits. */
static void hex_only(char *s)
{
	char *d = s;

	for (; *s; s++)
		if (!strchr("-\n ", *s))
			*d++ = *s;
	*d = '\0';
}

/* The identity an NVMe disk of @name shows; 0 if it is the volume's. */
static int nvme_identity(struct __test_metadata *_metadata, const char *name,
			 char *dev, size_t len)
{
	char ctrl[32], dir[128], buf[128];

	if (zoc_nvme_ns(name, dev, len, 120))
		return -1;
	if (zoc_fn_entry(name, "nvme", "nvme", ctrl, sizeof(ctrl), 10))
		return -1;
	snprintf(dir, sizeof(dir), "/sys/class/nvme/%s", ctrl);
	zoc_read_attr(dir, "serial", buf, sizeof(buf));
	EXPECT_EQ(0, strncmp(buf, VOL_SERIAL, strlen(VOL_SERIAL)))
		TH_LOG("%s: serial '%s'", name, buf);
	zoc_read_attr(dir, "model", buf, sizeof(buf));
	EXPECT_EQ(0, strncmp(buf, VOL_MODEL, strlen(VOL_MODEL)))
		TH_LOG("%s: model '%s'", name, buf);
	/* The namespace's IDs, as the nvme driver read them */
	snprintf(dir, sizeof(dir), "/sys/block/%s", dev + 5);
	zoc_read_attr(dir, "nguid", buf, sizeof(buf));
	hex_only(buf);
	EXPECT_EQ(0, strcmp(buf, VOL_NGUID)) TH_LOG("%s: nguid '%s'", name, buf);
	zoc_read_attr(dir, "eui", buf, sizeof(buf));
	hex_only(buf);
	EXPECT_EQ(0, strcmp(buf, VOL_EUI64)) TH_LOG("%s: eui '%s'", name, buf);
	return _metadata->passed ? 0 : -1;
}

/*
 * The volume's identity, not the device's name: the same under two names,
 * after a delete, as NVMe and as virtio-blk.
 */
TEST_F_TIMEOUT(volumes, identity_follows_the_volume, 600)
{
	char dir[300], buf[64];

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev add nvme name %s volume %s", NAME_A, VOL))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, nvme_identity(_metadata, NAME_A, self->dev,
				   sizeof(self->dev)));
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del %s",
			     NAME_A));
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev add nvme name %s volume %s", NAME_B, VOL))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, nvme_identity(_metadata, NAME_B, self->dev,
				   sizeof(self->dev)));
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del %s",
			     NAME_B));

	/* virtio-blk's ID: the serial number, all 20 characters of it */
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev add virtio-blk name %s volume %s", NAME_A,
			     VOL))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_vblk_dev(NAME_A, self->dev, sizeof(self->dev), 120));
	snprintf(dir, sizeof(dir), "/sys/block/%s", self->dev + 5);
	zoc_read_attr(dir, "serial", buf, sizeof(buf));
	EXPECT_EQ(0, strcmp(buf, VOL_SERIAL)) TH_LOG("virtio-blk serial '%s'",
						     buf);
}

/* virtio_pci never probes an NVMe function; nvme drives it. */
TEST_F_TIMEOUT(volumes, nvme_bound_by_nvme_only, 300)
{
	char dir[300], addr[32], buf[64];
	int lines;

	if (zoc_setup_skipped(_metadata))
		return;
	/* The kernel's log from here on: the bus reuses addresses. */
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "dmesg | wc -l"));
	lines = atoi(self->out);
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev add nvme name %s volume %s", NAME_A, VOL))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_ns(NAME_A, self->dev, sizeof(self->dev), 120));
	zoc_fn_dir(NAME_A, dir, sizeof(dir));
	ASSERT_NE(0, dir[0]);
	snprintf(addr, sizeof(addr), "%s", strrchr(dir, '/') + 1);
	zoc_read_attr(dir, "driver_override", buf, sizeof(buf));
	EXPECT_EQ(0, strcmp(buf, "nvme\n")) TH_LOG("driver_override '%s'", buf);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "basename $(readlink %s/driver)", dir));
	EXPECT_EQ(0, strcmp(self->out, "nvme\n")) TH_LOG("driver '%s'",
							 self->out);
	EXPECT_EQ(1, zoc_sh(self->out, sizeof(self->out),
			    "dmesg | tail -n +%d | grep 'virtio-pci %s'",
			    lines + 1, addr))
		TH_LOG("virtio_pci probed it: %s", self->out);
}

/* Add disk @name of @kind on @volume, once the service VM has it. */
static int add_remote(const char *kind, const char *name, const char *volume,
		      char *out, size_t len)
{
	return zoc_ctl_again(out, len, "dev add %s name %s volume %s queues 2",
			     kind, name, volume);
}

/* The disk of device @name, of @kind, once there. */
static int disk_of(const char *name, const char *kind, char *dev, size_t len)
{
	if (!strcmp(kind, "nvme"))
		return zoc_nvme_ns(name, dev, len, 120);
	return zoc_vblk_dev(name, dev, len, 120);
}

/*
 * A disk of @kind on remote volume @volume: the pattern round trip, across
 * a re-create, and fio at queue depths 1 and 32.
 */
static void remote_round_trip(struct __test_metadata *_metadata,
			      const char *kind, const char *volume, char *dev,
			      size_t dev_len, char *out, size_t len)
{
	/* NVMe's pattern in the first 8 MiB, virtio-blk's in the next 16 */
	off_t base = strcmp(kind, "nvme") ? 16 << 20 : 0;
	unsigned long long seed = (unsigned long long)time(NULL) << 16 ^ getpid();
	static const int depths[] = { 1, 32 };
	off_t off[CHUNKS];
	char cmd[512];
	int i, ret;

	for (i = 0; i < CHUNKS; i++)
		off[i] = base + (off_t)i * CHUNK_STRIDE + (i * 4096) % 65536;
	ASSERT_EQ(0, add_remote(kind, NAME_A, volume, out, len))
		TH_LOG("%s", out);
	ASSERT_EQ(0, disk_of(NAME_A, kind, dev, dev_len));
	ASSERT_EQ(0, zoc_pattern_io(dev, seed, 0, off, CHUNKS, CHUNK));
	ASSERT_EQ(0, zoc_pattern_io(dev, seed, 1, off, CHUNKS, CHUNK));
	ASSERT_EQ(0, zoc_ctl(out, len, "dev del %s", NAME_A));

	/* Under another name: the same volume, the same data */
	ASSERT_EQ(0, zoc_ctl(out, len, "dev add %s name %s volume %s queues 2",
			     kind, NAME_B, volume))
		TH_LOG("%s", out);
	ASSERT_EQ(0, disk_of(NAME_B, kind, dev, dev_len));
	ASSERT_EQ(0, zoc_pattern_io(dev, seed, 1, off, CHUNKS, CHUNK));
	for (i = 0; i < (int)ARRAY_SIZE(depths); i++) {
		snprintf(cmd, sizeof(cmd), REMOTE_FIO, dev, depths[i]);
		EXPECT_EQ(0, zoc_sh(out, len, "%s", cmd))
			TH_LOG("fio at depth %d: %.3000s", depths[i], out);
	}
	/* The runner finds it in the volume's file on the storage node. */
	ret = zoc_pattern_expect_on(volume, seed, off, CHUNKS, CHUNK);
	if (ret != -ENODEV)
		EXPECT_EQ(0, ret);
}

/* The host VM's NIC on the lab's storage network, and the storage node */
#define STORAGE_NIC_MAC	"52:54:00:5a:0c:03"
#define STORAGE_NIC_ADDR "198.51.100.20/24"
#define STORAGE_NODE	"198.51.100.10"
#define RXE		"zocrxe0"
#define RPINGS		20

/* NIC %s up, with an address and a soft-RoCE device over it */
#define RXE_UP \
	"ip link set %s up && ip addr add " STORAGE_NIC_ADDR " dev %s && " \
	"modprobe rdma_rxe && modprobe rdma_ucm && " \
	"rdma link add " RXE " type rxe netdev %s"
/* its port active, in 10 s */
#define RXE_ACTIVE \
	"for i in $(seq 100); do " \
	"ibv_devinfo -d " RXE " | grep -q 'state:.*PORT_ACTIVE' && exit 0; " \
	"sleep 0.1; done; ibv_devinfo -d " RXE "; exit 1"
/* and rping's transfers, each checked; it prints the data of each */
#define RPING		"rping -c -a " STORAGE_NODE " -C %d -S 64 -V -v 2>&1"
#define RPING_DATA	"ping data: rdma-ping-"
#define RXE_DOWN \
	"rdma link delete " RXE "; ip addr del " STORAGE_NIC_ADDR " dev %s; ip link set %s down"

/* The netdev of MAC @mac into @name, or "". */
static void netdev_of(const char *mac, char *name, size_t len)
{
	char out[64];

	name[0] = '\0';
	if (zoc_sh(out, sizeof(out),
		   "grep -l '^%s$' /sys/class/net/*/address | cut -d/ -f5 | head -n1",
		   mac) == 0)
		snprintf(name, len, "%.*s", (int)strcspn(out, "\n"), out);
}

/*
 * The soft-RoCE fabric vol-b runs on, checked with rdma-core's tools: a
 * verbs device on the host VM's storage NIC, its port active, and rping's
 * RDMA transfers to the storage node's rping server verified, counted by
 * the device as sent packets.
 */
TEST_F_TIMEOUT(volumes, rdma_fabric, 300)
{
	char nic[64], *at;
	int n;

	if (zoc_setup_skipped(_metadata))
		return;
	netdev_of(STORAGE_NIC_MAC, nic, sizeof(nic));
	if (!nic[0])
		SKIP(return, "not in the ZOC lab: no NIC on its storage network");
	if (zoc_missing("ibv_devinfo") || zoc_missing("rping") ||
	    zoc_missing("rdma"))
		SKIP(return, "ibv_devinfo, rping (rdma-core) and rdma are needed");
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), RXE_UP, nic, nic,
			    nic))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out), RXE_ACTIVE))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out), RPING, RPINGS))
		TH_LOG("rping: %s", self->out);
	for (n = 0, at = self->out; (at = strstr(at, RPING_DATA)); at++)
		n++;
	EXPECT_EQ(RPINGS, n) TH_LOG("rping: %s", self->out);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "rdma statistic show link " RXE "/1 | grep -o 'sent_pkts [0-9]*'"));
	EXPECT_LT(2 * RPINGS, atoi(self->out + 10)) TH_LOG("%s", self->out);
	zoc_sh(NULL, 0, RXE_DOWN, nic, nic);
}

/* The serial number an NVMe disk of @name shows, into @buf. */
static void nvme_serial(const char *name, char *buf, size_t len)
{
	char dir[128], ctrl[32];

	buf[0] = '\0';
	if (zoc_fn_entry(name, "nvme", "nvme", ctrl, sizeof(ctrl), 10))
		return;
	snprintf(dir, sizeof(dir), "/sys/class/nvme/%s", ctrl);
	zoc_read_attr(dir, "serial", buf, len);
}

/* vol-a, over NVMe/TCP on two paths */
TEST_F_TIMEOUT(volumes, remote_nvme_tcp, 600)
{
	char buf[64];

	if (zoc_setup_skipped(_metadata))
		return;
	remote_round_trip(_metadata, "nvme", "vol-a", self->dev,
			  sizeof(self->dev), self->out, sizeof(self->out));
	nvme_serial(NAME_B, buf, sizeof(buf));
	EXPECT_EQ(0, strncmp(buf, "ZOC-REMOTE-A ", 13)) TH_LOG("serial '%s'",
							       buf);
}

/* vol-b, over NVMe/RDMA (soft-RoCE) */
TEST_F_TIMEOUT(volumes, remote_nvme_rdma, 600)
{
	char buf[64];

	if (zoc_setup_skipped(_metadata))
		return;
	remote_round_trip(_metadata, "nvme", "vol-b", self->dev,
			  sizeof(self->dev), self->out, sizeof(self->out));
	nvme_serial(NAME_B, buf, sizeof(buf));
	EXPECT_EQ(0, strncmp(buf, "ZOC-REMOTE-B ", 13)) TH_LOG("serial '%s'",
							       buf);
}

/* The serial number of virtio-blk disk @dev: its volume's. */
static void vblk_serial_is(struct __test_metadata *_metadata,
			   const char *dev, const char *serial)
{
	char dir[128], buf[64];

	snprintf(dir, sizeof(dir), "/sys/block/%s", dev + 5);
	zoc_read_attr(dir, "serial", buf, sizeof(buf));
	EXPECT_EQ(0, strcmp(buf, serial)) TH_LOG("serial '%s'", buf);
}

TEST_F_TIMEOUT(volumes, remote_virtio_blk_tcp, 600)
{
	if (zoc_setup_skipped(_metadata))
		return;
	remote_round_trip(_metadata, "virtio-blk", "vol-a", self->dev,
			  sizeof(self->dev), self->out, sizeof(self->out));
	vblk_serial_is(_metadata, self->dev, "ZOC-REMOTE-A");
}

TEST_F_TIMEOUT(volumes, remote_virtio_blk_rdma, 600)
{
	if (zoc_setup_skipped(_metadata))
		return;
	remote_round_trip(_metadata, "virtio-blk", "vol-b", self->dev,
			  sizeof(self->dev), self->out, sizeof(self->out));
	vblk_serial_is(_metadata, self->dev, "ZOC-REMOTE-B");
}

/* 4k random read/write with verification at queue depth 8, clear of all */
#define REMOTE_FIO_OPTS \
	"--offset=64m --size=16m --direct=1 --rw=randrw --bs=4k --verify=crc32c --verify_fatal=1 --ioengine=libaio --iodepth=8"

/* fio verifying on %s until stopped (at most %d s), its log in FIO_LOG */
#define FIO_LOG		"/tmp/zoc-volumes-fio.log"
#define REMOTE_FIO_LONG \
	"fio --name=zoc --filename=%s " REMOTE_FIO_OPTS " " \
	ZOC_FIO_UNTIL_STOPPED " >" FIO_LOG " 2>&1"

/* A lab request, logged if it fails; 0 or the error. */
static int lab_req(struct __test_metadata *_metadata, int lab, const char *req)
{
	char reply[256];
	int ret = zoc_lab_query(lab, req, reply, sizeof(reply));

	EXPECT_EQ(0, ret) TH_LOG("%s: %s", req, reply);
	return ret;
}

/*
 * A disk of @kind on @volume as NAME_A, its block device into @dev, and
 * fio verifying on it for @runtime seconds at most, 5 s under way.
 * Return: fio's pid, or -1.
 */
static pid_t remote_fio(struct __test_metadata *_metadata, const char *kind,
			const char *volume, int runtime, char *dev,
			size_t dev_len, char *out, size_t len)
{
	char cmd[512];
	pid_t fio;

	EXPECT_EQ(0, add_remote(kind, NAME_A, volume, out, len))
		TH_LOG("%s", out);
	if (disk_of(NAME_A, kind, dev, dev_len))
		return -1;
	snprintf(cmd, sizeof(cmd), REMOTE_FIO_LONG, dev, runtime);
	fio = zoc_fio_spawn(cmd);
	sleep(5);
	return fio;
}

/*
 * Multipath: vol-a's path to port 1 is cut in the middle of fio verify,
 * and comes back: no error, and the path is used again.
 */
TEST_F_TIMEOUT(volumes, remote_path_lost_and_back, 900)
{
	pid_t fio;
	int lab;

	if (zoc_setup_skipped(_metadata))
		return;
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	fio = remote_fio(_metadata, "nvme", "vol-a", 300, self->dev,
			 sizeof(self->dev), self->out, sizeof(self->out));
	ASSERT_LT(0, fio);
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage port-down 1"));
	sleep(10);
	EXPECT_EQ(0, zoc_fio_running(&fio, FIO_LOG, self->out,
				     sizeof(self->out)))
		TH_LOG("fio ended with the path down: %s", self->out);
	EXPECT_EQ(0, lab_req(_metadata, lab, "svm-fw run paths-note"));
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage port-up 1"));
	/* reconnected within a second or two, then round robin */
	sleep(10);
	EXPECT_EQ(0, lab_req(_metadata, lab, "svm-fw run port1-used"));
	EXPECT_EQ(0, zoc_fio_stop(&fio, 2, FIO_LOG, self->out,
				  sizeof(self->out)))
		TH_LOG("fio: %s", self->out);
	zoc_fio_kill(&fio);
	close(lab);
}

/*
 * The storage node restarts during fio verify: I/O waits, the paths
 * reconnect within their loss timeout, and fio ends with no error.
 */
TEST_F_TIMEOUT(volumes, remote_storage_restart, 900)
{
	pid_t fio;
	int lab;

	if (zoc_setup_skipped(_metadata))
		return;
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	fio = remote_fio(_metadata, "nvme", "vol-a", 300, self->dev,
			 sizeof(self->dev), self->out, sizeof(self->out));
	ASSERT_LT(0, fio);
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage-restart"));
	EXPECT_EQ(0, zoc_fio_stop(&fio, 10, FIO_LOG, self->out,
				  sizeof(self->out)))
		TH_LOG("fio: %s", self->out);
	zoc_fio_kill(&fio);
	close(lab);
}

/* fio verifying on two disks, %s and %s, until stopped (at most %d s) */
#define REMOTE_FIO_TWO \
	"fio " REMOTE_FIO_OPTS " " ZOC_FIO_UNTIL_STOPPED \
	" --name=a --filename=%s --name=b --filename=%s >" FIO_LOG " 2>&1"

/*
 * Durable remote disks: the service VM restarts under fio verify on an
 * NVMe disk on vol-a and a virtio-blk disk on vol-b.  The new one takes
 * the disks over once its firmware attached the volumes again (until
 * then it answers "ask again"), and fio ends with no error.
 */
TEST_F_TIMEOUT(volumes, remote_svm_restart, 900)
{
	long long epoch = zoc_link_field("svm_epoch");
	char cmd[512], dev2[64];
	pid_t fio;
	int lab;

	if (zoc_setup_skipped(_metadata))
		return;
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, add_remote("nvme", NAME_A, "vol-a", self->out,
				sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, disk_of(NAME_A, "nvme", self->dev, sizeof(self->dev)));
	ASSERT_EQ(0, add_remote("virtio-blk", NAME_B, "vol-b", self->out,
				sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, disk_of(NAME_B, "virtio-blk", dev2, sizeof(dev2)));
	snprintf(cmd, sizeof(cmd), REMOTE_FIO_TWO, 300, self->dev, dev2);
	fio = zoc_fio_spawn(cmd);
	ASSERT_LT(0, fio);
	sleep(5);
	EXPECT_EQ(0, lab_req(_metadata, lab, "svm-restart"));
	EXPECT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_dev_wait_state(NAME_A, "up", self->out,
					sizeof(self->out), 120))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_dev_wait_state(NAME_B, "up", self->out,
					sizeof(self->out), 120))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_fio_stop(&fio, 10, FIO_LOG, self->out,
				  sizeof(self->out)))
		TH_LOG("fio: %s", self->out);
	zoc_fio_kill(&fio);
	close(lab);
}

/*
 * "try again" for a virtio-blk disk on @volume, within @secs seconds (a
 * disk made meanwhile is deleted): 0 or -1
 */
static int volume_says_again(const char *volume, char *out, size_t len,
			     int secs)
{
	time_t end = time(NULL) + secs;

	do {
		if (zoc_ctl(out, len, "dev add virtio-blk name %s volume %s",
			    NAME_B, volume) == 1 && strstr(out, "try again"))
			return 0;
		zoc_ctl(NULL, 0, "dev del %s", NAME_B);
		sleep(5);
	} while (time(NULL) < end);
	return -1;
}

/* A disk of @kind on @volume as NAME_B: the pattern round trip. */
static void remote_works(struct __test_metadata *_metadata, const char *kind,
			 const char *volume, char *dev, size_t dev_len,
			 char *out, size_t len)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 12 ^ getpid();
	off_t off[CHUNKS];
	int i;

	/* from 48 MiB: clear of the patterns the runner looks for */
	for (i = 0; i < CHUNKS; i++)
		off[i] = (48 << 20) + (off_t)i * CHUNK_STRIDE;
	ASSERT_EQ(0, add_remote(kind, NAME_B, volume, out, len))
		TH_LOG("%s", out);
	ASSERT_EQ(0, disk_of(NAME_B, kind, dev, dev_len));
	EXPECT_EQ(0, zoc_pattern_io(dev, seed, 0, off, CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_pattern_io(dev, seed, 1, off, CHUNKS, CHUNK));
}

/*
 * The storage node is lost during fio verify on a virtio-blk disk of
 * vol-b: the host's I/O fails once the path's loss timeout passed, well
 * before fio's own end, without a hang.  The volume's namespace head
 * goes with its last path: the service VM disables the volume (the host
 * is told to try again).  The storage node comes back: the same service
 * VM attaches the volume again by itself, and a new disk on it works.
 */
TEST_F_TIMEOUT(volumes, remote_storage_lost, 900)
{
	long long epoch = zoc_link_field("svm_epoch");
	time_t start;
	pid_t fio;
	int lab;

	if (zoc_setup_skipped(_metadata))
		return;
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	fio = remote_fio(_metadata, "virtio-blk", "vol-b", 600, self->dev,
			 sizeof(self->dev), self->out, sizeof(self->out));
	ASSERT_LT(0, fio);
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage-stop"));
	start = time(NULL);
	/* fio fails (an I/O error), well before its runtime */
	EXPECT_NE(0, zoc_fio_end(&fio, 120, FIO_LOG, self->out,
				 sizeof(self->out)));
	EXPECT_GT(120, time(NULL) - start);
	TH_LOG("fio failed %ld s after the storage node went",
	       (long)(time(NULL) - start));
	zoc_fio_kill(&fio);
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del %s",
			     NAME_A));
	/*
	 * once the path went: the volume is not attached.  The kernel gives
	 * up on a path after ctrl_loss_tmo / reconnect_delay tries (5 in
	 * the lab), each of which takes seconds over NVMe/RDMA to a server
	 * gone.
	 */
	EXPECT_EQ(0, volume_says_again("vol-b", self->out, sizeof(self->out),
				       240))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage-start"));
	close(lab);
	/* vol-b works again, with the same service VM */
	remote_works(_metadata, "virtio-blk", "vol-b", self->dev,
		     sizeof(self->dev), self->out, sizeof(self->out));
	EXPECT_EQ(epoch, zoc_link_field("svm_epoch"));
}

/*
 * The service VM boots while the storage node is down: it comes up, and
 * the host is told to try again for the remote volumes.  The storage
 * node comes up: the service VM attaches them by itself, a disk on vol-a
 * works, and both its paths are connected (I/O goes to port 4420 too,
 * within a minute: the volume may be attached on the other path first).
 */
TEST_F_TIMEOUT(volumes, remote_storage_down_at_boot, 900)
{
	long long epoch = zoc_link_field("svm_epoch");
	char reply[256];
	int lab, i;

	if (zoc_setup_skipped(_metadata))
		return;
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage-stop"));
	EXPECT_EQ(0, lab_req(_metadata, lab, "svm-restart"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, volume_says_again("vol-a", self->out, sizeof(self->out),
				       10))
		TH_LOG("%s", self->out);
	/* long enough for tries to fail: the volume is tried again */
	sleep(10);
	EXPECT_EQ(0, lab_req(_metadata, lab, "storage-start"));
	EXPECT_EQ(0, lab_req(_metadata, lab, "svm-fw run paths-note"));
	remote_works(_metadata, "nvme", "vol-a", self->dev, sizeof(self->dev),
		     self->out, sizeof(self->out));
	/* the volume may come on one path, the other joins it soon after */
	for (i = 0; i < 30; i++) {
		EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
				    "dd if=%s of=/dev/null bs=64k count=64 iflag=direct 2>&1",
				    self->dev))
			TH_LOG("%s", self->out);
		if (!zoc_lab_query(lab, "svm-fw run port1-used", reply,
				   sizeof(reply)))
			break;
		sleep(2);
	}
	EXPECT_GT(30, i) TH_LOG("no I/O on the path to port 4420 in 60 s");
	close(lab);
}

TEST_HARNESS_MAIN
