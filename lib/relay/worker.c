#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "resolve.h"
#include "tunnel_pool.h"
#include "udp.h"
#include "util.h"

void
rt_worker_send(struct rt_worker *w, enum rt_msg_type type, struct rt_lsn *l, struct rt_rule *r,
    struct rt_health *h)
{
	struct rt_msg *m = calloc(1, sizeof(*m));

	if (!m) {   /* cannot tell the worker: keep going, the listener stays as it was */
		if (r)
			rt_rule_unref(r);
		if (h)
			rt_health_unref(h);
		return;
	}
	m->h = h;
	m->type = type;
	m->l = l;
	m->r = r;
	pthread_mutex_lock(&w->mu);
	if (w->q_tail)
		w->q_tail->next = m;
	else
		w->q_head = m;
	w->q_tail = m;
	pthread_mutex_unlock(&w->mu);
}

void
rt_worker_poke(struct rt_worker *w)
{
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already poked */
	}
}

void
rt_health_unref(struct rt_health *h)
{
	if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		hc_state_free(&h->s);
		free(h);
	}
}

/* The balancers this worker uses are those of its listeners' rules. */
static void
health_apply(struct rt_worker *w, struct rt_health *h)
{
	struct rt_lsn *ls;
	struct rt_rule *last = NULL;

	for (ls = w->lsns; ls; ls = ls->lnext)
		if (ls->rule != last) {
			last = ls->rule;
			hc_state_apply(&h->s, ls->rule->r->name, ls->rule->lb[w->id]);
		}
}

/* A kept listener takes its new rule's options; cc_was: the old rule
 * named a congestion control (then one no longer named means the system's). */
static void
lsn_sockopts(struct rt_lsn *ls, int cc_was)
{
	int v;

	if (ls->proto != PROTO_TCP)
		return;
	v = ls->rule->so.nodelay ? 1 : 0;
	setsockopt(ls->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
	v = ls->rule->so.ka_idle_ms > 0;
	setsockopt(ls->fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v));
	/* accepted sockets inherit it (no call per connection); a rule that
	 * no longer names one goes back to the system's */
	if (ls->rule->cc_listen[0] || cc_was) {
		char def[16] = "";
		const char *cc = ls->rule->cc_listen;

		if (!cc[0]) {
			(void)file_line("/proc/sys/net/ipv4/tcp_congestion_control", def, sizeof(def));
			cc = def;
		}
		if (cc[0])
			setsockopt(ls->fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc));
	}
	if (v)
		net_set_sockopts(ls->fd, &ls->rule->so);
}

static void
lsn_add(struct rt_worker *w, struct rt_lsn *ls)
{
	ev_timer_init(&ls->rearm, conn_listener_rearm, ls);
	ls->lprev = NULL;
	ls->lnext = w->lsns;
	if (w->lsns)
		w->lsns->lprev = ls;
	w->lsns = ls;
	if (ev_io_add(w->loop, &ls->io, ls->fd, EPOLLIN,
	    ls->proto == PROTO_TCP ? conn_listener_cb : udp_listener_cb, ls) < 0) {
		log_error("rule %s: cannot watch a listener: %s", ls->rule->r->name, strerror(errno));
		if (ls->proto == PROTO_TCP) {   /* retry from the timer */
			ls->paused = 1;
			ev_timer_set(w->loop, &ls->rearm, ev_now(w->loop) + 1000);
		}
	}
}

static void
lsn_del(struct rt_worker *w, struct rt_lsn *ls)
{
	if (ls->zombie)
		return;
	ev_io_del(w->loop, &ls->io);
	ev_timer_del(w->loop, &ls->rearm);
	if (ls->proto == PROTO_UDP)
		udp_listener_close(ls);
	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
	if (ls->lprev)
		ls->lprev->lnext = ls->lnext;
	else if (w->lsns == ls)
		w->lsns = ls->lnext;
	if (ls->lnext)
		ls->lnext->lprev = ls->lprev;
	ls->zombie = 1;
	ls->lnext = w->lzombies;
	w->lzombies = ls;
}

