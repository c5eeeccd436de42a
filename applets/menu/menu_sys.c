/*
 * menu_sys: what the menu asks of the system before it saves a rule.
 * Who owns a port (sockets in /proc/net/{tcp,tcp6,udp,udp6}, their inode
 * found among /proc/PID/fd), a free random port, and a bounded
 * non-blocking connect to a target.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "menu.h"
#include "net.h"
#include "util.h"

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
menu_port_owner(int lo, int hi, unsigned proto, const char *host, int *port, char *who, size_t size)
{
	static const struct {
		int type, family;
		unsigned proto;
	} tables[] = {   /* /proc/net/tcp, tcp6, udp, udp6 */
		{ SOCK_STREAM, AF_INET, PROTO_TCP }, { SOCK_STREAM, AF_INET6, PROTO_TCP },
		{ SOCK_DGRAM, AF_INET, PROTO_UDP }, { SOCK_DGRAM, AF_INET6, PROTO_UDP },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tables); i++) {
		struct port_find pf = { lo, hi, host ? host : "", 0, 0, "" };
		char owner[128];

		if (!(proto & tables[i].proto))
			continue;
		if (!net_proc_sockets(tables[i].type, tables[i].family, port_match, &pf))
			continue;
		*port = pf.port;
		if (!net_inode_owner(pf.inode, owner, sizeof(owner)))
			snprintf(owner, sizeof(owner), "%s", TR("a process not visible from here (another user or container)", "此处不可见的进程（其他用户或容器）"));
		snprintf(who, size, "%s %s:%d %s%s", tables[i].proto == PROTO_UDP ? "udp" : "tcp", pf.addr, *port,
		    TR("held by ", "被占用："), owner);
		return 1;
	}
	return 0;
}

int
menu_random_port(unsigned proto, int (*taken)(int port, unsigned proto))
{
	int i, lo = 10000, n = 50000, eph = 0, start;
	char who[256];
	unsigned seed = (unsigned)(now_ms() ^ getpid());
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f) {
		if (fscanf(f, "%d", &eph) == 1 && eph - lo >= 1000)
			n = eph - lo;   /* 10000 .. the first ephemeral port - 1 */
		fclose(f);
	}
	start = (int)(rand_r(&seed) % (unsigned)n);
	for (i = 0; i < n; i++) {   /* from a random port on, every one once */
		int p = lo + (start + i) % n, q;
		if ((!taken || !taken(p, proto)) && !menu_port_owner(p, p, proto, "", &q, who, sizeof(who)))
			return p;
	}
	return 0;
}

/* strerror, in Chinese for what a connect says most */
static const char *
errno_text(int e)
{
	if (!menu_zh)
		return strerror(e);
	switch (e) {
	case EHOSTUNREACH: return "主机不可达";
	case ENETUNREACH: return "网络不可达";
	case EACCES: case EPERM: return "权限不足或被防火墙禁止";
	case EADDRNOTAVAIL: return "本机没有可用的地址";
	case ECONNRESET: return "连接被重置";
	default: return strerror(e);
	}
}

int
menu_probe(const char *host, int port, int timeout_ms, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[8];
	int rc, last = 0;
	int64_t deadline = now_ms() + timeout_ms;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0) {
		snprintf(why, size, TR("cannot resolve '%s' (%s): check the name and this server's DNS "
		    "(/etc/resolv.conf)", "无法解析“%s”（%s）：请检查域名和本机 DNS（/etc/resolv.conf）"), host,
		    !menu_zh ? gai_strerror(rc) : rc == EAI_NONAME ? "没有这个域名" : rc == EAI_AGAIN ?
		    "DNS 暂时无应答" : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct pollfd p;
		socklen_t sl = sizeof(last);

		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			close(fd);
			freeaddrinfo(res);
			return 0;
		}
		if (errno != EINPROGRESS) {
			last = errno;
			close(fd);
			continue;
		}
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		for (;;) {
			int64_t left = deadline - now_ms();
			rc = left > 0 ? poll(&p, 1, (int)left) : 0;
			if (rc < 0 && errno == EINTR)
				continue;
			break;
		}
		if (rc == 0)
			last = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &sl) < 0)
			last = errno;
		close(fd);
		if (last == 0) {
			freeaddrinfo(res);
			return 0;
		}
		if (now_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (last == ETIMEDOUT)
		snprintf(why, size, TR("no answer from %s:%d within %d s: a firewall (here, at the target or "
		    "the provider's security group) may drop the packets", "%s:%d 在 %d 秒内没有响应："
		    "可能被防火墙（本机、目标或服务商安全组）丢弃"), host, port, timeout_ms / 1000);
	else if (last == ECONNREFUSED)
		snprintf(why, size, TR("%s:%d refused the connection: nothing listens there yet (start the "
		    "service on the target) or a firewall rejects it", "%s:%d 拒绝连接：目标端口尚无服务"
		    "（请先启动目标服务）或被防火墙拒绝"), host, port);
	else
		snprintf(why, size, TR("%s:%d cannot be reached (%s): check the address and the route",
		    "%s:%d 无法连接（%s）：请检查地址和路由"), host, port, errno_text(last ? last : EHOSTUNREACH));
	return -1;
}
