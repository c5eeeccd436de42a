#include "accounting.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "healthcheck.h"
#include "ledger.h"
#include "log.h"
#include "paths.h"
#include "runtime.h"
#include "store.h"
#include "tbucket.h"
#include "tunnel.h"
#include "util.h"

#define LIMIT_EVENT_MS 60000   /* one limit event per rule and reason a minute */

/* What one rule brings to a flush. */
struct acct_rule {
	struct rt_rule *r;
	int last;                /* retired, drained: these are its final counts */
	struct rt_counters sum;
	unsigned fired;          /* LG_FIRED_* crossed in this flush */
	int rolled, state;
	uint64_t used, cin, cout;   /* billed, and the cycle's bytes each way */
};

struct acct_ctx {
	struct acct_rule *v;
	size_t n;
	int64_t now;
};

/* connections and UDP associations, a tunnel's UDP stream once */
static uint64_t
conns(const struct rt_counters *k)
{
	return k->tcp_total + k->udp_total - k->udp_carried;
}

static int
has_delta(const struct acct_rule *a)
{
	const struct rt_stats *st = a->r->st;
	int p, f;

	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++)
			if (a->sum.in[p][f] != st->led_in[p][f] || a->sum.out[p][f] != st->led_out[p][f])
				return 1;
	return conns(&a->sum) != st->led_conns;
}

/* Under the ledger's lock: the file as it is now, plus our deltas. */
static int expired(const struct rt_rule *r, int64_t now);

static int
flush_fn(struct ledger *lg, void *arg, char *err)
{
	struct acct_ctx *x = arg;
	int changed = 0;
	size_t i;

	for (i = 0; i < x->n; i++) {
		struct acct_rule *a = &x->v[i];
		const struct lim_rule *l = &a->r->lim;
		struct rt_stats *st = a->r->st;
		struct ledger_rule *e;
		int p, f, delta = has_delta(a);

		a->state = LIM_Q_OK;
		a->used = 0;
		if (!delta && !l->quota)
			continue;   /* an idle rule without a quota needs no line */
		e = ledger_get(lg, a->r->r->name, x->now, l->reset_day);
		if (!e) {
			snprintf(err, ERRLEN, "out of memory");
			return -1;
		}
		a->rolled = ledger_roll(e, x->now, l->reset_day, l->billing);
		changed |= a->rolled | delta;
		for (p = 0; p < 2; p++)
			for (f = 0; f < 2; f++)
				if (a->sum.in[p][f] != st->led_in[p][f] || a->sum.out[p][f] != st->led_out[p][f])
					ledger_add(e, p, f, a->sum.in[p][f] - st->led_in[p][f], a->sum.out[p][f] - st->led_out[p][f],
					    0);
		e->cycle.conns += conns(&a->sum) - st->led_conns;
		e->display.conns += conns(&a->sum) - st->led_conns;
		a->fired = ledger_check_quota(e, l->quota, l->billing);
		changed |= a->fired != 0;
		a->used = ledger_used(&e->cycle, l->billing);
		a->cin = ledger_sum_in(&e->cycle);
		a->cout = ledger_sum_out(&e->cycle);
		if (l->quota && a->used >= l->quota)
			a->state = l->quota_action == QUOTA_THROTTLE ? LIM_Q_THROTTLED : LIM_Q_STOPPED;
		if (expired(a->r, x->now))
			a->state = LIM_Q_EXPIRED;
		/* a state the ledger no longer backs (a cycle reset by hand): apply it */
		changed |= a->state != __atomic_load_n(&st->quota_state, __ATOMIC_RELAXED);
	}
	return changed ? 0 : 1;
}

/* The rule's expire has passed (now: epoch seconds). */
static int
expired(const struct rt_rule *r, int64_t now)
{
	return r->r->expire && now >= r->r->expire;
}

/* YYYY-MM-DD of the day a rule expires at the end of (local time). */
static char *
expire_day(int64_t expire, char *buf, size_t size)
{
	time_t t = (time_t)(expire - 1);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
	return buf;
}

