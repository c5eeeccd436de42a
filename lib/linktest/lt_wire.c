/*
 * linktest wire protocol, statistics and system facts (lt.h).
 */
#include "lt.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"
#include "util.h"

/* ---- UDP datagram header: magic, kind, 3 pad, token, seq, send_ns ---- */

static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
lt_udp_put(unsigned char *buf, const struct lt_udp_hdr *h)
{
	uint32_t m = htonl(LT_UDP_MAGIC);

	memcpy(buf, &m, 4);
	buf[4] = h->kind;
	buf[5] = buf[6] = buf[7] = 0;
	memcpy(buf + 8, h->token, LT_TOKEN);
	put_be64(buf + 24, h->seq);
	put_be64(buf + 32, (uint64_t)h->send_ns);
}

int
lt_udp_get(const unsigned char *buf, size_t len, struct lt_udp_hdr *h)
{
	uint32_t m;

	if (len < LT_UDP_HDR)
		return -1;
	memcpy(&m, buf, 4);
	if (ntohl(m) != LT_UDP_MAGIC || (buf[4] != LT_UDP_HELLO && buf[4] != LT_UDP_DATA))
		return -1;
	h->kind = buf[4];
	memcpy(h->token, buf + 8, LT_TOKEN);
	h->seq = get_be64(buf + 24);
	h->send_ns = (int64_t)get_be64(buf + 32);
	return 0;
}

int64_t
lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- hex, randomness, HMAC ---- */

