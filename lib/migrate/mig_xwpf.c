/*
 * xwPF rule files (docs/compat.md, xwPF's rule files) to store rules.
 *
 * The script `source`s rule-N.conf; here they are read as data: each line
 * must be KEY=VALUE with the value quoted or a plain word, and nothing in
 * a value is ever expanded or run.
 */
#include "migrate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "mptcp_kernel.h"
#include "util.h"

#define VAL_MAX 1024
#define DEFAULT_SNI "www.tesla.com"   /* what the script uses when no name was given */

/* ------------------------------------------------------------------ */
/* shell variable files */

static int
is_word_char(int c)
{
	/* a plain (unquoted) word: no white space, quotes or shell syntax */
	return c > 0x20 && c != 0x7f && !strchr("\"'`$;&|<>(){}\\#", c);
}

/* A quoted part of a shell value, *q at its quote (in "..." a backslash keeps
 * the next " \ $ or `): appended to val (size bytes, *vn used), *q past the
 * closing quote. 0; -1 when val is full; -2 when the line ends first. */
static int
sh_quoted(const char **q, const char *le, char *val, size_t size, size_t *vn)
{
	const char quote = **q, *c;

	for (c = *q + 1; c < le && *c != quote; c++) {
		if (quote == '"' && *c == '\\' && c + 1 < le && strchr("\"\\$`", c[1]))
			c++;
		if (*vn + 1 >= size)
			return -1;
		val[(*vn)++] = *c;
	}
	if (c >= le)
		return -2;
	*q = c + 1;
	return 0;
}

int
mig_shvars(const struct mig_file *f, mig_var_cb cb, void *user, char *err)
{
	const char *p = f->text, *end = f->text + f->len;
	int line = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q, *le = eol ? eol : end;
		char key[64], val[VAL_MAX];
		size_t kn = 0, vn = 0;

		line++;
		q = p;
		p = eol ? eol + 1 : end;
		if (le > q && le[-1] == '\r')
			le--;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q == le || *q == '#')
			continue;
		if (le - q > 7 && strncmp(q, "export", 6) == 0 && (q[6] == ' ' || q[6] == '\t')) {
			q += 7;
			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
		}
		if (q >= le || !(isalpha((unsigned char)*q) || *q == '_'))
			goto bad;
		while (q < le && (isalnum((unsigned char)*q) || *q == '_')) {
			if (kn + 1 >= sizeof(key))
				goto bad;
			key[kn++] = *q++;
		}
		key[kn] = '\0';
		if (q >= le || *q != '=')
			goto bad;
		q++;
		while (q < le && *q != ' ' && *q != '\t') {
			if (*q == '"' || *q == '\'') {
				int r = sh_quoted(&q, le, val, sizeof(val), &vn);

				if (r == -1)
					goto toolong;
				if (r == -2)
					goto unterminated;
			} else if (is_word_char((unsigned char)*q)) {
				if (vn + 1 >= sizeof(val))
					goto toolong;
				val[vn++] = *q++;
			} else
				goto bad;
		}
		val[vn] = '\0';
		if (memchr(val, '\0', vn)) {
			snprintf(err, ERRLEN, "%s:%d: a NUL byte in the value of %s", f->name, line, key);
			return -1;
		}
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q < le && *q != '#')
			goto bad;
		if (cb(user, key, val, line, err) < 0)
			return -1;
		continue;
bad:
		snprintf(err, ERRLEN, "%s:%d: not a KEY=\"value\" line; rule files are read as data, "
		    "never run: fix or remove the line", f->name, line);
		return -1;
toolong:
		snprintf(err, ERRLEN, "%s:%d: the value is longer than %d characters", f->name, line, VAL_MAX - 1);
		return -1;
unterminated:
		snprintf(err, ERRLEN, "%s:%d: a quote is not closed on its line", f->name, line);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* one rule file */

enum {
	V_RULE_ID, V_RULE_NAME, V_RULE_ROLE, V_SECURITY_LEVEL, V_LISTEN_PORT, V_LISTEN_IP, V_THROUGH_IP,
	V_REMOTE_HOST, V_REMOTE_PORT, V_FORWARD_TARGET, V_TLS_SERVER_NAME, V_TLS_CERT_PATH, V_TLS_KEY_PATH,
	V_WS_PATH, V_WS_HOST, V_RULE_NOTE, V_ENABLED, V_BALANCE_MODE, V_TARGET_STATES, V_WEIGHTS,
	V_FAILOVER_ENABLED, V_FAILURE_THRESHOLD, V_SUCCESS_THRESHOLD, V_MPTCP_MODE, V_PROXY_MODE,
	V_PROTOCOL, V_COUNT
};

