/*
 * The runtime's listener groups (runtime_int.h): the sockets of one
 * (protocol, address, port) for every worker, why one cannot bind, and the
 * retries of those that wait (rt_retry_binds).
 */
#include "runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "steer.h"
#include "tunnel.h"
#include "util.h"

char *
rt_group_key(const struct store_rule *r, int proto, uint16_t port)
{
	char *k = NULL;

	if (asprintf(&k, "%c|%s|%u|%s|%d|%d", proto == PROTO_TCP ? 'T' : 'U', r->listen.host, port,
	    r->listen_interface, r->ipv6_only, proto == PROTO_TCP && (r->mptcp & MPTCP_ACCEPT)) < 0)
		return NULL;
	return k;
}

void
rt_lsn_close_unsent(struct rt_lsn **ls, int nw)
{
	int i;

	for (i = 0; i < nw; i++)
		if (ls[i]) {
			if (ls[i]->fd >= 0)
				close(ls[i]->fd);
			free(ls[i]);
			ls[i] = NULL;
		}
}

/* g's address for messages: "host:port", "[v6]:port", "[::]:port" for every address. */
static const char *
group_addr(const struct rt_rule *r, const struct rt_lgroup *g, char *buf, size_t size)
{
	const char *host = r->r->listen.host;

	snprintf(buf, size, strchr(host, ':') ? "[%s]:%u" : "%s:%u", *host ? host : "::", g->port);
	return buf;
}

/* Why g could not bind, for the log and the status: the kernel's reason
 * and what to do, with the program holding the port when /proc tells. */
static void
bind_reason(const struct rt_rule *r, const struct rt_lgroup *g, int e, const char *netmsg, char *out)
{
	const char *host = r->r->listen.host;
	char hp[300], who[128];
	const char *udp = g->proto == PROTO_UDP ? " (udp)" : "";

	group_addr(r, g, hp, sizeof(hp));
	if (e == EADDRINUSE && net_port_holder(g->proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, host, g->port,
	    who, sizeof(who)))
		snprintf(out, ERRLEN, "cannot listen on %s%s: %s (held by %s)", hp, udp, strerror(e), who);
	else if (e == EADDRINUSE)
		snprintf(out, ERRLEN, "cannot listen on %s%s: %s (another program holds the port)", hp, udp,
		    strerror(e));
	else if (e == EADDRNOTAVAIL)
		snprintf(out, ERRLEN, "cannot listen on %s%s: %s (no interface has that address yet)", hp, udp,
		    strerror(e));
	else
		snprintf(out, ERRLEN, "%s%s", netmsg, udp);
}

#ifndef STEER_UDP
#define STEER_UDP 0   /* UDP groups keep the kernel's hash: docs/relay.md says why */
#endif

/* A group with a socket per worker, made in worker order: each accept goes
 * to the worker on the CPU that received it (steer.h). A failure is logged
 * once; the group is then spread by the kernel's hash, as without steering. */
static void
group_steer(struct rt *rt, const struct rt_rule *r, const struct rt_lgroup *g)
{
	static int failed_logged;

	if (!rt->steer || g->only >= 0 || (g->proto == PROTO_UDP && !STEER_UDP))
		return;
	if (steer_attach(g->lsn[0]->fd, rt->cpus, rt->nworkers) == 0)
		return;
	if (g->proto == PROTO_TCP && (r->r->mptcp & MPTCP_ACCEPT))   /* MPTCP sockets do not take it */
		log_debug("rule %s: an MPTCP listener is spread by the kernel's hash (%s)", r->r->name, strerror(errno));
	else if (!__atomic_exchange_n(&failed_logged, 1, __ATOMIC_RELAXED))
		log_warn("rule %s: cannot steer accepts to the worker of the receiving CPU (SO_ATTACH_REUSEPORT_CBPF: "
		    "%s): the kernel spreads them by hash", r->r->name, strerror(errno));
}

/* only: -1 = one socket per worker (SO_REUSEPORT spreads clients), else the
 * one worker that serves this port (when sockets per worker would not fit
 * in the descriptor limit: ports are then spread over the workers).
 * 0 ok; -1 a socket could not be made or bound (err says why, no socket is
 * left open: the group can wait and be tried again); -2 out of memory. */
