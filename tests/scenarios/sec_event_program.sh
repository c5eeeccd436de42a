#!/usr/bin/env bash
# on_event runs a program as the relay's user (root): the relay checks it at
# every run, not only when the store was written or imported, and runs only a
# program no other user can change or replace. A program in a folder every
# user can write (or owned by another user) is not run, and the log says why
# and what to do; a safe one beside it runs.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3 socat setpriv

mkdir -p "$T_DIR/open" "$T_DIR/safe"
chmod 755 "$T_DIR"
chmod 777 "$T_DIR/open"   # every user may put a file here (no sticky bit)
for d in open safe; do
	cat > "$T_DIR/$d/ev.sh" <<EOT
#!/bin/sh
echo "\$XWPF_EVENT" >> "$T_DIR/ran-$d"
EOT
	chmod 755 "$T_DIR/$d/ev.sh"
done
cp "$T_DIR/safe/ev.sh" "$T_DIR/safe/theirs.sh"; chown 65534 "$T_DIR/safe/theirs.sh"

L=$(free_port)
spawn socat TCP4-LISTEN:$L,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo held'
wait_port 127.0.0.1 $L || fail "socat did not start"
run() {   # PROGRAM LOG: a relay whose one rule cannot bind (bind_failed fires)
	rm -rf "$XWPF_ROOT/etc"
	"$XWPF" rule add held --listen 127.0.0.1:$L --remote 127.0.0.1:9 > /dev/null || fail "rule add"
	"$XWPF" rule set held on_event="$1" > /dev/null || fail "rule set on_event=$1"
	spawn "$XWPF" relay 2> "$2"
	local pid=$!
	wait_for 10 grep -q "bind_failed" "$2"
	sleep 0.5
	kill "$pid"; wait "$pid" 2>/dev/null
}
run "$T_DIR/open/ev.sh" "$T_DIR/open.log"
check "a program in a folder every user can write is not run" test ! -e "$T_DIR/ran-open"
check "the log says why and what to do" \
    grep -q "on_event $T_DIR/open/ev.sh not run: .*writable by every user.*move it to a folder only root can write" "$T_DIR/open.log"
run "$T_DIR/safe/theirs.sh" "$T_DIR/theirs.log"
check "a program owned by another user is not run" grep -q "theirs.sh not run: .*belongs to user 65534" "$T_DIR/theirs.log"
run "$T_DIR/safe/ev.sh" "$T_DIR/safe.log"
check "a program only root can change runs" wait_for 5 grep -qx bind_failed "$T_DIR/ran-safe"
finish
