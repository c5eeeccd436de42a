/* The relay's control socket (control.h): the server on the main thread's
 * loop, the client the other applets use, and the reload's summary. */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "evloop.h"
#include "runtime.h"
#include "util.h"

struct cclient {
	struct ctl *c;
	struct ev_client ec;       /* its socket, deadline and place in c->clients */
	char in[CTL_REQ_MAX];
	size_t inlen;
	char *out;                 /* the answer, being written */
	size_t outlen, off;
	size_t drained;            /* answered: what the client sent after, read and dropped */
};

struct ctl {
	struct ev_loop *l;
	struct ev_io lio;
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;                 /* the socket file made, removed only while it is still that one */
	ino_t ino;
	ctl_handler_fn *fn;
	void *arg;
	struct ev_clients clients;
};

static void
client_free(struct cclient *k)
{
	struct ctl *c = k->c;

	ev_client_del(c->l, &c->clients, &k->ec);
	free(k->out);
	free(k);
	if (c->lio.fd >= 0 && !c->lio.events)   /* a place again: the queued connections in turn */
		ev_io_mod(c->l, &c->lio, EPOLLIN);
}

static void
on_timeout(struct ev_loop *l, struct ev_timer *t)
{
	(void)l;
	client_free(t->arg);
}

/* Send what is left: 1 done, 0 wait for EPOLLOUT, -1 error. */
static int
flush_out(struct cclient *k)
{
	for (int guard = 0; guard < 4096 && k->off < k->outlen; guard++) {
		ssize_t w = send(k->ec.io.fd, k->out + k->off, k->outlen - k->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		k->off += (size_t)w;
	}
	return k->off >= k->outlen ? 1 : 0;
}

/* The answer to the request in k->in (NUL-terminated, the newline gone). */
static void
answer(struct cclient *k)
{
	struct ctl *c = k->c;
	char *body = NULL;
	size_t blen = 0, i;
	FILE *f = open_memstream(&body, &blen);
	int rc = -1;

	for (i = 0; k->in[i]; i++)
		if (!((k->in[i] >= 'a' && k->in[i] <= 'z') || k->in[i] == '-'))
			break;
	if (f) {
		if (k->in[i] || !i)
			fprintf(f, "a request is one word and a newline (status, reload or stop)\n");
		else if ((rc = c->fn(c->arg, k->in, f)) < 0)
			fprintf(f, "unknown command '%s': status, reload or stop\n", k->in);
		if (fclose(f) != 0) {
			free(body);
			body = NULL;
		}
	}
	if (!body || blen > CTL_ANSWER_MAX || asprintf(&k->out, "%s\n%s", rc == 0 ? "ok" : "error", body) < 0) {
		k->out = NULL;
		if (asprintf(&k->out, "error\nthe answer could not be made (out of memory)\n") < 0)
			k->out = NULL;
	}
	free(body);
	k->outlen = k->out ? strlen(k->out) : 0;
}

/* Answered: the client's EOF (or 64 KiB of whatever it still sends) before
 * the close, so that unread bytes do not turn the answer into a reset. */
static void
drain(struct cclient *k)
{
	char buf[4096];

	for (int guard = 0; guard < 16; guard++) {
		ssize_t n = recv(k->ec.io.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || (k->drained += (size_t)n) > 65536)
			break;
	}
	client_free(k);
}

static void
on_client(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct cclient *k = io->arg;
	int r;

	if (k->out && k->off >= k->outlen) {
		drain(k);
		return;
	}
	if (!k->out) {
		int done = 0;

		for (int guard = 0; guard < 16 && !done; guard++) {
			ssize_t n = recv(io->fd, k->in + k->inlen, sizeof(k->in) - 1 - k->inlen, MSG_DONTWAIT);
			char *nl;

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0) {   /* closed before a whole request, or an error */
				client_free(k);
				return;
			}
			k->inlen += (size_t)n;
			k->in[k->inlen] = '\0';
			if ((nl = memchr(k->in, '\n', k->inlen))) {
				*nl = '\0';
				done = 1;
			} else if (k->inlen == sizeof(k->in) - 1) {
				snprintf(k->in, sizeof(k->in), "!");   /* too long: no command */
				done = 1;
			}
		}
		if (!done)
			return;
		answer(k);
		ev_timer_set(l, &k->ec.tmo, ev_now(l) + CTL_WRITE_MS);
		events = EPOLLOUT;
	}
	r = (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLOUT) ? -1 : flush_out(k);
	if (r > 0 && shutdown(io->fd, SHUT_WR) == 0 && ev_io_mod(l, io, EPOLLIN) == 0)
		drain(k);
	else if (r != 0 || (io->events != EPOLLOUT && ev_io_mod(l, io, EPOLLOUT) < 0))
		client_free(k);
}

