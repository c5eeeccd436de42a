#!/usr/bin/env bash
# bench/run.sh: `make bench`. xwpf beside haproxy, nginx stream, socat and a
# direct connection, on 127.0.0.1, in one run (issue 3, Benchmark), then the
# TLS tunnel bench beside stunnel4 and nginx stream ssl (issue 5).
#
#   bench/run.sh               the full pass (about 6-8 minutes)
#   BENCH_QUICK=1 bench/run.sh a short pass (about 2 minutes)
#   BENCH_ONLY="xwpf haproxy"  restrict the peers (direct, xwpf, haproxy, nginx, socat)
#   BENCH_NO_TUNNEL=1          skip the tunnel part;  BENCH_NO_RULES=1  skip 10,000 rules
#   XWPF=PATH                  the binary (default ./xwpf)
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
: > "$tsv"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	IPERF_T=2 CPS_T=2 LAT_N=3000 IDLE_N=1000 TLS_IDLE_N=500 RULES_N=10000
else
	IPERF_T=5 CPS_T=5 LAT_N=20000 IDLE_N=2500 TLS_IDLE_N=2500 RULES_N=10000
fi
WORKERS=2
CONC=64
PEERS=${BENCH_ONLY:-direct xwpf haproxy nginx socat}
CN=bench.test
TLS_SUITE=ECDHE-ECDSA-AES128-GCM-SHA256

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# res SECTION PEER METRIC VALUE: one figure for the report
res() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$tsv"; }
note() { res note - "$1" "$2"; }
# kv KEY LINE: the value of KEY=VALUE in a tool's output line
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<< "$2"; }

# ---- processes -------------------------------------------------------------
PIDS=()
PEER_PID= PEER_UDP_PID=
TUN_PIDS=()
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

# rss_kib PID: VmRSS summed over the process tree; pss_kib: the same for Pss
rss_kib() {
	local f=() p
	for p in $(tree "$1"); do f+=("/proc/$p/status"); done
	cat "${f[@]}" 2>/dev/null | awk '/^VmRSS:/ { s += $2 } END { print s + 0 }'
}
pss_kib() {
	local f=() p
	for p in $(tree "$1"); do f+=("/proc/$p/smaps_rollup"); done
	cat "${f[@]}" 2>/dev/null | awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}
# cpu_ticks PID: utime+stime summed over the tree (clock ticks)
cpu_ticks() {
	local f=() p
	for p in $(tree "$1"); do f+=("/proc/$p/stat"); done
	cat "${f[@]}" 2>/dev/null | awk '{ sub(/.*\) /, ""); s += $12 + $13 } END { print s + 0 }'
}
TICK=$(getconf CLK_TCK)

# ---- ports -----------------------------------------------------------------
USED_PORTS=" "
# new_port: a TCP+UDP port free on 127.0.0.1 now and not handed out before
new_port() {
	local p i
	for ((i = 0; i < 20; i++)); do
		p=$(python3 - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
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
		echo "$p"
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

# ---- setup -----------------------------------------------------------------
install_peers() {
	local pkgs=()
	command -v haproxy > /dev/null || pkgs+=(haproxy)
	command -v nginx > /dev/null || pkgs+=(nginx-light)
	[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || nginx -V 2>&1 | grep -q -- '--with-stream ' ||
		pkgs+=(libnginx-mod-stream)
	command -v socat > /dev/null || pkgs+=(socat)
	command -v iperf3 > /dev/null || pkgs+=(iperf3)
	command -v stunnel4 > /dev/null || pkgs+=(stunnel4)
	command -v openssl > /dev/null || pkgs+=(openssl)
	[ ${#pkgs[@]} -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
		log "installing ${pkgs[*]}"
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 ||
			log "apt-get install failed: the missing peers are skipped"
	else
		log "missing ${pkgs[*]} (run as root to install them): those peers are skipped"
	fi
}

build_tools() {
	local t
	for t in echosrv pingpong connrate idleconn portwait; do
		if [ ! -x "$out/$t" ] || [ "$here/tools/$t.c" -nt "$out/$t" ] || [ "$here/tools/common.h" -nt "$out/$t" ]; then
			${HOSTCC:-cc} -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE -o "$out/$t" "$here/tools/$t.c" ||
				{ log "cannot build bench/tools/$t.c"; exit 1; }
		fi
	done
}

have_relay() { [ -x "$XWPF" ] && "$XWPF" --list 2>/dev/null | grep -qx relay; }
relay_help() { "$XWPF" relay --help 2>&1; }

peer_available() {
	case $1 in
	direct) return 0 ;;
	xwpf) have_relay ;;
	haproxy) command -v haproxy > /dev/null ;;
	nginx) command -v nginx > /dev/null ;;
	socat) command -v socat > /dev/null ;;
	*) return 1 ;;
	esac
}
peer_udp() { case $1 in direct | xwpf | nginx | socat) return 0 ;; *) return 1 ;; esac; }

