#ifndef XWPF_TAR_H
#define XWPF_TAR_H

/*
 * tar.gz read and write (ustar headers, gzip through zlib), in memory.
 *
 * The reader is built for archives from strangers: it never touches the
 * file system and refuses, with a message that names the entry, anything
 * an import should not trust: absolute names, "..", links, devices, fifos,
 * sparse files, unknown entry types, duplicate names, entries or totals past
 * the limits, a gzip stream that inflates too far or too steeply (a bomb),
 * a bad header checksum and a truncated archive. It stops as soon as a
 * header says too much, before inflating the data behind it.
 */
#include <stddef.h>
#include <stdint.h>

#define TAR_NAME_MAX 256

struct tar_entry {
	char name[TAR_NAME_MAX];   /* normalised: no leading "./", no trailing '/' */
	char type;                 /* '0' regular file, '5' directory */
	unsigned mode;             /* permission bits only (07777) */
	int64_t mtime;
	size_t size;
	unsigned char *data;       /* size bytes (+ a NUL); NULL for directories */
};

struct tar_archive {
	struct tar_entry *v;
	size_t n;
	uint64_t inflated;         /* bytes of tar the gzip stream held */
};

struct tar_limits {
	size_t max_entry;          /* bytes in one file */
	uint64_t max_total;        /* inflated bytes in all */
	size_t max_entries;
	unsigned max_ratio;        /* inflated / compressed, checked past 1 MiB */
};

void tar_limits_default(struct tar_limits *l);
/* Parse a .tar.gz (or a plain tar) held in memory. 0 ok; -1 with err (ERRLEN). */
int tar_read(const void *buf, size_t len, const struct tar_limits *lim, struct tar_archive *a, char *err);
void tar_free(struct tar_archive *a);
const struct tar_entry *tar_find(const struct tar_archive *a, const char *name);
/* 1 if name is relative, has no ".." component and no control characters. */
int tar_name_safe(const char *name);

/* ---- writing ---- */
struct tar_writer {
	unsigned char *buf;
	size_t len, cap;
};

/* One 512-byte ustar header (type '0' or '5'); -1 with err if the name does not fit. */
int tar_header(unsigned char hdr[512], const char *name, char type, unsigned mode, uint64_t size,
    int64_t mtime, char *err);
int tar_add_file(struct tar_writer *w, const char *name, unsigned mode, int64_t mtime,
    const void *data, size_t len, char *err);
int tar_add_dir(struct tar_writer *w, const char *name, unsigned mode, int64_t mtime, char *err);
/* End the archive and gzip it into *out (malloc'ed). The writer is freed. */
int tar_finish_gz(struct tar_writer *w, unsigned char **out, size_t *outlen, char *err);
void tar_writer_free(struct tar_writer *w);

#endif
