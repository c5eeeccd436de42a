/*
 * linktest probes that need no linktest peer (lt.h): TCP connect round
 * trips, ICMP echo through unprivileged ping sockets, and the route by UDP
 * probes with rising TTL whose ICMP answers come back through the socket's
 * error queue (IP_RECVERR / IPV6_RECVERR), so no raw socket is needed.
 */
#include "lt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* musl ships no <linux/errqueue.h>: the kernel's stable UAPI, written out. */
struct lt_ee {
	uint32_t ee_errno;
	uint8_t ee_origin, ee_type, ee_code, ee_pad;
	uint32_t ee_info, ee_data;
};
#define LT_EE_ORIGIN_ICMP 2
#define LT_EE_ORIGIN_ICMP6 3
#ifndef IP_RECVERR
#define IP_RECVERR 11
#endif
#ifndef IPV6_RECVERR
#define IPV6_RECVERR 25
#endif

static socklen_t
sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void
sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static uint16_t
sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
sa_host(const struct sockaddr *sa, char *buf, size_t size)
{
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, (socklen_t)size);
	else
		snprintf(buf, size, "?");
}

int
lt_connect_rtt(const struct sockaddr_storage *dst, int timeout_ms, double *ms)
{
	int fd, rc = -1, e = 0;
	int64_t t0;
	struct pollfd p;
	socklen_t el = sizeof(e);

	fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	t0 = lt_now_ns();
	if (connect(fd, (const struct sockaddr *)dst, sa_len(dst)) < 0 && errno != EINPROGRESS)
		goto out;
	p.fd = fd;
	p.events = POLLOUT;
	for (;;) {
		int64_t left = timeout_ms - (lt_now_ns() - t0) / 1000000;
		int n;
		if (left <= 0) {
			errno = ETIMEDOUT;
			goto out;
		}
		n = poll(&p, 1, (int)left);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			goto out;
	}
	*ms = (double)(lt_now_ns() - t0) / 1e6;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		goto out;
	if (e) {
		errno = e;
		goto out;
	}
	{
		/* The kernel timed SYN to SYN-ACK itself: that figure does not
		 * include how late this process was woken on a busy machine. */
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_rtt > 0 &&
		    ti.tcpi_rtt / 1000.0 <= *ms)
			*ms = ti.tcpi_rtt / 1000.0;
	}
	rc = 0;
out:
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
lt_icmp_open(int family, char *err)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	int one = 1;

	if (fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			snprintf(err, ERRLEN, "unprivileged ICMP echo is not allowed: set "
			    "net.ipv4.ping_group_range to include group %u", (unsigned)getgid());
		else
			snprintf(err, ERRLEN, "cannot open a ping socket: %s", strerror(e));
		errno = e;
		return -1;
	}
	/* arrival stamped by the kernel (CLOCK_REALTIME): no wake-up delay in the figure */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	return fd;
}

int
lt_icmp_echo(int fd, const struct sockaddr_storage *dst, uint16_t seq, int timeout_ms, double *ms)
{
	unsigned char pkt[64], in[1500];
	int v6 = dst->ss_family == AF_INET6;
	int64_t t0, rt0;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = v6 ? 128 : 8;          /* echo request; the kernel sets id and checksum */
	pkt[6] = (unsigned char)(seq >> 8);
	pkt[7] = (unsigned char)seq;
	memcpy(pkt + 8, "xwpf-linktest", 13);
	t0 = lt_now_ns();
	rt0 = real_ns();
	if (sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)dst, sa_len(dst)) < 0)
		return -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = timeout_ms - (lt_now_ns() - t0) / 1000000;
		union {
			char buf[256];
			struct cmsghdr align;
		} c;
		struct iovec iov = { in, sizeof(in) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
		struct cmsghdr *cm;
		ssize_t n;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		if (n >= 8 && in[0] == (v6 ? 129 : 0) && in[6] == pkt[6] && in[7] == pkt[7]) {
			*ms = (double)(lt_now_ns() - t0) / 1e6;
			for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
					struct timespec ts;
					double k;
					memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
					k = (double)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - rt0) / 1e6;
					if (k > 0 && k <= *ms)   /* the wall clock did not jump */
						*ms = k;
				}
			return 0;
		}
	}
}

/* ---- route ---- */

struct probe {
	int64_t sent_ns;
	int answered;
};

