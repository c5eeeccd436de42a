/*
 * import: restore an xwpf export, or migrate an xwPF archive or a realm
 * config into the store. Everything is read and validated first; then the
 * change is shown, confirmed, backed up and applied file by file
 * atomically (the store last), and the running relay is told to reload.
 * A refused, failed or cancelled import changes nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applet.h"
#include "bundle.h"
#include "events.h"
#include "migrate.h"
#include "paths.h"
#include "store.h"
#include "tar.h"
#include "text.h"
#include "transport.h"
#include "util.h"

const char import_usage[] =
    "usage: xwpf import FILE|DIR [--replace] [--dry-run] [--yes]\n"
    "       xwpf import --undo [--dry-run] [--yes]\n"
    "\n"
    "FILE '-' reads standard input (with --yes or --dry-run), so a setup moves\n"
    "in one line: xwpf export - | ssh NEWHOST xwpf import - --yes\n"
    "FILE is one of:\n"
    "  an xwpf export (xwpf export): replaces the store and restores the TLS\n"
    "      files and health state it holds; the MPTCP sysctl file is written\n"
    "      from the store's [mptcp] section, never copied from the archive\n"
    "  an xwPF archive (xwPF_config_*.tar.gz): its rule-N.conf files (read as\n"
    "      data, never run) and MPTCP endpoints are merged into the store\n"
    "  an xwPF config directory (/etc/realm, holding rules/rule-N.conf): read\n"
    "      as its archive is, while xwPF is still installed\n"
    "  a realm config (.json or .toml): one rule per endpoint, merged\n"
    "  the config.json of xwPF's traffic tool (or its directory,\n"
    "      /etc/port-traffic-dog): each port's quota, billing, reset day and\n"
    "      bandwidth go to the store's rule that listens on that port\n"
    "Merged rules whose names exist get a suffix (-2, -3 ...); a rule whose\n"
    "listen address is taken is refused, naming both rules.\n"
    "UDP of an imported tunnel rule (ws, tls) goes plain beside the tunnel to\n"
    "the same host:port, as realm sent it (udp_transport = plain).\n"
    "The on_event programs and log_file an imported store adds are listed, and\n"
    "refused when a user other than root could change them.\n"
    "\n"
    "  --replace   the store's rules become exactly the imported ones (xwPF's\n"
    "              import replaced everything); [global] and [mptcp] stay\n"
    "  --dry-run   show what would change, change nothing\n"
    "  --yes       apply without asking (needed when stdin is not a terminal)\n"
    "  --undo      put back what the last import replaced\n"
    "\n"
    "Before applying, the files it replaces are copied to\n"
    "$XWPF_ROOT/var/lib/xwpf/backup/<time>/; a running relay is sent SIGHUP.\n"
    "Exit codes: 0 ok (or nothing to change), 1 failure or cancelled,\n"
    "2 usage, 3 the archive or config is refused.\n";

#define ARCHIVE_MAX (64u << 20)

struct opts {
	int dry_run, yes, undo, replace;
	int from_stdin;     /* FILE was '-'; file then reads "standard input" */
	const char *file;
};

/* The change an import makes: the new store text and the other files. */
struct plan {
	struct bundle files;       /* everything to write, the store included */
	char *store_text;          /* new store (owned) */
	struct store_txn txn;      /* the store as read (unlocked) and merged into */
	int have_txn;
	const char *kind;
};

/* ------------------------------------------------------------------ */
/* showing a change */

static void
print_diags(const struct store_diags *d, const char *where)
{
	char buf[600];
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (where)
			fprintf(stderr, "%s\n", store_diag_format(d, i, buf, sizeof(buf)));
		else
			fprintf(stderr, "%s: %s: %s\n", applet_name, d->v[i].error ? "refused" : "warning", d->v[i].msg);
	}
}

/* Whether two rules have every key the same (their fingerprints, lib/store). */
static int
rule_same(const struct store_rule *a, const struct store_rule *b)
{
	char *fa = store_rule_keys_fingerprint(a), *fb = store_rule_keys_fingerprint(b);
	int same = fa && fb && strcmp(fa, fb) == 0;

	free(fa);
	free(fb);
	return same;
}

static const char *
rule_summary(const struct store_rule *r, char *buf, size_t size)
{
	char l[1024], rem[300];

	store_listen_format(r, l, sizeof(l));
	if (r->nremotes)
		hostport_format(&r->remotes[0].addr, rem, sizeof(rem));
	else
		strcpy(rem, "?");
	snprintf(buf, size, "%s -> %s%s%s", l, rem, r->nremotes > 1 ? " (+more)" : "",
	    r->role == ROLE_EXIT ? " [exit]" : "");
	return buf;
}