static void
announce_expired(struct rt_rule *r, acct_event_fn *fire, void *arg)
{
	char day[16], detail[64], cmd[256], renew[PATH_MAX + 300];

	expire_day(r->r->expire, day, sizeof(day));
	snprintf(detail, sizeof(detail), "expire=%s", day);
	snprintf(cmd, sizeof(cmd), "rule set %s expire=YYYY-MM-DD", r->r->name);
	log_warn("rule %s: expired at the end of %s: forwarding stopped (renew: %s, then a reload)", r->r->name, day,
	    path_cmd(renew, sizeof(renew), cmd));
	fire(arg, r, "expired", "", detail);
}

static void
fire_quota(const struct acct_rule *a, acct_event_fn *fire, void *arg)
{
	static const struct { unsigned bit; const char *name; } th[] = {
		{ LG_FIRED_80, "quota_80" }, { LG_FIRED_95, "quota_95" }, { LG_FIRED_100, "quota_100" },
	};
	char detail[128];
	size_t i;

	snprintf(detail, sizeof(detail), "used=%" PRIu64 " quota=%" PRIu64 " billing=%s", a->used, a->r->lim.quota,
	    billing_name(a->r->lim.billing));
	for (i = 0; i < ARRAY_SIZE(th); i++)
		if (a->fired & th[i].bit)
			fire(arg, a->r, th[i].name, "", detail);
}

/* What the workers may still deliver before the quota is reached (rulelimits.h's slots). */
static void
set_budget(const struct acct_rule *a)
{
	const struct lim_rule *l = &a->r->lim;
	int64_t left[2] = { INT64_MAX, INT64_MAX };

	if (l->quota) {
		uint64_t u0 = l->billing == BILL_BOTH ? a->cin + a->cout : l->billing == BILL_DOUBLE ?
		    2 * (a->cin + a->cout) : a->cin;
		left[0] = u0 >= l->quota ? 0 : (int64_t)(l->quota - u0);
		if (l->billing == BILL_DOUBLE)   /* each byte delivered bills two */
			left[0] = (left[0] + 1) / 2;
		left[1] = a->cout >= l->quota ? 0 : (int64_t)(l->quota - a->cout);
	}
	__atomic_store_n(&a->r->st->q_left[0], left[0], __ATOMIC_RELAXED);
	__atomic_store_n(&a->r->st->q_left[1], left[1], __ATOMIC_RELAXED);
}

int
acct_flush(struct rt *rt, const char *path, int64_t now, acct_event_fn *fire, void *arg, char *err)
{
	size_t n, nret, i;
	struct rt_rule *const *rules = rt_rules(rt, &n);
	struct rt_rule *const *retired = rt_retired(rt, &nret);
	struct acct_ctx x = { calloc(n + nret ? n + nret : 1, sizeof(*x.v)), n + nret, now };
	int kick = 0, rc;

	if (!x.v) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	for (i = 0; i < x.n; i++) {
		struct acct_rule *a = &x.v[i];

		a->r = i < n ? rules[i] : retired[i - n];
		/* drained before the sum is taken: nothing can add to it after */
		a->last = i >= n && !rt_rule_draining(a->r);
		rt_rule_sum(rt, a->r, &a->sum);
	}
	rc = ledger_update(path, flush_fn, &x, err);
	for (i = 0; rc == 0 && i < x.n; i++) {
		struct acct_rule *a = &x.v[i];
		struct rt_stats *st = a->r->st;
		int old = __atomic_load_n(&st->quota_state, __ATOMIC_RELAXED);
		char detail[160], rate[32];

		memcpy(st->led_in, a->sum.in, sizeof(st->led_in));
		memcpy(st->led_out, a->sum.out, sizeof(st->led_out));
		st->led_conns = conns(&a->sum);
		st->quota = a->r->lim.quota;
		__atomic_store_n(&st->cycle_used, a->used, __ATOMIC_RELAXED);
		fire_quota(a, fire, arg);
		set_budget(a);
		if (expired(a->r, now))
			a->state = LIM_Q_EXPIRED;
		if (a->state != old) {   /* the ledger is the judge; a worker may have been first */
			__atomic_store_n(&st->quota_state, a->state, __ATOMIC_RELAXED);
			(void)lim_state_apply(&st->lim, &a->r->lim, a->state, now_us());
			kick |= a->state == LIM_Q_STOPPED || a->state == LIM_Q_EXPIRED;
		}
		if (a->state == st->announced)
			continue;
		st->announced = a->state;
		snprintf(detail, sizeof(detail), "used=%" PRIu64 " quota=%" PRIu64, a->used, a->r->lim.quota);
		switch (a->state) {
		case LIM_Q_EXPIRED:
			announce_expired(a->r, fire, arg);
			break;
		case LIM_Q_STOPPED:
			log_warn("rule %s: quota of %" PRIu64 " bytes reached (%s): stopped until the cycle resets",
			    a->r->r->name, a->r->lim.quota, billing_name(a->r->lim.billing));
			fire(arg, a->r, "quota_stop", "", detail);
			break;
		case LIM_Q_THROTTLED:
			log_warn("rule %s: quota of %" PRIu64 " bytes reached (%s): throttled to %s until the cycle resets",
			    a->r->r->name, a->r->lim.quota, billing_name(a->r->lim.billing),
			    fmt_rate(rate, sizeof(rate), a->r->lim.quota_rate));
			fire(arg, a->r, "quota_throttle", "", detail);
			break;
		default:
			log_info("rule %s: %s: back to full service", a->r->r->name,
			    a->rolled ? "a new billing cycle" : "under its quota again");
			fire(arg, a->r, "quota_resume", "", detail);
			break;
		}
	}
	for (i = 0; rc >= 0 && i < x.n; i++)   /* rc 1: nothing new to write, also counted */
		if (x.v[i].last)
			rt_retired_drop(rt, x.v[i].r);
	if (kick)
		rt_kick(rt);
	free(x.v);
	return rc;
}

