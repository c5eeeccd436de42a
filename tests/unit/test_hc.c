/* lib/relay/healthcheck.c and lib/store/healthstate.c without sockets: state file, hysteresis, escapes, codes, hosts from a store. */
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "healthcheck.h"
#include "balance.h"
#include "log.h"
#include "util.h"

static void
test_codes(void)
{
	int i, ok = 1;

	for (i = 0; i < HC_CODE_COUNT; i++)
		if (!hc_code_str((enum hc_code)i) || hc_code_parse(hc_code_str((enum hc_code)i)) != i ||
		    strchr(hc_code_str((enum hc_code)i), ' ') || !strcmp(hc_code_text((enum hc_code)i), "?"))
			ok = 0;
	CHECK(ok, "every result code has a token without spaces and words, and parses back");
	CHECK(hc_code_parse("bogus") == -1 && hc_code_str(HC_CODE_COUNT) == NULL, "unknown codes");
}

static void
test_state(void)
{
	static const char text[] =
	    "# comment\n"
	    "\n"
	    "r2 [::1]:80 down 3 0 1700000000123 1700000000000 refused\n"
	    "r1 10.0.0.2:443 up 0 7 1700000000456 0 ok\r\n"
	    "r1 10.0.0.1:443 up 0 7 1700000000456 1600000000000 ok";
	static const char *const bad[] = {
		"r1 10.0.0.1:443 up 0 7 1 0\n",
		"r1 10.0.0.1:443 up 0 7 1 0 ok extra\n",
		"r1 10.0.0.1:443 sideways 0 7 1 0 ok\n",
		"r1 10.0.0.1:443 up -1 7 1 0 ok\n",
		"r1 10.0.0.1:443 up 0 7 1 0 nonsense\n",
		"r/1 10.0.0.1:443 up 0 7 1 0 ok\n",
		"r1 nohostport up 0 7 1 0 ok\n",
		"r1 10.0.0.1:443 up 0x 7 1 0 ok\n",
		"r1 10.0.0.1:443 up 0 7 99999999999999999999999 0 ok\n",
	};
	struct hc_state s, s2;
	const struct hc_entry *e;
	char err[ERRLEN] = "", *out;
	size_t i, len;
	int rc;

	rc = hc_state_parse(text, &s, err);
	CHECK(rc == 0 && s.n == 3, "state parses (%s)", err);
	e = hc_state_find(&s, "r2", "[::1]:80");
	CHECK(e && !e->up && e->fails == 3 && e->oks == 0 && e->last_check == 1700000000123LL &&
	    e->last_change == 1700000000000LL && e->reason == HC_CONNECT_REFUSED, "a down entry reads back");
	e = hc_state_find(&s, "r1", "10.0.0.1:443");
	CHECK(e && e->up && e->oks == 7 && e->last_change == 1600000000000LL, "an up entry (CRLF, no final newline)");
	CHECK(hc_state_find(&s, "r1", "10.0.0.3:443") == NULL && hc_state_find(&s, "r3", "[::1]:80") == NULL,
	    "unknown backends are not found");
	out = hc_state_format(&s, &len);
	CHECK(out && hc_state_parse(out, &s2, err) == 0 && s2.n == 3 && memcmp(s.v, s2.v, 3 * sizeof(*s.v)) == 0,
	    "format and parse round-trip");
	free(out);
	hc_state_free(&s2);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		rc = hc_state_parse(bad[i], &s2, err);
		CHECK(rc == -1 && strncmp(err, "line 1: ", 8) == 0 && s2.v == NULL && s2.n == 0,
		    "malformed line %zu refused: %s", i, err);
	}

	/* applying the state to a balancer */
	{
		struct store_remote rem[3];
		struct store_rule r;
		struct lb *lb;

		memset(&r, 0, sizeof(r));
		memset(rem, 0, sizeof(rem));
		strcpy(r.name, "r1");
		r.balance = BALANCE_FAILOVER;
		r.remotes = rem;
		r.nremotes = 3;
		strcpy(rem[0].addr.host, "10.0.0.1");
		strcpy(rem[1].addr.host, "10.0.0.2");
		strcpy(rem[2].addr.host, "10.0.0.3");
		for (i = 0; i < 3; i++) {
			rem[i].addr.port = rem[i].addr.port_end = 443;
			rem[i].weight = 1;
		}
		lb = lb_new(&r, err);
		s.v[0].up = 0;   /* sorted: r1 10.0.0.1 first */
		CHECK_STR(s.v[0].target, "10.0.0.1:443", "entries are sorted");
		CHECK(hc_state_apply(&s, "r1", lb) == 1 && !lb_is_up(lb, 0) && lb_is_up(lb, 1) && lb_is_up(lb, 2),
		    "hc_state_apply marks down what the state says, unknown backends up");
		CHECK(lb_pick(lb, NULL, NULL) == 1, "failover goes to the second remote");
		s.v[0].up = 1;
		hc_state_apply(&s, "r1", lb);
		CHECK(lb_pick(lb, NULL, NULL) == 0, "and back when the state says up");
		lb_free(lb);
	}
	hc_state_free(&s);

	rc = hc_state_load("/nonexistent/xwpf/health", &s, err);
	CHECK(rc == 0 && s.n == 0, "a missing state file is an empty state");
}

