#ifndef XWPF_TLS_H
#define XWPF_TLS_H

/*
 * TLS 1.2 on BearSSL for the tunnels: server and client settings, one engine
 * per connection half, and a non-blocking pump modelled on BearSSL's
 * tools/sslio.c. Only the suites listed in tls.c are linked: ECDHE with
 * ECDSA or RSA certificates, AES-GCM and ChaCha20-Poly1305 (AES first when
 * the CPU has AES instructions).
 *
 * Certificates (tlscert.c): PEM chains and RSA/EC keys, trust anchors, the
 * self-signed EC P-256 certificate behind servername=, and the pin string
 * sha256:HEX of a certificate's SubjectPublicKeyInfo.
 *
 * A codec: keys, certificates, pins and anchors come in as bytes or parsed
 * objects; which files hold them, and the trust store's folder, are the
 * caller's (lib/relay/tlsfiles.h). A name given with bytes (the file they
 * came from) only goes into messages. Nothing here prints or exits; errors
 * fill err (ERRLEN).
 */
#include <bearssl.h>
#include <stddef.h>

#define TLS_PIN_STRLEN  (7 + 64 + 1)    /* "sha256:" + 64 hex + NUL */
#define TLS_ALPN_MAX 8                   /* protocol names a client offers */

/* --- certificates and keys (tlscert.c) ----------------------------------- */

struct tls_creds {
	br_x509_certificate *chain;     /* end entity first */
	size_t chain_len;
	int key_type;                   /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *keybuf;
	char pin[TLS_PIN_STRLEN];       /* of the end-entity certificate */
};

/* A PEM (or DER) chain and its key from their bytes (cert_name and key_name
 * name them in messages: "cert=NAME holds no CERTIFICATE block"); the key
 * must match the first certificate. 0, or -1 with err. */
int tls_creds_parse(struct tls_creds *cr, const void *cert, size_t cert_len, const char *cert_name,
    const void *key, size_t key_len, const char *key_name, char *err);
void tls_creds_free(struct tls_creds *cr);

/*
 * A self-signed certificate for NAME (a host name, or an IP literal as an
 * iPAddress SAN) with a fresh P-256 key, SAN = NAME, valid from not_before to
 * not_after (seconds since the epoch): both as PEM text, malloc'd and
 * NUL-terminated (clear and free the key's). 0, or -1 with err.
 */
int tls_selfsigned_pem(const char *name, long long not_before, long long not_after, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, char *err);

/* The notAfter of a DER certificate, in seconds since the epoch (UTC). 0 or -1. */
int tls_cert_not_after(const unsigned char *der, size_t len, long long *not_after);
/* The same for the first certificate of PEM (or DER) data. 0 or -1 with err. */
int tls_not_after_pem(const void *pem, size_t len, const char *name, long long *not_after, char *err);

/* "sha256:HEX" of the SubjectPublicKeyInfo of a DER certificate. 0 or -1. */
int tls_pin_der(const unsigned char *der, size_t len, char out[TLS_PIN_STRLEN]);
/* The same for the first certificate of PEM (or DER) data. 0 or -1 with err. */
int tls_pin_pem(const void *pem, size_t len, const char *name, char out[TLS_PIN_STRLEN], char *err);
/* The raw 32 bytes of the SPKI hash. 0 or -1. */
int tls_spki_sha256(const unsigned char *der, size_t len, unsigned char out[32]);
void tls_pin_format(const unsigned char hash[32], char out[TLS_PIN_STRLEN]);
/* Does the certificate carry this address (4 or 16 bytes) as an iPAddress SAN? */
int tls_cert_has_ip(const unsigned char *der, size_t len, const unsigned char *ip, size_t iplen);

struct tls_anchors {
	br_x509_trust_anchor *v;
	size_t n, cap;
};
/* Add the CA certificates of PEM data (what BearSSL cannot decode is
 * skipped; a zeroed a starts empty). 0, or -1 with err when the data is not PEM. */
int tls_anchors_add(struct tls_anchors *a, const void *pem, size_t len, const char *name, char *err);
void tls_anchors_free(struct tls_anchors *a);

/* --- settings shared by the connections of one transport (tls.c) ---------- */

struct tls_server;   /* certificate, key, session cache */
struct tls_client;   /* sni, verification (trust store, pin or insecure), session */

