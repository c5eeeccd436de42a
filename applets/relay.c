/*
 * relay: forward every enabled rule of the store (or one rule given with
 * realm's flags) with N event-loop workers; reload on SIGHUP; counters in
 * the stats file once a second. The engine is lib/relay/runtime.c, lib/relay/conn.c
 * (TCP) and lib/relay/udp.c (UDP); this file is the main thread: arguments,
 * signals, pidfile, stats, reload.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounting.h"
#include "applet.h"
#include "control.h"
#include "evloop.h"
#include "events.h"
#include "healthcheck.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "notify.h"
#include "tlsfiles.h"
#include "net.h"
#include "paths.h"
#include "pidlock.h"
#include "realm.h"
#include "relay.h"
#include "runtime.h"
#include "resolve.h"
#include "steer.h"
#include "store.h"
#include "util.h"

const char relay_usage[] =
    "usage: xwpf relay [--workers N] [-c FILE]          forward the store's enabled rules\n"
    "       xwpf relay -l LISTEN -r REMOTE [-r REMOTE ...] [-u] [-t] [-x THROUGH] [-i IF]\n"
    "                  [-e LISTEN_IF] [-6] [-m] [-a TRANSPORT] [-b TRANSPORT] [--workers N]\n"
    "                  [--cpu-affinity yes|no]\n"
    "                                                    one rule, realm's flags\n"
    "       xwpf relay --reload [-c FILE]                validate, then have the running relay reload\n"
    "       xwpf relay --check [-c FILE]                 validate the store and exit\n"
    "\n"
    "  -l ADDR:PORT[-PORT]  listen (\":PORT\" or \"[::]:PORT\" = every address, dual stack)\n"
    "  -r HOST:PORT[-PORT]  remote; repeat for more (balanced round robin, next on failure)\n"
    "  -u  also UDP    -t  no TCP    -6  IPv6 only (with [::])    -m  MPTCP both ways\n"
    "  -x IP[:PORT]  source address toward remotes    -i IF  egress interface\n"
    "  -e IF  listen interface    -c FILE  an xwpf store instead of /etc/xwpf/xwpf.conf\n"
    "  -a / -b  listen / remote transport in realm's syntax, e.g. -b 'ws;host=H;path=/p;tls;sni=H'\n"
    "         (exit side: -a 'tls;servername=NAME' or 'tls;cert=FILE;key=FILE'; quote the ';')\n"
    "  --workers N  event-loop threads (default: [global] workers, else one per CPU it may run on)\n"
    "  --cpu-affinity yes|no  with one worker per CPU, pin each to its CPU and give it the\n"
    "         connections that CPU receives (default: [global] cpu_affinity, yes)\n"
    "\n"
    "Signals: SIGHUP reloads (a store that fails validation changes nothing; unchanged\n"
    "rules keep their listeners and connections, removed rules drain); SIGTERM/SIGINT\n"
    "stop accepting, close every connection (both ends see EOF) and exit 0.\n"
    "Files: pidfile, stats (JSON, rewritten each second) and the control socket\n"
    "relay.sock (status, reload, stop; --reload asks it and prints the answer) in\n"
    "/run/xwpf (none for a -l/-r relay). XWPF_NO_SPLICE=1 forces copy mode; XWPF_PIPE_SIZE sets the\n"
    "splice pipe size in bytes. [global] metrics_listen = 127.0.0.1:PORT serves\n"
    "Prometheus text at /metrics (a bare port means 127.0.0.1).\n"
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid configuration.\n";

struct opts {
	const char *listen, *through, *iface, *listen_iface, *conf;
	const char *origin;    /* a store made in memory (realm's flags or config): its name, else NULL */
	const char *lsn_transport, *rem_transport;   /* -a, -b */
	const char *remotes[STORE_MAX_REMOTES];
	int nremotes, udp, no_tcp, v6only, mptcp, reload, check;
	long workers;
	int cpu_affinity;      /* --cpu-affinity: 1 yes, 0 no, -1 [global]'s */
};

/* Diagnostics to the log or stderr, and to ans too when not NULL (a
 * reload asked for on the control socket answers with them). */
static void
print_diags(const struct store_diags *d, int to_log, FILE *ans)
{
	char buf[600];
	size_t i;

	for (i = 0; i < d->n; i++) {
		store_diag_format(d, i, buf, sizeof(buf));
		if (ans)
			fprintf(ans, "%s\n", buf);
		if (to_log) {
			if (d->v[i].error)
				log_error("%s", buf);
			else
				log_warn("%s", buf);
		} else
			fprintf(stderr, "%s\n", buf);
	}
}

/* The flag behind each line of cli_store's text, for its diagnostics */
#define CLI_LINES (STORE_MAX_REMOTES + 16)
static const char *cli_flag[CLI_LINES];

/* A -l/-r rule's diagnostics name the flag, not a line of text the user
 * never wrote: "xwpf relay: -l: error: listen: ..." */
