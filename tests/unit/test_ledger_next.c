/* ledger_cycle_next: the next reset, known answers (epochs computed apart with
 * Python's zoneinfo): month ends, a reset day clamped in short months and in a
 * leap February, the year's end, a zone east of UTC, a daylight-saving change. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"
#include "t.h"
#include "util.h"

static void
tz(const char *name)
{
	setenv("TZ", name, 1);
	tzset();
}

/* ledger_parse / ledger_format: a time past INT64_MAX would come back
 * negative (and then be refused) after the relay's next save: refused at once;
 * what parses formats back to the same text. */
static void
test_parse_format(void)
{
	char t1[] = "# xwpf ledger 1\nrule a cycle_start=9223372036854775808\n";
	char t2[] = "rule a cycle_start=9223372036854775807 c.tcp4.in=18446744073709551615 fired=9\n";
	char err[ERRLEN], *out, *again;
	struct ledger lg, lg2;
	size_t n, n2;

	CHECK(ledger_parse(t1, "t", &lg, err) < 0 && strstr(err, "t:2:"), "a cycle start past INT64_MAX: refused, line 2");
	CHECK(ledger_parse(t2, "t", &lg, err) == 0 && lg.n == 1 && lg.v[0].fired == 1, "INT64_MAX and UINT64_MAX read");
	out = ledger_format(&lg, &n);
	CHECK(out && ledger_parse(out, "t", &lg2, err) == 0, "its text parses back");
	free(out);
	out = ledger_format(&lg, &n);
	again = ledger_format(&lg2, &n2);
	CHECK(out && again && n == n2 && memcmp(out, again, n) == 0, "and formats to the same text");
	free(out);
	free(again);
	ledger_free(&lg);
	ledger_free(&lg2);
}

/* A rule name of 40 characters of UTF-8 (120 bytes here) is kept whole: it
 * was cut at 47 bytes, in the middle of a character, and the next load
 * refused the file. */
static void
test_long_name(void)
{
	char text[512], err[ERRLEN], name[200] = "", *out;
	struct ledger lg, lg2;
	size_t n, i;

	for (i = 0; i < 40; i++)
		strcat(name, "\xe9\xa6\x99");   /* 香 */
	snprintf(text, sizeof(text), "rule %s cycle_start=1 c.tcp4.in=5\n", name);
	CHECK(ledger_parse(text, "t", &lg, err) == 0 && lg.n == 1 && strcmp(lg.v[0].name, name) == 0,
	    "a 40-character Chinese name is read whole");
	out = ledger_format(&lg, &n);
	CHECK(out && ledger_parse(out, "t", &lg2, err) == 0 && lg2.n == 1 && strcmp(lg2.v[0].name, name) == 0,
	    "and written and read back whole");
	free(out);
	ledger_free(&lg);
	ledger_free(&lg2);
}

int
main(void)
{
	test_parse_format();
	test_long_name();
	tz("UTC");
	CHECK(ledger_cycle_next(1773576000, 1) == 1775001600, "2026-03-15, day 1: next 2026-04-01");
	CHECK(ledger_cycle_next(1770681600, 31) == 1772236800, "2026-02-10, day 31: next 2026-02-28 (clamped)");
	CHECK(ledger_cycle_next(1772341200, 31) == 1774915200, "2026-03-01 (cycle from 02-28), day 31: next 03-31");
	CHECK(ledger_cycle_next(1834185600, 30) == 1835395200, "2028-02-15, day 30: next 2028-02-29 (leap)");
	CHECK(ledger_cycle_next(1797724800, 15) == 1799971200, "2026-12-20, day 15: next 2027-01-15");
	CHECK(ledger_cycle_next(1775001600 - 1, 1) == 1775001600, "one second before a reset: that reset");
	CHECK(ledger_cycle_next(1775001600, 1) == 1775001600 + 30 * 86400, "at a reset: the one after (2026-05-01)");
	tz("Asia/Shanghai");
	CHECK(ledger_cycle_next(1773576000, 1) == 1774972800, "UTC+8: next 2026-04-01 00:00 local");
	tz("Europe/Berlin");
	CHECK(ledger_cycle_next(1773097200, 29) == 1774738800, "Berlin 2026-03-10, day 29: next 03-29 00:00 CET");
	CHECK(ledger_cycle_next(1774864800, 29) == 1777413600, "after the change to summer time: next 04-29 00:00 CEST");
	return T_DONE();
}
