/*
 * UDP through a tunnel (udp.h). Relay side: each client address of a UDP
 * listener gets its own tunnel stream to the rule's remote (TLS, WebSocket
 * or both, asking for UDP in the handshake), carrying datagrams with a
 * 2-byte length prefix (tunnel.h). Replies come back framed the same way and
 * leave through the listener socket from the address the client wrote to.
 *
 * Datagrams that arrive while the stream connects or shakes hands wait in
 * the association's queue (bounded by TUN_UDP_QUEUE; beyond, dropped and
 * counted, as UDP may). The association ends after udp_timeout without
 * traffic either way, on a stream error, or when the exit ends the stream.
 *
 * Exit side: a tunnel stream that asked for UDP is a conn (conn.c) whose
 * remote half is a connected UDP socket behind the datagram codec at the
 * end of this file, counted and timed as a UDP association.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "net.h"
#include "rules.h"
#include "tunnel.h"
#include "udp.h"
#include "util.h"

#define TU_DGRAM 65536
#define DG_MAX DGF_MAX
#define TU_BATCH 64
#define TU_PUMP_AT (64 * 1024)   /* queued bytes that go out at once; less waits for the end of the read */
#define TU_KEEP (16 * 1024)      /* a drained queue keeps its buffer up to this size */
#define TU_SNDBUF (4 << 20)      /* the stream's send buffer (capped by net.core.wmem_max) */
#define TU_CTL UDP_CTL_MAX