void
lt_hex(char *out, const unsigned char *in, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
lt_unhex(unsigned char *out, size_t n, const char *in)
{
	size_t i;

	if (strlen(in) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
lt_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void
lt_mac(char out[LT_MACHEX], const char *key, const char *role, const char *n1, const char *n2)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	unsigned char mac[32];

	br_hmac_key_init(&kc, &br_sha256_vtable, key, strlen(key));
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, "xwpf-linktest/1 ", 16);
	br_hmac_update(&hc, role, strlen(role));
	br_hmac_update(&hc, " ", 1);
	br_hmac_update(&hc, n1, strlen(n1));
	br_hmac_update(&hc, " ", 1);
	br_hmac_update(&hc, n2, strlen(n2));
	br_hmac_out(&hc, mac);
	lt_hex(out, mac, sizeof(mac));
}

int
lt_mac_eq(const char *a, const char *b)
{
	size_t i, n = strlen(a);
	unsigned diff = 0;

	if (n != strlen(b))
		return 0;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

/* ---- control lines ---- */

int
lt_recv_line(int fd, char *buf, size_t size, int64_t deadline_ms)
{
	size_t off = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline_ms - now_ms();
		ssize_t n;
		char *nl;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			continue;
		if (off + 1 >= size) {
			errno = EMSGSIZE;
			return -1;
		}
		n = recv(fd, buf + off, size - 1 - off, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		nl = memchr(buf + off, '\n', (size_t)n);
		if (nl)
			n = nl - (buf + off) + 1;
		n = recv(fd, buf + off, (size_t)n, MSG_DONTWAIT);   /* take what was peeked, no more */
		if (n <= 0)
			return -1;
		off += (size_t)n;
		if (nl) {
			buf[off - 1] = '\0';
			if (off >= 2 && buf[off - 2] == '\r')
				buf[off - 2] = '\0';
			return 0;
		}
	}
}

int
lt_send_line(int fd, const char *fmt, ...)
{
	char line[LT_LINE + 2];
	va_list ap;
	int n;
	size_t off = 0;
	int64_t deadline = now_ms() + 10000;

	va_start(ap, fmt);
	n = vsnprintf(line, LT_LINE, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= LT_LINE) {
		errno = EMSGSIZE;
		return -1;
	}
	line[n++] = '\n';
	while (off < (size_t)n) {
		ssize_t w = send(fd, line + off, (size_t)n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - now_ms();
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			poll(&p, 1, (int)left);
			continue;
		}
		off += (size_t)w;
	}
	return 0;
}

int
lt_field(const char *line, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t n = strcspn(v, " ");
			if (n >= size)
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		p += kl;
	}
	return -1;
}

int
lt_field_num(const char *line, const char *key, long long min, long long max, long long *out)
{
	char v[32], *end;
	long long n;

	if (lt_field(line, key, v, sizeof(v)) < 0 || !*v)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* ---- statistics ---- */

/* Newton's square root: keeps libm out of the glibc (sanitizer) link. */
static double
lt_sqrt(double x)
{
	double r = x > 1 ? x : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 200; i++) {
		double n = (r + x / r) / 2;
		if (n >= r)
			break;
		r = n;
	}
	return r;
}

static double
lt_fabs(double x)
{
	return x < 0 ? -x : x;
}

void
lt_rtt_add(struct lt_rtt *r, double ms)
{
	if (r->received == 0 || ms < r->min)
		r->min = ms;
	if (r->received == 0 || ms > r->max)
		r->max = ms;
	r->sent++;
	r->received++;
	r->sum += ms;
	r->sumsq += ms * ms;
}

void
lt_rtt_lost(struct lt_rtt *r)
{
	r->sent++;
}

double
lt_rtt_avg(const struct lt_rtt *r)
{
	return r->received ? r->sum / r->received : 0;
}

double
lt_rtt_stddev(const struct lt_rtt *r)
{
	double avg, var;

	if (r->received < 2)
		return 0;
	avg = r->sum / r->received;
	var = r->sumsq / r->received - avg * avg;
	return var > 0 ? lt_sqrt(var) : 0;
}

double
lt_rtt_loss_pct(const struct lt_rtt *r)
{
	return lt_loss_pct((uint64_t)r->sent, (uint64_t)r->received);
}

double
lt_loss_pct(uint64_t sent, uint64_t received)
{
	if (sent == 0 || received >= sent)
		return 0;
	return 100.0 * (double)(sent - received) / (double)sent;
}

void
lt_udp_rx_add(struct lt_udp_rx *r, uint64_t seq, int64_t send_ns, int64_t arrival_ns, size_t bytes)
{
	/* Both clocks are monotonic: 0..LT_STAMP_MAX. Within that range neither
	 * difference below can overflow (|transit| < 2^62, |change| < 2^63). */
	int stamped = send_ns >= 0 && send_ns <= LT_STAMP_MAX && arrival_ns >= 0 && arrival_ns <= LT_STAMP_MAX;
	int64_t transit = stamped ? arrival_ns - send_ns : 0;

	if (!r->have) {
		r->have = 1;
		r->first_ns = arrival_ns;
		r->max_seq = seq;
	} else if (seq < r->max_seq)
		r->ooo++;
	else
		r->max_seq = seq;
	if (stamped) {
		if (r->have_transit) {
			/* RFC 3550 6.4.1: J += (|D(i-1,i)| - J) / 16 */
			double d = (double)(transit - r->prev_transit);
			r->jitter_ns += (lt_fabs(d) - r->jitter_ns) / 16.0;
		}
		r->prev_transit = transit;
		r->have_transit = 1;
	}
	r->last_ns = arrival_ns;
	r->packets++;
	r->bytes += bytes;
}

void
lt_tcp_rx_init(struct lt_tcp_rx *r, long time_ms)
{
	memset(r, 0, sizeof(*r));
	r->warm_ns = (int64_t)(time_ms < 10000 ? time_ms : 10000) * 100000;   /* a tenth, at most 1 s */
}

int
lt_tcp_rx_add(struct lt_tcp_rx *r, size_t n, int64_t now_ns)
{
	int marked = 0;

	if (!r->first_ns)
		r->first_ns = now_ns;
	if (!r->mark_ns && now_ns - r->first_ns >= r->warm_ns) {
		r->mark_ns = now_ns;
		r->mark_bytes = r->bytes;
		marked = 1;
	}
	r->bytes += n;
	r->read_ns = now_ns;
	return marked;
}

void
lt_tcp_rx_mark(struct lt_tcp_rx *r, uint64_t kernel_bytes)
{
	/* the kernel had at least what was read; what it had more arrived before the mark */
	if (r->mark_ns && kernel_bytes >= r->mark_bytes && kernel_bytes <= r->bytes)
		r->mark_bytes = kernel_bytes;
}

void
lt_tcp_rx_end(struct lt_tcp_rx *r, int64_t data_ns)
{
	if (data_ns > r->last_ns)
		r->last_ns = data_ns;
}

static int64_t
rx_last(const struct lt_tcp_rx *r)
{
	int64_t last = r->last_ns ? r->last_ns : r->read_ns;

	return last < r->first_ns ? r->first_ns : last;
}

int64_t
lt_tcp_rx_us(const struct lt_tcp_rx *r)
{
	return r->first_ns ? (rx_last(r) - r->first_ns) / 1000 : 0;
}

void
lt_tcp_rx_steady(const struct lt_tcp_rx *r, uint64_t *bytes, int64_t *us)
{
	int64_t last = rx_last(r);

	/* the steady part must span at least half the phase to be worth more than the whole */
	if (r->mark_ns && last - r->mark_ns > 0 && (last - r->mark_ns) >= (last - r->first_ns) / 2) {
		*bytes = r->bytes - r->mark_bytes;
		*us = (last - r->mark_ns) / 1000;
	} else {
		*bytes = r->bytes;
		*us = lt_tcp_rx_us(r);
	}
}

void
lt_tcp_rx_read(struct lt_tcp_rx *r, const int *fds, int nfds, size_t n, int64_t now_ns)
{
	if (lt_tcp_rx_add(r, n, now_ns)) {
		uint64_t sum = 0, b;
		int i;
		for (i = 0; i < nfds; i++) {
			if (lt_tcp_kinfo(fds[i], &b, NULL) < 0)
				return;   /* keep what was read */
			sum += b;
		}
		lt_tcp_rx_mark(r, sum);
	}
}

void
lt_tcp_rx_eof(struct lt_tcp_rx *r, int fd, int64_t now_ns)
{
	uint32_t ago;
	int64_t t = now_ns;

	/* when the last data came, not when this process got to see the FIN */
	if (lt_tcp_kinfo(fd, NULL, &ago) == 0 && (int64_t)ago * 1000000 < now_ns - r->first_ns)
		t = now_ns - (int64_t)ago * 1000000;
	lt_tcp_rx_end(r, t);
}

int
lt_tcp_kinfo(int fd, uint64_t *bytes_received, uint32_t *ms_since_data)
{
	/* struct tcp_info as the kernel lays it out (UAPI); libc headers may stop
	 * before tcpi_bytes_received (glibc 2.36 does), so read it by offset. */
	enum { LAST_DATA_RECV = 52, BYTES_RECEIVED = 128 };
	unsigned char ti[256];
	socklen_t tl = sizeof(ti);

	memset(ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &tl) < 0)
		return -1;
	if (ms_since_data) {
		if (tl < LAST_DATA_RECV + 4)
			return -1;
		memcpy(ms_since_data, ti + LAST_DATA_RECV, 4);
	}
	if (bytes_received) {
		if (tl < BYTES_RECEIVED + 8)
			return -1;   /* a kernel older than 4.1 */
		memcpy(bytes_received, ti + BYTES_RECEIVED, 8);
		if (*bytes_received == 0)
			return -1;
	}
	return 0;
}

