/*
 * realm configs (docs/compat.md, realm's config) to store rules: one rule per
 * [[endpoints]] entry (or per port of the legacy listening_ports form). A
 * config may come in parts (the files of a folder): each key of [network],
 * [log] and [dns] takes its value from the first part that has it, endpoints
 * concatenate. An endpoint's network key comes from the command line's
 * override, else the endpoint's own network table, else [network].
 */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

#define MAX_NETS (MIG_REALM_MAX_PARTS + 2)

struct rctx {
	const struct json_val *const *parts;
	size_t nparts;
	const struct json_val *over;           /* the command line: {"network": {}, "log": {}, "dns": {}} */
	const struct mig_realm_opts *o;
	struct mig_result *m;
	const struct json_val *nets[MAX_NETS]; /* override, endpoint, each part's [network] */
	size_t nnets;
	char where[64];
	int noted;                         /* deprecated keys already named (once each) */
};

static const char *const net_keys[] = {
	"no_tcp", "use_udp", "ipv6_only", "tcp_timeout", "udp_timeout", "tcp_keepalive", "tcp_keepalive_probe",
	"send_mptcp", "accept_mptcp", "send_proxy", "send_proxy_version", "accept_proxy", "accept_proxy_timeout",
	"accept_timeout", "zero_copy", "fast_open", NULL
};
static const char *const ep_keys[] = {
	"listen", "local", "remote", "extra_remotes", "balance", "through", "interface", "listen_interface",
	"listen_transport", "remote_transport", "network", NULL
};

static const char *const top_keys[] = {
	"log", "dns", "network", "endpoints", "listening_addresses", "listening_ports", "remote_addresses",
	"remote_ports", NULL
};
static const char *const log_keys[] = { "level", "output", NULL };
static const char *const dns_keys[] = { "mode", "protocol", "nameservers", "min_ttl", "max_ttl", "cache_size", NULL };

static const char *
str_of(const struct json_val *v)
{
	return v && v->t == JSON_STR ? v->s : NULL;
}

static int
in_list(const char *const *list, const char *k)
{
	for (; *list; list++)
		if (strcmp(*list, k) == 0)
			return 1;
	return 0;
}

/* Keys realm does not know are ignored by realm too; say so rather than stay silent. */
static void
unknown_keys(struct rctx *c, const struct json_val *obj, const char *const *known, const char *what)
{
	size_t i;

	if (!obj || obj->t != JSON_OBJ)
		return;
	for (i = 0; i < obj->n; i++)
		if (!in_list(known, obj->keys[i]))
			mig_warn(c->m, "%s: unknown key %s%s%.60s ignored (realm ignores it too)", c->where, what,
			    *what ? "." : "", obj->keys[i]);
}

static const struct json_val *
net_get(const struct rctx *c, const char *key)
{
	const struct json_val *v;
	size_t i;

	for (i = 0; i < c->nnets; i++)
		if ((v = json_get(c->nets[i], key)) != NULL)
			return v;
	if (strcmp(key, "accept_proxy_timeout") == 0)   /* realm's reference calls it accept_timeout */
		return net_get(c, "accept_timeout");
	return NULL;
}

static int
net_bool(const struct rctx *c, const char *key, char *err)
{
	const struct json_val *v = net_get(c, key);

	if (!v)
		return 0;
	if (v->t != JSON_BOOL) {
		snprintf(err, ERRLEN, "%s: network.%s must be true or false", c->where, key);
		return -1;
	}
	return v->b;
}

/* a whole number up to max, or -1 when absent; -2 on a bad value */
static long
net_num(const struct rctx *c, const char *key, long max, char *err)
{
	const struct json_val *v = net_get(c, key);

	if (!v)
		return -1;
	if (v->t != JSON_NUM || v->num < 0 || v->num > max || (double)(long)v->num != v->num) {
		snprintf(err, ERRLEN, "%s: network.%s must be a whole number from 0 to %ld", c->where, key, max);
		return -2;
	}
	return (long)v->num;
}

