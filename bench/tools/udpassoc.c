/*
 * udpassoc: new UDP associations per second, and idle associations held.
 *
 *   udpassoc rate PORT N CONC   N associations, CONC at once: each a new
 *                               socket from a new source address and port,
 *                               one 16-byte request to 127.0.0.1:PORT (an echo
 *                               behind a relay), its answer, close
 *   udpassoc hold PORT N        N sockets, each proven by one echoed datagram,
 *                               then held open until SIGTERM (at most 600 s)
 *   udpassoc again PORT N CONC  the same N requests and answers over CONC sockets
 *                               made (and answered once) before the clock starts:
 *                               associations that exist, the bound for new ones
 *   udpassoc paced PORT N RATE  N new associations as in rate, offered at RATE
 *                               per second whatever comes back (a probe, not in
 *                               the bench's table: bench/README.md)
 *
 * Sources cycle over 127.R.x.y (R from the process id), so every socket is
 * a source address and port the relay has not seen this run: each is a new
 * association, never an existing one found again. rate prints
 * "rate=.. done=.. lost=.. ms=.."; an answer not back within 1 s is lost, and
 * so is a refusal (ICMP port unreachable) or a reply that is not the echo.
 * hold prints "ready ok=N" once the datagrams are answered (3 tries, 1 s each).
 * paced prints "offered=.. rate=.. goodput=.. done=.. lost=.. ms=..": offered
 * and rate (answered) per second of sending, goodput per second until the
 * last answer.
 */
#include <signal.h>
#include <sys/epoll.h>

#include "common.h"

#define TOOL "udpassoc"

static volatile sig_atomic_t stop;
static uint32_t src_next;
static unsigned src_net;

static void
on_signal(int s)
{
	(void)s;
	stop = 1;
}

static int
new_sock(const struct sockaddr_in *dst)
{
	struct sockaddr_in s;
	uint32_t k = src_next++;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	/* 127.NET.x.y, y in 1..250: 250 x 256 addresses, each with its own ports */
	s.sin_addr.s_addr = htonl(127u << 24 | src_net << 16 | ((k / 250) & 255) << 8 | (k % 250 + 1));
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0 || connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#define MAXFD (1 << 20)
static const char request[16] = "udpassoc-request";

/* In flight: one slot per descriptor, its send time (0: none), and what came of them. */
struct flight {
	int ep;
	uint64_t *sent_at;
	long open, done, lost;
	uint64_t back;   /* when the last answer came */
};

static void
flight_init(struct flight *f)
{
	memset(f, 0, sizeof(*f));
	f->ep = epoll_create1(0);
	f->sent_at = calloc(MAXFD, sizeof(*f->sent_at));
	if (f->ep < 0 || !f->sent_at)
		die(TOOL, "epoll/calloc");
}

/* A new association: a new socket, in epoll, its request sent. */
static void
flight_start(struct flight *f, const struct sockaddr_in *dst)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = new_sock(dst);

	if (fd < 0 || fd >= MAXFD)
		die(TOOL, "socket/bind (out of descriptors?)");
	ev.data.fd = fd;
	epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev);
	f->sent_at[fd] = now_ns();
	if (send(fd, request, sizeof(request), 0) != (ssize_t)sizeof(request))
		die(TOOL, "send");
	f->open++;
}

static void
flight_end(struct flight *f, int fd, int answered)
{
	close(fd);
	f->sent_at[fd] = 0;
	f->open--;
	if (answered) {
		f->done++;
		f->back = now_ns();
	} else {
		f->lost++;
	}
}

/* Wait up to ts for answers and take them; an answer that is not the echo
 * (or a refusal: ICMP, nothing listens) is lost. Returns the events seen. */
static int
flight_wait(struct flight *f, const struct timespec *ts)
{
	struct epoll_event evs[256];
	char buf[64];
	int k = epoll_pwait2(f->ep, evs, 256, ts, NULL), i;

	for (i = 0; i < k; i++) {
		int fd = evs[i].data.fd;
		ssize_t got = recv(fd, buf, sizeof(buf), 0);

		if (got < 0 && errno == EAGAIN)
			continue;
		flight_end(f, fd, got == (ssize_t)sizeof(request) && memcmp(buf, request, sizeof(request)) == 0);
	}
	return k;
}

