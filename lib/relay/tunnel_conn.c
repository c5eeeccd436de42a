/*
 * The relay's side of the tunnels: conn_hooks (PROXY accept and the server
 * handshakes before a backend is chosen, the PROXY header once connected,
 * the codecs) and the tunnel-end codec on a half. The datagram codec of
 * the exit side of UDP through a tunnel is the udp module's (udp_tunnel.c).
 */
#include "tunnel_conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "log.h"
#include "net.h"
#include "pp.h"
#include "tunnel.h"
#include "udp.h"
#include "util.h"

#define FLUSH_EV (1u << 27)   /* replay: send the record a bulk write left open */
#define FLUSH_WAIT 8          /* replays a flush may wait for more bytes from the source */

enum { PR_PROXY, PR_HS, PR_WAIT, PR_DONE };   /* PR_WAIT: a pooled stream waits for its first frame */

struct tun_conn {
	struct conn *c;
	int phase;
	int have_pp;
	struct sockaddr_storage pp_src, pp_dst;
	struct tun_end *cli, *srv;
	struct udp_dgram dg;
	struct ev_timer hs;         /* the client end's handshake deadline */
	int64_t hs_start;
	int logged;
	int flush_waits;            /* FLUSH_EV replays that found the source still readable */
	size_t pp_held;             /* a plain remote: the PROXY header's bytes put before the client's */
	int hs_counted;             /* the server handshake counts in its worker's (hs_enter) */
	int hs_waits;               /* in its worker's list of handshakes waiting (hs_wait) */
	int hs_waited;              /* has waited (counted once as the limit, however often it waits) */
	struct tun_conn *wait_prev, *wait_next;
	struct sockaddr_storage dst;   /* the remote's address (a client end's), family 0 unknown */
};

static struct tun_rule *
trule(const struct conn *c)
{
	return c->rule->tun;
}

/* At most a few refusal lines per second per worker: a scanner cannot flood the log. */
static int
log_ok(struct conn *c)
{
	static _Thread_local struct log_gate gate;

	return log_gate_ok(&gate, ev_now(c->w->loop), 5);
}

/*
 * Exit side: a client that fails the server handshake (wrong ws host or
 * path, not TLS, wrong SNI, no common protocol) is most often a relay with
 * other transport settings, retrying all the time: one line per source
 * address and rule a minute, from a small fixed table (the entry used
 * longest ago makes room), on the failure path only.
 */
#define HS_LOG_SLOTS 64
#define HS_LOG_MS 60000

static int
hs_log_once(struct conn *c)
{
	static struct { unsigned char a[16]; char rule[STORE_NAME_MAX + 1]; int64_t at; int used; } tab[HS_LOG_SLOTS];
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	unsigned char a[16] = { 0 };
	const char *rule = c->rule->r->name;
	int64_t now = now_ms();
	int i, pick = -1, say = 1;

	if (c->peer.ss_family == AF_INET)
		memcpy(a, &((const struct sockaddr_in *)(const void *)&c->peer)->sin_addr, 4);
	else if (c->peer.ss_family == AF_INET6)
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)&c->peer)->sin6_addr, 16);
	pthread_mutex_lock(&mu);
	for (i = 0; i < HS_LOG_SLOTS; i++) {
		if (tab[i].used && memcmp(tab[i].a, a, 16) == 0 && strcmp(tab[i].rule, rule) == 0) {
			pick = i;
			say = now - tab[i].at >= HS_LOG_MS;
			break;
		}
		if (pick < 0 || (tab[pick].used && (!tab[i].used || tab[i].at < tab[pick].at)))
			pick = i;
	}
	if (say) {
		memcpy(tab[pick].a, a, 16);
		snprintf(tab[pick].rule, sizeof(tab[pick].rule), "%s", rule);
		tab[pick].at = now;
		tab[pick].used = 1;
	}
	pthread_mutex_unlock(&mu);
	return say && log_ok(c);
}

/* A TLS handshake of this rule is through: count it, full or resumed. */
static void
count_tls(struct conn *c, const struct tun_end *e)
{
	rt_count_tls(&c->rule->st->w[c->w->id], e);
}

static const char *
peer_str(struct conn *c, char *buf, size_t size)
{
	return net_addr_str(&c->peer, buf, (unsigned)size);
}

