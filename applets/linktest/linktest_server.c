/*
 * linktest server: safe to leave open.
 *
 * One TCP listener and one UDP socket on the same port. Every accepted
 * connection gets a short-lived thread and a place among the pending
 * connections (at most PENDING_MAX, PENDING_PER_IP from one address, an
 * IPv6 address counted by its /64), which it keeps until it authenticated
 * (a control connection) or named its session (a data connection), within
 * PREAUTH_MS of its accept whatever it sends. A full table makes room by
 * closing the oldest pending connection of the address holding the most.
 * Only an authenticated control connection becomes a session (at most
 * max_clients at once). The main thread reads the UDP socket and credits
 * datagrams to sessions by token and source IP. A session only ever sends
 * what its authenticated client asked for, within the limits (time,
 * streams, rate, and the traffic budgets per client address and in all);
 * UDP goes only to an address whose IP is the control connection's peer,
 * and only after that address sent a datagram with the session's token.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "applet.h"
#include "linktest.h"
#include "lt.h"
#include "net.h"
#include "util.h"

#define PREAUTH_MS 3000        /* accept to AUTH (or a data connection's line), absolute */
#define IDLE_MS 60000          /* between commands */
#define SESSION_MS 600000      /* a whole session */
#define PENDING_MAX 128        /* connections not yet authenticated */
#define PENDING_PER_IP 8       /* of them from one address (IPv6: one /64) */
#define GRACE_MS 15000         /* after a phase's time, for queues to drain */
#define CHUNK (128 * 1024)

/* A connection that has not authenticated yet. */
struct pending {
	int fd;                     /* -1: free */
	struct linktest_ipkey key;
	int64_t since_ms;
};

struct session {
	uint8_t token[LT_TOKEN];
	int ctl;
	struct sockaddr_storage peer;       /* control peer, as accepted */
	struct linktest_ipkey key;
	char peer_str[80];
	uint64_t lease;                     /* bytes taken from the budgets, not yet moved */
	int over;                           /* a phase stopped: the budget is used up */
	/* TCP phase: data connections accepted while want > 0 */
	int want, ndata;
	int data[LINKTEST_STREAMS_CAP];
	/* UDP */
	int udp_up;
	struct lt_udp_rx rx;
	int udp_peer_ok;
	struct sockaddr_storage udp_peer;
	uint64_t udp_src[8];                /* cmsg: our address the hello went to, the download's source */
	size_t udp_src_len;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* CLOCK_MONOTONIC */
	struct session *sess[LINKTEST_CLIENTS_CAP];
	int nsess;
	struct pending pend[PENDING_MAX];
	int udp;
	struct linktest_server_opts o;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
slog(const char *fmt, ...)
{
	char line[600];
	time_t t;
	struct tm tm;
	va_list ap;

	if (S.o.quiet)
		return;
	t = time(NULL);
	localtime_r(&t, &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%02d:%02d:%02d %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, applet_name, line);
}

/* Same IP (ports ignored, v4-mapped v6 equals v4). */
static int
same_ip(const struct sockaddr_storage *a0, const struct sockaddr_storage *b0)
{
	struct sockaddr_storage a = *a0, b = *b0;

	net_addr_unmap(&a);
	net_addr_unmap(&b);
	if (a.ss_family != b.ss_family)
		return 0;
	if (a.ss_family == AF_INET)
		return ((struct sockaddr_in *)&a)->sin_addr.s_addr == ((struct sockaddr_in *)&b)->sin_addr.s_addr;
	return memcmp(&((struct sockaddr_in6 *)&a)->sin6_addr, &((struct sockaddr_in6 *)&b)->sin6_addr, 16) == 0;
}

static void
ip_str(const struct sockaddr_storage *ss0, char *buf, size_t size)
{
	struct sockaddr_storage ss = *ss0;

	net_addr_unmap(&ss);
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)size);
}

/* Caller holds the lock. */
static struct session *
find_session(const uint8_t *token)
{
	int i;

	for (i = 0; i < S.nsess; i++)
		if (memcmp(S.sess[i]->token, token, LT_TOKEN) == 0)
			return S.sess[i];
	return NULL;
}

static int64_t
cond_wait_ms(int64_t deadline_ms)
{
	struct timespec ts;
	int64_t left = deadline_ms - now_ms();

	if (left <= 0)
		return 0;
	if (left > 200)
		left = 200;
	ts = clock_after_ms(CLOCK_MONOTONIC, left);   /* S.cond waits on that clock */
	pthread_cond_timedwait(&S.cond, &S.lock, &ts);
	return deadline_ms - now_ms();
}

/* ---- pending connections (the caller holds the lock) ---- */

/* Data connections the sessions of this address wait for. */
static int
key_wanted(const struct linktest_ipkey *k)
{
	int i, n = 0;

	for (i = 0; i < S.nsess; i++)
		if (linktest_ipkey_eq(&S.sess[i]->key, k))
			n += S.sess[i]->want;
	return n;
}

