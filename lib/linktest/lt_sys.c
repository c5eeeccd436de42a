/*
 * linktest system facts (lt.h, lt_sys_): kernel, congestion control, queueing
 * discipline, buffer sysctls of one end, and their one-line wire form.
 */
#include "lt.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nl.h"
#include "util.h"

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
