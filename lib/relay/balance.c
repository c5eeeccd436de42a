/*
 * balance: the per-rule balancer (balance.h has the semantics).
 *
 * roundrobin is nginx's smooth weighted round robin
 * (ngx_http_upstream_get_peer): every eligible peer's current weight grows
 * by its weight, the largest (first on a tie) is chosen and loses the total.
 * Peers that are not eligible for this pick sit the round out, as in nginx.
 *
 * iphash is a consistent-hash ring: LB_VNODES points per unit of weight,
 * each the hash of "host:port#k", so a point belongs to a backend's identity
 * and not to its position in the rule. A client hashes to a point and takes
 * the first eligible backend clockwise from there.
 */
#include "balance.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct lb_backend {
	char id[HOST_MAX + 16];    /* "host:port", the identity */
	int weight;
	int cur;                   /* smooth round robin: current weight */
	int up;                    /* active health */
	int64_t suspect_until;     /* monotonic ms; 0 = not suspect */
};

struct lb_node {
	uint32_t hash;
	uint32_t idx;
};

struct lb {
	enum balance_mode mode;
	int n;
	long suspect_ms;
	struct lb_backend *b;
	struct lb_node *ring;
	size_t nring;
};

/* FNV-1a, then murmur3's 64-bit finalizer for avalanche. */
static uint64_t
hash_bytes(const void *p, size_t len)
{
	uint64_t h = fnv1a64(FNV1A64_INIT, p, len);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static int
node_cmp(const void *a, const void *b)
{
	const struct lb_node *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
ring_build(struct lb *lb)
{
	size_t total = 0, per, k, j = 0;
	int i;

	for (i = 0; i < lb->n; i++)
		total += (size_t)lb->b[i].weight;
	per = LB_VNODES;
	if (total * per > LB_RING_MAX)
		per = LB_RING_MAX / total ? LB_RING_MAX / total : 1;
	lb->nring = total * per;
	if (!(lb->ring = calloc(lb->nring, sizeof(*lb->ring))))
		return -1;
	for (i = 0; i < lb->n; i++) {
		for (k = 0; k < (size_t)lb->b[i].weight * per; k++) {
			char key[sizeof(lb->b[i].id) + 24];
			int len = snprintf(key, sizeof(key), "%s#%zu", lb->b[i].id, k);

			lb->ring[j].hash = (uint32_t)(hash_bytes(key, (size_t)len) >> 32);
			lb->ring[j].idx = (uint32_t)i;
			j++;
		}
	}
	qsort(lb->ring, lb->nring, sizeof(*lb->ring), node_cmp);
	return 0;
}

struct lb *
lb_new(const struct store_rule *r, char *err)
{
	struct lb *lb = NULL;
	size_t i;

	if (r->nremotes == 0 || r->nremotes > LB_MAX) {
		snprintf(err, ERRLEN, "rule '%s' has %zu remotes: give it 1 to %d", r->name, r->nremotes, LB_MAX);
		errno = EINVAL;
		return NULL;
	}
	if (!(lb = calloc(1, sizeof(*lb))) || !(lb->b = calloc(r->nremotes, sizeof(*lb->b))))
		goto nomem;
	lb->mode = r->balance;
	lb->n = (int)r->nremotes;
	lb->suspect_ms = LB_SUSPECT_MS;
	for (i = 0; i < r->nremotes; i++) {
		struct lb_backend *b = &lb->b[i];
		int w = r->remotes[i].weight;

		hostport_format(&r->remotes[i].addr, b->id, sizeof(b->id));
		b->weight = w < 1 ? 1 : w > STORE_WEIGHT_MAX ? STORE_WEIGHT_MAX : w;
		b->up = 1;
	}
	if (lb->mode == BALANCE_IPHASH && ring_build(lb) < 0)
		goto nomem;
	return lb;
nomem:
	snprintf(err, ERRLEN, "out of memory building the balancer of rule '%s'", r->name);
	lb_free(lb);
	errno = ENOMEM;
	return NULL;
}

void
lb_free(struct lb *lb)
{
	if (!lb)
		return;
	free(lb->ring);
	free(lb->b);
	free(lb);
}

/* Eligible for a normal pick: not excluded, up, not suspect. */
static int
healthy(const struct lb *lb, int i, const uint64_t *ex, int64_t now)
{
	const struct lb_backend *b = &lb->b[i];

	return !lb_exclude_has(ex, i) && b->up && b->suspect_until <= now;
}

static int
pick_swrr(struct lb *lb, const uint64_t *ex, int64_t now)
{
	int i, best = -1, total = 0;

	for (i = 0; i < lb->n; i++) {
		struct lb_backend *b = &lb->b[i];

		if (!healthy(lb, i, ex, now))
			continue;
		b->cur += b->weight;
		total += b->weight;
		if (best < 0 || b->cur > lb->b[best].cur)
			best = i;
	}
	if (best >= 0)
		lb->b[best].cur -= total;
	return best;
}

static uint32_t
client_hash(const struct sockaddr_storage *ss)
{
	const void *p = "";
	size_t len = 0;

	if (ss && ss->ss_family == AF_INET) {
		p = &((const struct sockaddr_in *)ss)->sin_addr;
		len = 4;
	} else if (ss && ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		p = a;
		len = 16;
		if (IN6_IS_ADDR_V4MAPPED(a)) {   /* the same client on a dual-stack listener */
			p = &a->s6_addr[12];
			len = 4;
		}
	}
	return (uint32_t)(hash_bytes(p, len) >> 32);
}

static int
pick_ring(struct lb *lb, const struct sockaddr_storage *client, const uint64_t *ex, int64_t now)
{
	uint32_t h = client_hash(client);
	size_t lo = 0, hi = lb->nring, k;

	while (lo < hi) {   /* first node with hash >= h */
		size_t mid = lo + (hi - lo) / 2;

		if (lb->ring[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < lb->nring; k++) {
		const struct lb_node *nd = &lb->ring[(lo + k) % lb->nring];

		if (healthy(lb, (int)nd->idx, ex, now))
			return (int)nd->idx;
	}
	return -1;
}

int
lb_pick(struct lb *lb, const struct sockaddr_storage *client, const uint64_t exclude[4])
{
	int64_t now = now_ms();
	int i, pick = -1;

	switch (lb->mode) {
	case BALANCE_ROUNDROBIN:
		pick = pick_swrr(lb, exclude, now);
		break;
	case BALANCE_IPHASH:
		pick = pick_ring(lb, client, exclude, now);
		break;
	default:   /* off, failover: the first healthy one in order */
		for (i = 0; i < lb->n && pick < 0; i++)
			if (healthy(lb, i, exclude, now))
				pick = i;
		break;
	}
	if (pick >= 0)
		return pick;
	/* Nothing healthy: never refuse, try them in order (suspect before down). */
	for (i = 0; i < lb->n; i++)
		if (!lb_exclude_has(exclude, i) && lb->b[i].up)
			return i;
	for (i = 0; i < lb->n; i++)
		if (!lb_exclude_has(exclude, i))
			return i;
	return -1;
}

void
lb_report(struct lb *lb, int idx, int ok)
{
	if (idx < 0 || idx >= lb->n)
		return;
	lb->b[idx].suspect_until = ok ? 0 : now_ms() + lb->suspect_ms;
}

void
lb_set_health(struct lb *lb, int idx, int up)
{
	if (idx < 0 || idx >= lb->n)
		return;
	up = !!up;
	if (up && !lb->b[idx].up)
		lb->b[idx].cur = 0;   /* returns fresh, as nginx does for a revived peer */
	lb->b[idx].up = up;
}

int
lb_count(const struct lb *lb)
{
	return lb->n;
}

const char *
lb_backend_id(const struct lb *lb, int idx)
{
	return idx >= 0 && idx < lb->n ? lb->b[idx].id : NULL;
}

int
lb_find(const struct lb *lb, const char *id)
{
	int i;

	for (i = 0; i < lb->n; i++)
		if (strcmp(lb->b[i].id, id) == 0)
			return i;
	return -1;
}

int
lb_is_up(const struct lb *lb, int idx)
{
	return idx >= 0 && idx < lb->n && lb->b[idx].up;
}

int
lb_is_healthy(const struct lb *lb, int idx)
{
	return idx >= 0 && idx < lb->n && healthy(lb, idx, NULL, now_ms());
}

void
lb_set_suspect_ms(struct lb *lb, long ms)
{
	lb->suspect_ms = ms < 0 ? 0 : ms;
}

enum balance_mode
lb_mode(const struct lb *lb)
{
	return lb->mode;
}
