/* linktest engine (lib/linktest/lt.h): known answers for the pure parts. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "lt.h"
#include "util.h"

static int
near(double a, double b, double tol)
{
	return a - b <= tol && b - a <= tol;
}

static void
test_hmac(void)
{
	char mac[LT_MACHEX], mac2[LT_MACHEX];

	/* HMAC-SHA256 over "xwpf-linktest/1 client AAAA BBBB" (computed with
	 * python3: hmac.new(b"Jefe", msg, hashlib.sha256).hexdigest()) */
	lt_mac(mac, "Jefe", "client", "AAAA", "BBBB");
	CHECK_STR(mac, "66b97241b24328dd0a1b40b0f5a02586cdb81fb5bb0d08fca9b7a0569e6d14cb", "lt_mac known answer");
	lt_mac(mac2, "Jefe", "server", "AAAA", "BBBB");
	CHECK(strcmp(mac, mac2) != 0, "client and server MACs differ");
	lt_mac(mac2, "jefe", "client", "AAAA", "BBBB");
	CHECK(strcmp(mac, mac2) != 0, "another key gives another MAC");
	CHECK(strlen(mac) == 64, "MAC is 64 hex digits");
	CHECK(lt_mac_eq(mac, mac), "lt_mac_eq equal");
	CHECK(!lt_mac_eq(mac, mac2), "lt_mac_eq differ");
	CHECK(!lt_mac_eq(mac, "ab"), "lt_mac_eq different lengths");
}

static void
test_hex(void)
{
	unsigned char in[4] = { 0x00, 0xab, 0x7f, 0xff }, out[4];
	char h[9];

	lt_hex(h, in, 4);
	CHECK_STR(h, "00ab7fff", "lt_hex");
	CHECK(lt_unhex(out, 4, "00AB7fff") == 0 && memcmp(in, out, 4) == 0, "lt_unhex both cases");
	CHECK(lt_unhex(out, 4, "00ab7ff") < 0, "lt_unhex short");
	CHECK(lt_unhex(out, 4, "00ab7fffe0") < 0, "lt_unhex long");
	CHECK(lt_unhex(out, 4, "00ab7fgf") < 0, "lt_unhex junk");
}

static void
test_udp_hdr(void)
{
	unsigned char buf[LT_UDP_HDR + 8];
	struct lt_udp_hdr h = { .kind = LT_UDP_DATA, .seq = 0x0102030405060708ULL, .send_ns = 123456789012345LL }, g;
	int i;

	for (i = 0; i < LT_TOKEN; i++)
		h.token[i] = (uint8_t)(i * 3);
	lt_udp_put(buf, &h);
	CHECK(buf[0] == 'X' && buf[1] == 'L' && buf[2] == 'T' && buf[3] == 'U', "udp magic XLTU");
	CHECK(buf[24] == 1 && buf[31] == 8, "udp seq big-endian");
	CHECK(lt_udp_get(buf, LT_UDP_HDR, &g) == 0, "udp header parses");
	CHECK(g.kind == h.kind && g.seq == h.seq && g.send_ns == h.send_ns && memcmp(g.token, h.token, LT_TOKEN) == 0,
	    "udp header round trip");
	CHECK(lt_udp_get(buf, LT_UDP_HDR - 1, &g) < 0, "short datagram refused");
	buf[4] = 9;
	CHECK(lt_udp_get(buf, LT_UDP_HDR, &g) < 0, "unknown kind refused");
	buf[4] = LT_UDP_HELLO;
	buf[0] = 'Y';
	CHECK(lt_udp_get(buf, LT_UDP_HDR, &g) < 0, "wrong magic refused");
}

static void
test_fields(void)
{
	char v[16];
	long long n;

	CHECK(lt_field("XWLT 1 ok nonce=abc key=1 maxtime=30", "nonce", v, sizeof(v)) == 0 && strcmp(v, "abc") == 0,
	    "field in the middle");
	CHECK(lt_field("OK token=t mac=m peer=1.2.3.4", "peer", v, sizeof(v)) == 0 && strcmp(v, "1.2.3.4") == 0,
	    "field at the end");
	CHECK(lt_field("a xkey=1 key=2", "key", v, sizeof(v)) == 0 && strcmp(v, "2") == 0, "field name must start a word");
	CHECK(lt_field("a key=12345678901234567890", "key", v, sizeof(v)) < 0, "field too long for the buffer");
	CHECK(lt_field("a b c", "key", v, sizeof(v)) < 0, "field absent");
	CHECK(lt_field_num("TCP streams=4 time=3000", "time", 100, 30000, &n) == 0 && n == 3000, "number field");
	CHECK(lt_field_num("TCP streams=99", "streams", 1, 16, &n) < 0, "number field over the limit");
	CHECK(lt_field_num("TCP streams=4x", "streams", 1, 16, &n) < 0, "number field with junk");
	CHECK(lt_field_num("TCP streams=", "streams", 1, 16, &n) < 0, "empty number field");
}

