/*
 * tlsfiles: TLS keys, certificates and trust anchors read from their files
 * for the TLS codec (tlsfiles.h).
 */
#include "tlsfiles.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "pidlock.h"
#include "util.h"

#define ERR(...) do { if (err) snprintf(err, ERRLEN, __VA_ARGS__); } while (0)

/* The bytes of path (NUL-terminated, free them), or NULL with err. */
static char *
read_all(const char *path, size_t *len, char *err)
{
	char *buf = file_read(path, len);

	if (!buf)
		ERR("cannot read %s: %s", path, strerror(errno));
	return buf;
}

int
tlsf_creds_load(struct tls_creds *cr, const char *cert_path, const char *key_path, char *err)
{
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	int rc = -1;

	memset(cr, 0, sizeof(*cr));
	if ((cert = read_all(cert_path, &clen, err)) && (key = read_all(key_path, &klen, err)))
		rc = tls_creds_parse(cr, cert, clen, cert_path, key, klen, key_path, err);
	if (key)
		memset(key, 0, klen);
	free(key);
	free(cert);
	return rc;
}

int
tlsf_pin_file(const char *path, char out[TLS_PIN_STRLEN], char *err)
{
	size_t len;
	char *pem = read_all(path, &len, err);
	int rc = pem ? tls_pin_pem(pem, len, path, out, err) : -1;

	free(pem);
	return rc;
}

int
tlsf_not_after_file(const char *path, long long *not_after, char *err)
{
	size_t len;
	char *pem = read_all(path, &len, err);
	int rc = pem ? tls_not_after_pem(pem, len, path, not_after, err) : -1;

	free(pem);
	return rc;
}

/* The anchors of one file; err NULL: problems are skipped. */
static int
anchors_file(struct tls_anchors *a, const char *path, char *err)
{
	size_t len;
	char *pem = read_all(path, &len, err);
	int rc = pem ? tls_anchors_add(a, pem, len, path, err) : -1;

	free(pem);
	return rc;
}

int
tlsf_anchors_load(struct tls_anchors *a, const char *path, char *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char p[4096];

	memset(a, 0, sizeof(*a));
	if (stat(path, &st) < 0) {
		ERR("trust store %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (anchors_file(a, path, err) < 0) {
			tls_anchors_free(a);
			return -1;
		}
	} else {
		/* Debian's bundle holds the whole store; else every *.pem / *.crt */
		snprintf(p, sizeof(p), "%s/ca-certificates.crt", path);
		if (access(p, R_OK) == 0)
			anchors_file(a, p, NULL);
		else if ((d = opendir(path))) {
			while ((e = readdir(d))) {
				size_t l = strlen(e->d_name);

				if (l < 5 || (strcmp(e->d_name + l - 4, ".pem") && strcmp(e->d_name + l - 4, ".crt")))
					continue;
				snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
				anchors_file(a, p, NULL);
			}
			closedir(d);
		}
	}
	if (a->n == 0) {
		ERR("no usable CA certificate in %s (install ca-certificates, or use pin= or insecure)", path);
		tls_anchors_free(a);
		return -1;
	}
	return 0;
}

int
tlsf_selfsigned_make(const char *name, const char *cert_path, const char *key_path,
    long long not_before, long long not_after, char *err)
{
	char *cert, *key, why[ERRLEN];
	size_t clen, klen;
	int rc;

	if (tls_selfsigned_pem(name, not_before, not_after, &cert, &clen, &key, &klen, err) < 0)
		return -1;
	rc = file_write_atomic_err(key_path, key, klen, 0600, why);
	if (rc == 0)
		rc = file_write_atomic_err(cert_path, cert, clen, 0644, why);
	if (rc < 0)
		ERR("%s", why);
	memset(key, 0, klen);
	free(key);
	free(cert);
	return rc;
}

int
tlsf_selfsigned(const char *name, char *cert_path, char *key_path, size_t size, char *err)
{
	const char *dir = path_get(PATH_TLS_DIR);
	char safe[256], lock[4096], why[ERRLEN];
	size_t i;
	int fd, rc;
	long long now;

	if (!*name || strlen(name) >= sizeof(safe)) {
		ERR("servername '%s' is empty or too long", name);
		return -1;
	}
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == ':' || c == '*' || (c == '.' && i > 0))) {
			ERR("servername '%s' is not a host name or IP address", name);
			return -1;
		}
		safe[i] = c == '*' ? '_' : c;     /* a wildcard name, kept in a plain file name */
	}
	safe[i] = '\0';
	snprintf(cert_path, size, "%s/%s.crt", dir, safe);
	snprintf(key_path, size, "%s/%s.key", dir, safe);
	if (access(cert_path, F_OK) == 0 && access(key_path, F_OK) == 0)
		return 0;
	if (dir_own(path_get(PATH_STATE_DIR), 0700, why) < 0 || dir_own(dir, 0700, why) < 0) {
		ERR("%s", why);
		return -1;
	}
	snprintf(lock, sizeof(lock), "%s/.lock", dir);
	if ((fd = lock_take(lock, LOCK_WAIT_MS, why)) < 0) {
		ERR("%s", why);
		return -1;
	}
	/* another process may have made them while we waited */
	if (access(cert_path, F_OK) == 0 && access(key_path, F_OK) == 0)
		rc = 0;
	else {
		now = (long long)time(NULL);
		rc = tlsf_selfsigned_make(name, cert_path, key_path, now - 3600, now - 3600 + 3650LL * 86400, err);
		rc = rc < 0 ? -1 : 1;
	}
	close(fd);
	return rc;
}

