#!/usr/bin/env bash
# linktest on loopback: command line, the shared key, the server's limits and
# safety rules (busy, version, no UDP amplifier), and a measurement through a
# relay chain (xwpf relay -u in front of the server: every connection and
# datagram goes to the relay's one port).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
tools=$T_PEERS

# command line
"$XWPF" linktest --help > "$T_DIR/help" 2>&1; check_eq "--help exits 0" 0 $?
grep -q -- "--server" "$T_DIR/help" && ok "--help describes --server" || fail "--help describes --server"
"$XWPF" linktest > /dev/null 2> "$T_DIR/e"; check_eq "no target: exit 2" 2 $?
grep -q "HOST\[:PORT\]" "$T_DIR/e" && ok "no target: says what to give" || fail "no target message: $(cat "$T_DIR/e")"
"$XWPF" linktest 127.0.0.1 --udp-rate fast > /dev/null 2> "$T_DIR/e"; check_eq "bad --udp-rate: exit 2" 2 $?
"$XWPF" linktest 127.0.0.1 --bogus > /dev/null 2>&1; check_eq "unknown option: exit 2" 2 $?
"$XWPF" linktest --server --max-clients 0 > /dev/null 2>&1; check_eq "bad --max-clients: exit 2" 2 $?
"$XWPF" linktest 127.0.0.1 --only tcp,dns > /dev/null 2>&1; check_eq "bad --only: exit 2" 2 $?

P=$(free_port)
"$XWPF" linktest 127.0.0.1:"$P" --only info > /dev/null 2> "$T_DIR/e"; check_eq "nobody listening: exit 1" 1 $?
grep -q "linktest --server" "$T_DIR/e" && ok "nobody listening: says to start the server" || fail "refused message: $(cat "$T_DIR/e")"

# a server with a key and one client at a time
echo "s3cret-key" > "$T_DIR/key"
spawn "$XWPF" linktest --server --listen 127.0.0.1:"$P" --key-file "$T_DIR/key" --max-clients 1 --max-time 2 2> "$T_DIR/server.log"
wait_port 127.0.0.1 "$P" || { fail "server did not start"; finish; }
"$XWPF" linktest 127.0.0.1:"$P" --only info > /dev/null 2> "$T_DIR/e"; check_eq "no key: exit 1" 1 $?
grep -q "requires a shared key" "$T_DIR/e" && ok "no key: says --key" || fail "no key message: $(cat "$T_DIR/e")"
"$XWPF" linktest 127.0.0.1:"$P" --only info --key wrong > /dev/null 2> "$T_DIR/e"; check_eq "wrong key: exit 1" 1 $?
grep -q "key does not match" "$T_DIR/e" && ok "wrong key: refused by the server" || fail "wrong key message: $(cat "$T_DIR/e")"
XWPF_LINKTEST_KEY=s3cret-key "$XWPF" linktest 127.0.0.1:"$P" --only info,latency,tcp --count 2 --streams 1 --time 5 \
	--json > "$T_DIR/out.json" 2> "$T_DIR/e"
check_eq "right key (environment): exit 0" 0 $?
grep -q "at most 2 s per phase" "$T_DIR/e" && ok "--time above the server's --max-time is lowered, with a note" ||
	fail "no max-time note: $(cat "$T_DIR/e")"
kill "${T_PIDS[-1]}"; wait "${T_PIDS[-1]}" 2>/dev/null

# limits, version, busy and the amplifier rule (no key)
spawn "$XWPF" linktest --server --listen 127.0.0.1:"$P" --max-clients 1 --max-rate 100M --quiet
wait_port 127.0.0.1 "$P" || { fail "server did not restart"; finish; }
python3 "$tools/lt_proto.py" 127.0.0.1 "$P" version limits spoof=127.0.0.2 | as_checks
spawn python3 "$tools/lt_proto.py" 127.0.0.1 "$P" hold=20 > "$T_DIR/hold"
holder=$!
wait_for 20 grep -q "session held" "$T_DIR/hold" || fail "the holding session did not start: $(cat "$T_DIR/hold")"
"$XWPF" linktest 127.0.0.1:"$P" --only info > /dev/null 2> "$T_DIR/e"; check_eq "second client while one is held: exit 1" 1 $?
grep -q "already serves 1 clients" "$T_DIR/e" && ok "busy server says so" || fail "busy message: $(cat "$T_DIR/e")"
kill "$holder"; wait "$holder" 2>/dev/null
served() { "$XWPF" linktest 127.0.0.1:"$P" --only info > /dev/null 2>&1; }
wait_for 10 served || fail "the server did not free the held session's slot"

# through a relay chain: the client only knows the relay's port
R=$(free_port)
spawn "$XWPF" relay -l 127.0.0.1:"$R" -r 127.0.0.1:"$P" -u 2> "$T_DIR/relay.log"
wait_port 127.0.0.1 "$R" || { fail "relay did not start"; finish; }
"$XWPF" linktest 127.0.0.1:"$R" --only info,latency,tcp,udp --count 3 --streams 2 --time 1 --udp-rate 20M \
	--json > "$T_DIR/relay.json" 2> "$T_DIR/e"
check_eq "through the relay: exit 0" 0 $?
python3 - "$T_DIR/out.json" "$T_DIR/relay.json" <<'PY' | as_checks
import json, sys
j = json.load(open(sys.argv[1]))
print(("ok" if j["ok"] and j["latency"]["tcp_connect"]["received"] == 2 else "not ok") + " --json parses with latency figures")
print(("ok" if j["phase_ms"] == 2000 and all(t["ok"] for t in j["tcp"]) and len(j["tcp"]) == 2 else "not ok") +
      " tcp phases run at the server's 2 s limit (%s ms)" % j["phase_ms"])
j = json.load(open(sys.argv[2]))
print(("ok" if len(j["tcp"]) == 4 and all(t["ok"] and t["mbps"] > 0 for t in j["tcp"]) else "not ok") +
      " through the relay: tcp 1 and 2 streams both ways")
print(("ok" if len(j["udp"]) == 2 and all(u["ok"] and u["received"] > 0 for u in j["udp"]) else "not ok") +
      " through the relay: udp both ways (%s)" % [(u.get("received"), u.get("error")) for u in j["udp"]])
PY
# a server on every address answers UDP from the address the client aimed at
# (127.0.0.2 here, while the kernel would pick 127.0.0.1 for the answers)
W=$(free_port)
spawn "$XWPF" linktest --server --listen "[::]:$W" --quiet
wait_port 127.0.0.2 "$W" || { fail "wildcard server did not start"; finish; }
"$XWPF" linktest 127.0.0.2:"$W" --only udp --time 500ms --udp-rate 5M --json > "$T_DIR/wild.json" 2> "$T_DIR/e"
check_eq "wildcard server, secondary address: exit 0" 0 $?
grep -q '"direction":"download","ok":true,"rate_mbps":5.000,"mbps":[1-9]' "$T_DIR/wild.json" &&
	ok "wildcard server: the UDP download comes from the address the client aimed at" ||
	fail "wildcard server download: $(cat "$T_DIR/wild.json" "$T_DIR/e")"
# not a terminal: the table only, no progress bars
"$XWPF" linktest 127.0.0.2:"$W" --only latency --count 2 > "$T_DIR/table.txt" 2>&1
if grep -q "^latency (ms)" "$T_DIR/table.txt" && ! grep -q $'\r' "$T_DIR/table.txt"; then
	ok "stdout not a terminal: no progress bars, the table"
else
	fail "progress on a non-terminal: $(cat -v "$T_DIR/table.txt" | head -5)"
fi
finish