static void
print_cli_diags(const struct store_diags *d, int to_log, FILE *ans)
{
	char buf[600];
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct store_diag *x = &d->v[i];
		const char *flag = x->line > 0 && x->line < CLI_LINES ? cli_flag[x->line] : NULL;

		snprintf(buf, sizeof(buf), "%s%s%s: %s", flag ? flag : "", flag ? ": " : "",
		    x->error ? "error" : "warning", x->msg);
		if (ans)
			fprintf(ans, "%s\n", buf);
		if (to_log) {
			if (x->error)
				log_error("%s", buf);
			else
				log_warn("%s", buf);
		} else
			fprintf(stderr, "%s: %s\n", applet_name, buf);
	}
}

static int
need_arg(int i, int argc, char **argv)
{
	if (i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value (see --help)\n", applet_name, argv[i]);
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->workers = -1;
	o->cpu_affinity = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--reload") == 0)
			o->reload = 1;
		else if (strcmp(a, "--check") == 0)
			o->check = 1;
		else if (strcmp(a, "-u") == 0 || strcmp(a, "--udp") == 0)
			o->udp = 1;
		else if (strcmp(a, "-t") == 0 || strcmp(a, "--no-tcp") == 0)
			o->no_tcp = 1;
		else if (strcmp(a, "-6") == 0 || strcmp(a, "--ipv6-only") == 0)
			o->v6only = 1;
		else if (strcmp(a, "-m") == 0 || strcmp(a, "--mptcp") == 0)
			o->mptcp = 1;
		else if (strcmp(a, "-a") == 0 || strcmp(a, "-b") == 0) {   /* realm's transports */
			if (need_arg(i, argc, argv) < 0)
				return -1;
			if (a[1] == 'a')
				o->lsn_transport = argv[++i];
			else
				o->rem_transport = argv[++i];
		} else if (strcmp(a, "--workers") == 0 || strcmp(a, "-w") == 0) {
			if (need_arg(i, argc, argv) < 0)
				return -1;
			if (parse_long(argv[++i], 1, 256, &o->workers) < 0) {
				fprintf(stderr, "%s: --workers takes 1 to 256, not '%s'\n", applet_name, argv[i]);
				return -1;
			}
		} else if (strcmp(a, "--cpu-affinity") == 0) {
			if (need_arg(i, argc, argv) < 0)
				return -1;
			if (parse_bool(argv[++i], &o->cpu_affinity) < 0) {
				fprintf(stderr, "%s: --cpu-affinity takes yes or no, not '%s'\n", applet_name, argv[i]);
				return -1;
			}
		} else if (a[0] == '-' && strchr("lrxiec", a[1]) && a[2] == '\0') {
			if (need_arg(i, argc, argv) < 0)
				return -1;
			switch (a[1]) {
			case 'l': o->listen = argv[++i]; break;
			case 'x': o->through = argv[++i]; break;
			case 'i': o->iface = argv[++i]; break;
			case 'e': o->listen_iface = argv[++i]; break;
			case 'c': o->conf = argv[++i]; break;
			case 'r':
				if (o->nremotes >= STORE_MAX_REMOTES) {
					fprintf(stderr, "%s: at most %d remotes\n", applet_name, STORE_MAX_REMOTES);
					return -1;
				}
				o->remotes[o->nremotes++] = argv[++i];
				break;
			}
		} else {
			fprintf(stderr, "%s: unknown argument '%s' (see --help)\n", applet_name, a);
			return -1;
		}
	}
	if ((o->listen != NULL) != (o->nremotes > 0)) {
		fprintf(stderr, "%s: -l and -r go together: -l LISTEN -r REMOTE\n", applet_name);
		return -1;
	}
	if (o->listen && o->conf) {
		fprintf(stderr, "%s: use either -l/-r or -c FILE\n", applet_name);
		return -1;
	}
	if (!o->listen && (o->udp || o->no_tcp || o->v6only || o->mptcp || o->through || o->iface || o->listen_iface ||
	    o->lsn_transport || o->rem_transport)) {
		fprintf(stderr, "%s: -u -t -6 -m -x -i -e -a -b describe a -l/-r rule; for the store, edit it with "
		    "'%s'\n", applet_name, XCMD("rule set"));
		return -1;
	}
	if (o->no_tcp && !o->udp) {
		fprintf(stderr, "%s: -t without -u leaves nothing to forward\n", applet_name);
		return -1;
	}
	return 0;
}

static int
has_newline(const char *s)
{
	return s && strpbrk(s, "\r\n#;") != NULL;
}

