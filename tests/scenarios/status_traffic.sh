#!/usr/bin/env bash
# status --traffic and --reset over a ledger written by hand: the table and
# --json figures exactly (bytes, billed per billing mode, quota percent and
# state, cycle start and next reset for TZ=UTC and TZ=Asia/Shanghai, a
# reset day clamped to the month's end), rules without a ledger entry at
# zero, removed rules only with --all, the detail split by TCP/UDP and
# IPv4/IPv6; --reset zeroes the display and never the billing cycle, with
# the relay stopped and running; --reset racing a ledger_update() writer
# loses no byte; a bad ledger line is an error naming the file and the line.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3

mkdir -p "$(dirname "$LEDGER")"
P1=$(free_port); P2=$(free_port); P3=$(free_port)
cat > "$CONF" <<EOF
[global]
billing = in
reset_day = 1
[rule web]
listen = 127.0.0.1:$P1
remote = 127.0.0.1:9
quota = 10G
billing = max
reset_day = 31
[rule game]
listen = 127.0.0.1:$P2
remote = 127.0.0.1:9
protocol = tcp+udp
quota = 1G
quota_action = throttle
quota_rate = 10mbit
[rule idle]
listen = 127.0.0.1:$P3
remote = 127.0.0.1:9
EOF
check "the store validates" "$XWPF" rule check

# cycle TZ DAY [next]: the cycle start (or the next reset) for now, as epoch and
# ISO text, computed apart from xwpf: DAY clamped to the month's last day, 00:00 local
cycle() {
	TZN=$1 DAY=$2 NEXT=${3:-} python3 - <<'PY'
import calendar, datetime, os, zoneinfo
tz = zoneinfo.ZoneInfo(os.environ["TZN"]); day = int(os.environ["DAY"])
now = datetime.datetime.now(tz)
def start(y, m):
    return datetime.datetime(y, m, min(day, calendar.monthrange(y, m)[1]), tzinfo=tz)
y, m = now.year, now.month
s = start(y, m)
if s > now:
    y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    s = start(y, m)
if os.environ["NEXT"]:
    y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    s = start(y, m)
iso = s.isoformat()
print(int(s.timestamp()), iso)
PY
}

# lline NAME KEY=VALUE...: one ledger line as ledger_save writes it (every key, 0 unless given)
lline() {
	local name=$1 k line
	declare -A v=()
	shift
	for k in "$@"; do v[${k%%=*}]=${k#*=}; done
	line="rule $name"
	for k in cycle_start display_since last_cycle fired; do line+=" $k=${v[$k]:-0}"; done
	for k in c d; do
		for p in tcp4 tcp6 udp4 udp6; do line+=" $k.$p.in=${v[$k.$p.in]:-0} $k.$p.out=${v[$k.$p.out]:-0}"; done
		line+=" $k.conns=${v[$k.conns]:-0}"
	done
	echo "$line"
}
# write_ledger TZ: the prepared ledger, cycles starting where xwpf says they do in TZ
write_ledger() {
	local web game
	web=$(cycle "$1" 31 | cut -d' ' -f1); game=$(cycle "$1" 1 | cut -d' ' -f1)
	{
		echo "# xwpf ledger 1"
		lline web cycle_start=$web display_since=1700000000 last_cycle=777 c.tcp4.in=1073741824 c.tcp6.out=3221225472 \
		    c.udp4.in=512 c.udp6.out=1024 c.conns=42 d.tcp4.in=2048 d.tcp4.out=4096 d.conns=5
		lline game cycle_start=$game display_since=1700000000 fired=1 c.tcp4.in=1073741824 c.udp4.in=1 c.tcp4.out=99 \
		    c.conns=3 d.udp6.in=7 d.udp6.out=9 d.conns=1
		lline gone cycle_start=$game display_since=1700000000 c.tcp4.in=10 d.tcp4.in=10 d.conns=1
	} > "$LEDGER"
}

# jq-like: python3 -c over the JSON on stdin; prints what EXPR gives
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); r={x['name']: x for x in d['rules']}; print($1)"; }

