/*
 * Tunnel ends (lib/relay/tunnel.c) over a socketpair with tiny socket buffers, so
 * that every write is partial: WebSocket handshake both ways with the UDP
 * header, frames cut anywhere (header, payload), a ping from outside
 * answered with a pong, the close frame only at the final end, the bytes
 * that came with the head kept, PROXY preamble before the request; and the
 * same over TLS (self-signed certificate, pin).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "tlsfiles.h"
#include "tunnel.h"
#include "util.h"
#include "ws.h"

static void
small(int fd)
{
	int v = 4096;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* Drive both handshakes to the end (bounded). */
static int
shake(struct tun_end *c, int cfd, struct tun_end *s, int sfd)
{
	int i, a = 0, b = 0;

	for (i = 0; i < 10000 && (a != 1 || b != 1); i++) {
		if (a != 1 && (a = tun_end_handshake(c, cfd)) < 0)
			return -1;
		if (b != 1 && (b = tun_end_handshake(s, sfd)) < 0)
			return -2;
	}
	return a == 1 && b == 1 ? 0 : -3;
}

/* Move len bytes from end x to end y both ways at once; 0 when both arrived intact. */
static int
pump(struct tun_end *x, int xfd, struct tun_end *y, int yfd, const unsigned char *d, size_t len)
{
	unsigned char *gx = malloc(len), *gy = malloc(len), buf[7000];
	size_t wx = 0, wy = 0, rx = 0, ry = 0;
	int i, rc = -1;
	ssize_t n;

	for (i = 0; i < 2000000 && (rx < len || ry < len); i++) {
		if (wx < len && (n = tun_end_write(x, xfd, d + wx, len - wx > 5000 ? 5000 : len - wx)) > 0)
			wx += (size_t)n;
		if (wy < len && (n = tun_end_write(y, yfd, d + wy, len - wy > 3000 ? 3000 : len - wy)) > 0)
			wy += (size_t)n;
		(void)tun_end_flush(x, xfd);
		(void)tun_end_flush(y, yfd);
		if ((n = tun_end_read(y, yfd, buf, sizeof(buf))) > 0) {
			if (ry + (size_t)n > len)
				goto out;
			memcpy(gy + ry, buf, (size_t)n);
			ry += (size_t)n;
		} else if (n < 0 && errno != EAGAIN)
			goto out;
		if ((n = tun_end_read(x, xfd, buf, 1000)) > 0) {
			if (rx + (size_t)n > len)
				goto out;
			memcpy(gx + rx, buf, (size_t)n);
			rx += (size_t)n;
		} else if (n < 0 && errno != EAGAIN)
			goto out;
	}
	rc = rx == len && ry == len && !memcmp(gx, d, len) && !memcmp(gy, d, len) ? 0 : -1;
out:
	free(gx);
	free(gy);
	return rc;
}

