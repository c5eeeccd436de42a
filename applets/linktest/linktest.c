/*
 * linktest: latency, jitter, loss, bandwidth both ways and the route, with
 * this one binary on both ends (no iperf3, hping3 or traceroute).
 *
 *   xwpf linktest --server [--listen ADDR:PORT] [--key KEY]    (linktest_server.c)
 *   xwpf linktest HOST[:PORT] [--time S] [--streams N] [--json] ...  (linktest_client.c)
 *
 * This file: the usage text, the options of both, and linktest_main.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "applet.h"
#include "json.h"
#include "linktest.h"
#include "lt.h"
#include "net.h"
#include "util.h"

const char linktest_usage[] =
    "usage: xwpf linktest HOST[:PORT] [OPTIONS]       measure the link to a linktest (or iperf3) server\n"
    "       xwpf linktest --server [SERVER OPTIONS]   answer linktest clients\n"
    "\n"
    "Client (the server's port defaults to 5210):\n"
    "  --time S          length of each throughput phase (default 5; e.g. 3, 500ms)\n"
    "  --streams N       TCP streams of the parallel phase (default 4; 1: single only)\n"
    "  --udp-rate RATE   UDP send rate in bit/s, e.g. 50M (default: the measured TCP rate)\n"
    "  --udp-size BYTES  UDP datagram size, 64..1472 (default 1200)\n"
    "  --count N         latency probes of each kind (default 10)\n"
    "  --only LIST       phases, comma separated: info,latency,route,tcp,udp (default all)\n"
    "  --no-route        skip the route phase\n"
    "  --key KEY         shared key (or --key-file FILE, or $XWPF_LINKTEST_KEY)\n"
    "  --port P          the server's port (as HOST:P)\n"
    "  --iperf3          the far end is a plain 'iperf3 -s' (else found out: a server\n"
    "                    silent for 3 s is taken as one): one stream per TCP phase,\n"
    "                    phases of whole seconds up to 300, no control echo or remote facts\n"
    "  --json[=FILE]     JSON on stdout; with FILE, JSON to FILE and the table on stdout\n"
    "\n"
    "Server:\n"
    "  --listen ADDR:PORT  where to listen, TCP and UDP (default [::]:5210 with a key,\n"
    "                      127.0.0.1:5210 without; PORT alone: that port there)\n"
    "  --key KEY           clients must prove this key (HMAC-SHA256 challenge; or\n"
    "                      --key-file FILE, or $XWPF_LINKTEST_KEY); without a key:\n"
    "                      loopback only, unless --listen names an address (it then warns)\n"
    "  --max-time S        longest test phase a client may ask for (default 30)\n"
    "  --max-streams N     most TCP streams per test (default 16)\n"
    "  --max-clients N     most clients at once (default 4)\n"
    "  --max-rate RATE     fastest UDP rate a client may ask for (default 1G)\n"
    "  --budget SIZE       traffic per client address (IPv6: per /64) and hour, both\n"
    "                      ways, e.g. 10G (default no limit); then refused, with why\n"
    "  --total-budget SIZE traffic of all clients per hour (default no limit)\n"
    "  --quiet             no log lines\n"
    "\n"
    "TCP Mbit/s leave out the first tenth of each phase (at most 1 s: the ramp-up,\n"
    "like iperf3 --omit); JSON also has mbps_all over the whole phase.\n"
    "Phases: system facts of both ends; latency (TCP connect round trips, ICMP echo\n"
    "where net.ipv4.ping_group_range allows it, echo over the control connection);\n"
    "route (UDP probes with rising TTL, no root needed); TCP upload and download,\n"
    "single and N streams, with retransmits; UDP both ways with loss and jitter.\n"
    "A connection has 3 s to authenticate, and only then takes a client's place;\n"
    "one address holds at most 8 connections that have not. System facts go only\n"
    "to authenticated clients.\n"
    "Progress bars show on a terminal only. Through a relay chain, aim at the relay\n"
    "port that leads to the server: every connection and datagram goes there.\n"
    "Exit codes: 0 ok, 1 failure (or a phase failed), 2 usage.\n";


static int
parse_rate(const char *s, uint64_t *out)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1e3; end++; break;
	case 'm': case 'M': mul = 1e6; end++; break;
	case 'g': case 'G': mul = 1e9; end++; break;
	}
	if (strcmp(end, "bit") == 0 || strcmp(end, "bps") == 0 || strcmp(end, "bit/s") == 0)
		end += strlen(end);
	if (*end || v * mul < 1000 || v * mul > 1e11)
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
}

/* Non-blocking connect within timeout_ms; the socket stays non-blocking. */

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if this is not --name. */
static const char *
optval(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

/* v as a whole number from lo to hi into *out: 0, or -1 leaving *out alone. */
static int
int_opt(const char *v, long lo, long hi, int *out)
{
	long n;

	if (parse_long(v, lo, hi, &n) < 0)
		return -1;
	*out = (int)n;
	return 0;
}

static int
usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", applet_name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see xwpf linktest --help)\n");
	return EXIT_USAGE;
}

