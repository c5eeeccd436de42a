/*
 * TOML into the value tree JSON is read into (struct json_val, lib/base's
 * json.h), enough for realm's configs. Hand-written, bounded: nesting depth,
 * input size and element counts are capped, and every error names the line.
 */
#include "migrate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"
#include "util.h"

#define DEPTH_MAX 32
#define ITEMS_MAX 100000
#define STR_MAX 65536

/* ---- strings ---- */

/* Backslash escape of a basic string (c->p at the escape letter). */
static int
escape(struct json_cur *c, struct strbuf *b)
{
	static const char from[] = "\"\\bfnrt", to[] = "\"\\\b\f\n\r\t";
	const char *e;
	unsigned cp;
	char u[4];
	size_t n;

	if (c->p >= c->end) {
		json_cur_fail(c, "a string ends inside an escape");
		return -1;
	}
	if (*c->p && (e = strchr(from, *c->p)) != NULL) {
		c->p++;
		return json_cur_put(c, b, to + (e - from), 1);
	}
	if (*c->p != 'u' || c->end - c->p < 5 || text_hex(c->p + 1, 4, &cp) < 0) {
		json_cur_fail(c, "an unknown escape '\\%c'", *c->p);
		c->p++;
		return -1;
	}
	c->p += 5;
	if (cp == 0 || !(n = text_utf8_put(cp, u))) {
		json_cur_fail(c, "an escape for a code point a config cannot hold");
		return -1;
	}
	return json_cur_put(c, b, u, n);
}

/* ---- values ---- */

/* A string value, c->p at its opening quote, read by str (json_string, toml_string). */
static struct json_val *
string_value(struct json_cur *c, char *(*str)(struct json_cur *))
{
	struct json_val *v = json_cur_new(c, JSON_STR);

	if (v && !(v->s = str(c))) {
		free(v);
		v = NULL;
	}
	return v;
}

/* true or false at c->p: 1 and *v the value (NULL when that failed); 0 when neither stands there. */
static int
bool_value(struct json_cur *c, struct json_val **v)
{
	if (c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
		c->p += 4;
		if ((*v = json_cur_new(c, JSON_BOOL)))
			(*v)->b = 1;
		return 1;
	}
	if (c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
		c->p += 5;
		*v = json_cur_new(c, JSON_BOOL);
		return 1;
	}
	return 0;
}

/* An array (obj 0) or a table (obj 1), c->p at its opening bracket: items
 * separated by commas up to the closing bracket, nesting bounded. */
static struct json_val *
container(struct json_cur *c, int obj, const struct json_cur_syntax *syn)
{
	struct json_val *v;

	if (++c->depth > DEPTH_MAX) {
		json_cur_fail(c, "nested deeper than %d levels (the limit; dotted keys, tables and arrays count)", DEPTH_MAX);
		return NULL;
	}
	if (!(v = json_cur_new(c, obj ? JSON_OBJ : JSON_ARR)))
		return NULL;
	c->p++;
	if (json_cur_items(c, v, obj ? '}' : ']', syn) < 0) {
		json_free(v);
		return NULL;
	}
	c->depth--;
	return v;
}

/* ------------------------------------------------------------------ */
/* TOML (the parts a realm config uses: tables, arrays of tables, dotted
 * keys, strings, integers, floats, booleans, arrays, inline tables) */

