#include "tbucket.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* refill under the lock */
static void
refill(struct tbucket *tb, int64_t now_us)
{
	int64_t dt = now_us - tb->last_us, cap = (int64_t)tb->burst * 1000;

	if (dt <= 0)
		return;
	tb->last_us = now_us;
	if (dt > 10 * 1000000)       /* long idle: the bucket is full anyway */
		dt = 10 * 1000000;
	tb->tokens_milli += (int64_t)(tb->rate * (uint64_t)dt / 1000);
	if (tb->tokens_milli > cap)
		tb->tokens_milli = cap;
}

void
tb_init(struct tbucket *tb, uint64_t rate, uint64_t burst, uint64_t min_burst, int64_t now_us)
{
	memset(tb, 0, sizeof(*tb));
	tb->rate = rate;
	if (!burst) {
		burst = rate / 10;
		if (burst < min_burst)
			burst = min_burst;
	}
	tb->burst = burst;
	tb->min_burst = min_burst;
	tb->tokens_milli = (int64_t)burst * 1000;
	tb->last_us = now_us;
}

void
tb_set_rate(struct tbucket *tb, uint64_t rate, int64_t now_us)
{
	spin_lock(&tb->lock);
	refill(tb, now_us);
	__atomic_store_n(&tb->rate, rate, __ATOMIC_RELAXED);
	tb->burst = rate / 10 > tb->min_burst ? rate / 10 : tb->min_burst;
	if (tb->tokens_milli > (int64_t)tb->burst * 1000)
		tb->tokens_milli = (int64_t)tb->burst * 1000;
	spin_unlock(&tb->lock);
}

uint64_t
tb_take(struct tbucket *tb, uint64_t want, int64_t now_us)
{
	uint64_t got;

	if (!__atomic_load_n(&tb->rate, __ATOMIC_RELAXED))
		return want;
	spin_lock(&tb->lock);
	refill(tb, now_us);
	got = tb->tokens_milli > 0 ? (uint64_t)tb->tokens_milli / 1000 : 0;
	if (got > want)
		got = want;
	tb->tokens_milli -= (int64_t)got * 1000;
	spin_unlock(&tb->lock);
	return got;
}

void
tb_refund(struct tbucket *tb, uint64_t n)
{
	int64_t cap;

	if (!n || !__atomic_load_n(&tb->rate, __ATOMIC_RELAXED))
		return;
	spin_lock(&tb->lock);
	cap = (int64_t)tb->burst * 1000;
	tb->tokens_milli += (int64_t)n * 1000;
	if (tb->tokens_milli > cap)
		tb->tokens_milli = cap;
	spin_unlock(&tb->lock);
}

int64_t
tb_delay_us(struct tbucket *tb, uint64_t want, int64_t now_us)
{
	int64_t missing, d;

	if (!__atomic_load_n(&tb->rate, __ATOMIC_RELAXED))
		return 0;
	if (want > tb->burst)
		want = tb->burst;
	spin_lock(&tb->lock);
	refill(tb, now_us);
	missing = (int64_t)want * 1000 - tb->tokens_milli;
	spin_unlock(&tb->lock);
	if (missing <= 0)
		return 0;
	/* missing/1000 tokens at rate tokens/s: missing * 1000 / rate microseconds */
	d = (int64_t)((uint64_t)missing * 1000 / tb->rate) + 1;
	return d;
}

int
parse_rate(const char *s, uint64_t *out)
{
	char *end;
	double v;
	const char *u;
	double mul;

	if (!s || !*s || strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v < 0)
		return -1;
	u = end;
	if (!strcasecmp(u, "bit") || !strcasecmp(u, "bps"))
		mul = 1.0 / 8;
	else if (!strcasecmp(u, "kbit"))
		mul = 1e3 / 8;
	else if (!strcasecmp(u, "mbit"))
		mul = 1e6 / 8;
	else if (!strcasecmp(u, "gbit"))
		mul = 1e9 / 8;
	else if (!strcmp(u, "B/s"))
		mul = 1;
	else if (!strcasecmp(u, "KB/s"))
		mul = 1e3;
	else if (!strcasecmp(u, "MB/s"))
		mul = 1e6;
	else if (!strcasecmp(u, "GB/s"))
		mul = 1e9;
	else
		return -1;
	v *= mul;
	if (v > 1e15 || (v < 1 && v > 0))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

char *
fmt_rate(char *buf, unsigned size, uint64_t bps)
{
	double bits = (double)bps * 8;

	if (!bps)
		snprintf(buf, size, "unlimited");
	else if (bits >= 1e9)
		snprintf(buf, size, "%.1f Gbit/s", bits / 1e9);
	else if (bits >= 1e6)
		snprintf(buf, size, "%.1f Mbit/s", bits / 1e6);
	else
		snprintf(buf, size, "%.1f kbit/s", bits / 1e3);
	return buf;
}
