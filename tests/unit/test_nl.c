/* Known answers for the netlink message builder/parser and the MPTCP endpoint text form. */
#include <errno.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <sys/socket.h>

#include "t.h"
#include "mptcp_kernel.h"
#include "nl.h"
#include "util.h"

static void
test_builder(void)
{
	struct nl_msg m;
	struct nl_hdr h;
	struct nl_genl g;
	const struct nl_attr *tb[8], *ta[8];
	static const unsigned char want[] = {
		/* nlmsghdr: len 48, type 0x1d, flags REQUEST, seq 0, pid 0 */
		48, 0, 0, 0, 0x1d, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		/* genl: cmd 1 version 1 */
		1, 1, 0, 0,
		/* nest type 1 | NESTED, len 28 */
		28, 0, 1, 0x80,
		/* id u8 = 7, padded */
		5, 0, 2, 0, 7, 0, 0, 0,
		/* family u16 = 2, padded */
		6, 0, 1, 0, 2, 0, 0, 0,
		/* addr4 10.0.0.2 */
		8, 0, 3, 0, 10, 0, 0, 2,
	};
	unsigned char a4[4] = { 10, 0, 0, 2 };

	nl_msg_genl(&m, 0x1d, 1, 1, 0);
	CHECK(m.len == 20, "genl header is 16 + 4 bytes");
	nl_nest_begin(&m, 1);
	nl_attr_put_u8(&m, 2, 7);
	nl_attr_put_u16(&m, 1, AF_INET);
	nl_attr_put(&m, 3, a4, 4);
	CHECK(nl_nest_end(&m) == 0, "nest closes");
	memcpy(&h, m.buf, sizeof(h));
	h.len = (uint32_t)m.len;   /* nl_talk fills len and seq when it sends */
	memcpy(m.buf, &h, sizeof(h));
	CHECK(m.len == sizeof(want) && memcmp(m.buf, want, sizeof(want)) == 0, "ADD_ADDR-like message bytes");

	memcpy(&g, m.buf + sizeof(h), sizeof(g));
	CHECK(g.cmd == 1 && g.version == 1, "genl header fields");
	CHECK(nl_attr_parse(m.buf + 20, m.len - 20, tb, 7) == 0 && tb[1] != NULL, "top-level attributes parse");
	CHECK(tb[1] && (tb[1]->type & NL_A_F_NESTED), "nest flag set on the wire");
	CHECK(tb[1] && nl_attr_parse(nl_attr_data(tb[1]), nl_attr_len(tb[1]), ta, 7) == 0, "nested attributes parse");
	CHECK(nl_attr_u8(ta[2]) == 7 && nl_attr_u16(ta[1]) == AF_INET, "u8 and u16 read back");
	CHECK(ta[3] && nl_attr_len(ta[3]) == 4 && memcmp(nl_attr_data(ta[3]), a4, 4) == 0, "address reads back");
	CHECK(nl_attr_u32(ta[4]) == 0 && ta[4] == NULL, "absent attribute reads as 0");
	CHECK(nl_attr_u32(ta[2]) == 0, "too-short attribute reads as 0");

	/* a length that runs past the buffer is refused */
	{
		unsigned char bad[8] = { 12, 0, 1, 0, 0, 0, 0, 0 };
		CHECK(nl_attr_parse(bad, sizeof(bad), tb, 7) < 0, "overlong attribute refused");
		bad[0] = 2;
		CHECK(nl_attr_parse(bad, sizeof(bad), tb, 7) < 0, "attribute shorter than its header refused");
	}

	/* overflow is sticky */
	nl_msg_genl(&m, 0x1d, 1, 1, 0);
	{
		char big[2000];
		memset(big, 'x', sizeof(big));
		CHECK(nl_attr_put(&m, 1, big, sizeof(big)) < 0 && m.overflow, "oversized attribute marks overflow");
	}
}

static void
parse_ok(const char *in, const char *store_form, const char *show_form)
{
	struct mptcp_endpoint e;
	char err[ERRLEN] = "", buf[300];
	int rc = mptcp_endpoint_parse(in, &e, err);

	CHECK(rc == 0, "parses: %s", in);
	if (rc < 0) {
		printf("#   %s\n", err);
		return;
	}
	CHECK_STR(mptcp_endpoint_format(&e, buf, sizeof(buf)), store_form, "store form of '%s'", in);
	if (show_form)
		CHECK_STR(mptcp_endpoint_show(&e, buf, sizeof(buf)), show_form, "show form of '%s'", in);
}

static void
parse_bad(const char *in, const char *words)
{
	struct mptcp_endpoint e;
	char err[ERRLEN] = "";

	CHECK(mptcp_endpoint_parse(in, &e, err) < 0 && strstr(err, words) != NULL, "refused: '%s' (%s)", in, words);
	if (!strstr(err, words))
		printf("#   message was: %s\n", err);
}

