/*
 * A rule's fingerprint: every key of its [rule] section and every [global]
 * key a rule reads, written out by walking the key tables (store.c). A key
 * added to a table is part of it without a word here (a K_FN key names its
 * field in the table). The relay rebuilds a rule on reload when its
 * fingerprint changed, and only then.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Length-prefixed, so that no value can run into the next. */
static void
put_chars(FILE *f, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	fprintf(f, "%zu:", n);
	fwrite(s, 1, n, f);
}

static void
put_hostport(FILE *f, const struct hostport *h)
{
	put_chars(f, h->host, sizeof(h->host));
	fprintf(f, "|%u-%u", h->port, h->port_end);
}

static void
put_key(FILE *f, const struct key *k, const void *obj)
{
	const unsigned char *p = (const unsigned char *)obj + k->off;
	const struct store_rule *r = obj;
	enum kfp how = k->fp;
	char buf[1024];
	const char *s;
	size_t i;

	if (how == KF_AUTO)   /* a K_FN key without a field stays KF_AUTO: only its name (a test catches it) */
		how = k->type == K_STR ? KF_CHARS : k->type == K_PSTR ? KF_PSTR : k->type == K_FN ? KF_AUTO : KF_RAW;
	switch (how) {
	case KF_RAW:   /* hex, a buffer at a time: a byte per fprintf cost 10,000 rules a second */
		for (i = 0; i < k->size; i += sizeof(buf) / 2) {
			size_t j, m = k->size - i < sizeof(buf) / 2 ? k->size - i : sizeof(buf) / 2;

			for (j = 0; j < m; j++) {
				buf[2 * j] = "0123456789abcdef"[p[i + j] >> 4];
				buf[2 * j + 1] = "0123456789abcdef"[p[i + j] & 15];
			}
			fwrite(buf, 1, 2 * m, f);
		}
		break;
	case KF_CHARS:
		put_chars(f, (const char *)p, k->size);
		break;
	case KF_PSTR:
		memcpy(&s, p, sizeof(s));
		put_chars(f, s ? s : "", SIZE_MAX);
		break;
	case KF_HOSTPORT:
		put_hostport(f, (const struct hostport *)(const void *)p);
		break;
	case KF_LISTEN:
		put_chars(f, r->listen.host, sizeof(r->listen.host));
		fputc('|', f);
		put_chars(f, store_listen_format(r, buf, sizeof(buf)), sizeof(buf));
		break;
	case KF_REMOTES:
		fprintf(f, "%zu", r->nremotes);
		for (i = 0; i < r->nremotes; i++) {
			fputc(',', f);
			put_hostport(f, &r->remotes[i].addr);
			fprintf(f, "~%d", r->remotes[i].weight);
		}
		break;
	case KF_AUTO:
	case KF_NONE:
		break;
	}
}

void
store_keys_fingerprint(FILE *f, const struct key *tab, size_t n, const void *obj)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].fp != KF_NONE) {
			fprintf(f, "%s=", tab[i].name);
			put_key(f, &tab[i], obj);
			fputc('\n', f);
		}
}

/* One table's keys of obj, with a heading (NULL none), as a string. */
static char *
table_text(int global, const void *obj, const char *heading)
{
	const struct key *tab;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (heading)
		fputs(heading, f);
	tab = store_key_table(global, &n);
	store_keys_fingerprint(f, tab, n, obj);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
store_rule_keys_fingerprint(const struct store_rule *r)
{
	return table_text(0, r, NULL);
}

char *
store_global_fingerprint(const struct store *st)
{
	return table_text(1, &st->g, "[global]\n");
}

char *
store_rule_fingerprint(const struct store *st, const struct store_rule *r)
{
	char *k = store_rule_keys_fingerprint(r), *g = store_global_fingerprint(st), *fp = NULL;

	if (k && g && asprintf(&fp, "%s%s", k, g) < 0)
		fp = NULL;
	free(k);
	free(g);
	return fp;
}
