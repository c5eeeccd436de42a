/*
 * connrate: short TCP connections per second with C clients in flight,
 * spread over P processes (default: one per online CPU, so the load
 * generator is not the bottleneck of a machine the relay shares with it;
 * processes, not threads: threads of one process contend on its descriptor
 * table for every socket() and close(), 2 threads here ran 20% slower).
 * Each client: non-blocking connect, send "hello\n", read the 6-byte echo
 * and the server's FIN (echosrv closes after a line), close, start again;
 * for SECONDS. A connection that takes more than 3 s is counted as failed.
 *
 *   connrate PORT CONCURRENCY SECONDS [HOST [PROCS]]
 *
 * Prints "cps=.. done=.. failed=.. connect_errors=.. seconds=.. procs=..".
 */
#include <sys/epoll.h>
#include <sys/wait.h>

#include "common.h"

#define TOOL "connrate"
#define MSG "hello\n"
#define MSGLEN 6
#define CONN_LIMIT_NS 3000000000ull
#define MAX_PROCS 64

struct client {
	int fd;
	int got;             /* bytes of echo read; -1 while connecting */
	uint64_t started;
};

struct worker {
	struct client *cl;
	long conc;
	long done, failed, conn_errors;
	int ep;
};

static struct sockaddr_in target;
static uint64_t t_end;

static int
client_start(struct worker *w, struct client *c)
{
	struct epoll_event ev;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	c->fd = -1;
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0 && errno != EINPROGRESS)
		goto fail;
	/* On loopback the handshake has usually completed when connect returns:
	 * send at once; wait for writability only if it has not. */
	if (write(fd, MSG, MSGLEN) == MSGLEN) {
		c->got = 0;
		ev.events = EPOLLIN;
	} else if (errno == EAGAIN) {
		c->got = -1;
		ev.events = EPOLLOUT | EPOLLIN;
	} else {
		goto fail;
	}
	c->fd = fd;
	c->started = now_ns();
	ev.data.ptr = c;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		c->fd = -1;
		goto fail;
	}
	return 0;
fail:
	close(fd);
	w->conn_errors++;
	return -1;
}

static void
client_end(struct worker *w, struct client *c, int ok)
{
	if (c->fd >= 0)
		close(c->fd);   /* the only reference to the socket: leaves the epoll set */
	c->fd = -1;
	if (ok)
		w->done++;
	else
		w->failed++;
}

/* 1 finished ok, 0 in progress, -1 failed */
static int
client_io(struct worker *w, struct client *c, uint32_t events)
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
		epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
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

static void
worker_run(struct worker *w)
{
	struct epoll_event evs[256];
	uint64_t now, last_sweep;
	long i;
	int n;

	last_sweep = now_ns();
	for (i = 0; i < w->conc; i++)
		client_start(w, &w->cl[i]);
	while ((now = now_ns()) < t_end) {
		n = epoll_wait(w->ep, evs, 256, 50);
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			int r = client_io(w, c, evs[i].events);

			if (r == 0)
				continue;
			client_end(w, c, r > 0);
			if (now_ns() < t_end)
				client_start(w, c);
		}
		now = now_ns();
		if (now - last_sweep > 100000000u) {   /* restart failed starts, cut stuck ones */
			last_sweep = now;
			for (i = 0; i < w->conc; i++) {
				if (w->cl[i].fd >= 0 && now - w->cl[i].started > CONN_LIMIT_NS)
					client_end(w, &w->cl[i], 0);
				if (w->cl[i].fd < 0 && now < t_end)
					client_start(w, &w->cl[i]);
			}
		}
	}
	for (i = 0; i < w->conc; i++)   /* in flight at the end: not counted either way */
		if (w->cl[i].fd >= 0)
			close(w->cl[i].fd);
}

int
main(int argc, char **argv)
{
	long conc, secs, nproc, i, done = 0, failed = 0, cerr = 0;
	int pfd[2], status, bad = 0;
	uint64_t t0, now;
	FILE *res;
	char line[128];

	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	if (argc > 5)
		nproc = strtol(argv[5], NULL, 10);
	if (argc < 4 || argc > 6 || ipv4_addr(argc > 4 ? argv[4] : "127.0.0.1", argv[1], &target) < 0 ||
	    (conc = strtol(argv[2], NULL, 10)) < 1 || conc > 4096 ||
	    (secs = strtol(argv[3], NULL, 10)) < 1 || secs > 600 ||
	    nproc < 1 || nproc > MAX_PROCS) {
		fprintf(stderr, "usage: %s PORT CONCURRENCY SECONDS [IPV4 [PROCS]]\n", TOOL);
		return 2;
	}
	if (nproc > conc)
		nproc = conc;
	raise_nofile();
	if (pipe(pfd) < 0)
		die(TOOL, "pipe");
	fflush(stdout);
	t0 = now_ns();
	t_end = t0 + (uint64_t)secs * 1000000000u;
	for (i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die(TOOL, "fork");
		if (pid == 0) {
			struct worker w = { .conc = conc / nproc + (i < conc % nproc) };
			char out[96];
			int len;

			close(pfd[0]);
			w.cl = calloc((size_t)w.conc, sizeof(*w.cl));
			w.ep = epoll_create1(0);
			if (!w.cl || w.ep < 0)
				die(TOOL, "setup");
			worker_run(&w);
			/* one short line per child: a pipe write under PIPE_BUF is atomic */
			len = snprintf(out, sizeof(out), "%ld %ld %ld\n", w.done, w.failed, w.conn_errors);
			_exit(write(pfd[1], out, (size_t)len) == len ? 0 : 1);
		}
	}
	close(pfd[1]);
	res = fdopen(pfd[0], "r");
	while (res && fgets(line, sizeof(line), res)) {
		long d, f, c;

		if (sscanf(line, "%ld %ld %ld", &d, &f, &c) == 3) {
			done += d;
			failed += f;
			cerr += c;
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	now = now_ns();
	if (bad)
		fprintf(stderr, "%s: %d of %ld client processes failed\n", TOOL, bad, nproc);
	printf("cps=%.0f done=%ld failed=%ld connect_errors=%ld seconds=%.2f procs=%ld\n",
	    (double)done / ((double)(now - t0) / 1e9), done, failed, cerr, (double)(now - t0) / 1e9, nproc);
	return done > 0 && !bad ? 0 : 1;
}
