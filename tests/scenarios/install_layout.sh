#!/usr/bin/env bash
# install.sh into temporary roots: the binary picked by `uname -m` (faked with a
# PATH shim) for each architecture's file name, files, links and units where
# expected (systemd, OpenRC, neither); a second run upgrades and keeps the
# store; foreign files are never overwritten; uninstall (from the script and
# from the menu) leaves nothing behind and stops only the PID of its own
# pidfile when that PID runs its own binary.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 sh

INSTALL=$(cd "$(dirname "$0")/../.." && pwd)/install.sh
SHIM=$T_DIR/shim
mkdir -p "$SHIM"

fake_uname() {
	printf '#!/bin/sh\nif [ "$1" = -m ]; then echo %s; else exec /bin/uname "$@"; fi\n' "$1" > "$SHIM/uname"
	chmod +x "$SHIM/uname"
}
decoy() { printf '#!/bin/sh\nexit 99\n' > "$1"; chmod +x "$1"; }
# release DIR ARCH: install.sh, the binary as xwpf-ARCH, and decoys that cannot run for the others
release() {
	local a
	mkdir -p "$1"
	cp "$INSTALL" "$1/install.sh"
	for a in x86_64 aarch64 armv7; do decoy "$1/xwpf-$a"; done
	cp "$XWPF" "$1/xwpf-$2"
}
inst() { PATH=$SHIM:$PATH sh "$@"; }
left() { (cd "$1" 2>/dev/null && find . -mindepth 1 | sort | tr '\n' ' '); }
has() { "$XWPF" --list | grep -qx "$1"; }

