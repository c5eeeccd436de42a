/* The rule store: parsing, defaults, validation messages, text edits. */
#include <stdlib.h>

#include "t.h"
#include "net.h"
#include "store.h"
#include "transport.h"
#include "util.h"

static int
parse(const char *text, struct store *st, struct store_diags *d)
{
	memset(d, 0, sizeof(*d));
	return store_parse_text(text, "t.conf", st, d);
}

/* 1 if some diagnostic (at line, error or not) contains needle */
static int
has_diag(const struct store_diags *d, int line, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if ((line < 0 || d->v[i].line == line) && strstr(d->v[i].msg, needle))
			return 1;
	return 0;
}

static void
expect_error(const char *text, int line, const char *needle, const char *what)
{
	struct store st;
	struct store_diags d;
	int rc = parse(text, &st, &d);

	CHECK(rc == -1 && has_diag(&d, line, needle), "refused: %s", what);
	if (!(rc == -1 && has_diag(&d, line, needle))) {
		size_t i;
		char buf[600];
		for (i = 0; i < d.n; i++)
			printf("#   %s\n", store_diag_format(&d, i, buf, sizeof(buf)));
	}
	store_free(&st);
	store_diags_free(&d);
}

static void
test_full_rule(void)
{
	const char *text =
	    "; a comment\n"
	    "[global]\n"
	    "log_level = debug\n"
	    "connect_timeout = 3s\n"
	    "udp_timeout = 2m\n"
	    "log_max_size = 5M\n"
	    "\n"
	    "[rule hk-to-jp]\n"
	    "note = HK relay   # inline comment\n"
	    "listen = [::]:443\n"
	    "remote = 203.0.113.5:443 weight=2\n"
	    "remote = exit2.example.com:443\n"
	    "balance = iphash\n"
	    "failover = yes\n"
	    "protocol = tcp+udp\n"
	    "through = 10.0.0.2\n"
	    "interface = eth1\n"
	    "remote_transport = ws;host=cdn.example.com;path=/x;tls;sni=cdn.example.com\n"
	    "proxy = accept+send-v2\n"
	    "mptcp = both\n"
	    "idle_timeout = 500ms\n";
	struct store st;
	struct store_diags d;
	const struct store_rule *r;
	char buf[64];

	CHECK(parse(text, &st, &d) == 0 && d.nerrors == 0, "full example parses without errors");
	CHECK(d.n == 1 && has_diag(&d, 8, "TCP only"), "one warning: PROXY does not apply to UDP");
	CHECK_STR(st.g.log_level, "debug", "global log_level");
	CHECK(st.g.connect_timeout == 3000 && st.g.udp_timeout == 120000, "durations in ms");
	CHECK(st.g.log_max_size == 5u << 20, "sizes");
	CHECK(st.g.health_fail == 2 && st.g.health_ok == 2 && st.g.health_cooldown == 120000,
	    "xwPF's health defaults");
	r = store_find(&st, "hk-to-jp");
	CHECK(r != NULL, "rule found by name");
	if (!r)
		return;
	CHECK_STR(r->note, "HK relay", "inline '#' comment stripped from the note");
	CHECK(r->listen.port == 443 && strcmp(r->listen.host, "::") == 0, "listen [::]:443");
	CHECK(r->nremotes == 2 && r->remotes[0].weight == 2 && r->remotes[1].weight == 1, "remotes and weights");
	CHECK_STR(r->remotes[1].addr.host, "exit2.example.com", "host name remote");
	CHECK(r->balance == BALANCE_IPHASH && r->failover, "balance and failover");
	CHECK(r->protocols == (PROTO_TCP | PROTO_UDP), "tcp+udp");
	CHECK_STR(r->through.host, "10.0.0.2", "through");
	CHECK(r->proxy_accept && r->proxy_send == PROXY_V2, "proxy accept+send-v2");
	CHECK_STR(store_proxy_name(r, buf, sizeof(buf)), "accept+send-v2", "proxy name round trip");
	CHECK(r->mptcp == (MPTCP_SEND | MPTCP_ACCEPT), "mptcp both");
	CHECK(r->idle_timeout == 500 && r->connect_timeout == -1, "rule timeouts, -1 inherits");
	CHECK(store_rule_ms(&st, r, r->connect_timeout, st.g.connect_timeout) == 3000, "inherited timeout");
	CHECK(r->line == 8, "rule line is its header (%d)", r->line);
	store_free(&st);
	store_diags_free(&d);
}

