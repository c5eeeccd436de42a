/*
 * Writing the store: a locked transaction over its text. Edits work line by
 * line, so comments and layout the user wrote survive; the whole new text is
 * validated by the parser before it replaces the file atomically.
 */
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "paths.h"
#include "pidlock.h"
#include "text.h"
#include "util.h"

/* Under the lock no write is in flight: temporary files left by a writer
 * that was killed (STORE.tmp.*, STORE.bak.tmp.*) can go. */
static void
remove_stale_tmp(const char *path)
{
	char bak[300];

	snprintf(bak, sizeof(bak), "%s.bak", path);
	file_tmp_cleanup(path);
	file_tmp_cleanup(bak);
}

int
store_begin(struct store_txn *t, const char *path, char *err)
{
	char lock[300], *slash;

	memset(t, 0, sizeof(*t));
	t->lockfd = -1;
	if (str_copy(t->path, sizeof(t->path), path) < 0) {
		snprintf(err, ERRLEN, "store path too long: %s", path);
		return -1;
	}
	if (path_dir_ready(path, err) < 0)
		return -1;
	slash = strrchr(path, '/');
	if (slash && slash != path)
		snprintf(lock, sizeof(lock), "%.*s/.%s.lock", (int)(slash - path), path, slash + 1);
	else
		snprintf(lock, sizeof(lock), "%s.lock", path);
	if ((t->lockfd = lock_take(lock, LOCK_WAIT_MS, err)) < 0)
		return -1;
	remove_stale_tmp(path);
	t->orig = file_read(path, NULL);
	if (!t->orig) {
		if (errno != ENOENT) {
			snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
			store_end(t);
			return -1;
		}
		t->orig = strdup("");
	}
	t->text = t->orig ? strdup(t->orig) : NULL;
	if (!t->text) {
		snprintf(err, ERRLEN, "out of memory");
		store_end(t);
		return -1;
	}
	return 0;
}

void
store_end(struct store_txn *t)
{
	if (t->lockfd >= 0)
		close(t->lockfd);   /* releases the lock */
	t->lockfd = -1;
	free(t->text);
	free(t->orig);
	t->text = t->orig = NULL;
}

int
store_commit(struct store_txn *t, struct store_diags *d, char *err)
{
	struct store st;
	char bak[300];
	int rc;

	rc = store_parse_text(t->text, t->path, &st, d);
	store_free(&st);
	if (rc < 0) {
		snprintf(err, ERRLEN, "the change would make the store invalid; nothing was written");
		return -1;
	}
	if (strcmp(t->text, t->orig) == 0)
		return 0;
	snprintf(bak, sizeof(bak), "%s.bak", t->path);
	if (*t->orig && file_write_atomic_err(bak, t->orig, strlen(t->orig), 0600, err) < 0)
		return -1;
	if (file_write_atomic_err(t->path, t->text, strlen(t->text), 0600, err) < 0)
		return -1;
	return 0;
}

/* Text editing. A line belongs to the section whose header precedes it. */

struct span {
	size_t start, end;         /* [start, end): the header line through the last line */
	size_t body_end;           /* after the last non-blank line of the section */
	int found;
};

