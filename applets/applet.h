#ifndef XWPF_APPLET_H
#define XWPF_APPLET_H

#include <limits.h>

#include "paths.h"

/* Exit codes shared by every applet (docs/applets.md, "Exit codes"). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,       /* runtime failure */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_CONFIG = 3,     /* invalid configuration */
	EXIT_UNKNOWN = 127,  /* unknown applet */
};

#define APPLET(name, summary)                  \
	int name##_main(int argc, char **argv); \
	extern const char name##_usage[];
#include "applets.h"
#undef APPLET

/* The command "xwpf ARGS" (printf's fmt and arguments) as the user types it
 * for the root in effect (path_cmd: with its --root), in a buffer that lives
 * to the end of the enclosing block: for a hint printed there. */
#define CMD_MAX (PATH_MAX + 300)
#define XCMD(...) path_cmdf((char[CMD_MAX]){ 0 }, CMD_MAX, __VA_ARGS__)

/* Set by xwpf.c before the applet runs: "xwpf rule" or "rule". */
extern const char *applet_name;

#endif
