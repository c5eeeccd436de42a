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

/* The hooks for conn.c of a rule with these tunnel settings. */
const struct conn_hooks *tun_hooks(const struct tun_rule *t);

#endif
