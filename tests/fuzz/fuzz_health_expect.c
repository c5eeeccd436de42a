/* libFuzzer: a health check's health_send / health_expect values and the
 * reply matcher (lib/relay/healthcheck.c: hc_unescape, hc_expect_step,
 * hc_reply_detail). The input is VALUE '\n' CUT REPLY: VALUE is unescaped as
 * health_expect is; REPLY is fed to the matcher in pieces of CUT bytes (1 to
 * 255; 0 one piece), as recv hands them out. Whatever the pieces, the answer
 * is the reply's: 1 when it starts with expect, 0 while it is a shorter
 * prefix of it, -1 otherwise; the detail of a mismatch is printable. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "healthcheck.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size), *reply;
	char value[600], expect[256], err[ERRLEN];
	size_t vlen, elen, rlen, step, off = 0, i, want;
	int r = 0, truth;
	struct hc_host *h;

	if (!nl || (vlen = (size_t)(nl - data)) >= sizeof(value) || nl + 1 >= data + size)
		return 0;
	memcpy(value, data, vlen);
	value[vlen] = '\0';
	if (hc_unescape(value, expect, sizeof(expect), &elen, err) < 0)
		return 0;
	if (elen > sizeof(expect))
		abort();
	step = nl[1] ? nl[1] : SIZE_MAX;
	reply = nl + 2;
	rlen = (size_t)(data + size - reply);
	/* what the reply says, read as the check reads it: no more than expect */
	want = rlen < elen ? rlen : elen;
	truth = memcmp(reply, expect, want) != 0 ? -1 : want == elen ? 1 : 0;
	for (i = 0; i < want && r == 0; i += step) {
		size_t n = want - i < step ? want - i : step;
		unsigned char *piece = malloc(n);   /* its own buffer: ASan sees any overread */

		memcpy(piece, reply + i, n);
		r = hc_expect_step(expect, elen, &off, piece, n);
		free(piece);
	}
	if (elen > 0 && r != truth)   /* nothing expected: the check reads nothing */
		abort();
	if (r < 0 && (h = calloc(1, sizeof(*h))) != NULL) {
		hc_reply_detail(h, (const char *)reply, rlen);
		for (i = 0; h->detail[i]; i++)
			if (!isprint((unsigned char)h->detail[i]))
				abort();
		free(h);
	}
	return 0;
}
