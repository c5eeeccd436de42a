#!/usr/bin/env bash
# xwpf in realm's place: a link named realm runs realm's README examples and a
# config with every key of realm's reference (TOML and JSON, a folder, the
# legacy form, REALM_CONF) and realm's command line (also as `xwpf realm` and
# `xwpf relay` with realm's long options, and realm's listen forms); every endpoint forwards TCP and UDP
# echo on loopback, every setting not honoured is named at start, and no
# store, pidfile, stats or ledger is written.
# timeout: 180
. "$(dirname "$0")/../lib.sh"
need python3
need socat

REALM=$T_DIR/realm
ln -s "$XWPF" "$REALM"
E1=$(free_port) E2=$(free_port) E3=$(free_port) E6=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E1 --udp 127.0.0.1:$E1 --tcp 127.0.0.1:$E2 --udp 127.0.0.1:$E2 \
    --tcp 127.0.0.1:$E3 --udp 127.0.0.1:$E3 --tcp "[::1]:$E6" --udp "[::1]:$E6"
wait_port 127.0.0.1 "$E3" || fail "echo peers did not start"

# echo_both NAME HOST PORT [tcp]: TCP (and UDP) echo intact through HOST:PORT
echo_both() {
	local name=$1 h=$2 p=$3 specs=("tcp $2 $3 1,70000") want=2 what="TCP and UDP"
	[ "${4:-}" = tcp ] && what="TCP" || { specs+=("udp $2 $3 1,1400,9000"); want=5; }
	out=$(timeout 20 python3 "$PEER" run "${specs[@]}" 2>&1)
	check "$name: $what through $h:$p" test "$(echo "$out" | grep -c '^ok')" = "$want"
}
# run_realm NAME ARGS...: the drop-in in the background; stderr in $T_DIR/NAME.err
run_realm() {
	local name=$1
	shift
	spawn "$@" 2> "$T_DIR/$name.err"
	RPID=$!
}
stop_realm() {
	kill -TERM "$RPID" 2>/dev/null
	wait "$RPID"
	check "$1: stops with 0 on SIGTERM" test $? = 0
}
notes() {   # notes NAME NEEDLE...: each named on stderr
	local name=$1 n
	shift
	for n in "$@"; do
		check "$name: names '$n' at start" grep -qF -- "$n" "$T_DIR/$name.err"
	done
}

# ---- realm's README: the TOML example and its JSON twin ----
P1=$(free_port) P2=$(free_port)
cat > "$T_DIR/readme.toml" <<EOF
[log]
level = "warn"
output = "$T_DIR/realm.log"

[network]
no_tcp = false
use_udp = true

[[endpoints]]
listen = "127.0.0.1:$P1"
remote = "127.0.0.1:$E1"

[[endpoints]]
listen = "127.0.0.1:$P2"
remote = "localhost:$E2"
EOF
python3 - "$T_DIR/readme.toml" "$T_DIR/readme.json" <<'PY'
import json, sys, tomllib
json.dump(tomllib.load(open(sys.argv[1], 'rb')), open(sys.argv[2], 'w'), indent=2)
PY
for f in readme.toml readme.json; do
	run_realm "$f" "$REALM" -c "$T_DIR/$f"
	wait_port 127.0.0.1 "$P2" || { fail "$f: no listener"; cat "$T_DIR/$f.err"; }
	echo_both "$f" 127.0.0.1 "$P1"
	echo_both "$f" 127.0.0.1 "$P2"
	stop_realm "$f"
done
# a log_file path is under the root in effect (XWPF_ROOT), as every path of xwpf's is
check "log.output: the log file is the config's" test -f "$XWPF_ROOT$T_DIR/realm.log"

