/*
 * pingpong: 1-byte round-trip latency over one connection (or one UDP
 * socket) against an echo server, timed with CLOCK_MONOTONIC.
 *
 *   pingpong tcp|udp PORT COUNT [HOST]
 *
 * Prints one line: "p50_us=.. p99_us=.. mean_us=.. n=.. lost=..". The first
 * COUNT/10 round trips (at least 50) warm up and are not counted. UDP waits
 * at most 1 s for each answer and counts what never came back as lost;
 * every loop is bounded by COUNT and by a 60 s deadline.
 */
#include <poll.h>

#include "common.h"

#define TOOL "pingpong"

static int
rtt_tcp(int fd, uint64_t *out)
{
	char b = 'x';
	uint64_t t0 = now_ns();
	ssize_t n;

	if (write(fd, &b, 1) != 1)
		return -1;
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -1;
	*out = now_ns() - t0;
	return 0;
}

/* 0 ok, 1 lost (timeout), -1 error */
static int
rtt_udp(int fd, uint64_t *out, unsigned seq)
{
	unsigned char b[8], r[64];
	uint64_t t0 = now_ns(), deadline = t0 + 1000000000u;
	ssize_t n;

	memcpy(b, &seq, sizeof(seq));
	if (send(fd, b, 1, 0) != 1)   /* 1 byte: the seq's low byte */
		return -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();

		if (now >= deadline)
			return 1;
		if (poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			continue;
		n = recv(fd, r, sizeof(r), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 1 && r[0] == b[0]) {
			*out = now_ns() - t0;
			return 0;
		}
		/* a late answer to an earlier probe: keep waiting */
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	long count, warm, i, got = 0, lost = 0;
	uint64_t *v, sum = 0, deadline;
	int udp, fd, one = 1;

	if (argc < 4 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp")) ||
	    ipv4_addr(argc > 4 ? argv[4] : "127.0.0.1", argv[2], &sa) < 0 ||
	    (count = strtol(argv[3], NULL, 10)) < 1 || count > 10000000) {
		fprintf(stderr, "usage: %s tcp|udp PORT COUNT [IPV4]\n", TOOL);
		return 2;
	}
	udp = argv[1][0] == 'u';
	warm = count / 10 < 50 ? 50 : count / 10;
	v = calloc((size_t)count, sizeof(*v));
	if (!v)
		die(TOOL, "calloc");
	fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		die(TOOL, "socket");
	if (!udp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(TOOL, "connect");

	deadline = now_ns() + 60ull * 1000000000u;
	for (i = 0; i < warm + count && now_ns() < deadline; i++) {
		uint64_t t;
		int r = udp ? rtt_udp(fd, &t, (unsigned)i) : rtt_tcp(fd, &t);

		if (r < 0)
			die(TOOL, udp ? "udp round trip" : "tcp round trip (did the relay close?)");
		if (r > 0) {
			if (i >= warm)
				lost++;
			continue;
		}
		if (i >= warm) {
			v[got++] = t;
			sum += t;
		}
	}
	qsort(v, (size_t)got, sizeof(*v), cmp_u64);
	printf("p50_us=%.1f p99_us=%.1f mean_us=%.1f n=%ld lost=%ld\n", pct(v, (size_t)got, 50) / 1e3,
	    pct(v, (size_t)got, 99) / 1e3, got ? (double)sum / (double)got / 1e3 : 0.0, got, lost);
	close(fd);
	free(v);
	return got > 0 ? 0 : 1;
}
