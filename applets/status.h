#ifndef XWPF_STATUS_H
#define XWPF_STATUS_H

/*
 * The status applet's two files: status.c (the relay and the store, the
 * relay's counters read live from its control socket or from the stats
 * file) and status_traffic.c (--traffic and --reset: the ledger beside the
 * store). One prefix, status_.
 */
#include <stddef.h>
#include <sys/types.h>

struct store;
struct json_val;

struct stats_file {
	char *text;
	char *head;            /* the first line: the relay's object up to "rules" */
	char **lines;          /* one per rule, as the relay wrote it */
	size_t nlines;
	struct json_val *root; /* the whole text, read (json.h) */
	long long updated, updated_ms, started, workers, draining;
	int steering;          /* workers pinned, accepts steered to the receiving CPU's */
};

/* The relay's counters: its control socket, else the stats file. 0, or -1 (none kept). */
int status_read_stats(struct stats_file *sf);
void status_free_stats(struct stats_file *sf);
/* The rule's object of the relay's counters, NULL when it has none. */
const struct json_val *status_find_rule(const struct stats_file *sf, const char *name);
/* The same as the relay wrote it (for --json to pass on), NULL when none. */
const char *status_find_rule_line(const struct stats_file *sf, const char *name);
/* A string of the relay's counters, escaped for the terminal, into buf; NULL when absent. */
const char *status_jstr(const struct json_val *obj, const char *key, char *buf, size_t size);
/* The running relay's pid (checked), 0 when none runs (why said on stderr). */
pid_t status_relay_pid(void);
/* "relay: not running" and how to start it. */
void status_not_running(void);

/* --traffic [NAME...], --reset (--reset-cycle: cycle) NAME...|--all: the exit code. */
int status_traffic(struct store *st, char **names, int nnames, int json, int detail, int all);
int status_reset(struct store *st, char **names, int nnames, int all, int json, int cycle);

#endif