# ---- every key of realm's config reference, TOML and JSON ----
A=$(free_port) B=$(free_port) C=$(free_port) D=$(free_port) V6=$(free_port) BL=$(free_port)
cat > "$T_DIR/full.json" <<EOF
{
  "log": { "level": "info", "output": "stderr" },
  "dns": { "mode": "ipv4_only", "protocol": "tcp_and_udp", "nameservers": ["127.0.0.1:53"],
           "min_ttl": 600, "max_ttl": 3600, "cache_size": 256 },
  "network": { "no_tcp": false, "use_udp": true, "ipv6_only": false, "tcp_timeout": 5, "udp_timeout": 30,
               "tcp_keepalive": 20, "tcp_keepalive_probe": 4, "send_mptcp": false, "accept_mptcp": false,
               "send_proxy": false, "send_proxy_version": 2, "accept_proxy": false, "accept_proxy_timeout": 5,
               "zero_copy": true, "fast_open": false },
  "endpoints": [
    { "listen": "127.0.0.1:$A", "remote": "127.0.0.1:$B", "through": "127.0.0.1",
      "interface": "lo", "network": { "send_proxy": true, "send_proxy_version": 1 } },
    { "listen": "127.0.0.1:$B", "remote": "127.0.0.1:$E1", "listen_interface": "lo",
      "network": { "accept_proxy": true, "accept_proxy_timeout": 3 } },
    { "listen": "127.0.0.1:$C", "remote": "127.0.0.1:$D",
      "remote_transport": "ws;host=example.com;path=/chat;tls;sni=example.com;insecure;alpn=h2,http/1.1;0rtt" },
    { "listen": "127.0.0.1:$D", "remote": "127.0.0.1:$E2",
      "listen_transport": "ws;host=example.com;path=/chat;tls;servername=example.com;ocsp=ocsp.der" },
    { "listen": "[::1]:$V6", "remote": "[::1]:$E6", "through": "[::1]", "network": { "ipv6_only": true } },
    { "listen": "localhost:$BL", "remote": "127.0.0.1:$E1", "extra_remotes": ["127.0.0.1:$E2", "127.0.0.1:$E3"],
      "balance": "roundrobin: 255, 2, 1" }
  ]
}
EOF
python3 - "$T_DIR/full.json" "$T_DIR/full.toml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def val(v):
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, (int, float)): return str(v)
    if isinstance(v, list): return '[' + ', '.join(val(x) for x in v) + ']'
    return json.dumps(v)
out = []
for sect in ('log', 'dns', 'network'):
    out.append('[%s]' % sect)
    out += ['%s = %s' % (k, val(v)) for k, v in d[sect].items()]
    out.append('')
for ep in d['endpoints']:
    out.append('[[endpoints]]')
    out += ['%s = %s' % (k, val(v)) for k, v in ep.items() if k != 'network']
    if 'network' in ep:
        out.append('[endpoints.network]')
        out += ['%s = %s' % (k, val(v)) for k, v in ep['network'].items()]
    out.append('')
open(sys.argv[2], 'w').write('\n'.join(out))
PY
"$REALM" -c "$T_DIR/full.toml" --print-store > "$T_DIR/full.store" 2>/dev/null
check "--print-store: keepalive per rule" grep -q '^tcp_keepalive = 20s' "$T_DIR/full.store"
check "--print-store: keepalive probes" grep -q '^tcp_keepalive_probes = 4' "$T_DIR/full.store"
check "--print-store: weights up to 255" grep -q '^weights = 255,2,1' "$T_DIR/full.store"
check "--print-store: the [::1] through without brackets" grep -q '^through = ::1$' "$T_DIR/full.store"
check "--print-store: PROXY send-v1 and accept" sh -c "grep -q '^proxy = send-v1' '$T_DIR/full.store' && grep -q '^proxy = accept' '$T_DIR/full.store'"
check "--print-store: UDP beside a transport stays plain, as realm sends it" grep -q '^udp_transport = plain' "$T_DIR/full.store"
check "--print-store: the dns settings" sh -c "grep -q '^dns_mode = ipv4_only' '$T_DIR/full.store' && grep -q '^dns_min_ttl = 600s' '$T_DIR/full.store'"
for f in full.toml full.json; do
	run_realm "$f" "$REALM" -c "$T_DIR/$f"
	wait_port 127.0.0.1 "$BL" || { fail "$f: no listener"; cat "$T_DIR/$f.err"; }
	wait_port 127.0.0.1 "$D" || true
	echo_both "$f: PROXY v1 sent, then accepted" 127.0.0.1 "$A"
	echo_both "$f: wss with alpn (UDP plain beside it)" 127.0.0.1 "$C"
	echo_both "$f: IPv6 only, through [::1]" ::1 "$V6"
	echo_both "$f: balanced, localhost listen" 127.0.0.1 "$BL"
	notes "$f" dns.protocol dns.nameservers dns.cache_size zero_copy "0rtt" "ocsp="
	check "$f: log level info reaches stderr" grep -q 'started: 6 rules' "$T_DIR/$f.err"
	stop_realm "$f"
