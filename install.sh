#!/bin/sh
# install.sh: install, upgrade or remove xwpf. Offline: copy this script and
# the binary for your CPU (xwpf-x86_64, xwpf-aarch64, xwpf-armv7, or plain
# xwpf) to the server, then run it as root:
#
#   sh install.sh                 install, or upgrade in place (the rules are kept)
#   sh install.sh --uninstall     remove everything it installed, in two phases
#   sh install.sh --root DIR      the same under DIR (tests; no service calls)
#
# On a server that runs xwPF, it offers to import xwPF's rules (and its
# traffic tool's limits) and to take over the `pf` command; xwPF itself is
# never removed: the commands that do it are printed.
#
# It installs /usr/local/bin/xwpf and `pf` (the menu; --links adds one link
# per applet), /etc/xwpf with an example store when there is none, and the
# services: systemd units (xwpf.service, xwpf-health.timer every 4 s,
# xwpf-mptcp.service at boot) or OpenRC scripts on Alpine. The units are
# written by this script (no other file is needed beside it).
set -eu

ROOT=
ACTION=install
INIT=auto
YES=0
SVC_USER=
LINKS=0
KEEP_BIN=0
LANG_SET=

usage() {
	cat <<'EOF'
usage: sh install.sh [--root DIR] [--init systemd|openrc|none] [--user NAME] [--links]
                     [--lang zh|en|auto] [--yes]
       sh install.sh --uninstall [--yes] [--keep-binary]

  (no option)     install xwpf, or upgrade it in place keeping the configuration
  --user NAME     run the relay and the health checks as the system user NAME
                  (made when missing) with only CAP_NET_BIND_SERVICE, not as
                  root; its state (/var/lib/xwpf, /run/xwpf) belongs to NAME,
                  the store stays root's and NAME may read it. --user root
                  goes back to running them as root
  --links         also link each applet's name (relay, status, rule, ...) to
                  xwpf in /usr/local/bin; without it only xwpf and pf are
                  installed (generic names would shadow or confuse other tools)
  --lang L        the menu's language (the store's [global] lang); asked once
                  on a terminal when the store has none, the default from LANG
  --yes           install: answer yes to each question (import xwPF's rules,
                  take over pf); without it and off a terminal, nothing of
                  xwPF's is touched and the commands to do it are printed
  --uninstall     phase 1: services, units, configuration, state, logs, the
                  MPTCP sysctl file and endpoints; phase 2: the binary and links
                  (asked after phase 1 on a terminal)
  --keep-binary   uninstall phase 1 only: the binary and pf stay
  --yes           do not ask before uninstalling (both phases, unless --keep-binary)
  --root DIR      install into DIR (for tests): nothing outside DIR is touched,
                  no service is started; what would be enabled is printed
  --init KIND     the service manager to write for (default: the one running)

The binary is taken from beside this script: xwpf-ARCH for `uname -m`
(x86_64, aarch64, armv7 for armv7l/armv6l), else xwpf.
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 2; }; ROOT=$2; shift ;;
	--root=*) ROOT=${1#--root=} ;;
	--init) [ $# -ge 2 ] || { echo "install.sh: --init needs systemd, openrc or none" >&2; exit 2; }; INIT=$2; shift ;;
	--init=*) INIT=${1#--init=} ;;
	--user) [ $# -ge 2 ] || { echo "install.sh: --user needs a user name" >&2; exit 2; }; SVC_USER=$2; shift ;;
	--user=*) SVC_USER=${1#--user=} ;;
	--uninstall|uninstall) ACTION=uninstall ;;
	--links) LINKS=1 ;;
	--keep-binary) KEEP_BIN=1 ;;
	--yes|-y) YES=1 ;;
	--lang) [ $# -ge 2 ] || { echo "install.sh: --lang needs zh, en or auto" >&2; exit 2; }; LANG_SET=$2; shift ;;
	--lang=*) LANG_SET=${1#--lang=} ;;
	-h|--help) usage; exit 0 ;;
	*) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

if [ -n "$ROOT" ]; then
	case $ROOT in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac
	ROOT=${ROOT%/}
	[ "$ROOT" != "" ] || ROOT=
