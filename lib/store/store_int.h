#ifndef XWPF_STORE_INT_H
#define XWPF_STORE_INT_H

/*
 * Private to the store's modules (lib/store*.c; applets include store.h):
 * the parse state the parser (store.c), the text scan with the diagnostics
 * (store_scan.c) and the checks across rules (store_check.c, store_loop.c)
 * share.
 */
#include <stddef.h>
#include <stdio.h>

#include "store.h"

/* The key tables (store.c): how each key's value is parsed, where it goes,
 * and how the fingerprint (store_fingerprint.c) reads it back. */
enum ktype { K_STR, K_PSTR, K_BOOL, K_MS, K_LONG, K_SIZE, K_RATE, K_FN };

/* How a key's field goes into a fingerprint. KF_AUTO: by its ktype (every
 * ktype but K_FN); a K_FN key names its field (off, size) and says how. */
enum kfp {
	KF_AUTO,
	KF_RAW,        /* size bytes at off: numbers, enums, flags */
	KF_CHARS,      /* a char array of size bytes at off */
	KF_PSTR,       /* a char * at off */
	KF_HOSTPORT,   /* a struct hostport at off */
	KF_LISTEN,     /* a rule's listen address and every port of its list */
	KF_REMOTES,    /* a rule's remotes and their weights */
	KF_NONE,       /* a [global] key no rule reads (logging, workers, DNS, ...) */
};

struct key {
	const char *name;
	enum ktype type;
	int multi;                 /* may appear more than once */
	size_t off, size;          /* size: K_STR buffer size */
	long min, max;             /* K_MS (ms), K_LONG */
	int (*fn)(const char *v, void *obj, char *err);
	enum kfp fp;
};

/* weights = 2,1 (xwPF's WEIGHTS, realm's "roundrobin: 2, 1"): kept aside, checked later */
struct rule_extra {
	unsigned char weights[STORE_MAX_REMOTES];
	size_t nweights;
	int weights_line;
	int listen_bad, remote_bad;   /* a listen / remote line was refused: not "missing" too */
	int notify_line;              /* of its notify key (0: none) */
};

enum sect { SECT_NONE, SECT_GLOBAL, SECT_RULE, SECT_MPTCP, SECT_UNKNOWN };

/* A [section] line found by scanning the text: inih reports sections only
 * through their keys, so this gives the header's own line and finds
 * sections without keys. */
struct header {
	int line;
	int used;                  /* a key followed it */
	int is_rule;
	char name[STORE_NAME_MAX + 8];
	char sect[STORE_NAME_MAX + 9];   /* what is between the brackets; longer than any good one when cut */
};

struct seen {
	const char *key;
	int line;
};

struct parse_ctx {
	struct store *st;
	struct store_diags *d;
	char cur[64];              /* the section inih is in */
	enum sect sect;
	struct store_rule *rule;   /* current rule (SECT_RULE) */
	struct rule_extra *extras; /* parallel to st->rules */
	struct seen seen[64];      /* keys seen in this section */
	size_t nseen;
	int global_line, mptcp_line;
	int notify_line, telegram_api_line;   /* of those [global] keys (0: none) */
	struct header *hdrs;       /* every [section] line, from a scan of the text */
	size_t nhdrs, hcur;
	size_t rules_cap;
	int first_syntax_line;     /* store_scan_syntax's first finding, to not repeat inih's */
	int *broken;               /* lines of headers without their ']', in order */
	size_t nbroken, broken_cap;
};

/* store_listen.c: "PORTS" / "ADDR:PORTS" with a comma list into r->listen and r->lmore */
int store_listen_parse(const char *v, struct store_rule *r, char *err);

/* store_scan.c: diagnostics */
void store_diag_add(struct store_diags *d, int line, int error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* In file order: by line, stable; messages about the whole file (line 0) last. */
void store_diags_sort(struct store_diags *d);

/* store_scan.c: scans of the raw text, before inih */
/* Every [section] line into c->hdrs. 0, or -1 out of memory. */
int store_scan_headers(struct parse_ctx *c, const char *text);
/* A diagnostic for every line that is not INI; the first in c->first_syntax_line. */
void store_scan_syntax(struct parse_ctx *c, const char *text);
/* 1 when LINE follows a broken header (no ']') with no good header between:
 * its key belongs to no section anyone meant, and is skipped unreported. */
int store_scan_skipped(const struct parse_ctx *c, int line);
/* After inih: a diagnostic for each [rule NAME] header no key followed. */
void store_scan_empty_sections(struct parse_ctx *c);

/* store_check.c: the checks across the parsed store, each problem a
 * diagnostic; ends with store_check_loops. */
void store_validate(struct parse_ctx *c);

/* store_loop.c: an error for each forwarding loop among the enabled rules
 * (a remote that is one of the relay's own listeners, leading back). */
void store_check_loops(struct parse_ctx *c);

/* store.c: the table of [global] (global) or [rule] keys, *n entries. */
const struct key *store_key_table(int global, size_t *n);

/* store_fingerprint.c: every key of tab (n entries) as it is set in obj (a
 * struct store_rule or store_global, or what a test's table describes),
 * one "name=value" line each, written to f. */
void store_keys_fingerprint(FILE *f, const struct key *tab, size_t n, const void *obj);

/* store.c: the I-th known key of [global] (global) or of a [rule], NULL past the last. */
const char *store_key_name(int global, size_t i);

/* store_notify.c: handlers of the notification keys */
int store_fn_notify(const char *v, char *dst, size_t size, char *err);
int store_fn_notify_events(const char *v, void *obj, char *err);
int store_fn_notify_ca(const char *v, void *obj, char *err);
int store_fn_notify_report(const char *v, void *obj, char *err);
int store_fn_gnotify(const char *v, void *obj, char *err);
int store_fn_telegram_api(const char *v, void *obj, char *err);
int store_fn_expire(const char *v, void *obj, char *err);
int store_fn_http_url(const char *v, char *dst, size_t size, const char *key, char *err);
int store_notify_events_check(const char *list, char *err);
/* After parsing: a list's http:// targets, and for [global] (rule NULL)
 * telegram_api, against the other keys. */
void store_notify_validate(struct parse_ctx *c, const char *list, int line, const char *rule);

#endif
