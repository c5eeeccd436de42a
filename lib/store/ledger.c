#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "paths.h"
#include "pidlock.h"
#include "text.h"
#include "util.h"

static const char *const bill_names[] = { "both", "in", "out", "max", "double" };
static const char *const proto_names[] = { "tcp", "udp" };

int
billing_parse(const char *s, enum billing *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bill_names); i++)
		if (str_ieq(s, bill_names[i])) {
			*out = (enum billing)i;
			return 0;
		}
	return -1;
}

const char *
billing_name(enum billing b)
{
	return (unsigned)b < ARRAY_SIZE(bill_names) ? bill_names[b] : "?";
}

uint64_t
ledger_sum_in(const struct ledger_ctr *c)
{
	return c->in[0][0] + c->in[0][1] + c->in[1][0] + c->in[1][1];
}

uint64_t
ledger_sum_out(const struct ledger_ctr *c)
{
	return c->out[0][0] + c->out[0][1] + c->out[1][0] + c->out[1][1];
}

uint64_t
ledger_used(const struct ledger_ctr *c, enum billing b)
{
	uint64_t in = ledger_sum_in(c), out = ledger_sum_out(c);

	switch (b) {
	case BILL_IN: return in;
	case BILL_OUT: return out;
	case BILL_MAX: return in > out ? in : out;
	case BILL_DOUBLE: return 2 * (in + out);
	case BILL_BOTH: break;
	}
	return in + out;
}

int64_t
ledger_cycle_start(int64_t now, int reset_day)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	time_t t = (time_t)now;
	struct tm tm;
	int day, last, y, m;

	localtime_r(&t, &tm);
	if (reset_day < 1)
		reset_day = 1;
	y = tm.tm_year;
	m = tm.tm_mon;
	for (;;) {   /* this month, or the one before when the day has not come yet */
		int yy = y + 1900;
		last = mdays[m] + (m == 1 && ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0));
		day = reset_day > last ? last : reset_day;
		if (y != tm.tm_year || m != tm.tm_mon || day <= tm.tm_mday)
			break;
		if (--m < 0) {
			m = 11;
			y--;
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y;
	tm.tm_mon = m;
	tm.tm_mday = day;
	tm.tm_isdst = -1;   /* local time, whatever daylight saving says */
	return (int64_t)mktime(&tm);
}

/* A cycle lasts 28 to 31 days (plus a daylight-saving hour), so 32 days after
 * its start always falls inside the next one, never past it. */
int64_t
ledger_cycle_next(int64_t now, int reset_day)
{
	return ledger_cycle_start(ledger_cycle_start(now, reset_day) + 32 * 86400, reset_day);
}

