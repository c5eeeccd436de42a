# tests/lib.sh: sourced by every scenario. Real sockets, real peers; loopback
# and the test's own network namespaces only. Everything started here is
# recorded by PID and killed by PID at exit; namespaces made here are removed.
set -u
: "${XWPF:?XWPF must point at the binary under test}"
T_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
T_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_PEERS=$T_TESTS/peers   # every Python peer and checker
T_DIR=$(mktemp -d "/tmp/xwpf-test-$T_NAME.XXXXXX")
export XWPF_ROOT=$T_DIR/root
mkdir -p "$XWPF_ROOT"
T_PIDS=()
T_NETNS=()
T_FAILED=0

ok()   { echo "ok - $T_NAME: $*"; }
fail() { echo "not ok - $T_NAME: $*"; T_FAILED=$((T_FAILED + 1)); }
skip() { echo "skip - $T_NAME: $*"; }
# check NAME CMD...: ok when CMD succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }
# need CMD...: skip the whole scenario when a tool is missing
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { skip "needs $c"; exit 0; }
	done
}
need_root() { [ "$(id -u)" = 0 ] || { skip "needs root"; exit 0; }; }

# spawn CMD...: start in the background, remember the PID (in $!)
spawn() { "$@" & T_PIDS+=($!); }
# spawn_ns NS CMD...
spawn_ns() { local ns=$1; shift; ip netns exec "$ns" "$@" & T_PIDS+=($!); }

cleanup() {
	local p ns
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -f "$T_DIR/.netns" ]; then
		while read -r ns; do
			# processes left inside (by PID, from the namespace itself) go first
			for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null
		done < "$T_DIR/.netns"
	fi
	for ns in "${T_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: a port free for TCP and UDP on every address (a wildcard [::]
# listener must fit too), chosen below the kernel's ephemeral range so that
# no outgoing connection of this or another test can be holding it.
free_port() {
	python3 - <<'PY'
import random, socket
lo = 32768
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except Exception:
    pass
lo = max(lo, 12000)
# ports handed out in the last 10 minutes (to any test) are not handed out
# again: their sockets may still be closing or in TIME_WAIT
import fcntl, os, time
book = "/tmp/xwpf-test-ports"
now = time.time()
f = open(book, "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.seek(0)
recent = {}
for line in f.read().split("\n"):
    try:
        t, q = line.split()
        if now - float(t) < 600:
            recent[int(q)] = float(t)
    except ValueError:
        pass
for _ in range(400):
    p = random.randrange(10000, lo)
    if p in recent:
        continue
    socks = []
    try:
        for fam, typ, addr in ((socket.AF_INET6, socket.SOCK_STREAM, "::"),
                               (socket.AF_INET6, socket.SOCK_DGRAM, "::"),
                               (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0"),
                               (socket.AF_INET, socket.SOCK_DGRAM, "0.0.0.0")):
            s = socket.socket(fam, typ)
            socks.append(s)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, p))
        print(p)
        recent[p] = now
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
f.seek(0)
f.truncate()
f.write("".join("%.0f %d\n" % (t, q) for q, t in recent.items()))
f.close()
PY
}

