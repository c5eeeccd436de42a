/* libFuzzer: the realm JSON reader (lib/mig_tree.c) and the conversion (lib/mig_realm.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "migrate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mig_result m;
	struct mval *v;
	char err[ERRLEN];

	memset(&m, 0, sizeof(m));
	v = mv_json_parse((const char *)data, size, err);
	if (v) {
		mig_realm(v, &m, err);
		mv_free(v);
	}
	mig_free(&m);
	return 0;
}
