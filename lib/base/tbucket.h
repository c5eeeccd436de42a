#ifndef XWPF_TBUCKET_H
#define XWPF_TBUCKET_H

/*
 * Token buckets for bandwidth caps and connection rates. A bucket starts
 * with only its burst (not a second's worth), so a cap holds from the first
 * byte: no first-second spike. Shared between worker threads: take and
 * delay use a tiny spinlock, held for a few arithmetic operations.
 */
#include <stdint.h>

struct tbucket {
	uint64_t rate;             /* tokens per second; 0 = unlimited */
	uint64_t burst;            /* bucket size */
	uint64_t min_burst;
	int64_t tokens_milli;      /* thousandths of a token, to keep slow rates exact */
	int64_t last_us;
	char lock;
};

/* burst 0 picks 100 ms worth of rate, at least min_burst: a late wakeup
 * loses nothing, and the first second stays within 1.1x of the rate. */
void tb_init(struct tbucket *tb, uint64_t rate, uint64_t burst, uint64_t min_burst, int64_t now_us);
/* Change the rate (a reload, quota throttling) without refilling: the burst
 * becomes 100 ms of the new rate (at least min_burst); 0 = unlimited. */
void tb_set_rate(struct tbucket *tb, uint64_t rate, int64_t now_us);
/* Take up to want tokens; returns how many were granted (0 when empty). */
uint64_t tb_take(struct tbucket *tb, uint64_t want, int64_t now_us);
/* Give back tokens taken and not used (capped at the burst). */
void tb_refund(struct tbucket *tb, uint64_t n);
/* Microseconds until at least `want` tokens (capped at the burst) are there. */
int64_t tb_delay_us(struct tbucket *tb, uint64_t want, int64_t now_us);

/* "10mbit" "500kbit" "1gbit" (bits/s, decimal) or "2MB/s" "512KB/s" "100B/s" (bytes/s, decimal)
 * -> bytes per second. 0 and "" mean unlimited. */
int parse_rate(const char *s, uint64_t *bytes_per_s);
/* Back to text in bits/s: "10.0 Mbit/s". */
char *fmt_rate(char *buf, unsigned size, uint64_t bytes_per_s);

#endif
