#!/usr/bin/env bash
# bench/run.sh: `make bench`. xwpf beside haproxy, nginx stream, socat and a
# direct connection, on 127.0.0.1, in one run, then the TLS tunnel bench
# beside stunnel4 and nginx stream ssl.
#
#   bench/run.sh               the full pass (about 23 minutes on an idle 2-CPU machine, most of it
#                              the UDP no-drop searches)
#   BENCH_QUICK=1 bench/run.sh a short pass (about 3 minutes)
#   BENCH_ONLY="xwpf haproxy"  restrict the relays (direct, xwpf, xwpf-nosteer, haproxy, nginx, socat;
#                              xwpf-nosteer: xwpf with --cpu-affinity no, workers unpinned and
#                              accepts spread by the kernel's hash; xwpf: --cpu-affinity yes)
#   BENCH_ROUNDS=N             rounds of the timed tests (default 3, quick 1)
#   BENCH_NO_TUNNEL=1          skip the tunnel part;  BENCH_NO_RULES=1  skip 10,000 rules
#   BENCH_TUNNEL_ONLY=1        only the tunnel part (no relays, no 10,000 rules)
#   BENCH_UDP_ONLY=1           only the UDP part;  BENCH_NO_UDP=1  skip it
#   BENCH_NO_CHAIN=1           skip the chain part (time to first byte at 50 ms RTT, bench/chain.sh)
#   BENCH_CHAIN_ONLY=1         only the chain part
#   XWPF=PATH                  the binary (default ./xwpf)
#
# Every relay runs at once, each on its own port; the timed tests (latency,
# connections/s, UDP, throughput) go round robin over them for BENCH_ROUNDS
# rounds, in a rotated order, and the median of the rounds is reported: the
# machine is shared, so a burst of someone else's load hits every relay alike
# instead of whichever happened to be measured then. Memory is measured one
# relay at a time (the others idle).
#
# Writes build/bench/results.txt (the table printed here) and
# build/bench/results.json. Every process started here is recorded by PID
# and killed by PID at exit (trap); every wait is bounded.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
XWPF=${XWPF:-$top/xwpf}
out=$top/build/bench
mkdir -p "$out"
tmp=$(mktemp -d /tmp/xwpf-bench.XXXXXX)
tsv=$out/results.tsv
rounds_tsv=$tmp/rounds.tsv
: > "$tsv"
: > "$rounds_tsv"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	IPERF_T=2 CPS_T=2 LAT_N=3000 IDLE_N=1000 TLS_IDLE_N=300 ROUNDS=${BENCH_ROUNDS:-1}
	UDP_TRIAL_MS=1000 UDP_ITER=5 UDP_ASSOC_N=2000 UDP_IDLE_N=2000
else
	IPERF_T=2 CPS_T=2 LAT_N=15000 IDLE_N=2500 TLS_IDLE_N=1000 ROUNDS=${BENCH_ROUNDS:-3}
	UDP_TRIAL_MS=3000 UDP_ITER=6 UDP_ASSOC_N=8000 UDP_IDLE_N=10000
fi
UDP_T=3                  # iperf3 -u seconds
UDP_FORK_N=300           # associations for a relay that forks a process per association (socat)
UDP_WARM_N=1000          # associations through a fresh relay before new associations/s is measured
RULES_N=10000
WORKERS=2
CONC=64
RELAYS=${BENCH_ONLY:-direct xwpf xwpf-nosteer haproxy nginx socat}
TUNNELS="xwpf-tls xwpf-wss stunnel nginx-ssl"
CN=bench.test
TLS_SUITE=ECDHE-ECDSA-AES128-GCM-SHA256

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# res SECTION PEER METRIC VALUE: one figure for the report
res() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$tsv"; }
# rv SECTION PEER METRIC VALUE: one round's figure (the report gets the median)
rv() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$rounds_tsv"; }
note() { res note - "$1" "$2"; }
# kv KEY LINE: the value of KEY=VALUE in a tool's output line
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<< "$2"; }

# ---- processes -------------------------------------------------------------
PIDS=()
spawn() { "$@" & PIDS+=($!); }
# tree PID: PID and every descendant (socat forks one process per connection)
tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ par[$1] = $2 } END {
			in_[root] = 1; n = 1
			do { m = n; for (p in par) if (!(p in in_) && (par[p] in in_)) { in_[p] = 1; n++ } } while (n > m)
			for (p in in_) print p }'
}
# stop PID: TERM the whole tree by PID, bounded wait, then KILL
stop() {
	local pid=$1 pids p i
	[ -n "$pid" ] || return 0
	pids=$(tree "$pid")
	for p in $pids; do kill "$p" 2>/dev/null; done
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	wait "$pid" 2>/dev/null
	return 0
}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && stop "$p"; done
	wait 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rss_kib PID...: VmRSS summed over the process trees; pss_kib: the same for Pss
