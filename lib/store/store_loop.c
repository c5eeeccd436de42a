/*
 * Forwarding loops in a store: a rule whose remote is one of the relay's
 * own listeners (its own, or another rule's that leads back to it) makes
 * every client connection connect to the relay again, and again, until the
 * descriptors run out. Found at validation, from what the store says and
 * the machine's addresses:
 *
 *   an edge R -> L when R's remote is a literal address of this machine
 *   (loopback, unspecified, or an interface's) on a port L listens on, with
 *   an address that takes it (L's own, or 0.0.0.0 / :: / every address), a
 *   protocol in common that R sends plain and L takes plain, both rules
 *   enabled, L without a listen_interface (a listener on one NIC is left
 *   alone). What goes through a tunnel is a chain the store cannot judge:
 *   a rule with a remote_transport sends plain only its UDP and only with
 *   udp_transport = plain; one with a listen_transport takes plain only
 *   that UDP, on its own listen port;
 *
 *   a loop is a cycle of edges (a rule to itself included).
 *
 * Host names are not resolved here (validation stays offline and fast):
 * the relay's own backstop (conn.c, loopguard) stops what they hide.
 */
#include "store_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define CYCLE_NAMES 4        /* rules named in a message before "..." */

static const struct net_local *local_override;

void
store_set_local_addrs(const struct net_local *l)
{
	local_override = l;
}

/* A literal address: family (4, 6) and bytes; 0 for a name. */
static int
literal(const char *host, unsigned char a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, host, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, a) == 1)
		return 6;
	return 0;
}

static int
unspecified(int fam, const unsigned char a[16])
{
	static const unsigned char zero[16];

	return memcmp(a, zero, fam == 4 ? 4 : 16) == 0;
}

static int
is_loop6(const unsigned char a[16])
{
	static const unsigned char one[16] = { [15] = 1 };

	return memcmp(a, one, 16) == 0;
}

/* The machine's addresses, read once per validation and only when a remote
 * needs them (a literal that is not loopback). */
struct local {
	int read;
	struct net_local l;
};

static const struct net_local *
local_get(struct local *lc)
{
	if (local_override)
		return local_override;
	if (!lc->read) {
		net_local_read(&lc->l);
		lc->read = 1;
	}
	return &lc->l;
}

/* Does a connection to this literal stay on this machine? */
static int
is_local(int fam, const unsigned char a[16], struct local *lc)
{
	const struct net_local *l;
	int i;

	if (unspecified(fam, a))
		return 1;   /* connecting to 0.0.0.0 or :: reaches the machine itself */
	if ((fam == 4 && a[0] == 127) || (fam == 6 && is_loop6(a)))
		return 1;
	l = local_get(lc);
	for (i = 0; i < l->n; i++)
		if (l->a[i].family == (fam == 4 ? AF_INET : AF_INET6) && memcmp(l->a[i].a, a, fam == 4 ? 4 : 16) == 0)
			return 1;
	return 0;
}

/* Would a connection to the local literal (fam, a) reach listener L's address? */
static int
listener_takes(const struct store_rule *L, int fam, const unsigned char a[16])
{
	const char *h = L->listen.host;
	unsigned char b[16];
	int lf;

	if (!*h || strcmp(h, "::") == 0)   /* dual stack unless ipv6_only */
		return fam == 6 || !L->ipv6_only;
	if (strcmp(h, "0.0.0.0") == 0)
		return fam == 4;
	lf = literal(h, b);
	if (lf != fam)
		return 0;
	if (unspecified(fam, a))   /* a connection to 0.0.0.0 or :: goes to 127.0.0.1 or ::1 */
		return fam == 4 ? b[0] == 127 && b[1] == 0 && b[2] == 0 && b[3] == 1 : is_loop6(b);
	return memcmp(a, b, fam == 4 ? 4 : 16) == 0;
}


/* The protocols a rule takes plain on its listen port (PROTO_* bits). */
static unsigned
plain_in(const struct store_rule *r)
{
	if (!*r->listen_transport)
		return r->protocols;
	return r->udp_plain ? r->protocols & PROTO_UDP : 0;
}

/* The protocols a rule sends plain to its remotes. */
static unsigned
plain_out(const struct store_rule *r)
{
	if (!*r->remote_transport)
		return r->protocols;
	return r->udp_plain ? r->protocols & PROTO_UDP : 0;
}

struct edge {
	int from, to;
	int remote;              /* which remote of from */
};

static int
cmp_edge(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->to - b->to;
}

static int
cmp_listen_port(const void *x, const void *y)
{
	const struct store_rule *a = *(struct store_rule *const *)x, *b = *(struct store_rule *const *)y;

	return (int)a->listen.port - (int)b->listen.port;
}

static int
edge_add(struct edge **v, size_t *n, size_t *cap, int from, int to, int remote)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct edge *nv = realloc(*v, nc * sizeof(**v));

		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n].from = from;
	(*v)[*n].to = to;
	(*v)[*n].remote = remote;
	(*n)++;
	return 0;
}

