#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "net.h"
#include "util.h"

#define UDP_BATCH 16
#define UDP_DGRAM 65536
#define UDP_CTL UDP_CTL_MAX
#define UDP_GSO_SEGS 64                /* segments per GSO send: every kernel with it takes 64 */
#define UDP_GSO_BYTES 65507            /* and their payload together, as one datagram's */
#ifndef UDP_RCVBUF
#define UDP_RCVBUF (4 << 20)           /* a receive buffer: bursts wait here, not dropped */
#endif

/* The levers, each on unless built with -DUDP_LEVER_x=0 (bench/README.md
 * has what each pays): one sendmmsg system call per batch, UDP GSO for a
 * run of datagrams to one address, a listener buffer sized for bursts. */
#ifndef UDP_LEVER_MMSG
#define UDP_LEVER_MMSG 1
#endif
#ifndef UDP_LEVER_GSO
#define UDP_LEVER_GSO 1
#endif
#ifndef UDP_LEVER_RCVBUF
#define UDP_LEVER_RCVBUF 1
#endif

struct udp_assoc {
	struct udp_key k;               /* first: the table holds &a->k */
	struct ev_io io;
	int fd;
	struct rt_lsn *ls;
	struct rt_rule *rule;           /* a reference */
	int backend;
	int64_t last;
	struct ev_timer tm;
	struct udp_assoc *znext;        /* freed at the end of the batch; a spare's place in its list */
	unsigned char gso_fails[2];     /* GSO refused toward the remote, toward the client */
	unsigned dgrams;                /* datagrams so far, both ways, up to UDP_BUF_AFTER */
};

struct udp_w {
	char *data;                     /* UDP_BATCH datagrams of up to 64 KiB */
	struct mmsghdr m[UDP_BATCH], o[UDP_BATCH];
	struct iovec iov[UDP_BATCH], oiov[UDP_BATCH];
	struct sockaddr_storage addr[UDP_BATCH];
	char ctl[UDP_BATCH][UDP_CTL], octl[UDP_BATCH][UDP_CTL];
	struct udp_assoc *zombies;
	struct udp_ltab *orders;        /* listeners with spare sockets to make when idle */
	int nspare;                     /* spare sockets of this worker */
};

/*
 * Sockets made ahead. A new association's own work (its socket, connect()
 * and place in epoll) costs more than forwarding its first datagram, and a
 * client waits for it. A listener that takes new associations therefore
 * keeps a few sockets made ahead, each already connected to a remote a new
 * association went to and already in epoll: the next new client to that
 * remote takes one, and its first datagram leaves at once. Each one taken
 * orders a replacement and each new association that found none orders two,
 * so the spares follow the recent rate of new clients and their remotes, up
 * to SPARE_MAX a listener and SPARE_WORKER_MAX a worker. They are made after
 * turns that find no event (ev_idle), at most SPARE_TURN a turn; the newest
 * is taken first, so those left unused grow old and are closed after
 * SPARE_LIFE_MS. A rule with a through port (one socket
 * at a time on it) has none. Until taken, a spare's k.client holds its
 * remote, its rule is NULL, and what arrives on it is read and dropped.
 */
#define SPARE_MAX 64
#define SPARE_WORKER_MAX 256
#define SPARE_TURN 8
#define SPARE_LIFE_MS 5000
#define SPARE_WANT 64                   /* orders kept: remote indexes */

struct udp_ltab {
	struct udp_htab t;              /* first: ls->udp points here */
	struct rt_lsn *ls;
	struct udp_assoc *spare;        /* newest first */
	int nspare;
	uint16_t want[SPARE_WANT];      /* remotes to make spares for, a ring */
	int want_head, nwant;
	struct udp_ltab *onext;         /* on the worker's orders list */
	int ordered;
	struct ev_timer tm;             /* the oldest spare's end of life */
};

static struct udp_w *
uw(struct rt_worker *w)
{
	struct udp_w *u = w->udpw;

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->data = malloc((size_t)UDP_BATCH * UDP_DGRAM);   /* pages are touched only as datagrams fill them */
	if (!u->data) {
		free(u);
		return NULL;
	}
	w->udpw = u;
	return u;
}

