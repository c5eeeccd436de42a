#ifndef XWPF_TUNNEL_H
#define XWPF_TUNNEL_H

/*
 * Tunnels in the relay: the transports of realm's syntax (ws, tls, ws+tls)
 * on both sides of a rule, the PROXY protocol, and UDP carried through a
 * tunnel between two xwpf ends. The codecs are lib/proto/tls.c, lib/proto/ws.c and
 * lib/proto/pp.c; this module drives them without blocking inside the event loop
 * and plugs them into the relay through the seams of lib/relay/conn.h.
 *
 * An end (struct tun_end) is one side of a tunnel on one socket: optional
 * TLS (BearSSL engine), optional WebSocket above it (realm's handshake and
 * framing: one binary frame per write, client frames masked with the zero
 * key as realm does), as a client (relay side: remote_transport) or a
 * server (exit side: listen_transport). Handshakes have absolute deadlines
 * (handshake_timeout from the moment they start, never re-armed by a
 * partial read), so a client that trickles bytes is cut.
 *
 * Per rule (the conn_hooks this module installs):
 *   preread   exit side: the PROXY header (within proxy_timeout, exactly its
 *             bytes are consumed; anything else closes), then the TLS and
 *             WebSocket server handshakes (within handshake_timeout), all
 *             before a backend is chosen. A wrong ws host or path gets an
 *             HTTP 404, a malformed request 400. A client that has sent
 *             nothing costs no more than a plain connection: the server end
 *             (TLS engine, buffers) is made when its first bytes arrive, and
 *             only if the worker has fewer than max_handshakes under way,
 *             fewer than max_handshakes_per_src from the client's network
 *             (srclimit.h's key); else the client gets a reset, counted as
 *             the limit "handshakes".
 *   connected relay side: the PROXY header (v1 or v2) goes first, in clear
 *             before any TLS ClientHello as realm does; its addresses are the
 *             accepted header's when the rule accepted one (a chain), else
 *             the client and the address it connected to (the listener's
 *             local address, not 0.0.0.0:0).
 *   attach    the codecs on the client half (server end) and the remote half
 *             (client end); the client handshake starts at once.
 *
 * Half-close: the end of one direction is a TCP FIN (shutdown SHUT_WR)
 * after every record and frame is out; no close_notify (BearSSL drops what
 * arrives after it) and no WebSocket close frame unless the other direction
 * has already ended, so a request/SHUT_WR/reply exchange survives the
 * tunnel. A close frame from the peer ends that direction; a ping is
 * answered with a pong. An EOF without close_notify ends a TLS stream (as
 * realm does).
 *
 * UDP through a tunnel (xwpf to xwpf; realm cannot): the relay keeps one
 * tunnel stream per UDP association (client address), opened like a TCP
 * connection of the rule (same remote, transport handshake; no PROXY
 * header on these streams). The stream carries datagrams as
 *
 *     +--------+--------+---------------------+
 *     | len hi | len lo | payload (len bytes) |    len: 0..65535, big endian
 *     +--------+--------+---------------------+
 *
 * back to back in both directions: the length prefix alone delimits a
 * datagram (WebSocket frame and TLS record boundaries carry no meaning, a
 * datagram may span several). The exit learns that a stream
 * carries datagrams from the handshake: the TLS client offers the ALPN
 * protocol "xwpf-udp" (plain tls), the WebSocket request carries the header
 * "x-xwpf-udp: 1" (ws, ws+tls). The exit then sends each datagram from a
 * connected UDP socket to the rule's remote and frames the replies back.
 * An exit rule with a listen_transport and protocol udp (or tcp+udp)
 * therefore listens on TCP only: the tunnel is its UDP.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"
#include "tls.h"
#include "transport.h"

#define TUN_UDP_ALPN   "xwpf-udp"
#define TUN_UDP_HEADER "x-xwpf-udp"
#define TUN_XWPF_HEADER "x-xwpf"       /* an xwpf exit's 101 reply says it is one */
#define TUN_POOL_HEADER "x-xwpf-pool"  /* a pooled stream: the backend waits for the first frame */
#define TUN_POOL_WAIT_MS 45000          /* the exit's bound for that frame (above TPOOL_LIFE_MS) */
#define TUN_UDP_QUEUE  (256 * 1024)   /* framed datagrams waiting toward a stream: beyond, drop */
#define TUN_HS_MAX     1024           /* [global] max_handshakes' default (per worker) */
#define TUN_HS_MAX_SRC 64             /* max_handshakes_per_src's */
#define TUN_FASTOPEN_QUEUE 256        /* Fast Open requests pending on a tunnel listener */

