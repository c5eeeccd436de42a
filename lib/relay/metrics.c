#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "evloop.h"
#include "net.h"
#include "util.h"

/* ---- the text writer ---- */

void
prom_init(struct prom *p)
{
	memset(p, 0, sizeof(*p));
}

void
prom_free(struct prom *p)
{
	size_t i;

	for (i = 0; i < p->nseen; i++)
		free(p->seen[i]);
	free(p->seen);
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static int
reserve(struct prom *p, size_t more)
{
	size_t cap;
	char *nb;

	if (p->failed)
		return -1;
	if (p->len + more + 1 <= p->cap)
		return 0;
	cap = p->cap ? p->cap : 4096;
	while (cap < p->len + more + 1) {
		if (cap > SIZE_MAX / 2)
			goto oom;
		cap *= 2;
	}
	if (!(nb = realloc(p->buf, cap)))
		goto oom;
	p->buf = nb;
	p->cap = cap;
	return 0;
oom:
	p->failed = 1;
	errno = ENOMEM;
	return -1;
}

/* The hot path of a render (10,000 rules: 350,000 samples): no call for room
 * that is there, a byte loop for the short pieces; the NUL is written by
 * end_line, once per line. */
static inline int
put(struct prom *p, const char *s, size_t n)
{
	char *d;

	if (p->len + n + 1 > p->cap && reserve(p, n) < 0)
		return -1;
	d = p->buf + p->len;
	if (n > 32)
		memcpy(d, s, n);
	else
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	p->len += n;
	return 0;
}

static int
end_line(struct prom *p)
{
	if (put(p, "\n", 1) < 0)
		return -1;
	p->buf[p->len] = '\0';   /* reserve keeps a byte for it */
	return 0;
}

static int
puts_(struct prom *p, const char *s)
{
	return put(p, s, strlen(s));
}

static int
name_chars(const char *s, int colon)
{
	const char *c;

	if (!s || !*s || strlen(s) >= PROM_NAME_MAX)
		return 0;
	for (c = s; *c; c++) {
		int alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || (colon && *c == ':');
		if (!alpha && !(c > s && *c >= '0' && *c <= '9'))
			return 0;
	}
	return 1;
}

int
prom_name_valid(const char *name)
{
	return name_chars(name, 1);
}

int
prom_label_name_valid(const char *name)
{
	return name_chars(name, 0) && strncmp(name, "__", 2) != 0;
}

int
prom_escape(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s; s++) {
		const char *rep = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
		size_t k = rep ? 2 : 1;
		if (n + k + 1 > size)
			return -1;
		if (rep)
			memcpy(out + n, rep, 2);
		else
			out[n] = *s;
		n += k;
	}
	if (n + 1 > size)
		return -1;
	out[n] = '\0';
	return (int)n;
}

/* HELP text: backslash and newline escaped (the format's rule for HELP). */
static int
put_help(struct prom *p, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' && put(p, "\\\\", 2) < 0)
			return -1;
		else if (*s == '\n' && put(p, "\\n", 2) < 0)
			return -1;
		else if (*s != '\\' && *s != '\n' && put(p, s, 1) < 0)
			return -1;
	}
	return 0;
}

static int
put_label_value(struct prom *p, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
		if (!rep)
			continue;
		if (put(p, run, (size_t)(s - run)) < 0 || put(p, rep, 2) < 0)
			return -1;
		run = s + 1;
	}
	return put(p, run, (size_t)(s - run));
}

static int
bad(struct prom *p)
{
	p->failed = 1;
	errno = EINVAL;
	return -1;
}

int
prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	size_t i, n;

	if (p->failed)
		return -1;
	if (!prom_name_valid(name) || !type ||
	    (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0 && strcmp(type, "untyped") != 0))
		return bad(p);
	n = strlen(name);
	if (strcmp(type, "counter") == 0 && (n < 6 || strcmp(name + n - 6, "_total") != 0))
		return bad(p);
	for (i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i], name) == 0)
			return bad(p);
	if (p->nseen == p->capseen) {
		size_t cap = p->capseen ? p->capseen * 2 : 32;
		char **v = realloc(p->seen, cap * sizeof(*v));
		if (!v)
			goto oom;
		p->seen = v;
		p->capseen = cap;
	}
	if (!(p->seen[p->nseen] = strdup(name)))
		goto oom;
	p->nseen++;
	memcpy(p->fam, name, n + 1);
	if (puts_(p, "# HELP ") < 0 || puts_(p, name) < 0 || put(p, " ", 1) < 0 || put_help(p, help ? help : "") < 0 ||
	    puts_(p, "\n# TYPE ") < 0 || puts_(p, name) < 0 || put(p, " ", 1) < 0 || puts_(p, type) < 0 ||
	    end_line(p) < 0)
		return -1;
	return 0;