# xwpf_workers_args: how this build of `xwpf relay` takes a worker count
xwpf_workers_args() {
	local h
	h=$(relay_help)
	if grep -q -- '--workers' <<< "$h"; then echo "--workers $WORKERS"
	elif grep -qE -- '(^|[ ,])-w[ ,]' <<< "$h"; then echo "-w $WORKERS"
	fi
}

NGINX_MOD=
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] && ! nginx -V 2>&1 | grep -q -- '--with-stream ' &&
	NGINX_MOD="load_module /usr/lib/nginx/modules/ngx_stream_module.so;"

nginx_conf() {   # DIR BODY: write DIR/nginx.conf around a stream{} body
	cat > "$1/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
worker_rlimit_nofile 20000;
pid $1/nginx.pid;
error_log $1/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;")
$NGINX_MOD
events { worker_connections 10000; }
stream {
$2
}
EOF
}

# start_peer PEER LISTEN_PORT BACKEND_PORT UDP(0|1): sets PEER_PID (empty for direct)
start_peer() {
	local peer=$1 l=$2 b=$3 udp=$4 d=$tmp/$1-$2
	PEER_PID= PEER_UDP_PID=
	mkdir -p "$d"
	case $peer in
	direct) return 0 ;;
	xwpf)
		# shellcheck disable=SC2046
		XWPF_ROOT=$d spawn "$XWPF" relay -l "127.0.0.1:$l" -r "127.0.0.1:$b" $([ "$udp" = 1 ] && echo -u) \
			$(xwpf_workers_args) 2> "$d/log"
		PEER_PID=$! ;;
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
    bind 127.0.0.1:$l
    server s1 127.0.0.1:$b
EOF
		spawn haproxy -db -f "$d/haproxy.cfg" 2> "$d/log"
		PEER_PID=$! ;;
	nginx)
		nginx_conf "$d" "
    server { listen 127.0.0.1:$l reuseport backlog=4096; proxy_pass 127.0.0.1:$b;
             proxy_connect_timeout 5s; proxy_timeout 1h; }
$([ "$udp" = 1 ] && echo "    server { listen 127.0.0.1:$l udp reuseport; proxy_pass 127.0.0.1:$b; proxy_timeout 30s; }")"
		spawn nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 2> "$d/log"
		PEER_PID=$! ;;
	socat)
		spawn socat "TCP4-LISTEN:$l,bind=127.0.0.1,fork,reuseaddr,backlog=4096,nodelay" \
			"TCP4:127.0.0.1:$b,nodelay" 2> "$d/log"
		PEER_PID=$!
		if [ "$udp" = 1 ]; then
			spawn socat "UDP4-LISTEN:$l,bind=127.0.0.1,fork,reuseaddr" "UDP4:127.0.0.1:$b" 2> "$d/log.udp"
			PEER_UDP_PID=$!
		fi ;;
	esac
	if ! listening "$l" 10; then
		log "$peer did not listen on 127.0.0.1:$l: $(tail -n 3 "$d/log" 2>/dev/null | tr '\n' ' ')"
		stop "$PEER_PID"
		PEER_PID=
		return 1
	fi
	sleep 0.3   # let every worker come up
	return 0
}
stop_peer() {
	stop "$PEER_PID"
	stop "$PEER_UDP_PID"
	PEER_PID= PEER_UDP_PID=
}

