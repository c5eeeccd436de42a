#include "resolve.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define RES_BUCKETS 256
#define RES_NEG_MS 5000
#define RES_TTL_MS 60000
#define RES_THREADS 4   /* lookups at once: a name whose DNS never answers holds one */

struct res_entry {
	char *host;
	struct sockaddr_storage a[RES_MAX_ADDRS];
	int n;                  /* addresses; 0 = none yet or failed */
	int failed;             /* last lookup failed and nothing usable */
	int64_t expires;        /* re-resolve after (monotonic ms) */
	int64_t hard_expiry;    /* stale answers unusable after */
	int queued;             /* a lookup is pending or running */
	struct res_entry *next, *qnext;
};

struct res {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[RES_THREADS];
	int started, stop;              /* started: threads running */
	enum res_mode mode;
	long min_ttl, max_ttl;
	struct res_entry *b[RES_BUCKETS];
	struct res_entry *qhead, *qtail;
	int subs[64];
	int nsubs;
};

int
res_mode_parse(const char *s, enum res_mode *out)
{
	static const char *const names[] = { "ipv4_only", "ipv6_only", "ipv4_then_ipv6",
		"ipv6_then_ipv4", "ipv4_and_ipv6" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum res_mode)i;
			return 0;
		}
	return -1;
}

static long
ttl(const struct res *r)
{
	long t = RES_TTL_MS;

	if (t < r->min_ttl)
		t = r->min_ttl;
	if (r->max_ttl > 0 && t > r->max_ttl)
		t = r->max_ttl;
	return t;
}

static void
poke(struct res *r)
{
	uint64_t one = 1;
	int i;

	for (i = 0; i < r->nsubs; i++)
		if (write(r->subs[i], &one, sizeof(one)) < 0) {
			/* a full eventfd is already poked */
		}
}

/* Order the answers as the mode says; drop the excluded family. */
static int
collect(enum res_mode mode, struct addrinfo *ai, struct sockaddr_storage *out, int max)
{
	int pass, n = 0;
	struct addrinfo *p;

	for (pass = 0; pass < 2; pass++) {
		int fam;

		switch (mode) {
		case RES_V4_ONLY: fam = pass ? -1 : AF_INET; break;
		case RES_V6_ONLY: fam = pass ? -1 : AF_INET6; break;
		case RES_V4_THEN_V6: fam = pass ? AF_INET6 : AF_INET; break;
		case RES_V6_THEN_V4: fam = pass ? AF_INET : AF_INET6; break;
		default: fam = pass ? -1 : AF_UNSPEC; break;
		}
		if (fam < 0)
			break;
		for (p = ai; p && n < max; p = p->ai_next) {
			int i, dup = 0;

			if (p->ai_family != AF_INET && p->ai_family != AF_INET6)
				continue;
			if (fam != AF_UNSPEC && p->ai_family != fam)
				continue;
			for (i = 0; i < n; i++)
				if (memcmp(&out[i], p->ai_addr, p->ai_addrlen) == 0)
					dup = 1;
			if (dup)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			memcpy(&out[n], p->ai_addr, p->ai_addrlen);
			n++;
		}
	}
	return n;
}

static void *
worker(void *arg)
{
	struct res *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct res_entry *e;
		struct addrinfo hints, *ai = NULL;
		struct sockaddr_storage tmp[RES_MAX_ADDRS];
		enum res_mode mode;
		char *host;
		int rc, n = 0;

		while (!r->stop && !r->qhead)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop)
			break;
		e = r->qhead;
		r->qhead = e->qnext;
		if (!r->qhead)
			r->qtail = NULL;
		e->qnext = NULL;
		mode = r->mode;
		host = strdup(e->host);
		pthread_mutex_unlock(&r->mu);

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = mode == RES_V4_ONLY ? AF_INET : mode == RES_V6_ONLY ? AF_INET6 : AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		rc = host ? getaddrinfo(host, NULL, &hints, &ai) : EAI_MEMORY;
		if (rc == 0) {
			n = collect(mode, ai, tmp, RES_MAX_ADDRS);
			freeaddrinfo(ai);
		}
		free(host);

		pthread_mutex_lock(&r->mu);
		{
			int64_t now = now_ms();
			e->queued = 0;
			if (n > 0) {
				memcpy(e->a, tmp, sizeof(tmp[0]) * (size_t)n);
				e->n = n;
				e->failed = 0;
				e->expires = now + ttl(r);
				e->hard_expiry = now + (r->max_ttl > 0 ? r->max_ttl : ttl(r));
			} else if (e->n > 0 && now < e->hard_expiry) {
				e->expires = now + RES_NEG_MS;   /* keep the stale answer, retry soon */
			} else {
				e->n = 0;
				e->failed = 1;
				e->expires = now + (r->max_ttl > 0 && r->max_ttl < RES_NEG_MS ? r->max_ttl : RES_NEG_MS);
			}
		}
		poke(r);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