/* REASON in words: a tunnel's stage, spaces and all, read and written back. */
static void
test_reasons(void)
{
	static const char text[] =
	    "t 10.0.0.1:443 down 2 0 1 1 tls: pin mismatch (got sha256:00ff)\n"
	    "t 10.0.0.2:443 down 2 0 1 1 ws: 404  \r\n"
	    "t 10.0.0.3:443 down 2 0 1 1 handshake timeout\n"
	    "t 10.0.0.4:443 down 2 0 1 1 tcp: Connection refused\n"
	    "t 10.0.0.5:443 down 2 0 1 1 tcp: Operation not permitted\n"
	    "t 10.0.0.6:443 up 0 2 1 1 ok\n";
	static const char *const bad[] = {
	    "t 10.0.0.1:443 down 2 0 1 1 tls:\n",
	    "t 10.0.0.1:443 down 2 0 1 1 udp: what\n",
	    "t 10.0.0.1:443 down 2 0 1 1 handshake timeout now\n",
	    "t 10.0.0.1:443 down 2 0 1 1 ok ok\n",
	    "t 10.0.0.1:443 down 2 0 1 1 ws: \x1b[2J\n",
	    "t 10.0.0.1:443 down 2 0 1 1 tls: \xc2\x9b\n",
	};
	struct hc_state s, s2;
	const struct hc_entry *e;
	char err[ERRLEN] = "", why[HC_WHY_MAX], *out;
	size_t i, len;

	CHECK(hc_state_parse(text, &s, err) == 0 && s.n == 6, "reasons in words parse (%s)", err);
	e = hc_state_find(&s, "t", "10.0.0.1:443");
	CHECK(e && e->reason == HC_TLS_FAIL && !strcmp(e->why, "tls: pin mismatch (got sha256:00ff)") &&
	    !strcmp(hc_stage(e), "tls"), "tls: the words kept, stage tls");
	e = hc_state_find(&s, "t", "10.0.0.2:443");
	CHECK(e && e->reason == HC_WS_FAIL && !strcmp(e->why, "ws: 404"), "ws: trailing blanks dropped");
	e = hc_state_find(&s, "t", "10.0.0.3:443");
	CHECK(e && e->reason == HC_HANDSHAKE_TIMEOUT && !strcmp(hc_stage(e), "handshake"), "handshake timeout");
	e = hc_state_find(&s, "t", "10.0.0.4:443");
	CHECK(e && e->reason == HC_CONNECT_REFUSED && !strcmp(hc_stage(e), "tcp"), "tcp: refused by its strerror");
	e = hc_state_find(&s, "t", "10.0.0.5:443");
	CHECK(e && e->reason == HC_CONNECT_FAIL, "tcp: another error");
	e = hc_state_find(&s, "t", "10.0.0.6:443");
	CHECK(e && e->reason == HC_OK && !*e->why && !*hc_stage(e), "a token has no words");
	out = hc_state_format(&s, &len);
	CHECK(out && strstr(out, " tls: pin mismatch (got sha256:00ff)\n") && strstr(out, " handshake timeout\n") &&
	    hc_state_parse(out, &s2, err) == 0 && s2.n == 6 && memcmp(s.v, s2.v, 6 * sizeof(*s.v)) == 0,
	    "format and parse round-trip");
	free(out);
	hc_state_free(&s2);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK(hc_state_parse(bad[i], &s2, err) == -1 && strncmp(err, "line 1: ", 8) == 0,
		    "unknown words refused: %s", err);
	}
	/* words that do not read back as the entry's result are not written */
	s.v[0].reason = HC_CONNECT_REFUSED;
	out = hc_state_format(&s, &len);
	CHECK(out && strstr(out, "10.0.0.1:443 down 2 0 1 1 refused\n"), "words of another result: the token");
	free(out);
	CHECK(hc_reason_parse("refused", why) == HC_CONNECT_REFUSED && !*why, "a token");
	hc_state_free(&s);
}

