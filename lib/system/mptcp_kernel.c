/*
 * mptcp: the kernel's MPTCP path manager over generic netlink, the net.mptcp
 * sysctls and MPTCP socket counts over sock_diag; the endpoint text form is
 * lib/store/mptcp_endpoint.c.
 * Attributes and flags follow the kernel UAPI (include/uapi/linux/mptcp.h)
 * as iproute2's ip/ipmptcp.c uses them.
 */
#include "mptcp_kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "paths.h"
#include "store.h"
#include "util.h"

/* include/uapi/linux/mptcp_pm.h */
enum {
	PM_CMD_ADD_ADDR = 1,
	PM_CMD_DEL_ADDR = 2,
	PM_CMD_GET_ADDR = 3,
	PM_CMD_FLUSH_ADDRS = 4,
	PM_CMD_SET_LIMITS = 5,
	PM_CMD_GET_LIMITS = 6,
};
enum {
	PM_ATTR_ADDR = 1,          /* nested */
	PM_ATTR_RCV_ADD_ADDRS = 2, /* u32 */
	PM_ATTR_SUBFLOWS = 3,      /* u32 */
	PM_ATTR_MAX = 6,
};
enum {
	PM_ADDR_ATTR_FAMILY = 1,   /* u16 */
	PM_ADDR_ATTR_ID = 2,       /* u8 */
	PM_ADDR_ATTR_ADDR4 = 3,    /* 4 bytes, network order */
	PM_ADDR_ATTR_ADDR6 = 4,    /* 16 bytes */
	PM_ADDR_ATTR_PORT = 5,     /* u16, host order */
	PM_ADDR_ATTR_FLAGS = 6,    /* u32 */
	PM_ADDR_ATTR_IF_IDX = 7,   /* s32 */
	PM_ADDR_ATTR_MAX = 7,
};
#define PM_VERSION 1

/* include/uapi/linux/inet_diag.h, sock_diag.h */
enum {
	SOCK_DIAG_BY_FAMILY = 20,
	INET_DIAG_INFO = 2,
	INET_DIAG_REQ_PROTOCOL = 3,
	DIAG_TCP_ESTABLISHED = 1,
	DIAG_TCP_LISTEN = 10,
};
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
struct diag_sockid {
	uint16_t sport, dport;
	uint32_t src[4], dst[4];
	uint32_t ifindex;
	uint32_t cookie[2];
};
struct diag_req {
	uint8_t family, protocol, ext, pad;
	uint32_t states;
	struct diag_sockid id;
};
struct diag_msg {
	uint8_t family, state, timer, retrans;
	struct diag_sockid id;
	uint32_t expires, rqueue, wqueue, uid, inode;
};
/* struct mptcp_info: subflows (extra subflows) at 0, subflows_total at 80 (Linux 6.8+) */
#define MPTCP_INFO_SUBFLOWS 0
#define MPTCP_INFO_SUBFLOWS_TOTAL 80

/* "eth0" matches "eth0" and the IPv4 label "eth0:1". */
static int
ifname_is(const char *label, const char *dev)
{
	size_t n = strlen(dev);

	return strncmp(label, dev, n) == 0 && (label[n] == '\0' || label[n] == ':');
}

static int
ifa_has(const struct ifaddrs *a, const struct mptcp_endpoint *e)
{
	if (!a->ifa_addr || a->ifa_addr->sa_family != e->family)
		return 0;
	if (e->family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr, e->addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a->ifa_addr)->sin6_addr, e->addr, 16) == 0;
}