/* A place for a new connection: 0, or -1 when its address holds its share
 * already. A full table closes the oldest pending connection of the address
 * that holds the most (its thread sees the end, and closes it). */
static int
pend_add(int fd, const struct linktest_ipkey *k, int64_t now)
{
	int i, j, mine = 0, slot = -1, most = 0;

	for (i = 0; i < PENDING_MAX; i++) {
		if (S.pend[i].fd < 0)
			slot = slot < 0 ? i : slot;
		else if (linktest_ipkey_eq(&S.pend[i].key, k))
			mine++;
	}
	if (mine >= PENDING_PER_IP + key_wanted(k))
		return -1;
	if (slot < 0) {   /* full: every place is taken */
		for (i = 0; i < PENDING_MAX; i++) {
			int n = 0;
			for (j = 0; j < PENDING_MAX; j++)
				n += linktest_ipkey_eq(&S.pend[i].key, &S.pend[j].key);
			if (n > most || (n == most && S.pend[i].since_ms < S.pend[slot].since_ms)) {
				most = n;
				slot = i;
			}
		}
		shutdown(S.pend[slot].fd, SHUT_RDWR);
	}
	S.pend[slot].fd = fd;
	S.pend[slot].key = *k;
	S.pend[slot].since_ms = now;
	return 0;
}

/* When fd's time to authenticate ends; 0 when it lost its place. */
static int64_t
pend_deadline(int fd)
{
	int i;

	for (i = 0; i < PENDING_MAX; i++)
		if (S.pend[i].fd == fd)
			return S.pend[i].since_ms + PREAUTH_MS;
	return 0;
}

/* fd leaves the pending connections (before it is closed or kept):
 * 1, or 0 when it lost its place to a newer connection. */
static int
pend_done(int fd)
{
	int i;

	for (i = 0; i < PENDING_MAX; i++)
		if (S.pend[i].fd == fd) {
			S.pend[i].fd = -1;
			return 1;
		}
	return 0;
}

/* ---- traffic budgets: what the test phases move, both ways ---- */

/* The session moves n bytes: 0, or -1 when its budgets do not have them
 * (sets s->over). arrived: the bytes came already, and are counted anyway. */
static int
budget_take(struct session *s, uint64_t n, int arrived)
{
	uint64_t need, avail, grant;
	int64_t now;

	if (!linktest_budget_on())
		return 0;
	if (s->lease >= n) {
		s->lease -= n;
		return 0;
	}
	need = n - s->lease;
	now = now_ms();
	pthread_mutex_lock(&S.lock);
	avail = linktest_budget_avail(&s->key, now);
	if (avail < need) {
		if (arrived) {
			linktest_budget_spend(&s->key, (double)need, now);
			s->lease = 0;
		}
		pthread_mutex_unlock(&S.lock);
		s->over = 1;
		return -1;
	}
	grant = avail - need < linktest_budget_lease_chunk() ? avail : need + linktest_budget_lease_chunk();
	linktest_budget_spend(&s->key, (double)grant, now);
	pthread_mutex_unlock(&S.lock);
	s->lease = s->lease + grant - n;
	return 0;
}

/* n bytes taken and not moved stay with the session. */
static void
budget_unused(struct session *s, uint64_t n)
{
	if (linktest_budget_on())
		s->lease += n;
}

/* A phase ended: what it took and did not move goes back. */
static void
budget_refund(struct session *s)
{
	if (!s->lease)
		return;
	pthread_mutex_lock(&S.lock);
	linktest_budget_spend(&s->key, -(double)s->lease, now_ms());
	pthread_mutex_unlock(&S.lock);
	s->lease = 0;
}

/* Before a phase: 0, or -1 (and the client told) when a budget is used up. */
static int
phase_budget(struct session *s, int *rc)
{
	char msg[LT_LINE - 8];
	int over;

	s->over = 0;
	if (!linktest_budget_on())
		return 0;
	pthread_mutex_lock(&S.lock);
	over = linktest_budget_used_up(&s->key, msg, sizeof(msg));
	pthread_mutex_unlock(&S.lock);
	if (!over)
		return 0;
	slog("%s: refused, %s", s->peer_str, msg);
	*rc = lt_send_line(s->ctl, "ERR %s", msg);
	return -1;
}

/* After a phase a budget stopped: the client is told instead of a result. */
static int
phase_over(struct session *s)
{
	char msg[LT_LINE - 8];

	budget_refund(s);
	pthread_mutex_lock(&S.lock);
	if (!linktest_budget_used_up(&s->key, msg, sizeof(msg)))
		snprintf(msg, sizeof(msg), "budget: the traffic budget ran out during this test");
	pthread_mutex_unlock(&S.lock);
	slog("%s: stopped, %s", s->peer_str, msg);
	return lt_send_line(s->ctl, "ERR %s", msg);
}

/* ---- UDP, shared with the client ---- */

