/* The Prometheus text writer (known answers, escaping, names), the request
 * parser (known answers, every prefix, the cap), and the server on real
 * loopback sockets driven by its own event loop: a large answer through a
 * small receive buffer, 404, a 500 from a failing render, a trickled request
 * cut at the deadline, the client cap. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "evloop.h"
#include "metrics.h"
#include "util.h"

static void
writer(void)
{
	struct prom p;
	struct prom_label l[3] = { { "rule", "a\"b\\c\nd" }, { "proto", "tcp" }, { "family", "ipv4" } };
	char esc[64];

	prom_init(&p);
	CHECK(prom_family(&p, "xwpf_x_total", "counter", "Bytes \\ and\nlines.") == 0, "a counter family");
	CHECK(prom_u64(&p, l, 3, 18446744073709551615ULL) == 0, "a sample with three labels");
	CHECK(prom_u64(&p, NULL, 0, 0) == 0, "a sample without labels");
	CHECK(prom_family(&p, "xwpf_g", "gauge", "G.") == 0, "a gauge family");
	CHECK(prom_f64(&p, l + 1, 1, NAN) == 0 && prom_f64(&p, l + 1, 1, INFINITY) == 0 &&
	    prom_f64(&p, l + 1, 1, -INFINITY) == 0 && prom_f64(&p, l + 1, 1, 0.5) == 0 &&
	    prom_f64(&p, l + 1, 1, 0.783) == 0 && prom_f64(&p, NULL, 0, 1795631595.586) == 0, "float samples");
	CHECK_STR(p.buf,
	    "# HELP xwpf_x_total Bytes \\\\ and\\nlines.\n"
	    "# TYPE xwpf_x_total counter\n"
	    "xwpf_x_total{rule=\"a\\\"b\\\\c\\nd\",proto=\"tcp\",family=\"ipv4\"} 18446744073709551615\n"
	    "xwpf_x_total 0\n"
	    "# HELP xwpf_g G.\n"
	    "# TYPE xwpf_g gauge\n"
	    "xwpf_g{proto=\"tcp\"} NaN\n"
	    "xwpf_g{proto=\"tcp\"} +Inf\n"
	    "xwpf_g{proto=\"tcp\"} -Inf\n"
	    "xwpf_g{proto=\"tcp\"} 0.5\n"
	    "xwpf_g{proto=\"tcp\"} 0.783\n"
	    "xwpf_g 1795631595.586\n", "the exposition text, escaped");
	CHECK(!p.failed && p.len == strlen(p.buf), "not failed, length kept");
	CHECK(prom_family(&p, "xwpf_x_total", "counter", "again") < 0 && p.failed, "a family twice fails the buffer");
	CHECK(prom_u64(&p, NULL, 0, 1) < 0, "nothing after a failure");
	prom_free(&p);
	CHECK(p.buf == NULL && p.nseen == 0, "prom_free resets");
	prom_free(&p);

	prom_init(&p);
	CHECK(prom_family(&p, "xwpf_bytes", "counter", "x") < 0, "a counter without _total is refused");
	prom_free(&p);
	prom_init(&p);
	CHECK(prom_u64(&p, NULL, 0, 1) < 0, "a sample before any family is refused");
	prom_free(&p);
	prom_init(&p);
	CHECK(prom_family(&p, "9lives", "gauge", "x") < 0, "a name may not start with a digit");
	prom_free(&p);
	prom_init(&p);
	CHECK(prom_family(&p, "x", "histogram", "x") < 0, "only counter, gauge, untyped");
	prom_free(&p);
	prom_init(&p);
	{
		struct prom_label bad1 = { "__name", "v" }, bad2 = { "a-b", "v" }, bad3 = { "a:b", "v" };
		CHECK(prom_family(&p, "ns:x_y", "gauge", "") == 0, "a colon is fine in a metric name");
		CHECK(prom_u64(&p, &bad1, 1, 1) < 0, "a label name starting with __ is refused");
		prom_free(&p);
		prom_init(&p);
		prom_family(&p, "x", "gauge", "");
		CHECK(prom_u64(&p, &bad2, 1, 1) < 0, "a label name with '-' is refused");
		prom_free(&p);
		prom_init(&p);
		prom_family(&p, "x", "gauge", "");
		CHECK(prom_u64(&p, &bad3, 1, 1) < 0, "a label name with ':' is refused");
	}
	prom_free(&p);
	CHECK(prom_name_valid("a_b:c9") && !prom_name_valid("") && !prom_name_valid("a b") && !prom_name_valid("é"),
	    "metric names");
	CHECK(prom_label_name_valid("_x") && !prom_label_name_valid("__x") && !prom_label_name_valid("1x"),
	    "label names");
	CHECK(prom_escape("a\"\\\n", esc, sizeof(esc)) == 7 && strcmp(esc, "a\\\"\\\\\\n") == 0, "prom_escape");
	CHECK(prom_escape("abc", esc, 3) == -1 && prom_escape("abc", esc, 4) == 3, "prom_escape: the size is kept");

	/* a large body: the buffer grows */
	prom_init(&p);
	prom_family(&p, "xwpf_big", "gauge", "x");
	{
		int i, ok = 1;
		for (i = 0; i < 100000; i++)
			ok &= prom_u64(&p, l + 1, 1, (uint64_t)i) == 0;
		CHECK(ok && p.len > 2000000 && strstr(p.buf, "xwpf_big{proto=\"tcp\"} 99999\n"), "100000 samples");
	}
	prom_free(&p);
}

