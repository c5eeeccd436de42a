/*
 * mptcp: the system's MPTCP state and the in-kernel path manager's endpoints
 * and limits, spoken to over generic netlink (no `ip` binary needed). What
 * the user chooses is also saved in the store's [mptcp] section so that
 * `xwpf mptcp apply` (the relay at start, a oneshot unit at boot) can put it
 * back after a reboot.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "applet.h"
#include "json.h"
#include "mptcp_cli.h"
#include "mptcp_kernel.h"
#include "paths.h"
#include "store.h"
#include "util.h"

const char mptcp_usage[] =
    "usage: xwpf mptcp COMMAND ...\n"
    "\n"
    "  status [--json]                   kernel support, sysctls, path manager, limits,\n"
    "                                    endpoints, addresses per NIC, MPTCP connections\n"
    "  enable                            net.mptcp.enabled=1, pm_type 0, rp_filter 2 (all,\n"
    "                                    default), limits (8 and 8 unless set): now and at boot\n"
    "  disable                           net.mptcp.enabled=0 now and at boot\n"
    "  endpoint add ADDR [dev IF] [subflow] [signal] [backup] [fullmesh] [id N] [port N]\n"
    "                                    a new endpoint; ADDR must be on IF (or on some NIC)\n"
    "  endpoint del ID|ADDR              remove one endpoint\n"
    "  endpoint flush                    remove every endpoint\n"
    "  endpoint list [--json]            the kernel's endpoints, as `ip mptcp endpoint show`\n"
    "  limits [show]                     the kernel's limits\n"
    "  limits set [subflows N] [add_addr_accepted N]   0 to 8 each\n"
    "  apply                             put back the endpoints, limits and switch saved in the\n"
    "                                    store (run by the relay at start and at boot)\n"
    "\n"
    "Flags: subflow opens extra subflows from ADDR; signal announces ADDR to the peer;\n"
    "backup marks its subflows as backup; fullmesh opens a subflow from ADDR to every\n"
    "address the peer announces. signal and fullmesh do not go together; port needs signal\n"
    "without subflow. id is 1-255 (the kernel picks one when left out).\n"
    "\n"
    "Changes are saved in the store's [mptcp] section ($XWPF_ROOT/etc/xwpf/xwpf.conf) and\n"
    "the sysctls in $XWPF_ROOT/etc/sysctl.d/90-xwpf-mptcp.conf. Connection counts come from\n"
    "sock_diag (what `ss -M` lists): MPTCP sockets and the TCP subflows under them.\n"
    "Exit codes: 0 ok, 1 failure (the kernel or the system refused), 2 usage (bad input,\n"
    "nothing changed), 3 the store is invalid.\n";

#define SYSCTL_FILE MPTCP_SYSCTL_FILE
#define DEFAULT_LIMIT 8

void
mptcp_cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", applet_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Changing MPTCP needs CAP_NET_ADMIN: say so before touching anything. */
static int
need_admin(const char *what)
{
	size_t len;
	char *st = file_read("/proc/self/status", &len), *p;
	unsigned long long caps = ~0ULL;

	if (st && (p = strstr(st, "\nCapEff:")) != NULL)
		caps = strtoull(p + 8, NULL, 16);
	free(st);
	if (caps & (1ULL << 12))   /* CAP_NET_ADMIN */
		return 0;
	mptcp_cli_err("permission denied: %s needs root (CAP_NET_ADMIN); nothing was changed", what);
	return -1;
}

static int
open_pm(struct mptcp_pm *pm)
{
	char err[ERRLEN];

	if (mptcp_pm_open(pm, err) < 0) {
		mptcp_cli_err("%s", err);
		return -1;
	}
	return 0;
}

/* Root (CAP_NET_ADMIN) and the path manager open: 0, or -1 having said why. */
static int
admin_pm(const char *what, struct mptcp_pm *pm)
{
	return need_admin(what) < 0 || open_pm(pm) < 0 ? -1 : 0;
}