tree_files() {   # NAME PID...: /proc/P/NAME for every process of the trees
	local name=$1 p q
	shift
	for p in "$@"; do for q in $(tree "$p"); do echo "/proc/$q/$name"; done; done
}
rss_kib() { [ $# -gt 0 ] || { echo 0; return; }; tree_files status "$@" | xargs cat 2>/dev/null | awk '/^VmRSS:/ { s += $2 } END { print s + 0 }'; }
pss_kib() { [ $# -gt 0 ] || { echo 0; return; }; tree_files smaps_rollup "$@" | xargs cat 2>/dev/null | awk '/^Pss:/ { s += $2 } END { print s + 0 }'; }
# cpu_ticks PID...: utime+stime summed over the trees (clock ticks)
cpu_ticks() { [ $# -gt 0 ] || { echo 0; return; }; tree_files stat "$@" | xargs cat 2>/dev/null | awk '{ sub(/.*\) /, ""); s += $12 + $13 } END { print s + 0 }'; }
TICK=$(getconf CLK_TCK)
# machine_ticks: busy and kernel-only ticks of the whole machine (every
# process, interrupts and softirq: on loopback a packet's receive work runs
# in whichever context sent it), from the first line of /proc/stat
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $4 + $7 + $8; exit }' /proc/stat; }

# ---- ports -----------------------------------------------------------------
USED_PORTS=" "
# new_port [low]: NEWPORT = a TCP+UDP port free on 127.0.0.1 now and not handed
# out before (a global, not an echo: it must run in this shell to remember).
# low: below the ephemeral range, for a server that binds its UDP port only
# while a test runs (iperf3's, udprate's sink): in between, a port of the
# ephemeral range can go to any socket that connects (a relay's association)
# and the server's next bind would fail.
NEWPORT=
new_port() {
	local p i
	for ((i = 0; i < 20; i++)); do
		p=$(python3 - "${1:-}" <<'PY'
import random, socket, sys
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(50):
    t = socket.socket()
    if sys.argv[1] == "low":
        p = random.randrange(max(1024, lo - 6000), lo - 500)
        try:
            t.bind(("127.0.0.1", p))
        except OSError:
            t.close(); continue
    else:
        t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PY
)
		case $USED_PORTS in *" $p "*) continue ;; esac
		USED_PORTS+="$p "
		NEWPORT=$p
		return 0
	done
	return 1
}
# listening PORT [SECONDS]: until a TCP listener is on PORT (kernel table, no connection made)
listening() { "$out/portwait" "$1" 1 "${2:-10}" "$(date +%s%N)" noprobe > /dev/null; }
# wait_line FILE PATTERN SECONDS
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_listen LOGDIR "PORT..." PID...: until every PORT has a listener (10 s), failing
# fast when a PID exits or the log says a feature is not there yet
wait_listen() {
	local d=$1 ports=$2 i p ok
	shift 2
	for ((i = 0; i < 50; i++)); do
		ok=1
		for p in $ports; do
			[ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ] || ok=0
		done
		[ $ok = 1 ] && return 0
		for p in "$@"; do kill -0 "$p" 2>/dev/null || return 1; done
		cat "$d"/*log* "$d"/*/*log* 2>/dev/null | grep -q 'not in this relay yet' && return 1
		sleep 0.2
	done
	return 1
}
# rotate N WORDS...: the words starting at the Nth (round-robin order for round N)
rotate() {
	local n=$1 a
	shift
	a=("$@")
	n=$((n % ${#a[@]}))
	echo "${a[@]:n}" "${a[@]:0:n}"
}

# ---- setup -----------------------------------------------------------------
install_peers() {
	# the list lives in deps/packages; installed as root with apt-get, else named
	"$top/deps/need.sh" bench || log "those peers are left out of this run"
}

build_tools() {
	local t
	for t in echosrv pingpong connrate idleconn portwait udprate udpassoc udpnull; do
		if [ ! -x "$out/$t" ] || [ "$here/tools/$t.c" -nt "$out/$t" ] || [ "$here/tools/common.h" -nt "$out/$t" ]; then
			${HOSTCC:-cc} -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE -pthread -o "$out/$t" "$here/tools/$t.c" ||
				{ log "cannot build bench/tools/$t.c"; exit 1; }
		fi
	done
}

have_relay() { [ -x "$XWPF" ] && "$XWPF" --list 2>/dev/null | grep -qx relay; }
relay_help() { "$XWPF" relay --help 2>&1; }

peer_available() {
	case $1 in
	direct) return 0 ;;
	xwpf | xwpf-tls | xwpf-wss) have_relay ;;
	xwpf-nosteer) have_relay && relay_help | grep -q -- '--cpu-affinity' ;;
	haproxy) command -v haproxy > /dev/null ;;
	nginx | nginx-buf | nginx-ssl) command -v nginx > /dev/null ;;
	socat) command -v socat > /dev/null ;;
	stunnel) command -v stunnel4 > /dev/null ;;
	*) return 1 ;;
	esac
}
peer_udp() { case $1 in direct | xwpf | nginx | nginx-buf | socat) return 0 ;; *) return 1 ;; esac; }

# xwpf_workers_args: how this build of `xwpf relay` takes a worker count
xwpf_workers_args() {
	local h
	h=$(relay_help)
	if grep -q -- '--workers' <<< "$h"; then echo "--workers $WORKERS"
	elif grep -qE -- '(^|[ ,])-w[ ,]' <<< "$h"; then echo "-w $WORKERS"
	fi
}

# xwpf_steer_args PEER: CPU-local accepts on for xwpf, off for xwpf-nosteer (a build
# without --cpu-affinity: nothing, its default)
xwpf_steer_args() {
	relay_help | grep -q -- '--cpu-affinity' || return 0
	if [ "$1" = xwpf-nosteer ]; then echo "--cpu-affinity no"; else echo "--cpu-affinity yes"; fi
}

NGINX_MOD=
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] && ! nginx -V 2>&1 | grep -q -- '--with-stream ' &&
	NGINX_MOD="load_module /usr/lib/nginx/modules/ngx_stream_module.so;"

nginx_conf() {   # DIR BODY: write DIR/nginx.conf around a stream{} body
	cat > "$1/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
worker_rlimit_nofile 100000;
pid $1/nginx.pid;
error_log $1/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;")
$NGINX_MOD
events { worker_connections 40000; }   # a UDP session holds two: 3 rounds of new associations and 10,000 idle ones fit
stream {
$2
}
EOF
}
# xwpf_store DIR BODY: an xwpf store with one rule (the tunnel ends use store mode)
xwpf_store() {
	mkdir -p "$1/etc/xwpf"
	printf '[global]\nworkers = %d\nlog_level = warn\n\n%s\n' "$WORKERS" "$2" > "$1/etc/xwpf/xwpf.conf"
}

# Started peers: ENTRY[peer] = the port clients use; MPIDS[peer] = the processes
# whose memory and CPU count; UPIDS[peer] = the same for UDP (socat runs UDP in
# a process of its own); APIDS[peer] = every process to stop.
declare -A ENTRY MPIDS UPIDS APIDS WHY

# start_peer PEER BACKEND_PORT UDP(0|1) -> ENTRY/MPIDS/APIDS, or WHY and 1
start_peer() {
	local peer=$1 b=$2 udp=$3 l m= d
	new_port || return 1
	l=$NEWPORT
	d=$tmp/$peer-$l
	mkdir -p "$d"
	ENTRY[$peer]=$l MPIDS[$peer]= UPIDS[$peer]= APIDS[$peer]=
	case $peer in
	direct) ENTRY[$peer]=$b; return 0 ;;
	xwpf | xwpf-nosteer)
		# shellcheck disable=SC2046
		XWPF_ROOT=$d spawn "$XWPF" relay -l "127.0.0.1:$l" -r "127.0.0.1:$b" $([ "$udp" = 1 ] && echo -u) \
			$(xwpf_workers_args) $(xwpf_steer_args "$peer") 2> "$d/log"
		MPIDS[$peer]=$! ;;
	haproxy)
		cat > "$d/haproxy.cfg" <<EOF
