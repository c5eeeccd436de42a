/*
 * menu_rule: the rule wizards. Each one gathers a whole change in memory
 * (a draft), shows it, and writes it with one child `xwpf rule add|set|
 * del|enable|disable`, which validates it as the store validates any
 * change. Leaving at any prompt (0, end of input, Ctrl-C) writes nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"
#include "menu.h"
#include "net.h"
#include "transport.h"
#include "util.h"

#define MAXR 16
#define DEF_HOST "www.tesla.com"   /* xwPF's default: both ends match without typing it */

struct draft {
	char name[STORE_NAME_MAX + 1];
	int exit;                       /* role exit (server side of a tunnel) */
	char lhost[HOST_MAX];           /* "" = every address */
	char listen_if[16];
	int lport, lport_end;           /* the first port or range ... */
	char lports[400];               /* ... of a list ("80,443,8000-8010"), else "" */
	int lcount;                     /* ports in all */
	char through[HOST_MAX], iface[16];
	char rhost[MAXR][HOST_MAX];
	int rport[MAXR], rport_end[MAXR], weight[MAXR];
	int nrem;
	unsigned proto;
	char transport[STORE_TRANSPORT_MAX];
	char note[128];
	int udp_plain;                  /* the other end is realm: UDP beside the tunnel */
};

/* ---- small helpers ---- */

static void
fmt_hp(char *buf, size_t size, const char *host, int lo, int hi)
{
	const char *l = addr_family_of(host) == 6 ? "[" : "", *r = addr_family_of(host) == 6 ? "]" : "";

	if (hi > lo)
		snprintf(buf, size, "%s%s%s:%d-%d", l, host, r, lo, hi);
	else
		snprintf(buf, size, "%s%s%s:%d", l, host, r, lo);
}

static void
listen_value(const struct draft *d, char *buf, size_t size)
{
	const char *l = addr_family_of(d->lhost) == 6 ? "[" : "", *r = addr_family_of(d->lhost) == 6 ? "]" : "";

	if (*d->lports) {
		if (*d->lhost)
			snprintf(buf, size, "%s%s%s:%s", l, d->lhost, r, d->lports);
		else
			snprintf(buf, size, "%s", d->lports);
		return;
	}
	if (!*d->lhost) {
		if (d->lport_end > d->lport)
			snprintf(buf, size, "%d-%d", d->lport, d->lport_end);
		else
			snprintf(buf, size, "%d", d->lport);
	} else
		fmt_hp(buf, size, d->lhost, d->lport, d->lport_end);
}

static void
remote_value(const struct draft *d, int i, char *buf, size_t size)
{
	char hp[HOST_MAX + 16];

	fmt_hp(hp, sizeof(hp), d->rhost[i], d->rport[i], d->rport_end[i]);
	if (d->weight[i] > 1)
		snprintf(buf, size, "%s weight=%d", hp, d->weight[i]);
	else
		snprintf(buf, size, "%s", hp);
}

/* Run `xwpf rule ARGS`; on success reload the relay. */
static int
rule_cmd(const char *const *argv)
{
	int rc = menu_run(argv);

	if (rc == 0)
		menu_after_change();
	else
		menu_err(TR("not saved (rule exited %d): the reason is above; nothing was changed",
		    "未保存（rule 退出码 %d）：原因见上方；规则未改动"), rc);
	return rc;
}

static int
nic_exists(const char *name)
{
	char p[300];

	snprintf(p, sizeof(p), "/sys/class/net/%s", name);
	return access(p, F_OK) == 0;
}

/* An IP literal or a NIC name; "" when def is "" and Enter is pressed. */
static int
ask_ip_or_nic(const char *prompt, const char *def, char *ip, size_t isize, char *nic, size_t nsize)
{
	char buf[HOST_MAX];

	for (;;) {
		if (menu_ask(prompt, def, 1, buf, sizeof(buf)) < 0)
			return MENU_BACK;
		if (buf[0] == '[' && buf[strlen(buf) - 1] == ']') {
			memmove(buf, buf + 1, strlen(buf));
			buf[strlen(buf) - 1] = '\0';
		}
		*ip = '\0';
		*nic = '\0';
		if (!*buf || strcmp(buf, "::") == 0 || strcmp(buf, "0.0.0.0") == 0) {
			if (*buf && strcmp(buf, "0.0.0.0") == 0)
				snprintf(ip, isize, "0.0.0.0");
			return 0;
		}
		if (addr_family_of(buf)) {
			snprintf(ip, isize, "%s", buf);
			return 0;
		}
		if (ifname_valid(buf) && nic_exists(buf)) {
			snprintf(nic, nsize, "%s", buf);
			return 0;
		}
		menu_err(TR("'%s' is neither an IP address nor a network interface of this server (see: ip -br addr)",
		    "“%s”既不是 IP 地址也不是本机网卡（见 ip -br addr）"), buf);
	}
}

static int
ask_host(const char *prompt, const char *def, char *host, size_t size)
{
	for (;;) {
		if (menu_ask(prompt, def, 1, host, size) < 0)
			return MENU_BACK;
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (*host && (addr_family_of(host) || hostname_valid(host)))
			return 0;
		if (!*host) {
			menu_err("%s", TR("type an IP address or a host name (0 goes back)", "请输入 IP 地址或域名（0 返回）"));
			continue;
		}
		if (addr_numeric_shorthand(host)) {
			menu_err(TR("'%s' is not a whole IPv4 address: write its four numbers (such as 10.0.0.2)",
			    "“%s”不是完整的 IPv4 地址：请写全四段数字（如 10.0.0.2）"), host);
			continue;
		}
		menu_err(TR("'%s' is not an IP address or a host name (letters, digits, '-', '.')",
		    "“%s”不是 IP 地址或域名（字母、数字、-、.）"), host);
	}
}

/* A target host and port, tried with a bounded connect; a failure warns and
 * lets the user keep it or type another. */