fi
R=$ROOT
BINDIR=$R/usr/local/bin
LIBDIR=$R/usr/local/lib/xwpf
BIN=$BINDIR/xwpf
CONF_DIR=$R/etc/xwpf
STORE=$CONF_DIR/xwpf.conf
STATE_DIR=$R/var/lib/xwpf
RUN_DIR=$R/run/xwpf
LOG=$R/var/log/xwpf.log
SYSCTL_FILE=$R/etc/sysctl.d/90-xwpf-mptcp.conf
UNIT_DIR=$R/etc/systemd/system
INITD=$R/etc/init.d
UNITS="xwpf.service xwpf-health.service xwpf-health.timer xwpf-mptcp.service"
RUNTIME_BIN=/usr/local/bin/xwpf   # the path services run, whatever --root says

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# Service manager calls: run for real, or only printed under --root. A failure
# is reported and the install goes on: the files are in place either way.
sys() {
	if [ -n "$ROOT" ]; then
		say "  (--root: not run) $*"
	elif ! "$@"; then
		say "warning: '$*' failed: see its message above (the files are installed; fix and run it again)"
		return 1
	fi
}

detect_init() {
	case $INIT in
	systemd|openrc|none) return 0 ;;
	auto) ;;
	*) die "--init takes systemd, openrc or none, not '$INIT'" ;;
	esac
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		INIT=systemd
	elif [ -x /sbin/openrc-run ]; then
		INIT=openrc
	else
		INIT=none
	fi
}

xwpf() { XWPF_ROOT=$ROOT "$BIN" "$@"; }
has_applet() { xwpf --list 2>/dev/null | grep -qx "$1"; }

# ---------------------------------------------------------------- questions

# ask QUESTION DEFAULT(y|n): 0 for yes. --yes answers yes; off a terminal
# (nothing to ask) the answer is no.
ask() {
	[ "$YES" = 1 ] && return 0
	[ -t 0 ] || return 1
	if [ "$2" = y ]; then printf '%s [Y/n] ' "$1"; else printf '%s [y/N] ' "$1"; fi
	read -r _a || _a=
	case ${_a:-$2} in y|Y|yes|YES) return 0 ;; *) return 1 ;; esac
}

# The menu's language, once: --lang, else asked on a terminal when the store
# has no lang yet (the default from the locale); kept on upgrades.
ask_lang() {
	if [ -z "$LANG_SET" ]; then
		grep -q '^[[:space:]]*lang[[:space:]]*=' "$STORE" 2>/dev/null && return 0
		[ -t 0 ] || return 0
		case ${LC_ALL:-${LANG:-}} in zh*) d=1 ;; *) d=2 ;; esac
		printf 'Menu language / 菜单语言: 1. 中文  2. English  [%s] ' "$d"
		read -r _a || _a=
		case ${_a:-$d} in 1|zh) LANG_SET=zh ;; 2|en) LANG_SET=en ;; *) return 0 ;; esac
	fi
	case $LANG_SET in zh|en|auto) ;; *) die "--lang takes zh, en or auto, not '$LANG_SET'" ;; esac
	xwpf rule global "lang=$LANG_SET" >/dev/null || die "could not save lang = $LANG_SET in $STORE"
	say "the menu speaks: $LANG_SET ([global] lang in $STORE; item 11 of the menu changes it)"
}

# ---------------------------------------------------------------- xwPF

XWPF_CONF=$R/etc/realm
XWPF_SCRIPT=$BINDIR/xwPF.sh
DOG_CONF=$R/etc/port-traffic-dog
PF=$BINDIR/pf

# xwPF's pf: its launcher (a file, or a link to xwPF.sh), not ours
xwpf_pf() {
	[ -e "$PF" ] || return 1
	[ -L "$PF" ] && [ "$(readlink "$PF")" = "$BIN" ] && return 1
	[ -L "$PF" ] && case $(readlink "$PF") in *xwPF*) return 0 ;; esac
	[ -f "$PF" ] && grep -q 'xwPF' "$PF" 2>/dev/null
}
xwpf_here() { [ -d "$XWPF_CONF/rules" ] || [ -f "$XWPF_SCRIPT" ] || xwpf_pf; }