global
    nbthread $WORKERS
    maxconn 6000
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    option splice-auto
    option splice-request
    option splice-response
listen bench
    bind 127.0.0.1:$l backlog 4096
    server s1 127.0.0.1:$b
EOF
		spawn haproxy -db -f "$d/haproxy.cfg" 2> "$d/log"
		MPIDS[$peer]=$! ;;
	nginx | nginx-buf)
		# nginx-buf: the UDP listener with the receive buffer xwpf gives its own
		# (4 MiB), so no figure owes its lead to a buffer nginx was not given
		nginx_conf "$d" "
    server { listen 127.0.0.1:$l reuseport backlog=4096; proxy_pass 127.0.0.1:$b;
             proxy_connect_timeout 5s; proxy_timeout 1h; }
$([ "$udp" = 1 ] && echo "    server { listen 127.0.0.1:$l udp reuseport$([ "$peer" = nginx-buf ] && echo ' rcvbuf=4m');
             proxy_pass 127.0.0.1:$b; proxy_timeout 30s; }")"
		spawn nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 2> "$d/log"
		MPIDS[$peer]=$! ;;
	socat)
		spawn socat "TCP4-LISTEN:$l,bind=127.0.0.1,fork,reuseaddr,backlog=4096,nodelay" \
			"TCP4:127.0.0.1:$b,nodelay" 2> "$d/log"
		MPIDS[$peer]=$!
		if [ "$udp" = 1 ]; then
			spawn socat "UDP4-LISTEN:$l,bind=127.0.0.1,fork,reuseaddr" "UDP4:127.0.0.1:$b" 2> "$d/log.udp"
			APIDS[$peer]=$! UPIDS[$peer]=$!
		fi ;;
	# tunnels: entry (plain in, TLS out) on l, exit (TLS in, plain out) on m, two processes each
	stunnel)
		new_port && m=$NEWPORT
		cat > "$d/exit.conf" <<EOF
foreground = yes
pid =
output = $d/exit.log
debug = 3
[exit]
accept = 127.0.0.1:$m
connect = 127.0.0.1:$b
cert = $tmp/cert.pem
key = $tmp/key.pem
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.2
ciphers = $TLS_SUITE
EOF
		cat > "$d/entry.conf" <<EOF
foreground = yes
pid =
output = $d/entry.log
debug = 3
[entry]
client = yes
accept = 127.0.0.1:$l
connect = 127.0.0.1:$m
sni = $CN
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.2
ciphers = $TLS_SUITE
EOF
		spawn stunnel4 "$d/exit.conf" > "$d/log" 2>&1
		MPIDS[$peer]=$!
		spawn stunnel4 "$d/entry.conf" >> "$d/log" 2>&1
		MPIDS[$peer]+=" $!" ;;
	nginx-ssl)
		new_port && m=$NEWPORT
		mkdir -p "$d/exit" "$d/entry"
		nginx_conf "$d/exit" "
    server { listen 127.0.0.1:$m ssl reuseport backlog=4096; proxy_pass 127.0.0.1:$b; proxy_timeout 1h;
             ssl_certificate $tmp/cert.pem; ssl_certificate_key $tmp/key.pem;
             ssl_protocols TLSv1.2; ssl_ciphers $TLS_SUITE; }"
		nginx_conf "$d/entry" "
    server { listen 127.0.0.1:$l reuseport backlog=4096; proxy_pass 127.0.0.1:$m; proxy_timeout 1h;
             proxy_ssl on; proxy_ssl_protocols TLSv1.2; proxy_ssl_ciphers $TLS_SUITE;
             proxy_ssl_server_name on; proxy_ssl_name $CN; }"
		spawn nginx -p "$d/exit" -c "$d/exit/nginx.conf" -e "$d/exit/error.log" 2> "$d/log"
		MPIDS[$peer]=$!
		spawn nginx -p "$d/entry" -c "$d/entry/nginx.conf" -e "$d/entry/error.log" 2>> "$d/log"
		MPIDS[$peer]+=" $!" ;;
	xwpf-tls | xwpf-wss)
		local ws=
		new_port && m=$NEWPORT
		[ "$peer" = xwpf-wss ] && ws="ws;host=$CN;path=/bench;"
		xwpf_store "$d/exit" "[rule exit]
role = exit
listen = 127.0.0.1:$m
remote = 127.0.0.1:$b
listen_transport = ${ws}tls;cert=$tmp/cert.pem;key=$tmp/key.pem"
		xwpf_store "$d/entry" "[rule entry]
listen = 127.0.0.1:$l
remote = 127.0.0.1:$m
remote_transport = ${ws}tls;sni=$CN;insecure"
		# both ends on this one machine: pinned, they would share the same CPUs,
		# which a relay and its exit never do (docs/relay.md, CPU-local accepts)
		# shellcheck disable=SC2046
		XWPF_ROOT=$d/exit spawn "$XWPF" relay $(xwpf_steer_args xwpf-nosteer) 2> "$d/log"
		MPIDS[$peer]=$!
		# shellcheck disable=SC2046
		XWPF_ROOT=$d/entry spawn "$XWPF" relay $(xwpf_steer_args xwpf-nosteer) 2>> "$d/log"
		MPIDS[$peer]+=" $!" ;;
	esac
	APIDS[$peer]+=" ${MPIDS[$peer]}"
	[ -n "${UPIDS[$peer]}" ] || UPIDS[$peer]=${MPIDS[$peer]}
	# shellcheck disable=SC2086
	if ! wait_listen "$d" "$l $m" ${MPIDS[$peer]}; then
		WHY[$peer]=$(cat "$d"/*log* "$d"/*/*log* 2>/dev/null | grep -v '^ *$' | tail -n 1 | cut -c1-200)
		log "$peer did not listen on 127.0.0.1:$l: ${WHY[$peer]}"
		stop_peer "$peer"
		return 1
	fi
	return 0
}
stop_peer() {
	local p
	for p in ${APIDS[$1]:-}; do stop "$p"; done
	APIDS[$1]= MPIDS[$1]= UPIDS[$1]=
}

