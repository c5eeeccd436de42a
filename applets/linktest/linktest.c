/*
 * linktest: latency, jitter, loss, bandwidth both ways and the route, with
 * this one binary on both ends (no iperf3, hping3 or traceroute).
 *
 *   xwpf linktest --server [--listen ADDR:PORT] [--key KEY]    (linktest_server.c)
 *   xwpf linktest HOST[:PORT] [--time S] [--streams N] [--json] ...
 *
 * The client speaks the protocol of lib/linktest/lt.h: one control connection, and
 * every test stream and datagram to the same HOST:PORT, so a relay chain in
 * front of the server is measured end to end.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "applet.h"
#include "json.h"
#include "linktest.h"
#include "lt.h"
#include "net.h"
#include "util.h"

const char linktest_usage[] =
    "usage: xwpf linktest HOST[:PORT] [OPTIONS]       measure the link to a linktest server\n"
    "       xwpf linktest --server [SERVER OPTIONS]   answer linktest clients\n"
    "\n"
    "Client (the server's port defaults to 5210):\n"
    "  --time S          length of each throughput phase (default 5; e.g. 3, 500ms)\n"
    "  --streams N       TCP streams of the parallel phase (default 4; 1: single only)\n"
    "  --udp-rate RATE   UDP send rate in bit/s, e.g. 50M (default: the measured TCP rate)\n"
    "  --udp-size BYTES  UDP datagram size, 64..1472 (default 1200)\n"
    "  --count N         latency probes of each kind (default 10)\n"
    "  --only LIST       phases, comma separated: info,latency,route,tcp,udp (default all)\n"
    "  --no-route        skip the route phase\n"
    "  --key KEY         shared key (or --key-file FILE, or $XWPF_LINKTEST_KEY)\n"
    "  --json[=FILE]     JSON on stdout; with FILE, JSON to FILE and the table on stdout\n"
    "\n"
    "Server:\n"
    "  --listen ADDR:PORT  where to listen, TCP and UDP (default [::]:5210 with a key,\n"
    "                      127.0.0.1:5210 without; PORT alone: that port there)\n"
    "  --key KEY           clients must prove this key (HMAC-SHA256 challenge; or\n"
    "                      --key-file FILE, or $XWPF_LINKTEST_KEY); without a key:\n"
    "                      loopback only, unless --listen names an address (it then warns)\n"
    "  --max-time S        longest test phase a client may ask for (default 30)\n"
    "  --max-streams N     most TCP streams per test (default 16)\n"
    "  --max-clients N     most clients at once (default 4)\n"
    "  --max-rate RATE     fastest UDP rate a client may ask for (default 1G)\n"
    "  --budget SIZE       traffic per client address (IPv6: per /64) and hour, both\n"
    "                      ways, e.g. 10G (default no limit); then refused, with why\n"
    "  --total-budget SIZE traffic of all clients per hour (default no limit)\n"
    "  --quiet             no log lines\n"
    "\n"
    "TCP Mbit/s leave out the first tenth of each phase (at most 1 s: the ramp-up,\n"
    "like iperf3 --omit); JSON also has mbps_all over the whole phase.\n"
    "Phases: system facts of both ends; latency (TCP connect round trips, ICMP echo\n"
    "where net.ipv4.ping_group_range allows it, echo over the control connection);\n"
    "route (UDP probes with rising TTL, no root needed); TCP upload and download,\n"
    "single and N streams, with retransmits; UDP both ways with loss and jitter.\n"
    "A connection has 3 s to authenticate, and only then takes a client's place;\n"
    "one address holds at most 8 connections that have not. System facts go only\n"
    "to authenticated clients.\n"
    "Progress bars show on a terminal only. Through a relay chain, aim at the relay\n"
    "port that leads to the server: every connection and datagram goes there.\n"
    "Exit codes: 0 ok, 1 failure (or a phase failed), 2 usage.\n";

enum { PH_INFO = 1, PH_LATENCY = 2, PH_ROUTE = 4, PH_TCP = 8, PH_UDP = 16, PH_ALL = 31 };

struct tcp_res {
	int up, streams;
	int ok;
	uint64_t bytes, retrans;
	double secs, mbps;       /* mbps: the steady part, TCP's ramp-up left out */
	double mbps_all;         /* bytes over the whole phase */
	char err[ERRLEN];
};

struct udp_res {
	int up, ok;
	double rate_mbps, mbps, loss_pct, jitter_ms, secs;
	uint64_t sent, received, bytes, ooo;
	char err[ERRLEN];
};

