#ifndef XWPF_UTIL_H
#define XWPF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ERRLEN 256   /* size of the caller's err buffers */

/* Copy with truncation report: returns -1 (and copies nothing) if src does not fit. */
int str_copy(char *dst, size_t size, const char *src);
/* Remove leading and trailing white space in place; returns s. */
char *str_trim(char *s);
/* Case-insensitive equality. */
int str_ieq(const char *a, const char *b);

/* A growing NUL-terminated string of at most max bytes, NUL included
 * (start it zeroed but for max; free s). strbuf_put appends n bytes:
 * 0, or -1 with errno E2BIG (past max, nothing appended) or ENOMEM. */
struct strbuf {
	char *s;
	size_t n, cap, max;
};
int strbuf_put(struct strbuf *b, const void *p, size_t n);
/* FNV-1a over n bytes at p, from h: FNV1A32_INIT (FNV1A64_INIT) to start, or
 * a previous result to go on (a hash taken in parts is that of the whole). */
#define FNV1A32_INIT 2166136261u
#define FNV1A32_PRIME 16777619u
#define FNV1A64_INIT 0xcbf29ce484222325ULL
uint32_t fnv1a32(uint32_t h, const void *p, size_t n);
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);
/* Whole-string number parsing: 0 ok, -1 on junk or out of [min,max]. */
int parse_long(const char *s, long min, long max, long *out);
/* "30", "30s", "500ms", "2m", "1h" -> milliseconds; "0" allowed. */
int parse_duration_ms(const char *s, long *out_ms);
/* "10M", "512K", "1G", "4096" -> bytes. */
int parse_size(const char *s, uint64_t *out);
/* yes/no/true/false/on/off/1/0 */
int parse_bool(const char *s, int *out);

/* Human formatting into buf ("1.5 MiB", "12.0 Mbit/s"); returns buf. */
char *fmt_bytes(char *buf, size_t size, uint64_t n);

/* Monotonic and wall clocks in milliseconds. */
/* A spinlock of one char (zero: open), held for a few arithmetic
 * operations that the workers share (token buckets, per-source counts). */
static inline void spin_lock(char *l) { while (__atomic_test_and_set(l, __ATOMIC_ACQUIRE)) ; }
static inline void spin_unlock(char *l) { __atomic_clear(l, __ATOMIC_RELEASE); }

int64_t now_ms(void);
int64_t now_us(void);   /* CLOCK_MONOTONIC, microseconds */
int64_t wall_ms(void);
/* Clock id's time ms milliseconds from now, as pthread_cond_timedwait takes it
 * (the condition variable made with that clock). */
struct timespec clock_after_ms(clockid_t id, int64_t ms);

/* Read a whole file (NUL-terminated, length in *len); NULL + errno on failure. */
char *file_read(const char *path, size_t *len);
/* The most file_read takes (EFBIG beyond): no file makes it allocate more. */
#define FILE_READ_MAX (256u << 20)
/* file_read of a regular file only (EINVAL otherwise: a fifo or a device
 * never blocks or feeds it); flags O_NOFOLLOW: not through a symbolic link
 * (ELOOP), for xwpf's own files, which it never makes links. */
char *file_read_flags(const char *path, size_t *len, int flags);
/* The first line of a small file (a /proc/sys value), trimmed, into buf;
 * 0, or -1 with buf "" when it cannot be read or does not fit. */
int file_line(const char *path, char *buf, size_t size);
/* Write all bytes, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/* Atomic replace: a new file beside path (a random name, created with
 * O_EXCL|O_NOFOLLOW: nothing planted there is written through), fsync,
 * rename, fsync the folder. A path that is a symbolic link, not a regular
 * file, or a file of another user is refused (err says what to fix). */
int file_write_atomic_err(const char *path, const void *buf, size_t len, mode_t mode, char *err);
/* The same, the reason in errno only. */
int file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode);
/* Remove PATH.tmp.* (what file_write_atomic writers that were killed left
 * behind); call it only under the lock that serializes PATH's writers. */
void file_tmp_cleanup(const char *path);
/* Open PATH for writing (flags: O_APPEND or O_TRUNC): created MODE, or an
 * existing regular file of the effective user with one link; never through
 * a symbolic link, a device or a fifo. The descriptor, or -1 with err. */
int file_open_own(const char *path, int flags, mode_t mode, char *err);
/* A folder xwpf keeps its own files in: created (parents 0755) when missing,
 * refused when it is not a folder or belongs to another user than the
 * effective one (or the service user, file_trust_owner), and made MODE
 * (0700) when it is not (MODE plus group read for the service user's group
 * stays as it is: install.sh --user lets the relay read the store). */
int dir_own(const char *path, mode_t mode, char *err);
/* The service user (install.sh --user): when the caller is root, xwpf's own
 * files and folders may also belong to this user, and what root creates in
 * a folder of that user's is given to it (so the relay, running as it, can
 * go on using it); a file root replaces in its own folder keeps the group of
 * that user and its read bit (the store the relay reads). (uid_t)-1: none
 * (the default). paths.c sets it from the state folder's owner. */
void file_trust_owner(uid_t uid, gid_t gid);
/* 1 when a file or folder of UID is xwpf's own for this caller. */
int file_owner_ok(uid_t uid);
/* PATH, a folder root has just made in PARENT, goes to the service user when
 * PARENT is that user's (0, or -1 with errno). */
int dir_give(const char *parent, const char *path);
/* mkdir -p with mode for the created parts. */
int mkdir_p(const char *path, mode_t mode);

#endif