# ---- measurements ----------------------------------------------------------
# idle_rss PEER PORT: idle process RSS, then RSS per idle connection with IDLE_N open
measure_idle() {
	local peer=$1 l=$2 sec=${3:-tcp} n=${4:-$IDLE_N} pid=${5:-$PEER_PID} r0 p0 r1 p1 line ipid
	[ -n "$pid" ] || { res "$sec" "$peer" idle_rss_kib n/a; res "$sec" "$peer" rss_per_conn_kib n/a; return; }
	sleep 0.5
	r0=$(rss_kib "$pid") p0=$(pss_kib "$pid")
	[ "$sec" = tcp ] && res "$sec" "$peer" idle_rss_kib "$r0" && res "$sec" "$peer" idle_pss_kib "$p0"
	"$out/idleconn" "$l" "$n" > "$tmp/idle.out" 2> "$tmp/idle.err" &
	ipid=$!
	PIDS+=("$ipid")
	if wait_line "$tmp/idle.out" '^ready' 100; then
		sleep 1
		line=$(cat "$tmp/idle.out")
		r1=$(rss_kib "$pid") p1=$(pss_kib "$pid")
		if [ "$(kv ok "$line")" = "$n" ]; then
			res "$sec" "$peer" rss_per_conn_kib "$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')"
			res "$sec" "$peer" pss_per_conn_kib "$(awk -v a="$p0" -v b="$p1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')"
		else
			log "$peer: only $(kv ok "$line") of $n idle connections opened"
			res "$sec" "$peer" rss_per_conn_kib "fail($(kv ok "$line")/$n)"
		fi
	else
		log "$peer: idle connections not ready in 100 s"
		res "$sec" "$peer" rss_per_conn_kib fail
	fi
	stop "$ipid"
	sleep 1   # let the relay close its side
}

measure_latency() {   # PEER PORT
	local line
	line=$(timeout 90 "$out/pingpong" tcp "$2" "$LAT_N" 2>&1)
	if [ -n "$(kv p50_us "$line")" ]; then
		res tcp "$1" lat_p50_us "$(kv p50_us "$line")"
		res tcp "$1" lat_p99_us "$(kv p99_us "$line")"
	else
		log "$1: latency: $line"
		res tcp "$1" lat_p50_us fail
		res tcp "$1" lat_p99_us fail
	fi
}

measure_cps() {   # SECTION PEER PORT [PID]
	local line c0 c1 pid=${4:-}
	[ -n "$pid" ] && c0=$(cpu_ticks "$pid")
	line=$(timeout $((CPS_T + 30)) "$out/connrate" "$3" "$CONC" "$CPS_T" 2>&1)
	[ -n "$pid" ] && c1=$(cpu_ticks "$pid") &&
		res "$1" "$2" cps_relay_cpu_pct "$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v s="$CPS_T" 'BEGIN { printf "%.0f", (b - a) / t / s * 100 }')"
	if [ -n "$(kv cps "$line")" ]; then
		res "$1" "$2" cps "$(kv cps "$line")"
		[ "$(kv failed "$line")" != 0 ] && res "$1" "$2" cps_failed "$(kv failed "$line")"
	else
		log "$2: connection rate: $line"
		res "$1" "$2" cps fail
	fi
}

measure_udp() {   # PEER PORT
	local line
	line=$(timeout 90 "$out/pingpong" udp "$2" "$LAT_N" 2>&1)
	if [ -n "$(kv p50_us "$line")" ]; then
		res udp "$1" udp_p50_us "$(kv p50_us "$line")"
		[ "$(kv lost "$line")" != 0 ] && res udp "$1" udp_lost "$(kv lost "$line")"
	else
		log "$1: udp: $line"
		res udp "$1" udp_p50_us fail
	fi
}