/* Print added / changed / removed rules; returns how many differ. */
static size_t
show_rule_diff(const struct store *old, const struct store *new)
{
	char sum[700];
	size_t i, n = 0;
	const struct store_rule *o;

	for (i = 0; i < new->nrules; i++) {
		const struct store_rule *r = &new->rules[i];
		if (!(o = store_find(old, r->name))) {
			printf("  + add     %-20s %s\n", r->name, rule_summary(r, sum, sizeof(sum)));
			n++;
			continue;
		}
		if (!rule_same(o, r)) {
			printf("  ~ change  %-20s %s\n", r->name, rule_summary(r, sum, sizeof(sum)));
			n++;
		}
	}
	for (i = 0; i < old->nrules; i++)
		if (!store_find(new, old->rules[i].name)) {
			printf("  - remove  %-20s %s\n", old->rules[i].name, rule_summary(&old->rules[i], sum, sizeof(sum)));
			n++;
		}
	return n;
}

static int
same_endpoints(const struct store_mptcp *x, const struct store_mptcp *y)
{
	size_t i;

	if (x->nendpoints != y->nendpoints || x->enabled != y->enabled || x->subflows != y->subflows ||
	    x->add_addr_accepted != y->add_addr_accepted)
		return 0;
	for (i = 0; i < x->nendpoints; i++)
		if (strcmp(x->endpoints[i], y->endpoints[i]) != 0)
			return 0;
	return 1;
}

/* Print file changes other than the store; returns how many differ. */
static size_t
show_file_diff(const struct bundle *files)
{
	size_t i, n = 0;

	for (i = 0; i < files->n; i++) {
		const struct bundle_file *f = &files->v[i];
		char path[PATH_MAX];
		size_t len;
		char *cur;

		if (strcmp(f->rel, bundle_rel_store()) == 0)
			continue;
		cur = file_read(bundle_path(f->rel, path, sizeof(path)), &len);
		if (cur && len == f->len && memcmp(cur, f->data, len) == 0) {
			free(cur);
			continue;
		}
		printf("  %c file    %s\n", cur ? '~' : '+', path);
		free(cur);
		n++;
	}
	return n;
}

/* y/N on a terminal; refuses without one. 0 go, -1 stop (printed). */
static int
confirm(const struct opts *o, const char *question)
{
	char line[32];

	if (o->yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s: standard input is not a terminal, so I cannot ask: add --yes to apply, "
		    "or --dry-run to only look; nothing was changed\n", applet_name);
		return -1;
	}
	printf("%s [y/N] ", question);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) || (strcasecmp(str_trim(line), "y") != 0 &&
	    strcasecmp(str_trim(line), "yes") != 0)) {
		printf("cancelled; nothing was changed\n");
		return -1;
	}
	return 0;
}

static void
reload_relay(void)
{
	char msg[300];
	int r = bundle_reload_relay(msg, sizeof(msg));

	if (r > 0)
		printf("%s\n", msg);
	else if (r < 0)
		fprintf(stderr, "%s: warning: %s\n", applet_name, msg);
}

/* ------------------------------------------------------------------ */
/* reading the input */

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *
base_of(const char *s)
{
	const char *b = strrchr(s, '/');

	return b ? b + 1 : s;
}

/* An xwPF rule file: ".../rules/rule-N.conf" */
static int
is_xwpf_rule(const char *name)
{
	const char *b = base_of(name);

	return strncmp(b, "rule-", 5) == 0 && ends_with(b, ".conf") && b - name >= 6 &&
	    strncmp(b - 6, "rules/", 6) == 0;
}

static int
cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct mig_file *)a)->name, ((const struct mig_file *)b)->name);
}

static int
read_xwpf(const struct tar_archive *a, struct mig_result *m, char *err)
{
	struct mig_file *rules = calloc(a->n ? a->n : 1, sizeof(*rules));
	struct mig_file ep = { 0 }, sc = { 0 };
	size_t i, n = 0;
	int have_ep = 0, have_sc = 0, rc;

	if (!rules) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	for (i = 0; i < a->n; i++) {
		const struct tar_entry *e = &a->v[i];
		struct mig_file f = { e->name, (const char *)e->data, e->size };

		if (e->type != '0')
			continue;
		if (is_xwpf_rule(e->name))
			rules[n++] = f;
		else if (strcmp(base_of(e->name), "mptcp_endpoints.conf") == 0) {
			ep = f;
			have_ep = 1;
		} else if (strcmp(base_of(e->name), "90-enable-MPTCP.conf") == 0) {
			sc = f;
			have_sc = 1;
		} else if (strcmp(base_of(e->name), "manager.conf") == 0)
			mig_warn(m, "%s is the script's own state; not imported", e->name);
	}
	if (!n && !have_ep) {
		free(rules);
		snprintf(err, ERRLEN, "neither an xwpf export (no %s/MANIFEST) nor an xwPF archive "
		    "(no rules/rule-N.conf)", BUNDLE_DIR);
		return -1;
	}
	qsort(rules, n, sizeof(*rules), cmp_files);
	rc = mig_xwpf(rules, n, have_ep ? &ep : NULL, have_sc ? &sc : NULL, m, err);
	free(rules);
	return rc;
}

/* Section name for a new rule: NAME, else NAME-2, NAME-3 ... */
static int
free_name(const struct store_txn *t, const char *want, char *out, size_t size)
{
	char sect[STORE_NAME_MAX + 16], suf[8];
	int k;

	for (k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(out, size, "%s", want);
		else {
			snprintf(suf, sizeof(suf), "-%d", k);
			snprintf(out, size, "%.*s%s", (int)(STORE_NAME_MAX - strlen(suf)), want, suf);
		}
		snprintf(sect, sizeof(sect), "rule %s", out);
		if (!store_edit_has_section(t, sect))
			return 0;
	}
	return -1;
}

