/* migrate: shell-variable files as data, JSON and TOML readers, realm and xwPF conversion. */
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "t.h"
#include "util.h"

#define JSON(s) json_parse(s, strlen(s), err)
#define TOML(s) mig_toml_parse(s, strlen(s), err)

struct kvs {
	char k[8][32], v[8][256];
	int n;
};

static int
collect(void *u, const char *k, const char *v, int line, char *err)
{
	struct kvs *s = u;

	(void)line;
	(void)err;
	if (s->n < 8) {
		snprintf(s->k[s->n], 32, "%s", k);
		snprintf(s->v[s->n], 256, "%s", v);
		s->n++;
	}
	return 0;
}

static int
shvars(const char *text, struct kvs *s, char *err)
{
	struct mig_file f = { "rule-1.conf", text, strlen(text) };

	memset(s, 0, sizeof(*s));
	return mig_shvars(&f, collect, s, err);
}

static const char *
rule_get(const struct mig_result *m, const char *name, const char *key)
{
	size_t i;

	for (i = 0; i < m->nrules; i++)
		if (strcmp(m->rules[i].name, name) == 0)
			return mig_get(&m->rules[i], key);
	return NULL;
}

int
main(void)
{
	char err[ERRLEN] = "", out[300];
	struct kvs s;
	struct json_val *v;
	const struct json_val *x;
	struct mig_result m;

	/* shell variables: quoted, single-quoted, plain, comments; nothing expanded */
	CHECK(shvars("A=\"x y\"\nB='$(id)'\n# c\n  C=plain # trailing\nexport D=\"a\\\"b\\$c\"\n\nE=\n", &s, err) == 0,
	    "a well-formed rule file parses (%s)", err);
	CHECK(s.n == 5, "five assignments");
	CHECK_STR(s.v[0], "x y", "double quotes");
	CHECK_STR(s.v[1], "$(id)", "single quotes keep $(...) as text");
	CHECK_STR(s.v[2], "plain", "a plain word, comment dropped");
	CHECK_STR(s.v[3], "a\"b$c", "escapes in double quotes, 'export' accepted");
	CHECK_STR(s.v[4], "", "an empty value");
	CHECK(shvars("A=\"$(touch /tmp/x)\"\n", &s, err) == 0 && strcmp(s.v[0], "$(touch /tmp/x)") == 0,
	    "$(...) inside double quotes is text");
	CHECK(shvars("A=1\n$(touch /tmp/x)\n", &s, err) < 0 && strstr(err, "rule-1.conf:2:"), "a command line is refused: %s", err);
	CHECK(shvars("A=$(id)\n", &s, err) < 0, "an unquoted $( is refused");
	CHECK(shvars("A=`id`\n", &s, err) < 0, "an unquoted backtick is refused");
	CHECK(shvars("A=1; rm -rf /\n", &s, err) < 0, "a ';' after a value is refused");
	CHECK(shvars("A=\"open\n", &s, err) < 0 && strstr(err, "not closed"), "an open quote is refused");
	CHECK(shvars("A=x y\n", &s, err) < 0, "two words are refused");
	CHECK(shvars("export\n", &s, err) < 0, "a bare 'export' is refused");

	/* MPTCP endpoint lines */
	CHECK(mig_mptcp_line("10.0.0.2 id 1 subflow fullmesh dev eth1", out, sizeof(out), err) == 0, "endpoint line");
	CHECK_STR(out, "10.0.0.2 dev eth1 id 1 subflow fullmesh", "endpoint in the store's order");
	CHECK(mig_mptcp_line("eth1 id 1", out, sizeof(out), err) < 0, "an endpoint needs an address first");
	CHECK(mig_mptcp_line("10.0.0.2 dev a/b", out, sizeof(out), err) < 0, "a bad interface name is refused");

	/* listen normalisation */
	CHECK(mig_listen(":::10000", out, sizeof(out)) == 0 && strcmp(out, "[::]:10000") == 0, ":::10000 -> [::]:10000");
	CHECK(mig_listen("0.0.0.0:80", out, sizeof(out)) == 0 && strcmp(out, "0.0.0.0:80") == 0, "IPv4 kept");
	CHECK(mig_listen("[::1]:80", out, sizeof(out)) == 0 && strcmp(out, "[::1]:80") == 0, "bracketed kept");
	CHECK(mig_listen("::1:80", out, sizeof(out)) == 0 && strcmp(out, "[::1]:80") == 0, "bare IPv6 bracketed");
	CHECK(mig_listen(":80", out, sizeof(out)) == 0 && strcmp(out, "[::]:80") == 0, ":80 -> [::]:80");
	CHECK(mig_listen("80", out, sizeof(out)) < 0, "no colon: refused");

	/* names and notes */
	mig_name(out, 41, "lb group #1", "x");
	CHECK_STR(out, "lb-group-1", "a name from free text");
	mig_name(out, 41, "???", "xwpf-10001");
	CHECK_STR(out, "xwpf-10001", "the fallback name");
	mig_note(out, sizeof(out), "HK #1\tline");
	CHECK_STR(out, "HK -1 line", "a note without comment starts or tabs");

	/* JSON */
	v = JSON("{\"a\": [1, -2.5e1, true, null, \"\\u00e9\\ud83d\\ude00\"], \"b\": {}}");
	CHECK(v != NULL, "JSON parses (%s)", err);
	x = json_get(v, "a");
	CHECK(x && x->t == JSON_ARR && x->n == 5 && x->v[1]->num == -25 && x->v[2]->b == 1 && x->v[3]->t == JSON_NULL,
	    "JSON array values");
	CHECK(x && strcmp(x->v[4]->s, "\xc3\xa9\xf0\x9f\x98\x80") == 0, "JSON \\u escapes and surrogate pairs");
	json_free(v);
	CHECK(JSON("{\"a\":1,}") == NULL, "a trailing comma is refused");
	CHECK(JSON("{\"a\":1}x") == NULL && strstr(err, "after"), "text after the value is refused");
	CHECK(JSON("{\"a\":1,\"a\":2}") == NULL && strstr(err, "twice"), "a duplicate key is refused");
	CHECK(JSON("\"\\ud800\"") == NULL, "a lone surrogate is refused");
	{
		char deep[200];
		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		CHECK(json_parse(deep, 200, err) == NULL && strstr(err, "deeper"), "nesting is capped");
	}

	/* TOML */
	{
		const char *t = "# c\n[network]\nuse_udp = true # c\n\n[[endpoints]]\nlisten = \"0.0.0.0:1\"\n"
		    "remote = 'a.example:2'\nextra_remotes = [\n \"b:3\", # c\n]\nnetwork.send_proxy = true\n"
		    "n = 1_000\n[[endpoints]]\nlisten = \"\"\"\n[::]:4\"\"\"\nremote = \"c:5\"\n"
		    "[endpoints.network]\nno_tcp = true\nuse_udp = true\ninl = { a = 1, b = \"x\" }\n";

		v = mig_toml_parse(t, strlen(t), err);
		CHECK(v != NULL, "TOML parses (%s)", err);
		x = json_get(v, "endpoints");
		CHECK(x && x->t == JSON_ARR && x->n == 2, "two [[endpoints]]");
		CHECK(x && x->n == 2 && json_get(x->v[0], "extra_remotes") && json_get(x->v[0], "extra_remotes")->n == 1,
		    "a multi-line array with a comment and a trailing comma");
		CHECK(x && x->n == 2 && json_get(json_get(x->v[0], "network"), "send_proxy"), "a dotted key makes a table");
		CHECK(x && x->n == 2 && json_get(x->v[0], "n")->num == 1000, "1_000 is 1000");
		CHECK(x && x->n == 2 && strcmp(json_get(x->v[1], "listen")->s, "[::]:4") == 0, "a multi-line string");
		CHECK(x && x->n == 2 && json_get(json_get(x->v[1], "network"), "no_tcp"),
		    "[endpoints.network] belongs to the last endpoint");
		memset(&m, 0, sizeof(m));
		CHECK(mig_realm(v, &m, err) == 0 && m.nrules == 2, "two realm rules (%s)", err);
		CHECK_STR(rule_get(&m, "realm-1", "protocol"), "tcp+udp", "the global use_udp applies");
		CHECK_STR(rule_get(&m, "realm-1", "proxy"), "send-v2", "send_proxy defaults to version 2");
		CHECK_STR(rule_get(&m, "realm-4", "protocol"), "udp", "no_tcp + use_udp is udp");
		CHECK_STR(rule_get(&m, "realm-4", "listen"), "[::]:4", "the listen address");
		mig_free(&m);
		json_free(v);
	}
	CHECK(TOML("a = 1 b = 2\n") == NULL && strstr(err, "line 1"), "two values on a line are refused");
	CHECK(TOML("a = 1979-05-27\n") == NULL, "dates are refused");
	CHECK(TOML("[a]\nx=1\n[a.x]\n") == NULL && strstr(err, "line 3"), "a value reused as a table is refused: %s", err);
	v = TOML("[[endpoints]]\nlisten = \"0.0.0.0:9\"\nremote = \"r:1\"\nbalance = \"roundrobin: 3, 1\"\n"
	    "extra_remotes = [\"s:2\"]\n");
	memset(&m, 0, sizeof(m));
	CHECK(v && mig_realm(v, &m, err) == 0, "balance config converts");
	CHECK_STR(rule_get(&m, "realm-9", "weights"), "3,1", "weights from the balance string");
	CHECK_STR(rule_get(&m, "realm-9", "balance"), "roundrobin", "the balance mode");
	mig_free(&m);
	json_free(v);
	v = JSON("{\"endpoints\":[{\"listen\":\"0.0.0.0:9\",\"remote\":\"r:1\",\"balance\":\"random: 1\"}]}");
	memset(&m, 0, sizeof(m));
	CHECK(v && mig_realm(v, &m, err) < 0 && strstr(err, "roundrobin, iphash or off"), "an unknown balance is refused");
	mig_free(&m);
	json_free(v);

	/* xwPF groups */
	{
		struct mig_file f[3] = {
			{ "rules/rule-2.conf", "RULE_ID=2\nLISTEN_PORT=80\nREMOTE_HOST=b\nREMOTE_PORT=1\nWEIGHTS=1\n", 0 },
			{ "rules/rule-1.conf", "RULE_ID=1\nRULE_NAME=g\nLISTEN_PORT=80\nREMOTE_HOST=a\nREMOTE_PORT=1\n"
			    "BALANCE_MODE=roundrobin\nWEIGHTS=2,1\nSECURITY_LEVEL=ws\nWS_PATH=/p\n", 0 },
			{ "rules/rule-3.conf", "RULE_ID=3\nRULE_ROLE=2\nLISTEN_PORT=81\nFORWARD_TARGET=127.0.0.1:9\n"
			    "SECURITY_LEVEL=tls_ca\nTLS_CERT_PATH=/c\nTLS_KEY_PATH=/k\n", 0 },
		};
		size_t i, nrem = 0;

		for (i = 0; i < 3; i++)
			f[i].len = strlen(f[i].text);
		memset(&m, 0, sizeof(m));
		CHECK(mig_xwpf(f, 3, NULL, NULL, &m, err) == 0 && m.nrules == 2, "two groups (%s)", err);
		CHECK(m.nrules == 2 && strcmp(m.rules[0].name, "g") == 0, "the group takes the first rule's name");
		for (i = 0; m.nrules && i < m.rules[0].nkv; i++)
			nrem += strcmp(m.rules[0].kv[i].key, "remote") == 0;
		CHECK(nrem == 2, "the group has both remotes");
		CHECK_STR(rule_get(&m, "g", "weights"), "2,1", "the first rule's WEIGHTS");
		CHECK_STR(rule_get(&m, "g", "remote_transport"), "ws;host=www.tesla.com;path=/p",
		    "ws with the script's default host");
		CHECK_STR(rule_get(&m, "xwpf-81", "listen_transport"), "tls;cert=/c;key=/k", "a tls_ca exit");
		CHECK_STR(rule_get(&m, "xwpf-81", "role"), "exit", "the exit role");
		CHECK_STR(rule_get(&m, "g", "protocol"), "tcp+udp", "UDP on, as the script ran realm");
		CHECK_STR(rule_get(&m, "g", "udp_transport"), "plain", "a ws relay's UDP beside the tunnel, as realm");
		CHECK_STR(rule_get(&m, "xwpf-81", "udp_transport"), "plain", "a tls exit's UDP plain on its port");
		mig_free(&m);
	}
	/* the traffic tool's config.json (mig_dog.c) */
	{
		static const char j[] = "{\"global\":{\"billing_mode\":\"double\"},\"ports\":{"
		    "\"443\":{\"enabled\":true,\"billing_mode\":\"single\",\"bandwidth_limit\":{\"enabled\":true,"
		    "\"rate\":\"20Mbps\"},\"quota\":{\"enabled\":true,\"monthly_limit\":\"500mb\",\"reset_day\":15}},"
		    "\"1000-1010\":{\"quota\":{\"monthly_limit\":\"1T\"}},"
		    "\"x\":{},\"80\":{\"quota\":{\"monthly_limit\":\"lots\"}},"
		    "\"81\":{\"enabled\":false,\"quota\":{\"monthly_limit\":\"1GB\"}}}}";

		memset(&m, 0, sizeof(m));
		v = json_parse(j, sizeof(j) - 1, err);
		CHECK(v && mig_dog_is(v), "a traffic tool config is recognised");
		CHECK(v && mig_dog(v, &m, err) == 0 && m.nlimits == 2, "two ports with limits (%s)", err);
		if (m.nlimits == 2) {
			CHECK_STR(m.limits[0].name, "443", "port 443");
			CHECK_STR(mig_get(&m.limits[0], "quota"), "500M", "500mb -> 500M (binary, as the tool)");
			CHECK_STR(mig_get(&m.limits[0], "billing"), "out", "single: what the port sends");
			CHECK_STR(mig_get(&m.limits[0], "reset_day"), "15", "reset day");
			CHECK_STR(mig_get(&m.limits[0], "rate_in"), "20mbit", "20Mbps -> 20mbit");
			CHECK_STR(mig_get(&m.limits[0], "quota_action"), "stop", "the tool drops over the quota");
			CHECK_STR(m.limits[1].name, "1000-1010", "a range");
			CHECK_STR(mig_get(&m.limits[1], "billing"), "both", "global double: both ways");
			CHECK(mig_get(&m.limits[1], "rate_in") == NULL, "no cap given, none imported");
		}
		CHECK(m.nwarnings == 3, "warned: a key that is no port, a quota that is no size, a port turned off (%zu)",
		    m.nwarnings);
		json_free(v);
		mig_free(&m);
		v = json_parse("{\"endpoints\":[],\"ports\":{}}", 27, err);
		CHECK(v && !mig_dog_is(v), "a realm config with endpoints is not the tool's");
		json_free(v);
	}
	return T_DONE();
}
