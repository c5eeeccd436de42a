#ifndef XWPF_APPLET_LINKTEST_H
#define XWPF_APPLET_LINKTEST_H

/*
 * The linktest applet, split over applets/linktest/. Shared symbols carry the
 * linktest_ prefix; everything else is static.
 *
 * linktest.c          command line, option checks, linktest_main
 * linktest_client.c   the client: connect, handshake, the phases, progress bars
 * linktest_report.c   the client's report: the table and JSON
 * linktest_server.c   the server: connections, sessions, test phases
 * linktest_budget.c   the server's traffic budgets per client address and in all
 * linktest_iperf3.c   the TCP and UDP phases against a plain iperf3 server
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "addr.h"
#include "lt.h"
#include "util.h"

#define LINKTEST_STREAMS_CAP 64    /* most test streams a server may allow */
#define LINKTEST_CLIENTS_CAP 64    /* most concurrent clients a server may allow */

struct linktest_server_opts {
	const char *listen;      /* "ADDR:PORT", "[v6]:PORT" or "PORT"; NULL: port 5210 */
	const char *key;         /* "" = no key */
	int max_time_s;          /* longest test phase */
	int max_streams;
	int max_clients;
	uint64_t max_rate;       /* UDP bits per second */
	uint64_t budget;         /* bytes per hour per client address (IPv6: /64), 0 = none */
	uint64_t total_budget;   /* bytes per hour of all clients, 0 = none */
	int quiet;
};

/* ---- the client (linktest_client.c, linktest_report.c) ---- */

enum { LINKTEST_PH_INFO = 1, LINKTEST_PH_LATENCY = 2, LINKTEST_PH_ROUTE = 4, LINKTEST_PH_TCP = 8, LINKTEST_PH_UDP = 16, LINKTEST_PH_ALL = 31 };

struct linktest_tcp_res {
	int up, streams;
	int ok;
	uint64_t bytes, retrans;
	double secs, mbps;       /* mbps: the steady part, TCP's ramp-up left out */
	double mbps_all;         /* bytes over the whole phase */
	char err[ERRLEN];
};

struct linktest_udp_res {
	int up, ok;
	double rate_mbps, mbps, loss_pct, jitter_ms, secs;
	uint64_t sent, received, bytes, ooo;
	char err[ERRLEN];
};

struct linktest_client {
	/* options */
	char host[HOST_MAX];
	uint16_t port;
	long time_ms;
	int streams, udp_size, count, phases;
	uint64_t udp_rate;
	const char *key;
	int json;
	const char *json_file;
	/* connection */
	struct sockaddr_storage dst;
	char dst_str[80], seen_as[64];
	int ctl, udp, tty;
	uint8_t token[LT_TOKEN];
	long long maxtime, maxstreams, maxrate;
	/* results */
	int have_sys;
	struct lt_sys local, remote;
	int have_lat, icmp_ok;
	struct lt_rtt conn, icmp, echo;
	char icmp_err[ERRLEN];
	int have_route, nhops;
	struct lt_hop hops[LT_MAX_HOPS];
	char route_err[ERRLEN];
	struct linktest_tcp_res tcp[4];
	int ntcp;
	struct linktest_udp_res udpr[2];
	int nudp;
	int failed;
	int lost;               /* the control connection is gone: no more phases */
	int iperf3;             /* the far end is a plain iperf3 server: 1, or -1 to find out */
	char bar_label[32], bar_extra[32];
};

/* Connect, handshake, open the UDP socket and run the phases c->phases asks
 * for. 0: the report can be printed (c->failed says whether a phase failed);
 * -1: nothing to report (the reason is printed). */
int linktest_client_run(struct linktest_client *c);
void linktest_print_table(const struct linktest_client *c, FILE *f);
void linktest_print_json(const struct linktest_client *c, FILE *f);

/* ---- against a plain iperf3 server (linktest_iperf3.c) ---- */

/* One phase of one stream, iperf3's test of c->time_ms rounded up to whole
 * seconds; tick (may be NULL) gets the bytes so far about every 100 ms.
 * 0, or -1 with r->err. */
int linktest_iperf3_tcp(struct linktest_client *c, int up, struct linktest_tcp_res *r,
    void (*tick)(void *arg, uint64_t bytes, int64_t ms), void *arg);
int linktest_iperf3_udp(struct linktest_client *c, int up, uint64_t rate, struct linktest_udp_res *r,
    void (*tick)(void *arg, uint64_t bytes, int64_t ms), void *arg);

/* ---- the server (linktest_server.c) ---- */

/* Runs until SIGINT/SIGTERM; returns the exit code. */
int linktest_server_run(const struct linktest_server_opts *o);

/* Send UDP DATA datagrams of size bytes at rate bit/s for time_ms on fd (to dst,
 * or the connected peer when dst is NULL; cmsg, when not NULL, is ancillary data
 * for every datagram: the source address). tick (may be NULL) is called every
 * ~100 ms; a non-zero answer stops the flow. Returns datagrams sent; *bytes gets the bytes. */
uint64_t linktest_udp_blast(int fd, const struct sockaddr_storage *dst, const void *cmsg, size_t cmsglen,
    const uint8_t *token, uint64_t rate, int size, int time_ms, uint64_t *bytes,
    int (*tick)(uint64_t bytes, int64_t ms, void *arg), void *arg);

/* ---- traffic budgets (linktest_budget.c) ---- */

/* A client address as the limits see it: IPv4 as v4-mapped, IPv6 by its /64. */
struct linktest_ipkey {
	uint8_t b[16];
};
void linktest_ipkey_of(const struct sockaddr_storage *ss, struct linktest_ipkey *k);
int linktest_ipkey_eq(const struct linktest_ipkey *a, const struct linktest_ipkey *b);

/* The limits in bytes per hour (0: none); before any other call. The calls
 * below are not locked: the server calls them under its lock. */
void linktest_budget_init(uint64_t per_address, uint64_t total);
int linktest_budget_on(void);
/* Bytes the budgets still allow the client at k. */
uint64_t linktest_budget_avail(const struct linktest_ipkey *k, int64_t now);
/* n bytes moved (negative: given back) for the client at k. */
void linktest_budget_spend(const struct linktest_ipkey *k, double n, int64_t now);
/* 1 and what to tell the client when a budget of the client at k is used up. */
int linktest_budget_used_up(const struct linktest_ipkey *k, char *msg, size_t size);
/* Budget taken ahead at a time, so that the lock is not taken per send. */
uint64_t linktest_budget_lease_chunk(void);

#endif