/* The kernel's endpoints (*v to free): 0, or -1 having said why. */
static int
list_endpoints(struct mptcp_pm *pm, struct mptcp_endpoint **v, size_t *n)
{
	char err[ERRLEN];

	if (mptcp_pm_list(pm, v, n, err) < 0) {
		mptcp_cli_err("%s", err);
		return -1;
	}
	return 0;
}

/* ---- the store ---- */

static void
print_diags(const struct store_diags *d)
{
	char buf[600];
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", store_diag_format(d, i, buf, sizeof(buf)));
}

static int
begin(struct store_txn *t)
{
	char err[ERRLEN];

	if (store_begin(t, path_get(PATH_CONF), err) < 0) {
		mptcp_cli_err("%s", err);
		return -1;
	}
	return 0;
}

/* A change to the kernel and the store: root, the path manager open and a store
 * transaction begun. 0, or -1 having said why (then nothing is left open). */
static int
admin_edit(const char *what, struct mptcp_pm *pm, struct store_txn *t)
{
	if (admin_pm(what, pm) < 0)
		return -1;
	if (begin(t) < 0) {
		mptcp_pm_close(pm);
		return -1;
	}
	return 0;
}

/* Give a change up before it took hold anywhere: say so (why: the cause, or NULL
 * when it was said already) and end the transaction. */
static void
abandon(struct store_txn *t, const char *why)
{
	if (why)
		mptcp_cli_err("%s; nothing was changed", why);
	else
		mptcp_cli_err("nothing was changed");
	store_end(t);
}

/* Commit; on failure print why. 0 ok, -1 failed (the transaction is ended either way). */
static int
commit(struct store_txn *t)
{
	struct store_diags d = { 0 };
	char err[ERRLEN];
	int rc = 0;

	if (store_commit(t, &d, err) < 0) {
		print_diags(&d);
		mptcp_cli_err("saving to the store failed: %s", err);
		rc = -1;
	}
	store_diags_free(&d);
	store_end(t);
	return rc;
}

/* Parse the transaction's working text (the [mptcp] section is what we want). */
static int
txn_check(struct store_txn *t, struct store *st, int edited)
{
	struct store_diags d = { 0 };
	int rc = store_parse_text(t->text, t->path, st, &d);

	if (rc < 0) {
		print_diags(&d);
		if (edited)
			mptcp_cli_err("the change would make the store invalid");
		else
			mptcp_cli_err("the store is invalid: fix it first (see: %s)", XCMD("rule check"));
	}
	store_diags_free(&d);
	return rc;
}

static int
txn_mptcp(struct store_txn *t, struct store *st)
{
	return txn_check(t, st, 0);
}

static int
set_key(struct store_txn *t, const char *key, const char *const *vals, size_t n)
{
	char err[ERRLEN];

	if (store_edit_set(t, "mptcp", key, vals, n, err) < 0) {
		mptcp_cli_err("%s", err);
		return -1;
	}
	return 0;
}

static int
set_num(struct store_txn *t, const char *key, long v)
{
	char buf[24];
	const char *vals[1] = { buf };

	snprintf(buf, sizeof(buf), "%ld", v);
	return set_key(t, key, vals, 1);
}

/*
 * Rewrite the store's endpoint lines: drop those for the same address and
 * port as `drop` (NULL: none; `all`: every line), then append `add` (NULL: none).
 * Lines that do not parse are kept as the user wrote them.
 */
static int
store_endpoints(struct store_txn *t, const struct mptcp_endpoint *drop, int all, const struct mptcp_endpoint *add,
    int *dropped)
{
	struct store st;
	const char **vals;
	char line[300], err[ERRLEN];
	size_t i, n = 0;
	int rc;

	if (dropped)
		*dropped = 0;
	if (txn_mptcp(t, &st) < 0) {
		store_free(&st);
		return -1;
	}
	if (!(vals = calloc(st.mptcp.nendpoints + 1, sizeof(*vals)))) {
		store_free(&st);
		mptcp_cli_err("out of memory");
		return -1;
	}
	for (i = 0; i < st.mptcp.nendpoints; i++) {
		struct mptcp_endpoint e;

		if (all || (drop && mptcp_endpoint_parse(st.mptcp.endpoints[i], &e, err) == 0 &&
		    mptcp_endpoint_same(&e, drop))) {
			if (dropped)
				(*dropped)++;
			continue;
		}
		vals[n++] = st.mptcp.endpoints[i];
	}
	if (add)
		vals[n++] = mptcp_endpoint_format(add, line, sizeof(line));
	rc = set_key(t, "endpoint", vals, n);
	free(vals);
	store_free(&st);
	if (rc == 0) {   /* would the store take it? ask before the kernel is touched */
		rc = txn_check(t, &st, 1);
		store_free(&st);
	}
	return rc;
}