# Before the links: pf becomes ours when the user says so; xwPF's launcher is
# kept as pf-xwPF (its menu still works under that name).
xwpf_take_pf() {
	xwpf_pf || return 0
	say "xwPF's 'pf' is installed ($PF)."
	if ask "Take over 'pf' for the xwpf menu (xwPF's stays as pf-xwPF)?" y; then
		[ -e "$BINDIR/pf-xwPF" ] && die "$BINDIR/pf-xwPF exists already: move it away first"
		mv "$PF" "$BINDIR/pf-xwPF" || die "could not rename $PF to pf-xwPF"
		say "xwPF's pf is now $BINDIR/pf-xwPF"
	else
		say "kept xwPF's pf; the xwpf menu is 'xwpf menu'"
	fi
}

# After the store: xwPF's rules and its traffic tool's limits, imported
# through xwpf import (validated, backed up, undone with 'xwpf import --undo').
xwpf_import() {
	if [ -d "$XWPF_CONF/rules" ] && ls "$XWPF_CONF/rules"/rule-*.conf >/dev/null 2>&1; then
		if ask "Import xwPF's rules from $XWPF_CONF into $STORE?" y; then
			xwpf import "$XWPF_CONF" --yes || say "warning: xwPF's rules were not imported (see above)"
		else
			say "not imported; later: xwpf import ${XWPF_CONF#$R}"
		fi
	fi
	if [ -f "$DOG_CONF/config.json" ]; then
		if ask "Import the quotas and bandwidth limits of xwPF's traffic tool ($DOG_CONF)?" y; then
			xwpf import "$DOG_CONF" --yes || say "warning: the traffic limits were not imported (see above)"
		else
			say "not imported; later: xwpf import ${DOG_CONF#$R}"
		fi
	fi
}

# What is left of xwPF: said, never done here.
xwpf_left() {
	say ""
	say "xwPF is still installed. While its realm runs it holds its ports; xwpf's relay takes"
	say "each port as soon as it is free (it retries every 5 s). To move over, stop realm:"
	if [ "$INIT" = openrc ]; then
		say "  rc-service realm stop; rc-update del realm default"
	else
		say "  systemctl disable --now realm.service realm-health-check.timer"
	fi
	say "and, once xwpf forwards as it should, remove xwPF (its own uninstaller also deletes"
	say "any 'pf', xwpf's too, and kills every process named like realm), with:"
	say "  rm -f /etc/systemd/system/realm.service /etc/systemd/system/realm-health-check.service \\"
	say "        /etc/systemd/system/realm-health-check.timer /usr/local/bin/realm \\"
	say "        /usr/local/bin/xwPF.sh /usr/local/bin/pf-xwPF /etc/sysctl.d/90-enable-MPTCP.conf"
	say "  rm -rf /etc/realm /var/log/realm.log; systemctl daemon-reload"
}

# ---------------------------------------------------------------- install

find_binary() {
	m=$(uname -m)
	case $m in
	x86_64|amd64) arch=x86_64 ;;
	aarch64|arm64|armv8*) arch=aarch64 ;;
	armv7l|armv6l|armv7*|armhf) arch=armv7 ;;
	*) die "no xwpf build for this CPU ($m): builds exist for x86_64, aarch64 and armv7" ;;
	esac
	here=$(cd "$(dirname "$0")" && pwd)
	SRC=
	for c in "$here/xwpf-$arch" "$here/xwpf"; do
		if [ -f "$c" ]; then SRC=$c; break; fi
	done
	[ -n "$SRC" ] || die "put xwpf-$arch (or xwpf) beside this script ($here): this machine is $m"
	chmod 755 "$SRC" 2>/dev/null || true
	"$SRC" --version >/dev/null 2>&1 ||
		die "$SRC does not run on this machine ($m): take the xwpf-$arch build"
}

write_store() {
	cat <<'EOF'
# xwpf rule store: the rules of this server (docs/store.md).
# Change it with the menu (pf) or `xwpf rule add|set|del ...`: every change is
# validated as a whole before it is written, and the old file is kept as
# xwpf.conf.bak. Comments you write here stay.

[global]
log_level = info              # error | warn | info | debug
# log_file = /var/log/xwpf.log  # empty: standard error (the journal)

# An example, switched off by the leading '# ': a relay on port 10000 to an
# exit server over WebSocket. Or add rules with: pf
#
# [rule example]
# note = relay to the exit
# listen = 10000
# remote = 203.0.113.5:443
# protocol = tcp+udp
# remote_transport = ws;host=example.com;path=/ws
EOF
}

