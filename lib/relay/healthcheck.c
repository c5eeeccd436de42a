/*
 * healthcheck: health probes and hysteresis (healthcheck.h); the state file
 * they write is lib/store/healthstate.c.
 *
 * The shape follows relayd's hce.c / check_tcp.c: each check is a chain of
 * small callbacks (hc_start -> hc_resolved -> hc_connected -> hc_write ->
 * hc_read) driven by one epoll loop with absolute deadlines, and every exit
 * path calls hc_done(host, code).
 */
#include "healthcheck.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include "balance.h"
#include "log.h"
#include "lookup.h"
#include "net.h"
#include "paths.h"
#include "transport.h"
#include "util.h"

int
hc_state_apply(const struct hc_state *s, const char *rule, struct lb *lb)
{
	int i, down = 0;

	for (i = 0; i < lb_count(lb); i++) {
		const struct hc_entry *e = hc_state_find(s, rule, lb_backend_id(lb, i));
		int up = e ? e->up : 1;

		lb_set_health(lb, i, up);
		down += !up;
	}
	return down;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int
hc_watch_open(const char *path)
{
	char dir[512], *slash, err[ERRLEN];
	int fd, saved;

	if (str_copy(dir, sizeof(dir), path) < 0 || path_dir_ready(path, err) < 0)
		return -1;
	if (!(slash = strrchr(dir, '/')))
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -1;
	/* the writer renames a new file over the old one: IN_MOVED_TO */
	if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
hc_watch_changed(int fd, const char *path)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *name = base_name(path);
	int changed = 0;
	ssize_t n;

	for (;;) {
		char *p;

		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return changed;
			return -1;
		}
		if (n == 0)
			return changed;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len && strcmp(ev->name, name) == 0))
				changed = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* ---------------------------------------------------------------- hosts */

int
hc_unescape(const char *s, char *out, size_t size, size_t *len, char *err)
{
	size_t n = 0;

	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '\\') {
			switch (*++s) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '0': c = '\0'; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
					char hex[3] = { s[1], s[2], '\0' };

					c = (int)strtol(hex, NULL, 16);
					s += 2;
					break;
				}
				/* fall through */
			default:
				snprintf(err, ERRLEN, "'\\%.1s' is not an escape: use \\r \\n \\t \\0 \\\\ or \\xHH",
				    *s ? s : "");
				return -1;
			}
		}
		if (n + 1 >= size) {
			snprintf(err, ERRLEN, "longer than %zu bytes", size - 1);
			return -1;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	*len = n;
	return 0;
}

/* Would the two checks send and expect the same bytes to the same place? */
static int
same_check(const struct hc_host *a, const struct hc_host *b)
{
	return strcmp(a->st.target, b->st.target) == 0 && strcmp(a->transport, b->transport) == 0 &&
	    a->proxy == b->proxy && strcmp(a->through, b->through) == 0 &&
	    strcmp(a->interface, b->interface) == 0 && a->sendlen == b->sendlen &&
	    memcmp(a->send, b->send, a->sendlen) == 0 && a->expectlen == b->expectlen &&
	    memcmp(a->expect, b->expect, a->expectlen) == 0;
}

