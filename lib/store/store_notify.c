/*
 * The store's notification keys (docs/notify.md): the target syntax
 * (telegram:TOKEN@CHAT, wecom:URL, webhook:URL), the event names
 * notify_events may list, and a rule's expire = YYYY-MM-DD. Parsing only:
 * sending is lib/notify's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"
#include "util.h"

static const char *const events[] = {
	"quota_80", "quota_95", "quota_100", "quota_stop", "quota_throttle", "quota_resume",
	"backend_down", "backend_up", "failover", "limit", "bind_failed", "cert_expiry",
	"expire_soon", "expired", "report", NULL
};

const char *const *
store_notify_events(void)
{
	return events;
}

int
store_notify_event_known(const char *ev)
{
	size_t i;

	for (i = 0; events[i]; i++)
		if (strcmp(events[i], ev) == 0)
			return 1;
	return 0;
}

/* https://HOST[:PORT][/PATH] (or http://): printable, no spaces, quotes or commas */
static int
url_check(const char *u, const char *kind, char *err)
{
	const char *host, *p;

	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else {
		snprintf(err, ERRLEN, "%s: the address must start with https:// (write %s:https://HOST/PATH)", kind,
		    kind);
		return -1;
	}
	if (!*host || *host == '/' || *host == ':') {
		snprintf(err, ERRLEN, "%s: the address has no host name (write %s:https://HOST/PATH)", kind, kind);
		return -1;
	}
	for (p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\' || *p == ',' || *p == '#') {
			snprintf(err, ERRLEN, "%s: the address holds a space, a control character or one of \" \\ , # "
			    "(write such characters as %%XX)", kind);
			return -1;
		}
	return 0;
}

