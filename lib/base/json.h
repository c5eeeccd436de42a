#ifndef XWPF_JSON_H
#define XWPF_JSON_H

/*
 * JSON: writing (--json output, the stats file) and the one reader, which
 * takes RFC 8259 text into a value tree. The reader is strict (UTF-8 only,
 * no control characters in strings, every escape checked, no duplicate
 * keys, numbers as the grammar writes them) and bounded: the input, the
 * nesting, each string and the count of values are capped, so no input
 * makes it allocate without bound or recurse deeper than JSON_DEPTH_MAX.
 */
#include <stddef.h>
#include <stdio.h>

/* ---- writing ---- */

/* Write s as a JSON string literal (quotes included), escaping as RFC 8259 says. */
void json_str(FILE *f, const char *s);
/* "key": "value" with a leading comma unless first. */
void json_kv_str(FILE *f, int *first, const char *key, const char *value);
void json_kv_num(FILE *f, int *first, const char *key, long long value);
void json_kv_bool(FILE *f, int *first, const char *key, int value);

/* ---- reading ---- */

#define JSON_INPUT_MAX (16u << 20)   /* bytes of text */
#define JSON_DEPTH_MAX 32            /* nested arrays and objects */
#define JSON_STR_MAX 65536           /* bytes of one string or key, decoded */
#define JSON_ITEMS_MAX 500000        /* values in all */
#define JSON_MEMBERS_MAX 4096        /* members of one object (each key is checked against the others) */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json_val {
	enum json_type t;
	int b;                     /* JSON_BOOL */
	double num;                /* JSON_NUM */
	char *s;                   /* JSON_STR (UTF-8, no NUL); also a number's text */
	struct json_val **v;       /* JSON_ARR, JSON_OBJ: the items, in order */
	char **keys;               /* JSON_OBJ: the member names */
	size_t n, cap;             /* items, and the room for them */
	int depth;                 /* levels below the root: bounded, so walks need no more stack */
};

/* The tree of text[0..len) (a UTF-8 byte order mark is skipped), or NULL
 * with err (ERRLEN) saying "line N: what". Free it with json_free. */
struct json_val *json_parse(const char *text, size_t len, char *err);
void json_free(struct json_val *v);
/* Member key of obj; NULL when obj is not an object or has none. */
const struct json_val *json_get(const struct json_val *obj, const char *key);
/* Its string, NULL unless a string. */
const char *json_get_str(const struct json_val *obj, const char *key);
/* Its number (a boolean: 0 or 1), def when absent or neither. */
double json_get_num(const struct json_val *obj, const char *key, double def);
/* Its number's integer part read from the text (exact past 2^53), def unless a number. */
long long json_get_int(const struct json_val *obj, const char *key, long long def);

/* For another reader building the same tree (migrate's TOML): where it is
 * in its text (start .. end, p), how deep, its first error as "line N: what"
 * in err (ERRLEN), and how many values it may make. */
struct json_cur {
	const char *p, *end, *start;
	char *err;
	int depth, failed;
	size_t items, items_max;
};
void json_cur_fail(struct json_cur *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A new value at c->depth; NULL (and failed) past items_max or out of memory. */
struct json_val *json_cur_new(struct json_cur *c, enum json_type t);
/* child appended to parent (key NULL in an array), both taken whatever
 * happens: 0, or -1 (failed: a key the object has, more than JSON_MEMBERS_MAX
 * members, out of memory). */
int json_cur_push(struct json_cur *c, struct json_val *parent, char *key, struct json_val *child);
/* How a syntax writes the items of an array or an object between brackets. */
struct json_cur_syntax {
	void (*gap)(struct json_cur *c, int obj);                 /* skips what may stand around items */
	int (*item)(struct json_cur *c, struct json_val *into);   /* one item (or key and value) into it */
	int trailing_comma;                                       /* "[1, 2, ]" allowed */
};
/* c->p past the opening bracket: items separated by commas up to close,
 * into v (an array or an object): 0, or -1 (failed). */
int json_cur_items(struct json_cur *c, struct json_val *v, char close, const struct json_cur_syntax *syn);
/* strbuf_put (util.h) that fails c when the string outgrows b->max. */
struct strbuf;
int json_cur_put(struct json_cur *c, struct strbuf *b, const char *p, size_t n);

#endif
