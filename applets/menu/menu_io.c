/*
 * menu_io: the menu's prompts, colours and language, the child applets it
 * drives and their --json output (read by lib/base's JSON reader).
 *
 * Input is read with read(2) one byte at a time, never through stdio, so a
 * child applet that asks its own question (import) finds its answer still
 * waiting on standard input. SIGINT is caught without SA_RESTART: a prompt
 * interrupted by Ctrl-C (or at end of input) leaves through menu_quit(),
 * and since nothing is written before a wizard's last step, nothing is
 * left half-done.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "menu.h"
#include "util.h"

int menu_zh;
static int colour;
static volatile sig_atomic_t interrupted;
static char *applet_list;   /* the applets of this build, asked once (`xwpf --list`) */

static int sigfd[2] = { -1, -1 };   /* self-pipe: a Ctrl-C between two checks is not lost */

static void
on_sigint(int sig)
{
	int e = errno;

	(void)sig;
	interrupted = 1;
	if (sigfd[1] >= 0 && write(sigfd[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
	errno = e;
}

void
menu_lang_apply(const char *lang)
{
	const char *env = getenv("LC_ALL");

	if (lang && strcmp(lang, "zh") == 0)
		menu_zh = 1;
	else if (lang && strcmp(lang, "en") == 0)
		menu_zh = 0;
	else {   /* auto: the locale */
		if (!env || !*env)
			env = getenv("LANG");
		menu_zh = env && strncmp(env, "zh", 2) == 0;
	}
}

void
menu_io_init(void)
{
	const char *term = getenv("TERM");
	struct sigaction sa;

	menu_lang_apply(NULL);
	colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
	if (pipe2(sigfd, O_CLOEXEC | O_NONBLOCK) < 0)
		sigfd[0] = sigfd[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;   /* no SA_RESTART: read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *
menu_c(enum menu_colour c)
{
	static const char *const codes[] = {
		[C_RESET] = "\033[0m", [C_BOLD] = "\033[1m", [C_DIM] = "\033[2m", [C_RED] = "\033[31m",
		[C_GREEN] = "\033[32m", [C_YELLOW] = "\033[33m", [C_CYAN] = "\033[36m",
	};
	return colour ? codes[c] : "";
}

void
menu_quit(int code)
{
	printf("\n%s\n", code == 130 ? TR("Interrupted: nothing half-written, leaving the menu.",
	    "已中断：没有写入任何半成品，退出菜单。") : TR("End of input: leaving the menu.", "输入结束：退出菜单。"));
	store_free(&menu_st);
	free(applet_list);
	exit(code);
}

/* One line from fd 0, without stdio buffering. Returns -1 at EOF or on Ctrl-C. */
static int
read_line(char *buf, size_t size)
{
	size_t n = 0;
	int overflow = 0;

	for (;;) {
		struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { sigfd[0], POLLIN, 0 } };
		char c;
		ssize_t r;

		if (interrupted)
			return -1;
		if (poll(p, sigfd[0] >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return -1;
		if (interrupted)
			return -1;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0)
				return -1;
			break;   /* a last line without newline still counts */
		}
		if (c == '\n')
			break;
		if (c == '\r')
			continue;
		if (n + 1 < size)
			buf[n++] = c;
		else
			overflow = 1;
	}
	buf[n] = '\0';
	if (overflow)
		buf[0] = '\x01';   /* caller says "too long" */
	return 0;
}

static int
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
menu_ask(const char *prompt, const char *def, int back_ok, char *buf, size_t size)
{
	char line[1024];

	for (;;) {
		if (def && *def)
			printf("%s%s%s [%s%s%s]%s", menu_c(C_BOLD), prompt, menu_c(C_RESET), menu_c(C_CYAN), def,
			    menu_c(C_RESET), MENU_COLON);
		else
			printf("%s%s%s%s", menu_c(C_BOLD), prompt, menu_c(C_RESET), MENU_COLON);
		fflush(stdout);
		if (read_line(line, sizeof(line) < size + 1 ? sizeof(line) : size + 1) < 0)
			menu_quit(interrupted ? 130 : 0);
		if (line[0] == '\x01') {
			menu_err(TR("too long: at most %zu characters", "太长：最多 %zu 个字符"), size - 1);
			continue;
		}
		str_trim(line);
		if (has_ctl(line)) {
			menu_err("%s", TR("control characters are not allowed", "不能包含控制字符"));
			continue;
		}
		if (back_ok && strcmp(line, "0") == 0)
			return MENU_BACK;
		if (!*line && def)
			snprintf(buf, size, "%s", def);
		else
			snprintf(buf, size, "%s", line);
		return 0;
	}
}

int
menu_choice(const char *prompt, int lo, int hi, int def)
{
	char buf[32], d[16];
	long v;

	snprintf(d, sizeof(d), "%d", def);
	for (;;) {
		if (menu_ask(prompt, def >= lo ? d : NULL, 0, buf, sizeof(buf)) < 0)
			return MENU_BACK;
		if (!*buf) {
			menu_err(TR("type a number from %d to %d", "请输入 %d 到 %d 之间的数字"), lo, hi);
			continue;
		}
		if (parse_long(buf, lo, hi, &v) == 0)
			return (int)v;
		menu_err(TR("'%s' is not a choice here: type a number from %d to %d",
		    "“%s”不是有效选项：请输入 %d 到 %d 之间的数字"), buf, lo, hi);
	}
}

int
menu_yes(const char *prompt, int def)
{
	char buf[16], p[512];

	if (menu_zh)
		snprintf(p, sizeof(p), "%s（y 是 / n 否，回车：%s）", prompt, def ? "是" : "否");
	else
		snprintf(p, sizeof(p), "%s (%s)", prompt, def ? "Y/n" : "y/N");
	for (;;) {
		menu_ask(p, NULL, 0, buf, sizeof(buf));
		if (!*buf)
			return def;
		if (str_ieq(buf, "y") || str_ieq(buf, "yes") || strcmp(buf, "是") == 0)
			return 1;
		if (str_ieq(buf, "n") || str_ieq(buf, "no") || strcmp(buf, "否") == 0)
			return 0;
		menu_err("%s", TR("answer y or n (Enter takes the default)", "请回答 y 或 n（回车取默认值）"));
	}
}

void
menu_pause(void)
{
	char buf[8];

	menu_ask(TR("Press Enter to go on", "按回车继续"), "", 0, buf, sizeof(buf));
}

void
menu_err(const char *fmt, ...)
{
	va_list ap;

	printf("%s%s", menu_c(C_RED), TR("  ! ", "  ! "));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s\n", menu_c(C_RESET));
}

void
menu_note(const char *fmt, ...)
{
	va_list ap;

	printf("%s  ", menu_c(C_YELLOW));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s\n", menu_c(C_RESET));
}

void
menu_title(const char *title)
{
	printf("\n%s%s== %s ==%s\n", menu_c(C_BOLD), menu_c(C_CYAN), title, menu_c(C_RESET));
}

/* ---- child processes ---- */

int
menu_has_applet(const char *name)
{
	const char *argv[] = { "--list", NULL };
	const char *p;
	size_t n = strlen(name);

	if (!applet_list && (menu_capture(argv, 1, &applet_list) != 0 || !applet_list)) {
		free(applet_list);
		applet_list = NULL;
		return 0;
	}
	for (p = applet_list; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (strncmp(p, name, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* fork + exec; SIGINT is ignored by the menu while a child runs, so Ctrl-C
 * stops the child (a link test, a log view) and the menu carries on. */
/* outfd: the child's stdout (and with quiet < 0 its stderr too), else the menu's */
static int
spawn(const char *const *argv, int self, int outfd, int quiet)
{
	char *args[64];
	struct sigaction ign, old;
	pid_t pid;
	size_t i = 0;
	int rc;

	if (self)
		args[i++] = (char *)(uintptr_t)"xwpf";
	for (; *argv && i < ARRAY_SIZE(args) - 1; argv++)
		args[i++] = (char *)(uintptr_t)*argv;   /* exec takes char *const[] */
	args[i] = NULL;
	fflush(stdout);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old);
	pid = fork();
	if (pid < 0) {
		sigaction(SIGINT, &old, NULL);
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (outfd >= 0) {
			dup2(outfd, STDOUT_FILENO);
			if (quiet < 0)
				dup2(outfd, STDERR_FILENO);
			close(outfd);
		}
		if (quiet > 0) {
			int nul = open("/dev/null", O_RDWR);
			if (nul >= 0) {
				dup2(nul, STDERR_FILENO);
				dup2(nul, STDIN_FILENO);
				close(nul);
			}
		}
		if (self)
			execv("/proc/self/exe", args);
		else
			execvp(args[0], args);
		_exit(127);
	}
	if (outfd >= 0)
		close(outfd);
	rc = pid;
	sigaction(SIGINT, &old, NULL);
	return rc;
}

static int
reap(pid_t pid)
{
	struct sigaction ign, old;
	int st;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			st = -1;
			break;
		}
	{
		char junk[16];   /* a Ctrl-C meant for the child is not the menu's */
		while (sigfd[0] >= 0 && read(sigfd[0], junk, sizeof(junk)) > 0)
			;
	}
	interrupted = 0;
	sigaction(SIGINT, &old, NULL);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Print what a child says, in Chinese (menu_zh_line): whole lines, and a
 * line without its end (a question) once the child has paused 100 ms. */
static void
print_translated(int fd)
{
	char line[4096], out[8192];
	size_t n = 0;
	struct sigaction ign, old;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;   /* a Ctrl-C is the child's (same terminal) */
	sigaction(SIGINT, &ign, &old);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int rc = poll(&p, 1, n ? 100 : -1);
		ssize_t r;
		char *nl;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {   /* paused mid-line: show it */
			line[n] = '\0';
			menu_zh_line(line, out, sizeof(out));
			fputs(out, stdout);
			fflush(stdout);
			n = 0;
			continue;
		}
		r = read(fd, line + n, sizeof(line) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
		while ((nl = strchr(line, '\n')) != NULL || n == sizeof(line) - 1) {
			size_t k = nl ? (size_t)(nl - line) + 1 : n;
			char c = line[k];

			line[k] = '\0';
			menu_zh_line(line, out, sizeof(out));
			fputs(out, stdout);
			line[k] = c;
			memmove(line, line + k, n - k + 1);
			n -= k;
		}
	}
	if (n) {
		line[n] = '\0';
		menu_zh_line(line, out, sizeof(out));
		fputs(out, stdout);
	}
	fflush(stdout);
	sigaction(SIGINT, &old, NULL);
}

int
menu_run(const char *const *argv)
{
	int fds[2], pid;

	if (!menu_zh || pipe2(fds, O_CLOEXEC) < 0) {
		pid = spawn(argv, 1, -1, 0);
		return pid < 0 ? -1 : reap(pid);
	}
	/* in Chinese, what the child says passes through the menu's translation */
	pid = spawn(argv, 1, fds[1], -1);
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	print_translated(fds[0]);
	close(fds[0]);
	return reap(pid);
}

int
menu_exec(const char *const *argv)
{
	int pid = spawn(argv, 0, -1, 0);

	return pid < 0 ? -1 : reap(pid);
}

int
menu_have_cmd(const char *cmd)
{
	const char *path = getenv("PATH");
	char dir[4096], full[4200];

	if (!path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			snprintf(full, sizeof(full), "%s/%s", dir, cmd);
			if (access(full, X_OK) == 0)
				return 1;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return 0;
}

/* Capture stdout, at most 4 MiB and 10 seconds; a child past that is killed. */
int
menu_capture(const char *const *argv, int quiet, char **out)
{
	int fds[2], pid;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int64_t deadline = now_ms() + 10000;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = spawn(argv, 1, fds[1], quiet);
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || len > (4u << 20)) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 8192);
			if (!nb) {
				kill(pid, SIGKILL);
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		r = read(fds[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	if (!buf)
		buf = calloc(1, 1);
	if (buf)
		buf[len] = '\0';
	*out = buf;
	return reap(pid);
}

/* ---- the child applets' --json output ---- */

struct json_val *
menu_json_parse(const char *text)
{
	char err[ERRLEN];

	return text ? json_parse(text, strlen(text), err) : NULL;
}
