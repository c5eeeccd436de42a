#!/usr/bin/env bash
# timeout: 150
# xwpf mptcp endpoint/limits against the kernel's own view (`ip mptcp` in a
# namespace this test creates): every flag combination lands exactly as asked,
# del and flush remove, limits match, the store keeps what the user chose and
# `apply` puts it back; bad input is refused with words and changes nothing.
. "$(dirname "$0")/../lib.sh"
need ip python3
need_root

mptcp_ns mpe va=10.77.0.1/24 vb=10.77.0.2/24 vb=10.77.0.3/24 va=fd77::1/64

xm() { "$XWPF" mptcp "$@"; }
ipm() { ip "$@"; }

# The kernel's endpoint for ADDR as "id=N port=N dev=IF flags=a,b" (flags sorted), or "none".
# (awk, not python: python's start-up costs seconds on a loaded machine)
kernel_ep() {
	ipm mptcp endpoint show | awk -v a="$1" '
	$1 == a && !done {
		id = ""; port = 0; dev = ""; n = 0; done = 1
		for (i = 2; i <= NF; i++) {
			if ($i == "id") id = $(++i)
			else if ($i == "port") port = $(++i)
			else if ($i == "dev") dev = $(++i)
			else f[++n] = $i
		}
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && f[j - 1] > f[j]; j--) { t = f[j]; f[j] = f[j - 1]; f[j - 1] = t }
		fl = ""
		for (i = 1; i <= n; i++) fl = fl (i > 1 ? "," : "") f[i]
		printf "id=%s port=%s dev=%s flags=%s\n", id, port, dev, fl
	}
	END { if (!done) print "none" }'
}
kernel_count() { ipm mptcp endpoint show | grep -c .; }
# the kernel's endpoints without the ids it chose, sorted
kernel_noid() { ipm mptcp endpoint show | sed 's/ id [0-9]*//; s/ *$//' | sort; }
store_endpoints() { [ -f "$T_STORE" ] && sed -n 's/^endpoint *= *//p' "$T_STORE" | sort; true; }
sorted_flags() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort | paste -sd, -; }

# ---- every flag combination, with and without dev / id / port ----
# address | dev | words after the address | expected id ("auto" = any) | port
combos=(
	"10.77.0.1|va|subflow|auto|0"
	"10.77.0.1|va|signal|auto|0"
	"10.77.0.1|va|backup|auto|0"
	"10.77.0.1|va|fullmesh|auto|0"
	"10.77.0.1|va|subflow backup|auto|0"
	"10.77.0.1|va|subflow fullmesh|auto|0"
	"10.77.0.1|va|subflow backup fullmesh|auto|0"
	"10.77.0.1|va|signal backup|auto|0"
	"10.77.0.1|va|signal subflow|auto|0"
	"10.77.0.1|va|signal subflow backup|auto|0"
	"10.77.0.2||subflow fullmesh|17|0"
	"10.77.0.2|vb|signal|200|7101"
	"10.77.0.2|vb|signal backup|auto|7102"
	"fd77::1|va|subflow|auto|0"
	"fd77::1||signal backup|255|0"
)
i=0
for c in "${combos[@]}"; do
	IFS='|' read -r addr dev words id port <<<"$c"
	i=$((i + 1))
	args=("$addr")
	[ -n "$dev" ] && args+=(dev "$dev")
	read -r -a w <<<"$words"
	args+=("${w[@]}")
	[ "$id" != auto ] && args+=(id "$id")
	[ "$port" != 0 ] && args+=(port "$port")
	run_ok "add ${args[*]}" xm endpoint add "${args[@]}"
	got=$(kernel_ep "$addr")
	kid=$(sed -n 's/^id=\([0-9]*\) .*/\1/p' <<<"$got")
	[ "$id" = auto ] && want_id=$kid || want_id=$id
	check_eq "add ${args[*]}: ip mptcp endpoint show lists exactly that" \
		"id=$want_id port=$port dev=$dev flags=$(sorted_flags "$words")" "$got"
	case $out in *"added: "*" id $want_id "*) ok "add ${args[*]}: reports the kernel's id $want_id" ;;
		*) fail "add ${args[*]}: output '$out' does not name id $want_id" ;; esac
	# the store keeps the canonical form of what was asked
	want_store="$addr"
	[ -n "$dev" ] && want_store+=" dev $dev"
	[ "$id" != auto ] && want_store+=" id $id"
	[ "$port" != 0 ] && want_store+=" port $port"
	for f in subflow signal backup fullmesh; do [[ " $words " == *" $f "* ]] && want_store+=" $f"; done
	check_eq "add ${args[*]}: saved in the store" "$want_store" "$(store_endpoints)"
	# delete by id and by address in turn
	if [ $((i % 2)) = 0 ]; then what=$want_id; else what=$addr; fi
	run_ok "del $what" xm endpoint del "$what"
	check_eq "del $what: gone from the kernel" none "$(kernel_ep "$addr")"
	check_eq "del $what: gone from the store" "" "$(store_endpoints)"
