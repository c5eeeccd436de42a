#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "text.h"
#include "util.h"

void
event_init(struct event_runner *er, long timeout_ms)
{
	memset(er, 0, sizeof(*er));
	er->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
}

static int program_safe(const char *program, char *err);

int
event_fire(struct event_runner *er, const char *program, const char *event, const char *rule,
    const char *backend, const char *detail, char *err)
{
	char e_event[96], e_rule[96], e_backend[320], e_detail[512], e_time[48], a0[256], a1[64];
	char *const argv[] = { a0, a1, NULL };
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		e_event, e_rule, e_backend, e_detail, e_time, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int slot, rc;

	event_reap(er, now_ms());
	for (slot = 0; slot < EVENT_MAX_RUNNING && er->kids[slot].pid; slot++)
		;
	if (slot == EVENT_MAX_RUNNING) {
		er->dropped++;
		snprintf(err, ERRLEN, "%d event programs still running: event %s dropped", EVENT_MAX_RUNNING, event);
		return -1;
	}
	if (str_copy(a0, sizeof(a0), program) < 0) {
		snprintf(err, ERRLEN, "on_event path too long");
		return -1;
	}
	/* checked at each run, not only when the store was written or imported:
	 * a folder on the way may have changed hands since */
	if (program_safe(program, err) < 0)
		return -1;
	snprintf(a1, sizeof(a1), "%s", event);
	snprintf(e_event, sizeof(e_event), "XWPF_EVENT=%s", event);
	snprintf(e_rule, sizeof(e_rule), "XWPF_RULE=%s", rule ? rule : "");
	/* the program may log or print them: no control characters (text.h) */
	memcpy(e_backend, "XWPF_BACKEND=", 13);
	text_escape(backend ? backend : "", e_backend + 13, sizeof(e_backend) - 13);
	memcpy(e_detail, "XWPF_DETAIL=", 12);
	text_escape(detail ? detail : "", e_detail + 12, sizeof(e_detail) - 12);
	snprintf(e_time, sizeof(e_time), "XWPF_TIME=%lld", (long long)time(NULL));

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);         /* the relay blocks signals for signalfd */
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);               /* its own group: a timeout kills its children too */
	ev_spawns_children();   /* the relay calls it earlier too (it sees on_event in the store) */
	rc = posix_spawn(&pid, program, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		snprintf(err, ERRLEN, "cannot run %s: %s", program, strerror(rc));
		return -1;
	}
	er->kids[slot].pid = pid;
	er->kids[slot].deadline_ms = now_ms() + er->timeout_ms;
	er->started++;
	return 0;
}

int
event_reap(struct event_runner *er, int64_t now)
{
	int i, running = 0, st;

	for (i = 0; i < EVENT_MAX_RUNNING; i++) {
		pid_t pid = er->kids[i].pid, r;

		if (!pid)
			continue;
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD)) {
			er->kids[i].pid = 0;
			continue;
		}
		if (now >= er->kids[i].deadline_ms) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			er->killed++;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				er->kids[i].pid = 0;
				continue;
			}
			er->kids[i].deadline_ms = now + 1000;   /* reaped on a later call */
		}
		running++;
	}
	return running;
}

/* One existing place on the way. last: the path itself, or the nearest
 * existing folder of a path not there yet. A link only needs a safe owner
 * (its own mode means nothing); where it leads is walked too. */
static int
place_safe(const char *p, int last, char *err)
{
	struct stat st;

	if (lstat(p, &st) < 0) {
		snprintf(err, ERRLEN, "cannot check %s: %s", p, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, ERRLEN, "%s belongs to user %u, not root: that user could change it", p,
		    (unsigned)st.st_uid);
		return -1;
	}
	if (!S_ISLNK(st.st_mode) && (st.st_mode & 022) && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && !last)) {
		snprintf(err, ERRLEN, "%s is writable by %s, so %s", p, st.st_mode & 002 ? "every user" : "its group",
		    S_ISDIR(st.st_mode) ? "another user could put a file of their own there" :
		    "another user could change it");
		return -1;
	}
	return 0;
}

/* "/" and every folder of p, then p (which exists). */
static int
walk_safe(char *p, char *err)
{
	size_t i, n = strlen(p);

	if (place_safe("/", n == 1, err) < 0)
		return -1;
	for (i = 1; i < n; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			if (place_safe(p, 0, err) < 0)
				return -1;
			p[i] = '/';
		}
	return n > 1 ? place_safe(p, 1, err) : 0;
}

int
event_path_safe(const char *path, int *exists, char *err)
{
	char want[PATH_MAX], real[PATH_MAX], *slash;

	*exists = 0;
	if (path[0] != '/' || strlen(path) >= sizeof(want)) {
		snprintf(err, ERRLEN, "%.200s is not an absolute path", path);
		return -1;
	}
	strcpy(want, path);
	/* the nearest part of the path that exists */
	while (!realpath(want, real)) {
		if (errno != ENOENT && errno != ENOTDIR) {
			snprintf(err, ERRLEN, "cannot check %.200s: %s", want, strerror(errno));
			return -1;
		}
		slash = strrchr(want, '/');
		if (!slash || slash == want) {
			strcpy(want, "/");
			continue;
		}
		*slash = '\0';
	}
	*exists = strcmp(want, path) == 0;
	/* as written (links owned by root) and where its links lead */
	return walk_safe(want, err) < 0 || walk_safe(real, err) < 0 ? -1 : 0;
}

/* The relay runs PROGRAM with its own rights (root): only a program that no
 * other user can change or replace, on a path no other user controls. */
static int
program_safe(const char *program, char *err)
{
	char why[ERRLEN];
	int exists;

	if (event_path_safe(program, &exists, why) < 0) {
		snprintf(err, ERRLEN, "on_event %.200s not run: %s (move it to a folder only root can write, such as "
		    "/usr/local/bin, owned by root)", program, why);
		return -1;
	}
	if (!exists) {
		snprintf(err, ERRLEN, "on_event %.200s not run: it does not exist", program);
		return -1;
	}
	return 0;
}