/* Every malformed line is reported (inih stops counting at the first), a listen or
 * remote that was refused is not also called missing, and value errors name the key. */
static void
test_every_syntax_error(void)
{
	struct store st;
	struct store_diags d;
	size_t i;
	int missing = 0;

	CHECK(parse("\xEF\xBB\xBF[rule a]\nlisten 80\nremote=h:1\n# ok\n; ok\nnote = a: b # c\n"
	    "[rule b\nlisten = 81\nremote h # x = y\n[rule c] # fine\nlisten=82\nremote=h:3\n",
	    &st, &d) == -1, "a store with three malformed lines is refused");
	CHECK(has_diag(&d, 2, "key = value"), "line 2 (no '=') is reported");
	CHECK(has_diag(&d, 7, "closing ']'"), "line 7 (a header without ']') is reported");
	CHECK(has_diag(&d, 9, "key = value"), "line 9 ('=' only inside an inline comment) is reported");
	CHECK(!has_diag(&d, 1, "") && !has_diag(&d, 4, "") && !has_diag(&d, 5, "") && !has_diag(&d, 6, "") &&
	    !has_diag(&d, 10, ""), "a BOM, comments, 'a: b' and a header with an inline comment are fine");
	store_free(&st);
	store_diags_free(&d);

	/* a header missing its ']': its lines are skipped up to the next header,
	 * not read into the rule above (which would then be blamed for them) */
	CHECK(parse("[rule a]\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:2000\n[rule held\n"
	    "listen = 127.0.0.1:1001\nremote = 127.0.0.1:2000\n[rule b]\nlisten = 127.0.0.1:1002\n"
	    "remote = 127.0.0.1:2000\n", &st, &d) == -1, "a header without ']' is refused");
	CHECK(d.nerrors == 1 && d.n == 1 && has_diag(&d, 4, "closing ']'"), "one error, on the broken header "
	    "(%d errors, %zu diagnostics)", d.nerrors, d.n);
	store_free(&st);
	store_diags_free(&d);
	CHECK(parse("[rule held\nlisten = 127.0.0.1:1001\nnot a key\n[rule b]\nlisten = 127.0.0.1:1002\n"
	    "remote = 127.0.0.1:2000\n", &st, &d) == -1 && d.nerrors == 2 && has_diag(&d, 1, "closing ']'") &&
	    has_diag(&d, 3, "key = value"), "at the top: the header and the real problem under it, nothing about "
	    "keys outside a section (%d errors)", d.nerrors);
	store_free(&st);
	store_diags_free(&d);

	CHECK(parse("[rule a]\nlisten=70000\nremote=127.0.0.1\n", &st, &d) == -1, "bad listen and remote");
	for (i = 0; i < d.n; i++)
		missing += strstr(d.v[i].msg, "has no listen") || strstr(d.v[i].msg, "has no remote");
	CHECK(missing == 0, "a refused listen or remote is not also reported missing");
	CHECK(has_diag(&d, 2, "listen: ") && has_diag(&d, 3, "remote: "), "the messages name the key");
	CHECK(d.nerrors == 2, "two errors, not four (%d)", d.nerrors);
	store_free(&st);
	store_diags_free(&d);

	CHECK(parse("[global]\nlog_levl = info\n[rule a]\nlisten=80\nremote=h:1\nremtoe=h:2\nfrobnicate=1\n", &st, &d) == 0 &&
	    has_diag(&d, 2, "did you mean 'log_level'?") && has_diag(&d, 6, "did you mean 'remote'?") &&
	    !has_diag(&d, 7, "did you mean"), "a mistyped key gets the nearest known one; a made-up key none");
	CHECK_STR(store_key_suggest("remote-transport", 0), "remote_transport", "'-' for '_' is no typo");
	CHECK(store_key_suggest("ab", 0) == NULL, "too short to guess");
	store_free(&st);
	store_diags_free(&d);

	/* inih splits at ':' too: "listen 127.0.0.1:80" is the key "listen 127.0.0.1" */
	CHECK(parse("[rule a]\nlisten 127.0.0.1:80\nremote=h:1\n", &st, &d) == -1 && has_diag(&d, 2, "key = value"),
	    "a key with a space in it (no '=', a ':' in the value) is an error, not an unknown key");
	store_free(&st);
	store_diags_free(&d);
}

