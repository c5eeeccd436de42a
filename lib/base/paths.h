#ifndef XWPF_PATHS_H
#define XWPF_PATHS_H

#include <stddef.h>

/*
 * Every path xwpf uses, derived from one root: "" (the real /) or the
 * folder paths_set_root names (the dispatcher passes --root DIR, or
 * $XWPF_ROOT). Strings are built once, on first use.
 *
 *   conf_dir    /etc/xwpf              store, TLS material the user points at
 *   conf        /etc/xwpf/xwpf.conf    the rule store
 *   state_dir   /var/lib/xwpf          health, ledger, generated keys, backups
 *   run_dir     /run/xwpf              pidfile and its lock, stats, control socket
 *   log_file    /var/log/xwpf.log      default when log_file = yes
 */
enum path_id {
	PATH_ROOT,
	PATH_CONF_DIR,
	PATH_CONF,
	PATH_CONF_BAK,
	PATH_CONF_LOCK,
	PATH_STATE_DIR,
	PATH_HEALTH,
	PATH_LEDGER,
	PATH_TLS_DIR,
	PATH_BACKUP_DIR,
	PATH_RUN_DIR,
	PATH_PIDFILE,
	PATH_RELAY_LOCK,
	PATH_STATS,
	PATH_CONTROL,
	PATH_LOG,
	PATH_COUNT
};

const char *path_get(enum path_id id);
/* Prefix an absolute path with the root ("/etc/ssl/certs" stays as is when unrooted). */
const char *path_rooted(const char *abs, char *buf, unsigned size);
/* The process id written in the relay's pidfile, 0 when there is none or it
 * does not hold a number (the process may be gone: check with kill(pid, 0)). */
int path_relay_pid(void);
/* The same telling the two apart: 0 and *pid (0: no pidfile), or -1 with errno
 * EINVAL when the pidfile is there but holds no process id (2..4194304). */
int path_relay_pid_read(long *pid);
/* The folder of FILE made ready: xwpf's own folders (conf_dir, state_dir,
 * the tls and backup folders, run_dir) by dir_own (util.h: ours, 0700,
 * refused when another user owns them), any other folder created when
 * missing. 0, or -1 with err. */
int path_dir_ready(const char *file, char *err);
/* Every path under dir from now on (NULL or "": the real /); cached paths
 * are forgotten. 0, or -1 (ENAMETOOLONG) leaving the real / . */
int paths_set_root(const char *dir);
/* The command "xwpf ARGS" as the user types it for this root: with
 * "--root DIR" when a root is set (paths_set_root) (DIR in single quotes when a shell
 * would split or expand it). Every command xwpf prints for the user to run
 * goes through it. Returns buf. */
char *path_cmd(char *buf, size_t size, const char *args);
/* The same with ARGS made by printf from fmt. */
char *path_cmdf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The file [global] log_file names, as every applet reads it: yes (true,
 * on) is PATH_LOG, no (false, off) or "" none (out ""), a path is under the
 * root in effect. Returns out. */
char *path_log_file(const char *v, char *out, size_t size);

#endif
