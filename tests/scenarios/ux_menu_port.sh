#!/usr/bin/env bash
# The menu's random listen port (Enter at "Listen port"): below the kernel's
# ephemeral range, where the relay's own outgoing connections never hold it
# at a restart, and never a port a stored rule listens on even when no
# socket holds it yet (the save would then be refused). In a namespace of
# its own with ip_local_port_range 11000-60999 the pool is 10000-10999;
# stored rules take all of it but 10500, so the menu must offer 10500.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
[ "$(id -u)" = 0 ] || { skip "needs root for a network namespace"; finish; }
NS=$(netns_add port) || { fail "cannot create a namespace"; finish; }
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="11000 60999" ||
	{ fail "cannot set ip_local_port_range in $NS"; finish; }
mkdir -p "$XWPF_ROOT/etc/xwpf"
cat > "$XWPF_ROOT/etc/xwpf/xwpf.conf" <<EOT
[rule low]
listen = 10000-10499
remote = 127.0.0.1:20000-20499
protocol = tcp+udp
[rule high]
listen = 10501-10999
remote = 127.0.0.1:20501-20999
protocol = tcp+udp
EOT
"$XWPF" rule check > "$T_DIR/check.out" 2>&1 || { fail "the store is not valid: $(cat "$T_DIR/check.out")"; finish; }
for i in 1 2 3; do
	check "round $i: Enter offers the one port no rule holds below the ephemeral range" \
	    pty_run "port$i" -- ip netns exec "$NS" "$XWPF" menu <<EOF
$(menu_go add)
expect Role of this server
send 1
expect Listen port
send
expect random free port: 10500
expect Listen on
send 0
$(menu_leave 1)
EOF
done
finish