int
hc_hosts_build(const struct store *st, const struct hc_state *prev, struct hc_host **out, size_t *n,
    char *err)
{
	struct hc_host *v = NULL;
	size_t cap = 0, cnt = 0, i, j, k;
	char why[ERRLEN];
	struct transport tp;

	for (i = 0; i < st->nrules; i++)
		if (st->rules[i].enabled && st->rules[i].failover)
			cap += st->rules[i].nremotes;
	if (cap && !(v = calloc(cap, sizeof(*v)))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *r = &st->rules[i];
		size_t first = cnt;   /* this rule's hosts start here */

		if (!r->enabled || !r->failover)
			continue;
		for (j = 0; j < r->nremotes; j++) {
			struct hc_host *h = &v[cnt];
			const struct hc_entry *pe;
			int dup = 0;

			memset(h, 0, sizeof(*h));
			h->fd = -1;
			strcpy(h->st.rule, r->name);
			hostport_format(&r->remotes[j].addr, h->st.target, sizeof(h->st.target));
			for (k = first; k < cnt && !dup; k++)   /* the same remote twice in one rule */
				dup = strcmp(v[k].st.target, h->st.target) == 0;
			if (dup)
				continue;
			h->addr = r->remotes[j].addr;
			h->same_as = -1;
			if (r->remote_transport && transport_parse(r->remote_transport, TRANSPORT_CLIENT, &tp, why) == 0 &&
			    (tp.ws || tp.tls))   /* else the plain TCP check, as the relay connects */
				snprintf(h->transport, sizeof(h->transport), "%s", r->remote_transport);
			h->proxy = (int)r->proxy_send;
			strcpy(h->through, r->through.host);
			strcpy(h->interface, r->interface);
			if (hc_unescape(r->health_send, h->send, sizeof(h->send), &h->sendlen, why) < 0 ||
			    hc_unescape(r->health_expect, h->expect, sizeof(h->expect), &h->expectlen, why) < 0) {
				snprintf(err, ERRLEN, "rule '%s': health_send or health_expect: %s", r->name, why);
				free(v);
				return -1;
			}
			h->fail_thr = store_rule_ms(st, r, r->health_fail, st->g.health_fail);
			h->ok_thr = store_rule_ms(st, r, r->health_ok, st->g.health_ok);
			h->cooldown_ms = store_rule_ms(st, r, r->health_cooldown, st->g.health_cooldown);
			h->st.up = 1;
			if ((pe = hc_state_find(prev, h->st.rule, h->st.target)) != NULL)
				h->st = *pe;
			cnt++;
		}
	}
	for (i = 1; i < cnt; i++)
		for (k = 0; k < i && v[i].same_as < 0; k++)
			if (v[k].same_as < 0 && same_check(&v[i], &v[k]))
				v[i].same_as = (long)k;
	*out = v;
	*n = cnt;
	return 0;
}

void
hc_hosts_free(struct hc_host *h, size_t n)
{
	size_t i;

	for (i = 0; h && i < n; i++)
		if (!h[i].done && (h[i].fd >= 0 || h[i].dns))
			hc_done(&h[i], HC_CONNECT_TIMEOUT);   /* closes; never left open */
	free(h);
}

int
hc_hosts_state(const struct hc_host *h, size_t n, struct hc_state *out)
{
	size_t i;

	out->n = 0;
	if (!(out->v = calloc(n ? n : 1, sizeof(*out->v))))
		return -1;
	for (i = 0; i < n; i++)
		out->v[i] = h[i].st;
	out->n = n;
	hc_state_sort(out);
	return 0;
}

/* ----------------------------------------------------------- hysteresis */

int
hc_judge(struct hc_host *h, enum hc_code code, int64_t now_wall)
{
	struct hc_entry *e = &h->st;
	const char *d = h->detail, *what = hc_code_text(code);

	if (code == HC_OK)
		e->why[0] = '\0';
	else if (*e->why) {   /* a tunnel's stage and words; the detail says it with the fix */
		what = *d ? d : e->why;
		d = "";
	}
	e->last_check = now_wall;
	e->reason = code;
	if (code == HC_OK) {
		e->oks += e->oks < 1000000000;
		e->fails = 0;
	} else {
		e->fails += e->fails < 1000000000;
		e->oks = 0;
	}
	if (e->up && code != HC_OK && e->fails >= h->fail_thr) {
		e->up = 0;
		e->last_change = now_wall;
		log_warn("rule %s: backend %s is down: %s%s%s (%ld consecutive failed checks)", e->rule, e->target,
		    what, *d ? ": " : "", d, e->fails);
		return -1;
	}
	if (!e->up && code == HC_OK && e->oks >= h->ok_thr && now_wall - e->last_change >= h->cooldown_ms) {
		long was = (long)((now_wall - e->last_change) / 1000);

		e->up = 1;
		e->last_change = now_wall;
		log_info("rule %s: backend %s is up: %ld consecutive good checks after %lds down", e->rule,
		    e->target, e->oks, was);
		return 1;
	}
	log_debug("rule %s: backend %s: %s%s%s (%s, %ld failed, %ld good in a row)", e->rule, e->target,
	    what, *d ? ": " : "", d, e->up ? "up" : "down", e->fails, e->oks);
	return 0;
}

