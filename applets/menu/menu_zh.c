/*
 * menu_zh: what the applets the menu runs print (English: they are the
 * scriptable face, and scripts read it) in Chinese when the menu speaks
 * Chinese. A line is matched whole against the patterns below, where {}
 * stands for any text, and written again from its Chinese form, where {1},
 * {2}... are those texts in order. The applet's "xwpf NAME: " and the
 * "refused: ", "warning: " and "FILE:LINE: error: " that lead a message are
 * translated first, then the message. Names, addresses, paths and keys stay
 * as they are. A line no pattern knows is shown as it came.
 */
#include <stdio.h>
#include <string.h>

#include "menu.h"
#include "util.h"

struct zh {
	const char *en, *zh;
};

static const struct zh lines[] = {
	/* what writing the imported files can refuse (lib/base/util.c): before "refusing to write {}" below */
	{ "cannot check {}: {}", "无法检查 {1}：{2}" },
	{ "refusing to write {}: it is a symbolic link (remove it, or name the file it points at)",
	  "拒绝写入 {1}：它是符号链接（请删除它，或改写它指向的文件）" },
	{ "refusing to write {}: it is not a regular file (remove it or choose another name)",
	  "拒绝写入 {1}：它不是普通文件（请删除它或换个名字）" },
	{ "refusing to write {}: it is not a regular file of uid {} with one name (remove it, or choose another name)",
	  "拒绝写入 {1}：它不是属于 uid {2} 且只有一个名字的普通文件（请删除它或换个名字）" },
	{ "refusing to replace {}: it belongs to uid {}, not to uid {} that writes it (remove it, or choose another name)",
	  "拒绝替换 {1}：它属于 uid {2}，而不是写入它的 uid {3}（请删除它或换个名字）" },
	{ "refusing to use {}: it belongs to uid {}, not to uid {} (run 'chown {} {}', or remove it)",
	  "拒绝使用 {1}：它属于 uid {2}，而不是 uid {3}（请运行“chown {4} {5}”或删除它）" },
	{ "cannot write {}: the name is too long or names a folder", "无法写入 {1}：名称过长或是一个目录" },
	{ "cannot write {}: cannot create a temporary file in {}: {}", "无法写入 {1}：无法在 {2} 中创建临时文件：{3}" },
	{ "cannot write {}: {} (choose another place)", "无法写入 {1}：{2}（请换个位置）" },
	{ "cannot write {}: {}", "无法写入 {1}：{2}" },
	{ "wrote {}, but cannot flush its folder: {}", "已写入 {1}，但无法刷新其所在目录：{2}" },
	{ "cannot give {} to uid {}: {}", "无法把 {1} 交给 uid {2}：{3}" },
	{ "{} is not a folder: remove it (xwpf keeps its files there)", "{=1} 不是目录：请删除它（xwpf 在那里存放文件）" },
	{ "cannot make {} mode {}: {}", "无法把 {1} 的权限设为 {2}：{3}" },
	/* an MPTCP endpoint's words (lib/store/mptcp_endpoint.c), as an archive's mptcp_endpoints.conf or the
	 * MPTCP screens give them */
	{ "an endpoint needs an IPv4 or IPv6 address", "端点需要一个 IPv4 或 IPv6 地址" },
	{ "an endpoint needs an address (the IPv4 or IPv6 address of a NIC)", "端点需要一个地址（某块网卡的 IPv4 或 IPv6 地址）" },
	{ "{} is the unspecified address: give the address of one NIC", "{=1} 是未指定地址：请填写某块网卡的地址" },
	{ "{} is a multicast or broadcast address: give the unicast address of one NIC",
	  "{=1} 是组播或广播地址：请填写某块网卡的单播地址" },
	{ "signal and fullmesh cannot be combined (the kernel refuses it): use 'signal' to announce the address, or "
	  "'subflow fullmesh' to open subflows from it",
	  "signal 与 fullmesh 不能同时使用（内核会拒绝）：用“signal”通告该地址，或用“subflow fullmesh”从它建立子流" },
	{ "port {} needs the signal flag and not subflow (a port is announced to the peer, which joins there)",
	  "端口 {1} 需要 signal 标志且不能带 subflow（端口会通告给对端，由对端在该端口加入）" },
	{ "only subflow, signal, backup and fullmesh can be set on an endpoint", "端点只能设置 subflow、signal、backup 和 fullmesh" },
	{ "'{}' needs a value: {}", "“{1}”需要一个值：{=2}" }, { "dev IFNAME", "dev 网卡名" },
	{ "'{}' is not an interface name (1 to 15 characters, no '/' or space; see: ip link)",
	  "“{1}”不是网卡名（1 到 15 个字符，不含“/”或空格；见 ip link）" },
	{ "port must be a number from 1 to 65535, not '{}'", "port 必须是 1 到 65535 的数字，而不是“{1}”" },
	{ "one address per endpoint: '{}' is a second one", "每个端点只能有一个地址：“{1}”是第二个" },
	{ "'{}' is not an IPv4 or IPv6 address", "“{1}”不是 IPv4 或 IPv6 地址" },
	{ "unknown word '{}': expected ADDR, dev IF, id N, port N, subflow, signal, backup or fullmesh",
	  "未知的词“{1}”：应为 地址、dev 网卡、id 编号、port 端口、subflow、signal、backup 或 fullmesh" },
	{ "endpoint text too long", "端点文本过长" },
	{ "too many words in an endpoint", "端点中的词太多" },
	/* why an archive's health state is not restored (lib/store/healthstate.c, after "line N: ") */
	{ "longer than {} bytes", "超过 {1} 字节" },
	{ "expected 8 fields (RULE BACKEND STATE FAILS OKS LAST_CHECK LAST_CHANGE REASON), found fewer",
	  "应有 8 个字段（RULE BACKEND STATE FAILS OKS LAST_CHECK LAST_CHANGE REASON），实际更少" },
	{ "'{}' is not a rule name", "“{1}”不是规则名" },
	{ "the backend holds a control character", "后端含有控制字符" },
	{ "'{}' is not HOST:PORT", "“{1}”不是 主机:端口 的格式" },
	{ "state must be up or down, not '{}'", "state 必须是 up 或 down，而不是“{1}”" },
	{ "counts and times must be whole numbers >= 0", "计数和时间必须是大于等于 0 的整数" },
	{ "unknown reason '{}'", "未知的原因“{1}”" },
	/* what an import refuses in the archive or config it reads (lib/migrate, lib/base/tar.c, the JSON and
	 * TOML readers): first, so that their words win over the general patterns below */
	{ "the archive holds more than {} bytes: refused", "压缩包超过 {1} 字节：已拒绝" },
	{ "the archive is truncated (it ends inside an entry or has no end marker)",
	  "压缩包不完整（在某个条目中间结束，或没有结束标记）" },
	{ "the archive is truncated (the gzip stream ends early)", "压缩包不完整（gzip 数据流提前结束）" },
	{ "not a .tar.gz archive (no gzip signature)", "不是 .tar.gz 压缩包（没有 gzip 标识）" },
	{ "cannot start zlib", "无法启动 zlib" },
	{ "the archive inflates past {} bytes: refused (a gzip bomb?)", "压缩包解压后超过 {1} 字节：已拒绝（疑似 gzip 炸弹）" },
	{ "the archive inflates {} times its size: refused as a gzip bomb", "压缩包解压后是原大小的 {1} 倍：视为 gzip 炸弹，已拒绝" },
	{ "the gzip data is damaged ({})", "gzip 数据已损坏（{=1}）" },
	/* zlib's words for damaged data, inside the line above */
	{ "incorrect header check", "头部校验错误" }, { "unknown compression method", "未知的压缩方法" },
	{ "invalid window size", "无效的窗口大小" }, { "unknown header flags set", "头部设置了未知标志" },
	{ "header crc mismatch", "头部 CRC 不符" }, { "invalid block type", "无效的块类型" },
	{ "invalid stored block lengths", "无效的存储块长度" },
	{ "too many length or distance symbols", "长度或距离符号过多" },
	{ "invalid code lengths set", "无效的码长集合" }, { "invalid bit length repeat", "无效的位长重复" },
	{ "invalid code -- missing end-of-block", "无效的编码：缺少块结束符" },
	{ "invalid literal/lengths set", "无效的字面量/长度集合" }, { "invalid distances set", "无效的距离集合" },
	{ "invalid literal/length code", "无效的字面量/长度编码" }, { "invalid distance code", "无效的距离编码" },
	{ "invalid distance too far back", "无效的距离：回溯过远" }, { "incorrect data check", "数据校验错误" },
	{ "incorrect length check", "长度校验错误" },
	{ "junk after the gzip data: refused", "gzip 数据之后有多余内容：已拒绝" },
	{ "'{}' is not a safe archive name", "“{1}”不是安全的压缩包内文件名" },
	{ "archive name too long: {}", "压缩包内文件名过长：{1}" },
	{ "{} is too large for a ustar entry", "{=1} 太大，放不进 ustar 条目" },
	{ "gzip failed ({})", "gzip 压缩失败（{1}）" },
	{ "no {}/MANIFEST: not an xwpf export", "没有 {1}/MANIFEST：不是 xwpf 导出包" },
	{ "{}/MANIFEST is not a regular file: not a valid xwpf export", "{=1}/MANIFEST 不是普通文件：不是有效的 xwpf 导出包" },
	{ "MANIFEST: the first line is not 'xwpf-export N'", "MANIFEST：第一行不是“xwpf-export 版本号”" },
	{ "the archive has format {}, newer than this xwpf reads ({}): import it with a newer xwpf",
	  "该导出包的格式为 {1}，比此 xwpf 能读的（{2}）更新：请用更新版本的 xwpf 导入" },
	{ "MANIFEST line {} is not 'file SHA256 MODE SIZE PATH'", "MANIFEST 第 {1} 行不是“file 校验和 权限 大小 路径”的格式" },
	{ "the manifest lists {} but the archive does not hold it", "清单列出了 {1}，但导出包中没有这个文件" },
	{ "{} does not match its SHA-256 in the manifest: the archive was changed or damaged",
	  "{=1} 与清单中的 SHA-256 不符：导出包被改动过或已损坏" },
	{ "MANIFEST is empty", "MANIFEST 为空" },
	{ "{} is not listed in the manifest: refused", "{=1} 不在清单中：已拒绝" },
	{ "{} is listed twice", "{=1} 列出了两次" },
	{ "path too long: {}", "路径过长：{1}" },
	{ "on_event path too long", "on_event 路径过长" },
	{ "the store in the archive holds a NUL byte", "导出包中的规则文件含有 NUL 字节" },
	{ "refusing to write {}", "拒绝写入 {1}" },
	{ "too many backups within one second in {}", "{1} 中一秒之内的备份太多" },
	{ "cannot create a folder in {}: {}", "无法在 {1} 中创建目录：{2}" },
	{ "cannot move the backup {} to {}: {}", "无法把备份 {1} 移到 {2}：{3}" },
	{ "{} is not an xwpf backup index", "{=1} 不是 xwpf 的备份索引" },
	{ "the backup lacks {}", "备份中缺少 {1}" },
	{ "{} line {} is not understood", "{=1} 第 {2} 行无法识别" },
	{ "cannot remove {}: {}", "无法删除 {1}：{2}" },
	{ "restored, but cannot mark {} as undone: {}", "已还原，但无法把 {1} 标记为已撤销：{2}" },
	{ "the relay (pid {}) reloads its rules", "中继（pid {1}）正在重载规则" },
	{ "cannot signal the relay (pid {}): {}", "无法通知中继（pid {1}）：{2}" },
	/* the JSON and TOML readers: "line N: " and what is wrong there */
	{ "line {}: {}", "第 {1} 行：{=2}" },
	{ "more than {} values", "值超过 {1} 个" },
	{ "an object with more than {} members", "对象的成员超过 {1} 个" },
	{ "the key '{}' is defined twice", "键“{1}”定义了两次" },
	{ "a string longer than {} bytes", "字符串超过 {1} 字节" },
	{ "expected ',' or '{}'", "此处应为“,”或“{1}”" },
	{ "a string ends inside an escape", "字符串在转义序列中间结束" },
	{ "an unknown escape '\\{}'", "未知的转义“\\{1}”" },
	{ "\\u without four hex digits", "\\u 后面不是四位十六进制数" },
	{ "a lone UTF-16 surrogate", "孤立的 UTF-16 代理项" },
	{ "an escape for a code point a string cannot hold", "转义的码位不能放进字符串" },
	{ "an escape for a code point a config cannot hold", "转义的码位不能放进配置" },
	{ "a control character inside a string", "字符串中有控制字符" },
	{ "a string that is not UTF-8", "字符串不是 UTF-8" },
	{ "a string is not closed on its line", "字符串在本行没有闭合" },
	{ "a string is not closed", "字符串没有闭合" },
	{ "a number with too many digits", "数字的位数太多" },
	{ "expected a value (a string, number, boolean, array or table)", "此处应为一个值（字符串、数字、布尔值、数组或表）" },
	{ "expected a value", "此处应为一个值" },
	{ "expected a \"key\"", "此处应为带双引号的键" },
	{ "expected ':' after \"{}\"", "\"{1}\" 之后应为“:”" },
	{ "nested deeper than {} levels (the limit; dotted keys, tables and arrays count)",
	  "嵌套超过 {1} 层（上限；带点的键、表和数组都算一层）" },
	{ "nested deeper than {} levels", "嵌套超过 {1} 层" },
	{ "the JSON text is larger than {} bytes", "JSON 文本超过 {1} 字节" },
	{ "text after the JSON value", "JSON 值之后还有多余内容" },
	{ "a value is missing", "缺少值" },
	{ "expected a key", "此处应为键" },
	{ "'{}' is already a value, not a table", "“{1}”已是一个值，不是表" },
	{ "'{}' is already a table, not an array of tables", "“{1}”已是一个表，不是表数组" },
	{ "expected '=' after the key '{}'", "键“{1}”之后应为“=”" },
	{ "'{}' is not a number (dates are not supported)", "“{1}”不是数字（不支持日期）" },
	{ "the config is larger than {} bytes", "配置超过 {1} 字节" },
	{ "expected '{}' after the table name", "表名之后应为“{1}”" },
	{ "text after the value; one key = value per line", "值之后还有内容；每行只写一个 键 = 值" },
	/* a rule an import builds (lib/migrate/mig_common.c) */
	{ "{}: {} '{}' holds a line break, a control character or a '#' comment start the store cannot keep",
	  "{=1}：{=2}“{3}”含换行、控制字符或“#”注释符，规则文件无法保存" },
	{ "{}: {} is longer than 2000 characters", "{=1}：{=2} 超过 2000 个字符" },
	{ "{}: too many settings", "{=1}：设置项太多" },
	{ "{}: no free name near '{}'", "{=1}：“{2}”附近没有可用的名称" },
	/* the traffic tool's config.json */
	{ "more than 4096 ports, or out of memory", "端口超过 4096 个，或内存不足" },
	{ "not the traffic tool's config.json (no \"ports\" object)", "不是流量工具的 config.json（没有 \"ports\" 对象）" },
	/* realm's configs */
	{ "{}: network.{} must be true or false", "{=1}：network.{2} 必须是 true 或 false" },
	{ "{}: network.send_proxy_version is 1 or 2", "{=1}：network.send_proxy_version 只能是 1 或 2" },
	{ "{}: balance is too long", "{=1}：balance 太长" },
	{ "{}: balance '{}' is not roundrobin, iphash or off", "{=1}：balance“{2}”不是 roundrobin、iphash 或 off" },
	{ "{}: balance weights are numbers from 0 to 255, not '{}'", "{=1}：balance 的权重是 0 到 255 的数字，而不是“{2}”" },
	{ "{}: balance must be a string such as \"roundrobin: 2, 1\"", "{=1}：balance 必须是字符串，如 \"roundrobin: 2, 1\"" },
	{ "{}: balance has {} weights for {} peers (remote and extra_remotes)",
	  "{=1}：balance 有 {2} 个权重，而目标有 {3} 个（remote 与 extra_remotes）" },
	{ "{}: every balance weight is 0: no peer to forward to", "{=1}：balance 的权重全是 0：没有可转发的目标" },
	{ "{}: extra_remotes must be a list of strings", "{=1}：extra_remotes 必须是字符串列表" },
	{ "; give an IP address", "；请填写 IP 地址" },
	{ "{}: listen '{}' is not ADDRESS:PORT", "{=1}：listen“{2}”不是 地址:端口 的格式" },
	{ "{}: more than {} remotes", "{=1}：目标超过 {2} 个" },
	{ "{}: no_tcp without use_udp forwards nothing; remove no_tcp or add use_udp",
	  "{=1}：有 no_tcp 而没有 use_udp，什么也不会转发；请删除 no_tcp 或加上 use_udp" },
	{ "{} must be a string", "{=1} 必须是字符串" },
	{ "{}network must be a table", "{=1}network 必须是表" },
	{ "too many endpoints", "端点太多" },
	{ "legacy realm config: {} must be a non-empty list of strings", "旧式 realm 配置：{1} 必须是非空的字符串列表" },
	{ "legacy realm config: {}: a list of {} (at most {})", "旧式 realm 配置：{1}：应为{=2}的列表（最多 {3} 个）" },
	{ "ports or ranges LOW-HIGH", "端口或端口段（起-止）" }, { "addresses", "地址" },
	{ "dns.{} must be a whole number of seconds up to a week", "dns.{1} 必须是不超过一周的整秒数" },
	{ "log.level must be off, error, warn, info, debug or trace", "log.level 必须是 off、error、warn、info、debug 或 trace" },
	{ "log.output must be stdout, stderr or a file path", "log.output 必须是 stdout、stderr 或文件路径" },
	{ "a realm config comes in 1 to {} files", "realm 配置由 1 到 {1} 个文件组成" },
	{ "a realm config is a table with an endpoints list", "realm 配置应是含 endpoints 列表的表" },
	{ "no endpoints list in this realm config", "此 realm 配置中没有 endpoints 列表" },
	{ "{} needs listen and remote strings", "{=1} 需要字符串形式的 listen 和 remote" },
	/* xwPF's rule files, its config directory and its MPTCP endpoints */
	{ "{}: not a KEY=\"value\" line; rule files are read as data, never run: fix or remove the line",
	  "{=1}：不是 KEY=\"value\" 形式的行；规则文件只作为数据读取，从不执行：请修正或删除这一行" },
	{ "{}: the value is longer than {} characters", "{=1}：值超过 {2} 个字符" },
	{ "{}: a quote is not closed on its line", "{=1}：引号在本行没有闭合" },
	{ "{}: SECURITY_LEVEL '{}' is not standard, ws, tls_self, tls_ca, ws_tls_self or ws_tls_ca",
	  "{=1}：SECURITY_LEVEL“{2}”不是 standard、ws、tls_self、tls_ca、ws_tls_self 或 ws_tls_ca" },
	{ "{}: a tls_ca exit needs TLS_CERT_PATH and TLS_KEY_PATH", "{=1}：tls_ca 落地需要 TLS_CERT_PATH 和 TLS_KEY_PATH" },
	{ "{}: LISTEN_PORT is missing", "{=1}：缺少 LISTEN_PORT" },
	{ "too many rules", "规则太多" },
	{ "{}: no target ({})", "{=1}：没有目标（{2}）" },
	{ "{}: more than {} targets", "{=1}：目标超过 {2} 个" },
	{ "{}: PROXY_MODE '{}' is not off, v1_send, v1_accept, v1_both, v2_send, v2_accept or v2_both",
	  "{=1}：PROXY_MODE“{2}”不是 off、v1_send、v1_accept、v1_both、v2_send、v2_accept 或 v2_both" },
	{ "mptcp endpoint '{}': {}", "MPTCP 端点“{1}”：{=2}" },
	{ "{}: cannot keep this endpoint", "{=1}：无法保留此端点" },
	{ "more than 4096 rule files", "规则文件超过 4096 个" },
	{ "{}: more than {} rule files", "{=1}：规则文件超过 {2} 个" },
	{ "{}/rules holds no rule-N.conf: nothing to import", "{=1}/rules 中没有 rule-N.conf：没有可导入的内容" },
	{ "{}: {} (an xwPF config directory holds rules/rule-N.conf)", "{=1}：{2}（xwPF 配置目录中应有 rules/rule-N.conf）" },
	{ "{}: holds a NUL byte", "{=1}：含有 NUL 字节" },
	{ "it holds a NUL byte", "含有 NUL 字节" },
	{ "not a regular file", "不是普通文件" },
	/* xwpf rule */
	{ "added rule {}: {} -> {} ({})", "已添加规则 {1}：{2} -> {3}（{4}）" },
	{ "no rule named '{}' (see: {})", "没有名为“{1}”的规则（见 {2}）" },
	{ "no rule named '{}'; nothing was changed", "没有名为“{1}”的规则；未做任何改动" },
	{ "no rule named '{}'; nothing was deleted", "没有名为“{1}”的规则；未删除任何规则" },
	{ "a rule named '{}' already exists (change it with: {})", "名为“{1}”的规则已存在（修改请用：{2}）" },
	{ "'{}' is not a valid rule name: 1 to {} letters (of any language), digits, '.', '_' or '-', no spaces",
	  "“{1}”不是有效的规则名：1 到 {2} 个字母（任何语言）、数字、“.”、“_”或“-”，不能有空格" },
	{ "unknown rule key '{}': did you mean '{}'? (see: {})", "未知的规则键“{1}”：是否想写“{2}”？（见 {3}）" },
	{ "unknown rule key '{}' (see: {})", "未知的规则键“{1}”（见 {2}）" },
	{ "unknown [global] key '{}': did you mean '{}'?", "未知的 [global] 键“{1}”：是否想写“{2}”？" },
	{ "unknown [global] key '{}'", "未知的 [global] 键“{1}”" },
	{ "{} given twice", "{1} 给了两次" },
	{ "too many keys", "键太多" },
	{ "created a new store, {}", "已新建规则文件 {1}" },
	{ "the change would make the store invalid; nothing was written", "此改动会使规则文件无效；未写入任何内容" },
	{ "the store has errors already (above): fix those lines, or delete the rules they are in, then try again "
	  "('{}' lists them); nothing was written",
	  "规则文件已有错误（见上）：请修正这些行或删除所在规则后重试（{1} 会列出）；未写入任何内容" },
	{ "{}: a value cannot contain a line break", "{1}：值不能包含换行" },
	{ "{}: the value starts or ends with a space, which the store does not keep", "{1}：值的首尾有空格，规则文件不会保留" },
	{ "{}: a '#' {} starts a comment in the store, so the rest of the value {}",
	  "{1}：“#”{2}在规则文件中是注释开头，值的其余部分{3}" },
	{ "cannot read {}: {}", "无法读取 {1}：{2}" },
	{ "out of memory", "内存不足" },
	/* the store's validation */
	{ "rule '{}' listens on {} ({}), which rule '{}' (line {}) already uses as {}; to balance between remotes add them "
	  "to one rule", "规则“{1}”监听 {2}（{3}），而规则“{4}”（第 {5} 行）已占用 {6}；要在多个目标间负载均衡，请把它们加到同一条规则" },
	{ "rule '{}' has no listen address (listen = [::]:PORT or IP:PORT)", "规则“{1}”没有监听地址（listen = [::]:端口 或 IP:端口）" },
	{ "rule '{}' has no remote (remote = HOST:PORT)", "规则“{1}”没有目标（remote = 主机:端口）" },
	{ "rule '{}' has no settings: it needs at least listen and remote", "规则“{1}”没有任何设置：至少需要 listen 和 remote" },
	{ "rule '{}' is defined twice (first at line {})", "规则“{1}”定义了两次（第一次在第 {2} 行）" },
	{ "rule '{}' has {} for {}: give one per remote, in order (e.g. weights = {}), or leave weights out for equal shares",
	  "规则“{1}”的权重（{2}）与目标（{3}）数量不符：请按顺序每个目标给一个（如 weights = {4}），或不写权重以平均分配" },
	{ "rule '{}': give weights either as weights = or as weight= on each remote, not both",
	  "规则“{1}”：权重请用 weights = 或在每个目标后写 weight=，不要同时使用" },
	{ "rule '{}': remote {} is listed twice; to give it more traffic raise its weight", "规则“{1}”：目标 {2} 重复；要给它更多流量请提高权重" },
	{ "rule '{}': remote port range {} has {} ports but the rule listens on {}; use as many or a single port",
	  "规则“{1}”：目标端口范围 {2} 有 {3} 个端口，而规则监听 {4} 个；请给相同数量或只给一个端口" },
	{ "rule '{}': ipv6_only with the IPv4 listen address {}", "规则“{1}”：ipv6_only 与 IPv4 监听地址 {2} 冲突" },
	{ "rule '{}': the PROXY protocol applies to TCP only; UDP is forwarded without it", "规则“{1}”：PROXY 协议只用于 TCP；UDP 不带它转发" },
	{ "rule '{}': udp_transport = plain changes nothing without {}", "规则“{1}”：没有 {2} 时 udp_transport = plain 不起作用" },
	{ "rule '{}': quota_action = throttle needs quota_rate (e.g. 1mbit)", "规则“{1}”：quota_action = throttle 需要 quota_rate（如 1mbit）" },
	{ "rule '{}': on_event must be an absolute path, not '{}'", "规则“{1}”：on_event 必须是绝对路径，而不是“{2}”" },
	{ "rule '{}' forwards to {}, its own listener: a loop that takes descriptors until none are left; point remote at "
	  "the service behind it (another port or host)", "规则“{1}”转发到 {2}，即它自己的监听：这是一个会耗尽描述符的环路；"
	  "请把 remote 指向其后的服务（另一端口或主机）" },
	{ "rule '{}' forwards to {}, the listener of rule '{}' (line {}), which leads back: a loop ({}); point one of these "
	  "remotes at the service behind it", "规则“{1}”转发到 {2}，即规则“{3}”（第 {4} 行）的监听，又转回来：环路（{5}）；"
	  "请把其中一个 remote 指向其后的服务" },
	{ "listen list: give the ports in increasing order, each once ({})", "监听端口列表：请按从小到大给出，每个一次（{1}）" },
	{ "listen ends with a comma: give a port after it, or remove it", "listen 以逗号结尾：请在其后写端口，或删除逗号" },
	{ "{} must be tcp, udp or tcp+udp, not '{}'", "{1} 必须是 tcp、udp 或 tcp+udp，而不是“{2}”" },
	{ "udp_transport must be plain or tunnel, not '{}'", "udp_transport 必须是 plain 或 tunnel，而不是“{1}”" },
	{ "lang must be zh, en or auto, not '{}'", "lang 必须是 zh、en 或 auto，而不是“{1}”" },
	{ "{} is set twice in [{}] (first at line {})", "{1} 在 [{2}] 中设置了两次（第一次在第 {3} 行）" },
	{ "unknown key '{}' in [{}] ignored{}", "[{2}] 中的未知键“{1}”已忽略{3}" },
	/* realm's transport strings (lib/proto/transport.c) */
	{ "{}: ws needs host= and path= (e.g. ws;host=example.com;path=/ws)", "{1}：ws 需要 host= 和 path=（如 ws;host=example.com;path=/ws）" },
	{ "{}: the ws path must start with '/', not '{}'", "{1}：ws 路径必须以“/”开头，而不是“{2}”" },
	{ "{}: tls needs sni=NAME (the name the exit's certificate carries)", "{1}：tls 需要 sni=域名（落地证书上的域名）" },
	{ "{}: cert= and key= go together", "{1}：cert= 与 key= 须同时给出" },
	{ "{}: pin must be sha256: followed by 64 hex digits{}", "{1}：pin 须为 sha256: 加 64 位十六进制{2}" },
	{ "transport: {}= is empty", "传输设置：{1}= 为空" },
	{ "transport: {}= is too long", "传输设置：{1}= 太长" },
	/* xwpf relay --reload, xwpf status --reset */
	{ "reload signalled to relay pid {}", "已通知中继（pid {1}）重载" },
	{ "reloaded: {} rule{} changed, {} added, {} removed", "已重载：{1} 条规则有改动，新增 {3} 条，删除 {4} 条" },
	{ "reloaded: {} rule{} changed, {} added", "已重载：{1} 条规则有改动，新增 {3} 条" },
	{ "reloaded: {} rule{} changed, {} removed", "已重载：{1} 条规则有改动，删除 {3} 条" },
	{ "reloaded: {} rule{} added, {} removed", "已重载：新增 {1} 条规则，删除 {3} 条" },
	{ "reloaded: {} rule{} changed", "已重载：{1} 条规则有改动" },
	{ "reloaded: {} rule{} added", "已重载：新增 {1} 条规则" },
	{ "reloaded: {} rule{} removed", "已重载：删除 {1} 条规则" },
	{ "reloaded: nothing changed ({} rule{})", "已重载：没有变化（{1} 条规则）" },
	{ "reload refused: the store is invalid (fix the lines above); the running rules stay",
	  "已拒绝重载：规则文件无效（请修正上面的行）；运行中的规则保持不变" },
	/* xwpf log */
	{ "following {} (Ctrl-C ends, or the time given)", "正在跟踪 {1}（按 Ctrl-C 或到时结束）" },
	{ "following {} (Ctrl-C ends)", "正在跟踪 {1}（按 Ctrl-C 结束）" },
	{ "the relay logs to its standard error: [global] log_file names no file (set 'log_file = yes' for {}, and restart "
	  "the relay)", "中继日志输出到标准错误：[global] log_file 未指定文件（设置 log_file = yes 即写入 {1}，然后重启中继）" },
	{ "no relay is running ({}): start it with '{}'", "中继未运行（{1}）：请用“{2}”启动" },
	{ "{}: nothing counted yet, nothing to reset", "{1}：尚无计数，无需重置" },
	{ "no rule '{}' in the store or the ledger; nothing was reset", "规则文件和流量账本中都没有规则“{1}”；未重置" },
	{ "the rules are: {}", "现有规则：{1}" },
	/* xwpf export, xwpf import */
	{ "{}: {} files, {} ({} bytes)", "{1}：{2} 个文件，{3}（{4} 字节）" },
	{ "{}: {} file, {} ({} bytes)", "{1}：{2} 个文件，{3}（{4} 字节）" },
	{ "nothing to export yet (no store under {})", "尚无可导出的内容（{1} 下没有规则文件）" },
	{ "{}: {} {} with {} rules and {} MPTCP endpoints{}", "{1}：{=3}，含 {4} 条规则、{5} 个 MPTCP 端点{=6}" },
	{ "{}: {} {} with {} rule and {} MPTCP endpoints{}", "{1}：{=3}，含 {4} 条规则、{5} 个 MPTCP 端点{=6}" },
	{ "{}: {} {} with {} rules and {} MPTCP endpoint{}", "{1}：{=3}，含 {4} 条规则、{5} 个 MPTCP 端点{=6}" },
	{ "{}: {} {} with {} rule and {} MPTCP endpoint{}", "{1}：{=3}，含 {4} 条规则、{5} 个 MPTCP 端点{=6}" },
	{ "{}: {} {} with limits for {} ports", "{1}：{=3}，含 {4} 个端口的限额" },
	{ "{}: {} {} with limits for {} port", "{1}：{=3}，含 {4} 个端口的限额" },
	/* what an import reads (the {} after "a" above) */
	{ "xwPF archive", "xwPF 备份" }, { "xwPF config directory", "xwPF 配置目录" },
	{ "realm JSON config", "realm JSON 配置" }, { "realm TOML config", "realm TOML 配置" },
	{ "traffic tool config", "流量工具配置" }, { "xwpf export", "xwpf 导出包" },
	{ "; they replace the store's rules", "；将替换规则文件中现有的全部规则" },
	{ "{}: an xwpf export (format {}) from host {}, {}, xwpf {}", "{1}：xwpf 导出包（格式 {2}），来自主机 {3}，{4}，xwpf {5}" },
	{ "changes:", "改动：" },
	{ "  + add     {}", "  + 添加    {1}" },
	{ "  ~ change  {}", "  ~ 修改    {1}" },
	{ "  - remove  {}", "  - 删除    {1}" },
	{ "  + file    {}", "  + 文件    {1}" },
	{ "  ~ file    {}", "  ~ 文件    {1}" },
	{ "  ~ mptcp   {} endpoint{}, enabled yes", "  ~ MPTCP   {1} 个端点，已启用" },
	{ "  ~ mptcp   {} endpoint{}, enabled no", "  ~ MPTCP   {1} 个端点，未启用" },
	{ "  ~ mptcp   {} endpoint{}, enabled unset", "  ~ MPTCP   {1} 个端点，未设置是否启用" },
	{ "  ~ store   {} (layout or global settings)", "  ~ 规则文件 {1}（格式或全局设置）" },
	{ "the store names programs or files that the relay runs or writes as root; check them:",
	  "规则文件指定了中继以 root 身份运行或写入的程序或文件；请检查：" },
	{ "  ! {}   (rule {})", "  ! {1}   （规则 {2}）" },
	{ "    (not on this host yet: the relay creates it once it is there)", "    （本机上还没有：它就位后由中继创建）" },
	{ "    (not on this host yet: the relay runs it once it is there)", "    （本机上还没有：它就位后由中继运行）" },
	{ "{} {} (rule {}): {}; name a file in a folder only root can write (e.g. /var/log/)",
	  "{1} {2}（规则 {3}）：{=4}；请把文件放在只有 root 能写的目录中（如 /var/log/）" },
	{ "{} {} (rule {}): {}; name a program in a folder only root can write (e.g. /usr/local/sbin/)",
	  "{1} {2}（规则 {3}）：{=4}；请把程序放在只有 root 能写的目录中（如 /usr/local/sbin/）" },
	{ "{} {} ([global]): {}; name a file in a folder only root can write (e.g. /var/log/)",
	  "{1} {2}（[global]）：{=3}；请把文件放在只有 root 能写的目录中（如 /var/log/）" },
	{ "{} {} ([global]): {}; name a program in a folder only root can write (e.g. /usr/local/sbin/)",
	  "{1} {2}（[global]）：{=3}；请把程序放在只有 root 能写的目录中（如 /usr/local/sbin/）" },
	{ "{} belongs to user {}, not root: that user could change it", "{=1} 属于用户 {2}，不是 root：该用户可以改动它" },
	{ "{} is writable by every user, so another user could put a file of their own there",
	  "{=1} 所有用户都可写，其他用户可以在那里放入自己的文件" },
	{ "{} is writable by its group, so another user could put a file of their own there",
	  "{=1} 其所属组可写，其他用户可以在那里放入自己的文件" },
	{ "{} is writable by every user, so another user could change it", "{=1} 所有用户都可写，其他用户可以改动它" },
	{ "{} is writable by its group, so another user could change it", "{=1} 其所属组可写，其他用户可以改动它" },
	{ "{} is not an absolute path", "{=1} 不是绝对路径" },
	{ "  none: the current setup already matches {}", "  无：当前设置已与 {1} 一致" },
	{ "Apply these changes? [y/N] ", "应用这些改动？[y/N] " },
	{ "cancelled; nothing was changed", "已取消；未做任何改动" },
	{ "dry run: nothing was changed", "演练：未做任何改动" },
	{ "imported {}; the replaced files are in {} (undo with: {})", "已导入 {1}；被替换的文件在 {2}（撤销：{3}）" },
	{ "the [mptcp] settings changed: load them into the kernel with: {}", "[mptcp] 设置已改变：用 {1} 载入内核" },
	{ "{}: the store would be invalid (see above); nothing was changed", "{1}：导入后规则文件会无效（见上）；未做任何改动" },
	{ "the imported rules listen where rules of the store already do (named above); to make the store exactly the "
	  "imported rules, as xwPF's import did: {}",
	  "导入的规则与现有规则监听相同端口（见上）；若要像 xwPF 那样以导入的规则完全替换：{1}" },
	{ "UDP of these tunnel rules goes plain beside the tunnel to the same host:port, as realm sent it (udp_transport "
	  "= plain); their TCP goes through the tunnel:",
	  "以下隧道规则的 UDP 在隧道旁以明文发往同一主机:端口，与 realm 相同（udp_transport = plain）；TCP 走隧道：" },
	{ "  {}   tcp: the tunnel, udp: plain", "  {1}   TCP：走隧道，UDP：明文" },
	{ "  {}   tcp: {} tunnel, udp: plain", "  {1}   TCP：走 {2} 隧道，UDP：明文" },
	{ "  once both ends run xwpf, carry it in the tunnel: {}", "  两端都运行 xwpf 后，可让 UDP 走隧道：{1}" },
	{ "limits: port {} -> rule {}:{}", "限额：端口 {1} -> 规则 {2}：{3}" },
	{ "port {}: no rule of the store listens there; its limits are not imported (import the rules first)",
	  "端口 {1}：没有规则监听该端口；其限额未导入（请先导入规则）" },
	{ "note: {}: a rule named '{}' exists; this one is named '{}'", "注意：{1}：已有名为“{2}”的规则；此条命名为“{3}”" },
	{ "{} is the script's own state; not imported", "{1} 是脚本自身的状态；不导入" },
	{ "manager.conf is the script's own state; not imported", "manager.conf 是脚本自身的状态；不导入" },
	{ "{}; nothing was changed", "{=1}；未做任何改动" },
	/* refusals of an import that begin and end with a text: after the line's own end above */
	{ "{}: network.{} must be a whole number from 0 to {}", "{=1}：network.{2} 必须是 0 到 {3} 的整数" },
	{ "{}: listen host '{}' does not resolve to an address{}", "{=1}：listen 的主机“{2}”无法解析为地址{=3}" },
	{ "{}: a NUL byte in the value of {}", "{=1}：{2} 的值中有 NUL 字节" },
	{ "nothing was changed", "未做任何改动" },
	/* xwpf mptcp */
	{ "  rp_filter        {}  (strict: subflows over other NICs may be dropped)",
	  "  rp_filter        {1}（严格：经其他网卡的子流可能被丢弃）" },
	{ "  saved in the store for boot:", "  已存入规则文件，开机时载入：" },
	{ "  {} MPTCP connections accepted since boot", "  {1} 开机以来接受的 MPTCP 连接" },
	{ "  {} MPTCP connections opened since boot", "  {1} 开机以来发起的 MPTCP 连接" },
	{ "  {} accepted connections that fell back to TCP since boot", "  {1} 开机以来回落为 TCP 的接受连接" },
	{ "  {} opened connections that fell back to TCP since boot", "  {1} 开机以来回落为 TCP 的发起连接" },
	{ "  {} extra subflows accepted since boot", "  {1} 开机以来接受的额外子流" },
	{ "  {} extra subflows opened since boot", "  {1} 开机以来发起的额外子流" },
	{ "  {} addresses announced by peers since boot", "  {1} 开机以来对端通告的地址" },
	{ "  kernel           {}: MPTCP supported", "  内核             {1}：支持 MPTCP" },
	{ "  kernel           {}: no MPTCP", "  内核             {1}：不支持 MPTCP" },
	{ "  enabled          yes (net.mptcp.enabled = {})", "  启用             是（net.mptcp.enabled = {1}）" },
	{ "  enabled          no (net.mptcp.enabled = {})  turn on: {}", "  启用             否（net.mptcp.enabled = {1}）  开启：{2}" },
	{ "  enabled          unknown (no net.mptcp.enabled sysctl)", "  启用             未知（没有 net.mptcp.enabled 参数）" },
	{ "  path manager     unknown", "  路径管理器       未知" },
	{ "  path manager     kernel", "  路径管理器       内核（kernel）" },
	{ "  path manager     userspace", "  路径管理器       用户态（userspace）" },
	{ "  limits           subflows {}, add_addr_accepted {}", "  限制             子流 {1}，add_addr_accepted {2}" },
	{ "  at boot          disabled by xwpf mptcp disable", "  开机时           已由 xwpf mptcp disable 停用" },
	{ "  at boot          not persisted (xwpf mptcp enable writes {})", "  开机时           未持久化（xwpf mptcp enable 会写入 {1}）" },
	{ "  {}  up   {}", "  {1}  启用 {2}" },
	{ "  {}  down{}", "  {1}  停用{2}" },
	{ "added: {}", "已添加：{1}" },
	{ "deleted: {}", "已删除：{1}" },
	{ "deleted from the store: {} (it was not active in the kernel)", "已从规则文件删除：{1}（内核中并未生效）" },
	{ "every endpoint removed (kernel and store)", "已删除所有端点（内核和规则文件）" },
	{ "permission denied: {} needs root (CAP_NET_ADMIN)", "权限不足：{1} 需要 root（CAP_NET_ADMIN）" },
	{ "enabling MPTCP", "启用 MPTCP" },
	{ "disabling MPTCP", "停用 MPTCP" },
	{ "saving to the store failed: {}", "保存到规则文件失败：{1}" },
	{ "the change would make the store invalid", "此改动会使规则文件无效" },
	{ "the store is invalid: fix it first (see: {})", "规则文件无效：请先修正（见 {1}）" },
	{ "cannot create {}: {}", "无法创建 {1}：{2}" },
	{ "{} already has an endpoint: {}; delete it first ({})", "{1} 已有端点：{2}；请先删除（{3}）" },
	{ "id {} is taken by {}: choose another id or leave it out", "id {1} 已被 {2} 占用：请换一个 id 或不写" },
	{ "the kernel keeps at most {} endpoints and has {}: delete one first", "内核最多保留 {1} 个端点，现有 {2} 个：请先删除一个" },
	{ "and the endpoint stays in the kernel: {}", "且端点仍留在内核中：{1}" },
	{ "id must be a number from 1 to 255, not '{}'", "id 必须是 1 到 255 的数字，而不是“{1}”" },
	{ "'{}' is neither an endpoint id (1-255) nor an address", "“{1}”既不是端点 id（1-255）也不是地址" },
	{ "{} has {} endpoints (different ports): delete by id (see: {})",
	  "{1} 有 {2} 个端点（端口不同）：请按 id 删除（见 {3}）" },
	{ "there is no endpoint with id {} (the kernel has none)", "没有 id 为 {1} 的端点（内核中没有端点）" },
	{ "there is no endpoint with id {} (the kernel has {})", "没有 id 为 {1} 的端点（内核中有 {2}）" },
	{ "there is no endpoint for {} (the kernel has none)", "没有 {1} 的端点（内核中没有端点）" },
	{ "there is no endpoint for {} (the kernel has {})", "没有 {1} 的端点（内核中有 {2}）" },
	{ "and the endpoint could not be put back: {}", "且端点未能恢复：{1}" },
	{ "{} setting could not be applied (see above)", "{1} 项设置未能应用（见上）" },
	{ "{} settings could not be applied (see above)", "{1} 项设置未能应用（见上）" },
	{ "{}: display counts reset (were in {}, out {}, {} connections since {}); billing cycle unchanged: {} billed",
	  "{1}：显示计数已重置（此前入 {2}、出 {3}、{4} 个连接，自 {5} 起）；计费周期不变：已计费 {6}" },
	{ "MPTCP enabled: {}", "MPTCP 已启用：{1}" },
	{ "MPTCP disabled{}", "MPTCP 已停用{1}" },
	{ "  none: add one with {} mptcp endpoint add ADDR dev IF subflow", "  无：用 {1} mptcp endpoint add 地址 dev 网卡 subflow 添加" },
	{ "endpoints ({})", "端点（{1}）" },
	{ "NICs", "网卡" },
	{ "connections", "连接" },
	{ "  kernel           {}", "  内核             {1}" },
	{ "  enabled          {}", "  启用             {1}" },
	{ "  path manager     {}", "  路径管理器       {1}" },
	{ "  limits           {}", "  限制             {1}" },
	{ "  at boot          {}", "  开机时           {1}" },
	{ "  {} established MPTCP connections over {} subflows, {} opening or closing, {} listeners",
	  "  已建立 MPTCP 连接 {1} 个，子流 {2} 条，建立或关闭中 {3} 个，监听 {4} 个" },
	/* xwpf config set, xwpf notify --test, xwpf status --reset-cycle (the traffic screen's pages) */
	{ "saved {} key", "已保存 {1} 个键" },
	{ "saved {} keys", "已保存 {1} 个键" },
	{ "saved, but no relay is running to reload", "已保存，但没有运行中的中继可重载" },
	{ "saved, but {}", "已保存，但{=1}" },
	{ "expected KEY=VALUE, got '{}'", "应为 键=值，而不是“{1}”" },
	{ "unknown [global] key '{}': did you mean '{}'? (see: {})", "未知的 [global] 键“{1}”：是否想写“{2}”？（见 {3}）" },
	{ "unknown [global] key '{}' (see: {})", "未知的 [global] 键“{1}”（见 {2}）" },
	{ "{}: a new billing cycle from now (the last one billed {}); display counts reset too",
	  "{1}：从现在起开始新的计费周期（上一周期计费 {2}）；显示计数也已重置" },
	{ "{}: no reply", "{1}：无回复" },
	{ "no target: give one (telegram:TOKEN@CHAT, wecom:URL, webhook:URL) or set {}",
	  "没有通知目标：请给出一个（telegram:TOKEN@CHAT、wecom:URL、webhook:URL）或设置 {1}" },
	{ "not an http(s) address", "不是 http(s) 地址" },
	{ "no answer within the deadline", "期限内无应答" },
	{ "no reply within the deadline", "期限内无回复" },
	{ "no room to send within the deadline", "期限内无法发送" },
	{ "no TLS handshake within the deadline", "期限内未完成 TLS 握手" },
	{ "cancelled (the relay is stopping)", "已取消（中继正在停止）" },
	{ "cannot resolve {}: {}", "无法解析 {1}：{2}" },
	{ "{} has no address", "{1} 没有地址" },
	{ "cannot connect to {} port {}: {}", "无法连接 {1} 端口 {2}：{3}" },
	{ "plain http refused (set notify_insecure_http = yes for a test server)",
	  "拒绝明文 http（测试服务器可设 notify_insecure_http = yes）" },
	{ "no CA certificate to check the server with (install ca-certificates, or set notify_ca)",
	  "没有用于校验服务器的 CA 证书（请安装 ca-certificates 或设置 notify_ca）" },
	{ "the reply is not HTTP", "回复不是 HTTP" },
	{ "refused: {}", "被拒绝：{1}" },
	{ "{}: {}: no answer within the deadline", "{1}：{2}：期限内无应答" },
	/* notification and expiry keys (lib/store/store_notify.c) */
	{ "{}: the address must start with https:// (write {}:https://HOST/PATH)",
	  "{1}：地址必须以 https:// 开头（写作 {2}:https://主机/路径）" },
	{ "{}: the address has no host name (write {}:https://HOST/PATH)", "{1}：地址没有主机名（写作 {2}:https://主机/路径）" },
	{ "{}: the address holds a space, a control character or one of \" \\ , # (write such characters as %XX)",
	  "{1}：地址含空格、控制字符或 \" \\ , # 之一（这些字符请写作 %XX）" },
	{ "telegram: the bot token is digits, ':' and letters, as BotFather gives it (write telegram:123456789:AAH...@CHAT_ID)",
	  "telegram：机器人 token 由数字、“:”和字母组成，照 BotFather 给的写（telegram:123456789:AAH...@CHAT_ID）" },
	{ "telegram: the chat id is a number (-100... for a group) or a channel's @name, not '{}' (write telegram:TOKEN@123456789)",
	  "telegram：chat id 是数字（群组为 -100...）或频道的 @名称，而不是“{1}”（写作 telegram:TOKEN@123456789）" },
	{ "telegram: write telegram:BOT_TOKEN@CHAT_ID (the token from BotFather, then @ and the chat's id)",
	  "telegram：请写 telegram:BOT_TOKEN@CHAT_ID（BotFather 给的 token，再加 @ 和聊天 id）" },
	{ "telegram: the chat id is too long", "telegram：chat id 太长" },
	{ "{}: the address is too long", "{1}：地址太长" },
	{ "'{}' is not a notification target: write telegram:BOT_TOKEN@CHAT_ID, wecom:https://... (the group robot's webhook) "
	  "or webhook:https://...", "“{1}”不是通知目标：请写 telegram:BOT_TOKEN@CHAT_ID、wecom:https://...（群机器人的 webhook）"
	  "或 webhook:https://..." },
	{ "notify: the list is too long (at most {} characters)", "notify：列表太长（最多 {1} 个字符）" },
	{ "notify: at most {} targets", "notify：最多 {1} 个目标" },
	{ "notify: {} is plain http (anyone on the way reads and changes it): write https://, or set notify_insecure_http = "
	  "yes for a test server", "notify：{1} 是明文 http（途中任何人都能读取和篡改）：请写 https://，测试服务器可设 "
	  "notify_insecure_http = yes" },
	{ "notify_events: '{}' is not an event (write all, or names from: {})", "notify_events：“{1}”不是事件（写 all，或从以下名称中选：{2}）" },
	{ "notify_ca must be an absolute path (a PEM file of CA certificates), not '{}'",
	  "notify_ca 必须是绝对路径（CA 证书的 PEM 文件），而不是“{1}”" },
	{ "notify_ca {} cannot be read: write the path of a PEM file of CA certificates, or remove the key to trust the system's",
	  "无法读取 notify_ca {1}：请写 CA 证书 PEM 文件的路径，或删除该键以信任系统证书" },
	{ "{} is too long (at most {} characters)", "{1} 太长（最多 {2} 个字符）" },
	{ "{} is too long", "{1} 太长" },
	{ "{} must start with https://, not '{}'", "{1} 必须以 https:// 开头，而不是“{2}”" },
	{ "notify_report must be from 1m to 24h (e.g. 1h), or 0 for none; not '{}'",
	  "notify_report 必须在 1m 到 24h 之间（如 1h），或 0 表示不发；而不是“{1}”" },
	{ "expire must be a date as YYYY-MM-DD (e.g. 2027-01-31), or off; not '{}'",
	  "expire 必须是 YYYY-MM-DD 格式的日期（如 2027-01-31），或 off；而不是“{1}”" },
	{ "expire: {} is not a day of that month (write YYYY-MM-DD)", "expire：{1} 不是该月中的日期（写作 YYYY-MM-DD）" },
	{ "rule '{}': {}", "规则“{1}”：{=2}" },
	/* xwpf linktest: the report */
	{ "linktest to {} (this end seen as {})", "链路测试：到 {1}（对端看到本端为 {2}）" },
	{ "linktest to {} (a plain iperf3 server)", "链路测试：到 {1}（普通 iperf3 服务端）" },
	{ "system              local                          remote", "系统                本端                           对端" },
	{ "  kernel            {}", "  内核              {1}" },
	{ "  congestion        {}", "  拥塞控制          {1}" },
	{ "  qdisc             {}", "  队列规则          {1}" },
	{ "  device            {}", "  网卡              {1}" },
	{ "latency (ms)            min      avg      max   stddev  max-min   loss",
	  "延迟（毫秒）           最小     平均     最大   标准差     极差   丢包" },
	{ "  tcp connect{}", "  TCP 建连   {1}" },
	{ "  icmp echo        unavailable: unprivileged ICMP echo is not allowed: set net.ipv4.ping_group_range to include "
	  "group {}", "  ICMP 回显        不可用：非特权用户不能发 ICMP 回显：请把 net.ipv4.ping_group_range 设为包含组 {1}" },
	{ "  icmp echo        unavailable: cannot open a ping socket: {}", "  ICMP 回显        不可用：无法打开 ping 套接字：{1}" },
	{ "  icmp echo        unavailable: echo failed: {}", "  ICMP 回显        不可用：回显失败：{1}" },
	{ "  icmp echo        unavailable: {}", "  ICMP 回显        不可用：{1}" },
	{ "  icmp echo{}", "  ICMP 回显{1}" },
	{ "  control echo{}", "  控制通道回显{1}" },
	{ "route: failed: {}", "路由：失败：{1}" },
	{ "route: {} hops, destination reached", "路由：{1} 跳，已到达目的地" },
	{ "route: {} hops, destination not reached", "路由：{1} 跳，未到达目的地" },
	{ "{} ms  ({})  destination", "{1} ms  ({2})  目的地" },
	{ "{} ms  ({})  unreachable", "{1} ms  ({2})  不可达" },
	{ "{} ms  ({})  detour?", "{1} ms  ({2})  绕路？" },
	{ "tcp                     Mbit/s  retrans   seconds         bytes",
	  "TCP                     Mbit/s     重传      秒数          字节" },
	{ "udp                       rate   Mbit/s    loss    lost/sent  jitter ms  reordered",
	  "UDP                       速率   Mbit/s    丢包    丢失/发送    抖动 ms       乱序" },
	{ "  upload {} streams {}failed: {}", "  上传 {1} 条流 {2}     失败：{=3}" },
	{ "  upload {} stream {}failed: {}", "  上传 {1} 条流 {2}    失败：{=3}" },
	{ "  download {} streams {}failed: {}", "  下载 {1} 条流 {2}       失败：{=3}" },
	{ "  download {} stream {}failed: {}", "  下载 {1} 条流 {2}      失败：{=3}" },
	{ "  upload {} streams{}", "  上传 {1} 条流     {2}" },
	{ "  upload {} stream{}", "  上传 {1} 条流    {2}" },
	{ "  download {} streams{}", "  下载 {1} 条流       {2}" },
	{ "  download {} stream{}", "  下载 {1} 条流      {2}" },
	{ "  upload {}failed: {}", "  上传   {1}失败：{=2}" },
	{ "  download {}failed: {}", "  下载     {1}失败：{=2}" },
	{ "  upload{}", "  上传  {1}" },
	{ "  download{}", "  下载    {1}" },
	/* xwpf linktest: errors */
	{ "{} is a plain iperf3 server: one stream per TCP phase, whole seconds, no control echo and no remote system facts",
	  "{1} 是普通 iperf3 服务端：每个 TCP 阶段一条流，按整秒计时，无控制通道回显，也无对端系统信息" },
	{ "{}: iperf3: the server ended the test early", "{1}：iperf3：服务端提前结束了测试" },
	{ "{}: iperf3: the server closed the test stream early", "{1}：iperf3：服务端提前关闭了测试流" },
	{ "{}: iperf3: no answer to the UDP connect datagram from the server within 5 s",
	  "{1}：iperf3：服务端 5 秒内未应答 UDP 连接数据报" },
	{ "{}: iperf3: the server reports error {} (errno {})", "{1}：iperf3：服务端报告错误 {2}（errno {3}）" },
	{ "{}: iperf3: the server said {} where {} was due", "{1}：iperf3：服务端发来 {2}，此时应为 {3}" },
	{ "{}: iperf3: the server's results are empty or longer than {} bytes", "{1}：iperf3：服务端的结果为空或超过 {2} 字节" },
	{ "{}: iperf3: a phase is 1 to {} whole seconds; UDP needs a rate and a size",
	  "{1}：iperf3：每个阶段为 1 到 {2} 整秒；UDP 需要速率和包长" },
	{ "{}: iperf3: connecting to the server: {}", "{1}：iperf3：连接服务端：{2}" },
	{ "{}: iperf3: waiting for {}: {}", "{1}：iperf3：等待 {2}：{3}" },
	{ "{}: the server's results are too long", "{1}：服务端的结果太长" },
	{ "{}: the server's results are not JSON: {}", "{1}：服务端的结果不是 JSON：{2}" },
	{ "{}: the server's results have no stream", "{1}：服务端的结果中没有流" },
	{ "{}: the server's results have no number for {}", "{1}：服务端的结果中 {2} 不是数字" },
	{ "{}: no answer from the server (timed out)", "{1}：服务端无应答（超时）" },
	{ "{}: no answer from the server (it closed the connection)", "{1}：服务端无应答（对方关闭了连接）" },
	{ "{}: no answer from the server ({})", "{1}：服务端无应答（{2}）" },
	{ "{}: the server says: {}", "{1}：服务端答复：{=2}" },
	{ "{}: unexpected answer '{}'", "{1}：意外的应答“{2}”" },
	{ "{}: control connection lost: {}", "{1}：控制连接断开：{2}" },
	{ "{}: the server did not finish within {} s", "{1}：服务端 {2} 秒内未完成" },
	{ "{}: the server did not finish", "{1}：服务端未完成" },
	{ "{}: malformed result '{}'", "{1}：结果格式错误“{2}”" },
	{ "test connection {} to {}: {}", "测试连接 {1} 到 {2}：{3}" },
	{ "{}: stream {}: {}", "{1}：第 {2} 条流：{3}" },
	{ "test connection {}: {}", "测试连接 {1}：{2}" },
	{ "cannot resolve '{}': {} (check the host name)", "无法解析“{1}”：{2}（请检查域名）" },
	{ "cannot connect to {}: {} (is 'xwpf linktest --server' running there, and the port open?)",
	  "无法连接 {1}：{2}（对端是否运行了 xwpf linktest --server，端口是否开放？）" },
	{ "{} does not answer like a linktest server ({}): is the port right?", "{1} 的应答不像 linktest 服务端（{2}）：端口对吗？" },
	{ "the server refused: {}", "服务端拒绝：{=1}" },
	{ "budget: {} has used its traffic budget ({} per hour, --budget): try again in {} min",
	  "流量预算：{1} 已用完其流量预算（每小时 {2}，--budget）：请 {3} 分钟后再试" },
	{ "budget: the server has used its traffic budget for all clients ({} per hour, --total-budget): try again in {} min",
	  "流量预算：服务端已用完所有客户端的流量预算（每小时 {1}，--total-budget）：请 {2} 分钟后再试" },
	{ "{} is not a linktest server (it said '{}')", "{1} 不是 linktest 服务端（它说“{2}”）" },
	{ "the server's greeting is malformed: '{}'", "服务端的问候格式错误：“{1}”" },
	{ "the server requires a shared key: pass --key KEY (or --key-file FILE)",
	  "服务端需要共享密钥：请给 --key 密钥（或 --key-file 文件）" },
	{ "the server does not use a key; it cannot prove who it is", "服务端未使用密钥；无法证明其身份" },
	{ "no randomness from the kernel: {}", "无法从内核获取随机数：{1}" },
	{ "the server closed the connection during the handshake", "服务端在握手时关闭了连接" },
	{ "unexpected answer to the handshake: '{}'", "握手时意外的应答：“{1}”" },
	{ "the server did not prove it knows the key: wrong server?", "服务端未能证明它知道密钥：服务端不对？" },
	{ "cannot open a UDP socket: {}", "无法打开 UDP 套接字：{1}" },
	{ "cannot set the TTL: {}", "无法设置 TTL：{1}" },
	{ "cannot send a route probe to {}: {}", "无法发送路由探测到 {1}：{2}" },
	/* lib/system: MPTCP endpoints, limits and sysctls (kept last: the general "{} refused: {}") */
	{ "there is no interface named {} (see: ip link)", "没有名为 {1} 的网卡（见 ip link）" },
	{ "cannot list the addresses of the NICs: {}", "无法列出网卡地址：{=1}" },
	{ "{} is not configured on any interface: add it first (ip addr add {}/PREFIX dev IF) or give an address this "
	  "host has", "{1} 没有配置在任何网卡上：请先添加（ip addr add {2}/前缀 dev 网卡），或填写本机已有的地址" },
	{ "{} is not on {} but on {}: use 'dev {}'", "{1} 不在 {2} 上，而在 {3} 上：请用“dev {4}”" },
	{ "{} is not configured on {} ({} has {}): give one of those addresses or add it with ip addr add {}/PREFIX dev {}",
	  "{1} 没有配置在 {2} 上（{3} 的地址：{4}）：请填写其中一个地址，或用 ip addr add {5}/前缀 dev {6} 添加" },
	{ "this kernel ({}) has no MPTCP path manager (generic netlink family mptcp_pm): MPTCP needs Linux 5.6 or newer "
	  "built with CONFIG_MPTCP=y", "此内核（{1}）没有 MPTCP 路径管理器（generic netlink 族 mptcp_pm）：MPTCP 需要 "
	  "Linux 5.6 或更新版本，且编译时启用 CONFIG_MPTCP=y" },
	{ "cannot look up the MPTCP path manager: {}", "无法找到 MPTCP 路径管理器：{=1}" },
	{ "permission denied: {} needs root (CAP_NET_ADMIN)", "权限不足：{1} 需要 root（CAP_NET_ADMIN）" },
	{ "malformed endpoint from the kernel", "内核返回的端点格式错误" },
	{ "id {} is out of range: use 1 to 255", "id {1} 超出范围：请用 1 到 255" },
	{ "malformed limits from the kernel", "内核返回的限制格式错误" },
	{ "limits go from 0 to {}", "限制的取值为 0 到 {1}" },
	{ "this kernel cannot list MPTCP sockets (mptcp_diag missing: CONFIG_INET_MPTCP_DIAG)",
	  "此内核无法列出 MPTCP 连接（缺少 mptcp_diag：CONFIG_INET_MPTCP_DIAG）" },
	{ "cannot list MPTCP sockets: {}", "无法列出 MPTCP 连接：{=1}" },
	{ "bad sysctl name {}", "无效的 sysctl 名称 {1}" },
	{ "cannot set {} = {}: {} (run as root, outside a read-only container)",
	  "无法设置 {1} = {2}：{=3}（请以 root 身份在非只读容器中运行）" },
	{ "cannot set {}: this kernel has no such sysctl (MPTCP needs Linux 5.6+ with CONFIG_MPTCP)",
	  "无法设置 {1}：此内核没有这个 sysctl（MPTCP 需要 Linux 5.6 以上并启用 CONFIG_MPTCP）" },
	{ "cannot set {}: this kernel has no such sysctl", "无法设置 {1}：此内核没有这个 sysctl" },
	{ "cannot set {} = {}: {}", "无法设置 {1} = {2}：{=3}" },
	{ "{} refused by the kernel: {}", "内核拒绝了 {1}：{=2}" },
	{ "{} refused: {}", "{1} 被拒绝：{=2}" },
	/* what an import notes of the traffic tool's config, realm's configs and xwPF's rules */
	{ "port {}: turned off in the traffic tool; its limits are not imported", "端口 {1}：在流量工具中已停用；其限额不导入" },
	{ "port {}: quota '{}' is not a size such as 100GB; not imported", "端口 {1}：配额“{2}”不是 100GB 这样的大小；未导入" },
	{ "port {}: bandwidth '{}' is not a rate such as 100Mbps; not imported",
	  "端口 {1}：带宽“{2}”不是 100Mbps 这样的速率；未导入" },
	{ "ports: '{}' is not a port or a range; skipped", "ports：“{1}”不是端口或端口段；已跳过" },
	{ "port {}: not an object; skipped", "端口 {1}：不是对象；已跳过" },
	{ "{}: unknown key {} ignored (realm ignores it too)", "{=1}：未知的键 {2}，已忽略（realm 同样忽略）" },
	{ "{}: peer {} has no weight: realm never picks it, so it is left out",
	  "{=1}：目标 {2} 没有权重：realm 从不选它，因此略去" },
	{ "{}: peer {} has weight 0: realm never picks it, so it is left out",
	  "{=1}：目标 {2} 的权重为 0：realm 从不选它，因此略去" },
	{ "{}: {} = 0 is taken as {} s (the longest of xwpf)", "{=1}：{2} = 0 按 {3} 秒处理（xwpf 允许的最长值）" },
	{ "{}: {} = 0 is taken as {} s (the shortest of xwpf)", "{=1}：{2} = 0 按 {3} 秒处理（xwpf 允许的最短值）" },
	{ "{}: tcp_keepalive_probe = {} is taken as {} (the kernel's range is 1 to 127)",
	  "{=1}：tcp_keepalive_probe = {2} 按 {3} 处理（内核的范围是 1 到 127）" },
	{ "network.zero_copy is deprecated in realm and not used: plain TCP is spliced anyway",
	  "network.zero_copy 在 realm 中已弃用，不使用：普通 TCP 本就以 splice 转发" },
	{ "network.fast_open is deprecated in realm and not used (no TCP Fast Open)",
	  "network.fast_open 在 realm 中已弃用，不使用（不启用 TCP Fast Open）" },
	{ "a legacy realm config (listening_ports): each listen port is one rule",
	  "旧式 realm 配置（listening_ports）：每个监听端口成为一条规则" },
	{ "the [log] and [dns] settings of the realm config are not imported; see [global] in the store",
	  "realm 配置的 [log] 与 [dns] 设置不导入；见规则文件的 [global]" },
	{ "log level {} is taken as {}", "日志级别 {1} 按 {2} 处理" },
	{ "log output stdout: the log goes to stderr", "日志输出 stdout：日志写到标准错误" },
	{ "dns.{} is not used: names are resolved by the system's resolver", "dns.{1} 不使用：域名由系统的解析器解析" },
	{ "{}: port {} is already used by a rule of the other role; skipped (as xwPF does)",
	  "{1}：端口 {2} 已被另一角色的规则使用；已跳过（与 xwPF 相同）" },
	{ "endpoint {}", "端点 {1}" }, { "the config", "配置" },
	{ "listen_transport: {} accepted but not used", "listen_transport：{1} 可以写，但不使用" },
	{ "remote_transport: {} accepted but not used", "remote_transport：{1} 可以写，但不使用" },
	/* what an import refuses, and why */
	{ "not an xwpf export or xwPF archive (.tar.gz), nor a realm config (.json, .toml); read as TOML: {}",
	  "不是 xwpf 导出包或 xwPF 备份（.tar.gz），也不是 realm 配置（.json、.toml）；按 TOML 读取时：{=1}" },
	{ "neither an xwpf export (no {}/MANIFEST) nor an xwPF archive (no rules/rule-N.conf)",
	  "既不是 xwpf 导出包（没有 {1}/MANIFEST），也不是 xwPF 备份（没有 rules/rule-N.conf）" },
	{ "a directory to import holds rules/ (xwPF's, e.g. /etc/realm) or config.json (its traffic tool's, "
	  "/etc/port-traffic-dog); this one has neither",
	  "可导入的目录含 rules/（xwPF 的，如 /etc/realm）或 config.json（其流量工具的，/etc/port-traffic-dog）；此目录两者都没有" },
	{ "{} is not a regular file", "{1} 不是普通文件" },
	{ "{} is larger than {} MiB: refused", "{1} 大于 {2} MiB：已拒绝" },
	{ "{}: larger than 4 MiB", "{1}：大于 4 MiB" },
	{ "no import to undo (no backup in {})", "没有可撤销的导入（{1} 中没有备份）" },
	{ "the store changed while this import was being prepared; run it again to see the new plan",
	  "准备导入期间规则文件被改动；请重新运行以查看新的计划" },
	{ "the store changed meanwhile; run --undo again to see what it restores",
	  "规则文件在此期间被改动；请再次运行 --undo 查看它将还原的内容" },
	{ "the old files are back in place", "旧文件已放回原处" },
	{ "and putting the old files back failed too: {}; they are in {}", "放回旧文件也失败了：{=1}；它们在 {2}" },
	{ "rule {}: {}={} is not on this host ({}) and not in the import: the rule will not start until it is there",
	  "规则 {1}：{2}={3} 不在本机（{=4}）也不在导入内容中：它就位之前该规则不会启动" },
	{ "{} is not a file an export restores; skipped", "{1} 不是导出包会还原的文件；已跳过" },
	/* what export and import note of an archive's files */
	{ "skipped {}: the name is too long", "已跳过 {1}：名称过长" },
	{ "skipped {}: not a plain file name", "已跳过 {1}：不是普通的文件名" },
	{ "skipped {}: nested too deep", "已跳过 {1}：目录层级过深" },
	{ "skipped {}: not a regular file (links are not exported)", "已跳过 {1}：不是普通文件（链接不导出）" },
	{ "rule {}: {}={} is not in the archive: no such file", "规则 {1}：{2}={3} 不在备份中：文件不存在" },
	{ "rule {}: {}={} is not in the archive: {}", "规则 {1}：{2}={3} 不在备份中：{=4}" },
	{ "{} is not restored: it is written from the store's [mptcp] section, never copied from an archive, and that "
	  "section does not set enabled", "{1} 不还原：它由规则文件的 [mptcp] 段写出，从不从备份复制，而该段未设置 enabled" },
	{ "{} is written from the store's [mptcp] section (enabled = {}) as 'xwpf mptcp {}' writes it; the archive's "
	  "copy differs and was not used", "{1} 由规则文件的 [mptcp] 段写出（enabled = {2}），与“xwpf mptcp {3}”写的相同；"
	  "备份中的副本与之不同，未使用" },
	{ "{} is not restored: the archive's copy is not xwpf health state ({}); the health checks write it again",
	  "{1} 不还原：备份中的副本不是 xwpf 的健康状态（{=2}）；健康检查会重新写入" },
	/* last: a message with a known end around one that may be known */
	{ "{}; nothing was written", "{=1}；未写入任何内容" },
	{ "legacy port {}", "旧式端口 {1}" }, { "port {}", "端口 {1}" }, { "inflate error", "解压出错" },
	{ "{}: {}", "{=1}：{=2}" },
	/* general forms of what an import refuses, reached once a file name before them is split off above */
	{ "more than {} files", "文件超过 {1} 个" },
	{ "{} is larger than {} bytes", "{=1} 超过 {2} 字节" },
};