done

# ---- a folder of configs (hidden ones skipped) and the legacy form ----
F1=$(free_port) F2=$(free_port)
mkdir -p "$T_DIR/conf/node" "$T_DIR/conf/.hidden"
printf '[network]\nuse_udp = true\n' > "$T_DIR/conf/global.toml"
printf '{"endpoints":[{"listen":"127.0.0.1:%s","remote":"127.0.0.1:%s"}]}' "$F1" "$E1" > "$T_DIR/conf/node/n1.json"
printf '[[endpoints]]\nlisten = "127.0.0.1:%s"\nremote = "127.0.0.1:%s"\n' "$F2" "$E2" > "$T_DIR/conf/node/n2.toml"
printf 'not a config' > "$T_DIR/conf/.hidden/x.toml"
printf 'not a config' > "$T_DIR/conf/.x.json"
run_realm folder "$REALM" -c "$T_DIR/conf/"
wait_port 127.0.0.1 "$F2" || { fail "folder: no listener"; cat "$T_DIR/folder.err"; }
echo_both folder 127.0.0.1 "$F1"
echo_both folder 127.0.0.1 "$F2"
stop_realm folder
L0=$(free_port)
while :; do L1=$((L0 + 1)); [ "$L1" -lt 65535 ] && ! ss -ltnH "sport = :$L1" | grep -q . && break; L0=$(free_port); done
printf '{"listening_addresses":["127.0.0.1"],"listening_ports":["%s-%s"],"remote_addresses":["127.0.0.1"],"remote_ports":["%s"]}' \
    "$L0" "$L1" "$E1" > "$T_DIR/legacy.json"
run_realm legacy "$REALM" -c "$T_DIR/legacy.json"
wait_port 127.0.0.1 "$L1" || { fail "legacy: no listener"; cat "$T_DIR/legacy.err"; }
echo_both legacy 127.0.0.1 "$L0" tcp
echo_both legacy 127.0.0.1 "$L1" tcp
stop_realm legacy

# ---- REALM_CONF (the README's, with "local") and the command line ----
R1=$(free_port)
run_realm env env "REALM_CONF={\"network\":{\"use_udp\":true},\"endpoints\":[{\"local\":\"127.0.0.1:$R1\",\"remote\":\"127.0.0.1:$E3\"}]}" "$REALM"
wait_port 127.0.0.1 "$R1" || { fail "REALM_CONF: no listener"; cat "$T_DIR/env.err"; }
echo_both REALM_CONF 127.0.0.1 "$R1"
stop_realm env
Q1=$(free_port) Q2=$(free_port) Q3=$(free_port)
run_realm cli "$REALM" -l "127.0.0.1:$Q1" -r "127.0.0.1:$E1" -u -d -f -z -j /nonexistent.so -n 4096 -p 16 \
    --tcp-timeout 3 --udp-timeout 20 --tcp-keepalive 30 --tcp-keepalive-probe 5 --log-level info \
    --dns-mode ipv4_only --dns-servers 127.0.0.1:53 --dns-protocol udp --dns-cache-size 8
wait_port 127.0.0.1 "$Q1" || { fail "cli: no listener"; cat "$T_DIR/cli.err"; }
echo_both "realm's short flags" 127.0.0.1 "$Q1"
notes cli "-d:" "-f:" "-z" "-j:" dns.nameservers dns.protocol dns.cache_size
stop_realm cli
run_realm cli2 "$XWPF" realm --listen="127.0.0.1:$Q2" --remote "127.0.0.1:$E2" --udp --ipv6 --send-proxy false \
    --through 127.0.0.1 --listen-interface lo --interface lo
