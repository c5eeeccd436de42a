/*
 * Tunnel ends (TLS, WebSocket, both) on non-blocking sockets, and the
 * per-rule tunnel settings. The relay's hooks and codecs that use them are
 * in tunnel_conn.c; UDP associations through tunnels in udp_tunnel.c.
 *
 * Layers: the socket, then TLS when configured (records pumped by
 * tls_pump, plaintext through the engine's recvapp/sendapp buffers), then
 * WebSocket when configured (frames built and parsed by ws.c). ll_read and
 * ll_write are the "lower layer" (TLS plaintext or the socket) that the
 * WebSocket code and the plain-TLS stream both use.
 */
#include "tunnel.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>

#include "log.h"
#include "pp.h"
#include "tlsfiles.h"
#include "util.h"
#include "ws.h"

#define ERR(...) do { if (err) snprintf(err, ERRLEN, __VA_ARGS__); } while (0)
#define WS_FRAME_MAX 65535   /* payload of one data frame: a 4-byte length header */

enum { PH_PRE, PH_TLS, PH_WS_REQ, PH_WS_HEAD, PH_OPEN, PH_FAIL };

static const unsigned char zero_key[4] = { 0, 0, 0, 0 };
static const char *udp_alpn[] = { TUN_UDP_ALPN };

struct tun_end {
	const struct tun_side *s;
	int server, udp, phase;
	int early;                  /* client: data may follow the WebSocket request before the reply */
	int pool;                   /* client: asks for a pooled stream; server: was asked (x-xwpf-pool) */
	int peer_xwpf;              /* client: the 101 reply said x-xwpf (the exit is xwpf) */
	struct tls_conn *tls;
	int tls_eof;
	unsigned char praw[PP_ENC_MAX];      /* raw bytes before everything (PROXY header) */
	size_t praw_off, praw_len;
	char key[WS_KEY_LEN + 1];
	char *head;                          /* handshake head being read */
	size_t head_len;
	unsigned char *left;                 /* frame bytes that came with the head */
	size_t left_off, left_len;
	unsigned char *ctl;                  /* raw bytes for a frame boundary: request, 101, pong, close */
	size_t ctl_off, ctl_len;
	unsigned char fh[WS_HDR_MAX];        /* the current data frame's header */
	size_t fh_off, fh_len;
	uint64_t frame_left;                 /* its payload not yet written */
	struct ws_dec dec;
	int peer_closed, close_sent, fin_sent;
	int unflushed;                       /* a TLS record not yet full sits in the engine */
	char err[ERRLEN];
};

/* ---- rule settings ---- */

/* The listen_transport's cert= and key=, or NULL (no TLS listener with files). */
static const struct transport *
lsn_files(const struct store_rule *r, struct transport *t)
{
	char e2[ERRLEN];

	if (!*r->listen_transport || transport_parse(r->listen_transport, TRANSPORT_SERVER, t, e2) < 0)
		return NULL;
	return t->tls && *t->cert ? t : NULL;
}

/* FNV-1a 64 of a file's bytes (the first 1 MiB) and its length: "-" when unreadable. */
static void
file_digest(const char *path, char *out, size_t size)
{
	uint64_t h = FNV1A64_INIT;
	unsigned char b[4096];
	size_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(out, size, "-");
		return;
	}
	while (total < (1u << 20) && (n = read(fd, b, sizeof(b))) > 0) {
		h = fnv1a64(h, b, (size_t)n);
		total += (size_t)n;
	}
	close(fd);
	snprintf(out, size, "%zu:%016llx", total, (unsigned long long)h);
}

void
tun_rule_files(const struct store_rule *r, char *out, size_t size)
{
	struct transport t;
	char c[64], k[64];

	*out = '\0';
	if (!lsn_files(r, &t))
		return;
	file_digest(t.cert, c, sizeof(c));
	file_digest(*t.key ? t.key : t.cert, k, sizeof(k));
	snprintf(out, size, "cert=%s,key=%s", c, k);
}

int
tun_rule_cert_expiry(const struct store_rule *r, long long *not_after, char *err)
{
	struct transport t;

	if (!lsn_files(r, &t))
		return 0;
	return tlsf_not_after_file(t.cert, not_after, err) < 0 ? -1 : 1;
}

