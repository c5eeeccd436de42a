/*
 * menu_ports: listen ports in the rule wizards: a port, a range, a list
 * ("80,443", "8000-8010,9000", as xwPF takes them) or a random free one,
 * and what already holds them (a rule of the store, another program).
 */
#include <stdio.h>
#include <string.h>

#include "menu.h"
#include "util.h"

/* menu_random_port's taken: a stored rule listens there */
static int
port_of_rule(int port, unsigned proto)
{
	return menu_rule_on_port("", port, port, proto, NULL) != NULL;
}

int
menu_lports_parse(const char *s, struct menu_lports *p)
{
	char buf[400], *it, *save = NULL;
	long a, b;

	p->n = p->count = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(it = str_trim(it), '-');

		if (p->n == (int)ARRAY_SIZE(p->lo))
			return -1;
		if (dash)
			*dash = '\0';
		if (parse_long(it, 1, 65535, &a) < 0 || (dash && (parse_long(dash + 1, 1, 65535, &b) < 0 || b <= a)))
			return -1;
		if (!dash)
			b = a;
		if (p->n && a <= p->hi[p->n - 1])
			return -1;
		p->lo[p->n] = (int)a;
		p->hi[p->n] = (int)b;
		p->count += (int)(b - a) + 1;
		p->n++;
	}
	if (!p->n || p->count > 10000)
		return -1;
	p->txt[0] = '\0';
	for (a = 0; a < p->n; a++) {
		size_t k = strlen(p->txt);

		if (p->hi[a] > p->lo[a])
			snprintf(p->txt + k, sizeof(p->txt) - k, "%s%d-%d", a ? "," : "", p->lo[a], p->hi[a]);
		else
			snprintf(p->txt + k, sizeof(p->txt) - k, "%s%d", a ? "," : "", p->lo[a]);
	}
	return 0;
}

/* "8080" or "10000-10100" (range_ok), or empty for a random free port
 * (random_ok); with list, a comma list too ("80,443,8000-8010"): lo/hi are
 * then its first item, list the whole (list->n = 1 for one port or range). */
int
menu_ask_port(const char *prompt, const char *def, int range_ok, int random_ok, unsigned proto, int *lo, int *hi,
    struct menu_lports *list)
{
	char buf[400];
	long a, b;

	for (;;) {
		char *dash;

		if (menu_ask(prompt, def, 1, buf, sizeof(buf)) < 0)
			return MENU_BACK;
		if (list && strchr(buf, ',')) {
			if (menu_lports_parse(buf, list) == 0) {
				*lo = list->lo[0];
				*hi = list->hi[0];
				return 0;
			}
			menu_err("%s", TR("a list is ports or ranges in increasing order, each once, such as 80,443 or "
			    "8000-8010,9000 (at most 64 items, 10000 ports)", "端口列表为按从小到大、不重复的端口或范围，"
			    "如 80,443 或 8000-8010,9000（最多 64 项、10000 个端口）"));
			continue;
		}
		if (list)
			list->n = 0;
		if (!*buf && random_ok) {
			if ((*lo = *hi = menu_random_port(proto, port_of_rule)) == 0) {
				menu_err("%s", TR("no free port found: type one", "找不到空闲端口：请手动输入"));
				continue;
			}
			printf(TR("  random free port: %d\n", "  随机空闲端口：%d\n"), *lo);
			return 0;
		}
		dash = strchr(buf, '-');
		if (dash && range_ok) {
			*dash = '\0';
			if (parse_long(buf, 1, 65535, &a) == 0 && parse_long(dash + 1, 1, 65535, &b) == 0 && b > a &&
			    b - a < 10000) {
				*lo = (int)a;
				*hi = (int)b;
				return 0;
			}
			menu_err("%s", TR("a range is LOW-HIGH with LOW < HIGH, ports 1-65535, at most 10000 ports",
			    "端口范围格式为 低-高，低 < 高，端口 1-65535，最多 10000 个"));
			continue;
		}
		if (parse_long(buf, 1, 65535, &a) == 0) {
			*lo = *hi = (int)a;
			return 0;
		}
		menu_err(TR("'%s' is not a port: a number from 1 to 65535%s%s", "“%s”不是端口：应为 1 到 65535 的数字%s%s"),
		    buf, range_ok ? TR(" or a range such as 10000-10100", "或范围如 10000-10100") : "",
		    list ? TR(", or a list such as 80,443", "，或列表如 80,443") : "");
	}
}

/* A rule already on this port (ranges and addresses overlapping), not skip. */
const struct store_rule *
menu_rule_on_port(const char *host, int lo, int hi, unsigned proto, const char *skip)
{
	size_t i;

	for (i = 0; i < menu_st.nrules; i++) {
		const struct store_rule *r = &menu_st.rules[i];

		if (skip && strcmp(r->name, skip) == 0)
			continue;
		if (!(r->protocols & proto) || !store_listen_has(r, (unsigned)lo, (unsigned)hi))
			continue;
		if (*host && *r->listen.host && strcmp(host, r->listen.host) != 0)
			continue;
		return r;
	}
	return NULL;
}

/* Another process on one of the ports: printed. 1 busy, 0 free. */
int
menu_port_busy(const char *host, int lo, int hi, unsigned proto)
{
	char who[300];
	int p;

	if (menu_port_owner(lo, hi, proto, host, &p, who, sizeof(who))) {
		menu_err(TR("port %d is taken: %s. Choose another port, or stop that program first",
		    "端口 %d 已被占用：%s。请换一个端口，或先停止该程序"), p, who);
		return 1;
	}
	return 0;
}

int
menu_ask_listen(const char *prompt, const char *def, int random_ok, unsigned proto, const char *skip,
    const char *unchanged, struct menu_lports *lp, const struct store_rule **holder)
{
	for (;;) {
		const struct store_rule *r = NULL;
		int lo, hi, k, busy = 0;

		if (menu_ask_port(prompt, def, 1, random_ok, proto, &lo, &hi, lp) < 0)
			return MENU_BACK;
		if (lp->n < 1) {   /* one port or range */
			lp->n = 1;
			lp->lo[0] = lo;
			lp->hi[0] = hi;
			lp->count = hi - lo + 1;
			snprintf(lp->txt, sizeof(lp->txt), hi > lo ? "%d-%d" : "%d", lo, hi);
		}
		for (k = 0; k < lp->n && !r; k++)
			if ((r = menu_rule_on_port("", lp->lo[k], lp->hi[k], proto, skip)) != NULL)
				lo = lp->lo[k];
		if (r) {
			menu_err(TR("port %d is already used by rule '%s'", "端口 %d 已被规则“%s”使用"), lo, r->name);
			*holder = r;
			return 1;
		}
		for (k = 0; k < lp->n && !busy && !(unchanged && strcmp(lp->txt, unchanged) == 0); k++)
			busy = menu_port_busy("", lp->lo[k], lp->hi[k], proto);
		if (!busy)
			return 0;
	}
}
