#ifndef XWPF_LOG_H
#define XWPF_LOG_H

#include <stdint.h>

/*
 * Logging for long-running applets (relay, health --watch). Lines go to
 * stderr (the journal under systemd) or to a file capped at max_size with
 * one rotation (FILE.1), so the log can never fill the disk.
 */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level l);
/* file NULL or "" = stderr. Returns -1 (errno) if the file cannot be opened; stderr is kept. */
int log_open(const char *ident, enum log_level level, const char *file, uint64_t max_size);
void log_set_level(enum log_level level);
void log_close(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A budget of lines a second, so that a flood (a scanner, a broken peer)
 * cannot fill the log: each caller keeps its own gate (a thread-local one
 * per worker), zeroed to start. 1 while fewer than per_sec lines passed it
 * in the second now_ms (milliseconds) falls in, else 0. */
struct log_gate {
	int64_t win;
	int n;
};
int log_gate_ok(struct log_gate *g, int64_t now_ms, int per_sec);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
