/* menu_zh_line: what applets print, in Chinese for the menu (applets/menu/menu_zh.c) */
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "menu.h"

static const char *
zh(const char *in)
{
	static char out[8192];

	menu_zh_line(in, out, sizeof(out));
	return out;
}

/* every occurrence of w in s becomes spaces */
static void
blank(char *s, const char *w)
{
	size_t n = strlen(w);
	char *at;

	while (n && (at = strstr(s, w)) != NULL)
		memset(at, ' ', n);
}

int
main(void)
{
	menu_zh = 0;
	CHECK_STR(zh("route: 3 hops, destination reached\n"), "route: 3 hops, destination reached\n", "English menu: as it came");
	menu_zh = 1;
	CHECK_STR(zh("route: 3 hops, destination reached\n"), "路由：3 跳，已到达目的地\n", "a linktest heading");
	CHECK_STR(zh("  upload 4 streams       9472.2       13      1.00    1110048768"),
	    "  上传 4 条流            9472.2       13      1.00    1110048768", "a tcp row keeps its figures and columns (a Chinese character is two wide)");
	CHECK_STR(zh("  download               1000.0    852.2   0.63%    560/89329      0.002          0"),
	    "  下载                   1000.0    852.2   0.63%    560/89329      0.002          0", "a udp row");
	CHECK_STR(zh("linktest to 127.0.0.1:5201 (a plain iperf3 server)\n"), "链路测试：到 127.0.0.1:5201（普通 iperf3 服务端）\n",
	    "the heading against a plain iperf3 server");
	CHECK_STR(zh("  download             failed: tcp download: iperf3: the server ended the test early\n"),
	    "  下载                 失败：tcp download：iperf3：服务端提前结束了测试\n", "an iperf3 failure, translated inside its row");
	CHECK_STR(zh("   1  127.0.0.1                                   0.017 ms  (3/3)  destination"),
	    "   1  127.0.0.1                                   0.017 ms  (3/3)  目的地", "a route hop");
	CHECK_STR(zh("  MPJoinAckRx                       0  extra subflows accepted since boot"),
	    "  MPJoinAckRx                       0  开机以来接受的额外子流", "an MPTCP counter: its name kept, its meaning said");
	CHECK_STR(zh("xwpf linktest: cannot connect to 127.0.0.1:9: Connection refused (is 'xwpf linktest --server' "
	    "running there, and the port open?)\n"),
	    "xwpf linktest：无法连接 127.0.0.1:9：连接被拒绝（对端是否运行了 xwpf linktest --server，端口是否开放？）\n",
	    "an error with the system's words");
	CHECK_STR(zh("xwpf mptcp: id 300 must be a number; nothing was changed"),
	    "xwpf mptcp：id 300 must be a number；未做任何改动", "an unknown message keeps its words, the known end translated");
	CHECK_STR(zh("xwpf mptcp: id must be a number from 1 to 255, not 'x'; nothing was changed"),
	    "xwpf mptcp：id 必须是 1 到 255 的数字，而不是“x”；未做任何改动", "a message inside a message, both translated");
	CHECK_STR(zh("xwpf notify: telegram:123@-100: cannot connect to 127.0.0.1 port 9: Connection refused\n"),
	    "xwpf notify：telegram:123@-100：无法连接 127.0.0.1 端口 9：连接被拒绝\n", "a target's failure, its name kept");
	CHECK_STR(zh("saved 1 key\n"), "已保存 1 个键\n", "config set's result");
	CHECK_STR(zh("xwpf rule: refused: expire: 2027-02-30 is not a day of that month (write YYYY-MM-DD)\n"),
	    "xwpf rule：已拒绝：expire：2027-02-30 不是该月中的日期（写作 YYYY-MM-DD）\n", "a refused expiry date");
	CHECK_STR(zh("/r/xwpf.conf:6: error: notify: 'foo' is not a notification target: write telegram:BOT_TOKEN@CHAT_ID, "
	    "wecom:https://... (the group robot's webhook) or webhook:https://..."),
	    "/r/xwpf.conf:6：错误：notify：“foo”不是通知目标：请写 telegram:BOT_TOKEN@CHAT_ID、wecom:https://...（群机器人的 "
	    "webhook）或 webhook:https://...", "a store error inside its key's name");
	CHECK_STR(zh("something new\n"), "something new\n", "a line no pattern knows comes as it came");
	/* lib/system's MPTCP errors, which the menu's MPTCP screens show */
	CHECK_STR(zh("xwpf mptcp: there is no interface named eth9 (see: ip link)\n"),
	    "xwpf mptcp：没有名为 eth9 的网卡（见 ip link）\n", "an MPTCP endpoint's missing interface");
	CHECK_STR(zh("xwpf mptcp: cannot set net.mptcp.enabled = 1: Permission denied (run as root, outside a read-only container)\n"),
	    "xwpf mptcp：无法设置 net.mptcp.enabled = 1：权限不足（请以 root 身份在非只读容器中运行）\n",
	    "a sysctl the kernel refused, its system error too");
	/* a command printed for the user, with the --root in effect or without */
	CHECK_STR(zh("imported a.tar.gz; the replaced files are in /r/var/lib/xwpf/backup/1 (undo with: xwpf --root /r import "
	    "--undo)\n"), "已导入 a.tar.gz；被替换的文件在 /r/var/lib/xwpf/backup/1（撤销：xwpf --root /r import --undo）\n",
	    "import's undo command, its --root kept");
	CHECK_STR(zh("xwpf rule: no rule named 'x' (see: xwpf rule list)\n"), "xwpf rule：没有名为“x”的规则（见 xwpf rule list）\n",
	    "a hint without a root");
	CHECK_STR(zh("xwpf rule: unknown rule key 'lisen': did you mean 'listen'? (see: xwpf --root '/a b' rule keys)"),
	    "xwpf rule：未知的规则键“lisen”：是否想写“listen”？（见 xwpf --root '/a b' rule keys）", "a quoted root");
	CHECK_STR(zh("  none: add one with xwpf --root /r mptcp endpoint add ADDR dev IF subflow"),
	    "  无：用 xwpf --root /r mptcp endpoint add 地址 dev 网卡 subflow 添加", "the words of a command translated, its root kept");
	CHECK_STR(zh("UDP of these tunnel rules goes plain beside the tunnel to the same host:port, as realm sent it "
	    "(udp_transport = plain); their TCP goes through the tunnel:\n"),
	    "以下隧道规则的 UDP 在隧道旁以明文发往同一主机:端口，与 realm 相同（udp_transport = plain）；TCP 走隧道：\n",
	    "an import's heading of tunnel rules with plain UDP");
	CHECK_STR(zh("  hk-ws                [::]:443 -> 192.0.2.1:443   tcp: wss tunnel, udp: plain\n"),
	    "  hk-ws                [::]:443 -> 192.0.2.1:443   TCP：走 wss 隧道，UDP：明文\n", "... and one of its rules");
	CHECK_STR(zh("/root/x.tar.gz: an xwPF archive with 2 rules and 1 MPTCP endpoint; they replace the store's rules\n"),
	    "/root/x.tar.gz：xwPF 备份，含 2 条规则、1 个 MPTCP 端点；将替换规则文件中现有的全部规则\n",
	    "what an import reads, its kind in Chinese too");
	CHECK_STR(zh("/etc/port-traffic-dog: a traffic tool config with limits for 3 ports\n"),
	    "/etc/port-traffic-dog：流量工具配置，含 3 个端口的限额\n", "... the traffic tool's limits");
	CHECK_STR(zh("xwpf import: warning: endpoint 1: unknown key endpoint.bogus ignored (realm ignores it too)\n"),
	    "xwpf import：警告：端点 1：未知的键 endpoint.bogus，已忽略（realm 同样忽略）\n", "a realm config's unknown key");
	CHECK_STR(zh("xwpf import: warning: network.zero_copy is deprecated in realm and not used: plain TCP is spliced anyway"),
	    "xwpf import：警告：network.zero_copy 在 realm 中已弃用，不使用：普通 TCP 本就以 splice 转发", "a deprecated key");
	CHECK_STR(zh("xwpf import: warning: port 20200: bandwidth '2.5MB/s' is not a rate such as 100Mbps; not imported"),
	    "xwpf import：警告：端口 20200：带宽“2.5MB/s”不是 100Mbps 这样的速率；未导入", "a traffic tool's rate");
	CHECK_STR(zh("xwpf import: warning: rule 'r1': remote_transport: 0rtt accepted but not used"),
	    "xwpf import：警告：规则“r1”：remote_transport：0rtt 可以写，但不使用", "0rtt in a transport");
	CHECK_STR(zh("note: rule web: cert=/etc/x.pem is not in the archive: no such file"),
	    "注意：规则 web：cert=/etc/x.pem 不在备份中：文件不存在", "a file a rule names, missing from an archive");
	CHECK_STR(zh("xwpf import: /root/a.txt: not an xwpf export or xwPF archive (.tar.gz), nor a realm config (.json, "
	    ".toml); read as TOML: line 1: expected '=' after the key 'hello'; nothing was changed\n"),
	    "xwpf import：/root/a.txt：不是 xwpf 导出包或 xwPF 备份（.tar.gz），也不是 realm 配置（.json、.toml）；按 TOML "
	    "读取时：第 1 行：键“hello”之后应为“=”；未做任何改动\n", "a file import cannot read as anything");
	CHECK_STR(zh("xwpf import: the store changed while this import was being prepared; run it again to see the new plan; "
	    "nothing was changed"), "xwpf import：准备导入期间规则文件被改动；请重新运行以查看新的计划；未做任何改动",
	    "a store changed under an import");
	/* every refusal an import passes on from what it reads (lib/migrate, lib/base/tar.c, the JSON and TOML
	 * readers), as the applet prints it: Chinese but for the names, keys and values in keep */
	{
		static const struct { const char *err, *keep; } refusals[] = {
			{ "the archive holds more than 67108864 bytes: refused", "" },
			{ "the archive is truncated (it ends inside an entry or has no end marker)", "" },
			{ "the archive is truncated (the gzip stream ends early)", "gzip" },
			{ "not a .tar.gz archive (no gzip signature)", ".tar.gz gzip" },
			{ "cannot start zlib", "zlib" },
			{ "the archive inflates past 67108864 bytes: refused (a gzip bomb?)", "gzip" },
			{ "the archive inflates 1000 times its size: refused as a gzip bomb", "gzip" },
			{ "the gzip data is damaged (inflate error)", "gzip" },
			{ "the gzip data is damaged (incorrect data check)", "gzip" },
			{ "the gzip data is damaged (invalid code -- missing end-of-block)", "gzip" },
			{ "junk after the gzip data: refused", "gzip" },
			{ "'../etc/passwd' is not a safe archive name", "../etc/passwd" },
			{ "archive name too long: aaaaaaaa", "aaaaaaaa" },
			{ "big.bin is too large for a ustar entry", "big.bin ustar" },
			{ "gzip failed (-2)", "gzip" },
			{ "no xwpf-export/MANIFEST: not an xwpf export", "xwpf-export/MANIFEST" },
			{ "xwpf-export/MANIFEST is not a regular file: not a valid xwpf export", "xwpf-export/MANIFEST" },
			{ "MANIFEST: the first line is not 'xwpf-export N'", "MANIFEST xwpf-export" },
			{ "the archive has format 3, newer than this xwpf reads (1): import it with a newer xwpf", "" },
			{ "MANIFEST line 4 is not 'file SHA256 MODE SIZE PATH'", "MANIFEST file SHA256" },
			{ "the manifest lists etc/xwpf/xwpf.conf but the archive does not hold it", "etc/xwpf/xwpf.conf" },
			{ "etc/xwpf/xwpf.conf does not match its SHA-256 in the manifest: the archive was changed or damaged",
			  "etc/xwpf/xwpf.conf SHA-256" },
			{ "MANIFEST is empty", "MANIFEST" },
			{ "xwpf-export/evil is not listed in the manifest: refused", "xwpf-export/evil" },
			{ "more than 512 files", "" },
			{ "etc/xwpf/xwpf.conf is listed twice", "etc/xwpf/xwpf.conf" },
			{ "path too long: etc/aaaa", "etc/aaaa" },
			{ "/etc/x.pem is larger than 1048576 bytes", "/etc/x.pem" },
			{ "/etc/x.pem is not a regular file", "/etc/x.pem" },
			{ "cannot read /etc/x.pem: No such file or directory", "/etc/x.pem" },
			{ "the store in the archive holds a NUL byte", "NUL" },
			{ "refusing to write etc/passwd", "etc/passwd" },
			{ "too many backups within one second in /var/lib/xwpf/backup", "/var/lib/xwpf/backup" },
			{ "cannot create a folder in /var/lib/xwpf/backup: Permission denied", "/var/lib/xwpf/backup" },
			{ "cannot create /var/lib/xwpf/backup/x/files/etc: Permission denied", "/var/lib/xwpf/backup/x/files/etc" },
			{ "cannot move the backup /b/.t to /b/1: Permission denied", "/b/.t /b/1" },
			{ "/b/1/INDEX is not an xwpf backup index", "/b/1/INDEX" },
			{ "the backup lacks /b/1/files/etc/x.pem", "/b/1/files/etc/x.pem" },
			{ "/b/1/INDEX line 2 is not understood", "/b/1/INDEX" },
			{ "cannot remove /etc/x.pem: Permission denied", "/etc/x.pem" },
			{ "restored, but cannot mark /b/1 as undone: Permission denied", "/b/1" },
			{ "out of memory", "" },
			/* the JSON and TOML readers */
			{ "line 3: more than 100000 values", "" },
			{ "line 3: an object with more than 4096 members", "" },
			{ "line 3: the key 'remote' is defined twice", "remote" },
			{ "line 3: a string longer than 4096 bytes", "" },
			{ "line 3: expected ',' or '}'", "" },
			{ "line 3: a string ends inside an escape", "" },
			{ "line 3: an unknown escape '\\q'", "q" },
			{ "line 3: \\u without four hex digits", "u" },
			{ "line 3: a lone UTF-16 surrogate", "UTF-16" },
			{ "line 3: an escape for a code point a string cannot hold", "" },
			{ "line 3: an escape for a code point a config cannot hold", "" },
			{ "line 3: a control character inside a string", "" },
			{ "line 3: a string that is not UTF-8", "UTF-8" },
			{ "line 3: a string is not closed", "" },
			{ "line 3: a string is not closed on its line", "" },
			{ "line 3: a number with too many digits", "" },
			{ "line 3: expected a value", "" },
			{ "line 3: expected a value (a string, number, boolean, array or table)", "" },
			{ "line 3: expected a \"key\"", "" },
			{ "line 3: expected ':' after \"listen\"", "listen" },
			{ "line 3: nested deeper than 64 levels", "" },
			{ "line 3: nested deeper than 64 levels (the limit; dotted keys, tables and arrays count)", "" },
			{ "the JSON text is larger than 4194304 bytes", "JSON" },
			{ "line 9: text after the JSON value", "JSON" },
			{ "line 3: a value is missing", "" },
			{ "line 3: expected a key", "" },
			{ "line 3: 'network' is already a value, not a table", "network" },
			{ "line 3: 'endpoints' is already a table, not an array of tables", "endpoints" },
			{ "line 3: expected '=' after the key 'listen'", "listen" },
			{ "line 3: '2024-01-01' is not a number (dates are not supported)", "" },
			{ "the config is larger than 4194304 bytes", "" },
			{ "line 3: expected ']]' after the table name", "" },
			{ "line 3: text after the value; one key = value per line", "" },
			/* the rules an import builds, the traffic tool's config */
			{ "endpoint 1: listen_transport 'a\\nb' holds a line break, a control character or a '#' comment start "
			  "the store cannot keep", "listen_transport a\\nb" },
			{ "rules/rule-1.conf: remote_transport is longer than 2000 characters", "rules/rule-1.conf remote_transport" },
			{ "port 8080: too many settings", "" },
			{ "[global]: too many settings", "[global]" },
			{ "endpoint 2: no free name near 'realm-80'", "realm-80" },
			{ "more than 4096 ports, or out of memory", "" },
			{ "not the traffic tool's config.json (no \"ports\" object)", "config.json ports" },
			/* realm's configs */
			{ "endpoint 1: network.no_tcp must be true or false", "network.no_tcp true false" },
			{ "the config: network.tcp_timeout must be a whole number from 0 to 86400", "network.tcp_timeout" },
			{ "endpoint 1: network.send_proxy_version is 1 or 2", "network.send_proxy_version" },
			{ "endpoint 1: balance is too long", "balance" },
			{ "endpoint 1: balance 'random' is not roundrobin, iphash or off", "balance random roundrobin iphash off" },
			{ "endpoint 1: balance weights are numbers from 0 to 255, not 'heavy'", "balance heavy" },
			{ "endpoint 1: balance must be a string such as \"roundrobin: 2, 1\"", "balance roundrobin" },
			{ "endpoint 1: balance has 3 weights for 2 peers (remote and extra_remotes)", "balance extra_remotes remote" },
			{ "endpoint 1: every balance weight is 0: no peer to forward to", "balance" },
			{ "endpoint 1: extra_remotes must be a list of strings", "extra_remotes" },
			{ "endpoint 1: listen host 'nowhere' does not resolve to an address; give an IP address", "listen nowhere IP" },
			{ "endpoint 1: listen host 'nowhere' does not resolve to an address", "listen nowhere" },
			{ "endpoint 1: listen 'nowhere' is not ADDRESS:PORT", "listen nowhere ADDRESS:PORT" },
			{ "legacy port 80: more than 16 remotes", "" },
			{ "endpoint 1: remote must be a string", "remote" },
			{ "endpoint 1: through must be a string", "through" },
			{ "dns.mode must be a string", "dns.mode" },
			{ "endpoint 1: no_tcp without use_udp forwards nothing; remove no_tcp or add use_udp", "no_tcp use_udp" },
			{ "too many endpoints", "" },
			{ "endpoint 1: network must be a table", "network" },
			{ "network must be a table", "network" },
			{ "legacy realm config: listening_ports must be a non-empty list of strings", "realm listening_ports" },
			{ "legacy realm config: listening_ports: a list of ports or ranges LOW-HIGH (at most 1024)",
			  "realm listening_ports" },
			{ "legacy realm config: remote_addresses: a list of addresses (at most 1024)", "realm remote_addresses" },
			{ "dns.timeout must be a whole number of seconds up to a week", "dns.timeout" },
			{ "log.level must be off, error, warn, info, debug or trace", "log.level off error warn info debug trace" },
			{ "log.output must be stdout, stderr or a file path", "log.output stdout stderr" },
			{ "a realm config comes in 1 to 16 files", "realm" },
			{ "a realm config is a table with an endpoints list", "realm endpoints" },
			{ "no endpoints list in this realm config", "realm endpoints" },
			{ "endpoint 2 needs listen and remote strings", "listen remote" },
			/* xwPF's archive, config directory and MPTCP endpoints */
			{ "rules/rule-1.conf:3: a NUL byte in the value of REMOTE_HOST", "rules/rule-1.conf:3 NUL REMOTE_HOST" },
			{ "rules/rule-1.conf:3: not a KEY=\"value\" line; rule files are read as data, never run: fix or remove "
			  "the line", "rules/rule-1.conf:3 KEY=\"value\"" },
			{ "rules/rule-1.conf:3: the value is longer than 1023 characters", "rules/rule-1.conf:3" },
			{ "rules/rule-1.conf:3: a quote is not closed on its line", "rules/rule-1.conf:3" },
			{ "rules/rule-1.conf: SECURITY_LEVEL 'wss' is not standard, ws, tls_self, tls_ca, ws_tls_self or ws_tls_ca",
			  "rules/rule-1.conf SECURITY_LEVEL wss standard ws tls_self tls_ca ws_tls_self ws_tls_ca" },
			{ "rules/rule-1.conf: a tls_ca exit needs TLS_CERT_PATH and TLS_KEY_PATH",
			  "rules/rule-1.conf tls_ca TLS_CERT_PATH TLS_KEY_PATH" },
			{ "rules/rule-1.conf: LISTEN_PORT is missing", "rules/rule-1.conf LISTEN_PORT" },
			{ "too many rules", "" },
			{ "rules/rule-2.conf: no target (FORWARD_TARGET)", "rules/rule-2.conf FORWARD_TARGET" },
			{ "rules/rule-2.conf: more than 16 targets", "rules/rule-2.conf" },
			{ "rules/rule-1.conf: PROXY_MODE 'v3' is not off, v1_send, v1_accept, v1_both, v2_send, v2_accept or v2_both",
			  "rules/rule-1.conf PROXY_MODE v3 off v1_send v1_accept v1_both v2_send v2_accept v2_both" },
			{ "mptcp endpoint '10.0.0.1 dev eth0 id 300': id must be a number from 1 to 255, not '300'",
			  "10.0.0.1 dev eth0 id 300 MPTCP id" },
			{ "mptcp_endpoints.conf:2: cannot keep this endpoint", "mptcp_endpoints.conf:2" },
			{ "more than 4096 rule files", "" },
			{ "/etc/realm/rules: more than 4096 rule files", "/etc/realm/rules" },
			{ "/etc/realm/rules holds no rule-N.conf: nothing to import", "/etc/realm/rules rule-N.conf" },
			{ "/etc/realm/rules: Not a directory (an xwPF config directory holds rules/rule-N.conf)",
			  "/etc/realm/rules xwPF rules/rule-N.conf" },
			{ "/etc/realm/rules/rule-1.conf: not a regular file", "/etc/realm/rules/rule-1.conf" },
			{ "/etc/realm/rules/rule-1.conf: larger than 4 MiB", "/etc/realm/rules/rule-1.conf MiB" },
			{ "/etc/realm/rules/rule-1.conf: holds a NUL byte", "/etc/realm/rules/rule-1.conf NUL" },
			/* writing the imported files */
			{ "cannot check /etc/xwpf/tls/a.pem: Permission denied", "/etc/xwpf/tls/a.pem" },
			{ "refusing to write /etc/xwpf/tls/a.pem: it is a symbolic link (remove it, or name the file it points at)",
			  "/etc/xwpf/tls/a.pem" },
			{ "refusing to write /etc/xwpf/tls/a.pem: it is not a regular file (remove it or choose another name)",
			  "/etc/xwpf/tls/a.pem" },
			{ "refusing to write /etc/xwpf/tls/a.pem: it is not a regular file of uid 0 with one name (remove it, or "
			  "choose another name)", "/etc/xwpf/tls/a.pem uid" },
			{ "refusing to replace /etc/xwpf/tls/a.pem: it belongs to uid 1000, not to uid 0 that writes it (remove it, "
			  "or choose another name)", "/etc/xwpf/tls/a.pem uid" },
			{ "refusing to use /etc/xwpf: it belongs to uid 1000, not to uid 0 (run 'chown 0 /etc/xwpf', or remove it)",
			  "/etc/xwpf uid chown" },
			{ "cannot write /etc/xwpf/tls/a.pem: the name is too long or names a folder", "/etc/xwpf/tls/a.pem" },
			{ "cannot write /etc/xwpf/tls/a.pem: cannot create a temporary file in /etc/xwpf/tls: Read-only file system",
			  "/etc/xwpf/tls/a.pem /etc/xwpf/tls" },
			{ "cannot write /etc/xwpf/tls/a.pem: Symbolic link loop (choose another place)", "/etc/xwpf/tls/a.pem" },
			{ "cannot write /etc/xwpf/tls/a.pem: No space left on device", "/etc/xwpf/tls/a.pem" },
			{ "wrote /etc/xwpf/tls/a.pem, but cannot flush its folder: Invalid argument", "/etc/xwpf/tls/a.pem" },
			{ "cannot give /etc/xwpf to uid 0: Operation not permitted", "/etc/xwpf uid" },
			{ "/etc/xwpf/tls is not a folder: remove it (xwpf keeps its files there)", "/etc/xwpf/tls" },
			{ "cannot make /etc/xwpf mode 0700: Operation not permitted", "/etc/xwpf" },
			/* an archive's MPTCP endpoints */
			{ "mptcp endpoint 'dev eth0': an endpoint needs an IPv4 or IPv6 address", "dev eth0 MPTCP IPv4 IPv6" },
			{ "mptcp endpoint 'signal': an endpoint needs an address (the IPv4 or IPv6 address of a NIC)",
			  "signal MPTCP IPv4 IPv6" },
			{ "mptcp endpoint '0.0.0.0': 0.0.0.0 is the unspecified address: give the address of one NIC", "MPTCP" },
			{ "mptcp endpoint '224.0.0.1': 224.0.0.1 is a multicast or broadcast address: give the unicast address of "
			  "one NIC", "MPTCP" },
			{ "mptcp endpoint '10.0.0.1 signal fullmesh': signal and fullmesh cannot be combined (the kernel refuses it): "
			  "use 'signal' to announce the address, or 'subflow fullmesh' to open subflows from it",
			  "10.0.0.1 signal fullmesh MPTCP subflow fullmesh signal" },
			{ "mptcp endpoint '10.0.0.1 port 5 subflow': port 5 needs the signal flag and not subflow (a port is "
			  "announced to the peer, which joins there)", "10.0.0.1 port 5 subflow MPTCP signal subflow" },
			{ "mptcp endpoint '10.0.0.1': only subflow, signal, backup and fullmesh can be set on an endpoint",
			  "MPTCP subflow signal backup fullmesh" },
			{ "mptcp endpoint '10.0.0.1 dev': 'dev' needs a value: dev IFNAME", "10.0.0.1 dev MPTCP dev" },
			{ "mptcp endpoint '10.0.0.1 id': 'id' needs a value: id 1-255", "10.0.0.1 id MPTCP id" },
			{ "mptcp endpoint '10.0.0.1 dev a/b': 'a/b' is not an interface name (1 to 15 characters, no '/' or space; "
			  "see: ip link)", "10.0.0.1 dev a/b MPTCP ip link" },
			{ "mptcp endpoint '10.0.0.1 port 0': port must be a number from 1 to 65535, not '0'",
			  "10.0.0.1 port 0 MPTCP port" },
			{ "mptcp endpoint '10.0.0.1 10.0.0.2': one address per endpoint: '10.0.0.2' is a second one", "MPTCP" },
			{ "mptcp endpoint 'nowhere': 'nowhere' is not an IPv4 or IPv6 address", "nowhere MPTCP IPv4 IPv6" },
			{ "mptcp endpoint '10.0.0.1 fast': unknown word 'fast': expected ADDR, dev IF, id N, port N, subflow, "
			  "signal, backup or fullmesh", "10.0.0.1 fast fast MPTCP dev id port subflow signal backup fullmesh" },
			{ "mptcp endpoint '10.0.0.1 id 0': id 0 is out of range: use 1 to 255", "10.0.0.1 id 0 MPTCP id" },
			{ "mptcp endpoint 'aaaa': endpoint text too long", "aaaa MPTCP" },
			{ "mptcp endpoint 'a b c d e f': too many words in an endpoint", "a b c d e f MPTCP" },
		};
		size_t i;

		for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
			char in[1024], out[8192], keep[512], *w;
			const char *c;
			size_t len;

			snprintf(in, sizeof(in), "xwpf import: /root/in.tgz: %s; nothing was changed\n", refusals[i].err);
			snprintf(out, sizeof(out), "%s", zh(in));
			for (len = 64; len > 0; len--) {   /* the longest first: "10.0.0.1" before "1" */
				snprintf(keep, sizeof(keep), "%s /root/in.tgz xwpf import", refusals[i].keep);
				for (w = strtok(keep, " "); w; w = strtok(NULL, " "))
					if (strlen(w) == len)
						blank(out, w);
			}
			for (c = out; *c && !((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')); c++)
				;
			CHECK(!*c, "an import's refusal in Chinese: %s", refusals[i].err);
			if (*c)
				printf("#   got '%s'\n", zh(in));
		}
	}
	CHECK_STR(zh("xwpf import: /root/r.toml: endpoint 1: balance 'random' is not roundrobin, iphash or off; nothing was "
	    "changed\n"), "xwpf import：/root/r.toml：端点 1：balance“random”不是 roundrobin、iphash 或 off；未做任何改动\n",
	    "a realm config's bad value: the file, the endpoint and the message, each in Chinese");
	CHECK_STR(zh("xwpf import: /root/x.tar.gz: rules/rule-1.conf:3: a quote is not closed on its line; nothing was changed\n"),
	    "xwpf import：/root/x.tar.gz：rules/rule-1.conf:3：引号在本行没有闭合；未做任何改动\n", "an xwPF rule file's bad line");
	CHECK_STR(zh("xwpf import: /root/r.json: line 4: expected ',' or '}'; nothing was changed\n"),
	    "xwpf import：/root/r.json：第 4 行：此处应为“,”或“}”；未做任何改动\n", "a JSON reader's error and its line");
	CHECK_STR(zh("xwpf import: warning: /var/lib/xwpf/health.state is not restored: the archive's copy is not xwpf "
	    "health state (line 2: state must be up or down, not 'sideways'); the health checks write it again\n"),
	    "xwpf import：警告：/var/lib/xwpf/health.state 不还原：备份中的副本不是 xwpf 的健康状态（第 2 行：state 必须是 up "
	    "或 down，而不是“sideways”）；健康检查会重新写入\n", "an archive's health state not restored, and why");
	CHECK_STR(zh("  ~ mptcp   2 endpoints, enabled yes\n"), "  ~ MPTCP   2 个端点，已启用\n", "an import's plan: MPTCP");
	CHECK_STR(zh("  + file    /etc/xwpf/tls/a.pem\n"), "  + 文件    /etc/xwpf/tls/a.pem\n", "... a file it adds");
	CHECK_STR(zh("  ! on_event /usr/local/sbin/hook   (rule web)\n"), "  ! on_event /usr/local/sbin/hook   （规则 web）\n",
	    "... a program the relay would run as root");
	CHECK_STR(zh("xwpf import: refused: on_event /tmp/hook (rule web): /tmp is writable by every user, so another user "
	    "could put a file of their own there; name a program in a folder only root can write (e.g. /usr/local/sbin/)\n"),
	    "xwpf import：已拒绝：on_event /tmp/hook（规则 web）：/tmp 所有用户都可写，其他用户可以在那里放入自己的文件；"
	    "请把程序放在只有 root 能写的目录中（如 /usr/local/sbin/）\n", "... refused, and why");
	CHECK_STR(zh("xwpf import: refused: on_event /tmp/hook ([global]): /tmp is writable by every user, so another user "
	    "could put a file of their own there; name a program in a folder only root can write (e.g. /usr/local/sbin/)\n"),
	    "xwpf import：已拒绝：on_event /tmp/hook（[global]）：/tmp 所有用户都可写，其他用户可以在那里放入自己的文件；"
	    "请把程序放在只有 root 能写的目录中（如 /usr/local/sbin/）\n", "... the same for [global]'s");
	CHECK_STR(zh("xwpf import: refused: log_file /var/x/a.log ([global]): cannot check /var/x: No such file or directory; "
	    "name a file in a folder only root can write (e.g. /var/log/)\n"),
	    "xwpf import：已拒绝：log_file /var/x/a.log（[global]）：无法检查 /var/x：文件或目录不存在；"
	    "请把文件放在只有 root 能写的目录中（如 /var/log/）\n", "... and a folder it cannot check");
	CHECK_STR(zh("xwpf import: refused: on_event /a/b ([global]): on_event path too long; "
	    "name a program in a folder only root can write (e.g. /usr/local/sbin/)\n"),
	    "xwpf import：已拒绝：on_event /a/b（[global]）：on_event 路径过长；"
	    "请把程序放在只有 root 能写的目录中（如 /usr/local/sbin/）\n", "... and a path too long");
	CHECK_STR(zh("the relay (pid 42) reloads its rules\n"), "中继（pid 42）正在重载规则\n", "the reload after an import");
	return T_DONE();
}
