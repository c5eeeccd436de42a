/*
 * mptcp_endpoint: an MPTCP endpoint's text form and the kernel's rules for
 * one (mptcp_endpoint.h).
 */
#include "mptcp_endpoint.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

static const struct {
	const char *name;
	unsigned flag;
} flag_names[] = {
	/* the store's order; `ip mptcp endpoint show` prints signal first */
	{ "subflow", MPTCP_F_SUBFLOW },
	{ "signal", MPTCP_F_SIGNAL },
	{ "backup", MPTCP_F_BACKUP },
	{ "fullmesh", MPTCP_F_FULLMESH },
	{ "implicit", MPTCP_F_IMPLICIT },
	{ "laminar", MPTCP_F_LAMINAR },
};

static int
set_addr(struct mptcp_endpoint *e, const char *s)
{
	if (inet_pton(AF_INET, s, e->addr) == 1)
		e->family = AF_INET;
	else if (inet_pton(AF_INET6, s, e->addr) == 1)
		e->family = AF_INET6;
	else
		return -1;
	inet_ntop(e->family, e->addr, e->addr_text, sizeof(e->addr_text));
	return 0;
}

int
mptcp_endpoint_check(const struct mptcp_endpoint *e, char *err)
{
	static const unsigned char zero[16];

	if (e->family != AF_INET && e->family != AF_INET6) {
		snprintf(err, ERRLEN, "an endpoint needs an IPv4 or IPv6 address");
		return -1;
	}
	if (memcmp(e->addr, zero, e->family == AF_INET ? 4 : 16) == 0) {
		snprintf(err, ERRLEN, "%s is the unspecified address: give the address of one NIC", e->addr_text);
		return -1;
	}
	if ((e->family == AF_INET && e->addr[0] >= 224) || (e->family == AF_INET6 && e->addr[0] == 0xff)) {
		snprintf(err, ERRLEN, "%s is a multicast or broadcast address: give the unicast address of one NIC",
		    e->addr_text);
		return -1;
	}
	if ((e->flags & MPTCP_F_SIGNAL) && (e->flags & MPTCP_F_FULLMESH)) {
		snprintf(err, ERRLEN, "signal and fullmesh cannot be combined (the kernel refuses it): "
		    "use 'signal' to announce the address, or 'subflow fullmesh' to open subflows from it");
		return -1;
	}
	if (e->port && ((e->flags & (MPTCP_F_SIGNAL | MPTCP_F_SUBFLOW)) != MPTCP_F_SIGNAL)) {
		snprintf(err, ERRLEN, "port %d needs the signal flag and not subflow (a port is announced to the peer, "
		    "which joins there)", e->port);
		return -1;
	}
	if (e->flags & ~MPTCP_F_USER) {
		snprintf(err, ERRLEN, "only subflow, signal, backup and fullmesh can be set on an endpoint");
		return -1;
	}
	if (e->id < 0 || e->id > 255) {
		snprintf(err, ERRLEN, "id %d is out of range: use 1 to 255", e->id);
		return -1;
	}
	return 0;
}

int
mptcp_endpoint_parse_argv(int argc, char **argv, struct mptcp_endpoint *e, char *err)
{
	int i, have_addr = 0;
	size_t k;
	long l;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		int known = 0;

		for (k = 0; k < ARRAY_SIZE(flag_names); k++)
			if (strcmp(w, flag_names[k].name) == 0 && (flag_names[k].flag & MPTCP_F_USER)) {
				e->flags |= flag_names[k].flag;
				known = 1;
			}
		if (known)
			continue;
		if (strcmp(w, "id") == 0 || strcmp(w, "port") == 0 || strcmp(w, "dev") == 0) {
			const char *v = i + 1 < argc ? argv[i + 1] : NULL;

			if (!v) {
				snprintf(err, ERRLEN, "'%s' needs a value: %s", w, w[0] == 'd' ? "dev IFNAME" :
				    w[0] == 'i' ? "id 1-255" : "port 1-65535");
				return -1;
			}
			i++;
			if (w[0] == 'd') {
				if (*e->dev) {
					snprintf(err, ERRLEN, "dev given twice");
					return -1;
				}
				if (str_copy(e->dev, sizeof(e->dev), v) < 0 || !*v || strchr(v, '/') || strchr(v, ' ')
				    || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
					snprintf(err, ERRLEN, "'%s' is not an interface name (1 to 15 characters, no '/' or "
					    "space; see: ip link)", v);
					e->dev[0] = '\0';
					return -1;
				}
			} else if (w[0] == 'i') {
				if (parse_long(v, 1, 255, &l) < 0) {
					snprintf(err, ERRLEN, "id must be a number from 1 to 255, not '%s'", v);
					return -1;
				}
				e->id = (int)l;
			} else {
				if (parse_long(v, 1, 65535, &l) < 0) {
					snprintf(err, ERRLEN, "port must be a number from 1 to 65535, not '%s'", v);
					return -1;
				}
				e->port = (int)l;
			}
			continue;
		}
		if (!have_addr && set_addr(e, w) == 0) {
			have_addr = 1;
			continue;
		}
		if (have_addr && set_addr(&(struct mptcp_endpoint){ 0 }, w) == 0)
			snprintf(err, ERRLEN, "one address per endpoint: '%s' is a second one", w);
		else if (strchr(w, '.') || strchr(w, ':'))
			snprintf(err, ERRLEN, "'%s' is not an IPv4 or IPv6 address", w);
		else
			snprintf(err, ERRLEN, "unknown word '%s': expected ADDR, dev IF, id N, port N, subflow, signal, "
			    "backup or fullmesh", w);
		return -1;
	}
	if (!have_addr) {
		snprintf(err, ERRLEN, "an endpoint needs an address (the IPv4 or IPv6 address of a NIC)");
		return -1;
	}
	return mptcp_endpoint_check(e, err);
}

