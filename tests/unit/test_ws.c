/* WebSocket: RFC 6455 known answers, realm's exact handshake, frames fed byte by byte. */
#include <stdlib.h>

#include "t.h"
#include "util.h"
#include "ws.h"

static const char realm_req[] =
    "GET /chat HTTP/1.1\r\n"
    "host: example.com\r\n"
    "upgrade: websocket\r\n"
    "connection: upgrade\r\n"
    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "sec-websocket-version: 13\r\n"
    "\r\n";

static enum ws_result
srv(const char *req, size_t *head)
{
	char key[WS_KEY_LEN + 1], err[ERRLEN];

	return ws_server_parse(req, strlen(req), "example.com", "/chat", key, head, err);
}

static void
test_handshake(void)
{
	char acc[WS_ACCEPT_LEN + 1], buf[1024], key[WS_KEY_LEN + 1], key2[WS_KEY_LEN + 1], err[ERRLEN];
	size_t head = 0, i;
	enum ws_result r;
	int n;

	ws_accept("dGhlIHNhbXBsZSBub25jZQ==", acc);
	CHECK_STR(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 example key gives the RFC's accept value");

	n = ws_client_request(buf, sizeof(buf), "example.com", "/chat", "dGhlIHNhbXBsZSBub25jZQ==");
	CHECK(n == (int)strlen(realm_req) && memcmp(buf, realm_req, n) == 0, "client request is realm's, byte for byte");
	CHECK(ws_client_request(buf, 40, "example.com", "/chat", "x") < 0, "short buffer refused");
	CHECK(ws_key_new(key) == 0 && strlen(key) == 24 && key[22] == '=' && key[23] == '=', "new key is 24 base64 chars");
	CHECK(ws_key_new(key2) == 0 && strcmp(key, key2) != 0, "two new keys differ");

	/* server side */
	CHECK(srv(realm_req, &head) == WS_OK && head == strlen(realm_req), "realm's request accepted");
	r = ws_server_parse(realm_req, strlen(realm_req), "example.com", "/chat", key, &head, err);
	CHECK_STR(key, "dGhlIHNhbXBsZSBub25jZQ==", "client key extracted");
	for (i = 0, r = WS_NEED; i < strlen(realm_req) && r == WS_NEED; i++)
		r = ws_server_parse(realm_req, i, "example.com", "/chat", key, &head, err);
	CHECK(i == strlen(realm_req) && r == WS_NEED, "request fed byte by byte needs more until its last byte");
	snprintf(buf, sizeof(buf), "%s\x82\x05hello", realm_req);
	CHECK(ws_server_parse(buf, strlen(buf), "example.com", "/chat", key, &head, err) == WS_OK &&
	    head == strlen(realm_req), "frame bytes that arrive with the request are left after the head");
	CHECK(srv("GET /chat HTTP/1.1\r\nHost: EXAMPLE.com:8443\r\nUpgrade: WebSocket\r\n"
	    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\nUser-Agent: x\r\n\r\n", &head) == WS_OK,
	    "title-case names, host with a port, connection token list accepted");
	CHECK(srv("GET /chat HTTP/1.1\r\nhost: example.com\r\nupgrade: websocket\r\nconnection: keep-alive\r\n"
	    "connection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
	    &head) == WS_OK, "connection split over two header lines accepted");
	CHECK(srv("GET /chat HTTP/1.1\r\nhost: example.org\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n", &head) == WS_NOTFOUND,
	    "wrong host: 404");
	CHECK(srv("GET /chat HTTP/1.1\r\nhost: example.com:x\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n", &head) == WS_NOTFOUND,
	    "host with a non-numeric port: 404");
	CHECK(ws_server_parse("GET /chat2 HTTP/1.1\r\nhost: example.com\r\n\r\n", 42, "example.com", "/chat", key,
	    &head, err) == WS_NOTFOUND && strstr(err, "path=/chat"), "wrong path: 404, message names the path: %s", err);
	CHECK(srv("GET /chat HTTP/1.1\r\nhost: example.com\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 8\r\n\r\n", &head) == WS_VERSION,
	    "version 8: 426");
	CHECK(srv("GET /chat HTTP/1.1\r\nhost: example.com\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-version: 13\r\n\r\n", &head) == WS_BAD, "no key: 400");
	CHECK(srv("GET /chat HTTP/1.1\r\nhost: example.com\r\nconnection: upgrade\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n", &head) == WS_BAD,
	    "no upgrade header: 400");
	CHECK(srv("POST /chat HTTP/1.1\r\nhost: example.com\r\n\r\n", &head) == WS_BAD, "POST: 400");
	CHECK(srv("GET /chat HTTP/1.0\r\nhost: example.com\r\n\r\n", &head) == WS_BAD, "HTTP/1.0: 400");
	CHECK(srv("GET /chat HTTP/1.1\r\nhost example.com\r\n\r\n", &head) == WS_BAD, "header without colon: 400");
	CHECK(srv("\x16\x03\x01\x02\x00", &head) == WS_BAD, "a TLS ClientHello is refused at once, not waited for");
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	{
		char *big = malloc(WS_HEAD_MAX + 10);

		memset(big, 'a', WS_HEAD_MAX + 10);
		memcpy(big, "GET /", 5);
		CHECK(ws_server_parse(big, WS_HEAD_MAX - 1, "example.com", "/chat", key, &head, err) == WS_NEED,
		    "a long head is waited for up to WS_HEAD_MAX");
		CHECK(ws_server_parse(big, WS_HEAD_MAX + 10, "example.com", "/chat", key, &head, err) == WS_BAD,
		    "a head longer than WS_HEAD_MAX is refused");
		free(big);
	}
	n = ws_http_error(buf, sizeof(buf), WS_NOTFOUND);
	CHECK(n > 0 && strncmp(buf, "HTTP/1.1 404 Not Found\r\n", 24) == 0 && strstr(buf, "\r\n\r\n") == buf + n - 4,
	    "404 reply");
	n = ws_http_error(buf, sizeof(buf), WS_VERSION);
	CHECK(n > 0 && strstr(buf, "426") && strstr(buf, "sec-websocket-version: 13\r\n"), "426 reply names version 13");

	/* client side */
	n = ws_server_reply(buf, sizeof(buf), "dGhlIHNhbXBsZSBub25jZQ==");
	CHECK_STR(buf, "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", "101 reply as realm sends it");
	CHECK(ws_client_parse(buf, n, "dGhlIHNhbXBsZSBub25jZQ==", &head, err) == WS_OK && head == (size_t)n,
	    "client accepts the 101 reply");
	memcpy(buf + n, "\x82\x02hi", 4);
	CHECK(ws_client_parse(buf, n + 4, "dGhlIHNhbXBsZSBub25jZQ==", &head, err) == WS_OK && head == (size_t)n,
	    "bytes after the 101 reply are left for the decoder (realm drops them)");
	CHECK(ws_client_parse(buf, n - 1, "dGhlIHNhbXBsZSBub25jZQ==", &head, err) == WS_NEED, "101 one byte short");
	CHECK(ws_client_parse(buf, n, "AAAAAAAAAAAAAAAAAAAAAA==", &head, err) == WS_BAD && strstr(err, "accept"),
	    "wrong accept value refused: %s", err);
	strcpy(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nDate: x\r\n\r\n");
	CHECK(ws_client_parse(buf, strlen(buf), "dGhlIHNhbXBsZSBub25jZQ==", &head, err) == WS_OK,
	    "title-case 101 reply with extra headers accepted");
	n = ws_http_error(buf, sizeof(buf), WS_NOTFOUND);
	CHECK(ws_client_parse(buf, n, "dGhlIHNhbXBsZSBub25jZQ==", &head, err) == WS_BAD &&
	    strstr(err, "404 Not Found") && strstr(err, "path="), "a 404 is reported with the status: %s", err);
	CHECK(ws_client_parse("SSH-2.0-x\r\n", 11, "k", &head, err) == WS_BAD, "a non-HTTP answer is refused at once");
}

/* Decode all of in, fed in pieces of step bytes; data appended to out. */
static ssize_t
decode_steps(struct ws_dec *d, const unsigned char *in, size_t n, size_t step, unsigned char *out)
{
	unsigned char piece[70000];
	size_t i, total = 0;

	for (i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		ssize_t r;

		memcpy(piece, in + i, k);
		if ((r = ws_decode(d, piece, k)) < 0)
			return -1;
		memcpy(out + total, piece, (size_t)r);
		total += (size_t)r;
	}
	return (ssize_t)total;
}

static void
test_frames(void)
{
	static const unsigned char hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const unsigned char hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const unsigned char frag[] = { 0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o' };
	static const unsigned char ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const unsigned char pong_masked[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d }, zero[4] = { 0 };
	static unsigned char big[70000], enc[70100], out[70100];
	unsigned char buf[200], hdr[WS_HDR_MAX];
	struct ws_dec d;
	size_t h, i, step;
	ssize_t n;

	/* RFC 6455 section 5.7 examples */
	n = ws_frame(buf, sizeof(buf), WS_OP_TEXT, "Hello", 5, NULL);
	CHECK(n == 7 && memcmp(buf, hello, 7) == 0, "RFC 5.7 unmasked text frame");
	n = ws_frame(buf, sizeof(buf), WS_OP_TEXT, "Hello", 5, key);
	CHECK(n == 11 && memcmp(buf, hello_masked, 11) == 0, "RFC 5.7 masked text frame");
	n = ws_frame(buf, sizeof(buf), WS_OP_PONG, "Hello", 5, key);
	CHECK(n == 11 && memcmp(buf, pong_masked, 11) == 0, "RFC 5.7 masked pong");
	n = ws_frame(buf, sizeof(buf), WS_OP_BIN, "Hello", 5, zero);
	CHECK(n == 11 && memcmp(buf, "\x82\x85\0\0\0\0Hello", 11) == 0, "realm's zero mask key: payload as is");
	h = ws_frame_header(hdr, WS_OP_BIN, 256, NULL);
	CHECK(h == 4 && memcmp(hdr, "\x82\x7e\x01\x00", 4) == 0, "RFC 5.7 256-byte binary: 16-bit length");
	h = ws_frame_header(hdr, WS_OP_BIN, 65536, NULL);
	CHECK(h == 10 && memcmp(hdr, "\x82\x7f\0\0\0\0\0\x01\0\0", 10) == 0, "RFC 5.7 64 KiB binary: 64-bit length");
	h = ws_frame_header(hdr, WS_OP_BIN, 125, key);
	CHECK(h == 6 && hdr[1] == (0x80 | 125), "125 bytes: 7-bit length, masked");
	h = ws_frame_header(hdr, WS_OP_BIN, 65535, key);
	CHECK(h == 8 && hdr[1] == (0x80 | 126) && hdr[2] == 0xff && hdr[3] == 0xff, "65535 bytes: 16-bit length");

	ws_dec_init(&d);
	memcpy(buf, hello, 7);
	CHECK(ws_decode(&d, buf, 7) == 5 && memcmp(buf, "Hello", 5) == 0, "decode unmasked text");
	memcpy(buf, hello_masked, 11);
	CHECK(ws_decode(&d, buf, 11) == 5 && memcmp(buf, "Hello", 5) == 0, "decode masked text");
	memcpy(buf, frag, 9);
	CHECK(ws_decode(&d, buf, 9) == 5 && memcmp(buf, "Hello", 5) == 0, "fragments are one stream");
	memcpy(buf, ping, 7);
	memcpy(buf + 7, hello, 7);
	n = ws_decode(&d, buf, 14);
	CHECK(n == 5 && memcmp(buf, "Hello", 5) == 0 && d.ping_pending && d.ping_len == 5 &&
	    memcmp(d.ping, "Hello", 5) == 0, "ping surfaced with its payload, data after it kept");
	n = ws_frame(buf, sizeof(buf), WS_OP_PONG, d.ping, d.ping_len, NULL);
	CHECK(n == 7 && buf[0] == 0x8a, "pong built from the ping");
	d.ping_pending = 0;
	memcpy(buf, pong_masked, 11);
	CHECK(ws_decode(&d, buf, 11) == 0 && !d.ping_pending && !d.closed, "pong ignored");
	CHECK(d.frames == 7, "frames counted");

	/* byte by byte, every kind of length, masked and not */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8));
	{
		static const size_t sizes[] = { 0, 1, 125, 126, 127, 65535, 65536, 69999 };
		size_t s;

		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			for (i = 0; i < 3; i++) {
				unsigned char k[4];
				const unsigned char *kp = i == 0 ? NULL : i == 1 ? zero : k;

				ws_mask_key(k);
				n = ws_frame(enc, sizeof(enc), WS_OP_BIN, big, sizes[s], kp);
				step = sizes[s] < 300 ? 1 : 997;
				ws_dec_init(&d);
				CHECK(n > 0 && decode_steps(&d, enc, (size_t)n, step, out) == (ssize_t)sizes[s] &&
				    memcmp(out, big, sizes[s]) == 0 && d.frames == 1,
				    "%zu bytes, %s, fed %zu bytes at a time", sizes[s],
				    i == 0 ? "unmasked" : i == 1 ? "zero mask" : "random mask", step);
			}
		}
	}
	/* a masked ping split across calls */
	ws_dec_init(&d);
	n = ws_frame(enc, sizeof(enc), WS_OP_PING, "abc", 3, key);
	CHECK(decode_steps(&d, enc, (size_t)n, 1, out) == 0 && d.ping_pending && d.ping_len == 3 &&
	    memcmp(d.ping, "abc", 3) == 0, "masked ping fed byte by byte is unmasked");

	/* close */
	ws_dec_init(&d);
	n = ws_frame(enc, sizeof(enc), WS_OP_CLOSE, "\x03\xe8", 2, key);
	memcpy(enc + n, hello, 7);
	CHECK(ws_decode(&d, enc, (size_t)n + 7) == 0 && d.closed && d.close_code == 1000, "close 1000, data after it dropped");
	ws_dec_init(&d);
	memcpy(buf, "\x88\x00", 2);
	CHECK(ws_decode(&d, buf, 2) == 0 && d.closed && d.close_code == 1005, "empty close: 1005");
	ws_dec_init(&d);
	memcpy(buf, "\x89\x00", 2);
	CHECK(ws_decode(&d, buf, 2) == 0 && d.ping_pending && d.ping_len == 0, "empty ping at the end of input");

	/* protocol errors */
	ws_dec_init(&d);
	memcpy(buf, "\xc2\x00", 2);
	CHECK(ws_decode(&d, buf, 2) < 0 && d.errmsg && strstr(d.errmsg, "reserved"), "RSV1 set: error");
	CHECK(ws_decode(&d, buf, 2) < 0, "the error sticks");
	ws_dec_init(&d);
	memcpy(buf, "\x83\x00", 2);
	CHECK(ws_decode(&d, buf, 2) < 0, "opcode 3: error");
	ws_dec_init(&d);
	memcpy(buf, "\x89\x7e\x00\x7e", 4);
	CHECK(ws_decode(&d, buf, 4) < 0, "control frame of 126 bytes: error");
	ws_dec_init(&d);
	memcpy(buf, "\x09\x00", 2);
	CHECK(ws_decode(&d, buf, 2) < 0, "fragmented ping: error");
	ws_dec_init(&d);
	memcpy(buf, "\x82\x7f\x80\0\0\0\0\0\0\0", 10);
	CHECK(ws_decode(&d, buf, 10) < 0, "64-bit length with the top bit: error");
}

int
main(void)
{
	test_handshake();
	test_frames();
	return T_DONE();
}
