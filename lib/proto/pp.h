#ifndef XWPF_PP_H
#define XWPF_PP_H

/*
 * PROXY protocol v1 and v2 (haproxy's proxy-protocol.txt): encode a header
 * from two socket addresses, and parse one incrementally from the bytes read
 * so far. Pure code over byte buffers: no socket calls, no allocation.
 */
#include <stddef.h>
#include <sys/socket.h>

#define PP_V1_MAX   107      /* longest v1 line, CRLF included */
#define PP_V2_HDR   16       /* signature, version/command, family, length */
#define PP_MAX      2048     /* longest header pp_parse accepts (v2 with TLVs) */
#define PP_ENC_MAX  (PP_V2_HDR + 36)   /* longest header pp_encode writes */

enum pp_result {
	PP_OK = 0,       /* a complete header: info->len bytes of it */
	PP_NEED = -1,    /* a valid prefix so far: read more and call again */
	PP_NOT = -2,     /* these bytes do not start a PROXY header */
	PP_BAD = -3,     /* a PROXY header, but malformed (err says why) */
};

struct pp_info {
	int version;                  /* 1 or 2 */
	int local;                    /* no addresses: v2 LOCAL, v1 UNKNOWN, v2 UNSPEC/UNIX */
	int dgram;                    /* v2 UDP families */
	size_t len;                   /* header length, TLVs included */
	unsigned tlvs;                /* v2 TLVs seen (and skipped) */
	struct sockaddr_storage src;  /* the original client */
	struct sockaddr_storage dst;  /* the address it connected to */
};

/*
 * Encode a v1 or v2 header for a stream connection from src to dst into buf.
 * Mixed families are sent as IPv6 (IPv4 mapped); v4-mapped IPv6 pairs as IPv4.
 * src or dst NULL (or not AF_INET/AF_INET6): v1 "PROXY UNKNOWN", v2 LOCAL.
 * Returns the header length, or -1 (errno EINVAL/ENOSPC).
 */
int pp_encode(int version, const struct sockaddr *src, const struct sockaddr *dst, void *buf, size_t size);

/*
 * Parse the first len bytes read from a connection. PP_OK fills info
 * (info->len bytes belong to the header, the rest is payload); PP_NEED asks
 * for more bytes (never once len >= PP_MAX); PP_NOT and PP_BAD mean close.
 * err (ERRLEN, may be NULL) explains PP_BAD and PP_NOT.
 */
enum pp_result pp_parse(const void *buf, size_t len, struct pp_info *info, char *err);

/* "PROXY", "need more", "not PROXY", "bad header" for logs */
const char *pp_result_str(enum pp_result r);

#endif
