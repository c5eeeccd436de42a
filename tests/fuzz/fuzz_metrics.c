/* libFuzzer: the metrics endpoint's request parser (lib/relay/metrics.c). Any input: no
 * crash; never "need more" at or beyond the cap; a decision only ever with one of
 * the statuses the server knows and a head length within the input; every shorter
 * prefix of a decided head asks for more (the server never answers early); and the
 * Prometheus label escaper reads back to its input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
escape_roundtrip(const uint8_t *data, size_t size)
{
	char in[256], out[600], back[256];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1, i, k = 0;
	int w;

	memcpy(in, data, n);
	in[n] = '\0';
	w = prom_escape(in, out, sizeof(out));
	if (w < 0 || (size_t)w != strlen(out) || strchr(out, '\n'))
		abort();
	for (i = 0; out[i]; i++) {   /* undo: \\ \" \n */
		if (out[i] == '"')
			abort();             /* an unescaped quote would end the label value */
		if (out[i] == '\\') {
			i++;
			back[k++] = out[i] == 'n' ? '\n' : out[i];
			if (out[i] != 'n' && out[i] != '\\' && out[i] != '"')
				abort();
		} else
			back[k++] = out[i];
	}
	back[k] = '\0';
	if (strcmp(back, in) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct prom_req r, again;
	size_t i;
	int d;

	escape_roundtrip(data, size);
	d = prom_req_parse(buf, size, &r);
	if (d == 0) {
		if (size >= METRICS_REQ_MAX)
			abort();
		return 0;
	}
	if (d != 1)
		abort();
	if (r.status != 200 && r.status != 400 && r.status != 404 && r.status != 405 && r.status != 431)
		abort();
	if (r.len == 0 || r.len > size || r.len > METRICS_REQ_MAX || (r.head && r.status != 200))
		abort();
	if (r.status == 431)
		return 0;
	for (i = 0; i < r.len; i += 1 + i / 8)
		if (prom_req_parse(buf, i, &again) != 0)
			abort();
	if (prom_req_parse(buf, r.len, &again) != 1 || again.status != r.status || again.len != r.len)
		abort();   /* the decision depends on the head alone */
	return 0;
}
