/*
 * log: the relay's log. Its log file ([global] log_file, as the relay opens
 * it) when the store names one; else the journal when systemd runs the relay
 * (journalctl, spawned with a fixed argument list, never through a shell);
 * else where it goes. -f follows the file across the relay's rotation
 * (FILE -> FILE.1) and truncation, until Ctrl-C or --for SECONDS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applet.h"
#include "store.h"
#include "paths.h"
#include "text.h"
#include "util.h"

extern char **environ;

const char log_usage[] =
    "usage: xwpf log [-f] [-n N] [--for SECONDS]\n"
    "\n"
    "The relay's log: the last N lines (default 50, at most 10000) of the file\n"
    "[global] log_file names (yes: /var/log/xwpf.log); when it names none and\n"
    "systemd runs the relay (xwpf.service), the journal's (journalctl -u\n"
    "xwpf.service); else /var/log/xwpf.log, where a relay the menu starts writes.\n"
    "Control characters are shown escaped (\\xHH).\n"
    "  -f             follow: print lines as they come (the file's rotation to\n"
    "                 FILE.1 is followed), until Ctrl-C\n"
    "  --for SECONDS  stop following after SECONDS (1 to 86400)\n"
    "\n"
    "Exit codes: 0 ok, 1 no log to show (it says where the relay logs), 2 usage,\n"
    "3 the store is invalid.\n";

#define TAIL_MAX (1 << 20)     /* bytes read from the end of the file for -n */
#define LINE_MAX_SHOWN 4096    /* a longer line is shown cut */

struct logopts {
	int follow;
	long lines, secs;
};

static int
parse_opts(int argc, char **argv, struct logopts *o)
{
	int i;

	o->follow = 0;
	o->lines = 50;
	o->secs = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0)
			o->follow = 1;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 0, 10000, &o->lines) < 0) {
				fprintf(stderr, "%s: -n takes a number of lines from 0 to 10000\n", applet_name);
				return -1;
			}
		} else if (strcmp(argv[i], "--for") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 1, 86400, &o->secs) < 0) {
				fprintf(stderr, "%s: --for takes seconds from 1 to 86400\n", applet_name);
				return -1;
			}
		} else {
			fputs(log_usage, stderr);
			return -1;
		}
	}
	return 0;
}

/* One line of the log, escaped and cut */
static void
show_line(const char *s, size_t n)
{
	char raw[LINE_MAX_SHOWN + 1], esc[4 * LINE_MAX_SHOWN + 1];

	if (n > LINE_MAX_SHOWN)
		n = LINE_MAX_SHOWN;
	memcpy(raw, s, n);
	raw[n] = '\0';
	puts(text_escape(raw, esc, sizeof(esc)));
}

/* The last n lines of fd (at most TAIL_MAX bytes back); the offset after them. */
static off_t
print_tail(int fd, long n)
{
	struct stat st;
	off_t from;
	char *buf;
	ssize_t got;
	size_t len = 0, i, start;
	long seen = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	from = st.st_size > TAIL_MAX ? st.st_size - TAIL_MAX : 0;
	if (!n || !(buf = malloc(TAIL_MAX)))
		return st.st_size;
	while (len < TAIL_MAX && (got = pread(fd, buf + len, TAIL_MAX - len, from + (off_t)len)) > 0)
		len += (size_t)got;
	i = len;
	if (i && buf[i - 1] == '\n')
		i--;   /* the last line's newline */
	while (i > 0 && seen < n)
		if (buf[--i] == '\n')
			seen++;
	start = seen == n ? i + 1 : (from ? i + 1 : 0);   /* cut at a newline, or the file's start */
	for (i = start; i < len;) {
		char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len;

		show_line(buf + i, e - i);
		i = e + 1;
	}
	fflush(stdout);
	free(buf);
	return from + (off_t)len;
}

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* fd's bytes from *pos on (bounded per call): complete lines printed */
static void
read_new(int fd, off_t *pos, char *part, size_t *plen)
{
	char buf[16384];
	ssize_t n;

	for (int guard = 0; guard < 64 && (n = pread(fd, buf, sizeof(buf), *pos)) > 0; guard++) {
		*pos += n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				show_line(part, *plen);
				*plen = 0;
			} else if (*plen < LINE_MAX_SHOWN)
				part[(*plen)++] = buf[i];
		}
	}
	fflush(stdout);
}

/* New bytes of path from *pos on: complete lines printed, a partial one kept
 * in part until its newline comes (cut at LINE_MAX_SHOWN). A new inode
 * (rotated) or a shorter file (truncated) is read from its start. */
