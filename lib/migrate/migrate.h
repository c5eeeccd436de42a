#ifndef XWPF_MIGRATE_H
#define XWPF_MIGRATE_H

/*
 * Migration from the xwPF script and the realm relay (docs/compat.md).
 *
 * Everything here reads foreign files as data: xwPF's rule-N.conf shell
 * variable files are parsed, never run; realm's JSON and TOML go through
 * small parsers with depth and size limits. The result is a list of store
 * rules as key/value lines (the import applet names them, merges them into
 * the store text and lets store_parse_text judge them) plus [mptcp] lines.
 */
#include <stddef.h>

#include "json.h"
#include "store.h"

#define MIG_MAX_INPUT (4u << 20)   /* bytes of one config file */

struct mig_kv {
	char key[32];
	char *value;
};

struct mig_rule {
	char name[STORE_NAME_MAX + 1];   /* wanted name; the import may add a suffix */
	char origin[96];                 /* "rule-3.conf", "endpoint 2": for messages */
	struct mig_kv *kv;
	size_t nkv;
};

struct mig_result {
	struct mig_rule *rules;
	size_t nrules;
	char **endpoints;                /* [mptcp] endpoint values */
	size_t nendpoints;
	int mptcp_enable;                /* the source turned MPTCP on */
	char **warnings;
	size_t nwarnings;
	/* settings for the store's rules that already listen on a port (xwPF's
	 * traffic tool): name is "PORT" or "LO-HI", kv the keys to set */
	struct mig_rule *limits;
	size_t nlimits;
	struct mig_rule *global;         /* [global] keys (a realm config run in place), or NULL */
};

void mig_free(struct mig_result *m);

/* ---- building results (mig_common.c) ---- */
struct mig_rule *mig_rule_new(struct mig_result *m, const char *name, const char *origin);
/* A set of settings for the rules listening on ports "PORT" or "LO-HI" (m->limits). */
struct mig_rule *mig_limit_new(struct mig_result *m, const char *ports);
struct mig_rule *mig_rule_new_global(void);   /* for m->global; mig_free frees it */
/* Add key = value. Values are checked for what the INI store cannot hold
 * (line breaks, a '#' comment start); -1 with err then. */
int mig_set(struct mig_rule *r, const char *key, const char *value, char *err);
int mig_setf(struct mig_rule *r, const char *key, char *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *mig_get(const struct mig_rule *r, const char *key);
void mig_warn(struct mig_result *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mig_add_endpoint(struct mig_result *m, const char *value);
/* A store rule name from anything: invalid characters become '-', cut to the limit. */
void mig_name(char *out, size_t size, const char *in, const char *fallback);
/* A note the store keeps as written: no line breaks, no comment starts. */
void mig_note(char *out, size_t size, const char *in);
/* "1.2.3.4:80", "[::1]:80", ":::80", ":80" -> "[::]:80" style; -1 if no port. */
int mig_listen(const char *in, char *out, size_t size);

/* ---- xwPF (mig_xwpf.c) ---- */
struct mig_file {
	const char *name;          /* for messages: "rules/rule-1.conf" */
	const char *text;
	size_t len;
};

/* KEY="value" / KEY='value' / KEY=value lines, '#' comments, blank lines.
 * Nothing is expanded: "$(cmd)" stays the text "$(cmd)". Any other line is
 * an error "name:line: ...". cb returns -1 to stop (with err filled). */
typedef int (*mig_var_cb)(void *user, const char *key, const char *value, int line, char *err);
int mig_shvars(const struct mig_file *f, mig_var_cb cb, void *user, char *err);
/* One "ip mptcp endpoint show" line -> "ADDR [dev IF] [id N] [flags]". */
int mig_mptcp_line(const char *line, char *out, size_t size, char *err);
/* rule files (any order), optional mptcp_endpoints.conf and sysctl file texts */
int mig_xwpf(const struct mig_file *rules, size_t n, const struct mig_file *endpoints,
    const struct mig_file *sysctl, struct mig_result *m, char *err);

/* An xwPF config directory (/etc/realm): DIR/rules/rule-N.conf and, when
 * there, DIR/mptcp_endpoints.conf, read as mig_xwpf reads an archive's.
 * Only regular files, each at most MIG_MAX_INPUT bytes, at most 4096. */
int mig_xwpf_dir(const char *dir, struct mig_result *m, char *err);

/* ---- xwPF's traffic tool, port-traffic-dog (mig_dog.c) ---- */
/* Its config.json: an object with "ports" (and no realm "endpoints"). */
int mig_dog_is(const struct json_val *root);
/* Each port's quota, billing mode, reset day and bandwidth cap as
 * m->limits: quota, quota_action, billing, reset_day, rate_in, rate_out. */
int mig_dog(const struct json_val *root, struct mig_result *m, char *err);

/* ---- realm: JSON read by lib/base (json_parse), TOML by mig_toml.c into
 * the same tree; mig_realm.c converts ---- */
struct json_val *mig_toml_parse(const char *text, size_t len, char *err);
int mig_realm(const struct json_val *root, struct mig_result *m, char *err);

#define MIG_REALM_MAX_PARTS 256
#define MIG_REALM_LEGACY_MAX 1024    /* ports of a legacy listening_ports config */

struct mig_realm_opts {
	int run;   /* for a relay run in place: [log] and [dns] into m->global, realm's dns default */
	/* A listen host name to an address (realm binds the first one); NULL: names are refused */
	int (*resolve)(const char *host, char *out, size_t size, void *arg);
	void *arg;
};

/* A realm config in parts (the files of a folder, in order): each [network],
 * [log] and [dns] key from the first part that has it, endpoints in order;
 * also the legacy listening_ports form. over: {"network": {...}, "log": {...},
 * "dns": {...}} from a command line, winning over every part (realm's order:
 * command line, endpoint, global), or NULL. o may be NULL (an import).
 * What realm has and xwpf does not use becomes a warning in m. */
int mig_realm_parts(const struct json_val *const *parts, size_t nparts, const struct json_val *over,
    const struct mig_realm_opts *o, struct mig_result *m, char *err);

#endif
