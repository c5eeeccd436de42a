/*
 * The text of a notification: short, one line an event, naming the server,
 * the rule, the event and its figures, in English or Chinese; and the
 * event's fields as JSON for webhooks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "notify.h"
#include "text.h"
#include "util.h"

unsigned long long
notify_detail_num(const char *detail, const char *key)
{
	size_t n = strlen(key);
	const char *p = detail;

	while (p && *p) {
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return strtoull(p + n + 1, NULL, 10);
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static const char *
ordinal(int d)
{
	if (d % 10 == 1 && d != 11)
		return "st";
	if (d % 10 == 2 && d != 12)
		return "nd";
	if (d % 10 == 3 && d != 13)
		return "rd";
	return "th";
}

struct texts {
	const char *event;
	const char *en, *zh;   /* %1$s server, %2$s rule, %3$s backend, %4$s detail */
};

/* events without figures */
static const struct texts plain[] = {
	{ "quota_resume", "%1$s: %2$s: back to full service", "%1$s: 规则 %2$s: 已恢复正常转发" },
	{ "backend_down", "%1$s: %2$s: backend %3$s is down", "%1$s: 规则 %2$s: 后端 %3$s 不可用" },
	{ "backend_up", "%1$s: %2$s: backend %3$s is up again", "%1$s: 规则 %2$s: 后端 %3$s 已恢复" },
	{ "failover", "%1$s: %2$s: failover, now using %3$s", "%1$s: 规则 %2$s: 故障转移, 现在使用 %3$s" },
	{ "limit", "%1$s: %2$s: connections refused by a limit (%4$s)", "%1$s: 规则 %2$s: 连接被限制拒绝 (%4$s)" },
	{ "bind_failed", "%1$s: %2$s: cannot listen (%4$s)", "%1$s: 规则 %2$s: 无法监听 (%4$s)" },
	{ "cert_expiry", "%1$s: %2$s: certificate %4$s", "%1$s: 规则 %2$s: 证书 %4$s" },
	{ "expire_soon", "%1$s: %2$s: the rule %4$s; renew: xwpf rule set %2$s expire=YYYY-MM-DD",
	  "%1$s: 规则 %2$s: %4$s; 续期: xwpf rule set %2$s expire=YYYY-MM-DD" },
	{ "expired", "%1$s: %2$s: expired, forwarding stopped; renew: xwpf rule set %2$s expire=YYYY-MM-DD",
	  "%1$s: 规则 %2$s: 已到期, 转发已停止; 续期: xwpf rule set %2$s expire=YYYY-MM-DD" },
	{ "test", "%1$s: a test message from xwpf: notifications reach this chat", "%1$s: xwpf 测试消息: 通知可以送达" },
};

static char *
quota_text(char *buf, size_t size, const char *server, const char *rule, const struct notify_event *e, int zh)
{
	unsigned long long used = notify_detail_num(e->detail, "used"), quota = notify_detail_num(e->detail, "quota");
	char u[32], q[32], reset[64] = "";
	int pct = strcmp(e->event, "quota_80") == 0 ? 80 : strcmp(e->event, "quota_95") == 0 ? 95 : 100;

	fmt_bytes(u, sizeof(u), used);
	fmt_bytes(q, sizeof(q), quota);
	if (e->reset_day > 0)
		snprintf(reset, sizeof(reset), zh ? ", 每月 %d 日重置" : ", resets on the %d%s", e->reset_day,
		    zh ? "" : ordinal(e->reset_day));
	if (strncmp(e->event, "quota_", 6) == 0 && e->event[6] >= '0' && e->event[6] <= '9')
		snprintf(buf, size, zh ? "%s: 规则 %s: 已用 %d%% (%s / %s)%s" : "%s: %s: %d%% of %s used (%s)%s", server, rule,
		    pct, zh ? u : q, zh ? q : u, reset);
	else if (strcmp(e->event, "quota_stop") == 0)
		snprintf(buf, size, zh ? "%s: 规则 %s: 配额 %s 已用完 (%s), 转发已停止%s" :
		    "%s: %s: quota of %s reached (%s), forwarding stopped%s", server, rule, q, u, reset);
	else
		snprintf(buf, size, zh ? "%s: 规则 %s: 配额 %s 已用完 (%s), 已限速%s" :
		    "%s: %s: quota of %s reached (%s), throttled%s", server, rule, q, u, reset);
	return buf;
}

