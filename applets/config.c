/*
 * xwpf config: the [global] section of the store from the command line.
 * get reads keys as written (or their defaults), set edits them the way
 * `rule set` edits a rule (validated as a whole, written atomically, the
 * comments and layout kept; a refused set leaves the file as it was),
 * keys lists every key with its values and default.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "paths.h"
#include "pidlock.h"
#include "store.h"
#include "util.h"

const char config_usage[] =
    "usage: xwpf config get [KEY]                [global] as written; KEY: its value, else its default\n"
    "       xwpf config set KEY=VALUE ... [--reload]\n"
    "                                            change [global] keys (KEY= takes the default again);\n"
    "                                            the whole store is validated first and written\n"
    "                                            atomically, comments kept; --reload then tells the\n"
    "                                            running relay to re-read it\n"
    "       xwpf config keys [--names]           every [global] key with its values and default\n"
    "\n"
    "Rules have their own keys: xwpf rule set NAME KEY=VALUE, xwpf rule keys. docs/store.md has them all.\n"
    "Exit codes: 0 ok, 1 failure (the store could not be read or written, no relay to reload),\n"
    "2 usage (an unknown key), 3 the value or the resulting store is invalid (nothing written).\n";

/* [global] keys: values and default. config_keys (a scenario) checks none is missing. */
static const struct { const char *key, *help; } keys[] = {
	{ "log_level", "error | warn | info | debug (default info)" },
	{ "log_file", "a file for the relay's log; empty: stderr (the journal under systemd)" },
	{ "log_max_size", "then one rotation to log_file.1 (default 10M)" },
	{ "workers", "relay event loops; 0 = one per CPU the relay may run on (default 0)" },
	{ "cpu_affinity", "yes | no: with one worker per CPU, pin each to its CPU and give it the connections "
	    "that CPU receives (default yes; takes effect at the next start)" },
	{ "connect_timeout", "per connect, across the remotes tried (default 5s)" },
	{ "idle_timeout", "TCP idle limit, 0 = never (default 0)" },
	{ "udp_timeout", "UDP association idle limit (default " STORE_UDP_TIMEOUT_STR ")" },
	{ "proxy_timeout", "to read an incoming PROXY header (default 5s)" },
	{ "handshake_timeout", "TLS / WebSocket handshake deadline (default 10s)" },
	{ "tcp_keepalive", "0 = off (default 15s)" },
	{ "tcp_keepalive_interval", "(default 15s)" },
	{ "tcp_keepalive_probes", "1-127 (default 3)" },
	{ "tcp_nodelay", "yes | no (default yes)" },
	{ "tcp_fastopen", "yes | no: TCP Fast Open toward exits (remote_transport) and on tunnel listeners (default yes)" },
	{ "tunnel_pool_max", "0-64: warm tunnel connections kept per exit address and worker at most, 0 = no pool (default 8)" },
	{ "listen_congestion", "TCP congestion control toward the clients, e.g. bbr (default the system's)" },
	{ "remote_congestion", "... toward the remotes, e.g. cubic (default the system's)" },
	{ "udp_max_assoc", "UDP associations of the relay (default 16384)" },
	{ "health_interval", "between health checks (default 4s)" },
	{ "health_timeout", "of one check (default 3s)" },
	{ "health_fail", "consecutive failures before a remote is down (default 2)" },
	{ "health_ok", "consecutive successes before it is up again (default 2)" },
	{ "health_cooldown", "least time a remote stays down (default 120s)" },
	{ "dns_mode", "ipv4_only | ipv6_only | ipv4_then_ipv6 | ipv6_then_ipv4 | ipv4_and_ipv6 (default ipv4_then_ipv6)" },
	{ "dns_min_ttl", "(default 30s)" },
	{ "dns_max_ttl", "(default 1h)" },
	{ "billing", "both | in | out | max: what quotas count (default both)" },
	{ "reset_day", "1-31: billing cycles start that day, local time (default 1)" },
	{ "on_event", "a program run on events (absolute path; default none)" },
	{ "event_timeout", "an event program is killed after this (default 10s)" },
	{ "metrics_listen", "PORT or IP:PORT for Prometheus metrics, off (default off; a bare port is loopback)" },
	{ "ledger_interval", "the traffic ledger is written this often (default 2s)" },
	{ "src_prefix_v4", "16-32: per-source limits count an IPv4 client network (default 32)" },
	{ "src_prefix_v6", "32-128: ... an IPv6 one (default 64)" },
	{ "max_handshakes", "TLS / WebSocket handshakes under way per worker (default 1024)" },
	{ "max_handshakes_per_src", "... of them from one client network (default 64)" },
	{ "lang", "zh | en | auto: the menu's language and the notifications' (default auto: LC_ALL, then LANG)" },
	{ "notify", "telegram:BOT_TOKEN@CHAT_ID, wecom:https://..., webhook:https://..., comma-separated (default none)" },
	{ "notify_events", "all, or event names, comma-separated (default all; xwpf notify --help)" },
	{ "notify_ca", "a PEM file of the CAs to trust (default the system's store)" },
	{ "telegram_api", "the Bot API server (default https://api.telegram.org)" },
	{ "server_name", "names this server in messages (default the host name)" },
	{ "notify_insecure_http", "yes allows http:// targets, for a test server (default no)" },
	{ "notify_report", "a usage report this often, 1m-24h; 0 = off (default 0)" },
	{ "notify_timeout", "one send: connect, handshake and reply, 1s-60s (default 10s)" },
};

