#ifndef XWPF_APPLET_MPTCP_H
#define XWPF_APPLET_MPTCP_H

/*
 * The mptcp applet, split over applets/mptcp/. Shared symbols carry the
 * mptcp_cli_ prefix (mptcp_ alone is lib/system's); everything else is static.
 *
 * mptcp.c         command line, enable/disable, endpoints, limits, apply
 * mptcp_status.c  `xwpf mptcp status [--json]`: what the kernel, the store
 *                 and the interfaces say
 */
#include <stddef.h>
#include <stdio.h>

#include "mptcp_kernel.h"

/* "applet: message" on stderr. */
void mptcp_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The path manager in use ("kernel", "userspace"), NULL when unknown. */
const char *mptcp_cli_path_manager(char *buf, size_t size);
/* One endpoint as a JSON object. */
void mptcp_cli_json_endpoint(FILE *f, const struct mptcp_endpoint *e);
/* `xwpf mptcp status [--json]` (argv[0] is "status"): the exit code. */
int mptcp_cli_status(int argc, char **argv);

#endif
