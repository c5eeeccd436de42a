#!/usr/bin/env bash
# The rule applet over the store: round trip, refusals that leave the file
# byte-identical, comments kept, lock and atomic writes under SIGKILL.
# timeout: 240
. "$(dirname "$0")/../lib.sh"
conf=$XWPF_ROOT/etc/xwpf/xwpf.conf
x() { "$XWPF" rule "$@"; }

x add web --listen 127.0.0.1:8080 --remote 127.0.0.1:80 --note "front door"; check_eq "add" 0 $?
x add lb --listen '[::]:9000' --remote '10.0.0.1:443 weight=3' --remote 10.0.0.2:443 --protocol tcp+udp \
	--balance iphash --failover yes --proxy send-v2 --mptcp send --connect-timeout 2s
check_eq "add with every kind of option" 0 $?
json=$(x list --json)
check "list --json parses" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$json"
py() { python3 -c "import json,sys; r={x['name']:x for x in json.loads(sys.argv[1])}; print($1)" "$json"; }
check_eq "json: listen" "127.0.0.1:8080" "$(py "r['web']['listen']")"
check_eq "json: weights" "[3, 1]" "$(py "[x['weight'] for x in r['lb']['remotes']]")"
check_eq "json: balance" "iphash" "$(py "r['lb']['balance']")"
check_eq "json: proxy" "send-v2" "$(py "r['lb']['proxy']")"
check_eq "json: connect timeout" "2000" "$(py "r['lb']['connect_timeout_ms']")"
check "list prints a table" sh -c "x() { \"$XWPF\" rule \"\$@\"; }; x list | grep -q '^web '"

# comments and layout the user wrote survive edits
printf '\n# my notes about lb\n' >> "$conf"
x set web note="back door" remote=127.0.0.1:81; check_eq "set" 0 $?
check "set replaced the value" grep -qx 'note = back door' "$conf"
check "set replaced all remotes" sh -c "grep -c '^remote = 127.0.0.1:8[01]' '$conf' | grep -qx 1"
check "the user's comment survives" grep -qx '# my notes about lb' "$conf"
x set lb remote+=10.0.0.3:443; check_eq "remote+= appends" 3 "$(x show lb --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["remotes"]))')"
x set lb remote=10.0.0.9:443 remote+=10.0.0.8:443
check_eq "remote= with remote+= in one command replaces, then adds" '["10.0.0.9:443", "10.0.0.8:443"]' \
	"$(x show lb --json | python3 -c 'import json,sys; print(json.dumps([r["address"] for r in json.load(sys.stdin)["remotes"]]))')"
x set lb connect_timeout=; check_eq "KEY= resets to the default" 5000 "$(x show lb --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["connect_timeout_ms"])')"
x disable web && check "disable" grep -qx 'enabled = no' "$conf"
x enable web && check "enable" grep -qx 'enabled = yes' "$conf"
check "the previous version is kept as .bak" test -s "$conf.bak"

# every refusal names the problem and leaves the store byte-identical
refuse() {   # name, expected message part, rule args...
	local name=$1 want=$2 before after rc
	shift 2
	before=$(sha256sum < "$conf")
	x "$@" > "$T_DIR/err" 2>&1; rc=$?
	after=$(sha256sum < "$conf")
	if [ "$rc" -ne 0 ] && [ "$before" = "$after" ] && grep -q -- "$want" "$T_DIR/err"; then
		ok "refused: $name"
	else
		fail "refused: $name (rc $rc, changed: $([ "$before" = "$after" ] && echo no || echo yes)): $(cat "$T_DIR/err")"
	fi
}
refuse "duplicate name" "already exists" add web --listen 7000 --remote 127.0.0.1:1
refuse "same listen port" "already uses" add web2 --listen 127.0.0.1:8080 --remote 127.0.0.1:1
refuse "bad port" "1 to 65535" add p --listen 70000 --remote 127.0.0.1:1
refuse "bad address" "neither an IP address nor a host name" add p --listen 7001 --remote 'bad_host!:1'
refuse "no remote" "has no remote" add p --listen 7002
refuse "weights that do not match" "3 weights for 2 remotes" set lb weights=1,2,3
refuse "one weight for two remotes: the message shows the form" "1 weight for 2 remotes: give one per remote, in order (e.g. weights = 2,1)" set lb weights=1
refuse "unknown key" "unknown rule key" set web colour=blue
refuse "mistyped key" "unknown rule key 'remot': did you mean 'remote'?" add p --listen 7006 --remot 127.0.0.1:1
refuse "bad name" "not a valid rule name" add 'a/b' --listen 7003 --remote 127.0.0.1:1
refuse "bad balance" "roundrobin" set web balance=random
refuse "bad transport" "sni=" set web remote_transport=tls
refuse "a space in a ws path (it would end the request line)" "write %20 for a space" set web 'remote_transport=ws;host=h;path=/a b'
refuse "missing rule" "no rule named" set nosuch note=x
refuse "delete of a missing rule" "no rule named" del web,nosuch
refuse "range length mismatch" "ports but the rule listens on" add r --listen 7100-7109 --remote 127.0.0.1:8000-8001
x check > /dev/null; check_eq "the store is valid after the refusals" 0 $?
# rule check FILE: a file about to become the store, its problems in file order
printf '[rule a]\nlisten = 70000\nremote 1.2.3.4\nbogus_key = 1\n[rule b]\nlisten 127.0.0.1:80\nremote = x\n' > "$T_DIR/cand.conf"
x check "$T_DIR/cand.conf" > "$T_DIR/cand.out" 2>&1; check_eq "check FILE: an invalid file exits 3" 3 $?
check_eq "check FILE: every problem, named by the file's line, in file order" "1 2 3 4 5 6 7" \
    "$(grep -o "^$T_DIR/cand.conf:[0-9]*" "$T_DIR/cand.out" | cut -d: -f2 | paste -sd' ')"
