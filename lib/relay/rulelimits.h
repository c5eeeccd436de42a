#ifndef XWPF_LIM_H
#define XWPF_LIM_H

/*
 * A rule's limits inside the relay: allow/deny lists, connection caps, per
 * source caps, bandwidth caps (the rule's and each connection's), and the
 * quota's settings. Two halves:
 *
 *   struct lim_rule    what the store says, resolved against [global] once
 *                      per rule version; immutable, read by every worker.
 *   struct lim_state   what the limits count: shared by every version of
 *                      the rule (it lives in the rule's counters, which
 *                      survive reloads) and by every worker: atomics and
 *                      the spinlocks of tbucket.h and srclimit.h.
 *
 * Admission (lim_admit) runs at accept, before any allocation; a connection
 * that was admitted calls lim_leave exactly once when it closes. Bandwidth:
 * the pump asks lim_budget how many bytes a half may read now and gives
 * back what it did not read with lim_refund; a zero budget comes with the
 * microseconds to wait. Limits live in the relay, not in tc: they hold for
 * IPv6 and on hosts with many NICs alike.
 */
#include <stdint.h>
#include <sys/socket.h>

#include "acl.h"
#include "ledger.h"
#include "srclimit.h"
#include "tbucket.h"

struct store;
struct store_rule;

/* Why a connection (or datagram) was turned away by a limit. */
enum lim_reason {
	LIM_DENY,                /* allow/deny lists */
	LIM_MAX_CONNS,           /* max_conns for the rule */
	LIM_SRC_CONNS,           /* max_conns_per_src */
	LIM_SRC_RATE,            /* new_conns_per_src */
	LIM_QUOTA,               /* quota reached, quota_action = stop */
	LIM_HANDSHAKES,          /* max_handshakes, max_handshakes_per_src (a tls or ws listener) */
	LIM_LOOP,                /* a connection of the relay to itself, too many hops deep (loopguard.h) */
	LIM_COUNT
};
extern const char *const lim_reason_names[LIM_COUNT];   /* "deny", "max_conns", ... */

/* Quota state of a rule, decided by the main thread, read by the workers. */
enum lim_quota { LIM_Q_OK, LIM_Q_STOPPED, LIM_Q_THROTTLED, LIM_Q_EXPIRED };   /* EXPIRED: past the rule's expire */

struct lim_rule {
	struct acl allow, deny;
	long max_conns;
	uint32_t src_conns, src_rate;            /* per source: concurrent, new per second */
	int src_p4, src_p6;                      /* a source is its IPv4 /src_p4, its IPv6 /src_p6 */
	uint64_t rate_in, rate_out, conn_rate;   /* bytes/s; 0 = none */
	uint64_t quota, quota_rate;              /* bytes per cycle; bytes/s when throttled */
	int quota_action;                        /* QUOTA_STOP or QUOTA_THROTTLE */
	enum billing billing;
	int reset_day;
	const char *on_event;                    /* program, "" = none (the rule's or [global]'s) */
	int q_slot_up, q_slot_down;              /* which quota budget each way spends (-1 none) */
	unsigned admit : 1;                      /* any admission check at all */
	unsigned shape : 1;                      /* any bandwidth cap (or a throttling quota) */
};

struct lim_state {
	struct tbucket up, down;   /* the rule's caps, or quota_rate while throttled */
	struct srclimit src;       /* allocated on first use */
	long active;               /* admitted TCP connections, every worker */
};

/* Resolve sr's limits (globals from st). 0, or -1 with err. */
int lim_rule_init(struct lim_rule *l, const struct store *st, const struct store_rule *sr, char *err);
void lim_rule_free(struct lim_rule *l);
/* Make the shared state match the rule's settings and its quota state
 * (enum lim_quota; main thread, after a build or a quota change): bucket
 * rates, per-source table. 0 or -1 (ENOMEM). */
int lim_state_apply(struct lim_state *s, const struct lim_rule *l, int quota_state, int64_t now_us);
void lim_state_free(struct lim_state *s);

/* Admit a new TCP connection from peer: -1 admitted (call lim_leave later),
 * else the LIM_* reason it is refused. */
int lim_admit(const struct lim_rule *l, struct lim_state *s, int quota_state, const struct sockaddr *peer,
    int64_t now_ms);
void lim_leave(const struct lim_rule *l, struct lim_state *s, const struct sockaddr *peer);
/* Only the address lists and a stopped quota: for UDP datagrams. -1 or the reason. */
int lim_check_addr(const struct lim_rule *l, int quota_state, const struct sockaddr *peer);

/* Bytes a connection may move now in one direction (up: client -> remote),
 * at most want; the per-connection bucket cb may be NULL. 0 means wait
 * *delay_us first. Give back what was not used with lim_refund. */
uint64_t lim_budget(struct lim_state *s, struct tbucket *cb, int up, uint64_t want, int64_t now_us,
    int64_t *delay_us);
void lim_refund(struct lim_state *s, struct tbucket *cb, int up, uint64_t unused, int64_t now_us);

/* Per-connection buckets [0] up, [1] down for conn_rate (malloc'd), NULL when
 * the rule has none (or out of memory: the connection goes uncapped). */
struct tbucket *lim_conn_buckets(const struct lim_rule *l, int64_t now_us);
/* A datagram of len bytes in one direction: 1 send it, 0 drop it (over the cap). */
int lim_police(struct lim_state *s, int up, uint64_t len, int64_t now_us);
/* LG_V4 or LG_V6 for the ledger: an IPv4-mapped IPv6 address is IPv4. */
int lim_family(const struct sockaddr *sa);

#endif