# wait_port HOST PORT [SECONDS]: until a TCP connect succeeds (bounded)
wait_port() {
	local host=$1 port=$2 limit=${3:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# wait_for SECONDS CMD...: until CMD succeeds (bounded)
wait_for() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 20; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# netns_add NAME: a namespace unique to this test run, removed at exit; echoes its name.
# Recorded in a file, not a variable, because callers use it as ns=$(netns_add x).
netns_add() {
	local ns="xwt-$1-$$"
	ip netns add "$ns" || return 1
	echo "$ns" >> "$T_DIR/.netns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# mptcp_ns TAG DEV=ADDR/LEN...: run this scenario again inside a namespace of
# its own (one `ip netns exec` for the whole body: one per command costs
# seconds on a loaded machine), with a veth pair va <-> vb, the addresses
# given (IPv6 ones without DAD) and both ends up. Outside, it waits for that
# run and exits (skips when the kernel has no MPTCP path manager); inside, it
# returns with the namespace's name in $NS.
mptcp_ns() {
	local tag=$1 a
	shift
	if [ -n "${MPTCP_TEST_NS:-}" ]; then
		NS=$MPTCP_TEST_NS
		return 0
	fi
	NS=$(netns_add "$tag") || { fail "cannot create a network namespace"; finish; }
	T_NETNS+=("$NS")   # netns_add ran in a subshell: record it here so cleanup removes it
	ip -n "$NS" link add va type veth peer name vb || { fail "cannot create a veth pair"; finish; }
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$NS" addr add "${a#*=}" dev "${a%%=*}" nodad
		else
			ip -n "$NS" addr add "${a#*=}" dev "${a%%=*}"
		fi
	done
	ip -n "$NS" link set va up
	ip -n "$NS" link set vb up
	if ! ip netns exec "$NS" ip mptcp limits show >/dev/null 2>&1; then
		skip "this kernel has no MPTCP path manager"
		finish
	fi
	spawn env MPTCP_TEST_NS="$NS" ip netns exec "$NS" bash "$0"
	wait $! || T_FAILED=1
	finish
}

# run_ok NAME CMD...: a check that CMD exits 0 (its words are shown when it
# does not); what it printed is left in $out
run_ok() {
	local name=$1 rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	check_eq "$name: exit 0" 0 "$rc"
	[ "$rc" = 0 ] || printf '#   %s\n' "$out"
}

# as_checks: the "ok NAME" / "not ok NAME" lines of a checker (a python
# heredoc, tests/peers/*.py) as this test's own
as_checks() { sed "s/^ok/ok - $T_NAME:/;s/^not ok/not ok - $T_NAME:/"; }
# caught NAME PATTERN CHECKER ARGS...: a checker of the tree (tests/peers/*.py
# printing "ok ..." and "not ok ..." lines) run on a copy with a break
# planted: a check that it exits 1 and says "not ok PATTERN" (an ERE)
caught() {
	local name=$1 want=$2 rc
	shift 2
	"$@" > "$T_DIR/planted.out"
	rc=$?
	if [ "$rc" = 1 ] && grep -qE -- "^not ok $want" "$T_DIR/planted.out"; then
		ok "$name: caught"
	else
		fail "$name: not caught (exit $rc, wanted '$want'):"
		sed 's/^/#   /' "$T_DIR/planted.out"
	fi
}

# ---- linktest between namespaces (linktest_*.sh) ----
# lt_server_ns NS ADDR FROM_NS SECONDS: `xwpf linktest --server` in NS on
# ADDR:5210; 1 when FROM_NS cannot connect to it within SECONDS
lt_server_ns() {
	spawn_ns "$1" "$XWPF" linktest --server --listen "$2:5210" --quiet
	wait_for "$4" ip netns exec "$3" bash -c "exec 3<>/dev/tcp/$2/5210"
}
# lt_client_ns NS ARGS...: the linktest client in NS, a check that it exits 0;
# its table in $T_DIR/table.txt, its JSON in $T_DIR/out.json, both and its
# stderr ($T_DIR/err.txt) copied to the log
lt_client_ns() {
	local ns=$1 rc
	shift
	ip netns exec "$ns" "$XWPF" linktest "$@" --json="$T_DIR/out.json" > "$T_DIR/table.txt" 2> "$T_DIR/err.txt"
	rc=$?
	cat "$T_DIR/table.txt" "$T_DIR/err.txt"
	check_eq "client exit status" 0 "$rc"
}
# lt_same: a check that the JSON holds the same figures as the table (tests/peers/lt_check.py)
lt_same() { python3 "$T_PEERS/lt_check.py" same "$T_DIR/table.txt" "$T_DIR/out.json" | as_checks; }

# ---- health checks (health_*.sh) ----
# Debian's python3 directly: a version-manager shim on PATH is one more moving part
T_PY=python3
[ -x /usr/bin/python3 ] && T_PY=/usr/bin/python3
T_HEALTH=$XWPF_ROOT/var/lib/xwpf/health
T_HEALTH_SRV=$T_PEERS/health_srv.py
# health_srv PORT MODE [HOST]: a backend from health_srv.py (MODE: accept, id,
# full, pong, silent, wrong, closer, trickle, greet) on HOST (127.0.0.1), its
# PID in $SRV_PID; a failed check and 1 when it is not ready within 10 s
health_srv() {
	local host=${3:-127.0.0.1} ready="$T_DIR/ready.$1.$2.$RANDOM"
	spawn "$T_PY" "$T_HEALTH_SRV" "$1" "$2" "$host" "$ready"
	SRV_PID=$!
	wait_for 10 test -e "$ready" || { fail "backend $2 on $host:$1 did not start"; return 1; }
}
# health_field RULE BACKEND N: field N of the backend's line in the health
# state under the current $XWPF_ROOT (3 state, 4 fails, 5 oks, 6 last check,
# 7 last change, 8 reason)
health_field() {
	awk -v r="$1" -v b="$2" -v n="$3" '$1 == r && $2 == b { print $n }' "$XWPF_ROOT/var/lib/xwpf/health" 2> /dev/null
}

# ---- the rule store ----
T_STORE=$XWPF_ROOT/etc/xwpf/xwpf.conf
# store_key NAME KEY: the value of KEY in [rule NAME] of the store under the
# current $XWPF_ROOT (every line of it)
store_key() {
	awk -v s="[rule $1]" -v k="$2" '/^\[/ { on = ($0 == s); next }
		on { split($0, a, "="); kk = a[1]; gsub(/ /, "", kk); if (kk == k) { v = substr($0, index($0, "=") + 1); sub(/^ +/, "", v); print v } }' "$XWPF_ROOT/etc/xwpf/xwpf.conf"
}

# ---- TCP echo on loopback (socat) ----
# tcp_echo VAR: an echo server on 127.0.0.1, its port in VAR; 1 when it did not start
tcp_echo() {
	local port
	port=$(free_port)
	spawn socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
	printf -v "$1" %s "$port"
	wait_port 127.0.0.1 "$port"
}
# echo_via PORT: a line through 127.0.0.1:PORT comes back
echo_via() {
	[ "$(printf 'through-the-relay\n' | timeout 5 socat -t 2 - "TCP:127.0.0.1:$1" 2>/dev/null)" = through-the-relay ]
}

# ---- programs under a pseudo-terminal (tests/peers/pty_drive.py) ----
T_PTY_DRIVE=$T_PEERS/pty_drive.py
T_PTY_TIMEOUT=15
[ -n "${XWPF_SANITIZED:-}" ] && T_PTY_TIMEOUT=40
# pty_run NAME [ENV=VAL...] -- CMD... < STEPS: CMD under a pty, driven by the
# expect/send/eof/intr/exit steps on stdin; 0 when every step passed. The
# session is kept in $T_DIR/NAME.pty, its stderr shown when a step failed.
pty_run() {
	local name=$1 rc envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" python3 "$T_PTY_DRIVE" --timeout "$T_PTY_TIMEOUT" --log "$T_DIR/$name.pty" -- "$@" 2> "$T_DIR/$name.err"
	rc=$?
	[ $rc -eq 0 ] || { echo "--- $name:"; cat "$T_DIR/$name.err"; }
	return $rc
}
# menu_drive NAME [ENV=VAL...] < STEPS: `xwpf menu` under a pty
menu_drive() {
	local name=$1
	shift
	pty_run "$name" "$@" -- "$XWPF" menu
}

# ---- steps for menu_drive, written once (used as $(menu_go ...) in a heredoc) ----
# The menu's prompt for a digit, in English or Chinese.
MENU_CHOOSE='(Choose|请选择)(:|：)'
# menu_go WHERE...: from the main menu down, by name: a word of the main menu
# (rules add start stop logs traffic refresh linktest mptcp move lang uninstall),
# then one of the menu it opens (rules: add edit delete toggle balance proxy
# mptcp; move: export import; linktest: server client). A name the menu has
# not gives a step pty_drive refuses, so the scenario fails where it is.
menu_go() {
	local at=main w k
	for w in "$@"; do
		case $at:$w in
		main:rules) k=1 ;; main:add) k=2 ;; main:start) k=3 ;; main:stop) k=4 ;;
		main:logs) k=5 ;; main:traffic) k=6 ;; main:refresh) k=7 ;; main:linktest) k=8 ;;
		main:mptcp) k=9 ;; main:move) k=10 ;; main:lang) k=11 ;; main:uninstall) k=12 ;;
		rules:add) k=1 ;; rules:edit) k=2 ;; rules:delete) k=3 ;; rules:toggle) k=4 ;;
		rules:balance) k=5 ;; rules:proxy) k=6 ;; rules:mptcp) k=7 ;;
		move:export | linktest:server) k=1 ;; move:import | linktest:client) k=2 ;;
		*) echo "menu_go: no '$w' in the $at menu"; return 1 ;;
		esac
		printf 'expect %s\nsend %s\n' "$MENU_CHOOSE" "$k"
		at=$w
	done
}
# menu_leave N: 0 at N menus' prompts (the last one the main menu's), then the menu exits 0
menu_leave() {
	local i
	for ((i = 0; i < $1; i++)); do
		printf 'expect %s\nsend 0\n' "$MENU_CHOOSE"
	done
	echo "exit 0"
}
# menu_traffic_leave: from the traffic screen's list of rules out of the menu
menu_traffic_leave() {
	printf 'expect (Rule to look at|查看哪条规则)\nsend 0\n'
	menu_leave 1
}
# menu_edit RULE: the rule editor open on RULE (rules menu, edit)
menu_edit() {
	menu_go rules edit
	printf 'expect Rule to edit\nsend %s\nexpect save the changes above\n' "$1"
}
# menu_add_relay LPORT LHOST THOST TPORT: the add wizard for a relay rule up to
# the target's port (Enter for an empty LHOST; leaving from the system's choice)
menu_add_relay() {
	menu_go add
	printf 'expect Role\nsend 1\nexpect Listen port\nsend %s\nexpect Listen on\nsend %s\n' "$1" "$2"
	printf 'expect Leave from\nsend\nexpect Target host\nsend %s\nexpect Its port\nsend %s\n' "$3" "$4"
}
# menu_add_exit LPORT LHOST TPORT: the add wizard for an exit rule up to the
# local service's port (its host: Enter, 127.0.0.1)
menu_add_exit() {
	menu_go add
	printf 'expect Role\nsend 2\nexpect Listen port\nsend %s\nexpect Listen on\nsend %s\n' "$1" "$2"
	printf 'expect Forward to\nsend\nexpect Its port\nsend %s\n' "$3"
}
# menu_proto PROTO TRANSPORT: the wizard's protocol and transport choices ('': Enter, the default)
menu_proto() {
	printf 'expect Protocol\nsend %s\nexpect Transport\nsend %s\n' "$1" "$2"
}
# menu_one_target PROTO TRANSPORT: a relay rule's last target (no other), then menu_proto
menu_one_target() {
	printf 'expect Add another target\nsend n\n'
	menu_proto "$1" "$2"
}
# menu_tcp_ws: the wizard's protocol tcp and transport ws, the default host, up to the path
menu_tcp_ws() {
	menu_proto 2 2
	printf 'expect WebSocket host\nsend\nexpect WebSocket path\n'
}
# menu_add_end NAME [SAVE]: no note, the rule's name, and SAVE (y) at "Save this rule"
menu_add_end() {
	printf 'expect Note\nsend\nexpect Rule name\nsend %s\nexpect Save this rule\nsend %s\n' "$1" "${2-y}"
}