static void
test_endpoints(void)
{
	struct mptcp_endpoint a, b;
	char err[ERRLEN], buf[64];

	parse_ok("10.0.0.2 dev eth1 subflow fullmesh", "10.0.0.2 dev eth1 subflow fullmesh",
	    "10.0.0.2 id 0 subflow fullmesh dev eth1");
	/* an `ip mptcp endpoint show` line (xwPF's mptcp_endpoints.conf) */
	parse_ok("10.0.0.2 id 1 subflow fullmesh dev eth1", "10.0.0.2 dev eth1 id 1 subflow fullmesh",
	    "10.0.0.2 id 1 subflow fullmesh dev eth1");
	parse_ok("signal backup 192.168.1.5 id 255", "192.168.1.5 id 255 signal backup",
	    "192.168.1.5 id 255 signal backup");
	parse_ok("10.1.1.1 signal port 4000 dev v0", "10.1.1.1 dev v0 port 4000 signal",
	    "10.1.1.1 port 4000 id 0 signal dev v0");
	parse_ok("2001:DB8:0:0::1 subflow backup", "2001:db8::1 subflow backup", NULL);
	parse_ok("10.0.0.9 subflow subflow", "10.0.0.9 subflow", NULL);
	parse_ok("  10.0.0.9\tsignal  ", "10.0.0.9 signal", NULL);
	parse_ok("10.0.0.9", "10.0.0.9", "10.0.0.9 id 0");

	parse_bad("10.0.0.2 signal fullmesh", "signal and fullmesh");
	parse_bad("10.0.0.2 subflow signal port 80", "port 80 needs the signal flag and not subflow");
	parse_bad("10.0.0.2 subflow port 80", "needs the signal flag");
	parse_bad("10.0.0.2 id 0", "id must be a number from 1 to 255");
	parse_bad("10.0.0.2 id 256", "id must be a number from 1 to 255");
	parse_bad("10.0.0.2 id", "'id' needs a value");
	parse_bad("10.0.0.2 dev", "'dev' needs a value");
	parse_bad("10.0.0.2 dev abcdefghijklmnopq", "not an interface name");
	parse_bad("10.0.0.2 port 0 signal", "port must be a number from 1 to 65535");
	parse_bad("10.0.0.2 turbo", "unknown word 'turbo'");
	parse_bad("10.0.0.2 implicit", "unknown word 'implicit'");
	parse_bad("10.0.0.2 10.0.0.3", "one address per endpoint");
	parse_bad("10.0.0.256 signal", "not an IPv4 or IPv6 address");
	parse_bad("subflow", "needs an address");
	parse_bad("", "needs an address");
	parse_bad("0.0.0.0 subflow", "unspecified");
	parse_bad(":: subflow", "unspecified");
	parse_bad("224.0.0.1 subflow", "multicast");
	parse_bad("ff02::1 subflow", "multicast");

	CHECK(mptcp_endpoint_parse("10.0.0.2 signal", &a, err) == 0 &&
	    mptcp_endpoint_parse("10.0.0.2 subflow dev x", &b, err) == 0 && mptcp_endpoint_same(&a, &b),
	    "same address, no port: the same endpoint whatever the flags");
	CHECK(mptcp_endpoint_parse("10.0.0.2 signal port 9", &b, err) == 0 && !mptcp_endpoint_same(&a, &b),
	    "a port makes another endpoint");
	CHECK(mptcp_endpoint_parse("::ffff:10.0.0.2 signal", &b, err) == 0 && !mptcp_endpoint_same(&a, &b),
	    "a v4-mapped IPv6 address is another family");
	CHECK_STR(mptcp_flags_text(MPTCP_F_SIGNAL | MPTCP_F_BACKUP | 0x100, buf, sizeof(buf)),
	    "signal backup rawflags 0x100", "unknown kernel flags shown raw");
}

/* nl_walk, the pure half of nl_talk: replies to the request's sequence only,
 * the end on DONE (a dump) or the ack, the kernel's error and its message,
 * and an error number no kernel sends (INT32_MIN: negating it overflowed). */
struct walk_seen { int replies; };

static int
walk_cb(const struct nl_hdr *h, const void *data, size_t len, void *arg, char *err)
{
	(void)h; (void)data; (void)len; (void)err;
	((struct walk_seen *)arg)->replies++;
	return 0;
}

static size_t
put_msg(unsigned char *b, uint16_t type, uint16_t flags, uint32_t seq, const void *p, size_t n)
{
	struct nl_hdr h = { (uint32_t)(sizeof(h) + n), type, flags, seq, 0 };

	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), p, n);
	return (sizeof(h) + n + 3) & ~(size_t)3;
}

static void
test_walk(void)
{
	unsigned char buf[256], pay[8] = { 1, 2, 0, 0, 0, 0, 0, 0 };
	struct walk_seen seen = { 0 };
	struct nl_walker w;
	char err[ERRLEN];
	int32_t e;
	size_t n = 0;

	memset(&w, 0, sizeof(w));
	w.seq = 7;
	w.dump = 1;
	w.cb = walk_cb;
	w.arg = &seen;
	n += put_msg(buf + n, 0x15, 0, 6, pay, 4);   /* an earlier request's: skipped */
	n += put_msg(buf + n, 0x15, 0, 7, pay, 4);
	n += put_msg(buf + n, 0x15, 0, 7, pay, 4);
	CHECK(nl_walk(&w, buf, n, err) == 0 && seen.replies == 2, "two replies of this request, more to read");
	e = 0;
	n = put_msg(buf, 3 /* NLMSG_DONE */, 0, 7, &e, 4);
	CHECK(nl_walk(&w, buf, n, err) == 1, "DONE ends a dump");
	e = -EEXIST;
	n = put_msg(buf, 2 /* NLMSG_ERROR */, 0, 7, &e, 4);
	w.dump = 0;
	CHECK(nl_walk(&w, buf, n, err) == -1 && errno == EEXIST, "the kernel's error number");
	e = INT32_MIN;
	n = put_msg(buf, 2 /* NLMSG_ERROR */, 0, 7, &e, 4);
	CHECK(nl_walk(&w, buf, n, err) == -1 && errno == EPROTO, "INT32_MIN is no error number: EPROTO");
	n = put_msg(buf, 0x15, 0, 7, pay, 4);
	memcpy(buf, &(uint32_t){ 4000 }, 4);
	CHECK(nl_walk(&w, buf, n, err) == -1 && errno == EPROTO, "a length past the datagram: malformed");
}

int
main(void)
{
	test_walk();
	test_builder();
	test_endpoints();
	return T_DONE();
}
