#ifndef XWPF_UDP_H
#define XWPF_UDP_H

/*
 * UDP forwarding: one association per client address and listener, each
 * with its own connected upstream socket (so replies come back to the
 * right client and ICMP errors stay local). Datagrams up to 64 KiB pass
 * intact; reads and writes are batched with recvmmsg/sendmmsg. The idle
 * timeout counts traffic in both directions; associations are bounded per
 * worker (udp_max_assoc shared among workers) and counted per rule.
 * Replies leave from the address the client wrote to (IP_PKTINFO /
 * IPV6_PKTINFO), which matters for wildcard listeners on multi-address hosts.
 */
#include "relay_rt.h"

/* Freed associations and listeners wait for the end of the batch. */
void udp_after_batch(struct rt_worker *w);
/* Associations of this worker right now. */
long udp_worker_assocs(struct rt_worker *w);

/* FNV-1a of a client's address and port: the association tables' hash
 * (also the tunnel's UDP table, lib/tunnel_udp.c). */
uint32_t udp_addr_hash(const struct sockaddr_storage *ss);

#endif
