/*
 * tar.gz in memory: a careful reader and a small ustar writer (tar.h).
 */
#include "tar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "text.h"
#include "util.h"

#define BLOCK 512
#define RECORD 10240
#define PAX_MAX 65536
#define RATIO_FLOOR (1u << 20)    /* the ratio is checked once this much is inflated */
#define CHUNK 65536

void
tar_limits_default(struct tar_limits *l)
{
	l->max_entry = 16u << 20;
	l->max_total = 64u << 20;
	l->max_entries = 4096;
	l->max_ratio = 100;
}

int
tar_name_safe(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/')
		return 0;
	if (!text_printable(name, NULL))   /* it is printed: no control characters, valid UTF-8 */
		return 0;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* header fields */

/* Octal (NUL or space terminated) or GNU base-256. -1 on junk. */
static int
num_field(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {   /* base-256, big endian; the first byte's top bit is the marker */
		if (f[0] & 0x40)
			return -1;   /* negative */
		v = f[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int
checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long us = 0;
	long ss = 0;
	size_t i;

	if (num_field(h + 148, 8, &want) < 0)
		return 0;
	for (i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		us += c;
		ss += (signed char)c;
	}
	return want == us || (long)want == ss;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void
field_str(char *dst, const unsigned char *f, size_t n)
{
	size_t i;

	for (i = 0; i < n && f[i]; i++)
		dst[i] = (char)f[i];
	dst[i] = '\0';
}

/* ------------------------------------------------------------------ */
/* reading */

struct rd {
	const struct tar_limits *lim;
	struct tar_archive *a;
	char *err;
	/* pending long name / pax values for the next entry */
	char next_name[TAR_NAME_MAX];
	int has_next_name;
	int64_t next_size;         /* -1: none */
	int ended;                 /* saw the zero block */
};

/* A name from an archive, for a message: escaped (text.h) and at most
 * SHOWN_MAX bytes of it, "..." when cut: a file that is not a tar shows a
 * few bytes of what it holds, not a paragraph of it */
#define SHOWN_MAX 32
static const char *
shown(const char *name, char *buf, size_t size)
{
	char cut[SHOWN_MAX + 4], whole[4 * SHOWN_MAX + 8];
	size_t n = strlen(name);

	if (n > SHOWN_MAX) {   /* cut on a character: never inside a UTF-8 sequence */
		n = SHOWN_MAX;
		while (n && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(cut, name, n);
	cut[n] = '\0';
	text_escape(cut, whole, sizeof(whole));
	text_escape(cut, buf, size > SHOWN_MAX + 1 ? SHOWN_MAX + 1 : size);
	if (n < strlen(name) || strcmp(buf, whole) != 0)
		snprintf(buf + strlen(buf), size - strlen(buf), "...");
	return buf;
}

static int
add_entry(struct rd *r, const char *name, char type, unsigned mode, int64_t mtime,
    const unsigned char *data, size_t size)
{
	struct tar_archive *a = r->a;
	struct tar_entry *e, *nv;
	char norm[TAR_NAME_MAX], sb[4 * SHOWN_MAX + 8];
	size_t i, n;
	const char *p = name;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (str_copy(norm, sizeof(norm), p) < 0) {
		snprintf(r->err, ERRLEN, "entry name '%s' is too long", shown(name, sb, sizeof(sb)));
		return -1;
	}
	n = strlen(norm);
	while (n > 1 && norm[n - 1] == '/')
		norm[--n] = '\0';
	if (norm[0] == '/') {
		snprintf(r->err, ERRLEN, "entry '%s' has an absolute path: refused", shown(name, sb, sizeof(sb)));
		return -1;
	}
	if (!tar_name_safe(norm)) {
		snprintf(r->err, ERRLEN, "entry '%s' leaves the archive (a '..' component, an empty name "
		    "or a control character): refused", shown(name, sb, sizeof(sb)));
		return -1;
	}
	if (strcmp(norm, ".") == 0)
		return 0;   /* "./" itself */
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, norm) == 0) {
			snprintf(r->err, ERRLEN, "entry '%s' appears twice: refused", shown(norm, sb, sizeof(sb)));
			return -1;
		}
	if (a->n >= r->lim->max_entries) {
		snprintf(r->err, ERRLEN, "more than %zu entries: refused", r->lim->max_entries);
		return -1;
	}
	nv = realloc(a->v, (a->n + 1) * sizeof(*nv));
	if (!nv) {
		snprintf(r->err, ERRLEN, "out of memory");
		return -1;
	}
	a->v = nv;
	e = &a->v[a->n];
	memset(e, 0, sizeof(*e));
	strcpy(e->name, norm);
	e->type = type;
	e->mode = mode & 07777;
	e->mtime = mtime;
	if (type == '0') {
		if (!(e->data = malloc(size + 1))) {
			snprintf(r->err, ERRLEN, "out of memory");
			return -1;
		}
		if (size)
			memcpy(e->data, data, size);
		e->data[size] = '\0';
		e->size = size;
	}
	a->n++;
	return 0;
}

/* PAX records "LEN key=value\n": path, size; sparse files refused. */
/* The name of the next entry (a pax path or a GNU long name): 0, or -1 with
 * "WHY: refused" when it does not fit or holds a NUL. */
static int
next_name(struct rd *r, const void *name, size_t n, const char *why)
{
	if (n >= TAR_NAME_MAX || memchr(name, '\0', n)) {
		snprintf(r->err, ERRLEN, "%s: refused", why);
		return -1;
	}
	memcpy(r->next_name, name, n);
	r->next_name[n] = '\0';
	r->has_next_name = 1;
	return 0;
}

static int
parse_pax(struct rd *r, const unsigned char *p, size_t len, int global)
{
	size_t pos = 0;

	while (pos < len) {
		size_t reclen = 0, i = pos, klen;
		const char *key, *val, *eq;

		while (i < len && p[i] >= '0' && p[i] <= '9' && reclen < PAX_MAX)
			reclen = reclen * 10 + (size_t)(p[i++] - '0');
		if (i >= len || p[i] != ' ' || reclen < 5 || reclen > len - pos || p[pos + reclen - 1] != '\n') {
			if (all_zero(p + pos, len - pos))
				return 0;
			snprintf(r->err, ERRLEN, "a malformed pax header: refused");
			return -1;
		}
		key = (const char *)p + i + 1;
		eq = memchr(key, '=', (size_t)((const char *)p + pos + reclen - 1 - key));
		if (!eq) {
			snprintf(r->err, ERRLEN, "a malformed pax record: refused");
			return -1;
		}
		klen = (size_t)(eq - key);
		val = eq + 1;
		if (klen >= 10 && strncmp(key, "GNU.sparse", 10) == 0) {
			snprintf(r->err, ERRLEN, "a sparse file entry: refused");
			return -1;
		}
		if (!global && klen == 4 && strncmp(key, "path", 4) == 0) {
			size_t vlen = (size_t)((const char *)p + pos + reclen - 1 - val);
			if (next_name(r, val, vlen, "a pax path that is too long or holds a NUL") < 0)
				return -1;
		} else if (!global && klen == 4 && strncmp(key, "size", 4) == 0) {
			uint64_t v = 0;
			const char *q;
			for (q = val; *q >= '0' && *q <= '9' && v < ((uint64_t)1 << 60); q++)
				v = v * 10 + (uint64_t)(*q - '0');
			if (*q != '\n' || v > r->lim->max_entry) {
				snprintf(r->err, ERRLEN, "an entry of %llu bytes (pax size), past the limit of %zu: refused",
				    (unsigned long long)v, r->lim->max_entry);
				return -1;
			}
			r->next_size = (int64_t)v;
		}
		pos += reclen;
	}
	return 0;
}

/*
 * Look at the header at p (BLOCK bytes available). Sets *need to the bytes
 * the whole entry takes (header + padded data). 0 ok, -1 refused.
 */
static int
header_check(struct rd *r, const unsigned char *h, uint64_t *size, uint64_t *need)
{
	char type = (char)h[156];
	char nm[101], sb[4 * SHOWN_MAX + 8];
	uint64_t sz;

	field_str(nm, h, 100);
	if (!checksum_ok(h)) {
		if (!r->a->n)
			snprintf(r->err, ERRLEN, "not a tar archive (it starts with '%s'): give a file 'xwpf export' "
			    "wrote, or an xwPF or realm backup", shown(nm, sb, sizeof(sb)));
		else
			snprintf(r->err, ERRLEN, "a tar header with a bad checksum (entry '%s'): the archive is "
			    "damaged", shown(nm, sb, sizeof(sb)));
		return -1;
	}
	if (num_field(h + 124, 12, &sz) < 0) {
		snprintf(r->err, ERRLEN, "entry '%s' has an unreadable size: refused", shown(nm, sb, sizeof(sb)));
		return -1;
	}
	switch (type) {
	case '0': case '\0': case '7': case '5': case 'x': case 'g': case 'L':
		break;
	case '1':
		snprintf(r->err, ERRLEN, "entry '%s' is a hard link: links are refused", shown(nm, sb, sizeof(sb)));
		return -1;
	case '2': case 'K':
		snprintf(r->err, ERRLEN, "entry '%s' is a symbolic link: links are refused", shown(nm, sb, sizeof(sb)));
		return -1;
	case '3': case '4':
		snprintf(r->err, ERRLEN, "entry '%s' is a device node: refused", shown(nm, sb, sizeof(sb)));
		return -1;
	case '6':
		snprintf(r->err, ERRLEN, "entry '%s' is a fifo: refused", shown(nm, sb, sizeof(sb)));
		return -1;
	case 'S':
		snprintf(r->err, ERRLEN, "entry '%s' is a sparse file: refused", shown(nm, sb, sizeof(sb)));
		return -1;
	default:
		snprintf(r->err, ERRLEN, "entry '%s' has the unknown type '%c': refused", shown(nm, sb, sizeof(sb)),
		    type >= 0x20 && type < 0x7f ? type : '?');
		return -1;
	}
	if (type == '5')
		sz = 0;
	if ((type == 'x' || type == 'g' || type == 'L') && sz > PAX_MAX) {
		snprintf(r->err, ERRLEN, "an extended header of %llu bytes: refused", (unsigned long long)sz);
		return -1;
	}
	if (r->next_size >= 0 && type != 'x' && type != 'g' && type != 'L')
		sz = (uint64_t)r->next_size;
	if (sz > r->lim->max_entry) {
		snprintf(r->err, ERRLEN, "entry '%s' holds %llu bytes, past the limit of %zu: refused",
		    shown(r->has_next_name ? r->next_name : nm, sb, sizeof(sb)), (unsigned long long)sz, r->lim->max_entry);
		return -1;
	}
	*size = sz;
	*need = BLOCK + (sz + BLOCK - 1) / BLOCK * BLOCK;
	return 0;
}

static int
header_take(struct rd *r, const unsigned char *h, const unsigned char *data, uint64_t size)
{
	char type = (char)h[156], name[TAR_NAME_MAX], nm[101], prefix[156];
	uint64_t mode = 0, mtime = 0;
	int rc;

	if (type == 'x' || type == 'g')
		return parse_pax(r, data, (size_t)size, type == 'g');
	if (type == 'L') {
		size_t n = (size_t)size;
		while (n && data[n - 1] == '\0')
			n--;
		return next_name(r, data, n, "a long name that is too long");
	}
	field_str(nm, h, 100);
	if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) {
		field_str(prefix, h + 345, 155);
		snprintf(name, sizeof(name), "%s/%s", prefix, nm);
	} else
		snprintf(name, sizeof(name), "%s", nm);
	if (r->has_next_name)
		snprintf(name, sizeof(name), "%s", r->next_name);
	num_field(h + 100, 8, &mode);
	num_field(h + 136, 12, &mtime);
	rc = add_entry(r, name, type == '5' ? '5' : '0', (unsigned)mode, (int64_t)mtime, data, (size_t)size);
	r->has_next_name = 0;
	r->next_size = -1;
	return rc;
}

/* Parse what is complete in t[*pos, len); stops at a partial entry. */
static int
parse_some(struct rd *r, const unsigned char *t, size_t len, size_t *pos)
{
	uint64_t size, need;

	while (!r->ended && len - *pos >= BLOCK) {
		const unsigned char *h = t + *pos;

		if (all_zero(h, BLOCK)) {
			r->ended = 1;
			return 0;
		}
		if (header_check(r, h, &size, &need) < 0)
			return -1;
		if (len - *pos < need)
			return 0;   /* wait for more */
		if (header_take(r, h, h + BLOCK, size) < 0)
			return -1;
		*pos += (size_t)need;
	}
	return 0;
}

static int
is_gzip(const unsigned char *p, size_t len)
{
	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int
read_archive(const void *buf, size_t len, const struct tar_limits *lim, struct tar_archive *a, char *err)
{
	const unsigned char *in = buf;
	struct rd r;
	z_stream z;
	unsigned char *t = NULL, *nt;
	size_t tlen = 0, tcap = 0, pos = 0, consumed;
	int zrc = Z_OK, zinit = 0, rc = -1;

	memset(a, 0, sizeof(*a));
	memset(&r, 0, sizeof(r));
	r.lim = lim;
	r.a = a;
	r.err = err;
	r.next_size = -1;

	if (!is_gzip(in, len)) {
		if (len >= BLOCK && memcmp(in + 257, "ustar", 5) == 0) {   /* a plain tar */
			if (len > lim->max_total) {
				snprintf(err, ERRLEN, "the archive holds more than %llu bytes: refused",
				    (unsigned long long)lim->max_total);
				goto out;
			}
			if (parse_some(&r, in, len, &pos) < 0)
				goto out;
			if (!r.ended) {
				snprintf(err, ERRLEN, "the archive is truncated (it ends inside an entry or has no end "
				    "marker)");
				goto out;
			}
			a->inflated = len;
			rc = 0;
			goto out;
		}
		snprintf(err, ERRLEN, "not a .tar.gz archive (no gzip signature)");
		goto out;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		snprintf(err, ERRLEN, "cannot start zlib");
		goto out;
	}
	zinit = 1;
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (unsigned)len;
	for (;;) {
		if (tcap - tlen < CHUNK) {
			size_t ncap = tcap ? tcap * 2 : 4 * CHUNK;
			if (ncap > lim->max_total + CHUNK)
				ncap = (size_t)lim->max_total + CHUNK;
			if (ncap <= tcap) {
				snprintf(err, ERRLEN, "the archive inflates past %llu bytes: refused (a gzip bomb?)",
				    (unsigned long long)lim->max_total);
				goto out;
			}
			if (!(nt = realloc(t, ncap))) {
				snprintf(err, ERRLEN, "out of memory");
				goto out;
			}
			t = nt;
			tcap = ncap;
		}
		z.next_out = t + tlen;
		z.avail_out = (unsigned)(tcap - tlen < CHUNK ? tcap - tlen : CHUNK);
		zrc = inflate(&z, Z_NO_FLUSH);
		tlen = (size_t)(z.next_out - t);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
			snprintf(err, ERRLEN, "the gzip data is damaged (%s)", z.msg ? z.msg : "inflate error");
			goto out;
		}
		if (tlen > lim->max_total) {
			snprintf(err, ERRLEN, "the archive inflates past %llu bytes: refused (a gzip bomb?)",
			    (unsigned long long)lim->max_total);
			goto out;
		}
		consumed = (size_t)(z.next_in - in);
		if (tlen > RATIO_FLOOR && tlen / (consumed ? consumed : 1) > lim->max_ratio) {
			snprintf(err, ERRLEN, "the archive inflates %zu times its size: refused as a gzip bomb",
			    tlen / (consumed ? consumed : 1));
			goto out;
		}
		if (parse_some(&r, t, tlen, &pos) < 0)
			goto out;
		if (zrc == Z_STREAM_END) {
			size_t used = (size_t)(z.next_in - in);
			if (used < len && is_gzip(in + used, len - used)) {   /* another member */
				inflateReset(&z);
				continue;
			}
			if (used < len && !all_zero(in + used, len - used)) {
				snprintf(err, ERRLEN, "junk after the gzip data: refused");
				goto out;
			}
			break;
		}
		if (zrc == Z_BUF_ERROR && z.avail_in == 0) {
			snprintf(err, ERRLEN, "the archive is truncated (the gzip stream ends early)");
			goto out;
		}
	}
	if (!r.ended) {
		snprintf(err, ERRLEN, "the archive is truncated (it ends inside an entry or has no end marker)");
		goto out;
	}
	a->inflated = tlen;
	rc = 0;
out:
	if (zinit)
		inflateEnd(&z);
	free(t);
	if (rc < 0)
		tar_free(a);
	return rc;
}

int
tar_read(const void *buf, size_t len, const struct tar_limits *lim, struct tar_archive *a, char *err)
{
	if (read_archive(buf, len, lim, a, err) == 0)
		return 0;
	text_escape_inplace(err, ERRLEN);   /* messages quote entry names as the archive has them */
	return -1;
}

void
tar_free(struct tar_archive *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].data);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

const struct tar_entry *
tar_find(const struct tar_archive *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* writing */

static void
put_octal(unsigned char *f, size_t n, uint64_t v)
{
	/* n-1 octal digits, zero padded, NUL terminated */
	size_t i = n - 1;

	f[i] = '\0';
	while (i > 0) {
		f[--i] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
}

int
tar_header(unsigned char h[BLOCK], const char *name, char type, unsigned mode, uint64_t size,
    int64_t mtime, char *err)
{
	size_t n = strlen(name), i, split = 0;
	unsigned sum = 0;

	memset(h, 0, BLOCK);
	if (!tar_name_safe(name)) {
		snprintf(err, ERRLEN, "'%s' is not a safe archive name", name);
		return -1;
	}
	if (n <= 100)
		memcpy(h, name, n);
	else {
		for (i = n - 1; i > 0; i--)   /* the last '/' that leaves <= 100 for the name */
			if (name[i] == '/' && n - i - 1 <= 100 && i <= 155) {
				split = i;
				break;
			}
		if (!split) {
			snprintf(err, ERRLEN, "archive name too long: %s", name);
			return -1;
		}
		memcpy(h + 345, name, split);
		memcpy(h, name + split + 1, n - split - 1);
	}
	if (size >= (uint64_t)1 << 33) {
		snprintf(err, ERRLEN, "%s is too large for a ustar entry", name);
		return -1;
	}
	put_octal(h + 100, 8, mode & 07777);
	put_octal(h + 108, 8, 0);
	put_octal(h + 116, 8, 0);
	put_octal(h + 124, 12, size);
	put_octal(h + 136, 12, mtime < 0 ? 0 : (uint64_t)mtime);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	memset(h + 148, ' ', 8);
	for (i = 0; i < BLOCK; i++)
		sum += h[i];
	put_octal(h + 148, 7, sum);
	h[155] = ' ';
	return 0;
}

static int
w_append(struct tar_writer *w, const void *p, size_t n, char *err)
{
	if (w->cap - w->len < n) {
		size_t cap = w->cap ? w->cap : 16384;
		unsigned char *nb;

		while (cap - w->len < n)
			cap *= 2;
		if (!(nb = realloc(w->buf, cap))) {
			snprintf(err, ERRLEN, "out of memory");
			return -1;
		}
		w->buf = nb;
		w->cap = cap;
	}
	if (p)
		memcpy(w->buf + w->len, p, n);
	else
		memset(w->buf + w->len, 0, n);
	w->len += n;
	return 0;
}

int
tar_add_file(struct tar_writer *w, const char *name, unsigned mode, int64_t mtime,
    const void *data, size_t len, char *err)
{
	unsigned char h[BLOCK];

	if (tar_header(h, name, '0', mode, len, mtime, err) < 0)
		return -1;
	if (w_append(w, h, BLOCK, err) < 0 || w_append(w, data, len, err) < 0)
		return -1;
	return len % BLOCK ? w_append(w, NULL, BLOCK - len % BLOCK, err) : 0;
}

int
tar_add_dir(struct tar_writer *w, const char *name, unsigned mode, int64_t mtime, char *err)
{
	unsigned char h[BLOCK];
	char nm[TAR_NAME_MAX];

	if ((size_t)snprintf(nm, sizeof(nm), "%s/", name) >= sizeof(nm)) {
		snprintf(err, ERRLEN, "archive name too long: %s", name);
		return -1;
	}
	if (tar_header(h, nm, '5', mode, 0, mtime, err) < 0)
		return -1;
	return w_append(w, h, BLOCK, err);
}

int
tar_finish_gz(struct tar_writer *w, unsigned char **out, size_t *outlen, char *err)
{
	z_stream z;
	unsigned char *o;
	uLong bound;
	int zrc;

	*out = NULL;
	if (w_append(w, NULL, 2 * BLOCK, err) < 0)
		goto fail;
	if (w->len % RECORD && w_append(w, NULL, RECORD - w->len % RECORD, err) < 0)
		goto fail;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, ERRLEN, "cannot start zlib");
		goto fail;
	}
	bound = deflateBound(&z, (uLong)w->len) + 64;
	if (!(o = malloc(bound))) {
		deflateEnd(&z);
		snprintf(err, ERRLEN, "out of memory");
		goto fail;
	}
	z.next_in = w->buf;
	z.avail_in = (unsigned)w->len;
	z.next_out = o;
	z.avail_out = (unsigned)bound;
	zrc = deflate(&z, Z_FINISH);
	if (zrc != Z_STREAM_END) {
		deflateEnd(&z);
		free(o);
		snprintf(err, ERRLEN, "gzip failed (%d)", zrc);
		goto fail;
	}
	*outlen = z.total_out;
	*out = o;
	deflateEnd(&z);
	tar_writer_free(w);
	return 0;
fail:
	tar_writer_free(w);
	return -1;
}

void
tar_writer_free(struct tar_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