# iperf SECTION PEER PORT STREAMS METRIC [PID]: Gbit/s received by the iperf3 server behind the relay
measure_iperf() {
	local sec=$1 peer=$2 l=$3 p=$4 m=$5 pid=${6:-} js v c0 c1
	[ -n "$pid" ] && c0=$(cpu_ticks "$pid")
	js=$(timeout $((IPERF_T + 30)) iperf3 -c 127.0.0.1 -p "$l" -t "$IPERF_T" -O 1 -P "$p" -J 2> /dev/null)
	[ -n "$pid" ] && c1=$(cpu_ticks "$pid") &&
		res "$sec" "$peer" "${m}_relay_cpu_pct" "$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v s="$((IPERF_T + 1))" 'BEGIN { printf "%.0f", (b - a) / t / s * 100 }')"
	v=$(python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
    print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception as e:
    print("fail")
' <<< "$js")
	[ "$v" = fail ] && log "$peer: iperf3 -P $p failed: $(python3 -c 'import json,sys; print(json.loads(sys.stdin.read()).get("error",""))' <<< "$js" 2>/dev/null)"
	res "$sec" "$peer" "$m" "$v"
}

# ---- the plain TCP/UDP bench -----------------------------------------------
bench_peer() {
	local peer=$1 l udp=0
	if ! peer_available "$peer"; then
		res tcp "$peer" absent "$([ "$peer" = xwpf ] && echo "xwpf relay not in this build" || echo "not installed")"
		return
	fi
	peer_udp "$peer" && udp=1
	log "$peer: idle memory, latency, connections/s$([ $udp = 1 ] && echo ", UDP")"
	l=$ECHO_PORT
	if [ "$peer" != direct ]; then
		l=$(new_port)
		start_peer "$peer" "$l" "$ECHO_PORT" "$udp" || { res tcp "$peer" absent "did not start"; return; }
	fi
	measure_idle "$peer" "$l"
	measure_latency "$peer" "$l"
	measure_cps tcp "$peer" "$l" "$PEER_PID"
	if [ $udp = 1 ]; then
		measure_udp "$peer" "$l"
	else
		res udp "$peer" udp_p50_us n/a
	fi
	stop_peer

	log "$peer: throughput, 1 and 8 streams"
	l=$IPERF_PORT
	if [ "$peer" != direct ]; then
		l=$(new_port)
		start_peer "$peer" "$l" "$IPERF_PORT" 0 || { res tcp "$peer" tput1_gbps fail; return; }
	fi
	measure_iperf tcp "$peer" "$l" 1 tput1_gbps "$PEER_PID"
	measure_iperf tcp "$peer" "$l" 8 tput8_gbps "$PEER_PID"
	stop_peer
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
	kill -0 "$pid" 2>/dev/null && res rules xwpf "rules_rss_kib$sfx" "$(rss_kib "$pid")"
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

# ---- the TLS tunnel bench (issue 5) ----------------------------------------
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$CN" -addext "subjectAltName=DNS:$CN" \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" > /dev/null 2>&1
}

# start_tunnel KIND ENTRY_PORT MID_PORT BACKEND: sets TUN_PIDS (processes to measure)
start_tunnel() {
	local kind=$1 l=$2 m=$3 b=$4 d=$tmp/tun-$1-$2 t
	TUN_PIDS=()
	mkdir -p "$d"
	case $kind in
	stunnel)
		cat > "$d/stunnel.conf" <<EOF
foreground = yes
pid =
output = $d/stunnel.log
debug = 3
[entry]
client = yes
accept = 127.0.0.1:$l
connect = 127.0.0.1:$m
sni = $CN
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.2
ciphers = $TLS_SUITE
[exit]
accept = 127.0.0.1:$m
connect = 127.0.0.1:$b
cert = $tmp/cert.pem
key = $tmp/key.pem
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.2
ciphers = $TLS_SUITE
EOF
		spawn stunnel4 "$d/stunnel.conf" > "$d/log" 2>&1
		TUN_PIDS=($!) ;;
	nginx-ssl)
		nginx_conf "$d" "
    server { listen 127.0.0.1:$l reuseport backlog=4096; proxy_pass 127.0.0.1:$m; proxy_timeout 1h;
             proxy_ssl on; proxy_ssl_protocols TLSv1.2; proxy_ssl_ciphers $TLS_SUITE;
             proxy_ssl_server_name on; proxy_ssl_name $CN; }
    server { listen 127.0.0.1:$m ssl reuseport backlog=4096; proxy_pass 127.0.0.1:$b; proxy_timeout 1h;
             ssl_certificate $tmp/cert.pem; ssl_certificate_key $tmp/key.pem;
             ssl_protocols TLSv1.2; ssl_ciphers $TLS_SUITE; }"
		spawn nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 2> "$d/log"
		TUN_PIDS=($!) ;;
	xwpf-tls | xwpf-wss)
		local ws=
		[ "$kind" = xwpf-wss ] && ws="ws;host=$CN;path=/bench;"
		# shellcheck disable=SC2046
		XWPF_ROOT=$d/exit spawn "$XWPF" relay -l "127.0.0.1:$m" -r "127.0.0.1:$b" \
			-a "${ws}tls;cert=$tmp/cert.pem;key=$tmp/key.pem" $(xwpf_workers_args) 2> "$d/exit.log"
		TUN_PIDS=($!)
		# shellcheck disable=SC2046
		XWPF_ROOT=$d/entry spawn "$XWPF" relay -l "127.0.0.1:$l" -r "127.0.0.1:$m" \
			-b "${ws}tls;sni=$CN;insecure" $(xwpf_workers_args) 2> "$d/entry.log"
		TUN_PIDS+=($!) ;;
	esac
	if ! listening "$l" 10 || ! listening "$m" 10; then
		log "$kind did not listen: $(cat "$d"/*log* 2>/dev/null | tail -n 4 | tr '\n' ' ')"
		stop_tunnel
		return 1
	fi
	sleep 0.3
	# one byte through the tunnel proves the TLS path works end to end
	if ! timeout 10 "$out/pingpong" tcp "$l" 10 > /dev/null 2>&1 && [ "$b" = "$ECHO_PORT" ]; then
		log "$kind: no echo through the tunnel: $(cat "$d"/*log* 2>/dev/null | tail -n 4 | tr '\n' ' ')"
		stop_tunnel
		return 1
	fi
	return 0
}
stop_tunnel() {
	local p
	for p in "${TUN_PIDS[@]}"; do stop "$p"; done
	TUN_PIDS=()
}

