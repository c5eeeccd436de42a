/*
 * The files of one setup: collect, manifest, verify, back up, restore (bundle.h).
 */
#include "bundle.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bearssl_hash.h>

#include "healthstate.h"
#include "mptcp_kernel.h"
#include "paths.h"
#include "pidlock.h"
#include "store.h"
#include "text.h"
#include "transport.h"
#include "util.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

#define FILE_MAX (16u << 20)
#define TLS_DEPTH 3
#define MAX_FILES 1024
#define BACKUPS_KEPT 10   /* older backups are removed after a new one is made */

void
bundle_free(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].data);
	free(b->v);
	for (i = 0; i < b->nwarnings; i++)
		free(b->warnings[i]);
	free(b->warnings);
	memset(b, 0, sizeof(*b));
}

static void __attribute__((format(printf, 2, 3)))
warn(struct bundle *b, const char *fmt, ...)
{
	char buf[512], **nv;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_escape_inplace(buf, sizeof(buf));   /* it may quote an archive's file */
	if (b->nwarnings >= 100 || !(nv = realloc(b->warnings, (b->nwarnings + 1) * sizeof(*nv))))
		return;
	b->warnings = nv;
	if ((nv[b->nwarnings] = strdup(buf)) != NULL)
		b->nwarnings++;
}

int
bundle_add(struct bundle *b, const char *rel, unsigned mode, const void *data, size_t len, char *err)
{
	struct bundle_file *nv, *f;

	if (b->n >= MAX_FILES) {
		snprintf(err, ERRLEN, "more than %d files", MAX_FILES);
		return -1;
	}
	if (bundle_find(b, rel)) {
		snprintf(err, ERRLEN, "%s is listed twice", rel);
		return -1;
	}
	if (!(nv = realloc(b->v, (b->n + 1) * sizeof(*nv))))
		goto oom;
	b->v = nv;
	f = &nv[b->n];
	memset(f, 0, sizeof(*f));
	if (str_copy(f->rel, sizeof(f->rel), rel) < 0) {
		snprintf(err, ERRLEN, "path too long: %s", rel);
		return -1;
	}
	f->mode = mode & 07777;
	f->len = len;
	if (!(f->data = malloc(len + 1)))
		goto oom;
	if (len)
		memcpy(f->data, data, len);
	f->data[len] = '\0';
	b->n++;
	return 0;
oom:
	snprintf(err, ERRLEN, "out of memory");
	return -1;
}

const struct bundle_file *
bundle_find(const struct bundle *b, const char *rel)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i].rel, rel) == 0)
			return &b->v[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* names */

const char *
bundle_path(const char *rel, char *buf, size_t size)
{
	const char *root = path_get(PATH_ROOT);

	snprintf(buf, size, "%s/%s", strcmp(root, "/") == 0 ? "" : root, rel);
	return buf;
}

int
bundle_rel(const char *abs, char *rel, size_t size)
{
	const char *root = path_get(PATH_ROOT);
	size_t n = strcmp(root, "/") == 0 ? 0 : strlen(root);

	if (strncmp(abs, root, n) != 0 || abs[n] != '/')
		return -1;
	return str_copy(rel, size, abs + n + 1);
}

static const char *
rel_cached(char *buf, size_t size, const char *abs)
{
	if (bundle_rel(abs, buf, size) < 0)
		snprintf(buf, size, "%s", abs[0] == '/' ? abs + 1 : abs);
	return buf;
}

const char *
bundle_rel_store(void)
{
	static char b[BUNDLE_REL_MAX];
	return rel_cached(b, sizeof(b), path_get(PATH_CONF));
}

const char *
bundle_rel_health(void)
{
	static char b[BUNDLE_REL_MAX];
	return rel_cached(b, sizeof(b), path_get(PATH_HEALTH));
}

const char *
bundle_rel_tls(void)
{
	static char b[BUNDLE_REL_MAX];
	return rel_cached(b, sizeof(b), path_get(PATH_TLS_DIR));
}

const char *
bundle_rel_sysctl(void)
{
	return &MPTCP_SYSCTL_FILE[1];   /* without the leading slash */
}

/* a/b/c with plain components: letters, digits, '.', '_', '-', not starting with '.' */
static int
plain_subpath(const char *s, int depth)
{
	int comps = 0, start = 1;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s == '/') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (start) {
			if (*s == '.' || ++comps > depth)
				return 0;
			start = 0;
		}
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return 0;
	}
	return !start;
}

