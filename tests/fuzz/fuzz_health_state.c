/* libFuzzer: the health state file reader (lib/store/healthstate.c), which the relay runs on
 * whatever is in /var/lib/xwpf/health; what parses must format and parse back
 * to the same entries. Also the \r\n escapes of health_send / health_expect. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "healthcheck.h"
#include "healthstate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_state s, s2;
	char *text, *out, err[ERRLEN], esc[256];
	size_t i, len;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hc_state_parse(text, &s, err) == 0) {
		if (!(out = hc_state_format(&s, &len)))
			abort();
		if (hc_state_parse(out, &s2, err) != 0 || s2.n != s.n)
			abort();
		for (i = 0; i < s.n; i++) {
			if (strcmp(s.v[i].rule, s2.v[i].rule) || strcmp(s.v[i].target, s2.v[i].target) ||
			    s.v[i].up != s2.v[i].up || s.v[i].fails != s2.v[i].fails || s.v[i].oks != s2.v[i].oks ||
			    s.v[i].last_check != s2.v[i].last_check || s.v[i].last_change != s2.v[i].last_change ||
			    s.v[i].reason != s2.v[i].reason)
				abort();
			if (hc_state_find(&s2, s.v[i].rule, s.v[i].target) == NULL)
				abort();
		}
		free(out);
		hc_state_free(&s2);
		hc_state_free(&s);
	} else if (s.v != NULL || s.n != 0)
		abort();
	if (hc_unescape(text, esc, sizeof(esc), &len, err) == 0 && len >= sizeof(esc))
		abort();
	free(text);
	return 0;
}