/* "roundrobin: 4, 2, 1" -> mode and weights; realm's weights are bytes, 0 = never picked */
static int
balance(const char *s, char *mode, size_t msize, long *w, size_t *nw, const char *where, char *err)
{
	char buf[1024], *colon, *p, *tok, *save = NULL;

	if (str_copy(buf, sizeof(buf), s) < 0) {
		snprintf(err, ERRLEN, "%s: balance is too long", where);
		return -1;
	}
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	p = str_trim(buf);
	if (strcmp(p, "roundrobin") != 0 && strcmp(p, "iphash") != 0 && strcmp(p, "off") != 0) {
		snprintf(err, ERRLEN, "%s: balance '%.60s' is not roundrobin, iphash or off", where, s);
		return -1;
	}
	snprintf(mode, msize, "%s", p);
	*nw = 0;
	if (colon)
		for (tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			tok = str_trim(tok);
			if (!*tok)
				continue;
			if (*nw >= STORE_MAX_REMOTES || parse_long(tok, 0, 255, &w[*nw]) < 0) {
				snprintf(err, ERRLEN, "%s: balance weights are numbers from 0 to 255, not '%.30s'", where, tok);
				return -1;
			}
			(*nw)++;
		}
	return 0;
}

static int
copy_str(struct mig_rule *r, const struct json_val *ep, const char *rkey, const char *skey, char *err)
{
	const struct json_val *v = json_get(ep, rkey);

	if (!v)
		return 0;
	if (v->t != JSON_STR) {
		snprintf(err, ERRLEN, "%s: %s must be a string", r->origin, rkey);
		return -1;
	}
	if (!*v->s)
		return 0;
	return mig_set(r, skey, v->s, err);
}

