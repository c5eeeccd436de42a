/* libFuzzer: an import's manifest check (lib/migrate/bundle.c
 * bundle_from_archive) past its SHA-256 gate. The input is records split by
 * 0xFF: the first is the MANIFEST's text, each other one an archive entry
 * "NAME\0DATA" (a NAME ending in '/' is a directory). In the manifest, a
 * "file" line whose hash is "@" gets the real SHA-256 of the entry it names
 * and a size of "@" its real size, so the fuzzer reaches what follows the
 * check. What is accepted must be exactly what the archive holds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "tar.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 16

static const struct tar_entry *
entry_named(const struct tar_archive *a, const char *rel)
{
	char name[TAR_NAME_MAX + 16];

	snprintf(name, sizeof(name), "%s/%s", BUNDLE_DIR, rel);
	return tar_find(a, name);
}

/* the manifest with "@" filled in, malloc'd */
static char *
fill_manifest(const char *in, size_t n, const struct tar_archive *a)
{
	size_t cap = n * 2 + 200 * 16 + 1, len = 0;
	char *out = malloc(cap), *copy = strndup(in, n), *line, *save = NULL;

	if (!out || !copy) {
		free(out);
		free(copy);
		return NULL;
	}
	out[0] = '\0';
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char sum[80], sz[32], rel[300], hex[65];
		unsigned mode;
		const struct tar_entry *e;

		if (sscanf(line, "file %79s %o %31s %299s", sum, &mode, sz, rel) == 4 &&
		    (!strcmp(sum, "@") || !strcmp(sz, "@")) && (e = entry_named(a, rel)) && e->type == '0') {
			bundle_sha256_hex(e->data, e->size, hex);
			len += (size_t)snprintf(out + len, cap - len, "file %s %o %zu %s\n",
			    strcmp(sum, "@") ? sum : hex, mode, strcmp(sz, "@") ? (size_t)strtoull(sz, NULL, 10) : e->size, rel);
		} else
			len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
		if (len >= cap)
			break;
	}
	free(copy);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_entry v[MAXREC + 1];
	struct tar_archive a;
	struct bundle b;
	const uint8_t *rec[MAXREC + 1];
	size_t len[MAXREC + 1], nrec = 0, i, start = 0;
	char err[ERRLEN], *man;

	for (i = 0; i <= size && nrec <= MAXREC; i++)
		if (i == size || data[i] == 0xff) {
			rec[nrec] = data + start;
			len[nrec++] = i - start;
			start = i + 1;
		}
	memset(&a, 0, sizeof(a));
	memset(v, 0, sizeof(v));
	a.v = v;
	for (i = 1; i < nrec; i++) {
		const uint8_t *z = memchr(rec[i], 0, len[i]);
		size_t nl = z ? (size_t)(z - rec[i]) : len[i];
		struct tar_entry *e = &v[a.n];

		if (nl == 0 || nl >= TAR_NAME_MAX - strlen(BUNDLE_DIR) - 2)
			continue;
		snprintf(e->name, sizeof(e->name), "%s/%.*s", BUNDLE_DIR, (int)nl, (const char *)rec[i]);
		if (e->name[strlen(e->name) - 1] == '/') {
			e->name[strlen(e->name) - 1] = '\0';
			e->type = '5';
		} else {
			e->type = '0';
			e->size = z ? len[i] - nl - 1 : 0;
			e->data = malloc(e->size + 1);
			if (e->size)
				memcpy(e->data, z + 1, e->size);
			e->data[e->size] = '\0';
		}
		e->mode = 0600;
		a.n++;
	}
	if (nrec > 0 && (man = fill_manifest((const char *)rec[0], len[0], &a)) != NULL) {
		struct tar_entry *m = &v[a.n];

		snprintf(m->name, sizeof(m->name), "%s/MANIFEST", BUNDLE_DIR);
		m->type = '0';
		m->size = strlen(man);
		m->data = (unsigned char *)man;
		a.n++;
		if (bundle_from_archive(&a, &b, err) == 0) {
			for (i = 0; i < b.n; i++) {
				const struct tar_entry *e = entry_named(&a, b.v[i].rel);

				if (!e || e->size != b.v[i].len || memcmp(e->data, b.v[i].data, e->size) != 0)
					abort();   /* accepted something the archive does not hold */
			}
			bundle_free(&b);
		}
	}
	for (i = 0; i < a.n; i++)
		free(v[i].data);
	return 0;
}
