#ifndef XWPF_HEALTHSTATE_H
#define XWPF_HEALTHSTATE_H

/*
 * healthstate: the health state file the checks (lib/relay/healthcheck.c)
 * write and the relay, `health --status` and an import read, and the result
 * codes it records. Text in, text out: the probes are the relay's.
 *
 * The file (path_get(PATH_HEALTH)), replaced atomically after each
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
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

#define HC_TARGET_MAX (HOST_MAX + 16)
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
/* Sort by (rule, target), the order hc_state_find needs. */
void hc_state_sort(struct hc_state *s);
void hc_state_free(struct hc_state *s);
/* The entry of (rule, backend "host:port"), or NULL. */
const struct hc_entry *hc_state_find(const struct hc_state *s, const char *rule, const char *target);

#endif