/* Every edge of the store (see above), sorted by from. 0, or -1 out of memory. */
static int
edges_find(const struct store *st, struct local *loc, struct edge **out, size_t *nout)
{
	const struct store_rule **lv;
	struct edge *v = NULL;
	size_t n = 0, cap = 0, nl = 0, i, k;
	unsigned maxspan = 0;

	if (!(lv = malloc(st->nrules * sizeof(*lv))))
		return -1;
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *L = &st->rules[i];

		if (!L->enabled || !L->listen.port || !plain_in(L) || *L->listen_interface)
			continue;
		lv[nl++] = L;
		if (store_listen_max(L) - L->listen.port > maxspan)   /* ports listed: first to last */
			maxspan = store_listen_max(L) - L->listen.port;
	}
	if (nl)
		qsort(lv, nl, sizeof(*lv), cmp_listen_port);
	for (i = 0; i < st->nrules; i++) {
		const struct store_rule *R = &st->rules[i];

		if (!R->enabled || !R->listen.port || !plain_out(R))
			continue;
		for (k = 0; k < R->nremotes; k++) {
			const struct hostport *h = &R->remotes[k].addr;
			unsigned char a[16];
			int fam = literal(h->host, a);
			size_t lo = 0, hi = nl, j;
			unsigned from = h->port > maxspan ? h->port - maxspan : 0;

			if (!fam || !is_local(fam, a, loc))
				continue;
			while (lo < hi) {   /* the first listener whose range could reach h's ports */
				size_t mid = (lo + hi) / 2;
				if (lv[mid]->listen.port < from)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (j = lo; j < nl && lv[j]->listen.port <= (h->port_end > h->port ? h->port_end : h->port); j++) {
				const struct store_rule *L = lv[j];

				if (!(plain_in(L) & plain_out(R)) ||
				    !store_listen_has(L, h->port, h->port_end > h->port ? h->port_end : h->port) ||
				    !listener_takes(L, fam, a))
					continue;
				if (edge_add(&v, &n, &cap, (int)i, (int)(L - st->rules), (int)k) < 0) {
					free(v);
					free(lv);
					return -1;
				}
			}
		}
	}
	free(lv);
	if (n)
		qsort(v, n, sizeof(*v), cmp_edge);
	*out = v;
	*nout = n;
	return 0;
}

/* "a -> b -> a" for the cycle on the DFS stack from position s to its top. */
static void
cycle_text(const struct store *st, const int *stack, size_t s, size_t top, char *buf, size_t size)
{
	size_t i, len = 0;

	*buf = '\0';
	for (i = s; i <= top && len < size; i++) {
		if (i - s == CYCLE_NAMES && top - i > 0) {
			len += (size_t)snprintf(buf + len, size - len, "... -> ");
			i = top;
		}
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s -> ", st->rules[stack[i]].name);
	}
	if (len < size)
		snprintf(buf + len, size - len, "%s", st->rules[stack[s]].name);
}

static void
report(struct parse_ctx *c, const struct edge *e, const int *stack, size_t s, size_t top)
{
	const struct store *st = c->st;
	const struct store_rule *R = &st->rules[e->from], *L = &st->rules[e->to];
	char hp[300], cyc[200];

	hostport_format(&R->remotes[e->remote].addr, hp, sizeof(hp));
	if (e->from == e->to) {
		store_diag_add(c->d, R->line, 1, "rule '%s' forwards to %s, its own listener: a loop that takes "
		    "descriptors until none are left; point remote at the service behind it (another port or host)",
		    R->name, hp);
		return;
	}
	cycle_text(st, stack, s, top, cyc, sizeof(cyc));
	store_diag_add(c->d, R->line, 1, "rule '%s' forwards to %s, the listener of rule '%s' (line %d), which leads "
	    "back: a loop (%s); point one of these remotes at the service behind it", R->name, hp, L->name,
	    L->line, cyc);
}

/* Every cycle closed by a back edge, reported at the rule whose remote closes it. */
static int
cycles_report(struct parse_ctx *c, const struct edge *e, size_t ne)
{
	const struct store *st = c->st;
	size_t n = st->nrules, i;
	size_t *first = calloc(n + 1, sizeof(*first)), *next = calloc(n, sizeof(*next));
	int *stack = malloc(n * sizeof(*stack));
	size_t *pos = malloc(n * sizeof(*pos));
	unsigned char *state = calloc(n, 1);   /* 0 new, 1 on the stack, 2 done */

	if (!first || !next || !stack || !pos || !state) {
		free(first), free(next), free(stack), free(pos), free(state);
		return -1;
	}
	for (i = 0; i < ne; i++)
		first[e[i].from + 1]++;
	for (i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (i = 0; i < n; i++) {
		size_t top;

		if (state[i] || first[i] == first[i + 1])
			continue;
		top = 0;
		stack[0] = (int)i;
		pos[i] = 0;
		state[i] = 1;
		next[i] = first[i];
		for (;;) {
			int u = stack[top];

			if (next[u] < first[u + 1]) {
				const struct edge *x = &e[next[u]++];
				int w = x->to;

				if (state[w] == 1)
					report(c, x, stack, pos[w], top);
				else if (state[w] == 0) {
					stack[++top] = w;
					pos[w] = top;
					state[w] = 1;
					next[w] = first[w];
				}
				continue;
			}
			state[u] = 2;
			if (top == 0)
				break;
			top--;
		}
	}
	free(first), free(next), free(stack), free(pos), free(state);
	return 0;
}

void
store_check_loops(struct parse_ctx *c)
{
	struct local loc = { 0, { 0 } };
	struct edge *e = NULL;
	size_t ne = 0;

	if (!c->st->nrules)
		return;
	if (edges_find(c->st, &loc, &e, &ne) < 0 || cycles_report(c, e, ne) < 0)
		store_diag_add(c->d, 0, 1, "out of memory");
	free(e);
}
