/*
 * UDP through a tunnel, relay side: each client address of a UDP listener
 * gets its own tunnel stream to the rule's remote (TLS, WebSocket or both,
 * asking for UDP in the handshake), carrying datagrams with a 2-byte
 * length prefix (tunnel.h). Replies come back framed the same way and leave
 * through the listener socket from the address the client wrote to.
 *
 * Datagrams that arrive while the stream connects or shakes hands wait in
 * the association's queue (bounded by TUN_UDP_QUEUE; beyond, dropped and
 * counted, as UDP may). The association ends after udp_timeout without
 * traffic either way, on a stream error, or when the exit ends the stream.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "relay_rt.h"
#include "tunnel.h"
#include "udp.h"
#include "util.h"

#define TU_DGRAM 65536
#define TU_BATCH 64
#define TU_CTL UDP_CTL_MAX

struct tu {
	struct udp_key k;               /* first: the table holds &a->k (udp.h) */
	struct ev_io io;
	int fd;
	struct rt_lsn *ls;
	struct rt_rule *rule;           /* a reference */
	struct rt_worker *w;
	int backend, connecting, dead;
	struct tun_end *e;
	unsigned char *out;             /* framed datagrams toward the stream */
	size_t out_off, out_len;
	unsigned char *in;              /* one framed datagram gathered from the stream */
	size_t in_len;
	int64_t last, start;
	struct ev_timer tm;
	struct tu *znext;
};

struct tu_tab {
	struct udp_htab t;              /* the same table as udp.c's */
	unsigned char *buf;             /* one datagram read from the listener or the stream */
};

static _Thread_local struct tu *zombies;   /* freed after the batch (one worker per thread) */

int
tunnel_udp_relay(const struct rt_lsn *ls)
{
	return ls->rule && ls->rule->tun && ls->rule->tun->rem.on;
}

static struct tu_tab *
tab(struct rt_lsn *ls)
{
	struct tu_tab *t = ls->tudp;

	if (t)
		return t;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	t->buf = malloc(TU_DGRAM + 2);
	if (!t->buf || udp_htab_init(&t->t) < 0) {
		free(t->buf);
		free(t);
		return NULL;
	}
	ls->tudp = t;
	return t;
}

static int
log_ok(struct tu *a)
{
	static _Thread_local int64_t win;
	static _Thread_local int n;
	int64_t now = ev_now(a->w->loop);

	if (now - win >= 1000) {
		win = now;
		n = 0;
	}
	return ++n <= 5;
}

static void
tu_close(struct tu *a, const char *why)
{
	struct rt_worker *w = a->w;
	struct tu_tab *t = a->ls->tudp;
	char cs[64];

	if (a->dead)
		return;
	a->dead = 1;
	if (why && log_ok(a))
		log_debug("rule %s: udp client %s: association closed: %s", a->rule->r->name,
		    net_addr_str(&a->k.client, cs, sizeof(cs)), why);
	ev_timer_del(w->loop, &a->tm);
	ev_io_del(w->loop, &a->io);
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (t)
		udp_htab_del(&t->t, &a->k);
	w->udp_assocs--;
	CTR_SUB(a->rule->st->w[w->id].udp_active, 1);
	CTR_SUB(a->rule->rem[a->backend].w[w->id].active, 1);
	a->znext = zombies;
	zombies = a;
}

void
tunnel_udp_after_batch(void)
{
	struct tu *a;

	while ((a = zombies) != NULL) {
		zombies = a->znext;
		tun_end_free(a->e);
		free(a->out);
		free(a->in);
		rt_rule_unref(a->rule);
		free(a);
	}
}