int
mptcp_endpoint_local(struct mptcp_endpoint *e, char *err)
{
	struct ifaddrs *ifs = NULL, *a;
	char where[IF_NAMESIZE] = "", have[160] = "";
	size_t n = 0;
	int found = 0;

	e->ifindex = 0;
	if (*e->dev && (e->ifindex = (int)if_nametoindex(e->dev)) == 0) {
		snprintf(err, ERRLEN, "there is no interface named %s (see: ip link)", e->dev);
		e->ifindex = -1;
		return -1;
	}
	if (getifaddrs(&ifs) < 0) {
		snprintf(err, ERRLEN, "cannot list the addresses of the NICs: %s", strerror(errno));
		return -1;
	}
	for (a = ifs; a; a = a->ifa_next) {
		if (!ifa_has(a, e)) {
			if (*e->dev && a->ifa_addr && ifname_is(a->ifa_name, e->dev) && n < sizeof(have) &&
			    (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6)) {
				char t[INET6_ADDRSTRLEN];
				const void *p = a->ifa_addr->sa_family == AF_INET ?
				    (const void *)&((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr :
				    (const void *)&((const struct sockaddr_in6 *)(const void *)a->ifa_addr)->sin6_addr;
				inet_ntop(a->ifa_addr->sa_family, p, t, sizeof(t));
				n += (size_t)snprintf(have + n, sizeof(have) - n, "%s%s", n ? ", " : "", t);
			}
			continue;
		}
		if (!*e->dev || ifname_is(a->ifa_name, e->dev)) {
			found = 1;
			break;
		}
		snprintf(where, sizeof(where), "%s", a->ifa_name);
	}
	freeifaddrs(ifs);
	if (found)
		return 0;
	if (!*e->dev)
		snprintf(err, ERRLEN, "%s is not configured on any interface: add it first "
		    "(ip addr add %s/PREFIX dev IF) or give an address this host has", e->addr_text, e->addr_text);
	else if (*where) {
		char *colon = strchr(where, ':');   /* an IPv4 label "eth0:1" is on eth0 */
		if (colon)
			*colon = '\0';
		snprintf(err, ERRLEN, "%s is not on %s but on %s: use 'dev %s'", e->addr_text, e->dev, where, where);
	}
	else
		snprintf(err, ERRLEN, "%s is not configured on %s (%s has %s): give one of those addresses or add "
		    "it with ip addr add %s/PREFIX dev %s", e->addr_text, e->dev, e->dev, *have ? have : "no address",
		    e->addr_text, e->dev);
	return -1;
}

/* ---- the path manager ---- */

static const char *
kernel_release(void)
{
	static struct utsname u;

	if (!*u.release && uname(&u) < 0)
		return "unknown";
	return u.release;
}

int
mptcp_pm_open(struct mptcp_pm *pm, char *err)
{
	char kerr[ERRLEN];

	memset(pm, 0, sizeof(*pm));
	if (nl_open(&pm->nl, NL_PROTO_GENERIC, err) < 0)
		return -1;
	if (nl_genl_family(&pm->nl, "mptcp_pm", &pm->family, &pm->version, kerr) < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(err, ERRLEN, "this kernel (%s) has no MPTCP path manager (generic netlink family "
			    "mptcp_pm): MPTCP needs Linux 5.6 or newer built with CONFIG_MPTCP=y", kernel_release());
		else
			snprintf(err, ERRLEN, "cannot look up the MPTCP path manager: %s%s%s", strerror(e),
			    *kerr ? ": " : "", kerr);
		nl_close(&pm->nl);
		errno = e;
		return -1;
	}
	return 0;
}

void
mptcp_pm_close(struct mptcp_pm *pm)
{
	nl_close(&pm->nl);
}

/* Put the kernel's refusal of `what` into words. */
static void
explain(int e, const char *kerr, const char *what, char *err)
{
	const char *hint;
	char cmd[PATH_MAX + 80], line[PATH_MAX + 200];

	switch (e) {
	case EPERM:
	case EACCES:
		snprintf(err, ERRLEN, "permission denied: %s needs root (CAP_NET_ADMIN)", what);
		return;
	case ENOPROTOOPT:
		snprintf(line, sizeof(line), "MPTCP is disabled (net.mptcp.enabled = 0): run '%s' first",
		    path_cmd(cmd, sizeof(cmd), "mptcp enable"));
		hint = line;
		break;
	case ERANGE:
		snprintf(line, sizeof(line), "the kernel keeps at most 8 endpoints: delete one first (%s)",
		    path_cmd(cmd, sizeof(cmd), "mptcp endpoint del ID"));
		hint = line;
		break;
	case EEXIST:
		snprintf(line, sizeof(line), "that address (and port) already has an endpoint (see: %s)",
		    path_cmd(cmd, sizeof(cmd), "mptcp endpoint list"));
		hint = line;
		break;
	case EBUSY:
		hint = "that id is taken by another endpoint: choose another id or leave it out";
		break;
	case EOPNOTSUPP:
		hint = "the path manager of this kernel does not support it (too old?)";
		break;
	default:
		hint = NULL;
	}
	if (hint)
		snprintf(err, ERRLEN, "%s refused: %s%s%s%s", what, hint, *kerr ? " (kernel: " : "", kerr, *kerr ? ")" : "");
	else
		snprintf(err, ERRLEN, "%s refused by the kernel: %s%s%s%s", what, strerror(e), *kerr ? " (" : "", kerr,
		    *kerr ? ")" : "");
}

static int
talk(struct mptcp_pm *pm, struct nl_msg *m, nl_cb cb, void *arg, const char *what, char *err)
{
	char kerr[ERRLEN];

	if (nl_talk(&pm->nl, m, cb, arg, kerr) < 0) {
		int e = errno;
		explain(e, kerr, what, err);
		errno = e;
		return -1;
	}
	return 0;
}

static void
put_addr(struct nl_msg *m, const struct mptcp_endpoint *e, int with_id_only)
{
	nl_nest_begin(m, PM_ATTR_ADDR);
	if (e->id)
		nl_attr_put_u8(m, PM_ADDR_ATTR_ID, (uint8_t)e->id);
	if (!with_id_only) {
		nl_attr_put_u16(m, PM_ADDR_ATTR_FAMILY, (uint16_t)e->family);
		if (e->family == AF_INET)
			nl_attr_put(m, PM_ADDR_ATTR_ADDR4, e->addr, 4);
		else
			nl_attr_put(m, PM_ADDR_ATTR_ADDR6, e->addr, 16);
		if (e->port)
			nl_attr_put_u16(m, PM_ADDR_ATTR_PORT, (uint16_t)e->port);
		if (e->flags)
			nl_attr_put_u32(m, PM_ADDR_ATTR_FLAGS, e->flags);
		if (e->ifindex > 0)
			nl_attr_put_u32(m, PM_ADDR_ATTR_IF_IDX, (uint32_t)e->ifindex);
	}
	nl_nest_end(m);
}

struct ep_list {
	struct mptcp_endpoint *v;
	size_t n, cap;
};

static int
list_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	struct ep_list *l = arg;
	const struct nl_attr *tb[PM_ATTR_MAX + 1], *ta[PM_ADDR_ATTR_MAX + 1];
	struct mptcp_endpoint e;
	char ifn[IF_NAMESIZE];

	(void)h;
	if (len < sizeof(struct nl_genl))
		return 0;
	if (nl_attr_parse((const unsigned char *)data + sizeof(struct nl_genl), len - sizeof(struct nl_genl), tb,
	    PM_ATTR_MAX) < 0 || !tb[PM_ATTR_ADDR] ||
	    nl_attr_parse(nl_attr_data(tb[PM_ATTR_ADDR]), nl_attr_len(tb[PM_ATTR_ADDR]), ta, PM_ADDR_ATTR_MAX) < 0) {
		snprintf(err, ERRLEN, "malformed endpoint from the kernel");
		errno = EPROTO;
		return -1;
	}
	memset(&e, 0, sizeof(e));
	e.family = nl_attr_u16(ta[PM_ADDR_ATTR_FAMILY]);
	if (ta[PM_ADDR_ATTR_ADDR4] && nl_attr_len(ta[PM_ADDR_ATTR_ADDR4]) >= 4) {
		e.family = AF_INET;
		memcpy(e.addr, nl_attr_data(ta[PM_ADDR_ATTR_ADDR4]), 4);
	} else if (ta[PM_ADDR_ATTR_ADDR6] && nl_attr_len(ta[PM_ADDR_ATTR_ADDR6]) >= 16) {
		e.family = AF_INET6;
		memcpy(e.addr, nl_attr_data(ta[PM_ADDR_ATTR_ADDR6]), 16);
	}
	if (e.family == AF_INET || e.family == AF_INET6)
		inet_ntop(e.family, e.addr, e.addr_text, sizeof(e.addr_text));
	else
		snprintf(e.addr_text, sizeof(e.addr_text), "family-%d", e.family);
	e.id = nl_attr_u8(ta[PM_ADDR_ATTR_ID]);
	e.port = nl_attr_u16(ta[PM_ADDR_ATTR_PORT]);
	e.flags = nl_attr_u32(ta[PM_ADDR_ATTR_FLAGS]);
	e.ifindex = (int)nl_attr_u32(ta[PM_ADDR_ATTR_IF_IDX]);
	if (e.ifindex > 0) {
		if (if_indextoname((unsigned)e.ifindex, ifn))
			snprintf(e.dev, sizeof(e.dev), "%s", ifn);
		else
			snprintf(e.dev, sizeof(e.dev), "if%d", e.ifindex);
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct mptcp_endpoint *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv) {
			snprintf(err, ERRLEN, "out of memory");
			errno = ENOMEM;
			return -1;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

int
mptcp_pm_list(struct mptcp_pm *pm, struct mptcp_endpoint **v, size_t *n, char *err)
{
	struct nl_msg m;
	struct ep_list l = { NULL, 0, 0 };

	nl_msg_genl(&m, pm->family, PM_CMD_GET_ADDR, PM_VERSION, NL_F_DUMP);
	if (talk(pm, &m, list_cb, &l, "listing the endpoints", err) < 0) {
		free(l.v);
		*v = NULL;
		*n = 0;
		return -1;
	}
	*v = l.v;
	*n = l.n;
	return 0;
}

int
mptcp_pm_add(struct mptcp_pm *pm, const struct mptcp_endpoint *e, char *err)
{
	struct nl_msg m;
	char what[120];

	snprintf(what, sizeof(what), "adding the endpoint %s", e->addr_text);
	nl_msg_genl(&m, pm->family, PM_CMD_ADD_ADDR, PM_VERSION, 0);
	put_addr(&m, e, 0);
	return talk(pm, &m, NULL, NULL, what, err);
}

int
mptcp_pm_del(struct mptcp_pm *pm, int id, char *err)
{
	struct nl_msg m;
	struct mptcp_endpoint e;
	char what[64];

	if (id < 1 || id > 255) {
		snprintf(err, ERRLEN, "id %d is out of range: use 1 to 255", id);
		errno = EINVAL;
		return -1;
	}
	memset(&e, 0, sizeof(e));
	e.id = id;
	snprintf(what, sizeof(what), "deleting endpoint id %d", id);
	nl_msg_genl(&m, pm->family, PM_CMD_DEL_ADDR, PM_VERSION, 0);
	put_addr(&m, &e, 1);
	return talk(pm, &m, NULL, NULL, what, err);
}

int
mptcp_pm_flush(struct mptcp_pm *pm, char *err)
{
	struct nl_msg m;

	nl_msg_genl(&m, pm->family, PM_CMD_FLUSH_ADDRS, PM_VERSION, 0);
	return talk(pm, &m, NULL, NULL, "flushing the endpoints", err);
}

struct limits_ans {
	long subflows, add_addr_accepted;
};

static int
limits_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	struct limits_ans *la = arg;
	const struct nl_attr *tb[PM_ATTR_MAX + 1];

	(void)h;
	if (len < sizeof(struct nl_genl) || nl_attr_parse((const unsigned char *)data + sizeof(struct nl_genl),
	    len - sizeof(struct nl_genl), tb, PM_ATTR_MAX) < 0) {
		snprintf(err, ERRLEN, "malformed limits from the kernel");
		errno = EPROTO;
		return -1;
	}
	if (tb[PM_ATTR_SUBFLOWS])
		la->subflows = (long)nl_attr_u32(tb[PM_ATTR_SUBFLOWS]);
	if (tb[PM_ATTR_RCV_ADD_ADDRS])
		la->add_addr_accepted = (long)nl_attr_u32(tb[PM_ATTR_RCV_ADD_ADDRS]);
	return 0;
}

int
mptcp_pm_limits_get(struct mptcp_pm *pm, long *subflows, long *add_addr_accepted, char *err)
{
	struct nl_msg m;
	struct limits_ans la = { -1, -1 };

	nl_msg_genl(&m, pm->family, PM_CMD_GET_LIMITS, PM_VERSION, 0);
	if (talk(pm, &m, limits_cb, &la, "reading the limits", err) < 0)
		return -1;
	*subflows = la.subflows;
	*add_addr_accepted = la.add_addr_accepted;
	return 0;
}

int
mptcp_pm_limits_set(struct mptcp_pm *pm, long subflows, long add_addr_accepted, char *err)
{
	struct nl_msg m;

	if (subflows > MPTCP_LIMIT_MAX || add_addr_accepted > MPTCP_LIMIT_MAX) {
		snprintf(err, ERRLEN, "limits go from 0 to %d", MPTCP_LIMIT_MAX);
		errno = EINVAL;
		return -1;
	}
	nl_msg_genl(&m, pm->family, PM_CMD_SET_LIMITS, PM_VERSION, 0);
	if (add_addr_accepted >= 0)
		nl_attr_put_u32(&m, PM_ATTR_RCV_ADD_ADDRS, (uint32_t)add_addr_accepted);
	if (subflows >= 0)
		nl_attr_put_u32(&m, PM_ATTR_SUBFLOWS, (uint32_t)subflows);
	return talk(pm, &m, NULL, NULL, "setting the limits", err);
}

/* ---- sockets ---- */

static int
diag_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	struct mptcp_conns *c = arg;
	struct diag_msg dm;
	const struct nl_attr *tb[INET_DIAG_INFO + 1];
	const unsigned char *info;
	size_t ilen;

	(void)err;
	if (h->type != SOCK_DIAG_BY_FAMILY || len < sizeof(dm))
		return 0;
	memcpy(&dm, data, sizeof(dm));
	if (dm.state == DIAG_TCP_LISTEN) {
		c->listening++;
		return 0;
	}
	if (dm.state == DIAG_TCP_ESTABLISHED)
		c->established++;
	else
		c->other++;
	if (nl_attr_parse((const unsigned char *)data + NL_ALIGN(sizeof(dm)), len - NL_ALIGN(sizeof(dm)), tb,
	    INET_DIAG_INFO) < 0 || !tb[INET_DIAG_INFO])
		return 0;
	info = nl_attr_data(tb[INET_DIAG_INFO]);
	ilen = nl_attr_len(tb[INET_DIAG_INFO]);
	if (ilen > MPTCP_INFO_SUBFLOWS_TOTAL)
		c->subflows += info[MPTCP_INFO_SUBFLOWS_TOTAL];
	else if (ilen > MPTCP_INFO_SUBFLOWS)
		c->subflows += info[MPTCP_INFO_SUBFLOWS] + 1;   /* older kernels count only the joined ones */
	return 0;
}

int
mptcp_conn_count(struct mptcp_conns *c, char *err)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct nl_sock s;
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (nl_open(&s, NL_PROTO_SOCK_DIAG, err) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct nl_msg m;
		struct diag_req req;
		char kerr[ERRLEN];

		memset(&req, 0, sizeof(req));
		req.family = (uint8_t)families[i];
		req.protocol = IPPROTO_TCP;   /* the real protocol rides in INET_DIAG_REQ_PROTOCOL */
		req.ext = 1 << (INET_DIAG_INFO - 1);
		req.states = 0xffffffffu;
		nl_msg_init(&m, SOCK_DIAG_BY_FAMILY, NL_F_DUMP);
		nl_msg_put(&m, &req, sizeof(req));
		nl_attr_put_u32(&m, INET_DIAG_REQ_PROTOCOL, IPPROTO_MPTCP);
		if (nl_talk(&s, &m, diag_cb, c, kerr) < 0) {
			int e = errno;
			if (e == ENOENT || e == EINVAL || e == EOPNOTSUPP)
				snprintf(err, ERRLEN, "this kernel cannot list MPTCP sockets (mptcp_diag missing: "
				    "CONFIG_INET_MPTCP_DIAG)");
			else
				snprintf(err, ERRLEN, "cannot list MPTCP sockets: %s%s%s", strerror(e), *kerr ? ": " : "",
				    kerr);
			errno = e;
			rc = -1;
			break;
		}
	}
	nl_close(&s);
	return rc;
}

