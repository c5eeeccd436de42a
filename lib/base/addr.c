#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int
addr_family_of(const char *host)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, host, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, buf) == 1)
		return 6;
	return 0;
}

int
hostname_valid(const char *host)
{
	size_t len = strlen(host), label = 0;
	int digits = 1;   /* the last label so far is all digits */
	const char *p;

	if (len == 0 || len > 253)
		return 0;
	for (p = host; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			digits = 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
		if (!isdigit((unsigned char)*p))
			digits = 0;
		if (++label > 63)
			return 0;
	}
	/* no top-level name is all digits: "2" or "10.0.0" is a numeric shorthand
	 * the resolver would turn into 0.0.0.2 or 10.0.0.0, not a name */
	return !digits;
}

int
addr_numeric_shorthand(const char *host)
{
	struct in_addr a;

	if (!*host || addr_family_of(host))
		return 0;
	/* inet_aton's forms, which the resolver takes as an address: hex and
	 * octal parts (0x7f000001, 0xa.1), fewer than four parts */
	return strspn(host, "0123456789.") == strlen(host) || inet_aton(host, &a);
}

int
ifname_valid(const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (n == 0 || n > 15)
		return 0;
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return 0;
	return 1;
}

static int
parse_port(const char *s, uint16_t *out)
{
	long v;

	if (parse_long(s, 1, 65535, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int
hostport_parse(const char *s, unsigned flags, struct hostport *hp, char *err)
{
	char buf[HOST_MAX + 32];
	char *host = NULL, *port, *dash;

	memset(hp, 0, sizeof(*hp));
	if (str_copy(buf, sizeof(buf), s) < 0) {
		snprintf(err, ERRLEN, "'%.40s...' is too long", s);
		return -1;
	}
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close) {
			snprintf(err, ERRLEN, "'%s': missing ']' after the IPv6 address", s);
			return -1;
		}
		*close = '\0';
		host = buf + 1;
		if (close[1] != ':') {
			snprintf(err, ERRLEN, "'%s': expected ':PORT' after ']'", s);
			return -1;
		}
		port = close + 2;
		if (addr_family_of(host) != 6) {
			snprintf(err, ERRLEN, "'%s': '%s' is not an IPv6 address", s, host);
			return -1;
		}
	} else if ((port = strrchr(buf, ':')) != NULL) {
		*port++ = '\0';
		host = buf;
		if (strchr(host, ':')) {
			snprintf(err, ERRLEN, "'%s': write IPv6 addresses in brackets, as [%s]:%s", s, host, port);
			return -1;
		}
	} else {
		int named = !isdigit((unsigned char)buf[0]) && hostname_valid(buf);

		if (named && (flags & HP_NUMERIC)) {
			snprintf(err, ERRLEN, "'%s' is not an IP address and has no port: write IP:PORT%s", s,
			    flags & HP_HOST_OPTIONAL ? ", or only PORT for every address" : "");
			return -1;
		}
		if (named || addr_family_of(buf)) {   /* "127.0.0.1" or "exit.example.com": no port */
			snprintf(err, ERRLEN, "'%s' has no port: write %s:PORT%s", s, s,
			    flags & HP_HOST_OPTIONAL ? " (or only PORT for every address)" : "");
			return -1;
		}
		if (!(flags & HP_HOST_OPTIONAL)) {
			snprintf(err, ERRLEN, "'%s': expected HOST:PORT", s);
			return -1;
		}
		port = buf;
		host = NULL;
	}
	if (host) {
		if (*host == '\0' && !(flags & HP_HOST_OPTIONAL)) {
			snprintf(err, ERRLEN, "'%s': the host is missing", s);
			return -1;
		}
		if (*host && !addr_family_of(host)) {
			if (flags & HP_NUMERIC) {
				snprintf(err, ERRLEN, "'%s': '%s' is not an IP address", s, host);
				return -1;
			}
			if (addr_numeric_shorthand(host)) {
				snprintf(err, ERRLEN, "'%s': '%s' is not a whole IPv4 address: write its four numbers "
				    "(such as 10.0.0.2)", s, host);
				return -1;
			}
			if (!hostname_valid(host)) {
				snprintf(err, ERRLEN, "'%s': '%s' is neither an IP address nor a host name", s, host);
				return -1;
			}
		}
		strcpy(hp->host, host);
	}
	dash = strchr(port, '-');
	if (dash) {
		if (!(flags & HP_RANGE)) {
			snprintf(err, ERRLEN, "'%s': a port range is not allowed here", s);
			return -1;
		}
		*dash++ = '\0';
	}
	if (parse_port(port, &hp->port) < 0) {
		snprintf(err, ERRLEN, "'%s': port '%s' is not a number from 1 to 65535", s, port);
		return -1;
	}
	hp->port_end = hp->port;
	if (dash) {
		if (parse_port(dash, &hp->port_end) < 0) {
			snprintf(err, ERRLEN, "'%s': port '%s' is not a number from 1 to 65535", s, dash);
			return -1;
		}
		if (hp->port_end < hp->port) {
			snprintf(err, ERRLEN, "'%s': the range runs backwards (%u > %u)", s, hp->port, hp->port_end);
			return -1;
		}
	}
	return 0;
}

char *
hostport_format(const struct hostport *hp, char *buf, unsigned size)
{
	char ports[16];
	const char *host = *hp->host ? hp->host : "::";   /* "" = every address, dual stack */
	int v6 = strchr(host, ':') != NULL;

	if (hp->port_end != hp->port)
		snprintf(ports, sizeof(ports), "%u-%u", hp->port, hp->port_end);
	else
		snprintf(ports, sizeof(ports), "%u", hp->port);
	snprintf(buf, size, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", ports);
	return buf;
}
