#ifndef XWPF_LOOKUP_H
#define XWPF_LOOKUP_H

/*
 * One name lookup off the caller's thread, for a caller with a deadline.
 * getaddrinfo() blocks, and a DNS server that never answers holds it for the
 * C library's own timeouts (musl: 5 s a try, 2 tries), so it runs in a
 * detached thread of its own and the caller waits on efd as long as it
 * chooses. The job is shared by the thread and the caller; the last one to
 * let go frees it, so a caller that gave up at its deadline leaves nothing
 * dangling (the thread ends when the C library gives up).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

#define LOOKUP_MAX 8                    /* addresses kept from one answer */

struct lookup {
	atomic_int refs;
	int efd;                        /* an eventfd, readable once the answer is in */
	int family, socktype, flags;    /* getaddrinfo's hints */
	char host[HOST_MAX], port[8];
	/* the answer, once efd is readable: */
	int rc;                         /* getaddrinfo's: 0, or an EAI_ code */
	int n;                          /* addresses in sa (rc 0: at least 1) */
	struct sockaddr_storage sa[LOOKUP_MAX];
	socklen_t salen[LOOKUP_MAX];
};

/* Start looking host up (port: a number, or NULL); NULL with errno when no
 * thread or eventfd can be had. */
struct lookup *lookup_start(const char *host, const char *port, int family, int socktype, int flags);
/* Wait for the answer until deadline (now_ms's clock): 1 it is in (rc, n,
 * sa), 0 not by then (the job goes on: lookup_put it all the same). */
int lookup_wait(struct lookup *j, int64_t deadline);
/* The caller lets go (before or after the answer). */
void lookup_put(struct lookup *j);

#endif
