#ifndef XWPF_LOOPGUARD_H
#define XWPF_LOOPGUARD_H

/*
 * The relay's backstop against forwarding loops the store cannot see (a
 * remote given by a name that resolves to this machine, an address added
 * after the last reload): a connection the relay makes to one of its own
 * addresses is noted by its destination port before the connect, with the
 * hop count of the connection it serves plus one. A connection accepted
 * from a local address on a port with such connections under way takes
 * the highest of those counts as its own. Past LOOPGUARD_MAX_HOPS it is
 * refused: a loop stops after a few hops and a few descriptors, whatever
 * the rate, while a chain of a few rules on this machine goes on at any
 * rate. Clients from elsewhere never reach this: no system call, a lookup
 * only for a local peer. Shared by every worker: lock-free per port.
 */
#include <stdint.h>
#include <sys/socket.h>

#define LOOPGUARD_MAX_HOPS 8

/* An outgoing connection to the local address dst is about to be made for a
 * connection hops deep: returns the port to give back to loopguard_forget
 * (0: nothing noted). */
uint16_t loopguard_note(const struct sockaddr_storage *dst, unsigned hops);
void loopguard_forget(uint16_t port);
/* The hop count of a connection accepted on port from a local peer (0: none of ours). */
unsigned loopguard_hops(uint16_t port);
/* At most one warning every 10 s for the whole relay: 1 when this one may log. */
int loopguard_log_ok(int64_t now_ms);

#endif