# start_set SECTION BACKEND UDP PEER...: start every peer; SET = the ones that run
# (a global: the started PIDs must be recorded in this shell, not a subshell)
SET=
start_set() {
	local sec=$1 b=$2 udp=$3 peer ok=() u
	shift 3
	for peer in "$@"; do
		if ! peer_available "$peer"; then
			case $peer in xwpf*) WHY[$peer]="xwpf relay not in this build" ;; *) WHY[$peer]="not installed" ;; esac
			continue
		fi
		u=0
		[ "$udp" = 1 ] && peer_udp "$peer" && u=1
		start_peer "$peer" "$b" "$u" && ok+=("$peer")
	done
	sleep 0.5   # let every worker come up
	# a few bytes through each proves the path works end to end (echo backend only)
	if [ "$b" = "$ECHO_PORT" ]; then
		for peer in "${ok[@]}"; do
			timeout 10 "$out/pingpong" tcp "${ENTRY[$peer]}" 10 > /dev/null 2>&1 && continue
			WHY[$peer]="no echo through it: $(cat "$tmp/$peer-${ENTRY[$peer]}"/*log* "$tmp/$peer-${ENTRY[$peer]}"/*/*log* 2>/dev/null | grep -v '^ *$' | tail -n 1 | cut -c1-200)"
			log "$peer: ${WHY[$peer]}"
			stop_peer "$peer"
		done
	fi
	SET=
	for peer in "${ok[@]}"; do
		if [ "$peer" = direct ] || [ -n "${APIDS[$peer]// /}" ]; then SET+="$peer "; fi
	done
}

# ---- measurements ----------------------------------------------------------
# alive SECTION PEER WHAT: note (once) a relay process that died during WHAT
declare -A DIED
alive() {
	local p
	[ -z "${DIED[$2]:-}" ] || return 1
	for p in ${MPIDS[$2]:-}; do
		kill -0 "$p" 2>/dev/null && continue
		DIED[$2]=1
		wait "$p" 2>/dev/null
		log "$2: process $p died during $3 (exit status $?)"
		res "$1" "$2" died "during $3"
		return 1
	done
	return 0
}