/* realm binds the first address a listen name resolves to; "localhost" is 127.0.0.1 */
static int
listen_addr(struct rctx *c, const char *listen, char *out, size_t size, char *err)
{
	char buf[HOST_MAX + 32], host[HOST_MAX + 1], *colon;
	const char *h = listen;

	if (mig_listen(listen, buf, sizeof(buf)) < 0)
		goto bad;
	colon = strrchr(buf, ':');
	*colon = '\0';
	h = buf[0] == '[' ? buf + 1 : buf;
	if (buf[0] == '[')
		buf[strlen(buf) - 1] = '\0';
	if (addr_family_of(h)) {
		snprintf(out, size, "%s%s%s:%s", buf[0] == '[' ? "[" : "", h, buf[0] == '[' ? "]" : "", colon + 1);
		return 0;
	}
	if (strcmp(h, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (!c->o || !c->o->resolve || c->o->resolve(h, host, sizeof(host), c->o->arg) < 0) {
		snprintf(err, ERRLEN, "%s: listen host '%.60s' does not resolve to an address%s", c->where, h,
		    c->o && c->o->resolve ? "" : "; give an IP address");
		return -1;
	}
	if (strchr(host, ':'))
		snprintf(out, size, "[%s]:%s", host, colon + 1);
	else
		snprintf(out, size, "%s:%s", host, colon + 1);
	return 0;
bad:
	snprintf(err, ERRLEN, "%s: listen '%.60s' is not ADDRESS:PORT", c->where, listen);
	return -1;
}

/* remote, extra_remotes and balance: weight 0 drops a peer (realm never picks it) */
static int
remotes(struct rctx *c, struct mig_rule *r, const char *remote, const struct json_val *ep, char *err)
{
	const struct json_val *xr = json_get(ep, "extra_remotes"), *bv = json_get(ep, "balance");
	const char *peer[STORE_MAX_REMOTES];
	long w[STORE_MAX_REMOTES];
	char mode[16] = "off", wbuf[STORE_MAX_REMOTES * 4 + 1];
	size_t np = 0, nw = 0, i, kept = 0, len = 0;

	peer[np++] = remote;
	if (xr && xr->t != JSON_ARR)
		goto bad_xr;
	for (i = 0; xr && i < xr->n; i++) {
		if (xr->v[i]->t != JSON_STR)
			goto bad_xr;
		if (np >= STORE_MAX_REMOTES) {
			snprintf(err, ERRLEN, "%s: more than %d remotes", c->where, STORE_MAX_REMOTES);
			return -1;
		}
		peer[np++] = xr->v[i]->s;
	}
	if (bv && !str_of(bv)) {
		snprintf(err, ERRLEN, "%s: balance must be a string such as \"roundrobin: 2, 1\"", c->where);
		return -1;
	}
	if (bv && balance(bv->s, mode, sizeof(mode), w, &nw, c->where, err) < 0)
		return -1;
	if (strcmp(mode, "off") == 0 || nw == 0) {   /* without balance realm takes the first peer */
		for (i = 0; i < np; i++)
			if (mig_set(r, "remote", peer[i], err) < 0)
				return -1;
		return np > 1 ? mig_set(r, "balance", mode, err) : 0;   /* no weights: equal shares */
	}
	if (nw > np) {
		snprintf(err, ERRLEN, "%s: balance has %zu weights for %zu peers (remote and extra_remotes)", c->where,
		    nw, np);
		return -1;
	}
	for (i = 0; i < np; i++) {
		if (i >= nw || w[i] == 0) {
			mig_warn(c->m, "%s: peer %.80s has %s: realm never picks it, so it is left out", c->where,
			    peer[i], i >= nw ? "no weight" : "weight 0");
			continue;
		}
		if (mig_set(r, "remote", peer[i], err) < 0)
			return -1;
		len += (size_t)snprintf(wbuf + len, sizeof(wbuf) - len, "%s%ld", kept ? "," : "", w[i]);
		kept++;
	}
	if (!kept) {
		snprintf(err, ERRLEN, "%s: every balance weight is 0: no peer to forward to", c->where);
		return -1;
	}
	if (kept > 1 && (mig_set(r, "balance", mode, err) < 0 || mig_set(r, "weights", wbuf, err) < 0))
		return -1;
	return 0;
bad_xr:
	snprintf(err, ERRLEN, "%s: extra_remotes must be a list of strings", c->where);
	return -1;
}

/* through = "[2001:db8::1]" (realm strips the brackets), "IP" or "IP:PORT" */
static int
through(struct rctx *c, struct mig_rule *r, const struct json_val *ep, char *err)
{
	const char *t = str_of(json_get(ep, "through"));
	char buf[HOST_MAX + 3];
	size_t n;

	if (!json_get(ep, "through"))
		return 0;
	if (!t) {
		snprintf(err, ERRLEN, "%s: through must be a string", c->where);
		return -1;
	}
	n = strlen(t);
	if (n > 2 && t[0] == '[' && t[n - 1] == ']' && n - 2 < sizeof(buf)) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(n - 2), t + 1);
		return mig_set(r, "through", buf, err);
	}
	return *t ? mig_set(r, "through", t, err) : 0;
}

/* seconds from the network table into a store key, with realm's 0 meaning */
static int
secs(struct rctx *c, struct mig_rule *r, const char *key, const char *skey, long lo, long zero_as, char *err)
{
	long t = net_num(c, key, 86400, err);

	if (t == -2)
		return -1;
	if (t < 0)
		return 0;
	if (t == 0 && zero_as >= 0) {
		mig_warn(c->m, "%s: %s = 0 is taken as %ld s (the %s of xwpf)", c->where, key, zero_as,
		    zero_as == 600 ? "longest" : "shortest");
		t = zero_as;
	}
	if (t < lo)
		t = lo;
	return mig_setf(r, skey, err, "%lds", t);
}

