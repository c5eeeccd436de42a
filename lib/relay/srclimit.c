#include "srclimit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define PROBES 16

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Zero every bit of p[0..len) past the first bits. */
static void
cut(unsigned char *p, int len, int bits)
{
	int i;

	for (i = 0; i < len; i++, bits -= 8)
		if (bits <= 0)
			p[i] = 0;
		else if (bits < 8)
			p[i] &= (unsigned char)(0xff00 >> bits);
}

void
srclimit_key(const struct sockaddr *sa, int p4, int p6, unsigned char k[16])
{
	memset(k, 0, 16);
	if (sa->sa_family == AF_INET) {
		k[10] = k[11] = 0xff;   /* the v4-mapped form: both kinds share entries */
		memcpy(k + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(k, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	else
		return;
	if (memcmp(k, v4mapped, 12) == 0)
		cut(k + 12, 4, p4 > 0 && p4 <= 32 ? p4 : SRC_PREFIX_V4);
	else
		cut(k, 16, p6 > 0 && p6 <= 128 ? p6 : SRC_PREFIX_V6);
}

int
srclimit_init(struct srclimit *sl, uint32_t size, uint32_t max_active, uint32_t max_per_sec)
{
	uint32_t n = 64;

	memset(sl, 0, sizeof(*sl));
	while (n < size && n < (1u << 24))
		n <<= 1;
	if (!(sl->v = calloc(n, sizeof(*sl->v))))
		return -1;
	sl->size = n;
	sl->max_active = max_active;
	sl->max_per_sec = max_per_sec;
	sl->prefix4 = SRC_PREFIX_V4;
	sl->prefix6 = SRC_PREFIX_V6;
	return 0;
}

void
srclimit_free(struct srclimit *sl)
{
	free(sl->v);
	sl->v = NULL;
}

/* an entry nobody needs any more */
static int
stale(const struct src_entry *e, int64_t now)
{
	return e->active == 0 && now - e->window_ms >= 1000;
}

void
srclimit_prefix(struct srclimit *sl, int p4, int p6)
{
	uint8_t a = (uint8_t)(p4 > 0 && p4 <= 32 ? p4 : SRC_PREFIX_V4);
	uint8_t b = (uint8_t)(p6 > 0 && p6 <= 128 ? p6 : SRC_PREFIX_V6);

	if (!sl->v)
		return;
	spin_lock(&sl->lock);
	if (sl->prefix4 != a || sl->prefix6 != b) {
		memset(sl->v, 0, (size_t)sl->size * sizeof(*sl->v));
		sl->prefix4 = a;
		sl->prefix6 = b;
	}
	spin_unlock(&sl->lock);
}

static struct src_entry *
find(struct srclimit *sl, const unsigned char k[16], int64_t now, int create)
{
	uint32_t h = fnv1a32(FNV1A32_INIT, k, 16), i;
	struct src_entry *free_slot = NULL;

	for (i = 0; i < PROBES; i++) {
		struct src_entry *e = &sl->v[(h + i) & (sl->size - 1)];
		int empty = e->active == 0 && e->window_ms == 0;

		if (!empty && memcmp(e->addr, k, 16) == 0)
			return e;
		if (!free_slot && (empty || stale(e, now)))
			free_slot = e;
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	memcpy(free_slot->addr, k, 16);
	free_slot->window_ms = now ? now : 1;
	return free_slot;
}

int
srclimit_enter(struct srclimit *sl, const struct sockaddr *sa, int64_t now)
{
	unsigned char k[16];
	struct src_entry *e;

	if (!sl->max_active && !sl->max_per_sec)
		return 0;
	spin_lock(&sl->lock);
	srclimit_key(sa, sl->prefix4, sl->prefix6, k);
	e = find(sl, k, now, 1);
	if (!e) {   /* table crowded around this hash: admit */
		spin_unlock(&sl->lock);
		return 0;
	}
	if (now - e->window_ms >= 1000) {
		e->window_ms = now ? now : 1;
		e->recent = 0;
	}
	if (sl->max_active && e->active >= sl->max_active) {
		sl->refused_active++;
		spin_unlock(&sl->lock);
		errno = EMFILE;
		return -1;
	}
	if (sl->max_per_sec && e->recent >= sl->max_per_sec) {
		sl->refused_rate++;
		spin_unlock(&sl->lock);
		errno = EAGAIN;
		return -1;
	}
	e->recent++;
	e->active++;
	spin_unlock(&sl->lock);
	return 0;
}

void
srclimit_leave(struct srclimit *sl, const struct sockaddr *sa)
{
	unsigned char k[16];
	struct src_entry *e;

	if (!sl->max_active && !sl->max_per_sec)
		return;
	spin_lock(&sl->lock);
	srclimit_key(sa, sl->prefix4, sl->prefix6, k);
	if ((e = find(sl, k, 0, 0)) != NULL && e->active)
		e->active--;
	spin_unlock(&sl->lock);
}
