/*
 * linktest against a plain `iperf3 -s`: one test of iperf3's protocol
 * (lib/linktest/lt_iperf3.h) per phase, the sockets driven here. Every read
 * has a deadline; every length from the server is capped there.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "linktest.h"
#include "lt.h"
#include "lt_iperf3.h"
#include "net.h"
#include "util.h"

#define STATE_WAIT_MS 10000     /* the server's next state byte */
#define BLOCK IP3_TCP_LEN

/* One phase: what to run, and what came of it */
struct ip3run {
	/* the phase */
	const struct sockaddr_storage *dst;
	int udp, up;             /* up: this end sends */
	int seconds;             /* 1..IP3_MAX_TIME */
	int size;                /* UDP datagram bytes */
	uint64_t rate;           /* UDP bit/s */
	void (*progress)(void *arg, uint64_t bytes, int64_t ms);   /* may be NULL */
	void *arg;
	/* what came of it */
	uint64_t bytes;          /* the receiving end's count ... */
	double secs;             /* ... over its time */
	long long retrans;       /* TCP: the sending end's retransmits, -1 unknown */
	uint64_t sent, received, lost, ooo;   /* UDP datagrams */
	double jitter_ms;        /* UDP: the receiving end's */
	char err[ERRLEN];
};


struct ip3s {
	struct ip3run *r;
	char cookie[IP3_COOKIE];
	int ctl, data;
	unsigned char *buf;
	int busy;               /* the server answered ACCESS_DENIED */
};

static int
fail(struct ip3s *s, const char *fmt, const char *what)
{
	snprintf(s->r->err, ERRLEN, fmt, what, strerror(errno));
	return -1;
}

/* all of n bytes sent (out) or read within deadline_ms (now_ms clock); a read
 * that meets the end of the stream is ECONNRESET */
static int
io_all(int fd, void *p, size_t n, int64_t deadline_ms, int out)
{
	char *b = p;

	while (n) {
		struct pollfd pf = { fd, out ? POLLOUT : POLLIN, 0 };
		ssize_t got;
		int64_t left = deadline_ms - now_ms();

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		got = out ? send(fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL) : recv(fd, b, n, MSG_DONTWAIT);
		if (got == 0 && !out) {
			errno = ECONNRESET;
			return -1;
		}
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (got > 0) {
			b += got;
			n -= (size_t)got;
		}
	}
	return 0;
}

static int
send_all(int fd, const void *p, size_t n, int64_t deadline_ms)
{
	return io_all(fd, (void *)(uintptr_t)p, n, deadline_ms, 1);
}

static int
recv_all(int fd, void *p, size_t n, int64_t deadline_ms)
{
	return io_all(fd, p, n, deadline_ms, 0);
}

static int
connect_to(const struct sockaddr_storage *dst, int type)
{
	struct net_out_spec o = { .dst = dst, .type = type };
	char err[ERRLEN];
	int fd = net_connect(&o, NULL, err), e = ETIMEDOUT;
	struct pollfd pf;

	if (fd < 0 || type == SOCK_DGRAM)
		return fd;
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, 5000) == 1 && (e = net_connect_result(fd)) == 0)
		return fd;
	close(fd);
	errno = e;
	return -1;
}

/* The next state byte; want: the one expected (others are an error, named). */
static int
expect_state(struct ip3s *s, int want, int64_t deadline_ms)
{
	signed char st;
	unsigned char e[8];
	char nb[32], wb[32];

	if (recv_all(s->ctl, &st, 1, deadline_ms) < 0) {
		/* closed before the first state: a server between two tests drops what it had queued */
		s->busy = want == IP3_PARAM_EXCHANGE && errno == ECONNRESET;
		return fail(s, "iperf3: waiting for %s: %s", ip3_state_name(want, wb, sizeof(wb)));
	}
	if (st == want)
		return 0;
	s->busy = st == IP3_ACCESS_DENIED;
	if (st == IP3_SERVER_ERROR && recv_all(s->ctl, e, sizeof(e), now_ms() + 2000) == 0)
		snprintf(s->r->err, ERRLEN, "iperf3: the server reports error %u (errno %u)",
		    (unsigned)(e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3]), (unsigned)(e[4] << 24 | e[5] << 16 | e[6] << 8 | e[7]));
	else
		snprintf(s->r->err, ERRLEN, "iperf3: the server said %s where %s was due", ip3_state_name(st, nb, sizeof(nb)),
		    ip3_state_name(want, wb, sizeof(wb)));
	return -1;
}