/* root and the relay's own user only (the folder keeps others out already) */
static int
peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void
listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct ctl *c = io->arg;

	(void)events;
	for (int i = 0; i < 16; i++) {
		struct cclient *k;
		int fd;

		if (c->clients.n >= CTL_CLIENTS) {   /* full: the next wait in the listen queue, unaccepted */
			ev_io_mod(l, &c->lio, 0);
			return;
		}
		if ((fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;   /* EAGAIN, or out of descriptors: the next connect tries again */
		}
		if (!peer_allowed(fd) || !(k = calloc(1, sizeof(*k)))) {
			close(fd);
			continue;
		}
		k->c = c;
		/* the deadline absolute: trickling cannot stretch it */
		if (ev_client_add(l, &c->clients, &k->ec, fd, on_client, on_timeout, k, ev_now(l) + CTL_READ_MS) < 0) {
			close(fd);
			free(k);
		}
	}
}

static int
fill_addr(const char *path, struct sockaddr_un *sa, char *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, ERRLEN, "%s: the path is too long for a unix socket (%zu bytes at most)", path,
		    sizeof(sa->sun_path) - 1);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* A socket of ours left by a relay that was killed goes; anything else stays and refuses. */
static int
clear_stale(const char *path, char *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (snprintf(err, ERRLEN, "%s: %s", path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, ERRLEN, "%s is not a socket of uid %ld: remove it (the relay makes its control socket there)",
		    path, (long)geteuid());
		errno = EEXIST;
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, ERRLEN, "cannot remove the stale %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_at(struct ctl *c, const char *path, char *err)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int rc;

	if (fill_addr(path, &sa, err) < 0 || clear_stale(path, err) < 0)
		return -1;
	if ((c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, ERRLEN, "cannot make a unix socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);   /* born 0600: no moment with a wider mode */
	rc = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    ((st.st_mode & 0777) != 0600 && chmod(path, 0600) < 0) || listen(c->lfd, CTL_CLIENTS) < 0) {
		snprintf(err, ERRLEN, "cannot listen on %s: %s", path, strerror(errno));
		if (rc == 0)
			unlink(path);
		return -1;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

struct ctl *
ctl_open(struct ev_loop *l, const char *path, ctl_handler_fn *fn, void *arg, char *err)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, ERRLEN, "out of memory");
		return NULL;
	}
	c->l = l;
	c->fn = fn;
	c->arg = arg;
	c->lio.fd = -1;
	c->lfd = -1;
	if (listen_at(c, path, err) < 0) {
		ctl_close(c);
		return NULL;
	}
	if (ev_io_add(l, &c->lio, c->lfd, EPOLLIN, listener_cb, c) < 0) {
		snprintf(err, ERRLEN, "cannot watch %s: %s", path, strerror(errno));
		ctl_close(c);
		return NULL;
	}
	return c;
}

void
ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->clients.head)
		client_free(c->clients.head->io.arg);
	ev_io_del(c->l, &c->lio);
	if (c->lfd >= 0)
		close(c->lfd);
	if (*c->path && lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c);
}

/* ---- the client ---- */

static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left = deadline - now_ms();
	int n;

	if (left <= 0)
		return 0;
	n = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
	return n < 0 && errno != EINTR ? -1 : 1;
}

static int
read_answer(int fd, int64_t deadline, char **answer, int *ok, char *err)
{
	char *buf = NULL, *nl;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *b = cap + 65536 > CTL_ANSWER_MAX + 64 ? NULL : realloc(buf, cap + 65536);
			if (!b) {
				free(buf);
				snprintf(err, ERRLEN, "the relay's answer is too large");
				errno = EFBIG;
				return -1;
			}
			buf = b;
			cap += 65536;
		}
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLIN, deadline) > 0))
			continue;
		snprintf(err, ERRLEN, "no answer from the relay: %s", errno == EAGAIN ? "timed out" : strerror(errno));
		free(buf);
		errno = errno == EAGAIN ? ETIMEDOUT : errno;
		return -1;
	}
	buf[len] = '\0';
	if (!len) {
		free(buf);
		snprintf(err, ERRLEN, "the relay closed the control connection unanswered (only root and the user "
		    "the relay runs as may use it)");
		errno = ECONNRESET;
		return -1;
	}
	if (!(nl = strchr(buf, '\n')) || (strncmp(buf, "ok\n", 3) != 0 && strncmp(buf, "error\n", 6) != 0)) {
		free(buf);
		snprintf(err, ERRLEN, "the relay's answer makes no sense (an older relay?)");
		errno = EPROTO;
		return -1;
	}
	*ok = buf[0] == 'o';
	memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf) + 1);
	*answer = buf;
	return 0;
}

