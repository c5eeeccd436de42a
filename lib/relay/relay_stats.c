/* The relay's figures for others to read: the stats file that `xwpf status`
 * reads (rewritten atomically every second) and the Prometheus text that
 * lib/relay/metrics.c serves. Both read the runtime through runtime.h only. */
#include "runtime.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "healthcheck.h"
#include "json.h"
#include "metrics.h"
#include "util.h"

/* The stage of a failure text: "tcp", "tls", "ws", "dns", "handshake"
 * (a handshake timeout), "" when there is none. */
static void
fail_stage(const char *why, char *out, size_t size)
{
	size_t n = strcspn(why, ": ");

	if (strncmp(why, "handshake timeout", 17) == 0)
		snprintf(out, size, "handshake");
	else if (why[n] == ':' && n > 0 && n < size)
		snprintf(out, size, "%.*s", (int)n, why);
	else
		*out = '\0';
}

/* The warm tunnel pool's figures of a rule (or of all), as a JSON object. */
static void
pool_json(FILE *f, const struct rt_counters *s)
{
	fprintf(f, "\"tunnel_pool\":{\"hits\":%llu,\"misses\":%llu,\"pooled\":%llu,\"opened\":%llu,"
	    "\"expired\":%llu,\"failed\":%llu}", (unsigned long long)s->tpool_hits,
	    (unsigned long long)s->tpool_misses, (unsigned long long)s->tpool_idle,
	    (unsigned long long)s->tpool_opened, (unsigned long long)s->tpool_expired,
	    (unsigned long long)s->tpool_failed);
}

/* A rule's pool figures into the relay's total. */
static void
pool_add(struct rt_counters *t, const struct rt_counters *s)
{
	t->tpool_hits += s->tpool_hits;
	t->tpool_misses += s->tpool_misses;
	t->tpool_idle += s->tpool_idle;
	t->tpool_opened += s->tpool_opened;
	t->tpool_expired += s->tpool_expired;
	t->tpool_failed += s->tpool_failed;
}

