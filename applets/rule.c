/*
 * rule: the store's scriptable face. Every change is validated as a whole
 * store before it is written; a refused command leaves the file untouched.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applet.h"
#include "json.h"
#include "net.h"
#include "paths.h"
#include "pidlock.h"
#include "store.h"
#include "tunnel.h"
#include "util.h"

const char rule_usage[] =
    "usage: xwpf rule COMMAND ...\n"
    "\n"
    "  list [--json]                     every rule, one line each\n"
    "  show NAME [--json]                one rule with every setting\n"
    "  add NAME --listen ADDR:PORT --remote HOST:PORT [--remote ...] [--KEY VALUE ...]\n"
    "                                    a new rule; --KEY is any rule key (xwpf rule keys),\n"
    "                                    e.g. --protocol tcp+udp --balance iphash --note 'HK'\n"
    "  set NAME KEY=VALUE ...            change keys; KEY= resets to the default;\n"
    "                                    remote=... replaces all remotes, remote+=... adds one\n"
    "  del NAME[,NAME...] ...            delete rules\n"
    "  enable NAME... | disable NAME...  switch rules on or off\n"
    "  global KEY=VALUE ...              change [global] keys (README, \"The store\"), e.g.\n"
    "                                    lang=zh (the menu's language: zh, en, auto); KEY= resets\n"
    "  check [FILE]                      validate the store (or FILE) and print every problem\n"
    "  keys [--names]                    the keys a rule may hold, with values and defaults\n"
    "\n"
    "The store is $XWPF_ROOT/etc/xwpf/xwpf.conf (--root DIR moves it).\n"
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 the store or the change is invalid.\n";

static void
print_diags(const struct store_diags *d, int errors_only, int located)
{
	char buf[600];
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (errors_only && !d->v[i].error)
			continue;
		if (located)
			fprintf(stderr, "%s\n", store_diag_format(d, i, buf, sizeof(buf)));
		else
			fprintf(stderr, "%s: %s: %s\n", applet_name, d->v[i].error ? "refused" : "warning",
			    d->v[i].msg);
	}
}

static int
load_file(const char *path, struct store *st)
{
	struct store_diags d = { 0 };
	int rc = store_load(path, st, &d);

	print_diags(&d, 0, 1);
	store_diags_free(&d);
	return rc;
}

static int
load(struct store *st)
{
	struct store_diags d = { 0 };
	int rc = store_load(path_get(PATH_CONF), st, &d);

	print_diags(&d, 0, 1);
	store_diags_free(&d);
	return rc;
}

/* The list's REMOTES: past REMOTES_SHOWN characters, how many more ('rule show NAME' and
 * --json have them all), so that a long list does not push the other columns away */
#define REMOTES_SHOWN 60
static void
remotes_text(const struct store_rule *r, char *buf, size_t size)
{
	size_t i, n = 0;
	char hp[300], one[340];

	buf[0] = '\0';
	for (i = 0; i < r->nremotes && n < size; i++) {
		int w;

		hostport_format(&r->remotes[i].addr, hp, sizeof(hp));
		if (r->nremotes > 1 && r->balance != BALANCE_OFF && r->balance != BALANCE_FAILOVER)
			w = snprintf(one, sizeof(one), "%s%s(w%d)", i ? "," : "", hp, r->remotes[i].weight);
		else
			w = snprintf(one, sizeof(one), "%s%s", i ? "," : "", hp);
		if (i && n + (size_t)w > REMOTES_SHOWN) {
			snprintf(buf + n, size - n, ",... (+%zu more)", r->nremotes - i);
			return;
		}
		n += (size_t)snprintf(buf + n, size - n, "%s", one);
	}
}

static const char *
transport_text(const struct store_rule *r)
{
	const char *t = r->role == ROLE_EXIT ? r->listen_transport : r->remote_transport;

	if (!*t)
		t = *r->listen_transport ? r->listen_transport : r->remote_transport;
	return *t ? t : "plain";
}

/* The congestion control each side of r runs as the relay applies it:
 * the rule's key, else [global]'s, else, on a hop that stays on this
 * machine, the unpaced one (net_local_cc), else the system's (by name).
 * lo: what a loopback remote gets (remote: any other remote). Returns 1
 * when listen is the unpaced default of a loopback listener. */
static int
cc_in_effect(const struct store *st, const struct store_rule *r, const char **listen, const char **remote,
    const char **lo)
{
	static char local[16], sys[16];
	static int asked;
	const char *lk = *r->listen_congestion ? r->listen_congestion : st->g.listen_congestion;
	const char *rk = *r->remote_congestion ? r->remote_congestion : st->g.remote_congestion;
	int lo_listen = net_host_loopback(r->listen.host);

	if (!asked) {
		net_local_cc(local, sys);
		asked = 1;
	}
	*listen = strcmp(lk, "system") == 0 ? sys : *lk ? lk : lo_listen && *local ? local : sys;
	*remote = strcmp(rk, "system") == 0 || !*rk ? sys : rk;
	*lo = strcmp(rk, "system") == 0 ? sys : *rk ? rk : *local ? local : sys;
	return !*lk && *local && lo_listen;
}

