/* The applet list is sorted (xwpf.c binary-searches it) and has no duplicates. */
#include "t.h"

static const char *names[] = {
#define APPLET(n, s) #n,
#include "applets/applets.h"
#undef APPLET
};

int
main(void)
{
	size_t i, n = sizeof(names) / sizeof(names[0]);

	for (i = 1; i < n; i++)
		CHECK(strcmp(names[i - 1], names[i]) < 0, "applets.h sorted: %s before %s", names[i - 1], names[i]);
	CHECK(n > 0, "applets.h lists applets");
	return T_DONE();
}