void
rt_stats_render(struct rt *rt, int64_t started_wall_ms, FILE *f)
{
	size_t nrules;
	struct rt_rule *const *rules = rt_rules(rt, &nrules), *const *drain;
	int nworkers = rt_nworkers(rt);
	char hp[300];
	size_t i, j, ndrain;
	int k;
	int64_t now = wall_ms();
	struct rt_counters total;

	memset(&total, 0, sizeof(total));

	drain = rt_retired(rt, &ndrain);
	fprintf(f, "{\"pid\":%d,\"version\":\"%s\",\"started\":%lld,\"updated\":%lld,\"updated_ms\":%lld,"
	    "\"workers\":%d,\"steering\":%s,\"worker_conns\":[", (int)getpid(), XWPF_VERSION,
	    (long long)(started_wall_ms / 1000), (long long)(now / 1000), (long long)now, nworkers,
	    rt_steering(rt) ? "true" : "false");
	for (k = 0; k < nworkers; k++)   /* TCP connections each worker accepted, the running rules' */
		fprintf(f, "%s%llu", k ? "," : "", (unsigned long long)rt_worker_conns(rt, k));
	fprintf(f, "],\"listeners\":%zu,", rt_nlisteners(rt));
	fprintf(f, "\"draining\":%zu,\"draining_rules\":[", ndrain);
	for (i = 0; i < ndrain; i++) {   /* removed by a reload: what they still carry (on the first line) */
		struct rt_counters s;

		rt_rule_sum(rt, drain[i], &s);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_str(f, drain[i]->r->name);
		fprintf(f, ",\"tcp_active\":%llu,\"udp_active\":%llu,\"bytes_up\":%llu,\"bytes_down\":%llu}",
		    (unsigned long long)s.tcp_active, (unsigned long long)s.udp_active,
		    (unsigned long long)s.bytes_up, (unsigned long long)s.bytes_down);
	}
	fputs("],\"rules\":[\n", f);
	for (i = 0; i < nrules; i++) {
		struct rt_rule *r = rules[i];
		struct rt_counters s;
		static const char *const qs[] = { "ok", "stopped", "throttled", "expired" };
		int q = __atomic_load_n(&r->st->quota_state, __ATOMIC_RELAXED);

		rt_rule_sum(rt, r, &s);
		pool_add(&total, &s);   /* the relay's total follows the rules: one sum per rule */
		fprintf(f, "%s{\"name\":", i ? ",\n" : "");
		json_str(f, r->r->name);
		fputs(",\"listen\":", f);
		json_str(f, hostport_format(&r->r->listen, hp, sizeof(hp)));
		fputs(",\"state\":", f);
		{   /* "listening", or why a listener of the rule waits (rt_retry_binds) */
			size_t waiting;
			const struct rt_lgroup *pg = rt_first_pending(r, &waiting);
			char st[ERRLEN + 96];

			if (!pg)
				snprintf(st, sizeof(st), "listening");
			else if (r->ngroups > 1)
				snprintf(st, sizeof(st), "bind failed: %s (%zu of %zu listeners); retrying every %d s",
				    pg->why ? pg->why : "cannot listen", waiting, r->ngroups, RT_BIND_RETRY_MS / 1000);
			else
				snprintf(st, sizeof(st), "bind failed: %s; retrying every %d s",
				    pg->why ? pg->why : "cannot listen", RT_BIND_RETRY_MS / 1000);
			json_str(f, st);
		}
		fprintf(f, ",\"protocol\":\"%s\",\"bytes_up\":%llu,\"bytes_down\":%llu,\"tcp_bytes\":%llu,"
		    "\"udp_bytes\":%llu,\"tcp_active\":%llu,\"tcp_total\":%llu,\"connect_fail\":%llu,\"refused\":%llu,"
		    "\"udp_active\":%llu,\"udp_total\":%llu,\"udp_dropped\":%llu",
		    store_proto_name(r->r->protocols), (unsigned long long)s.bytes_up, (unsigned long long)s.bytes_down,
		    (unsigned long long)s.tcp_bytes, (unsigned long long)s.udp_bytes,
		    (unsigned long long)s.tcp_active, (unsigned long long)s.tcp_total,
		    (unsigned long long)s.connect_fail, (unsigned long long)s.refused,
		    (unsigned long long)s.udp_active, (unsigned long long)s.udp_total,
		    (unsigned long long)s.udp_dropped);
		fprintf(f, ",\"tls_full\":%llu,\"tls_resumed\":%llu", (unsigned long long)s.tls_full,
		    (unsigned long long)s.tls_resumed);
		fputc(',', f);
		pool_json(f, &s);
		for (k = 0; k < 2; k++)
			fprintf(f, ",\"%s\":{\"tcp4\":%llu,\"tcp6\":%llu,\"udp4\":%llu,\"udp6\":%llu}", k ? "out" : "in",
			    (unsigned long long)(k ? s.out : s.in)[LG_TCP][LG_V4],
			    (unsigned long long)(k ? s.out : s.in)[LG_TCP][LG_V6],
			    (unsigned long long)(k ? s.out : s.in)[LG_UDP][LG_V4],
			    (unsigned long long)(k ? s.out : s.in)[LG_UDP][LG_V6]);
		fputs(",\"limit_hits\":{", f);
		for (k = 0; k < LIM_COUNT; k++)
			fprintf(f, "%s\"%s\":%llu", k ? "," : "", lim_reason_names[k], (unsigned long long)s.limit_hits[k]);
		fprintf(f, "},\"quota\":%llu,\"cycle_used\":%llu,\"quota_state\":\"%s\",\"remotes\":[",
		    (unsigned long long)r->st->quota, (unsigned long long)__atomic_load_n(&r->st->cycle_used, __ATOMIC_RELAXED),
		    qs[q >= 0 && q <= 3 ? q : 0]);
		for (j = 0; j < r->nrem; j++) {
			uint64_t c = 0, fl = 0, a = 0;
			int64_t last = 0;
			int le = 0;
			char why[RT_ERR_MAX] = "", stage[16];
			for (k = 0; k < nworkers; k++) {
				struct rt_rcounters *rc2 = &r->rem[j].w[k];
				int64_t lf = __atomic_load_n(&rc2->last_fail_ms, __ATOMIC_RELAXED);
				c += CTR_GET(rc2->connects);
				fl += CTR_GET(rc2->fails);
				a += CTR_GET(rc2->active);
				if (lf > last) {
					last = lf;
					le = __atomic_load_n(&rc2->last_errno, __ATOMIC_RELAXED);
					(void)rt_remote_last_error(rc2, why, sizeof(why));
				}
			}
			if (!*why && le)   /* a failure counted without its text (UDP) */
				snprintf(why, sizeof(why), "tcp: %s", strerror(le));
			fail_stage(why, stage, sizeof(stage));
			fprintf(f, "%s{\"address\":", j ? "," : "");
			json_str(f, hostport_format(&r->rem[j].hp, hp, sizeof(hp)));
			fprintf(f, ",\"connects\":%llu,\"fails\":%llu,\"active\":%llu,\"last_fail\":%lld,\"last_error\":",
			    (unsigned long long)c, (unsigned long long)fl, (unsigned long long)a, (long long)(last / 1000));
			json_str(f, why);
			fputs(",\"last_stage\":", f);
			json_str(f, stage);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("\n],", f);
	pool_json(f, &total);
	fputs("}\n", f);
}

int
rt_stats_write(struct rt *rt, const char *path, int64_t started_wall_ms, char *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	rt_stats_render(rt, started_wall_ms, f);
	if (fclose(f) != 0) {
		free(buf);
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	rc = file_write_atomic_err(path, buf, len, 0600, err);
	free(buf);
	return rc;
}

/* ---- the Prometheus metrics (lib/relay/metrics.h renders and serves them) ---- */

struct rule_sum {
	struct rt_counters c;     /* summed over the workers */
	char name[STORE_NAME_MAX + 1];
};

/* Per-rule families that are one counter field each. */
static const struct {
	const char *name, *type, *help;
	size_t off;
} rule_fams[] = {
	{ "xwpf_rule_up_bytes_total", "counter", "Bytes from clients delivered to remotes (TCP and UDP).",
	    offsetof(struct rt_counters, bytes_up) },
	{ "xwpf_rule_down_bytes_total", "counter", "Bytes from remotes delivered to clients (TCP and UDP).",
	    offsetof(struct rt_counters, bytes_down) },
	{ "xwpf_rule_connections_active", "gauge", "TCP connections open now.",
	    offsetof(struct rt_counters, tcp_active) },
	{ "xwpf_rule_connections_total", "counter", "TCP connections accepted.",
	    offsetof(struct rt_counters, tcp_total) },
	{ "xwpf_rule_connect_failures_total", "counter", "Connections (or UDP associations) that found no backend.",
	    offsetof(struct rt_counters, connect_fail) },
	{ "xwpf_rule_refused_total", "counter", "Clients accepted and closed at once: out of descriptors or memory.",
	    offsetof(struct rt_counters, refused) },
	{ "xwpf_rule_udp_associations_active", "gauge", "UDP associations (client addresses) open now.",
	    offsetof(struct rt_counters, udp_active) },
	{ "xwpf_rule_udp_associations_total", "counter", "UDP associations opened.",
	    offsetof(struct rt_counters, udp_total) },
	{ "xwpf_rule_udp_dropped_total", "counter", "UDP datagrams dropped (no association possible, truncated, "
	    "or the socket refused them).", offsetof(struct rt_counters, udp_dropped) },
	{ "xwpf_rule_tls_full_handshakes_total", "counter", "TLS handshakes of the rule's tunnels with a key exchange.",
	    offsetof(struct rt_counters, tls_full) },
	{ "xwpf_rule_tls_resumed_handshakes_total", "counter", "TLS handshakes of the rule's tunnels that resumed a "
	    "session (one round trip, no key exchange).", offsetof(struct rt_counters, tls_resumed) },
	{ "xwpf_rule_tunnel_pool_hits_total", "counter", "Clients that took a warm (pooled) tunnel connection.",
	    offsetof(struct rt_counters, tpool_hits) },
	{ "xwpf_rule_tunnel_pool_misses_total", "counter", "Clients of a pooling rule that found no warm tunnel "
	    "connection and connected.", offsetof(struct rt_counters, tpool_misses) },
	{ "xwpf_rule_tunnel_pool_connections", "gauge", "Warm tunnel connections waiting for a client now.",
	    offsetof(struct rt_counters, tpool_idle) },
	{ "xwpf_rule_tunnel_pool_opened_total", "counter", "Warm tunnel connections opened (handshakes through).",
	    offsetof(struct rt_counters, tpool_opened) },
	{ "xwpf_rule_tunnel_pool_expired_total", "counter", "Warm tunnel connections closed unused (their lifetime, "
	    "or no longer wanted).", offsetof(struct rt_counters, tpool_expired) },
	{ "xwpf_rule_tunnel_pool_failed_total", "counter", "Warm tunnel connections that failed: a handshake, or "
	    "closed by the exit while waiting.", offsetof(struct rt_counters, tpool_failed) },
};

static const char *const proto_names[2] = { "tcp", "udp" };
static const char *const family_names[2] = { "ipv4", "ipv6" };
static const char *const quota_names[4] = { "ok", "stopped", "throttled", "expired" };

static void
render_split(struct prom *p, const struct rule_sum *s, size_t n, int out)
{
	size_t i;
	int a, b;

	prom_family(p, out ? "xwpf_rule_sent_bytes_total" : "xwpf_rule_received_bytes_total", "counter",
	    out ? "Bytes sent to clients, by protocol and the client's address family."
	        : "Bytes received from clients, by protocol and the client's address family.");
	for (i = 0; i < n; i++)
		for (a = 0; a < 2; a++)
			for (b = 0; b < 2; b++) {
				struct prom_label l[3] = { { "rule", s[i].name }, { "proto", proto_names[a] },
					{ "family", family_names[b] } };
				prom_u64(p, l, 3, out ? s[i].c.out[a][b] : s[i].c.in[a][b]);
			}
}

static void
render_backends(struct rt *rt, struct prom *p, int what)
{
	size_t nrules;
	struct rt_rule *const *rules = rt_rules(rt, &nrules);
	int nworkers = rt_nworkers(rt);
	static const char *const fam[4][3] = {
		{ "xwpf_backend_connects_total", "counter", "Connects to the backend that succeeded." },
		{ "xwpf_backend_failures_total", "counter", "Connects to the backend that failed or timed out." },
		{ "xwpf_backend_connections_active", "gauge", "Connections to the backend open now." },
		{ "xwpf_backend_up", "gauge", "Active health from the health state: 1 up, 0 down, NaN when no "
		    "check has judged the backend (the balancer then counts it as up)." },
	};
	size_t i, j;
	int k;

	prom_family(p, fam[what][0], fam[what][1], fam[what][2]);
	for (i = 0; i < nrules; i++) {
		struct rt_rule *r = rules[i];
		for (j = 0; j < r->nrem; j++) {
			char id[300];
			struct prom_label l[2] = { { "rule", r->r->name }, { "backend", id } };
			uint64_t v = 0;

			hostport_format(&r->rem[j].hp, id, sizeof(id));
			if (what == 3) {
				const struct hc_entry *e = rt_health_state(rt) ? hc_state_find(rt_health_state(rt), r->r->name, id) : NULL;
				prom_f64(p, l, 2, e ? (e->up ? 1.0 : 0.0) : NAN);
				continue;
			}
			for (k = 0; k < nworkers; k++) {
				struct rt_rcounters *c = &r->rem[j].w[k];
				v += what == 0 ? CTR_GET(c->connects) : what == 1 ? CTR_GET(c->fails) : CTR_GET(c->active);
			}
			prom_u64(p, l, 2, v);
		}
	}
}

int
rt_metrics_write(struct rt *rt, struct prom *p, int64_t started_wall_ms)
{
	size_t nrules;
	struct rt_rule *const *rules = rt_rules(rt, &nrules);
	int nworkers = rt_nworkers(rt);
	struct rule_sum *s;
	struct prom_label ver = { "version", XWPF_VERSION };
	size_t n = nrules, i, f;
	int x, q;

	s = n ? aligned_alloc(64, n * sizeof(*s)) : NULL;
	if (n && !s) {
		p->failed = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		rt_rule_sum(rt, rules[i], &s[i].c);
		snprintf(s[i].name, sizeof(s[i].name), "%s", rules[i]->r->name);
	}
	prom_family(p, "xwpf_info", "gauge", "The relay's version (always 1).");
	prom_u64(p, &ver, 1, 1);
	prom_family(p, "xwpf_start_time_seconds", "gauge", "When the relay started, seconds since the epoch.");
	prom_f64(p, NULL, 0, (double)started_wall_ms / 1000.0);
	prom_family(p, "xwpf_uptime_seconds", "gauge", "Seconds since the relay started.");
	prom_f64(p, NULL, 0, (double)(wall_ms() - started_wall_ms) / 1000.0);
	prom_family(p, "xwpf_workers", "gauge", "Event-loop worker threads.");
	prom_u64(p, NULL, 0, (uint64_t)nworkers);
	prom_family(p, "xwpf_rules", "gauge", "Rules running.");
	prom_u64(p, NULL, 0, n);
	{
		size_t ndrain;
		(void)rt_retired(rt, &ndrain);
		prom_family(p, "xwpf_rules_draining", "gauge", "Rules a reload removed whose connections still drain "
		    "(their bytes go to the ledger until the last one ends).");
		prom_u64(p, NULL, 0, ndrain);
	}
	prom_family(p, "xwpf_listeners", "gauge", "Listening sockets (one per rule, protocol, port and worker).");
	prom_u64(p, NULL, 0, rt_nlisteners(rt));
	prom_family(p, "xwpf_listeners_pending", "gauge", "Listen addresses (port and protocol) that could not be "
	    "bound yet: retried every few seconds.");
	prom_u64(p, NULL, 0, rt_npending(rt));
	prom_family(p, "xwpf_rule_listeners_pending", "gauge", "The rule's listen addresses (port and protocol) that "
	    "could not be bound yet; 0 when all serve.");
	for (i = 0; i < n; i++) {
		struct prom_label l = { "rule", s[i].name };
		size_t waiting;
		(void)rt_first_pending(rules[i], &waiting);
		prom_u64(p, &l, 1, waiting);
	}
	render_split(p, s, n, 0);
	render_split(p, s, n, 1);
	for (f = 0; f < ARRAY_SIZE(rule_fams); f++) {
		prom_family(p, rule_fams[f].name, rule_fams[f].type, rule_fams[f].help);
		for (i = 0; i < n; i++) {
			struct prom_label l = { "rule", s[i].name };
			prom_u64(p, &l, 1, *(const uint64_t *)(const void *)((const char *)&s[i].c + rule_fams[f].off));
		}
	}
	prom_family(p, "xwpf_rule_limit_hits_total", "counter", "Connections or datagrams turned away by a limit, "
	    "by reason.");
	for (i = 0; i < n; i++)
		for (x = 0; x < LIM_COUNT; x++) {
			struct prom_label l[2] = { { "rule", s[i].name }, { "reason", lim_reason_names[x] } };
			prom_u64(p, l, 2, s[i].c.limit_hits[x]);
		}
	prom_family(p, "xwpf_rule_quota_bytes", "gauge", "The rule's quota per billing cycle; 0 = none.");
	for (i = 0; i < n; i++) {
		struct prom_label l = { "rule", s[i].name };
		prom_u64(p, &l, 1, rules[i]->lim.quota);   /* as configured: right before the first flush too */
	}
	prom_family(p, "xwpf_rule_cycle_used_bytes", "gauge", "Bytes billed in this cycle (billing mode applied).");
	for (i = 0; i < n; i++) {
		struct prom_label l = { "rule", s[i].name };
		prom_u64(p, &l, 1, CTR_GET(rules[i]->st->cycle_used));
	}
	prom_family(p, "xwpf_rule_quota_state", "gauge", "1 for the rule's quota state (ok, stopped, throttled, expired), "
	    "0 for the others.");
	for (i = 0; i < n; i++) {
		int st = CTR_GET(rules[i]->st->quota_state);
		for (q = 0; q < 4; q++) {
			struct prom_label l[2] = { { "rule", s[i].name }, { "state", quota_names[q] } };
			prom_u64(p, l, 2, st == q);
		}
	}
	for (x = 0; x < 4; x++)
		render_backends(rt, p, x);
	free(s);
	return p->failed ? -1 : 0;
}
