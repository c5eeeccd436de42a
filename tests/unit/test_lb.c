/* lib/relay/balance.c: known sequences, distributions, ring stability, failover order. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>

#include "t.h"
#include "balance.h"
#include "util.h"

static struct store_remote remotes[LB_MAX];
static struct store_rule rule;

/* A rule with n remotes 10.0.0.(i+1):80, or the given hosts, and weights. */
static const struct store_rule *
mkrule(enum balance_mode mode, int n, const int *weights, const char *const *hosts)
{
	int i;

	memset(&rule, 0, sizeof(rule));
	memset(remotes, 0, sizeof(remotes));
	strcpy(rule.name, "t");
	rule.balance = mode;
	rule.remotes = remotes;
	rule.nremotes = (size_t)n;
	for (i = 0; i < n; i++) {
		if (hosts)
			strcpy(remotes[i].addr.host, hosts[i]);
		else
			snprintf(remotes[i].addr.host, sizeof(remotes[i].addr.host), "10.0.%d.%d", i / 200, i % 200 + 1);
		remotes[i].addr.port = remotes[i].addr.port_end = 80;
		remotes[i].weight = weights ? weights[i] : 1;
	}
	return &rule;
}

static struct lb *
mk(enum balance_mode mode, int n, const int *weights, const char *const *hosts)
{
	char err[ERRLEN] = "";
	struct lb *lb = lb_new(mkrule(mode, n, weights, hosts), err);

	if (!lb)
		printf("# lb_new: %s\n", err);
	return lb;
}

static void
sequence(struct lb *lb, int n, char *out)
{
	int i;

	for (i = 0; i < n; i++) {
		int p = lb_pick(lb, NULL, NULL);
		out[i] = p < 0 ? '-' : (char)('a' + p);
	}
	out[n] = '\0';
}

static struct sockaddr_storage
client4(uint32_t a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(a);
	sin->sin_port = htons((uint16_t)(40000 + a % 1000));
	return ss;
}

static void
test_roundrobin(void)
{
	static const int w421[] = { 4, 2, 1 }, w321[] = { 3, 2, 1 }, w11[] = { 1, 1 }, w511[] = { 5, 1, 1 };
	int counts[3] = { 0 }, i;
	char seq[64];
	struct lb *lb;

	lb = mk(BALANCE_ROUNDROBIN, 3, w421, NULL);
	sequence(lb, 14, seq);
	CHECK_STR(seq, "abacabaabacaba", "roundrobin 4,2,1 gives a,b,a,c,a,b,a (twice)");
	lb_free(lb);

	lb = mk(BALANCE_ROUNDROBIN, 3, w511, NULL);
	sequence(lb, 7, seq);
	CHECK_STR(seq, "aabacaa", "roundrobin 5,1,1 is smooth: a,a,b,a,c,a,a (nginx's example; realm's order)");
	lb_free(lb);

	lb = mk(BALANCE_ROUNDROBIN, 3, w321, NULL);
	for (i = 0; i < 6000; i++)
		counts[lb_pick(lb, NULL, NULL)]++;
	printf("# 6000 picks, weights 3,2,1: %d %d %d\n", counts[0], counts[1], counts[2]);
	CHECK(abs(counts[0] * 100 / 6000 - 50) <= 3 && abs(counts[1] * 100 / 6000 - 33) <= 3 &&
	    abs(counts[2] * 100 / 6000 - 17) <= 3, "roundrobin 3,2,1: 6000 picks within 3 points of 50/33/17");
	CHECK(counts[0] == 3000 && counts[1] == 2000 && counts[2] == 1000, "roundrobin 3,2,1 is exact per cycle");
	lb_free(lb);

	lb = mk(BALANCE_ROUNDROBIN, 2, w11, NULL);
	sequence(lb, 4, seq);
	CHECK_STR(seq, "abab", "roundrobin 1,1 alternates");
	lb_set_health(lb, 0, 0);
	sequence(lb, 3, seq);
	CHECK_STR(seq, "bbb", "roundrobin skips a backend marked down");
	lb_set_health(lb, 0, 1);
	sequence(lb, 4, seq);
	CHECK(strchr(seq, 'a') && strchr(seq, 'b'), "roundrobin takes it back when it is up again (%s)", seq);
	lb_free(lb);

	/* the exclude bitmap: the client already tried a */
	lb = mk(BALANCE_ROUNDROBIN, 3, w421, NULL);
	{
		uint64_t ex[4] = { 0 };
		int p;

		lb_exclude_set(ex, 0);
		for (i = 0; i < 10; i++) {
			p = lb_pick(lb, NULL, ex);
			if (p == 0)
				break;
		}
		CHECK(i == 10, "roundrobin never returns an excluded backend");
		lb_exclude_set(ex, 1);
		lb_exclude_set(ex, 2);
		CHECK(lb_pick(lb, NULL, ex) == -1, "every backend excluded: -1");
	}
	lb_free(lb);
}

