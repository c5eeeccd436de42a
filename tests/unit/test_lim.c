/* lib/relay/rulelimits.c: a rule's limits resolved from the store, admission, budgets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "rulelimits.h"
#include "runtime.h"
#include "store.h"
#include "t.h"
#include "util.h"

/* A sockaddr for ip, from a small ring so that several can be used in one expression. */
static const struct sockaddr *
SA(const char *ip)
{
	static struct sockaddr_storage ring[8];
	static unsigned next;
	struct sockaddr_storage *ss = &ring[next++ % 8];

	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return (const struct sockaddr *)ss;
}

static int
rule(const char *text, struct store *st, struct lim_rule *l)
{
	struct store_diags d = { 0 };
	char err[ERRLEN];

	if (store_parse_text(text, "t.conf", st, &d) < 0 || st->nrules < 1)
		return -1;
	store_diags_free(&d);
	return lim_rule_init(l, st, &st->rules[0], err);
}

int
main(void)
{
	struct store st;
	struct lim_rule l;
	struct lim_state s;
	int64_t now = 1000000, delay = 0;
	uint64_t got;

	/* nothing set: no checks at all */
	CHECK(rule("[rule a]\nlisten = :1000\nremote = 127.0.0.1:1\n", &st, &l) == 0, "a plain rule resolves");
	CHECK(!l.admit && !l.shape && l.q_slot_up < 0 && l.q_slot_down < 0, "a plain rule has no admission, no shaping, no quota");
	lim_rule_free(&l);
	store_free(&st);

	/* globals fill in billing, reset_day, on_event */
	CHECK(rule("[global]\nbilling = max\nreset_day = 15\non_event = /bin/true\n[rule a]\nlisten = :1000\n"
	    "remote = 127.0.0.1:1\nquota = 1M\n", &st, &l) == 0, "a quota rule resolves");
	CHECK(l.billing == BILL_MAX && l.reset_day == 15 && strcmp(l.on_event, "/bin/true") == 0,
	    "billing, reset_day and on_event come from [global]");
	CHECK(l.admit && !l.shape && l.q_slot_up == 0 && l.q_slot_down == 1, "max billing: one budget each way");
	lim_rule_free(&l);
	store_free(&st);
	CHECK(rule("[rule a]\nlisten = :1000\nremote = 127.0.0.1:1\nquota = 1M\nbilling = out\non_event = /bin/x\n"
	    "quota_action = throttle\nquota_rate = 1mbit\n", &st, &l) == 0, "an out-billed throttling rule resolves");
	CHECK(l.q_slot_up < 0 && l.q_slot_down == 1 && l.shape && strcmp(l.on_event, "/bin/x") == 0,
	    "out billing spends only on the way out; throttling shapes; the rule's own on_event");
	lim_rule_free(&l);
	store_free(&st);

	/* admission */
	CHECK(rule("[rule a]\nlisten = :1000\nremote = 127.0.0.1:1\nmax_conns = 2\nmax_conns_per_src = 1\n"
	    "deny = 10.0.0.0/8\nallow = 10.0.0.0/8, 192.168.1.1, ::1/128\n", &st, &l) == 0, "a capped rule resolves");
	memset(&s, 0, sizeof(s));
	CHECK(lim_state_apply(&s, &l, LIM_Q_OK, now) == 0 && s.src.v, "the per-source table is made");
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("10.1.2.3"), 0) == LIM_DENY, "deny wins over allow");
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("192.168.1.2"), 0) == LIM_DENY, "not in allow: refused");
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("192.168.1.1"), 0) == -1, "in allow: admitted");
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("192.168.1.1"), 0) == LIM_SRC_CONNS, "a second from the same source: refused");
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("::1"), 0) == -1, "IPv6 admitted");
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("::1"), 0) == LIM_MAX_CONNS, "the third: over max_conns");
	CHECK(s.active == 2, "two counted (%ld)", s.active);
	lim_leave(&l, &s, SA("::1"));
	CHECK(lim_admit(&l, &s, LIM_Q_OK, SA("::1"), 0) == -1, "after one left, admitted again");
	CHECK(lim_check_addr(&l, LIM_Q_STOPPED, SA("::1")) == -1, "a stopped quota refuses nothing without a quota");
	lim_state_free(&s);
	lim_rule_free(&l);
	store_free(&st);

	/* budgets: rule cap and per-connection cap */
	CHECK(rule("[rule a]\nlisten = :1000\nremote = 127.0.0.1:1\nrate_out = 8mbit\nconn_rate = 800kbit\n",
	    &st, &l) == 0, "a shaped rule resolves");
	memset(&s, 0, sizeof(s));
	lim_state_apply(&s, &l, LIM_Q_OK, now);
	{
		struct tbucket *cb = lim_conn_buckets(&l, now);
		CHECK(cb != NULL, "per-connection buckets");
		got = lim_budget(&s, cb ? &cb[1] : NULL, 0, 1 << 20, now, &delay);
		CHECK(got == 16384, "a new connection may read its burst (16 KiB floor), not a second's worth (%llu)",
		    (unsigned long long)got);
		got = lim_budget(&s, cb ? &cb[1] : NULL, 0, 1 << 20, now, &delay);
		CHECK(got == 0 && delay >= 1000, "then it waits (%lld us)", (long long)delay);
		lim_refund(&s, cb ? &cb[1] : NULL, 0, 1000, now);
		got = lim_budget(&s, cb ? &cb[1] : NULL, 0, 1 << 20, now, &delay);
		CHECK(got == 1000, "what was not read comes back (%llu)", (unsigned long long)got);
		got = lim_budget(&s, cb ? &cb[1] : NULL, 0, 1 << 20, now + 1000000, &delay);
		CHECK(got == 16384, "a second later the per-connection cap (100 KB/s, burst 16 KiB) is the limit (%llu)",
		    (unsigned long long)got);
		got = lim_budget(&s, NULL, 1, 1 << 20, now, &delay);
		CHECK(got == 1 << 20, "the other way has no cap");
		free(cb);
	}
	CHECK(lim_police(&s, 0, 60000, now + 2000000) == 1, "a datagram within the rule's burst (100 ms of 1 MB/s) passes");
	CHECK(lim_police(&s, 0, 60000, now + 2000000) == 0, "the next is over the cap: dropped");
	lim_state_apply(&s, &l, LIM_Q_THROTTLED, now);
	lim_state_free(&s);
	lim_rule_free(&l);
	store_free(&st);

	CHECK(lim_family(SA("::ffff:1.2.3.4")) == LG_V4 && lim_family(SA("1.2.3.4")) == LG_V4 &&
	    lim_family(SA("2001:db8::1")) == LG_V6, "IPv4-mapped clients count as IPv4");
	return T_DONE();
}
