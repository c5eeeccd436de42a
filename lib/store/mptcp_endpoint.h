#ifndef XWPF_MPTCP_ENDPOINT_H
#define XWPF_MPTCP_ENDPOINT_H

/*
 * mptcp_endpoint: the text form of an MPTCP endpoint, shared by the command
 * line, the store's [mptcp] section and xwPF's mptcp_endpoints.conf:
 *
 *   ADDR [dev IF] [id N] [port N] [subflow] [signal] [backup] [fullmesh]
 *
 * tokens in any order (so `ip mptcp endpoint show` lines parse too), and the
 * kernel's rules for one (include/uapi/linux/mptcp.h). Values only: the
 * kernel's path manager is lib/system/mptcp_kernel.h's.
 */
#include <stddef.h>

enum {
	MPTCP_F_SIGNAL = 1 << 0,
	MPTCP_F_SUBFLOW = 1 << 1,
	MPTCP_F_BACKUP = 1 << 2,
	MPTCP_F_FULLMESH = 1 << 3,
	MPTCP_F_IMPLICIT = 1 << 4,   /* made by the kernel, never by a user */
	MPTCP_F_LAMINAR = 1 << 5,    /* Linux 6.18+; shown, not offered */
};
/* the flags a user may set */
#define MPTCP_F_USER (MPTCP_F_SIGNAL | MPTCP_F_SUBFLOW | MPTCP_F_BACKUP | MPTCP_F_FULLMESH)

#define MPTCP_ENDPOINTS_MAX 8    /* the kernel's MPTCP_PM_ADDR_MAX */
#define MPTCP_LIMIT_MAX 8

struct mptcp_endpoint {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network order; 4 bytes used for IPv4 */
	char addr_text[48];      /* canonical text form */
	int id;                  /* 1..255; 0 = the kernel chooses */
	int port;                /* 0 = none */
	unsigned flags;          /* MPTCP_F_* */
	char dev[16];            /* "" = any interface */
	int ifindex;             /* resolved from dev (0 = none) */
};

/* Parse words / one line. 0 ok; -1 with err naming the bad word. Checks
 * syntax and the kernel's flag rules (mptcp_endpoint_check), not the NICs. */
int mptcp_endpoint_parse_argv(int argc, char **argv, struct mptcp_endpoint *e, char *err);
int mptcp_endpoint_parse(const char *line, struct mptcp_endpoint *e, char *err);
/* The kernel's rules: signal+fullmesh refused, port needs signal without
 * subflow, implicit never; an address that is not unspecified or multicast. */
int mptcp_endpoint_check(const struct mptcp_endpoint *e, char *err);
/* Store form: "ADDR [dev IF] [id N] [port N] [subflow] [signal] [backup] [fullmesh]". */
char *mptcp_endpoint_format(const struct mptcp_endpoint *e, char *buf, size_t size);
/* `ip mptcp endpoint show` form: "ADDR [port N] id N FLAGS... [dev IF]". */
char *mptcp_endpoint_show(const struct mptcp_endpoint *e, char *buf, size_t size);
/* Space-separated flag names ("subflow fullmesh"), "" for none. */
char *mptcp_flags_text(unsigned flags, char *buf, size_t size);
/* Same address family, address and port: the kernel's idea of "the same endpoint". */
int mptcp_endpoint_same(const struct mptcp_endpoint *a, const struct mptcp_endpoint *b);

#endif
