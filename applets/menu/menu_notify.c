/*
 * menu_notify: from the traffic screen, the notification targets of
 * [global] (add one, send it a test message, remove one, the server's name
 * in messages) and one rule's quota, limits, expiry, allow/deny lists and
 * notification targets. Every change goes through a child `xwpf config set`
 * or `xwpf rule set` (validated there, atomic), then the running relay
 * reloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"
#include "menu.h"
#include "notify.h"
#include "util.h"

/* Save KEY=VALUE: [global] when rule is NULL. 0 saved, -1 refused (the child said why). */
static int
save(const char *rule, const char *key, const char *value)
{
	char kv[STORE_NOTIFY_LEN + 64];
	const char *cfg[] = { "config", "set", kv, NULL }, *rs[] = { "rule", "set", rule, kv, NULL };

	snprintf(kv, sizeof(kv), "%s=%s", key, value);
	if (menu_run(rule ? rs : cfg) != 0) {
		menu_err("%s", TR("not saved: see the message above", "未保存：见上方信息"));
		return -1;
	}
	menu_after_change();
	return 0;
}

static void
test_target(const char *target)
{
	const char *a[] = { "notify", "--test", target, NULL }, *all[] = { "notify", "--test", NULL };

	printf("%s\n", TR("sending a test message ...", "正在发送测试消息……"));
	if (menu_run(target ? a : all) == 0)
		menu_note("%s", TR("delivered: check the chat", "已送达：请查看聊天窗口"));
	else
		menu_err("%s", TR("not delivered: the reply is above", "未送达：回复见上方"));
}

/* A new target from prompts, into out. 0, or MENU_BACK. */
static int
ask_target(char *out, size_t size)
{
	char a[512], b[256];
	int c;

	printf(" 1. Telegram\n 2. %s\n 3. %s\n 0. %s\n", TR("WeCom group robot", "企业微信群机器人"),
	    TR("webhook (JSON POST)", "Webhook（JSON POST）"), TR("back", "返回"));
	if ((c = menu_choice(TR("Kind", "类型"), 0, 3, -1)) <= 0)
		return MENU_BACK;
	if (c == 1) {
		if (menu_ask(TR("Bot token (from @BotFather, 123456789:AAH...)", "机器人 token（@BotFather 提供，123456789:AAH...）"),
		    NULL, 1, a, sizeof(a)) == MENU_BACK ||
		    menu_ask(TR("Chat id (a number; a group's starts with -100)", "聊天 ID（数字；群组以 -100 开头）"), NULL, 1, b,
		    sizeof(b)) == MENU_BACK)
			return MENU_BACK;
		snprintf(out, size, "telegram:%s@%s", a, b);
	} else {
		if (menu_ask(c == 2 ? TR("The robot's webhook address (https://...)", "机器人的 Webhook 地址（https://...）") :
		    TR("Address (https://...)", "地址（https://...）"), NULL, 1, a, sizeof(a)) == MENU_BACK)
			return MENU_BACK;
		snprintf(out, size, "%s:%s", c == 2 ? "wecom" : "webhook", a);
	}
	return 0;
}

/* The list without its I-th target (0-based), into out. */
static void
list_without(const struct store_notify_target *t, size_t n, size_t skip, char *out, size_t size)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		if (t[i].kind == NOTIFY_TELEGRAM)
			len += (size_t)snprintf(out + len, size - len, "%stelegram:%s@%s", len ? ", " : "", t[i].token,
			    t[i].chat);
		else
			len += (size_t)snprintf(out + len, size - len, "%s%s:%s", len ? ", " : "",
			    t[i].kind == NOTIFY_WECOM ? "wecom" : "webhook", t[i].url);
		if (len >= size)
			len = size - 1;
	}
}