/* ---- system facts ---- */

static void
read_sysctl(const char *path, char *out, size_t size)
{
	char *s = file_read(path, NULL), *p;

	if (!s) {
		snprintf(out, size, "?");
		return;
	}
	str_trim(s);
	for (p = s; *p; p++)
		if (*p == ' ' || *p == '\t')
			*p = ',';
	while ((p = strstr(s, ",,")) != NULL)
		memmove(p, p + 1, strlen(p));
	if (str_copy(out, size, *s ? s : "?") < 0)
		snprintf(out, size, "?");
	free(s);
}

static int
same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
	return 0;
}

/* The device holding the local address; else the IPv4 default route's. */
static void
local_dev(const struct sockaddr_storage *local, char *dev, size_t size)
{
	struct sockaddr_storage a;
	struct ifaddrs *ifs, *i;
	char *rt, *line, *save = NULL;

	*dev = '\0';
	if (local) {
		a = *local;
		if (a.ss_family == AF_INET6) {   /* ::ffff:a.b.c.d */
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;
			if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
				struct sockaddr_in s4 = { .sin_family = AF_INET };
				memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
				memset(&a, 0, sizeof(a));
				memcpy(&a, &s4, sizeof(s4));
			}
		}
		if (getifaddrs(&ifs) == 0) {
			for (i = ifs; i; i = i->ifa_next)
				if (i->ifa_addr && same_addr(i->ifa_addr, &a)) {
					snprintf(dev, size, "%s", i->ifa_name);
					break;
				}
			freeifaddrs(ifs);
		}
		if (*dev)
			return;
	}
	if ((rt = file_read("/proc/net/route", NULL)) == NULL)
		return;
	for (line = strtok_r(rt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long dst;
		if (sscanf(line, "%31s %lx", name, &dst) == 2 && dst == 0) {
			snprintf(dev, size, "%s", name);
			break;
		}
	}
	free(rt);
}