/* A -l/-r rule as store text, so it gets the store's validation and defaults. */
static char *
cli_store(const struct opts *o)
{
	char *buf = NULL, lb[300];
	size_t len = 0;
	int i, line;
	FILE *f;

	if (has_newline(o->listen) || has_newline(o->through) || has_newline(o->iface) || has_newline(o->listen_iface))
		return NULL;
	for (i = 0; i < o->nremotes; i++)
		if (has_newline(o->remotes[i]))
			return NULL;
	if ((o->lsn_transport && strpbrk(o->lsn_transport, "\r\n#")) ||
	    (o->rem_transport && strpbrk(o->rem_transport, "\r\n#")))   /* transports hold ';' */
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	memset(cli_flag, 0, sizeof(cli_flag));
	line = 2;
	/* realm writes "[::]:80", ":80" and even ":::80": the store reads them as
	 * an import does (mig_listen); anything else goes as written, for the
	 * store to judge */
	fprintf(f, "[rule cli]\nlisten = %s\n", mig_listen(o->listen, lb, sizeof(lb)) == 0 ? lb : o->listen);
	cli_flag[line++] = "-l";
	for (i = 0; i < o->nremotes; i++) {
		fprintf(f, "remote = %s\n", o->remotes[i]);
		cli_flag[line++] = "-r";
	}
	fprintf(f, "protocol = %s\n", o->no_tcp ? "udp" : o->udp ? "tcp+udp" : "tcp");
	cli_flag[line++] = "-u/-t";
#define CLI_LINE(cond, flag, ...) \
	do { if (cond) { fprintf(f, __VA_ARGS__); cli_flag[line++] = (flag); } } while (0)
	CLI_LINE(o->through, "-x", "through = %s\n", o->through);
	CLI_LINE(o->iface, "-i", "interface = %s\n", o->iface);
	CLI_LINE(o->listen_iface, "-e", "listen_interface = %s\n", o->listen_iface);
	CLI_LINE(o->v6only, "-6", "ipv6_only = yes\n");
	CLI_LINE(o->mptcp, "-m", "mptcp = both\n");
	CLI_LINE(o->lsn_transport, "-a", "listen_transport = %s\n", o->lsn_transport);
	CLI_LINE(o->rem_transport, "-b", "remote_transport = %s\n", o->rem_transport);
#undef CLI_LINE
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Load the rule set: 0 ok, -1 invalid (diagnostics printed or logged). */
static int
load(const struct opts *o, struct store *st, int to_log, FILE *ans)
{
	struct store_diags d = { 0 };
	int rc;

	if (o->listen) {
		char *text = cli_store(o);
		if (!text) {
			fprintf(stderr, "%s: arguments must not hold newlines or '#' (nor ';' outside -a/-b)\n", applet_name);
			return -1;
		}
		rc = store_parse_text(text, "command line", st, &d);
		free(text);
		print_cli_diags(&d, to_log, ans);
	} else {
		rc = store_load(o->conf ? o->conf : path_get(PATH_CONF), st, &d);
		print_diags(&d, to_log, ans);
	}
	store_diags_free(&d);
	if (rc < 0)
		store_free(st);
	return rc;
}

static pid_t
pidfile_pid(void)
{
	return (pid_t)path_relay_pid();
}

/* The relay's control socket: its answer printed, the exit code from it;
 * -1 when no relay serves the socket (an older relay: signal it instead). */
static int
reload_by_socket(void)
{
	char err[ERRLEN], *ans;
	int ok;

	if (ctl_request(path_get(PATH_CONTROL), "reload", 30000, &ans, &ok, err) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED || errno == EACCES || errno == ENAMETOOLONG)
			return -1;
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return EXIT_FAIL;
	}
	fputs(ans, ok ? stdout : stderr);
	free(ans);
	return ok ? EXIT_OK : EXIT_CONFIG;
}

static int
do_reload(const struct opts *o)
{
	struct store st;
	char msg[PATH_MAX + 256];
	long pid;
	int rc;

	/* the relay validates its store and answers with the result; a store
	 * given with -c is checked here first (the relay reads its own) */
	if (!o->conf && (rc = reload_by_socket()) >= 0)
		return rc;
	if (load(o, &st, 0, NULL) < 0) {
		fprintf(stderr, "%s: the store is invalid: fix the lines above; the relay keeps its rules\n", applet_name);
		return EXIT_CONFIG;
	}
	store_free(&st);
	if (o->conf && (rc = reload_by_socket()) >= 0)
		return rc;
	rc = relay_signal(SIGHUP, &pid, msg, sizeof(msg));
	if (rc == 0) {
		char cmd[PATH_MAX + 80];

		if (*msg)
			fprintf(stderr, "%s: %s\n", applet_name, msg);
		fprintf(stderr, "%s: no relay is running (no live relay in %s): start it with '%s'\n",
		    applet_name, path_get(PATH_PIDFILE), path_cmd(cmd, sizeof(cmd), "relay"));
		return EXIT_FAIL;
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, msg);
		return EXIT_FAIL;
	}
	printf("reload signalled to relay pid %ld\n", pid);
	return EXIT_OK;
}

struct mainctx {
	struct opts *o;
	struct rt *rt;
	struct ev_loop *loop;
	struct ev_io sio;
	struct ev_timer stats;
	int sfd;
	int files;             /* pidfile and stats are ours */
	int lockfd;            /* the relay lock, held for the whole run */
	int64_t started;
	int cpu_affinity;      /* [global] cpu_affinity in effect (read at start only) */
	int exit_code;
	struct stat health_st;  /* the health file as last read */
	struct ev_io hio;       /* inotify on the health file's folder: changes apply at once */
	int hfd;
	int64_t stats_cost;     /* ms the last stats write took */
	struct ev_timer ledger; /* the traffic ledger: every ledger_interval */
	long ledger_ms;
	struct event_runner er; /* on_event programs */
	int64_t ledger_err_ms;
	struct prom_server *metrics;        /* the Prometheus endpoint, NULL when off */
	struct ctl *ctl;                /* the control socket, NULL when there is none */
	struct hostport metrics_on;     /* where it listens (port 0: nowhere) */
	struct hostport metrics_want;   /* metrics_listen of the store in use */
	struct ev_timer mtimer;         /* (re)opens it outside any I/O callback */
	int health_events;      /* health changes fire events (after the first look) */
	int64_t cert_check;     /* epoch seconds of the last look at certificates' ends */
	struct {                /* bind failures, fired from the next tick (the rule may be new) */
		char rule[STORE_NAME_MAX + 1];
		char detail[200];
	} binds[16];
	int nbinds;
	struct notify *notify;  /* built-in notifications (lib/notify), NULL when no target */
	long report_ms;         /* notify_report, 0 = off */
	char server[64];        /* server_name, else the host name */
	int lang;               /* of the messages: NOTIFY_EN or NOTIFY_ZH */
	int64_t report_at;      /* monotonic ms of the next report */
};

