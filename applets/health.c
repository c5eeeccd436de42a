/*
 * health: active health checks of the remotes of every rule with
 * failover = yes (lib/relay/healthcheck.h has the checks, the hysteresis and the state
 * file). The running relay watches the state file and takes a backend
 * marked down out of rotation for new connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include "applet.h"
#include "healthcheck.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "pidlock.h"
#include "store.h"
#include "tls.h"
#include "transport.h"
#include "util.h"

const char health_usage[] =
    "usage: xwpf health --once | --watch | --status [--json]\n"
    "\n"
    "  --once             check every backend once, update the state file, log\n"
    "                     each up/down change (for a systemd timer or cron)\n"
    "  --watch            check again every health_interval (default 4s) until\n"
    "                     SIGTERM or SIGINT; SIGHUP checks at once\n"
    "  --status [--json]  each backend's state, consecutive failed and good checks,\n"
    "                     last check, last change and the last result; 'failing'\n"
    "                     is up with failed checks short of health_fail,\n"
    "                     'recovering' down with good ones short of health_ok\n"
    "                     or inside the cooldown\n"
    "\n"
    "  --interval TIME    with --watch: instead of [global] health_interval\n"
    "  --timeout TIME     per check, instead of [global] health_timeout (3s)\n"
    "  -v, --verbose      log every check, not only the changes\n"
    "\n"
    "Checked: every remote of every enabled rule with failover = yes, all in\n"
    "parallel. A TCP connect, or with health_send / health_expect set on the rule,\n"
    "send that string (\\r \\n \\t \\0 \\\\ \\xHH understood) and expect the reply to\n"
    "start with health_expect. A remote with a remote_transport is checked\n"
    "through its tunnel: the relay's own TLS and WebSocket handshake (sni, pin,\n"
    "CA, host, path), health_send / health_expect inside it, then a clean close;\n"
    "the state says which stage failed (tcp:, tls:, ws:, handshake timeout).\n"
    "A remote checked the same way by several rules is checked once a round.\n"
    "A backend goes down after health_fail (2) failed checks in a row, and up\n"
    "again after health_ok (2) good ones in a row once health_cooldown (120s,\n"
    "0 allowed) has passed since it went down.\n"
    "When every backend of a rule is down the relay still tries them in order.\n"
    "\n"
    "State: $XWPF_ROOT/var/lib/xwpf/health (--root DIR moves it).\n"
    "Exit codes: 0 ok, 1 failure (state not writable), 2 usage, 3 invalid store.\n";

static volatile sig_atomic_t got_stop, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

struct opts {
	int once, watch, status, json, verbose;
	long interval_ms, timeout_ms;   /* -1: from the store */
};

/* Load the store; diagnostics to stderr (to_log 0), the log (1) or nowhere (-1). */
static int
load_store(struct store *st, int to_log)
{
	struct store_diags d = { 0 };
	char buf[600];
	size_t i;
	int rc = store_load(path_get(PATH_CONF), st, &d);

	for (i = 0; i < d.n && to_log >= 0; i++) {
		if (!d.v[i].error && rc == 0)
			continue;   /* warnings are the rule applet's business */
		store_diag_format(&d, i, buf, sizeof(buf));
		if (to_log)
			log_error("%s", buf);
		else
			fprintf(stderr, "%s\n", buf);
	}
	if (rc < 0 && to_log >= 0) {
		if (to_log)
			log_error("the store is invalid: fix it (%s), nothing checked this round", XCMD("rule check"));
		else
			fprintf(stderr, "%s: the store is invalid: fix it (see: %s)\n", applet_name, XCMD("rule check"));
	}
	store_diags_free(&d);
	return rc;
}

static void
open_log(const struct store *st, int verbose)
{
	enum log_level lv = LOG_INFO;
	const char *file = st->g.log_file;
	char buf[512];

	if (log_level_parse(st->g.log_level, &lv) < 0)
		lv = LOG_INFO;
	if (verbose)
		lv = LOG_DEBUG;
	file = path_log_file(file, buf, sizeof(buf));
	if (log_open("xwpf health", lv, file, st->g.log_max_size) < 0) {
		log_open("xwpf health", lv, NULL, 0);
		log_warn("cannot open the log file %s: %s; logging to stderr", file, strerror(errno));
	}
}

