#include "rules.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "resolve.h"
#include "tunnel.h"
#include "util.h"

struct rt_conf rt_conf = { 1, 0, 1 << 20, 64, 8192, NULL };

/* ---- the balancer (balance.h), per worker ---- */

int
rt_lb_pick(struct rt_rule *r, int wid, const struct sockaddr_storage *client, const uint64_t ex[4])
{
	return lb_pick(r->lb[wid], client, ex);
}

void
rt_lb_report(struct rt_rule *r, int wid, int idx, int ok)
{
	lb_report(r->lb[wid], idx, ok);
}

void
rt_remote_failed(struct rt_rule *r, int wid, int idx, int err, const char *why)
{
	struct rt_rcounters *k = &r->rem[idx].w[wid];
	unsigned seq = __atomic_load_n(&k->err_seq, __ATOMIC_RELAXED);   /* this worker is the only writer */

	CTR_ADD(k->fails, 1);
	__atomic_store_n(&k->last_errno, err, __ATOMIC_RELAXED);
	__atomic_store_n(&k->last_fail_ms, wall_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&k->err_seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (why)
		snprintf(k->last_err, sizeof(k->last_err), "%s", why);
	else
		snprintf(k->last_err, sizeof(k->last_err), "tcp: %s", strerror(err));
	__atomic_store_n(&k->err_seq, seq + 2, __ATOMIC_RELEASE);
	rt_lb_report(r, wid, idx, 0);
}

int
rt_remote_last_error(const struct rt_rcounters *k, char *buf, size_t size)
{
	char tmp[RT_ERR_MAX];
	int i;

	for (i = 0; i < 8; i++) {
		unsigned s1 = __atomic_load_n(&k->err_seq, __ATOMIC_ACQUIRE);

		if (s1 & 1)
			continue;
		memcpy(tmp, k->last_err, sizeof(tmp));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&k->err_seq, __ATOMIC_RELAXED) != s1)
			continue;
		tmp[sizeof(tmp) - 1] = '\0';
		snprintf(buf, size, "%s", tmp);
		return 0;
	}
	if (size)
		*buf = '\0';
	return -1;
}

/* ---- rules ---- */

static void
stats_unref(struct rt_stats *s)
{
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		lim_state_free(&s->lim);
		free(s->w);
		free(s);
	}
}

void
rt_store_unref(struct rt_store *s)
{
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		store_free(&s->st);
		free(s->gfp);
		free(s);
	}
}

void
rt_rule_ref(struct rt_rule *r)
{
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
}

void
rt_rule_unref(struct rt_rule *r)
{
	size_t i;

	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (r->lb)
		for (i = 0; i < (size_t)rt_conf.nworkers; i++)
			if (r->lb[i])
				lb_free(r->lb[i]);
	free(r->lb);
	for (i = 0; i < r->nrem; i++)
		free(r->rem[i].w);
	free(r->rem);
	rt_store_unref(r->src);
	for (i = 0; i < r->ngroups; i++) {
		free(r->groups[i].key);
		free(r->groups[i].lsn);
		free(r->groups[i].why);
	}
	free(r->groups);
	stats_unref(r->st);
	lim_rule_free(&r->lim);
	tun_rule_free(r->tun);
	free(r->fp);
	free(r);
}

int
rt_remote_addr(struct rt_worker *w, struct rt_rule *r, int idx, uint16_t off, int i,
    struct sockaddr_storage *out)
{
	struct rt_remote *m = &r->rem[idx];
	uint16_t port = (uint16_t)(m->hp.port + (m->hp.port_end > m->hp.port ? off : 0));
	struct sockaddr_storage a[RES_MAX_ADDRS];
	int n;

	(void)w;
	if (m->numeric) {
		if (i > 0)
			return -1;
		*out = m->ss;
	} else {
		n = res_lookup(rt_conf.res, m->hp.host, a, RES_MAX_ADDRS);
		if (n == 0)
			return 1;
		if (n < 0 || i >= n)
			return -1;
		*out = a[i];
	}
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)out)->sin6_port = htons(port);
	return 0;
}

void
rt_quota_reached(struct rt_worker *w, struct rt_rule *r)
{
	int want = r->lim.quota_action == QUOTA_THROTTLE ? LIM_Q_THROTTLED : LIM_Q_STOPPED;
	int old = LIM_Q_OK;

	if (!__atomic_compare_exchange_n(&r->st->quota_state, &old, want, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;   /* another worker (or the main thread) got there first */
	if (want == LIM_Q_THROTTLED)
		(void)lim_state_apply(&r->st->lim, &r->lim, want, now_us());
	else
		w->kick = 1;
}

void
rt_count_tls(struct rt_counters *k, const struct tun_end *e)
{
	if (!tun_end_tls(e))
		return;
	if (tun_end_resumed(e))
		CTR_ADD(k->tls_resumed, 1);
	else
		CTR_ADD(k->tls_full, 1);
}