static void
test_failover(void)
{
	struct lb *lb;
	uint64_t ex[4] = { 0 };
	char seq[16];
	enum balance_mode modes[] = { BALANCE_FAILOVER, BALANCE_OFF };
	size_t m;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		const char *name = store_balance_name(modes[m]);

		lb = mk(modes[m], 3, NULL, NULL);
		sequence(lb, 3, seq);
		CHECK_STR(seq, "aaa", "%s: the first remote takes all traffic", name);
		lb_set_health(lb, 0, 0);
		sequence(lb, 3, seq);
		CHECK_STR(seq, "bbb", "%s: first down, the second takes it", name);
		lb_set_health(lb, 1, 0);
		sequence(lb, 2, seq);
		CHECK_STR(seq, "cc", "%s: first two down, the third", name);
		lb_set_health(lb, 2, 0);
		sequence(lb, 2, seq);
		CHECK_STR(seq, "aa", "%s: all down: still the first in order, not a refusal", name);
		memset(ex, 0, sizeof(ex));
		lb_exclude_set(ex, 0);
		CHECK(lb_pick(lb, NULL, ex) == 1, "%s: all down, first tried: the second", name);
		lb_exclude_set(ex, 1);
		CHECK(lb_pick(lb, NULL, ex) == 2, "%s: all down, two tried: the third", name);
		lb_exclude_set(ex, 2);
		CHECK(lb_pick(lb, NULL, ex) == -1, "%s: all tried: -1", name);
		lb_set_health(lb, 1, 1);
		CHECK(lb_pick(lb, NULL, NULL) == 1, "%s: the second back up takes the traffic", name);
		lb_set_health(lb, 0, 1);
		CHECK(lb_pick(lb, NULL, NULL) == 0, "%s: the first back up takes it back", name);
		lb_free(lb);
	}
}

static void
test_suspect(void)
{
	struct lb *lb = mk(BALANCE_FAILOVER, 2, NULL, NULL);
	struct timespec ts = { 0, 150 * 1000000L };
	int i;

	lb_set_suspect_ms(lb, 100);
	lb_report(lb, 0, 0);
	CHECK(!lb_is_healthy(lb, 0) && lb_is_up(lb, 0), "a failed connect makes the backend suspect, not down");
	CHECK(lb_pick(lb, NULL, NULL) == 1, "a suspect backend is skipped");
	lb_report(lb, 1, 0);
	CHECK(lb_pick(lb, NULL, NULL) == 0, "all suspect: the first in order");
	lb_set_health(lb, 0, 0);
	CHECK(lb_pick(lb, NULL, NULL) == 1, "all unhealthy: suspect preferred to down");
	lb_set_health(lb, 0, 1);
	for (i = 0; i < 10 && !lb_is_healthy(lb, 0); i++)
		nanosleep(&ts, NULL);
	CHECK(lb_is_healthy(lb, 0) && lb_pick(lb, NULL, NULL) == 0, "suspicion expires");
	lb_report(lb, 0, 0);
	lb_report(lb, 0, 1);
	CHECK(lb_is_healthy(lb, 0), "a good connect clears suspicion");
	lb_free(lb);
}

