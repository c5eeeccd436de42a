#!/usr/bin/env bash
# import --replace: the store's rules become exactly the archive's, as
# xwPF's own import replaced everything; [global] stays; --undo brings the
# old rules back. Without it (merge, the default), a rule on a port the
# store already uses is refused naming both rules and pointing at --replace.
# timeout: 30
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
C=$XWPF_ROOT/etc/xwpf/xwpf.conf

mkdir -p "$T_DIR/a/xwPF_config/rules"
for i in 1 2; do
	cat > "$T_DIR/a/xwPF_config/rules/rule-$i.conf" <<EOF
RULE_ID="$i"
RULE_NAME="from-xwpf-$i"
RULE_ROLE="1"
SECURITY_LEVEL="standard"
LISTEN_PORT="1500$i"
LISTEN_IP="::"
REMOTE_HOST="192.0.2.$i"
REMOTE_PORT="80"
ENABLED="true"
EOF
done
python3 -c 'import sys,tarfile
with tarfile.open(sys.argv[1], "w:gz") as t: t.add(sys.argv[2], "xwPF_config")' \
	"$T_DIR/xwPF_config_20250101_000000.tar.gz" "$T_DIR/a/xwPF_config"
A=$T_DIR/xwPF_config_20250101_000000.tar.gz

printf '[global]\nconnect_timeout = 7s\n' > "$C"
$X rule add mine --listen 15001 --remote 127.0.0.1:9 >/dev/null
$X rule add other --listen 15099 --remote 127.0.0.1:9 >/dev/null
before=$(cat "$C")

out=$($X import "$A" --yes 2>&1)
check_eq "merge: a rule on a port the store uses is refused (exit 3)" 3 $?
check "... naming the imported rule and the store's" grep -q "rule 'from-xwpf-1' listens on .* which rule 'mine'" <<<"$out"
check "... and pointing at --replace (with the root)" grep -qF "xwpf --root $XWPF_ROOT import $A --replace" <<<"$out"
check_eq "... nothing changed" "$before" "$(cat "$C")"

out=$($X import "$A" --replace --dry-run 2>&1)
check "--replace --dry-run shows the store's rules going" grep -q -- "- remove  *mine" <<<"$out"
check_eq "... and changes nothing" "$before" "$(cat "$C")"
out=$($X import "$A" --replace --yes 2>&1)
check "--replace imports: $out" test $? -eq 0
check_eq "the store's rules are exactly the archive's" "from-xwpf-1 from-xwpf-2" \
	"$($X rule list --json | python3 -c 'import json,sys; print(" ".join(sorted(r["name"] for r in json.load(sys.stdin))))')"
check "[global] is kept" grep -q "^connect_timeout = 7s" "$C"
$X import --undo --yes >/dev/null
check_eq "--undo brings the old rules back" "$before" "$(cat "$C")"
finish