/* An event for the rule's on_event program (or [global]'s): never blocks. */
static void
fire(void *arg, const struct rt_rule *r, const char *event, const char *backend, const char *detail)
{
	struct mainctx *m = arg;
	char err[ERRLEN];

	log_info("event %s: rule %s%s%s%s%s", event, r->r->name, *backend ? " backend " : "", backend,
	    *detail ? ": " : "", detail);
	if (m->notify) {
		struct notify_event e = { r->r->name, event, backend, detail, r->lim.reset_day };

		notify_post(m->notify, r->r->notify, &e);
	}
	if (!*r->lim.on_event)
		return;
	if (event_fire(&m->er, r->lim.on_event, event, r->r->name, backend, detail, err) < 0)
		log_warn("event %s: rule %s: %s", event, r->r->name, err);
}

static void
on_bind_failed(void *arg, const char *rule, const char *detail)
{
	struct mainctx *m = arg;

	if (m->nbinds >= (int)ARRAY_SIZE(m->binds))
		return;   /* logged by the relay anyway */
	snprintf(m->binds[m->nbinds].rule, sizeof(m->binds[0].rule), "%s", rule);
	snprintf(m->binds[m->nbinds].detail, sizeof(m->binds[0].detail), "%s", detail);
	m->nbinds++;
}

static void
fire_binds(struct mainctx *m)
{
	size_t n, i;
	struct rt_rule *const *rules = rt_rules(m->rt, &n);
	int b;

	for (b = 0; b < m->nbinds; b++)
		for (i = 0; i < n; i++)
			if (strcmp(rules[i]->r->name, m->binds[b].rule) == 0) {
				fire(m, rules[i], "bind_failed", "", m->binds[b].detail);
				break;
			}
	m->nbinds = 0;
}

static void
flush_ledger(struct mainctx *m)
{
	char err[ERRLEN];

	if (!m->files)
		return;
	if (acct_flush(m->rt, path_get(PATH_LEDGER), wall_ms() / 1000, fire, m, err) < 0 &&
	    now_ms() - m->ledger_err_ms > 60000) {
		m->ledger_err_ms = now_ms();
		log_warn("traffic ledger: %s (the counts are kept and written with the next try)", err);
	}
}

static void
on_ledger(struct ev_loop *l, struct ev_timer *t)
{
	struct mainctx *m = t->arg;

	flush_ledger(m);
	ev_timer_set(l, t, ev_now(l) + m->ledger_ms);
}

/* The health applet rewrites its state file atomically: a new inode or
 * mtime means new up/down bits for the balancers. */
static void
check_health(struct mainctx *m)
{
	struct stat sb;
	struct hc_state hs = { 0 };
	char err[ERRLEN];

	if (stat(path_get(PATH_HEALTH), &sb) < 0) {
		if (m->health_st.st_ino) {   /* removed: every backend counts as up again */
			memset(&m->health_st, 0, sizeof(m->health_st));
			rt_health(m->rt, &hs);
		}
		return;
	}
	if (sb.st_ino == m->health_st.st_ino && sb.st_mtim.tv_sec == m->health_st.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == m->health_st.st_mtim.tv_nsec && sb.st_size == m->health_st.st_size)
		return;
	m->health_st = sb;
	if (hc_state_load(path_get(PATH_HEALTH), &hs, err) < 0) {
		log_warn("health state ignored: %s", err);
		return;
	}
	log_debug("health state: %zu entries", hs.n);
	if (m->health_events) {   /* not for what was already down when the relay started */
		static const struct hc_state none;   /* no state yet: every backend counted as up */
		const struct hc_state *old = rt_health_state(m->rt);
		acct_health_events(m->rt, old ? old : &none, &hs, fire, m);
	}
	rt_health(m->rt, &hs);
}

/* A store with an on_event program makes the relay spawn children: the
 * workers must then take each fd out of epoll before they close it
 * (ev_spawns_children), from before the rules reach them. */
static void
spawns_ahead(const struct store *st)
{
	size_t i;
	int any = *st->g.on_event != '\0';

	for (i = 0; !any && i < st->nrules; i++)
		any = *st->rules[i].on_event != '\0';
	if (any)
		ev_spawns_children();
}

/* The notification thread, started when the store first names a target. */
static void
notify_ahead(struct mainctx *m, const struct store *st)
{
	char err[ERRLEN];
	size_t i;
	int any = *st->g.notify != '\0';

	for (i = 0; !any && i < st->nrules; i++)
		any = *st->rules[i].notify != '\0';
	if (any && !m->notify && !(m->notify = notify_start(err)))
		log_error("notify: %s; events go to the log only", err);
}