long long
mptcp_netstat(const char *name)
{
	char *text, *p, *names = NULL, *vals = NULL;
	long long v = -1;
	size_t len;

	if (!(text = file_read("/proc/net/netstat", &len)))
		return -1;
	/* pairs of lines: "MPTcpExt: Name1 Name2 ..." then "MPTcpExt: 1 2 ..." */
	for (p = text; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(p, "MPTcpExt:", 9) == 0) {
			if (!names)
				names = p + 9;
			else if (!vals)
				vals = p + 9;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (names && vals) {
		char *s1 = NULL, *s2 = NULL, *n, *val;

		for (n = strtok_r(names, " ", &s1), val = strtok_r(vals, " ", &s2); n && val;
		    n = strtok_r(NULL, " ", &s1), val = strtok_r(NULL, " ", &s2))
			if (strcmp(n, name) == 0) {
				v = strtoll(val, NULL, 10);
				break;
			}
	}
	free(text);
	return v;
}

/* ---- sysctls ---- */

static int
sysctl_path(const char *name, char *buf, size_t size)
{
	size_t i, n = strlen(name);

	if (n + 11 >= size || strstr(name, "..") || strchr(name, '/')) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, "/proc/sys/", 10);
	for (i = 0; i <= n; i++)
		buf[10 + i] = name[i] == '.' ? '/' : name[i];
	return 0;
}

