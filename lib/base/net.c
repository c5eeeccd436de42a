#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "text.h"
#include "util.h"

int
net_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!host || !*host) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

socklen_t
net_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

uint16_t
net_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

int
net_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return 0;
}

void
net_addr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in s4;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

int
net_addr_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

int
net_host_loopback(const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!host || !*host)
		return 0;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	return net_addr(host, 0, &ss, &len) == 0 && net_addr_loopback(&ss);
}

void
net_local_read(struct net_local *l)
{
	struct ifaddrs *ifa, *i;

	l->n = 0;
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i && l->n < NET_LOCAL_MAX; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			l->a[l->n].family = AF_INET;
			memcpy(l->a[l->n++].a, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			l->a[l->n].family = AF_INET6;
			memcpy(l->a[l->n++].a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		}
	}
	freeifaddrs(ifa);
}

int
net_addr_local(const struct net_local *l, const struct sockaddr_storage *ss)
{
	const unsigned char *a;
	int fam, i;

	if (net_addr_loopback(ss))
		return 1;
	if (ss->ss_family == AF_INET) {
		fam = AF_INET;
		a = (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		fam = IN6_IS_ADDR_V4MAPPED(a6) ? AF_INET : AF_INET6;
		a = fam == AF_INET ? a6->s6_addr + 12 : a6->s6_addr;
	} else
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->a[i].family == fam && memcmp(l->a[i].a, a, fam == AF_INET ? 4 : 16) == 0)
			return 1;
	return 0;
}

void
net_local_cc(char out[16], char sys[16])
{
	char def[16] = "";
	int fd;

	out[0] = 0;
	(void)file_line("/proc/sys/net/ipv4/tcp_congestion_control", def, sizeof(def));
	if (sys)
		snprintf(sys, 16, "%s", def);
	if (strncmp(def, "bbr", 3) != 0)   /* bbr, bbr2, bbr3: the ones that pace */
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5) == 0)
		strcpy(out, "cubic");
	else
		strcpy(out, "reno");
	close(fd);
}

char *
net_addr_str(const struct sockaddr_storage *ss, char *buf, unsigned size)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else
		snprintf(buf, size, "?");
	return buf;
}

int
net_set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
net_set_keepalive(int fd, const struct net_sockopts *so)
{
	int one = 1, v;

	if (!so || so->ka_idle_ms <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0)
		return -1;
	v = (int)((so->ka_idle_ms + 999) / 1000);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v));
	v = (int)((so->ka_intvl_ms + 999) / 1000);
	if (v > 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v));
	v = (int)so->ka_probes;
	if (v > 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v));
	return 0;
}

int
net_set_sockopts(int fd, const struct net_sockopts *so)
{
	if (!so)
		return 0;
	if (so->nodelay && net_set_nodelay(fd) < 0)
		return -1;
	return net_set_keepalive(fd, so);
}

static int
mptcp_unsupported(int e)
{
	return e == EPROTONOSUPPORT || e == EINVAL || e == ENOPROTOOPT || e == EAFNOSUPPORT ||
	    e == EPROTOTYPE || e == EOPNOTSUPP;
}

/* fd closed, errno kept: -1 */
static int
close_fail(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
	return -1;
}

