/* libFuzzer: the PEM/DER file reader of lib/proto/tlscert.c (cert=, key=, ca=
 * files, which an import can restore): the bytes go through a memfd so the
 * file path code runs as it does for a real file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tls.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[ERRLEN], pin[TLS_PIN_STRLEN];
	long long na;

	if (fd < 0 && (fd = memfd_create("fuzz_pem", 0)) < 0)
		return 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	(void)tls_not_after_file(path, &na, err);
	(void)tls_pin_file(path, pin, err);
	return 0;
}
