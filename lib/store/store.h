#ifndef XWPF_STORE_H
#define XWPF_STORE_H

/*
 * The rule store: one INI file (docs/store.md) shared by every applet.
 *
 * Reading: store_load() parses with inih into plain structs and validates;
 * every problem becomes a diagnostic "file:line: message".
 * Writing: a transaction locks the store, edits its text line by line (so
 * comments and layout the user wrote survive), re-validates the whole new
 * text, keeps the old file as xwpf.conf.bak and replaces the store
 * atomically. A refused edit changes nothing.
 */
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "text.h"

#define STORE_NAME_MAX TEXT_NAME_MAX   /* bytes; TEXT_NAME_CHARS characters (text.h) */
#define STORE_TRANSPORT_MAX 512
#define STORE_MAX_REMOTES 256
/* udp_timeout when neither the rule nor [global] sets it: a UDP association's
 * idle limit (the plain ones, those carried into a tunnel and out of one) */
#define STORE_UDP_TIMEOUT_S 30
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
#define STORE_UDP_TIMEOUT_STR STORE_STR(STORE_UDP_TIMEOUT_S) "s"   /* the same, for help texts */
#define STORE_UDP_TIMEOUT_MS (STORE_UDP_TIMEOUT_S * 1000L)
#define STORE_WEIGHT_MAX 255    /* realm's weights are bytes */

enum rule_role { ROLE_RELAY, ROLE_EXIT };
enum balance_mode { BALANCE_AUTO = -1, BALANCE_OFF, BALANCE_ROUNDROBIN, BALANCE_IPHASH, BALANCE_FAILOVER };
enum { PROTO_TCP = 1, PROTO_UDP = 2 };
enum proxy_version { PROXY_NONE, PROXY_V1, PROXY_V2 };
enum { MPTCP_SEND = 1, MPTCP_ACCEPT = 2 };

struct store_span {
	uint16_t lo, hi;
};

struct store_remote {
	struct hostport addr;
	int weight;               /* 1..STORE_WEIGHT_MAX */
};

struct store_rule {
	char name[STORE_NAME_MAX + 1];
	/* Strings: never NULL ("" when unset); owned by the store, freed by store_free. */
	char *note;                /* at most 255 characters */
	int enabled;
	enum rule_role role;
	struct hostport listen;   /* host "" = every address, dual stack; the first port or range */
	struct store_span *lmore;  /* a list's further ports or ranges ("80,443": 443), increasing */
	size_t nlmore;
	char listen_interface[16];
	struct store_remote *remotes;
	size_t nremotes;
	enum balance_mode balance; /* AUTO resolved at load: roundrobin with 2+ remotes */
	int failover;              /* health checks may take remotes out */
	unsigned protocols;        /* PROTO_TCP | PROTO_UDP */
	/* UDP of a rule with a transport: 0 = through the tunnel (xwpf to xwpf),
	 * 1 = plain beside it, to the remote's host:port, as realm sends it */
	int udp_plain;
	struct hostport through;   /* host "" = unset; port 0 = any */
	char interface[16];        /* egress NIC */
	/* TCP congestion control of the sockets toward the clients (what the
	 * relay sends them) and toward the remote: "" = [global], then the
	 * system's (net.ipv4.tcp_congestion_control) */
	char listen_congestion[16], remote_congestion[16];
	char *listen_transport;    /* realm syntax, at most STORE_TRANSPORT_MAX - 1 */
	char *remote_transport;
	enum proxy_version proxy_send;
	int proxy_accept;
	unsigned mptcp;            /* MPTCP_SEND | MPTCP_ACCEPT */
	int ipv6_only;
	/* milliseconds (counts for health_*); -1 = take the [global] value */
	long connect_timeout, idle_timeout, udp_timeout, proxy_timeout, handshake_timeout;
	long tcp_keepalive, tcp_keepalive_interval, tcp_keepalive_probes;   /* -1 = [global] */
	long health_fail, health_ok, health_cooldown;
	char *health_send, *health_expect;
	/* traffic ledger, quotas and limits (0 = none; -1 = take [global]) */
	uint64_t quota;            /* bytes per billing cycle */
	int quota_action;          /* QUOTA_STOP or QUOTA_THROTTLE */
	uint64_t quota_rate;       /* bytes/s each way when throttled */
	int billing;               /* enum billing (ledger.h), -1 = global */
	long reset_day;            /* 1-31, -1 = global */
	uint64_t rate_in, rate_out;   /* bytes/s for the whole rule, each direction */
	uint64_t conn_rate;        /* bytes/s per connection, each direction */
	long max_conns, max_conns_per_src, new_conns_per_src;   /* 0 = no limit */
	char *allow, *deny;        /* CIDR lists, comma separated */
	char *on_event;
	char *notify;              /* targets replacing [global]'s ("" = the global list) */
	int64_t expire;            /* epoch seconds the rule stops at (end of its day), 0 = never */
	int line;                  /* line of the [rule NAME] header */
};