static int
parse_target(struct linktest_client *c, const char *s)
{
	struct hostport hp;
	char err[ERRLEN];
	const char *colon = strchr(s, ':');

	c->port = LT_PORT;
	if (s[0] == '[' || (colon && !strchr(colon + 1, ':'))) {
		if (hostport_parse(s, 0, &hp, err) < 0) {
			fprintf(stderr, "%s: %s\n", applet_name, err);
			return -1;
		}
		snprintf(c->host, sizeof(c->host), "%s", hp.host);
		c->port = hp.port;
		return 0;
	}
	if (!colon && !hostname_valid(s) && !addr_family_of(s)) {
		fprintf(stderr, "%s: '%s' is neither an IP address nor a host name\n", applet_name, s);
		return -1;
	}
	if (colon && addr_family_of(s) != 6) {
		fprintf(stderr, "%s: '%s': write IPv6 addresses in brackets, as [ADDR]:PORT\n", applet_name, s);
		return -1;
	}
	if (str_copy(c->host, sizeof(c->host), s) < 0) {
		fprintf(stderr, "%s: the host name is too long\n", applet_name);
		return -1;
	}
	return 0;
}

static char keybuf[1024];

static const char *
read_key_file(const char *path)
{
	char *s = file_read(path, NULL);

	if (!s) {
		fprintf(stderr, "%s: cannot read the key file %s: %s\n", applet_name, path, strerror(errno));
		return NULL;
	}
	s[strcspn(s, "\r\n")] = '\0';
	if (!*s || str_copy(keybuf, sizeof(keybuf), s) < 0) {
		fprintf(stderr, "%s: the key file %s is empty or its first line is too long\n", applet_name, path);
		free(s);
		return NULL;
	}
	free(s);
	return keybuf;
}

static int
parse_only(const char *s, int *out)
{
	char buf[128], *tok, *save = NULL;

	if (str_copy(buf, sizeof(buf), s) < 0)
		return -1;
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "info") == 0) *out |= LINKTEST_PH_INFO;
		else if (strcmp(tok, "latency") == 0) *out |= LINKTEST_PH_LATENCY;
		else if (strcmp(tok, "route") == 0) *out |= LINKTEST_PH_ROUTE;
		else if (strcmp(tok, "tcp") == 0) *out |= LINKTEST_PH_TCP;
		else if (strcmp(tok, "udp") == 0) *out |= LINKTEST_PH_UDP;
		else return -1;
	}
	return *out ? 0 : -1;
}

static int
server_main(int argc, char **argv)
{
	struct linktest_server_opts o = { .listen = NULL, .key = "", .max_time_s = 30, .max_streams = 16, .max_clients = 4,
		.max_rate = 1000000000ULL };
	const char *v, *env = getenv("XWPF_LINKTEST_KEY");
	int i, missing = 0;

	if (env)
		o.key = env;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--server") == 0)
			continue;
		if (strcmp(argv[i], "--quiet") == 0)
			o.quiet = 1;
		else if ((v = optval(argc, argv, &i, "--listen", &missing)))
			o.listen = v;
		else if ((v = optval(argc, argv, &i, "--key", &missing)))
			o.key = v;
		else if ((v = optval(argc, argv, &i, "--key-file", &missing))) {
			if (!(o.key = read_key_file(v)))
				return EXIT_USAGE;
		} else if ((v = optval(argc, argv, &i, "--max-time", &missing))) {
			if (int_opt(v, 1, 3600, &o.max_time_s) < 0)
				return usage_err("--max-time '%s': give seconds, 1..3600", v);
		} else if ((v = optval(argc, argv, &i, "--max-streams", &missing))) {
			if (int_opt(v, 1, LINKTEST_STREAMS_CAP, &o.max_streams) < 0)
				return usage_err("--max-streams '%s': give a number from 1 to 64", v);
		} else if ((v = optval(argc, argv, &i, "--max-clients", &missing))) {
			if (int_opt(v, 1, LINKTEST_CLIENTS_CAP, &o.max_clients) < 0)
				return usage_err("--max-clients '%s': give a number from 1 to 64", v);
		} else if ((v = optval(argc, argv, &i, "--max-rate", &missing))) {
			if (parse_rate(v, &o.max_rate) < 0)
				return usage_err("--max-rate '%s': give bits per second, e.g. 500M or 1G", v);
		} else if ((v = optval(argc, argv, &i, "--budget", &missing))) {
			if (parse_size(v, &o.budget) < 0 || o.budget < (1 << 20))
				return usage_err("--budget '%s': give bytes per hour, at least 1M, e.g. 10G", v);
		} else if ((v = optval(argc, argv, &i, "--total-budget", &missing))) {
			if (parse_size(v, &o.total_budget) < 0 || o.total_budget < (1 << 20))
				return usage_err("--total-budget '%s': give bytes per hour, at least 1M, e.g. 50G", v);
		} else if (missing)
			return usage_err("%s needs a value", argv[i]);
		else
			return usage_err("unknown server option '%s'", argv[i]);
	}
	if (missing)
		return usage_err("%s needs a value", argv[i - 1]);
	return linktest_server_run(&o);
}

