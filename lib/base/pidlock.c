#include "pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

/* The lock file: ours, regular, 0600; created when missing. */
static int
lock_open(const char *path, char *err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	char dir[PATH_MAX], *slash;

	if (fd >= 0) {   /* made now: the service user's in its folder (util.h, file_trust_owner) */
		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) && slash != dir)
			*slash = '\0';
		if (dir_give(dir, path) < 0) {
			snprintf(err, ERRLEN, "cannot give the lock %s to the service user: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	} else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, ERRLEN, "refusing the lock %s: it is a symbolic link (remove it)", path);
		else
			snprintf(err, ERRLEN, "cannot open the lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !file_owner_ok(st.st_uid)) {
		snprintf(err, ERRLEN, "refusing the lock %s: it is not a regular file of uid %ld (remove it)", path,
		    (long)geteuid());
		close(fd);
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & 0777) != 0600 && fchmod(fd, 0600) < 0) {
		snprintf(err, ERRLEN, "cannot make the lock %s mode 0600: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

long
lock_holder(int fd)
{
	char line[256], kind[32], dev[64];
	struct stat st;
	long pid, found = 0;
	unsigned maj, min;
	unsigned long long ino;
	FILE *f;

	if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 08:02:5678 0 EOF"; "1: -> FLOCK ..." waits */
	while (!found && fgets(line, sizeof(line), f)) {
		if (strstr(line, "->") || sscanf(line, "%*d: %31s %*s %*s %ld %63s", kind, &pid, dev) != 3)
			continue;
		if (sscanf(dev, "%x:%x:%llu", &maj, &min, &ino) == 3 && ino == (unsigned long long)st.st_ino &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) && pid > 0)
			found = pid;
	}
	fclose(f);
	return found;
}

char *
proc_comm(long pid, char *buf, size_t size)
{
	char path[64], raw[64];
	size_t i, o = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	snprintf(buf, size, "?");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return buf;
	n = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	if (n <= 0)
		return buf;
	if (raw[n - 1] == '\n')
		n--;
	for (i = 0; i < (size_t)n && o + 5 < size; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
held_by(int fd, const char *path, char *err, const char *what)
{
	char comm[80];
	long pid = lock_holder(fd);

	if (pid)
		snprintf(err, ERRLEN, "%s %s: it is held by pid %ld (%s); wait for it to finish, or stop that "
		    "process if it hangs", what, path, pid, proc_comm(pid, comm, sizeof(comm)));
	else
		snprintf(err, ERRLEN, "%s %s: another process holds it (not found in /proc/locks)", what, path);
}

int
lock_take(const char *path, long wait_ms, char *err)
{
	int64_t deadline = now_ms() + wait_ms;
	long nap = 5;
	int fd = lock_open(path, err);
	char what[64];

	if (fd < 0)
		return -1;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			snprintf(err, ERRLEN, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(nap);
		if (nap < 100)
			nap *= 2;
	}
	snprintf(what, sizeof(what), "gave up after %ld s waiting for the lock", (wait_ms + 999) / 1000);
	held_by(fd, path, err, what);
	close(fd);
	errno = EWOULDBLOCK;
	return -1;
}

int
relay_lock_take(char *err)
{
	const char *path = path_get(PATH_RELAY_LOCK);
	int fd;

	if (dir_own(path_get(PATH_RUN_DIR), 0700, err) < 0 || (fd = lock_open(path, err)) < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char comm[80];
		long pid;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			snprintf(err, ERRLEN, "cannot lock %s: %s", path, strerror(errno));
		} else if ((pid = lock_holder(fd)) != 0) {
			char cmd[PATH_MAX + 80];

			snprintf(err, ERRLEN, "a relay is already running as pid %ld (%s; it holds %s): stop it, reload "
			    "it with '%s', or use --root for another instance", pid,
			    proc_comm(pid, comm, sizeof(comm)), path, path_cmd(cmd, sizeof(cmd), "relay --reload"));
		} else
			snprintf(err, ERRLEN, "a relay is already running (another process holds %s): stop it, or use "
			    "--root for another instance", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* /proc/PID/exe is this binary: the same file, or (after an upgrade replaced
 * it) the same path, deleted. */
static int
is_xwpf(long pid, char *why, size_t size)
{
	char p[64], self[PATH_MAX], exe[PATH_MAX + 16];
	struct stat a, b;
	ssize_t n, m;

	snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
	if (stat(p, &a) == 0 && stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 1;
	n = readlink(p, exe, sizeof(exe) - 1);
	m = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		snprintf(why, size, "its program cannot be read (%s)", strerror(errno));
		return 0;
	}
	exe[n] = '\0';
	if (m > 0) {
		self[m] = '\0';
		if (strlen(exe) == (size_t)m + 10 && strncmp(exe, self, (size_t)m) == 0 &&
		    strcmp(exe + m, " (deleted)") == 0)
			return 1;
	}
	snprintf(why, size, "it runs %s, not xwpf", exe);
	return 0;
}

int
relay_find(long *pid, char *msg, size_t size)
{
	const char *pf = path_get(PATH_PIDFILE), *lk = path_get(PATH_RELAY_LOCK);
	char why[PATH_MAX + 64], comm[80];
	long holder = 0, p;
	int fd;

	*pid = 0;
	msg[0] = '\0';
	if (access(pf, R_OK) < 0 && errno != ENOENT) {
		snprintf(msg, size, "cannot read %s: %s (run as root)", pf, strerror(errno));
		return 0;
	}
	if (path_relay_pid_read(&p) < 0) {
		snprintf(msg, size, "stale pidfile %s: it holds no process id (remove it)", pf);
		return 0;
	}
	if (!p)
		return 0;
	if ((fd = open(lk, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) >= 0) {
		holder = lock_holder(fd);
		close(fd);
	}
	if (holder != p) {
		if (holder)
			snprintf(msg, size, "stale pidfile %s: pid %ld is not the relay, which is pid %ld (%s, holding %s); "
			    "nothing was signalled", pf, p, holder, proc_comm(holder, comm, sizeof(comm)), lk);
		else
			snprintf(msg, size, "stale pidfile %s: pid %ld is not a running relay (it holds no lock on %s); "
			    "nothing was signalled", pf, p, lk);
		return 0;
	}
	if (!is_xwpf(p, why, sizeof(why))) {
		snprintf(msg, size, "stale pidfile %s: pid %ld holds %s but is not this xwpf (%s); nothing was signalled",
		    pf, p, lk, why);
		return 0;
	}
	*pid = p;
	return 1;
}

int
relay_signal(int sig, long *pid, char *msg, size_t size)
{
	if (relay_find(pid, msg, size) <= 0)
		return 0;
	if (kill((pid_t)*pid, sig) < 0) {
		snprintf(msg, size, "cannot signal the relay (pid %ld): %s", *pid, strerror(errno));
		return -1;
	}
	return 1;
}
