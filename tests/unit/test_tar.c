/* tar.c: ustar header known answers, round trip, and every refusal. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "t.h"
#include "tar.h"
#include "util.h"

static unsigned char arc[1 << 16];
static size_t arclen;

/* a raw header with a correct checksum */
static void
hdr(unsigned char *h, const char *name, char type, const char *size_octal)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 124, size_octal, strlen(size_octal));
	memcpy(h + 136, "00000000000", 11);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void
plain_begin(void)
{
	memset(arc, 0, sizeof(arc));
	arclen = 0;
}

static void
plain_add(const char *name, char type, const char *data)
{
	char sz[16];
	size_t n = data ? strlen(data) : 0;

	snprintf(sz, sizeof(sz), "%011zo", n);
	hdr(arc + arclen, name, type, sz);
	arclen += 512;
	if (n) {
		memcpy(arc + arclen, data, n);
		arclen += (n + 511) / 512 * 512;
	}
}

static int
plain_read(struct tar_archive *a, char *err)
{
	struct tar_limits l;

	tar_limits_default(&l);
	return tar_read(arc, arclen + 1024, &l, a, err);
}

static int
refused(const char *name, char type, const char *data, const char *want)
{
	struct tar_archive a;
	char err[ERRLEN] = "";
	int rc;

	plain_begin();
	plain_add("ok.txt", '0', "fine");
	plain_add(name, type, data);
	rc = plain_read(&a, err);
	if (rc == 0)
		tar_free(&a);
	if (rc == 0 || !strstr(err, want)) {
		printf("#   err: %s\n", err);
		return 0;
	}
	return 1;
}

static size_t
gz(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (unsigned)len;
	z.next_out = out;
	z.avail_out = (unsigned)cap;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return z.total_out;
}