/* Serialize rounds of concurrent health processes (a timer and a watch):
 * one round is the longest wait, and never forever. */
static int
lock_state(long timeout_ms, char *err)
{
	char path[600];

	snprintf(path, sizeof(path), "%s.lock", path_get(PATH_HEALTH));
	return lock_take(path, timeout_ms + LOCK_WAIT_MS, err);
}

/* One round: check, judge, save. Returns an exit code. */
static int
check_round(const struct store *st, const struct opts *o)
{
	struct hc_state prev = { 0 }, next = { 0 };
	struct hc_host *hosts = NULL;
	size_t n = 0;
	long timeout = o->timeout_ms >= 0 ? o->timeout_ms : st->g.health_timeout;
	char err[ERRLEN];
	int lockfd = -1, rc = EXIT_FAIL;

	if (dir_own(path_get(PATH_STATE_DIR), 0700, err) < 0 || (lockfd = lock_state(timeout, err)) < 0) {
		log_error("%s", err);
		return EXIT_FAIL;
	}
	file_tmp_cleanup(path_get(PATH_HEALTH));   /* left by a round that was killed */
	if (hc_state_load(path_get(PATH_HEALTH), &prev, err) < 0)
		log_warn("%s; starting from a fresh state (it is rewritten now)", err);
	if (hc_hosts_build(st, &prev, &hosts, &n, err) < 0) {
		log_error("%s", err);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (n == 0)
		log_debug("no enabled rule has failover = yes: nothing to check");
	if (hc_check_all(hosts, n, timeout, err) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (hc_hosts_state(hosts, n, &next) < 0) {
		log_error("out of memory");
		goto out;
	}
	if (hc_state_save(path_get(PATH_HEALTH), &next, err) < 0) {
		log_error("%s", err);
		goto out;
	}
	rc = EXIT_OK;
out:
	hc_hosts_free(hosts, n);
	hc_state_free(&prev);
	hc_state_free(&next);
	close(lockfd);
	return rc;
}

static int
run_once(const struct opts *o)
{
	struct store st;
	int rc;

	if (load_store(&st, 0) < 0) {
		store_free(&st);
		return EXIT_CONFIG;
	}
	open_log(&st, o->verbose);
	rc = check_round(&st, o);
	store_free(&st);
	log_close();
	return rc;
}

static int
run_watch(const struct opts *o)
{
	struct sigaction sa;
	sigset_t block, orig;
	struct store st;
	int have_log = 0, rounds = 0, store_bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: the wait ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	/* Signals wait while a round runs, so a stop never leaves half a state. */
	sigprocmask(SIG_BLOCK, &block, &orig);

	while (!got_stop) {
		int64_t start = now_ms(), wait;
		long interval = 4000;
		struct timespec ts;

		got_hup = 0;
		/* a broken store is reported when it breaks, not every round */
		if (load_store(&st, have_log && !store_bad ? 1 : have_log ? -1 : 0) == 0) {
			if (store_bad)
				log_info("the store is valid again: checking");
			store_bad = 0;
			if (!have_log) {
				open_log(&st, o->verbose);
				have_log = 1;
				log_info("watching every %lds (pid %ld)", (o->interval_ms >= 0 ? o->interval_ms :
				    st.g.health_interval) / 1000, (long)getpid());
			}
			interval = o->interval_ms >= 0 ? o->interval_ms : st.g.health_interval;
			check_round(&st, o);
			rounds++;
		} else if (!have_log) {
			store_free(&st);
			return EXIT_CONFIG;   /* refuse to start on a broken store */
		} else
			store_bad = 1;
		store_free(&st);
		wait = start + interval - now_ms();
		if (wait < 0)
			wait = 0;
		ts.tv_sec = (time_t)(wait / 1000);
		ts.tv_nsec = (long)(wait % 1000) * 1000000L;
		if (!got_stop && !got_hup)
			ppoll(NULL, 0, &ts, &orig);   /* signals are let in only here */
	}
	log_info("stopping after %d rounds", rounds);
	log_close();
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return EXIT_OK;
}

static const char *
when(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	int64_t ago = (wall_ms() - ms) / 1000;
	size_t n;

	if (ms <= 0)
		return "-";
	localtime_r(&t, &tm);
	n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	if (ago >= 0 && n < size)
		snprintf(buf + n, size - n, " (%llds ago)", (long long)ago);
	return buf;
}

/* The last result for people: the words of a code, or a tunnel's stage and
 * words; a pin mismatch names both pins (the expected one from the rule). */
static const char *
result_text(const struct store_rule *r, const struct hc_entry *e, char *buf, size_t size)
{
	static const char pm[] = "tls: pin mismatch (got ";
	struct transport t;
	char want[TLS_PIN_STRLEN], err[ERRLEN];
	size_t n;

	if (!*e->why)
		return hc_code_text(e->reason);
	if (strncmp(e->why, pm, sizeof(pm) - 1) == 0 && r->remote_transport &&
	    transport_parse(r->remote_transport, TRANSPORT_CLIENT, &t, err) == 0 && t.has_pin) {
		tls_pin_format(t.pin, want);
		n = strlen(e->why + sizeof(pm) - 1);
		snprintf(buf, size, "tls: pin mismatch: the exit's key changed? expected %s, got %.*s", want,
		    (int)(n ? n - 1 : 0), e->why + sizeof(pm) - 1);
		return buf;
	}
	snprintf(buf, size, "%s", e->why);
	return buf;
}

static int
run_status(const struct opts *o)
{
	struct store st;
	struct hc_state hs = { 0 };
	char err[ERRLEN], c1[64], c2[64], id[HC_TARGET_MAX], words[2 * HC_WHY_MAX], nb[STORE_NAME_MAX + 32];
	size_t i, j, shown = 0, wn = 16;
	int first_obj = 1;

	if (load_store(&st, 0) < 0) {
		store_free(&st);
		return EXIT_CONFIG;
	}
	if (hc_state_load(path_get(PATH_HEALTH), &hs, err) < 0) {
		fprintf(stderr, "%s: %s (the next check rewrites it)\n", applet_name, err);
		store_free(&st);
		return EXIT_FAIL;
	}
	for (i = 0; i < st.nrules; i++)   /* names by the columns a terminal gives them */
		wn = text_width(st.rules[i].name) > wn ? text_width(st.rules[i].name) : wn;
	if (o->json)
		fputc('[', stdout);
	else
		printf("%s %-28s %-10s %5s %5s  %-31s %-31s %s\n", text_pad("RULE", wn, nb, sizeof(nb)), "BACKEND", "STATE",
		    "FAILS", "OKS", "LAST CHECK", "LAST CHANGE", "LAST RESULT");
	for (i = 0; i < st.nrules; i++) {
		const struct store_rule *r = &st.rules[i];

		if (!r->enabled || !r->failover)
			continue;
		long fail_thr = store_rule_ms(&st, r, r->health_fail, st.g.health_fail);
		long ok_thr = store_rule_ms(&st, r, r->health_ok, st.g.health_ok);

		for (j = 0; j < r->nremotes; j++) {
			const struct hc_entry *e;
			const char *state, *shown_state, *trend;

			hostport_format(&r->remotes[j].addr, id, sizeof(id));
			e = hc_state_find(&hs, r->name, id);
			state = !e ? "unchecked" : e->up ? "up" : "down";
			/* between the two: up with failed checks short of health_fail
			 * (the relay still uses it), down with good ones short of
			 * health_ok or within the cooldown (it does not yet) */
			trend = !e ? "" : e->up && e->fails > 0 ? "failing" : !e->up && e->oks > 0 ? "recovering" : "";
			shown_state = *trend ? trend : state;
			shown++;
			if (o->json) {
				int first = 1;

				fputs(first_obj ? "{" : ",{", stdout);
				first_obj = 0;
				json_kv_str(stdout, &first, "rule", r->name);
				json_kv_str(stdout, &first, "backend", id);
				json_kv_str(stdout, &first, "state", state);
				json_kv_str(stdout, &first, "trend", trend);
				json_kv_num(stdout, &first, "fail_threshold", fail_thr);
				json_kv_num(stdout, &first, "ok_threshold", ok_thr);
				json_kv_num(stdout, &first, "fails", e ? e->fails : 0);
				json_kv_num(stdout, &first, "oks", e ? e->oks : 0);
				json_kv_num(stdout, &first, "last_check_ms", e ? e->last_check : 0);
				json_kv_num(stdout, &first, "last_change_ms", e ? e->last_change : 0);
				json_kv_str(stdout, &first, "reason", e ? hc_code_str(e->reason) : "");
				json_kv_str(stdout, &first, "reason_text", e ? result_text(r, e, words, sizeof(words)) : "");
				json_kv_str(stdout, &first, "stage", e ? hc_stage(e) : "");
				json_kv_str(stdout, &first, "detail", e ? (*e->why ? e->why : hc_code_str(e->reason)) : "");
				fputc('}', stdout);
				continue;
			}
			printf("%s %-28s %-10s %5ld %5ld  %-31s %-31s %s\n", text_pad(r->name, wn, nb, sizeof(nb)), id,
			    shown_state, e ? e->fails : 0,
			    e ? e->oks : 0, e ? when(e->last_check, c1, sizeof(c1)) : "-",
			    e ? when(e->last_change, c2, sizeof(c2)) : "-", e ? result_text(r, e, words, sizeof(words)) : "-");
		}
	}
	if (o->json)
		fputs("]\n", stdout);
	else if (!shown)
		printf("no enabled rule has failover = yes; turn it on with\n  %s\n", XCMD("rule set NAME failover=yes"));
	hc_state_free(&hs);
	store_free(&st);
	return EXIT_OK;
}

static int
duration_arg(const char *opt, const char *v, long min, long *out)
{
	if (!v || parse_duration_ms(v, out) < 0 || *out < min) {
		fprintf(stderr, "%s: %s needs a duration of at least %ldms, like 4s or 500ms, not '%s'\n",
		    applet_name, opt, min, v ? v : "");
		return -1;
	}
	return 0;
}

int
health_main(int argc, char **argv)
{
	struct opts o = { 0, 0, 0, 0, 0, -1, -1 };
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--once") == 0)
			o.once = 1;
		else if (strcmp(a, "--watch") == 0)
			o.watch = 1;
		else if (strcmp(a, "--status") == 0)
			o.status = 1;
		else if (strcmp(a, "--json") == 0)
			o.json = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			o.verbose = 1;
		else if (strcmp(a, "--interval") == 0) {
			if (duration_arg(a, i + 1 < argc ? argv[++i] : NULL, 100, &o.interval_ms) < 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--timeout") == 0) {
			if (duration_arg(a, i + 1 < argc ? argv[++i] : NULL, 10, &o.timeout_ms) < 0)
				return EXIT_USAGE;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n%s", applet_name, a, health_usage);
			return EXIT_USAGE;
		}
	}
	if (o.once + o.watch + o.status != 1) {
		fprintf(stderr, "%s: give exactly one of --once, --watch, --status\n%s", applet_name, health_usage);
		return EXIT_USAGE;
	}
	if (o.json && !o.status) {
		fprintf(stderr, "%s: --json goes with --status\n", applet_name);
		return EXIT_USAGE;
	}
	if (o.interval_ms >= 0 && !o.watch) {
		fprintf(stderr, "%s: --interval goes with --watch\n", applet_name);
		return EXIT_USAGE;
	}
	if (o.status)
		return run_status(&o);
	if (o.once)
		return run_once(&o);
	return run_watch(&o);
}
