/* A tiny test harness: each CHECK prints "ok - ..." or "not ok - ...". */
#ifndef XWPF_T_H
#define XWPF_T_H

#include <stdio.h>
#include <string.h>

static int t_failed, t_passed;

#define CHECK(cond, ...) do {                                                   \
	if (cond) {                                                              \
		t_passed++;                                                      \
		printf("ok - " __VA_ARGS__);                                     \
		printf("\n");                                                    \
	} else {                                                                 \
		t_failed++;                                                      \
		printf("not ok - " __VA_ARGS__);                                 \
		printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #cond);             \
	}                                                                        \
} while (0)

#define CHECK_STR(a, b, ...) do {                                               \
	const char *t_a = (a), *t_b = (b);                                       \
	CHECK(t_a && t_b && strcmp(t_a, t_b) == 0, __VA_ARGS__);                 \
	if (!(t_a && t_b && strcmp(t_a, t_b) == 0))                              \
		printf("#   got '%s', expected '%s'\n", t_a ? t_a : "(null)",       \
		    t_b ? t_b : "(null)");                                       \
} while (0)

#define T_DONE() (printf("# %d passed, %d failed\n", t_passed, t_failed), t_failed ? 1 : 0)



/* Applets print their name; xwpf.c (not linked into unit tests) normally sets it. */
const char *applet_name = "test";
#endif
