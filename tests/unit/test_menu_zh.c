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
	CHECK_STR(zh("/root/x.tar.gz: a xwPF archive with 2 rules and 1 MPTCP endpoint; they replace the store's rules\n"),
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
	    "读取时：line 1: expected '=' after the key 'hello'；未做任何改动\n", "a file import cannot read as anything");
	CHECK_STR(zh("xwpf import: the store changed while this import was being prepared; run it again to see the new plan; "
	    "nothing was changed"), "xwpf import：准备导入期间规则文件被改动；请重新运行以查看新的计划；未做任何改动",
	    "a store changed under an import");
	return T_DONE();
}
