#include "runtime_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "balance.h"
#include "healthcheck.h"
#include "log.h"
#include "resolve.h"
#include "steer.h"
#include "tunnel.h"
#include "tunnel_conn.h"
#include "util.h"
#include "worker.h"

static void
send_msg(struct rt_worker *w, enum rt_msg_type type, struct rt_lsn *l, struct rt_rule *r)
{
	rt_worker_send(w, type, l, r, NULL);
}

/* ---- rules built from the store ---- */

/* What a hop that never leaves the machine gets when no key names a
 * congestion control (net_local_cc): found once per configuration applied. */
static char local_cc[16];

/* The rule's congestion control, else the global one, if this kernel has
 * it (asking may load its module); else the default, said each time the
 * rule is built (start, reloads that change it). Returns 1 when the key
 * says "system": the system's, even on a hop that stays on this machine. */
static int
congestion_pick(const struct store_rule *sr, const char *key, const char *rv, const char *gv, char out[16])
{
	const char *v = rv[0] ? rv : gv;
	char avail[256] = "";
	int fd;

	out[0] = 0;
	if (!v[0])
		return 0;
	if (strcmp(v, "system") == 0)
		return 1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, v, (socklen_t)strlen(v)) == 0)
		snprintf(out, 16, "%s", v);
	else {
		int e = errno;

		(void)file_line("/proc/sys/net/ipv4/tcp_available_congestion_control", avail, sizeof(avail));
		log_warn("rule %s: %s = %s: %s; the default is used (this kernel has: %s)",
		    sr->name, key, v, e == ENOENT ? "this kernel has no such congestion control" : strerror(e),
		    avail[0] ? avail : "?");
	}
	close(fd);
	return 0;
}

/* Everything a built rule depends on but the [global] keys it reads (the
 * store's gfp, compared once): its keys (store_rule_keys_fingerprint walks
 * the store's key tables), what this machine gives a hop that stays on it,
 * and its certificate files. */
static char *
fingerprint(const struct store_rule *r)
{
	char *keys = store_rule_keys_fingerprint(r), *fp = NULL, files[160];

	if (!keys)
		return NULL;
	tun_rule_files(r, files, sizeof(files));   /* changed certificate files rebuild the rule */
	if (asprintf(&fp, "%slocal_cc=%s\nfiles=%s\n", keys, local_cc, files) < 0)
		fp = NULL;
	free(keys);
	return fp;
}

static int
rule_supported(const struct store_rule *r, char *err)
{
	if (!r->nremotes) {
		snprintf(err, ERRLEN, "rule %s: no remote: rule not started", r->name);
		return 0;
	}
	return 1;
}