static int
line_is_header(const char *p, size_t len, char *name, size_t size)
{
	const char *close;
	size_t n;

	while (len && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	if (!len || *p != '[')
		return 0;
	close = memchr(p, ']', len);
	if (!close)
		return 0;
	n = (size_t)(close - p - 1);
	if (n >= size)
		n = size - 1;
	memcpy(name, p + 1, n);
	name[n] = '\0';
	return 1;
}

/* Compare section headers loosely: "rule  x" == "rule x". */
static int
section_eq(const char *a, const char *b)
{
	char x[STORE_NAME_MAX + 16], y[STORE_NAME_MAX + 16];

	snprintf(x, sizeof(x), "%s", a);
	snprintf(y, sizeof(y), "%s", b);
	if (strncmp(x, "rule", 4) == 0 && strncmp(y, "rule", 4) == 0)
		return strcmp(str_trim(x + 4), str_trim(y + 4)) == 0;
	return strcmp(str_trim(x), str_trim(y)) == 0;
}

static struct span
find_section(const char *text, const char *section)
{
	struct span s = { 0, 0, 0, 0 };
	size_t pos = 0, len = strlen(text);
	int in = 0;
	char name[STORE_NAME_MAX + 16];

	while (pos < len) {
		const char *eol = strchr(text + pos, '\n');
		size_t next = eol ? (size_t)(eol - text) + 1 : len;
		size_t ll = next - pos;
		const char *p = text + pos;
		int blank = 1;
		size_t i;

		if (line_is_header(p, ll, name, sizeof(name))) {
			if (in)
				break;
			if (section_eq(name, section)) {
				in = 1;
				s.found = 1;
				s.start = pos;
				s.body_end = next;
			}
		} else if (in) {
			for (i = 0; i < ll; i++)
				if (!isspace((unsigned char)p[i]))
					blank = 0;
			if (!blank)
				s.body_end = next;
		}
		pos = next;
	}
	s.end = in ? pos : 0;
	return s;
}

int
store_edit_has_section(const struct store_txn *t, const char *section)
{
	return find_section(t->text, section).found;
}

/* Replace [from, to) of t->text with ins. */
static int
splice_text(struct store_txn *t, size_t from, size_t to, const char *ins)
{
	size_t len = strlen(t->text), il = strlen(ins);
	char *n = malloc(len - (to - from) + il + 1);

	if (!n)
		return -1;
	memcpy(n, t->text, from);
	memcpy(n + from, ins, il);
	memcpy(n + from + il, t->text + to, len - to + 1);
	free(t->text);
	t->text = n;
	return 0;
}

int
store_edit_add_section(struct store_txn *t, const char *section, char *err)
{
	size_t len = strlen(t->text);
	char hdr[160];

	if (store_edit_has_section(t, section)) {
		snprintf(err, ERRLEN, "[%s] already exists", section);
		return -1;
	}
	snprintf(hdr, sizeof(hdr), "%s[%s]\n", len == 0 ? "" : t->text[len - 1] == '\n' ? "\n" : "\n\n",
	    section);
	if (splice_text(t, len, len, hdr) < 0) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	return 0;
}

int
store_edit_del_section(struct store_txn *t, const char *section, char *err)
{
	struct span s = find_section(t->text, section);

	if (!s.found) {
		snprintf(err, ERRLEN, "no [%s] in the store", section);
		return -1;
	}
	if (splice_text(t, s.start, s.end, "") < 0) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	return 0;
}

/* The key of a "key = value" line, or "" for anything else. */
static void
line_key(const char *p, size_t len, char *key, size_t size)
{
	size_t i = 0, n = 0;

	key[0] = '\0';
	while (i < len && isspace((unsigned char)p[i]))
		i++;
	if (i < len && (p[i] == ';' || p[i] == '#' || p[i] == '['))
		return;
	while (i < len && p[i] != '=' && p[i] != ':' && p[i] != '\n' && n + 1 < size)
		key[n++] = p[i++];
	if (i >= len || (p[i] != '=' && p[i] != ':')) {
		key[0] = '\0';
		return;
	}
	key[n] = '\0';
	while (n && isspace((unsigned char)key[n - 1]))
		key[--n] = '\0';
}

/* What inih would read back differently is refused, never written: a line
 * break, a control character (text.h), a '#' after a space or at the start
 * (an inline comment: the rest would be cut off), spaces around the value. */
int
store_value_storable(const char *key, const char *v, char *err)
{
	const char *h;
	size_t bad, n = strlen(v);

	if (strpbrk(v, "\n\r")) {
		snprintf(err, ERRLEN, "%s: a value cannot contain a line break", key);
		return -1;
	}
	if (!text_printable(v, &bad)) {
		snprintf(err, ERRLEN, "%s: the value holds a control character or a byte that is not UTF-8 "
		    "(0x%02x at byte %zu): letters of any language are fine, terminal control codes are not", key,
		    (unsigned char)v[bad], bad + 1);
		return -1;
	}
	for (h = strchr(v, '#'); h; h = strchr(h + 1, '#'))
		if (h == v || isspace((unsigned char)h[-1])) {
			snprintf(err, ERRLEN, "%s: a '#' %s starts a comment in the store, so the rest of the value "
			    "would be lost: write it without the space before '#'", key, h == v ? "at the start" :
			    "after a space");
			return -1;
		}
	if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))) {
		snprintf(err, ERRLEN, "%s: the value starts or ends with a space, which the store does not keep", key);
		return -1;
	}
	return 0;
}

int
store_edit_set(struct store_txn *t, const char *section, const char *key,
    const char *const *values, size_t n, char *err)
{
	struct span s;
	size_t pos, insert_at = (size_t)-1, i, total = 1;
	char *ins, *q;

	for (i = 0; i < n; i++) {
		if (store_value_storable(key, values[i], err) < 0)
			return -1;
		total += strlen(key) + strlen(values[i]) + 4;
	}
	if (!store_edit_has_section(t, section) && n && store_edit_add_section(t, section, err) < 0)
		return -1;
	s = find_section(t->text, section);
	if (!s.found)
		return 0;   /* removing a key from a missing section: nothing to do */
	/* drop every line of this key, remembering where the first one was */
	pos = s.start;
	while (pos < s.end) {
		const char *eol = strchr(t->text + pos, '\n');
		size_t next = eol ? (size_t)(eol - t->text) + 1 : strlen(t->text);
		char k[64];

		line_key(t->text + pos, next - pos, k, sizeof(k));
		if (strcmp(k, key) == 0) {
			if (insert_at == (size_t)-1)
				insert_at = pos;
			if (splice_text(t, pos, next, "") < 0)
				goto oom;
			s.end -= next - pos;
			if (s.body_end >= next)
				s.body_end -= next - pos;
			else if (s.body_end > pos)
				s.body_end = pos;
			continue;
		}
		pos = next;
	}
	if (!n)
		return 0;
	if (insert_at == (size_t)-1)
		insert_at = s.body_end;
	if (!(ins = malloc(total + 1)))
		goto oom;
	q = ins;
	/* a section whose last line has no newline */
	if (insert_at > 0 && t->text[insert_at - 1] != '\n')
		*q++ = '\n';
	for (i = 0; i < n; i++)
		q += sprintf(q, "%s = %s\n", key, values[i]);
	*q = '\0';
	if (splice_text(t, insert_at, insert_at, ins) < 0) {
		free(ins);
		goto oom;
	}
	free(ins);
	return 0;
oom:
	snprintf(err, ERRLEN, "out of memory");
	return -1;
}