# The service user: --user, else the owner of the state folder an earlier
# --user left (an upgrade keeps it), else root.
service_user() {
	case $SVC_USER in
	'') u=$(stat -c %U "$STATE_DIR" 2>/dev/null || echo root)
	    case $u in root|UNKNOWN) SVC_USER=root ;; *) SVC_USER=$u ;; esac ;;
	*[!a-z0-9_-]*|-*) die "--user '$SVC_USER': a system user name is lower-case letters, digits, '_' and '-'" ;;
	esac
	SVC_GROUP=$(id -gn "$SVC_USER" 2>/dev/null || echo "$SVC_USER")
}

# the user, its capabilities and what it may write, for the relay and health units
service_identity() {
	if [ "$SVC_USER" = root ]; then
		echo "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_ADMIN CAP_NET_RAW"
	else
		cat <<EOF
User=$SVC_USER
Group=$SVC_GROUP
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
EOF
	fi
}

sandbox() {
	service_identity
	cat <<'EOF'
ProtectSystem=strict
ReadWritePaths=-/etc/xwpf -/var/lib/xwpf -/run/xwpf -/var/log
ProtectHome=yes
PrivateTmp=yes
NoNewPrivileges=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictNamespaces=yes
RestrictRealtime=yes
LockPersonality=yes
EOF
}

unit_relay() {
	cat <<EOF
[Unit]
Description=xwpf port-forwarding relay
After=network-online.target xwpf-mptcp.service
Wants=network-online.target

[Service]
Type=simple
ExecStart=$RUNTIME_BIN relay
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=2s
TimeoutStopSec=30s
LimitNOFILE=1048576
RuntimeDirectory=xwpf
RuntimeDirectoryPreserve=yes
StateDirectory=xwpf
$(sandbox)

[Install]
WantedBy=multi-user.target
EOF
}

unit_health() {
	cat <<EOF
[Unit]
Description=xwpf health checks of every failover backend (one round)
After=network-online.target

[Service]
Type=oneshot
ExecStart=$RUNTIME_BIN health --once
StateDirectory=xwpf
$(sandbox)
EOF
}

unit_timer() {
	cat <<'EOF'
[Unit]
Description=xwpf health checks every 4 seconds

[Timer]
OnBootSec=10s
OnUnitActiveSec=4s
AccuracySec=1s

[Install]
WantedBy=timers.target
EOF
}

unit_mptcp() {
	cat <<EOF
[Unit]
Description=xwpf: put back the MPTCP switch, limits and endpoints saved in the store
After=network-online.target
Wants=network-online.target
Before=xwpf.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$RUNTIME_BIN mptcp apply

[Install]
WantedBy=multi-user.target
EOF
}

openrc_identity() {
	[ "$SVC_USER" = root ] && return 0
	printf '\ncommand_user="%s:%s"\ncapabilities="^cap_net_bind_service"' "$SVC_USER" "$SVC_GROUP"
}

openrc_relay() {
	cat <<EOF
#!/sbin/openrc-run
# xwpf relay (written by install.sh)
name="xwpf"
description="xwpf port-forwarding relay"
command="$RUNTIME_BIN"
command_args="relay"
command_background="yes"$(openrc_identity)
pidfile="/run/\${RC_SVCNAME}.openrc.pid"
output_log="/var/log/xwpf.log"
error_log="/var/log/xwpf.log"
rc_ulimit="-n 1048576"
extra_started_commands="reload"

depend() {
	need net
	after firewall
}

start_pre() {
	checkpath -d -m 0750 -o $SVC_USER:$SVC_GROUP /run/xwpf
	"\$command" mptcp apply >/dev/null 2>&1 || true
}

reload() {
	ebegin "Reloading \$name"
	start-stop-daemon --signal HUP --pidfile "\$pidfile"
	eend \$?
}
EOF
}

openrc_health() {
	cat <<EOF
#!/sbin/openrc-run
# xwpf health checks (written by install.sh)
name="xwpf-health"
description="xwpf health checks of every failover backend"
command="$RUNTIME_BIN"
command_args="health --watch"
command_background="yes"$(openrc_identity)
pidfile="/run/\${RC_SVCNAME}.openrc.pid"
output_log="/var/log/xwpf.log"
error_log="/var/log/xwpf.log"

depend() {
	need net
	after xwpf
}
EOF
}

