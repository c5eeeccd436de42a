/*
 * JSON (json.h): the writer for --json output and the stats file, and the one
 * reader (realm's configs, the applets' --json output, the stats file).
 */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* A byte that does not start valid UTF-8 is written as U+FFFD: what is
 * written is always JSON the reader takes. */
void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	for (; *p; p += n) {
		n = 1;
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else if (*p < 0x80)
				fputc(*p, f);
			else if ((n = text_utf8_len((const char *)p, 4)) != 0)
				fwrite(p, 1, n, f);
			else {
				fputs("\\ufffd", f);
				n = 1;
			}
		}
	}
	fputc('"', f);
}

static void
key(FILE *f, int *first, const char *k)
{
	if (!*first)
		fputc(',', f);
	*first = 0;
	json_str(f, k);
	fputc(':', f);
}

void
json_kv_str(FILE *f, int *first, const char *k, const char *v)
{
	key(f, first, k);
	json_str(f, v);
}

void
json_kv_num(FILE *f, int *first, const char *k, long long v)
{
	key(f, first, k);
	fprintf(f, "%lld", v);
}

void
json_kv_bool(FILE *f, int *first, const char *k, int v)
{
	key(f, first, k);
	fputs(v ? "true" : "false", f);
}

/* ------------------------------------------------------------------ */
/* Reading: RFC 8259 text into a value tree, every size bounded. */

static struct json_val *
json_new(enum json_type t, int depth)
{
	struct json_val *v = calloc(1, sizeof(*v));

	if (v) {
		v->t = t;
		v->depth = depth;
	}
	return v;
}

