#include "loopguard.h"

#include <netinet/in.h>

/* per destination port: connections under way (high 32 bits), the highest
 * hop count among them (low 32 bits, 0 once none is left) */
static uint64_t slots[65536];
static int64_t last_log = -1000000;

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

uint16_t
loopguard_note(const struct sockaddr_storage *dst, unsigned hops)
{
	uint16_t port = port_of(dst);
	uint64_t old, nv;

	if (!port)
		return 0;
	old = __atomic_load_n(&slots[port], __ATOMIC_RELAXED);
	do {
		uint32_t n = (uint32_t)(old >> 32), h = (uint32_t)old;

		if (n == UINT32_MAX)
			return 0;
		if (hops + 1 > h)
			h = hops + 1;
		nv = (uint64_t)(n + 1) << 32 | h;
	} while (!__atomic_compare_exchange_n(&slots[port], &old, nv, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return port;
}

void
loopguard_forget(uint16_t port)
{
	uint64_t old, nv;

	old = __atomic_load_n(&slots[port], __ATOMIC_RELAXED);
	do {
		uint32_t n = (uint32_t)(old >> 32);

		if (!n)
			return;
		nv = n == 1 ? 0 : (uint64_t)(n - 1) << 32 | (uint32_t)old;
	} while (!__atomic_compare_exchange_n(&slots[port], &old, nv, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

unsigned
loopguard_hops(uint16_t port)
{
	return (uint32_t)__atomic_load_n(&slots[port], __ATOMIC_RELAXED);
}

int
loopguard_log_ok(int64_t now_ms)
{
	int64_t t = __atomic_load_n(&last_log, __ATOMIC_RELAXED);

	return now_ms - t >= 10000 && __atomic_compare_exchange_n(&last_log, &t, now_ms, 0, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED);
}