static struct rt_rule *
rule_new(struct rt_store *src, const struct store_rule *sr, char *fp, struct rt_stats *stats, char *err)
{
	const struct store *st = &src->st;
	const struct store_global *g = &st->g;
	struct rt_rule *r = calloc(1, sizeof(*r));
	int nw = rt_conf.nworkers;
	size_t i;

	if (!r)
		goto oom;
	r->refs = 1;
	r->r = sr;
	r->src = src;
	__atomic_add_fetch(&src->refs, 1, __ATOMIC_RELAXED);
	r->rem = calloc(sr->nremotes ? sr->nremotes : 1, sizeof(*r->rem));
	r->lb = calloc((size_t)nw, sizeof(*r->lb));
	if (!r->rem || !r->lb)
		goto oom;
	r->nrem = sr->nremotes;
	r->fp = fp;
	fp = NULL;
	for (i = 0; i < r->nrem; i++) {
		struct rt_remote *m = &r->rem[i];
		socklen_t len;

		m->hp = sr->remotes[i].addr;
		m->numeric = addr_family_of(m->hp.host) != 0 && net_addr(m->hp.host, m->hp.port, &m->ss, &len) == 0;
		m->w = aligned_alloc(64, sizeof(*m->w) * (size_t)nw);   /* 64-byte counters: no false sharing */
		if (m->w)
			memset(m->w, 0, sizeof(*m->w) * (size_t)nw);
		if (!m->w)
			goto oom;
	}
	for (i = 0; i < (size_t)nw; i++) {
		r->lb[i] = lb_new(r->r, err);
		if (!r->lb[i])
			goto fail;
	}
	r->connect_ms = store_rule_ms(st, sr, sr->connect_timeout, g->connect_timeout);
	r->idle_ms = store_rule_ms(st, sr, sr->idle_timeout, g->idle_timeout);
	r->udp_ms = store_rule_ms(st, sr, sr->udp_timeout, g->udp_timeout);
	r->proxy_ms = store_rule_ms(st, sr, sr->proxy_timeout, g->proxy_timeout);
	if (tun_rule_wanted(sr)) {   /* transports, PROXY protocol: tunnel.c */
		r->tun = tun_rule_new(sr, store_rule_ms(st, sr, sr->handshake_timeout, g->handshake_timeout),
		    r->proxy_ms, err);
		if (!r->tun)
			goto fail;
		r->tun->hs_max = g->max_handshakes;
		r->tun->fastopen = g->tcp_fastopen;
		r->fastopen_out = g->tcp_fastopen && r->tun->rem.on;
		/* a PROXY header carries the client's address, a through port
		 * allows one connection per remote address: such rules cannot pool */
		r->tpool_max = r->tun->rem.on && r->tun->proxy_send == PROXY_NONE && (sr->protocols & PROTO_TCP) &&
		    !sr->through.port ? (int)g->tunnel_pool_max : 0;
		r->tun->hs_max_src = g->max_handshakes_per_src;
		r->tun->src_p4 = (int)g->src_prefix_v4;
		r->tun->src_p6 = (int)g->src_prefix_v6;
		r->hooks = tun_hooks(r->tun);
		r->preread_ms = tun_preread_ms(r->tun);
	}
	r->so.nodelay = g->tcp_nodelay;
	r->so.ka_idle_ms = store_rule_ms(st, sr, sr->tcp_keepalive, g->tcp_keepalive);
	r->so.ka_intvl_ms = store_rule_ms(st, sr, sr->tcp_keepalive_interval, g->tcp_keepalive_interval);
	r->so.ka_probes = store_rule_ms(st, sr, sr->tcp_keepalive_probes, g->tcp_keepalive_probes);
	/* no key: a listener on a loopback address and connections to a
	 * remote on this machine (rt_remote_cc) are not paced (local_cc) */
	if (!congestion_pick(sr, "listen_congestion", sr->listen_congestion, g->listen_congestion, r->cc_listen) &&
	    !r->cc_listen[0] && net_host_loopback(sr->listen.host))
		snprintf(r->cc_listen, sizeof(r->cc_listen), "%s", local_cc);
	if (!congestion_pick(sr, "remote_congestion", sr->remote_congestion, g->remote_congestion, r->cc_remote) &&
	    !r->cc_remote[0])
		snprintf(r->cc_local, sizeof(r->cc_local), "%s", local_cc);
	r->udp_max_assoc = g->udp_max_assoc / nw > 0 ? g->udp_max_assoc / nw : 1;
	if (lim_rule_init(&r->lim, st, sr, err) < 0)
		goto fail;
	if (stats) {
		__atomic_add_fetch(&stats->refs, 1, __ATOMIC_RELAXED);
		r->st = stats;
	} else {
		r->st = calloc(1, sizeof(*r->st));
		if (!r->st || !(r->st->w = aligned_alloc(64, sizeof(struct rt_counters) * (size_t)nw)))
			goto oom;
		memset(r->st->w, 0, sizeof(struct rt_counters) * (size_t)nw);
		r->st->refs = 1;
		snprintf(r->st->name, sizeof(r->st->name), "%s", sr->name);
		r->st->q_left[0] = r->st->q_left[1] = INT64_MAX;   /* until the ledger says */
	}
	if (lim_state_apply(&r->st->lim, &r->lim, __atomic_load_n(&r->st->quota_state, __ATOMIC_RELAXED),
	    now_us()) < 0)
		goto oom;
	return r;
oom:
	snprintf(err, ERRLEN, "out of memory");
fail:
	free(fp);
	if (r) {
		if (r->st && !r->st->w) {
			free(r->st);
			r->st = NULL;
		}
		r->refs = 1;
		rt_rule_unref(r);
	}
	return NULL;
}