static int
ask_target(const char *what, const char *hdef, int range_ok, int need_len, char *host, size_t hsize, int *lo, int *hi)
{
	for (;;) {
		char why[512], p[200];

		if (ask_host(what, hdef, host, hsize) < 0)
			return MENU_BACK;
		snprintf(p, sizeof(p), "%s", TR("Its port", "目标端口"));
		if (menu_ask_port(p, NULL, range_ok, 0, PROTO_TCP, lo, hi, NULL) < 0)
			return MENU_BACK;
		if (need_len && *hi > *lo && *hi - *lo != need_len) {
			menu_err(TR("the target range has %d ports but the rule listens on %d: give as many, or one port",
			    "目标范围有 %d 个端口而规则监听 %d 个：数量需相同，或只填一个端口"), *hi - *lo + 1, need_len + 1);
			continue;
		}
		printf(TR("  trying %s port %d ... ", "  正在测试 %s 端口 %d ... "), host, *lo);
		fflush(stdout);
		if (menu_probe(host, *lo, 3000, why, sizeof(why)) == 0) {
			printf("%s%s%s\n", menu_c(C_GREEN), TR("it answers", "连接正常"), menu_c(C_RESET));
			return 0;
		}
		printf("\n");
		menu_err("%s", why);
		menu_note("%s", TR("the rule can still be saved: it works once the target answers",
		    "仍可保存规则：目标可连接后即可生效"));
		if (menu_yes(TR("Keep this target anyway?", "仍然使用这个目标吗？"), 1))
			return 0;
	}
}

static void
name_default(const struct draft *d, char *buf, size_t size)
{
	int i;

	for (i = 1; i < 1000; i++) {
		if (i == 1)
			snprintf(buf, size, "%s-%d", d->exit ? "exit" : "relay", d->lport);
		else
			snprintf(buf, size, "%s-%d-%d", d->exit ? "exit" : "relay", d->lport, i);
		if (!store_find(&menu_st, buf))
			return;
	}
}

static int
ask_proto(unsigned *proto, unsigned def)
{
	int c;

	printf(" 1. tcp+udp\n 2. tcp\n 3. udp\n");
	c = menu_choice(TR("Protocol", "协议"), 0, 3, def == PROTO_TCP ? 2 : def == PROTO_UDP ? 3 : 1);
	if (c <= 0)
		return MENU_BACK;
	*proto = c == 1 ? PROTO_TCP | PROTO_UDP : c == 2 ? PROTO_TCP : PROTO_UDP;
	return 0;
}

/* sha256:HEX, HEX or AB:CD:.. into "sha256:hex" (out, 72 bytes at least): 0, or -1. */
static int
pin_text(const char *p, char *out, size_t size)
{
	char hex[65];
	size_t i, n = 0;

	if (strncmp(p, "sha256:", 7) == 0)
		p += 7;
	for (i = 0; p[i] && n < 64; i++) {
		if (p[i] == ':' || p[i] == ' ')
			continue;
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		hex[n++] = (char)tolower((unsigned char)p[i]);
	}
	if (n != 64 || p[i])
		return -1;
	hex[64] = '\0';
	snprintf(out, size, "sha256:%s", hex);
	return 0;
}

/* What the exit printed, pasted: its "relay side  remote_transport = ..." line (or
 * the transport alone) into line, else a fingerprint into pin; "insecure" only typed. */
static int
ask_pin(char *pin, size_t psize, char *line, size_t lsize)
{
	char buf[1200], err[ERRLEN];
	struct transport tr;

	*pin = *line = '\0';
	for (;;) {
		const char *p = buf, *rt;

		if (menu_ask(TR("The exit's fingerprint, or its whole 'relay side' line (type insecure: no check)",
		    "落地端证书指纹，或其整行 relay side（输入 insecure：不校验）"), NULL, 1, buf, sizeof(buf)) < 0)
			return MENU_BACK;
		if (strcmp(buf, "insecure") == 0) {
			snprintf(pin, psize, "insecure");
			return 0;
		}
		if ((rt = strstr(buf, "remote_transport")) && strchr(rt, '='))
			for (p = strchr(rt, '=') + 1; *p == ' '; p++)
				;
		else if (strncmp(buf, "tls pin", 7) == 0)
			for (p = buf + 7; *p == ' '; p++)
				;
		if (!*buf)
			menu_err("%s", TR("paste the fingerprint the exit's `xwpf rule show NAME` prints (or its whole "
			    "relay side line); type insecure to connect without checking the exit",
			    "请粘贴落地端 `xwpf rule show 规则名` 显示的指纹（或整行 relay side）；输入 insecure 则不校验落地"));
		else if (pin_text(p, pin, psize) == 0)
			return 0;
		else if (strchr(p, ';') || strncmp(p, "tls", 3) == 0 || strncmp(p, "ws", 2) == 0) {
			if (transport_parse(p, TRANSPORT_CLIENT, &tr, err) < 0)
				menu_err("%s", err);
			else if (!tr.tls || (!tr.has_pin && !tr.insecure))
				menu_err("%s", TR("that line has no pin=sha256:...: paste the exit's relay side line",
				    "该行没有 pin=sha256:...：请粘贴落地端的 relay side 一行"));
			else {
				snprintf(line, lsize, "%s", p);
				return 0;
			}
		} else
			menu_err("%s", TR("a fingerprint is sha256: followed by 64 hex digits (as the exit's `xwpf rule show` "
			    "prints it)", "指纹格式为 sha256: 加 64 位十六进制（落地端 xwpf rule show 会显示）"));
	}
}

static int
ask_file(const char *prompt, char *out, size_t size)
{
	for (;;) {
		if (menu_ask(prompt, NULL, 1, out, size) < 0)
			return MENU_BACK;
		if (*out == '/' && access(out, R_OK) == 0)
			return 0;
		menu_err(TR("cannot read '%s': give the absolute path of a PEM file", "无法读取“%s”：请输入 PEM 文件的绝对路径"), out);
	}
}

/*
 * The transport wizard, for either side of a tunnel. Fills t with realm's
 * option string and prints what the other end must be set to.
 */