oom:
	p->failed = 1;
	errno = ENOMEM;
	return -1;
}

static int
sample(struct prom *p, const struct prom_label *l, size_t nl, const char *value)
{
	size_t i;

	if (p->failed)
		return -1;
	if (!*p->fam)
		return bad(p);
	for (i = 0; i < nl; i++)
		if (!prom_label_name_valid(l[i].name) || !l[i].value)
			return bad(p);
	if (puts_(p, p->fam) < 0)
		return -1;
	for (i = 0; i < nl; i++)
		if (put(p, i ? "," : "{", 1) < 0 || puts_(p, l[i].name) < 0 || put(p, "=\"", 2) < 0 ||
		    put_label_value(p, l[i].value) < 0 || put(p, "\"", 1) < 0)
			return -1;
	if ((nl && put(p, "}", 1) < 0) || put(p, " ", 1) < 0 || puts_(p, value) < 0 || end_line(p) < 0)
		return -1;
	return 0;
}

int
prom_u64(struct prom *p, const struct prom_label *l, size_t nl, uint64_t v)
{
	char num[24], *d = num + sizeof(num) - 1;

	*d = '\0';
	do {   /* no printf: it was a fifth of a large render */
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return sample(p, l, nl, d);
}

int
prom_f64(struct prom *p, const struct prom_label *l, size_t nl, double v)
{
	char num[40];

	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else {   /* the shortest text that reads back as v */
		snprintf(num, sizeof(num), "%.15g", v);
		if (strtod(num, NULL) != v)
			snprintf(num, sizeof(num), "%.17g", v);
	}
	return sample(p, l, nl, num);
}

/* ---- the request parser ---- */

/* 1 and *end past the blank line that ends the head, else 0. */
static int
find_head_end(const char *buf, size_t len, size_t *end)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n') {
			*end = i + 2;
			return 1;
		}
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') {
			*end = i + 3;
			return 1;
		}
	}
	return 0;
}

static int
token_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