static const char *
help_of(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].key, key) == 0)
			return keys[i].help;
	return NULL;
}

static int
key_ok(const char *key)
{
	const char *near;

	if (store_global_key_known(key))
		return 1;
	near = store_key_suggest(key, 1);
	fprintf(stderr, "%s: unknown [global] key '%s'%s%s%s (see: %s)\n", applet_name, key,
	    near ? ": did you mean '" : "", near ? near : "", near ? "'?" : "", XCMD("config keys"));
	return 0;
}

/* Print every "key = value" line of [global] in text, in order (only: that
 * key's values alone); *found when one was. */
static void
global_lines(const char *text, const char *only, int *found)
{
	char line[4200];
	const char *p = text;
	int in = 0;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *s, *eq, *c;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), p);
		p += n + (p[n] == '\n');
		s = str_trim(line);
		if (*s == '[') {
			in = strncmp(s, "[global]", 8) == 0;
			continue;
		}
		if (!in || !*s || *s == '#' || *s == ';' || !(eq = strchr(s, '=')))
			continue;
		*eq = '\0';
		for (c = eq + 1; (c = strchr(c, '#')); c++)   /* an inline comment: whitespace then # */
			if (c[-1] == ' ' || c[-1] == '\t') {
				*c = '\0';
				break;
			}
		if (only && strcmp(str_trim(s), only) != 0)
			continue;
		*found = 1;
		if (only)
			printf("%s\n", str_trim(eq + 1));
		else
			printf("%s = %s\n", str_trim(s), str_trim(eq + 1));
	}
}

static int
cmd_get(int argc, char **argv)
{
	size_t len;
	char *text;
	int found = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: xwpf config get [KEY]\n");
		return EXIT_USAGE;
	}
	if (argc == 2 && !key_ok(argv[1]))
		return EXIT_USAGE;
	if (!(text = file_read(path_get(PATH_CONF), &len)))
		text = strdup("");   /* no store yet: every key at its default */
	if (!text)
		return EXIT_FAIL;
	global_lines(text, argc == 2 ? argv[1] : NULL, &found);
	free(text);
	if (argc == 2 && !found)
		printf("(not set: %s)\n", help_of(argv[1]) ? help_of(argv[1]) : "the default");
	return EXIT_OK;
}

