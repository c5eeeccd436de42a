/* PROXY protocol v1/v2: known answers from haproxy's proxy-protocol.txt, incremental parsing. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "t.h"
#include "pp.h"
#include "util.h"

static struct sockaddr_storage
sa(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
	return ss;
}

static const char *
fmt(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else
		snprintf(buf, size, "none");
	return buf;
}

/* Feed bytes one at a time: PP_NEED until the last one, then want. */
static int
bytewise(const void *hdr, size_t n, enum pp_result want)
{
	struct pp_info info;
	char err[ERRLEN];
	size_t i;

	for (i = 1; i < n; i++)
		if (pp_parse(hdr, i, &info, err) != PP_NEED)
			return 0;
	return pp_parse(hdr, n, &info, err) == want;
}

/* the spec's v2 example, IPv4: 192.168.0.1:56324 -> 192.168.0.11:443 */
static const unsigned char v2_tcp4[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
	0x21, 0x11, 0x00, 0x0c,
	192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb,
};

static void
test_v1(void)
{
	struct sockaddr_storage s = sa("192.168.0.1", 56324), d = sa("192.168.0.11", 443);
	struct sockaddr_storage s6, d6;
	const char *l4 = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	const char *l6 = "PROXY TCP6 2001:db8::1 2001:db8::11 65535 80\r\n";
	struct pp_info info;
	char buf[PP_MAX], a[80], err[ERRLEN];
	int n;

	n = pp_encode(1, (struct sockaddr *)&s, (struct sockaddr *)&d, buf, sizeof(buf));
	CHECK(n == (int)strlen(l4) && memcmp(buf, l4, n) == 0, "v1 TCP4 encodes the spec's example line");
	s6 = sa("2001:db8::1", 65535);
	d6 = sa("2001:db8::11", 80);
	n = pp_encode(1, (struct sockaddr *)&s6, (struct sockaddr *)&d6, buf, sizeof(buf));
	CHECK(n == (int)strlen(l6) && memcmp(buf, l6, n) == 0, "v1 TCP6 line");
	n = pp_encode(1, NULL, NULL, buf, sizeof(buf));
	CHECK(n == 15 && memcmp(buf, "PROXY UNKNOWN\r\n", 15) == 0, "v1 UNKNOWN without addresses");
	CHECK(pp_encode(1, (struct sockaddr *)&s, (struct sockaddr *)&d, buf, 20) < 0, "v1 encode refuses a short buffer");

	CHECK(pp_parse(l4, strlen(l4), &info, err) == PP_OK && info.version == 1 && info.len == strlen(l4) &&
	    !info.local, "v1 TCP4 parses");
	CHECK_STR(fmt(&info.src, a, sizeof(a)), "192.168.0.1:56324", "v1 source");
	CHECK_STR(fmt(&info.dst, a, sizeof(a)), "192.168.0.11:443", "v1 destination");
	CHECK(pp_parse(l6, strlen(l6), &info, err) == PP_OK, "v1 TCP6 parses");
	CHECK_STR(fmt(&info.src, a, sizeof(a)), "[2001:db8::1]:65535", "v1 TCP6 source");
	CHECK(bytewise(l4, strlen(l4), PP_OK), "v1 fed byte by byte: need more, then PROXY");
	CHECK(pp_parse("PROXY UNKNOWN ffff::1 x y z\r\nGET", 32, &info, err) == PP_OK && info.local &&
	    info.len == 29, "v1 UNKNOWN ignores the rest of the line");

	/* the header followed by payload: only the header is claimed */
	snprintf(buf, sizeof(buf), "%sGET / HTTP/1.0\r\n", l4);
	CHECK(pp_parse(buf, strlen(buf), &info, err) == PP_OK && info.len == strlen(l4), "payload after v1 kept");

	CHECK(pp_parse("GET / HTTP/1.1\r\n", 16, &info, err) == PP_NOT, "HTTP is not PROXY");
	CHECK(pp_parse("PRO", 3, &info, err) == PP_NEED, "a prefix of PROXY needs more");
	CHECK(pp_parse("PROXZ", 5, &info, err) == PP_NOT, "PROXZ is not PROXY");
	CHECK(pp_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 31, &info, err) == PP_BAD, "LF without CR is bad");
	CHECK(pp_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", 36, &info, err) == PP_BAD, "port 65536 is bad");
	CHECK(pp_parse("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", 33, &info, err) == PP_BAD, "leading zero port is bad");
	CHECK(pp_parse("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", 28, &info, err) == PP_BAD, "IPv6 in TCP4 is bad");
	CHECK(pp_parse("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 28, &info, err) == PP_BAD, "IPv4 in TCP6 is bad");
	CHECK(pp_parse("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", 33, &info, err) == PP_BAD, "double space is bad");
	CHECK(pp_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 34, &info, err) == PP_BAD, "seven fields are bad");
	CHECK(pp_parse("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", 32, &info, err) == PP_BAD && strstr(err, "TCP4"),
	    "unknown v1 protocol is bad, message names the forms: %s", err);
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "PROXY TCP4 ", 11);
	CHECK(pp_parse(buf, 106, &info, err) == PP_NEED, "106 bytes without CRLF: still need more");
	CHECK(pp_parse(buf, 107, &info, err) == PP_BAD, "107 bytes without CRLF: bad");
	buf[106] = '\r';
	buf[107] = '\n';
	CHECK(pp_parse(buf, 108, &info, err) == PP_BAD, "a 108-byte line is bad");
}

