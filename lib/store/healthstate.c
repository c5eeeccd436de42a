/*
 * healthstate: the health state file and its result codes (healthstate.h).
 */
#include "healthstate.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "text.h"

static const struct {
	const char *token, *text;
} codes[HC_CODE_COUNT] = {
	[HC_OK] = { "ok", "check passed" },
	[HC_RESOLVE_FAIL] = { "resolve-failed", "the name does not resolve" },
	[HC_RESOLVE_TIMEOUT] = { "resolve-timeout", "name resolution timed out" },
	[HC_SOCKET_FAIL] = { "socket-failed", "cannot set up the socket (through, interface)" },
	[HC_CONNECT_REFUSED] = { "refused", "connection refused" },
	[HC_CONNECT_UNREACH] = { "unreachable", "network or host unreachable" },
	[HC_CONNECT_FAIL] = { "connect-failed", "connect failed" },
	[HC_CONNECT_TIMEOUT] = { "connect-timeout", "connect timed out" },
	[HC_WRITE_FAIL] = { "send-failed", "sending health_send failed" },
	[HC_WRITE_TIMEOUT] = { "send-timeout", "sending health_send timed out" },
	[HC_READ_FAIL] = { "read-failed", "reading the reply failed" },
	[HC_READ_CLOSED] = { "closed", "closed before the expected reply" },
	[HC_READ_TIMEOUT] = { "read-timeout", "no (complete) reply in time" },
	[HC_EXPECT_MISMATCH] = { "mismatch", "the reply does not start with health_expect" },
	[HC_TLS_FAIL] = { "tls", "the tunnel's TLS handshake failed" },
	[HC_WS_FAIL] = { "ws", "the tunnel's WebSocket upgrade failed" },
	[HC_HANDSHAKE_TIMEOUT] = { "handshake-timeout", "handshake timeout" },
};

const char *
hc_code_str(enum hc_code c)
{
	return (unsigned)c < HC_CODE_COUNT ? codes[c].token : NULL;
}

const char *
hc_code_text(enum hc_code c)
{
	return (unsigned)c < HC_CODE_COUNT ? codes[c].text : "?";
}

int
hc_code_parse(const char *s)
{
	int i;

	for (i = 0; i < HC_CODE_COUNT; i++)
		if (strcmp(s, codes[i].token) == 0)
			return i;
	return -1;
}

/* A "tcp: " reason back to its code, by the strerror text. */
static enum hc_code
tcp_code(const char *what)
{
	static const int errs[] = { ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH };
	static const enum hc_code to[] = { HC_CONNECT_REFUSED, HC_CONNECT_TIMEOUT, HC_CONNECT_UNREACH,
		HC_CONNECT_UNREACH };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errs); i++)
		if (strcmp(what, strerror(errs[i])) == 0)
			return to[i];
	return HC_CONNECT_FAIL;
}

int
hc_reason_parse(const char *s, char *why)
{
	int code = hc_code_parse(s);

	*why = '\0';
	if (code >= 0)
		return code;
	if (strncmp(s, "tcp: ", 5) == 0 && s[5])
		code = (int)tcp_code(s + 5);
	else if (strncmp(s, "tls: ", 5) == 0 && s[5])
		code = HC_TLS_FAIL;
	else if (strncmp(s, "ws: ", 4) == 0 && s[4])
		code = HC_WS_FAIL;
	else if (strcmp(s, "handshake timeout") == 0)
		code = HC_HANDSHAKE_TIMEOUT;
	else
		return -1;
	if (!text_printable(s, NULL) || str_copy(why, HC_WHY_MAX, s) < 0)   /* printed by health --status */
		return -1;
	return code;
}

const char *
hc_stage(const struct hc_entry *e)
{
	switch (e->reason) {
	case HC_OK: return "";
	case HC_RESOLVE_FAIL: case HC_RESOLVE_TIMEOUT: return "resolve";
	case HC_TLS_FAIL: return "tls";
	case HC_WS_FAIL: return "ws";
	case HC_HANDSHAKE_TIMEOUT: return "handshake";
	case HC_WRITE_FAIL: case HC_WRITE_TIMEOUT: return "send";
	case HC_READ_FAIL: case HC_READ_CLOSED: case HC_READ_TIMEOUT: case HC_EXPECT_MISMATCH: return "reply";
	default: return "tcp";
	}
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct hc_entry *x = a, *y = b;
	int c = strcmp(x->rule, y->rule);

	return c ? c : strcmp(x->target, y->target);
}

static int
parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

