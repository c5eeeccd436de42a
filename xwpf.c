/*
 * xwpf: one binary, many applets (busybox style).
 *
 * Dispatch on the basename of argv[0] (a symlink named after an applet;
 * "pf" opens the menu), else on argv[1]. Only dispatch lives here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets/applet.h"
#include "paths.h"

#ifndef XWPF_VERSION
#define XWPF_VERSION "0.0.0-dev"
#endif

struct applet {
	const char *name;
	const char *summary;
	int (*main)(int, char **);
	const char *usage;
};

static const struct applet applets[] = {
#define APPLET(n, s) { #n, s, n##_main, n##_usage },
#include "applets/applets.h"
#undef APPLET
};
#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

const char *applet_name = "xwpf";

static const struct applet *
find_applet(const char *name)
{
	size_t lo = 0, hi = NAPPLETS;

	if (strcmp(name, "pf") == 0)
		name = "menu";
	while (lo < hi) {   /* the list is sorted (checked by tests/unit/test_applets.c) */
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, applets[mid].name);
		if (c == 0)
			return &applets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void
list_applets(FILE *f)
{
	size_t i;

	for (i = 0; i < NAPPLETS; i++)
		fprintf(f, "  %-10s %s\n", applets[i].name, applets[i].summary);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "xwpf %s: port-forwarding relay and its tools in one binary\n"
	    "\n"
	    "usage: xwpf APPLET [ARGS...]   or a symlink named after the applet\n"
	    "       xwpf --list | --install DIR | --version | --help\n"
	    "       xwpf APPLET --help\n"
	    "\n"
	    "Every applet takes --root DIR (or XWPF_ROOT=DIR) to keep its config,\n"
	    "state and runtime files under DIR instead of /.\n"
	    "\n"
	    "applets:\n", XWPF_VERSION);
	list_applets(f);
}

/* xwpf --install DIR: one symlink per applet, plus pf when the menu exists. */
static int
install_links(const char *dir)
{
	char self[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	size_t i;
	int rc = EXIT_OK;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "xwpf: cannot find my own path: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	self[n] = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "xwpf: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_FAIL;
	}
	for (i = 0; i <= NAPPLETS; i++) {
		const char *name;

		if (i == NAPPLETS) {
			if (!find_applet("menu"))
				break;
			name = "pf";
		} else if (strcmp(applets[i].name, "realm") == 0)
			continue;   /* a link named realm would replace realm itself: made by hand only */
		else
			name = applets[i].name;
		if ((size_t)snprintf(link, sizeof(link), "%s/%s", dir, name) >= sizeof(link)) {
			fprintf(stderr, "xwpf: path too long: %s/%s\n", dir, name);
			return EXIT_FAIL;
		}
		if (unlink(link) < 0 && errno != ENOENT) {
			fprintf(stderr, "xwpf: cannot replace %s: %s\n", link, strerror(errno));
			rc = EXIT_FAIL;
			continue;
		}
		if (symlink(self, link) < 0) {
			fprintf(stderr, "xwpf: cannot link %s: %s\n", link, strerror(errno));
			rc = EXIT_FAIL;
		}
	}
	return rc;
}

/* Remove "--root DIR" / "--root=DIR" (before any "--") and export XWPF_ROOT. */
static int
take_root(int argc, char **argv)
{
	int i, j;

	for (i = 1; i < argc; i++) {
		const char *val = NULL;
		int used = 1;

		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--root") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: --root needs a directory\n", applet_name);
				return -1;
			}
			val = argv[i + 1];
			used = 2;
		} else if (strncmp(argv[i], "--root=", 7) == 0)
			val = argv[i] + 7;
		else
			continue;
		if (*val == '\0') {
			fprintf(stderr, "%s: --root needs a directory\n", applet_name);
			return -1;
		}
		setenv("XWPF_ROOT", val, 1);
		for (j = i; j + used <= argc; j++)
			argv[j] = argv[j + used];
		argc -= used;
		i--;
	}
	return argc;
}

static int
run_applet(const struct applet *a, int argc, char **argv)
{
	static char namebuf[64];

	snprintf(namebuf, sizeof(namebuf), "xwpf %s", a->name);
	applet_name = namebuf;
	if (getenv("XWPF_MENU"))   /* the menu reads stdout and stderr through one pipe: keep their order */
		setvbuf(stdout, NULL, _IOLBF, 0);
	argc = take_root(argc, argv);
	if (argc < 0)
		return EXIT_USAGE;
	/* the library knows the root only from here (the environment keeps it for the children) */
	if (paths_set_root(getenv("XWPF_ROOT")) < 0) {
		fprintf(stderr, "%s: the root folder's name is too long\n", applet_name);
		return EXIT_USAGE;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(a->usage, stdout);
		return EXIT_OK;
	}
	return a->main(argc, argv);
}

int
main(int argc, char **argv)
{
	const char *base;
	const struct applet *a;

	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	while (*base == '-')   /* login shells: "-pf" */
		base++;
	if ((a = find_applet(base)) != NULL)
		return run_applet(a, argc, argv);

	if ((argc = take_root(argc, argv)) < 0)   /* xwpf --root DIR APPLET ... */
		return EXIT_USAGE;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("xwpf %s\n", XWPF_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--list") == 0) {
		size_t i;
		for (i = 0; i < NAPPLETS; i++)
			puts(applets[i].name);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--install") == 0) {
		if (argc != 3) {
			fprintf(stderr, "usage: xwpf --install DIR\n");
			return EXIT_USAGE;
		}
		return install_links(argv[2]);
	}
	if ((a = find_applet(argv[1])) != NULL)
		return run_applet(a, argc - 1, argv + 1);

	fprintf(stderr, "xwpf: unknown applet '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_UNKNOWN;
}
