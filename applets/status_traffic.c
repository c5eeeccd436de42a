/* status --traffic and --reset: the ledger beside the store (status.h). */
#include <ctype.h>
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
#include "json.h"
#include "ledger.h"
#include "paths.h"
#include "status.h"
#include "store.h"
#include "text.h"
#include "util.h"

/* ---- traffic: the ledger beside the store ---- */

struct trow {
	const char *name;
	const struct store_rule *sr;   /* NULL: the rule is no longer in the store */
	struct ledger_rule lr;         /* a copy, rolled to the cycle that contains now */
	int counted;                   /* the ledger has an entry for it */
	enum billing bill;
	int reset_day;
	int64_t next_reset;
	uint64_t in, out, billed, quota;
	uint64_t pct100;              /* percent of the quota in hundredths, floored */
	const struct json_val *live;   /* the relay's stats of it, or NULL */
	const char *live_line;         /* the same as the relay wrote it */
	char state[16];                /* ok, stopped, throttled, expired */
	int state_from_relay;
	int have_rate;                 /* rate_up/down measured over two stats writes */
	uint64_t rate_up, rate_down;   /* bytes/s */
};

struct traffic {
	struct store *st;
	struct ledger lg;
	struct stats_file sf;
	int have, running;
	pid_t pid;
	int64_t now;
	struct trow *rows;
	size_t nrows, hidden;          /* hidden: removed rules left out (no --all) */
};

static const char *const bill_text[] = { "in + out", "in only", "out only", "the larger of in and out",
	"in + out, twice: both legs" };

static enum billing
rule_billing(const struct store *st, const struct store_rule *r)
{
	return r && r->billing >= 0 ? (enum billing)r->billing : (enum billing)st->g.billing;
}

static int
rule_reset_day(const struct store *st, const struct store_rule *r)
{
	return (int)(r && r->reset_day > 0 ? r->reset_day : st->g.reset_day);
}

static struct ledger_rule *
ledger_find(const struct ledger *lg, const char *name)
{
	size_t i;

	for (i = 0; i < lg->n; i++)
		if (strcmp(lg->v[i].name, name) == 0)
			return &lg->v[i];
	return NULL;
}

/* "a, b, c" of the store, then ledger entries of removed rules, on stderr. */
static void
print_names(const struct store *st, const struct ledger *lg)
{
	size_t i, n = 0;

	fprintf(stderr, "%s: the rules are: ", applet_name);
	for (i = 0; i < st->nrules; i++)
		fprintf(stderr, "%s%s", n++ ? ", " : "", st->rules[i].name);
	for (i = 0; lg && i < lg->n; i++)
		if (!store_find(st, lg->v[i].name))
			fprintf(stderr, "%s%s (removed, in the ledger only)", n++ ? ", " : "", lg->v[i].name);
	fprintf(stderr, "%s\n", n ? "" : "none (add one with '");
	if (!n)
		fprintf(stderr, "%s')\n", XCMD("rule add"));
}