static void
test_save(void)
{
	char dir[] = "/tmp/xwpf-test-hc.XXXXXX", path[128], err[ERRLEN] = "";
	struct hc_state s = { 0 }, s2;
	struct hc_entry e;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/var/lib/xwpf/health", dir);
	memset(&e, 0, sizeof(e));
	strcpy(e.rule, "a");
	strcpy(e.target, "h.example:1");
	e.fails = 5;
	e.reason = HC_READ_TIMEOUT;
	s.v = &e;
	s.n = 1;
	CHECK(hc_state_save(path, &s, err) == 0, "save creates the directory and writes (%s)", err);
	CHECK(hc_state_load(path, &s2, err) == 0 && s2.n == 1 && !s2.v[0].up && s2.v[0].fails == 5 &&
	    s2.v[0].reason == HC_READ_TIMEOUT, "and it loads back");
	hc_state_free(&s2);
	{
		int wfd = hc_watch_open(path);
		char other[160];
		FILE *f;

		CHECK(wfd >= 0, "hc_watch_open");
		CHECK(hc_watch_changed(wfd, path) == 0, "nothing changed yet");
		snprintf(other, sizeof(other), "%s.lock", path);
		if ((f = fopen(other, "w")))
			fclose(f);
		CHECK(hc_watch_changed(wfd, path) == 0, "another file in the directory is not a change");
		e.fails = 6;
		hc_state_save(path, &s, err);
		CHECK(hc_watch_changed(wfd, path) == 1, "an atomic replace is seen");
		CHECK(hc_watch_changed(wfd, path) == 0, "and drained");
		unlink(path);
		CHECK(hc_watch_changed(wfd, path) == 1, "a removal is seen");
		close(wfd);
	}
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0, "cleanup");
	}
}

static void
test_hysteresis(void)
{
	struct hc_host h;
	int64_t t = 1700000000000LL;

	memset(&h, 0, sizeof(h));
	strcpy(h.st.rule, "r");
	strcpy(h.st.target, "10.0.0.1:80");
	h.st.up = 1;
	h.fail_thr = 2;
	h.ok_thr = 2;
	h.cooldown_ms = 120000;

	CHECK(hc_judge(&h, HC_OK, t) == 0 && h.st.up && h.st.oks == 1, "good check: up stays up");
	CHECK(hc_judge(&h, HC_CONNECT_REFUSED, t + 1000) == 0 && h.st.up && h.st.fails == 1 && h.st.oks == 0,
	    "one failure is not enough");
	CHECK(hc_judge(&h, HC_OK, t + 2000) == 0 && h.st.fails == 0, "a success resets the failures");
	hc_judge(&h, HC_CONNECT_TIMEOUT, t + 3000);
	CHECK(hc_judge(&h, HC_CONNECT_REFUSED, t + 4000) == -1 && !h.st.up && h.st.last_change == t + 4000 &&
	    h.st.reason == HC_CONNECT_REFUSED, "two failures in a row: down, with the reason");
	CHECK(hc_judge(&h, HC_CONNECT_REFUSED, t + 5000) == 0 && !h.st.up && h.st.fails == 3,
	    "more failures: no second transition");
	hc_judge(&h, HC_OK, t + 6000);
	CHECK(hc_judge(&h, HC_OK, t + 7000) == 0 && !h.st.up && h.st.oks == 2, "two successes inside the cooldown: still down");
	CHECK(hc_judge(&h, HC_OK, t + 4000 + 119999) == 0 && !h.st.up, "cooldown not over at 119.999s");
	CHECK(hc_judge(&h, HC_OK, t + 4000 + 120000) == 1 && h.st.up && h.st.last_change == t + 124000,
	    "successes and the cooldown: up");
	CHECK(hc_judge(&h, HC_OK, t + 125000) == 0 && h.st.up, "and stays up");

	/* cooldown 0, thresholds 1 and 3 */
	h.fail_thr = 1;
	h.ok_thr = 3;
	h.cooldown_ms = 0;
	CHECK(hc_judge(&h, HC_EXPECT_MISMATCH, t + 200000) == -1, "health_fail 1: one failure is down");
	hc_judge(&h, HC_OK, t + 200001);
	hc_judge(&h, HC_OK, t + 200002);
	CHECK(!h.st.up, "health_ok 3: two are not enough");
	CHECK(hc_judge(&h, HC_OK, t + 200003) == 1, "cooldown 0: the third success brings it up at once");
	CHECK(hc_judge(&h, HC_READ_CLOSED, t + 200004) == -1, "and down again");
	hc_judge(&h, HC_OK, t + 200005);
	CHECK(hc_judge(&h, HC_READ_TIMEOUT, t + 200006) == 0 && h.st.oks == 0 && h.st.fails == 1,
	    "an interrupted run of successes starts over");
}