static int
reload_relay(void)
{
	char msg[4352];
	long pid;
	int rc = relay_signal(SIGHUP, &pid, msg, sizeof(msg));

	if (rc > 0) {
		printf("reload signalled to relay pid %ld\n", pid);
		return EXIT_OK;
	}
	fprintf(stderr, "%s: saved, but %s\n", applet_name, rc == 0 ? "no relay is running to reload" : msg);
	return EXIT_FAIL;
}

static int
commit(struct store_txn *t)
{
	struct store_diags d = { 0 };
	char err[ERRLEN], buf[400];
	size_t i;
	int rc = EXIT_OK;

	if (store_commit(t, &d, err) < 0) {
		for (i = 0; i < d.n; i++)
			if (d.v[i].error)
				fprintf(stderr, "%s\n", store_diag_format(&d, i, buf, sizeof(buf)));
		fprintf(stderr, "%s: %s\n", applet_name, err);
		rc = d.nerrors ? EXIT_CONFIG : EXIT_FAIL;
	}
	store_diags_free(&d);
	store_end(t);
	return rc;
}

static int
cmd_set(int argc, char **argv)
{
	struct store_txn t;
	char err[ERRLEN];
	int i, reload = 0, n = 0, rc;

	for (i = 1; i < argc; i++) {
		char key[64];
		const char *eq = strchr(argv[i], '=');

		if (strcmp(argv[i], "--reload") == 0) {
			reload = 1;
			continue;
		}
		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key)) {
			fprintf(stderr, "%s: expected KEY=VALUE, got '%s'\n", applet_name, argv[i]);
			return EXIT_USAGE;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		if (!key_ok(str_trim(key)))
			return EXIT_USAGE;
		if (*(eq + 1) && store_value_storable(key, eq + 1, err) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, err);
			return EXIT_CONFIG;
		}
		n++;
	}
	if (!n) {
		fprintf(stderr, "usage: xwpf config set KEY=VALUE ... [--reload]\n");
		return EXIT_USAGE;
	}
	if (store_begin(&t, path_get(PATH_CONF), err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return EXIT_FAIL;
	}
	for (i = 1; i < argc; i++) {
		char key[64];
		const char *eq = strchr(argv[i], '='), *vals[1];

		if (!eq)
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		vals[0] = eq + 1;
		if (store_edit_set(&t, "global", str_trim(key), vals, *vals[0] ? 1 : 0, err) < 0) {
			fprintf(stderr, "%s: %s; nothing was written\n", applet_name, err);
			store_end(&t);
			return EXIT_FAIL;
		}
	}
	if ((rc = commit(&t)) != EXIT_OK)
		return rc;
	printf("saved %d key%s\n", n, n == 1 ? "" : "s");
	return reload ? reload_relay() : EXIT_OK;
}

static int
cmd_keys(int argc, char **argv)
{
	size_t i;
	const char *k;
	int names = argc == 2 && strcmp(argv[1], "--names") == 0;

	if (argc > 1 && !names) {
		fprintf(stderr, "usage: xwpf config keys [--names]\n");
		return EXIT_USAGE;
	}
	for (i = 0; (k = store_global_key_name(i)); i++) {
		const char *h = help_of(k);

		if (names || !h)
			puts(k);
		else
			printf("%-22s %s\n", k, h);
	}
	if (!names)
		puts("\nA key left empty (KEY=) takes its default; durations take ms s m h, sizes K M G T.");
	return EXIT_OK;
}

int
config_main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(config_usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "get") == 0)
		return cmd_get(argc - 1, argv + 1);
	if (strcmp(argv[1], "set") == 0)
		return cmd_set(argc - 1, argv + 1);
	if (strcmp(argv[1], "keys") == 0)
		return cmd_keys(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n\n%s", applet_name, argv[1], config_usage);
	return EXIT_USAGE;
}
