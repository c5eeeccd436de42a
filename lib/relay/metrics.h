#ifndef XWPF_METRICS_H
#define XWPF_METRICS_H

/*
 * The relay's Prometheus endpoint: a Prometheus text writer
 * (prom_) and a tiny HTTP/1.1 server (metrics_) on the main thread's event
 * loop.
 *
 * The writer fills a growable buffer in the text exposition format 0.0.4:
 * "# HELP" and "# TYPE" once per family, then that family's samples, label
 * values escaped (backslash, double quote, newline). Names are checked; a
 * bad name, a family declared twice or running out of memory marks the
 * buffer failed (prom.failed) and the server answers 500.
 *
 * The server never blocks the loop: non-blocking sockets, a request read
 * within an absolute deadline (METRICS_READ_MS from accept, never re-armed
 * by a trickling client) and a size cap, at most METRICS_CLIENTS clients at
 * once (more are accepted and closed), partial writes resumed on EPOLLOUT
 * within METRICS_WRITE_MS; while answers being written hold
 * METRICS_INFLIGHT_MAX bytes (slow readers of a large page), a new
 * request that would add as much as the last answer gets 503. GET or HEAD of /metrics or / renders the body
 * once per request through the caller's callback; other paths get 404,
 * other methods 405. Every answer says "Connection: close".
 */
#include <stddef.h>
#include <stdint.h>

#define METRICS_REQ_MAX 8192       /* request line and headers */
#define METRICS_CLIENTS 16         /* served at once */
#define METRICS_READ_MS 5000       /* from accept to the end of the headers */
#define METRICS_WRITE_MS 30000     /* from the first byte of the answer to the last */
#define METRICS_INFLIGHT_MAX (64u << 20)   /* body bytes of answers being written */
#define PROM_NAME_MAX 128

/* ---- the text writer ---- */

struct prom {
	char *buf;                 /* NUL-terminated while not failed */
	size_t len, cap;
	int failed;                /* out of memory, a bad name, a family twice */
	char fam[PROM_NAME_MAX];   /* the current family */
	char **seen;               /* families declared so far */
	size_t nseen, capseen;
};

struct prom_label {
	const char *name, *value;
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);
/* Metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*
 * (a label name may not start with "__", reserved by Prometheus). */
int prom_name_valid(const char *name);
int prom_label_name_valid(const char *name);
/* Start a family: "# HELP name help" and "# TYPE name type" (type "counter",
 * "gauge" or "untyped"; a counter's name ends in "_total"). 0, or -1 and
 * p->failed when the name is bad or was declared before. */
int prom_family(struct prom *p, const char *name, const char *type, const char *help);
/* One sample of the current family: name{l0="v0",...} value. 0 or -1. */
int prom_u64(struct prom *p, const struct prom_label *l, size_t nl, uint64_t v);
/* The same for a float: NaN, +Inf and -Inf as Prometheus spells them. */
int prom_f64(struct prom *p, const struct prom_label *l, size_t nl, double v);
/* Label value escaping alone: backslash, double quote and newline get a
 * backslash (newline as \n). Returns bytes written (out NUL-terminated), or
 * -1 if out (size bytes) is too small. */
int prom_escape(const char *s, char *out, size_t size);

/* ---- the request parser (pure; fuzzed) ---- */

struct prom_req {
	int status;                /* 200, 400, 404, 405 or 431 */
	int head;                  /* HEAD: headers only */
	size_t len;                /* bytes of the request head */
};
/* 0: need more bytes (never when len >= METRICS_REQ_MAX); 1: decided, r
 * filled. Decides at the blank line that ends the headers ("\r\n\r\n" or
 * "\n\n"), or 431 at the cap. */
int prom_req_parse(const char *buf, size_t len, struct prom_req *r);

/* ---- the server ---- */

struct ev_loop;
struct prom_server;
/* Render the body into p (prom_init'ed by the server). 0, or -1 for a 500. */
typedef int prom_render_fn(void *arg, struct prom *p);

struct prom_stats {
	uint64_t accepted, served, timeouts, turned_away;
};

/* Listen on host:port (a literal address) on loop l. NULL with err (ERRLEN). */
struct prom_server *prom_open(struct ev_loop *l, const char *host, uint16_t port, prom_render_fn *fn,
    void *arg, char *err);
/* Close the listener and every client, free. Harmless with NULL. Call it
 * from a timer callback or outside the loop, never from another watcher's
 * I/O callback (events for the clients may be pending in the same batch). */
void prom_close(struct prom_server *m);
void prom_get_stats(const struct prom_server *m, struct prom_stats *out);
/* The port it listens on (the kernel's pick when opened with port 0). */
uint16_t prom_port(const struct prom_server *m);
/* Other deadlines and in-flight cap (tests); 0 keeps the current value. */
void prom_set_limits(struct prom_server *m, long read_ms, long write_ms, size_t inflight_max);

#endif