int
ctl_request(const char *path, const char *cmd, long timeout_ms, char **answer, int *ok, char *err)
{
	struct sockaddr_un sa;
	int64_t deadline = now_ms() + timeout_ms;
	char req[CTL_REQ_MAX];
	int fd, n, rc;

	*answer = NULL;
	n = snprintf(req, sizeof(req), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(req) || fill_addr(path, &sa, err) < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, ERRLEN, "cannot make a unix socket: %s", strerror(errno));
		return -1;
	}
	while ((rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && (errno == EINTR ||
	    (errno == EAGAIN && now_ms() < deadline && usleep(20000) == 0)))
		;
	if (rc < 0) {
		int e = errno;
		snprintf(err, ERRLEN, "cannot connect to %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {   /* a few bytes into an empty buffer */
		int e = errno;
		snprintf(err, ERRLEN, "cannot send to %s: %s", path, strerror(e));
		close(fd);
		errno = e == ENOENT || e == ECONNREFUSED ? EPIPE : e;
		return -1;
	}
	rc = read_answer(fd, deadline, answer, ok, err);
	close(fd);
	return rc;
}

/* ---- what a reload changed ---- */

static int
snap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_snap_rule *)a)->name, ((const struct ctl_snap_rule *)b)->name);
}

int
ctl_snap_take(const struct rt *rt, struct ctl_snap *s)
{
	size_t n, i;
	struct rt_rule *const *rules = rt_rules(rt, &n);

	memset(s, 0, sizeof(*s));
	if (!(s->v = calloc(n + 1, sizeof(*s->v))))
		return -1;
	for (i = 0; i < n; i++, s->n++)
		if (!(s->v[i].name = strdup(rules[i]->r->name)) || !(s->v[i].fp = strdup(rules[i]->fp ? rules[i]->fp : ""))) {
			s->n++;
			ctl_snap_free(s);
			return -1;
		}
	qsort(s->v, s->n, sizeof(*s->v), snap_cmp);
	return 0;
}

static int
name_cmp(const void *name, const void *rule)
{
	return strcmp(name, ((const struct ctl_snap_rule *)rule)->name);
}

static const struct ctl_snap_rule *
snap_find(const struct ctl_snap *s, const char *name)
{
	return s->n ? bsearch(name, s->v, s->n, sizeof(*s->v), name_cmp) : NULL;
}

void
ctl_snap_diff(const struct ctl_snap *before, const struct rt *rt, char *buf, size_t size)
{
	size_t n, i, cnt[3] = { 0 }, kept = 0, off = 0;
	struct rt_rule *const *rules = rt_rules(rt, &n);
	static const char *const what[3] = { "changed", "added", "removed" };
	int k, first = 1;

	for (i = 0; i < n; i++) {
		const struct ctl_snap_rule *was = snap_find(before, rules[i]->r->name);

		if (!was)
			cnt[1]++;
		else {
			kept++;
			if (strcmp(was->fp, rules[i]->fp ? rules[i]->fp : "") != 0)
				cnt[0]++;
		}
	}
	cnt[2] = before->n - kept;
	*buf = '\0';
	for (k = 0; k < 3; k++) {
		int w;

		if (!cnt[k])
			continue;
		w = snprintf(buf + off, size - off, "%s%zu%s %s", first ? "" : ", ", cnt[k],
		    first ? (cnt[k] == 1 ? " rule" : " rules") : "", what[k]);
		if (w < 0 || (size_t)w >= size - off)
			return;
		off += (size_t)w;
		first = 0;
	}
	if (first)
		snprintf(buf, size, "nothing changed (%zu rule%s)", n, n == 1 ? "" : "s");
}

void
ctl_snap_free(struct ctl_snap *s)
{
	for (size_t i = 0; s->v && i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].fp);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
