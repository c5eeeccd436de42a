/*
 * The warm tunnel pool (tunnel_pool.h): per worker, per rule and remote,
 * tunnel connections through their handshakes, waiting for a client.
 *
 * A pool (struct tpool) holds a reference to its rule; its entries are
 * sockets with their client tunnel end, opening (handshake under way,
 * until handshake_timeout) or ready (until TPOOL_LIFE_MS). One timer per
 * pool does the bookkeeping: deadlines, the size it should have, refills
 * (bounded by TPOOL_BURST and the backoff). Entries dropped inside an
 * event callback are freed after the batch (an event of the same batch may
 * still name them); the pool itself goes in its timer once it is empty and
 * no longer wanted.
 */
#include "tunnel_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "loopguard.h"
#include "net.h"
#include "tunnel.h"
#include "util.h"

#define TP_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
#define TICK_MS 1000

struct tp_ent {
	struct ev_io io;
	int fd;
	struct tun_end *end;
	struct tpool *p;
	int ready;
	int lazy;                   /* asked for x-xwpf-pool: open it with an empty frame */
	int64_t deadline;           /* opening: the handshake's; ready: the end of its life */
	uint16_t loop_port;         /* loopguard's note, 0 none */
	unsigned char *early;       /* bytes the exit sent while waiting */
	size_t early_len;
	struct sockaddr_storage dst;
	struct tp_ent *next;
};

struct tpool {
	struct rt_worker *w;
	struct rt_rule *r;          /* a reference */
	int idx;                    /* the remote */
	uint16_t port_off;
	struct tp_ent *ents;        /* newest first */
	int nready, nopening;
	unsigned hist[TPOOL_RATE_S];   /* new clients per second, a ring */
	int64_t hist_sec;           /* the second hist[hist_sec % TPOOL_RATE_S] counts */
	int64_t last_client;
	int fails;                  /* failures in a row: the backoff */
	int64_t retry_at;
	struct ev_timer tm;
	struct tpool *next;
};

static struct rt_counters *
ctr(struct tpool *p)
{
	return &p->r->st->w[p->w->id];
}

/* ---- entries ---- */

static void pool_arm(struct tpool *p, int64_t when);

