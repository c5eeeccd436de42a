#ifndef XWPF_RELAY_RULES_H
#define XWPF_RELAY_RULES_H

/*
 * The relay's rules as the workers see them, and the state they live in:
 * a rule's remotes, counters and listener groups, a listener, a worker.
 * Shared by conn.c (TCP pairs), udp.c (UDP associations), the tunnels'
 * seams, worker.c (the worker threads) and runtime.c (the main thread,
 * which builds rules and applies them: runtime.h).
 *
 * Threads: the main thread owns the rule set and builds every listener
 * (so a reload that cannot bind is refused as a whole), then hands
 * listeners to workers through a message queue and an eventfd (worker.h).
 * A worker owns its epoll loop, its listeners once added, its connections
 * and UDP associations. Rules (struct rt_rule) are immutable and
 * refcounted: each connection holds a reference, so a removed or changed
 * rule lives until its last connection closes. Counters are per rule per
 * worker, written by that worker only (CTR_ADD) and summed by the main
 * thread (CTR_GET).
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"
#include "rulelimits.h"
#include "net.h"
#include "store.h"

#define CTR_ADD(x, n) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)
#define CTR_SUB(x, n) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) - (n), __ATOMIC_RELAXED)
#define CTR_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* One per rule per worker. */
struct rt_counters {
	uint64_t bytes_up;       /* client -> remote, delivered (TCP + UDP) */
	uint64_t bytes_down;     /* remote -> client, delivered */
	uint64_t tcp_bytes, udp_bytes;
	/* the same bytes split by protocol and the client side's family:
	 * [LG_TCP/LG_UDP][LG_V4/LG_V6] (ledger.h); the ledger is fed from these */
	uint64_t in[2][2], out[2][2];
	uint64_t limit_hits[LIM_COUNT];
	uint64_t tcp_active, tcp_total;
	uint64_t connect_fail;   /* connections that found no backend */
	uint64_t refused;        /* accepted and closed at once: out of descriptors or memory */
	uint64_t udp_active, udp_total, udp_dropped;
	/* TLS handshakes through, either side of a tunnel: full, resumed (a session kept) */
	uint64_t tls_full, tls_resumed;
	uint64_t udp_carried;    /* tunnel streams that became UDP associations (in both totals) */
	/* the warm tunnel pool (tunnel_pool.h): clients that took a pooled
	 * connection, clients that connected (no pooled one ready), pooled
	 * connections waiting now, opened, closed unused at their lifetime
	 * (or no longer wanted), failed (handshake, closed while waiting) */
	uint64_t tpool_hits, tpool_misses, tpool_idle, tpool_opened, tpool_expired, tpool_failed;
} __attribute__((aligned(64)));

/* The text of a remote's last failure: "stage: reason" with the stages
 * "tcp:", "tls:", "ws:", "dns:", or "handshake timeout ..." */
#define RT_ERR_MAX 320

struct rt_rcounters {        /* one per remote per worker */
	uint64_t connects, fails, active;
	int64_t last_fail_ms;    /* wall clock */
	int last_errno;
	/* written by this worker on a failure only (rt_remote_failed), read by
	 * the main thread (rt_remote_last_error): a sequence lock, odd while
	 * the text is being written */
	unsigned err_seq;
	char last_err[RT_ERR_MAX];
} __attribute__((aligned(64)));

/* Counters that survive reloads: keyed by rule name. */
struct rt_stats {
	int refs;
	char name[STORE_NAME_MAX + 1];
	struct rt_counters *w;   /* [nworkers] */
	/* billing cycle, from the ledger (main thread writes, anyone reads) */
	int quota_state;         /* enum lim_quota */
	uint64_t cycle_used;     /* bytes billed in this cycle (billing mode applied) */
	uint64_t quota;          /* the rule's quota, 0 = none */
	struct lim_state lim;    /* limits' shared counts and buckets (rulelimits.h) */
	/* the quota's budget left in this cycle, spent by the workers as they
	 * deliver (rt_quota_spend), reset from the ledger at every flush */
	int64_t q_left[2];
	int announced;           /* the quota state last logged (main thread) */
	/* what the ledger has been given already (main thread only) */
	uint64_t led_in[2][2], led_out[2][2], led_conns;
	uint64_t ev_hits[LIM_COUNT];   /* limit hits already reported by an event */
	int64_t ev_hit_ms[LIM_COUNT];
	int64_t ev_cert;         /* epoch seconds of the last cert_expiry event */
	int64_t ev_expire;       /* the expire an expire_soon event was fired for */
};

struct rt_remote {
	struct hostport hp;      /* as in the store */
	int numeric;             /* literal address: ss is it */
	struct sockaddr_storage ss;
	struct rt_rcounters *w;  /* [nworkers] */
};

