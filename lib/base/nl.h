#ifndef XWPF_NL_H
#define XWPF_NL_H

/*
 * A small netlink client: build a request (header, fixed payload, attributes,
 * nests), send it, read the kernel's answer (one ack or error, or a dump that
 * ends with DONE) and hand every reply to a callback. Generic netlink families
 * are resolved by name through the controller (CTRL_CMD_GETFAMILY).
 *
 * The wire layouts are written out here (musl ships no linux UAPI headers); they are
 * the kernel's stable UAPI. Names carry the nl_ / NL_ prefix so they never
 * clash with <linux/netlink.h> in a glibc build.
 *
 * Errors: -1 with errno set to the kernel's error (or the local one) and, when
 * the kernel attached an extended-ack message, that message in err (ERRLEN).
 */
#include <stddef.h>
#include <stdint.h>

#include "util.h"   /* ERRLEN */

enum {
	NL_PROTO_ROUTE = 0,         /* NETLINK_ROUTE */
	NL_PROTO_SOCK_DIAG = 4,     /* NETLINK_SOCK_DIAG */
	NL_PROTO_GENERIC = 16,      /* NETLINK_GENERIC */
};

/* struct nlmsghdr */
struct nl_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t pid;
};

/* struct nlattr */
struct nl_attr {
	uint16_t len;
	uint16_t type;
};

/* struct genlmsghdr */
struct nl_genl {
	uint8_t cmd;
	uint8_t version;
	uint16_t reserved;
};

enum {
	NL_F_REQUEST = 0x1,
	NL_F_MULTI = 0x2,
	NL_F_ACK = 0x4,
	NL_F_DUMP = 0x300,
	NL_F_CAPPED = 0x100,        /* on an error ack: the request was not echoed */
	NL_F_ACK_TLVS = 0x200,      /* on an error ack: extended-ack attributes follow */
	NL_A_F_NESTED = 0x8000,
	NL_A_TYPE_MASK = 0x3fff,
};

#define NL_ALIGN(n) (((n) + 3u) & ~3u)
#define NL_MSG_MAX 1024   /* our requests are small */
#define NL_NEST_MAX 4

struct nl_sock {
	int fd;
	int proto;
	uint32_t seq;
	unsigned char *buf;   /* receive buffer, NL_RECV_MAX bytes */
};

struct nl_msg {
	unsigned char buf[NL_MSG_MAX];
	size_t len;
	size_t nest[NL_NEST_MAX];
	int nnest;
	int overflow;         /* a put did not fit: nl_talk refuses the message */
};

/* Open a netlink socket of proto (NL_PROTO_*); s->fd = -1 on failure. */
int nl_open(struct nl_sock *s, int proto, char *err);
void nl_close(struct nl_sock *s);

/* Start a message: header only. flags gets NL_F_REQUEST added. */
void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags);
/* Start a generic netlink message for family/cmd/version. */
void nl_msg_genl(struct nl_msg *m, uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags);
/* Raw payload (a fixed struct after the header), aligned to 4. */
int nl_msg_put(struct nl_msg *m, const void *data, size_t len);
int nl_attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
int nl_attr_put_u8(struct nl_msg *m, uint16_t type, uint8_t v);
int nl_attr_put_u16(struct nl_msg *m, uint16_t type, uint16_t v);
int nl_attr_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
int nl_attr_put_str(struct nl_msg *m, uint16_t type, const char *s);
int nl_nest_begin(struct nl_msg *m, uint16_t type);
int nl_nest_end(struct nl_msg *m);

/*
 * Called for every reply message that is not an ack, error or DONE:
 * data/len are the bytes after the netlink header. Return 0 to go on,
 * -1 (errno set, err filled) to stop; nl_talk still drains the answer.
 */
typedef int (*nl_cb)(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err);

/* The reading side of one request: what nl_walk needs between datagrams. */
struct nl_walker {
	uint32_t seq;            /* the request's sequence number */
	int dump;                /* a dump: acks inside it do not end it */
	nl_cb cb;
	void *arg;
	int cb_err, cb_errno;    /* the callback failed: reported at the end */
	char cberr[ERRLEN];
};

/* Walk one datagram [buf, buf+n) of an answer, calling w->cb for each reply
 * of the request: 1 the answer ended well, 0 more datagrams to read, -1 an
 * error (errno, err: the kernel's, the callback's, or a malformed answer).
 * Pure: nl_talk reads the socket and hands each datagram here. */
int nl_walk(struct nl_walker *w, const void *buf, size_t n, char *err);

/* Send m and read the whole answer. A request without NL_F_DUMP asks for an
 * ack. 0 ok; -1 with errno (kernel's error) and err (its message or ""). */
int nl_talk(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *arg, char *err);

/* Index attributes [data, data+len) into tb[0..max] (later duplicates win,
 * types above max are skipped). Returns -1 (EINVAL) on a malformed buffer. */
int nl_attr_parse(const void *data, size_t len, const struct nl_attr **tb, int max);
const void *nl_attr_data(const struct nl_attr *a);
size_t nl_attr_len(const struct nl_attr *a);
/* Fixed-size readers: 0 (or "" for str) when the attribute is too short. */
uint8_t nl_attr_u8(const struct nl_attr *a);
uint16_t nl_attr_u16(const struct nl_attr *a);
uint32_t nl_attr_u32(const struct nl_attr *a);

/* Resolve a generic netlink family by name: its id and version.
 * -1 with errno ENOENT when the kernel has no such family. */
int nl_genl_family(struct nl_sock *s, const char *name, uint16_t *id, uint32_t *version, char *err);

/* The machine's addresses of global scope (an RTM_GETADDR dump of this
 * network namespace): IPv4 and IPv6, neither loopback, link-local, still
 * tentative nor a temporary (privacy) IPv6 one. At most max into out, in the
 * kernel's order; *n how many were kept, *total how many there are. 0, or -1
 * with err. Reads the kernel only: no packet leaves the machine. */
struct nl_ifaddr {
	int family;                /* AF_INET or AF_INET6 */
	unsigned char addr[16];    /* 4 or 16 bytes */
	uint32_t ifindex;
};
int nl_global_addrs(struct nl_ifaddr *out, size_t max, size_t *n, size_t *total, char *err);

#endif
