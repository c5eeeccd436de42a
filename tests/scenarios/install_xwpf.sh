#!/usr/bin/env bash
# install.sh on a server that still runs xwPF (its files under a temporary
# root: xwPF.sh, its pf launcher, realm, /etc/realm/rules, the traffic
# tool's config.json): with --yes it imports xwPF's rules straight from
# /etc/realm (UDP of the ws rule kept plain) and the traffic limits, takes
# over pf keeping xwPF's launcher as pf-xwPF, saves the menu language
# given, touches no other file of xwPF's and prints the commands that stop
# and remove it. Off a terminal without --yes nothing of xwPF's changes and
# the import command is printed; on a terminal it asks (the language too,
# its default from LANG). Uninstalling puts xwPF's pf back.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 sh

INSTALL=$(cd "$(dirname "$0")/../.." && pwd)/install.sh
SHIM=$T_DIR/shim
mkdir -p "$SHIM"
printf '#!/bin/sh\nif [ "$1" = -m ]; then echo x86_64; else exec /bin/uname "$@"; fi\n' > "$SHIM/uname"
chmod +x "$SHIM/uname"
REL=$T_DIR/rel
mkdir -p "$REL"
cp "$INSTALL" "$REL/install.sh"
cp "$XWPF" "$REL/xwpf-x86_64"
inst() { PATH=$SHIM:$PATH sh "$REL/install.sh" "$@"; }

# fake_xwpf ROOT: xwPF as its installer leaves it
fake_xwpf() {
	local r=$1
	mkdir -p "$r/usr/local/bin" "$r/etc/realm/rules" "$r/etc/port-traffic-dog"
	printf '#!/bin/bash\necho xwPF\n' > "$r/usr/local/bin/xwPF.sh"
	printf '#!/bin/bash\n# Realm 端口转发快捷启动脚本\nexec bash /usr/local/bin/xwPF.sh "$@"\n' > "$r/usr/local/bin/pf"
	printf 'realm-binary' > "$r/usr/local/bin/realm"
	chmod 755 "$r/usr/local/bin/xwPF.sh" "$r/usr/local/bin/pf" "$r/usr/local/bin/realm"
	cat > "$r/etc/realm/rules/rule-1.conf" <<'EOF'
RULE_ID="1"
RULE_NAME="hk-ws"
RULE_ROLE="1"
SECURITY_LEVEL="ws"
LISTEN_PORT="24001"
LISTEN_IP="::"
REMOTE_HOST="198.51.100.7"
REMOTE_PORT="443"
ENABLED="true"
EOF
	echo 'ROLE="1"' > "$r/etc/realm/manager.conf"
	echo '{"endpoints": []}' > "$r/etc/realm/config.json"
	cat > "$r/etc/port-traffic-dog/config.json" <<'EOF'
{"global": {"billing_mode": "single"},
 "ports": {"24001": {"enabled": true, "billing_mode": "double",
   "bandwidth_limit": {"enabled": true, "rate": "50Mbps"},
   "quota": {"enabled": true, "monthly_limit": "300GB", "reset_day": 9}}},
 "nftables": {"table_name": "port_traffic_monitor", "family": "inet"}}
EOF
	(cd "$r" && find . -type f | sort | xargs sha256sum) > "$T_DIR/xwpf-files.$(basename "$r")"
}
# xwPF's files, but for pf (which may move to pf-xwPF), as they were
unchanged() {
	(cd "$1" && sha256sum -c --quiet "$T_DIR/xwpf-files.$(basename "$1")" 2>&1) | grep -v -e '/pf: FAILED' -e 'WARNING: 1 computed checksum'
}

# ---- --yes: everything asked is done
R=$T_DIR/yes
fake_xwpf "$R"
pfsum=$(sha256sum < "$R/usr/local/bin/pf")
inst --root "$R" --init systemd --yes --lang zh > "$T_DIR/out" 2>&1
check_eq "install exits 0" 0 $?
export XWPF_ROOT=$R
check "xwPF's rule is in the store" "$XWPF" rule show hk-ws
check_eq "... its UDP kept plain beside the ws tunnel" "tcp+udp plain" "$(store_key hk-ws protocol) $(store_key hk-ws udp_transport)"
check_eq "... the traffic tool's quota on it" "300G both 9 50mbit" \
	"$(store_key hk-ws quota) $(store_key hk-ws billing) $(store_key hk-ws reset_day) $(store_key hk-ws rate_out)"
check_eq "the menu language given is saved" "lang = zh" "$(grep '^lang' "$R/etc/xwpf/xwpf.conf")"
check "pf is xwpf's now" test "$(readlink "$R/usr/local/bin/pf")" = "$R/usr/local/bin/xwpf"
check_eq "xwPF's launcher is kept as pf-xwPF" "$pfsum" "$(sha256sum < "$R/usr/local/bin/pf-xwPF")"
check_eq "no other file of xwPF's changed" "" "$(unchanged "$R")"
check "the commands that stop realm are printed" grep -q "systemctl disable --now realm.service" "$T_DIR/out"
check "... and those that remove xwPF" grep -q "rm -rf /etc/realm" "$T_DIR/out"
check "... never run (realm's unit calls are not among the service calls)" sh -c "! grep -q '(--root: not run) systemctl.*realm' '$T_DIR/out'"
inst --root "$R" --uninstall --yes > "$T_DIR/out2" 2>&1
check_eq "uninstall puts xwPF's pf back" "$pfsum" "$(sha256sum < "$R/usr/local/bin/pf")"
check_eq "... and leaves xwPF as it was" "" "$(unchanged "$R")"

# ---- off a terminal, no --yes: nothing of xwPF's is touched
R=$T_DIR/no
fake_xwpf "$R"
export XWPF_ROOT=$R
inst --root "$R" --init systemd < /dev/null > "$T_DIR/out" 2>&1
check_eq "install without --yes exits 0" 0 $?
check "no rule imported" sh -c "! grep -q '^\[rule' '$R/etc/xwpf/xwpf.conf'"
check "the import command is printed" grep -q "later: xwpf import /etc/realm" "$T_DIR/out"
check "pf stays xwPF's" test ! -L "$R/usr/local/bin/pf"
check "... and is named as not linked" grep -q "not linked.*pf" "$T_DIR/out"
check_eq "no file of xwPF's changed" "" "$(unchanged "$R")"
check "no language saved (not asked)" sh -c "! grep -q '^lang' '$R/etc/xwpf/xwpf.conf'"

# ---- on a terminal: the questions, answered
R=$T_DIR/tty
fake_xwpf "$R"
export XWPF_ROOT=$R
check "on a terminal it asks, in order" pty_run tty LANG=zh_CN.UTF-8 PATH="$SHIM:$PATH" -- sh "$REL/install.sh" --root "$R" --init systemd <<EOF
expect Take over 'pf'
send n
expect 菜单语言.*\[1\]
send
expect Import xwPF's rules
send y
expect traffic tool
send n
exit 0
EOF
check "the rule was imported" "$XWPF" rule show hk-ws
check_eq "the default language came from LANG" "lang = zh" "$(grep '^lang' "$R/etc/xwpf/xwpf.conf")"
check_eq "the limits were not (answered no)" "" "$(store_key hk-ws quota)"
check "pf stayed xwPF's (answered no)" test ! -L "$R/usr/local/bin/pf"
finish