void
acct_limit_events(struct rt *rt, int64_t now_ms, acct_event_fn *fire, void *arg)
{
	size_t n, i;
	struct rt_rule *const *rules = rt_rules(rt, &n);
	int k;

	for (i = 0; i < n; i++) {
		struct rt_stats *st = rules[i]->st;
		struct rt_counters s;

		rt_rule_sum(rt, rules[i], &s);
		for (k = 0; k < LIM_COUNT; k++) {
			char detail[96];

			if (s.limit_hits[k] <= st->ev_hits[k] || now_ms - st->ev_hit_ms[k] < LIMIT_EVENT_MS)
				continue;
			snprintf(detail, sizeof(detail), "limit=%s refused=%" PRIu64, lim_reason_names[k],
			    s.limit_hits[k] - st->ev_hits[k]);
			log_info("rule %s: %s", rules[i]->r->name, detail);
			fire(arg, rules[i], "limit", "", detail);
			st->ev_hits[k] = s.limit_hits[k];
			st->ev_hit_ms[k] = now_ms;
		}
	}
}

static int
backend_up(const struct hc_state *s, const char *rule, const char *target)
{
	const struct hc_entry *e = s ? hc_state_find(s, rule, target) : NULL;

	return !e || e->up;   /* what the state does not know counts as up */
}

/* The backend a failover rule sends new connections to: the first one up. */
static int
failover_pick(const struct rt_rule *r, const struct hc_state *s)
{
	char hp[300];
	size_t j;

	for (j = 0; j < r->nrem; j++)
		if (backend_up(s, r->r->name, hostport_format(&r->rem[j].hp, hp, sizeof(hp))))
			return (int)j;
	return -1;
}

