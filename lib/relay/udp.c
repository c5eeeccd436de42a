#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "tunnel.h"
#include "util.h"

#define UDP_BATCH 16
#define UDP_DGRAM 65536
#define UDP_CTL UDP_CTL_MAX

struct udp_assoc {
	struct udp_key k;               /* first: the table holds &a->k */
	struct ev_io io;
	int fd;
	struct rt_lsn *ls;
	struct rt_rule *rule;           /* a reference */
	int backend;
	int64_t last;
	struct ev_timer tm;
	struct udp_assoc *znext;
};

struct udp_w {
	char *data;                     /* UDP_BATCH datagrams of up to 64 KiB */
	struct mmsghdr m[UDP_BATCH], o[UDP_BATCH];
	struct iovec iov[UDP_BATCH], oiov[UDP_BATCH];
	struct sockaddr_storage addr[UDP_BATCH];
	char ctl[UDP_BATCH][UDP_CTL], octl[UDP_BATCH][UDP_CTL];
	struct udp_assoc *zombies;
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
	const unsigned char *p;
	size_t n, i;
	uint32_t h = 2166136261u;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		p = (const unsigned char *)&s->sin_addr;
		n = 4;
		h = (h ^ s->sin_port) * 16777619u;
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;
		p = (const unsigned char *)&s->sin6_addr;
		n = 16;
		h = (h ^ s->sin6_port) * 16777619u;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* ---- the shared table part (udp.h) ---- */

int
udp_htab_init(struct udp_htab *t)
{
	t->n = 0;
	t->nb = 64;
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
udp_htab_find(const struct udp_htab *t, const struct sockaddr_storage *client, uint32_t h)
{
	struct udp_key *k;

	for (k = t->b[h % t->nb]; k; k = k->hnext)
		if (k->h == h && net_addr_eq(&k->client, client))
			return k;
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

/* ---- this file's associations ---- */

static struct udp_htab *
tab(struct rt_lsn *ls)
{
	struct udp_htab *t = ls->udp;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (udp_htab_init(t) < 0) {
		free(t);
		return NULL;
	}
	ls->udp = t;
	return t;
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
	ev_io_del(w->loop, &a->io);
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
		for (i = cnt = 0; i < n; i++) {
			struct msghdr *h = &u->o[cnt].msg_hdr;
			if (a->rule->lim.shape && !lim_police(&a->rule->st->lim, 0, u->m[i].msg_len, now_us())) {
				CTR_ADD(k->udp_dropped, 1);   /* over the rule's cap */
				continue;
			}
			memset(h, 0, sizeof(*h));
			u->oiov[cnt].iov_base = u->iov[i].iov_base;
			u->oiov[cnt].iov_len = u->m[i].msg_len;
			h->msg_iov = &u->oiov[cnt];
			h->msg_iovlen = 1;
			udp_key_reply(&a->k, h, u->octl[cnt]);
			cnt++;
		}
		sent = cnt ? sendmmsg(a->ls->fd, u->o, (unsigned)cnt, MSG_DONTWAIT) : 0;
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

static struct udp_assoc *
assoc_get(struct rt_lsn *ls, struct udp_w *u, const struct sockaddr_storage *client, struct msghdr *h)
{
	struct rt_worker *w = ls->w;
	struct rt_rule *r = ls->rule;
	struct udp_htab *t = tab(ls);
	struct udp_assoc *a;
	struct sockaddr_storage dst;
	struct net_out_spec o;
	uint32_t hv = udp_addr_hash(client);
	char err[ERRLEN];
	int idx, fd;

	if (!t)
		return NULL;
	if ((a = (struct udp_assoc *)(void *)udp_htab_find(t, client, hv)) != NULL)
		return a;
	if (w->udp_assocs >= r->udp_max_assoc)
		return NULL;
	if ((idx = udp_pick_remote(ls, client, &dst)) < 0)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.dst = &dst;
	o.type = SOCK_DGRAM;
	o.through = r->r->through.host;
	o.through_port = r->r->through.port;
	o.iface = r->r->interface;
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
	a = calloc(1, sizeof(*a));
	if (!a) {
		close(fd);
		return NULL;
	}
	a->fd = fd;
	udp_key_init(&a->k, client, hv, h);
	a->ls = ls;
	a->rule = r;
	rt_rule_ref(r);
	a->backend = idx;
	a->last = ev_now(w->loop);
	ev_timer_init(&a->tm, assoc_timer, a);
	if (ev_io_add(w->loop, &a->io, fd, EPOLLIN, assoc_cb, a) < 0) {
		close(fd);
		rt_rule_unref(r);
		free(a);
		return NULL;
	}
	ev_timer_set(w->loop, &a->tm, a->last + udp_timeout_ms(r));
	udp_htab_add(t, &a->k);
	w->udp_assocs++;
	CTR_ADD(r->st->w[w->id].udp_active, 1);
	CTR_ADD(r->st->w[w->id].udp_total, 1);
	CTR_ADD(r->rem[idx].w[w->id].connects, 1);
	CTR_ADD(r->rem[idx].w[w->id].active, 1);
	return a;
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
				if (r->lim.shape && !lim_police(&r->st->lim, 1, u->m[j].msg_len, now_us())) {
					CTR_ADD(k->udp_dropped, 1);
					continue;
				}
				memset(h, 0, sizeof(*h));
				u->oiov[cnt].iov_base = u->iov[j].iov_base;
				u->oiov[cnt].iov_len = u->m[j].msg_len;
				h->msg_iov = &u->oiov[cnt];
				h->msg_iovlen = 1;
				cnt++;
			}
			sent = cnt ? sendmmsg(a->fd, u->o, (unsigned)cnt, MSG_DONTWAIT) : 0;
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
	for (i = 0; i < t->nb; i++)
		while (t->b[i])
			assoc_free((struct udp_assoc *)(void *)t->b[i]);
	udp_htab_free(t);
	free(t);
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