void
menu_notify(void)
{
	for (;;) {
		struct store_notify_target t[STORE_NOTIFY_MAX];
		char err[ERRLEN], name[160], nt[STORE_NOTIFY_LEN], list[STORE_NOTIFY_LEN * 2];
		size_t n = 0, i;
		int c;

		menu_title(TR("Notifications", "通知"));
		if (menu_store_load() < 0)
			return;
		if (store_notify_list(menu_st.g.notify, t, STORE_NOTIFY_MAX, &n, err) < 0)
			n = 0;
		printf("  %s%s%s\n", TR("events go to", "事件发送到"), MENU_COLON, n ? "" : TR("nowhere yet", "尚未设置"));
		for (i = 0; i < n; i++)
			printf("    %zu) %s\n", i + 1, notify_target_name(&t[i], name, sizeof(name)));
		printf("  %s%s%s\n", TR("server name in messages", "消息中的服务器名"), MENU_COLON,
		    *menu_st.g.server_name ? menu_st.g.server_name : TR("(the host name)", "（主机名）"));
		printf("\n 1. %s\n 2. %s\n 3. %s\n 4. %s\n 0. %s\n", TR("add a target", "添加通知目标"),
		    TR("send a test message to every target", "向所有目标发送测试消息"), TR("remove a target", "删除通知目标"),
		    TR("set the server name", "设置服务器名"), TR("back", "返回"));
		c = menu_choice(TR("Choose", "请选择"), 0, 4, -1);
		if (c <= 0)
			return;
		if (c == 1 && ask_target(nt, sizeof(nt)) == 0) {
			snprintf(list, sizeof(list), "%s%s%s", menu_st.g.notify, *menu_st.g.notify ? ", " : "", nt);
			if (save(NULL, "notify", list) == 0 && menu_yes(TR("Send it a test message now?", "现在发送测试消息？"), 1))
				test_target(nt);
		} else if (c == 2 && n)
			test_target(NULL);
		else if (c == 3 && n) {
			int k = menu_choice(TR("Target to remove (0: back)", "删除哪个目标（0 返回）"), 0, (int)n, -1);

			if (k > 0) {
				list_without(t, n, (size_t)k - 1, list, sizeof(list));
				save(NULL, "notify", list);
			}
		} else if (c == 4 && menu_ask(TR("Server name (Enter: the host name)", "服务器名（回车：主机名）"), "", 1, nt,
		    sizeof(nt)) != MENU_BACK)
			save(NULL, "server_name", nt);
		else if (c == 2 || c == 3)
			menu_note("%s", TR("no target yet: add one first", "还没有通知目标：请先添加"));
	}
}

/* ---- one rule's quota, limits, expiry, lists and targets ---- */

struct field {
	const char *key, *en, *zh, *hint_en, *hint_zh;
};

static const struct field fields[] = {
	{ "quota", "quota per billing cycle", "每周期配额", "e.g. 500G; 0 = none", "如 500G；0 = 无" },
	{ "quota_action", "at the quota", "超出配额时", "stop | throttle", "stop（停止）| throttle（限速）" },
	{ "quota_rate", "rate when throttled", "限速速率", "e.g. 10mbit", "如 10mbit" },
	{ "billing", "billing", "计费方式", "both | in | out | max | double", "both | in | out | max | double" },
	{ "reset_day", "reset day", "每月重置日", "1-31", "1-31" },
	{ "rate_in", "bandwidth in (client to remote)", "入站带宽", "e.g. 100mbit; 0 = unlimited", "如 100mbit；0 = 不限" },
	{ "rate_out", "bandwidth out", "出站带宽", "e.g. 100mbit; 0 = unlimited", "如 100mbit；0 = 不限" },
	{ "conn_rate", "bandwidth per connection", "每连接带宽", "e.g. 20mbit; 0 = unlimited", "如 20mbit；0 = 不限" },
	{ "max_conns", "connections at most", "最大连接数", "0 = unlimited", "0 = 不限" },
	{ "max_conns_per_src", "connections per client", "每客户端连接数", "0 = unlimited", "0 = 不限" },
	{ "expire", "expires", "到期日", "YYYY-MM-DD, off", "YYYY-MM-DD，off = 不到期" },
	{ "allow", "allowed clients", "允许的客户端", "CIDRs, comma-separated", "CIDR，逗号分隔" },
	{ "deny", "denied clients", "拒绝的客户端", "CIDRs, comma-separated", "CIDR，逗号分隔" },
	{ "notify", "notification targets", "通知目标", "telegram:TOKEN@CHAT, ...; off; empty = [global]'s",
	  "telegram:TOKEN@CHAT, ...；off = 不通知；空 = 全局设置" },
};

/* A rule's targets as the screen shows them: no token, no webhook key. */
static const char *
hidden(const char *list, char *out, size_t size)
{
	struct store_notify_target t[STORE_NOTIFY_MAX];
	char err[ERRLEN], name[160];
	size_t n = 0, i, len = 0;

	if (store_notify_list(list, t, STORE_NOTIFY_MAX, &n, err) < 0 || !n)
		return list;   /* "", off */
	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "", notify_target_name(&t[i], name,
		    sizeof(name)));
	return out;
}

