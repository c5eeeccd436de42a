#include "rulelimits.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "util.h"

const char *const lim_reason_names[LIM_COUNT] = { "deny", "max_conns", "max_conns_per_src",
	"new_conns_per_src", "quota", "handshakes", "loop" };

#define MIN_BURST (16 * 1024)     /* a bucket always lets a decent read through */
#define SRC_TABLE 4096            /* per-source entries (grows to the power of two) */

int
lim_rule_init(struct lim_rule *l, const struct store *st, const struct store_rule *sr, char *err)
{
	const struct store_global *g = &st->g;
	char e2[ERRLEN];

	memset(l, 0, sizeof(*l));
	if (acl_parse(&l->allow, sr->allow, e2) < 0 || acl_parse(&l->deny, sr->deny, e2) < 0) {
		snprintf(err, ERRLEN, "rule %s: %s", sr->name, e2);   /* validation caught it already */
		lim_rule_free(l);
		return -1;
	}
	l->max_conns = sr->max_conns > 0 ? sr->max_conns : 0;
	l->src_conns = sr->max_conns_per_src > 0 ? (uint32_t)sr->max_conns_per_src : 0;
	l->src_rate = sr->new_conns_per_src > 0 ? (uint32_t)sr->new_conns_per_src : 0;
	l->src_p4 = (int)g->src_prefix_v4;
	l->src_p6 = (int)g->src_prefix_v6;
	l->rate_in = sr->rate_in;
	l->rate_out = sr->rate_out;
	l->conn_rate = sr->conn_rate;
	l->quota = sr->quota;
	l->quota_rate = sr->quota_rate;
	l->quota_action = sr->quota_action;
	l->billing = sr->billing >= 0 ? (enum billing)sr->billing : (enum billing)g->billing;
	l->reset_day = (int)(sr->reset_day > 0 ? sr->reset_day : g->reset_day > 0 ? g->reset_day : 1);
	l->on_event = *sr->on_event ? sr->on_event : g->on_event;
	/* budgets: [0] in+out (both), or in (in, max); [1] out (out, max) */
	l->q_slot_up = l->q_slot_down = -1;
	if (l->quota) {
		l->q_slot_up = l->billing == BILL_OUT ? -1 : 0;
		l->q_slot_down = l->billing == BILL_IN ? -1 : l->billing == BILL_BOTH || l->billing == BILL_DOUBLE ? 0 : 1;
	}
	/* an expire = date stops the rule as a quota does: checked at admission too */
	l->admit = l->allow.n || l->deny.n || l->max_conns || l->src_conns || l->src_rate || l->quota || sr->expire;
	l->shape = l->rate_in || l->rate_out || l->conn_rate ||
	    (l->quota && l->quota_action == QUOTA_THROTTLE);
	return 0;
}

void
lim_rule_free(struct lim_rule *l)
{
	acl_free(&l->allow);
	acl_free(&l->deny);
}

static uint64_t
cap_rate(uint64_t rate, uint64_t throttle)
{
	if (!throttle)
		return rate;
	return rate && rate < throttle ? rate : throttle;
}

int
lim_state_apply(struct lim_state *s, const struct lim_rule *l, int quota_state, int64_t now_us)
{
	int throttled = quota_state == LIM_Q_THROTTLED;
	uint64_t qr = throttled ? (l->quota_rate ? l->quota_rate : 1) : 0;

	if (!s->up.min_burst) {   /* first use */
		tb_init(&s->up, 0, 0, MIN_BURST, now_us);
		tb_init(&s->down, 0, 0, MIN_BURST, now_us);
	}
	tb_set_rate(&s->up, cap_rate(l->rate_in, qr), now_us);
	tb_set_rate(&s->down, cap_rate(l->rate_out, qr), now_us);
	if ((l->src_conns || l->src_rate) && !s->src.v) {
		if (srclimit_init(&s->src, SRC_TABLE, l->src_conns, l->src_rate) < 0) {
			errno = ENOMEM;
			return -1;
		}
		srclimit_prefix(&s->src, l->src_p4, l->src_p6);
		return 0;
	}
	if (s->src.v) {   /* read by workers without the table's lock: plain word stores */
		srclimit_prefix(&s->src, l->src_p4, l->src_p6);
		__atomic_store_n(&s->src.max_active, l->src_conns, __ATOMIC_RELAXED);
		__atomic_store_n(&s->src.max_per_sec, l->src_rate, __ATOMIC_RELAXED);
	}
	return 0;
}

