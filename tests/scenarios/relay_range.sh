#!/usr/bin/env bash
# Port ranges: listen 127.0.0.1:L-L+3 to remote 127.0.0.1:E-E+3 maps 1:1 (TCP
# and UDP); listen to a single remote port sends every port there.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

E=$(python3 "$PEER" freerange 4)
args=()
for i in 0 1 2 3; do args+=(--tcp 127.0.0.1:$((E + i)) --udp 127.0.0.1:$((E + i))); done
spawn python3 "$PEER" serve --mode port "${args[@]}"
for i in 0 1 2 3; do wait_port 127.0.0.1 $((E + i)) || fail "server on $((E + i)) did not start"; done

got_port() { timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && cat <&3" 2>/dev/null; }

for mode in $(relay_modes); do
	L=$(python3 "$PEER" freerange 4); M=$(python3 "$PEER" freerange 3)
	cat > "$CONF" <<EOT
[global]
workers = 2
[rule range]
listen = 127.0.0.1:$L-$((L + 3))
remote = 127.0.0.1:$E-$((E + 3))
protocol = tcp+udp
[rule many2one]
listen = 127.0.0.1:$M-$((M + 2))
remote = 127.0.0.1:$((E + 2))
EOT
	start_relay $mode || continue
	for i in 0 1 2 3; do
		check_eq "$mode: listen port $((L + i)) goes to remote port $((E + i))" $((E + i)) "$(got_port $((L + i)))"
	done
	for i in 0 1 2; do
		check_eq "$mode: listen port $((M + i)) goes to the one remote port" $((E + 2)) "$(got_port $((M + i)))"
	done
	peer_check "$mode: udp over a range" "udp 127.0.0.1 $((L + 1)) 100,65507" "udp 127.0.0.1 $((L + 3)) 100"
	check "$mode: relay exits 0" stop_relay
done
finish