/* Out of the pool, the socket closed, the memory freed after the batch. */
static void
ent_drop(struct tp_ent *e)
{
	struct tpool *p = e->p;
	struct tp_ent **pp;
	struct ev_loop *l = p->w->loop;

	for (pp = &p->ents; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	if (e->ready) {
		p->nready--;
		CTR_SUB(ctr(p)->tpool_idle, 1);
	} else
		p->nopening--;
	ev_io_del(l, &e->io);
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	if (e->loop_port)
		loopguard_forget(e->loop_port);
	tun_end_free(e->end);
	free(e->early);
	e->end = NULL;
	e->early = NULL;
	e->next = p->w->tpool_dead;
	p->w->tpool_dead = e;
}

/* A failure (why: "tls: ...", the exit closed a waiting connection): the
 * pool backs off; a failed handshake is the remote's failure too. */
static void
ent_fail(struct tp_ent *e, int err, const char *why, int remote)
{
	struct tpool *p = e->p;
	int64_t now = ev_now(p->w->loop), d;
	char a[300];

	CTR_ADD(ctr(p)->tpool_failed, 1);
	if (remote)
		rt_remote_failed(p->r, p->w->id, p->idx, err, why);
	log_debug("rule %s: pooled tunnel to %s: %s", p->r->r->name,
	    hostport_format(&p->r->rem[p->idx].hp, a, sizeof(a)), why);
	ent_drop(e);
	if (now < p->retry_at)   /* one step per backoff: several at once (the exit went away) are one */
		return;
	if (p->fails < 16)
		p->fails++;
	d = (int64_t)TPOOL_BACKOFF_MS << (p->fails - 1 < 6 ? p->fails - 1 : 6);
	p->retry_at = now + (d < TPOOL_BACKOFF_MAX_MS ? d : TPOOL_BACKOFF_MAX_MS);
	pool_arm(p, p->retry_at);
}

/* A ready entry reads what came: 0 alive, -1 it closed, erred or sent
 * more than TPOOL_EARLY_MAX (why says which). */
static int
ent_poll(struct tp_ent *e, const char **why)
{
	unsigned char buf[4096];
	int i;

	for (i = 0; i < 8; i++) {
		ssize_t n = tun_end_read(e->end, e->fd, buf, sizeof(buf));
		unsigned char *nb;

		if (n == 0) {
			*why = "closed by the exit while waiting";
			return -1;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return tun_end_flush(e->end, e->fd) < 0 ? (*why = tun_end_err(e->end), -1) : 0;
			*why = tun_end_err(e->end);
			return -1;
		}
		if (e->early_len + (size_t)n > TPOOL_EARLY_MAX) {
			*why = "the exit sent more than 16 KiB before any client: dropped";
			return -1;
		}
		if (!(nb = realloc(e->early, e->early_len + (size_t)n))) {
			*why = "out of memory";
			return -1;
		}
		memcpy(nb + e->early_len, buf, (size_t)n);
		e->early = nb;
		e->early_len += (size_t)n;
	}
	return 0;
}

/* The handshake is through: the entry waits for a client. */
static void
ent_ready(struct tp_ent *e)
{
	struct tpool *p = e->p;
	const char *why;

	e->ready = 1;
	p->nopening--;
	p->nready++;
	e->deadline = ev_now(p->w->loop) + TPOOL_LIFE_MS;
	CTR_ADD(ctr(p)->tpool_idle, 1);
	CTR_ADD(ctr(p)->tpool_opened, 1);
	rt_count_tls(ctr(p), e->end);
	if (p->r->tun->rem.t.ws)
		tun_peer_xwpf_set((const struct sockaddr *)&e->dst, tun_end_peer_xwpf(e->end));
	if (ent_poll(e, &why) < 0)
		ent_fail(e, 0, why, 0);
}

static void
ent_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct tp_ent *e = io->arg;
	const char *why;
	char t[RT_ERR_MAX];
	int r;

	(void)l;
	if (e->ready) {
		if (ent_poll(e, &why) < 0)
			ent_fail(e, 0, why, 0);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		int er = net_connect_result(e->fd);

		if (er && er != EINPROGRESS && er != EALREADY) {
			snprintf(t, sizeof(t), "tcp: %s", strerror(er));
			ent_fail(e, er, t, 1);
			return;
		}
	}
	r = tun_end_handshake(e->end, e->fd);
	if (r < 0) {
		const char *m = tun_end_err(e->end);

		snprintf(t, sizeof(t), "%s%s", strncmp(m, "tls:", 4) && strncmp(m, "ws:", 3) ? "tcp: " : "", m);
		ent_fail(e, EPROTO, t, 1);
	} else if (r > 0)
		ent_ready(e);
}

