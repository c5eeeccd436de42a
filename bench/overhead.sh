#!/usr/bin/env bash
# bench/overhead.sh: what the traffic ledger and an idle limit configuration
# cost. Two relays from the same build, side by side on loopback,
# measured in alternating rounds (medians):
#   off  xwpf relay -l -r: no store, so no ledger, no limits (the per-rule
#        counters the stats file has always had still count)
#   on   a store rule with the ledger (flushed every second) and every limit
#        set but never reached: allow/deny lists, max_conns, per-source caps,
#        100 Gbit/s caps each way and per connection, a 1 PiB quota
# Figures: iperf3 single stream (Gbit/s) and connrate (connections/s, 64
# clients), then on/off. Run: bash bench/overhead.sh (make bench runs it too).
set -u
here=$(cd "$(dirname "$0")" && pwd)
XWPF=${XWPF:-$here/../xwpf}
out=${BENCH_OUT:-$here/../build/bench}
rounds=${BENCH_ROUNDS:-3}
mkdir -p "$out"
tmp=$(mktemp -d /tmp/xwpf-overhead.XXXXXX)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
log() { printf '[overhead %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
for t in echosrv connrate portwait; do
	[ -x "$out/$t" ] && [ "$out/$t" -nt "$here/tools/$t.c" ] ||
		${HOSTCC:-cc} -O2 -Wall -std=c11 -D_GNU_SOURCE -o "$out/$t" "$here/tools/$t.c" || exit 1
done
command -v iperf3 >/dev/null || { log "iperf3 missing (apt-get install iperf3)"; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up() { local i; for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

E=$(port) I=$(port) Loff=$(port) Ion=$(port) Eon=$(port) Ioff=$(port)
"$out/echosrv" "$E" & PIDS+=($!)
iperf3 -s -p "$I" >/dev/null 2>&1 & PIDS+=($!)
"$XWPF" relay -l "127.0.0.1:$Loff" -r "127.0.0.1:$E" --workers 2 2>"$tmp/off.log" & PIDS+=($!)
"$XWPF" relay -l "127.0.0.1:$Ioff" -r "127.0.0.1:$I" --workers 2 2>>"$tmp/off.log" & PIDS+=($!)
mkdir -p "$tmp/root/etc/xwpf"
limits='allow = 127.0.0.0/8, ::1/128
deny = 192.0.2.0/24
max_conns = 1000000
max_conns_per_src = 100000
new_conns_per_src = 1000000
rate_in = 100gbit
rate_out = 100gbit
conn_rate = 100gbit
quota = 1024T
quota_action = stop'
cat > "$tmp/root/etc/xwpf/xwpf.conf" <<EOT
[global]
workers = 2
ledger_interval = 1s
[rule echo]
listen = 127.0.0.1:$Eon
remote = 127.0.0.1:$E
$limits
[rule iperf]
listen = 127.0.0.1:$Ion
remote = 127.0.0.1:$I
$limits
EOT
"$XWPF" --root "$tmp/root" relay 2>"$tmp/on.log" & PIDS+=($!)
for p in $E $I $Loff $Ioff $Eon $Ion; do up "$p" || { log "port $p did not come up"; cat "$tmp"/*.log; exit 1; }; done

gbit() { iperf3 -c 127.0.0.1 -p "$1" -t 3 -O 1 -J 2>/dev/null |
	python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'; }
cps() { "$out/connrate" "$1" 64 3 | sed -n 's/.*cps=\([0-9.]*\).*/\1/p'; }
declare -A R
for ((r = 1; r <= rounds; r++)); do
	for v in off on; do   # alternate, order flipped each round
		[ $((r % 2)) = 0 ] && v=$([ $v = off ] && echo on || echo off)
		if [ $v = off ]; then ip=$Ioff ep=$Loff; else ip=$Ion ep=$Eon; fi
		R[$v.gbit]+="$(gbit $ip) "
		R[$v.cps]+="$(cps $ep) "
		log "round $r $v: ${R[$v.gbit]}Gbit/s, ${R[$v.cps]}conn/s"
	done
done
med() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
g0=$(med <<<"${R[off.gbit]}") g1=$(med <<<"${R[on.gbit]}") c0=$(med <<<"${R[off.cps]}") c1=$(med <<<"${R[on.cps]}")
{
	echo "ledger + idle limits (on) against the same build without them (off), medians of $rounds rounds:"
	printf '%-24s %10s %10s %8s\n' metric off on on/off
	printf '%-24s %10s %10s %8s\n' "1 stream, Gbit/s" "$g0" "$g1" "$(awk -v a="$g1" -v b="$g0" 'BEGIN { printf "%.3f", a / b }')"
	printf '%-24s %10s %10s %8s\n' "connections/s" "$c0" "$c1" "$(awk -v a="$c1" -v b="$c0" 'BEGIN { printf "%.3f", a / b }')"
} | tee "$out/overhead.txt"
