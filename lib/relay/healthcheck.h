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
 * The state file and the result codes it records are healthstate.h's (lib/store).
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

#include "healthstate.h"
#include "store.h"
#include "util.h"

#define HC_INFLIGHT 256            /* checks open at once; more wait their turn */
#define HC_TUN_THREADS 16          /* tunnel checks at once (one thread each) */

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
struct lookup;

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
	struct lookup *dns;
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

/* The next n bytes of a reply against expect, *off bytes of it matched so
 * far (n at most expectlen - *off: read no more than that): 1 the whole of
 * expect matched, 0 more to read, -1 the reply differs. */
int hc_expect_step(const char *expect, size_t expectlen, size_t *off, const void *got, size_t n);

/* "\r\n", "\t", "\\", "\0", "\xHH" undone into out (size bytes); 0 or -1 with err. */
int hc_unescape(const char *s, char *out, size_t size, size_t *len, char *err);

#endif
