/*
 * menu: the interactive face of xwpf (`xwpf menu`, or `pf`), laid out like
 * xwPF's menus: a status block on top, then digits. It reads the store
 * through lib/store/store.h and changes everything through the other applets
 * run as children of the same binary, so there is one copy of each
 * piece of logic. Applets missing from this build are shown as such.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "menu.h"
#include "nl.h"
#include "paths.h"
#include "pidlock.h"
#include "util.h"

#ifndef XWPF_VERSION
#define XWPF_VERSION "0.0.0-dev"
#endif

/* The main menu's items, in their order: rules, the relay, traffic, tools,
 * system, the one that removes things last. Text that names an item takes
 * its number from here. */
enum {
	MAIN_RULES = 1, MAIN_ADD, MAIN_START, MAIN_STOP, MAIN_LOGS, MAIN_TRAFFIC, MAIN_REFRESH, MAIN_LINKTEST,
	MAIN_MPTCP, MAIN_MOVE, MAIN_LANG, MAIN_UNINSTALL
};

const char menu_usage[] =
    "usage: xwpf menu    (or: pf)\n"
    "\n"
    "The interactive menu: a status block (relay, rules, traffic, health), then\n"
    "digits for rules (add, edit, delete, on/off, load balancing, PROXY, MPTCP),\n"
    "transports (ws, tls, wss, for the relay and the exit side), start/stop,\n"
    "logs, link test, export/import, traffic (cycle usage, quotas, display\n"
    "reset) and uninstall. Every change goes through\n"
    "`xwpf rule ...`; Enter takes the default shown, 0 goes back, end of input\n"
    "or Ctrl-C leaves with nothing half-written.\n"
    "\n"
    "Chinese when LANG (or LC_ALL) starts with zh; colours on a terminal unless\n"
    "NO_COLOR is set. --root DIR (or XWPF_ROOT) works on the store under DIR.\n";

struct store menu_st;

int
menu_store_load(void)
{
	struct store_diags d = { 0 };
	char buf[600], zh[1200];
	size_t i;
	int rc;

	store_free(&menu_st);
	if (access(path_get(PATH_CONF), R_OK) < 0 && errno == EACCES) {
		menu_err(TR("cannot read %s: run the menu as root (sudo pf)", "无法读取 %s：请以 root 运行（sudo pf）"),
		    path_get(PATH_CONF));
		return -1;
	}
	rc = store_load(path_get(PATH_CONF), &menu_st, &d);
	menu_lang_apply(menu_st.g.lang);
	if (rc < 0) {
		menu_err(TR("the store does not validate; fix it (or run xwpf rule check):",
		    "规则文件校验失败，请修正（或运行 xwpf rule check）："));
		for (i = 0; i < d.n; i++)
			if (d.v[i].error) {   /* the store's words, in Chinese when the menu is */
				menu_zh_line(store_diag_format(&d, i, buf, sizeof(buf)), zh, sizeof(zh));
				menu_err("%s", zh);
			}
	}
	store_diags_free(&d);
	return rc;
}

static int
rooted(void)
{
	const char *r = getenv("XWPF_ROOT");

	return r && *r && strcmp(r, "/") != 0;
}

int
menu_relay_pid(void)
{
	char msg[PATH_MAX + 256];
	long pid;

	return relay_find(&pid, msg, sizeof(msg)) > 0 ? (int)pid : 0;
}

/* SIG to the running relay, checked again (relay_signal): 0 sent, -1 with
 * errno (ESRCH: it is gone, or the pidfile is stale). */
static int
signal_relay(int sig)
{
	char msg[PATH_MAX + 256];
	long pid;
	int rc = relay_signal(sig, &pid, msg, sizeof(msg));

	if (rc > 0)
		return 0;
	if (rc == 0)
		errno = ESRCH;
	return -1;
}

static int
service_manager(void)   /* 1 systemd, 2 OpenRC, 0 none (or a --root store) */
{
	struct stat sb;

	if (rooted())
		return 0;
	if (stat("/run/systemd/system", &sb) == 0 && menu_have_cmd("systemctl") &&
	    stat("/etc/systemd/system/xwpf.service", &sb) == 0)
		return 1;
	if (menu_have_cmd("rc-service") && stat("/etc/init.d/xwpf", &sb) == 0)
		return 2;
	return 0;
}

/* ---- the status block ---- */

static const struct json_val *
find_named(const struct json_val *j, const char *name, const char *backend)
{
	const struct json_val *f;
	size_t i;

	if (!j)
		return NULL;
	if (j->t == JSON_OBJ) {
		const char *n = json_get_str(j, "rule");

		if (!n)
			n = json_get_str(j, "name");
		if (n && strcmp(n, name) == 0) {
			const char *b = json_get_str(j, "backend");
			if (!backend ? !b : (b && strcmp(b, backend) == 0))
				return j;
		}
	}
	for (i = 0; i < j->n; i++)   /* the items of an array or an object */
		if ((f = find_named(j->v[i], name, backend)) != NULL)
			return f;
	return NULL;
}