/* The traffic tool's settings onto the rules that listen on each port. */
static int
apply_limits(struct store_txn *t, const struct mig_result *m, char *err)
{
	struct store cur;
	struct store_diags d = { 0 };
	size_t i, j, k;
	int rc = -1;

	store_parse_text(t->text, t->path, &cur, &d);
	store_diags_free(&d);
	for (i = 0; i < m->nlimits; i++) {
		const struct mig_rule *l = &m->limits[i];
		unsigned lo = 0, hi = 0;
		int hit = 0;

		if (sscanf(l->name, "%u-%u", &lo, &hi) < 2)
			hi = lo;
		for (j = 0; j < cur.nrules; j++) {
			const struct store_rule *r = &cur.rules[j];
			char sect[STORE_NAME_MAX + 16];

			if (!store_listen_has(r, lo, hi))
				continue;
			hit = 1;
			snprintf(sect, sizeof(sect), "rule %s", r->name);
			printf("limits: port %s -> rule %s:", l->name, r->name);
			for (k = 0; k < l->nkv; k++) {
				const char *v = l->kv[k].value;

				if (store_edit_set(t, sect, l->kv[k].key, &v, 1, err) < 0)
					goto out;
				printf(" %s=%s", l->kv[k].key, v);
			}
			printf("\n");
		}
		if (!hit)
			fprintf(stderr, "%s: warning: port %s: no rule of the store listens there; its limits are "
			    "not imported (import the rules first)\n", applet_name, l->name);
	}
	rc = 0;
out:
	store_free(&cur);
	return rc;
}

/* Add the migrated rules and endpoints to the transaction's text; with
 * replace, the store's own rules go first. */
static int
merge(struct store_txn *t, const struct mig_result *m, int replace, char *err)
{
	struct store cur;
	struct store_diags d = { 0 };
	const char **vals = NULL;
	size_t i, j, k, nv;
	int rc = -1;

	store_parse_text(t->text, t->path, &cur, &d);
	store_diags_free(&d);
	if (!(vals = calloc(STORE_MAX_REMOTES + 256 + cur.mptcp.nendpoints, sizeof(*vals)))) {
		snprintf(err, ERRLEN, "out of memory");
		goto out;
	}
	for (i = 0; replace && i < cur.nrules; i++) {
		char sect[STORE_NAME_MAX + 16];

		snprintf(sect, sizeof(sect), "rule %s", cur.rules[i].name);
		if (store_edit_del_section(t, sect, err) < 0)
			goto out;
	}
	for (i = 0; i < m->nrules; i++) {
		const struct mig_rule *r = &m->rules[i];
		char name[STORE_NAME_MAX + 1], sect[STORE_NAME_MAX + 16];

		if (free_name(t, r->name, name, sizeof(name)) < 0) {
			snprintf(err, ERRLEN, "%s: no free name near '%s'", r->origin, r->name);
			goto out;
		}
		if (strcmp(name, r->name) != 0)
			printf("note: %s: a rule named '%s' exists; this one is named '%s'\n", r->origin, r->name, name);
		snprintf(sect, sizeof(sect), "rule %s", name);
		if (store_edit_add_section(t, sect, err) < 0)
			goto out;
		for (j = 0; j < r->nkv; j++) {
			/* every value of this key, once, at its first appearance */
			for (k = 0; k < j; k++)
				if (strcmp(r->kv[k].key, r->kv[j].key) == 0)
					break;
			if (k < j)
				continue;
			for (nv = 0, k = j; k < r->nkv && nv < STORE_MAX_REMOTES; k++)
				if (strcmp(r->kv[k].key, r->kv[j].key) == 0)
					vals[nv++] = r->kv[k].value;
			if (store_edit_set(t, sect, r->kv[j].key, vals, nv, err) < 0) {
				char e2[ERRLEN];
				snprintf(e2, sizeof(e2), "%s: %s", r->origin, err);
				snprintf(err, ERRLEN, "%s", e2);
				goto out;
			}
		}
	}
	if (m->nendpoints) {
		nv = 0;
		for (i = 0; i < cur.mptcp.nendpoints; i++)
			vals[nv++] = cur.mptcp.endpoints[i];
		for (i = 0; i < m->nendpoints; i++) {
			for (j = 0; j < cur.mptcp.nendpoints; j++)
				if (strcmp(cur.mptcp.endpoints[j], m->endpoints[i]) == 0)
					break;
			if (j == cur.mptcp.nendpoints)
				vals[nv++] = m->endpoints[i];
		}
		if (store_edit_set(t, "mptcp", "endpoint", vals, nv, err) < 0)
			goto out;
	}
	if (m->mptcp_enable && cur.mptcp.enabled < 0) {
		const char *yes = "yes";
		if (store_edit_set(t, "mptcp", "enabled", &yes, 1, err) < 0)
			goto out;
	}
	if (apply_limits(t, m, err) < 0)
		goto out;
	rc = 0;
out:
	free(vals);
	store_free(&cur);
	return rc;
}