int
main(void)
{
	unsigned char h[512], *out = NULL, *big;
	char err[ERRLEN] = "";
	struct tar_writer w = { 0 };
	struct tar_archive a;
	struct tar_limits lim;
	const struct tar_entry *e;
	size_t outlen = 0, n;
	char longname[200];

	/* known answer: the header python's tarfile writes for these fields */
	CHECK(tar_header(h, "a.txt", '0', 0644, 5, 0, err) == 0, "header for a.txt");
	CHECK(memcmp(h + 148, "010531\0 ", 8) == 0, "checksum field is 010531 NUL space");
	CHECK(memcmp(h + 124, "00000000005\0", 12) == 0, "size field is octal");
	CHECK(memcmp(h + 257, "ustar\0" "00", 8) == 0, "ustar magic and version");
	memset(longname, 'd', sizeof(longname));
	memcpy(longname + 120, "/", 1);
	longname[199] = '\0';
	CHECK(tar_header(h, longname, '0', 0644, 0, 0, err) == 0, "a 199-character name splits into prefix and name");
	CHECK(h[345] == 'd' && h[0] == 'd' && h[77] == 'd' && h[78] == '\0', "prefix and name fields filled");
	CHECK(tar_header(h, "../x", '0', 0644, 0, 0, err) < 0, "the writer refuses '..'");

	/* names */
	CHECK(tar_name_safe("a/b/c"), "a/b/c is safe");
	CHECK(!tar_name_safe("/etc/passwd"), "absolute is not safe");
	CHECK(!tar_name_safe("a/../b"), "a/../b is not safe");
	CHECK(!tar_name_safe(".."), ".. is not safe");
	CHECK(tar_name_safe("a/..b/c"), "..b is a name, not a parent");
	CHECK(!tar_name_safe("a\nb"), "a control character is not safe");

	/* round trip through gzip */
	CHECK(tar_add_dir(&w, "top", 0755, 1700000000, err) == 0, "add a directory");
	CHECK(tar_add_file(&w, "top/key", 0600, 1700000000, "secret", 6, err) == 0, "add a file");
	CHECK(tar_add_file(&w, "top/empty", 0644, 1700000000, "", 0, err) == 0, "add an empty file");
	CHECK(tar_finish_gz(&w, &out, &outlen, err) == 0 && outlen > 20, "finish: %zu gzip bytes", outlen);
	tar_limits_default(&lim);
	CHECK(tar_read(out, outlen, &lim, &a, err) == 0, "read back (%s)", err);
	CHECK(a.n == 3, "three entries");
	e = tar_find(&a, "top/key");
	CHECK(e && e->size == 6 && memcmp(e->data, "secret", 6) == 0 && e->mode == 0600, "file data and mode");
	e = tar_find(&a, "top");
	CHECK(e && e->type == '5', "the directory, without its slash");
	CHECK(a.inflated % 10240 == 0, "padded to whole records");
	tar_free(&a);

	/* truncation at every cut point the stream has */
	{
		int all = 1;
		for (n = 0; n < outlen; n += 7) {
			if (tar_read(out, n, &lim, &a, err) == 0) {
				tar_free(&a);
				all = 0;
			}
		}
		CHECK(all, "every truncated copy is refused");
	}
	CHECK(tar_read(out, outlen - 1, &lim, &a, err) < 0 && strstr(err, "truncated"), "cut by one byte: truncated");
	out[outlen / 2] ^= 0x55;
	CHECK(tar_read(out, outlen, &lim, &a, err) < 0, "a flipped byte is refused (%s)", err);
	free(out);

	/* refusals, one entry type at a time */
	CHECK(refused("x/../../etc/passwd", '0', "x", "leaves the archive"), "'..' refused");
	CHECK(refused("/etc/passwd", '0', "x", "absolute"), "absolute path refused");
	CHECK(refused("ln", '2', NULL, "symbolic link"), "symlink refused");
	CHECK(refused("hl", '1', NULL, "hard link"), "hard link refused");
	CHECK(refused("dev", '3', NULL, "device node"), "character device refused");
	CHECK(refused("blk", '4', NULL, "device node"), "block device refused");
	CHECK(refused("p", '6', NULL, "fifo"), "fifo refused");
	CHECK(refused("s", 'S', NULL, "sparse"), "GNU sparse refused");
	CHECK(refused("v", 'V', NULL, "unknown type"), "unknown type refused");
	CHECK(refused("ok.txt", '0', "again", "twice"), "duplicate name refused");
	CHECK(refused("./ok.txt", '0', "again", "twice"), "duplicate after ./ refused");
	CHECK(refused("x", 'x', "22 GNU.sparse.major=1\n", "sparse"), "pax sparse refused");
	/* pax path applies to the next entry */
	plain_begin();
	plain_add("pax", 'x', "18 path=long/name\n");
	plain_add("short", '0', "data");
	CHECK(plain_read(&a, err) == 0 && tar_find(&a, "long/name") && !tar_find(&a, "short"),
	    "a pax path renames the next entry");
	tar_free(&a);
	plain_begin();
	plain_add("pax", 'x', "19 path=../../evil\n");
	plain_add("short", '0', "data");
	CHECK(plain_read(&a, err) < 0 && strstr(err, "leaves the archive"), "a pax path with '..' is refused");
	plain_begin();
	plain_add("././@LongLink", 'L', "/abs/olute");
	plain_add("short", '0', "data");
	CHECK(plain_read(&a, err) < 0 && strstr(err, "absolute"), "a GNU long name is checked too");

	/* sizes: a header that claims 1 GiB is refused before any data */
	plain_begin();
	hdr(arc, "big", '0', "10000000000");
	arclen = 512;
	CHECK(plain_read(&a, err) < 0 && strstr(err, "1073741824 bytes, past the limit"), "1 GiB header refused: %s", err);
	/* base-256 size */
	plain_begin();
	hdr(arc, "huge", '0', "");
	arc[124] = 0x80;
	arc[131] = 0x01;   /* 2^32 */
	{
		unsigned sum = 0;
		size_t i;
		memset(arc + 148, ' ', 8);
		for (i = 0; i < 512; i++)
			sum += arc[i];
		snprintf((char *)arc + 148, 8, "%06o", sum);
	}
	arclen = 512;
	CHECK(plain_read(&a, err) < 0 && strstr(err, "past the limit"), "base-256 size refused: %s", err);
	/* checksum */
	plain_begin();
	plain_add("ok", '0', "x");
	arc[0] = 'p';
	CHECK(plain_read(&a, err) < 0 && strstr(err, "not a tar archive (it starts with 'pk')"),
	    "a bad checksum in the first header: not a tar archive (%s)", err);
	plain_begin();
	plain_add("ok", '0', "x");
	plain_add("two", '0', "y");
	arc[1024] = 'p';
	CHECK(plain_read(&a, err) < 0 && strstr(err, "checksum (entry 'pwo')"), "a bad checksum later is refused: %s", err);
	/* a text file's first bytes: escaped and short */
	plain_begin();
	plain_add("ok", '0', "x");
	{
		static const char text[] = "# title\n\nA paragraph of prose that goes on and on for a while";
		memcpy(arc, text, sizeof(text) - 1);
	}
	CHECK(plain_read(&a, err) < 0 && strstr(err, "starts with '# title\\x0a\\x0aA paragraph of pr...'") &&
	    !strchr(err, '\n'), "a text's start: escaped, cut, one line: %s", err);
	/* no end marker */
	plain_begin();
	plain_add("ok", '0', "x");
	CHECK(tar_read(arc, arclen, &lim, &a, err) < 0 && strstr(err, "truncated"), "no end marker: truncated");
	/* not an archive */
	CHECK(tar_read("hello", 5, &lim, &a, err) < 0 && strstr(err, "not a .tar.gz"), "junk refused");

	/* a gzip bomb: 8 MiB of zeros in a few KiB */
	n = 8u << 20;
	big = calloc(1, n);
	out = malloc(1 << 20);
	hdr(big, "z", '0', "00037777000");   /* about 8 MiB minus a little */
	outlen = gz(big, n, out, 1 << 20);
	CHECK(tar_read(out, outlen, &lim, &a, err) < 0 && strstr(err, "gzip bomb"), "ratio %zu:1 refused: %s",
	    n / outlen, err);
	lim.max_ratio = 100000;
	lim.max_total = 4u << 20;
	CHECK(tar_read(out, outlen, &lim, &a, err) < 0 && strstr(err, "inflates past"), "total cap refused: %s", err);
	free(big);
	free(out);
	return T_DONE();
}