/* ---- enable / disable ---- */

static int
write_sysctl_file(int on)
{
	char path[512], dir[512], text[600], *slash;
	char err[ERRLEN];

	path_rooted(SYSCTL_FILE, path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(dir, 0755) < 0) {
		mptcp_cli_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	mptcp_sysctl_text(on, text, sizeof(text));
	if (file_write_atomic_err(path, text, strlen(text), 0644, err) < 0) {   /* never through a planted link */
		mptcp_cli_err("%s", err);
		return -1;
	}
	return 0;
}

static int
cmd_enable(int argc, char **argv, int on)
{
	struct mptcp_pm pm;
	struct store_txn t;
	struct store st;
	char err[ERRLEN], pm_type[16];
	const char *vals[1] = { on ? "yes" : "no" };
	long sf, aa;
	int rc = EXIT_FAIL;

	if (argc != 1) {
		fprintf(stderr, "usage: xwpf mptcp %s\n", on ? "enable" : "disable");
		return EXIT_USAGE;
	}
	if (admin_edit(on ? "enabling MPTCP" : "disabling MPTCP", &pm, &t) < 0)
		return EXIT_FAIL;
	if (txn_mptcp(&t, &st) < 0) {
		store_free(&st);
		rc = EXIT_CONFIG;
		goto out;
	}
	sf = st.mptcp.subflows >= 0 ? st.mptcp.subflows : DEFAULT_LIMIT;
	aa = st.mptcp.add_addr_accepted >= 0 ? st.mptcp.add_addr_accepted : DEFAULT_LIMIT;
	store_free(&st);
	/* edit and validate the store first: a store that would not take it changes nothing */
	if (set_key(&t, "enabled", vals, 1) < 0 || (on && (set_num(&t, "subflows", sf) < 0 ||
	    set_num(&t, "add_addr_accepted", aa) < 0)))
		goto out;
	if (txn_check(&t, &st, 1) < 0) {
		store_free(&st);
		mptcp_cli_err("nothing was changed");
		rc = EXIT_CONFIG;
		goto out;
	}
	store_free(&st);

	rc = EXIT_OK;
	if (mptcp_sysctl_set("net.mptcp.enabled", on ? "1" : "0", err) < 0) {
		mptcp_cli_err("%s; nothing was changed", err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (on) {
		if (mptcp_sysctl_get("net.mptcp.pm_type", pm_type, sizeof(pm_type)) == 0) {
			if (mptcp_sysctl_set("net.mptcp.pm_type", "0", err) < 0) {
				mptcp_cli_err("%s", err);
				rc = EXIT_FAIL;
			}
		} else if (mptcp_sysctl_set("net.mptcp.path_manager", "kernel", err) < 0 && errno != ENOENT) {
			mptcp_cli_err("%s", err);
			rc = EXIT_FAIL;
		}
		if (mptcp_sysctl_set("net.ipv4.conf.all.rp_filter", "2", err) < 0 ||
		    mptcp_sysctl_set("net.ipv4.conf.default.rp_filter", "2", err) < 0) {
			mptcp_cli_err("%s", err);
			rc = EXIT_FAIL;
		}
		if (mptcp_pm_limits_set(&pm, sf, aa, err) < 0) {
			mptcp_cli_err("%s", err);
			rc = EXIT_FAIL;
		}
	}
	if (write_sysctl_file(on) < 0)
		rc = EXIT_FAIL;
	mptcp_pm_close(&pm);
	if (commit(&t) < 0)
		return EXIT_FAIL;
	if (on)
		printf("MPTCP enabled: net.mptcp.enabled = 1, path manager kernel, rp_filter 2 (all, default), "
		    "limits subflows %ld add_addr_accepted %ld; kept for boot in %s\n", sf, aa,
		    path_rooted(SYSCTL_FILE, err, sizeof(err)));
	else
		printf("MPTCP disabled: net.mptcp.enabled = 0, now and at boot (%s); rp_filter, limits and "
		    "endpoints left as they are\n", path_rooted(SYSCTL_FILE, err, sizeof(err)));
	return rc;
out:
	store_end(&t);
	mptcp_pm_close(&pm);
	return rc;
}

/* ---- endpoints ---- */

static const struct mptcp_endpoint *
find_same(const struct mptcp_endpoint *v, size_t n, const struct mptcp_endpoint *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mptcp_endpoint_same(&v[i], e))
			return &v[i];
	return NULL;
}

/* The end of an endpoint change: the kernel's list freed, the path manager closed; rc. */
static int
ep_done(struct mptcp_pm *pm, struct mptcp_endpoint *have, int rc)
{
	free(have);
	mptcp_pm_close(pm);
	return rc;
}

static int
ep_add(int argc, char **argv)
{
	struct mptcp_endpoint e, *have = NULL;
	const struct mptcp_endpoint *dup;
	struct mptcp_pm pm;
	struct store_txn t;
	char err[ERRLEN], line[300];
	size_t nhave = 0, i;
	int rc = EXIT_FAIL, assigned = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: xwpf mptcp endpoint add ADDR [dev IF] [subflow] [signal] [backup] [fullmesh] "
		    "[id N] [port N]\n");
		return EXIT_USAGE;
	}
	if (mptcp_endpoint_parse_argv(argc - 1, argv + 1, &e, err) < 0) {
		mptcp_cli_err("%s; nothing was changed", err);
		return EXIT_USAGE;
	}
	if (!(e.flags & (MPTCP_F_SUBFLOW | MPTCP_F_SIGNAL)))
		fprintf(stderr, "%s: warning: without subflow or signal the kernel's path manager will not use %s\n",
		    applet_name, e.addr_text);
	if (mptcp_endpoint_local(&e, err) < 0) {
		mptcp_cli_err("%s; nothing was changed", err);
		return EXIT_USAGE;
	}
	if (admin_pm("adding an endpoint", &pm) < 0)
		return EXIT_FAIL;
	if (list_endpoints(&pm, &have, &nhave) < 0)
		goto out;
	if ((dup = find_same(have, nhave, &e)) != NULL) {
		mptcp_cli_err("%s already has an endpoint: %s; delete it first (%s); nothing was changed",
		    e.addr_text, mptcp_endpoint_show(dup, line, sizeof(line)), XCMD("mptcp endpoint del %d", dup->id));
		goto out;
	}
	for (i = 0; e.id && i < nhave; i++)
		if (have[i].id == e.id) {
			mptcp_cli_err("id %d is taken by %s: choose another id or leave it out; nothing was changed", e.id,
			    mptcp_endpoint_show(&have[i], line, sizeof(line)));
			goto out;
		}
	if (nhave >= MPTCP_ENDPOINTS_MAX) {
		mptcp_cli_err("the kernel keeps at most %d endpoints and has %zu: delete one first; nothing was changed",
		    MPTCP_ENDPOINTS_MAX, nhave);
		goto out;
	}
	if (begin(&t) < 0)
		goto out;
	if (store_endpoints(&t, &e, 0, &e, NULL) < 0) {
		abandon(&t, NULL);
		goto out;
	}
	if (mptcp_pm_add(&pm, &e, err) < 0) {
		abandon(&t, err);
		goto out;
	}
	/* the id the kernel gave it, for the message and for a rollback */
	free(have);
	have = NULL;
	if (mptcp_pm_list(&pm, &have, &nhave, err) == 0 && (dup = find_same(have, nhave, &e)) != NULL)
		assigned = dup->id;
	if (commit(&t) < 0) {
		if (assigned && mptcp_pm_del(&pm, assigned, err) < 0)
			mptcp_cli_err("and the endpoint stays in the kernel: %s", err);
		goto out;
	}
	if (dup)
		printf("added: %s\n", mptcp_endpoint_show(dup, line, sizeof(line)));
	else
		printf("added: %s\n", mptcp_endpoint_format(&e, line, sizeof(line)));
	rc = EXIT_OK;
out:
	return ep_done(&pm, have, rc);
}