done

# ---- list mirrors ip's own words ----
xm endpoint add 10.77.0.1 dev va subflow fullmesh >/dev/null 2>&1
xm endpoint add 10.77.0.2 dev vb signal id 9 >/dev/null 2>&1
xm endpoint add fd77::1 dev va subflow backup >/dev/null 2>&1
check_eq "three endpoints in the kernel" 3 "$(kernel_count)"
check_eq "endpoint list = ip mptcp endpoint show" "$(ipm mptcp endpoint show | sed 's/ *$//')" "$(xm endpoint list)"
check_eq "three endpoints in the store" 3 "$(store_endpoints | wc -l)"
check "endpoint list --json parses" bash -c "$XWPF mptcp endpoint list --json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 3'"

# ---- limits ----
run_ok "limits set" xm limits set subflows 5 add_addr_accepted 3
check_eq "limits set matches ip mptcp limits show" "add_addr_accepted 3 subflows 5" "$(ipm mptcp limits show | sed 's/ *$//')"
check_eq "limits saved in the store" "subflows = 5,add_addr_accepted = 3" \
	"$(grep -E '^(subflows|add_addr_accepted) *=' "$T_STORE" | paste -sd, -)"
run_ok "limits set subflows 0" xm limits set subflows 0
check_eq "one limit changes, the other stays" "add_addr_accepted 3 subflows 0" "$(ipm mptcp limits show | sed 's/ *$//')"
check_eq "limits show = ip mptcp limits show" "$(ipm mptcp limits show | sed 's/ *$//')" "$(xm limits show)"

