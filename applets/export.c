/*
 * export: the whole setup in one .tar.gz (lib/migrate/bundle.h lists what).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "bundle.h"
#include "paths.h"
#include "tar.h"
#include "util.h"

const char export_usage[] =
    "usage: xwpf export [FILE | -]\n"
    "\n"
    "Write the store, TLS keys and certificates, health state and MPTCP\n"
    "settings into one .tar.gz with a manifest of SHA-256 sums. Certificates and\n"
    "keys that rules name outside /var/lib/xwpf/tls come along too: the archive's\n"
    "store names them under files/ in the TLS folder. FILE defaults\n"
    "to xwpf-export-YYYYmmdd-HHMMSS.tar.gz in the current directory; '-' writes\n"
    "to standard output. The archive holds private keys: it is written 0600.\n"
    "Restore it on any host with: xwpf import FILE\n"
    "\n"
    "Exit codes: 0 ok, 1 failure, 2 usage.\n";

/* Add every directory above rel once (tar xzf makes them anyway; listing them keeps modes). */
static int
add_dirs(struct tar_writer *w, char seen[][BUNDLE_REL_MAX], size_t *nseen, const char *rel, time_t t, char *err)
{
	char dir[BUNDLE_REL_MAX + 16], *p;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/%s", BUNDLE_DIR, rel);
	for (p = strchr(dir, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		for (i = 0; i < *nseen; i++)
			if (strcmp(seen[i], dir) == 0)
				break;
		if (i == *nseen && *nseen < 64) {
			unsigned mode = strncmp(dir + strlen(BUNDLE_DIR) + 1, bundle_rel_tls(),
			    strlen(bundle_rel_tls())) == 0 && strlen(dir) >= strlen(BUNDLE_DIR) + 1 +
			    strlen(bundle_rel_tls()) ? 0700 : 0755;
			snprintf(seen[(*nseen)++], BUNDLE_REL_MAX, "%s", dir);
			if (tar_add_dir(w, dir, mode, t, err) < 0)
				return -1;
		}
		*p = '/';
	}
	return 0;
}

int
export_main(int argc, char **argv)
{
	struct bundle b = { 0 };
	struct tar_writer w = { 0 };
	char err[ERRLEN], host[256] = "", name[PATH_MAX], sz[32], arcname[BUNDLE_REL_MAX + 16];
	static char seen[64][BUNDLE_REL_MAX];
	size_t nseen = 0, i, outlen = 0;
	unsigned char *out = NULL;
	char *manifest = NULL;
	const char *file = NULL;
	time_t t = time(NULL);
	int rc = EXIT_FAIL;

	for (i = 1; i < (size_t)argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option %s\n%s", applet_name, argv[i], export_usage);
			return EXIT_USAGE;
		}
		if (file) {
			fprintf(stderr, "%s: one output file only\n%s", applet_name, export_usage);
			return EXIT_USAGE;
		}
		file = argv[i];
	}
	if (file && strcmp(file, "-") == 0 && isatty(STDOUT_FILENO)) {   /* gzip and private keys on a screen */
		fprintf(stderr, "%s: standard output is a terminal: redirect it (%s) "
		    "or give a FILE; nothing was written\n", applet_name, XCMD("export - > FILE.tar.gz"));
		return EXIT_USAGE;
	}
	if (!file) {
		struct tm tm;
		char stamp[32];

		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(name, sizeof(name), "xwpf-export-%s.tar.gz", stamp);
		file = name;
	}
	if (bundle_collect(&b, err) < 0 || bundle_pack_external(&b, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		goto out;
	}
	for (i = 0; i < b.nwarnings; i++)
		fprintf(stderr, "%s: warning: %s\n", applet_name, b.warnings[i]);
	gethostname(host, sizeof(host) - 1);
	if (!(manifest = bundle_manifest(&b, *host ? host : "unknown", t))) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		goto out;
	}
	if (tar_add_dir(&w, BUNDLE_DIR, 0755, t, err) < 0 ||
	    tar_add_file(&w, BUNDLE_DIR "/MANIFEST", 0644, t, manifest, strlen(manifest), err) < 0)
		goto tarfail;
	snprintf(seen[nseen++], BUNDLE_REL_MAX, "%s", BUNDLE_DIR);
	for (i = 0; i < b.n; i++) {
		snprintf(arcname, sizeof(arcname), "%s/%s", BUNDLE_DIR, b.v[i].rel);
		if (add_dirs(&w, seen, &nseen, b.v[i].rel, t, err) < 0 ||
		    tar_add_file(&w, arcname, b.v[i].mode, t, b.v[i].data, b.v[i].len, err) < 0)
			goto tarfail;
	}
	if (tar_finish_gz(&w, &out, &outlen, err) < 0)
		goto tarfail;
	if (strcmp(file, "-") == 0) {
		if (write_all(STDOUT_FILENO, out, outlen) < 0) {
			fprintf(stderr, "%s: cannot write to standard output: %s\n", applet_name, strerror(errno));
			goto out;
		}
	} else if (file_write_atomic_err(file, out, outlen, 0600, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		goto out;
	}
	fprintf(strcmp(file, "-") == 0 ? stderr : stdout, "%s: %zu file%s, %s (%zu bytes)\n",
	    strcmp(file, "-") == 0 ? "stdout" : file, b.n, b.n == 1 ? "" : "s",
	    fmt_bytes(sz, sizeof(sz), outlen), outlen);
	if (b.n == 0)
		fprintf(stderr, "%s: warning: nothing to export yet (no store under %s)\n", applet_name,
		    path_get(PATH_CONF_DIR));
	rc = EXIT_OK;
	goto out;
tarfail:
	tar_writer_free(&w);
	fprintf(stderr, "%s: %s\n", applet_name, err);
out:
	free(out);
	free(manifest);
	bundle_free(&b);
	return rc;
}