static struct json_val *health_json, *status_json;

static void
fetch_runtime(void)
{
	char *out = NULL;

	json_free(health_json);
	json_free(status_json);
	health_json = status_json = NULL;
	size_t i;
	int failover = 0;

	for (i = 0; i < menu_st.nrules; i++)   /* health --status lists only these */
		failover |= menu_st.rules[i].enabled && menu_st.rules[i].failover && menu_st.rules[i].nremotes > 0;
	if (failover && menu_has_applet("health")) {
		const char *a[] = { "health", "--status", "--json", NULL };
		if (menu_capture(a, 1, &out) == 0)
			health_json = menu_json_parse(out);
		free(out);
		out = NULL;
	}
	if (menu_relay_pid() && menu_has_applet("status")) {
		const char *a[] = { "status", "--json", NULL };
		if (menu_capture(a, 1, &out) == 0)
			status_json = menu_json_parse(out);
		free(out);
	}
}

static void
transport_label(const struct store_rule *r, char *buf, size_t size)
{
	const char *t = r->role == ROLE_EXIT ? r->listen_transport : r->remote_transport;
	int ws = strstr(t, "ws") != NULL, tls = strstr(t, "tls") != NULL;

	snprintf(buf, size, "%s", !*t ? TR("plain", "不加密") : ws && tls ? "wss" : ws ? "ws" : tls ? "tls" : t);
}

/* A line per remote that has failed (status --json): its count and the
 * stage and reason of its last failure. Returns the new length. */
static size_t
remote_failures(const struct store_rule *r, char *buf, size_t size, size_t n)
{
	const struct json_val *s = find_named(status_json, r->name, NULL);
	const struct json_val *rem = json_get(json_get(s, "stats"), "remotes");
	size_t i;

	for (i = 0; rem && rem->t == JSON_ARR && i < rem->n && n < size; i++) {
		const struct json_val *c = rem->v[i];
		const char *a = json_get_str(c, "address"), *why = json_get_str(c, "last_error");
		double f = json_get_num(c, "fails", 0);

		if (!a || !why || !*why || f <= 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s\n      %s%s %.0f %s%s", menu_c(C_RESET), menu_c(C_YELLOW), a, f,
		    TR("failed, the last: ", "次失败，最近一次："), why);
	}
	return n;
}

