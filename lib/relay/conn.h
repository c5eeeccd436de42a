#ifndef XWPF_CONN_H
#define XWPF_CONN_H

/*
 * One relayed TCP connection: two symmetric halves (client, server), each
 * with its fd, its state bits, the bytes read from it and not yet written
 * to the other half (a pipe in splice mode, a buffer in copy mode), and a
 * dst pointer to the other half. The pump is written once per half.
 *
 * Both fds are registered edge-triggered for in and out at once; readiness
 * is remembered in H_CANRD / H_CANWR and cleared on EAGAIN, so the steady
 * state costs no epoll_ctl at all. Backpressure: a half is not read while
 * the bytes it produced cannot be written (the kernel window then closes).
 *
 * Splice is used once a half moves bulk data (a read filled the 32 KiB copy
 * buffer, like HAProxy's splice-auto): small request/response traffic stays
 * on recv/send, which costs fewer syscalls per message (a short recv proves
 * the socket empty; a short splice does not) and less latency.
 * Splice (HAProxy's rules): socket -> pipe -> socket, SPLICE_F_MOVE |
 * SPLICE_F_NONBLOCK; EAGAIN reading means "socket empty" only when the
 * pipe is empty, else "flush first"; EINVAL/ENOSYS falls back to copy only
 * while the pipe is empty; pipes come from a capped per-worker pool and go
 * back as soon as they are empty, so an idle connection holds no pipe and
 * no buffer. Copy mode is used when either half has a codec, when bytes
 * sit in user space (a PROXY header to send first), when the pool is at
 * its cap, or everywhere with XWPF_NO_SPLICE=1.
 *
 * Half-close: EOF read on one half, once its bytes are written, becomes
 * shutdown(SHUT_WR) on the other; the pair closes when both directions have
 * ended (or at the first error). Every exit goes through one idempotent
 * close, which updates the rule's counters; memory is freed after the
 * event batch, never inside a callback.
 */
#include <stdint.h>
#include <sys/types.h>

#include "rules.h"

enum {
	H_RDEOF = 1,     /* read 0: no more bytes from this half */
	H_WRSHUT = 2,    /* we shut down writing toward this half */
	H_CANRD = 4,     /* edge seen, EAGAIN not yet met */
	H_CANWR = 8,
	H_WRFLUSH = 16,  /* a codec still flushing before its end of stream */
	H_RDHUP = 32,    /* the peer's FIN (or an error) was signalled: read to the end */
	H_BULK = 64,     /* a read filled the copy buffer: splice from now on */
	H_LAZYND = 128,  /* TCP_NODELAY still to set, before the second write */
	H_WROTE = 256,   /* a write toward this half was made */
	H_FIN = 512,     /* EPOLLRDHUP without an error: every byte before the FIN is queued */
	H_URG = 1024,    /* urgent data came (EPOLLPRI): no splice, no short-read shortcut */
	H_XFER = 2048,   /* a byte was read from this half or written toward it */
	H_FAIL = 4096,   /* the error that ends the pair is this half's (or its codec's) */
};

struct half;
struct tun_conn;

/* A transport codec (TLS, WebSocket) between the socket and the relay's
 * buffer. recv/send behave like read/write (-1 + errno EAGAIN when the
 * codec needs the socket); a half with a codec forces copy mode. */
struct conn_codec {
	const char *name;
	ssize_t (*recv)(struct half *h, void *buf, size_t len);
	ssize_t (*send)(struct half *h, const void *buf, size_t len);
	/* End of stream toward the peer: 0 done, 1 still flushing (called
	 * again on each pump; the pair does not close before it is done). */
	int (*shutdown_wr)(struct half *h);
	void (*free)(struct half *h);
	/* The fd signalled events: push out what the codec holds and set
	 * H_CANRD / H_CANWR as it sees fit (NULL: the plain socket rules). */
	void (*ready)(struct half *h, unsigned events);
};

struct conn_pipe {
	int rfd, wfd;
	unsigned len;               /* bytes inside */
	struct conn_pipe *next;     /* pool link */
};

#define CONN_BUF (32 * 1024)    /* a copy buffer */

struct half {
	struct ev_io io;
	int fd;
	unsigned fl;
	struct conn *c;
	struct half *dst;           /* where bytes read here go */
	struct conn_pipe *pipe;     /* splice mode: bytes read here, not yet written */
	char *buf;                  /* copy mode: the same */
	uint32_t off, len;
	const struct conn_codec *codec;
	void *codec_st;
};

/* Per-rule seams for what comes after the plain relay (PROXY protocol,
 * transports). Each may be NULL. */
struct tun_end;

struct conn_hooks {
	/* Before a backend is chosen: read from c->cli.fd (header within
	 * c->rule->proxy_ms, absolute). 1 done, 0 need more, -1 refuse.
	 * Bytes read past the header go to conn_prepend(c, ...) of cli. */
	int (*preread)(struct conn *c);
	/* Connected, before any payload: e.g. conn_prepend(c, &c->cli, hdr). */
	int (*connected)(struct conn *c);
	/* Set h->codec on either half (forces copy mode). */
	int (*attach)(struct conn *c);
	/* The pre-read deadline passed: the reason to log (NULL: the default). */
	const char *(*expired)(struct conn *c);
	/* conn_close: free c->tun (after the halves' codecs). */
	void (*free)(struct conn *c);
	/* The remote failed before the pair was up and the connection tries
	 * the next one: drop what belongs to the remote half (a tunnel end),
	 * and what connected() added to the client's held bytes. */
	void (*reset)(struct conn *c);
	/* The remote half is a pooled tunnel connection (tunnel_pool.h) whose
	 * client end e is through its handshakes: c owns e from now on (0),
	 * or -1 out of memory (e stays the caller's). */
	int (*adopt)(struct conn *c, struct tun_end *e);
};