enum { QUOTA_STOP, QUOTA_THROTTLE };

struct store_global {
	char log_level[8];
	char log_file[256];
	uint64_t log_max_size;
	long workers;              /* 0 = one per CPU */
	int cpu_affinity;          /* workers pinned, accepts steered to the receiving CPU's (docs/relay.md) */
	long connect_timeout, idle_timeout, udp_timeout, proxy_timeout, handshake_timeout;
	long tcp_keepalive, tcp_keepalive_interval, tcp_keepalive_probes;
	int tcp_nodelay;
	int tcp_fastopen;   /* TCP Fast Open toward exits (remote_transport) and on tunnel listeners */
	long tunnel_pool_max;   /* warm tunnel connections per remote and worker at most, 0 = no pool */
	char listen_congestion[16], remote_congestion[16];   /* "" = the system's */
	long udp_max_assoc;
	long health_interval, health_timeout, health_fail, health_ok, health_cooldown;
	char dns_mode[16];
	long dns_min_ttl, dns_max_ttl;
	char lang[8];              /* the menu's: "zh", "en" or "auto" (from LC_ALL / LANG) */
	int billing;               /* enum billing (ledger.h) */
	long reset_day;
	char on_event[256];
	long event_timeout;
	struct hostport metrics_listen;   /* port 0 = off */
	long ledger_interval;
	long src_prefix_v4, src_prefix_v6;  /* per-source limits key a client by this network */
	long max_handshakes, max_handshakes_per_src;   /* TLS / WebSocket handshakes at once, per worker */
	/* notifications (docs/notify.md) */
	char notify[1024];         /* targets, comma separated; "" = none */
	char notify_events[512];   /* "" or "all" = every event */
	char notify_ca[256];       /* trust anchors; "" = the system's */
	char telegram_api[256];
	char server_name[64];      /* "" = the host name */
	int notify_insecure_http;
	long notify_report;        /* ms between reports, 0 = off */
	long notify_timeout;       /* ms for one send: connect, handshake, reply */
};

struct store_mptcp {
	int enabled;               /* -1 unset */
	long subflows, add_addr_accepted;   /* -1 unset */
	char **endpoints;          /* "ADDR [dev IF] [id N] [subflow] [signal] [backup] [fullmesh]" */
	size_t nendpoints;
};

struct store {
	struct store_global g;
	struct store_rule *rules;
	size_t nrules;
	struct store_mptcp mptcp;
};

struct store_diag {
	int line;                  /* 0 = the file as a whole */
	int error;                 /* 0 = warning */
	char msg[240];
};

struct store_diags {
	struct store_diag *v;
	size_t n, cap;
	int nerrors;
	char file[256];
};

/* Parse and validate. 0 if no error (warnings may be present), -1 otherwise.
 * A missing file is an empty store (no rules). I/O errors: -1 with a diag. */
int store_load(const char *path, struct store *st, struct store_diags *d);
int store_parse_text(const char *text, const char *fname, struct store *st, struct store_diags *d);
void store_free(struct store *st);
void store_diags_free(struct store_diags *d);
/* "file:line: error: msg" into buf. */
char *store_diag_format(const struct store_diags *d, size_t i, char *buf, size_t size);

/* The machine's addresses the loop check (a remote that is one of the
 * relay's own listeners) takes as local besides loopback: NULL (the
 * default) reads the interfaces' (getifaddrs) when a store needs them. */
struct net_local;
void store_set_local_addrs(const struct net_local *l);

const struct store_rule *store_find(const struct store *st, const char *name);
/* A rule's name: text_name_valid (text.h). */
int store_name_valid(const char *name);
/* Effective value of a per-rule setting that may fall back to [global]. */
long store_rule_ms(const struct store *st, const struct store_rule *r, long rule_value, long global_value);

/* Everything of r's that a running rule is built from: every key of its
 * section and the [global] keys a rule reads, walked from the key tables
 * (a key added to a table is in it). Equal texts: nothing changed.
 * malloc'd, NULL out of memory. */