struct ledger_rule *
ledger_get(struct ledger *lg, const char *name, int64_t now, int reset_day)
{
	struct ledger_rule *r;
	size_t i;

	for (i = 0; i < lg->n; i++)
		if (strcmp(lg->v[i].name, name) == 0)
			return &lg->v[i];
	if (lg->n == lg->cap) {
		size_t cap = lg->cap ? lg->cap * 2 : 16;
		struct ledger_rule *nv = realloc(lg->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		lg->v = nv;
		lg->cap = cap;
	}
	r = &lg->v[lg->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->cycle_start = ledger_cycle_start(now, reset_day);
	r->display_since = now;
	return r;
}

void
ledger_add(struct ledger_rule *r, int proto, int family, uint64_t in, uint64_t out, uint64_t conns)
{
	r->cycle.in[proto][family] += in;
	r->cycle.out[proto][family] += out;
	r->cycle.conns += conns;
	r->display.in[proto][family] += in;
	r->display.out[proto][family] += out;
	r->display.conns += conns;
}

int
ledger_roll(struct ledger_rule *r, int64_t now, int reset_day, enum billing b)
{
	int64_t start = ledger_cycle_start(now, reset_day);

	/* within the cycle stored (one reset by hand starts between two reset days) */
	if (start == r->cycle_start ||
	    (r->cycle_start > start && r->cycle_start <= now && now < ledger_cycle_next(r->cycle_start, reset_day)))
		return 0;
	r->last_cycle_used = ledger_used(&r->cycle, b);
	memset(&r->cycle, 0, sizeof(r->cycle));
	r->cycle_start = start;
	r->fired = 0;
	return 1;
}

unsigned
ledger_check_quota(struct ledger_rule *r, uint64_t quota, enum billing b)
{
	uint64_t used = ledger_used(&r->cycle, b);
	unsigned now = 0, fresh;

	if (!quota)
		return 0;
	if (used >= quota / 100 * 80 + quota % 100 * 80 / 100)
		now |= LG_FIRED_80;
	if (used >= quota / 100 * 95 + quota % 100 * 95 / 100)
		now |= LG_FIRED_95;
	if (used >= quota)
		now |= LG_FIRED_100;
	fresh = now & ~r->fired;
	r->fired |= now;
	return fresh;
}

void
ledger_display_reset(struct ledger_rule *r, int64_t now)
{
	memset(&r->display, 0, sizeof(r->display));
	r->display_since = now;
}

void
ledger_cycle_reset(struct ledger_rule *r, int64_t now, enum billing b)
{
	r->last_cycle_used = ledger_used(&r->cycle, b);
	memset(&r->cycle, 0, sizeof(r->cycle));
	r->cycle_start = now;
	r->fired = 0;
}

/* ---- the file: "# xwpf ledger 1" then one line per rule of key=value words ---- */

static void
put_ctr(char **p, char *end, const char *pfx, const struct ledger_ctr *c)
{
	int pr, fa;

	for (pr = 0; pr < 2; pr++)
		for (fa = 0; fa < 2; fa++)
			*p += snprintf(*p, (size_t)(end - *p), " %s.%s%d.in=%" PRIu64 " %s.%s%d.out=%" PRIu64,
			    pfx, proto_names[pr], fa ? 6 : 4, c->in[pr][fa], pfx, proto_names[pr], fa ? 6 : 4,
			    c->out[pr][fa]);
	*p += snprintf(*p, (size_t)(end - *p), " %s.conns=%" PRIu64, pfx, c->conns);
}

char *
ledger_format(const struct ledger *lg, size_t *len)
{
	/* a line: 113 bytes of times and flags, 2 x 277 of counters at their
	 * widest, the name: 768 + the longest name leaves room */
	size_t size = 64 + lg->n * (768 + TEXT_NAME_MAX), i;
	char *buf = malloc(size), *p, *end;

	if (!buf)
		return NULL;
	p = buf;
	end = buf + size;
	p += snprintf(p, (size_t)(end - p), "# xwpf ledger 1\n");
	for (i = 0; i < lg->n; i++) {
		const struct ledger_rule *r = &lg->v[i];

		p += snprintf(p, (size_t)(end - p), "rule %s cycle_start=%" PRId64 " display_since=%" PRId64
		    " last_cycle=%" PRIu64 " fired=%u", r->name, r->cycle_start, r->display_since,
		    r->last_cycle_used, r->fired);
		put_ctr(&p, end, "c", &r->cycle);
		put_ctr(&p, end, "d", &r->display);
		p += snprintf(p, (size_t)(end - p), "\n");
	}
	*len = (size_t)(p - buf);
	return buf;
}

int
ledger_save(const char *path, const struct ledger *lg, char *err)
{
	size_t len;
	char *buf = ledger_format(lg, &len);
	int rc;

	if (!buf) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	rc = file_write_atomic_err(path, buf, len, 0600, err);
	free(buf);
	return rc;
}

static int
set_ctr(struct ledger_ctr *c, const char *k, uint64_t v)
{
	int pr, fa;
	char name[32];

	if (strcmp(k, "conns") == 0) {
		c->conns = v;
		return 0;
	}
	for (pr = 0; pr < 2; pr++)
		for (fa = 0; fa < 2; fa++) {
			snprintf(name, sizeof(name), "%s%d.in", proto_names[pr], fa ? 6 : 4);
			if (strcmp(k, name) == 0) {
				c->in[pr][fa] = v;
				return 0;
			}
			snprintf(name, sizeof(name), "%s%d.out", proto_names[pr], fa ? 6 : 4);
			if (strcmp(k, name) == 0) {
				c->out[pr][fa] = v;
				return 0;
			}
		}
	return -1;
}

int
ledger_load(const char *path, struct ledger *lg, char *err)
{
	char *text = file_read_flags(path, NULL, O_NOFOLLOW);
	int rc;

	memset(lg, 0, sizeof(*lg));
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rc = ledger_parse(text, path, lg, err);
	free(text);
	return rc;
}

int
ledger_parse(char *text, const char *path, struct ledger *lg, char *err)
{
	char *line, *save = NULL;
	int lineno = 0;

	memset(lg, 0, sizeof(*lg));
	for (line = text; line; line = save) {   /* strtok_r would skip empty lines: wrong line numbers */
		char *w, *wsave = NULL;
		struct ledger_rule *r = NULL;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (line[0] == '#' || !*line)
			continue;
		w = strtok_r(line, " ", &wsave);
		if (!w || strcmp(w, "rule") != 0 || !(w = strtok_r(NULL, " ", &wsave)) || !text_name_valid(w))
			goto bad;
		if (!(r = ledger_get(lg, w, 0, 1)))
			goto oom;
		while ((w = strtok_r(NULL, " ", &wsave)) != NULL) {
			char *eq = strchr(w, '='), *e;
			unsigned long long v;

			if (!eq)
				goto bad;
			*eq = '\0';
			errno = 0;
			v = strtoull(eq + 1, &e, 10);
			if (errno || *e || eq[1] == '-' || eq[1] == '+' || eq[1] == ' ' || !eq[1])
				goto bad;
			if (v > INT64_MAX && (strcmp(w, "cycle_start") == 0 || strcmp(w, "display_since") == 0))
				goto bad;   /* a time: it would come back negative */
			if (strcmp(w, "cycle_start") == 0)
				r->cycle_start = (int64_t)v;
			else if (strcmp(w, "display_since") == 0)
				r->display_since = (int64_t)v;
			else if (strcmp(w, "last_cycle") == 0)
				r->last_cycle_used = v;
			else if (strcmp(w, "fired") == 0)
				r->fired = (unsigned)v & 7;
			else if (strncmp(w, "c.", 2) == 0)
				(void)set_ctr(&r->cycle, w + 2, v);
			else if (strncmp(w, "d.", 2) == 0)
				(void)set_ctr(&r->display, w + 2, v);
			/* unknown keys: a newer xwpf wrote them; ignored */
		}
	}
	return 0;
bad:
	snprintf(err, ERRLEN, "%s:%d: not a ledger line", path, lineno);
	ledger_free(lg);
	return -1;
oom:
	snprintf(err, ERRLEN, "out of memory");
	ledger_free(lg);
	return -1;
}

void
ledger_free(struct ledger *lg)
{
	free(lg->v);
	memset(lg, 0, sizeof(*lg));
}

int
ledger_update(const char *path, int (*fn)(struct ledger *lg, void *arg, char *err), void *arg,
    char *err)
{
	char lock[4096 + 8];
	struct ledger lg;
	int fd, rc;

	if (path_dir_ready(path, err) < 0)   /* the state folder on a new host */
		return -1;
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if ((fd = lock_take(lock, LOCK_WAIT_MS, err)) < 0)
		return -1;
	file_tmp_cleanup(path);   /* left by a writer that was killed */
	rc = ledger_load(path, &lg, err);
	if (rc == 0) {
		rc = fn(&lg, arg, err);
		if (rc == 0)
			rc = ledger_save(path, &lg, err);
		else if (rc > 0)
			rc = 0;
	}
	ledger_free(&lg);
	close(fd);   /* releases the lock */
	return rc;
}