static void
test_unescape(void)
{
	char out[16], err[ERRLEN];
	size_t len;

	CHECK(hc_unescape("PING\\r\\n", out, sizeof(out), &len, err) == 0 && len == 6 &&
	    memcmp(out, "PING\r\n", 6) == 0, "\\r\\n");
	CHECK(hc_unescape("a\\x00b\\t\\\\\\0", out, sizeof(out), &len, err) == 0 && len == 6 &&
	    memcmp(out, "a\0b\t\\\0", 6) == 0, "\\x00 \\t \\\\ \\0");
	CHECK(hc_unescape("", out, sizeof(out), &len, err) == 0 && len == 0, "empty");
	CHECK(hc_unescape("bad\\q", out, sizeof(out), &len, err) == -1 && strstr(err, "\\q"), "bad escape: %s", err);
	CHECK(hc_unescape("bad\\x4", out, sizeof(out), &len, err) == -1, "short \\x");
	CHECK(hc_unescape("trailing\\", out, sizeof(out), &len, err) == -1, "trailing backslash");
	CHECK(hc_unescape("0123456789abcdefg", out, sizeof(out), &len, err) == -1, "too long: %s", err);
}

static void
test_hosts(void)
{
	static const char conf[] =
	    "[global]\nhealth_fail = 3\nhealth_cooldown = 0\n"
	    "[rule a]\nlisten = 127.0.0.1:1000\nremote = 10.0.0.1:80\nremote = 10.0.0.2:80\nfailover = yes\n"
	    "health_ok = 4\nhealth_send = GET / HTTP/1.0\\r\\n\\r\\n\nhealth_expect = HTTP/1.\n"
	    "[rule b]\nlisten = 127.0.0.1:1001\nremote = 10.0.0.3:80\nremote = 10.0.0.4:80\n"
	    "[rule c]\nlisten = 127.0.0.1:1002\nremote = 10.0.0.5:80\nremote = 10.0.0.6:80\nfailover = yes\n"
	    "enabled = no\n"
	    "[rule d]\nlisten = 127.0.0.1:1003\nremote = 10.0.0.7:443\nfailover = yes\n"
	    "remote_transport = tls;sni=x.test;insecure\n"
	    "[rule e]\nlisten = 127.0.0.1:1004\nremote = 10.0.0.7:443\nfailover = yes\nhealth_fail = 5\n"
	    "remote_transport = tls;sni=x.test;insecure\n";
	struct store st;
	struct store_diags d = { 0 };
	struct hc_state prev = { 0 };
	struct hc_entry pe;
	struct hc_host *h = NULL;
	size_t n = 0;
	char err[ERRLEN] = "";
	int rc;

	rc = store_parse_text(conf, "test.conf", &st, &d);
	if (rc < 0) {
		char buf[600];
		size_t i;

		for (i = 0; i < d.n; i++)
			printf("# %s\n", store_diag_format(&d, i, buf, sizeof(buf)));
	}
	CHECK(rc == 0, "test store parses");
	memset(&pe, 0, sizeof(pe));
	strcpy(pe.rule, "a");
	strcpy(pe.target, "10.0.0.2:80");
	pe.fails = 9;
	pe.reason = HC_CONNECT_TIMEOUT;
	prev.v = &pe;
	prev.n = 1;
	CHECK(hc_hosts_build(&st, &prev, &h, &n, err) == 0 && n == 4, "only enabled rules with failover (%zu)", n);
	if (n == 2) {
		CHECK_STR(h[0].st.target, "10.0.0.1:80", "first backend");
		CHECK(h[0].st.up && h[0].st.fails == 0, "a new backend starts up");
		CHECK(!h[1].st.up && h[1].st.fails == 9 && h[1].st.reason == HC_CONNECT_TIMEOUT,
		    "a known backend keeps its state");
		CHECK(h[0].fail_thr == 3 && h[0].ok_thr == 4 && h[0].cooldown_ms == 0, "thresholds: rule over global");
		CHECK(h[0].sendlen == 18 && memcmp(h[0].send + 14, "\r\n\r\n", 4) == 0 && h[0].expectlen == 7,
		    "send and expect unescaped");
	}
	if (n == 4) {
		CHECK(h[0].same_as == -1 && h[1].same_as == -1 && !*h[0].transport, "plain checks of their own");
		CHECK(!strcmp(h[2].transport, "tls;sni=x.test;insecure") && h[2].same_as == -1, "a tunnel check");
		CHECK(h[3].same_as == 2, "the same remote and transport in another rule: checked once");
	}
	hc_hosts_free(h, n);
	store_free(&st);
	store_diags_free(&d);
}

int
main(void)
{
	log_open("test", LOG_ERROR, NULL, 0);
	test_codes();
	test_state();
	test_reasons();
	test_save();
	test_hysteresis();
	test_unescape();
	test_hosts();
	return T_DONE();
}