for tz in UTC Asia/Shanghai; do
	export TZ=$tz
	write_ledger "$tz"
	read -r ws wsi < <(cycle "$tz" 31); read -r wn wni < <(cycle "$tz" 31 next)
	read -r gs gsi < <(cycle "$tz" 1); read -r gn gni < <(cycle "$tz" 1 next)
	json=$("$XWPF" status --traffic --json); rc=$?
	check_eq "$tz: --traffic --json exits 0" 0 "$rc"
	check_eq "$tz: web cycle in, out, billed (max), conns" "1073742336 3221226496 3221226496 42" \
	    "$(jget "r['web']['cycle']['in'], r['web']['cycle']['out'], r['web']['cycle']['billed'], r['web']['cycle']['conns']" <<<"$json")"
	check_eq "$tz: web split tcp v4 in, tcp v6 out, udp v4 in, udp v6 out" "1073741824 3221225472 512 1024" \
	    "$(jget "r['web']['cycle']['tcp']['v4']['in'], r['web']['cycle']['tcp']['v6']['out'], r['web']['cycle']['udp']['v4']['in'], r['web']['cycle']['udp']['v6']['out']" <<<"$json")"
	check_eq "$tz: web quota, percent, state, billing" "10737418240 30.0 ok max 31" \
	    "$(jget "r['web']['quota'], r['web']['quota_percent'], r['web']['quota_state'], r['web']['billing'], r['web']['reset_day']" <<<"$json")"
	check_eq "$tz: web cycle start and next reset (day 31, clamped)" "$ws $wsi $wn $wni" \
	    "$(jget "r['web']['cycle']['start'], r['web']['cycle']['start_local'], r['web']['cycle']['next_reset'], r['web']['cycle']['next_reset_local']" <<<"$json")"
	check_eq "$tz: web last cycle, display in/out/conns" "777 2048 4096 5" \
	    "$(jget "r['web']['cycle']['last_cycle_billed'], r['web']['display']['in'], r['web']['display']['out'], r['web']['display']['conns']" <<<"$json")"
	since=$(TZ=$tz python3 -c "import datetime,zoneinfo; print(datetime.datetime.fromtimestamp(1700000000, zoneinfo.ZoneInfo('$tz')).isoformat())")
	check_eq "$tz: display since, in local time" "1700000000 $since" \
	    "$(jget "r['web']['display']['since'], r['web']['display']['since_local']" <<<"$json")"
	check_eq "$tz: game billed by the global mode (in), over its quota: throttled" \
	    "1073741825 in 100.0 throttled throttle 1250000 ledger" \
	    "$(jget "r['game']['cycle']['billed'], r['game']['billing'], r['game']['quota_percent'], r['game']['quota_state'], r['game']['quota_action'], r['game']['quota_rate'], r['game']['quota_state_from']" <<<"$json")"
	check_eq "$tz: game cycle from the global reset day 1" "$gs $gn" \
	    "$(jget "r['game']['cycle']['start'], r['game']['cycle']['next_reset']" <<<"$json")"
	check_eq "$tz: idle, not in the ledger: zeros, no quota" "False 0 0 0 None None ok $gs" \
	    "$(jget "r['idle']['counted'], r['idle']['cycle']['billed'], r['idle']['display']['in'], r['idle']['quota'], r['idle']['quota_percent'], r['idle']['display']['since'], r['idle']['quota_state'], r['idle']['cycle']['start']" <<<"$json")"
	check_eq "$tz: the removed rule is left out, counted as hidden" "web,game,idle 1" \
	    "$(jget "','.join(r), d['removed_hidden']" <<<"$json")"
	check_eq "$tz: --all shows the removed rule" "gone False 10" \
	    "$("$XWPF" status --traffic --all --json | jget "r['gone']['name'], r['gone']['in_store'], r['gone']['cycle']['in']")"

	out=$("$XWPF" status --traffic | tr -s ' ')
	wsd=${wsi%%T*}; wnd=${wni%%T*}; gsd=${gsi%%T*}; gnd=${gni%%T*}
	check_eq "$tz: table line of web" "web 1.0 GiB 3.0 GiB 3.0 GiB max 10.0 GiB 30.0% ok $wsd $wnd" \
	    "$(grep '^web ' <<<"$out" | head -n 1)"
	check_eq "$tz: table line of game" "game 1.0 GiB 99 B 1.0 GiB in 1.0 GiB 100.0% throttled at 10 Mbit/s $gsd $gnd" \
	    "$(grep '^game ' <<<"$out" | head -n 1)"
	check_eq "$tz: table line of idle" "idle 0 B 0 B 0 B in - - ok $gsd $gnd" "$(grep '^idle ' <<<"$out" | head -n 1)"
	check_eq "$tz: display line of web" "web 2.0 KiB 4.0 KiB 5 $(TZ=$tz date -d @1700000000 '+%Y-%m-%d %H:%M') -" \
	    "$(grep '^web ' <<<"$out" | sed -n 2p)"
	check "$tz: the units are said" grep -q "binary units (1 KiB = 1024 bytes)" <<<"$out"
	check "$tz: the hidden removed rule is mentioned" grep -q "1 ledger entry of rules no longer in the store: --all" <<<"$out"
	check "$tz: --all marks the removed rule" grep -q "^gone .*(removed)$" <<<"$("$XWPF" status --traffic --all)"