/* The report: "HK-1 report:", a line a rule ("web: 400.1 MiB of 1.0 GiB
 * (39%)"), the relay's figures; rules past the message's length counted. */
static void
notify_report(struct mainctx *m)
{
	static const char *const state[] = { [LIM_Q_OK] = "", [LIM_Q_STOPPED] = "stopped",
		[LIM_Q_THROTTLED] = "throttled", [LIM_Q_EXPIRED] = "expired" };
	char text[NOTIFY_TEXT_MAX], line[256];
	size_t n, i, len, l;
	struct rt_rule *const *rules = rt_rules(m->rt, &n);
	struct notify_report_sum f = { 0 };
	const struct hc_state *hs;

	len = strlen(notify_report_head(text, sizeof(text), m->server, m->lang));
	for (i = 0; i < n; i++) {
		struct rt_counters c;
		const struct rt_rule *r = rules[i];
		int qs = __atomic_load_n(&r->st->quota_state, __ATOMIC_RELAXED);

		rt_rule_sum(m->rt, r, &c);
		f.open += c.tcp_active + c.udp_active;
		notify_report_rule(line, sizeof(line), r->r->name, __atomic_load_n(&r->st->cycle_used, __ATOMIC_RELAXED),
		    r->lim.quota, qs >= 0 && qs < (int)ARRAY_SIZE(state) ? state[qs] : "", m->lang);
		l = strlen(line);
		if (f.more || len + l + 1 > sizeof(text) - 300)   /* room for the figures */
			f.more++;
		else
			len += (size_t)snprintf(text + len, sizeof(text) - len, "\n%s", line);
	}
	if ((hs = rt_health_state(m->rt)))
		for (i = 0; i < hs->n; i++)
			f.down += !hs->v[i].up;
	f.rules = n;
	f.up_hours = (unsigned long long)((wall_ms() - m->started) / 3600000);
	notify_counts(m->notify, &f.sent, &f.failed, &f.dropped);
	text[len++] = '\n';
	notify_report_tail(text + len, sizeof(text) - len, &f, m->lang);
	notify_post_text(m->notify, "report", text);
}

static void
apply_notify(struct mainctx *m, const struct store_global *g)
{
	struct notify_conf c;
	struct tls_anchors a = { 0 };
	char err[ERRLEN], sys[4096];

	notify_conf_from(&c, g, notify_lang(g->lang, getenv("LC_ALL") && *getenv("LC_ALL") ? getenv("LC_ALL") :
	    getenv("LANG")));
	snprintf(m->server, sizeof(m->server), "%s", c.server);
	m->lang = c.lang;
	if (m->notify) {
		/* read here, once a configuration: the sender never opens a file */
		if (tlsf_anchors_load(&a, *g->notify_ca ? g->notify_ca : tlsf_system_store(sys, sizeof(sys)), err) < 0)
			log_warn("notify: %s: HTTPS targets cannot be checked, so nothing is sent to them", err);
		notify_configure(m->notify, &c, &a);
	}
	if (m->report_ms != g->notify_report)
		m->report_at = now_ms() + g->notify_report;
	m->report_ms = g->notify_report;
}

static void
apply_global(struct mainctx *m, const struct store_global *g)
{
	enum log_level lv = LOG_INFO;

	m->ledger_ms = g->ledger_interval > 0 ? g->ledger_interval : 2000;
	m->er.timeout_ms = g->event_timeout > 0 ? g->event_timeout : 10000;
	apply_notify(m, g);

	if (log_level_parse(g->log_level, &lv) == 0)
		log_set_level(lv);
	if (rt_conf.res)
		res_configure(rt_conf.res, g->dns_mode, g->dns_min_ttl, g->dns_max_ttl);
}

static int
metrics_render(void *arg, struct prom *p)
{
	struct mainctx *m = arg;

	return rt_metrics_write(m->rt, p, m->started);
}

/* Open, move or close the metrics endpoint to match metrics_want. A port
 * that cannot be bound is logged; the relay goes on without it. */
static void
metrics_apply(struct mainctx *m)
{
	char err[ERRLEN], hp[300];
	const struct hostport *w = &m->metrics_want;

	if (m->metrics && w->port == m->metrics_on.port && strcmp(w->host, m->metrics_on.host) == 0)
		return;
	if (m->metrics)
		log_info("metrics: closing %s", hostport_format(&m->metrics_on, hp, sizeof(hp)));
	prom_close(m->metrics);
	m->metrics = NULL;
	memset(&m->metrics_on, 0, sizeof(m->metrics_on));
	if (!w->port)
		return;
	hostport_format(w, hp, sizeof(hp));
	if (!(m->metrics = prom_open(m->loop, w->host, w->port, metrics_render, m, err))) {
		log_error("metrics: %s; the relay runs without its metrics endpoint (fix metrics_listen or free "
		    "the port, then reload)", err);
		return;
	}
	m->metrics_on = *w;
	log_info("metrics: serving http://%s/metrics", hp);
}

static void
on_mtimer(struct ev_loop *l, struct ev_timer *t)
{
	(void)l;
	metrics_apply(t->arg);
}

/* Read the store again and apply it; what happened also into ans when not
 * NULL ("reloaded: 1 rule changed" or the store's errors): 0, or 1 refused. */