/* The current value as the store holds it, for the list. */
static void
current(const struct store_rule *r, const char *key, char *buf, size_t size)
{
	char b[32];

	buf[0] = '\0';
	if (strcmp(key, "quota") == 0)
		snprintf(buf, size, "%s", r->quota ? fmt_bytes(b, sizeof(b), r->quota) : "-");
	else if (strcmp(key, "quota_action") == 0)
		snprintf(buf, size, "%s", r->quota_action == QUOTA_THROTTLE ? "throttle" : "stop");
	else if (strcmp(key, "quota_rate") == 0 || strcmp(key, "rate_in") == 0 || strcmp(key, "rate_out") == 0 ||
	    strcmp(key, "conn_rate") == 0) {
		uint64_t v = key[0] == 'q' ? r->quota_rate : strcmp(key, "rate_in") == 0 ? r->rate_in :
		    strcmp(key, "rate_out") == 0 ? r->rate_out : r->conn_rate;

		if (v)
			snprintf(buf, size, "%.3g Mbit/s", (double)v * 8 / 1e6);
		else
			snprintf(buf, size, "-");
	} else if (strcmp(key, "billing") == 0)
		snprintf(buf, size, "%s", r->billing < 0 ? TR("([global]'s)", "（全局）") : billing_name((enum billing)r->billing));
	else if (strcmp(key, "reset_day") == 0)
	{
		if (r->reset_day > 0)
			snprintf(buf, size, "%ld", r->reset_day);
		else
			snprintf(buf, size, "%s", TR("([global]'s)", "（全局）"));
	}
	else if (strcmp(key, "max_conns") == 0 || strcmp(key, "max_conns_per_src") == 0)
		snprintf(buf, size, "%ld", key[9] ? r->max_conns_per_src : r->max_conns);
	else if (strcmp(key, "expire") == 0 && r->expire) {
		time_t t = (time_t)(r->expire - 1);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(buf, size, "%Y-%m-%d", &tm);
		if (time(NULL) >= r->expire)
			snprintf(buf + strlen(buf), size - strlen(buf), " (%s)", TR("expired", "已到期"));
	} else if (strcmp(key, "allow") == 0 || strcmp(key, "deny") == 0 || strcmp(key, "notify") == 0) {
		const char *v = key[0] == 'a' ? r->allow : key[0] == 'd' ? r->deny : r->notify;
		char shown[STORE_NOTIFY_LEN];

		if (key[0] == 'n')
			v = hidden(v, shown, sizeof(shown));
		snprintf(buf, size, "%.60s%s", *v ? v : "-", strlen(v) > 60 ? "..." : "");
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

/* Edit one rule's limits; each change saved at once. */
void
menu_rule_limits(const char *name)
{
	for (;;) {
		const struct store_rule *r;
		char cur[128], v[STORE_NOTIFY_LEN], q[200];
		size_t i;
		int c;

		if (menu_store_load() < 0 || !(r = store_find(&menu_st, name))) {
			menu_err("%s", TR("the rule is not in the store any more", "规则已不在配置中"));
			return;
		}
		menu_title(TR("Quota, limits, expiry", "配额、限制、到期"));
		printf("  %s%s%s\n", menu_c(C_BOLD), r->name, menu_c(C_RESET));
		for (i = 0; i < ARRAY_SIZE(fields); i++) {
			current(r, fields[i].key, cur, sizeof(cur));
			printf("%2zu. %-32s %s\n", i + 1, TR(fields[i].en, fields[i].zh), cur);
		}
		printf(" 0. %s\n", TR("back", "返回"));
		c = menu_choice(TR("Change which (0: back)", "修改哪一项（0 返回）"), 0, (int)ARRAY_SIZE(fields), -1);
		if (c <= 0)
			return;
		snprintf(q, sizeof(q), "%s (%s; %s)", TR(fields[c - 1].en, fields[c - 1].zh),
		    TR(fields[c - 1].hint_en, fields[c - 1].hint_zh), TR("-: the default", "-：恢复默认"));
		if (menu_ask(q, NULL, 1, v, sizeof(v)) == MENU_BACK)
			continue;
		save(name, fields[c - 1].key, strcmp(v, "-") == 0 ? "" : v);
	}
}
