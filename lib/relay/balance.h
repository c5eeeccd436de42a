#ifndef XWPF_LB_H
#define XWPF_LB_H

/*
 * The balancer of one rule: which remote a new client connection (or a new
 * UDP association) goes to.
 *
 * Modes (the rule's balance key):
 *   off         the first remote; the next ones in order when it fails
 *   failover    the same order: the first healthy remote takes all traffic,
 *               the others are ordered backups
 *   roundrobin  smooth weighted round robin exactly as nginx does it:
 *               weights 4,2,1 give a,b,a,c,a,b,a (realm's order too)
 *   iphash      consistent hashing of the client address (not its port) on a
 *               ring of virtual nodes keyed by the backend's identity
 *               ("host:port", so reordering remotes moves nobody); a backend
 *               gets LB_VNODES nodes per unit of weight. When a backend is
 *               down, its clients walk on to the next node on the ring, so
 *               only its own clients (about 1/N) move, and they come back
 *               when it returns.
 *
 * Health: a backend is healthy when active health has not marked it down
 * (lb_set_health) and no connect to it failed in the last suspect period
 * (lb_report; LB_SUSPECT_MS unless lb_set_suspect_ms says otherwise).
 * lb_pick chooses among healthy backends not set in the exclude bitmap.
 *
 * When no backend is healthy, lb_pick does not refuse: it returns the first
 * non-excluded backend in the rule's order, preferring those only suspect
 * over those marked down, so the relay still tries them all in order. Only
 * the exclude bitmap (the backends this client already tried) makes it
 * return -1.
 *
 * One lb per rule per worker thread: no locks. Each worker's copy gets its
 * own lb_set_health calls.
 */
#include <stdint.h>
#include <sys/socket.h>

#include "store.h"

#define LB_MAX STORE_MAX_REMOTES   /* 256: the exclude bitmap is 4 x 64 bits */
#define LB_SUSPECT_MS 10000        /* how long a failed connect sidelines a backend */
#define LB_VNODES 160              /* iphash ring nodes per unit of weight */
#define LB_RING_MAX 32768          /* cap on ring nodes (fewer per weight for huge totals) */

struct lb;

/* From the rule's remotes (1..LB_MAX). NULL with a message in err (ERRLEN). */
struct lb *lb_new(const struct store_rule *r, char *err);
void lb_free(struct lb *lb);

/* Next backend index for this client, skipping those set in exclude
 * (bit i of exclude[i / 64]; exclude may be NULL); -1 if none is left.
 * client may be NULL (hashed as an empty address). */
int lb_pick(struct lb *lb, const struct sockaddr_storage *client, const uint64_t exclude[4]);
/* Passive health: the result of a connect to idx (ok 0 makes it suspect). */
void lb_report(struct lb *lb, int idx, int ok);
/* Active health, from the health state (lib/relay/healthcheck.h hc_state_apply). */
void lb_set_health(struct lb *lb, int idx, int up);

/* Small helpers for the relay and status output. */
int lb_count(const struct lb *lb);
/* The backend's identity "host:port" ("[v6]:port"), as the health state keys it. */
const char *lb_backend_id(const struct lb *lb, int idx);
/* Index of the backend with that identity, or -1. */
int lb_find(const struct lb *lb, const char *id);
int lb_is_up(const struct lb *lb, int idx);           /* active health */
int lb_is_healthy(const struct lb *lb, int idx);      /* up and not suspect */
void lb_set_suspect_ms(struct lb *lb, long ms);
enum balance_mode lb_mode(const struct lb *lb);

/* Set, test bits of an exclude bitmap. */
static inline void lb_exclude_set(uint64_t ex[4], int idx) { ex[idx >> 6] |= 1ULL << (idx & 63); }
static inline int lb_exclude_has(const uint64_t ex[4], int idx) { return ex && (ex[idx >> 6] >> (idx & 63)) & 1; }

#endif
