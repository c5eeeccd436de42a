#ifndef XWPF_JSON_H
#define XWPF_JSON_H

#include <stdio.h>

/* Write s as a JSON string literal (quotes included), escaping as RFC 8259 says. */
void json_str(FILE *f, const char *s);
/* "key": "value" with a leading comma unless first. */
void json_kv_str(FILE *f, int *first, const char *key, const char *value);
void json_kv_num(FILE *f, int *first, const char *key, long long value);
void json_kv_bool(FILE *f, int *first, const char *key, int value);

#endif