void
menu_rule_line(const struct store_rule *r, size_t idx, char *buf, size_t size)
{
	char l[1024], hp[300], tr[32], px[64];
	size_t n = 0, i;
	store_listen_format(r, l, sizeof(l));
	if (*r->listen_interface)
		snprintf(l + strlen(l), sizeof(l) - strlen(l), "%%%s", r->listen_interface);
	n += (size_t)snprintf(buf + n, size - n, "%2zu. %s%-4s%s %s%s%s %s%s ->", idx + 1,
	    r->enabled ? menu_c(C_GREEN) : menu_c(C_DIM), r->enabled ? TR("on", "启用") : TR("off", "停用"),
	    menu_c(C_RESET), menu_c(C_BOLD), r->name, menu_c(C_RESET), l,
	    r->role == ROLE_EXIT ? TR(" (exit)", "（落地）") : "");
	if (*r->through.host || *r->interface)
		n += (size_t)snprintf(buf + n, size - n, " %s%s%s ->", r->through.host,
		    *r->through.host && *r->interface ? "%" : "", r->interface);
	for (i = 0; i < r->nremotes && n < size; i++) {
		const struct json_val *h;
		const char *state;

		hostport_format(&r->remotes[i].addr, hp, sizeof(hp));
		n += (size_t)snprintf(buf + n, size - n, "%s %s", i ? "," : "", hp);
		if (r->nremotes > 1 && r->balance != BALANCE_FAILOVER && r->balance != BALANCE_OFF && n < size)
			n += (size_t)snprintf(buf + n, size - n, " w%d", r->remotes[i].weight);
		h = find_named(health_json, r->name, hp);
		if (h && (state = json_get_str(h, "state")) != NULL && n < size) {
			/* between up and down (health --status): still up with failed
			 * checks, still down with good ones */
			const char *trend = json_get_str(h, "trend");
			int up = strcmp(state, "up") == 0, down = strcmp(state, "down") == 0;
			int failing = trend && strcmp(trend, "failing") == 0;
			int recovering = trend && strcmp(trend, "recovering") == 0;

			n += (size_t)snprintf(buf + n, size - n, " %s[%s]%s",
			    failing || recovering ? menu_c(C_YELLOW) : up ? menu_c(C_GREEN) : down ? menu_c(C_RED) :
			    menu_c(C_DIM),
			    failing ? TR("up, failing", "正常，检测失败") : recovering ? TR("down, recovering", "故障，恢复中") :
			    up ? TR("up", "正常") : down ? TR("down", "故障") : TR("unchecked", "未检查"), menu_c(C_RESET));
		}
	}
	if (n >= size)
		return;
	transport_label(r, tr, sizeof(tr));
	n += (size_t)snprintf(buf + n, size - n, "\n      %s%s %s", menu_c(C_DIM), store_proto_name(r->protocols), tr);
	if (r->nremotes > 1 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "  %s%s", store_balance_name(r->balance),
		    !r->failover ? "" : r->balance == BALANCE_FAILOVER ? TR(" (health-checked)", "（健康检查）") :
		    "+failover");
	store_proxy_name(r, px, sizeof(px));
	if (strcmp(px, "off") != 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "  proxy %s", px);
	if (r->mptcp && n < size)
		n += (size_t)snprintf(buf + n, size - n, "  mptcp %s", store_mptcp_name(r->mptcp));
	{
		const struct json_val *s = find_named(status_json, r->name, NULL);
		const struct json_val *inner = json_get(s, "stats");

		if (inner && inner->t == JSON_OBJ)   /* status --json: {"name":..,"stats":{..}} */
			s = inner;
		if (s && n < size) {
			char up[32], down[32];
			double bu = json_get_num(s, "bytes_up", -1), bd = json_get_num(s, "bytes_down", -1);
			double act = json_get_num(s, "tcp_active", json_get_num(s, "active", -1));

			if (bu >= 0 && bd >= 0)
				n += (size_t)snprintf(buf + n, size - n, "  ↑%s ↓%s", fmt_bytes(up, sizeof(up),
				    (uint64_t)bu), fmt_bytes(down, sizeof(down), (uint64_t)bd));
			if (act >= 0 && n < size)
				n += (size_t)snprintf(buf + n, size - n, TR("  %.0f active", "  %.0f 个连接"), act);
		}
	}
	if (*r->note && n < size)
		n += (size_t)snprintf(buf + n, size - n, "  # %s", r->note);
	n = remote_failures(r, buf, size, n);
	if (n < size)
		snprintf(buf + n, size - n, "%s", menu_c(C_RESET));
}

/* The language [global] lang asks for, before the first screen; a store
 * that does not load says so on that screen. */
static void
lang_from_store(void)
{
	struct store st;
	struct store_diags d = { 0 };

	if (store_load(path_get(PATH_CONF), &st, &d) == 0)
		menu_lang_apply(st.g.lang);
	store_free(&st);
	store_diags_free(&d);
}

/* [global] lang, saved in the store: the menu speaks it from now on. */
static void
switch_lang(void)
{
	static const char *const v[] = { "en", "zh", "auto" };
	char arg[16];
	const char *a[] = { "rule", "global", arg, NULL };
	int c;

	menu_title(TR("Language", "语言"));
	printf(" 1. English\n 2. 中文\n 3. %s\n 0. %s\n", TR("from the system's locale (LANG)", "跟随系统语言环境（LANG）"),
	    TR("back", "返回"));
	if ((c = menu_choice(TR("Choose", "请选择"), 0, 3, -1)) <= 0)
		return;
	snprintf(arg, sizeof(arg), "lang=%s", v[c - 1]);
	if (menu_run(a) == 0) {
		menu_lang_apply(v[c - 1]);
		menu_note("%s", TR("saved: [global] lang", "已保存：[global] lang"));
	}
}

/* A private (RFC 1918, shared 100.64/10) IPv4 or a unique local IPv6 address. */
static int
addr_private(const struct nl_ifaddr *a)
{
	const unsigned char *b = a->addr;

	if (a->family == AF_INET6)
		return (b[0] & 0xfe) == 0xfc;
	return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
	    (b[0] == 100 && (b[1] & 0xc0) == 64);
}

/* This server's addresses, as the kernel has them (netlink; nothing is asked
 * of the internet): public ones first, then private ones marked, six at most. */
static void
print_addresses(void)
{
	struct nl_ifaddr a[32];
	size_t n, total, i, shown = 0, off = 0;
	char err[ERRLEN], txt[64], line[1024];
	int pass;

	if (nl_global_addrs(a, ARRAY_SIZE(a), &n, &total, err) < 0 || !total)
		return;
	line[0] = '\0';
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n && shown < 6; i++) {
			if (addr_private(&a[i]) != pass || !inet_ntop(a[i].family, a[i].addr, txt, sizeof(txt)))
				continue;
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s%s", shown ? ", " : "", txt,
			    pass ? TR(" (private)", "（内网）") : "");
			shown++;
		}
	if (total > shown)
		snprintf(line + off, sizeof(line) - off, TR(" (+%zu more)", "（另有 %zu 个）"), total - shown);
	printf("  %s%s%s\n", TR("addresses", "本机地址"), MENU_COLON, line);
}