/* Start one pooled connection: 0 under way, -1 not now (the pool backs off). */
static int
ent_open(struct tpool *p)
{
	struct rt_worker *w = p->w;
	struct rt_rule *r = p->r;
	struct net_out_spec o;
	struct tp_ent *e;
	char err[ERRLEN];
	int rc;

	if (!(e = calloc(1, sizeof(*e))))
		return -1;
	e->p = p;
	e->fd = -1;
	e->io.fd = -1;
	e->next = p->ents;
	p->ents = e;
	p->nopening++;
	e->deadline = ev_now(w->loop) + r->tun->handshake_ms;
	rc = rt_remote_addr(w, r, p->idx, p->port_off, 0, &e->dst);
	if (rc < 0) {
		ent_fail(e, EHOSTUNREACH, "dns: the name has no address", 0);
		return -1;
	}
	if (rc > 0) {   /* resolving: the next tick looks again */
		ent_drop(e);
		return -1;
	}
	conn_out_spec(r, &e->dst, 0, &o);
	if (net_addr_local(&r->src->local, &e->dst))
		e->loop_port = loopguard_note(&e->dst, 0);
	e->fd = conn_connect(&o, err);
	if (e->fd < 0) {
		ent_fail(e, errno, err, errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM);
		return -1;
	}
	if (!(e->end = tun_end_new(&r->tun->rem, TUN_CLIENT, 0, (const struct sockaddr *)&e->dst, err))) {
		ent_fail(e, ENOMEM, err, 0);
		return -1;
	}
	if (r->tun->rem.t.ws && tun_peer_xwpf((const struct sockaddr *)&e->dst)) {
		e->lazy = 1;
		tun_end_set_pool(e->end);
	}
	if (ev_io_add(w->loop, &e->io, e->fd, TP_EVENTS, ent_cb, e) < 0) {
		ent_fail(e, errno, "epoll", 0);
		return -1;
	}
	return 0;
}

/* ---- pools ---- */

/* The per-second ring up to now (seconds with no client are zeroed). */
static void
hist_roll(struct tpool *p, int64_t now)
{
	int64_t sec = now / 1000, s;

	if (sec - p->hist_sec >= TPOOL_RATE_S)
		memset(p->hist, 0, sizeof(p->hist));
	else
		for (s = p->hist_sec + 1; s <= sec; s++)
			p->hist[s % TPOOL_RATE_S] = 0;
	if (sec > p->hist_sec)
		p->hist_sec = sec;
}

/* Its rule still serves in this worker (a reload may have replaced it). */
static int
rule_current(const struct tpool *p)
{
	const struct rt_lsn *ls;

	for (ls = p->w->lsns; ls; ls = ls->lnext)
		if (ls->rule == p->r)
			return 1;
	return 0;
}

/* How many connections the pool should hold now. */
static int
target(struct tpool *p, int64_t now)
{
	unsigned peak = 0;
	int i;

	if (now - p->last_client >= TPOOL_IDLE_MS || rt_quota_stopped(p->r) || !rule_current(p))
		return 0;
	hist_roll(p, now);
	for (i = 0; i < TPOOL_RATE_S; i++)
		if (p->hist[i] > peak)
			peak = p->hist[i];
	if (peak < 1)
		peak = 1;
	return peak < (unsigned)p->r->tpool_max ? (int)peak : p->r->tpool_max;
}

static void
pool_arm(struct tpool *p, int64_t when)
{
	if (!ev_timer_armed(&p->tm) || when < p->tm.when)
		ev_timer_set(p->w->loop, &p->tm, when);
}

