#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "text.h"
#include "util.h"

#include "util.h"

static const char *const names[] = { "error", "warn", "info", "debug" };

static struct {
	enum log_level level;
	int fd;                /* -1: stderr */
	char path[PATH_MAX];
	uint64_t max_size, size;
	char ident[32];
} lg = { LOG_INFO, -1, "", 0, 0, "xwpf" };

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (str_ieq(s, names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	if (str_ieq(s, "warning")) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	return (unsigned)l < ARRAY_SIZE(names) ? names[l] : "?";
}

int
log_gate_ok(struct log_gate *g, int64_t now_ms, int per_sec)
{
	if (now_ms - g->win >= 1000) {
		g->win = now_ms;
		g->n = 0;
	}
	return ++g->n <= per_sec;
}

void
log_set_level(enum log_level level)
{
	lg.level = level;
}

static int
open_file(void)
{
	struct stat st;
	char err[ERRLEN];

	lg.fd = file_open_own(lg.path, O_APPEND, 0640, err);   /* never through a link planted there */
	if (lg.fd < 0)
		return -1;
	lg.size = fstat(lg.fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int
log_open(const char *ident, enum log_level level, const char *file, uint64_t max_size)
{
	log_close();
	snprintf(lg.ident, sizeof(lg.ident), "%s", ident);
	lg.level = level;
	lg.max_size = max_size;
	if (!file || !*file)
		return 0;
	if (str_copy(lg.path, sizeof(lg.path), file) < 0)
		return -1;
	return open_file();
}

void
log_close(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	lg.path[0] = '\0';
}

static void
rotate(void)
{
	char old[PATH_MAX + 3];

	snprintf(old, sizeof(old), "%s.1", lg.path);
	close(lg.fd);
	lg.fd = -1;
	rename(lg.path, old);   /* one rotation: FILE.1 replaced */
	open_file();
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	int n = 0, saved = errno;
	va_list ap;

	if (level > lg.level)
		return;
	if (lg.fd >= 0) {
		struct tm tm;
		time_t t = time(NULL);

		localtime_r(&t, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S ", &tm);
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: %s: ", lg.ident, names[level]);
	va_start(ap, fmt);
	if (n < (int)sizeof(line)) {
		int head = n;

		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		/* a message quotes names and text from peers and other processes:
		 * control characters reach the log escaped, never raw */
		if (!text_printable(line + head, NULL)) {
			char esc[sizeof(line)];

			text_escape(line + head, esc, sizeof(line) - (size_t)head);
			n = head + snprintf(line + head, sizeof(line) - (size_t)head, "%s", esc);
		}
	}
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;   /* long lines are cut, never dropped */
	line[n++] = '\n';
	if (lg.fd >= 0) {
		if (lg.max_size && lg.size + (uint64_t)n > lg.max_size)
			rotate();
		if (lg.fd >= 0 && write_all(lg.fd, line, (size_t)n) == 0) {
			lg.size += (uint64_t)n;
			errno = saved;
			return;
		}
	}
	(void)write_all(STDERR_FILENO, line, (size_t)n);
	errno = saved;
}