int
mptcp_sysctl_get(const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	if (sysctl_path(name, path, sizeof(path)) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	str_trim(buf);
	/* multi-value sysctls use tabs */
	for (n = 0; buf[n]; n++)
		if (buf[n] == '\t')
			buf[n] = ' ';
	return 0;
}

const char *
mptcp_sysctl_text(int on, char *buf, size_t size)
{
	char pm[16];
	size_t n;

	n = (size_t)snprintf(buf, size,
	    "# MPTCP for xwpf, written by 'xwpf mptcp %s'. Endpoints and limits are not sysctls:\n"
	    "# they live in the store's [mptcp] section and 'xwpf mptcp apply' puts them back at boot.\n"
	    "net.mptcp.enabled = %d\n", on ? "enable" : "disable", on ? 1 : 0);
	if (on && n < size) {
		if (mptcp_sysctl_get("net.mptcp.pm_type", pm, sizeof(pm)) == 0)
			n += (size_t)snprintf(buf + n, size - n, "net.mptcp.pm_type = 0\n");
		if (n < size)
			snprintf(buf + n, size - n, "net.ipv4.conf.all.rp_filter = 2\nnet.ipv4.conf.default.rp_filter = 2\n");
	}
	return buf;
}

int
mptcp_sysctl_set(const char *name, const char *value, char *err)
{
	char path[256];
	int fd;

	if (sysctl_path(name, path, sizeof(path)) < 0) {
		snprintf(err, ERRLEN, "bad sysctl name %s", name);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write_all(fd, value, strlen(value)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == EACCES || e == EPERM || e == EROFS)
			snprintf(err, ERRLEN, "cannot set %s = %s: %s (run as root, outside a read-only container)", name,
			    value, strerror(e));
		else if (e == ENOENT)
			snprintf(err, ERRLEN, "cannot set %s: this kernel has no such sysctl%s", name,
			    strncmp(name, "net.mptcp.", 10) == 0 ? " (MPTCP needs Linux 5.6+ with CONFIG_MPTCP)" : "");
		else
			snprintf(err, ERRLEN, "cannot set %s = %s: %s", name, value, strerror(e));
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- re-applying the store ---- */

static void
reportf(mptcp_report_fn report, void *arg, int level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reportf(mptcp_report_fn report, void *arg, int level, const char *fmt, ...)
{
	char msg[2 * ERRLEN];
	va_list ap;

	if (!report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(arg, level, msg);
}

static int
same_settings(const struct mptcp_endpoint *want, const struct mptcp_endpoint *have)
{
	return (have->flags & MPTCP_F_USER) == want->flags && !(have->flags & MPTCP_F_IMPLICIT) &&
	    have->ifindex == (want->ifindex > 0 ? want->ifindex : 0) && (!want->id || want->id == have->id);
}

int
mptcp_apply(const struct store_mptcp *m, mptcp_report_fn report, void *arg, char *err)
{
	struct mptcp_pm pm;
	struct mptcp_endpoint *have = NULL;
	size_t nhave = 0, i, j;
	char e2[ERRLEN], buf[300];
	int nerr = 0;

	if (mptcp_pm_open(&pm, err) < 0)
		return -1;
	if (m->enabled >= 0) {
		if (mptcp_sysctl_set("net.mptcp.enabled", m->enabled ? "1" : "0", e2) < 0) {
			reportf(report, arg, MPTCP_REPORT_ERROR, "%s", e2);
			nerr++;
		} else
			reportf(report, arg, MPTCP_REPORT_INFO, "net.mptcp.enabled = %d", m->enabled ? 1 : 0);
	}
	if (m->subflows >= 0 || m->add_addr_accepted >= 0) {
		if (mptcp_pm_limits_set(&pm, m->subflows, m->add_addr_accepted, e2) < 0) {
			reportf(report, arg, MPTCP_REPORT_ERROR, "%s", e2);
			nerr++;
		} else {
			long sf = m->subflows, aa = m->add_addr_accepted;
			if (sf < 0 || aa < 0)
				mptcp_pm_limits_get(&pm, &sf, &aa, e2);
			reportf(report, arg, MPTCP_REPORT_INFO, "limits: subflows %ld add_addr_accepted %ld", sf, aa);
		}
	}
	if (m->nendpoints && mptcp_pm_list(&pm, &have, &nhave, e2) < 0) {
		reportf(report, arg, MPTCP_REPORT_ERROR, "%s", e2);
		mptcp_pm_close(&pm);
		return nerr + (int)m->nendpoints;
	}
	for (i = 0; i < m->nendpoints; i++) {
		struct mptcp_endpoint e;
		const struct mptcp_endpoint *cur = NULL;

		if (mptcp_endpoint_parse(m->endpoints[i], &e, e2) < 0) {
			reportf(report, arg, MPTCP_REPORT_ERROR, "endpoint '%s' in the store: %s", m->endpoints[i], e2);
			nerr++;
			continue;
		}
		if (mptcp_endpoint_local(&e, e2) < 0) {
			if (e.ifindex < 0) {
				reportf(report, arg, MPTCP_REPORT_ERROR, "endpoint %s not applied: %s", e.addr_text, e2);
				nerr++;
				continue;
			}
			/* at boot an address may come later: the kernel takes it anyway */
			reportf(report, arg, MPTCP_REPORT_WARN, "endpoint %s: %s", e.addr_text, e2);
		}
		for (j = 0; j < nhave; j++)
			if (mptcp_endpoint_same(&have[j], &e))
				cur = &have[j];
		if (cur && same_settings(&e, cur)) {
			reportf(report, arg, MPTCP_REPORT_INFO, "endpoint %s already in place (id %d)",
			    mptcp_endpoint_format(&e, buf, sizeof(buf)), cur->id);
			continue;
		}
		if (cur && mptcp_pm_del(&pm, cur->id, e2) < 0) {
			reportf(report, arg, MPTCP_REPORT_ERROR, "cannot replace endpoint id %d: %s", cur->id, e2);
			nerr++;
			continue;
		}
		if (mptcp_pm_add(&pm, &e, e2) < 0) {
			reportf(report, arg, MPTCP_REPORT_ERROR, "%s", e2);
			nerr++;
			continue;
		}
		reportf(report, arg, MPTCP_REPORT_INFO, "endpoint %s %s", mptcp_endpoint_format(&e, buf, sizeof(buf)),
		    cur ? "replaced" : "added");
	}
	free(have);
	mptcp_pm_close(&pm);
	return nerr;
}