static int
reload(struct mainctx *m, FILE *ans)
{
	struct store st;
	struct store_global g;
	struct ctl_snap before;
	char err[ERRLEN], what[160];
	int64_t t0 = now_ms();
	int rc = 0;

	if (m->o->listen || m->o->origin) {
		log_info("reload: a relay from %s has nothing to re-read", m->o->origin ? m->o->origin : "-l/-r");
		if (ans)
			fprintf(ans, "a relay from %s has nothing to re-read\n", m->o->origin ? m->o->origin : "-l/-r");
		return 0;
	}
	log_info("reload: reading %s", m->o->conf ? m->o->conf : path_get(PATH_CONF));
	if (load(m->o, &st, 1, ans) < 0) {
		log_error("reload refused: the store is invalid (see above); the running rules stay");
		if (ans)
			fprintf(ans, "reload refused: the store is invalid (fix the lines above); the running rules stay\n");
		return 1;
	}
	g = st.g;
	spawns_ahead(&st);
	notify_ahead(m, &st);
	if (ctl_snap_take(m->rt, &before) < 0)
		before.n = 0;
	if (rt_apply(m->rt, &st, err) < 0) {
		log_error("reload refused: %s; the running rules stay", err);
		if (ans)
			fprintf(ans, "reload refused: %s; the running rules stay\n", err);
		rc = 1;
	} else {
		if (g.cpu_affinity != m->cpu_affinity)
			log_warn("reload: cpu_affinity = %s takes effect when the relay starts again (in effect: %s)",
			    g.cpu_affinity ? "yes" : "no", rt_steer_note(m->rt));
		apply_global(m, &g);
		flush_ledger(m);   /* new and changed rules learn their quota state now */
		acct_expiry_events(m->rt, wall_ms() / 1000, fire, m);
		m->cert_check = 0;  /* and new certificates are looked at on the next tick */
		m->metrics_want = g.metrics_listen;   /* applied from a timer: never inside this I/O callback */
		ev_timer_set(m->loop, &m->mtimer, ev_now(m->loop));
		log_info("reload done: %zu rule%s, %zu listening socket%s (one per port, protocol and worker)%s in %lld ms",
		    rt_nrules(m->rt), rt_nrules(m->rt) == 1 ? "" : "s", rt_nlisteners(m->rt),
		    rt_nlisteners(m->rt) == 1 ? "" : "s",
		    rt_npending(m->rt) ? " (some waiting to bind, see above)" : "",
		    (long long)(now_ms() - t0));
		ctl_snap_diff(&before, m->rt, what, sizeof(what));
		if (ans)
			fprintf(ans, "reloaded: %s%s%s%s\n", what, rt_npending(m->rt) ? "; some listeners wait to bind "
			    "(see '" : "", rt_npending(m->rt) ? XCMD("status") : "", rt_npending(m->rt) ? "')" : "");
	}
	ctl_snap_free(&before);
	store_free(&st);
	return rc;
}

static void write_stats(struct mainctx *m);

/* A request on the control socket (control.h). */
static int
on_control(void *arg, const char *cmd, FILE *out)
{
	struct mainctx *m = arg;
	int rc;

	if (strcmp(cmd, "status") == 0) {
		rt_stats_render(m->rt, m->started, out);
		return 0;
	}
	if (strcmp(cmd, "reload") == 0) {
		log_info("reload asked for on the control socket");
		rc = reload(m, out);
		write_stats(m);
		return rc;
	}
	if (strcmp(cmd, "stop") == 0) {
		fprintf(out, "stopping relay pid %d\n", (int)getpid());
		kill(getpid(), SIGTERM);   /* through the signalfd, after this answer is out */
		return 0;
	}
	return -1;
}

static void
write_stats(struct mainctx *m)
{
	char err[ERRLEN];
	static int64_t last_err;
	int64_t t0 = now_ms();

	if (m->files && rt_stats_write(m->rt, path_get(PATH_STATS), m->started, err) < 0 &&
	    now_ms() - last_err > 60000) {
		last_err = now_ms();
		log_warn("stats: %s", err);
	}
	m->stats_cost = now_ms() - t0;
}

static void
on_stats(struct ev_loop *l, struct ev_timer *t)
{
	struct mainctx *m = t->arg;

	check_health(m);
	fire_binds(m);
	acct_limit_events(m->rt, now_ms(), fire, m);
	acct_expiry_events(m->rt, wall_ms() / 1000, fire, m);
	if (wall_ms() / 1000 - m->cert_check >= 3600) {   /* hourly; each rule at most daily */
		m->cert_check = wall_ms() / 1000;
		acct_cert_events(m->rt, m->cert_check, fire, m);
	}
	event_reap(&m->er, now_ms());
	if (m->notify && m->report_ms && now_ms() >= m->report_at) {
		m->report_at = now_ms() + m->report_ms;
		notify_report(m);
	}
	rt_retry_binds(m->rt);   /* listeners that could not bind: bounded, each every 5 s */
	rt_steer_watch(m->rt, now_ms());
	write_stats(m);
	/* once a second; with thousands of rules, keep the writer under ~5% of a core */
	ev_timer_set(l, t, ev_now(l) + (m->stats_cost > 50 ? m->stats_cost * 20 : 1000));
}