/* What an exit gives the relay side (tun_rule_pin, tun_rule_relay_side):
 * the TLS pin of its listener and the remote_transport to paste there; ""
 * each when the rule has no such listener (or its certificate cannot be read). */
static void
exit_paste(const struct store_rule *r, char pin[TLS_PIN_STRLEN], char *side, size_t size)
{
	if (tun_rule_pin(r, pin, NULL) < 0)
		*pin = '\0';
	if (tun_rule_relay_side(r, side, size, NULL) < 0)
		*side = '\0';
}

/* One rule as a JSON object; paste: add the exit's tls_pin and relay_side (rule show). */
static void
json_rule(FILE *f, const struct store *st, const struct store_rule *r, int paste)
{
	int first = 1, f2;
	size_t i;
	char buf[1024];
	const char *lcc, *rcc, *locc;

	fputc('{', f);
	json_kv_str(f, &first, "name", r->name);
	json_kv_str(f, &first, "note", r->note);
	json_kv_bool(f, &first, "enabled", r->enabled);
	json_kv_str(f, &first, "role", r->role == ROLE_EXIT ? "exit" : "relay");
	store_listen_format(r, buf, sizeof(buf));
	json_kv_str(f, &first, "listen", buf);
	json_kv_str(f, &first, "listen_interface", r->listen_interface);
	fputs(",\"remotes\":[", f);
	for (i = 0; i < r->nremotes; i++) {
		f2 = 1;
		fputs(i ? ",{" : "{", f);
		json_kv_str(f, &f2, "address", hostport_format(&r->remotes[i].addr, buf, sizeof(buf)));
		json_kv_num(f, &f2, "weight", r->remotes[i].weight);
		fputc('}', f);
	}
	fputc(']', f);
	json_kv_str(f, &first, "balance", store_balance_name(r->balance));
	json_kv_bool(f, &first, "failover", r->failover);
	json_kv_str(f, &first, "protocol", store_proto_name(r->protocols));
	json_kv_str(f, &first, "through", *r->through.host ? (r->through.port ?
	    hostport_format(&r->through, buf, sizeof(buf)) : r->through.host) : "");
	json_kv_str(f, &first, "interface", r->interface);
	(void)cc_in_effect(st, r, &lcc, &rcc, &locc);
	json_kv_str(f, &first, "listen_congestion", lcc);
	json_kv_str(f, &first, "remote_congestion", rcc);
	json_kv_str(f, &first, "loopback_remote_congestion", locc);
	json_kv_str(f, &first, "listen_transport", r->listen_transport);
	json_kv_str(f, &first, "remote_transport", r->remote_transport);
	json_kv_str(f, &first, "udp_transport", r->udp_plain ? "plain" : "tunnel");
	if (paste) {
		char pin[TLS_PIN_STRLEN], side[1200];

		exit_paste(r, pin, side, sizeof(side));
		json_kv_str(f, &first, "tls_pin", pin);
		json_kv_str(f, &first, "relay_side_remote_transport", side);
	}
	json_kv_str(f, &first, "proxy", store_proxy_name(r, buf, sizeof(buf)));
	json_kv_str(f, &first, "mptcp", store_mptcp_name(r->mptcp));
	json_kv_bool(f, &first, "ipv6_only", r->ipv6_only);
	json_kv_num(f, &first, "connect_timeout_ms", store_rule_ms(st, r, r->connect_timeout, st->g.connect_timeout));
	json_kv_num(f, &first, "idle_timeout_ms", store_rule_ms(st, r, r->idle_timeout, st->g.idle_timeout));
	json_kv_num(f, &first, "udp_timeout_ms", store_rule_ms(st, r, r->udp_timeout, st->g.udp_timeout));
	fputc('}', f);
}

static int
cmd_list(int argc, char **argv)
{
	struct store st;
	size_t i;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0;
	char cmd[PATH_MAX + 80];

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "usage: xwpf rule list [--json]\n");
		return EXIT_USAGE;
	}
	if (load(&st) < 0) {
		store_free(&st);
		return EXIT_CONFIG;
	}
	if (json) {
		fputc('[', stdout);
		for (i = 0; i < st.nrules; i++) {
			if (i)
				fputc(',', stdout);
			json_rule(stdout, &st, &st.rules[i], 0);
		}
		fputs("]\n", stdout);
	} else if (st.nrules == 0) {
		printf("no rules yet: add one with\n  %s\n", path_cmd(cmd, sizeof(cmd),
		    "rule add NAME --listen [::]:PORT --remote HOST:PORT"));
	} else {
		size_t wn = 4, wl = 6, wr = 7;   /* NAME, LISTEN, REMOTES: as wide as what they hold */
		char nb[STORE_NAME_MAX + 64], l[1024], rem[2048];

		for (i = 0; i < st.nrules; i++) {
			store_listen_format(&st.rules[i], l, sizeof(l));
			remotes_text(&st.rules[i], rem, sizeof(rem));
			wn = text_width(st.rules[i].name) > wn ? text_width(st.rules[i].name) : wn;
			wl = strlen(l) > wl ? strlen(l) : wl;
			wr = strlen(rem) > wr ? strlen(rem) : wr;
		}
		printf("%s %-3s %-5s %-7s %-*s %-*s %-10s %s\n", text_pad("NAME", wn, nb, sizeof(nb)), "ON", "ROLE",
		    "PROTO", (int)wl, "LISTEN", (int)wr, "REMOTES", "BALANCE", "TRANSPORT");
		for (i = 0; i < st.nrules; i++) {
			const struct store_rule *r = &st.rules[i];

			store_listen_format(r, l, sizeof(l));
			remotes_text(r, rem, sizeof(rem));
			printf("%s %-3s %-5s %-7s %-*s %-*s %-10s %s%s%s\n", text_pad(r->name, wn, nb, sizeof(nb)),
			    r->enabled ? "yes" : "no", r->role == ROLE_EXIT ? "exit" : "relay", store_proto_name(r->protocols),
			    (int)wl, l, (int)wr, rem, store_balance_name(r->balance), transport_text(r),
			    *r->note ? "  # " : "", r->note);
		}
	}
	store_free(&st);
	return EXIT_OK;
}

