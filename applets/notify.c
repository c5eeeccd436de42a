/*
 * xwpf notify: the notification targets of the store, and a test message
 * to them (or to one given on the command line) with the HTTP status and
 * the reply each gave (docs/notify.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "notify.h"
#include "paths.h"
#include "store.h"
#include "text.h"
#include "tlsfiles.h"
#include "util.h"

const char notify_usage[] =
    "usage: xwpf notify [list]             the targets of [global] notify and of each rule\n"
    "       xwpf notify --test [TARGET]    send a test message to TARGET, else to every target of\n"
    "                                      [global] notify; print each one's HTTP status and reply\n"
    "\n"
    "TARGET: telegram:BOT_TOKEN@CHAT_ID, wecom:https://... (a group robot's webhook address) or\n"
    "webhook:https://... (a JSON POST). The [global] keys notify_ca, telegram_api, server_name,\n"
    "notify_timeout and notify_insecure_http apply to the test as to the relay's messages.\n"
    "See docs/notify.md (Telegram: a bot from BotFather, the chat id, one command to test).\n"
    "\n"
    "Events ([global] notify_events = all, or some of these, comma-separated): quota_80, quota_95,\n"
    "quota_100, quota_stop, quota_throttle, quota_resume, backend_down, backend_up, failover, limit,\n"
    "bind_failed, cert_expiry, expire_soon, expired, report.\n"
    "\n"
    "Exit codes: 0 every target took the message, 1 a target did not, 2 usage, 3 the store is invalid.\n";

static int
load(struct store *st)
{
	struct store_diags d = { 0 };
	char buf[400];
	size_t i;
	int rc = store_load(path_get(PATH_CONF), st, &d);

	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", store_diag_format(&d, i, buf, sizeof(buf)));
	store_diags_free(&d);
	return rc;
}

static int
test_one(const struct notify_conf *c, const struct tls_anchors *a, const struct store_notify_target *t)
{
	struct notify_result res;
	struct notify_event e = { "", "test", "", "", 0 };
	char text[512], json[770], err[ERRLEN], name[160];
	int rc;

	notify_message(text, sizeof(text), c->server, &e, c->lang);
	json[0] = '[';
	notify_event_json(json + 1, sizeof(json) - 2, c->server, &e);
	strcat(json, "]");
	printf("%s", notify_target_name(t, name, sizeof(name)));
	fflush(stdout);
	rc = notify_send(c, a, t, text, json, -1, &res, err);
	if (res.status)
		printf(": HTTP %d: %s\n", res.status, res.reply);
	else
		printf(": no reply\n");
	if (rc < 0)
		fprintf(stderr, "%s: %s: %s\n", applet_name, name, err);
	return rc;
}

static int
cmd_test(const char *target)
{
	struct store st = { 0 };
	struct notify_conf c;
	struct store_notify_target t[STORE_NOTIFY_MAX];
	struct tls_anchors a = { 0 };
	char err[ERRLEN], ca[4096];
	size_t n, i;
	int fails = 0;

	if (load(&st) < 0) {
		store_free(&st);
		return EXIT_CONFIG;
	}
	notify_conf_from(&c, &st.g, notify_lang(st.g.lang, getenv("LC_ALL") && *getenv("LC_ALL") ? getenv("LC_ALL") :
	    getenv("LANG")));
	snprintf(ca, sizeof(ca), "%s", st.g.notify_ca);
	store_free(&st);
	if (store_notify_list_check(target ? target : c.targets, c.insecure_http, err) < 0 ||
	    store_notify_list(target ? target : c.targets, t, STORE_NOTIFY_MAX, &n, err) < 0) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return EXIT_USAGE;
	}
	if (!n) {
		fprintf(stderr, "%s: no target: give one (telegram:TOKEN@CHAT, wecom:URL, webhook:URL) or set "
		    "[global] notify (%s)\n", applet_name, XCMD("config set notify=..."));
		return EXIT_USAGE;
	}
	if (tlsf_anchors_load(&a, *ca ? ca : tlsf_system_store(ca, sizeof(ca)), err) < 0)
		fprintf(stderr, "%s: %s\n", applet_name, err);   /* each https target then says why it fails */
	for (i = 0; i < n; i++)
		fails += test_one(&c, &a, &t[i]) < 0;
	tls_anchors_free(&a);
	return fails ? EXIT_FAIL : EXIT_OK;
}

static void
list_targets(const char *who, const char *list)
{
	struct store_notify_target t[STORE_NOTIFY_MAX];
	char err[ERRLEN], name[160];
	size_t n, i;

	if (store_notify_list(list, t, STORE_NOTIFY_MAX, &n, err) < 0)
		return;
	for (i = 0; i < n; i++)
		printf("%-20s %s\n", who, notify_target_name(&t[i], name, sizeof(name)));
}

static int
cmd_list(void)
{
	struct store st = { 0 };
	size_t i;

	if (load(&st) < 0) {
		store_free(&st);
		return EXIT_CONFIG;
	}
	if (!*st.g.notify)
		printf("no [global] notify target%s\n", st.nrules ? "" : " and no rule");
	list_targets("[global]", st.g.notify);
	for (i = 0; i < st.nrules; i++) {
		char who[64];

		snprintf(who, sizeof(who), "rule %s", st.rules[i].name);
		list_targets(who, st.rules[i].notify);
	}
	printf("events: %s\n", *st.g.notify_events ? st.g.notify_events : "all");
	store_free(&st);
	return EXIT_OK;
}

int
notify_main(int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0))
		return cmd_list();
	if (strcmp(argv[1], "--test") == 0 && argc <= 3)
		return cmd_test(argc == 3 ? argv[2] : NULL);
	fputs(notify_usage, stderr);
	return EXIT_USAGE;
}
