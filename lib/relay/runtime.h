#ifndef XWPF_RELAY_RT_H
#define XWPF_RELAY_RT_H

/*
 * The relay's runtime, the main thread's side: the running rule set built
 * from the store (rules.h), its listeners, the workers (worker.h), reload,
 * counters. Driven by applets/relay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "rules.h"

struct rt;
/* Start nworkers event-loop threads (no rules yet). NULL + err. */
struct rt *rt_new(int nworkers, const struct store_global *g, char *err);
/* Make st's enabled rules the running set: opens what is new, keeps
 * listeners whose address did not change, hands changed rules to new
 * connections, closes removed listeners (their connections drain). A
 * listener that cannot bind (port taken, address not there yet) does not
 * stop the others: it is logged once per rule, shown in the stats
 * ("state") and tried again by rt_retry_binds(). 0 ok: the relay owns *st
 * now (the caller's copy is emptied); -1 with err (out of memory), the old
 * set untouched and *st still the caller's. */
int rt_apply(struct rt *rt, struct store *st, char *err);
size_t rt_nrules(const struct rt *rt);
size_t rt_nlisteners(const struct rt *rt);
/* Listeners (one per port and protocol) still waiting to bind. */
size_t rt_npending(const struct rt *rt);
/* Main thread, from a timer (about once a second): try again the listeners
 * whose time has come; at most a bounded number of binds per call, never
 * blocking. Returns how many still wait. */
size_t rt_retry_binds(struct rt *rt);
/* Called once each time a listener of a rule starts failing to bind (not
 * again on every retry): the seam for on_event "bind_failed". detail is the
 * logged reason. NULL cb: nothing is called. */
typedef void rt_bind_failed_cb(void *arg, const char *rule, const char *detail);
void rt_on_bind_failed(struct rt *rt, rt_bind_failed_cb *cb, void *arg);
int rt_nworkers(const struct rt *rt);
/* CPU-local accepts ([global] cpu_affinity, docs/relay.md): 1 when workers
 * are pinned and listener groups steered; the note says which CPUs, or why
 * not ("on (CPUs 0,1: one worker each, in that order)", "off (3 workers, 2 CPUs allowed: ...)"). */
int rt_steering(const struct rt *rt);
const char *rt_steer_note(const struct rt *rt);
/* TCP connections worker k accepted (the running rules'). */
uint64_t rt_worker_conns(const struct rt *rt, int k);
/* Main thread, about once a second: when steering puts nearly all of a
 * window's connections on one worker (the network card's interrupts land on
 * one CPU), say so once, with what to do. */
void rt_steer_watch(struct rt *rt, int64_t now_ms);
/* The stats file (JSON, one rule per line), written atomically, mode 0600. */
int rt_stats_write(struct rt *rt, const char *path, int64_t started_wall_ms, char *err);
/* The same text into f (the control socket's "status"). */
void rt_stats_render(struct rt *rt, int64_t started_wall_ms, FILE *f);
/* The same counters as Prometheus text (lib/relay/metrics.h) into p, summed over
 * the workers: relay, per rule (label rule), per backend (rule, backend).
 * Main thread only. 0, or -1 (out of memory; p->failed). */
struct prom;
int rt_metrics_write(struct rt *rt, struct prom *p, int64_t started_wall_ms);
/* Health state from the health applet's file: every worker's balancers take
 * it (lb_set_health), now and after each reload. Takes ownership of *hs. */
struct hc_state;
void rt_health(struct rt *rt, struct hc_state *hs);
/* The rule's counters summed over the workers. */
void rt_rule_sum(const struct rt *rt, const struct rt_rule *r, struct rt_counters *out);
/* The running rules (main thread). */
struct rt_rule *const *rt_rules(const struct rt *rt, size_t *n);
/* Rules a reload removed while their connections drain: their bytes are
 * the ledger's until the last one is counted (main thread). Off until
 * rt_keep_retired() (a relay without a ledger drops them at once). */
void rt_keep_retired(struct rt *rt);
struct rt_rule *const *rt_retired(const struct rt *rt, size_t *n);
/* Connections or listeners still hold the rule (a retired rule that is not
 * draining moves no more bytes). */
int rt_rule_draining(const struct rt_rule *r);
/* Forget a retired rule: its last counts are in the ledger. */
void rt_retired_drop(struct rt *rt, struct rt_rule *r);
/* The health state last given to rt_health, NULL before. */
const struct hc_state *rt_health_state(const struct rt *rt);
/* the rule's first listener group waiting to bind (NULL: all bound); *waiting: how many wait */
const struct rt_lgroup *rt_first_pending(const struct rt_rule *r, size_t *waiting);
/* Every worker closes what a stopped quota no longer allows. */
void rt_kick(struct rt *rt);
/* Stop accepting, close every connection, join the workers; the counters
 * stay readable (the last ledger flush). */
void rt_stop(struct rt *rt);
/* rt_stop() if not done, then free. */
void rt_free(struct rt *rt);

#endif