/* cpu_affinity: with one worker per CPU the relay may run on, worker k
 * goes on the k-th of those CPUs and rt_group_open steers each group's
 * accepts (steer.h); otherwise, or when pinning fails (logged), nothing is
 * pinned and the kernel's hash spreads them. */
static void
steer_setup(struct rt *rt, int cpu_affinity)
{
	int all[STEER_MAX_CPUS], n = steer_cpus(all, STEER_MAX_CPUS), k, j;

	if (!cpu_affinity) {
		snprintf(rt->steer_note, sizeof(rt->steer_note), "off (cpu_affinity = no)");
		return;
	}
	if (n != rt->nworkers) {
		snprintf(rt->steer_note, sizeof(rt->steer_note), "off (%d workers, %d CPU%s allowed: "
		    "it needs one worker per CPU)", rt->nworkers, n, n == 1 ? "" : "s");
		return;
	}
	rt->cpus = malloc(sizeof(*rt->cpus) * (size_t)n);
	if (!rt->cpus) {
		snprintf(rt->steer_note, sizeof(rt->steer_note), "off (out of memory)");
		return;
	}
	memcpy(rt->cpus, all, sizeof(*rt->cpus) * (size_t)n);
	for (k = 0; k < n; k++)
		if (steer_pin(rt->w[k].th, all[k]) < 0) {
			log_warn("cannot pin worker %d to CPU %d: %s; workers run unpinned and unsteered", k, all[k],
			    strerror(errno));
			for (j = 0; j < k; j++)
				steer_unpin(rt->w[j].th, all, n);
			snprintf(rt->steer_note, sizeof(rt->steer_note), "off (pinning failed)");
			free(rt->cpus);
			rt->cpus = NULL;
			return;
		}
	rt->steer = 1;
	rt->steer_base = calloc((size_t)n, sizeof(*rt->steer_base));   /* none: rt_steer_watch stays quiet */
	k = snprintf(rt->steer_note, sizeof(rt->steer_note), "on (CPU%s ", n == 1 ? "" : "s");
	for (j = 0; j < n && k > 0 && (size_t)k < sizeof(rt->steer_note); j++)
		k += snprintf(rt->steer_note + k, sizeof(rt->steer_note) - (size_t)k, "%s%d", j ? "," : "", all[j]);
	if (k > 0 && (size_t)k < sizeof(rt->steer_note))
		snprintf(rt->steer_note + k, sizeof(rt->steer_note) - (size_t)k, ": one worker each, in that order)");
	else   /* too many to name: the note ends in "..." */
		memcpy(rt->steer_note + sizeof(rt->steer_note) - 4, "...", 4);
}

uint64_t
rt_worker_conns(const struct rt *rt, int k)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < rt->nrules; i++)
		c += __atomic_load_n(&rt->rules[i]->st->w[k].tcp_total, __ATOMIC_RELAXED);
	return c;
}

#define STEER_WINDOW_MS 10000   /* rt_steer_watch: a window ... */
#define STEER_WINDOW_MIN 500    /* ... with at least this many connections */

void
rt_steer_watch(struct rt *rt, int64_t now)
{
	uint64_t total = 0, top = 0;
	int k, topk = 0, reset = 0;

	if (!rt->steer || rt->steer_warned || rt->nworkers < 2 || !rt->steer_base)
		return;
	if (rt->steer_since && now - rt->steer_since < STEER_WINDOW_MS)
		return;
	for (k = 0; k < rt->nworkers; k++) {   /* each worker's count once: the window's, and the next base */
		uint64_t c = rt_worker_conns(rt, k), d = c - rt->steer_base[k];

		if (c < rt->steer_base[k])   /* a reload removed a rule: start a new window */
			reset = 1;
		else {
			total += d;
			if (d > top) {
				top = d;
				topk = k;
			}
		}
		rt->steer_base[k] = c;
	}
	if (rt->steer_since && !reset && total >= STEER_WINDOW_MIN && top * 10 > total * 9) {
		rt->steer_warned = 1;
		log_warn("steering: worker %d (CPU %d) took %llu of the last %llu connections: the network card's "
		    "interrupts put nearly every new connection on that CPU; spread them (more queues, or RPS: "
		    "/sys/class/net/IF/queues/rx-*/rps_cpus) or set cpu_affinity = no", topk, rt->cpus[topk],
		    (unsigned long long)top, (unsigned long long)total);
	}
	rt->steer_since = now;
}

