#ifndef XWPF_APPLET_LINKTEST_H
#define XWPF_APPLET_LINKTEST_H

/* Between applets/linktest.c (command line, client, report) and
 * applets/linktest_server.c (the server). */
#include <stdint.h>

#define LT_STREAMS_CAP 64    /* most test streams a server may allow */
#define LT_CLIENTS_CAP 64    /* most concurrent clients a server may allow */

struct lt_server_opts {
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

/* The applet's entry points (also declared by applet.h once registered). */
int linktest_main(int argc, char **argv);
extern const char linktest_usage[];

/* Runs until SIGINT/SIGTERM; returns the exit code. */
int lt_server_run(const struct lt_server_opts *o);

/* Send UDP DATA datagrams of size bytes at rate bit/s for time_ms on fd (to dst,
 * or the connected peer when dst is NULL; cmsg, when not NULL, is ancillary data
 * for every datagram: the source address). tick (may be NULL) is called every
 * ~100 ms; a non-zero answer stops the flow. Returns datagrams sent; *bytes gets the bytes. */
#include <stddef.h>
struct sockaddr_storage;
uint64_t lt_udp_blast(int fd, const struct sockaddr_storage *dst, const void *cmsg, size_t cmsglen,
    const uint8_t *token, uint64_t rate, int size, int time_ms, uint64_t *bytes,
    int (*tick)(uint64_t bytes, int64_t ms, void *arg), void *arg);

#endif