/* Read every queued answer; fill hop h (ttl's probes are ports base..base+n-1). */
static void
route_drain(int fd, uint16_t base, int nprobes, struct probe *pr, struct lt_hop *h)
{
	for (;;) {
		struct sockaddr_storage orig;
		unsigned char data[64];
		union {
			char buf[512];
			struct cmsghdr align;
		} c;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_name = &orig, .msg_namelen = sizeof(orig), .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
		struct cmsghdr *cm;
		struct lt_ee *ee = NULL;
		ssize_t n;
		int idx, errq = 1;
		int64_t now;

		n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0) {   /* no error queued: an answer from a UDP service on that port? */
			errq = 0;
			m.msg_controllen = 0;
			m.msg_namelen = sizeof(orig);
			n = recvmsg(fd, &m, MSG_DONTWAIT);
			if (n < 0)
				return;
		}
		now = lt_now_ns();
		if (errq) {
			for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
				if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
				    (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR))
					ee = (struct lt_ee *)(void *)CMSG_DATA(cm);
			if (!ee || (ee->ee_origin != LT_EE_ORIGIN_ICMP && ee->ee_origin != LT_EE_ORIGIN_ICMP6))
				continue;
		}
		/* errors name the probe's destination; a reply comes from it */
		idx = (int)sa_port(&orig) - base;
		if (idx < 0 || idx >= nprobes || pr[idx].answered)
			continue;   /* late answer to an earlier hop */
		pr[idx].answered = 1;
		{
			double ms = (double)(now - pr[idx].sent_ns) / 1e6;
			if (h->answered == 0 || ms < h->rtt_min)
				h->rtt_min = ms;
			h->rtt_avg = (h->rtt_avg * h->answered + ms) / (h->answered + 1);
			h->answered++;
		}
		if (!errq) {
			sa_host((struct sockaddr *)&orig, h->addr, sizeof(h->addr));
			h->reached = 1;
			continue;
		}
		if (!*h->addr) {
			const struct sockaddr *off = (const struct sockaddr *)(const void *)(ee + 1);  /* SO_EE_OFFENDER */
			sa_host(off, h->addr, sizeof(h->addr));
		}
		if (ee->ee_origin == LT_EE_ORIGIN_ICMP) {
			if (ee->ee_type == 3 && ee->ee_code == 3)
				h->reached = 1;
			else if (ee->ee_type == 3)
				h->unreachable = 1;
		} else {
			if (ee->ee_type == 1 && ee->ee_code == 4)
				h->reached = 1;
			else if (ee->ee_type == 1)
				h->unreachable = 1;
		}
	}
}

/* An earlier answer leaves its error pending on the socket, and sendto would
 * report it instead of sending: clear it first, and retry when it raced. */
static int
send_probe(int fd, const void *buf, size_t len, const struct sockaddr_storage *to, int64_t *sent_ns)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		int e;
		socklen_t el = sizeof(e);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
		*sent_ns = lt_now_ns();
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sa_len(to)) >= 0)
			return 0;
		if (errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH && errno != EINTR)
			return -1;
	}
	return 0;   /* the answers keep coming: this probe is simply unanswered */
}

int
lt_route(const struct sockaddr_storage *dst, int max_hops, int nprobes, int timeout_ms,
    struct lt_hop *hops, int *nhops, void (*progress)(int ttl, void *arg), void *arg, char *err)
{
	struct sockaddr_storage to = *dst;
	struct probe pr[8];
	int fd, one = 1, ttl, rc = -1, silent = 0;
	int v6 = dst->ss_family == AF_INET6;
	unsigned char payload[32];

	*nhops = 0;
	if (max_hops > LT_MAX_HOPS)
		max_hops = LT_MAX_HOPS;
	if (nprobes < 1 || nprobes > 8)
		nprobes = 3;
	fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, ERRLEN, "cannot open a UDP socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &one, sizeof(one)) < 0) {
		snprintf(err, ERRLEN, "cannot ask for ICMP errors (IP_RECVERR): %s", strerror(errno));
		goto out;
	}
	memset(payload, 0, sizeof(payload));
	memcpy(payload, "xwpf-linktest route", 19);
	for (ttl = 1; ttl <= max_hops; ttl++) {
		struct lt_hop *h = &hops[ttl - 1];
		uint16_t base = (uint16_t)(LT_TRACE_PORT + (ttl - 1) * nprobes);
		int64_t deadline;
		int p, t = ttl;

		memset(h, 0, sizeof(*h));
		h->ttl = ttl;
		h->probes = nprobes;
		if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, &t, sizeof(t)) < 0) {
			snprintf(err, ERRLEN, "cannot set the TTL: %s", strerror(errno));
			goto out;
		}
		for (p = 0; p < nprobes; p++) {
			sa_set_port(&to, (uint16_t)(base + p));
			pr[p].answered = 0;
			if (send_probe(fd, payload, sizeof(payload), &to, &pr[p].sent_ns) < 0) {
				snprintf(err, ERRLEN, "cannot send a route probe to %s: %s", "the target", strerror(errno));
				goto out;
			}
		}
		deadline = lt_now_ns() + (int64_t)timeout_ms * 1000000;
		while (h->answered < nprobes) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			int64_t left = (deadline - lt_now_ns()) / 1000000;
			if (left <= 0)
				break;
			if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
				break;
			route_drain(fd, base, nprobes, pr, h);
		}
		*nhops = ttl;
		if (progress)
			progress(ttl, arg);
		if (h->reached || h->unreachable)
			break;
		silent = h->answered ? 0 : silent + 1;
		if (silent >= 5)   /* five silent hops in a row: the rest is filtered */
			break;
	}
	lt_route_detours(hops, *nhops);
	rc = 0;
out:
	close(fd);
	return rc;
}

void
lt_route_detours(struct lt_hop *hops, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		hops[i].detour = 0;
	for (i = 1; i < n; i++) {
		double base = -1, jump;
		if (!hops[i].answered)
			continue;
		for (j = 0; j < i; j++)
			if (hops[j].answered && (base < 0 || hops[j].rtt_min < base))
				base = hops[j].rtt_min;
		if (base < 0)
			continue;
		jump = hops[i].rtt_min - base;
		if (jump < 5.0 || jump < 0.3 * base)
			continue;
		for (j = i + 1; j < n; j++)
			if (hops[j].answered && hops[j].rtt_min <= hops[i].rtt_min - jump / 2) {
				hops[i].detour = 1;
				break;
			}
	}
}