/* The system's words for an errno (musl's strerror) or a failed lookup, as
 * they appear inside a message: replaced wherever they are. */
static const struct zh syswords[] = {
	{ "Connection refused", "连接被拒绝" }, { "Operation timed out", "操作超时" },
	{ "Host is unreachable", "主机不可达" }, { "Network unreachable", "网络不可达" },
	{ "Connection reset by peer", "连接被对端重置" }, { "Permission denied", "权限不足" },
	{ "Operation not permitted", "操作不被允许" }, { "No such file or directory", "文件或目录不存在" },
	{ "Address in use", "地址已被占用" }, { "Not a directory", "不是目录" }, { "Is a directory", "是目录" },
	{ "Read-only file system", "只读文件系统" }, { "No space left on device", "设备上没有剩余空间" },
	{ "Symbolic link loop", "符号链接层数过多" }, { "File exists", "文件已存在" }, { "Filename too long", "文件名过长" }, { "Address not available", "地址不可用" },
	{ "Broken pipe", "管道已断开" }, { "Invalid argument", "参数无效" },
	{ "Resource temporarily unavailable", "资源暂时不可用" }, { "Name does not resolve", "域名无法解析" },
};

/* Whether s matches pat ({} = any text, the shortest that lets the rest
 * match in order; the last piece must end the line); the texts in cap. */