const char *
rt_steer_note(const struct rt *rt)
{
	return rt->steer_note;
}

int
rt_steering(const struct rt *rt)
{
	return rt->steer;
}

struct rt *
rt_new(int nworkers, const struct store_global *g, char *err)
{
	struct rt *rt = calloc(1, sizeof(*rt));
	int i;

	if (!rt) {
		snprintf(err, ERRLEN, "out of memory");
		return NULL;
	}
	rt_conf.nworkers = nworkers;
	rt_conf.res = res_new(g->dns_mode, g->dns_min_ttl, g->dns_max_ttl, err);
	if (!rt_conf.res) {
		free(rt);
		return NULL;
	}
	rt->nworkers = nworkers;
	rt->w = calloc((size_t)nworkers, sizeof(*rt->w));
	if (!rt->w) {
		snprintf(err, ERRLEN, "out of memory");
		res_free(rt_conf.res);
		free(rt);
		return NULL;
	}
	for (i = 0; i < nworkers; i++)
		rt_worker_init(&rt->w[i], i);
	for (i = 0; i < nworkers; i++)
		if (rt_worker_start(&rt->w[i], err) < 0)
			goto fail;
	steer_setup(rt, g->cpu_affinity);
	return rt;
fail:
	rt_free(rt);
	return NULL;
}

size_t
rt_nrules(const struct rt *rt)
{
	return rt->nrules;
}

size_t
rt_nlisteners(const struct rt *rt)
{
	return rt->nlsn;
}

int
rt_nworkers(const struct rt *rt)
{
	return rt->nworkers;
}

/* ---- a string map for the reload diff ---- */

struct smap {
	const char **k;
	void **v;
	size_t cap;
};

static uint32_t
shash(const char *s)
{
	return fnv1a32(FNV1A32_INIT, s, strlen(s));
}

static int
smap_init(struct smap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < n * 2 + 1)
		m->cap *= 2;
	m->k = calloc(m->cap, sizeof(*m->k));
	m->v = calloc(m->cap, sizeof(*m->v));
	return m->k && m->v ? 0 : -1;
}

static void
smap_free(struct smap *m)
{
	free(m->k);
	free(m->v);
	m->k = NULL;
	m->v = NULL;
}

static void
smap_put(struct smap *m, const char *k, void *v)
{
	size_t i = shash(k) & (m->cap - 1);

	while (m->k[i] && strcmp(m->k[i], k) != 0)
		i = (i + 1) & (m->cap - 1);
	m->k[i] = k;
	m->v[i] = v;
}