/* FILE '-': standard input, at most ARCHIVE_MAX bytes */
static int
read_stdin(char **data, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s: '-' reads the archive or config from standard input, which is a terminal: "
		    "pipe one in (xwpf export - | ssh HOST xwpf import - --yes) or give a FILE\n", applet_name);
		free(buf);
		return -1;
	}
	while (buf) {
		if (n == cap) {
			if (cap > ARCHIVE_MAX) {
				fprintf(stderr, "%s: standard input holds more than %u MiB: refused\n", applet_name,
				    ARCHIVE_MAX >> 20);
				free(buf);
				return -1;
			}
			if (!(nb = realloc(buf, cap * 2)))
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r == 0 && n == 0) {
			fprintf(stderr, "%s: standard input is empty: nothing to import\n", applet_name);
			free(buf);
			return -1;
		}
		if (r == 0) {
			*data = buf;
			*len = n;
			return 0;
		}
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "%s: cannot read standard input: %s\n", applet_name, strerror(errno));
			free(buf);
			return -1;
		}
		if (r > 0)
			n += (size_t)r;
	}
	fprintf(stderr, "%s: cannot read standard input: %s\n", applet_name, strerror(ENOMEM));
	free(buf);
	return -1;
}

static int
read_input(const char *file, char **data, size_t *len)
{
	struct stat st;

	if (stat(file, &st) < 0) {
		fprintf(stderr, "%s: cannot read %s: %s\n", applet_name, file, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s is not a regular file\n", applet_name, file);
		return -1;
	}
	if ((uint64_t)st.st_size > ARCHIVE_MAX) {
		fprintf(stderr, "%s: %s is larger than %u MiB: refused\n", applet_name, file, ARCHIVE_MAX >> 20);
		return -1;
	}
	if (!(*data = file_read(file, len))) {
		fprintf(stderr, "%s: cannot read %s: %s\n", applet_name, file, strerror(errno));
		return -1;
	}
	return 0;
}

/* A directory: xwPF's (rules/) or its traffic tool's (config.json). */
/* "a" or "an" before a kind of file ("an xwPF archive", "a realm TOML config") */
static const char *
article(const char *kind)
{
	return strchr("aeiouAEIOUx", kind[0]) ? "an" : "a";
}

static int
read_dir(const char *dir, struct mig_result *m, const char **kind, char *err)
{
	char path[PATH_MAX], *text;
	struct json_val *root;
	struct stat sb;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/rules", dir);
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		*kind = "xwPF config directory";
		return mig_xwpf_dir(dir, m, err);
	}
	snprintf(path, sizeof(path), "%s/config.json", dir);
	if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, ERRLEN, "a directory to import holds rules/ (xwPF's, e.g. /etc/realm) or "
		    "config.json (its traffic tool's, /etc/port-traffic-dog); this one has neither");
		return -1;
	}
	*kind = "traffic tool config";
	if (sb.st_size > (off_t)MIG_MAX_INPUT || !(text = file_read(path, &len))) {
		snprintf(err, ERRLEN, "%s: %s", path, sb.st_size > (off_t)MIG_MAX_INPUT ? "larger than 4 MiB" :
		    strerror(errno));
		return -1;
	}
	root = json_parse(text, len, err);
	free(text);
	if (!root)
		return -1;
	rc = mig_dog(root, m, err);
	json_free(root);
	return rc;
}

/*
 * Build the plan: lock the store, work out the new store text and the
 * files to write. Returns an exit code (EXIT_OK: plan ready).
 */
