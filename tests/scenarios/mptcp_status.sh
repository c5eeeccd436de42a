#!/usr/bin/env bash
# timeout: 150
# xwpf mptcp enable / disable / status in a namespace this test creates:
# the sysctls change now and are persisted under XWPF_ROOT, and
# `status --json` agrees with `ip mptcp`, sysctl, `ip addr` and `ss -M`
# while real MPTCP connections are open.
. "$(dirname "$0")/../lib.sh"
need ip python3 ss
need_root

mptcp_ns mps va=10.78.0.1/24 vb=10.78.0.2/24 va=fd78::1/64

SYSCTL_FILE=$XWPF_ROOT/etc/sysctl.d/90-xwpf-mptcp.conf
xm() { "$XWPF" mptcp "$@"; }
ipm() { ip "$@"; }
sc() { sysctl -n "$1"; }

check "--help answers" bash -c "'$XWPF' mptcp --help | grep -q 'endpoint add ADDR'"

# ---- enable ----
sysctl -qw net.mptcp.enabled=0 net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
ipm mptcp limits set subflows 0 add_addr_accepted 0
run_ok "enable" xm enable
check_eq "enable: net.mptcp.enabled now 1" 1 "$(sc net.mptcp.enabled)"
[ -e "/proc/sys/net/mptcp/pm_type" ] && check_eq "enable: pm_type now 0" 0 "$(sc net.mptcp.pm_type)"
check_eq "enable: rp_filter all now 2" 2 "$(sc net.ipv4.conf.all.rp_filter)"
check_eq "enable: rp_filter default now 2" 2 "$(sc net.ipv4.conf.default.rp_filter)"
check_eq "enable: limits 8 and 8" "add_addr_accepted 8 subflows 8" "$(ipm mptcp limits show | sed 's/ *$//')"
check "enable: sysctl file under the root" test -f "$SYSCTL_FILE"
for l in "net.mptcp.enabled = 1" "net.ipv4.conf.all.rp_filter = 2" "net.ipv4.conf.default.rp_filter = 2"; do
	check "enable: sysctl file has '$l'" grep -qx "$l" "$SYSCTL_FILE"
done
[ -e "/proc/sys/net/mptcp/pm_type" ] && check "enable: sysctl file has pm_type 0" grep -qx "net.mptcp.pm_type = 0" "$SYSCTL_FILE"
check "enable: sysctl file is sysctl syntax" sysctl -q -p "$SYSCTL_FILE"
check_eq "enable: store [mptcp] holds enabled and limits" "enabled = yes,subflows = 8,add_addr_accepted = 8" \
	"$(grep -E '^(enabled|subflows|add_addr_accepted) *=' "$T_STORE" | paste -sd, -)"

# ---- endpoints and connections ----
run_ok "add a subflow endpoint" xm endpoint add 10.78.0.1 dev va subflow
run_ok "add a signal endpoint" xm endpoint add 10.78.0.2 dev vb signal backup id 12
run_ok "add an IPv6 endpoint" xm endpoint add fd78::1 subflow fullmesh

PORT=7400
READY=$T_DIR/ready
cat > "$T_DIR/mp.py" <<'PY'
import socket, sys, time
port, ready, n = int(sys.argv[1]), sys.argv[2], 3
IPPROTO_MPTCP = 262
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.78.0.2", port)); srv.listen(16)
keep = []
for _ in range(n):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    c.connect(("10.78.0.2", port))
    a, _ = srv.accept()
    c.sendall(b"x" * 4096); got = 0
    while got < 4096:
        got += len(a.recv(65536))
    keep += [c, a]
open(ready, "w").write("ok")
time.sleep(60)
PY
spawn python3 "$T_DIR/mp.py" "$PORT" "$READY"
if ! wait_for 30 test -s "$READY"; then
	fail "the MPTCP test peers did not come up"
	finish
fi

