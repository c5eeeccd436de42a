/*
 * echosrv: the bench's backend. One epoll thread serving, on 127.0.0.1:PORT,
 *   TCP: echo every byte back; when a chunk of input holds '\n', flush the
 *        echo and close (the "short connection" of connrate: the server
 *        closes first, as an HTTP/1.0 server would, so TIME_WAIT lands on
 *        the server's side and the bench never runs out of client ports);
 *   UDP: echo every datagram to its sender.
 * Runs until SIGTERM/SIGINT. Backpressure: a connection whose echo cannot
 * be written is not read until it drains.
 *
 *   echosrv PORT [HOST]
 */
#include <signal.h>
#include <sys/epoll.h>

#include "common.h"

#define TOOL "echosrv"
#define BUFSZ 65536

struct conn {
	char *pend;         /* echo not yet written */
	size_t len, off;
	int closing;        /* close once pend is flushed */
};

static struct conn *conns;
static size_t nconns;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
conn_close(int ep, int fd)
{
	(void)ep;
	close(fd);   /* the only reference to the socket: leaves the epoll set */
	if ((size_t)fd < nconns) {
		free(conns[fd].pend);
		memset(&conns[fd], 0, sizeof(conns[fd]));
	}
}

/* Write what is pending; 1 = all written, 0 = would block, -1 = error. */
static int
conn_flush(int fd, struct conn *c)
{
	while (c->off < c->len) {
		ssize_t w = write(fd, c->pend + c->off, c->len - c->off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->off += (size_t)w;
	}
	free(c->pend);
	c->pend = NULL;
	c->len = c->off = 0;
	return 1;
}

static void
conn_io(int ep, int fd, uint32_t events, char *buf)
{
	struct conn *c = &conns[fd];
	struct epoll_event ev = { .data.fd = fd };
	int i, r;

	if (c->pend) {
		r = conn_flush(fd, c);
		if (r < 0)
			goto drop;
		if (r == 0)
			return;
		if (c->closing)
			goto drop;
		ev.events = EPOLLIN;
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (i = 0; i < 16; i++) {   /* bounded: let other connections run */
		ssize_t n = read(fd, buf, BUFSZ);

		if (n == 0)
			goto drop;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			goto drop;
		}
		c->closing = memchr(buf, '\n', (size_t)n) != NULL;
		c->pend = malloc((size_t)n);
		if (!c->pend)
			goto drop;
		memcpy(c->pend, buf, (size_t)n);
		c->len = (size_t)n;
		c->off = 0;
		r = conn_flush(fd, c);
		if (r < 0)
			goto drop;
		if (r == 0) {
			ev.events = EPOLLOUT;
			epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
			return;
		}
		if (c->closing)
			goto drop;
	}
	return;
drop:
	conn_close(ep, fd);
}

static void
udp_io(int fd, char *buf)
{
	struct sockaddr_storage from;
	socklen_t fl;
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n;

		fl = sizeof(from);
		n = recvfrom(fd, buf, BUFSZ, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event ev, evs[256];
	struct sigaction sg = { .sa_handler = on_signal };
	int lfd, ufd, ep, one = 1, big = 32 << 20, i, n;
	char *buf;

	if (argc < 2 || ipv4_addr(argc > 2 ? argv[2] : "127.0.0.1", argv[1], &sa) < 0) {
		fprintf(stderr, "usage: %s PORT [IPV4]\n", TOOL);
		return 2;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sg, NULL);
	sigaction(SIGINT, &sg, NULL);
	nconns = 1u << 17;
	conns = calloc(nconns, sizeof(*conns));
	buf = malloc(BUFSZ);
	if (!conns || !buf)
		die(TOOL, "malloc");

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || ufd < 0)
		die(TOOL, "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0)
		die(TOOL, "bind/listen tcp (is the port free?)");
	/* A backend that never drops: the bursts a relay sends on wait here (as
	 * root past net.core.rmem_max), so a loss counted is the path's. */
	if (setsockopt(ufd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(ufd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(TOOL, "bind udp (is the port free?)");
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = ufd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);

	while (!stop) {
		n = epoll_wait(ep, evs, 256, 500);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int k;

				for (k = 0; k < 64; k++) {
					int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

					if (c < 0)
						break;
					if ((size_t)c >= nconns) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
			} else if (fd == ufd) {
				udp_io(ufd, buf);
			} else {
				conn_io(ep, fd, evs[i].events, buf);
			}
		}
	}
	return 0;
}