# xwpf_tunnel_ready KIND: does this build of `xwpf relay` take TLS/WS transports?
xwpf_tunnel_ready() {
	have_relay || return 1
	relay_help | grep -qE -- '(^|[ ,])-a[ ,]|--listen-transport' || return 1
	return 0
}

# tls_idle KIND PORT: RSS per idle TLS connection, per end: (sum of deltas) / (2 N)
tls_idle() {
	local kind=$1 l=$2 n=$TLS_IDLE_N r0=0 r1=0 p line ipid
	sleep 0.5
	for p in "${TUN_PIDS[@]}"; do r0=$((r0 + $(rss_kib "$p"))); done
	"$out/idleconn" "$l" "$n" > "$tmp/tidle.out" 2> /dev/null &
	ipid=$!
	PIDS+=("$ipid")
	if wait_line "$tmp/tidle.out" '^ready' 100 && [ "$(kv ok "$(cat "$tmp/tidle.out")")" = "$n" ]; then
		sleep 1
		for p in "${TUN_PIDS[@]}"; do r1=$((r1 + $(rss_kib "$p"))); done
		res tls "$kind" tls_rss_per_conn_kib "$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n / 2 }')"
		res tls "$kind" tls_idle_rss_kib "$r0"
	else
		log "$kind: idle TLS connections: $(cat "$tmp/tidle.out")"
		res tls "$kind" tls_rss_per_conn_kib fail
	fi
	stop "$ipid"
	sleep 1
}