void
res_configure(struct res *r, const char *mode, long min_ttl_ms, long max_ttl_ms)
{
	enum res_mode m = RES_V4_THEN_V6;

	if (mode)
		(void)res_mode_parse(mode, &m);
	pthread_mutex_lock(&r->mu);
	r->mode = m;
	r->min_ttl = min_ttl_ms;
	r->max_ttl = max_ttl_ms;
	pthread_mutex_unlock(&r->mu);
}

struct res *
res_new(const char *mode, long min_ttl_ms, long max_ttl_ms, char *err)
{
	struct res *r = calloc(1, sizeof(*r));
	enum res_mode m;

	if (!r) {
		snprintf(err, ERRLEN, "out of memory");
		return NULL;
	}
	if (mode && *mode && res_mode_parse(mode, &m) < 0) {
		snprintf(err, ERRLEN, "dns_mode '%s' is not one of ipv4_only, ipv6_only, ipv4_then_ipv6, "
		    "ipv6_then_ipv4, ipv4_and_ipv6", mode);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	res_configure(r, mode, min_ttl_ms, max_ttl_ms);
	return r;
}

void
res_free(struct res *r)
{
	int i;

	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		for (i = 0; i < r->started; i++)
			pthread_join(r->th[i], NULL);
	}
	for (i = 0; i < RES_BUCKETS; i++) {
		struct res_entry *e, *n;
		for (e = r->b[i]; e; e = n) {
			n = e->next;
			free(e->host);
			free(e);
		}
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

int
res_subscribe(struct res *r, int efd)
{
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (r->nsubs >= (int)(sizeof(r->subs) / sizeof(r->subs[0]))) {
		errno = ENOSPC;
		rc = -1;
	} else
		r->subs[r->nsubs++] = efd;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static void
enqueue(struct res *r, struct res_entry *e)
{
	if (e->queued)
		return;
	if (!r->started) {   /* a few threads: one slow name does not hold up the others */
		pthread_attr_t at;
		int i;

		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, 256 * 1024);   /* getaddrinfo needs some room */
		for (i = 0; i < RES_THREADS; i++)
			if (pthread_create(&r->th[r->started], &at, worker, r) == 0)
				r->started++;
		pthread_attr_destroy(&at);
		if (!r->started)
			return;
	}
	e->queued = 1;
	e->qnext = NULL;
	if (r->qtail)
		r->qtail->qnext = e;
	else
		r->qhead = e;
	r->qtail = e;
	pthread_cond_signal(&r->cv);
}

int
res_lookup(struct res *r, const char *host, struct sockaddr_storage *out, int max)
{
	uint32_t h = fnv1a32(FNV1A32_INIT, host, strlen(host)) % RES_BUCKETS;
	struct res_entry *e;
	int64_t now = now_ms();
	int n = 0;

	pthread_mutex_lock(&r->mu);
	for (e = r->b[h]; e; e = e->next)
		if (strcmp(e->host, host) == 0)
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->host = strdup(host))) {
			free(e);
			pthread_mutex_unlock(&r->mu);
			return -1;
		}
		e->next = r->b[h];
		r->b[h] = e;
		enqueue(r, e);
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	if (now >= e->expires)
		enqueue(r, e);
	if (e->n > 0) {
		n = e->n < max ? e->n : max;
		memcpy(out, e->a, sizeof(out[0]) * (size_t)n);
	} else if (e->failed && !e->queued)
		n = -1;
	else if (e->failed)
		n = -1;   /* a retry runs; this client gives up on the name */
	pthread_mutex_unlock(&r->mu);
	return n;
}