static void
test_defaults(void)
{
	struct store st;
	struct store_diags d;

	CHECK(parse("[rule a]\nlisten = 80\nremote = 127.0.0.1:8080\n"
	    "[rule b]\nlisten=81\nremote=127.0.0.1:1\nremote=127.0.0.1:2\n", &st, &d) == 0, "minimal rules");
	CHECK(st.nrules == 2 && st.rules[0].enabled && st.rules[0].role == ROLE_RELAY &&
	    st.rules[0].protocols == PROTO_TCP, "defaults: enabled relay tcp");
	CHECK(st.rules[0].balance == BALANCE_OFF && st.rules[1].balance == BALANCE_ROUNDROBIN,
	    "balance defaults: off for one remote, roundrobin for more");
	CHECK(st.rules[0].listen.host[0] == '\0', "a bare port listens everywhere");
	store_free(&st);
	store_diags_free(&d);

	CHECK(parse("", &st, &d) == 0 && st.nrules == 0, "an empty store is valid");
	store_free(&st);
	store_diags_free(&d);

	CHECK(parse("[rule w]\nlisten=1000-1010\nremote=10.0.0.1:2000-2010\nremote=10.0.0.2:3000\n"
	    "weights = 3, 1\n", &st, &d) == 0, "ranges and weights=");
	CHECK(st.nrules == 1 && st.rules[0].remotes[0].weight == 3 && st.rules[0].remotes[1].weight == 1,
	    "weights= fills the remotes in order");
	CHECK(st.rules[0].listen.port_end == 1010, "listen range end");
	store_free(&st);
	store_diags_free(&d);
	CHECK(parse("[rule w]\nlisten=80\nremote=h:1\nremote=h:2\nweights=255,1\n", &st, &d) == 0 &&
	    st.rules[0].remotes[0].weight == 255, "weights up to 255, as realm's");
	store_free(&st);
	store_diags_free(&d);
	CHECK(parse("[rule k]\nlisten=80\nremote=h:1\ntcp_keepalive=30s\ntcp_keepalive_probes=5\n", &st, &d) == 0 &&
	    st.rules[0].tcp_keepalive == 30000 && st.rules[0].tcp_keepalive_probes == 5 &&
	    st.rules[0].tcp_keepalive_interval == -1, "keepalive per rule; unset keys take [global]'s");
	store_free(&st);
	store_diags_free(&d);
	CHECK(parse("[rule t]\nlisten=80\nremote=h:1\nremote_transport=tls;sni=a;alpn=h2,http/1.1;0rtt\n", &st, &d) == 0 &&
	    d.n == 1 && strstr(d.v[0].msg, "0rtt accepted but not used"), "alpn list and 0rtt accepted, 0rtt noted");
	store_free(&st);
	store_diags_free(&d);
}