static int
token_check(const char *tok, char *err)
{
	const char *p = tok;

	while (isdigit((unsigned char)*p))
		p++;
	if (p == tok || *p != ':' || !p[1])
		goto bad;
	for (p++; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			goto bad;
	return 0;
bad:
	snprintf(err, ERRLEN, "telegram: the bot token is digits, ':' and letters, as BotFather gives it "
	    "(write telegram:123456789:AAH...@CHAT_ID)");
	return -1;
}

static int
chat_check(const char *chat, char *err)
{
	const char *p = chat;

	if (*p == '@') {   /* a public channel's @name */
		for (p++; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				break;
		if (!*p && strlen(chat) > 1)
			return 0;
	} else {
		if (*p == '-')
			p++;
		while (isdigit((unsigned char)*p))
			p++;
		if (!*p && p > chat && isdigit((unsigned char)p[-1]))
			return 0;
	}
	snprintf(err, ERRLEN, "telegram: the chat id is a number (-100... for a group) or a channel's @name, not "
	    "'%.60s' (write telegram:TOKEN@123456789)", chat);
	return -1;
}

int
store_notify_parse(const char *s, struct store_notify_target *t, char *err)
{
	const char *at;

	memset(t, 0, sizeof(*t));
	if (strncmp(s, "telegram:", 9) == 0) {
		t->kind = NOTIFY_TELEGRAM;
		s += 9;
		if (!(at = strchr(s, '@')) || (size_t)(at - s) >= sizeof(t->token)) {
			snprintf(err, ERRLEN, "telegram: write telegram:BOT_TOKEN@CHAT_ID (the token from BotFather, "
			    "then @ and the chat's id)");
			return -1;
		}
		memcpy(t->token, s, (size_t)(at - s));
		if (token_check(t->token, err) < 0)
			return -1;
		if (str_copy(t->chat, sizeof(t->chat), at + 1) < 0) {
			snprintf(err, ERRLEN, "telegram: the chat id is too long");
			return -1;
		}
		return chat_check(t->chat, err);
	}
	if (strncmp(s, "wecom:", 6) == 0 || strncmp(s, "webhook:", 8) == 0) {
		t->kind = s[1] == 'e' && s[2] == 'c' ? NOTIFY_WECOM : NOTIFY_WEBHOOK;
		s = strchr(s, ':') + 1;
		if (str_copy(t->url, sizeof(t->url), s) < 0) {
			snprintf(err, ERRLEN, "%s: the address is too long", t->kind == NOTIFY_WECOM ? "wecom" : "webhook");
			return -1;
		}
		return url_check(t->url, t->kind == NOTIFY_WECOM ? "wecom" : "webhook", err);
	}
	snprintf(err, ERRLEN, "'%.40s' is not a notification target: write telegram:BOT_TOKEN@CHAT_ID, "
	    "wecom:https://... (the group robot's webhook) or webhook:https://...", s);
	return -1;
}

int
store_notify_list(const char *list, struct store_notify_target *v, size_t max, size_t *n, char *err)
{
	char buf[STORE_NOTIFY_LEN], *save = NULL, *tok;

	*n = 0;
	if (str_copy(buf, sizeof(buf), list) < 0) {
		snprintf(err, ERRLEN, "notify: the list is too long (at most %d characters)", STORE_NOTIFY_LEN - 1);
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct store_notify_target t;

		tok = str_trim(tok);
		if (!*tok)
			continue;
		if (str_ieq(tok, "off") || str_ieq(tok, "none"))
			continue;   /* a rule's "notify = off": no target, the global list is not used */
		if (*n >= max) {
			snprintf(err, ERRLEN, "notify: at most %zu targets", max);
			return -1;
		}
		if (store_notify_parse(tok, &t, err) < 0)
			return -1;
		if (v)
			v[*n] = t;
		(*n)++;
	}
	return 0;
}

int
store_notify_list_check(const char *list, int insecure_http, char *err)
{
	struct store_notify_target v[STORE_NOTIFY_MAX];
	size_t n, i;

	if (store_notify_list(list, v, STORE_NOTIFY_MAX, &n, err) < 0)
		return -1;
	for (i = 0; i < n && !insecure_http; i++)
		if (strncmp(v[i].url, "http://", 7) == 0) {
			snprintf(err, ERRLEN, "notify: %.100s is plain http (anyone on the way reads and changes it): write "
			    "https://, or set notify_insecure_http = yes for a test server", v[i].url);
			return -1;
		}
	return 0;
}

int
store_notify_events_check(const char *list, char *err)
{
	char buf[512], *save = NULL, *tok;

	if (str_copy(buf, sizeof(buf), list) < 0) {
		snprintf(err, ERRLEN, "notify_events is too long");
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok && strcmp(tok, "all") != 0 && !store_notify_event_known(tok)) {
			snprintf(err, ERRLEN, "notify_events: '%.40s' is not an event (write all, or names from: quota_80, "
			    "quota_95, quota_100, quota_stop, quota_throttle, quota_resume, backend_down, backend_up, "
			    "failover, limit, bind_failed, cert_expiry, expire_soon, expired, report)", tok);
			return -1;
		}
	}
	return 0;
}

int
store_notify_wants(const char *list, const char *event)
{
	size_t n = strlen(event);
	const char *p = list;

	if (!*list)
		return 1;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if ((strncmp(p, "all", 3) == 0 && (!p[3] || p[3] == ',' || p[3] == ' ')) ||
		    (strncmp(p, event, n) == 0 && (!p[n] || p[n] == ',' || p[n] == ' ')))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

void
store_notify_validate(struct parse_ctx *c, const char *list, int line, const char *rule)
{
	const struct store_global *g = &c->st->g;
	char err[ERRLEN];

	if (store_notify_list_check(list, g->notify_insecure_http, err) < 0)
		store_diag_add(c->d, line, 1, "%s%s%s%s", rule ? "rule '" : "", rule ? rule : "", rule ? "': " : "", err);
	if (rule)
		return;
	if (strncmp(g->telegram_api, "http://", 7) == 0 && !g->notify_insecure_http)
		store_diag_add(c->d, c->telegram_api_line ? c->telegram_api_line : c->global_line, 1, "telegram_api %.100s is plain http: write https://, or set "
		    "notify_insecure_http = yes for a test server", g->telegram_api);
}

int
store_fn_notify_ca(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;

	if (v[0] != '/') {
		snprintf(err, ERRLEN, "notify_ca must be an absolute path (a PEM file of CA certificates), not '%.100s'", v);
		return -1;
	}
	if (access(v, R_OK) < 0) {
		snprintf(err, ERRLEN, "notify_ca %.100s cannot be read: write the path of a PEM file of CA "
		    "certificates, or remove the key to trust the system's", v);
		return -1;
	}
	if (str_copy(g->notify_ca, sizeof(g->notify_ca), v) < 0) {
		snprintf(err, ERRLEN, "notify_ca is too long (at most %zu characters)", sizeof(g->notify_ca) - 1);
		return -1;
	}
	return 0;
}

/* ---- key handlers (store.c's tables) ---- */

int
store_fn_notify(const char *v, char *dst, size_t size, char *err)
{
	size_t n;

	if (strlen(v) >= size) {
		snprintf(err, ERRLEN, "notify is too long (at most %zu characters)", size - 1);
		return -1;
	}
	if (store_notify_list(v, NULL, STORE_NOTIFY_MAX, &n, err) < 0)
		return -1;
	strcpy(dst, v);
	return 0;
}

int
store_fn_notify_events(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;

	if (store_notify_events_check(v, err) < 0)
		return -1;
	return str_copy(g->notify_events, sizeof(g->notify_events), v) < 0 ? -1 : 0;
}

int
store_fn_http_url(const char *v, char *dst, size_t size, const char *key, char *err)
{
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
		snprintf(err, ERRLEN, "%s must start with https://, not '%.60s'", key, v);
		return -1;
	}
	if (url_check(v, key, err) < 0)
		return -1;
	if (str_copy(dst, size, v) < 0) {
		snprintf(err, ERRLEN, "%s is too long (at most %zu characters)", key, size - 1);
		return -1;
	}
	return 0;
}

int
store_fn_notify_report(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;
	long ms;

	if (parse_duration_ms(v, &ms) < 0 || (ms && (ms < 60000 || ms > 86400000L))) {
		snprintf(err, ERRLEN, "notify_report must be from 1m to 24h (e.g. 1h), or 0 for none; not '%.40s'", v);
		return -1;
	}
	g->notify_report = ms;
	return 0;
}

int
store_fn_expire(const char *v, void *obj, char *err)
{
	struct store_rule *r = obj;

	if (str_ieq(v, "off") || str_ieq(v, "never")) {
		r->expire = 0;
		return 0;
	}
	return store_parse_date_end(v, &r->expire, err);
}

int
store_fn_gnotify(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;

	return store_fn_notify(v, g->notify, sizeof(g->notify), err);
}

int
store_fn_telegram_api(const char *v, void *obj, char *err)
{
	struct store_global *g = obj;

	return store_fn_http_url(v, g->telegram_api, sizeof(g->telegram_api), "telegram_api", err);
}

/* YYYY-MM-DD: the end of that day, local time (the first second of the next) */
int
store_parse_date_end(const char *v, int64_t *out, char *err)
{
	struct tm tm;
	int y, m, d, len = 0;
	time_t t;

	if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &len) != 3 || v[len] || len != 10 || y < 2000 || y > 2200 ||
	    m < 1 || m > 12 || d < 1 || d > 31) {
		snprintf(err, ERRLEN, "expire must be a date as YYYY-MM-DD (e.g. 2027-01-31), or off; not '%.40s'", v);
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1 || tm.tm_mday != d) {   /* 2027-02-30 becomes March */
		snprintf(err, ERRLEN, "expire: %.40s is not a day of that month (write YYYY-MM-DD)", v);
		return -1;
	}
	tm.tm_mday = d + 1;   /* mktime carries the 32nd into the next month */
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	*out = (int64_t)t;
	return 0;
}
