/*
 * iperf3's protocol as data (lt_iperf3.h): messages to send, and the
 * figures in what the server sends back. Nothing here touches a socket.
 */
#include "lt_iperf3.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define COUNT_MAX 1e18           /* counts from a server are taken up to this */

const unsigned char ip3_udp_connect[4] = { '9', '8', '7', '6' };

void
ip3_cookie(char out[IP3_COOKIE], const unsigned char rnd[36])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	int i;

	for (i = 0; i < 36; i++)
		out[i] = alphabet[rnd[i] % 32];
	out[36] = '\0';
}

const char *
ip3_state_name(int state, char *buf, size_t size)
{
	static const struct { int s; const char *name; } names[] = {
		{ IP3_TEST_START, "TEST_START" }, { IP3_TEST_RUNNING, "TEST_RUNNING" }, { IP3_TEST_END, "TEST_END" },
		{ IP3_PARAM_EXCHANGE, "PARAM_EXCHANGE" }, { IP3_CREATE_STREAMS, "CREATE_STREAMS" },
		{ IP3_SERVER_TERMINATE, "SERVER_TERMINATE" }, { IP3_CLIENT_TERMINATE, "CLIENT_TERMINATE" },
		{ IP3_EXCHANGE_RESULTS, "EXCHANGE_RESULTS" }, { IP3_DISPLAY_RESULTS, "DISPLAY_RESULTS" },
		{ IP3_IPERF_START, "IPERF_START" }, { IP3_IPERF_DONE, "IPERF_DONE" },
		{ IP3_ACCESS_DENIED, "ACCESS_DENIED (the server is busy with another test)" },
		{ IP3_SERVER_ERROR, "SERVER_ERROR" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].s == state)
			return names[i].name;
	snprintf(buf, size, "state %d", state);
	return buf;
}

/* "text" behind a 4-byte big-endian length */
static int
framed(unsigned char *buf, size_t size, int n)
{
	if (n < 0 || (size_t)n + 4 >= size) {
		errno = EMSGSIZE;
		return -1;
	}
	memmove(buf + 4, buf, (size_t)n);
	buf[0] = (unsigned char)(n >> 24);
	buf[1] = (unsigned char)(n >> 16);
	buf[2] = (unsigned char)(n >> 8);
	buf[3] = (unsigned char)n;
	return n + 4;
}

int
ip3_params(unsigned char *buf, size_t size, const struct ip3_test *t)
{
	char rate[40] = "";
	int n;

	if (t->udp)
		snprintf(rate, sizeof(rate), ",\"bandwidth\":%llu", (unsigned long long)t->rate);
	n = snprintf((char *)buf, size, "{\"%s\":true,\"omit\":0,\"time\":%d,\"num\":0,\"blockcount\":0,\"parallel\":1%s,"
	    "\"len\":%d%s,\"pacing_timer\":1000,\"client_version\":\"3.12\"}", t->udp ? "udp" : "tcp", t->seconds,
	    t->reverse ? ",\"reverse\":true" : "", t->len, rate);
	return framed(buf, size, n);
}

int
ip3_results(unsigned char *buf, size_t size, const struct ip3_stream *s, int sender, long long retransmits)
{
	int n = snprintf((char *)buf, size, "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,"
	    "\"sender_has_retransmits\":%d,\"streams\":[{\"id\":1,\"bytes\":%.0f,\"retransmits\":%lld,\"jitter\":%.9f,"
	    "\"errors\":%lld,\"omitted_errors\":0,\"packets\":%lld,\"omitted_packets\":0,\"start_time\":0,"
	    "\"end_time\":%.6f}]}", sender ? (retransmits >= 0) : -1, s->bytes, sender ? retransmits : -1LL,
	    s->jitter_s, s->errors, s->packets, s->end_time);

	return framed(buf, size, n);
}

long
ip3_json_len(const unsigned char hdr[4])
{
	unsigned long n = (unsigned long)hdr[0] << 24 | (unsigned long)hdr[1] << 16 | (unsigned long)hdr[2] << 8 | hdr[3];

	return n == 0 || n > IP3_JSON_MAX ? -1 : (long)n;
}

/* The number of member key in stream st: -1 when absent, not a number or not finite. */
static int
num_in(const struct json_val *st, const char *key, double *out)
{
	const struct json_val *v = json_get(st, key);

	if (!v || v->t != JSON_NUM || !isfinite(v->num))
		return -1;
	*out = v->num;
	return 0;
}

int
ip3_parse_results(const char *json, size_t len, struct ip3_stream *s, char *err)
{
	static const char *const keys[] = { "bytes", "retransmits", "jitter", "errors", "packets" };
	struct json_val *root;
	const struct json_val *st;
	char jerr[ERRLEN];
	double v[5], et = 0;
	size_t i;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (len > IP3_JSON_MAX) {
		snprintf(err, ERRLEN, "the server's results are too long");
		return -1;
	}
	if (!(root = json_parse(json, len, jerr))) {
		snprintf(err, ERRLEN, "the server's results are not JSON: %.200s", jerr);
		return -1;
	}
	st = json_get(root, "streams");
	if (!st || st->t != JSON_ARR || st->n == 0 || st->v[0]->t != JSON_OBJ) {
		snprintf(err, ERRLEN, "the server's results have no stream");
		goto out;
	}
	st = st->v[0];
	for (i = 0; i < 5; i++)
		if (num_in(st, keys[i], &v[i]) < 0) {
			snprintf(err, ERRLEN, "the server's results have no number for %s", keys[i]);
			goto out;
		}
	(void)num_in(st, "end_time", &et);   /* servers before 3.2 leave it out */
	s->bytes = fmax(v[0], 0);
	s->retransmits = v[1] < 0 ? -1 : (long long)fmin(v[1], COUNT_MAX);
	s->jitter_s = fmax(v[2], 0);
	s->errors = (long long)fmin(fmax(v[3], 0), COUNT_MAX);
	s->packets = (long long)fmin(fmax(v[4], 0), COUNT_MAX);
	s->end_time = fmax(et, 0);
	rc = 0;
out:
	json_free(root);
	return rc;
}

int
ip3_udp_reply(const unsigned char *buf, size_t n)
{
	static const unsigned char reply[4] = { '6', '7', '8', '9' }, legacy[4] = { 0xb1, 0x68, 0xde, 0x3a };

	return n == 4 && (memcmp(buf, reply, 4) == 0 || memcmp(buf, legacy, 4) == 0);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
ip3_udp_put(unsigned char *buf, uint32_t sec, uint32_t usec, uint32_t count)
{
	put32(buf, sec);
	put32(buf + 4, usec);
	put32(buf + 8, count);
}

int
ip3_rx_add(struct ip3_rx *rx, const unsigned char *pkt, size_t n, double arrival_s)
{
	uint64_t count;
	double transit, d;

	if (n < IP3_UDP_HDR)
		return -1;
	count = get32(pkt + 8);
	rx->bytes += n;
	rx->datagrams++;
	if (count >= rx->packets + 1) {
		if (count > rx->packets + 1)
			rx->errors += count - 1 - rx->packets;
		rx->packets = count;
	} else {
		rx->outoforder++;
		if (rx->errors)
			rx->errors--;
	}
	transit = arrival_s - (get32(pkt) + get32(pkt + 4) / 1e6);
	if (!rx->have_prev) {
		rx->prev_transit = transit;
		rx->have_prev = 1;
	}
	d = fabs(transit - rx->prev_transit);
	rx->prev_transit = transit;
	rx->jitter_s += (d - rx->jitter_s) / 16.0;
	return 0;
}