static void
row_fill(struct traffic *t, struct trow *w, const char *name, const struct store_rule *sr)
{
	const struct ledger_rule *e = ledger_find(&t->lg, name);
	long long q;

	memset(w, 0, sizeof(*w));
	w->name = name;
	w->sr = sr;
	w->bill = rule_billing(t->st, sr);
	w->reset_day = rule_reset_day(t->st, sr);
	if (e) {
		w->lr = *e;
		w->counted = 1;
	} else {
		snprintf(w->lr.name, sizeof(w->lr.name), "%s", name);
		w->lr.cycle_start = ledger_cycle_start(t->now, w->reset_day);
	}
	(void)ledger_roll(&w->lr, t->now, w->reset_day, w->bill);   /* in memory only */
	w->next_reset = ledger_cycle_next(t->now, w->reset_day);
	w->in = ledger_sum_in(&w->lr.cycle);
	w->out = ledger_sum_out(&w->lr.cycle);
	w->billed = ledger_used(&w->lr.cycle, w->bill);
	w->quota = sr ? sr->quota : 0;
	if (w->quota) {
		if (w->billed <= UINT64_MAX / 10000)
			w->pct100 = w->billed * 10000 / w->quota;
		else   /* past 1.8 PB billed: near enough */
			w->pct100 = w->quota >= 10000 ? w->billed / (w->quota / 10000) : UINT64_MAX;
	}
	w->live = t->have ? status_find_rule(&t->sf, name) : NULL;
	w->live_line = t->have ? status_find_rule_line(&t->sf, name) : NULL;
	if (status_jstr(w->live, "quota_state", w->state, sizeof(w->state)))
		w->state_from_relay = 1;
	else if ((q = json_get_int(w->live, "quota_state", -1)) >= 0) {   /* enum lim_quota */
		snprintf(w->state, sizeof(w->state), "%s", q == 1 ? "stopped" : q == 2 ? "throttled" : q == 3 ? "expired" :
		    "ok");
		w->state_from_relay = 1;
	} else   /* what the relay does (or will do on start) with this ledger */
		snprintf(w->state, sizeof(w->state), "%s", sr && sr->expire && time(NULL) >= sr->expire ? "expired" :
		    !w->quota || w->billed < w->quota ? "ok" : sr->quota_action == QUOTA_THROTTLE ? "throttled" : "stopped");
}

/* Rows for the names asked (all of the store when none; removed ones with all). */
static int
rows_build(struct traffic *t, char **names, int nnames, int all)
{
	size_t i, cap = t->st->nrules + t->lg.n + 1;
	int k;

	if (!(t->rows = calloc(cap, sizeof(*t->rows))))
		return -1;
	for (k = 0; k < nnames; k++) {
		const struct store_rule *sr = store_find(t->st, names[k]);

		if (!sr && !ledger_find(&t->lg, names[k])) {
			fprintf(stderr, "%s: no rule '%s' in the store or the ledger\n", applet_name, names[k]);
			print_names(t->st, &t->lg);
			return -1;
		}
		row_fill(t, &t->rows[t->nrows++], names[k], sr);
		if (t->nrows == cap)
			break;
	}
	if (nnames)
		return 0;
	for (i = 0; i < t->st->nrules; i++)
		row_fill(t, &t->rows[t->nrows++], t->st->rules[i].name, &t->st->rules[i]);
	for (i = 0; i < t->lg.n; i++) {
		if (store_find(t->st, t->lg.v[i].name))
			continue;
		if (all)
			row_fill(t, &t->rows[t->nrows++], t->lg.v[i].name, NULL);
		else
			t->hidden++;
	}
	return 0;
}

/* ---- time and rate text ---- */

static char *
fmt_time(int64_t t, const char *fmt, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, size, fmt, &tm))
		snprintf(buf, size, "?");
	return buf;
}

/* ISO 8601 with the offset: 2026-12-01T00:00:00+08:00 */
static char *
fmt_iso(int64_t t, char *buf, size_t size)
{
	size_t n;

	fmt_time(t, "%Y-%m-%dT%H:%M:%S%z", buf, size);
	n = strlen(buf);
	if (n > 5 && n + 2 <= size && (buf[n - 5] == '+' || buf[n - 5] == '-')) {
		memmove(buf + n - 1, buf + n - 2, 3);   /* +0800 -> +08:00 */
		buf[n - 2] = ':';
	}
	return buf;
}

