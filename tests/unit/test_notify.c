/* Notification targets as the store reads them, the messages and the
 * webhook's JSON (lib/store/store_notify.c, lib/notify/notify_msg.c); the
 * sender's bursts and long texts against a local HTTP server (notify.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "json.h"
#include "notify.h"
#include "store.h"
#include "t.h"
#include "util.h"

static void
targets(void)
{
	struct store_notify_target t[STORE_NOTIFY_MAX];
	char err[ERRLEN], name[160];
	size_t n = 0;

	CHECK(store_notify_list("telegram:123456:AA-b_c@-1001234, wecom:https://q.example/cgi?key=k,"
	    "webhook:https://h.example:8443/x", t, STORE_NOTIFY_MAX, &n, err) == 0 && n == 3, "three targets parse");
	CHECK_STR(t[0].token, "123456:AA-b_c", "telegram token");
	CHECK_STR(t[0].chat, "-1001234", "telegram chat id");
	CHECK(t[1].kind == NOTIFY_WECOM && t[2].kind == NOTIFY_WEBHOOK, "kinds");
	CHECK_STR(notify_target_name(&t[0], name, sizeof(name)), "telegram:123456:***@-1001234", "the token hidden");
	CHECK_STR(notify_target_name(&t[1], name, sizeof(name)), "wecom:https://q.example/...", "the URL's key hidden");
	CHECK(store_notify_parse("telegram:123456:abc@@my_channel", &t[0], err) == 0, "a channel's @name");
	CHECK(store_notify_parse("telegram:abc@1", &t[0], err) < 0 && strstr(err, "BotFather"), "a token not digits: %s", err);
	CHECK(store_notify_parse("telegram:1:a", &t[0], err) < 0 && strstr(err, "@CHAT_ID"), "no chat: %s", err);
	CHECK(store_notify_parse("telegram:1:a@12x", &t[0], err) < 0 && strstr(err, "chat id"), "a bad chat: %s", err);
	CHECK(store_notify_parse("wecom:ftp://x", &t[0], err) < 0 && strstr(err, "https://"), "not https: %s", err);
	CHECK(store_notify_parse("webhook:https://a b", &t[0], err) < 0, "a space in the URL");
	CHECK(store_notify_parse("slack:https://x", &t[0], err) < 0 && strstr(err, "telegram:BOT_TOKEN@CHAT_ID"),
	    "an unknown kind says what to write: %s", err);
	CHECK(store_notify_list_check("webhook:http://127.0.0.1/x", 0, err) < 0 && strstr(err, "notify_insecure_http"),
	    "plain http refused: %s", err);
	CHECK(store_notify_list_check("webhook:http://127.0.0.1/x", 1, err) == 0, "plain http allowed when asked");
	CHECK(store_notify_list("off", t, STORE_NOTIFY_MAX, &n, err) == 0 && n == 0, "off: no target");
	{
		const char *const *ev = store_notify_events(), *missing = NULL;

		for (; *ev; ev++)
			if (!strstr(notify_usage, *ev))
				missing = *ev;
		CHECK(!missing, "xwpf notify --help names every event notify_events takes (missing: %s)",
		    missing ? missing : "none");
	}
	CHECK(store_notify_wants("", "quota_80") && store_notify_wants("all", "limit") &&
	    store_notify_wants("quota_80, quota_100", "quota_100") && !store_notify_wants("quota_80", "quota_8") &&
	    !store_notify_wants("quota_100", "quota_80"), "notify_events picks events by whole name");
}

static void
messages(void)
{
	struct notify_event e = { "HK-web", "quota_80", "", "used=429604249190 quota=536870912000 billing=both", 1 };
	char buf[512], json[768];

	CHECK_STR(notify_message(buf, sizeof(buf), "HK-1", &e, NOTIFY_EN),
	    "HK-1: HK-web: 80% of 500.0 GiB used (400.1 GiB), resets on the 1st", "quota_80 in English");
	CHECK_STR(notify_message(buf, sizeof(buf), "HK-1", &e, NOTIFY_ZH),
	    "HK-1: 规则 HK-web: 已用 80% (400.1 GiB / 500.0 GiB), 每月 1 日重置", "quota_80 in Chinese");
	e.event = "quota_100";
	e.reset_day = 23;
	CHECK(strstr(notify_message(buf, sizeof(buf), "HK-1", &e, NOTIFY_EN), "100% of") &&
	    strstr(buf, "resets on the 23rd"), "quota_100 and the 23rd: %s", buf);
	e.event = "backend_down";
	e.backend = "10.0.0.2:443\x1b[2J";
	CHECK_STR(notify_message(buf, sizeof(buf), "HK-1", &e, NOTIFY_EN),
	    "HK-1: HK-web: backend 10.0.0.2:443\\x1b[2J is down", "a backend with a control character, escaped");
	e.event = "something_new";
	e.backend = "";
	e.detail = "x=1";
	CHECK_STR(notify_message(buf, sizeof(buf), "HK-1", &e, NOTIFY_EN), "HK-1: HK-web: something_new: x=1",
	    "an event without its own text");
	e.event = "quota_80";
	e.detail = "used=5 quota=10";
	notify_event_json(json, sizeof(json), "HK \"1\"", &e);
	CHECK(strstr(json, "\"server\":\"HK \\\"1\\\"\"") && strstr(json, "\"event\":\"quota_80\"") &&
	    strstr(json, "\"rule\":\"HK-web\"") && strstr(json, "\"used\":5") && strstr(json, "\"quota\":10") &&
	    strstr(json, "\"reset_day\":23"), "the webhook's JSON: %s", json);
	CHECK(notify_detail_num("used=7 quota=9", "quota") == 9 && notify_detail_num("used=7", "quota") == 0,
	    "figures from the detail text");
}

static void
expiry(void)
{
	char err[ERRLEN];
	int64_t t;

	setenv("TZ", "UTC", 1);
	CHECK(store_parse_date_end("2027-01-31", &t, err) == 0 && t == 1801440000, "the end of 2027-01-31 UTC");
	CHECK(store_parse_date_end("2028-02-29", &t, err) == 0, "a leap day");
	CHECK(store_parse_date_end("2027-02-29", &t, err) < 0 && strstr(err, "not a day"), "no 29th in 2027: %s", err);
	CHECK(store_parse_date_end("2027-1-31", &t, err) < 0 && strstr(err, "YYYY-MM-DD"), "the form: %s", err);
	CHECK(store_parse_date_end("2027-01-31x", &t, err) < 0, "nothing after the date");
}

static void
report(void)
{
	struct notify_report_sum f = { .rules = 12, .open = 3, .up_hours = 5, .sent = 2, .failed = 1 };
	char buf[512];

	CHECK_STR(notify_report_rule(buf, sizeof(buf), "web", 429604249190ULL, 536870912000ULL, "", NOTIFY_EN),
	    "web: 400.1 GiB of 500.0 GiB (80%)", "a report's line with a quota");
	CHECK_STR(notify_report_rule(buf, sizeof(buf), "web", 1 << 20, 1 << 20, "stopped", NOTIFY_ZH),
	    "web: 已用 1.0 MiB / 1.0 MiB (100%), 已停止", "... in Chinese, stopped");
	CHECK_STR(notify_report_rule(buf, sizeof(buf), "trial", 0, 0, "expired", NOTIFY_EN), "trial: 0 B this cycle, expired",
	    "no quota, expired");
	CHECK_STR(notify_report_tail(buf, sizeof(buf), &f, NOTIFY_EN),
	    "12 rules, 3 connections open, up 5 h; notifications: 2 sent, 1 given up, 0 dropped", "the relay's figures");
	f.more = 2;
	f.down = 1;
	CHECK_STR(notify_report_tail(buf, sizeof(buf), &f, NOTIFY_ZH),
	    "另有 2 条规则未列出\n共 12 条规则, 3 个连接, 1 个后端不可用, 已运行 5 小时; 通知: 已发送 2, 放弃 1, 丢弃 0",
	    "... in Chinese, with the rules left out and a backend down");
	CHECK(strstr(notify_report_tail(buf, sizeof(buf), &f, NOTIFY_EN), "3 connections open, 1 backend down, up 5 h"),
	    "a backend down, in English: %s", buf);
	CHECK_STR(notify_report_head(buf, sizeof(buf), "HK-1", NOTIFY_ZH), "HK-1 用量报告:", "the report's first line");
}

/* ---- the sender against a plain HTTP server on loopback ---- */