static int
ep_del(int argc, char **argv)
{
	struct mptcp_endpoint want, *have = NULL;
	const struct mptcp_endpoint *cur = NULL;
	struct mptcp_pm pm;
	struct store_txn t;
	struct store st;
	char err[ERRLEN], line[300];
	const char *arg;
	size_t nhave = 0, i;
	long id = 0;
	int rc = EXIT_FAIL, dropped = 0, matches = 0;

	if (argc == 3 && strcmp(argv[1], "id") == 0)
		arg = argv[2];
	else if (argc == 2)
		arg = argv[1];
	else {
		fprintf(stderr, "usage: xwpf mptcp endpoint del ID|ADDR\n");
		return EXIT_USAGE;
	}
	memset(&want, 0, sizeof(want));
	if (strspn(arg, "0123456789") == strlen(arg)) {
		if (parse_long(arg, 1, 255, &id) < 0) {
			mptcp_cli_err("id must be a number from 1 to 255, not '%s'; nothing was changed", arg);
			return EXIT_USAGE;
		}
	} else if (mptcp_endpoint_parse(arg, &want, err) < 0) {
		mptcp_cli_err("'%s' is neither an endpoint id (1-255) nor an address; nothing was changed", arg);
		return EXIT_USAGE;
	}
	if (admin_pm("deleting an endpoint", &pm) < 0)
		return EXIT_FAIL;
	if (list_endpoints(&pm, &have, &nhave) < 0)
		goto out;
	for (i = 0; i < nhave; i++)
		if (id ? have[i].id == id : (have[i].family == want.family &&
		    memcmp(have[i].addr, want.addr, want.family == AF_INET ? 4 : 16) == 0)) {
			cur = &have[i];
			matches++;
		}
	if (matches > 1) {
		mptcp_cli_err("%s has %d endpoints (different ports): delete by id (see: %s); "
		    "nothing was changed", arg, matches, XCMD("mptcp endpoint list"));
		goto out;
	}
	if (begin(&t) < 0)
		goto out;
	if (cur)
		want = *cur;
	else if (id) {
		/* not in the kernel: maybe saved with this id in the store */
		if (txn_mptcp(&t, &st) == 0)
			for (i = 0; i < st.mptcp.nendpoints; i++) {
				struct mptcp_endpoint e;
				if (mptcp_endpoint_parse(st.mptcp.endpoints[i], &e, err) == 0 && e.id == id) {
					want = e;
					break;
				}
			}
		store_free(&st);
	}
	if (want.family && store_endpoints(&t, &want, 0, NULL, &dropped) < 0) {
		abandon(&t, NULL);
		goto out;
	}
	if (!cur && !dropped) {
		size_t n = 0;
		line[0] = '\0';
		for (i = 0; i < nhave && n < sizeof(line); i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%d (%s)", i ? ", " : "", have[i].id,
			    have[i].addr_text);
		if (id)
			mptcp_cli_err("there is no endpoint with id %ld (%s%s); nothing was changed", id,
			    nhave ? "the kernel has " : "the kernel has none", line);
		else
			mptcp_cli_err("there is no endpoint for %s (%s%s); nothing was changed", want.addr_text,
			    nhave ? "the kernel has " : "the kernel has none", line);
		store_end(&t);
		goto out;
	}
	if (cur && mptcp_pm_del(&pm, cur->id, err) < 0) {
		abandon(&t, err);
		goto out;
	}
	if (commit(&t) < 0) {
		if (cur && mptcp_pm_add(&pm, cur, err) < 0)
			mptcp_cli_err("and the endpoint could not be put back: %s", err);
		goto out;
	}
	if (cur)
		printf("deleted: %s\n", mptcp_endpoint_show(cur, line, sizeof(line)));
	else
		printf("deleted from the store: %s (it was not active in the kernel)\n", want.addr_text);
	rc = EXIT_OK;
out:
	return ep_done(&pm, have, rc);
}

