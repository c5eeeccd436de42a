/*
 * hc_tunnel: the health check of a remote reached through a tunnel
 * (remote_transport), as a small synchronous driver: one socket, poll with
 * the time left to one absolute deadline, and the relay's own tunnel end
 * (tunnel.c's tun_end over tls.c and ws.c) for every byte, so the exit sees
 * exactly what a relay sends: the PROXY header when the rule sends one (a
 * LOCAL one here), the TLS ClientHello with the same sni, pin, CA or
 * insecure, the WebSocket request with the same host and path, health_send
 * in the same frames, and at the end the relay's close (a WebSocket close
 * frame, then FIN).
 *
 * It runs in a thread of hc_check_all and touches only its own host: no log,
 * no judging. What failed goes to h->st.why as a stage and words for the
 * state file (healthcheck.h), and in full (with the fix) to h->detail for the log.
 */
#include "healthcheck.h"

#include <bearssl.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pp.h"
#include "text.h"
#include "tlsfiles.h"
#include "transport.h"
#include "tunnel.h"
#include "util.h"

/* Wait for events on fd until deadline: >0 ready, 0 the deadline passed, -1 error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* why = "PREFIX" + text, cut to fit; what the exit sent (quoted in tls.c's
 * and ws.c's messages) escaped, so that the state file reads it back. */
static void
set_why(struct hc_host *h, const char *prefix, const char *text)
{
	char esc[HC_WHY_MAX], *p;

	text_escape(text, esc, sizeof(esc));
	snprintf(h->st.why, sizeof(h->st.why), "%s%s", prefix, esc);
	for (p = h->st.why + strlen(h->st.why); p > h->st.why && p[-1] == ' '; )
		*--p = '\0';
}

/* BearSSL's error in a few words, NULL for those tls.c's text says better. */
static const char *
tls_words(int e)
{
	switch (e) {
	case BR_ERR_X509_BAD_SERVER_NAME: return "certificate name mismatch";
	case BR_ERR_X509_NOT_TRUSTED: return "unknown CA";
	case BR_ERR_X509_EXPIRED: return "certificate expired or not yet valid";
	case BR_ERR_X509_NOT_CA: return "an intermediate is not a CA";
	case BR_ERR_BAD_CIPHER_SUITE: case BR_ERR_UNSUPPORTED_VERSION: case BR_ERR_BAD_VERSION:
		return "no common protocol";
	case BR_ERR_BAD_MAC: return "bad record MAC";
	}
	if (e >= BR_ERR_X509_OK && e < 64)
		return "certificate refused";
	return NULL;   /* alerts, closes, socket errors: tls.c's words */
}

/* tls.c's message without its hint in parentheses and without "tls: ". */
static void
short_text(const char *msg, const char *prefix, char *out, size_t size)
{
	const char *p;
	size_t n, pl = strlen(prefix);

	if (strncmp(msg, prefix, pl) == 0)
		msg += pl;
	p = strstr(msg, " (");
	n = p ? (size_t)(p - msg) : strlen(msg);
	if (n >= size)
		n = size - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
}

/* The handshake failed: which stage, in words. */
static enum hc_code
handshake_failed(struct hc_host *h, struct tun_end *e, const struct transport *t)
{
	struct tls_conn *tc = tun_end_tls(e);
	const char *err = tun_end_err(e), *w;
	char got[TLS_PIN_STRLEN], txt[HC_WHY_MAX];
	int status = tun_end_http_status(e);

	snprintf(h->detail, sizeof(h->detail), "%s", err);
	if (tc && (!tls_ready(tc) || strncmp(err, "tls: ", 5) == 0)) {
		int be = tls_last_error(tc);

		tls_seen_pin(tc, got);
		if (be == BR_ERR_X509_NOT_TRUSTED && t->has_pin && *got) {
			snprintf(txt, sizeof(txt), "pin mismatch (got %s)", got);
			set_why(h, "tls: ", txt);
		} else if ((w = tls_words(be)) != NULL)
			set_why(h, "tls: ", w);
		else {
			short_text(err, "tls: ", txt, sizeof(txt));
			set_why(h, "tls: ", txt);
		}
		return HC_TLS_FAIL;
	}
	if (status && status != 101) {   /* a 101 that was wrong is said in words below */
		snprintf(txt, sizeof(txt), "%d", status);
		set_why(h, "ws: ", txt);
		return HC_WS_FAIL;
	}
	short_text(err, "ws: ", txt, sizeof(txt));
	set_why(h, "ws: ", txt);
	return HC_WS_FAIL;
}