struct tu {
	struct udp_key k;               /* first: the table holds &a->k (udp.h) */
	struct ev_io io;
	int fd;
	struct rt_lsn *ls;
	struct rt_rule *rule;           /* a reference */
	struct rt_worker *w;
	int backend, connecting, dead;
	int tries;                      /* remotes tried (tu_retry) */
	uint64_t exclude[4];            /* ... and which */
	struct tun_end *e;
	unsigned char *out;             /* framed datagrams toward the stream */
	size_t out_off, out_len, out_cap;
	int pend;                       /* on the listener's list to pump after its read */
	struct tu *pnext;
	struct dgf in;                  /* the stream back, cut into datagrams */
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
udp_tunnel_relay(const struct rt_lsn *ls)
{
	return ls->rule && ls->rule->tun && ls->rule->tun->rem.on && !ls->rule->r->udp_plain;
}

static struct tu_tab *
tab(struct rt_lsn *ls)
{
	struct tu_tab *t = ls->tudp;

	if (t)
		return t;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	udp_socket_buffer(ls->fd);
	t->buf = malloc(TU_DGRAM + 2);
	if (!t->buf || udp_htab_init(&t->t) < 0) {
		free(t->buf);
		free(t);
		return NULL;
	}
	ls->tudp = t;
	return t;
}

/* A few lines per second per worker, as tunnel_conn.c logs its refusals. */
static int
log_ok(struct tu *a)
{
	static _Thread_local struct log_gate gate;

	return log_gate_ok(&gate, ev_now(a->w->loop), 5);
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
udp_tunnel_after_batch(void)
{
	struct tu *a;

	while ((a = zombies) != NULL) {
		zombies = a->znext;
		tun_end_free(a->e);
		free(a->out);
		dgf_free(&a->in);
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
	if (!udp_quota_room(a->rule, 0, 0) || sendmsg(a->ls->fd, &h, MSG_DONTWAIT) < 0) {
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
static void
reply_cb(void *arg, const unsigned char *dg, size_t n)
{
	send_reply(arg, dg, n);
}

static int
unframe(struct tu *a, const unsigned char *p, size_t n)
{
	return dgf_feed(&a->in, p, n, reply_cb, a);
}

static int tu_retry(struct tu *a, int err, const char *why);

static void
tu_fail(struct tu *a)
{
	char rs[300];

	if (!tun_end_open(a->e)) {   /* the handshake: the remote's failure, the next one may do */
		const char *m = tun_end_err(a->e);
		char why[RT_ERR_MAX];

		snprintf(why, sizeof(why), "%s%s", strncmp(m, "tls:", 4) && strncmp(m, "ws:", 3) ? "tcp: " : "", m);
		if (log_ok(a))
			log_warn("rule %s: udp tunnel to %s: %s", a->rule->r->name,
			    hostport_format(&a->rule->rem[a->backend].hp, rs, sizeof(rs)), why);
		if (tu_retry(a, EPROTO, why) == 0)
			return;
		tu_close(a, "tunnel handshake failed");
		return;
	}
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
		ev_timer_set(a->w->loop, &a->tm, a->last + udp_timeout_ms(a->rule));
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
		a->out_off = a->out_len = 0;
		if (a->out_cap > TU_KEEP) {   /* a burst's buffer goes; a small one stays for the next */
			free(a->out);
			a->out = NULL;
			a->out_cap = 0;
		}
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
			if (tu_retry(a, e, NULL) == 0)
				return;
			tu_close(a, "connect failed");
			return;
		}
		a->connecting = 0;
		rt_lb_report(a->rule, a->w->id, a->backend, 1);
		/* the handshake's own deadline: a silent exit costs this much, then the next */
		ev_timer_set(a->w->loop, &a->tm, ev_now(a->w->loop) + a->rule->tun->handshake_ms);
	}
	tu_pump(a);
}

static void
tu_timer(struct ev_loop *l, struct ev_timer *tm)
{
	struct tu *a = tm->arg;
	char rs[300];

	if (a->connecting || !tun_end_open(a->e)) {
		char why[RT_ERR_MAX];

		if (log_ok(a))
			log_warn("rule %s: udp tunnel to %s: %s not complete in time: association dropped",
			    a->rule->r->name, hostport_format(&a->rule->rem[a->backend].hp, rs, sizeof(rs)),
			    a->connecting ? "connect" : "handshake");
		snprintf(why, sizeof(why), a->connecting ? "tcp: %s" : "handshake timeout (no %s reply within %ld ms)",
		    a->connecting ? strerror(ETIMEDOUT) : a->rule->tun->rem.t.ws ? "WebSocket" : "TLS",
		    a->rule->tun->handshake_ms);
		if (tu_retry(a, ETIMEDOUT, why) == 0)
			return;
		tu_close(a, "deadline");
		return;
	}
	if (ev_now(l) - a->last >= udp_timeout_ms(a->rule))
		tu_close(a, "idle");
	else
		ev_timer_set(l, tm, a->last + udp_timeout_ms(a->rule));
}

/* A socket connecting to DST for the rule, or -1 (logged at debug). */
static int
tu_connect(struct rt_rule *r, const struct sockaddr_storage *dst)
{
	struct net_out_spec o;
	char err[ERRLEN];
	int fd, refused = 0;

	memset(&o, 0, sizeof(o));
	o.dst = dst;
	o.type = SOCK_STREAM;
	o.through = r->r->through.host;
	o.through_port = r->r->through.port;
	o.iface = r->r->interface;
	o.mptcp = (r->r->mptcp & MPTCP_SEND) != 0;
	o.so = &r->so;
	o.cc = rt_remote_cc(r, dst);
	o.fastopen = r->tun->fastopen;
	if ((fd = net_connect(&o, &refused, err)) < 0) {
		log_debug("rule %s: udp tunnel: %s", r->r->name, err);
		return -1;
	}
	/* a burst of datagrams waits in the stream's send buffer rather than
	 * overflowing the queue (TUN_UDP_QUEUE) while the stream is young and
	 * its buffer still small; the kernel charges what is queued */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ TU_SNDBUF }, sizeof(int));
	return fd;
}

/*
 * The tunnel to a->backend failed before it was open (its connect or its
 * handshake): that remote's failure (counters, last error, suspect), and the
 * association moves to the next remote with the datagrams it holds (none has
 * left: they go only once the tunnel is open), within the association's first
 * deadline, at most one try per remote. 0 moved, -1 not (the caller closes it).
 */
static int
tu_retry(struct tu *a, int err, const char *why)
{
	struct rt_rule *r = a->rule;
	struct rt_worker *w = a->w;
	struct sockaddr_storage dst;
	struct tun_end *e;
	char msg[ERRLEN];
	int idx, fd;

	rt_remote_failed(r, w->id, a->backend, err, why);
	a->exclude[a->backend / 64] |= 1ull << (a->backend % 64);
	for (;;) {
		if (++a->tries >= (int)r->nrem || ev_now(w->loop) >= a->start + r->connect_ms + r->tun->handshake_ms)
			return -1;
		idx = rt_lb_pick(r, w->id, &a->k.client, a->exclude);
		if (idx < 0 || (size_t)idx >= r->nrem || (a->exclude[idx / 64] & (1ull << (idx % 64))))
			return -1;   /* every remote tried (the balancer's last resort names one tried) */
		a->exclude[idx / 64] |= 1ull << (idx % 64);
		if (rt_remote_addr(w, r, idx, a->ls->port_off, 0, &dst) != 0)
			continue;   /* a name not resolved yet: the next one */
		if ((fd = tu_connect(r, &dst)) >= 0)
			break;
		rt_remote_failed(r, w->id, idx, errno, NULL);
	}
	if (!(e = tun_end_new(&r->tun->rem, TUN_CLIENT, 1, (const struct sockaddr *)&dst, msg))) {
		log_warn("rule %s: udp tunnel: %s", r->r->name, msg);
		close(fd);
		return -1;
	}
	ev_io_del(w->loop, &a->io);
	close(a->fd);
	tun_end_free(a->e);
	a->fd = fd;
	a->e = e;
	if (ev_io_add(w->loop, &a->io, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, tu_cb, a) < 0) {
		a->fd = -1;
		close(fd);
		return -1;
	}
	CTR_SUB(r->rem[a->backend].w[w->id].active, 1);
	a->backend = idx;
	a->connecting = 1;
	ev_timer_set(w->loop, &a->tm, ev_now(w->loop) + r->connect_ms);
	CTR_ADD(r->rem[idx].w[w->id].connects, 1);
	CTR_ADD(r->rem[idx].w[w->id].active, 1);
	return 0;
}

static struct tu *
tu_new(struct rt_lsn *ls, struct tu_tab *t, const struct sockaddr_storage *client, struct msghdr *mh, uint32_t hv)
{
	struct rt_worker *w = ls->w;
	struct rt_rule *r = ls->rule;
	struct sockaddr_storage dst;
	char err[ERRLEN];
	int idx, fd;
	struct tu *a;

	if (w->udp_assocs >= r->udp_max_assoc)   /* the worker's share, as udp.c */
		return NULL;
	if ((idx = udp_pick_remote(ls, client, &dst)) < 0)
		return NULL;
	if ((fd = tu_connect(r, &dst)) < 0)
		return NULL;
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
	a->exclude[idx / 64] |= 1ull << (idx % 64);
	a->connecting = 1;
	a->last = a->start = ev_now(w->loop);
	ev_timer_init(&a->tm, tu_timer, a);
	if (!(a->e = tun_end_new(&r->tun->rem, TUN_CLIENT, 1, (const struct sockaddr *)&dst, err)) ||
	    ev_io_add(w->loop, &a->io, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, tu_cb, a) < 0) {
		if (!a->e)
			log_warn("rule %s: udp tunnel: %s", r->r->name, err);
		tun_end_free(a->e);
		close(fd);
		rt_rule_unref(r);
		free(a);
		return NULL;
	}
	ev_timer_set(w->loop, &a->tm, a->start + r->connect_ms);   /* then the handshake's (tu_cb) */
	udp_htab_add(&t->t, &a->k);
	udp_assoc_counted(w, r, idx);
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
	if (a->out_len + 2 + len > a->out_cap) {
		size_t cap = a->out_cap ? a->out_cap : 4096;

		while (cap < a->out_len + 2 + len)
			cap *= 2;
		if (!(n = realloc(a->out, cap)))
			return -1;
		a->out = n;
		a->out_cap = cap;
	}
	n = a->out;
	dgf_header(n + a->out_len, len);
	memcpy(n + a->out_len + 2, p, len);
	a->out_len += 2 + len;
	return 0;
}

void
udp_tunnel_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct rt_lsn *ls = io->arg;
	struct rt_counters *k = &ls->rule->st->w[ls->w->id];
	struct tu_tab *t = tab(ls);
	struct tu *pend = NULL, *a;
	int i;

