#ifndef XWPF_SRCLIMIT_H
#define XWPF_SRCLIMIT_H

/*
 * Per-source-address limits for one rule: concurrent connections and new
 * connections per second, keyed by the client's network: its address cut to
 * a prefix length, /32 for IPv4 and /64 for IPv6 unless told otherwise
 * ([global] src_prefix_v4, src_prefix_v6), so that a client rotating the
 * addresses of its IPv6 /64 is still one source. An IPv4-mapped IPv6
 * address is IPv4. A fixed-size open-addressing table: an entry lives while
 * its source has connections or a recent arrival, and a full table admits
 * new sources rather than refusing them (limits are a shield, not a gate
 * that an address-spraying client could jam for everyone). Shared between
 * worker threads under one spinlock; every operation is O(1) expected.
 */
#include <stdint.h>
#include <sys/socket.h>

struct src_entry {
	unsigned char addr[16];
	uint32_t active;
	uint32_t recent;           /* arrivals in the current one-second window */
	int64_t window_ms;
};

struct srclimit {
	struct src_entry *v;
	uint32_t size;             /* power of two */
	uint32_t max_active, max_per_sec;
	uint8_t prefix4, prefix6;  /* key lengths in bits (read and changed under the lock) */
	char lock;
	uint64_t refused_active, refused_rate;
};

#define SRC_PREFIX_V4 32
#define SRC_PREFIX_V6 64

/* Keys /32 and /64 (SRC_PREFIX_*) until srclimit_prefix says otherwise. */
int srclimit_init(struct srclimit *sl, uint32_t size, uint32_t max_active, uint32_t max_per_sec);
/* Key IPv4 sources by their first p4 bits, IPv6 by their first p6 (0: the
 * default). A change empties the table: what is open then is no longer
 * counted against its source (leave finds no entry), for a moment. */
void srclimit_prefix(struct srclimit *sl, int p4, int p6);
/* The table's key of sa: IPv4 (or IPv4-mapped) as ::ffff:a.b.c.d with the
 * address cut to p4 bits, IPv6 cut to p6 bits (the rest zero). */
void srclimit_key(const struct sockaddr *sa, int p4, int p6, unsigned char k[16]);
void srclimit_free(struct srclimit *sl);
/* 0 admitted (call srclimit_leave when it closes), -1 refused: errno EMFILE (too many
 * concurrent) or EAGAIN (too many new per second). */
int srclimit_enter(struct srclimit *sl, const struct sockaddr *sa, int64_t now_ms);
void srclimit_leave(struct srclimit *sl, const struct sockaddr *sa);

#endif
