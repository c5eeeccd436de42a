/*
 * nl: a netlink request/answer client for generic netlink (the MPTCP path
 * manager) and sock_diag. One request in flight per socket; every answer is
 * matched by sequence number and read to its end (ack, error or DONE).
 */
#include "nl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#ifndef AF_NETLINK
#define AF_NETLINK 16
#endif

enum {
	NL_MSG_NOOP = 1,
	NL_MSG_ERROR = 2,
	NL_MSG_DONE = 3,
	NL_SOL_NETLINK = 270,
	NL_OPT_CAP_ACK = 10,
	NL_OPT_EXT_ACK = 11,
	NL_ERR_ATTR_MSG = 1,        /* NLMSGERR_ATTR_MSG */
	GENL_ID_CTRL = 0x10,
	CTRL_CMD_GETFAMILY = 3,
	CTRL_ATTR_FAMILY_ID = 1,
	CTRL_ATTR_FAMILY_NAME = 2,
	CTRL_ATTR_VERSION = 3,
};

#define NL_RECV_MAX 65536
#define NL_TIMEOUT_MS 5000   /* the kernel answers at once; this only bounds a wedged read */

struct sockaddr_nl_ {
	unsigned short nl_family;
	unsigned short nl_pad;
	uint32_t nl_pid;
	uint32_t nl_groups;
};

int
nl_open(struct nl_sock *s, int proto, char *err)
{
	struct sockaddr_nl_ sa;
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->proto = proto;
	s->seq = (uint32_t)time(NULL);
	if (!(s->buf = malloc(NL_RECV_MAX))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (s->fd < 0) {
		int e = errno;
		snprintf(err, ERRLEN, "cannot open a netlink socket: %s", strerror(e));
		nl_close(s);
		errno = e;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, ERRLEN, "cannot bind a netlink socket: %s", strerror(e));
		nl_close(s);
		errno = e;
		return -1;
	}
	/* best effort: short error acks and the kernel's words on failure */
	setsockopt(s->fd, NL_SOL_NETLINK, NL_OPT_CAP_ACK, &one, sizeof(one));
	setsockopt(s->fd, NL_SOL_NETLINK, NL_OPT_EXT_ACK, &one, sizeof(one));
	return 0;
}

void
nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
}

void
nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags)
{
	struct nl_hdr h;

	memset(m, 0, sizeof(*m));
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.flags = (uint16_t)(flags | NL_F_REQUEST);
	memcpy(m->buf, &h, sizeof(h));
	m->len = sizeof(h);
}

void
nl_msg_genl(struct nl_msg *m, uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nl_genl g = { cmd, version, 0 };

	nl_msg_init(m, family, flags);
	nl_msg_put(m, &g, sizeof(g));
}

int
nl_msg_put(struct nl_msg *m, const void *data, size_t len)
{
	if (m->len + NL_ALIGN(len) > sizeof(m->buf)) {
		m->overflow = 1;
		errno = EMSGSIZE;
		return -1;
	}
	memset(m->buf + m->len, 0, NL_ALIGN(len));
	if (len)
		memcpy(m->buf + m->len, data, len);
	m->len += NL_ALIGN(len);
	return 0;
}

int
nl_attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nl_attr a;

	if (len > 0xffff - sizeof(a) || m->len + sizeof(a) + NL_ALIGN(len) > sizeof(m->buf)) {
		m->overflow = 1;
		errno = EMSGSIZE;
		return -1;
	}
	a.len = (uint16_t)(sizeof(a) + len);
	a.type = type;
	memcpy(m->buf + m->len, &a, sizeof(a));
	m->len += sizeof(a);
	return nl_msg_put(m, data, len);
}

int
nl_attr_put_u8(struct nl_msg *m, uint16_t type, uint8_t v)
{
	return nl_attr_put(m, type, &v, sizeof(v));
}

int
nl_attr_put_u16(struct nl_msg *m, uint16_t type, uint16_t v)
{
	return nl_attr_put(m, type, &v, sizeof(v));
}

int
nl_attr_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	return nl_attr_put(m, type, &v, sizeof(v));
}

int
nl_attr_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	return nl_attr_put(m, type, s, strlen(s) + 1);
}