struct tls_server *
tlsf_server(const struct transport *t, char *err)
{
	struct tls_creds cr;
	struct tls_server *s;
	char cert[4096], key[4096];

	if (*t->cert) {
		if (tlsf_creds_load(&cr, t->cert, t->key, err) < 0)
			return NULL;
	} else {
		if (tlsf_selfsigned(t->servername, cert, key, sizeof(cert), err) < 0)
			return NULL;
		if (tlsf_creds_load(&cr, cert, key, err) < 0) {
			char e2[ERRLEN];

			snprintf(e2, sizeof(e2), "%s (the self-signed files for servername=%s are damaged: "
			    "delete %s and %s to make new ones; the pin will change)", err, t->servername, cert, key);
			ERR("%s", e2);
			return NULL;
		}
	}
	if (!(s = tls_server_new(&cr, err)))
		tls_creds_free(&cr);
	return s;
}

/* The system store is loaded once and shared by every client setting. */
static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char path[4096];
	struct tls_anchors a;
	int refs;
} sys_store;

/* The shared system store at path: 1 taken (*a), 0 another path is loaded, -1 err. */
static int
sys_store_take(const char *path, const struct tls_anchors **a, char *err)
{
	int rc = 0;

	pthread_mutex_lock(&store_mu);
	if (sys_store.refs && strcmp(sys_store.path, path) == 0) {
		sys_store.refs++;
		rc = 1;
	} else if (!sys_store.refs) {
		if (tlsf_anchors_load(&sys_store.a, path, err) == 0) {
			snprintf(sys_store.path, sizeof(sys_store.path), "%s", path);
			sys_store.refs = 1;
			rc = 1;
		} else
			rc = -1;
	}
	pthread_mutex_unlock(&store_mu);
	if (rc == 1)
		*a = &sys_store.a;
	return rc;
}

/* Give back anchors a client was made with: the shared store's reference, or its own copy. */
static void
anchors_put(const struct tls_anchors *a)
{
	if (a == &sys_store.a) {
		pthread_mutex_lock(&store_mu);
		if (--sys_store.refs == 0)
			tls_anchors_free(&sys_store.a);
		pthread_mutex_unlock(&store_mu);
	} else if (a) {
		struct tls_anchors *own = (struct tls_anchors *)(uintptr_t)a;   /* made by tlsf_client */

		tls_anchors_free(own);
		free(own);
	}
}

struct tls_client *
tlsf_client(const struct transport *t, const char *ca_path, char *err)
{
	struct tls_client_conf cf = { t->sni, t->alpn, t->insecure, t->has_pin ? t->pin : NULL, NULL };
	struct tls_anchors *own = NULL;
	struct tls_client *c;
	char rooted[4096];
	int shared = 0;

	if (!cf.insecure && !cf.pin) {
		if (!ca_path) {
			/* the store under the root when the root holds one, else the system's */
			ca_path = tlsf_system_store(rooted, sizeof(rooted));
			if ((shared = sys_store_take(ca_path, &cf.anchors, err)) < 0)
				return NULL;
		}
		if (!shared) {
			if (!(own = calloc(1, sizeof(*own)))) {
				ERR("out of memory");
				return NULL;
			}
			if (tlsf_anchors_load(own, ca_path, err) < 0) {
				free(own);
				return NULL;
			}
			cf.anchors = own;
		}
	}
	if (!(c = tls_client_new(&cf, err))) {
		if (own) {
			tls_anchors_free(own);
			free(own);
		} else if (shared)
			anchors_put(cf.anchors);
	}
	return c;
}

void
tlsf_client_free(struct tls_client *c)
{
	if (!c)
		return;
	anchors_put(tls_client_anchors(c));
	tls_client_free(c);
}

const char *
tlsf_system_store(char *buf, size_t size)
{
	path_rooted("/etc/ssl/certs", buf, (unsigned)size);
	if (access(buf, F_OK) != 0)
		snprintf(buf, size, "/etc/ssl/certs");
	return buf;
}