int
bundle_allowed(const char *rel)
{
	const char *tls = bundle_rel_tls();
	size_t n = strlen(tls);

	if (strcmp(rel, bundle_rel_store()) == 0 || strcmp(rel, bundle_rel_health()) == 0 ||
	    strcmp(rel, bundle_rel_sysctl()) == 0)
		return 1;
	return strncmp(rel, tls, n) == 0 && rel[n] == '/' && plain_subpath(rel + n + 1, TLS_DEPTH);
}

int
bundle_is_key(const char *rel, const unsigned char *data, size_t len)
{
	const char *base = strrchr(rel, '/');
	static const char marker[] = "PRIVATE KEY";

	base = base ? base + 1 : rel;
	if (strstr(base, "key") || strstr(base, "KEY"))
		return 1;
	return data && len >= sizeof(marker) - 1 && memmem(data, len, marker, sizeof(marker) - 1) != NULL;
}

void
bundle_sha256_hex(const void *p, size_t n, char out[65])
{
	br_sha256_context c;
	unsigned char h[32];
	size_t i;

	br_sha256_init(&c);
	br_sha256_update(&c, p, n);
	br_sha256_out(&c, h);
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
	out[64] = '\0';
}

/* ------------------------------------------------------------------ */
/* collecting */

/* Read one regular file (not following a symlink). 0 ok, 1 absent, -1 error. */
static int
read_regular(const char *path, unsigned char **data, size_t *len, unsigned *mode, char *err)
{
	struct stat st;
	char *buf;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, ERRLEN, "%s is not a regular file", path);
		return -1;
	}
	if ((uint64_t)st.st_size > FILE_MAX) {
		snprintf(err, ERRLEN, "%s is larger than %u bytes", path, FILE_MAX);
		return -1;
	}
	if (!(buf = file_read(path, len))) {
		snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	*data = (unsigned char *)buf;
	*mode = st.st_mode & 07777;
	return 0;
}

static int
collect_one(struct bundle *b, const char *rel, char *err)
{
	char path[PATH_MAX];
	unsigned char *data;
	size_t len;
	unsigned mode;
	int rc;

	rc = read_regular(bundle_path(rel, path, sizeof(path)), &data, &len, &mode, err);
	if (rc)
		return rc < 0 ? -1 : 0;
	rc = bundle_add(b, rel, mode, data, len, err);
	free(data);
	return rc;
}

static int
collect_dir(struct bundle *b, const char *rel, int depth, char *err)
{
	char path[PATH_MAX], sub[BUNDLE_REL_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (!(d = opendir(bundle_path(rel, path, sizeof(path))))) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;   /* ".", "..", and hidden temporaries */
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= sizeof(sub)) {
			warn(b, "skipped %s/%s: the name is too long", rel, de->d_name);
			continue;
		}
		if (!bundle_allowed(sub) && depth < TLS_DEPTH) {
			warn(b, "skipped %s: not a plain file name", sub);
			continue;
		}
		if (lstat(bundle_path(sub, path, sizeof(path)), &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= TLS_DEPTH)
				warn(b, "skipped %s: nested too deep", sub);
			else
				rc = collect_dir(b, sub, depth + 1, err);
		} else if (S_ISREG(st.st_mode))
			rc = collect_one(b, sub, err);
		else
			warn(b, "skipped %s: not a regular file (links are not exported)", sub);
	}
	closedir(d);
	return rc;
}

int
bundle_collect(struct bundle *b, char *err)
{
	if (collect_one(b, bundle_rel_store(), err) < 0 || collect_one(b, bundle_rel_health(), err) < 0 ||
	    collect_dir(b, bundle_rel_tls(), 0, err) < 0 || collect_one(b, bundle_rel_sysctl(), err) < 0)
		return -1;
	return 0;
}

/* ---- certificates and keys that rules name outside the TLS folder ---- */

#define EXT_DIR "files"   /* under the TLS folder: relative cert=/key= paths land here */