static int
ep_flush(int argc, char **argv)
{
	struct mptcp_pm pm;
	struct store_txn t;
	char err[ERRLEN];
	int rc = EXIT_FAIL;

	if (argc != 1) {
		fprintf(stderr, "usage: xwpf mptcp endpoint flush\n");
		return EXIT_USAGE;
	}
	if (admin_edit("flushing the endpoints", &pm, &t) < 0)
		return EXIT_FAIL;
	if (store_endpoints(&t, NULL, 1, NULL, NULL) < 0) {
		abandon(&t, NULL);
		goto out;
	}
	if (mptcp_pm_flush(&pm, err) < 0) {
		abandon(&t, err);
		goto out;
	}
	if (commit(&t) < 0)
		goto out;
	printf("every endpoint removed (kernel and store)\n");
	rc = EXIT_OK;
out:
	mptcp_pm_close(&pm);
	return rc;
}

static int
ep_list(int argc, char **argv)
{
	struct mptcp_endpoint *v = NULL;
	struct mptcp_pm pm;
	char line[300];
	size_t n = 0, i;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0, rc;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "usage: xwpf mptcp endpoint list [--json]\n");
		return EXIT_USAGE;
	}
	if (open_pm(&pm) < 0)
		return EXIT_FAIL;
	rc = list_endpoints(&pm, &v, &n);
	mptcp_pm_close(&pm);
	if (rc < 0)
		return EXIT_FAIL;
	if (json)
		fputc('[', stdout);
	for (i = 0; i < n; i++) {
		if (json) {
			if (i)
				fputc(',', stdout);
			mptcp_cli_json_endpoint(stdout, &v[i]);
		} else
			printf("%s\n", mptcp_endpoint_show(&v[i], line, sizeof(line)));
	}
	if (json)
		fputs("]\n", stdout);
	free(v);
	return EXIT_OK;
}