static int
cmd_show(int argc, char **argv)
{
	struct store st;
	const struct store_rule *r;
	int json = argc > 2 && strcmp(argv[2], "--json") == 0;
	char buf[1024], side[1200], pin[TLS_PIN_STRLEN];
	const char *lcc, *rcc, *locc;
	size_t i, nlo;
	int lo_listen;

	if (argc < 2 || argc > 3 || (argc == 3 && !json)) {
		fprintf(stderr, "usage: xwpf rule show NAME [--json]\n");
		return EXIT_USAGE;
	}
	if (load(&st) < 0) {
		store_free(&st);
		return EXIT_CONFIG;
	}
	if (!(r = store_find(&st, argv[1]))) {
		fprintf(stderr, "%s: no rule named '%s' (see: %s)\n", applet_name, argv[1], XCMD("rule list"));
		store_free(&st);
		return EXIT_FAIL;
	}
	if (json) {
		json_rule(stdout, &st, r, 1);
		fputc('\n', stdout);
		store_free(&st);
		return EXIT_OK;
	}
	printf("rule %s%s%s\n", r->name, *r->note ? ": " : "", r->note);
	printf("  enabled            %s\n", r->enabled ? "yes" : "no");
	printf("  role               %s\n", r->role == ROLE_EXIT ? "exit" : "relay");
	store_listen_format(r, buf, sizeof(buf));
	printf("  listen             %s%s%s\n", buf, *r->listen_interface ? " on " : "", r->listen_interface);
	for (i = 0; i < r->nremotes; i++)
		printf("  remote             %s weight %d\n",
		    hostport_format(&r->remotes[i].addr, buf, sizeof(buf)), r->remotes[i].weight);
	printf("  balance            %s%s\n", store_balance_name(r->balance), r->failover ? " (failover on)" : "");
	printf("  protocol           %s\n", store_proto_name(r->protocols));
	if (*r->through.host)
		printf("  through            %s\n", r->through.port ? hostport_format(&r->through, buf, sizeof(buf)) :
		    r->through.host);
	if (*r->interface)
		printf("  interface          %s\n", r->interface);
	lo_listen = cc_in_effect(&st, r, &lcc, &rcc, &locc);
	nlo = 0;
	for (i = 0; i < r->nremotes; i++)
		nlo += net_host_loopback(r->remotes[i].addr.host);
	printf("  listen_congestion  %s%s\n", lcc, lo_listen ? " (loopback: not paced)" : "");
	if (strcmp(rcc, locc) == 0 || nlo == 0)
		printf("  remote_congestion  %s\n", rcc);
	else if (nlo == r->nremotes)
		printf("  remote_congestion  %s (loopback: not paced)\n", locc);
	else
		printf("  remote_congestion  %s (%s toward loopback remotes: not paced)\n", rcc, locc);
	printf("  listen_transport   %s\n", *r->listen_transport ? r->listen_transport : "plain");
	printf("  remote_transport   %s\n", *r->remote_transport ? r->remote_transport : "plain");
	if ((r->protocols & PROTO_UDP) && (*r->listen_transport || *r->remote_transport))
		printf("  udp_transport      %s\n", r->udp_plain ? "plain (UDP beside the tunnel, to the same host:port)" :
		    "tunnel (UDP inside the tunnel: xwpf at both ends)");
	exit_paste(r, pin, side, sizeof(side));
	if (*pin)   /* what the relay side writes as pin= */
		printf("  tls pin            %s\n", pin);
	if (*side)   /* to paste there */
		printf("  relay side         remote_transport = %s\n", side);
	printf("  proxy              %s\n", store_proxy_name(r, buf, sizeof(buf)));
	printf("  mptcp              %s\n", store_mptcp_name(r->mptcp));
	printf("  connect_timeout    %ldms\n", store_rule_ms(&st, r, r->connect_timeout, st.g.connect_timeout));
	printf("  idle_timeout       %ldms%s\n", store_rule_ms(&st, r, r->idle_timeout, st.g.idle_timeout),
	    store_rule_ms(&st, r, r->idle_timeout, st.g.idle_timeout) ? "" : " (never)");
	if (r->protocols & PROTO_UDP)
		printf("  udp_timeout        %ldms\n", store_rule_ms(&st, r, r->udp_timeout, st.g.udp_timeout));
	store_free(&st);
	return EXIT_OK;
}

