/* libFuzzer: linktest's wire parsers (lib/linktest/lt_wire.c, lt_stats.c, lt_sys.c). The input is read both
 * as a UDP datagram (header, then the receive statistics with the peer's
 * stamp: no signed overflow, finite jitter) and as a control line (fields,
 * numbers within their bounds, hex that reads back as lt_hex writes it, the
 * peer's system facts printable and the same once written and read again). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lt.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
datagram(const uint8_t *data, size_t size)
{
	struct lt_udp_hdr h, again;
	struct lt_udp_rx rx = { 0 };
	unsigned char buf[LT_UDP_HDR];
	int64_t arrival[] = { 0, 1, 5000000000LL, LT_STAMP_MAX, INT64_MAX, INT64_MIN };
	size_t i;

	if (lt_udp_get(data, size, &h) < 0)
		return;
	if (size < LT_UDP_HDR || (h.kind != LT_UDP_HELLO && h.kind != LT_UDP_DATA))
		abort();
	lt_udp_put(buf, &h);
	if (lt_udp_get(buf, sizeof(buf), &again) < 0 || memcmp(&h.token, &again.token, LT_TOKEN) != 0 ||
	    h.seq != again.seq || h.send_ns != again.send_ns)
		abort();
	for (i = 0; i < ARRAY_SIZE(arrival); i++) {
		lt_udp_rx_add(&rx, h.seq + i, h.send_ns, arrival[i], size);
		lt_udp_rx_add(&rx, h.seq, (int64_t)((uint64_t)h.send_ns ^ (uint64_t)arrival[i]), arrival[i], size);
	}
	if (rx.packets != 2 * ARRAY_SIZE(arrival) || !(rx.jitter_ns >= 0) || rx.jitter_ns > 1e19)
		abort();
}

/* The peer's words reach a terminal: never empty, printable only. */
static void
printable(const char *s)
{
	if (!*s)
		abort();
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			abort();
}

static void
control(const uint8_t *data, size_t size)
{
	static const char *keys[] = { "nonce", "key", "token", "mac", "peer", "dir", "streams", "time", "rate",
		"size", "sent", "bytes", "us", "cnonce" };
	char line[LT_LINE], out[80], hex[2 * LT_TOKEN + 1], text[LT_LINE];
	unsigned char raw[LT_TOKEN];
	struct lt_sys sys, again;
	long long n;
	size_t i, len = size < sizeof(line) - 1 ? size : sizeof(line) - 1;

	memcpy(line, data, len);
	line[len] = '\0';
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (lt_field(line, keys[i], out, sizeof(out)) == 0 && (strlen(out) >= sizeof(out) || strchr(out, ' ')))
			abort();
		if (lt_field_num(line, keys[i], -5, 1LL << 40, &n) == 0 && (n < -5 || n > 1LL << 40))
			abort();
		if (lt_field(line, keys[i], out, sizeof(out)) == 0 && lt_unhex(raw, LT_TOKEN, out) == 0) {
			lt_hex(hex, raw, LT_TOKEN);
			if (strcasecmp(hex, out) != 0)
				abort();
		}
	}
	memset(&sys, 0, sizeof(sys));
	memset(&again, 0, sizeof(again));
	lt_sys_parse(&sys, line);
	lt_sys_format(&sys, text, sizeof(text));
	lt_sys_parse(&again, text);
	if (memcmp(&sys, &again, sizeof(sys)) != 0)
		abort();
	printable(sys.kernel);
	printable(sys.cc);
	printable(sys.qdisc);
	printable(sys.dev);
	printable(sys.tcp_rmem);
	printable(sys.tcp_wmem);
	printable(sys.rmem_max);
	printable(sys.wmem_max);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	datagram(data, size);
	control(data, size);
	return 0;
}