/* bytes/s as bits: 1250000 -> "10 Mbit/s" */
static char *
fmt_rate(uint64_t bps, char *buf, size_t size)
{
	static const char *const unit[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s" };
	double v = (double)bps * 8;
	size_t u = 0, n;

	while (v >= 1000 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1000;
		u++;
	}
	n = (size_t)snprintf(buf, size, "%.2f", v);
	while (n > 1 && n < size && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && n < size && buf[n - 1] == '.')
		buf[--n] = '\0';
	snprintf(buf + n, size - n, " %s", unit[u]);
	return buf;
}

static char *
fmt_pct(const struct trow *w, char *buf, size_t size)
{
	if (w->quota)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%%", w->pct100 / 100, w->pct100 % 100 / 10);
	else
		snprintf(buf, size, "-");
	return buf;
}

static char *
fmt_state(const struct trow *w, char *buf, size_t size)
{
	char r[32];

	if (strcmp(w->state, "throttled") == 0 && w->sr && w->sr->quota_rate)
		snprintf(buf, size, "throttled at %s", fmt_rate(w->sr->quota_rate, r, sizeof(r)));
	else
		snprintf(buf, size, "%s", w->state);
	return buf;
}

/* ---- text ---- */

static void
print_relay_line(const struct traffic *t)
{
	struct stat sb;
	char when[64];

	if (t->running)
		printf("relay: running (pid %d)\n", (int)t->pid);
	else
		status_not_running();
	if (stat(path_get(PATH_LEDGER), &sb) == 0)
		printf("ledger: %s, saved %s\n", path_get(PATH_LEDGER), fmt_time(sb.st_mtime, "%Y-%m-%d %H:%M:%S %Z",
		    when, sizeof(when)));
	else
		printf("ledger: %s, none yet (the relay writes it every ledger_interval)\n", path_get(PATH_LEDGER));
	printf("sizes in binary units (1 KiB = 1024 bytes); times in local time (%s)\n",
	    fmt_time(t->now, "%Z", when, sizeof(when)));
}

static void
print_split(const char *title, const struct ledger_ctr *c)
{
	static const char *const pr[] = { "TCP", "UDP" }, *const fa[] = { "IPv4", "IPv6" };
	char a[32], b[32];
	int p, f;

	printf("  %-12s %12s %12s\n", title, "IN", "OUT");
	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++)
			printf("    %s %s    %12s %12s\n", pr[p], fa[f], fmt_bytes(a, sizeof(a), c->in[p][f]),
			    fmt_bytes(b, sizeof(b), c->out[p][f]));
	printf("    total       %12s %12s\n", fmt_bytes(a, sizeof(a), ledger_sum_in(c)),
	    fmt_bytes(b, sizeof(b), ledger_sum_out(c)));
	printf("    connections %12" PRIu64 "\n", c->conns);
}

static void
print_detail(const struct trow *w)
{
	char a[64], b[64], c[64], d[64];

	printf("\n== %s%s ==\n", w->name, w->sr ? "" : " (removed from the store)");
	if (w->quota)
		printf("billing: %s (%s), reset day %d, quota %s, then %s\n", billing_name(w->bill), bill_text[w->bill],
		    w->reset_day, fmt_bytes(a, sizeof(a), w->quota), w->sr->quota_action == QUOTA_THROTTLE ?
		    (snprintf(b, sizeof(b), "throttle to %s", fmt_rate(w->sr->quota_rate, c, sizeof(c))), b) : "stop");
	else
		printf("billing: %s (%s), reset day %d, no quota\n", billing_name(w->bill), bill_text[w->bill],
		    w->reset_day);
	printf("cycle: from %s, next reset %s\n", fmt_time(w->lr.cycle_start, "%Y-%m-%d %H:%M %Z", a, sizeof(a)),
	    fmt_time(w->next_reset, "%Y-%m-%d %H:%M %Z", b, sizeof(b)));
	print_split("this cycle", &w->lr.cycle);
	if (w->quota)
		printf("  billed %s of %s (%s): %s\n", fmt_bytes(a, sizeof(a), w->billed), fmt_bytes(b, sizeof(b), w->quota),
		    fmt_pct(w, c, sizeof(c)), fmt_state(w, d, sizeof(d)));
	else
		printf("  billed %s\n", fmt_bytes(a, sizeof(a), w->billed));
	printf("  last cycle billed %s\n", fmt_bytes(a, sizeof(a), w->lr.last_cycle_used));
	if (w->counted)
		printf("display: since %s (%s)\n", fmt_time(w->lr.display_since, "%Y-%m-%d %H:%M:%S %Z", a,
		    sizeof(a)), XCMD("status --reset %s", w->name));
	else
		printf("display: nothing counted yet\n");
	print_split("display", &w->lr.display);
	if (w->live)
		printf("live: %lld TCP connections and %lld UDP associations active\n", json_get_int(w->live, "tcp_active", 0),
		    json_get_int(w->live, "udp_active", 0));
	if (w->have_rate)
		printf("rate now: up %s, down %s\n", fmt_rate(w->rate_up, a, sizeof(a)), fmt_rate(w->rate_down, b, sizeof(b)));
}