# ---- a relay under $XWPF_ROOT (relay_*, traffic_*, metrics_*, failover_* ...) ----
PEER=$T_PEERS/peer.py
CONF=$XWPF_ROOT/etc/xwpf/xwpf.conf
STATS=$XWPF_ROOT/run/xwpf/stats
mkdir -p "$XWPF_ROOT/etc/xwpf"
RELAY_PID=

LEDGER=$XWPF_ROOT/var/lib/xwpf/ledger
LG="python3 $T_PEERS/ledger.py"

# ledger_is RULE KEY=VALUE...: the ledger has these values now
ledger_is() {
	local rule=$1 kv keys=() want=() got
	shift
	for kv in "$@"; do keys+=("${kv%%=*}"); want+=("${kv#*=}"); done
	got=$($LG get "$LEDGER" "$rule" "${keys[@]}" | tr '\n' ' ')
	[ "$got" = "${want[*]} " ]
}

# modes: splice and copy (XWPF_NO_SPLICE=1), or only $RELAY_MODES
relay_modes() { echo "${RELAY_MODES:-splice copy}"; }

start_relay() {
	local mode=$1 ns=0
	shift
	rm -f "$STATS"
	# start_relay MODE: the store relay; start_relay MODE CMD...: CMD runs it (prlimit ...)
	[ $# -eq 0 ] && set -- "$XWPF" relay
	if [ "$mode" = copy ]; then
		spawn env XWPF_NO_SPLICE=1 "$@" 2>>"$T_DIR/relay.log"
	else
		spawn env -u XWPF_NO_SPLICE "$@" 2>>"$T_DIR/relay.log"
	fi
	RELAY_PID=$!
	if [ "$*" = "$XWPF relay" ]; then
		wait_for 10 test -s "$STATS" || { fail "$mode: relay did not start"; cat "$T_DIR/relay.log"; return 1; }
	fi
	return 0
}

stop_relay() {
	local rc
	[ -n "$RELAY_PID" ] || return 0
	kill -TERM "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID"
	rc=$?
	RELAY_PID=
	return $rc
}

# wait_stats: the relay rewrites stats every second; wait for the next write
wait_stats() {
	local before
	before=$(stat -c %Y.%N "$STATS" 2>/dev/null)
	sleep 1.1
	wait_for 3 test "$(stat -c %Y.%N "$STATS" 2>/dev/null)" != "$before"
}

# peer_check LABEL SPEC...: run peer.py specs in one python process, one ok/fail per line
peer_check() {
	local label=$1 out st desc
	shift
	out=$(python3 "$PEER" run "$@" 2>&1)
	[ -n "$out" ] || { fail "$label: the test client printed nothing"; return; }
	while read -r st desc; do
		case $st in
		ok) ok "$label: $desc" ;;
		bad) fail "$label: $desc" ;;
		*) fail "$label: $st $desc" ;;
		esac
	done <<<"$out"
}