	(void)events;
	if (!t)
		return;
	for (i = 0; i < TU_BATCH; i++) {
		struct sockaddr_storage ss;
		struct msghdr h;
		struct iovec iov;
		char ctl[TU_CTL];
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
			break;
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
		if ((ls->rule->lim.shape && !lim_police(&ls->rule->st->lim, 1, (uint64_t)n, now_us())) ||
		    !udp_quota_room(ls->rule, 1, 0)) {
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
		if (a->out_len - a->out_off >= TU_PUMP_AT) {
			tu_pump(a);
		} else if (!a->pend) {
			a->pend = 1;
			a->pnext = pend;
			pend = a;
		}
	}
	/* the small ones read together leave together: many frames in one TLS
	 * record (a closed association waits as a zombie: tu_pump skips it) */
	while ((a = pend) != NULL) {
		pend = a->pnext;
		a->pend = 0;
		tu_pump(a);
	}
	/* more may wait: the listener is level-triggered, epoll reports it again */
}

/* A quota stopped the rule: its associations end now, like its streams. */
void
udp_tunnel_kick(struct rt_lsn *ls)
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
udp_tunnel_listener_close(struct rt_lsn *ls)
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

/* ---- the exit side: a tunnel stream that asked for UDP ---- */

void
udp_dgram_free(struct udp_dgram *d)
{
	free(d->rx);
	d->rx = NULL;
	dgf_free(&d->tx);
}

int
udp_tunnel_exit_begin(struct conn *c)
{
	if (c->w->udp_assocs >= c->rule->udp_max_assoc) {
		CTR_ADD(c->rule->st->w[c->w->id].udp_dropped, 1);
		return -1;
	}
	/* a UDP association from now on: counted (bytes, active) and timed
	 * (udp_timeout) as one by conn.c; tcp_total, counted at accept,
	 * stays (a total never goes back), and the ledger counts the
	 * pair once (udp_carried) */
	c->dgram = 1;
	c->w->udp_assocs++;
	CTR_SUB(c->rule->st->w[c->w->id].tcp_active, 1);
	CTR_ADD(c->rule->st->w[c->w->id].udp_active, 1);
	CTR_ADD(c->rule->st->w[c->w->id].udp_total, 1);
	CTR_ADD(c->rule->st->w[c->w->id].udp_carried, 1);
	return 0;
}

void
udp_tunnel_exit_end(struct conn *c)
{
	CTR_SUB(c->rule->st->w[c->w->id].udp_active, 1);
	c->w->udp_assocs--;
}

/* ---- the datagram codec: a connected UDP socket as a framed stream ---- */

/* The socket's next datagram, framed, into d->rx: 1; 0 none waiting (errno
 * EAGAIN or EINTR); -1 (ENOMEM). */
static int
dg_fetch(struct half *h, struct udp_dgram *d)
{
	int i;

	if (!d->rx) {
		if (!(d->rx = malloc(DG_MAX + 2))) {
			errno = ENOMEM;
			return -1;
		}
		udp_socket_buffer(h->fd);   /* the remote's replies come in bursts too */
	}
	for (i = 0;; i++) {
		ssize_t r = recv(h->fd, d->rx + 2, DG_MAX, MSG_TRUNC);

		if (r >= 0) {
			if (r > DG_MAX)
				continue;   /* cannot be framed: dropped */
			(void)conn_count(h->c, 0, (uint64_t)r);   /* payload, not framing */
			dgf_header(d->rx, (size_t)r);
			d->rx_off = 0;
			d->rx_len = (size_t)r + 2;
			return 1;
		}
		if (errno == EAGAIN || errno == EINTR || i >= 16) {
			if (errno != EINTR)
				errno = EAGAIN;
			return 0;
		}
		/* ICMP errors (port unreachable) of earlier datagrams: UDP carries on */
	}
}

/* As many framed datagrams as buf takes (the last may go in part), so the
 * stream writes them together, many in one TLS record: a read shorter than
 * len means the socket is empty (what conn.c takes it to mean). */
static ssize_t
dg_recv(struct half *h, void *buf, size_t len)
{
	struct udp_dgram *d = h->codec_st;
	size_t out = 0, n;
	int r;

	while (out < len) {
		if (d->rx_off >= d->rx_len) {
			if (d->ended)
				break;
			if ((r = dg_fetch(h, d)) <= 0) {
				if (out)
					break;
				return -1;
			}
		}
		n = d->rx_len - d->rx_off < len - out ? d->rx_len - d->rx_off : len - out;
		memcpy((unsigned char *)buf + out, d->rx + d->rx_off, n);
		d->rx_off += n;
		out += n;
	}
	return (ssize_t)out;
}

/* A datagram from the stream, whole: out to the remote (full or dropped:
 * UDP semantics, EAGAIN and ICMP errors included). */
static void
dg_out(void *arg, const unsigned char *dg, size_t n)
{
	struct half *h = arg;

	if (send(h->fd, dg, n, MSG_DONTWAIT) >= 0)
		(void)conn_count(h->c, 1, n);
}

static ssize_t
dg_send(struct half *h, const void *buf, size_t len)
{
	struct udp_dgram *d = h->codec_st;

	if (dgf_feed(&d->tx, buf, len, dg_out, h) < 0)
		return -1;
	return (ssize_t)len;
}

static int
dg_shutdown(struct half *h)
{
	struct udp_dgram *d = h->codec_st;

	/* the stream ended: so does the association (this half reads EOF next) */
	d->ended = 1;
	if (!(h->fl & H_CANRD)) {
		h->fl |= H_CANRD;
		ev_io_requeue(h->c->w->loop, &h->io, EPOLLIN | EPOLLOUT);
	}
	return 0;
}

static void
dg_ready(struct half *h, unsigned events)
{
	(void)events;
	h->fl |= H_CANRD | H_CANWR;
}

static void
dg_free(struct half *h)
{
	h->codec_st = NULL;   /* the tunnel's state owns it (udp_dgram_free) */
}

const struct conn_codec udp_dgram_codec = {
	"udp-stream", dg_recv, dg_send, dg_shutdown, dg_free, dg_ready,
};