/* The first listen port of r (a list's too) another program holds: 1 with u
 * filled. The running relay holding it is not another program: it serves
 * this rule already, and a reload moves it. */
static int
port_taken(const struct store_rule *r, struct net_port_use *u)
{
	int tcp = !!(r->protocols & PROTO_TCP), udp = !!(r->protocols & PROTO_UDP), taken = 0;
	long relay = path_relay_pid();
	char own[32];

	taken = net_port_in_use(r->listen.port, r->listen.port_end ? r->listen.port_end : r->listen.port, tcp, udp,
	    r->listen.host, u);
	for (size_t i = 0; !taken && i < r->nlmore; i++)
		taken = net_port_in_use(r->lmore[i].lo, r->lmore[i].hi, tcp, udp, r->listen.host, u);
	snprintf(own, sizeof(own), "(pid %ld)", relay);
	return taken && !(relay > 0 && strlen(u->owner) >= strlen(own) &&
	    strcmp(u->owner + strlen(u->owner) - strlen(own), own) == 0);
}

/* The menu's check for the command line: a listen port another program
 * holds is saved anyway (the relay takes it once it is free) but said. */
static void
warn_port_taken(const struct store_rule *r)
{
	struct net_port_use u;
	char esc[300];

	if (!r->enabled || r->listen.port == 0 || getenv("XWPF_MENU") ||   /* the menu has said it already */
	    !port_taken(r, &u))
		return;
	fprintf(stderr, "%s: warning: port %d is taken: %s %s:%d held by %s; the rule is saved and the relay "
	    "takes the port once it is free (it tries every 5 s): choose another port ('%s'), or stop "
	    "that program\n", applet_name, u.port, u.udp ? "udp" : "tcp", u.addr, u.port,
	    *u.owner ? text_escape(u.owner, esc, sizeof(esc)) : "a process not visible from here (another user or "
	    "container)", XCMD("rule set %s listen=...", r->name));
}

/* After `rule set` or `rule enable`: the same warning for each rule that
 * listens where it did not before (enabled now, or its ports or protocols
 * changed). */
static void
warn_new_listens(const struct store_txn *t)
{
	struct store old, cur;
	struct store_diags d1 = { 0 }, d2 = { 0 };

	if (getenv("XWPF_MENU") || store_parse_text(t->orig, t->path, &old, &d1) < 0) {
		store_diags_free(&d1);
		return;
	}
	if (store_parse_text(t->text, t->path, &cur, &d2) == 0)
		for (size_t i = 0; i < cur.nrules; i++) {
			const struct store_rule *r = &cur.rules[i], *o = store_find(&old, r->name);
			char a[1024], b[1024];

			if (o && o->enabled && o->protocols == r->protocols &&
			    strcmp(store_listen_format(o, a, sizeof(a)), store_listen_format(r, b, sizeof(b))) == 0)
				continue;
			warn_port_taken(r);
		}
	store_free(&old);
	store_free(&cur);
	store_diags_free(&d1);
	store_diags_free(&d2);
}

/* What `rule add` saved, as the store now holds it (t->text, committed):
 * "added rule NAME: LISTEN -> REMOTES (PROTOCOL[, BALANCE][, TRANSPORT][, disabled])". */
static void
print_added(const struct store_txn *t, const char *name)
{
	struct store st;
	struct store_diags d = { 0 };
	const struct store_rule *r;
	char l[1024], rem[2048];

	store_parse_text(t->text, t->path, &st, &d);
	store_diags_free(&d);
	if ((r = store_find(&st, name)) != NULL) {
		store_listen_format(r, l, sizeof(l));
		remotes_text(r, rem, sizeof(rem));
		printf("added rule %s: %s -> %s (%s%s%s%s%s%s)\n", r->name, l, rem, store_proto_name(r->protocols),
		    r->balance != BALANCE_OFF ? ", " : "", r->balance != BALANCE_OFF ? store_balance_name(r->balance) : "",
		    strcmp(transport_text(r), "plain") ? ", " : "",
		    strcmp(transport_text(r), "plain") ? transport_text(r) : "", r->enabled ? "" : ", disabled");
		fflush(stdout);   /* before the hints on stderr */
		warn_port_taken(r);
	}
	store_free(&st);
}

/* Commit a transaction and report; returns an exit code. added: the rule
 * `rule add` created, said on stdout once saved (NULL: other commands). */
