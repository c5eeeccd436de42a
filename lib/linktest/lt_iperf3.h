#ifndef XWPF_LT_IPERF3_H
#define XWPF_LT_IPERF3_H

/*
 * The client side of iperf3's protocol (docs/wire.md, "iperf3"), as data:
 * what to send and how to read what comes back. No sockets here; the
 * applet drives them (every read with a deadline) and feeds the bytes in.
 *
 * One test, one stream:
 *   C -> S  control connection: the 37-byte cookie (36 characters and a NUL)
 *   S -> C  state PARAM_EXCHANGE (one signed byte)
 *   C -> S  parameters: 4-byte big-endian length, then JSON
 *   S -> C  CREATE_STREAMS
 *   C -> S  TCP: a data connection to the same port sending the cookie;
 *           UDP: a datagram "9876" from the data socket, answered "6789"
 *   S -> C  TEST_START, TEST_RUNNING; the data flows for the asked seconds
 *   C -> S  TEST_END
 *   S -> C  EXCHANGE_RESULTS; C -> S its results, S -> C the server's
 *           (both length-prefixed JSON)
 *   S -> C  DISPLAY_RESULTS; C -> S IPERF_DONE
 * A server busy with another test answers ACCESS_DENIED (-1); SERVER_ERROR
 * (-2) is followed by two 4-byte error numbers.
 * UDP datagrams start with seconds, microseconds and a packet count from 1
 * (each 4 bytes, big-endian); the receiver's jitter is RFC 1889's.
 */
#include <stddef.h>
#include <stdint.h>

#define IP3_COOKIE 37
#define IP3_JSON_MAX 65536      /* the longest JSON taken from a server */
#define IP3_TCP_LEN (128 * 1024)
#define IP3_UDP_HDR 12
#define IP3_MAX_TIME 300        /* seconds of one phase */

enum ip3_state {
	IP3_TEST_START = 1, IP3_TEST_RUNNING = 2, IP3_TEST_END = 4, IP3_PARAM_EXCHANGE = 9,
	IP3_CREATE_STREAMS = 10, IP3_SERVER_TERMINATE = 11, IP3_CLIENT_TERMINATE = 12,
	IP3_EXCHANGE_RESULTS = 13, IP3_DISPLAY_RESULTS = 14, IP3_IPERF_START = 15, IP3_IPERF_DONE = 16,
	IP3_ACCESS_DENIED = -1, IP3_SERVER_ERROR = -2,
};

extern const unsigned char ip3_udp_connect[4];   /* "9876" */

struct ip3_test {
	int udp, reverse;
	int seconds;             /* 1..IP3_MAX_TIME */
	uint64_t rate;           /* UDP bit/s */
	int len;                 /* bytes per write (TCP) or datagram (UDP) */
};

/* One stream's figures, as a results JSON holds them. */
struct ip3_stream {
	double bytes, jitter_s, end_time;
	long long retransmits, errors, packets;
};

/* A cookie of 36 characters from iperf3's alphabet and a NUL, from 36 random bytes. */
void ip3_cookie(char out[IP3_COOKIE], const unsigned char rnd[36]);
/* The state's name for messages ("ACCESS_DENIED", "state 77"). */
const char *ip3_state_name(int state, char *buf, size_t size);
/* A length-prefixed JSON message into buf: the parameters of t, or our
 * results for the one stream s (sender: we sent the data). The length, or
 * -1 (EMSGSIZE) when buf is too small. */
int ip3_params(unsigned char *buf, size_t size, const struct ip3_test *t);
int ip3_results(unsigned char *buf, size_t size, const struct ip3_stream *s, int sender, long long retransmits);
/* The 4-byte length of a JSON message: -1 when 0 or over IP3_JSON_MAX. */
long ip3_json_len(const unsigned char hdr[4]);
/* The server's results (json: len bytes, no NUL needed): its first stream.
 * 0, or -1 with err when a figure is missing or not a number. */
int ip3_parse_results(const char *json, size_t len, struct ip3_stream *s, char *err);
/* Is this (up to 4 bytes) the server's answer to the UDP connect datagram? */
int ip3_udp_reply(const unsigned char *buf, size_t n);

/* UDP: the header of datagram count (from 1) sent at sec.usec. */
void ip3_udp_put(unsigned char *buf, uint32_t sec, uint32_t usec, uint32_t count);

/* UDP receiver statistics, as iperf3 keeps them. */
struct ip3_rx {
	uint64_t bytes, datagrams;     /* taken */
	uint64_t packets;              /* the highest count seen */
	uint64_t errors, outoforder;
	double jitter_s, prev_transit;
	int have_prev;
};
/* One datagram of n bytes that arrived at arrival_s (the receiver's clock,
 * seconds); -1 when shorter than the header (not counted). */
int ip3_rx_add(struct ip3_rx *rx, const unsigned char *pkt, size_t n, double arrival_s);

#endif
