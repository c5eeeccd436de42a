/*
 * status: is the relay running, and what each rule has done. Reads the
 * pidfile (running = its pid holds the relay lock and runs xwpf) and the
 * stats file the relay rewrites every second (JSON, one rule object per line), and shows each
 * rule of the store beside its counters.
 *
 * --traffic reads the ledger (lib/store/ledger.h) beside the store: per rule the
 * billing cycle (in, out, billed by the rule's billing mode, quota, state,
 * next reset) and the display counts. The ledger is only read here, and a
 * cycle whose reset day has passed is rolled in memory, so what is shown
 * is what the relay will count from. --reset is the one write: it zeroes
 * display counts through ledger_update(), under the ledger's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "control.h"
#include "json.h"
#include "ledger.h"
#include "paths.h"
#include "pidlock.h"
#include "status.h"
#include "store.h"
#include "text.h"
#include "util.h"

const char status_usage[] =
    "usage: xwpf status [--json]\n"
    "       xwpf status --traffic [--detail] [--all] [--json] [NAME...]\n"
    "       xwpf status --reset NAME... | --reset --all   [--json]\n"
    "       xwpf status --reset-cycle NAME... | --reset-cycle --all   [--json]\n"
    "\n"
    "The relay's state (running or not, pid, uptime, workers) and, for every rule of\n"
    "the store, its counters from the running relay: connections active and total,\n"
    "failed connects, bytes up (client to remote) and down, UDP associations, and\n"
    "per remote connects, failures and the last error. A rule whose port could not\n"
    "be bound (another program holds it) is listed below the table with the reason;\n"
    "the relay keeps trying it every 5 s.\n"
    "--json prints {\"running\",\"pid\",\"stats_age_s\",\"relay\",\"rules\":[{...,\"stats\"}]}\n"
    "where relay and each rule's stats are the relay's own stats objects (or null);\n"
    "relay.draining_rules lists the rules a reload removed whose connections still\n"
    "run, with tcp_active, udp_active, bytes_up and bytes_down.\n"
    "Exit codes: 0 running, 1 not running, 3 the store is invalid.\n"
    "\n"
    "--traffic: the traffic ledger per rule. The billing cycle (in, out, billed by the\n"
    "rule's billing mode, quota, percent used, quota state, cycle start, next reset,\n"
    "in local time) and the display counts (since the last --reset). Sizes in binary\n"
    "units (1 KiB = 1024 bytes); --json gives exact bytes. --detail (or one NAME)\n"
    "splits every count by TCP/UDP and IPv4/IPv6. Ledger entries of rules no longer\n"
    "in the store are shown only with --all (or by NAME), marked removed.\n"
    "`xwpf status NAME...` is short for --traffic NAME...\n"
    "--reset NAME... (or --all): zero the display counts; the billing cycle and\n"
    "quotas are never touched. Safe while the relay runs.\n"
    "--reset-cycle NAME... (or --all): start a new billing cycle now (the quota counts\n"
    "from zero, a stopped rule forwards again within ledger_interval; the next\n"
    "reset stays on reset_day); the display counts are reset too.\n"
    "Exit codes (--traffic, --reset): 0 ok, 1 unknown rule or unreadable ledger,\n"
    "2 usage, 3 the store is invalid.\n";

/* The rule's object in the stats; NULL when the relay has none. */
const struct json_val *
status_find_rule(const struct stats_file *sf, const char *name)
{
	const struct json_val *rules = json_get(sf->root, "rules");
	const char *n;
	size_t i;

	for (i = 0; rules && rules->t == JSON_ARR && i < rules->n; i++)
		if ((n = json_get_str(rules->v[i], "name")) != NULL && strcmp(n, name) == 0)
			return rules->v[i];
	return NULL;
}

/* The rule's line as written (it starts {"name":"NAME", and names hold no
 * quotes or backslashes), for --json to pass on. */
const char *
status_find_rule_line(const struct stats_file *sf, const char *name)
{
	char pat[STORE_NAME_MAX + 16];
	size_t i, n;

	n = (size_t)snprintf(pat, sizeof(pat), "{\"name\":\"%s\",", name);
	for (i = 0; i < sf->nlines; i++)
		if (strncmp(sf->lines[i], pat, n) == 0)
			return sf->lines[i];
	return NULL;
}

/* A string of the relay's stats, escaped for the terminal, into buf; NULL when absent. */
const char *
status_jstr(const struct json_val *obj, const char *key, char *buf, size_t size)
{
	const char *s = json_get_str(obj, key);

	return s ? text_escape(s, buf, size) : NULL;
}

