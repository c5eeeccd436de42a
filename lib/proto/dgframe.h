#ifndef XWPF_DGFRAME_H
#define XWPF_DGFRAME_H

#include <stddef.h>

/*
 * UDP datagrams inside a byte stream (a tunnel's TCP, TLS or WebSocket
 * stream): each datagram is a 2-byte big-endian length, then that many bytes
 * (0 to 65,535). WebSocket frame and TLS record boundaries carry no meaning;
 * docs/wire.md has the format. Pure: bytes in, datagrams out.
 */
#define DGF_MAX 65535

/* A stream being cut into datagrams; zeroed to start, dgf_free to end. */
struct dgf {
	unsigned char *buf;   /* a datagram split across feeds, being gathered (DGF_MAX + 2) */
	size_t len;
};

/* Called once per whole datagram, in stream order. */
typedef void (*dgf_emit)(void *arg, const unsigned char *dg, size_t n);

/* Feed the next len bytes of the stream: emit for every datagram they
 * complete (straight from p when one lies whole in it: no copy). 0, or -1
 * with errno ENOMEM (the bytes up to the failure are taken). */
int dgf_feed(struct dgf *f, const void *p, size_t len, dgf_emit emit, void *arg);
void dgf_free(struct dgf *f);

/* The 2-byte header of a datagram of n bytes (n <= DGF_MAX). */
void dgf_header(unsigned char hdr[2], size_t n);

#endif