void
lim_state_free(struct lim_state *s)
{
	srclimit_free(&s->src);
}

int
lim_check_addr(const struct lim_rule *l, int quota_state, const struct sockaddr *peer)
{
	if ((l->quota && quota_state == LIM_Q_STOPPED) || quota_state == LIM_Q_EXPIRED)
		return LIM_QUOTA;
	if (l->deny.n && acl_match(&l->deny, peer))
		return LIM_DENY;
	if (l->allow.n && !acl_match(&l->allow, peer))
		return LIM_DENY;
	return -1;
}

int
lim_admit(const struct lim_rule *l, struct lim_state *s, int quota_state, const struct sockaddr *peer,
    int64_t now_ms)
{
	int why = lim_check_addr(l, quota_state, peer);

	if (why >= 0)
		return why;
	if (l->max_conns && __atomic_add_fetch(&s->active, 1, __ATOMIC_RELAXED) > l->max_conns) {
		__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELAXED);
		return LIM_MAX_CONNS;
	}
	if (!l->max_conns)
		__atomic_add_fetch(&s->active, 1, __ATOMIC_RELAXED);
	if ((l->src_conns || l->src_rate) && s->src.v && srclimit_enter(&s->src, peer, now_ms) < 0) {
		why = errno == EMFILE ? LIM_SRC_CONNS : LIM_SRC_RATE;
		__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELAXED);
		return why;
	}
	return -1;
}

void
lim_leave(const struct lim_rule *l, struct lim_state *s, const struct sockaddr *peer)
{
	__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELAXED);
	if ((l->src_conns || l->src_rate) && s->src.v)
		srclimit_leave(&s->src, peer);
}

uint64_t
lim_budget(struct lim_state *s, struct tbucket *cb, int up, uint64_t want, int64_t now_us, int64_t *delay_us)
{
	struct tbucket *rb = up ? &s->up : &s->down;
	uint64_t got = tb_take(rb, want, now_us), got2;

	if (got && cb) {
		got2 = tb_take(cb, got, now_us);
		tb_refund(rb, got - got2);
		got = got2;
	}
	if (!got) {
		/* wait for a worthwhile read, not a trickle of wakeups */
		uint64_t chunk = want < MIN_BURST ? want : MIN_BURST;
		int64_t d1 = tb_delay_us(rb, chunk, now_us), d2 = cb ? tb_delay_us(cb, chunk, now_us) : 0;

		*delay_us = d1 > d2 ? d1 : d2;
		if (*delay_us < 1000)
			*delay_us = 1000;
	}
	return got;
}

void
lim_refund(struct lim_state *s, struct tbucket *cb, int up, uint64_t unused, int64_t now_us)
{
	(void)now_us;
	if (!unused)
		return;
	tb_refund(up ? &s->up : &s->down, unused);
	if (cb)
		tb_refund(cb, unused);
}

struct tbucket *
lim_conn_buckets(const struct lim_rule *l, int64_t now_us)
{
	struct tbucket *b;

	if (!l->conn_rate || !(b = malloc(2 * sizeof(*b))))
		return NULL;
	tb_init(&b[0], l->conn_rate, 0, MIN_BURST, now_us);
	tb_init(&b[1], l->conn_rate, 0, MIN_BURST, now_us);
	return b;
}

int
lim_police(struct lim_state *s, int up, uint64_t len, int64_t now_us)
{
	struct tbucket *b = up ? &s->up : &s->down;
	uint64_t got = tb_take(b, len, now_us);

	if (got == len)
		return 1;
	tb_refund(b, got);
	return 0;
}

int
lim_family(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

	if (sa->sa_family != AF_INET6 || IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return LG_V4;
	return LG_V6;
}
