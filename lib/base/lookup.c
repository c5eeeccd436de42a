/* One name lookup in a thread of its own (lookup.h). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lookup.h"
#include "util.h"

int
lookup_wait(struct lookup *j, int64_t deadline)
{
	struct pollfd p = { j->efd, POLLIN, 0 };
	eventfd_t v;
	int64_t left;
	int r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0) {
			(void)eventfd_read(j->efd, &v);
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

void
lookup_put(struct lookup *j)
{
	if (j && atomic_fetch_sub(&j->refs, 1) == 1) {
		close(j->efd);
		free(j);
	}
}

static void *
lookup_thread(void *arg)
{
	struct lookup *j = arg;
	struct addrinfo hints, *res = NULL, *a;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = j->family;
	hints.ai_socktype = j->socktype;
	hints.ai_flags = j->flags;
	j->rc = getaddrinfo(j->host, j->port[0] ? j->port : NULL, &hints, &res);
	for (a = j->rc == 0 ? res : NULL; a && j->n < LOOKUP_MAX; a = a->ai_next)
		if (a->ai_addrlen <= sizeof(j->sa[0])) {
			memcpy(&j->sa[j->n], a->ai_addr, a->ai_addrlen);
			j->salen[j->n++] = a->ai_addrlen;
		}
	if (j->rc == 0 && !j->n)
		j->rc = EAI_FAIL;
	if (res)
		freeaddrinfo(res);
	(void)eventfd_write(j->efd, 1);   /* after the answer: the caller reads it once efd says so */
	lookup_put(j);
	return NULL;
}

struct lookup *
lookup_start(const char *host, const char *port, int family, int socktype, int flags)
{
	struct lookup *j;
	pthread_attr_t attr;
	pthread_t t;
	int ok;

	if (strlen(host) >= sizeof(j->host) || (port && strlen(port) >= sizeof(j->port))) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!(j = calloc(1, sizeof(*j))))
		return NULL;
	if ((j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(j);
		return NULL;
	}
	atomic_init(&j->refs, 2);
	j->family = family;
	j->socktype = socktype;
	j->flags = flags;
	snprintf(j->host, sizeof(j->host), "%s", host);
	snprintf(j->port, sizeof(j->port), "%s", port ? port : "");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);   /* getaddrinfo needs some room */
	ok = pthread_create(&t, &attr, lookup_thread, j) == 0;
	pthread_attr_destroy(&attr);
	if (!ok) {
		close(j->efd);
		free(j);
		errno = EAGAIN;
		return NULL;
	}
	return j;
}
