#ifndef XWPF_TEXT_H
#define XWPF_TEXT_H

/*
 * Text that came from outside (a store, an archive, a peer, /proc) and is
 * kept or shown. A stored value may hold any valid UTF-8 letter (a Chinese
 * note is fine) but no control character: none of C0 (0x00-0x1f, tab
 * included), DEL (0x7f), C1 (U+0080-U+009F) or bytes that are not valid
 * UTF-8, since a terminal acts on them when the value is printed. Printed
 * text from outside goes through text_escape, which writes those as \xHH.
 */
#include <stddef.h>

/* 1 if s holds only printable text (the rules above); else 0 and *bad
 * (if given) is the offset of the first refused byte. */
int text_printable(const char *s, size_t *bad);
/* s with every refused byte written as \xHH (and a backslash as is); cut to
 * fit size (never inside an escape). Returns buf. */
char *text_escape(const char *s, char *buf, size_t size);
/* The same, in place, for a buffer of size bytes (escapes that do not fit are cut). */
void text_escape_inplace(char *s, size_t size);

/* A name xwpf keeps things under (a rule's): 1 to TEXT_NAME_CHARS letters
 * of any script and digits, '.', '_' or '-' (香港-日本 is one); no space,
 * control, punctuation or symbol outside ASCII, and none of []=#; so it is
 * one word in a line of the store, the ledger and a log. Never a file name.
 * 1 if s is one, else 0. */
#define TEXT_NAME_CHARS 40
#define TEXT_NAME_MAX (4 * TEXT_NAME_CHARS)   /* bytes */
int text_name_valid(const char *s);
/* Terminal columns s takes (East Asian wide letters 2, combining marks 0,
 * a byte shown as \xHH 4). */
size_t text_width(const char *s);
/* s followed by spaces up to width columns (a table column), in buf. */
char *text_pad(const char *s, size_t width, char *buf, size_t size);

/* UTF-8 (any code point but the UTF-16 surrogates, shortest form): the length
 * of the sequence at s within avail bytes, or 0 when none starts there. */
size_t text_utf8_len(const char *s, size_t avail);
/* Code point cp as UTF-8 into out: its length, or 0 for a surrogate or
 * one past U+10FFFF. */
size_t text_utf8_put(unsigned cp, char out[4]);
/* The n (at most 8) hex digits at p (either case) into *out: 0, or -1. */
int text_hex(const char *p, size_t n, unsigned *out);

#endif