static const struct {
	const char *req;
	int status, head;
} reqs[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200, 0 },
	{ "GET / HTTP/1.0\r\n\r\n", 200, 0 },
	{ "HEAD /metrics HTTP/1.1\r\n\r\n", 200, 1 },
	{ "GET /metrics?name[]=x HTTP/1.1\n\n", 200, 0 },
	{ "GET /metricsx HTTP/1.1\r\n\r\n", 404, 0 },
	{ "GET /favicon.ico HTTP/1.1\r\n\r\n", 404, 0 },
	{ "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, 0 },
	{ "DELETE /x HTTP/1.1\r\n\r\n", 404, 0 },
	{ "get /metrics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "GET  /metrics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "GET /metrics HTTP/2.0\r\n\r\n", 400, 0 },
	{ "GET /metrics\r\n\r\n", 400, 0 },
	{ "GET metrics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "GET /metrics HTTP/1.1 \r\n\r\n", 400, 0 },
	{ "\r\n\r\n", 400, 0 },
	{ "\x16\x03\x01\x02\x01\n\n", 400, 0 },
};

static void
parser(void)
{
	struct prom_req r;
	size_t i, k;
	char *big;

	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		size_t n = strlen(reqs[i].req);
		int prefixes_need = 1;
		for (k = 0; k + 1 < n; k++)
			if (prom_req_parse(reqs[i].req, k, &r) != 0)
				prefixes_need = 0;
		CHECK(prom_req_parse(reqs[i].req, n, &r) == 1 && r.status == reqs[i].status && r.head == reqs[i].head &&
		    r.len == n, "request %zu: %d%s (got %d, len %zu of %zu)", i, reqs[i].status, reqs[i].head ? " HEAD" : "",
		    r.status, r.len, n);
		CHECK(prefixes_need, "request %zu: every shorter prefix asks for more", i);
	}
	{
		const char *two = "GET /metrics HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n";
		CHECK(prom_req_parse(two, strlen(two), &r) == 1 && r.status == 200 && r.len == 25,
		    "a pipelined second request is not read as part of the first");
	}
	{
		static const char nul[] = "GET /met\0rics HTTP/1.1\r\n\r\n";
		CHECK(prom_req_parse(nul, sizeof(nul) - 1, &r) == 1 && r.status == 400, "a NUL in the request line: 400");
	}
	big = malloc(METRICS_REQ_MAX + 10);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', METRICS_REQ_MAX + 10 - 26);
	CHECK(prom_req_parse(big, METRICS_REQ_MAX - 1, &r) == 0, "under the cap: need more");
	CHECK(prom_req_parse(big, METRICS_REQ_MAX, &r) == 1 && r.status == 431, "at the cap: 431");
	CHECK(prom_req_parse(big, METRICS_REQ_MAX + 10, &r) == 1 && r.status == 431, "beyond the cap: 431");
	free(big);
}

/* ---- the server ---- */

static int render_fail;
static size_t render_n = 50000;

static int
render(void *arg, struct prom *p)
{
	struct prom_label l = { "rule", "r" };
	size_t i;

	(void)arg;
	if (render_fail)
		return -1;
	prom_family(p, "t_total", "counter", "test");
	for (i = 0; i < render_n; i++)
		prom_u64(p, &l, 1, i);
	return 0;
}