/* One side of a rule's tunnels, shared (read only) by every connection of the rule. */
struct tun_side {
	struct transport t;
	int on;                          /* a transport is configured on this side */
	struct tls_server *tls_srv;      /* server side with tls */
	struct tls_client *tls_cli;      /* client side with tls */
	struct tls_client *tls_cli_udp;  /* the same offering ALPN xwpf-udp (plain tls) */
};

struct tun_rule {
	char name[STORE_NAME_MAX + 1];
	struct tun_side lsn, rem;        /* listen_transport (server), remote_transport (client) */
	int proxy_send;                  /* PROXY_NONE, PROXY_V1, PROXY_V2 */
	int proxy_accept;
	unsigned protocols;
	long handshake_ms, proxy_ms;
	long hs_max, hs_max_src;         /* server handshakes at once per worker: all, per source */
	int fastopen;                    /* [global] tcp_fastopen: toward rem, on lsn's listeners */
	int src_p4, src_p6;              /* a source is its IPv4 /src_p4, its IPv6 /src_p6 */
	char pin[TLS_PIN_STRLEN];        /* the exit's certificate pin, "" without a TLS listener */
};

/*
 * The tunnel settings of a store rule: parses both transport strings,
 * loads certificates (making the self-signed one for servername= on first
 * use) and the trust store. NULL with err when the rule is plain (err "")
 * or wrong (err names the fix).
 */
struct tun_rule *tun_rule_new(const struct store_rule *r, long handshake_ms, long proxy_ms, char *err);
void tun_rule_free(struct tun_rule *t);
/* Does the rule need this module at all (transport or PROXY)? */
int tun_rule_wanted(const struct store_rule *r);
/*
 * What the rule's certificate and key files hold (cert= and key= of a tls
 * listen_transport): their lengths and a hash of their bytes, "" without
 * such files. Part of the rule's fingerprint, so that a reload (SIGHUP)
 * rebuilds a rule whose files changed at the same path: new connections take
 * the new certificate, open ones keep the one they started with.
 */
void tun_rule_files(const struct store_rule *r, char *out, size_t size);
/* For a rule with cert=: its certificate's notAfter (seconds since the
 * epoch, UTC). 1 found, 0 no cert= on this rule, -1 unreadable (err). At
 * load, a certificate ending within TUN_CERT_WARN_DAYS is logged as a warning. */
#define TUN_CERT_WARN_DAYS 14
int tun_rule_cert_expiry(const struct store_rule *r, long long *not_after, char *err);
/* Which listeners a rule opens: PROTO_TCP / PROTO_UDP bits (an exit with a
 * listen_transport carries its UDP inside the TCP tunnel). */
unsigned tun_listen_protos(const struct store_rule *r);
/* The pre-read deadline a new connection of this rule starts with (ms). */
long tun_preread_ms(const struct tun_rule *t);
/* The pin line for `xwpf rule show` and the exit's log: "" when the rule has
 * no TLS listener; else "sha256:HEX". The self-signed certificate of
 * servername= is made here when missing (so the pin shown is the one used). */
int tun_rule_pin(const struct store_rule *r, char out[TLS_PIN_STRLEN], char *err);
/* What the relay side of an exit writes as its remote_transport to reach
 * this listen_transport: the same ws host and path, sni = the servername,
 * and pin (may be ""). buf gets "" when lsn is plain. */
void tun_relay_side(const struct transport *lsn, const char *pin, char *buf, size_t size);
/* The same from a rule's listen_transport (its pin worked out as above):
 * 0 with the text in buf ("" plain), -1 with err. */
int tun_rule_relay_side(const struct store_rule *r, char *buf, size_t size, char *err);

/* --- one end of a tunnel on a socket (tunnel.c) --------------------------- */

/* A server's address as a key (TLS sessions, what is known of an exit):
 * family, port, address into k (TUN_ADDR_KEY bytes at most); its length,
 * 0 for no address. */
#define TUN_ADDR_KEY 20
struct sockaddr;
size_t tun_addr_key(const struct sockaddr *sa, unsigned char *k);

struct tun_end;

enum { TUN_CLIENT, TUN_SERVER };

/* to: a client end's server address (TLS sessions are kept and resumed per
 * address), NULL when there is none to name. */