/* Give up on requests older than ns. */
static void
flight_expire(struct flight *f, uint64_t ns)
{
	uint64_t now = now_ns();
	int fd;

	for (fd = 0; fd < MAXFD && f->open; fd++)
		if (f->sent_at[fd] && now - f->sent_at[fd] > ns)
			flight_end(f, fd, 0);
}

static int
rate(const struct sockaddr_in *dst, long n, int conc)
{
	struct flight f;
	uint64_t t0 = now_ns(), end = t0 + 60000000000ull;
	long started = 0;

	flight_init(&f);
	while (f.done + f.lost < n && now_ns() < end && !stop) {
		for (; f.open < conc && started < n; started++)
			flight_start(&f, dst);
		if (flight_wait(&f, &(struct timespec){ 0, 50000000 }) <= 0)
			flight_expire(&f, 1000000000ull);   /* an answer lost: given up after 1 s */
	}
	printf("rate=%.0f done=%ld lost=%ld ms=%.0f\n", f.done * 1e9 / (double)(now_ns() - t0), f.done, f.lost,
	    (double)(now_ns() - t0) / 1e6);
	return 0;
}

/* N associations offered at RATE per second, whatever comes back: each a new
 * socket as in rate, started on a schedule (every 100 us the ones due by
 * then), never waiting for answers, so the relay is offered a load rather
 * than a round trip. An answer not back within 200 ms of its request (or of
 * the last request) is lost. */
static int
paced(const struct sockaddr_in *dst, long n, double per_s)
{
	struct flight f;
	uint64_t t0 = now_ns(), end = t0 + 60000000000ull, last = t0;
	long started = 0;

	flight_init(&f);
	while ((started < n || f.open) && now_ns() < end && !stop) {
		uint64_t due = (uint64_t)((double)(now_ns() - t0) * per_s / 1e9) + 1;
		long before = started;
		int k;

		for (; (uint64_t)started < due && started < n; started++)
			flight_start(&f, dst);
		if (started > before)
			last = now_ns();
		k = flight_wait(&f, &(struct timespec){ 0, started < n ? 100000 : 10000000 });
		if (started >= n || k <= 0)
			flight_expire(&f, 200000000ull);
	}
	printf("offered=%.0f rate=%.0f goodput=%.0f done=%ld lost=%ld ms=%.0f\n", started * 1e9 / (double)(last - t0 + 1),
	    f.done * 1e9 / (double)(last - t0 + 1), f.done * 1e9 / (double)(f.back - t0 + 1), f.done, f.lost,
	    (double)(last - t0) / 1e6);
	return 0;
}

/* N requests over conc sockets that already have their association: each
 * sends again on its answer (one in flight per socket, as rate has). */
