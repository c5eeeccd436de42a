#ifndef XWPF_CONTROL_H
#define XWPF_CONTROL_H

/*
 * The relay's control socket (PATH_CONTROL, /run/xwpf/relay.sock): a unix
 * stream socket, mode 0600, in the run folder (0700), owned by the user
 * the relay runs as, served by the relay's main thread.
 *
 * One request per connection: a command word and a newline, at most
 * CTL_REQ_MAX bytes, read within CTL_READ_MS of the accept (an absolute
 * deadline: a trickling client cannot stretch it). The answer is a first
 * line "ok" or "error", then text; the relay closes after it, within
 * CTL_WRITE_MS. At most CTL_CLIENTS clients at once: more wait in the
 * listen queue (CTL_CLIENTS long; past it a connect fails with EAGAIN and
 * ctl_request tries again until its deadline) and are served as places
 * free, so clients that hold their connection idle delay the next by
 * CTL_READ_MS at most; a peer that is neither root nor the relay's own user
 * (SO_PEERCRED) is closed without an answer.
 *
 * Creating it: the caller holds the relay lock (no other relay of this
 * root runs), so a socket left at the path by a relay that was killed is
 * stale and removed; anything else there (a link, a file, another user's
 * socket) is refused, never followed or removed.
 */
#include <stddef.h>
#include <stdio.h>

#define CTL_REQ_MAX 64
#define CTL_CLIENTS 8
#define CTL_READ_MS 2000
#define CTL_WRITE_MS 10000
#define CTL_ANSWER_MAX (64u << 20)

struct ev_loop;
struct ctl;
struct rt;

/* The answer to CMD (a word of letters), its text written to out (the
 * "ok"/"error" line comes from the return value): 0 ok, 1 error, -1 an
 * unknown command. */
typedef int ctl_handler_fn(void *arg, const char *cmd, FILE *out);

/* Listen at path on loop; NULL with err (the relay then runs without it). */
struct ctl *ctl_open(struct ev_loop *l, const char *path, ctl_handler_fn *fn, void *arg, char *err);
/* Close every client and the socket, and remove the socket file. */
void ctl_close(struct ctl *c);

/* The client: send cmd, read the answer within timeout_ms. 0 with *answer
 * (malloc'd, NUL-terminated, the text after the first line) and *ok (1 for
 * "ok", 0 for "error"); -1 with err, errno ENOENT or ECONNREFUSED when no
 * relay serves the socket (nothing was sent), another errno otherwise. */
int ctl_request(const char *path, const char *cmd, long timeout_ms, char **answer, int *ok, char *err);

/* What a reload changed: the rules' names and fingerprints before it
 * (sorted by name: each rule after is looked up in O(log n)), compared with
 * the running set after. */
struct ctl_snap_rule {
	char *name, *fp;
};
struct ctl_snap {
	struct ctl_snap_rule *v;
	size_t n;
};
int ctl_snap_take(const struct rt *rt, struct ctl_snap *s);
/* "2 rules changed, 1 added", "1 rule removed", "nothing changed" */
void ctl_snap_diff(const struct ctl_snap *before, const struct rt *rt, char *buf, size_t size);
void ctl_snap_free(struct ctl_snap *s);

#endif
