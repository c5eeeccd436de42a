/* libFuzzer: the PROXY protocol parser (lib/proto/pp.c). Any input: no crash, lengths within
 * the input, every prefix of a complete header asks for more, and a parsed header
 * re-encodes to one that parses to the same addresses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_info info, again;
	char err[ERRLEN];
	unsigned char enc[PP_ENC_MAX + 64];
	enum pp_result r;
	size_t i;
	int n;

	r = pp_parse(data, size, &info, err);
	if (r == PP_NEED && size >= PP_MAX)
		abort();                     /* never wait beyond PP_MAX */
	if (r != PP_OK)
		return 0;
	if (info.len == 0 || info.len > size || info.len > PP_MAX)
		abort();
	for (i = 1; i < info.len; i += 1 + i / 8)   /* prefixes are incomplete, never a verdict */
		if (pp_parse(data, i, &again, err) == PP_OK)
			abort();
	if (info.local)
		return 0;
	n = pp_encode(info.version, (struct sockaddr *)&info.src, (struct sockaddr *)&info.dst, enc, sizeof(enc));
	if (n < 0 || pp_parse(enc, (size_t)n, &again, err) != PP_OK || again.len != (size_t)n)
		abort();
	if (again.src.ss_family == info.src.ss_family &&
	    memcmp(&again.src, &info.src, info.src.ss_family == AF_INET ? 8 : 24) != 0)
		abort();
	return 0;
}