done
export TZ=UTC
write_ledger UTC

# the detail view: one NAME (or --detail)
out=$("$XWPF" status web | tr -s ' ')
check "detail: TCP IPv4 row" grep -qx " TCP IPv4 1.0 GiB 0 B" <<<"$out"
check "detail: TCP IPv6 row" grep -qx " TCP IPv6 0 B 3.0 GiB" <<<"$out"
check "detail: UDP IPv4 row" grep -qx " UDP IPv4 512 B 0 B" <<<"$out"
check "detail: UDP IPv6 row" grep -qx " UDP IPv6 0 B 1.0 KiB" <<<"$out"
check "detail: billed against the quota" grep -qx " billed 3.0 GiB of 10.0 GiB (30.0%): ok" <<<"$out"
check "detail: billing mode said in words" grep -q "^billing: max (the larger of in and out), reset day 31, quota 10.0 GiB, then stop" <<<"$out"
check "--detail shows every rule" test "$("$XWPF" status --traffic --detail | grep -c '^== ')" = 3
check "the detail of a removed rule by name" grep -q "^== gone (removed from the store) ==" <<<"$("$XWPF" status gone)"

# unknown names: exit 1, and the names that exist
"$XWPF" status --traffic nosuch > /dev/null 2> "$T_DIR/err"; rc=$?
check_eq "unknown NAME exits 1" 1 "$rc"
check "unknown NAME lists the rules" grep -q "the rules are: web, game, idle, gone (removed" "$T_DIR/err"
cp "$LEDGER" "$T_DIR/before"
"$XWPF" status --reset web nosuch > /dev/null 2> "$T_DIR/err"; rc=$?
check_eq "--reset of an unknown NAME exits 1" 1 "$rc"
check "--reset of an unknown NAME names it and the rules" grep -q "no rule 'nosuch'.*nothing was reset" "$T_DIR/err"
check "--reset of an unknown NAME lists the names" grep -q "the rules are: web, game, idle, gone" "$T_DIR/err"
check "--reset of an unknown NAME changes nothing (web neither)" cmp -s "$LEDGER" "$T_DIR/before"
check_eq "--reset without a name is a usage error" 2 "$("$XWPF" status --reset > /dev/null 2>&1; echo $?)"
check "--reset of a rule with nothing counted says so" grep -q "^idle: nothing counted yet" <<<"$("$XWPF" status --reset idle)"
check "... and leaves the file as it was" cmp -s "$LEDGER" "$T_DIR/before"

# --reset: the display goes to zero, the billing cycle stays byte for byte
cycle_fields() { grep "^rule $1 " "$LEDGER" | tr ' ' '\n' | grep -E '^(c\.|cycle_start=|last_cycle=|fired=)' | sort | tr '\n' ' '; }
cw=$(cycle_fields web); cg=$(cycle_fields game)
t0=$(date +%s)
out=$("$XWPF" status --reset web); rc=$?
check_eq "--reset web exits 0" 0 "$rc"
check_eq "--reset says what it reset" "web: display counts reset (were in 2.0 KiB, out 4.0 KiB, 5 connections since 2023-11-14 22:13:20 UTC); billing cycle unchanged: 3.0 GiB billed" "$out"
json=$("$XWPF" status --traffic --json)
check_eq "after --reset: web display zero" "0 0 0" "$(jget "r['web']['display']['in'], r['web']['display']['out'], r['web']['display']['conns']" <<<"$json")"
check "after --reset: display since is now" test "$(jget "r['web']['display']['since']" <<<"$json")" -ge "$t0"
check_eq "after --reset: web cycle unchanged" "1073742336 3221226496 3221226496 42 777" \
    "$(jget "r['web']['cycle']['in'], r['web']['cycle']['out'], r['web']['cycle']['billed'], r['web']['cycle']['conns'], r['web']['cycle']['last_cycle_billed']" <<<"$json")"
check_eq "after --reset: the file's cycle fields of web are the same" "$cw" "$(cycle_fields web)"
check_eq "after --reset: game untouched" "7 9 1 $cg" "$(jget "r['game']['display']['in'], r['game']['display']['out'], r['game']['display']['conns']" <<<"$json") $(cycle_fields game)"
out=$("$XWPF" status --reset --all --json)
check_eq "--reset --all --json: what each display held" "web:0 game:7 gone:10" \
    "$(python3 -c "import json,sys; print(' '.join('%s:%d' % (x['name'], x['display']['in']) for x in json.load(sys.stdin)['reset']))" <<<"$out")"
check_eq "--reset --all: every cycle unchanged" "$cw $cg" "$(cycle_fields web) $(cycle_fields game)"

