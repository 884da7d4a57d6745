/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC link: what the tests send over the link, outside the protocol of
 * <linux/zoc_link.h>.  Its numbers are in the ranges that header leaves
 * to tests.  A service VM answers them only if its kernel was built with
 * CONFIG_ZOC_TEST_HOOKS and zoc_guest was loaded with test_hooks=1; it
 * then publishes ZOC_LINK_CAP_TEST in its side of the link area.  A host
 * built with the option lets a test module (drivers/zoc/tests) send them
 * and get their replies.
 *
 * Defines only: the kernels, the selftests, the unit tests and zocctl
 * include it.
 */
#ifndef _ZOC_LINK_TEST_WIRE_H
#define _ZOC_LINK_TEST_WIRE_H

/*
 * Message type, host to service VM: the service VM sends the message
 * back as it came, tag and payload (opaque) included.
 */
#define ZOC_TEST_MSG_ECHO	0x7f

/*
 * Control opcodes, host to service VM.  ZOC_TEST_CTRL_CORRUPT: the
 * service VM writes an impossible index into the completion ring, or for
 * data[0..3] (little-endian) N + 1 into data queue N's (the host must
 * reset the link); no reply.  ZOC_TEST_CTRL_PING_HOST: the
 * service VM sends data[0..3] (little-endian) pings to the host, one at a
 * time, and replies once they all came back (ZOC_MSG_OK) or one did not
 * (ZOC_MSG_EIO).
 */
#define ZOC_TEST_CTRL_CORRUPT	0x7f000001
#define ZOC_TEST_CTRL_PING_HOST	0x7f000002

/*
 * Device type (zoc_ctrl_dev_create.type): a register file with doorbells,
 * shadows and MSI-X (drivers/zoc/tests/zoc_test_model.c).
 */
#define ZOC_TEST_DEV		0x7f

#endif /* _ZOC_LINK_TEST_WIRE_H */
