/*
 * Printable text: what a stored value may hold, and escaping what is shown (text.h).
 */
#include "text.h"

#include <ctype.h>
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
 * (1 for printable ASCII), or 0. s is NUL-terminated: a sequence never runs
 * past it (a NUL is no continuation byte). */
static size_t
good_char(const unsigned char *s)
{
	size_t n;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] < 0x80 || !(n = text_utf8_len((const char *)s, 4)))
		return 0;                        /* C0, DEL; not UTF-8 */
	if (n == 2 && s[0] == 0xc2 && s[1] <= 0x9f)
		return 0;                        /* C1: U+0080..U+009F */
	return n;
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

int
text_name_valid(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (n == 0 || n > TEXT_NAME_MAX)
		return 0;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return 0;
	return 1;
}