struct ext_file {
	char src[256];
	char name[96];
	int packed;
};

struct ext_ctx {
	struct bundle *b;
	struct ext_file *v;
	size_t n;
};

/* The archive name of src: its base name made plain, unique within the
 * export (a second file of the same base name, or a name the TLS folder's
 * files/ already has, gets 2-, 3-...). */
static struct ext_file *
ext_name(struct ext_ctx *x, const char *src)
{
	const char *base = strrchr(src, '/');
	char plain[64];
	struct ext_file *nv;
	size_t i, k = 0;
	int tries;

	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].src, src) == 0)
			return &x->v[i];
	if (!(nv = realloc(x->v, (x->n + 1) * sizeof(*nv))))
		return NULL;
	x->v = nv;
	for (base = base ? base + 1 : src; *base && k < sizeof(plain) - 1; base++)
		plain[k++] = isalnum((unsigned char)*base) || *base == '.' || *base == '_' || *base == '-' ? *base : '_';
	plain[k] = '\0';
	if (!k || plain[0] == '.')
		plain[0] = '_';
	if (!k)
		snprintf(plain, sizeof(plain), "file");
	for (tries = 1;; tries++) {
		char cand[96];
		if (tries == 1)
			snprintf(cand, sizeof(cand), "%s", plain);
		else
			snprintf(cand, sizeof(cand), "%d-%s", tries, plain);
		char rel[BUNDLE_REL_MAX];

		for (i = 0; i < x->n && strcmp(x->v[i].name, cand) != 0; i++)
			;
		snprintf(rel, sizeof(rel), "%s/%s/%s", bundle_rel_tls(), EXT_DIR, cand);
		if (i == x->n && !bundle_find(x->b, rel)) {
			snprintf(nv[x->n].name, sizeof(nv[0].name), "%s", cand);
			break;
		}
	}
	snprintf(nv[x->n].src, sizeof(nv[0].src), "%s", src);
	nv[x->n].packed = 0;
	return &nv[x->n++];
}

/* One transport string: every cert=/key=/ocsp= outside the TLS folder is
 * packed and the item rewritten to its relative name. 1 rewritten into
 * out, 0 nothing to change, -1 error (err). */
static int
ext_transport(struct ext_ctx *x, const char *rule, const char *ts, char *out, size_t size, char *err)
{
	char copy[STORE_TRANSPORT_MAX], *item, *save = NULL, tls[PATH_MAX], e2[ERRLEN];
	size_t tlen, o = 0;
	int changed = 0;

	snprintf(tls, sizeof(tls), "%s/", path_get(PATH_TLS_DIR));
	tlen = strlen(tls);
	if (str_copy(copy, sizeof(copy), ts) < 0)
		return 0;
	*out = '\0';
	for (item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '='), k[16] = "", vb[STORE_TRANSPORT_MAX], pb[PATH_MAX];
		const char *path = NULL;
		int n;

		if (eq && eq - item < (ptrdiff_t)sizeof(k)) {
			char kb[sizeof(k)];
			snprintf(kb, sizeof(kb), "%.*s", (int)(eq - item), item);
			snprintf(k, sizeof(k), "%s", str_trim(kb));
			snprintf(vb, sizeof(vb), "%s", eq + 1);
		}
		/* the file this item opens, as the relay resolves it */
		if (!strcmp(k, "cert") || !strcmp(k, "key") || !strcmp(k, "ocsp"))
			path = transport_file_path(str_trim(vb), pb, sizeof(pb));
		if (path && *path && strncmp(path, tls, tlen) != 0) {
			struct ext_file *f = ext_name(x, path);
			char rel[BUNDLE_REL_MAX];
			unsigned char *data;
			size_t len;
			unsigned mode;
			int rc;

			if (!f) {
				snprintf(err, ERRLEN, "out of memory");
				return -1;
			}
			snprintf(rel, sizeof(rel), "%s/%s/%s", bundle_rel_tls(), EXT_DIR, f->name);
			if (!f->packed) {   /* an unreadable file is tried (and warned of) for each rule */
				rc = read_regular(path, &data, &len, &mode, e2);
				if (rc) {
					warn(x->b, "rule %s: %s=%s is not in the archive: %s", rule, k, path,
					    rc > 0 ? "no such file" : e2);
					path = NULL;
				} else {
					if (!strcmp(k, "key") || bundle_is_key(rel, data, len))
						mode &= 0600;
					rc = bundle_add(x->b, rel, mode, data, len, err);
					free(data);
					if (rc < 0)
						return -1;
					f->packed = 1;
				}
			}
			if (path) {
				n = snprintf(out + o, size - o, "%s%s=%s/%s", o ? ";" : "", k, EXT_DIR, f->name);
				changed = 1;
				goto next;
			}
		}
		n = snprintf(out + o, size - o, "%s%s", o ? ";" : "", item);
next:
		if (n < 0 || (size_t)n >= size - o)
			return 0;   /* would not fit: leave the store's text as it is */
		o += (size_t)n;
	}
	return changed;
}

