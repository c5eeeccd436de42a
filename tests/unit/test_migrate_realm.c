/* migrate, realm: configs in parts, the command line's override, the legacy form, what realm accepts. */
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "t.h"
#include "util.h"

static char err[ERRLEN];

static const char *
rule_get(const struct mig_result *m, const char *name, const char *key)
{
	const struct mig_rule *r = m->rules, *end = m->rules + m->nrules;

	while (r < end && strcmp(r->name, name) != 0)
		r++;
	return r < end ? mig_get(r, key) : NULL;
}

static int
warned(const struct mig_result *m, const char *needle)
{
	size_t i;

	for (i = 0; i < m->nwarnings; i++)
		if (strstr(m->warnings[i], needle))
			return 1;
	return 0;
}

static int
convert(const char *json, const char *over, int run, struct mig_result *m)
{
	struct json_val *v = json_parse(json, strlen(json), err), *o = over ? json_parse(over, strlen(over), err) : NULL;
	struct mig_realm_opts opts = { run, NULL, NULL };
	const struct json_val *parts[1] = { v };
	int rc;

	memset(m, 0, sizeof(*m));
	rc = v ? mig_realm_parts(parts, 1, o, &opts, m, err) : -1;
	json_free(v);
	json_free(o);
	return rc;
}

int
main(void)
{
	struct mig_result m;
	struct json_val *a, *b;
	const struct json_val *parts[2];

	CHECK(convert("{\"endpoints\":[{\"listen\":\"localhost:9\",\"remote\":\"r:1\",\"through\":\"[::1]\","
	    "\"network\":{\"ipv6_only\":true,\"tcp_keepalive\":20,\"tcp_keepalive_probe\":4}}]}", NULL, 0, &m) == 0,
	    "localhost listen, bracketed through, ipv6_only with IPv4 (%s)", err);
	CHECK_STR(rule_get(&m, "realm-9", "listen"), "127.0.0.1:9", "localhost is 127.0.0.1");
	CHECK_STR(rule_get(&m, "realm-9", "through"), "::1", "the brackets go");
	CHECK(rule_get(&m, "realm-9", "ipv6_only") == NULL, "ipv6_only does nothing on an IPv4 listener (as in realm)");
	CHECK_STR(rule_get(&m, "realm-9", "tcp_keepalive"), "20s", "keepalive time");
	CHECK_STR(rule_get(&m, "realm-9", "tcp_keepalive_interval"), "20s", "keepalive interval is the same");
	CHECK_STR(rule_get(&m, "realm-9", "tcp_keepalive_probes"), "4", "keepalive probes");
	mig_free(&m);

	CHECK(convert("{\"endpoints\":[{\"listen\":\"[::]:9\",\"remote\":\"a:1\",\"extra_remotes\":[\"b:1\",\"c:1\"],"
	    "\"balance\":\"iphash: 255, 0, 7\"}]}", NULL, 0, &m) == 0, "weights 255 and 0 (%s)", err);
	CHECK_STR(rule_get(&m, "realm-9", "weights"), "255,7", "weight 0 leaves the peer out");
	CHECK(warned(&m, "b:1 has weight 0"), "and says so");
	mig_free(&m);

	CHECK(convert("{\"network\":{\"use_udp\":true,\"tcp_timeout\":0,\"zero_copy\":true,\"bogus\":1},"
	    "\"endpoints\":[{\"local\":\"127.0.0.1:7\",\"remote\":\"r:1\",\"x\":2}]}", NULL, 0, &m) == 0,
	    "the README's \"local\" (%s)", err);
	CHECK_STR(rule_get(&m, "realm-7", "connect_timeout"), "600s", "tcp_timeout 0 is the longest connect timeout");
	CHECK(warned(&m, "tcp_timeout = 0") && warned(&m, "zero_copy") && warned(&m, "network.bogus") &&
	    warned(&m, "endpoint.x"), "every key not honoured is named");
	mig_free(&m);

	CHECK(convert("{\"network\":{\"use_udp\":false,\"send_proxy\":true},\"endpoints\":[{\"listen\":\"127.0.0.1:7\","
	    "\"remote\":\"r:1\",\"network\":{\"use_udp\":false,\"tcp_keepalive\":3}}]}",
	    "{\"network\":{\"use_udp\":true,\"send_proxy_version\":1},\"log\":{\"level\":\"trace\"}}", 1, &m) == 0,
	    "a command-line override (%s)", err);
	CHECK_STR(rule_get(&m, "realm-7", "protocol"), "tcp+udp", "the override wins over the endpoint");
	CHECK_STR(rule_get(&m, "realm-7", "proxy"), "send-v1", "and over [network], key by key");
	CHECK_STR(rule_get(&m, "realm-7", "tcp_keepalive"), "3s", "the endpoint wins over [network]");
	CHECK(m.global && strcmp(mig_get(m.global, "log_level"), "debug") == 0 &&
	    strcmp(mig_get(m.global, "dns_mode"), "ipv4_and_ipv6") == 0, "a run: [log] into [global], realm's dns default");
	mig_free(&m);

	CHECK(convert("{\"listening_addresses\":[\"127.0.0.1\"],\"listening_ports\":[\"8080-8082\"],"
	    "\"remote_addresses\":[\"1.1.1.1\",\"2.2.2.2\"],\"remote_ports\":[\"443\"]}", NULL, 0, &m) == 0 &&
	    m.nrules == 3, "the legacy form: one rule per port (%s)", err);
	CHECK_STR(rule_get(&m, "realm-8081", "remote"), "2.2.2.2:443", "addresses in order ...");
	CHECK_STR(rule_get(&m, "realm-8082", "remote"), "1.1.1.1:443", "... then the first again");
	mig_free(&m);

	{
		const char *ja = "{\"network\":{\"use_udp\":true},\"endpoints\":[{\"listen\":\"127.0.0.1:1\","
		    "\"remote\":\"r:1\"}]}";
		const char *tb = "[network]\nuse_udp = false\nno_tcp = true\n[[endpoints]]\nlisten = \"127.0.0.1:2\"\n"
		    "remote = \"r:2\"\n";

		a = json_parse(ja, strlen(ja), err);
		b = mig_toml_parse(tb, strlen(tb), err);
	}
	parts[0] = a;
	parts[1] = b;
	memset(&m, 0, sizeof(m));
	CHECK(a && b && mig_realm_parts(parts, 2, NULL, NULL, &m, err) == 0 && m.nrules == 2, "two parts (%s)", err);
	CHECK_STR(rule_get(&m, "realm-2", "protocol"), "udp", "the first part's use_udp, the second's no_tcp");
	mig_free(&m);
	json_free(a);
	json_free(b);

	CHECK(convert("{\"endpoints\":[{\"listen\":\"no.such.name.invalid:1\",\"remote\":\"r:1\"}]}", NULL, 0, &m) < 0 &&
	    strstr(err, "give an IP address"), "a listen name is refused without a resolver");
	mig_free(&m);
	return T_DONE();
}