static int
make_plan(const struct opts *o, struct plan *p)
{
	char err[ERRLEN] = "", *data = NULL;
	size_t len = 0, i;
	struct tar_archive a = { 0 };
	struct tar_limits lim;
	struct mig_result m = { 0 };
	struct bundle arch = { 0 };
	struct stat sb;
	int rc = EXIT_CONFIG, is_archive;

	if (!o->from_stdin && stat(o->file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (read_dir(o->file, &m, &p->kind, err) < 0)
			goto refused;
		goto have_migration;
	}
	if ((o->from_stdin ? read_stdin(&data, &len) : read_input(o->file, &data, &len)) < 0)
		return EXIT_FAIL;
	is_archive = (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b) ||
	    (len >= 262 && memcmp(data + 257, "ustar", 5) == 0);
	if (is_archive) {
		tar_limits_default(&lim);
		if (tar_read(data, len, &lim, &a, err) < 0)
			goto refused;
		if (tar_find(&a, BUNDLE_DIR "/MANIFEST")) {
			p->kind = "xwpf export";
			if (bundle_from_archive(&a, &arch, err) < 0)
				goto refused;
			printf("%s: an xwpf export (format %d) from host %s, %s, xwpf %s\n", o->file, arch.format,
			    *arch.host ? arch.host : "?", *arch.time ? arch.time : "?", *arch.version ? arch.version : "?");
			for (i = 0; i < arch.n; i++) {
				const struct bundle_file *f = &arch.v[i];
				if (!bundle_allowed(f->rel)) {
					fprintf(stderr, "%s: warning: %s is not a file an export restores; skipped\n",
					    applet_name, f->rel);
					continue;
				}
				if (strcmp(f->rel, bundle_rel_store()) == 0) {
					if (memchr(f->data, '\0', f->len)) {
						snprintf(err, ERRLEN, "the store in the archive holds a NUL byte");
						goto refused;
					}
					p->store_text = strdup((const char *)f->data);
					continue;
				}
				if (bundle_add(&p->files, f->rel, f->mode, f->data, f->len, err) < 0)
					goto refused;
			}
			if (!p->store_text)
				p->store_text = strdup("");
		} else {
			p->kind = "xwPF archive";
			if (read_xwpf(&a, &m, err) < 0)
				goto refused;
		}
	} else {
		struct json_val *root;
		const char *q = data;

		while (q < data + len && isspace((unsigned char)*q))
			q++;
		if (ends_with(o->file, ".json") || (!ends_with(o->file, ".toml") && q < data + len && *q == '{')) {
			p->kind = "realm JSON config";
			root = NULL;
			if (len > MIG_MAX_INPUT)
				snprintf(err, ERRLEN, "the config is larger than %u bytes", MIG_MAX_INPUT);
			else
				root = json_parse(data, len, err);
		} else {
			p->kind = "realm TOML config";
			root = mig_toml_parse(data, len, err);
		}
		if (!root) {   /* refused: prints "FILE: err" (the name was given twice) */
			char e2[ERRLEN];
			if (!ends_with(o->file, ".json") && !ends_with(o->file, ".toml") &&
			    (q >= data + len || *q != '{')) {
				snprintf(e2, sizeof(e2), "not an xwpf export or xwPF archive (.tar.gz), nor a realm "
				    "config (.json, .toml); read as TOML: %s", err);
				snprintf(err, ERRLEN, "%s", e2);
			}
			goto refused;
		}
		if (mig_dog_is(root)) {
			p->kind = "traffic tool config";
			rc = mig_dog(root, &m, err);
		} else
			rc = mig_realm(root, &m, err);
		json_free(root);
		rc = rc < 0 ? EXIT_CONFIG : EXIT_OK;
		if (rc)
			goto refused;
		rc = EXIT_CONFIG;
	}
have_migration:
	/* Read the store without locking: nobody waits on a lock while the user
	 * reads the plan. do_import() locks before writing and checks that the
	 * store did not change meanwhile. */
	memset(&p->txn, 0, sizeof(p->txn));
	p->txn.lockfd = -1;
	p->have_txn = 1;
	snprintf(p->txn.path, sizeof(p->txn.path), "%s", path_get(PATH_CONF));
	if (!(p->txn.orig = file_read(p->txn.path, NULL)) && errno == ENOENT)
		p->txn.orig = strdup("");
	if (!p->txn.orig || !(p->txn.text = strdup(p->txn.orig))) {
		rc = EXIT_FAIL;
		fprintf(stderr, "%s: cannot read %s: %s\n", applet_name, p->txn.path, strerror(errno));
		goto out;
	}
	if (!p->store_text) {   /* a migration: merge into the current store */
		if (m.nlimits || !m.nrules)
			printf("%s: %s %s with limits for %zu port%s\n", o->file, article(p->kind), p->kind, m.nlimits,
			    m.nlimits == 1 ? "" : "s");
		else
			printf("%s: %s %s with %zu rule%s and %zu MPTCP endpoint%s%s\n", o->file, article(p->kind), p->kind,
			    m.nrules, m.nrules == 1 ? "" : "s", m.nendpoints, m.nendpoints == 1 ? "" : "s",
			    o->replace ? "; they replace the store's rules" : "");
		for (i = 0; i < m.nwarnings; i++)
			fprintf(stderr, "%s: warning: %s\n", applet_name, m.warnings[i]);
		if (merge(&p->txn, &m, o->replace, err) < 0)
			goto refused;
		if (!(p->store_text = strdup(p->txn.text))) {
			snprintf(err, ERRLEN, "out of memory");
			goto refused;
		}
	}
	if (!p->store_text) {
		snprintf(err, ERRLEN, "out of memory");
		goto refused;
	}
	rc = EXIT_OK;
	goto out;
refused:
	text_escape_inplace(err, ERRLEN);   /* it may quote the archive or config */
	fprintf(stderr, "%s: %s: %s; nothing was changed\n", applet_name, o->file, err);
out:
	free(data);
	tar_free(&a);
	mig_free(&m);
	bundle_free(&arch);
	return rc;
}

static void
plan_free(struct plan *p)
{
	bundle_free(&p->files);
	free(p->store_text);
	p->store_text = NULL;
	if (p->have_txn)
		store_end(&p->txn);
	p->have_txn = 0;
}

/* A certificate, key or OCSP file a rule names that neither this host nor
 * the import has: the rule would not start. Said before anything changes. */
static void
warn_missing_files(const struct store *st, const struct bundle *files)
{
	size_t i;

	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *r = &st->rules[i];
		struct transport t;
		char e2[ERRLEN], rel[BUNDLE_REL_MAX];
		const char *k[3] = { "cert", "key", "ocsp" };
		int j;

		if (!r->enabled || !r->listen_transport || !*r->listen_transport ||
		    transport_parse(r->listen_transport, TRANSPORT_SERVER, &t, e2) < 0)
			continue;
		for (j = 0; j < 3; j++) {
			const char *path = j == 0 ? t.cert : j == 1 ? t.key : t.ocsp;
			int e;

			if (!*path || access(path, R_OK) == 0)
				continue;
			e = errno;
			if (bundle_rel(path, rel, sizeof(rel)) == 0 && bundle_find(files, rel))
				continue;
			fprintf(stderr, "%s: warning: rule %s: %s=%s is not on this host (%s) and not in the import: "
			    "the rule will not start until it is there\n", applet_name, r->name, k[j], path, strerror(e));
		}
	}
}

