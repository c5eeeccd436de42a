/* A rule's fingerprint (store_rule_fingerprint): walked from the key tables,
 * so a key in a table changes it by itself. The relay rebuilds a rule on
 * reload when, and only when, its fingerprint changed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "t.h"
#include "store.h"
#include "store_int.h"

/* One sample value per key, different from its default: a key added to a
 * table without one here fails the test until it has one. */
struct sample {
	const char *key, *value;
};

static const struct sample rule_samples[] = {
	{ "note", "a note" }, { "enabled", "no" }, { "role", "exit" }, { "listen", "10000,10005" },
	{ "listen_interface", "lo" }, { "remote", "127.0.0.1:20009" }, { "weights", "1,3" },
	{ "balance", "iphash" }, { "failover", "yes" }, { "protocol", "tcp+udp" }, { "through", "127.0.0.2" },
	{ "interface", "lo" }, { "listen_congestion", "reno" }, { "remote_congestion", "reno" },
	{ "listen_transport", "ws;host=example.com;path=/t" }, { "remote_transport", "ws;host=example.com;path=/t" },
	{ "udp_transport", "plain" }, { "proxy", "send-v1" }, { "proxy_timeout", "7s" }, { "mptcp", "both" }, { "ipv6_only", "yes" },
	{ "connect_timeout", "7s" }, { "idle_timeout", "1h" }, { "udp_timeout", "70s" },
	{ "handshake_timeout", "7s" }, { "health_fail", "5" }, { "health_ok", "5" }, { "health_cooldown", "70s" },
	{ "health_send", "ping" }, { "health_expect", "pong" }, { "quota", "10G" }, { "quota_action", "throttle" },
	{ "quota_rate", "1mbit" }, { "billing", "max" }, { "reset_day", "15" }, { "rate_in", "10mbit" },
	{ "rate_out", "10mbit" }, { "conn_rate", "1mbit" }, { "max_conns", "100" }, { "max_conns_per_src", "10" },
	{ "new_conns_per_src", "10" }, { "allow", "10.0.0.0/8" }, { "deny", "10.0.0.0/8" },
	{ "on_event", "/bin/true" }, { "tcp_keepalive", "70s" }, { "tcp_keepalive_interval", "70s" },
	{ "tcp_keepalive_probes", "5" }, { "notify", "off" }, { "expire", "2099-01-31" },
};

static const struct sample global_samples[] = {
	{ "log_level", "debug" }, { "log_file", "/tmp/x.log" }, { "log_max_size", "1M" }, { "workers", "2" },
	{ "cpu_affinity", "no" },
	{ "connect_timeout", "7s" }, { "idle_timeout", "1h" }, { "udp_timeout", "70s" }, { "proxy_timeout", "7s" },
	{ "handshake_timeout", "7s" }, { "tcp_keepalive", "70s" }, { "tcp_keepalive_interval", "70s" },
	{ "tcp_keepalive_probes", "5" }, { "tcp_nodelay", "no" }, { "tcp_fastopen", "no" }, { "tunnel_pool_max", "2" }, { "listen_congestion", "reno" },
	{ "remote_congestion", "reno" }, { "udp_max_assoc", "100" }, { "health_interval", "10s" },
	{ "health_timeout", "2s" }, { "health_fail", "5" }, { "health_ok", "5" }, { "health_cooldown", "70s" },
	{ "dns_mode", "ipv6_then_ipv4" }, { "lang", "zh" }, { "dns_min_ttl", "10s" }, { "dns_max_ttl", "2h" }, { "billing", "max" },
	{ "reset_day", "15" }, { "on_event", "/bin/true" }, { "event_timeout", "5s" }, { "metrics_listen", "9101" },
	{ "ledger_interval", "5s" }, { "src_prefix_v4", "24" }, { "src_prefix_v6", "48" },
	{ "max_handshakes", "100" }, { "max_handshakes_per_src", "10" }, { "notify", "webhook:https://example.com/h" },
	{ "notify_events", "quota_100" }, { "notify_ca", "/etc/hostname" }, { "telegram_api", "https://example.com" },
	{ "server_name", "box" }, { "notify_insecure_http", "yes" }, { "notify_report", "1h" },
	{ "notify_timeout", "5s" },
};

static const char *
sample_of(const struct sample *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].value;
	return NULL;
}

/* The fingerprint of rule "a" in a store with gkey = gval in [global] and
 * rkey = rval in the rule (either NULL: not there); NULL when it does not parse. */
static char *
fp_of(const char *gkey, const char *gval, const char *rkey, const char *rval)
{
	char text[1024], global[256] = "", extra[256] = "";
	struct store st;
	struct store_diags d;
	char *fp = NULL;

	if (gkey)
		snprintf(global, sizeof(global), "[global]\n%s = %s\n", gkey, gval);
	if (rkey)
		snprintf(extra, sizeof(extra), "%s = %s\n", rkey, rval);
	snprintf(text, sizeof(text), "%s[rule a]\n%s%s%s%s", global,
	    rkey && strcmp(rkey, "listen") == 0 ? "" : "listen = 10000\n",
	    rkey && strcmp(rkey, "remote") == 0 ? "" : "remote = 127.0.0.1:20000\n",
	    rkey && strcmp(rkey, "remote") == 0 ? "" : "remote = 127.0.0.1:20002\n", extra);
	memset(&d, 0, sizeof(d));
	if (store_parse_text(text, "t.conf", &st, &d) == 0 && st.nrules == 1)
		fp = store_rule_fingerprint(&st, &st.rules[0]);
	else if (d.n)
		printf("# %s = %s: %s\n", rkey ? rkey : gkey, rkey ? rval : gval, d.v[0].msg);
	store_free(&st);
	store_diags_free(&d);
	return fp;
}