struct qdisc_find {
	int ifindex;
	char *kind;
	size_t size;
};

/* struct tcmsg */
struct lt_tcmsg {
	uint8_t family, pad1;
	uint16_t pad2;
	int32_t ifindex;
	uint32_t handle, parent, info;
};

static int
qdisc_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	struct qdisc_find *q = arg;
	const struct lt_tcmsg *t = data;
	const struct nl_attr *tb[2] = { 0 };

	if (h->type != 36 || len < sizeof(*t))   /* RTM_NEWQDISC */
		return 0;
	if (t->ifindex != q->ifindex || t->parent != 0xffffffffu)   /* TC_H_ROOT */
		return 0;
	if (nl_attr_parse((const unsigned char *)data + NL_ALIGN(sizeof(*t)), len - NL_ALIGN(sizeof(*t)), tb, 1) < 0)
		return 0;
	if (tb[1])   /* TCA_KIND */
		snprintf(q->kind, q->size, "%.*s", (int)strnlen(nl_attr_data(tb[1]), nl_attr_len(tb[1])),
		    (const char *)nl_attr_data(tb[1]));
	return 0;
}

static void
dev_qdisc(const char *dev, char *kind, size_t size)
{
	struct nl_sock s;
	struct nl_msg m;
	struct lt_tcmsg t = { 0 };
	struct qdisc_find q = { 0, kind, size };
	char err[ERRLEN];

	snprintf(kind, size, "?");
	if (!*dev || (q.ifindex = (int)if_nametoindex(dev)) == 0)
		return;
	if (nl_open(&s, 0, err) < 0)   /* NETLINK_ROUTE */
		return;
	nl_msg_init(&m, 38, NL_F_DUMP);   /* RTM_GETQDISC */
	nl_msg_put(&m, &t, sizeof(t));
	nl_talk(&s, &m, qdisc_cb, &q, err);
	nl_close(&s);
}

void
lt_sys_get(struct lt_sys *s, const struct sockaddr_storage *local)
{
	struct utsname u;

	memset(s, 0, sizeof(*s));
	if (uname(&u) == 0)
		snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
	else
		snprintf(s->kernel, sizeof(s->kernel), "?");
	read_sysctl("/proc/sys/net/ipv4/tcp_congestion_control", s->cc, sizeof(s->cc));
	read_sysctl("/proc/sys/net/ipv4/tcp_rmem", s->tcp_rmem, sizeof(s->tcp_rmem));
	read_sysctl("/proc/sys/net/ipv4/tcp_wmem", s->tcp_wmem, sizeof(s->tcp_wmem));
	read_sysctl("/proc/sys/net/core/rmem_max", s->rmem_max, sizeof(s->rmem_max));
	read_sysctl("/proc/sys/net/core/wmem_max", s->wmem_max, sizeof(s->wmem_max));
	local_dev(local, s->dev, sizeof(s->dev));
	dev_qdisc(s->dev, s->qdisc, sizeof(s->qdisc));
	if (!*s->dev)
		snprintf(s->dev, sizeof(s->dev), "?");
}

void
lt_sys_format(const struct lt_sys *s, char *buf, size_t size)
{
	snprintf(buf, size, "kernel=%s cc=%s qdisc=%s dev=%s tcp_rmem=%s tcp_wmem=%s rmem_max=%s wmem_max=%s",
	    s->kernel, s->cc, s->qdisc, s->dev, s->tcp_rmem, s->tcp_wmem, s->rmem_max, s->wmem_max);
}

void
lt_sys_parse(struct lt_sys *s, const char *line)
{
	static const struct {
		const char *key;
		size_t off, size;
	} f[] = {
#define F(k) { #k, offsetof(struct lt_sys, k), sizeof(((struct lt_sys *)0)->k) }
		F(kernel), F(cc), F(qdisc), F(dev), F(tcp_rmem), F(tcp_wmem), F(rmem_max), F(wmem_max),
#undef F
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		char *out = (char *)s + f[i].off;
		char *p;
		if (lt_field(line, f[i].key, out, f[i].size) < 0 || !*out)
			snprintf(out, f[i].size, "?");
		for (p = out; *p; p++)   /* the peer's words: printable only */
			if (*p < 0x21 || *p > 0x7e)
				*p = '?';
	}
}