int
bundle_pack_external(struct bundle *b, char *err)
{
	const struct bundle_file *f = bundle_find(b, bundle_rel_store());
	struct ext_ctx x = { b, NULL, 0 };
	struct store st = { 0 };
	struct store_diags d = { 0 };
	struct store_txn t = { .lockfd = -1 };
	size_t i, si;
	int rc = -1;

	if (!f)
		return 0;
	si = (size_t)(f - b->v);
	if (store_parse_text((const char *)f->data, bundle_rel_store(), &st, &d) < 0) {
		store_free(&st);
		store_diags_free(&d);
		return 0;   /* exported as it is; import says what is wrong with it */
	}
	if (!(t.text = strdup((const char *)f->data))) {
		snprintf(err, ERRLEN, "out of memory");
		goto out;
	}
	for (i = 0; i < st.nrules; i++) {
		const struct store_rule *r = &st.rules[i];
		static const char *const keys[2] = { "listen_transport", "remote_transport" };
		const char *vals[2] = { r->listen_transport, r->remote_transport };
		char sect[STORE_NAME_MAX + 8], nv[STORE_TRANSPORT_MAX];
		int side, c;

		snprintf(sect, sizeof(sect), "rule %s", r->name);
		for (side = 0; side < 2; side++) {
			const char *v = nv;

			if (!vals[side] || !*vals[side])
				continue;
			c = ext_transport(&x, r->name, vals[side], nv, sizeof(nv), err);
			if (c < 0 || (c > 0 && store_edit_set(&t, sect, keys[side], &v, 1, err) < 0))
				goto out;
		}
	}
	if (x.n) {   /* the archive's store names the packed copies */
		struct bundle_file *sf = &b->v[si];   /* not f: b->v moves as files are added */
		size_t len = strlen(t.text);
		unsigned char *nd = malloc(len + 1);

		if (!nd) {
			snprintf(err, ERRLEN, "out of memory");
			goto out;
		}
		memcpy(nd, t.text, len + 1);
		free(sf->data);
		sf->data = nd;
		sf->len = len;
	}
	rc = 0;
out:
	free(x.v);
	store_end(&t);
	store_free(&st);
	store_diags_free(&d);
	return rc;
}

