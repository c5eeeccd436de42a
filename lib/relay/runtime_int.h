#ifndef XWPF_RELAY_RT_INT_H
#define XWPF_RELAY_RT_INT_H

/*
 * Private to the runtime's files (runtime.c: the rule set and reload;
 * runtime_listen.c: listener groups, binds and their retries; relay_stats.c
 * reads through runtime.h only): the rt object and the listener groups'
 * steps rt_apply takes.
 */
#include "runtime.h"
#include "worker.h"

struct rt {
	int nworkers;
	struct rt_health *health;   /* the latest, re-sent after each reload */
	struct rt_worker *w;
	struct rt_rule **rules;
	size_t nrules;
	struct rt_rule **retired;   /* removed rules whose counts the ledger still owes */
	size_t nretired;
	int keep_retired;
	size_t nlsn;
	size_t npending;            /* listener groups waiting to bind */
	rt_bind_failed_cb *bind_cb;
	void *bind_arg;
	int steer;                  /* CPU-local accepts: worker k pinned to cpus[k] (steer.h) */
	int *cpus;                  /* [nworkers] when steer */
	char steer_note[160];       /* what rt_steer_note says */
	uint64_t *steer_base;       /* [nworkers]: connections each had at steer_since (rt_steer_watch) */
	int64_t steer_since;
	int steer_warned;
};

/* The key that says which old group a new one may take over: protocol,
 * address, port, interface, v6only, MPTCP. malloc'd, NULL out of memory. */
char *rt_group_key(const struct store_rule *r, int proto, uint16_t port);
/* Close and free listeners made but never handed to a worker. */
void rt_lsn_close_unsent(struct rt_lsn **ls, int nw);
/* only: -1 = one socket per worker (SO_REUSEPORT spreads clients), else the
 * one worker that serves this port. 0 ok; -1 a socket could not be made or
 * bound (err says why, none is left open: the group can wait and be tried
 * again); -2 out of memory. */
int rt_group_open(struct rt *rt, struct rt_rule *r, struct rt_lgroup *g, int only, char *err);
/* How many workers have a listener of g. */
size_t rt_group_count(const struct rt_lgroup *g, int nw);
/* A rule's listener started failing to bind (waiting groups): logged once,
 * and the bind_failed hook called. */
void rt_bind_failed(struct rt *rt, struct rt_rule *r, size_t waiting);

#endif
