#ifndef XWPF_TLSFILES_H
#define XWPF_TLSFILES_H

/*
 * tlsfiles: the TLS material a transport string names, read from where it
 * lives and handed to the TLS codec (lib/proto/tls.h) as bytes: cert= and
 * key= files, the self-signed pair behind servername= (made once under
 * path_get(PATH_TLS_DIR), reused so its pin survives restarts), and the
 * system trust store (/etc/ssl/certs, under the root when that holds one),
 * loaded once and shared by every client setting that uses it.
 *
 * Nothing here prints or exits; errors fill err (ERRLEN) naming the file.
 */
#include <stddef.h>

#include "tls.h"
#include "transport.h"

/* A PEM (or DER) chain and its key from two files. 0, or -1 with err. */
int tlsf_creds_load(struct tls_creds *cr, const char *cert_path, const char *key_path, char *err);
/* The pin / notAfter of the first certificate of a file. 0, or -1 with err. */
int tlsf_pin_file(const char *path, char out[TLS_PIN_STRLEN], char *err);
int tlsf_not_after_file(const char *path, long long *not_after, char *err);
/* Trust anchors from a PEM file or a folder of them (its ca-certificates.crt,
 * else every *.pem and *.crt). 0, or -1 with err when none is usable. */
int tlsf_anchors_load(struct tls_anchors *a, const char *path, char *err);
/* The system trust store's folder: /etc/ssl/certs under the root when the
 * root holds one, else the system's. Returns buf. */
const char *tlsf_system_store(char *buf, size_t size);

/*
 * The self-signed certificate for servername=NAME: NAME.crt and NAME.key
 * under path_get(PATH_TLS_DIR) (folder 0700, key 0600), made on first use
 * with a fresh P-256 key, valid from an hour ago for 10 years, and reused
 * afterwards. The paths are returned (size bytes each). 1 made, 0 reused, -1 error.
 */
int tlsf_selfsigned(const char *name, char *cert_path, char *key_path, size_t size, char *err);
/* The same minted into explicit paths with an explicit validity (the key
 * file first, 0600; the certificate 0644). 0, or -1 with err. */
int tlsf_selfsigned_make(const char *name, const char *cert_path, const char *key_path,
    long long not_before, long long not_after, char *err);

/* The exit side of a transport: cert=/key=, or the self-signed certificate
 * for servername=. err says which file or setting is wrong. */
struct tls_server *tlsf_server(const struct transport *t, char *err);
/* The relay side: sni, alpn, pin= or insecure as t says, else the CA
 * certificates of ca_path (NULL: the system store). Free with tlsf_client_free. */
struct tls_client *tlsf_client(const struct transport *t, const char *ca_path, char *err);
void tlsf_client_free(struct tls_client *c);

#endif
