#ifndef XWPF_HC_H
#define XWPF_HC_H

/*
 * hc: active health checks (relayd hce style) and the health state file.
 *
 * A check is a chain of small callbacks on one epoll loop: resolve (a
 * thread per host name, numeric addresses need none) -> connect ->
 * send health_send -> read until health_expect is matched or refuted.
 * All checks of a round run in parallel, each against one absolute
 * deadline (start + health_timeout) covering every step, so a backend that
 * never answers or trickles bytes cannot delay the others or itself.
 * Every way out of a check goes through hc_done(host, code), which applies
 * the hysteresis and logs state transitions only, each once, with the
 * reason:
 *   up -> down  after health_fail consecutive failures
 *   down -> up  after health_ok consecutive successes AND health_cooldown
 *               since it went down (0 allowed)
 * A backend never checked counts as up.
 *
 * The state file (path_get(PATH_HEALTH)), replaced atomically after each
 * round; one line per backend, fields separated by spaces, '#' comments:
 *
 *   # xwpf health v1: RULE BACKEND STATE FAILS OKS LAST_CHECK LAST_CHANGE REASON
 *   hk-to-jp 203.0.113.5:443 up 0 12 1764085201123 1764084001000 ok
 *   hk-to-jp [2001:db8::5]:443 down 3 0 1764085201123 1764085197120 refused
 *
 *   RULE        the rule's name
 *   BACKEND     the remote as "host:port" ("[v6]:port"), lb_backend_id's form
 *   STATE       up | down
 *   FAILS, OKS  consecutive failures / successes (one of them is 0)
 *   LAST_CHECK  wall clock of the last check, ms since the epoch (0 never)
 *   LAST_CHANGE wall clock of the last up/down transition (0 never)
 *   REASON      the last check's result, the rest of the line: a token of
 *               hc_code_str ("ok", "refused"), or for a remote reached
 *               through a tunnel (remote_transport) that failed before the
 *               tunnel was open, the stage and what went wrong in words:
 *                 tcp: Connection refused
 *                 tls: pin mismatch (got sha256:HEX)
 *                 tls: certificate name mismatch
 *                 ws: 404
 *                 handshake timeout
 *
 * A remote with a remote_transport is checked through its tunnel by
 * healthcheck_tunnel.c: the same TLS (sni, pin, CA, insecure) and WebSocket (host,
 * path) handshake as the relay, byte for byte, then health_send /
 * health_expect inside the tunnel, then a clean end. Remotes checked the same
 * way (same host:port, transport, send, expect, source) by several rules are
 * checked once per round; each rule judges the result with its thresholds.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "store.h"
#include "util.h"

#define HC_TARGET_MAX (HOST_MAX + 16)
#define HC_INFLIGHT 256            /* checks open at once; more wait their turn */
#define HC_TUN_THREADS 16          /* tunnel checks at once (one thread each) */
#define HC_WHY_MAX 160             /* a REASON in words ("tls: ...") */

enum hc_code {
	HC_OK,
	HC_RESOLVE_FAIL,       /* the name does not resolve */
	HC_RESOLVE_TIMEOUT,
	HC_SOCKET_FAIL,        /* socket, through (bind) or interface failed */
	HC_CONNECT_REFUSED,
	HC_CONNECT_UNREACH,
	HC_CONNECT_FAIL,       /* any other connect error */
	HC_CONNECT_TIMEOUT,
	HC_WRITE_FAIL,
	HC_WRITE_TIMEOUT,
	HC_READ_FAIL,          /* reset or error while reading */
	HC_READ_CLOSED,        /* closed before the expected reply */
	HC_READ_TIMEOUT,       /* connected, but the reply did not come in time */
	HC_EXPECT_MISMATCH,    /* the reply does not start with health_expect */
	HC_TLS_FAIL,           /* the tunnel's TLS handshake failed (why says how) */
	HC_WS_FAIL,            /* the tunnel's WebSocket upgrade failed */
	HC_HANDSHAKE_TIMEOUT,  /* connected, the tunnel handshake did not end in time */
	HC_CODE_COUNT
};

struct hc_entry;

/* Token for the state file ("refused"); NULL if out of range. */
const char *hc_code_str(enum hc_code c);
/* Words for people ("connection refused"). */
const char *hc_code_text(enum hc_code c);
/* Token back to a code; -1 if unknown. */
int hc_code_parse(const char *s);
/* A REASON of the state file: a token ("" in why), or a text in words of a
 * known stage ("tcp: ", "tls: ", "ws: ", "handshake timeout"), kept in why
 * (HC_WHY_MAX). The code, or -1. */
int hc_reason_parse(const char *s, char *why);
/* The stage an entry failed at: "tcp", "tls", "ws", "handshake", "resolve",
 * "send", "reply"; "" when it passed. */
const char *hc_stage(const struct hc_entry *e);