char *
bundle_manifest(const struct bundle *b, const char *host, time_t t)
{
	size_t cap = 512 + b->n * (BUNDLE_REL_MAX + 128), n = 0, i;
	char *s = malloc(cap), stamp[64], sum[65];
	struct tm tm;

	if (!s)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n += (size_t)snprintf(s + n, cap - n, "xwpf-export %d\nversion %s\nhost %s\ntime %s\n",
	    BUNDLE_FORMAT, XWPF_VERSION, host, stamp);
	for (i = 0; i < b->n; i++) {
		bundle_sha256_hex(b->v[i].data, b->v[i].len, sum);
		n += (size_t)snprintf(s + n, cap - n, "file %s %04o %zu %s\n", sum, b->v[i].mode, b->v[i].len,
		    b->v[i].rel);
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* an archive's manifest */

int
bundle_from_archive(const struct tar_archive *a, struct bundle *b, char *err)
{
	const struct tar_entry *man = tar_find(a, BUNDLE_DIR "/MANIFEST");
	char *text, *line, *save = NULL, name[BUNDLE_REL_MAX + 16];
	size_t i, prefix = strlen(BUNDLE_DIR) + 1;
	int ln = 0, rc = -1;

	memset(b, 0, sizeof(*b));
	if (!man) {
		snprintf(err, ERRLEN, "no %s/MANIFEST: not an xwpf export", BUNDLE_DIR);
		return -1;
	}
	if (man->type != '0') {   /* a directory or link has no text to read */
		snprintf(err, ERRLEN, "%s/MANIFEST is not a regular file: not a valid xwpf export", BUNDLE_DIR);
		return -1;
	}
	if (!(text = strndup((const char *)man->data, man->size))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char sum[80], rel[BUNDLE_REL_MAX + 1], got[65];
		unsigned mode;
		size_t size;
		const struct tar_entry *e;

		ln++;
		if (ln == 1) {
			if (sscanf(line, "xwpf-export %d", &b->format) != 1 || b->format < 1) {
				snprintf(err, ERRLEN, "MANIFEST: the first line is not 'xwpf-export N'");
				goto out;
			}
			if (b->format > BUNDLE_FORMAT) {
				snprintf(err, ERRLEN, "the archive has format %d, newer than this xwpf reads (%d): "
				    "import it with a newer xwpf", b->format, BUNDLE_FORMAT);
				goto out;
			}
			continue;
		}
		if (strncmp(line, "version ", 8) == 0) {
			text_escape(line + 8, b->version, sizeof(b->version));   /* it is printed */
			continue;
		}
		if (strncmp(line, "host ", 5) == 0) {
			text_escape(line + 5, b->host, sizeof(b->host));   /* it is printed */
			continue;
		}
		if (strncmp(line, "time ", 5) == 0) {
			text_escape(line + 5, b->time, sizeof(b->time));   /* it is printed */
			continue;
		}
		if (strncmp(line, "file ", 5) != 0 || sscanf(line, "file %79s %o %zu %256s", sum, &mode, &size, rel) != 4 ||
		    strlen(sum) != 64 || strlen(rel) >= BUNDLE_REL_MAX || !tar_name_safe(rel)) {
			snprintf(err, ERRLEN, "MANIFEST line %d is not 'file SHA256 MODE SIZE PATH'", ln);
			goto out;
		}
		snprintf(name, sizeof(name), "%s/%s", BUNDLE_DIR, rel);
		e = tar_find(a, name);
		if (!e || e->type != '0') {
			snprintf(err, ERRLEN, "the manifest lists %s but the archive does not hold it", rel);
			goto out;
		}
		bundle_sha256_hex(e->data, e->size, got);
		if (e->size != size || strcasecmp(got, sum) != 0) {
			snprintf(err, ERRLEN, "%s does not match its SHA-256 in the manifest: the archive was "
			    "changed or damaged", rel);
			goto out;
		}
		if (bundle_add(b, rel, mode, e->data, e->size, err) < 0)
			goto out;
	}
	if (!b->format) {
		snprintf(err, ERRLEN, "MANIFEST is empty");
		goto out;
	}
	for (i = 0; i < a->n; i++) {
		const struct tar_entry *e = &a->v[i];

		if (e->type != '0' || strcmp(e->name, BUNDLE_DIR "/MANIFEST") == 0)
			continue;
		if (strncmp(e->name, BUNDLE_DIR "/", prefix) != 0 || !bundle_find(b, e->name + prefix)) {
			snprintf(err, ERRLEN, "%s is not listed in the manifest: refused", e->name);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	if (rc < 0)
		bundle_free(b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* writing, backups, undo */

static void
drop_file(struct bundle *b, size_t i)
{
	free(b->v[i].data);
	memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof(*b->v));
	b->n--;
}

static int
replace_data(struct bundle_file *f, const char *text, size_t len, unsigned mode, char *err)
{
	unsigned char *d = malloc(len + 1);

	if (!d) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	memcpy(d, text, len);
	d[len] = '\0';
	free(f->data);
	f->data = d;
	f->len = len;
	f->mode = mode;
	return 0;
}

int
bundle_import_regen(struct bundle *b, const struct store *st, char *err)
{
	char path[PATH_MAX], text[600], e2[ERRLEN];
	size_t i = 0, len;

	while (i < b->n) {
		struct bundle_file *f = &b->v[i];

		bundle_path(f->rel, path, sizeof(path));
		if (strcmp(f->rel, bundle_rel_sysctl()) == 0) {
			if (st->mptcp.enabled < 0) {
				warn(b, "%s is not restored: it is written from the store's [mptcp] section, never "
				    "copied from an archive, and that section does not set enabled", path);
				drop_file(b, i);
				continue;
			}
			mptcp_sysctl_text(st->mptcp.enabled, text, sizeof(text));
			len = strlen(text);
			if (f->len != len || memcmp(f->data, text, len) != 0)
				warn(b, "%s is written from the store's [mptcp] section (enabled = %s) as 'xwpf mptcp "
				    "%s' writes it; the archive's copy differs and was not used", path,
				    st->mptcp.enabled ? "yes" : "no", st->mptcp.enabled ? "enable" : "disable");
			if (replace_data(f, text, len, 0644, err) < 0)
				return -1;
		} else if (strcmp(f->rel, bundle_rel_health()) == 0) {
			struct hc_state hs;
			char *canon;

			if (memchr(f->data, '\0', f->len)) {
				snprintf(e2, sizeof(e2), "it holds a NUL byte");
				goto bad_health;
			}
			if (hc_state_parse((const char *)f->data, &hs, e2) < 0)
				goto bad_health;
			canon = hc_state_format(&hs, &len);
			hc_state_free(&hs);
			if (!canon) {
				snprintf(err, ERRLEN, "out of memory");
				return -1;
			}
			if (replace_data(f, canon, len, 0644, err) < 0) {
				free(canon);
				return -1;
			}
			free(canon);
		}
		i++;
		continue;
bad_health:
		warn(b, "%s is not restored: the archive's copy is not xwpf health state (%s); the health "
		    "checks write it again", path, e2);
		drop_file(b, i);
	}
	return 0;
}

static int
write_one(const struct bundle_file *f, char *err)
{
	char path[PATH_MAX];
	unsigned mode = f->mode & 0644;

	if (!bundle_allowed(f->rel)) {
		snprintf(err, ERRLEN, "refusing to write %s", f->rel);
		return -1;
	}
	if (bundle_is_key(f->rel, f->data, f->len) || strcmp(f->rel, bundle_rel_store()) == 0)
		mode &= 0600;
	if (!(mode & 0600))
		mode |= 0600;
	bundle_path(f->rel, path, sizeof(path));
	if (path_dir_ready(path, err) < 0)   /* the tls folder and those in it: 0700 */
		return -1;
	return file_write_atomic_err(path, f->data, f->len, mode, err);
}

int
bundle_write(const struct bundle *b, char *err)
{
	const struct bundle_file *store = NULL;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->v[i].rel, bundle_rel_store()) == 0) {
			store = &b->v[i];
			continue;
		}
		if (write_one(&b->v[i], err) < 0)
			return -1;
	}
	return store ? write_one(store, err) : 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
backup_name_ok(const char *n);

/* by the time in the name; "NAME.undone" sorts as NAME */
static int
cmp_backup(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strcspn(x, "."), ly = strcspn(y, ".");
	int c = strncmp(x, y, lx < ly ? lx : ly);

	return c ? c : lx < ly ? -1 : lx > ly ? 1 : strcmp(x, y);
}

/* Keep the newest BACKUPS_KEPT backups (undone or not), and no staging
 * folder of a backup that was never finished; best effort, under the store
 * lock (no backup is being made). */
static void
prune_backups(void)
{
	char *names[256], path[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d = opendir(path_get(PATH_BACKUP_DIR));

	if (!d)
		return;
	while ((de = readdir(d)) != NULL && n < ARRAY_SIZE(names)) {
		char base[64];
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp.")) {   /* staged by an import that was killed */
			snprintf(path, sizeof(path), "%s/%s", path_get(PATH_BACKUP_DIR), de->d_name);
			nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
			continue;
		}

		snprintf(base, sizeof(base), "%s", de->d_name);
		if (l > 7 && strcmp(base + l - 7, ".undone") == 0)
			base[l - 7] = '\0';
		if (backup_name_ok(base) && (names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_backup);
	for (i = 0; i < n; i++) {
		if (i + BACKUPS_KEPT < n) {
			snprintf(path, sizeof(path), "%s/%s", path_get(PATH_BACKUP_DIR), names[i]);
			nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		}
		free(names[i]);
	}
}

int
bundle_backup(const char *const *rels, size_t n, char *dir_out, size_t size, char *err)
{
	char stamp[32], dir[PATH_MAX], tmp[PATH_MAX + 8], path[PATH_MAX], *index = NULL;
	size_t icap = 64 + n * (BUNDLE_REL_MAX + 32), il = 0, i;
	time_t t = time(NULL);
	struct tm tm;
	struct stat st;
	int k, top;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (dir_own(path_get(PATH_STATE_DIR), 0700, err) < 0 || dir_own(path_get(PATH_BACKUP_DIR), 0700, err) < 0)
		return -1;
	/* after the highest name of this second in use: a name freed by pruning
	 * is never taken again, so names keep sorting in the order made */
	top = 0;
	for (k = 1; k < 100; k++) {
		char undone[PATH_MAX + 8];

		if (k == 1)
			snprintf(dir, sizeof(dir), "%s/%s", path_get(PATH_BACKUP_DIR), stamp);
		else
			snprintf(dir, sizeof(dir), "%s/%s-%02d", path_get(PATH_BACKUP_DIR), stamp, k);
		snprintf(undone, sizeof(undone), "%s.undone", dir);
		if (stat(dir, &st) == 0 || stat(undone, &st) == 0)
			top = k;
	}
	k = top + 1;
	if (k >= 100) {
		snprintf(err, ERRLEN, "too many backups within one second in %s", path_get(PATH_BACKUP_DIR));
		return -1;
	}
	if (k == 1)
		snprintf(dir, sizeof(dir), "%s/%s", path_get(PATH_BACKUP_DIR), stamp);
	else
		snprintf(dir, sizeof(dir), "%s/%s-%02d", path_get(PATH_BACKUP_DIR), stamp, k);
	/* staged in a new folder of a name nobody can guess (0700, made by us:
	 * nothing in it was planted), renamed into place whole */
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.XXXXXX", path_get(PATH_BACKUP_DIR), stamp);
	if (!mkdtemp(tmp)) {
		snprintf(err, ERRLEN, "cannot create a folder in %s: %s", path_get(PATH_BACKUP_DIR), strerror(errno));
		return -1;
	}
	if (!(index = malloc(icap))) {
		snprintf(err, ERRLEN, "out of memory");
		goto fail;
	}
	il += (size_t)snprintf(index, icap, "xwpf-backup 1\n");
	for (i = 0; i < n; i++) {
		unsigned char *data;
		size_t len;
		unsigned mode;
		char dst[PATH_MAX * 2], d2[PATH_MAX * 2], *slash;
		int rc = read_regular(bundle_path(rels[i], path, sizeof(path)), &data, &len, &mode, err);

		if (rc < 0)
			goto fail;
		if (rc == 1) {
			il += (size_t)snprintf(index + il, icap - il, "absent %s\n", rels[i]);
			continue;
		}
		snprintf(dst, sizeof(dst), "%s/files/%s", tmp, rels[i]);
		snprintf(d2, sizeof(d2), "%s", dst);
		slash = strrchr(d2, '/');
		*slash = '\0';
		if (mkdir_p(d2, 0700) < 0) {
			snprintf(err, ERRLEN, "cannot create %s: %s", d2, strerror(errno));
			free(data);
			goto fail;
		}
		if (file_write_atomic_err(dst, data, len, 0600, err) < 0) {
			free(data);
			goto fail;
		}
		free(data);
		il += (size_t)snprintf(index + il, icap - il, "present %04o %s\n", mode, rels[i]);
	}
	snprintf(path, sizeof(path), "%s/INDEX", tmp);
	if (file_write_atomic_err(path, index, il, 0600, err) < 0)
		goto fail;
	if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0) {   /* never over another */
		snprintf(err, ERRLEN, "cannot move the backup %s to %s: %s", tmp, dir, strerror(errno));
		goto fail;
	}
	free(index);
	snprintf(dir_out, size, "%s", dir);
	prune_backups();
	return 0;
fail:
	free(index);
	nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return -1;
}

static int
backup_name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (len != 15 && len != 18)
		return 0;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 15) {
			if (n[i] != '-')
				return 0;
		} else if (!isdigit((unsigned char)n[i]))
			return 0;
	}
	return 1;
}

int
bundle_latest_backup(char *dir, size_t size)
{
	DIR *d = opendir(path_get(PATH_BACKUP_DIR));
	struct dirent *de;
	char best[64] = "";

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (backup_name_ok(de->d_name) && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	closedir(d);
	if (!*best) {
		errno = ENOENT;
		return -1;
	}
	snprintf(dir, size, "%s/%s", path_get(PATH_BACKUP_DIR), best);
	return 0;
}

int
bundle_backup_read(const char *dir, struct bundle *files, struct bundle *absent, char *err)
{
	char path[PATH_MAX * 2], *index, *line, *save = NULL;
	int ln = 0, rc = -1;

	memset(files, 0, sizeof(*files));
	memset(absent, 0, sizeof(*absent));
	snprintf(path, sizeof(path), "%s/INDEX", dir);
	if (!(index = file_read(path, NULL))) {
		snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	for (line = strtok_r(index, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char rel[BUNDLE_REL_MAX + 1];
		unsigned mode;

		if (++ln == 1) {
			if (strcmp(line, "xwpf-backup 1") != 0) {
				snprintf(err, ERRLEN, "%s is not an xwpf backup index", path);
				goto out;
			}
			continue;
		}
		if (sscanf(line, "absent %256s", rel) == 1 && bundle_allowed(rel)) {
			if (bundle_add(absent, rel, 0, "", 0, err) < 0)
				goto out;
		} else if (sscanf(line, "present %o %256s", &mode, rel) == 2 && bundle_allowed(rel)) {
			unsigned char *data;
			size_t len;
			unsigned m2;
			char p2[PATH_MAX * 2];
			int r;

			snprintf(p2, sizeof(p2), "%s/files/%s", dir, rel);
			if ((r = read_regular(p2, &data, &len, &m2, err)) != 0) {
				if (r > 0)
					snprintf(err, ERRLEN, "the backup lacks %s", p2);
				goto out;
			}
			r = bundle_add(files, rel, mode, data, len, err);
			free(data);
			if (r < 0)
				goto out;
		} else {
			snprintf(err, ERRLEN, "%s line %d is not understood", path, ln);
			goto out;
		}
	}
	rc = 0;
out:
	free(index);
	if (rc < 0) {
		bundle_free(files);
		bundle_free(absent);
	}
	return rc;
}

int
bundle_restore(const char *dir, char *err)
{
	struct bundle files, absent;
	char path[PATH_MAX], done[PATH_MAX + 8];
	size_t i;
	int rc = -1;

	if (bundle_backup_read(dir, &files, &absent, err) < 0)
		return -1;
	for (i = 0; i < absent.n; i++) {
		/* the store last: remove it only after everything else is back */
		if (strcmp(absent.v[i].rel, bundle_rel_store()) == 0)
			continue;
		if (unlink(bundle_path(absent.v[i].rel, path, sizeof(path))) < 0 && errno != ENOENT) {
			snprintf(err, ERRLEN, "cannot remove %s: %s", path, strerror(errno));
			goto out;
		}
	}
	if (bundle_write(&files, err) < 0)
		goto out;
	if (bundle_find(&absent, bundle_rel_store()) &&
	    unlink(bundle_path(bundle_rel_store(), path, sizeof(path))) < 0 && errno != ENOENT) {
		snprintf(err, ERRLEN, "cannot remove %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(done, sizeof(done), "%s.undone", dir);
	if (rename(dir, done) < 0) {
		snprintf(err, ERRLEN, "restored, but cannot mark %s as undone: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	bundle_free(&files);
	bundle_free(&absent);
	return rc;
}

/* ------------------------------------------------------------------ */

int
bundle_reload_relay(char *msg, size_t size)
{
	long pid;
	int rc = relay_signal(SIGHUP, &pid, msg, size);

	if (rc <= 0)
		return *msg ? -1 : 0;   /* no relay, or a stale pidfile (msg says which) */
	snprintf(msg, size, "the relay (pid %ld) reloads its rules", pid);
	return 1;
}