static void
test_rtt(void)
{
	struct lt_rtt r = { 0 };

	lt_rtt_add(&r, 10);
	lt_rtt_add(&r, 20);
	lt_rtt_add(&r, 30);
	lt_rtt_lost(&r);
	CHECK(r.sent == 4 && r.received == 3, "rtt counts");
	CHECK(near(r.min, 10, 1e-9) && near(r.max, 30, 1e-9) && near(lt_rtt_avg(&r), 20, 1e-9), "rtt min/avg/max");
	CHECK(near(lt_rtt_stddev(&r), 8.16496580927726, 1e-6), "rtt population stddev");
	CHECK(near(lt_rtt_loss_pct(&r), 25, 1e-9), "rtt loss 1 of 4");
	CHECK(near(lt_loss_pct(100, 105), 0, 1e-9), "duplicates never give negative loss");
	CHECK(near(lt_loss_pct(0, 0), 0, 1e-9), "nothing sent: no loss");
}

static void
test_jitter(void)
{
	struct lt_udp_rx rx = { 0 };
	double j = 0;
	int i;

	/* constant transit: no jitter */
	for (i = 0; i < 10; i++)
		lt_udp_rx_add(&rx, (uint64_t)i, i * 1000000LL, i * 1000000LL + 5000000, 100);
	CHECK(rx.packets == 10 && rx.bytes == 1000 && rx.ooo == 0 && near(rx.jitter_ns, 0, 1e-9), "steady stream: jitter 0");
	/* transit alternating 5 ms / 7 ms: |D| = 2 ms each step, J -> J + (2ms - J)/16 */
	memset(&rx, 0, sizeof(rx));
	for (i = 0; i < 20; i++) {
		lt_udp_rx_add(&rx, (uint64_t)i, i * 1000000LL, i * 1000000LL + (i % 2 ? 7000000 : 5000000), 100);
		if (i > 0)
			j += (2000000.0 - j) / 16;
	}
	CHECK(near(rx.jitter_ns, j, 1e-3), "RFC 3550 jitter estimator (%.0f ns)", rx.jitter_ns);
	lt_udp_rx_add(&rx, 5, 100, 200, 100);
	CHECK(rx.ooo == 1 && rx.max_seq == 19, "a late datagram counts as reordered");
}

/* send_ns comes off the wire: hostile stamps never overflow the arithmetic
 * (UBSan reports signed overflow here) nor move the jitter. */
static void
test_jitter_hostile(void)
{
	struct lt_udp_rx rx = { 0 };
	int64_t now = 5000000000LL;
	unsigned char buf[LT_UDP_HDR];
	struct lt_udp_hdr h = { .kind = LT_UDP_DATA }, g;

	lt_udp_rx_add(&rx, 0, now - 1000000, now, 100);
	lt_udp_rx_add(&rx, 1, INT64_MIN, now + 1000000, 100);   /* arrival - INT64_MIN overflows */
	CHECK(rx.packets == 2 && near(rx.jitter_ns, 0, 1e-9), "INT64_MIN stamp: counted, jitter untouched (%.0f)",
	    rx.jitter_ns);
	lt_udp_rx_add(&rx, 2, INT64_MAX, now + 2000000, 100);   /* transit near INT64_MIN ... */
	lt_udp_rx_add(&rx, 3, -4000000000000000000LL, now + 3000000, 100);   /* ... then a large positive one */
	CHECK(rx.packets == 4 && near(rx.jitter_ns, 0, 1e-9), "INT64_MAX then a large negative stamp: jitter untouched");
	lt_udp_rx_add(&rx, 4, now + 2000000, now + 4000000, 100);   /* transit 1 ms -> 2 ms */
	CHECK(near(rx.jitter_ns, 1000000.0 / 16, 1e-3), "a sane stamp after hostile ones still counts (%.0f)",
	    rx.jitter_ns);
	/* the extremes allowed: no overflow either */
	memset(&rx, 0, sizeof(rx));
	lt_udp_rx_add(&rx, 0, 0, LT_STAMP_MAX, 100);
	lt_udp_rx_add(&rx, 1, LT_STAMP_MAX, 0, 100);
	CHECK(rx.have_transit && rx.jitter_ns > 0, "stamps at 0 and LT_STAMP_MAX: finite jitter");
	/* through the wire format: the stamp is read as signed */
	h.send_ns = INT64_MIN;
	lt_udp_put(buf, &h);
	CHECK(lt_udp_get(buf, sizeof(buf), &g) == 0 && g.send_ns == INT64_MIN, "INT64_MIN stamp round trips");
	memset(&rx, 0, sizeof(rx));
	lt_udp_rx_add(&rx, 0, now, now, 100);
	lt_udp_rx_add(&rx, g.seq, g.send_ns, now, 100);
	CHECK(near(rx.jitter_ns, 0, 1e-9), "a decoded INT64_MIN stamp is ignored");
}