static void
test_iphash(void)
{
	static const char *const hosts[] = { "10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4" };
	static const char *const hosts3[] = { "10.1.0.1", "10.1.0.3", "10.1.0.4" };
	static const char *const rev[] = { "10.1.0.4", "10.1.0.3", "10.1.0.2", "10.1.0.1" };
	static const int w31[] = { 3, 1 };
	enum { NC = 1000 };
	int map[NC], again[NC], counts[4] = { 0 }, moved = 0, wrong = 0, same = 1, i;
	struct sockaddr_storage c;
	struct lb *lb, *lb3;

	lb = mk(BALANCE_IPHASH, 4, NULL, hosts);
	for (i = 0; i < NC; i++) {
		c = client4(0x7f000000u + 0x10000u + (uint32_t)i * 7);
		map[i] = lb_pick(lb, &c, NULL);
		counts[map[i]]++;
		/* another port, same address: same backend */
		((struct sockaddr_in *)&c)->sin_port = htons(1234);
		if (lb_pick(lb, &c, NULL) != map[i])
			same = 0;
	}
	printf("# iphash 1000 clients over 4: %d %d %d %d\n", counts[0], counts[1], counts[2], counts[3]);
	CHECK(same, "iphash: a client address always reaches the same backend");
	CHECK(counts[0] > 150 && counts[1] > 150 && counts[2] > 150 && counts[3] > 150,
	    "iphash spreads 1000 clients over 4 backends");

	/* backend 1 leaves (marked down) */
	lb_set_health(lb, 1, 0);
	for (i = 0; i < NC; i++) {
		c = client4(0x7f000000u + 0x10000u + (uint32_t)i * 7);
		again[i] = lb_pick(lb, &c, NULL);
		moved += again[i] != map[i];
		wrong += map[i] != 1 && again[i] != map[i];
	}
	printf("# iphash: one of 4 down moved %d of %d\n", moved, NC);
	CHECK(moved <= NC * 30 / 100, "iphash: one of 4 down moves at most 30%% (%d)", moved);
	CHECK(wrong == 0, "iphash: only the down backend's clients move");
	lb_set_health(lb, 1, 1);
	for (i = 0, moved = 0; i < NC; i++) {
		c = client4(0x7f000000u + 0x10000u + (uint32_t)i * 7);
		moved += lb_pick(lb, &c, NULL) != map[i];
	}
	CHECK(moved == 0, "iphash: its return restores the original mapping");

	/* removed from the rule (a new lb with 3 remotes): the same answer */
	lb3 = mk(BALANCE_IPHASH, 3, NULL, hosts3);
	for (i = 0, moved = 0, wrong = 0; i < NC; i++) {
		int p;

		c = client4(0x7f000000u + 0x10000u + (uint32_t)i * 7);
		p = lb_pick(lb3, &c, NULL);
		p = p == 0 ? 0 : p + 1;   /* index in the 4-remote rule */
		moved += p != map[i];
		wrong += map[i] != 1 && p != map[i];
	}
	printf("# iphash: one of 4 removed from the rule moved %d of %d\n", moved, NC);
	CHECK(moved <= NC * 30 / 100 && wrong == 0, "iphash: a remote removed from the rule moves only its clients");
	lb_free(lb3);

	/* order of remotes does not matter: identity, not position */
	lb3 = mk(BALANCE_IPHASH, 4, NULL, rev);
	for (i = 0, moved = 0; i < NC; i++) {
		c = client4(0x7f000000u + 0x10000u + (uint32_t)i * 7);
		moved += 3 - lb_pick(lb3, &c, NULL) != map[i];
	}
	CHECK(moved == 0, "iphash: reordering the remotes moves nobody");
	lb_free(lb3);

	/* excluded: the next on the ring, never -1 while one is left */
	{
		uint64_t ex[4] = { 0 };

		c = client4(0x7f000001u);
		i = lb_pick(lb, &c, NULL);
		lb_exclude_set(ex, i);
		CHECK(lb_pick(lb, &c, ex) >= 0 && lb_pick(lb, &c, ex) != i, "iphash: exclude gives another backend");
		memset(ex, 0xff, sizeof(ex));
		CHECK(lb_pick(lb, &c, ex) == -1, "iphash: all excluded: -1");
	}
	/* IPv4-mapped IPv6 hashes as the IPv4 address */
	{
		struct sockaddr_storage v6;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&v6;

		memset(&v6, 0, sizeof(v6));
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "::ffff:127.1.0.0", &s6->sin6_addr);
		c = client4(0x7f010000u);
		CHECK(lb_pick(lb, &v6, NULL) == lb_pick(lb, &c, NULL), "iphash: ::ffff:a.b.c.d is a.b.c.d");
		inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
		i = lb_pick(lb, &v6, NULL);
		CHECK(i >= 0 && i < 4 && lb_pick(lb, &v6, NULL) == i, "iphash: IPv6 clients are stable");
	}
	lb_free(lb);

	/* weights 3,1: about 75/25 */
	lb = mk(BALANCE_IPHASH, 2, w31, NULL);
	counts[0] = counts[1] = 0;
	for (i = 0; i < 4000; i++) {
		c = client4(0x0a000000u + (uint32_t)i * 13);
		counts[lb_pick(lb, &c, NULL)]++;
	}
	printf("# iphash weights 3,1 over 4000 clients: %d %d\n", counts[0], counts[1]);
	CHECK(abs(counts[0] * 100 / 4000 - 75) <= 6, "iphash honours weights 3,1 (%d%%)", counts[0] * 100 / 4000);
	lb_free(lb);
}

static void
test_misc(void)
{
	char err[ERRLEN] = "";
	struct lb *lb;
	int i;

	CHECK(lb_new(mkrule(BALANCE_ROUNDROBIN, 0, NULL, NULL), err) == NULL && *err, "no remotes refused: %s", err);
	lb = mk(BALANCE_IPHASH, LB_MAX, NULL, NULL);
	CHECK(lb && lb_count(lb) == LB_MAX, "256 remotes");
	if (lb) {
		uint64_t ex[4];

		memset(ex, 0xff, sizeof(ex));
		ex[3] &= ~(1ULL << 63);
		CHECK(lb_pick(lb, NULL, ex) == 255, "bit 255 of the exclude bitmap");
		CHECK_STR(lb_backend_id(lb, 255), "10.0.1.56:80", "backend id");
		CHECK(lb_find(lb, "10.0.1.56:80") == 255 && lb_find(lb, "10.9.9.9:80") == -1, "lb_find");
	}
	lb_free(lb);
	{
		static const char *const h[] = { "::1", "example.com" };

		lb = mk(BALANCE_ROUNDROBIN, 2, NULL, h);
		CHECK_STR(lb_backend_id(lb, 0), "[::1]:80", "IPv6 identity is bracketed");
		CHECK_STR(lb_backend_id(lb, 1), "example.com:80", "name identity");
		for (i = 0; i < 3; i++)
			lb_set_health(lb, i - 1, 0);   /* out of range ignored */
		lb_free(lb);
	}
	lb_free(NULL);
}

int
main(void)
{
	test_roundrobin();
	test_failover();
	test_suspect();
	test_iphash();
	test_misc();
	return T_DONE();
}