struct rt_lsn;
struct rt_worker;
struct rt_msg;
struct conn;
struct conn_hooks;
struct conn_pipe;
struct tun_conn;
struct conn_buf;
struct lb;
struct res;
struct tun_rule;
struct tun_end;
struct tpool;
struct tp_ent;
struct tu_tab;
struct udp_htab;
struct udp_w;

/* Sockets for one (protocol, address, port): one per worker (SO_REUSEPORT). */
struct rt_lgroup {
	char *key;
	int proto;               /* PROTO_TCP or PROTO_UDP */
	uint16_t port, port_off; /* listen port, offset in the listen range */
	struct rt_lsn **lsn;     /* [nworkers] */
	int claimed;             /* reload bookkeeping */
	int only;                /* the one worker serving it, or -1 for all */
	/* could not bind (the port is taken, the address not there yet): the
	 * rule's other listeners serve, this one is tried again every
	 * RT_BIND_RETRY_MS by rt_retry_binds() */
	int pending;
	char *why;               /* "cannot listen on ...: ..." */
	int64_t next_try;        /* now_ms() clock */
};

#define RT_BIND_RETRY_MS 5000

/* A parsed store shared by the rules built from it (they point into it). */
struct rt_store {
	int refs;
	struct store st;
	struct net_local local;   /* the machine's addresses (rt_remote_cc, loopguard.h) */
	char *gfp;                /* store_global_fingerprint: a rule is kept only if it is equal too */
};

struct rt_rule {
	int refs;
	const struct store_rule *r;   /* in src: rules never copy the store's text */
	struct rt_store *src;
	char *fp;                /* fingerprint of everything that matters */
	long connect_ms, idle_ms, udp_ms, proxy_ms;
	struct net_sockopts so;
	char cc_listen[16], cc_remote[16];   /* TCP_CONGESTION, "" = the system's */
	char cc_local[16];       /* cc_remote "": the one toward a remote on this machine, "" = the system's */
	long udp_max_assoc;      /* per worker share */
	int fastopen_out;        /* TCP Fast Open toward the remotes: a tunnel's client writes first */
	int tpool_max;           /* warm tunnel connections per remote and worker at most, 0 none (tunnel_pool.h) */
	struct rt_remote *rem;
	size_t nrem;
	struct rt_stats *st;
	struct lb **lb;          /* [nworkers]: each worker its own balancer */
	struct lim_rule lim;     /* allow/deny, caps, quota settings (rulelimits.h) */
	const struct conn_hooks *hooks;   /* PROXY, TLS, WS: NULL for plain */
	struct tun_rule *tun;          /* their settings (tunnel.h), NULL for plain */
	long preread_ms;                  /* deadline of hooks->preread from accept */
	struct rt_lgroup *groups;
	size_t ngroups;
	int kept;                /* rt_apply: its name is in the new set, kept or changed (main thread) */
};

/* The congestion control for a TCP connection of r's toward dst: the key's,
 * else the unpaced one toward an address of this machine's (loopback or
 * its own), else NULL (the system's) */
static inline const char *
rt_remote_cc(const struct rt_rule *r, const struct sockaddr_storage *dst)
{
	if (r->cc_remote[0])
		return r->cc_remote;
	return r->cc_local[0] && net_addr_local(&r->src->local, dst) ? r->cc_local : NULL;
}

struct rt_lsn {
	struct ev_io io;
	int fd;
	int proto;
	uint16_t port, port_off;
	struct rt_rule *rule;    /* owned by the worker once added */
	struct rt_worker *w;
	struct ev_timer rearm;   /* out of descriptors: back in epoll a second later */
	int paused;
	struct udp_htab *udp;    /* UDP association table (udp.c) */
	struct tu_tab *tudp;     /* the same for UDP through a tunnel (udp_tunnel.c) */
	struct rt_lsn *lnext, *lprev;   /* worker's listener list */
	int zombie;
};

struct rt_conf {             /* process-wide settings the workers read */
	int nworkers;
	int nosplice;            /* copy mode everywhere (the relay applet: XWPF_NO_SPLICE=1) */
	int pipe_size;           /* F_SETPIPE_SZ of splice pipes (XWPF_PIPE_SIZE) */
	int pipe_pool;           /* pooled empty pipes per worker */
	int pipe_max;            /* pipes in use per worker */
	struct res *res;         /* resolver */
};
extern struct rt_conf rt_conf;