void
status_free_stats(struct stats_file *sf)
{
	free(sf->lines);
	free(sf->text);
	json_free(sf->root);
	memset(sf, 0, sizeof(*sf));
}

/* The relay's counters as of now from its control socket (control.h), else
 * its stats file (at most a second old); NULL when neither is there. */
static char *
live_stats(void)
{
	char err[ERRLEN], *ans;
	int ok;

	if (ctl_request(path_get(PATH_CONTROL), "status", 5000, &ans, &ok, err) == 0) {
		if (ok)
			return ans;
		free(ans);
	}
	return file_read_flags(path_get(PATH_STATS), NULL, O_NOFOLLOW);
}

/* 0, or -1 (nothing kept) when the relay's stats cannot be read */
int
status_read_stats(struct stats_file *sf)
{
	char *p, *nl, err[ERRLEN];
	size_t cap = 0;

	memset(sf, 0, sizeof(*sf));
	sf->text = live_stats();
	if (!sf->text || !(sf->root = json_parse(sf->text, strlen(sf->text), err)) || sf->root->t != JSON_OBJ)
		goto bad;
	sf->updated = json_get_int(sf->root, "updated", 0);
	sf->updated_ms = json_get_int(sf->root, "updated_ms", 0);   /* 0 from a relay older than it */
	sf->started = json_get_int(sf->root, "started", 0);
	sf->workers = json_get_int(sf->root, "workers", 0);
	sf->draining = json_get_int(sf->root, "draining", 0);
	{
		const struct json_val *v = json_get(sf->root, "steering");

		sf->steering = v && v->t == JSON_BOOL && v->b;
	}
	p = sf->text;
	nl = strchr(p, '\n');
	if (!nl)
		goto bad;
	*nl = '\0';
	sf->head = p;
	for (p = nl + 1; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (p[0] == ',')
			p++;
		if (strncmp(p, "{\"name\":", 8) != 0)
			continue;
		if (nl > p && nl[-1] == ',')
			nl[-1] = '\0';
		if (sf->nlines == cap) {
			char **v = realloc(sf->lines, (cap ? cap * 2 : 16) * sizeof(*v));
			if (!v)
				goto bad;
			sf->lines = v;
			cap = cap ? cap * 2 : 16;
		}
		sf->lines[sf->nlines++] = p;
	}
	return 0;
bad:
	status_free_stats(sf);
	return -1;
}

pid_t
status_relay_pid(void)
{
	char msg[4352];
	long pid;

	if (relay_find(&pid, msg, sizeof(msg)) > 0)   /* checked: never a stale pid */
		return (pid_t)pid;
	if (*msg)
		fprintf(stderr, "%s: %s\n", applet_name, msg);
	return 0;
}

static void
remotes_text(const struct store_rule *r, char *buf, size_t size)
{
	size_t i, n = 0;
	char hp[300];

	buf[0] = '\0';
	for (i = 0; i < r->nremotes && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
		    hostport_format(&r->remotes[i].addr, hp, sizeof(hp)));
	/* the table's column is 28 wide: past it, the first remote and how many more
	 * ('xwpf rule show NAME' and --json list them all) */
	if (n > 28 && r->nremotes > 1)
		snprintf(buf, size, "%s (+%zu more)", hostport_format(&r->remotes[0].addr, hp, sizeof(hp)),
		    r->nremotes - 1);
}

static void print_loaded(const struct stats_file *sf, int json);