int
prom_req_parse(const char *buf, size_t len, struct prom_req *r)
{
	const char *line, *sp1, *sp2, *q, *eol;
	size_t end = 0, llen, mlen, tlen, vlen, i;

	memset(r, 0, sizeof(*r));
	if (len > METRICS_REQ_MAX)
		len = METRICS_REQ_MAX;
	if (!find_head_end(buf, len, &end)) {
		if (len < METRICS_REQ_MAX)
			return 0;
		r->status = 431;
		r->len = len;
		return 1;
	}
	r->len = end;
	r->status = 400;
	line = buf;
	eol = memchr(buf, '\n', end);   /* found: the head ends with one */
	llen = (size_t)(eol - line);
	if (llen && line[llen - 1] == '\r')
		llen--;
	for (i = 0; i < llen; i++)   /* no control bytes, no NUL in the request line */
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return 1;
	if (!(sp1 = memchr(line, ' ', llen)))
		return 1;
	mlen = (size_t)(sp1 - line);
	if (!(sp2 = memchr(sp1 + 1, ' ', llen - mlen - 1)))
		return 1;
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = llen - mlen - tlen - 2;
	if (!mlen || !tlen || vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' || sp2[8] > '9')
		return 1;
	for (i = 0; i < mlen; i++)
		if (line[i] < 'A' || line[i] > 'Z')
			return 1;
	if (sp1[1] != '/')
		return 1;
	if ((q = memchr(sp1 + 1, '?', tlen)) != NULL)   /* a query string changes nothing */
		tlen = (size_t)(q - sp1 - 1);
	if (!token_is(sp1 + 1, tlen, "/metrics") && !token_is(sp1 + 1, tlen, "/")) {
		r->status = 404;
		return 1;
	}
	if (token_is(line, mlen, "HEAD"))
		r->head = 1;
	else if (!token_is(line, mlen, "GET")) {
		r->status = 405;
		return 1;
	}
	r->status = 200;
	return 1;
}

/* ---- the server ---- */

struct mclient {
	struct prom_server *m;
	struct ev_client ec;       /* its socket, deadline and place in m->clients */
	char in[METRICS_REQ_MAX];
	size_t inlen;
	char hdr[320];
	size_t hlen;
	struct prom body;          /* body.buf, body.len: what follows the headers */
	size_t blen;               /* body bytes to send (0 for HEAD and errors without one) */
	size_t held;               /* body bytes counted in m->inflight */
	size_t off;                /* bytes of hdr + body sent */
	int writing;
};

struct prom_server {
	struct ev_loop *l;
	struct ev_io lio;
	int lfd;
	struct ev_timer rearm;     /* out of descriptors: accept again a second later */
	prom_render_fn *fn;
	void *arg;
	struct ev_clients clients;
	long read_ms, write_ms;
	size_t inflight_max;       /* body bytes held by answers being written, at most */
	size_t inflight, last_len;
	struct prom_stats st;
	/* The last answer's buffer, kept for the next render: a large one
	 * (10,000 rules: 20 MB) is then written into pages already mapped
	 * instead of faulting thousands of fresh ones in each time. Freed
	 * when no scrape came for METRICS_SPARE_MS. */
	char *spare;
	size_t spare_cap;
	struct ev_timer spare_tmo;
};

#define METRICS_SPARE_MS 300000

static void
on_spare(struct ev_loop *l, struct ev_timer *t)
{
	struct prom_server *m = t->arg;

	(void)l;
	free(m->spare);
	m->spare = NULL;
	m->spare_cap = 0;
}

static void
client_free(struct mclient *c)
{
	struct prom_server *m = c->m;

	ev_client_del(m->l, &m->clients, &c->ec);
	m->inflight -= c->held;
	if (c->body.buf && c->body.cap > m->spare_cap) {   /* keep the larger buffer */
		free(m->spare);
		m->spare = c->body.buf;
		m->spare_cap = c->body.cap;
		c->body.buf = NULL;
		ev_timer_set(m->l, &m->spare_tmo, ev_now(m->l) + METRICS_SPARE_MS);
	}
	prom_free(&c->body);
	free(c);
}

static void
on_timeout(struct ev_loop *l, struct ev_timer *t)
{
	struct mclient *c = t->arg;

	(void)l;
	c->m->st.timeouts++;
	client_free(c);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static const char *
error_text(int status)
{
	switch (status) {
	case 400: return "bad request: send GET /metrics HTTP/1.1\n";
	case 404: return "not found: the metrics are at /metrics\n";
	case 405: return "method not allowed: use GET (or HEAD) /metrics\n";
	case 431: return "request headers too large\n";
	case 503: return "busy: other scrapes are being answered; try again\n";
	default: return "the metrics could not be rendered (out of memory?)\n";
	}
}

/* Headers into c->hdr, the body into c->body. */
static void
prepare(struct mclient *c, const struct prom_req *rq)
{
	struct prom_server *m = c->m;
	int status = rq->status;
	const char *ctype = "text/plain; charset=utf-8";
	size_t clen;

	prom_init(&c->body);
	/* slow readers of large answers must not pile up renders: the last
	 * answer's size says what this one will hold */
	if (status == 200 && m->inflight && m->inflight + m->last_len > m->inflight_max) {
		status = 503;
		m->st.turned_away++;
	}
	if (status == 200 && m->spare) {
		c->body.buf = m->spare;
		c->body.cap = m->spare_cap;
		m->spare = NULL;
		m->spare_cap = 0;
	}
	if (status == 200) {
		if (m->fn(m->arg, &c->body) < 0 || c->body.failed) {
			prom_free(&c->body);
			prom_init(&c->body);
			status = 500;
		} else {
			ctype = "text/plain; version=0.0.4; charset=utf-8";
			m->last_len = c->body.len;
			c->held = c->body.len;
			m->inflight += c->held;
		}
	}
	if (status != 200 && puts_(&c->body, error_text(status)) < 0)
		status = 500;   /* and no body */
	clen = c->body.failed ? 0 : c->body.len;
	c->hlen = (size_t)snprintf(c->hdr, sizeof(c->hdr),
	    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
	    status, reason(status), ctype, clen, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->blen = rq->head ? 0 : clen;
}

/* Send what is left: 1 done, 0 wait for EPOLLOUT, -1 error. */
static int
flush_out(struct mclient *c)
{
	for (int guard = 0; guard < 4096; guard++) {
		struct iovec iov[2];
		struct msghdr mh;
		int n = 0;
		ssize_t w;

		if (c->off >= c->hlen + c->blen)
			return 1;
		if (c->off < c->hlen) {
			iov[n].iov_base = c->hdr + c->off;
			iov[n++].iov_len = c->hlen - c->off;
		}
		if (c->blen) {
			size_t bo = c->off > c->hlen ? c->off - c->hlen : 0;
			iov[n].iov_base = c->body.buf + bo;
			iov[n++].iov_len = c->blen - bo;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(c->ec.io.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		c->off += (size_t)w;
	}
	return 0;   /* a very slow reader: come back on EPOLLOUT */
}

static void
respond(struct mclient *c, const struct prom_req *rq)
{
	struct prom_server *m = c->m;
	int r;

	prepare(c, rq);
	c->writing = 1;
	ev_timer_set(m->l, &c->ec.tmo, ev_now(m->l) + m->write_ms);   /* absolute, for the whole answer */
	r = flush_out(c);
	if (r > 0) {
		m->st.served++;
		client_free(c);
	} else if (r < 0 || ev_io_mod(m->l, &c->ec.io, EPOLLOUT) < 0)
		client_free(c);
}

static void
on_client(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct mclient *c = io->arg;
	struct prom_req rq;
	int guard;

	(void)l;
	if (c->writing) {
		int r = (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLOUT) ? -1 : flush_out(c);
		if (r > 0)
			c->m->st.served++;
		if (r != 0)
			client_free(c);
		return;
	}
	for (guard = 0; guard < 64; guard++) {
		ssize_t n = recv(io->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {   /* closed before a whole request, or an error */
			client_free(c);
			return;
		}
		c->inlen += (size_t)n;
		if (prom_req_parse(c->in, c->inlen, &rq)) {
			respond(c, &rq);
			return;
		}
	}
}

static void
turn_away(int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing to do: it is being closed anyway */
	}
	close(fd);
}

static void listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events);

static void
on_rearm(struct ev_loop *l, struct ev_timer *t)
{
	struct prom_server *m = t->arg;

	if (m->lio.fd < 0 && ev_io_add(l, &m->lio, m->lfd, EPOLLIN, listener_cb, m) < 0)
		ev_timer_set(l, &m->rearm, ev_now(l) + 1000);
}

static void
listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct prom_server *m = io->arg;
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		struct mclient *c;
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				ev_io_del(l, &m->lio);   /* the listener stays open; back in a second */
				ev_timer_set(l, &m->rearm, ev_now(l) + 1000);
			}
			return;
		}
		m->st.accepted++;
		if (m->clients.n >= METRICS_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
			m->st.turned_away++;
			turn_away(fd);
			continue;
		}
		c->m = m;
		/* the deadline absolute: trickling cannot stretch it */
		if (ev_client_add(l, &m->clients, &c->ec, fd, on_client, on_timeout, c, ev_now(l) + m->read_ms) < 0) {
			close(fd);
			free(c);
		}
	}
}

