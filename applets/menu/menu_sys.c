/*
 * menu_sys: what the menu asks of the system before it saves a rule.
 * Who owns a port (net_port_in_use), a free random port, and a bounded
 * non-blocking connect to a target.
 */
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

#include "lookup.h"
#include "menu.h"
#include "net.h"
#include "util.h"

int
menu_port_owner(int lo, int hi, unsigned proto, const char *host, int *port, char *who, size_t size)
{
	struct net_port_use u;

	if (!net_port_in_use(lo, hi, !!(proto & PROTO_TCP), !!(proto & PROTO_UDP), host, &u))
		return 0;
	*port = u.port;
	snprintf(who, size, "%s %s:%d %s%s", u.udp ? "udp" : "tcp", u.addr, u.port, TR("held by ", "被占用："),
	    *u.owner ? u.owner : TR("a process not visible from here (another user or container)",
	    "此处不可见的进程（其他用户或容器）"));
	return 1;
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
	struct lookup *res;
	char ps[8];
	int rc, last = 0, i;
	int64_t deadline = now_ms() + timeout_ms;

	snprintf(ps, sizeof(ps), "%d", port);
	/* the lookup within the deadline too: a DNS server that never answers
	 * costs timeout_ms, not resolv.conf's timeouts */
	if (!(res = lookup_start(host, ps, AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG)))
		rc = EAI_SYSTEM;
	else   /* no answer in time: as the resolver says it */
		rc = lookup_wait(res, deadline) ? res->rc : EAI_AGAIN;
	if (rc != 0) {
		lookup_put(res);
		snprintf(why, size, TR("cannot resolve '%s' (%s): check the name and this server's DNS "
		    "(/etc/resolv.conf)", "无法解析“%s”（%s）：请检查域名和本机 DNS（/etc/resolv.conf）"), host,
		    !menu_zh ? gai_strerror(rc) : rc == EAI_NONAME ? "没有这个域名" : rc == EAI_AGAIN ?
		    "DNS 暂时无应答" : gai_strerror(rc));
		return -1;
	}
	for (i = 0; i < res->n; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&res->sa[i];
		int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct pollfd p;
		socklen_t sl = sizeof(last);

		if (fd < 0)
			continue;
		if (connect(fd, sa, res->salen[i]) == 0) {
			close(fd);
			lookup_put(res);
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
			lookup_put(res);
			return 0;
		}
		if (now_ms() >= deadline)
			break;
	}
	lookup_put(res);
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