uint32_t
udp_addr_hash(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		return fnv1a32((FNV1A32_INIT ^ s->sin_port) * FNV1A32_PRIME, &s->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;
		return fnv1a32((FNV1A32_INIT ^ s->sin6_port) * FNV1A32_PRIME, &s->sin6_addr, 16);
	}
}

/* ---- the shared table part (udp.h) ---- */

int
udp_htab_init(struct udp_htab *t)
{
	t->n = 0;
	t->nb = 64;
	t->last = NULL;
	t->b = calloc(t->nb, sizeof(*t->b));
	return t->b ? 0 : -1;
}

void
udp_htab_free(struct udp_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

struct udp_key *
udp_htab_find(struct udp_htab *t, const struct sockaddr_storage *client, uint32_t h)
{
	struct udp_key *k = t->last;

	if (k && k->h == h && net_addr_eq(&k->client, client))
		return k;
	for (k = t->b[h % t->nb]; k; k = k->hnext)
		if (k->h == h && net_addr_eq(&k->client, client))
			return t->last = k;
	return NULL;
}

static void
htab_grow(struct udp_htab *t)
{
	size_t nb = t->nb * 2, i;
	struct udp_key **b = calloc(nb, sizeof(*b));

	if (!b)
		return;   /* longer chains, still correct */
	for (i = 0; i < t->nb; i++) {
		struct udp_key *k, *n;
		for (k = t->b[i]; k; k = n) {
			n = k->hnext;
			k->hnext = b[k->h % nb];
			b[k->h % nb] = k;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

void
udp_htab_add(struct udp_htab *t, struct udp_key *k)
{
	k->hnext = t->b[k->h % t->nb];
	t->b[k->h % t->nb] = k;
	if (++t->n > t->nb)
		htab_grow(t);
}

void
udp_htab_del(struct udp_htab *t, struct udp_key *k)
{
	struct udp_key **pp;

	if (t->last == k)
		t->last = NULL;
	for (pp = &t->b[k->h % t->nb]; *pp; pp = &(*pp)->hnext)
		if (*pp == k) {
			*pp = k->hnext;
			t->n--;
			return;
		}
}

void
udp_key_init(struct udp_key *k, const struct sockaddr_storage *client, uint32_t h, struct msghdr *mh)
{
	struct cmsghdr *cm;

	k->client = *client;
	k->h = h;
	k->fam6 = lim_family((const struct sockaddr *)client) == LG_V6;
	k->local_fam = 0;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(&k->l4, CMSG_DATA(cm), sizeof(k->l4));
			k->local_fam = AF_INET;
			return;   /* IPv4 (also on a dual-stack socket) wins */
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&k->l6, CMSG_DATA(cm), sizeof(k->l6));
			k->local_fam = AF_INET6;
		}
	}
}

void
udp_key_reply(const struct udp_key *k, struct msghdr *h, char *ctl)
{
	struct cmsghdr *cm;

	h->msg_name = (void *)(uintptr_t)&k->client;
	h->msg_namelen = net_addr_len(&k->client);
	h->msg_control = NULL;
	h->msg_controllen = 0;
	if (!k->local_fam)
		return;
	memset(ctl, 0, UDP_CTL_MAX);
	h->msg_control = ctl;
	cm = (struct cmsghdr *)(void *)ctl;
	if (k->local_fam == AF_INET) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = k->l4.ipi_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		h->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = k->l6.ipi6_addr;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		h->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

int
udp_quota_room(const struct rt_rule *r, int up, uint64_t queued)
{
	int slot = up ? r->lim.q_slot_up : r->lim.q_slot_down;

	if (slot < 0 || r->lim.quota_action == QUOTA_THROTTLE)
		return 1;
	return __atomic_load_n(&r->st->q_left[slot], __ATOMIC_RELAXED) - (int64_t)queued > 0;
}

int
udp_pick_remote(struct rt_lsn *ls, const struct sockaddr_storage *client, struct sockaddr_storage *dst)
{
	struct rt_rule *r = ls->rule;
	uint64_t ex[4] = { 0, 0, 0, 0 };
	int idx, guard;

	for (guard = 0; guard < STORE_MAX_REMOTES; guard++) {
		idx = rt_lb_pick(r, ls->w->id, client, ex);
		if (idx < 0 || (size_t)idx >= r->nrem)
			return -1;
		ex[idx / 64] |= 1ull << (idx % 64);
		if (rt_remote_addr(ls->w, r, idx, ls->port_off, 0, dst) == 0)
			return idx;   /* else a name not resolved yet: the next remote, or the datagram is dropped */
	}
	return -1;
}

long
udp_timeout_ms(const struct rt_rule *r)
{
	return r->udp_ms > 0 ? r->udp_ms : STORE_UDP_TIMEOUT_MS;
}


/* ---- sending a batch ---- */

static int gso_absent;   /* the kernel has no UDP_SEGMENT: set once, read by every worker */

/* sendmmsg as one system call. musl's, on 64-bit, sends one by one: its
 * struct msghdr and cmsghdr carry padding that the kernel reads as the high
 * half of msg_iovlen, msg_controllen and cmsg_len. Every header and control
 * block here is zeroed before it is filled, so the kernel reads them right. */
static int
send_mmsg(int fd, struct mmsghdr *o, int cnt)
{
#if UDP_LEVER_MMSG && defined(SYS_sendmmsg)
	return (int)syscall(SYS_sendmmsg, fd, o, (unsigned)cnt, MSG_DONTWAIT);
#else
	return sendmmsg(fd, o, (unsigned)cnt, MSG_DONTWAIT);
#endif
}

/*
 * A run of datagrams to one address (hdr's name and control data) in one
 * sendmsg with UDP GSO, when it can carry them: all of one size but the
 * last, which may be shorter, at most UDP_GSO_SEGS, UDP_GSO_BYTES together.
 * The kernel cuts the payload back at that size: the same datagrams, in the
 * same order. cnt, -1 (errno; none sent, as sendmmsg's first failing), or -2:
 * not for GSO (sizes, a kernel or route without it), send them one by one.
 */
static int
send_gso(int fd, const struct msghdr *hdr, struct iovec *iov, int cnt, unsigned char *fails)
{
	union {
		char b[UDP_CTL_MAX + CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct msghdr h = *hdr;
	struct cmsghdr *cm;
	size_t seg = iov[0].iov_len, total = 0;
	uint16_t gs;
	int i;

	if (!UDP_LEVER_GSO || cnt < 2 || cnt > UDP_GSO_SEGS || *fails >= 4 ||
	    __atomic_load_n(&gso_absent, __ATOMIC_RELAXED) || h.msg_controllen > UDP_CTL_MAX)
		return -2;
	for (i = 0; i < cnt; i++) {
		if (!iov[i].iov_len || iov[i].iov_len > seg || (iov[i].iov_len != seg && i != cnt - 1))
			return -2;
		total += iov[i].iov_len;
	}
	if (total > UDP_GSO_BYTES)
		return -2;
	memset(&ctl, 0, sizeof(ctl));
	if (h.msg_controllen)
		memcpy(ctl.b, h.msg_control, h.msg_controllen);
	cm = (struct cmsghdr *)(void *)(ctl.b + h.msg_controllen);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(gs));
	gs = (uint16_t)seg;
	memcpy(CMSG_DATA(cm), &gs, sizeof(gs));
	h.msg_control = ctl.b;
	h.msg_controllen += CMSG_SPACE(sizeof(gs));
	h.msg_iov = iov;
	h.msg_iovlen = cnt;
	if (sendmsg(fd, &h, MSG_DONTWAIT) >= 0) {
		*fails = 0;
		return cnt;
	}
	switch (errno) {
	case EAGAIN: case ENOBUFS: case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH: case EINTR:
		return -1;   /* what the first of sendmmsg's would have met: dropped */
	case ENOPROTOOPT:
		__atomic_store_n(&gso_absent, 1, __ATOMIC_RELAXED);
		return -2;
	default:
		(*fails)++;   /* EINVAL (a size over the route's MTU), EIO (no checksum offload) */
		return -2;
	}
}

/* o[0..cnt) to one address (o[0]'s name and control), their payloads in
 * iov[0..cnt): sent in order; the number sent, or -1. */
static int
send_run(int fd, struct mmsghdr *o, struct iovec *iov, int cnt, unsigned char *fails)
{
	int r = send_gso(fd, &o[0].msg_hdr, iov, cnt, fails);

	return r == -2 ? send_mmsg(fd, o, cnt) : r;
}

/* ---- this file's associations ---- */

/* An association's socket gets the burst buffer once it carries
 * UDP_BUF_AFTER datagrams (counting the run about to be sent or just read):
 * a request and its reply, the most common association (DNS, a probe, a
 * game's hello), spend no system call on a buffer they never fill, and a
 * run of 64 requests has it before the first goes out. */
#define UDP_BUF_AFTER 4

static void
assoc_traffic(struct udp_assoc *a, int n)
{
	if (a->dgrams >= UDP_BUF_AFTER)
		return;
	a->dgrams += (unsigned)n;
	if (a->dgrams >= UDP_BUF_AFTER)
		udp_socket_buffer(a->fd);
}

/* A receive buffer for bursts: a listener's (with its first datagram) and an
 * association's socket toward the remote: UDP_RCVBUF, or less where the
 * system caps it lower (net.core.rmem_max, the knob). The kernel charges
 * what is queued, not the size. */
void
udp_socket_buffer(int fd)
{
#if UDP_LEVER_RCVBUF
	int want = UDP_RCVBUF, have = 0;
	socklen_t len = sizeof(have);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &have, &len) == 0 && have < want)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
#else
	(void)fd;
#endif
}

static void spare_timer(struct ev_loop *l, struct ev_timer *t);

static struct udp_htab *
tab(struct rt_lsn *ls)
{
	struct udp_ltab *lt;

	if (ls->udp)
		return ls->udp;
	if (!(lt = calloc(1, sizeof(*lt))) || udp_htab_init(&lt->t) < 0) {
		free(lt);
		return NULL;
	}
	lt->ls = ls;
	ev_timer_init(&lt->tm, spare_timer, lt);
	udp_socket_buffer(ls->fd);   /* with the listener's first datagram */
	ls->udp = &lt->t;
	return ls->udp;
}

static struct udp_ltab *
ltab(struct rt_lsn *ls)
{
	return (struct udp_ltab *)(void *)ls->udp;
}

static void
assoc_free(struct udp_assoc *a)
{
	struct rt_worker *w = a->ls->w;
	struct udp_w *u = w->udpw;
	struct udp_htab *t = a->ls->udp;

	if (a->fd < 0)
		return;
	ev_timer_del(w->loop, &a->tm);
	ev_io_forget(w->loop, &a->io);   /* close() takes it out of epoll */
	close(a->fd);
	a->fd = -1;
	udp_htab_del(t, &a->k);
	w->udp_assocs--;
	CTR_SUB(a->rule->st->w[w->id].udp_active, 1);
	CTR_SUB(a->rule->rem[a->backend].w[w->id].active, 1);
	a->znext = u->zombies;
	u->zombies = a;
}

void
udp_after_batch(struct rt_worker *w)
{
	struct udp_w *u = w->udpw;
	struct udp_assoc *a;

	udp_tunnel_after_batch();
	if (!u)
		return;
	while ((a = u->zombies) != NULL) {
		u->zombies = a->znext;
		if (a->rule)
			rt_rule_unref(a->rule);
		free(a);
	}
}

static void
assoc_timer(struct ev_loop *l, struct ev_timer *t)
{
	struct udp_assoc *a = t->arg;
	long idle = udp_timeout_ms(a->rule);

	if (ev_now(l) - a->last >= idle)
		assoc_free(a);
	else
		ev_timer_set(l, t, a->last + idle);
}

/* Replies: upstream -> client, through the listener socket. */
static void
assoc_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct udp_assoc *a = io->arg;
	struct rt_worker *w = a->ls->w;
	struct udp_w *u = w->udpw;
	struct rt_counters *k = &a->rule->st->w[w->id];
	int round, i, n, sent, cnt;
	uint64_t queued;

	(void)events;
	for (round = 0; round < 4; round++) {
		for (i = 0; i < UDP_BATCH; i++) {
			u->iov[i].iov_base = u->data + (size_t)i * UDP_DGRAM;
			u->iov[i].iov_len = UDP_DGRAM;
			memset(&u->m[i].msg_hdr, 0, sizeof(u->m[i].msg_hdr));
			u->m[i].msg_hdr.msg_iov = &u->iov[i];
			u->m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(a->fd, u->m, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;   /* EAGAIN, or ICMP unreachable reported: the association waits */
		assoc_traffic(a, n);
		for (i = cnt = 0, queued = 0; i < n; i++) {
			struct msghdr *h = &u->o[cnt].msg_hdr;
			if ((a->rule->lim.shape && !lim_police(&a->rule->st->lim, 0, u->m[i].msg_len, now_us())) ||
			    !udp_quota_room(a->rule, 0, queued)) {
				CTR_ADD(k->udp_dropped, 1);   /* over the rule's cap or its quota */
				continue;
			}
			queued += u->m[i].msg_len;
			memset(h, 0, sizeof(*h));
			u->oiov[cnt].iov_base = u->iov[i].iov_base;
			u->oiov[cnt].iov_len = u->m[i].msg_len;
			h->msg_iov = &u->oiov[cnt];
			h->msg_iovlen = 1;
			udp_key_reply(&a->k, h, u->octl[cnt]);
			cnt++;
		}
		sent = cnt ? send_run(a->ls->fd, u->o, u->oiov, cnt, &a->gso_fails[1]) : 0;
		for (i = 0; i < sent; i++) {
			if (rt_quota_spend(a->rule, 0, u->oiov[i].iov_len))
				rt_quota_reached(w, a->rule);
			CTR_ADD(k->bytes_down, u->oiov[i].iov_len);
			CTR_ADD(k->out[LG_UDP][a->k.fam6], u->oiov[i].iov_len);
			CTR_ADD(k->udp_bytes, u->oiov[i].iov_len);
		}
		if (sent < cnt)
			CTR_ADD(k->udp_dropped, (uint64_t)(cnt - (sent > 0 ? sent : 0)));
		a->last = ev_now(l);
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- sockets made ahead (see struct udp_ltab) ---- */

static void
spare_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct udp_assoc *a = io->arg;
	char b[16];
	int i;

	(void)l;
	(void)events;
	for (i = 0; i < 16 && recv(a->fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC) >= 0; i++)
		;   /* nothing is due on a spare: what comes is dropped */
}

/* The newest spare connected to remote idx at dst, out of the list; or NULL. */
static struct udp_assoc *
spare_take(struct udp_w *u, struct udp_ltab *lt, int idx, const struct sockaddr_storage *dst)
{
	struct udp_assoc **pp, *a;

	for (pp = &lt->spare; (a = *pp) != NULL; pp = &a->znext)
		if (a->backend == idx && net_addr_eq(&a->k.client, dst)) {
			*pp = a->znext;
			a->znext = NULL;
			lt->nspare--;
			u->nspare--;
			a->io.cb = assoc_cb;
			return a;
		}
	return NULL;
}

static void spare_idle(struct ev_loop *l, void *arg);

static void
spare_order(struct udp_w *u, struct udp_ltab *lt, int idx, int n)
{
	for (; n > 0 && lt->nspare + lt->nwant < SPARE_MAX; n--)
		lt->want[(lt->want_head + lt->nwant++) % SPARE_WANT] = (uint16_t)idx;
	if (lt->nwant && !lt->ordered) {
		lt->ordered = 1;
		lt->onext = u->orders;
		u->orders = lt;
		(void)ev_idle(lt->ls->w->loop, spare_idle, lt->ls->w);
	}
}

/* Close spares from *pp on (freed after the batch: an event of this batch may name one). */
static void
spare_drop_from(struct rt_worker *w, struct udp_w *u, struct udp_ltab *lt, struct udp_assoc **pp)
{
	struct udp_assoc *a;

	while ((a = *pp) != NULL) {
		*pp = a->znext;
		ev_io_forget(w->loop, &a->io);
		close(a->fd);
		a->fd = -1;
		lt->nspare--;
		u->nspare--;
		a->znext = u->zombies;
		u->zombies = a;
	}
}

static void
spare_timer(struct ev_loop *l, struct ev_timer *t)
{
	struct udp_ltab *lt = t->arg;
	struct rt_worker *w = lt->ls->w;
	struct udp_assoc **pp = &lt->spare;

	while (*pp && ev_now(l) - (*pp)->last < SPARE_LIFE_MS)
		pp = &(*pp)->znext;   /* newest first: the rest are older */
	spare_drop_from(w, w->udpw, lt, pp);
	if (lt->nspare) {
		struct udp_assoc *a = lt->spare;
		while (a->znext)
			a = a->znext;
		ev_timer_set(l, t, a->last + SPARE_LIFE_MS);
	}
}

/* A socket connected to dst for remote idx of ls, in epoll with cb: an
 * association not yet filled in (its client, rule and timer are the
 * caller's), or NULL. */
static struct udp_assoc *
assoc_new(struct rt_lsn *ls, const struct sockaddr_storage *dst, int idx, ev_io_cb *cb)
{
	struct rt_worker *w = ls->w;
	struct rt_rule *r = ls->rule;
	struct net_out_spec o;
	struct udp_assoc *a;
	char err[ERRLEN];
	int fd;

	conn_out_spec(r, dst, 1, &o);
	fd = net_connect(&o, NULL, err);
	if (fd < 0) {
		static _Thread_local int64_t last_warn = -100000;

		/* a taken through port is the configuration's doing: say so, at
		 * most every 10 s (each datagram of each other client meets it) */
		if (errno == EADDRINUSE && ev_now(w->loop) - last_warn >= 10000) {
			last_warn = ev_now(w->loop);
			log_warn("rule %s: udp: %s", r->r->name, err);
		} else
			log_debug("rule %s: udp: %s", r->r->name, err);
		return NULL;
	}
	if (!(a = calloc(1, sizeof(*a)))) {
		close(fd);
		return NULL;
	}
	a->fd = fd;
	a->ls = ls;
	a->backend = idx;
	a->last = ev_now(w->loop);
	ev_timer_init(&a->tm, assoc_timer, a);
	if (ev_io_add(w->loop, &a->io, fd, EPOLLIN, cb, a) < 0) {
		close(fd);
		free(a);
		return NULL;
	}
	return a;
}

/* Make spares ordered, SPARE_TURN at a time while the loop is idle: made
 * between events, a reply that comes meanwhile waits for a few at most. */
static void
spare_idle(struct ev_loop *l, void *arg)
{
	struct rt_worker *w = arg;
	struct udp_w *u = w->udpw;
	int made = 0;

	if (!u)
		return;
	while (u->orders && made < SPARE_TURN) {
		struct udp_ltab *lt = u->orders;
		struct sockaddr_storage dst;
		struct udp_assoc *a = NULL;
		int idx;

		if (lt->nwant && lt->nspare < SPARE_MAX && u->nspare < SPARE_WORKER_MAX) {
			idx = lt->want[lt->want_head];
			lt->want_head = (lt->want_head + 1) % SPARE_WANT;
			lt->nwant--;
			if ((size_t)idx < lt->ls->rule->nrem &&
			    rt_remote_addr(w, lt->ls->rule, idx, lt->ls->port_off, 0, &dst) == 0)
				a = assoc_new(lt->ls, &dst, idx, spare_cb);
		}
		if (!a) {   /* done, full, or a socket refused: no more for now */
			lt->nwant = 0;
			lt->ordered = 0;
			u->orders = lt->onext;
			continue;
		}
		a->k.client = dst;
		a->znext = lt->spare;
		lt->spare = a;
		lt->nspare++;
		u->nspare++;
		made++;
		if (!ev_timer_armed(&lt->tm))
			ev_timer_set(w->loop, &lt->tm, a->last + SPARE_LIFE_MS);
	}
	if (u->orders)
		(void)ev_idle(l, spare_idle, w);   /* more at the next idle turn */
}

/* A listener's spares closed and its orders dropped. */
static void
spare_close(struct udp_ltab *lt)
{
	struct rt_worker *w = lt->ls->w;
	struct udp_w *u = w->udpw;
	struct udp_ltab **pp;

	ev_timer_del(w->loop, &lt->tm);
	if (!u)
		return;
	for (pp = &u->orders; *pp; pp = &(*pp)->onext)
		if (*pp == lt) {
			*pp = lt->onext;
			break;
		}
	lt->ordered = 0;
	lt->nwant = 0;
	spare_drop_from(w, u, lt, &lt->spare);
}

static struct udp_assoc *
assoc_get(struct rt_lsn *ls, struct udp_w *u, const struct sockaddr_storage *client, struct msghdr *h)
{
	struct rt_worker *w = ls->w;
	struct rt_rule *r = ls->rule;
	struct udp_htab *t = tab(ls);
	struct udp_assoc *a;
	struct sockaddr_storage dst;
	uint32_t hv = udp_addr_hash(client);
	int idx;

	if (!t)
		return NULL;
	if ((a = (struct udp_assoc *)(void *)udp_htab_find(t, client, hv)) != NULL)
		return a;
	if (w->udp_assocs >= r->udp_max_assoc)
		return NULL;
	if ((idx = udp_pick_remote(ls, client, &dst)) < 0)
		return NULL;
	if ((a = spare_take(u, ltab(ls), idx, &dst)) != NULL)
		spare_order(u, ltab(ls), idx, 1);   /* its replacement */
	else if ((a = assoc_new(ls, &dst, idx, assoc_cb)) == NULL)
		return NULL;
	else if (!r->r->through.port)   /* a through port holds one socket at a time */
		spare_order(u, ltab(ls), idx, 2);   /* one more than were ready */
	udp_key_init(&a->k, client, hv, h);
	a->rule = r;
	rt_rule_ref(r);
	a->last = ev_now(w->loop);
	ev_timer_set(w->loop, &a->tm, a->last + udp_timeout_ms(r));
	udp_htab_add(t, &a->k);
	udp_assoc_counted(w, r, idx);
	return a;
}

void
udp_assoc_counted(struct rt_worker *w, const struct rt_rule *r, int idx)
{
	w->udp_assocs++;
	CTR_ADD(r->st->w[w->id].udp_active, 1);
	CTR_ADD(r->st->w[w->id].udp_total, 1);
	CTR_ADD(r->rem[idx].w[w->id].connects, 1);
	CTR_ADD(r->rem[idx].w[w->id].active, 1);
}

/* Requests: client -> upstream, batched per association. */
void
udp_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct rt_lsn *ls = io->arg;
	struct rt_worker *w = ls->w;
	struct udp_w *u = uw(w);
	struct rt_counters *k = &ls->rule->st->w[w->id];
	int round, i, j, n;

	(void)events;
	if (udp_tunnel_relay(ls)) {   /* datagrams through a tunnel stream (udp_tunnel.c) */
		udp_tunnel_listener_cb(l, io, events);
		return;
	}
	if (!u)
		return;
	for (round = 0; round < 4; round++) {
		for (i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &u->m[i].msg_hdr;
			u->iov[i].iov_base = u->data + (size_t)i * UDP_DGRAM;
			u->iov[i].iov_len = UDP_DGRAM;
			memset(h, 0, sizeof(*h));
			h->msg_iov = &u->iov[i];
			h->msg_iovlen = 1;
			h->msg_name = &u->addr[i];
			h->msg_namelen = sizeof(u->addr[i]);
			h->msg_control = u->ctl[i];
			h->msg_controllen = UDP_CTL;
		}
		n = recvmmsg(ls->fd, u->m, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i = j) {
			struct udp_assoc *a;
			int cnt = 0, sent;
			uint64_t queued = 0;

			struct rt_rule *r = ls->rule;
			int why = -1;

			if (r->lim.admit) {
				struct sockaddr_storage p = u->addr[i];
				net_addr_unmap(&p);
				why = lim_check_addr(&r->lim, __atomic_load_n(&r->st->quota_state, __ATOMIC_RELAXED),
				    (const struct sockaddr *)&p);
			}
			a = (u->m[i].msg_hdr.msg_flags & MSG_TRUNC) || why >= 0 ? NULL :
			    assoc_get(ls, u, &u->addr[i], &u->m[i].msg_hdr);
			if (!a) {
				if (why >= 0)
					CTR_ADD(k->limit_hits[why], 1);
				CTR_ADD(k->udp_dropped, 1);
				j = i + 1;
				continue;
			}
			for (j = i; j < n && (j == i || net_addr_eq(&u->addr[j], &u->addr[i])); j++) {
				struct msghdr *h = &u->o[cnt].msg_hdr;
				if ((r->lim.shape && !lim_police(&r->st->lim, 1, u->m[j].msg_len, now_us())) ||
				    !udp_quota_room(r, 1, queued)) {
					CTR_ADD(k->udp_dropped, 1);
					continue;
				}
				queued += u->m[j].msg_len;
				memset(h, 0, sizeof(*h));
				u->oiov[cnt].iov_base = u->iov[j].iov_base;
				u->oiov[cnt].iov_len = u->m[j].msg_len;
				h->msg_iov = &u->oiov[cnt];
				h->msg_iovlen = 1;
				cnt++;
			}
			assoc_traffic(a, cnt);
			sent = cnt ? send_run(a->fd, u->o, u->oiov, cnt, &a->gso_fails[0]) : 0;
			for (int x = 0; x < sent; x++) {
				if (rt_quota_spend(r, 1, u->oiov[x].iov_len))
					rt_quota_reached(w, r);
				CTR_ADD(k->bytes_up, u->oiov[x].iov_len);
				CTR_ADD(k->in[LG_UDP][a->k.fam6], u->oiov[x].iov_len);
				CTR_ADD(k->udp_bytes, u->oiov[x].iov_len);
			}
			if (sent < cnt)
				CTR_ADD(k->udp_dropped, (uint64_t)(cnt - (sent > 0 ? sent : 0)));
			a->last = ev_now(l);
		}
		if (n < UDP_BATCH)
			return;
	}
}

void
udp_worker_kick(struct rt_worker *w)
{
	struct rt_lsn *ls;
	size_t i;

	for (ls = w->lsns; ls; ls = ls->lnext) {
		struct udp_htab *t = ls->udp;
		struct udp_key *k, *next;

		udp_tunnel_kick(ls);
		if (!t)
			continue;
		for (i = 0; i < t->nb; i++)
			for (k = t->b[i]; k; k = next) {
				struct udp_assoc *a = (struct udp_assoc *)(void *)k;

				next = k->hnext;
				if (rt_quota_stopped(a->rule))
					assoc_free(a);
			}
	}
}

void
udp_listener_close(struct rt_lsn *ls)
{
	struct udp_htab *t = ls->udp;
	size_t i;

	udp_tunnel_listener_close(ls);
	if (!t)
		return;
	spare_close(ltab(ls));
	for (i = 0; i < t->nb; i++)
		while (t->b[i])
			assoc_free((struct udp_assoc *)(void *)t->b[i]);
	udp_htab_free(t);
	free(ltab(ls));
	ls->udp = NULL;
}

void
udp_worker_free(struct rt_worker *w)
{
	struct udp_w *u = w->udpw;

	if (!u)
		return;
	udp_after_batch(w);
	free(u->data);
	free(u);
	w->udpw = NULL;
}
