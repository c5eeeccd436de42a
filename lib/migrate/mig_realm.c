/*
 * realm configs (docs/compat.md, realm's config) to store rules: one rule per
 * [[endpoints]] entry, the [network] block as defaults that an endpoint's
 * own network table overrides.
 */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *
str_of(const struct json_val *v)
{
	return v && v->t == JSON_STR ? v->s : NULL;
}

/* The endpoint's network value for key, else the global one. */
static const struct json_val *
net_get(const struct json_val *ep_net, const struct json_val *g_net, const char *key)
{
	const struct json_val *v = json_get(ep_net, key);

	return v ? v : json_get(g_net, key);
}

static int
net_bool(const struct json_val *ep_net, const struct json_val *g_net, const char *key, int def,
    const char *where, char *err)
{
	const struct json_val *v = net_get(ep_net, g_net, key);

	if (!v)
		return def;
	if (v->t != JSON_BOOL) {
		snprintf(err, ERRLEN, "%s: network.%s must be true or false", where, key);
		return -1;
	}
	return v->b;
}

/* a whole number of seconds, or -1 when absent; -2 on a bad value */
static long
net_secs(const struct json_val *ep_net, const struct json_val *g_net, const char *key, const char *where, char *err)
{
	const struct json_val *v = net_get(ep_net, g_net, key);

	if (!v)
		return -1;
	if (v->t != JSON_NUM || v->num < 0 || v->num > 86400 || (double)(long)v->num != v->num) {
		snprintf(err, ERRLEN, "%s: network.%s must be a whole number of seconds", where, key);
		return -2;
	}
	return (long)v->num;
}