static struct tun_conn *
tc_get(struct conn *c)
{
	struct tun_conn *tc = c->tun;

	if (tc)
		return tc;
	if (!(tc = calloc(1, sizeof(*tc))))
		return NULL;
	tc->c = c;
	tc->phase = trule(c)->proxy_accept ? PR_PROXY : PR_HS;
	ev_timer_init(&tc->hs, NULL, tc);
	c->tun = tc;
	return tc;
}

/* ---- server handshakes under way: at most max_handshakes per worker, of
 * them max_handshakes_per_src from one client network ---- */

#define HS_SRC_TABLE 4096

enum { HS_OK, HS_WORKER, HS_SRC };

/* The server handshake of c may begin: HS_OK (it counts until hs_leave), or
 * not now: HS_WORKER (the worker has max_handshakes under way: reset), HS_SRC
 * (the client's network has max_handshakes_per_src, or no memory for the
 * table: it waits, hs_wait). */
static int
hs_enter(struct conn *c, struct tun_conn *tc)
{
	struct tun_rule *t = trule(c);
	struct rt_worker *w = c->w;
	uint32_t per_src = t->hs_max_src > 0 ? (uint32_t)t->hs_max_src : TUN_HS_MAX_SRC;

	if (w->handshakes >= (t->hs_max > 0 ? t->hs_max : TUN_HS_MAX))
		return HS_WORKER;
	if (!w->hs_src.v && srclimit_init(&w->hs_src, HS_SRC_TABLE, per_src, 0) < 0)
		return HS_SRC;
	w->hs_src.max_active = per_src;   /* this worker's own table: no other thread reads it */
	srclimit_prefix(&w->hs_src, t->src_p4, t->src_p6);
	if (srclimit_enter(&w->hs_src, (const struct sockaddr *)&c->peer, ev_now(w->loop)) < 0)
		return HS_SRC;
	w->handshakes++;
	tc->hs_counted = 1;
	return HS_OK;
}

/* A handshake over its network's max_handshakes_per_src waits, in its
 * worker's list, rather than being reset: a relay in front of an exit is one
 * client network to it, and a burst of new clients at the relay would lose
 * connections. It costs what a silent connection costs (no TLS engine: that
 * comes with hs_enter), its deadline (handshake_timeout) still runs, and it
 * starts when a handshake of its network ends (hs_leave). Over the worker's
 * max_handshakes it is still reset: that cap sheds load; so is one when as
 * many wait already (which bounds the walk of hs_leave). */
static void
hs_wait(struct conn *c, struct tun_conn *tc)
{
	struct rt_worker *w = c->w;
	char ps[64];

	if (tc->hs_waits)
		return;
	tc->hs_waits = 1;
	w->hs_waiting++;
	tc->wait_next = NULL;
	tc->wait_prev = w->hs_wait_tail;
	if (w->hs_wait_tail)
		w->hs_wait_tail->wait_next = tc;
	else
		w->hs_wait_head = tc;
	w->hs_wait_tail = tc;
	if (tc->hs_waited)
		return;
	tc->hs_waited = 1;
	CTR_ADD(c->rule->st->w[w->id].limit_hits[LIM_HANDSHAKES], 1);
	if (log_ok(c))
		log_info("rule %s: client %s: waits: its network has max_handshakes_per_src (%ld) TLS/WebSocket "
		    "handshakes under way in this worker", c->rule->r->name, peer_str(c, ps, sizeof(ps)),
		    trule(c)->hs_max_src);
}

static void
hs_unwait(struct conn *c, struct tun_conn *tc)
{
	struct rt_worker *w = c->w;

	if (!tc->hs_waits)
		return;
	tc->hs_waits = 0;
	w->hs_waiting--;
	if (tc->wait_prev)
		tc->wait_prev->wait_next = tc->wait_next;
	else
		w->hs_wait_head = tc->wait_next;
	if (tc->wait_next)
		tc->wait_next->wait_prev = tc->wait_prev;
	else
		w->hs_wait_tail = tc->wait_prev;
	tc->wait_prev = tc->wait_next = NULL;
}

