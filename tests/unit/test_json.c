/* The one JSON reader (lib/base/json.h): what it takes, what it refuses,
 * its bounds, and that what the writer writes reads back. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "t.h"
#include "util.h"

static char err[ERRLEN];

static struct json_val *
rd(const char *s)
{
	*err = '\0';
	return json_parse(s, strlen(s), err);
}

/* 1 when s is refused with a message holding want */
static int
refused(const char *s, const char *want)
{
	struct json_val *v = rd(s);

	if (v) {
		json_free(v);
		return 0;
	}
	if (!strstr(err, want))
		printf("#   '%s': got '%s'\n", s, err);
	return strstr(err, want) != NULL;
}

static void
test_values(void)
{
	struct json_val *v = rd(" \xef\xbb\xbf{\"a\": [0, -1.5e+2, 1E3, true, false, null, \"x\"], \"o\": {\"k\": \"\"},"
	    " \"big\": 18446744073709551615, \"n\": 9007199254740993}\r\n");
	const struct json_val *a;

	CHECK(v == NULL && strstr(err, "line 1"), "a byte order mark after a space is not one: %s", err);
	v = rd("\xef\xbb\xbf{\"a\": [0, -1.5e+2, 1E3, true, false, null, \"x\"], \"o\": {\"k\": \"\"},"
	    " \"big\": 9223372036854775807, \"n\": 9007199254740993, \"b\": true}\r\n");
	CHECK(v && v->t == JSON_OBJ && v->n == 5, "an object with a byte order mark and CRLF (%s)", err);
	a = json_get(v, "a");
	CHECK(a && a->t == JSON_ARR && a->n == 7, "an array of seven");
	CHECK(a && a->n == 7 && a->v[0]->num == 0 && a->v[1]->num == -150 && a->v[2]->num == 1000, "numbers");
	CHECK(a && a->n == 7 && a->v[3]->t == JSON_BOOL && a->v[3]->b && a->v[4]->t == JSON_BOOL && !a->v[4]->b &&
	    a->v[5]->t == JSON_NULL, "true, false, null");
	CHECK(a && a->n == 7 && a->v[1]->depth == 2 && a->depth == 1 && v->depth == 0, "depth counts levels below the root");
	CHECK_STR(json_get_str(json_get(v, "o"), "k"), "", "an empty string");
	CHECK(json_get_int(v, "big", 0) == 9223372036854775807LL, "a 64-bit integer is exact");
	CHECK(json_get_int(v, "n", 0) == 9007199254740993LL, "past 2^53 too");
	CHECK(json_get_num(v, "b", 0) == 1 && json_get_num(v, "none", 7) == 7 && json_get_num(v, "o", 7) == 7,
	    "json_get_num: a boolean is 0 or 1, else the default");
	CHECK(json_get_str(v, "a") == NULL && json_get(a, "x") == NULL && json_get(NULL, "x") == NULL,
	    "getters of the wrong type or of nothing give NULL");
	CHECK(json_get_int(v, "b", -1) == -1, "json_get_int of a boolean is the default");
	json_free(v);
	v = rd("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4e2d\\ud83d\\ude00\xe4\xb8\xad\"");
	CHECK(v && v->t == JSON_STR && strcmp(v->s, "\"\\/\b\f\n\r\t\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xe4\xb8\xad") == 0,
	    "every escape, a surrogate pair and raw UTF-8 (%s)", err);
	json_free(v);
	v = rd("[]");
	CHECK(v && v->t == JSON_ARR && v->n == 0, "an empty array");
	json_free(v);
}

static void
test_refused(void)
{
	CHECK(refused("", "missing"), "nothing");
	CHECK(refused("[1,]", "expected a value"), "a trailing comma");
	CHECK(refused("{\"a\":1,\"a\":2}", "twice"), "a duplicate key");
	CHECK(refused("{a:1}", "key"), "a bare key");
	CHECK(refused("[1 2]", "expected ','"), "a missing comma");
	CHECK(refused("{\"a\" 1}", "':'"), "a missing colon");
	CHECK(refused("[1]]", "after"), "text after the value");
	CHECK(refused("[01]", "expected ','"), "a leading zero");
	CHECK(refused("[1.]", "expected a value"), "a point without digits");
	CHECK(refused("[.5]", "expected a value"), "a number without its integer part");
	CHECK(refused("[+1]", "expected a value"), "a plus sign");
	CHECK(refused("[1e]", "expected a value"), "an exponent without digits");
	CHECK(refused("[NaN]", "expected a value"), "NaN");
	CHECK(refused("[tru]", "expected a value"), "a cut word");
	CHECK(refused("[12345678901234567890123456789012345678901]", "digits"), "41 digits");
	CHECK(refused("\"a\nb\"", "control character"), "a raw line break in a string");
	CHECK(refused("\"\\x41\"", "unknown escape"), "an unknown escape");
	CHECK(refused("\"\\u12\"", "four hex"), "a short \\u");
	CHECK(refused("\"\\ud800\"", "surrogate"), "a lone high surrogate");
	CHECK(refused("\"\\udc00\"", "code point"), "a lone low surrogate");
	CHECK(refused("\"\\u0000\"", "code point"), "\\u0000 (strings hold no NUL)");
	CHECK(refused("\"\xc3\"", "not UTF-8"), "a cut UTF-8 sequence");
	CHECK(refused("\"\xc0\x80\"", "not UTF-8"), "an overlong NUL");
	CHECK(refused("\"\xed\xa0\x80\"", "not UTF-8"), "an encoded surrogate");
	CHECK(refused("\"\xff\"", "not UTF-8"), "a byte that is never UTF-8");
	CHECK(refused("\"abc", "not closed"), "an open string");
	CHECK(refused("[1,\n2,\n", "line 3"), "the error names the line");
	{
		char nul[] = "[1]\0";
		CHECK(json_parse(nul, 4, err) == NULL, "a NUL after the value is text after it");
	}
}

