/*
 * The sender: one thread and a bounded queue. The relay's main thread
 * posts (a mutex, a copy, a signal) and goes on; the thread waits for a
 * burst to settle, joins what came for the same targets into one message
 * per target and sends each with notify_send's deadline. Its own thread and
 * not the main loop: a send is a DNS lookup, a connect, a handshake and a
 * reply, each of which may take the whole deadline, and the main loop's
 * ledger, quota and health ticks must not wait for a chat server.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

#define RETRY_MAX 16
#define TRIES 3

struct item {
	char targets[STORE_NOTIFY_LEN];
	char text[NOTIFY_TEXT_MAX];   /* an event's line, or the whole report */
	char json[768];
};

struct retry {
	struct store_notify_target t;
	char *text, *json;
	int tries;
	int64_t due_ms;
};

/* The anchors of one configuration: a send in progress keeps the ones it started with. */
struct trust {
	int refs;
	struct tls_anchors a;
};

struct notify {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, cancel_fd, started;
	struct notify_conf conf;
	struct trust *trust;
	struct item q[NOTIFY_QUEUE];
	size_t head, n;
	struct retry r[RETRY_MAX];
	size_t nr;
	unsigned long long sent, failed, dropped;
	int64_t dropped_logged_ms;
};

static void
push(struct notify *n, const char *targets, const char *text, const char *json)
{
	struct item *it;

	pthread_mutex_lock(&n->mu);
	if (n->n == NOTIFY_QUEUE) {   /* the oldest goes */
		n->head = (n->head + 1) % NOTIFY_QUEUE;
		n->n--;
		n->dropped++;
		if (now_ms() - n->dropped_logged_ms > 60000) {
			n->dropped_logged_ms = now_ms();
			log_warn("notify: the queue is full (%d messages): the oldest dropped, %llu so far", NOTIFY_QUEUE,
			    n->dropped);
		}
	}
	it = &n->q[(n->head + n->n) % NOTIFY_QUEUE];
	snprintf(it->targets, sizeof(it->targets), "%s", targets);
	snprintf(it->text, sizeof(it->text), "%s", text);
	snprintf(it->json, sizeof(it->json), "%s", json);
	n->n++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void
notify_post(struct notify *n, const char *targets, const struct notify_event *e)
{
	char text[512], json[768], tg[STORE_NOTIFY_LEN];

	pthread_mutex_lock(&n->mu);
	if (!store_notify_wants(n->conf.events, e->event) || (!*targets && !*n->conf.targets)) {
		pthread_mutex_unlock(&n->mu);
		return;
	}
	snprintf(tg, sizeof(tg), "%s", *targets ? targets : n->conf.targets);
	notify_message(text, sizeof(text), n->conf.server, e, n->conf.lang);
	notify_event_json(json, sizeof(json), n->conf.server, e);
	pthread_mutex_unlock(&n->mu);
	push(n, tg, text, json);
}

void
notify_post_text(struct notify *n, const char *event, const char *text)
{
	char tg[STORE_NOTIFY_LEN];

	pthread_mutex_lock(&n->mu);
	if (!store_notify_wants(n->conf.events, event) || !*n->conf.targets) {
		pthread_mutex_unlock(&n->mu);
		return;
	}
	snprintf(tg, sizeof(tg), "%s", n->conf.targets);
	pthread_mutex_unlock(&n->mu);
	push(n, tg, text, "");
}

/* Under n->mu: drop a reference (the last frees). */
static void
trust_drop(struct trust *t)
{
	if (t && --t->refs == 0) {
		tls_anchors_free(&t->a);
		free(t);
	}
}

/* The settings and anchors in use now, for one round of sends. */
static struct trust *
snapshot(struct notify *n, struct notify_conf *c)
{
	struct trust *t;

	pthread_mutex_lock(&n->mu);
	*c = n->conf;
	if ((t = n->trust))
		t->refs++;
	pthread_mutex_unlock(&n->mu);
	return t;
}

static void
release(struct notify *n, struct trust *t)
{
	pthread_mutex_lock(&n->mu);
	trust_drop(t);
	pthread_mutex_unlock(&n->mu);
}

/* One try; a failure worth another goes to the retry list. */
static void
attempt(struct notify *n, const struct notify_conf *c, const struct trust *tr, const struct store_notify_target *t,
    const char *text, const char *json, int tries)
{
	struct notify_result res;
	char err[ERRLEN], name[160];
	const char *why = NULL;

	if (notify_send(c, tr ? &tr->a : NULL, t, text, json, n->cancel_fd, &res, err) == 0) {
		pthread_mutex_lock(&n->mu);
		n->sent++;
		pthread_mutex_unlock(&n->mu);
		log_info("notify: sent to %s", notify_target_name(t, name, sizeof(name)));
		return;
	}
	notify_target_name(t, name, sizeof(name));
	pthread_mutex_lock(&n->mu);
	if (res.retry && tries < TRIES && n->nr < RETRY_MAX && !n->stop) {
		struct retry *r = &n->r[n->nr];

		if ((r->text = strdup(text)) && (r->json = strdup(json))) {
			r->t = *t;
			r->tries = tries + 1;
			r->due_ms = now_ms() + (tries == 1 ? 2000 : 8000);
			n->nr++;
			pthread_mutex_unlock(&n->mu);
			log_warn("notify: %s: %s (try %d of %d; again in %d s)", name, err, tries, TRIES, tries == 1 ? 2 : 8);
			return;
		}
		free(r->text);
		why = " (out of memory to keep it)";
	}
	if (!why)
		why = !res.retry ? " (not tried again)" : tries >= TRIES ? " after the last try" :
		    n->stop ? " (the relay is stopping)" : " (too many waiting to be tried again)";
	n->failed++;
	pthread_mutex_unlock(&n->mu);
	log_warn("notify: %s: %s; given up%s", name, err, why);
}

/* One message of item `first` and the items after it that go to the same
 * targets, as many as fit: their texts a line each and their JSON objects
 * in one array; each item taken is marked (what did not fit goes in a
 * message of its own). */
static void
join(const struct item *v, size_t cnt, size_t first, char *taken, char *text, size_t tsize, char *json, size_t jsize)
{
	size_t i, tl = 0, jl = 1, l;

	text[0] = '\0';
	strcpy(json, "[");
	for (i = first; i < cnt; i++) {
		if (taken[i] || strcmp(v[i].targets, v[first].targets) != 0)
			continue;
		l = strlen(v[i].text);
		if (i != first && (tl + l + 2 > tsize || jl + strlen(v[i].json) + 3 > jsize))
			continue;
		taken[i] = 1;
		tl += (size_t)snprintf(text + tl, tsize - tl, "%s%s", tl ? "\n" : "", v[i].text);
		tl = tl < tsize ? tl : tsize - 1;
		if (*v[i].json && jl + strlen(v[i].json) + 3 <= jsize)
			jl += (size_t)snprintf(json + jl, jsize - jl, "%s%s", jl > 1 ? "," : "", v[i].json);
	}
	snprintf(json + jl, jsize - jl, "]");
}

static void
send_batch(struct notify *n, const struct notify_conf *c, const struct trust *tr, struct item *v, size_t cnt)
{
	static char text[NOTIFY_TEXT_MAX], json[8192];   /* the sender thread's alone */
	struct store_notify_target t[STORE_NOTIFY_MAX];
	char err[ERRLEN], taken[NOTIFY_QUEUE] = { 0 };
	size_t i, k, nt;

	for (i = 0; i < cnt; i++) {
		if (taken[i])
			continue;   /* it went with an earlier item */
		join(v, cnt, i, taken, text, sizeof(text), json, sizeof(json));
		if (store_notify_list(v[i].targets, t, STORE_NOTIFY_MAX, &nt, err) < 0) {
			log_warn("notify: %s", err);
			continue;
		}
		for (k = 0; k < nt; k++)
			attempt(n, c, tr, &t[k], text, json, 1);
	}
}

static void
run_retries(struct notify *n, const struct notify_conf *c, const struct trust *tr)
{
	struct retry r;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&n->mu);
		for (i = 0; i < n->nr && n->r[i].due_ms > now_ms(); i++)
			;
		if (i == n->nr || n->stop) {
			pthread_mutex_unlock(&n->mu);
			return;
		}
		r = n->r[i];
		n->r[i] = n->r[--n->nr];
		pthread_mutex_unlock(&n->mu);
		attempt(n, c, tr, &r.t, r.text, r.json, r.tries);
		free(r.text);
		free(r.json);
	}
}