printf '[rule ok]\nlisten = 127.0.0.1:7999\nremote = 127.0.0.1:1\n' > "$T_DIR/good.conf"
check_eq "check FILE: a valid one" "$T_DIR/good.conf: 1 rule, valid" "$(x check "$T_DIR/good.conf")"
x check "$T_DIR/nonexistent.conf" 2> "$T_DIR/ne.err"; check_eq "check FILE: a missing file is a failure" 1 $?
check "... that names it" grep -q "cannot read $T_DIR/nonexistent.conf" "$T_DIR/ne.err"
x check --file "$T_DIR/good.conf" 2> /dev/null; check_eq "check with an unknown option is a usage error" 2 $?
x keys extra 2> /dev/null; check_eq "keys with an argument is a usage error" 2 $?
names=$(x keys --names)
check "keys --names: the bare names, listen and remote among them" bash -c "grep -qx listen <<<'$names' && grep -qx remote <<<'$names'"
check_eq "keys: every key has its description (a line of its own with text after the name)" "" \
    "$(x keys | awk 'NF == 0 { exit } NF < 2 { print $1 }')"
check_eq "keys: one line per key" "$(wc -l <<<"$names")" "$(x keys | awk 'NF == 0 { exit } { n++ } END { print n }')"

x del web,lb; check_eq "del with a comma list" 0 $?
check_eq "no rules left" "[]" "$(x list --json)"

# a hand-broken store: every command that reads it says where
printf '[rule broken]\nlisten = 1.2.3.4\n' >> "$conf"
x list > "$T_DIR/err" 2>&1; rc=$?
check_eq "a broken store exits 3" 3 "$rc"
check "the message has file:line" grep -q "xwpf.conf:[0-9]*: error: '1.2.3.4': expected HOST:PORT\|xwpf.conf:[0-9]*: error:" "$T_DIR/err"
before=$(sha256sum < "$conf")
x add other --listen 7004 --remote 127.0.0.1:1 > "$T_DIR/err" 2>&1; rc=$?
check_eq "adding to a broken store exits 3" 3 "$rc"
check "and names the broken line in the file, not a line of the edited copy" \
	grep -q "xwpf.conf:$(grep -n '^listen = 1.2.3.4' "$conf" | cut -d: -f1): error: listen: '1.2.3.4'" "$T_DIR/err"
check "and says the errors were there before the change" grep -q "has errors already" "$T_DIR/err"
check_eq "and leaves the store byte-identical" "$before" "$(sha256sum < "$conf")"
printf 'listen 127.0.0.1:7005\n' >> "$conf"
x check > "$T_DIR/err" 2>&1
check "a line with no = (and a : in it) is an error at its line" \
	grep -q "xwpf.conf:$(wc -l < "$conf"): error: not a 'key = value' line" "$T_DIR/err"
x del broken > /dev/null 2>&1
x check > /dev/null; check_eq "deleting the broken rule repairs the store" 0 $?

# concurrent writers: the lock keeps every update
for w in a b; do
	base=$([ $w = a ] && echo 20000 || echo 20100)
	( for i in $(seq 1 40); do "$XWPF" rule add "$w$i" --listen "127.0.0.1:$((base + i))" --remote 127.0.0.1:1 ||
		echo "writer $w failed at $i"; done ) > "$T_DIR/w$w" 2>&1 &
	T_PIDS+=($!)
done
wait "${T_PIDS[@]}" 2>/dev/null
check_eq "two concurrent writers lose no update" 80 "$(x list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# SIGKILL in the middle of hundreds of rapid writes never leaves a broken store
bad=0 killed=0
for i in $(seq 1 300); do
	"$XWPF" rule set a1 note="write $i" remote=127.0.0.1:$((1000 + i)) &
	p=$!
	sleep "0.00$((RANDOM % 3))"
	kill -9 "$p" 2>/dev/null && killed=$((killed + 1))
	wait "$p" 2>/dev/null
	if ! "$XWPF" rule check > "$T_DIR/chk" 2>&1; then bad=$((bad + 1)); cat "$T_DIR/chk"; fi
done
check_eq "300 writes under SIGKILL: the store always parses" 0 "$bad"
echo "# $killed of 300 writers were killed mid-way"
x set a1 note=final > /dev/null
check_eq "temporary files of killed writers are cleaned up" "" "$(ls "$XWPF_ROOT/etc/xwpf" | grep tmp)"
check_eq "and still holds every rule" 80 "$(x list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
finish