static int
cmd_endpoint(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: xwpf mptcp endpoint add|del|flush|list ...\n");
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (strcmp(argv[0], "add") == 0)
		return ep_add(argc, argv);
	if (strcmp(argv[0], "del") == 0 || strcmp(argv[0], "delete") == 0 || strcmp(argv[0], "rm") == 0)
		return ep_del(argc, argv);
	if (strcmp(argv[0], "flush") == 0)
		return ep_flush(argc, argv);
	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "show") == 0 || strcmp(argv[0], "ls") == 0)
		return ep_list(argc, argv);
	mptcp_cli_err("unknown endpoint command '%s': use add, del, flush or list", argv[0]);
	return EXIT_USAGE;
}

/* ---- limits ---- */

static int
cmd_limits(int argc, char **argv)
{
	struct mptcp_pm pm;
	struct store_txn t;
	char err[ERRLEN];
	long sf = -1, aa = -1, old_sf, old_aa, v;
	int i;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "show") == 0)) {
		if (open_pm(&pm) < 0)
			return EXIT_FAIL;
		if (mptcp_pm_limits_get(&pm, &sf, &aa, err) < 0) {
			mptcp_cli_err("%s", err);
			mptcp_pm_close(&pm);
			return EXIT_FAIL;
		}
		mptcp_pm_close(&pm);
		printf("add_addr_accepted %ld subflows %ld\n", aa, sf);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "set") != 0 || argc < 4 || argc % 2) {
		fprintf(stderr, "usage: xwpf mptcp limits set [subflows N] [add_addr_accepted N]\n");
		return EXIT_USAGE;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		long *dst = strcmp(argv[i], "subflows") == 0 ? &sf :
		    strcmp(argv[i], "add_addr_accepted") == 0 ? &aa : NULL;
		if (!dst) {
			mptcp_cli_err("unknown limit '%s': use subflows or add_addr_accepted; nothing was changed", argv[i]);
			return EXIT_USAGE;
		}
		if (*dst >= 0) {
			mptcp_cli_err("%s given twice; nothing was changed", argv[i]);
			return EXIT_USAGE;
		}
		if (parse_long(argv[i + 1], 0, MPTCP_LIMIT_MAX, &v) < 0) {
			mptcp_cli_err("%s must be a number from 0 to %d, not '%s'; nothing was changed", argv[i], MPTCP_LIMIT_MAX,
			    argv[i + 1]);
			return EXIT_USAGE;
		}
		*dst = v;
	}
	if (admin_edit("setting the limits", &pm, &t) < 0)
		return EXIT_FAIL;
	if ((sf >= 0 && set_num(&t, "subflows", sf) < 0) || (aa >= 0 && set_num(&t, "add_addr_accepted", aa) < 0)) {
		store_end(&t);
		mptcp_pm_close(&pm);
		return EXIT_FAIL;
	}
	{
		struct store st;
		int bad = txn_check(&t, &st, 1) < 0;

		store_free(&st);
		if (bad) {
			abandon(&t, NULL);
			mptcp_pm_close(&pm);
			return EXIT_CONFIG;
		}
	}
	if (mptcp_pm_limits_get(&pm, &old_sf, &old_aa, err) < 0 || mptcp_pm_limits_set(&pm, sf, aa, err) < 0) {
		abandon(&t, err);
		mptcp_pm_close(&pm);
		return EXIT_FAIL;
	}
	if (commit(&t) < 0) {
		if (mptcp_pm_limits_set(&pm, old_sf, old_aa, err) < 0)
			mptcp_cli_err("and the kernel keeps the new limits: %s", err);
		mptcp_pm_close(&pm);
		return EXIT_FAIL;
	}
	if (mptcp_pm_limits_get(&pm, &sf, &aa, err) == 0)
		printf("limits: add_addr_accepted %ld subflows %ld\n", aa, sf);
	mptcp_pm_close(&pm);
	return EXIT_OK;
}