static int
finish(struct store_txn *t, const char *added)
{
	struct store_diags d = { 0 };
	char err[ERRLEN];
	int rc = EXIT_OK;
	int existed = access(t->path, F_OK) == 0;

	if (store_commit(t, &d, err) < 0) {
		struct store old = { 0 };
		struct store_diags od = { 0 };

		/* errors the store had before this change: say where they are, in the file */
		if (d.nerrors && store_parse_text(t->orig, t->path, &old, &od) < 0) {
			print_diags(&od, 1, 1);
			fprintf(stderr, "%s: the store has errors already (above): fix those lines, or "
			    "delete the rules they are in, then try again ('%s' lists them); "
			    "nothing was written\n", applet_name, XCMD("rule check"));
		} else {
			print_diags(&d, 1, 0);
			fprintf(stderr, "%s: %s\n", applet_name, err);
		}
		store_free(&old);
		store_diags_free(&od);
		rc = d.nerrors ? EXIT_CONFIG : EXIT_FAIL;
	} else {
		if (added)
			print_added(t, added);
		else
			warn_new_listens(t);
		if (!existed && access(t->path, F_OK) == 0) {
			/* a new store: the first rule, or a --root with a typo in it */
			fprintf(stderr, "%s: created a new store, %s\n", applet_name, t->path);
		} else if (strcmp(t->text, t->orig) != 0 && !getenv("XWPF_MENU")) {
			/* xwPF restarted realm after each change; here the relay reloads when told to */
			char msg[4352], cmd[PATH_MAX + 80];
			long pid;

			if (relay_find(&pid, msg, sizeof(msg)) > 0)
				fprintf(stderr, "%s: saved; the running relay (pid %ld) still forwards the rules it "
				    "loaded: apply the change with '%s'\n", applet_name, pid,
				    path_cmd(cmd, sizeof(cmd), "relay --reload"));
		}
	}
	store_diags_free(&d);
	store_end(t);
	return rc;
}

static int
begin(struct store_txn *t)
{
	char err[ERRLEN];

	if (store_begin(t, path_get(PATH_CONF), err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return -1;
	}
	return 0;
}

static int
rule_section(char *buf, size_t size, const char *name)
{
	if (!store_name_valid(name)) {
		char esc[4 * STORE_NAME_MAX];

		fprintf(stderr, "%s: '%s' is not a valid rule name: 1 to %d letters (of any language), digits, '.', "
		    "'_' or '-', no spaces\n", applet_name, text_escape(name, esc, sizeof(esc)), TEXT_NAME_CHARS);
		return -1;
	}
	snprintf(buf, size, "rule %s", name);
	return 0;
}

/* Values of one key gathered from the command line. */
struct kv {
	char key[64];
	const char *vals[STORE_MAX_REMOTES];
	size_t n;
	int append;                /* remote+=... only: keep the current values */
	int replace;               /* a plain remote=... was given: start afresh */
};

static struct kv *
kv_get(struct kv *kvs, size_t *nkv, size_t max, const char *key)
{
	size_t i;

	for (i = 0; i < *nkv; i++)
		if (strcmp(kvs[i].key, key) == 0)
			return &kvs[i];
	if (*nkv == max)
		return NULL;
	memset(&kvs[*nkv], 0, sizeof(kvs[0]));
	snprintf(kvs[*nkv].key, sizeof(kvs[0].key), "%s", key);
	return &kvs[(*nkv)++];
}

/* Add one key=value; "" means reset. Returns -1 (printed) on bad input. */
static int
kv_add(struct kv *kvs, size_t *nkv, size_t max, const char *key, const char *val, int append)
{
	struct kv *kv;

	if (!store_rule_key_known(key)) {
		const char *near = store_key_suggest(key, 0);

		if (near)
			fprintf(stderr, "%s: unknown rule key '%s': did you mean '%s'? (see: %s)\n",
			    applet_name, key, near, XCMD("rule keys"));
		else
			fprintf(stderr, "%s: unknown rule key '%s' (see: %s)\n", applet_name, key, XCMD("rule keys"));
		return -1;
	}
	if (append && !store_rule_key_multi(key)) {
		fprintf(stderr, "%s: += works only for keys that repeat (remote)\n", applet_name);
		return -1;
	}
	if (!(kv = kv_get(kvs, nkv, max, key))) {
		fprintf(stderr, "%s: too many keys\n", applet_name);
		return -1;
	}
	if (kv->n && !store_rule_key_multi(key)) {
		fprintf(stderr, "%s: %s given twice\n", applet_name, key);
		return -1;
	}
	if (kv->n == STORE_MAX_REMOTES) {
		fprintf(stderr, "%s: too many values for %s\n", applet_name, key);
		return -1;
	}
	if (append)
		kv->append = 1;
	else
		kv->replace = 1;
	if (*val)
		kv->vals[kv->n++] = val;
	return 0;
}

static int
apply_kvs(struct store_txn *t, const char *section, struct kv *kvs, size_t nkv)
{
	char err[ERRLEN];
	size_t i;

	for (i = 0; i < nkv; i++) {
		const char *vals[STORE_MAX_REMOTES * 2];
		size_t n = 0, j;

		if (kvs[i].append && !kvs[i].replace) {
			/* keep the current lines of this key: re-read them from a parse */
			struct store st;
			struct store_diags d = { 0 };
			const struct store_rule *r;
			static char keep[STORE_MAX_REMOTES][HOST_MAX + 32];

			store_parse_text(t->text, t->path, &st, &d);
			store_diags_free(&d);
			if ((r = store_find(&st, section + 5)) != NULL)
				for (j = 0; j < r->nremotes && n < STORE_MAX_REMOTES; j++) {
					char hp[300];
					hostport_format(&r->remotes[j].addr, hp, sizeof(hp));
					if (r->remotes[j].weight != 1)
						snprintf(keep[n], sizeof(keep[n]), "%s weight=%d", hp, r->remotes[j].weight);
					else
						snprintf(keep[n], sizeof(keep[n]), "%s", hp);
					vals[n] = keep[n];
					n++;
				}
			store_free(&st);
		}
		for (j = 0; j < kvs[i].n && n < ARRAY_SIZE(vals); j++)
			vals[n++] = kvs[i].vals[j];
		if (store_edit_set(t, section, kvs[i].key, vals, n, err) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, err);
			return -1;
		}
	}
	return 0;
}

