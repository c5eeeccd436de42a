#ifndef XWPF_LT_H
#define XWPF_LT_H

/*
 * linktest engine, shared by the client and the server (applets/linktest/):
 * the wire protocol (lt_wire.c: control lines, HMAC-SHA256 challenge, UDP
 * datagram header), statistics (lt_stats.c: round-trip series, RFC 3550
 * jitter), system facts (lt_sys.c), and the measurements that need no
 * linktest peer (lt_probe.c: TCP connect and ICMP echo round trips, the
 * route by UDP probes with rising TTL read back through IP_RECVERR). Never prints, never exits: 0 / -1 with errno, and a
 * message in the caller's err (ERRLEN) where one helps.
 *
 * Wire protocol, version 1. Every connection goes to the one server port
 * (so a relay chain in front of the server carries all of it):
 *   C: XWLT 1 control                      a control connection
 *   S: XWLT 1 ok nonce=HEX key=0|1 maxtime=S maxstreams=N maxrate=BPS
 *      (or "XWLT 1 busy ..." / "XWLT 1 err ...", then close)
 *   C: AUTH cnonce=HEX mac=HMAC(key, "client" snonce cnonce)
 *   S: OK token=HEX mac=HMAC(key, "server" cnonce snonce) peer=IP
 *      (or "ERR busy: ..." / "ERR budget: ...", then close)
 *   then commands, one line each, answered in order:
 *   INFO | ECHO X | TCP dir=up|down streams=N time=MS
 *   | UDP dir=up|down rate=BPS time=MS size=BYTES | DONE sent=N | BYE
 *   (a phase the traffic budget stops ends in "ERR budget: ..." instead of
 *   its RESULT; during a UDP upload that line comes before the client's
 *   DONE, which the client still sends, and which gets no other answer)
 *   C: XWLT 1 data TOKEN INDEX             a TCP test stream of a session
 * The greeting and AUTH come within a few seconds of the connect; nothing
 * but the greeting is answered before AUTH.
 * UDP datagrams (to the same port) carry the header below with the token;
 * the server counts them only from the IP of the session's control
 * connection (any port).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LT_PROTO 1
#define LT_PORT 5210
#define LT_LINE 512
#define LT_NONCE 16
#define LT_TOKEN 16
#define LT_MACHEX 65          /* 64 hex digits and NUL */
#define LT_UDP_MAGIC 0x584c5455u   /* "XLTU" */
#define LT_UDP_HDR 40
#define LT_UDP_MIN 64
#define LT_UDP_MAX 1472
#define LT_TRACE_PORT 33434   /* first destination port of route probes */
#define LT_MAX_HOPS 30

enum { LT_UDP_HELLO = 1, LT_UDP_DATA = 2 };

struct lt_udp_hdr {
	uint8_t kind;
	uint8_t token[LT_TOKEN];
	uint64_t seq;
	int64_t send_ns;        /* sender's monotonic clock */
};

/* buf holds at least LT_UDP_HDR bytes. get: 0 ok, -1 not ours. */
void lt_udp_put(unsigned char *buf, const struct lt_udp_hdr *h);
int lt_udp_get(const unsigned char *buf, size_t len, struct lt_udp_hdr *h);

int64_t lt_now_ns(void);
/* out gets 2n hex digits and a NUL. unhex: exactly 2n hex digits, 0 / -1. */
void lt_hex(char *out, const unsigned char *in, size_t n);
int lt_unhex(unsigned char *out, size_t n, const char *in);
/* Random bytes from the kernel; -1 if it has none to give. */
int lt_random(void *buf, size_t n);
/* HMAC-SHA256 with key over "xwpf-linktest/1 ROLE N1 N2", as hex. */
void lt_mac(char out[LT_MACHEX], const char *key, const char *role, const char *n1, const char *n2);
/* Constant-time comparison of two strings of equal length; 1 equal. */
int lt_mac_eq(const char *a, const char *b);

/* One control line (without "\n") within an absolute deadline (now_ms clock).
 * Never reads past the line, so bytes that follow stay in the socket.
 * -1: ETIMEDOUT, ECONNRESET (peer closed), EMSGSIZE (line too long) or recv's. */
int lt_recv_line(int fd, char *buf, size_t size, int64_t deadline_ms);
/* printf a line, add "\n", send it all (10 s bound). */
int lt_send_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Value of " key=VALUE" in line (up to the next space); -1 when absent or too long. */
int lt_field(const char *line, const char *key, char *out, size_t size);
int lt_field_num(const char *line, const char *key, long long min, long long max, long long *out);

/* Round-trip series in milliseconds. */
struct lt_rtt {
	int sent, received;
	double min, max, sum, sumsq;
};
void lt_rtt_add(struct lt_rtt *r, double ms);       /* one answered probe */
void lt_rtt_lost(struct lt_rtt *r);                 /* one unanswered probe */
double lt_rtt_avg(const struct lt_rtt *r);
double lt_rtt_stddev(const struct lt_rtt *r);       /* population standard deviation */
double lt_rtt_loss_pct(const struct lt_rtt *r);