# measure_idle SECTION PEER N: idle RSS, then RSS per idle connection with N open
measure_idle() {
	local sec=$1 peer=$2 n=$3 l=${ENTRY[$2]} r0 p0 r1 p1 line ipid div=1 pre=
	# shellcheck disable=SC2086
	set -- ${MPIDS[$peer]}
	if [ $# = 0 ]; then
		res "$sec" "$peer" idle_rss_kib n/a
		res "$sec" "$peer" rss_per_conn_kib n/a
		return
	fi
	[ "$sec" = tls ] && div=2 pre=tls_   # a tunnel: two ends, each holding one TLS connection
	sleep 0.5
	r0=$(rss_kib "$@") p0=$(pss_kib "$@")
	res "$sec" "$peer" "${pre}idle_rss_kib" "$r0"
	res "$sec" "$peer" "${pre}idle_pss_kib" "$p0"
	"$out/idleconn" "$l" "$n" > "$tmp/idle.out" 2> "$tmp/idle.err" &
	ipid=$!
	PIDS+=("$ipid")
	if wait_line "$tmp/idle.out" '^ready' 100; then
		sleep 1
		line=$(cat "$tmp/idle.out")
		r1=$(rss_kib "$@") p1=$(pss_kib "$@")
		if [ "$(kv ok "$line")" = "$n" ]; then
			res "$sec" "$peer" "${pre}rss_per_conn_kib" "$(awk -v a="$r0" -v b="$r1" -v n="$n" -v d="$div" 'BEGIN { printf "%.2f", (b - a) / n / d }')"
			res "$sec" "$peer" "${pre}pss_per_conn_kib" "$(awk -v a="$p0" -v b="$p1" -v n="$n" -v d="$div" 'BEGIN { printf "%.2f", (b - a) / n / d }')"
		else
			log "$peer: only $(kv ok "$line") of $n idle connections opened"
			res "$sec" "$peer" "${pre}rss_per_conn_kib" "fail($(kv ok "$line")/$n)"
		fi
	else
		log "$peer: $n idle connections not ready in 100 s"
		res "$sec" "$peer" "${pre}rss_per_conn_kib" fail
	fi
	stop "$ipid"
	sleep 1   # let the relay close its side
}

lat_round() {   # SECTION PEER
	local line
	line=$(timeout 90 "$out/pingpong" tcp "${ENTRY[$2]}" $((LAT_N / ROUNDS)) 2>&1)
	if [ -n "$(kv p50_us "$line")" ]; then
		rv "$1" "$2" lat_p50_us "$(kv p50_us "$line")"
		rv "$1" "$2" lat_p99_us "$(kv p99_us "$line")"
	else
		log "$2: latency: $line"
		rv "$1" "$2" lat_p50_us fail
	fi
}

udp_round() {   # SECTION PEER
	local line
	peer_udp "$2" || return 0
	line=$(timeout 90 "$out/pingpong" udp "${ENTRY[$2]}" $((LAT_N / ROUNDS)) 2>&1)
	if [ -n "$(kv p50_us "$line")" ]; then
		rv "$1" "$2" udp_p50_us "$(kv p50_us "$line")"
		rv "$1" "$2" udp_p99_us "$(kv p99_us "$line")"
		[ "$(kv lost "$line")" != 0 ] && rv "$1" "$2" udp_lost "$(kv lost "$line")"
	else
		log "$2: udp: $line"
		rv "$1" "$2" udp_p50_us fail
	fi
}

cps_round() {   # SECTION PEER
	local line c0 c1 m0 m1 n m s
	# shellcheck disable=SC2086
	c0=$(cpu_ticks ${MPIDS[$2]})
	m0=$(machine_ticks)
	line=$(timeout $((CPS_T + 30)) "$out/connrate" "${ENTRY[$2]}" "$CONC" "$CPS_T" 2>&1)
	m1=$(machine_ticks)
	# shellcheck disable=SC2086
	c1=$(cpu_ticks ${MPIDS[$2]})
	# what one connection costs the whole machine (client, server, relay,
	# kernel): direct's figure is one TCP connection's worth of work
	n=$(kv done "$line")
	if [ -n "$n" ] && [ "$n" != 0 ]; then
		read -r m s < <(awk -v a="$m0" -v b="$m1" -v t="$TICK" -v n="$n" \
			'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.1f %.1f\n", (y[1] - x[1]) / t * 1e6 / n, (y[2] - x[2]) / t * 1e6 / n }')
		rv "$1" "$2" cps_machine_us "$m"
		rv "$1" "$2" cps_machine_sys_us "$s"
	fi
	[ -n "${MPIDS[$2]}" ] && rv "$1" "$2" cps_relay_cpu_pct \
		"$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v s="$CPS_T" 'BEGIN { printf "%.0f", (b - a) / t / s * 100 }')"
	if [ -n "$(kv cps "$line")" ] && [ "$(kv done "$line")" != 0 ]; then
		rv "$1" "$2" cps "$(kv cps "$line")"
		[ "$(kv failed "$line")" != 0 ] && rv "$1" "$2" cps_failed "$(kv failed "$line")"
	else
		log "$2: connection rate: $line"
		rv "$1" "$2" cps fail
	fi
}

# iperf_round SECTION PEER STREAMS METRIC: Gbit/s received by the iperf3 server behind the relay
iperf_round() {
	local sec=$1 peer=$2 p=$3 m=$4 js v c0 c1
	# shellcheck disable=SC2086
	c0=$(cpu_ticks ${MPIDS[$peer]})
	js=$(timeout $((IPERF_T + 30)) iperf3 -c 127.0.0.1 -p "${ENTRY[$peer]}" -t "$IPERF_T" -O 1 -P "$p" -J 2> /dev/null)
	# shellcheck disable=SC2086
	c1=$(cpu_ticks ${MPIDS[$peer]})
	[ -n "${MPIDS[$peer]}" ] && rv "$sec" "$peer" "${m}_relay_cpu_pct" \
		"$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v s="$((IPERF_T + 1))" 'BEGIN { printf "%.0f", (b - a) / t / s * 100 }')"
	v=$(python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
    print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("fail")
' <<< "$js")
	[ "$v" = fail ] && log "$peer: iperf3 -P $p failed: $(python3 -c 'import json,sys; print(json.loads(sys.stdin.read()).get("error",""))' <<< "$js" 2>/dev/null)"
	rv "$sec" "$peer" "$m" "$v"
	sleep 0.3   # let the iperf3 server reset between tests
}

# medians: one figure per (section, peer, metric) from the rounds, plus the rounds themselves
medians() {
	sort -t "$(printf '\t')" -k1,3 -s "$rounds_tsv" | awk -F '\t' '
		function flush(   i, j, t, n, list) {
			if (key == "") return
			n = 0; list = ""
			for (i = 1; i <= cnt; i++) { list = list (i > 1 ? "," : "") val[i]; if (val[i] ~ /^[0-9.]+$/) num[++n] = val[i] + 0 }
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (num[j] < num[i]) { t = num[i]; num[i] = num[j]; num[j] = t }
			if (n == 0) print sec "\t" peer "\t" met "\tfail"
			else if (n % 2) print sec "\t" peer "\t" met "\t" num[(n + 1) / 2]
			else print sec "\t" peer "\t" met "\t" (num[n / 2] + num[n / 2 + 1]) / 2
			if (cnt > 1) print sec "\t" peer "\t" met "_rounds\t" list
		}
		{ k = $1 SUBSEP $2 SUBSEP $3; if (k != key) { flush(); key = k; cnt = 0; sec = $1; peer = $2; met = $3 } val[++cnt] = $4 }
		END { flush() }' >> "$tsv"
}

# ---- the plain TCP/UDP bench -----------------------------------------------
bench_relays() {
	local set peer r
	log "relays to the echo server: $RELAYS"
	start_set tcp "$ECHO_PORT" 0 $RELAYS
	set=$SET
	for peer in $RELAYS; do
		[[ " $set " == *" $peer "* ]] || res tcp "$peer" absent "${WHY[$peer]:-did not start}"
	done
	[ -n "$set" ] || return
	for peer in $set; do
		log "$peer: idle memory, $IDLE_N idle connections"
		measure_idle tcp "$peer" "$IDLE_N"
		alive tcp "$peer" "$IDLE_N idle connections"
	done
	for ((r = 0; r < ROUNDS; r++)); do
		log "round $((r + 1))/$ROUNDS: latency, connections/s"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do lat_round tcp "$peer"; alive tcp "$peer" "latency"; done
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do cps_round tcp "$peer"; alive tcp "$peer" "connections/s"; done
	done
	for peer in $set; do stop_peer "$peer"; done

	start_set tcp "$IPERF_PORT" 0 $set
	set=$SET
	for ((r = 0; r < ROUNDS; r++)); do
		log "round $((r + 1))/$ROUNDS: throughput, 1 and 8 streams"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do iperf_round tcp "$peer" 1 tput1_gbps; alive tcp "$peer" "1-stream throughput"; done
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do iperf_round tcp "$peer" 8 tput8_gbps; alive tcp "$peer" "8-stream throughput"; done
	done
	for peer in $set; do stop_peer "$peer"; done
}

# ---- the UDP bench ---------------------------------------------------------
# udp_cpu PEER: the ticks of the processes that carry the peer's UDP
udp_cpu() { [ -n "${UPIDS[$1]:-}" ] || { echo 0; return; }; cpu_ticks ${UPIDS[$1]}; }

# ovl_round SECTION PEER: iperf3 -u -b 0 -l 1200 through the peer (the server
# behind it): what arrives under overload, and the CPU each datagram costs
ovl_round() {
	local sec=$1 peer=$2 js c0 c1 m0 m1 v
	c0=$(udp_cpu "$peer") m0=$(machine_ticks)
	js=$(timeout $((UDP_T + 30)) iperf3 -u -b 0 -l 1200 -c 127.0.0.1 -p "${ENTRY[$peer]}" -t "$UDP_T" -J 2> /dev/null)
	m1=$(machine_ticks) c1=$(udp_cpu "$peer")
	v=$(python3 -c '
import json, sys
try:
    e = json.loads(sys.stdin.read())["end"]
    r = e["sum_received"]
    pps = r["bytes"] / 1200.0 / r["seconds"]
    print("%.1f %.0f %.2f %.0f" % (r["bits_per_second"] / 1e6, pps, e["sum"]["lost_percent"], pps * r["seconds"]))
except Exception:
    print("fail")
' <<< "$js")
	if [ "$v" = fail ]; then
		log "$peer: iperf3 -u failed: $(python3 -c 'import json,sys; print(json.loads(sys.stdin.read()).get("error",""))' <<< "$js" 2>/dev/null)$(
			ss -Huanp "sport = :$IPERF_PORT" 2>/dev/null | head -n 3 | sed 's/^/; held: /' | tr -s ' \n' ' ')"
		rv "$sec" "$peer" ovl_mbps fail
		return
	fi
	set -- $v
	rv "$sec" "$peer" ovl_mbps "$1"
	rv "$sec" "$peer" ovl_pps "$2"
	rv "$sec" "$peer" ovl_loss_pct "$3"
	[ "$4" -gt 0 ] 2>/dev/null || return
	[ "$peer" = direct ] || rv "$sec" "$peer" ovl_relay_cpu_us \
		"$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v n="$4" 'BEGIN { printf "%.2f", (b - a) / t * 1e6 / n }')"
	read -r m s < <(awk -v a="$m0" -v b="$m1" -v t="$TICK" -v n="$4" \
		'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f %.2f\n", (y[1] - x[1]) / t * 1e6 / n, (y[2] - x[2]) / t * 1e6 / n }')
	rv "$sec" "$peer" ovl_machine_us "$m"
	rv "$sec" "$peer" ovl_machine_sys_us "$s"
	sleep 0.5   # the iperf3 server resets
}

# nodrop_round SECTION PEER SIZE FLOWS: the no-drop rate (udprate) to the sink
nodrop_round() {
	local line
	line=$(timeout $((UDP_TRIAL_MS * (UDP_ITER + 2) / 1000 + 60)) "$out/udprate" "${ENTRY[$2]}" "$SINK_PORT" "$3" "$4" \
		"$UDP_TRIAL_MS" "$UDP_ITER" 2>&1)
	if [ -n "$(kv pps "$line")" ]; then
		rv "$1" "$2" "nd$3_$4_pps" "$(kv pps "$line")"
	else
		log "$2: no-drop rate $3 B x $4: $line"
		rv "$1" "$2" "nd$3_$4_pps" fail
	fi
}

# assoc_round SECTION PEER: new associations/s (each a new source, one echo)
assoc_round() {
	local line n=$UDP_ASSOC_N m0 m1 m s
	[ "$2" = socat ] && n=$UDP_FORK_N
	m0=$(machine_ticks)
	line=$(timeout 90 "$out/udpassoc" rate "${ENTRY[$2]}" "$n" 64 2>&1)
	m1=$(machine_ticks)
	if [ -n "$(kv rate "$line")" ] && [ "$(kv done "$line")" != 0 ]; then
		rv "$1" "$2" assoc_rate "$(kv rate "$line")"
		[ "$(kv lost "$line")" != 0 ] && rv "$1" "$2" assoc_lost "$(kv lost "$line")"
		# the machine's CPU per association (ticks of 1/CLK_TCK s: a few dozen
		# per round, so a figure to the nearest 5-10%)
		read -r m s < <(awk -v a="$m0" -v b="$m1" -v t="$TICK" -v n="$(kv done "$line")" \
			'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f %.2f\n", (y[1] - x[1]) / t * 1e6 / n, (y[2] - x[2]) / t * 1e6 / n }')
		[ "$2" = socat ] || { rv "$1" "$2" assoc_machine_us "$m"; rv "$1" "$2" assoc_machine_sys_us "$s"; }
	else
		log "$2: associations/s: $line"
		rv "$1" "$2" assoc_rate fail
	fi
}

# start_udpnull: the yardstick for new associations, a relay with no work of
# its own beyond the kernel's (bench/tools/udpnull: as many threads as the
# relays have workers, 64 sockets made ahead each) in front of the echo
start_udpnull() {
	new_port || return 1
	ENTRY[udpnull]=$NEWPORT
	spawn "$out/udpnull" "$NEWPORT" "$ECHO_PORT" "$WORKERS" 64 2> "$tmp/udpnull.log"
	MPIDS[udpnull]=$! APIDS[udpnull]=$!
	sleep 0.3
	alive udp udpnull "start"
}

# idle_assoc SECTION PEER: RSS per idle association, N held open
idle_assoc() {
	local sec=$1 peer=$2 n=$UDP_IDLE_N r0 r1 hpid line
	[ "$peer" = direct ] && return
	[ "$peer" = socat ] && n=$UDP_FORK_N
	sleep 0.5
	r0=$(rss_kib ${UPIDS[$peer]})
	res "$sec" "$peer" udp_idle_rss_kib "$r0"
	"$out/udpassoc" hold "${ENTRY[$peer]}" "$n" > "$tmp/hold.out" 2> "$tmp/hold.err" &
	hpid=$!
	PIDS+=("$hpid")
	if wait_line "$tmp/hold.out" '^ready' 60; then
		sleep 1
		line=$(cat "$tmp/hold.out")
		r1=$(rss_kib ${UPIDS[$peer]})
		res "$sec" "$peer" rss_per_assoc_kib "$(awk -v a="$r0" -v b="$r1" -v n="$(kv ok "$line")" 'BEGIN { printf "%.3f", n ? (b - a) / n : 0 }')"
		res "$sec" "$peer" idle_assoc_n "$(kv ok "$line")/$n"
	else
		res "$sec" "$peer" rss_per_assoc_kib fail
	fi
	stop "$hpid"
}

bench_udp() {
	local set peer r sz fl relays=
	for peer in $RELAYS; do
		peer_udp "$peer" && relays+="$peer "
		# nginx with xwpf's receive buffer beside nginx as it comes
		[ "$peer" = nginx ] && [[ " $RELAYS " != *" nginx-buf "* ]] && relays+="nginx-buf "
	done
	# shellcheck disable=SC2086
	log "UDP: $relays"
	# round trip and new associations, to the echo server
	start_set udp "$ECHO_PORT" 1 $relays
	set=$SET
	for peer in $relays; do
		[[ " $set " == *" $peer "* ]] || res udp "$peer" absent "${WHY[$peer]:-did not start}"
	done
	[ -n "$set" ] || return
	for ((r = 0; r < ROUNDS; r++)); do
		log "UDP round $((r + 1))/$ROUNDS: round trip"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do udp_round udp "$peer"; alive udp "$peer" "UDP round trip"; done
	done
	for peer in $set; do stop_peer "$peer"; done
	# new associations: a fresh relay for each measurement (a relay keeps its
	# associations 30 s, and three relays' together would want more source
	# ports toward the echo than the kernel has), warmed by UDP_WARM_N, and
	# the yardstick (udpnull) among them
	for ((r = 0; r < ROUNDS; r++)); do
		log "UDP round $((r + 1))/$ROUNDS: new associations/s"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set udpnull); do
			if [ "$peer" = udpnull ]; then
				start_udpnull || continue
			else
				start_set udp "$ECHO_PORT" 1 "$peer"
				[ -n "$SET" ] || continue
			fi
			timeout 30 "$out/udpassoc" rate "${ENTRY[$peer]}" "$UDP_WARM_N" 64 > /dev/null 2>&1
			assoc_round udp "$peer"
			alive udp "$peer" "new associations"
			stop_peer "$peer"
		done
	done
	# idle associations: fresh relays (no associations left from the rate test), one at a time
	start_set udp "$ECHO_PORT" 1 $set
	for peer in $SET; do
		log "$peer: RSS with $UDP_IDLE_N idle UDP associations"
		idle_assoc udp "$peer"
		alive udp "$peer" "idle associations"
		stop_peer "$peer"
	done
	# under overload, to the iperf3 server
	start_set udp "$IPERF_PORT" 1 $set
	set=$SET
	for ((r = 0; r < ROUNDS; r++)); do
		log "UDP round $((r + 1))/$ROUNDS: iperf3 -u -b 0 -l 1200"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do ovl_round udp "$peer"; alive udp "$peer" "UDP overload"; done
	done
	for peer in $set; do stop_peer "$peer"; done
	# the no-drop rate, to udprate's own sink
	new_port low && SINK_PORT=$NEWPORT
	start_set udp "$SINK_PORT" 1 $set
	set=$SET
	for ((r = 0; r < ROUNDS; r++)); do
		for sz in 1200 64; do
			for fl in 1 64; do
				log "UDP round $((r + 1))/$ROUNDS: no-drop rate, $sz B, $fl flow(s)"
				# shellcheck disable=SC2046
				for peer in $(rotate "$r" $set); do nodrop_round udp "$peer" "$sz" "$fl"; alive udp "$peer" "no-drop rate"; done
			done
		done
	done
	for peer in $set; do stop_peer "$peer"; done
}

# ---- 10,000 rules ----------------------------------------------------------
# rules_window N: the first port of N consecutive ports below the ephemeral
# range with no TCP listener (so no client's ephemeral port can land there)
rules_window() {
	local n=$1 lo a
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	for ((a = lo - n - 500; a >= 1100; a -= 1000)); do
		[ "$(ss -Htln "( sport >= :$a and sport <= :$((a + n - 1)) )" 2>/dev/null | wc -l)" = 0 ] && { echo "$a"; return 0; }
	done
	return 1
}

# rules_run WORKERS SUFFIX: start a relay on the 10,000-rule store, time until every port listens
rules_run() {
	local w=$1 sfx=$2 d=$tmp/rules t0 line pid ms
	sed -i "s/^workers = .*/workers = $w/" "$d/etc/xwpf/xwpf.conf"
	t0=$(date +%s%N)
	XWPF_ROOT=$d spawn "$XWPF" relay 2> "$d/relay$sfx.log"
	pid=$!
	line=$("$out/portwait" "$RULES_FIRST" "$RULES_N" 30 "$t0")
	ms=$(kv ms "$line")
	# CPU the relay used until then: the figure the load of other processes does not inflate
	kill -0 "$pid" 2>/dev/null && res rules xwpf "rules_cpu_ms$sfx" "$(( $(cpu_ticks "$pid") * 1000 / TICK ))" &&
		res rules xwpf "rules_rss_kib$sfx" "$(rss_kib "$pid")"
	stop "$pid"
	if [ -n "$ms" ] && [ "$ms" != timeout ] && [ "$(kv probe_failed "$line")" = 0 ]; then
		res rules xwpf "rules_listen_ms$sfx" "$ms"
		return 0
	fi
	log "xwpf: $RULES_N rules, $w workers: $line; relay log: $(grep -v '^ *$' "$d/relay$sfx.log" | tail -n 2 | tr '\n' ' ')"
	res rules xwpf "rules_listen_ms$sfx" "fail($(kv listening "$line") listening)"
	res rules xwpf "rules_error$sfx" "$(grep -v '^ *$' "$d/relay$sfx.log" | tail -n 1 | cut -c1-160)"
	return 1
}

bench_rules() {
	local n=$RULES_N d=$tmp/rules t0
	have_relay || { res rules xwpf rules_listen_ms "pending(xwpf relay not in this build)"; return; }
	RULES_FIRST=$(rules_window "$n") || { res rules xwpf rules_listen_ms "fail(no free window of $n ports)"; return; }
	mkdir -p "$d/etc/xwpf"
	log "xwpf: $n rules on 127.0.0.1:$RULES_FIRST-$((RULES_FIRST + n - 1)), $WORKERS workers"
	awk -v n="$n" -v first="$RULES_FIRST" -v remote="127.0.0.1:$ECHO_PORT" -v w="$WORKERS" 'BEGIN {
		printf "[global]\nworkers = %d\nlog_level = warn\n\n", w
		for (i = 0; i < n; i++)
			printf "[rule b%05d]\nlisten = 127.0.0.1:%d\nremote = %s\n\n", i, first + i, remote
	}' > "$d/etc/xwpf/xwpf.conf"
	t0=$(date +%s%N)
	if XWPF_ROOT=$d "$XWPF" rule check > "$d/check.log" 2>&1; then
		res rules xwpf rules_check_ms "$(( ($(date +%s%N) - t0) / 1000000 ))"
	else
		log "xwpf rule check refused the generated store: $(head -n 3 "$d/check.log" | tr '\n' ' ')"
	fi
	res rules xwpf rules_workers "$WORKERS"
	rules_run "$WORKERS" "" && return
	# one listener per rule per worker: $WORKERS x $n descriptors may exceed RLIMIT_NOFILE here
	log "xwpf: $n rules again with 1 worker (descriptor limit $(ulimit -Hn))"
	rules_run 1 _w1
}