static int
network(struct rctx *c, struct mig_rule *r, const char *listen, char *err)
{
	int tcp, udp, sp, ap, sm, am, v6;
	long ver, t;
	char buf[64];

	if ((tcp = net_bool(c, "no_tcp", err)) < 0 || (udp = net_bool(c, "use_udp", err)) < 0 ||
	    (sp = net_bool(c, "send_proxy", err)) < 0 || (ap = net_bool(c, "accept_proxy", err)) < 0 ||
	    (sm = net_bool(c, "send_mptcp", err)) < 0 || (am = net_bool(c, "accept_mptcp", err)) < 0 ||
	    (v6 = net_bool(c, "ipv6_only", err)) < 0)
		return -1;
	tcp = !tcp;
	if (!tcp && !udp) {
		snprintf(err, ERRLEN, "%s: no_tcp without use_udp forwards nothing; remove no_tcp or add use_udp", c->where);
		return -1;
	}
	if (mig_set(r, "protocol", tcp && udp ? "tcp+udp" : tcp ? "tcp" : "udp", err) < 0)
		return -1;
	/* realm has no UDP in a tunnel: it sends it plain beside it, and so does the rule */
	if (udp && (mig_get(r, "listen_transport") || mig_get(r, "remote_transport")) &&
	    mig_set(r, "udp_transport", "plain", err) < 0)
		return -1;
	if ((ver = net_num(c, "send_proxy_version", 2, err)) == -2)
		return -1;
	if (sp && ver == 0) {
		snprintf(err, ERRLEN, "%s: network.send_proxy_version is 1 or 2", c->where);
		return -1;
	}
	if (sp || ap) {
		snprintf(buf, sizeof(buf), "%s%s%s", ap ? "accept" : "", ap && sp ? "+" : "",
		    sp ? (ver == 1 ? "send-v1" : "send-v2") : "");
		if (mig_set(r, "proxy", buf, err) < 0)
			return -1;
	}
	if ((sm || am) && mig_set(r, "mptcp", sm && am ? "both" : sm ? "send" : "accept", err) < 0)
		return -1;
	/* realm's ipv6_only only touches IPv6 sockets: with an IPv4 listen it does nothing */
	if (v6 && listen[0] == '[' && mig_set(r, "ipv6_only", "yes", err) < 0)
		return -1;
	if (secs(c, r, "tcp_timeout", "connect_timeout", 1, 600, err) < 0 ||
	    (udp && secs(c, r, "udp_timeout", "udp_timeout", 1, 1, err) < 0) ||
	    (ap && secs(c, r, "accept_proxy_timeout", "proxy_timeout", 1, 1, err) < 0))
		return -1;
	if ((t = net_num(c, "tcp_keepalive", 86400, err)) == -2)
		return -1;
	if (t >= 0 && (mig_setf(r, "tcp_keepalive", err, "%lds", t) < 0 ||
	    (t > 0 && mig_setf(r, "tcp_keepalive_interval", err, "%lds", t) < 0)))
		return -1;
	if ((t = net_num(c, "tcp_keepalive_probe", 1000000, err)) == -2)
		return -1;
	if (t >= 0 && (t < 1 || t > 127))
		mig_warn(c->m, "%s: tcp_keepalive_probe = %ld is taken as %d (the kernel's range is 1 to 127)",
		    c->where, t, t < 1 ? 1 : 127);
	if (t >= 0 && mig_setf(r, "tcp_keepalive_probes", err, "%ld", t < 1 ? 1 : t > 127 ? 127 : t) < 0)
		return -1;
	if (net_get(c, "zero_copy") && !(c->noted & 1))
		mig_warn(c->m, "network.zero_copy is deprecated in realm and not used: plain TCP is spliced anyway");
	if (net_get(c, "fast_open") && !(c->noted & 2))
		mig_warn(c->m, "network.fast_open is deprecated in realm and not used (no TCP Fast Open)");
	c->noted |= (net_get(c, "zero_copy") ? 1 : 0) | (net_get(c, "fast_open") ? 2 : 0);
	return 0;
}