struct client {
	/* options */
	char host[HOST_MAX];
	uint16_t port;
	long time_ms;
	int streams, udp_size, count, phases;
	uint64_t udp_rate;
	const char *key;
	int json;
	const char *json_file;
	/* connection */
	struct sockaddr_storage dst;
	char dst_str[80], seen_as[64];
	int ctl, udp, tty;
	uint8_t token[LT_TOKEN];
	long long maxtime, maxstreams, maxrate;
	/* results */
	int have_sys;
	struct lt_sys local, remote;
	int have_lat, icmp_ok;
	struct lt_rtt conn, icmp, echo;
	char icmp_err[ERRLEN];
	int have_route, nhops;
	struct lt_hop hops[LT_MAX_HOPS];
	char route_err[ERRLEN];
	struct tcp_res tcp[4];
	int ntcp;
	struct udp_res udpr[2];
	int nudp;
	int failed;
	int lost;               /* the control connection is gone: no more phases */
	char bar_label[32], bar_extra[32];
};

/* ---- progress on a terminal ---- */

static void
bar(struct client *c, const char *label, double frac, const char *extra)
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
bar_end(struct client *c)
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

/* ---- helpers ---- */

static int
parse_rate(const char *s, uint64_t *out)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1e3; end++; break;
	case 'm': case 'M': mul = 1e6; end++; break;
	case 'g': case 'G': mul = 1e9; end++; break;
	}
	if (strcmp(end, "bit") == 0 || strcmp(end, "bps") == 0 || strcmp(end, "bit/s") == 0)
		end += strlen(end);
	if (*end || v * mul < 1000 || v * mul > 1e11)
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
}

/* Non-blocking connect within timeout_ms; the socket stays non-blocking. */
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
answer(struct client *c, char *line, size_t size, long wait_ms, const char *what, char *err)
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
answer_go(struct client *c, long wait_ms, const char *label, char *err)
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
ctl_lost(struct client *c, const char *label, char *err)
{
	c->lost = 1;
	snprintf(err, ERRLEN, "%s: control connection lost: %s", label, strerror(errno));
}

/* A phase's command on the control connection; -1 with err (and c->lost) when it cannot go. */
static int __attribute__((format(printf, 4, 5)))
ctl_send(struct client *c, const char *label, char *err, const char *fmt, ...)
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

static int
resolve_and_connect(struct client *c)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char port[8];
	int rc, e = 0;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", c->port);
	if ((rc = getaddrinfo(c->host, port, &hints, &res)) != 0) {
		hints.ai_flags = 0;
		if ((rc = getaddrinfo(c->host, port, &hints, &res)) != 0) {
			fprintf(stderr, "%s: cannot resolve '%s': %s (check the host name)\n", applet_name, c->host,
			    gai_strerror(rc));
			return -1;
		}
	}
	for (ai = res; ai; ai = ai->ai_next) {
		memset(&c->dst, 0, sizeof(c->dst));
		memcpy(&c->dst, ai->ai_addr, ai->ai_addrlen);
		if ((c->ctl = tcp_connect(&c->dst, 5000)) >= 0)
			break;
		e = errno;
	}
	freeaddrinfo(res);
	net_addr_str(&c->dst, c->dst_str, sizeof(c->dst_str));
	if (c->ctl < 0) {
		fprintf(stderr, "%s: cannot connect to %s: %s (is 'xwpf linktest --server' running there, "
		    "and the port open?)\n", applet_name, c->dst_str, strerror(e));
		return -1;
	}
	return 0;
}