static int
transport_wizard(int exit, char *t, size_t size)
{
	char host[HOST_MAX], path[200], sni[HOST_MAX], pin[80], cert[300], key[300], ws[600], tls[900], err[ERRLEN];
	char pasted[1200];
	int c, want_ws, want_tls, ca;
	struct transport tr;

	printf("%s\n", exit ? TR("How do relays reach this exit?", "中转端以何种方式连接本落地？") :
	    TR("How does this relay talk to the exit?", "本中转以何种方式连接落地？"));
	printf(" 1. %s\n 2. %s\n 3. %s\n 4. %s\n 5. %s\n 6. %s\n",
	    TR("plain TCP/UDP (the exit runs the service itself)", "不加密（落地直接运行业务）"),
	    TR("ws: WebSocket", "ws：WebSocket"),
	    exit ? TR("tls with a self-signed certificate made here", "tls：本机生成自签证书") :
		   TR("tls to an exit with a self-signed certificate", "tls：落地使用自签证书"),
	    exit ? TR("tls with your certificate and key (a CA's)", "tls：使用你的证书与私钥（CA 签发）") :
		   TR("tls to an exit with a CA certificate (a real domain)", "tls：落地使用 CA 证书（真实域名）"),
	    TR("wss (ws in tls), self-signed", "wss（ws+tls），自签证书"), TR("wss with a CA certificate", "wss，CA 证书"));
	for (;;) {
		if ((c = menu_choice(TR("Transport", "传输方式"), 0, 6, 1)) <= 0)
			return MENU_BACK;
		want_ws = c == 2 || c == 5 || c == 6;
		want_tls = c >= 3 && c != 2;
		ca = c == 4 || c == 6;
		*ws = *tls = '\0';
		if (want_ws) {
			if (ask_host(TR("WebSocket host (must match the other end)", "WebSocket 主机名（两端须一致）"), DEF_HOST,
			    host, sizeof(host)) < 0)
				return MENU_BACK;
			for (;;) {
				if (menu_ask(TR("WebSocket path (must match the other end)", "WebSocket 路径（两端须一致）"), "/ws", 1,
				    path, sizeof(path)) < 0)
					return MENU_BACK;
				if (path[0] == '/' && !strpbrk(path, " ;#"))
					break;
				menu_err("%s", TR("a path starts with / and has no spaces, ';' or '#'", "路径以 / 开头，不能含空格、; 或 #"));
			}
			snprintf(ws, sizeof(ws), "ws;host=%s;path=%s", host, path);
		}
		if (want_tls && exit && !ca) {
			if (ask_host(TR("Server name for the certificate", "证书域名（servername）"), want_ws ? host : DEF_HOST,
			    sni, sizeof(sni)) < 0)
				return MENU_BACK;
			snprintf(tls, sizeof(tls), "tls;servername=%s", sni);
		} else if (want_tls && exit) {
			if (ask_file(TR("Certificate chain (PEM)", "证书链文件（PEM）"), cert, sizeof(cert)) < 0 ||
			    ask_file(TR("Private key (PEM)", "私钥文件（PEM）"), key, sizeof(key)) < 0)
				return MENU_BACK;
			snprintf(tls, sizeof(tls), "tls;cert=%s;key=%s", cert, key);
		} else if (want_tls) {
			if (ask_host(ca ? TR("The exit's domain (on its certificate)", "落地域名（证书上的域名）") :
			    TR("SNI: the server name the exit uses", "SNI：落地使用的证书域名"), want_ws ? host : DEF_HOST, sni,
			    sizeof(sni)) < 0)
				return MENU_BACK;
			if (!ca) {
				if (ask_pin(pin, sizeof(pin), pasted, sizeof(pasted)) < 0)
					return MENU_BACK;
				if (*pasted) {   /* the exit's whole line: its sni, host and path too */
					snprintf(t, size, "%s", pasted);
					if (transport_parse(t, TRANSPORT_CLIENT, &tr, err) == 0)
						break;
				}
				snprintf(tls, sizeof(tls), "tls;sni=%s;%s%s", sni, strcmp(pin, "insecure") ? "pin=" : "",
				    pin);
				if (strcmp(pin, "insecure") == 0)
					menu_note("%s", TR("insecure: the exit is not verified. Paste its fingerprint later "
					    "(edit the rule) to pin it", "insecure：不校验落地。之后可修改规则填入指纹以固定校验"));
			} else
				snprintf(tls, sizeof(tls), "tls;sni=%s", sni);
		}
		snprintf(t, size, "%s%s%s", ws, *ws && *tls ? ";" : "", tls);
		if (transport_parse(t, exit ? TRANSPORT_SERVER : TRANSPORT_CLIENT, &tr, err) == 0)
			break;
		{
			char zh[ERRLEN * 2];

			menu_zh_line(err, zh, sizeof(zh));
			menu_err(TR("%s: choose again", "%s：请重新选择"), zh);
		}
	}
	if (*t) {
		printf("%s%s%s\n", menu_c(C_YELLOW), TR("The other end must match:", "另一端必须一致："), menu_c(C_RESET));
		if (exit)
			printf(TR("  on the relay: transport %s%s%s%s%s%s%s\n", "  中转端：传输 %s%s%s%s%s%s%s\n"),
			    tr.ws && tr.tls ? "wss" : tr.ws ? "ws" : "tls", tr.ws ? ", host " : "", tr.ws ? tr.host : "",
			    tr.ws ? ", path " : "", tr.ws ? tr.path : "", tr.tls ? ", SNI " : "",
			    tr.tls ? (*tr.servername ? tr.servername : TR("(the certificate's domain)", "（证书域名）")) : "");
		else
			printf(TR("  on the exit: transport %s%s%s%s%s%s%s, %s\n", "  落地端：传输 %s%s%s%s%s%s%s，%s\n"),
			    tr.ws && tr.tls ? "wss" : tr.ws ? "ws" : "tls", tr.ws ? ", host " : "", tr.ws ? tr.host : "",
			    tr.ws ? ", path " : "", tr.ws ? tr.path : "", tr.tls ? ", name " : "", tr.tls ? tr.sni : "",
			    tr.tls ? (ca ? TR("its CA certificate", "使用其 CA 证书") : TR("self-signed", "自签证书")) :
			    TR("same settings", "相同设置"));
	}
	return 0;
}