/* Receive side of a UDP test: counts, out-of-order, RFC 3550 jitter.
 * send_ns comes from the peer: a stamp outside 0..LT_STAMP_MAX (no monotonic
 * clock reads that) counts the datagram but leaves the jitter alone. */
#define LT_STAMP_MAX (INT64_C(1) << 62)   /* ns, 146 years */
struct lt_udp_rx {
	uint64_t packets, bytes, ooo, max_seq;
	int have, have_transit;
	int64_t first_ns, last_ns, prev_transit;
	double jitter_ns;
};
void lt_udp_rx_add(struct lt_udp_rx *r, uint64_t seq, int64_t send_ns, int64_t arrival_ns, size_t bytes);
/* Receive side of a TCP phase: totals, and the steady part that starts
 * warm_ns after the first byte (TCP's ramp-up left out, like iperf3 --omit).
 * The caller corrects for its own wake-up delays with the kernel's figures
 * (lt_tcp_kinfo): bytes the kernel had at the mark, time of the last data. */
struct lt_tcp_rx {
	int64_t warm_ns;
	uint64_t bytes, mark_bytes;
	int64_t first_ns, mark_ns, read_ns, last_ns;
};
void lt_tcp_rx_init(struct lt_tcp_rx *r, long time_ms);   /* warm-up: a tenth of the phase, at most 1 s */
/* n bytes read at now_ns; returns 1 when this read set the mark. */
int lt_tcp_rx_add(struct lt_tcp_rx *r, size_t n, int64_t now_ns);
/* The kernel's byte count (all streams) at the mark, when the caller has it. */
void lt_tcp_rx_mark(struct lt_tcp_rx *r, uint64_t kernel_bytes);
/* A stream ended; its last data arrived at data_ns. */
void lt_tcp_rx_end(struct lt_tcp_rx *r, int64_t data_ns);
/* Steady bytes and microseconds (the whole phase when it was too short to leave the ramp out). */
void lt_tcp_rx_steady(const struct lt_tcp_rx *r, uint64_t *bytes, int64_t *us);
/* Whole phase: first byte to the last data, microseconds. */
int64_t lt_tcp_rx_us(const struct lt_tcp_rx *r);
/* The two above with the kernel's figures: n bytes read now from one of the
 * streams fds[0..nfds); and stream fd at EOF now. */
void lt_tcp_rx_read(struct lt_tcp_rx *r, const int *fds, int nfds, size_t n, int64_t now_ns);
void lt_tcp_rx_eof(struct lt_tcp_rx *r, int fd, int64_t now_ns);
/* TCP_INFO of a receiving socket: bytes received, ms since the last data. -1 if unknown. */
int lt_tcp_kinfo(int fd, uint64_t *bytes_received, uint32_t *ms_since_data);

/* Loss in percent of sent (received duplicates never make it negative). */
double lt_loss_pct(uint64_t sent, uint64_t received);

/* System facts of one end. Values never hold spaces (lists use ','). */
struct lt_sys {
	char kernel[64], cc[32], qdisc[32], dev[32];
	char tcp_rmem[64], tcp_wmem[64], rmem_max[24], wmem_max[24];
};
/* local: the local address of the connection to the peer (its device's qdisc), or NULL. */
void lt_sys_get(struct lt_sys *s, const struct sockaddr_storage *local);
void lt_sys_format(const struct lt_sys *s, char *buf, size_t size);   /* "kernel=.. cc=.." */
void lt_sys_parse(struct lt_sys *s, const char *line);

/* One TCP connect round trip (SYN to SYN-ACK). 0 and ms; -1 with errno
 * (ETIMEDOUT when timeout_ms passed, ECONNREFUSED ...). */
int lt_connect_rtt(const struct sockaddr_storage *dst, int timeout_ms, double *ms);

/* ICMP echo through an unprivileged ping socket. open: -1 with err saying
 * how to allow it (net.ipv4.ping_group_range). echo: 0 and ms, -1 ETIMEDOUT. */
int lt_icmp_open(int family, char *err);
int lt_icmp_echo(int fd, const struct sockaddr_storage *dst, uint16_t seq, int timeout_ms, double *ms);

/* Route by UDP probes with rising TTL. */
struct lt_hop {
	int ttl;
	char addr[64];          /* "" when no probe was answered */
	int probes, answered;
	double rtt_min, rtt_avg;
	int reached;            /* the destination answered (port unreachable or data) */
	int unreachable;        /* another unreachable: the path ends here */
	int detour;             /* round trip jumps here and falls back later */
};
/* hops: LT_MAX_HOPS entries. progress (may be NULL) is called after each hop. */
int lt_route(const struct sockaddr_storage *dst, int max_hops, int probes, int timeout_ms,
    struct lt_hop *hops, int *nhops, void (*progress)(int ttl, void *arg), void *arg, char *err);
/* Set the detour flags: a hop whose round trip jumps (by 5 ms and 30 %) over the
 * best earlier hop while a later hop falls back by at least half the jump. */
void lt_route_detours(struct lt_hop *hops, int n);

#endif