void
json_free(struct json_val *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		json_free(v->v[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->v);
	free(v->keys);
	free(v->s);
	free(v);
}

const struct json_val *
json_get(const struct json_val *obj, const char *key)
{
	size_t i;

	if (!obj || obj->t != JSON_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->v[i];
	return NULL;
}

const char *
json_get_str(const struct json_val *obj, const char *key)
{
	const struct json_val *v = json_get(obj, key);

	return v && v->t == JSON_STR ? v->s : NULL;
}

double
json_get_num(const struct json_val *obj, const char *key, double def)
{
	const struct json_val *v = json_get(obj, key);

	return !v ? def : v->t == JSON_NUM ? v->num : v->t == JSON_BOOL ? v->b : def;
}

long long
json_get_int(const struct json_val *obj, const char *key, long long def)
{
	const struct json_val *v = json_get(obj, key);

	return v && v->t == JSON_NUM ? strtoll(v->s, NULL, 10) : def;
}

/* child appended (key NULL in an array), both taken: 0, or -1 out of memory */
static int
json_push(struct json_val *parent, char *key, struct json_val *child)
{
	if (parent->n == parent->cap) {   /* room doubles: appending stays linear */
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct json_val **nv = realloc(parent->v, cap * sizeof(*nv));
		char **nk;

		if (!nv)
			goto bad;
		parent->v = nv;
		if (parent->t == JSON_OBJ) {
			if (!(nk = realloc(parent->keys, cap * sizeof(*nk))))
				goto bad;
			parent->keys = nk;
		}
		parent->cap = cap;
	}
	if (parent->t == JSON_OBJ)
		parent->keys[parent->n] = key;
	else
		free(key);
	parent->v[parent->n++] = child;
	return 0;
bad:
	free(key);
	json_free(child);
	return -1;
}

void
json_cur_fail(struct json_cur *r, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	int line = 1;
	const char *q;

	if (r->failed)
		return;
	r->failed = 1;
	for (q = r->start; q < r->p && q < r->end; q++)
		if (*q == '\n')
			line++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, ERRLEN, "line %d: %s", line, msg);
}

struct json_val *
json_cur_new(struct json_cur *r, enum json_type t)
{
	struct json_val *v;

	if (++r->items > r->items_max) {
		json_cur_fail(r, "more than %zu values", r->items_max);
		return NULL;
	}
	if (!(v = json_new(t, r->depth)))
		json_cur_fail(r, "out of memory");
	return v;
}

int
json_cur_push(struct json_cur *r, struct json_val *parent, char *key, struct json_val *child)
{
	if (parent->t == JSON_OBJ && parent->n >= JSON_MEMBERS_MAX) {
		json_cur_fail(r, "an object with more than %d members", JSON_MEMBERS_MAX);
		free(key);
		json_free(child);
		return -1;
	}
	if (parent->t == JSON_OBJ && (!key || json_get(parent, key))) {
		json_cur_fail(r, "the key '%.60s' is defined twice", key ? key : "");
		free(key);
		json_free(child);
		return -1;
	}
	if (json_push(parent, key, child) < 0) {
		json_cur_fail(r, "out of memory");
		return -1;
	}
	return 0;
}

int
json_cur_put(struct json_cur *r, struct strbuf *b, const char *p, size_t n)
{
	if (strbuf_put(b, p, n) == 0)
		return 0;
	if (errno == E2BIG)
		json_cur_fail(r, "a string longer than %zu bytes", b->max);
	else
		json_cur_fail(r, "out of memory");
	return -1;
}

static void
ws(struct json_cur *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

int
json_cur_items(struct json_cur *c, struct json_val *v, char close, const struct json_cur_syntax *syn)
{
	int first;

	for (first = 1;; first = 0) {
		syn->gap(c, v->t == JSON_OBJ);
		if ((first || syn->trailing_comma) && c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		if (syn->item(c, v) < 0)
			return -1;
		syn->gap(c, v->t == JSON_OBJ);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		json_cur_fail(c, "expected ',' or '%c'", close);
		return -1;
	}
}

/* After a backslash (r->p at the escape letter). */
static int
escape(struct json_cur *r, struct strbuf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned cp, lo;
	char u[4];
	size_t n;

	if (r->p >= r->end) {
		json_cur_fail(r, "a string ends inside an escape");
		return -1;
	}
	if (*r->p != 'u') {
		if (!*r->p || !(e = strchr(from, *r->p))) {
			json_cur_fail(r, "an unknown escape '\\%c'", *r->p);
			return -1;
		}
		r->p++;
		return json_cur_put(r, b, to + (e - from), 1);
	}
	r->p++;
	if (r->end - r->p < 4 || text_hex(r->p, 4, &cp) < 0) {
		json_cur_fail(r, "\\u without four hex digits");
		return -1;
	}
	r->p += 4;
	if (cp >= 0xd800 && cp < 0xdc00) {   /* a surrogate pair */
		if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || text_hex(r->p + 2, 4, &lo) < 0 ||
		    lo < 0xdc00 || lo > 0xdfff) {
			json_cur_fail(r, "a lone UTF-16 surrogate");
			return -1;
		}
		r->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0 || !(n = text_utf8_put(cp, u))) {
		json_cur_fail(r, "an escape for a code point a string cannot hold");
		return -1;
	}
	return json_cur_put(r, b, u, n);
}

/* r->p at the opening quote; the text (valid UTF-8, no NUL), or NULL. */
static char *
string(struct json_cur *r)
{
	struct strbuf b = { .max = JSON_STR_MAX };
	size_t n;

	r->p++;
	if (json_cur_put(r, &b, "", 0) < 0)
		return NULL;
	while (r->p < r->end && *r->p != '"') {
		if ((unsigned char)*r->p < 0x20) {
			json_cur_fail(r, "a control character inside a string");
			goto bad;
		}
		if (*r->p == '\\') {
			r->p++;
			if (escape(r, &b) < 0)
				goto bad;
			continue;
		}
		if (!(n = text_utf8_len(r->p, (size_t)(r->end - r->p)))) {
			json_cur_fail(r, "a string that is not UTF-8");
			goto bad;
		}
		if (json_cur_put(r, &b, r->p, n) < 0)
			goto bad;
		r->p += n;
	}
	if (r->p >= r->end) {
		json_cur_fail(r, "a string is not closed");
		goto bad;
	}
	r->p++;
	return b.s;
bad:
	free(b.s);
	return NULL;
}

static size_t
digits(struct json_cur *r)
{
	const char *s = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return (size_t)(r->p - s);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text beside its value */
static struct json_val *
number(struct json_cur *r)
{
	const char *s = r->p;
	struct json_val *v;
	size_t n;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (!digits(r))
		goto bad;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!digits(r))
			goto bad;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!digits(r))
			goto bad;
	}
	if ((n = (size_t)(r->p - s)) > 40) {
		json_cur_fail(r, "a number with too many digits");
		return NULL;
	}
	if (!(v = json_cur_new(r, JSON_NUM)))
		return NULL;
	if (!(v->s = strndup(s, n))) {
		free(v);
		json_cur_fail(r, "out of memory");
		return NULL;
	}
	v->num = strtod(v->s, NULL);
	return v;
bad:
	r->p = s;
	json_cur_fail(r, "expected a value");
	return NULL;
}