static void
print_json(const struct store *st, int running, pid_t pid, const struct stats_file *sf, int have, int bad)
{
	size_t i, j;
	char buf[2048];
	int first = 1;

	fputc('{', stdout);
	json_kv_bool(stdout, &first, "running", running);
	json_kv_num(stdout, &first, "pid", running ? pid : 0);
	json_kv_num(stdout, &first, "stats_age_s", have ? (long long)(wall_ms() / 1000) - sf->updated : -1);
	fputs(",\"relay\":", stdout);
	if (have) {   /* the head line without its "rules":[ tail */
		const char *r = strstr(sf->head, ",\"rules\":[");
		fwrite(sf->head, 1, r ? (size_t)(r - sf->head) : strlen(sf->head), stdout);
		fputc('}', stdout);
	} else
		fputs("null", stdout);
	if (bad)
		fputs(",\"store_valid\":false", stdout);
	fputs(",\"rules\":[", stdout);
	if (bad && have)
		print_loaded(sf, 1);
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *r = &st->rules[i];
		const char *line = have ? status_find_rule_line(sf, r->name) : NULL;
		int f2 = 1;

		fputs(i ? ",{" : "{", stdout);
		json_kv_str(stdout, &f2, "name", r->name);
		json_kv_bool(stdout, &f2, "enabled", r->enabled);
		store_listen_format(r, buf, sizeof(buf));
		json_kv_str(stdout, &f2, "listen", buf);
		fputs(",\"remotes\":[", stdout);
		for (j = 0; j < r->nremotes; j++) {
			if (j)
				fputc(',', stdout);
			json_str(stdout, hostport_format(&r->remotes[j].addr, buf, sizeof(buf)));
		}
		fputc(']', stdout);
		json_kv_str(stdout, &f2, "protocol", store_proto_name(r->protocols));
		json_kv_str(stdout, &f2, "note", r->note);
		fputs(",\"stats\":", stdout);
		fputs(line ? line : "null", stdout);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

/* Rules a reload removed whose connections still drain (the stats file's
 * first line: "draining_rules":[{"name":"N","tcp_active":A,"udp_active":U,...},...]),
 * each with what it still carries; counted until the last one ends. */
static void
print_draining(const struct stats_file *sf)
{
	const struct json_val *d = json_get(sf->root, "draining_rules");
	char name[STORE_NAME_MAX * 4 + 1];
	int n = 0;
	size_t i;

	printf("removed by a reload, still draining (counted until their last connection ends):");
	for (i = 0; d && d->t == JSON_ARR && i < d->n; i++) {
		long long tc = json_get_int(d->v[i], "tcp_active", 0), u = json_get_int(d->v[i], "udp_active", 0);

		if (!status_jstr(d->v[i], "name", name, sizeof(name)))
			break;
		printf("%s %s (%lld TCP connection%s", n++ ? "," : "", name, tc, tc == 1 ? "" : "s");
		if (u)
			printf(", %lld UDP association%s", u, u == 1 ? "" : "s");
		printf(")");
	}
	if (!n)
		printf(" %lld rule%s", sf->draining, sf->draining == 1 ? "" : "s");
	printf("\n");
}

/* "relay: not running" and how to start it: the service install.sh made,
 * else the foreground command (with the --root in use) */
void
status_not_running(void)
{
	const char *root = getenv("XWPF_ROOT");
	int rooted = root && *root;
	char cmd[PATH_MAX + 80];

	if (!rooted && access("/etc/systemd/system/xwpf.service", F_OK) == 0)
		printf("relay: not running (start it: systemctl start xwpf)\n");
	else if (!rooted && access("/etc/init.d/xwpf", F_OK) == 0)
		printf("relay: not running (start it: rc-service xwpf start)\n");
	else
		printf("relay: not running (start it: %s)\n", path_cmd(cmd, sizeof(cmd), "relay"));
}

/* Under the table: each remote of the rule that has failed, with the
 * stage and reason of its last failure (the stats' "remotes" array). */
static void
print_remote_failures(const char *rule, const struct json_val *stats)
{
	const struct json_val *rems = json_get(stats, "remotes");
	char addr[300], why[512];
	size_t i;

	for (i = 0; rems && rems->t == JSON_ARR && i < rems->n; i++) {
		const struct json_val *e = rems->v[i];
		long long fails, last, age;

		if (!status_jstr(e, "address", addr, sizeof(addr)))
			continue;
		fails = json_get_int(e, "fails", 0);
		last = json_get_int(e, "last_fail", 0);
		if (!status_jstr(e, "last_error", why, sizeof(why)))
			*why = '\0';
		if (fails <= 0 || !*why)
			continue;
		age = (long long)(wall_ms() / 1000) - last;
		if (age < 0)
			age = 0;
		printf("rule %s: remote %s: %lld failed, the last %lld%s ago: %s\n", rule, addr, fails,
		    age < 120 ? age : age < 7200 ? age / 60 : age < 172800 ? age / 3600 : age / 86400,
		    age < 120 ? "s" : age < 7200 ? "m" : age < 172800 ? "h" : "d", why);
	}
}

/* The store has errors: what the running relay forwards, from its own
 * figures (the rules it loaded before the store broke). */
/* A rule whose clients met the warm tunnel pool: how it served them. */
static void
print_pool(const char *rule, const struct json_val *stats)
{
	const struct json_val *p = json_get(stats, "tunnel_pool");
	long long hits = p ? json_get_int(p, "hits", 0) : 0, misses = p ? json_get_int(p, "misses", 0) : 0;

	if (!hits && !misses)
		return;
	printf("rule %s: tunnel pool: %lld clients took a warm connection, %lld connected; %lld waiting "
	    "(opened %lld, expired %lld, failed %lld)\n", rule, hits, misses, json_get_int(p, "pooled", 0),
	    json_get_int(p, "opened", 0), json_get_int(p, "expired", 0), json_get_int(p, "failed", 0));
}

static void
print_loaded(const struct stats_file *sf, int json)
{
	const struct json_val *rules = json_get(sf->root, "rules");
	char name[4 * STORE_NAME_MAX + 1], l[300], up[32], down[32], conns[48], udp[48], nb[4 * STORE_NAME_MAX + 32];
	const char *raw;
	size_t i;
	int n = 0;

	if (!json)
		printf("the store has errors (below); the relay forwards the rules it loaded:\n%-16s %-22s %9s %10s "
		    "%10s %9s\n", "RULE", "LISTEN", "ACT/TOTAL", "UP", "DOWN", "UDP");
	for (i = 0; rules && rules->t == JSON_ARR && i < rules->n; i++) {
		const struct json_val *r = rules->v[i];

		if (!(raw = json_get_str(r, "name")) || !status_jstr(r, "name", name, sizeof(name)) ||
		    !status_jstr(r, "listen", l, sizeof(l)))
			continue;
		if (json) {
			const char *line = status_find_rule_line(sf, raw);

			printf("%s{\"name\":", n++ ? "," : "");
			json_str(stdout, raw);
			printf(",\"stats\":%s}", line ? line : "null");
			continue;
		}
		snprintf(conns, sizeof(conns), "%lld/%lld", json_get_int(r, "tcp_active", 0), json_get_int(r, "tcp_total", 0));
		snprintf(udp, sizeof(udp), "%lld/%lld", json_get_int(r, "udp_active", 0), json_get_int(r, "udp_total", 0));
		printf("%s %-22s %9s %10s %10s %9s\n", text_pad(name, 16, nb, sizeof(nb)), l, conns, fmt_bytes(up, sizeof(up),
		    (uint64_t)json_get_int(r, "bytes_up", 0)), fmt_bytes(down, sizeof(down), (uint64_t)json_get_int(r, "bytes_down", 0)), udp);
	}
}

static void
print_text(const struct store *st, int running, pid_t pid, const struct stats_file *sf, int have, int bad)
{
	size_t i, wn = 16;
	char nb[STORE_NAME_MAX + 32];
	char l[1024], rem[600], up[32], down[32];

	if (running && have) {
		long long up_s = (long long)(wall_ms() / 1000) - sf->started;
		printf("relay: running (pid %d, up %lldh%02lldm%02llds, %lld workers%s, stats %llds old)\n", (int)pid,
		    up_s / 3600, up_s / 60 % 60, up_s % 60, sf->workers, sf->steering ? " pinned, accepts steered" : "",
		    (long long)(wall_ms() / 1000) - sf->updated);
		if (sf->draining > 0)
			print_draining(sf);
	} else if (running)
		printf("relay: running (pid %d), no stats yet\n", (int)pid);
	else
		status_not_running();
	if (bad && have)
		print_loaded(sf, 0);
	if (!st->nrules) {
		if (bad)
			return;
		printf("no rules in %s (add one with '%s')\n", path_get(PATH_CONF), XCMD("rule add"));
		return;
	}
	for (i = 0; i < st->nrules; i++)   /* names by the columns a terminal gives them */
		wn = text_width(st->rules[i].name) > wn ? text_width(st->rules[i].name) : wn;
	printf("%s %-22s %-28s %-7s %9s %8s %10s %10s %9s\n", text_pad("RULE", wn, nb, sizeof(nb)), "LISTEN", "REMOTE",
	    "PROTO", "ACT/TOTAL", "FAILED", "UP", "DOWN", "UDP");
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *r = &st->rules[i];
		const struct json_val *line = have ? status_find_rule(sf, r->name) : NULL;
		char conns[48], udp[48], failed[24];

		store_listen_format(r, l, sizeof(l));
		remotes_text(r, rem, sizeof(rem));
		if (line) {
			snprintf(conns, sizeof(conns), "%lld/%lld", json_get_int(line, "tcp_active", 0), json_get_int(line, "tcp_total", 0));
			snprintf(failed, sizeof(failed), "%lld", json_get_int(line, "connect_fail", 0));
			snprintf(udp, sizeof(udp), "%lld/%lld", json_get_int(line, "udp_active", 0), json_get_int(line, "udp_total", 0));
			fmt_bytes(up, sizeof(up), (uint64_t)json_get_int(line, "bytes_up", 0));
			fmt_bytes(down, sizeof(down), (uint64_t)json_get_int(line, "bytes_down", 0));
		} else {
			const char *why = !r->enabled ? "disabled" : running ? "not running" : "-";
			snprintf(conns, sizeof(conns), "%s", why);
			strcpy(failed, "-");
			strcpy(udp, "-");
			strcpy(up, "-");
			strcpy(down, "-");
		}
		printf("%s %-22s %-28s %-7s %9s %8s %10s %10s %9s\n", text_pad(r->name, wn, nb, sizeof(nb)), l, rem,
		    store_proto_name(r->protocols), conns, failed, up, down, udp);
	}
	for (i = 0; i < st->nrules; i++) {   /* remotes that failed: the stage and reason of the last failure */
		const struct json_val *line = have ? status_find_rule(sf, st->rules[i].name) : NULL;

		if (line) {
			print_remote_failures(st->rules[i].name, line);
			print_pool(st->rules[i].name, line);
		}
	}
	for (i = 0; i < st->nrules; i++) {   /* rules not (fully) listening: the relay's reason */
		const struct json_val *line = have ? status_find_rule(sf, st->rules[i].name) : NULL;
		char state[1024];

		if (line && status_jstr(line, "state", state, sizeof(state)) && strcmp(state, "listening") != 0)
			printf("rule %s: %s\n", st->rules[i].name, state);
	}
}