/* A warning at load when the certificate of cert= ends within TUN_CERT_WARN_DAYS. */
static void
warn_expiry(const struct store_rule *r)
{
	long long na, left;
	char e2[ERRLEN], when[64];
	struct tm tm;
	time_t tt;

	if (tun_rule_cert_expiry(r, &na, e2) != 1)
		return;
	left = na - (long long)time(NULL);
	if (left >= (long long)TUN_CERT_WARN_DAYS * 86400)
		return;
	tt = (time_t)na;
	if (!gmtime_r(&tt, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(when, sizeof(when), "%lld", na);
	if (left < 0)
		log_warn("rule %s: the certificate in use has expired (notAfter %s): clients that verify it refuse "
		    "the tunnel; renew the cert= file and reload (SIGHUP)", r->name, when);
	else
		log_warn("rule %s: the certificate in use expires in %lld day%s (notAfter %s): renew the cert= file "
		    "and reload (SIGHUP): new connections take the new one", r->name, left / 86400,
		    left / 86400 == 1 ? "" : "s", when);
}

int
tun_rule_wanted(const struct store_rule *r)
{
	return *r->listen_transport || *r->remote_transport || r->proxy_send != PROXY_NONE || r->proxy_accept;
}

unsigned
tun_listen_protos(const struct store_rule *r)
{
	unsigned p = r->protocols;

	if (*r->listen_transport && (p & PROTO_UDP) && !r->udp_plain)
		p = (p & ~(unsigned)PROTO_UDP) | PROTO_TCP;
	return p;
}

long
tun_preread_ms(const struct tun_rule *t)
{
	return t->proxy_accept ? t->proxy_ms : t->handshake_ms;
}

void
tun_rule_free(struct tun_rule *t)
{
	if (!t)
		return;
	tls_server_free(t->lsn.tls_srv);
	tlsf_client_free(t->rem.tls_cli);
	tlsf_client_free(t->rem.tls_cli_udp);
	free(t);
}

struct tun_rule *
tun_rule_new(const struct store_rule *r, long handshake_ms, long proxy_ms, char *err)
{
	struct tun_rule *t;
	char e2[ERRLEN];

	if (err)
		*err = '\0';
	if (!tun_rule_wanted(r))
		return NULL;
	if (!(t = calloc(1, sizeof(*t)))) {
		ERR("out of memory");
		return NULL;
	}
	snprintf(t->name, sizeof(t->name), "%s", r->name);
	t->proxy_send = r->proxy_send;
	t->proxy_accept = r->proxy_accept;
	t->protocols = r->protocols;
	t->handshake_ms = handshake_ms > 0 ? handshake_ms : 10000;
	t->proxy_ms = proxy_ms > 0 ? proxy_ms : 5000;
	t->hs_max = TUN_HS_MAX;
	t->hs_max_src = TUN_HS_MAX_SRC;
	if (*r->listen_transport) {
		if (transport_parse(r->listen_transport, TRANSPORT_SERVER, &t->lsn.t, e2) < 0) {
			ERR("rule %s: %s", r->name, e2);
			goto fail;
		}
		t->lsn.on = t->lsn.t.ws || t->lsn.t.tls;
		if (t->lsn.t.tls) {
			if (!(t->lsn.tls_srv = tlsf_server(&t->lsn.t, e2))) {
				ERR("rule %s: listen_transport: %s", r->name, e2);
				goto fail;
			}
			char side[1200];

			snprintf(t->pin, sizeof(t->pin), "%s", tls_server_pin(t->lsn.tls_srv));
			tun_relay_side(&t->lsn.t, t->pin, side, sizeof(side));
			log_info("rule %s: TLS certificate pin %s (on the relay side: remote_transport = %s)", r->name,
			    t->pin, side);
			warn_expiry(r);
		}
	}
	if (*r->remote_transport) {
		if (transport_parse(r->remote_transport, TRANSPORT_CLIENT, &t->rem.t, e2) < 0) {
			ERR("rule %s: %s", r->name, e2);
			goto fail;
		}
		t->rem.on = t->rem.t.ws || t->rem.t.tls;
		if (t->rem.t.tls) {
			struct transport u = t->rem.t;

			if (!(t->rem.tls_cli = tlsf_client(&t->rem.t, NULL, e2))) {
				ERR("rule %s: remote_transport: %s", r->name, e2);
				goto fail;
			}
			if (!t->rem.t.ws && (r->protocols & PROTO_UDP)) {
				snprintf(u.alpn, sizeof(u.alpn), "%s", TUN_UDP_ALPN);
				if (!(t->rem.tls_cli_udp = tlsf_client(&u, NULL, e2))) {
					ERR("rule %s: remote_transport: %s", r->name, e2);
					goto fail;
				}
			}
		}
	}
	return t;
fail:
	tun_rule_free(t);
	return NULL;
}

int
tun_rule_pin(const struct store_rule *r, char out[TLS_PIN_STRLEN], char *err)
{
	struct transport t;
	char cert[4096], key[4096], e2[ERRLEN];

	*out = '\0';
	if (!*r->listen_transport)
		return 0;
	if (transport_parse(r->listen_transport, TRANSPORT_SERVER, &t, e2) < 0) {
		ERR("%s", e2);
		return -1;
	}
	if (!t.tls)
		return 0;
	if (*t.cert)
		return tlsf_pin_file(t.cert, out, err);
	if (tlsf_selfsigned(t.servername, cert, key, sizeof(cert), err) < 0)
		return -1;
	return tlsf_pin_file(cert, out, err);
}

void
tun_relay_side(const struct transport *lsn, const char *pin, char *buf, size_t size)
{
	size_t n = 0;

	*buf = '\0';
	if (lsn->ws)
		n += (size_t)snprintf(buf, size, "ws;host=%s;path=%s", lsn->host, lsn->path);
	if (lsn->tls && n < size)
		snprintf(buf + n, size - n, "%stls;sni=%s%s%s", n ? ";" : "", *lsn->servername ? lsn->servername : "NAME",
		    pin && *pin ? ";pin=" : ";insecure", pin && *pin ? pin : "");
}

int
tun_rule_relay_side(const struct store_rule *r, char *buf, size_t size, char *err)
{
	struct transport t;
	char pin[TLS_PIN_STRLEN], e2[ERRLEN];

	*buf = '\0';
	if (!*r->listen_transport)
		return 0;
	if (transport_parse(r->listen_transport, TRANSPORT_SERVER, &t, e2) < 0) {
		ERR("%s", e2);
		return -1;
	}
	if (tun_rule_pin(r, pin, err) < 0)
		return -1;
	tun_relay_side(&t, pin, buf, size);
	return 0;
}

/* ---- an end ---- */

static int
fail(struct tun_end *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct tun_end *e, const char *fmt, ...)
{
	va_list ap;

	if (e->phase != PH_FAIL) {
		va_start(ap, fmt);
		vsnprintf(e->err, sizeof(e->err), fmt, ap);
		va_end(ap);
		e->phase = PH_FAIL;
	}
	errno = EPROTO;
	return -1;
}

size_t
tun_addr_key(const struct sockaddr *sa, unsigned char *k)
{
	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 0;
	k[0] = (unsigned char)(sa->sa_family >> 8);
	k[1] = (unsigned char)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;

		memcpy(k + 2, &a->sin_port, 2);
		memcpy(k + 4, &a->sin_addr, 4);
		return 8;
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;

		memcpy(k + 2, &a->sin6_port, 2);
		memcpy(k + 4, &a->sin6_addr, 16);
		return 20;
	}
}

int
tun_end_resumed(const struct tun_end *e)
{
	return e->tls && tls_resumed(e->tls);
}

struct tun_end *
tun_end_new(const struct tun_side *s, int server, int udp, const struct sockaddr *to, char *err)
{
	struct tun_end *e = calloc(1, sizeof(*e));
	unsigned char key[2 + 2 + 16];
	size_t klen = 0;

	if (!e) {
		ERR("out of memory");
		return NULL;
	}
	e->s = s;
	e->server = server;
	e->udp = udp;
	ws_dec_init(&e->dec);
	if (s->t.tls) {
		if (server)
			e->tls = tls_conn_server(s->tls_srv, 0, err);
		else {
			klen = tun_addr_key(to, key);
			e->tls = tls_conn_client(udp && s->tls_cli_udp ? s->tls_cli_udp : s->tls_cli, key, klen, 0, err);
		}
		if (!e->tls) {
			free(e);
			return NULL;
		}
		if (server && !s->t.ws)   /* a relay's UDP streams offer ALPN xwpf-udp */
			br_ssl_engine_set_protocol_names(tls_engine(e->tls), udp_alpn, 1);
	}
	return e;
}

void
tun_end_free(struct tun_end *e)
{
	if (!e)
		return;
	tls_conn_free(e->tls);
	free(e->head);
	free(e->left);
	free(e->ctl);
	free(e);
}

int
tun_end_preamble(struct tun_end *e, const void *p, size_t len)
{
	if (e->praw_len + len > sizeof(e->praw)) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(e->praw + e->praw_len, p, len);
	e->praw_len += len;
	return 0;
}

int
tun_end_open(const struct tun_end *e)
{
	return e->phase == PH_OPEN;
}

int
tun_end_udp(const struct tun_end *e)
{
	return e->udp;
}

const char *
tun_end_err(const struct tun_end *e)
{
	return *e->err ? e->err : "tunnel error";
}

int
tun_end_want_write(struct tun_end *e)
{
	return e->praw_off < e->praw_len || e->ctl_off < e->ctl_len || e->fh_off < e->fh_len ||
	    (e->tls && (tls_state(e->tls) & BR_SSL_SENDREC));
}

struct tls_conn *
tun_end_tls(const struct tun_end *e)
{
	return e->tls;
}

int
tun_end_http_status(const struct tun_end *e)
{
	const char *h = e->head;

	if (e->server || !h || e->head_len < 12 || memcmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ' ||
	    h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' || h[11] < '0' || h[11] > '9')
		return 0;
	return (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
}

size_t
tun_end_size(const struct tun_end *e)
{
	return sizeof(*e) + (e->tls ? tls_conn_size(e->tls) : 0) + (e->head ? WS_HEAD_MAX + 1 : 0) +
	    e->left_len + e->ctl_len;
}

const char *
tun_end_describe(const struct tun_end *e, char *buf, size_t size)
{
	char t[128] = "";

	if (e->tls)
		tls_describe(e->tls, t, sizeof(t));
	snprintf(buf, size, "%s%s%s%s", t, e->tls && e->s->t.ws ? " " : "", e->s->t.ws ? "ws" : "",
	    e->udp ? " (udp)" : "");
	return buf;
}

/* ---- the lower layer: TLS plaintext, or the socket ---- */

static int
tls_step(struct tun_end *e, int fd)
{
	unsigned want;
	char err[ERRLEN];
	int r = tls_pump(e->tls, fd, &want, err);

	if (r == TLS_ERR)
		return fail(e, "%s", err);
	if (r == TLS_EOF)
		e->tls_eof = 1;
	return 0;
}

/* The write side: records out until the socket is full, no recv (tls_pump_out). */
static int
tls_out(struct tun_end *e, int fd)
{
	char err[ERRLEN];
	int r = tls_pump_out(e->tls, fd, err);

	if (r == TLS_ERR)
		return fail(e, "%s", err);
	if (r == TLS_EOF)
		e->tls_eof = 1;
	return 0;
}

static ssize_t
ll_read(struct tun_end *e, int fd, void *buf, size_t len)
{
	size_t got = 0;
	int pumped = 0;
	ssize_t n;

	if (!e->tls) {
		n = recv(fd, buf, len, 0);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail(e, "recv: %s", strerror(errno));
		return n;
	}
	while (got < len) {
		size_t avail;
		unsigned char *p = tls_recvapp(e->tls, &avail);

		if (p && avail) {
			if (avail > len - got)
				avail = len - got;
			memcpy((char *)buf + got, p, avail);
			tls_recvapp_ack(e->tls, avail);
			got += avail;
			pumped = 0;
			continue;
		}
		if (pumped || e->tls_eof)
			break;
		if (tls_step(e, fd) < 0)
			return got ? (ssize_t)got : -1;
		pumped = 1;
	}
	if (got)
		return (ssize_t)got;
	if (e->tls_eof)
		return 0;
	errno = EAGAIN;
	return -1;
}

/*
 * flush: close the record now (the end of a write). Without it the bytes
 * wait in the engine's record until it is full (BearSSL then closes it by
 * itself) or until tun_end_flush: bulk data goes out in full 16 KiB records
 * whatever the sizes of the writes and of the WebSocket headers between them.
 */
static ssize_t
ll_write(struct tun_end *e, int fd, const void *buf, size_t len, int flush)
{
	br_ssl_engine_context *eng;
	unsigned char *p;
	size_t room, n0;
	ssize_t n;

	if (!e->tls) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINPROGRESS)   /* a Fast Open SYN went without the data */
			errno = EAGAIN;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail(e, "send: %s", strerror(errno));
		return n;
	}
	eng = tls_engine(e->tls);
	p = br_ssl_engine_sendapp_buf(eng, &room);
	if (!p || !room) {
		if (tls_out(e, fd) < 0)
			return -1;
		p = br_ssl_engine_sendapp_buf(eng, &room);
		if (!p || !room) {
			if (br_ssl_engine_current_state(eng) == BR_SSL_CLOSED)
				return fail(e, "tls: the connection is closed");
			errno = EAGAIN;
			return -1;
		}
	}
	n0 = room;
	if (room > len)
		room = len;
	memcpy(p, buf, room);
	br_ssl_engine_sendapp_ack(eng, room);   /* a full record is closed here */
	e->unflushed = room < n0;
	if (flush && e->unflushed) {
		br_ssl_engine_flush(eng, 0);
		e->unflushed = 0;
	}
	if ((tls_state(e->tls) & BR_SSL_SENDREC) && tls_out(e, fd) < 0)
		return -1;
	return (ssize_t)room;
}

/* ---- WebSocket ---- */

static int
queue_ctl(struct tun_end *e, const void *p, size_t len)
{
	unsigned char *n = realloc(e->ctl, e->ctl_len + len);

	if (!n)
		return -1;
	memcpy(n + e->ctl_len, p, len);
	e->ctl = n;
	e->ctl_len += len;
	return 0;
}

/* 0 flushed, 1 waiting for the socket, -1 error */
static int
flush_ctl(struct tun_end *e, int fd)
{
	ssize_t n;

	if (e->fh_off < e->fh_len || e->frame_left)
		return e->ctl_len ? 1 : 0;   /* a data frame is half written: controls wait for its end */
	while (e->ctl_off < e->ctl_len) {
		n = ll_write(e, fd, e->ctl + e->ctl_off, e->ctl_len - e->ctl_off, 1);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : -1;
		e->ctl_off += (size_t)n;
	}
	free(e->ctl);
	e->ctl = NULL;
	e->ctl_off = e->ctl_len = 0;
	return 0;
}

static int
queue_frame(struct tun_end *e, unsigned op, const void *p, size_t len)
{
	unsigned char f[WS_HDR_MAX + WS_CTL_MAX];
	ssize_t n = ws_frame(f, sizeof(f), op, p, len, e->server ? NULL : zero_key);

	return n < 0 ? -1 : queue_ctl(e, f, (size_t)n);
}

/* One data frame per call (up to WS_FRAME_MAX); over TLS its header and
 * payload share records with the frames around it (see ll_write). */
static ssize_t
ws_write(struct tun_end *e, int fd, const void *buf, size_t len, int flush)
{
	const unsigned char *b = buf;
	size_t done = 0;
	ssize_t n;
	int r = flush_ctl(e, fd);

	if (r < 0)
		return -1;
	if (r > 0 && !(e->fh_off < e->fh_len || e->frame_left)) {
		errno = EAGAIN;
		return -1;
	}
	if (!e->frame_left && e->fh_off >= e->fh_len) {
		size_t flen = len > WS_FRAME_MAX ? WS_FRAME_MAX : len;

		e->fh_len = ws_frame_header(e->fh, WS_OP_BIN, flen, e->server ? NULL : zero_key);
		e->fh_off = 0;
		e->frame_left = flen;
	}
	while (e->fh_off < e->fh_len) {
		if (!e->tls) {   /* header and payload in one segment */
			struct iovec iov[2];
			struct msghdr m;
			size_t hl = e->fh_len - e->fh_off;

			memset(&m, 0, sizeof(m));
			iov[0].iov_base = e->fh + e->fh_off;
			iov[0].iov_len = hl;
			iov[1].iov_base = (void *)(uintptr_t)b;
			iov[1].iov_len = len < e->frame_left ? len : (size_t)e->frame_left;
			m.msg_iov = iov;
			m.msg_iovlen = 2;
			n = sendmsg(fd, &m, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					fail(e, "send: %s", strerror(errno));
				return -1;
			}
			if ((size_t)n <= hl)
				e->fh_off += (size_t)n;
			else {
				e->fh_off = e->fh_len;
				done = (size_t)n - hl;
				e->frame_left -= done;
			}
		} else {
			n = ll_write(e, fd, e->fh + e->fh_off, e->fh_len - e->fh_off, 0);
			if (n < 0)
				return -1;
			e->fh_off += (size_t)n;
		}
	}
	while (done < len && e->frame_left) {
		size_t want = len - done < e->frame_left ? len - done : (size_t)e->frame_left;

		n = ll_write(e, fd, b + done, want, flush);
		if (n < 0) {
			if (errno == EAGAIN && done)
				break;
			return -1;
		}
		done += (size_t)n;
		e->frame_left -= (uint64_t)n;
	}
	if (!done) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)done;
}

