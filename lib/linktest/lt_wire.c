/*
 * linktest wire protocol (lt.h): the UDP datagram header, hex, randomness
 * and the HMAC challenge, control lines and their fields.
 */
#include "lt.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
