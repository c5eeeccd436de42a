#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *const rel[PATH_COUNT] = {
	[PATH_ROOT] = "",
	[PATH_CONF_DIR] = "/etc/xwpf",
	[PATH_CONF] = "/etc/xwpf/xwpf.conf",
	[PATH_CONF_BAK] = "/etc/xwpf/xwpf.conf.bak",
	[PATH_CONF_LOCK] = "/etc/xwpf/.xwpf.conf.lock",
	[PATH_STATE_DIR] = "/var/lib/xwpf",
	[PATH_HEALTH] = "/var/lib/xwpf/health",
	[PATH_LEDGER] = "/var/lib/xwpf/ledger",
	[PATH_TLS_DIR] = "/var/lib/xwpf/tls",
	[PATH_BACKUP_DIR] = "/var/lib/xwpf/backup",
	[PATH_RUN_DIR] = "/run/xwpf",
	[PATH_PIDFILE] = "/run/xwpf/relay.pid",
	[PATH_RELAY_LOCK] = "/run/xwpf/relay.lock",
	[PATH_STATS] = "/run/xwpf/stats",
	[PATH_CONTROL] = "/run/xwpf/relay.sock",
	[PATH_LOG] = "/var/log/xwpf.log",
};

static char cache[PATH_COUNT][PATH_MAX];
static char root_dir[PATH_MAX];   /* "" = the real / */
static int cached;

/* install.sh --user: the state folder belongs to the service user the relay
 * runs as, and root's writes must leave xwpf's files usable by it
 * (file_trust_owner). Believed only from marks that only root can make:
 * the config folder is root's with the user's group and mode 0750 (so the
 * relay may read the store), and the folder above the state folder
 * (/var/lib) is root's and no one else may write there. A state folder of
 * another user without them is refused as before. */
static void
trust_service_user(void)
{
	char parent[PATH_MAX], *slash;
	struct stat st, up, conf;

	file_trust_owner((uid_t)-1, (gid_t)-1);
	if (geteuid() != 0 || lstat(cache[PATH_STATE_DIR], &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid == 0)
		return;
	if (lstat(cache[PATH_CONF_DIR], &conf) < 0 || !S_ISDIR(conf.st_mode) || conf.st_uid != 0 ||
	    conf.st_gid != st.st_gid || (conf.st_mode & 07777) != 0750)
		return;
	snprintf(parent, sizeof(parent), "%s", cache[PATH_STATE_DIR]);
	if (!(slash = strrchr(parent, '/')) || slash == parent)
		return;
	*slash = '\0';
	if (stat(parent, &up) < 0 || up.st_uid != 0 || (up.st_mode & 022))
		return;
	file_trust_owner(st.st_uid, st.st_gid);
}

static const char *
root(void)
{
	return root_dir;
}

char *
path_log_file(const char *v, char *out, size_t size)
{
	if (str_ieq(v, "yes") || str_ieq(v, "true") || str_ieq(v, "on"))
		snprintf(out, size, "%s", path_get(PATH_LOG));
	else if (!*v || str_ieq(v, "no") || str_ieq(v, "false") || str_ieq(v, "off"))
		*out = '\0';
	else
		path_rooted(v, out, (unsigned)size);
	return out;
}

char *
path_cmd(char *buf, size_t size, const char *args)
{
	const char *r = root(), *p;
	size_t off;
	int plain = 1;

	if (!*r) {
		snprintf(buf, size, "xwpf %s", args);
		return buf;
	}
	for (p = r; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@,=%", *p))
			plain = 0;
	if (plain) {
		snprintf(buf, size, "xwpf --root %s %s", r, args);
		return buf;
	}
	if (!strpbrk(r, "$`\\\"!")) {   /* spaces and the like: in double quotes */
		snprintf(buf, size, "xwpf --root \"%s\" %s", r, args);
		return buf;
	}
	snprintf(buf, size, "xwpf --root '");
	for (p = r, off = strlen(buf); *p && off + 5 < size; p++) {
		if (*p == '\'') {   /* ' closes, \' is one, ' opens again */
			memcpy(buf + off, "'\\''", 4);
			off += 4;
		} else
			buf[off++] = *p;
	}
	buf[off] = '\0';
	snprintf(buf + off, size - off, "' %s", args);
	return buf;
}

char *
path_cmdf(char *buf, size_t size, const char *fmt, ...)
{
	char args[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return path_cmd(buf, size, args);
}

int
paths_set_root(const char *dir)
{
	cached = 0;
	if (str_copy(root_dir, sizeof(root_dir), dir ? dir : "") < 0) {
		root_dir[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

const char *
path_get(enum path_id id)
{
	int i;

	if (!cached) {
		const char *r = root();
		size_t n = strlen(r);

		while (n > 1 && r[n - 1] == '/')   /* "dir/" and "dir" are the same root */
			n--;
		if (n == 1 && r[0] == '/')
			n = 0;
		for (i = 0; i < PATH_COUNT; i++)
			snprintf(cache[i], sizeof(cache[i]), "%.*s%s", (int)n, r, rel[i]);
		if (n == 0)
			strcpy(cache[PATH_ROOT], "/");
		cached = 1;
		trust_service_user();
	}
	return cache[id];
}

const char *
path_rooted(const char *abs, char *buf, unsigned size)
{
	const char *r = root();

	if (!*r || abs[0] != '/')
		snprintf(buf, size, "%s", abs);
	else
		snprintf(buf, size, "%s%s", r, abs);
	return buf;
}

int
path_relay_pid_read(long *pid)
{
	char *s = file_read_flags(path_get(PATH_PIDFILE), NULL, O_NOFOLLOW);
	int rc = 0;

	*pid = 0;
	if (!s)
		return 0;
	if (parse_long(str_trim(s), 2, 4194304, pid) < 0) {   /* the kernel's PID_MAX_LIMIT */
		*pid = 0;
		errno = EINVAL;
		rc = -1;
	}
	free(s);
	return rc;
}

int
path_relay_pid(void)
{
	long pid;

	return path_relay_pid_read(&pid) < 0 ? 0 : (int)pid;
}

/* DIR is one of xwpf's own folders (1), inside one (2, *top set), or not (0). */
static int
own_dir(const char *dir, enum path_id *top)
{
	static const enum path_id own[] = { PATH_TLS_DIR, PATH_BACKUP_DIR, PATH_STATE_DIR, PATH_RUN_DIR, PATH_CONF_DIR };
	size_t i, n;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		const char *p = path_get(own[i]);

		n = strlen(p);
		*top = own[i];
		if (strcmp(dir, p) == 0)
			return 1;
		if (strncmp(dir, p, n) == 0 && dir[n] == '/')
			return 2;
	}
	return 0;
}

int
path_dir_ready(const char *file, char *err)
{
	char dir[PATH_MAX], *slash;
	enum path_id top;
	int own;

	if (str_copy(dir, sizeof(dir), file) < 0) {
		snprintf(err, ERRLEN, "path too long: %s", file);
		return -1;
	}
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return 0;   /* "." or "/": there already */
	*slash = '\0';
	if (!(own = own_dir(dir, &top))) {
		if (mkdir_p(dir, 0755) < 0) {
			snprintf(err, ERRLEN, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* the state folder before the tls and backup folders in it */
	if ((top == PATH_TLS_DIR || top == PATH_BACKUP_DIR) && dir_own(path_get(PATH_STATE_DIR), 0700, err) < 0)
		return -1;
	if (dir_own(path_get(top), 0700, err) < 0)
		return -1;
	if (own == 2 && mkdir_p(dir, 0700) < 0) {
		snprintf(err, ERRLEN, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
