#!/usr/bin/env bash
# A realm JSON config with balance, extra_remotes, through and a wss
# transport imports into the equivalent rule; the same config in TOML gives
# the same rules; per-endpoint network overrides; bad configs are refused
# with the line; --dry-run and --undo.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
R=$XWPF_ROOT

cat > "$T_DIR/realm.json" <<'EOF'
{
  "log": { "level": "warn", "output": "stdout" },
  "network": { "use_udp": true, "tcp_timeout": 7, "udp_timeout": 60 },
  "endpoints": [
    {
      "listen": "0.0.0.0:20001",
      "remote": "192.0.2.1:443",
      "extra_remotes": ["192.0.2.2:443", "cdn2.example.com:443"],
      "balance": "roundrobin: 4, 2, 1",
      "through": "127.0.0.1",
      "remote_transport": "ws;host=cdn.example.com;path=/chat;tls;sni=cdn.example.com;insecure",
      "network": { "send_proxy": true, "send_proxy_version": 1, "send_mptcp": true }
    },
    {
      "listen": ":::20002",
      "remote": "127.0.0.1:8080",
      "listen_transport": "ws;host=cdn.example.com;path=/chat;tls;servername=cdn.example.com",
      "listen_interface": "lo",
      "network": { "use_udp": false, "accept_proxy": true, "accept_mptcp": true, "ipv6_only": true }
    },
    {
      "listen": "[::1]:20003",
      "remote": "[::1]:9",
      "extra_remotes": ["127.0.0.1:9"],
      "balance": "iphash: 1, 3",
      "interface": "lo",
      "network": { "no_tcp": true }
    }
  ]
}
EOF
cat > "$T_DIR/realm.toml" <<'EOF'
# the same config in TOML
[log]
level = "warn"
output = "stdout"

[network]
use_udp = true
tcp_timeout = 7
udp_timeout = 60

[[endpoints]]
listen = "0.0.0.0:20001"
remote = "192.0.2.1:443"
extra_remotes = [
  "192.0.2.2:443",   # a comment inside the list
  'cdn2.example.com:443',
]
balance = "roundrobin: 4, 2, 1"
through = "127.0.0.1"
remote_transport = "ws;host=cdn.example.com;path=/chat;tls;sni=cdn.example.com;insecure"
network = { send_proxy = true, send_proxy_version = 1, send_mptcp = true }

[[endpoints]]
listen = ":::20002"
remote = "127.0.0.1:8080"
listen_transport = "ws;host=cdn.example.com;path=/chat;tls;servername=cdn.example.com"
listen_interface = "lo"
[endpoints.network]
use_udp = false
accept_proxy = true
accept_mptcp = true
ipv6_only = true

[[endpoints]]
listen = "[::1]:20003"
remote = "[::1]:9"
extra_remotes = ["127.0.0.1:9"]
balance = "iphash: 1, 3"
interface = "lo"
network.no_tcp = true
EOF

out=$($X import "$T_DIR/realm.json" --dry-run 2>&1)
check "dry-run shows the rules" grep -q "+ add  *realm-20001" <<<"$out"
check "dry-run changes nothing" test ! -e "$R/etc/xwpf/xwpf.conf"
out=$($X import "$T_DIR/realm.json" --yes 2>&1)
check "the JSON config imports" test $? -eq 0
check "the [log] block is reported as not imported" grep -q "not imported" <<<"$out"
$X rule list --json > "$T_DIR/json.rules"

python3 - "$T_DIR/json.rules" > "$T_DIR/py.out" 2>&1 <<'PY'
import json, sys
rules = {r["name"]: r for r in json.load(open(sys.argv[1]))}
def want(name, **kw):
    r = rules.get(name)
    if r is None:
        print("not ok - import_realm: rule %s missing (have %s)" % (name, sorted(rules))); return
    for k, v in kw.items():
        got = r[k] if k != "remotes" else [(x["address"], x["weight"]) for x in r["remotes"]]
        if got != v:
            print("not ok - import_realm: %s.%s = %r, expected %r" % (name, k, got, v)); return
    print("ok - import_realm: %s is the equivalent rule (%s)" % (name, ", ".join(sorted(kw))))
want("realm-20001", listen="0.0.0.0:20001", balance="roundrobin",
     remotes=[("192.0.2.1:443", 4), ("192.0.2.2:443", 2), ("cdn2.example.com:443", 1)],
     through="127.0.0.1", protocol="tcp+udp", proxy="send-v1", mptcp="send",
     remote_transport="ws;host=cdn.example.com;path=/chat;tls;sni=cdn.example.com;insecure",
     connect_timeout_ms=7000, udp_timeout_ms=60000)
want("realm-20002", listen="[::]:20002", listen_interface="lo", protocol="tcp", proxy="accept",
     mptcp="accept", ipv6_only=True, remotes=[("127.0.0.1:8080", 1)],
     listen_transport="ws;host=cdn.example.com;path=/chat;tls;servername=cdn.example.com")
want("realm-20003", listen="[::1]:20003", protocol="udp", balance="iphash", interface="lo",
     remotes=[("[::1]:9", 1), ("127.0.0.1:9", 3)])
PY
cat "$T_DIR/py.out"
grep -q '^not ok' "$T_DIR/py.out" && T_FAILED=$((T_FAILED + 1))

# the TOML twin into a fresh root gives the same rules
json_rules=$(cat "$T_DIR/json.rules")
out=$(XWPF_ROOT=$T_DIR/root2 $X import "$T_DIR/realm.toml" --yes 2>&1)
check "the TOML config imports" test $? -eq 0
check_eq "TOML and JSON give the same rules" "$json_rules" "$(XWPF_ROOT=$T_DIR/root2 $X rule list --json)"

# merging again clashes on listen addresses: refused, nothing changed
snap=$(cat "$R/etc/xwpf/xwpf.conf")
out=$($X import "$T_DIR/realm.toml" --yes 2>&1)
check_eq "a second import of the same endpoints is refused" 3 $?
check "... with the store's message" grep -q "already uses" <<<"$out"
check_eq "... nothing changed" "$snap" "$(cat "$R/etc/xwpf/xwpf.conf")"

# bad configs: refused, with the line
printf '{"endpoints": [ {"listen": "0.0.0.0:1", "remote": "x:1",} ]}' > "$T_DIR/bad.json"
out=$($X import "$T_DIR/bad.json" --yes 2>&1)
check_eq "a JSON syntax error is refused" 3 $?
check "... naming the line" grep -q "line 1" <<<"$out"
printf '[[endpoints]]\nlisten = "0.0.0.0:20009"\nremote = "192.0.2.1:1"\nremote_transport = "tls"\n' > "$T_DIR/bad.toml"
out=$($X import "$T_DIR/bad.toml" --yes 2>&1)
check_eq "a transport the store rejects is refused" 3 $?
check "... with the store's reason" grep -q "sni" <<<"$out"
printf '[[endpoints]]\nlisten = "0.0.0.0:20010"\nremote = "192.0.2.1:1"\nthrough = "1.2.3.4 #x"\n' > "$T_DIR/hash.toml"
out=$($X import "$T_DIR/hash.toml" --yes 2>&1)
check_eq "a value the INI store would cut at '#' is refused" 3 $?
check_eq "... nothing changed" "$snap" "$(cat "$R/etc/xwpf/xwpf.conf")"

$X import --undo --yes >/dev/null
check "--undo removes the store the import created" test ! -e "$R/etc/xwpf/xwpf.conf"
finish
