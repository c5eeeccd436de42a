/* libFuzzer: the DER walker that reads a server certificate before any check
 * (lib/proto/tlscert.c: the SPKI pin and the iPAddress SAN match). In pin and insecure
 * mode these bytes come straight from the network. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char ip4[4] = { 127, 0, 0, 1 };
	unsigned char h[32];
	char pin[TLS_PIN_STRLEN];
	unsigned char *copy = malloc(size ? size : 1);    /* exact size: ASan sees any overread */

	memcpy(copy, data, size);
	if (tls_spki_sha256(copy, size, h) == 0) {
		tls_pin_format(h, pin);
		if (strlen(pin) != TLS_PIN_STRLEN - 1)
			abort();
	}
	(void)tls_cert_has_ip(copy, size, ip4, sizeof(ip4));
	(void)tls_pin_der(copy, size, pin);
	free(copy);
	return 0;
}