#define SINK_MAX 8

static struct {
	pthread_mutex_t mu;
	int fd, stop, n, hang;
	char text[SINK_MAX][4096];   /* each request's "text" */
} sink = { PTHREAD_MUTEX_INITIALIZER, -1, 0, 0, 0, { "" } };

/* One request: read it whole (headers and Content-Length), keep its text,
 * answer 200 (with hang set: once hang is cleared or the test ends). */
static void
sink_one(int c)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
	struct timeval tv = { 5, 0 };
	char req[16384], err[ERRLEN], *body = NULL, *h;
	size_t len = 0;
	ssize_t r;
	struct json_val *v;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < sizeof(req) - 1 && (r = recv(c, req + len, sizeof(req) - 1 - len, 0)) > 0) {
		len += (size_t)r;
		req[len] = '\0';
		if ((body = strstr(req, "\r\n\r\n")) && (h = strcasestr(req, "content-length:")) &&
		    len - (size_t)(body + 4 - req) >= strtoul(h + 15, NULL, 10))
			break;
		body = NULL;
	}
	if (!body)
		return;
	pthread_mutex_lock(&sink.mu);
	if (sink.n < SINK_MAX && (v = json_parse(body + 4, strlen(body + 4), err))) {
		snprintf(sink.text[sink.n++], sizeof(sink.text[0]), "%s", json_get_str(v, "text") ? json_get_str(v, "text") : "");
		json_free(v);
	}
	pthread_mutex_unlock(&sink.mu);
	while (__atomic_load_n(&sink.hang, __ATOMIC_RELAXED) && !__atomic_load_n(&sink.stop, __ATOMIC_RELAXED))
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	if (send(c, ok, sizeof(ok) - 1, MSG_NOSIGNAL) < 0)
		return;
}

