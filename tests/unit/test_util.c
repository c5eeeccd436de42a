/* Small parsers everything leans on: numbers, durations, sizes, addresses, the pidfile. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "addr.h"
#include "log.h"
#include "paths.h"
#include "pidlock.h"
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
	paths_set_root(dir);
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
	paths_set_root(NULL);
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

/* file_write_atomic_err: never through a link, never over another's file, no temporary left */
static void
test_write_atomic(void)
{
	char dir[] = "/tmp/xwpf-unit-atomic.XXXXXX", path[128], link[128], other[128], err[ERRLEN], comm[64];
	char *text = NULL;
	struct stat st;
	int fd;

	if (!mkdtemp(dir)) {
		CHECK(0, "a temporary folder");
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	CHECK(file_write_atomic_err(path, "one\n", 4, 0600, err) == 0 && stat(path, &st) == 0 &&
	    (st.st_mode & 0777) == 0600 && st.st_uid == geteuid(), "written 0600, ours (%s)", err);
	CHECK(file_write_atomic_err(path, "two\n", 4, 0640, err) == 0 && (text = file_read(path, NULL)) &&
	    strcmp(text, "two\n") == 0 && stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "replaced, mode 0640");
	free(text);
	text = NULL;
	file_write_atomic_err(other, "keep\n", 5, 0644, err);
	symlink(other, link);
	CHECK(file_write_atomic_err(link, "evil\n", 5, 0600, err) < 0 && strstr(err, "symbolic link") &&
	    (text = file_read(other, NULL)) && strcmp(text, "keep\n") == 0, "a link is refused, its target kept: %s", err);
	free(text);
	CHECK(file_write_atomic_err(dir, "x", 1, 0600, err) < 0, "a folder is refused: %s", err);
	if (geteuid() == 0 && chown(other, 65534, 65534) == 0)
		CHECK(file_write_atomic_err(other, "x", 1, 0600, err) < 0 && strstr(err, "uid 65534"),
		    "another user's file is refused: %s", err);
	CHECK((fd = file_open_own(link, O_TRUNC, 0600, err)) < 0 && strstr(err, "symbolic link"),
	    "file_open_own refuses a link too");
	if (fd >= 0)
		close(fd);
	unlink(link);
	unlink(other);
	CHECK(proc_comm(getpid(), comm, sizeof(comm)) && strcmp(comm, "?") != 0, "our own name: %s", comm);
	CHECK(strcmp(proc_comm(0, comm, sizeof(comm)), "?") == 0, "no process 0: \"?\"");
	file_tmp_cleanup(path);
	unlink(path);
	CHECK(rmdir(dir) == 0, "nothing else was left in the folder");
}

/* FNV-1a: the published test vectors, and a hash taken in parts */
static void
test_fnv(void)
{
	CHECK(fnv1a32(FNV1A32_INIT, "", 0) == 0x811c9dc5u && fnv1a32(FNV1A32_INIT, "a", 1) == 0xe40c292cu &&
	    fnv1a32(FNV1A32_INIT, "foobar", 6) == 0xbf9cf968u, "FNV-1a 32");
	CHECK(fnv1a64(FNV1A64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL &&
	    fnv1a64(FNV1A64_INIT, "foobar", 6) == 0x85944171f73967e8ULL, "FNV-1a 64");
	CHECK(fnv1a32(fnv1a32(FNV1A32_INIT, "foo", 3), "bar", 3) == 0xbf9cf968u &&
	    fnv1a64(fnv1a64(FNV1A64_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL, "in parts, the same");
}

/* A log gate: per_sec lines a second, its own count per gate, a new second anew */
static void
test_log_gate(void)
{
	struct log_gate a = { 0, 0 }, b = { 0, 0 };
	int i, n = 0;

	for (i = 0; i < 20; i++)
		n += log_gate_ok(&a, 5000 + i, 5);
	CHECK(n == 5, "5 lines a second pass, the other 15 in that second do not (%d passed)", n);
	CHECK(log_gate_ok(&b, 5010, 5), "another gate keeps its own count");
	CHECK(!log_gate_ok(&a, 5999, 5) && log_gate_ok(&a, 6000, 5), "the next second opens the gate again");
}

/* clock_after_ms: between the clock before plus ms and after plus ms, nanoseconds under a second */
static void
test_clock_after(void)
{
	static const int64_t ms[] = { 0, 1, 999, 1000, 1500, 86400001 };
	size_t i;
	int good = 1;

	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		struct timespec a, b, t;
		int64_t ta, tb, tt;

		clock_gettime(CLOCK_MONOTONIC, &a);
		t = clock_after_ms(CLOCK_MONOTONIC, ms[i]);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ta = a.tv_sec * 1000000000LL + a.tv_nsec;
		tb = b.tv_sec * 1000000000LL + b.tv_nsec;
		tt = t.tv_sec * 1000000000LL + t.tv_nsec;
		if (t.tv_nsec < 0 || t.tv_nsec >= 1000000000 || tt < ta + ms[i] * 1000000 || tt > tb + ms[i] * 1000000)
			good = 0;
	}
	CHECK(good, "clock_after_ms: the clock's time plus ms, normalized");
}

int
main(void)
{
	test_fnv();
	test_clock_after();
	test_log_gate();
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
	{   /* numeric shorthands the resolver would turn into an address are refused */
		static const char *const bad[] = { "2:80", "10.0.0:80", "017.0.0.1:80", "0x7f000001:80", "0x10:80",
			"0xa.1:80", "0X7F.1:80" };
		static const char *const good[] = { "1.2.3.4:80", "a0x10.example:80", "0xabc.example.com:80", "1e1:80" };

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			CHECK(hostport_parse(bad[i], 0, &hp, err) == -1 && strstr(err, "is not a whole IPv4 address"),
			    "'%s' is refused as a numeric shorthand (%s)", bad[i], err);
		for (size_t i = 0; i < ARRAY_SIZE(good); i++)
			CHECK(hostport_parse(good[i], 0, &hp, err) == 0, "'%s' is an address or a name (%s)", good[i], err);
	}
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
	test_write_atomic();
	return T_DONE();
}