static int
match(const char *pat, const char *s, const char *cap[9], size_t len[9], int *n)
{
	const char *p = pat, *hole;

	*n = 0;
	hole = strstr(p, "{}");
	if (strncmp(s, p, hole ? (size_t)(hole - p) : strlen(p)) != 0)
		return 0;
	if (!hole)
		return s[strlen(p)] == '\0';
	s += hole - p;
	p = hole + 2;
	for (;;) {
		const char *next = strstr(p, "{}");
		size_t lit = next ? (size_t)(next - p) : strlen(p);
		const char *at;

		if (*n == 9)
			return 0;
		if (!next) {   /* the last piece ends the line */
			size_t sl = strlen(s);
			if (sl < lit || strcmp(s + sl - lit, p) != 0)
				return 0;
			cap[*n] = s;
			len[(*n)++] = sl - lit;
			return 1;
		}
		if (!lit)
			return 0;   /* two holes side by side: ambiguous, not used */
		{
			char piece[256];

			if (lit >= sizeof(piece))
				return 0;
			memcpy(piece, p, lit);
			piece[lit] = '\0';
			if (!(at = strstr(s, piece)))
				return 0;
		}
		cap[*n] = s;
		len[(*n)++] = (size_t)(at - s);
		s = at + lit;
		p = next + 2;
	}
}