static void
show_fingerprint(const char *name)
{
	const char *a[] = { "rule", "show", name, NULL };
	char *out = NULL, *line, *save = NULL;
	int shown = 0;

	if (menu_capture(a, 1, &out) == 0 && out)
		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (strstr(line, "fingerprint") || strstr(line, "sha256:")) {
				printf("%s%s%s\n", menu_c(C_YELLOW), line, menu_c(C_RESET));
				shown = 1;
			}
	free(out);
	if (shown)
		menu_note("%s", TR("paste the relay side line (or the fingerprint) at the relay's fingerprint prompt",
		    "请把 relay side 一行（或指纹）粘贴到中转端的指纹一项"));
	else
		menu_note(TR("the certificate's fingerprint is printed by `xwpf rule show %s` once the relay has made it; "
		    "paste it on the relay side to pin it", "relay 生成证书后，`xwpf rule show %s` 会显示指纹；请填到中转端"), name);
}

static void set_remotes(const char *name, const char hosts[][HOST_MAX + 16], const int *w, int n, int skip);

/* Add a target to rule r's balancing group. Every remote is written again with
 * its weight (weight=N), so a rule whose weights came as `weights = 2,1` (xwPF's
 * form, and what an xwPF import writes) takes a third remote too. */
static void
join_group(const struct store_rule *r)
{
	char host[HOST_MAX], name[STORE_NAME_MAX + 1], hosts[MAXR][HOST_MAX + 16];
	int lo, hi, w[MAXR], n = 0, i;

	snprintf(name, sizeof(name), "%s", r->name);
	if (r->nremotes >= MAXR) {
		menu_err(TR("a rule takes at most %d targets here", "此处一条规则最多 %d 个目标"), MAXR);
		return;
	}
	for (i = 0; i < (int)r->nremotes; i++, n++) {
		hostport_format(&r->remotes[i].addr, hosts[n], sizeof(hosts[n]));
		w[n] = r->remotes[i].weight;
	}
	if (ask_target(TR("New target host (IP or name)", "新目标地址（IP 或域名）"), NULL, 1,
	    (int)store_listen_count(r) - 1, host, sizeof(host), &lo, &hi) < 0)
		return;
	if ((w[n] = menu_choice(TR("Its weight (1-255)", "权重（1-255）"), 0, STORE_WEIGHT_MAX, 1)) <= 0)
		return;
	fmt_hp(hosts[n], sizeof(hosts[n]), host, lo, hi);
	set_remotes(name, hosts, w, n + 1, -1);
}

/* The rule's note and name (the default from its role and port). */
static int
ask_note_name(struct draft *d)
{
	char def[64];

	for (;;) {
		if (menu_ask(TR("Note (Enter: none)", "备注（回车：无）"), "", 1, d->note, sizeof(d->note)) < 0)
			return MENU_BACK;
		if (!strchr(d->note, '#') && strlen(d->note) <= 100)
			break;
		menu_err("%s", TR("a note has at most 100 characters and no '#'", "备注最多 100 字符，且不能含 #"));
	}
	name_default(d, def, sizeof(def));
	for (;;) {
		if (menu_ask(TR("Rule name", "规则名称"), def, 1, d->name, sizeof(d->name)) < 0)
			return MENU_BACK;
		if (!store_name_valid(d->name))
			menu_err(TR("1 to %d letters (any language), digits, '.', '_' or '-'",
			    "1 到 %d 个字母（任何语言）、数字、.、_ 或 -"), TEXT_NAME_CHARS);
		else if (store_find(&menu_st, d->name))
			menu_err(TR("a rule named '%s' exists already", "已有名为“%s”的规则"), d->name);
		else
			break;
	}
	return 0;
}

