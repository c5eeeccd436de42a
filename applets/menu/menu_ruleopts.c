/*
 * menu_ruleopts: the PROXY protocol and MPTCP modes of rules. Both take a
 * list of rules ("1,3,5", as delete does), one mode for all of them, one
 * `xwpf rule set` per rule and the relay told once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "menu.h"
#include "util.h"

/* KEY=VALUE on every rule named: one child `xwpf rule set` each (each
 * validated as any change), then the running relay reloaded once. */
static void
set_each(char names[][STORE_NAME_MAX + 1], int n, const char *arg)
{
	int i, done = 0;

	for (i = 0; i < n; i++) {
		const char *a[] = { "rule", "set", names[i], arg, NULL };
		int rc = menu_run(a);

		if (rc == 0)
			done++;
		else
			menu_err(TR("%s: not saved (rule exited %d): the reason is above", "%s：未保存（rule 退出码 %d）：原因见上方"),
			    names[i], rc);
	}
	if (done)
		menu_after_change();
}

void
menu_proxy(void)
{
	static const char *const modes[] = { "off", "send-v1", "send-v2", "accept", "accept+send-v1", "accept+send-v2" };
	char arg[64], names[64][STORE_NAME_MAX + 1];
	int c, n;

	menu_title(TR("PROXY protocol", "PROXY 协议"));
	if ((n = menu_ask_rules(TR("Rules, e.g. 1,3 (0: back)", "规则，如 1,3（0 返回）"), names, 64)) < 0)
		return;
	printf(" 1. off\n 2. send-v1  %s\n 3. send-v2  %s\n 4. accept   %s\n 5. accept+send-v1\n 6. accept+send-v2\n",
	    TR("tell the target the client's address (text header)", "向目标发送客户端地址（文本头）"),
	    TR("the same, binary header (haproxy send-proxy-v2)", "同上，二进制头（haproxy send-proxy-v2）"),
	    TR("read a header from the previous hop", "读取上一跳发来的头"));
	if ((c = menu_choice(TR("PROXY mode", "PROXY 模式"), 0, 6, 1)) <= 0)
		return;
	snprintf(arg, sizeof(arg), "proxy=%s", modes[c - 1]);
	if (c >= 4)
		menu_note("%s", TR("accept: connections without a PROXY header are then closed", "accept：没有 PROXY 头的连接将被关闭"));
	set_each(names, n, arg);
}

void
menu_rule_mptcp(void)
{
	static const char *const modes[] = { "off", "send", "accept", "both" };
	const struct store_rule *r;
	char arg[32], names[64][STORE_NAME_MAX + 1], *en;
	int c, n;

	menu_title(TR("MPTCP of rules", "规则的 MPTCP"));
	if ((n = menu_ask_rules(TR("Rules, e.g. 1,3 (0: back)", "规则，如 1,3（0 返回）"), names, 64)) < 0)
		return;
	r = store_find(&menu_st, names[0]);
	printf(" 1. off\n 2. send    %s\n 3. accept  %s\n 4. both\n", TR("MPTCP towards the targets", "向目标使用 MPTCP"),
	    TR("accept MPTCP from clients", "接受客户端 MPTCP"));
	if ((c = menu_choice(TR("MPTCP mode", "MPTCP 模式"), 0, 4, n == 1 && r ? (int)r->mptcp + 1 : -1)) <= 0)
		return;
	snprintf(arg, sizeof(arg), "mptcp=%s", modes[c - 1]);
	en = file_read("/proc/sys/net/mptcp/enabled", NULL);
	if (c > 1 && (!en || en[0] != '1'))
		menu_note("%s", TR("MPTCP is off in this kernel: turn it on in the MPTCP menu (it falls back to TCP until then)",
		    "内核未启用 MPTCP：请在 MPTCP 菜单启用（在此之前回退为 TCP）"));
	free(en);
	set_each(names, n, arg);
}
