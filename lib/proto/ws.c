/*
 * WebSocket handshake and frame codec over byte buffers (RFC 6455), speaking
 * what realm speaks on the wire (docs/wire.md, WebSocket) and accepting what
 * other clients send (header names in any case, Connection token lists, a
 * Host with a port).
 */
#include "ws.h"

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

#define ERR(...) do { if (err) snprintf(err, ERRLEN, __VA_ARGS__); } while (0)

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const char *
ws_result_str(enum ws_result r)
{
	switch (r) {
	case WS_OK: return "ok";
	case WS_NEED: return "need more";
	case WS_BAD: return "bad request";
	case WS_NOTFOUND: return "wrong host or path";
	case WS_VERSION: return "unsupported version";
	}
	return "?";
}

static size_t
base64(char *out, const unsigned char *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = b64[in[i] >> 2];
		out[o++] = b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = b64[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[o++] = b64[in[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = b64[in[i] >> 2];
		if (i + 1 < n) {
			out[o++] = b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
			out[o++] = b64[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = b64[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* 64-bit PRNG (splitmix64) seeded once per thread from the kernel: masking keys only. */
static uint64_t
rnd64(void)
{
	static _Thread_local uint64_t s;
	static _Thread_local int seeded;
	uint64_t z;

	if (!seeded) {
		if (getrandom(&s, sizeof(s), 0) != sizeof(s))
			s = (uint64_t)now_ms() ^ (uint64_t)(uintptr_t)&s;
		seeded = 1;
	}
	z = (s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
ws_key_new(char key[WS_KEY_LEN + 1])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	base64(key, r, sizeof(r));
	return 0;
}

void
ws_accept(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	br_sha1_context sc;
	unsigned char h[br_sha1_SIZE];

	br_sha1_init(&sc);
	br_sha1_update(&sc, key, strlen(key));
	br_sha1_update(&sc, guid, sizeof(guid) - 1);
	br_sha1_out(&sc, h);
	base64(out, h, sizeof(h));
}

int
ws_client_request(char *buf, size_t size, const char *host, const char *path, const char *key)
{
	int n = snprintf(buf, size,
	    "GET %s HTTP/1.1\r\n"
	    "host: %s\r\n"
	    "upgrade: websocket\r\n"
	    "connection: upgrade\r\n"
	    "sec-websocket-key: %s\r\n"
	    "sec-websocket-version: 13\r\n"
	    "\r\n", path, host, key);

	if (n < 0 || (size_t)n >= size) {
		errno = ENOSPC;
		return -1;
	}
	return n;
}

int
ws_server_reply(char *buf, size_t size, const char *key)
{
	char acc[WS_ACCEPT_LEN + 1];
	int n;

	ws_accept(key, acc);
	n = snprintf(buf, size,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "upgrade: websocket\r\n"
	    "connection: upgrade\r\n"
	    "sec-websocket-accept: %s\r\n"
	    "\r\n", acc);
	if (n < 0 || (size_t)n >= size) {
		errno = ENOSPC;
		return -1;
	}
	return n;
}

int
ws_http_error(char *buf, size_t size, enum ws_result r)
{
	const char *status = r == WS_NOTFOUND ? "404 Not Found" :
	    r == WS_VERSION ? "426 Upgrade Required" : "400 Bad Request";
	int n = snprintf(buf, size,
	    "HTTP/1.1 %s\r\n"
	    "%s"
	    "connection: close\r\n"
	    "content-length: 0\r\n"
	    "\r\n", status, r == WS_VERSION ? "sec-websocket-version: 13\r\n" : "");

	if (n < 0 || (size_t)n >= size) {
		errno = ENOSPC;
		return -1;
	}
	return n;
}

/* --- head parsing --------------------------------------------------------- */

struct span { const char *p; size_t n; };

/* WS_OK with *end = length of the head (CRLF CRLF included), WS_NEED, or WS_BAD. */
static enum ws_result
head_end(const char *b, size_t len, size_t *end, char *err)
{
	size_t i, lim = len < WS_HEAD_MAX ? len : WS_HEAD_MAX;

	for (i = 3; i < lim; i++)
		if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
			*end = i + 1;
			return WS_OK;
		}
	if (len < WS_HEAD_MAX)
		return WS_NEED;
	ERR("ws: no end of the HTTP head in the first %d bytes", WS_HEAD_MAX);
	return WS_BAD;
}

static int
span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static struct span
trim(const char *p, size_t n)
{
	struct span s;

	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	s.p = p;
	s.n = n;
	return s;
}

/* Does the comma-separated list hold tok (case-insensitive)? */
static int
has_token(struct span list, const char *tok)
{
	const char *p = list.p, *e = list.p + list.n;

	while (p < e) {
		const char *c = memchr(p, ',', (size_t)(e - p));

		if (!c)
			c = e;
		if (span_ieq(trim(p, (size_t)(c - p)), tok))
			return 1;
		p = c + 1;
	}
	return 0;
}

/*
 * Walk the header lines of a head: first line in *first; calls back for
 * each "name: value". Returns -1 on a malformed line.
 */
struct headers {
	struct span host, upgrade, version, key, accept;
	int connection_upgrade, n_host, n_key;
};

static int
parse_head(const char *b, size_t end, struct span *first, struct headers *h, char *err)
{
	const char *p = b, *e = b + end - 2;     /* stop before the final CRLF */
	int line = 0;

	memset(h, 0, sizeof(*h));
	while (p < e) {
		const char *nl = memchr(p, '\r', (size_t)(e - p + 1)), *colon;
		struct span name, value;
		size_t n;

		if (!nl || nl[1] != '\n') {
			ERR("ws: a header line does not end with CRLF");
			return -1;
		}
		n = (size_t)(nl - p);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 && p[i] != '\t') {
				ERR("ws: a control byte in the HTTP head");
				return -1;
			}
		if (line++ == 0) {
			first->p = p;
			first->n = n;
		} else {
			if (!(colon = memchr(p, ':', n)) || colon == p || p[0] == ' ' || p[0] == '\t') {
				ERR("ws: malformed header line '%.*s'", (int)(n > 60 ? 60 : n), p);
				return -1;
			}
			name = trim(p, (size_t)(colon - p));
			value = trim(colon + 1, n - (size_t)(colon + 1 - p));
			if (span_ieq(name, "host"))
				h->host = value, h->n_host++;
			else if (span_ieq(name, "upgrade"))
				h->upgrade = value;
			else if (span_ieq(name, "connection"))
				h->connection_upgrade |= has_token(value, "upgrade");
			else if (span_ieq(name, "sec-websocket-version"))
				h->version = value;
			else if (span_ieq(name, "sec-websocket-key"))
				h->key = value, h->n_key++;
			else if (span_ieq(name, "sec-websocket-accept"))
				h->accept = value;
		}
		p = nl + 2;
	}
	if (line == 0) {
		ERR("ws: empty HTTP head");
		return -1;
	}
	return 0;
}

/* Host header matches the configured host, case-insensitively, with an optional :port. */
static int
host_ok(struct span got, const char *want)
{
	size_t n = strlen(want), i;

	if (got.n < n || strncasecmp(got.p, want, n) != 0)
		return 0;
	if (got.n == n)
		return 1;
	if (got.p[n] != ':' || got.n - n < 2 || got.n - n > 6)
		return 0;
	if (strchr(want, ':') && !(want[0] == '[' && want[n - 1] == ']'))
		return 0;                /* the config names a port (or a bare IPv6): exact only */
	for (i = n + 1; i < got.n; i++)
		if (got.p[i] < '0' || got.p[i] > '9')
			return 0;
	return 1;
}

static int
key_ok(struct span k)
{
	size_t i;

	if (k.n != WS_KEY_LEN || k.p[22] != '=' || k.p[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (!strchr(b64, k.p[i]) || !k.p[i])
			return 0;
	return 1;
}

enum ws_result
ws_server_parse(const void *buf, size_t len, const char *host, const char *path,
    char key[WS_KEY_LEN + 1], size_t *head_len, char *err)
{
	const char *b = buf, *sp1, *sp2;
	struct headers h;
	struct span first, target;
	enum ws_result r;
	size_t end;

	if ((r = head_end(b, len, &end, err)) != WS_OK) {
		/* do not wait for a head that is not an HTTP GET at all */
		if (r == WS_NEED && len >= 4 && memcmp(b, "GET ", 4) != 0) {
			ERR("ws: not an HTTP GET request");
			return WS_BAD;
		}
		return r;
	}
	if (parse_head(b, end, &first, &h, err) < 0)
		return WS_BAD;
	sp1 = memchr(first.p, ' ', first.n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', first.n - (size_t)(sp1 + 1 - first.p)) : NULL;
	if (!sp1 || !sp2 || (size_t)(sp1 - first.p) != 3 || memcmp(first.p, "GET", 3) != 0) {
		ERR("ws: the request line must be GET PATH HTTP/1.1, got '%.*s'",
		    (int)(first.n > 80 ? 80 : first.n), first.p);
		return WS_BAD;
	}
	target.p = sp1 + 1;
	target.n = (size_t)(sp2 - target.p);
	if (first.n - (size_t)(sp2 + 1 - first.p) != 8 || memcmp(sp2 + 1, "HTTP/1.1", 8) != 0) {
		ERR("ws: the request must be HTTP/1.1");
		return WS_BAD;
	}
	if (h.n_host != 1 || !host_ok(h.host, host)) {
		ERR("ws: wrong host '%.*s' (this listener serves host=%s)", (int)(h.host.n > 80 ? 80 : h.host.n),
		    h.host.p ? h.host.p : "", host);
		return WS_NOTFOUND;
	}
	if (target.n != strlen(path) || memcmp(target.p, path, target.n) != 0) {
		ERR("ws: wrong path '%.*s' (this listener serves path=%s)", (int)(target.n > 80 ? 80 : target.n),
		    target.p, path);
		return WS_NOTFOUND;
	}
	if (!h.upgrade.p || !has_token(h.upgrade, "websocket") || !h.connection_upgrade) {
		ERR("ws: not a WebSocket upgrade (needs upgrade: websocket and connection: upgrade)");
		return WS_BAD;
	}
	if (!span_ieq(h.version, "13")) {
		ERR("ws: sec-websocket-version '%.*s', only 13 is spoken", (int)(h.version.n > 20 ? 20 : h.version.n),
		    h.version.p ? h.version.p : "");
		return WS_VERSION;
	}
	if (h.n_key != 1 || !key_ok(h.key)) {
		ERR("ws: missing or malformed sec-websocket-key");
		return WS_BAD;
	}
	memcpy(key, h.key.p, WS_KEY_LEN);
	key[WS_KEY_LEN] = '\0';
	*head_len = end;
	return WS_OK;
}

enum ws_result
ws_client_parse(const void *buf, size_t len, const char *key, size_t *head_len, char *err)
{
	const char *b = buf;
	char want[WS_ACCEPT_LEN + 1];
	struct headers h;
	struct span first;
	enum ws_result r;
	size_t end;

	if ((r = head_end(b, len, &end, err)) != WS_OK) {
		if (r == WS_NEED && len >= 5 && memcmp(b, "HTTP/", 5) != 0) {
			ERR("ws: the server did not answer with HTTP (is the exit a ws listener?)");
			return WS_BAD;
		}
		return r;
	}
	if (parse_head(b, end, &first, &h, err) < 0)
		return WS_BAD;
	if (first.n < 12 || memcmp(first.p, "HTTP/1.1 ", 9) != 0) {
		ERR("ws: the server's status line is not HTTP/1.1: '%.*s'", (int)(first.n > 80 ? 80 : first.n), first.p);
		return WS_BAD;
	}
	if (memcmp(first.p + 9, "101", 3) != 0 || (first.n > 12 && first.p[12] != ' ')) {
		ERR("ws: the server answered '%.*s' instead of 101 (check host= and path= on both ends)",
		    (int)(first.n - 9 > 60 ? 60 : first.n - 9), first.p + 9);
		return WS_BAD;
	}
	if (!h.upgrade.p || !has_token(h.upgrade, "websocket") || !h.connection_upgrade) {
		ERR("ws: the 101 reply lacks upgrade: websocket or connection: upgrade");
		return WS_BAD;
	}
	ws_accept(key, want);
	if (h.accept.n != WS_ACCEPT_LEN || memcmp(h.accept.p, want, WS_ACCEPT_LEN) != 0) {
		ERR("ws: wrong sec-websocket-accept in the 101 reply");
		return WS_BAD;
	}
	*head_len = end;
	return WS_OK;
}

/* --- frames ------------------------------------------------------------- */

size_t
ws_frame_header(unsigned char hdr[WS_HDR_MAX], unsigned opcode, uint64_t len, const unsigned char *key)
{
	size_t n = 2;
	int i;

	hdr[0] = (unsigned char)(0x80 | (opcode & 0xf));
	if (len < 126)
		hdr[1] = (unsigned char)len;
	else if (len < 65536) {
		hdr[1] = 126;
		hdr[2] = (unsigned char)(len >> 8);
		hdr[3] = (unsigned char)len;
		n = 4;
	} else {
		hdr[1] = 127;
		for (i = 0; i < 8; i++)
			hdr[2 + i] = (unsigned char)(len >> (56 - 8 * i));
		n = 10;
	}
	if (key) {
		hdr[1] |= 0x80;
		memcpy(hdr + n, key, 4);
		n += 4;
	}
	return n;
}

void
ws_mask(unsigned char *p, size_t n, const unsigned char key[4], uint64_t off)
{
	unsigned char k[8];
	uint64_t m;
	size_t i = 0;
	int j;

	if (!(key[0] | key[1] | key[2] | key[3]))
		return;                  /* realm's zero key: nothing to do */
	for (j = 0; j < 8; j++)
		k[j] = key[(off + (uint64_t)j) & 3];
	memcpy(&m, k, 8);
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		w ^= m;
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] ^= k[i & 7];
}

void
ws_mask_key(unsigned char key[4])
{
	uint64_t r;

	do
		r = rnd64();
	while (!(r & 0xffffffffu));  /* a zero key would mean "unmasked" to ws_mask */
	memcpy(key, &r, 4);
}

ssize_t
ws_frame(void *out, size_t size, unsigned opcode, const void *payload, size_t len, const unsigned char *key)
{
	unsigned char hdr[WS_HDR_MAX], *o = out;
	size_t h = ws_frame_header(hdr, opcode, len, key);

	if (h + len > size || h + len < len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(o, hdr, h);
	if (len)
		memmove(o + h, payload, len);
	if (key)
		ws_mask(o + h, len, key, 0);
	return (ssize_t)(h + len);
}

void
ws_dec_init(struct ws_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->hneed = 2;
	d->close_code = 1005;
}

static int
dec_fail(struct ws_dec *d, const char *msg)
{
	d->error = 1;
	d->errmsg = msg;
	return -1;
}

/* A complete header is in d->hdr: set up the payload. */
static int
dec_header(struct ws_dec *d)
{
	unsigned char *h = d->hdr;
	unsigned len7 = h[1] & 0x7f;
	size_t i = 2;

	if (d->hlen == 2) {             /* first two bytes: now we know the full size */
		if (h[0] & 0x70)
			return dec_fail(d, "ws: reserved bits set in a frame (no extension was negotiated)");
		d->opcode = h[0] & 0xf;
		if (d->opcode > 2 && (d->opcode < 8 || d->opcode > 10))
			return dec_fail(d, "ws: unknown frame opcode");
		if (d->opcode >= 8 && (!(h[0] & 0x80) || len7 > 125))
			return dec_fail(d, "ws: fragmented or oversized control frame");
		d->masked = !!(h[1] & 0x80);
		d->hneed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (d->masked ? 4 : 0);
		if (d->hneed > 2)
			return 0;
	}
	if (len7 == 126) {
		d->left = (uint64_t)h[2] << 8 | h[3];
		i = 4;
	} else if (len7 == 127) {
		d->left = 0;
		for (i = 2; i < 10; i++)
			d->left = d->left << 8 | h[i];
		if (d->left >> 63)
			return dec_fail(d, "ws: frame length with the top bit set");
	} else
		d->left = len7;
	if (d->masked)
		memcpy(d->key, h + i, 4);
	d->off = 0;
	d->ctl_len = 0;
	d->hneed = 0;                   /* header complete: in payload */
	return 0;
}

/* The control frame in d->ctl is complete. */
static void
dec_control(struct ws_dec *d)
{
	if (d->opcode == WS_OP_PING) {
		memcpy(d->ping, d->ctl, d->ctl_len);
		d->ping_len = d->ctl_len;
		d->ping_pending = 1;
	} else if (d->opcode == WS_OP_CLOSE) {
		d->closed = 1;
		d->close_code = d->ctl_len >= 2 ? (unsigned)d->ctl[0] << 8 | d->ctl[1] : 1005;
	}
}

ssize_t
ws_decode(struct ws_dec *d, unsigned char *buf, size_t len)
{
	size_t i = 0, o = 0;

	if (d->error)
		return -1;
	while (!d->closed && (i < len || (!d->hneed && !d->left))) {
		if (d->hneed) {                 /* collecting a header */
			while (i < len && d->hlen < d->hneed)
				d->hdr[d->hlen++] = buf[i++];
			if (d->hlen < d->hneed)
				break;
			if (dec_header(d) < 0)
				return -1;
			if (d->hneed)
				continue;               /* extended length or mask still to come */
		}
		/* in a payload (possibly empty) */
		{
			size_t n = len - i;

			if ((uint64_t)n > d->left)
				n = (size_t)d->left;
			if (d->opcode >= 8) {
				memcpy(d->ctl + d->ctl_len, buf + i, n);
				if (d->masked)
					ws_mask(d->ctl + d->ctl_len, n, d->key, d->off);
				d->ctl_len += n;
			} else if (n) {
				if (o != i)
					memmove(buf + o, buf + i, n);
				if (d->masked)
					ws_mask(buf + o, n, d->key, d->off);
				o += n;
			}
			i += n;
			d->off += n;
			d->left -= n;
			if (d->left == 0) {
				if (d->opcode >= 8)
					dec_control(d);
				d->frames++;
				d->hlen = 0;
				d->hneed = 2;
			}
		}
	}
	return (ssize_t)o;
}
