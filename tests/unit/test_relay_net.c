/* lib/base/net.c address helpers and lib/base/resolve.c: literal parsing, formatting,
 * v4-mapped unmapping, equality, what stays on this machine; dns_mode names;
 * a lookup that never blocks. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "t.h"
#include "net.h"
#include "resolve.h"
#include "util.h"

/* loopback, the machine's own addresses, and nothing else */
static void
test_local(void)
{
	struct sockaddr_storage a;
	struct net_local l;
	socklen_t len;
	char cc[16], sys[16];
	int i, own = -1;

	CHECK(net_addr("127.0.0.1", 1, &a, &len) == 0 && net_addr_loopback(&a), "127.0.0.1 is loopback");
	CHECK(net_addr("127.255.0.9", 1, &a, &len) == 0 && net_addr_loopback(&a), "all of 127/8 is");
	CHECK(net_addr("::1", 1, &a, &len) == 0 && net_addr_loopback(&a), "::1 is");
	CHECK(net_addr("::ffff:127.0.0.2", 1, &a, &len) == 0 && net_addr_loopback(&a), "::ffff:127.0.0.2 is");
	CHECK(net_addr("128.0.0.1", 1, &a, &len) == 0 && !net_addr_loopback(&a), "128.0.0.1 is not");
	CHECK(net_addr("::2", 1, &a, &len) == 0 && !net_addr_loopback(&a), "::2 is not");
	CHECK(net_addr("::ffff:10.0.0.1", 1, &a, &len) == 0 && !net_addr_loopback(&a), "::ffff:10.0.0.1 is not");
	CHECK(net_host_loopback("127.0.0.1") && net_host_loopback("LocalHost") && net_host_loopback("[::1]") == 0 &&
	    net_host_loopback("::1") && !net_host_loopback("") && !net_host_loopback("0.0.0.0") &&
	    !net_host_loopback("example.com"), "hosts as written: literals and localhost");
	net_local_read(&l);
	CHECK(l.n >= 1 && l.n <= NET_LOCAL_MAX, "the machine has addresses (lo's at least)");
	for (i = 0; i < l.n; i++)
		if (l.a[i].family == AF_INET && l.a[i].a[0] != 127)
			own = i;
	if (own >= 0) {   /* one of the machine's own IPv4 addresses, also as ::ffff: */
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;

		memset(&a, 0, sizeof(a));
		a.ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)&a)->sin_addr, l.a[own].a, 4);
		CHECK(net_addr_local(&l, &a) && !net_addr_loopback(&a), "an own address is local, not loopback");
		memset(&a, 0, sizeof(a));
		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], l.a[own].a, 4);
		CHECK(net_addr_local(&l, &a), "... and as ::ffff:a.b.c.d");
	}
	CHECK(net_addr("192.0.2.77", 1, &a, &len) == 0 && !net_addr_local(&l, &a), "a documentation address is not");
	CHECK(net_addr("127.0.0.1", 1, &a, &len) == 0 && net_addr_local(&l, &a), "loopback is local without a list");
	net_local_cc(cc, sys);
	CHECK(sys[0] != 0, "the system's congestion control is read");
	CHECK(strncmp(sys, "bbr", 3) == 0 ? (strcmp(cc, "cubic") == 0 || strcmp(cc, "reno") == 0) : cc[0] == 0,
	    "unpaced local hops only when the system's paces (bbr)");
}

int
main(void)
{
	struct sockaddr_storage a, b;
	socklen_t len;
	char buf[80], err[ERRLEN];
	enum res_mode m;
	struct res *r;
	int efd, n, i;

	CHECK(net_addr("127.0.0.1", 80, &a, &len) == 0 && a.ss_family == AF_INET && len == sizeof(struct sockaddr_in),
	    "ipv4 literal");
	CHECK_STR(net_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:80", "ipv4 format");
	CHECK(net_addr("::1", 443, &b, &len) == 0 && b.ss_family == AF_INET6, "ipv6 literal");
	CHECK_STR(net_addr_str(&b, buf, sizeof(buf)), "[::1]:443", "ipv6 format bracketed");
	CHECK(net_addr("", 8080, &b, &len) == 0 && b.ss_family == AF_INET6, "\"\" is [::] (dual stack)");
	CHECK_STR(net_addr_str(&b, buf, sizeof(buf)), "[::]:8080", "any format");
	CHECK(net_addr("example.com", 1, &b, &len) < 0, "names are not literals");
	CHECK(net_addr_port(&a) == 80, "port");

	CHECK(net_addr("::ffff:10.1.2.3", 53, &b, &len) == 0, "v4-mapped literal");
	net_addr_unmap(&b);
	CHECK(b.ss_family == AF_INET, "unmapped to AF_INET");
	CHECK_STR(net_addr_str(&b, buf, sizeof(buf)), "10.1.2.3:53", "unmapped keeps address and port");
	net_addr("10.1.2.3", 53, &a, &len);
	CHECK(net_addr_eq(&a, &b), "equal after unmapping");
	net_addr("10.1.2.3", 54, &a, &len);
	CHECK(!net_addr_eq(&a, &b), "ports differ");
	net_addr("::1", 53, &a, &len);
	CHECK(!net_addr_eq(&a, &b), "families differ");

	CHECK(res_mode_parse("ipv6_then_ipv4", &m) == 0 && m == RES_V6_THEN_V4, "dns_mode ipv6_then_ipv4");
	CHECK(res_mode_parse("ipv4_only", &m) == 0 && m == RES_V4_ONLY, "dns_mode ipv4_only");
	CHECK(res_mode_parse("both", &m) < 0, "unknown dns_mode refused");
	CHECK(res_new("sometimes", 0, 0, err) == NULL && strstr(err, "dns_mode"), "res_new names the bad mode");

	/* localhost: first call answers "pending" at once, the thread answers and pokes */
	r = res_new("ipv4_only", 1000, 60000, err);
	efd = eventfd(0, EFD_NONBLOCK);
	CHECK(r && efd >= 0 && res_subscribe(r, efd) == 0, "resolver and subscriber");
	{
		int64_t t0 = now_ms();
		n = res_lookup(r, "localhost", &a, 1);
		CHECK(n == 0 && now_ms() - t0 < 100, "first lookup returns pending without blocking");
	}
	for (i = 0; i < 100 && n == 0; i++) {
		struct pollfd p = { efd, POLLIN, 0 };
		uint64_t v;
		poll(&p, 1, 100);
		(void)!read(efd, &v, sizeof(v));
		n = res_lookup(r, "localhost", &a, 1);
	}
	CHECK(n == 1 && a.ss_family == AF_INET, "localhost resolved (ipv4_only) after the poke");
	CHECK(res_lookup(r, "localhost", &b, 1) == 1 && net_addr_eq(&a, &b), "second lookup from the cache");
	n = res_lookup(r, "no-such-host.invalid", &a, 1);
	for (i = 0; i < 100 && n == 0; i++) {
		usleep(50000);
		n = res_lookup(r, "no-such-host.invalid", &a, 1);
	}
	CHECK(n == -1, "a name that does not resolve answers -1");
	res_free(r);
	close(efd);
	test_local();
	return T_DONE();
}
