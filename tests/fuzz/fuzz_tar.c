/* libFuzzer: lib/base/tar.c's reader on arbitrary bytes (gzip or plain tar),
 * then an import's manifest check (lib/migrate/bundle.c) on what it read.
 * A plain tar is read twice: as it is, and with every header's checksum
 * recomputed (headers found by walking sizes as the reader does), so the
 * fuzzer gets past the checksum into pax records ('x', 'g'), GNU long names
 * ('L'), base-256 sizes and the entry checks. What the reader takes, the
 * writer (an export's) writes back to an archive that reads the same: names,
 * types, modes, times and contents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "tar.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

static void
fix_checksums(unsigned char *t, size_t n)
{
	size_t off = 0;

	while (off + 512 <= n) {
		unsigned char *h = t + off;
		unsigned sum = 0, i;
		uint64_t sz;

		if (h[0] == '\0')
			break;   /* the end blocks */
		memset(h + 148, ' ', 8);
		for (i = 0; i < 512; i++)
			sum += h[i];
		snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
		h[155] = ' ';
		sz = octal(h + 124, 12);
		if (h[156] == '5')
			sz = 0;
		if (sz > n)
			break;
		off += 512 + (size_t)((sz + 511) / 512 * 512);
	}
}

/* a name only a pax or GNU record can hold is refused by the ustar writer: no round trip then */
static void
write_back(const struct tar_archive *a, const struct tar_limits *lim)
{
	struct tar_writer w = { 0 };
	struct tar_archive b;
	struct tar_limits l = *lim;
	unsigned char *gz = NULL;
	size_t gzlen = 0, i;
	char err[ERRLEN];

	for (i = 0; i < a->n; i++) {
		const struct tar_entry *e = &a->v[i];

		if ((e->type == '5' ? tar_add_dir(&w, e->name, e->mode, e->mtime, err) :
		    tar_add_file(&w, e->name, e->mode, e->mtime, e->data, e->size, err)) < 0) {
			tar_writer_free(&w);
			return;
		}
	}
	if (tar_finish_gz(&w, &gz, &gzlen, err) < 0)
		abort();
	l.max_ratio = ~0u;   /* zeros compress past any ratio; the sizes are still capped */
	if (tar_read(gz, gzlen, &l, &b, err) < 0 || b.n != a->n)
		abort();
	for (i = 0; i < a->n; i++) {
		const struct tar_entry *x = &a->v[i], *y = &b.v[i];

		if (strcmp(x->name, y->name) || x->type != y->type || x->mode != y->mode || x->size != y->size ||
		    (x->size && memcmp(x->data, y->data, x->size)) ||
		    (x->mtime >= 0 && x->mtime <= 077777777777LL && x->mtime != y->mtime))
			abort();
	}
	tar_free(&b);
	free(gz);
}

static void
read_one(const uint8_t *data, size_t size)
{
	struct tar_archive a;
	struct tar_limits l;
	struct bundle b;
	char err[ERRLEN];

	tar_limits_default(&l);
	l.max_total = 4u << 20;   /* keep each run small */
	if (tar_read(data, size, &l, &a, err) == 0) {
		write_back(&a, &l);
		if (bundle_from_archive(&a, &b, err) == 0)
			bundle_free(&b);
		tar_free(&a);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *t;

	read_one(data, size);
	if (size < 512 || data[0] == 0x1f || !(t = malloc(size)))
		return 0;
	memcpy(t, data, size);
	fix_checksums(t, size);
	read_one(t, size);
	free(t);
	return 0;
}
