#ifndef XWPF_EVENT_H
#define XWPF_EVENT_H

/*
 * on_event = PROGRAM: run it for an event without ever blocking the caller.
 * The program gets the event in its environment (XWPF_EVENT, XWPF_RULE,
 * XWPF_BACKEND, XWPF_DETAIL, XWPF_TIME, plus PATH), stdin from /dev/null.
 * event_reap() (from a timer) collects children and kills, with SIGKILL,
 * any still running past the timeout. At most EVENT_MAX_RUNNING run at
 * once; beyond that an event is dropped (and counted), never queued.
 */
#include <stdint.h>
#include <sys/types.h>

#define EVENT_MAX_RUNNING 16

struct event_runner {
	struct {
		pid_t pid;
		int64_t deadline_ms;
	} kids[EVENT_MAX_RUNNING];
	long timeout_ms;
	uint64_t started, dropped, killed;
};

void event_init(struct event_runner *er, long timeout_ms);
/* 0 started, -1 with err (not started: too many running, or spawn failed). */
int event_fire(struct event_runner *er, const char *program, const char *event, const char *rule,
    const char *backend, const char *detail, char *err);
/* Collect exited children; kill those past their deadline. Returns how many still run. */
int event_reap(struct event_runner *er, int64_t now_ms);

/* Whether only root can decide what path is: a program the relay runs
 * (on_event) or a file it writes (log_file), as root. Every folder on the
 * way and the file itself must be owned by root (or by this user) and not
 * writable by group or others; a sticky folder (/tmp) may stand above a
 * folder root owns, never hold the file itself. A file that does not exist
 * yet is judged by the nearest folder that does (who may create it there).
 * 0 safe (*exists: whether path is there), -1 with err saying why not. */
int event_path_safe(const char *path, int *exists, char *err);

#endif
