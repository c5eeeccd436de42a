/*
 * idleconn: open N TCP connections and keep them open and idle.
 * Each connection sends one byte and waits for its echo, so it is known to
 * be established end to end (through the relay to the backend) before it
 * counts. At most 200 are in progress at a time; the whole opening phase is
 * bounded by 90 s. Then prints "ready ok=.. failed=.. seconds=.." on stdout
 * and holds every connection until SIGTERM/SIGINT (or 30 minutes).
 *
 *   idleconn PORT N [HOST]
 */
#include <signal.h>
#include <sys/epoll.h>

#include "common.h"

#define TOOL "idleconn"
#define INFLIGHT 200

enum { C_NONE, C_CONNECTING, C_WAITING, C_READY, C_FAILED };

struct conn {
	int fd;
	int state;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
conn_open(int ep, struct conn *c, const struct sockaddr_in *sa)
{
	struct epoll_event ev;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS)) {
		if (fd >= 0)
			close(fd);
		c->state = C_FAILED;
		return -1;
	}
	c->fd = fd;
	c->state = C_CONNECTING;
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void
conn_fail(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = C_FAILED;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event evs[256], ev;
	struct sigaction sg = { .sa_handler = on_signal };
	struct conn *cs;
	long total, next = 0, inflight = 0, ok = 0, bad = 0, i;
	uint64_t t0, deadline;
	int ep, n;

	if (argc < 3 || ipv4_addr(argc > 3 ? argv[3] : "127.0.0.1", argv[1], &sa) < 0 ||
	    (total = strtol(argv[2], NULL, 10)) < 1 || total > 60000) {
		fprintf(stderr, "usage: %s PORT N [IPV4]\n", TOOL);
		return 2;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sg, NULL);
	sigaction(SIGINT, &sg, NULL);
	cs = calloc((size_t)total, sizeof(*cs));
	ep = epoll_create1(0);
	if (!cs || ep < 0)
		die(TOOL, "setup");
	t0 = now_ns();
	deadline = t0 + 90ull * 1000000000u;

	while (!stop && ok + bad < total && now_ns() < deadline) {
		while (next < total && inflight < INFLIGHT) {
			if (conn_open(ep, &cs[next++], &sa) == 0)
				inflight++;
			else
				bad++;
		}
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			char b = 'x';

			if (c->state == C_CONNECTING) {
				int err = 0;
				socklen_t l = sizeof(err);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
				if (err || write(c->fd, &b, 1) != 1)
					goto failed;
				c->state = C_WAITING;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			if (c->state == C_WAITING) {
				ssize_t r = read(c->fd, &b, 1);

				if (r < 0 && errno == EAGAIN)
					continue;
				if (r != 1)
					goto failed;
				/* keep it in epoll with no interest: an idle connection */
				ev.events = 0;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				c->state = C_READY;
				inflight--;
				ok++;
				continue;
			}
			continue;
failed:
			conn_fail(ep, c);
			inflight--;
			bad++;
		}
	}
	bad = total - ok;
	printf("ready ok=%ld failed=%ld seconds=%.2f\n", ok, bad, (double)(now_ns() - t0) / 1e9);
	fflush(stdout);
	deadline = now_ns() + 1800ull * 1000000000u;
	while (!stop && now_ns() < deadline)
		sleep(1);
	return ok == total ? 0 : 1;
}