/* The keys into the rule's section, then commit (added: see finish): an exit
 * code; the transaction is ended either way. */
static int
apply_finish(struct store_txn *t, const char *section, struct kv *kvs, size_t nkv, const char *added)
{
	if (apply_kvs(t, section, kvs, nkv) < 0) {
		store_end(t);
		return EXIT_USAGE;
	}
	return finish(t, added);
}

static int
cmd_add(int argc, char **argv)
{
	struct kv kvs[48];
	size_t nkv = 0;
	struct store_txn t;
	char section[STORE_NAME_MAX + 16], err[ERRLEN];
	int i;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: xwpf rule add NAME --listen ADDR:PORT --remote HOST:PORT [--KEY VALUE ...]\n");
		return EXIT_USAGE;
	}
	if (rule_section(section, sizeof(section), argv[1]) < 0)
		return EXIT_USAGE;
	for (i = 2; i < argc; i++) {
		char key[64], *eq, *p;
		const char *val;

		if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
			fprintf(stderr, "%s: expected --KEY VALUE, got '%s'\n", applet_name, argv[i]);
			return EXIT_USAGE;
		}
		snprintf(key, sizeof(key), "%s", argv[i] + 2);
		if ((eq = strchr(key, '=')) != NULL) {
			*eq = '\0';
			val = strchr(argv[i], '=') + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "%s: --%s needs a value\n", applet_name, key);
			return EXIT_USAGE;
		}
		for (p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		if (kv_add(kvs, &nkv, ARRAY_SIZE(kvs), key, val, 0) < 0)
			return EXIT_USAGE;
	}
	if (begin(&t) < 0)
		return EXIT_FAIL;
	if (store_edit_has_section(&t, section)) {
		fprintf(stderr, "%s: a rule named '%s' already exists (change it with: %s)\n",
		    applet_name, argv[1], XCMD("rule set %s KEY=VALUE", argv[1]));
		store_end(&t);
		return EXIT_FAIL;
	}
	if (store_edit_add_section(&t, section, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		store_end(&t);
		return EXIT_FAIL;
	}
	return apply_finish(&t, section, kvs, nkv, argv[1]);
}

static int
cmd_set(int argc, char **argv)
{
	struct kv kvs[48];
	size_t nkv = 0;
	struct store_txn t;
	char section[STORE_NAME_MAX + 16];
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: xwpf rule set NAME KEY=VALUE ...\n");
		return EXIT_USAGE;
	}
	if (rule_section(section, sizeof(section), argv[1]) < 0)
		return EXIT_USAGE;
	for (i = 2; i < argc; i++) {
		char key[64], *eq;
		int append = 0;

		snprintf(key, sizeof(key), "%s", argv[i]);
		if (!(eq = strchr(key, '='))) {
			fprintf(stderr, "%s: expected KEY=VALUE, got '%s'\n", applet_name, argv[i]);
			return EXIT_USAGE;
		}
		*eq = '\0';
		if (eq > key && eq[-1] == '+') {
			eq[-1] = '\0';
			append = 1;
		}
		if (kv_add(kvs, &nkv, ARRAY_SIZE(kvs), str_trim(key), strchr(argv[i], '=') + 1, append) < 0)
			return EXIT_USAGE;
	}
	if (begin(&t) < 0)
		return EXIT_FAIL;
	if (!store_edit_has_section(&t, section)) {
		fprintf(stderr, "%s: no rule named '%s' (see: %s)\n", applet_name, argv[1], XCMD("rule list"));
		store_end(&t);
		return EXIT_FAIL;
	}
	return apply_finish(&t, section, kvs, nkv, NULL);
}