/* One endpoint; ep is NULL for the legacy form (listen and remote only). */
static int
endpoint(struct rctx *c, const char *listen, const char *remote, const struct json_val *ep, char *err)
{
	char name[STORE_NAME_MAX + 1], buf[HOST_MAX + 40], port[16];
	const struct json_val *ep_net = json_get(ep, "network");
	struct mig_rule *r;

	if (listen_addr(c, listen, buf, sizeof(buf), err) < 0)
		return -1;
	snprintf(port, sizeof(port), "%.10s", strrchr(buf, ':') + 1);
	snprintf(name, sizeof(name), "realm-%s", port);
	if (!(r = mig_rule_new(c->m, name, c->where))) {
		snprintf(err, ERRLEN, "too many endpoints");
		return -1;
	}
	if (mig_set(r, "note", "imported from realm", err) < 0 || mig_set(r, "listen", buf, err) < 0 ||
	    remotes(c, r, remote, ep, err) < 0 || through(c, r, ep, err) < 0)
		return -1;
	if (copy_str(r, ep, "interface", "interface", err) < 0 ||
	    copy_str(r, ep, "listen_interface", "listen_interface", err) < 0 ||
	    copy_str(r, ep, "listen_transport", "listen_transport", err) < 0 ||
	    copy_str(r, ep, "remote_transport", "remote_transport", err) < 0)
		return -1;
	if (ep_net && ep_net->t != JSON_OBJ) {
		snprintf(err, ERRLEN, "%s: network must be a table", c->where);
		return -1;
	}
	unknown_keys(c, ep, ep_keys, "endpoint");
	unknown_keys(c, ep_net, net_keys, "network");
	c->nets[1] = ep_net;
	return network(c, r, buf, err);
}

