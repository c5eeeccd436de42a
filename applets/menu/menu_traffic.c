/*
 * menu_traffic: the traffic screen. Every rule's billing cycle (billed by
 * its mode, quota, percent, state, next reset) and display counts, read
 * from a child `xwpf status --traffic --json`; a rule's detail split by
 * TCP/UDP and IPv4/IPv6; its display counts or its billing cycle reset
 * (after a confirmation) through a child `xwpf status --reset NAME` or
 * `--reset-cycle NAME`, which takes the ledger's lock; its quota, limits
 * and expiry, and the notification targets (menu_notify.c). The menu never
 * reads or writes the ledger itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "menu.h"
#include "util.h"

static uint64_t
num(const struct json_val *o, const char *key)
{
	double v = json_get_num(o, key, 0);

	return v > 0 ? (uint64_t)v : 0;
}

static char *
bytes(const struct json_val *o, const char *key, char *buf, size_t size)
{
	return fmt_bytes(buf, size, num(o, key));
}

/* "2026-12-01T00:00:00+08:00" -> "2026-12-01" (n = 10) or "2026-12-01 00:00" (n = 16) */
static char *
local_date(const struct json_val *o, const char *key, size_t n, char *buf, size_t size)
{
	const char *s = json_get_str(o, key);

	snprintf(buf, size, "%.*s", (int)n, s && *s ? s : "-");
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
	return buf;
}

static const char *
name_of(const struct json_val *r)
{
	const char *n = json_get_str(r, "name");

	return n ? n : "?";
}

/* ok, stopped, or throttled with the rate (quota_rate is bytes/s; shown in Mbit/s) */
static const char *
state_text(const struct json_val *r, char *buf, size_t size)
{
	const char *st = json_get_str(r, "quota_state");

	if (!st || strcmp(st, "ok") == 0)
		return TR("ok", "正常");
	if (strcmp(st, "stopped") == 0)
		return TR("stopped (quota reached)", "已停止（超出配额）");
	if (strcmp(st, "expired") == 0)
		return TR("expired (renew: quota, limits, expiry)", "已到期（续期：配额、限制、到期）");
	if (strcmp(st, "throttled") == 0)
		snprintf(buf, size, TR("throttled to %.3g Mbit/s (quota reached)", "已限速至 %.3g Mbit/s（超出配额）"),
		    json_get_num(r, "quota_rate", 0) * 8 / 1e6);
	else
		snprintf(buf, size, "%s", st);
	return buf;
}

static const char *
billing_text(const char *b)
{
	if (b && strcmp(b, "in") == 0)
		return TR("in only", "仅入站");
	if (b && strcmp(b, "out") == 0)
		return TR("out only", "仅出站");
	if (b && strcmp(b, "max") == 0)
		return TR("the larger of in and out", "入站与出站取大");
	if (b && strcmp(b, "double") == 0)
		return TR("in + out, twice (both legs)", "(入站 + 出站) x 2（双向计两次）");
	return TR("in + out", "入站 + 出站");
}

/* "billed 3.0 GiB of 10.0 GiB (30.0%)" or "billed 3.0 GiB, no quota" */
static void
usage_text(const struct json_val *r, char *buf, size_t size)
{
	const struct json_val *c = json_get(r, "cycle");
	char b[32], q[32];

	if (num(r, "quota"))
		snprintf(buf, size, TR("billed %s of %s (%.1f%%)", "已计费 %s / %s（%.1f%%）"), bytes(c, "billed", b,
		    sizeof(b)), bytes(r, "quota", q, sizeof(q)), (double)(long)(json_get_num(r, "quota_percent", 0) * 10) / 10);
	else
		snprintf(buf, size, TR("billed %s, no quota", "已计费 %s，无配额"), bytes(c, "billed", b, sizeof(b)));
}

static void
print_split(const char *title, const struct json_val *c)
{
	static const char *const pr[] = { "tcp", "udp" }, *const fa[] = { "v4", "v6" };
	char a[32], b[32];
	int p, f;

	printf("  %s%-14s %12s %12s%s\n", menu_c(C_BOLD), title, TR("in", "入站"), TR("out", "出站"), menu_c(C_RESET));
	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++) {
			const struct json_val *x = json_get(json_get(c, pr[p]), fa[f]);

			printf("    %s IPv%c      %12s %12s\n", p ? "UDP" : "TCP", f ? '6' : '4', bytes(x, "in", a, sizeof(a)),
			    bytes(x, "out", b, sizeof(b)));
		}
	printf("    %-12s %12s %12s\n", TR("total", "合计"), bytes(c, "in", a, sizeof(a)), bytes(c, "out", b, sizeof(b)));
	printf("    %-12s %12llu\n", TR("connections", "连接数"), (unsigned long long)num(c, "conns"));
}