/* Every key of the real tables: a rule key, or a [global] key a rule reads,
 * changes the fingerprint; a process-wide [global] key (KF_NONE) does not. */
static void
test_tables(void)
{
	char *base = fp_of(NULL, NULL, NULL, NULL), *fp;
	const struct key *tab;
	size_t i, n;

	CHECK(base != NULL, "the base store parses");
	if (!base)
		return;
	tab = store_key_table(0, &n);
	for (i = 0; i < n; i++) {
		const char *v = sample_of(rule_samples, sizeof(rule_samples) / sizeof(rule_samples[0]), tab[i].name);

		CHECK(v != NULL, "[rule] key %s has a sample value in this test", tab[i].name);
		if (!v)
			continue;
		fp = fp_of(NULL, NULL, tab[i].name, v);
		CHECK(fp && strcmp(fp, base) != 0, "[rule] %s = %s changes the fingerprint", tab[i].name, v);
		free(fp);
	}
	tab = store_key_table(1, &n);
	for (i = 0; i < n; i++) {
		const char *v = sample_of(global_samples, sizeof(global_samples) / sizeof(global_samples[0]),
		    tab[i].name);

		CHECK(v != NULL, "[global] key %s has a sample value in this test", tab[i].name);
		if (!v)
			continue;
		fp = fp_of(tab[i].name, v, NULL, NULL);
		if (tab[i].fp == KF_NONE)
			CHECK(fp && strcmp(fp, base) == 0, "[global] %s = %s (no rule reads it) leaves it", tab[i].name, v);
		else
			CHECK(fp && strcmp(fp, base) != 0, "[global] %s = %s changes the fingerprint", tab[i].name, v);
		free(fp);
	}
	free(base);
}

/* A table of the test's own, as a key added to the store's tables would be:
 * the walk picks up each key with no other code, and a change of that key
 * alone changes the text. */
struct dummy {
	long num;
	char chars[8];
	char *str;
	uint64_t size;
	unsigned flags;
	long process_wide;
};

#define D(f) offsetof(struct dummy, f), sizeof(((struct dummy *)0)->f)

static const struct key dummy_keys[] = {
	{ "num", K_LONG, 0, D(num), 0, 100, NULL, KF_AUTO },
	{ "chars", K_STR, 0, D(chars), 0, 0, NULL, KF_AUTO },
	{ "str", K_PSTR, 0, D(str), 0, 0, NULL, KF_AUTO },
	{ "size", K_SIZE, 0, D(size), 0, 0, NULL, KF_AUTO },
	{ "flags", K_FN, 0, D(flags), 0, 0, NULL, KF_RAW },
	{ "process_wide", K_LONG, 0, D(process_wide), 0, 100, NULL, KF_NONE },
};

static char *
dummy_fp(const struct dummy *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	store_keys_fingerprint(f, dummy_keys, sizeof(dummy_keys) / sizeof(dummy_keys[0]), d);
	fclose(f);
	return buf;
}

static void
test_dummy_table(void)
{
	char s1[] = "x", s2[] = "y";
	struct dummy base = { 1, "ab", s1, 10, 0, 0 }, d;
	char *b = dummy_fp(&base), *fp;
	int i;

	CHECK(b && strstr(b, "num=") && strstr(b, "flags=") && !strstr(b, "process_wide"),
	    "the walk writes every key but a KF_NONE one");
	for (i = 0; i < 6; i++) {
		d = base;
		switch (i) {
		case 0: d.num = 2; break;
		case 1: strcpy(d.chars, "ac"); break;
		case 2: d.str = s2; break;
		case 3: d.size = 11; break;
		case 4: d.flags = 1; break;
		case 5: d.process_wide = 7; break;
		}
		fp = dummy_fp(&d);
		if (i == 5)
			CHECK(b && fp && strcmp(b, fp) == 0, "dummy key %s (KF_NONE) alone changed: same", dummy_keys[i].name);
		else
			CHECK(b && fp && strcmp(b, fp) != 0, "dummy key %s alone changed: the fingerprint changes",
			    dummy_keys[i].name);
		free(fp);
	}
	d = base;
	strcpy(d.chars, "ab");
	d.chars[3] = 'z';   /* past the string's end: not part of the value */
	fp = dummy_fp(&d);
	CHECK(b && fp && strcmp(b, fp) == 0, "bytes past a string's end do not count");
	free(fp);
	free(b);
}

int
main(void)
{
	test_dummy_table();
	test_tables();
	return T_DONE();
}