void
menu_add_rule(void)
{
	struct draft d;
	char buf[600], lv[600], p[200];
	const char *argv[64];
	char remv[MAXR][HOST_MAX + 32];
	size_t n = 0;
	int c, i;

	memset(&d, 0, sizeof(d));
	menu_title(TR("Add a rule", "添加规则"));
	if (menu_store_load() < 0)
		return;
	printf(" 1. %s\n 2. %s\n 0. %s\n", TR("relay: this server forwards to an exit or a service",
	    "中转：本机转发到落地或目标服务"), TR("exit: this server ends a tunnel and hands traffic to a local service",
	    "落地：本机接收隧道并交给本地服务"), TR("back", "返回"));
	if ((c = menu_choice(TR("Role of this server", "本机角色"), 0, 2, 1)) <= 0)
		return;
	d.exit = c == 2;
	d.proto = PROTO_TCP | PROTO_UDP;

	for (;;) {   /* listen ports, with conflicts checked before anything is saved */
		const struct store_rule *r;
		struct menu_lports lp;
		int rc = menu_ask_listen(TR("Listen port (Enter: a random free port; a range such as 10000-10100 or a list "
		    "such as 80,443 works)", "监听端口（回车：随机空闲端口；可填范围如 10000-10100 或列表如 80,443）"), "", 1,
		    d.proto, NULL, NULL, &lp, &r);

		if (rc < 0)
			return;
		if (rc == 1) {
			if (!d.exit && r->role == ROLE_RELAY &&
			    menu_yes(TR("Add a new target to that rule's load-balancing group instead?",
			    "改为向该规则的负载均衡组添加新目标？"), 1)) {
				join_group(r);
				return;
			}
			continue;
		}
		d.lport = lp.lo[0];
		d.lport_end = lp.hi[0];
		d.lcount = lp.count;
		snprintf(d.lports, sizeof(d.lports), "%s", lp.n > 1 ? lp.txt : "");
		break;
	}
	if (ask_ip_or_nic(TR("Listen on (IP or interface; Enter: every address, IPv4 and IPv6)",
	    "监听地址（IP 或网卡；回车：所有地址，IPv4+IPv6）"), "", d.lhost, sizeof(d.lhost), d.listen_if,
	    sizeof(d.listen_if)) < 0)
		return;
	if (d.exit) {
		snprintf(p, sizeof(p), "%s", TR("Forward to (the local service's address)", "转发到（本地业务地址）"));
		if (ask_target(p, "127.0.0.1", 1, d.lcount - 1, d.rhost[0], sizeof(d.rhost[0]), &d.rport[0],
		    &d.rport_end[0]) < 0)
			return;
		d.nrem = 1;
	} else {
		if (ask_ip_or_nic(TR("Leave from (egress IP or interface; Enter: the system's choice)",
		    "出口（IP 或网卡；回车：系统默认）"), "", d.through, sizeof(d.through), d.iface, sizeof(d.iface)) < 0)
			return;
		for (;;) {
			snprintf(p, sizeof(p), d.nrem ? TR("Target %d host", "目标 %d 地址") :
			    TR("Target host: the exit server or service (IP or name)", "目标地址：落地服务器或服务（IP 或域名）"),
			    d.nrem + 1);
			if (ask_target(p, NULL, 1, d.lcount - 1, d.rhost[d.nrem], sizeof(d.rhost[0]),
			    &d.rport[d.nrem], &d.rport_end[d.nrem]) < 0)
				return;
			d.weight[d.nrem] = 1;
			d.nrem++;
			if (d.nrem == MAXR || !menu_yes(TR("Add another target (load balancing)?", "再添加一个目标（负载均衡）？"), 0))
				break;
		}
		if (d.nrem > 1)
			for (i = 0; i < d.nrem; i++) {
				snprintf(p, sizeof(p), TR("Weight of %s (1-255)", "%s 的权重（1-255）"), d.rhost[i]);
				if ((d.weight[i] = menu_choice(p, 0, STORE_WEIGHT_MAX, 1)) <= 0)
					return;
			}
	}
	if (ask_proto(&d.proto, d.proto) < 0)
		return;
	if (transport_wizard(d.exit, d.transport, sizeof(d.transport)) < 0)
		return;
	/* realm (under xwPF) sends a tunnel rule's UDP plain beside the tunnel */
	if (*d.transport && (d.proto & PROTO_UDP) &&
	    !menu_yes(TR("Does the other end run xwpf too? (no: xwPF or realm runs there, and UDP goes plain beside "
	    "the tunnel, to the same port, as realm sends it)", "对端也运行 xwpf 吗？（否：对端是 xwPF 或 realm，"
	    "UDP 将在隧道旁以明文发往同一端口，与 realm 相同）"), 1))
		d.udp_plain = 1;
	if (ask_note_name(&d) < 0)
		return;

	listen_value(&d, lv, sizeof(lv));
	argv[n++] = "rule";
	argv[n++] = "add";
	argv[n++] = d.name;
	argv[n++] = "--listen";
	argv[n++] = lv;
	for (i = 0; i < d.nrem; i++) {
		remote_value(&d, i, remv[i], sizeof(remv[i]));
		argv[n++] = "--remote";
		argv[n++] = remv[i];
	}
	argv[n++] = "--role";
	argv[n++] = d.exit ? "exit" : "relay";
	argv[n++] = "--protocol";
	argv[n++] = store_proto_name(d.proto);
	if (*d.listen_if) {
		argv[n++] = "--listen-interface";
		argv[n++] = d.listen_if;
	}
	if (*d.through) {
		argv[n++] = "--through";
		argv[n++] = d.through;
	}
	if (*d.iface) {
		argv[n++] = "--interface";
		argv[n++] = d.iface;
	}
	if (*d.transport) {
		argv[n++] = d.exit ? "--listen-transport" : "--remote-transport";
		argv[n++] = d.transport;
	}
	if (d.udp_plain) {
		argv[n++] = "--udp-transport";
		argv[n++] = "plain";
	}
	if (*d.note) {
		argv[n++] = "--note";
		argv[n++] = d.note;
	}
	argv[n] = NULL;

	printf("\n%s%s%s\n  xwpf", menu_c(C_BOLD), TR("To be saved:", "将保存："), menu_c(C_RESET));
	for (i = 0; argv[i]; i++)
		printf(strpbrk(argv[i], " ;") ? " '%s'" : " %s", argv[i]);
	printf("\n");
	if (!menu_yes(TR("Save this rule?", "保存这条规则？"), 1)) {
		menu_note("%s", TR("not saved", "未保存"));
		return;
	}
	snprintf(buf, sizeof(buf), "%s", d.name);
	if (rule_cmd(argv) == 0 && d.exit && strstr(d.transport, "tls"))
		show_fingerprint(buf);
}

/* ---- edit ---- */

struct pending {
	char kv[MAXR + 8][HOST_MAX + 64];
	int n;
};

static void
pending_set(struct pending *p, const char *key, const char *value)
{
	int i, j;
	size_t kl = strlen(key);

	for (i = j = 0; i < p->n; i++)   /* a new value of a key replaces the pending one */
		if (!(strncmp(p->kv[i], key, kl) == 0 && p->kv[i][kl] == '='))
			memmove(p->kv[j++], p->kv[i], sizeof(p->kv[0]));
	p->n = j;
	if (p->n < (int)ARRAY_SIZE(p->kv))
		snprintf(p->kv[p->n++], sizeof(p->kv[0]), "%s=%s", key, value);
}

/* One side's congestion control: 0 = the system's (the key is reset: a hop
 * that stays on this machine is then unpaced when the system's paces, see
 * net_local_cc), else one of what this kernel has
 * (net.ipv4.tcp_available_congestion_control). */
static int
ask_congestion(const char *title, const char *cur, char out[16])
{
	char avail[256] = "", def[16] = "", local[16], *names[16], *tok, *save = NULL;
	int n = 0, k, c, now = 0;

	(void)file_line("/proc/sys/net/ipv4/tcp_available_congestion_control", avail, sizeof(avail));
	net_local_cc(local, def);
	for (tok = strtok_r(avail, " \t\n", &save); tok && n < 15; tok = strtok_r(NULL, " \t\n", &save))
		if (strlen(tok) < 16)
			names[n++] = tok;
	printf("\n%s\n 0. %s (%s", title, TR("the system's", "系统默认"), *def ? def : "?");
	if (*local)
		printf(TR("; %s on a hop that stays on this machine: not paced", "；本机内部的一跳用 %s：不限速发送"), local);
	printf(")\n");
	for (k = 0; k < n; k++) {
		printf(" %d. %s\n", k + 1, names[k]);
		if (strcmp(names[k], cur) == 0)
			now = k + 1;
	}
	c = menu_choice(TR("Choose", "请选择"), 0, n, now);
	if (c < 0)
		return -1;
	snprintf(out, 16, "%s", c ? names[c - 1] : "");
	return 0;
}