int
net_listen(const struct net_listen_spec *s, char *err)
{
	int *mptcp_refused = s->mptcp_refused;

	struct sockaddr_storage ss;
	socklen_t len;
	int fd = -1, one = 1, proto = 0, e;
	char hp[300];

	snprintf(hp, sizeof(hp), strchr(s->host, ':') ? "[%s]:%u" : "%s:%u", *s->host ? s->host : "::", s->port);
	if (net_addr(s->host, s->port, &ss, &len) < 0) {
		snprintf(err, ERRLEN, "listen address '%s' is not a literal IPv4 or IPv6 address", s->host);
		return -1;
	}
	if (s->type == SOCK_STREAM && s->mptcp)
		proto = IPPROTO_MPTCP;
	if (mptcp_refused)
		*mptcp_refused = 0;
	fd = socket(ss.ss_family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0 && proto && mptcp_unsupported(errno)) {
		if (mptcp_refused)
			*mptcp_refused = 1;
		fd = socket(ss.ss_family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		snprintf(err, ERRLEN, "cannot create a socket for %s: %s", hp, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		snprintf(err, ERRLEN, "SO_REUSEPORT on %s: %s", hp, strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6) {
		int v6 = s->v6only ? 1 : 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6));
	}
	if (s->iface && *s->iface &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->iface, (socklen_t)strlen(s->iface)) < 0) {
		snprintf(err, ERRLEN, "cannot bind %s to interface %s: %s (is the name right? root needed)",
		    hp, s->iface, strerror(errno));
		goto fail;
	}
	if (s->type == SOCK_DGRAM) {
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		if (ss.ss_family == AF_INET || !s->v6only)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		snprintf(err, ERRLEN, "cannot listen on %s: %s%s", hp, strerror(e),
		    e == EADDRINUSE ? " (another program holds the port: pick another or stop it)" :
		    e == EADDRNOTAVAIL ? " (no interface has that address)" :
		    e == EACCES ? " (ports below 1024 need root)" : "");
		errno = e;
		goto fail;
	}
	if (s->type == SOCK_STREAM) {
		if (net_set_sockopts(fd, s->so) < 0) {
			snprintf(err, ERRLEN, "socket options on %s: %s", hp, strerror(errno));
			goto fail;
		}
		if (s->cc && s->cc[0])   /* checked when the rule was built: a refusal leaves the system's */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, s->cc, (socklen_t)strlen(s->cc));
		if (s->fastopen > 0 && !s->mptcp)   /* a kernel that refuses it: plain TCP */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &s->fastopen, sizeof(s->fastopen));
		if (listen(fd, s->backlog > 0 ? s->backlog : 4096) < 0) {
			snprintf(err, ERRLEN, "listen on %s: %s", hp, strerror(errno));
			goto fail;
		}
	}
	return fd;
fail:
	return close_fail(fd);
}

int
net_connect(const struct net_out_spec *s, int *mptcp_refused, char *err)
{
	int fd, proto = 0;
	char hp[80];

	if (mptcp_refused)
		*mptcp_refused = 0;
	if (s->type == SOCK_STREAM && s->mptcp)
		proto = IPPROTO_MPTCP;
	fd = socket(s->dst->ss_family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0 && proto && mptcp_unsupported(errno)) {
		if (mptcp_refused)
			*mptcp_refused = 1;
		fd = socket(s->dst->ss_family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		snprintf(err, ERRLEN, "socket: %s", strerror(errno));
		return -1;
	}
	if (s->iface && *s->iface &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->iface, (socklen_t)strlen(s->iface)) < 0) {
		snprintf(err, ERRLEN, "cannot bind to interface %s: %s", s->iface, strerror(errno));
		goto fail;
	}
	if (s->through && *s->through) {
		struct sockaddr_storage src;
		socklen_t len;
		int one = 1;

		if (net_addr(s->through, s->through_port, &src, &len) < 0) {
			snprintf(err, ERRLEN, "through '%s' is not a literal address", s->through);
			errno = EINVAL;
			goto fail;
		}
		if (src.ss_family != s->dst->ss_family) {
			snprintf(err, ERRLEN, "through %s cannot reach %s (address families differ)",
			    s->through, net_addr_str(s->dst, hp, sizeof(hp)));
			errno = EAFNOSUPPORT;
			goto fail;
		}
		if (!s->through_port)   /* let connect() choose the port */
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		else if (s->type == SOCK_STREAM)   /* TCP: connect() refuses a 4-tuple in use */
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* UDP with a fixed port: no SO_REUSEADDR, which would let a second
		 * association connect the same 4-tuple and take the first one's replies */
		if (bind(fd, (struct sockaddr *)&src, len) < 0) {
			if (errno == EADDRINUSE && s->type == SOCK_DGRAM)
				snprintf(err, ERRLEN, "source %s:%u is taken by another UDP association (a through "
				    "port carries one client at a time: give through without a port)", s->through,
				    (unsigned)s->through_port);
			else
				snprintf(err, ERRLEN, "cannot use source address %s: %s", s->through, strerror(errno));
			goto fail;
		}
	}
	if (s->type == SOCK_STREAM && !s->lazy_opts && net_set_sockopts(fd, s->so) < 0) {
		snprintf(err, ERRLEN, "socket options: %s", strerror(errno));
		goto fail;
	}
	/* before connect(): the handshake already runs under it. Refused (an
	 * MPTCP socket on an old kernel): the system's, as the relay warned at
	 * start for a name the kernel lacks. */
	if (s->type == SOCK_STREAM && s->cc && s->cc[0])
		(void)setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, s->cc, (socklen_t)strlen(s->cc));
	if (s->fastopen && s->type == SOCK_STREAM && !proto) {   /* refused: a plain connect */
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
	}
	if (connect(fd, (const struct sockaddr *)s->dst, net_addr_len(s->dst)) < 0 && errno != EINPROGRESS) {
		snprintf(err, ERRLEN, "connect to %s: %s", net_addr_str(s->dst, hp, sizeof(hp)), strerror(errno));
		goto fail;
	}
	return fd;