uint64_t
linktest_udp_blast(int fd, const struct sockaddr_storage *dst, const void *cmsg, size_t cmsglen,
    const uint8_t *token, uint64_t rate, int size, int time_ms, uint64_t *bytes,
    int (*tick)(uint64_t, int64_t, void *), void *arg)
{
	unsigned char buf[LT_UDP_MAX];
	struct lt_udp_hdr h = { .kind = LT_UDP_DATA };
	int64_t t0 = lt_now_ns(), end = t0 + (int64_t)time_ms * 1000000, next_tick = t0;
	double interval = (double)size * 8 * 1e9 / (double)rate;   /* ns per datagram */
	socklen_t dlen = 0;
	uint64_t sent = 0;

	if (dst)
		dlen = dst->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	memset(buf, 0, sizeof(buf));
	memcpy(h.token, token, LT_TOKEN);
	*bytes = 0;
	for (;;) {
		int64_t now = lt_now_ns(), due;
		ssize_t n;

		if (now >= end)
			break;
		if (tick && now >= next_tick) {
			if (tick(*bytes, (now - t0) / 1000000, arg))
				break;
			next_tick = now + 100000000;
		}
		due = t0 + (int64_t)(interval * (double)sent);
		if (now < due) {
			struct timespec ts;
			if (due > end)
				due = end;
			ts.tv_sec = due / 1000000000;
			ts.tv_nsec = due % 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		h.seq = sent;
		h.send_ns = lt_now_ns();
		lt_udp_put(buf, &h);
		if (dst) {
			struct iovec iov = { buf, (size_t)size };
			struct msghdr m = { .msg_name = (void *)(uintptr_t)dst, .msg_namelen = dlen, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = (void *)(uintptr_t)cmsg, .msg_controllen = cmsg ? cmsglen : 0 };

			n = sendmsg(fd, &m, 0);
		} else
			n = send(fd, buf, (size_t)size, 0);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue;   /* not sent: the sequence number is reused */
			break;
		}
		sent++;
		*bytes += (uint64_t)n;
	}
	if (tick)
		tick(*bytes, time_ms, arg);
	return sent;
}

/* The local address a datagram was sent to, as a cmsg that makes our answers
 * leave from it (a multi-homed server listening on [::] must not answer from
 * another address: the client's connected socket would drop it). */
static size_t
answer_src(struct msghdr *m, void *out, size_t size)
{
	struct cmsghdr *cm;
	struct msghdr o = { 0 };
	struct cmsghdr *w;

	o.msg_control = out;
	o.msg_controllen = size;
	w = CMSG_FIRSTHDR(&o);
	for (cm = CMSG_FIRSTHDR(m); cm && w; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    size >= CMSG_SPACE(sizeof(struct in_pktinfo))) {
			struct in_pktinfo in, ans = { 0 };
			memcpy(&in, CMSG_DATA(cm), sizeof(in));
			ans.ipi_spec_dst = in.ipi_addr;
			w->cmsg_level = IPPROTO_IP;
			w->cmsg_type = IP_PKTINFO;
			w->cmsg_len = CMSG_LEN(sizeof(ans));
			memcpy(CMSG_DATA(w), &ans, sizeof(ans));
			return CMSG_SPACE(sizeof(ans));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
		    size >= CMSG_SPACE(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo in6;
			memcpy(&in6, CMSG_DATA(cm), sizeof(in6));
			if (!IN6_IS_ADDR_LINKLOCAL(&in6.ipi6_addr))
				in6.ipi6_ifindex = 0;
			w->cmsg_level = IPPROTO_IPV6;
			w->cmsg_type = IPV6_PKTINFO;
			w->cmsg_len = CMSG_LEN(sizeof(in6));
			memcpy(CMSG_DATA(w), &in6, sizeof(in6));
			return CMSG_SPACE(sizeof(in6));
		}
	}
	return 0;
}

static void
udp_input(const unsigned char *buf, size_t n, const struct sockaddr_storage *from, struct msghdr *m, int64_t now)
{
	struct lt_udp_hdr h;
	struct session *s;

	if (lt_udp_get(buf, n, &h) < 0)
		return;
	pthread_mutex_lock(&S.lock);
	s = find_session(h.token);
	if (s && h.kind == LT_UDP_HELLO && same_ip(from, &s->peer) && !s->udp_peer_ok) {
		s->udp_peer = *from;
		s->udp_src_len = answer_src(m, s->udp_src, sizeof(s->udp_src));
		s->udp_peer_ok = 1;
		pthread_cond_broadcast(&S.cond);
	} else if (s && h.kind == LT_UDP_DATA && s->udp_up && same_ip(from, &s->peer))
		lt_udp_rx_add(&s->rx, h.seq, h.send_ns, now, n);   /* any port: NAT may map it anew */
	pthread_mutex_unlock(&S.lock);
}

struct blast {
	struct session *s;
	uint64_t charged, tick_bytes;    /* bytes counted; bytes of 100 ms at the rate */
};

/* Every 100 ms of a UDP download: stop when the client closed its control
 * connection (it went away) or the budget does not cover what was sent;
 * the next 100 ms are taken from the budget ahead when it has them. */