static void
worker_after(struct ev_loop *l, void *arg)
{
	struct rt_worker *w = arg;
	struct rt_lsn *ls;

	if (w->kick) {
		w->kick = 0;
		conn_worker_kick(w);
		udp_worker_kick(w);
	}
	conn_after_batch(l, w);
	udp_after_batch(w);
	tpool_after_batch(w);
	while ((ls = w->lzombies) != NULL) {
		w->lzombies = ls->lnext;
		rt_rule_unref(ls->rule);
		free(ls);
	}
}

static void
worker_msgs(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct rt_worker *w = io->arg;
	struct rt_msg *m, *next;
	uint64_t v;

	(void)events;
	if (read(w->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing */
	}
	pthread_mutex_lock(&w->mu);
	m = w->q_head;
	w->q_head = w->q_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	for (; m; m = next) {
		next = m->next;
		switch (m->type) {
		case RT_ADD:
			lsn_add(w, m->l);
			break;
		case RT_SET: {
			struct rt_rule *old = m->l->rule;
			int cc_was = old->cc_listen[0] != 0;
			m->l->rule = m->r;
			rt_rule_unref(old);
			lsn_sockopts(m->l, cc_was);
			break;
		}
		case RT_DEL:
			lsn_del(w, m->l);
			break;
		case RT_HEALTH:
			health_apply(w, m->h);
			rt_health_unref(m->h);
			break;
		case RT_KICK:
			conn_worker_kick(w);
			udp_worker_kick(w);
			break;
		case RT_STOP:
			while (w->lsns)
				lsn_del(w, w->lsns);
			conn_worker_close_all(w);
			w->stopping = 1;
			ev_stop(l);
			break;
		}
		free(m);
	}
	if (!w->stopping)
		conn_worker_dns(w);
}

static void *
worker_main(void *arg)
{
	struct rt_worker *w = arg;

	ev_run(w->loop);
	while (w->lsns)
		lsn_del(w, w->lsns);
	conn_worker_close_all(w);
	worker_after(w->loop, w);
	return NULL;
}

void
rt_worker_cleanup(struct rt_worker *w)
{
	struct rt_msg *m;

	while ((m = w->q_head) != NULL) {
		w->q_head = m->next;
		if (m->type == RT_ADD) {
			if (m->l->fd >= 0)
				close(m->l->fd);
			rt_rule_unref(m->l->rule);
			free(m->l);
		} else if (m->r)
			rt_rule_unref(m->r);
		if (m->h)
			rt_health_unref(m->h);
		free(m);
	}
	if (w->loop)
		tpool_worker_free(w);
	conn_worker_free(w);
	udp_worker_free(w);
	srclimit_free(&w->hs_src);
	if (w->loop) {
		if (w->eio.fd >= 0)
			ev_io_del(w->loop, &w->eio);
		ev_free(w->loop);
	}
	if (w->efd >= 0)
		close(w->efd);
	if (w->reserve_fd >= 0)
		close(w->reserve_fd);
	pthread_mutex_destroy(&w->mu);
}

void
rt_worker_init(struct rt_worker *w, int id)
{
	w->id = id;
	w->efd = -1;
	w->eio.fd = -1;
	w->reserve_fd = -1;
	pthread_mutex_init(&w->mu, NULL);
}

int
rt_worker_start(struct rt_worker *w, char *err)
{
	pthread_attr_t at;
	int rc;

	w->loop = ev_new();
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!w->loop || w->efd < 0 || ev_io_add(w->loop, &w->eio, w->efd, EPOLLIN, worker_msgs, w) < 0 ||
	    ev_after(w->loop, worker_after, w) < 0) {
		snprintf(err, ERRLEN, "cannot set up worker %d: %s", w->id, strerror(errno));
		return -1;
	}
	res_subscribe(rt_conf.res, w->efd);
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 128 * 1024);
	rc = pthread_create(&w->th, &at, worker_main, w);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		snprintf(err, ERRLEN, "cannot start worker %d: %s", w->id, strerror(rc));
		return -1;
	}
	w->last_emfile_log = -100000;
	w->last_through_log = -100000;
	w->started = 1;
	return 0;
}