static void
on_health(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct mainctx *m = io->arg;

	(void)l;
	(void)events;
	if (hc_watch_changed(m->hfd, path_get(PATH_HEALTH)) != 0)
		check_health(m);   /* -1 too: look anyway; the 1 s timer is the backstop */
}

static void
on_signal(struct ev_loop *l, struct ev_io *io, unsigned events)
{
	struct mainctx *m = io->arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(m->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			(void)reload(m, NULL);
			write_stats(m);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping (closing listeners and connections)", (int)si.ssi_signo);
			ev_stop(l);
			return;
		default:
			break;
		}
	}
}

/* The relay lock first (held until exit, before anything binds: a second
 * relay on this root stops here), then the pid for the other applets. */
static int
take_pidfile(struct mainctx *m)
{
	char buf[32], err[ERRLEN];
	int n;

	if ((m->lockfd = relay_lock_take(err)) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return -1;
	}
	file_tmp_cleanup(path_get(PATH_PIDFILE));   /* left by a relay that was killed */
	file_tmp_cleanup(path_get(PATH_STATS));
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (file_write_atomic_err(path_get(PATH_PIDFILE), buf, (size_t)n, 0600, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return -1;
	}
	return 0;
}

static void
drop_files(void)
{
	if (pidfile_pid() == getpid()) {
		unlink(path_get(PATH_STATS));
		unlink(path_get(PATH_PIDFILE));
	}
}

/* The log: [global] log_file (its folder made), else stderr */
static void
open_log(const struct store_global *g)
{
	enum log_level lv = LOG_INFO;
	char err[ERRLEN], file[PATH_MAX];

	(void)log_level_parse(g->log_level, &lv);
	if (*path_log_file(g->log_file, file, sizeof(file)) && path_dir_ready(file, err) < 0)
		fprintf(stderr, "%s: %s\n", applet_name, err);   /* log_open says the rest */
	if (log_open("xwpf relay", lv, file, g->log_max_size) < 0)
		fprintf(stderr, "%s: cannot open log file %s: %s (logging to stderr)\n", applet_name, file, strerror(errno));
}

static int run(struct opts *op, struct store *stp);

int
relay_main(int argc, char **argv)
{
	struct opts o;
	struct store st;

	if (realm_args(argc, argv))
		return realm_main(argc, argv);
	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.reload)
		return do_reload(&o);
	if (load(&o, &st, 0, NULL) < 0) {
		fprintf(stderr, "%s: invalid configuration: fix the %s above\n", applet_name, o.listen ? "arguments" : "lines");
		return EXIT_CONFIG;
	}
	if (o.check) {
		printf("%s: %zu rules, configuration valid\n", applet_name, st.nrules);
		store_free(&st);
		return EXIT_OK;
	}
	return run(&o, &st);
}

int
relay_run_store(struct store *st, const char *origin, long workers)
{
	struct opts o;

	memset(&o, 0, sizeof(o));
	o.origin = origin;
	o.workers = workers;
	o.cpu_affinity = -1;
	return run(&o, st);
}

/* Workers: --workers, else [global] workers, else one per CPU the relay may
 * run on; --cpu-affinity, when given, goes into g. */
static long
workers_of(const struct opts *o, struct store_global *g)
{
	int cpus[STEER_MAX_CPUS];
	long nw = o->workers > 0 ? o->workers : g->workers > 0 ? g->workers : steer_cpus(cpus, STEER_MAX_CPUS);

	if (nw < 1)   /* the mask unreadable: the CPUs online */
		nw = sysconf(_SC_NPROCESSORS_ONLN);
	if (o->cpu_affinity >= 0)
		g->cpu_affinity = o->cpu_affinity;
	return nw < 1 ? 1 : nw > 256 ? 256 : nw;
}

