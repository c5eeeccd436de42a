#ifndef XWPF_RELAY_WORKER_H
#define XWPF_RELAY_WORKER_H

/*
 * The worker threads: each runs its own event loop (evloop.h) over the
 * listeners, connections and UDP associations it owns (rules.h). The main
 * thread talks to a worker only through its message queue (rt_worker_send)
 * and its eventfd (rt_worker_poke); messages are applied in order between
 * two event batches.
 */
#include "healthcheck.h"
#include "rules.h"

enum rt_msg_type { RT_ADD, RT_DEL, RT_SET, RT_STOP, RT_HEALTH, RT_KICK };
struct rt_msg {
	enum rt_msg_type type;
	struct rt_lsn *l;
	struct rt_rule *r;       /* RT_SET: new rule (a reference moves with it) */
	struct rt_health *h;     /* RT_HEALTH: a reference */
	struct rt_msg *next;
};

/* Health state shared by every worker's message: refcounted. */
struct rt_health {
	int refs;
	struct hc_state s;
};
void rt_health_unref(struct rt_health *h);

/* Queue a message (l, r, h as the type needs; a reference to r or h moves
 * with it). Out of memory: dropped, the references given back. */
void rt_worker_send(struct rt_worker *w, enum rt_msg_type type, struct rt_lsn *l, struct rt_rule *r,
    struct rt_health *h);
/* Wake the worker to read its queue. */
void rt_worker_poke(struct rt_worker *w);
/* Before any start: the fields that say "nothing to free". */
void rt_worker_init(struct rt_worker *w, int id);
/* Its loop, eventfd and thread: 0, or -1 with err. */
int rt_worker_start(struct rt_worker *w, char *err);
/* After the thread was joined (or never started): free what it holds. */
void rt_worker_cleanup(struct rt_worker *w);

#endif