/* One program or file the relay uses as root, named by the new store. */
struct trusted {
	const char *key, *path, *where;
};

static int
old_has(const struct store *old, const char *key, const char *path)
{
	size_t i;

	if (!strcmp(key, "log_file"))
		return !strcmp(old->g.log_file, path);
	if (!strcmp(old->g.on_event, path))
		return 1;
	for (i = 0; i < old->nrules; i++)
		if (!strcmp(old->rules[i].on_event, path))
			return 1;
	return 0;
}

/*
 * The programs (on_event) and the log file (log_file) a store makes the
 * relay run or write as root: those the current store does not name
 * already are listed before the question, and refused when someone other
 * than root could decide what they are (event_path_safe). 0 go, -1 refused.
 */
static int
check_trusted(const struct store *old, const struct store *new)
{
	struct trusted *v = calloc(new->nrules + 2, sizeof(*v));
	size_t n = 0, i;
	char err[ERRLEN], where[STORE_NAME_MAX + 8];
	int listed = 0, refused = 0, exists;

	if (!v) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		return -1;
	}
	if (*new->g.log_file)
		v[n++] = (struct trusted){ "log_file", new->g.log_file, "[global]" };
	if (*new->g.on_event)
		v[n++] = (struct trusted){ "on_event", new->g.on_event, "[global]" };
	for (i = 0; i < new->nrules; i++)
		if (*new->rules[i].on_event)
			v[n++] = (struct trusted){ "on_event", new->rules[i].on_event, new->rules[i].name };
	for (i = 0; i < n; i++) {
		if (old_has(old, v[i].key, v[i].path))
			continue;
		if (!listed++)
			printf("the store names programs or files that the relay runs or writes as root; check them:\n");
		snprintf(where, sizeof(where), "%s%s", strcmp(v[i].where, "[global]") ? "rule " : "", v[i].where);
		printf("  ! %-8s %s   (%s)\n", v[i].key, v[i].path, where);
		if (event_path_safe(v[i].path, &exists, err) < 0) {
			fprintf(stderr, "%s: refused: %s %s (%s): %s; name %s in a folder only root can write "
			    "(e.g. %s)\n", applet_name, v[i].key, v[i].path, where, err,
			    strcmp(v[i].key, "on_event") ? "a file" : "a program",
			    strcmp(v[i].key, "on_event") ? "/var/log/" : "/usr/local/sbin/");
			refused = 1;
		} else if (!exists)
			printf("    (not on this host yet: the relay %s it once it is there)\n",
			    strcmp(v[i].key, "on_event") ? "creates" : "runs");
	}
	free(v);
	return refused ? -1 : 0;
}

/* A merged store refused because two rules listen on the same port. */
static int
clash_named(const struct store_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].error && strstr(d->v[i].msg, "already uses as"))
			return 1;
	return 0;
}

/* The imported (added or changed) tunnel rules whose UDP goes plain beside
 * the tunnel (udp_transport = plain), with where their TCP goes. */
static void
show_udp_plain(const struct store *old, const struct store *new)
{
	char sum[700], err[ERRLEN];
	struct transport tr;
	const struct store_rule *o;
	size_t i;
	int n = 0;

	for (i = 0; i < new->nrules; i++) {
		const struct store_rule *r = &new->rules[i];
		int exit = !*r->remote_transport;

		if (!r->udp_plain || !(r->protocols & PROTO_UDP) || (!*r->listen_transport && !*r->remote_transport))
			continue;
		if ((o = store_find(old, r->name)) && rule_same(o, r))
			continue;   /* in the store already, as it is */
		if (transport_parse(exit ? r->listen_transport : r->remote_transport,
		    exit ? TRANSPORT_SERVER : TRANSPORT_CLIENT, &tr, err) < 0)
			tr.ws = tr.tls = 0;
		if (!n++)
			printf("UDP of these tunnel rules goes plain beside the tunnel to the same host:port, as "
			    "realm sent it (udp_transport = plain); their TCP goes through the tunnel:\n");
		printf("  %-20s %s   tcp: %s tunnel, udp: plain\n", r->name, rule_summary(r, sum, sizeof(sum)),
		    tr.ws && tr.tls ? "wss" : tr.ws ? "ws" : tr.tls ? "tls" : "the");
	}
	if (n)
		printf("  once both ends run xwpf, carry it in the tunnel: %s\n", XCMD("rule set NAME udp_transport=tunnel"));
}