/* The milliseconds between two reads of the counters: 0 while they are
 * the same figures (the stats file not rewritten yet, or less than a second
 * between two live reads) */
static long long
stats_gap_ms(const struct stats_file *a, const struct stats_file *b)
{
	if (a->updated_ms > 0 && b->updated_ms > 0)
		return b->updated_ms - a->updated_ms >= 1000 ? b->updated_ms - a->updated_ms : 0;
	return b->updated > a->updated ? (b->updated - a->updated) * 1000 : 0;
}

/* The current rate of each shown rule: read the counters again a second
 * later (2.5 s at most: the stats file is rewritten every second) and
 * divide the growth. */
static void
measure_rates(struct traffic *t)
{
	struct stats_file next;
	long long dt = 0;
	size_t i;
	int k;

	for (k = 0; k < 25; k++) {
		usleep(100000);
		if (status_read_stats(&next) == 0 && (dt = stats_gap_ms(&t->sf, &next)) > 0)
			break;
		status_free_stats(&next);
	}
	if (k == 25)
		return;
	for (i = 0; i < t->nrows; i++) {
		struct trow *w = &t->rows[i];
		const struct json_val *l = status_find_rule(&next, w->name);
		long long up, down;

		if (!w->live || !l)
			continue;
		up = json_get_int(l, "bytes_up", 0) - json_get_int(w->live, "bytes_up", 0);
		down = json_get_int(l, "bytes_down", 0) - json_get_int(w->live, "bytes_down", 0);
		w->rate_up = up > 0 ? (uint64_t)(up * 1000 / dt) : 0;   /* a restarted relay counts from 0 */
		w->rate_down = down > 0 ? (uint64_t)(down * 1000 / dt) : 0;
		w->have_rate = 1;
	}
	status_free_stats(&next);
}

static void
print_traffic_text(const struct traffic *t, int detail)
{
	char in[32], out[32], billed[48], quota[32], pct[16], state[48], from[16], next[16], since[32], act[24];
	char nb[STORE_NAME_MAX + 32];
	size_t i, wn = 16;

	print_relay_line(t);
	if (!t->nrows)
		printf("no rules in %s (add one with '%s')\n", path_get(PATH_CONF), XCMD("rule add"));
	if (detail) {
		for (i = 0; i < t->nrows; i++)
			print_detail(&t->rows[i]);
	} else if (t->nrows) {
		for (i = 0; i < t->nrows; i++)   /* names by the columns a terminal gives them */
			wn = text_width(t->rows[i].name) > wn ? text_width(t->rows[i].name) : wn;
		printf("\n%s %10s %10s %-16s %10s %6s  %-24s %-10s  %-10s\n", text_pad("RULE", wn, nb, sizeof(nb)), "IN",
		    "OUT", "BILLED", "QUOTA", "USED", "STATE", "CYCLE FROM", "NEXT RESET");
		for (i = 0; i < t->nrows; i++) {
			const struct trow *w = &t->rows[i];
			char b[32];

			snprintf(billed, sizeof(billed), "%s %s", fmt_bytes(b, sizeof(b), w->billed), billing_name(w->bill));
			if (w->quota)
				fmt_bytes(quota, sizeof(quota), w->quota);
			else
				strcpy(quota, "-");
			printf("%s %10s %10s %-16s %10s %6s  %-24s %-10s  %-10s%s\n", text_pad(w->name, wn, nb, sizeof(nb)),
			    fmt_bytes(in, sizeof(in), w->in), fmt_bytes(out, sizeof(out), w->out), billed, quota,
			    fmt_pct(w, pct, sizeof(pct)), fmt_state(w, state, sizeof(state)),
			    fmt_time(w->lr.cycle_start, "%Y-%m-%d", from, sizeof(from)),
			    fmt_time(w->next_reset, "%Y-%m-%d", next, sizeof(next)), w->sr ? "" : "  (removed)");
		}
		printf("\n%s %10s %10s %8s  %-19s %s\n", text_pad("DISPLAY", wn, nb, sizeof(nb)), "IN", "OUT", "CONNS",
		    "SINCE", "ACTIVE");
		for (i = 0; i < t->nrows; i++) {
			const struct trow *w = &t->rows[i];

			if (w->live)
				snprintf(act, sizeof(act), "%lld", json_get_int(w->live, "tcp_active", 0) + json_get_int(w->live, "udp_active", 0));
			else
				strcpy(act, "-");
			printf("%s %10s %10s %8" PRIu64 "  %-19s %s\n", text_pad(w->name, wn, nb, sizeof(nb)),
			    fmt_bytes(in, sizeof(in), ledger_sum_in(&w->lr.display)),
			    fmt_bytes(out, sizeof(out), ledger_sum_out(&w->lr.display)), w->lr.display.conns,
			    w->counted ? fmt_time(w->lr.display_since, "%Y-%m-%d %H:%M", since, sizeof(since)) : "-", act);
		}
	}
	if (t->hidden)
		printf("\n%zu ledger entr%s of rules no longer in the store: --all shows %s\n", t->hidden,
		    t->hidden == 1 ? "y" : "ies", t->hidden == 1 ? "it" : "them");
}

