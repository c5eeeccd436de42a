/* lib/relay/evloop.c: timer heap order, re-arm and delete; I/O dispatch, run queue, after hooks, idle work. */
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

static void
client_io(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	(void)l;
	(void)io;
	(void)events;
}

static void
client_tmo(struct ev_loop *l, struct ev_timer *t)
{
	(void)l;
	(*(int *)t->arg)++;
}

/* ev_client: watched, timed and listed on add; unwatched, closed and unlisted on del */
static void
test_clients(struct ev_loop *l)
{
	struct ev_clients s = { NULL, 0 };
	struct ev_client a, b, c;
	int fa[2], fb[2], fc[2], timeouts = 0;

	if (pipe2(fa, O_NONBLOCK) || pipe2(fb, O_NONBLOCK) || pipe2(fc, O_NONBLOCK)) {
		CHECK(0, "pipes for the clients");
		return;
	}
	CHECK(ev_client_add(l, &s, &a, fa[0], client_io, client_tmo, &timeouts, ev_now(l) + 3600000) == 0 &&
	    ev_client_add(l, &s, &b, fb[0], client_io, client_tmo, &timeouts, ev_now(l) - 1) == 0 &&
	    ev_client_add(l, &s, &c, fc[0], client_io, client_tmo, &timeouts, ev_now(l) + 3600000) == 0,
	    "three clients added");
	CHECK(s.n == 3 && s.head == &c && c.next == &b && b.next == &a && a.prev == &b && !c.prev,
	    "each goes first in the list");
	CHECK(a.io.fd == fa[0] && a.io.arg == &timeouts && ev_timer_armed(&a.tmo), "watched, with its deadline");
	ev_run_once(l, 0);
	CHECK(timeouts == 1, "a deadline passed calls its timer (%d)", timeouts);
	ev_client_del(l, &s, &b);
	CHECK(s.n == 2 && s.head == &c && c.next == &a && a.prev == &c, "one from the middle taken out");
	CHECK(b.io.fd == -1 && !ev_timer_armed(&b.tmo) && fcntl(fb[0], F_GETFD) < 0, "unwatched, disarmed, closed");
	ev_client_del(l, &s, &c);
	ev_client_del(l, &s, &a);
	CHECK(s.n == 0 && s.head == NULL && fcntl(fa[0], F_GETFD) < 0 && fcntl(fc[0], F_GETFD) < 0,
	    "the list empty, every socket closed");
	close(fa[1]);
	close(fb[1]);
	close(fc[1]);
}

static int idle_runs, idle_again;

static void
idle_cb(struct ev_loop *l, void *arg)
{
	(void)arg;
	idle_runs++;
	if (idle_again-- > 0)
		ev_idle(l, idle_cb, NULL);
}

/* ev_idle: runs after a turn with no event, once per request; a turn that
 * has an event keeps it for later; pending work makes a turn poll, not wait */
static void
test_idle(struct ev_loop *l)
{
	int fds[2], n;
	struct ev_io io;
	int64_t t0;

	CHECK(ev_idle(l, idle_cb, NULL) == 0 && ev_idle(l, idle_cb, NULL) == 0, "asked twice");
	CHECK(pipe2(fds, O_NONBLOCK) == 0 && ev_io_add(l, &io, fds[0], EPOLLIN | EPOLLET, iocb, NULL) == 0, "a pipe");
	(void)!write(fds[1], "x", 1);
	n = io_calls;
	ev_run_once(l, 1000);
	CHECK(io_calls == n + 1 && idle_runs == 0, "a turn with an event leaves the idle work for later");
	t0 = now_ms();
	ev_run_once(l, 5000);
	CHECK(idle_runs == 1, "the next turn with no event runs it, once for the two asks (%d)", idle_runs);
	CHECK(now_ms() - t0 < 2000, "without waiting for the 5 s the turn was given");
	idle_again = 2;
	ev_idle(l, idle_cb, NULL);
	for (int i = 0; i < 5; i++)
		ev_run_once(l, 0);
	CHECK(idle_runs == 4, "work that asks again runs again, then stops (%d)", idle_runs);
	ev_io_del(l, &io);
	close(fds[0]);
	close(fds[1]);
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
	test_clients(l);
	test_idle(l);
	ev_free(l);
	return T_DONE();
}
