#include "evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define EV_BATCH 256
#define EV_HOOKS 8
#define EV_IDLE 4

struct ev_hook {
	ev_hook_cb *cb;
	void *arg;
};

struct ev_loop {
	int epfd;
	int stop;
	int64_t now;
	struct ev_timer **heap;
	int nheap, capheap;
	struct ev_io *rq_head, *rq_tail;
	struct ev_hook hooks[EV_HOOKS];
	int nhooks;
	struct ev_hook idle[EV_IDLE];   /* work for a turn with no event */
	int nidle;
	struct epoll_event evs[EV_BATCH];
};

struct ev_loop *
ev_new(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		errno = e;
		return NULL;
	}
	l->now = now_ms();
	return l;
}

void
ev_free(struct ev_loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->heap);
	free(l);
}

int64_t
ev_now(struct ev_loop *l)
{
	return l->now;
}

void
ev_stop(struct ev_loop *l)
{
	l->stop = 1;
}

int
ev_io_add(struct ev_loop *l, struct ev_io *io, int fd, unsigned events, ev_io_cb *cb, void *arg)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = events;
	e.data.ptr = io;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	io->rq_events = 0;
	io->rnext = NULL;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		io->fd = -1;
		return -1;
	}
	return 0;
}

int
ev_io_mod(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct epoll_event e;

	if (io->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (io->events == events)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = events;
	e.data.ptr = io;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &e) < 0)
		return -1;
	io->events = events;
	return 0;
}

static void
io_unlink(struct ev_loop *l, struct ev_io *io, int syscall)
{
	struct ev_io **pp;

	if (io->fd >= 0 && syscall)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
	io->events = 0;
	if (io->rq_events) {   /* unlink from the pending run queue */
		struct ev_io *prev = NULL;
		for (pp = &l->rq_head; *pp; prev = *pp, pp = &(*pp)->rnext)
			if (*pp == io) {
				*pp = io->rnext;
				if (l->rq_tail == io)
					l->rq_tail = prev;
				io->rq_events = 0;
				io->rnext = NULL;
				break;
			}
		/* not found: it sits in the batch being replayed, which skips fd -1 */
	}
}

void
ev_io_del(struct ev_loop *l, struct ev_io *io)
{
	io_unlink(l, io, 1);
}

static int spawns;   /* ev_spawns_children: process-wide, never reset */

void
ev_spawns_children(void)
{
	__atomic_store_n(&spawns, 1, __ATOMIC_SEQ_CST);
}

void
ev_io_forget(struct ev_loop *l, struct ev_io *io)
{
	io_unlink(l, io, __atomic_load_n(&spawns, __ATOMIC_SEQ_CST));
}

void
ev_io_requeue(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	if (io->fd < 0 || !events)
		return;
	if (io->rq_events) {
		io->rq_events |= events;
		return;
	}
	io->rq_events = events;
	io->rnext = NULL;
	if (l->rq_tail)
		l->rq_tail->rnext = io;
	else
		l->rq_head = io;
	l->rq_tail = io;
}

/* ---- timers: binary min-heap on when ---- */

void
ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg)
{
	t->when = 0;
	t->idx = -1;
	t->cb = cb;
	t->arg = arg;
}

static void
heap_swap(struct ev_loop *l, int a, int b)
{
	struct ev_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void
heap_up(struct ev_loop *l, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (l->heap[p]->when <= l->heap[i]->when)
			break;
		heap_swap(l, p, i);
		i = p;
	}
}

static void
heap_down(struct ev_loop *l, int i)
{
	for (;;) {
		int c = 2 * i + 1, m = i;
		if (c < l->nheap && l->heap[c]->when < l->heap[m]->when)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[m]->when)
			m = c + 1;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

void
ev_timer_del(struct ev_loop *l, struct ev_timer *t)
{
	int i = t->idx;

	if (i < 0)
		return;
	t->idx = -1;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->idx = i;
	heap_down(l, i);
	heap_up(l, i);
}

void
ev_timer_set(struct ev_loop *l, struct ev_timer *t, int64_t when)
{
	if (t->idx >= 0) {
		int64_t old = t->when;
		t->when = when;
		if (when < old)
			heap_up(l, t->idx);
		else
			heap_down(l, t->idx);
		return;
	}
	if (l->nheap == l->capheap) {
		int cap = l->capheap ? l->capheap * 2 : 64;
		struct ev_timer **h = realloc(l->heap, (size_t)cap * sizeof(*h));
		if (!h) {   /* out of memory: fire at once rather than never */
			t->when = when;
			t->cb(l, t);
			return;
		}
		l->heap = h;
		l->capheap = cap;
	}
	t->when = when;
	t->idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->idx);
}