/* ---------------------------------------------------------------- probes */

enum { PH_RESOLVE, PH_CONNECT, PH_WRITE, PH_READ };

struct hc_loop {
	int ep;
	struct hc_host *hosts;
	size_t active;
};

/* The loop is reached through the host during one hc_check_all run. */
static _Thread_local struct hc_loop *cur_loop;

static int
hc_wait(struct hc_host *h, int fd, uint32_t events, int add)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = ((uint64_t)(size_t)(h - cur_loop->hosts) << 32) | (uint32_t)fd;
	return epoll_ctl(cur_loop->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

static void
set_detail(struct hc_host *h, const char *what, int err)
{
	snprintf(h->detail, sizeof(h->detail), "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
}

int
hc_done(struct hc_host *h, enum hc_code code)
{
	if (h->done)
		return 0;
	h->done = 1;
	if (h->fd >= 0) {
		if (cur_loop)
			epoll_ctl(cur_loop->ep, EPOLL_CTL_DEL, h->fd, NULL);
		close(h->fd);
		h->fd = -1;
	}
	if (h->dns) {
		if (cur_loop)
			epoll_ctl(cur_loop->ep, EPOLL_CTL_DEL, h->dns->efd, NULL);
		lookup_put(h->dns);
		h->dns = NULL;
	}
	if (cur_loop && cur_loop->active)
		cur_loop->active--;
	return hc_judge(h, code, wall_ms());
}

static void hc_connect(struct hc_host *h);

static enum hc_code
connect_code(int err)
{
	switch (err) {
	case ECONNREFUSED: return HC_CONNECT_REFUSED;
	case ENETUNREACH: case EHOSTUNREACH: case EHOSTDOWN: case ENETDOWN: return HC_CONNECT_UNREACH;
	case ETIMEDOUT: return HC_CONNECT_TIMEOUT;
	default: return HC_CONNECT_FAIL;
	}
}

/* The reply so far, printable, for the log. */
void
hc_reply_detail(struct hc_host *h, const char *buf, size_t len)
{
	char txt[48];
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < sizeof(txt); i++) {
		unsigned char c = (unsigned char)buf[i];

		n += (size_t)snprintf(txt + n, sizeof(txt) - n, isprint(c) && c != '\\' ? "%c" : "\\x%02x", c);
	}
	snprintf(h->detail, sizeof(h->detail), "got '%s%s'", txt, i < len ? "..." : "");
}

int
hc_expect_step(const char *expect, size_t expectlen, size_t *off, const void *got, size_t n)
{
	if (n > expectlen - *off || memcmp(got, expect + *off, n) != 0)
		return -1;
	*off += n;
	return *off == expectlen;
}

static void
hc_read(struct hc_host *h)
{
	char buf[256];
	ssize_t r;

	for (;;) {
		r = recv(h->fd, buf, h->expectlen - h->off, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;   /* more to come, within the deadline */
			set_detail(h, "recv", errno);
			hc_done(h, HC_READ_FAIL);
			return;
		}
		if (r == 0) {
			snprintf(h->detail, sizeof(h->detail), "after %zu of %zu expected bytes", h->off, h->expectlen);
			hc_done(h, HC_READ_CLOSED);
			return;
		}
		switch (hc_expect_step(h->expect, h->expectlen, &h->off, buf, (size_t)r)) {
		case -1:
			hc_reply_detail(h, buf, (size_t)r);
			hc_done(h, HC_EXPECT_MISMATCH);
			return;
		case 1:
			hc_done(h, HC_OK);
			return;
		}
	}
}

static void
hc_start_read(struct hc_host *h)
{
	if (!h->expectlen) {
		hc_done(h, HC_OK);
		return;
	}
	h->phase = PH_READ;
	h->off = 0;
	if (hc_wait(h, h->fd, EPOLLIN, 0) < 0) {
		set_detail(h, "epoll", errno);
		hc_done(h, HC_READ_FAIL);
		return;
	}
	hc_read(h);   /* the greeting may be there already */
}

static void
hc_write(struct hc_host *h)
{
	ssize_t w;

	while (h->off < h->sendlen) {
		w = send(h->fd, h->send + h->off, h->sendlen - h->off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			set_detail(h, "send", errno);
			hc_done(h, HC_WRITE_FAIL);
			return;
		}
		h->off += (size_t)w;
	}
	hc_start_read(h);
}

static void
hc_connected(struct hc_host *h)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		if (connect_code(err) == HC_CONNECT_FAIL)
			set_detail(h, "connect", err);
		hc_done(h, connect_code(err));
		return;
	}
	if (h->sendlen) {
		h->phase = PH_WRITE;
		h->off = 0;
		hc_write(h);   /* EPOLLOUT stays armed until it is all out */
		return;
	}
	hc_start_read(h);
}