enum conn_state { CS_PREREAD, CS_RESOLVE, CS_CONNECTING, CS_PUMP, CS_CLOSED };

struct conn {
	struct half cli, srv;
	enum conn_state st;
	struct rt_worker *w;
	struct rt_rule *rule;       /* a reference */
	uint16_t port_off;
	struct sockaddr_storage peer;
	int backend, addr_i, attempts;
	int counted_remote;         /* rem[backend].active incremented */
	uint64_t exclude[4];
	int64_t deadline;           /* overall connect (or pre-read) deadline */
	int64_t last_act;
	struct ev_timer tm;
	unsigned nosplice : 1, zombie : 1;
	unsigned ka_pending : 1;    /* keepalive still to set on srv, at ka_at */
	int64_t ka_at;
	unsigned dgram : 1;         /* the remote is a UDP socket (datagrams framed in a tunnel) */
	unsigned fam6 : 1;          /* the client is IPv6 (the ledger's split) */
	unsigned admitted : 1;      /* counted by lim_admit: lim_leave at close */
	unsigned shaped : 1;        /* bandwidth caps apply: ask lim_budget before reading */
	unsigned hs_pending : 1;    /* a tunnel handshake toward the remote runs: conn_remote_up() counts it */
	unsigned rem_failed : 1;    /* this attempt's failure is recorded (conn_remote_failed) */
	unsigned pooled : 1;        /* the remote half came from the tunnel pool (tunnel_pool.h) */
	unsigned nopool : 1;        /* the pool was looked at once: connect */
	int retries;                /* remotes tried again after a failure once connected */
	struct tbucket *cb;         /* per-connection caps [0] up, [1] down (conn_rate), or NULL */
	struct ev_timer ttm;        /* shaped: wake when the buckets have refilled */
	struct tun_conn *tun;       /* hooks' state (tunnel_conn.c) */
	unsigned hops;              /* connections of the relay to itself behind this one (loopguard.h) */
	uint16_t loop_port;         /* the outgoing connection noted in loopguard, 0 none */
	struct conn *next, *prev;   /* worker's live list or zombie/dns list */
};

/* Queue bytes to be written to the peer of h (h's dst) before anything read
 * from h: a PROXY header (h = &c->cli), or bytes read past a header. */
int conn_prepend(struct conn *c, struct half *h, const void *data, size_t len);
/* The remote half is up (a tunnel's handshake completed): the connect is
 * counted and the balancer told. No-op unless c->hs_pending. */
void conn_remote_up(struct conn *c);
/* The remote failed before the pair was up (a tunnel handshake): recorded
 * once per attempt with why ("tls: ...") as the remote's last error. */
void conn_remote_failed(struct conn *c, int err, const char *why);
/* Try the next remote after a failure before any byte passed toward or
 * from the remote: 1 the connection goes on (or was closed: the caller
 * must not touch c again), 0 not possible (bytes passed, no remote left to
 * try, the connect deadline passed): the caller ends the pair. */
int conn_retry(struct conn *c);
/* The socket options of a connection of r's to dst (dgram: a UDP one). */
struct net_out_spec;
void conn_out_spec(const struct rt_rule *r, const struct sockaddr_storage *dst, int dgram, struct net_out_spec *o);
/* net_connect, logging once that the kernel refuses MPTCP. */
int conn_connect(const struct net_out_spec *o, char *err);
/* Tear the pair down (idempotent). */
void conn_close(struct conn *c, const char *why);
/* Count n bytes delivered one way (up: client -> remote) for the rule: the
 * counters, the ledger's split and the quota's budget. -1 when the quota
 * just stopped the rule (the caller ends the pair). The pump does it for
 * byte streams; a datagram codec does it per datagram (payload only). */
int conn_count(struct conn *c, int up, uint64_t n);
/* Close this worker's connections of rules whose quota stopped them. */
void conn_worker_kick(struct rt_worker *w);

/* The worker's pools (conn_pool.c). A pipe (NULL: none left, the pair
 * copies), a CONN_BUF buffer, a zeroed struct conn: NULL out of memory. A
 * pipe that still holds bytes is closed, never pooled. */
struct conn_pipe *conn_pipe_get(struct rt_worker *w);
void conn_pipe_put(struct rt_worker *w, struct conn_pipe *p);
char *conn_buf_get(struct rt_worker *w);
void conn_buf_put(struct rt_worker *w, char *p);
struct conn *conn_get(struct rt_worker *w);
void conn_put(struct rt_worker *w, struct conn *c);
void conn_pools_free(struct rt_worker *w);

/* The worker's side of TCP listeners and connections (worker.c calls them). */
void conn_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events);
void conn_listener_rearm(struct ev_loop *l, struct ev_timer *t);
/* Connections that waited for the resolver try again. */
void conn_worker_dns(struct rt_worker *w);
void conn_worker_close_all(struct rt_worker *w);
/* The worker's pools (pipes, buffers, freed connections). */
void conn_worker_free(struct rt_worker *w);
/* Closed connections are freed after the event batch. */
void conn_after_batch(struct ev_loop *l, void *arg);

#endif