"$XWPF" mptcp status --json > "$T_DIR/status.json" 2> "$T_DIR/status.err"
check_eq "status --json: exit 0" 0 $?
ipm -j mptcp endpoint show > "$T_DIR/ip-endpoints.json"
ipm mptcp limits show > "$T_DIR/ip-limits.txt"   # ip 6.1 has no JSON for limits
ipm -j addr show > "$T_DIR/ip-addr.json"
ss -MHn state established > "$T_DIR/ss-est.txt"
ss -MHln > "$T_DIR/ss-listen.txt"
{
	for k in net.mptcp.enabled net.mptcp.pm_type net.mptcp.path_manager \
	    net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter; do
		v=$(sc "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v"
	done
} > "$T_DIR/sysctl.txt"

python3 - "$T_DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(n):
    return json.load(open(os.path.join(d, n)))
def check(name, cond, detail=""):
    print(("ok - mptcp_status: " if cond else "not ok - mptcp_status: ") + name + ("" if cond else ": " + detail))
try:
    st = load("status.json")
except Exception as e:
    check("status --json parses", False, repr(e)); sys.exit(0)
check("status --json parses", True)
check("supported", st.get("supported") is True, repr(st.get("supported")))
check("kernel release", st.get("kernel") == os.uname().release, repr(st.get("kernel")))

sysctl = dict(l.strip().split("=", 1) for l in open(os.path.join(d, "sysctl.txt")) if "=" in l)
check("enabled agrees with sysctl", st.get("enabled") == (sysctl["net.mptcp.enabled"] != "0"),
      "%r vs %r" % (st.get("enabled"), sysctl["net.mptcp.enabled"]))
for k, v in sysctl.items():
    check("sysctl %s agrees" % k, st.get("sysctl", {}).get(k) == v, "%r vs %r" % (st.get("sysctl", {}).get(k), v))
pm = sysctl.get("net.mptcp.path_manager") or {"0": "kernel", "1": "userspace"}.get(sysctl.get("net.mptcp.pm_type"))
check("path manager agrees", st.get("path_manager") == pm, "%r vs %r" % (st.get("path_manager"), pm))

w = open(os.path.join(d, "ip-limits.txt")).read().split()
lim = {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2)}
check("limits agree with ip mptcp limits",
      st["limits"] == {"subflows": lim.get("subflows", 0), "add_addr_accepted": lim.get("add_addr_accepted", 0)},
      "%r vs %r" % (st["limits"], lim))

def norm_ip(e):
    flags = sorted(k for k in ("signal", "subflow", "backup", "fullmesh", "implicit") if e.get(k))
    return (e["address"], e.get("id"), e.get("port", 0), e.get("dev", ""), tuple(flags))
def norm_x(e):
    return (e["address"], e["id"], e["port"], e["interface"], tuple(sorted(e["flags"])))
want = sorted(norm_ip(e) for e in load("ip-endpoints.json"))
got = sorted(norm_x(e) for e in st["endpoints"])
check("endpoints agree with ip mptcp endpoint show (%d)" % len(want), want == got and len(want) == 3,
      "%r vs %r" % (got, want))

nics = {n["name"]: set(n["addresses"]) for n in st["interfaces"]}
for link in load("ip-addr.json"):
    addrs = {"%s/%s" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", [])}
    name = link["ifname"]
    check("addresses of %s agree with ip addr" % name, nics.get(name, set()) == addrs,
          "%r vs %r" % (nics.get(name), addrs))

est = [l for l in open(os.path.join(d, "ss-est.txt")) if l.strip()]
lst = [l for l in open(os.path.join(d, "ss-listen.txt")) if l.strip()]
c = st.get("connections") or {}
check("established connections agree with ss -M (%d)" % len(est), c.get("established") == len(est) == 6,
      "%r vs %d" % (c.get("established"), len(est)))
check("listeners agree with ss -Ml (%d)" % len(lst), c.get("listening") == len(lst) == 1,
      "%r vs %d" % (c.get("listening"), len(lst)))
check("at least one subflow per connection", c.get("subflows", 0) >= c.get("established", 1),
      "%r" % c)
check("since-boot counters: 3 accepted", st.get("since_boot", {}).get("MPCapableACKRX") == 3,
      repr(st.get("since_boot")))
check("persisted file reported enabled", st.get("persisted", {}).get("state") == "enabled", repr(st.get("persisted")))
check("store section reported", st.get("store", {}).get("enabled") is True and len(st["store"]["endpoints"]) == 3,
      repr(st.get("store")))
check("no errors reported", st.get("errors") == [], repr(st.get("errors")))
PY

out=$(xm status 2>&1)
check_eq "status (text): exit 0" 0 $?
case $out in *"6 established MPTCP connections"*"1 listeners"*) ok "status (text) counts connections" ;;
	*) fail "status (text): '$out'" ;; esac
case $out in *"10.78.0.2 id 12 signal backup dev vb"*) ok "status (text) lists endpoints as ip does" ;;
	*) fail "status (text) endpoints: '$out'" ;; esac

# ---- disable ----
run_ok "disable" xm disable
check_eq "disable: net.mptcp.enabled now 0" 0 "$(sc net.mptcp.enabled)"
check "disable: sysctl file says 0" grep -qx "net.mptcp.enabled = 0" "$SYSCTL_FILE"
check "disable: store says enabled = no" grep -qx "enabled = no" "$T_STORE"
check "disable: status --json says disabled" bash -c \
	"$XWPF mptcp status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s[\"enabled\"] is False and s[\"persisted\"][\"state\"] == \"disabled\"'"
# a port endpoint needs an MPTCP listener, which a disabled MPTCP cannot make: explained in words
out=$(xm endpoint add 10.78.0.2 dev vb signal port 7401 2>&1)
check_eq "port endpoint while disabled: exit 1" 1 $?
case $out in *"MPTCP is disabled"*"xwpf --root $XWPF_ROOT mptcp enable"*) ok "port endpoint while disabled: says MPTCP is disabled, and the command" ;;
	*) fail "port endpoint while disabled: '$out'" ;; esac
check_eq "apply turns it back on per the store? no: the store says disabled" 0 "$(xm apply >/dev/null 2>&1; sc net.mptcp.enabled)"

finish
