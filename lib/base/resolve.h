#ifndef XWPF_RESOLVE_H
#define XWPF_RESOLVE_H

/*
 * Non-blocking name resolution for the relay: four resolver threads run
 * getaddrinfo() off the event loops (a name whose DNS never answers holds
 * one of them, not every other name's lookup); answers are cached. getaddrinfo gives
 * no TTL, so an answer lives for clamp(60 s, min_ttl, max_ttl) and is then
 * re-resolved in the background while the old addresses keep serving
 * (a failure keeps the stale answer until max_ttl). Failed lookups are
 * cached for min(5 s, max_ttl) then retried. Every subscribed eventfd is
 * poked when an answer arrives.
 */
#include <sys/socket.h>

#define RES_MAX_ADDRS 8

enum res_mode { RES_V4_ONLY, RES_V6_ONLY, RES_V4_THEN_V6, RES_V6_THEN_V4, RES_V4_AND_V6 };

struct res;

/* mode from the [global] dns_mode text; ttl bounds in ms. NULL + err on failure. */
struct res *res_new(const char *mode, long min_ttl_ms, long max_ttl_ms, char *err);
void res_free(struct res *r);
int res_mode_parse(const char *s, enum res_mode *out);
/* Change mode and bounds (reload); cached answers are kept. */
void res_configure(struct res *r, const char *mode, long min_ttl_ms, long max_ttl_ms);
/* An eventfd to poke when an answer arrives (up to 64). */
int res_subscribe(struct res *r, int efd);
/* Up to max addresses for host (port 0) into out: n > 0 addresses, 0 pending
 * (lookup started, subscribers will be poked), -1 the name does not resolve. */
int res_lookup(struct res *r, const char *host, struct sockaddr_storage *out, int max);

#endif