static const char *const var_names[V_COUNT] = {
	"RULE_ID", "RULE_NAME", "RULE_ROLE", "SECURITY_LEVEL", "LISTEN_PORT", "LISTEN_IP", "THROUGH_IP",
	"REMOTE_HOST", "REMOTE_PORT", "FORWARD_TARGET", "TLS_SERVER_NAME", "TLS_CERT_PATH", "TLS_KEY_PATH",
	"WS_PATH", "WS_HOST", "RULE_NOTE", "ENABLED", "BALANCE_MODE", "TARGET_STATES", "WEIGHTS",
	"FAILOVER_ENABLED", "FAILURE_THRESHOLD", "SUCCESS_THRESHOLD", "MPTCP_MODE", "PROXY_MODE",
	"PROTOCOL",
};

struct xrule {
	char *v[V_COUNT];
	const char *file;
	long id;
};

static int
xrule_cb(void *user, const char *key, const char *value, int line, char *err)
{
	struct xrule *x = user;
	size_t i;

	(void)line;
	for (i = 0; i < V_COUNT; i++)
		if (strcmp(key, var_names[i]) == 0) {
			char *d = strdup(value);
			if (!d) {
				snprintf(err, ERRLEN, "out of memory");
				return -1;
			}
			free(x->v[i]);
			x->v[i] = d;
			return 0;
		}
	return 0;   /* CREATED_TIME, HEALTH_CHECK_INTERVAL ...: nothing to carry */
}

static const char *
xv(const struct xrule *x, int i)
{
	return x->v[i] ? x->v[i] : "";
}

static void
xrule_free(struct xrule *x)
{
	size_t i;

	for (i = 0; i < V_COUNT; i++)
		free(x->v[i]);
}

static int
cmp_xrule(const void *a, const void *b)
{
	const struct xrule *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->file, y->file);
}

/* "host:port" text for a target, bracketing a bare IPv6 host */
static void
target_text(char *out, size_t size, const char *host, const char *port)
{
	if (strchr(host, ':') && host[0] != '[')
		snprintf(out, size, "[%s]:%s", host, port);
	else
		snprintf(out, size, "%s:%s", host, port);
}

/* Add "a,b,c" targets (already host:port) to the list, without duplicates. */
static int
add_targets(char targets[][HOST_MAX + 16], size_t *n, const char *csv)
{
	char buf[VAL_MAX], *tok, *save = NULL;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (!*tok)
			continue;
		for (i = 0; i < *n; i++)
			if (strcmp(targets[i], tok) == 0)
				break;
		if (i < *n)
			continue;
		if (*n >= STORE_MAX_REMOTES)
			return -1;
		snprintf(targets[(*n)++], HOST_MAX + 16, "%s", tok);
	}
	return 0;
}

