#ifndef XWPF_NOTIFY_H
#define XWPF_NOTIFY_H

/*
 * Notifications to Telegram, WeCom group robots and webhooks (docs/notify.md).
 *
 * notify_send() is one blocking HTTPS POST bounded by a deadline (connect,
 * handshake and reply together); the relay never calls it from a worker or
 * its main loop: struct notify owns a thread and a bounded queue
 * (NOTIFY_QUEUE messages; when full the oldest is dropped and counted), so
 * notify_post() only takes a mutex. A burst (what arrives within
 * NOTIFY_COALESCE_MS) goes to each target as one message. A send that timed
 * out, could not connect or got a 5xx is tried again after 2 s and 8 s
 * (three tries); a 4xx, or a reply that says no, is logged once with its
 * text (escaped, capped) and not tried again.
 *
 * Library rules: nothing here prints or exits; failures go to the log
 * (log.h) from the sender thread, or to err.
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tls.h"

#define NOTIFY_QUEUE 32
#define NOTIFY_COALESCE_MS 300
#define NOTIFY_TEXT_MAX 3000       /* one message (WeCom takes 2048 bytes: cut there for it) */
#define NOTIFY_REPLY_MAX 512       /* of a reply kept for the log and --test */

enum { NOTIFY_EN, NOTIFY_ZH };

struct notify_conf {
	char targets[STORE_NOTIFY_LEN];   /* [global] notify */
	char events[512];                 /* notify_events ("" all) */
	char telegram_api[256];
	char server[64];                  /* server_name, else the host name */
	int insecure_http;
	long timeout_ms;
	int lang;                         /* NOTIFY_EN or NOTIFY_ZH */
};

/* The language of the messages: [global] lang (zh, en), or with auto (or
 * unset) the locale the caller read (LC_ALL, else LANG; NULL: none). */
int notify_lang(const char *store_lang, const char *locale);
/* The settings of [global] (server: server_name or the host name). */
void notify_conf_from(struct notify_conf *c, const struct store_global *g, int lang);

struct notify_result {
	int status;                       /* HTTP status, 0 when none came */
	int retry;                        /* trying again may help (timeout, connect, 5xx) */
	char reply[NOTIFY_REPLY_MAX];     /* the reply's body, escaped and cut */
};

/*
 * One POST of text to t (webhook: events_json, a JSON array, beside it),
 * the server's certificate checked against anchors (the caller reads them:
 * notify_ca, else the system's store). cancel_fd (-1: none) readable ends
 * the wait at once. 0 delivered (2xx, and Telegram's "ok":true or WeCom's
 * "errcode":0), -1 with err and res.
 */
int notify_send(const struct notify_conf *c, const struct tls_anchors *anchors, const struct store_notify_target *t,
    const char *text, const char *events_json, int cancel_fd, struct notify_result *res, char *err);

/* The HTTP client's parts that read text from outside (the tests and
 * tests/fuzz/fuzz_notify use them alone). */
struct notify_url {
	int tls;
	char host[256];
	char port[8];
	const char *path;                 /* into the URL: "/..." or "" */
};
/* http(s)://HOST[:PORT][/PATH] or http(s)://[V6][:PORT]...: 0, or -1 with err. */
int notify_url_split(const char *u, struct notify_url *p, char *err);
/* The reply r[0..len) (a NUL after it) is whole: its headers and
 * Content-Length bytes after them (none: it is read to the end). */
int notify_reply_whole(const char *r, size_t len);
/* A whole reply's status (0-999), whether to try again (5xx, none) and its
 * body, escaped and cut, into res: 0, or -1 with err (not HTTP). */
int notify_reply_read(const char *r, size_t len, struct notify_result *res, char *err);
/* The reply's JSON has "key": value (spaces allowed around the colon). */
int notify_reply_says(const char *body, const char *key, const char *value);

/* A target for the log: the token and the URL's path and query hidden. */
const char *notify_target_name(const struct store_notify_target *t, char *buf, size_t size);

/* --- messages (notify_msg.c) ---------------------------------------------- */

/* Facts of an event: detail is the relay's "used=N quota=N ..." text. */
struct notify_event {
	const char *rule, *event, *backend, *detail;
	int reset_day;                    /* 1-31, 0 unknown */
};

/* "HK-1: rule web: 80% of 500.0 GiB used (400.1 GiB), resets on the 1st" */
char *notify_message(char *buf, size_t size, const char *server, const struct notify_event *e, int lang);
/* {"event":...,"rule":...,"backend":...,"detail":...,"used":N,"quota":N,"time":N} */
char *notify_event_json(char *buf, size_t size, const char *server, const struct notify_event *e);
/* The value of "key=" in a detail text (0 when absent). */
unsigned long long notify_detail_num(const char *detail, const char *key);

/* The report (notify_report), in lang: its first line ("HK-1 report:"), a
 * line a rule ("web: 400.1 MiB of 1.0 GiB (39%), stopped"; state "",
 * stopped, throttled or expired; quota 0: none) and the relay's figures. */
struct notify_report_sum {
	size_t rules, more;               /* more: rules left out for the message's length */
	unsigned long long open, down;    /* connections open, backends down (health checks) */
	unsigned long long up_hours, sent, failed, dropped;
};
char *notify_report_head(char *buf, size_t size, const char *server, int lang);
char *notify_report_rule(char *buf, size_t size, const char *rule, uint64_t used, uint64_t quota, const char *state,
    int lang);
char *notify_report_tail(char *buf, size_t size, const struct notify_report_sum *f, int lang);

/* --- the sender (notify.c) -------------------------------------------------- */

struct notify;

struct notify *notify_start(char *err);
/* New settings (a reload) and the trust anchors to check servers with,
 * taken over (*anchors is zeroed); queued messages keep the targets they had. */
void notify_configure(struct notify *n, const struct notify_conf *c, struct tls_anchors *anchors);
/* An event for targets (a rule's own list; "" = the configured one), when
 * notify_events takes it. Never blocks beyond a mutex. */
void notify_post(struct notify *n, const char *targets, const struct notify_event *e);
/* A text of its own (the periodic report), for the configured targets. */
void notify_post_text(struct notify *n, const char *event, const char *text);
/* Counters: sent, failed (given up), dropped (queue full). */
void notify_counts(struct notify *n, unsigned long long *sent, unsigned long long *failed,
    unsigned long long *dropped);
/* Stop the thread (a send in progress is cancelled) and free. */
void notify_stop(struct notify *n);

#endif