/* [global] KEY=VALUE ...: one value each; an empty value resets the key */
static int
cmd_global(int argc, char **argv)
{
	struct store_txn t;
	char err[ERRLEN];
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: xwpf rule global KEY=VALUE ...\n");
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		char key[64], *eq;
		const char *near;

		snprintf(key, sizeof(key), "%s", argv[i]);
		if (!(eq = strchr(key, '='))) {
			fprintf(stderr, "%s: expected KEY=VALUE, got '%s'\n", applet_name, argv[i]);
			return EXIT_USAGE;
		}
		*eq = '\0';
		if (!store_global_key_known(str_trim(key))) {
			near = store_key_suggest(str_trim(key), 1);
			fprintf(stderr, "%s: unknown [global] key '%s'%s%s%s\n", applet_name, str_trim(key),
			    near ? ": did you mean '" : "", near ? near : "", near ? "'?" : "");
			return EXIT_USAGE;
		}
	}
	if (begin(&t) < 0)
		return EXIT_FAIL;
	for (i = 1; i < argc; i++) {
		char key[64];
		const char *val = strchr(argv[i], '=') + 1;

		snprintf(key, sizeof(key), "%.*s", (int)(strchr(argv[i], '=') - argv[i]), argv[i]);
		if (store_edit_set(&t, "global", str_trim(key), &val, *val ? 1 : 0, err) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, err);
			store_end(&t);
			return EXIT_USAGE;
		}
	}
	return finish(&t, NULL);
}

static int
cmd_del(int argc, char **argv)
{
	struct store_txn t;
	char section[STORE_NAME_MAX + 16], err[ERRLEN];
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: xwpf rule del NAME[,NAME...] ...\n");
		return EXIT_USAGE;
	}
	if (begin(&t) < 0)
		return EXIT_FAIL;
	for (i = 1; i < argc; i++) {
		char list[1024], *name, *save = NULL;

		snprintf(list, sizeof(list), "%s", argv[i]);
		for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
			name = str_trim(name);
			if (rule_section(section, sizeof(section), name) < 0) {
				store_end(&t);
				return EXIT_USAGE;
			}
			if (store_edit_del_section(&t, section, err) < 0) {
				fprintf(stderr, "%s: no rule named '%s'; nothing was deleted\n", applet_name, name);
				store_end(&t);
				return EXIT_FAIL;
			}
		}
	}
	return finish(&t, NULL);
}

static int
cmd_enable(int argc, char **argv, const char *value)
{
	struct store_txn t;
	char section[STORE_NAME_MAX + 16], err[ERRLEN];
	const char *vals[1] = { value };
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: xwpf rule %s NAME...\n", argv[0]);
		return EXIT_USAGE;
	}
	if (begin(&t) < 0)
		return EXIT_FAIL;
	for (i = 1; i < argc; i++) {
		if (rule_section(section, sizeof(section), argv[i]) < 0) {
			store_end(&t);
			return EXIT_USAGE;
		}
		if (!store_edit_has_section(&t, section)) {
			fprintf(stderr, "%s: no rule named '%s'; nothing was changed\n", applet_name, argv[i]);
			store_end(&t);
			return EXIT_FAIL;
		}
		if (store_edit_set(&t, section, "enabled", vals, 1, err) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, err);
			store_end(&t);
			return EXIT_FAIL;
		}
	}
	return finish(&t, NULL);
}

/* check [FILE]: the store, or a file about to become one */
static int
cmd_check(int argc, char **argv)
{
	struct store st;
	const char *path = path_get(PATH_CONF);
	int rc;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1])) {
		fprintf(stderr, "usage: xwpf rule check [FILE]   (FILE: a store file to check instead of %s)\n", path);
		return EXIT_USAGE;
	}
	if (argc == 2) {
		struct stat sb;

		path = argv[1];
		if (stat(path, &sb) < 0) {   /* the store itself may be missing (no rules yet); a named file not */
			fprintf(stderr, "%s: cannot read %s: %s\n", applet_name, path, strerror(errno));
			return EXIT_FAIL;
		}
	}
	rc = load_file(path, &st);
	if (rc == 0)
		printf("%s: %zu rule%s, valid\n", path, st.nrules, st.nrules == 1 ? "" : "s");
	store_free(&st);
	return rc == 0 ? EXIT_OK : EXIT_CONFIG;
}

/* rule keys: what each key is, its values and its default (no value: the
 * default). A key missing here prints without a description, and
 * rule_store checks that none is missing. */