static void
status_block(void)
{
	size_t i, on = 0, exits = 0;
	int pid = menu_relay_pid();
	char line[4096];

	printf("\n%s%sxwpf %s%s  %s\n", menu_c(C_BOLD), menu_c(C_CYAN), XWPF_VERSION, menu_c(C_RESET),
	    TR("port forwarding relay", "端口转发中继"));
	if (rooted())
		printf("  %s%s%s%s%s\n", menu_c(C_DIM), TR("root", "根目录"), MENU_COLON, getenv("XWPF_ROOT"), menu_c(C_RESET));
	if (pid)
		printf("  %s%s%s%s%s (pid %d)\n", TR("relay", "中继服务"), MENU_COLON, menu_c(C_GREEN), TR("running", "运行中"),
		    menu_c(C_RESET), pid);
	else
		printf("  %s%s%s%s%s\n", TR("relay", "中继服务"), MENU_COLON, menu_c(C_YELLOW), TR("not running", "未运行"),
		    menu_c(C_RESET));
	print_addresses();
	if (menu_store_load() < 0)
		return;
	for (i = 0; i < menu_st.nrules; i++) {
		on += menu_st.rules[i].enabled != 0;
		exits += menu_st.rules[i].role == ROLE_EXIT;
	}
	printf(TR("  rules: %zu (%zu on, %zu off; %zu relay, %zu exit)\n",
	    "  规则：%zu 条（启用 %zu，停用 %zu；中转 %zu，落地 %zu）\n"),
	    menu_st.nrules, on, menu_st.nrules - on, menu_st.nrules - exits, exits);
	fetch_runtime();
	for (i = 0; i < menu_st.nrules; i++) {
		menu_rule_line(&menu_st.rules[i], i, line, sizeof(line));
		printf("  %s\n", line);
	}
	json_free(health_json);
	json_free(status_json);
	health_json = status_json = NULL;
}

int
menu_list_rules(const char *none)
{
	char line[4096];
	size_t i;

	if (menu_store_load() < 0)
		return -1;
	if (menu_st.nrules == 0) {
		menu_note("%s", none);
		return -1;
	}
	for (i = 0; i < menu_st.nrules; i++) {
		menu_rule_line(&menu_st.rules[i], i, line, sizeof(line));
		printf("  %s\n", line);
	}
	return 0;
}

const struct store_rule *
menu_pick_rule(const char *prompt)
{
	if (menu_list_rules(TR("no rules yet: add one first", "还没有规则：请先添加")) < 0)
		return NULL;
	/* a number, or a name as delete and on/off take them */
	for (;;) {
		const struct store_rule *r;
		char in[STORE_NAME_MAX + 16];
		long v;

		if (menu_ask(prompt, NULL, 1, in, sizeof(in)) < 0)
			return NULL;
		if (parse_long(in, 1, (long)menu_st.nrules, &v) == 0)
			return &menu_st.rules[v - 1];
		if (*in && (r = store_find(&menu_st, in)))
			return r;
		menu_err(TR("'%s' is neither a rule number (1-%zu) nor a rule name (0: back)",
		    "“%s”既不是规则序号（1-%zu）也不是规则名（0 返回）"), in, menu_st.nrules);
	}
}

/* ---- service control ---- */

void
menu_after_change(void)
{
	int pid = menu_relay_pid();

	if (!pid) {
		menu_note("%s", TR("saved. The relay is not running: start it from the main menu (3).",
		    "已保存。中继服务未运行：请在主菜单（3）启动。"));
		return;
	}
	if (menu_has_applet("relay")) {
		const char *a[] = { "relay", "--reload", NULL };
		if (menu_run(a) == 0) {
			menu_note("%s", TR("saved; the running relay reloaded it (no connection dropped).",
			    "已保存；运行中的中继已热重载（不断开现有连接）。"));
			return;
		}
	}
	if (signal_relay(SIGHUP) == 0)
		menu_note("%s", TR("saved; the running relay was told to reload (SIGHUP).", "已保存；已通知中继重载（SIGHUP）。"));
	else
		menu_err(TR("saved, but the relay (pid %d) could not be signalled: %s", "已保存，但无法通知中继（pid %d）：%s"),
		    pid, strerror(errno));
}

static void
foreground_hint(void)
{
	if (rooted())
		menu_note(TR("to run it in the foreground: xwpf --root %s relay", "前台运行：xwpf --root %s relay"),
		    getenv("XWPF_ROOT"));
	else
		menu_note("%s", TR("no service manager found: run it in the foreground with: xwpf relay "
		    "(or install with install.sh for a service)", "未找到服务管理器：前台运行 xwpf relay（或用 install.sh 安装为服务）"));
}

