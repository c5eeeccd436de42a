/*
 * PROXY protocol v1/v2 encoder and incremental parser (haproxy's
 * proxy-protocol.txt). The parser never reads past len and never trusts a
 * length field: every address block and TLV is bounds-checked before use.
 */
#include "pp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const unsigned char v2sig[12] = "\r\n\r\n\0\r\nQUIT\n";
static const char v1sig[6] = "PROXY ";

#define ERR(...) do { if (err) snprintf(err, ERRLEN, __VA_ARGS__); } while (0)

const char *
pp_result_str(enum pp_result r)
{
	switch (r) {
	case PP_OK: return "PROXY";
	case PP_NEED: return "need more";
	case PP_NOT: return "not PROXY";
	case PP_BAD: return "bad header";
	}
	return "?";
}

/* Both addresses as one family: 4, 6, or 0 (unknown). v4 in v4 and v6 out. */
static int
normalize(const struct sockaddr *s, const struct sockaddr *d,
    struct sockaddr_in6 *s6, struct sockaddr_in6 *d6, struct sockaddr_in *s4, struct sockaddr_in *d4)
{
	const struct sockaddr *in[2] = { s, d };
	struct sockaddr_in *o4[2] = { s4, d4 };
	struct sockaddr_in6 *o6[2] = { s6, d6 };
	int i, all4 = 1;

	for (i = 0; i < 2; i++) {
		if (!in[i])
			return 0;
		memset(o6[i], 0, sizeof(*o6[i]));
		memset(o4[i], 0, sizeof(*o4[i]));
		o6[i]->sin6_family = AF_INET6;
		o4[i]->sin_family = AF_INET;
		if (in[i]->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)in[i];

			*o4[i] = *a;
			o6[i]->sin6_port = a->sin_port;
			o6[i]->sin6_addr.s6_addr[10] = 0xff;
			o6[i]->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&o6[i]->sin6_addr.s6_addr[12], &a->sin_addr, 4);
		} else if (in[i]->sa_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)in[i];

			*o6[i] = *a;
			if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
				o4[i]->sin_port = a->sin6_port;
				memcpy(&o4[i]->sin_addr, &a->sin6_addr.s6_addr[12], 4);
			} else
				all4 = 0;
		} else
			return 0;
	}
	return all4 ? 4 : 6;
}

int
pp_encode(int version, const struct sockaddr *src, const struct sockaddr *dst, void *buf, size_t size)
{
	struct sockaddr_in6 s6, d6;
	struct sockaddr_in s4, d4;
	unsigned char *p = buf;
	int fam, n;

	if (version != 1 && version != 2) {
		errno = EINVAL;
		return -1;
	}
	fam = normalize(src, dst, &s6, &d6, &s4, &d4);
	if (version == 1) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

		if (fam == 4) {
			inet_ntop(AF_INET, &s4.sin_addr, a, sizeof(a));
			inet_ntop(AF_INET, &d4.sin_addr, b, sizeof(b));
			n = snprintf(buf, size, "PROXY TCP4 %s %s %u %u\r\n", a, b,
			    ntohs(s4.sin_port), ntohs(d4.sin_port));
		} else if (fam == 6) {
			inet_ntop(AF_INET6, &s6.sin6_addr, a, sizeof(a));
			inet_ntop(AF_INET6, &d6.sin6_addr, b, sizeof(b));
			n = snprintf(buf, size, "PROXY TCP6 %s %s %u %u\r\n", a, b,
			    ntohs(s6.sin6_port), ntohs(d6.sin6_port));
		} else
			n = snprintf(buf, size, "PROXY UNKNOWN\r\n");
		if (n < 0 || (size_t)n >= size) {
			errno = ENOSPC;
			return -1;
		}
		return n;
	}
	n = PP_V2_HDR + (fam == 4 ? 12 : fam == 6 ? 36 : 0);
	if ((size_t)n > size) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(p, v2sig, sizeof(v2sig));
	p[12] = fam ? 0x21 : 0x20;                 /* version 2, PROXY or LOCAL */
	p[13] = fam == 4 ? 0x11 : fam == 6 ? 0x21 : 0x00;
	p[14] = (unsigned char)((n - PP_V2_HDR) >> 8);
	p[15] = (unsigned char)(n - PP_V2_HDR);
	if (fam == 4) {
		memcpy(p + 16, &s4.sin_addr, 4);
		memcpy(p + 20, &d4.sin_addr, 4);
		memcpy(p + 24, &s4.sin_port, 2);
		memcpy(p + 26, &d4.sin_port, 2);
	} else if (fam == 6) {
		memcpy(p + 16, &s6.sin6_addr, 16);
		memcpy(p + 32, &d6.sin6_addr, 16);
		memcpy(p + 48, &s6.sin6_port, 2);
		memcpy(p + 50, &d6.sin6_port, 2);
	}
	return n;
}

