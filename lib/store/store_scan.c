/*
 * The rule store, before and after inih: the diagnostics every pass adds to
 * (kept in file order), the nearest known key for a mistyped one, and the
 * scans of the raw text that inih cannot do (every [section] line with its
 * own line number, every line that is not INI). The parser is lib/store/store.c;
 * what both share is lib/store/store_int.h.
 */
#include "store_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* diagnostics */

void
store_diag_add(struct store_diags *d, int line, int error, const char *fmt, ...)
{
	va_list ap;
	struct store_diag *x;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct store_diag *v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return;   /* out of memory: the error count below still says "no" */
		d->v = v;
		d->cap = cap;
	}
	x = &d->v[d->n++];
	x->line = line;
	x->error = error;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	text_escape_inplace(x->msg, sizeof(x->msg));   /* it quotes what the file holds */
	if (error)
		d->nerrors++;
}

void
store_diags_free(struct store_diags *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
	d->nerrors = 0;
}

char *
store_diag_format(const struct store_diags *d, size_t i, char *buf, size_t size)
{
	const struct store_diag *x = &d->v[i];
	const char *kind = x->error ? "error" : "warning";

	if (x->line > 0)
		snprintf(buf, size, "%s:%d: %s: %s", d->file, x->line, kind, x->msg);
	else
		snprintf(buf, size, "%s: %s: %s", d->file, kind, x->msg);
	return buf;
}

/* In file order: by line (stable: a line's messages keep their order),
 * messages about the whole file (line 0) last. The passes (syntax, keys,
 * validation) each go through the file, so they come out interleaved. */
void
store_diags_sort(struct store_diags *d)
{
	size_t i, j;

	for (i = 1; i < d->n; i++) {
		struct store_diag x = d->v[i];
		unsigned key = x.line > 0 ? (unsigned)x.line : UINT_MAX;

		for (j = i; j > 0 && (d->v[j - 1].line > 0 ? (unsigned)d->v[j - 1].line : UINT_MAX) > key; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = x;
	}
}

/* ------------------------------------------------------------------ */
/* nearest key */

/* Edit distance of two short strings ('-' and '_' count as the same), capped at 9. */
static int
key_distance(const char *a, const char *b)
{
	int d[33][33], i, j, la = (int)strlen(a), lb = (int)strlen(b);

	if (la > 32 || lb > 32)
		return 9;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			int same = a[i - 1] == b[j - 1] || (strchr("-_", a[i - 1]) && strchr("-_", b[j - 1]));
			int v = d[i - 1][j - 1] + !same;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;   /* a swap of two letters: "remtoe" */
			d[i][j] = v;
		}
	return d[la][lb] < 9 ? d[la][lb] : 9;
}

const char *
store_key_suggest(const char *key, int global)
{
	const char *best = NULL, *name;
	int bd = 3, dist;
	size_t i;

	if (strlen(key) < 3)
		return NULL;
	for (i = 0; (name = store_key_name(global, i)) != NULL; i++)
		if ((dist = key_distance(key, name)) < bd) {
			bd = dist;
			best = name;
		}
	return best;
}

/* ------------------------------------------------------------------ */
/* text scans */

/* Every header line of the text, in order (see struct header). */
int
store_scan_headers(struct parse_ctx *c, const char *text)
{
	const char *p = text;
	int line = 0;
	size_t cap = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *close;

		line++;
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		if (len && *p == '[' && (close = memchr(p, ']', len)) != NULL) {
			struct header *h;
			char buf[sizeof(h->sect)];
			size_t n = (size_t)(close - p - 1);

			if (c->nhdrs == cap) {
				struct header *nv;
				cap = cap ? cap * 2 : 64;
				if (!(nv = realloc(c->hdrs, cap * sizeof(*nv))))
					return -1;
				c->hdrs = nv;
			}
			h = &c->hdrs[c->nhdrs++];
			memset(h, 0, sizeof(*h));
			h->line = line;
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, p + 1, n);
			buf[n] = '\0';
			memcpy(h->sect, buf, n + 1);
			if (strncmp(buf, "rule", 4) == 0 && (buf[4] == ' ' || buf[4] == '\t')) {
				h->is_rule = 1;
				snprintf(h->name, sizeof(h->name), "%s", str_trim(buf + 4));
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return 0;
}

static void
add_broken(struct parse_ctx *c, int line)
{
	if (c->nbroken == c->broken_cap) {
		size_t cap = c->broken_cap ? c->broken_cap * 2 : 16;
		int *nv = realloc(c->broken, cap * sizeof(*nv));

		if (!nv)
			return;   /* its keys are then read into the section before: more errors, none missed */
		c->broken = nv;
		c->broken_cap = cap;
	}
	c->broken[c->nbroken++] = line;
}

int
store_scan_skipped(const struct parse_ctx *c, int line)
{
	int hdr = c->hcur < c->nhdrs && c->hdrs[c->hcur].line < line ? c->hdrs[c->hcur].line : 0;
	size_t lo = 0, hi = c->nbroken;

	while (lo < hi) {   /* the first broken header after the good one */
		size_t mid = lo + (hi - lo) / 2;

		if (c->broken[mid] <= hdr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nbroken && c->broken[lo] < line;
}

/* inih reports only the first line it cannot parse; find every one, by inih's own
 * rules (comment prefixes ; and #, inline comments after whitespace then #, BOM). */
void
store_scan_syntax(struct parse_ctx *c, const char *text)
{
	const char *p = text;
	int line = 0;

	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p), i;
		const char *want;
		int was_space = 0;

		line++;
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		if (len && *p != ';' && *p != '#') {
			want = *p == '[' ? "]" : "=:";
			for (i = *p == '[' ? 1 : 0; i < len && !strchr(want, p[i]); i++) {
				if (was_space && p[i] == '#')
					break;
				was_space = isspace((unsigned char)p[i]);
			}
			if (i >= len || !strchr(want, p[i])) {
				if (!c->first_syntax_line)
					c->first_syntax_line = line;
				if (*p == '[') {
					store_diag_add(c->d, line, 1, "a section header needs its closing ']': [global] or "
					    "[rule NAME] (the lines under it, up to the next header, are skipped)");
					add_broken(c, line);
				}
				else
					store_diag_add(c->d, line, 1, "not a 'key = value' line, a [section] or a comment: "
					    "write KEY = VALUE, or start the line with # to keep it as a note");
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
}

/* A [rule NAME] header no key followed: inih never saw it. */
void
store_scan_empty_sections(struct parse_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nhdrs; i++)
		if (c->hdrs[i].is_rule && !c->hdrs[i].used)
			store_diag_add(c->d, c->hdrs[i].line, 1, "rule '%s' has no settings: it needs at least "
			    "listen and remote", c->hdrs[i].name);
}