static void
wait_until(struct notify *n, int64_t ms_from_now)
{
	struct timespec ts = clock_after_ms(CLOCK_REALTIME, ms_from_now);

	pthread_cond_timedwait(&n->cv, &n->mu, &ts);
}

static void *
sender(void *arg)
{
	struct notify *n = arg;
	static struct item batch[NOTIFY_QUEUE];
	struct notify_conf c;
	struct trust *tr;
	size_t cnt, i;

	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		int64_t next = 60000;

		for (i = 0; i < n->nr; i++)
			if (n->r[i].due_ms - now_ms() < next)
				next = n->r[i].due_ms - now_ms();
		if (!n->n && next > 0) {
			wait_until(n, next);
			if (!n->n) {
				pthread_mutex_unlock(&n->mu);
				tr = snapshot(n, &c);
				run_retries(n, &c, tr);
				release(n, tr);
				pthread_mutex_lock(&n->mu);
				continue;
			}
		}
		/* let the burst settle: what comes within the window goes along (each post signals) */
		for (int64_t until = now_ms() + NOTIFY_COALESCE_MS; !n->stop && now_ms() < until;)
			wait_until(n, until - now_ms());
		for (cnt = 0; n->n; cnt++) {
			batch[cnt] = n->q[n->head];
			n->head = (n->head + 1) % NOTIFY_QUEUE;
			n->n--;
		}
		pthread_mutex_unlock(&n->mu);
		tr = snapshot(n, &c);
		send_batch(n, &c, tr, batch, cnt);
		run_retries(n, &c, tr);
		release(n, tr);
		pthread_mutex_lock(&n->mu);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

struct notify *
notify_start(char *err)
{
	struct notify *n = calloc(1, sizeof(*n));
	int rc;

	if (!n) {
		snprintf(err, ERRLEN, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->conf.timeout_ms = 10000;
	if ((n->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		snprintf(err, ERRLEN, "eventfd: %s", strerror(errno));
		free(n);
		return NULL;
	}
	if ((rc = pthread_create(&n->th, NULL, sender, n)) != 0) {
		snprintf(err, ERRLEN, "cannot start the notification thread: %s", strerror(rc));
		close(n->cancel_fd);
		free(n);
		return NULL;
	}
	return n;
}

void
notify_configure(struct notify *n, const struct notify_conf *c, struct tls_anchors *anchors)
{
	struct trust *t = calloc(1, sizeof(*t));

	if (t) {
		t->refs = 1;
		t->a = *anchors;
	} else
		tls_anchors_free(anchors);   /* out of memory: sends say there is no anchor */
	memset(anchors, 0, sizeof(*anchors));
	pthread_mutex_lock(&n->mu);
	n->conf = *c;
	trust_drop(n->trust);
	n->trust = t;
	pthread_mutex_unlock(&n->mu);
}

void
notify_counts(struct notify *n, unsigned long long *sent, unsigned long long *failed, unsigned long long *dropped)
{
	pthread_mutex_lock(&n->mu);
	*sent = n->sent;
	*failed = n->failed;
	*dropped = n->dropped;
	pthread_mutex_unlock(&n->mu);
}

void
notify_stop(struct notify *n)
{
	uint64_t one = 1;
	size_t i;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (write(n->cancel_fd, &one, sizeof(one)) < 0) {
		/* the thread still sees stop after its send's deadline */
	}
	pthread_join(n->th, NULL);
	for (i = 0; i < n->nr; i++) {
		free(n->r[i].text);
		free(n->r[i].json);
	}
	trust_drop(n->trust);
	close(n->cancel_fd);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

int
notify_lang(const char *store_lang, const char *locale)
{
	if (strcmp(store_lang, "zh") == 0)
		return NOTIFY_ZH;
	if (strcmp(store_lang, "en") == 0)
		return NOTIFY_EN;
	return locale && strncmp(locale, "zh", 2) == 0 ? NOTIFY_ZH : NOTIFY_EN;
}

void
notify_conf_from(struct notify_conf *c, const struct store_global *g, int lang)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->targets, sizeof(c->targets), "%s", g->notify);
	snprintf(c->events, sizeof(c->events), "%s", g->notify_events);
	snprintf(c->telegram_api, sizeof(c->telegram_api), "%s", *g->telegram_api ? g->telegram_api :
	    "https://api.telegram.org");
	if (*g->server_name)
		snprintf(c->server, sizeof(c->server), "%s", g->server_name);
	else if (gethostname(c->server, sizeof(c->server) - 1) < 0 || !*c->server)
		strcpy(c->server, "xwpf");
	c->insecure_http = g->notify_insecure_http;
	c->timeout_ms = g->notify_timeout > 0 ? g->notify_timeout : 10000;
	c->lang = lang;
}
