#!/usr/bin/env bash
# An xwPF archive built here in xwPF's format (docs/compat.md; relay rules, a
# balancing group with weights 2,1, a ws_tls_self relay, an exit rule, an
# MPTCP endpoint) imports into the equivalent rules; values such as
# $(touch ...) are data, never run; name clashes get a suffix, listen
# conflicts are refused with the store's message; --dry-run and --undo.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
R=$XWPF_ROOT
P=/tmp/pwned-$$
rm -f "$P" "$P-2" "$P-3"

mk() {   # DIR: an xwPF_config tree
	local d=$1/xwPF_config
	mkdir -p "$d/rules"
	cat > "$d/metadata.txt" <<EOF
EXPORT_TIME="2025-01-01 00:00:00"
SCRIPT_VERSION="v2.2.2"
EXPORT_HOST="hk"
RULES_COUNT="5"
HAS_MANAGER_CONF="true"
HAS_HEALTH_STATUS="false"
PACKAGE_VERSION="1.0"
EOF
	cat > "$d/rules/rule-1.conf" <<EOF
RULE_ID="1"
RULE_NAME="hk-jp"
RULE_ROLE="1"
SECURITY_LEVEL="standard"
LISTEN_PORT="10001"
LISTEN_IP="::"
THROUGH_IP="127.0.0.1"
REMOTE_HOST="203.0.113.5"
REMOTE_PORT="443"
RULE_NOTE="\$(touch $P) and \`touch $P-2\`"
ENABLED="true"
CREATED_TIME="2025-01-01 00:00:00"
BALANCE_MODE="off"
MPTCP_MODE="off"
PROXY_MODE="off"
EOF
	cat > "$d/rules/rule-2.conf" <<EOF
RULE_ID="2"
RULE_NAME="lb group"
RULE_ROLE="1"
SECURITY_LEVEL="standard"
LISTEN_PORT="10002"
LISTEN_IP="0.0.0.0"
THROUGH_IP="::"
REMOTE_HOST="198.51.100.1"
REMOTE_PORT="80"
ENABLED="true"
BALANCE_MODE="roundrobin"
TARGET_STATES=""
WEIGHTS="2,1"
FAILOVER_ENABLED="true"
FAILURE_THRESHOLD="3"
SUCCESS_THRESHOLD="2"
PROXY_MODE="v2_send"
EOF
	cat > "$d/rules/rule-3.conf" <<EOF
RULE_ID="3"
RULE_NAME="lb group 2"
RULE_ROLE="1"
SECURITY_LEVEL="standard"
LISTEN_PORT="10002"
LISTEN_IP="0.0.0.0"
REMOTE_HOST="198.51.100.2"
REMOTE_PORT="80"
ENABLED="true"
BALANCE_MODE="roundrobin"
WEIGHTS="1"
EOF
	cat > "$d/rules/rule-4.conf" <<EOF
RULE_ID="4"
RULE_NAME="wss-relay"
RULE_ROLE="1"
SECURITY_LEVEL="ws_tls_self"
LISTEN_PORT="10003"
LISTEN_IP="::"
THROUGH_IP="::"
REMOTE_HOST="exit.example.com"
REMOTE_PORT="443"
TLS_SERVER_NAME="cdn.example.com"
WS_PATH="/chat"
WS_HOST="cdn.example.com"
ENABLED="true"
MPTCP_MODE="send"
PROXY_MODE="v1_send"
EOF
	cat > "$d/rules/rule-5.conf" <<EOF
# an exit (server side of a tunnel)
RULE_ID=5
RULE_NAME='jp-exit'
RULE_ROLE=2
SECURITY_LEVEL=tls_self
LISTEN_PORT=10004
FORWARD_TARGET="127.0.0.1:8080"
TLS_SERVER_NAME="exit.example.com"
ENABLED=false
MPTCP_MODE="accept"
PROXY_MODE="v2_accept"
EOF
	printf '10.0.0.2 id 1 subflow fullmesh dev eth1\n10.0.0.3 id 2 signal\n' > "$d/mptcp_endpoints.conf"
	printf 'net.mptcp.enabled=1\nnet.mptcp.pm_type=0\n' > "$d/90-enable-MPTCP.conf"
	echo 'MANAGER=1' > "$d/manager.conf"
}
pack() { python3 -c 'import sys,tarfile
with tarfile.open(sys.argv[1], "w:gz") as t: t.add(sys.argv[2] + "/xwPF_config", "xwPF_config")' "$1" "$2"; }

mkdir -p "$T_DIR/a"
mk "$T_DIR/a"
pack "$T_DIR/xwPF_config_20250101_000000.tar.gz" "$T_DIR/a"
A=$T_DIR/xwPF_config_20250101_000000.tar.gz

$X rule add keep --listen 0.0.0.0:10999 --remote 127.0.0.1:9 >/dev/null
before=$(cat "$R/etc/xwpf/xwpf.conf")
out=$($X import "$A" --dry-run 2>&1)
check "dry-run lists the new rules" grep -q "+ add  *lb-group" <<<"$out"
check_eq "dry-run changes nothing" "$before" "$(cat "$R/etc/xwpf/xwpf.conf")"
out=$($X import "$A" --yes 2>&1)
check "the xwPF archive imports" test $? -eq 0
check "manager.conf is mentioned as not imported" grep -q "manager.conf" <<<"$out"
check "\$(touch) in a value was not run" test ! -e "$P"
check "\`touch\` in a value was not run" test ! -e "$P-2"

$X rule list --json > "$T_DIR/rules.json"
python3 - "$T_DIR/rules.json" "$P" > "$T_DIR/py.out" 2>&1 <<'PY'
import json, sys
rules = {r["name"]: r for r in json.load(open(sys.argv[1]))}
P = sys.argv[2]
def want(name, **kw):
    r = rules.get(name)
    if r is None:
        print("not ok - import_xwpf: rule %s missing (have %s)" % (name, sorted(rules))); return
    for k, v in kw.items():
        got = r[k] if k != "remotes" else [(x["address"], x["weight"]) for x in r["remotes"]]
        if got != v:
            print("not ok - import_xwpf: %s.%s = %r, expected %r" % (name, k, got, v)); return
    print("ok - import_xwpf: rule %s is equivalent (%s)" % (name, ", ".join(sorted(kw))))
want("keep", listen="0.0.0.0:10999")
want("hk-jp", role="relay", enabled=True, listen="[::]:10001", remotes=[("203.0.113.5:443", 1)],
     through="127.0.0.1", protocol="tcp+udp", remote_transport="", proxy="off", mptcp="off",
     note="$(touch %s) and `touch %s-2`" % (P, P))
want("lb-group", listen="0.0.0.0:10002", remotes=[("198.51.100.1:80", 2), ("198.51.100.2:80", 1)],
     balance="roundrobin", failover=True, proxy="send-v2", protocol="tcp+udp")
want("wss-relay", role="relay", listen="[::]:10003", remotes=[("exit.example.com:443", 1)],
     remote_transport="ws;host=cdn.example.com;path=/chat;tls;sni=cdn.example.com;insecure",
     listen_transport="", protocol="tcp+udp", udp_transport="plain", proxy="send-v1", mptcp="send")
want("jp-exit", role="exit", enabled=False, listen="[::]:10004", remotes=[("127.0.0.1:8080", 1)],
     listen_transport="tls;servername=exit.example.com", remote_transport="", mptcp="accept", proxy="accept",
     protocol="tcp+udp", udp_transport="plain")
if len(rules) != 5:
    print("not ok - import_xwpf: %d rules, expected 5 (the group of two is one rule)" % len(rules))
else:
    print("ok - import_xwpf: the balancing group of two files became one rule")
PY
cat "$T_DIR/py.out"
grep -q '^not ok' "$T_DIR/py.out" && T_FAILED=$((T_FAILED + 1))
conf=$(cat "$R/etc/xwpf/xwpf.conf")
check "health thresholds carried over" grep -q "health_fail = 3" <<<"$conf"
check "the MPTCP endpoints are in [mptcp]" \
	bash -c "grep -q '^endpoint = 10.0.0.2 dev eth1 id 1 subflow fullmesh$' <<<'$conf' && grep -q '^endpoint = 10.0.0.3 id 2 signal$' <<<'$conf'"
check "the sysctl file turned MPTCP on" grep -q "^enabled = yes" <<<"$conf"
check "xwpf rule check accepts the result" $X rule check

# the same archive again: the names clash (suffix) and the listen ports are taken (refused)
snap=$(cat "$R/etc/xwpf/xwpf.conf")
out=$($X import "$A" --yes 2>&1)
rc=$?
check_eq "a second import of the same rules is refused" 3 $rc
check "... with the store's listen-conflict message" grep -q "already uses" <<<"$out"
check "... naming the suffixed rule" grep -q "hk-jp-2" <<<"$out"
check "... and pointing at --replace" grep -q "xwpf --root $XWPF_ROOT import .* --replace" <<<"$out"
check_eq "... and nothing changed" "$snap" "$(cat "$R/etc/xwpf/xwpf.conf")"

# a clash of names only: the rule is added as NAME-2
mkdir -p "$T_DIR/b/xwPF_config/rules"
printf 'RULE_ID="1"\nRULE_NAME="hk-jp"\nRULE_ROLE="1"\nLISTEN_PORT="10100"\nREMOTE_HOST="192.0.2.9"\nREMOTE_PORT="22"\nENABLED="true"\n' \
	> "$T_DIR/b/xwPF_config/rules/rule-1.conf"
pack "$T_DIR/b.tar.gz" "$T_DIR/b"
out=$($X import "$T_DIR/b.tar.gz" --yes 2>&1)
check "a name clash gets a suffix" bash -c "'$X' rule show hk-jp-2 | grep -q 192.0.2.9"

# a rule file with shell code outside any value is refused, and not run
mkdir -p "$T_DIR/c/xwPF_config/rules"
printf 'RULE_ID="1"\nRULE_NAME="x"\n$(touch %s-3)\nLISTEN_PORT="10200"\nREMOTE_HOST="192.0.2.1"\nREMOTE_PORT="1"\n' "$P" \
	> "$T_DIR/c/xwPF_config/rules/rule-1.conf"
pack "$T_DIR/c.tar.gz" "$T_DIR/c"
snap=$(cat "$R/etc/xwpf/xwpf.conf")
out=$($X import "$T_DIR/c.tar.gz" --yes 2>&1)
check_eq "a rule file with a command line is refused" 3 $?
check "... naming the file and line" grep -q "rule-1.conf:3: not a KEY=" <<<"$out"
check "... the command was not run" test ! -e "$P-3"
check_eq "... and nothing changed" "$snap" "$(cat "$R/etc/xwpf/xwpf.conf")"

# undo twice: back to the single rule we started with
$X import --undo --yes >/dev/null && $X import --undo --yes >/dev/null
check_eq "--undo restores the store from before the imports" "$before" "$(cat "$R/etc/xwpf/xwpf.conf")"
rm -f "$P" "$P-2" "$P-3"
finish