static int
do_import(const struct opts *o)
{
	struct plan p;
	struct store old, new;
	struct store_diags dold = { 0 }, dnew = { 0 };
	char err[ERRLEN], backup[PATH_MAX], where[PATH_MAX + 64], cmd[PATH_MAX + 80];
	const char **rels = NULL;
	struct store_txn lock;
	size_t nrules, nfiles, i;
	int rc, mp_changed, locked = 0;

	memset(&p, 0, sizeof(p));
	memset(&old, 0, sizeof(old));
	memset(&new, 0, sizeof(new));
	if ((rc = make_plan(o, &p)) != EXIT_OK) {
		plan_free(&p);
		return rc;
	}
	rc = EXIT_CONFIG;
	snprintf(where, sizeof(where), "%s:%s", o->file, bundle_rel_store());
	if (store_parse_text(p.store_text, strcmp(p.kind, "xwpf export") == 0 ? where : "the merged store",
	    &new, &dnew) < 0) {
		print_diags(&dnew, strcmp(p.kind, "xwpf export") == 0 ? where : NULL);
		fprintf(stderr, "%s: %s: the store would be invalid (see above); nothing was changed\n",
		    applet_name, o->file);
		if (!o->replace && strcmp(p.kind, "xwpf export") != 0 && clash_named(&dnew))
			fprintf(stderr, "%s: the imported rules listen where rules of the store already do (named "
			    "above); to make the store exactly the imported rules, as xwPF's import did: "
			    "%s\n", applet_name, XCMD("import %s --replace", o->from_stdin ? "-" : o->file));
		goto out;
	}
	print_diags(&dnew, strcmp(p.kind, "xwpf export") == 0 ? where : NULL);
	/* files the system applies as root are made here, not taken from the archive */
	if (bundle_import_regen(&p.files, &new, err) < 0) {
		fprintf(stderr, "%s: %s; nothing was changed\n", applet_name, err);
		rc = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < p.files.nwarnings; i++)
		printf("note: %s\n", p.files.warnings[i]);
	warn_missing_files(&new, &p.files);
	store_parse_text(p.txn.orig, p.txn.path, &old, &dold);
	show_udp_plain(&old, &new);
	if (check_trusted(&old, &new) < 0) {
		fprintf(stderr, "%s: %s: nothing was changed\n", applet_name, o->file);
		goto out;
	}
	if (bundle_add(&p.files, bundle_rel_store(), 0600, p.store_text, strlen(p.store_text), err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		rc = EXIT_FAIL;
		goto out;
	}
	printf("changes:\n");
	nrules = show_rule_diff(&old, &new);
	mp_changed = !same_endpoints(&old.mptcp, &new.mptcp);
	if (mp_changed)
		printf("  ~ mptcp   %zu endpoint%s, enabled %s\n", new.mptcp.nendpoints,
		    new.mptcp.nendpoints == 1 ? "" : "s", new.mptcp.enabled < 0 ? "unset" : new.mptcp.enabled ? "yes" : "no");
	nfiles = show_file_diff(&p.files);
	if (!nrules && !nfiles && !mp_changed && strcmp(p.store_text, p.txn.orig) == 0) {
		printf("  none: the current setup already matches %s\n", o->file);
		rc = EXIT_OK;
		goto out;
	}
	if (!nrules && !mp_changed && strcmp(p.store_text, p.txn.orig) != 0)
		printf("  ~ store   %s (layout or global settings)\n", p.txn.path);
	if (o->dry_run) {
		printf("dry run: nothing was changed\n");
		rc = EXIT_OK;
		goto out;
	}
	if (confirm(o, "Apply these changes?") < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = EXIT_FAIL;
	if (store_begin(&lock, path_get(PATH_CONF), err) < 0) {
		fprintf(stderr, "%s: %s; nothing was changed\n", applet_name, err);
		goto out;
	}
	locked = 1;
	if (strcmp(lock.orig, p.txn.orig) != 0) {
		fprintf(stderr, "%s: the store changed while this import was being prepared; run it again "
		    "to see the new plan; nothing was changed\n", applet_name);
		goto out;
	}
	if (!(rels = calloc(p.files.n, sizeof(*rels)))) {
		fprintf(stderr, "%s: out of memory; nothing was changed\n", applet_name);
		goto out;
	}
	for (i = 0; i < p.files.n; i++)
		rels[i] = p.files.v[i].rel;
	if (bundle_backup(rels, p.files.n, backup, sizeof(backup), err) < 0) {
		fprintf(stderr, "%s: %s; nothing was changed\n", applet_name, err);
		goto out;
	}
	if (bundle_write(&p.files, err) < 0) {
		char e2[ERRLEN];

		fprintf(stderr, "%s: %s\n", applet_name, err);
		if (bundle_restore(backup, e2) < 0)
			fprintf(stderr, "%s: and putting the old files back failed too: %s; they are in %s\n",
			    applet_name, e2, backup);
		else
			fprintf(stderr, "%s: the old files are back in place; nothing was changed\n", applet_name);
		goto out;
	}
	printf("imported %s; the replaced files are in %s (undo with: %s)\n", o->file, backup,
	    path_cmd(cmd, sizeof(cmd), "import --undo"));
	if (mp_changed)
		printf("the [mptcp] settings changed: load them into the kernel with: %s\n", XCMD("mptcp apply"));
	reload_relay();
	rc = EXIT_OK;
out:
	if (locked)
		store_end(&lock);
	free(rels);
	store_free(&old);
	store_free(&new);
	store_diags_free(&dold);
	store_diags_free(&dnew);
	plan_free(&p);
	return rc;
}

static int
do_undo(const struct opts *o)
{
	struct bundle files = { 0 }, absent = { 0 };
	struct store old, new;
	struct store_diags d1 = { 0 }, d2 = { 0 };
	struct store_txn t;
	const struct bundle_file *sf;
	char dir[PATH_MAX], err[ERRLEN];
	size_t i;
	int rc = EXIT_FAIL;

	memset(&old, 0, sizeof(old));
	memset(&new, 0, sizeof(new));
	if (bundle_latest_backup(dir, sizeof(dir)) < 0) {
		fprintf(stderr, "%s: no import to undo (no backup in %s)\n", applet_name, path_get(PATH_BACKUP_DIR));
		return EXIT_FAIL;
	}
	memset(&t, 0, sizeof(t));
	t.lockfd = -1;
	snprintf(t.path, sizeof(t.path), "%s", path_get(PATH_CONF));
	if (!(t.orig = file_read(t.path, NULL)) && (errno != ENOENT || !(t.orig = strdup("")))) {
		fprintf(stderr, "%s: cannot read %s: %s\n", applet_name, t.path, strerror(errno));
		return EXIT_FAIL;
	}
	if (bundle_backup_read(dir, &files, &absent, err) < 0) {
		fprintf(stderr, "%s: %s; nothing was changed\n", applet_name, err);
		goto out;
	}
	printf("undo the import backed up in %s:\n", dir);
	sf = bundle_find(&files, bundle_rel_store());
	store_parse_text(t.orig, t.path, &old, &d1);
	store_parse_text(sf ? (const char *)sf->data : "", "the backed-up store", &new, &d2);
	show_rule_diff(&old, &new);
	for (i = 0; i < files.n; i++)
		if (strcmp(files.v[i].rel, bundle_rel_store()) != 0)
			printf("  ~ restore file  %s\n", bundle_path(files.v[i].rel, err, sizeof(err)));
	for (i = 0; i < absent.n; i++)
		printf("  - remove file   %s\n", bundle_path(absent.v[i].rel, err, sizeof(err)));
	if (o->dry_run) {
		printf("dry run: nothing was changed\n");
		rc = EXIT_OK;
		goto out;
	}
	if (confirm(o, "Undo the last import?") < 0)
		goto out;
	{
		char *seen = t.orig;

		t.orig = NULL;
		if (store_begin(&t, path_get(PATH_CONF), err) < 0) {
			fprintf(stderr, "%s: %s; nothing was changed\n", applet_name, err);
			free(seen);
			goto out;
		}
		if (strcmp(seen, t.orig) != 0) {
			fprintf(stderr, "%s: the store changed meanwhile; run --undo again to see what it "
			    "restores; nothing was changed\n", applet_name);
			free(seen);
			goto out;
		}
		free(seen);
	}
	if (bundle_restore(dir, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		goto out;
	}
	printf("restored the state from before the import\n");
	reload_relay();
	rc = EXIT_OK;
out:
	store_free(&old);
	store_free(&new);
	store_diags_free(&d1);
	store_diags_free(&d2);
	bundle_free(&files);
	bundle_free(&absent);
	store_end(&t);
	return rc;
}

int
import_main(int argc, char **argv)
{
	struct opts o = { 0 };
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
			o.dry_run = 1;
		else if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
			o.yes = 1;
		else if (strcmp(argv[i], "--undo") == 0)
			o.undo = 1;
		else if (strcmp(argv[i], "--replace") == 0)
			o.replace = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option %s\n%s", applet_name, argv[i], import_usage);
			return EXIT_USAGE;
		} else if (o.file) {
			fprintf(stderr, "%s: one file at a time\n", applet_name);
			return EXIT_USAGE;
		} else
			o.file = argv[i];
	}
	if (o.undo == !!o.file) {
		fprintf(stderr, "%s: give either FILE or --undo\n%s", applet_name, import_usage);
		return EXIT_USAGE;
	}
	if (o.file && strcmp(o.file, "-") == 0) {
		if (!o.yes && !o.dry_run) {   /* the data is on stdin: no answer can come from it */
			fprintf(stderr, "%s: import - reads standard input, so it cannot ask: add --yes (or --dry-run)\n",
			    applet_name);
			return EXIT_USAGE;
		}
		o.from_stdin = 1;
		o.file = "standard input";
	}
	return o.undo ? do_undo(&o) : do_import(&o);
}