/* The client's command line into c: EXIT_OK, or EXIT_USAGE having said why. */
static int
client_opts(struct linktest_client *c, int argc, char **argv)
{
	const char *v, *target = NULL;
	int i, missing = 0, port = 0;
	long n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-route") == 0)
			c->phases &= ~LINKTEST_PH_ROUTE;
		else if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (strncmp(argv[i], "--json=", 7) == 0) {
			c->json = 1;
			c->json_file = argv[i] + 7;
		} else if ((v = optval(argc, argv, &i, "--time", &missing))) {
			if (parse_duration_ms(v, &n) < 0 || n < 100 || n > 3600000)
				return usage_err("--time '%s': give seconds (3) or milliseconds (500ms), at least 100ms", v);
			c->time_ms = n;
		} else if (strcmp(argv[i], "--iperf3") == 0)
			c->iperf3 = 1;
		else if ((v = optval(argc, argv, &i, "--port", &missing))) {
			if (int_opt(v, 1, 65535, &port) < 0)
				return usage_err("--port '%s': give a port from 1 to 65535", v);
		} else if ((v = optval(argc, argv, &i, "--streams", &missing))) {
			if (int_opt(v, 1, LINKTEST_STREAMS_CAP, &c->streams) < 0)
				return usage_err("--streams '%s': give a number from 1 to 64", v);
		} else if ((v = optval(argc, argv, &i, "--udp-rate", &missing))) {
			if (parse_rate(v, &c->udp_rate) < 0)
				return usage_err("--udp-rate '%s': give bits per second, e.g. 50M, 800k, 1G", v);
		} else if ((v = optval(argc, argv, &i, "--udp-size", &missing))) {
			if (int_opt(v, LT_UDP_MIN, LT_UDP_MAX, &c->udp_size) < 0)
				return usage_err("--udp-size '%s': give bytes, 64..1472", v);
		} else if ((v = optval(argc, argv, &i, "--count", &missing))) {
			if (int_opt(v, 1, 1000, &c->count) < 0)
				return usage_err("--count '%s': give a number from 1 to 1000", v);
		} else if ((v = optval(argc, argv, &i, "--only", &missing))) {
			if (parse_only(v, &c->phases) < 0)
				return usage_err("--only '%s': list phases from info,latency,route,tcp,udp", v);
		} else if ((v = optval(argc, argv, &i, "--key", &missing)))
			c->key = v;
		else if ((v = optval(argc, argv, &i, "--key-file", &missing))) {
			if (!(c->key = read_key_file(v)))
				return EXIT_USAGE;
		} else if (missing)
			return usage_err("%s needs a value", argv[i]);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_err("unknown option '%s'", argv[i]);
		else if (target)
			return usage_err("one HOST[:PORT] only ('%s' is extra)", argv[i]);
		else
			target = argv[i];
	}
	if (!target)
		return usage_err("%s", "give the server as HOST[:PORT], or --server to be one");
	if (parse_target(c, target) < 0)
		return EXIT_USAGE;
	if (port)
		c->port = (uint16_t)port;
	return EXIT_OK;
}

static int
client_main(int argc, char **argv)
{
	struct linktest_client *c = calloc(1, sizeof(*c));
	const char *env = getenv("XWPF_LINKTEST_KEY");
	int rc = EXIT_FAIL;
	FILE *jf = NULL;

	if (!c) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		return EXIT_FAIL;
	}
	c->ctl = c->udp = -1;
	c->iperf3 = -1;
	c->time_ms = 5000;
	c->streams = 4;
	c->udp_size = 1200;
	c->count = 10;
	c->phases = LINKTEST_PH_ALL;
	c->key = env ? env : "";
	if ((rc = client_opts(c, argc, argv)) != EXIT_OK)
		goto out;
	rc = EXIT_FAIL;
	if (c->json && !c->json_file)
		c->tty = 0;
	else
		c->tty = isatty(STDOUT_FILENO);
	if (c->json_file) {
		char err[ERRLEN];
		int fd = file_open_own(c->json_file, O_TRUNC, 0644, err);

		if (fd < 0 || !(jf = fdopen(fd, "w"))) {
			fprintf(stderr, "%s: %s\n", applet_name, fd < 0 ? err : strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}
	if (linktest_client_run(c) < 0)
		goto out;
	if (c->json && !c->json_file)
		linktest_print_json(c, stdout);
	else {
		linktest_print_table(c, stdout);
		if (jf)
			linktest_print_json(c, jf);
	}
	rc = c->failed ? EXIT_FAIL : EXIT_OK;
out:
	if (jf && fclose(jf) != 0 && rc == EXIT_OK) {
		fprintf(stderr, "%s: writing %s failed: %s\n", applet_name, c->json_file, strerror(errno));
		rc = EXIT_FAIL;
	}
	if (c->ctl >= 0)
		close(c->ctl);
	if (c->udp >= 0)
		close(c->udp);
	free(c);
	return rc;
}

int
linktest_main(int argc, char **argv)
{
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--server") == 0)
			return server_main(argc, argv);
	return client_main(argc, argv);
}
