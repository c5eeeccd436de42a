#ifndef XWPF_LEDGER_H
#define XWPF_LEDGER_H

/*
 * The traffic ledger: per-rule byte and connection counts that survive
 * restarts, upgrades and reboots. The relay adds what its workers counted
 * and saves the ledger every few seconds as one atomic snapshot (temporary
 * file, fsync, rename), so a crash loses at most one interval and never
 * leaves a torn file.
 *
 * Directions: "in" is what clients send (client -> remote), "out" what they
 * receive (remote -> client). Counts are split by TCP/UDP and IPv4/IPv6 of
 * the client side. Two sets are kept: the billing cycle (reset on the
 * rule's reset day, local time; quotas read it) and the display (reset by
 * hand with `xwpf status --reset NAME`, never touching the cycle).
 */
#include <stdint.h>
#include <time.h>

#include "text.h"   /* TEXT_NAME_MAX */

enum { LG_TCP, LG_UDP };
enum { LG_V4, LG_V6 };
/* double: in + out, twice (each byte crosses the relay's two legs: docs/traffic.md) */
enum billing { BILL_BOTH, BILL_IN, BILL_OUT, BILL_MAX, BILL_DOUBLE };

struct ledger_ctr {
	uint64_t in[2][2], out[2][2];   /* [LG_TCP/LG_UDP][LG_V4/LG_V6] */
	uint64_t conns;
};

enum { LG_FIRED_80 = 1, LG_FIRED_95 = 2, LG_FIRED_100 = 4 };

struct ledger_rule {
	char name[TEXT_NAME_MAX + 1];   /* a rule name: up to 40 characters of UTF-8 */
	int64_t cycle_start;       /* epoch seconds */
	struct ledger_ctr cycle, display;
	int64_t display_since;
	uint64_t last_cycle_used;  /* what the previous cycle billed */
	unsigned fired;            /* LG_FIRED_* in this cycle */
};

struct ledger {
	struct ledger_rule *v;
	size_t n, cap;
};

int ledger_load(const char *path, struct ledger *lg, char *err);
/* The file's text (changed in place) into lg; path only names it in err.
 * 0, or -1 with err naming the line. */
int ledger_parse(char *text, const char *path, struct ledger *lg, char *err);
/* The file's text for lg, malloc'd (its length in *len); NULL when out of memory.
 * ledger_parse of it gives lg back. */
char *ledger_format(const struct ledger *lg, size_t *len);
/* The one way writers change the file: lock PATH.lock (flock, exclusive),
 * load, let fn change the ledger (fn returns 0 to save, 1 to leave the file
 * as it is, -1 with err to fail), save atomically, unlock. The relay adds
 * its counts through it every ledger_interval; `status --reset` resets a
 * display through it; neither loses the other's change. */
int ledger_update(const char *path, int (*fn)(struct ledger *lg, void *arg, char *err), void *arg,
    char *err);
int ledger_save(const char *path, const struct ledger *lg, char *err);
void ledger_free(struct ledger *lg);
/* Find or create (zeroed, cycle starting now) a rule's entry; NULL on OOM. */
struct ledger_rule *ledger_get(struct ledger *lg, const char *name, int64_t now, int reset_day);

void ledger_add(struct ledger_rule *r, int proto, int family, uint64_t in, uint64_t out, uint64_t conns);
uint64_t ledger_sum_in(const struct ledger_ctr *c);
uint64_t ledger_sum_out(const struct ledger_ctr *c);
uint64_t ledger_used(const struct ledger_ctr *c, enum billing b);

/* Start of the cycle that contains now: reset_day (1-31, clamped to the
 * month's last day) at 00:00 local time. */
int64_t ledger_cycle_start(int64_t now, int reset_day);
/* Start of the cycle after the one that contains now (the next reset). */
int64_t ledger_cycle_next(int64_t now, int reset_day);
/* Roll to a new cycle when now has left the stored one: 1 if it rolled. */
int ledger_roll(struct ledger_rule *r, int64_t now, int reset_day, enum billing b);
/* Thresholds crossed for the first time in this cycle (LG_FIRED_*), marked fired. */
unsigned ledger_check_quota(struct ledger_rule *r, uint64_t quota, enum billing b);
void ledger_display_reset(struct ledger_rule *r, int64_t now);
/* A new billing cycle from now (by hand): what it billed kept as the last
 * cycle's, the counts and thresholds cleared; the next reset stays on reset_day. */
void ledger_cycle_reset(struct ledger_rule *r, int64_t now, enum billing b);

int billing_parse(const char *s, enum billing *out);
const char *billing_name(enum billing b);

#endif