static void
test_v2(void)
{
	struct sockaddr_storage s = sa("192.168.0.1", 56324), d = sa("192.168.0.11", 443);
	struct sockaddr_storage s6 = sa("2001:db8::1", 1234), d6 = sa("2001:db8::2", 443);
	struct sockaddr_storage m6 = sa("::ffff:10.0.0.1", 99);
	unsigned char buf[PP_MAX + 32], want6[52];
	struct pp_info info;
	char a[80], err[ERRLEN];
	int n;

	n = pp_encode(2, (struct sockaddr *)&s, (struct sockaddr *)&d, buf, sizeof(buf));
	CHECK(n == (int)sizeof(v2_tcp4) && memcmp(buf, v2_tcp4, sizeof(v2_tcp4)) == 0, "v2 TCP4 exact bytes");
	CHECK(pp_parse(v2_tcp4, sizeof(v2_tcp4), &info, err) == PP_OK && info.version == 2 && info.len == 28 &&
	    !info.local && !info.dgram, "v2 TCP4 parses");
	CHECK_STR(fmt(&info.src, a, sizeof(a)), "192.168.0.1:56324", "v2 source");
	CHECK_STR(fmt(&info.dst, a, sizeof(a)), "192.168.0.11:443", "v2 destination");
	CHECK(bytewise(v2_tcp4, sizeof(v2_tcp4), PP_OK), "v2 fed byte by byte: need more, then PROXY");

	memcpy(want6, v2_tcp4, 12);
	want6[12] = 0x21;
	want6[13] = 0x21;
	want6[14] = 0;
	want6[15] = 36;
	inet_pton(AF_INET6, "2001:db8::1", want6 + 16);
	inet_pton(AF_INET6, "2001:db8::2", want6 + 32);
	want6[48] = 0x04, want6[49] = 0xd2, want6[50] = 0x01, want6[51] = 0xbb;
	n = pp_encode(2, (struct sockaddr *)&s6, (struct sockaddr *)&d6, buf, sizeof(buf));
	CHECK(n == 52 && memcmp(buf, want6, 52) == 0, "v2 TCP6 exact bytes");
	CHECK(pp_parse(want6, 52, &info, err) == PP_OK, "v2 TCP6 parses");
	CHECK_STR(fmt(&info.src, a, sizeof(a)), "[2001:db8::1]:1234", "v2 TCP6 source");
	CHECK_STR(fmt(&info.dst, a, sizeof(a)), "[2001:db8::2]:443", "v2 TCP6 destination");

	/* mixed families */
	n = pp_encode(2, (struct sockaddr *)&m6, (struct sockaddr *)&d, buf, sizeof(buf));
	CHECK(n == 28 && buf[13] == 0x11 && buf[16] == 10 && buf[19] == 1, "v4-mapped and IPv4 are sent as TCP4");
	n = pp_encode(2, (struct sockaddr *)&s, (struct sockaddr *)&d6, buf, sizeof(buf));
	CHECK(n == 52 && buf[13] == 0x21 && buf[26] == 0xff && buf[27] == 0xff && buf[28] == 192,
	    "IPv4 with IPv6 is sent as TCP6, IPv4 mapped");
	n = pp_encode(1, (struct sockaddr *)&m6, (struct sockaddr *)&d, (char *)buf, sizeof(buf));
	CHECK(n > 0 && memcmp(buf, "PROXY TCP4 10.0.0.1 192.168.0.11 99 443\r\n", n) == 0, "v1 of a v4-mapped pair is TCP4");

	/* LOCAL */
	n = pp_encode(2, NULL, NULL, buf, sizeof(buf));
	CHECK(n == 16 && buf[12] == 0x20 && buf[13] == 0 && buf[15] == 0, "v2 LOCAL encodes");
	CHECK(pp_parse(buf, 16, &info, err) == PP_OK && info.local && info.len == 16, "v2 LOCAL parses as local");

	/* TLVs: a NOOP and an AUTHORITY, skipped */
	memcpy(buf, v2_tcp4, sizeof(v2_tcp4));
	memcpy(buf + 28, "\x04\x00\x02zz\x02\x00\x0b" "example.com", 19);
	buf[15] = 12 + 19;
	CHECK(pp_parse(buf, 47, &info, err) == PP_OK && info.len == 47 && info.tlvs == 2, "two TLVs skipped");
	CHECK(pp_parse(buf, 46, &info, err) == PP_NEED, "one byte short: need more");
	buf[28 + 5 + 2] = 0x0c;    /* AUTHORITY claims one byte more than there is */
	CHECK(pp_parse(buf, 47, &info, err) == PP_BAD && strstr(err, "TLV"), "overrunning TLV is bad: %s", err);
	buf[15] = 12 + 2;          /* 2 bytes: a truncated TLV header */
	CHECK(pp_parse(buf, 30, &info, err) == PP_BAD, "truncated TLV header is bad");

	/* malformed fixed part */
	memcpy(buf, v2_tcp4, sizeof(v2_tcp4));
	buf[12] = 0x11;
	CHECK(pp_parse(buf, 28, &info, err) == PP_BAD, "version 1 in a v2 signature is bad");
	buf[12] = 0x22;
	CHECK(pp_parse(buf, 28, &info, err) == PP_BAD, "command 2 is bad");
	buf[12] = 0x21;
	buf[13] = 0x41;
	CHECK(pp_parse(buf, 28, &info, err) == PP_BAD, "family 4 is bad");
	buf[13] = 0x21;            /* TCP6 in a 12-byte block */
	CHECK(pp_parse(buf, 28, &info, err) == PP_BAD, "address block too short for TCP6 is bad");
	buf[13] = 0x12;
	CHECK(pp_parse(buf, 28, &info, err) == PP_OK && info.dgram, "UDP4 parses with dgram set");
	buf[13] = 0x00;
	CHECK(pp_parse(buf, 28, &info, err) == PP_OK && info.local, "PROXY with UNSPEC is local");
	buf[14] = 0xff;
	CHECK(pp_parse(buf, 28, &info, err) == PP_BAD, "a 65 KB header is refused, not waited for");
	buf[14] = (PP_MAX - 16) >> 8;
	buf[15] = (PP_MAX - 16) & 0xff;
	CHECK(pp_parse(buf, 28, &info, err) == PP_NEED, "a header of PP_MAX bytes is waited for");
	CHECK(pp_parse("\r\n\r\n\0\r\nQUI", 10, &info, err) == PP_NEED, "a prefix of the v2 signature needs more");
	CHECK(pp_parse("\r\n\r\n\0\r\nQUIX", 12, &info, err) == PP_NOT, "a wrong v2 signature is not PROXY");
	CHECK(pp_parse("\x16\x03\x01", 3, &info, err) == PP_NOT, "a TLS ClientHello is not PROXY");
}

int
main(void)
{
	test_v1();
	test_v2();
	return T_DONE();
}