static void
send_reply(struct tu *a, const unsigned char *p, size_t len)
{
	struct rt_counters *k = &a->rule->st->w[a->w->id];
	struct msghdr h;
	struct iovec iov;
	char ctl[TU_CTL];

	memset(&h, 0, sizeof(h));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	udp_key_reply(&a->k, &h, ctl);
	if (sendmsg(a->ls->fd, &h, MSG_DONTWAIT) < 0) {
		CTR_ADD(k->udp_dropped, 1);
		return;
	}
	CTR_ADD(k->bytes_down, len);
	CTR_ADD(k->out[LG_UDP][a->k.fam6], len);
	CTR_ADD(k->udp_bytes, len);
	if (rt_quota_spend(a->rule, 0, len))
		rt_quota_reached(a->w, a->rule);
}

/* Stream bytes -> datagrams to the client. */
static int
unframe(struct tu *a, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;

	while (p < end) {
		size_t want, take;

		if (!a->in && !(a->in = malloc(TU_DGRAM + 2)))
			return -1;
		want = a->in_len < 2 ? 2 : 2 + ((size_t)a->in[0] << 8 | a->in[1]);
		take = want - a->in_len < (size_t)(end - p) ? want - a->in_len : (size_t)(end - p);
		memcpy(a->in + a->in_len, p, take);
		a->in_len += take;
		p += take;
		if (a->in_len >= 2 && a->in_len == 2 + ((size_t)a->in[0] << 8 | a->in[1])) {
			send_reply(a, a->in + 2, a->in_len - 2);
			a->in_len = 0;
		}
	}
	return 0;
}

static void
tu_fail(struct tu *a)
{
	char rs[300];

	if (log_ok(a))
		log_warn("rule %s: udp tunnel to %s: %s", a->rule->r->name,
		    hostport_format(&a->rule->rem[a->backend].hp, rs, sizeof(rs)), tun_end_err(a->e));
	tu_close(a, "tunnel error");
}

/* Move what can move; closes a on error or end. */
static void
tu_pump(struct tu *a)
{
	struct tu_tab *t = a->ls->tudp;
	int r, round;
	ssize_t n;

	if (a->dead || a->connecting)
		return;
	if (!tun_end_open(a->e)) {
		r = tun_end_handshake(a->e, a->fd);
		if (r < 0) {
			tu_fail(a);
			return;
		}
		if (r == 0)
			return;
		ev_timer_set(a->w->loop, &a->tm, a->last + a->rule->udp_ms);
	}
	while (a->out_off < a->out_len) {
		/* the records close below (tun_end_flush): datagrams queued together
		 * share full records */
		n = tun_end_write_more(a->e, a->fd, a->out + a->out_off, a->out_len - a->out_off);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			tu_fail(a);
			return;
		}
		a->out_off += (size_t)n;
	}
	if (a->out_off >= a->out_len) {
		free(a->out);
		a->out = NULL;
		a->out_off = a->out_len = 0;
	}
	if (tun_end_flush(a->e, a->fd) < 0) {
		tu_fail(a);
		return;
	}
	for (round = 0; round < 1024; round++) {
		n = tun_end_read(a->e, a->fd, t->buf, TU_DGRAM);
		if (n == 0) {
			tu_close(a, "the exit ended the stream");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			tu_fail(a);
			return;
		}
		a->last = ev_now(a->w->loop);
		if (unframe(a, t->buf, (size_t)n) < 0) {
			tu_close(a, "out of memory");
			return;
		}
	}
}

static void
tu_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct tu *a = io->arg;

	(void)l;
	if (a->connecting) {
		int e;

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		e = (events & (EPOLLERR | EPOLLHUP)) ? net_connect_result(a->fd) : 0;
		if (e == EINPROGRESS || e == EALREADY)
			return;
		if (e) {
			char rs[300];
			if (log_ok(a))
				log_info("rule %s: udp tunnel: connect to %s failed: %s", a->rule->r->name,
				    hostport_format(&a->rule->rem[a->backend].hp, rs, sizeof(rs)), strerror(e));
			rt_remote_failed(a->rule, a->w->id, a->backend, e, NULL);
			tu_close(a, "connect failed");
			return;
		}
		a->connecting = 0;
		rt_lb_report(a->rule, a->w->id, a->backend, 1);
	}
	tu_pump(a);
}

