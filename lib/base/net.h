#ifndef XWPF_NET_H
#define XWPF_NET_H

/*
 * Socket setup for the relay: listeners (address or dual-stack [::], NIC
 * binding, SO_REUSEPORT, MPTCP), outbound sockets (through = source address,
 * egress NIC, MPTCP, keepalive, TCP_NODELAY). Never prints; errors go to
 * the caller's err buffer (ERRLEN) or errno.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#ifndef IPPROTO_MPTCP   /* glibc before 2.32 and old musl; glibc declares it in an enum */
#define IPPROTO_MPTCP 262
#endif

struct net_sockopts {
	int nodelay;             /* TCP_NODELAY */
	long ka_idle_ms;         /* 0: no keepalive */
	long ka_intvl_ms;
	long ka_probes;
};

struct net_listen_spec {
	const char *host;        /* literal address; "" = any (dual stack [::] unless v4 only) */
	uint16_t port;
	int type;                /* SOCK_STREAM or SOCK_DGRAM */
	int v6only;              /* for "" or "::" */
	const char *iface;       /* "" or NULL: any */
	int mptcp;               /* accept MPTCP (stream only) */
	int reuseport;
	int backlog;
	const struct net_sockopts *so;   /* inherited by accepted sockets */
	const char *cc;          /* TCP_CONGESTION, inherited too; NULL/"": the system's */
	int *mptcp_refused;      /* if set: 1 when MPTCP was refused and TCP used */
	int fastopen;            /* > 0: TCP Fast Open with this queue (the kernel's
	                          * net.ipv4.tcp_fastopen must allow servers) */
};

/* Fill ss from a literal address ("" = any; v4-only hosts "0.0.0.0"). 0 / -1 EINVAL. */
int net_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);
/* "1.2.3.4:80" / "[::1]:80" */
char *net_addr_str(const struct sockaddr_storage *ss, char *buf, unsigned size);
socklen_t net_addr_len(const struct sockaddr_storage *ss);
int net_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
uint16_t net_addr_port(const struct sockaddr_storage *ss);
/* ::ffff:a.b.c.d -> a.b.c.d (in place) */
void net_addr_unmap(struct sockaddr_storage *ss);
/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: a hop that never leaves
 * the machine */
int net_addr_loopback(const struct sockaddr_storage *ss);
/* The same for a listen or remote host as written: a literal, or "localhost" */
int net_host_loopback(const char *host);

/* The machine's own addresses (every interface's, as getifaddrs gives
 * them, the first NET_LOCAL_MAX): a connection to one never leaves the
 * machine either. Read once per configuration applied (a rule keeps the
 * list of the reload that built it). */
#define NET_LOCAL_MAX 64
struct net_local {
	int n;
	struct { unsigned char family, a[16]; } a[NET_LOCAL_MAX];
};
void net_local_read(struct net_local *l);
/* 1 when ss (IPv4-mapped or not) is loopback or in l */
int net_addr_local(const struct net_local *l, const struct sockaddr_storage *ss);

/* The congestion control a hop that never leaves the machine gets when no
 * key names one: the system's (net.ipv4.tcp_congestion_control) paces
 * every socket when it is bbr, and pacing a hop with no network behind it
 * only adds timer wakeups and reordering (a relayed stream on lo: 10.5 ->
 * 17.6 Gbit/s). So "cubic" (else "reno", always built in) when the system's
 * paces, "" (the system's) when it does not. One socket to ask the kernel:
 * call it once per configuration, not per connection. sys gets the
 * system's name when not NULL. */
void net_local_cc(char out[16], char sys[16]);

/* A bound (and for streams listening) non-blocking socket, or -1 with err. */
int net_listen(const struct net_listen_spec *s, char *err);

struct net_out_spec {
	const struct sockaddr_storage *dst;
	int type;                          /* SOCK_STREAM / SOCK_DGRAM */
	const char *through;               /* "" or NULL: no source address */
	uint16_t through_port;
	const char *iface;                 /* egress NIC or "" */
	int mptcp;
	const struct net_sockopts *so;
	const char *cc;                    /* TCP_CONGESTION before connect; NULL/"": the system's */
	/* 1: leave so's options to the caller, who sets them when they start to
	 * matter (net_set_nodelay before the second write, net_set_keepalive
	 * once the connection has lived a moment): a short connection then
	 * costs no setsockopt at all. The socket is left with Nagle on. */
	int lazy_opts;
	/* 1: TCP Fast Open (TCP_FASTOPEN_CONNECT): with a cookie from an
	 * earlier connection, connect() returns at once and the first write
	 * goes out in the SYN. Only for a caller that always writes first (a
	 * tunnel's handshake): nothing is sent before that write. The first
	 * write may fail with EINPROGRESS when the kernel sent the SYN without
	 * the data after all: wait for the socket to be writable, as for EAGAIN. */
	int fastopen;
};
/* Non-blocking socket connecting (stream: EINPROGRESS is success) or connected
 * (datagram) to dst. -1 with err (errno kept). *mptcp_refused is set when MPTCP
 * was asked for and the kernel refused it (TCP was used instead). */
int net_connect(const struct net_out_spec *s, int *mptcp_refused, char *err);
/* Result of a non-blocking connect: 0 connected, else an errno value. */
int net_connect_result(int fd);

int net_set_sockopts(int fd, const struct net_sockopts *so);
/* The two halves of it: TCP_NODELAY alone; SO_KEEPALIVE and its timings
 * (nothing when so->ka_idle_ms is 0). 0 / -1 errno. */
int net_set_nodelay(int fd);
int net_set_keepalive(int fd, const struct net_sockopts *so);
/* The sockets of /proc/net/{tcp,udp}[6] (type SOCK_STREAM or SOCK_DGRAM,
 * family AF_INET or AF_INET6) that listen (stream) or are not connected
 * (datagram), in the table's order, at most NET_PROC_MAX_LINES: fn is
 * called with each (addr: the local address and port) until it returns
 * non-zero, which is returned; 0 when it never did or the table is unreadable. */
#define NET_PROC_MAX_LINES 1000000
struct net_proc_sock {
	struct sockaddr_storage addr;
	uint16_t port;
	unsigned long inode;
};
int net_proc_sockets(int type, int family, int (*fn)(const struct net_proc_sock *s, void *arg), void *arg);
/* Who holds a listening (stream) or bound (datagram) socket on port, for
 * host ("" or NULL: any address): "comm (pid N)" in who, 1; 0 when no such
 * socket is in /proc/net or its owner is not visible (another user, another
 * container). Reads /proc only, bounded (NET_HOLDER_MAX_FDS links looked at):
 * for a message, once, never on a hot path. */
#define NET_HOLDER_MAX_FDS 100000
int net_port_holder(int type, const char *host, uint16_t port, char *who, size_t size);
/* The same for a socket inode (from /proc/net): 1 and "comm (pid N)", or 0. */
int net_inode_owner(unsigned long inode, char *who, size_t size);
/* A socket listening (TCP) or bound and unconnected (UDP) on a port in
 * lo..hi for host ("" or NULL: any address), from /proc/net: 1 with the
 * port, its address, whether UDP, and its owner ("comm (pid N)", "" when not
 * visible from here); 0 when the ports are free. */
struct net_port_use {
	int port, udp;
	char addr[64];
	char owner[128];
};
int net_port_in_use(int lo, int hi, int tcp, int udp, const char *host, struct net_port_use *u);

/* Raise RLIMIT_NOFILE soft to hard; returns the new soft limit or -1. */
long net_raise_nofile(void);

#endif
