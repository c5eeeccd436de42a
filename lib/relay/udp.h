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
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "runtime.h"

/* Freed associations and listeners wait for the end of the batch. */
void udp_after_batch(struct rt_worker *w);
/* FNV-1a of a client's address and port: the association tables' hash
 * (also the tunnel's UDP table, lib/relay/tunnel_udp.c). */
uint32_t udp_addr_hash(const struct sockaddr_storage *ss);

/*
 * The part both association tables share (this file's and the tunnel's,
 * lib/relay/tunnel_udp.c). An association starts with a struct udp_key: the
 * client, the local address it wrote to (replies leave from there), its
 * family for the ledger, the hash chain. A struct udp_htab per listener
 * holds them, chained on udp_addr_hash, doubling past one per bucket.
 */
struct udp_key {
	struct udp_key *hnext;
	uint32_t h;
	struct sockaddr_storage client;
	int local_fam;                  /* 0, AF_INET, AF_INET6: where the client wrote to */
	struct in_pktinfo l4;
	struct in6_pktinfo l6;
	int fam6;                       /* the client is IPv6 (LG_V6 in the ledger's split) */
};

struct udp_htab {
	struct udp_key **b;
	size_t nb, n;
};

/* A table of 64 buckets: 0, or -1 (ENOMEM). */
int udp_htab_init(struct udp_htab *t);
/* The buckets only: the associations are the caller's to close first. */
void udp_htab_free(struct udp_htab *t);
struct udp_key *udp_htab_find(const struct udp_htab *t, const struct sockaddr_storage *client, uint32_t h);
void udp_htab_add(struct udp_htab *t, struct udp_key *k);
void udp_htab_del(struct udp_htab *t, struct udp_key *k);
/* A new association's key from the datagram that opened it (recvmsg's
 * header with IP_PKTINFO / IPV6_PKTINFO control data). */
void udp_key_init(struct udp_key *k, const struct sockaddr_storage *client, uint32_t h, struct msghdr *mh);
/* A reply to k's client: msg_name, and the control data (in ctl, UDP_CTL_MAX
 * bytes) that makes it leave from the address the client wrote to. */
#define UDP_CTL_MAX 128   /* a dual-stack socket gets IPV6_PKTINFO and IP_PKTINFO: 40 + 32 bytes */
void udp_key_reply(const struct udp_key *k, struct msghdr *h, char *ctl);
/* The remote for a new association of ls: its index with *dst set, or -1
 * (none up, or no address resolved yet). */
int udp_pick_remote(struct rt_lsn *ls, const struct sockaddr_storage *client, struct sockaddr_storage *dst);

#endif