# ---- each architecture's binary name
for pair in x86_64:x86_64 aarch64:aarch64 armv7l:armv7 armv6l:armv7; do
	machine=${pair%%:*} arch=${pair#*:}
	rel=$T_DIR/rel-$machine R=$T_DIR/root-$machine
	release "$rel" "$arch"
	fake_uname "$machine"
	inst "$rel/install.sh" --root "$R" --init systemd > "$T_DIR/out" 2>&1; rc=$?
	check_eq "$machine: install exits 0" 0 "$rc"
	check "$machine: xwpf-$arch installed as /usr/local/bin/xwpf" cmp -s "$rel/xwpf-$arch" "$R/usr/local/bin/xwpf"
	check "$machine: pf links to it" test "$(readlink "$R/usr/local/bin/pf")" = "$R/usr/local/bin/xwpf"
	inst "$rel/install.sh" --root "$R" --uninstall --yes > /dev/null 2>&1
	check_eq "$machine: uninstall leaves nothing" "" "$(left "$R")"
done

# ---- the layout, in detail (x86_64)
fake_uname x86_64
rel=$T_DIR/rel-x86_64 R=$T_DIR/root
mkdir -p "$R/usr/local/bin"
echo mine > "$R/usr/local/bin/status"   # a file that is not ours
inst "$rel/install.sh" --root "$R" --init systemd > "$T_DIR/out" 2>&1
check_eq "install exits 0" 0 $?
B=$R/usr/local/bin
check "xwpf runs from its new place" "$B/xwpf" --version
check_eq "only xwpf and pf by default (no generic names)" "pf status xwpf" "$(ls "$B" | tr '\n' ' ' | sed 's/ $//')"
inst "$rel/install.sh" --root "$R" --init systemd --links > "$T_DIR/out" 2>&1
check_eq "--links: exits 0" 0 $?
check "--links: rule links to xwpf" test "$(readlink "$B/rule")" = "$B/xwpf"
check "--links: the links work" "$B/rule" --root "$R" list
check_eq "--links: a file that is not ours is left as it was" mine "$(cat "$B/status")"
check "--links: ... and named as not linked" grep -q "not linked.*status" "$T_DIR/out"
for l in "$B"/*; do
	[ "$l" = "$B/xwpf" ] || [ "$l" = "$B/status" ] || [ "$(readlink "$l")" = "$B/xwpf" ] || fail "$l is not a link to xwpf"
done
check_eq "the store: mode 0600" 600 "$(stat -c %a "$R/etc/xwpf/xwpf.conf")"
check_eq "the config folder: mode 0700" 700 "$(stat -c %a "$R/etc/xwpf")"
check_eq "the example store has no active rule" "[]" "$(XWPF_ROOT=$R "$B/xwpf" rule list --json)"
check "the example store validates" env XWPF_ROOT="$R" "$B/xwpf" rule check
check "the example store shows how to write a rule" grep -q '^# remote = ' "$R/etc/xwpf/xwpf.conf"
check "install.sh is kept for uninstalling" cmp -s "$INSTALL" "$R/usr/local/lib/xwpf/install.sh"
U=$R/etc/systemd/system
if has relay; then
	check "xwpf.service: the relay" grep -qx 'ExecStart=/usr/local/bin/xwpf relay' "$U/xwpf.service"
	for line in 'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID' 'LimitNOFILE=1048576' 'ProtectSystem=strict' \
	    'ReadWritePaths=-/etc/xwpf -/var/lib/xwpf -/run/xwpf -/var/log' 'ProtectHome=yes' 'NoNewPrivileges=yes' \
	    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_ADMIN CAP_NET_RAW' \
	    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' 'WantedBy=multi-user.target'; do
		check "xwpf.service: $line" grep -qxF "$line" "$U/xwpf.service"
	done
else
	skip "relay not in this build: no xwpf.service expected"
fi
if has health; then
	check "xwpf-health.timer: every 4 s" grep -qx 'OnUnitActiveSec=4s' "$U/xwpf-health.timer"
	check "xwpf-health.timer: AccuracySec=1s" grep -qx 'AccuracySec=1s' "$U/xwpf-health.timer"
	check "xwpf-health.service: one round" grep -qx 'ExecStart=/usr/local/bin/xwpf health --once' "$U/xwpf-health.service"
	check "xwpf-health.service: a oneshot" grep -qx 'Type=oneshot' "$U/xwpf-health.service"
fi
if has mptcp; then
	check "xwpf-mptcp.service: re-applies the store at boot" grep -qx 'ExecStart=/usr/local/bin/xwpf mptcp apply' "$U/xwpf-mptcp.service"
fi
check "--root: no systemctl run, what would be enabled is printed" grep -q "would enable and start:.*xwpf" "$T_DIR/out"
if command -v systemd-analyze > /dev/null 2>&1; then
	for u in "$U"/*; do
		systemd-analyze verify --man=no "$u" 2>&1 | grep -v -e 'xwpf: No such file' -e 'Command /usr/local/bin/xwpf' \
		    -e 'Unit is bound to inactive' -e '^$' > "$T_DIR/verify" || true
		check "systemd-analyze accepts $(basename "$u")" test ! -s "$T_DIR/verify"
	done
fi

# ---- run twice: upgrade in place, configuration kept
XWPF_ROOT=$R "$B/xwpf" rule add kept --listen 127.0.0.1:1999 --remote 127.0.0.1:2000 > /dev/null
cp "$R/etc/xwpf/xwpf.conf" "$T_DIR/store.before"
inst "$rel/install.sh" --root "$R" --init systemd > "$T_DIR/out2" 2>&1
check_eq "a second run exits 0" 0 $?
check "a second run upgrades" grep -q "upgraded" "$T_DIR/out2"
check "a second run keeps the store byte for byte" cmp -s "$R/etc/xwpf/xwpf.conf" "$T_DIR/store.before"
check "a second run says so" grep -q "kept the rules" "$T_DIR/out2"
check "a second run without --links keeps the applet links made before" test -L "$B/rule"

# ---- uninstall: refuses without --yes off a terminal; only its own PID is stopped
inst "$R/usr/local/lib/xwpf/install.sh" --root "$R" --uninstall < /dev/null > "$T_DIR/out3" 2>&1
check_eq "uninstall without --yes off a terminal refuses" 1 $?
check "... and removes nothing" test -f "$R/etc/xwpf/xwpf.conf"
mkdir -p "$R/run/xwpf" "$R/var/log" "$R/etc/sysctl.d"
spawn sleep 300
stranger=$!
echo "$stranger" > "$R/run/xwpf/relay.pid"
echo "net.mptcp.enabled = 1" > "$R/etc/sysctl.d/90-xwpf-mptcp.conf"
echo "an old line" > "$R/var/log/xwpf.log"; echo "older" > "$R/var/log/xwpf.log.1"
printf '\n[mptcp]\nendpoint = 10.9.8.7 id 3 subflow\n' >> "$R/etc/xwpf/xwpf.conf"
inst "$R/usr/local/lib/xwpf/install.sh" --root "$R" --uninstall --yes > "$T_DIR/out4" 2>&1
check_eq "uninstall --yes exits 0" 0 $?
check "a PID that does not run our binary is left alone" kill -0 "$stranger"
check "... and said so" grep -q "left alone" "$T_DIR/out4"
check "phase 1 then phase 2" sh -c "grep -n '^phase' '$T_DIR/out4' | tr '\n' ' ' | grep -q 'phase 1.*phase 2'"
if has mptcp; then
	check "the store's MPTCP endpoint would be deleted" grep -q "endpoint del 10.9.8.7" "$T_DIR/out4"
fi
check_eq "nothing left but the file that was not ours" "./usr ./usr/local ./usr/local/bin ./usr/local/bin/status " "$(left "$R")"

# uninstall in one phase: --keep-binary, or 'n' at the question after phase 1
for how in keep-binary terminal; do
	R=$T_DIR/root-$how
	inst "$rel/install.sh" --root "$R" --init systemd > /dev/null 2>&1
	if [ "$how" = keep-binary ]; then
		inst "$R/usr/local/lib/xwpf/install.sh" --root "$R" --uninstall --yes --keep-binary > "$T_DIR/out-$how" 2>&1
	else
		printf 'y\nn\n' | script -qec "PATH=$SHIM:\$PATH sh '$R/usr/local/lib/xwpf/install.sh' --root '$R' --uninstall" /dev/null > "$T_DIR/out-$how" 2>&1
		check "$how: asked before phase 2" grep -q "Remove the binary .* (phase 2)?" "$T_DIR/out-$how"
	fi
	check "$how: phase 1 ran (the store is gone)" test ! -e "$R/etc/xwpf/xwpf.conf"
	check "$how: the binary and pf are kept" sh -c "test -x '$R/usr/local/bin/xwpf' && test -L '$R/usr/local/bin/pf'"
	check "$how: no phase 2" sh -c "! grep -q '^phase 2' '$T_DIR/out-$how'"
	inst "$R/usr/local/lib/xwpf/install.sh" --root "$R" --uninstall --yes > /dev/null 2>&1
	check_eq "$how: a later uninstall --yes removes the rest" "" "$(left "$R")"
done

# the menu's uninstall: 'n' at phase 2 keeps the binary (the menu passes --keep-binary)
R=$T_DIR/root-menu
inst "$rel/install.sh" --root "$R" --init none > /dev/null 2>&1
check "the menu's uninstall, phase 1 only" pty_run menu1 XWPF_ROOT="$R" -- "$R/usr/local/bin/pf" <<'EOF'
expect Choose:
send 12
expect export first \(main menu 10\)
expect Uninstall xwpf\?
send y
expect phase 2\)\?
send n
expect the xwpf binary and pf are kept
exit 0
EOF
check "the menu's uninstall: the binary stays, the store is gone" \
    sh -c "test -x '$R/usr/local/bin/xwpf' && test ! -e '$R/etc/xwpf/xwpf.conf'"
# the same in Chinese
rm -rf "$R"
inst "$rel/install.sh" --root "$R" --init none > /dev/null 2>&1
check "the Chinese menu's uninstall, phase 1 only" pty_run menu1zh XWPF_ROOT="$R" LANG=zh_CN.UTF-8 -- "$R/usr/local/bin/pf" <<'EOF'
expect 请选择
send 12
expect 请先导出（主菜单 10）
expect 确定卸载 xwpf
send y
expect 同时删除程序与 pf（第 2 步）
send n
expect xwpf 程序与 pf 保留
exit 0
EOF
check "the Chinese menu's uninstall: the binary stays, the store is gone" \
    sh -c "test -x '$R/usr/local/bin/xwpf' && test ! -e '$R/etc/xwpf/xwpf.conf'"

# a relay (or any process) running the installed binary, named in the pidfile, is stopped
rm -rf "$R"
inst "$rel/install.sh" --root "$R" --init openrc > "$T_DIR/out5" 2>&1
check_eq "OpenRC: install exits 0" 0 $?
if has relay; then
	check "OpenRC: /etc/init.d/xwpf runs the relay" grep -qx 'command_args="relay"' "$R/etc/init.d/xwpf"
	check "OpenRC: an openrc-run script" sh -c "head -n1 '$R/etc/init.d/xwpf' | grep -qx '#!/sbin/openrc-run' && test -x '$R/etc/init.d/xwpf'"
	check "OpenRC: reload by SIGHUP" grep -q 'signal HUP' "$R/etc/init.d/xwpf"
	spawn "$R/usr/local/bin/xwpf" --root "$R" relay
	own=$!
	wait_for 10 test -s "$R/run/xwpf/relay.pid"
	check_eq "the relay wrote its pidfile" "$own" "$(cat "$R/run/xwpf/relay.pid" 2>/dev/null)"
else
	mkfifo "$T_DIR/fifo"; exec 7<> "$T_DIR/fifo"   # a reader that blocks: the menu waiting for input
	spawn "$R/usr/local/bin/xwpf" --root "$R" menu <&7 > /dev/null 2>&1
	own=$!
	mkdir -p "$R/run/xwpf"; echo "$own" > "$R/run/xwpf/relay.pid"
fi
if has health; then
	check "OpenRC: health checks as a service" grep -qx 'command_args="health --watch"' "$R/etc/init.d/xwpf-health"
fi
inst "$R/usr/local/lib/xwpf/install.sh" --root "$R" --uninstall --yes > "$T_DIR/out6" 2>&1
check "our own PID from our pidfile is stopped" wait_for 10 sh -c "! kill -0 $own"
check_eq "OpenRC: nothing left" "" "$(left "$R")"

# ---- neither systemd nor OpenRC: a note and the foreground command
inst "$rel/install.sh" --root "$R" --init none > "$T_DIR/out7" 2>&1
check "no service manager: the foreground command" grep -q "/usr/local/bin/xwpf relay" "$T_DIR/out7"
check "no service manager: no unit written" test ! -e "$R/etc/systemd" -a ! -e "$R/etc/init.d"

# ---- uninstall from the menu: a "no" goes back, a "yes" removes everything
check "the menu's uninstall: no, then yes" pty_run menu XWPF_ROOT="$R" -- "$R/usr/local/bin/pf" <<EOF
expect Choose:
send 12
expect Uninstall xwpf\?
send n
expect Choose:
send 12
expect Uninstall xwpf\?
send y
expect phase 2\)\? \(Y/n\)
send
expect phase 2: the binary
expect xwpf is uninstalled
exit 0
EOF
check_eq "after the menu's uninstall nothing is left" "" "$(left "$R")"

# ---- what cannot be installed is said clearly
fake_uname mips
inst "$rel/install.sh" --root "$T_DIR/r2" > "$T_DIR/out8" 2>&1
check_eq "an unknown CPU: exit 1" 1 $?
check "an unknown CPU: named" grep -q "no xwpf build for this CPU (mips)" "$T_DIR/out8"
fake_uname aarch64
mkdir -p "$T_DIR/empty"; cp "$INSTALL" "$T_DIR/empty/"
inst "$T_DIR/empty/install.sh" --root "$T_DIR/r2" > "$T_DIR/out9" 2>&1
check "a missing binary: the file to put beside the script" grep -q "put xwpf-aarch64 (or xwpf) beside this script" "$T_DIR/out9"
decoy "$T_DIR/empty/xwpf-aarch64"
inst "$T_DIR/empty/install.sh" --root "$T_DIR/r2" > "$T_DIR/out10" 2>&1
check "a binary for another CPU: refused before anything is copied" sh -c "grep -q 'does not run on this machine' '$T_DIR/out10' && test ! -e '$T_DIR/r2'"
rm -f "$T_DIR/empty/xwpf-aarch64"; cp "$XWPF" "$T_DIR/empty/xwpf"
inst "$T_DIR/empty/install.sh" --root "$T_DIR/r2" --init none > /dev/null 2>&1
check "plain 'xwpf' beside the script is taken too" cmp -s "$XWPF" "$T_DIR/r2/usr/local/bin/xwpf"

# ---- --user: the relay and the health checks as a system user with CAP_NET_BIND_SERVICE only
if has relay; then
	fake_uname x86_64
	R=$T_DIR/root-user U=$T_DIR/root-user/etc/systemd/system
	grp=$(id -gn nobody)
	inst "$T_DIR/rel-x86_64/install.sh" --root "$R" --init systemd --user nobody > "$T_DIR/outu" 2>&1
	check_eq "--user nobody: install exits 0" 0 $?
	for line in User=nobody "Group=$grp" AmbientCapabilities=CAP_NET_BIND_SERVICE \
	    CapabilityBoundingSet=CAP_NET_BIND_SERVICE ProtectSystem=strict NoNewPrivileges=yes; do
		check "--user: xwpf.service has $line" grep -qxF "$line" "$U/xwpf.service"
		check "--user: xwpf-health.service has $line" grep -qxF "$line" "$U/xwpf-health.service"
	done
	check "--user: no other capability in the relay's bounding set" sh -c "! grep -q 'CAP_NET_ADMIN' '$U/xwpf.service'"
	check "--user: the mptcp unit stays root's (netlink, sysctl)" sh -c "! grep -q '^User=' '$U/xwpf-mptcp.service'"
	check_eq "--user: the state folder is the user's" "nobody 700" "$(stat -c '%U %a' "$R/var/lib/xwpf")"
	check_eq "--user: the store is root's, readable by the group" "root $grp 640" "$(stat -c '%U %G %a' "$R/etc/xwpf/xwpf.conf")"
	check_eq "--user: the config folder too" "root $grp 750" "$(stat -c '%U %G %a' "$R/etc/xwpf")"
	check "--user: says so" grep -q "run as nobody (CAP_NET_BIND_SERVICE only)" "$T_DIR/outu"
	inst "$T_DIR/rel-x86_64/install.sh" --root "$R" --init systemd > "$T_DIR/outu2" 2>&1
	check "an upgrade without --user keeps the user" grep -qxF User=nobody "$U/xwpf.service"
	inst "$T_DIR/rel-x86_64/install.sh" --root "$R" --init systemd --user root > "$T_DIR/outu3" 2>&1
	check "--user root: back to root" sh -c "! grep -q '^User=' '$U/xwpf.service' && grep -q 'CAP_NET_ADMIN' '$U/xwpf.service'"
	check_eq "--user root: the state and the store are root's again" "root 600 root" \
	    "$(stat -c '%U %a' "$R/etc/xwpf/xwpf.conf") $(stat -c %U "$R/var/lib/xwpf")"
	inst "$T_DIR/rel-x86_64/install.sh" --root "$R" --init openrc --user nobody > /dev/null 2>&1
	check "--user, OpenRC: command_user and the capability" sh -c \
	    "grep -qx 'command_user=\"nobody:$grp\"' '$R/etc/init.d/xwpf' && grep -qx 'capabilities=\"^cap_net_bind_service\"' '$R/etc/init.d/xwpf'"
	inst "$T_DIR/rel-x86_64/install.sh" --root "$R" --user 'Bad;name' > "$T_DIR/outu4" 2>&1
	check "--user with a bad name: refused" grep -q "a system user name is lower-case" "$T_DIR/outu4"
fi

# ---- Alpine's shell and tools: busybox alone on PATH (when the machine has busybox)
if command -v busybox > /dev/null 2>&1; then
	BB=$(command -v busybox)
	mkdir -p "$T_DIR/bb"
	for a in $("$BB" --list); do ln -s "$BB" "$T_DIR/bb/$a"; done
	rm -f "$T_DIR/bb/uname"
	fake_uname armv7l
	R=$T_DIR/root-bb
	PATH=$SHIM:$T_DIR/bb "$BB" sh "$T_DIR/rel-armv7l/install.sh" --root "$R" --init openrc > "$T_DIR/bb1" 2>&1
	check_eq "busybox sh: install exits 0" 0 $?
	check "busybox sh: the armv7 binary and pf are in place" sh -c "cmp -s '$T_DIR/rel-armv7l/xwpf-armv7' '$R/usr/local/bin/xwpf' && test -L '$R/usr/local/bin/pf'"
	PATH=$SHIM:$T_DIR/bb "$BB" sh "$R/usr/local/lib/xwpf/install.sh" --root "$R" --uninstall --yes > "$T_DIR/bb2" 2>&1
	check_eq "busybox sh: uninstall exits 0" 0 $?
	check_eq "busybox sh: nothing left" "" "$(left "$R")"
else
	skip "no busybox here: Alpine's shell not tried"
fi
finish