# put FILE MODE: stdin into FILE atomically, through a temporary that mktemp
# creates (O_EXCL, a random name, 0600) beside it: never through a name
# someone else could have made first
put() {
	_t=$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX") || die "cannot create a temporary file beside $1"
	if cat > "$_t" && chmod "$2" "$_t" && mv -f "$_t" "$1"; then return 0; fi
	rm -f "$_t"
	return 1
}

install_services() {
	enable=
	case $INIT in
	systemd)
		mkdir -p "$UNIT_DIR"
		if has_applet relay; then unit_relay | put "$UNIT_DIR/xwpf.service" 644; enable="$enable xwpf.service"; fi
		if has_applet health; then
			unit_health | put "$UNIT_DIR/xwpf-health.service" 644
			unit_timer | put "$UNIT_DIR/xwpf-health.timer" 644
			enable="$enable xwpf-health.timer"
		fi
		if has_applet mptcp; then unit_mptcp | put "$UNIT_DIR/xwpf-mptcp.service" 644; enable="$enable xwpf-mptcp.service"; fi
		[ -n "$enable" ] || { say "this build has no relay: no service written"; return 0; }
		say "systemd units in $UNIT_DIR:$enable"
		sys systemctl daemon-reload || true
		# shellcheck disable=SC2086
		sys systemctl enable $enable || true
		if [ "$UPGRADE" = 1 ]; then
			sys systemctl try-restart xwpf.service || true
		else
			# shellcheck disable=SC2086
			sys systemctl start $enable || true
		fi
		[ -z "$ROOT" ] || say "would enable and start:$enable"
		;;
	openrc)
		mkdir -p "$INITD"
		if has_applet relay; then openrc_relay | put "$INITD/xwpf" 755; enable="$enable xwpf"; fi
		if has_applet health; then openrc_health | put "$INITD/xwpf-health" 755; enable="$enable xwpf-health"; fi
		[ -n "$enable" ] || { say "this build has no relay: no service written"; return 0; }
		say "OpenRC scripts in $INITD:$enable"
		for s in $enable; do
			sys rc-update add "$s" default || true
			if [ "$UPGRADE" = 1 ]; then sys rc-service "$s" restart || true; else sys rc-service "$s" start || true; fi
		done
		[ -z "$ROOT" ] || say "would enable and start:$enable"
		;;
	none)
		say "No systemd or OpenRC here: nothing starts xwpf at boot. Run it in the foreground:"
		say "  $RUNTIME_BIN relay             (Ctrl-C stops it; SIGHUP reloads the rules)"
		has_applet health && say "  $RUNTIME_BIN health --watch    (health checks for failover, in another terminal)"
		;;
	esac
}

# pf, and with --links one link per applet as `xwpf --install` makes them, but
# never over a file that is not ours, nor shadowing a command of the same name
# elsewhere in PATH (ImageMagick's import, say): `xwpf NAME` always works.
# Applet links an earlier install made are kept (scripts may call them).
make_links() {
	skipped=
	names=pf
	[ "$LINKS" = 1 ] && names="$(xwpf --list) pf"
	for name in $names; do
		[ "$name" = menu ] && continue   # pf is the menu's short name
		t=$BINDIR/$name
		if [ -L "$t" ] && [ "$(readlink "$t")" = "$BIN" ]; then
			continue
		fi
		if [ -e "$t" ] || [ -L "$t" ]; then
			skipped="$skipped $name"
			continue
		fi
		other=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vx "$BINDIR" | grep -vx /usr/local/bin |
		    paste -sd: -) command -v "$name" 2>/dev/null || true)
		if [ -n "$other" ] && [ "$name" != pf ]; then
			skipped="$skipped $name"
			continue
		fi
		ln -s "$BIN" "$t" || die "could not link $t"
	done
	[ -z "$skipped" ] || say "not linked (the name is taken; use 'xwpf NAME'):$skipped"
}