static ssize_t
ws_read(struct tun_end *e, int fd, void *buf, size_t len)
{
	ssize_t n, m;

	for (;;) {
		if (e->peer_closed)
			return 0;
		if (e->left_off < e->left_len) {
			n = (ssize_t)(e->left_len - e->left_off < len ? e->left_len - e->left_off : len);
			memcpy(buf, e->left + e->left_off, (size_t)n);
			e->left_off += (size_t)n;
			if (e->left_off >= e->left_len) {
				free(e->left);
				e->left = NULL;
				e->left_off = e->left_len = 0;
			}
		} else {
			n = ll_read(e, fd, buf, len);
			if (n <= 0)
				return n;
		}
		m = ws_decode(&e->dec, buf, (size_t)n);
		if (m < 0)
			return fail(e, "ws: %s", e->dec.errmsg ? e->dec.errmsg : "protocol error");
		if (e->dec.ping_pending) {
			e->dec.ping_pending = 0;
			if (!e->close_sent && queue_frame(e, WS_OP_PONG, e->dec.ping, e->dec.ping_len) == 0)
				(void)flush_ctl(e, fd);
		}
		if (e->dec.closed)
			e->peer_closed = 1;
		if (m > 0)
			return m;
	}
}

/* A head of n bytes (n >= 4, ending in the blank line) in buf gets the line
 * "NAME: 1" before that blank line: its new length (size leaves room). */