static void
test_ws(void)
{
	struct tun_side cs, ss;
	struct tun_end *c, *s;
	int sv[2], r;
	char err[ERRLEN];
	size_t len = 300000, i;
	unsigned char *d = malloc(len), raw[64], buf[64];
	ssize_t n;

	for (i = 0; i < len; i++)
		d[i] = (unsigned char)(i * 7 + i / 251);
	memset(&cs, 0, sizeof(cs));
	CHECK(transport_parse("ws;host=t.example;path=/x", TRANSPORT_CLIENT, &cs.t, err) == 0, "ws: client transport");
	cs.on = 1;
	memset(&ss, 0, sizeof(ss));
	CHECK(transport_parse("ws;host=t.example;path=/x", TRANSPORT_SERVER, &ss.t, err) == 0, "ws: server transport");
	ss.on = 1;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	small(sv[0]);
	small(sv[1]);
	c = tun_end_new(&cs, TUN_CLIENT, 1, NULL, err);
	s = tun_end_new(&ss, TUN_SERVER, 0, NULL, err);
	CHECK(c && s, "ws: ends made");
	CHECK(tun_end_preamble(c, "PRE!", 4) == 0, "ws: preamble queued");
	/* the server side reads the preamble itself (as the PROXY pre-read does) */
	r = shake(c, sv[0], s, sv[1]);
	CHECK(r == -2, "ws: the raw preamble comes first (the server sees junk before GET: refused)");
	tun_end_free(c);
	tun_end_free(s);
	close(sv[0]);
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	small(sv[0]);
	small(sv[1]);
	c = tun_end_new(&cs, TUN_CLIENT, 1, NULL, err);
	s = tun_end_new(&ss, TUN_SERVER, 0, NULL, err);
	CHECK(tun_end_preamble(c, "PRE!", 4) == 0, "ws: preamble queued");
	for (r = 0, i = 0; i < 100 && r == 0; i++)
		r = tun_end_handshake(c, sv[0]);   /* sends the preamble and the request, then waits */
	CHECK(recv(sv[1], buf, 4, 0) == 4 && !memcmp(buf, "PRE!", 4), "ws: preamble on the wire before the request");
	CHECK(shake(c, sv[0], s, sv[1]) == 0, "ws: handshake through partial writes");
	CHECK(tun_end_udp(s), "ws: the server learns UDP from the request header");
	CHECK(pump(c, sv[0], s, sv[1], d, len) == 0, "ws: %zu bytes each way intact through cut frames", len);

	/* a ping from the client side's socket is answered with a pong */
	n = ws_frame(raw, sizeof(raw), WS_OP_PING, "hi", 2, (const unsigned char *)"\1\2\3\4");
	CHECK(send(sv[0], raw, (size_t)n, 0) == n, "ws: ping sent");
	for (i = 0; i < 100; i++)
		if (tun_end_read(s, sv[1], buf, sizeof(buf)) < 0 && errno != EAGAIN)
			break;
	n = recv(sv[0], buf, sizeof(buf), 0);
	CHECK(n == 4 && buf[0] == 0x8a && buf[1] == 2 && !memcmp(buf + 2, "hi", 2), "ws: pong with the ping's payload");

	/* half-close: not final -> FIN only; final -> close frame, then FIN */
	CHECK(tun_end_shutdown(c, sv[0], 0) == 0, "ws: client ends its direction");
	for (i = 0; i < 100; i++)
		if ((n = tun_end_read(s, sv[1], buf, sizeof(buf))) >= 0 || errno != EAGAIN)
			break;
	CHECK(n == 0, "ws: the server reads the end (FIN, no close frame)");
	CHECK(tun_end_write(s, sv[1], "late", 4) == 4, "ws: the other direction still carries data");
	CHECK(tun_end_shutdown(s, sv[1], 1) == 0, "ws: the server ends last: final");
	n = recv(sv[0], raw, sizeof(raw), 0);
	CHECK(n == 6 + 4 && raw[0] == 0x82 && raw[6] == 0x88 && raw[7] == 2 && raw[8] == 0x03 && raw[9] == 0xe8,
	    "ws: data frame, then close frame 1000 (got %zd bytes)", n);
	tun_end_free(c);
	tun_end_free(s);
	close(sv[0]);
	close(sv[1]);
	free(d);
}

static void
test_tls(void)
{
	struct tun_side cs, ss;
	struct tun_end *c, *s;
	char dir[] = "/tmp/xwpf-tt-XXXXXX", crt[300], key[300], err[ERRLEN], pin[TLS_PIN_STRLEN], t[600];
	int sv[2];
	size_t len = 200000, i;
	unsigned char *d = malloc(len);

	for (i = 0; i < len; i++)
		d[i] = (unsigned char)(i * 13 + i / 509);
	if (!mkdtemp(dir)) {
		CHECK(0, "tls: temp dir");
		return;
	}
	snprintf(crt, sizeof(crt), "%s/c.crt", dir);
	snprintf(key, sizeof(key), "%s/c.key", dir);
	CHECK(tlsf_selfsigned_make("exit.test", crt, key, 0, 4102444800LL, err) == 0, "tls: certificate made");
	CHECK(tlsf_pin_file(crt, pin, err) == 0, "tls: pin read");
	memset(&ss, 0, sizeof(ss));
	snprintf(t, sizeof(t), "ws;host=h;path=/p;tls;cert=%s;key=%s", crt, key);
	CHECK(transport_parse(t, TRANSPORT_SERVER, &ss.t, err) == 0, "tls: server transport");
	ss.on = 1;
	ss.tls_srv = tlsf_server(&ss.t, err);
	memset(&cs, 0, sizeof(cs));
	snprintf(t, sizeof(t), "ws;host=h;path=/p;tls;sni=exit.test;pin=%s", pin);
	CHECK(transport_parse(t, TRANSPORT_CLIENT, &cs.t, err) == 0, "tls: client transport");
	cs.on = 1;
	cs.tls_cli = tlsf_client(&cs.t, NULL, err);
	CHECK(ss.tls_srv && cs.tls_cli, "tls: settings made");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	small(sv[0]);
	small(sv[1]);
	c = tun_end_new(&cs, TUN_CLIENT, 0, NULL, err);
	s = tun_end_new(&ss, TUN_SERVER, 0, NULL, err);
	CHECK(shake(c, sv[0], s, sv[1]) == 0, "wss: handshake (pinned) through partial writes");
	CHECK(!tun_end_udp(s), "wss: a TCP stream is not taken for UDP");
	CHECK(pump(c, sv[0], s, sv[1], d, len) == 0, "wss: %zu bytes each way intact", len);
	tun_end_free(c);
	tun_end_free(s);
	close(sv[0]);
	close(sv[1]);
	tlsf_client_free(cs.tls_cli);
	tls_server_free(ss.tls_srv);
	unlink(crt);
	unlink(key);
	rmdir(dir);
	free(d);
}

int
main(void)
{
	test_ws();
	test_tls();
	return T_DONE();
}
