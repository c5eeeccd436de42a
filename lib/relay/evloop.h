#ifndef XWPF_EV_H
#define XWPF_EV_H

/*
 * A small epoll loop in the style of Redis ae: one loop per thread, I/O
 * watchers embedded in their owners (so epoll carries a pointer, not an fd
 * index), timers on the monotonic clock in a binary heap, and "after batch"
 * hooks so owners can free themselves outside their own callbacks.
 *
 * A watcher whose fd was reset to -1 (ev_io_del) is skipped if events for it
 * are still pending in the current batch: owners must defer freeing the
 * memory to an after-batch hook (conn.c does).
 */
#include <stdint.h>
#include <sys/epoll.h>

struct ev_loop;
struct ev_io;
struct ev_timer;

typedef void ev_io_cb(struct ev_loop *l, struct ev_io *io, unsigned events);
typedef void ev_timer_cb(struct ev_loop *l, struct ev_timer *t);
typedef void ev_hook_cb(struct ev_loop *l, void *arg);

struct ev_io {
	int fd;              /* -1 when not registered */
	unsigned events;     /* registered EPOLL* mask */
	ev_io_cb *cb;
	void *arg;
	struct ev_io *rnext; /* run queue: watchers to call again next turn */
	unsigned rq_events;  /* events to replay; 0 = not queued */
};

struct ev_timer {
	int64_t when;        /* absolute, now_ms() clock */
	int idx;             /* heap slot, -1 when not armed */
	ev_timer_cb *cb;
	void *arg;
};

struct ev_loop *ev_new(void);
void ev_free(struct ev_loop *l);

/* Register fd with EPOLL* events (EPOLLET allowed); 0 / -1 errno. */
int ev_io_add(struct ev_loop *l, struct ev_io *io, int fd, unsigned events, ev_io_cb *cb, void *arg);
int ev_io_mod(struct ev_loop *l, struct ev_io *io, unsigned events);
/* Unregister (does not close); io->fd becomes -1. Harmless twice. */
void ev_io_del(struct ev_loop *l, struct ev_io *io);
/* Forget io without epoll_ctl: only when its fd is closed right after (close
 * removes it from epoll); saves a syscall per connection. Once
 * ev_spawns_children() was called it is ev_io_del. */
void ev_io_forget(struct ev_loop *l, struct ev_io *io);
/* The process spawns children (posix_spawn): from now on, for good and in
 * every loop, ev_io_forget takes the fd out of epoll. A child holds a copy of
 * every descriptor from its clone until its exec, and close() takes an fd out
 * of epoll only with its last copy: an event could then come for a watcher
 * whose memory is freed or serves another connection. Call it before the
 * loops run the descriptors that a spawn may copy. */
void ev_spawns_children(void);
/* Call io's callback again with events at the start of the next turn (fairness
 * for edge-triggered watchers that stopped before EAGAIN). */
void ev_io_requeue(struct ev_loop *l, struct ev_io *io, unsigned events);

void ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg);
/* Arm (or re-arm) at absolute time when (ms, monotonic). */
void ev_timer_set(struct ev_loop *l, struct ev_timer *t, int64_t when);
void ev_timer_del(struct ev_loop *l, struct ev_timer *t);
static inline int ev_timer_armed(const struct ev_timer *t) { return t->idx >= 0; }

/* A client of a small server on the loop (the control socket, the metrics
 * endpoint): its socket's watcher, its deadline, its place in the server's
 * list (ev_clients: the head and how many). Embedded in the server's own
 * client, whose pointer is the arg of both callbacks. */
struct ev_client {
	struct ev_io io;
	struct ev_timer tmo;
	struct ev_client *next, *prev;
};
struct ev_clients {
	struct ev_client *head;
	int n;
};
/* Watch fd for EPOLLIN (on_io), arm the deadline (absolute, on_tmo) and put
 * k first in s: 0, or -1 (errno) with k in no list and fd left open. */
int ev_client_add(struct ev_loop *l, struct ev_clients *s, struct ev_client *k, int fd, ev_io_cb *on_io,
    ev_timer_cb *on_tmo, void *arg, int64_t deadline);
/* Disarm, stop watching and close its socket, take it out of s (k's memory stays the caller's). */
void ev_client_del(struct ev_loop *l, struct ev_clients *s, struct ev_client *k);

/* A hook called once after every batch of events (deferred frees, flushes). */
int ev_after(struct ev_loop *l, ev_hook_cb *cb, void *arg);

/* Work for when the loop has nothing else to do: cb(l, arg) runs once, after
 * a turn that found no event (while some is pending, turns poll without
 * waiting); it asks again for more. The same cb and arg twice is one
 * request. 0, or -1 (ENOSPC: more than EV_IDLE kinds pending). */
int ev_idle(struct ev_loop *l, ev_hook_cb *cb, void *arg);

/* The cached clock of this turn (ms, monotonic). */
int64_t ev_now(struct ev_loop *l);
/* One turn: wait at most max_wait_ms (-1 forever, capped by timers), dispatch.
 * Returns events handled, or -1 on a fatal epoll error. */
int ev_run_once(struct ev_loop *l, int max_wait_ms);
/* Turn until ev_stop(). */
void ev_run(struct ev_loop *l);
void ev_stop(struct ev_loop *l);

#endif