# ---- the TLS tunnel bench --------------------------------------------------
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$CN" -addext "subjectAltName=DNS:$CN" \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" > /dev/null 2>&1
}

bench_tunnels() {
	local set peer r
	command -v openssl > /dev/null && make_cert || { log "openssl could not make a test certificate"; return; }
	log "tunnels to the echo server: $TUNNELS"
	start_set tls "$ECHO_PORT" 0 $TUNNELS
	set=$SET
	for peer in $TUNNELS; do
		[[ " $set " == *" $peer "* ]] && continue
		case $peer in
		xwpf-*) res tls "$peer" absent "pending: ${WHY[$peer]:-did not start}" ;;
		*) res tls "$peer" absent "${WHY[$peer]:-did not start}" ;;
		esac
	done
	[ -n "$set" ] || return
	for peer in $set; do
		log "$peer: idle memory, $TLS_IDLE_N idle TLS connections"
		measure_idle tls "$peer" "$TLS_IDLE_N"
		alive tls "$peer" "$TLS_IDLE_N idle TLS connections"
	done
	for ((r = 0; r < ROUNDS; r++)); do
		log "round $((r + 1))/$ROUNDS: tunnel connections/s"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do cps_round tls "$peer"; alive tls "$peer" "tunnel connections/s"; done
	done
	for peer in $set; do stop_peer "$peer"; done

	start_set tls "$IPERF_PORT" 0 $set
	set=$SET
	for ((r = 0; r < ROUNDS; r++)); do
		log "round $((r + 1))/$ROUNDS: tunnel throughput, 1 and 8 streams"
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do iperf_round tls "$peer" 1 tput1_gbps; alive tls "$peer" "tunnel 1-stream throughput"; done
		# shellcheck disable=SC2046
		for peer in $(rotate "$r" $set); do iperf_round tls "$peer" 8 tput8_gbps; alive tls "$peer" "tunnel 8-stream throughput"; done
	done
	for peer in $set; do stop_peer "$peer"; done
}

