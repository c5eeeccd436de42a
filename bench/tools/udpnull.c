/*
 * udpnull: the least a UDP relay can do per new association, as a yardstick.
 *
 *   udpnull PORT REMOTE_PORT [THREADS [AHEAD]]
 *
 * Listens on 127.0.0.1:PORT (one SO_REUSEPORT socket and one epoll per
 * thread, THREADS default 2) and treats every datagram as a new
 * association: a socket connected to 127.0.0.1:REMOTE_PORT and in epoll
 * sends it on; an answer on that socket goes back to the client from the
 * listener (the answers of one wakeup in one sendmmsg). With AHEAD > 0 each
 * thread keeps up to AHEAD such sockets made ahead, made while it has no
 * event, at most 8 between two looks for events, as xwpf's relay does: a
 * new association takes one and its datagram leaves with one send.
 *
 * Nothing else: no table of associations (a client's second datagram opens
 * a second one), no timers, no counters, no limits, no closing until exit.
 * That is right only for `udpassoc rate`, whose every association is one
 * request and one answer, and it is what any relay must do for such an
 * association, done with no work of its own beyond the kernel's: the rate
 * it reaches is what the kernel and this machine leave a relay in that
 * test. At most MAX_ASSOC associations, then datagrams are dropped; runs
 * until SIGTERM or SIGINT (at most 600 s).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>

#include "common.h"

#define TOOL "udpnull"
#define BATCH 64
#define MAX_ASSOC 60000

struct assoc {
	struct sockaddr_in client;
	int fd;
};

static struct sockaddr_in lsn, rem;
static volatile sig_atomic_t stop;
static atomic_int nassoc;
static int ahead;

static void
on_signal(int s)
{
	(void)s;
	stop = 1;
}

/* One association more, or 0 past MAX_ASSOC. */
static int
take_slot(void)
{
	return atomic_fetch_add(&nassoc, 1) < MAX_ASSOC;
}

/* A socket connected to the remote and in epoll, or NULL past MAX_ASSOC. */
static struct assoc *
new_assoc(int ep)
{
	struct epoll_event ev;
	struct assoc *a;

	if (!take_slot() || !(a = calloc(1, sizeof(*a))))
		return NULL;
	a->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ev.events = EPOLLIN;
	ev.data.ptr = a;
	if (a->fd < 0 || connect(a->fd, (struct sockaddr *)&rem, sizeof(rem)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, a->fd, &ev) < 0)
		die(TOOL, "association socket");
	return a;
}

static void *
worker(void *arg)
{
	struct mmsghdr m[BATCH], o[BATCH];
	struct iovec iov[BATCH], oiov[BATCH];
	struct sockaddr_in from[BATCH];
	static _Thread_local char buf[BATCH][2048], obuf[BATCH][2048];
	struct epoll_event ev, evs[BATCH];
	struct assoc *spare[256];
	int one = 1, ls, ep, i, k, n, no, nspare = 0;

	(void)arg;
	ls = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (ls < 0 || ep < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&lsn, sizeof(lsn)) < 0)
		die(TOOL, "listener");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;   /* NULL: the listener */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
		die(TOOL, "epoll_ctl");
	while (!stop) {
		if ((k = epoll_wait(ep, evs, BATCH, nspare < ahead ? 0 : 200)) < 0 && errno != EINTR)
			die(TOOL, "epoll_wait");
		if (k == 0)   /* idle: make a few ahead */
			for (n = 0; n < 8 && nspare < ahead && (spare[nspare] = new_assoc(ep)) != NULL; n++)
				nspare++;
		for (no = 0, i = 0; i < k; i++) {
			struct assoc *a = evs[i].data.ptr;
			ssize_t got;

			if (!a) {   /* new clients: one association each */
				memset(m, 0, sizeof(m));
				for (n = 0; n < BATCH; n++) {
					iov[n].iov_base = buf[n];
					iov[n].iov_len = sizeof(buf[n]);
					m[n].msg_hdr.msg_iov = &iov[n];
					m[n].msg_hdr.msg_iovlen = 1;
					m[n].msg_hdr.msg_name = &from[n];
					m[n].msg_hdr.msg_namelen = sizeof(from[n]);
				}
				if ((n = recvmmsg(ls, m, BATCH, 0, NULL)) <= 0)
					continue;
				for (int j = 0; j < n; j++) {
					struct assoc *na;

					if (!(na = nspare ? spare[--nspare] : new_assoc(ep)))
						continue;
					na->client = from[j];
					(void)send(na->fd, buf[j], m[j].msg_len, 0);
				}
				continue;
			}
			/* an answer: back to its client, the listener's replies sent together */
			if ((got = recv(a->fd, obuf[no], sizeof(obuf[no]), 0)) < 0)
				continue;
			memset(&o[no], 0, sizeof(o[no]));
			oiov[no].iov_base = obuf[no];
			oiov[no].iov_len = (size_t)got;
			o[no].msg_hdr.msg_iov = &oiov[no];
			o[no].msg_hdr.msg_iovlen = 1;
			o[no].msg_hdr.msg_name = &a->client;
			o[no].msg_hdr.msg_namelen = sizeof(a->client);
			no++;
		}
		if (no)
			(void)sendmmsg(ls, o, (unsigned)no, 0);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[16];
	int nth = argc > 3 ? atoi(argv[3]) : 2, i;

	ahead = argc > 4 ? atoi(argv[4]) : 0;
	if (argc < 3 || ahead < 0 || ahead > 256 || ipv4_addr("127.0.0.1", argv[1], &lsn) < 0 || ipv4_addr("127.0.0.1", argv[2], &rem) < 0 ||
	    nth < 1 || nth > 16) {
		fprintf(stderr, "usage: %s PORT REMOTE_PORT [THREADS (1-16) [AHEAD (0-256)]]\n", TOOL);
		return 2;
	}
	raise_nofile();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	alarm(600);
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			die(TOOL, "pthread_create");
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	return 0;
}
