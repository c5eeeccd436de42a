/*
 * status: is the relay running, and what each rule has done. Reads the
 * pidfile (running = the pid is alive) and the stats file the relay
 * rewrites every second (JSON, one rule object per line), and shows each
 * rule of the store beside its counters.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "json.h"
#include "paths.h"
#include "store.h"
#include "util.h"

const char status_usage[] =
    "usage: xwpf status [--json]\n"
    "\n"
    "The relay's state (running or not, pid, uptime, workers) and, for every rule of\n"
    "the store, its counters from the running relay: connections active and total,\n"
    "failed connects, bytes up (client to remote) and down, UDP associations, and\n"
    "per remote connects, failures and the last error.\n"
    "--json prints {\"running\",\"pid\",\"stats_age_s\",\"relay\",\"rules\":[{...,\"stats\"}]}\n"
    "where relay and each rule's stats are the relay's own stats objects (or null).\n"
    "Exit codes: 0 running, 1 not running, 3 the store is invalid.\n";

struct stats_file {
	char *text;
	char *head;            /* the first line: the relay's object up to "rules" */
	char **lines;          /* one per rule */
	size_t nlines;
	long long updated, started, workers;
};

static int
jnum(const char *line, const char *key, long long *out)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return -1;
	*out = strtoll(p + strlen(pat), NULL, 10);
	return 0;
}

static long long
jget(const char *line, const char *key)
{
	long long v = 0;

	if (line)
		(void)jnum(line, key, &v);
	return v;
}

/* The rule's line: it starts {"name":"NAME", (names hold no quotes or backslashes). */
static const char *
find_rule(const struct stats_file *sf, const char *name)
{
	char pat[STORE_NAME_MAX + 16];
	size_t i, n;

	n = (size_t)snprintf(pat, sizeof(pat), "{\"name\":\"%s\",", name);
	for (i = 0; i < sf->nlines; i++)
		if (strncmp(sf->lines[i], pat, n) == 0)
			return sf->lines[i];
	return NULL;
}

static int
read_stats(struct stats_file *sf)
{
	char *p, *nl;
	size_t cap = 0;

	memset(sf, 0, sizeof(*sf));
	sf->text = file_read(path_get(PATH_STATS), NULL);
	if (!sf->text)
		return -1;
	p = sf->text;
	nl = strchr(p, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	sf->head = p;
	sf->updated = jget(p, "updated");
	sf->started = jget(p, "started");
	sf->workers = jget(p, "workers");
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
				return -1;
			sf->lines = v;
			cap = cap ? cap * 2 : 16;
		}
		sf->lines[sf->nlines++] = p;
	}
	return 0;
}

static void
free_stats(struct stats_file *sf)
{
	free(sf->lines);
	free(sf->text);
	memset(sf, 0, sizeof(*sf));
}

static pid_t
relay_pid(void)
{
	return (pid_t)path_relay_pid();
}

static void
listen_text(const struct store_rule *r, char *buf, size_t size)
{
	struct hostport l = r->listen;

	if (!*l.host)
		strcpy(l.host, "::");
	hostport_format(&l, buf, size);
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
}

static void
print_json(const struct store *st, int running, pid_t pid, const struct stats_file *sf, int have)
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
	fputs(",\"rules\":[", stdout);
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *r = &st->rules[i];
		const char *line = have ? find_rule(sf, r->name) : NULL;
		int f2 = 1;

		fputs(i ? ",{" : "{", stdout);
		json_kv_str(stdout, &f2, "name", r->name);
		json_kv_bool(stdout, &f2, "enabled", r->enabled);
		listen_text(r, buf, sizeof(buf));
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

static void
print_text(const struct store *st, int running, pid_t pid, const struct stats_file *sf, int have)
{
	size_t i;
	char l[300], rem[600], up[32], down[32];

	if (running && have) {
		long long up_s = (long long)(wall_ms() / 1000) - sf->started;
		printf("relay: running (pid %d, up %lldh%02lldm%02llds, %lld workers, stats %llds old)\n", (int)pid,
		    up_s / 3600, up_s / 60 % 60, up_s % 60, sf->workers,
		    (long long)(wall_ms() / 1000) - sf->updated);
	} else if (running)
		printf("relay: running (pid %d), no stats yet\n", (int)pid);
	else
		printf("relay: not running\n");
	if (!st->nrules) {
		printf("no rules in %s (add one with 'xwpf rule add')\n", path_get(PATH_CONF));
		return;
	}
	printf("%-16s %-22s %-28s %-7s %9s %8s %10s %10s %9s\n", "RULE", "LISTEN", "REMOTE", "PROTO",
	    "ACT/TOTAL", "FAILED", "UP", "DOWN", "UDP");
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *r = &st->rules[i];
		const char *line = have ? find_rule(sf, r->name) : NULL;
		char conns[48], udp[48], failed[24];

		listen_text(r, l, sizeof(l));
		remotes_text(r, rem, sizeof(rem));
		if (line) {
			snprintf(conns, sizeof(conns), "%lld/%lld", jget(line, "tcp_active"), jget(line, "tcp_total"));
			snprintf(failed, sizeof(failed), "%lld", jget(line, "connect_fail"));
			snprintf(udp, sizeof(udp), "%lld/%lld", jget(line, "udp_active"), jget(line, "udp_total"));
			fmt_bytes(up, sizeof(up), (uint64_t)jget(line, "bytes_up"));
			fmt_bytes(down, sizeof(down), (uint64_t)jget(line, "bytes_down"));
		} else {
			const char *why = !r->enabled ? "disabled" : running ? "not running" : "-";
			snprintf(conns, sizeof(conns), "%s", why);
			strcpy(failed, "-");
			strcpy(udp, "-");
			strcpy(up, "-");
			strcpy(down, "-");
		}
		printf("%-16s %-22s %-28s %-7s %9s %8s %10s %10s %9s\n", r->name, l, rem,
		    store_proto_name(r->protocols), conns, failed, up, down, udp);
	}
}

int
status_main(int argc, char **argv)
{
	struct store st;
	struct store_diags d = { 0 };
	struct stats_file sf;
	int json = 0, running, have = 0, i;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else {
			fprintf(stderr, "%s: unknown argument '%s' (usage: xwpf status [--json])\n", applet_name, argv[i]);
			return EXIT_USAGE;
		}
	}
	if (store_load(path_get(PATH_CONF), &st, &d) < 0) {
		char buf[600];
		size_t k;
		for (k = 0; k < d.n; k++)
			fprintf(stderr, "%s\n", store_diag_format(&d, k, buf, sizeof(buf)));
		fprintf(stderr, "%s: the store is invalid: fix the lines above ('xwpf rule check')\n", applet_name);
		store_diags_free(&d);
		return EXIT_CONFIG;
	}
	store_diags_free(&d);
	pid = relay_pid();
	running = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
	if (running)
		have = read_stats(&sf) == 0;
	if (!have)
		memset(&sf, 0, sizeof(sf));
	if (json)
		print_json(&st, running, pid, &sf, have);
	else
		print_text(&st, running, pid, &sf, have);
	free_stats(&sf);
	store_free(&st);
	return running ? EXIT_OK : EXIT_FAIL;
}