static void *
sink_run(void *arg)
{
	struct pollfd p = { sink.fd, POLLIN, 0 };
	int c;

	while (!__atomic_load_n(&sink.stop, __ATOMIC_RELAXED))
		if (poll(&p, 1, 100) > 0 && (c = accept(sink.fd, NULL, NULL)) >= 0) {
			sink_one(c);
			close(c);
		}
	return arg;
}

static int
sink_count(void)
{
	int n;

	pthread_mutex_lock(&sink.mu);
	n = sink.n;
	pthread_mutex_unlock(&sink.mu);
	return n;
}

/* Wait (5 s at most) for want requests, then 600 ms more for any beyond: how many came. */
static int
sink_wait(int want)
{
	struct timespec ms10 = { 0, 10000000 }, ms600 = { 0, 600000000 };
	int i;

	for (i = 0; i < 500 && sink_count() < want; i++)
		nanosleep(&ms10, NULL);
	nanosleep(&ms600, NULL);
	return sink_count();
}

static void
sender(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct notify_conf c = { .insecure_http = 1, .timeout_ms = 3000, .lang = NOTIFY_EN };
	struct tls_anchors none = { 0 };
	struct notify_event e = { "q", "quota_80", "", "used=900 quota=1000", 1 };
	struct timespec ms60 = { 0, 60000000 };
	struct notify *n;
	pthread_t th;
	char err[ERRLEN], big[NOTIFY_TEXT_MAX];
	unsigned long long sent, failed, dropped;
	int i;

	if ((sink.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(sink.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(sink.fd, 8) < 0 || getsockname(sink.fd, (struct sockaddr *)&sa, &sl) < 0 ||
	    pthread_create(&th, NULL, sink_run, NULL) != 0) {
		CHECK(0, "a local HTTP server");
		return;
	}
	snprintf(c.targets, sizeof(c.targets), "webhook:http://127.0.0.1:%u/hook", ntohs(sa.sin_port));
	strcpy(c.server, "HK-1");
	CHECK((n = notify_start(err)) != NULL, "the sender starts: %s", n ? "" : err);
	if (!n)
		goto out;
	notify_configure(n, &c, &none);

	/* three events 60 ms apart: inside one window, one message */
	notify_post(n, "", &e);
	nanosleep(&ms60, NULL);
	e.event = "quota_95";
	notify_post(n, "", &e);
	nanosleep(&ms60, NULL);
	e.event = "quota_100";
	notify_post(n, "", &e);
	CHECK(sink_wait(1) == 1 && strstr(sink.text[0], "80%") && strstr(sink.text[0], "95%") &&
	    strstr(sink.text[0], "100%"), "events posted within the window go as one message (%d: '%s')", sink.n,
	    sink.text[0]);

	/* a report longer than an event's line arrives whole */
	sink.n = 0;
	memset(big, 'x', 2500);
	strcpy(big + 2500, " END");
	notify_post_text(n, "report", big);
	CHECK(sink_wait(1) == 1 && strlen(sink.text[0]) == 2504 && strstr(sink.text[0], " END"),
	    "a 2.5 KB report is sent whole (%zu bytes)", strlen(sink.text[0]));

	/* a text that leaves no room for the event beside it: the event goes in a message of its own */
	sink.n = 0;
	memset(big, 'y', sizeof(big) - 10);
	big[sizeof(big) - 10] = '\0';
	notify_post_text(n, "report", big);
	e.event = "quota_stop";
	notify_post(n, "", &e);
	CHECK(sink_wait(2) == 2 && strstr(sink.text[1], "forwarding stopped") && !strstr(sink.text[1], "yyy"),
	    "what does not fit beside a long text is sent on its own, not dropped (%d: '%.60s')", sink.n, sink.text[1]);

	/* the queue is bounded: while a send waits for its server, what does not fit drops the oldest, counted */
	sink.n = 0;
	__atomic_store_n(&sink.hang, 1, __ATOMIC_RELAXED);
	notify_post(n, "", &e);
	sink_wait(1);
	for (i = 0; i < NOTIFY_QUEUE + 8; i++)
		notify_post(n, "", &e);
	notify_counts(n, &sent, &failed, &dropped);
	CHECK(dropped == 8, "a full queue drops the oldest and counts them (%llu of %d posted while one send waits)",
	    dropped, NOTIFY_QUEUE + 8);
	__atomic_store_n(&sink.hang, 0, __ATOMIC_RELAXED);
	notify_stop(n);
out:
	__atomic_store_n(&sink.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	close(sink.fd);
}

/* What the sender reads from a server and from an address, alone: each
 * reply in a buffer of its own exact size, so a read past its end is seen
 * (under ASan). */
static int
says(const char *body, const char *key, const char *value)
{
	char *b = strdup(body);
	int r = b ? notify_reply_says(b, key, value) : -1;

	free(b);
	return r;
}

static void
replies(void)
{
	struct notify_result res;
	struct notify_url u;
	char err[ERRLEN];
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";

	CHECK(says("{\"ok\": true}", "ok", "true") == 1, "\"ok\": true");
	CHECK(says("{\"errcode\":0,\"errmsg\":\"ok\"}", "errcode", "0") == 1, "WeCom's errcode 0");
	CHECK(says("{\"errcode\":93000}", "errcode", "0") == 0, "errcode 93000 is not 0");
	CHECK(says("{\"ok\"", "ok", "true") == 0, "a key at the very end: no value, nothing read past the end");
	CHECK(says("\"ok\"", "ok", "true") == 0 && says("\"ok", "ok", "true") == 0 && says("\"", "ok", "true") == 0,
	    "cut keys");
	CHECK(notify_reply_whole(ok, strlen(ok)) && !notify_reply_whole(ok, strlen(ok) - 1), "whole at its Content-Length");
	CHECK(!notify_reply_whole("HTTP/1.1 200 OK\r\n\r\nabc", 22), "no length: read to the end");
	memset(&res, 0, sizeof(res));
	CHECK(notify_reply_read(ok, strlen(ok), &res, err) == 0 && res.status == 200 && !res.retry &&
	    strcmp(res.reply, "{\"ok\":true}") == 0, "status and body");
	CHECK(notify_reply_read("HTTP/1.1 503 busy\r\n\r\n\x1b[2J", 25, &res, err) == 0 && res.retry &&
	    strcmp(res.reply, "\\x1b[2J") == 0, "a 5xx is tried again; a control byte in the body escaped: %s", res.reply);
	CHECK(notify_reply_read("HTTP/1.1 -12 odd\r\n\r\n", 21, &res, err) < 0 && res.status == 0 &&
	    strstr(err, "not HTTP"), "a negative status is not HTTP");
	CHECK(notify_reply_read("SSH-2.0-x\r\n", 11, &res, err) < 0, "not HTTP");
	CHECK(notify_url_split("https://[::1]:8443/hook?x=1", &u, err) == 0 && u.tls && strcmp(u.host, "::1") == 0 &&
	    strcmp(u.port, "8443") == 0 && strcmp(u.path, "/hook?x=1") == 0, "an IPv6 address with a port");
	CHECK(notify_url_split("http://h.example", &u, err) == 0 && !u.tls && strcmp(u.port, "80") == 0 && !*u.path,
	    "the default port");
	CHECK(notify_url_split("https://h:99x/", &u, err) < 0 && strstr(err, "port"), "a port not a number: %s", err);
	CHECK(notify_url_split("https://[::1/", &u, err) < 0 && strstr(err, "']'"), "no ']': %s", err);
	CHECK(notify_url_split("ftp://h/", &u, err) < 0, "not http(s)");
}

int
main(void)
{
	targets();
	replies();
	messages();
	expiry();
	report();
	sender();
	return T_DONE();
}
