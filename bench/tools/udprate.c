/*
 * udprate: the no-drop rate of a UDP path (RFC 2544 throughput): the highest
 * offered rate at which loss stays under 0.1% over one trial, by binary
 * search, with a paced sender and the sink in this process.
 *
 *   udprate ENTRY_PORT SINK_PORT SIZE FLOWS TRIAL_MS [ITERATIONS]
 *
 * The sink binds 127.0.0.1:SINK_PORT (the relay's backend) with a large
 * receive buffer (SO_RCVBUFFORCE as root), so only the path can drop. FLOWS
 * sockets (one source port each) send to 127.0.0.1:ENTRY_PORT in turn.
 * Pacing: every 100 us the datagrams due by then leave with sendmmsg (at most
 * 64 per call per flow), so the offered rate holds to the 100 us slot. Each
 * datagram carries the trial number, so late datagrams of a trial never count
 * in the next one. A warm-up opens every flow's association first; the first
 * trial offers as much as the sender can (its figure is the overload rate);
 * the search then halves [0, that rate] ITERATIONS times (default 7).
 *
 * Prints one line: "pps=.. mbps=.. max_offered_pps=.. recv_at_max_pps=..
 * loss_at_max=.. trials=..". Every loop is bounded by the trial count and a
 * deadline of TRIAL_MS per trial plus 1 s.
 */
#include <pthread.h>

#include "common.h"

#define TOOL "udprate"
#define MAXFLOWS 256
#define BATCH 64
#define SLOT_NS 100000u

struct hdr {
	uint32_t trial, flow, seq;
};

static int sink_fd;
static volatile uint32_t cur_trial;
static volatile uint64_t got;          /* datagrams of cur_trial received */
static volatile int quit;

static void *
sink(void *arg)
{
	static char bufs[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	int i, n;

	(void)arg;
	while (!quit) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(sink_fd, m, BATCH, MSG_WAITFORONE, NULL);
		for (i = 0; i < n; i++) {
			struct hdr h;

			if (m[i].msg_len < sizeof(h))
				continue;
			memcpy(&h, bufs[i], sizeof(h));
			if (h.trial == cur_trial)
				__atomic_add_fetch(&got, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static int fds[MAXFLOWS];
static int nflows;
static size_t size;

/* One trial at PPS datagrams/s (0: as fast as the sender goes) for MS ms;
 * *sent and *recv filled; returns the offered rate in datagrams/s. */
static double
trial(uint32_t id, double pps, unsigned ms, uint64_t *sent, uint64_t *recv)
{
	static char bufs[BATCH][65536];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint64_t t0, end, due_total = 0, n = 0, seq[MAXFLOWS] = { 0 };
	int f = 0, i, k;

	__atomic_store_n(&got, 0, __ATOMIC_RELAXED);
	cur_trial = id;
	t0 = now_ns();
	end = t0 + (uint64_t)ms * 1000000u;
	for (;;) {
		uint64_t now = now_ns();
		uint64_t due;

		if (now >= end)
			break;
		due = pps > 0 ? (uint64_t)((double)(now - t0) * pps / 1e9) + 1 : n + BATCH;
		if (due <= n) {
			struct timespec ts = { 0, SLOT_NS };
			nanosleep(&ts, NULL);
			continue;
		}
		k = due - n > BATCH ? BATCH : (int)(due - n);
		for (i = 0; i < k; i++) {
			struct hdr h = { id, (uint32_t)f, (uint32_t)seq[f]++ };

			memcpy(bufs[i], &h, sizeof(h));
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = size;
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		k = sendmmsg(fds[f], m, (unsigned)k, 0);
		if (k > 0)
			n += (uint64_t)k;
		due_total = due;
		f = (f + 1) % nflows;
	}
	(void)due_total;
	{
		struct timespec ts = { 0, 300000000 };   /* the tail drains */
		nanosleep(&ts, NULL);
	}
	*sent = n;
	*recv = __atomic_load_n(&got, __ATOMIC_RELAXED);
	cur_trial = 0;
	return (double)n * 1000.0 / ms;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst, snk, src;
	pthread_t th;
	unsigned ms, iters = 7, it, id = 1;
	int big = 8 << 20, i;
	struct timeval tv = { 0, 100000 };
	uint64_t sent, recv;
	double max_pps, recv_max, lo = 0, hi, best = 0;

	if (argc < 6 || ipv4_addr("127.0.0.1", argv[1], &dst) < 0 || ipv4_addr("127.0.0.1", argv[2], &snk) < 0) {
		fprintf(stderr, "usage: %s ENTRY_PORT SINK_PORT SIZE FLOWS TRIAL_MS [ITERATIONS]\n", TOOL);
		return 2;
	}
	size = (size_t)atol(argv[3]);
	nflows = atoi(argv[4]);
	ms = (unsigned)atoi(argv[5]);
	if (argc > 6)
		iters = (unsigned)atoi(argv[6]);
	if (size < sizeof(struct hdr) || size > 65507 || nflows < 1 || nflows > MAXFLOWS || ms < 100 || ms > 60000 ||
	    iters > 20) {
		fprintf(stderr, "%s: SIZE 12..65507, FLOWS 1..%d, TRIAL_MS 100..60000, ITERATIONS <= 20\n", TOOL, MAXFLOWS);
		return 2;
	}
	if ((sink_fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		die(TOOL, "socket");
	if (setsockopt(sink_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(sink_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(sink_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(sink_fd, (struct sockaddr *)&snk, sizeof(snk)) < 0)
		die(TOOL, "bind the sink (is the port free?)");
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < nflows; i++) {
		if ((fds[i] = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || bind(fds[i], (struct sockaddr *)&src, sizeof(src)) < 0 ||
		    connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) < 0)
			die(TOOL, "sender socket");
	}
	if (pthread_create(&th, NULL, sink, NULL) != 0)
		die(TOOL, "pthread_create");
	/* warm-up: every flow's association opens (a forking relay starts its child) */
	trial(id++, nflows * 100.0, 500, &sent, &recv);
	max_pps = trial(id++, 0, ms, &sent, &recv);
	recv_max = (double)recv * 1000.0 / ms;
	if (sent && (double)(sent - (recv < sent ? recv : sent)) <= sent * 0.001)
		best = max_pps;
	hi = max_pps;
	for (it = 0; it < iters && !best; it++) {
		double mid = (lo + hi) / 2;

		trial(id++, mid, ms, &sent, &recv);
		if (sent && (double)(sent - (recv < sent ? recv : sent)) <= sent * 0.001)
			lo = mid;
		else
			hi = mid;
	}
	if (!best)
		best = lo;
	quit = 1;
	pthread_join(th, NULL);
	printf("pps=%.0f mbps=%.1f max_offered_pps=%.0f recv_at_max_pps=%.0f loss_at_max=%.4f trials=%u\n", best,
	    best * (double)size * 8 / 1e6, max_pps, recv_max, max_pps > 0 ? 1 - recv_max / max_pps : 0, id - 1);
	return 0;
}
