// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic for the network benchmarks of the lab's host VM: what it sends
 * and how fast, the receiving side counting what arrived.
 *
 *   net_send tcp ADDRESS PORT SECONDS
 *	one TCP connection; sends the lab's sink pattern (byte i is i % 251)
 *	for SECONDS, then closes
 *   net_send udp ADDRESS PORT SECONDS [SIZE]
 *	SIZE-byte datagrams (default 18: 64-byte Ethernet frames) as fast as
 *	the socket takes them, for SECONDS
 *
 * Prints "sent BYTES bytes PACKETS packets SECONDS s".  Prints figures
 * only: a benchmark, not a test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_PERIOD	251
#define TCP_CHUNK	(PATTERN_PERIOD * 256)
#define UDP_DEF_SIZE	18
#define UDP_MAX_SIZE	1472

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: net_send tcp ADDRESS PORT SECONDS\n"
		"       net_send udp ADDRESS PORT SECONDS [SIZE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static unsigned char buf[TCP_CHUNK];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long long bytes = 0, packets = 0;
	size_t size = UDP_DEF_SIZE, i;
	double start, end, secs;
	int tcp, fd;
	ssize_t r;

	if (argc < 5 || argc > 6)
		bad_usage();
	tcp = !strcmp(argv[1], "tcp");
	if ((!tcp && strcmp(argv[1], "udp")) || (tcp && argc == 6) ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		bad_usage();
	sa.sin_port = htons(atoi(argv[3]));
	secs = atof(argv[4]);
	if (argc == 6)
		size = strtoul(argv[5], NULL, 10);
	if (secs <= 0 || !size || size > UDP_MAX_SIZE)
		bad_usage();
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i % PATTERN_PERIOD;

	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("net_send: connect");
		return 1;
	}
	start = now();
	end = start + secs;
	while (now() < end) {
		/* Whole periods keep the pattern's phase for the sink. */
		r = send(fd, buf, tcp ? sizeof(buf) : size, 0);
		/* a full queue; an ICMP error; no neighbour while stalled */
		if (r < 0 && (errno == ENOBUFS || errno == ECONNREFUSED ||
			      errno == EHOSTUNREACH))
			continue;
		if (r < 0) {
			perror("net_send: send");
			return 1;
		}
		if (tcp && r != (ssize_t)sizeof(buf)) {
			fprintf(stderr, "net_send: short send\n");
			return 1;
		}
		bytes += r;
		packets++;
	}
	secs = now() - start;
	close(fd);
	printf("sent %llu bytes %llu packets %.3f s\n", bytes, packets, secs);
	return 0;
}
