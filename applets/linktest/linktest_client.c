/*
 * linktest's client: the control connection, the handshake, and the phases
 * (system facts, latency, route, TCP and UDP both ways) with their progress
 * bars. It speaks the protocol of lib/linktest/lt.h: one control connection,
 * and every test stream and datagram to the same HOST:PORT, so a relay chain
 * in front of the server is measured end to end.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "applet.h"
#include "linktest.h"
#include "lookup.h"
#include "lt.h"
#include "lt_iperf3.h"
#include "net.h"
#include "util.h"

/* ---- progress on a terminal ---- */

static void
bar(struct linktest_client *c, const char *label, double frac, const char *extra)
{
	char b[31];
	int i, n;

	if (!c->tty)
		return;
	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	n = (int)(frac * 30 + 0.5);
	for (i = 0; i < 30; i++)
		b[i] = i < n ? '#' : '.';
	b[30] = '\0';
	printf("\r  %-22s [%s] %3d%% %-16s", label, b, (int)(frac * 100 + 0.5), extra ? extra : "");
	fflush(stdout);
	snprintf(c->bar_label, sizeof(c->bar_label), "%s", label);
	snprintf(c->bar_extra, sizeof(c->bar_extra), "%s", extra && strcmp(extra, "draining") ? extra : "");
}

/* The phase is over: its bar stays on screen, full, with the last figure. */
static void
bar_end(struct linktest_client *c)
{
	if (c->tty && *c->bar_label) {
		char extra[sizeof(c->bar_extra)];
		snprintf(extra, sizeof(extra), "%s", c->bar_extra);
		bar(c, c->bar_label, 1, extra);
		printf("\n");
		fflush(stdout);
	}
	c->bar_label[0] = '\0';
}

/* A throughput phase ended (rc 0, or -1 with err, empty when the server's
 * result line did not parse): its bar stays, the error is said. */
static void
phase_end(struct linktest_client *c, int rc, char *err, const char *label, const char *line)
{
	if (rc < 0 && !*err)
		snprintf(err, ERRLEN, "%s: malformed result '%.60s'", label, line);
	bar_end(c);
}

/* ---- helpers ---- */