# ---- main ------------------------------------------------------------------
install_peers
build_tools
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ -x "$XWPF" ] || log "no xwpf binary at $XWPF: run make first (xwpf is reported as absent)"

note started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
note cpus "$(nproc)"
note kernel "$(uname -r)"
note load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
note quick "$QUICK"
note rounds "$ROUNDS"
note workers "$WORKERS"
note nofile "$(ulimit -n)"
note settings "xwpf: relay $(have_relay && xwpf_workers_args | grep -q . && echo "with $(xwpf_workers_args)" || echo "default workers (one per CPU = $(nproc))"); haproxy $(haproxy -v 2>/dev/null | awk 'NR==1 {print $3}'): nbthread $WORKERS, mode tcp, splice-auto + splice-request/response; nginx $(nginx -v 2>&1 | sed 's|.*/||'): worker_processes $WORKERS, stream proxy_pass, reuseport (nginx-buf: the same with rcvbuf=4m on its UDP listener, the buffer xwpf asks for); socat $(socat -V 2>/dev/null | awk 'NR==2 {print $3}'): fork per connection, nodelay; every listener backlog 4096"
note method "every relay up at once; $ROUNDS round(s), rotated order, median reported: iperf3 -t $IPERF_T -O 1 (1 and 8 streams); ping-pong $LAT_N x 1 byte; $CONC clients x ${CPS_T}s short connections (send 6 B, echo, server closes); memory one relay at a time: $IDLE_N idle connections, (VmRSS after - before)/N summed over the relay's processes"
note xwpf_version "$([ -x "$XWPF" ] && "$XWPF" --version 2>/dev/null | head -n 1)"
note git "$(git -C "$top" rev-parse --short HEAD 2>/dev/null)"

