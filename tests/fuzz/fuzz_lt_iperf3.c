/* libFuzzer: what an iperf3 server sends a linktest client (lib/linktest/lt_iperf3.c):
 * the input as the server's results (figures finite and not negative, or refused)
 * and as a UDP datagram (loss counts that add up, finite jitter). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lt_iperf3.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip3_stream s;
	struct ip3_rx rx;
	char err[ERRLEN];
	double arrival[] = { 0, 1e9, -1e9, 4294967296.5 };
	size_t i;

	if (ip3_parse_results((const char *)data, size, &s, err) == 0 &&
	    (!(s.bytes >= 0) || !(s.jitter_s >= 0) || !isfinite(s.bytes) || !isfinite(s.jitter_s) || s.errors < 0 ||
	    s.packets < 0 || !(s.end_time >= 0)))
		abort();
	if (size >= 4)
		(void)ip3_json_len(data);
	memset(&rx, 0, sizeof(rx));
	for (i = 0; i < ARRAY_SIZE(arrival); i++)
		if ((ip3_rx_add(&rx, data, size, arrival[i]) == 0) != (size >= IP3_UDP_HDR))
			abort();
	if (size >= IP3_UDP_HDR && (rx.datagrams != ARRAY_SIZE(arrival) || !(rx.jitter_s >= 0) ||
	    rx.errors > rx.packets))
		abort();
	return 0;
}
