#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	[PATH_STATS] = "/run/xwpf/stats",
	[PATH_CONTROL] = "/run/xwpf/relay.sock",
	[PATH_LOG] = "/var/log/xwpf.log",
};

static char cache[PATH_COUNT][PATH_MAX];
static int cached;

static const char *
root(void)
{
	const char *r = getenv("XWPF_ROOT");

	return r ? r : "";
}

void
paths_reset(void)
{
	cached = 0;
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
	char *s = file_read(path_get(PATH_PIDFILE), NULL);
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