static int
handshake(struct client *c)
{
	char line[LT_LINE], snonce[40], cnonce[2 * LT_NONCE + 1], mac[LT_MACHEX], smac[80], tok[40];
	unsigned char raw[LT_NONCE];
	long long skey = 0;

	if (lt_send_line(c->ctl, "XWLT %d control", LT_PROTO) < 0 ||
	    lt_recv_line(c->ctl, line, sizeof(line), now_ms() + 10000) < 0) {
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
	    lt_field_num(line, "maxstreams", 1, LT_STREAMS_CAP, &c->maxstreams) < 0 ||
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
phase_info(struct client *c)
{
	char line[LT_LINE], err[ERRLEN];
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);

	getsockname(c->ctl, (struct sockaddr *)&local, &sl);
	lt_sys_get(&c->local, &local);
	if (lt_send_line(c->ctl, "INFO") < 0 || answer(c, line, sizeof(line), 10000, "system facts", err) < 0 ||
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
lat_done(struct client *c, const char *label, const struct lt_rtt *r)
{
	char x[32];

	snprintf(x, sizeof(x), r->received ? "avg %.3f ms" : "no answer", lt_rtt_avg(r));
	bar(c, label, 1, x);
	bar_end(c);
}

static int
phase_latency(struct client *c)
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
	for (i = 0; i < c->count; i++) {
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
	lat_done(c, "latency: control echo", &c->echo);
	c->have_lat = 1;
	return 0;
}

static void
route_tick(int ttl, void *arg)
{
	struct client *c = arg;
	char s[24];

	snprintf(s, sizeof(s), "hop %d", ttl);
	bar(c, "route", (double)ttl / LT_MAX_HOPS, s);
}

static void
phase_route(struct client *c)
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
progress(struct client *c, const char *label, int64_t t0, int64_t *tick, uint64_t bytes, int64_t ms)
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
static int
run_tcp(struct client *c, int up, int n, struct tcp_res *r)
{
	char line[LT_LINE], label[40], tok[2 * LT_TOKEN + 1];
	int fds[LT_STREAMS_CAP], i, open = 0, rc = -1;
	unsigned char *buf = NULL;
	long long v;
	int64_t t0, tick = 0, steady_us = 0;
	uint64_t moved = 0, steady = 0;
	struct lt_tcp_rx rx;

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
		struct pollfd p[LT_STREAMS_CAP];

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
			goto bad;
		r->secs = (double)v / 1e6;
		steady = r->bytes;
		steady_us = v;
		if (res_u64(line, "sbytes", 1LL << 60, &steady) == 0) {
			if (lt_field_num(line, "sus", 0, 1LL << 50, &v) < 0)
				goto bad;
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
		struct pollfd p[LT_STREAMS_CAP];
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
			goto bad;
		r->bytes = rx.bytes;
		r->secs = (double)lt_tcp_rx_us(&rx) / 1e6;
		lt_tcp_rx_steady(&rx, &steady, &steady_us);
	}
	r->mbps_all = r->secs > 0 ? (double)r->bytes * 8 / r->secs / 1e6 : 0;
	r->mbps = steady_us > 0 ? (double)steady * 8 / (double)steady_us : r->mbps_all;
	r->ok = 1;
	rc = 0;
	goto out;
bad:
	snprintf(r->err, ERRLEN, "%s: malformed result '%.60s'", label, line);
out:
	bar_end(c);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(buf);
	return rc;
}

static int
udp_tick(uint64_t bytes, int64_t ms, void *arg)
{
	struct client *c = arg;
	struct pollfd p = { .fd = c->ctl, .events = POLLIN };
	char extra[32];

	rate_text(extra, sizeof(extra), bytes, ms);
	bar(c, "udp upload", (double)ms / c->time_ms, extra);
	return poll(&p, 1, 0) > 0;   /* the server speaks before DONE: it stopped the test (its budget) */
}

static int
run_udp(struct client *c, int up, uint64_t rate, struct udp_res *r)
{
	char line[LT_LINE];
	const char *label = up ? "udp upload" : "udp download";
	int rc = -1;

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
		r->sent = lt_udp_blast(c->udp, NULL, NULL, 0, c->token, rate, c->udp_size, (int)c->time_ms, &bytes, udp_tick, c);
		bar(c, label, 1, "draining");
		pause_ms(grace > 3000 ? 3000 : grace);
		if (ctl_send(c, label, r->err, "DONE sent=%llu", (unsigned long long)r->sent) < 0 ||
		    answer(c, line, sizeof(line), 15000, label, r->err) < 0)
			goto out;
		if (res_u64(line, "packets", 1LL << 50, &r->received) < 0 || res_u64(line, "bytes", 1LL << 60, &r->bytes) < 0 ||
		    res_u64(line, "ooo", 1LL << 50, &r->ooo) < 0 || res_scaled(line, "jitter_us", 1e3, &r->jitter_ms) < 0 ||
		    res_scaled(line, "us", 1e6, &r->secs) < 0)
			goto bad;
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
					goto bad;
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
	goto out;
bad:
	snprintf(r->err, ERRLEN, "%s: malformed result '%.60s'", label, line);
out:
	bar_end(c);
	return rc;
}

static double
tcp_rate_for(const struct client *c, int up)
{
	double best = 0;
	int i;

	for (i = 0; i < c->ntcp; i++)
		if (c->tcp[i].ok && c->tcp[i].up == up && c->tcp[i].mbps > best)
			best = c->tcp[i].mbps;
	return best * 1e6;
}

static void
phase_tcp(struct client *c)
{
	int plan[4][2] = { { 1, 1 }, { 0, 1 }, { 1, 0 }, { 0, 0 } }, i, n = c->streams;

	if (n > c->maxstreams)
		n = (int)c->maxstreams;
	plan[2][1] = plan[3][1] = n;
	for (i = 0; i < (n > 1 ? 4 : 2) && !c->lost; i++) {
		struct tcp_res *r = &c->tcp[c->ntcp++];
		if (run_tcp(c, plan[i][0], plan[i][1], r) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, r->err);
			c->failed = 1;
		}
	}
}

static void
phase_udp(struct client *c)
{
	int up;

	for (up = 1; up >= 0 && !c->lost; up--) {
		struct udp_res *r = &c->udpr[c->nudp++];
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

/* ---- the report ---- */

static void
rtt_row(FILE *f, const char *name, const struct lt_rtt *r)
{
	if (r->received == 0) {
		fprintf(f, "  %-16s %8s %8s %8s %8s %8s  %5.1f%% (%d/%d)\n", name, "-", "-", "-", "-", "-",
		    lt_rtt_loss_pct(r), r->sent - r->received, r->sent);
		return;
	}
	fprintf(f, "  %-16s %8.3f %8.3f %8.3f %8.3f %8.3f  %5.1f%% (%d/%d)\n", name, r->min, lt_rtt_avg(r), r->max,
	    lt_rtt_stddev(r), r->max - r->min, lt_rtt_loss_pct(r), r->sent - r->received, r->sent);
}

static void
print_table(const struct client *c, FILE *f)
{
	int i;

	fprintf(f, "linktest to %s (this end seen as %s)\n", c->dst_str, c->seen_as);
	if (c->have_sys) {
		const struct lt_sys *l = &c->local, *r = &c->remote;
		fprintf(f, "\nsystem              %-30s %s\n", "local", "remote");
		fprintf(f, "  kernel            %-30s %s\n", l->kernel, r->kernel);
		fprintf(f, "  congestion        %-30s %s\n", l->cc, r->cc);
		fprintf(f, "  qdisc             %-30s %s\n", l->qdisc, r->qdisc);
		fprintf(f, "  device            %-30s %s\n", l->dev, r->dev);
		fprintf(f, "  tcp_rmem          %-30s %s\n", l->tcp_rmem, r->tcp_rmem);
		fprintf(f, "  tcp_wmem          %-30s %s\n", l->tcp_wmem, r->tcp_wmem);
		fprintf(f, "  rmem_max          %-30s %s\n", l->rmem_max, r->rmem_max);
		fprintf(f, "  wmem_max          %-30s %s\n", l->wmem_max, r->wmem_max);
	}
	if (c->have_lat) {
		fprintf(f, "\nlatency (ms)            min      avg      max   stddev  max-min   loss\n");
		rtt_row(f, "tcp connect", &c->conn);
		if (c->icmp_ok)
			rtt_row(f, "icmp echo", &c->icmp);
		else
			fprintf(f, "  %-16s unavailable: %s\n", "icmp echo", c->icmp_err);
		rtt_row(f, "control echo", &c->echo);
	}
	if (c->have_route) {
		int reached = c->nhops > 0 && c->hops[c->nhops - 1].reached;
		if (*c->route_err)
			fprintf(f, "\nroute: failed: %s\n", c->route_err);
		else
			fprintf(f, "\nroute: %d hops%s\n", c->nhops, reached ? ", destination reached" :
			    ", destination not reached");
		for (i = 0; i < c->nhops; i++) {
			const struct lt_hop *h = &c->hops[i];
			if (!h->answered)
				fprintf(f, "  %2d  %-40s *\n", h->ttl, "*");
			else
				fprintf(f, "  %2d  %-40s %8.3f ms  (%d/%d)%s%s%s\n", h->ttl, h->addr, h->rtt_min, h->answered,
				    h->probes, h->reached ? "  destination" : "", h->unreachable ? "  unreachable" : "",
				    h->detour ? "  detour?" : "");
		}
	}
	if (c->ntcp) {
		fprintf(f, "\ntcp                     Mbit/s  retrans   seconds         bytes\n");
		for (i = 0; i < c->ntcp; i++) {
			const struct tcp_res *r = &c->tcp[i];
			char name[32];
			snprintf(name, sizeof(name), "%s %d stream%s", r->up ? "upload" : "download", r->streams,
			    r->streams > 1 ? "s" : "");
			if (!r->ok)
				fprintf(f, "  %-20s failed: %s\n", name, r->err);
			else
				fprintf(f, "  %-20s %8.1f %8llu %9.2f %13llu\n", name, r->mbps,
				    (unsigned long long)r->retrans, r->secs, (unsigned long long)r->bytes);
		}
	}
	if (c->nudp) {
		fprintf(f, "\nudp                       rate   Mbit/s    loss    lost/sent  jitter ms  reordered\n");
		for (i = 0; i < c->nudp; i++) {
			const struct udp_res *r = &c->udpr[i];
			if (!r->ok)
				fprintf(f, "  %-20s failed: %s\n", r->up ? "upload" : "download", r->err);
			else
				fprintf(f, "  %-20s %8.1f %8.1f %6.2f%% %6llu/%-6llu %9.3f %10llu\n",
				    r->up ? "upload" : "download", r->rate_mbps, r->mbps, r->loss_pct,
				    (unsigned long long)(r->sent > r->received ? r->sent - r->received : 0),
				    (unsigned long long)r->sent, r->jitter_ms, (unsigned long long)r->ooo);
		}
	}
}

static void
jnum(FILE *f, int *first, const char *k, double v)
{
	if (!*first)
		fputc(',', f);
	*first = 0;
	json_str(f, k);
	fprintf(f, ":%.3f", v);
}

static void
json_rtt(FILE *f, int *first, const char *name, const struct lt_rtt *r)
{
	int g = 1;

	if (!*first)
		fputc(',', f);
	*first = 0;
	json_str(f, name);
	fputs(":{", f);
	json_kv_num(f, &g, "sent", r->sent);
	json_kv_num(f, &g, "received", r->received);
	jnum(f, &g, "loss_pct", lt_rtt_loss_pct(r));
	if (r->received) {
		jnum(f, &g, "min_ms", r->min);
		jnum(f, &g, "avg_ms", lt_rtt_avg(r));
		jnum(f, &g, "max_ms", r->max);
		jnum(f, &g, "stddev_ms", lt_rtt_stddev(r));
		jnum(f, &g, "range_ms", r->max - r->min);
	}
	fputc('}', f);
}

static void
json_sys(FILE *f, const char *name, const struct lt_sys *s, int first)
{
	int g = 1;

	if (!first)
		fputc(',', f);
	json_str(f, name);
	fputs(":{", f);
	json_kv_str(f, &g, "kernel", s->kernel);
	json_kv_str(f, &g, "congestion_control", s->cc);
	json_kv_str(f, &g, "qdisc", s->qdisc);
	json_kv_str(f, &g, "device", s->dev);
	json_kv_str(f, &g, "tcp_rmem", s->tcp_rmem);
	json_kv_str(f, &g, "tcp_wmem", s->tcp_wmem);
	json_kv_str(f, &g, "rmem_max", s->rmem_max);
	json_kv_str(f, &g, "wmem_max", s->wmem_max);
	fputc('}', f);
}

/* One TCP or UDP result in the JSON list: opened with its direction, closed
 * with the error when it failed. */
static void
json_res_begin(FILE *f, int i, int *k, int up)
{
	fputs(i ? ",{" : "{", f);
	*k = 1;
	json_kv_str(f, k, "direction", up ? "upload" : "download");
}

static void
json_res_end(FILE *f, int *k, int ok, const char *err)
{
	if (!ok)
		json_kv_str(f, k, "error", err);
	fputc('}', f);
}

static void
print_json(const struct client *c, FILE *f)
{
	int first = 1, i, g;

	fputc('{', f);
	json_kv_num(f, &first, "version", LT_PROTO);
	json_kv_str(f, &first, "target", c->dst_str);
	json_kv_str(f, &first, "seen_as", c->seen_as);
	json_kv_bool(f, &first, "ok", !c->failed);
	json_kv_num(f, &first, "phase_ms", c->time_ms);
	if (c->have_sys) {
		fputs(",\"system\":{", f);
		json_sys(f, "local", &c->local, 1);
		json_sys(f, "remote", &c->remote, 0);
		fputc('}', f);
	}
	if (c->have_lat) {
		g = 1;
		fputs(",\"latency\":{", f);
		json_rtt(f, &g, "tcp_connect", &c->conn);
		if (c->icmp_ok)
			json_rtt(f, &g, "icmp", &c->icmp);
		else {
			fputs(",\"icmp\":{", f);
			int h = 1;
			json_kv_bool(f, &h, "available", 0);
			json_kv_str(f, &h, "error", c->icmp_err);
			fputc('}', f);
		}
		json_rtt(f, &g, "control_echo", &c->echo);
		fputc('}', f);
	}
	if (c->have_route) {
		g = 1;
		fputs(",\"route\":{", f);
		json_kv_num(f, &g, "hops", c->nhops);
		json_kv_bool(f, &g, "reached", c->nhops > 0 && c->hops[c->nhops - 1].reached);
		json_kv_str(f, &g, "error", c->route_err);
		fputs(",\"list\":[", f);
		for (i = 0; i < c->nhops; i++) {
			const struct lt_hop *h = &c->hops[i];
			int k = 1;
			fputs(i ? ",{" : "{", f);
			json_kv_num(f, &k, "ttl", h->ttl);
			json_kv_str(f, &k, "address", h->addr);
			json_kv_num(f, &k, "probes", h->probes);
			json_kv_num(f, &k, "answered", h->answered);
			if (h->answered) {
				jnum(f, &k, "rtt_ms", h->rtt_min);
				jnum(f, &k, "rtt_avg_ms", h->rtt_avg);
			}
			json_kv_bool(f, &k, "destination", h->reached);
			json_kv_bool(f, &k, "unreachable", h->unreachable);
			json_kv_bool(f, &k, "detour", h->detour);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs(",\"tcp\":[", f);
	for (i = 0; i < c->ntcp; i++) {
		const struct tcp_res *r = &c->tcp[i];
		int k;
		json_res_begin(f, i, &k, r->up);
		json_kv_num(f, &k, "streams", r->streams);
		json_kv_bool(f, &k, "ok", r->ok);
		if (r->ok) {
			jnum(f, &k, "mbps", r->mbps);
			jnum(f, &k, "mbps_all", r->mbps_all);
			json_kv_num(f, &k, "bytes", (long long)r->bytes);
			jnum(f, &k, "seconds", r->secs);
			json_kv_num(f, &k, "retransmits", (long long)r->retrans);
		}
		json_res_end(f, &k, r->ok, r->err);
	}
	fputs("],\"udp\":[", f);
	for (i = 0; i < c->nudp; i++) {
		const struct udp_res *r = &c->udpr[i];
		int k;
		json_res_begin(f, i, &k, r->up);
		json_kv_bool(f, &k, "ok", r->ok);
		if (r->ok) {
			jnum(f, &k, "rate_mbps", r->rate_mbps);
			jnum(f, &k, "mbps", r->mbps);
			json_kv_num(f, &k, "sent", (long long)r->sent);
			json_kv_num(f, &k, "received", (long long)r->received);
			json_kv_num(f, &k, "lost", (long long)(r->sent > r->received ? r->sent - r->received : 0));
			jnum(f, &k, "loss_pct", r->loss_pct);
			jnum(f, &k, "jitter_ms", r->jitter_ms);
			json_kv_num(f, &k, "reordered", (long long)r->ooo);
			json_kv_num(f, &k, "bytes", (long long)r->bytes);
			jnum(f, &k, "seconds", r->secs);
		}
		json_res_end(f, &k, r->ok, r->err);
	}
	fputs("]}\n", f);
}

/* ---- command line ---- */

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if this is not --name. */
static const char *
optval(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

/* v as a whole number from lo to hi into *out: 0, or -1 leaving *out alone. */
static int
int_opt(const char *v, long lo, long hi, int *out)
{
	long n;

	if (parse_long(v, lo, hi, &n) < 0)
		return -1;
	*out = (int)n;
	return 0;
}

static int
usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", applet_name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see xwpf linktest --help)\n");
	return EXIT_USAGE;
}

static int
parse_target(struct client *c, const char *s)
{
	struct hostport hp;
	char err[ERRLEN];
	const char *colon = strchr(s, ':');

	c->port = LT_PORT;
	if (s[0] == '[' || (colon && !strchr(colon + 1, ':'))) {
		if (hostport_parse(s, 0, &hp, err) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, err);
			return -1;
		}
		snprintf(c->host, sizeof(c->host), "%s", hp.host);
		c->port = hp.port;
		return 0;
	}
	if (!colon && !hostname_valid(s) && !addr_family_of(s)) {
		fprintf(stderr, "%s: '%s' is neither an IP address nor a host name\n", applet_name, s);
		return -1;
	}
	if (colon && addr_family_of(s) != 6) {
		fprintf(stderr, "%s: '%s': write IPv6 addresses in brackets, as [ADDR]:PORT\n", applet_name, s);
		return -1;
	}
	if (str_copy(c->host, sizeof(c->host), s) < 0) {
		fprintf(stderr, "%s: the host name is too long\n", applet_name);
		return -1;
	}
	return 0;
}

static char keybuf[1024];

static const char *
read_key_file(const char *path)
{
	char *s = file_read(path, NULL);

	if (!s) {
		fprintf(stderr, "%s: cannot read the key file %s: %s\n", applet_name, path, strerror(errno));
		return NULL;
	}
	s[strcspn(s, "\r\n")] = '\0';
	if (!*s || str_copy(keybuf, sizeof(keybuf), s) < 0) {
		fprintf(stderr, "%s: the key file %s is empty or its first line is too long\n", applet_name, path);
		free(s);
		return NULL;
	}
	free(s);
	return keybuf;
}

static int
parse_only(const char *s, int *out)
{
	char buf[128], *tok, *save = NULL;

	if (str_copy(buf, sizeof(buf), s) < 0)
		return -1;
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "info") == 0) *out |= PH_INFO;
		else if (strcmp(tok, "latency") == 0) *out |= PH_LATENCY;
		else if (strcmp(tok, "route") == 0) *out |= PH_ROUTE;
		else if (strcmp(tok, "tcp") == 0) *out |= PH_TCP;
		else if (strcmp(tok, "udp") == 0) *out |= PH_UDP;
		else return -1;
	}
	return *out ? 0 : -1;
}

static int
server_main(int argc, char **argv)
{
	struct lt_server_opts o = { .listen = NULL, .key = "", .max_time_s = 30, .max_streams = 16, .max_clients = 4,
		.max_rate = 1000000000ULL };
	const char *v, *env = getenv("XWPF_LINKTEST_KEY");
	int i, missing = 0;

	if (env)
		o.key = env;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--server") == 0)
			continue;
		if (strcmp(argv[i], "--quiet") == 0)
			o.quiet = 1;
		else if ((v = optval(argc, argv, &i, "--listen", &missing)))
			o.listen = v;
		else if ((v = optval(argc, argv, &i, "--key", &missing)))
			o.key = v;
		else if ((v = optval(argc, argv, &i, "--key-file", &missing))) {
			if (!(o.key = read_key_file(v)))
				return EXIT_USAGE;
		} else if ((v = optval(argc, argv, &i, "--max-time", &missing))) {
			if (int_opt(v, 1, 3600, &o.max_time_s) < 0)
				return usage_err("--max-time '%s': give seconds, 1..3600", v);
		} else if ((v = optval(argc, argv, &i, "--max-streams", &missing))) {
			if (int_opt(v, 1, LT_STREAMS_CAP, &o.max_streams) < 0)
				return usage_err("--max-streams '%s': give a number from 1 to 64", v);
		} else if ((v = optval(argc, argv, &i, "--max-clients", &missing))) {
			if (int_opt(v, 1, LT_CLIENTS_CAP, &o.max_clients) < 0)
				return usage_err("--max-clients '%s': give a number from 1 to 64", v);
		} else if ((v = optval(argc, argv, &i, "--max-rate", &missing))) {
			if (parse_rate(v, &o.max_rate) < 0)
				return usage_err("--max-rate '%s': give bits per second, e.g. 500M or 1G", v);
		} else if ((v = optval(argc, argv, &i, "--budget", &missing))) {
			if (parse_size(v, &o.budget) < 0 || o.budget < (1 << 20))
				return usage_err("--budget '%s': give bytes per hour, at least 1M, e.g. 10G", v);
		} else if ((v = optval(argc, argv, &i, "--total-budget", &missing))) {
			if (parse_size(v, &o.total_budget) < 0 || o.total_budget < (1 << 20))
				return usage_err("--total-budget '%s': give bytes per hour, at least 1M, e.g. 50G", v);
		} else if (missing)
			return usage_err("%s needs a value", argv[i]);
		else
			return usage_err("unknown server option '%s'", argv[i]);
	}
	if (missing)
		return usage_err("%s needs a value", argv[i - 1]);
	return lt_server_run(&o);
}