int
mptcp_endpoint_parse(const char *line, struct mptcp_endpoint *e, char *err)
{
	char buf[512], *words[32], *p, *save = NULL;
	int n = 0;

	if (str_copy(buf, sizeof(buf), line) < 0) {
		snprintf(err, ERRLEN, "endpoint text too long");
		return -1;
	}
	for (p = strtok_r(buf, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
		if (n == (int)ARRAY_SIZE(words)) {
			snprintf(err, ERRLEN, "too many words in an endpoint");
			return -1;
		}
		words[n++] = p;
	}
	return mptcp_endpoint_parse_argv(n, words, e, err);
}

char *
mptcp_flags_text(unsigned flags, char *buf, size_t size)
{
	size_t k, n = 0;

	buf[0] = '\0';
	for (k = 0; k < ARRAY_SIZE(flag_names) && n < size; k++)
		if (flags & flag_names[k].flag)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "", flag_names[k].name);
	if ((flags & ~0x3fu) && n < size)
		snprintf(buf + n, size - n, "%srawflags 0x%x", n ? " " : "", flags & ~0x3fu);
	return buf;
}

char *
mptcp_endpoint_format(const struct mptcp_endpoint *e, char *buf, size_t size)
{
	char fl[96];
	size_t n;

	n = (size_t)snprintf(buf, size, "%s", e->addr_text);
	if (*e->dev && n < size)
		n += (size_t)snprintf(buf + n, size - n, " dev %s", e->dev);
	if (e->id && n < size)
		n += (size_t)snprintf(buf + n, size - n, " id %d", e->id);
	if (e->port && n < size)
		n += (size_t)snprintf(buf + n, size - n, " port %d", e->port);
	mptcp_flags_text(e->flags, fl, sizeof(fl));
	if (*fl && n < size)
		snprintf(buf + n, size - n, " %s", fl);
	return buf;
}

char *
mptcp_endpoint_show(const struct mptcp_endpoint *e, char *buf, size_t size)
{
	/* iproute2 prints signal before subflow */
	static const unsigned order[] = { MPTCP_F_SIGNAL, MPTCP_F_SUBFLOW, MPTCP_F_BACKUP, MPTCP_F_FULLMESH,
	    MPTCP_F_IMPLICIT, MPTCP_F_LAMINAR };
	char fl[24];
	size_t k, n;

	n = (size_t)snprintf(buf, size, "%s", e->addr_text);
	if (e->port && n < size)
		n += (size_t)snprintf(buf + n, size - n, " port %d", e->port);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, " id %d", e->id);
	for (k = 0; k < ARRAY_SIZE(order) && n < size; k++)
		if (e->flags & order[k])
			n += (size_t)snprintf(buf + n, size - n, " %s", mptcp_flags_text(order[k], fl, sizeof(fl)));
	if (*e->dev && n < size)
		snprintf(buf + n, size - n, " dev %s", e->dev);
	return buf;
}

int
mptcp_endpoint_same(const struct mptcp_endpoint *a, const struct mptcp_endpoint *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0 &&
	    a->port == b->port;
}