static void
edit_rule(void)
{
	const struct store_rule *r;
	struct store_rule cur;
	char pdef[1024];
	int nports;
	struct pending pd;
	char name[STORE_NAME_MAX + 1], val[600];
	int c, i;

	menu_title(TR("Edit a rule", "修改规则"));
	if (!(r = menu_pick_rule(TR("Rule to edit (0: back)", "要修改的规则（0 返回）"))))
		return;
	cur = *r;   /* shallow: only scalar fields are read below */
	nports = (int)store_listen_count(r);   /* the list's ports: r is menu_st's, which a reload frees */
	store_listen_format(r, pdef, sizeof(pdef));
	memmove(pdef, strrchr(pdef, ':') + 1, strlen(strrchr(pdef, ':') + 1) + 1);   /* the ports alone */
	cur.remotes = NULL;
	cur.lmore = NULL;
	cur.nlmore = 0;
	snprintf(name, sizeof(name), "%s", r->name);
	memset(&pd, 0, sizeof(pd));
	for (;;) {
		printf("\n%s %s%s%s\n", TR("Editing", "正在修改"), menu_c(C_BOLD), name, menu_c(C_RESET));
		for (i = 0; i < pd.n; i++)
			printf("  %s* %s%s\n", menu_c(C_YELLOW), pd.kv[i], menu_c(C_RESET));
		printf(" 1. %s\n 2. %s\n 3. %s\n 4. %s\n 5. %s\n 6. %s\n 7. %s\n 9. %s\n 0. %s\n",
		    TR("listen port / address", "监听端口 / 地址"), TR("targets (replaces them all)", "目标（全部替换）"),
		    TR("transport", "传输方式"), TR("protocol", "协议"), TR("egress IP / interface", "出口 IP / 网卡"),
		    TR("note", "备注"), TR("TCP congestion control, each side (bbr, cubic ...)", "TCP 拥塞控制，两侧分别设置（bbr、cubic 等）"),
		    TR("save the changes above", "保存以上修改"), TR("back (drop the changes)", "返回（放弃修改）"));
		c = menu_choice(TR("Choose", "请选择"), 0, 9, -1);
		if (c <= 0) {
			if (pd.n)
				menu_note("%s", TR("changes dropped; nothing was written", "已放弃修改，未写入"));
			return;
		}
		if (c == 8) {   /* 8 is not offered: 9 saves */
			menu_err("%s", TR("8 is not a choice here: 1-7 change a setting, 9 saves, 0 goes back",
			    "8 不是有效选项：1-7 修改设置，9 保存，0 返回"));
			continue;
		}
		if (c == 1) {
			char host[HOST_MAX], nic[16], adef[HOST_MAX];
			const struct store_rule *o;
			struct menu_lports lp;

			/* Enter keeps what the rule has: a new port must not widen 127.0.0.1 to every address */
			snprintf(adef, sizeof(adef), "%s", *cur.listen_interface ? cur.listen_interface :
			    strcmp(cur.listen.host, "::") == 0 ? "" : cur.listen.host);
			if (menu_ask_listen(TR("Listen port, range or list", "监听端口、范围或列表"), cur.listen.port ? pdef : NULL,
			    0, cur.protocols, name, pdef, &lp, &o) != 0)
				continue;
			if (ask_ip_or_nic(*adef ? TR("Listen on (IP or interface; :: for every address)",
			    "监听地址（IP 或网卡；:: 表示所有地址）") : TR("Listen on (IP or interface; Enter: every address)",
			    "监听地址（IP 或网卡；回车：所有地址）"), adef, host, sizeof(host), nic, sizeof(nic)) < 0)
				continue;
			if (*host)
				snprintf(val, sizeof(val), "%s%s%s:%s", addr_family_of(host) == 6 ? "[" : "", host,
				    addr_family_of(host) == 6 ? "]" : "", lp.txt);
			else
				snprintf(val, sizeof(val), "%s", lp.txt);
			pending_set(&pd, "listen", val);
			pending_set(&pd, "listen_interface", nic);
		} else if (c == 2) {
			char host[HOST_MAX], hp[HOST_MAX + 16];
			int lo, hi, k;

			for (k = 0; k < pd.n;)   /* drop pending remotes */
				if (strncmp(pd.kv[k], "remote=", 7) == 0) {
					memmove(pd.kv[k], pd.kv[k + 1], sizeof(pd.kv[0]) * (size_t)(pd.n - k - 1));
					pd.n--;
				} else
					k++;
			for (k = 0; k < MAXR; k++) {
				if (ask_target(TR("Target host", "目标地址"), NULL, 1, nports - 1, host,
				    sizeof(host), &lo, &hi) < 0)
					break;
				fmt_hp(hp, sizeof(hp), host, lo, hi);
				if (pd.n < (int)ARRAY_SIZE(pd.kv))
					snprintf(pd.kv[pd.n++], sizeof(pd.kv[0]), "remote=%s", hp);
				if (!menu_yes(TR("Another target?", "再添加一个目标？"), 0))
					break;
			}
			pending_set(&pd, "weights", "");
		} else if (c == 3) {
			if (transport_wizard(cur.role == ROLE_EXIT, val, STORE_TRANSPORT_MAX) < 0)
				continue;
			pending_set(&pd, cur.role == ROLE_EXIT ? "listen_transport" : "remote_transport", val);
		} else if (c == 4) {
			unsigned pr;
			if (ask_proto(&pr, cur.protocols) < 0)
				continue;
			pending_set(&pd, "protocol", store_proto_name(pr));
		} else if (c == 5) {
			char ip[HOST_MAX], nic[16];
			if (ask_ip_or_nic(TR("Leave from (IP or interface; Enter: the system's choice)", "出口（IP 或网卡；回车：系统默认）"),
			    "", ip, sizeof(ip), nic, sizeof(nic)) < 0)
				continue;
			pending_set(&pd, "through", ip);
			pending_set(&pd, "interface", nic);
		} else if (c == 6) {
			for (;;) {
				if (menu_ask(TR("Note", "备注"), cur.note, 1, val, 128) < 0)
					break;
				if (!strchr(val, '#') && strlen(val) <= 100) {
					pending_set(&pd, "note", val);
					break;
				}
				menu_err("%s", TR("a note has at most 100 characters and no '#'", "备注最多 100 字符，且不能含 #"));
			}
		} else if (c == 7) {
			char lv[16], rv[16];

			if (ask_congestion(TR("Toward the clients (what the relay sends them)", "发往客户端一侧（中转发给客户端的数据）"),
			    cur.listen_congestion, lv) < 0 ||
			    ask_congestion(TR("Toward the targets (what the relay sends them)", "发往目标一侧（中转发给目标的数据）"),
			    cur.remote_congestion, rv) < 0)
				continue;
			pending_set(&pd, "listen_congestion", lv);
			pending_set(&pd, "remote_congestion", rv);
		} else if (c == 9) {
			const char *a[MAXR + 16];
			int k, m = 0;

			if (!pd.n) {
				menu_note("%s", TR("nothing to save", "没有需要保存的修改"));
				continue;
			}
			a[m++] = "rule";
			a[m++] = "set";
			a[m++] = name;
			for (k = 0; k < pd.n; k++)
				a[m++] = pd.kv[k];
			a[m] = NULL;
			rule_cmd(a);
			return;
		}
	}
}

