/* libFuzzer: the WebSocket handshake parsers and frame decoder (lib/proto/ws.c).
 * The first byte picks the target; for frames, decoding in one piece and in
 * pieces cut where the input says must give the same stream and the same events. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[WS_KEY_LEN + 1], err[ERRLEN];
	size_t head = 0;
	enum ws_result r;

	if (size < 2)
		return 0;
	switch (data[0] % 3) {
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
