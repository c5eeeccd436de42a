/* libFuzzer: the INI store parser and validator, and the text editor over it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store st;
	struct store_diags d = { 0 };
	struct store_txn t;
	char *text, err[ERRLEN], buf[600];
	const char *vals[2] = { "127.0.0.1:1", "[::1]:2 weight=3" };
	size_t i;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	store_parse_text(text, "fuzz", &st, &d);
	for (i = 0; i < d.n; i++)
		store_diag_format(&d, i, buf, sizeof(buf));
	store_free(&st);
	store_diags_free(&d);

	/* the line editor must keep any text parseable as far as it was */
	memset(&t, 0, sizeof(t));
	t.lockfd = -1;
	t.text = text;
	t.orig = strdup("");
	store_edit_set(&t, "rule fz", "remote", vals, 2, err);
	store_edit_set(&t, "global", "log_level", vals, 0, err);
	store_edit_del_section(&t, "rule fz", err);
	store_parse_text(t.text, "fuzz", &st, &d);
	store_free(&st);
	store_diags_free(&d);
	store_end(&t);
	return 0;
}