/* how deep a message inside a message is translated: "FILE: endpoint 1: ...;
 * nothing was changed" is four levels, a reader's "line N: ..." one more */
#define ZH_DEPTH 6

static int body(const char *in, char *out, size_t size, int depth);

/* the message alone (no prefix, no line end) into out; 1 when a pattern knew
 * it. {N} in a Chinese form is the N-th text as it came, {=N} the N-th text
 * translated in turn (a message inside a message: "...; nothing was changed"). */
static int
body(const char *in, char *out, size_t size, int depth)
{
	const char *cap[9];
	size_t len[9], i, k = 0;
	int n;

	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		const char *z;

		if (!match(lines[i].en, in, cap, len, &n))
			continue;
		for (z = lines[i].zh; *z && k + 1 < size; z++) {
			int again = z[0] == '{' && z[1] == '=';
			const char *d = z + 1 + again;

			if (z[0] == '{' && d[0] >= '1' && d[0] <= '9' && d[1] == '}' && d[0] - '1' < n) {
				int c = d[0] - '1';
				size_t m = len[c] < size - 1 - k ? len[c] : size - 1 - k;
				char sub[4096];

				if (again && depth < ZH_DEPTH && len[c] < sizeof(sub)) {
					memcpy(sub, cap[c], len[c]);
					sub[len[c]] = '\0';
					body(sub, out + k, size - k, depth + 1);
					k += strlen(out + k);
				} else {
					memcpy(out + k, cap[c], m);
					k += m;
				}
				z = d + 1;
			} else
				out[k++] = *z;
		}
		out[k] = '\0';
		return 1;
	}
	snprintf(out, size, "%s", in);
	return 0;
}

