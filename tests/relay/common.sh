# tests/relay/common.sh: helpers for the relay_*.sh scenarios (sourced after tests/lib.sh).
PEER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/peer.py
CONF=$XWPF_ROOT/etc/xwpf/xwpf.conf
STATS=$XWPF_ROOT/run/xwpf/stats
mkdir -p "$XWPF_ROOT/etc/xwpf"
RELAY_PID=

LEDGER=$XWPF_ROOT/var/lib/xwpf/ledger
LG="python3 $(dirname "${BASH_SOURCE[0]}")/ledger.py"

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
