/* libFuzzer body shared by fuzz_json.c and fuzz_toml.c: one of the realm
 * config readers (lib/base/json.c, lib/migrate/mig_toml.c), then the conversions:
 * realm's (lib/migrate/mig_realm.c) and the traffic tool's (lib/migrate/mig_dog.c). */
#ifndef XWPF_FUZZ_REALM_H
#define XWPF_FUZZ_REALM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "migrate.h"
#include "util.h"

static int
fuzz_realm(struct json_val *(*parse)(const char *, size_t, char *), const uint8_t *data, size_t size)
{
	struct mig_result m;
	struct json_val *v;
	char err[ERRLEN];

	memset(&m, 0, sizeof(m));
	v = parse((const char *)data, size, err);
	if (v) {
		mig_realm(v, &m, err);
		mig_free(&m);
		mig_dog(v, &m, err);
		json_free(v);
	}
	mig_free(&m);
	return 0;
}

#endif
