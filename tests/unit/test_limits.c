/* The pure pieces of limits and ledger: address lists, token buckets, the ledger, event programs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "acl.h"
#include "events.h"
#include "ledger.h"
#include "store.h"
#include "srclimit.h"
#include "tbucket.h"
#include "util.h"

static struct sockaddr_storage
sa(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return ss;
}

static int
match(const struct acl *a, const char *ip)
{
	struct sockaddr_storage ss = sa(ip);

	return acl_match(a, (struct sockaddr *)&ss);
}

static void
test_acl(void)
{
	struct acl a = { 0 };
	char err[ERRLEN];

	CHECK(acl_parse(&a, "10.0.0.0/8, 192.168.1.7 2001:db8::/32", err) == 0 && a.n == 3, "parse a mixed list");
	CHECK(match(&a, "10.200.3.4") && !match(&a, "11.0.0.1"), "IPv4 prefix");
	CHECK(match(&a, "192.168.1.7") && !match(&a, "192.168.1.8"), "a single address is /32");
	CHECK(match(&a, "2001:db8:1::5") && !match(&a, "2001:db9::1"), "IPv6 prefix");
	CHECK(match(&a, "::ffff:10.1.2.3"), "a v4-mapped client matches IPv4 entries");
	acl_free(&a);
	CHECK(acl_parse(&a, "10.0.0.0/33", err) == -1 && strstr(err, "prefix"), "prefix too long");
	acl_free(&a);
	CHECK(acl_parse(&a, "example.com", err) == -1 && strstr(err, "CIDR"), "names refused");
	acl_free(&a);
	CHECK(acl_parse(&a, "0.0.0.0/0", err) == 0 && match(&a, "8.8.8.8") && !match(&a, "::1"), "/0");
	acl_free(&a);
}

static void
test_tbucket(void)
{
	struct tbucket tb;
	uint64_t r, got = 0;
	int64_t t;
	char buf[32];

	CHECK(parse_rate("10mbit", &r) == 0 && r == 1250000, "10mbit = 1.25 MB/s");
	CHECK(parse_rate("2MB/s", &r) == 0 && r == 2000000, "2MB/s");
	CHECK(parse_rate("500kbit", &r) == 0 && r == 62500, "500kbit");
	CHECK(parse_rate("0", &r) == 0 && r == 0, "0 = unlimited");
	CHECK(parse_rate("10 mbit", &r) == -1 && parse_rate("fast", &r) == -1, "junk refused");
	CHECK_STR(fmt_rate(buf, sizeof(buf), 1250000), "10.0 Mbit/s", "rate formatting");

	/* 1.25 MB/s for 5 simulated seconds, asking for 64 KiB every millisecond */
	tb_init(&tb, 1250000, 0, 16384, 0);
	CHECK(tb.burst == 125000, "default burst is 100 ms of rate");
	for (t = 0; t <= 5000000; t += 1000)
		got += tb_take(&tb, 65536, t);
	CHECK(got >= 1250000ULL * 5 && got <= 1250000ULL * 5 + 125000, "5 s at the cap: %llu bytes",
	    (unsigned long long)got);
	tb_init(&tb, 1250000, 0, 16384, 0);
	for (got = 0, t = 0; t <= 1000000; t += 1000)
		got += tb_take(&tb, 1 << 20, t);
	CHECK(got <= 1250000 + 125000, "no first-second spike: %llu bytes in the first second",
	    (unsigned long long)got);
	tb_init(&tb, 1000, 100, 0, 0);
	tb_take(&tb, 100, 0);
	CHECK(tb_delay_us(&tb, 50, 0) >= 49000 && tb_delay_us(&tb, 50, 0) <= 51000, "delay until 50 tokens");
	CHECK(tb_take(&tb, 10, 0) == 0 && tb_take(&tb, 10, 20000) == 10, "refills with time");
	tb_init(&tb, 0, 0, 0, 0);
	CHECK(tb_take(&tb, 12345, 0) == 12345, "rate 0 is unlimited");
}