/* connect within the deadline: HC_OK, or the tcp stage's code and words. */
static enum hc_code
tcp_connect(struct hc_host *h, int64_t deadline)
{
	int err = 0, r;
	socklen_t len = sizeof(err);

	if (connect(h->fd, (struct sockaddr *)&h->sa, h->salen) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if ((r = wait_fd(h->fd, POLLOUT, deadline)) == 0)
			err = ETIMEDOUT;
		else if (r < 0 || getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
	}
	if (!err)
		return HC_OK;
	set_why(h, "tcp: ", strerror(err));
	snprintf(h->detail, sizeof(h->detail), "connect: %s", strerror(err));
	switch (err) {
	case ECONNREFUSED: return HC_CONNECT_REFUSED;
	case ENETUNREACH: case EHOSTUNREACH: case EHOSTDOWN: case ENETDOWN: return HC_CONNECT_UNREACH;
	case ETIMEDOUT: return HC_CONNECT_TIMEOUT;
	default: return HC_CONNECT_FAIL;
	}
}

/* The tunnel is open: health_send through it, then health_expect from it. */
static enum hc_code
exchange(struct hc_host *h, struct tun_end *e, int64_t deadline)
{
	char buf[256];
	size_t off = 0;
	ssize_t n;
	int r = 0;

	while (off < h->sendlen || (r = tun_end_flush(e, h->fd)) > 0) {
		if (off < h->sendlen) {
			n = tun_end_write(e, h->fd, h->send + off, h->sendlen - off);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (errno != EAGAIN && errno != EINTR) {
				snprintf(h->detail, sizeof(h->detail), "%s", tun_end_err(e));
				return HC_WRITE_FAIL;
			}
		}
		if (wait_fd(h->fd, POLLOUT, deadline) <= 0) {
			snprintf(h->detail, sizeof(h->detail), "%zu of %zu bytes sent in time", off, h->sendlen);
			return HC_WRITE_TIMEOUT;
		}
	}
	if (r < 0) {
		snprintf(h->detail, sizeof(h->detail), "%s", tun_end_err(e));
		return HC_WRITE_FAIL;
	}
	off = 0;
	while (off < h->expectlen) {
		n = tun_end_read(e, h->fd, buf, h->expectlen - off);
		if (n > 0) {
			if (hc_expect_step(h->expect, h->expectlen, &off, buf, (size_t)n) < 0) {
				hc_reply_detail(h, buf, (size_t)n);
				return HC_EXPECT_MISMATCH;
			}
			continue;
		}
		if (n == 0) {
			snprintf(h->detail, sizeof(h->detail), "after %zu of %zu expected bytes", off, h->expectlen);
			return HC_READ_CLOSED;
		}
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(h->detail, sizeof(h->detail), "%s", tun_end_err(e));
			return HC_READ_FAIL;
		}
		if (tun_end_buffered(e) && now_ms() < deadline)
			continue;
		if (wait_fd(h->fd, (short)(POLLIN | (tun_end_want_write(e) ? POLLOUT : 0)), deadline) <= 0) {
			snprintf(h->detail, sizeof(h->detail), "%zu of %zu expected bytes in time", off, h->expectlen);
			return HC_READ_TIMEOUT;
		}
		if (tun_end_want_write(e) && tun_end_flush(e, h->fd) < 0) {   /* a pong */
			snprintf(h->detail, sizeof(h->detail), "%s", tun_end_err(e));
			return HC_READ_FAIL;
		}
	}
	return HC_OK;
}