/* The client's command line into c: EXIT_OK, or EXIT_USAGE having said why. */
static int
client_opts(struct client *c, int argc, char **argv)
{
	const char *v, *target = NULL;
	int i, missing = 0;
	long n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-route") == 0)
			c->phases &= ~PH_ROUTE;
		else if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (strncmp(argv[i], "--json=", 7) == 0) {
			c->json = 1;
			c->json_file = argv[i] + 7;
		} else if ((v = optval(argc, argv, &i, "--time", &missing))) {
			if (parse_duration_ms(v, &n) < 0 || n < 100 || n > 3600000)
				return usage_err("--time '%s': give seconds (3) or milliseconds (500ms), at least 100ms", v);
			c->time_ms = n;
		} else if ((v = optval(argc, argv, &i, "--streams", &missing))) {
			if (int_opt(v, 1, LT_STREAMS_CAP, &c->streams) < 0)
				return usage_err("--streams '%s': give a number from 1 to 64", v);
		} else if ((v = optval(argc, argv, &i, "--udp-rate", &missing))) {
			if (parse_rate(v, &c->udp_rate) < 0)
				return usage_err("--udp-rate '%s': give bits per second, e.g. 50M, 800k, 1G", v);
		} else if ((v = optval(argc, argv, &i, "--udp-size", &missing))) {
			if (int_opt(v, LT_UDP_MIN, LT_UDP_MAX, &c->udp_size) < 0)
				return usage_err("--udp-size '%s': give bytes, 64..1472", v);
		} else if ((v = optval(argc, argv, &i, "--count", &missing))) {
			if (int_opt(v, 1, 1000, &c->count) < 0)
				return usage_err("--count '%s': give a number from 1 to 1000", v);
		} else if ((v = optval(argc, argv, &i, "--only", &missing))) {
			if (parse_only(v, &c->phases) < 0)
				return usage_err("--only '%s': list phases from info,latency,route,tcp,udp", v);
		} else if ((v = optval(argc, argv, &i, "--key", &missing)))
			c->key = v;
		else if ((v = optval(argc, argv, &i, "--key-file", &missing))) {
			if (!(c->key = read_key_file(v)))
				return EXIT_USAGE;
		} else if (missing)
			return usage_err("%s needs a value", argv[i]);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_err("unknown option '%s'", argv[i]);
		else if (target)
			return usage_err("one HOST[:PORT] only ('%s' is extra)", argv[i]);
		else
			target = argv[i];
	}
	if (!target)
		return usage_err("%s", "give the server as HOST[:PORT], or --server to be one");
	return parse_target(c, target) < 0 ? EXIT_USAGE : EXIT_OK;
}

