/* libFuzzer: the realm TOML reader (lib/migrate/mig_toml.c) and the conversion (lib/migrate/mig_realm.c). */
#include "fuzz_realm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_realm(mig_toml_parse, data, size);
}
