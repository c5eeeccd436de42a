/* lib/relay/evloop.c: timer heap order, re-arm and delete; I/O dispatch, run queue, after hooks. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "evloop.h"
#include "util.h"

static int order[64], norder;

static void
tcb(struct ev_loop *l, struct ev_timer *t)
{
	(void)l;
	order[norder++] = (int)(long)t->arg;
}

static int io_calls, io_replays, hooks;

static void
iocb(struct ev_loop *l, struct ev_io *io, unsigned ev)
{
	char b[16];

	if (ev & (1u << 26)) {
		io_replays++;
		return;
	}
	io_calls++;
	(void)!read(io->fd, b, sizeof(b));
	if (io_calls == 1)
		ev_io_requeue(l, io, 1u << 26);
}

static void
hook(struct ev_loop *l, void *arg)
{
	(void)l;
	(*(int *)arg)++;
}

int
main(void)
{
	struct ev_loop *l = ev_new();
	struct ev_timer t[40];
	struct ev_io io;
	int64_t base = now_ms();
	int i, ok, fds[2];

	CHECK(l != NULL, "ev_new");
	/* 40 timers in scrambled order, some re-armed, some deleted */
	for (i = 0; i < 40; i++) {
		ev_timer_init(&t[i], tcb, (void *)(long)i);
		ev_timer_set(l, &t[i], base - 1000 + (i * 7919) % 40);
	}
	ev_timer_set(l, &t[5], base - 2000);     /* earlier: first */
	ev_timer_set(l, &t[6], base + 3600000);  /* later: not now */
	ev_timer_del(l, &t[7]);
	ev_timer_del(l, &t[7]);                  /* twice is harmless */
	CHECK(!ev_timer_armed(&t[7]) && ev_timer_armed(&t[6]), "armed flags after del and re-arm");
	ev_run_once(l, 0);
	CHECK(norder == 38, "38 due timers fired (got %d)", norder);
	CHECK(norder > 0 && order[0] == 5, "the earliest fires first");
	ok = 1;
	for (i = 1; i < norder; i++)
		if (t[order[i - 1]].when > t[order[i]].when)
			ok = 0;
	CHECK(ok, "timers fire in deadline order");
	ev_timer_del(l, &t[6]);

	/* I/O: a pipe, one event, one replay from the run queue, hooks after each turn */
	CHECK(pipe2(fds, O_NONBLOCK) == 0, "pipe");
	CHECK(ev_after(l, hook, &hooks) == 0, "ev_after");
	CHECK(ev_io_add(l, &io, fds[0], EPOLLIN | EPOLLET, iocb, NULL) == 0, "ev_io_add");
	(void)!write(fds[1], "x", 1);
	ev_run_once(l, 1000);
	CHECK(io_calls == 1 && io_replays == 0, "edge delivered once");
	ev_run_once(l, 1000);   /* the replay queued during the callback; must not block */
	CHECK(io_replays == 1, "run queue replays the watcher next turn");
	CHECK(hooks == 2, "after-batch hook ran every turn (%d)", hooks);
	ev_io_requeue(l, &io, 1u << 26);
	ev_io_del(l, &io);
	CHECK(io.fd == -1, "ev_io_del resets fd");
	ev_run_once(l, 0);
	CHECK(io_replays == 1, "a deleted watcher is not replayed");
	close(fds[0]);
	close(fds[1]);
	ev_free(l);
	return T_DONE();
}