# --reset racing a ledger_update() writer (the relay's path): no byte lost
W=${UNIT_DIR:-}/ledger_writer
if [ -x "$W" ]; then
	write_ledger UTC
	N=300; B=1000; R=30
	spawn "$W" "$LEDGER" web "$N" "$B"; wpid=$!
	: > "$T_DIR/resets"
	for ((i = 0; i < R; i++)); do
		"$XWPF" status --reset --json web >> "$T_DIR/resets" || fail "reset $i failed"
	done
	wait "$wpid"; rc=$?
	check_eq "the writer saved all $N updates" 0 "$rc"
	json=$("$XWPF" status --traffic --json)
	check_eq "race: the cycle has every byte the writer added" \
	    "$((1073742336 + N * B)) $((3221226496 + 2 * N * B)) $((42 + N))" \
	    "$(jget "r['web']['cycle']['in'], r['web']['cycle']['out'], r['web']['cycle']['conns']" <<<"$json")"
	sums=$(python3 -c "
import json, sys
rs = [json.loads(l) for l in open('$T_DIR/resets') if l.strip()]
din = sum(x['display']['in'] for r in rs for x in r['reset'] if x['name'] == 'web')
dout = sum(x['display']['out'] for r in rs for x in r['reset'] if x['name'] == 'web')
dc = sum(x['display']['conns'] for r in rs for x in r['reset'] if x['name'] == 'web')
print(len(rs), din, dout, dc)" )
	read -r nres din dout dc <<<"$sums"
	check_eq "race: every reset answered" "$R" "$nres"
	check_eq "race: displays reset + display left = display before + every byte added" \
	    "$((2048 + N * B)) $((4096 + 2 * N * B)) $((5 + N))" \
	    "$((din + $(jget "r['web']['display']['in']" <<<"$json"))) $((dout + $(jget "r['web']['display']['out']" <<<"$json"))) $((dc + $(jget "r['web']['display']['conns']" <<<"$json")))"
else
	skip "race with ledger_update: no ledger_writer in UNIT_DIR (run through make test)"
fi

# a bad ledger line: an error naming the file and the line, and nothing written
write_ledger UTC
sed -i '3s/c.conns=3/c.conns=three/' "$LEDGER"
cp "$LEDGER" "$T_DIR/before"
"$XWPF" status --traffic > /dev/null 2> "$T_DIR/err"; rc=$?
check_eq "bad ledger: --traffic exits 1" 1 "$rc"
check "bad ledger: the error names the file and line 3" grep -q "$LEDGER:3: .*fix or delete that line" "$T_DIR/err"
"$XWPF" status --reset web > /dev/null 2> "$T_DIR/err"; rc=$?
check_eq "bad ledger: --reset exits 1" 1 "$rc"
check "bad ledger: --reset names the file and line" grep -q "$LEDGER:3: .*nothing was reset" "$T_DIR/err"
check "bad ledger: the file is left as it was" cmp -s "$LEDGER" "$T_DIR/before"

# with the relay running: live figures beside the ledger, and --reset still works
write_ledger UTC
start_relay splice || { finish; }
json=$("$XWPF" status --traffic --json)
check_eq "relay running: --traffic sees it, with live figures" "True 0" \
    "$(jget "d['running'], r['web']['live']['tcp_active']" <<<"$json")"
game_state() { "$XWPF" status --traffic --json game | jget "r['game']['quota_state'], r['game']['quota_state_from']"; }
relay_says_throttled() { [ "$(game_state)" = "throttled relay" ]; }
check "relay running: game's quota state comes from the relay (throttled)" wait_for 10 relay_says_throttled
out=$("$XWPF" status --traffic | tr -s ' ')
check "relay running: the table says throttled at the rate" grep -q "^game .* throttled at 10 Mbit/s " <<<"$out"
out=$("$XWPF" status web)
check "relay running: the detail has the live connections" grep -q "^live: 0 TCP connections and 0 UDP associations active" <<<"$out"
check "relay running: the detail has the rate now (nothing flows: 0)" grep -qx "rate now: up 0 bit/s, down 0 bit/s" <<<"$out"
out=$("$XWPF" status --reset game); rc=$?
check_eq "relay running: --reset exits 0" 0 "$rc"
check "relay running: --reset says what it reset" grep -q "^game: display counts reset (were in 7 B, out 9 B, 1 connections" <<<"$out"
json=$("$XWPF" status --traffic --json)
check_eq "relay running: game display zero, cycle kept" "0 0 1073741825" \
    "$(jget "r['game']['display']['in'], r['game']['display']['out'], r['game']['cycle']['billed']" <<<"$json")"
check "relay stops with exit 0" stop_relay
finish
