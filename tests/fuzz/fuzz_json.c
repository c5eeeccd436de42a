/* libFuzzer: the one JSON reader (lib/base/json.c), then the realm conversion
 * (lib/migrate/mig_realm.c) of what it read. What it returns must keep its
 * promises: nesting within JSON_DEPTH_MAX, every string and key UTF-8 of at
 * most JSON_STR_MAX bytes, and a string written back by json_str reads the same. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_realm.h"
#include "json.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
utf8_ok(const char *s)
{
	size_t n = strlen(s), i, k;

	if (n >= JSON_STR_MAX)
		abort();
	for (i = 0; i < n; i += k)
		if (!(k = text_utf8_len(s + i, n - i)))
			abort();
}

static void
roundtrip(const char *s)
{
	char *buf = NULL, err[ERRLEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_val *v;

	if (!f)
		return;
	json_str(f, s);
	fclose(f);
	v = json_parse(buf, len, err);
	if (!v || v->t != JSON_STR || strcmp(v->s, s) != 0)
		abort();
	json_free(v);
	free(buf);
}

static void
walk(const struct json_val *v, int depth)
{
	size_t i;

	if (depth > JSON_DEPTH_MAX || v->depth != depth)
		abort();
	if (v->t == JSON_STR) {
		utf8_ok(v->s);
		roundtrip(v->s);
	}
	for (i = 0; i < v->n; i++) {
		if (v->t == JSON_OBJ) {
			utf8_ok(v->keys[i]);
			if (json_get(v, v->keys[i]) != v->v[i])
				abort();   /* keys are unique */
		}
		walk(v->v[i], depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRLEN];
	struct json_val *v = json_parse((const char *)data, size, err);

	if (v) {
		walk(v, 0);
		json_free(v);
	}
	return fuzz_realm(json_parse, data, size);
}