static void
test_ledger(const char *dir)
{
	struct ledger lg = { 0 }, back = { 0 };
	struct ledger_rule *r;
	char path[512], err[ERRLEN];
	int64_t t;

	setenv("TZ", "UTC", 1);
	tzset();
	/* 2026-03-15 12:00 UTC */
	t = 1773576000;
	CHECK(ledger_cycle_start(t, 1) == 1772323200, "cycle from the 1st (2026-03-01)");
	CHECK(ledger_cycle_start(t, 20) == 1771545600, "reset day not yet come: the month before (2026-02-20)");
	CHECK(ledger_cycle_start(1772323200 + 86400 * 2, 31) == 1772236800, "day 31 in February is its last day");
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	CHECK(ledger_cycle_start(t, 1) == 1772323200 - 8 * 3600, "local midnight in UTC+8");
	setenv("TZ", "UTC", 1);
	tzset();

	r = ledger_get(&lg, "hk", t, 1);
	ledger_add(r, LG_TCP, LG_V4, 1000, 3000, 1);
	ledger_add(r, LG_UDP, LG_V6, 500, 100, 0);
	CHECK(ledger_used(&r->cycle, BILL_BOTH) == 4600 && ledger_used(&r->cycle, BILL_IN) == 1500 &&
	    ledger_used(&r->cycle, BILL_OUT) == 3100 && ledger_used(&r->cycle, BILL_MAX) == 3100, "billing modes");
	CHECK(ledger_check_quota(r, 5000, BILL_BOTH) == LG_FIRED_80, "80 percent fires once");
	CHECK(ledger_check_quota(r, 5000, BILL_BOTH) == 0, "and not again");
	ledger_add(r, LG_TCP, LG_V4, 400, 0, 0);
	CHECK(ledger_check_quota(r, 5000, BILL_BOTH) == (LG_FIRED_95 | LG_FIRED_100), "95 and 100 percent together");
	ledger_display_reset(r, t + 10);
	CHECK(r->display.conns == 0 && r->cycle.conns == 1, "a display reset leaves the cycle alone");
	snprintf(path, sizeof(path), "%s/ledger", dir);
	CHECK(ledger_save(path, &lg, err) == 0, "saved");
	CHECK(ledger_load(path, &back, err) == 0 && back.n == 1, "loaded");
	CHECK(back.n == 1 && memcmp(&back.v[0], &lg.v[0], sizeof(lg.v[0])) == 0, "round trip is exact");
	CHECK(ledger_roll(&back.v[0], t + 86400 * 20, 1, BILL_BOTH) == 1 && back.v[0].cycle.conns == 0 &&
	    back.v[0].last_cycle_used == 5000 && back.v[0].fired == 0, "a new month rolls the cycle");
	CHECK(ledger_roll(&back.v[0], t + 86400 * 21, 1, BILL_BOTH) == 0, "once");
	ledger_free(&back);
	file_write_atomic(path, "rule x cycle_start=oops\n", 24, 0644);
	CHECK(ledger_load(path, &back, err) == -1 && strstr(err, ":1:"), "a damaged ledger is reported with its line");
	ledger_free(&back);
	ledger_free(&lg);
}

static void
test_events(const char *dir)
{
	struct event_runner er;
	char prog[512], out[600], err[ERRLEN], *text;
	FILE *f;
	int i;

	snprintf(prog, sizeof(prog), "%s/on_event.sh", dir);
	snprintf(out, sizeof(out), "%s/event.out", dir);
	f = fopen(prog, "w");
	fprintf(f, "#!/bin/sh\necho \"$1 $XWPF_EVENT $XWPF_RULE $XWPF_BACKEND $XWPF_DETAIL\" > %s.tmp\n"
	    "mv %s.tmp %s\n[ \"$XWPF_EVENT\" = hang ] && exec sleep 60\nexit 0\n", out, out, out);
	fclose(f);
	chmod(prog, 0755);
	event_init(&er, 300);
	CHECK(event_fire(&er, prog, "backend_down", "hk", "10.0.0.1:443", "connect refused", err) == 0, "fired");
	for (i = 0; i < 100 && event_reap(&er, now_ms()) > 0; i++)
		usleep(20000);
	text = file_read(out, NULL);
	CHECK_STR(text, "backend_down backend_down hk 10.0.0.1:443 connect refused\n", "the program saw the event");
	free(text);
	CHECK(event_fire(&er, prog, "hang", "hk", "", "", err) == 0, "a hanging program starts");
	for (i = 0; i < 100 && event_reap(&er, now_ms()) > 0; i++)
		usleep(20000);
	CHECK(er.killed == 1 && event_reap(&er, now_ms()) == 0, "and is killed after the timeout");
	CHECK(event_fire(&er, "/nonexistent/prog", "x", "", "", "", err) == -1 || event_reap(&er, now_ms()) >= 0,
	    "a missing program does not hang anything");
}