/* Every en in s (NUL-ended, in a buffer of size) becomes zh, as far as it fits. */
static void
str_replace_all(char *s, size_t size, const char *en, const char *zh)
{
	size_t el = strlen(en), zl = strlen(zh);
	char *at = s;

	while ((at = strstr(at, en)) != NULL) {
		size_t tail = strlen(at + el);

		if ((size_t)(at - s) + zl + tail + 1 > size)
			return;
		memmove(at + zl, at + el, tail + 1);
		memcpy(at, zh, zl);
		at += zl;
	}
}

int
menu_zh_line(const char *in, char *out, size_t size)
{
	static const struct zh lead[] = {
		{ "refused: ", "已拒绝：" }, { "warning: ", "警告：" }, { "error: ", "错误：" }, { "note: ", "注意：" },
	};
	char line[4096], msg[4096], tr[8192];
	const char *rest;
	size_t n, k = 0, i;
	int nl, ok;

	snprintf(line, sizeof(line), "%s", in);
	n = strlen(line);
	nl = n && line[n - 1] == '\n';
	if (nl)
		line[--n] = '\0';
	if (!menu_zh || !n) {
		snprintf(out, size, "%s", in);
		return 0;
	}
	rest = line;
	out[0] = '\0';
	if (strncmp(rest, "xwpf ", 5) == 0 && (ok = (int)strcspn(rest + 5, ": ")) > 0 && rest[5 + ok] == ':' &&
	    rest[6 + ok] == ' ') {   /* "xwpf rule: " */
		k = (size_t)snprintf(out, size, "%.*s：", 5 + ok, rest);
		rest += 7 + ok;
	} else {   /* "FILE:LINE: " before "error: " */
		const char *c = strstr(rest, ": error: ");

		if (!c)
			c = strstr(rest, ": warning: ");
		if (c && c > rest && c[-1] >= '0' && c[-1] <= '9') {
			k = (size_t)snprintf(out, size, "%.*s：", (int)(c - rest), rest);
			rest = c + 2;
		}
	}
	for (i = 0; i < ARRAY_SIZE(lead); i++)
		if (strncmp(rest, lead[i].en, strlen(lead[i].en)) == 0) {
			k += (size_t)snprintf(out + k, k < size ? size - k : 0, "%s", lead[i].zh);
			rest += strlen(lead[i].en);
			break;
		}
	snprintf(msg, sizeof(msg), "%s", rest);
	ok = body(msg, tr, sizeof(tr), 0);
	for (i = 0; i < ARRAY_SIZE(syswords); i++)
		str_replace_all(tr, sizeof(tr), syswords[i].en, syswords[i].zh);
	if (k < size)
		snprintf(out + k, size - k, "%s%s", tr, nl ? "\n" : "");
	return ok;
}