static void *
smap_get(const struct smap *m, const char *k)
{
	size_t i = shash(k) & (m->cap - 1);

	while (m->k[i]) {
		if (strcmp(m->k[i], k) == 0)
			return m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

/* ---- reload ---- */

/* A rule of the old set: kept as it is, or dropped. A dropped rule's
 * connections drain, and until they are gone the ledger owes their bytes. A
 * changed rule hands its counters to its successor (same name); a removed
 * one waits in rt->retired until acct_flush() has counted its last byte. */
static void
retire(struct rt *rt, struct rt_rule *r)
{
	struct rt_rule **v;

	if (r->kept || !rt->keep_retired) {
		r->kept = 0;
		rt_rule_unref(r);
		return;
	}
	v = realloc(rt->retired, (rt->nretired + 1) * sizeof(*v));
	if (!v) {
		log_warn("rule %s: out of memory: the bytes its draining connections move are not counted", r->r->name);
		rt_rule_unref(r);
		return;
	}
	v[rt->nretired++] = r;
	rt->retired = v;
}

/* One reload's work in progress (rt_apply and its steps). */
struct apply {
	struct rt *rt;
	struct rt_store *src;        /* the new store, shared by the new rules */
	const struct store *st;
	struct rt_rule **nr;         /* the new set: n rules */
	unsigned char *reused;       /* per new rule: an old one kept as it is */
	size_t n;
	struct rt_lgroup **from;     /* per new group: the old group it takes over, or NULL */
	size_t ngroups_total;        /* groups of the rules built anew */
	struct smap byname, bykey;   /* the old rules by name, their groups by key */
	int spread;                  /* one worker per new port (descriptor limit) */
	char *err;
	int64_t t0;
};

/* The old set by name and its listener groups by key, none claimed yet. */
static int
apply_index_old(struct apply *a)
{
	struct rt *rt = a->rt;
	size_t i, j, nold_groups = 0;

	for (i = 0; i < rt->nrules; i++)
		nold_groups += rt->rules[i]->ngroups;
	a->nr = calloc(a->st->nrules + 1, sizeof(*a->nr));
	a->reused = calloc(a->st->nrules + 1, 1);
	if (!a->nr || !a->reused || smap_init(&a->byname, rt->nrules) < 0 || smap_init(&a->bykey, nold_groups) < 0)
		return -1;
	for (i = 0; i < rt->nrules; i++) {
		struct rt_rule *o = rt->rules[i];
		smap_put(&a->byname, o->r->name, o);
		for (j = 0; j < o->ngroups; j++) {
			o->groups[j].claimed = 0;
			smap_put(&a->bykey, o->groups[j].key, &o->groups[j]);
		}
	}
	return 0;
}

/* 1. rules: unchanged ones are kept as they are, the others built anew. */
static int
apply_build_rules(struct apply *a)
{
	const struct store *st = a->st;
	char e2[ERRLEN];
	size_t i, j;

	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *sr = &st->rules[i];
		struct rt_rule *old;
		char *fp;

		if (!sr->enabled || !(sr->protocols & (PROTO_TCP | PROTO_UDP)))
			continue;
		if (!rule_supported(sr, e2)) {
			log_warn("%s", e2);
			continue;
		}
		fp = fingerprint(sr);
		if (!fp) {
			snprintf(a->err, ERRLEN, "out of memory");
			return -1;
		}
		old = smap_get(&a->byname, sr->name);
		if (old)
			old->kept = 1;   /* kept or changed: its counters go on under this name */
		if (old && strcmp(old->fp, fp) == 0 && strcmp(old->src->gfp, a->src->gfp) == 0) {
			free(fp);
			rt_rule_ref(old);
			for (j = 0; j < old->ngroups; j++)
				old->groups[j].claimed = 1;
			a->reused[a->n] = 1;
			a->nr[a->n++] = old;
			continue;
		}
		a->nr[a->n] = rule_new(a->src, sr, fp, old ? old->st : NULL, a->err);
		if (!a->nr[a->n])
			return -1;
		a->n++;
	}
	log_debug("apply: %zu rules built in %lld ms", a->n, (long long)(now_ms() - a->t0));
	return 0;
}

/* The listener groups' arrays of the rules built anew, and whether each new
 * port gets one worker only: sockets per worker would take more than half
 * of the descriptors allowed. */
static int
apply_alloc_groups(struct apply *a)
{
	struct rlimit rl;
	int nw = a->rt->nworkers;
	size_t i, all;

	for (i = 0; i < a->n; i++)
		if (!a->reused[i]) {
			const struct store_rule *r = a->nr[i]->r;
			size_t np = store_listen_count(r);
			unsigned lp = tun_listen_protos(r);   /* an exit's UDP rides in its TCP tunnel */
			size_t ng = np * (size_t)(((lp & PROTO_TCP) != 0) + ((lp & PROTO_UDP) != 0));

			a->nr[i]->groups = calloc(ng, sizeof(*a->nr[i]->groups));
			if (!a->nr[i]->groups)
				goto oom;
			a->ngroups_total += ng;
		}
	a->from = calloc(a->ngroups_total + 1, sizeof(*a->from));
	if (!a->from)
		goto oom;
	all = a->ngroups_total;
	for (i = 0; i < a->n; i++)
		if (a->reused[i])
			all += a->nr[i]->ngroups;
	if (nw > 1 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    all * (size_t)nw > rl.rlim_cur / 2) {
		a->spread = 1;
		log_info("%zu listening ports x %d workers would use more than half of the %llu "
		    "descriptors allowed: each new port is served by one worker", all, nw,
		    (unsigned long long)rl.rlim_cur);
	}
	return 0;
oom:
	snprintf(a->err, ERRLEN, "out of memory");
	return -1;
}

/* One new group of r (proto, the pi-th listen port): takes over the old group with its key
 * (bound, unclaimed), else opens its sockets; one that cannot bind waits. */
static int
apply_group(struct apply *a, struct rt_rule *r, int proto, size_t pi, size_t *gi)
{
	struct rt_lgroup *g = &r->groups[r->ngroups], *old;
	int nw = a->rt->nworkers;
	char e2[ERRLEN];

	g->proto = proto;
	g->port = (uint16_t)store_listen_port(r->r, pi);
	g->port_off = (uint16_t)pi;
	g->key = rt_group_key(r->r, proto, g->port);
	r->ngroups++;
	if (!g->key) {
		snprintf(a->err, ERRLEN, "out of memory");
		return -1;
	}
	old = smap_get(&a->bykey, g->key);
	if (old && !old->claimed) {
		old->claimed = 1;
		if (!old->pending) {   /* a waiting one is tried afresh below */
			a->from[(*gi)++] = old;
			return 0;
		}
	}
	a->from[(*gi)++] = NULL;
	if (rt_group_open(a->rt, r, g, a->spread ? (int)(*gi % (size_t)nw) : -1, e2) == -2) {
		snprintf(a->err, ERRLEN, "%s", e2);
		return -1;
	}
	if (g->lsn && rt_group_count(g, nw) == 0) {   /* the rule's other listeners serve */
		g->pending = 1;
		g->why = strdup(e2);
		g->next_try = now_ms() + RT_BIND_RETRY_MS;
	}
	return 0;
}

/* 2. listener groups of new and changed rules: take over or open. */
static int
apply_open_groups(struct apply *a)
{
	size_t i, gi = 0;

	for (i = 0; i < a->n; i++) {
		struct rt_rule *r = a->nr[i];
		int p;

		if (a->reused[i])
			continue;
		for (p = 0; p < 2; p++) {
			int proto = p ? PROTO_UDP : PROTO_TCP;
			size_t np = store_listen_count(r->r), pi;

			if (!(tun_listen_protos(r->r) & (unsigned)proto))
				continue;
			for (pi = 0; pi < np; pi++)   /* a list's ports in order: the offset maps a remote range */
				if (apply_group(a, r, proto, pi, &gi) < 0)
					return -1;
		}
	}
	log_debug("apply: listeners ready in %lld ms", (long long)(now_ms() - a->t0));
	return 0;
}

/* 3a. the workers get the new rules' listeners: taken over (RT_SET) or
 * new (RT_ADD). Returns how many listeners the new set has. */
static size_t
apply_hand_over(struct apply *a)
{
	struct rt *rt = a->rt;
	int nw = rt->nworkers, k;
	size_t i, j, gi = 0, nlsn = 0;

	rt->npending = 0;
	for (i = 0; i < a->n; i++) {
		struct rt_rule *r = a->nr[i];
		size_t waiting = 0;

		for (j = 0; j < r->ngroups; j++)
			waiting += r->groups[j].pending != 0;
		rt->npending += waiting;
		if (a->reused[i]) {
			for (j = 0; j < r->ngroups; j++)
				nlsn += rt_group_count(&r->groups[j], nw);
			continue;
		}
		if (waiting)
			rt_bind_failed(rt, r, waiting);
		for (j = 0; j < r->ngroups; j++, gi++) {
			struct rt_lgroup *g = &r->groups[j];

			if (a->from[gi]) {
				g->lsn = a->from[gi]->lsn;
				a->from[gi]->lsn = NULL;
				for (k = 0; k < nw; k++)
					if (g->lsn[k]) {
						rt_rule_ref(r);
						send_msg(&rt->w[k], RT_SET, g->lsn[k], r);
					}
			} else
				for (k = 0; k < nw; k++)
					if (g->lsn[k]) {
						rt_rule_ref(r);
						g->lsn[k]->rule = r;
						send_msg(&rt->w[k], RT_ADD, g->lsn[k], NULL);
					}
			nlsn += rt_group_count(g, nw);
		}
	}
	return nlsn;
}

/* 3. commit: nothing can fail from here on. The old set's unclaimed
 * listeners close, the workers learn the health state again, the old
 * rules retire and the new set runs. */
static void
apply_commit(struct apply *a, struct store *caller_st)
{
	struct rt *rt = a->rt;
	int nw = rt->nworkers, k;
	size_t i, j, nlsn = apply_hand_over(a);

	for (i = 0; i < rt->nrules; i++) {
		struct rt_rule *o = rt->rules[i];
		for (j = 0; j < o->ngroups; j++) {
			struct rt_lgroup *g = &o->groups[j];
			if (g->claimed || !g->lsn)
				continue;
			for (k = 0; k < nw; k++)
				if (g->lsn[k])
					send_msg(&rt->w[k], RT_DEL, g->lsn[k], NULL);
			free(g->lsn);
			g->lsn = NULL;
		}
	}
	if (rt->health)   /* new rules start with what the health checks know */
		for (k = 0; k < nw; k++) {
			__atomic_add_fetch(&rt->health->refs, 1, __ATOMIC_RELAXED);
			rt_worker_send(&rt->w[k], RT_HEALTH, NULL, NULL, rt->health);
		}
	for (k = 0; k < nw; k++)
		rt_worker_poke(&rt->w[k]);
	for (i = 0; i < rt->nrules; i++)
		retire(rt, rt->rules[i]);
	free(rt->rules);
	rt->rules = a->nr;
	rt->nrules = a->n;
	rt->nlsn = nlsn;
	a->nr = NULL;
	memset(caller_st, 0, sizeof(*caller_st));   /* the rules own it now */
	rt_store_unref(a->src);
	a->src = NULL;
}

/* Undo what the steps did: the old set runs on untouched, the caller keeps its store. */
static void
apply_rollback(struct apply *a)
{
	struct rt *rt = a->rt;
	size_t i, j, gi = 0;

	for (i = 0; i < rt->nrules; i++)
		rt->rules[i]->kept = 0;
	for (i = 0; i < a->n; i++) {
		struct rt_rule *r = a->nr[i];
		if (!a->reused[i])
			for (j = 0; j < r->ngroups; j++) {
				struct rt_lgroup *g = &r->groups[j];
				if (a->from && gi < a->ngroups_total && a->from[gi])
					a->from[gi]->claimed = 0;
				else if (g->lsn)
					rt_lsn_close_unsent(g->lsn, rt->nworkers);
				gi++;
			}
		rt_rule_unref(r);
	}
	free(a->src);   /* refs back to 1: the store's arrays are still the caller's */
	a->src = NULL;
}

int
rt_apply(struct rt *rt, struct store *caller_st, char *err)
{
	struct apply a;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	a.rt = rt;
	a.err = err;
	a.t0 = now_ms();
	a.src = calloc(1, sizeof(*a.src));
	if (!a.src) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	a.src->refs = 1;   /* this function's own: the rules add theirs */
	net_local_cc(local_cc, NULL);
	net_local_read(&a.src->local);   /* what is on this machine: rt_remote_cc, loopguard.h */
	a.src->st = *caller_st;
	a.st = &a.src->st;
	if (!(a.src->gfp = store_global_fingerprint(a.st)) || apply_index_old(&a) < 0) {
		snprintf(err, ERRLEN, "out of memory");
		free(a.src->gfp);
		free(a.src);
		goto out;
	}
	if (apply_build_rules(&a) < 0 || apply_alloc_groups(&a) < 0 || apply_open_groups(&a) < 0) {
		apply_rollback(&a);
		goto out;
	}
	apply_commit(&a, caller_st);
	rc = 0;
out:
	free(a.nr);
	free(a.from);
	free(a.reused);
	smap_free(&a.byname);
	smap_free(&a.bykey);
	return rc;
}

void
rt_health(struct rt *rt, struct hc_state *hs)
{
	struct rt_health *h = calloc(1, sizeof(*h));
	int k;

	if (!h) {
		hc_state_free(hs);
		return;
	}
	h->s = *hs;
	memset(hs, 0, sizeof(*hs));
	h->refs = 1 + rt->nworkers;
	rt_health_unref(rt->health);
	rt->health = h;
	for (k = 0; k < rt->nworkers; k++) {
		rt_worker_send(&rt->w[k], RT_HEALTH, NULL, NULL, h);
		rt_worker_poke(&rt->w[k]);
	}
}

void
rt_stop(struct rt *rt)
{
	int k;

	for (k = 0; k < rt->nworkers; k++)
		if (rt->w[k].started) {   /* thread started */
			send_msg(&rt->w[k], RT_STOP, NULL, NULL);
			rt_worker_poke(&rt->w[k]);
		}
	for (k = 0; k < rt->nworkers; k++)
		if (rt->w[k].started) {
			pthread_join(rt->w[k].th, NULL);
			rt->w[k].started = 0;
		}
}

void
rt_free(struct rt *rt)
{
	size_t i;
	int k;

	if (!rt)
		return;
	rt_stop(rt);
	for (k = 0; k < rt->nworkers; k++)
		rt_worker_cleanup(&rt->w[k]);
	for (i = 0; i < rt->nrules; i++) {
		struct rt_rule *r = rt->rules[i];
		size_t j;
		for (j = 0; j < r->ngroups; j++) {   /* listeners were closed by their workers */
			free(r->groups[j].lsn);
			r->groups[j].lsn = NULL;
		}
		rt_rule_unref(r);
	}
	free(rt->rules);
	for (i = 0; i < rt->nretired; i++)
		rt_rule_unref(rt->retired[i]);
	free(rt->retired);
	free(rt->w);
	free(rt->cpus);
	free(rt->steer_base);
	rt_health_unref(rt->health);
	res_free(rt_conf.res);
	rt_conf.res = NULL;
	free(rt);
}

/* ---- the stats file ---- */

void
rt_rule_sum(const struct rt *rt, const struct rt_rule *r, struct rt_counters *out)
{
	uint64_t *sv = (uint64_t *)(void *)out;
	size_t nf = offsetof(struct rt_counters, tpool_failed) / sizeof(uint64_t) + 1, x;
	int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < rt->nworkers; k++) {
		const uint64_t *wv = (const uint64_t *)(const void *)&r->st->w[k];
		for (x = 0; x < nf; x++)
			sv[x] += __atomic_load_n(&wv[x], __ATOMIC_RELAXED);
	}
}