static void
hs_leave(struct conn *c, struct tun_conn *tc)
{
	struct rt_worker *w = c->w;
	struct tun_conn *o;
	unsigned char k[16], ko[16];

	if (!tc->hs_counted)
		return;
	tc->hs_counted = 0;
	w->handshakes--;
	srclimit_leave(&w->hs_src, (const struct sockaddr *)&c->peer);
	if (!w->hs_wait_head)
		return;
	/* the oldest handshake waiting for this network starts (its read again) */
	srclimit_key((const struct sockaddr *)&c->peer, w->hs_src.prefix4, w->hs_src.prefix6, k);
	for (o = w->hs_wait_head; o; o = o->wait_next) {
		srclimit_key((const struct sockaddr *)&o->c->peer, w->hs_src.prefix4, w->hs_src.prefix6, ko);
		if (memcmp(k, ko, sizeof(k)) == 0) {
			hs_unwait(o->c, o);
			ev_io_requeue(w->loop, &o->c->cli.io, EPOLLIN);
			return;
		}
	}
}

/* Over a cap (why: HS_WORKER, or HS_SRC with max_handshakes waiting already):
 * a reset, counted as a limit, logged a few times a second. */
static void
hs_refuse(struct conn *c, int why)
{
	static const struct linger lg = { 1, 0 };
	struct tun_rule *t = trule(c);
	char ps[64];

	(void)setsockopt(c->cli.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (!c->tun->hs_waited)   /* one that waited was counted then */
		CTR_ADD(c->rule->st->w[c->w->id].limit_hits[LIM_HANDSHAKES], 1);
	if (!log_ok(c))
		return;
	if (why == HS_WORKER)
		log_warn("rule %s: client %s: reset: this worker has max_handshakes (%ld) TLS/WebSocket handshakes "
		    "under way", c->rule->r->name, peer_str(c, ps, sizeof(ps)), t->hs_max);
	else
		log_warn("rule %s: client %s: reset: its network has max_handshakes_per_src (%ld) TLS/WebSocket "
		    "handshakes under way and max_handshakes (%ld) wait in this worker", c->rule->r->name,
		    peer_str(c, ps, sizeof(ps)), t->hs_max_src, t->hs_max);
}

/* Has the client sent anything? 1 yes, 0 not yet, -1 it left (or an error). */
static int
first_bytes(struct conn *c)
{
	char b;
	ssize_t n = recv(c->cli.fd, &b, 1, MSG_PEEK);

	if (n > 0)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

static void
tc_free(struct conn *c)
{
	struct tun_conn *tc = c->tun;

	if (c->dgram)   /* the exit's datagram stream: its UDP association ends */
		udp_tunnel_exit_end(c);
	if (!tc)
		return;
	hs_unwait(c, tc);
	hs_leave(c, tc);
	ev_timer_del(c->w->loop, &tc->hs);
	tun_end_free(tc->cli);
	tun_end_free(tc->srv);
	udp_dgram_free(&tc->dg);
	free(tc);
	c->tun = NULL;
}

/* ---- pre-read: PROXY header, then the server handshakes ---- */

static int
read_proxy(struct conn *c, struct tun_conn *tc)
{
	unsigned char b[PP_MAX];
	struct pp_info info;
	char err[ERRLEN], ps[64];
	enum pp_result r;
	ssize_t n;

	n = recv(c->cli.fd, b, sizeof(b), MSG_PEEK);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	*err = '\0';
	r = pp_parse(b, (size_t)n, &info, err);
	if (r == PP_NEED)
		return 0;
	if (r != PP_OK) {
		if (log_ok(c))
			log_info("rule %s: client %s: %s%s%s: closed (proxy = accept wants a PROXY v1/v2 header first)",
			    c->rule->r->name, peer_str(c, ps, sizeof(ps)), pp_result_str(r), *err ? ": " : "", err);
		return -1;
	}
	n = recv(c->cli.fd, b, info.len, 0);   /* exactly the header: the rest is the client's */
	if (n != (ssize_t)info.len)
		return -1;
	if (!info.local) {
		tc->have_pp = 1;
		tc->pp_src = info.src;
		tc->pp_dst = info.dst;
		net_addr_unmap(&tc->pp_src);
		net_addr_unmap(&tc->pp_dst);
	}
	return 1;
}

/* The server handshake is through: what the stream carries (UDP, TCP) and
 * whether the rule allows it; a pooled stream waits for its first frame. */
static int
hs_done(struct conn *c, struct tun_conn *tc)
{
	struct tun_rule *t = trule(c);
	char err[ERRLEN], ps[64];

	tc->phase = PR_DONE;
	if (tun_end_udp(tc->cli)) {
		if (!(t->protocols & PROTO_UDP)) {
			if (log_ok(c))
				log_warn("rule %s: client %s asks for UDP through the tunnel, but the rule's "
				    "protocol has no udp: refused (set protocol = tcp+udp)", c->rule->r->name,
				    peer_str(c, ps, sizeof(ps)));
			return -1;
		}
		/* under udp_max_assoc as every association of this worker; the
		 * entry opens the stream again with the client's next datagram */
		if (udp_tunnel_exit_begin(c) < 0) {
			if (log_ok(c))
				log_warn("rule %s: client %s: a UDP association through the tunnel is over "
				    "udp_max_assoc (%ld per worker): refused", c->rule->r->name,
				    peer_str(c, ps, sizeof(ps)), c->rule->udp_max_assoc);
			return -1;
		}
	} else if (!(t->protocols & PROTO_TCP)) {
		if (log_ok(c))
			log_warn("rule %s: client %s opened a TCP stream, but the rule's protocol is udp: refused",
			    c->rule->r->name, peer_str(c, ps, sizeof(ps)));
		return -1;
	} else if (tun_end_pool(tc->cli)) {   /* no backend before the relay's first frame */
		tc->phase = PR_WAIT;
		c->deadline = ev_now(c->w->loop) + TUN_POOL_WAIT_MS;
		ev_timer_set(c->w->loop, &c->tm, c->deadline);
	}
	if (log_ok(c))
		log_debug("rule %s: client %s: tunnel up (%s%s)", c->rule->r->name, peer_str(c, ps, sizeof(ps)),
		    tun_end_describe(tc->cli, err, sizeof(err)), tc->phase == PR_WAIT ? ", pooled" : "");
	return 0;
}

/* A pooled stream: 1 its first frame came (an empty one, or data: kept
 * for the backend), 0 not yet, -1 the relay closed it or an error. */
static int
pool_wait(struct conn *c, struct tun_conn *tc)
{
	char buf[8192];
	ssize_t n = tun_end_read(tc->cli, c->cli.fd, buf, sizeof(buf));

	if (n > 0) {
		tc->phase = PR_DONE;
		return conn_prepend(c, &c->cli, buf, (size_t)n) < 0 ? -1 : 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (!tun_end_frames(tc->cli))
			return 0;
		tc->phase = PR_DONE;
		return 1;
	}
	return -1;
}

static int
tn_preread(struct conn *c)
{
	struct tun_rule *t = trule(c);
	struct tun_conn *tc = c->tun;
	char err[ERRLEN], ps[64];
	int r, peeked = 0;

	if (!tc) {   /* nothing is allocated for a client that has sent nothing */
		if ((r = first_bytes(c)) <= 0)
			return r;
		if (!(tc = tc_get(c)))
			return -1;
		peeked = 1;
	}
	if (tc->phase == PR_PROXY) {
		r = read_proxy(c, tc);
		if (r <= 0)
			return r;
		tc->phase = PR_HS;
		if (t->lsn.on) {   /* a fresh absolute deadline for the handshake */
			c->deadline = ev_now(c->w->loop) + t->handshake_ms;
			ev_timer_set(c->w->loop, &c->tm, c->deadline);
		}
	}
	if (tc->phase == PR_HS) {
		if (!t->lsn.on) {
			tc->phase = PR_DONE;
			return 1;
		}
		if (!tc->cli) {   /* its first bytes: the server end, if the caps allow */
			if (!peeked && (r = first_bytes(c)) <= 0)
				return r;
			if ((r = hs_enter(c, tc)) == HS_SRC &&
			    (tc->hs_waits || c->w->hs_waiting < (t->hs_max > 0 ? t->hs_max : TUN_HS_MAX))) {
				hs_wait(c, tc);
				return 0;
			}
			hs_unwait(c, tc);   /* it may have waited: it starts now, or is reset */
			if (r != HS_OK) {
				hs_refuse(c, r);
				return -1;
			}
			if (!(tc->cli = tun_end_new(&t->lsn, TUN_SERVER, 0, NULL, err))) {
				log_warn("rule %s: %s", c->rule->r->name, err);
				return -1;
			}
		}
		r = tun_end_handshake(tc->cli, c->cli.fd);
		if (r < 0) {
			if (hs_log_once(c))
				log_warn("rule %s: client %s refused: %s (a relay with other transport settings? "
				    "said once a minute per address)", c->rule->r->name, peer_str(c, ps, sizeof(ps)),
				    tun_end_err(tc->cli));
			return -1;
		}
		if (r == 0)
			return 0;
		hs_leave(c, tc);
		count_tls(c, tc->cli);
		if (hs_done(c, tc) < 0)
			return -1;
	}
	if (tc->phase == PR_WAIT)
		return pool_wait(c, tc);
	return 1;
}

static const char *
tn_expired(struct conn *c)
{
	struct tun_conn *tc = c->tun;
	struct tun_rule *t = trule(c);
	char ps[64];
	const char *why;
	int pp = tc ? tc->phase == PR_PROXY : t->proxy_accept;   /* no byte came at all: no tun_conn yet */

	if (pp)
		why = "no PROXY header in time";
	else if (tc && tc->phase == PR_WAIT)
		why = "pooled tunnel stream not opened by the relay in time: closed";
	else
		why = "tunnel handshake not complete at the deadline (handshake_timeout): cut";
	if (log_ok(c))
		log_info("rule %s: client %s: %s (%ld ms)", c->rule->r->name, peer_str(c, ps, sizeof(ps)), why,
		    pp ? t->proxy_ms : tc && tc->phase == PR_WAIT ? (long)TUN_POOL_WAIT_MS : t->handshake_ms);
	return why;
}

/* ---- connected: the PROXY header first ---- */

static int
tn_connected(struct conn *c)
{
	struct tun_rule *t = trule(c);
	struct tun_conn *tc = tc_get(c);
	struct sockaddr_storage src, dst;
	socklen_t len = sizeof(dst);
	unsigned char hdr[PP_ENC_MAX];
	char err[ERRLEN];
	int n;

	if (!tc)
		return -1;
	if (tc->srv)   /* a pooled connection (tunnel_pool.h): its end is open already */
		return 0;
	if (t->rem.on && !c->dgram && getpeername(c->srv.fd, (struct sockaddr *)&dst, &len) < 0)
		memset(&dst, 0, sizeof(dst));
	if (t->rem.on && !c->dgram) {
		tc->dst = dst;
		if (!(tc->srv = tun_end_new(&t->rem, TUN_CLIENT, 0, (struct sockaddr *)&dst, err))) {
			log_warn("rule %s: %s", c->rule->r->name, err);
			return -1;
		}
	}
	if (tc->srv && t->rem.t.early)   /* the exit is xwpf: data may follow the ws request */
		tun_end_set_early(tc->srv);
	if (t->proxy_send == PROXY_NONE || c->dgram)
		return 0;
	len = sizeof(dst);
	if (tc->have_pp) {
		src = tc->pp_src;
		dst = tc->pp_dst;
	} else {
		src = c->peer;
		if (getsockname(c->cli.fd, (struct sockaddr *)&dst, &len) < 0)
			memset(&dst, 0, sizeof(dst));
		net_addr_unmap(&dst);
	}
	n = pp_encode(t->proxy_send == PROXY_V1 ? 1 : 2, (struct sockaddr *)&src, (struct sockaddr *)&dst, hdr,
	    sizeof(hdr));
	if (n < 0)
		return -1;
	if (tc->srv)   /* in clear, before the ClientHello or the WebSocket request */
		return tun_end_preamble(tc->srv, hdr, (size_t)n);
	tc->pp_held = (size_t)n;
	return conn_prepend(c, &c->cli, hdr, (size_t)n);
}

/* ---- the tunnel-end codec ---- */

static void
kick(struct half *h, unsigned fl)
{
	if ((h->fl & fl) != fl) {
		h->fl |= fl;
		ev_io_requeue(h->c->w->loop, &h->io, EPOLLIN | EPOLLOUT);
	}
}

static void
report(struct half *h, struct tun_end *e)
{
	struct conn *c = h->c;
	struct tun_conn *tc = c->tun;
	char ps[64], rs[64];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (tc->logged++ || !log_ok(c))
		return;
	if (h == &c->srv) {
		if (getpeername(h->fd, (struct sockaddr *)&ss, &len) < 0)
			snprintf(rs, sizeof(rs), "the remote");
		else
			net_addr_str(&ss, rs, sizeof(rs));
		log_warn("rule %s: tunnel to %s: %s", c->rule->r->name, rs, tun_end_err(e));
	} else
		log_warn("rule %s: client %s: %s", c->rule->r->name, peer_str(c, ps, sizeof(ps)), tun_end_err(e));
}

/* The client end's handshake runs inside the pump: 1 open, else -1 with errno. */
static int
hs(struct half *h, struct tun_end *e)
{
	struct tun_conn *tc = h->c->tun;
	int r;

	if (tun_end_open(e))
		return 1;
	r = tun_end_handshake(e, h->fd);
	if (r < 0) {
		report(h, e);
		if (h == &h->c->srv) {   /* the remote's failure: the next one may be tried */
			const char *m = tun_end_err(e);
			char why[RT_ERR_MAX];

			/* "tls: ...", "ws: ..."; a socket error ("send: ...") is the TCP stage's */
			snprintf(why, sizeof(why), "%s%s", strncmp(m, "tls:", 4) && strncmp(m, "ws:", 3) ? "tcp: " : "", m);
			conn_remote_failed(h->c, EPROTO, why);
		}
		errno = EPROTO;
		return -1;
	}
	if (r == 0) {
		errno = EAGAIN;
		return -1;
	}
	ev_timer_del(h->c->w->loop, &tc->hs);
	kick(h, H_CANRD | H_CANWR);
	count_tls(h->c, e);
	if (h == &h->c->srv) {
		if (trule(h->c)->rem.t.ws && tc->dst.ss_family)   /* what the pool needs to know of this exit */
			tun_peer_xwpf_set((const struct sockaddr *)&tc->dst, tun_end_peer_xwpf(e));
		conn_remote_up(h->c);
	}
	return 1;
}

static ssize_t
cd_recv(struct half *h, void *buf, size_t len)
{
	struct tun_end *e = h->codec_st;
	ssize_t n;

	if (hs(h, e) < 0)
		return -1;
	n = tun_end_read(e, h->fd, buf, len);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		report(h, e);
	return n;
}

/* More bytes are on their way from the source half (its last read filled
 * the buffer and met no EAGAIN): a record may stay open for them. */
static int
source_busy(const struct half *h)
{
	const struct half *src = h->dst;

	return (src->fl & H_CANRD) && !(src->fl & (H_RDEOF | H_RDHUP));
}

/*
 * Bulk writes leave the last record open (tun_end_write_more) while the
 * source is still readable, so that 32 KiB reads with WebSocket headers
 * between them fill whole 16 KiB records; a replay (FLUSH_EV, after the
 * pump) sends what is left once the source has run dry. A short read
 * flushes at once: no latency is added to small messages.
 */
static ssize_t
cd_send(struct half *h, const void *buf, size_t len)
{
	struct tun_end *e = h->codec_st;
	ssize_t n;

	if (hs(h, e) < 0 && !(errno == EAGAIN && tun_end_early(e)))
		return -1;
	if (source_busy(h)) {
		n = tun_end_write_more(e, h->fd, buf, len);
		if (tun_end_unflushed(e))
			ev_io_requeue(h->c->w->loop, &h->io, FLUSH_EV);
	} else
		n = tun_end_write(e, h->fd, buf, len);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		report(h, e);
	if (tun_end_buffered(e))
		kick(h, H_CANRD);
	return n;
}

static int
cd_shutdown(struct half *h)
{
	struct tun_end *e = h->codec_st;

	if (hs(h, e) < 0) {   /* the end of a stream that had no data: after the handshake */
		if (errno == EAGAIN)
			return 1;
		shutdown(h->fd, SHUT_WR);
		return 0;
	}
	return tun_end_shutdown(e, h->fd, (h->fl & H_RDEOF) != 0) == 1 ? 1 : 0;
}

static void
cd_ready(struct half *h, unsigned events)
{
	struct tun_end *e = h->codec_st;
	struct tun_conn *tc = h->c->tun;

	if (events == FLUSH_EV && tun_end_unflushed(e) && source_busy(h) && (h->fl & H_CANWR) &&
	    tc->flush_waits < FLUSH_WAIT) {
		/* the pump that follows reads the source: its bytes join the open
		 * record; this replay comes back until the source is dry (bounded) */
		tc->flush_waits++;
		ev_io_requeue(h->c->w->loop, &h->io, FLUSH_EV);
	} else if (tun_end_open(e)) {
		tc->flush_waits = 0;
		(void)tun_end_flush(e, h->fd);
	}
	h->fl |= H_CANRD | H_CANWR;
}

static void
cd_free(struct half *h)
{
	h->codec_st = NULL;   /* the tun_conn owns the end */
}

static const struct conn_codec end_codec = {
	"tunnel", cd_recv, cd_send, cd_shutdown, cd_free, cd_ready,
};

static void
hs_timeout(struct ev_loop *l, struct ev_timer *tm)
{
	struct tun_conn *tc = tm->arg;
	struct conn *c = tc->c;
	char rs[64];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	char why[96];

	(void)l;
	if (getpeername(c->srv.fd, (struct sockaddr *)&ss, &len) < 0)
		snprintf(rs, sizeof(rs), "the remote");
	else
		net_addr_str(&ss, rs, sizeof(rs));
	if (log_ok(c))
		log_warn("rule %s: tunnel to %s: handshake not complete within %ld ms (handshake_timeout): closed "
		    "(is the exit up and speaking the same transport?)", c->rule->r->name, rs, trule(c)->handshake_ms);
	snprintf(why, sizeof(why), "handshake timeout (no %s reply within %ld ms)",
	    trule(c)->rem.t.ws ? "WebSocket" : "TLS", trule(c)->handshake_ms);
	conn_remote_failed(c, ETIMEDOUT, why);
	if (!conn_retry(c))
		conn_close(c, "tunnel handshake timed out");
}

/* ---- attach ---- */

static int
tn_attach(struct conn *c)
{
	struct tun_rule *t = trule(c);
	struct tun_conn *tc = c->tun;

	if (!tc)
		return 0;
	if (tc->cli) {
		c->cli.codec = &end_codec;
		c->cli.codec_st = tc->cli;
		c->cli.fl |= H_CANRD | H_CANWR;
	}
	if (c->dgram) {
		c->srv.codec = &udp_dgram_codec;
		c->srv.codec_st = &tc->dg;
		c->srv.fl |= H_CANRD | H_CANWR;
	} else if (tc->srv) {
		c->srv.codec = &end_codec;
		c->srv.codec_st = tc->srv;
		c->srv.fl |= H_CANRD | H_CANWR;
		if (tun_end_open(tc->srv))   /* pooled: nothing to wait for */
			return 0;
		tc->hs.cb = hs_timeout;
		tc->hs_start = ev_now(c->w->loop);
		ev_timer_set(c->w->loop, &tc->hs, tc->hs_start + t->handshake_ms);
		c->hs_pending = 1;   /* the connect counts once the tunnel is up */
	}
	return 0;
}

/* The remote failed before any byte passed and the next one is tried: its
 * tunnel end goes, and a PROXY header put before the client's bytes comes
 * off (nothing was written: connected() puts it there again). */
static void
tn_reset(struct conn *c)
{
	struct tun_conn *tc = c->tun;
	struct half *h = &c->cli;

	if (!tc)
		return;
	ev_timer_del(c->w->loop, &tc->hs);
	tun_end_free(tc->srv);
	tc->srv = NULL;
	tc->logged = 0;
	tc->flush_waits = 0;
	if (tc->pp_held && h->buf && h->len - h->off >= tc->pp_held) {
		h->off += (uint32_t)tc->pp_held;
		if (h->off >= h->len)
			h->off = h->len = 0;
	}
	tc->pp_held = 0;
}

static int
tn_adopt(struct conn *c, struct tun_end *e)
{
	struct tun_conn *tc = tc_get(c);

	if (!tc)
		return -1;
	tc->srv = e;
	return 0;
}

static const struct conn_hooks hooks_accept = {
	tn_preread, tn_connected, tn_attach, tn_expired, tc_free, tn_reset, tn_adopt,
};
static const struct conn_hooks hooks_plain = {
	NULL, tn_connected, tn_attach, tn_expired, tc_free, tn_reset, tn_adopt,
};

const struct conn_hooks *
tun_hooks(const struct tun_rule *t)
{
	return t->proxy_accept || t->lsn.on ? &hooks_accept : &hooks_plain;
}
