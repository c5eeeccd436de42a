/*
 * A rule's listen ports as a list: "80,443", "0.0.0.0:8000-8010,9000"
 * (xwPF takes port lists so). The address and the first port or range are
 * r->listen, as for a single one; the further ports or ranges r->lmore, in
 * increasing order without overlap. The ports count in the order listed:
 * the i-th port of the list maps to the i-th port of a remote range, as
 * the ports of one range do.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define LISTEN_MAX_ITEMS 64

static int
span_parse(const char *s, struct store_span *sp, char *err)
{
	long lo, hi;
	char a[8];
	const char *dash = strchr(s, '-');

	if (dash) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - s < 7 ? dash - s : 7), s);
		if (parse_long(a, 1, 65535, &lo) < 0 || parse_long(dash + 1, 1, 65535, &hi) < 0 || hi < lo) {
			snprintf(err, ERRLEN, "'%s' in the listen list is not a port range LOW-HIGH (1-65535)", s);
			return -1;
		}
	} else if (parse_long(s, 1, 65535, &lo) < 0) {
		snprintf(err, ERRLEN, "'%s' in the listen list is not a port (1-65535) or a range LOW-HIGH", s);
		return -1;
	} else
		hi = lo;
	sp->lo = (uint16_t)lo;
	sp->hi = (uint16_t)hi;
	return 0;
}

int
store_listen_parse(const char *v, struct store_rule *r, char *err)
{
	char buf[1024], *item, *save = NULL, *comma;
	struct store_span sp[LISTEN_MAX_ITEMS];
	size_t n = 0, total;
	unsigned prev;

	free(r->lmore);
	r->lmore = NULL;
	r->nlmore = 0;
	if (str_copy(buf, sizeof(buf), v) < 0) {
		snprintf(err, ERRLEN, "listen '%.40s...' is too long", v);
		return -1;
	}
	if ((comma = strchr(buf, ',')) != NULL)
		*comma = '\0';
	if (hostport_parse(str_trim(buf), HP_HOST_OPTIONAL | HP_RANGE | HP_NUMERIC, &r->listen, err) < 0)
		return -1;
	if (!comma)
		return 0;
	prev = r->listen.port_end;
	total = (size_t)(r->listen.port_end - r->listen.port) + 1;
	for (item = strtok_r(comma + 1, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (n == LISTEN_MAX_ITEMS) {
			snprintf(err, ERRLEN, "more than %d items in the listen list", LISTEN_MAX_ITEMS + 1);
			return -1;
		}
		if (span_parse(str_trim(item), &sp[n], err) < 0)
			return -1;
		if (sp[n].lo <= prev) {
			snprintf(err, ERRLEN, "listen list: give the ports in increasing order, each once (%u after %u)",
			    sp[n].lo, prev);
			return -1;
		}
		prev = sp[n].hi;
		total += (size_t)(sp[n].hi - sp[n].lo) + 1;
		n++;
	}
	if (!n) {
		snprintf(err, ERRLEN, "listen ends with a comma: give a port after it, or remove it");
		return -1;
	}
	if (total > 10000) {
		snprintf(err, ERRLEN, "the listen list has %zu ports: at most 10000 in one rule", total);
		return -1;
	}
	if (!(r->lmore = malloc(n * sizeof(*r->lmore)))) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	memcpy(r->lmore, sp, n * sizeof(*sp));
	r->nlmore = n;
	return 0;
}

size_t
store_listen_count(const struct store_rule *r)
{
	size_t n = r->listen.port ? (size_t)(r->listen.port_end - r->listen.port) + 1 : 0, i;

	for (i = 0; i < r->nlmore; i++)
		n += (size_t)(r->lmore[i].hi - r->lmore[i].lo) + 1;
	return n;
}

unsigned
store_listen_max(const struct store_rule *r)
{
	return r->nlmore ? r->lmore[r->nlmore - 1].hi : r->listen.port_end;
}

unsigned
store_listen_port(const struct store_rule *r, size_t i)
{
	size_t k, span;

	span = (size_t)(r->listen.port_end - r->listen.port) + 1;
	if (i < span)
		return r->listen.port + (unsigned)i;
	i -= span;
	for (k = 0; k < r->nlmore; k++) {
		span = (size_t)(r->lmore[k].hi - r->lmore[k].lo) + 1;
		if (i < span)
			return r->lmore[k].lo + (unsigned)i;
		i -= span;
	}
	return 0;
}

int
store_listen_has(const struct store_rule *r, unsigned lo, unsigned hi)
{
	size_t k;

	if (r->listen.port <= hi && lo <= r->listen.port_end)
		return 1;
	for (k = 0; k < r->nlmore; k++)
		if (r->lmore[k].lo <= hi && lo <= r->lmore[k].hi)
			return 1;
	return 0;
}

int
store_listens_meet(const struct store_rule *a, const struct store_rule *b)
{
	size_t k;

	if (store_listen_has(a, b->listen.port, b->listen.port_end))
		return 1;
	for (k = 0; k < b->nlmore; k++)
		if (store_listen_has(a, b->lmore[k].lo, b->lmore[k].hi))
			return 1;
	return 0;
}

char *
store_listen_format(const struct store_rule *r, char *buf, size_t size)
{
	size_t k, n;

	hostport_format(&r->listen, buf, (unsigned)size);
	for (k = 0, n = strlen(buf); k < r->nlmore && n < size; k++, n += strlen(buf + n)) {
		if (r->lmore[k].hi > r->lmore[k].lo)
			snprintf(buf + n, size - n, ",%u-%u", r->lmore[k].lo, r->lmore[k].hi);
		else
			snprintf(buf + n, size - n, ",%u", r->lmore[k].lo);
	}
	return buf;
}
