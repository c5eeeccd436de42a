#ifndef XWPF_TUNNEL_POOL_H
#define XWPF_TUNNEL_POOL_H

/*
 * The warm tunnel pool (tunnel_pool.c): for a rule with a remote_transport
 * and no PROXY header toward its remotes (rt_rule.tpool_max > 0), each
 * worker keeps a few tunnel connections per remote (and listen port
 * offset) already through TCP, TLS and the WebSocket upgrade. A new client
 * of that remote takes one at once (tpool_take) instead of waiting for the
 * handshakes; the pool refills in the background.
 *
 * Size: the peak of new clients per second of that remote in this worker
 * over the last TPOOL_RATE_S seconds (at least 1 while a client came in the
 * last TPOOL_IDLE_MS), at most tpool_max ([global] tunnel_pool_max); 0 when
 * the rule is idle that long, its quota stopped it or a reload replaced it.
 * A pooled connection lives TPOOL_LIFE_MS at most unused (then closed and,
 * if still wanted, replaced): well below the exits' bound for a pooled
 * stream (TUN_POOL_WAIT_MS) and common middlebox timeouts. A failed
 * handshake counts as a failed connection to the remote (its last error,
 * the balancer's passive mark) and, like a pooled connection the exit
 * closes while it waits, backs the pool off (TPOOL_BACKOFF_MS doubling up
 * to TPOOL_BACKOFF_MAX_MS); a connection that closes or errs while waiting
 * is dropped, never handed out.
 *
 * Two kinds, per exit address (docs/wire.md):
 *   - an exit known to be xwpf (its 101 reply carried x-xwpf; plain tls
 *     has no room for it): the request carries x-xwpf-pool, the exit
 *     connects its backend only at the first frame, and the relay sends an
 *     empty binary frame the moment a client takes the connection;
 *   - any other: the pooled connection is byte for byte a cold one; what
 *     the exit sends before a client takes it (a backend's greeting) is
 *     kept, up to TPOOL_EARLY_MAX (beyond, the connection is dropped), and
 *     goes to the client first.
 */
#include <stdint.h>
#include <sys/socket.h>

#define TPOOL_MAX_DEFAULT 8
#define TPOOL_LIFE_MS 25000
#define TPOOL_IDLE_MS 60000
#define TPOOL_RATE_S 10
#define TPOOL_EARLY_MAX (16 * 1024)
#define TPOOL_BACKOFF_MS 500
#define TPOOL_BACKOFF_MAX_MS 30000
#define TPOOL_BURST 4           /* handshakes started at once per pool */

struct conn;
struct rt_worker;

/*
 * The client c has picked its remote (c->backend): a pooled connection to
 * it, checked alive, becomes c's remote half (its tunnel end adopted by
 * the rule's conn_hooks, the bytes the exit sent early queued toward the client,
 * an xwpf exit's stream opened). Returns its fd, or -1: none ready (a
 * miss: the pool learns the demand). Hits and misses are counted.
 */
int tpool_take(struct conn *c);
/* After each event batch: free what was dropped. */
void tpool_after_batch(struct rt_worker *w);
/* Close every pooled connection of the worker (it stops). */
void tpool_worker_free(struct rt_worker *w);


#endif