/* "roundrobin: 4, 2, 1" -> mode and "4,2,1" */
static int
balance(const char *s, char *mode, size_t msize, char *weights, size_t wsize, const char *where, char *err)
{
	char buf[1024], *colon, *p;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	p = str_trim(buf);
	if (strcmp(p, "roundrobin") != 0 && strcmp(p, "iphash") != 0 && strcmp(p, "off") != 0) {
		snprintf(err, ERRLEN, "%s: balance '%.60s' is not roundrobin, iphash or off", where, s);
		return -1;
	}
	snprintf(mode, msize, "%s", p);
	weights[0] = '\0';
	if (colon)
		for (p = colon + 1; *p && n + 1 < wsize; p++)
			if (*p != ' ' && *p != '\t')
				weights[n++] = *p;
	weights[n] = '\0';
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

static int
endpoint(const struct json_val *ep, const struct json_val *g_net, size_t idx, struct mig_result *m, char *err)
{
	char where[64], name[STORE_NAME_MAX + 1], buf[600], mode[16], weights[600], port[16];
	const struct json_val *ep_net, *xr, *v;
	const char *listen, *remote, *colon;
	struct mig_rule *r;
	int tcp, udp, sp, ap, sm, am, v6;
	long t;
	size_t i;

	snprintf(where, sizeof(where), "endpoint %zu", idx + 1);
	if (!ep || ep->t != JSON_OBJ) {
		snprintf(err, ERRLEN, "%s is not a table", where);
		return -1;
	}
	listen = str_of(json_get(ep, "listen"));
	remote = str_of(json_get(ep, "remote"));
	if (!listen || !remote) {
		snprintf(err, ERRLEN, "%s needs listen and remote strings", where);
		return -1;
	}
	if (mig_listen(listen, buf, sizeof(buf)) < 0) {
		snprintf(err, ERRLEN, "%s: listen '%.60s' is not ADDRESS:PORT", where, listen);
		return -1;
	}
	colon = strrchr(buf, ':');
	snprintf(port, sizeof(port), "%.10s", colon ? colon + 1 : "0");
	snprintf(name, sizeof(name), "realm-%s", port);
	if (!(r = mig_rule_new(m, name, where))) {
		snprintf(err, ERRLEN, "too many endpoints");
		return -1;
	}
	if (mig_set(r, "note", "imported from realm", err) < 0 || mig_set(r, "listen", buf, err) < 0 ||
	    mig_set(r, "remote", remote, err) < 0)
		return -1;
	if ((xr = json_get(ep, "extra_remotes")) != NULL) {
		if (xr->t != JSON_ARR) {
			snprintf(err, ERRLEN, "%s: extra_remotes must be a list of strings", where);
			return -1;
		}
		for (i = 0; i < xr->n; i++) {
			if (xr->v[i]->t != JSON_STR) {
				snprintf(err, ERRLEN, "%s: extra_remotes must be a list of strings", where);
				return -1;
			}
			if (mig_set(r, "remote", xr->v[i]->s, err) < 0)
				return -1;
		}
	}
	if ((v = json_get(ep, "balance")) != NULL) {
		if (!str_of(v)) {
			snprintf(err, ERRLEN, "%s: balance must be a string such as \"roundrobin: 2, 1\"", where);
			return -1;
		}
		if (balance(v->s, mode, sizeof(mode), weights, sizeof(weights), where, err) < 0)
			return -1;
		if (mig_set(r, "balance", mode, err) < 0 || (*weights && strcmp(mode, "off") != 0 &&
		    mig_set(r, "weights", weights, err) < 0))
			return -1;
	} else if (xr && xr->n && mig_set(r, "balance", "off", err) < 0)
		return -1;   /* realm without balance always takes the first peer */
	if (copy_str(r, ep, "through", "through", err) < 0 || copy_str(r, ep, "interface", "interface", err) < 0 ||
	    copy_str(r, ep, "listen_interface", "listen_interface", err) < 0 ||
	    copy_str(r, ep, "listen_transport", "listen_transport", err) < 0 ||
	    copy_str(r, ep, "remote_transport", "remote_transport", err) < 0)
		return -1;
	ep_net = json_get(ep, "network");
	if (ep_net && ep_net->t != JSON_OBJ) {
		snprintf(err, ERRLEN, "%s: network must be a table", where);
		return -1;
	}
	if ((tcp = net_bool(ep_net, g_net, "no_tcp", 0, where, err)) < 0 ||
	    (udp = net_bool(ep_net, g_net, "use_udp", 0, where, err)) < 0 ||
	    (sp = net_bool(ep_net, g_net, "send_proxy", 0, where, err)) < 0 ||
	    (ap = net_bool(ep_net, g_net, "accept_proxy", 0, where, err)) < 0 ||
	    (sm = net_bool(ep_net, g_net, "send_mptcp", 0, where, err)) < 0 ||
	    (am = net_bool(ep_net, g_net, "accept_mptcp", 0, where, err)) < 0 ||
	    (v6 = net_bool(ep_net, g_net, "ipv6_only", 0, where, err)) < 0)
		return -1;
	tcp = !tcp;
	if (!tcp && !udp) {
		snprintf(err, ERRLEN, "%s: no_tcp without use_udp forwards nothing; remove no_tcp or add use_udp", where);
		return -1;
	}
	if (mig_set(r, "protocol", tcp && udp ? "tcp+udp" : tcp ? "tcp" : "udp", err) < 0)
		return -1;
	if (sp || ap) {
		const struct json_val *ver = net_get(ep_net, g_net, "send_proxy_version");
		int version = ver && ver->t == JSON_NUM && ver->num == 1 ? 1 : 2;

		snprintf(buf, sizeof(buf), "%s%s%s", ap ? "accept" : "", ap && sp ? "+" : "",
		    sp ? (version == 1 ? "send-v1" : "send-v2") : "");
		if (mig_set(r, "proxy", buf, err) < 0)
			return -1;
	}
	if ((sm || am) && mig_set(r, "mptcp", sm && am ? "both" : sm ? "send" : "accept", err) < 0)
		return -1;
	if (v6 && mig_set(r, "ipv6_only", "yes", err) < 0)
		return -1;
	if ((t = net_secs(ep_net, g_net, "tcp_timeout", where, err)) == -2 ||
	    (t > 0 && mig_setf(r, "connect_timeout", err, "%ld", t) < 0))
		return -1;
	if ((t = net_secs(ep_net, g_net, "udp_timeout", where, err)) == -2 ||
	    (t > 0 && udp && mig_setf(r, "udp_timeout", err, "%ld", t) < 0))
		return -1;
	if ((t = net_secs(ep_net, g_net, "accept_proxy_timeout", where, err)) == -2 ||
	    (t > 0 && ap && mig_setf(r, "proxy_timeout", err, "%ld", t) < 0))
		return -1;
	return 0;
}

int
mig_realm(const struct json_val *root, struct mig_result *m, char *err)
{
	const struct json_val *eps, *g_net;
	size_t i;

	if (!root || root->t != JSON_OBJ) {
		snprintf(err, ERRLEN, "a realm config is a table with an endpoints list");
		return -1;
	}
	eps = json_get(root, "endpoints");
	if (!eps || eps->t != JSON_ARR) {
		snprintf(err, ERRLEN, "no endpoints list in this realm config");
		return -1;
	}
	g_net = json_get(root, "network");
	if (g_net && g_net->t != JSON_OBJ) {
		snprintf(err, ERRLEN, "network must be a table");
		return -1;
	}
	for (i = 0; i < eps->n; i++)
		if (endpoint(eps->v[i], g_net, i, m, err) < 0)
			return -1;
	if (json_get(root, "log") || json_get(root, "dns"))
		mig_warn(m, "the [log] and [dns] settings of the realm config are not imported; "
		    "see [global] in the store");
	return 0;
}
