/*
 * One HTTPS (or, when allowed, plain HTTP) POST with a hard deadline: the
 * name looked up in a thread of its own (lookup.h), a non-blocking connect,
 * the TLS handshake with the certificate verified against notify_ca or the
 * system's trust store (the host name checked), the request with
 * Content-Length and Connection: close, the reply read until its
 * Content-Length or the end. Every wait is a poll bounded by what is left of
 * the deadline.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "lookup.h"
#include "net.h"
#include "notify.h"
#include "text.h"
#include "tls.h"
#include "util.h"

#define RESP_MAX 16384

int
notify_url_split(const char *u, struct notify_url *p, char *err)
{
	const char *h, *end, *colon;
	size_t hl;

	p->tls = strncmp(u, "https://", 8) == 0;
	if (!p->tls && strncmp(u, "http://", 7) != 0) {
		snprintf(err, ERRLEN, "not an http(s) address");
		return -1;
	}
	h = u + (p->tls ? 8 : 7);
	end = h + strcspn(h, "/?");
	p->path = end;
	if (*h == '[') {   /* [v6]:port */
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb) {
			snprintf(err, ERRLEN, "an IPv6 address without its ']'");
			return -1;
		}
		hl = (size_t)(rb - h - 1);
		h++;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon ? colon : end) - h);
	}
	if (!hl || hl >= sizeof(p->host)) {
		snprintf(err, ERRLEN, "no host name in the address");
		return -1;
	}
	memcpy(p->host, h, hl);
	p->host[hl] = '\0';
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);

		if (!pl || pl >= sizeof(p->port) || strspn(colon + 1, "0123456789") < pl) {
			snprintf(err, ERRLEN, "the port in the address is not a number");
			return -1;
		}
		memcpy(p->port, colon + 1, pl);
		p->port[pl] = '\0';
	} else
		strcpy(p->port, p->tls ? "443" : "80");
	return 0;
}

static int
left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();

	return l <= 0 ? 0 : l > 60000 ? 60000 : (int)l;
}

/* Wait for events on fd (or cancel_fd) until deadline: 1 ready, 0 timed out, -1 cancelled or error. */
static int
wait_fd(int fd, short events, int cancel_fd, int64_t deadline, char *err)
{
	struct pollfd p[2] = { { fd, events, 0 }, { cancel_fd, POLLIN, 0 } };
	int ms, rc;

	for (;;) {
		if (!(ms = left_ms(deadline))) {
			snprintf(err, ERRLEN, "no answer within the deadline");
			return 0;
		}
		rc = poll(p, cancel_fd >= 0 ? 2 : 1, ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			snprintf(err, ERRLEN, "poll: %s", strerror(errno));
			return -1;
		}
		if (cancel_fd >= 0 && p[1].revents) {
			snprintf(err, ERRLEN, "cancelled (the relay is stopping)");
			return -1;
		}
		if (rc > 0)
			return 1;
	}
}

/* A TCP connection to u's host (each of its addresses in turn), all within
 * the deadline: the name is looked up in a thread of its own (lookup.h), so
 * a DNS server that never answers costs the deadline, not the C library's
 * timeouts. The socket, or -1 with err. */
