#ifndef XWPF_SRCLIMIT_H
#define XWPF_SRCLIMIT_H

/*
 * Per-source-address limits for one rule: concurrent connections and new
 * connections per second, keyed by the client's address (IPv4-mapped IPv6
 * folded to IPv4). A fixed-size open-addressing table: an entry lives while
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
	char lock;
	uint64_t refused_active, refused_rate;
};

int srclimit_init(struct srclimit *sl, uint32_t size, uint32_t max_active, uint32_t max_per_sec);
void srclimit_free(struct srclimit *sl);
/* 0 admitted (call srclimit_leave when it closes), -1 refused: errno EMFILE (too many
 * concurrent) or EAGAIN (too many new per second). */
int srclimit_enter(struct srclimit *sl, const struct sockaddr *sa, int64_t now_ms);
void srclimit_leave(struct srclimit *sl, const struct sockaddr *sa);

#endif