static void
test_tcp_rx(void)
{
	struct lt_tcp_rx r;
	uint64_t b;
	int64_t us;
	int i;

	/* a 3 s phase: warm-up 300 ms; 1 MB every 100 ms from t = 1 s, EOF at 4 s */
	lt_tcp_rx_init(&r, 3000);
	CHECK(r.warm_ns == 300000000, "warm-up is a tenth of the phase");
	for (i = 0; i < 30; i++)
		lt_tcp_rx_add(&r, 1000000, 1000000000LL + i * 100000000LL);
	lt_tcp_rx_end(&r, 4000000000LL);
	lt_tcp_rx_steady(&r, &b, &us);
	CHECK(r.bytes == 30000000 && b == 27000000 && us == 2700000, "steady part after the warm-up (%llu bytes, %lld us)",
	    (unsigned long long)b, (long long)us);
	lt_tcp_rx_init(&r, 60000);
	CHECK(r.warm_ns == 1000000000, "warm-up at most 1 s");
	lt_tcp_rx_add(&r, 500, 10);
	lt_tcp_rx_add(&r, 500, 20);
	lt_tcp_rx_end(&r, 30);
	lt_tcp_rx_steady(&r, &b, &us);
	CHECK(b == 1000 && us == 0, "too short for a warm-up: the whole phase");
}

static void
test_detours(void)
{
	struct lt_hop h[5];
	int i;
	double rtt[5] = { 1, 2, 40, 3, 4 }, flat[5] = { 1, 10, 20, 30, 40 };

	memset(h, 0, sizeof(h));
	for (i = 0; i < 5; i++) {
		h[i].answered = 1;
		h[i].rtt_min = rtt[i];
	}
	lt_route_detours(h, 5);
	CHECK(!h[0].detour && !h[1].detour && h[2].detour && !h[3].detour && !h[4].detour,
	    "a jump that falls back later is a detour");
	for (i = 0; i < 5; i++)
		h[i].rtt_min = flat[i];
	lt_route_detours(h, 5);
	CHECK(!h[1].detour && !h[2].detour && !h[3].detour, "a rising path has no detour");
	for (i = 0; i < 5; i++)
		h[i].rtt_min = rtt[i];
	h[3].answered = h[4].answered = 0;
	lt_route_detours(h, 5);
	CHECK(!h[2].detour, "no later answer: no detour claimed");
}

static void
test_lines(void)
{
	int sv[2];
	char line[32];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		CHECK(0, "socketpair: %s", strerror(errno));
		return;
	}
	CHECK(write(sv[1], "XWLT 1 data abc 0\r\nPAYLOAD", 26) == 26, "write");
	CHECK(lt_recv_line(sv[0], line, sizeof(line), now_ms() + 1000) == 0 && strcmp(line, "XWLT 1 data abc 0") == 0,
	    "one line, CR stripped");
	CHECK(recv(sv[0], line, 7, MSG_DONTWAIT) == 7 && memcmp(line, "PAYLOAD", 7) == 0,
	    "bytes after the line stay in the socket");
	CHECK(lt_recv_line(sv[0], line, sizeof(line), now_ms() + 100) < 0 && errno == ETIMEDOUT, "deadline");
	CHECK(lt_send_line(sv[1], "ECHO %d", 7) == 0, "send line");
	CHECK(lt_recv_line(sv[0], line, sizeof(line), now_ms() + 1000) == 0 && strcmp(line, "ECHO 7") == 0,
	    "line sent and read back");
	CHECK(write(sv[1], "0123456789012345678901234567890123456789", 40) == 40, "write long");
	CHECK(lt_recv_line(sv[0], line, sizeof(line), now_ms() + 1000) < 0 && errno == EMSGSIZE, "line too long");
	close(sv[1]);
	CHECK(lt_recv_line(sv[0], line, sizeof(line), now_ms() + 1000) < 0 && errno == ECONNRESET, "peer closed");
	close(sv[0]);
}

static void
test_sys(void)
{
	struct lt_sys a, b;
	char buf[LT_LINE];

	lt_sys_get(&a, NULL);
	CHECK(*a.kernel && strchr(a.kernel, ' ') == NULL, "kernel release without spaces");
	CHECK(strchr(a.tcp_rmem, ' ') == NULL, "tcp_rmem without spaces (%s)", a.tcp_rmem);
	lt_sys_format(&a, buf, sizeof(buf));
	lt_sys_parse(&b, buf);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0 || (strcmp(a.kernel, b.kernel) == 0 && strcmp(a.qdisc, b.qdisc) == 0 &&
	    strcmp(a.tcp_wmem, b.tcp_wmem) == 0), "system facts round trip");
	lt_sys_parse(&b, "kernel=evil\033[2J cc=x");
	CHECK(strchr(b.kernel, '\033') == NULL && strcmp(b.qdisc, "?") == 0, "peer's facts sanitized, missing ones '?'");
}

int
main(void)
{
	test_hmac();
	test_hex();
	test_udp_hdr();
	test_fields();
	test_rtt();
	test_jitter();
	test_jitter_hostile();
	test_tcp_rx();
	test_detours();
	test_lines();
	test_sys();
	return T_DONE();
}