/* "1,3" or "a,b" against the rules: names into out. -1 with a message when a piece is wrong. */
static int
parse_list(const char *in, char names[][STORE_NAME_MAX + 1], int max)
{
	char buf[1024], *tok, *save = NULL;
	int n = 0, k;

	snprintf(buf, sizeof(buf), "%s", in);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		long v;
		const char *nm = NULL;

		if (parse_long(tok, 1, (long)menu_st.nrules, &v) == 0)
			nm = menu_st.rules[v - 1].name;
		else if (store_find(&menu_st, tok))
			nm = tok;
		if (!nm) {
			menu_err(TR("'%s' is neither a rule number (1-%zu) nor a rule name", "“%s”既不是规则序号（1-%zu）也不是规则名"),
			    tok, menu_st.nrules);
			return -1;
		}
		for (k = 0; k < n; k++)
			if (strcmp(names[k], nm) == 0)
				break;
		if (k == n && n < max)
			snprintf(names[n++], STORE_NAME_MAX + 1, "%s", nm);
	}
	if (!n)
		menu_err("%s", TR("give one or more numbers, such as 1,3", "请输入一个或多个序号，如 1,3"));
	return n ? n : -1;
}

int
menu_ask_rules(const char *prompt, char names[][STORE_NAME_MAX + 1], int max)
{
	char in[1024];
	int n;

	if (menu_list_rules(TR("no rules yet", "还没有规则")) < 0)
		return MENU_BACK;
	for (;;) {
		if (menu_ask(prompt, NULL, 1, in, sizeof(in)) < 0)
			return MENU_BACK;
		if ((n = parse_list(in, names, max)) > 0)
			return n;
	}
}

static void
delete_rules(void)
{
	char names[64][STORE_NAME_MAX + 1], list[64 * (STORE_NAME_MAX + 1)];
	int n, i;
	size_t l = 0;

	menu_title(TR("Delete rules", "删除规则"));
	if ((n = menu_ask_rules(TR("Rules to delete, e.g. 1,3 (0: back)", "要删除的规则，如 1,3（0 返回）"), names, 64)) < 0)
		return;
	for (i = 0; i < n; i++)
		l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s", i ? "," : "", names[i]);
	printf(TR("  delete: %s\n", "  删除：%s\n"), list);
	if (!menu_yes(TR("Delete them?", "确定删除？"), 0))
		return;
	{
		const char *a[] = { "rule", "del", list, NULL };
		rule_cmd(a);
	}
}

static void
toggle_rules(void)
{
	char names[64][STORE_NAME_MAX + 1];
	const char *on[68], *off[68];
	int n, i, non = 2, noff = 2;

	menu_title(TR("Enable / disable", "启用 / 停用"));
	if ((n = menu_ask_rules(TR("Rules to switch on or off, e.g. 1,3 (0: back)", "要切换启停的规则，如 1,3（0 返回）"), names,
	    64)) < 0)
		return;
	on[0] = off[0] = "rule";
	on[1] = "enable";
	off[1] = "disable";
	for (i = 0; i < n; i++) {
		const struct store_rule *r = store_find(&menu_st, names[i]);
		if (r && r->enabled)
			off[noff++] = names[i];
		else
			on[non++] = names[i];
	}
	on[non] = off[noff] = NULL;
	if (non > 2)
		rule_cmd(on);
	if (noff > 2)
		rule_cmd(off);
}

/* ---- load balancing ---- */

static void
share_preview(const int *w, const char hosts[][HOST_MAX + 16], int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum += w[i];
	for (i = 0; i < n; i++)
		printf("    %-40s %s%3d%s  %5.1f%%\n", hosts[i], menu_c(C_BOLD), w[i], menu_c(C_RESET),
		    sum ? 100.0 * w[i] / sum : 0.0);
}

static void
set_remotes(const char *name, const char hosts[][HOST_MAX + 16], const int *w, int n, int skip)
{
	char vals[MAXR + 2][HOST_MAX + 40];
	const char *a[MAXR + 8];
	int i, m = 0, k = 0;

	a[m++] = "rule";
	a[m++] = "set";
	a[m++] = name;
	for (i = 0; i < n && k < MAXR; i++) {
		if (i == skip)
			continue;
		if (w[i] > 1)
			snprintf(vals[k], sizeof(vals[k]), "remote=%s weight=%d", hosts[i], w[i]);
		else
			snprintf(vals[k], sizeof(vals[k]), "remote=%s", hosts[i]);
		a[m++] = vals[k++];
	}
	a[m++] = "weights=";
	a[m] = NULL;
	rule_cmd(a);
}

