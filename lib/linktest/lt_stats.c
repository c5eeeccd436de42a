/*
 * linktest statistics (lt.h): round-trip series (lt_rtt_), the receive side
 * of UDP tests with RFC 3550 jitter (lt_udp_rx_) and of TCP phases with the
 * ramp-up left out (lt_tcp_rx_, lt_tcp_kinfo), loss (lt_loss_pct).
 */
#include "lt.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* Newton's square root: keeps libm out of the glibc (sanitizer) link. */
static double
lt_sqrt(double x)
{
	double r = x > 1 ? x : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 200; i++) {
		double n = (r + x / r) / 2;
		if (n >= r)
			break;
		r = n;
	}
	return r;
}

static double
lt_fabs(double x)
{
	return x < 0 ? -x : x;
}

void
lt_rtt_add(struct lt_rtt *r, double ms)
{
	if (r->received == 0 || ms < r->min)
		r->min = ms;
	if (r->received == 0 || ms > r->max)
		r->max = ms;
	r->sent++;
	r->received++;
	r->sum += ms;
	r->sumsq += ms * ms;
}

void
lt_rtt_lost(struct lt_rtt *r)
{
	r->sent++;
}

double
lt_rtt_avg(const struct lt_rtt *r)
{
	return r->received ? r->sum / r->received : 0;
}

double
lt_rtt_stddev(const struct lt_rtt *r)
{
	double avg, var;

	if (r->received < 2)
		return 0;
	avg = r->sum / r->received;
	var = r->sumsq / r->received - avg * avg;
	return var > 0 ? lt_sqrt(var) : 0;
}

double
lt_rtt_loss_pct(const struct lt_rtt *r)
{
	return lt_loss_pct((uint64_t)r->sent, (uint64_t)r->received);
}

double
lt_loss_pct(uint64_t sent, uint64_t received)
{
	if (sent == 0 || received >= sent)
		return 0;
	return 100.0 * (double)(sent - received) / (double)sent;
}

void
lt_udp_rx_add(struct lt_udp_rx *r, uint64_t seq, int64_t send_ns, int64_t arrival_ns, size_t bytes)
{
	/* Both clocks are monotonic: 0..LT_STAMP_MAX. Within that range neither
	 * difference below can overflow (|transit| < 2^62, |change| < 2^63). */
	int stamped = send_ns >= 0 && send_ns <= LT_STAMP_MAX && arrival_ns >= 0 && arrival_ns <= LT_STAMP_MAX;
	int64_t transit = stamped ? arrival_ns - send_ns : 0;

	if (!r->have) {
		r->have = 1;
		r->first_ns = arrival_ns;
		r->max_seq = seq;
	} else if (seq < r->max_seq)
		r->ooo++;
	else
		r->max_seq = seq;
	if (stamped) {
		if (r->have_transit) {
			/* RFC 3550 6.4.1: J += (|D(i-1,i)| - J) / 16 */
			double d = (double)(transit - r->prev_transit);
			r->jitter_ns += (lt_fabs(d) - r->jitter_ns) / 16.0;
		}
		r->prev_transit = transit;
		r->have_transit = 1;
	}
	r->last_ns = arrival_ns;
	r->packets++;
	r->bytes += bytes;
}

void
lt_tcp_rx_init(struct lt_tcp_rx *r, long time_ms)
{
	memset(r, 0, sizeof(*r));
	r->warm_ns = (int64_t)(time_ms < 10000 ? time_ms : 10000) * 100000;   /* a tenth, at most 1 s */
}

int
lt_tcp_rx_add(struct lt_tcp_rx *r, size_t n, int64_t now_ns)
{
	int marked = 0;

	if (!r->first_ns)
		r->first_ns = now_ns;
	if (!r->mark_ns && now_ns - r->first_ns >= r->warm_ns) {
		r->mark_ns = now_ns;
		r->mark_bytes = r->bytes;
		marked = 1;
	}
	r->bytes += n;
	r->read_ns = now_ns;
	return marked;
}

void
lt_tcp_rx_mark(struct lt_tcp_rx *r, uint64_t kernel_bytes)
{
	/* the kernel had at least what was read; what it had more arrived before the mark */
	if (r->mark_ns && kernel_bytes >= r->mark_bytes && kernel_bytes <= r->bytes)
		r->mark_bytes = kernel_bytes;
}

void
lt_tcp_rx_end(struct lt_tcp_rx *r, int64_t data_ns)
{
	if (data_ns > r->last_ns)
		r->last_ns = data_ns;
}

static int64_t
rx_last(const struct lt_tcp_rx *r)
{
	int64_t last = r->last_ns ? r->last_ns : r->read_ns;

	return last < r->first_ns ? r->first_ns : last;
}

int64_t
lt_tcp_rx_us(const struct lt_tcp_rx *r)
{
	return r->first_ns ? (rx_last(r) - r->first_ns) / 1000 : 0;
}

void
lt_tcp_rx_steady(const struct lt_tcp_rx *r, uint64_t *bytes, int64_t *us)
{
	int64_t last = rx_last(r);

	/* the steady part must span at least half the phase to be worth more than the whole */
	if (r->mark_ns && last - r->mark_ns > 0 && (last - r->mark_ns) >= (last - r->first_ns) / 2) {
		*bytes = r->bytes - r->mark_bytes;
		*us = (last - r->mark_ns) / 1000;
	} else {
		*bytes = r->bytes;
		*us = lt_tcp_rx_us(r);
	}
}

void
lt_tcp_rx_read(struct lt_tcp_rx *r, const int *fds, int nfds, size_t n, int64_t now_ns)
{
	if (lt_tcp_rx_add(r, n, now_ns)) {
		uint64_t sum = 0, b;
		int i;
		for (i = 0; i < nfds; i++) {
			if (lt_tcp_kinfo(fds[i], &b, NULL) < 0)
				return;   /* keep what was read */
			sum += b;
		}
		lt_tcp_rx_mark(r, sum);
	}
}

void
lt_tcp_rx_eof(struct lt_tcp_rx *r, int fd, int64_t now_ns)
{
	uint32_t ago;
	int64_t t = now_ns;

	/* when the last data came, not when this process got to see the FIN */
	if (lt_tcp_kinfo(fd, NULL, &ago) == 0 && (int64_t)ago * 1000000 < now_ns - r->first_ns)
		t = now_ns - (int64_t)ago * 1000000;
	lt_tcp_rx_end(r, t);
}

int
lt_tcp_kinfo(int fd, uint64_t *bytes_received, uint32_t *ms_since_data)
{
	/* struct tcp_info as the kernel lays it out (UAPI); libc headers may stop
	 * before tcpi_bytes_received (glibc 2.36 does), so read it by offset. */
	enum { LAST_DATA_RECV = 52, BYTES_RECEIVED = 128 };
	unsigned char ti[256];
	socklen_t tl = sizeof(ti);

	memset(ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &tl) < 0)
		return -1;
	if (ms_since_data) {
		if (tl < LAST_DATA_RECV + 4)
			return -1;
		memcpy(ms_since_data, ti + LAST_DATA_RECV, 4);
	}
	if (bytes_received) {
		if (tl < BYTES_RECEIVED + 8)
			return -1;   /* a kernel older than 4.1 */
		memcpy(bytes_received, ti + BYTES_RECEIVED, 8);
		if (*bytes_received == 0)
			return -1;
	}
	return 0;
}
