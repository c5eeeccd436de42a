#ifndef XWPF_TUNNEL_CONN_H
#define XWPF_TUNNEL_CONN_H

/*
 * The tunnels' seams in a relayed TCP connection (tunnel_conn.c): the
 * conn_hooks (conn.h) of a rule with a transport or the PROXY protocol,
 * driving the ends of tunnel.h inside the worker's event loop. tunnel.h
 * says what each hook does.
 */
#include "conn.h"
#include "tunnel.h"

/* The remote half of c is a pooled connection (tunnel_pool.h) whose client
 * end e is open: c owns e from now on (0), or -1 out of memory (e is the
 * caller's still). */
int tun_conn_adopt(struct conn *c, struct tun_end *e);
/* A TLS handshake of a rule's is through: count it in k, full or resumed. */
void tun_conn_count_tls(struct rt_counters *k, const struct tun_end *e);

/* The hooks for conn.c of a rule with these tunnel settings. */
const struct conn_hooks *tun_hooks(const struct tun_rule *t);

#endif