int
nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	if (m->nnest == NL_NEST_MAX) {
		m->overflow = 1;
		errno = EMSGSIZE;
		return -1;
	}
	m->nest[m->nnest++] = m->len;
	return nl_attr_put(m, (uint16_t)(type | NL_A_F_NESTED), NULL, 0);
}

int
nl_nest_end(struct nl_msg *m)
{
	struct nl_attr a;
	size_t at;

	if (m->nnest == 0 || m->overflow) {
		m->overflow = 1;
		errno = EINVAL;
		return -1;
	}
	at = m->nest[--m->nnest];
	memcpy(&a, m->buf + at, sizeof(a));
	a.len = (uint16_t)(m->len - at);
	memcpy(m->buf + at, &a, sizeof(a));
	return 0;
}

int
nl_attr_parse(const void *data, size_t len, const struct nl_attr **tb, int max)
{
	const unsigned char *p = data;
	size_t off = 0;
	int i;

	for (i = 0; i <= max; i++)
		tb[i] = NULL;
	while (off + sizeof(struct nl_attr) <= len) {
		const struct nl_attr *a = (const struct nl_attr *)(const void *)(p + off);
		int type = a->type & NL_A_TYPE_MASK;

		if (a->len < sizeof(*a) || off + a->len > len) {
			errno = EINVAL;
			return -1;
		}
		if (type <= max)
			tb[type] = a;
		off += NL_ALIGN(a->len);
	}
	return 0;
}

const void *
nl_attr_data(const struct nl_attr *a)
{
	return (const unsigned char *)a + sizeof(*a);
}

size_t
nl_attr_len(const struct nl_attr *a)
{
	return a->len - sizeof(*a);
}

uint8_t
nl_attr_u8(const struct nl_attr *a)
{
	return a && nl_attr_len(a) >= 1 ? *(const uint8_t *)nl_attr_data(a) : 0;
}

uint16_t
nl_attr_u16(const struct nl_attr *a)
{
	uint16_t v = 0;

	if (a && nl_attr_len(a) >= sizeof(v))
		memcpy(&v, nl_attr_data(a), sizeof(v));
	return v;
}

uint32_t
nl_attr_u32(const struct nl_attr *a)
{
	uint32_t v = 0;

	if (a && nl_attr_len(a) >= sizeof(v))
		memcpy(&v, nl_attr_data(a), sizeof(v));
	return v;
}

/* The error number and extended-ack message of an NLMSG_ERROR / DONE payload. */
static int
ack_error(const struct nl_hdr *h, const unsigned char *data, size_t len, char *err)
{
	int32_t e = 0;
	size_t off;

	if (len < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e < -4095)
		e = -EPROTO;   /* not an error number: the answer is malformed */
	if (e == 0 || !(h->flags & NL_F_ACK_TLVS))
		return e;
	if (h->type == NL_MSG_ERROR) {
		struct nl_hdr orig;

		if (len < sizeof(e) + sizeof(orig))
			return e;
		memcpy(&orig, data + sizeof(e), sizeof(orig));
		off = sizeof(e) + ((h->flags & NL_F_CAPPED) ? sizeof(orig) : NL_ALIGN(orig.len));
	} else
		off = sizeof(e);
	if (off < len) {
		const struct nl_attr *tb[NL_ERR_ATTR_MSG + 1];

		if (nl_attr_parse(data + off, len - off, tb, NL_ERR_ATTR_MSG) == 0 && tb[NL_ERR_ATTR_MSG]) {
			size_t n = nl_attr_len(tb[NL_ERR_ATTR_MSG]);
			const char *s = nl_attr_data(tb[NL_ERR_ATTR_MSG]);

			if (n >= ERRLEN)
				n = ERRLEN - 1;
			memcpy(err, s, n);
			err[n] = '\0';
			n = strnlen(err, n);
			err[n] = '\0';
		}
	}
	return e;
}