# load_stats RULE: S[key]=value from `xwpf status --json`
declare -A S
load_stats() {
	local kv
	S=()
	while IFS= read -r kv; do
		S[${kv%%=*}]=${kv#*=}
	done < <("$XWPF" status --json | python3 "$PEER" stats "$1")
}

# pool_at_least RULE FIELD N: the warm tunnel pool's FIELD (hits, misses,
# pooled, opened, expired, failed) of RULE in the status of the end "relay"
# is N or more
pool_at_least() {
	XWPF_ROOT=$T_DIR/relay load_stats "$1"
	[ "${S[tunnel_pool.$2]:-0}" -ge "$3" ]
}

# ---- two xwpf ends, each under its own root: a relay and an exit (tunnel_*, proxy_*) ----
# end_start NAME: run `xwpf relay` under $T_DIR/NAME with the store on stdin
end_start() {
	local name=$1 root=$T_DIR/$1
	mkdir -p "$root/etc/xwpf"
	cat > "$root/etc/xwpf/xwpf.conf"
	rm -f "$root/run/xwpf/stats"
	XWPF_ROOT=$root spawn "$XWPF" relay 2>>"$T_DIR/$name.log"
	eval "PID_$name=$!"
	wait_for 10 test -s "$root/run/xwpf/stats" || { fail "$name: relay did not start"; cat "$T_DIR/$name.log"; return 1; }
}

# end_stop NAME: SIGTERM, wait; the relay's exit status (0 expected; a
# sanitizer's leak report makes it non-zero)
# ini_rule NAME LISTEN REMOTE [KEY=VALUE...]: a [rule] section of a store
ini_rule() {
	local kv
	printf '[rule %s]\nlisten = %s\nremote = %s\n' "$1" "$2" "$3"
	shift 3
	for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
}
# ini_exits TLSPORT WSPORT PORT [WSHOST [WSPATH]]: the two usual exits on
# 127.0.0.1, x-tls (self-signed, servername exit.test) and x-ws (host h,
# path /p unless given), both to 127.0.0.1:PORT
ini_exits() {
	ini_rule x-tls "127.0.0.1:$1" "127.0.0.1:$3" "listen_transport=tls;servername=exit.test"
	ini_rule x-ws "127.0.0.1:$2" "127.0.0.1:$3" "listen_transport=ws;host=${4:-h};path=${5:-/p}"
}
# end_start_rule END NAME LISTEN REMOTE [KEY=VALUE...]: end_start END with one
# worker and that one rule
end_start_rule() {
	local end=$1
	shift
	end_start "$end" <<< "$(printf '[global]\nworkers = 1\n'; ini_rule "$@")"
}
end_stop() {
	local v="PID_$1" rc
	[ -n "${!v:-}" ] || return 0
	kill -TERM "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
	rc=$?
	eval "PID_$1="
	return $rc
}

# no_sanitizer_reports: no ASan/UBSan/LSan report in any log of this test
no_sanitizer_reports() {
	! grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T_DIR"/*.log 2>/dev/null
}

# end_log NAME: the log so far
end_log() { cat "$T_DIR/$1.log" 2>/dev/null; }

# log_has NAME SECONDS REGEX: until the end's log matches (bounded)
log_has() { wait_for "$2" grep -qE -- "$3" "$T_DIR/$1.log"; }

# spki_pin CERT: sha256:HEX of the certificate's public key (what pin= wants)
spki_pin() {
	echo "sha256:$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)"
}
# exit_pin [END]: the pin of the self-signed servername=exit.test certificate of END (exit)
exit_pin() { spki_pin "$T_DIR/${1:-exit}/var/lib/xwpf/tls/exit.test.crt"; }

# mkca DIR: a test CA (ca.crt/ca.key) and server certificates signed by it:
# good.crt (exit.test), wrong.crt (other.test), expired.crt (exit.test, expired)
mkca() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
		    -days 30 -subj "/CN=xwpf test CA" -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign
		for n in good:exit.test wrong:other.test expired:exit.test; do
			f=${n%%:*} cn=${n#*:}
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $f.key -out $f.csr -subj "/CN=$cn"
			printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$cn" > $f.ext
			if [ $f = expired ]; then   # openssl ca takes explicit dates
				mkdir -p db && : > db/index && echo 01 > db/serial
				printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db/index\nserial=db/serial\nnew_certs_dir=db\n%s\n' \
				    'default_md=sha256
policy=p
[p]
commonName=supplied' > ca.cnf
				openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in $f.csr -out $f.crt -notext \
				    -startdate 20200101000000Z -enddate 20200201000000Z -extfile $f.ext
			else
				openssl x509 -req -in $f.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $f.crt -days 30 \
				    -extfile $f.ext
			fi
			cat $f.crt ca.crt > $f.chain.pem
		done
	) >/dev/null 2>&1
	test -s "$d/good.crt" && test -s "$d/expired.crt"
}