static void
store_errors(struct store_diags *d, const char *tail)
{
	char buf[600];

	for (size_t k = 0; k < d->n; k++)
		fprintf(stderr, "%s\n", store_diag_format(d, k, buf, sizeof(buf)));
	fprintf(stderr, "%s: the store is invalid: fix the lines above ('%s')%s\n", applet_name, XCMD("rule check"),
	    tail);
	store_diags_free(d);
}

int
status_main(int argc, char **argv)
{
	struct store st;
	struct store_diags d = { 0 };
	struct stats_file sf;
	int json = 0, traffic = 0, detail = 0, all = 0, reset = 0, cycle = 0, nnames = 0, running, have = 0, i, rc, bad;
	char **names = calloc((size_t)argc + 1, sizeof(*names));
	pid_t pid;

	if (!names) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		return EXIT_FAIL;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--traffic") == 0)
			traffic = 1;
		else if (strcmp(argv[i], "--detail") == 0)
			detail = traffic = 1;
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--reset") == 0)
			reset = 1;
		else if (strcmp(argv[i], "--reset-cycle") == 0)
			reset = cycle = 1;
		else if (argv[i][0] != '-' && store_name_valid(argv[i]))
			names[nnames++] = argv[i];
		else {
			fprintf(stderr, "%s: unknown argument '%s' (usage: xwpf status [--json], xwpf status --traffic "
			    "[--detail] [--all] [--json] [NAME...], xwpf status --reset NAME...|--all)\n", applet_name, argv[i]);
			free(names);
			return EXIT_USAGE;
		}
	}
	if (reset && (traffic || (all == (nnames > 0)))) {
		fprintf(stderr, "%s: --reset takes rule names or --all (and no --traffic or --detail): "
		    "xwpf status --reset NAME... or xwpf status --reset --all\n", applet_name);
		free(names);
		return EXIT_USAGE;
	}
	if (all && nnames && !reset) {
		fprintf(stderr, "%s: --all shows every rule: give it or rule names, not both\n", applet_name);
		free(names);
		return EXIT_USAGE;
	}
	if ((bad = store_load(path_get(PATH_CONF), &st, &d) < 0)) {
		store_free(&st);   /* what a running relay forwards is shown without it */
		memset(&st, 0, sizeof(st));
	}
	if (bad && (reset || traffic || all || nnames)) {
		store_errors(&d, "");
		free(names);
		return EXIT_CONFIG;
	}
	if (reset || traffic || all || nnames) {
		rc = reset ? status_reset(&st, names, nnames, all, json, cycle) : status_traffic(&st, names, nnames, json, detail, all);
		store_free(&st);
		free(names);
		return rc;
	}
	free(names);
	pid = status_relay_pid();
	running = pid > 0;
	if (running)
		have = status_read_stats(&sf) == 0;
	if (!have)
		memset(&sf, 0, sizeof(sf));
	if (json)
		print_json(&st, running, pid, &sf, have, bad);
	else
		print_text(&st, running, pid, &sf, have, bad);
	status_free_stats(&sf);
	store_free(&st);
	if (bad)   /* after what the relay does: the store's problems, and the exit code says so */
		store_errors(&d, running ? "; the relay goes on with the rules it loaded (above)" : "");
	store_diags_free(&d);
	return bad ? EXIT_CONFIG : running ? EXIT_OK : EXIT_FAIL;
}