struct rt_worker {
	int id;
	pthread_t th;
	struct ev_loop *loop;
	int efd;                 /* eventfd: messages and resolver news */
	struct ev_io eio;
	pthread_mutex_t mu;
	struct rt_msg *q_head, *q_tail;
	int stopping;
	int reserve_fd;          /* spent on EMFILE to refuse one client */
	struct conn *conns;      /* live TCP connections */
	struct conn *zombies;    /* closed, freed after the batch */
	struct rt_lsn *lsns;     /* listeners in this worker */
	struct rt_lsn *lzombies; /* removed, freed after the batch */
	struct conn_pipe *pipes; /* pool of empty pipes (conn_pool.c) */
	int npipes_pool, npipes_used;
	struct conn_buf *bufs;   /* pool of copy buffers (conn_pool.c) */
	int nbufs_pool;
	struct conn *cfree;      /* freed struct conn kept for reuse (conn_pool.c) */
	int ncfree;
	struct udp_w *udpw;      /* UDP batch buffers (udp.c) */
	long udp_assocs;         /* UDP associations of this worker: plain (udp.c), carried into a
	                          * tunnel (udp_tunnel.c) and out of one (a datagram stream at the
	                          * exit, udp_tunnel.c): all under udp_max_assoc's per worker share */
	int started;             /* thread running */
	int64_t last_emfile_log;
	int64_t last_through_log; /* the warning that a through port is busy (conn.c) */
	int kick;                /* a quota stopped a rule: close what it no longer allows after the batch */
	/* TLS / WebSocket server handshakes under way in this worker, in all
	 * and per source (tunnel_conn.c): under max_handshakes(_per_src) */
	long handshakes;
	struct srclimit hs_src;
	/* handshakes waiting for their network's max_handshakes_per_src, oldest
	 * first (tunnel_conn.c): each starts when one of its network's ends */
	struct tun_conn *hs_wait_head, *hs_wait_tail;
	long hs_waiting;         /* how many: at most max_handshakes, more are reset */
	struct tpool *tpools;    /* warm tunnel connections per rule and remote (tunnel_pool.c) */
	struct tp_ent *tpool_dead;   /* dropped pooled connections, freed after the batch */
};

/* Bytes a rule delivered one way (up: client -> remote) against its quota's
 * budget: 1 when this spend ran the budget out (the caller's worker then
 * applies the quota at once, rt_quota_reached), else 0. */
static inline int
rt_quota_spend(struct rt_rule *r, int up, uint64_t n)
{
	int slot = up ? r->lim.q_slot_up : r->lim.q_slot_down;
	int64_t left;

	if (slot < 0 || !n)
		return 0;
	left = __atomic_sub_fetch(&r->st->q_left[slot], (int64_t)n, __ATOMIC_RELAXED);
	return left <= 0 && left + (int64_t)n > 0;
}
/* The quota ran out in this worker: stop or throttle the rule now, without
 * waiting for the next ledger flush (which confirms it and fires the events). */
void rt_quota_reached(struct rt_worker *w, struct rt_rule *r);
/* a quota in stop mode, or the rule's expiry, holds the rule: what it has open is to be closed */
static inline int
rt_quota_stopped(const struct rt_rule *r)
{
	int q = __atomic_load_n(&r->st->quota_state, __ATOMIC_RELAXED);

	return (r->lim.quota && q == LIM_Q_STOPPED) || q == LIM_Q_EXPIRED;
}

void rt_rule_ref(struct rt_rule *r);
void rt_rule_unref(struct rt_rule *r);

/* Address of remote idx for listen port offset off, i-th address of a name:
 * 0 ok, 1 pending (the resolver will poke the worker), -1 none left. */
int rt_remote_addr(struct rt_worker *w, struct rt_rule *r, int idx, uint16_t off, int i,
    struct sockaddr_storage *out);

/* balancer calls, through lib/relay/balance.h or the built-in fallback */
int rt_lb_pick(struct rt_rule *r, int wid, const struct sockaddr_storage *client, const uint64_t ex[4]);
void rt_lb_report(struct rt_rule *r, int wid, int idx, int ok);
/* Remote idx of r failed for worker wid before the connection was up (a
 * connect, a tunnel handshake, a reset before any byte): counted, err and
 * the time kept, why ("tls: ...", NULL: "tcp: strerror(err)") kept as the
 * last error, and the balancer told (a passive suspect mark). */
void rt_remote_failed(struct rt_rule *r, int wid, int idx, int err, const char *why);
/* The last error text of one worker's counters ("" when none): 0, or -1
 * when it was being rewritten at each of a few tries (buf then ""). */
int rt_remote_last_error(const struct rt_rcounters *k, char *buf, size_t size);
/* Drop the main thread's hold on a parsed store (the rules hold theirs). */
void rt_store_unref(struct rt_store *s);
/* A TLS handshake of a rule's tunnel end e is through: count it in k
 * (a worker's counters), full or resumed. */
void rt_count_tls(struct rt_counters *k, const struct tun_end *e);

#endif
