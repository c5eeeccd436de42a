/* WebSocket: RFC 6455 known answers, realm's exact handshake, frames fed byte by byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* --- interop with python3-websockets over loopback --- */

static const char py_server[] =
    "import asyncio, websockets\n"
    "async def h(ws, path):\n"
    "    async for m in ws:\n"
    "        await ws.send(m)\n"
    "async def main():\n"
    "    async with websockets.serve(h, '127.0.0.1', 0, max_size=None) as s:\n"
    "        print(s.sockets[0].getsockname()[1], flush=True)\n"
    "        await asyncio.sleep(30)\n"
    "asyncio.run(main())\n";

static const char py_client[] =
    "import asyncio, sys, websockets\n"
    "async def main(url):\n"
    "    try:\n"
    "        async with websockets.connect(url, max_size=None, close_timeout=5) as ws:\n"
    "            data = bytes(range(256)) * 1000\n"
    "            await ws.send(data)\n"
    "            got = b''\n"
    "            while len(got) < len(data):\n"
    "                got += await ws.recv()\n"
    "            pong = await ws.ping(b'xy')\n"
    "            await asyncio.wait_for(pong, 5)\n"
    "            print('echo', 'ok' if got == data else 'bad', 'pong ok', flush=True)\n"
    "        print('close', ws.close_code, flush=True)\n"
    "    except websockets.exceptions.InvalidStatusCode as e:\n"
    "        print('status', e.status_code, flush=True)\n"
    "asyncio.run(main(sys.argv[1]))\n";

static const char *python = "/usr/bin/python3";

static pid_t
spawn_py(const char *script, const char *arg, int *out)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(python, python, "-c", script, arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	return pid;
}

/* read a line (bounded by 10 s) from fd */
static int
read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n + 1 < size && poll(&p, 1, 10000) == 1) {
		if (read(fd, buf + n, 1) != 1)
			break;
		if (buf[n++] == '\n') {
			buf[n - 1] = ' ';
			break;
		}
	}
	buf[n] = '\0';
	return (int)n;
}

static void
stop(pid_t pid)
{
	int st, i;

	kill(pid, SIGTERM);
	for (i = 0; i < 50 && waitpid(pid, &st, WNOHANG) != pid; i++)
		usleep(100000);
	if (i == 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}

static int
recv_some(int fd, unsigned char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 10000) != 1)
		return -1;
	return (int)read(fd, buf, size);
}

/* our handshake and frames against a websockets server that echoes */
static void
test_python_server(void)
{
	static unsigned char data[200000], frame[70000], in[300000], out[300000];
	char line[64], req[512], key[WS_KEY_LEN + 1], err[ERRLEN];
	struct sockaddr_in a = { .sin_family = AF_INET };
	size_t have = 0, head = 0, got = 0, off, i;
	struct ws_dec d;
	int fd, pout, n, ok = 1;
	pid_t pid = spawn_py(py_server, NULL, &pout);

	read_line(pout, line, sizeof(line));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)atoi(line));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(atoi(line) > 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	    "connected to a python3-websockets server on port %d", atoi(line));
	ws_key_new(key);
	n = ws_client_request(req, sizeof(req), "127.0.0.1", "/chat", key);
	CHECK(write(fd, req, (size_t)n) == n, "realm's request sent");
	while ((n = recv_some(fd, in + have, sizeof(in) - have)) > 0) {
		have += (size_t)n;
		if (ws_client_parse(in, have, key, &head, err) != WS_NEED)
			break;
	}
	CHECK(ws_client_parse(in, have, key, &head, err) == WS_OK, "its 101 reply accepted: %s", err);
	/* frames of every length class, random, zero and no mask... the server requires a mask */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	for (off = 0, i = 0; off < sizeof(data); i++) {
		static const size_t sizes[] = { 1, 125, 126, 65535, 65536, 69000, 3 };
		size_t len = sizes[i % ARRAY_SIZE(sizes)];
		unsigned char k[4], zero[4] = { 0 };
		ssize_t fl;

		if (len > sizeof(data) - off)
			len = sizeof(data) - off;
		ws_mask_key(k);
		fl = ws_frame(frame, sizeof(frame) + 14, WS_OP_BIN, data + off, len, i % 2 ? zero : k);
		ok &= fl > 0 && write_all(fd, frame, (size_t)fl) == 0;
		off += len;
	}
	{
		ssize_t fl = ws_frame(frame, sizeof(frame), WS_OP_PING, "p", 1, (const unsigned char *)"abcd");

		ok &= write_all(fd, frame, (size_t)fl) == 0;
	}
	CHECK(ok, "200 KB sent in frames of 7-bit, 16-bit and 64-bit lengths, random and zero masks, and a ping");
	ws_dec_init(&d);
	memmove(in, in + head, have - head);     /* bytes after the 101 are frame data */
	have -= head;
	for (;;) {
		ssize_t r = ws_decode(&d, in, have);

		if (r < 0)
			break;
		memcpy(out + got, in, (size_t)r);
		got += (size_t)r;
		if (got >= sizeof(data) && d.frames >= i + 1)
			break;
		if ((n = recv_some(fd, in, 65536)) <= 0)
			break;
		have = (size_t)n;
	}
	CHECK(got == sizeof(data) && memcmp(out, data, got) == 0, "echo decoded byte-exact (%zu bytes, %llu frames)",
	    got, (unsigned long long)d.frames);
	CHECK(d.frames == i + 1 && !d.ping_pending, "the pong came back and was consumed");
	{
		ssize_t fl = ws_frame(frame, sizeof(frame), WS_OP_CLOSE, "\x03\xe8", 2, (const unsigned char *)"wxyz");

		CHECK(write_all(fd, frame, (size_t)fl) == 0, "close sent");
	}
	while (!d.closed && (n = recv_some(fd, in, 65536)) > 0)
		ws_decode(&d, in, (size_t)n);
	CHECK(d.closed && d.close_code == 1000, "the server answered close 1000");
	close(fd);
	close(pout);
	stop(pid);
}