/* ---- the state file ---- */
struct hc_entry {
	char rule[STORE_NAME_MAX + 1];
	char target[HC_TARGET_MAX];
	int up;
	long fails, oks;
	int64_t last_check, last_change;   /* ms since the epoch; 0 = never */
	enum hc_code reason;
	char why[HC_WHY_MAX];              /* REASON in words; "" = the token of reason */
};

struct hc_state {
	struct hc_entry *v;                /* sorted by (rule, target) */
	size_t n;
};

/* Load path; a missing file is an empty state (0). -1 with a message in err
 * (ERRLEN) naming the line on a malformed file or an I/O error. */
int hc_state_load(const char *path, struct hc_state *out, char *err);
int hc_state_parse(const char *text, struct hc_state *out, char *err);
/* Text of the file (malloc'd, NUL-terminated, length in *len). */
char *hc_state_format(const struct hc_state *s, size_t *len);
/* Atomic replace (creating the directory). 0 or -1 with err. */
int hc_state_save(const char *path, const struct hc_state *s, char *err);
void hc_state_free(struct hc_state *s);
/* The entry of (rule, backend "host:port"), or NULL. */
const struct hc_entry *hc_state_find(const struct hc_state *s, const char *rule, const char *target);

struct lb;
/* lb_set_health for every backend of the rule's lb from the state (a backend
 * the state does not know is up). Returns how many are down. */
int hc_state_apply(const struct hc_state *s, const char *rule, struct lb *lb);

/* For the relay: an inotify descriptor (non-blocking, close-on-exec) on the
 * state file's directory (created if missing), readable when something in it
 * changes; -1 with errno. hc_watch_changed drains it and says whether the
 * state file itself was replaced or removed (1), not (0), or -1 on error;
 * then hc_state_load + hc_state_apply on each worker's lb. */
int hc_watch_open(const char *path);
int hc_watch_changed(int fd, const char *path);

/* ---- the checks ---- */
struct hc_dns;

struct hc_host {
	struct hc_entry st;                /* what the state file keeps */
	/* what to check and how to judge, from the store */
	struct hostport addr;              /* its first port is checked */
	char through[HOST_MAX];            /* source address, "" = any */
	char interface[16];                /* egress NIC, "" = any */
	char send[256], expect[256];       /* escapes already undone */
	size_t sendlen, expectlen;
	char transport[STORE_TRANSPORT_MAX]; /* remote_transport: "" plain TCP */
	int proxy;                         /* proxy_send: a PROXY LOCAL header first */
	long same_as;                      /* checked like that earlier host: its result is used; -1 */
	long fail_thr, ok_thr, cooldown_ms;
	/* the running check: private to healthcheck.c */
	int fd, done, phase;
	int64_t deadline;
	size_t off;
	struct hc_dns *dns;
	struct sockaddr_storage sa;
	socklen_t salen;
	char detail[ERRLEN];               /* what went wrong, for the log */
	enum hc_code code;                 /* a tunnel check's result, judged after the round */
};

/* Every remote of every enabled rule with failover = yes, with thresholds
 * from the rule or [global], and the counts and state of prev (may be NULL).
 * 0, or -1 with err (a bad escape in health_send / health_expect). */
int hc_hosts_build(const struct store *st, const struct hc_state *prev, struct hc_host **out,
    size_t *n, char *err);
void hc_hosts_free(struct hc_host *h, size_t n);
/* The state of the hosts, for hc_state_save. */
int hc_hosts_state(const struct hc_host *h, size_t n, struct hc_state *out);

/* Check every host in parallel, each within timeout_ms from its start.
 * 0, or -1 with err when the loop itself fails (epoll). */
int hc_check_all(struct hc_host *h, size_t n, long timeout_ms, char *err);
/* End of a check: close it, apply the hysteresis, log a transition.
 * Returns +1 if the host went up, -1 if it went down, 0 otherwise. */
int hc_done(struct hc_host *h, enum hc_code code);
/* The hysteresis alone, at wall clock now_wall (tests). */
int hc_judge(struct hc_host *h, enum hc_code code, int64_t now_wall);

/* ---- for healthcheck_tunnel.c ---- */

/* The tunnel check of h (h->transport set), synchronous, every step within
 * timeout_ms: connect, handshake, health_send / health_expect through the
 * tunnel, a clean end. Sets h->detail (for the log) and h->st.why (stage and
 * words) and returns the result; judges nothing (no log, any thread). */
enum hc_code hc_tunnel_check(struct hc_host *h, long timeout_ms);
/* h->sa from h->addr by deadline (a name through the resolver thread). */
enum hc_code hc_resolve_until(struct hc_host *h, int64_t deadline);
/* A non-blocking socket for h->sa with h's interface and through; -1 with h->detail. */
int hc_socket(struct hc_host *h);
/* h->detail = "got '...'" (the start of a reply, printable). */
void hc_reply_detail(struct hc_host *h, const char *buf, size_t len);

/* "\r\n", "\t", "\\", "\0", "\xHH" undone into out (size bytes); 0 or -1 with err. */
int hc_unescape(const char *s, char *out, size_t size, size_t *len, char *err);

#endif