static void
detail(const struct json_val *r)
{
	const struct json_val *c = json_get(r, "cycle"), *d = json_get(r, "display");
	char u[160], s[32], n[32], q[32], st[80];

	printf("  %s%s%s%s\n", menu_c(C_BOLD), name_of(r), menu_c(C_RESET),
	    json_get_num(r, "in_store", 1) ? "" : TR(" (removed from the store)", "（已从规则中删除）"));
	printf("  %s%s%s, %s %.0f", TR("billing", "计费方式"), MENU_COLON, billing_text(json_get_str(r, "billing")),
	    TR("reset day", "每月重置日"), json_get_num(r, "reset_day", 1));
	if (num(r, "quota"))
		printf(", %s %s\n", TR("quota", "配额"), bytes(r, "quota", q, sizeof(q)));
	else
		printf(", %s\n", TR("no quota", "无配额"));
	printf("  %s %s, %s %s\n", TR("cycle from", "本周期起始"), local_date(c, "start_local", 16, s, sizeof(s)),
	    TR("next reset", "下次重置"), local_date(c, "next_reset_local", 16, n, sizeof(n)));
	print_split(TR("this cycle", "本周期"), c);
	usage_text(r, u, sizeof(u));
	printf("  %s%s%s\n", u, MENU_COLON, state_text(r, st, sizeof(st)));
	printf("  %s %s\n", TR("last cycle billed", "上周期计费"), bytes(c, "last_cycle_billed", q, sizeof(q)));
	printf("  %s %s\n", TR("display counts since", "显示计数起始"), json_get_num(r, "counted", 0) ?
	    local_date(d, "since_local", 16, s, sizeof(s)) : TR("(nothing counted yet)", "（尚无流量）"));
	print_split(TR("display", "显示计数"), d);
}

static void
reset_display(const char *name, int cycle)
{
	char q[240];
	const char *a[] = { "status", cycle ? "--reset-cycle" : "--reset", name, NULL };

	if (cycle)
		snprintf(q, sizeof(q), TR("Start a new billing cycle of %s now? Its quota counts from zero (a stopped rule "
		    "forwards again); the next reset stays on its day", "现在为 %s 开始新的计费周期？配额从零计算（已停止的规则恢复转发）；"
		    "下次重置日不变"), name);
	else
		snprintf(q, sizeof(q), TR("Reset the display counts of %s? The billing cycle and its quota stay as they are",
		    "重置 %s 的显示计数？计费周期与配额不受影响"), name);
	if (!menu_yes(q, 0))
		return;
	if (menu_run(a) != 0)
		menu_err("%s", TR("the reset failed: see the message above", "重置失败：见上方信息"));
}

void
menu_traffic(void)
{
	for (;;) {
		const char *a[] = { "status", "--traffic", "--all", "--json", NULL };
		const struct json_val *rules, *r = NULL;
		struct json_val *j = NULL;
		char *out = NULL, u[160], nx[32], in[32], ou[32], stb[80];
		int n = 0, c;
		size_t k;

		menu_title(TR("Traffic", "流量统计"));
		if (!menu_has_applet("status")) {
			menu_note("%s", TR("status is not in this build", "此版本不包含 status"));
			return;
		}
		if (menu_capture(a, 0, &out) != 0 || !(j = menu_json_parse(out))) {
			menu_err("%s", TR("cannot read the traffic ledger: see the message above",
			    "无法读取流量记录：见上方信息"));
			free(out);
			json_free(j);
			menu_pause();
			return;
		}
		free(out);
		printf("  %s%s%s\n", menu_c(C_DIM), TR("sizes in binary units (1 KiB = 1024 bytes), dates in local time",
		    "单位为二进制（1 KiB = 1024 字节），日期为本地时间"), menu_c(C_RESET));
		rules = json_get(j, "rules");
		for (k = 0; rules && k < rules->n; k++) {
			const char *st;

			r = rules->v[k];
			st = json_get_str(r, "quota_state");
			int bad = st && strcmp(st, "ok") != 0;

			usage_text(r, u, sizeof(u));
			printf("%2d. %s%s%s%s  %s  %s%s%s\n      %s %s  %s %s/%s\n", ++n, menu_c(C_BOLD),
			    name_of(r), menu_c(C_RESET), json_get_num(r, "in_store", 1) ? "" :
			    TR(" (removed)", "（已删除）"), u, bad ? menu_c(C_RED) : menu_c(C_GREEN),
			    state_text(r, stb, sizeof(stb)), menu_c(C_RESET), TR("next reset", "下次重置"),
			    local_date(json_get(r, "cycle"), "next_reset_local", 10, nx, sizeof(nx)),
			    TR("display in/out", "显示计数 入/出"), bytes(json_get(r, "display"), "in", in, sizeof(in)),
			    bytes(json_get(r, "display"), "out", ou, sizeof(ou)));
		}
		if (!n)
			menu_note("%s", TR("no rules yet: add one first", "还没有规则：请先添加"));
		printf("%2d. %s%s%s\n", n + 1, menu_c(C_CYAN), TR("notifications: Telegram, WeCom, webhooks",
		    "通知：Telegram、企业微信、Webhook"), menu_c(C_RESET));
		c = menu_choice(TR("Rule to look at (0: back)", "查看哪条规则（0 返回）"), 0, n + 1, -1);
		r = c > 0 && rules && (size_t)c <= rules->n ? rules->v[c - 1] : NULL;
		if (c == n + 1) {
			json_free(j);
			menu_notify();
			continue;
		}
		if (c <= 0 || !r) {
			json_free(j);
			return;
		}
		printf("\n");
		detail(r);
		printf("\n 1. %s\n 2. %s\n", TR("reset its display counts", "重置其显示计数"),
		    TR("start a new billing cycle now", "立即开始新的计费周期"));
		if (json_get_num(r, "in_store", 1))
			printf(" 3. %s\n", TR("quota, limits, expiry, allow/deny, notifications",
			    "配额、限制、到期、允许/拒绝、通知"));
		printf(" 0. %s\n", TR("back", "返回"));
		c = menu_choice(TR("Choose", "请选择"), 0, json_get_num(r, "in_store", 1) ? 3 : 2, 0);
		if (c >= 1) {
			char name[STORE_NAME_MAX + 1];

			snprintf(name, sizeof(name), "%s", name_of(r));
			json_free(j);
			if (c == 3)
				menu_rule_limits(name);
			else
				reset_display(name, c == 2);
			continue;
		}
		json_free(j);
	}
}
