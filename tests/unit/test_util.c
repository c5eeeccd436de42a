/* Small parsers everything leans on: numbers, durations, sizes, addresses, the pidfile. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "addr.h"
#include "paths.h"
#include "util.h"

/* path_relay_pid_read and path_relay_pid on a pidfile holding text (NULL: none) */
static int
pidfile(const char *text, long *pid)
{
	unlink(path_get(PATH_PIDFILE));
	if (text && file_write_atomic(path_get(PATH_PIDFILE), text, strlen(text), 0644) < 0)
		return -2;
	errno = 0;
	return path_relay_pid_read(pid);
}

static void
test_pidfile(void)
{
	char dir[] = "/tmp/xwpf-unit-pid.XXXXXX", sub[64];
	long pid = -1;

	if (!mkdtemp(dir)) {
		CHECK(0, "a temporary root for the pidfile");
		return;
	}
	setenv("XWPF_ROOT", dir, 1);
	paths_reset();
	snprintf(sub, sizeof(sub), "%s/run", dir);
	mkdir(sub, 0755);
	mkdir(path_get(PATH_RUN_DIR), 0755);
	CHECK(pidfile(NULL, &pid) == 0 && pid == 0 && path_relay_pid() == 0, "no pidfile: pid 0, no error");
	CHECK(pidfile("1234\n", &pid) == 0 && pid == 1234 && path_relay_pid() == 1234, "pidfile with a pid");
	CHECK(pidfile("abc\n", &pid) == -1 && errno == EINVAL && pid == 0 && path_relay_pid() == 0,
	    "pidfile without a number: -1 EINVAL, and path_relay_pid 0");
	CHECK(pidfile("1", &pid) == -1 && pidfile("4194305", &pid) == -1 && pidfile("4194304", &pid) == 0,
	    "pids outside 2..4194304 are no pids");
	unlink(path_get(PATH_PIDFILE));
	rmdir(path_get(PATH_RUN_DIR));
	rmdir(sub);
	rmdir(dir);
	unsetenv("XWPF_ROOT");
	paths_reset();
}

static void
test_file_line(void)
{
	char path[] = "/tmp/xwpf-unit-line.XXXXXX", buf[16];
	int fd = mkstemp(path);

	if (fd < 0) {
		CHECK(0, "a temporary file for file_line");
		return;
	}
	close(fd);
	CHECK(file_write_atomic(path, " reno bbr\tcubic \nsecond\n", 25, 0600) == 0, "write a sysctl-like file");
	CHECK(file_line(path, buf, sizeof(buf)) == 0, "file_line reads it");
	CHECK_STR(buf, "reno bbr\tcubic", "first line, trimmed");
	CHECK(file_line(path, buf, 8) == -1 && buf[0] == 0, "a line that does not fit: -1 and \"\", never cut");
	unlink(path);
	CHECK(file_line(path, buf, sizeof(buf)) == -1 && buf[0] == 0, "a missing file: -1 and \"\"");
}

int
main(void)
{
	long l;
	uint64_t u;
	struct hostport hp;
	char err[ERRLEN], buf[300];
	int b;

	CHECK(parse_duration_ms("5", &l) == 0 && l == 5000, "bare duration is seconds");
	CHECK(parse_duration_ms("500ms", &l) == 0 && l == 500, "ms");
	CHECK(parse_duration_ms("2m", &l) == 0 && l == 120000, "minutes");
	CHECK(parse_duration_ms("-1", &l) == -1 && parse_duration_ms("5 s", &l) == -1, "junk refused");
	CHECK(parse_size("10M", &u) == 0 && u == 10u << 20, "10M");
	CHECK(parse_size("512KiB", &u) == 0 && u == 512u << 10, "512KiB");
	CHECK(parse_size("1Q", &u) == -1, "bad unit");
	CHECK(parse_long("12", 1, 100, &l) == 0 && parse_long("12x", 1, 100, &l) == -1 &&
	    parse_long("101", 1, 100, &l) == -1 && parse_long(" 1", 1, 100, &l) == -1, "whole-string numbers");
	CHECK(parse_bool("Yes", &b) == 0 && b == 1 && parse_bool("off", &b) == 0 && b == 0 &&
	    parse_bool("2", &b) == -1, "booleans");

	CHECK(hostport_parse("[::1]:80", 0, &hp, err) == 0 && strcmp(hp.host, "::1") == 0 && hp.port == 80,
	    "[v6]:port");
	CHECK(hostport_parse("1.2.3.4:10-20", HP_RANGE, &hp, err) == 0 && hp.port == 10 && hp.port_end == 20,
	    "range");
	CHECK(hostport_parse("1.2.3.4:20-10", HP_RANGE, &hp, err) == -1 && strstr(err, "backwards"),
	    "backwards range explained");
	CHECK(hostport_parse("1.2.3.4:10-20", 0, &hp, err) == -1, "range where not allowed");
	CHECK(hostport_parse("8080", HP_HOST_OPTIONAL, &hp, err) == 0 && hp.host[0] == 0, "bare port");
	CHECK(hostport_parse("127.0.0.1", HP_HOST_OPTIONAL | HP_NUMERIC, &hp, err) == -1 &&
	    strstr(err, "has no port: write 127.0.0.1:PORT (or only PORT"), "a listen IP without its port says so");
	CHECK(hostport_parse("exit.example.com", 0, &hp, err) == -1 && strstr(err, "has no port: write exit.example.com:PORT"),
	    "a remote name without its port says so");
	CHECK(hostport_parse("exit.example.com", HP_HOST_OPTIONAL | HP_NUMERIC, &hp, err) == -1 &&
	    strstr(err, "not an IP address and has no port"), "a listen name: neither IP nor port");
	CHECK(hostport_parse("8080", 0, &hp, err) == -1 && strstr(err, "HOST:PORT"), "bare port needs host");
	CHECK(hostport_parse("bad_host!:1", 0, &hp, err) == -1, "invalid host name");
	CHECK(hostport_parse("a.b-c.example:443", 0, &hp, err) == 0, "host name");
	hostport_parse("[2001:db8::1]:1-2", HP_RANGE, &hp, err);
	CHECK_STR(hostport_format(&hp, buf, sizeof(buf)), "[2001:db8::1]:1-2", "format brackets IPv6");
	hostport_parse(":443", HP_HOST_OPTIONAL, &hp, err);
	CHECK_STR(hostport_format(&hp, buf, sizeof(buf)), "[::]:443", "empty host formats as [::]");
	CHECK(ifname_valid("eth0") && !ifname_valid("a/b") && !ifname_valid("0123456789abcdef"),
	    "interface names");
	CHECK(addr_family_of("::ffff:1.2.3.4") == 6 && addr_family_of("1.2.3.4") == 4 &&
	    addr_family_of("x") == 0, "address families");
	test_pidfile();
	test_file_line();
	return T_DONE();
}