static void
start_relay(void)
{
	int sm = service_manager(), pid;

	if (sm == 1) {   /* running: a hot reload (no connection dropped); stopped: a start */
		const char *a[] = { "systemctl", "reload-or-restart", "xwpf.service", NULL };
		if (menu_exec(a) == 0)
			menu_note("%s", TR("xwpf.service reloaded (or started)", "xwpf.service 已重载（或启动）"));
		return;
	}
	if (sm == 2) {
		const char *r[] = { "rc-service", "xwpf", "reload", NULL };
		const char *a[] = { "rc-service", "xwpf", "start", NULL };
		if (menu_exec(r) != 0)
			menu_exec(a);
		return;
	}
	if ((pid = menu_relay_pid()) != 0) {
		if (signal_relay(SIGHUP) == 0)
			menu_note(TR("the relay (pid %d) reloaded the store: hot, no connection dropped",
			    "中继（pid %d）已热重载规则，不断开连接"), pid);
		else
			menu_err(TR("cannot signal pid %d: %s", "无法向 pid %d 发送信号：%s"), pid, strerror(errno));
		return;
	}
	if (!menu_has_applet("relay")) {
		menu_err("%s", TR("the relay is not in this build", "此版本不包含 relay"));
		return;
	}
	foreground_hint();
	if (menu_yes(TR("Start it in the background now?", "现在在后台启动吗？"), 1)) {   /* asked to start: yes */
		pid_t c = fork();

		if (c == 0) {
			const char *log = path_get(PATH_LOG);
			char dir[512], err[ERRLEN];
			int fd;

			/* a grandchild, so init reaps it: the menu never holds a zombie relay */
			if (fork() != 0)
				_exit(0);
			setsid();
			snprintf(dir, sizeof(dir), "%s", log);
			if (strrchr(dir, '/'))
				*strrchr(dir, '/') = '\0';
			mkdir_p(dir, 0755);
			if ((fd = file_open_own(log, O_APPEND, 0640, err)) >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
				close(fd);
			}
			freopen("/dev/null", "r", stdin);
			signal(SIGINT, SIG_DFL);
			execl("/proc/self/exe", "xwpf", "relay", (char *)NULL);
			_exit(127);
		}
		if (c > 0) {
			int i, st;

			while (waitpid(c, &st, 0) < 0 && errno == EINTR)
				;
			for (i = 0; i < 30 && !menu_relay_pid(); i++)
				usleep(100000);
			if (menu_relay_pid())
				menu_note(TR("relay started (pid %d); its log: %s", "中继已启动（pid %d）；日志：%s"),
				    menu_relay_pid(), path_get(PATH_LOG));
			else
				menu_err(TR("the relay did not start: see %s", "中继未能启动：见 %s"), path_get(PATH_LOG));
		}
	}
}

static void
stop_relay(void)
{
	int sm = service_manager(), pid, i;

	if (sm == 1) {
		const char *a[] = { "systemctl", "stop", "xwpf.service", NULL };
		menu_exec(a);
		return;
	}
	if (sm == 2) {
		const char *a[] = { "rc-service", "xwpf", "stop", NULL };
		menu_exec(a);
		return;
	}
	if (!(pid = menu_relay_pid())) {
		menu_note("%s", TR("the relay is not running", "中继未在运行"));
		return;
	}
	if (!menu_yes(TR("Stop the relay? Every forwarded connection closes", "停止中继？所有转发连接都会断开"), 0))
		return;
	if (signal_relay(SIGTERM) < 0) {
		menu_err(TR("cannot stop pid %d: %s", "无法停止 pid %d：%s"), pid, strerror(errno));
		return;
	}
	for (i = 0; i < 50 && kill(pid, 0) == 0; i++)   /* until it is gone: signal 0 only */
		usleep(100000);
	menu_note(kill(pid, 0) == 0 ? TR("pid %d is still stopping (draining connections)", "pid %d 仍在停止中（等待连接结束）") :
	    TR("relay (pid %d) stopped", "中继（pid %d）已停止"), pid);
}

/* The relay's log through `xwpf log` (its file, or the journal under
 * systemd), then on request followed: Ctrl-C, or 10 minutes, ends it. */
static void
show_logs(void)
{
	const char *tail[] = { "log", "-n", "40", NULL };
	const char *follow[] = { "log", "-f", "-n", "0", "--for", "600", NULL };

	if (!menu_has_applet("log")) {
		menu_note("%s", TR("the log applet is not in this build", "此版本不包含 log"));
		return;
	}
	if (menu_run(tail) != 0)
		return;
	if (!menu_yes(TR("Follow it (new lines as they come; Ctrl-C comes back here, 10 minutes at most)?",
	    "持续跟踪（显示新日志；Ctrl-C 返回菜单，最多 10 分钟）？"), 0))
		return;
	printf("%s%s%s\n", menu_c(C_DIM), TR("following the log: Ctrl-C comes back to the menu",
	    "正在跟踪日志：按 Ctrl-C 返回菜单"), menu_c(C_RESET));
	menu_run(follow);
}