struct prom_server *
prom_open(struct ev_loop *l, const char *host, uint16_t port, prom_render_fn *fn, void *arg, char *err)
{
	struct net_listen_spec spec;
	struct prom_server *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, ERRLEN, "out of memory");
		return NULL;
	}
	memset(&spec, 0, sizeof(spec));
	spec.host = host;
	spec.port = port;
	spec.type = SOCK_STREAM;
	spec.v6only = 1;
	spec.backlog = 64;
	m->l = l;
	m->fn = fn;
	m->arg = arg;
	m->read_ms = METRICS_READ_MS;
	m->write_ms = METRICS_WRITE_MS;
	m->inflight_max = METRICS_INFLIGHT_MAX;
	m->lio.fd = -1;
	ev_timer_init(&m->rearm, on_rearm, m);
	ev_timer_init(&m->spare_tmo, on_spare, m);
	if ((m->lfd = net_listen(&spec, err)) < 0) {
		free(m);
		return NULL;
	}
	if (ev_io_add(l, &m->lio, m->lfd, EPOLLIN, listener_cb, m) < 0) {
		snprintf(err, ERRLEN, "cannot watch the metrics listener: %s", strerror(errno));
		close(m->lfd);
		free(m);
		return NULL;
	}
	return m;
}

void
prom_close(struct prom_server *m)
{
	if (!m)
		return;
	while (m->clients.head)
		client_free(m->clients.head->io.arg);
	ev_timer_del(m->l, &m->rearm);
	ev_timer_del(m->l, &m->spare_tmo);
	free(m->spare);
	ev_io_del(m->l, &m->lio);
	if (m->lfd >= 0)
		close(m->lfd);
	free(m);
}

void
prom_get_stats(const struct prom_server *m, struct prom_stats *out)
{
	*out = m->st;
}

uint16_t
prom_port(const struct prom_server *m)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(m->lfd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return net_addr_port(&ss);
}

void
prom_set_limits(struct prom_server *m, long read_ms, long write_ms, size_t inflight_max)
{
	if (read_ms > 0)
		m->read_ms = read_ms;
	if (write_ms > 0)
		m->write_ms = write_ms;
	if (inflight_max > 0)
		m->inflight_max = inflight_max;
}
