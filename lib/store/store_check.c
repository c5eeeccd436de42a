/*
 * The store's checks once every key is read: each rule on its own (listen,
 * remotes and weights, settings that need another), rule names defined
 * twice, listeners that would collide, then the forwarding loops
 * (store_loop.c).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "transport.h"
#include "util.h"

static int
cmp_rule_name(const void *a, const void *b)
{
	const struct store_rule *x = *(struct store_rule *const *)a, *y = *(struct store_rule *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->line - y->line;
}

static int
cmp_rule_port(const void *a, const void *b)
{
	const struct store_rule *x = *(struct store_rule *const *)a, *y = *(struct store_rule *const *)b;

	if (x->listen.port != y->listen.port)
		return x->listen.port < y->listen.port ? -1 : 1;
	return x->line - y->line;
}


/* Could two listeners on these addresses collide in the kernel? */
static int
addrs_overlap(const struct store_rule *a, const struct store_rule *b)
{
	const char *x = a->listen.host, *y = b->listen.host;
	int fx = addr_family_of(x), fy = addr_family_of(y);
	int any_x = !*x || strcmp(x, "::") == 0 || strcmp(x, "0.0.0.0") == 0;
	int any_y = !*y || strcmp(y, "::") == 0 || strcmp(y, "0.0.0.0") == 0;
	int dual_x = (!*x || strcmp(x, "::") == 0) && !a->ipv6_only;
	int dual_y = (!*y || strcmp(y, "::") == 0) && !b->ipv6_only;

	if (*a->listen_interface && *b->listen_interface &&
	    strcmp(a->listen_interface, b->listen_interface) != 0)
		return 0;
	if (!*x)
		fx = 6;
	if (!*y)
		fy = 6;
	if (strcmp(x, y) == 0)
		return 1;
	if (dual_x || dual_y)
		return 1;
	if (fx != fy)
		return 0;
	return any_x || any_y;
}

/* realm's transport items xwpf reads but does not use: a note, not an error */
static void
transport_notes(struct parse_ctx *c, const struct store_rule *r)
{
	struct transport t;
	char err[ERRLEN], buf[32];

	if (*r->listen_transport && transport_parse(r->listen_transport, TRANSPORT_SERVER, &t, err) == 0 &&
	    *transport_unused(&t, buf, sizeof(buf)))
		store_diag_add(c->d, r->line, 0, "rule '%s': listen_transport: %s accepted but not used", r->name, buf);
	if (*r->remote_transport && transport_parse(r->remote_transport, TRANSPORT_CLIENT, &t, err) == 0 &&
	    *transport_unused(&t, buf, sizeof(buf)))
		store_diag_add(c->d, r->line, 0, "rule '%s': remote_transport: %s accepted but not used", r->name, buf);
}