static int
bind_through(struct hc_host *h, int family)
{
	struct sockaddr_storage sa;
	socklen_t len;

	memset(&sa, 0, sizeof(sa));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;

		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, h->through, &s4->sin_addr) != 1)
			return errno = EAFNOSUPPORT, -1;
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;

		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, h->through, &s6->sin6_addr) != 1)
			return errno = EAFNOSUPPORT, -1;
		len = sizeof(*s6);
	}
	return bind(h->fd, (struct sockaddr *)&sa, len);
}

int
hc_socket(struct hc_host *h)
{
	int family = h->sa.ss_family;

	if ((h->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		set_detail(h, "socket", errno);
		return -1;
	}
	if (*h->interface && setsockopt(h->fd, SOL_SOCKET, SO_BINDTODEVICE, h->interface,
	    (socklen_t)strlen(h->interface)) < 0) {
		set_detail(h, "interface", errno);
		return -1;
	}
	if (*h->through && bind_through(h, family) < 0) {
		set_detail(h, "through", errno);
		return -1;
	}
	return h->fd;
}

static void
hc_connect(struct hc_host *h)
{
	h->phase = PH_CONNECT;
	if (hc_socket(h) < 0) {
		hc_done(h, HC_SOCKET_FAIL);   /* closes h->fd if it was made */
		return;
	}
	if (connect(h->fd, (struct sockaddr *)&h->sa, h->salen) == 0) {
		if (hc_wait(h, h->fd, EPOLLOUT, 1) < 0) {
			set_detail(h, "epoll", errno);
			hc_done(h, HC_SOCKET_FAIL);
			return;
		}
		hc_connected(h);
		return;
	}
	if (errno != EINPROGRESS) {
		if (connect_code(errno) == HC_CONNECT_FAIL)
			set_detail(h, "connect", errno);
		hc_done(h, connect_code(errno));
		return;
	}
	if (hc_wait(h, h->fd, EPOLLOUT, 1) < 0) {
		set_detail(h, "epoll", errno);
		hc_done(h, HC_SOCKET_FAIL);
	}
}

/* The answer j holds into h->sa (its first address), and j let go: HC_OK,
 * or HC_RESOLVE_FAIL with h->detail. */
static enum hc_code
take_answer(struct hc_host *h, struct lookup *j)
{
	enum hc_code code = HC_OK;

	if (j->rc != 0) {
		snprintf(h->detail, sizeof(h->detail), "%s: %s", h->addr.host, gai_strerror(j->rc));
		code = HC_RESOLVE_FAIL;
	} else {
		memcpy(&h->sa, &j->sa[0], sizeof(h->sa));
		h->salen = j->salen[0];
	}
	lookup_put(j);
	return code;
}

static void
hc_resolved(struct hc_host *h)
{
	struct lookup *j = h->dns;
	eventfd_t v;

	if (eventfd_read(j->efd, &v) < 0)
		return;   /* spurious */
	epoll_ctl(cur_loop->ep, EPOLL_CTL_DEL, j->efd, NULL);
	h->dns = NULL;
	if (take_answer(h, j) == HC_OK)
		hc_connect(h);
	else
		hc_done(h, HC_RESOLVE_FAIL);
}

/* h->sa for a numeric address: 1, or 0 for a name. */
static int
fill_numeric(struct hc_host *h)
{
	return addr_family_of(h->addr.host) && net_addr(h->addr.host, h->addr.port, &h->sa, &h->salen) == 0;
}

static struct lookup *
dns_for(struct hc_host *h)
{
	int family = addr_family_of(h->through);
	char port[8];

	snprintf(port, sizeof(port), "%u", (unsigned)h->addr.port);
	return lookup_start(h->addr.host, port, family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC, SOCK_STREAM, 0);
}

enum hc_code
hc_resolve_until(struct hc_host *h, int64_t deadline)
{
	struct lookup *j;

	if (fill_numeric(h))
		return HC_OK;
	if (!(j = dns_for(h))) {
		set_detail(h, "resolver thread", errno);
		return HC_RESOLVE_FAIL;
	}
	if (lookup_wait(j, deadline))
		return take_answer(h, j);
	snprintf(h->detail, sizeof(h->detail), "%s: no answer in time", h->addr.host);
	lookup_put(j);   /* the thread frees it when it ends later */
	return HC_RESOLVE_TIMEOUT;
}

static void
hc_start(struct hc_host *h, int64_t timeout_ms)
{
	h->done = 0;
	h->fd = -1;
	h->detail[0] = '\0';
	h->st.why[0] = '\0';
	h->deadline = now_ms() + timeout_ms;
	cur_loop->active++;
	if (fill_numeric(h)) {
		hc_connect(h);
		return;
	}
	h->phase = PH_RESOLVE;
	if (!(h->dns = dns_for(h))) {
		set_detail(h, "resolver thread", errno);
		hc_done(h, HC_RESOLVE_FAIL);
		return;
	}
	if (hc_wait(h, h->dns->efd, EPOLLIN, 1) < 0) {
		set_detail(h, "epoll", errno);
		hc_done(h, HC_RESOLVE_FAIL);
	}
}

static void
hc_dispatch(struct hc_host *h, int fd)
{
	/* re-check: the event must be for what this host waits on now */
	if (h->done)
		return;
	if (h->phase == PH_RESOLVE) {
		if (h->dns && fd == h->dns->efd)
			hc_resolved(h);
		return;
	}
	if (fd != h->fd)
		return;
	switch (h->phase) {
	case PH_CONNECT: hc_connected(h); break;
	case PH_WRITE: hc_write(h); break;
	case PH_READ: hc_read(h); break;
	}
}

static const enum hc_code timeout_code[] = {
	[PH_RESOLVE] = HC_RESOLVE_TIMEOUT,
	[PH_CONNECT] = HC_CONNECT_TIMEOUT,
	[PH_WRITE] = HC_WRITE_TIMEOUT,
	[PH_READ] = HC_READ_TIMEOUT,
};

/* Tunnel checks are synchronous (healthcheck_tunnel.c): a few threads take them in turn. */
struct tun_pool {
	struct hc_host *hosts;
	size_t *idx, n;
	atomic_size_t next;
	long timeout_ms;
};

static void *
tun_worker(void *arg)
{
	struct tun_pool *p = arg;
	size_t k;

	while ((k = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct hc_host *h = &p->hosts[p->idx[k]];

		h->code = hc_tunnel_check(h, p->timeout_ms);
	}
	return NULL;
}

/* Start the tunnel checks of the round; returns the threads started (the
 * caller joins them; what no thread took is left to tun_worker in the caller). */
static size_t
tun_start(struct tun_pool *p, pthread_t *t)
{
	size_t i, nt = 0;

	for (i = 0; i < p->n && nt < HC_TUN_THREADS; i++, nt++)
		if (pthread_create(&t[nt], NULL, tun_worker, p) != 0)
			break;
	return nt;
}

/* After the round: judge the tunnel checks, then the hosts that share a check. */
static void
judge_shared(struct hc_host *hosts, size_t n, const struct tun_pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct hc_host *h = &hosts[p->idx[i]];

		h->done = 1;
		hc_judge(h, h->code, wall_ms());
	}
	for (i = 0; i < n; i++) {
		struct hc_host *h = &hosts[i], *l;

		if (h->same_as < 0 || (size_t)h->same_as >= i)
			continue;
		l = &hosts[h->same_as];
		h->done = 1;
		memcpy(h->detail, l->detail, sizeof(h->detail));
		memcpy(h->st.why, l->st.why, sizeof(h->st.why));
		hc_judge(h, l->st.reason, l->st.last_check);
	}
}

int
hc_check_all(struct hc_host *hosts, size_t n, long timeout_ms, char *err)
{
	struct hc_loop loop = { -1, hosts, 0 };
	struct epoll_event evs[64];
	struct tun_pool pool = { hosts, NULL, 0, 0, timeout_ms };
	pthread_t threads[HC_TUN_THREADS];
	size_t next = 0, i, nthreads = 0;
	int rc = -1;

	if (n == 0)
		return 0;
	if (n > UINT32_MAX) {
		snprintf(err, ERRLEN, "too many backends");
		return -1;
	}
	if ((loop.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, ERRLEN, "epoll: %s", strerror(errno));
		return -1;
	}
	if (!(pool.idx = calloc(n, sizeof(*pool.idx)))) {
		snprintf(err, ERRLEN, "out of memory");
		close(loop.ep);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (hosts[i].same_as < 0 && *hosts[i].transport)
			pool.idx[pool.n++] = i;
	nthreads = tun_start(&pool, threads);
	cur_loop = &loop;
	for (;;) {
		int64_t now, soonest = -1;
		int k, nev, wait;

		while (loop.active < HC_INFLIGHT && next < n) {
			struct hc_host *h = &hosts[next++];

			if (h->same_as >= 0 || *h->transport)
				h->done = 1;   /* checked by a thread, or as another host */
			else
				hc_start(h, timeout_ms);
		}
		if (loop.active == 0 && next == n)
			break;
		now = now_ms();
		for (i = 0; i < next; i++)
			if (!hosts[i].done && (soonest < 0 || hosts[i].deadline < soonest))
				soonest = hosts[i].deadline;
		wait = soonest < 0 ? 0 : soonest <= now ? 0 : (int)(soonest - now);
		nev = epoll_wait(loop.ep, evs, (int)ARRAY_SIZE(evs), wait);
		if (nev < 0 && errno != EINTR) {
			snprintf(err, ERRLEN, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (k = 0; k < nev; k++) {
			size_t idx = (size_t)(evs[k].data.u64 >> 32);

			if (idx < next)
				hc_dispatch(&hosts[idx], (int)(uint32_t)evs[k].data.u64);
		}
		now = now_ms();
		for (i = 0; i < next; i++) {
			struct hc_host *h = &hosts[i];

			if (!h->done && h->deadline <= now) {
				snprintf(h->detail, sizeof(h->detail), "no answer within %ldms", timeout_ms);
				if (h->phase == PH_READ && h->off)
					snprintf(h->detail, sizeof(h->detail), "%zu of %zu expected bytes within %ldms",
					    h->off, h->expectlen, timeout_ms);
				hc_done(h, timeout_code[h->phase]);
			}
		}
	}
	rc = 0;
out:
	for (i = 0; i < next; i++)
		if (!hosts[i].done)
			hc_done(&hosts[i], HC_CONNECT_TIMEOUT);
	cur_loop = NULL;
	close(loop.ep);
	tun_worker(&pool);   /* whatever no thread took (none could start) */
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	if (rc == 0)
		judge_shared(hosts, n, &pool);
	free(pool.idx);
	return rc;
}
