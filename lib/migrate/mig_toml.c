/*
 * JSON and TOML into one small value tree (struct json_val), enough for realm's
 * configs. Hand-written, bounded: nesting depth, input size and element
 * counts are capped, and every error names the line.
 */
#include "migrate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DEPTH_MAX 32
#define ITEMS_MAX 100000
#define STR_MAX 65536

struct cur {
	const char *p, *end, *start;
	char *err;
	int depth, failed;
	size_t items;
};

static void __attribute__((format(printf, 2, 3)))
fail(struct cur *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	int line = 1;
	const char *q;

	if (c->failed)
		return;
	c->failed = 1;
	for (q = c->start; q < c->p && q < c->end; q++)
		if (*q == '\n')
			line++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, ERRLEN, "line %d: %s", line, msg);
}

static struct json_val *
json_new(struct cur *c, enum json_type t)
{
	struct json_val *v;

	if (++c->items > ITEMS_MAX) {
		fail(c, "more than %d values", ITEMS_MAX);
		return NULL;
	}
	if (!(v = calloc(1, sizeof(*v))))
		fail(c, "out of memory");
	else {
		v->t = t;
		v->depth = c->depth;
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

/* Append (key may be NULL for arrays). Takes ownership of child and key. */
static int
json_push(struct cur *c, struct json_val *parent, char *key, struct json_val *child)
{
	struct json_val **nv;
	char **nk;

	if (parent->t == JSON_OBJ && key && json_get(parent, key)) {
		fail(c, "the key '%.60s' is defined twice", key);
		goto bad;
	}
	nv = realloc(parent->v, (parent->n + 1) * sizeof(*nv));
	if (!nv)
		goto oom;
	parent->v = nv;
	if (parent->t == JSON_OBJ) {
		nk = realloc(parent->keys, (parent->n + 1) * sizeof(*nk));
		if (!nk)
			goto oom;
		parent->keys = nk;
		nk[parent->n] = key;
	}
	nv[parent->n++] = child;
	return 0;
oom:
	fail(c, "out of memory");
bad:
	free(key);
	json_free(child);
	return -1;
}

/* ---- strings shared by both ---- */

struct sbuf {
	char *s;
	size_t n, cap;
};

static int
sb_put(struct cur *c, struct sbuf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > STR_MAX) {
		fail(c, "a string longer than %d bytes", STR_MAX);
		return -1;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *ns;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(ns = realloc(b->s, cap))) {
			fail(c, "out of memory");
			return -1;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int ch = (unsigned char)p[i], d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

static int
put_utf8(struct cur *c, struct sbuf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		fail(c, "an escape for a code point a config cannot hold");
		return -1;
	}
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sb_put(c, b, u, n);
}

/* Backslash escape after '\\' (c->p at the escape letter); JSON and TOML basic strings. */
static int
escape(struct cur *c, struct sbuf *b, int toml)
{
	unsigned cp, lo;
	char ch;

	if (c->p >= c->end) {
		fail(c, "a string ends inside an escape");
		return -1;
	}
	ch = *c->p++;
	switch (ch) {
	case '"': return sb_put(c, b, "\"", 1);
	case '\\': return sb_put(c, b, "\\", 1);
	case '/': if (toml) break; return sb_put(c, b, "/", 1);
	case 'b': return sb_put(c, b, "\b", 1);
	case 'f': return sb_put(c, b, "\f", 1);
	case 'n': return sb_put(c, b, "\n", 1);
	case 'r': return sb_put(c, b, "\r", 1);
	case 't': return sb_put(c, b, "\t", 1);
	case 'u':
		if (c->end - c->p < 4 || hex4(c->p, &cp) < 0)
			break;
		c->p += 4;
		if (!toml && cp >= 0xd800 && cp < 0xdc00) {   /* JSON surrogate pair */
			if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || hex4(c->p + 2, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff) {
				fail(c, "a lone UTF-16 surrogate");
				return -1;
			}
			c->p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		return put_utf8(c, b, cp);
	}
	fail(c, "an unknown escape '\\%c'", ch);
	return -1;
}

/* ---- values shared by both ---- */

/* A string value, c->p at its opening quote, read by str (json_string, toml_string). */
static struct json_val *
string_value(struct cur *c, char *(*str)(struct cur *))
{
	struct json_val *v = json_new(c, JSON_STR);

	if (v && !(v->s = str(c))) {
		free(v);
		v = NULL;
	}
	return v;
}

/* true or false at c->p: 1 and *v the value (NULL when that failed); 0 when neither stands there. */
static int
bool_value(struct cur *c, struct json_val **v)
{
	if (c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
		c->p += 4;
		if ((*v = json_new(c, JSON_BOOL)))
			(*v)->b = 1;
		return 1;
	}
	if (c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
		c->p += 5;
		*v = json_new(c, JSON_BOOL);
		return 1;
	}
	return 0;
}

/* How one syntax writes an array or a table between its brackets. */
struct items {
	void (*gap)(struct cur *c, int obj);            /* skips what may stand around items */
	int (*item)(struct cur *c, struct json_val *into);  /* one item (for a table: key and value) into the container */
	int trailing_comma;                             /* "[1, 2, ]" allowed */
};

/* An array (obj 0) or a table (obj 1), c->p at its opening bracket: items
 * separated by commas up to the closing bracket, nesting bounded. */
static struct json_val *
container(struct cur *c, int obj, const struct items *syn)
{
	struct json_val *v;
	char close = obj ? '}' : ']';
	int first;

	if (++c->depth > DEPTH_MAX) {
		fail(c, "nested deeper than %d levels (the limit; dotted keys, tables and arrays count)", DEPTH_MAX);
		return NULL;
	}
	if (!(v = json_new(c, obj ? JSON_OBJ : JSON_ARR)))
		return NULL;
	c->p++;
	for (first = 1;; first = 0) {
		syn->gap(c, obj);
		if ((first || syn->trailing_comma) && c->p < c->end && *c->p == close) {
			c->p++;
			break;
		}
		if (syn->item(c, v) < 0)
			goto bad;
		syn->gap(c, obj);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			break;
		}
		fail(c, "expected ',' or '%c'", close);
		goto bad;
	}
	c->depth--;
	return v;
bad:
	json_free(v);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* JSON */

static void
json_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static char *
json_string(struct cur *c)
{
	struct sbuf b = { 0 };

	c->p++;   /* the opening quote */
	if (sb_put(c, &b, "", 0) < 0)
		return NULL;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		if (ch < 0x20) {
			fail(c, "a control character inside a string");
			goto bad;
		}
		if (ch == '\\') {
			c->p++;
			if (escape(c, &b, 0) < 0)
				goto bad;
			continue;
		}
		if (sb_put(c, &b, c->p, 1) < 0)
			goto bad;
		c->p++;
	}
	if (c->p >= c->end) {
		fail(c, "a string is not closed");
		goto bad;
	}
	c->p++;
	return b.s;
bad:
	free(b.s);
	return NULL;
}

static struct json_val *json_value(struct cur *c);

static void
json_gap(struct cur *c, int obj)
{
	json_ws(c);
}

/* One array item, or one "key": value of an object. */
static int
json_item(struct cur *c, struct json_val *into)
{
	struct json_val *item;
	char *key = NULL;

	if (into->t == JSON_OBJ) {
		if (c->p >= c->end || *c->p != '"') {
			fail(c, "expected a \"key\"");
			return -1;
		}
		if (!(key = json_string(c)))
			return -1;
		json_ws(c);
		if (c->p >= c->end || *c->p != ':') {
			fail(c, "expected ':' after \"%.40s\"", key);
			free(key);
			return -1;
		}
		c->p++;
	}
	if (!(item = json_value(c))) {
		free(key);
		return -1;
	}
	return json_push(c, into, key, item);
}

static const struct items json_items = { json_gap, json_item, 0 };

static struct json_val *
json_value(struct cur *c)
{
	struct json_val *v;
	const char *s;

	json_ws(c);
	if (c->p >= c->end) {
		fail(c, "a value is missing");
		return NULL;
	}
	switch (*c->p) {
	case '{': return container(c, 1, &json_items);
	case '[': return container(c, 0, &json_items);
	case '"': return string_value(c, json_string);
	}
	if (bool_value(c, &v))
		return v;
	if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
		c->p += 4;
		return json_new(c, JSON_NULL);
	}
	s = c->p;
	if (*c->p == '-')
		c->p++;
	if (c->p >= c->end || !isdigit((unsigned char)*c->p)) {
		c->p = s;
		fail(c, "expected a value");
		return NULL;
	}
	while (c->p < c->end && (isdigit((unsigned char)*c->p) || strchr(".eE+-", *c->p)))
		c->p++;
	if (c->p - s > 40) {
		fail(c, "a number with too many digits");
		return NULL;
	}
	if (!(v = json_new(c, JSON_NUM)))
		return NULL;
	if (!(v->s = strndup(s, (size_t)(c->p - s)))) {
		free(v);
		fail(c, "out of memory");
		return NULL;
	}
	v->num = strtod(v->s, NULL);
	return v;
}

struct json_val *
json_parse(const char *text, size_t len, char *err)
{
	struct cur c = { text, text + len, text, err, 0, 0, 0 };
	struct json_val *v;

	if (len > MIG_MAX_INPUT) {
		snprintf(err, ERRLEN, "the config is larger than %u bytes", MIG_MAX_INPUT);
		return NULL;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	v = json_value(&c);
	if (!v)
		return NULL;
	json_ws(&c);
	if (c.p != c.end) {
		fail(&c, "text after the JSON value");
		json_free(v);
		return NULL;
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* TOML (the parts a realm config uses: tables, arrays of tables, dotted
 * keys, strings, integers, floats, booleans, arrays, inline tables) */

static void
toml_sp(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* white space, newlines and comments (inside arrays) */
static void
toml_wsnl(struct cur *c)
{
	for (;;) {
		toml_sp(c);
		if (c->p < c->end && *c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
			continue;
		}
		if (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
			c->p++;
			continue;
		}
		return;
	}
}

static char *
toml_string(struct cur *c)
{
	struct sbuf b = { 0 };
	char q = *c->p;
	int multi = c->end - c->p >= 3 && c->p[1] == q && c->p[2] == q;

	c->p += multi ? 3 : 1;
	if (multi && c->p < c->end && *c->p == '\n')
		c->p++;
	else if (multi && c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n')
		c->p += 2;
	if (sb_put(c, &b, "", 0) < 0)
		return NULL;
	for (;;) {
		if (c->p >= c->end) {
			fail(c, "a string is not closed");
			goto bad;
		}
		if (*c->p == q && (!multi || (c->end - c->p >= 3 && c->p[1] == q && c->p[2] == q))) {
			c->p += multi ? 3 : 1;
			return b.s;
		}
		if (!multi && (*c->p == '\n' || *c->p == '\r')) {
			fail(c, "a string is not closed on its line");
			goto bad;
		}
		if ((unsigned char)*c->p < 0x20 && *c->p != '\t' && *c->p != '\n' && *c->p != '\r') {
			fail(c, "a control character inside a string");
			goto bad;
		}
		if (q == '"' && *c->p == '\\') {
			c->p++;
			if (multi && c->p < c->end && (*c->p == '\n' || *c->p == ' ' || *c->p == '\r')) {
				while (c->p < c->end && isspace((unsigned char)*c->p))
					c->p++;   /* line-ending backslash */
				continue;
			}
			if (escape(c, &b, 1) < 0)
				goto bad;
			continue;
		}
		if (sb_put(c, &b, c->p, 1) < 0)
			goto bad;
		c->p++;
	}
bad:
	free(b.s);
	return NULL;
}

/* A bare or quoted key. */
static char *
toml_key(struct cur *c)
{
	const char *s;

	toml_sp(c);
	if (c->p < c->end && (*c->p == '"' || *c->p == '\''))
		return toml_string(c);
	s = c->p;
	while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-'))
		c->p++;
	if (c->p == s) {
		fail(c, "expected a key");
		return NULL;
	}
	return strndup(s, (size_t)(c->p - s));
}

/* Find or make the table at key in obj (an array of tables: its last table). */
static struct json_val *
toml_table(struct cur *c, struct json_val *obj, const char *key)
{
	const struct json_val *got = json_get(obj, key);
	struct json_val *t;
	char *k;

	if (got) {
		if (got->t == JSON_OBJ)
			return (struct json_val *)(uintptr_t)got;
		if (got->t == JSON_ARR && got->n && got->v[got->n - 1]->t == JSON_OBJ)
			return got->v[got->n - 1];
		fail(c, "'%.60s' is already a value, not a table", key);
		return NULL;
	}
	if (obj->depth + 1 > DEPTH_MAX) {
		fail(c, "nested deeper than %d levels (the limit; dotted keys, tables and arrays count)", DEPTH_MAX);
		return NULL;
	}
	if (!(t = json_new(c, JSON_OBJ)))
		return NULL;
	t->depth = obj->depth + 1;
	if (!(k = strdup(key))) {
		json_free(t);
		fail(c, "out of memory");
		return NULL;
	}
	if (json_push(c, obj, k, t) < 0)
		return NULL;
	return t;
}

static struct json_val *toml_value(struct cur *c);

/* A dotted key (a.b.c) of a key = value line or a [table] header: the tables
 * before the last dot are found or made from *obj down, *obj becomes the
 * innermost; returns the last key (to free), or NULL. */
static char *
toml_path(struct cur *c, struct json_val **obj)
{
	char *key;

	for (;;) {
		if (!(key = toml_key(c)))
			return NULL;
		toml_sp(c);
		if (c->p >= c->end || *c->p != '.')
			return key;
		c->p++;
		*obj = toml_table(c, *obj, key);
		free(key);
		if (!*obj)
			return NULL;
	}
}

/* key.path = value into obj */
static int
toml_keyval(struct cur *c, struct json_val *obj)
{
	struct json_val *v;
	char *key;
	int outer = c->depth;

	if (!(key = toml_path(c, &obj)))
		return -1;
	if (c->p >= c->end || *c->p != '=') {
		fail(c, "expected '=' after the key '%.40s'", key);
		free(key);
		return -1;
	}
	c->p++;
	toml_sp(c);
	c->depth = obj->depth;   /* the value nests below the table its dotted key reached */
	v = toml_value(c);
	c->depth = outer;
	if (!v) {
		free(key);
		return -1;
	}
	return json_push(c, obj, key, v);
}

/* in an inline table only spaces; in an array newlines and comments too */
static void
toml_gap(struct cur *c, int obj)
{
	if (obj)
		toml_sp(c);
	else
		toml_wsnl(c);
}

/* One array item, or one key = value of an inline table. */
static int
toml_item(struct cur *c, struct json_val *into)
{
	struct json_val *item;

	if (into->t == JSON_OBJ)
		return toml_keyval(c, into);
	if (!(item = toml_value(c)))
		return -1;
	return json_push(c, into, NULL, item);
}

static const struct items toml_items = { toml_gap, toml_item, 1 };

static struct json_val *
toml_value(struct cur *c)
{
	struct json_val *v;
	const char *s;

	if (c->p >= c->end) {
		fail(c, "a value is missing");
		return NULL;
	}
	if (*c->p == '"' || *c->p == '\'')
		return string_value(c, toml_string);
	if (*c->p == '[' || *c->p == '{')
		return container(c, *c->p == '{', &toml_items);
	if (bool_value(c, &v))
		return v;
	s = c->p;
	while (c->p < c->end && (isalnum((unsigned char)*c->p) || strchr("+-._", *c->p)))
		c->p++;
	if (c->p == s || c->p - s > 40) {
		fail(c, "expected a value (a string, number, boolean, array or table)");
		return NULL;
	}
	if (!(v = json_new(c, JSON_NUM)))
		return NULL;
	{
		char buf[48], *q, *e;
		size_t n = 0;

		for (q = (char *)(uintptr_t)s; q < c->p; q++)
			if (*q != '_')
				buf[n++] = *q;
		buf[n] = '\0';
		v->num = strtod(buf, &e);
		if (*e || !n) {
			json_free(v);
			fail(c, "'%.40s' is not a number (dates are not supported)", buf);
			return NULL;
		}
		if (!(v->s = strdup(buf))) {
			json_free(v);
			fail(c, "out of memory");
			return NULL;
		}
	}
	return v;
}

struct json_val *
mig_toml_parse(const char *text, size_t len, char *err)
{
	struct cur c = { text, text + len, text, err, 0, 0, 0 };
	struct json_val *root, *cur;

	if (len > MIG_MAX_INPUT) {
		snprintf(err, ERRLEN, "the config is larger than %u bytes", MIG_MAX_INPUT);
		return NULL;
	}
	if (!(root = json_new(&c, JSON_OBJ)))
		return NULL;
	cur = root;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	for (;;) {
		toml_wsnl(&c);
		if (c.p >= c.end)
			break;
		if (*c.p == '[') {
			int arr = c.end - c.p >= 2 && c.p[1] == '[';
			struct json_val *t = root;
			char *key;

			c.p += arr ? 2 : 1;
			if (!(key = toml_path(&c, &t)))
				goto bad;
			if (c.end - c.p < (arr ? 2 : 1) || c.p[0] != ']' || (arr && c.p[1] != ']')) {
				fail(&c, "expected '%s' after the table name", arr ? "]]" : "]");
				free(key);
				goto bad;
			}
			c.p += arr ? 2 : 1;
			if (arr) {
				const struct json_val *got = json_get(t, key);
				struct json_val *a, *o;

				if (got && got->t != JSON_ARR) {
					fail(&c, "'%.60s' is already a table, not an array of tables", key);
					free(key);
					goto bad;
				}
				if (got) {
					a = (struct json_val *)(uintptr_t)got;
					free(key);
				} else {
					if (!(a = json_new(&c, JSON_ARR))) {
						free(key);
						goto bad;
					}
					a->depth = t->depth + 1;
					if (json_push(&c, t, key, a) < 0)
						goto bad;
				}
				if (a->depth + 1 > DEPTH_MAX) {
					fail(&c, "nested deeper than %d levels (the limit; dotted keys, tables and arrays "
					    "count)", DEPTH_MAX);
					goto bad;
				}
				if (!(o = json_new(&c, JSON_OBJ)))
					goto bad;
				o->depth = a->depth + 1;
				if (json_push(&c, a, NULL, o) < 0)
					goto bad;
				cur = o;
			} else {
				cur = toml_table(&c, t, key);
				free(key);
				if (!cur)
					goto bad;
			}
		} else if (toml_keyval(&c, cur) < 0)
			goto bad;
		toml_sp(&c);
		if (c.p < c.end && *c.p == '#')
			while (c.p < c.end && *c.p != '\n')
				c.p++;
		if (c.p < c.end && *c.p != '\n' && *c.p != '\r') {
			fail(&c, "text after the value; one key = value per line");
			goto bad;
		}
	}
	return root;
bad:
	json_free(root);
	return NULL;
}