# The service user owns the state and may read the store; root owns the rest.
# Under --root the user is not made (only said), and a missing user is not chowned to.
own_state() {
	if [ "$SVC_USER" = root ]; then
		chown -R root:root "$STATE_DIR" 2>/dev/null || true
		chown root:root "$CONF_DIR" "$STORE" 2>/dev/null || true
		chmod 700 "$CONF_DIR"; chmod 600 "$STORE"
		return 0
	fi
	if ! id -u "$SVC_USER" >/dev/null 2>&1; then
		if [ -n "$ROOT" ]; then
			say "  (--root: not run) make the system user $SVC_USER"
			return 0
		fi
		if command -v useradd >/dev/null 2>&1; then
			useradd --system --no-create-home --home-dir /var/lib/xwpf --shell /usr/sbin/nologin \
			    --user-group "$SVC_USER" || die "could not make the system user $SVC_USER"
		elif command -v adduser >/dev/null 2>&1; then   # busybox (Alpine)
			addgroup -S "$SVC_USER" 2>/dev/null || true
			adduser -S -D -H -h /var/lib/xwpf -s /sbin/nologin -G "$SVC_USER" "$SVC_USER" ||
			    die "could not make the system user $SVC_USER"
		else
			die "no useradd or adduser here: make the system user $SVC_USER first"
		fi
		say "made the system user $SVC_USER"
	fi
	SVC_GROUP=$(id -gn "$SVC_USER")
	chown -R "$SVC_USER:$SVC_GROUP" "$STATE_DIR" || die "could not give $STATE_DIR to $SVC_USER"
	chown "root:$SVC_GROUP" "$CONF_DIR" "$STORE" && chmod 750 "$CONF_DIR" && chmod 640 "$STORE" ||
		die "could not let $SVC_USER read $STORE"
	say "the relay and the health checks run as $SVC_USER (CAP_NET_BIND_SERVICE only); $STATE_DIR is theirs"
}

do_install() {
	detect_init
	find_binary
	service_user
	UPGRADE=0
	[ -e "$BIN" ] && UPGRADE=1
	mkdir -p "$BINDIR" "$LIBDIR"
	# replaced by rename: a running relay keeps its old inode until it restarts
	put "$BIN" 755 < "$SRC" || die "could not install $BIN"
	XWPF_HERE=0
	xwpf_here && XWPF_HERE=1
	[ "$XWPF_HERE" = 0 ] || xwpf_take_pf
	make_links
	here_script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	if [ "$here_script" != "$LIBDIR/install.sh" ]; then
		put "$LIBDIR/install.sh" 644 < "$0"   # kept for `pf` -> uninstall
	fi
	mkdir -p "$CONF_DIR" "$STATE_DIR" "$R/var/log"
	chmod 700 "$CONF_DIR" "$STATE_DIR"
	if [ -e "$STORE" ]; then
		say "kept the rules in $STORE"
		xwpf rule check >/dev/null ||
			say "warning: $STORE does not validate: fix it (xwpf rule check) before the relay restarts"
	else
		(umask 077; write_store | put "$STORE" 600)
		xwpf rule check >/dev/null || die "the example store does not validate (a bug): $STORE"
		say "wrote an example store (no active rule): $STORE"
	fi
	ask_lang
	[ "$XWPF_HERE" = 0 ] || xwpf_import
	own_state
	install_services
	if [ "$UPGRADE" = 1 ]; then
		say "xwpf upgraded in $BINDIR ($(xwpf --version))"
	else
		say "xwpf installed in $BINDIR ($(xwpf --version)): run 'pf' for the menu"
	fi
	[ -z "$ROOT" ] || say "  (under --root $ROOT: run it as: $BIN --root $ROOT menu)"
	[ "$XWPF_HERE" = 0 ] || xwpf_left
}

# ---------------------------------------------------------------- uninstall

# Value of KEY in section SECTION of the store (first one), or every value with all=1.
store_values() {
	[ -f "$STORE" ] || return 0
	awk -v want="$1" -v key="$2" '
		/^[ \t]*[#;]/ { next }
		/^[ \t]*\[/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); gsub(/[ \t]+/, " ", s); next }
		s == want {
			line = $0
			i = index(line, "=")
			if (!i) next
			k = substr(line, 1, i - 1); gsub(/^[ \t]+|[ \t]+$/, "", k)
			if (k != key) next
			v = substr(line, i + 1); sub(/[ \t]#.*$/, "", v); gsub(/^[ \t]+|[ \t]+$/, "", v)
			if (v != "") print v
		}' "$STORE"
}

# Stop the relay named in our own pidfile, only if that PID runs our binary.
stop_own_pid() {
	pidfile=$RUN_DIR/relay.pid
	[ -f "$pidfile" ] || return 0
	pid=$(tr -dc '0-9' < "$pidfile")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
	bin=$(readlink -f "$BIN" 2>/dev/null || echo "$BIN")
	case $exe in
	"$bin"|"$bin (deleted)") ;;
	*) say "pid $pid in $pidfile is not $bin ($exe): left alone"; return 0 ;;
	esac
	say "stopping the relay (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
}