static void
tu_timer(struct ev_loop *l, struct ev_timer *tm)
{
	struct tu *a = tm->arg;
	char rs[300];

	if (a->connecting || !tun_end_open(a->e)) {
		if (log_ok(a))
			log_warn("rule %s: udp tunnel to %s: %s not complete in time: association dropped",
			    a->rule->r->name, hostport_format(&a->rule->rem[a->backend].hp, rs, sizeof(rs)),
			    a->connecting ? "connect" : "handshake");
		tu_close(a, "deadline");
		return;
	}
	if (ev_now(l) - a->last >= a->rule->udp_ms)
		tu_close(a, "idle");
	else
		ev_timer_set(l, tm, a->last + a->rule->udp_ms);
}

static struct tu *
tu_new(struct rt_lsn *ls, struct tu_tab *t, const struct sockaddr_storage *client, struct msghdr *mh, uint32_t hv)
{
	struct rt_worker *w = ls->w;
	struct rt_rule *r = ls->rule;
	struct sockaddr_storage dst;
	struct net_out_spec o;
	char err[ERRLEN];
	int idx, fd, refused = 0;
	struct tu *a;

	if (w->udp_assocs >= r->udp_max_assoc)   /* the worker's share, as udp.c */
		return NULL;
	if ((idx = udp_pick_remote(ls, client, &dst)) < 0)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.dst = &dst;
	o.type = SOCK_STREAM;
	o.through = r->r->through.host;
	o.through_port = r->r->through.port;
	o.iface = r->r->interface;
	o.mptcp = (r->r->mptcp & MPTCP_SEND) != 0;
	o.so = &r->so;
	o.cc = rt_remote_cc(r, &dst);
	fd = net_connect(&o, &refused, err);
	if (fd < 0) {
		log_debug("rule %s: udp tunnel: %s", r->r->name, err);
		return NULL;
	}
	if (!(a = calloc(1, sizeof(*a)))) {
		close(fd);
		return NULL;
	}
	a->fd = fd;
	a->ls = ls;
	a->w = w;
	a->rule = r;
	rt_rule_ref(r);
	udp_key_init(&a->k, client, hv, mh);
	a->backend = idx;
	a->connecting = 1;
	a->last = a->start = ev_now(w->loop);
	ev_timer_init(&a->tm, tu_timer, a);
	if (!(a->e = tun_end_new(&r->tun->rem, TUN_CLIENT, 1, err)) ||
	    ev_io_add(w->loop, &a->io, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, tu_cb, a) < 0) {
		if (!a->e)
			log_warn("rule %s: udp tunnel: %s", r->r->name, err);
		tun_end_free(a->e);
		close(fd);
		rt_rule_unref(r);
		free(a);
		return NULL;
	}
	ev_timer_set(w->loop, &a->tm, a->start + r->connect_ms + r->tun->handshake_ms);
	udp_htab_add(&t->t, &a->k);
	w->udp_assocs++;
	CTR_ADD(r->st->w[w->id].udp_active, 1);
	CTR_ADD(r->st->w[w->id].udp_total, 1);
	CTR_ADD(r->rem[idx].w[w->id].connects, 1);
	CTR_ADD(r->rem[idx].w[w->id].active, 1);
	return a;
}

/* Queue one datagram framed; 0, or -1 when the queue is full (dropped). */
static int
enqueue(struct tu *a, const unsigned char *p, size_t len)
{
	size_t need = a->out_len - a->out_off + 2 + len;
	unsigned char *n;

	if (need > TUN_UDP_QUEUE)
		return -1;
	if (a->out_off) {
		memmove(a->out, a->out + a->out_off, a->out_len - a->out_off);
		a->out_len -= a->out_off;
		a->out_off = 0;
	}
	if (!(n = realloc(a->out, a->out_len + 2 + len)))
		return -1;
	a->out = n;
	n[a->out_len] = (unsigned char)(len >> 8);
	n[a->out_len + 1] = (unsigned char)len;
	memcpy(n + a->out_len + 2, p, len);
	a->out_len += 2 + len;
	return 0;
}