/* The exit side, with a certificate chain and key: takes *cr over (and zeroes it). */
struct tls_server *tls_server_new(struct tls_creds *cr, char *err);
void tls_server_free(struct tls_server *s);
/* "sha256:HEX" of the certificate in use: for the exit's log and rule show. */
const char *tls_server_pin(const struct tls_server *s);

/* The relay side: verify the server's chain against anchors with the sni
 * name, or check its key against pin, or nothing with insecure. */
struct tls_client_conf {
	const char *sni;                     /* the name sent and checked */
	const char *alpn;                    /* NULL or "": none offered; else a comma list */
	int insecure;
	const unsigned char *pin;            /* 32 bytes (SHA-256 of the SPKI), or NULL */
	const struct tls_anchors *anchors;   /* without pin or insecure; the caller's, kept until tls_client_free */
};
struct tls_client *tls_client_new(const struct tls_client_conf *cf, char *err);
/* The anchors the client checks with (NULL with pin or insecure). */
const struct tls_anchors *tls_client_anchors(const struct tls_client *c);
void tls_client_free(struct tls_client *c);

/* --- one TLS half ---------------------------------------------------------- */

struct tls_conn;

/* out_size 0: full 16 KiB records out; smaller (>= 1024) saves memory per connection. */
struct tls_conn *tls_conn_server(struct tls_server *s, size_t out_size, char *err);
/* key names the server (its address, at most TLS_SESSION_KEY_MAX bytes):
 * a client keeps the last session of each of its TLS_SESSIONS servers used
 * last and offers it again to the same key (session-ID resumption: one
 * round trip and no certificate or key exchange). */
#define TLS_SESSIONS        16
#define TLS_SESSION_KEY_MAX 32
struct tls_conn *tls_conn_client(struct tls_client *c, const void *key, size_t key_len, size_t out_size, char *err);
void tls_conn_free(struct tls_conn *c);

enum { TLS_WANT_READ = 1, TLS_WANT_WRITE = 2 };
enum { TLS_ERR = -1, TLS_OK = 0, TLS_EOF = 1 };

/*
 * The pump: the one function here that touches a socket. Moves records
 * between the non-blocking fd and the engine, in the order sendrec, recvrec,
 * re-reading the engine state after each step, until nothing moves without
 * waiting; the plaintext is the caller's (tls_recvapp, and the engine's
 * sendapp buffer through tls_engine). Then *want holds the fd events to wait
 * for (TLS_WANT_READ/WRITE; 0 when only the application can unblock it).
 * Returns TLS_OK, TLS_EOF (the peer closed: close_notify or TCP EOF after
 * the handshake; all received data already handed over) or TLS_ERR (err
 * says why, naming the fix where there is one).
 */
int tls_pump(struct tls_conn *c, int fd, unsigned *want, char *err);

/*
 * The write side only: send the records the engine holds until they are out
 * or the socket is full (TLS_OK either way: tls_state tells), without the
 * recv that tls_pump tries too. For a writer that knows nothing is due in
 * (one syscall less per record); reading stays with tls_pump. TLS_EOF when
 * the engine is closed, TLS_ERR with err.
 */
int tls_pump_out(struct tls_conn *c, int fd, char *err);

/* Engine state without a socket: BR_SSL_* bits of br_ssl_engine_current_state. */
unsigned tls_state(struct tls_conn *c);
br_ssl_engine_context *tls_engine(struct tls_conn *c);
/* The handshake is over (application data may flow). */
int tls_ready(const struct tls_conn *c);
/* Zero-copy access to the plaintext received (NULL if none). */
unsigned char *tls_recvapp(struct tls_conn *c, size_t *len);
void tls_recvapp_ack(struct tls_conn *c, size_t n);
/* "TLS1.2 ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" after the handshake; "resumed" appended. */
const char *tls_describe(const struct tls_conn *c, char *buf, size_t size);
/* The handshake resumed a session (either side). */
int tls_resumed(const struct tls_conn *c);
/* The peer certificate's pin as seen in the handshake (client side), also
 * after a refused handshake (the key the server showed, "" if none came): a
 * health check names the pin it got. */
const char *tls_seen_pin(const struct tls_conn *c, char out[TLS_PIN_STRLEN]);
/* The engine's last error (BR_ERR_*, 0 none). */
int tls_last_error(const struct tls_conn *c);
/* Bytes allocated for one connection (for the memory figure). */
size_t tls_conn_size(const struct tls_conn *c);

#endif