static int
blast_tick(uint64_t bytes, int64_t ms, void *arg)
{
	struct blast *b = arg;
	struct pollfd p = { .fd = b->s->ctl, .events = POLLIN };
	char c;

	if (budget_take(b->s, bytes - b->charged, 1) < 0)
		return 1;
	b->charged = bytes;
	if (budget_take(b->s, b->tick_bytes, 0) == 0)
		budget_unused(b->s, b->tick_bytes);
	b->s->over = 0;   /* only what was sent decides */
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLERR))
		return 1;
	return recv(b->s->ctl, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* ---- TCP phases ---- */

/* Read every stream to EOF (or the deadline, or the end of the budget). */
static void
tcp_sink(struct session *s, int *fds, int n, int64_t deadline_ms, struct lt_tcp_rx *rx)
{
	unsigned char *buf = malloc(CHUNK);
	struct pollfd p[LINKTEST_STREAMS_CAP];
	int i, open = n;

	if (!buf)
		return;
	for (i = 0; i < n; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
	}
	while (open > 0 && now_ms() < deadline_ms) {
		if (poll(p, (nfds_t)n, 200) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t r;
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			r = recv(p[i].fd, buf, CHUNK, MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r > 0) {
				lt_tcp_rx_read(rx, fds, n, (size_t)r, lt_now_ns());
				if (budget_take(s, (uint64_t)r, 1) < 0)
					open = 0;
				continue;
			}
			lt_tcp_rx_eof(rx, fds[i], lt_now_ns());
			p[i].fd = -1;
			open--;
		}
	}
	free(buf);
}

/* Send on every stream for time_ms (or until the budget ends), then FIN;
 * bytes and retransmits. */
static void
tcp_source(struct session *s, int *fds, int n, int time_ms, uint64_t *bytes, uint64_t *retrans)
{
	unsigned char *buf = calloc(1, CHUNK);
	struct pollfd p[LINKTEST_STREAMS_CAP];
	int64_t end = now_ms() + time_ms;
	int i, alive;

	*bytes = *retrans = 0;
	if (!buf)
		return;
	for (i = 0; i < CHUNK; i++)
		buf[i] = (unsigned char)(i * 7);
	for (i = 0; i < n; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLOUT;
	}
	for (alive = n; alive > 0 && !s->over;) {
		int64_t left = end - now_ms();
		if (left <= 0)
			break;
		if (poll(p, (nfds_t)n, (int)(left < 200 ? left : 200)) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t w;
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (budget_take(s, CHUNK, 0) < 0)
				break;
			w = send(p[i].fd, buf, CHUNK, MSG_DONTWAIT | MSG_NOSIGNAL);
			budget_unused(s, CHUNK - (w > 0 ? (uint64_t)w : 0));
			if (w > 0)
				*bytes += (uint64_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				p[i].fd = -1;   /* the client went away */
				alive--;
			}
		}
	}
	for (i = 0; i < n; i++) {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
			*retrans += ti.tcpi_total_retrans;
		shutdown(fds[i], SHUT_WR);
	}
	free(buf);
}

static int
cmd_tcp(struct session *s, const char *line)
{
	char dir[8];
	long long n, t;
	int i, rc = 0;
	int64_t deadline;
	uint64_t bytes, retrans;

	if (lt_field(line, "dir", dir, sizeof(dir)) < 0 || (strcmp(dir, "up") && strcmp(dir, "down")) ||
	    lt_field_num(line, "streams", 1, S.o.max_streams, &n) < 0 ||
	    lt_field_num(line, "time", 100, (long long)S.o.max_time_s * 1000, &t) < 0)
		return lt_send_line(s->ctl, "ERR limits: streams 1..%d, time 100..%d ms, dir up|down",
		    S.o.max_streams, S.o.max_time_s * 1000);
	if (phase_budget(s, &rc) < 0)
		return rc;
	pthread_mutex_lock(&S.lock);
	for (i = 0; i < LINKTEST_STREAMS_CAP; i++)
		s->data[i] = -1;
	s->ndata = 0;
	s->want = (int)n;
	pthread_mutex_unlock(&S.lock);
	if (lt_send_line(s->ctl, "READY") < 0)
		rc = -1;
	deadline = now_ms() + 10000;
	pthread_mutex_lock(&S.lock);
	while (rc == 0 && s->ndata < s->want && cond_wait_ms(deadline) > 0)
		;
	i = s->ndata;
	s->want = 0;
	pthread_mutex_unlock(&S.lock);
	if (rc < 0)
		goto out;
	if (i < n) {
		rc = lt_send_line(s->ctl, "ERR only %d of %lld test connections arrived within 10 s", i, n);
		goto out;
	}
	slog("%s: TCP %s, %lld stream%s, %lld ms", s->peer_str, dir, n, n > 1 ? "s" : "", t);
	if (lt_send_line(s->ctl, "GO") < 0) {
		rc = -1;
		goto out;
	}
	if (strcmp(dir, "up") == 0) {
		struct lt_tcp_rx rx;
		uint64_t sbytes;
		int64_t sus;

		lt_tcp_rx_init(&rx, (long)t);
		tcp_sink(s, s->data, (int)n, now_ms() + t + GRACE_MS, &rx);
		lt_tcp_rx_steady(&rx, &sbytes, &sus);
		if (s->over)
			rc = phase_over(s);
		else
			rc = lt_send_line(s->ctl, "RESULT bytes=%llu us=%lld sbytes=%llu sus=%lld",
			    (unsigned long long)rx.bytes, (long long)lt_tcp_rx_us(&rx), (unsigned long long)sbytes,
			    (long long)sus);
	} else {
		struct lt_tcp_rx junk;

		lt_tcp_rx_init(&junk, 0);
		tcp_source(s, s->data, (int)n, (int)t, &bytes, &retrans);
		tcp_sink(s, s->data, (int)n, now_ms() + GRACE_MS, &junk);   /* the client's FINs */
		if (s->over)
			rc = phase_over(s);
		else
			rc = lt_send_line(s->ctl, "RESULT bytes=%llu retrans=%llu", (unsigned long long)bytes,
			    (unsigned long long)retrans);
	}
out:
	budget_refund(s);
	pthread_mutex_lock(&S.lock);
	for (i = 0; i < LINKTEST_STREAMS_CAP; i++)
		if (s->data[i] >= 0) {
			close(s->data[i]);
			s->data[i] = -1;
		}
	s->ndata = 0;
	pthread_mutex_unlock(&S.lock);
	return rc;
}

/* A UDP upload until the client's DONE: the budget counts what arrives, and
 * when it runs out the client is told at once (it stops sending). 0 when
 * the client was told, -1 when the control connection failed. */
static int
udp_up_wait(struct session *s, long long t)
{
	char l[LT_LINE];
	int64_t end = now_ms() + t + GRACE_MS;
	uint64_t charged = 0, got;
	long long sent;
	struct lt_udp_rx rx;
	int r = 0;

	while (r == 0) {
		struct pollfd p = { .fd = s->ctl, .events = POLLIN };
		int64_t left = end - now_ms();
		if (left <= 0)
			return -1;
		r = poll(&p, 1, (int)(left < 100 ? left : 100));
		if (r < 0 && errno != EINTR)
			return -1;
		r = r > 0;
		pthread_mutex_lock(&S.lock);
		got = s->rx.bytes;
		pthread_mutex_unlock(&S.lock);
		if (got > charged && !s->over && budget_take(s, got - charged, 1) < 0) {
			pthread_mutex_lock(&S.lock);
			s->udp_up = 0;
			pthread_mutex_unlock(&S.lock);
			if (phase_over(s) < 0)
				return -1;
		}
		charged = got;
	}
	if (lt_recv_line(s->ctl, l, sizeof(l), end) < 0 || strncmp(l, "DONE", 4) != 0 ||
	    lt_field_num(l, "sent", 0, (1LL << 40), &sent) < 0)
		return -1;
	pthread_mutex_lock(&S.lock);
	s->udp_up = 0;
	rx = s->rx;
	pthread_mutex_unlock(&S.lock);
	if (s->over)
		return 0;   /* answered already */
	if (rx.bytes > charged)
		budget_take(s, rx.bytes - charged, 1);
	return lt_send_line(s->ctl, "RESULT packets=%llu bytes=%llu ooo=%llu jitter_us=%lld us=%lld",
	    (unsigned long long)rx.packets, (unsigned long long)rx.bytes, (unsigned long long)rx.ooo,
	    (long long)(rx.jitter_ns / 1000), (long long)((rx.last_ns - rx.first_ns) / 1000));
}

static int
cmd_udp(struct session *s, const char *line)
{
	char dir[8];
	long long rate, t, size;
	int64_t deadline;
	int rc = 0;

	if (lt_field(line, "dir", dir, sizeof(dir)) < 0 || (strcmp(dir, "up") && strcmp(dir, "down")) ||
	    lt_field_num(line, "rate", 1000, (long long)S.o.max_rate, &rate) < 0 ||
	    lt_field_num(line, "time", 100, (long long)S.o.max_time_s * 1000, &t) < 0 ||
	    lt_field_num(line, "size", LT_UDP_MIN, LT_UDP_MAX, &size) < 0)
		return lt_send_line(s->ctl, "ERR limits: rate 1000..%llu bit/s, time 100..%d ms, size %d..%d, dir up|down",
		    (unsigned long long)S.o.max_rate, S.o.max_time_s * 1000, LT_UDP_MIN, LT_UDP_MAX);
	if (phase_budget(s, &rc) < 0)
		return rc;
	slog("%s: UDP %s, %.1f Mbit/s, %lld ms, %lld-byte datagrams", s->peer_str, dir, rate / 1e6, t, size);
	if (strcmp(dir, "up") == 0) {
		pthread_mutex_lock(&S.lock);
		memset(&s->rx, 0, sizeof(s->rx));
		s->udp_up = 1;
		pthread_mutex_unlock(&S.lock);
		rc = lt_send_line(s->ctl, "READY") < 0 ? -1 : udp_up_wait(s, t);
		pthread_mutex_lock(&S.lock);
		s->udp_up = 0;
		pthread_mutex_unlock(&S.lock);
		budget_refund(s);
		return rc;
	} else {
		struct sockaddr_storage to;
		struct blast b = { s, 0, (uint64_t)rate / 80 + LT_UDP_MAX };
		uint64_t bytes, n;
		int ok;
		uint64_t src[8];   /* aligned for cmsghdr */
		size_t srclen;

		if (lt_send_line(s->ctl, "READY") < 0)
			return -1;
		deadline = now_ms() + 5000;
		pthread_mutex_lock(&S.lock);
		while (!s->udp_peer_ok && cond_wait_ms(deadline) > 0)
			;
		ok = s->udp_peer_ok;
		to = s->udp_peer;
		srclen = s->udp_src_len;
		memcpy(src, s->udp_src, sizeof(src));
		pthread_mutex_unlock(&S.lock);
		if (!ok)
			return lt_send_line(s->ctl, "ERR no UDP datagram from %s reached the server within 5 s: "
			    "is UDP blocked, or does a relay on the way forward only TCP?", s->peer_str);
		if (lt_send_line(s->ctl, "GO") < 0)
			return -1;
		n = linktest_udp_blast(S.udp, &to, srclen ? (const void *)src : NULL, srclen, s->token, (uint64_t)rate,
		    (int)size, (int)t, &bytes, blast_tick, &b);
		if (s->over)
			return phase_over(s);
		budget_refund(s);
		return lt_send_line(s->ctl, "RESULT sent=%llu bytes=%llu", (unsigned long long)n,
		    (unsigned long long)bytes);
	}
}

/* ---- sessions ---- */

/* A client that starts again the moment its last session ended (BYE, then
 * a new connection) can come before that session's thread has left its
 * place: a full server waits up to this long for a place before it says busy. */
#define PLACE_WAIT_MS 1000

/* Are all places taken, after waiting up to ms for one to free? */
static int
full_after(int ms)
{
	int64_t end = now_ms() + ms;
	int full;

	for (;;) {
		pthread_mutex_lock(&S.lock);
		full = S.nsess >= S.o.max_clients;
		pthread_mutex_unlock(&S.lock);
		if (!full || now_ms() >= end)
			return full;
		nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
	}
}

/* A control connection: greeting and AUTH within the pending connection's
 * deadline; only then a session, when there is room and budget. */
static void
session_run(int fd, int64_t auth_by)
{
	struct session *s = NULL;
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	char line[LT_LINE], snonce[2 * LT_NONCE + 1], cnonce[2 * LT_NONCE + 8], mac[LT_MACHEX + 8];
	char want[LT_MACHEX], token[2 * LT_TOKEN + 1], ip[64], msg[LT_LINE - 8];
	unsigned char raw[LT_NONCE];
	const char *key = S.o.key ? S.o.key : "";
	int64_t session_end = now_ms() + SESSION_MS;
	int i, busy, why;

	if (!(s = calloc(1, sizeof(*s))) || lt_random(s->token, LT_TOKEN) < 0 || lt_random(raw, LT_NONCE) < 0) {
		lt_send_line(fd, "XWLT 1 err the server is out of memory or randomness");
		free(s);
		pthread_mutex_lock(&S.lock);
		pend_done(fd);
		pthread_mutex_unlock(&S.lock);
		close(fd);
		return;
	}
	s->ctl = fd;
	for (i = 0; i < LINKTEST_STREAMS_CAP; i++)
		s->data[i] = -1;
	sl = sizeof(s->peer);
	getpeername(fd, (struct sockaddr *)&s->peer, &sl);
	linktest_ipkey_of(&s->peer, &s->key);
	ip_str(&s->peer, ip, sizeof(ip));
	net_addr_str(&s->peer, s->peer_str, sizeof(s->peer_str));
	busy = full_after(PLACE_WAIT_MS);
	if (busy) {
		slog("%s: refused, already %d clients (--max-clients)", s->peer_str, S.o.max_clients);
		lt_send_line(fd, "XWLT 1 busy the server already serves %d clients: try again later", S.o.max_clients);
		goto pre;
	}
	lt_hex(snonce, raw, LT_NONCE);
	if (lt_send_line(fd, "XWLT 1 ok nonce=%s key=%d maxtime=%d maxstreams=%d maxrate=%llu", snonce, *key != 0,
	    S.o.max_time_s, S.o.max_streams, (unsigned long long)S.o.max_rate) < 0)
		goto pre;
	if (lt_recv_line(fd, line, sizeof(line), auth_by) < 0 || strncmp(line, "AUTH ", 5) != 0 ||
	    lt_field(line, "cnonce", cnonce, sizeof(cnonce)) < 0 || strlen(cnonce) != 2 * LT_NONCE ||
	    lt_unhex(raw, LT_NONCE, cnonce) < 0 || lt_field(line, "mac", mac, sizeof(mac)) < 0)
		goto pre;
	lt_mac(want, key, "client", snonce, cnonce);
	if (*key && !lt_mac_eq(want, mac)) {
		slog("%s: refused, wrong key", s->peer_str);
		lt_send_line(fd, "ERR the shared key does not match: give the client the server's key (--key)");
		goto pre;
	}
	/* authenticated: a session, if its place was kept and there is room and budget */
	pthread_mutex_lock(&S.lock);
	why = !pend_done(fd) ? 1 : S.nsess >= S.o.max_clients ? 2 : linktest_budget_used_up(&s->key, msg, sizeof(msg)) ? 3 : 0;
	if (!why)
		S.sess[S.nsess++] = s;
	pthread_mutex_unlock(&S.lock);
	if (why == 2) {
		slog("%s: refused, already %d clients (--max-clients)", s->peer_str, S.o.max_clients);
		lt_send_line(fd, "ERR busy: the server already serves %d clients: try again later", S.o.max_clients);
	} else if (why == 3) {
		slog("%s: refused, %s", s->peer_str, msg);
		lt_send_line(fd, "ERR %s", msg);
	}
	if (why) {
		close(fd);
		free(s);
		return;
	}
	lt_mac(want, key, "server", cnonce, snonce);
	lt_hex(token, s->token, LT_TOKEN);
	if (lt_send_line(fd, "OK token=%s mac=%s peer=%s", token, want, ip) < 0)
		goto out;
	slog("%s: client connected", s->peer_str);
	for (;;) {
		int64_t deadline = now_ms() + IDLE_MS;
		if (deadline > session_end)
			deadline = session_end;
		if (lt_recv_line(fd, line, sizeof(line), deadline) < 0)
			break;
		if (strcmp(line, "INFO") == 0) {
			struct lt_sys sys;
			char buf[LT_LINE - 8];
			sl = sizeof(local);
			getsockname(fd, (struct sockaddr *)&local, &sl);
			lt_sys_get(&sys, &local);
			lt_sys_format(&sys, buf, sizeof(buf));
			if (lt_send_line(fd, "INFO %s", buf) < 0)
				break;
		} else if (strncmp(line, "ECHO ", 5) == 0 && strlen(line) < 64) {
			if (lt_send_line(fd, "%s", line) < 0)
				break;
		} else if (strncmp(line, "TCP ", 4) == 0) {
			if (cmd_tcp(s, line) < 0)
				break;
		} else if (strncmp(line, "UDP ", 4) == 0) {
			if (cmd_udp(s, line) < 0)
				break;
		} else if (strcmp(line, "BYE") == 0) {
			break;
		} else if (lt_send_line(fd, "ERR unknown command") < 0)
			break;
	}
	slog("%s: client gone", s->peer_str);
out:
	pthread_mutex_lock(&S.lock);
	for (i = 0; i < S.nsess; i++)
		if (S.sess[i] == s) {
			S.sess[i] = S.sess[--S.nsess];
			break;
		}
	pthread_mutex_unlock(&S.lock);
	close(fd);
	free(s);
	return;
pre:   /* not authenticated: never a session */
	pthread_mutex_lock(&S.lock);
	pend_done(fd);
	pthread_mutex_unlock(&S.lock);
	close(fd);
	free(s);
}

/* Hand a data connection to its session; closes it when nobody wants it. */
static void
data_conn(int fd, const char *line)
{
	char tok[2 * LT_TOKEN + 16], idx[16];
	uint8_t token[LT_TOKEN];
	struct session *s;
	long long i;

	if (sscanf(line, "XWLT 1 data %47s %15s", tok, idx) != 2 || lt_unhex(token, LT_TOKEN, tok) < 0)
		goto drop;
	{
		char *end;
		i = strtoll(idx, &end, 10);
		if (*end || i < 0 || i >= LINKTEST_STREAMS_CAP)
			goto drop;
	}
	pthread_mutex_lock(&S.lock);
	s = find_session(token);
	if (s && i < s->want && s->data[i] < 0 && pend_done(fd)) {
		s->data[i] = fd;
		s->ndata++;
		pthread_cond_broadcast(&S.cond);
		pthread_mutex_unlock(&S.lock);
		return;
	}
	pthread_mutex_unlock(&S.lock);
drop:
	pthread_mutex_lock(&S.lock);
	pend_done(fd);
	pthread_mutex_unlock(&S.lock);
	close(fd);
}

static void *
conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char line[LT_LINE];
	int ver;
	int64_t deadline;

	pthread_mutex_lock(&S.lock);
	deadline = pend_deadline(fd);
	pthread_mutex_unlock(&S.lock);
	if (lt_recv_line(fd, line, sizeof(line), deadline) < 0 || sscanf(line, "XWLT %d", &ver) != 1)
		goto drop;
	if (ver != LT_PROTO) {
		lt_send_line(fd, "XWLT 1 err this server speaks linktest protocol 1: run the same xwpf version on both ends");
		goto drop;
	}
	if (strcmp(line, "XWLT 1 control") == 0) {
		session_run(fd, deadline);
		return NULL;
	}
	if (strncmp(line, "XWLT 1 data ", 12) == 0) {
		data_conn(fd, line);
		return NULL;
	}
drop:
	pthread_mutex_lock(&S.lock);
	pend_done(fd);
	pthread_mutex_unlock(&S.lock);
	close(fd);
	return NULL;
}