void
tunnel_udp_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct rt_lsn *ls = io->arg;
	struct rt_counters *k = &ls->rule->st->w[ls->w->id];
	struct tu_tab *t = tab(ls);
	int i;

	(void)events;
	if (!t)
		return;
	for (i = 0; i < TU_BATCH; i++) {
		struct sockaddr_storage ss;
		struct msghdr h;
		struct iovec iov;
		char ctl[TU_CTL];
		struct tu *a;
		uint32_t hv;
		ssize_t n;

		memset(&h, 0, sizeof(h));
		iov.iov_base = t->buf;
		iov.iov_len = TU_DGRAM;
		h.msg_iov = &iov;
		h.msg_iovlen = 1;
		h.msg_name = &ss;
		h.msg_namelen = sizeof(ss);
		h.msg_control = ctl;
		h.msg_controllen = sizeof(ctl);
		n = recvmsg(ls->fd, &h, MSG_DONTWAIT);
		if (n < 0)
			return;
		if ((h.msg_flags & MSG_TRUNC) || n > 65535) {
			CTR_ADD(k->udp_dropped, 1);
			continue;
		}
		if (ls->rule->lim.admit) {   /* allow/deny, a stopped quota */
			struct sockaddr_storage p = ss;
			int why;

			net_addr_unmap(&p);
			why = lim_check_addr(&ls->rule->lim, __atomic_load_n(&ls->rule->st->quota_state, __ATOMIC_RELAXED),
			    (const struct sockaddr *)&p);
			if (why >= 0) {
				CTR_ADD(k->limit_hits[why], 1);
				CTR_ADD(k->udp_dropped, 1);
				continue;
			}
		}
		if (ls->rule->lim.shape && !lim_police(&ls->rule->st->lim, 1, (uint64_t)n, now_us())) {
			CTR_ADD(k->udp_dropped, 1);
			continue;
		}
		hv = udp_addr_hash(&ss);
		a = (struct tu *)(void *)udp_htab_find(&t->t, &ss, hv);
		if (!a && !(a = tu_new(ls, t, &ss, &h, hv))) {
			CTR_ADD(k->udp_dropped, 1);
			continue;
		}
		if (enqueue(a, t->buf, (size_t)n) < 0) {
			CTR_ADD(k->udp_dropped, 1);
			continue;
		}
		CTR_ADD(k->bytes_up, (uint64_t)n);
		CTR_ADD(k->in[LG_UDP][a->k.fam6], (uint64_t)n);
		CTR_ADD(k->udp_bytes, (uint64_t)n);
		if (rt_quota_spend(a->rule, 1, (uint64_t)n))
			rt_quota_reached(a->w, a->rule);
		a->last = ev_now(l);
		tu_pump(a);
	}
	/* more may wait: the listener is level-triggered, epoll reports it again */
}

/* A quota stopped the rule: its associations end now, like its streams. */
void
tunnel_udp_kick(struct rt_lsn *ls)
{
	struct tu_tab *t = ls->tudp;
	struct udp_key *k, *next;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->t.nb; i++)
		for (k = t->t.b[i]; k; k = next) {
			struct tu *a = (struct tu *)(void *)k;

			next = k->hnext;
			if (rt_quota_stopped(a->rule))
				tu_close(a, "quota reached");
		}
}

void
tunnel_udp_listener_close(struct rt_lsn *ls)
{
	struct tu_tab *t = ls->tudp;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->t.nb; i++)
		while (t->t.b[i])
			tu_close((struct tu *)(void *)t->t.b[i], NULL);
	udp_htab_free(&t->t);
	free(t->buf);
	free(t);
	ls->tudp = NULL;
}