do_uninstall() {
	detect_init
	if [ "$YES" != 1 ]; then
		if [ -t 0 ]; then
			printf 'Remove xwpf, its services, rules (%s), state and logs? [y/N] ' "$CONF_DIR"
			read -r ans || ans=
			case $ans in y|Y|yes|YES) ;; *) say "nothing removed"; exit 0 ;; esac
		else
			die "uninstall removes the rules too: add --yes to confirm"
		fi
	fi

	say "phase 1: services, units, configuration, state, logs, MPTCP settings"
	case $INIT in
	systemd)
		for u in $UNITS; do
			[ -e "$UNIT_DIR/$u" ] || continue
			sys systemctl disable --now "$u" || true
		done ;;
	openrc)
		for s in xwpf xwpf-health; do
			[ -e "$INITD/$s" ] || continue
			sys rc-service "$s" stop || true
			sys rc-update del "$s" default || true
		done ;;
	esac
	stop_own_pid
	if [ -x "$BIN" ] && has_applet mptcp; then
		store_values mptcp endpoint | while read -r addr _rest; do
			[ -n "$addr" ] || continue
			if [ -n "$ROOT" ]; then say "  (--root: not run) xwpf mptcp endpoint del $addr"
			else xwpf mptcp endpoint del "$addr" >/dev/null 2>&1 || true; fi
		done
	fi
	logfile=$(store_values global log_file | head -n 1)
	for u in $UNITS; do rm -f "$UNIT_DIR/$u"; done
	rm -f "$INITD/xwpf" "$INITD/xwpf-health"
	if [ "$INIT" = systemd ]; then sys systemctl daemon-reload || true; fi
	if [ -f "$SYSCTL_FILE" ]; then
		rm -f "$SYSCTL_FILE"
		say "removed $SYSCTL_FILE (MPTCP stays as it is until the next boot)"
	fi
	svc=$(stat -c %U "$STATE_DIR" 2>/dev/null || echo root)
	case $svc in root|UNKNOWN) ;; *) say "the system user $svc is left as it is ('userdel $svc' removes it)" ;; esac
	rm -rf "$CONF_DIR" "$STATE_DIR" "$RUN_DIR"
	rm -f "$LOG" "$LOG.1"
	case $logfile in
	/*) rm -f "$R$logfile" "$R$logfile.1" ;;
	esac

	if [ "$KEEP_BIN" = 1 ]; then
		say "phase 1 done: $BIN and pf are kept (--keep-binary); 'sh $LIBDIR/install.sh --uninstall --yes' removes them"
		return 0
	fi
	if [ "$YES" != 1 ] && [ -t 0 ]; then
		printf 'Phase 1 done. Remove the binary %s and its links too (phase 2)? [Y/n] ' "$BIN"
		read -r ans || ans=
		case $ans in n|N|no|NO)
			say "kept $BIN and pf; 'sh $LIBDIR/install.sh --uninstall' removes them later"
			return 0 ;;
		esac
	fi
	say "phase 2: the binary and its links"
	if [ -d "$BINDIR" ]; then
		for f in "$BINDIR"/*; do
			[ -L "$f" ] && [ "$(readlink "$f")" = "$BIN" ] && rm -f "$f"
		done
	fi
	rm -f "$BIN"
	rm -rf "$LIBDIR"
	if [ -f "$BINDIR/pf-xwPF" ] && [ ! -e "$PF" ] && [ ! -L "$PF" ]; then
		mv "$BINDIR/pf-xwPF" "$PF" && say "put xwPF's pf back ($PF)"
	fi
	if [ -n "$ROOT" ]; then   # folders made under a test root, when empty
		for d in "$BINDIR" "$R/usr/local/lib" "$R/usr/local" "$R/usr" "$UNIT_DIR" "$R/etc/systemd" \
		    "$INITD" "$R/etc/sysctl.d" "$R/etc" "$R/var/log" "$R/var/lib" "$R/var" "$R/run"; do
			rmdir "$d" 2>/dev/null || true
		done
	fi
	say "xwpf is uninstalled"
}

if [ "$ACTION" = uninstall ]; then
	do_uninstall
else
	do_install
fi