/* A literal address in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
static int
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return 0;
	return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

/* Where to listen: --listen, or port 5210. Without a key, only loopback
 * unless --listen names an address (then a warning). */
static int
open_sockets(const struct linktest_server_opts *o, int *tcp, int *udp, char *where, size_t size)
{
	struct hostport hp;
	struct net_listen_spec ls = { 0 };
	char err[ERRLEN];

	if (!o->listen) {
		memset(&hp, 0, sizeof(hp));
		hp.port = hp.port_end = LT_PORT;
	} else if (hostport_parse(o->listen, HP_HOST_OPTIONAL | HP_NUMERIC, &hp, err) < 0) {
		fprintf(stderr, "%s: --listen %s\n", applet_name, err);
		return EXIT_USAGE;
	}
	if (!*hp.host && !*o->key)
		snprintf(hp.host, sizeof(hp.host), "127.0.0.1");
	else if (!*o->key && !is_loopback(hp.host))
		fprintf(stderr, "%s: warning: no --key: anyone who can reach %s can run tests here, with this "
		    "server's bandwidth and traffic; give --key KEY (or --key-file FILE), or listen on 127.0.0.1\n",
		    applet_name, o->listen);
	hostport_format(&hp, where, (unsigned)size);
	ls.host = hp.host;
	ls.port = hp.port;
	ls.backlog = 128;
	ls.type = SOCK_STREAM;
	if ((*tcp = net_listen(&ls, err)) < 0 && errno == EAFNOSUPPORT && (!*hp.host || strcmp(hp.host, "::") == 0)) {
		ls.host = "0.0.0.0";   /* every address, on a host without IPv6 */
		*tcp = net_listen(&ls, err);
	}
	if (*tcp < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return EXIT_FAIL;
	}
	ls.type = SOCK_DGRAM;
	if ((*udp = net_listen(&ls, err)) < 0) {
		fprintf(stderr, "%s: UDP: %s\n", applet_name, err);
		close(*tcp);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
linktest_server_run(const struct linktest_server_opts *o)
{
	int tcp = -1, udp = -1, sfd = -1, rc;
	sigset_t ss;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	static unsigned char buf[65536];

	char where[HOST_MAX + 16];
	int i;

	S.o = *o;
	linktest_budget_init(o->budget, o->total_budget);
	for (i = 0; i < PENDING_MAX; i++)
		S.pend[i].fd = -1;
	if ((rc = open_sockets(o, &tcp, &udp, where, sizeof(where))) != EXIT_OK)
		return rc;
	S.udp = udp;
	{
		int big = 4 << 20;
		setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		setsockopt(udp, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&S.cond, &ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 256 * 1024);
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);   /* threads inherit it; the loop reads signals */
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		fprintf(stderr, "%s: signalfd: %s\n", applet_name, strerror(errno));
		return EXIT_FAIL;
	}
	slog("listening on %s (TCP and UDP), key %s, at most %d clients, %d s per test, %d streams, %.0f Mbit/s UDP",
	    where, *o->key ? "required" : "not required", o->max_clients, o->max_time_s, o->max_streams,
	    (double)o->max_rate / 1e6);
	if (linktest_budget_on()) {
		char a[32], t[32];
		slog("traffic budget per hour: %s per client address, %s in all",
		    o->budget ? fmt_bytes(a, sizeof(a), o->budget) : "no limit",
		    o->total_budget ? fmt_bytes(t, sizeof(t), o->total_budget) : "no limit");
	}
	for (;;) {
		struct pollfd p[3] = { { tcp, POLLIN, 0 }, { udp, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		int k;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents) {
			slog("stopping");
			break;
		}
		for (k = 0; p[0].revents && k < 16; k++) {
			pthread_t th;
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			struct linktest_ipkey key;
			int fd = accept4(tcp, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC), room;
			if (fd < 0)
				break;
			linktest_ipkey_of(&from, &key);
			pthread_mutex_lock(&S.lock);
			room = pend_add(fd, &key, now_ms()) == 0;
			pthread_mutex_unlock(&S.lock);
			if (!room) {
				close(fd);   /* its address holds its share of pending connections */
				continue;
			}
			if (pthread_create(&th, &ta, conn_thread, (void *)(intptr_t)fd) != 0) {
				pthread_mutex_lock(&S.lock);
				pend_done(fd);
				pthread_mutex_unlock(&S.lock);
				close(fd);
			}
		}
		for (k = 0; p[1].revents && k < 512; k++) {
			struct sockaddr_storage from;
			union {
				char buf[256];
				struct cmsghdr align;
			} cbuf;
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
			ssize_t n;

			n = recvmsg(udp, &m, MSG_DONTWAIT);
			if (n < 0)
				break;
			udp_input(buf, (size_t)n, &from, &m, lt_now_ns());
		}
	}
	close(tcp);
	close(udp);
	close(sfd);
	return EXIT_OK;
}
