#!/usr/bin/env bash
# bench/udp_levers.sh: what each UDP lever of lib/relay/udp.c pays. Builds
# xwpf once per variant (every lever on; each one off alone; all off:
# -DUDP_LEVER_x=0) and runs them in turn, BENCH_ROUNDS rounds (default 3),
# the order rotated each round: iperf3 -u -b 0 -l 1200 received and the
# relay's CPU per datagram, the no-drop rate of 1,200-byte datagrams (one
# flow, udprate), new associations/s. Prints the medians and on/off ratios.
# BENCH_VARIANTS="on rcvbuf_1024k no_rcvbuf" picks variants (rcvbuf_Nk: a
# receive buffer of N KiB instead of UDP_RCVBUF).
# Every process is stopped by PID; every wait is bounded.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$top/build/bench
ROUNDS=${BENCH_ROUNDS:-3}
TRIAL_MS=${BENCH_TRIAL_MS:-1000}
VARIANTS=${BENCH_VARIANTS:-on no_mmsg no_gso no_rcvbuf off}
tmp=$(mktemp -d /tmp/xwpf-levers.XXXXXX)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[levers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
flags() {
	case $1 in
	on) echo "" ;;
	no_mmsg) echo "-DUDP_LEVER_MMSG=0" ;;
	no_gso) echo "-DUDP_LEVER_GSO=0" ;;
	no_rcvbuf) echo "-DUDP_LEVER_RCVBUF=0" ;;
	off) echo "-DUDP_LEVER_MMSG=0 -DUDP_LEVER_GSO=0 -DUDP_LEVER_RCVBUF=0" ;;
	rcvbuf_*k) local k=${1#rcvbuf_}; echo "-DUDP_RCVBUF=$((${k%k} * 1024))" ;;
	esac
}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$out"
for t in echosrv udprate udpassoc; do
	cc -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE -pthread -o "$out/$t" "$here/tools/$t.c" || exit 1
done
make -C "$top" -s -j2 > /dev/null || exit 1
for v in $VARIANTS; do
	b=$top/build/lever-$v
	rm -rf "$b"
	cp -a "$top/build/x86_64" "$b"
	rm -f "$b/lib/relay/udp.o"
	log "building $v $(flags $v)"
	make -C "$top" -s BUILD="$b" OUT="$b/xwpf" CFLAGS="-Os -g $(flags $v)" "$b/xwpf" > /dev/null || exit 1
done

E=$(port); I=$(port)
"$out/echosrv" "$E" & PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p "$I" > /dev/null 2>&1 & PIDS+=($!)
sleep 0.5
res=$tmp/res
: > "$res"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
for ((r = 0; r < ROUNDS; r++)); do
	set -- $VARIANTS
	vs=("$@")
	n=$((r % ${#vs[@]}))
	for v in "${vs[@]:n}" "${vs[@]:0:n}"; do
		L=$(port); S=$(port)
		"$top/build/lever-$v/xwpf" relay -l "127.0.0.1:$L" -r "127.0.0.1:$I" -u --workers 2 2> /dev/null & x=$!
		sleep 0.5
		c0=$(ticks $x)
		v1=$(timeout 20 iperf3 -u -b 0 -l 1200 -c 127.0.0.1 -p "$L" -t 3 -J 2> /dev/null | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["end"]["sum_received"]; print("%.1f %d" % (r["bits_per_second"] / 1e6, r["bytes"] // 1200))
except Exception:
    print("fail 0")')
		c1=$(ticks $x)
		kill $x; wait $x 2> /dev/null
		set -- $v1
		echo "$v ovl_mbps $1" >> "$res"
		[ "$2" -gt 0 ] && echo "$v relay_us_per_dgram $(awk -v t=$((c1 - c0)) -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')" >> "$res"
		"$top/build/lever-$v/xwpf" relay -l "127.0.0.1:$L" -r "127.0.0.1:$S" -u -t --workers 2 2> /dev/null & x=$!
		sleep 0.5
		line=$(timeout 120 "$out/udprate" "$L" "$S" 1200 1 "$TRIAL_MS" 6)
		echo "$v nodrop1200_pps $(sed -n 's/.*pps=\([0-9]*\) .*/\1/p' <<< "$line" | head -n 1)" >> "$res"
		kill $x; wait $x 2> /dev/null
		"$top/build/lever-$v/xwpf" relay -l "127.0.0.1:$L" -r "127.0.0.1:$E" -u -t --workers 2 2> /dev/null & x=$!
		sleep 0.5
		line=$(timeout 60 "$out/udpassoc" rate "$L" 3000 64)
		echo "$v assoc_rate $(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<< "$line")" >> "$res"
		kill $x; wait $x 2> /dev/null
		log "round $((r + 1)) $v done"
	done
done
python3 - "$res" $VARIANTS <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 3:
        try:
            rows.setdefault(p[1], {}).setdefault(p[0], []).append(float(p[2]))
        except ValueError:
            pass
vs = sys.argv[2:]
med = lambda l: sorted(l)[len(l) // 2] if l else None
print("%-22s" % "metric (median)" + "".join("%12s" % v for v in vs) + "   on/off per lever")
for m, d in rows.items():
    vals = {v: med(d.get(v, [])) for v in vs}
    line = "%-22s" % m + "".join("%12s" % ("-" if vals[v] is None else "%.1f" % vals[v]) for v in vs)
    on = vals.get("on")
    rat = []
    for v in vs[1:]:
        if on and vals.get(v):
            rat.append("%s %.2fx" % (v, on / vals[v]))
    print(line + "   " + ", ".join(rat))
PY