static void
test_srclimit(void)
{
	struct srclimit sl;
	struct sockaddr_storage a = sa("10.0.0.1"), am = sa("::ffff:10.0.0.1"), b = sa("2001:db8::2");
	int i, ok = 1;

	CHECK(srclimit_init(&sl, 1024, 2, 2) == 0, "init: 2 at once, 2 new per second");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 1000) == 0 &&
	    srclimit_enter(&sl, (struct sockaddr *)&am, 1001) == 0, "two from one source (v4 and v4-mapped)");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 1002) == -1 && errno == EMFILE, "a third at once is refused");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&b, 1003) == 0, "another source is not affected");
	srclimit_leave(&sl, (struct sockaddr *)&a);
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 1004) == -1 && errno == EAGAIN,
	    "a third new one in the same second is refused by the rate");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 2100) == 0, "the next second admits again");
	srclimit_free(&sl);

	srclimit_init(&sl, 64, 1, 0);
	for (i = 0; i < 5000; i++) {   /* many sources: the table recycles idle entries */
		struct sockaddr_storage x;
		char ip[32];
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		x = sa(ip);
		if (srclimit_enter(&sl, (struct sockaddr *)&x, 10000 + i) < 0)
			ok = 0;
		srclimit_leave(&sl, (struct sockaddr *)&x);
	}
	CHECK(ok, "5000 sources through a 64-entry table, none refused wrongly");
	srclimit_free(&sl);
}

/* the key of ip cut to p4 / p6 bits, as text: v4 "a.b.c.d", v6 the full address */
static const char *
key_str(const char *ip, int p4, int p6)
{
	static char out[64];
	struct sockaddr_storage ss = sa(ip);
	unsigned char k[16];
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	srclimit_key((struct sockaddr *)&ss, p4, p6, k);
	if (memcmp(k, mapped, 12) == 0)
		inet_ntop(AF_INET, k + 12, out, sizeof(out));
	else
		inet_ntop(AF_INET6, k, out, sizeof(out));
	return out;
}

static void
test_srckey(void)
{
	struct srclimit sl;
	struct sockaddr_storage a = sa("2001:db8:1:2::11"), b = sa("2001:db8:1:2:ffff::12"), c = sa("2001:db8:1:3::1");
	struct sockaddr_storage x = sa("2001:db8:1:2::11"), y = sa("2001:db8:1:2::12");

	CHECK_STR(key_str("2001:db8:1:2:3:4:5:6", 0, 0), "2001:db8:1:2::", "IPv6: /64 by default");
	CHECK_STR(key_str("2001:db8:1:2:3:4:5:6", 32, 128), "2001:db8:1:2:3:4:5:6", "IPv6 /128: the address");
	CHECK_STR(key_str("2001:db8:1:2ff:3:4:5:6", 32, 56), "2001:db8:1:200::", "IPv6 /56: a cut inside a byte pair");
	CHECK_STR(key_str("2001:db8:1:2ff:3:4:5:6", 32, 61), "2001:db8:1:2f8::", "IPv6 /61: a cut inside a byte");
	CHECK_STR(key_str("10.1.2.3", 0, 0), "10.1.2.3", "IPv4: /32 by default");
	CHECK_STR(key_str("10.1.2.3", 24, 64), "10.1.2.0", "IPv4 /24");
	CHECK_STR(key_str("::ffff:10.1.2.3", 32, 64), "10.1.2.3", "IPv4-mapped stays IPv4 (not cut to /64)");
	CHECK_STR(key_str("::ffff:10.1.2.3", 16, 64), "10.1.0.0", "IPv4-mapped takes the IPv4 prefix");

	CHECK(srclimit_init(&sl, 1024, 2, 0) == 0, "init: 2 at once");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 1000) == 0 && srclimit_enter(&sl, (struct sockaddr *)&b, 1001) == 0,
	    "two addresses of one /64");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&y, 1002) == -1 && errno == EMFILE,
	    "a third address of that /64 is the same source: refused");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&c, 1003) == 0, "another /64 is another source");
	srclimit_leave(&sl, (struct sockaddr *)&x);   /* ::11's and ::12's leave count against the /64 */
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&y, 1004) == 0, "one left the /64: room for one");
	srclimit_prefix(&sl, 32, 128);
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 1005) == 0 && srclimit_enter(&sl, (struct sockaddr *)&a, 1006) == 0 &&
	    srclimit_enter(&sl, (struct sockaddr *)&y, 1007) == 0, "/128: each address counts alone (table emptied)");
	CHECK(srclimit_enter(&sl, (struct sockaddr *)&a, 1008) == -1, "... and the third from one address is refused");
	srclimit_free(&sl);
}

int
main(void)
{
	char dir[] = "/tmp/xwpf-unit-XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_acl();
	test_tbucket();
	test_srclimit();
	test_srckey();
	test_ledger(dir);
	test_events(dir);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return T_DONE();
}
