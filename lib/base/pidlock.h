#ifndef XWPF_PIDLOCK_H
#define XWPF_PIDLOCK_H

#include <stddef.h>

/*
 * Locks with a deadline, and the relay's process id checked before it is
 * signalled.
 *
 * A lock file is created 0600 (never through a symbolic link) in a folder
 * xwpf owns; one that is not a regular file of the effective user is refused.
 * Waiting for it ends after a deadline with a message naming the process
 * that holds it (its pid from /proc/locks, its name from /proc/PID/comm).
 *
 * The relay holds an exclusive lock on PATH_RELAY_LOCK for its whole life,
 * taken before it binds anything, and writes its pid into PATH_PIDFILE after.
 * The pid in the pidfile is the relay's only when that pid holds the lock and
 * its /proc/PID/exe is this xwpf binary (the same inode as /proc/self/exe, or
 * the same path marked "(deleted)": a relay started before an upgrade).
 */

#define LOCK_WAIT_MS 10000   /* the deadline of a lock held for one short edit */

/* An exclusive lock on PATH; its descriptor (closing it releases the lock),
 * or -1 with err when the file is refused or WAIT_MS passed. */
int lock_take(const char *path, long wait_ms, char *err);
/* The pid holding a lock on the file open as FD, from /proc/locks; 0 when
 * none is found. */
long lock_holder(int fd);
/* The command name of PID (/proc/PID/comm) with control and non-ASCII bytes
 * written as \xHH; "?" when it cannot be read. Returns buf. */
char *proc_comm(long pid, char *buf, size_t size);

/* For the relay itself: the run folder checked and the relay lock taken
 * without waiting; its descriptor, or -1 with err naming the relay that
 * holds it. */
int relay_lock_take(char *err);
/* The running relay's pid, checked as above: 1 with *pid, or 0 (*pid 0)
 * when none runs; msg then says why a pid in the pidfile is not taken
 * (a stale pidfile), or is "" when there is no pidfile. */
int relay_find(long *pid, char *msg, size_t size);
/* Send SIG to the running relay found by relay_find: 1 sent (*pid set),
 * 0 none runs (msg as relay_find's), -1 kill failed (msg says why). */
int relay_signal(int sig, long *pid, char *msg, size_t size);

#endif