int
hc_state_parse(const char *text, struct hc_state *out, char *err)
{
	const char *p = text, *eol;
	size_t cap = 0;
	int lineno = 0;

	out->v = NULL;
	out->n = 0;
	for (; *p; p = *eol ? eol + 1 : eol) {
		char line[1024], *f[8], *save = NULL, *tok, *end;
		struct hc_entry e;
		int64_t fails, oks;
		size_t len;
		int nf = 0, code;

		lineno++;
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		len = (size_t)(eol - p);
		if (len >= sizeof(line)) {
			snprintf(err, ERRLEN, "line %d: longer than %zu bytes", lineno, sizeof(line) - 1);
			goto fail;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		/* seven fields, then REASON: the rest of the line (words may have spaces) */
		for (tok = strtok_r(line, " \t\r", &save); tok && nf < 7; tok = nf < 7 ?
		    strtok_r(NULL, " \t\r", &save) : NULL)
			f[nf++] = tok;
		if (nf == 0 || f[0][0] == '#')
			continue;
		if (nf == 7 && save) {
			save += strspn(save, " \t\r");
			for (end = save + strlen(save); end > save && strchr(" \t\r", end[-1]); end--)
				;
			*end = '\0';
			if (*save)
				f[nf++] = save;
		}
		if (nf != 8) {
			snprintf(err, ERRLEN, "line %d: expected 8 fields (RULE BACKEND STATE FAILS OKS "
			    "LAST_CHECK LAST_CHANGE REASON), found fewer", lineno);
			goto fail;
		}
		memset(&e, 0, sizeof(e));
		if (!store_name_valid(f[0])) {
			snprintf(err, ERRLEN, "line %d: '%.60s' is not a rule name", lineno, f[0]);
			goto fail;
		}
		strcpy(e.rule, f[0]);
		if (!text_printable(f[1], NULL)) {   /* it is printed (health --status) */
			snprintf(err, ERRLEN, "line %d: the backend holds a control character", lineno);
			goto fail;
		}
		if (str_copy(e.target, sizeof(e.target), f[1]) < 0 || !strchr(f[1], ':')) {
			snprintf(err, ERRLEN, "line %d: '%.60s' is not HOST:PORT", lineno, f[1]);
			goto fail;
		}
		if (strcmp(f[2], "up") == 0)
			e.up = 1;
		else if (strcmp(f[2], "down") != 0) {
			snprintf(err, ERRLEN, "line %d: state must be up or down, not '%.20s'", lineno, f[2]);
			goto fail;
		}
		if (parse_i64(f[3], &fails) < 0 || parse_i64(f[4], &oks) < 0 || fails > 1000000000 ||
		    oks > 1000000000 || parse_i64(f[5], &e.last_check) < 0 ||
		    parse_i64(f[6], &e.last_change) < 0) {
			snprintf(err, ERRLEN, "line %d: counts and times must be whole numbers >= 0", lineno);
			goto fail;
		}
		e.fails = (long)fails;
		e.oks = (long)oks;
		if ((code = hc_reason_parse(f[7], e.why)) < 0) {
			snprintf(err, ERRLEN, "line %d: unknown reason '%.30s'", lineno, f[7]);
			goto fail;
		}
		e.reason = (enum hc_code)code;
		if (out->n == cap) {
			struct hc_entry *nv;

			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(out->v, cap * sizeof(*nv)))) {
				snprintf(err, ERRLEN, "out of memory");
				goto fail;
			}
			out->v = nv;
		}
		out->v[out->n++] = e;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	return 0;
fail:
	hc_state_free(out);
	errno = EINVAL;
	return -1;
}

int
hc_state_load(const char *path, struct hc_state *out, char *err)
{
	char *text;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (!(text = file_read_flags(path, NULL, O_NOFOLLOW))) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, ERRLEN, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rc = hc_state_parse(text, out, err);
	free(text);
	if (rc < 0) {
		char msg[ERRLEN];

		snprintf(msg, sizeof(msg), "%s: %s", path, err);
		memcpy(err, msg, ERRLEN);
	}
	return rc;
}

char *
hc_state_format(const struct hc_state *s, size_t *len)
{
	static const char head[] = "# xwpf health v1: RULE BACKEND STATE FAILS OKS LAST_CHECK LAST_CHANGE "
	    "REASON (times: ms since the epoch)\n";
	size_t cap = sizeof(head) + s->n * (STORE_NAME_MAX + HC_TARGET_MAX + 160 + HC_WHY_MAX), n;
	char *buf = malloc(cap);
	size_t i;

	if (!buf)
		return NULL;
	n = (size_t)snprintf(buf, cap, "%s", head);
	for (i = 0; i < s->n; i++) {
		const struct hc_entry *e = &s->v[i];
		const char *reason = hc_code_str(e->reason) ? hc_code_str(e->reason) : "ok";
		char why[HC_WHY_MAX];

		if (*e->why && hc_reason_parse(e->why, why) == (int)e->reason)
			reason = e->why;   /* words only when they read back as the same result */
		n += (size_t)snprintf(buf + n, cap - n, "%s %s %s %ld %ld %lld %lld %s\n", e->rule, e->target,
		    e->up ? "up" : "down", e->fails, e->oks, (long long)e->last_check,
		    (long long)e->last_change, reason);
	}
	if (len)
		*len = n;
	return buf;
}

int
hc_state_save(const char *path, const struct hc_state *s, char *err)
{
	char *text;
	size_t len;
	int rc;

	if (path_dir_ready(path, err) < 0)
		return -1;
	if (!(text = hc_state_format(s, &len))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	rc = file_write_atomic_err(path, text, len, 0600, err);
	free(text);
	return rc;
}

void
hc_state_sort(struct hc_state *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), entry_cmp);
}

void
hc_state_free(struct hc_state *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

const struct hc_entry *
hc_state_find(const struct hc_state *s, const char *rule, const char *target)
{
	struct hc_entry key;

	if (!s || !s->n || str_copy(key.rule, sizeof(key.rule), rule) < 0 ||
	    str_copy(key.target, sizeof(key.target), target) < 0)
		return NULL;
	return bsearch(&key, s->v, s->n, sizeof(*s->v), entry_cmp);
}