static int
send_state(struct ip3s *s, signed char st)
{
	return send_all(s->ctl, &st, 1, now_ms() + 5000) < 0 ? fail(s, "iperf3: sending %s: %s", "a state") : 0;
}

/* UDP: the connect datagram until the server answers (5 s) */
static int
udp_hello(struct ip3s *s)
{
	int64_t end = now_ms() + 5000;
	unsigned char in[2048];
	int big = 4 << 20, skipped = 0;

	setsockopt(s->data, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(s->data, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	while (now_ms() < end) {
		struct pollfd pf = { s->data, POLLIN, 0 };
		int64_t until = now_ms() + 500;

		if (send(s->data, ip3_udp_connect, sizeof(ip3_udp_connect), 0) < 0 && errno != ECONNREFUSED)
			return fail(s, "iperf3: %s: %s", "the UDP connect datagram");
		while (now_ms() < until && poll(&pf, 1, (int)(until - now_ms())) == 1) {
			ssize_t n = recv(s->data, in, sizeof(in), MSG_DONTWAIT);
			if (n > 0 && ip3_udp_reply(in, (size_t)n))
				return 0;
			if (n > 0 && ++skipped > 64)
				break;   /* a download's first datagrams may come before the reply */
		}
	}
	snprintf(s->r->err, ERRLEN, "iperf3: no answer to the UDP connect datagram from the server within 5 s");
	return -1;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sending for the phase's seconds: TCP blocks, or paced UDP datagrams. */
static int
send_phase(struct ip3s *s, struct ip3_stream *mine)
{
	struct ip3run *r = s->r;
	int64_t t0 = lt_now_ns(), end = t0 + (int64_t)r->seconds * 1000000000, next_tick = t0;
	double gap_ns = r->udp ? (double)r->size * 8 * 1e9 / (double)r->rate : 0;
	uint64_t count = 0;

	for (;;) {
		int64_t now = lt_now_ns(), due = r->udp ? t0 + (int64_t)(gap_ns * (double)count) : now;
		struct pollfd pf[2] = { { s->data, POLLOUT, 0 }, { s->ctl, POLLIN, 0 } };
		struct timespec wait;
		ssize_t w;

		if (now >= end)
			break;
		if (r->progress && now >= next_tick) {
			r->progress(r->arg, (uint64_t)mine->bytes, (now - t0) / 1000000);
			next_tick = now + 100000000;
		}
		if (due > now)   /* not yet due: sleep on the control connection alone */
			pf[0].events = 0;
		wait.tv_sec = 0;
		wait.tv_nsec = due > now ? (long)((due - now) < 100000000 ? due - now : 100000000) : 100000000;
		if (ppoll(pf, 2, &wait, NULL) < 0 && errno != EINTR)
			return fail(s, "iperf3: %s: %s", "poll");
		if (pf[1].revents) {   /* the server speaks in the middle of a test: it gives up */
			snprintf(r->err, ERRLEN, "iperf3: the server ended the test early");
			return -1;
		}
		if (lt_now_ns() < due || !(pf[0].revents & POLLOUT))
			continue;
		if (r->udp) {
			double t = wall_s();
			ip3_udp_put(s->buf, (uint32_t)t, (uint32_t)((t - (double)(uint32_t)t) * 1e6), (uint32_t)(count + 1));
		}
		w = send(s->data, s->buf, r->udp ? (size_t)r->size : BLOCK, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			mine->bytes += (double)w;
			count += r->udp;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS && errno != ECONNREFUSED)
			return fail(s, "iperf3: %s: %s", "sending test data");
	}
	mine->packets = (long long)count;
	mine->end_time = (double)(lt_now_ns() - t0) / 1e9;
	if (!r->udp) {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		memset(&ti, 0, sizeof(ti));
		r->retrans = getsockopt(s->data, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 ? (long long)ti.tcpi_total_retrans : -1LL;
	}
	return 0;
}

/* Receiving for the phase's seconds (from the first byte on the clock of the report). */
static int
recv_phase(struct ip3s *s, struct ip3_stream *mine, struct ip3_rx *rx)
{
	struct ip3run *r = s->r;
	int64_t t0 = lt_now_ns(), end = t0 + (int64_t)r->seconds * 1000000000, first = 0, last = 0, next_tick = t0;

	while (lt_now_ns() < end) {
		struct pollfd pf[2] = { { s->data, POLLIN, 0 }, { s->ctl, POLLIN, 0 } };
		int k;

		if (r->progress && lt_now_ns() >= next_tick) {
			r->progress(r->arg, (uint64_t)mine->bytes, first ? (lt_now_ns() - first) / 1000000 : 0);
			next_tick = lt_now_ns() + 100000000;
		}
		if (poll(pf, 2, 100) <= 0)
			continue;
		if (pf[1].revents) {
			snprintf(r->err, ERRLEN, "iperf3: the server ended the test early");
			return -1;
		}
		for (k = 0; k < 256; k++) {
			ssize_t n = recv(s->data, s->buf, BLOCK, MSG_DONTWAIT);

			if (n == 0 && !r->udp) {
				snprintf(r->err, ERRLEN, "iperf3: the server closed the test stream early");
				return -1;
			}
			if (n <= 0)
				break;
			last = lt_now_ns();
			if (!first)
				first = last;
			mine->bytes += (double)n;
			if (r->udp)
				ip3_rx_add(rx, s->buf, (size_t)n, wall_s());
		}
	}
	mine->end_time = first ? (double)(last - first) / 1e9 : 0;
	mine->packets = (long long)rx->packets;
	mine->errors = (long long)rx->errors;
	mine->jitter_s = rx->jitter_s;
	return 0;
}

/* TEST_END, then the results both ways; the data socket is drained meanwhile. */
static int
finish(struct ip3s *s, const struct ip3_stream *mine, struct ip3_stream *theirs)
{
	unsigned char hdr[4], msg[1024];
	int64_t deadline = now_ms() + STATE_WAIT_MS;
	char *json;
	long len;
	int n;

	if (send_state(s, IP3_TEST_END) < 0)
		return -1;
	for (;;) {   /* a download's data may still be on its way: keep the server from blocking */
		struct pollfd pf[2] = { { s->ctl, POLLIN, 0 }, { s->data, POLLIN, 0 } };

		if (now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return fail(s, "iperf3: waiting for %s: %s", "EXCHANGE_RESULTS");
		}
		if (poll(pf, 2, 100) <= 0)
			continue;
		if (pf[0].revents)
			break;
		if (recv(s->data, s->buf, BLOCK, MSG_DONTWAIT) == 0)
			pf[1].fd = -1;
	}
	if (expect_state(s, IP3_EXCHANGE_RESULTS, now_ms() + 1000) < 0)
		return -1;
	n = ip3_results(msg, sizeof(msg), mine, s->r->up, s->r->retrans);
	if (n < 0 || send_all(s->ctl, msg, (size_t)n, now_ms() + 5000) < 0)
		return fail(s, "iperf3: %s: %s", "sending our results");
	if (recv_all(s->ctl, hdr, 4, now_ms() + STATE_WAIT_MS) < 0)
		return fail(s, "iperf3: %s: %s", "the server's results");
	if ((len = ip3_json_len(hdr)) < 0) {
		snprintf(s->r->err, ERRLEN, "iperf3: the server's results are empty or longer than %d bytes", IP3_JSON_MAX);
		return -1;
	}
	if (!(json = malloc((size_t)len)))
		return fail(s, "iperf3: %s: %s", "results");
	if (recv_all(s->ctl, json, (size_t)len, now_ms() + STATE_WAIT_MS) < 0 ||
	    ip3_parse_results(json, (size_t)len, theirs, s->r->err) < 0) {
		if (!*s->r->err)
			fail(s, "iperf3: %s: %s", "the server's results");
		free(json);
		return -1;
	}
	free(json);
	if (expect_state(s, IP3_DISPLAY_RESULTS, now_ms() + 5000) < 0 || send_state(s, IP3_IPERF_DONE) < 0)
		return -1;
	(void)recv_all(s->ctl, msg, sizeof(msg), now_ms() + 2000);   /* its close: the server is free again */
	return 0;
}

/* The figures of the report from both sides' counts. */
static void
figures(struct ip3run *r, const struct ip3_stream *mine, const struct ip3_stream *theirs, const struct ip3_rx *rx)
{
	const struct ip3_stream *rcv = r->up ? theirs : mine, *snd = r->up ? mine : theirs;

	r->bytes = (uint64_t)rcv->bytes;
	r->secs = rcv->end_time > 0 ? rcv->end_time : r->seconds;
	if (!r->up)
		r->retrans = theirs->retransmits;
	if (!r->udp)
		return;
	r->sent = (uint64_t)snd->packets;
	r->lost = (uint64_t)rcv->errors;
	r->received = r->up ? (rcv->packets > rcv->errors ? (uint64_t)(rcv->packets - rcv->errors) : 0) : rx->datagrams;
	r->ooo = r->up ? 0 : rx->outoforder;
	r->jitter_ms = rcv->jitter_s * 1e3;
}

static int
session(struct ip3s *s)
{
	struct ip3run *r = s->r;
	struct ip3_test t = { r->udp, !r->up, r->seconds, r->rate, r->udp ? r->size : BLOCK };
	struct ip3_stream mine, theirs;
	struct ip3_rx rx;
	unsigned char msg[512];
	int n;

	memset(&mine, 0, sizeof(mine));
	memset(&rx, 0, sizeof(rx));
	if ((s->ctl = connect_to(r->dst, SOCK_STREAM)) < 0) {
		/* between two tests iperf3 opens its port anew: refused, or reset
		 * when the connection was queued on the port it closed */
		s->busy = errno == ECONNREFUSED || errno == ECONNRESET;
		return fail(s, "iperf3: connecting to %s: %s", "the server");
	}
	if (send_all(s->ctl, s->cookie, IP3_COOKIE, now_ms() + 5000) < 0) {
		s->busy = errno == ECONNRESET || errno == EPIPE;   /* as below: reset by a server between tests */
		return fail(s, "iperf3: %s: %s", "sending the cookie");
	}
	if (expect_state(s, IP3_PARAM_EXCHANGE, now_ms() + STATE_WAIT_MS) < 0)
		return -1;
	if ((n = ip3_params(msg, sizeof(msg), &t)) < 0 || send_all(s->ctl, msg, (size_t)n, now_ms() + 5000) < 0)
		return fail(s, "iperf3: %s: %s", "sending the parameters");
	if (expect_state(s, IP3_CREATE_STREAMS, now_ms() + STATE_WAIT_MS) < 0)
		return -1;
	if ((s->data = connect_to(r->dst, r->udp ? SOCK_DGRAM : SOCK_STREAM)) < 0)
		return fail(s, "iperf3: %s: %s", "the test stream");
	if (r->udp ? udp_hello(s) < 0 : send_all(s->data, s->cookie, IP3_COOKIE, now_ms() + 5000) < 0)
		return *r->err ? -1 : fail(s, "iperf3: %s: %s", "the test stream");
	if (expect_state(s, IP3_TEST_START, now_ms() + STATE_WAIT_MS) < 0 ||
	    expect_state(s, IP3_TEST_RUNNING, now_ms() + STATE_WAIT_MS) < 0)
		return -1;
	if ((r->up ? send_phase(s, &mine) : recv_phase(s, &mine, &rx)) < 0)
		return -1;
	if (finish(s, &mine, &theirs) < 0)
		return -1;
	figures(r, &mine, &theirs, &rx);
	return 0;
}

static int
ip3run(struct ip3run *r)
{
	struct ip3s s = { r, "", -1, -1, NULL, 0 };
	unsigned char rnd[36];
	int rc = -1, tries;

	r->err[0] = '\0';
	r->retrans = -1;
	if (r->seconds < 1 || r->seconds > IP3_MAX_TIME || (r->udp && (r->size < IP3_UDP_HDR || r->size > 65507 ||
	    !r->rate))) {
		snprintf(r->err, ERRLEN, "iperf3: a phase is 1 to %d whole seconds; UDP needs a rate and a size", IP3_MAX_TIME);
		return -1;
	}
	if (lt_random(rnd, sizeof(rnd)) < 0 || !(s.buf = calloc(1, BLOCK)))
		return fail(&s, "iperf3: %s: %s", "setting up");
	memset(s.buf, 0x5a, BLOCK);
	ip3_cookie(s.cookie, rnd);
	for (tries = 0;; tries++) {   /* busy: most likely still closing the test before, so a few tries */
		rc = session(&s);
		if (s.data >= 0)
			close(s.data);
		if (s.ctl >= 0)
			close(s.ctl);
		s.ctl = s.data = -1;
		if (rc == 0 || !s.busy || tries >= 10)
			break;
		r->err[0] = '\0';
		s.busy = 0;
		poll(NULL, 0, 300);
	}
	free(s.buf);
	return rc;
}

static void
setup(struct ip3run *x, const struct linktest_client *c, int udp, int up,
    void (*tick)(void *arg, uint64_t bytes, int64_t ms), void *arg)
{
	memset(x, 0, sizeof(*x));
	x->dst = &c->dst;
	x->udp = udp;
	x->up = up;
	x->seconds = (int)((c->time_ms + 999) / 1000);
	x->size = c->udp_size;
	x->progress = tick;
	x->arg = arg;
}

int
linktest_iperf3_tcp(struct linktest_client *c, int up, struct linktest_tcp_res *r,
    void (*tick)(void *arg, uint64_t bytes, int64_t ms), void *arg)
{
	struct ip3run x;

	memset(r, 0, sizeof(*r));
	r->up = up;
	r->streams = 1;
	setup(&x, c, 0, up, tick, arg);
	if (ip3run(&x) < 0) {
		snprintf(r->err, ERRLEN, "tcp %s: %s", up ? "upload" : "download", x.err);
		return -1;
	}
	r->bytes = x.bytes;
	r->secs = x.secs;
	r->retrans = x.retrans > 0 ? (uint64_t)x.retrans : 0;
	r->mbps_all = r->secs > 0 ? (double)r->bytes * 8 / r->secs / 1e6 : 0;
	r->mbps = r->mbps_all;   /* iperf3 counts the whole phase (no --omit asked) */
	r->ok = 1;
	return 0;
}

int
linktest_iperf3_udp(struct linktest_client *c, int up, uint64_t rate, struct linktest_udp_res *r,
    void (*tick)(void *arg, uint64_t bytes, int64_t ms), void *arg)
{
	struct ip3run x;

	memset(r, 0, sizeof(*r));
	r->up = up;
	r->rate_mbps = (double)rate / 1e6;
	setup(&x, c, 1, up, tick, arg);
	x.rate = rate;
	if (ip3run(&x) < 0) {
		snprintf(r->err, ERRLEN, "udp %s: %s", up ? "upload" : "download", x.err);
		return -1;
	}
	r->sent = x.sent;
	r->received = x.received;
	r->bytes = x.bytes;
	r->ooo = x.ooo;
	r->jitter_ms = x.jitter_ms;
	r->secs = x.secs;
	r->loss_pct = lt_loss_pct(r->sent, r->received);
	r->mbps = (double)r->bytes * 8 / ((double)x.seconds) / 1e6;   /* over the sending time, as the others */
	r->ok = 1;
	return 0;
}