/* listening_ports = ["8080-8088"]: each port; addresses cycle from the first */
static int
legacy_list(const struct json_val *root, const char *key, const char **out, long *ports, size_t *n, int is_port,
    char *err)
{
	const struct json_val *a = json_get(root, key);
	size_t i;

	*n = 0;
	if (!a || a->t != JSON_ARR || !a->n) {
		snprintf(err, ERRLEN, "legacy realm config: %s must be a non-empty list of strings", key);
		return -1;
	}
	for (i = 0; i < a->n; i++) {
		const char *s = str_of(a->v[i]), *dash;
		long lo, hi;
		char b[16];

		if (!s)
			goto bad;
		if (!is_port) {
			if (*n >= MIG_REALM_LEGACY_MAX)
				goto bad;
			out[(*n)++] = s;
			continue;
		}
		dash = strchr(s, '-');
		snprintf(b, sizeof(b), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
		if (parse_long(str_trim(b), 1, 65535, &lo) < 0 || parse_long(dash ? dash + 1 : b, lo, 65535, &hi) < 0)
			goto bad;
		for (; lo <= hi; lo++) {
			if (*n >= MIG_REALM_LEGACY_MAX)
				goto bad;
			ports[(*n)++] = lo;
		}
	}
	return 0;
bad:
	snprintf(err, ERRLEN, "legacy realm config: %s: a list of %s (at most %d)", key,
	    is_port ? "ports or ranges LOW-HIGH" : "addresses", MIG_REALM_LEGACY_MAX);
	return -1;
}

static int
legacy(struct rctx *c, const struct json_val *root, char *err)
{
	const char *la[MIG_REALM_LEGACY_MAX], *ra[MIG_REALM_LEGACY_MAX];
	long lp[MIG_REALM_LEGACY_MAX], rp[MIG_REALM_LEGACY_MAX];
	size_t nla, nlp, nra, nrp, i;
	char l[HOST_MAX + 16], r[HOST_MAX + 16];

	if (legacy_list(root, "listening_addresses", la, NULL, &nla, 0, err) < 0 ||
	    legacy_list(root, "listening_ports", NULL, lp, &nlp, 1, err) < 0 ||
	    legacy_list(root, "remote_addresses", ra, NULL, &nra, 0, err) < 0 ||
	    legacy_list(root, "remote_ports", NULL, rp, &nrp, 1, err) < 0)
		return -1;
	mig_warn(c->m, "a legacy realm config (listening_ports): each listen port is one rule");
	for (i = 0; i < nlp; i++) {
		const char *lh = la[i < nla ? i : 0], *rh = ra[i < nra ? i : 0];

		snprintf(l, sizeof(l), strchr(lh, ':') ? "[%s]:%ld" : "%s:%ld", lh, lp[i]);
		snprintf(r, sizeof(r), strchr(rh, ':') ? "[%s]:%ld" : "%s:%ld", rh, rp[i < nrp ? i : 0]);
		snprintf(c->where, sizeof(c->where), "legacy port %ld", lp[i]);
		c->nets[1] = NULL;
		if (endpoint(c, l, r, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* the first part's value of [section] key (the override's first) */
static const struct json_val *
first(const struct rctx *c, const char *section, const char *key)
{
	const struct json_val *v = json_get(json_get(c->over, section), key);
	size_t i;

	for (i = 0; !v && i < c->nparts; i++)
		v = json_get(json_get(c->parts[i], section), key);
	return v;
}

static int
gset_secs(struct rctx *c, const char *key, const char *skey, char *err)
{
	const struct json_val *v = first(c, "dns", key);

	if (!v)
		return 0;
	if (v->t != JSON_NUM || v->num < 0 || v->num > 7 * 86400 || (double)(long)v->num != v->num) {
		snprintf(err, ERRLEN, "dns.%s must be a whole number of seconds up to a week", key);
		return -1;
	}
	return mig_setf(c->m->global, skey, err, "%lds", (long)v->num);
}

/* [log] and [dns] into [global] (a run), or a warning (an import) */
static int
globals(struct rctx *c, char *err)
{
	static const char *const dns_unused[] = { "protocol", "nameservers", "cache_size" };
	const struct json_val *lv = first(c, "log", "level"), *lo = first(c, "log", "output"), *dm = first(c, "dns", "mode");
	size_t i;

	if (!c->o || !c->o->run) {
		for (i = 0; i < c->nparts; i++)
			if (json_get(c->parts[i], "log") || json_get(c->parts[i], "dns")) {
				mig_warn(c->m, "the [log] and [dns] settings of the realm config are not imported; "
				    "see [global] in the store");
				break;
			}
		return 0;
	}
	if (!c->m->global && !(c->m->global = mig_rule_new_global()))
		goto oom;
	if (mig_set(c->m->global, "dns_mode", "ipv4_and_ipv6", err) < 0)   /* realm's default */
		return -1;
	if (lv) {
		const char *s = str_of(lv);
		if (!s || (strcmp(s, "off") && strcmp(s, "error") && strcmp(s, "warn") && strcmp(s, "info") &&
		    strcmp(s, "debug") && strcmp(s, "trace"))) {
			snprintf(err, ERRLEN, "log.level must be off, error, warn, info, debug or trace");
			return -1;
		}
		if (!strcmp(s, "off") || !strcmp(s, "trace"))
			mig_warn(c->m, "log level %s is taken as %s", s, *s == 'o' ? "error" : "debug");
		if (mig_set(c->m->global, "log_level", !strcmp(s, "off") ? "error" : !strcmp(s, "trace") ? "debug" : s,
		    err) < 0)
			return -1;
	}
	if (lo && (!str_of(lo) || !*lo->s)) {
		snprintf(err, ERRLEN, "log.output must be stdout, stderr or a file path");
		return -1;
	}
	if (lo && strcmp(lo->s, "stdout") == 0)
		mig_warn(c->m, "log output stdout: the log goes to stderr");
	else if (lo && strcmp(lo->s, "stderr") != 0 && mig_set(c->m->global, "log_file", lo->s, err) < 0)
		return -1;
	if (dm && (!str_of(dm) || mig_set(c->m->global, "dns_mode", dm->s, err) < 0)) {
		if (!str_of(dm))
			snprintf(err, ERRLEN, "dns.mode must be a string");
		return -1;
	}
	if (gset_secs(c, "min_ttl", "dns_min_ttl", err) < 0 || gset_secs(c, "max_ttl", "dns_max_ttl", err) < 0)
		return -1;
	for (i = 0; i < sizeof(dns_unused) / sizeof(dns_unused[0]); i++)
		if (first(c, "dns", dns_unused[i]))
			mig_warn(c->m, "dns.%s is not used: names are resolved by the system's resolver", dns_unused[i]);
	return 0;
oom:
	snprintf(err, ERRLEN, "out of memory");
	return -1;
}

int
mig_realm_parts(const struct json_val *const *parts, size_t nparts, const struct json_val *over,
    const struct mig_realm_opts *o, struct mig_result *m, char *err)
{
	struct rctx c = { .parts = parts, .nparts = nparts, .over = over, .o = o, .m = m };
	size_t p, i, neps = 0;

	if (!nparts || nparts > MIG_REALM_MAX_PARTS) {
		snprintf(err, ERRLEN, "a realm config comes in 1 to %d files", MIG_REALM_MAX_PARTS);
		return -1;
	}
	c.nets[0] = json_get(over, "network");
	c.nnets = 2;
	for (p = 0; p < nparts; p++) {
		const struct json_val *g = json_get(parts[p], "network");

		if (!parts[p] || parts[p]->t != JSON_OBJ) {
			snprintf(err, ERRLEN, "a realm config is a table with an endpoints list");
			return -1;
		}
		if (g && g->t != JSON_OBJ) {
			snprintf(err, ERRLEN, "network must be a table");
			return -1;
		}
		c.nets[c.nnets++] = g;
	}
	for (p = 0; p < nparts; p++) {
		const struct json_val *eps = json_get(parts[p], "endpoints");

		snprintf(c.where, sizeof(c.where), "the config");
		unknown_keys(&c, json_get(parts[p], "network"), net_keys, "network");
		unknown_keys(&c, parts[p], top_keys, "");
		unknown_keys(&c, json_get(parts[p], "log"), log_keys, "log");
		unknown_keys(&c, json_get(parts[p], "dns"), dns_keys, "dns");
		if (!eps && json_get(parts[p], "listening_ports")) {
			if (legacy(&c, parts[p], err) < 0)
				return -1;
			neps++;
			continue;
		}
		if (!eps && nparts > 1)
			continue;   /* a part with global settings only */
		if (!eps || eps->t != JSON_ARR) {
			snprintf(err, ERRLEN, "no endpoints list in this realm config");
			return -1;
		}
		for (i = 0; i < eps->n; i++) {
			const struct json_val *ep = eps->v[i];
			const char *listen = str_of(json_get(ep, "listen")), *remote = str_of(json_get(ep, "remote"));

			snprintf(c.where, sizeof(c.where), "endpoint %zu", ++neps);
			if (!listen)   /* realm's README writes "local" in one example */
				listen = str_of(json_get(ep, "local"));
			if (!ep || ep->t != JSON_OBJ || !listen || !remote) {
				snprintf(err, ERRLEN, "%s needs listen and remote strings", c.where);
				return -1;
			}
			if (endpoint(&c, listen, remote, ep, err) < 0)
				return -1;
		}
	}
	return globals(&c, err);
}

int
mig_realm(const struct json_val *root, struct mig_result *m, char *err)
{
	return mig_realm_parts(&root, 1, NULL, NULL, m, err);
}