static struct json_val *value(struct json_cur *r);

/* One array item, or one "key": value of an object, into v. */
static int
item(struct json_cur *r, struct json_val *v)
{
	struct json_val *it;
	char *key = NULL;

	if (v->t == JSON_OBJ) {
		if (r->p >= r->end || *r->p != '"') {
			json_cur_fail(r, "expected a \"key\"");
			return -1;
		}
		if (!(key = string(r)))
			return -1;
		ws(r);
		if (r->p >= r->end || *r->p != ':') {
			json_cur_fail(r, "expected ':' after \"%.40s\"", key);
			free(key);
			return -1;
		}
		r->p++;
	}
	if (!(it = value(r))) {
		free(key);
		return -1;
	}
	return json_cur_push(r, v, key, it);
}

static void
gap(struct json_cur *r, int obj)
{
	ws(r);
}

static const struct json_cur_syntax json_syntax = { gap, item, 0 };

/* r->p at '[' or '{': items separated by commas, nesting bounded. */
static struct json_val *
container(struct json_cur *r, int obj)
{
	struct json_val *v;

	if (++r->depth > JSON_DEPTH_MAX) {
		json_cur_fail(r, "nested deeper than %d levels", JSON_DEPTH_MAX);
		return NULL;
	}
	if (!(v = json_cur_new(r, obj ? JSON_OBJ : JSON_ARR)))
		return NULL;
	v->depth = r->depth - 1;
	r->p++;
	if (json_cur_items(r, v, obj ? '}' : ']', &json_syntax) < 0) {
		json_free(v);
		return NULL;
	}
	r->depth--;
	return v;
}

static struct json_val *
value(struct json_cur *r)
{
	struct json_val *v;
	static const char *const words[] = { "null", "false", "true" };
	size_t i;

	ws(r);
	if (r->p >= r->end) {
		json_cur_fail(r, "a value is missing");
		return NULL;
	}
	if (*r->p == '{' || *r->p == '[')
		return container(r, *r->p == '{');
	if (*r->p == '"') {
		if ((v = json_cur_new(r, JSON_STR)) && !(v->s = string(r))) {
			free(v);
			v = NULL;
		}
		return v;
	}
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i], n) == 0) {
			r->p += n;
			if ((v = json_cur_new(r, i ? JSON_BOOL : JSON_NULL)))
				v->b = i == 2;
			return v;
		}
	}
	return number(r);
}

struct json_val *
json_parse(const char *text, size_t len, char *err)
{
	struct json_cur r = { .p = text, .start = text, .err = err, .items_max = JSON_ITEMS_MAX };
	struct json_val *v;

	if (len > JSON_INPUT_MAX) {
		snprintf(err, ERRLEN, "the JSON text is larger than %u bytes", JSON_INPUT_MAX);
		return NULL;
	}
	r.end = text + len;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;
	if (!(v = value(&r)))
		return NULL;
	ws(&r);
	if (r.p != r.end) {
		json_cur_fail(&r, "text after the JSON value");
		json_free(v);
		return NULL;
	}
	return v;
}
