#ifndef XWPF_ADDR_H
#define XWPF_ADDR_H

#include <stdint.h>

#define HOST_MAX 256

/*
 * "host:port", "[v6]:port", "host:lo-hi", or just "port" / "lo-hi" when
 * flags allow a missing host. host is kept without brackets; "" means any.
 * port_end == port for a single port.
 */
struct hostport {
	char host[HOST_MAX];
	uint16_t port, port_end;
};

enum {
	HP_HOST_OPTIONAL = 1,   /* "8080" alone is fine: host "" */
	HP_RANGE = 2,           /* "lo-hi" allowed */
	HP_NUMERIC = 4,         /* host must be a literal IPv4 or IPv6 address */
};

/* 0 ok; -1 and a message in err (ERRLEN bytes) that says what to fix. */
int hostport_parse(const char *s, unsigned flags, struct hostport *hp, char *err);
/* Back to text, bracketing IPv6: "[::1]:80", "0.0.0.0:1000-1010", and "[::]:80"
 * for any ("" and "::" are the same: every address, dual stack). */
char *hostport_format(const struct hostport *hp, char *buf, unsigned size);
/* 4 or 6 for a literal address, 0 for a name (or ""). */
int addr_family_of(const char *host);
/* A syntactically valid DNS name (letters, digits, '-', '_', '.'; labels <= 63). */
int hostname_valid(const char *host);
/* 1 for digits and dots that are not a whole IPv4 address ("2", "10.0.0"),
 * and for any other form the resolver reads as an IPv4 address ("0x7f000001",
 * "0xa.1"): what a user meant as an address, never a host name. */
int addr_numeric_shorthand(const char *host);
/* An interface name the kernel would take (1..15 chars, no '/' or space). */
int ifname_valid(const char *name);

#endif
