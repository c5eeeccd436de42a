/* libFuzzer: the store's value parsers, each with its round trip where a
 * canonical form exists: the first byte picks the parser, the rest is the
 * value.
 *   sizes      parse_size -> "%llu" -> parse_size gives the same bytes
 *   durations  parse_duration_ms -> "%ldms" -> the same milliseconds
 *   rates      parse_rate -> "%lluB/s" -> the same bytes per second
 *   host:port  hostport_parse -> hostport_format -> hostport_parse gives the
 *              same host and ports, and formats to the same text, for every
 *              combination of flags
 *   CIDR lists acl_parse, then a match against addresses taken from the input
 *   transports transport_parse (both sides) -> our own formatter -> the same
 *              transport */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "tbucket.h"
#include "transport.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sizes(const char *s)
{
	uint64_t v, v2;
	char buf[32];

	if (parse_size(s, &v) < 0)
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	if (parse_size(buf, &v2) < 0 || v2 != v)
		abort();
}

static void
durations(const char *s)
{
	long v, v2;
	char buf[32];

	if (parse_duration_ms(s, &v) < 0)
		return;
	if (v < 0)
		abort();
	snprintf(buf, sizeof(buf), "%ldms", v);
	if (parse_duration_ms(buf, &v2) < 0 || v2 != v)
		abort();
}

static void
rates(const char *s)
{
	uint64_t v, v2;
	char buf[40];

	if (parse_rate(s, &v) < 0)
		return;
	fmt_rate(buf, sizeof(buf), v);
	snprintf(buf, sizeof(buf), "%" PRIu64 "B/s", v);
	if (parse_rate(buf, &v2) < 0 || v2 != v)
		abort();
}

static void
hostports(const char *s)
{
	struct hostport a, b;
	char err[ERRLEN], t1[HOST_MAX + 32], t2[HOST_MAX + 32];
	unsigned flags;

	for (flags = 0; flags < 8; flags++) {
		if (hostport_parse(s, flags, &a, err) < 0)
			continue;
		if (a.port_end < a.port || (!(flags & HP_RANGE) && a.port_end != a.port))
			abort();
		hostport_format(&a, t1, sizeof(t1));
		if (!a.host[0])
			strcpy(a.host, "::");   /* "" formats as "[::]": the same, every address */
		if (hostport_parse(t1, flags | HP_HOST_OPTIONAL, &b, err) < 0 || strcmp(a.host, b.host) != 0 ||
		    a.port != b.port || a.port_end != b.port_end)
			abort();
		hostport_format(&b, t2, sizeof(t2));
		if (strcmp(t1, t2) != 0)
			abort();
	}
}

static void
acls(const char *s, const uint8_t *raw, size_t n)
{
	struct acl a;
	char err[ERRLEN];
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	memset(&a, 0, sizeof(a));
	if (acl_parse(&a, s, err) < 0) {
		acl_free(&a);   /* it appends: what it took before the error is the caller's */
		return;
	}
	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	v4.sin_family = AF_INET;
	v6.sin6_family = AF_INET6;
	memcpy(&v4.sin_addr, raw, n < 4 ? n : 4);
	memcpy(&v6.sin6_addr, raw, n < 16 ? n : 16);
	(void)acl_match(&a, (struct sockaddr *)&v4);
	(void)acl_match(&a, (struct sockaddr *)&v6);
	acl_free(&a);
}

static void
put(char *buf, size_t size, const char *key, const char *v)
{
	size_t l = strlen(buf);

	if (*v)
		snprintf(buf + l, size - l, "%s%s%s", l ? ";" : "", key, v);
}

static void
transports(const char *s)
{
	struct transport t, u;
	char err[ERRLEN], buf[4096], hex[72];
	int side, i;

	for (side = 0; side < 2; side++) {
		if (transport_parse(s, (enum transport_side)side, &t, err) < 0)
			continue;
		buf[0] = '\0';
		if (t.ws)
			put(buf, sizeof(buf), "ws", " ");
		if (t.tls)
			put(buf, sizeof(buf), "tls", " ");
		if (t.insecure)
			put(buf, sizeof(buf), "insecure", " ");
		if (t.zero_rtt)
			put(buf, sizeof(buf), "0rtt", " ");
		put(buf, sizeof(buf), "host=", t.host);
		put(buf, sizeof(buf), "path=", t.path);
		put(buf, sizeof(buf), "sni=", t.sni);
		put(buf, sizeof(buf), "alpn=", t.alpn);
		put(buf, sizeof(buf), "servername=", t.servername);
		put(buf, sizeof(buf), "cert=", t.cert);
		put(buf, sizeof(buf), "key=", t.key);
		put(buf, sizeof(buf), "ocsp=", t.ocsp);
		if (t.has_pin) {
			strcpy(hex, "sha256:");
			for (i = 0; i < 32; i++)
				snprintf(hex + 7 + 2 * i, 3, "%02x", t.pin[i]);
			put(buf, sizeof(buf), "pin=", hex);
		}
		if (transport_parse(buf, (enum transport_side)side, &u, err) < 0)
			abort();
		if (t.ws != u.ws || t.tls != u.tls || t.insecure != u.insecure || t.zero_rtt != u.zero_rtt ||
		    strcmp(t.host, u.host) || strcmp(t.path, u.path) || strcmp(t.sni, u.sni) ||
		    strcmp(t.alpn, u.alpn) || strcmp(t.servername, u.servername) || strcmp(t.cert, u.cert) ||
		    strcmp(t.key, u.key) || strcmp(t.ocsp, u.ocsp) || t.has_pin != u.has_pin ||
		    memcmp(t.pin, u.pin, sizeof(t.pin)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	if (!(s = malloc(size)))
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0: sizes(s); break;
	case 1: durations(s); break;
	case 2: rates(s); break;
	case 3: hostports(s); break;
	case 4: acls(s, data + 1, size - 1); break;
	default: transports(s); break;
	}
	free(s);
	return 0;
}