static int
tcp_connect(const struct sockaddr_storage *dst, int timeout_ms)
{
	struct net_out_spec s = { .dst = dst, .type = SOCK_STREAM };
	char err[ERRLEN];
	struct pollfd p;
	int fd = net_connect(&s, NULL, err), e;

	if (fd < 0)
		return -1;
	p.fd = fd;
	p.events = POLLOUT;
	e = poll(&p, 1, timeout_ms) <= 0 ? ETIMEDOUT : net_connect_result(fd);
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A control answer: the line, or an error (ERR lines and lost connections). */
static int
answer(struct linktest_client *c, char *line, size_t size, long wait_ms, const char *what, char *err)
{
	if (lt_recv_line(c->ctl, line, size, now_ms() + wait_ms) < 0) {
		c->lost = 1;
		snprintf(err, ERRLEN, "%s: no answer from the server (%s)", what,
		    errno == ETIMEDOUT ? "timed out" : errno == ECONNRESET ? "it closed the connection" : strerror(errno));
		return -1;
	}
	if (strncmp(line, "ERR ", 4) == 0) {
		snprintf(err, ERRLEN, "%s: the server says: %s", what, line + 4);
		return -1;
	}
	return 0;
}

/* The server's GO that starts a phase's measurement. */
static int
answer_go(struct linktest_client *c, long wait_ms, const char *label, char *err)
{
	char line[LT_LINE];

	if (answer(c, line, sizeof(line), wait_ms, label, err) < 0)
		return -1;
	if (strcmp(line, "GO") != 0) {
		snprintf(err, ERRLEN, "%s: unexpected answer '%.60s'", label, line);
		return -1;
	}
	return 0;
}

/* The control connection failed during a phase: no more phases after this one. */
static void
ctl_lost(struct linktest_client *c, const char *label, char *err)
{
	c->lost = 1;
	snprintf(err, ERRLEN, "%s: control connection lost: %s", label, strerror(errno));
}

/* A phase's command on the control connection; -1 with err (and c->lost) when it cannot go. */
static int __attribute__((format(printf, 4, 5)))
ctl_send(struct linktest_client *c, const char *label, char *err, const char *fmt, ...)
{
	char line[LT_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (lt_send_line(c->ctl, "%s", line) < 0) {
		ctl_lost(c, label, err);
		return -1;
	}
	return 0;
}

/* " key=N" of a result line into *out (left alone when absent or out of 0..max): 0 / -1. */
static int
res_u64(const char *line, const char *key, long long max, uint64_t *out)
{
	long long v;

	if (lt_field_num(line, key, 0, max, &v) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The same for a count of small units (us) as a double in larger ones (us / 1e6 = s). */
static int
res_scaled(const char *line, const char *key, double div, double *out)
{
	long long v;

	if (lt_field_num(line, key, 0, 1LL << 50, &v) < 0)
		return -1;
	*out = (double)v / div;
	return 0;
}

/* ---- connecting and authenticating ---- */

#define LOOKUP_MS 10000   /* a name's lookup: its answer, or this long */

/* The addresses of host (port) within LOOKUP_MS (lib/base/lookup: the
 * resolver in a thread of its own, so a DNS server that never answers costs
 * LOOKUP_MS): the job, or NULL with *rc (getaddrinfo's) or *late set. */
static struct lookup *
lookup_within(const char *host, const char *port, int flags, int *rc, int *late)
{
	struct lookup *j = lookup_start(host, port, AF_UNSPEC, SOCK_STREAM, flags);

	*late = 0;
	if (!j) {
		*rc = EAI_SYSTEM;
		return NULL;
	}
	*late = !lookup_wait(j, now_ms() + LOOKUP_MS);
	*rc = *late ? EAI_AGAIN : j->rc;
	if (*rc) {
		lookup_put(j);   /* the thread frees it when the resolver gives up */
		return NULL;
	}
	return j;
}

static int
resolve_and_connect(struct linktest_client *c)
{
	struct lookup *j;
	char port[8];
	int rc, late, e = 0, i;

	snprintf(port, sizeof(port), "%u", c->port);
	if (!(j = lookup_within(c->host, port, AI_ADDRCONFIG, &rc, &late)) && !late)
		j = lookup_within(c->host, port, 0, &rc, &late);
	if (!j) {
		if (late)
			fprintf(stderr, "%s: cannot resolve '%s': no answer from the DNS within %d s (check the host "
			    "name and /etc/resolv.conf)\n", applet_name, c->host, LOOKUP_MS / 1000);
		else
			fprintf(stderr, "%s: cannot resolve '%s': %s (check the host name)\n", applet_name, c->host,
			    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (i = 0; i < j->n; i++) {
		memset(&c->dst, 0, sizeof(c->dst));
		memcpy(&c->dst, &j->sa[i], j->salen[i]);
		if ((c->ctl = tcp_connect(&c->dst, 5000)) >= 0)
			break;
		e = errno;
	}
	lookup_put(j);
	net_addr_str(&c->dst, c->dst_str, sizeof(c->dst_str));
	if (c->ctl < 0) {
		fprintf(stderr, "%s: cannot connect to %s: %s (is 'xwpf linktest --server' running there, "
		    "and the port open?)\n", applet_name, c->dst_str, strerror(e));
		return -1;
	}
	return 0;
}

/* The far end is (or is taken as) a plain iperf3 server: its limits, and the
 * control connection closed (iperf3 serves one test at a time). */
static int
iperf3_mode(struct linktest_client *c)
{
	c->iperf3 = 1;
	close(c->ctl);
	c->ctl = -1;
	c->maxtime = IP3_MAX_TIME;
	c->maxstreams = 1;
	c->maxrate = 1LL << 50;
	snprintf(c->seen_as, sizeof(c->seen_as), "?");
	fprintf(stderr, "%s: %s is a plain iperf3 server: one stream per TCP phase, whole seconds, no control "
	    "echo and no remote system facts\n", applet_name, c->dst_str);
	return 0;
}

static int
handshake(struct linktest_client *c)
{
	char line[LT_LINE], snonce[40], cnonce[2 * LT_NONCE + 1], mac[LT_MACHEX], smac[80], tok[40];
	unsigned char raw[LT_NONCE];
	long long skey = 0;

	if (c->iperf3 == 1)
		return iperf3_mode(c);
	if (lt_send_line(c->ctl, "XWLT %d control", LT_PROTO) < 0 ||
	    lt_recv_line(c->ctl, line, sizeof(line), now_ms() + (c->iperf3 < 0 ? 3000 : 10000)) < 0) {
		if (errno == ETIMEDOUT && c->iperf3 < 0)   /* silent: iperf3 waits for the rest of a cookie */
			return iperf3_mode(c);
		fprintf(stderr, "%s: %s does not answer like a linktest server (%s): is the port right?\n",
		    applet_name, c->dst_str, strerror(errno));
		return -1;
	}
	if (strncmp(line, "XWLT 1 ok ", 10) != 0) {
		if (strncmp(line, "XWLT ", 5) == 0 && strchr(line + 5, ' ') && strchr(strchr(line + 5, ' ') + 1, ' '))
			fprintf(stderr, "%s: the server refused: %s\n", applet_name, strchr(strchr(line + 5, ' ') + 1, ' ') + 1);
		else
			fprintf(stderr, "%s: %s is not a linktest server (it said '%.60s')\n", applet_name, c->dst_str, line);
		return -1;
	}
	if (lt_field(line, "nonce", snonce, sizeof(snonce)) < 0 || strlen(snonce) != 2 * LT_NONCE ||
	    lt_field_num(line, "key", 0, 1, &skey) < 0 || lt_field_num(line, "maxtime", 1, 86400, &c->maxtime) < 0 ||
	    lt_field_num(line, "maxstreams", 1, LINKTEST_STREAMS_CAP, &c->maxstreams) < 0 ||
	    lt_field_num(line, "maxrate", 1000, 1LL << 50, &c->maxrate) < 0) {
		fprintf(stderr, "%s: the server's greeting is malformed: '%.80s'\n", applet_name, line);
		return -1;
	}
	if (skey && !*c->key) {
		fprintf(stderr, "%s: the server requires a shared key: pass --key KEY (or --key-file FILE)\n", applet_name);
		return -1;
	}
	if (!skey && *c->key)
		fprintf(stderr, "%s: warning: the server does not use a key; it cannot prove who it is\n", applet_name);
	if (lt_random(raw, LT_NONCE) < 0) {
		fprintf(stderr, "%s: no randomness from the kernel: %s\n", applet_name, strerror(errno));
		return -1;
	}
	lt_hex(cnonce, raw, LT_NONCE);
	lt_mac(mac, skey ? c->key : "", "client", snonce, cnonce);
	if (lt_send_line(c->ctl, "AUTH cnonce=%s mac=%s", cnonce, mac) < 0 ||
	    lt_recv_line(c->ctl, line, sizeof(line), now_ms() + 10000) < 0) {
		fprintf(stderr, "%s: the server closed the connection during the handshake\n", applet_name);
		return -1;
	}
	if (strncmp(line, "ERR ", 4) == 0) {
		fprintf(stderr, "%s: the server refused: %s\n", applet_name, line + 4);
		return -1;
	}
	if (strncmp(line, "OK ", 3) != 0 || lt_field(line, "token", tok, sizeof(tok)) < 0 ||
	    lt_unhex(c->token, LT_TOKEN, tok) < 0 || lt_field(line, "mac", smac, sizeof(smac)) < 0) {
		fprintf(stderr, "%s: unexpected answer to the handshake: '%.80s'\n", applet_name, line);
		return -1;
	}
	lt_mac(mac, skey ? c->key : "", "server", cnonce, snonce);
	if (skey && !lt_mac_eq(mac, smac)) {
		fprintf(stderr, "%s: the server did not prove it knows the key: wrong server?\n", applet_name);
		return -1;
	}
	if (lt_field(line, "peer", c->seen_as, sizeof(c->seen_as)) < 0)
		snprintf(c->seen_as, sizeof(c->seen_as), "?");
	return 0;
}

/* ---- phases ---- */

static void
phase_info(struct linktest_client *c)
{
	char line[LT_LINE], err[ERRLEN];
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);

	if (c->ctl >= 0)
		getsockname(c->ctl, (struct sockaddr *)&local, &sl);
	else {   /* iperf3: the address this end would use, from a UDP socket that sends nothing */
		int fd = socket(c->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		memset(&local, 0, sizeof(local));
		if (fd >= 0 && connect(fd, (struct sockaddr *)&c->dst, net_addr_len(&c->dst)) == 0)
			getsockname(fd, (struct sockaddr *)&local, &sl);
		if (fd >= 0)
			close(fd);
	}
	lt_sys_get(&c->local, &local);
	if (c->iperf3 == 1 || lt_send_line(c->ctl, "INFO") < 0 || answer(c, line, sizeof(line), 10000, "system facts", err) < 0 ||
	    strncmp(line, "INFO ", 5) != 0) {
		memset(&c->remote, 0, sizeof(c->remote));
		lt_sys_parse(&c->remote, "");
	} else
		lt_sys_parse(&c->remote, line + 5);
	c->have_sys = 1;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
lat_done(struct linktest_client *c, const char *label, const struct lt_rtt *r)
{
	char x[32];

	snprintf(x, sizeof(x), r->received ? "avg %.3f ms" : "no answer", lt_rtt_avg(r));
	bar(c, label, 1, x);
	bar_end(c);
}

static int
phase_latency(struct linktest_client *c)
{
	struct sockaddr_storage bare = c->dst;
	int i, fd;
	char label[40];

	memset(&c->conn, 0, sizeof(c->conn));
	memset(&c->icmp, 0, sizeof(c->icmp));
	memset(&c->echo, 0, sizeof(c->echo));
	for (i = 0; i < c->count; i++) {
		double ms;
		bar(c, "latency: tcp connect", (double)i / c->count, NULL);
		if (lt_connect_rtt(&c->dst, 1000, &ms) == 0)
			lt_rtt_add(&c->conn, ms);
		else
			lt_rtt_lost(&c->conn);
		pause_ms(50);
	}
	lat_done(c, "latency: tcp connect", &c->conn);
	if (bare.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&bare)->sin6_port = 0;
	else
		((struct sockaddr_in *)&bare)->sin_port = 0;
	fd = lt_icmp_open(bare.ss_family, c->icmp_err);
	if (fd >= 0) {
		c->icmp_ok = 1;
		for (i = 0; i < c->count; i++) {
			double ms;
			bar(c, "latency: icmp echo", (double)i / c->count, NULL);
			if (lt_icmp_echo(fd, &bare, (uint16_t)(i + 1), 1000, &ms) == 0)
				lt_rtt_add(&c->icmp, ms);
			else if (errno == ETIMEDOUT)
				lt_rtt_lost(&c->icmp);
			else {
				snprintf(c->icmp_err, ERRLEN, "echo failed: %s", strerror(errno));
				c->icmp_ok = 0;
				break;
			}
			pause_ms(50);
		}
		close(fd);
		lat_done(c, "latency: icmp echo", &c->icmp);
	}
	for (i = 0; i < c->count && c->iperf3 != 1; i++) {   /* iperf3: no echo to ask for */
		char line[LT_LINE], err[ERRLEN] = "echo: control connection lost";
		int64_t t0 = lt_now_ns();
		snprintf(label, sizeof(label), "ECHO %d", i);
		bar(c, "latency: control echo", (double)i / c->count, NULL);
		if (lt_send_line(c->ctl, "%s", label) < 0 || answer(c, line, sizeof(line), 10000, "echo", err) < 0) {
			bar_end(c);
			fprintf(stderr, "%s: %s\n", applet_name, err);
			return -1;
		}
		if (strcmp(line, label) == 0)
			lt_rtt_add(&c->echo, (double)(lt_now_ns() - t0) / 1e6);
		else
			lt_rtt_lost(&c->echo);
		pause_ms(20);
	}
	if (c->iperf3 != 1)
		lat_done(c, "latency: control echo", &c->echo);
	c->have_lat = 1;
	return 0;
}

static void
route_tick(int ttl, void *arg)
{
	struct linktest_client *c = arg;
	char s[24];

	snprintf(s, sizeof(s), "hop %d", ttl);
	bar(c, "route", (double)ttl / LT_MAX_HOPS, s);
}

static void
phase_route(struct linktest_client *c)
{
	struct sockaddr_storage d = c->dst;

	if (lt_route(&d, LT_MAX_HOPS, 3, 1000, c->hops, &c->nhops, route_tick, c, c->route_err) < 0)
		c->nhops = 0;
	else
		c->route_err[0] = '\0';
	bar_end(c);
	c->have_route = 1;
}

static void
rate_text(char *buf, size_t size, uint64_t bytes, int64_t ms)
{
	snprintf(buf, size, "%.1f Mbit/s", ms > 0 ? (double)bytes * 8 / 1e3 / (double)ms : 0.0);
}

/* A phase's bar, at most every 200 ms: the time since t0 against the phase's
 * length, and bytes over ms as the rate. */
static void
progress(struct linktest_client *c, const char *label, int64_t t0, int64_t *tick, uint64_t bytes, int64_t ms)
{
	char extra[32];
	int64_t now = now_ms();

	if (now < *tick)
		return;
	rate_text(extra, sizeof(extra), bytes, ms);
	bar(c, label, (double)(now - t0) / c->time_ms, extra);
	*tick = now + 200;
}

static void
poll_set(struct pollfd *p, const int *fds, int n, short events)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i].fd = fds[i];
		p[i].events = events;
	}
}

/* One TCP phase: N streams, upload or download. */
/* iperf3's phases: the bar from its byte counts */
struct ip3_bar {
	struct linktest_client *c;
	const char *label;
	int64_t t0, tick;
};

static void
ip3_tick(void *arg, uint64_t bytes, int64_t ms)
{
	struct ip3_bar *b = arg;

	progress(b->c, b->label, b->t0, &b->tick, bytes, ms);
}

static int
run_iperf3(struct linktest_client *c, int udp, int up, uint64_t rate, void *res)
{
	struct ip3_bar b = { c, udp ? (up ? "udp upload" : "udp download") : (up ? "tcp upload 1x" : "tcp download 1x"),
		now_ms(), 0 };
	int rc = udp ? linktest_iperf3_udp(c, up, rate, res, ip3_tick, &b) : linktest_iperf3_tcp(c, up, res, ip3_tick, &b);

	bar_end(c);
	return rc;
}

static int
run_tcp(struct linktest_client *c, int up, int n, struct linktest_tcp_res *r)
{
	char line[LT_LINE], label[40], tok[2 * LT_TOKEN + 1];
	int fds[LINKTEST_STREAMS_CAP], i, open = 0, rc = -1;
	unsigned char *buf = NULL;
	long long v;
	int64_t t0, tick = 0, steady_us = 0;
	uint64_t moved = 0, steady = 0;
	struct lt_tcp_rx rx;

	if (c->iperf3 == 1)
		return run_iperf3(c, 0, up, 0, r);
	memset(r, 0, sizeof(*r));
	r->up = up;
	r->streams = n;
	for (i = 0; i < n; i++)
		fds[i] = -1;
	snprintf(label, sizeof(label), "tcp %s %dx", up ? "upload" : "download", n);
	lt_hex(tok, c->token, LT_TOKEN);
	if (!(buf = malloc(128 * 1024))) {
		snprintf(r->err, ERRLEN, "out of memory");
		return -1;
	}
	memset(buf, 0x5a, 128 * 1024);
	if (ctl_send(c, label, r->err, "TCP dir=%s streams=%d time=%ld", up ? "up" : "down", n, c->time_ms) < 0 ||
	    answer(c, line, sizeof(line), 10000, label, r->err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((fds[i] = tcp_connect(&c->dst, 5000)) < 0) {
			snprintf(r->err, ERRLEN, "test connection %d to %s: %s", i + 1, c->dst_str, strerror(errno));
			goto out;
		}
		if (lt_send_line(fds[i], "XWLT 1 data %s %d", tok, i) < 0) {
			snprintf(r->err, ERRLEN, "test connection %d: %s", i + 1, strerror(errno));
			goto out;
		}
	}
	if (answer_go(c, 15000, label, r->err) < 0)
		goto out;
	t0 = now_ms();
	open = n;
	if (up) {
		struct pollfd p[LINKTEST_STREAMS_CAP];

		poll_set(p, fds, n, POLLOUT);
		while (now_ms() - t0 < c->time_ms) {
			progress(c, label, t0, &tick, moved, now_ms() - t0);
			if (poll(p, (nfds_t)n, 100) <= 0)
				continue;
			for (i = 0; i < n; i++) {
				ssize_t w;
				if (p[i].fd < 0 || !p[i].revents)
					continue;
				w = send(p[i].fd, buf, 128 * 1024, MSG_DONTWAIT | MSG_NOSIGNAL);
				if (w > 0)
					moved += (uint64_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR) {
					int e = errno;
					/* the server may have said why it stopped (its traffic budget) */
					if (lt_recv_line(c->ctl, line, sizeof(line), now_ms() + 2000) == 0 &&
					    strncmp(line, "ERR ", 4) == 0)
						snprintf(r->err, ERRLEN, "%s: the server says: %s", label, line + 4);
					else
						snprintf(r->err, ERRLEN, "%s: stream %d: %s", label, i + 1, strerror(e));
					goto out;
				}
			}
		}
		for (i = 0; i < n; i++)
			shutdown(fds[i], SHUT_WR);
		bar(c, label, 1, "draining");
		if (answer(c, line, sizeof(line), c->time_ms + 20000, label, r->err) < 0)
			goto out;
		if (res_u64(line, "bytes", 1LL << 60, &r->bytes) < 0 || lt_field_num(line, "us", 0, 1LL << 50, &v) < 0)
			goto out;   /* malformed */
		r->secs = (double)v / 1e6;
		steady = r->bytes;
		steady_us = v;
		if (res_u64(line, "sbytes", 1LL << 60, &steady) == 0) {
			if (lt_field_num(line, "sus", 0, 1LL << 50, &v) < 0)
				goto out;   /* malformed */
			steady_us = v;
		}
		for (i = 0; i < n; i++) {
			struct tcp_info ti;
			socklen_t tl = sizeof(ti);
			memset(&ti, 0, sizeof(ti));
			if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
				r->retrans += ti.tcpi_total_retrans;
		}
	} else {
		struct pollfd p[LINKTEST_STREAMS_CAP];
		int64_t deadline = t0 + c->time_ms + 20000;

		lt_tcp_rx_init(&rx, c->time_ms);
		poll_set(p, fds, n, POLLIN);
		while (open > 0 && now_ms() < deadline) {
			progress(c, label, t0, &tick, moved, rx.first_ns ? (lt_now_ns() - rx.first_ns) / 1000000 : 0);
			if (poll(p, (nfds_t)n, 100) <= 0)
				continue;
			for (i = 0; i < n; i++) {
				ssize_t got;
				if (p[i].fd < 0 || !p[i].revents)
					continue;
				got = recv(p[i].fd, buf, 128 * 1024, MSG_DONTWAIT);
				if (got < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if (got > 0) {
					lt_tcp_rx_read(&rx, fds, n, (size_t)got, lt_now_ns());
					moved += (uint64_t)got;
					continue;
				}
				lt_tcp_rx_eof(&rx, fds[i], lt_now_ns());
				p[i].fd = -1;
				shutdown(fds[i], SHUT_WR);
				open--;
			}
		}
		if (open > 0) {
			snprintf(r->err, ERRLEN, "%s: the server did not finish within %ld s", label, c->time_ms / 1000 + 20);
			goto out;
		}
		if (answer(c, line, sizeof(line), 20000, label, r->err) < 0)
			goto out;
		if (res_u64(line, "retrans", 1LL << 50, &r->retrans) < 0)
			goto out;   /* malformed */
		r->bytes = rx.bytes;
		r->secs = (double)lt_tcp_rx_us(&rx) / 1e6;
		lt_tcp_rx_steady(&rx, &steady, &steady_us);
	}
	r->mbps_all = r->secs > 0 ? (double)r->bytes * 8 / r->secs / 1e6 : 0;
	r->mbps = steady_us > 0 ? (double)steady * 8 / (double)steady_us : r->mbps_all;
	r->ok = 1;
	rc = 0;
out:
	phase_end(c, rc, r->err, label, line);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(buf);
	return rc;
}

static int
udp_tick(uint64_t bytes, int64_t ms, void *arg)
{
	struct linktest_client *c = arg;
	struct pollfd p = { .fd = c->ctl, .events = POLLIN };
	char extra[32];

	rate_text(extra, sizeof(extra), bytes, ms);
	bar(c, "udp upload", (double)ms / c->time_ms, extra);
	return poll(&p, 1, 0) > 0;   /* the server speaks before DONE: it stopped the test (its budget) */
}

static int
run_udp(struct linktest_client *c, int up, uint64_t rate, struct linktest_udp_res *r)
{
	char line[LT_LINE];
	const char *label = up ? "udp upload" : "udp download";
	int rc = -1;

	if (c->iperf3 == 1)
		return run_iperf3(c, 1, up, rate, r);
	memset(r, 0, sizeof(*r));
	r->up = up;
	r->rate_mbps = (double)rate / 1e6;
	if (ctl_send(c, label, r->err, "UDP dir=%s rate=%llu time=%ld size=%d", up ? "up" : "down",
	    (unsigned long long)rate, c->time_ms, c->udp_size) < 0 ||
	    answer(c, line, sizeof(line), 10000, label, r->err) < 0)
		goto out;
	if (up) {
		uint64_t bytes;
		long grace = 500 + (long)(2 * lt_rtt_avg(&c->echo));
		r->sent = linktest_udp_blast(c->udp, NULL, NULL, 0, c->token, rate, c->udp_size, (int)c->time_ms, &bytes, udp_tick, c);
		bar(c, label, 1, "draining");
		pause_ms(grace > 3000 ? 3000 : grace);
		if (ctl_send(c, label, r->err, "DONE sent=%llu", (unsigned long long)r->sent) < 0 ||
		    answer(c, line, sizeof(line), 15000, label, r->err) < 0)
			goto out;
		if (res_u64(line, "packets", 1LL << 50, &r->received) < 0 || res_u64(line, "bytes", 1LL << 60, &r->bytes) < 0 ||
		    res_u64(line, "ooo", 1LL << 50, &r->ooo) < 0 || res_scaled(line, "jitter_us", 1e3, &r->jitter_ms) < 0 ||
		    res_scaled(line, "us", 1e6, &r->secs) < 0)
			goto out;   /* malformed */
	} else {
		struct lt_udp_rx rx = { 0 };
		unsigned char hello[LT_UDP_HDR], in[2048];
		struct lt_udp_hdr h = { .kind = LT_UDP_HELLO };
		int64_t until, deadline, tick = 0, t0;
		int go = 0, done = 0;

		memcpy(h.token, c->token, LT_TOKEN);
		until = now_ms() + 5000;
		while (!go && now_ms() < until) {   /* until the server has our UDP address */
			h.send_ns = lt_now_ns();
			lt_udp_put(hello, &h);
			send(c->udp, hello, sizeof(hello), 0);
			if (lt_recv_line(c->ctl, line, sizeof(line), now_ms() + 100) == 0) {
				if (strcmp(line, "GO") == 0)
					go = 1;
				else {
					snprintf(r->err, ERRLEN, "%s: the server says: %s", label,
					    strncmp(line, "ERR ", 4) == 0 ? line + 4 : line);
					goto out;
				}
			} else if (errno != ETIMEDOUT) {
				ctl_lost(c, label, r->err);
				goto out;
			}
		}
		if (!go && answer_go(c, 2000, label, r->err) < 0)
			goto out;
		t0 = now_ms();
		deadline = t0 + c->time_ms + 15000;
		until = 0;
		while (now_ms() < deadline && (!done || now_ms() < until)) {
			struct pollfd p[2] = { { c->udp, POLLIN, 0 }, { c->ctl, done ? 0 : POLLIN, 0 } };

			progress(c, label, t0, &tick, rx.bytes, rx.have ? (rx.last_ns - rx.first_ns) / 1000000 : 0);
			if (poll(p, 2, 100) <= 0)
				continue;
			if (p[0].revents) {
				int k;
				for (k = 0; k < 256; k++) {
					struct lt_udp_hdr d;
					ssize_t n = recv(c->udp, in, sizeof(in), MSG_DONTWAIT);
					if (n < 0)
						break;
					if (lt_udp_get(in, (size_t)n, &d) == 0 && d.kind == LT_UDP_DATA &&
					    memcmp(d.token, c->token, LT_TOKEN) == 0)
						lt_udp_rx_add(&rx, d.seq, d.send_ns, lt_now_ns(), (size_t)n);
				}
			}
			if (!done && p[1].revents) {
				if (answer(c, line, sizeof(line), 5000, label, r->err) < 0)
					goto out;
				if (res_u64(line, "sent", 1LL << 50, &r->sent) < 0)
					goto out;   /* malformed */
				done = 1;
				until = now_ms() + 500 + (long)(2 * lt_rtt_avg(&c->echo));   /* stragglers */
			}
		}
		if (!done) {
			snprintf(r->err, ERRLEN, "%s: the server did not finish", label);
			goto out;
		}
		r->received = rx.packets;
		r->bytes = rx.bytes;
		r->ooo = rx.ooo;
		r->jitter_ms = rx.jitter_ns / 1e6;
		r->secs = rx.have ? (double)(rx.last_ns - rx.first_ns) / 1e9 : 0;
	}
	r->loss_pct = lt_loss_pct(r->sent, r->received);
	r->mbps = (double)r->bytes * 8 / ((double)c->time_ms / 1e3) / 1e6;   /* over the sending time */
	r->ok = 1;
	rc = 0;
out:
	phase_end(c, rc, r->err, label, line);
	return rc;
}

static double
tcp_rate_for(const struct linktest_client *c, int up)
{
	double best = 0;
	int i;

	for (i = 0; i < c->ntcp; i++)
		if (c->tcp[i].ok && c->tcp[i].up == up && c->tcp[i].mbps > best)
			best = c->tcp[i].mbps;
	return best * 1e6;
}

static void
phase_tcp(struct linktest_client *c)
{
	int plan[4][2] = { { 1, 1 }, { 0, 1 }, { 1, 0 }, { 0, 0 } }, i, n = c->streams;

	if (n > c->maxstreams)
		n = (int)c->maxstreams;
	plan[2][1] = plan[3][1] = n;
	for (i = 0; i < (n > 1 ? 4 : 2) && !c->lost; i++) {
		struct linktest_tcp_res *r = &c->tcp[c->ntcp++];
		if (run_tcp(c, plan[i][0], plan[i][1], r) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, r->err);
			c->failed = 1;
		}
	}
}

static void
phase_udp(struct linktest_client *c)
{
	int up;

	for (up = 1; up >= 0 && !c->lost; up--) {
		struct linktest_udp_res *r = &c->udpr[c->nudp++];
		uint64_t rate = c->udp_rate;
		if (!rate)
			rate = (uint64_t)tcp_rate_for(c, up);
		if (!rate)
			rate = 10000000;   /* no TCP figure to follow */
		if (rate > (uint64_t)c->maxrate)
			rate = (uint64_t)c->maxrate;
		if (run_udp(c, up, rate, r) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, r->err);
			c->failed = 1;
		}
	}
}

int
linktest_client_run(struct linktest_client *c)
{
	if (resolve_and_connect(c) < 0 || handshake(c) < 0)
		return -1;
	if (c->time_ms > c->maxtime * 1000) {
		fprintf(stderr, "%s: the server allows at most %lld s per phase: using that\n", applet_name, c->maxtime);
		c->time_ms = (long)c->maxtime * 1000;
	}
	if ((c->phases & LINKTEST_PH_UDP) && c->iperf3 != 1) {   /* iperf3's phases open their own */
		c->udp = socket(c->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c->udp < 0 || connect(c->udp, (struct sockaddr *)&c->dst, net_addr_len(&c->dst)) < 0) {
			fprintf(stderr, "%s: cannot open a UDP socket to %s: %s\n", applet_name, c->dst_str, strerror(errno));
			return -1;
		}
		{
			int big = 4 << 20;
			setsockopt(c->udp, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		}
	}
	if (c->phases & LINKTEST_PH_INFO)
		phase_info(c);
	if (c->phases & LINKTEST_PH_LATENCY) {
		if (phase_latency(c) < 0)
			return -1;
	}
	if (c->phases & LINKTEST_PH_ROUTE)
		phase_route(c);
	if (c->phases & LINKTEST_PH_TCP)
		phase_tcp(c);
	if (c->phases & LINKTEST_PH_UDP)
		phase_udp(c);
	if (c->lost) {
		fprintf(stderr, "%s: the control connection to %s was lost: the report is incomplete\n",
		    applet_name, c->dst_str);
		c->failed = 1;
	}
	if (c->ctl >= 0)
		lt_send_line(c->ctl, "BYE");
	return 0;
}