char *store_rule_fingerprint(const struct store *st, const struct store_rule *r);
/* Its two parts: the rule's own keys, and the [global] keys a rule reads
 * (the same for every rule of st: a relay compares it once per store,
 * not once per rule). malloc'd, NULL out of memory. */
char *store_rule_keys_fingerprint(const struct store_rule *r);
char *store_global_fingerprint(const struct store *st);

/* Keys a [rule] section knows; for `rule add --KEY`, help text, tests. */
int store_rule_key_known(const char *key);
int store_rule_key_multi(const char *key);
const char *const *store_rule_keys(void);
int store_global_key_known(const char *key);
/* The I-th [global] key, NULL past the last (for listings). */
const char *store_global_key_name(size_t i);
/* The known key closest to a mistyped one (at most 2 edits), or NULL. */
const char *store_key_suggest(const char *key, int global);

/* The listen ports of a rule, a list or not (store_listen.c). The i-th
 * port counts in the order listed; a remote range maps port to port. */
size_t store_listen_count(const struct store_rule *r);
unsigned store_listen_max(const struct store_rule *r);
unsigned store_listen_port(const struct store_rule *r, size_t i);   /* 0 past the end */
int store_listen_has(const struct store_rule *r, unsigned lo, unsigned hi);   /* a port in lo..hi */
int store_listens_meet(const struct store_rule *a, const struct store_rule *b);   /* a port in common */
/* "[::]:80,443", "0.0.0.0:8000-8010,9000" */
char *store_listen_format(const struct store_rule *r, char *buf, size_t size);

/* Text form of rule fields, for listings and JSON. */
const char *store_balance_name(enum balance_mode b);
const char *store_proto_name(unsigned protocols);
const char *store_proxy_name(const struct store_rule *r, char *buf, size_t size);
const char *store_mptcp_name(unsigned m);

/* ---- notification targets and expiry (store_notify.c) ---- */
enum store_notify_kind { NOTIFY_TELEGRAM, NOTIFY_WECOM, NOTIFY_WEBHOOK };
#define STORE_NOTIFY_MAX 8         /* targets in one list */
#define STORE_NOTIFY_LEN 1024      /* a list's text, one URL */
struct store_notify_target {
	enum store_notify_kind kind;
	char token[128], chat[128];    /* telegram */
	char url[STORE_NOTIFY_LEN];    /* wecom, webhook */
};
/* One target: telegram:TOKEN@CHAT, wecom:URL, webhook:URL. 0 / -1 with err saying what to write. */
int store_notify_parse(const char *s, struct store_notify_target *t, char *err);
/* A comma-separated list ("off" alone: none); v may be NULL (count only). */
int store_notify_list(const char *list, struct store_notify_target *v, size_t max, size_t *n, char *err);
/* The list parses and holds no http:// unless insecure_http. */
int store_notify_list_check(const char *list, int insecure_http, char *err);
/* Every event name a notification can be for, NULL-terminated. */
const char *const *store_notify_events(void);
int store_notify_event_known(const char *ev);
/* Whether a notify_events list ("" or "all": every one) takes event. */
int store_notify_wants(const char *list, const char *event);
/* YYYY-MM-DD -> the first second after that day, local time. */
int store_parse_date_end(const char *v, int64_t *out, char *err);

/* ---- writing ---- */
struct store_txn {
	int lockfd;
	char *text;        /* the working copy, edited in place */
	char *orig;        /* as read, to decide whether anything changed */
	char path[256];
};

/* Lock (waiting for other writers) and read; a missing store reads as "". */
int store_begin(struct store_txn *t, const char *path, char *err);
/* Validate the working text; on success write it atomically (old file to .bak). */
int store_commit(struct store_txn *t, struct store_diags *d, char *err);
void store_end(struct store_txn *t);

/* Section "rule NAME", "global" or "mptcp". values NULL/n=0 removes the key.
 * Replaces every line of key in the section; creates the section if absent. */
int store_edit_set(struct store_txn *t, const char *section, const char *key,
    const char *const *values, size_t n, char *err);
/* 0 if v reads back from the store as written; -1 with err saying why not
 * (a line break, a control character, a comment '#', spaces around it). */
int store_value_storable(const char *key, const char *v, char *err);
int store_edit_has_section(const struct store_txn *t, const char *section);
int store_edit_del_section(struct store_txn *t, const char *section, char *err);
int store_edit_add_section(struct store_txn *t, const char *section, char *err);

#endif