static void
test_bounds(void)
{
	size_t n = 100000, i, k, size = 8 * (JSON_ITEMS_MAX / 4 + 1) + 16;
	char *t = malloc(size);
	struct json_val *v;

	memset(t, '[', n);
	memset(t + n, ']', n);
	*err = '\0';
	CHECK(json_parse(t, 2 * n, err) == NULL && strstr(err, "deeper than 32"), "100000 nested arrays: %s", err);
	memset(t, '[', 32);
	memset(t + 32, ']', 32);
	v = json_parse(t, 64, err);
	CHECK(v != NULL, "32 nested arrays are fine (%s)", err);
	json_free(v);
	t[0] = '"';
	memset(t + 1, 'a', JSON_STR_MAX);
	t[JSON_STR_MAX + 1] = '"';
	CHECK(json_parse(t, JSON_STR_MAX + 2, err) == NULL && strstr(err, "longer than"), "a string of JSON_STR_MAX bytes: %s",
	    err);
	v = json_parse(t + 1, 0, err);
	CHECK(v == NULL, "no text");
	t[0] = '[';
	for (i = 0; i < JSON_ITEMS_MAX / 4 + 1; i++)
		memcpy(t + 1 + 8 * i, "[0,0,0],", 8);
	memcpy(t + 1 + 8 * i - 1, "]", 1);
	CHECK(1 + 8 * i < size && json_parse(t, 1 + 8 * i, err) == NULL && strstr(err, "more than"), "more than JSON_ITEMS_MAX values: %s", err);
	i = (size_t)sprintf(t, "{");
	for (k = 0; k <= JSON_MEMBERS_MAX; k++)
		i += (size_t)sprintf(t + i, "%s\"k%zu\":0", k ? "," : "", k);
	i += (size_t)sprintf(t + i, "}");
	CHECK(json_parse(t, i, err) == NULL && strstr(err, "more than 4096 members"), "an object of JSON_MEMBERS_MAX + 1 members: %s",
	    err);
	i = (size_t)sprintf(t, "{");
	for (k = 0; k < JSON_MEMBERS_MAX; k++)
		i += (size_t)sprintf(t + i, "%s\"k%zu\":0", k ? "," : "", k);
	i += (size_t)sprintf(t + i, "}");
	v = json_parse(t, i, err);
	CHECK(v && v->n == JSON_MEMBERS_MAX && json_get_int(v, "k4095", -1) == 0, "JSON_MEMBERS_MAX members are fine (%s)", err);
	json_free(v);
	CHECK(json_parse(t, (size_t)JSON_INPUT_MAX + 1, err) == NULL && strstr(err, "larger than"), "input past JSON_INPUT_MAX");
	free(t);
}

/* what json_str writes reads back as it was, bytes that are not UTF-8 as U+FFFD */
static void
test_roundtrip(void)
{
	static const char *const in[] = { "plain", "q\"b\\s/", "\x01\x1f\n\r\t", "\xe4\xb8\xad\xf0\x9f\x98\x80\x7f\xc2\x85",
	    "cut\xe4\xb8", "\xff\xfe" };
	static const char *const want[] = { "plain", "q\"b\\s/", "\x01\x1f\n\r\t", "\xe4\xb8\xad\xf0\x9f\x98\x80\x7f\xc2\x85",
	    "cut\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(in); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct json_val *v;
		int first = 1;

		fputc('{', f);
		json_kv_str(f, &first, "k", in[i]);
		fputc('}', f);
		fclose(f);
		v = json_parse(buf, len, err);
		CHECK_STR(json_get_str(v, "k"), want[i], "json_str and back: case %zu (%s)", i, buf);
		json_free(v);
		free(buf);
	}
}

int
main(void)
{
	test_values();
	test_refused();
	test_bounds();
	test_roundtrip();
	return T_DONE();
}
