#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loopguard.h"
#include "net.h"
#include "tunnel_pool.h"
#include "util.h"

#define KA_DELAY_MS 1000         /* keepalive is set on the outbound socket once it lived this long */
#define CONN_REPLAY (1u << 26)   /* run-queue replay: not a readiness edge */
#define FLOW_ROUNDS 16
#define ACCEPT_BATCH 64
/* EPOLLPRI: TCP urgent data arrived (H_URG); costs no syscall */
#define HALF_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET)

static int mptcp_refused_logged;

/* ---- helpers ---- */

static inline int
pending(const struct half *h)
{
	return h->len > h->off || (h->pipe && h->pipe->len);
}

static void
drop_empty(struct conn *c, struct half *h)
{
	if (h->pipe && !h->pipe->len) {
		conn_pipe_put(c->w, h->pipe);
		h->pipe = NULL;
	}
	if (h->buf && h->off >= h->len) {
		conn_buf_put(c->w, h->buf);
		h->buf = NULL;
		h->off = h->len = 0;
	}
}

static void
link_live(struct conn *c)
{
	struct rt_worker *w = c->w;

	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

static void
unlink_live(struct conn *c)
{
	struct rt_worker *w = c->w;

	if (c->prev)
		c->prev->next = c->next;
	else if (w->conns == c)
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

static struct rt_counters *
ctr(struct conn *c)
{
	return &c->rule->st->w[c->w->id];
}

int
conn_prepend(struct conn *c, struct half *h, const void *data, size_t len)
{
	char *nb;
	size_t have = h->len - h->off;

	if (len == 0)
		return 0;
	if (have + len > CONN_BUF || (h->pipe && h->pipe->len)) {
		errno = ENOSPC;
		return -1;
	}
	nb = h->buf ? h->buf : conn_buf_get(c->w);
	if (!nb)
		return -1;
	if (h->buf && have)
		memmove(nb + len, h->buf + h->off, have);
	memcpy(nb, data, len);
	h->buf = nb;
	h->off = 0;
	h->len = (uint32_t)(len + have);
	return 0;
}

/* A half's codec, socket, pipe and buffer back to their pools. del: take the
 * socket out of epoll first (a retry reuses the half); else close() does. */
static void
half_release(struct conn *c, struct half *h, int del)
{
	if (h->codec && h->codec->free)
		h->codec->free(h);
	h->codec = NULL;
	if (del)
		ev_io_del(c->w->loop, &h->io);
	else
		ev_io_forget(c->w->loop, &h->io);   /* close() takes the fd out of epoll */
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	if (h->pipe)
		conn_pipe_put(c->w, h->pipe);
	h->pipe = NULL;
	if (h->buf)
		conn_buf_put(c->w, h->buf);
	h->buf = NULL;
}

static void remote_release(struct conn *c);

void
conn_close(struct conn *c, const char *why)
{
	struct ev_loop *l = c->w->loop;
	struct half *hs[2] = { &c->cli, &c->srv };
	int i;

	if (c->st == CS_CLOSED)
		return;
	if (why)
		log_debug("rule %s: connection closed: %s", c->rule->r->name, why);
	c->st = CS_CLOSED;
	ev_timer_del(l, &c->tm);
	for (i = 0; i < 2; i++)
		half_release(c, hs[i], 0);
	if (c->rule->hooks && c->rule->hooks->free)
		c->rule->hooks->free(c);
	c->tun = NULL;
	if (c->admitted)
		lim_leave(&c->rule->lim, &c->rule->st->lim, (const struct sockaddr *)&c->peer);
	c->admitted = 0;
	ev_timer_del(l, &c->ttm);
	free(c->cb);
	c->cb = NULL;
	if (!c->dgram)   /* a tunnel's datagram stream is a UDP association: its hook ended it */
		CTR_SUB(ctr(c)->tcp_active, 1);
	remote_release(c);
	if (c->loop_port)
		loopguard_forget(c->loop_port);
	c->loop_port = 0;
	unlink_live(c);
	c->zombie = 1;
	c->next = c->w->zombies;
	c->w->zombies = c;
}

void
conn_after_batch(struct ev_loop *l, void *arg)
{
	struct rt_worker *w = arg;
	struct conn *c;

	(void)l;
	while ((c = w->zombies) != NULL) {
		w->zombies = c->next;
		rt_rule_unref(c->rule);
		conn_put(w, c);
	}
}

/* ---- the pump ---- */

static void pump(struct conn *c);
static int retry_possible(const struct conn *c);

/* bulk data between two plain sockets goes through a pipe */
static int
splicing(const struct conn *c, const struct half *src)
{
	return (src->fl & (H_BULK | H_URG)) == H_BULK && !c->nosplice && !rt_conf.nosplice && !src->codec && !src->dst->codec;
}

static ssize_t
flow_in(struct conn *c, struct half *src, size_t *want, size_t cap)
{
	size_t len;
	ssize_t n;

	if (splicing(c, src)) {
		if (!src->pipe)
			src->pipe = conn_pipe_get(c->w);
		if (src->pipe) {
			/* a short splice proves nothing: pipe slots may run out first */
			*want = 0;
			len = (size_t)rt_conf.pipe_size < cap ? (size_t)rt_conf.pipe_size : cap;
			n = splice(src->fd, NULL, src->pipe->wfd, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				src->pipe->len += (unsigned)n;
				return n;
			}
			if (n == 0)
				return 0;
			/* the pipe is empty here, so EAGAIN means the socket is */
			if (errno != EINVAL && errno != ENOSYS)
				return -1;
			c->nosplice = 1;   /* this pair cannot splice: copy from now on */
			conn_pipe_put(c->w, src->pipe);
			src->pipe = NULL;
		}
	}
	if (!src->buf) {
		src->buf = conn_buf_get(c->w);
		if (!src->buf) {
			errno = ENOMEM;
			return -1;
		}
		src->off = src->len = 0;
	}
	len = cap < CONN_BUF ? cap : CONN_BUF;
	*want = src->codec ? 0 : len;   /* a codec's short reads say nothing about the socket */
	n = src->codec ? src->codec->recv(src, src->buf, len) : recv(src->fd, src->buf, len, 0);
	if (n > 0) {
		src->off = 0;
		src->len = (uint32_t)n;
		if (n == CONN_BUF)
			src->fl |= H_BULK;
	}
	return n;
}

static ssize_t
flow_out(struct conn *c, struct half *src)
{
	struct half *dst = src->dst;
	ssize_t n;
	int more;

	(void)c;
	/* Nagle holds back a small segment only while earlier bytes are unacked:
	 * the first write goes out at once either way, so TCP_NODELAY is set
	 * just before the second (a request/response connection never pays). */
	if (dst->fl & H_LAZYND) {
		if (dst->fl & H_WROTE) {
			(void)net_set_nodelay(dst->fd);
			dst->fl &= ~(unsigned)H_LAZYND;
		} else
			dst->fl |= H_WROTE;
	}
	/* The source ended with these bytes: shut_wr() or close() follows at
	 * once, and holding them back lets the FIN ride in their segment (one
	 * packet, one wakeup of the peer, instead of two). */
	more = (src->fl & H_RDEOF) != 0;
	if (src->len > src->off) {
		size_t want = src->len - src->off;
		n = dst->codec ? dst->codec->send(dst, src->buf + src->off, want) :
		    send(dst->fd, src->buf + src->off, want, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (n > 0) {
			src->off += (uint32_t)n;
			if (src->off >= src->len)
				src->off = src->len = 0;
			if ((size_t)n < want && !dst->codec)   /* socket buffer full: wait for EPOLLOUT */
				dst->fl &= ~(unsigned)H_CANWR;
		}
	} else {
		size_t want = src->pipe->len;
		n = splice(src->pipe->rfd, NULL, dst->fd, NULL, want,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK | (more ? SPLICE_F_MORE : 0));
		if (n > 0)
			src->pipe->len -= (unsigned)n;
	}
	if (n == 0) {
		errno = EAGAIN;
		n = -1;
	}
	return n;
}

/* A quota in stop mode: read no more than the budget left, so the pair
 * stops at the quota, not a pipe's worth past it. */
static size_t
quota_room(const struct conn *c, const struct half *src)
{
	const struct rt_rule *r = c->rule;
	int slot = src == &c->cli ? r->lim.q_slot_up : r->lim.q_slot_down;
	int64_t left;

	if (slot < 0 || r->lim.quota_action != QUOTA_STOP)
		return SIZE_MAX;
	left = __atomic_load_n(&r->st->q_left[slot], __ATOMIC_RELAXED);
	return left > 4096 ? (size_t)left : 4096;
}

static void
throttle_cb(struct ev_loop *l, struct ev_timer *t)
{
	struct conn *c = t->arg;

	(void)l;
	if (c->st == CS_PUMP)
		pump(c);
}

/* flow_in within the rule's and the connection's bandwidth caps: -2 when
 * over a cap (the timer is armed; the half keeps H_CANRD for later). */
static ssize_t
flow_in_shaped(struct conn *c, struct half *src, size_t *want, size_t room)
{
	int up = src == &c->cli;
	struct tbucket *cb = c->cb ? &c->cb[!up] : NULL;
	int64_t now = now_us(), delay = 0;
	/* as much as one read can move (a pipe's worth when splicing): a
	 * smaller take would cost a shaped pair syscalls an unshaped one saves */
	size_t chunk = splicing(c, src) && (size_t)rt_conf.pipe_size > CONN_BUF ? (size_t)rt_conf.pipe_size : CONN_BUF;
	uint64_t cap = lim_budget(&c->rule->st->lim, cb, up, room < chunk ? room : chunk, now, &delay);
	ssize_t n;

	if (!cap) {
		ev_timer_set(c->w->loop, &c->ttm, ev_now(c->w->loop) + (delay + 999) / 1000);
		return -2;
	}
	n = flow_in(c, src, want, (size_t)cap);
	lim_refund(&c->rule->st->lim, cb, up, n > 0 ? cap - (uint64_t)n : cap, now);
	return n;
}

static void
shut_wr(struct half *dst)
{
	if (dst->fl & H_WRSHUT) {
		if ((dst->fl & H_WRFLUSH) && dst->codec->shutdown_wr(dst) != 1)
			dst->fl &= ~(unsigned)H_WRFLUSH;
		return;
	}
	dst->fl |= H_WRSHUT;
	if (dst->codec && dst->codec->shutdown_wr) {   /* a codec may owe a close frame, records */
		if (dst->codec->shutdown_wr(dst) == 1)
			dst->fl |= H_WRFLUSH;
		return;
	}
	/* the other way already ended and was flushed: the pair closes right
	 * now, and close() sends the FIN (its receive queue is drained) */
	if ((dst->fl & H_RDEOF) && !pending(dst) && (dst->dst->fl & H_WRSHUT))
		return;
	shutdown(dst->fd, SHUT_WR);
}

int
conn_count(struct conn *c, int up, uint64_t n)
{
	struct rt_counters *k = ctr(c);
	int pr = c->dgram ? LG_UDP : LG_TCP;

	if (up) {
		CTR_ADD(k->bytes_up, n);
		CTR_ADD(k->in[pr][c->fam6], n);
	} else {
		CTR_ADD(k->bytes_down, n);
		CTR_ADD(k->out[pr][c->fam6], n);
	}
	if (c->dgram)
		CTR_ADD(k->udp_bytes, n);
	else
		CTR_ADD(k->tcp_bytes, n);
	if (rt_quota_spend(c->rule, up, n)) {
		rt_quota_reached(c->w, c->rule);
		if (__atomic_load_n(&c->rule->st->quota_state, __ATOMIC_RELAXED) == LIM_Q_STOPPED)
			return -1;
	}
	return 0;
}

/* Move bytes from src to src->dst: -1 error, 0 waiting, 1 budget spent. */
static int
flow(struct conn *c, struct half *src)
{
	struct half *dst = src->dst;
	ssize_t n;
	size_t want;
	int r;

	for (r = 0; r < FLOW_ROUNDS; r++) {
		if (pending(src)) {
			if (!(dst->fl & H_CANWR))
				return 0;
			n = flow_out(c, src);
			if (n < 0) {
				if (errno == EAGAIN) {
					dst->fl &= ~(unsigned)H_CANWR;
					return 0;
				}
				dst->fl |= H_FAIL;
				return -1;
			}
			dst->fl |= H_XFER;
			/* a datagram pair counts payload in its codec (no framing) */
			if (!c->dgram && conn_count(c, src == &c->cli, (uint64_t)n) < 0) {
				errno = EDQUOT;   /* not a byte more: pump() closes the pair */
				return -1;
			}
			c->last_act = ev_now(c->w->loop);
			continue;
		}
		drop_empty(c, src);
		if (src->fl & H_RDEOF) {
			shut_wr(dst);
			return 0;
		}
		if (!(src->fl & H_CANRD))
			return 0;
		if (c->shaped) {
			n = flow_in_shaped(c, src, &want, quota_room(c, src));
			if (n == -2)
				return 0;   /* over a cap: the throttle timer resumes */
		} else
			n = flow_in(c, src, &want, quota_room(c, src));
		if (n > 0) {
			src->fl |= H_XFER;
			/* a short read emptied the socket: the next byte brings a new edge
			 * (nginx's rule), unless the FIN is already signalled; a clean FIN
			 * came after every byte, so then the short read reached it (TCP
			 * recv copies all that is queued): end of stream, no read of 0 */
			if (want && (size_t)n < want && !(src->fl & H_URG)) {
				if (src->fl & H_FIN)
					src->fl |= H_RDEOF;
				else if (!(src->fl & H_RDHUP))
					src->fl &= ~(unsigned)H_CANRD;
			}
			continue;
		}
		if (n == 0) {
			/* the remote closed before any byte passed, and before the
			 * client ended its side: tried again like a failed connect */
			if (src == &c->srv && !(src->fl & H_WRSHUT) && retry_possible(c)) {
				src->fl |= H_FAIL;
				errno = ENODATA;
				return -1;
			}
			src->fl |= H_RDEOF;
			continue;
		}
		if (errno == EAGAIN || errno == EINTR) {
			if (errno == EAGAIN)
				src->fl &= ~(unsigned)H_CANRD;
			drop_empty(c, src);
			return 0;
		}
		src->fl |= H_FAIL;
		return -1;
	}
	return 1;
}

/* close() of fd then sends a reset (SO_LINGER 0) */
static void
linger0(int fd)
{
	static const struct linger lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Turned away (a limit, no descriptor left): a reset, not a connection
 * that looks served. */
static void
refuse(int fd)
{
	linger0(fd);
	close(fd);
}

/* One half failed (a reset, a broken pipe, a codec's error): the other end
 * learns it as a reset, as it would without the relay in between, not as a
 * FIN that makes a cut stream look complete. SO_LINGER 0 on both (the failed
 * one is dead already): close() then sends RST. Only on this error path. */
static void
abort_pair(struct conn *c, const char *why)
{
	int e = errno;

	if (e == EDQUOT) {   /* the quota's end is the relay's own: a plain close */
		conn_close(c, "quota reached");
		return;
	}
	if (c->cli.fd >= 0)
		linger0(c->cli.fd);
	if (c->srv.fd >= 0)
		linger0(c->srv.fd);
	errno = e;
	conn_close(c, why);
}

/* The pair failed: a remote that failed before any byte passed toward or
 * from it is counted as a failed connect and the next one is tried (the
 * client's held bytes go there); anything else ends the pair. */
static void
fail_pair(struct conn *c, const char *why)
{
	int e = errno;

	if ((c->srv.fl & H_FAIL) && e != EDQUOT && !(c->srv.fl & H_XFER) && !c->dgram && c->backend >= 0) {
		char t[128];

		snprintf(t, sizeof(t), "tcp: %s before any byte", e == ENODATA ? "closed" : strerror(e));
		if (!c->pooled)   /* a pooled connection found dead is no news about the remote */
			conn_remote_failed(c, e, t);
		if (conn_retry(c))
			return;
		errno = e;
	}
	abort_pair(c, why);
}

static void
pump(struct conn *c)
{
	int a, b;

	a = flow(c, &c->cli);
	if (a < 0) {
		fail_pair(c, "client side error");
		return;
	}
	b = flow(c, &c->srv);
	if (b < 0) {
		fail_pair(c, "server side error");
		return;
	}
	if ((c->cli.fl & H_RDEOF) && (c->srv.fl & H_WRSHUT) && (c->srv.fl & H_RDEOF) && (c->cli.fl & H_WRSHUT) &&
	    !((c->cli.fl | c->srv.fl) & H_WRFLUSH)) {
		conn_close(c, NULL);
		return;
	}
	if (a > 0 || b > 0)   /* more to do: let other connections run first */
		ev_io_requeue(c->w->loop, &c->cli.io, CONN_REPLAY);
}

/* ---- connecting ---- */

static void half_cb(struct ev_loop *l, struct ev_io *io, unsigned events);
static void try_connect(struct conn *c);

/* The idle timeout of a pair: udp_timeout for a tunnel's datagram stream
 * (the store puts STORE_UDP_TIMEOUT_MS where neither the rule nor [global]
 * sets it), else idle_timeout (<= 0: none). */
static long
idle_ms(const struct conn *c)
{
	if (c->dgram)
		return c->rule->udp_ms;
	return c->rule->idle_ms;
}

/* The pump's timer: the idle deadline, or the moment to set keepalive. */
static void
arm_pump_timer(struct conn *c)
{
	struct ev_loop *l = c->w->loop;
	int64_t t = -1;

	if (idle_ms(c) > 0)
		t = c->last_act + idle_ms(c);
	if (c->ka_pending && (t < 0 || c->ka_at < t))
		t = c->ka_at;
	if (t >= 0)
		ev_timer_set(l, &c->tm, t);
	else
		ev_timer_del(l, &c->tm);
}

static void
arm_idle(struct conn *c)
{
	struct ev_loop *l = c->w->loop;

	c->last_act = ev_now(l);
	if (c->ka_pending)
		c->ka_at = c->last_act + (c->rule->so.ka_idle_ms < KA_DELAY_MS ? c->rule->so.ka_idle_ms : KA_DELAY_MS);
	arm_pump_timer(c);
}

static int
popcount256(const uint64_t ex[4])
{
	return __builtin_popcountll(ex[0]) + __builtin_popcountll(ex[1]) +
	    __builtin_popcountll(ex[2]) + __builtin_popcountll(ex[3]);
}

/* The remote being tried (c->backend) failed: a connect, its name, a
 * tunnel's handshake. Counted with the time and err, why ("dns: ...",
 * "tls: ...", NULL: "tcp: strerror(err)") kept as its last error, the
 * balancer told (rt_remote_failed); logged with detail (NULL: why, else
 * the errno's text). */
static void
remote_failed(struct conn *c, int err, const char *why, const char *detail)
{
	struct rt_rule *r = c->rule;
	char a[300];

	rt_remote_failed(r, c->w->id, c->backend, err, why);
	log_debug("rule %s: %s failed: %s", r->r->name, hostport_format(&r->rem[c->backend].hp, a, sizeof(a)),
	    detail ? detail : why ? why : strerror(err));
}

/* The connection no longer counts among the remote's active ones. */
static void
remote_release(struct conn *c)
{
	if (c->counted_remote)
		CTR_SUB(c->rule->rem[c->backend].w[c->w->id].active, 1);
	c->counted_remote = 0;
}

/* The remote is up: a TCP connect, or a tunnel once its handshake is done. */
static void
remote_up(struct conn *c)
{
	struct rt_rule *r = c->rule;
	struct rt_rcounters *rc = &r->rem[c->backend].w[c->w->id];

	CTR_ADD(rc->connects, 1);
	CTR_ADD(rc->active, 1);
	c->counted_remote = 1;
	rt_lb_report(r, c->w->id, c->backend, 1);
}

void
conn_remote_up(struct conn *c)
{
	if (!c->hs_pending)
		return;
	c->hs_pending = 0;
	remote_up(c);
}

void
conn_remote_failed(struct conn *c, int err, const char *why)
{
	if (c->rem_failed || c->backend < 0)
		return;
	c->rem_failed = 1;
	remote_failed(c, err, why, NULL);
}

/* Another remote may be tried: the pair is fresh (no byte passed toward
 * or from the remote), a remote not tried yet is left (at most as many
 * tries as remotes) and the rule's connect deadline has not passed. */
static int
retry_possible(const struct conn *c)
{
	const struct rt_rule *r = c->rule;

	/* a pooled connection that turns out dead: the same remote, connected afresh */
	return c->st == CS_PUMP && !c->dgram && c->backend >= 0 && !(c->srv.fl & H_XFER) &&
	    (c->pooled || (popcount256(c->exclude) < (int)r->nrem && c->retries + 1 < (int)r->nrem)) &&
	    ev_now(c->w->loop) < c->deadline;
}

int
conn_retry(struct conn *c)
{
	struct rt_rule *r = c->rule;
	struct ev_loop *l = c->w->loop;
	struct half *h = &c->srv;
	char a[300];

	if (!retry_possible(c))
		return 0;
	log_debug("rule %s: %s failed before any byte passed: trying the next remote", r->r->name,
	    hostport_format(&r->rem[c->backend].hp, a, sizeof(a)));
	if (c->pooled) {   /* not the remote's failure: try it again, connected afresh */
		c->exclude[c->backend / 64] &= ~(1ull << (c->backend % 64));
		c->pooled = 0;
	} else
		c->retries++;
	remote_release(c);
	half_release(c, h, 1);
	h->codec_st = NULL;
	if (r->hooks && r->hooks->reset)
		r->hooks->reset(c);
	h->off = h->len = 0;
	h->fl = 0;
	c->hs_pending = c->rem_failed = 0;
	c->ka_pending = 0;
	c->backend = -1;
	c->addr_i = 0;
	/* the next connect runs from the timer, after this batch of events: a
	 * late event of the closed socket cannot reach the new one */
	c->st = CS_CONNECTING;
	ev_timer_set(l, &c->tm, ev_now(l));
	return 1;
}

static void
connected(struct conn *c)
{
	struct rt_rule *r = c->rule;

	c->st = CS_PUMP;
	arm_idle(c);
	if (r->hooks && r->hooks->connected && r->hooks->connected(c) < 0) {
		conn_close(c, "connected hook refused");
		return;
	}
	if (r->hooks && r->hooks->attach && r->hooks->attach(c) < 0) {
		conn_close(c, "transport setup failed");
		return;
	}
	if (!c->hs_pending)   /* a tunnel counts its connect when the handshake is done */
		remote_up(c);
	pump(c);
}

static void
connect_failed(struct conn *c, int err)
{
	remote_failed(c, err, NULL, NULL);
	ev_io_del(c->w->loop, &c->srv.io);
	if (c->srv.fd >= 0)
		close(c->srv.fd);
	c->srv.fd = -1;
	c->srv.fl = 0;
	c->addr_i++;
	try_connect(c);
}

/* A connection to this machine is noted (loopguard.h) before its connect:
 * its accepting side, if it is this relay, learns how deep it is. */
static void
loop_note(struct conn *c, const struct sockaddr_storage *dst)
{
	if (c->loop_port)
		loopguard_forget(c->loop_port);
	c->loop_port = net_addr_local(&c->rule->src->local, dst) ? loopguard_note(dst, c->hops) : 0;
}

void
conn_out_spec(const struct rt_rule *r, const struct sockaddr_storage *dst, int dgram, struct net_out_spec *o)
{
	memset(o, 0, sizeof(*o));
	o->dst = dst;
	o->type = dgram ? SOCK_DGRAM : SOCK_STREAM;
	o->through = r->r->through.host;
	o->through_port = r->r->through.port;
	o->iface = r->r->interface;
	o->mptcp = !dgram && (r->r->mptcp & MPTCP_SEND) != 0;
	o->so = &r->so;
	o->cc = rt_remote_cc(r, dst);
	/* plain rules: options when they matter (flow_out, conn_timer);
	 * transports write through their codecs, so set them now */
	o->lazy_opts = !r->hooks && !dgram;
	/* a tunnel's client writes first (ClientHello, WebSocket request) */
	o->fastopen = r->fastopen_out && !dgram;
}

int
conn_connect(const struct net_out_spec *o, char *err)
{
	int refused, fd = net_connect(o, &refused, err);

	if (refused && !__atomic_exchange_n(&mptcp_refused_logged, 1, __ATOMIC_RELAXED))
		log_warn("the kernel refuses MPTCP sockets (net.mptcp.enabled=0 or no MPTCP support): using TCP");
	return fd;
}

/* A pooled tunnel connection to the remote just picked (tunnel_pool.h):
 * 1 taken (the pair goes on as connected), 0 none, the pair connects. */
static int
take_pooled(struct conn *c)
{
	struct rt_worker *w = c->w;
	int fd;

	if (!c->rule->tpool_max || c->nopool || c->dgram || c->hops)
		return 0;
	c->nopool = 1;   /* one look per client: a retry connects */
	fd = tpool_take(c);
	if (fd < 0)
		return 0;
	c->srv.fd = fd;
	c->srv.fl = 0;
	if (ev_io_add(w->loop, &c->srv.io, fd, HALF_EVENTS, half_cb, &c->srv) < 0) {
		conn_close(c, "epoll");
		return 1;
	}
	c->pooled = 1;
	c->attempts++;
	connected(c);
	return 1;
}

static void
try_connect(struct conn *c)
{
	struct rt_rule *r = c->rule;
	struct rt_worker *w = c->w;
	struct ev_loop *l = w->loop;
	int guard, rc;
	char err[ERRLEN];

	for (guard = 0; guard < 4 * STORE_MAX_REMOTES; guard++) {
		struct sockaddr_storage dst;
		struct net_out_spec o;
		int64_t now = ev_now(l), left, slice;
		int fd, cands;

		if (now >= c->deadline)
			break;
		if (c->backend < 0) {
			int idx = rt_lb_pick(r, w->id, &c->peer, c->exclude);
			if (idx < 0 || (size_t)idx >= r->nrem)
				break;
			c->exclude[idx / 64] |= 1ull << (idx % 64);
			c->backend = idx;
			c->addr_i = 0;
			if (take_pooled(c))
				return;
		}
		rc = rt_remote_addr(w, r, c->backend, c->port_off, c->addr_i, &dst);
		if (rc == 1) {   /* the resolver pokes the worker: conn_worker_dns() */
			c->st = CS_RESOLVE;
			ev_timer_set(l, &c->tm, c->deadline);
			return;
		}
		if (rc < 0) {
			if (c->addr_i == 0)
				remote_failed(c, EHOSTUNREACH, "dns: the name has no address", NULL);
			c->backend = -1;
			continue;
		}
		conn_out_spec(r, &dst, c->dgram, &o);
		loop_note(c, &dst);
		fd = conn_connect(&o, err);
		if (fd < 0) {
			int e = errno;
			if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
				CTR_ADD(ctr(c)->refused, 1);
				if (now_ms() - w->last_emfile_log >= 10000) {   /* same clock as ev_now */
					w->last_emfile_log = now_ms();
					log_warn("rule %s: out of descriptors (%s) for the connection to the remote: "
					    "refusing clients (raise LimitNOFILE / ulimit -n)", r->r->name, strerror(e));
				}
				linger0(c->cli.fd);   /* refused: a reset, as at accept */
				conn_close(c, "out of descriptors");
				return;
			}
			if (e == EADDRNOTAVAIL && o.through_port && !c->dgram) {
				/* the through port already carries a connection to
				 * this address: the relay's own limit, not the
				 * backend's fault; the next address may do */
				char ps[80];

				if (now_ms() - w->last_through_log >= 10000) {
					w->last_through_log = now_ms();
					log_warn("rule %s: through %s:%u already carries a connection to %s: a through port "
					    "allows one TCP connection per remote address at a time (give through without a "
					    "port)", r->r->name, r->r->through.host, (unsigned)r->r->through.port,
					    net_addr_str(&dst, ps, sizeof(ps)));
				}
				c->addr_i++;
				continue;
			}
			remote_failed(c, e, NULL, err);
			c->addr_i++;
			continue;
		}
		c->srv.fd = fd;
		c->srv.fl = o.lazy_opts && r->so.nodelay ? H_LAZYND : 0;
		c->ka_pending = o.lazy_opts && r->so.ka_idle_ms > 0;
		if (ev_io_add(l, &c->srv.io, fd, HALF_EVENTS, half_cb, &c->srv) < 0) {
			conn_close(c, "epoll");
			return;
		}
		c->st = CS_CONNECTING;
		c->attempts++;
		/* each attempt gets a share of what is left, at least a second */
		left = c->deadline - now;
		cands = (int)r->nrem - popcount256(c->exclude) + 1;
		slice = cands > 1 ? left / cands : left;
		if (slice < 1000)
			slice = left < 1000 ? left : 1000;
		ev_timer_set(l, &c->tm, now + slice);
		return;
	}
	CTR_ADD(ctr(c)->connect_fail, 1);
	conn_close(c, "no backend could be reached");
}

static void
half_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct half *h = io->arg;
	struct conn *c = h->c;

	(void)l;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		h->fl |= H_RDHUP;   /* read to the end: short reads prove nothing now */
	if ((events & EPOLLRDHUP) && !(events & EPOLLERR))
		h->fl |= H_FIN;
	/* TCP urgent data: reads stop at its mark, so a short read no longer
	 * proves the socket empty, and splice stops there for good (EAGAIN, or
	 * 0 after a FIN): recv, which steps over the mark, and reads to EAGAIN */
	if (events & EPOLLPRI)
		h->fl |= H_URG | H_CANRD;
	if (h->codec && h->codec->ready && c->st == CS_PUMP)
		h->codec->ready(h, events);
	else {
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			h->fl |= H_CANRD;
		if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			h->fl |= H_CANWR;
	}
	switch (c->st) {
	case CS_PUMP:
		pump(c);
		break;
	case CS_CONNECTING:
		if (h == &c->srv && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
			/* EPOLLOUT alone is a completed connect: no SO_ERROR round trip */
			int e = (events & (EPOLLERR | EPOLLHUP)) ? net_connect_result(h->fd) : 0;
			if (e == 0)
				connected(c);
			else if (e != EINPROGRESS && e != EALREADY)
				connect_failed(c, e);
		} else if (h == &c->cli && (events & (EPOLLHUP | EPOLLERR)))
			conn_close(c, "client left while connecting");
		break;
	case CS_RESOLVE:
		if (h == &c->cli && (events & (EPOLLHUP | EPOLLERR)))
			conn_close(c, "client left while resolving");
		break;
	case CS_PREREAD:
		if (h == &c->cli) {
			int r = c->rule->hooks->preread(c);
			if (r < 0)
				conn_close(c, "client header refused");
			else if (r == 0 && (events & (EPOLLRDHUP | EPOLLHUP)))   /* the rest never comes */
				conn_close(c, "client closed before its header or handshake was complete");
			else if (r > 0) {
				c->deadline = ev_now(c->w->loop) + c->rule->connect_ms;
				try_connect(c);
			}
		}
		break;
	case CS_CLOSED:
		break;
	}
}

static void
conn_timer(struct ev_loop *l, struct ev_timer *t)
{
	struct conn *c = t->arg;

	switch (c->st) {
	case CS_PREREAD:
		conn_close(c, c->rule->hooks && c->rule->hooks->expired ? c->rule->hooks->expired(c) :
		    "no PROXY header in time");
		break;
	case CS_RESOLVE:
		CTR_ADD(ctr(c)->connect_fail, 1);
		conn_close(c, "name resolution timed out");
		break;
	case CS_CONNECTING:
		if (c->srv.fd < 0)   /* conn_retry: the next remote */
			try_connect(c);
		else
			connect_failed(c, ETIMEDOUT);
		break;
	case CS_PUMP:
		/* keepalive probes count idle time from the last segment received,
		 * so setting it a moment late changes nothing a peer could see */
		if (c->ka_pending && ev_now(l) >= c->ka_at) {
			c->ka_pending = 0;
			(void)net_set_keepalive(c->srv.fd, &c->rule->so);
		}
		if (idle_ms(c) > 0 && ev_now(l) - c->last_act >= idle_ms(c)) {
			conn_close(c, c->dgram ? "udp timeout" : "idle timeout");
			break;
		}
		arm_pump_timer(c);
		break;
	case CS_CLOSED:
		break;
	}
}

void
conn_worker_dns(struct rt_worker *w)
{
	struct conn *c, *next;

	for (c = w->conns; c; c = next) {
		next = c->next;
		if (c->st == CS_RESOLVE)
			try_connect(c);
	}
}

/* ---- accepting ---- */

static void
start(struct rt_lsn *ls, int fd, const struct sockaddr_storage *peer)
{
	struct rt_worker *w = ls->w;
	struct rt_rule *r = ls->rule;
	struct sockaddr_storage p = *peer;
	struct conn *c;
	unsigned hops = 0;

	net_addr_unmap(&p);
	if (net_addr_local(&r->src->local, &p) && (hops = loopguard_hops(ls->port)) > LOOPGUARD_MAX_HOPS) {
		refuse(fd);
		CTR_ADD(r->st->w[w->id].limit_hits[LIM_LOOP], 1);
		if (loopguard_log_ok(ev_now(w->loop)))
			log_warn("rule %s forwards to itself: a connection from this relay %u hops deep refused (its "
			    "remote, or a rule it leads to, is one of this relay's listeners; change that remote)",
			    r->r->name, hops);
		return;
	}
	if (r->lim.admit) {
		int why = lim_admit(&r->lim, &r->st->lim, __atomic_load_n(&r->st->quota_state, __ATOMIC_RELAXED),
		    (const struct sockaddr *)&p, ev_now(w->loop));
		if (why >= 0) {
			refuse(fd);
			CTR_ADD(r->st->w[w->id].limit_hits[why], 1);
			return;
		}
	}
	c = conn_get(w);
	if (!c) {
		if (r->lim.admit)
			lim_leave(&r->lim, &r->st->lim, (const struct sockaddr *)&p);
		close(fd);
		CTR_ADD(r->st->w[w->id].refused, 1);
		return;
	}
	c->admitted = r->lim.admit;
	c->hops = hops;
	c->fam6 = lim_family((const struct sockaddr *)&p) == LG_V6;
	if (r->lim.shape) {
		c->shaped = 1;
		c->cb = lim_conn_buckets(&r->lim, now_us());
	}
	c->w = w;
	c->rule = r;
	rt_rule_ref(r);
	c->port_off = ls->port_off;
	c->peer = p;
	c->backend = -1;
	c->cli.fd = fd;
	c->srv.fd = -1;
	c->cli.io.fd = c->srv.io.fd = -1;
	c->cli.c = c->srv.c = c;
	c->cli.dst = &c->srv;
	c->srv.dst = &c->cli;
	ev_timer_init(&c->tm, conn_timer, c);
	ev_timer_init(&c->ttm, throttle_cb, c);
	link_live(c);
	CTR_ADD(ctr(c)->tcp_active, 1);
	CTR_ADD(ctr(c)->tcp_total, 1);
	if (ev_io_add(w->loop, &c->cli.io, fd, HALF_EVENTS, half_cb, &c->cli) < 0) {
		conn_close(c, "epoll");
		return;
	}
	if (r->hooks && r->hooks->preread) {
		c->st = CS_PREREAD;
		c->deadline = ev_now(w->loop) + (r->preread_ms > 0 ? r->preread_ms : r->proxy_ms);
		ev_timer_set(w->loop, &c->tm, c->deadline);
		return;
	}
	c->deadline = ev_now(w->loop) + r->connect_ms;
	try_connect(c);
}

static void
out_of_fds(struct rt_lsn *ls, int err)
{
	struct rt_worker *w = ls->w;
	struct ev_loop *l = w->loop;
	int fd;

	if (w->reserve_fd >= 0) {   /* refuse one client rather than leave it queued */
		close(w->reserve_fd);
		w->reserve_fd = -1;
		fd = accept4(ls->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			refuse(fd);
			CTR_ADD(ls->rule->st->w[w->id].refused, 1);
		}
		w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (ev_now(l) - w->last_emfile_log >= 10000) {
		w->last_emfile_log = ev_now(l);
		log_warn("rule %s: out of descriptors (%s): refusing clients, accepting again in 1 s "
		    "(raise LimitNOFILE / ulimit -n)", ls->rule->r->name, strerror(err));
	}
	ev_io_del(l, &ls->io);
	ls->paused = 1;
	ev_timer_set(l, &ls->rearm, ev_now(l) + 1000);
}

void
conn_listener_rearm(struct ev_loop *l, struct ev_timer *t)
{
	struct rt_lsn *ls = t->arg;

	if (!ls->paused || ls->fd < 0)
		return;
	if (ev_io_add(l, &ls->io, ls->fd, EPOLLIN, conn_listener_cb, ls) < 0) {
		ev_timer_set(l, t, ev_now(l) + 1000);   /* try again: never stop listening for good */
		return;
	}
	ls->paused = 0;
}

void
conn_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct rt_lsn *ls = io->arg;
	int i;

	(void)l;
	(void)events;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(ls->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				out_of_fds(ls, errno);
			return;
		}
		start(ls, fd, &ss);
		if (ls->paused)
			return;
	}
}

void
conn_worker_kick(struct rt_worker *w)
{
	struct conn *c, *next;

	for (c = w->conns; c; c = next) {
		next = c->next;
		if (rt_quota_stopped(c->rule))
			conn_close(c, "quota reached");
	}
}

void
conn_worker_close_all(struct rt_worker *w)
{
	while (w->conns)
		conn_close(w->conns, NULL);
}

void
conn_worker_free(struct rt_worker *w)
{
	conn_worker_close_all(w);
	conn_after_batch(w->loop, w);
	conn_pools_free(w);
}
