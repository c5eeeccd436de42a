/* libFuzzer: lib/base/tar.c's reader on arbitrary bytes (gzip or plain tar), then
 * an import's manifest check (lib/migrate/bundle.c) on what it read. */
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "tar.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_archive a;
	struct tar_limits l;
	struct bundle b;
	char err[ERRLEN];

	tar_limits_default(&l);
	l.max_total = 4u << 20;   /* keep each run small */
	if (tar_read(data, size, &l, &a, err) == 0) {
		if (bundle_from_archive(&a, &b, err) == 0)
			bundle_free(&b);
		tar_free(&a);
	}
	return 0;
}