void
menu_balance(void)
{
	const struct store_rule *r;
	char name[STORE_NAME_MAX + 1], hosts[MAXR][HOST_MAX + 16];
	int w[MAXR], n, i, c;

	menu_title(TR("Load balancing and failover", "负载均衡与故障转移"));
	if (!(r = menu_pick_rule(TR("Rule (0: back)", "规则（0 返回）"))))
		return;
	snprintf(name, sizeof(name), "%s", r->name);
	for (;;) {
		if (menu_store_load() < 0 || !(r = store_find(&menu_st, name)))
			return;
		n = r->nremotes < MAXR ? (int)r->nremotes : MAXR;
		for (i = 0; i < n; i++) {
			hostport_format(&r->remotes[i].addr, hosts[i], sizeof(hosts[i]));
			w[i] = r->remotes[i].weight;
		}
		printf("\n%s%s%s%s%s %s, failover %s\n", menu_c(C_BOLD), name, menu_c(C_RESET), MENU_COLON, TR("mode", "模式"),
		    store_balance_name(r->balance), r->failover ? TR("on", "开") : TR("off", "关"));
		share_preview(w, hosts, n);
		if (n < 2)
			menu_note("%s", TR("one target only: add another (4) to balance", "只有一个目标：请先添加（4）"));
		printf(" 1. %s\n 2. %s\n 3. %s\n 4. %s\n 5. %s\n 0. %s\n", TR("mode", "均衡模式"),
		    TR("weights", "权重"), TR("failover on/off", "故障转移开/关"), TR("add a target", "添加目标"),
		    TR("remove a target", "删除目标"), TR("back", "返回"));
		if ((c = menu_choice(TR("Choose", "请选择"), 0, 5, -1)) <= 0)
			return;
		if (c == 1) {
			static const char *const modes[] = { "off", "roundrobin", "iphash", "failover" };
			char arg[40];
			int m;

			printf(" 1. %s\n 2. %s\n 3. %s\n 4. %s\n", TR("off: the first target only", "off：只用第一个目标"),
			    TR("roundrobin: in turn, by weight", "roundrobin：按权重轮询"),
			    TR("iphash: a client address always to the same target", "iphash：同一客户端地址固定到同一目标"),
			    TR("failover: the first healthy target takes all", "failover：第一个健康目标承担全部流量"));
			if ((m = menu_choice(TR("Mode", "模式"), 0, 4, (int)r->balance + 1)) <= 0)
				continue;
			snprintf(arg, sizeof(arg), "balance=%s", modes[m - 1]);
			{
				const char *a[] = { "rule", "set", name, arg, NULL };
				rule_cmd(a);
			}
		} else if (c == 2) {
			char in[512], *tok, *save = NULL;
			int nw[MAXR], k = 0, bad = 0;

			if (n < 2)
				continue;
			for (;;) {
				if (menu_ask(TR("Weights 1-255, one per target, e.g. 3,2,1", "权重 1-255，每个目标一个，如 3,2,1"), NULL,
				    1, in, sizeof(in)) < 0)
					break;
				k = bad = 0;
				for (tok = strtok_r(in, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
					long v;
					if (k >= n || parse_long(tok, 1, STORE_WEIGHT_MAX, &v) < 0) {
						bad = 1;
						break;
					}
					nw[k++] = (int)v;
				}
				if (!bad && k == n)
					break;
				menu_err(TR("give %d weights from 1 to 255, separated by commas", "请输入 %d 个 1-255 的权重，用逗号分隔"), n);
			}
			if (bad || k != n)
				continue;
			printf("%s\n", TR("  share of new connections:", "  新连接分配比例："));
			share_preview(nw, hosts, n);
			if (menu_yes(TR("Apply these weights?", "应用这些权重？"), 1))
				set_remotes(name, hosts, nw, n, -1);
		} else if (c == 3) {
			const char *a[] = { "rule", "set", name, r->failover ? "failover=no" : "failover=yes", NULL };
			if (!r->failover && !menu_has_applet("health"))
				menu_note("%s", TR("the health applet is not in this build: the relay still skips targets that "
				    "fail to connect", "此版本不含 health：中继仍会跳过连接失败的目标"));
			rule_cmd(a);
		} else if (c == 4) {
			join_group(r);
		} else if (c == 5) {
			int k;
			if (n < 2) {
				menu_note("%s", TR("the last target cannot be removed: delete the rule instead", "不能删除最后一个目标：请删除规则"));
				continue;
			}
			if ((k = menu_choice(TR("Target to remove", "要删除的目标"), 0, n, -1)) <= 0)
				continue;
			set_remotes(name, hosts, w, n, k - 1);
		}
	}
}

void
menu_rules(void)
{
	int c;

	for (;;) {
		menu_title(TR("Forwarding rules", "转发规则"));
		printf(" 1. %s\n 2. %s\n 3. %s\n 4. %s\n 5. %s\n 6. %s\n 7. %s\n 0. %s\n", TR("add", "添加"),
		    TR("edit", "修改"), TR("delete (e.g. 1,3)", "删除（如 1,3）"), TR("enable / disable", "启用 / 停用"),
		    TR("load balancing, weights, failover", "负载均衡、权重、故障转移"), TR("PROXY protocol (e.g. 1,3)", "PROXY 协议（如 1,3）"),
		    TR("MPTCP of rules (e.g. 1,3)", "规则的 MPTCP（如 1,3）"), TR("back", "返回"));
		c = menu_choice(TR("Choose", "请选择"), 0, 7, -1);
		switch (c) {
		case 1: menu_add_rule(); break;
		case 2: edit_rule(); break;
		case 3: delete_rules(); break;
		case 4: toggle_rules(); break;
		case 5: menu_balance(); break;
		case 6: menu_proxy(); break;
		case 7: menu_rule_mptcp(); break;
		default: return;
		}
	}
}