static void
toml_sp(struct json_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* white space, newlines and comments (inside arrays) */
static void
toml_wsnl(struct json_cur *c)
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
toml_string(struct json_cur *c)
{
	struct strbuf b = { .max = STR_MAX };
	char q = *c->p;
	int multi = c->end - c->p >= 3 && c->p[1] == q && c->p[2] == q;

	c->p += multi ? 3 : 1;
	if (multi && c->p < c->end && *c->p == '\n')
		c->p++;
	else if (multi && c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n')
		c->p += 2;
	if (json_cur_put(c, &b, "", 0) < 0)
		return NULL;
	for (;;) {
		if (c->p >= c->end) {
			json_cur_fail(c, "a string is not closed");
			goto bad;
		}
		if (*c->p == q && (!multi || (c->end - c->p >= 3 && c->p[1] == q && c->p[2] == q))) {
			c->p += multi ? 3 : 1;
			return b.s;
		}
		if (!multi && (*c->p == '\n' || *c->p == '\r')) {
			json_cur_fail(c, "a string is not closed on its line");
			goto bad;
		}
		if ((unsigned char)*c->p < 0x20 && *c->p != '\t' && *c->p != '\n' && *c->p != '\r') {
			json_cur_fail(c, "a control character inside a string");
			goto bad;
		}
		if (q == '"' && *c->p == '\\') {
			c->p++;
			if (multi && c->p < c->end && (*c->p == '\n' || *c->p == ' ' || *c->p == '\r')) {
				while (c->p < c->end && isspace((unsigned char)*c->p))
					c->p++;   /* line-ending backslash */
				continue;
			}
			if (escape(c, &b) < 0)
				goto bad;
			continue;
		}
		if (json_cur_put(c, &b, c->p, 1) < 0)
			goto bad;
		c->p++;
	}
bad:
	free(b.s);
	return NULL;
}

/* A bare or quoted key. */
static char *
toml_key(struct json_cur *c)
{
	const char *s;

	toml_sp(c);
	if (c->p < c->end && (*c->p == '"' || *c->p == '\''))
		return toml_string(c);
	s = c->p;
	while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-'))
		c->p++;
	if (c->p == s) {
		json_cur_fail(c, "expected a key");
		return NULL;
	}
	return strndup(s, (size_t)(c->p - s));
}

/* Find or make the table at key in obj (an array of tables: its last table). */
static struct json_val *
toml_table(struct json_cur *c, struct json_val *obj, const char *key)
{
	const struct json_val *got = json_get(obj, key);
	struct json_val *t;
	char *k;

	if (got) {
		if (got->t == JSON_OBJ)
			return (struct json_val *)(uintptr_t)got;
		if (got->t == JSON_ARR && got->n && got->v[got->n - 1]->t == JSON_OBJ)
			return got->v[got->n - 1];
		json_cur_fail(c, "'%.60s' is already a value, not a table", key);
		return NULL;
	}
	if (obj->depth + 1 > DEPTH_MAX) {
		json_cur_fail(c, "nested deeper than %d levels (the limit; dotted keys, tables and arrays count)", DEPTH_MAX);
		return NULL;
	}
	if (!(t = json_cur_new(c, JSON_OBJ)))
		return NULL;
	t->depth = obj->depth + 1;
	if (!(k = strdup(key))) {
		json_free(t);
		json_cur_fail(c, "out of memory");
		return NULL;
	}
	if (json_cur_push(c, obj, k, t) < 0)
		return NULL;
	return t;
}

static struct json_val *toml_value(struct json_cur *c);

/* A dotted key (a.b.c) of a key = value line or a [table] header: the tables
 * before the last dot are found or made from *obj down, *obj becomes the
 * innermost; returns the last key (to free), or NULL. */
static char *
toml_path(struct json_cur *c, struct json_val **obj)
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
toml_keyval(struct json_cur *c, struct json_val *obj)
{
	struct json_val *v;
	char *key;
	int outer = c->depth;

	if (!(key = toml_path(c, &obj)))
		return -1;
	if (c->p >= c->end || *c->p != '=') {
		json_cur_fail(c, "expected '=' after the key '%.40s'", key);
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
	return json_cur_push(c, obj, key, v);
}

/* in an inline table only spaces; in an array newlines and comments too */
static void
toml_gap(struct json_cur *c, int obj)
{
	if (obj)
		toml_sp(c);
	else
		toml_wsnl(c);
}

/* One array item, or one key = value of an inline table. */
static int
toml_item(struct json_cur *c, struct json_val *into)
{
	struct json_val *item;

	if (into->t == JSON_OBJ)
		return toml_keyval(c, into);
	if (!(item = toml_value(c)))
		return -1;
	return json_cur_push(c, into, NULL, item);
}

static const struct json_cur_syntax toml_items = { toml_gap, toml_item, 1 };

static struct json_val *
toml_value(struct json_cur *c)
{
	struct json_val *v;
	const char *s;

	if (c->p >= c->end) {
		json_cur_fail(c, "a value is missing");
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
		json_cur_fail(c, "expected a value (a string, number, boolean, array or table)");
		return NULL;
	}
	if (!(v = json_cur_new(c, JSON_NUM)))
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
			json_cur_fail(c, "'%.40s' is not a number (dates are not supported)", buf);
			return NULL;
		}
		if (!(v->s = strdup(buf))) {
			json_free(v);
			json_cur_fail(c, "out of memory");
			return NULL;
		}
	}
	return v;
}

struct json_val *
mig_toml_parse(const char *text, size_t len, char *err)
{
	struct json_cur c = { .p = text, .end = text + len, .start = text, .err = err, .items_max = ITEMS_MAX };
	struct json_val *root, *cur;

	if (len > MIG_MAX_INPUT) {
		snprintf(err, ERRLEN, "the config is larger than %u bytes", MIG_MAX_INPUT);
		return NULL;
	}
	if (!(root = json_cur_new(&c, JSON_OBJ)))
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
				json_cur_fail(&c, "expected '%s' after the table name", arr ? "]]" : "]");
				free(key);
				goto bad;
			}
			c.p += arr ? 2 : 1;
			if (arr) {
				const struct json_val *got = json_get(t, key);
				struct json_val *a, *o;

				if (got && got->t != JSON_ARR) {
					json_cur_fail(&c, "'%.60s' is already a table, not an array of tables", key);
					free(key);
					goto bad;
				}
				if (got) {
					a = (struct json_val *)(uintptr_t)got;
					free(key);
				} else {
					if (!(a = json_cur_new(&c, JSON_ARR))) {
						free(key);
						goto bad;
					}
					a->depth = t->depth + 1;
					if (json_cur_push(&c, t, key, a) < 0)
						goto bad;
				}
				if (a->depth + 1 > DEPTH_MAX) {
					json_cur_fail(&c, "nested deeper than %d levels (the limit; dotted keys, tables and arrays "
					    "count)", DEPTH_MAX);
					goto bad;
				}
				if (!(o = json_cur_new(&c, JSON_OBJ)))
					goto bad;
				o->depth = a->depth + 1;
				if (json_cur_push(&c, a, NULL, o) < 0)
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
			json_cur_fail(&c, "text after the value; one key = value per line");
			goto bad;
		}
	}
	return root;
bad:
	json_free(root);
	return NULL;
}