static int
tcp_connect(const struct notify_url *u, int cancel_fd, int64_t deadline, char *err)
{
	struct lookup *j = lookup_start(u->host, u->port, AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG);
	int fd = -1, rc, e, i;
	eventfd_t v;

	if (!j) {
		snprintf(err, ERRLEN, "cannot resolve %.100s: %s", u->host, strerror(errno));
		return -1;
	}
	if ((rc = wait_fd(j->efd, POLLIN, cancel_fd, deadline, err)) <= 0 || eventfd_read(j->efd, &v) < 0) {
		if (rc == 0)
			snprintf(err, ERRLEN, "cannot resolve %.100s: no answer within the deadline", u->host);
		lookup_put(j);   /* the thread frees it when the C library gives up */
		return -1;
	}
	if (j->rc != 0) {
		snprintf(err, ERRLEN, "cannot resolve %.100s: %s", u->host, gai_strerror(j->rc));
		lookup_put(j);
		return -1;
	}
	snprintf(err, ERRLEN, "%.100s has no address", u->host);
	for (i = 0; i < j->n && left_ms(deadline); i++) {
		const struct sockaddr *a = (const struct sockaddr *)&j->sa[i];

		if ((fd = socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (connect(fd, a, j->salen[i]) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			if ((rc = wait_fd(fd, POLLOUT, cancel_fd, deadline, err)) < 0) {
				close(fd);
				fd = -1;
				break;
			}
			e = rc ? net_connect_result(fd) : ETIMEDOUT;
			if (!e)
				break;
		}
		snprintf(err, ERRLEN, "cannot connect to %.100s port %s: %s", u->host, u->port, strerror(e));
		close(fd);
		fd = -1;
	}
	lookup_put(j);
	return fd;
}

int
notify_reply_whole(const char *r, size_t len)
{
	const char *end = memmem(r, len, "\r\n\r\n", 4), *p;
	unsigned long cl;

	if (!end)
		return 0;
	for (p = r; p < end; p = strstr(p, "\r\n") + 2) {
		if (strncasecmp(p, "content-length:", 15) == 0) {
			cl = strtoul(p + 15, NULL, 10);
			return (size_t)(end + 4 - r) + cl <= len;
		}
		if (!strstr(p, "\r\n"))
			break;
	}
	return 0;   /* no length: read to the end */
}

/* Plaintext both ways through the TLS engine: the request out, the reply
 * in. 1 when something moved. */
static int
tls_app(struct tls_conn *tc, const char **out, size_t *out_len, char *resp, size_t *rlen)
{
	br_ssl_engine_context *eng = tls_engine(tc);
	unsigned char *p;
	size_t len;
	int moved = 0;

	if (*out_len && (p = br_ssl_engine_sendapp_buf(eng, &len)) && len) {
		if (len > *out_len)
			len = *out_len;
		memcpy(p, *out, len);
		br_ssl_engine_sendapp_ack(eng, len);
		br_ssl_engine_flush(eng, 0);
		*out += len;
		*out_len -= len;
		moved = 1;
	}
	if ((p = tls_recvapp(tc, &len)) && len) {
		if (len > RESP_MAX - 1 - *rlen)
			len = RESP_MAX - 1 - *rlen;
		memcpy(resp + *rlen, p, len);
		tls_recvapp_ack(tc, len);
		*rlen += len;
		moved |= len > 0;
	}
	return moved;
}

/* Plain TCP: send what is left, else read. -1 with err, 1 moved, 0 would block, 2 the end. */
static int
tcp_app(int fd, const char **out, size_t *out_len, char *resp, size_t *rlen, char *err)
{
	ssize_t n;

	if (*out_len) {
		if ((n = send(fd, *out, *out_len, MSG_NOSIGNAL)) < 0 && errno != EAGAIN) {
			snprintf(err, ERRLEN, "send: %s", strerror(errno));
			return -1;
		}
		if (n > 0) {
			*out += n;
			*out_len -= (size_t)n;
		}
		return n > 0;
	}
	if ((n = recv(fd, resp + *rlen, RESP_MAX - 1 - *rlen, 0)) == 0)
		return 2;
	if (n < 0 && errno != EAGAIN) {
		snprintf(err, ERRLEN, "recv: %s", strerror(errno));
		return -1;
	}
	if (n > 0)
		*rlen += (size_t)n;
	return n > 0;
}

/* Send req and read the reply into resp (NUL-terminated) over TLS (tc) or plain TCP. */
static int
exchange(int fd, struct tls_conn *tc, const char *req, size_t reqlen, char *resp, size_t *rlen, int cancel_fd,
    int64_t deadline, char *err)
{
	const char *out = req;
	size_t out_len = reqlen;
	unsigned want = 0;
	int rc, moved, eof = 0;

	*rlen = 0;
	for (;;) {
		short ev;

		if (tc) {
			moved = tls_app(tc, &out, &out_len, resp, rlen);
			if ((rc = tls_pump(tc, fd, &want, err)) == TLS_ERR)
				return -1;
			eof = rc == TLS_EOF;
			moved |= tls_app(tc, &out, &out_len, resp, rlen);
			ev = (want & TLS_WANT_READ ? POLLIN : 0) | (want & TLS_WANT_WRITE ? POLLOUT : 0);
		} else {
			if ((rc = tcp_app(fd, &out, &out_len, resp, rlen, err)) < 0)
				return -1;
			eof = rc == 2;
			moved = rc == 1;
			ev = out_len ? POLLOUT : POLLIN;
		}
		if (eof || *rlen == RESP_MAX - 1 || (!out_len && notify_reply_whole(resp, *rlen)))
			break;
		if (moved)
			continue;
		if ((rc = wait_fd(fd, ev ? ev : POLLIN, cancel_fd, deadline, err)) <= 0) {
			if (rc == 0)
				snprintf(err, ERRLEN, "no %s within the deadline", !tc || tls_ready(tc) ?
				    (out_len ? "room to send" : "reply") : "TLS handshake");
			return -1;
		}
	}
	resp[*rlen] = '\0';
	return 0;
}

int
notify_reply_read(const char *r, size_t len, struct notify_result *res, char *err)
{
	const char *b;

	if (len < 12 || strncmp(r, "HTTP/1.", 7) != 0 || sscanf(r + 9, "%3d", &res->status) != 1 || res->status < 0) {
		res->status = 0;
		snprintf(err, ERRLEN, "the reply is not HTTP");
		return -1;
	}
	b = memmem(r, len, "\r\n\r\n", 4);
	text_escape(b ? b + 4 : "", res->reply, sizeof(res->reply));
	res->retry = res->status >= 500 || res->status == 0;
	return 0;
}

/* POST body to url; the reply's status and body into res. 0 or -1 with err. */
static int
http_post(const struct notify_conf *c, const struct tls_anchors *anchors, const char *url, const char *body,
    int cancel_fd, struct notify_result *res, char *err)
{
	struct notify_url u;
	struct tls_client *cl = NULL;
	struct tls_conn *tc = NULL;
	int64_t deadline = now_ms() + c->timeout_ms;
	char *req = NULL, *resp = NULL;
	size_t rlen = 0;
	int fd = -1, rc = -1, n;

	memset(res, 0, sizeof(*res));
	if (notify_url_split(url, &u, err) < 0)
		return -1;
	if (!u.tls && !c->insecure_http) {
		snprintf(err, ERRLEN, "plain http refused (set notify_insecure_http = yes for a test server)");
		return -1;
	}
	if (u.tls) {
		struct tls_client_conf cf = { u.host, NULL, 0, NULL, anchors };

		if (!anchors || !anchors->n) {
			snprintf(err, ERRLEN, "no CA certificate to check the server with (install ca-certificates, or "
			    "set notify_ca)");
			return -1;
		}
		if (!(cl = tls_client_new(&cf, err)))
			return -1;
		if (!(tc = tls_conn_client(cl, NULL, 0, 0, err)))
			goto out;
	}
	n = asprintf(&req, "POST %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: xwpf/" XWPF_VERSION "\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    *u.path == '/' ? "" : "/", u.path, u.host, strlen(body), body);
	if (n < 0 || !(resp = malloc(RESP_MAX))) {
		snprintf(err, ERRLEN, "out of memory");
		req = n < 0 ? NULL : req;
		goto out;
	}
	res->retry = 1;   /* a failure from here on is the network's or the server's */
	if ((fd = tcp_connect(&u, cancel_fd, deadline, err)) < 0)
		goto out;
	if (exchange(fd, tc, req, (size_t)n, resp, &rlen, cancel_fd, deadline, err) < 0) {
		/* a certificate the anchors do not vouch for stays so: no second try */
		if (tc && tls_last_error(tc) >= BR_ERR_X509_OK) {
			int e = tls_last_error(tc);
			char *hint = strstr(err, " (");   /* the tunnels' advice (sni=, pin=): not this one's */

			if (hint && (e == BR_ERR_X509_NOT_TRUSTED || e == BR_ERR_X509_BAD_SERVER_NAME))
				snprintf(hint, ERRLEN - (size_t)(hint - err), " (%s)", e == BR_ERR_X509_NOT_TRUSTED ?
				    "trust its CA with notify_ca = FILE" : "write the name its certificate is for in the address");
			res->retry = 0;
		}
		goto out;
	}
	rc = notify_reply_read(resp, rlen, res, err);
out:
	if (fd >= 0)
		close(fd);
	tls_conn_free(tc);
	tls_client_free(cl);
	free(req);
	free(resp);
	return rc;
}

/* A JSON string literal of s into a new buffer. */
static char *
json_quote(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	json_str(f, s);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
request_body(const struct notify_conf *c, const struct store_notify_target *t, const char *text,
    const char *events_json)
{
	char cut[2048], *q, *qs = NULL, *body = NULL;

	if (t->kind == NOTIFY_WECOM && strlen(text) >= sizeof(cut)) {   /* WeCom takes 2048 bytes */
		size_t n = sizeof(cut) - 4;

		while (n && ((unsigned char)text[n] & 0xc0) == 0x80)   /* not inside a UTF-8 character */
			n--;
		memcpy(cut, text, n);
		strcpy(cut + n, "...");
		text = cut;
	}
	if (!(q = json_quote(text)))
		return NULL;
	switch (t->kind) {
	case NOTIFY_TELEGRAM:
		if ((qs = json_quote(t->chat)) && asprintf(&body, "{\"chat_id\":%s,\"text\":%s,"
		    "\"disable_web_page_preview\":true}", qs, q) < 0)
			body = NULL;
		break;
	case NOTIFY_WECOM:
		if (asprintf(&body, "{\"msgtype\":\"text\",\"text\":{\"content\":%s}}", q) < 0)
			body = NULL;
		break;
	default:
		if ((qs = json_quote(c->server)) && asprintf(&body, "{\"server\":%s,\"text\":%s,\"events\":%s}", qs, q,
		    events_json && *events_json ? events_json : "[]") < 0)
			body = NULL;
		break;
	}
	free(q);
	free(qs);
	return body;
}

int
notify_reply_says(const char *body, const char *key, const char *value)
{
	const char *p = body;
	size_t kl = strlen(key);

	while ((p = strchr(p, '"'))) {
		p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '"') {
			p += kl + 1;
			p += strspn(p, " \t\r\n");
			if (*p != ':')
				continue;   /* not the key's value (at the end, p stays on the NUL) */
			p++;
			p += strspn(p, " \t\r\n");
			return strncmp(p, value, strlen(value)) == 0 && !strchr("0123456789", p[strlen(value)]);
		}
	}
	return 0;
}

int
notify_send(const struct notify_conf *c, const struct tls_anchors *anchors, const struct store_notify_target *t,
    const char *text, const char *events_json, int cancel_fd, struct notify_result *res, char *err)
{
	char url[STORE_NOTIFY_LEN + 300], *body;
	int rc;

	memset(res, 0, sizeof(*res));
	if (t->kind == NOTIFY_TELEGRAM)
		snprintf(url, sizeof(url), "%s%sbot%s/sendMessage", c->telegram_api,
		    c->telegram_api[strlen(c->telegram_api) - 1] == '/' ? "" : "/", t->token);
	else
		snprintf(url, sizeof(url), "%s", t->url);
	if (!(body = request_body(c, t, text, events_json))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	rc = http_post(c, anchors, url, body, cancel_fd, res, err);
	free(body);
	if (rc < 0)
		return -1;
	if (res->status < 200 || res->status > 299) {
		snprintf(err, ERRLEN, "HTTP %d: %.300s", res->status, res->reply);
		return -1;
	}
	/* Telegram says "ok":true, WeCom "errcode":0 (its refusals come with status 200) */
	if ((t->kind == NOTIFY_TELEGRAM && !notify_reply_says(res->reply, "ok", "true")) ||
	    (t->kind == NOTIFY_WECOM && !notify_reply_says(res->reply, "errcode", "0"))) {
		snprintf(err, ERRLEN, "refused: %.300s", res->reply);
		return -1;
	}
	return 0;
}

const char *
notify_target_name(const struct store_notify_target *t, char *buf, size_t size)
{
	const char *h;
	size_t n;

	switch (t->kind) {
	case NOTIFY_TELEGRAM:
		snprintf(buf, size, "telegram:%.*s:***@%s", (int)strcspn(t->token, ":"), t->token, t->chat);
		break;
	default:
		h = strstr(t->url, "://");
		h = h ? h + 3 : t->url;
		n = strcspn(h, "/?");
		snprintf(buf, size, "%s:%.*s%.*s/...", t->kind == NOTIFY_WECOM ? "wecom" : "webhook",
		    (int)(h - t->url), t->url, (int)n, h);
		break;
	}
	return buf;
}
