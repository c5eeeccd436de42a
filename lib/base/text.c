/*
 * Printable text: what a stored value may hold, and escaping what is shown (text.h).
 */
#include "text.h"

#include <stdio.h>
#include <string.h>

size_t
text_utf8_len(const char *s0, size_t avail)
{
	const unsigned char *s = (const unsigned char *)s0;
	unsigned cp;
	size_t n, i;

	if (!avail)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)     /* continuation, overlong 0xc0/0xc1, > U+10FFFF */
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n > avail)
		return 0;
	cp = s[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;                        /* overlong, out of range, surrogate */
	return n;
}

size_t
text_utf8_put(unsigned cp, char out[4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
text_hex(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n > 8)
		return -1;
	for (i = 0; i < n; i++) {
		int ch = (unsigned char)p[i], d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s that is not a control character
 * (1 for printable ASCII), or 0, and its code point in *out. s is
 * NUL-terminated: a sequence never runs past it (a NUL is no continuation
 * byte). */
static size_t
good_cp(const unsigned char *s, unsigned *out)
{
	size_t n, i;
	unsigned cp;

	if (s[0] >= 0x20 && s[0] < 0x7f) {
		*out = s[0];
		return 1;
	}
	if (s[0] < 0x80 || !(n = text_utf8_len((const char *)s, 4)))
		return 0;                        /* C0, DEL; not UTF-8 */
	cp = s[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;                        /* C1: U+0080..U+009F */
	*out = cp;
	return n;
}

static size_t
good_char(const unsigned char *s)
{
	unsigned cp;

	return good_cp(s, &cp);
}

/* Not a letter or digit of any script: spaces, punctuation, symbols and
 * format characters outside ASCII, by block (no table of every letter:
 * what is refused here is what a terminal draws as blank, as punctuation or
 * as a picture, or does not draw). */
static int
not_word_cp(unsigned cp)
{
	static const struct { unsigned lo, hi; } no[] = {
		{ 0x00a0, 0x00bf }, { 0x00d7, 0x00d7 }, { 0x00f7, 0x00f7 },   /* Latin-1 spaces, signs, marks */
		{ 0x034f, 0x034f }, { 0x061c, 0x061c }, { 0x115f, 0x1160 }, { 0x1680, 0x1680 },
		{ 0x180b, 0x180f }, { 0x2000, 0x2bff },   /* general punctuation .. arrows, shapes, symbols */
		{ 0x2e00, 0x2e7f }, { 0x3000, 0x3004 }, { 0x3008, 0x3020 }, { 0x3030, 0x3030 },   /* CJK punctuation */
		{ 0x3164, 0x3164 }, { 0xd800, 0xf8ff },   /* surrogates, private use */
		{ 0xfe00, 0xfe0f }, { 0xfe10, 0xfe1f }, { 0xfe30, 0xfe6f },   /* variation selectors, forms */
		{ 0xfeff, 0xfeff }, { 0xff00, 0xff0f }, { 0xff1a, 0xff20 }, { 0xff3b, 0xff40 },
		{ 0xff5b, 0xff65 }, { 0xffa0, 0xffa0 }, { 0xffe0, 0xffff },   /* fullwidth punctuation, specials */
		{ 0x1f000, 0x1faff }, { 0xe0000, 0x10ffff },   /* emoji and pictographs, tags, private use */
	};
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cp >= no[i].lo && cp <= no[i].hi)
			return 1;
	return (cp & 0xfffe) == 0xfffe;   /* noncharacters */
}

int
text_name_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, chars = 0;
	unsigned cp;

	if (!*p || strlen(s) > TEXT_NAME_MAX)
		return 0;
	for (; *p; p += n, chars++) {
		if (!(n = good_cp(p, &cp)) || chars >= TEXT_NAME_CHARS)
			return 0;
		if (cp < 0x80 ? !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    cp == '.' || cp == '_' || cp == '-') : not_word_cp(cp))
			return 0;
	}
	return 1;
}

/* Columns a terminal gives cp: 2 for East Asian wide and fullwidth, 0 for
 * combining marks and zero-width characters, else 1. */
static int
cp_width(unsigned cp)
{
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
	    (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0xfeff)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
	    (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
	    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;
	unsigned cp;

	while (*p) {
		if (!(n = good_cp(p, &cp))) {   /* shown escaped: \xHH */
			w += 4;
			p++;
			continue;
		}
		w += (size_t)cp_width(cp);
		p += n;
	}
	return w;
}

char *
text_pad(const char *s, size_t width, char *buf, size_t size)
{
	size_t w = text_width(s), n = strlen(s);

	if (!size)
		return buf;
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	while (w < width && n + 1 < size) {
		buf[n++] = ' ';
		w++;
	}
	buf[n] = '\0';
	return buf;
}

int
text_printable(const char *s, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		if (!(n = good_char(p))) {
			if (bad)
				*bad = (size_t)(p - (const unsigned char *)s);
			return 0;
		}
		p += n;
	}
	return 1;
}

char *
text_escape(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	if (!size)
		return buf;
	while (*p) {
		if ((n = good_char(p)) != 0) {
			if (o + n >= size)
				break;
			memcpy(buf + o, p, n);
			o += n;
			p += n;
		} else {
			if (o + 4 >= size)
				break;
			snprintf(buf + o, 5, "\\x%02x", *p);
			o += 4;
			p++;
		}
	}
	buf[o] = '\0';
	return buf;
}

void
text_escape_inplace(char *s, size_t size)
{
	char tmp[1024];

	if (text_printable(s, NULL))
		return;
	text_escape(s, tmp, sizeof(tmp) < size ? sizeof(tmp) : size);
	memcpy(s, tmp, strlen(tmp) + 1);
}