static void
validate_rule(struct parse_ctx *c, struct store_rule *r, struct rule_extra *x)
{
	size_t i;
	unsigned lspan = (unsigned)store_listen_count(r) - (store_listen_count(r) > 0);

	if (!r->listen.port && !x->listen_bad)
		store_diag_add(c->d, r->line, 1, "rule '%s' has no listen address (listen = [::]:PORT or IP:PORT)", r->name);
	if (!r->nremotes && !x->remote_bad)
		store_diag_add(c->d, r->line, 1, "rule '%s' has no remote (remote = HOST:PORT)", r->name);
	if (x->nweights) {
		if (x->nweights != r->nremotes) {
			char eg[40] = "2";   /* "2,1,1": as many as there are remotes */

			for (i = 1; i < r->nremotes && i < 8; i++)
				strcat(eg, ",1");
			store_diag_add(c->d, x->weights_line, 1, "rule '%s' has %zu weight%s for %zu remote%s: give one per "
			    "remote, in order (e.g. weights = %s%s), or leave weights out for equal shares", r->name,
			    x->nweights, x->nweights == 1 ? "" : "s", r->nremotes, r->nremotes == 1 ? "" : "s", eg,
			    r->nremotes > 8 ? ",..." : "");
		} else
			for (i = 0; i < r->nremotes; i++) {
				if (r->remotes[i].weight) {
					store_diag_add(c->d, x->weights_line, 1, "rule '%s': give weights either as weights = "
					    "or as weight= on each remote, not both", r->name);
					break;
				}
				r->remotes[i].weight = (int)x->weights[i];
			}
	}
	for (i = 0; i < r->nremotes; i++) {
		const struct hostport *h = &r->remotes[i].addr;
		unsigned rspan = (unsigned)(h->port_end - h->port);
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(r->remotes[j].addr.host, h->host) == 0 && r->remotes[j].addr.port == h->port) {
				char hp[300];
				store_diag_add(c->d, r->line, 1, "rule '%s': remote %s is listed twice; to give it more "
				    "traffic raise its weight", r->name, hostport_format(h, hp, sizeof(hp)));
				break;
			}

		if (!r->remotes[i].weight)
			r->remotes[i].weight = 1;
		if (rspan && rspan != lspan)
			store_diag_add(c->d, r->line, 1, "rule '%s': remote port range %u-%u has %u ports but the rule "
			    "listens on %u; use as many or a single port", r->name, h->port,
			    h->port_end, rspan + 1, lspan + 1);
	}
	if (r->balance == BALANCE_AUTO)
		r->balance = r->nremotes > 1 ? BALANCE_ROUNDROBIN : BALANCE_OFF;
	transport_notes(c, r);
	if (r->ipv6_only && addr_family_of(r->listen.host) == 4)
		store_diag_add(c->d, r->line, 1, "rule '%s': ipv6_only with the IPv4 listen address %s", r->name,
		    r->listen.host);
	if ((r->protocols & PROTO_UDP) && (r->proxy_send || r->proxy_accept))
		store_diag_add(c->d, r->line, 0, "rule '%s': the PROXY protocol applies to TCP only; UDP is "
		    "forwarded without it", r->name);
	if (r->udp_plain && (!(r->protocols & PROTO_UDP) || (!*r->listen_transport && !*r->remote_transport)))
		store_diag_add(c->d, r->line, 0, "rule '%s': udp_transport = plain changes nothing without %s", r->name,
		    (r->protocols & PROTO_UDP) ? "a listen_transport or remote_transport" : "protocol udp or tcp+udp");
	if (r->quota_action == QUOTA_THROTTLE && r->quota && !r->quota_rate)
		store_diag_add(c->d, r->line, 1, "rule '%s': quota_action = throttle needs quota_rate (e.g. 1mbit)", r->name);
	if (*r->on_event && r->on_event[0] != '/')
		store_diag_add(c->d, r->line, 1, "rule '%s': on_event must be an absolute path, not '%s'", r->name, r->on_event);
	store_notify_validate(c, r->notify, x->notify_line ? x->notify_line : r->line, r->name);
	if (*r->health_expect && !*r->health_send)
		store_diag_add(c->d, r->line, 0, "rule '%s': health_expect without health_send reads the "
		    "backend's greeting", r->name);
}

void
store_validate(struct parse_ctx *c)
{
	struct store *st = c->st;
	struct store_rule **v;
	size_t i, j, n = 0;

	store_notify_validate(c, st->g.notify, c->notify_line ? c->notify_line : c->global_line, NULL);
	if (*st->g.on_event && st->g.on_event[0] != '/')
		store_diag_add(c->d, c->global_line, 1, "on_event must be an absolute path, not '%s'", st->g.on_event);
	if (st->g.metrics_listen.port && strncmp(st->g.metrics_listen.host, "127.", 4) != 0 &&
	    strcmp(st->g.metrics_listen.host, "::1") != 0)
		store_diag_add(c->d, c->global_line, 0, "metrics_listen %s is reachable beyond this host; "
		    "the metrics have no password", st->g.metrics_listen.host);
	for (i = 0; i < st->nrules; i++)
		validate_rule(c, &st->rules[i], &c->extras[i]);
	if (!st->nrules)
		return;
	if (!(v = malloc(st->nrules * sizeof(*v)))) {
		store_diag_add(c->d, 0, 1, "out of memory");
		return;
	}
	/* names: sorted, so duplicates sit side by side (O(n log n) for big stores) */
	for (i = 0; i < st->nrules; i++)
		v[i] = &st->rules[i];
	qsort(v, st->nrules, sizeof(*v), cmp_rule_name);
	for (i = 1; i < st->nrules; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0)
			store_diag_add(c->d, v[i]->line, 1, "rule '%s' is defined twice (first at line %d)",
			    v[i]->name, v[i - 1]->line);
	/* listeners: sorted by first port; only rules whose ranges overlap are compared */
	for (i = 0; i < st->nrules; i++)
		if (st->rules[i].enabled && st->rules[i].listen.port)
			v[n++] = &st->rules[i];
	qsort(v, n, sizeof(*v), cmp_rule_port);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n && v[j]->listen.port <= store_listen_max(v[i]); j++) {
			struct store_rule *a = v[i], *b = v[j], *later;
			char ha[300], hb[300];

			if (!(a->protocols & b->protocols) || !store_listens_meet(a, b) ||
			    !addrs_overlap(a, b))
				continue;
			if (a->line > b->line) {
				later = a;
				a = b;
				b = later;
			}
			store_diag_add(c->d, b->line, 1, "rule '%s' listens on %s (%s), which rule '%s' (line %d) "
			    "already uses as %s; to balance between remotes add them to one rule",
			    b->name, store_listen_format(b, hb, sizeof(hb)),
			    store_proto_name(a->protocols & b->protocols), a->name, a->line,
			    store_listen_format(a, ha, sizeof(ha)));
		}
	}
	free(v);
	store_check_loops(c);
}
