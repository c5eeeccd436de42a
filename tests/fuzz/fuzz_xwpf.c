/* libFuzzer: xwPF rule files (read as data) and MPTCP endpoint lines.
 * The input is split at NUL bytes into rule files; the last part is the
 * endpoints file. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "migrate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mig_file files[8];
	struct mig_result m;
	const char *p = (const char *)data, *end = p + size;
	char err[ERRLEN];
	size_t n = 0;

	memset(&m, 0, sizeof(m));
	while (p <= end && n < 8) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;

		files[n].name = "rule-1.conf";
		files[n].text = p;
		files[n].len = (size_t)(e - p);
		n++;
		if (!z)
			break;
		p = z + 1;
	}
	if (n > 1)
		mig_xwpf(files, n - 1, &files[n - 1], &files[n - 1], &m, err);
	else
		mig_xwpf(files, n, NULL, NULL, &m, err);
	mig_free(&m);
	return 0;
}
