#!/usr/bin/env bash
# linktest's route phase through a router namespace (ip_forward=1): two hops,
# the router's address first, then the server's, destination reached; no raw
# socket (the client runs the probes on a plain UDP socket with IP_RECVERR).
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need_root
need python3

C=$(netns_add lrc) || { fail "netns"; finish; }
R=$(netns_add lrr) || { fail "netns"; finish; }
S=$(netns_add lrs) || { fail "netns"; finish; }
ip link add lrc$$ netns "$C" type veth peer name lrr1$$ netns "$R" &&
	ip link add lrs$$ netns "$S" type veth peer name lrr2$$ netns "$R" &&
	ip -n "$C" addr add 10.61.0.2/24 dev lrc$$ && ip -n "$R" addr add 10.61.0.1/24 dev lrr1$$ &&
	ip -n "$S" addr add 10.62.0.2/24 dev lrs$$ && ip -n "$R" addr add 10.62.0.1/24 dev lrr2$$ &&
	for l in "$C lrc$$" "$R lrr1$$" "$R lrr2$$" "$S lrs$$"; do set -- $l; ip -n "$1" link set "$2" up || exit 1; done &&
	ip -n "$C" route add default via 10.61.0.1 && ip -n "$S" route add default via 10.62.0.1 &&
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 ||
	{ fail "namespace setup"; finish; }

lt_server_ns "$S" 10.62.0.2 "$C" 10 || { fail "server not reachable through the router"; finish; }

lt_client_ns "$C" 10.62.0.2 --only route,latency --count 3
lt_same
python3 - "$T_DIR/out.json" <<'PY' | as_checks
import json, sys
r = json.load(open(sys.argv[1]))["route"]
def check(name, cond, got):
    print(("ok" if cond else "not ok") + " %s (got %s)" % (name, got))
addrs = [h["address"] for h in r["list"]]
check("2 hops reported", r["hops"] == 2, r["hops"])
check("the router's address first, then the server's", addrs == ["10.61.0.1", "10.62.0.2"], addrs)
check("destination reached", r["reached"] and r["list"][-1]["destination"], r["reached"])
check("every probe answered", all(h["answered"] == h["probes"] for h in r["list"]), [h["answered"] for h in r["list"]])
check("no detour flagged on a flat path", not any(h["detour"] for h in r["list"]), [h["detour"] for h in r["list"]])
PY
grep -q "destination reached" "$T_DIR/table.txt" && ok "table says destination reached" || fail "table says destination reached"
finish