/* The relay's end of a stream (close frame, FIN), within the deadline; then
 * what the exit sent is read off so that the close is not a reset. */
static void
finish(struct hc_host *h, struct tun_end *e, int64_t deadline)
{
	char buf[512];
	int i;

	for (i = 0; i < 64 && tun_end_shutdown(e, h->fd, 1) > 0; i++)
		if (wait_fd(h->fd, POLLOUT, deadline) <= 0)
			return;
	for (i = 0; i < 64 && recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

static enum hc_code
tunnel_check(struct hc_host *h, struct tun_side *side, int64_t deadline)
{
	struct tun_end *e;
	char err[ERRLEN], hdr[PP_ENC_MAX];
	enum hc_code code;
	int r, n, i;

	if (transport_parse(h->transport, TRANSPORT_CLIENT, &side->t, err) < 0) {
		snprintf(h->detail, sizeof(h->detail), "remote_transport: %s", err);
		return HC_SOCKET_FAIL;
	}
	side->on = 1;
	if (side->t.tls && !(side->tls_cli = tlsf_client(&side->t, NULL, err))) {
		snprintf(h->detail, sizeof(h->detail), "%s", err);
		set_why(h, strncmp(err, "tls: ", 5) == 0 ? "" : "tls: ", err);
		return HC_TLS_FAIL;
	}
	if ((code = hc_resolve_until(h, deadline)) != HC_OK)
		return code;
	if (hc_socket(h) < 0)
		return HC_SOCKET_FAIL;
	if ((code = tcp_connect(h, deadline)) != HC_OK)
		return code;
	if (!(e = tun_end_new(side, TUN_CLIENT, 0, NULL, err))) {
		snprintf(h->detail, sizeof(h->detail), "%s", err);
		return HC_SOCKET_FAIL;
	}
	if (h->proxy != PROXY_NONE && ((n = pp_encode(h->proxy == PROXY_V1 ? 1 : 2, NULL, NULL, hdr, sizeof(hdr))) < 0 ||
	    tun_end_preamble(e, hdr, (size_t)n) < 0)) {
		snprintf(h->detail, sizeof(h->detail), "cannot make the PROXY header");
		tun_end_free(e);
		return HC_SOCKET_FAIL;
	}
	/* each turn either moves the handshake or waits on the socket; the
	 * count only stops a peer that keeps it busy without progress */
	for (i = 0; (r = tun_end_handshake(e, h->fd)) == 0; i++) {
		if (i >= 100000 || wait_fd(h->fd, (short)(POLLIN | (tun_end_want_write(e) ? POLLOUT : 0)),
		    deadline) <= 0) {
			struct tls_conn *tc = tun_end_tls(e);

			snprintf(h->detail, sizeof(h->detail), "the exit accepted the connection but the %s handshake "
			    "did not end in time (is it a tunnel exit with this transport?)", tc && !tls_ready(tc) ?
			    "TLS" : "WebSocket");
			set_why(h, "", "handshake timeout");
			tun_end_free(e);
			return HC_HANDSHAKE_TIMEOUT;
		}
	}
	if (r < 0)
		code = handshake_failed(h, e, &side->t);
	else if ((code = exchange(h, e, deadline)) == HC_OK)
		finish(h, e, deadline);
	tun_end_free(e);
	return code;
}

enum hc_code
hc_tunnel_check(struct hc_host *h, long timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct tun_side side;
	enum hc_code code;

	memset(&side, 0, sizeof(side));
	h->detail[0] = '\0';
	h->st.why[0] = '\0';
	h->fd = -1;
	code = tunnel_check(h, &side, deadline);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	tlsf_client_free(side.tls_cli);
	return code;
}