static int
add_header(char *buf, size_t size, int n, const char *name)
{
	return (n - 2) + snprintf(buf + n - 2, size - (size_t)n + 2, "%s: 1\r\n\r\n", name);
}

/* Does the head (hl bytes) hold a header line NAME: (any case)? */
static int
has_header(char *head, size_t hl, const char *name)
{
	char c = head[hl], *p, pat[32];
	int found;

	snprintf(pat, sizeof(pat), "\n%s:", name);
	head[hl] = '\0';
	p = strcasestr(head, pat);
	found = p != NULL;
	head[hl] = c;
	return found;
}

static int
ws_head(struct tun_end *e, int fd)
{
	char err[ERRLEN];
	size_t hl = 0;
	ssize_t n;

	if (!e->head && !(e->head = malloc(WS_HEAD_MAX + 1)))
		return fail(e, "out of memory");
	for (;;) {
		enum ws_result r;

		n = ll_read(e, fd, e->head + e->head_len, WS_HEAD_MAX - e->head_len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return fail(e, "ws: the peer closed during the WebSocket handshake (%s)", e->server ?
			    "not a WebSocket client, or it gave up" : "is the exit speaking ws with this host and path?");
		e->head_len += (size_t)n;
		*err = '\0';
		if (e->server)
			r = ws_server_parse(e->head, e->head_len, e->s->t.host, e->s->t.path, e->key, &hl, err);
		else
			r = ws_client_parse(e->head, e->head_len, e->key, &hl, err);
		if (r == WS_NEED) {
			if (e->head_len >= WS_HEAD_MAX) {
				r = WS_BAD;
				snprintf(err, sizeof(err), "ws: handshake head longer than %d bytes", WS_HEAD_MAX);
			} else
				continue;
		}
		if (r != WS_OK) {
			if (e->server) {
				char reply[512];
				int rl = ws_http_error(reply, sizeof(reply), r);

				if (rl > 0 && ll_write(e, fd, reply, (size_t)rl, 1) > 0 && e->tls)
					(void)tls_step(e, fd);
				shutdown(fd, SHUT_WR);
				return fail(e, "ws: request refused with HTTP %d: %s", r == WS_NOTFOUND ? 404 :
				    r == WS_VERSION ? 426 : 400, *err ? err : ws_result_str(r));
			}
			return fail(e, "%s", *err ? err : "ws: bad handshake reply");
		}
		if (e->server) {
			char reply[256];
			int rl = ws_server_reply(reply, sizeof(reply) - 32, e->key);

			if (rl >= 4)   /* the announcement */
				rl = add_header(reply, sizeof(reply), rl, TUN_XWPF_HEADER);
			if (rl < 0 || queue_ctl(e, reply, (size_t)rl) < 0)
				return fail(e, "out of memory");
			if (has_header(e->head, hl, TUN_UDP_HEADER))
				e->udp = 1;
			if (has_header(e->head, hl, TUN_POOL_HEADER))
				e->pool = 1;
		} else
			e->peer_xwpf = has_header(e->head, hl, TUN_XWPF_HEADER);
		if (e->head_len > hl) {
			if (!(e->left = malloc(e->head_len - hl)))
				return fail(e, "out of memory");
			memcpy(e->left, e->head + hl, e->head_len - hl);
			e->left_len = e->head_len - hl;
			e->left_off = 0;
		}
		free(e->head);
		e->head = NULL;
		e->head_len = 0;
		e->phase = PH_OPEN;
		if (flush_ctl(e, fd) < 0)
			return -1;
		return 1;
	}
}

static int
ws_request(struct tun_end *e)
{
	char req[1200];
	int n;

	if (ws_key_new(e->key) < 0)
		return fail(e, "ws: no randomness for the key: %s", strerror(errno));
	n = ws_client_request(req, sizeof(req) - 32, e->s->t.host, e->s->t.path, e->key);
	if (n < 4)
		return fail(e, "ws: host= and path= too long for the request");
	if (e->udp || e->pool)
		n = add_header(req, sizeof(req), n, e->udp ? TUN_UDP_HEADER : TUN_POOL_HEADER);
	if (queue_ctl(e, req, (size_t)n) < 0)
		return fail(e, "out of memory");
	return 0;
}

int
tun_end_handshake(struct tun_end *e, int fd)
{
	ssize_t n;

	if (e->phase == PH_OPEN)
		return 1;
	if (e->phase == PH_FAIL)
		return -1;
	while (e->praw_off < e->praw_len) {
		n = send(fd, e->praw + e->praw_off, e->praw_len - e->praw_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR || errno == EINPROGRESS ? 0 :
			    fail(e, "send: %s", strerror(errno));
		e->praw_off += (size_t)n;
	}
	if (e->phase == PH_PRE)
		e->phase = e->tls ? PH_TLS : e->server ? PH_WS_HEAD : PH_WS_REQ;
	if (e->phase == PH_TLS) {
		if (tls_step(e, fd) < 0)
			return -1;
		if (!tls_ready(e->tls)) {
			if (e->tls_eof)
				return fail(e, "tls: the peer closed during the handshake");
			return 0;
		}
		if (e->server && !e->s->t.ws) {
			const char *p = br_ssl_engine_get_selected_protocol(tls_engine(e->tls));
			e->udp = p && strcmp(p, TUN_UDP_ALPN) == 0;
		}
		e->phase = !e->s->t.ws ? PH_OPEN : e->server ? PH_WS_HEAD : PH_WS_REQ;
	}
	if (e->phase == PH_WS_REQ) {
		if (ws_request(e) < 0)
			return -1;
		e->phase = PH_WS_HEAD;
	}
	if (e->phase == PH_WS_HEAD) {
		int r = flush_ctl(e, fd);   /* the client's request */

		if (r)
			return r < 0 ? -1 : 0;
		return ws_head(e, fd);
	}
	return e->phase == PH_OPEN ? 1 : 0;
}

ssize_t
tun_end_read(struct tun_end *e, int fd, void *buf, size_t len)
{
	if (e->phase != PH_OPEN) {
		if (e->phase == PH_FAIL)
			return fail(e, "%s", e->err);
		errno = EAGAIN;
		return -1;
	}
	return e->s->t.ws ? ws_read(e, fd, buf, len) : ll_read(e, fd, buf, len);
}

void
tun_end_set_early(struct tun_end *e)
{
	e->early = !e->server && e->s->t.ws;
}

int
tun_end_early(const struct tun_end *e)
{
	return e->early && e->phase == PH_WS_HEAD;
}

void
tun_end_set_pool(struct tun_end *e)
{
	e->pool = !e->server && e->s->t.ws;
}

int
tun_end_pool(const struct tun_end *e)
{
	return e->pool;
}

int
tun_end_peer_xwpf(const struct tun_end *e)
{
	return e->peer_xwpf;
}

uint64_t
tun_end_frames(const struct tun_end *e)
{
	return e->dec.frames;
}

int
tun_end_open_frame(struct tun_end *e, int fd)
{
	if (e->phase != PH_OPEN || !e->s->t.ws || e->server)
		return fail(e, "ws: no stream to open");
	if (queue_frame(e, WS_OP_BIN, NULL, 0) < 0)
		return fail(e, "out of memory");
	return tun_end_flush(e, fd) < 0 ? -1 : 0;
}

static ssize_t
end_write(struct tun_end *e, int fd, const void *buf, size_t len, int flush)
{
	if (e->phase != PH_OPEN && !tun_end_early(e)) {
		if (e->phase == PH_FAIL)
			return fail(e, "%s", e->err);
		errno = EAGAIN;
		return -1;
	}
	if (e->fin_sent)
		return fail(e, "write after the end of the stream");
	return e->s->t.ws ? ws_write(e, fd, buf, len, flush) : ll_write(e, fd, buf, len, flush);
}

ssize_t
tun_end_write(struct tun_end *e, int fd, const void *buf, size_t len)
{
	return end_write(e, fd, buf, len, 1);
}

ssize_t
tun_end_write_more(struct tun_end *e, int fd, const void *buf, size_t len)
{
	return end_write(e, fd, buf, len, 0);
}

int
tun_end_unflushed(const struct tun_end *e)
{
	return e->unflushed;
}

int
tun_end_flush(struct tun_end *e, int fd)
{
	int r;

	if (e->phase == PH_FAIL)
		return -1;
	if (e->phase != PH_OPEN)
		return 0;
	if (e->ctl_len && (r = flush_ctl(e, fd)) != 0)
		return r;
	if (e->tls) {
		if (e->unflushed) {
			br_ssl_engine_flush(tls_engine(e->tls), 0);
			e->unflushed = 0;
		}
		if (tls_out(e, fd) < 0)
			return -1;
		if (tls_state(e->tls) & BR_SSL_SENDREC)
			return 1;
	}
	return 0;
}

/* Bytes the reader can have without the socket. */
int
tun_end_buffered(struct tun_end *e)
{
	size_t n = 0;

	if (e->phase == PH_FAIL || e->left_len > e->left_off || e->peer_closed)
		return 1;
	if (e->tls && e->phase == PH_OPEN && tls_recvapp(e->tls, &n) && n)
		return 1;
	return 0;
}

int
tun_end_shutdown(struct tun_end *e, int fd, int final)
{
	int r;

	if (e->fin_sent)
		return 0;
	if (e->phase == PH_OPEN) {
		if (e->s->t.ws && final && !e->close_sent) {
			unsigned char code[2] = { 1000 >> 8, 1000 & 0xff };
			e->close_sent = 1;
			(void)queue_frame(e, WS_OP_CLOSE, code, 2);
		}
		r = tun_end_flush(e, fd);
		if (r > 0)
			return 1;
	}
	e->fin_sent = 1;
	shutdown(fd, SHUT_WR);
	return 0;
}

/* ---- what is known of exit addresses: xwpf or not (tunnel.h) ---- */

#define XWPF_SLOTS 64

static struct {
	unsigned char k[TUN_ADDR_KEY];
	size_t klen;
	int64_t at;
} xtab[XWPF_SLOTS];
static pthread_mutex_t xmu = PTHREAD_MUTEX_INITIALIZER;

/* The slot of key k, or -1; with make, a free one or the one used longest ago. */
static int
xslot(const unsigned char *k, size_t klen, int make)
{
	int i, pick = 0;

	for (i = 0; i < XWPF_SLOTS; i++) {
		if (xtab[i].klen == klen && memcmp(xtab[i].k, k, klen) == 0)
			return i;
		if (xtab[i].at < xtab[pick].at)
			pick = i;
	}
	return make ? pick : -1;
}

void
tun_peer_xwpf_set(const struct sockaddr *sa, int yes)
{
	unsigned char k[TUN_ADDR_KEY];
	size_t klen = tun_addr_key(sa, k);
	int i;

	if (!klen)
		return;
	pthread_mutex_lock(&xmu);
	i = xslot(k, klen, yes);
	if (i >= 0 && yes) {
		memcpy(xtab[i].k, k, klen);
		xtab[i].klen = klen;
		xtab[i].at = now_ms();
	} else if (i >= 0)
		memset(&xtab[i], 0, sizeof(xtab[i]));
	pthread_mutex_unlock(&xmu);
}

int
tun_peer_xwpf(const struct sockaddr *sa)
{
	unsigned char k[TUN_ADDR_KEY];
	size_t klen = tun_addr_key(sa, k);
	int i;

	if (!klen)
		return 0;
	pthread_mutex_lock(&xmu);
	i = xslot(k, klen, 0);
	pthread_mutex_unlock(&xmu);
	return i >= 0;
}