# finish: exit status for the runner
finish() { exit $(( T_FAILED > 0 )); }

# mkcert_local DIR: a CA (ca.crt) and a server certificate it signed for
# 127.0.0.1 and localhost (srv.crt, srv.key), one it signed for another name
# only (other.crt, other.key: other.test), and one signed by a CA nobody
# trusts (rogue.crt, rogue.key): HTTPS peers on loopback (notify_*)
mkcert_local() {
	local d=$1 f n ca ext
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		for f in ca rogueca; do
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $f.key -out $f.crt \
			    -days 30 -subj "/CN=xwpf test $f" -addext basicConstraints=critical,CA:TRUE \
			    -addext keyUsage=critical,keyCertSign,cRLSign
		done
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > srv.ext
		sed 's/^subjectAltName=.*/subjectAltName=DNS:other.test/' srv.ext > other.ext
		for f in srv:ca:srv rogue:rogueca:srv other:ca:other; do   # NAME:CA:EXTENSIONS
			IFS=: read -r n ca ext <<<"$f"
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr \
			    -subj "/CN=$(sed -n 's/^subjectAltName=DNS:\([^,]*\).*/\1/p' $ext.ext)"
			openssl x509 -req -in $n.csr -CA $ca.crt -CAkey $ca.key -CAcreateserial -out $n.crt -days 30 \
			    -extfile $ext.ext
		done
	) >/dev/null 2>&1
	test -s "$d/srv.crt" && test -s "$d/rogue.crt" && test -s "$d/other.crt"
}