static void
pool_free(struct tpool *p)
{
	struct tpool **pp;

	while (p->ents)
		ent_drop(p->ents);
	ev_timer_del(p->w->loop, &p->tm);
	for (pp = &p->w->tpools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	rt_rule_unref(p->r);
	free(p);
}

/* Deadlines: handshakes that took too long fail, unused connections expire. */
static void
pool_deadlines(struct tpool *p, int64_t now)
{
	struct tp_ent *e, *next;
	char t[160];

	for (e = p->ents; e; e = next) {
		next = e->next;
		if (now < e->deadline)
			continue;
		if (e->ready) {
			CTR_ADD(ctr(p)->tpool_expired, 1);
			ent_drop(e);
			continue;
		}
		snprintf(t, sizeof(t), "handshake timeout (no %s reply within %ld ms)",
		    p->r->tun->rem.t.ws ? "WebSocket" : "TLS", p->r->tun->handshake_ms);
		ent_fail(e, ETIMEDOUT, t, 1);
	}
}

static void
pool_tick(struct ev_loop *l, struct ev_timer *tm)
{
	struct tpool *p = tm->arg;
	int64_t now = ev_now(l), next = now + TICK_MS;
	struct tp_ent *e;
	int want, n;

	pool_deadlines(p, now);
	want = target(p, now);
	while (p->nready + p->nopening > want && p->nready) {   /* the oldest ready ones go */
		struct tp_ent *old = NULL;

		for (e = p->ents; e; e = e->next)
			if (e->ready)
				old = e;
		CTR_ADD(ctr(p)->tpool_expired, 1);
		ent_drop(old);
	}
	for (n = 0; n < TPOOL_BURST && p->nready + p->nopening < want && now >= p->retry_at; n++)
		if (ent_open(p) < 0)
			break;
	if (!want && !p->ents) {
		pool_free(p);
		return;
	}
	for (e = p->ents; e; e = e->next)
		if (e->deadline < next)
			next = e->deadline;
	if (p->nready + p->nopening < want && p->retry_at > now && p->retry_at < next)
		next = p->retry_at;
	pool_arm(p, next);
}

static struct tpool *
pool_get(struct conn *c)
{
	struct rt_worker *w = c->w;
	struct tpool *p;

	for (p = w->tpools; p; p = p->next)
		if (p->r == c->rule && p->idx == c->backend && p->port_off == c->port_off)
			return p;
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->w = w;
	p->r = c->rule;
	rt_rule_ref(p->r);
	p->idx = c->backend;
	p->port_off = c->port_off;
	ev_timer_init(&p->tm, pool_tick, p);
	p->next = w->tpools;
	w->tpools = p;
	return p;
}

/* The ready entry hands its socket and tunnel end to c: 0, or -1 (it is dead). */
static int
hand_over(struct tp_ent *e, struct conn *c)
{
	const char *why = NULL;

	if (ent_poll(e, &why) < 0 || (e->lazy && tun_end_open_frame(e->end, e->fd) < 0)) {
		ent_fail(e, 0, why ? why : tun_end_err(e->end), 0);
		return -1;
	}
	if (e->early_len && conn_prepend(c, &c->srv, e->early, e->early_len) < 0)
		return -1;
	if (!c->rule->hooks || !c->rule->hooks->adopt || c->rule->hooks->adopt(c, e->end) < 0)
		return -1;
	e->end = NULL;
	if (c->loop_port)
		loopguard_forget(c->loop_port);
	c->loop_port = e->loop_port;
	e->loop_port = 0;
	return 0;
}

int
tpool_take(struct conn *c)
{
	struct tpool *p = pool_get(c);
	int64_t now = ev_now(c->w->loop);
	struct tp_ent *e, *pick;
	int fd;

	if (!p) {
		CTR_ADD(c->rule->st->w[c->w->id].tpool_misses, 1);
		return -1;
	}
	hist_roll(p, now);
	p->hist[p->hist_sec % TPOOL_RATE_S]++;
	p->last_client = now;
	pool_arm(p, now);   /* refill (or start) after this batch */
	for (;;) {
		pick = NULL;
		for (e = p->ents; e; e = e->next)   /* the oldest ready one */
			if (e->ready)
				pick = e;
		if (!pick)
			break;
		if (hand_over(pick, c) < 0) {
			if (pick->fd >= 0) {   /* alive, but c cannot take it */
				ent_drop(pick);
				break;
			}
			continue;
		}
		fd = pick->fd;
		pick->fd = -1;
		ent_drop(pick);
		p->fails = 0;
		p->retry_at = 0;
		CTR_ADD(ctr(p)->tpool_hits, 1);
		return fd;
	}
	CTR_ADD(ctr(p)->tpool_misses, 1);
	return -1;
}

void
tpool_after_batch(struct rt_worker *w)
{
	struct tp_ent *e;

	while ((e = w->tpool_dead) != NULL) {
		w->tpool_dead = e->next;
		free(e);
	}
}

void
tpool_worker_free(struct rt_worker *w)
{
	while (w->tpools)
		pool_free(w->tpools);
	tpool_after_batch(w);
}
