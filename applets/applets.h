/*
 * The one list of applets. Each line: APPLET(name, one-line summary).
 * Keep it sorted by name (a unit test checks). Every applet lives in
 * applets/NAME.c (or applets/NAME/, split in files) and exports only NAME_main and NAME_usage.
 */
APPLET(config, "the [global] settings: get, set (validated, atomic, --reload), keys")
APPLET(export, "write the whole setup (store, keys, health, MPTCP) into one .tar.gz")
APPLET(health, "check backends, mark them up or down for the relay (--once, --watch, --status)")
APPLET(import, "restore an export, or migrate xwPF archives and realm configs (--undo)")
APPLET(linktest, "latency, loss, bandwidth both ways and the route to another xwpf (--server)")
APPLET(log, "the relay's log: its file, or the journal under systemd (-f follows, -n N lines)")
APPLET(menu, "the interactive menu (also: pf): status, rules, transports, balancing, service, uninstall")
APPLET(mptcp, "MPTCP on this host: status, enable/disable, endpoints and limits (netlink)")
APPLET(notify, "notification targets (Telegram, WeCom, webhooks): list them, --test sends a test message")
APPLET(realm, "run in realm's place: realm's command line, configs and REALM_CONF (a link named realm)")
APPLET(relay, "forward TCP and UDP: the store's rules or one -l/-r rule (SIGHUP reloads)")
APPLET(rule, "add, list, change and delete forwarding rules in the store")
APPLET(status, "is the relay running; per-rule connections, bytes and failures (--json)")