# ---- bad input changes nothing ----
snapshot() {
	ipm mptcp endpoint show
	ipm mptcp limits show
	if [ -f "$T_STORE" ]; then sha256sum < "$T_STORE"; else echo "no store"; fi
	[ -f "$T_STORE.bak" ] && sha256sum < "$T_STORE.bak"
	true
}
# refused NAME EXIT WORDS -- ARGS...: exit status, a message with WORDS, nothing changed
refused() {
	local name=$1 want_rc=$2 words=$3 before after out rc
	shift 4
	before=$(snapshot)
	out=$(xm "$@" 2>&1)
	rc=$?
	after=$(snapshot)
	check_eq "$name: exit $want_rc" "$want_rc" "$rc"
	case $out in *"$words"*) ok "$name: says '$words'" ;; *) fail "$name: message '$out' lacks '$words'" ;; esac
	check_eq "$name: kernel and store unchanged" "$before" "$after"
}
refused "unknown flag" 2 "unknown word 'turbo'" -- endpoint add 10.77.0.2 dev vb turbo
refused "unknown flag among good ones" 2 "unknown word 'nofullmesh'" -- endpoint add 10.77.0.2 dev vb subflow nofullmesh
refused "signal with fullmesh" 2 "signal and fullmesh cannot be combined" -- endpoint add 10.77.0.2 dev vb signal fullmesh
refused "port with subflow" 2 "needs the signal flag and not subflow" -- endpoint add 10.77.0.2 dev vb subflow port 7200
refused "address on another NIC" 2 "10.77.0.2 is not on va but on vb" -- endpoint add 10.77.0.2 dev va subflow
refused "address on no NIC" 2 "10.77.0.9 is not configured on va" -- endpoint add 10.77.0.9 dev va subflow
refused "address on no NIC, no dev" 2 "not configured on any interface" -- endpoint add 10.77.0.9 signal
refused "no such NIC" 2 "no interface named nosuch0" -- endpoint add 10.77.0.2 dev nosuch0 subflow
refused "not an address" 2 "not an IPv4 or IPv6 address" -- endpoint add 10.77.0.300 subflow
refused "missing id value" 2 "'id' needs a value" -- endpoint add 10.77.0.2 dev vb signal id
refused "id out of range" 2 "id must be a number from 1 to 255" -- endpoint add 10.77.0.2 dev vb signal id 256
refused "id taken" 1 "id 9 is taken" -- endpoint add 10.77.0.3 dev vb signal id 9
refused "duplicate address" 1 "already has an endpoint" -- endpoint add 10.77.0.1 dev va signal
refused "del of a missing id" 1 "no endpoint with id 99" -- endpoint del 99
refused "del of an address without endpoint" 1 "no endpoint for 10.77.0.9" -- endpoint del 10.77.0.9
refused "del of junk" 2 "neither an endpoint id" -- endpoint del eth0
refused "limit too high" 2 "subflows must be a number from 0 to 8" -- limits set subflows 9
refused "unknown limit" 2 "unknown limit 'joins'" -- limits set joins 2
refused "unknown command" 2 "unknown endpoint command" -- endpoint frob
if command -v setpriv >/dev/null; then
	before=$(snapshot)
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$XWPF" mptcp endpoint add 10.77.0.2 dev vb subflow 2>&1)
	rc=$?
	check_eq "not root: exit 1" 1 "$rc"
	case $out in *"needs root"*) ok "not root: says it needs root" ;; *) fail "not root: '$out'" ;; esac
	check_eq "not root: nothing changed" "$before" "$(snapshot)"
fi

# ---- flush ----
run_ok "flush" xm endpoint flush
check_eq "flush: the kernel has no endpoint" 0 "$(kernel_count)"
check_eq "flush: the store has no endpoint" "" "$(store_endpoints)"

# ---- apply puts the store back after the kernel forgot everything ----
xm endpoint add 10.77.0.1 dev va subflow fullmesh >/dev/null 2>&1
xm endpoint add 10.77.0.2 dev vb signal backup id 40 >/dev/null 2>&1
xm endpoint add 10.77.0.2 dev vb signal port 7300 >/dev/null 2>&1
xm limits set subflows 4 add_addr_accepted 2 >/dev/null 2>&1
want_eps=$(kernel_noid)
ipm mptcp endpoint flush
ipm mptcp limits set subflows 0 add_addr_accepted 0
ipm mptcp endpoint add 10.77.0.1 dev va signal   # a differing endpoint for the same address: replaced
run_ok "apply" xm apply
got_eps=$(kernel_noid)
check_eq "apply: the kernel holds the store's endpoints again" "$want_eps" "$got_eps"
check "apply: the saved id is kept" grep -qx "10.77.0.2 id 40 signal backup dev vb" <(ipm mptcp endpoint show | sed "s/ *$//")
check_eq "apply: limits back" "add_addr_accepted 2 subflows 4" "$(ipm mptcp limits show | sed 's/ *$//')"
before=$(snapshot)
run_ok "apply again" xm apply
case $out in *"already in place"*) ok "apply again: says already in place" ;; *) fail "apply again: '$out'" ;; esac
check_eq "apply again: changes nothing" "$before" "$(snapshot)"

finish
