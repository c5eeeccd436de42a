/* linktest, iperf3: the messages a client sends, the server's results read, UDP loss and jitter as iperf3 counts them. */
#include <stdlib.h>
#include <string.h>

#include "lt_iperf3.h"
#include "t.h"
#include "util.h"

int
main(void)
{
	unsigned char buf[600], rnd[36], pkt[64];
	char cookie[IP3_COOKIE], err[ERRLEN] = "", sb[32];
	struct ip3_test t = { 1, 1, 10, 125000000, 1400 };
	struct ip3_stream s;
	struct ip3_rx rx;
	int n, i;
	/* what an iperf3 3.12 server sends after a UDP upload (cJSON, unformatted) */
	const char *srv = "{\"cpu_util_total\":1.2,\"cpu_util_user\":0.3,\"cpu_util_system\":0.9,"
	    "\"sender_has_retransmits\":-1,\"congestion_used\":\"cubic\",\"streams\":[{\"id\":1,\"bytes\":12345600,"
	    "\"retransmits\":-1,\"jitter\":0.000123,\"errors\":7,\"omitted_errors\":0,\"packets\":8818,"
	    "\"omitted_packets\":0,\"start_time\":0,\"end_time\":10.000321}]}";

	for (i = 0; i < 36; i++)
		rnd[i] = (unsigned char)(i * 37);
	ip3_cookie(cookie, rnd);
	CHECK(strlen(cookie) == 36 && strspn(cookie, "abcdefghijklmnopqrstuvwxyz234567") == 36, "a cookie of 36 characters");

	n = ip3_params(buf, sizeof(buf), &t);
	CHECK(n > 4 && ip3_json_len(buf) == n - 4, "parameters behind their big-endian length");
	buf[n] = '\0';
	CHECK(strstr((char *)buf + 4, "\"udp\":true") && strstr((char *)buf + 4, "\"reverse\":true") &&
	    strstr((char *)buf + 4, "\"bandwidth\":125000000") && strstr((char *)buf + 4, "\"time\":10") &&
	    strstr((char *)buf + 4, "\"len\":1400"), "UDP download parameters: %s", buf + 4);
	CHECK(ip3_params(buf, 40, &t) < 0, "a buffer too small is refused");

	CHECK(ip3_parse_results(srv, strlen(srv), &s, err) == 0, "the server's results read (%s)", err);
	CHECK(s.bytes == 12345600 && s.errors == 7 && s.packets == 8818 && s.jitter_s > 0.000122 &&
	    s.jitter_s < 0.000124 && s.end_time > 10, "its figures");
	CHECK(ip3_parse_results("{\"streams\":[{\"id\":1,\"bytes\":5}]}", 32, &s, err) < 0 && strstr(err, "retransmits"),
	    "a missing figure is named: %s", err);
	CHECK(ip3_parse_results("{\"streams\":[{\"id\":1,\"bytes\":5}]}", 30, &s, err) < 0 && strstr(err, "not JSON"),
	    "cut short: not JSON, refused: %s", err);
	CHECK(ip3_parse_results("{\"streams\":[{\"bytes\":\"5\",\"retransmits\":0}]}", 43, &s, err) < 0 &&
	    strstr(err, "bytes"), "a figure as a string is no number: %s", err);
	CHECK(ip3_parse_results("{\"x\":{\"packets\":1},\"streams\":[{\"bytes\":1e30,\"retransmits\":-1,\"jitter\":0,"
	    "\"errors\":-4,\"packets\":1e300}]}", 102, &s, err) == 0 && s.retransmits == -1 && s.errors == 0 &&
	    s.packets == 1000000000000000000LL && s.end_time == 0, "counts clamped, other objects ignored (%s)", err);
	CHECK(ip3_parse_results("{\"nothing\":1}", 13, &s, err) < 0, "no stream: refused");
	buf[0] = 0; buf[1] = 1; buf[2] = 0; buf[3] = 1;
	CHECK(ip3_json_len(buf) == -1, "a length over 64 KiB is refused");
	buf[1] = 0;
	CHECK(ip3_json_len(buf) == 1, "a small length");

	s.bytes = 1000;
	s.packets = 3;
	n = ip3_results(buf, sizeof(buf), &s, 0, -1);
	buf[n] = '\0';
	CHECK(n > 0 && strstr((char *)buf + 4, "\"sender_has_retransmits\":-1") && strstr((char *)buf + 4, "\"id\":1") &&
	    strstr((char *)buf + 4, "\"bytes\":1000"), "our results as a receiver: %s", buf + 4);

	CHECK(ip3_udp_reply((const unsigned char *)"6789", 4) && ip3_udp_reply((const unsigned char *)"\xb1\x68\xde\x3a", 4) &&
	    !ip3_udp_reply((const unsigned char *)"9876", 4), "the UDP connect reply, new and legacy");
	CHECK(strcmp(ip3_state_name(IP3_ACCESS_DENIED, sb, sizeof(sb)), "ACCESS_DENIED (the server is busy with another test)") == 0 &&
	    strcmp(ip3_state_name(77, sb, sizeof(sb)), "state 77") == 0, "state names");

	memset(&rx, 0, sizeof(rx));
	memset(pkt, 0, sizeof(pkt));
	{
		static const uint32_t counts[] = { 1, 2, 5, 4, 6 };   /* 3 lost, 4 late */
		static const double delay[] = { 0.010, 0.012, 0.010, 0.014, 0.010 };

		for (i = 0; i < 5; i++) {
			ip3_udp_put(pkt, 100 + (uint32_t)i, 0, counts[i]);
			ip3_rx_add(&rx, pkt, sizeof(pkt), 100 + i + delay[i]);
		}
	}
	CHECK(rx.packets == 6 && rx.errors == 1 && rx.outoforder == 1 && rx.bytes == 5 * sizeof(pkt),
	    "a gap counts as lost until the late datagram arrives");
	CHECK(rx.jitter_s > 0.0005 && rx.jitter_s < 0.0008, "RFC 1889 jitter (%f s)", rx.jitter_s);
	CHECK(ip3_rx_add(&rx, pkt, 11, 0) < 0 && rx.bytes == 5 * sizeof(pkt), "a runt is not counted");
	return T_DONE();
}