bench_tunnel() {
	local kind l m
	command -v openssl > /dev/null && make_cert || { log "openssl could not make a test certificate"; return; }
	for kind in xwpf-tls xwpf-wss stunnel nginx-ssl; do
		case $kind in
		xwpf-*) xwpf_tunnel_ready || { res tls "$kind" absent "pending: xwpf relay has no tls/ws transport in this build"; continue; } ;;
		stunnel) command -v stunnel4 > /dev/null || { res tls "$kind" absent "not installed"; continue; } ;;
		nginx-ssl) command -v nginx > /dev/null || { res tls "$kind" absent "not installed"; continue; } ;;
		esac
		log "$kind: idle TLS memory, connections/s"
		l=$(new_port) m=$(new_port)
		start_tunnel "$kind" "$l" "$m" "$ECHO_PORT" || { res tls "$kind" absent "did not start or relay"; continue; }
		tls_idle "$kind" "$l"
		measure_cps tls "$kind" "$l" "${TUN_PIDS[0]}"
		stop_tunnel
		log "$kind: tunnel throughput, 1 and 8 streams"
		l=$(new_port) m=$(new_port)
		start_tunnel "$kind" "$l" "$m" "$IPERF_PORT" || { res tls "$kind" tput1_gbps fail; continue; }
		measure_iperf tls "$kind" "$l" 1 tput1_gbps
		measure_iperf tls "$kind" "$l" 8 tput8_gbps
		stop_tunnel
	done
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
note workers "$WORKERS"
note nofile "$(ulimit -n)"
note settings "xwpf: relay $(have_relay && xwpf_workers_args | grep -q . && echo "with $(xwpf_workers_args)" || echo "default workers (one per CPU = $(nproc))"); haproxy $(haproxy -v 2>/dev/null | awk 'NR==1 {print $3}'): nbthread $WORKERS, mode tcp, splice-auto + splice-request/response; nginx $(nginx -v 2>&1 | sed 's|.*/||'): worker_processes $WORKERS, stream proxy_pass, reuseport; socat $(socat -V 2>/dev/null | awk 'NR==2 {print $3}'): fork per connection, nodelay"
note method "iperf3 -t $IPERF_T -O 1 (1 and 8 streams); ping-pong $LAT_N x 1 byte; $CONC clients x ${CPS_T}s short connections (send 6 B, echo, server closes); $IDLE_N idle connections, (VmRSS after - before)/N summed over the relay's processes"
note xwpf_version "$([ -x "$XWPF" ] && "$XWPF" --version 2>/dev/null | head -n 1)"
note git "$(git -C "$top" rev-parse --short HEAD 2>/dev/null)"

ECHO_PORT=$(new_port) IPERF_PORT=$(new_port)
spawn "$out/echosrv" "$ECHO_PORT"
spawn iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" --idle-timeout 60 > /dev/null 2>&1
listening "$ECHO_PORT" 10 && listening "$IPERF_PORT" 10 || { log "the echo or iperf3 server did not start"; exit 1; }

for peer in $PEERS; do bench_peer "$peer"; done
[ -n "${BENCH_NO_RULES:-}" ] || bench_rules
if [ -z "${BENCH_NO_TUNNEL:-}" ]; then
	note tls_settings "TLS 1.2, $TLS_SUITE, EC P-256 test certificate, peers' default session resumption; entry and exit on 127.0.0.1; RSS per idle TLS connection = (both ends' RSS delta) / (2 x $TLS_IDLE_N)"
	bench_tunnel
fi
note load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
note finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

python3 "$here/report.py" "$tsv" "$out/results.json" | tee "$out/results.txt"
