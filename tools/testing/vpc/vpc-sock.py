#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Sockets for the VPC topology test: echo servers and clients with
# timeouts, so that a blocked path shows as a failure, never as a hang.
#
#   vpc-sock.py tcp-server ADDR PORT SECONDS   echo one line per connection
#   vpc-sock.py tcp-client ADDR PORT           exit 0 if the echo came back
#   vpc-sock.py udp-server ADDR PORT SECONDS   echo datagrams
#   vpc-sock.py udp-client ADDR PORT           exit 0 if the echo came back
#   vpc-sock.py udp-sink ADDR PORT SECONDS     print how many datagrams came

import socket
import sys
import time

TIMEOUT = 3.0


def tcp_server(addr, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            c, _ = s.accept()
        except socket.timeout:
            break
        c.settimeout(TIMEOUT)
        try:
            c.sendall(c.recv(100))
        except OSError:
            pass
        c.close()
    return 0


def tcp_client(addr, port):
    msg = b'zoc-vpc %d\n' % time.monotonic_ns()
    try:
        s = socket.create_connection((addr, port), timeout=TIMEOUT)
        s.sendall(msg)
        got = s.recv(100)
    except OSError as e:
        print('tcp %s:%d: %s' % (addr, port, e))
        return 1
    return 0 if got == msg else 1


def udp_server(addr, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        s.sendto(data, peer)
    return 0


def udp_client(addr, port):
    msg = b'zoc-vpc %d' % time.monotonic_ns()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.sendto(msg, (addr, port))
        got = s.recv(2048)
    except OSError as e:
        print('udp %s:%d: %s' % (addr, port, e))
        return 1
    return 0 if got == msg else 1


def udp_sink(addr, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    n = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            break
    print(n)
    return 0


def main(argv):
    cmd, addr, port = argv[1], argv[2], int(argv[3])
    if cmd == 'tcp-server':
        return tcp_server(addr, port, float(argv[4]))
    if cmd == 'tcp-client':
        return tcp_client(addr, port)
    if cmd == 'udp-server':
        return udp_server(addr, port, float(argv[4]))
    if cmd == 'udp-client':
        return udp_client(addr, port)
    if cmd == 'udp-sink':
        return udp_sink(addr, port, float(argv[4]))
    print('unknown command %s' % cmd, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
