#ifndef XWPF_TRANSPORT_H
#define XWPF_TRANSPORT_H

#include <stddef.h>

/*
 * Transport option strings in realm's syntax (docs/wire.md, realm transports):
 * items split on ';' and trimmed; flags ws, tls, insecure, 0rtt, early (ws
 * client, xwpf only: data follows the request before the 101); keys
 * host=, path= (ws), sni=, alpn=A,B (a list), pin=sha256:HEX (tls client),
 * servername=, cert=, key=, ocsp= (tls server). ws and tls together = wss.
 * 0rtt and ocsp= are read and kept but not used: transport_unused() names them.
 * A relative cert=, key= or ocsp= path is under the TLS folder (PATH_TLS_DIR):
 * t->cert and the others hold the path to open.
 */
enum transport_side { TRANSPORT_CLIENT, TRANSPORT_SERVER };

struct transport {
	int ws, tls, insecure, zero_rtt, early;
	char host[256], path[256];
	char sni[256], alpn[128];    /* comma list, TRANSPORT_ALPN_MAX names */
	char servername[256], cert[256], key[256], ocsp[256];
	int has_pin;
	unsigned char pin[32];     /* SHA-256 of the server's SubjectPublicKeyInfo */
};

/* The file a cert=, key= or ocsp= value names (v itself, or in buf). */
const char *transport_file_path(const char *v, char *buf, size_t size);
/* "" is plain TCP. 0 ok; -1 with a message (ERRLEN) that names the problem. */
int transport_parse(const char *s, enum transport_side side, struct transport *t, char *err);
#define TRANSPORT_ALPN_MAX 8
/* Split t->alpn into names (pointers into buf); the count. */
int transport_alpn_split(const struct transport *t, char *buf, size_t size, const char *names[TRANSPORT_ALPN_MAX]);
/* The items realm knows that xwpf accepts without using ("0rtt, ocsp="), or "" */
const char *transport_unused(const struct transport *t, char *buf, size_t size);

#endif
