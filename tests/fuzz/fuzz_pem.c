/* libFuzzer: the PEM/DER reader of lib/proto/tlscert.c (what cert=, key=
 * and CA files hold, which an import can restore), on the bytes themselves,
 * and the trust anchors and a chain with its key made from them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tls.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRLEN], pin[TLS_PIN_STRLEN];
	struct tls_anchors a;
	struct tls_creds cr;
	long long na;

	(void)tls_not_after_pem(data, size, "fuzz.pem", &na, err);
	(void)tls_pin_pem(data, size, "fuzz.pem", pin, err);
	memset(&a, 0, sizeof(a));
	(void)tls_anchors_add(&a, data, size, "fuzz.pem", err);
	tls_anchors_free(&a);
	if (tls_creds_parse(&cr, data, size, "fuzz.pem", data, size, "fuzz.pem", err) == 0)
		tls_creds_free(&cr);
	return 0;
}
