/* libFuzzer: the MPTCP endpoint text form (store lines, imported
 * mptcp_endpoints.conf) must round-trip through its store and show forms,
 * and the netlink attribute parser must stay inside any buffer the kernel
 * (or anyone) hands it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mptcp_kernel.h"
#include "nl.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mptcp_endpoint e, e2;
	const struct nl_attr *tb[16];
	char *text, err[ERRLEN], buf[300], buf2[300];
	size_t i;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (mptcp_endpoint_parse(text, &e, err) == 0) {
		mptcp_endpoint_format(&e, buf, sizeof(buf));
		if (mptcp_endpoint_parse(buf, &e2, err) != 0 || !mptcp_endpoint_same(&e, &e2) || e.flags != e2.flags ||
		    e.id != e2.id || strcmp(e.dev, e2.dev) != 0)
			abort();
		if (strcmp(mptcp_endpoint_format(&e2, buf2, sizeof(buf2)), buf) != 0)
			abort();
		if (e.id) {   /* the show form carries the id; it parses back too */
			mptcp_endpoint_show(&e, buf, sizeof(buf));
			if (mptcp_endpoint_parse(buf, &e2, err) != 0 || !mptcp_endpoint_same(&e, &e2) || e.flags != e2.flags)
				abort();
		}
	}
	if (nl_attr_parse(data, size, tb, 15) == 0)
		for (i = 0; i < 16; i++)
			if (tb[i]) {
				const unsigned char *p = nl_attr_data(tb[i]);
				if (p < data || p + nl_attr_len(tb[i]) > data + size)
					abort();
				(void)nl_attr_u32(tb[i]);
			}
	free(text);
	return 0;
}