static int
transport_for(const struct xrule *x, int exitside, char *out, size_t size, char *err)
{
	const char *lvl = xv(x, V_SECURITY_LEVEL);
	const char *sni = *xv(x, V_TLS_SERVER_NAME) ? xv(x, V_TLS_SERVER_NAME) : DEFAULT_SNI;
	const char *wsh = *xv(x, V_WS_HOST) ? xv(x, V_WS_HOST) : *xv(x, V_TLS_SERVER_NAME) ?
	    xv(x, V_TLS_SERVER_NAME) : DEFAULT_SNI;
	const char *wsp = *xv(x, V_WS_PATH) ? xv(x, V_WS_PATH) : "/ws";
	char ws[600] = "", tls[900] = "";
	int want_ws = 0, want_tls = 0, ca = 0;

	if (!*lvl || strcmp(lvl, "standard") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (strcmp(lvl, "ws") == 0)
		want_ws = 1;
	else if (strcmp(lvl, "tls_self") == 0)
		want_tls = 1;
	else if (strcmp(lvl, "tls_ca") == 0)
		want_tls = ca = 1;
	else if (strcmp(lvl, "ws_tls_self") == 0)
		want_ws = want_tls = 1;
	else if (strcmp(lvl, "ws_tls_ca") == 0)
		want_ws = want_tls = ca = 1;
	else {
		snprintf(err, ERRLEN, "%s: SECURITY_LEVEL '%s' is not standard, ws, tls_self, tls_ca, "
		    "ws_tls_self or ws_tls_ca", x->file, lvl);
		return -1;
	}
	if (want_ws)
		snprintf(ws, sizeof(ws), "ws;host=%s;path=%s", wsh, wsp);
	if (want_tls) {
		if (!exitside)
			snprintf(tls, sizeof(tls), "tls;sni=%s%s", sni, ca ? "" : ";insecure");
		else if (!ca)
			snprintf(tls, sizeof(tls), "tls;servername=%s", sni);
		else if (!*xv(x, V_TLS_CERT_PATH) || !*xv(x, V_TLS_KEY_PATH)) {
			snprintf(err, ERRLEN, "%s: a tls_ca exit needs TLS_CERT_PATH and TLS_KEY_PATH", x->file);
			return -1;
		} else
			snprintf(tls, sizeof(tls), "tls;cert=%s;key=%s", xv(x, V_TLS_CERT_PATH), xv(x, V_TLS_KEY_PATH));
	}
	snprintf(out, size, "%s%s%s", ws, *ws && *tls ? ";" : "", tls);
	return 0;
}

static const char *
proxy_for(const char *mode)
{
	static const struct { const char *x, *store; } map[] = {
		{ "v1_send", "send-v1" }, { "v1_accept", "accept" }, { "v1_both", "accept+send-v1" },
		{ "v2_send", "send-v2" }, { "v2_accept", "accept" }, { "v2_both", "accept+send-v2" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(mode, map[i].x) == 0)
			return map[i].store;
	return NULL;
}

/* balance and weights of a group of nt targets: BALANCE_MODE of the first
 * rule; WEIGHTS on it lists the group, else each rule has its own weight */
static int
set_balance(struct mig_rule *r, struct xrule **g, size_t n, size_t nt, char *err)
{
	const struct xrule *x = g[0];
	const char *bal = xv(x, V_BALANCE_MODE);
	const char *bm = !*bal || strcmp(bal, "off") == 0 ? "off" :
	    strcmp(bal, "roundrobin") == 0 ? "roundrobin" : strcmp(bal, "iphash") == 0 ? "iphash" :
	    "failover";   /* primary_backup and the like */
	char ws[VAL_MAX], buf[2048], *tok, *save = NULL;
	size_t cnt = 0, k = 0, i;
	long w;

	if (mig_set(r, "balance", bm, err) < 0)
		return -1;
	if (strcmp(bm, "roundrobin") != 0 && strcmp(bm, "iphash") != 0)
		return 0;
	snprintf(ws, sizeof(ws), "%s", xv(x, V_WEIGHTS));
	for (tok = strtok_r(ws, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		cnt++;
	if (cnt == nt) {
		for (i = 0; xv(x, V_WEIGHTS)[i] && k + 1 < sizeof(buf); i++)
			if (xv(x, V_WEIGHTS)[i] != ' ')
				buf[k++] = xv(x, V_WEIGHTS)[i];
		buf[k] = '\0';
	} else if (nt == n) {
		for (i = 0; i < n; i++)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%ld", i ? "," : "",
			    parse_long(xv(g[i], V_WEIGHTS), 1, 100, &w) == 0 ? w : 1);
	} else
		buf[0] = '\0';
	return *buf ? mig_set(r, "weights", buf, err) : 0;
}

/* One balancing group (rules sharing LISTEN_PORT, first = the settings) -> one store rule. */
static int
convert_into(struct xrule **g, size_t n, struct mig_result *m, char (*targets)[HOST_MAX + 16], char *err)
{
	const struct xrule *x = g[0];
	int exitside = strcmp(xv(x, V_RULE_ROLE), "2") == 0;
	size_t nt = 0, i;
	char name[STORE_NAME_MAX + 1], fb[64], buf[2048], tr[1600];
	const char *lip = xv(x, V_LISTEN_IP), *s;
	struct mig_rule *r;
	int enabled = 0, failover = 0;
	long w;

	if (!*xv(x, V_LISTEN_PORT)) {
		snprintf(err, ERRLEN, "%s: LISTEN_PORT is missing", x->file);
		return -1;
	}
	snprintf(fb, sizeof(fb), "xwpf-%.20s", xv(x, V_LISTEN_PORT));
	mig_name(name, sizeof(name), *xv(x, V_RULE_NAME) ? xv(x, V_RULE_NAME) : fb, fb);
	if (!(r = mig_rule_new(m, name, x->file))) {
		snprintf(err, ERRLEN, "too many rules");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct xrule *y = g[i];
		int yexit = strcmp(xv(y, V_RULE_ROLE), "2") == 0;

		if (yexit != exitside) {
			mig_warn(m, "%s: port %s is already used by a rule of the other role; skipped (as xwPF does)",
			    y->file, xv(y, V_LISTEN_PORT));
			continue;
		}
		if (strcmp(xv(y, V_ENABLED), "false") != 0)
			enabled = 1;
		if (strcmp(xv(y, V_FAILOVER_ENABLED), "true") == 0)
			failover = 1;
		if (yexit)
			s = xv(y, V_FORWARD_TARGET);
		else if (*xv(y, V_BALANCE_MODE) && strcmp(xv(y, V_BALANCE_MODE), "off") != 0 &&
		    *xv(y, V_TARGET_STATES))
			s = xv(y, V_TARGET_STATES);
		else {
			char hosts[VAL_MAX], *tok, *save = NULL;
			size_t k = 0;

			snprintf(hosts, sizeof(hosts), "%s", xv(y, V_REMOTE_HOST));
			buf[0] = '\0';
			for (tok = strtok_r(hosts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				char t[HOST_MAX + 16];
				tok = str_trim(tok);
				target_text(t, sizeof(t), tok, xv(y, V_REMOTE_PORT));
				k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s", k ? "," : "", t);
				if (k >= sizeof(buf))
					break;
			}
			s = buf;
		}
		if (!*s) {
			snprintf(err, ERRLEN, "%s: no target (%s)", y->file, yexit ? "FORWARD_TARGET" : "REMOTE_HOST");
			return -1;
		}
		if (add_targets(targets, &nt, s) < 0) {
			snprintf(err, ERRLEN, "%s: more than %d targets", y->file, STORE_MAX_REMOTES);
			return -1;
		}
	}
	if (*xv(x, V_RULE_NOTE)) {
		mig_note(buf, sizeof(buf), xv(x, V_RULE_NOTE));
		if (*buf && mig_set(r, "note", buf, err) < 0)
			return -1;
	}
	if (mig_set(r, "enabled", enabled ? "yes" : "no", err) < 0 ||
	    mig_set(r, "role", exitside ? "exit" : "relay", err) < 0)
		return -1;
	if (!*lip || strcmp(lip, "::") == 0)
		snprintf(buf, sizeof(buf), "[::]:%s", xv(x, V_LISTEN_PORT));
	else if (addr_family_of(lip))
		target_text(buf, sizeof(buf), lip, xv(x, V_LISTEN_PORT));
	else {
		snprintf(buf, sizeof(buf), "0.0.0.0:%s", xv(x, V_LISTEN_PORT));
		if (mig_set(r, "listen_interface", lip, err) < 0)
			return -1;
	}
	if (mig_set(r, "listen", buf, err) < 0)
		return -1;
	for (i = 0; i < nt; i++)
		if (mig_set(r, "remote", targets[i], err) < 0)
			return -1;
	if (nt > 1 && set_balance(r, g, n, nt, err) < 0)
		return -1;
	if (failover && mig_set(r, "failover", "yes", err) < 0)
		return -1;
	if (transport_for(x, exitside, tr, sizeof(tr), err) < 0)
		return -1;
	s = xv(x, V_PROTOCOL);
	if (*s)
		s = strcmp(s, "both") == 0 ? "tcp+udp" : s;
	else   /* the script runs realm with use_udp = true for every rule */
		s = "tcp+udp";
	if (mig_set(r, "protocol", s, err) < 0)
		return -1;
	/* realm carries TCP only in a tunnel and sends UDP plain beside it, to
	 * the same host:port: kept so, whatever runs at the other end */
	if (*tr && strcmp(s, "tcp") != 0 && mig_set(r, "udp_transport", "plain", err) < 0)
		return -1;
	if (*tr && mig_set(r, exitside ? "listen_transport" : "remote_transport", tr, err) < 0)
		return -1;
	if (!exitside && *xv(x, V_THROUGH_IP) && strcmp(xv(x, V_THROUGH_IP), "::") != 0 &&
	    mig_set(r, addr_family_of(xv(x, V_THROUGH_IP)) ? "through" : "interface", xv(x, V_THROUGH_IP), err) < 0)
		return -1;
	s = xv(x, V_PROXY_MODE);
	if (*s && strcmp(s, "off") != 0) {
		if (!proxy_for(s)) {
			snprintf(err, ERRLEN, "%s: PROXY_MODE '%s' is not off, v1_send, v1_accept, v1_both, "
			    "v2_send, v2_accept or v2_both", x->file, s);
			return -1;
		}
		if (mig_set(r, "proxy", proxy_for(s), err) < 0)
			return -1;
	}
	s = xv(x, V_MPTCP_MODE);
	if (*s && strcmp(s, "off") != 0 && mig_set(r, "mptcp", s, err) < 0)
		return -1;
	if (parse_long(xv(x, V_FAILURE_THRESHOLD), 1, 100, &w) == 0 && mig_setf(r, "health_fail", err, "%ld", w) < 0)
		return -1;
	if (parse_long(xv(x, V_SUCCESS_THRESHOLD), 1, 100, &w) == 0 && mig_setf(r, "health_ok", err, "%ld", w) < 0)
		return -1;
	return 0;
}

static int
convert_group(struct xrule **g, size_t n, struct mig_result *m, char *err)
{
	char (*targets)[HOST_MAX + 16] = calloc(STORE_MAX_REMOTES, sizeof(*targets));
	int rc;

	if (!targets) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	rc = convert_into(g, n, m, targets, err);
	free(targets);
	return rc;
}

/* ------------------------------------------------------------------ */
/* MPTCP endpoints and sysctl */

int
mig_mptcp_line(const char *line, char *out, size_t size, char *err)
{
	struct mptcp_endpoint e;
	char e2[ERRLEN];

	if (mptcp_endpoint_parse(line, &e, e2) < 0) {   /* the mptcp applet's own parser and rules */
		snprintf(err, ERRLEN, "mptcp endpoint '%.80s': %s", line, e2);
		return -1;
	}
	mptcp_endpoint_format(&e, out, size);
	return 0;
}

/* ------------------------------------------------------------------ */

static int
group_key_eq(const struct xrule *a, const struct xrule *b)
{
	return strcmp(xv(a, V_LISTEN_PORT), xv(b, V_LISTEN_PORT)) == 0;
}

int
mig_xwpf(const struct mig_file *rules, size_t n, const struct mig_file *endpoints,
    const struct mig_file *sysctl, struct mig_result *m, char *err)
{
	struct xrule *xs = NULL;
	struct xrule **grp = NULL;
	char *done = NULL;
	size_t i, j, ng;
	int rc = -1;

	if (n > 4096) {
		snprintf(err, ERRLEN, "more than 4096 rule files");
		return -1;
	}
	xs = calloc(n ? n : 1, sizeof(*xs));
	grp = calloc(n ? n : 1, sizeof(*grp));
	done = calloc(n ? n : 1, 1);
	if (!xs || !grp || !done) {
		snprintf(err, ERRLEN, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *digits;
		long id;

		xs[i].file = rules[i].name;
		if (mig_shvars(&rules[i], xrule_cb, &xs[i], err) < 0)
			goto out;
		digits = strrchr(rules[i].name, '-');
		if (parse_long(xv(&xs[i], V_RULE_ID), 0, 1000000, &id) == 0)
			xs[i].id = id;
		else if (digits && sscanf(digits + 1, "%ld", &id) == 1)
			xs[i].id = id;
		else
			xs[i].id = 1000000;
	}
	qsort(xs, n, sizeof(*xs), cmp_xrule);
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		for (ng = 0, j = i; j < n; j++)
			if (!done[j] && group_key_eq(&xs[i], &xs[j])) {
				grp[ng++] = &xs[j];
				done[j] = 1;
			}
		if (convert_group(grp, ng, m, err) < 0)
			goto out;
	}
	if (endpoints) {
		char line[512];
		const char *p = endpoints->text, *end = p + endpoints->len;
		int ln = 0;

		while (p < end) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			size_t l = (size_t)((eol ? eol : end) - p);
			char ep[300], e2[ERRLEN];

			ln++;
			snprintf(line, sizeof(line), "%.*s", (int)(l < sizeof(line) ? l : sizeof(line) - 1), p);
			p = eol ? eol + 1 : end;
			if (!*str_trim(line) || line[0] == '#')
				continue;
			if (mig_mptcp_line(str_trim(line), ep, sizeof(ep), e2) < 0) {
				snprintf(err, ERRLEN, "%s:%d: %s", endpoints->name, ln, e2);
				goto out;
			}
			if (*ep && mig_add_endpoint(m, ep) < 0) {
				snprintf(err, ERRLEN, "%s:%d: cannot keep this endpoint", endpoints->name, ln);
				goto out;
			}
		}
	}
	if (sysctl) {
		char txt[4096];
		size_t l = sysctl->len < sizeof(txt) - 1 ? sysctl->len : sizeof(txt) - 1;
		char *q;

		memcpy(txt, sysctl->text, l);
		txt[l] = '\0';
		for (q = txt; *q; q++)
			if (*q == ' ' || *q == '\t')
				memmove(q, q + 1, strlen(q));
		if (strstr(txt, "net.mptcp.enabled=1"))
			m->mptcp_enable = 1;
	}
	rc = 0;
out:
	for (i = 0; xs && i < n; i++)
		xrule_free(&xs[i]);
	free(xs);
	free(grp);
	free(done);
	return rc;
}