/* A number in lo..hi into buf (def on Enter), why said until one is typed:
 * 0, or MENU_BACK ("0" or the end of input). */
static int
ask_number(const char *prompt, const char *def, long lo, long hi, const char *why, char *buf, size_t size)
{
	long v;

	for (;;) {
		if (menu_ask(prompt, def, 1, buf, size) < 0)
			return MENU_BACK;
		if (parse_long(buf, lo, hi, &v) == 0)
			return 0;
		menu_err("%s", why);
	}
}

static void
link_test(void)
{
	char host[300], port[16], secs[16], target[330], key[128];
	const char *a[12];
	size_t n = 0;
	int c;

	menu_title(TR("Link test", "链路测试"));
	if (!menu_has_applet("linktest")) {
		menu_note("%s", TR("linktest is not in this build", "此版本不包含 linktest"));
		return;
	}
	printf(" 1. %s\n 2. %s\n 0. %s\n", TR("server: wait for a test from the other end", "服务端：等待对端测试"),
	    TR("client: test the link to a server (xwpf on the other end, or a relay port leading to it)",
	    "客户端：测试到服务端的链路（对端运行 xwpf，或经中转端口）"), TR("back", "返回"));
	if ((c = menu_choice(TR("Choose", "请选择"), 0, 2, -1)) <= 0)
		return;
	if (c == 2) {
		for (;;) {
			if (menu_ask(TR("Server address", "服务端地址"), NULL, 1, host, sizeof(host)) < 0)
				return;
			if (host[0] == '[' && host[strlen(host) - 1] == ']') {
				memmove(host, host + 1, strlen(host));
				host[strlen(host) - 1] = '\0';
			}
			if (*host && (addr_family_of(host) || hostname_valid(host)))
				break;
			menu_err("%s", TR("type an IP address or a host name", "请输入 IP 地址或域名"));
		}
	}
	if (ask_number(TR("Port", "端口"), "5210", 1, 65535, TR("a port is a number from 1 to 65535",
	    "端口是 1 到 65535 之间的数字"), port, sizeof(port)) < 0)
		return;
	for (;;) {
		if (menu_ask(TR("Shared key (Enter: none)", "共享密钥（回车：无）"), "", 1, key, sizeof(key)) < 0)
			return;
		if (!strpbrk(key, " \t"))
			break;
		menu_err("%s", TR("a key has no spaces", "密钥不能含空格"));
	}
	a[n++] = "linktest";
	if (c == 1) {
		snprintf(target, sizeof(target), "[::]:%s", port);
		a[n++] = "--server";
		a[n++] = "--listen";
		a[n++] = target;
		menu_note("%s", TR("Ctrl-C stops the server and comes back here", "Ctrl-C 停止服务端并返回菜单"));
	} else {
		if (ask_number(TR("Seconds per throughput phase", "每项吞吐测试秒数"), "5", 1, 30,
		    TR("from 1 to 30 seconds", "1 到 30 秒"), secs, sizeof(secs)) < 0)
			return;
		snprintf(target, sizeof(target), addr_family_of(host) == 6 ? "[%s]:%s" : "%s:%s", host, port);
		a[n++] = target;
		a[n++] = "--time";
		a[n++] = secs;
	}
	if (*key) {
		a[n++] = "--key";
		a[n++] = key;
	}
	a[n] = NULL;
	menu_run(a);
	if (c == 2)
		menu_pause();
}

static void
export_import(void)
{
	char file[512];
	int c;

	menu_title(TR("Export / import", "导出 / 导入"));
	printf(" 1. %s%s\n 2. %s%s\n 0. %s\n", TR("export everything to one .tar.gz", "导出全部配置为 .tar.gz"),
	    menu_has_applet("export") ? "" : TR(" (not in this build)", "（此版本不包含）"),
	    TR("import an xwpf or xwPF archive, xwPF's folder /etc/realm, its traffic tool's limits, or a realm config",
	    "导入 xwpf/xwPF 备份、xwPF 的 /etc/realm 目录、其流量工具的限额或 realm 配置"),
	    menu_has_applet("import") ? "" : TR(" (not in this build)", "（此版本不包含）"), TR("back", "返回"));
	if ((c = menu_choice(TR("Choose", "请选择"), 0, 2, -1)) <= 0)
		return;
	if (!menu_has_applet(c == 1 ? "export" : "import")) {
		menu_note("%s", TR("not in this build", "此版本不包含该功能"));
		return;
	}
	if (c == 1) {
		if (menu_ask(TR("File (Enter: a dated name here)", "文件名（回车：当前目录下带日期的文件名）"), "", 1, file,
		    sizeof(file)) < 0)
			return;
		{
			const char *a[] = { "export", *file ? file : NULL, NULL };
			menu_run(a);
		}
		return;
	}
	for (;;) {
		if (menu_ask(TR("Archive, config or folder to import", "要导入的文件或目录"), NULL, 1, file, sizeof(file)) < 0)
			return;
		if (*file && access(file, R_OK) == 0)
			break;
		menu_err(TR("cannot read '%s': give the path of an existing file or folder", "无法读取“%s”：请输入已存在文件或目录的路径"),
		    file);
	}
	{
		const char *a[] = { "import", file, NULL };
		if (menu_run(a) == 0)
			menu_after_change();
	}
}

