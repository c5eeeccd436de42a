/*
 * ledger_writer PATH NAME COUNT BYTES: a stand-in for the relay's ledger
 * writer in scenario tests (status_traffic.sh). COUNT times, through
 * ledger_update() (the relay's one locked read-change-write), it adds to
 * rule NAME: BYTES in over TCP/IPv4, 2 x BYTES out over UDP/IPv6 and one
 * connection. Not a unit test (the runner only runs test_*); exit 0 when
 * every update was saved.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ledger.h"
#include "util.h"

const char *applet_name = "ledger_writer";

struct add {
	const char *name;
	uint64_t bytes;
};

static int
add_fn(struct ledger *lg, void *arg, char *err)
{
	const struct add *a = arg;
	struct ledger_rule *r = ledger_get(lg, a->name, wall_ms() / 1000, 1);

	if (!r) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	ledger_add(r, LG_TCP, LG_V4, a->bytes, 0, 1);
	ledger_add(r, LG_UDP, LG_V6, 0, 2 * a->bytes, 0);
	return 0;
}

int
main(int argc, char **argv)
{
	char err[ERRLEN];
	struct add a;
	long n, i;

	if (argc != 5 || (n = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: ledger_writer PATH NAME COUNT BYTES\n");
		return 2;
	}
	a.name = argv[2];
	a.bytes = strtoull(argv[4], NULL, 10);
	for (i = 0; i < n; i++)
		if (ledger_update(argv[1], add_fn, &a, err) < 0) {
			fprintf(stderr, "ledger_writer: update %ld: %s\n", i, err);
			return 1;
		}
	return 0;
}
