/*
 * xwPF's config directory as it is installed (/etc/realm): the rule files
 * under rules/, read like those of an archive, so a machine that still runs
 * xwPF migrates without an export first.
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define DIR_MAX_FILES 4096

struct dfiles {
	struct mig_file *v;
	char **names;
	char **texts;
	size_t n;
};

static void
dfiles_free(struct dfiles *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->texts[i]);
	}
	free(f->v);
	free(f->names);
	free(f->texts);
}

/* A regular file (not a link) of at most MIG_MAX_INPUT bytes: its text, or NULL. */
static char *
read_plain(const char *path, size_t *len, char *err)
{
	struct stat sb;
	char *t;

	if (lstat(path, &sb) < 0) {
		snprintf(err, ERRLEN, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)MIG_MAX_INPUT) {
		snprintf(err, ERRLEN, "%s: %s", path, !S_ISREG(sb.st_mode) ? "not a regular file" :
		    "larger than 4 MiB");
		return NULL;
	}
	if (!(t = file_read(path, len)))
		snprintf(err, ERRLEN, "%s: %s", path, strerror(errno));
	else if (memchr(t, '\0', *len)) {
		snprintf(err, ERRLEN, "%s: holds a NUL byte", path);
		free(t);
		return NULL;
	}
	return t;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct mig_file *)a)->name, ((const struct mig_file *)b)->name);
}

static int
rule_file_name(const char *n)
{
	size_t l = strlen(n);

	return strncmp(n, "rule-", 5) == 0 && l > 10 && strcmp(n + l - 5, ".conf") == 0;
}

static int
collect(const char *dir, struct dfiles *f, char *err)
{
	char path[4200];
	struct dirent *de;
	DIR *d;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/rules", dir);
	if (!(d = opendir(path))) {
		snprintf(err, ERRLEN, "%s: %s (an xwPF config directory holds rules/rule-N.conf)", path,
		    strerror(errno));
		return -1;
	}
	f->v = calloc(DIR_MAX_FILES, sizeof(*f->v));
	f->names = calloc(DIR_MAX_FILES, sizeof(*f->names));
	f->texts = calloc(DIR_MAX_FILES, sizeof(*f->texts));
	if (!f->v || !f->names || !f->texts) {
		snprintf(err, ERRLEN, "out of memory");
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = 0;

		if (!rule_file_name(de->d_name))
			continue;
		if (f->n >= DIR_MAX_FILES) {
			snprintf(err, ERRLEN, "%s: more than %d rule files", path, DIR_MAX_FILES);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/rules/%s", dir, de->d_name);
		if (!(f->texts[f->n] = read_plain(path, &len, err)))
			goto out;
		if (asprintf(&f->names[f->n], "rules/%s", de->d_name) < 0) {
			f->names[f->n] = NULL;
			free(f->texts[f->n]);
			snprintf(err, ERRLEN, "out of memory");
			goto out;
		}
		f->v[f->n].name = f->names[f->n];
		f->v[f->n].text = f->texts[f->n];
		f->v[f->n].len = len;
		f->n++;
	}
	qsort(f->v, f->n, sizeof(*f->v), cmp_name);
	rc = 0;
out:
	closedir(d);
	return rc;
}

int
mig_xwpf_dir(const char *dir, struct mig_result *m, char *err)
{
	struct dfiles f = { 0 };
	struct mig_file ep = { "mptcp_endpoints.conf", NULL, 0 };
	char path[4200], *eptext = NULL;
	struct stat sb;
	int rc = -1;

	if (collect(dir, &f, err) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/mptcp_endpoints.conf", dir);
	if (lstat(path, &sb) == 0 && !(eptext = read_plain(path, &ep.len, err)))
		goto out;
	ep.text = eptext;
	if (!f.n && !eptext) {
		snprintf(err, ERRLEN, "%s/rules holds no rule-N.conf: nothing to import", dir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/manager.conf", dir);
	if (lstat(path, &sb) == 0)
		mig_warn(m, "manager.conf is the script's own state; not imported");
	rc = mig_xwpf(f.v, f.n, eptext ? &ep : NULL, NULL, m, err);
out:
	free(eptext);
	dfiles_free(&f);
	return rc;
}