static int
send_msg(struct nl_sock *s, struct nl_msg *m)
{
	struct sockaddr_nl_ sa;
	struct nl_hdr h;
	ssize_t n;

	memcpy(&h, m->buf, sizeof(h));
	h.len = (uint32_t)m->len;
	h.seq = ++s->seq;
	memcpy(m->buf, &h, sizeof(h));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	do
		n = sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != m->len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
nl_walk(struct nl_walker *w, const void *buf, size_t n, char *err)
{
	const unsigned char *b = buf;
	size_t off = 0;

	while (off + sizeof(struct nl_hdr) <= n) {
		struct nl_hdr h;
		const unsigned char *payload = b + off + sizeof(h);
		size_t plen;

		memcpy(&h, b + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > n - off) {
			snprintf(err, ERRLEN, "malformed netlink answer");
			errno = EPROTO;
			return -1;
		}
		plen = h.len - sizeof(h);
		off += NL_ALIGN(h.len) < n - off ? NL_ALIGN(h.len) : n - off;
		if (h.seq != w->seq || h.type == NL_MSG_NOOP)
			continue;   /* a stale answer to an earlier request */
		if (h.type == NL_MSG_ERROR || h.type == NL_MSG_DONE) {
			char kerr[ERRLEN] = "";
			int e = ack_error(&h, payload, plen, kerr);

			if (e < 0) {
				snprintf(err, ERRLEN, "%s", kerr);
				errno = -e;
				return -1;
			}
			if (h.type == NL_MSG_ERROR && w->dump)
				continue;   /* an ack inside a dump: keep reading */
			if (w->cb_err) {
				snprintf(err, ERRLEN, "%s", w->cberr);
				errno = w->cb_errno;
				return -1;
			}
			return 1;
		}
		if (w->cb && !w->cb_err && w->cb(&h, payload, plen, w->arg, w->cberr) < 0) {
			w->cb_err = 1;
			w->cb_errno = errno ? errno : EPROTO;
		}
	}
	return 0;
}

int
nl_talk(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *arg, char *err)
{
	struct nl_hdr req;
	struct nl_walker w;
	int rounds;
	int64_t deadline;

	err[0] = '\0';
	if (s->fd < 0 || !s->buf) {
		errno = EBADF;
		return -1;
	}
	if (m->overflow || m->nnest) {
		snprintf(err, ERRLEN, "netlink request too large or malformed");
		errno = EMSGSIZE;
		return -1;
	}
	memset(&w, 0, sizeof(w));
	memcpy(&req, m->buf, sizeof(req));
	w.dump = (req.flags & NL_F_DUMP) == NL_F_DUMP;
	w.cb = cb;
	w.arg = arg;
	if (!w.dump) {
		req.flags |= NL_F_ACK;
		memcpy(m->buf, &req, sizeof(req));
	}
	if (send_msg(s, m) < 0) {
		int e = errno;
		snprintf(err, ERRLEN, "cannot send a netlink request: %s", strerror(e));
		errno = e;
		return -1;
	}
	w.seq = s->seq;
	deadline = now_ms() + NL_TIMEOUT_MS;
	for (rounds = 0; rounds < 100000; rounds++) {
		struct pollfd pfd = { s->fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0 || (r = poll(&pfd, 1, (int)left)) == 0) {
			snprintf(err, ERRLEN, "the kernel did not answer a netlink request in %d ms", NL_TIMEOUT_MS);
			errno = ETIMEDOUT;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = recv(s->fd, s->buf, NL_RECV_MAX, MSG_TRUNC);
		if (n < 0) {
			int e = errno;
			if (e == EINTR || e == EAGAIN)
				continue;
			snprintf(err, ERRLEN, "cannot read a netlink answer: %s", strerror(e));
			errno = e;
			return -1;
		}
		if (n > NL_RECV_MAX) {
			snprintf(err, ERRLEN, "a netlink answer of %zd bytes did not fit the buffer", n);
			errno = EMSGSIZE;
			return -1;
		}
		if ((r = nl_walk(&w, s->buf, (size_t)n, err)) != 0)
			return r < 0 ? -1 : 0;
	}
	snprintf(err, ERRLEN, "netlink answer never ended");
	errno = EPROTO;
	return -1;
}

struct family_ans {
	uint16_t id;
	uint32_t version;
	int found;
};

static int
family_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	struct family_ans *fa = arg;
	const struct nl_attr *tb[CTRL_ATTR_VERSION + 1];

	(void)h;
	if (len < sizeof(struct nl_genl))
		return 0;
	if (nl_attr_parse((const unsigned char *)data + sizeof(struct nl_genl), len - sizeof(struct nl_genl),
	    tb, CTRL_ATTR_VERSION) < 0) {
		snprintf(err, ERRLEN, "malformed answer from the generic netlink controller");
		return -1;
	}
	if (tb[CTRL_ATTR_FAMILY_ID]) {
		fa->id = nl_attr_u16(tb[CTRL_ATTR_FAMILY_ID]);
		fa->version = nl_attr_u32(tb[CTRL_ATTR_VERSION]);
		fa->found = 1;
	}
	return 0;
}

int
nl_genl_family(struct nl_sock *s, const char *name, uint16_t *id, uint32_t *version, char *err)
{
	struct nl_msg m;
	struct family_ans fa = { 0, 0, 0 };

	nl_msg_genl(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	nl_attr_put_str(&m, CTRL_ATTR_FAMILY_NAME, name);
	if (nl_talk(s, &m, family_cb, &fa, err) < 0)
		return -1;
	if (!fa.found) {
		snprintf(err, ERRLEN, "no generic netlink family named %s", name);
		errno = ENOENT;
		return -1;
	}
	*id = fa.id;
	if (version)
		*version = fa.version;
	return 0;
}

/* ---- the machine's global addresses (rtnetlink) ---- */

enum { RTM_GETADDR_ = 22, IFA_ADDRESS_ = 1, IFA_LOCAL_ = 2, IFA_FLAGS_ = 8, RT_SCOPE_UNIVERSE_ = 0 };
enum { IFA_F_TEMPORARY_ = 0x01, IFA_F_DADFAILED_ = 0x08, IFA_F_TENTATIVE_ = 0x40 };

struct ifaddrmsg_ {          /* struct ifaddrmsg */
	uint8_t family, prefixlen, flags, scope;
	uint32_t index;
};

struct addr_ans {
	struct nl_ifaddr *out;
	size_t max, n, total;
};

static int
addr_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	struct addr_ans *a = arg;
	const struct ifaddrmsg_ *ifa = data;
	const struct nl_attr *tb[IFA_FLAGS_ + 1], *ad;
	uint32_t flags;
	size_t alen;

	(void)err;
	if (h->type != 20 /* RTM_NEWADDR */ || len < sizeof(*ifa) || ifa->scope != RT_SCOPE_UNIVERSE_ ||
	    (ifa->family != AF_INET && ifa->family != AF_INET6))
		return 0;
	if (nl_attr_parse((const unsigned char *)data + NL_ALIGN(sizeof(*ifa)), len - NL_ALIGN(sizeof(*ifa)), tb,
	    IFA_FLAGS_) < 0)
		return 0;
	flags = tb[IFA_FLAGS_] ? nl_attr_u32(tb[IFA_FLAGS_]) : ifa->flags;
	if (flags & (IFA_F_TEMPORARY_ | IFA_F_DADFAILED_ | IFA_F_TENTATIVE_))
		return 0;
	/* IPv4: IFA_LOCAL is the address (IFA_ADDRESS the peer's on a point-to-point link) */
	ad = ifa->family == AF_INET && tb[IFA_LOCAL_] ? tb[IFA_LOCAL_] : tb[IFA_ADDRESS_];
	alen = ifa->family == AF_INET ? 4 : 16;
	if (!ad || nl_attr_len(ad) < alen)
		return 0;
	a->total++;
	if (a->n < a->max) {
		a->out[a->n].family = ifa->family;
		memset(a->out[a->n].addr, 0, sizeof(a->out[a->n].addr));
		memcpy(a->out[a->n].addr, nl_attr_data(ad), alen);
		a->out[a->n].ifindex = ifa->index;
		a->n++;
	}
	return 0;
}

int
nl_global_addrs(struct nl_ifaddr *out, size_t max, size_t *n, size_t *total, char *err)
{
	struct nl_sock s;
	struct nl_msg m;
	struct ifaddrmsg_ req;
	struct addr_ans a = { out, max, 0, 0 };
	int rc;

	*n = *total = 0;
	if (nl_open(&s, NL_PROTO_ROUTE, err) < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	nl_msg_init(&m, RTM_GETADDR_, NL_F_DUMP);
	nl_msg_put(&m, &req, sizeof(req));
	rc = nl_talk(&s, &m, addr_cb, &a, err);
	nl_close(&s);
	*n = a.n;
	*total = a.total;
	return rc;
}