fail:
	return close_fail(fd);
}

int
net_connect_result(int fd)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return errno;
	return e;
}

int
net_proc_sockets(int type, int family, int (*fn)(const struct net_proc_sock *s, void *arg), void *arg)
{
	const char *file = family == AF_INET6 ? (type == SOCK_DGRAM ? "/proc/net/udp6" : "/proc/net/tcp6") :
	    (type == SOCK_DGRAM ? "/proc/net/udp" : "/proc/net/tcp");
	FILE *f = fopen(file, "r");
	char line[512];
	int rc = 0, lines = 0;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) {   /* header */
		fclose(f);
		return 0;
	}
	while (!rc && lines++ < NET_PROC_MAX_LINES && fgets(line, sizeof(line), f)) {
		struct net_proc_sock s;
		char local[40];
		unsigned lport, st, w[4];
		size_t n, i;

		memset(&s, 0, sizeof(s));
		if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu", local, &lport, &st,
		    &s.inode) != 4)
			continue;
		if (lport > 65535 || st != (type == SOCK_DGRAM ? 0x07u : 0x0Au))
			continue;
		n = strlen(local);
		if (n == 8) {   /* one word in host order, as the kernel prints it */
			struct sockaddr_in *a = (struct sockaddr_in *)&s.addr;
			a->sin_family = AF_INET;
			a->sin_port = htons((uint16_t)lport);
			a->sin_addr.s_addr = (uint32_t)strtoul(local, NULL, 16);
		} else if (n == 32) {   /* four such words */
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s.addr;
			for (i = 0; i < 4; i++) {
				char word[9];
				memcpy(word, local + i * 8, 8);
				word[8] = '\0';
				w[i] = (unsigned)strtoul(word, NULL, 16);
			}
			a->sin6_family = AF_INET6;
			a->sin6_port = htons((uint16_t)lport);
			memcpy(&a->sin6_addr, w, 16);
		} else
			continue;
		s.port = (uint16_t)lport;
		rc = fn(&s, arg);
	}
	fclose(f);
	return rc;
}

struct holder_find {
	const char *host;
	uint16_t port;
	int any;
	struct sockaddr_storage want;
	unsigned long inode;
};

/* A socket on the port whose address holds the one wanted ("" any). */
static int
holder_match(const struct net_proc_sock *s, void *arg)
{
	struct holder_find *h = arg;

	if (s->port != h->port)
		return 0;
	if (h->any)
		;
	else if (s->addr.ss_family == AF_INET) {
		uint32_t a = ((const struct sockaddr_in *)&s->addr)->sin_addr.s_addr;
		if (h->want.ss_family != AF_INET || (a != 0 && a != ((struct sockaddr_in *)&h->want)->sin_addr.s_addr))
			return 0;
	} else {
		const struct in6_addr *b = &((const struct sockaddr_in6 *)&s->addr)->sin6_addr;
		/* [::] (dual stack) holds every address of both families */
		if (!IN6_IS_ADDR_UNSPECIFIED(b) && (h->want.ss_family != AF_INET6 ||
		    memcmp(b, &((struct sockaddr_in6 *)&h->want)->sin6_addr, 16) != 0))
			return 0;
	}
	h->inode = s->inode;
	return 1;
}