static int
client(uint16_t port, int rcvbuf)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Turn the loop and read fd until EOF (bounded by ms): the whole answer, or NULL. */
static char *
drain(struct ev_loop *l, int fd, int ms, size_t *len, int *reset)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	int64_t end = now_ms() + ms;

	*reset = 0;
	while (now_ms() < end) {
		ssize_t r;
		ev_run_once(l, 10);
		for (;;) {
			if (n == cap) {
				cap *= 2;
				buf = realloc(buf, cap + 1);
			}
			r = read(fd, buf + n, cap - n);
			if (r > 0) {
				n += (size_t)r;
				continue;
			}
			break;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			*reset = r < 0;
			buf[n] = '\0';
			*len = n;
			return buf;
		}
	}
	free(buf);
	return NULL;
}

static void
server(void)
{
	struct ev_loop *l = ev_new();
	struct prom_server *m;
	struct prom_stats st;
	char err[ERRLEN], *ans, *body;
	size_t len;
	uint16_t port;
	int fd, i, reset, fds[METRICS_CLIENTS + 1];
	const char *get = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";

	m = prom_open(l, "127.0.0.1", 0, render, NULL, err);
	CHECK(m != NULL, "prom_open on 127.0.0.1:0 (%s)", m ? "" : err);
	if (!m)
		return;
	port = prom_port(m);
	CHECK(port > 0, "listening on port %u", port);
	CHECK(prom_open(l, "127.0.0.1", port, render, NULL, err) == NULL && strstr(err, "in use"),
	    "a port in use: NULL and a message that says so (%s)", err);
	CHECK(prom_open(l, "localhost", 9, render, NULL, err) == NULL && strstr(err, "literal"),
	    "a name is refused (%s)", err);

	/* 50000 samples (> 1 MB) to a client with a 4 KiB receive buffer: partial writes */
	fd = client(port, 4096);
	CHECK(write(fd, get, strlen(get)) == (ssize_t)strlen(get), "request sent");
	for (i = 0; i < 20; i++)   /* the server fills the socket and waits for EPOLLOUT */
		ev_run_once(l, 5);
	ans = drain(l, fd, 10000, &len, &reset);
	close(fd);
	body = ans ? strstr(ans, "\r\n\r\n") : NULL;
	CHECK(ans && strncmp(ans, "HTTP/1.1 200 OK\r\n", 17) == 0, "200 OK");
	CHECK(ans && strstr(ans, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") &&
	    strstr(ans, "\r\nConnection: close\r\n"), "Content-Type of the text format, Connection: close");
	if (body) {
		char want[64];
		unsigned long cl = strtoul(strstr(ans, "Content-Length: ") + 16, NULL, 10);
		body += 4;
		CHECK(cl == len - (size_t)(body - ans) && cl > 1000000, "Content-Length %lu is the body's", cl);
		CHECK(strncmp(body, "# HELP t_total test\n# TYPE t_total counter\nt_total{rule=\"r\"} 0\n", 62) == 0,
		    "the body starts with the family");
		snprintf(want, sizeof(want), "t_total{rule=\"r\"} %zu\n", render_n - 1);
		CHECK(len > strlen(want) && strcmp(ans + len - strlen(want), want) == 0, "and ends with the last sample");
	} else
		CHECK(0, "an answer with a body");

	/* again: rendered into the kept buffer of the first answer, byte for byte the same */
	{
		char *again;
		size_t len2;
		fd = client(port, 0);
		(void)!write(fd, get, strlen(get));
		again = drain(l, fd, 10000, &len2, &reset);
		close(fd);
		CHECK(ans && again && len2 == len && memcmp(ans, again, len) == 0,
		    "a second render (into the kept buffer) is the same answer");
		free(again);
	}
	free(ans);

	/* 404, HEAD */
	fd = client(port, 0);
	(void)!write(fd, "GET /nope HTTP/1.1\r\n\r\n", 22);
	ans = drain(l, fd, 5000, &len, &reset);
	close(fd);
	CHECK(ans && strncmp(ans, "HTTP/1.1 404 Not Found\r\n", 24) == 0 && strstr(ans, "/metrics\n"),
	    "404 says where the metrics are");
	free(ans);
	fd = client(port, 0);
	(void)!write(fd, "HEAD / HTTP/1.1\r\n\r\n", 19);
	ans = drain(l, fd, 5000, &len, &reset);
	close(fd);
	CHECK(ans && strncmp(ans, "HTTP/1.1 200 OK\r\n", 17) == 0 && strcmp(ans + len - 4, "\r\n\r\n") == 0 &&
	    !strstr(ans, "t_total"), "HEAD: headers only");
	free(ans);

	/* a render that fails: 500 */
	render_fail = 1;
	fd = client(port, 0);
	(void)!write(fd, get, strlen(get));
	ans = drain(l, fd, 5000, &len, &reset);
	close(fd);
	CHECK(ans && strncmp(ans, "HTTP/1.1 500 ", 13) == 0, "a failed render: 500");
	free(ans);
	render_fail = 0;

	/* trickled: cut at the (shortened) read deadline, measured from accept */
	prom_set_limits(m, 300, 0, 0);
	fd = client(port, 0);
	{
		int64_t t0 = now_ms(), cut = -1;
		size_t k = 0;
		while (now_ms() - t0 < 3000 && cut < 0) {
			char b[64];
			ssize_t r;
			if (k < strlen(get) && (now_ms() - t0) / 50 >= (int64_t)k)
				(void)!write(fd, get + k++, 1);   /* a byte every 50 ms: 34 bytes would take 1.7 s */
			ev_run_once(l, 10);
			r = read(fd, b, sizeof(b));
			if (r == 0 || (r < 0 && errno != EAGAIN))
				cut = now_ms() - t0;
			else if (r > 0)
				break;
		}
		CHECK(cut >= 250 && cut < 1500 && k < strlen(get), "a trickled request is cut at the deadline "
		    "(%lld ms, %zu of %zu bytes)", (long long)cut, k, strlen(get));
	}
	close(fd);
	prom_get_stats(m, &st);
	CHECK(st.timeouts == 1, "one timeout counted");

	/* answers held by a slow reader cap the next render: 503 until it is read */
	prom_set_limits(m, 0, 0, 1000000);
	render_n = 400000;   /* ~10 MB: more than loopback's socket buffers hold */
	{
		int slow = client(port, 4096), other;
		char *a2;
		size_t l2;
		(void)!write(slow, get, strlen(get));
		for (i = 0; i < 20; i++)
			ev_run_once(l, 5);
		other = client(port, 0);
		(void)!write(other, get, strlen(get));
		a2 = drain(l, other, 5000, &l2, &reset);
		close(other);
		CHECK(a2 && strncmp(a2, "HTTP/1.1 503 ", 13) == 0, "a render beside a held large answer: 503");
		free(a2);
		a2 = drain(l, slow, 10000, &l2, &reset);
		close(slow);
		CHECK(a2 && strncmp(a2, "HTTP/1.1 200 OK\r\n", 17) == 0 && l2 > 9000000, "the slow reader gets it all");
		free(a2);
		other = client(port, 0);
		(void)!write(other, get, strlen(get));
		a2 = drain(l, other, 5000, &l2, &reset);
		close(other);
		CHECK(a2 && strncmp(a2, "HTTP/1.1 200 OK\r\n", 17) == 0, "once read, renders again");
		free(a2);
	}
	prom_set_limits(m, 0, 0, METRICS_INFLIGHT_MAX);
	render_n = 50000;
	prom_get_stats(m, &st);
	CHECK(st.turned_away == 1, "the 503 counted as turned away");

	/* the cap: METRICS_CLIENTS idle clients, the next is closed at once */
	prom_set_limits(m, 5000, 0, 0);
	for (i = 0; i <= METRICS_CLIENTS; i++)
		fds[i] = client(port, 0);
	for (i = 0; i < 20; i++)
		ev_run_once(l, 5);
	ans = drain(l, fds[METRICS_CLIENTS], 2000, &len, &reset);
	CHECK(ans != NULL, "client %d of %d is closed at once", METRICS_CLIENTS + 1, METRICS_CLIENTS);
	free(ans);
	prom_get_stats(m, &st);
	CHECK(st.turned_away == 2, "one more client turned away (%llu)", (unsigned long long)st.turned_away);
	close(fds[0]);
	for (i = 0; i < 10; i++)
		ev_run_once(l, 5);
	fd = client(port, 0);
	(void)!write(fd, get, strlen(get));
	ans = drain(l, fd, 5000, &len, &reset);
	close(fd);
	CHECK(ans && strncmp(ans, "HTTP/1.1 200 OK\r\n", 17) == 0, "a slot freed: served again");
	free(ans);
	prom_get_stats(m, &st);
	CHECK(st.served == 9 && st.timeouts == 1, "served %llu, timeouts %llu", (unsigned long long)st.served,
	    (unsigned long long)st.timeouts);

	prom_close(m);   /* with METRICS_CLIENTS - 1 clients still open: everything freed */
	prom_close(NULL);
	for (i = 1; i <= METRICS_CLIENTS; i++)
		close(fds[i]);
	ev_free(l);
}

int
main(void)
{
	writer();
	parser();
	server();
	return T_DONE();
}
