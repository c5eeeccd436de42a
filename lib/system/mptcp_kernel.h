#ifndef XWPF_MPTCP_H
#define XWPF_MPTCP_H

/*
 * MPTCP system state: endpoints and limits of the in-kernel path manager
 * (generic netlink family "mptcp_pm", the same requests iproute2's
 * ip/ipmptcp.c sends), the net.mptcp sysctls, and counts of MPTCP sockets
 * (sock_diag), for endpoints in mptcp_endpoint.h's form.
 * Nothing here prints: errors go to err (ERRLEN) in words that say what to do.
 */
#include <stddef.h>
#include <stdint.h>

#include "mptcp_endpoint.h"
#include "nl.h"

struct store_mptcp;

/* Resolve e->dev to e->ifindex (-1: no such interface) and check that the
 * address is configured on that NIC, or on some NIC when dev is "". */
int mptcp_endpoint_local(struct mptcp_endpoint *e, char *err);

/* ---- the path manager ---- */
struct mptcp_pm {
	struct nl_sock nl;
	uint16_t family;
	uint32_t version;
};

/* -1 with errno ENOENT and words when the kernel has no MPTCP. */
int mptcp_pm_open(struct mptcp_pm *pm, char *err);
void mptcp_pm_close(struct mptcp_pm *pm);
/* Every endpoint, in the kernel's order; *v is malloc'ed (free it). */
int mptcp_pm_list(struct mptcp_pm *pm, struct mptcp_endpoint **v, size_t *n, char *err);
int mptcp_pm_add(struct mptcp_pm *pm, const struct mptcp_endpoint *e, char *err);
int mptcp_pm_del(struct mptcp_pm *pm, int id, char *err);
int mptcp_pm_flush(struct mptcp_pm *pm, char *err);
int mptcp_pm_limits_get(struct mptcp_pm *pm, long *subflows, long *add_addr_accepted, char *err);
/* -1 for either value keeps what the kernel has. */
int mptcp_pm_limits_set(struct mptcp_pm *pm, long subflows, long add_addr_accepted, char *err);

/* ---- sockets ---- */
struct mptcp_conns {
	long established;        /* MPTCP sockets past the handshake, not listening */
	long other;              /* MPTCP sockets opening or closing */
	long listening;          /* MPTCP listeners */
	long subflows;           /* TCP subflows under the non-listening sockets */
};
/* sock_diag with IPPROTO_MPTCP, IPv4 and IPv6 (what `ss -M` shows). */
int mptcp_conn_count(struct mptcp_conns *c, char *err);
/* One MPTcpExt counter of /proc/net/netstat (cumulative since boot); -1 if absent. */
long long mptcp_netstat(const char *name);

/* ---- sysctls (always the live /proc/sys of this network namespace) ---- */
/* "net.mptcp.enabled" -> value text without newline; -1 (errno) if absent. */
int mptcp_sysctl_get(const char *name, char *buf, size_t size);
int mptcp_sysctl_set(const char *name, const char *value, char *err);
/* The boot-time sysctl file (MPTCP_SYSCTL_FILE under the root) as xwpf writes
 * it: 'xwpf mptcp enable' (on 1) or 'disable' (on 0), and an import, which
 * makes it from the store's [mptcp] section instead of copying an archive's.
 * Whether the pm_type line is there depends on this kernel. Returns text. */
#define MPTCP_SYSCTL_FILE "/etc/sysctl.d/90-xwpf-mptcp.conf"
const char *mptcp_sysctl_text(int on, char *buf, size_t size);

/* ---- re-applying the store ---- */
enum { MPTCP_REPORT_INFO, MPTCP_REPORT_WARN, MPTCP_REPORT_ERROR };
typedef void (*mptcp_report_fn)(void *arg, int level, const char *msg);
/* Make the kernel hold what [mptcp] says: enabled, limits, endpoints (added,
 * or replaced when they differ; endpoints the store does not name are left
 * alone). Returns the number of errors (each reported), or -1 when MPTCP
 * cannot be reached at all (err says why). */
int mptcp_apply(const struct store_mptcp *m, mptcp_report_fn report, void *arg, char *err);

#endif