char *
notify_message(char *buf, size_t size, const char *server, const struct notify_event *e, int lang)
{
	char rule[96], backend[160], detail[240];
	size_t i;
	int zh = lang == NOTIFY_ZH;

	text_escape(e->rule ? e->rule : "", rule, sizeof(rule));
	text_escape(e->backend ? e->backend : "", backend, sizeof(backend));
	text_escape(e->detail ? e->detail : "", detail, sizeof(detail));
	if (strncmp(e->event, "quota_", 6) == 0 && strcmp(e->event, "quota_resume") != 0)
		return quota_text(buf, size, server, rule, e, zh);
	for (i = 0; i < ARRAY_SIZE(plain); i++)
		if (strcmp(plain[i].event, e->event) == 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(buf, size, zh ? plain[i].zh : plain[i].en, server, rule, backend, detail);
#pragma GCC diagnostic pop
			return buf;
		}
	snprintf(buf, size, "%s: %s: %s%s%s%s%s", server, rule, e->event, *backend ? " " : "", backend,
	    *detail ? ": " : "", detail);
	return buf;
}

char *
notify_event_json(char *buf, size_t size, const char *server, const struct notify_event *e)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int first = 1;

	buf[0] = '\0';
	if (!f)
		return buf;
	fputc('{', f);
	json_kv_str(f, &first, "server", server);
	json_kv_str(f, &first, "event", e->event);
	json_kv_str(f, &first, "rule", e->rule ? e->rule : "");
	json_kv_str(f, &first, "backend", e->backend ? e->backend : "");
	json_kv_str(f, &first, "detail", e->detail ? e->detail : "");
	if (e->detail && strstr(e->detail, "quota=")) {
		json_kv_num(f, &first, "used", (long long)notify_detail_num(e->detail, "used"));
		json_kv_num(f, &first, "quota", (long long)notify_detail_num(e->detail, "quota"));
	}
	if (e->reset_day > 0)
		json_kv_num(f, &first, "reset_day", e->reset_day);
	json_kv_num(f, &first, "time", (long long)time(NULL));
	fputc('}', f);
	if (fclose(f) == 0 && len < size)
		memcpy(buf, out, len + 1);
	free(out);
	return buf;
}

char *
notify_report_head(char *buf, size_t size, const char *server, int lang)
{
	snprintf(buf, size, lang == NOTIFY_ZH ? "%s 用量报告:" : "%s report:", server);
	return buf;
}

char *
notify_report_rule(char *buf, size_t size, const char *rule, uint64_t used, uint64_t quota, const char *state,
    int lang)
{
	static const struct { const char *state, *en, *zh; } st[] = {
		{ "stopped", ", stopped", ", 已停止" }, { "throttled", ", throttled", ", 已限速" },
		{ "expired", ", expired", ", 已到期" },
	};
	const char *s = "";
	char u[32], q[32];
	int zh = lang == NOTIFY_ZH;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(st); i++)
		if (strcmp(state, st[i].state) == 0)
			s = zh ? st[i].zh : st[i].en;
	fmt_bytes(u, sizeof(u), used);
	if (quota)
		snprintf(buf, size, zh ? "%s: 已用 %s / %s (%d%%)%s" : "%s: %s of %s (%d%%)%s", rule, u,
		    fmt_bytes(q, sizeof(q), quota), used / quota >= 10 ? 999 : (int)(used * 100 / quota), s);
	else
		snprintf(buf, size, zh ? "%s: 本周期 %s%s" : "%s: %s this cycle%s", rule, u, s);
	return buf;
}

char *
notify_report_tail(char *buf, size_t size, const struct notify_report_sum *f, int lang)
{
	char more[64] = "", down[64] = "";
	int zh = lang == NOTIFY_ZH;

	if (f->more)
		snprintf(more, sizeof(more), zh ? "另有 %zu 条规则未列出\n" : "%zu more rule%s not listed\n", f->more,
		    f->more == 1 ? "" : "s");
	if (f->down)
		snprintf(down, sizeof(down), zh ? ", %llu 个后端不可用" : ", %llu backend%s down", f->down,
		    f->down == 1 ? "" : "s");
	if (zh)
		snprintf(buf, size, "%s共 %zu 条规则, %llu 个连接%s, 已运行 %llu 小时; 通知: 已发送 %llu, 放弃 %llu, 丢弃 %llu",
		    more, f->rules, f->open, down, f->up_hours, f->sent, f->failed, f->dropped);
	else
		snprintf(buf, size, "%s%zu rule%s, %llu connection%s open%s, up %llu h; notifications: %llu sent, %llu "
		    "given up, %llu dropped", more, f->rules, f->rules == 1 ? "" : "s", f->open, f->open == 1 ? "" : "s",
		    down, f->up_hours, f->sent, f->failed, f->dropped);
	return buf;
}