struct sockaddr;
struct tun_end *tun_end_new(const struct tun_side *s, int server, int udp, const struct sockaddr *to, char *err);
/*
 * Client end of a ws tunnel (the transport's early flag): let the stream's
 * first bytes follow the WebSocket request at once instead of waiting a
 * round trip for the exit's 101. An xwpf exit keeps what follows the
 * request; realm's server drops it, hence a flag. Once data went, a
 * refused upgrade is no longer retried on another remote.
 * tun_end_early: the request is out or queued and the reply not yet read
 * (writes are taken now).
 */
void tun_end_set_early(struct tun_end *e);
int tun_end_early(const struct tun_end *e);
/*
 * Pooled streams (tunnel_pool.h), ws only. Client: tun_end_set_pool before
 * the handshake adds x-xwpf-pool to the request (for an exit known to be
 * xwpf); tun_end_open_frame sends the empty binary frame that opens such
 * a stream once a client takes it (0, or -1). Server: tun_end_pool says
 * the request asked for one. tun_end_peer_xwpf: the exit's 101 said
 * x-xwpf. tun_end_frames: data frames decoded (an empty one counts).
 */
void tun_end_set_pool(struct tun_end *e);
int tun_end_pool(const struct tun_end *e);
int tun_end_peer_xwpf(const struct tun_end *e);
uint64_t tun_end_frames(const struct tun_end *e);
int tun_end_open_frame(struct tun_end *e, int fd);
/* The TLS handshake of this end resumed a session. */
int tun_end_resumed(const struct tun_end *e);
void tun_end_free(struct tun_end *e);
/* Raw bytes written to the socket before anything else (a PROXY header). */
int tun_end_preamble(struct tun_end *e, const void *p, size_t len);
/* Drive the handshake: 1 open, 0 waiting for the socket, -1 failed (tun_end_err). */
int tun_end_handshake(struct tun_end *e, int fd);
int tun_end_open(const struct tun_end *e);
/* Server end: the peer asked for UDP (ALPN or header); client end: asked for it. */
int tun_end_udp(const struct tun_end *e);
/* Like recv/send on the stream inside the tunnel: n, 0 (EOF, read only),
 * -1 with errno EAGAIN (wait for the socket) or EPROTO/ECONNRESET (see tun_end_err). */
ssize_t tun_end_read(struct tun_end *e, int fd, void *buf, size_t len);
ssize_t tun_end_write(struct tun_end *e, int fd, const void *buf, size_t len);
/* The same for a writer with more bytes to come at once: a TLS record that
 * is not full may stay in the engine (tun_end_unflushed) until the next
 * write fills it or tun_end_flush sends it. Bulk data then goes out in full
 * records (a write of 32 KiB plus a WebSocket header is two records, not
 * three). The caller must call tun_end_flush when it runs out of bytes. */
ssize_t tun_end_write_more(struct tun_end *e, int fd, const void *buf, size_t len);
int tun_end_unflushed(const struct tun_end *e);
/* Has the reader bytes (or an end or error) that need no socket read? */
int tun_end_buffered(struct tun_end *e);
/* Push out what is buffered: 0 nothing left, 1 still holding bytes, -1 error. */
int tun_end_flush(struct tun_end *e, int fd);
/* End the stream toward the peer (close frame when final), flush, then
 * shutdown(SHUT_WR): 0 done, 1 still flushing (call again), -1 error. */
int tun_end_shutdown(struct tun_end *e, int fd, int final);
const char *tun_end_err(const struct tun_end *e);
/* "TLS1.2 ECDHE_... ws" for logs. */
const char *tun_end_describe(const struct tun_end *e, char *buf, size_t size);
/* Bytes this end holds (for the memory figure). */
size_t tun_end_size(const struct tun_end *e);
/* For a driver that polls (health checks): bytes wait to go out, so wait
 * for the socket to be writable as well as readable. */
int tun_end_want_write(struct tun_end *e);
/* The TLS half (NULL without tls), to tell why a handshake failed. */
struct tls_conn *tun_end_tls(const struct tun_end *e);
/* Client end: the HTTP status of the exit's reply to the WebSocket request
 * (404 for a wrong path), 0 when none came. */
int tun_end_http_status(const struct tun_end *e);

/* What the relay knows of an exit address: its 101 reply said x-xwpf (1),
 * or did not (0: also for addresses never seen). Shared by the workers. */
void tun_peer_xwpf_set(const struct sockaddr *sa, int yes);
int tun_peer_xwpf(const struct sockaddr *sa);

#endif
