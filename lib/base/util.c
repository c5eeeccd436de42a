#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		if (size)
			dst[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

char *
str_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

uint32_t
fnv1a32(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * FNV1A32_PRIME;
	return h;
}

uint64_t
fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

int
strbuf_put(struct strbuf *b, const void *p, size_t n)
{
	if (n >= b->max || b->n + n + 1 > b->max) {
		errno = E2BIG;
		return -1;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *ns;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(ns = realloc(b->s, cap)))
			return -1;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, long *out_ms)
{
	char *end;
	long v, mul = 1000;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	if (v > LONG_MAX / mul)   /* 32-bit long: about 24 days of milliseconds */
		return -1;
	*out_ms = v * mul;
	return 0;
}

int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': mul = 1; break;
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	case 'T': mul = 1ULL << 40; end++; break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (mul > 1 && v > UINT64_MAX / mul))
		return -1;
	*out = v * mul;
	return 0;
}

int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (str_ieq(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

char *
fmt_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
	return buf;
}

static int64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

int64_t
now_ms(void)
{
	return now_us() / 1000;
}

int64_t
wall_ms(void)
{
	return clock_us(CLOCK_REALTIME) / 1000;
}

struct timespec
clock_after_ms(clockid_t id, int64_t ms)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

int
file_line(const char *path, char *buf, size_t size)
{
	char *s = file_read(path, NULL);
	int rc;

	if (!s) {
		if (size)
			buf[0] = 0;
		return -1;
	}
	s[strcspn(s, "\n")] = 0;
	rc = str_copy(buf, size, str_trim(s));
	if (rc < 0 && size)
		buf[0] = 0;
	free(s);
	return rc < 0 ? -1 : 0;
}

char *
file_read(const char *path, size_t *len)
{
	return file_read_flags(path, len, 0);
}

char *
file_read_flags(const char *path, size_t *len, int flags)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	struct stat st;
	ssize_t r;
	int fd, saved;

	/* non-blocking open: a fifo planted at the name cannot hold us */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (flags & O_NOFOLLOW))) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	for (;;) {
		if (n >= FILE_READ_MAX) {
			errno = EFBIG;
			goto fail;
		}
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (!(nb = realloc(buf, cap)))
				goto fail;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf && !(buf = malloc(1)))
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Split PATH into its folder ("." or "/" for short ones) and its last part. */
static int
split_path(const char *path, char *dir, size_t dsize, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*base = path;
		return str_copy(dir, dsize, ".");
	}
	*base = slash + 1;
	if (slash == path)
		return str_copy(dir, dsize, "/");
	if ((size_t)(slash - path) >= dsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

/* A name no other process can guess: BASE.tmp. and 12 random letters. */
static int
tmp_name(char *out, size_t size, const char *base, unsigned attempt)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[12];
	char tail[13];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {   /* O_EXCL keeps it safe anyway */
		uint64_t x = (uint64_t)now_us() * 6364136223846793005ULL + (uint64_t)getpid() * 1442695040888963407ULL +
		    attempt;
		for (i = 0; i < sizeof(r); i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			r[i] = (unsigned char)(x >> 56);
	}
	for (i = 0; i < sizeof(r); i++)
		tail[i] = set[r[i] % (sizeof(set) - 1)];
	tail[i] = '\0';
	if ((size_t)snprintf(out, size, "%s.tmp.%s", base, tail) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static uid_t trust_uid = (uid_t)-1;
static gid_t trust_gid = (gid_t)-1;

void
file_trust_owner(uid_t uid, gid_t gid)
{
	trust_uid = uid;
	trust_gid = gid;
}

int
file_owner_ok(uid_t uid)
{
	return uid == geteuid() || (geteuid() == 0 && trust_uid != (uid_t)-1 && uid == trust_uid);
}

/* fd (a file or folder root has just made) goes to the service user when
 * the folder it is in (dirfd) is that user's. */
static int
give_to_service(int dirfd, int fd)
{
	struct stat d;

	if (geteuid() != 0 || trust_uid == (uid_t)-1 || fstat(dirfd, &d) < 0 || d.st_uid != trust_uid)
		return 0;
	return fchown(fd, trust_uid, trust_gid);
}

/* What may be replaced at NAME in DIRFD: nothing, or a regular file of ours
 * (its stat in *old, st_nlink 0 when there is none). */
static int
target_ok(int dirfd, const char *name, const char *path, struct stat *old, char *err)
{
	struct stat st;

	memset(old, 0, sizeof(*old));
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, ERRLEN, "cannot check %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, ERRLEN, "refusing to write %s: it is a symbolic link (remove it, or name the file it "
		    "points at)", path);
		errno = ELOOP;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, ERRLEN, "refusing to write %s: it is not a regular file (remove it or choose another name)",
		    path);
		errno = EEXIST;
		return -1;
	}
	if (!file_owner_ok(st.st_uid)) {
		snprintf(err, ERRLEN, "refusing to replace %s: it belongs to uid %ld, not to uid %ld that writes it "
		    "(remove it, or choose another name)", path, (long)st.st_uid, (long)geteuid());
		errno = EPERM;
		return -1;
	}
	*old = st;
	return 0;
}

/* The new file's owner: the service user's in its folder; else, replacing a
 * file the service user's group may read (the store), that group and read. */
static int
keep_owner(int dirfd, int fd, const struct stat *old, mode_t *mode)
{
	if (give_to_service(dirfd, fd) < 0)
		return -1;
	if (geteuid() == 0 && trust_gid != (gid_t)-1 && old->st_nlink && old->st_uid == 0 &&
	    old->st_gid == trust_gid && (old->st_mode & 0040)) {
		*mode |= 0040;
		return fchown(fd, (uid_t)-1, trust_gid);
	}
	return 0;
}

int
file_write_atomic_err(const char *path, const void *buf, size_t len, mode_t mode, char *err)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	struct stat old, now;
	const char *base;
	int dfd = -1, fd = -1, saved;
	unsigned attempt;

	if (split_path(path, dir, sizeof(dir), &base) < 0 || !*base || strlen(base) + 18 > NAME_MAX) {
		snprintf(err, ERRLEN, "cannot write %s: the name is too long or names a folder", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, ERRLEN, "cannot write %s: %s (choose another place)", path, strerror(errno));
		return -1;
	}
	if (target_ok(dfd, base, path, &old, err) < 0)
		goto out;
	for (attempt = 0; attempt < 16; attempt++) {
		if (tmp_name(tmp, sizeof(tmp), base, attempt) < 0)
			break;
		/* a fresh file of ours: never through a link, never one planted before */
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(err, ERRLEN, "cannot write %s: cannot create a temporary file in %s: %s", path, dir,
		    strerror(errno));
		goto out;
	}
	if (keep_owner(dfd, fd, &old, &mode) < 0 || fchmod(fd, mode) < 0 || write_all(fd, buf, len) < 0 ||
	    fsync(fd) < 0) {
		snprintf(err, ERRLEN, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		snprintf(err, ERRLEN, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (target_ok(dfd, base, path, &now, err) < 0)   /* planted while we wrote */
		goto fail;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		snprintf(err, ERRLEN, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fsync(dfd) < 0) {
		snprintf(err, ERRLEN, "wrote %s, but cannot flush its folder: %s", path, strerror(errno));
		goto out;
	}
	close(dfd);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	errno = saved;
out:
	saved = errno;
	close(dfd);
	errno = saved;
	return -1;
}

int
file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	char err[ERRLEN];

	return file_write_atomic_err(path, buf, len, mode, err);
}

int
file_open_own(const char *path, int flags, mode_t mode, char *err)
{
	struct stat st;
	int base = O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | (flags & O_APPEND);
	/* a new file is made O_EXCL; one already there is opened without
	 * O_CREAT and must then pass the checks below (ours, regular, one link) */
	int fd = open(path, base | O_CREAT | O_EXCL, mode);

	if (fd < 0 && errno == EEXIST)
		fd = open(path, base);

	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, ERRLEN, "refusing to write %s: it is a symbolic link (remove it, or name the file "
			    "it points at)", path);
		else
			snprintf(err, ERRLEN, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !file_owner_ok(st.st_uid) || st.st_nlink != 1) {
		snprintf(err, ERRLEN, "refusing to write %s: it is not a regular file of uid %ld with one name "
		    "(remove it, or choose another name)", path, (long)geteuid());
		close(fd);
		errno = EPERM;
		return -1;
	}
	if (((flags & O_TRUNC) && ftruncate(fd, 0) < 0) || fcntl(fd, F_SETFL, flags & O_APPEND) < 0) {
		snprintf(err, ERRLEN, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
file_tmp_cleanup(const char *path)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 8];
	const char *base;
	struct dirent *e;
	size_t n;
	DIR *d;
	int dfd;

	if (split_path(path, dir, sizeof(dir), &base) < 0 || !*base)
		return;
	n = (size_t)snprintf(prefix, sizeof(prefix), "%s.tmp.", base);
	if (n >= sizeof(prefix) || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, n) == 0 && e->d_name[n])
			unlinkat(dfd, e->d_name, 0);   /* the name only: never what a link points at */
	closedir(d);
}

int
dir_give(const char *parent, const char *path)
{
	struct stat d;

	if (geteuid() != 0 || trust_uid == (uid_t)-1 || stat(parent, &d) < 0 || d.st_uid != trust_uid)
		return 0;
	return chown(path, trust_uid, trust_gid);
}

int
dir_own(const char *path, mode_t mode, char *err)
{
	struct stat st;
	char parent[PATH_MAX];
	const char *base;

	int made;

	if (split_path(path, parent, sizeof(parent), &base) < 0 || (strcmp(parent, ".") != 0 &&
	    mkdir_p(parent, 0755) < 0) || (!(made = mkdir(path, mode) == 0) && errno != EEXIST)) {
		snprintf(err, ERRLEN, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (made && dir_give(parent, path) < 0) {
		snprintf(err, ERRLEN, "cannot give %s to uid %ld: %s", path, (long)trust_uid, strerror(errno));
		return -1;
	}
	if (stat(path, &st) < 0) {
		snprintf(err, ERRLEN, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, ERRLEN, "%s is not a folder: remove it (xwpf keeps its files there)", path);
		errno = ENOTDIR;
		return -1;
	}
	if (!file_owner_ok(st.st_uid)) {
		snprintf(err, ERRLEN, "refusing to use %s: it belongs to uid %ld, not to uid %ld (run 'chown %ld %s', "
		    "or remove it)", path, (long)st.st_uid, (long)geteuid(), (long)geteuid(), path);
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & 07777) == (mode | 0050) && trust_gid != (gid_t)-1 && st.st_gid == trust_gid)
		return 0;   /* the service user may read it (install.sh --user) */
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0) {
		snprintf(err, ERRLEN, "cannot make %s mode %04o: %s", path, (unsigned)mode, strerror(errno));
		return -1;
	}
	return 0;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (str_copy(buf, sizeof(buf), path) < 0)
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}