/* ---- apply ---- */

static void
apply_report(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == MPTCP_REPORT_INFO)
		printf("%s\n", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", applet_name, level == MPTCP_REPORT_WARN ? "warning" : "error", msg);
}

static int
cmd_apply(int argc, char **argv)
{
	struct store st;
	struct store_diags d = { 0 };
	char err[ERRLEN];
	int n;

	if (argc != 1) {
		fprintf(stderr, "usage: xwpf mptcp apply\n");
		return EXIT_USAGE;
	}
	if (need_admin("applying the saved MPTCP settings") < 0)
		return EXIT_FAIL;
	if (store_load(path_get(PATH_CONF), &st, &d) < 0) {
		print_diags(&d);
		store_diags_free(&d);
		store_free(&st);
		return EXIT_CONFIG;
	}
	store_diags_free(&d);
	if (st.mptcp.enabled < 0 && st.mptcp.subflows < 0 && st.mptcp.add_addr_accepted < 0 &&
	    st.mptcp.nendpoints == 0) {
		printf("nothing to apply: the store has no [mptcp] settings\n");
		store_free(&st);
		return EXIT_OK;
	}
	n = mptcp_apply(&st.mptcp, apply_report, NULL, err);
	store_free(&st);
	if (n < 0) {
		mptcp_cli_err("%s", err);
		return EXIT_FAIL;
	}
	if (n > 0) {
		mptcp_cli_err("%d setting%s could not be applied (see above)", n, n == 1 ? "" : "s");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
mptcp_main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(mptcp_usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "status") == 0)
		return mptcp_cli_status(argc, argv);
	if (strcmp(cmd, "enable") == 0)
		return cmd_enable(argc, argv, 1);
	if (strcmp(cmd, "disable") == 0)
		return cmd_enable(argc, argv, 0);
	if (strcmp(cmd, "endpoint") == 0 || strcmp(cmd, "endpoints") == 0 || strcmp(cmd, "ep") == 0)
		return cmd_endpoint(argc, argv);
	if (strcmp(cmd, "limits") == 0 || strcmp(cmd, "limit") == 0)
		return cmd_limits(argc, argv);
	if (strcmp(cmd, "apply") == 0)
		return cmd_apply(argc, argv);
	mptcp_cli_err("unknown command '%s'\n\n%s", cmd, mptcp_usage);
	return EXIT_USAGE;
}