static int
again(const struct sockaddr_in *dst, long n, int conc)
{
	struct epoll_event ev, evs[256];
	int ep = epoll_create1(0), *fds = calloc((size_t)conc, sizeof(int)), i, k;
	uint64_t *sent_at = calloc((size_t)conc, sizeof(uint64_t)), t0, end;
	long started = 0, done = 0, lost = 0;
	char buf[64] = "udpassoc-request";

	if (ep < 0 || !fds || !sent_at)
		die(TOOL, "epoll/calloc");
	for (i = 0; i < conc; i++) {
		if ((fds[i] = new_sock(dst)) < 0)
			die(TOOL, "socket/bind (out of descriptors?)");
		for (k = 0; k < 3; k++) {   /* the association made, off the clock */
			struct timespec ts = { 0, 1000000 };
			(void)send(fds[i], buf, 16, 0);
			nanosleep(&ts, NULL);
			if (recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) == 16)
				break;
		}
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	while (recv(fds[0], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	t0 = now_ns();
	end = t0 + 60000000000ull;
	memcpy(buf, "udpassoc-request", 16);
	for (i = 0; i < conc && started < n; i++, started++) {
		sent_at[i] = now_ns();
		(void)send(fds[i], buf, 16, 0);
	}
	while (done + lost < n && now_ns() < end && !stop) {
		k = epoll_wait(ep, evs, 256, 50);
		for (i = 0; i < k; i++) {
			uint32_t j = evs[i].data.u32;
			char got[64];

			while (recv(fds[j], got, sizeof(got), MSG_DONTWAIT) >= 0) {
				if (!sent_at[j])
					continue;   /* a late answer to a request already given up */
				sent_at[j] = 0;
				done++;
				if (started < n) {
					started++;
					sent_at[j] = now_ns();
					(void)send(fds[j], buf, 16, 0);
				}
			}
		}
		if (k <= 0) {
			uint64_t now = now_ns();

			for (i = 0; i < conc; i++)
				if (sent_at[i] && now - sent_at[i] > 1000000000ull) {
					lost++;
					sent_at[i] = 0;
					if (started < n) {
						started++;
						sent_at[i] = now;
						(void)send(fds[i], buf, 16, 0);
					}
				}
		}
	}
	printf("rate=%.0f done=%ld lost=%ld ms=%.0f\n", done * 1e9 / (double)(now_ns() - t0), done, lost,
	    (double)(now_ns() - t0) / 1e6);
	return 0;
}

static int
hold(const struct sockaddr_in *dst, long n)
{
	int *fds = calloc((size_t)n, sizeof(int)), *okv = calloc((size_t)n, sizeof(int));
	long i, ok = 0;
	int tries, s;
	char buf[64] = "udpassoc-hold";

	if (!fds || !okv)
		die(TOOL, "calloc");
	for (i = 0; i < n; i++)
		if ((fds[i] = new_sock(dst)) < 0)
			die(TOOL, "socket/bind (out of descriptors?)");
	for (tries = 0; tries < 3 && ok < n && !stop; tries++) {
		uint64_t end;

		for (i = 0; i < n; i++)
			if (!okv[i])
				(void)send(fds[i], buf, 16, 0);
		end = now_ns() + 1000000000ull;
		while (now_ns() < end && ok < n && !stop) {
			for (i = 0; i < n; i++)
				if (!okv[i] && recv(fds[i], buf, sizeof(buf), 0) > 0) {
					okv[i] = 1;
					ok++;
				}
			{
				struct timespec ts = { 0, 10000000 };
				nanosleep(&ts, NULL);
			}
		}
	}
	printf("ready ok=%ld\n", ok);
	fflush(stdout);
	for (s = 0; s < 6000 && !stop; s++) {
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst;
	struct sigaction sg = { .sa_handler = on_signal };
	long n;

	if (argc < 4 || ipv4_addr("127.0.0.1", argv[2], &dst) < 0 || (n = atol(argv[3])) < 1 || n > 500000) {
		fprintf(stderr, "usage: %s rate PORT N CONC | hold PORT N | again PORT N CONC | paced PORT N RATE\n", TOOL);
		return 2;
	}
	raise_nofile();
	sigaction(SIGTERM, &sg, NULL);
	sigaction(SIGINT, &sg, NULL);
	src_net = 16 + (unsigned)getpid() % 200;
	src_next = (uint32_t)(now_ns() / 1000 % 1000) * 64;
	if (!strcmp(argv[1], "rate") && argc > 4)
		return rate(&dst, n, atoi(argv[4]) > 0 ? atoi(argv[4]) : 64);
	if (!strcmp(argv[1], "paced") && argc > 4 && atof(argv[4]) > 0)
		return paced(&dst, n, atof(argv[4]));
	if (!strcmp(argv[1], "hold"))
		return hold(&dst, n);
	if (!strcmp(argv[1], "again") && argc > 4)
		return again(&dst, n, atoi(argv[4]) > 0 && atoi(argv[4]) <= 4096 ? atoi(argv[4]) : 64);
	fprintf(stderr, "usage: %s rate PORT N CONC | hold PORT N | again PORT N CONC | paced PORT N RATE\n", TOOL);
	return 2;
}
