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

#include "dgframe.h"
#include "rules.h"

struct conn;

/* ---- the worker's side (udp.c): listeners and their associations ---- */

void udp_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events);
/* Close every association of a listener (plain and through a tunnel). */
void udp_listener_close(struct rt_lsn *ls);
void udp_worker_kick(struct rt_worker *w);   /* free associations of rules their quota stopped */
void udp_worker_free(struct rt_worker *w);
/* A UDP socket's receive buffer sized for bursts (listeners, associations). */
void udp_socket_buffer(int fd);
/* Freed associations and listeners wait for the end of the batch. */
void udp_after_batch(struct rt_worker *w);
/* A rule's UDP association idle limit (udp_timeout; STORE_UDP_TIMEOUT_MS when unset). */
long udp_timeout_ms(const struct rt_rule *r);
/* FNV-1a of a client's address and port: the association tables' hash
 * (also the tunnel's UDP table, udp_tunnel.c). */
uint32_t udp_addr_hash(const struct sockaddr_storage *ss);

/*
 * The part both association tables share (this file's and the tunnel's,
 * lib/relay/udp_tunnel.c). An association starts with a struct udp_key: the
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
	struct udp_key *last;           /* the last one found: a flow's datagrams come in runs */
};

/* A table of 64 buckets: 0, or -1 (ENOMEM). */
int udp_htab_init(struct udp_htab *t);
/* The buckets only: the associations are the caller's to close first. */
void udp_htab_free(struct udp_htab *t);
struct udp_key *udp_htab_find(struct udp_htab *t, const struct sockaddr_storage *client, uint32_t h);
void udp_htab_add(struct udp_htab *t, struct udp_key *k);
void udp_htab_del(struct udp_htab *t, struct udp_key *k);
/* A new association's key from the datagram that opened it (recvmsg's
 * header with IP_PKTINFO / IPV6_PKTINFO control data). */
void udp_key_init(struct udp_key *k, const struct sockaddr_storage *client, uint32_t h, struct msghdr *mh);
/* A reply to k's client: msg_name, and the control data (in ctl, UDP_CTL_MAX
 * bytes) that makes it leave from the address the client wrote to. */
#define UDP_CTL_MAX 128   /* a dual-stack socket gets IPV6_PKTINFO and IP_PKTINFO: 40 + 32 bytes */
void udp_key_reply(const struct udp_key *k, struct msghdr *h, char *ctl);
/* May one more datagram go one way (up: client -> remote), with QUEUED
 * bytes already batched that way and not yet spent? A quota that stops the
 * rule lets through at most the datagram that crosses it; one that throttles
 * never refuses here (the rule's shaping does). */
int udp_quota_room(const struct rt_rule *r, int up, uint64_t queued);
/* A new association of worker w through rule r to its remote idx, counted
 * (the worker's count, the rule's active and total, the remote's). */
void udp_assoc_counted(struct rt_worker *w, const struct rt_rule *r, int idx);
/* The remote for a new association of ls: its index with *dst set, or -1
 * (none up, or no address resolved yet). */
int udp_pick_remote(struct rt_lsn *ls, const struct sockaddr_storage *client, struct sockaddr_storage *dst);

/* ---- UDP through a tunnel (udp_tunnel.c) ----
 *
 * Relay side: each client address of a UDP listener gets its own tunnel
 * stream to the rule's remote, datagrams framed with a 2-byte length
 * (tunnel.h). Exit side: a tunnel stream that asked for UDP becomes a conn
 * (conn.h) whose remote half is a connected UDP socket with the datagram
 * codec below. */

/* Does a UDP listener of this rule feed tunnel streams? */
int udp_tunnel_relay(const struct rt_lsn *ls);
/* The UDP listener's callback for such rules (udp_listener_cb hands over). */
void udp_tunnel_listener_cb(struct ev_loop *l, struct ev_io *io, unsigned events);
/* Close every association of a listener. */
void udp_tunnel_listener_close(struct rt_lsn *ls);
void udp_tunnel_kick(struct rt_lsn *ls);   /* end associations of rules their quota stopped */
/* Free the associations closed during this batch (the worker's thread). */
void udp_tunnel_after_batch(void);

/* The exit's datagram codec: a connected UDP socket as the framed stream. */
struct udp_dgram {
	unsigned char *rx;          /* one datagram framed, being handed out */
	size_t rx_off, rx_len;
	struct dgf tx;              /* the stream toward the remote, cut into datagrams */
	int ended;
};
/* A conn_codec whose codec_st is the struct udp_dgram (its owner frees it). */
extern const struct conn_codec udp_dgram_codec;
void udp_dgram_free(struct udp_dgram *d);
/* The stream c becomes a UDP association of its worker (counted, timed by
 * udp_timeout): 0, or -1 over udp_max_assoc (counted as dropped). */
int udp_tunnel_exit_begin(struct conn *c);
/* ... and stops being one (conn_close, through the tunnel's free hook). */
void udp_tunnel_exit_end(struct conn *c);

#endif