/* ---- JSON ---- */

static void
json_ctr(FILE *f, const struct ledger_ctr *c)
{
	static const char *const pr[] = { "tcp", "udp" };
	int p;

	fprintf(f, "\"in\":%" PRIu64 ",\"out\":%" PRIu64 ",\"conns\":%" PRIu64, ledger_sum_in(c), ledger_sum_out(c),
	    c->conns);
	for (p = 0; p < 2; p++)
		fprintf(f, ",\"%s\":{\"v4\":{\"in\":%" PRIu64 ",\"out\":%" PRIu64 "},\"v6\":{\"in\":%" PRIu64
		    ",\"out\":%" PRIu64 "}}", pr[p], c->in[p][0], c->out[p][0], c->in[p][1], c->out[p][1]);
}

static void
json_time(const char *key, int64_t t, int valid)
{
	char buf[64];

	if (!valid) {
		printf(",\"%s\":null,\"%s_local\":null", key, key);
		return;
	}
	printf(",\"%s\":%" PRId64 ",\"%s_local\":", key, t, key);
	json_str(stdout, fmt_iso(t, buf, sizeof(buf)));
}

static void
print_traffic_json(const struct traffic *t)
{
	struct stat sb;
	size_t i;
	int first = 1, saved = stat(path_get(PATH_LEDGER), &sb) == 0;

	fputc('{', stdout);
	json_kv_num(stdout, &first, "now", (long long)t->now);
	json_kv_bool(stdout, &first, "running", t->running);
	json_kv_num(stdout, &first, "pid", t->running ? t->pid : 0);
	json_kv_str(stdout, &first, "ledger", path_get(PATH_LEDGER));
	json_time("ledger_saved", saved ? sb.st_mtime : 0, saved);
	json_kv_num(stdout, &first, "removed_hidden", (long long)t->hidden);
	fputs(",\"rules\":[", stdout);
	for (i = 0; i < t->nrows; i++) {
		const struct trow *w = &t->rows[i];
		int f2 = 1;

		fputs(i ? ",{" : "{", stdout);
		json_kv_str(stdout, &f2, "name", w->name);
		json_kv_bool(stdout, &f2, "in_store", w->sr != NULL);
		json_kv_bool(stdout, &f2, "enabled", w->sr && w->sr->enabled);
		json_kv_bool(stdout, &f2, "counted", w->counted);
		json_kv_str(stdout, &f2, "billing", billing_name(w->bill));
		json_kv_num(stdout, &f2, "reset_day", w->reset_day);
		printf(",\"quota\":%" PRIu64, w->quota);
		json_kv_str(stdout, &f2, "quota_action", !w->quota ? "none" :
		    w->sr->quota_action == QUOTA_THROTTLE ? "throttle" : "stop");
		printf(",\"quota_rate\":%" PRIu64, w->sr ? w->sr->quota_rate : 0);
		if (w->quota)
			printf(",\"quota_percent\":%" PRIu64 ".%02" PRIu64, w->pct100 / 100, w->pct100 % 100);
		else
			fputs(",\"quota_percent\":null", stdout);
		json_kv_str(stdout, &f2, "quota_state", w->state);
		json_kv_str(stdout, &f2, "quota_state_from", w->state_from_relay ? "relay" : "ledger");
		fputs(",\"cycle\":{", stdout);
		printf("\"billed\":%" PRIu64 ",", w->billed);
		json_ctr(stdout, &w->lr.cycle);
		json_time("start", w->lr.cycle_start, 1);
		json_time("next_reset", w->next_reset, 1);
		printf(",\"last_cycle_billed\":%" PRIu64 "}", w->lr.last_cycle_used);
		fputs(",\"display\":{", stdout);
		json_ctr(stdout, &w->lr.display);
		json_time("since", w->lr.display_since, w->counted);
		fputs("},\"live\":", stdout);
		fputs(w->live_line ? w->live_line : "null", stdout);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

static int
load_ledger(struct ledger *lg)
{
	char err[ERRLEN];

	if (ledger_load(path_get(PATH_LEDGER), lg, err) == 0)
		return 0;
	fprintf(stderr, "%s: %s: fix or delete that line (the relay rewrites the whole file every "
	    "ledger_interval; a deleted line loses that rule's counts)\n", applet_name, err);
	return -1;
}

int
status_traffic(struct store *st, char **names, int nnames, int json, int detail, int all)
{
	struct traffic t;
	int rc = EXIT_FAIL;

	memset(&t, 0, sizeof(t));
	t.st = st;
	t.now = wall_ms() / 1000;
	t.pid = status_relay_pid();
	t.running = t.pid > 0;
	if (load_ledger(&t.lg) < 0)
		goto out;
	if (t.running)
		t.have = status_read_stats(&t.sf) == 0;
	if (rows_build(&t, names, nnames, all) < 0)
		goto out;
	detail |= nnames == 1;
	if (json)
		print_traffic_json(&t);
	else {
		if (detail && t.have)
			measure_rates(&t);
		print_traffic_text(&t, detail);
	}
	rc = EXIT_OK;
out:
	free(t.rows);
	status_free_stats(&t.sf);
	ledger_free(&t.lg);
	return rc;
}

/* ---- --reset: the display counts, under the ledger's lock ---- */

struct reset_arg {
	char **names;
	int nnames, all, unknown;
	int64_t now;
	struct ledger_rule *was;       /* the entries as they were, one per reset */
	size_t nwas;
	const char **empty;            /* rules of the store with nothing counted yet */
	size_t nempty;
	const struct store *st;
	int cycle;                     /* --reset-cycle: the billing cycle too */
};

static int
reset_one(struct reset_arg *a, struct ledger_rule *e)
{
	a->was[a->nwas++] = *e;
	ledger_display_reset(e, a->now);
	if (a->cycle)
		ledger_cycle_reset(e, a->now, rule_billing(a->st, store_find(a->st, e->name)));
	return 0;
}

static int
reset_fn(struct ledger *lg, void *arg, char *err)
{
	struct reset_arg *a = arg;
	size_t i;
	int k;

	a->nwas = a->nempty = 0;   /* a retry starts over */
	free(a->was);
	if (!(a->was = calloc(lg->n + 1, sizeof(*a->was)))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	a->now = wall_ms() / 1000;
	if (a->all) {
		for (i = 0; i < lg->n; i++)
			reset_one(a, &lg->v[i]);
		return a->nwas ? 0 : 1;
	}
	for (k = 0; k < a->nnames; k++) {   /* every name checked before anything changes */
		if (ledger_find(lg, a->names[k]) || store_find(a->st, a->names[k]))
			continue;
		snprintf(err, ERRLEN, "no rule '%s' in the store or the ledger", a->names[k]);
		a->unknown = 1;
		return -1;
	}
	for (k = 0; k < a->nnames; k++) {
		struct ledger_rule *e = ledger_find(lg, a->names[k]);
		int j;

		for (j = 0; j < k; j++)   /* a name given twice counts once */
			if (strcmp(a->names[j], a->names[k]) == 0)
				break;
		if (j < k)
			continue;
		if (e)
			reset_one(a, e);
		else
			a->empty[a->nempty++] = a->names[k];
	}
	return a->nwas ? 0 : 1;
}

int
status_reset(struct store *st, char **names, int nnames, int all, int json, int cycle)
{
	struct reset_arg a;
	char err[ERRLEN], b1[32], b2[32], b3[32], when[64];
	size_t i;
	int rc = EXIT_FAIL, first = 1;

	memset(&a, 0, sizeof(a));
	a.names = names;
	a.nnames = nnames;
	a.all = all;
	a.st = st;
	a.cycle = cycle;
	if (!(a.empty = calloc((size_t)nnames + 1, sizeof(*a.empty)))) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		return EXIT_FAIL;
	}
	if (dir_own(path_get(PATH_STATE_DIR), 0700, err) < 0) {
		fprintf(stderr, "%s: %s (run as root, or pass --root DIR)\n", applet_name, err);
		goto out;
	}
	if (ledger_update(path_get(PATH_LEDGER), reset_fn, &a, err) < 0) {
		if (a.unknown) {
			struct ledger lg;

			fprintf(stderr, "%s: %s; nothing was reset\n", applet_name, err);
			print_names(st, ledger_load(path_get(PATH_LEDGER), &lg, err) == 0 ? &lg : NULL);
			ledger_free(&lg);
		} else if (strstr(err, ": not a ledger line"))
			fprintf(stderr, "%s: %s: fix or delete that line; nothing was reset\n", applet_name, err);
		else
			fprintf(stderr, "%s: %s; nothing was reset\n", applet_name, err);
		goto out;
	}
	if (json) {
		fputc('{', stdout);
		json_kv_num(stdout, &first, "time", (long long)a.now);
		fputs(",\"reset\":[", stdout);
	}
	for (i = 0; i < a.nwas; i++) {
		const struct ledger_rule *w = &a.was[i];
		const struct store_rule *sr = store_find(st, w->name);
		struct ledger_rule cyc = *w;   /* the cycle as the relay will count it */
		uint64_t billed;

		(void)ledger_roll(&cyc, a.now, rule_reset_day(st, sr), rule_billing(st, sr));
		billed = ledger_used(&cyc.cycle, rule_billing(st, sr));

		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, w->name);
			printf(",\"display\":{");
			json_ctr(stdout, &w->display);
			json_time("since", w->display_since, 1);
			printf("},\"cycle_billed\":%" PRIu64 "}", billed);
			continue;
		}
		if (cycle) {
			printf("%s: a new billing cycle from now (the last one billed %s); display counts reset too\n",
			    w->name, fmt_bytes(b3, sizeof(b3), billed));
			continue;
		}
		printf("%s: display counts reset (were in %s, out %s, %" PRIu64 " connections since %s); billing cycle "
		    "unchanged: %s billed\n", w->name, fmt_bytes(b1, sizeof(b1), ledger_sum_in(&w->display)),
		    fmt_bytes(b2, sizeof(b2), ledger_sum_out(&w->display)), w->display.conns,
		    fmt_time(w->display_since, "%Y-%m-%d %H:%M:%S %Z", when, sizeof(when)),
		    fmt_bytes(b3, sizeof(b3), billed));
	}
	if (json) {
		fputs("],\"nothing_counted\":[", stdout);
		for (i = 0; i < a.nempty; i++) {
			if (i)
				fputc(',', stdout);
			json_str(stdout, a.empty[i]);
		}
		fputs("]}\n", stdout);
	} else {
		for (i = 0; i < a.nempty; i++)
			printf("%s: nothing counted yet, nothing to reset\n", a.empty[i]);
		if (all && !a.nwas)
			printf("the ledger is empty: nothing to reset\n");
	}
	rc = EXIT_OK;
out:
	free(a.was);
	free(a.empty);
	return rc;
}
