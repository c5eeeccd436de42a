#ifndef XWPF_WS_H
#define XWPF_WS_H

/*
 * WebSocket (RFC 6455) as a byte-stream tunnel, wire-compatible with realm:
 * the handshake (request, 101 reply, HTTP errors) built and parsed from byte
 * buffers, and a frame codec. No socket calls: the caller reads and writes.
 *
 * Handshake parsing is incremental: call again with the longer buffer while
 * it answers WS_NEED. On WS_OK the head is *head_len bytes long and anything
 * after it is already frame data (keep it: feed it to ws_decode).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WS_HEAD_MAX    8192   /* longest request or reply head accepted */
#define WS_KEY_LEN     24     /* base64 of 16 bytes */
#define WS_ACCEPT_LEN  28     /* base64 of a SHA-1 */
#define WS_HDR_MAX     14     /* longest frame header */
#define WS_CTL_MAX     125    /* longest control frame payload */

enum ws_result {
	WS_OK = 0,
	WS_NEED = -1,      /* incomplete head: read more */
	WS_BAD = -2,       /* malformed or not an upgrade: server answers 400 */
	WS_NOTFOUND = -3,  /* wrong host or path: server answers 404 */
	WS_VERSION = -4,   /* Sec-WebSocket-Version is not 13: server answers 426 */
};

enum ws_opcode {
	WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BIN = 0x2,
	WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xa,
};

/* --- handshake ---------------------------------------------------------- */

/* A fresh Sec-WebSocket-Key (16 random bytes, base64). 0, or -1 with errno. */
int ws_key_new(char key[WS_KEY_LEN + 1]);
/* base64(SHA-1(key + GUID)) */
void ws_accept(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* The client request exactly as realm sends it (lowercase names). Length, or -1 (ENOSPC). */
int ws_client_request(char *buf, size_t size, const char *host, const char *path, const char *key);
/*
 * Check the server's reply: 101, upgrade: websocket, connection: upgrade,
 * the right accept value. WS_BAD with err naming the problem (a non-101
 * status is quoted so that a 404 says "check host= and path=").
 */
enum ws_result ws_client_parse(const void *buf, size_t len, const char *key, size_t *head_len, char *err);

/*
 * Check a client request against the configured host and path. Accepts
 * header names in any case, Connection as a token list ("keep-alive,
 * Upgrade"), and a Host with a port ("example.com:443"). On WS_OK the
 * client's key is copied to key (for ws_server_reply).
 */
enum ws_result ws_server_parse(const void *buf, size_t len, const char *host, const char *path,
    char key[WS_KEY_LEN + 1], size_t *head_len, char *err);
/* The 101 reply for a key. Length, or -1 (ENOSPC). */
int ws_server_reply(char *buf, size_t size, const char *key);
/* The HTTP error reply for WS_BAD (400), WS_NOTFOUND (404), WS_VERSION (426). Length or -1. */
int ws_http_error(char *buf, size_t size, enum ws_result r);

/* --- frames ------------------------------------------------------------- */

/*
 * A frame header with FIN set. key NULL: unmasked (server frames); else
 * masked with that key (client frames; realm sends 00 00 00 00, which
 * leaves the payload as is). The caller masks the payload with ws_mask.
 * Returns the header length (2 to 14).
 */
size_t ws_frame_header(unsigned char hdr[WS_HDR_MAX], unsigned opcode, uint64_t len, const unsigned char *key);
/* XOR n bytes with key, starting at key offset off (for a payload in several pieces). */
void ws_mask(unsigned char *p, size_t n, const unsigned char key[4], uint64_t off);
/* A random masking key (a PRNG seeded once from the kernel). */
void ws_mask_key(unsigned char key[4]);
/* A whole frame (header + payload, masked if key) into out: length, or -1 (ENOSPC). */
ssize_t ws_frame(void *out, size_t size, unsigned opcode, const void *payload, size_t len, const unsigned char *key);

/*
 * The decoder: feeds on raw bytes and turns them into stream data in place.
 * Binary, text and continuation frames are one byte stream (FIN ignored, as
 * realm does); real masks are removed. Control frames are consumed:
 *   ping  -> ping_pending set, payload in ping[]: send a pong with it
 *            (ws_frame(.., WS_OP_PONG, d->ping, d->ping_len, ..)) and clear
 *   pong  -> ignored
 *   close -> closed set, close_code (1005 when absent); data after it is dropped
 * Protocol errors (reserved bits, unknown opcode, oversized or fragmented
 * control frame, 64-bit length with the top bit) set error and errmsg.
 */
struct ws_dec {
	unsigned char hdr[WS_HDR_MAX];
	unsigned hlen, hneed;        /* header bytes held / needed */
	unsigned opcode;
	int masked;
	unsigned char key[4];
	uint64_t left, off;          /* payload bytes left, mask offset */
	unsigned char ctl[WS_CTL_MAX];
	size_t ctl_len;
	/* results for the caller */
	int ping_pending;
	unsigned char ping[WS_CTL_MAX];
	size_t ping_len;
	int closed;
	unsigned close_code;
	int error;
	const char *errmsg;
	uint64_t frames;             /* frames decoded, for statistics */
};

void ws_dec_init(struct ws_dec *d);
/*
 * Decode len raw bytes in buf. Stream data is moved to buf[0..n); returns n,
 * or -1 on a protocol error (d->errmsg). Every input byte is consumed: a
 * partial header or payload is continued by the next call.
 */
ssize_t ws_decode(struct ws_dec *d, unsigned char *buf, size_t len);

const char *ws_result_str(enum ws_result r);

#endif
