/* libFuzzer: the traffic ledger file (lib/store/ledger.c). Whatever parses
 * must format and parse back to the same text (the relay rewrites the file
 * every ledger_interval: a value that came back different would be a count
 * changed by a save), and quota checks on what was read stay in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger a, b;
	char *text, *t1, *t2, err[ERRLEN];
	size_t l1, l2, i;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ledger_parse(text, "fuzz", &a, err) < 0) {
		free(text);
		return 0;
	}
	free(text);
	if (!(t1 = ledger_format(&a, &l1))) {
		ledger_free(&a);
		return 0;
	}
	if (ledger_parse(t1, "fuzz", &b, err) < 0)
		abort();   /* our own output refused */
	free(t1);
	if (!(t1 = ledger_format(&a, &l1)) || !(t2 = ledger_format(&b, &l2)))
		abort();
	if (l1 != l2 || memcmp(t1, t2, l1) != 0)
		abort();   /* a value changed on the way */
	for (i = 0; i < a.n; i++) {
		(void)ledger_used(&a.v[i].cycle, BILL_BOTH);
		(void)ledger_check_quota(&a.v[i], 1 << 20, BILL_MAX);
		(void)ledger_roll(&a.v[i], 1700000000 + (int64_t)(i % 50) * 86400 * 17, (int)(i % 28) + 1, BILL_BOTH);
	}
	free(t1);
	free(t2);
	ledger_free(&a);
	ledger_free(&b);
	return 0;
}