/* a websockets client against our server side */
static void
serve_one(int lfd, const char *path)
{
	static unsigned char in[300000], frame[300000];
	char key[WS_KEY_LEN + 1], err[ERRLEN], reply[512];
	size_t have = 0, head = 0;
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	enum ws_result r = WS_NEED;
	struct ws_dec d;
	int fd, n;

	if (poll(&p, 1, 10000) != 1 || (fd = accept(lfd, NULL, NULL)) < 0)
		return;
	while (r == WS_NEED && (n = recv_some(fd, in + have, sizeof(in) - have)) > 0) {
		have += (size_t)n;
		r = ws_server_parse(in, have, "127.0.0.1", path, key, &head, err);
	}
	if (r != WS_OK) {
		n = ws_http_error(reply, sizeof(reply), r);
		write_all(fd, reply, (size_t)n);
		printf("# server refused: %s\n", err);
		close(fd);
		return;
	}
	n = ws_server_reply(reply, sizeof(reply), key);
	write_all(fd, reply, (size_t)n);
	ws_dec_init(&d);
	memmove(in, in + head, have - head);
	have -= head;
	for (;;) {
		ssize_t m = ws_decode(&d, in, have), fl;

		if (m < 0)
			break;
		if (m > 0) {
			fl = ws_frame(frame, sizeof(frame), WS_OP_BIN, in, (size_t)m, NULL);
			write_all(fd, frame, (size_t)fl);
		}
		if (d.ping_pending) {
			fl = ws_frame(frame, sizeof(frame), WS_OP_PONG, d.ping, d.ping_len, NULL);
			write_all(fd, frame, (size_t)fl);
			d.ping_pending = 0;
		}
		if (d.closed) {
			unsigned char code[2] = { (unsigned char)(d.close_code >> 8), (unsigned char)d.close_code };

			fl = ws_frame(frame, sizeof(frame), WS_OP_CLOSE, code, 2, NULL);
			write_all(fd, frame, (size_t)fl);
			break;
		}
		if ((n = recv_some(fd, in, 65536)) <= 0)
			break;
		have = (size_t)n;
	}
	close(fd);
}

static void
test_python_client(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	char url[128], line[128], lines[256] = "";
	int lfd = socket(AF_INET, SOCK_STREAM, 0), pout;
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &l) < 0)
		return;
	snprintf(url, sizeof(url), "ws://127.0.0.1:%u/chat", ntohs(a.sin_port));
	pid = spawn_py(py_client, url, &pout);
	serve_one(lfd, "/chat");
	while (read_line(pout, line, sizeof(line)) > 0)
		strncat(lines, line, sizeof(lines) - strlen(lines) - 1);
	stop(pid);
	close(pout);
	CHECK(strstr(lines, "echo ok pong ok") != NULL, "python3-websockets client: 256 KB echo and a pong from our server "
	    "(host with a port accepted)");
	CHECK(strstr(lines, "close 1000") != NULL, "its close was answered with close 1000 (%s)", lines);

	snprintf(url, sizeof(url), "ws://127.0.0.1:%u/wrong", ntohs(a.sin_port));
	pid = spawn_py(py_client, url, &pout);
	serve_one(lfd, "/chat");
	read_line(pout, line, sizeof(line));
	stop(pid);
	close(pout);
	CHECK(strstr(line, "status 404") != NULL, "a wrong path gets an HTTP 404 the client can read (%s)", line);
	close(lfd);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_handshake();
	test_frames();
	if (access(python, X_OK) == 0 && system("/usr/bin/python3 -c 'import websockets' 2>/dev/null") == 0) {
		test_python_server();
		test_python_client();
	} else
		printf("skip - python3-websockets interop: /usr/bin/python3 cannot import websockets\n");
	return T_DONE();
}
