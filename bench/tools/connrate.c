/*
 * connrate: short TCP connections per second with C clients in flight.
 * Each client: non-blocking connect, send "hello\n", read the 6-byte echo
 * and the server's FIN (echosrv closes after a line), close, start again;
 * for SECONDS. A connection that takes more than 3 s is counted as failed.
 *
 *   connrate PORT CONCURRENCY SECONDS [HOST]
 *
 * Prints "cps=.. done=.. failed=.. seconds=..".
 */
#include <sys/epoll.h>

#include "common.h"

#define TOOL "connrate"
#define MSG "hello\n"
#define MSGLEN 6
#define CONN_LIMIT_NS 3000000000ull

struct client {
	int fd;
	int got;             /* bytes of echo read */
	uint64_t started;
};

static struct sockaddr_in target;
static long done, failed, conn_errors;

static int
client_start(int ep, struct client *c)
{
	struct epoll_event ev;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	c->fd = -1;
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0 && errno != EINPROGRESS) {
		close(fd);
		conn_errors++;
		return -1;
	}
	c->fd = fd;
	c->got = -1;         /* -1: connecting */
	c->started = now_ns();
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void
client_end(int ep, struct client *c, int ok)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	if (ok)
		done++;
	else
		failed++;
}

/* 1 finished ok, 0 in progress, -1 failed */
static int
client_io(int ep, struct client *c, uint32_t events)
{
	struct epoll_event ev;
	char buf[256];
	ssize_t n;

	if (c->got < 0) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return 0;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err || write(c->fd, MSG, MSGLEN) != MSGLEN)
			return -1;
		c->got = 0;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		return 0;
	}
	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			c->got += (int)n;
			if (c->got > MSGLEN)
				return -1;
			continue;
		}
		if (n == 0)
			return c->got == MSGLEN ? 1 : -1;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -1;
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct client *cl;
	long conc, secs, i;
	uint64_t t0, end, now, last_sweep;
	int ep, n;

	if (argc < 4 || ipv4_addr(argc > 4 ? argv[4] : "127.0.0.1", argv[1], &target) < 0 ||
	    (conc = strtol(argv[2], NULL, 10)) < 1 || conc > 4096 ||
	    (secs = strtol(argv[3], NULL, 10)) < 1 || secs > 600) {
		fprintf(stderr, "usage: %s PORT CONCURRENCY SECONDS [IPV4]\n", TOOL);
		return 2;
	}
	raise_nofile();
	cl = calloc((size_t)conc, sizeof(*cl));
	ep = epoll_create1(0);
	if (!cl || ep < 0)
		die(TOOL, "setup");
	t0 = last_sweep = now_ns();
	end = t0 + (uint64_t)secs * 1000000000u;
	for (i = 0; i < conc; i++)
		client_start(ep, &cl[i]);

	while ((now = now_ns()) < end) {
		n = epoll_wait(ep, evs, 256, 50);
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			int r = client_io(ep, c, evs[i].events);

			if (r == 0)
				continue;
			client_end(ep, c, r > 0);
			if (now_ns() < end)
				client_start(ep, c);
		}
		now = now_ns();
		if (now - last_sweep > 100000000u) {   /* restart failed starts, cut stuck ones */
			last_sweep = now;
			for (i = 0; i < conc; i++) {
				if (cl[i].fd >= 0 && now - cl[i].started > CONN_LIMIT_NS)
					client_end(ep, &cl[i], 0);
				if (cl[i].fd < 0 && now < end)
					client_start(ep, &cl[i]);
			}
		}
	}
	now = now_ns();
	for (i = 0; i < conc; i++)
		if (cl[i].fd >= 0) {   /* in flight at the end: not counted either way */
			epoll_ctl(ep, EPOLL_CTL_DEL, cl[i].fd, NULL);
			close(cl[i].fd);
		}
	printf("cps=%.0f done=%ld failed=%ld connect_errors=%ld seconds=%.2f\n",
	    (double)done / ((double)(now - t0) / 1e9), done, failed, conn_errors, (double)(now - t0) / 1e9);
	return done > 0 ? 0 : 1;
}