struct rt_rule *const *
rt_rules(const struct rt *rt, size_t *n)
{
	*n = rt->nrules;
	return rt->rules;
}

void
rt_keep_retired(struct rt *rt)
{
	rt->keep_retired = 1;
}

struct rt_rule *const *
rt_retired(const struct rt *rt, size_t *n)
{
	*n = rt->nretired;
	return rt->retired;
}

int
rt_rule_draining(const struct rt_rule *r)
{
	/* a rule it replaced before it was removed may still drain into its counters */
	return __atomic_load_n(&r->refs, __ATOMIC_ACQUIRE) > 1 || __atomic_load_n(&r->st->refs, __ATOMIC_ACQUIRE) > 1;
}

void
rt_retired_drop(struct rt *rt, struct rt_rule *r)
{
	size_t i;

	for (i = 0; i < rt->nretired; i++)
		if (rt->retired[i] == r) {
			rt->retired[i] = rt->retired[--rt->nretired];
			rt_rule_unref(r);
			return;
		}
}

const struct hc_state *
rt_health_state(const struct rt *rt)
{
	return rt->health ? &rt->health->s : NULL;
}

void
rt_kick(struct rt *rt)
{
	int k;

	for (k = 0; k < rt->nworkers; k++)
		if (rt->w[k].started) {
			send_msg(&rt->w[k], RT_KICK, NULL, NULL);
			rt_worker_poke(&rt->w[k]);
		}
}