wait_port 127.0.0.1 "$Q2" || { fail "xwpf realm: no listener"; cat "$T_DIR/cli2.err"; }
echo_both "xwpf realm, long options" 127.0.0.1 "$Q2"
stop_realm cli2
run_realm cli3 "$XWPF" relay --listen "127.0.0.1:$Q3" --remote "127.0.0.1:$E3" --udp --tcp-keepalive 30 \
    --extra-remotes "127.0.0.1:$E1, 127.0.0.1:$E2"
wait_port 127.0.0.1 "$Q3" || { fail "xwpf relay: no listener"; cat "$T_DIR/cli3.err"; }
echo_both "xwpf relay with realm's long options" 127.0.0.1 "$Q3"
for _ in 1 2; do echo_both "xwpf relay: --extra-remotes balanced" 127.0.0.1 "$Q3"; done
stop_realm cli3
"$XWPF" relay --listen "127.0.0.1:$Q3" --remote "127.0.0.1:$E3" --extra-remotes "127.0.0.1:$E1, 127.0.0.1:$E2" \
    --print-store > "$T_DIR/extra.store" 2>&1
check_eq "--extra-remotes: the remotes of the one endpoint, in order" "127.0.0.1:$E3 127.0.0.1:$E1 127.0.0.1:$E2" \
    "$(sed -n 's/^remote = //p' "$T_DIR/extra.store" | paste -sd' ')"
check "... balanced round robin with equal weights" grep -q '^weights = 1,1,1' "$T_DIR/extra.store"
# realm's listen forms: ":::PORT" is every address; "::1:PORT" is read as an
# import reads a realm config's listen ([::1]:PORT), not mangled
Q4=$(free_port)
run_realm cli4 "$REALM" -l ":::$Q4" -r "127.0.0.1:$E1"
wait_port 127.0.0.1 "$Q4" || { fail "-l :::PORT: no listener"; cat "$T_DIR/cli4.err"; }
echo_both "realm's -l :::PORT, reached over IPv4" 127.0.0.1 "$Q4" tcp
stop_realm cli4
check "-l ::1:PORT is [::1]:PORT, as an import reads it" "$XWPF" relay -l "::1:$Q4" -r 127.0.0.1:1 --check

# ---- refusals, and nothing written ----
"$REALM" -l 127.0.0.1:1 2> "$T_DIR/bad.err"
check "-l without -r: usage error 2" test $? = 2
"$REALM" --tcp-timeout soon -l 127.0.0.1:1 -r 127.0.0.1:2 2> "$T_DIR/bad.err"
rc=$?
check "a bad number is refused, not dropped" sh -c "test $rc -ne 0 && grep -q 'whole number' '$T_DIR/bad.err'"
printf '[[endpoints]]\nlisten = "127.0.0.1:1"\n' > "$T_DIR/bad.toml"
"$REALM" -c "$T_DIR/bad.toml" 2> "$T_DIR/bad.err"
rc=$?
check "an endpoint without remote: exit 3 naming it" sh -c "test $rc = 3 && grep -q 'endpoint 1 needs listen and remote' '$T_DIR/bad.err'"
"$REALM" -c /dev/null 2> "$T_DIR/bad.err"
rc=$?
check "a config that is not a regular file: exit 3 saying so" sh -c "test $rc = 3 && grep -q 'not a regular file' '$T_DIR/bad.err'"
check "no store, pidfile, stats or ledger written (only the servername= certificate and the config's log)" \
    test -z "$(find "$XWPF_ROOT" -type f ! -path '*/var/lib/xwpf/tls/*' ! -path "$XWPF_ROOT$T_DIR/realm.log*")"
"$REALM" --help | grep -q -- '--tcp-keepalive-probe'
check "--help lists realm's options" test $? = 0
finish