new_port && ECHO_PORT=$NEWPORT
new_port low && IPERF_PORT=$NEWPORT
spawn "$out/echosrv" "$ECHO_PORT"
spawn iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" --idle-timeout 60 > /dev/null 2>&1
listening "$ECHO_PORT" 10 && listening "$IPERF_PORT" 10 || { log "the echo or iperf3 server did not start"; exit 1; }

note udp_method "iperf3 -u -b 0 -l 1200 -t $UDP_T (received); no-drop: udprate, loss < 0.1% over ${UDP_TRIAL_MS} ms, binary search of $UDP_ITER steps under the sender's top rate; $UDP_ASSOC_N new associations (socat $UDP_FORK_N: a process each), 64 at once, through a fresh relay after $UDP_WARM_N, and through udpnull (the yardstick); $UDP_IDLE_N idle associations (socat $UDP_FORK_N)"
. "$here/chain.sh"
if [ -n "${BENCH_UDP_ONLY:-}" ]; then
	bench_udp
elif [ -z "${BENCH_TUNNEL_ONLY:-}${BENCH_CHAIN_ONLY:-}" ]; then
	bench_relays
	if [ -z "${BENCH_NO_UDP:-}" ]; then
		bench_udp
	fi
	[ -n "${BENCH_NO_RULES:-}" ] || bench_rules
fi
if [ -z "${BENCH_NO_TUNNEL:-}${BENCH_CHAIN_ONLY:-}" ] && [ -z "${BENCH_UDP_ONLY:-}" ]; then
	note tls_settings "TLS 1.2, $TLS_SUITE, EC P-256 test certificate, each end its own process (xwpf --workers $WORKERS --cpu-affinity no on both ends, as two relays on one machine must run, nginx worker_processes $WORKERS, stunnel threads), peers' default session resumption; RSS per idle TLS connection = (both ends' RSS delta) / (2 x $TLS_IDLE_N)"
	bench_tunnels
fi
[ -n "${BENCH_NO_CHAIN:-}${BENCH_UDP_ONLY:-}${BENCH_TUNNEL_ONLY:-}" ] || bench_chain
medians
note load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
note finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

python3 "$here/report.py" "$tsv" "$out/results.json" | tee "$out/results.txt"
