#ifndef XWPF_BUNDLE_H
#define XWPF_BUNDLE_H

/*
 * What `xwpf export` packs and `xwpf import` restores: the files of one
 * setup, named by their path relative to the root ("etc/xwpf/xwpf.conf"),
 * the manifest that lists them with SHA-256 sums, the backups an import
 * leaves for `import --undo`, and the reload signal to a running relay.
 *
 * Archive layout (docs/compat.md, xwpf's own export archive):
 *   xwpf-export/MANIFEST
 *   xwpf-export/etc/xwpf/xwpf.conf                  the store
 *   xwpf-export/var/lib/xwpf/health                 health state
 *   xwpf-export/var/lib/xwpf/tls/...                keys (0600) and certificates
 *   xwpf-export/var/lib/xwpf/tls/files/...          those rules named elsewhere
 *   xwpf-export/etc/sysctl.d/90-xwpf-mptcp.conf     MPTCP sysctl settings (an import
 *                                                   writes its own, from the store)
 */
#include <stddef.h>
#include <time.h>

#include "tar.h"

struct store;

#define BUNDLE_DIR "xwpf-export"
#define BUNDLE_FORMAT 1
#define BUNDLE_REL_MAX 256

struct bundle_file {
	char rel[BUNDLE_REL_MAX];
	unsigned mode;
	unsigned char *data;
	size_t len;
};

struct bundle {
	struct bundle_file *v;
	size_t n;
	char **warnings;
	size_t nwarnings;
	/* from a manifest */
	int format;
	char version[64], host[256], time[64];
};

void bundle_free(struct bundle *b);
int bundle_add(struct bundle *b, const char *rel, unsigned mode, const void *data, size_t len, char *err);
const struct bundle_file *bundle_find(const struct bundle *b, const char *rel);

/* rel <-> path under the root (XWPF_ROOT). */
const char *bundle_path(const char *rel, char *buf, size_t size);
int bundle_rel(const char *abs, char *rel, size_t size);
/* The rel names of the store, the health file, the TLS directory, the sysctl file. */
const char *bundle_rel_store(void);
const char *bundle_rel_health(void);
const char *bundle_rel_tls(void);
const char *bundle_rel_sysctl(void);
/* 1 if an archive may restore rel (the files above, TLS files by plain names). */
int bundle_allowed(const char *rel);
/* A file that holds a private key: kept at 0600 whatever the archive says. */
int bundle_is_key(const char *rel, const unsigned char *data, size_t len);

/* Read the current setup; files that do not exist are skipped. */
int bundle_collect(struct bundle *b, char *err);
/* Certificates, keys and OCSP files that rules name outside the TLS folder:
 * packed under TLS/files/ (keys 0600) and the archive's store rewritten to
 * name them relatively (cert=files/NAME), which the relay resolves under the
 * TLS folder of whatever host imports it. The store on disk is untouched.
 * A file that cannot be read is left out with a warning. */
int bundle_pack_external(struct bundle *b, char *err);
/* The manifest text (malloc'ed, NUL terminated). */
char *bundle_manifest(const struct bundle *b, const char *host, time_t t);
/* Check an archive's manifest against its files and take the files. */
int bundle_from_archive(const struct tar_archive *a, struct bundle *b, char *err);
void bundle_sha256_hex(const void *p, size_t n, char out[65]);

/* Backups: copy the current versions of rels into BACKUP_DIR/<stamp>/.
 * dir_out gets the directory. */
int bundle_backup(const char *const *rels, size_t n, char *dir_out, size_t size, char *err);
/* Newest backup not yet undone; -1 (errno ENOENT) if none. */
int bundle_latest_backup(char *dir, size_t size);
/* What a backup holds: files to restore, and rels that did not exist (in absent). */
int bundle_backup_read(const char *dir, struct bundle *files, struct bundle *absent, char *err);
/* Put the files of a backup back (store last), remove files that were absent,
 * and mark the backup as undone. */
int bundle_restore(const char *dir, char *err);
/* An xwpf export's files made safe to write, given the archive's store (st,
 * parsed and valid): nothing the system runs or applies as root is copied
 * from an archive. The MPTCP sysctl file (applied at boot) is written from
 * st's [mptcp] section the way 'xwpf mptcp enable/disable' writes it (left
 * out when [mptcp] does not set enabled); the health state is kept only as
 * the lines xwpf writes (read and formatted again; left out if unreadable).
 * What was changed or left out is said in b->warnings. -1 with err. */
int bundle_import_regen(struct bundle *b, const struct store *st, char *err);
/* Write the files of b (store last, atomically each). */
int bundle_write(const struct bundle *b, char *err);

/* SIGHUP to the relay in the pidfile, checked by relay_signal (pidlock.h):
 * 1 signalled, 0 none running, -1 not signalled: an error or a stale pidfile (msg). */
int bundle_reload_relay(char *msg, size_t size);

#endif