static void
follow_once(const char *path, int *fd, ino_t *ino, off_t *pos, char *part, size_t *plen)
{
	struct stat st;

	if (stat(path, &st) == 0 && (*fd < 0 || st.st_ino != *ino || st.st_size < *pos)) {
		int nfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (nfd >= 0) {
			if (*fd >= 0 && st.st_ino != *ino)   /* rotated: the old file's last lines first */
				read_new(*fd, pos, part, plen);
			if (*fd >= 0)
				close(*fd);
			*fd = nfd;
			*ino = st.st_ino;
			*pos = 0;
			*plen = 0;
		}
	}
	if (*fd >= 0)
		read_new(*fd, pos, part, plen);
}

static int
show_file(const char *path, const struct logopts *o)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char part[LINE_MAX_SHOWN];
	size_t plen = 0;
	struct stat st;
	ino_t ino = 0;
	off_t pos = 0;
	int64_t end = o->secs ? now_ms() + o->secs * 1000 : 0;

	if (fd < 0 && !(o->follow && errno == ENOENT)) {
		fprintf(stderr, "%s: cannot read %s: %s\n", applet_name, path, strerror(errno));
		return EXIT_FAIL;
	}
	if (fd >= 0) {
		if (fstat(fd, &st) == 0)
			ino = st.st_ino;
		pos = print_tail(fd, o->lines);
	}
	if (!o->follow) {
		close(fd);
		return EXIT_OK;
	}
	fprintf(stderr, "%s: following %s (Ctrl-C ends%s)\n", applet_name, path, o->secs ? ", or the time given" : "");
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGPIPE, on_stop);
	while (!stop && (!end || now_ms() < end)) {
		follow_once(path, &fd, &ino, &pos, part, &plen);
		usleep(200000);
	}
	if (fd >= 0)
		close(fd);
	return EXIT_OK;
}

/* The journal, when systemd runs the relay: journalctl with a fixed
 * argument list (the number is ours), spawned without a shell; --for stops it. */
static int
show_journal(const char *jctl, const struct logopts *o)
{
	char n[24];
	const char *argv[] = { "journalctl", "-u", "xwpf.service", "-n", n, "--no-pager", o->follow ? "-f" : NULL, NULL };
	int64_t end = o->secs ? now_ms() + o->secs * 1000 : 0;
	pid_t pid;
	int st, rc;

	snprintf(n, sizeof(n), "%ld", o->lines);
	fflush(stdout);
	if ((rc = posix_spawn(&pid, jctl, NULL, NULL, (char *const *)(uintptr_t)argv, environ)) != 0) {
		fprintf(stderr, "%s: cannot run %s: %s\n", applet_name, jctl, strerror(rc));
		return EXIT_FAIL;
	}
	signal(SIGINT, SIG_IGN);   /* Ctrl-C reaches journalctl, which ends; so do we */
	for (;;) {
		pid_t w = waitpid(pid, &st, end ? WNOHANG : 0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return EXIT_FAIL;
		if (end && now_ms() >= end) {
			kill(pid, SIGTERM);
			end = 0;
		} else if (end)
			usleep(100000);
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_OK : WIFSIGNALED(st) ? EXIT_OK : EXIT_FAIL;
}

/* journalctl, when systemd runs the relay on this machine (not under --root) */
static const char *
journal_tool(void)
{
	static const char *const where[] = { "/usr/bin/journalctl", "/bin/journalctl" };
	struct stat sb;
	size_t i;

	if (*path_get(PATH_ROOT) || stat("/run/systemd/system", &sb) < 0 ||
	    stat("/etc/systemd/system/xwpf.service", &sb) < 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(where); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

int
log_main(int argc, char **argv)
{
	struct logopts o;
	struct store st;
	struct store_diags d = { 0 };
	char file[PATH_MAX];
	const char *jctl;
	int bad, rc;

	if (parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	/* a broken store hides no log (the log may say why it broke): its errors
	 * first, then the log its [global] section names as far as it reads, and
	 * exit 3 as status does */
	if ((bad = store_load(path_get(PATH_CONF), &st, &d) < 0)) {
		char buf[600];

		for (size_t k = 0; k < d.n; k++)
			fprintf(stderr, "%s\n", store_diag_format(&d, k, buf, sizeof(buf)));
		fprintf(stderr, "%s: the store is invalid: fix the lines above ('%s'); the log as its [global] "
		    "section says:\n", applet_name, XCMD("rule check"));
	}
	store_diags_free(&d);
	path_log_file(st.g.log_file, file, sizeof(file));
	store_free(&st);
	if (*file)
		rc = show_file(file, &o);
	else if ((jctl = journal_tool()))
		rc = show_journal(jctl, &o);
	else if (access(path_get(PATH_LOG), F_OK) == 0)   /* a relay the menu started writes there */
		rc = show_file(path_get(PATH_LOG), &o);
	else
		rc = -1;
	if (rc >= 0)
		return bad && rc == EXIT_OK ? EXIT_CONFIG : rc;
	fprintf(stderr, "%s: the relay logs to its standard error: [global] log_file names no file (set "
	    "'log_file = yes' for %s, and restart the relay)\n", applet_name, path_get(PATH_LOG));
	return EXIT_FAIL;
}