/* A decimal port of 1-5 digits, at most 65535. */
static int
v1_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535 || (n > 1 && s[0] == '0'))
		return -1;
	*out = htons((uint16_t)v);
	return 0;
}

static enum pp_result
parse_v1(const char *b, size_t len, struct pp_info *info, char *err)
{
	const char *f[6];
	size_t fl[6], i, end, nf = 0, start = 0;
	char tmp[INET6_ADDRSTRLEN + 1];
	int af;

	for (end = 0; end < len && end < PP_V1_MAX; end++) {
		if (b[end] == '\r' || b[end] == '\n')
			break;
		if ((unsigned char)b[end] < 0x20 || (unsigned char)b[end] > 0x7e) {
			ERR("PROXY v1: a control or non-ASCII byte in the header line");
			return PP_BAD;
		}
	}
	if (end == len && len < PP_V1_MAX)
		return PP_NEED;
	if (end >= PP_V1_MAX - 1 || b[end] != '\r') {
		ERR("PROXY v1: the header line must end with CRLF within %d bytes", PP_V1_MAX);
		return PP_BAD;
	}
	if (end + 1 == len)
		return PP_NEED;
	if (b[end + 1] != '\n') {
		ERR("PROXY v1: CR not followed by LF");
		return PP_BAD;
	}
	memset(info, 0, sizeof(*info));
	info->version = 1;
	info->len = end + 2;
	/* "PROXY UNKNOWN" and anything after it up to CRLF */
	if (end >= 13 && !memcmp(b + 6, "UNKNOWN", 7) && (end == 13 || b[13] == ' ')) {
		info->local = 1;
		return PP_OK;
	}
	/* split on single spaces */
	for (i = 0; i <= end; i++) {
		if (i == end || b[i] == ' ') {
			if (nf == 6) {
				ERR("PROXY v1: too many fields (want PROXY TCP4|TCP6 SRC DST SPORT DPORT)");
				return PP_BAD;
			}
			f[nf] = b + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	if (nf != 6 || fl[1] != 4 || (memcmp(f[1], "TCP4", 4) && memcmp(f[1], "TCP6", 4))) {
		ERR("PROXY v1: want PROXY TCP4|TCP6|UNKNOWN SRC DST SPORT DPORT");
		return PP_BAD;
	}
	af = f[1][3] == '4' ? AF_INET : AF_INET6;
	for (i = 0; i < 2; i++) {
		struct sockaddr_storage *ss = i ? &info->dst : &info->src;
		uint16_t port;

		if (fl[2 + i] == 0 || fl[2 + i] >= sizeof(tmp)) {
			ERR("PROXY v1: bad %s address", i ? "destination" : "source");
			return PP_BAD;
		}
		memcpy(tmp, f[2 + i], fl[2 + i]);
		tmp[fl[2 + i]] = '\0';
		if (v1_port(f[4 + i], fl[4 + i], &port) < 0) {
			ERR("PROXY v1: bad %s port '%.*s'", i ? "destination" : "source", (int)fl[4 + i], f[4 + i]);
			return PP_BAD;
		}
		if (af == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)ss;

			a->sin_family = AF_INET;
			a->sin_port = port;
			if (inet_pton(AF_INET, tmp, &a->sin_addr) != 1) {
				ERR("PROXY v1: '%s' is not an IPv4 address", tmp);
				return PP_BAD;
			}
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

			a->sin6_family = AF_INET6;
			a->sin6_port = port;
			if (inet_pton(AF_INET6, tmp, &a->sin6_addr) != 1) {
				ERR("PROXY v1: '%s' is not an IPv6 address", tmp);
				return PP_BAD;
			}
		}
	}
	return PP_OK;
}

static enum pp_result
parse_v2(const unsigned char *b, size_t len, struct pp_info *info, char *err)
{
	size_t total, alen = 0, off;
	unsigned cmd, fam, proto;

	if (len < PP_V2_HDR)
		return PP_NEED;
	if ((b[12] >> 4) != 2) {
		ERR("PROXY v2: version %u, want 2", b[12] >> 4);
		return PP_BAD;
	}
	cmd = b[12] & 0xf;
	if (cmd > 1) {
		ERR("PROXY v2: unknown command %u (0 LOCAL, 1 PROXY)", cmd);
		return PP_BAD;
	}
	total = PP_V2_HDR + ((size_t)b[14] << 8 | b[15]);
	if (total > PP_MAX) {
		ERR("PROXY v2: header of %zu bytes, more than the %d accepted", total, PP_MAX);
		return PP_BAD;
	}
	if (len < total)
		return PP_NEED;
	memset(info, 0, sizeof(*info));
	info->version = 2;
	info->len = total;
	if (cmd == 0) {              /* LOCAL: the receiver ignores the rest */
		info->local = 1;
		return PP_OK;
	}
	fam = b[13] >> 4;
	proto = b[13] & 0xf;
	if (fam > 3 || proto > 2) {
		ERR("PROXY v2: unknown address family/protocol 0x%02x", b[13]);
		return PP_BAD;
	}
	info->dgram = proto == 2;
	if (fam == 1)
		alen = 12;
	else if (fam == 2)
		alen = 36;
	else if (fam == 3)
		alen = 216;
	if (PP_V2_HDR + alen > total) {
		ERR("PROXY v2: address block of %zu bytes, family 0x%02x needs %zu", total - PP_V2_HDR, b[13], alen);
		return PP_BAD;
	}
	if (fam == 1) {
		struct sockaddr_in *s = (struct sockaddr_in *)&info->src, *d = (struct sockaddr_in *)&info->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, b + 16, 4);
		memcpy(&d->sin_addr, b + 20, 4);
		memcpy(&s->sin_port, b + 24, 2);
		memcpy(&d->sin_port, b + 26, 2);
	} else if (fam == 2) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&info->src, *d = (struct sockaddr_in6 *)&info->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, b + 16, 16);
		memcpy(&d->sin6_addr, b + 32, 16);
		memcpy(&s->sin6_port, b + 48, 2);
		memcpy(&d->sin6_port, b + 50, 2);
	} else {
		info->local = 1;     /* UNSPEC or UNIX: use the connection's own addresses */
		if (fam == 0)
			return PP_OK;    /* UNSPEC: the whole block is ignored, like haproxy */
	}
	for (off = PP_V2_HDR + alen; off < total; info->tlvs++) {
		size_t vlen;

		if (total - off < 3) {
			ERR("PROXY v2: truncated TLV at offset %zu", off);
			return PP_BAD;
		}
		vlen = (size_t)b[off + 1] << 8 | b[off + 2];
		if (vlen > total - off - 3) {
			ERR("PROXY v2: TLV 0x%02x of %zu bytes runs past the header", b[off], vlen);
			return PP_BAD;
		}
		off += 3 + vlen;
	}
	return PP_OK;
}

enum pp_result
pp_parse(const void *buf, size_t len, struct pp_info *info, char *err)
{
	const unsigned char *b = buf;
	size_t n;

	if (len == 0)
		return PP_NEED;
	n = len < sizeof(v2sig) ? len : sizeof(v2sig);
	if (memcmp(b, v2sig, n) == 0)
		return n < sizeof(v2sig) ? PP_NEED : parse_v2(b, len, info, err);
	n = len < sizeof(v1sig) ? len : sizeof(v1sig);
	if (memcmp(b, v1sig, n) == 0)
		return n < sizeof(v1sig) ? PP_NEED : parse_v1(buf, len, info, err);
	ERR("not a PROXY protocol header (the peer must send PROXY v1 or v2 first)");
	return PP_NOT;
}
