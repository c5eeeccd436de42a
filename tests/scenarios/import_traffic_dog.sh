#!/usr/bin/env bash
# The per-port limits of xwPF's traffic tool (port-traffic-dog's
# config.json, docs/compat.md) import onto the store's rules that listen on
# those ports: the monthly quota (stop at it, as its nftables quota drops),
# the billing mode (single = what the port sends, out; double = both), the
# reset day, and the bandwidth cap (each way). A port no rule listens on is
# named and left out; a disabled cap is not imported. The file itself and
# its directory (/etc/port-traffic-dog) are both accepted.
# timeout: 30
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF

$X rule add web --listen 20001 --remote 127.0.0.1:9 >/dev/null
$X rule add span --listen 20100-20110 --remote 127.0.0.1:9 --protocol tcp+udp >/dev/null
$X rule add free --listen 20002 --remote 127.0.0.1:9 >/dev/null
mkdir -p "$T_DIR/port-traffic-dog"
cat > "$T_DIR/port-traffic-dog/config.json" <<'EOF'
{
  "global": { "billing_mode": "single", "data_retention_days": 30, "collection_interval": 60, "interface": "auto" },
  "ports": {
    "20001": { "name": "端口20001", "enabled": true, "billing_mode": "single",
               "bandwidth_limit": { "enabled": true, "rate": "100Mbps" },
               "quota": { "enabled": true, "monthly_limit": "100GB", "reset_day": 5 },
               "remark": "web", "created_at": "2025-01-01T00:00:00+08:00" },
    "20105": { "enabled": true, "billing_mode": "double",
               "bandwidth_limit": { "enabled": false, "rate": "1Gbps" },
               "quota": { "enabled": true, "monthly_limit": "2T", "reset_day": 31 } },
    "20002": { "enabled": true, "billing_mode": "double",
               "bandwidth_limit": { "enabled": false, "rate": "unlimited" },
               "quota": { "enabled": true, "monthly_limit": "unlimited", "reset_day": 1 } },
    "20999": { "enabled": true, "quota": { "enabled": true, "monthly_limit": "5GB", "reset_day": 1 } }
  },
  "nftables": { "table_name": "port_traffic_monitor", "family": "inet" },
  "notifications": { "telegram": { "enabled": false } }
}
EOF
out=$($X import "$T_DIR/port-traffic-dog/config.json" --dry-run 2>&1)
check "the traffic tool's config.json is recognised: $out" grep -q "traffic tool config with limits for 3 ports" <<<"$out"
check_eq "the plan names each rule whose limits change" "web span" \
	"$(sed -n 's/^  ~ change  *\([^ ]*\) .*/\1/p' <<<"$out" | paste -sd' ')"
out=$($X import "$T_DIR/port-traffic-dog" --yes 2>&1)
check "its directory imports: $out" test $? -eq 0
check "the port no rule listens on is named" grep -q "port 20999: no rule of the store listens there" <<<"$out"
check "the summary says which rule took which port" grep -q "limits: port 20105 -> rule span" <<<"$out"
for kv in quota=100G quota_action=stop billing=out reset_day=5 rate_in=100mbit rate_out=100mbit; do
	check_eq "web: ${kv%%=*}" "${kv#*=}" "$(store_key web "${kv%%=*}")"
done
for kv in quota=2T billing=both reset_day=31 rate_in= rate_out=; do
	check_eq "span (the range holding port 20105): ${kv%%=*}" "${kv#*=}" "$(store_key span "${kv%%=*}")"
done
check_eq "free: unlimited stays unlimited" "" "$(store_key free quota)"
check "xwpf rule check accepts the result" $X rule check
$X status --traffic --json web > "$T_DIR/t.json"
check_eq "status --traffic reads the quota in bytes" 107374182400 \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rules"][0]["quota"])' "$T_DIR/t.json")"
finish