int
net_inode_owner(unsigned long ino, char *who, size_t size)
{
	char want[64], path[300], link[64], comm[64], shown[256];
	long budget = NET_HOLDER_MAX_FDS;
	DIR *proc, *fds;
	struct dirent *de, *fe;
	int found = 0;

	if (!ino || !(proc = opendir("/proc")))
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	while (!found && budget > 0 && (de = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		if (!(fds = opendir(path)))
			continue;
		while (budget-- > 0 && (fe = readdir(fds)) != NULL) {
			ssize_t n;
			FILE *f;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", de->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) != 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
			comm[0] = '\0';
			if ((f = fopen(path, "r")) != NULL) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(f);
			}
			/* any process names itself (prctl PR_SET_NAME): shown escaped */
			text_escape(comm, shown, sizeof(shown));
			snprintf(who, size, "%s (pid %s)", *shown ? shown : "?", de->d_name);
			found = 1;
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

int
net_port_holder(int type, const char *host, uint16_t port, char *who, size_t size)
{
	struct holder_find h = { host, port, 0, { 0 }, 0 };
	socklen_t wl;

	h.any = !host || !*host || net_addr(host, 0, &h.want, &wl) < 0;
	if (!net_proc_sockets(type, AF_INET, holder_match, &h))
		net_proc_sockets(type, AF_INET6, holder_match, &h);
	return net_inode_owner(h.inode, who, size);
}

long
net_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -1;
	}
	return rl.rlim_cur == RLIM_INFINITY ? (long)1 << 30 : (long)rl.rlim_cur;
}

/* ---- who uses a port: net_proc_sockets ---- */

static int
is_any(const char *a)
{
	return !*a || strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0;
}

struct port_find {
	int lo, hi;
	const char *host;
	unsigned long inode;
	int port;
	char addr[64];
};

/* A socket on a port in lo..hi whose address is host's, or any, or host is any. */
static int
port_match(const struct net_proc_sock *s, void *arg)
{
	struct port_find *pf = arg;
	char a[64];

	if ((int)s->port < pf->lo || (int)s->port > pf->hi)
		return 0;
	if (s->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&s->addr)->sin_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&s->addr)->sin6_addr, a, sizeof(a));
	if (strncmp(a, "::ffff:", 7) == 0)
		memmove(a, a + 7, strlen(a + 7) + 1);
	if (!is_any(pf->host) && !is_any(a) && strcmp(pf->host, a) != 0)
		return 0;
	pf->inode = s->inode;
	pf->port = s->port;
	snprintf(pf->addr, sizeof(pf->addr), "%s", a);
	return 1;
}

int
net_port_in_use(int lo, int hi, int tcp, int udp, const char *host, struct net_port_use *u)
{
	static const struct {
		int type, family, udp;
	} tables[] = {   /* /proc/net/tcp, tcp6, udp, udp6 */
		{ SOCK_STREAM, AF_INET, 0 }, { SOCK_STREAM, AF_INET6, 0 },
		{ SOCK_DGRAM, AF_INET, 1 }, { SOCK_DGRAM, AF_INET6, 1 },
	};
	size_t i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct port_find pf = { lo, hi, host ? host : "", 0, 0, "" };

		if (!(tables[i].udp ? udp : tcp))
			continue;
		if (!net_proc_sockets(tables[i].type, tables[i].family, port_match, &pf))
			continue;
		u->port = pf.port;
		u->udp = tables[i].udp;
		snprintf(u->addr, sizeof(u->addr), "%s", pf.addr);
		if (!net_inode_owner(pf.inode, u->owner, sizeof(u->owner)))
			u->owner[0] = '\0';
		return 1;
	}
	return 0;
}
