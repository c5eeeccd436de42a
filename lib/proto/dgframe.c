/* dgframe: UDP datagrams inside a byte stream (dgframe.h). */
#include "dgframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t
frame_len(const unsigned char *p)
{
	return 2 + ((size_t)p[0] << 8 | p[1]);
}

int
dgf_feed(struct dgf *f, const void *in, size_t len, dgf_emit emit, void *arg)
{
	const unsigned char *p = in, *end = p + len;

	while (p < end) {
		size_t want, take;

		if (f->len == 0 && end - p >= 2 && (size_t)(end - p) >= frame_len(p)) {
			emit(arg, p + 2, frame_len(p) - 2);   /* whole in the input */
			p += frame_len(p);
			continue;
		}
		if (!f->buf && !(f->buf = malloc(DGF_MAX + 2))) {
			errno = ENOMEM;
			return -1;
		}
		want = f->len < 2 ? 2 : frame_len(f->buf);
		take = want - f->len < (size_t)(end - p) ? want - f->len : (size_t)(end - p);
		memcpy(f->buf + f->len, p, take);
		f->len += take;
		p += take;
		if (f->len >= 2 && f->len == frame_len(f->buf)) {
			emit(arg, f->buf + 2, f->len - 2);
			f->len = 0;
		}
	}
	return 0;
}

void
dgf_free(struct dgf *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = 0;
}

void
dgf_header(unsigned char hdr[2], size_t n)
{
	hdr[0] = (unsigned char)(n >> 8);
	hdr[1] = (unsigned char)n;
}
