/* libFuzzer: the WebSocket handshake parsers and frame decoder (lib/proto/ws.c).
 * The first byte picks the target; for frames, decoding in one piece and in
 * pieces cut where the input says must give the same stream and the same events.
 * Round trips: for any host= and path= a transport accepts (HOST '\n' PATH),
 * the relay's request passes the exit's check with its key and the exit's 101
 * passes the relay's; a payload framed (masked or not) decodes, in any cut,
 * to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"
#include "util.h"
#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
decode_all(struct ws_dec *d, const uint8_t *in, size_t n, size_t step, unsigned char *out, int *fail)
{
	unsigned char *piece = malloc(step ? step : 1);
	size_t i, total = 0;

	*fail = 0;
	for (i = 0; i < n && !*fail; i += step) {
		size_t k = n - i < step ? n - i : step;
		ssize_t r;

		memcpy(piece, in + i, k);
		r = ws_decode(d, piece, k);
		if (r < 0)
			*fail = 1;
		else {
			if ((size_t)r > k)
				abort();
			memcpy(out + total, piece, (size_t)r);
			total += (size_t)r;
		}
	}
	free(piece);
	return total;
}

/* What one xwpf end writes, the other accepts. */
static void
handshake(const uint8_t *data, size_t size)
{
	static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
	char text[600], spec[700], req[1024], reply[256], got[WS_KEY_LEN + 1], err[ERRLEN], *nl;
	struct transport t;
	size_t head = 0;
	int n, rl;

	if (size >= sizeof(text) || memchr(data, 0, size))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!(nl = strchr(text, '\n')))
		return;
	*nl = '\0';
	snprintf(spec, sizeof(spec), "ws;host=%s;path=%s", text, nl + 1);
	if (transport_parse(spec, TRANSPORT_CLIENT, &t, err) < 0)
		return;
	if ((n = ws_client_request(req, sizeof(req), t.host, t.path, key)) < 0)
		abort();
	if (ws_server_parse(req, (size_t)n, t.host, t.path, got, &head, err) != WS_OK || head != (size_t)n ||
	    strcmp(got, key) != 0)
		abort();
	if ((rl = ws_server_reply(reply, sizeof(reply), got)) < 0 ||
	    ws_client_parse(reply, (size_t)rl, key, &head, err) != WS_OK || head != (size_t)rl)
		abort();
}

/* A payload framed as the relay (masked) or the exit (not) does reads back whole. */
static void
frame(const uint8_t *data, size_t size)
{
	static const unsigned op[] = { WS_OP_BIN, WS_OP_TEXT, WS_OP_CONT };
	const unsigned char mkey[4] = { data[0], 0x5a, 0xa5, (unsigned char)(data[0] * 7) };
	size_t n = size - 1, step = 1 + data[0] % 23;
	unsigned char *f = malloc(n + WS_HDR_MAX), *o = malloc(n + WS_HDR_MAX);
	struct ws_dec d;
	ssize_t fl;
	int fail;

	if (!f || !o)
		abort();
	fl = ws_frame(f, n + WS_HDR_MAX, op[data[0] % 3], data + 1, n, data[0] & 0x80 ? mkey : NULL);
	if (fl < 0)
		abort();
	ws_dec_init(&d);
	if (decode_all(&d, f, (size_t)fl, step, o, &fail) != n || fail || d.closed || memcmp(o, data + 1, n) != 0)
		abort();
	free(f);
	free(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[WS_KEY_LEN + 1], err[ERRLEN];
	size_t head = 0;
	enum ws_result r;

	if (size < 2)
		return 0;
	switch (data[0] % 5) {
	case 0:
		r = ws_server_parse(data + 1, size - 1, "example.com", "/chat", key, &head, err);
		if (r == WS_OK && (head > size - 1 || strlen(key) != WS_KEY_LEN))
			abort();
		if (r == WS_NEED && size - 1 >= WS_HEAD_MAX)
			abort();
		break;
	case 1:
		r = ws_client_parse(data + 1, size - 1, "dGhlIHNhbXBsZSBub25jZQ==", &head, err);
		if (r == WS_OK && head > size - 1)
			abort();
		break;
	case 3:
		handshake(data + 1, size - 1);
		break;
	case 4:
		frame(data + 1, size - 1);
		break;
	default: {
		struct ws_dec a, b;
		unsigned char *o1 = malloc(size), *o2 = malloc(size);
		size_t n1, n2, step = 1 + data[1] % 17;
		int f1, f2;

		ws_dec_init(&a);
		ws_dec_init(&b);
		n1 = decode_all(&a, data + 2, size - 2, size, o1, &f1);
		n2 = decode_all(&b, data + 2, size - 2, step, o2, &f2);
		/* a split run stops at the first error; the one-piece run may have emitted more data first */
		if (f1 != f2 || a.closed != b.closed || (!f1 && (n1 != n2 || memcmp(o1, o2, n1))))
			abort();
		if (!f1 && (a.ping_pending != b.ping_pending || a.ping_len != b.ping_len ||
		    memcmp(a.ping, b.ping, a.ping_len) || a.close_code != b.close_code))
			abort();
		free(o1);
		free(o2);
	}
	}
	return 0;
}