static const struct { const char *key, *help; } key_help[] = {
	{ "note", "free text shown in lists" },
	{ "enabled", "yes | no (default yes)" },
	{ "role", "relay (client side of a tunnel) | exit (server side); default relay" },
	{ "listen", "IP:PORT, [::]:PORT, PORT (every address), a range 10000-10100 or a list 80,443,8000-8010; required" },
	{ "listen_interface", "accept only on this NIC (SO_BINDTODEVICE)" },
	{ "remote", "HOST:PORT [weight=N], repeatable; a range maps port to port; required" },
	{ "weights", "2,1,...: one weight 1-255 per remote (xwPF's and realm's form)" },
	{ "balance", "off | roundrobin | iphash | failover (default roundrobin with 2+ remotes)" },
	{ "failover", "yes | no: health checks may take remotes out of rotation (default no)" },
	{ "protocol", "tcp | udp | tcp+udp (default tcp)" },
	{ "through", "source address for outgoing connections: IP or IP:PORT" },
	{ "interface", "leave by this NIC (SO_BINDTODEVICE)" },
	{ "listen_congestion", "TCP congestion control toward the clients, e.g. bbr; system = the system's" },
	{ "remote_congestion", "TCP congestion control toward the remotes, e.g. cubic; system = the system's" },
	{ "listen_transport", "tls;servername=NAME, ws;host=H;path=/P[;tls...]: the exit end of a tunnel" },
	{ "remote_transport", "tls;sni=NAME[;pin=...], ws;host=H;path=/P[;tls...]: the relay end" },
	{ "udp_transport", "tunnel | plain: UDP of a rule with a transport goes through the tunnel (xwpf at both "
	    "ends) or plain beside it to the same host:port, as realm does (default tunnel)" },
	{ "proxy", "off | send-v1 | send-v2 | accept | accept+send-v1 | accept+send-v2 (default off)" },
	{ "proxy_timeout", "time to read an incoming PROXY header (default [global]'s, 5s)" },
	{ "mptcp", "off | send | accept | both (default off)" },
	{ "ipv6_only", "yes | no: with [::], IPv6 only (default no)" },
	{ "connect_timeout", "per connect, across the remotes tried (default [global]'s, 5s)" },
	{ "idle_timeout", "TCP idle limit, 0 = never (default [global]'s, 0)" },
	{ "udp_timeout", "UDP association idle limit (default [global]'s, " STORE_UDP_TIMEOUT_STR ")" },
	{ "handshake_timeout", "TLS / WebSocket handshake deadline (default [global]'s, 10s)" },
	{ "tcp_keepalive", "idle time before TCP keepalive probes, 0 = off (default [global]'s, 15s)" },
	{ "tcp_keepalive_interval", "time between keepalive probes (default [global]'s, 15s)" },
	{ "tcp_keepalive_probes", "unanswered probes before the connection is dropped (default [global]'s, 3)" },
	{ "health_fail", "consecutive failed checks before a remote is down (default [global]'s, 2)" },
	{ "health_ok", "consecutive good checks before it is up again (default [global]'s, 2)" },
	{ "health_cooldown", "least time a remote stays down (default [global]'s, 120s)" },
	{ "health_send", "a check sends this (\\r\\n understood) ..." },
	{ "health_expect", "... and wants a reply that starts with this" },
	{ "quota", "bytes per billing cycle, K M G T (binary); 0 = none" },
	{ "quota_action", "stop | throttle: at the quota (default stop)" },
	{ "quota_rate", "each way while throttled, e.g. 10mbit" },
	{ "billing", "both | in | out | max: what the quota counts (default [global]'s, both)" },
	{ "reset_day", "1-31: the cycle starts that day, local time (default [global]'s, 1)" },
	{ "rate_in", "whole rule, client to remote, e.g. 100mbit; 0 = unlimited" },
	{ "rate_out", "whole rule, remote to client; 0 = unlimited" },
	{ "conn_rate", "per connection, each way; 0 = unlimited" },
	{ "max_conns", "open connections at most; 0 = unlimited" },
	{ "max_conns_per_src", "open connections per client address; 0 = unlimited" },
	{ "new_conns_per_src", "new connections per client address per second; 0 = unlimited" },
	{ "allow", "client addresses or CIDRs, comma-separated; others refused" },
	{ "deny", "client addresses or CIDRs refused" },
	{ "on_event", "a program run on the rule's events (default [global]'s)" },
	{ "notify", "targets for the rule's events instead of [global]'s; off = none (docs/notify.md)" },
	{ "expire", "YYYY-MM-DD: the rule stops forwarding at the end of that day, local time; off = never" },
};

static const char *
key_help_of(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(key_help) / sizeof(key_help[0]); i++)
		if (strcmp(key_help[i].key, key) == 0)
			return key_help[i].help;
	return NULL;
}

int
rule_main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(rule_usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "ls") == 0)
		return cmd_list(argc, argv);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(cmd, "add") == 0)
		return cmd_add(argc, argv);
	if (strcmp(cmd, "set") == 0)
		return cmd_set(argc, argv);
	if (strcmp(cmd, "del") == 0 || strcmp(cmd, "delete") == 0 || strcmp(cmd, "rm") == 0)
		return cmd_del(argc, argv);
	if (strcmp(cmd, "enable") == 0)
		return cmd_enable(argc, argv, "yes");
	if (strcmp(cmd, "disable") == 0)
		return cmd_enable(argc, argv, "no");
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(cmd, "global") == 0)
		return cmd_global(argc, argv);
	if (strcmp(cmd, "keys") == 0) {
		const char *const *k;

		int names = argc == 2 && strcmp(argv[1], "--names") == 0;

		if (argc > 1 && !names) {
			fprintf(stderr, "usage: xwpf rule keys [--names]   (--names: the names alone, one a line)\n");
			return EXIT_USAGE;
		}
		for (k = store_rule_keys(); *k; k++) {
			const char *h = key_help_of(*k);

			if (names || !h)
				puts(*k);
			else
				printf("%-18s %s\n", *k, h);
		}
		if (!names)
			puts("\nA key left empty (KEY =) takes its default; durations take ms s m h, sizes K M G T.\n"
			    "[global] keys and examples: docs/store.md.");
		return EXIT_OK;
	}
	fprintf(stderr, "%s: unknown command '%s'\n\n%s", applet_name, cmd, rule_usage);
	return EXIT_USAGE;
}