/* cb and arg appended to h[0..*n), at most cap: 0, or -1 (ENOSPC) */
static int
hook_add(struct ev_hook *h, int *n, int cap, ev_hook_cb *cb, void *arg)
{
	if (*n >= cap) {
		errno = ENOSPC;
		return -1;
	}
	h[*n].cb = cb;
	h[*n].arg = arg;
	(*n)++;
	return 0;
}

int
ev_after(struct ev_loop *l, ev_hook_cb *cb, void *arg)
{
	return hook_add(l->hooks, &l->nhooks, EV_HOOKS, cb, arg);
}

int
ev_idle(struct ev_loop *l, ev_hook_cb *cb, void *arg)
{
	int i;

	for (i = 0; i < l->nidle; i++)
		if (l->idle[i].cb == cb && l->idle[i].arg == arg)
			return 0;
	return hook_add(l->idle, &l->nidle, EV_IDLE, cb, arg);
}

static void
run_idle(struct ev_loop *l)
{
	struct ev_hook run[EV_IDLE];
	int i, n = l->nidle;

	memcpy(run, l->idle, sizeof(run[0]) * (size_t)n);
	l->nidle = 0;   /* each asks again for more */
	for (i = 0; i < n; i++)
		run[i].cb(l, run[i].arg);
}

static void
run_timers(struct ev_loop *l)
{
	int guard = 100000;   /* bounded: timers re-armed in the past cannot spin forever */

	while (l->nheap > 0 && l->heap[0]->when <= l->now && guard-- > 0) {
		struct ev_timer *t = l->heap[0];
		ev_timer_del(l, t);
		t->cb(l, t);
	}
}

int
ev_run_once(struct ev_loop *l, int max_wait_ms)
{
	int n, i, wait = max_wait_ms, handled = 0;
	struct ev_io *rq;

	if (l->rq_head || l->nidle)
		wait = 0;
	else if (l->nheap > 0) {
		int64_t d = l->heap[0]->when - now_ms();
		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = (int)(d > 3600000 ? 3600000 : d);
	}
	n = epoll_wait(l->epfd, l->evs, EV_BATCH, wait);
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	l->now = now_ms();
	/* replays queued by the previous turn go first, then fresh events */
	rq = l->rq_head;
	l->rq_head = l->rq_tail = NULL;
	while (rq) {
		struct ev_io *io = rq;
		unsigned ev = io->rq_events;
		rq = io->rnext;
		io->rnext = NULL;
		io->rq_events = 0;
		if (io->fd >= 0 && ev) {
			io->cb(l, io, ev);
			handled++;
		}
	}
	for (i = 0; i < n; i++) {
		struct ev_io *io = l->evs[i].data.ptr;
		if (io->fd < 0)   /* deleted earlier in this batch */
			continue;
		io->cb(l, io, l->evs[i].events);
		handled++;
	}
	run_timers(l);
	for (i = 0; i < l->nhooks; i++)
		l->hooks[i].cb(l, l->hooks[i].arg);
	if (!handled && l->nidle)
		run_idle(l);
	return handled;
}

int
ev_client_add(struct ev_loop *l, struct ev_clients *s, struct ev_client *k, int fd, ev_io_cb *on_io,
    ev_timer_cb *on_tmo, void *arg, int64_t deadline)
{
	k->io.fd = -1;
	ev_timer_init(&k->tmo, on_tmo, arg);
	if (ev_io_add(l, &k->io, fd, EPOLLIN, on_io, arg) < 0)
		return -1;
	k->prev = NULL;
	k->next = s->head;
	if (s->head)
		s->head->prev = k;
	s->head = k;
	s->n++;
	ev_timer_set(l, &k->tmo, deadline);
	return 0;
}

void
ev_client_del(struct ev_loop *l, struct ev_clients *s, struct ev_client *k)
{
	ev_timer_del(l, &k->tmo);
	if (k->io.fd >= 0) {
		int fd = k->io.fd;

		ev_io_del(l, &k->io);
		close(fd);
	}
	if (k->prev)
		k->prev->next = k->next;
	else
		s->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	s->n--;
}

void
ev_run(struct ev_loop *l)
{
	l->stop = 0;
	while (!l->stop)
		if (ev_run_once(l, -1) < 0)
			break;
}