static void
test_errors(void)
{
	expect_error("[rule a]\nlisten=80\nremote=127.0.0.1:70000\n", 3, "not a number from 1 to 65535", "bad port");
	expect_error("[rule a]\nlisten=80\nremote=::1:80\n", 3, "brackets", "unbracketed IPv6");
	expect_error("[rule a]\nlisten=example.com:80\nremote=127.0.0.1:1\n", 2, "not an IP address",
	    "host name as listen address");
	expect_error("[rule a]\nlisten=80\n", 1, "has no remote", "missing remote");
	expect_error("[rule a]\nremote=127.0.0.1:1\n", 1, "no listen address", "missing listen");
	expect_error("[rule a]\nlisten=80\nremote=h:1\n[rule a]\nlisten=81\nremote=h:2\n", 4, "defined twice",
	    "duplicate names");
	expect_error("[rule a]\nlisten=80\nremote=h:1\n[rule b]\nlisten=0.0.0.0:80\nremote=h:2\n", 4,
	    "already uses", "two rules on one port (dual stack covers 0.0.0.0)");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nremote=h:2\nweights=1,2,3\n", 5, "3 weights for 2 remotes",
	    "weight count that does not match the remotes");
	expect_error("[rule a]\nlisten=80\nremote=h:1 weight=256\n", 3, "weight=N", "weight out of range");
	expect_error("[rule a]\nlisten=1000-1009\nremote=h:2000-2004\n", 1, "has 5 ports", "range lengths differ");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nlisten=81\n", 4, "set twice", "a key set twice");
	expect_error("[rule a b]\nlisten=80\nremote=h:1\n", 1, "rule name", "a name with a space");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nprotocol=sctp\n", 4, "tcp, udp or tcp+udp", "bad protocol");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nremote_transport=tls\n", 4, "sni=", "tls without sni");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nlisten_transport=ws;host=x\n", 4, "path=", "ws without path");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nremote_transport=tls;sni=x;pin=sha256:12\n", 4, "64 hex",
	    "short pin");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nconnect_timeout=5x\n", 4, "duration", "bad duration");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nenabled=maybe\n", 4, "yes or no", "bad boolean");
	expect_error("[rule a]\nlisten 80\n", 2, "key = value", "a line that is not key = value");
	expect_error("[rule empty]\n", 1, "no settings", "a rule with no keys");
	expect_error("[rule aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\nlisten=80\nremote=h:1\n", 1,
	    "too long", "an over-long name is not silently cut");
	expect_error("listen=80\n", 1, "outside any section", "a key before any section");
	expect_error("[rule a]\nlisten=80\nremote=h:1\nremote=h:1 weight=2\n", 1, "listed twice",
	    "the same remote twice");
}

static void
test_warnings(void)
{
	struct store st;
	struct store_diags d;

	CHECK(parse("[rule a]\nlisten=80\nremote=h:1\ncolour=blue\n[rule b]\nlisten=80\nremote=h:2\n"
	    "enabled=no\n", &st, &d) == 0, "unknown keys and disabled overlaps are not errors");
	CHECK(has_diag(&d, 4, "unknown key 'colour'") && !d.v[0].error, "unknown key warned at its line");
	store_free(&st);
	store_diags_free(&d);
	CHECK(parse("[rule a]\nlisten=80\nremote=h:1\nprotocol=udp\n[rule b]\nlisten=80\nremote=h:2\n",
	    &st, &d) == 0, "tcp and udp rules may share a port");
	store_free(&st);
	store_diags_free(&d);
	CHECK(parse("[rule a]\nlisten=127.0.0.1:80\nremote=h:1\n[rule b]\nlisten=127.0.0.2:80\nremote=h:2\n",
	    &st, &d) == 0, "two addresses may share a port");
	store_free(&st);
	store_diags_free(&d);
}

