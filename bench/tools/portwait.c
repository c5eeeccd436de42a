/*
 * portwait: how long until COUNT consecutive TCP ports on 127.0.0.1, from
 * FIRST, are all listening. Polls the kernel's socket table (sock_diag
 * netlink, LISTEN sockets only) every millisecond, so the probing never
 * touches the process being timed; then proves it by connecting to a sample
 * of the ports (first, last, and every 97th).
 *
 *   portwait FIRST COUNT TIMEOUT_S START_REALTIME_NS [noprobe]
 *
 * START_REALTIME_NS is `date +%s%N` taken just before the relay was started.
 * "noprobe" skips the connections (to wait for a listener without a client).
 * Prints "listening=N/COUNT ms=.. probed=.. probe_failed=..".
 */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include "common.h"

#define TOOL "portwait"

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Mark listening ports in [first, first+count) in seen[]; returns how many are marked. */
static long
scan(int nl, unsigned first, unsigned count, unsigned char *seen, long marked)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;
	static char buf[1 << 16];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int family;

	for (family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = sizeof(req);
		req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.r.sdiag_family = (unsigned char)family;
		req.r.sdiag_protocol = IPPROTO_TCP;
		req.r.idiag_states = 1u << 10;   /* TCP_LISTEN */
		if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die(TOOL, "sock_diag request");
		for (;;) {
			ssize_t n = recv(nl, buf, sizeof(buf), 0);
			struct nlmsghdr *h;
			int end = 0;

			if (n < 0) {
				if (errno == EINTR)
					continue;
				die(TOOL, "sock_diag reply");
			}
			for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
				struct inet_diag_msg *m;
				unsigned port;

				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
					end = 1;
					break;
				}
				m = NLMSG_DATA(h);
				port = ntohs(m->id.idiag_sport);
				if (port >= first && port - first < count && !seen[port - first]) {
					seen[port - first] = 1;
					marked++;
				}
			}
			if (end)
				break;
		}
	}
	return marked;
}

static int
probe(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (fd >= 0)
		close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned first, count, i;
	long timeout, marked = 0, probed = 0, pfail = 0;
	uint64_t start, deadline, done_at = 0;
	unsigned char *seen;
	int nl, doprobe = !(argc > 5 && strcmp(argv[5], "noprobe") == 0);

	if (argc < 5) {
		fprintf(stderr, "usage: %s FIRST COUNT TIMEOUT_S START_REALTIME_NS [noprobe]\n", TOOL);
		return 2;
	}
	first = (unsigned)strtoul(argv[1], NULL, 10);
	count = (unsigned)strtoul(argv[2], NULL, 10);
	timeout = strtol(argv[3], NULL, 10);
	start = strtoull(argv[4], NULL, 10);
	if (first < 1 || count < 1 || first + count > 65536 || timeout < 1 || timeout > 600 || !start) {
		fprintf(stderr, "%s: bad arguments\n", TOOL);
		return 2;
	}
	seen = calloc(count, 1);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (!seen || nl < 0)
		die(TOOL, "netlink socket");
	deadline = start + (uint64_t)timeout * 1000000000u;
	while (realtime_ns() < deadline) {
		marked = scan(nl, first, count, seen, marked);
		if (marked == (long)count) {
			done_at = realtime_ns();
			break;
		}
		usleep(1000);
	}
	for (i = 0; doprobe && done_at && i < count; i += 97) {
		probed++;
		if (probe(first + i) < 0)
			pfail++;
	}
	if (doprobe && done_at && (count - 1) % 97) {
		probed++;
		if (probe(first + count - 1) < 0)
			pfail++;
	}
	if (done_at)
		printf("listening=%ld/%u ms=%.1f probed=%ld probe_failed=%ld\n", marked, count,
		    (double)(done_at - start) / 1e6, probed, pfail);
	else
		printf("listening=%ld/%u ms=timeout probed=0 probe_failed=0\n", marked, count);
	return done_at && !pfail ? 0 : 1;
}