int
rt_group_open(struct rt *rt, struct rt_rule *r, struct rt_lgroup *g, int only, char *err)
{
	struct net_listen_spec s;
	int i, refused;
	static int mptcp_listen_logged;

	g->only = only;
	if (!g->lsn)
		g->lsn = calloc((size_t)rt->nworkers, sizeof(*g->lsn));
	if (!g->lsn) {
		snprintf(err, ERRLEN, "out of memory");
		return -2;
	}
	memset(&s, 0, sizeof(s));
	s.host = r->r->listen.host;
	s.port = g->port;
	s.type = g->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	s.v6only = r->r->ipv6_only;
	s.iface = r->r->listen_interface;
	s.mptcp = g->proto == PROTO_TCP && (r->r->mptcp & MPTCP_ACCEPT);
	s.fastopen = g->proto == PROTO_TCP && r->tun && r->tun->fastopen && r->tun->lsn.on ? TUN_FASTOPEN_QUEUE : 0;
	s.reuseport = 1;
	s.backlog = 4096;
	s.so = &r->so;
	s.cc = r->cc_listen;
	s.mptcp_refused = &refused;
	for (i = 0; i < rt->nworkers; i++) {
		struct rt_lsn *ls;
		char e2[ERRLEN];

		if (only >= 0 && i != only)
			continue;
		ls = calloc(1, sizeof(*ls));

		if (!ls) {
			snprintf(err, ERRLEN, "out of memory");
			return -2;
		}
		ls->fd = -1;
		ls->io.fd = -1;
		g->lsn[i] = ls;
		ls->fd = net_listen(&s, e2);
		if (refused && !__atomic_exchange_n(&mptcp_listen_logged, 1, __ATOMIC_RELAXED))
			log_warn("rule %s: the kernel refuses MPTCP listeners (net.mptcp.enabled=0 or no "
			    "MPTCP support): accepting plain TCP", r->r->name);
		if (ls->fd < 0) {
			int e = errno;

			bind_reason(r, g, e, e2, err);
			rt_lsn_close_unsent(g->lsn, rt->nworkers);
			errno = e;
			return -1;
		}
		ls->proto = g->proto;
		ls->port = g->port;
		ls->port_off = g->port_off;
		ls->w = &rt->w[i];
	}
	group_steer(rt, r, g);
	return 0;
}

size_t
rt_group_count(const struct rt_lgroup *g, int nw)
{
	size_t c = 0;
	int k;

	for (k = 0; g->lsn && k < nw; k++)
		c += g->lsn[k] != NULL;
	return c;
}

/* ---- listeners that could not bind ---- */

const struct rt_lgroup *
rt_first_pending(const struct rt_rule *r, size_t *waiting)
{
	const struct rt_lgroup *first = NULL;
	size_t j;

	*waiting = 0;
	for (j = 0; j < r->ngroups; j++)
		if (r->groups[j].pending) {
			(*waiting)++;
			if (!first)
				first = &r->groups[j];
		}
	return first;
}

/* The one place where a rule's listener starting to fail is reported: one
 * log line per rule (at start, on reload), then the hook, which is where
 * on_event "bind_failed" is to be fired (event_fire, lib/relay/events.h) once the
 * relay runs events. Retries that fail again stay quiet. */
void
rt_bind_failed(struct rt *rt, struct rt_rule *r, size_t waiting)
{
	const struct rt_lgroup *g = rt_first_pending(r, &waiting);
	char detail[ERRLEN + 64];

	if (!g)
		return;
	if (r->ngroups > 1)
		snprintf(detail, sizeof(detail), "%s (%zu of %zu listeners)", g->why ? g->why : "cannot listen",
		    waiting, r->ngroups);
	else
		snprintf(detail, sizeof(detail), "%s", g->why ? g->why : "cannot listen");
	log_warn("rule %s: %s; retrying every %d s", r->r->name, detail, RT_BIND_RETRY_MS / 1000);
	if (rt->bind_cb)
		rt->bind_cb(rt->bind_arg, r->r->name, detail);
}

void
rt_on_bind_failed(struct rt *rt, rt_bind_failed_cb *cb, void *arg)
{
	rt->bind_cb = cb;
	rt->bind_arg = arg;
}

size_t
rt_npending(const struct rt *rt)
{
	return rt->npending;
}

#define RT_BIND_RETRY_BATCH 64   /* binds tried per rt_retry_binds() call */

size_t
rt_retry_binds(struct rt *rt)
{
	int64_t now = now_ms();
	int budget = RT_BIND_RETRY_BATCH, added = 0, k;
	size_t i, j;
	char err[ERRLEN];

	for (i = 0; i < rt->nrules && rt->npending && budget > 0; i++) {
		struct rt_rule *r = rt->rules[i];

		for (j = 0; j < r->ngroups && budget > 0; j++) {
			struct rt_lgroup *g = &r->groups[j];
			int rc;

			if (!g->pending || g->next_try > now)
				continue;
			budget--;
			rc = rt_group_open(rt, r, g, g->only, err);
			if (rc < 0 || rt_group_count(g, rt->nworkers) == 0) {
				g->next_try = now + RT_BIND_RETRY_MS;
				if (rc == -1 && (!g->why || strcmp(g->why, err) != 0)) {   /* a new reason: status shows it */
					free(g->why);
					g->why = strdup(err);
				}
				continue;
			}
			for (k = 0; k < rt->nworkers; k++)
				if (g->lsn[k]) {
					rt_rule_ref(r);
					g->lsn[k]->rule = r;
					rt_worker_send(&rt->w[k], RT_ADD, g->lsn[k], NULL, NULL);
					rt->nlsn++;
				}
			added = 1;
			g->pending = 0;
			rt->npending--;
			log_info("rule %s: listening on %s%s now (could not bind before)", r->r->name,
			    group_addr(r, g, err, sizeof(err)), g->proto == PROTO_UDP ? " (udp)" : "");
			free(g->why);
			g->why = NULL;
		}
	}
	if (added)
		for (k = 0; k < rt->nworkers; k++)
			rt_worker_poke(&rt->w[k]);
	return rt->npending;
}