static void
mptcp_menu(void)
{
	int has = menu_has_applet("mptcp"), c;

	for (;;) {
		menu_title("MPTCP");
		if (!has)
			menu_note("%s", TR("the mptcp applet is not in this build: only the per-rule mode is offered",
			    "此版本不包含 mptcp 工具：只能设置单条规则的 MPTCP 模式"));
		printf(" 1. %s\n 2. %s\n 3. %s\n 4. %s\n 5. %s\n 6. %s\n 0. %s\n",
		    TR("system status: kernel, endpoints, limits, connections", "系统状态：内核、端点、限制、连接"),
		    TR("enable MPTCP (now and at boot)", "启用 MPTCP（立即并开机生效）"),
		    TR("disable MPTCP", "禁用 MPTCP"), TR("add an endpoint", "添加端点"),
		    TR("delete an endpoint", "删除端点"), TR("MPTCP mode of a rule", "设置规则的 MPTCP 模式"),
		    TR("back", "返回"));
		if ((c = menu_choice(TR("Choose", "请选择"), 0, 6, -1)) <= 0)
			return;
		if (c == 6) {
			menu_rule_mptcp();
			continue;
		}
		if (!has) {
			menu_note("%s", TR("not in this build", "此版本不包含该功能"));
			continue;
		}
		if (c == 1) {
			const char *a[] = { "mptcp", "status", NULL };
			menu_run(a);
		} else if (c == 2 || c == 3) {
			const char *a[] = { "mptcp", c == 2 ? "enable" : "disable", NULL };
			menu_run(a);
		} else if (c == 4) {
			char addr[80], dev[32];
			int t;
			const char *a[10] = { "mptcp", "endpoint", "add", addr, NULL };
			size_t n = 4;

			for (;;) {
				if (menu_ask(TR("IP address of this server to use", "本机要使用的 IP 地址"), NULL, 1, addr,
				    sizeof(addr)) < 0)
					goto next;
				if (addr_family_of(addr))
					break;
				menu_err("%s", TR("type an IPv4 or IPv6 address of this server", "请输入本机的 IPv4 或 IPv6 地址"));
			}
			for (;;) {
				if (menu_ask(TR("Its network interface (Enter: find it)", "对应网卡（回车自动查找）"), "", 1, dev,
				    sizeof(dev)) < 0)
					goto next;
				if (!*dev || ifname_valid(dev))
					break;
				menu_err("%s", TR("an interface name such as eth1", "网卡名，例如 eth1"));
			}
			printf(" 1. subflow fullmesh\n 2. signal\n 3. subflow backup\n");
			if ((t = menu_choice(TR("Endpoint type", "端点类型"), 0, 3, 1)) <= 0)
				goto next;
			if (*dev) {
				a[n++] = "dev";
				a[n++] = dev;
			}
			if (t == 1) {
				a[n++] = "subflow";
				a[n++] = "fullmesh";
			} else if (t == 2)
				a[n++] = "signal";
			else {
				a[n++] = "subflow";
				a[n++] = "backup";
			}
			a[n] = NULL;
			menu_run(a);
		} else if (c == 5) {
			char id[80];
			const char *l[] = { "mptcp", "endpoint", "list", NULL };
			const char *a[] = { "mptcp", "endpoint", "del", id, NULL };

			menu_run(l);
			if (menu_ask(TR("Endpoint id or address to delete", "要删除的端点 id 或地址"), NULL, 1, id, sizeof(id)) < 0 ||
			    !*id)
				continue;
			menu_run(a);
		}
next:;
	}
}