static void
test_mptcp_section(void)
{
	struct store st;
	struct store_diags d;

	CHECK(parse("[mptcp]\nenabled = yes\nsubflows = 4\nadd_addr_accepted = 2\n"
	    "endpoint = 10.0.0.2 dev eth1 id 1 subflow fullmesh\nendpoint = 10.0.0.3 signal\n", &st, &d) == 0,
	    "[mptcp] with every key parses");
	CHECK(st.mptcp.enabled == 1 && st.mptcp.subflows == 4 && st.mptcp.add_addr_accepted == 2 &&
	    st.mptcp.nendpoints == 2, "[mptcp] values");
	store_free(&st);
	store_diags_free(&d);
	expect_error("[mptcp]\nsubflows = 4\nsubflows = 5\n", 3, "set twice", "an [mptcp] key set twice");
	expect_error("[mptcp]\nendpoint = 10.0.0.2 signal fullmesh\n", 2, "endpoint", "signal with fullmesh");
}

static void
test_transport(void)
{
	struct transport t;
	char err[ERRLEN];

	CHECK(transport_parse("ws;host=example.com;path=/chat;tls;sni=example.com;insecure", TRANSPORT_CLIENT,
	    &t, err) == 0 && t.ws && t.tls && t.insecure, "wss client string (docs/wire.md example)");
	CHECK(transport_parse("ws;host=h;path=/p;early", TRANSPORT_CLIENT, &t, err) == 0 && t.early,
	    "early on a ws client");
	CHECK(transport_parse("tls;sni=h;insecure;early", TRANSPORT_CLIENT, &t, err) < 0 && strstr(err, "early"),
	    "early without ws refused: %s", err);
	CHECK(transport_parse("ws;host=h;path=/p;early", TRANSPORT_SERVER, &t, err) < 0 && strstr(err, "relay-side"),
	    "early on an exit refused: %s", err);
	CHECK(transport_parse("ws;host=exa\x10mple.com;path=/ws", TRANSPORT_CLIENT, &t, err) < 0 &&
	    strstr(err, "host=") && strstr(err, "0x10"), "a control byte in host= refused: %s", err);
	CHECK(transport_parse("ws;host=h;path=/a b", TRANSPORT_SERVER, &t, err) < 0 && strstr(err, "path=") &&
	    strstr(err, "%20"), "a space in path= refused (the request line would end there): %s", err);
	CHECK(transport_parse("ws;host=h;path=/a%20b", TRANSPORT_SERVER, &t, err) == 0, "path=/a%%20b taken");
	CHECK(transport_parse(" tls ; servername = example.com ", TRANSPORT_SERVER, &t, err) == 0 &&
	    strcmp(t.servername, "example.com") == 0, "items are trimmed");
	CHECK(transport_parse("ws;host=h;path=/p;tls;cert=/a.pem;key=/k.pem", TRANSPORT_SERVER, &t, err) == 0,
	    "wss server with cert and key");
	CHECK(transport_parse("tls;sni=a;pin=sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    TRANSPORT_CLIENT, &t, err) == 0 && t.has_pin && t.pin[0] == 0x01 && t.pin[31] == 0xef, "pin parsed");
	CHECK(transport_parse("tls;servername=x", TRANSPORT_CLIENT, &t, err) == -1 && strstr(err, "server"),
	    "server setting on the client side explained");
	CHECK(transport_parse("tls;cert=/a.pem", TRANSPORT_SERVER, &t, err) == -1 && strstr(err, "together"),
	    "cert without key");
	CHECK(transport_parse("quic", TRANSPORT_CLIENT, &t, err) == -1 && strstr(err, "unknown item"), "unknown item");
	CHECK(transport_parse("", TRANSPORT_CLIENT, &t, err) == 0 && !t.ws && !t.tls, "empty = plain");
}

static int
valid(const char *text)
{
	struct store st;
	struct store_diags d;
	int rc = parse(text, &st, &d);
	size_t i;
	char buf[600];

	for (i = 0; rc < 0 && i < d.n; i++)
		printf("#   %s\n", store_diag_format(&d, i, buf, sizeof(buf)));
	store_free(&st);
	store_diags_free(&d);
	return rc == 0;
}

static void
test_loops(void)
{
	struct net_local mine;

	memset(&mine, 0, sizeof(mine));   /* the machine's addresses: 192.0.2.7 and 2001:db8::7 */
	mine.n = 2;
	mine.a[0].family = AF_INET;
	memcpy(mine.a[0].a, "\xc0\x00\x02\x07", 4);
	mine.a[1].family = AF_INET6;
	memcpy(mine.a[1].a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07", 16);
	store_set_local_addrs(&mine);
	expect_error("[rule s]\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:1000\n", 1,
	    "rule 's' forwards to 127.0.0.1:1000, its own listener", "a rule forwarding to its own listener");
	expect_error("[rule a]\nlisten = 1000\nremote = 127.0.0.1:2000\n[rule b]\nlisten = 127.0.0.1:2000\n"
	    "remote = 127.0.0.1:1000\n", -1, "a loop (a -> b -> a)", "a -> b -> a");
	expect_error("[rule a]\nlisten = 1000\nremote = 127.0.0.1:2000\n[rule b]\nlisten = 0.0.0.0:2000\n"
	    "remote = 127.0.0.1:3000\n[rule c]\nlisten = [::]:3000\nremote = [2001:db8::7]:1000\n", -1,
	    "a loop (a -> b -> c -> a)", "a -> b -> c -> a, through an interface address");
	expect_error("[rule w]\nlisten = 0.0.0.0:1000\nremote = 192.0.2.7:1000\n", 1, "its own listener",
	    "a 0.0.0.0 listener whose remote is an interface address");
	expect_error("[rule r]\nlisten = 1000-1010\nremote = 127.0.0.1:1005-1015\n", 1, "its own listener",
	    "port ranges that meet");
	CHECK(valid("[rule w]\nlisten = 0.0.0.0:1000\nremote = 192.0.2.8:1000\n"), "another machine's address: fine");
	CHECK(valid("[rule w]\nlisten = 127.0.0.1:1000\nremote = 127.0.0.2:1000\n"), "127.0.0.2 is not 127.0.0.1's listener");
	CHECK(valid("[rule w]\nlisten = 0.0.0.0:1000\nremote = [::1]:1000\n"), "an IPv4 listener does not take ::1");
	CHECK(valid("[rule w]\nlisten = [::]:1000\nipv6_only = yes\nremote = 127.0.0.1:1000\n"),
	    "an ipv6_only listener does not take 127.0.0.1");
	CHECK(valid("[rule w]\nlisten = 127.0.0.1:1000\nremote = localhost:1000\n"), "a name is not resolved");
	CHECK(valid("[rule w]\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:1000\nenabled = no\n"), "a disabled rule");
	CHECK(valid("[rule a]\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:2000\n[rule b]\nprotocol = udp\n"
	    "listen = 127.0.0.1:2000\nremote = 127.0.0.1:1000\n"), "tcp to a udp listener is no loop");
	expect_error("[rule u]\nprotocol = udp\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:1000\n", 1,
	    "its own listener", "a udp rule forwarding to itself");
	CHECK(valid("[rule t]\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:2000\nremote_transport = tls;sni=x;insecure\n"
	    "[rule x]\nrole = exit\nlisten = 127.0.0.1:2000\nremote = 127.0.0.1:1000\nlisten_transport = tls;servername=x\n"),
	    "a chain through a tunnel is left alone");
	expect_error("[rule a]\nprotocol = tcp+udp\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:2000\n"
	    "[rule x]\nrole = exit\nprotocol = tcp+udp\nlisten = 127.0.0.1:2000\nremote = 127.0.0.1:1000\n"
	    "listen_transport = tls;servername=x\nudp_transport = plain\n", -1, "a loop (a -> x -> a)",
	    "the plain UDP of an exit rule with udp_transport = plain is in the check");
	expect_error("[rule e]\nprotocol = tcp+udp\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:1000\n"
	    "remote_transport = ws;host=x;path=/w\nudp_transport = plain\n", 1, "its own listener",
	    "the plain UDP of an entry rule with udp_transport = plain is in the check");
	CHECK(valid("[rule a]\nprotocol = tcp\nlisten = 127.0.0.1:1000\nremote = 127.0.0.1:2000\n"
	    "[rule x]\nrole = exit\nprotocol = tcp+udp\nlisten = 127.0.0.1:2000\nremote = 127.0.0.1:1000\n"
	    "listen_transport = tls;servername=x\nudp_transport = plain\n"),
	    "tcp to an exit rule whose plain side is UDP only is no loop");
	store_set_local_addrs(NULL);
}

/* listen lists (store_listen.c): "80,443", "0.0.0.0:8000-8010,9000" */
static void
test_listen_lists(void)
{
	struct store st;
	struct store_diags d;
	const struct store_rule *r;
	char buf[300];

	CHECK(parse("[rule a]\nlisten = 0.0.0.0:8000-8002,9000,9005-9006\nremote = h:7000-7005\n"
	    "[rule b]\nlisten = 80,443\nremote = h:1\nudp_transport = plain\nprotocol = tcp+udp\n"
	    "remote_transport = ws;host=x;path=/ws\n[global]\nlang = ZH\n", &st, &d) == 0, "listen lists parse");
	r = store_find(&st, "a");
	CHECK(r && store_listen_count(r) == 6 && store_listen_max(r) == 9006, "six ports, 8000 to 9006");
	CHECK(r && store_listen_port(r, 0) == 8000 && store_listen_port(r, 2) == 8002 && store_listen_port(r, 3) == 9000 &&
	    store_listen_port(r, 5) == 9006 && store_listen_port(r, 6) == 0, "the i-th port in the order listed");
	CHECK(r && store_listen_has(r, 8999, 9000) && !store_listen_has(r, 8003, 8999) && !store_listen_has(r, 9001, 9004),
	    "gaps between the items are not listened on");
	CHECK_STR(r ? store_listen_format(r, buf, sizeof(buf)) : NULL, "0.0.0.0:8000-8002,9000,9005-9006", "format");
	r = store_find(&st, "b");
	CHECK_STR(r ? store_listen_format(r, buf, sizeof(buf)) : NULL, "[::]:80,443", "a list of every address");
	CHECK(r && r->udp_plain, "udp_transport = plain");
	CHECK(strcmp(st.g.lang, "zh") == 0, "lang = ZH reads as zh");
	store_free(&st);
	store_diags_free(&d);
	expect_error("[rule a]\nlisten = 443,80\nremote = h:1\n", 2, "increasing order", "a list out of order");
	expect_error("[rule a]\nlisten = 80,80\nremote = h:1\n", 2, "increasing order", "a port listed twice");
	expect_error("[rule a]\nlisten = 80,\nremote = h:1\n", 2, "ends with a comma", "a trailing comma");
	expect_error("[rule a]\nlisten = 80,x\nremote = h:1\n", 2, "is not a port", "a word in the list");
	expect_error("[rule a]\nlisten = 80,443\nremote = h:1-3\n", 1, "listens on 2", "a remote range of 3 for 2 ports");
	expect_error("[rule a]\nlisten = 80,443\nremote = h:1\n[rule b]\nlisten = 100-500\nremote = h:1\n", 4,
	    "which rule 'a'", "a range over another rule's listed port");
	expect_error("[rule a]\nlisten = 80\nremote = h:1\nudp_transport = sideways\n", 4, "plain or tunnel",
	    "udp_transport takes plain or tunnel");
	expect_error("[global]\nlang = fr\n", 2, "zh, en or auto", "lang takes zh, en or auto");
}

int
main(void)
{
	test_full_rule();
	test_listen_lists();
	test_loops();
	test_defaults();
	test_errors();
	test_every_syntax_error();
	test_warnings();
	test_transport();
	test_mptcp_section();
	return T_DONE();
}
