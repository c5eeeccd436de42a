/*
 * The rule store: parse (inih) by the key tables. The scans of the raw text
 * and the diagnostics are in store_scan.c, the checks across rules in
 * store_check.c and store_loop.c, writing in store_edit.c.
 */
#include "store_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "acl.h"
#include "ledger.h"
#include "mptcp_endpoint.h"
#include "tbucket.h"
#include "text.h"
#include "transport.h"
#include "util.h"

/* inih keeps at most 49 characters of a section name and cuts the rest. */
#define INI_SECTION_KEEP 49

/* ------------------------------------------------------------------ */
/* value parsers shared by the key tables */

/* Unset string fields of a rule point here; set ones own a heap copy. */
static char empty_str[1];

static int
pstr_set(char **dst, const char *v, size_t max, const char *key, char *err)
{
	char *n;

	if (strlen(v) >= max) {
		snprintf(err, ERRLEN, "%s is too long (at most %zu characters)", key, max - 1);
		return -1;
	}
	if (!(n = strdup(v))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	if (*dst != empty_str)
		free(*dst);
	*dst = n;
	return 0;
}

static const char *const balance_names[] = { "off", "roundrobin", "iphash", "failover" };

static int
fn_role(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (str_ieq(v, "relay"))
		r->role = ROLE_RELAY;
	else if (str_ieq(v, "exit"))
		r->role = ROLE_EXIT;
	else {
		snprintf(err, ERRLEN, "role must be relay or exit, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
fn_listen(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	return store_listen_parse(v, r, err);
}

static int
fn_remote(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;
	struct store_remote *rem, *nv;
	char buf[HOST_MAX + 64], *sp, *opt;
	long w = 1;

	if (r->nremotes >= STORE_MAX_REMOTES) {
		snprintf(err, ERRLEN, "more than %d remotes in one rule", STORE_MAX_REMOTES);
		return -1;
	}
	if (str_copy(buf, sizeof(buf), v) < 0) {
		snprintf(err, ERRLEN, "remote '%.40s...' is too long", v);
		return -1;
	}
	sp = strpbrk(buf, " \t");
	if (sp) {
		*sp++ = '\0';
		opt = str_trim(sp);
		if (strncmp(opt, "weight=", 7) != 0 || parse_long(opt + 7, 1, STORE_WEIGHT_MAX, &w) < 0) {
			snprintf(err, ERRLEN, "after the address only 'weight=N' (1 to %d) may follow, not '%s'",
			    STORE_WEIGHT_MAX, opt);
			return -1;
		}
	}
	nv = realloc(r->remotes, (r->nremotes + 1) * sizeof(*nv));
	if (!nv) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	r->remotes = nv;
	rem = &r->remotes[r->nremotes];
	memset(rem, 0, sizeof(*rem));
	if (hostport_parse(buf, HP_RANGE, &rem->addr, err) < 0)
		return -1;
	rem->weight = sp ? (int)w : 0;   /* 0: not written; filled from weights= or 1 */
	r->nremotes++;
	return 0;
}

static int
fn_balance(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(balance_names); i++)
		if (str_ieq(v, balance_names[i])) {
			r->balance = (enum balance_mode)i;
			return 0;
		}
	snprintf(err, ERRLEN, "balance must be off, roundrobin, iphash or failover, not '%s'", v);
	return -1;
}

static int
fn_protocol(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (str_ieq(v, "tcp"))
		r->protocols = PROTO_TCP;
	else if (str_ieq(v, "udp"))
		r->protocols = PROTO_UDP;
	else if (str_ieq(v, "tcp+udp") || str_ieq(v, "both") || str_ieq(v, "udp+tcp"))
		r->protocols = PROTO_TCP | PROTO_UDP;
	else {
		snprintf(err, ERRLEN, "protocol must be tcp, udp or tcp+udp, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
fn_through(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (addr_family_of(v)) {   /* a bare address: any source port */
		memset(&r->through, 0, sizeof(r->through));
		strcpy(r->through.host, v);
		return 0;
	}
	if (hostport_parse(v, HP_NUMERIC, &r->through, err) < 0) {
		snprintf(err, ERRLEN, "through must be a local IP address (or IP:PORT), not '%s'; "
		    "to leave by a NIC use interface =", v);
		return -1;
	}
	return 0;
}

static int
fn_proxy(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;
	char buf[64], *tok, *save = NULL;

	r->proxy_send = PROXY_NONE;
	r->proxy_accept = 0;
	if (str_ieq(v, "off") || str_ieq(v, "none"))
		return 0;
	if (str_copy(buf, sizeof(buf), v) < 0)
		goto bad;
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		tok = str_trim(tok);
		if (str_ieq(tok, "accept"))
			r->proxy_accept = 1;
		else if (str_ieq(tok, "send-v1") && r->proxy_send == PROXY_NONE)
			r->proxy_send = PROXY_V1;
		else if ((str_ieq(tok, "send-v2") || str_ieq(tok, "send")) && r->proxy_send == PROXY_NONE)
			r->proxy_send = PROXY_V2;
		else
			goto bad;
	}
	return 0;
bad:
	snprintf(err, ERRLEN, "proxy must be off, send-v1, send-v2, accept, accept+send-v1 "
	    "or accept+send-v2, not '%s'", v);
	return -1;
}

static int
fn_mptcp(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (str_ieq(v, "off"))
		r->mptcp = 0;
	else if (str_ieq(v, "send"))
		r->mptcp = MPTCP_SEND;
	else if (str_ieq(v, "accept"))
		r->mptcp = MPTCP_ACCEPT;
	else if (str_ieq(v, "both"))
		r->mptcp = MPTCP_SEND | MPTCP_ACCEPT;
	else {
		snprintf(err, ERRLEN, "mptcp must be off, send, accept or both, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
fn_listen_transport(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;
	struct transport t;

	if (transport_parse(v, TRANSPORT_SERVER, &t, err) < 0)
		return -1;
	return pstr_set(&r->listen_transport, v, STORE_TRANSPORT_MAX, "listen_transport", err);
}

static int
fn_remote_transport(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;
	struct transport t;

	if (transport_parse(v, TRANSPORT_CLIENT, &t, err) < 0)
		return -1;
	return pstr_set(&r->remote_transport, v, STORE_TRANSPORT_MAX, "remote_transport", err);
}

static int
fn_ifname(const char *v, char *dst, char *err)
{
	if (!ifname_valid(v)) {
		snprintf(err, ERRLEN, "'%s' is not an interface name (1 to 15 characters, no '/', ':' or spaces)", v);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

static int
fn_listen_interface(const char *v, void *obj, char *err)
{
	return fn_ifname(v, ((struct store_rule *)obj)->listen_interface, err);
}

static int
fn_interface(const char *v, void *obj, char *err)
{
	return fn_ifname(v, ((struct store_rule *)obj)->interface, err);
}

/* A congestion control's name as the kernel spells them (TCP_CA_NAME_MAX
 * 16): whether this kernel has it is the relay's to find out. */
static int
fn_congestion(const char *key, const char *v, char *dst, char *err)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-'))
			break;
	if (n == 0 || n > 15 || i < n) {
		snprintf(err, ERRLEN, "%s: '%s' is not a congestion control name (1 to 15 of a-z 0-9 _ -, "
		    "as in net.ipv4.tcp_available_congestion_control, e.g. cubic or bbr)", key, v);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

static int
fn_listen_congestion(const char *v, void *obj, char *err)
{
	return fn_congestion("listen_congestion", v, ((struct store_rule *)obj)->listen_congestion, err);
}

static int
fn_remote_congestion(const char *v, void *obj, char *err)
{
	return fn_congestion("remote_congestion", v, ((struct store_rule *)obj)->remote_congestion, err);
}

static int
fn_glisten_congestion(const char *v, void *obj, char *err)
{
	return fn_congestion("listen_congestion", v, ((struct store_global *)obj)->listen_congestion, err);
}

static int
fn_gremote_congestion(const char *v, void *obj, char *err)
{
	return fn_congestion("remote_congestion", v, ((struct store_global *)obj)->remote_congestion, err);
}

static int
fn_log_level(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;
	static const char *const lv[] = { "error", "warn", "info", "debug" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lv); i++)
		if (str_ieq(v, lv[i])) {
			strcpy(g->log_level, lv[i]);
			return 0;
		}
	snprintf(err, ERRLEN, "log_level must be error, warn, info or debug, not '%s'", v);
	return -1;
}

static int
fn_dns_mode(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;
	static const char *const modes[] = { "ipv4_only", "ipv6_only", "ipv4_then_ipv6",
		"ipv6_then_ipv4", "ipv4_and_ipv6" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (str_ieq(v, modes[i])) {
			strcpy(g->dns_mode, modes[i]);
			return 0;
		}
	snprintf(err, ERRLEN, "dns_mode must be ipv4_only, ipv6_only, ipv4_then_ipv6, "
	    "ipv6_then_ipv4 or ipv4_and_ipv6, not '%s'", v);
	return -1;
}

static int
fn_quota_action(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (str_ieq(v, "stop"))
		r->quota_action = QUOTA_STOP;
	else if (str_ieq(v, "throttle"))
		r->quota_action = QUOTA_THROTTLE;
	else {
		snprintf(err, ERRLEN, "quota_action must be stop or throttle, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
fn_lang(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;
	size_t i;

	if (!str_ieq(v, "zh") && !str_ieq(v, "en") && !str_ieq(v, "auto")) {
		snprintf(err, ERRLEN, "lang must be zh, en or auto, not '%s'", v);
		return -1;
	}
	for (i = 0; v[i] && i < sizeof(g->lang) - 1; i++)
		g->lang[i] = (char)tolower((unsigned char)v[i]);
	g->lang[i] = '\0';
	return 0;
}

static int
fn_udp_transport(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (str_ieq(v, "plain"))
		r->udp_plain = 1;
	else if (str_ieq(v, "tunnel"))
		r->udp_plain = 0;
	else {
		snprintf(err, ERRLEN, "udp_transport must be plain or tunnel, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
billing_into(const char *v, int *dst, char *err)
{
	enum billing b;

	if (billing_parse(v, &b) < 0) {
		snprintf(err, ERRLEN, "billing must be both, in, out, max or double, not '%s'", v);
		return -1;
	}
	*dst = (int)b;
	return 0;
}

static int
fn_billing(const char *v, void *obj, char *err)
{
	return billing_into(v, &((struct store_rule *)obj)->billing, err);
}

static int
fn_gbilling(const char *v, void *obj, char *err)
{
	return billing_into(v, &((struct store_global *)obj)->billing, err);
}

/* allow = / deny = may repeat; each line adds to the list */
static int
cidr_append(char **dst, const char *v, const char *key, char *err)
{
	struct acl a = { 0 };
	size_t n = strlen(*dst);
	int rc = acl_parse(&a, v, err);
	char *nv;

	acl_free(&a);
	if (rc < 0)
		return -1;
	if (n + strlen(v) + 3 > 4096) {
		snprintf(err, ERRLEN, "%s: the list is too long (at most 4095 characters)", key);
		return -1;
	}
	if (!(nv = malloc(n + strlen(v) + 3))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	sprintf(nv, "%s%s%s", *dst, n ? ", " : "", v);
	if (*dst != empty_str)
		free(*dst);
	*dst = nv;
	return 0;
}

static int
fn_allow(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	return cidr_append(&r->allow, v, "allow", err);
}

static int
fn_deny(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	return cidr_append(&r->deny, v, "deny", err);
}

static int
fn_metrics_listen(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;

	if (str_ieq(v, "off")) {
		memset(&g->metrics_listen, 0, sizeof(g->metrics_listen));
		return 0;
	}
	if (hostport_parse(v, HP_NUMERIC | HP_HOST_OPTIONAL, &g->metrics_listen, err) < 0)
		return -1;
	if (!*g->metrics_listen.host)   /* "9101" or ":9101": loopback, never every address by omission */
		strcpy(g->metrics_listen.host, "127.0.0.1");
	return 0;
}

static int
fn_rnotify(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;
	char buf[STORE_NOTIFY_LEN];

	return store_fn_notify(v, buf, sizeof(buf), err) < 0 ? -1 : pstr_set(&r->notify, v, sizeof(buf), "notify", err);
}

#define R(f) offsetof(struct store_rule, f), sizeof(((struct store_rule *)0)->f)
#define G(f) offsetof(struct store_global, f), sizeof(((struct store_global *)0)->f)
/* fields a to b (adjacent, in this order) as one */
#define RS(a, b) offsetof(struct store_rule, a), \
	offsetof(struct store_rule, b) + sizeof(((struct store_rule *)0)->b) - offsetof(struct store_rule, a)
#define DAY (86400L * 1000)

static const struct key rule_keys[] = {
	{ "note", K_PSTR, 0, R(note), 0, 0, NULL, KF_AUTO },
	{ "enabled", K_BOOL, 0, R(enabled), 0, 0, NULL, KF_AUTO },
	{ "role", K_FN, 0, R(role), 0, 0, fn_role, KF_RAW },
	{ "listen", K_FN, 0, 0, 0, 0, 0, fn_listen, KF_LISTEN },
	{ "listen_interface", K_FN, 0, R(listen_interface), 0, 0, fn_listen_interface, KF_CHARS },
	{ "remote", K_FN, 1, 0, 0, 0, 0, fn_remote, KF_REMOTES },
	{ "weights", K_FN, 0, 0, 0, 0, 0, NULL, KF_REMOTES },   /* handled in the rule handler */
	{ "balance", K_FN, 0, R(balance), 0, 0, fn_balance, KF_RAW },
	{ "failover", K_BOOL, 0, R(failover), 0, 0, NULL, KF_AUTO },
	{ "protocol", K_FN, 0, R(protocols), 0, 0, fn_protocol, KF_RAW },
	{ "through", K_FN, 0, R(through), 0, 0, fn_through, KF_HOSTPORT },
	{ "interface", K_FN, 0, R(interface), 0, 0, fn_interface, KF_CHARS },
	{ "listen_congestion", K_FN, 0, R(listen_congestion), 0, 0, fn_listen_congestion, KF_CHARS },
	{ "remote_congestion", K_FN, 0, R(remote_congestion), 0, 0, fn_remote_congestion, KF_CHARS },
	{ "listen_transport", K_FN, 0, R(listen_transport), 0, 0, fn_listen_transport, KF_PSTR },
	{ "remote_transport", K_FN, 0, R(remote_transport), 0, 0, fn_remote_transport, KF_PSTR },
	{ "udp_transport", K_FN, 0, R(udp_plain), 0, 0, fn_udp_transport, KF_RAW },
	{ "proxy", K_FN, 0, RS(proxy_send, proxy_accept), 0, 0, fn_proxy, KF_RAW },
	{ "proxy_timeout", K_MS, 0, R(proxy_timeout), 100, 600000, NULL, KF_AUTO },
	{ "mptcp", K_FN, 0, R(mptcp), 0, 0, fn_mptcp, KF_RAW },
	{ "ipv6_only", K_BOOL, 0, R(ipv6_only), 0, 0, NULL, KF_AUTO },
	{ "connect_timeout", K_MS, 0, R(connect_timeout), 100, 600000, NULL, KF_AUTO },
	{ "idle_timeout", K_MS, 0, R(idle_timeout), 0, 7 * DAY, NULL, KF_AUTO },
	{ "udp_timeout", K_MS, 0, R(udp_timeout), 1000, DAY, NULL, KF_AUTO },
	{ "handshake_timeout", K_MS, 0, R(handshake_timeout), 100, 600000, NULL, KF_AUTO },
	{ "tcp_keepalive", K_MS, 0, R(tcp_keepalive), 0, DAY, NULL, KF_AUTO },
	{ "tcp_keepalive_interval", K_MS, 0, R(tcp_keepalive_interval), 1000, DAY, NULL, KF_AUTO },
	{ "tcp_keepalive_probes", K_LONG, 0, R(tcp_keepalive_probes), 1, 127, NULL, KF_AUTO },
	{ "health_fail", K_LONG, 0, R(health_fail), 1, 100, NULL, KF_AUTO },
	{ "health_ok", K_LONG, 0, R(health_ok), 1, 100, NULL, KF_AUTO },
	{ "health_cooldown", K_MS, 0, R(health_cooldown), 0, DAY, NULL, KF_AUTO },
	{ "health_send", K_PSTR, 0, R(health_send), 0, 0, NULL, KF_AUTO },
	{ "health_expect", K_PSTR, 0, R(health_expect), 0, 0, NULL, KF_AUTO },
	{ "quota", K_SIZE, 0, R(quota), 0, 0, NULL, KF_AUTO },
	{ "quota_action", K_FN, 0, R(quota_action), 0, 0, fn_quota_action, KF_RAW },
	{ "quota_rate", K_RATE, 0, R(quota_rate), 0, 0, NULL, KF_AUTO },
	{ "billing", K_FN, 0, R(billing), 0, 0, fn_billing, KF_RAW },
	{ "reset_day", K_LONG, 0, R(reset_day), 1, 31, NULL, KF_AUTO },
	{ "rate_in", K_RATE, 0, R(rate_in), 0, 0, NULL, KF_AUTO },
	{ "rate_out", K_RATE, 0, R(rate_out), 0, 0, NULL, KF_AUTO },
	{ "conn_rate", K_RATE, 0, R(conn_rate), 0, 0, NULL, KF_AUTO },
	{ "max_conns", K_LONG, 0, R(max_conns), 0, 10000000, NULL, KF_AUTO },
	{ "max_conns_per_src", K_LONG, 0, R(max_conns_per_src), 0, 1000000, NULL, KF_AUTO },
	{ "new_conns_per_src", K_LONG, 0, R(new_conns_per_src), 0, 1000000, NULL, KF_AUTO },
	{ "allow", K_FN, 1, R(allow), 0, 0, fn_allow, KF_PSTR },
	{ "deny", K_FN, 1, R(deny), 0, 0, fn_deny, KF_PSTR },
	{ "on_event", K_PSTR, 0, R(on_event), 0, 0, NULL, KF_AUTO },
	{ "notify", K_FN, 0, R(notify), 0, 0, fn_rnotify, KF_PSTR },
	{ "expire", K_FN, 0, R(expire), 0, 0, store_fn_expire, KF_RAW },
};

static const struct key global_keys[] = {
	{ "log_level", K_FN, 0, 0, 0, 0, 0, fn_log_level, KF_NONE },
	{ "log_file", K_STR, 0, G(log_file), 0, 0, NULL, KF_NONE },
	{ "log_max_size", K_SIZE, 0, G(log_max_size), 0, 0, NULL, KF_NONE },
	{ "workers", K_LONG, 0, G(workers), 0, 256, NULL, KF_NONE },
	{ "cpu_affinity", K_BOOL, 0, G(cpu_affinity), 0, 0, NULL, KF_NONE },
	{ "connect_timeout", K_MS, 0, G(connect_timeout), 100, 600000, NULL, KF_AUTO },
	{ "idle_timeout", K_MS, 0, G(idle_timeout), 0, 7 * DAY, NULL, KF_AUTO },
	{ "udp_timeout", K_MS, 0, G(udp_timeout), 1000, DAY, NULL, KF_AUTO },
	{ "proxy_timeout", K_MS, 0, G(proxy_timeout), 100, 600000, NULL, KF_AUTO },
	{ "handshake_timeout", K_MS, 0, G(handshake_timeout), 100, 600000, NULL, KF_AUTO },
	{ "tcp_keepalive", K_MS, 0, G(tcp_keepalive), 0, DAY, NULL, KF_AUTO },
	{ "tcp_keepalive_interval", K_MS, 0, G(tcp_keepalive_interval), 1000, DAY, NULL, KF_AUTO },
	{ "tcp_keepalive_probes", K_LONG, 0, G(tcp_keepalive_probes), 1, 127, NULL, KF_AUTO },
	{ "tcp_nodelay", K_BOOL, 0, G(tcp_nodelay), 0, 0, NULL, KF_AUTO },
	{ "tcp_fastopen", K_BOOL, 0, G(tcp_fastopen), 0, 0, NULL, KF_AUTO },
	{ "tunnel_pool_max", K_LONG, 0, G(tunnel_pool_max), 0, 64, NULL, KF_AUTO },
	{ "listen_congestion", K_FN, 0, G(listen_congestion), 0, 0, fn_glisten_congestion, KF_CHARS },
	{ "remote_congestion", K_FN, 0, G(remote_congestion), 0, 0, fn_gremote_congestion, KF_CHARS },
	{ "udp_max_assoc", K_LONG, 0, G(udp_max_assoc), 1, 1000000, NULL, KF_AUTO },
	{ "health_interval", K_MS, 0, G(health_interval), 1000, DAY, NULL, KF_NONE },
	{ "health_timeout", K_MS, 0, G(health_timeout), 100, 600000, NULL, KF_NONE },
	{ "health_fail", K_LONG, 0, G(health_fail), 1, 100, NULL, KF_AUTO },
	{ "health_ok", K_LONG, 0, G(health_ok), 1, 100, NULL, KF_AUTO },
	{ "health_cooldown", K_MS, 0, G(health_cooldown), 0, DAY, NULL, KF_AUTO },
	{ "dns_mode", K_FN, 0, 0, 0, 0, 0, fn_dns_mode, KF_NONE },
	{ "lang", K_FN, 0, 0, 0, 0, 0, fn_lang, KF_NONE },
	{ "dns_min_ttl", K_MS, 0, G(dns_min_ttl), 0, DAY, NULL, KF_NONE },
	{ "dns_max_ttl", K_MS, 0, G(dns_max_ttl), 0, 7 * DAY, NULL, KF_NONE },
	{ "billing", K_FN, 0, G(billing), 0, 0, fn_gbilling, KF_RAW },
	{ "reset_day", K_LONG, 0, G(reset_day), 1, 31, NULL, KF_AUTO },
	{ "on_event", K_STR, 0, G(on_event), 0, 0, NULL, KF_AUTO },
	{ "event_timeout", K_MS, 0, G(event_timeout), 100, 600000, NULL, KF_NONE },
	{ "metrics_listen", K_FN, 0, 0, 0, 0, 0, fn_metrics_listen, KF_NONE },
	{ "ledger_interval", K_MS, 0, G(ledger_interval), 1000, 600000, NULL, KF_NONE },
	{ "src_prefix_v4", K_LONG, 0, G(src_prefix_v4), 16, 32, NULL, KF_AUTO },
	{ "src_prefix_v6", K_LONG, 0, G(src_prefix_v6), 32, 128, NULL, KF_AUTO },
	{ "max_handshakes", K_LONG, 0, G(max_handshakes), 1, 1000000, NULL, KF_AUTO },
	{ "max_handshakes_per_src", K_LONG, 0, G(max_handshakes_per_src), 1, 1000000, NULL, KF_AUTO },
	{ "notify", K_FN, 0, 0, 0, 0, 0, store_fn_gnotify, KF_NONE },
	{ "notify_events", K_FN, 0, 0, 0, 0, 0, store_fn_notify_events, KF_NONE },
	{ "notify_ca", K_FN, 0, 0, 0, 0, 0, store_fn_notify_ca, KF_NONE },
	{ "telegram_api", K_FN, 0, 0, 0, 0, 0, store_fn_telegram_api, KF_NONE },
	{ "server_name", K_STR, 0, G(server_name), 0, 0, NULL, KF_NONE },
	{ "notify_insecure_http", K_BOOL, 0, G(notify_insecure_http), 0, 0, NULL, KF_NONE },
	{ "notify_report", K_FN, 0, 0, 0, 0, 0, store_fn_notify_report, KF_NONE },
	{ "notify_timeout", K_MS, 0, G(notify_timeout), 1000, 60000, NULL, KF_NONE },
};

static const struct key *
key_find(const struct key *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return &tab[i];
	return NULL;
}

int
store_rule_key_known(const char *key)
{
	return key_find(rule_keys, ARRAY_SIZE(rule_keys), key) != NULL;
}

int
store_rule_key_multi(const char *key)
{
	const struct key *k = key_find(rule_keys, ARRAY_SIZE(rule_keys), key);

	return k && k->multi;
}

int
store_global_key_known(const char *key)
{
	return key_find(global_keys, ARRAY_SIZE(global_keys), key) != NULL;
}

const char *const *
store_rule_keys(void)
{
	static const char *names[ARRAY_SIZE(rule_keys) + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rule_keys); i++)
		names[i] = rule_keys[i].name;
	return names;
}

const char *
store_global_key_name(size_t i)
{
	return store_key_name(1, i);
}

const struct key *
store_key_table(int global, size_t *n)
{
	*n = global ? ARRAY_SIZE(global_keys) : ARRAY_SIZE(rule_keys);
	return global ? global_keys : rule_keys;
}

const char *
store_key_name(int global, size_t i)
{
	if (global)
		return i < ARRAY_SIZE(global_keys) ? global_keys[i].name : NULL;
	return i < ARRAY_SIZE(rule_keys) ? rule_keys[i].name : NULL;
}

/* Apply one key=value to obj by the table. 0 ok, -1 with err. */
static int
key_apply(const struct key *k, const char *v, void *obj, char *err)
{
	char *p = (char *)obj + k->off;
	long l;
	int b;
	uint64_t sz;

	switch (k->type) {
	case K_STR:
		if (str_copy(p, k->size, v) < 0) {
			snprintf(err, ERRLEN, "%s is too long (at most %zu characters)", k->name, k->size - 1);
			return -1;
		}
		return 0;
	case K_PSTR:
		return pstr_set((char **)(void *)p, v, 256, k->name, err);
	case K_BOOL:
		if (parse_bool(v, &b) < 0) {
			snprintf(err, ERRLEN, "%s must be yes or no, not '%s'", k->name, v);
			return -1;
		}
		*(int *)p = b;
		return 0;
	case K_MS:
		if (parse_duration_ms(v, &l) < 0 || l < k->min || l > k->max) {
			snprintf(err, ERRLEN, "%s must be a duration from %ldms to %lds (e.g. 5, 5s, 500ms, 2m), not '%s'",
			    k->name, k->min, k->max / 1000, v);
			return -1;
		}
		*(long *)p = l;
		return 0;
	case K_LONG:
		if (parse_long(v, k->min, k->max, &l) < 0) {
			snprintf(err, ERRLEN, "%s must be a whole number from %ld to %ld, not '%s'",
			    k->name, k->min, k->max, v);
			return -1;
		}
		*(long *)p = l;
		return 0;
	case K_SIZE:
		if (parse_size(v, &sz) < 0) {
			snprintf(err, ERRLEN, "%s must be a size such as 10M or 512K, not '%s'", k->name, v);
			return -1;
		}
		*(uint64_t *)p = sz;
		return 0;
	case K_RATE:
		if (parse_rate(v, &sz) < 0) {
			snprintf(err, ERRLEN, "%s must be a rate such as 10mbit, 500kbit or 2MB/s, not '%s'", k->name, v);
			return -1;
		}
		*(uint64_t *)p = sz;
		return 0;
	case K_FN:
		return k->fn(v, obj, err);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* parsing */

static void
global_defaults(struct store_global *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->log_level, "info");
	g->log_max_size = 10 << 20;
	g->workers = 0;
	g->cpu_affinity = 1;
	g->connect_timeout = 5000;
	g->idle_timeout = 0;
	g->udp_timeout = STORE_UDP_TIMEOUT_MS;
	g->proxy_timeout = 5000;
	g->handshake_timeout = 10000;
	g->tcp_keepalive = 15000;
	g->tcp_keepalive_interval = 15000;
	g->tcp_keepalive_probes = 3;
	g->tcp_nodelay = 1;
	g->tcp_fastopen = 1;
	g->tunnel_pool_max = 8;
	g->udp_max_assoc = 16384;
	g->health_interval = 4000;
	g->health_timeout = 3000;
	g->health_fail = 2;
	g->health_ok = 2;
	g->health_cooldown = 120000;
	strcpy(g->dns_mode, "ipv4_then_ipv6");
	strcpy(g->lang, "auto");
	g->dns_min_ttl = 30000;
	g->dns_max_ttl = 3600000;
	g->billing = BILL_BOTH;
	g->reset_day = 1;
	g->event_timeout = 10000;
	g->ledger_interval = 2000;
	g->src_prefix_v4 = 32;
	g->src_prefix_v6 = 64;
	g->max_handshakes = 1024;
	g->max_handshakes_per_src = 64;
	strcpy(g->telegram_api, "https://api.telegram.org");
	g->notify_timeout = 10000;
}

static void
rule_defaults(struct store_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->enabled = 1;
	r->role = ROLE_RELAY;
	r->balance = BALANCE_AUTO;
	r->protocols = PROTO_TCP;
	r->connect_timeout = r->idle_timeout = r->udp_timeout = -1;
	r->proxy_timeout = r->handshake_timeout = -1;
	r->tcp_keepalive = r->tcp_keepalive_interval = r->tcp_keepalive_probes = -1;
	r->health_fail = r->health_ok = r->health_cooldown = -1;
	r->billing = -1;
	r->reset_day = -1;
	r->note = r->listen_transport = r->remote_transport = empty_str;
	r->health_send = r->health_expect = r->allow = r->deny = r->on_event = r->notify = empty_str;
}

static void
section_begin(struct parse_ctx *c, const char *section, int line)
{
	struct store *st = c->st;
	char name[STORE_NAME_MAX + 16];

	snprintf(c->cur, sizeof(c->cur), "%s", section);   /* inih's, cut at INI_SECTION_KEEP: to see it change */
	c->nseen = 0;
	c->rule = NULL;
	/* the header this key belongs to: the last one before it */
	while (c->hcur + 1 < c->nhdrs && c->hdrs[c->hcur + 1].line < line)
		c->hcur++;
	if (c->hcur < c->nhdrs && c->hdrs[c->hcur].line < line) {
		c->hdrs[c->hcur].used = 1;
		line = c->hdrs[c->hcur].line;
		if (*section)   /* the whole name from the header scan: inih keeps only its first bytes */
			section = c->hdrs[c->hcur].sect;
	}
	if (!*section) {
		c->sect = SECT_NONE;
		return;
	}
	if (strlen(section) >= STORE_NAME_MAX + 8 || (strlen(section) >= INI_SECTION_KEEP &&
	    !(c->hcur < c->nhdrs && section == c->hdrs[c->hcur].sect))) {
		store_diag_add(c->d, line, 1, "section name too long: rule names have at most %d characters",
		    TEXT_NAME_CHARS);
		c->sect = SECT_UNKNOWN;
		return;
	}
	if (strcmp(section, "global") == 0) {
		if (c->global_line)
			store_diag_add(c->d, line, 1, "a second [global] section (the first is at line %d)", c->global_line);
		c->global_line = line;
		c->sect = SECT_GLOBAL;
		return;
	}
	if (strcmp(section, "mptcp") == 0) {
		if (c->mptcp_line)
			store_diag_add(c->d, line, 1, "a second [mptcp] section (the first is at line %d)", c->mptcp_line);
		c->mptcp_line = line;
		c->sect = SECT_MPTCP;
		return;
	}
	if (strncmp(section, "rule", 4) == 0 && (section[4] == ' ' || section[4] == '\t' || !section[4])) {
		struct store_rule *nv;
		struct rule_extra *ne;

		snprintf(name, sizeof(name), "%s", section + 4);
		snprintf(name, sizeof(name), "%s", str_trim(name));
		c->sect = SECT_RULE;
		if (!store_name_valid(name)) {
			size_t chars = 0;

			for (const char *q = name; *q; q++)
				chars += ((unsigned char)*q & 0xc0) != 0x80;
			store_diag_add(c->d, line, 1, "'[%s]': %s: a rule name is 1 to %d letters (of any language), "
			    "digits, '.', '_' or '-'", section, chars > TEXT_NAME_CHARS ? "the name is too long" :
			    "not a rule name", TEXT_NAME_CHARS);
			c->sect = SECT_UNKNOWN;
			return;
		}
		if (st->nrules == c->rules_cap) {   /* grow geometrically: 10,000 rules load fast */
			size_t cap = c->rules_cap ? c->rules_cap * 2 : 16;

			nv = realloc(st->rules, cap * sizeof(*nv));
			if (nv)
				st->rules = nv;
			ne = realloc(c->extras, cap * sizeof(*ne));
			if (ne)
				c->extras = ne;
			if (!nv || !ne) {
				store_diag_add(c->d, line, 1, "out of memory");
				c->sect = SECT_UNKNOWN;
				return;
			}
			c->rules_cap = cap;
		}
		c->rule = &st->rules[st->nrules];
		rule_defaults(c->rule);
		strcpy(c->rule->name, name);
		c->rule->line = line;
		memset(&c->extras[st->nrules], 0, sizeof(c->extras[0]));
		st->nrules++;
		return;
	}
	store_diag_add(c->d, line, 0, "unknown section [%s] ignored (known: [global], [rule NAME], [mptcp])", section);
	c->sect = SECT_UNKNOWN;
}

/* 1 if key was already seen in this section (reported), else remember it. */
static int
seen_twice(struct parse_ctx *c, const char *key, int line)
{
	size_t i;

	for (i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i].key, key) == 0) {
			store_diag_add(c->d, line, 1, "%s is set twice in [%s] (first at line %d)", key, c->cur,
			    c->seen[i].line);
			return 1;
		}
	if (c->nseen < ARRAY_SIZE(c->seen)) {
		c->seen[c->nseen].key = key;
		c->seen[c->nseen].line = line;
		c->nseen++;
	}
	return 0;
}

static int
parse_weights(const char *v, struct rule_extra *x, char *err)
{
	char buf[1024], *tok, *save = NULL;

	x->nweights = 0;
	if (str_copy(buf, sizeof(buf), v) < 0) {
		snprintf(err, ERRLEN, "weights is too long");
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		long w;

		if (x->nweights >= STORE_MAX_REMOTES || parse_long(tok, 1, STORE_WEIGHT_MAX, &w) < 0) {
			snprintf(err, ERRLEN, "weights must be a comma list of numbers from 1 to %d, not '%s'",
			    STORE_WEIGHT_MAX, v);
			return -1;
		}
		x->weights[x->nweights++] = (unsigned char)w;
	}
	if (x->nweights == 0) {
		snprintf(err, ERRLEN, "weights is empty");
		return -1;
	}
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value, int line)
{
	struct parse_ctx *c = user;
	const struct key *k;
	char err[ERRLEN] = "";
	void *obj;
	size_t bad;

	/* a new section: another name, or the same name under a new header line */
	if (strcmp(section, c->cur) != 0 || c->sect == SECT_NONE ||
	    (c->hcur + 1 < c->nhdrs && c->hdrs[c->hcur + 1].line < line))
		section_begin(c, section, line);
	if (!name)
		return 1;
	if (c->sect == SECT_UNKNOWN || (c->nbroken && store_scan_skipped(c, line)))
		return 1;
	if (c->sect == SECT_NONE || !*section) {
		store_diag_add(c->d, line, 1, "'%s' is outside any section: put it under [global] or [rule NAME]", name);
		return 1;
	}
	if (strpbrk(name, " \t")) {   /* "listen 127.0.0.1:80": inih splits at the ':' */
		store_diag_add(c->d, line, 1, "not a 'key = value' line: write KEY = VALUE (here '%.*s = ...')",
		    (int)strcspn(name, " \t"), name);
		return 1;
	}
	if (!value || !*value)
		return 1;   /* "key =" means the default */
	if (!text_printable(value, &bad)) {
		store_diag_add(c->d, line, 1, "%s: the value holds a control character or a byte that is not "
		    "UTF-8 (0x%02x at byte %zu): letters of any language are fine, terminal control codes are "
		    "not", name, (unsigned char)value[bad], bad + 1);
		return 1;
	}
	if (c->sect == SECT_MPTCP) {
		struct store_mptcp *m = &c->st->mptcp;
		long l;
		int b;

		static const char *const mkeys[] = { "enabled", "subflows", "add_addr_accepted" };
		const char *key = NULL;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(mkeys); i++)
			if (strcmp(name, mkeys[i]) == 0)
				key = mkeys[i];   /* seen_twice keeps the pointer: not inih's line buffer */
		if (strcmp(name, "endpoint") == 0) {
			struct mptcp_endpoint ep;

			if (mptcp_endpoint_parse(value, &ep, err) < 0) {
				store_diag_add(c->d, line, 1, "endpoint: %s", err);
				return 1;
			}
		}
		if (strcmp(name, "endpoint") == 0) {
			char **nv = realloc(m->endpoints, (m->nendpoints + 1) * sizeof(*nv));
			if (!nv || !(nv[m->nendpoints] = strdup(value))) {
				if (nv)
					m->endpoints = nv;
				store_diag_add(c->d, line, 1, "out of memory");
				return 1;
			}
			m->endpoints = nv;
			m->nendpoints++;
		} else if (key && seen_twice(c, key, line))
			;
		else if (strcmp(name, "enabled") == 0) {
			if (parse_bool(value, &b) < 0)
				store_diag_add(c->d, line, 1, "enabled must be yes or no, not '%s'", value);
			else
				m->enabled = b;
		} else if (strcmp(name, "subflows") == 0 || strcmp(name, "add_addr_accepted") == 0) {
			if (parse_long(value, 0, 8, &l) < 0)
				store_diag_add(c->d, line, 1, "%s must be a number from 0 to 8, not '%s'", name, value);
			else if (name[0] == 's')
				m->subflows = l;
			else
				m->add_addr_accepted = l;
		} else
			store_diag_add(c->d, line, 0, "unknown key '%s' in [mptcp] ignored", name);
		return 1;
	}
	if (c->sect == SECT_GLOBAL) {
		k = key_find(global_keys, ARRAY_SIZE(global_keys), name);
		obj = &c->st->g;
	} else {
		k = key_find(rule_keys, ARRAY_SIZE(rule_keys), name);
		obj = c->rule;
	}
	if (!k) {
		const char *near = store_key_suggest(name, c->sect == SECT_GLOBAL);

		store_diag_add(c->d, line, 0, "unknown key '%s' in [%s] ignored%s%s%s", name, c->cur,
		    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		return 1;
	}
	if (!k->multi && seen_twice(c, k->name, line))
		return 1;
	if (strcmp(name, "notify") == 0 || strcmp(name, "telegram_api") == 0)   /* checked again once all is read */
		*(c->sect == SECT_RULE ? &c->extras[c->rule - c->st->rules].notify_line : name[0] == 'n' ?
		    &c->notify_line : &c->telegram_api_line) = line;
	if (c->sect == SECT_RULE && strcmp(name, "weights") == 0) {
		struct rule_extra *x = &c->extras[c->rule - c->st->rules];
		if (parse_weights(value, x, err) < 0)
			store_diag_add(c->d, line, 1, "%s", err);
		x->weights_line = line;
		return 1;
	}
	if (key_apply(k, value, obj, err) < 0) {
		size_t kl = strlen(k->name);

		if (c->sect == SECT_RULE && c->rule) {
			struct rule_extra *x = &c->extras[c->rule - c->st->rules];
			x->listen_bad |= strcmp(k->name, "listen") == 0;
			x->remote_bad |= strcmp(k->name, "remote") == 0;
		}
		/* name the key unless the message starts with it ("balance must be ...") */
		if (strncmp(err, k->name, kl) == 0 && (err[kl] == ' ' || err[kl] == ':'))
			store_diag_add(c->d, line, 1, "%s", err);
		else
			store_diag_add(c->d, line, 1, "%s: %s", k->name, err);
	}
	return 1;
}

int
store_name_valid(const char *name)
{
	return text_name_valid(name);
}

int
store_parse_text(const char *text, const char *fname, struct store *st, struct store_diags *d)
{
	struct parse_ctx c;
	int rc;

	memset(st, 0, sizeof(*st));
	global_defaults(&st->g);
	st->mptcp.enabled = -1;
	st->mptcp.subflows = st->mptcp.add_addr_accepted = -1;
	snprintf(d->file, sizeof(d->file), "%s", fname);
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.d = d;
	c.sect = SECT_NONE;
	if (store_scan_headers(&c, text) < 0)
		store_diag_add(d, 0, 1, "out of memory");
	store_scan_syntax(&c, text);
	rc = ini_parse_string(text, handler, &c);
	if (rc > 0 && rc != c.first_syntax_line)
		store_diag_add(d, rc, 1, "not a 'key = value' line, a [section] or a comment "
		    "(or longer than 4000 characters)");
	else if (rc < 0)
		store_diag_add(d, 0, 1, "out of memory while parsing");
	store_scan_empty_sections(&c);
	store_validate(&c);
	store_diags_sort(d);
	free(c.extras);
	free(c.hdrs);
	free(c.broken);
	return d->nerrors ? -1 : 0;
}

int
store_load(const char *path, struct store *st, struct store_diags *d)
{
	char *text;
	int rc;

	text = file_read(path, NULL);
	if (!text) {
		if (errno == ENOENT)
			return store_parse_text("", path, st, d);
		memset(st, 0, sizeof(*st));
		snprintf(d->file, sizeof(d->file), "%s", path);
		store_diag_add(d, 0, 1, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (memchr(text, '\0', strlen(text) + 1) != text + strlen(text)) {
		/* unreachable: file_read NUL-terminates; embedded NULs end the text early */
	}
	rc = store_parse_text(text, path, st, d);
	free(text);
	return rc;
}

void
store_free(struct store *st)
{
	size_t i;

	for (i = 0; i < st->nrules; i++) {
		struct store_rule *r = &st->rules[i];
		char **strs[] = { &r->note, &r->listen_transport, &r->remote_transport, &r->health_send,
			&r->health_expect, &r->allow, &r->deny, &r->on_event, &r->notify };
		size_t j;

		free(r->remotes);
		free(r->lmore);
		for (j = 0; j < ARRAY_SIZE(strs); j++)
			if (*strs[j] != empty_str)
				free(*strs[j]);
	}
	free(st->rules);
	for (i = 0; i < st->mptcp.nendpoints; i++)
		free(st->mptcp.endpoints[i]);
	free(st->mptcp.endpoints);
	memset(st, 0, sizeof(*st));
}

const struct store_rule *
store_find(const struct store *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nrules; i++)
		if (strcmp(st->rules[i].name, name) == 0)
			return &st->rules[i];
	return NULL;
}

long
store_rule_ms(const struct store *st, const struct store_rule *r, long rule_value, long global_value)
{
	(void)st;
	(void)r;
	return rule_value >= 0 ? rule_value : global_value;
}

const char *
store_balance_name(enum balance_mode b)
{
	return (unsigned)b < ARRAY_SIZE(balance_names) ? balance_names[b] : "auto";
}

const char *
store_proto_name(unsigned protocols)
{
	switch (protocols & (PROTO_TCP | PROTO_UDP)) {
	case PROTO_TCP: return "tcp";
	case PROTO_UDP: return "udp";
	case PROTO_TCP | PROTO_UDP: return "tcp+udp";
	}
	return "none";
}

const char *
store_proxy_name(const struct store_rule *r, char *buf, size_t size)
{
	const char *send = r->proxy_send == PROXY_V1 ? "send-v1" : r->proxy_send == PROXY_V2 ? "send-v2" : "";

	if (!r->proxy_accept && !*send)
		snprintf(buf, size, "off");
	else
		snprintf(buf, size, "%s%s%s", r->proxy_accept ? "accept" : "",
		    r->proxy_accept && *send ? "+" : "", send);
	return buf;
}

const char *
store_mptcp_name(unsigned m)
{
	static const char *const n[] = { "off", "send", "accept", "both" };

	return n[m & 3];
}
