/* libFuzzer: what the notification sender reads from outside
 * (lib/notify/notify_http.c): the address of a target (notify_url_split)
 * and a server's reply (notify_reply_whole, notify_reply_read,
 * notify_reply_says). The input is URL '\n' REPLY. An address taken has a
 * host and a port of digits, both NUL-terminated in their buffers, and a
 * path that starts with '/' or '?' or is empty; a reply read has a status
 * of 0-999 and a body of printable text (text_printable); a reply that says it is whole stays
 * whole with more bytes after it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char url[1024], err[ERRLEN], *r;
	struct notify_url u;
	struct notify_result res;
	size_t ulen, rlen, i;

	if (!nl || (ulen = (size_t)(nl - data)) >= sizeof(url))
		return 0;
	memcpy(url, data, ulen);
	url[ulen] = '\0';
	memset(&u, 0x5a, sizeof(u));
	if (notify_url_split(url, &u, err) == 0) {
		if (!memchr(u.host, '\0', sizeof(u.host)) || !memchr(u.port, '\0', sizeof(u.port)) || !u.host[0] ||
		    !u.port[0] || strspn(u.port, "0123456789") != strlen(u.port))
			abort();
		if (u.path < url || u.path > url + ulen || (*u.path && *u.path != '/' && *u.path != '?'))
			abort();
	} else if (!memchr(err, '\0', sizeof(err)))
		abort();

	rlen = (size_t)(data + size - nl - 1);
	if (!(r = malloc(rlen + 2)))
		return 0;
	memcpy(r, nl + 1, rlen);
	r[rlen] = '\0';
	/* whole stays whole as more comes (the sender stops reading at it) */
	for (i = 0; i <= rlen && i <= 4096; i++)
		if (notify_reply_whole(r, i)) {
			if (!notify_reply_whole(r, rlen))
				abort();
			break;
		}
	memset(&res, 0, sizeof(res));
	if (notify_reply_read(r, rlen, &res, err) == 0) {
		if (res.status < 0 || res.status > 999 || !memchr(res.reply, '\0', sizeof(res.reply)) ||
		    !text_printable(res.reply, NULL))
			abort();
		(void)notify_reply_says(res.reply, "ok", "true");
		(void)notify_reply_says(res.reply, "errcode", "0");
	}
	(void)notify_reply_says(r, "ok", "true");
	free(r);
	return 0;
}