void
acct_health_events(struct rt *rt, const struct hc_state *old, const struct hc_state *new, acct_event_fn *fire,
    void *arg)
{
	size_t n, i, j;
	struct rt_rule *const *rules = rt_rules(rt, &n);
	char hp[300], hp2[300], detail[700];

	if (!old || !new)
		return;
	for (i = 0; i < n; i++) {
		const struct rt_rule *r = rules[i];
		int a, b;

		for (j = 0; j < r->nrem; j++) {
			const struct hc_entry *e;
			int was, is;

			hostport_format(&r->rem[j].hp, hp, sizeof(hp));
			was = backend_up(old, r->r->name, hp);
			is = backend_up(new, r->r->name, hp);
			if (was == is)
				continue;
			e = hc_state_find(new, r->r->name, hp);
			/* the stage in words when the check gave them (tls: pin mismatch ...) */
			snprintf(detail, sizeof(detail), "%s", !is && e ? (*e->why ? e->why : hc_code_text(e->reason)) : "");
			fire(arg, r, is ? "backend_up" : "backend_down", hp, detail);
		}
		if (!r->r->failover || r->nrem < 2)
			continue;
		a = failover_pick(r, old);
		b = failover_pick(r, new);
		if (a == b)
			continue;
		snprintf(detail, sizeof(detail), "from %s to %s",
		    a >= 0 ? hostport_format(&r->rem[a].hp, hp, sizeof(hp)) : "none",
		    b >= 0 ? hostport_format(&r->rem[b].hp, hp2, sizeof(hp2)) : "none (every backend is down)");
		fire(arg, r, "failover", b >= 0 ? hp2 : "", detail);
	}
}

void
acct_cert_events(struct rt *rt, int64_t now, acct_event_fn *fire, void *arg)
{
	size_t n, i;
	struct rt_rule *const *rules = rt_rules(rt, &n);

	for (i = 0; i < n; i++) {
		struct rt_stats *st = rules[i]->st;
		long long na;
		char err[ERRLEN], detail[128];
		int rc;

		if (now - st->ev_cert < 86400)
			continue;
		rc = tun_rule_cert_expiry(rules[i]->r, &na, err);
		if (rc <= 0 || na - now >= (long long)TUN_CERT_WARN_DAYS * 86400)
			continue;
		if (na <= now)
			snprintf(detail, sizeof(detail), "expired %lld days ago", (now - na) / 86400);
		else
			snprintf(detail, sizeof(detail), "expires in %lld days", (na - now + 86399) / 86400);
		fire(arg, rules[i], "cert_expiry", "", detail);
		st->ev_cert = now;
	}
}

void
acct_expiry_events(struct rt *rt, int64_t now, acct_event_fn *fire, void *arg)
{
	size_t n, i;
	struct rt_rule *const *rules = rt_rules(rt, &n);
	int kick = 0;

	for (i = 0; i < n; i++) {
		struct rt_rule *r = rules[i];
		struct rt_stats *st = r->st;
		int64_t ex = r->r->expire;
		int old = __atomic_load_n(&st->quota_state, __ATOMIC_RELAXED), now_expired = expired(r, now);
		char day[16], detail[96];

		if (ex && !now_expired && now >= ex - ACCT_EXPIRE_SOON && st->ev_expire != ex) {
			st->ev_expire = ex;
			snprintf(detail, sizeof(detail), "expires at the end of %s (in %lld day%s)",
			    expire_day(ex, day, sizeof(day)), (long long)((ex - now + 86399) / 86400),
			    (ex - now + 86399) / 86400 == 1 ? "" : "s");
			log_warn("rule %s: %s", r->r->name, detail);
			fire(arg, r, "expire_soon", "", detail);
		}
		if (now_expired == (old == LIM_Q_EXPIRED))
			continue;
		/* expired now, or renewed (a reload with a later expire): the next
		 * ledger flush puts a quota state back over an OK */
		__atomic_store_n(&st->quota_state, now_expired ? LIM_Q_EXPIRED : LIM_Q_OK, __ATOMIC_RELAXED);
		(void)lim_state_apply(&st->lim, &r->lim, now_expired ? LIM_Q_EXPIRED : LIM_Q_OK, now_us());
		if (now_expired && st->announced != LIM_Q_EXPIRED) {
			st->announced = LIM_Q_EXPIRED;
			announce_expired(r, fire, arg);
			kick = 1;
		} else if (!now_expired) {
			st->announced = LIM_Q_OK;
			log_info("rule %s: renewed (expire %s): forwarding again", r->r->name,
			    ex ? expire_day(ex, day, sizeof(day)) : "off");
			fire(arg, r, "quota_resume", "", "renewed");
		}
	}
	if (kick)
		rt_kick(rt);
}