static void
uninstall(void)
{
	char script[600];
	const char *root = getenv("XWPF_ROOT");

	menu_title(TR("Uninstall", "卸载"));
	path_rooted("/usr/local/lib/xwpf/install.sh", script, sizeof(script));
	if (access(script, R_OK) < 0) {
		menu_err(TR("%s is missing: run `sh install.sh --uninstall` from the folder you installed from",
		    "缺少 %s：请在安装目录运行 sh install.sh --uninstall"), script);
		return;
	}
	printf("%s\n  %s\n  %s\n", TR("This removes, in two phases:", "将分两步删除："),
	    TR("1) the services and units, the rules and settings (/etc/xwpf), state, logs, the MPTCP sysctl file "
	    "and the endpoints saved in the store", "1) 服务与单元文件、规则与设置（/etc/xwpf）、状态、日志、MPTCP sysctl 文件及已保存的端点"),
	    TR("2) the xwpf binary and its links (pf, and the applet links --links made)", "2) xwpf 程序及其链接（pf 及 --links 建立的子命令链接）"));
	menu_note(TR("export first (main menu %d) if you may want the rules back", "如需保留规则，请先导出（主菜单 %d）"),
	    MAIN_MOVE);
	if (!menu_yes(TR("Uninstall xwpf?", "确定卸载 xwpf？"), 0))
		return;
	{
		/* phase 1 alone keeps the binary, as the old script's uninstall allowed */
		int both = menu_yes(TR("Remove the binary and pf too (phase 2)?", "同时删除程序与 pf（第 2 步）？"), 1);
		const char *a[] = { "sh", script, "--uninstall", "--yes", both ? "--yes" : "--keep-binary",
		    root && *root ? "--root" : NULL, root, NULL };
		int rc = menu_exec(a);

		if (rc == 0) {
			printf("%s\n", both ? TR("xwpf is uninstalled. Goodbye.", "xwpf 已卸载。再见。") :
			    TR("services, rules and state removed; the xwpf binary and pf are kept. Goodbye.",
			    "服务、规则与状态已删除；xwpf 程序与 pf 保留。再见。"));
			store_free(&menu_st);
			exit(EXIT_OK);
		}
		menu_err(TR("the uninstall stopped (exit %d): see the messages above", "卸载未完成（退出码 %d）：见上方信息"), rc);
	}
}

int
menu_main(int argc, char **argv)
{
	int c;

	(void)argv;
	if (argc > 1) {
		fputs(menu_usage, stderr);
		return EXIT_USAGE;
	}
	menu_io_init();
	lang_from_store();
	setenv("XWPF_MENU", "1", 1);   /* `xwpf rule` leaves telling the relay to the menu */
	for (;;) {
		status_block();
		printf("\n");
		printf("%2d. %s\n", MAIN_RULES, TR("forwarding rules: add, edit, delete, on/off, balancing, PROXY",
		    "转发规则：添加、修改、删除、启停、负载均衡、PROXY"));
		printf("%2d. %s\n", MAIN_ADD, TR("add a rule (relay or exit side)", "添加规则（中转或落地）"));
		printf("%2d. %s\n", MAIN_START, menu_relay_pid() ? TR("restart (reload) the relay", "重启（重载）中继") :
		    TR("start the relay", "启动中继"));
		printf("%2d. %s\n", MAIN_STOP, TR("stop the relay", "停止中继"));
		printf("%2d. %s\n", MAIN_LOGS, TR("logs", "查看日志"));
		printf("%2d. %s\n", MAIN_TRAFFIC, TR("traffic: usage per billing cycle, quotas, limits, expiry, notifications",
		    "流量：计费周期用量、配额、限制、到期、通知"));
		printf("%2d. %s\n", MAIN_REFRESH, TR("refresh status, traffic and health", "刷新状态、流量与健康"));
		printf("%2d. %s\n", MAIN_LINKTEST, TR("link test", "链路测试"));
		printf("%2d. %s\n", MAIN_MPTCP, "MPTCP");
		printf("%2d. %s\n", MAIN_MOVE, TR("export / import", "导出 / 导入"));
		printf("%2d. %s\n", MAIN_LANG, TR("language: English / 中文", "语言：中文 / English"));
		printf("%2d. %s\n", MAIN_UNINSTALL, TR("uninstall", "卸载"));
		printf(" 0. %s\n", TR("exit", "退出"));
		c = menu_choice(TR("Choose", "请选择"), 0, MAIN_UNINSTALL, -1);
		switch (c) {
		case 0:
		case MENU_BACK:
			store_free(&menu_st);
			return EXIT_OK;
		case MAIN_RULES: menu_rules(); break;
		case MAIN_ADD: menu_add_rule(); break;
		case MAIN_START: start_relay(); break;
		case MAIN_STOP: stop_relay(); break;
		case MAIN_LOGS: show_logs(); break;
		case MAIN_TRAFFIC: menu_traffic(); break;
		case MAIN_REFRESH: break;
		case MAIN_LINKTEST: link_test(); break;
		case MAIN_MPTCP: mptcp_menu(); break;
		case MAIN_MOVE: export_import(); break;
		case MAIN_LANG: switch_lang(); break;
		case MAIN_UNINSTALL: uninstall(); break;   /* the one that removes things: last */
		}
	}
}
