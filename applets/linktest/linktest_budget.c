/*
 * linktest server's traffic budgets: what the test phases move, both ways,
 * per client address (IPv6: per /64) and of all clients, each an hour's
 * worth that drains back at its limit per hour. Not locked: the server
 * calls these under its lock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "linktest.h"
#include "net.h"
#include "util.h"

#define BUDGET_KEYS 1024       /* client addresses whose traffic is remembered */
#define HOUR_MS 3600000

/* Traffic of the last hour: spent drains at limit per hour (a token bucket
 * holding one hour's budget). */
struct budget {
	struct linktest_ipkey key;
	int used;
	double spent;
	int64_t at_ms;
};

static struct {
	uint64_t per_address, total_limit;   /* bytes per hour, 0: none */
	struct budget keys[BUDGET_KEYS], total;
} B;

void
linktest_budget_init(uint64_t per_address, uint64_t total)
{
	memset(&B, 0, sizeof(B));
	B.per_address = per_address;
	B.total_limit = total;
}

int
linktest_budget_on(void)
{
	return B.per_address || B.total_limit;
}

void
linktest_ipkey_of(const struct sockaddr_storage *ss0, struct linktest_ipkey *k)
{
	struct sockaddr_storage ss = *ss0;

	memset(k, 0, sizeof(*k));
	net_addr_unmap(&ss);
	if (ss.ss_family == AF_INET) {
		k->b[10] = k->b[11] = 0xff;
		memcpy(k->b + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6)
		memcpy(k->b, &((struct sockaddr_in6 *)&ss)->sin6_addr, 8);
}

int
linktest_ipkey_eq(const struct linktest_ipkey *a, const struct linktest_ipkey *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* The address a budget is kept for: "203.0.113.7" or "2001:db8:1:2::/64". */
static void
key_str(const struct linktest_ipkey *k, char *buf, size_t size)
{
	static const uint8_t v4[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(k->b, v4, sizeof(v4)) == 0)
		inet_ntop(AF_INET, k->b + 12, buf, (socklen_t)size);
	else {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, k->b, a, sizeof(a));
		snprintf(buf, size, "%s/64", a);
	}
}

static void
bucket_drain(struct budget *b, uint64_t limit, int64_t now)
{
	double back = (double)limit * (double)(now - b->at_ms) / HOUR_MS;

	b->spent = b->spent > back ? b->spent - back : 0;
	b->at_ms = now;
}

/* The budget of a client address; a new address takes the place of one
 * that spent nothing in the last hour, else of the one that spent least. */
static struct budget *
bucket_of(const struct linktest_ipkey *k, int64_t now)
{
	struct budget *b = NULL;
	int i;

	for (i = 0; i < BUDGET_KEYS; i++)
		if (B.keys[i].used && linktest_ipkey_eq(&B.keys[i].key, k)) {
			b = &B.keys[i];
			bucket_drain(b, B.per_address, now);
			return b;
		}
	for (i = 0; i < BUDGET_KEYS; i++) {
		struct budget *c = &B.keys[i];
		if (c->used)
			bucket_drain(c, B.per_address, now);
		if (!b || !c->used || c->spent < b->spent)
			b = c;
		if (!c->used || c->spent == 0)
			break;
	}
	b->used = 1;
	b->key = *k;
	b->spent = 0;
	b->at_ms = now;
	return b;
}

static uint64_t
bucket_left(const struct budget *b, uint64_t limit)
{
	return b->spent >= (double)limit ? 0 : (uint64_t)((double)limit - b->spent);
}

uint64_t
linktest_budget_avail(const struct linktest_ipkey *k, int64_t now)
{
	uint64_t a = UINT64_MAX, t;

	if (B.per_address)
		a = bucket_left(bucket_of(k, now), B.per_address);
	if (B.total_limit) {
		bucket_drain(&B.total, B.total_limit, now);
		t = bucket_left(&B.total, B.total_limit);
		a = t < a ? t : a;
	}
	return a;
}

void
linktest_budget_spend(const struct linktest_ipkey *k, double n, int64_t now)
{
	struct budget *b;

	if (B.per_address) {
		b = bucket_of(k, now);
		b->spent = b->spent + n > 0 ? b->spent + n : 0;
	}
	if (B.total_limit) {
		bucket_drain(&B.total, B.total_limit, now);
		B.total.spent = B.total.spent + n > 0 ? B.total.spent + n : 0;
	}
}

/* Below this much left, a budget counts as used up. */
static uint64_t
budget_low(uint64_t limit)
{
	return limit / 16 < (1 << 20) ? limit / 16 : (1 << 20);
}

static int
budget_wait_min(const struct budget *b, uint64_t limit)
{
	double over = b->spent - (double)(limit - budget_low(limit));

	return over > 0 ? (int)(over * HOUR_MS / (double)limit / 60000) + 1 : 1;
}

int
linktest_budget_used_up(const struct linktest_ipkey *k, char *msg, size_t size)
{
	int64_t now = now_ms();
	char lim[32], who[64];
	struct budget *b;

	if (B.per_address) {
		b = bucket_of(k, now);
		if (bucket_left(b, B.per_address) < budget_low(B.per_address)) {
			key_str(k, who, sizeof(who));
			snprintf(msg, size, "budget: %s has used its traffic budget (%s per hour, --budget): "
			    "try again in %d min", who, fmt_bytes(lim, sizeof(lim), B.per_address), budget_wait_min(b, B.per_address));
			return 1;
		}
	}
	if (B.total_limit) {
		bucket_drain(&B.total, B.total_limit, now);
		if (bucket_left(&B.total, B.total_limit) < budget_low(B.total_limit)) {
			snprintf(msg, size, "budget: the server has used its traffic budget for all clients "
			    "(%s per hour, --total-budget): try again in %d min",
			    fmt_bytes(lim, sizeof(lim), B.total_limit), budget_wait_min(&B.total, B.total_limit));
			return 1;
		}
	}
	return 0;
}

uint64_t
linktest_budget_lease_chunk(void)
{
	uint64_t lim = B.per_address, c;

	if (!lim || (B.total_limit && B.total_limit < lim))
		lim = B.total_limit;
	c = lim / 32;
	return c < (64 << 10) ? (64 << 10) : c > (4 << 20) ? (4 << 20) : c;
}
