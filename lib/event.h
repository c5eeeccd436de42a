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

#endif
