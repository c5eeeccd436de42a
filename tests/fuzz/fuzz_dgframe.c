/* libFuzzer: UDP datagrams inside a tunnel's stream (lib/proto/dgframe.c),
 * the framing both tunnel ends cut their streams with. The input is the
 * stream; its first byte says how to cut it into feeds (1 to 255 bytes, 0:
 * one feed). Every cut gives the same datagrams as one feed, and framing
 * them again gives back exactly the stream's whole frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	unsigned char *buf;   /* the datagrams framed again, back to back */
	size_t len, n;
};

static void
collect(void *arg, const unsigned char *dg, size_t n)
{
	struct out *o = arg;

	if (n > DGF_MAX)
		abort();
	dgf_header(o->buf + o->len, n);
	memcpy(o->buf + o->len + 2, dg, n);
	o->len += 2 + n;
	o->n++;
}

static void
run(const uint8_t *p, size_t size, size_t step, struct out *o)
{
	struct dgf f = { NULL, 0 };
	size_t i;

	for (i = 0; i < size; i += step) {
		size_t k = size - i < step ? size - i : step;
		unsigned char *piece = malloc(k);   /* its own buffer: ASan sees any overread */

		if (!piece)
			abort();
		memcpy(piece, p + i, k);
		if (dgf_feed(&f, piece, k, collect, o) < 0)
			abort();
		free(piece);
	}
	if (f.len > DGF_MAX + 2 || o->len + f.len != size)
		abort();   /* every byte is in a datagram or in the one being gathered */
	dgf_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out one = { NULL, 0, 0 }, cut = { NULL, 0, 0 };
	size_t step;

	if (size < 1)
		return 0;
	step = data[0] ? data[0] : size;
	data++;
	size--;
	one.buf = malloc(size + 2);
	cut.buf = malloc(size + 2);
	if (!one.buf || !cut.buf)
		abort();
	run(data, size, size ? size : 1, &one);
	run(data, size, step, &cut);
	if (one.n != cut.n || one.len != cut.len || memcmp(one.buf, cut.buf, one.len) != 0)
		abort();   /* the cut changed the datagrams */
	if (memcmp(one.buf, data, one.len) != 0)
		abort();   /* framed again, they are not the stream */
	free(one.buf);
	free(cut.buf);
	return 0;
}
