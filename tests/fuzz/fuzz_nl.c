/* libFuzzer: the netlink answer walk (lib/base/nl.c nl_walk), fed the input as
 * one or more datagrams (the first byte says where to cut), with a callback
 * that indexes each reply's attributes after a generic netlink header and
 * walks one level of nesting, as the MPTCP endpoint dump does. The walk must
 * stay inside every buffer, end on DONE or an error, and never call back
 * after it said the answer ended. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	int ended;
	unsigned calls;
	uint64_t sum;
};

static void
walk_attrs(const void *p, size_t len, struct seen *s, int depth)
{
	const struct nl_attr *tb[16];
	int i;

	if (nl_attr_parse(p, len, tb, 15) < 0)
		return;
	for (i = 0; i < 16; i++) {
		if (!tb[i])
			continue;
		s->sum += nl_attr_len(tb[i]);
		if (nl_attr_len(tb[i]) >= 4)
			s->sum += nl_attr_u32(tb[i]);
		else if (nl_attr_len(tb[i]) >= 2)
			s->sum += nl_attr_u16(tb[i]);
		else if (nl_attr_len(tb[i]) >= 1)
			s->sum += nl_attr_u8(tb[i]);
		if (depth == 0)
			walk_attrs(nl_attr_data(tb[i]), nl_attr_len(tb[i]), s, 1);
	}
}

static int
reply(const struct nl_hdr *h, const void *p, size_t len, void *arg, char *err)
{
	struct seen *s = arg;

	(void)h;
	if (s->ended)
		abort();   /* a reply after the answer ended */
	s->calls++;
	if (len < sizeof(struct nl_genl))
		return 0;
	walk_attrs((const unsigned char *)p + sizeof(struct nl_genl), len - sizeof(struct nl_genl), s, 0);
	if (len > 4 && ((const unsigned char *)p)[3] == 0xee) {
		snprintf(err, ERRLEN, "the callback refused a reply");
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_walker w;
	struct seen s = { 0, 0, 0 };
	char err[ERRLEN];
	size_t off = 2, cut;
	unsigned char *copy;

	if (size < 2)
		return 0;
	memset(&w, 0, sizeof(w));
	w.seq = 1;
	w.dump = data[0] & 1;
	w.cb = reply;
	w.arg = &s;
	cut = data[1] ? (size_t)data[1] * 8 : size;
	while (off < size) {
		size_t n = size - off < cut ? size - off : cut;
		int r;

		/* each datagram in a buffer of its own size: ASan sees any overread */
		if (!(copy = malloc(n)))
			return 0;
		memcpy(copy, data + off, n);
		r = nl_walk(&w, copy, n, err);
		free(copy);
		off += n;
		if (r != 0) {
			s.ended = 1;
			break;
		}
	}
	return 0;
}
