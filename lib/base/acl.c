#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int
cidr_parse(const char *s, struct cidr *c, char *err)
{
	char buf[80], *slash;
	long p = -1;
	int max;

	if (str_copy(buf, sizeof(buf), s) < 0) {
		snprintf(err, ERRLEN, "'%.40s...' is not an address or CIDR", s);
		return -1;
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, ERRLEN, "'%s' is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)", s);
		return -1;
	}
	if (slash && parse_long(slash, 0, max, &p) < 0) {
		snprintf(err, ERRLEN, "'%s': the prefix length must be 0 to %d", s, max);
		return -1;
	}
	c->prefix = slash ? (int)p : max;
	return 0;
}

int
acl_parse(struct acl *a, const char *list, char *err)
{
	char buf[4096], *tok, *save = NULL;

	if (str_copy(buf, sizeof(buf), list) < 0) {
		snprintf(err, ERRLEN, "address list too long");
		return -1;
	}
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct cidr *nv;

		if (!(nv = realloc(a->v, (a->n + 1) * sizeof(*nv)))) {
			snprintf(err, ERRLEN, "out of memory");
			return -1;
		}
		a->v = nv;
		if (cidr_parse(tok, &a->v[a->n], err) < 0)
			return -1;
		a->n++;
	}
	return 0;
}

static int
prefix_eq(const unsigned char *x, const unsigned char *y, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(x, y, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));
		if ((x[full] & m) != (y[full] & m))
			return 0;
	}
	return 1;
}

int
acl_match(const struct acl *a, const struct sockaddr *sa)
{
	unsigned char v4[4], v6[16];
	int has4 = 0, has6 = 0;
	size_t i;

	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		has4 = 1;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *x = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		memcpy(v6, x, 16);
		has6 = 1;
		if (IN6_IS_ADDR_V4MAPPED(x)) {
			memcpy(v4, v6 + 12, 4);
			has4 = 1;
		}
	}
	for (i = 0; i < a->n; i++) {
		const struct cidr *c = &a->v[i];
		if (c->family == AF_INET && has4 && prefix_eq(c->addr, v4, c->prefix))
			return 1;
		if (c->family == AF_INET6 && has6 && prefix_eq(c->addr, v6, c->prefix))
			return 1;
	}
	return 0;
}

void
acl_free(struct acl *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