/* The relay over st (validated; emptied and freed here) until SIGTERM/SIGINT. */
static int
run(struct opts *op, struct store *stp)
{
	struct opts o = *op;
	struct store st = *stp;
	struct store_global g;
	struct mainctx m;
	sigset_t set;
	char err[ERRLEN];
	long nw, nofile;
	int64_t t0;
	int nofiles = o.listen || o.origin;   /* no pidfile, stats, ledger or health watch */

	memset(&m, 0, sizeof(m));
	m.o = &o;
	m.sfd = -1;
	m.lockfd = -1;
	m.hfd = -1;
	m.sio.fd = -1;
	ev_timer_init(&m.mtimer, on_mtimer, &m);
	ev_timer_init(&m.stats, on_stats, &m);   /* all before any 'goto out' deletes them */
	ev_timer_init(&m.ledger, on_ledger, &m);
	m.exit_code = EXIT_OK;
	m.started = wall_ms();
	t0 = now_ms();
	open_log(&st.g);
	nofile = net_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);   /* before any thread: workers inherit it */
	m.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	nw = workers_of(&o, &st.g);
	m.cpu_affinity = st.g.cpu_affinity;
	if (!nofiles) {
		if (take_pidfile(&m) < 0) {
			if (m.lockfd >= 0)
				close(m.lockfd);
			store_free(&st);
			return EXIT_FAIL;
		}
		m.files = 1;
	}
	{   /* the environment's word on copying (the workers read rt_conf) */
		const char *e = getenv("XWPF_NO_SPLICE");

		rt_conf.nosplice = e && *e && strcmp(e, "0") != 0;
		if ((e = getenv("XWPF_PIPE_SIZE")) && atoi(e) >= 4096)
			rt_conf.pipe_size = atoi(e);
	}
	m.rt = rt_new((int)nw, &st.g, err);
	if (!m.rt) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		m.exit_code = EXIT_FAIL;
		goto out;
	}
	rt_on_bind_failed(m.rt, on_bind_failed, &m);
	if (m.files)   /* the ledger counts a removed rule's draining bytes */
		rt_keep_retired(m.rt);
	g = st.g;
	spawns_ahead(&st);
	notify_ahead(&m, &st);
	if (rt_apply(m.rt, &st, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		m.exit_code = EXIT_FAIL;
		goto out;
	}
	event_init(&m.er, 10000);
	apply_global(&m, &g);
	flush_ledger(&m);   /* quotas reached before a restart hold from the start */
	acct_expiry_events(m.rt, wall_ms() / 1000, fire, &m);   /* and expired rules */
	/* before "started", the line that says the relay is ready */
	log_info("cpu affinity and steering %s%s", rt_steer_note(m.rt), rt_steering(m.rt) ?
	    ": each worker takes the connections its CPU receives" : "");
	log_info("started: %zu rule%s, %zu listening socket%s (one per port, protocol and worker)%s, %ld worker%s, "
	    "%ld descriptors allowed, %s, in %lld ms",
	    rt_nrules(m.rt), rt_nrules(m.rt) == 1 ? "" : "s", rt_nlisteners(m.rt), rt_nlisteners(m.rt) == 1 ? "" : "s",
	    rt_npending(m.rt) ? " (some waiting to bind, see above)" : "",
	    nw, nw == 1 ? "" : "s", nofile, rt_conf.nosplice ? "copy mode" : "splice", (long long)(now_ms() - t0));
	if (!rt_nrules(m.rt)) {   /* a relay that forwards nothing: say why, and what to do */
		char c1[PATH_MAX + 80], c2[PATH_MAX + 80];

		log_warn("no enabled rule in %s: nothing to forward; add one with '%s' (or enable one), then '%s'",
		    o.origin ? o.origin : o.conf ? o.conf : path_get(PATH_CONF), path_cmd(c1, sizeof(c1), "rule add"),
		    path_cmd(c2, sizeof(c2), "relay --reload"));
	}
	store_free(&st);   /* emptied by rt_apply: frees nothing */
	st.rules = NULL;
	st.nrules = 0;
	m.loop = ev_new();
	if (!m.loop || m.sfd < 0 || ev_io_add(m.loop, &m.sio, m.sfd, EPOLLIN, on_signal, &m) < 0) {
		fprintf(stderr, "%s: cannot set up the main loop: %s\n", applet_name, strerror(errno));
		m.exit_code = EXIT_FAIL;
		goto out;
	}
	if (!nofiles)   /* a -l/-r rule has no health checks: nothing to watch */
		m.hfd = hc_watch_open(path_get(PATH_HEALTH));
	if (m.hfd >= 0 && ev_io_add(m.loop, &m.hio, m.hfd, EPOLLIN, on_health, &m) < 0) {
		close(m.hfd);
		m.hfd = -1;
	}
	if (m.hfd < 0 && !nofiles)
		log_warn("cannot watch %s (%s): health changes apply within a second instead",
		    path_get(PATH_HEALTH), strerror(errno));
	if (m.files && !(m.ctl = ctl_open(m.loop, path_get(PATH_CONTROL), on_control, &m, err)))
		log_warn("control socket: %s; '%s' signals instead, status reads the stats file", err,
		    XCMD("relay --reload"));
	check_health(&m);
	m.health_events = 1;
	write_stats(&m);
	ev_timer_set(m.loop, &m.stats, ev_now(m.loop) + 1000);
	ev_timer_set(m.loop, &m.ledger, ev_now(m.loop) + m.ledger_ms);
	m.metrics_want = g.metrics_listen;
	metrics_apply(&m);
	ev_run(m.loop);
	rt_stop(m.rt);      /* every connection closed: no byte moves after */
	flush_ledger(&m);   /* the last seconds' counts */
out:
	if (st.rules)
		store_free(&st);
	notify_stop(m.notify);   /* what is queued is not waited for */
	prom_close(m.metrics);   /* before rt: it renders from rt */
	m.metrics = NULL;
	ctl_close(m.ctl);           /* the same, and its file goes while the lock is held */
	m.ctl = NULL;
	rt_free(m.rt);
	if (m.loop) {
		ev_timer_del(m.loop, &m.stats);
		ev_timer_del(m.loop, &m.ledger);
		ev_timer_del(m.loop, &m.mtimer);
		ev_io_del(m.loop, &m.sio);
		if (m.hfd >= 0)
			ev_io_del(m.loop, &m.hio);
		ev_free(m.loop);
	}
	if (m.hfd >= 0)
		close(m.hfd);
	if (m.sfd >= 0)
		close(m.sfd);
	if (m.files)
		drop_files();
	if (m.lockfd >= 0)
		close(m.lockfd);   /* after the pidfile is gone: the next relay may start */
	log_info("stopped");
	log_close();
	return m.exit_code;
}