static int
client_main(int argc, char **argv)
{
	struct client *c = calloc(1, sizeof(*c));
	const char *env = getenv("XWPF_LINKTEST_KEY");
	int rc = EXIT_FAIL;
	FILE *jf = NULL;

	if (!c) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		return EXIT_FAIL;
	}
	c->ctl = c->udp = -1;
	c->time_ms = 5000;
	c->streams = 4;
	c->udp_size = 1200;
	c->count = 10;
	c->phases = PH_ALL;
	c->key = env ? env : "";
	if ((rc = client_opts(c, argc, argv)) != EXIT_OK)
		goto out;
	rc = EXIT_FAIL;
	if (c->json && !c->json_file)
		c->tty = 0;
	else
		c->tty = isatty(STDOUT_FILENO);
	if (c->json_file) {
		char err[ERRLEN];
		int fd = file_open_own(c->json_file, O_TRUNC, 0644, err);

		if (fd < 0 || !(jf = fdopen(fd, "w"))) {
			fprintf(stderr, "%s: %s\n", applet_name, fd < 0 ? err : strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}
	if (resolve_and_connect(c) < 0 || handshake(c) < 0)
		goto out;
	if (c->time_ms > c->maxtime * 1000) {
		fprintf(stderr, "%s: the server allows at most %lld s per phase: using that\n", applet_name, c->maxtime);
		c->time_ms = (long)c->maxtime * 1000;
	}
	if (c->phases & PH_UDP) {
		c->udp = socket(c->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c->udp < 0 || connect(c->udp, (struct sockaddr *)&c->dst, net_addr_len(&c->dst)) < 0) {
			fprintf(stderr, "%s: cannot open a UDP socket to %s: %s\n", applet_name, c->dst_str, strerror(errno));
			goto out;
		}
		{
			int big = 4 << 20;
			setsockopt(c->udp, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		}
	}
	if (c->phases & PH_INFO)
		phase_info(c);
	if (c->phases & PH_LATENCY) {
		if (phase_latency(c) < 0)
			goto out;
	}
	if (c->phases & PH_ROUTE)
		phase_route(c);
	if (c->phases & PH_TCP)
		phase_tcp(c);
	if (c->phases & PH_UDP)
		phase_udp(c);
	if (c->lost) {
		fprintf(stderr, "%s: the control connection to %s was lost: the report is incomplete\n",
		    applet_name, c->dst_str);
		c->failed = 1;
	}
	lt_send_line(c->ctl, "BYE");
	if (c->json && !c->json_file)
		print_json(c, stdout);
	else {
		print_table(c, stdout);
		if (jf)
			print_json(c, jf);
	}
	rc = c->failed ? EXIT_FAIL : EXIT_OK;
out:
	if (jf && fclose(jf) != 0 && rc == EXIT_OK) {
		fprintf(stderr, "%s: writing %s failed: %s\n", applet_name, c->json_file, strerror(errno));
		rc = EXIT_FAIL;
	}
	if (c->ctl >= 0)
		close(c->ctl);
	if (c->udp >= 0)
		close(c->udp);
	free(c);
	return rc;
}

int
linktest_main(int argc, char **argv)
{
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--server") == 0)
			return server_main(argc, argv);
	return client_main(argc, argv);
}
