#ifndef XWPF_APPLET_H
#define XWPF_APPLET_H

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

/* Set by xwpf.c before the applet runs: "xwpf rule" or "rule". */
extern const char *applet_name;

#endif
